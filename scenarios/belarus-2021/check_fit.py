"""Score the calibrated Belarus–EU 2021 scenario against every observed series, and plot it.

Usage (from the repository root)::

    .venv/bin/python scenarios/belarus-2021/check_fit.py --seeds 10 --png docs/belarus-2021-fit.png

Runs the scenario with seeds 1…N, compares each observed series with the simulated series of
the same kind (observed/targets.yml), prints a table per series with the median simulated value,
the 5–95 % range over seeds and the relative error, checks the acceptance criteria of the
flagship issue (Polish attempts per month within 30 % for Aug–Dec 2021 with the peak in October,
Lithuanian cumulative arrivals within 20 % at each observed 2021 date, Latvian prevented crossings
within 30 % at each observed 2021 date) and draws simulated against observed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from borderflow.engine import Simulation
from borderflow.observed import compare, load_targets
from borderflow.outputs import series_table
from borderflow.scenario import load_scenario

HERE = Path(__file__).resolve().parent
OBSERVED = HERE / "observed"
# series: (tolerance, labels checked) — the flagship issue's acceptance criteria
CRITERIA = {
    "turnbacks_PL": (0.30, ("2021-08", "2021-09", "2021-10", "2021-11", "2021-12")),
    "entries_LT": (0.20, None),  # every observed 2021 date
    "turnbacks_LV": (0.30, None),
}


def main(argv: list[str] | None = None) -> int:
    """Run, score, check and plot."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--png", type=Path, default=None, help="write the figure here")
    args = ap.parse_args(argv)
    sc = load_scenario(HERE, settings_overrides={"engine.track_origins": False})
    targets = load_targets(OBSERVED)
    sims: dict[str, list[np.ndarray]] = {}
    comps = {}
    for seed in range(1, args.seeds + 1):
        daily = series_table(Simulation(sc, seed=seed).run(), sc.policies.series)
        for t, _fit in targets:
            c = compare(daily, t, OBSERVED)
            comps[t.name] = c
            sims.setdefault(t.name, []).append(c.simulated)
    ok_all = True
    for t, fit in targets:
        c = comps[t.name]
        runs = np.array(sims[t.name])
        med, lo, hi = np.median(runs, 0), np.percentile(runs, 5, 0), np.percentile(runs, 95, 0)
        err = (med - c.observed) / c.observed
        tol, labels = CRITERIA.get(t.series, (None, None))
        print(f"\n{t.name} [{'fitted' if fit else 'held out'}; simulated: "
              f"{' + '.join((t.series, *t.plus))}]")
        print(f"  {'date':>10} {'observed':>9} {'median':>9} {'5-95% of seeds':>17} {'error':>7}")
        for i, label in enumerate(c.labels):
            mark = ""
            if tol is not None and label.startswith("2021") and (labels is None or label in labels):
                good = abs(err[i]) <= tol
                ok_all &= good
                mark = "  ok" if good else f"  outside ±{tol:.0%}"
            print(f"  {label:>10} {c.observed[i]:9,.0f} {med[i]:9,.0f} "
                  f"{lo[i]:8,.0f}-{hi[i]:<8,.0f} {err[i]:+7.0%}{mark}")
        if t.series == "turnbacks_PL":
            peak = c.labels[int(np.argmax(med))]
            peak_ok = peak == "2021-10"
            ok_all &= peak_ok
            print(f"  simulated peak month: {peak} ({'ok' if peak_ok else 'expected 2021-10'})")
    print(f"\nacceptance criteria {'met' if ok_all else 'NOT met'} ({args.seeds} seeds)")
    if args.png:
        _plot(targets, comps, sims, args.png, args.seeds)
        print(f"figure written to {args.png}")
    return 0


def _plot(targets, comps, sims, path: Path, seeds: int) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 8.5), dpi=110, layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, (t, fit) in zip(axes, targets, strict=False):
        c = comps[t.name]
        runs = np.array(sims[t.name])
        x = np.arange(len(c.labels))
        med = np.median(runs, 0)
        lo, hi = np.percentile(runs, 5, 0), np.percentile(runs, 95, 0)
        if t.how == "monthly_sum":
            ax.bar(x - 0.2, c.observed, 0.4, label="observed", color="#444444")
            ax.bar(x + 0.2, med, 0.4, label=f"simulated (median of {seeds} seeds)",
                   color="#0072B2", yerr=[med - lo, hi - med], capsize=3)
        else:
            ax.plot(x, c.observed, "o-", color="#444444", label="observed")
            ax.plot(x, med, "s--", color="#0072B2", label=f"simulated (median of {seeds} seeds)")
            ax.fill_between(x, lo, hi, color="#0072B2", alpha=0.2, label="5–95 % of seeds")
        ax.set_xticks(x, c.labels, rotation=35, ha="right", fontsize=8)
        ax.set_title(f"{t.name}\n({'fitted' if fit else 'held out, not fitted'})", fontsize=10)
        events = "event" in t.value_column or t.series.startswith(("attempts", "turnbacks"))
        ax.set_ylabel("events" if events else "people")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Belarus–EU border 2021: borderflow against observed series", fontsize=13)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


if __name__ == "__main__":
    sys.exit(main())
