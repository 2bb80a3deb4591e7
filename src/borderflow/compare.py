"""Compare a base scenario with what-if variants: the same measures, side by side.

Each scenario (a base folder, or a variant folder with a ``variant.yml``) is run with the same
seeds; the table gives, per scenario, the mean over seeds (and the range) of:

- people who crossed into another country at a border crossing (entries);
- arrivals in each country named by an ``arrivals_*`` series of the scenario (e.g. Germany);
- person-nights of people stranded after at least one turn-back, on the side they came from;
- person-nights at exposed places, and those on nights below 0 °C;
- the most people detained on one day;
- people who returned or were removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

MEASURES = (
    ("entries", "people who crossed a border"),
    ("stranded_nights", "person-nights stranded after a turn-back"),
    ("exposed_nights", "person-nights in exposed places"),
    ("below_zero_nights", "  of which on nights below 0 °C"),
    ("detained_peak", "most people detained on one day"),
    ("returned", "people returned or removed"),
)


def run_measures(results) -> dict[str, float]:
    """The compared measures of one run (see module docstring)."""
    from borderflow.outputs import series_values

    ev = results.events
    out: dict[str, float] = {}
    k = list(results.crossing_links)
    out["entries"] = float(ev.entries[:, k].sum()) if k else 0.0
    for d in results.series_defs:
        if d.name.startswith("arrivals_") and d.measure == "arrivals":
            out[d.name] = float(series_values(results, d).sum())
    out["stranded_nights"] = float(ev.stranded.sum())
    out["exposed_nights"] = float(ev.exposed_nights.sum())
    out["below_zero_nights"] = float(ev.exposed_below_zero.sum())
    out["detained_peak"] = float(ev.detained.sum(axis=1).max()) if results.days else 0.0
    out["returned"] = float(results.removed.sum())
    return out


def compare_scenarios(paths: Sequence[Path], seeds: Sequence[int], *, out: Path | None = None,
                      progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run every scenario with every seed; rows are measures, columns scenarios.

    Values are means over seeds; a second level of columns gives ``min`` and ``max``. With
    ``out``, each scenario's first-seed results are saved in ``out/<name>/`` and the table in
    ``out/compare.csv``.
    """
    from borderflow.engine import Simulation
    from borderflow.scenario import load_scenario

    scenarios = [load_scenario(p) for p in paths]  # validate everything before running
    per: dict[str, list[dict[str, float]]] = {}
    total, done = len(scenarios) * len(seeds), 0
    for sc in scenarios:
        rows = []
        for i, seed in enumerate(seeds):
            res = Simulation(sc, seed=seed).run()
            rows.append(run_measures(res))
            if out is not None and i == 0:
                res.save(out / _folder_name(sc.name))
            done += 1
            if progress is not None:
                progress(done, total)
        per[sc.name] = rows
    labels = dict(MEASURES)
    names = [m for m, _ in MEASURES]
    extra = sorted({k for rows in per.values() for r in rows for k in r} - set(names))
    order = names[:1] + extra + names[1:]
    table = {}
    for name, rows in per.items():
        df = pd.DataFrame(rows).reindex(columns=order)
        table[(name, "mean")] = df.mean()
        table[(name, "min")] = df.min()
        table[(name, "max")] = df.max()
    result = pd.DataFrame(table)
    result.index = [labels.get(m, f"arrivals in {m[len('arrivals_'):]} (people)")
                    for m in result.index]
    result.index.name = "measure"
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        from borderflow.results import atomic_write

        flat = result.copy()
        flat.columns = [f"{a} {b}" for a, b in flat.columns]
        atomic_write(out / "compare.csv", lambda p: flat.to_csv(p, lineterminator="\n"))
    return result


def _folder_name(name: str) -> str:
    return name.replace(":", "--").replace("/", "_")


def format_value(mean: float, low: float, high: float) -> str:
    """``12,345 (12,001–12,700)`` or just the mean when all seeds agree."""
    if np.isnan(mean):
        return "–"
    if low == high:
        return f"{mean:,.0f}"
    return f"{mean:,.0f} ({low:,.0f}–{high:,.0f})"
