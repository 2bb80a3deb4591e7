"""Ensembles: reproducible member plans, the resumable store, Dask with a worker killed mid-run,
``kill -9`` and resume, probabilistic scores, baselines, ABC-SMC, sensitivity and calibration.

Every test uses toy scenarios written by the ``write_scenario`` fixture; runs are short.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderflow.engine import Simulation
from borderflow.ensemble import (
    EnsembleError,
    EnsembleStore,
    Member,
    apply_params,
    ensemble_spec,
    member_seed,
    member_seed_sequence,
    parse_vary,
    plan_members,
    run_ensemble,
    simulate_member,
)
from borderflow.forecast import (
    _flee_ard,
    abc_smc,
    calibrate,
    coverage,
    crps_ensemble,
    crps_gaussian,
    ensemble_validation,
    naive_forecasts,
    quantile_bands,
    with_arrivals_after,
)
from borderflow.metrics import validation_score
from borderflow.outcsv import read_out_csv
from borderflow.scenario.flee_format import load_scenario

TWO_CAMPS = (
    ("A", "RA", "Home", 10.0, 10.0, "conflict_zone", 0, 5000),
    ("B", "RB", "Home", 10.0, 11.0, "town", None, 500),
    ("C", "RC", "Abroad", 10.0, 12.0, "camp", None, 0),
    ("D", "RD", "Abroad", 11.0, 12.0, "camp", None, 0),
)
TWO_ROUTES = (("A", "B", 100), ("B", "C", 100), ("B", "D", 250))
VARY = ("move.default_movechance=0.2:0.6", "move.camp_weight=0.5:3")


def toy(write_scenario, tmp_path: Path, length: int = 40, name: str = "toy") -> Path:
    """Two camps with observed series, ``length`` days, 50 arrivals a day."""
    end = pd.Timestamp("2020-01-01") + pd.Timedelta(days=length)
    return write_scenario(
        tmp_path, name=name, locations=TWO_CAMPS, routes=TWO_ROUTES, length=length,
        refugees=[("2020-01-01", 0), (end.date(), 50 * length)],
        camps={"C": [("2020-01-01", 0), (end.date(), 30 * length)],
               "D": [("2020-01-01", 0), (end.date(), 10 * length)]},
    )


# -- member plans -----------------------------------------------------------------------------
def test_member_seeds_are_the_spawned_children_and_do_not_depend_on_n():
    children = np.random.SeedSequence(42).spawn(7)
    for i in (0, 3, 6):
        assert (member_seed_sequence(42, i).generate_state(4)
                == children[i].generate_state(4)).all()
    small, large = plan_members(5, 42, sampling="uniform"), plan_members(9, 42, sampling="uniform")
    assert [m.seed for m in small] == [m.seed for m in large[:5]]
    assert len({m.seed for m in large}) == 9


def test_plans_are_deterministic_and_latin_hypercube_uses_every_stratum_once():
    ranges = parse_vary(VARY)
    plan = plan_members(10, 7, ranges, "lhs")
    assert plan == plan_members(10, 7, ranges, "lhs")
    assert plan != plan_members(10, 8, ranges, "lhs")
    for p in ranges:
        values = np.array([m.params[p.name] for m in plan])
        strata = np.floor((values - p.low) / (p.high - p.low) * 10).astype(int)
        assert sorted(strata) == list(range(10))
    uniform = plan_members(10, 7, ranges, "uniform")
    assert all(p.low <= m.params[p.name] <= p.high for m in uniform for p in ranges)


@pytest.mark.parametrize(("item", "message"), [
    ("move.conflict_weigth=0.1:1", "did you mean move.conflict_weight"),
    ("move.default_movechance=0.5:1.5", "above the allowed maximum 1"),
    ("move.camp_weight=-1:2", "below the allowed minimum 0"),
    ("move.camp_weight=2:1", "LOW <= HIGH"),
    ("move.camp_weight=1", "LOW:HIGH"),
    ("move.start_on_foot=0:1", "not a numeric setting"),
    ("move.camp_weight", "PARAM=LOW:HIGH"),
])
def test_bad_ranges_are_reported(item, message):
    with pytest.raises(EnsembleError, match=message):
        parse_vary([item])


def test_integer_settings_are_rounded():
    (rng,) = parse_vary(["move.awareness_level=0:2"])
    assert rng.integer and {rng.value(u) for u in np.linspace(0, 1, 11)} == {0, 1, 2}


# -- scores -----------------------------------------------------------------------------------
def test_ensemble_crps_equals_its_definition():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 4, 3)) * 10
    y = rng.normal(size=(4, 3)) * 10
    brute = (np.abs(x - y).mean(axis=0)
             - 0.5 * np.abs(x[:, None] - x[None, :]).mean(axis=(0, 1)))
    assert np.allclose(crps_ensemble(x, y), brute)
    assert np.allclose(crps_ensemble(x[:1], y), np.abs(x[0] - y))  # one member: absolute error


def test_gaussian_crps_matches_a_large_ensemble():
    rng = np.random.default_rng(1)
    sample = rng.normal(3.0, 2.0, size=(20000, 1))
    for y in (-1.0, 3.0, 6.0):
        assert crps_gaussian(np.array([3.0]), np.array([2.0]), np.array([y]))[0] == \
            pytest.approx(crps_ensemble(sample, np.array([y]))[0], rel=0.02)
    assert crps_gaussian(np.array([1.0]), np.array([0.0]), np.array([4.0]))[0] == 3.0


def test_quantiles_and_coverage():
    x = np.arange(101, dtype=float)[:, None]  # 0..100
    assert quantile_bands(x, [0.05, 0.5, 0.95])[:, 0].tolist() == [5.0, 50.0, 95.0]
    obs = np.array([[10.0], [30.0], [50.0], [80.0], [99.0]]).T
    samples = np.repeat(x, 5, axis=1)
    assert coverage(samples, obs[0], 0.5) == pytest.approx(2 / 5)  # 30 and 50 in [25, 75]
    assert coverage(samples, obs[0], 0.9) == pytest.approx(4 / 5)  # 99 outside [5, 95]


def test_naive_baselines():
    t = np.arange(50, dtype=float)[:, None]
    history = np.hstack([100 + 4 * t, np.full_like(t, 7.0)])
    persistence, trend = naive_forecasts(history, 5)
    assert np.allclose(persistence.mean, history[-1])
    assert np.allclose(trend.mean[:, 0], 100 + 4 * np.arange(50, 55))
    assert np.allclose(trend.mean[:, 1], 7.0) and np.allclose(trend.sd[:, 1], 0.0)
    assert np.allclose(persistence.sd[:, 0], 4 * np.sqrt(np.arange(1, 6)))


# -- the store --------------------------------------------------------------------------------
def test_synchronous_ensemble_store_resume_and_identity(write_scenario, tmp_path):
    sc = load_scenario(toy(write_scenario, tmp_path))
    ranges = parse_vary(VARY)
    plan = plan_members(4, 5, ranges)
    out = tmp_path / "ens"
    run = run_ensemble(sc, plan, out, spec=ensemble_spec(5, ranges, "lhs"),
                       scheduler="synchronous")
    assert run.computed == [0, 1, 2, 3] and run.reused == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert [m["seed"] for m in manifest["members"]] == [member_seed(5, i) for i in range(4)]
    assert manifest["spec"]["vary"] == {"move.default_movechance": [0.2, 0.6],
                                        "move.camp_weight": [0.5, 3.0]}
    # member 2 is exactly a plain run with its seed and settings
    m = plan[2]
    direct = Simulation(sc, seed=m.seed, settings=apply_params(sc.settings, m.params)).run()
    assert np.array_equal(run.store.read_member(2), direct.location_population)
    q = pd.read_parquet(out / "quantiles.parquet")
    assert list(q.columns) == ["day", "date", "location", "mean", "q05", "q25", "q50", "q75",
                               "q95"]
    assert len(q) == sc.length * 4 and (q["q05"] <= q["q95"]).all()

    again = run_ensemble(sc, plan, out, spec=ensemble_spec(5, ranges, "lhs"),
                         scheduler="synchronous")
    assert again.computed == [] and again.reused == [0, 1, 2, 3]
    with pytest.raises(EnsembleError, match="different ensemble"):
        run_ensemble(sc, plan_members(4, 6, ranges), out, spec=ensemble_spec(6, ranges, "lhs"),
                     scheduler="synchronous")


def test_ard_from_member_arrays_equals_flee_score_of_out_csv(write_scenario, tmp_path):
    sc = load_scenario(toy(write_scenario, tmp_path))
    results = Simulation(sc, seed=3).run()
    results.save(tmp_path / "run")
    expected = validation_score(read_out_csv(tmp_path / "run" / "out.csv"))
    camps = list(results.camp_names)
    data = np.stack([sc.observed.camps[sc.observed.camp_names.index(c)] for c in camps], 1)
    got = _flee_ard(results.camps.to_numpy(), data[: results.days],
                    np.asarray(sc.observed.total[: results.days]), camps)
    assert got.ard == pytest.approx(expected.ard, abs=1e-12)
    assert got.ard_unscaled == pytest.approx(expected.ard_unscaled, abs=1e-12)


def test_validation_of_an_ensemble(write_scenario, tmp_path):
    sc = load_scenario(toy(write_scenario, tmp_path))
    run = run_ensemble(sc, plan_members(5, 1), tmp_path / "ens", scheduler="synchronous")
    v = ensemble_validation(run.store)
    row = v["summary"].loc["all days"]
    assert row["members"] == 5 and 0 <= row["ard_mean"] <= 2
    assert 0 <= row["coverage50"] <= row["coverage90"] <= 1
    assert list(v["per_camp"].index) == ["C", "D"]


# -- interruption -----------------------------------------------------------------------------
def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "borderflow.cli", *map(str, args)]


def test_kill_9_then_resume_computes_only_missing_members(write_scenario, tmp_path):
    folder = toy(write_scenario, tmp_path, length=600)
    out = tmp_path / "ens"
    args = ("ensemble", folder, "--members", 16, "--seed", 9, "--vary", VARY[0],
            "--scheduler", "synchronous", "--out", out, "--quiet")
    proc = subprocess.Popen(_cli(*args), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while len(list((out / "members").glob("m*.parquet"))) < 4:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the ensemble did not start"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the child's own session: it and nothing else
        proc.wait()
    files = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
             for p in (out / "members").glob("m*.parquet")}
    finished = {int(name[1:7]) for name in files}
    assert 4 <= len(finished) < 16, "kill -9 came too late to test a resume"
    assert not (out / "quantiles.parquet").exists()

    sc = load_scenario(folder)
    ranges = parse_vary([VARY[0]])
    plan = plan_members(16, 9, ranges)
    run = run_ensemble(sc, plan, out, spec=ensemble_spec(9, ranges, "lhs"),
                       scheduler="synchronous")
    assert set(run.computed) == set(range(16)) - finished
    assert set(run.reused) == finished
    for name, stamp in files.items():  # finished members were not rewritten
        path = out / "members" / name
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp
    assert not list((out / "members").glob(".*part"))
    for i in (min(finished), max(run.computed)):  # same as an undisturbed run
        m = plan[i]
        assert np.array_equal(run.store.read_member(i),
                              simulate_member(sc, m.params, m.seed, None))


def test_worker_killed_mid_ensemble_loses_nothing(write_scenario, tmp_path):
    distributed = pytest.importorskip("distributed", reason="needs dask[distributed]")
    import logging

    sc = load_scenario(toy(write_scenario, tmp_path, length=600))
    ranges = parse_vary(VARY)
    plan = plan_members(12, 4, ranges)
    spec = ensemble_spec(4, ranges, "lhs")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster)
    try:
        before = client.run(os.getpid)
        victim = sorted(before.values())[0]
        killed = []

        def kill_one(index: int) -> None:
            if not killed:  # the other members are queued or running on both workers now
                os.kill(victim, signal.SIGKILL)
                killed.append(index)

        # by address, as `--scheduler ADDRESS` does: the ensemble opens its own client
        run = run_ensemble(sc, plan, tmp_path / "dask", spec=spec,
                           scheduler=cluster.scheduler_address, on_member=kill_one)
        assert killed and victim not in client.run(os.getpid).values()
        # the killed worker was running members: the scheduler took them back and ran them again
        lost = {t.key for t in cluster.scheduler.transition_log
                if str(t.key).startswith("bf-member") and (t.start, t.finish)
                == ("processing", "released")}
        assert lost
    finally:
        client.close()
        cluster.close()
    assert run.computed == list(range(12))
    calm = run_ensemble(sc, plan, tmp_path / "calm", spec=spec, scheduler="synchronous")
    assert np.array_equal(run.store.stack(), calm.store.stack())


# -- ABC-SMC, calibration, sensitivity --------------------------------------------------------
def test_abc_smc_finds_a_known_parameter():
    (prior,) = parse_vary(["move.camp_weight=0:4"])

    def simulate(batch):
        out = []
        for params, seed in batch:
            noise = np.random.default_rng(seed).normal(0, 0.05)
            out.append(abs(params["move.camp_weight"] - 1.5) + abs(noise))
        return out

    post = abc_smc(simulate, [prior], seed=3, particles=40, max_generations=8,
                   min_acceptance=0.0)
    assert post.ranges().loc["move.camp_weight", "q50"] == pytest.approx(1.5, abs=0.15)
    assert post.generations[-1]["epsilon"] < post.generations[0]["epsilon"]
    again = abc_smc(simulate, [prior], seed=3, particles=40, max_generations=8,
                    min_acceptance=0.0)
    assert np.array_equal(post.particles, again.particles)


def test_arrivals_after_the_cutoff_are_what_was_known(write_scenario, tmp_path):
    sc = load_scenario(toy(write_scenario, tmp_path, length=40))
    obs = sc.observed.new_displaced
    persist = with_arrivals_after(sc, 20, "persist").observed.new_displaced
    trend = with_arrivals_after(sc, 20, "trend").observed.new_displaced
    assert np.array_equal(persist[:20], obs[:20]) and persist[20:].sum() == 0
    assert trend[20:].sum() == pytest.approx(50 * 20, abs=1)  # 50 a day continued
    assert with_arrivals_after(sc, 20, "observed") is sc


def test_calibrate_forecasts_and_scores_against_baselines(write_scenario, tmp_path):
    sc = load_scenario(toy(write_scenario, tmp_path, length=40))
    ranges = parse_vary(VARY)
    result = calibrate(sc, pd.Timestamp("2020-01-20").date(), ranges, tmp_path / "cal",
                       particles=8, generations=2, members=6, scheduler="synchronous")
    assert result.cutoff_day == 20
    assert list(result.scores.index) == ["borderflow (ABC-SMC ensemble)",
                                         "borderflow, anchored at cut-off", "persistence",
                                         "linear trend"]
    assert ((result.scores[["coverage50", "coverage90"]] >= 0).all().all())
    assert (tmp_path / "cal" / "calibration.json").is_file()
    assert set(pd.read_csv(tmp_path / "cal" / "posterior.csv")["parameter"]) == {
        "move.default_movechance", "move.camp_weight"}
    v = ensemble_validation(EnsembleStore(tmp_path / "cal" / "forecast-trend"))
    assert v["summary"].loc["held-out", "days"] == 20
    params = {json.dumps(m.params, sort_keys=True) for m in result.forecast.members}
    assert len(params) <= 4  # drawn from the kept particles (alpha = 0.5 of 8)
    # the same call again reuses the fit and the finished forecast members
    again = calibrate(sc, pd.Timestamp("2020-01-20").date(), ranges, tmp_path / "cal",
                      particles=8, generations=2, members=6, scheduler="synchronous",
                      log=(said := []).append)
    assert any("reusing the fit" in line for line in said)
    pd.testing.assert_frame_equal(again.scores, result.scores)


def test_sensitivity_morris_ranks_parameters(write_scenario, tmp_path):
    pytest.importorskip("SALib", reason="needs SALib")
    from borderflow.sensitivity import run_sensitivity

    sc = load_scenario(toy(write_scenario, tmp_path))
    ranges = parse_vary([*VARY, "move.conflict_weight=0.1:1"])
    res = run_sensitivity(sc, ranges, tmp_path / "sens", n=3, scheduler="synchronous",
                          response="ard_unscaled")
    assert list(res.table["rank"]) == [1, 2, 3]
    assert res.table["mu_star"].is_monotonic_decreasing
    assert len(res.samples) == 3 * 4
    assert (tmp_path / "sens" / "sensitivity.csv").is_file()
    assert len(EnsembleStore(tmp_path / "sens" / "runs").finished()) == 12


def test_cli_ensemble_and_validate(write_scenario, tmp_path):
    from typer.testing import CliRunner

    from borderflow.cli import app

    folder = toy(write_scenario, tmp_path)
    out = tmp_path / "ens"
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(_cli("ensemble", folder, "--members", 3, "--vary", VARY[1],
                               "--scheduler", "synchronous", "--out", out),
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 members computed" in done.stdout and "cover 90%" in done.stdout

    runner = CliRunner()
    shown = runner.invoke(app, ["validate", str(out)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "ARD mean" in shown.output
    bad = runner.invoke(app, ["ensemble", str(folder), "--members", "3", "--vary",
                              "move.nope=0:1", "--out", str(out)])
    assert bad.exit_code == 2 and "not a numeric setting" in bad.output
    other = runner.invoke(app, ["ensemble", str(folder), "--members", "4", "--scheduler",
                                "synchronous", "--out", str(out)])
    assert other.exit_code == 2 and "different ensemble" in other.output


def test_members_equal_plain_runs_on_mali(shared_flee_dir):
    sc = load_scenario(shared_flee_dir / "mali")
    m = Member(0, member_seed(1, 0), {"move.conflict_weight": 0.5})
    a = simulate_member(sc, m.params, m.seed, 30)
    b = Simulation(sc, seed=m.seed, settings=apply_params(sc.settings, m.params), days=30).run()
    assert np.array_equal(a, b.location_population)
