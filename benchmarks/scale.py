"""Speed at scale on generated networks: big populations, long periods, large networks.

Usage (from the repository root)::

    .venv/bin/python benchmarks/scale.py [--cases people,people100,large] [--markdown FILE]
        [--outputs flee,all] [--cpu N]

Each case writes a network with ``borderflow generate`` (not timed) and times ``borderflow run``
on it as a child process pinned to one CPU (``--cpu``), measured like ``compare_flee.py``:
wall time around the child, CPU time and peak memory from ``os.wait4``. The first timed run is
preceded by an untimed one that fills Numba's on-disk cache. Cases:

- ``people``: 1,000 places, 2,000 routes, 50 conflict zones, 200 camps, 10 million people over
  1,000 days (target: under 60 s and 2 GB on one core);
- ``people100``: the same network with 100 times the people (target: at most 1.5 times the
  time of ``people``);
- ``large``: 10,000 places, 20,000 routes, awareness level 3, a million people over 365 days
  (target: loads and runs in under 5 minutes).

``--outputs flee`` runs write only ``out.csv``; ``all`` every results file (Parquet tables of
every place and link on every day, series). The table gives both when asked.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_flee import (  # a sibling script, not a package
    MARK_BEGIN,
    Measured,
    find_borderflow,
    machine_summary,
    run_measured,
    write_markdown,
)

CASES = {
    "people": dict(locations=1000, links=2000, conflict_zones=50, camps=200,
                   people=10_000_000, days=1000, seed=1, awareness=1),
    "people100": dict(locations=1000, links=2000, conflict_zones=50, camps=200,
                      people=1_000_000_000, days=1000, seed=1, awareness=1),
    "large": dict(locations=10_000, links=20_000, conflict_zones=500, camps=1000,
                  people=1_000_000, days=365, seed=1, awareness=3),
}
TARGETS = {
    "people": "< 60 s, < 2 GB",
    "people100": "≤ 1.5 × people",
    "large": "< 300 s",
}


def pinned(cmd: list[str], cpu: int | None) -> list[str]:
    """Prefix ``cmd`` so that it runs on one CPU only (Linux ``taskset``)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return cmd
    return ["taskset", "-c", str(cpu), *cmd]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", default="people,people100,large")
    p.add_argument("--outputs", default="flee,all", help="flee (out.csv only) and/or all")
    p.add_argument("--cpu", type=int, default=(os.cpu_count() or 1) - 1,
                   help="CPU to pin the runs to (-1: no pinning)")
    p.add_argument("--markdown", type=Path, default=None,
                   help="write the table here (between the scale markers if present)")
    p.add_argument("--keep", type=Path, default=None, help="keep scenarios and results here")
    p.add_argument("--repeat", type=int, default=1,
                   help="run every case this many times, interleaved (all cases, then again), "
                        "and report the fastest; the machine's speed drifts between runs")
    args = p.parse_args(argv)
    bf = find_borderflow(None)
    if bf is None:
        print("scale: borderflow executable not found", file=sys.stderr)
        return 2
    cpu = None if args.cpu < 0 else args.cpu
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    modes = [m.strip() for m in args.outputs.split(",") if m.strip()]
    rows: list[tuple[str, str, Measured]] = []
    with tempfile.TemporaryDirectory(prefix="bf-scale-") as tmp:
        base = args.keep.resolve() if args.keep else Path(tmp)
        warmed = False
        for case in cases:
            spec = CASES[case]
            scen = base / case
            gen = [str(bf), "generate", str(scen), "--force"]
            for key, value in spec.items():
                gen += [f"--{key.replace('_', '-')}", str(value)]
            m = run_measured(gen, base / f"{case}-generate.log")
            if m.returncode:
                print((base / f"{case}-generate.log").read_text(), file=sys.stderr)
                return 1
            if not warmed:
                run_measured([str(bf), "run", str(scen), "--days", "2", "--quiet",
                              "--out-csv-only", "--out", str(base / "warm-up")],
                             base / "warm-up.log")
                warmed = True
        runs: dict[tuple[str, str], list[Measured]] = {}
        for rep in range(max(1, args.repeat)):
            for case in cases:
                for mode in modes:
                    cmd = [str(bf), "run", str(base / case), "--seed", "1", "--quiet",
                           "--out", str(base / f"{case}-{mode}")]
                    if mode == "flee":
                        cmd.append("--out-csv-only")
                    print(f"[{case}] borderflow run ({mode}), round {rep + 1} ...", flush=True)
                    m = run_measured(pinned(cmd, cpu), base / f"{case}-{mode}.log")
                    if m.returncode:
                        print((base / f"{case}-{mode}.log").read_text()[-2000:],
                              file=sys.stderr)
                        return 1
                    runs.setdefault((case, mode), []).append(m)
        rows = [(case, mode, min(runs[case, mode], key=lambda r: r.wall_s))
                for case in cases for mode in modes]
    lines = ["| case | places | routes | awareness | people | days | outputs | wall s | CPU s "
             "| peak MB | target |", "|" + "---|" * 11]
    base_wall = {mode: m.wall_s for case, mode, m in rows if case == "people"}
    for case, mode, m in rows:
        spec = CASES[case]
        target = TARGETS[case]
        if case == "people100" and mode in base_wall:
            target += f" (measured {m.wall_s / base_wall[mode]:.2f} ×"
            if args.repeat > 1:  # the same ratio round by round
                per = [a.wall_s / b.wall_s
                       for a, b in zip(runs[case, mode], runs["people", mode], strict=True)]
                target += f"; by round {min(per):.2f}–{max(per):.2f} ×"
            target += ")"
        lines.append(
            f"| {case} | {spec['locations']:,} | {spec['links']:,} | {spec['awareness']} | "
            f"{spec['people']:,} | {spec['days']:,} | "
            f"{'out.csv only' if mode == 'flee' else 'all files'} | {m.wall_s:,.1f} | "
            f"{m.cpu_s:,.1f} | {m.peak_mb:,.0f} | {target} |")
    command = " ".join(["python", "benchmarks/scale.py", *(argv or sys.argv[1:])])
    notes = [f"Machine: {machine_summary()}; runs pinned to CPU {cpu}."
             if cpu is not None else f"Machine: {machine_summary()}.",
             "Wall time around the child process; CPU = its user + system time; peak MB = its "
             "ru_maxrss (os.wait4). Generation is not timed."
             + (f" Fastest of {args.repeat} interleaved runs per row." if args.repeat > 1 else ""),
             f"Command: `{command}`"]
    text = "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    print()
    print(text)
    if args.markdown:
        write_markdown(args.markdown, text, MARK_BEGIN.replace("compare_flee", "scale"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
