"""The report's figures, drawn with matplotlib (Agg, imported lazily) from plain arrays.

Nothing here reads files or knows about the engine: `borderflow.report` turns a results folder into
the small data classes below (`Line`, `Panel`, `Span`, `MapGeometry`, `MapFrame`) and each function
returns a `matplotlib.figure.Figure`, which `to_svg` and `to_png` write out. Figures are created
without pyplot, so the caller's backend and open figures are never touched, and output is the
same for the same input (fixed SVG ids, no dates in the file).

Every string shown in a figure comes from a scenario or results file; `mpl_text` keeps matplotlib
from reading ``$...$`` in such strings as mathematical markup.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from borderflow.report import Run

__all__ = [
    "KIND_COLOURS",
    "Line",
    "MapFrame",
    "MapGeometry",
    "Panel",
    "Span",
    "camp_panels",
    "compare_panels",
    "crossing_panels",
    "event_panels",
    "label_set",
    "lon_scale",
    "map_figure",
    "mpl_text",
    "other_places_panel",
    "policy_timeline_figure",
    "project",
    "series_panels",
    "timeseries_figure",
    "to_png",
    "to_svg",
    "total_panels",
]

#: Colours (Okabe-Ito, readable with colour-blindness) by kind of place.
KIND_COLOURS: dict[str, str] = {
    "conflict zone": "#D55E00",
    "camp": "#009E73",
    "IDP camp": "#56B4E9",
    "town": "#8C8C8C",
    "forwarding hub": "#CC79A7",
    "marker": "#C8C8C8",
    "flood zone": "#0072B2",
    "place": "#8C8C8C",
}
#: Colours of policy periods by kind.
SPAN_COLOURS: dict[str, str] = {
    "closure": "#D55E00",
    "turn-back": "#CC79A7",
    "flight ban": "#0072B2",
    "returns": "#009E73",
    "block": "#8C8C8C",
}
#: Policy kinds shaded on time-series charts (the others appear on the timeline only).
SHADED_KINDS = ("closure", "turn-back", "flight ban")
_MAX_SPAN_LABELS = 3
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                "#8C8C8C")
BORDER_COLOUR = "#E69F00"
CLOSED_COLOUR = "#B00000"

_STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "figure.dpi": 100,
}


def _mpl():
    """Import matplotlib lazily; raise ImportError with a plain message when it is missing."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("the report needs matplotlib (pip install 'matplotlib>=3.8')") from exc
    return matplotlib, Figure


def mpl_text(text: object) -> str:
    """``text`` as matplotlib should show it literally: ``$`` escaped, no leading underscore."""
    s = str(text).replace("\\", "\\\\").replace("$", r"\$")
    return "\u200b" + s if s.startswith("_") else s  # legend hides labels starting with "_"


@dataclass(frozen=True)
class Line:
    """One series on a panel: values per date, an optional band, and how to draw it.

    ``style`` is ``"sim"`` (solid line), ``"observed"`` (black dots joined by a thin line) or
    ``"reference"`` (grey dashed, e.g. a capacity).
    """

    label: str
    dates: Sequence[date] | np.ndarray
    values: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    band_label: str | None = None
    style: str = "sim"
    colour: str | None = None


@dataclass(frozen=True)
class Panel:
    """One chart of a time-series figure."""

    title: str
    lines: Sequence[Line]
    ylabel: str = "people"


@dataclass(frozen=True)
class Span:
    """A policy period to shade on time-series charts: ``start`` inclusive, ``end`` exclusive."""

    label: str
    start: date
    end: date
    kind: str = "closure"


@dataclass(frozen=True)
class MapGeometry:
    """Places and links of a network; ``links`` are index pairs into the places."""

    names: Sequence[str]
    lon: np.ndarray
    lat: np.ndarray
    kinds: Sequence[str]
    countries: Sequence[str]
    links: Sequence[tuple[int, int]]

    def is_border(self, k: int) -> bool:
        """Whether link ``k`` joins places in two different countries."""
        i, j = self.links[k]
        return self.countries[i] != self.countries[j]


