"""Seeded driver that runs the reference simulator Flee 3.1 on a scenario folder.

This is borderflow's own small driver. It calls only Flee's public library API
(``flee.flee``, ``flee.InputGeography``, ``flee.spawning``, ``flee.SimulationSettings``,
``flee.datamanager``, ``flee.postprocessing.analysis``); no Flee code is copied here, so
Flee's BSD-3 notice is not needed. It must run in a Python environment where
``flee==3.1`` is installed (e.g. ``pip install --no-deps flee==3.1 numpy pandas pyyaml
beartype``), not in borderflow's own environment.

Usage::

    flee31_driver.py SCENARIO_DIR --seed S [--days N] [--out OUT_CSV] [--timing-json J]

SCENARIO_DIR has the Flee 3.1 layout: ``input_csv/*.csv`` (with ``conflict_period.csv``),
``source_data/`` (with ``data_layout.csv``) and ``simsetting.yml``.

Why a driver: Flee 3.1 on PyPI ships no run script and never seeds its random number
generators. This driver seeds ``random`` and ``numpy.random`` with S before anything is
built, builds the model, steps it one day at a time in the order Flee's own run script
uses (conflict zones, spawning, spawn weights, closures, evolve) and writes the same
out.csv table with the same number formatting. Flee resolves some paths relative to the
current directory (e.g. ``input_csv/demographics_*.csv``) and may write log files there,
so the scenario is copied to a temporary directory which becomes the working directory.
Flee's very verbose diagnostics (stderr, and a few stray stdout prints) are discarded
unless ``--verbose`` is given; the table goes to OUT_CSV or to the original stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

_T0 = time.perf_counter()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Run Flee 3.1 on a scenario folder, seeded.")
    p.add_argument("scenario", type=Path, help="scenario folder (input_csv/, source_data/)")
    p.add_argument("--seed", type=int, required=True, help="seed for random and numpy.random")
    p.add_argument(
        "--days", type=int, default=0, help="days to simulate (0: Length in conflict_period.csv)"
    )
    p.add_argument("--out", type=Path, default=None, help="output CSV (default: stdout)")
    p.add_argument(
        "--settings", type=Path, default=None, help="YAML file (default: SCENARIO/simsetting.yml)"
    )
    p.add_argument(
        "--timing-json", type=Path, default=None, help="write wall/CPU/peak-RSS figures here"
    )
    p.add_argument("--verbose", action="store_true", help="let Flee's diagnostics through")
    return p.parse_args(argv)


def _read_period(path: Path) -> tuple[str, int]:
    from flee.datamanager import read_period

    return read_period.read_conflict_period(str(path))


def _stage_scenario(src: Path, settings: Path, dst: Path) -> None:
    """Copy the scenario's inputs into the working directory ``dst``."""
    for sub in ("input_csv", "source_data"):
        shutil.copytree(src / sub, dst / sub)
    shutil.copyfile(settings, dst / "simsetting.yml")


