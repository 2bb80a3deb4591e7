"""Load and validate a scenario folder written in Flee's format, unmodified.

`load_scenario` finds the input files in any of the three layouts Flee users have (Flee 3.1's
``input_csv/`` + ``conflict_period.csv``, the newer ``sim_period.csv``, or every file in one
folder), reads ``locations.csv``, ``routes.csv``, ``closures.csv``, ``conflicts.csv``, the period
file, ``simsetting.yml`` (through `borderflow.scenario.simsetting`) and the UNHCR series (through
`borderflow.scenario.series`), checks every cell and every cross-file rule, and returns a frozen
`Scenario`. Cells are checked against the table in `borderflow.scenario.rules`;
files are read through `borderflow.scenario.csvtext`, which keeps every read inside the scenario
folder. Nothing is fixed silently: every problem found in any file is collected and raised
together in one `ScenarioError` as ``file:line:column: what (expected …)``, with paths relative
to the scenario folder. Oddities Flee tolerates (names in conflicts.csv that are not locations,
unknown keys in simsetting.yml) become ``Scenario.warnings`` instead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from borderflow.params import Settings, settings_from_values
from borderflow.scenario.csvtext import data_file_problem, read_rows, read_text
from borderflow.scenario.errors import Problem, ScenarioError
from borderflow.scenario.model import (
    Closure,
    ConflictTable,
    Location,
    ObservedData,
    Route,
    Scenario,
)
from borderflow.scenario.rules import (
    CLOSURE_TYPES,
    HEADER_WORD,
    LOCATION_KINDS,
    MIN_COLUMNS,
    PERIOD,
    ColumnRule,
    check_cell,
    classify_location_type,
    did_you_mean,
    hint,
    parse_date,
    parse_number,
    rule,
    rules_for,
)
from borderflow.scenario.simsetting import apply_overrides, read_settings

__all__ = ["CLOSURE_TYPES", "LOCATION_KINDS", "classify_location_type", "load_scenario"]


@functools.cache
def _positional(file: str) -> tuple[ColumnRule, ...]:
    return tuple(r for r in rules_for(file) if r.column is not None)


def _by_header(file: str) -> dict[str, ColumnRule]:
    return {r.name: r for r in rules_for(file) if r.column is None}


_LOC_RULES = _positional("locations.csv")
_ROUTE_RULES = _positional("routes.csv")
_CLOSURE_RULES = _positional("closures.csv")
_LOC_COLUMNS = tuple(r.name for r in _LOC_RULES)
_ROUTE_COLUMNS = tuple(r.name for r in _ROUTE_RULES)
_CLOSURE_COLUMNS = tuple(r.name for r in _CLOSURE_RULES)
_MAX_PROBLEMS_PER_FILE = 50

# ---------------------------------------------------------------------------------------------
# Problem collection and CSV reading


@dataclass
class _Collector:
    """Problems and warnings found so far, with paths made relative to the scenario folder."""

    root: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def add(self, file: str, line: int | None, column: int | None, message: str) -> None:
        count = self._counts.get(file, 0) + 1
        self._counts[file] = count
        if count <= _MAX_PROBLEMS_PER_FILE:
            self.problems.append(Problem(file, line, column, message))

    def extend(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            self.add(p.file, p.line, p.column, p.message)

    def cell(self, file: str, line: int, r: ColumnRule, text: str, *,
             column: int | None = None, low: float | None = None) -> tuple[Any, bool]:
        """Check a cell against its rule, recording a problem; ``(value, ok)``."""
        value, err = check_cell(r, text, low=low)
        if err:
            self.add(file, line, column or r.column, err)
        return value, err is None

    def warn(self, file: str, line: int | None, column: int | None, message: str) -> None:
        self.warnings.append(str(Problem(file, line, column, message)))

    def finish(self) -> None:
        for file, count in self._counts.items():
            if count > _MAX_PROBLEMS_PER_FILE:
                more = count - _MAX_PROBLEMS_PER_FILE
                self.problems.append(Problem(file, None, None, f"... and {more} more problems"))


@dataclass
class _Table:
    """A CSV file split into its header (if any) and data rows with their line numbers."""

    file: str
    header: list[str] | None
    rows: list[tuple[int, list[str]]]
    header_line: int | None = None
    end_line: int = 1  # the line after the last row: where a missing row would go


def _read_text(col: _Collector, path: Path, what: str, *, required: bool) -> str | None:
    """The file's text (BOM dropped), or None after recording why it cannot be read."""
    text, found = read_text(path, col.rel(path), what, root=col.root, required=required)
    col.extend(found)
    return text


