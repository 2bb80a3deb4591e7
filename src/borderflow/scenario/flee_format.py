"""Load and validate a scenario folder written in Flee's format, unmodified.

`load_scenario` finds the input files in any of the three layouts Flee users have (Flee 3.1's
``input_csv/`` + ``conflict_period.csv``, the newer ``sim_period.csv``, or every file in one
folder), reads ``locations.csv``, ``routes.csv``, ``closures.csv``, ``conflicts.csv``, the period
file, ``simsetting.yml`` and the UNHCR series, checks every cell and every cross-file rule, and
returns a frozen `Scenario`. Nothing is fixed silently: every problem found in any file is
collected and raised together in one `ScenarioError` as ``file:line:column: what (expected …)``,
with paths relative to the scenario folder. Oddities Flee tolerates (names in conflicts.csv that
are not locations, unknown keys in simsetting.yml) become ``Scenario.warnings`` instead.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from borderflow.params import (
    SETTING_RULES,
    SettingRule,
    Settings,
    check_value,
    rule_for,
    settings_from_values,
)
from borderflow.scenario.errors import Problem, ScenarioError
from borderflow.scenario.model import (
    Closure,
    ConflictTable,
    Location,
    ObservedData,
    Route,
    Scenario,
)

__all__ = ["LOCATION_KINDS", "classify_location_type", "load_scenario"]

#: What a location type string means, in the order Flee tests the substrings.
LOCATION_KINDS: tuple[tuple[str, str], ...] = (
    ("camp", "camp"),  # "idp" in the string as well → "idpcamp"
    ("conflict", "conflict"),
    ("forward", "forward"),
    ("marker", "marker"),
    ("default", "town"),
    ("town", "town"),
    ("flood", "flood"),
)
_ACCEPTED_TYPES = "conflict_zone, town, default, camp, idpcamp, forwarding_hub, marker, flood_zone"
CLOSURE_TYPES = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")
_LOC_COLUMNS = ("name", "region", "country", "latitude", "longitude", "location_type",
                "conflict_date", "population")
_ROUTE_COLUMNS = ("name1", "name2", "distance", "forced_redirection")
_CLOSURE_COLUMNS = ("closure_type", "name1", "name2", "closure_start", "closure_end")
_MAX_PROBLEMS_PER_FILE = 50
_HEADER_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ./()-]*$")

# Extra keys that are not in params.SETTING_RULES but have a meaning here.
_SPAWN_MODE = SettingRule("conflict_driven_spawning", "spawn_mode", "spawn.conflict_spawn_mode",
                          str, choices=("constant", "pop_ratio", "poisson"))
_DISPLACED = SettingRule("conflict_driven_spawning", "displaced_per_conflict_day",
                         "spawn.displaced_per_conflict_day", float, 0)
_DRIVEN = SettingRule("spawn_rules", "conflict_driven_spawning",
                      "spawn.conflict_driven_spawning", bool)
_EXTRA_RULES = (_SPAWN_MODE, _DISPLACED, _DRIVEN)
_FLEE_SECTIONS = ("log_levels", "spawn_rules", "move_rules", "optimisations")
# Keys Flee reads that borderflow does not implement, with the value that makes them harmless.
_FLEE_UNSUPPORTED: dict[tuple[str, str], Any] = {
    ("", "number_of_steps"): -1,
    ("", "conflict_input_file"): "",
    ("", "flood_rules"): None,
    ("spawn_rules", "flood_zone_spawning_only"): False,
    ("spawn_rules", "flood_driven_spawning"): None,
    ("spawn_rules", "read_from_agents_csv_file"): False,
    ("move_rules", "ChildrenAvoidHazards"): False,
    ("move_rules", "BoysTakeRisk"): False,
    ("move_rules", "MatchCampEthnicity"): False,
    ("move_rules", "MatchTownEthnicity"): False,
    ("move_rules", "MatchConflictEthnicity"): False,
}
# Flee's use_v1_rules overrides these move rules after reading the yml.
_V1_RULES = {"move.max_move_speed": 200.0, "move.start_on_foot": False,
             "move.avoid_short_stints": False, "move.camp_weight": 2.0,
             "move.conflict_weight": 0.25}


def classify_location_type(location_type: str) -> str | None:
    """Flee's reading of a type string: camp, idpcamp, conflict, forward, marker, town, flood.

    Matching is by substring, case-insensitive, in Flee's order; ``None`` if nothing matches.
    """
    lowered = location_type.lower()
    for needle, kind in LOCATION_KINDS:
        if needle in lowered:
            if kind == "camp" and "idp" in lowered:
                return "idpcamp"
            return kind
    return None


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


def _read_text(col: _Collector, path: Path, what: str, *, required: bool) -> str | None:
    """The file's text (BOM dropped), or None after recording why it cannot be read."""
    name = col.rel(path)
    if not path.exists():
        if required:
            col.add(name, None, None, f"file not found (expected {what})")
        return None
    if path.is_dir():
        col.add(name, None, None, f"is a directory (expected a file with {what})")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        col.add(name, None, None, f"cannot be read: {exc.strerror or exc}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        col.add(name, line, column,
                f"byte 0x{data[exc.start]:02x} is not valid UTF-8 (expected UTF-8 text)")
        return data.decode("utf-8-sig", "replace")


