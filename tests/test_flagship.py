"""The flagship scenario (2021 Belarus–EU border) and its what-if variants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderflow.engine import Simulation
from borderflow.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1] / "scenarios" / "belarus-2021"
VARIANTS = ROOT / "variants"
REQUIRED_SERIES = (
    "attempts_PL", "entries_PL", "turnbacks_PL", "attempts_LT", "entries_LT", "turnbacks_LT",
    "attempts_LV", "entries_LV", "turnbacks_LV", "arrivals_DE", "in_belarus",
    "stranded_border_BY", "camp_Bruzgi", "returned", "detained_PL", "detained_LT",
    "detained_LV", "exposed_person_nights", "exposed_person_nights_below_zero",
)


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    sc = load_scenario(ROOT)
    res = Simulation(sc, seed=1).run()
    out = tmp_path_factory.mktemp("flagship")
    res.save(out)
    return sc, res, out


def test_flagship_writes_every_documented_series(base_run):
    _, res, out = base_run
    daily = pd.read_csv(out / "series.csv")
    monthly = pd.read_csv(out / "monthly.csv")
    assert set(REQUIRED_SERIES) <= set(daily["series"])
    assert set(REQUIRED_SERIES) <= set(monthly["series"])
    assert len(daily[daily["series"] == "attempts_PL"]) == res.days
    # flows are summed per month: the monthly attempts add up to the daily ones
    d = daily[daily["series"] == "attempts_PL"]["value"].sum()
    m = monthly[monthly["series"] == "attempts_PL"]["value"].sum()
    assert d == m > 0


def test_flagship_invariants(base_run):
    _, res, _ = base_run
    ev = res.events
    assert (ev.attempts == ev.entries + ev.turnbacks).all()
    assert (res.total_present == res.total_spawned - np.cumsum(res.removed)).all()
    assert (res.location_population >= 0).all()
    # no one is stranded at a place across a border
    foreign = np.array([c != "Belarus" for c in res.location_countries])
    assert ev.stranded[:, foreign].sum() == 0
    # nobody arrives before the first flights or after the last arrival day
    assert res.spawned.sum() == ev.arrivals_by_origin.sum()


def test_flagship_policy_timeline_shows(base_run):
    _, res, _ = base_run
    ev = res.events
    dates = res.dates
    k_lt = [k for k in res.crossing_links if "->" in res.link_names[k]
            and res.location_countries[res.location_names.index(
                res.link_names[k].split("->")[1])] == "Lithuania"]
    before = dates < pd.Timestamp("2021-08-03")
    # Lithuania turns nobody back before 3 Aug
    assert ev.turnbacks[before][:, k_lt].sum() == 0
    assert ev.turnbacks[~before][:, k_lt].sum() > 0
    # no scheduled arrivals from Iraq after its suspension
    iraq = [i for i, o in enumerate(res.origins)
            if o in ("Baghdad", "Erbil", "Sulaymaniyah", "Basra")]
    after_ban = dates >= pd.Timestamp("2021-08-06")
    assert ev.arrivals_by_origin[after_ban][:, iraq].sum() == 0
    # Bruzgi is closed until 8 Nov
    bruzgi = res.location_names.index("Bruzgi")
    assert res.location_population[dates < pd.Timestamp("2021-11-08"), bruzgi].sum() == 0
    assert ev.exposed_below_zero.sum() > 0


@pytest.mark.parametrize("variant", ["open-borders", "no-flight-bans", "early-flight-bans",
                                     "no-lithuanian-turnbacks"])
def test_variants_load_and_change_only_policies(variant):
    base = load_scenario(ROOT)
    sc = load_scenario(VARIANTS / variant)
    assert sc.name == f"belarus-2021:{variant}"
    assert sc.locations == base.locations and sc.routes == base.routes
    assert sc.policies.parameters != base.policies.parameters


def test_what_if_directions(base_run):
    _, base, _ = base_run
    runs = {v: Simulation(load_scenario(VARIANTS / v), seed=1).run()
            for v in ("open-borders", "no-flight-bans", "early-flight-bans")}
    assert runs["open-borders"].events.turnbacks.sum() == 0
    assert runs["no-flight-bans"].spawned.sum() > base.spawned.sum()
    assert runs["early-flight-bans"].spawned.sum() < base.spawned.sum()


def test_calibration_loss_covers_every_fitted_series(monkeypatch):
    """calibrate.py's criteria loss has a tolerance for every fitted observed series and
    scores the shipped values with a finite, positive loss."""
    import importlib.util

    from borderflow.observed import load_targets

    spec = importlib.util.spec_from_file_location("belarus_calibrate", ROOT / "calibrate.py")
    cal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cal)
    fitted = {t.series for t, fit in load_targets(ROOT / "observed") if fit}
    assert "entries_LV" in fitted and fitted <= set(cal.TOLERANCE)
    monkeypatch.setattr(cal, "_LOSS", "criteria")
    loss, comps = cal._run_seed((cal.current_parameters(), 1))
    assert np.isfinite(loss) and 0 < loss < 1
    assert {c.target.series for c, fit in comps if fit} == fitted