def _looks_like_header(cells: list[str], probe: Iterable[int]) -> bool:
    """True when every probed (numeric) column holds a word such as ``distance``."""
    probe = list(probe)
    return bool(probe) and all(
        i < len(cells) and HEADER_WORD.match(cells[i].strip('"')) is not None
        and parse_number(cells[i]) is None for i in probe)


def _clean_header(cells: list[str]) -> list[str]:
    out = [c.strip() for c in cells]
    if out:
        out[0] = out[0].lstrip("#").strip()
    return [c.strip('"').strip() for c in out]


def _read_csv(col: _Collector, path: Path, what: str, *, required: bool,
              probe: Iterable[int] = ()) -> _Table | None:
    """Read a Flee CSV: ``#`` rows are comments (the first one before data is the header).

    A first data row whose ``probe`` columns hold words instead of numbers is taken as a header
    written without its ``#`` (Flee would crash on it) and reported as a warning. None when the
    file cannot be read at all (the reason is recorded).
    """
    text = _read_text(col, path, what, required=required)
    if text is None:
        return None
    name = col.rel(path)
    raw_rows, found = read_rows(text, name)
    col.extend(found)
    if found and not raw_rows:
        return None
    table = _Table(name, None, [], end_line=len(text.splitlines()) + 1)
    for line, raw in raw_rows:
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue
        if cells[0].startswith("#"):
            if table.header is None and not table.rows:
                table.header, table.header_line = _clean_header(cells), line
            continue
        if table.header is None and not table.rows and _looks_like_header(cells, probe):
            table.header, table.header_line = _clean_header(cells), line
            col.warn(name, line, None, "header row has no leading '#'; read as a header "
                     "(Flee 3.1 would read it as data and crash)")
            continue
        table.rows.append((line, cells))
    return table


def _short_row(col: _Collector, table: _Table, line: int, cells: list[str], file: str) -> bool:
    """Record a ragged row, shorter than `MIN_COLUMNS` of ``file``; True if it was short."""
    columns = tuple(r.name for r in _positional(file))[:MIN_COLUMNS[file]]
    if len(cells) >= len(columns):
        return False
    col.add(table.file, line, len(cells) + 1,
            f"row has {len(cells)} columns, missing '{columns[len(cells)]}' "
            f"(expected at least {len(columns)}: {','.join(columns)})")
    return True


def _no_rows(col: _Collector, table: _Table, what: str) -> bool:
    """Record a file without data rows (at the line where the first should be); True if so."""
    if table.rows:
        return False
    if table.header is not None and table.header_line is not None:
        col.add(table.file, table.header_line + 1, 1, f"has only a header (expected {what})")
    else:
        col.add(table.file, 1, 1, f"is empty (expected {what})")
    return True


# ---------------------------------------------------------------------------------------------
# The files


@dataclass
class _Layout:
    input_dir: Path
    source_dir: Path | None
    period: Path
    settings: Path


def _find_layout(root: Path) -> _Layout:
    input_dir = root / "input_csv" if (root / "input_csv").is_dir() else root
    source_dir: Path | None = None
    if (root / "source_data").is_dir():
        source_dir = root / "source_data"
    elif (input_dir / "data_layout.csv").exists():
        source_dir = input_dir
    elif (root / "data_layout.csv").exists():
        source_dir = root
    period = input_dir / "conflict_period.csv"
    if not period.exists() and (input_dir / "sim_period.csv").exists():
        period = input_dir / "sim_period.csv"
    return _Layout(input_dir, source_dir, period, root / "simsetting.yml")


def _read_period(col: _Collector, path: Path) -> tuple[date | None, int | None]:
    what = "rows 'StartDate,YYYY-MM-DD' and 'Length,<days>' (conflict_period.csv or sim_period.csv)"
    table = _read_csv(col, path, what, required=True)
    if table is None or _no_rows(col, table, what):
        return None, None
    f = table.file
    found: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for line, cells in table.rows:
        key = {"startdate": "StartDate", "length": "Length"}.get(cells[0].lower())
        if key is None:
            col.warn(f, line, 1, f"row '{cells[0]}' ignored (expected StartDate or Length)")
            continue
        if key in lines:
            col.add(f, line, 1, f"{key} is given twice, on lines {lines[key]} and {line} "
                    f"(expected one {key} row)")
            continue
        lines[key] = line
        found[key], _ = col.cell(f, line, rule(PERIOD, key), cells[1] if len(cells) > 1 else "")
    for key, row in (("StartDate", "StartDate,YYYY-MM-DD"), ("Length", "Length,<days>")):
        if key not in lines:
            col.add(f, table.end_line, 1, f"has no {key} row (expected '{row}')")
    return found.get("StartDate"), found.get("Length")