@dataclass(frozen=True)
class MapFrame:
    """The state of the network on one day.

    ``population[i]``: people at place i; ``flow[k]``: people who had travelled link k (both
    directions) up to that day; ``closed[k]``: link k closed; ``crossings[k]``: for border links,
    people who had crossed up to that day (both directions).
    """

    title: str
    population: np.ndarray
    flow: np.ndarray
    closed: np.ndarray
    crossings: np.ndarray = field(default_factory=lambda: np.zeros(0))


def lon_scale(lat: np.ndarray) -> float:
    """cos(mean latitude): how much shorter a degree of longitude is than one of latitude."""
    lat = np.asarray(lat, dtype=float)
    scale = math.cos(math.radians(float(np.mean(lat)))) if len(lat) else 1.0
    return max(scale, 0.05)


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection around the mean latitude: x = longitude · cos(mean latitude)."""
    return np.asarray(lon, dtype=float) * lon_scale(lat), np.asarray(lat, dtype=float)


def _figure(width: float, height: float) -> Figure:
    _, figure_cls = _mpl()
    return figure_cls(figsize=(width, height), layout="constrained")


def to_svg(fig: Figure) -> str:
    """The figure as SVG text (no XML prolog, no date)."""
    matplotlib, _ = _mpl()
    buf = io.StringIO()
    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": "borderflow"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def to_png(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write the figure as a PNG file and return its path."""
    matplotlib, _ = _mpl()
    from borderflow.results import atomic_write

    path = Path(path)

    def write(tmp: Path) -> None:
        with matplotlib.rc_context(_STYLE):
            fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})

    atomic_write(path, write)
    return path


def _shade(ax: Axes, spans: Sequence[Span], seen: set[str]) -> None:
    spans = [s for s in spans if s.kind in SHADED_KINDS]
    by_kind = len({s.label for s in spans}) > _MAX_SPAN_LABELS  # too many: one entry per kind
    for span in spans:
        colour = SPAN_COLOURS.get(span.kind, "#8C8C8C")
        name = span.kind if by_kind else span.label
        label = name if name not in seen else None
        seen.add(name)
        ax.axvspan(np.datetime64(span.start), np.datetime64(span.end), color=colour, alpha=0.12,
                   lw=0, label=mpl_text(label) if label else None)


