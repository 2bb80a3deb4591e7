"""Observed UNHCR series (``source_data/``) evaluated per simulated day, exactly as Flee 3.1 does.

Flee turns each ``Date,Count`` file into a table of (day offset, count) points, sums the files of
one ``data_layout.csv`` row with a step-merge, rescales points before a registration correction
and interpolates linearly, truncating with ``int()``. Spawning, day-0 insertion and the ``data``
columns of ``out.csv`` all come from these numbers, so this module reproduces every step bit for
bit, including Flee's quirks (see each function's docstring). Where Flee would crash or skip
a malformed line, we raise one `ScenarioError` listing every problem instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from borderflow.scenario.csvtext import data_file_problem, read_rows, read_text
from borderflow.scenario.errors import Problem, ScenarioError
from borderflow.scenario.model import ObservedData
from borderflow.scenario.rules import HEADER_WORD, SERIES, check_cell, parse_date, rule

__all__ = [
    "LayoutRow",
    "interpolate_series",
    "load_observed",
    "merge_series",
    "read_layout",
    "read_series",
    "spawn_schedule",
]

_HEADER_DATES = ("Date", "DateTime")
_DATE_RULE = rule(SERIES, "Date")
_COUNT_RULE = rule(SERIES, "Count")
_CORRECTION_DATE_RULE = rule("registration_corrections.csv", "date")


@dataclass(frozen=True)
class LayoutRow:
    """One row of ``data_layout.csv``: a series name and the files summed into it."""

    name: str
    files: tuple[str, ...]
    line: int


def _read_rows(path: Path, problems: list[Problem], what: str,
               root: Path | None = None) -> list[tuple[int, list[str]]] | None:
    """Read a CSV file as (line number, cells) pairs; on failure record a problem, return None.

    Reading goes through `csvtext`, so bad bytes are reported at their line and column, a file
    separated by semicolons is refused, and with ``root`` the file must lie inside that folder.
    """
    text, found = read_text(path, str(path), what, root=root)
    problems.extend(found)
    if text is None or found:
        return None
    rows, found = read_rows(text, str(path))
    problems.extend(found)
    return None if found else rows


def _is_blank(row: Sequence[str]) -> bool:
    return all(cell.strip() == "" for cell in row)


def read_series(path: Path, start_date: date, hasten: int = 1, *,
                root: Path | None = None) -> tuple[np.ndarray, list[Problem]]:
    """Read one ``Date,Count`` file as Flee's table of ``[day offset, count / hasten]`` rows.

    Skipped like Flee: a first line whose first cell is empty, ``Date`` or ``DateTime`` (or a
    first line with one cell), lines whose first cell starts with ``#``, rows with an empty
    count. Also skipped: blank rows, and a ``Date``/``DateTime`` header after leading comments.
    Everything else that Flee would crash on or silently misread is returned as a problem, at
    its line and column: one-cell rows, extra non-empty cells, cells that break the ``Date`` and
    ``Count`` rules of `borderflow.scenario.rules` (dates from 1900 to 2200, whole counts from 0),
    dates that do not increase down the file (Flee never sorts, and interpolates such a table
    into nonsense), a file with no data row. With ``root``, the file must lie inside that folder.
    Returns the table (shape ``(n, 2)``, float64) and the problems found; the table is only
    meaningful when there are none.
    """
    problems: list[Problem] = []
    rows = _read_rows(path, problems, "rows Date,Count", root)
    if rows is None:
        return np.zeros((0, 2)), problems
    where = str(path)
    points: list[tuple[float, float]] = []
    seen_data = False
    previous: tuple[int, date] | None = None
    for index, (line, row) in enumerate(rows):
        if index == 0 and (len(row) < 2 or row[0] == "" or row[0] in _HEADER_DATES):
            continue
        if _is_blank(row) or row[0].startswith("#"):
            continue
        if not seen_data and row[0] in _HEADER_DATES:
            continue
        first_row = not seen_data
        seen_data = True
        if len(row) < 2:
            problems.append(Problem(where, line, 2, "row has one cell, missing 'Count' "
                                    "(expected Date,Count)"))
            continue
        extra = [i for i in range(2, len(row)) if row[i].strip() != ""]
        if extra:
            problems.append(Problem(where, line, extra[0] + 1,
                                    f"row has {len(row)} cells (expected Date,Count)"))
            continue
        if row[1].strip() == "":
            continue  # Flee skips rows without a count
        day, err = check_cell(_DATE_RULE, row[0])
        if err:
            if first_row:
                err = err[:-1] + "; a header row must start with Date or DateTime)"
            problems.append(Problem(where, line, 1, err))
            if first_row:
                continue
        else:
            if previous is not None and day <= previous[1]:
                problems.append(Problem(where, line, 1, f"date {day} is not after {previous[1]} "
                                        f"on line {previous[0]} (expected dates in increasing "
                                        "order)"))
            previous = (line, day)
        count, err = check_cell(_COUNT_RULE, row[1])
        if err:
            problems.append(Problem(where, line, 2, err))
            continue
        if day is not None:
            # Flee stores int / hasten (true division) in a float table.
            points.append((float((day - start_date).days), count / hasten))
    if not problems and not points:
        at = rows[-1][0] + 1 if rows else 1
        problems.append(Problem(where, at, 1, "has no data rows (expected Date,Count rows)"))
    table = np.array(points, dtype=np.float64).reshape(len(points), 2)
    return table, problems


def merge_series(base: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Sum two series tables with Flee's step-merge (``AddCSVTables``), quirks included.

    Walking through ``extra`` in file order with a cursor into ``base``:
    - ``base`` points dated before the current ``extra`` point are emitted with the value of the
      last ``extra`` point already emitted added (before any, we add 0; Flee 3.1 crashes with an
      IndexError there, i.e. whenever ``extra`` starts after ``base``);
    - an ``extra`` point dated on or before the cursor's ``base`` point is emitted with that
      (same or *next*) ``base`` value added, and becomes the carried value.
    Once ``base`` is exhausted, every later ``extra`` point is dropped and re-emits ``base``'s last
    point instead; ``base`` points after ``extra``'s last date are dropped. Both tables must be
    non-empty for a useful result (Flee crashes on an empty ``base``).
    """
    out: list[tuple[float, float]] = []
    last = len(base) - 1
    cursor = 0
    carried = 0.0
    for day2, value2 in extra.tolist():
        while day2 > base[cursor, 0]:
            out.append((float(base[cursor, 0]), carried + float(base[cursor, 1])))
            if cursor < last:
                cursor += 1
            else:
                break
        if day2 == base[cursor, 0]:
            out.append((day2, value2 + float(base[cursor, 1])))
            if cursor < last:
                cursor += 1
            carried = value2
        elif day2 < base[cursor, 0]:
            out.append((day2, value2 + float(base[cursor, 1])))
            carried = value2
    return np.array(out, dtype=np.float64).reshape(len(out), 2)


