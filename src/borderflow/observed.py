"""Compare a run with observed series of the kind found in `scenarios/*/observed/`.

An observation file is a CSV with a date (``date``, or ``month`` as YYYY-MM) and one value
column. A `Target` says which simulated series it is compared with and how: ``monthly_sum`` (a
flow summed over each calendar month, e.g. attempts per month), ``cumulative`` (a flow summed
from a start date up to each observed date, e.g. cumulative arrivals) or ``level`` (a stock on
each observed date). Comparing like with like — events with events, people with people — is the
target's job, stated in its definition. A target may add further simulated series to its
``series`` (``plus``), e.g. turn-backs plus apprehensions for a count that includes both.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Target:
    """One observed series and the simulated series it is compared with."""

    name: str
    file: str
    value_column: str
    series: str
    how: str  # monthly_sum | cumulative | level
    since: date | None = None  # start of accumulation for ``cumulative``
    until: date | None = None  # observations after this date are not compared
    plus: tuple[str, ...] = ()  # further simulated series added to ``series``, day by day


@dataclass(frozen=True)
class Comparison:
    """Observed and simulated values of a target, point by point."""

    target: Target
    labels: list[str]
    observed: np.ndarray
    simulated: np.ndarray

    @property
    def relative_error(self) -> np.ndarray:
        """(simulated − observed) / observed, per point."""
        return (self.simulated - self.observed) / np.maximum(self.observed, 1.0)

    @property
    def log_error(self) -> np.ndarray:
        """log((simulated + 1) / (observed + 1)), per point."""
        return np.log((self.simulated + 1.0) / (self.observed + 1.0))


def read_observations(path: Path, value_column: str) -> list[tuple[str, float]]:
    """(date or month label, value) rows of an observation file, in file order."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            label = row.get("date") or row.get("month")
            value = float(row[value_column])
            if label and math.isfinite(value):
                rows.append((label.strip(), value))
    return rows


def compare(daily: pd.DataFrame, target: Target, folder: Path) -> Comparison:
    """Compare a tidy daily series table (``date, series, value``) with one target."""
    def one(name: str) -> pd.Series:
        return daily[daily["series"] == name].set_index("date")["value"].astype(float)

    s = one(target.series)
    for name in target.plus:
        extra = one(name)
        if extra.empty:
            raise ValueError(f"target {target.name!r}: no simulated series {name!r}")
        s = s + extra
    first, last = s.index.min(), s.index.max()
    labels, obs, sim = [], [], []
    for label, value in read_observations(folder / target.file, target.value_column):
        if target.how == "monthly_sum":
            start = pd.Timestamp(label + "-01")
            end = start + pd.offsets.MonthEnd(0)
            if start < first or end > last:
                continue
            simulated = float(s.loc[start:end].sum())
            when = end
        else:
            when = pd.Timestamp(label)
            if when < first or when > last:
                continue
            if target.how == "cumulative":
                since = pd.Timestamp(target.since) if target.since else first
                simulated = float(s.loc[since:when].sum())
            else:
                simulated = float(s.loc[when])
        if target.until is not None and when > pd.Timestamp(target.until):
            continue
        labels.append(label)
        obs.append(value)
        sim.append(simulated)
    return Comparison(target, labels, np.array(obs), np.array(sim))


def load_targets(folder: Path) -> list[tuple[Target, bool]]:
    """Targets (and whether calibration fits them) from ``folder/targets.yml``."""
    import yaml

    data = yaml.safe_load((folder / "targets.yml").read_text(encoding="utf-8")) or {}
    out = []
    for item in data.get("targets", []):
        since = item.get("since")
        until = item.get("until")
        plus = item.get("plus") or []
        plus = [plus] if isinstance(plus, str) else plus
        out.append((Target(
            name=str(item["name"]), file=str(item["file"]), value_column=str(item["value_column"]),
            series=str(item["series"]), how=str(item["how"]),
            since=date.fromisoformat(str(since)) if since else None,
            until=date.fromisoformat(str(until)) if until else None,
            plus=tuple(str(x) for x in plus),
        ), bool(item.get("fit", False))))
    return out
