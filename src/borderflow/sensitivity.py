"""Global sensitivity analysis of a scenario's score to its settings, with SALib.

Given ranges for some settings (``--vary move.conflict_weight=0.1:1 ...``), SALib lays out a
design (Morris trajectories, or Saltelli/Sobol' samples), every design point is run as a member of
an ensemble (so the runs go through Dask and the resumable store like any ensemble), each run is
reduced to one number (the response: Flee's validation score by default) and SALib ranks the
settings: by ``mu_star`` (mean absolute elementary effect) for Morris, by the total-order index
``ST`` for Sobol'.

The simulation is stochastic; to keep the noise out of the effects, every design point uses the
same seeds (common random numbers): replicate ``r`` of every point runs with member seed ``r``
of the ensemble seed, and the response is the mean over ``replicates``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from borderflow.ensemble import (
    EnsembleError,
    EnsembleStore,
    Member,
    ParameterRange,
    member_seed,
    run_ensemble,
)
from borderflow.results import atomic_write
from borderflow.scenario.model import Scenario

__all__ = ["METHODS", "RESPONSES", "SensitivityResult", "design", "run_sensitivity"]

METHODS = ("morris", "sobol")
RESPONSES = ("ard", "ard_unscaled", "camps_final")


@dataclass
class SensitivityResult:
    """A ranked table (one row per parameter), the design with responses, and the files."""

    method: str
    response: str
    table: pd.DataFrame
    samples: pd.DataFrame
    files: list[Path]


def _problem(vary: Sequence[ParameterRange]) -> dict[str, Any]:
    bad = [p.name for p in vary if not p.high > p.low]
    if not vary or bad:
        raise EnsembleError("sensitivity analysis needs at least one --vary range with LOW < HIGH"
                            + (f" (not: {', '.join(bad)})" if bad else ""))
    return {"num_vars": len(vary), "names": [p.name for p in vary],
            "bounds": [[p.low, p.high] for p in vary]}


def _salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError as exc:  # pragma: no cover - SALib is a dependency
        raise EnsembleError("sensitivity analysis needs SALib (pip install SALib)") from exc


def design(vary: Sequence[ParameterRange], method: str, n: int, seed: int,
           levels: int = 4) -> np.ndarray:
    """SALib's design ``[runs, parameters]``: Morris with ``n`` trajectories (``n (d + 1)`` runs)
    on a ``levels`` grid, or Sobol' with base sample ``n`` (``n (d + 2)`` runs, first and total
    order indices)."""
    _salib()
    problem = _problem(vary)
    if method == "morris":
        from SALib.sample import morris as morris_sample

        return morris_sample.sample(problem, n, num_levels=levels, seed=seed)
    if method == "sobol":
        try:
            from SALib.sample import sobol as sobol_sample
        except ImportError:  # SALib < 1.4.6
            from SALib.sample import saltelli as sobol_sample
        import warnings

        with warnings.catch_warnings():  # a base sample that is not a power of 2 is allowed
            warnings.simplefilter("ignore")
            return sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    raise EnsembleError(f"method {method!r}: expected one of {', '.join(METHODS)}")


def _responses(store: EnsembleStore, response: str) -> np.ndarray:
    """One number per member of ``store``, in member order."""
    from borderflow.forecast import _flee_ard

    camps = store.camp_names
    observed = store.observed()
    if response in ("ard", "ard_unscaled"):
        if observed is None:
            raise EnsembleError(f"response {response!r} needs observed data (source_data/)")
        camps = [c for c in camps if c in observed.columns]
        data, raw = observed[camps].to_numpy(), observed["total"].to_numpy()
    out = []
    for m in store.members:
        sims = store.read_member(m.index, camps)
        if response == "camps_final":
            out.append(float(sims[-1].sum()))
        else:
            score = _flee_ard(sims, data, raw, camps)
            out.append(score.ard if response == "ard" else score.ard_unscaled)
    return np.asarray(out)


def run_sensitivity(scenario: Scenario, vary: Sequence[ParameterRange], out: str | Path, *,
                    method: str = "morris", n: int = 10, levels: int = 4, seed: int = 0,
                    replicates: int = 1, response: str = "ard", days: int | None = None,
                    scheduler: Any = None, n_workers: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> SensitivityResult:
    """Run the design on ``scenario`` into ``out/runs`` and analyse it; see the module docstring.

    Writes ``sensitivity.csv`` (the ranked table), ``samples.csv`` (design and responses),
    ``sensitivity.json`` and ``sensitivity.png`` (if matplotlib is installed) into ``out``.
    """
    if response not in RESPONSES:
        raise EnsembleError(f"response {response!r}: expected one of {', '.join(RESPONSES)}")
    if replicates < 1 or n < 1:
        raise EnsembleError("n and replicates must be >= 1")
    X = design(vary, method, n, seed, levels)
    problem = _problem(vary)
    members = [
        Member(k * replicates + r, member_seed(seed, r),
               {p.name: p.value((X[k, j] - p.low) / (p.high - p.low))
                for j, p in enumerate(vary)})
        for k in range(len(X)) for r in range(replicates)
    ]
    spec = {"kind": "sensitivity", "method": method, "n": n, "levels": levels, "seed": seed,
            "replicates": replicates, "vary": {p.name: [p.low, p.high] for p in vary}}
    out = Path(out)
    run = run_ensemble(scenario, members, out / "runs", days=days, spec=spec,
                       scheduler=scheduler, n_workers=n_workers, progress=progress)
    Y = _responses(run.store, response).reshape(len(X), replicates).mean(axis=1)

    if method == "morris":
        from SALib.analyze import morris

        si = morris.analyze(problem, X, Y, num_levels=levels, seed=seed, print_to_console=False)
        table = pd.DataFrame({k: np.asarray(si[k], dtype=float)
                              for k in ("mu_star", "mu_star_conf", "mu", "sigma")},
                             index=pd.Index(problem["names"], name="parameter"))
        key = "mu_star"
    else:
        import warnings

        from SALib.analyze import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si = sobol.analyze(problem, Y, calc_second_order=False, seed=seed,
                               print_to_console=False)
        table = pd.DataFrame({k: np.asarray(si[k], dtype=float)
                              for k in ("ST", "ST_conf", "S1", "S1_conf")},
                             index=pd.Index(problem["names"], name="parameter"))
        key = "ST"
    table = table.sort_values(key, ascending=False)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    samples = pd.DataFrame(X, columns=problem["names"])
    samples[response] = Y

    files = [out / "sensitivity.csv", out / "samples.csv", out / "sensitivity.json"]
    atomic_write(files[0], lambda p: table.to_csv(p))
    atomic_write(files[1], lambda p: samples.to_csv(p, index_label="point"))
    meta = json.dumps({**spec, "response": response, "runs": len(members),
                       "scenario": scenario.name, "ranked_by": key}, indent=1)
    atomic_write(files[2], lambda p: p.write_text(meta + "\n", encoding="utf-8"))
    plot = plot_sensitivity(table, method, response, out / "sensitivity.png",
                            title=f"{scenario.name}: {method}, response {response}")
    if plot is not None:
        files.append(plot)
    return SensitivityResult(method, response, table, samples, files)


def plot_sensitivity(table: pd.DataFrame, method: str, response: str, path: Path,
                     title: str = "") -> Path | None:
    """Bar chart of the ranking (and, for Morris, ``mu_star`` against ``sigma``); None without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = list(table.index)[::-1]
    if method == "morris":
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 0.5 * len(names) + 2.5))
        ax1.barh(names, table.loc[names, "mu_star"], xerr=table.loc[names, "mu_star_conf"],
                 color="#4477aa", capsize=3)
        ax1.set_xlabel(f"mu* (mean |elementary effect| on {response})")
        ax2.scatter(table["mu_star"], table["sigma"], color="#cc6677")
        for name, row in table.iterrows():
            ax2.annotate(str(name), (row["mu_star"], row["sigma"]), fontsize=8,
                         xytext=(3, 3), textcoords="offset points")
        lim = max(float(table["mu_star"].max()), float(table["sigma"].max()), 1e-12) * 1.15
        ax2.plot([0, lim], [0, lim], ls=":", color="grey", lw=1)
        ax2.set_xlim(0, lim)
        ax2.set_ylim(0, lim)
        ax2.set_xlabel("mu*")
        ax2.set_ylabel("sigma (interaction / non-linearity)")
    else:
        fig, ax1 = plt.subplots(figsize=(8, 0.6 * len(names) + 2.5))
        y = np.arange(len(names))
        ax1.barh(y - 0.2, table.loc[names, "ST"], height=0.4, xerr=table.loc[names, "ST_conf"],
                 label="total order ST", color="#4477aa", capsize=3)
        ax1.barh(y + 0.2, table.loc[names, "S1"], height=0.4, xerr=table.loc[names, "S1_conf"],
                 label="first order S1", color="#ddcc77", capsize=3)
        ax1.set_yticks(y, names)
        ax1.set_xlabel(f"Sobol' index of {response}")
        ax1.legend()
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)
    return path
