"""Assemble the report as one self-contained HTML page: inline CSS, figures as data URIs.

The page makes no network request: figures are SVG documents embedded as ``data:`` URIs in
``<img>`` elements (an image cannot run scripts, and its ids cannot clash with the page's), the
stylesheet is inline, and the only script is the small one that moves the interactive map through
the days. Every string that comes from a scenario or results file goes through `esc` (text and
attributes) or `json_for_script` (data read by the script); `Markup` marks text that is already
HTML, so nothing is escaped twice and nothing is left unescaped by accident.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from borderflow.report.needs import SPHERE_2018, needs_table

if TYPE_CHECKING:
    from borderflow.report import PolicyPeriod, Run

__all__ = [
    "MAP_SCRIPT",
    "MapData",
    "Markup",
    "Num",
    "Section",
    "cards_html",
    "compare_table",
    "csv_table",
    "esc",
    "figure_html",
    "format_value",
    "interactive_map_html",
    "json_for_script",
    "needs_section",
    "page_html",
    "policy_table",
    "run_cards",
    "section_html",
    "series_table",
    "table_html",
]


class Markup(str):
    """A string that is already HTML and must not be escaped again."""

    __slots__ = ()


class Num(str):
    """A number already formatted as text: escaped, but right-aligned in tables like numbers."""

    __slots__ = ()


def esc(value: object) -> Markup:
    """``value`` as HTML text or attribute value (``& < > " '`` escaped); Markup passes as is."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def json_for_script(value: object) -> Markup:
    """JSON that is safe inside ``<script>``: ``<``, ``>`` and ``&`` written as ``\\u003c`` etc.

    Non-ASCII characters (including U+2028 and U+2029, line breaks in old JavaScript) are written
    as ``\\u`` escapes too, so no string can close the script element or break the statement.
    """
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def format_value(value: object, digits: int = 1) -> str:
    """Numbers with thousands separators (floats with ``digits`` decimals), dates in ISO form."""
    if value is None:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return "–"
        return f"{float(value):,.{digits}f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _whole(value: float) -> int | float:
    """``value`` as an int when it is a whole number (so tables show no decimals)."""
    value = float(value)
    return int(value) if math.isfinite(value) and value.is_integer() else value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating | Num) and not isinstance(
        value, bool | np.bool_)


def table_html(columns: Sequence[str], rows: Iterable[Sequence[object]], *,
               caption: str | None = None, total_rows: int = 0,
               digits: Sequence[int] | None = None) -> Markup:
    """A table: numbers right-aligned with thousands separators, text escaped.

    The last ``total_rows`` rows are shown as totals; ``digits[c]`` is the number of decimals
    for column c (default 1).
    """
    rows = [list(r) for r in rows]
    out = ['<div class="table-wrap"><table>']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
               + "</tr></thead><tbody>")
    for n, row in enumerate(rows):
        cls = ' class="total"' if n >= len(rows) - total_rows else ""
        cells = []
        for c, value in enumerate(row):
            d = digits[c] if digits is not None and c < len(digits) else 1
            if _is_number(value):
                cells.append(f'<td class="num">{esc(format_value(value, d))}</td>')
            elif isinstance(value, date):
                cells.append(f'<td class="date">{esc(format_value(value, d))}</td>')
            else:
                cells.append(f"<td>{esc(format_value(value, d))}</td>")
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return Markup("".join(out))


