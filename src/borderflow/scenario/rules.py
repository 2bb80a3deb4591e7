"""The rules every cell of a Flee scenario's CSV files must follow, as one table.

`COLUMN_RULES` lists, for every file and column the loaders read, what the column holds (its
*kind*), whether it may be empty and its allowed range. `check_cell` applies a rule to one cell
and returns the value or a message saying what was expected, so `flee_format` and `series` check
cells from this table, and the generated bad-input tests (``tests/test_bad_input.py``) make
invalid values for every rule from it. Rules that need more than the cell (a name must be a
location, days must follow each other) are named by flags here and checked by the loaders.

The upper bounds are far above any real scenario; they exist so that a typo such as ``1e300``
is reported instead of overflowing the engine's integer arrays or dates.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "CLOSURE_TYPES",
    "COLUMN_RULES",
    "DATE_MAX",
    "DATE_MIN",
    "HEADER_WORD",
    "LOCATION_KINDS",
    "MAX_DAY",
    "MAX_PEOPLE",
    "MAX_RUN_DAYS",
    "MIN_COLUMNS",
    "ColumnRule",
    "check_cell",
    "classify_location_type",
    "describe",
    "did_you_mean",
    "hint",
    "rule",
    "rules_for",
]

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
LOCATION_TYPES = ("conflict_zone", "town", "default", "camp", "idpcamp", "forwarding_hub",
                  "marker", "flood_zone")
CLOSURE_TYPES = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")

MAX_DAY = 100_000  # a day number in closures.csv, conflicts.csv or a conflict date
MAX_RUN_DAYS = 20_000  # Length: about 55 years, so every simulated date stays representable
MAX_PEOPLE = 10**12  # a population, capacity or UNHCR count
MAX_DISTANCE = 1e6  # km
MAX_SPEED = 1e6  # km per day
MAX_INTENSITY = 1e6
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2200, 12, 31)

# Kinds of column.
NAME = "name"  # a location name: unique, no commas, quotes or control characters
TEXT = "text"  # free text
LOCATION = "location"  # a name from locations.csv
PLACE = "place"  # a location or a country, depending on the closure type
LOCATION_TYPE = "location type"  # matched by substring, as Flee does
CHOICE = "choice"
NUMBER = "number"
INTEGER = "integer"
DATE = "date"
FILE = "file"  # a file name relative to the source data folder, inside the scenario folder
KINDS = (NAME, TEXT, LOCATION, PLACE, LOCATION_TYPE, CHOICE, NUMBER, INTEGER, DATE, FILE)

#: A header cell written without '#': a word, not a number or a date.
HEADER_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ./()-]*$")

SERIES = "<series>.csv"  # any UNHCR series file named in data_layout.csv
PERIOD = "conflict_period.csv"  # or sim_period.csv; its rules are rows named by column 1


@dataclass(frozen=True)
class ColumnRule:
    """One column of one file: what it holds and which values are allowed.

    ``column`` is 1-based; ``None`` for an optional column found by its header name (extra
    attributes such as ``walk_probability``). ``repeats`` means every later column follows the
    same rule (conflicts.csv intensities, data_layout.csv files). ``required`` columns may not be
    empty. ``also`` lists whole numbers allowed outside the range (``-1``: never). ``unique``:
    no two rows share a value. ``ordered``: ``"rows"`` when values must increase down the file,
    or the name of a column of the same row that the value may not come before. ``label`` names
    the column in messages; ``noun`` says what a valid value is.
    """

    file: str
    column: int | None
    name: str
    kind: str
    required: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()
    also: tuple[int, ...] = ()
    unique: bool = False
    ordered: str = ""
    repeats: bool = False
    label: str = ""
    noun: str = ""

    @property
    def title(self) -> str:
        """How messages name the column."""
        return self.label or self.name


_R = ColumnRule
COLUMN_RULES: tuple[ColumnRule, ...] = (
    _R("locations.csv", 1, "name", NAME, required=True, unique=True, label="location name"),
    _R("locations.csv", 2, "region", TEXT),
    _R("locations.csv", 3, "country", TEXT),
    _R("locations.csv", 4, "latitude", NUMBER, low=-90, high=90),
    _R("locations.csv", 5, "longitude", NUMBER, low=-180, high=180),
    _R("locations.csv", 6, "location_type", LOCATION_TYPE, required=True,
       choices=LOCATION_TYPES, label="location type"),
    _R("locations.csv", 7, "conflict_date", INTEGER, low=0, high=MAX_DAY,
       label="conflict date", noun="a day number"),
    _R("locations.csv", 8, "population", INTEGER, low=0, high=MAX_PEOPLE,
       noun="a whole number"),
    _R("locations.csv", None, "conflict_intensity", NUMBER, low=0, high=MAX_INTENSITY),
    _R("locations.csv", None, "deactivation_probability", NUMBER, low=0, high=1),
    _R("routes.csv", 1, "name1", LOCATION, required=True),
    _R("routes.csv", 2, "name2", LOCATION, required=True),
    _R("routes.csv", 3, "distance", NUMBER, required=True, low=0, low_open=True,
       high=MAX_DISTANCE, noun="a number of km"),
    _R("routes.csv", 4, "forced_redirection", INTEGER, choices=("0", "1", "2")),
    _R("routes.csv", None, "max_move_speed", NUMBER, low=0, low_open=True, high=MAX_SPEED,
       noun="a number of km per day"),
    _R("routes.csv", None, "walk_probability", NUMBER, low=0, high=1),
    _R("closures.csv", 1, "closure_type", CHOICE, required=True, choices=CLOSURE_TYPES,
       label="closure type"),
    _R("closures.csv", 2, "name1", PLACE, required=True),
    _R("closures.csv", 3, "name2", PLACE),  # required for country, link and forced-redirection
    _R("closures.csv", 4, "closure_start", INTEGER, required=True, low=0, high=MAX_DAY,
       label="closure start", noun="a day number"),
    _R("closures.csv", 5, "closure_end", INTEGER, required=True, low=0, high=MAX_DAY,
       also=(-1,), ordered="closure_start", label="closure end",
       noun="-1 for never, or a day number"),
    _R("conflicts.csv", 1, "Day", INTEGER, required=True, low=0, high=MAX_DAY, ordered="rows",
       label="day", noun="a day number"),
    _R("conflicts.csv", 2, "intensity", NUMBER, required=True, low=0, high=MAX_INTENSITY,
       repeats=True, label="conflict intensity"),
    _R(PERIOD, 2, "StartDate", DATE, required=True, label="start date"),
    _R(PERIOD, 2, "Length", INTEGER, required=True, low=1, high=MAX_RUN_DAYS, label="length",
       noun="a whole number of days"),
    _R("registration_corrections.csv", 1, "camp_name", LOCATION, required=True),
    _R("registration_corrections.csv", 2, "date", DATE, required=True),
    _R("data_layout.csv", 1, "name", TEXT, required=True, unique=True, label="series name"),
    _R("data_layout.csv", 2, "file", FILE, required=True, repeats=True, label="data file"),
    _R(SERIES, 1, "Date", DATE, required=True, ordered="rows", label="date"),
    _R(SERIES, 2, "Count", INTEGER, low=0, high=MAX_PEOPLE, label="count",
       noun="a whole number"),  # a row with an empty count is skipped, as Flee does
)


#: How many columns every row of a file must have (shorter rows are reported as ragged).
MIN_COLUMNS: dict[str, int] = {
    "locations.csv": 8,
    "routes.csv": 3,
    "closures.csv": 5,
    PERIOD: 2,  # a key without its value is reported as an empty value
    "registration_corrections.csv": 2,
    "data_layout.csv": 2,
    SERIES: 2,
}  # conflicts.csv: one value per column of its header


def rules_for(file: str) -> tuple[ColumnRule, ...]:
    """The rules of one file, by its table name (``"routes.csv"``, `SERIES`, `PERIOD`...)."""
    return tuple(r for r in COLUMN_RULES if r.file == file)


def rule(file: str, name: str) -> ColumnRule:
    """The rule of one named column; KeyError if there is none."""
    for r in COLUMN_RULES:
        if r.file == file and r.name == name:
            return r
    raise KeyError(f"no rule for {file} column {name!r}")


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


def _number_text(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e7:
        return str(int(x))
    return f"{x:g}".replace("e+", "e")


def describe(r: ColumnRule, *, low: float | None = None) -> str:
    """What a valid value of the column is, for the ``(expected ...)`` part of a message.

    ``low`` replaces the rule's lower bound (closure_end's depends on closure_start).
    """
    low = r.low if low is None else low
    if r.kind in (CHOICE, LOCATION_TYPE) or r.choices:
        text = "one of " + ", ".join(r.choices)
    elif r.kind in (NUMBER, INTEGER):
        text = r.noun or ("a whole number" if r.kind == INTEGER else "a number")
        if low is not None and r.high is not None and not r.low_open:
            text += f" from {_number_text(low)} to {_number_text(r.high or 0)}"
        else:
            parts = []
            if low is not None:
                parts.append(("> " if r.low_open else ">= ") + _number_text(low))
            if r.high is not None:
                parts.append(f"<= {_number_text(r.high)}")
            text += " " + " and ".join(parts) if parts else ""
    elif r.kind == DATE:
        text = f"a date YYYY-MM-DD from {DATE_MIN} to {DATE_MAX}"
    elif r.kind == NAME:
        text = "a name without commas, quotes or control characters"
    elif r.kind == FILE:
        text = "a file name relative to the data folder"
    elif r.kind == LOCATION:
        text = "a location name"
    elif r.kind == PLACE:
        text = "a location or country name"
    else:
        text = "text without control characters"
    return text if r.required else text + ", or empty"


def _control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def parse_number(text: str) -> float | None:
    """A finite number, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_integer(text: str) -> int | None:
    """A whole number, also written as ``1234.0`` or ``1e3``; None otherwise."""
    try:
        return int(text)
    except ValueError:
        value = parse_number(text)
        return int(value) if value is not None and value.is_integer() else None