def _read_locations(col: _Collector, path: Path) -> tuple[list[tuple[int, Location]], set[str]]:
    """Valid locations with their lines, and every name given (so bad rows do not cascade)."""
    table = _read_csv(col, path, "one row per location: " + ",".join(_LOC_COLUMNS),
                      required=True, probe=(3, 4))
    if table is None or _no_rows(col, table, "one row per location"):
        return [], set()
    header = list(table.header or [])  # columns are positional; names only label extras
    extras = _by_header("locations.csv")
    out: list[tuple[int, Location]] = []
    first_line: dict[str, int] = {}
    no_coordinates = 0
    f = table.file
    for line, cells in table.rows:
        if _short_row(col, table, line, cells, "locations.csv"):
            continue
        ok = True
        v: dict[str, Any] = {}
        for r in _LOC_RULES:
            assert r.column is not None
            v[r.name], good = col.cell(f, line, r, cells[r.column - 1])
            ok = ok and good
        name = cells[0]
        if name in first_line:
            col.add(f, line, 1, f"location '{name}' is defined twice, on lines "
                    f"{first_line[name]} and {line} (expected unique names)")
            ok = False
        elif name:
            first_line[name] = line
        no_coordinates += (cells[3] == "") + (cells[4] == "")
        attributes, good = _attributes(col, f, line, cells, header, len(_LOC_COLUMNS), extras)
        ok = ok and good
        if ok:
            out.append((line, Location(
                name=name, region=cells[1], country=cells[2] or "unknown",
                lat=v["latitude"] or 0.0, lon=v["longitude"] or 0.0,
                location_type=cells[5], conflict_date=v["conflict_date"],
                population=v["population"] or 0, attributes=attributes)))
    if no_coordinates:
        col.warn(f, None, None, f"{no_coordinates} empty coordinate cells read as 0.0, "
                 "as Flee does")
    return out, set(first_line)


def _unknown(col: _Collector, file: str, line: int, column: int, name: str,
             known: Iterable[str], what: str = "location", source: str = "locations.csv") -> None:
    col.add(file, line, column, f"unknown {what} '{name}' "
            f"(expected a {what} from {source}{did_you_mean(name, known)})")


def _attributes(col: _Collector, f: str, line: int, cells: list[str], header: list[str],
                first: int, extras: dict[str, ColumnRule]) -> tuple[dict[str, str], bool]:
    """Extra columns from ``first`` on, named by the header; checked when a rule names them."""
    attributes: dict[str, str] = {}
    ok = True
    for i in range(first, len(cells)):
        key = header[i] if i < len(header) and header[i] else f"column_{i + 1}"
        if not cells[i]:
            continue
        attributes[key] = cells[i]
        if key in extras:
            ok = col.cell(f, line, extras[key], cells[i], column=i + 1)[1] and ok
    return attributes, ok


def _read_routes(col: _Collector, path: Path, known: set[str], locfile: str) -> list[Route]:
    table = _read_csv(col, path, "one row per link: " + ",".join(_ROUTE_COLUMNS),
                      required=True, probe=(2,))
    if table is None or _no_rows(col, table, "one row per link: name1,name2,distance"):
        return []
    header = list(table.header or [])
    extras = _by_header("routes.csv")
    f = table.file
    out: list[Route] = []
    seen: dict[frozenset[str], int] = {}
    name1, name2, distance_rule, forced_rule = _ROUTE_RULES
    for line, cells in table.rows:
        if _short_row(col, table, line, cells, "routes.csv"):
            continue
        ok = True
        for r, i in ((name1, 0), (name2, 1)):
            if not col.cell(f, line, r, cells[i])[1]:
                ok = False
            elif cells[i] not in known:
                _unknown(col, f, line, i + 1, cells[i], known, source=locfile)
                ok = False
        if ok and cells[0] == cells[1]:
            col.add(f, line, 2, f"route from '{cells[0]}' to itself "
                    "(expected two different locations)")
            ok = False
        distance, good = col.cell(f, line, distance_rule, cells[2])
        ok = ok and good
        forced, good = col.cell(f, line, forced_rule, cells[3] if len(cells) > 3 else "")
        ok = ok and good
        attributes, good = _attributes(col, f, line, cells, header, len(_ROUTE_COLUMNS), extras)
        if not (ok and good):
            continue
        pair = frozenset(cells[:2])
        if pair in seen:
            col.warn(f, line, None, f"route {cells[0]}–{cells[1]} also on line {seen[pair]}; "
                     "both links are kept, as Flee does")
        seen.setdefault(pair, line)
        out.append(Route(cells[0], cells[1], float(distance), int(forced or 0), attributes))
    return out