def _draw_line(ax: Axes, line: Line, colour: str) -> None:
    x = np.asarray(line.dates, dtype="datetime64[D]")
    y = np.asarray(line.values, dtype=float)
    if line.low is not None and line.high is not None:
        ax.fill_between(x, np.asarray(line.low, float), np.asarray(line.high, float),
                        color=colour, alpha=0.22, lw=0,
                        label=mpl_text(line.band_label) if line.band_label else None)
    if line.style == "observed":
        ax.plot(x, y, color="black", lw=0.9, marker="o", ms=3, markevery=max(1, len(x) // 20),
                label=mpl_text(line.label))
    elif line.style == "reference":
        ax.plot(x, y, color="#555555", lw=1.0, ls=(0, (4, 3)), label=mpl_text(line.label))
    else:
        ax.plot(x, y, color=colour, lw=1.8, label=mpl_text(line.label))


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _thousands(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def timeseries_figure(
    title: str,
    panels: Sequence[Panel],
    *,
    spans: Sequence[Span] = (),
    ncols: int = 2,
    panel_height: float = 2.6,
    width: float = 11.0,
) -> Figure:
    """Small multiples of time series with policy periods shaded; one legend per panel."""
    matplotlib, _ = _mpl()
    panels = list(panels)
    ncols = max(1, min(ncols, len(panels)))
    nrows = max(1, math.ceil(len(panels) / ncols))
    with matplotlib.rc_context(_STYLE):
        fig = _figure(width, panel_height * nrows + 0.5)
        fig.suptitle(mpl_text(title), fontsize=12, fontweight="bold", x=0.01, ha="left")
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(panels):
                ax.set_visible(False)
                continue
            panel = panels[k]
            seen: set[str] = set()
            _shade(ax, spans, seen)
            colours = iter(LINE_COLOURS)
            for line in panel.lines:
                colour = line.colour or (next(colours, "#000000") if line.style == "sim"
                                         else "#000000")
                _draw_line(ax, line, colour)
            ax.set_title(mpl_text(panel.title), loc="left")
            ax.set_ylabel(mpl_text(panel.ylabel))
            ax.set_xlabel("date")
            top = ax.get_ylim()[1]
            ax.set_ylim(0, max(top * 1.12, 1.0))  # headroom for the legend
            ax.yaxis.get_major_locator().set_params(integer=True)
            _date_axis(ax)
            _thousands(ax)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="best", fontsize=7)
    return fig


def policy_timeline_figure(title: str, spans: Sequence[Span], start: date, end: date,
                           width: float = 11.0) -> Figure:
    """One bar per policy period between ``start`` and ``end`` (the simulated period)."""
    matplotlib, _ = _mpl()
    import matplotlib.dates as mdates

    labels: list[str] = []
    for span in spans:
        if span.label not in labels:
            labels.append(span.label)
    with matplotlib.rc_context(_STYLE):
        fig = _figure(width, 0.9 + 0.35 * max(len(labels), 1))
        fig.suptitle(mpl_text(title), fontsize=12, fontweight="bold", x=0.01, ha="left")
        ax = fig.subplots()
        middle = mdates.date2num(start) + (mdates.date2num(end) - mdates.date2num(start)) / 2
        for span in spans:
            row = labels.index(span.label)
            colour = SPAN_COLOURS.get(span.kind, "#8C8C8C")
            s, e = mdates.date2num(span.start), mdates.date2num(span.end)
            ax.barh(row, max(e - s, 0.8), left=s, height=0.6, color=colour, alpha=0.75)
            if sum(1 for other in spans if other.label == span.label) > 1:
                continue  # several periods on one row (e.g. return flights): no dates
            last = span.end - timedelta(days=1)
            text = (span.start.isoformat() if last <= span.start
                    else f"{span.start.isoformat()} to {last.isoformat()}")
            if e < middle:  # room on the right of the bar
                ax.annotate(text, (e, row), xytext=(5, 0), textcoords="offset points",
                            va="center", ha="left", fontsize=8)
            elif s > middle:  # room on the left
                ax.annotate(text, (s, row), xytext=(-5, 0), textcoords="offset points",
                            va="center", ha="right", fontsize=8)
            else:  # a long bar: inside it
                ax.annotate(text, ((s + min(e, mdates.date2num(end))) / 2, row), va="center",
                            ha="center", fontsize=8, color="white", fontweight="bold")
        ax.set_yticks(range(len(labels)), [mpl_text(label) for label in labels])
        ax.invert_yaxis()
        ax.set_xlim(mdates.date2num(start), mdates.date2num(end))
        ax.set_xlabel("date")
        ax.grid(axis="y", visible=False)
        _date_axis(ax)
    return fig


def _size_area(population: np.ndarray, top: float, max_area: float = 700.0) -> np.ndarray:
    """Marker area in pt² proportional to people; a small dot for empty places."""
    area = np.asarray(population, dtype=float) / max(top, 1.0) * max_area
    return np.maximum(area, 6.0)


def _round_step(value: float) -> int:
    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for m in (5, 2, 1):
        if m * exp <= value:
            return int(m * exp)
    return int(exp)


def label_set(geo: MapGeometry, peak: np.ndarray, limit: int = 24) -> set[int]:
    """Places to name on a map: all of them when few, else camps and the most populous.

    ``peak[i]``: the people at place i that count for the choice (e.g. its peak).
    """
    n = len(geo.names)
    if n <= limit:
        return set(range(n))
    peak = np.asarray(peak, dtype=float)
    camps = {i for i, k in enumerate(geo.kinds) if "camp" in k}
    largest = [int(i) for i in np.argsort(-peak)[:limit] if peak[i] > 0]
    return camps | set(largest[: max(limit - len(camps), 0)])


def map_figure(title: str, geo: MapGeometry, frames: Sequence[MapFrame], *,
               width: float = 11.0) -> Figure:
    """Small multiples of the network map, one panel per frame, all on one size scale.

    Places are circles at their coordinates (area ∝ people, colour by kind); links are grey lines
    whose width grows with the people who had travelled them; links between countries (border
    crossings) are dashed orange with the number of people who had crossed, and closed links are
    dark red with a cross.
    """
    matplotlib, _ = _mpl()
    from matplotlib.lines import Line2D

    frames = list(frames)
    x, y = project(geo.lon, geo.lat)
    ncols = 2 if len(frames) > 1 else 1
    nrows = math.ceil(len(frames) / ncols)
    top = max((float(np.max(f.population)) for f in frames if len(f.population)), default=1.0)
    flow_top = max((float(np.max(f.flow)) for f in frames if len(f.flow)), default=1.0)
    label_idx = label_set(geo, np.max([f.population for f in frames], axis=0))
    span_x = float(np.ptp(x)) if len(x) else 1.0
    span_y = float(np.ptp(y)) if len(y) else 1.0
    pad_x = max(span_x * 0.08, span_y * 0.08, 0.2)
    pad_y = max(span_y * 0.1, span_x * 0.08, 0.2)
    aspect = (span_y + 2 * pad_y) / max(span_x + 2 * pad_x, 1e-9)
    panel_w = width / ncols
    panel_h = min(max(panel_w * aspect * 0.9 + 0.7, 1.8), 7.0)
    with matplotlib.rc_context(_STYLE):
        fig = _figure(width, panel_h * nrows + 1.2)
        fig.suptitle(mpl_text(title), fontsize=12, fontweight="bold", x=0.01, ha="left")
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(frames):
                ax.set_visible(False)
                continue
            _draw_map(ax, geo, frames[k], x, y, top, flow_top, label_idx)
            ax.set_xlim(float(np.min(x)) - pad_x, float(np.max(x)) + pad_x)
            ax.set_ylim(float(np.min(y)) - pad_y, float(np.max(y)) + pad_y)
            ax.set_aspect("equal")
        kinds = [k for k in KIND_COLOURS if k in set(geo.kinds)]
        handles = [Line2D([], [], ls="", marker="o", ms=8, mfc=KIND_COLOURS[k], mec="black",
                          mew=0.5, label=k) for k in kinds]
        step = _round_step(top / 2)
        for people in (step, 2 * step) if top > 0 else ():
            area = float(_size_area(np.array([people]), top)[0])
            handles.append(Line2D([], [], ls="", marker="o", ms=math.sqrt(area), mfc="white",
                                  mec="black", mew=0.6, label=f"{people:,} people"))
        handles += [
            Line2D([], [], color="#9A9A9A", lw=2, label="road (width: people who travelled it)"),
            Line2D([], [], color=BORDER_COLOUR, lw=2, ls="--",
                   label="border crossing (number: people who crossed)"),
            Line2D([], [], color=CLOSED_COLOUR, lw=2, marker="x", ms=7, label="closed"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5),
                   fontsize=8)
    return fig


def _draw_map(ax: Axes, geo: MapGeometry, frame: MapFrame, x: np.ndarray, y: np.ndarray,
              top: float, flow_top: float, label_idx: set[int]) -> None:
    for k, (i, j) in enumerate(geo.links):
        border = geo.is_border(k)
        closed = bool(frame.closed[k]) if len(frame.closed) else False
        flow = float(frame.flow[k]) if len(frame.flow) else 0.0
        lw = 0.8 + 4.0 * math.sqrt(flow / max(flow_top, 1.0))
        colour = CLOSED_COLOUR if closed else (BORDER_COLOUR if border else "#9A9A9A")
        ax.plot([x[i], x[j]], [y[i], y[j]], color=colour, lw=lw, ls="--" if border else "-",
                solid_capstyle="round", zorder=1, alpha=0.9)
        mx, my = (x[i] + x[j]) / 2, (y[i] + y[j]) / 2
        if closed:
            ax.plot([mx], [my], marker="x", ms=9, mew=2.2, color=CLOSED_COLOUR, zorder=4)
        if border and len(frame.crossings) and frame.crossings[k] > 0:
            ax.annotate(f"{int(frame.crossings[k]):,}", (mx, my), xytext=(0, -9),
                        textcoords="offset points", ha="center", va="top", fontsize=7,
                        color="#8A5A00", zorder=5,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                              "alpha": 0.8})
    colours = [KIND_COLOURS.get(kind, "#8C8C8C") for kind in geo.kinds]
    area = _size_area(frame.population, top)
    ax.scatter(x, y, s=area, c=colours, edgecolors="black", linewidths=0.5, alpha=0.85, zorder=3)
    for i in sorted(label_idx):
        people = int(frame.population[i])
        text = mpl_text(geo.names[i]) + (f"\n{people:,}" if people else "")
        r = math.sqrt(area[i]) / 2 * 0.7 + 3
        ax.annotate(text, (x[i], y[i]), xytext=(r, r), textcoords="offset points", fontsize=7,
                    zorder=6, linespacing=1.0,
                    bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none",
                          "alpha": 0.6})
    ax.set_title(mpl_text(frame.title), loc="left")
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    scale = lon_scale(geo.lat)
    lon_ticks = MaxNLocator(6).tick_values(float(np.min(geo.lon)), float(np.max(geo.lon)))
    ax.xaxis.set_major_locator(FixedLocator(lon_ticks * scale))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / scale:g}"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}"))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.15)