def parse_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date (as Flee reads it, with strptime), or None."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


def check_cell(r: ColumnRule, text: str, *, low: float | None = None
               ) -> tuple[object, str | None]:
    """Check one (stripped) cell against its rule: ``(value, None)`` or ``(None, message)``.

    An empty cell of a column that is not required gives ``(None, None)``: the loader chooses
    the default. Numbers come back as float, integers as int, dates as `datetime.date`, every
    other kind as the text. ``low`` replaces the rule's lower bound.
    """
    if text == "":
        if r.required:
            return None, f"{r.title} is empty (expected {describe(r, low=low)})"
        return None, None
    if _control(text):
        return None, (f"{r.title} {text!r} holds a control character "
                      f"(expected {describe(r, low=low)})")
    value: object = text
    ok = True
    if r.kind == NUMBER:
        value = parse_number(text)
        ok = value is not None and _in_range(r, value, low)
    elif r.kind == INTEGER:
        value = parse_integer(text)
        ok = value is not None and (str(value) in r.choices if r.choices
                                    else value in r.also or _in_range(r, value, low))
    elif r.kind == DATE:
        value = parse_date(text)
        ok = value is not None and DATE_MIN <= value <= DATE_MAX
    elif r.kind == CHOICE:
        ok = text in r.choices
    elif r.kind == LOCATION_TYPE:
        ok = classify_location_type(text) is not None
    elif r.kind == NAME:
        ok = not any(ch in text for ch in ',"')
    if not ok:
        close = did_you_mean(text, r.choices) if r.kind == CHOICE else ""
        return None, f"{r.title} '{text}' is not valid (expected {describe(r, low=low)}{close})"
    return value, None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` for the closest candidate, or ``""`` (to end an expectation)."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def hint(name: str, candidates: Iterable[str]) -> str:
    """``" (did you mean 'X'?)"`` for warnings, or ``""``."""
    close = did_you_mean(name, candidates)
    return f" ({close[2:]})" if close else ""


def _in_range(r: ColumnRule, value: float, low: float | None) -> bool:
    low = r.low if low is None else low
    if low is not None and (value < low or (r.low_open and value == low)):
        return False
    return r.high is None or value <= r.high