def _simulate(days_arg: int, seed: int, table: TextIO) -> dict[str, Any]:
    """Build and run the model in the current directory; write rows to ``table``."""
    import numpy as np
    from flee import InputGeography, flee, spawning
    from flee.datamanager import handle_refugee_data
    from flee.postprocessing import analysis
    from flee.SimulationSettings import SimulationSettings

    start_date, period_days = _read_period(Path("input_csv") / "conflict_period.csv")
    n_days = days_arg if days_arg > 0 else period_days

    random.seed(seed)
    np.random.seed(seed)

    SimulationSettings.ReadFromYML("simsetting.yml")
    SimulationSettings.ConflictInputFile = "input_csv/conflicts.csv"

    eco = flee.Ecosystem()
    geo = InputGeography.InputGeography()
    geo.ReadConflictInputCSV(SimulationSettings.ConflictInputFile)
    geo.ReadLocationsFromCSV("input_csv/locations.csv")
    geo.ReadLinksFromCSV("input_csv/routes.csv")
    geo.ReadClosuresFromCSV("input_csv/closures.csv")
    eco, loc_by_name = geo.StoreInputGeographyInEcosystem(eco)
    if SimulationSettings.spawn_rules["read_from_agents_csv_file"]:
        geo.ReadAgentsFromCSV(eco, "input_csv/agents.csv")

    data = handle_refugee_data.RefugeeTable(
        csvformat="generic",
        data_directory="source_data",
        start_date=start_date,
        data_layout="data_layout.csv",
        population_scaledown_factor=SimulationSettings.optimisations["PopulationScaleDownFactor"],
    )
    data.ReadL1Corrections("input_csv/registration_corrections.csv")

    camps = eco.get_camp_names()
    for name in camps:
        spawning.add_initial_refugees(eco, data, loc_by_name[name])

    with_idps = SimulationSettings.log_levels["idp_totals"] > 0
    header = ["Day", "Date"]
    for name in camps:
        header += [f"{name} sim", f"{name} data", f"{name} error"]
    header += [
        "Total error",
        "refugees in camps (UNHCR)",
        "total refugees (simulation)",
        "raw UNHCR refugee count",
        "refugees in camps (simulation)",
        "refugee_debt",
    ]
    if with_idps:
        header.append("total IDPs")
    table.write(",".join(header) + "\n")

    day0 = dt.datetime.strptime(start_date, "%Y-%m-%d")
    agent_days = 0
    for t in range(n_days):
        geo.AddNewConflictZones(eco, t)
        _new, raw, debt = spawning.spawn_daily_displaced(eco, t, data)
        spawning.refresh_spawn_weights(eco)
        eco.enact_border_closures(t)
        eco.evolve()

        # Values are formatted with str(), as Flee's run script does with "%s": camp
        # counts and data are ints, errors come from Flee's own helpers (numpy floats
        # rounded to 4 dp, or the float 0.0), and the total error is a Python float.
        sims = [loc_by_name[name].numAgents for name in camps]
        obs = [data.get_field(name, t) for name in camps]
        cells = [str(t), (day0 + dt.timedelta(days=t)).strftime("%Y-%m-%d")]
        abs_errs = []
        for s, d in zip(sims, obs, strict=True):
            cells += [str(s), str(d), str(analysis.rel_error(s, d))]
            abs_errs.append(analysis.abs_error(s, d))
        n_agents = eco.numAgents()
        agent_days += n_agents
        if raw > 0:
            total_err = float(np.sum(abs_errs)) / float(raw)
            cells += [str(total_err), str(int(sum(obs))), str(n_agents), str(raw)]
            cells += [str(sum(sims)), str(debt)]
        else:
            cells += ["0"] * 6
        if with_idps:
            cells.append(str(eco.numIDPs()))
        table.write(",".join(cells) + "\n")
        table.flush()

    return {"days": n_days, "start_date": start_date, "camps": camps, "agent_days": agent_days}


def _flee_version() -> str:
    try:
        from importlib.metadata import version

        return version("flee")
    except Exception:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    scenario = args.scenario.resolve()
    settings = (args.settings or scenario / "simsetting.yml").resolve()
    out_path = args.out.resolve() if args.out else None
    timing_path = args.timing_json.resolve() if args.timing_json else None
    for need in (scenario / "input_csv", scenario / "source_data", settings):
        if not need.exists():
            print(f"flee31_driver: missing {need}", file=sys.stderr)
            return 2

    # The table goes to a private handle; sys.stdout/sys.stderr are diverted while Flee runs.
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        table: TextIO = open(out_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    else:
        table = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", newline="")
    real_stderr = sys.stderr
    t_start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="flee31-") as work, contextlib.ExitStack() as st:
            _stage_scenario(scenario, settings, Path(work))
            st.enter_context(contextlib.chdir(work))
            sink = real_stderr if args.verbose else st.enter_context(open(os.devnull, "w"))
            st.enter_context(contextlib.redirect_stdout(sink))
            st.enter_context(contextlib.redirect_stderr(sink))
            info = _simulate(args.days, args.seed, table)
    except BaseException:
        table.close()
        raise
    table.close()
    wall_run = time.perf_counter() - t_start

    if timing_path is not None:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        record = {
            "tool": "flee",
            "flee_version": _flee_version(),
            "python": sys.version.split()[0],
            "scenario": scenario.name,
            "scenario_dir": str(scenario),
            "seed": args.seed,
            "days": info["days"],
            "agent_days": info["agent_days"],
            "wall_s": round(time.perf_counter() - _T0, 3),
            "wall_simulation_s": round(wall_run, 3),
            "cpu_user_s": round(ru.ru_utime, 3),
            "cpu_sys_s": round(ru.ru_stime, 3),
            "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "peak_rss_mb": round(ru.ru_maxrss / 1024.0, 1),
            "measured_by": "flee31_driver: getrusage(RUSAGE_SELF); wall from driver start",
            "command": [sys.executable, *sys.argv],
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        timing_path.parent.mkdir(parents=True, exist_ok=True)
        timing_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