def _looks_like_header(cells: list[str], probe: Iterable[int]) -> bool:
    """True when every probed (numeric) column holds a word such as ``distance``."""
    probe = list(probe)
    return bool(probe) and all(
        i < len(cells) and _HEADER_WORD.match(cells[i].strip('"')) is not None
        and _float(cells[i]) is None for i in probe)


def _clean_header(cells: list[str]) -> list[str]:
    out = [c.strip() for c in cells]
    if out:
        out[0] = out[0].lstrip("#").strip()
    return [c.strip('"').strip() for c in out]


def _read_csv(col: _Collector, path: Path, what: str, *, required: bool,
              probe: Iterable[int] = ()) -> _Table | None:
    """Read a Flee CSV: ``#`` rows are comments (the first one before data is the header).

    A first data row whose ``probe`` columns hold words instead of numbers is taken as a header
    written without its ``#`` (Flee would crash on it) and reported as a warning.
    """
    text = _read_text(col, path, what, required=required)
    if text is None:
        return None
    name = col.rel(path)
    header: list[str] | None = None
    header_line: int | None = None
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 0
    try:
        for raw in reader:
            line, last = last + 1, reader.line_num
            cells = [c.strip() for c in raw]
            if not any(cells):
                continue
            if cells[0].startswith("#"):
                if header is None and not rows:
                    header, header_line = _clean_header(cells), line
                continue
            if header is None and not rows and _looks_like_header(cells, probe):
                header, header_line = _clean_header(cells), line
                col.warn(name, line, None, "header row has no leading '#'; read as a header "
                         "(Flee 3.1 would read it as data and crash)")
                continue
            rows.append((line, cells))
    except csv.Error as exc:
        col.add(name, last + 1, None, f"cannot be parsed as CSV: {exc}")
    return _Table(name, header, rows, header_line)


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _int(text: str) -> int | None:
    """An integer, also written as ``1234.0``; None otherwise."""
    try:
        return int(text)
    except ValueError:
        value = _float(text)
        return int(value) if value is not None and value.is_integer() else None


