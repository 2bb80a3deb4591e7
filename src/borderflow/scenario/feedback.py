"""The ``feedback`` section of ``policies.yml``: places whose pull follows a border's success rate.

People on the move hear, by word of mouth, which border is passable now. An entry names one or
more crossing groups (as the ``crossings`` section groups them) and the places whose
attractiveness follows them; the engine keeps an exponentially weighted count of yesterday's
and earlier attempts and entries over those groups' crossing links, and multiplies the places'
scores by ``((entries + 1) / (attempts + 1)) ** power`` (see `borderflow.policy.FeedbackMemory`).

The numeric fields and their ranges are kept as data (`FEEDBACK_FIELDS`), so tests can generate
a bad value for each of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SECTION = "feedback"
KEYS = ("crossings", "places", "half_life_days", "power", "start", "end")
REQUIRED = ("crossings", "places", "half_life_days", "power")


@dataclass(frozen=True)
class FeedbackField:
    """A numeric field of a feedback entry and its allowed range (inclusive)."""

    key: str
    low: float
    high: float
    meaning: str


#: The numeric fields, their ranges and what they mean. A half-life below a tenth of a day
#: would forget yesterday at once (events are counted per day); powers above 100 are 0/1 switches.
FEEDBACK_FIELDS: tuple[FeedbackField, ...] = (
    FeedbackField("half_life_days", 0.1, 3650.0,
                  "days after which an attempt or entry counts half as much"),
    FeedbackField("power", 0.0, 100.0, "the success rate is raised to this power"),
)


@dataclass(frozen=True)
class Feedback:
    """Scores of ``places`` × (success rate at the crossing ``groups``) ** ``power``.

    The success rate on day t is (entries + 1) / (attempts + 1) over the groups' crossing links,
    each event weighted ``0.5 ** ((t - 1 - s) / half_life_days)`` for the events of day s < t;
    the added success never fades (`borderflow.policy.FeedbackMemory`). The factor applies
    from ``start`` until ``end`` (-1: never ends); the memory runs all the time.
    """

    groups: tuple[str, ...]
    places: tuple[str, ...]
    half_life_days: float
    power: float
    start: int = -(10**9)
    end: int = -1


def crossing_groups(crossings: tuple, countries: Mapping[str, str] | None) -> set[str]:
    """The group names ``crossings`` define (a crossing's ``group``, else the country entered)."""
    out = set()
    for c in crossings:
        if c.group is not None:
            out.add(c.group)
        elif countries is not None and c.dst in countries:
            out.add(countries[c.dst])
    return out


def read_feedback(r: Any, value: Any, groups: set[str]) -> tuple[Feedback, ...]:
    """Read the section's entries with the policy reader ``r`` (problems go to ``r``)."""
    out = []
    if not isinstance(value, list):
        r.problem((SECTION,), "expected a list")
        return ()
    for i, item in enumerate(value):
        p = (SECTION, i)
        d = r.keys(item, p, KEYS, REQUIRED)
        if d is None or not set(REQUIRED) <= d.keys():
            continue
        ok = True
        raw = d["crossings"]
        names = raw if isinstance(raw, list) else [raw]
        paths = [(*p, "crossings", j) for j in range(len(names))] if isinstance(raw, list) \
            else [(*p, "crossings")]
        if not names:
            r.problem((*p, "crossings"), "empty list (expected a crossing group name or a "
                                         "list of them)")
            ok = False
        chosen: list[str] = []
        for q, name in zip(paths, names, strict=True):
            if not isinstance(name, str) or name not in groups:
                hint = difflib.get_close_matches(str(name), sorted(groups), n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else ""
                r.problem(q, f"unknown crossing group {name!r} (expected a group of the "
                             f"'crossings' section: {', '.join(sorted(groups)) or 'none'}){extra}")
                ok = False
            elif name not in chosen:
                chosen.append(name)
        places: list[str] = []
        raw_places = d["places"]
        if not isinstance(raw_places, list) or not raw_places:
            r.problem((*p, "places"), "expected a non-empty list of location names")
            ok = False
        else:
            for j, name in enumerate(raw_places):
                loc = r.location(name, (*p, "places", j))
                if loc is None:
                    ok = False
                elif loc not in places:
                    places.append(loc)
        nums = {}
        for f in FEEDBACK_FIELDS:
            nums[f.key] = r.number(d[f.key], (*p, f.key), low=f.low, high=f.high)
            ok = ok and nums[f.key] is not None
        start = r.day(d["start"], (*p, "start")) if d.get("start") is not None else -10**9
        end = r.day(d["end"], (*p, "end")) if d.get("end") is not None else -1
        if start is None or end is None:
            continue
        if d.get("start") is not None and end != -1 and end <= start:
            r.problem((*p, "end"), "end is not after start (expected a later date)")
            continue
        if ok:
            out.append(Feedback(tuple(chosen), tuple(places), float(nums["half_life_days"]),
                                float(nums["power"]), start, end))
    return tuple(out)
