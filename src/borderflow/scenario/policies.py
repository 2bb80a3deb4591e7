"""Our own policy file, ``policies.yml``: the border mechanics Flee has no words for.

A scenario folder may hold a ``policies.yml`` beside Flee's files. It describes, with dates:

- ``arrivals``: people entering the network on a schedule (e.g. flights, seats per week ×
  occupancy), each keeping its ``origin`` as an attribute;
- ``crossings``: directed links where each traversal is an attempt that is turned back with a
  probability that changes over time, optionally limited per day;
- ``attempts``: after how many attempts (or, on average, how many days) people give up crossing;
- ``blocks``: one-way closures of links between dates;
- ``zones``: places where people sleep exposed, and a daily minimum temperature;
- ``detention``: places that hold arrivals for a number of days, then release or remove them;
- ``returns``: return flights (seats on dates) and daily voluntary return rates;
- ``feedback``: places whose attractiveness follows the recent success rate at a border
  (see `borderflow.scenario.feedback`);
- ``parameters``: named numbers that any numeric field can refer to as ``$name``, so a
  calibration can change them without editing the file.

The file is read with YAML safe loading; every problem is reported as
``policies.yml:line:column: what is wrong (expected …)``, unknown keys with a "did you mean".
See docs/scenario-format.md for the full format with examples.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from borderflow.scenario.errors import Problem, ScenarioError
from borderflow.scenario.feedback import Feedback, crossing_groups, read_feedback

FILE_NAME = "policies.yml"


@dataclass(frozen=True)
class Step:
    """A piecewise-constant series: ``value`` holds from ``day`` until the next step."""

    day: int
    value: float


@dataclass(frozen=True)
class ArrivalRoute:
    """Scheduled arrivals: ``seats_per_week × occupancy`` people a week enter at ``to``."""

    origin: str
    to: str
    seats_per_week: tuple[Step, ...]
    occupancy: float = 1.0
    end: int = -1  # the route is cut from this day on (-1: never)


@dataclass(frozen=True)
class Crossing:
    """A directed link ``src → dst`` where each traversal is an attempt."""

    src: str
    dst: str
    turnback_to: str
    turnback_probability: tuple[Step, ...]
    capacity_per_day: tuple[Step, ...] | None = None
    group: str | None = None  # border group (default: the country entered)


@dataclass(frozen=True)
class Attractiveness:
    """Multiply the attractiveness of places (a country's, or listed ones) between two days.

    Flee weighs destinations by type and distance only; this expresses what else draws people
    to some places rather than others (onward destinations beyond sight, organised transport).
    """

    factor: float
    country: str | None = None
    locations: tuple[str, ...] = ()
    start: int = -(10**9)
    end: int = -1
    at: tuple[str, ...] = ()  # only choices made by people standing at these places (): all


@dataclass(frozen=True)
class MoveChance:
    """The daily chance of leaving the listed places, replacing Flee's type-based value."""

    value: float
    locations: tuple[str, ...]
    start: int = -(10**9)
    end: int = -1


@dataclass(frozen=True)
class ExposedZone:
    """People standing at ``location`` sleep exposed between ``start`` and ``end`` (-1: on)."""

    location: str
    start: int = -(10**9)
    end: int = -1


@dataclass(frozen=True)
class Block:
    """The direction ``src → dst`` of a link is closed from ``start`` until ``end`` (-1: never)."""

    src: str
    dst: str
    start: int
    end: int = -1


@dataclass(frozen=True)
class Detention:
    """Arrivals at ``location`` are held; ``delay_pmf[j]`` is the chance of ``j + 1`` days."""

    location: str
    delay_pmf: tuple[float, ...]
    capacity: int | None = None
    removal_probability: float = 0.0
    probability: float = 1.0  # chance that an arrival is held (apprehended)


@dataclass(frozen=True)
class ReturnFlight:
    """Up to ``seats`` people standing at ``location`` are flown home on ``day``."""

    location: str
    day: int
    seats: int


@dataclass(frozen=True)
class VoluntaryReturn:
    """People at ``location`` go home with daily chance ``rate`` between two days."""

    location: str
    rate: float
    start: int = 0
    end: int = -1
    only_gave_up: bool = False


MEASURES = {
    # measure: (applies to, kind)
    "attempts": ("links", "flow"), "entries": ("links", "flow"),
    "turnbacks": ("links", "flow"), "arrivals": ("links", "flow"),
    "population": ("locations", "stock"), "stranded": ("locations", "stock"),
    "detained": ("locations", "stock"), "removed": ("locations", "flow"),
    "spawned": ("total", "flow"), "exposed_nights": ("total", "flow"),
    "exposed_below_zero": ("total", "flow"),
}


@dataclass(frozen=True)
class SeriesDef:
    """A named daily output series: a measure summed over some places or links.

    Links are chosen by ``into_country`` (links from another country into it), or listed in
    ``links``; places by ``country`` or listed in ``locations``; with none, all of them.
    ``cumulative`` turns a daily flow into a running total. ``scale`` multiplies the daily
    values (e.g. the expected number of people apprehended among those entering: entries times
    the chance of being apprehended); a series with a scale other than 1 is not a whole number.
    """

    name: str
    measure: str
    into_country: str | None = None
    country: str | None = None
    locations: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    cumulative: bool = False
    scale: float = 1.0


@dataclass(frozen=True)
class Policies:
    """Everything in a ``policies.yml``, with dates turned into simulation days."""

    parameters: Mapping[str, float | date] = field(default_factory=dict)
    arrivals: tuple[ArrivalRoute, ...] = ()
    crossings: tuple[Crossing, ...] = ()
    give_up_after: int | None = None
    give_up_after_days: float | None = None
    blocks: tuple[Block, ...] = ()
    exposed: tuple[ExposedZone, ...] = ()
    temperature: tuple[Step, ...] = ()
    detentions: tuple[Detention, ...] = ()
    return_flights: tuple[ReturnFlight, ...] = ()
    voluntary_returns: tuple[VoluntaryReturn, ...] = ()
    series: tuple[SeriesDef, ...] = ()
    attractiveness: tuple[Attractiveness, ...] = ()
    movechance: tuple[MoveChance, ...] = ()
    feedback: tuple[Feedback, ...] = ()

    @property
    def origins(self) -> tuple[str, ...]:
        """Origin labels of scheduled arrivals, in order of first appearance."""
        seen: list[str] = []
        for a in self.arrivals:
            if a.origin not in seen:
                seen.append(a.origin)
        return tuple(seen)


# --------------------------------------------------------------------------------------------
# YAML with positions


def _compose(text: str, rel: str) -> tuple[Any, dict[tuple, tuple[int, int]]]:
    """Safe-load YAML and remember the 1-based (line, column) of every value by its path."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        raise ScenarioError.single(rel, f"invalid YAML: {getattr(exc, 'problem', exc)} "
                                        "(expected a YAML mapping of policy sections)",
                                   line, col) from None
    marks: dict[tuple, tuple[int, int]] = {}
    constructor = yaml.SafeLoader(text)

    def walk(n: yaml.Node | None, path: tuple) -> Any:
        if n is None:
            return None
        marks[path] = (n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for k, v in n.value:
                key = constructor.construct_object(k, deep=True)
                marks[(*path, ("key", key))] = (k.start_mark.line + 1, k.start_mark.column + 1)
                out[key] = walk(v, (*path, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [walk(v, (*path, i)) for i, v in enumerate(n.value)]
        return constructor.construct_object(n, deep=True)

    try:
        data = walk(node, ())
    except yaml.YAMLError as exc:
        raise ScenarioError.single(rel, f"invalid YAML value: {exc}") from None
    return data, marks


class _Reader:
    """Turns the parsed YAML into dataclasses, collecting every problem with its position."""

    def __init__(self, rel: str, marks: dict, start: date, locations: set[str],
                 parameters: dict[str, Any]) -> None:
        self.rel = rel
        self.marks = marks
        self.start = start
        self.locations = locations
        self.parameters = parameters
        self.problems: list[Problem] = []

    def problem(self, path: tuple, message: str) -> None:
        line, col = self.marks.get(path, (None, None))
        self.problems.append(Problem(self.rel, line, col, message))

    def keys(self, value: Any, path: tuple, allowed: tuple[str, ...],
             required: tuple[str, ...] = ()) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping with keys {', '.join(allowed)}")
            return None
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else ""
                self.problem((*path, ("key", key)),
                             f"unknown key '{key}' (expected one of {', '.join(allowed)}){extra}")
        for key in required:
            if key not in value:
                self.problem(path, f"missing key '{key}'")
        return value

    def resolve(self, value: Any, path: tuple) -> Any:
        """``$name`` → the parameter's value (a number or a date); anything else unchanged."""
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:]
            if name not in self.parameters:
                hint = difflib.get_close_matches(name, list(self.parameters), n=1)
                extra = f"; did you mean '${hint[0]}'?" if hint else ""
                self.problem(path, f"unknown parameter '{value}' (expected a name defined "
                                   f"under 'parameters'){extra}")
                return _MISSING
            return self.parameters[name]
        return value

    def number(self, value: Any, path: tuple, *, low: float | None = None,
               high: float | None = None, integer: bool = False) -> float | None:
        value = self.resolve(value, path)
        if value is _MISSING:
            return None
        what = "a whole number" if integer else "a number"
        rng = ""
        if low is not None:
            rng += f" >= {low:g}"
        if high is not None:
            rng += f" and <= {high:g}" if rng else f" <= {high:g}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, f"{value!r} is not valid (expected {what}{rng})")
            return None
        if not math.isfinite(value) or (integer and float(value) != int(value)):
            self.problem(path, f"{value!r} is not valid (expected {what}{rng})")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.problem(path, f"{value!r} is out of range (expected {what}{rng})")
            return None
        return float(value)

    def day(self, value: Any, path: tuple) -> int | None:
        value = self.resolve(value, path)
        if value is _MISSING:
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return (value - self.start).days
        if isinstance(value, str):
            try:
                return (date.fromisoformat(value.strip()) - self.start).days
            except ValueError:
                pass
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.problem(path, f"{value!r} is not a date (expected YYYY-MM-DD or a day number)")
        return None

    def location(self, value: Any, path: tuple) -> str | None:
        if not isinstance(value, str) or value not in self.locations:
            hint = difflib.get_close_matches(str(value), sorted(self.locations), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            self.problem(path, f"unknown location {value!r} (expected a name from "
                               f"locations.csv){extra}")
            return None
        return value

    def steps(self, value: Any, path: tuple, *, low: float | None = None,
              high: float | None = None) -> tuple[Step, ...] | None:
        """A number (constant) or a list of ``{from: DATE, value: X}``, dates increasing."""
        if not isinstance(value, list):
            v = self.number(value, path, low=low, high=high)
            return None if v is None else (Step(-10**9, v),)
        out: list[Step] = []
        for i, item in enumerate(value):
            p = (*path, i)
            item = self.keys(item, p, ("from", "value"), ("from", "value"))
            if item is None or "from" not in item or "value" not in item:
                continue
            d = self.day(item["from"], (*p, "from"))
            v = self.number(item["value"], (*p, "value"), low=low, high=high)
            if d is None or v is None:
                continue
            if out and d <= out[-1].day:
                self.problem((*p, "from"), "dates out of order (expected each 'from' later "
                                           "than the one before)")
                continue
            out.append(Step(d, v))
        if not out:
            self.problem(path, "empty series (expected at least one {from, value})")
            return None
        return tuple(out)


_MISSING = object()


def _parameter_value(value: Any) -> float | date | None:
    """A parameter is a finite number or a date (ISO text or a YAML date)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


SECTIONS = ("parameters", "arrivals", "crossings", "attempts", "blocks", "zones", "detention",
            "returns", "series", "attractiveness", "movechance", "feedback")


def load_policies(root: Path, start: date, location_names: set[str], *,
                  parameter_overrides: Mapping[str, Any] | None = None,
                  location_countries: Mapping[str, str] | None = None) -> Policies | None:
    """Read ``root/policies.yml`` if it exists; ``None`` when the scenario has none.

    ``location_countries`` (name → country) resolves the default border group of a crossing
    (the country entered), which the ``feedback`` section may name.
    """
    path = root / FILE_NAME
    if not path.exists():
        return None
    rel = FILE_NAME
    if not path.is_file():
        raise ScenarioError.single(rel, "is not a file (expected a YAML file)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError.single(rel, f"not UTF-8 text at byte {exc.start} "
                                        "(expected a UTF-8 YAML file)") from None
    data, marks = _compose(text, rel)
    if data is None:
        return Policies()
    params: dict[str, float | date] = {}
    r = _Reader(rel, marks, start, location_names, params)
    top = r.keys(data, (), SECTIONS)
    if top is None:
        raise ScenarioError(r.problems)
    raw_params = top.get("parameters") or {}
    if isinstance(raw_params, dict):
        for name, value in raw_params.items():
            v = _parameter_value(value)
            if v is None:
                r.problem(("parameters", name), f"{value!r} is not valid (expected a number "
                                                "or a date YYYY-MM-DD)")
            else:
                params[str(name)] = v
    else:
        r.problem(("parameters",), "expected a mapping of names to numbers or dates")
    for name, value in (parameter_overrides or {}).items():
        v = _parameter_value(value)
        if name not in params:
            hint = difflib.get_close_matches(name, list(params), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            r.problems.append(Problem(rel, None, None, f"parameter {name}: no such parameter "
                                      f"(expected one of {', '.join(params) or 'none'}){extra}"))
        elif v is None or type(v) is not type(params[name]):
            kind = "a date" if isinstance(params[name], date) else "a number"
            r.problems.append(Problem(rel, None, None, f"parameter {name} = {value!r} is not "
                                      f"valid (expected {kind})"))
        else:
            params[name] = v

    arrivals = _arrivals(r, top.get("arrivals") or [])
    crossings = _crossings(r, top.get("crossings") or [])
    give_up_after, give_up_days = _attempts(r, top.get("attempts") or {})
    blocks = _blocks(r, top.get("blocks") or [])
    exposed, temperature = _zones(r, top.get("zones") or {}, root)
    detentions = _detentions(r, top.get("detention") or [])
    flights, voluntary = _returns(r, top.get("returns") or {})
    series = _series(r, top.get("series") or [])
    attract = _attractiveness(r, top.get("attractiveness") or [], location_names, root)
    movechance = _movechance(r, top.get("movechance") or [])
    feedback = read_feedback(r, top.get("feedback") or [],
                             crossing_groups(crossings, location_countries))
    if r.problems:
        raise ScenarioError(r.problems)
    return Policies(parameters=dict(params), arrivals=arrivals, crossings=crossings,
                    give_up_after=give_up_after, give_up_after_days=give_up_days,
                    blocks=blocks, exposed=exposed, temperature=temperature,
                    detentions=detentions, return_flights=flights, voluntary_returns=voluntary,
                    series=series, attractiveness=attract, movechance=movechance,
                    feedback=feedback)


def _items(r: _Reader, value: Any, path: tuple) -> list[tuple[tuple, Any]]:
    if not isinstance(value, list):
        r.problem(path, "expected a list")
        return []
    return [((*path, i), item) for i, item in enumerate(value)]


def _places(r: _Reader, d: dict, key: str, path: tuple) -> tuple[str, ...]:
    """The known location names listed under ``d[key]`` (unknown ones are reported)."""
    out = []
    for q, item in _items(r, d.get(key) or [], (*path, key)):
        if (loc := r.location(item, q)) is not None:
            out.append(loc)
    return tuple(out)


def _arrivals(r: _Reader, value: Any) -> tuple[ArrivalRoute, ...]:
    out = []
    for p, item in _items(r, value, ("arrivals",)):
        d = r.keys(item, p, ("origin", "to", "seats_per_week", "occupancy", "cut"),
                   ("origin", "to", "seats_per_week"))
        if d is None or not {"origin", "to", "seats_per_week"} <= d.keys():
            continue
        to = r.location(d["to"], (*p, "to"))
        seats = r.steps(d["seats_per_week"], (*p, "seats_per_week"), low=0)
        occ = r.number(d.get("occupancy", 1.0), (*p, "occupancy"), low=0, high=1)
        origin = d["origin"]
        if not isinstance(origin, str) or not origin.strip():
            r.problem((*p, "origin"), f"{origin!r} is not valid (expected a non-empty label)")
            continue
        cut = r.day(d["cut"], (*p, "cut")) if d.get("cut") is not None else -1
        if to is not None and seats is not None and occ is not None and cut is not None:
            out.append(ArrivalRoute(origin.strip(), to, seats, occ, cut))
    return tuple(out)


def _crossings(r: _Reader, value: Any) -> tuple[Crossing, ...]:
    out = []
    for p, item in _items(r, value, ("crossings",)):
        d = r.keys(item, p, ("from", "to", "turnback_to", "turnback_probability",
                             "capacity_per_day", "group"), ("from", "to", "turnback_probability"))
        if d is None or not {"from", "to", "turnback_probability"} <= d.keys():
            continue
        src = r.location(d["from"], (*p, "from"))
        dst = r.location(d["to"], (*p, "to"))
        back = r.location(d.get("turnback_to", d["from"]), (*p, "turnback_to"))
        prob = r.steps(d["turnback_probability"], (*p, "turnback_probability"), low=0, high=1)
        cap = None
        if d.get("capacity_per_day") is not None:
            cap = r.steps(d["capacity_per_day"], (*p, "capacity_per_day"), low=0)
        group = d.get("group")
        if group is not None and (not isinstance(group, str) or not group.strip()):
            r.problem((*p, "group"), f"{group!r} is not valid (expected a group name)")
            continue
        if None not in (src, dst, back, prob) and (cap is not None
                                                   or d.get("capacity_per_day") is None):
            out.append(Crossing(src, dst, back, prob, cap, group))
    return tuple(out)


def _attempts(r: _Reader, value: Any) -> tuple[int | None, float | None]:
    d = r.keys(value, ("attempts",), ("give_up_after", "give_up_after_days"))
    if d is None:
        return None, None
    k = days = None
    if d.get("give_up_after") is not None:
        v = r.number(d["give_up_after"], ("attempts", "give_up_after"), low=1, high=50,
                     integer=True)
        k = None if v is None else int(v)
    if d.get("give_up_after_days") is not None:
        days = r.number(d["give_up_after_days"], ("attempts", "give_up_after_days"), low=1)
    return k, days


def _blocks(r: _Reader, value: Any) -> tuple[Block, ...]:
    out = []
    for p, item in _items(r, value, ("blocks",)):
        d = r.keys(item, p, ("from", "to", "start", "end"), ("from", "to", "start"))
        if d is None or not {"from", "to", "start"} <= d.keys():
            continue
        src = r.location(d["from"], (*p, "from"))
        dst = r.location(d["to"], (*p, "to"))
        start = r.day(d["start"], (*p, "start"))
        end = r.day(d["end"], (*p, "end")) if d.get("end") is not None else -1
        if start is not None and end is not None and end != -1 and end <= start:
            r.problem((*p, "end"), "end is not after start (expected a later date)")
            continue
        if None not in (src, dst, start, end):
            out.append(Block(src, dst, start, end))
    return tuple(out)


def _zones(r: _Reader, value: Any, root: Path) -> tuple[tuple[ExposedZone, ...],
                                                        tuple[Step, ...]]:
    d = r.keys(value, ("zones",), ("exposed", "temperature"))
    if d is None:
        return (), ()
    exposed: list[ExposedZone] = []
    for p, item in _items(r, d.get("exposed") or [], ("zones", "exposed")):
        if isinstance(item, dict):  # {location, start, end}: exposed only between dates
            z = r.keys(item, p, ("location", "start", "end"), ("location",))
            if z is None or "location" not in z:
                continue
            name = r.location(z["location"], (*p, "location"))
            start = r.day(z["start"], (*p, "start")) if z.get("start") is not None else -10**9
            end = r.day(z["end"], (*p, "end")) if z.get("end") is not None else -1
            if name is not None and start is not None and end is not None:
                exposed.append(ExposedZone(name, start, end))
            continue
        name = r.location(item, p)
        if name is not None:
            exposed.append(ExposedZone(name))
    temp: tuple[Step, ...] = ()
    t = d.get("temperature")
    if isinstance(t, dict):
        f = r.keys(t, ("zones", "temperature"), ("file",), ("file",))
        if f is not None and "file" in f:
            temp = _temperature_file(r, root, f["file"], ("zones", "temperature", "file"))
    elif t is not None:
        temp = r.steps(t, ("zones", "temperature"), low=-90, high=60) or ()
    return tuple(exposed), temp


def _temperature_file(r: _Reader, root: Path, name: Any, path: tuple) -> tuple[Step, ...]:
    """A CSV ``date,value`` of daily minimum temperatures (°C), inside the scenario folder."""
    from borderflow.scenario.csvtext import data_file_problem, read_rows, read_text

    if not isinstance(name, str) or not name or "\x00" in name:
        r.problem(path, f"{name!r} is not a file name (expected a CSV file in the scenario)")
        return ()
    why = data_file_problem(name, root, root)
    if why is not None:
        r.problem(path, f"'{name}': {why}")
        return ()
    text, problems = read_text(root / name, name, "date,value rows", root=root)
    r.problems.extend(problems)
    if text is None:
        return ()
    rows, problems = read_rows(text, name)
    r.problems.extend(problems)
    steps: list[Step] = []
    sub = _Reader(name, {}, r.start, set(), {})
    for line_no, row in rows:
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or cells[0].lower() in ("date", "#date") \
                or cells[0].startswith("#"):
            continue
        if len(cells) < 2:
            r.problems.append(Problem(name, line_no, 1, "expected 2 columns: date,value"))
            continue
        d = sub.day(cells[0], ())
        try:
            v = float(cells[1])
        except ValueError:
            v = math.nan
        if d is None:
            r.problems.append(Problem(name, line_no, 1, f"{cells[0]!r} is not a date "
                                                        "(expected YYYY-MM-DD)"))
        elif not math.isfinite(v) or not -90 <= v <= 60:
            r.problems.append(Problem(name, line_no, 2, f"{cells[1]!r} is not valid (expected "
                                                        "degrees Celsius, -90 to 60)"))
        elif steps and d <= steps[-1].day:
            r.problems.append(Problem(name, line_no, 1, "dates out of order (expected "
                                                        "increasing dates)"))
        else:
            steps.append(Step(d, v))
    return tuple(steps)


def _detentions(r: _Reader, value: Any) -> tuple[Detention, ...]:
    out = []
    for p, item in _items(r, value, ("detention",)):
        d = r.keys(item, p, ("location", "days", "capacity", "removal_probability",
                             "probability"), ("location", "days"))
        if d is None or not {"location", "days"} <= d.keys():
            continue
        loc = r.location(d["location"], (*p, "location"))
        pmf = _delay(r, d["days"], (*p, "days"))
        cap = None
        if d.get("capacity") is not None:
            v = r.number(d["capacity"], (*p, "capacity"), low=0, integer=True)
            cap = None if v is None else int(v)
        rem = r.number(d.get("removal_probability", 0.0), (*p, "removal_probability"), low=0,
                       high=1)
        prob = r.number(d.get("probability", 1.0), (*p, "probability"), low=0, high=1)
        if loc is not None and pmf is not None and rem is not None and prob is not None:
            out.append(Detention(loc, pmf, cap, rem, prob))
    return tuple(out)


def _delay(r: _Reader, value: Any, path: tuple) -> tuple[float, ...] | None:
    """Days held: ``{fixed: N}``, ``{uniform: [A, B]}`` or ``{pmf: [p1, p2, …]}`` (1, 2, … days)."""
    d = r.keys(value, path, ("fixed", "uniform", "pmf"))
    if d is None or len(d) != 1:
        if d is not None:
            r.problem(path, "expected exactly one of fixed, uniform, pmf")
        return None
    if "fixed" in d:
        n = r.number(d["fixed"], (*path, "fixed"), low=1, high=3650, integer=True)
        return None if n is None else tuple([0.0] * (int(n) - 1) + [1.0])
    if "uniform" in d:
        u = d["uniform"]
        if not isinstance(u, list) or len(u) != 2:
            r.problem((*path, "uniform"), "expected [first day, last day]")
            return None
        a = r.number(u[0], (*path, "uniform", 0), low=1, high=3650, integer=True)
        b = r.number(u[1], (*path, "uniform", 1), low=1, high=3650, integer=True)
        if a is None or b is None:
            return None
        if b < a:
            r.problem((*path, "uniform"), "last day before first day (expected [A, B], A <= B)")
            return None
        return tuple([0.0] * (int(a) - 1) + [1.0 / (b - a + 1)] * int(b - a + 1))
    if "pmf" not in d:  # the one key given is unknown (already reported)
        return None
    pmf = d["pmf"]
    if not isinstance(pmf, list) or not pmf:
        r.problem((*path, "pmf"), "expected a non-empty list of probabilities for 1, 2, … days")
        return None
    vals = [r.number(v, (*path, "pmf", i), low=0, high=1) for i, v in enumerate(pmf)]
    if any(v is None for v in vals):
        return None
    total = sum(v for v in vals if v is not None)
    if abs(total - 1.0) > 1e-6:
        r.problem((*path, "pmf"), f"probabilities sum to {total:g} (expected 1)")
        return None
    return tuple(float(v) for v in vals if v is not None)


def _returns(r: _Reader, value: Any) -> tuple[tuple[ReturnFlight, ...],
                                               tuple[VoluntaryReturn, ...]]:
    d = r.keys(value, ("returns",), ("flights", "voluntary"))
    if d is None:
        return (), ()
    flights = []
    for p, item in _items(r, d.get("flights") or [], ("returns", "flights")):
        f = r.keys(item, p, ("from", "date", "seats"), ("from", "date", "seats"))
        if f is None or not {"from", "date", "seats"} <= f.keys():
            continue
        loc = r.location(f["from"], (*p, "from"))
        day = r.day(f["date"], (*p, "date"))
        seats = r.number(f["seats"], (*p, "seats"), low=0, integer=True)
        if None not in (loc, day, seats):
            flights.append(ReturnFlight(loc, day, int(seats)))  # type: ignore[arg-type]
    voluntary = []
    for p, item in _items(r, d.get("voluntary") or [], ("returns", "voluntary")):
        v = r.keys(item, p, ("location", "rate", "start", "end", "only_gave_up"),
                   ("location", "rate"))
        if v is None or not {"location", "rate"} <= v.keys():
            continue
        loc = r.location(v["location"], (*p, "location"))
        rate = r.number(v["rate"], (*p, "rate"), low=0, high=1)
        start = r.day(v["start"], (*p, "start")) if v.get("start") is not None else 0
        end = r.day(v["end"], (*p, "end")) if v.get("end") is not None else -1
        only = v.get("only_gave_up", False)
        if not isinstance(only, bool):
            r.problem((*p, "only_gave_up"), f"{only!r} is not valid (expected true or false)")
            continue
        if None not in (loc, rate, start, end):
            voluntary.append(VoluntaryReturn(loc, rate, start, end, only))  # type: ignore[arg-type]
    return tuple(flights), tuple(voluntary)


def _attractiveness(r: _Reader, value: Any, names: set[str],
                    root: Path) -> tuple[Attractiveness, ...]:
    out = []
    for p, item in _items(r, value, ("attractiveness",)):
        d = r.keys(item, p, ("factor", "country", "locations", "start", "end", "at"),
                   ("factor",))
        if d is None or "factor" not in d:
            continue
        factor = r.number(d["factor"], (*p, "factor"), low=0)
        locs = _places(r, d, "locations", p)
        at = _places(r, d, "at", p)
        country = d.get("country")
        if country is not None and not isinstance(country, str):
            r.problem((*p, "country"), f"{country!r} is not valid (expected a country name)")
            continue
        start = r.day(d["start"], (*p, "start")) if d.get("start") is not None else -10**9
        end = r.day(d["end"], (*p, "end")) if d.get("end") is not None else -1
        if factor is not None and start is not None and end is not None:
            out.append(Attractiveness(factor, country, locs, start, end, at))
    return tuple(out)


def _movechance(r: _Reader, value: Any) -> tuple[MoveChance, ...]:
    out = []
    for p, item in _items(r, value, ("movechance",)):
        d = r.keys(item, p, ("value", "locations", "start", "end"), ("value", "locations"))
        if d is None or not {"value", "locations"} <= d.keys():
            continue
        v = r.number(d["value"], (*p, "value"), low=0, high=1)
        locs = [loc for q, it in _items(r, d["locations"], (*p, "locations"))
                if (loc := r.location(it, q)) is not None]
        start = r.day(d["start"], (*p, "start")) if d.get("start") is not None else -10**9
        end = r.day(d["end"], (*p, "end")) if d.get("end") is not None else -1
        if v is not None and locs and start is not None and end is not None:
            out.append(MoveChance(v, tuple(locs), start, end))
    return tuple(out)


def _series(r: _Reader, value: Any) -> tuple[SeriesDef, ...]:
    out: list[SeriesDef] = []
    names: set[str] = set()
    for p, item in _items(r, value, ("series",)):
        d = r.keys(item, p, ("name", "measure", "into_country", "country", "locations",
                             "links", "cumulative", "scale"), ("name", "measure"))
        if d is None or not {"name", "measure"} <= d.keys():
            continue
        name = d["name"]
        if not isinstance(name, str) or not name.strip() or name in names:
            r.problem((*p, "name"), f"{name!r} is not valid (expected a new, non-empty name)")
            continue
        measure = d["measure"]
        if measure not in MEASURES:
            hint = difflib.get_close_matches(str(measure), list(MEASURES), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            r.problem((*p, "measure"), f"unknown measure {measure!r} (expected one of "
                                       f"{', '.join(MEASURES)}){extra}")
            continue
        locs = _places(r, d, "locations", p)
        links: list[tuple[str, str]] = []
        for q, item2 in _items(r, d.get("links") or [], (*p, "links")):
            if not isinstance(item2, list) or len(item2) != 2:
                r.problem(q, "expected [from, to]")
                continue
            a, b = r.location(item2[0], (*q, 0)), r.location(item2[1], (*q, 1))
            if a is not None and b is not None:
                links.append((a, b))
        cumulative = d.get("cumulative", False)
        if not isinstance(cumulative, bool):
            r.problem((*p, "cumulative"), f"{cumulative!r} is not valid (expected true or false)")
            continue
        scale = r.number(d.get("scale", 1.0), (*p, "scale"), low=0.0)
        if scale is None:
            continue
        names.add(name)
        out.append(SeriesDef(name.strip(), measure, d.get("into_country"), d.get("country"),
                             locs, tuple(links), cumulative, scale))
    return tuple(out)


def step_values(steps: tuple[Step, ...], days: int, default: float = 0.0) -> list[float]:
    """Evaluate a piecewise-constant series on days ``0 … days-1``."""
    out = []
    i = -1
    for t in range(days):
        while i + 1 < len(steps) and steps[i + 1].day <= t:
            i += 1
        out.append(steps[i].value if i >= 0 else default)
    return out