def _date(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _hint(name: str, candidates: Iterable[str]) -> str:
    """``" (did you mean 'X'?)"`` for warnings, or ``""``."""
    hint = _did_you_mean(name, candidates)
    return f" ({hint[2:]})" if hint else ""


def _short_row(col: _Collector, table: _Table, line: int, cells: list[str],
               columns: tuple[str, ...]) -> bool:
    """Record a ragged row that lacks required columns; True if it was short."""
    if len(cells) >= len(columns):
        return False
    col.add(table.file, line, len(cells) + 1,
            f"row has {len(cells)} columns, missing '{columns[len(cells)]}' "
            f"(expected at least {len(columns)}: {','.join(columns)})")
    return True


def _no_rows(col: _Collector, table: _Table, what: str) -> bool:
    if table.rows:
        return False
    col.add(table.file, None, None,
            ("has only a header" if table.header else "is empty") + f" (expected {what})")
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
    if table is None:
        return None, None
    start: date | None = None
    length: int | None = None
    seen: set[str] = set()
    for line, cells in table.rows:
        key = cells[0].lower()
        if key not in ("startdate", "length"):
            continue
        seen.add(key)
        value = cells[1] if len(cells) > 1 else ""
        if key == "startdate":
            start = _date(value)
            if start is None:
                col.add(table.file, line, 2, f"start date '{value}' is not valid "
                        "(expected a date YYYY-MM-DD)")
        else:
            length = _int(value)
            if length is None or length < 1:
                length = None
                col.add(table.file, line, 2, f"length '{value}' is not valid "
                        "(expected a whole number of days >= 1)")
    for key, row in (("startdate", "StartDate,YYYY-MM-DD"), ("length", "Length,<days>")):
        if key not in seen:
            col.add(table.file, None, None, f"has no {row.split(',')[0]} row (expected '{row}')")
    return start, length


def _read_locations(col: _Collector, path: Path) -> tuple[list[tuple[int, Location]], set[str]]:
    """Valid locations with their lines, and every name given (so bad rows do not cascade)."""
    table = _read_csv(col, path, "one row per location: " + ",".join(_LOC_COLUMNS),
                      required=True, probe=(3, 4))
    if table is None or _no_rows(col, table, "one row per location"):
        return [], set()
    names = list(table.header or [])  # columns are positional; names only label extras
    out: list[tuple[int, Location]] = []
    first_line: dict[str, int] = {}
    no_coordinates = 0
    f = table.file
    for line, cells in table.rows:
        if _short_row(col, table, line, cells, _LOC_COLUMNS):
            continue
        ok = True
        name = cells[0]
        if not name:
            col.add(f, line, 1, "location name is empty (expected a name)")
            ok = False
        elif name in first_line:
            col.add(f, line, 1, f"location '{name}' is defined twice, on lines "
                    f"{first_line[name]} and {line} (expected unique names)")
            ok = False
        else:
            first_line[name] = line
        coords = []
        for i, (label, limit) in enumerate((("latitude", 90.0), ("longitude", 180.0)), start=3):
            if cells[i] == "":
                no_coordinates += 1
                coords.append(0.0)
                continue
            value = _float(cells[i])
            if value is None or abs(value) > limit:
                col.add(f, line, i + 1, f"{label} '{cells[i]}' is not valid "
                        f"(expected a number from -{limit:g} to {limit:g})")
                ok = False
            coords.append(value or 0.0)
        if not cells[5] or classify_location_type(cells[5]) is None:
            col.add(f, line, 6, f"location type '{cells[5]}' is not known "
                    f"(expected one of {_ACCEPTED_TYPES})")
            ok = False
        conflict_date: int | None = None
        if cells[6]:
            conflict_date = _int(cells[6])
            if conflict_date is None or conflict_date < 0:
                col.add(f, line, 7, f"conflict date '{cells[6]}' is not valid "
                        "(expected a day number >= 0, or empty)")
                ok = False
        population = _int(cells[7]) if cells[7] else 0
        if population is None or population < 0:
            col.add(f, line, 8, f"population '{cells[7]}' is not valid "
                    "(expected a whole number >= 0, or empty)")
            ok = False
        attributes: dict[str, str] = {}
        for i in range(8, len(cells)):
            key = names[i] if i < len(names) and names[i] else f"column_{i + 1}"
            if cells[i]:
                attributes[key] = cells[i]
        intensity = attributes.get("conflict_intensity")
        if intensity is not None and ((v := _float(intensity)) is None or v < 0):
            col.add(f, line, names.index("conflict_intensity") + 1,
                    f"conflict_intensity '{intensity}' is not valid (expected a number >= 0)")
            ok = False
        if ok:
            out.append((line, Location(
                name=name, region=cells[1], country=cells[2] or "unknown",
                lat=coords[0], lon=coords[1], location_type=cells[5],
                conflict_date=conflict_date, population=int(population or 0),
                attributes=attributes)))
    if no_coordinates:
        col.warn(f, None, None, f"{no_coordinates} empty coordinate cells read as 0.0, "
                 "as Flee does")
    return out, set(first_line)


def _unknown(col: _Collector, file: str, line: int, column: int, name: str,
             known: Iterable[str], what: str = "location", source: str = "locations.csv") -> None:
    col.add(file, line, column, f"unknown {what} '{name}' "
            f"(expected a {what} from {source}{_did_you_mean(name, known)})")


def _read_routes(col: _Collector, path: Path, known: set[str], locfile: str) -> list[Route]:
    table = _read_csv(col, path, "one row per link: " + ",".join(_ROUTE_COLUMNS),
                      required=True, probe=(2,))
    if table is None or _no_rows(col, table, "one row per link: name1,name2,distance"):
        return []
    names = list(table.header or [])
    f = table.file
    out: list[Route] = []
    seen: dict[frozenset[str], int] = {}
    for line, cells in table.rows:
        if _short_row(col, table, line, cells, _ROUTE_COLUMNS[:3]):
            continue
        ok = True
        for i in (0, 1):
            if cells[i] not in known:
                _unknown(col, f, line, i + 1, cells[i], known, source=locfile)
                ok = False
        if ok and cells[0] == cells[1]:
            col.add(f, line, 2, f"route from '{cells[0]}' to itself "
                    "(expected two different locations)")
            ok = False
        distance = _float(cells[2])
        if distance is None or distance <= 0:
            col.add(f, line, 3, f"distance '{cells[2]}' must be a number > 0 "
                    "(expected a positive number of km)")
            ok = False
        forced = _int(cells[3]) if len(cells) > 3 and cells[3] else 0
        if forced not in (0, 1, 2):
            col.add(f, line, 4, f"forced_redirection '{cells[3]}' is not valid "
                    "(expected 0, 1, 2 or empty)")
            ok = False
        attributes: dict[str, str] = {}
        for i in range(4, len(cells)):
            key = names[i] if i < len(names) and names[i] else f"column_{i + 1}"
            if not cells[i]:
                continue
            attributes[key] = cells[i]
            value = _float(cells[i])
            if key == "max_move_speed" and (value is None or value <= 0):
                col.add(f, line, i + 1, f"max_move_speed '{cells[i]}' is not valid "
                        "(expected a number of km per day > 0)")
                ok = False
            elif key == "walk_probability" and (value is None or not 0 <= value <= 1):
                col.add(f, line, i + 1, f"walk_probability '{cells[i]}' is not valid "
                        "(expected a number from 0 to 1)")
                ok = False
        if not ok:
            continue
        pair = frozenset(cells[:2])
        if pair in seen:
            col.warn(f, line, None, f"route {cells[0]}–{cells[1]} also on line {seen[pair]}; "
                     "both links are kept, as Flee does")
        seen.setdefault(pair, line)
        out.append(Route(cells[0], cells[1], float(distance or 0), int(forced or 0), attributes))
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
    for line, cells in table.rows:
        if _short_row(col, table, line, cells, _CLOSURE_COLUMNS):
            continue
        kind, name1, name2 = cells[:3]
        ok = True
        if kind not in CLOSURE_TYPES:
            hint = _did_you_mean(kind, CLOSURE_TYPES)
            col.add(f, line, 1, f"closure type '{kind}' is not known "
                    f"(expected one of {', '.join(CLOSURE_TYPES)}{hint})")
            ok = False
        elif kind == "country":
            for i, country in ((1, name1), (2, name2)):
                if country not in countries:
                    _unknown(col, f, line, i + 1, country, sorted(countries), "country",
                             f"the country column of {locfile}")
                    ok = False
        else:
            checked = ((1, name1),) if kind in ("location", "camp", "idpcamp") else \
                ((1, name1), (2, name2))
            for i, name in checked:
                if name not in known:
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
        start, end = _int(cells[3]), _int(cells[4])
        if start is None or start < 0:
            col.add(f, line, 4, f"closure start '{cells[3]}' is not valid "
                    "(expected a day number >= 0)")
            ok = False
        lowest_end = 0 if kind == "remove_forced_redirection" else (start or 0)
        if end is None or (end != -1 and end < lowest_end):
            col.add(f, line, 5, f"closure end '{cells[4]}' is not valid "
                    f"(expected -1 for never, or a day number >= {lowest_end})")
            ok = False
        if ok:
            out.append(Closure(kind, name1, name2, int(start or 0), int(end or 0)))
    return out


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
            col.add(f, None, None, f"is empty (expected {what})")
            return None
        first_line, first = rows[0]
        if _float(first[0]) is not None:
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
                         f"column ignored, as Flee does{_hint(name, known)}")
    values = np.zeros((len(rows), len(ok_columns)))
    out_of_order = False
    for day, (line, cells) in enumerate(rows):
        if _int(cells[0]) != day and not out_of_order:
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
        for j in range(1, len(header)):
            value = _float(cells[j])
            if value is None or value < 0:
                col.add(f, line, j + 1, f"conflict intensity '{cells[j]}' is not valid "
                        "(expected a number >= 0)")
        for k, (j, _name) in enumerate(ok_columns):
            values[day, k] = max(_float(cells[j]) or 0.0, 0.0)
    if not rows:
        col.add(f, None, None, f"has only a header (expected {what})")
    elif length is not None and len(rows) < length:
        col.add(f, None, None, f"has {len(rows)} days of conflict data, fewer than the run's "
                f"Length {length} in {period_file} (expected at least {length} rows)")
    return ConflictTable(tuple(n for _, n in ok_columns), values)


