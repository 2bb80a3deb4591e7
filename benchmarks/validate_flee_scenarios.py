"""borderflow's accuracy on Flee's validation scenarios, over many seeds.

Usage (from the repository root)::

    .venv/bin/python benchmarks/validate_flee_scenarios.py --seeds 10 [--shared ../shared]
        [--flee-runs DIR]

For mali, burundi and car (``shared/scenarios/flee``, each with its own simsetting.yml, full
period) it runs seeds 1…N and prints, as Markdown, the averaged relative difference (Flee's
"Error (rescaled)") per scenario — mean, min, max — next to Flee 3.1's seeded figures from
``shared/reference/flee31-baseline.md``, and each camp's final population range. With
``--flee-runs`` (folders ``<scenario>/seed<k>/out.csv`` written by benchmarks/flee31_driver.py)
it also lists Flee's final camp populations, to check that borderflow's lie within Flee's range.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from borderflow.engine import Simulation
from borderflow.metrics import validation_score
from borderflow.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
FLEE_BASELINE = {"mali": 0.2761, "burundi": 0.5381, "car": 0.3101}  # flee31-baseline.md


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--scenarios", default="mali,burundi,car")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--flee-runs", type=Path, default=None)
    args = ap.parse_args(argv)
    base = args.shared / "scenarios" / "flee"
    if not base.is_dir():
        print(f"{base} not found: the Flee scenarios are needed for this benchmark")
        return 0
    rows, camps = [], []
    for name in args.scenarios.split(","):
        sc = load_scenario(base / name)
        scores, finals, t0 = [], [], time.process_time()
        for seed in range(1, args.seeds + 1):
            res = Simulation(sc, seed=seed).run()
            frame = pd.read_csv(io.StringIO(res.out_csv_text())).set_index("Day")
            scores.append(validation_score(frame).ard)
            finals.append(res.camps.iloc[-1])
        cpu = (time.process_time() - t0) / args.seeds
        rows.append((name, sc.length, FLEE_BASELINE.get(name), np.mean(scores), min(scores),
                     max(scores), cpu))
        final = pd.DataFrame(finals)
        flee = _flee_finals(args.flee_runs, name) if args.flee_runs else None
        for camp in final.columns:
            lo, hi = int(final[camp].min()), int(final[camp].max())
            f = flee.get(camp) if flee else None
            inside = "" if f is None else ("yes" if min(f) <= hi and max(f) >= lo else "no")
            camps.append((name, camp, lo, hi, "" if f is None else
                          f"{min(f):,}–{max(f):,} ({len(f)} runs)", inside))
    print(f"| scenario | days | Flee 3.1 ARD (seeded mean) | borderflow ARD, mean of {args.seeds} "
          "seeds (min–max) | borderflow CPU s per run |")
    print("|---|---|---|---|---|")
    for name, days, flee, mean, lo, hi, cpu in rows:
        print(f"| {name} | {days} | {flee:.4f} | {mean:.4f} ({lo:.4f}–{hi:.4f}) | {cpu:.2f} |")
    print()
    print("| scenario | camp | borderflow final population (min–max over seeds) | Flee 3.1 "
          "final population | ranges overlap |")
    print("|---|---|---|---|---|")
    for name, camp, lo, hi, flee, inside in camps:
        print(f"| {name} | {camp} | {lo:,}–{hi:,} | {flee} | {inside} |")
    return 0


def _flee_finals(runs: Path, name: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for path in sorted((runs / name).glob("seed*/out.csv")):
        last = pd.read_csv(path).iloc[-1]
        for col in last.index:
            if col.endswith(" sim"):
                out.setdefault(col[:-4], []).append(int(last[col]))
    return out


if __name__ == "__main__":
    sys.exit(main())
