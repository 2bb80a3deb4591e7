"""The kernel's own random variates: exact binomials and multinomials.

`kernel.binom` uses three exact samplers (Bernoulli sums, inversion, Hörmann's BTRS) chosen by
n and n·p; each is checked against the binomial distribution with a chi-square test on a fixed
seed (so the test is deterministic), plus the edge cases the engine relies on.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest

from borderflow import kernel


@nb.njit
def _draws(n, p, reps, seed):
    kernel.seed(seed)
    rng = kernel.new_rng()
    out = np.empty(reps, dtype=np.int64)
    for i in range(reps):
        out[i] = kernel.binom(rng, n, p)
    return out


@nb.njit
def _multinomials(n, weights, reps, seed):
    kernel.seed(seed)
    rng = kernel.new_rng()
    m = weights.shape[0]
    out = np.zeros((reps, m), dtype=np.int64)
    row = np.zeros(m, dtype=np.int64)
    for i in range(reps):
        w = weights.copy()
        kernel.multinomial_into(rng, n, w, m, row)
        out[i] = row
    return out


def _binom_pmf(n: int, p: float, k: np.ndarray) -> np.ndarray:
    lf = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in k])
    return np.exp(lf + k * math.log(p) + (n - k) * math.log1p(-p))


def _chi2_ok(draws: np.ndarray, n: int, p: float) -> bool:
    """Pearson chi-square over cells with >= 20 expected draws, tail cells pooled; True when
    the statistic is below its 99.99 % point (normal approximation of the chi-square)."""
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    lo, hi = max(0, int(mean - 8 * sd - 2)), min(n, int(mean + 8 * sd + 2))
    k = np.arange(lo, hi + 1)
    expected = _binom_pmf(n, p, k) * len(draws)
    keep = expected >= 20
    edges = k[keep]
    observed = np.array([(draws == j).sum() for j in edges], dtype=float)
    exp = expected[keep]
    tail_obs = len(draws) - observed.sum()
    tail_exp = len(draws) - exp.sum()
    stat = ((observed - exp) ** 2 / exp).sum()
    dof = len(edges) - 1
    if tail_exp >= 20:
        stat += (tail_obs - tail_exp) ** 2 / tail_exp
        dof += 1
    z = 3.72  # 99.99 % point of the standard normal
    limit = dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3  # Wilson-Hilferty
    return stat < limit


@pytest.mark.parametrize(("n", "p"), [
    (1, 0.3), (5, 0.5), (16, 0.93),  # Bernoulli sums
    (17, 0.2), (200, 0.03), (1000, 0.0099), (40, 0.8),  # inversion (also via q = 1 - p)
    (34, 0.3), (100, 0.5), (5000, 0.01), (10**6, 0.37), (10**9, 1e-7), (60, 0.75),  # BTRS
])
def test_binomial_matches_the_distribution(n, p):
    draws = _draws(n, p, 200_000, 11)
    assert draws.min() >= 0 and draws.max() <= n
    assert _chi2_ok(draws, n, p)
    assert abs(draws.mean() - n * p) < 6 * math.sqrt(n * p * (1 - p) / len(draws))


def test_binomial_edge_cases():
    assert (_draws(0, 0.5, 10, 1) == 0).all()
    assert (_draws(-3, 0.5, 10, 1) == 0).all()
    assert (_draws(7, 0.0, 10, 1) == 0).all()
    assert (_draws(7, -0.1, 10, 1) == 0).all()
    assert (_draws(7, 1.0, 10, 1) == 7).all()
    assert (_draws(7, 1.5, 10, 1) == 7).all()
    assert (_draws(10**12, 1.0, 3, 1) == 10**12).all()


def test_same_seed_same_draws():
    assert np.array_equal(_draws(123, 0.4, 1000, 5), _draws(123, 0.4, 1000, 5))
    assert not np.array_equal(_draws(123, 0.4, 1000, 5), _draws(123, 0.4, 1000, 6))


@pytest.mark.parametrize("n", [1, 3, 12, 500, 10**8])
def test_multinomial_is_exact_and_conserves(n):
    weights = np.array([0.5, 0.0, 2.0, -1.0, 1.5])  # 0: never chosen, negative: not eligible
    out = _multinomials(n, weights, 20_000, 3)
    assert (out.sum(axis=1) == n).all()
    assert (out[:, 1] == 0).all() and (out[:, 3] == 0).all()
    for j, share in ((0, 0.125), (2, 0.5), (4, 0.375)):  # each margin is Binomial(n, share)
        col = out[:, j]
        assert abs(col.mean() - n * share) < 6 * math.sqrt(n * share * (1 - share) / len(col))
        if n <= 500:
            assert _chi2_ok(col, n, share)


def test_multinomial_all_zero_weights_is_uniform_and_none_eligible_is_refused():
    out = _multinomials(30_000, np.array([0.0, -1.0, 0.0, 0.0]), 1, 2)[0]
    assert out[1] == 0 and out.sum() == 30_000
    assert all(abs(out[j] - 10_000) < 600 for j in (0, 2, 3))

    @nb.njit
    def none_eligible():
        rng = kernel.new_rng()
        row = np.ones(2, dtype=np.int64)
        return kernel.multinomial_into(rng, 5, np.array([-1.0, -2.0]), 2, row), row

    ok, row = none_eligible()
    assert not ok and (row == 0).all()


@nb.njit
def _hyper_draws(good, bad, sample, reps, seed):
    kernel.seed(seed)
    rng = kernel.new_rng()
    out = np.empty(reps, dtype=np.int64)
    for i in range(reps):
        out[i] = kernel.hypergeom(rng, good, bad, sample)
    return out


def _hyper_chi2_ok(draws: np.ndarray, good: int, bad: int, sample: int) -> bool:
    """Pearson chi-square against the exact pmf over cells with >= 20 expected draws."""
    n = good + bad
    mean = sample * good / n
    sd = math.sqrt(mean * bad / n * (n - sample) / max(1, n - 1))
    lo = max(0, sample - bad, int(mean - 10 * sd - 2))
    hi = min(sample, good, int(mean + 10 * sd + 2))
    k = np.arange(lo, hi + 1)

    def lchoose(a, b):
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    pmf = np.array([math.exp(lchoose(good, j) + lchoose(bad, sample - j)
                             - lchoose(good + bad, sample)) for j in k])
    width = max(1, int(sd / 8))  # cells of several values when the spread is huge
    cell = (k - lo) // width
    expected = np.bincount(cell, weights=pmf) * len(draws)
    counts = np.bincount((draws[(draws >= lo) & (draws <= hi)] - lo) // width,
                         minlength=len(expected))[:len(expected)]
    keep = expected >= 20
    observed = counts[keep].astype(float)
    exp = expected[keep]
    stat = ((observed - exp) ** 2 / exp).sum()
    dof = int(keep.sum())
    tail_exp = len(draws) - exp.sum()
    if tail_exp >= 20:
        stat += (len(draws) - observed.sum() - tail_exp) ** 2 / tail_exp
    else:
        dof -= 1
    z = 3.72
    limit = dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3
    return stat < limit


@pytest.mark.parametrize(("good", "bad", "sample"), [
    (5, 7, 4), (30, 2, 25), (3, 1000, 9),  # one draw at a time (also through the complement)
    (50, 50, 30), (1000, 20, 500), (20, 1000, 500), (10**6, 3 * 10**6, 10**5),  # ratio of
    (10**9, 10**9, 5 * 10**8), (12, 10**7, 10**6),  # uniforms, both ways round, huge
    (10**11, 10**11, 5 * 10**9),  # (total - sample) * sample overflows int64: crashed once
])
def test_hypergeometric_matches_the_distribution(good, bad, sample):
    draws = _hyper_draws(good, bad, sample, 200_000, 13)
    assert draws.min() >= max(0, sample - bad) and draws.max() <= min(sample, good)
    assert _hyper_chi2_ok(draws, good, bad, sample)
    mean = sample * good / (good + bad)
    var = mean * bad / (good + bad) * (good + bad - sample) / max(1, good + bad - 1)
    assert abs(draws.mean() - mean) < 6 * math.sqrt(var / len(draws)) + 1e-9


def test_hypergeometric_edge_cases():
    assert (_hyper_draws(0, 10, 5, 10, 1) == 0).all()
    assert (_hyper_draws(10, 0, 5, 10, 1) == 5).all()
    assert (_hyper_draws(10, 5, 15, 10, 1) == 10).all()
    assert (_hyper_draws(10, 5, 0, 10, 1) == 0).all()
    assert (_hyper_draws(4, 6, 10, 10, 1) == 4).all()
