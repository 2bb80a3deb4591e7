"""Probabilistic scores, naive baselines and calibrated forecasts for ensembles.

- `quantile_bands`: 5/25/50/75/95 % bands over members, per day and location.
- `crps_ensemble`: the continuous ranked probability score of an ensemble taken as an empirical
  distribution, ``CRPS = E|X − y| − ½ E|X − X'|``; with sorted members ``x_(1) ≤ … ≤ x_(m)``,
  ``½ E|X − X'| = Σ_i (2i − m − 1) x_(i) / m²``. It is in people, like the counts; a point forecast
  scores its absolute error, so CRPS and MAE compare directly.
- `coverage`: the share of observations inside the central 50 % (25–75 %) and 90 % (5–95 %)
  intervals; a calibrated forecast covers about 0.5 and 0.9.
- `naive_forecasts`: persistence and linear trend with Gaussian intervals, the baselines a
  forecast must beat (see docs/ensembles.md for their exact definitions).
- `abc_smc`: adaptive population Monte Carlo ABC (Lenormand, Jabot & Deffuant 2013), which fits
  parameter ranges to observed data; `calibrate` fits on data up to a cut-off, forecasts the rest
  with an ensemble drawn from the fitted ranges, and scores it against the baselines.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from borderflow.ensemble import (
    EnsembleError,
    EnsembleStore,
    Member,
    ParameterRange,
    member_seed,
    open_executor,
    run_ensemble,
)
from borderflow.results import atomic_write
from borderflow.scenario.model import Scenario

__all__ = [
    "ARRIVALS",
    "DEFAULT_CALIBRATION_VARY",
    "CalibrationResult",
    "ForecastScore",
    "GaussianForecast",
    "Posterior",
    "abc_smc",
    "bands_frame",
    "calibrate",
    "coverage",
    "crps_ensemble",
    "crps_gaussian",
    "ensemble_validation",
    "naive_forecasts",
    "quantile_bands",
    "score_ensemble",
    "score_forecast",
    "score_gaussian",
    "training_distance",
    "with_arrivals_after",
]

ARRIVALS = ("trend", "persist", "observed")
#: What `calibrate` fits when no ranges are given: how readily people leave ordinary places, and
#: how much camps attract and conflict zones repel them.
DEFAULT_CALIBRATION_VARY = (
    "move.default_movechance=0.1:0.6",
    "move.camp_weight=0.5:4",
    "move.conflict_weight=0.05:1",
)
TREND_WINDOW = 30  # days of history the linear-trend baseline and the arrivals trend look at
_ABC_TAG = 0xABC


# -- bands and scores -------------------------------------------------------------------------
def quantile_bands(stack: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles over members (axis 0): ``[len(qs), *stack.shape[1:]]``, linear interpolation."""
    return np.quantile(np.asarray(stack, dtype=np.float64), list(qs), axis=0)


def bands_frame(bands: np.ndarray, mean: np.ndarray, dates: pd.DatetimeIndex,
                names: Sequence[str], qs: Sequence[float]) -> pd.DataFrame:
    """Tidy table ``day, date, location, mean, q05, q25, q50, q75, q95`` from `quantile_bands`."""
    n_days, n_loc = mean.shape
    frame = pd.DataFrame({
        "day": np.repeat(np.arange(n_days, dtype=np.int32), n_loc),
        "date": np.repeat(dates.to_numpy(), n_loc),
        "location": np.tile(np.array(names, dtype=object), n_days),
        "mean": mean.reshape(-1),
    })
    for k, q in enumerate(qs):
        frame[f"q{round(q * 100):02d}"] = bands[k].reshape(-1)
    return frame