# --- panels from runs ----------------------------------------------------------------------
# These read a `borderflow.report.Run` (results, observed series, bands) and return `Panel`s.

MAX_CAMP_PANELS = 12
OTHER_PLACES = 6


def _sim_label(run: Run) -> str:
    return "simulated" if run.members == 1 else f"simulated (median of {run.members} members)"


def camp_panels(run: Run, capacity: dict[str, int] | None = None) -> list[Panel]:
    """One panel per camp: simulated (with band), observed, and the camp's capacity."""
    r = run.results
    capacity = capacity or {}
    panels = []
    for camp in list(r.camp_names)[:MAX_CAMP_PANELS]:
        low, high = run.bands.get(camp, (None, None))
        lines = [Line(_sim_label(run), r.dates, r.locations[camp].to_numpy(), low, high,
                      run.band_label or None)]
        if run.observed is not None and camp in run.observed.columns:
            obs = run.observed[camp]
            lines.append(Line("observed", obs.index, obs.to_numpy(), style="observed"))
        if capacity.get(camp, 0) > 0:
            lines.append(Line(f"capacity ({capacity[camp]:,})", r.dates,
                              np.full(r.days, capacity[camp]), style="reference"))
        panels.append(Panel(camp, lines))
    return panels


def total_panels(run: Run) -> list[Panel]:
    """Everyone in the simulation, people in camps, people travelling, entering and leaving."""
    r = run.results
    low, high = run.bands.get("total present", (None, None))
    present = [Line(_sim_label(run), r.dates, r.total_present, low, high,
                    run.band_label or None)]
    if run.observed_total is not None:
        present.append(Line("observed total (source data)", run.observed_total.index,
                            run.observed_total.to_numpy(), style="observed"))
    low, high = run.bands.get("in camps", (None, None))
    camps = [Line(_sim_label(run), r.dates, run.in_camps, low, high, run.band_label or None)]
    if run.observed is not None and len(run.observed.columns):
        camps.append(Line("observed", run.observed.index, run.observed.sum(axis=1).to_numpy(),
                          style="observed"))
    travelling = r.link_population.sum(axis=1)
    flows = [Line("entered", r.dates, r.spawned), Line("left", r.dates, r.removed)]
    panels = [Panel("People in the simulation", present), Panel("People in camps", camps)]
    if run.has_flows:
        panels.append(Panel("People entering and leaving the simulation", flows,
                            "people per day"))
    if np.any(travelling):  # nobody is on a link at the end of a day when moves are hastened
        panels.insert(2, Panel("People travelling",
                               [Line("on a link between two places", r.dates, travelling)]))
    return panels