def _check_corrections(col: _Collector, path: Path, known: set[str], locfile: str) -> None:
    table = _read_csv(col, path, "rows camp_name,YYYY-MM-DD", required=False)
    if table is None:
        return
    for line, cells in table.rows:
        if len(cells) < 2:
            continue  # Flee skips rows with fewer than two cells
        if line == table.rows[0][0] and _date(cells[1]) is None and \
                _HEADER_WORD.match(cells[1]):
            continue  # a header such as camp_name,date
        if cells[0] not in known:
            _unknown(col, table.file, line, 1, cells[0], known, source=locfile)
        if _date(cells[1]) is None:
            col.add(table.file, line, 2, f"date '{cells[1]}' is not valid "
                    "(expected a date YYYY-MM-DD)")


def _check_data_layout(col: _Collector, source_dir: Path, locations: list[tuple[int, Location]],
                       locfile: str) -> None:
    table = _read_csv(col, source_dir / "data_layout.csv",
                      "rows 'total,refugees.csv' then '<camp>,<file>.csv'", required=True)
    if table is None or _no_rows(col, table, "a first row 'total,refugees.csv'"):
        return
    f = table.file
    known = {loc.name for _, loc in locations}
    listed: set[str] = set()
    for k, (line, cells) in enumerate(table.rows):
        if not any(cells[1:]):
            col.add(f, line, min(len(cells) + 1, 2),
                    "row names no data file (expected '<name>,<file>.csv')")
        for i in range(1, len(cells)):
            if cells[i] and not (source_dir / cells[i]).is_file():
                col.add(f, line, i + 1, f"data file '{cells[i]}' not found "
                        f"(expected a file in {col.rel(source_dir) or '.'}/)")
        if k == 0:
            if cells[0] != "total":
                col.add(f, line, 1, f"first row is '{cells[0]}' "
                        "(expected 'total,refugees.csv')")
            continue
        if cells[0] not in known:  # Flee reads the series and never uses it (car: Bossobolo)
            col.warn(f, line, 1, f"'{cells[0]}' is not a location in {locfile}; its data "
                     f"is not compared with any camp{_hint(cells[0], known)}")
        listed.add(cells[0])
    for line, loc in locations:
        if classify_location_type(loc.location_type) in ("camp", "idpcamp") and \
                loc.name not in listed:
            col.add(locfile, line, 1, f"camp '{loc.name}' has no row in {f} "
                    f"(expected a row '{loc.name},<file>.csv')")


