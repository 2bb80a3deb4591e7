"""Shared fixtures: the real Flee scenarios in ../shared, and a writer for toy scenario folders.

``write_scenario(tmp_path, ...)`` writes a valid Flee-format folder from plain Python lists, with
a default for everything, so a test names only what it is about::

    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "C", 0, 0, "conflict_zone", 0, 1000),
                   ("B", "R", "C", 0, 1, "camp", None, 100)],
        routes=[("A", "B", 100)],
        conflicts={"A": [1] * 10},
        length=10,
        refugees=[("2020-01-01", 0), ("2020-01-11", 100)],
        camps={"B": [("2020-01-01", 0)]},
        settings={"move_rules": {"awareness_level": 2}},
    )
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

SHARED_FLEE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "scenarios" / "flee"

#: The default toy network: a conflict zone, a town and a camp in another country.
DEFAULT_LOCATIONS: tuple[tuple[Any, ...], ...] = (
    ("A", "RA", "Home", 10.0, 10.0, "conflict_zone", 0, 1000),
    ("B", "RB", "Home", 10.0, 11.0, "town", None, 500),
    ("C", "RC", "Abroad", 10.0, 12.0, "camp", None, 200),
)
DEFAULT_ROUTES: tuple[tuple[Any, ...], ...] = (("A", "B", 100), ("B", "C", 100))
AUTO: Any = ...  # "work it out from the other arguments"

LAYOUTS = ("flee31", "sim_period", "flat")


def _write_csv(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])


def _data_file(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() + ".csv"


def write_toy_scenario(
    folder: Path,
    *,
    name: str = "toy",
    locations: Sequence[Sequence[Any]] = DEFAULT_LOCATIONS,
    location_attributes: Sequence[str] = (),
    routes: Sequence[Sequence[Any]] = DEFAULT_ROUTES,
    route_attributes: Sequence[str] = (),
    closures: Sequence[Sequence[Any]] = (),
    conflicts: Mapping[str, Sequence[float]] | None = AUTO,
    length: int = 10,
    start_date: str | date = "2020-01-01",
    refugees: Sequence[tuple[str | date, int]] | None = AUTO,
    camps: Mapping[str, Sequence[tuple[str | date, int]]] | None = AUTO,
    corrections: Sequence[tuple[str, str]] | None = None,
    settings: Mapping[str, Any] | None = None,
    policies: Mapping[str, Any] | None = None,
    layout: str = "flee31",
) -> Path:
    """Write a valid Flee-format scenario folder ``folder/name`` and return its path.

    - ``locations``: tuples ``(name, region, country, lat, lon, type, conflict_date, pop)``
      plus extra values named by ``location_attributes``; ``None`` writes an empty cell.
    - ``routes``: ``(name1, name2, distance[, forced_redirection, extras...])``.
    - ``closures``: ``(type, name1, name2, start, end)``.
    - ``conflicts``: ``{location: [intensity per day]}``; by default 1 on every day for each
      location whose type contains "conflict" and whose conflict_date is 0 or empty;
      ``None`` writes no conflicts.csv.
    - ``refugees``: ``[(date, total)]`` for refugees.csv; by default 0 on ``start_date`` and
      ``100 * length`` ``length`` days later; ``None`` writes no source data at all.
    - ``camps``: ``{camp: [(date, count)]}``; by default ``[(start_date, 0)]`` for every camp.
    - ``corrections``: ``[(camp, date)]`` rows of registration_corrections.csv.
    - ``settings``: a simsetting.yml mapping (``None``: no file, Flee's defaults).
    - ``policies``: a policies.yml mapping, written in its key order (``None``: no file).
    - ``layout``: ``"flee31"`` (input_csv/ + conflict_period.csv), ``"sim_period"``
      (input_csv/ + sim_period.csv) or ``"flat"`` (every file in the folder itself).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    root = folder / name
    root.mkdir(parents=True, exist_ok=True)
    flat = layout == "flat"
    inp = root if flat else root / "input_csv"
    src = root if flat else root / "source_data"
    start = date.fromisoformat(str(start_date))

    _write_csv(inp / "locations.csv", locations,
               ["#name", "region", "country", "latitude", "longitude", "location_type",
                "conflict_date", "population", *location_attributes])
    _write_csv(inp / "routes.csv", routes,
               ["#name1", "name2", "distance", "forced_redirection", *route_attributes])
    _write_csv(inp / "closures.csv", closures,
               ["#closure_type", "name1", "name2", "closure_start", "closure_end"])
    period = "sim_period.csv" if layout == "sim_period" else "conflict_period.csv"
    _write_csv(inp / period, [("StartDate", start.isoformat()), ("Length", length)], None)

    if conflicts is AUTO:
        conflicts = {row[0]: [1] * length for row in locations
                     if len(row) > 5 and "conflict" in str(row[5]).lower()
                     and (len(row) < 7 or row[6] in (0, "0", None, ""))}
    if conflicts is not None:
        names = list(conflicts)
        days = max((len(v) for v in conflicts.values()), default=length)
        _write_csv(inp / "conflicts.csv",
                   [[day, *(conflicts[n][day] for n in names)] for day in range(days)],
                   ["#Day", *names])
    if corrections is not None:
        _write_csv(inp / "registration_corrections.csv", corrections, None)

    if refugees is AUTO:
        refugees = [(start, 0), (start + timedelta(days=length), 100 * length)]
    if refugees is not None:
        if camps is AUTO:
            camps = {row[0]: [(start, 0)] for row in locations
                     if len(row) > 5 and "camp" in str(row[5]).lower()}
        camps = camps or {}
        _write_csv(src / "refugees.csv", refugees, ["Date", "Refugee_numbers"])
        layout_rows: list[tuple[str, str]] = [("total", "refugees.csv")]
        for camp, series in camps.items():
            layout_rows.append((camp, _data_file(camp)))
            _write_csv(src / _data_file(camp), series, None)
        _write_csv(src / "data_layout.csv", layout_rows, None)

    if settings is not None:
        (root / "simsetting.yml").write_text(yaml.safe_dump(dict(settings), sort_keys=False),
                                             encoding="utf-8")
    if policies is not None:
        (root / "policies.yml").write_text(yaml.safe_dump(dict(policies), sort_keys=False),
                                           encoding="utf-8")
    return root


@pytest.fixture(scope="session", autouse=True)
def _compiled_kernels() -> None:
    """Build the ahead-of-time kernels (if not yet built) before the first test, not inside one."""
    from borderflow import accel

    accel.kernels()


@pytest.fixture
def write_scenario():
    """The `write_toy_scenario` function: ``write_scenario(tmp_path, routes=[...], ...)``."""
    return write_toy_scenario


@pytest.fixture
def shared_flee_dir() -> Path:
    """``shared/scenarios/flee`` with mali, burundi and car; skips when it is not there."""
    if not SHARED_FLEE_DIR.is_dir():
        pytest.skip(f"shared Flee scenarios not found at {SHARED_FLEE_DIR}")
    return SHARED_FLEE_DIR