def other_places_panel(run: Run) -> Panel | None:
    """The places other than camps with the largest peaks, on one panel."""
    r = run.results
    camps = set(r.camp_names)
    frame = r.locations[[n for n in r.location_names if n not in camps]]
    if frame.empty:
        return None
    peak = frame.max(axis=0).sort_values(ascending=False, kind="stable")
    names = [str(n) for n, v in peak.items() if v > 0][:OTHER_PLACES]
    if not names:
        return None
    lines = [Line(name, r.dates, frame[name].to_numpy(), *run.bands.get(name, (None, None)))
             for name in names]
    return Panel(f"The {len(names)} places other than camps with the most people", lines)


def crossing_panels(dates: Sequence[date] | np.ndarray,
                    crossings: dict[str, np.ndarray]) -> list[Panel]:
    """Daily and cumulative border crossings, one line per direction (``"A → B"``)."""
    if not crossings:
        return []
    daily = [Line(k, dates, v) for k, v in crossings.items()]
    total = [Line(k, dates, np.cumsum(v)) for k, v in crossings.items()]
    return [Panel("People crossing a border per day", daily, "people per day"),
            Panel("People who have crossed a border, cumulative", total)]


def series_panels(runs: Sequence[Run]) -> list[Panel]:
    """One panel per extra daily series (series.csv); one line per run when there are several.

    Series that are 0 on every day in every run are left out.
    """
    names: list[str] = []
    for run in runs:
        if run.series is not None:
            nonzero = run.series.groupby("series", sort=False)["value"].apply(
                lambda v: bool(np.any(np.asarray(v, dtype=float) != 0)))
            names += [s for s, keep in nonzero.items() if keep and s not in names]
    panels = []
    for name in names:
        lines = []
        for run in runs:
            part = None if run.series is None else run.series[run.series["series"] == name]
            if part is None or part.empty:
                continue
            part = part.sort_values("date")
            band = {"low", "high"} <= set(part.columns) and bool(part["low"].notna().any())
            lines.append(Line(run.label if len(runs) > 1 else name, part["date"].to_numpy(),
                              part["value"].to_numpy(),
                              part["low"].to_numpy() if band else None,
                              part["high"].to_numpy() if band else None,
                              (run.band_label or "band") if band else None))
        unit = "person-nights" if "night" in name.lower() else "number"
        panels.append(Panel(name, lines, unit))
    return panels