# ---------------------------------------------------------------------------------------------
# simsetting.yml and overrides


def _marks(node: yaml.Node | None) -> dict[tuple[str, ...], tuple[int, int, int, int]]:
    """(key path) → (key line, key column, value line, value column), 1-based."""
    out: dict[tuple[str, ...], tuple[int, int, int, int]] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            sub = (*path, str(key.value))
            out[sub] = (key.start_mark.line + 1, key.start_mark.column + 1,
                        value.start_mark.line + 1, value.start_mark.column + 1)
            if len(sub) < 3:
                walk(value, sub)

    if node is not None:
        walk(node, ())
    return out


def _read_settings(col: _Collector, path: Path) -> dict[str, Any]:
    """Checked ``{"move.x": value, ...}`` from simsetting.yml (empty when absent)."""
    text = _read_text(col, path, "a YAML mapping of settings", required=False)
    if text is None:
        return {}
    f = col.rel(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p)
        col.add(f, mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                f"invalid YAML: {message} (expected a YAML mapping of settings)")
        return {}
    except yaml.YAMLError as exc:
        col.add(f, None, None, f"invalid YAML: {exc} (expected a YAML mapping of settings)")
        return {}
    if data is None:
        return {}
    marks = _marks(node)
    if not isinstance(data, dict):
        col.add(f, 1, 1, "is not a mapping (expected sections such as move_rules:)")
        return {}
    values: dict[str, Any] = {}
    sections = (*_FLEE_SECTIONS, "engine")
    for section, body in data.items():
        section = str(section)
        kl, kc, vl, vc = marks.get((section,), (None, None, None, None))
        if ("", section) in _FLEE_UNSUPPORTED:
            if body != _FLEE_UNSUPPORTED[("", section)]:
                col.warn(f, kl, kc, f"'{section}' is a Flee option borderflow does not "
                         "implement; ignored")
            continue
        if section not in sections:
            col.warn(f, kl, kc, f"unknown section '{section}' ignored (expected one of "
                     f"{', '.join(sections)}{_did_you_mean(section, sections)})")
            continue
        if body is None or section == "log_levels":
            continue
        if not isinstance(body, dict):
            col.add(f, vl, vc, f"section '{section}' is not a mapping "
                    "(expected 'key: value' lines indented under it)")
            continue
        for key, value in body.items():
            _read_setting(col, f, marks, values, section, str(key), value)
    if values.pop("use_v1_rules", False):
        values.update(_V1_RULES)  # Flee applies these after the yml, whatever it says
    return values


