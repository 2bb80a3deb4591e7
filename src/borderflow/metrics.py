"""Validation scores against observed camp counts, computed exactly as Flee 3.1's scripts do.

Flee's headline score is the averaged relative difference ("Error (rescaled)" in
``extract-validation-results.py``, "Averaged error ... rescaled" in ``plot_flee_output.py``): on
each day the simulated camp counts are rescaled to the observed camp total, the absolute
differences to the observed counts (rounded to 4 decimals) are summed over camps in column
order and divided by ``max(observed camp total, 1)``; the score is the mean over days. It measures
how people are spread over camps, not how many there are; it lies in [0, 2]. The functions take
a frame as `borderflow.outcsv.read_out_csv` returns it, so they score Flee's own ``out.csv`` too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ValidationScore", "camp_names", "validation_score"]

_UNHCR_TOTAL = "refugees in camps (UNHCR)"
_SIM_TOTAL = "refugees in camps (simulation)"


@dataclass(frozen=True, eq=False)
class ValidationScore:
    """Flee's validation scores for one run.

    - ``ard``: mean over days of the rescaled error (Flee's "Error (rescaled)").
    - ``ard_unscaled``: the same without rescaling (Flee's "Error (normal)").
    - ``per_camp``: one row per camp, columns ``ard_share`` and ``ard_unscaled_share`` (mean over
      days of the camp's ``|s'_i − d_i| / max(D, 1)``, resp. ``|s_i − d_i| / max(D, 1)``; they add
      up over camps to ``ard`` and ``ard_unscaled``) and ``relative_error`` (mean over days of
      Flee's ``<camp> error``: ``round(|s_i / d_i − 1|, 4)``, 0 on days with ``d_i < 1e-5``).
    - ``daily``: the rescaled error per day, indexed like the frame.
    """

    ard: float
    ard_unscaled: float
    per_camp: pd.DataFrame
    daily: pd.Series


def camp_names(frame: pd.DataFrame) -> list[str]:
    """Camps of an out.csv frame, in column order: every column ``"<camp> sim"``.

    Flee's scripts pick columns that merely contain ``" sim"`` and rebuild the name by splitting
    on whitespace; for ordinary names that is the same list, and this rule also keeps names that
    contain ``" sim"`` or repeated spaces intact.
    """
    return [
        str(col)[: -len(" sim")]
        for col in frame.columns
        if str(col).endswith(" sim") and "numAgents" not in str(col)
    ]


def validation_score(frame: pd.DataFrame) -> ValidationScore:
    """Score an out.csv frame the way Flee's ``extract-validation-results.py`` does.

    Raises ValueError when the frame has no days, no camp columns, or lacks the camp totals.
    """
    if len(frame) == 0:
        raise ValueError("out.csv frame has no days")
    for column in (_UNHCR_TOTAL, _SIM_TOTAL):
        if column not in frame.columns:
            raise ValueError(f"out.csv frame lacks the column {column!r}")
    names = camp_names(frame)
    if not names:
        raise ValueError("out.csv frame has no '<camp> sim' columns")

    un_total = frame[_UNHCR_TOTAL].to_numpy().flatten()
    sim_total = frame[_SIM_TOTAL].to_numpy().flatten()
    denominator = np.maximum(un_total, np.ones(len(un_total)))
    positive = sim_total > 0
    safe_sim_total = np.where(positive, sim_total, 1)

    sum_plain: np.ndarray | None = None
    sum_rescaled: np.ndarray | None = None
    shares_plain: list[float] = []
    shares_rescaled: list[float] = []
    relative: list[float] = []
    for name in names:
        sim = frame[f"{name} sim"].to_numpy()
        data = frame[f"{name} data"].to_numpy()
        # Flee: y1[i] * untot[i] / simtot[i] on days with simtot > 0, else 0.
        rescaled = np.where(positive, sim * un_total / safe_sim_total, 0.0)
        plain = np.round(np.abs(sim - data), 4)
        resc = np.round(np.abs(rescaled - data), 4)
        # Flee adds camps one after the other (np.add), so keep that order of summation.
        sum_plain = plain if sum_plain is None else np.add(sum_plain, plain)
        sum_rescaled = resc if sum_rescaled is None else np.add(sum_rescaled, resc)
        shares_plain.append(float(np.mean(plain / denominator)))
        shares_rescaled.append(float(np.mean(resc / denominator)))
        sim_f = sim.astype(np.float64)
        data_f = data.astype(np.float64)
        small = data_f < 0.00001
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.round(np.abs(sim_f / np.where(small, 1.0, data_f) - 1.0), 4)
        relative.append(float(np.mean(np.where(small, 0.0, rel))))

    assert sum_plain is not None and sum_rescaled is not None
    daily_plain = sum_plain / denominator
    daily_rescaled = sum_rescaled / denominator
    per_camp = pd.DataFrame(
        {
            "ard_share": shares_rescaled,
            "ard_unscaled_share": shares_plain,
            "relative_error": relative,
        },
        index=pd.Index(names, name="camp"),
    )
    daily = pd.Series(daily_rescaled, index=frame.index, name="Error (rescaled)")
    return ValidationScore(
        ard=float(np.mean(daily_rescaled)),
        ard_unscaled=float(np.mean(daily_plain)),
        per_camp=per_camp,
        daily=daily,
    )