def figure_html(svg: str, alt: str, caption: str | None = None) -> Markup:
    """An SVG figure as an ``<img>`` with a ``data:`` URI, and an optional caption."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return Markup(f'<figure><img alt="{esc(alt)}" src="data:image/svg+xml;base64,{data}">'
                  f"{cap}</figure>")


def cards_html(cards: Sequence[tuple[str, object, str | None]]) -> Markup:
    """Headline numbers: (label, value, note) per card."""
    parts = ['<div class="cards">']
    for label, value, note in cards:
        note_html = f'<div class="note">{esc(note)}</div>' if note else ""
        parts.append(f'<div class="card"><div class="value">{esc(format_value(value))}</div>'
                     f'<div class="label">{esc(label)}</div>{note_html}</div>')
    parts.append("</div>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Section:
    """One section of the page; ``body`` is HTML."""

    anchor: str
    title: str
    body: Markup


def section_html(anchor: str, title: str, *parts: str, intro: str | None = None) -> Section:
    """A section from HTML parts (`Markup`) and plain-text paragraphs (escaped)."""
    body = [f'<p class="intro">{esc(intro)}</p>'] if intro else []
    for part in parts:
        body.append(part if isinstance(part, Markup) else f"<p>{esc(part)}</p>")
    return Section(anchor, title, Markup("".join(body)))


_CSS = """
:root { --ink:#1f2328; --muted:#5a6270; --line:#d8dde3; --bg:#f6f7f9; --accent:#0072B2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:var(--ink); background:var(--bg); }
header { background:#13324b; color:#fff; padding:28px 32px 22px; }
header h1 { margin:0 0 6px; font-size:26px; font-weight:650; }
header .sub { color:#cfe0ee; font-size:15px; }
nav { background:#fff; border-bottom:1px solid var(--line); padding:8px 32px; position:sticky;
  top:0; z-index:2; font-size:13px; }
nav a { color:var(--accent); text-decoration:none; margin-right:16px; white-space:nowrap; }
main { max-width:1180px; margin:0 auto; padding:18px 24px 40px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:18px 22px;
  margin:18px 0; }
section h2 { margin:0 0 10px; font-size:19px; }
p { margin:8px 0; } .intro { color:var(--muted); }
figure { margin:12px 0; } figure img { width:100%; height:auto; display:block; }
figcaption { color:var(--muted); font-size:13px; margin-top:4px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(140px,1fr)); gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px 14px; background:#fbfcfd; }
.card .value { font-size:24px; font-weight:650; font-variant-numeric:tabular-nums; }
.card .label { color:var(--muted); font-size:13px; }
.card .note { color:var(--muted); font-size:12px; margin-top:2px; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; margin:8px 0; }
caption { text-align:left; color:var(--muted); padding:4px 0; caption-side:top; }
th, td { padding:5px 9px; border-bottom:1px solid var(--line); text-align:left;
  vertical-align:top; }
th { background:#eef2f6; font-weight:600; }
td.date { white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.total td { font-weight:650; border-top:2px solid #9aa4af; }
tbody tr:nth-child(even) td { background:#fafbfc; }
.map-controls { display:flex; gap:14px; align-items:center; margin:6px 0 4px; }
.map-controls input { flex:1; }
.map-date { font-weight:650; min-width:16em; font-variant-numeric:tabular-nums; }
svg.map { width:100%; height:auto; background:#fcfdfd; border:1px solid var(--line);
  border-radius:6px; }
svg.map .ln { stroke:#9a9a9a; stroke-linecap:round; }
svg.map .ln.border { stroke:#E69F00; stroke-dasharray:7 5; }
svg.map .ln.closed { stroke:#B00000; stroke-dasharray:2 4; }
svg.map circle { stroke:#222; stroke-width:0.7; fill-opacity:0.85; }
svg.map text { font-size:12px; fill:#1f2328; paint-order:stroke; stroke:#fff; stroke-width:3px; }
svg.map text .n { fill:#5a6270; }
svg.map text.cx { fill:#8A5A00; font-size:11px; }
svg.map .hid { display:none; }
.legend { display:flex; flex-wrap:wrap; gap:14px; font-size:12px; color:var(--muted); }
.legend span i { display:inline-block; width:11px; height:11px; border-radius:50%;
  border:1px solid #222; margin-right:5px; vertical-align:-1px; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:20px; }
"""


def page_html(title: str, subtitle: str, sections: Sequence[Section], *, footer: str,
              script: str | None = None) -> str:
    """The whole page; section titles become the navigation bar."""
    nav = "".join(f'<a href="#{esc(s.anchor)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{s.body}</section>'
                   for s in sections)
    js = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><div class=\"sub\">{esc(subtitle)}</div></header>"
        f"<nav>{nav}</nav><main>{body}</main><footer>{esc(footer)}</footer>{js}"
        "</body></html>\n"
    )


# --- the interactive map ----------------------------------------------------------------------

MAP_SCRIPT = """
(function () {
  var root = document.getElementById("bf-map");
  if (!root) { return; }
  var data = JSON.parse(document.getElementById("bf-map-data").textContent);
  var slider = document.getElementById("bf-map-day");
  var label = document.getElementById("bf-map-date");
  var circles = root.querySelectorAll(".pl circle");
  var counts = root.querySelectorAll(".pl .n");
  var links = root.querySelectorAll(".ln");
  var cross = root.querySelectorAll(".cx");
  function fmt(n) { return n.toLocaleString("en-US"); }
  function radius(p) { return Math.max(data.rmin, data.rmax * Math.sqrt(p / data.top)); }
  function width(f) { return 1.2 + 6 * Math.sqrt(f / data.flowtop); }
  function show(k) {
    var pop = data.pop[k], closed = data.closed[k], i;
    for (i = 0; i < circles.length; i++) {
      circles[i].setAttribute("r", radius(pop[i]).toFixed(2));
      counts[i].textContent = pop[i] > 0 ? " " + fmt(pop[i]) : "";
    }
    for (i = 0; i < links.length; i++) {
      links[i].classList.toggle("closed", closed.indexOf(i) >= 0);
      links[i].setAttribute("stroke-width", width(data.flow[k][i]).toFixed(2));
    }
    for (i = 0; i < cross.length; i++) {
      var c = data.cross[k][i];
      cross[i].textContent = c > 0 ? fmt(c) + " crossed" : "";
    }
    label.textContent = data.dates[k];
  }
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  show(Number(slider.value));
  root.setAttribute("data-ready", "1");
})();
"""


@dataclass(frozen=True)
class MapData:
    """What the interactive map shows; x and y are projected coordinates (larger y = north)."""

    names: Sequence[str]
    x: np.ndarray
    y: np.ndarray
    kinds: Sequence[str]
    colours: Sequence[str]
    links: Sequence[tuple[int, int]]
    border: Sequence[bool]
    labelled: Sequence[bool]
    dates: Sequence[str]  # one per frame
    population: np.ndarray  # int[frames, places]
    closed: np.ndarray  # bool[frames, links]
    flow: np.ndarray  # int[frames, links]: people who had travelled each link (both ways)
    crossings: np.ndarray  # int[frames, border links]


def interactive_map_html(data: MapData, legend: Sequence[tuple[str, str]]) -> Markup:
    """An SVG map with a day slider; drawn for the last frame, so it reads without the script."""
    width = 1000.0
    margin = 70.0
    x = np.asarray(data.x, dtype=float)
    y = np.asarray(data.y, dtype=float)
    span_x = max(float(np.ptp(x)), 1e-6)
    span_y = max(float(np.ptp(y)), 1e-6)
    scale = (width - 2 * margin) / span_x
    height = min(max(span_y * scale + 2 * margin, 380.0), 800.0)
    scale = min(scale, (height - 2 * margin) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2
    px = off_x + (x - x.min()) * scale
    py = height - off_y - (y - y.min()) * scale
    last = len(data.dates) - 1
    pop = np.asarray(data.population, dtype=np.int64)
    top = max(int(pop.max()) if pop.size else 1, 1)
    rmax, rmin = 34.0, 2.5
    flow = np.asarray(data.flow, dtype=np.int64)
    flow_top = max(int(flow.max()) if flow.size else 1, 1)

    def radius(p: int) -> float:
        return max(rmin, rmax * math.sqrt(p / top))

    def stroke(f: int) -> float:
        return 1.2 + 6 * math.sqrt(f / flow_top)

    parts = [f'<svg class="map" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
             f'aria-label="map of places and links">']
    border_index = []
    for k, (i, j) in enumerate(data.links):
        cls = "ln border" if data.border[k] else "ln"
        if last >= 0 and data.closed.size and data.closed[last, k]:
            cls += " closed"
        w = stroke(int(flow[last, k])) if last >= 0 and flow.size else 1.2
        parts.append(f'<line class="{cls}" x1="{px[i]:.1f}" y1="{py[i]:.1f}" x2="{px[j]:.1f}" '
                     f'y2="{py[j]:.1f}" stroke-width="{w:.2f}"/>')
        if data.border[k]:
            border_index.append(k)
    for b, k in enumerate(border_index):
        i, j = data.links[k]
        c = int(data.crossings[last, b]) if last >= 0 and data.crossings.size else 0
        text = f"{c:,} crossed" if c > 0 else ""
        parts.append(f'<text class="cx" x="{(px[i] + px[j]) / 2:.1f}" '
                     f'y="{(py[i] + py[j]) / 2 + 16:.1f}" text-anchor="middle">{esc(text)}</text>')
    for i, name in enumerate(data.names):
        p = int(pop[last, i]) if last >= 0 else 0
        count = f" {p:,}" if p > 0 else ""
        hid = "" if data.labelled[i] else ' class="hid"'
        right = px[i] > 0.8 * width  # label to the left of places near the right edge
        anchor = ' text-anchor="end"' if right else ""
        tx = px[i] - 8 if right else px[i] + 8
        parts.append(
            f'<g class="pl"><circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="{radius(p):.2f}" '
            f'fill="{esc(data.colours[i])}"><title>{esc(name)} ({esc(data.kinds[i])})</title>'
            f'</circle><text x="{tx:.1f}" y="{py[i] - 8:.1f}"{anchor}{hid}>{esc(name)}'
            f'<tspan class="n">{esc(count)}</tspan></text></g>')
    parts.append("</svg>")
    payload = {
        "dates": list(data.dates),
        "pop": pop.tolist(),
        "closed": [np.flatnonzero(row).tolist() for row in np.asarray(data.closed, bool)],
        "cross": np.asarray(data.crossings, dtype=np.int64).tolist(),
        "flow": flow.tolist(),
        "flowtop": flow_top,
        "top": top,
        "rmax": rmax,
        "rmin": rmin,
    }
    legend_html = "".join(f'<span><i style="background:{esc(colour)}"></i>{esc(label)}</span>'
                          for label, colour in legend)
    legend_html += ("<span>circle area: people at the place; line width: people who had "
                    "travelled the link; dashed orange: border crossing; dotted red: closed</span>")
    controls = (
        '<div class="map-controls"><label for="bf-map-day">Day</label>'
        f'<input id="bf-map-day" type="range" min="0" max="{max(last, 0)}" step="1" '
        f'value="{max(last, 0)}"><span id="bf-map-date" class="map-date">'
        f"{esc(data.dates[last] if last >= 0 else '')}</span></div>"
    )
    return Markup(
        f'<div id="bf-map">{controls}{"".join(parts)}<div class="legend">{legend_html}</div>'
        f'<script type="application/json" id="bf-map-data">{json_for_script(payload)}</script>'
        "</div>"
    )


# --- sections from runs ----------------------------------------------------------------------


def run_cards(run: Run) -> list[tuple[str, object, str | None]]:
    """Headline numbers of one run (or ensemble summary)."""
    r = run.results
    if not r.days:
        return [("days simulated", 0, None)]
    last = r.days - 1
    in_camps = run.in_camps
    peak = int(np.argmax(in_camps))
    observed = None
    if run.observed is not None and len(run.observed):
        observed = f"observed: {run.observed.iloc[-1].sum():,.0f}"
    median = "" if run.members == 1 else " (median)"
    cards: list[tuple[str, object, str | None]] = []
    if run.has_flows:
        cards.append(("people displaced (entered the simulation)", int(r.total_spawned[last]),
                      f"{r.initial:,} of them in camps on day 0" if r.initial else None))
    cards += [
        ("in the simulation on the last day" + median, int(r.total_present[last]),
         r.date_of(last).isoformat()),
        ("in camps on the last day" + median, int(in_camps[last]), observed),
        ("peak in camps" + median, int(in_camps[peak]), r.date_of(peak).isoformat()),
    ]
    if run.has_flows:
        cards += [("travelling on the last day", int(r.link_population[last].sum()), None),
                  ("left the simulation", int(r.removed.sum()), None)]
    if run.members > 1:
        cards.append(("ensemble members", run.members, run.band_label))
    if run.score is not None:
        cards.append(("averaged relative difference to observed camps", f"{run.score:.3f}",
                      "Flee's validation score; 0: same shares as observed"))
    return cards


def policy_table(run: Run, periods: Sequence[PolicyPeriod]) -> Markup:
    """Policies with the day they start and the day they are lifted."""
    r = run.results
    rows = []
    for p in periods:
        until = "not lifted" if p.end is None else f"{r.date_of(p.end).isoformat()} (day {p.end})"
        rows.append([p.label, f"{r.date_of(p.start).isoformat()} (day {p.start})", until,
                     len(p.links)])
    return table_html(["policy", "in force from", "lifted on", "links closed"], rows)


def series_table(runs: Sequence[Run]) -> Markup:
    """Peak, last value and sum over days of every extra daily series."""
    rows = []
    for run in runs:
        if run.series is None:
            continue
        for name, part in run.series.groupby("series", sort=False):
            part = part.sort_values("date")
            values = part["value"].to_numpy(dtype=float)
            at = int(np.argmax(values))
            whole = bool(np.all(values == np.round(values)))
            num = int if whole else float
            rows.append(([run.label] if len(runs) > 1 else []) + [
                str(name), num(values[at]), part["date"].iloc[at].date() if values[at] else None,
                num(values[-1]), num(values.sum())])
    columns = (["run"] if len(runs) > 1 else []) + ["series", "peak", "peak date",
                                                    "last day", "sum over days"]
    return table_html(columns, rows)


def _needs_intro() -> str:
    s = SPHERE_2018
    return (f"Minimum needs in {s.name} units: water {s.water_litres_per_person_day} L per "
            f"person per day, food {s.kcal_per_person_day:,} kcal per person per day, covered "
            f"living space {s.covered_m2_per_person} m² per person, one latrine per "
            f"{s.people_per_latrine} people (rounded up).")


def needs_section(run: Run, kinds: Mapping[str, str] | None = None) -> Section:
    """The needs table: every place with people, and the whole scenario."""
    r = run.results
    label = "Whole scenario (at places and travelling)"
    table = needs_table(r.locations, total=r.total_present, total_label=label)
    kinds = kinds or {}
    rows = [[row.place, *([kinds.get(row.place, "")] if kinds else []), row.people_last_day,
             row.peak_people, row.peak_date, row.water_litres_per_day_at_peak,
             row.kcal_per_day_at_peak, row.covered_m2_at_peak, row.latrines_at_peak,
             row.person_days, row.water_m3_total]
            for row in table.itertuples(index=False)]
    columns = ["place", *(["type"] if kinds else []), "people, last day", "peak people",
               "peak date", "water at peak, L/day", "food at peak, kcal/day",
               "covered space at peak, m²", "latrines at peak", "person-days",
               "water over the period, m³"]
    digits = [0] * (len(columns) - 4) + [1, 0, 0, 1]
    intro = (_needs_intro() + " Each place's needs are given on its peak day, and water also "
             "over the whole period. The last row is for everyone in the simulation on the day "
             "the total peaks, which is not the sum of the places' peaks.")
    return section_html("needs", f"Needs ({SPHERE_2018.name})",
                        table_html(columns, rows, total_rows=1, digits=digits), intro=intro)


def compare_table(runs: Sequence[Run]) -> Markup:
    """Key totals side by side: one column per run, one row per measure."""
    rows: list[list[object]] = []

    def add(name: str, values: Sequence[object]) -> None:
        rows.append([name, *values])

    add("scenario", [run.results.scenario_name for run in runs])
    add("seed", [run.results.seed if run.members == 1 else f"{run.members} runs"
                 for run in runs])
    add("first day", [run.results.start_date for run in runs])
    add("days", [run.results.days for run in runs])
    last = [max(run.results.days - 1, 0) for run in runs]
    add("people displaced (entered)", [int(run.results.total_spawned[t]) if run.results.days
                                       else 0 for run, t in zip(runs, last, strict=True)])
    add("in the simulation, last day", [int(run.results.total_present[t]) if run.results.days
                                        else 0 for run, t in zip(runs, last, strict=True)])
    add("in camps, last day", [int(run.in_camps[t]) if run.results.days else 0
                               for run, t in zip(runs, last, strict=True)])
    add("peak in camps", [int(run.in_camps.max()) if run.results.days else 0 for run in runs])
    add("left the simulation", [int(run.results.removed.sum()) for run in runs])
    add("averaged relative difference", [None if run.score is None else Num(f"{run.score:.4f}")
                                         for run in runs])
    peaks = [needs_table(run.results.locations.iloc[:, :0], total=run.results.total_present)
             .iloc[-1] for run in runs]
    add("peak people (at places and travelling)", [int(p.peak_people) for p in peaks])
    add("water at that peak, L/day", [int(p.water_litres_per_day_at_peak) for p in peaks])
    add("food at that peak, kcal/day", [int(p.kcal_per_day_at_peak) for p in peaks])
    add("covered space at that peak, m²", [float(p.covered_m2_at_peak) for p in peaks])
    add("latrines at that peak", [int(p.latrines_at_peak) for p in peaks])
    add("person-days", [int(p.person_days) for p in peaks])
    names: list[str] = []
    for run in runs:
        if run.series is not None:
            names += [s for s in run.series["series"].unique() if s not in names]
    for name in names:
        peak, total = [], []
        for run in runs:
            part = None if run.series is None else run.series[run.series["series"] == name]
            empty = part is None or part.empty
            peak.append(None if empty else _whole(part["value"].max()))
            total.append(None if empty else _whole(part["value"].sum()))
        add(f"{name}: peak", peak)
        add(f"{name}: sum over days", total)
    return table_html(["measure", *[run.label for run in runs]], rows,
                      caption=_needs_intro())


def csv_table(path: Path, max_rows: int = 200) -> Markup:
    """A CSV file shown as a table (at most ``max_rows`` rows); the file name is the caption."""
    import pandas as pd

    frame = pd.read_csv(path)
    shown = frame.head(max_rows)
    caption = path.name + ("" if len(frame) <= max_rows else
                           f" (first {max_rows} of {len(frame)} rows)")
    rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in row]
            for row in shown.itertuples(index=False)]
    return table_html([str(c) for c in frame.columns], rows, caption=caption,
                      digits=[4] * len(frame.columns))