def _read_setting(col: _Collector, f: str, marks: dict, values: dict[str, Any],
                  section: str, key: str, value: Any) -> None:
    kl, kc, vl, vc = marks.get((section, key), (None, None, None, None))
    if section == "move_rules" and key == "use_v1_rules":
        checked, err = check_value(_r_bool("use_v1_rules"), value)
        if err:
            col.add(f, vl, vc, err)
        else:
            values["use_v1_rules"] = checked
        return
    if section == "spawn_rules" and key == "conflict_driven_spawning":
        _read_conflict_driven(col, f, marks, values, value)
        return
    rule = rule_for(section, key)
    if rule is None:
        if (section, key) in _FLEE_UNSUPPORTED:
            if value != _FLEE_UNSUPPORTED[(section, key)]:
                col.warn(f, kl, kc, f"'{key}' in {section} is a Flee option borderflow does "
                         "not implement; ignored")
            return
        known = [r.key for r in SETTING_RULES if r.section == section]
        hint = _did_you_mean(key, known)
        if section == "engine":
            col.add(f, kl, kc, f"unknown key '{key}' in engine (expected one of "
                    f"{', '.join(known)}{hint})")
        else:
            col.warn(f, kl, kc, f"unknown key '{key}' in {section} ignored{_hint(key, known)}")
        return
    checked, err = check_value(rule, value)
    if err:
        col.add(f, vl, vc, err)
    else:
        values[rule.target] = checked