def event_panels(run: Run) -> list[Panel]:
    """Stranded and detained people at the places that hold the most (events.parquet)."""
    ev = run.events
    if ev is None or ev.empty:
        return []
    r = run.results
    panels = []
    for event, title in (("stranded", "Stranded people (have tried to cross at least once)"),
                         ("detained", "People in detention")):
        part = ev[(ev["kind"] == "location") & (ev["event"] == event)]
        if part.empty:
            continue
        table = (part.pivot_table(index="day", columns="name", values="value", aggfunc="sum")
                 .reindex(range(r.days)).fillna(0))
        peak = table.max(axis=0).sort_values(ascending=False, kind="stable")
        names = [str(n) for n, v in peak.items() if v > 0][:OTHER_PLACES]
        lines = [Line(name, r.dates, table[name].to_numpy()) for name in names]
        if len(peak) > 1:
            lines.insert(0, Line(f"all places ({len(peak)})", r.dates,
                                 table.sum(axis=1).to_numpy(), colour="#000000"))
        panels.append(Panel(title, lines))
    return panels


def compare_panels(runs: Sequence[Run]) -> tuple[list[Panel], list[Panel]]:
    """Totals and camps with one line per run, observed data from the first run that has it."""
    totals = [
        Panel("People in the simulation",
              [Line(run.label, run.dates, run.results.total_present) for run in runs]),
        Panel("People in camps", [Line(run.label, run.dates, run.in_camps) for run in runs]),
        Panel("People travelling", [Line(run.label, run.dates,
                                         run.results.link_population.sum(axis=1))
                                    for run in runs]),
        Panel("People who left the simulation, cumulative",
              [Line(run.label, run.dates, np.cumsum(run.results.removed)) for run in runs]),
    ]
    observed = next((run for run in runs if run.observed is not None), None)
    if observed is not None:
        totals[1] = Panel("People in camps", [*totals[1].lines, Line(
            f"observed ({observed.label})", observed.observed.index,
            observed.observed.sum(axis=1).to_numpy(), style="observed")])
    camps: list[str] = []
    for run in runs:
        camps += [c for c in run.results.camp_names if c not in camps]
    panels = []
    for camp in camps[:MAX_CAMP_PANELS]:
        lines = [Line(run.label, run.dates, run.results.locations[camp].to_numpy())
                 for run in runs if camp in run.results.camp_names]
        obs = next((run.observed[camp] for run in runs
                    if run.observed is not None and camp in run.observed.columns), None)
        if obs is not None:
            lines.append(Line("observed", obs.index, obs.to_numpy(), style="observed"))
        panels.append(Panel(camp, lines))
    return totals, panels
