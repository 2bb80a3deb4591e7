"""`Results` of a run: populations per day and place, and how to save and load them.

A results folder holds:

- ``out.csv``: Flee's columns, so Flee's plotting and validation scripts work unchanged;
- ``populations.parquet``: tidy table ``day, date, kind, name, population`` with every location
  and every directed link on every day (``kind`` is ``location`` or ``link``);
- ``flows.parquet``: per day and directed link, the people who reached its end;
- ``run.json``: scenario, seed, days, version and daily totals (spawned, removed).

Every file is written to a temporary name and renamed, so an interrupted write never leaves a file
that looks complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from borderflow.scenario.model import ObservedData

if TYPE_CHECKING:  # pandas is imported where it is used: `run --out-csv-only` needs none
    import pandas as pd

_UMASK = os.umask(0)  # read once, while importing: os.umask can only be read by setting it
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` for a temporary file beside ``path``, then rename it to ``path``.

    The file gets the permissions of a file created normally (mkstemp's are owner-only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class Events:
    """Daily records of a run beyond populations: flows, border events, removals.

    ``link_events[t, e, k]``: on day t and directed link k, ``e`` = attempts, entries,
    turn-backs, arrivals (see `borderflow.kernel`). Per location: ``removed`` (returned,
    deported or sunk), ``stranded`` (people who attempted a crossing at least once and stand
    there), ``detained`` (held). Per origin: scheduled ``arrivals_by_origin`` and
    ``removed_by_origin``. ``exposed_nights``: people sleeping at exposed places;
    ``exposed_below_zero``: the same on nights below 0 °C.
    """

    loc_pop: np.ndarray
    link_pop: np.ndarray
    link_events: np.ndarray
    spawned: np.ndarray
    removed_total: np.ndarray
    removed: np.ndarray
    removed_by_origin: np.ndarray
    arrivals_by_origin: np.ndarray
    debt: np.ndarray
    stranded: np.ndarray
    detained: np.ndarray
    exposed_nights: np.ndarray
    exposed_below_zero: np.ndarray

    @classmethod
    def empty(cls, days: int, n_loc: int, n_links: int, n_origins: int) -> Events:
        """All-zero records for a run of ``days`` days."""
        i8 = np.int64
        return cls(
            loc_pop=np.zeros((days, n_loc), i8), link_pop=np.zeros((days, n_links), i8),
            link_events=np.zeros((days, 4, n_links), i8), spawned=np.zeros(days, i8),
            removed_total=np.zeros(days, i8), removed=np.zeros((days, n_loc), i8),
            removed_by_origin=np.zeros((days, n_origins), i8),
            arrivals_by_origin=np.zeros((days, n_origins), i8), debt=np.zeros(days, i8),
            stranded=np.zeros((days, n_loc), i8), detained=np.zeros((days, n_loc), i8),
            exposed_nights=np.zeros(days, i8), exposed_below_zero=np.zeros(days, i8),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The records by name (for checkpoints)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def load(self, arrays: dict[str, np.ndarray]) -> None:
        """Fill the records from `arrays` output (resuming a checkpoint)."""
        for name, value in arrays.items():
            getattr(self, name)[...] = value

    @property
    def attempts(self) -> np.ndarray:
        """Crossing attempts per day and directed link."""
        return self.link_events[:, 0, :]

    @property
    def entries(self) -> np.ndarray:
        """Crossing attempts that got through, per day and directed link."""
        return self.link_events[:, 1, :]

    @property
    def turnbacks(self) -> np.ndarray:
        """Crossing attempts turned back, per day and directed link."""
        return self.link_events[:, 2, :]


@dataclass
class Results:
    """Day-by-day output of one run (day t = state after day t's moves)."""

    scenario_name: str
    start_date: date
    seed: int
    location_names: tuple[str, ...]
    link_names: tuple[str, ...]
    camp_names: tuple[str, ...]
    location_population: np.ndarray  # int64[days, locations]
    link_population: np.ndarray  # int64[days, links]
    link_arrivals: np.ndarray  # int64[days, links]
    spawned: np.ndarray  # int64[days]: new people per day (excluding day-0 camp insertion)
    removed: np.ndarray  # int64[days]
    initial: int = 0  # people inserted into camps before day 0
    refugee_debt: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    observed: ObservedData | None = None
    events: Events | None = None
    origins: tuple[str, ...] = ("local",)
    scenario_path: str | None = None
    location_countries: tuple[str, ...] = ()
    crossing_links: tuple[int, ...] = ()
    series_defs: tuple = ()  # extra SeriesDef from policies.yml

    @property
    def days(self) -> int:
        """Number of simulated days."""
        return int(self.location_population.shape[0])

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Calendar date of every simulated day."""
        import pandas as pd
        return pd.date_range(self.start_date, periods=self.days, freq="D", name="date")

    @property
    def locations(self) -> pd.DataFrame:
        """People at each location (columns) after each day (rows, indexed by date)."""
        import pandas as pd
        return pd.DataFrame(self.location_population, index=self.dates,
                            columns=pd.Index(self.location_names, name="location"))

    @property
    def links(self) -> pd.DataFrame:
        """People travelling on each directed link (``"A->B"``) after each day."""
        import pandas as pd
        return pd.DataFrame(self.link_population, index=self.dates,
                            columns=pd.Index(self.link_names, name="link"))

    @property
    def camps(self) -> pd.DataFrame:
        """People in each camp after each day."""
        return self.locations[list(self.camp_names)]

    @property
    def total_present(self) -> np.ndarray:
        """People in the simulation (at places or on links) after each day."""
        return self.location_population.sum(axis=1) + self.link_population.sum(axis=1)

    @property
    def total_spawned(self) -> np.ndarray:
        """Cumulative people who entered the simulation, day-0 camp insertion included."""
        return self.initial + np.cumsum(self.spawned)

    def out_csv_text(self) -> str:
        """Flee-compatible ``out.csv`` text."""
        from borderflow.outcsv import format_out_csv

        if self.observed is None:
            raise ValueError("out.csv needs observed data (source_data/) for its data columns")
        col = {name: i for i, name in enumerate(self.location_names)}
        camp_sim = self.location_population[:, [col[c] for c in self.camp_names]]
        return format_out_csv(self.start_date, self.camp_names, camp_sim, self.observed,
                              self.total_spawned, self.refugee_debt)

    def tidy_populations(self) -> pd.DataFrame:
        """Long table: day, date, kind, name, population (``kind`` and ``name`` categorical)."""
        import pandas as pd
        n_loc, n_link, days = len(self.location_names), len(self.link_names), self.days
        names, (loc_codes, link_codes) = _coded(self.location_names, self.link_names)
        day = np.arange(days, dtype=np.int32)
        day_col = np.concatenate([np.repeat(day, n_loc), np.repeat(day, n_link)])
        start = np.datetime64(self.start_date.isoformat(), "us")
        return pd.DataFrame({
            "day": day_col,
            "date": start + day_col.astype("timedelta64[D]"),
            "kind": pd.Categorical.from_codes(
                np.repeat(np.array([0, 1], dtype=np.int8), [days * n_loc, days * n_link]),
                categories=["location", "link"]),
            "name": pd.Categorical.from_codes(
                np.concatenate([np.tile(loc_codes, days), np.tile(link_codes, days)]),
                categories=names),
            "population": np.concatenate([
                self.location_population.reshape(-1), self.link_population.reshape(-1)
            ]).astype(np.int64),
        })

    def tidy_events(self) -> pd.DataFrame:
        """Non-zero daily events: ``day, kind (link|location|origin), name, event, value``."""
        import pandas as pd
        ev = self.events
        if ev is None:
            return pd.DataFrame(columns=["day", "kind", "name", "event", "value"])
        parts = []
        link_names = np.array(self.link_names, dtype=object)
        loc_names = np.array(self.location_names, dtype=object)
        origins = np.array(self.origins, dtype=object)
        items = [("link", link_names, name, ev.link_events[:, i, :])
                 for i, name in enumerate(("attempts", "entries", "turnbacks", "arrivals"))]
        items += [("location", loc_names, "removed", ev.removed),
                  ("location", loc_names, "stranded", ev.stranded),
                  ("location", loc_names, "detained", ev.detained),
                  ("origin", origins, "arrived", ev.arrivals_by_origin),
                  ("origin", origins, "removed", ev.removed_by_origin)]
        for kind, names, event, values in items:
            day, idx = np.nonzero(values)
            if len(day):
                parts.append(pd.DataFrame({"day": day.astype(np.int32), "kind": kind,
                                           "name": names[idx], "event": event,
                                           "value": values[day, idx].astype(np.int64)}))
        if not parts:
            return pd.DataFrame(columns=["day", "kind", "name", "event", "value"])
        return pd.concat(parts, ignore_index=True)

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write the results folder (see module docstring); returns the files written."""
        import pandas as pd
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        if self.observed is not None:
            text = self.out_csv_text()
            atomic_write(out / "out.csv", lambda p: p.write_text(text, encoding="utf-8"))
            written.append(out / "out.csv")
        tidy = self.tidy_populations()
        atomic_write(out / "populations.parquet", lambda p: tidy.to_parquet(p, index=False))
        written.append(out / "populations.parquet")
        links, (link_codes,) = _coded(self.link_names)
        flows = pd.DataFrame({
            "day": np.repeat(np.arange(self.days, dtype=np.int32), len(self.link_names)),
            "link": pd.Categorical.from_codes(np.tile(link_codes, self.days), categories=links),
            "arrivals": self.link_arrivals.reshape(-1),
        })
        atomic_write(out / "flows.parquet", lambda p: flows.to_parquet(p, index=False))
        written.append(out / "flows.parquet")
        if self.events is not None:
            events = self.tidy_events()
            atomic_write(out / "events.parquet", lambda p: events.to_parquet(p, index=False))
            written.append(out / "events.parquet")
        if self.location_countries:
            from borderflow.outputs import monthly_table, series_kinds, series_table

            daily = series_table(self, self.series_defs)
            monthly = monthly_table(daily, series_kinds(self, self.series_defs))
            daily_csv = daily.assign(date=daily["date"].dt.strftime("%Y-%m-%d"))
            atomic_write(out / "series.csv",
                         lambda p: daily_csv.to_csv(p, index=False, lineterminator="\n"))
            atomic_write(out / "monthly.csv",
                         lambda p: monthly.to_csv(p, index=False, lineterminator="\n"))
            written += [out / "series.csv", out / "monthly.csv"]
        meta = {
            "scenario": self.scenario_name,
            "start_date": self.start_date.isoformat(),
            "days": self.days,
            "seed": self.seed,
            "initial": self.initial,
            "camps": list(self.camp_names),
            "spawned": self.spawned.tolist(),
            "removed": self.removed.tolist(),
            "origins": list(self.origins),
            "scenario_path": self.scenario_path,
            "borderflow_version": _version(),
        }
        text = json.dumps(meta, indent=1)
        atomic_write(out / "run.json", lambda p: p.write_text(text + "\n", encoding="utf-8"))
        written.append(out / "run.json")
        return written

    @classmethod
    def load(cls, out_dir: str | Path) -> Results:
        """Read a results folder written by `save` (populations, flows and run.json)."""
        import pandas as pd
        out = Path(out_dir)
        meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
        tidy = pd.read_parquet(out / "populations.parquet")
        days = int(meta["days"])
        locs = tidy[tidy["kind"] == "location"]
        links = tidy[tidy["kind"] == "link"]
        loc_names = tuple(locs["name"].iloc[: len(locs) // max(days, 1)])
        link_names = tuple(links["name"].iloc[: len(links) // max(days, 1)])
        flows = pd.read_parquet(out / "flows.parquet")
        return cls(
            scenario_name=meta["scenario"],
            start_date=date.fromisoformat(meta["start_date"]),
            seed=int(meta["seed"]),
            location_names=loc_names,
            link_names=link_names,
            camp_names=tuple(meta["camps"]),
            location_population=locs["population"].to_numpy().reshape(days, len(loc_names)),
            link_population=links["population"].to_numpy().reshape(days, len(link_names)),
            link_arrivals=flows["arrivals"].to_numpy().reshape(days, len(link_names)),
            spawned=np.array(meta["spawned"], dtype=np.int64),
            removed=np.array(meta["removed"], dtype=np.int64),
            initial=int(meta["initial"]),
        )

    def date_of(self, day: int) -> date:
        """Calendar date of a simulated day."""
        return self.start_date + timedelta(days=day)


def _coded(*groups: tuple[str, ...]) -> tuple[list[str], list[np.ndarray]]:
    """Categories (distinct names of all groups, first-seen order) and each group's codes.

    Categorical columns (dictionary-encoded in Parquet) are built from integer codes, without
    a Python string per row: writing every place and link on every day of a 1,000-place,
    1,000-day run went from about 2 s to a fraction of that.
    """
    categories = list(dict.fromkeys(name for names in groups for name in names))
    code = {name: i for i, name in enumerate(categories)}
    return categories, [np.array([code[n] for n in names], dtype=np.int32) for names in groups]


def _version() -> str:
    from borderflow import __version__

    return __version__