def interpolate_series(table: np.ndarray, n_days: int) -> np.ndarray:
    """Evaluate a series table on days ``0 .. n_days-1`` as Flee's ``get_interpolated_data``.

    On or before the first point's day: the first value. Otherwise the first point ``i >= 1``
    (in table order) dated after the day and its predecessor are interpolated linearly, and the
    result is truncated toward zero (``int()``); after every point: the last value, truncated.
    Float operations happen in Flee's order, so the integers are identical.
    """
    if len(table) == 0:
        raise ValueError("cannot interpolate an empty series")
    days = np.arange(n_days, dtype=np.float64)
    dates = table[:, 0]
    values = table[:, 1]
    if len(table) > 1:
        later = dates[1:][None, :] > days[:, None]
        inside = later.any(axis=1)
        nxt = later.argmax(axis=1) + 1
        prv = nxt - 1
        old_day = dates[prv]
        old_val = values[prv]
        with np.errstate(divide="ignore", invalid="ignore"):  # only days outside use nan/inf
            fraction = (days - old_day) / (dates[nxt] - old_day)
            interpolated = old_val + fraction * (values[nxt] - old_val)
        result = np.where(inside, interpolated, values[-1])
    else:
        result = np.full(n_days, values[-1])
    result = np.where(days <= dates[0], values[0], result)
    return np.trunc(result).astype(np.int64)