def _read_closures(col: _Collector, path: Path, locations: dict[str, Location], known: set[str],
                   routes: list[Route], locfile: str) -> list[Closure]:
    table = _read_csv(col, path, "rows " + ",".join(_CLOSURE_COLUMNS), required=False,
                      probe=(3, 4))
    if table is None:
        return []
    f = table.file
    countries = {loc.country for loc in locations.values()}
    linked = {frozenset((r.name1, r.name2)) for r in routes}
    out: list[Closure] = []
    type_rule, name1_rule, name2_rule, start_rule, end_rule = _CLOSURE_RULES
    for line, cells in table.rows:
        if _short_row(col, table, line, cells, "closures.csv"):
            continue
        kind, name1, name2 = cells[:3]
        ok = True
        if not col.cell(f, line, type_rule, kind)[1]:
            ok = False
        elif kind == "country":
            for i, (r, country) in enumerate(((name1_rule, name1), (name2_rule, name2)), 1):
                if not col.cell(f, line, replace(r, required=True), country)[1]:
                    ok = False
                elif country not in countries:
                    _unknown(col, f, line, i + 1, country, sorted(countries), "country",
                             f"the country column of {locfile}")
                    ok = False
        else:
            checked = ((name1_rule, name1),) if kind in ("location", "camp", "idpcamp") else \
                ((name1_rule, name1), (name2_rule, name2))
            for i, (r, name) in enumerate(checked, 1):
                if not col.cell(f, line, replace(r, required=True), name)[1]:
                    ok = False
                elif name not in known:
                    _unknown(col, f, line, i + 1, name, known, source=locfile)
                    ok = False
            if ok and kind in ("link", "remove_forced_redirection") and \
                    frozenset((name1, name2)) not in linked:
                col.warn(f, line, None, f"no route joins '{name1}' and '{name2}'; "
                         "this closure does nothing")
            if ok and kind in ("camp", "idpcamp") and name1 in locations and \
                    classify_location_type(locations[name1].location_type) not in (
                        "camp", "idpcamp"):
                col.warn(f, line, None, f"'{name1}' is not a camp in {locfile}")
        start, good = col.cell(f, line, start_rule, cells[3])
        ok = ok and good
        lowest_end = 0 if kind == "remove_forced_redirection" else (start or 0)
        end, good = col.cell(f, line, end_rule, cells[4], low=lowest_end)
        ok = ok and good
        if ok:
            out.append(Closure(kind, name1, name2, int(start), int(end)))
    return out


def _plain_intensities(cells: list[str], rule: ColumnRule) -> bool:
    """True if every cell is a finite number in the rule's range (the common case, checked
    in one pass; any doubt sends the row through `check_cell` cell by cell)."""
    try:
        values = np.array([float(c) for c in cells])
    except ValueError:
        return False
    if not np.all(np.isfinite(values)):
        return False
    if rule.low is not None and (np.any(values < rule.low)
                                 or (rule.low_open and np.any(values == rule.low))):
        return False
    return rule.high is None or not np.any(values > rule.high)


