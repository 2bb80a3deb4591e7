"""Basic needs of the people at a place, in the minimum standards of the Sphere Handbook (2018).

The Sphere Handbook 2018 sets, among others, these minimum standards for people in displacement:

- water: 15 litres per person per day (drinking, cooking and personal hygiene);
- food: 2,100 kcal per person per day;
- shelter: 3.5 m² of covered living space per person;
- sanitation: one shared toilet (latrine) per 20 people.

The functions here turn head counts into those quantities. They are pure: numbers in, numbers out,
no rounding except for latrines, which are whole units and are rounded up (a group of 21 people
needs two). Water and food for integer head counts are exact integers; covered space is a multiple
of 0.5 m².
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "NEEDS_COLUMNS",
    "SPHERE_2018",
    "Needs",
    "SphereStandard",
    "daily_needs",
    "needs_table",
]


@dataclass(frozen=True)
class SphereStandard:
    """Minimum quantities per person, and the name of the standard they come from."""

    name: str = "Sphere Handbook 2018"
    water_litres_per_person_day: int = 15
    kcal_per_person_day: int = 2100
    covered_m2_per_person: float = 3.5
    people_per_latrine: int = 20


#: The Sphere Handbook 2018 minimum standards used throughout the report.
SPHERE_2018 = SphereStandard()


@dataclass(frozen=True)
class Needs:
    """What ``people`` need on one day under a standard."""

    people: int
    water_litres: int
    kcal: int
    covered_m2: float
    latrines: int


def _latrines(people: np.ndarray | int, per: int) -> np.ndarray | int:
    return -(-people // per)  # ceiling division, exact for integers


def daily_needs(people: int, standard: SphereStandard = SPHERE_2018) -> Needs:
    """Water (L), food (kcal), covered space (m²) and latrines that ``people`` need per day."""
    people = int(people)
    if people < 0:
        raise ValueError(f"people must be >= 0, got {people}")
    return Needs(
        people=people,
        water_litres=people * standard.water_litres_per_person_day,
        kcal=people * standard.kcal_per_person_day,
        covered_m2=people * standard.covered_m2_per_person,
        latrines=int(_latrines(people, standard.people_per_latrine)),
    )


#: Columns of `needs_table`, in order.
NEEDS_COLUMNS = (
    "place",
    "people_last_day",
    "peak_people",
    "peak_date",
    "water_litres_per_day_at_peak",
    "kcal_per_day_at_peak",
    "covered_m2_at_peak",
    "latrines_at_peak",
    "person_days",
    "water_m3_total",
    "kcal_total",
)


def _row(place: str, values: np.ndarray, dates: pd.DatetimeIndex,
         standard: SphereStandard) -> dict[str, object]:
    values = np.asarray(values, dtype=np.int64)
    if len(values) and values.min() < 0:
        raise ValueError(f"{place}: negative head count")
    peak_at = int(np.argmax(values)) if len(values) else 0
    peak = int(values[peak_at]) if len(values) else 0
    at_peak = daily_needs(peak, standard)
    person_days = int(values.sum())
    return {
        "place": place,
        "people_last_day": int(values[-1]) if len(values) else 0,
        "peak_people": peak,
        "peak_date": dates[peak_at].date() if len(values) else None,
        "water_litres_per_day_at_peak": at_peak.water_litres,
        "kcal_per_day_at_peak": at_peak.kcal,
        "covered_m2_at_peak": at_peak.covered_m2,
        "latrines_at_peak": at_peak.latrines,
        "person_days": person_days,
        "water_m3_total": person_days * standard.water_litres_per_person_day / 1000,
        "kcal_total": person_days * standard.kcal_per_person_day,
    }


def needs_table(
    populations: pd.DataFrame,
    *,
    total: Sequence[int] | np.ndarray | None = None,
    total_label: str = "Whole scenario",
    standard: SphereStandard = SPHERE_2018,
) -> pd.DataFrame:
    """Needs per place at its peak and over the whole period, plus one row for a total.

    ``populations`` holds people per day (rows, indexed by date) and place (columns). Each place
    gets one row (`NEEDS_COLUMNS`): its people on the last day, its peak and the day of the peak,
    the daily needs at the peak, and over all days the person-days, water in m³ and food in kcal.
    Places with nobody on any day are left out; rows are sorted by peak, largest first. When
    ``total`` (people per day, e.g. everyone in the simulation) is given, a last row named
    ``total_label`` is added for it: its peak is the peak of the total, not the sum of the
    places' peaks (they fall on different days).
    """
    dates = pd.DatetimeIndex(populations.index)
    rows = [_row(str(name), populations[name].to_numpy(), dates, standard)
            for name in populations.columns]
    rows = [r for r in rows if r["peak_people"] > 0]
    rows.sort(key=lambda r: (-int(r["peak_people"]), str(r["place"])))
    if total is not None:
        values = np.asarray(total)
        if len(values) != len(dates):
            raise ValueError(f"total has {len(values)} days, populations {len(dates)}")
        rows.append(_row(total_label, values, dates, standard))
    return pd.DataFrame(rows, columns=list(NEEDS_COLUMNS))
