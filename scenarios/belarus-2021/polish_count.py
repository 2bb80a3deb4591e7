"""How the Polish comparison depends on the share of entries the Border Guard counts.

Usage (from the repository root)::

    .venv/bin/python scenarios/belarus-2021/polish_count.py [--seeds 10]

The Polish Border Guard's monthly "attempts" count prevented crossings, turn-backs and
apprehensions (FACTS, "What the counts measure"): an entry that no guard saw is not in it. The
fit compares them with simulated turn-backs into Poland plus ``detained_share_pl`` (an
assumption, 0.5) times simulated entries. This prints, for the scenario as it is run (origins
tracked, seeds 1..N), the median monthly count for shares 0.25, 0.5, 0.75 and 1 (1: every
simulated attempt), its error against the observed months and how many of Aug-Dec lie within
30 %. The runs are not refitted for each share: only the comparison changes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from borderflow.engine import Simulation
from borderflow.observed import compare, load_targets
from borderflow.outputs import series_table
from borderflow.scenario import load_scenario

HERE = Path(__file__).resolve().parent
OBSERVED = HERE / "observed"
SHARES = (0.25, 0.5, 0.75, 1.0)


def main(argv: list[str] | None = None) -> int:
    """Run the seeds and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args(argv)
    sc = load_scenario(HERE)
    polish = next(t for t, _fit in load_targets(OBSERVED) if t.series == "turnbacks_PL")
    # the fit's Polish target, taken apart: turn-backs, and entries on their own
    turnbacks, entries = (replace(polish, series=name, plus=())
                          for name in ("turnbacks_PL", "entries_PL"))
    per: dict[float, list[np.ndarray]] = {s: [] for s in SHARES}
    for seed in range(1, args.seeds + 1):
        daily = series_table(Simulation(sc, seed=seed).run(), sc.policies.series)
        tb, en = compare(daily, turnbacks, OBSERVED), compare(daily, entries, OBSERVED)
        for s in SHARES:
            per[s].append(tb.simulated + s * en.simulated)
    months, obs = tb.labels, tb.observed
    print(f"Polish Border Guard attempts per month against turn-backs + share × entries "
          f"(median of seeds 1-{args.seeds}, origins tracked)")
    print()
    print("| share of entries counted | " + " | ".join(months) + " | Aug–Dec within 30 % |")
    print("|---|" + "---|" * (len(months) + 1))
    print("| observed | " + " | ".join(f"{x:,.0f}" for x in obs) + " | |")
    checked = np.array([m >= "2021-08" for m in months])
    for s, runs in per.items():
        med = np.median(np.array(runs), 0)
        err = (med - obs) / obs
        cells = " | ".join(f"{m:,.0f} ({e:+.0%})" for m, e in zip(med, err, strict=True))
        ok = int(np.sum(np.abs(err[checked]) <= 0.30))
        print(f"| {s:g} | {cells} | {ok} of {int(checked.sum())} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
