"""The validated, immutable description of a scenario, as the loader hands it to the engine.

Nothing here reads files: `borderflow.scenario.flee_format` builds these objects, and the
network compiler (`borderflow.network`) turns them into arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from borderflow.params import Settings

if TYPE_CHECKING:
    from borderflow.scenario.policies import Policies


@dataclass(frozen=True)
class Location:
    """One row of ``locations.csv``.

    ``location_type`` is the raw type string (Flee matches it by substring); ``population`` is
    the population of a town or conflict zone and the capacity of a camp (0 = empty/unlimited).
    ``conflict_date`` is ``None`` when the cell is empty. Extra columns land in ``attributes``.
    """

    name: str
    region: str
    country: str
    lat: float
    lon: float
    location_type: str
    conflict_date: int | None
    population: int
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """One row of ``routes.csv``: an undirected link between two named locations (km)."""

    name1: str
    name2: str
    distance: float
    forced_redirection: int = 0
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Closure:
    """One row of ``closures.csv``; ``end == -1`` means never reopened."""

    closure_type: str
    name1: str
    name2: str
    start: int
    end: int


@dataclass(frozen=True)
class ConflictTable:
    """``conflicts.csv``: intensity per day (rows, from day 0) and location (columns).

    Columns whose names are not locations are kept out (Flee ignores them); ``values`` has shape
    ``(days, len(names))``.
    """

    names: tuple[str, ...]
    values: np.ndarray


@dataclass(frozen=True)
class ObservedData:
    """UNHCR series from ``source_data/`` evaluated on every simulated day, exactly as Flee does.

    - ``total[t]``: the interpolated total T(t) (Flee's "raw UNHCR refugee count").
    - ``new_displaced[t]``: Flee's daily difference used for spawning (before refugee debt).
    - ``camp_names``: camps in ``data_layout.csv`` order; ``camps[i, t]`` the interpolated
      camp series as Flee prints it in ``<camp> data``.
    - ``day0_camp[i]``: people Flee inserts into camp i on day 0 (``insert_day0``).
    """

    total: np.ndarray
    new_displaced: np.ndarray
    camp_names: tuple[str, ...]
    camps: np.ndarray
    day0_camp: np.ndarray


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: geography, schedules, observed data and settings."""

    path: Path
    name: str
    start_date: date
    length: int
    locations: tuple[Location, ...]
    routes: tuple[Route, ...]
    closures: tuple[Closure, ...]
    conflicts: ConflictTable | None
    observed: ObservedData | None
    settings: Settings
    warnings: tuple[str, ...] = ()
    policies: Policies | None = None