def _read_conflicts(col: _Collector, path: Path, known: set[str], length: int | None,
                    period_file: str, locfile: str) -> ConflictTable | None:
    what = "a header '#Day,<location>,...' and one row of intensities per day from day 0"
    table = _read_csv(col, path, what, required=False)
    if table is None:
        return None
    f = table.file
    # Flee reads the first row as the header, '#' or not; _read_csv only knows '#' rows.
    header, header_line, rows = table.header, table.header_line or 1, table.rows
    if header is None:
        if not rows:
            col.add(f, 1, 1, f"is empty (expected {what})")
            return None
        first_line, first = rows[0]
        if parse_number(first[0]) is not None:
            col.add(f, first_line, 1, f"first row is data (expected {what})")
            return None
        header, header_line, rows = _clean_header(first), first_line, rows[1:]
    while header and not header[-1]:
        header.pop()  # a trailing comma is not a column
    columns = header[1:]
    ok_columns: list[tuple[int, str]] = []
    seen: set[str] = set()
    for j, name in enumerate(columns, start=2):
        if not name:
            col.add(f, header_line, j, "column name is empty (expected a location name)")
        elif name in seen:
            col.add(f, header_line, j, f"location '{name}' has two columns (expected one)")
        else:
            seen.add(name)
            if name in known:
                ok_columns.append((j - 1, name))
            else:
                col.warn(f, header_line, j, f"'{name}' is not a location in {locfile}; "
                         f"column ignored, as Flee does{hint(name, known)}")
    day_rule, intensity_rule = rules_for("conflicts.csv")
    values = np.zeros((len(rows), len(ok_columns)))
    out_of_order = False
    for day, (line, cells) in enumerate(rows):
        number, good = col.cell(f, line, day_rule, cells[0])
        if good and number != day and not out_of_order:
            col.add(f, line, 1, f"day '{cells[0]}' is out of order "
                    f"(expected {day}: one row per day, consecutive from 0)")
            out_of_order = True
        if len(cells) < len(header):
            col.add(f, line, len(cells) + 1, f"row has {len(cells) - 1} values "
                    f"(expected {len(columns)}, one per column of the header)")
            continue
        if any(cells[len(header):]):
            col.add(f, line, len(header) + 1, f"row has {len(cells) - 1} values "
                    f"(expected {len(columns)}, one per column of the header)")
        if not _plain_intensities(cells[1:len(header)], intensity_rule):
            for j in range(1, len(header)):  # one cell at a time, to say which is wrong
                col.cell(f, line, intensity_rule, cells[j], column=j + 1)
        for k, (j, _name) in enumerate(ok_columns):
            values[day, k] = max(parse_number(cells[j]) or 0.0, 0.0)
    if not rows:
        col.add(f, header_line + 1, 1, f"has only a header (expected {what})")
    elif length is not None and len(rows) < length:
        col.add(f, rows[-1][0] + 1, 1, f"has {len(rows)} days of conflict data, fewer than "
                f"the run's Length {length} in {period_file} (expected at least {length} rows)")
    return ConflictTable(tuple(n for _, n in ok_columns), values)


def _check_corrections(col: _Collector, path: Path, known: set[str], locfile: str) -> None:
    table = _read_csv(col, path, "rows camp_name,YYYY-MM-DD", required=False)
    if table is None:
        return
    camp_rule, date_rule = rules_for("registration_corrections.csv")
    for line, cells in table.rows:
        if _short_row(col, table, line, cells, "registration_corrections.csv"):
            continue
        if line == table.rows[0][0] and parse_date(cells[1]) is None and \
                HEADER_WORD.match(cells[1]):
            continue  # a header such as camp_name,date
        if col.cell(table.file, line, camp_rule, cells[0])[1] and cells[0] not in known:
            _unknown(col, table.file, line, 1, cells[0], known, source=locfile)
        col.cell(table.file, line, date_rule, cells[1])


def _check_data_layout(col: _Collector, source_dir: Path, locations: list[tuple[int, Location]],
                       locfile: str) -> None:
    table = _read_csv(col, source_dir / "data_layout.csv",
                      "rows 'total,refugees.csv' then '<camp>,<file>.csv'", required=True)
    if table is None or _no_rows(col, table, "a first row 'total,refugees.csv'"):
        return
    f = table.file
    name_rule, file_rule = rules_for("data_layout.csv")
    known = {loc.name for _, loc in locations}
    listed: dict[str, int] = {}
    for k, (line, cells) in enumerate(table.rows):
        while len(cells) > 1 and not cells[-1]:
            cells = cells[:-1]  # trailing commas are not files
        if len(cells) < 2:
            col.add(f, line, 2, "row names no data file (expected '<name>,<file>.csv')")
        for i in range(1, len(cells)):
            if col.cell(f, line, file_rule, cells[i], column=i + 1)[1]:
                problem = data_file_problem(cells[i], source_dir, col.root)
                if problem:
                    col.add(f, line, i + 1, problem)
        if not col.cell(f, line, name_rule, cells[0])[1]:
            continue
        if cells[0] in listed:
            col.add(f, line, 1, f"'{cells[0]}' is listed twice, on lines {listed[cells[0]]} "
                    f"and {line} (expected one row per series)")
            continue
        listed[cells[0]] = line
        if k == 0:
            if cells[0] != "total":
                col.add(f, line, 1, f"first row is '{cells[0]}' "
                        "(expected 'total,refugees.csv')")
            continue
        if cells[0] not in known:  # Flee reads the series and never uses it (car: Bossobolo)
            col.warn(f, line, 1, f"'{cells[0]}' is not a location in {locfile}; its data "
                     f"is not compared with any camp{hint(cells[0], known)}")
    for line, loc in locations:
        if classify_location_type(loc.location_type) in ("camp", "idpcamp") and \
                loc.name not in listed:
            col.add(locfile, line, 1, f"camp '{loc.name}' has no row in {f} "
                    f"(expected a row '{loc.name},<file>.csv')")