def read_layout(path: Path, *, root: Path | None = None
                ) -> tuple[list[LayoutRow], list[Problem]]:
    """Read ``data_layout.csv``: rows ``name,file[,file2,...]``, the first being the total.

    Blank rows and rows whose first cell starts with ``#`` are skipped; trailing empty cells are
    ignored. The first row must be named ``total`` (any case), names must be unique. The file
    names are not checked here (`load_observed` does). With ``root``, the file must lie inside
    that folder.
    """
    problems: list[Problem] = []
    rows = _read_rows(path, problems, "rows 'total,refugees.csv' then '<camp>,<file>.csv'", root)
    if rows is None:
        return [], problems
    where = str(path)
    entries: list[LayoutRow] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        if _is_blank(raw) or raw[0].startswith("#"):
            continue
        row = list(raw)
        while row and row[-1].strip() == "":
            row.pop()
        if len(row) < 2:
            problems.append(Problem(where, line, 2,
                                    "row names no file (expected name,file[,file2,...])"))
            continue
        name = row[0]
        if name.strip() == "":
            problems.append(Problem(where, line, 1, "series name is empty (expected a camp name)"))
            continue
        empty = [i for i in range(1, len(row)) if row[i].strip() == ""]
        if empty:
            problems.append(Problem(where, line, empty[0] + 1,
                                    "data file is empty (expected a file name)"))
            continue
        key = "total" if name.lower() == "total" else name
        if not entries and key != "total":
            problems.append(
                Problem(where, line, 1, f"first row is {name!r} (expected total,refugees.csv)")
            )
        if key in seen:
            problems.append(
                Problem(where, line, 1,
                        f"{name!r} repeats line {seen[key]} (expected unique names)")
            )
            continue
        seen[key] = line
        entries.append(LayoutRow(name, tuple(row[1:]), line))
    if not entries and not problems:
        problems.append(Problem(where, 1, 1, "has no rows (expected total,refugees.csv first)"))
    return entries, problems


def _apply_corrections(
    path: Path,
    start_date: date,
    names: list[str],
    tables: list[np.ndarray],
    problems: list[Problem],
    root: Path | None = None,
) -> None:
    """Apply ``registration_corrections.csv`` in place, as Flee's ``correctLevel1Registrations``.

    For each row ``name,YYYY-MM-DD[,...]`` and every point ``i > 0`` of that series dated that day
    (in table order), all points before ``i`` are multiplied by ``value[i] / value[i-1]``, read
    after earlier scalings. Flee crashes when no point after the first has that date; we report it.
    A first row such as ``camp_name,date`` is a header.
    """
    rows = _read_rows(path, problems, "rows camp_name,YYYY-MM-DD", root)
    if rows is None:
        return
    where = str(path)
    index = {name: i for i, name in enumerate(names)}
    first = True
    for line, row in rows:
        if _is_blank(row) or row[0].startswith("#"):
            continue
        if len(row) < 2:
            problems.append(Problem(where, line, 2, "row has one cell, missing the date "
                                    "(expected camp_name,YYYY-MM-DD)"))
            continue
        name, text = row[0], row[1]
        if first and parse_date(text) is None and HEADER_WORD.match(text):
            first = False
            continue  # a header such as camp_name,date
        first = False
        if name not in index:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(
                    where,
                    line,
                    1,
                    f"unknown series {name!r} (expected a name from data_layout.csv{hint})",
                )
            )
            continue
        when, err = check_cell(_CORRECTION_DATE_RULE, text)
        if err:
            problems.append(Problem(where, line, 2, err))
            continue
        table = tables[index[name]]
        offset = (when - start_date).days
        scaled = False
        for i in range(len(table)):
            if int(table[i, 0]) != offset or i == 0:
                continue
            first_level_2 = table[i, 1]
            last_level_1 = table[i - 1, 1]
            if last_level_1 == 0:
                problems.append(
                    Problem(
                        where,
                        line,
                        2,
                        f"{name!r} is 0 just before {text}, so the points "
                        "before cannot be rescaled (expected a non-zero count)",
                    )
                )
                break
            table[0:i, 1] *= first_level_2 / last_level_1
            scaled = True
        else:
            if not scaled:
                problems.append(
                    Problem(
                        where,
                        line,
                        2,
                        f"no data point of {name!r} dated {text} after its "
                        "first point (expected the date of a point in its series)",
                    )
                )


