"""Turn a results folder into a report: one self-contained HTML page, or a folder of PNG figures.

`write_report` reads what ``borderflow run`` wrote (``run.json``, ``populations.parquet``,
``flows.parquet``, and ``out.csv``, ``series.csv`` and ``events.parquet`` when present) and, when
a scenario folder is known (``--scenario``, or ``"scenario_path"`` in ``run.json``), the places'
coordinates, countries and types, closures.csv and policies.yml. It shows:

- a map of the network (an interactive one with a day slider, and small multiples for four days):
  places sized by the people there, links, border crossings with the people who crossed them,
  closed links;
- the policy timeline (closures.csv, and turn-backs, flight stops, one-way blocks and returns
  from policies.yml), shaded on every time-series chart;
- camps over time against the observed counts, totals, the largest other places, daily border
  crossings, stranded and detained people per place (``events.parquet``), and every extra daily
  series in ``series.csv`` (a tidy ``date,series,value`` file, optionally with ``low,high``
  columns for a band), such as exposed person-nights;
- what the people at each place need per day in Sphere Handbook 2018 units (`needs`).

An ensemble folder (``borderflow ensemble``) is shown as medians with a 5–95 % band over the
members; a folder that holds several results folders side by side (a table of key totals and
small charts, and any CSV table beside them, such as a comparison table).
Library code raises `ReportError` for bad input; the command line turns it into exit status 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from borderflow.report.html import Markup, Section
    from borderflow.report.plots import MapGeometry
    from borderflow.results import Results
    from borderflow.scenario.model import Scenario

__all__ = ["PolicyPeriod", "ReportError", "Run", "load_run", "load_runs", "policy_periods",
           "write_report"]

RUN_FILES = ("run.json", "populations.parquet", "flows.parquet")
FORMATS = ("html", "png")
_KIND_NAMES = {"conflict": "conflict zone", "camp": "camp", "idpcamp": "IDP camp",
               "town": "town", "forward": "forwarding hub", "marker": "marker",
               "flood": "flood zone"}


class ReportError(ValueError):
    """The results folder or scenario cannot be reported on; the message says why."""


# ---------------------------------------------------------------------------------------------
# Reading runs


@dataclass
class Run:
    """One results folder (or an ensemble summarised as one), as the report reads it.

    ``observed`` holds the ``<camp> data`` columns of out.csv (dates × camps) and
    ``observed_total`` its ``raw UNHCR refugee count``; ``series`` the tidy extra daily series;
    ``bands`` per place (and ``"total present"``, ``"in camps"``) a (low, high) pair when the run
    is an ensemble summary; ``has_flows`` is False when links, flows and spawn counts are not
    known (ensembles); ``events`` holds events.parquet (``day, kind, name, event, value``).
    """

    label: str
    path: Path
    results: Results
    meta: dict
    observed: pd.DataFrame | None = None
    observed_total: pd.Series | None = None
    series: pd.DataFrame | None = None
    score: float | None = None
    members: int = 1
    bands: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    band_label: str = ""
    has_flows: bool = True
    events: pd.DataFrame | None = None

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Date of every simulated day."""
        return self.results.dates

    @property
    def in_camps(self) -> np.ndarray:
        """People in camps after each day."""
        return self.results.camps.to_numpy().sum(axis=1)


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` holds the files ``borderflow run`` writes."""
    return all((path / name).is_file() for name in RUN_FILES)


def _read_series(path: Path) -> pd.DataFrame | None:
    file = path / "series.csv"
    if not file.is_file():
        return None
    try:
        frame = pd.read_csv(file, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{file}: cannot read it as CSV: {exc}") from None
    frame.columns = [str(c).strip().lstrip("#") for c in frame.columns]
    missing = [c for c in ("date", "series", "value") if c not in frame.columns]
    if missing:
        raise ReportError(f"{file}: missing column(s) {', '.join(missing)} "
                          "(expected a tidy table date,series,value[,low,high])")
    try:
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
        for col in ("value", "low", "high"):
            if col in frame.columns:
                frame[col] = pd.to_numeric(frame[col])
    except (ValueError, TypeError) as exc:
        raise ReportError(f"{file}: {exc} (expected dates as YYYY-MM-DD and numbers)") from None
    frame["series"] = frame["series"].astype(str)
    return frame


def _read_out_csv(path: Path, results: Results) -> tuple[pd.DataFrame | None, pd.Series | None,
                                                          float | None]:
    file = path / "out.csv"
    if not file.is_file():
        return None, None, None
    from borderflow.metrics import validation_score
    from borderflow.outcsv import read_out_csv

    try:
        frame = read_out_csv(file)
    except (ValueError, OSError) as exc:
        raise ReportError(f"{file}: cannot read it as Flee's out.csv: {exc}") from None
    dates = pd.DatetimeIndex([pd.Timestamp(results.start_date) + pd.Timedelta(days=int(d))
                              for d in frame.index])
    columns = {camp: frame[f"{camp} data"].to_numpy(dtype=float)
               for camp in results.camp_names if f"{camp} data" in frame.columns}
    observed = pd.DataFrame(columns, index=dates) if columns else None
    total = None
    if "raw UNHCR refugee count" in frame.columns:
        total = pd.Series(frame["raw UNHCR refugee count"].to_numpy(dtype=float), index=dates)
    try:
        score = float(validation_score(frame).ard)
    except (ValueError, KeyError, ZeroDivisionError):
        score = None
    return observed, total, score


def load_run(path: str | Path, label: str | None = None) -> Run:
    """Read one results folder; `ReportError` if it is not one or a file cannot be read."""
    from borderflow.results import Results

    path = Path(path)
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    if missing:
        raise ReportError(f"{path}: not a results folder (missing {', '.join(missing)}; "
                          "'borderflow run' writes them)")
    try:
        meta = json.loads((path / "run.json").read_text(encoding="utf-8"))
        results = Results.load(path)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise ReportError(f"{path}: cannot read the results: {type(exc).__name__}: {exc}") from None
    observed, total, score = _read_out_csv(path, results)
    events = None
    if (path / "events.parquet").is_file():
        try:
            events = pd.read_parquet(path / "events.parquet")
        except (ValueError, OSError) as exc:
            raise ReportError(f"{path / 'events.parquet'}: cannot read it: {exc}") from None
    return Run(label=label or path.name, path=path, results=results, meta=meta,
               observed=observed, observed_total=total, series=_read_series(path), score=score,
               events=events)


def load_ensemble(path: str | Path) -> Run:
    """Read an ensemble folder (``borderflow ensemble``) as one Run of medians with bands.

    Members record people per place and day only, so the Run has no links, flows or spawn
    counts (``has_flows`` is False); its bands are the 5–95 % range over members.
    """
    from borderflow.ensemble import EnsembleError, EnsembleStore
    from borderflow.results import Results

    path = Path(path)
    try:
        store = EnsembleStore(path)
        stack = store.stack()  # [members, days, places]
        manifest = store.manifest
        names = tuple(store.location_names)
        camps = tuple(store.camp_names)
        observed_days = store.observed()
        start = date.fromisoformat(manifest["start_date"])
        scenario = manifest.get("scenario", {})
    except (EnsembleError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ReportError(f"{path}: cannot read the ensemble: {exc}") from None
    members, days, _ = stack.shape
    median = np.rint(np.median(stack, axis=0)).astype(np.int64)
    zeros = np.zeros(days, dtype=np.int64)
    results = Results(
        scenario_name=str(scenario.get("name", path.name)), start_date=start,
        seed=int(manifest.get("spec", {}).get("seed", 0)), location_names=names, link_names=(),
        camp_names=camps, location_population=median,
        link_population=np.zeros((days, 0), dtype=np.int64),
        link_arrivals=np.zeros((days, 0), dtype=np.int64), spawned=zeros, removed=zeros)
    low, high = np.percentile(stack, (5, 95), axis=0)
    bands = {name: (low[:, i], high[:, i]) for i, name in enumerate(names)}
    index = [names.index(c) for c in camps]
    for key, values in (("total present", stack.sum(axis=2)),
                        ("in camps", stack[:, :, index].sum(axis=2))):
        bands[key] = tuple(np.percentile(values, (5, 95), axis=0))
    observed = total = None
    if observed_days is not None:
        dates = pd.DatetimeIndex([pd.Timestamp(start) + pd.Timedelta(days=int(d))
                                  for d in observed_days.index])
        cols = [c for c in camps if c in observed_days.columns]
        observed = pd.DataFrame(observed_days[cols].to_numpy(dtype=float), index=dates,
                                columns=cols) if cols else None
        if "total" in observed_days.columns:
            total = pd.Series(observed_days["total"].to_numpy(dtype=float), index=dates)
    meta = {"scenario_path": scenario.get("path")}
    return Run(label=path.name, path=path, results=results, meta=meta, observed=observed,
               observed_total=total, members=members, bands=bands,
               band_label=f"5–95 % of {members} members", has_flows=False)


def load_runs(results_dir: str | Path) -> tuple[list[Run], str]:
    """Read a results folder, an ensemble folder, or a folder of results folders.

    Returns the runs and the kind of report: ``"run"`` (one folder), ``"ensemble"`` (one Run of
    medians with bands) or ``"compare"`` (several runs side by side).
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise ReportError(f"{root}: no such folder (expected a results folder written by "
                          "'borderflow run', an ensemble folder, or a folder of results folders)")
    if is_run_folder(root):
        return [load_run(root)], "run"
    if (root / "manifest.json").is_file() and (root / "members").is_dir():
        return [load_ensemble(root)], "ensemble"
    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and is_run_folder(p))
    if not subfolders:
        raise ReportError(f"{root}: not a results folder ({', '.join(RUN_FILES)}), not an "
                          "ensemble folder (manifest.json, members/) and holds no results folder")
    return [load_run(p) for p in subfolders], "compare"


# ---------------------------------------------------------------------------------------------
# Scenario: geography and policies


def load_report_scenario(scenario_path: str | Path | None, run: Run,
                         warnings: list[str]) -> Scenario | None:
    """The scenario named on the command line, else the one ``run.json`` records, else None.

    An explicit path that cannot be loaded is an error; a recorded one only a warning.
    """
    from borderflow.scenario import load_scenario
    from borderflow.scenario.errors import ScenarioError

    explicit = scenario_path is not None
    if not explicit:
        recorded = run.meta.get("scenario_path")
        if not recorded:
            return None
        scenario_path = Path(recorded)
        if not scenario_path.is_absolute() and (run.path / scenario_path).is_dir():
            scenario_path = run.path / scenario_path
    path = Path(scenario_path)
    problem = None
    if not path.is_dir():
        problem = f"{path}: no such scenario folder"
    else:
        try:
            return load_scenario(path)
        except ScenarioError as exc:
            problem = f"invalid scenario {path}:\n{exc}"
    if explicit:
        raise ReportError(problem)
    warnings.append(f"scenario recorded in run.json not used ({problem}); no map")
    return None


@dataclass(frozen=True)
class PolicyPeriod:
    """A policy in force from day ``start`` (inclusive) to ``end`` (exclusive; None: to the end).

    ``links`` lists the undirected links (as frozensets of the two place names) it closes.
    """

    kind: str
    label: str
    start: int
    end: int | None
    links: frozenset[frozenset[str]] = frozenset()

    def active(self, day: int) -> bool:
        """Whether the policy is in force on ``day``."""
        return self.start <= day and (self.end is None or day < self.end)


def policy_periods(scenario: Scenario) -> list[PolicyPeriod]:
    """Policy periods of a scenario: closures.csv, then what policies.yml schedules.

    Flee enacts a closure on its start day and lifts it on its end day (−1: never). From
    policies.yml: one-way blocks, turn-back periods (turn-back probability above 0), flight stops
    (seats per week back to 0 after a first flight), voluntary-return periods and return flights.
    """
    country = {loc.name: loc.country for loc in scenario.locations}
    pairs = [frozenset((r.name1, r.name2)) for r in scenario.routes]
    periods = []
    for c in scenario.closures:
        end = None if c.end < 0 else c.end
        kind, links = "closure", frozenset()
        if c.closure_type == "country":
            label = f"border closed: {c.name1} – {c.name2}"
            want = {c.name1, c.name2}
            links = frozenset(p for p in pairs if len(p) == 2
                              and {country.get(n) for n in p} == want)
        elif c.closure_type == "location":
            label = f"{c.name1} closed"
            links = frozenset(p for p in pairs if c.name1 in p)
        elif c.closure_type == "link":
            label = f"link closed: {c.name1} – {c.name2}"
            links = frozenset({frozenset((c.name1, c.name2))})
        elif c.closure_type in ("camp", "idpcamp"):
            label = f"camp {c.name1} closed (treated as a town)"
        else:
            kind = "other"
            label = f"{c.closure_type}: {c.name1} – {c.name2}"
        periods.append(PolicyPeriod(kind, label, c.start, end, links))
    pol = getattr(scenario, "policies", None)
    if pol is not None:
        periods += _policies_yml_periods(pol)
    return periods


def _positive_runs(steps) -> list[tuple[int, int | None, float]]:
    """(start, end, max value) of the stretches where a step series is above 0 (end exclusive)."""
    runs: list[tuple[int, int | None, float]] = []
    start, top = None, 0.0
    for step in sorted(steps, key=lambda s: s.day):
        if step.value > 0 and start is None:
            start, top = step.day, float(step.value)
        elif step.value > 0:
            top = max(top, float(step.value))
        elif step.value <= 0 and start is not None:
            runs.append((start, step.day, top))
            start = None
    if start is not None:
        runs.append((start, None, top))
    return runs


def _policies_yml_periods(pol) -> list[PolicyPeriod]:
    periods = []
    for b in pol.blocks:  # one way only: the link stays open on the map
        periods.append(PolicyPeriod("block", f"closed one way: {b.src} → {b.dst}", b.start,
                                    None if b.end < 0 else b.end))
    for c in pol.crossings:
        for start, end, top in _positive_runs(c.turnback_probability):
            periods.append(PolicyPeriod("turn-back", f"turn-backs at {c.src} → {c.dst} "
                                        f"(up to {top:.0%})", start, end))
    for a in pol.arrivals:
        flying = _positive_runs(a.seats_per_week)
        for (_, stop, _), (restart, _, _) in zip(flying, [*flying[1:], (None, None, 0)],
                                                  strict=True):
            if stop is not None:
                periods.append(PolicyPeriod("flight ban", f"no flights {a.origin} → {a.to}",
                                            stop, restart))
    for v in pol.voluntary_returns:
        periods.append(PolicyPeriod("returns", f"voluntary returns from {v.location} "
                                    f"({v.rate:.1%} a day)", v.start, None if v.end < 0 else v.end))
    for f in pol.return_flights:
        periods.append(PolicyPeriod("returns", f"return flights from {f.location}", f.day,
                                    f.day + 1))
    return periods


def _geometry(scenario: Scenario, results: Results, warnings: list[str]) -> MapGeometry | None:
    from borderflow.report.plots import MapGeometry
    from borderflow.scenario.flee_format import classify_location_type

    by_name = {loc.name: loc for loc in scenario.locations}
    names = list(results.location_names)
    missing = [n for n in names if n not in by_name]
    if missing:
        warnings.append(f"scenario {scenario.name} does not hold {len(missing)} place(s) of the "
                        f"results (e.g. {missing[0]}); no map")
        return None
    index = {n: i for i, n in enumerate(names)}
    links, seen = [], set()
    for r in scenario.routes:
        key = frozenset((r.name1, r.name2))
        if r.name1 in index and r.name2 in index and key not in seen and len(key) == 2:
            seen.add(key)
            links.append((index[r.name1], index[r.name2]))
    locs = [by_name[n] for n in names]
    kinds = [_KIND_NAMES.get(classify_location_type(loc.location_type) or "", "place")
             for loc in locs]
    return MapGeometry(names=names, lon=np.array([loc.lon for loc in locs]),
                       lat=np.array([loc.lat for loc in locs]), kinds=kinds,
                       countries=[loc.country for loc in locs], links=links)


def _link_flows(geo: MapGeometry, results: Results) -> np.ndarray:
    """People who reached the end of each undirected link per day: int[days, links]."""
    column = {name: k for k, name in enumerate(results.link_names)}
    arrivals = np.asarray(results.link_arrivals)
    out = np.zeros((results.days, len(geo.links)), dtype=np.int64)
    for k, (i, j) in enumerate(geo.links):
        a, b = geo.names[i], geo.names[j]
        for name in (f"{a}->{b}", f"{b}->{a}"):
            if name in column:
                out[:, k] += arrivals[:, column[name]]
    return out


def _closed_mask(geo: MapGeometry, periods: list[PolicyPeriod], days: int) -> np.ndarray:
    mask = np.zeros((days, len(geo.links)), dtype=bool)
    keys = [frozenset((geo.names[i], geo.names[j])) for i, j in geo.links]
    for p in periods:
        cols = [k for k, key in enumerate(keys) if key in p.links]
        if cols:
            mask[p.start:(days if p.end is None else p.end), cols] = True
    return mask


# ---------------------------------------------------------------------------------------------
# Building the figures


class Figures:
    """The figures of a report in page order (file stem, figure, caption).

    `add` returns the figure as HTML when the report is a page, and nothing when only the PNG
    files are wanted (no SVG is made then).
    """

    def __init__(self, html: bool) -> None:
        self.html = html
        self.items: list[tuple[str, Figure, str]] = []

    def add(self, stem: str, fig: Figure, caption: str) -> Markup:
        from borderflow.report.html import Markup, figure_html
        from borderflow.report.plots import to_svg

        self.items.append((stem, fig, caption))
        if not self.html:
            return Markup("")
        return figure_html(to_svg(fig), fig.get_suptitle() or stem, caption)


def _spans(run: Run, periods: list[PolicyPeriod]):
    from borderflow.report.plots import Span

    start, days = run.results.start_date, run.results.days
    return [Span(p.label, start + timedelta(days=p.start),
                 start + timedelta(days=days if p.end is None else min(p.end, days)), p.kind)
            for p in periods if p.start < days]


def default_map_days(days: int) -> list[int]:
    """Four days spread over the run, the last one included."""
    if days <= 0:
        return []
    picks = sorted({round(k * (days - 1) / 4) for k in (1, 2, 3, 4)})
    return picks


def _directed_crossings(geo: MapGeometry, results: Results) -> dict[str, np.ndarray]:
    """Daily arrivals over borders by direction, e.g. ``"A → B": int[days]``."""
    country = dict(zip(geo.names, geo.countries, strict=True))
    column = {name: k for k, name in enumerate(results.link_names)}
    out: dict[str, np.ndarray] = {}
    for k, (i, j) in enumerate(geo.links):
        if not geo.is_border(k):
            continue
        for a, b in ((geo.names[i], geo.names[j]), (geo.names[j], geo.names[i])):
            name = f"{a}->{b}"
            if name in column:
                key = f"{country[a]} → {country[b]}"
                values = np.asarray(results.link_arrivals)[:, column[name]].astype(np.int64)
                out[key] = out.get(key, 0) + values
    return {k: v for k, v in sorted(out.items()) if np.any(v)}


def _map_frames(run: Run, geo: MapGeometry, periods: list[PolicyPeriod], days: list[int]):
    from borderflow.report.plots import MapFrame

    r = run.results
    flows = np.cumsum(_link_flows(geo, r), axis=0)
    closed = _closed_mask(geo, periods, r.days)
    border = np.array([geo.is_border(k) for k in range(len(geo.links))], dtype=bool)
    frames = []
    for d in days:
        frames.append(MapFrame(
            title=f"day {d}: {r.date_of(d).isoformat()}",
            population=r.location_population[d],
            flow=flows[d],
            closed=closed[d],
            crossings=np.where(border, flows[d], 0),
        ))
    return frames


def _interactive_map(run: Run, geo: MapGeometry, periods: list[PolicyPeriod]) -> Markup:
    from borderflow.report.html import MapData, interactive_map_html
    from borderflow.report.plots import KIND_COLOURS, label_set, project

    r = run.results
    step = max(1, -(-r.days // 366))
    frames = list(range(0, r.days, step))
    if frames and frames[-1] != r.days - 1:
        frames.append(r.days - 1)
    flows = np.cumsum(_link_flows(geo, r), axis=0)
    border = [geo.is_border(k) for k in range(len(geo.links))]
    closed = _closed_mask(geo, periods, r.days)
    x, y = project(geo.lon, geo.lat)
    labelled = label_set(geo, r.location_population.max(axis=0))
    data = MapData(
        names=list(geo.names), x=x, y=y, kinds=list(geo.kinds),
        colours=[KIND_COLOURS.get(k, "#8C8C8C") for k in geo.kinds],
        links=list(geo.links), border=border,
        labelled=[i in labelled for i in range(len(geo.names))],
        dates=[f"day {d}: {r.date_of(d).isoformat()}" for d in frames],
        population=r.location_population[frames],
        closed=closed[frames],
        flow=flows[frames],
        crossings=flows[frames][:, [k for k, b in enumerate(border) if b]],
    )
    kinds = [k for k in KIND_COLOURS if k in set(geo.kinds)]
    return interactive_map_html(data, [(k, KIND_COLOURS[k]) for k in kinds])


# ---------------------------------------------------------------------------------------------
# The report


@dataclass
class Report:
    """Title, sections and warnings of a report (its figures are in `Figures`)."""

    title: str
    subtitle: str
    sections: list[Section]
    warnings: list[str]
    script: str | None = None


def write_report(
    results_dir: str | Path,
    output: str | Path,
    *,
    fmt: str = "html",
    scenario: str | Path | None = None,
    map_days: list[int] | None = None,
) -> tuple[list[Path], list[str]]:
    """Write the report of ``results_dir`` to ``output``; return the files written and warnings.

    ``fmt="html"`` writes one self-contained page to ``output`` (``output/report.html`` when
    ``output`` is a folder); ``fmt="png"`` writes the same figures as PNG files into the folder
    ``output``. ``map_days`` are the days of the map's small multiples (default: four days
    spread over the run).
    """
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    output = Path(output)
    if fmt == "png" and output.exists() and not output.is_dir():
        raise ReportError(f"{output}: exists and is not a folder (--format png writes a folder "
                          "of PNG files)")
    runs, kind = load_runs(results_dir)
    figures = Figures(html=fmt == "html")
    if kind == "compare":
        report = _build_compare_report(runs, figures, scenario=scenario)
    else:
        report = _build_run_report(runs[0], figures, scenario=scenario, map_days=map_days)
    if fmt == "png":
        from borderflow.report.plots import to_png

        written = [to_png(fig, output / f"{n:02d}-{stem}.png")
                   for n, (stem, fig, _) in enumerate(figures.items, start=1)]
        return written, report.warnings
    from borderflow import __version__
    from borderflow.report.html import page_html

    if output.is_dir():
        output = output / "report.html"
    footer = (f"Made by borderflow {__version__} from aggregate counts. Simulated numbers are "
              "model output; only the series marked observed are data.")
    text = page_html(report.title, report.subtitle, report.sections, footer=footer,
                     script=report.script)
    from borderflow.results import atomic_write

    atomic_write(output, lambda p: p.write_text(text, encoding="utf-8"))
    return [output], report.warnings


def _build_run_report(run: Run, figures: Figures, *, scenario: str | Path | None,
                      map_days: list[int] | None) -> Report:
    from borderflow.report import html, plots

    warnings: list[str] = []
    r = run.results
    sc = load_report_scenario(scenario, run, warnings)
    geo = _geometry(sc, r, warnings) if sc is not None else None
    periods = policy_periods(sc) if sc is not None else []
    spans = _spans(run, periods)
    name = r.scenario_name
    sections: list[Section] = []
    script = None

    cards = html.cards_html(html.run_cards(run))
    sections.append(html.section_html("summary", "Key numbers", cards,
                                      intro=_summary_text(run, sc)))
    if geo is not None and r.days:
        days = [d for d in (map_days or default_map_days(r.days)) if 0 <= d < r.days]
        if not days:
            raise ReportError(f"map days: none of {map_days} lies in 0..{r.days - 1}")
        fig = plots.map_figure(f"{name}: people at each place on {len(days)} days", geo,
                               _map_frames(run, geo, periods, days))
        caption = ("Circle area: people at the place on that day. Line width: people who had "
                   "travelled the link. Numbers on dashed border links: people who had crossed.")
        sections.append(html.section_html(
            "map", "Map", _interactive_map(run, geo, periods), figures.add("map", fig, caption),
            intro="Places at their coordinates (longitude and latitude, equirectangular "
                  "projection). Move the slider to see another day; below, four days side by "
                  "side."))
        script = html.MAP_SCRIPT
    if spans:
        fig = plots.policy_timeline_figure(f"{name}: policy timeline", spans, r.start_date,
                                           r.date_of(r.days - 1) + timedelta(days=1))
        caption = "Policies in force, from the scenario's closures.csv and policies.yml."
        sections.append(html.section_html(
            "policies", "Policies", figures.add("policies", fig, caption),
            html.policy_table(run, periods)))
    capacity = ({loc.name: loc.population for loc in sc.locations} if sc is not None else {})
    panels = plots.camp_panels(run, capacity)
    if panels:
        fig = plots.timeseries_figure(f"{name}: people in each camp", panels, spans=spans,
                                      ncols=3 if len(panels) > 4 else 2)
        caption = "Simulated and observed people per camp; shaded: policies in force."
        sections.append(html.section_html("camps", "Camps", figures.add("camps", fig, caption)))
    fig = plots.timeseries_figure(f"{name}: totals", plots.total_panels(run), spans=spans)
    parts = [figures.add("totals", fig, "Totals over all places; shaded: policies in force.")]
    other = plots.other_places_panel(run)
    if other is not None:
        fig = plots.timeseries_figure(f"{name}: other places", [other], spans=spans, ncols=1,
                                      panel_height=3.2)
        parts.append(figures.add("places", fig, "Places other than camps, largest peak first."))
    sections.append(html.section_html("totals", "Totals and places", *parts))
    if geo is not None:
        panels = plots.crossing_panels(r.dates, _directed_crossings(geo, r))
        if panels:
            fig = plots.timeseries_figure(f"{name}: border crossings", panels, spans=spans)
            caption = ("People who reached the far end of a link between two countries, by "
                       "direction.")
            sections.append(html.section_html("crossings", "Border crossings",
                                              figures.add("crossings", fig, caption)))
    panels = plots.event_panels(run)
    if panels:
        fig = plots.timeseries_figure(f"{name}: stranded and detained people", panels,
                                      spans=spans)
        caption = ("Stranded: people who have attempted a crossing at least once and stand at "
                   "the place. Places with the highest peaks; black: all places.")
        sections.append(html.section_html("stranded", "Stranded and detained people",
                                          figures.add("stranded", fig, caption)))
    if run.series is not None:
        panels = plots.series_panels([run])
        parts = []
        if panels:
            fig = plots.timeseries_figure(f"{name}: daily series", panels, spans=spans,
                                          ncols=3 if len(panels) > 4 else 2)
            parts.append(figures.add("series", fig, "Daily series from series.csv."))
        sections.append(html.section_html(
            "series", "Exposure, crossings and other daily series", *parts,
            html.series_table([run]),
            intro="Every series in series.csv; series that are 0 on every day are in the "
                  "table only."))
    kinds = dict(zip(geo.names, geo.kinds, strict=True)) if geo is not None else None
    sections.append(html.needs_section(run, kinds))
    sections.append(html.section_html("notes", "About this report", *_notes(run, sc, warnings)))
    subtitle = (f"{r.days} days, seed {r.seed}" if run.members == 1
                else f"{r.days} days, ensemble of {run.members} members")
    subtitle += f" · results folder {run.path.name}"
    return Report(_title(r.scenario_name, r.start_date, r.days), subtitle, sections, warnings,
                  script)


def _build_compare_report(runs: list[Run], figures: Figures, *,
                          scenario: str | Path | None) -> Report:
    from borderflow.report import html, plots

    warnings: list[str] = []
    sc = load_report_scenario(scenario, runs[0], warnings) if scenario is not None else None
    spans = _spans(runs[0], policy_periods(sc)) if sc is not None else []
    root = runs[0].path.parent
    names = sorted({run.results.scenario_name for run in runs})
    sections = [html.section_html(
        "table", "Key totals", html.compare_table(runs),
        intro=f"{len(runs)} runs side by side, one column per results folder.")]
    tables = []
    for path in sorted(root.glob("*.csv")):
        try:
            tables.append(html.csv_table(path))
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            warnings.append(f"{path.name} not shown: {exc}")
    if tables:
        sections.append(html.section_html("compare", "Comparison table", *tables))
    totals, camps = plots.compare_panels(runs)
    fig = plots.timeseries_figure("Totals by run", totals, spans=spans)
    parts = [figures.add("totals", fig, "One line per run; shaded: policies in force.")]
    if camps:
        fig = plots.timeseries_figure("People in each camp by run", camps, spans=spans,
                                      ncols=3 if len(camps) > 4 else 2)
        parts.append(figures.add("camps", fig, "One line per run; observed counts in black."))
    sections.append(html.section_html("charts", "Charts", *parts))
    panels = plots.series_panels(runs)
    if panels:
        fig = plots.timeseries_figure("Daily series by run", panels, spans=spans,
                                      ncols=3 if len(panels) > 4 else 2)
        sections.append(html.section_html(
            "series", "Exposure, crossings and other daily series",
            figures.add("series", fig, "Daily series from each run's series.csv."),
            html.series_table(runs)))
    notes = ["Each column of the table and each line of the charts is one results folder."]
    notes += [f"Note: {w}" for w in warnings]
    sections.append(html.section_html("notes", "About this report", *notes))
    first = min(run.results.start_date for run in runs)
    days = max((run.results.start_date - first).days + run.results.days for run in runs)
    title = _title(", ".join(names), first, days, what="comparison of runs")
    return Report(title, f"{len(runs)} runs · folder {root.name}", sections, warnings)


def _title(name: str, start: date, days: int, what: str = "displacement report") -> str:
    end = start + timedelta(days=max(days - 1, 0))
    return f"{name}: {what}, {start.isoformat()} to {end.isoformat()}"


def _summary_text(run: Run, sc: Scenario | None) -> str:
    r = run.results
    text = (f"Scenario {r.scenario_name}, simulated from {r.start_date.isoformat()} for "
            f"{r.days} days")
    text += f" with seed {r.seed}." if run.members == 1 else f" ({run.members} members, medians)."
    if sc is None:
        text += (" No scenario folder is known (--scenario), so there is no map and no policy "
                 "timeline.")
    return text


def _notes(run: Run, sc: Scenario | None, warnings: list[str]) -> list[str]:
    notes = [
        "Each day's numbers are the state after that day's moves. People travelling are on a "
        "link between two places; they are counted in the totals but at no place.",
        "Observed series are the scenario's source data, interpolated between report dates as "
        "Flee does.",
    ]
    if run.members > 1:
        notes.append(f"Ensemble of {run.members} members: lines are medians; shaded bands: "
                     f"{run.band_label}.")
    if sc is not None:
        notes.append(f"Scenario folder: {sc.path}.")
    notes += [f"Note: {w}" for w in warnings]
    return notes
