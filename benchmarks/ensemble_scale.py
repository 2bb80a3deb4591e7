"""How long an ensemble takes: N members of a scenario on a local Dask cluster (not a test).

    .venv/bin/python benchmarks/ensemble_scale.py                      # 1,000 members of mali
    .venv/bin/python benchmarks/ensemble_scale.py --members 200 \
        --scenario ../shared/scenarios/flee/car

It times, from a fresh store: starting the cluster, running every member, writing one Parquet
file per member and the quantile bands, as ``borderflow ensemble`` does; then a second call on the
finished store (a resume with nothing left to do). One line of JSON at the end holds the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "flee" / "mali"
VARY = ("move.conflict_weight=0.1:1", "move.default_movechance=0.2:0.5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="store (default: a temp folder)")
    args = parser.parse_args()

    from borderflow.engine import Simulation
    from borderflow.ensemble import ensemble_spec, parse_vary, plan_members, run_ensemble
    from borderflow.scenario.flee_format import load_scenario

    scenario = load_scenario(args.scenario)
    Simulation(scenario, seed=0).run()  # compile (or load) the kernels once, outside the timing
    t = time.perf_counter()
    for s in range(3):
        Simulation(scenario, seed=s).run()
    serial = (time.perf_counter() - t) / 3

    ranges = parse_vary(list(VARY))
    plan = plan_members(args.members, args.seed, ranges)
    spec = ensemble_spec(args.seed, ranges, "lhs")
    out = args.out or Path(tempfile.mkdtemp(prefix="bf-ensemble-")) / "store"
    shutil.rmtree(out, ignore_errors=True)
    done = [0]

    def progress(n: int, total: int) -> None:
        if n and (n % max(1, total // 10) == 0 or n == total):
            print(f"  {n}/{total} members, {time.perf_counter() - t0:.1f} s", flush=True)
        done[0] = n

    print(f"{scenario.name}: {args.members} members on {args.workers} workers "
          f"(one run in this process: {serial:.3f} s)", flush=True)
    t0 = time.perf_counter()
    run = run_ensemble(scenario, plan, out, spec=spec, n_workers=args.workers, progress=progress)
    wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = run_ensemble(scenario, plan, out, spec=spec, n_workers=args.workers)
    resume = time.perf_counter() - t1
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result = {
        "scenario": scenario.name, "members": args.members, "workers": args.workers,
        "cores": os.cpu_count(), "seconds": round(wall, 1),
        "members_per_second": round(args.members / wall, 2),
        "serial_seconds_per_run": round(serial, 3),
        "computed": len(run.computed), "resume_seconds": round(resume, 1),
        "resume_computed": len(again.computed), "store_mb": round(size / 2**20, 1),
    }
    print(json.dumps(result))
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