def spawn_schedule(new_displaced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flee's refugee-debt rule: people spawned per day and the debt printed after each day.

    ``new = Δ(t) − debt``; a negative ``new`` becomes the debt and nobody spawns; otherwise the
    debt is cleared. Pass `ObservedData.new_displaced` (day 0 already handled).
    """
    spawned = np.zeros(len(new_displaced), dtype=np.int64)
    debt_out = np.zeros(len(new_displaced), dtype=np.int64)
    debt = 0
    for t, delta in enumerate(new_displaced.tolist()):
        new = int(delta) - debt
        if new < 0:
            debt = -new
            new = 0
        else:
            debt = 0
        spawned[t] = new
        debt_out[t] = debt
    return spawned, debt_out


def load_observed(
    source_dir: Path,
    start_date: date,
    n_days: int,
    corrections: Path | None = None,
    *,
    hasten: int = 1,
    sum_from_camps: bool = False,
    insert_day0: bool = True,
    root: Path | None = None,
) -> ObservedData:
    """Read ``source_dir/data_layout.csv`` and its series, and evaluate them as Flee 3.1 does.

    ``corrections`` is the path of ``registration_corrections.csv`` (it must exist when given;
    pass None when the scenario has none). ``hasten`` divides every count (Flee's
    ``optimisations.hasten``); ``sum_from_camps`` makes the total the sum of all non-total series
    (Flee master's default) instead of the first row's series. (Master's code also adds the total
    series' day-0 value into its day-0 sum, so its raw count is ``T(0) + Σ camps(t)``; we keep
    the documented intent, ``Σ camps(t)``.)

    Semantics, all Flee's: the files of a row are step-merged (`merge_series`); corrections
    rescale points after hasten and merging; each series is interpolated with truncation
    (`interpolate_series`); ``total[t]`` is the interpolated total (Flee's cumulative
    ``refugees_raw``, which equals it); ``new_displaced[t] = total[t] − total[t−1]``, with
    ``new_displaced[0] = 0`` under ``insert_day0`` and ``total[0]`` otherwise;
    ``day0_camp = camps[:, 0]`` under ``insert_day0`` and zeros otherwise.

    Every file read must lie inside ``root``, the scenario folder (``source_dir`` when None,
    except for ``corrections``, which is then not checked): file names in data_layout.csv may
    not be absolute or use ``..``, and symbolic links may not lead out of that folder.

    Raises `ScenarioError` listing every problem in the files; ValueError for bad arguments.
    """
    if n_days < 0:
        raise ValueError(f"n_days must be >= 0, got {n_days}")
    if hasten < 1:
        raise ValueError(f"hasten must be >= 1, got {hasten}")
    source_dir = Path(source_dir)
    data_root = Path(root) if root is not None else source_dir
    layout_path = source_dir / "data_layout.csv"
    entries, problems = read_layout(layout_path, root=data_root)
    if problems:
        raise ScenarioError(problems)

    tables: list[np.ndarray] = []
    for entry in entries:
        parts: list[np.ndarray] = []
        for column, name in enumerate(entry.files, start=2):
            bad = data_file_problem(name, source_dir, data_root)
            if bad:
                problems.append(Problem(str(layout_path), entry.line, column, bad))
                continue
            table, found = read_series(source_dir / name, start_date, hasten, root=data_root)
            problems.extend(found)
            parts.append(table)
        if len(parts) == len(entry.files) and parts:
            merged = parts[0]
            for part in parts[1:]:
                merged = merge_series(merged, part) if len(merged) else merged
            tables.append(merged)
        else:
            tables.append(np.zeros((0, 2)))
    if problems:
        raise ScenarioError(problems)

    names = [entry.name for entry in entries]
    if corrections is not None:
        _apply_corrections(Path(corrections), start_date, names, tables, problems, root)
        if problems:
            raise ScenarioError(problems)

    n_eval = max(n_days, 1)  # day 0 is needed for day0_camp even when n_days == 0
    camp_names = tuple(names[1:])
    camps_full = np.zeros((len(camp_names), n_eval), dtype=np.int64)
    for i, table in enumerate(tables[1:]):
        camps_full[i] = interpolate_series(table, n_eval)
    if sum_from_camps:
        total_full = camps_full.sum(axis=0, dtype=np.int64)
    else:
        total_full = interpolate_series(tables[0], n_eval)

    total = total_full[:n_days].copy()
    camps = camps_full[:, :n_days].copy()
    new_displaced = np.zeros(n_days, dtype=np.int64)
    if n_days:
        new_displaced[1:] = np.diff(total)
        new_displaced[0] = 0 if insert_day0 else total[0]
    if insert_day0:
        day0_camp = camps_full[:, 0].copy()
    else:
        day0_camp = np.zeros(len(camp_names), dtype=np.int64)
    return ObservedData(
        total=total,
        new_displaced=new_displaced,
        camp_names=camp_names,
        camps=camps,
        day0_camp=day0_camp,
    )
