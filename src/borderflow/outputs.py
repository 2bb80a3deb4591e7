"""Named daily series from a run's records, and their monthly summaries.

Every run gets a few general series (people present, new arrivals, people returned, exposed
person-nights; per country reached by a border crossing: attempts, entries and turn-backs; per
country with detention places: people detained). A scenario's ``policies.yml`` can define more
under ``series`` (see `borderflow.scenario.policies.SeriesDef`). ``series.csv`` is tidy
(``date,series,value``, one row per day and series); ``monthly.csv`` sums flows and averages
stocks over calendar months.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from borderflow.scenario.policies import MEASURES, SeriesDef

if TYPE_CHECKING:
    from borderflow.results import Results

_LINK_EVENT = {"attempts": 0, "entries": 1, "turnbacks": 2, "arrivals": 3}


def default_series(results: Results) -> list[SeriesDef]:
    """The general series every run reports."""
    out = [
        SeriesDef("people_present", "population"),
        SeriesDef("new_arrivals", "spawned"),
        SeriesDef("returned", "removed", cumulative=True),
        SeriesDef("exposed_person_nights", "exposed_nights"),
        SeriesDef("exposed_person_nights_below_zero", "exposed_below_zero"),
    ]
    countries = results.location_countries
    seen: list[str] = []
    for k in results.crossing_links:
        dst = results.link_names[k].split("->", 1)[1]
        c = countries[results.location_names.index(dst)]
        if c not in seen:
            seen.append(c)
    for c in seen:
        out += [SeriesDef(f"attempts_{c}", "attempts", into_country=c),
                SeriesDef(f"entries_{c}", "entries", into_country=c),
                SeriesDef(f"turnbacks_{c}", "turnbacks", into_country=c)]
    det_countries: list[str] = []
    if results.events is not None:
        held = results.events.detained.sum(axis=0) > 0
        for i in np.flatnonzero(held):
            if countries[i] not in det_countries:
                det_countries.append(countries[i])
    out += [SeriesDef(f"detained_{c}", "detained", country=c) for c in det_countries]
    return out


def _link_mask(results: Results, d: SeriesDef) -> np.ndarray:
    names = results.link_names
    mask = np.zeros(len(names), dtype=bool)
    countries = dict(zip(results.location_names, results.location_countries, strict=True))
    if d.links:
        wanted = {f"{a}->{b}" for a, b in d.links}
        mask[[i for i, n in enumerate(names) if n in wanted]] = True
    elif d.into_country:
        for i, n in enumerate(names):
            a, b = n.split("->", 1)
            mask[i] = countries[b] == d.into_country and countries[a] != d.into_country
    else:
        mask[:] = True
    return mask


def _loc_mask(results: Results, d: SeriesDef) -> np.ndarray:
    countries = np.array(results.location_countries, dtype=object)
    if d.locations:
        return np.isin(np.array(results.location_names, dtype=object), list(d.locations))
    if d.country:
        return countries == d.country
    return np.ones(len(countries), dtype=bool)


def series_values(results: Results, d: SeriesDef) -> np.ndarray:
    """Daily values of one series definition."""
    ev = results.events
    where, _ = MEASURES[d.measure]
    if d.measure == "population":
        m = _loc_mask(results, d)
        values = results.location_population[:, m].sum(axis=1)
        if not d.locations and not d.country:
            values = values + results.link_population.sum(axis=1)
    elif ev is None:
        values = np.zeros(results.days, dtype=np.int64)
    elif where == "links":
        values = ev.link_events[:, _LINK_EVENT[d.measure], :][:, _link_mask(results, d)].sum(1)
    elif d.measure == "spawned":
        values = results.spawned.copy()
        values[0] += results.initial
    elif d.measure in ("exposed_nights", "exposed_below_zero"):
        values = getattr(ev, d.measure)
    else:
        values = getattr(ev, d.measure)[:, _loc_mask(results, d)].sum(axis=1)
    values = np.asarray(values, dtype=np.int64)
    if d.scale != 1.0:
        values = values * d.scale  # floats: an expected count, not whole people or events
    return np.cumsum(values) if d.cumulative else values


def series_table(results: Results, extra: tuple[SeriesDef, ...] = ()) -> pd.DataFrame:
    """Tidy ``date, series, value`` for the default series plus ``extra`` (same name wins)."""
    defs = {d.name: d for d in default_series(results)}
    defs.update({d.name: d for d in extra})
    dates = results.dates
    frames = [pd.DataFrame({"date": dates, "series": name, "value": series_values(results, d)})
              for name, d in defs.items()]
    if not frames:
        return pd.DataFrame(columns=["date", "series", "value"])
    return pd.concat(frames, ignore_index=True)


def series_kinds(results: Results, extra: tuple[SeriesDef, ...] = ()) -> dict[str, str]:
    """``flow`` or ``stock`` for every series (cumulative series are stocks)."""
    defs = {d.name: d for d in default_series(results)}
    defs.update({d.name: d for d in extra})
    return {name: "stock" if d.cumulative else MEASURES[d.measure][1]
            for name, d in defs.items()}


def monthly_table(daily: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Calendar-month values: sums for flows, means for stocks."""
    if daily.empty:
        return pd.DataFrame(columns=["month", "series", "value"])
    df = daily.assign(month=pd.to_datetime(daily["date"]).dt.strftime("%Y-%m"))
    rows = []
    for (month, name), group in df.groupby(["month", "series"], sort=False):
        value = group["value"].sum() if kinds.get(name) == "flow" else group["value"].mean()
        rows.append((month, name, float(value)))
    out = pd.DataFrame(rows, columns=["month", "series", "value"])
    return out.sort_values(["series", "month"], kind="stable").reset_index(drop=True)