# ---------------------------------------------------------------------------------------------


def load_scenario(path: str | Path, *, settings_overrides: dict | None = None) -> Scenario:
    """Read and validate a Flee-format scenario folder.

    ``settings_overrides`` maps setting names (``"move.awareness_level"``, ``"hasten"``, or the
    yml form ``"move_rules.awareness_level"``) to values applied after ``simsetting.yml``.
    Raises `ScenarioError` listing every problem found in every file.
    """
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "not found"
        raise ScenarioError.single(str(path), f"scenario folder {what} "
                                   "(expected a folder with locations.csv and routes.csv)")
    col = _Collector(root)
    layout = _find_layout(root)
    inp = layout.input_dir
    locfile = col.rel(inp / "locations.csv")

    if layout.period.name == "conflict_period.csv" and (inp / "sim_period.csv").exists():
        col.warn(col.rel(inp / "sim_period.csv"), None, None,
                 "ignored: conflict_period.csv is also present and is read, as Flee 3.1 does")
    start, length = _read_period(col, layout.period)
    located, known = _read_locations(col, inp / "locations.csv")
    locations = {loc.name: loc for _, loc in located}
    routes = _read_routes(col, inp / "routes.csv", known, locfile)
    closures = _read_closures(col, inp / "closures.csv", locations, known, routes, locfile)
    conflicts = _read_conflicts(col, inp / "conflicts.csv", known, length,
                                col.rel(layout.period), locfile)
    values = read_settings(col, layout.settings)
    if settings_overrides:
        apply_overrides(col, values, settings_overrides)
    settings = settings_from_values(values)

    corrections = inp / "registration_corrections.csv"
    before = len(col.problems)
    _check_corrections(col, corrections, known, locfile)
    observed: ObservedData | None = None
    if layout.source_dir is not None:
        _check_data_layout(col, layout.source_dir, located, locfile)
        # The series loader would repeat problems already found in these files.
        data_ok = len(col.problems) == before
        if data_ok and start is not None and length is not None:
            observed = _load_observed(col, layout.source_dir, start, length,
                                      corrections if corrections.is_file() else None, settings)
    elif corrections.is_file():
        col.warn(col.rel(corrections), None, None, "no source_data folder; corrections unused")

    col.finish()
    if col.problems:
        raise ScenarioError(col.problems)
    assert start is not None and length is not None
    return Scenario(
        path=root, name=root.name, start_date=start, length=length,
        locations=tuple(loc for _, loc in located), routes=tuple(routes),
        closures=tuple(closures), conflicts=conflicts, observed=observed, settings=settings,
        warnings=tuple(col.warnings))


def _load_observed(col: _Collector, source_dir: Path, start: date, length: int,
                   corrections: Path | None, settings: Settings) -> ObservedData | None:
    """Call the series loader, folding its problems into ours (relative paths, no repeats)."""
    from borderflow.scenario.series import load_observed

    try:
        return load_observed(source_dir, start, length, corrections,
                             hasten=settings.hasten, sum_from_camps=settings.spawn.sum_from_camps,
                             insert_day0=settings.spawn.insert_day0, root=col.root)
    except ScenarioError as exc:
        reported = {(p.file, p.line) for p in col.problems}
        for p in exc.problems:
            file = p.file
            candidate = Path(file)
            if candidate.is_absolute():
                file = col.rel(candidate)
            elif not (col.root / candidate).exists() and (source_dir / candidate).exists():
                file = col.rel(source_dir / candidate)
            if (file, p.line) not in reported:
                col.add(file, p.line, p.column, p.message)
        return None