def crps_ensemble(samples: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """CRPS of the empirical distribution of ``samples`` (members on axis 0) at ``obs``."""
    x = np.sort(np.asarray(samples, dtype=np.float64), axis=0)
    y = np.asarray(obs, dtype=np.float64)
    m = x.shape[0]
    if m == 0:
        raise ValueError("an ensemble CRPS needs at least one member")
    spread_w = (2.0 * np.arange(1, m + 1) - m - 1).reshape((m,) + (1,) * (x.ndim - 1))
    return np.mean(np.abs(x - y), axis=0) - np.sum(spread_w * x, axis=0) / (m * m)


def coverage(samples: np.ndarray, obs: np.ndarray, level: float) -> float:
    """Share of ``obs`` inside the central ``level`` interval of ``samples`` (axis 0)."""
    lo, hi = quantile_bands(samples, [(1 - level) / 2, (1 + level) / 2])
    y = np.asarray(obs, dtype=np.float64)
    return float(np.mean((y >= lo) & (y <= hi)))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def crps_gaussian(mean: np.ndarray, sd: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """CRPS of ``N(mean, sd²)`` at ``obs`` (closed form; ``|obs − mean|`` where ``sd == 0``)."""
    mu, s, y = (np.asarray(a, dtype=np.float64) for a in (mean, sd, obs))
    safe = np.where(s > 0, s, 1.0)
    z = (y - mu) / safe
    cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    value = safe * (z * (2.0 * cdf - 1.0) + 2.0 * pdf - 1.0 / math.sqrt(math.pi))
    return np.where(s > 0, value, np.abs(y - mu))


@dataclass(frozen=True)
class ForecastScore:
    """Scores of one forecast over a set of (day, camp) cells.

    ``crps`` is the mean CRPS (people), ``crps_relative`` the summed CRPS over the summed observed
    counts, ``coverage50``/``coverage90`` the interval coverage and ``mae`` the mean absolute
    error of the median.
    """

    name: str
    crps: float
    crps_relative: float
    coverage50: float
    coverage90: float
    mae: float

    def as_row(self) -> dict[str, Any]:
        return {"forecast": self.name, "crps": self.crps, "crps_relative": self.crps_relative,
                "coverage50": self.coverage50, "coverage90": self.coverage90, "mae": self.mae}


def score_ensemble(name: str, samples: np.ndarray, obs: np.ndarray) -> ForecastScore:
    """Score an ensemble ``samples[members, ...]`` against ``obs[...]``."""
    y = np.asarray(obs, dtype=np.float64)
    crps = crps_ensemble(samples, y)
    median = np.median(samples, axis=0)
    return ForecastScore(name, float(crps.mean()), float(crps.sum() / max(y.sum(), 1.0)),
                         coverage(samples, y, 0.5), coverage(samples, y, 0.9),
                         float(np.mean(np.abs(median - y))))


@dataclass(frozen=True)
class GaussianForecast:
    """A forecast ``N(mean, sd²)`` per held-out day (rows) and camp (columns)."""

    name: str
    mean: np.ndarray
    sd: np.ndarray


def score_gaussian(forecast: GaussianForecast, obs: np.ndarray) -> ForecastScore:
    """Score a `GaussianForecast` against ``obs`` (same shape)."""
    y = np.asarray(obs, dtype=np.float64)
    crps = crps_gaussian(forecast.mean, forecast.sd, y)
    cover = []
    for level in (0.5, 0.9):
        z = NormalDist().inv_cdf((1 + level) / 2)
        cover.append(float(np.mean(np.abs(y - forecast.mean) <= z * forecast.sd)))
    return ForecastScore(forecast.name, float(crps.mean()), float(crps.sum() / max(y.sum(), 1.0)),
                         cover[0], cover[1], float(np.mean(np.abs(forecast.mean - y))))


def naive_forecasts(history: np.ndarray, horizon: int,
                    window: int = TREND_WINDOW) -> list[GaussianForecast]:
    """Persistence and linear-trend forecasts of ``horizon`` days after ``history[days, camps]``.

    - persistence: the last value, with random-walk spread ``σ √h``, σ the root mean square of
      the daily changes over the whole history;
    - linear trend: the least-squares line through the last ``window`` days, extended ``h`` days
      (and kept ≥ 0), with spread ``σ_d √(h (1 + h / window))``, σ_d the standard deviation of the
      daily changes over the history (a random walk with drift).
    """
    y = np.asarray(history, dtype=np.float64)
    if y.ndim != 2 or y.shape[0] < 2:
        raise ValueError("naive forecasts need at least two days of history")
    h = np.arange(1, horizon + 1, dtype=np.float64)[:, None]
    diffs = np.diff(y, axis=0)
    last = y[-1]
    sigma_rw = np.sqrt(np.mean(diffs**2, axis=0))
    persistence = GaussianForecast("persistence", np.broadcast_to(last, (horizon, y.shape[1])),
                                   sigma_rw * np.sqrt(h))
    w = min(window, y.shape[0])
    x = np.arange(w, dtype=np.float64)
    xc = x - x.mean()
    recent = y[-w:]
    slope = (xc[:, None] * (recent - recent.mean(axis=0))).sum(axis=0) / (xc**2).sum()
    level = recent.mean(axis=0) + slope * xc[-1]
    sigma_d = diffs.std(axis=0, ddof=1) if diffs.shape[0] > 1 else np.zeros(y.shape[1])
    trend = GaussianForecast("linear trend", np.maximum(level + slope * h, 0.0),
                             sigma_d * np.sqrt(h * (1.0 + h / w)))
    return [persistence, trend]


# -- ensembles against observed data ----------------------------------------------------------
def _flee_ard(sims: np.ndarray, data: np.ndarray, raw: np.ndarray, camps: Sequence[str]):
    """Flee's ARD of one run from arrays, through the same code that scores out.csv."""
    from borderflow.metrics import validation_score

    positive = raw > 0
    cols: dict[str, np.ndarray] = {}
    for j, c in enumerate(camps):
        cols[f"{c} sim"] = sims[:, j]
        cols[f"{c} data"] = data[:, j]
    cols["refugees in camps (UNHCR)"] = np.where(positive, data.sum(axis=1), 0)
    cols["refugees in camps (simulation)"] = np.where(positive, sims.sum(axis=1), 0)
    return validation_score(pd.DataFrame(cols))


def ensemble_validation(store: EnsembleStore) -> dict[str, Any]:
    """Score every member and the ensemble as a whole against the store's observed series.

    Returns ``{"summary": DataFrame, "per_camp": DataFrame}``. ``summary`` has one row per scored
    window (``all days``, and ``held-out`` when the ensemble is a forecast with a cut-off):
    members, mean and standard deviation of the members' ARD (Flee's rescaled score), CRPS (mean
    over days and camps, people), relative CRPS, coverage of the 50 % and 90 % intervals.
    ``per_camp`` has CRPS and coverage per camp over all days.
    """
    observed = store.observed()
    if observed is None:
        raise EnsembleError(f"{store.root}: the ensemble has no observed data to validate against")
    camps = [c for c in store.camp_names if c in observed.columns]
    if not camps:
        raise EnsembleError(f"{store.root}: no camp has an observed series")
    stack = store.stack(camps).astype(np.float64)  # [members, days, camps]
    data = observed[camps].to_numpy(np.float64)
    raw = observed["total"].to_numpy()
    windows = [("all days", 0)]
    start = store.manifest.get("spec", {}).get("holdout_from_day")
    if start is not None and 0 < int(start) < store.days:
        windows.append(("held-out", int(start)))
    rows = []
    for label, first in windows:
        ards = [_flee_ard(m[first:], data[first:], raw[first:], camps).ard for m in stack]
        score = score_ensemble("ensemble", stack[:, first:], data[first:])
        rows.append({"window": label, "days": store.days - first, "members": len(stack),
                     "ard_mean": float(np.mean(ards)), "ard_sd": float(np.std(ards)),
                     "crps": score.crps, "crps_relative": score.crps_relative,
                     "coverage50": score.coverage50, "coverage90": score.coverage90})
    per_camp = []
    for j, c in enumerate(camps):
        s = score_ensemble(c, stack[:, :, j], data[:, j])
        per_camp.append({"camp": c, "crps": s.crps, "crps_relative": s.crps_relative,
                         "coverage50": s.coverage50, "coverage90": s.coverage90})
    return {"summary": pd.DataFrame(rows).set_index("window"),
            "per_camp": pd.DataFrame(per_camp).set_index("camp")}


# -- ABC-SMC ----------------------------------------------------------------------------------
def training_distance(sims: np.ndarray, data: np.ndarray) -> float:
    """Mean over days of ``Σ_camps |sim − data| / max(Σ_camps data, 1)`` (Flee's unscaled ARD).

    Unlike the rescaled ARD it also sees how many people reach the camps, which a forecast of
    camp counts must get right.
    """
    s = np.asarray(sims, dtype=np.float64)
    d = np.asarray(data, dtype=np.float64)
    return float(np.mean(np.abs(s - d).sum(axis=1) / np.maximum(d.sum(axis=1), 1.0)))


@dataclass
class Posterior:
    """Weighted particles of an ABC-SMC run, in parameter units, and how the run went."""

    names: list[str]
    particles: np.ndarray  # [particles, parameters]
    weights: np.ndarray  # sums to 1
    distances: np.ndarray
    generations: list[dict[str, float]] = field(default_factory=list)
    constants: dict[str, float] = field(default_factory=dict)

    @property
    def simulations(self) -> int:
        return int(sum(g["simulations"] for g in self.generations))

    def params(self, k: int) -> dict[str, float]:
        """Parameter values of particle ``k`` (with the fixed ones)."""
        out = dict(self.constants)
        out.update({n: float(self.particles[k, j]) for j, n in enumerate(self.names)})
        return out

    def ranges(self, qs: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Weighted quantiles of each parameter (rows) and its weighted mean."""
        rows = {}
        for j, n in enumerate(self.names):
            order = np.argsort(self.particles[:, j])
            x, w = self.particles[order, j], self.weights[order]
            cdf = np.cumsum(w) - 0.5 * w
            row = {f"q{round(q * 100):02d}": float(np.interp(q, cdf, x)) for q in qs}
            row["mean"] = float(np.sum(w * self.particles[:, j]))
            rows[n] = row
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")

    def to_json(self) -> dict[str, Any]:
        return {"parameters": self.names, "constants": self.constants,
                "particles": self.particles.tolist(), "weights": self.weights.tolist(),
                "distances": self.distances.tolist(), "generations": self.generations}


def abc_smc(simulate: Callable[[list[tuple[dict[str, float], int]]], list[float]],
            priors: Sequence[ParameterRange], *, seed: int = 0, particles: int = 48,
            alpha: float = 0.5, min_acceptance: float = 0.1, max_generations: int = 6,
            progress: Callable[[dict[str, float]], None] | None = None) -> Posterior:
    """Adaptive population Monte Carlo ABC (APMC; Lenormand, Jabot & Deffuant 2013).

    ``simulate([(params, seed), ...])`` returns one distance per pair. Priors are uniform over
    the ranges. Generation 0 draws ``particles`` from the prior; each later generation keeps the
    best ``alpha`` share (so the tolerance ε adapts to the ``alpha``-quantile of the distances),
    draws the rest from a Gaussian kernel (twice the weighted covariance) around them, weights new
    particles by prior / kernel mixture, and stops when the share of new particles that beat the
    previous ε falls to ``min_acceptance`` or after ``max_generations``. Each generation is one
    batch of independent simulations, which is what a cluster runs well. Deterministic for a
    given ``seed`` and ``simulate``.
    """
    free = [p for p in priors if p.high > p.low]
    constants = {p.name: p.value(0.0) for p in priors if p.high <= p.low}
    d = len(free)
    if d == 0:
        raise EnsembleError("calibration needs at least one parameter range with LOW < HIGH")
    keep = max(2, math.ceil(alpha * particles))
    if keep >= particles:
        raise EnsembleError("alpha * particles must leave room for new particles")
    lows = np.array([p.low for p in free])
    widths = np.array([p.high - p.low for p in free])

    def to_params(u: np.ndarray) -> dict[str, float]:
        out = dict(constants)
        out.update({p.name: p.value(u[j]) for j, p in enumerate(free)})
        return out

    def run(gen: int, us: np.ndarray) -> np.ndarray:
        batch = []
        for j, u in enumerate(us):
            ss = np.random.SeedSequence(seed, spawn_key=(_ABC_TAG, gen, j))
            batch.append((to_params(u), int(ss.generate_state(1, np.uint64)[0])))
        return np.asarray(simulate(batch), dtype=np.float64)

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_ABC_TAG,)))
    u = rng.random((particles, d))
    rho = run(0, u)
    # Importance weights prior / proposal density; the prior density on [0, 1]^d is 1, so the
    # prior draws weigh 1 and later draws 1 / (kernel mixture density): one scale throughout.
    w = np.ones(particles)
    order = np.argsort(rho, kind="stable")[:keep]
    u, rho, w = u[order], rho[order], w[order]
    eps = float(rho.max())
    history = [{"generation": 0, "epsilon": eps, "acceptance": 1.0,
                "simulations": float(particles)}]
    if progress:
        progress(history[-1])
    for gen in range(1, max_generations):
        wn = w / w.sum()
        cov = 2.0 * np.atleast_2d(np.cov(u.T, aweights=wn)) + 1e-10 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        inv = np.linalg.inv(cov)
        norm = 1.0 / math.sqrt((2 * math.pi) ** d * np.linalg.det(cov))
        n_new = particles - keep
        new = np.empty((n_new, d))
        for k in range(n_new):
            while True:  # the uniform prior's support is [0, 1]^d
                cand = u[rng.choice(keep, p=wn)] + chol @ rng.standard_normal(d)
                if np.all((cand >= 0.0) & (cand <= 1.0)):
                    new[k] = cand
                    break
        diff = new[:, None, :] - u[None, :, :]
        dens = norm * np.exp(-0.5 * np.einsum("nkd,de,nke->nk", diff, inv, diff))
        w_new = 1.0 / np.maximum(dens @ wn, 1e-300)
        rho_new = run(gen, new)
        acceptance = float(np.mean(rho_new < eps))
        all_u = np.vstack([u, new])
        all_rho = np.concatenate([rho, rho_new])
        all_w = np.concatenate([w, w_new])
        order = np.argsort(all_rho, kind="stable")[:keep]
        u, rho, w = all_u[order], all_rho[order], all_w[order]
        eps = float(rho.max())
        history.append({"generation": gen, "epsilon": eps, "acceptance": acceptance,
                        "simulations": float(n_new)})
        if progress:
            progress(history[-1])
        if acceptance <= min_acceptance:
            break
    values = lows + widths * u
    for j, p in enumerate(free):
        if p.integer:
            values[:, j] = np.round(values[:, j])
    return Posterior([p.name for p in free], values, w / w.sum(), rho, history, constants)


# -- calibrated forecasts ---------------------------------------------------------------------
def with_arrivals_after(scenario: Scenario, cutoff: int, mode: str,
                        window: int = TREND_WINDOW) -> Scenario:
    """``scenario`` with the new arrivals from day ``cutoff`` on replaced by what was known then.

    The engine spawns people from the observed total (``refugees.csv``) of every day, so a run
    through the held-out period would otherwise know how many people arrive in it. ``"trend"``
    continues the mean daily increase of the last ``window`` known days (at least 0),
    ``"persist"`` adds nobody, ``"observed"`` keeps the real series (a forecast conditional on
    the total, as Flee's validation runs are).
    """
    if mode not in ARRIVALS:
        raise EnsembleError(f"arrivals {mode!r}: expected one of {', '.join(ARRIVALS)}")
    obs = scenario.observed
    if mode == "observed" or obs is None:
        return scenario
    new = np.asarray(obs.new_displaced).copy()
    n = len(new)
    if mode == "persist":
        new[cutoff:] = 0
    else:
        w = max(1, min(window, cutoff - 1))
        total = np.asarray(obs.total, dtype=np.float64)
        rate = max(0.0, (total[cutoff - 1] - total[cutoff - 1 - w]) / w)
        steps = np.round(rate * np.arange(0, n - cutoff + 1))
        new[cutoff:] = np.diff(steps).astype(new.dtype)
    return replace(scenario, observed=replace(obs, new_displaced=new))


def _load_posterior(path: Path, inputs: dict[str, Any]) -> Posterior | None:
    """The posterior saved in ``path`` if it was fitted with the same ``inputs``, else None."""
    if not path.is_file():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("inputs") != inputs:
        return None
    return Posterior(list(saved["parameters"]), np.asarray(saved["particles"], dtype=float),
                     np.asarray(saved["weights"], dtype=float),
                     np.asarray(saved["distances"], dtype=float), list(saved["generations"]),
                     dict(saved["constants"]))


def score_forecast(stack: np.ndarray, data: np.ndarray, cutoff: int) -> pd.DataFrame:
    """Score a forecast ensemble ``stack[members, days, camps]`` on days ``cutoff..`` of
    ``data[days, camps]``, next to the naive baselines fitted on days ``..cutoff − 1``.

    Rows: the ensemble as it is; the ensemble anchored at the cut-off (each member's change
    since day ``cutoff − 1`` added to the last observed value, at least 0: the model's dynamics
    without its accumulated level error); persistence; linear trend.
    """
    held = data[cutoff:]
    members = stack[:, cutoff:]
    anchored = np.maximum(data[cutoff - 1] + members - stack[:, cutoff - 1:cutoff], 0.0)
    rows = [score_ensemble("borderflow (ABC-SMC ensemble)", members, held).as_row(),
            score_ensemble("borderflow, anchored at cut-off", anchored, held).as_row()]
    baselines = naive_forecasts(data[:cutoff], len(held))
    rows += [score_gaussian(f, held).as_row() for f in baselines]
    return pd.DataFrame(rows).set_index("forecast")


@dataclass
class CalibrationResult:
    """What `calibrate` produced (everything is also written to its output folder)."""

    posterior: Posterior
    cutoff_day: int
    forecast: EnsembleStore
    scores: pd.DataFrame
    files: list[Path]


def _camp_columns(scenario: Scenario) -> tuple[list[str], list[int], np.ndarray]:
    from borderflow.engine import Simulation

    probe = Simulation(scenario, seed=0, days=0).run()
    obs = scenario.observed
    if obs is None:
        raise EnsembleError(f"{scenario.path}: calibration needs observed data (source_data/)")
    lookup = {n: i for i, n in enumerate(obs.camp_names)}
    camps = [c for c in probe.camp_names if c in lookup]
    cols = [list(probe.location_names).index(c) for c in camps]
    data = np.stack([obs.camps[lookup[c]] for c in camps], axis=1).astype(np.float64)
    return camps, cols, data


def calibrate(scenario: Scenario, until: date, vary: Sequence[ParameterRange], out: str | Path,
              *, seed: int = 0, particles: int = 48, alpha: float = 0.5,
              generations: int = 6, min_acceptance: float = 0.1, members: int = 100,
              arrivals: str = "trend", scheduler: Any = None, n_workers: int | None = None,
              log: Callable[[str], None] | None = None,
              progress: Callable[[int, int], None] | None = None) -> CalibrationResult:
    """Fit ``vary`` to the data up to ``until`` (inclusive), forecast the rest, score it.

    Writes to ``out``: ``calibration.json`` (the inputs of the fit, posterior particles,
    weights, generations), ``posterior.csv`` (fitted ranges), ``forecast-<arrivals>/`` (the
    forecast ensemble store) and ``forecast_scores-<arrivals>.csv`` (`score_forecast`). Running
    it again with the same inputs reuses the fit and computes only missing forecast members.
    """
    out = Path(out)
    days = scenario.length
    cutoff = (until - scenario.start_date).days + 1
    if not 2 <= cutoff < days:
        raise EnsembleError(f"--until {until}: must leave at least 2 known and 1 held-out day "
                            f"in {scenario.start_date} + {days} days")
    camps, cols, data = _camp_columns(scenario)
    say = log or (lambda _msg: None)
    from borderflow.ensemble import scenario_fingerprint

    inputs = {"scenario": scenario_fingerprint(scenario.path), "settings": repr(scenario.settings),
              "until": until.isoformat(), "seed": seed, "particles": particles, "alpha": alpha,
              "generations": generations, "min_acceptance": min_acceptance,
              "vary": {p.name: [p.low, p.high] for p in vary}}
    inputs = json.loads(json.dumps(inputs))
    out.mkdir(parents=True, exist_ok=True)
    with open_executor(scheduler, n_workers=n_workers) as ex:
        post = _load_posterior(out / "calibration.json", inputs)
        if post is not None:
            say(f"ABC-SMC: reusing the fit in {out / 'calibration.json'}")
        else:
            def simulate(batch: list[tuple[dict[str, float], int]]) -> list[float]:
                todo = [Member(j, s, p) for j, (p, s) in enumerate(batch)]
                dist = [0.0] * len(todo)
                for index, pops in ex.map(scenario, todo, cutoff):
                    dist[index] = training_distance(pops[:, cols], data[:cutoff])
                return dist

            def report(g: dict[str, float]) -> None:
                say(f"ABC-SMC generation {int(g['generation'])}: epsilon {g['epsilon']:.4f}, "
                    f"acceptance {g['acceptance']:.2f}")

            post = abc_smc(simulate, vary, seed=seed, particles=particles, alpha=alpha,
                           min_acceptance=min_acceptance, max_generations=generations,
                           progress=report)
            text = json.dumps({"inputs": inputs, "cutoff_day": cutoff, **post.to_json()},
                              indent=1)
            atomic_write(out / "calibration.json",
                         lambda p: p.write_text(text + "\n", encoding="utf-8"))
        ranges = post.ranges()
        atomic_write(out / "posterior.csv", lambda p: ranges.to_csv(p))

        plan = []
        for i in range(members):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, 0)))
            k = int(rng.choice(len(post.weights), p=post.weights))
            plan.append(Member(i, member_seed(seed, i), post.params(k)))
        spec = {"kind": "calibrated forecast", "seed": seed, "until": until.isoformat(),
                "holdout_from_day": cutoff, "arrivals": arrivals, "fit": inputs}
        say(f"forecast ensemble: {members} members, arrivals after the cut-off: {arrivals}")
        run = run_ensemble(with_arrivals_after(scenario, cutoff, arrivals), plan,
                           out / f"forecast-{arrivals}", spec=spec,
                           scheduler=ex.client if ex.client is not None else "synchronous",
                           progress=progress)
    scores = score_forecast(run.store.stack(camps).astype(np.float64), data[:days], cutoff)
    name = f"forecast_scores-{arrivals}.csv"
    atomic_write(out / name, lambda p: scores.to_csv(p))
    files = [out / "calibration.json", out / "posterior.csv", out / name, run.store.root]
    return CalibrationResult(post, cutoff, run.store, scores, files)
