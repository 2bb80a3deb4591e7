"""Write and read ``out.csv`` exactly as Flee 3.1's run script prints it.

One row per simulated day (the state after that day's moves): ``Day,Date``, then for each camp in
locations.csv order ``<camp> sim,<camp> data,<camp> error``, then ``Total error``,
``refugees in camps (UNHCR)``, ``total refugees (simulation)``, ``raw UNHCR refugee count``,
``refugees in camps (simulation)`` and ``refugee_debt``. Numbers are formatted the way Flee's
``%s`` formatting prints Python and NumPy values, so Flee's plotting and validation scripts read
our files unchanged and every column that does not depend on random draws matches byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from borderflow.scenario.model import ObservedData

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OUT_CSV_TAIL", "format_out_csv", "read_out_csv"]

OUT_CSV_TAIL = (
    "Total error",
    "refugees in camps (UNHCR)",
    "total refugees (simulation)",
    "raw UNHCR refugee count",
    "refugees in camps (simulation)",
    "refugee_debt",
)
_ZERO_TAIL = ",0,0,0,0,0,0"  # Flee 3.1 prints this when the raw UNHCR count is not positive


def _as_int_array(values: np.ndarray, what: str, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != shape:
        raise ValueError(f"{what} has shape {array.shape}, expected {shape}")
    whole = np.issubdtype(array.dtype, np.integer) or (
        np.all(np.isfinite(array)) and np.all(array == np.round(array))
    )
    if not whole:
        raise ValueError(f"{what} must hold whole numbers")
    return array.astype(np.int64)


def _relative_errors(sim: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Flee's ``rel_error``: ``round(|sim/data − 1|, 4)`` with NumPy rounding, 0 if data < 1e-5."""
    sim_f = sim.astype(np.float64)
    data_f = data.astype(np.float64)
    small = data_f < 0.00001
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = np.round(np.abs(sim_f / np.where(small, 1.0, data_f) - 1.0), 4)
    return np.where(small, 0.0, errors)


def format_out_csv(
    start_date: date,
    camp_names: Sequence[str],
    camp_sim: np.ndarray,
    observed: ObservedData,
    total_sim: np.ndarray,
    refugee_debt: np.ndarray,
    *,
    total_idps: np.ndarray | None = None,
) -> str:
    """Return the text of Flee 3.1's ``out.csv`` (header and one ``\\n``-ended line per day).

    ``camp_sim[t, i]`` is the number of people in camp ``camp_names[i]`` after day ``t``;
    ``total_sim[t]`` all people in the simulation; ``refugee_debt[t]`` the debt after day t's
    spawning. Data columns come from ``observed`` (looked up by camp name). Formatting follows
    Flee: ``<camp> error`` is ``round(|sim/data − 1|, 4)`` printed as a float (``0.0`` when
    data < 1e-5); ``Total error`` is ``Σ|sim − data| / raw`` printed with full float precision;
    when the raw UNHCR count is not positive the six tail columns print as ``0``.
    ``total_idps`` adds Flee's optional ``total IDPs`` column (``log_levels.idp_totals``).
    """
    names = list(camp_names)
    for name in names:
        if any(ch in name for ch in ',"\r\n'):
            raise ValueError(f"camp name {name!r} cannot be written to out.csv unquoted")
    lookup = {name: i for i, name in enumerate(observed.camp_names)}
    missing = [name for name in names if name not in lookup]
    if missing:
        raise ValueError(f"no observed series for camps {missing}; data_layout.csv must list them")
    sims = np.asarray(camp_sim)
    n_days = sims.shape[0] if sims.ndim == 2 else -1
    sims = _as_int_array(sims, "camp_sim", (n_days, len(names)))
    totals = _as_int_array(total_sim, "total_sim", (n_days,))
    debts = _as_int_array(refugee_debt, "refugee_debt", (n_days,))
    idps = None if total_idps is None else _as_int_array(total_idps, "total_idps", (n_days,))
    if len(observed.total) < n_days or observed.camps.shape[1] < n_days:
        raise ValueError(f"observed data covers fewer than {n_days} days")

    rows = [lookup[name] for name in names]
    data = observed.camps[rows, :n_days].T.astype(np.int64)  # shape (n_days, n_camps)
    raw = np.asarray(observed.total[:n_days], dtype=np.int64)
    errors = _relative_errors(sims, data)
    abs_sum = np.abs(sims - data).sum(axis=1)
    data_sum = data.sum(axis=1)
    sim_sum = sims.sum(axis=1)

    header = "Day,Date," + "".join(f"{n} sim,{n} data,{n} error," for n in names)
    header += ",".join(OUT_CSV_TAIL)
    if idps is not None:
        header += ",total IDPs"
    lines = [header]
    start = datetime(start_date.year, start_date.month, start_date.day)
    sims_l, data_l, errors_l = sims.tolist(), data.tolist(), errors.tolist()
    for t in range(n_days):
        parts = [f"{t},{(start + timedelta(days=t)).strftime('%Y-%m-%d')}"]
        for s, d, e in zip(sims_l[t], data_l[t], errors_l[t], strict=True):
            parts.append(f",{s},{d},{e!r}")
        raw_t = int(raw[t])
        if raw_t > 0:
            total_error = float(abs_sum[t]) / float(raw_t)
            parts.append(
                f",{total_error!r},{int(data_sum[t])},{int(totals[t])},{raw_t},"
                f"{int(sim_sum[t])},{int(debts[t])}"
            )
        else:
            parts.append(_ZERO_TAIL)
        if idps is not None:
            parts.append(f",{int(idps[t])}")
        lines.append("".join(parts))
    return "\n".join(lines) + "\n"


def read_out_csv(path: str | Path) -> pd.DataFrame:
    """Read an ``out.csv`` (ours or Flee's) into a DataFrame indexed by ``Day``.

    Like Flee's postprocessing scripts, columns are read by name; ``Date`` stays a string. Files
    are decoded as UTF-8 (BOM tolerated), falling back to Latin-1 as Flee's scripts read them.
    """
    import pandas as pd

    try:
        return pd.read_csv(path, sep=",", encoding="utf-8-sig", index_col="Day")
    except UnicodeDecodeError:
        return pd.read_csv(path, sep=",", encoding="latin1", index_col="Day")
