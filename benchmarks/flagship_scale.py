"""The flagship's cost per day with its arrivals multiplied: how the work follows the people.

Usage (from the repository root)::

    .venv/bin/python benchmarks/flagship_scale.py [--factors 1,10,100,1000] [--seed 1]

Copies ``scenarios/belarus-2021`` to a temporary folder with every scheduled arrival's seats
and every return flight's seats multiplied by each factor, runs it in-process (after a warm-up
run that loads the compiled kernels), with the origin of each arrival kept in the person class
(the default) and without it (``engine.track_origins: false``), and prints a Markdown table of
CPU time per simulated day and the kernel's work counters per day.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from borderflow import kconst
from borderflow.engine import Simulation
from borderflow.scenario import load_scenario

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "belarus-2021"


def scaled_copy(factor: int, folder: Path) -> Path:
    """The flagship with every arrival's and return flight's seats multiplied by ``factor``."""
    shutil.copytree(FLAGSHIP, folder)
    pol = yaml.safe_load((folder / "policies.yml").read_text(encoding="utf-8"))
    for route in pol.get("arrivals", []):
        for step in route["seats_per_week"]:
            step["value"] = step["value"] * factor
    for flight in pol.get("returns", {}).get("flights", []):
        flight["seats"] = flight["seats"] * factor
    (folder / "policies.yml").write_text(yaml.safe_dump(pol), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    """Run every factor with and without origins and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factors", default="1,10,100,1000")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        Simulation(load_scenario(FLAGSHIP), seed=args.seed).run()  # load the kernels
        for factor in (int(f) for f in args.factors.split(",")):
            sc = load_scenario(scaled_copy(factor, Path(tmp) / f"x{factor}"))
            for origins in (True, False):
                eng = dataclasses.replace(sc.settings.engine, track_origins=origins)
                sim = Simulation(dataclasses.replace(
                    sc, settings=dataclasses.replace(sc.settings, engine=eng)), seed=args.seed)
                c0 = time.process_time()
                res = sim.run()
                cpu = time.process_time() - c0
                st = sim.stats / sim.days
                rows.append((factor, origins, sim.classes.n, int(res.total_spawned[-1]),
                             cpu / sim.days * 1e3, st[kconst.S_GROUPS], st[kconst.S_COHORTS],
                             st[kconst.S_CHAINED_GROUPS]))
    base = {o: r[4] for r in rows for o in (True, False) if r[0] == rows[0][0] and r[1] == o}
    print(f"scenarios/belarus-2021 with arrivals and return flights × factor, seed {args.seed}, "
          "in-process CPU per simulated day; work per day = the kernel's counters.")
    print()
    print("| factor | origins in the class | classes | people arrived | CPU ms/day | "
          "× factor 1 | (place, class) groups/day | link cohorts/day | chained-hop groups/day |")
    print("|---|---|---|---|---|---|---|---|---|")
    for factor, origins, n_cls, people, cpu, groups, cohorts, chained in rows:
        print(f"| {factor:,} | {'yes' if origins else 'no'} | {n_cls:,} | {people:,} | "
              f"{cpu:.2f} | {cpu / base[origins]:.1f} | {groups:,.0f} | {cohorts:,.0f} | "
              f"{chained:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