def _r_bool(key: str) -> SettingRule:
    return SettingRule("move_rules", key, key, bool)


def _read_conflict_driven(col: _Collector, f: str, marks: dict, values: dict[str, Any],
                          body: Any) -> None:
    path = ("spawn_rules", "conflict_driven_spawning")
    if body is None:
        return  # Flee: an empty entry means no conflict-driven spawning
    if not isinstance(body, dict):
        _, _, vl, vc = marks.get(path, (None, None, None, None))
        col.add(f, vl, vc, "conflict_driven_spawning is not a mapping (expected spawn_mode: "
                "and displaced_per_conflict_day: indented under it)")
        return
    values["spawn.conflict_driven_spawning"] = True
    mode = body.get("spawn_mode", "constant")
    for key, value in body.items():
        kl, kc, vl, vc = marks.get((*path, str(key)), (None, None, None, None))
        rule = {"spawn_mode": _SPAWN_MODE, "displaced_per_conflict_day": _DISPLACED}.get(key)
        if rule is None:
            col.warn(f, kl, kc, f"unknown key '{key}' in conflict_driven_spawning ignored"
                     + _hint(str(key), ("spawn_mode", "displaced_per_conflict_day")))
            continue
        checked, err = check_value(rule, value.lower() if isinstance(value, str) else value)
        if err:
            col.add(f, vl, vc, err)
            continue
        if key == "displaced_per_conflict_day" and str(mode).lower() != "pop_ratio":
            checked = float(int(checked))  # Flee reads a whole number of people here
        values[rule.target] = checked
    if "displaced_per_conflict_day" not in body and str(mode).lower() == "pop_ratio":
        values[_DISPLACED.target] = 0.01  # Flee's default for pop_ratio


def _apply_overrides(col: _Collector, values: dict[str, Any], overrides: dict) -> None:
    rules = {r.target: r for r in (*SETTING_RULES, *_EXTRA_RULES)}
    rules.update({f"{r.section}.{r.key}": r for r in SETTING_RULES})
    for key, value in overrides.items():
        rule = rules.get(str(key))
        if rule is None:
            hint = _did_you_mean(str(key), sorted({r.target for r in rules.values()}))
            col.add("settings_overrides", None, None, f"unknown setting '{key}' "
                    f"(expected a name such as move.awareness_level{hint})")
            continue
        checked, err = check_value(rule, value.lower() if rule is _SPAWN_MODE and
                                   isinstance(value, str) else value)
        if err:
            col.add("settings_overrides", None, None, f"'{key}': {err}")
        else:
            values[rule.target] = checked


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
    values = _read_settings(col, layout.settings)
    if settings_overrides:
        _apply_overrides(col, values, settings_overrides)
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
                             insert_day0=settings.spawn.insert_day0)
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
