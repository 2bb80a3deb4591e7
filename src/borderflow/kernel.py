"""Compiled per-day step of the count model: who leaves, which route, who arrives.

People are counted, never listed: ``loc_n[s, c]`` is the number of people standing in stay
state ``s`` (a location, or a location plus the rest of a planned path, see
`borderflow.network.RouteTable`) who belong to person class ``c``. A class combines the
attributes that rules read: whether a first journey is still under way (``start_on_foot``), how
many border crossings were attempted (turn-backs, giving up) and the origin of a scheduled
arrival. People on links are *cohorts*: (directed link, km done on it, state on arrival, class
and a "returns to start" flag, count). A day's draws for a group of interchangeable people are
one binomial (who leaves) and one multinomial (which route), so the cost of a day grows with the
network and the number of classes in use, not with the number of people.

The functions here are pure array code compiled with Numba (cached on disk, so only the first run
after a change compiles them): no I/O, no globals. Randomness comes from Numba's generator, which
the engine seeds every day from the run's own generator; each kernel call draws one seed from it
for a local xoshiro256+ generator (`new_rng`, `uniform`), whose uniforms cost ~1 ns instead of 7.

Random draws are much of the kernel's work, so `binom` is our own exact sampler rather than
Numba's ``np.random.binomial`` (30–180 ns a draw; its BTPE branch redoes a long set-up on every
call): a sum of Bernoulli trials for n ≤ 16, inversion (sequential search from 0 with
the recurrence P(x+1) = P(x)·(n−x)/(x+1)·p/q) for n·min(p, q) < 10, and otherwise Hörmann's
BTRS transformed rejection with squeeze ("The generation of binomial random variates", J. Stat.
Comput. Simul. 46, 1993), whose acceptance test uses exact log-factorials (a table below 256,
Stirling's series to the 1/x⁵ term above, exact to double precision). All three are exact
samplers: they return each k with probability C(n,k)·p^k·q^(n−k) up to floating-point rounding.
`multinomial_into` splits small groups person by person (one uniform and a scan of the weights
each) and large groups by conditional binomials; both are exact.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from borderflow.kconst import (  # noqa: F401  (re-exported: the kernel's array layout)
    DOOMED,
    EV_ARRIVALS,
    EV_ATTEMPTS,
    EV_ENTRIES,
    EV_TURNBACKS,
    I_BUDGET_MODE,
    I_GROUPS,
    I_START_ON_FOOT,
    N_EVENTS,
    N_FPARAMS,
    N_IPARAMS,
    P_CAPACITY_BUFFER,
    P_CHAIN_SCALE,
    P_DISTANCE_POWER,
    P_SOFTENING,
    P_WALK_SPEED,
    P_WEIGHT_POWER,
    P_WEIGHT_SOFTENING,
    S_CHAIN_ROUNDS,
    S_CHAINED_GROUPS,
    S_COHORTS,
    S_GROUPS,
)

_CACHE = True
# Division by zero cannot happen where it would matter; NumPy semantics skip the checks.
_OPTS = {"cache": _CACHE, "error_model": "numpy"}
# Helpers that never allocate are compiled without Numba's reference counting: otherwise every
# call can pay an atomic increment and decrement per array argument (Numba's pruning of those
# fails on early returns), which costs more than the helper's own work.
_LEAF = {"cache": _CACHE, "error_model": "numpy", "_nrt": False}
# Small helpers on the hot path are also inlined by LLVM (not by Numba, whose inlining would
# bring the reference counting back).
_HOT = {**_LEAF, "forceinline": True}

_LF_TABLE = 256
_LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in range(_LF_TABLE)])
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_BERNOULLI_MAX = 16  # binomials with n up to this are sums of Bernoulli trials
_INVERSION_MAX_MEAN = 10.0  # n·min(p, q) below this: inversion; above: BTRS
_CHUNK = 256  # groups handled between two checks that the output arrays have room


def prepare_compiler(skip_blas_check: bool = True) -> None:
    """Load Numba's compiler context now, optionally without its check for a BLAS.

    On its first use Numba imports ``scipy.linalg`` only to see whether linear algebra is
    available (0.15–0.3 s of CPU, with BLAS threads, in a process's start-up). The kernel uses no
    linear algebra, so a command that runs one simulation in its own process can skip that
    check; afterwards functions that need a BLAS (``np.dot`` and the like) cannot be compiled
    by Numba in this process. Does nothing when ``scipy.linalg`` is already imported.
    """
    import sys

    from numba.core.registry import cpu_target

    block = skip_blas_check and "scipy.linalg" not in sys.modules
    if block:
        sys.modules["scipy.linalg"] = None  # type: ignore[assignment]  # -> ImportError
    try:
        cpu_target.target_context.refresh()
    finally:
        if block:
            del sys.modules["scipy.linalg"]


# -- exact random variates ------------------------------------------------------------------------
@nb.njit(**_OPTS)
def seed(value: int) -> None:
    """Seed Numba's generator (one per process)."""
    np.random.seed(value)


@nb.njit(**_OPTS)
def new_rng():
    """A fast generator for one kernel call (xoshiro256+), seeded from Numba's generator.

    Numba's generator (seeded daily by the engine) stays the one source of randomness; each
    kernel call draws one 62-bit seed from it and expands it (SplitMix64) into the state of a
    xoshiro256+ generator (Blackman and Vigna), whose uniforms cost a few instructions instead
    of a thread-local lookup and two Mersenne-Twister words each.
    """
    st = np.empty(4, dtype=np.uint64)
    x = np.uint64(np.random.randint(0, 4611686018427387904))
    for i in range(4):
        x += np.uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        st[i] = z ^ (z >> np.uint64(31))
    return st


@nb.njit(**_HOT)
def uniform(rng):
    """A uniform double in [0, 1) from a `new_rng` state (53 random bits)."""
    s0 = rng[0]
    s1 = rng[1]
    s2 = rng[2] ^ s0
    s3 = rng[3] ^ s1
    result = s0 + rng[3]
    rng[1] = s1 ^ s2
    rng[0] = s0 ^ s3
    rng[2] = s2 ^ (s1 << np.uint64(17))
    rng[3] = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
    return (result >> np.uint64(11)) * 1.1102230246251565e-16


@nb.njit(**_LEAF)
def log_factorial(k):
    """ln(k!) to double precision: a table for k < 256, Stirling's series above."""
    if k < _LF_TABLE:
        return _LOG_FACTORIAL[k]
    x = k + 1.0
    x2 = x * x
    return ((x - 0.5) * math.log(x) - x + _HALF_LOG_2PI
            + (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * x2)) / x2) / x)


@nb.njit(**_LEAF)
def _binom_inversion(rng, n, p):
    """Binomial(n, p) by inversion, for p <= 1/2 and small n·p (expected n·p + 1 steps)."""
    q = 1.0 - p
    s = p / q
    a = (n + 1) * s
    p0 = math.exp(n * math.log1p(-p))
    while True:
        u = uniform(rng)
        f = p0
        x = 0
        while True:
            if u < f:
                return x
            u -= f
            x += 1
            if x > n:
                break
            f *= a / x - s
            if f == 0.0:
                break  # rounding left u beyond the whole distribution: draw again
    return 0


@nb.njit(**_LEAF)
def _binom_btrs(rng, n, p):
    """Binomial(n, p) by Hörmann's BTRS, for p <= 1/2 and n·p >= 10."""
    q = 1.0 - p
    spq = math.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = 0.0
    lpq = 0.0
    m = 0
    h = -1.0  # the constants of the acceptance test are computed when first needed
    while True:
        u = uniform(rng) - 0.5
        v = uniform(rng)
        us = 0.5 - abs(u)
        kf = (2.0 * a / us + b) * u + c
        if not (kf >= 0.0 and kf < n + 1.0):  # also catches us == 0 (u == -1/2)
            continue
        k = int(kf)  # floor, as kf >= 0
        if us >= 0.07 and v <= vr:
            return k
        if h < 0.0:
            alpha = (2.83 + 5.1 / b) * spq
            lpq = math.log(p / q)
            m = int((n + 1) * p)  # floor
            h = log_factorial(m) + log_factorial(n - m)
        v = math.log(v * alpha / (a / (us * us) + b))
        if v <= h - log_factorial(k) - log_factorial(n - k) + (k - m) * lpq:
            return k


@nb.njit(**_HOT)
def binom(rng, n, p):
    """Exact Binomial(n, p) draw; accepts n <= 0 and p outside (0, 1)."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    if n <= _BERNOULLI_MAX:
        x = 0
        for _ in range(n):
            if uniform(rng) < p:
                x += 1
        return x
    if p > 0.5:
        r = 1.0 - p  # exact for p in (1/2, 1)
        if n * r < _INVERSION_MAX_MEAN:
            return n - _binom_inversion(rng, n, r)
        return n - _binom_btrs(rng, n, r)
    if n * p < _INVERSION_MAX_MEAN:
        return _binom_inversion(rng, n, p)
    return _binom_btrs(rng, n, p)


_HRUA_D1 = 1.7155277699214135  # 2·sqrt(2/e)
_HRUA_D2 = 0.8989161620588988  # 3 − 2·sqrt(3/e)
_HYPER_SMALL = 10  # draws below this: one at a time


@nb.njit(**_LEAF)
def hypergeom(rng, good, bad, sample):
    """Exact hypergeometric variate: good items among ``sample`` drawn from good + bad.

    Fewer than 10 draws (or non-draws): one draw at a time. Otherwise Stadlober's ratio of
    uniforms (HRUA; "The ratio of uniforms approach for generating discrete random variates",
    J. Comput. Appl. Math. 31, 1990), as NumPy uses it, with exact log-factorials: constant
    expected time however large the numbers (Numba's own sampler loops over the sample).
    """
    total = good + bad
    if sample <= 0 or good <= 0:
        return 0
    if sample >= total:
        return good
    m_s = min(sample, total - sample)
    if m_s < _HYPER_SMALL:
        g = good
        t = total
        got = 0
        for _ in range(m_s):
            if uniform(rng) * t < g:
                got += 1
                g -= 1
            t -= 1
        return got if m_s == sample else good - got
    lo = min(good, bad)
    hi = max(good, bad)
    p = lo / total
    q = hi / total
    a = m_s * p + 0.5
    var = float(total - m_s) * m_s * p * q / (total - 1)  # in floats: the product of two counts
    # above 3·10^9 would overflow int64
    c = math.sqrt(var + 0.5)
    h = _HRUA_D1 * c + _HRUA_D2
    mode = math.floor((m_s + 1.0) * (lo + 1.0) / (total + 2.0))
    g0 = (log_factorial(mode) + log_factorial(lo - mode) + log_factorial(m_s - mode)
          + log_factorial(hi - m_s + mode))
    b = min(min(m_s, lo) + 1.0, math.floor(a + 16.0 * c))
    k = 0
    while True:
        u = uniform(rng)
        v = uniform(rng)
        if u <= 0.0:
            continue
        x = a + h * (v - 0.5) / u
        if x < 0.0 or x >= b:
            continue
        k = math.floor(x)
        t = g0 - (log_factorial(k) + log_factorial(lo - k) + log_factorial(m_s - k)
                  + log_factorial(hi - m_s + k))
        if u * (4.0 - u) - 3.0 <= t:
            break
        if u * (u - t) >= 1.0:
            continue
        if 2.0 * math.log(u) <= t:
            break
    if good > bad:
        k = m_s - k
    if m_s < sample:
        k = good - k
    return k


@nb.njit(**_HOT)
def multinomial_into(rng, n, weights, m, out):
    """Split ``n`` over the first ``m`` categories into ``out``.

    Negative weights mark categories that cannot be chosen. If no eligible category has a
    positive weight the choice is uniform over the eligible ones (as in Flee); if none is
    eligible nothing is assigned and the function returns False.
    """
    total = 0.0
    eligible = 0
    positive = 0
    last = -1
    for i in range(m):
        wi = weights[i]
        if wi >= 0.0:
            eligible += 1
            total += wi
            if wi > 0.0:
                positive += 1
                last = i
    if eligible == 0:
        for i in range(m):
            out[i] = 0
        return False
    if total <= 0.0:
        total, positive, last = _uniform_weights(weights, m)
    _split(rng, n, weights, m, total, positive, last, out)
    return True


@nb.njit(**_HOT)
def _uniform_weights(weights, m):
    """Weight 1 for every eligible category (all had weight 0); returns (total, count, last)."""
    count = 0
    last = -1
    for i in range(m):
        if weights[i] >= 0.0:
            weights[i] = 1.0
            count += 1
            last = i
    return float(count), count, last


@nb.njit(**_HOT)
def _split(rng, n, weights, m, total, positive, last, out):
    """Multinomial split of ``n`` by the positive ``weights`` (their sum ``total``, ``positive``
    of them, the last at ``last``) into ``out``.

    Small groups are split person by person (one uniform and a scan each), larger ones by
    conditional binomials; both are exact.
    """
    for i in range(m):
        out[i] = 0
    if n <= 0:
        return
    if positive == 1:
        out[last] = n
        return
    if n <= 4 + 2 * positive:
        for _ in range(n):
            u = uniform(rng) * total
            j = last
            for i in range(last):
                wi = weights[i]
                if wi > 0.0:
                    if u < wi:
                        j = i
                        break
                    u -= wi
            out[j] += 1
        return
    rest = n
    for i in range(m):
        wi = weights[i]
        if wi <= 0.0:
            continue
        if i == last:
            out[i] = rest
            return
        x = binom(rng, rest, wi / total)
        out[i] = x
        rest -= x
        if rest == 0:
            return
        total -= wi
        if total <= 0.0:
            out[last] += rest
            return


@nb.njit(**_HOT)
def cap_multiplier(occ, cap, buffer):
    """Flee's CapMult: 1 below ``buffer*cap``, 0 at or above ``cap``, linear in between."""
    if cap < 1.0:
        return 1.0
    if occ <= buffer * cap:
        return 1.0
    if occ >= cap:
        return 0.0
    return 1.0 - (occ - buffer * cap) / (cap * (1.0 - buffer))


@nb.njit(**_OPTS)
def _grow(arr, size):
    new = np.zeros(size, dtype=arr.dtype)
    new[: arr.shape[0]] = arr
    return new


@nb.njit(**_HOT)
def _hash(a, b, x, mask):
    """Slot of the key (a, b, x) in an open-addressing table of ``mask + 1`` slots."""
    h = (a * 1000003 + b) * -7046029254386353131 + int(x * 64.0)
    h ^= h >> 29
    return h & mask


@nb.njit(**_HOT)
def _add(loc_n, flag, act, s, c, x):
    """Add ``x`` people to ``loc_n[s, c]``, listing (s, c) as active if it was not.

    ``act[0]`` is the number of active entries; entry i is ``(act[1 + 2i], act[2 + 2i])``.
    Loops visit only active entries, so unused (state, class) pairs cost nothing.
    """
    loc_n[s, c] += x
    if flag[s, c] == 0:
        flag[s, c] = 1
        n = act[0]
        act[1 + 2 * n] = s
        act[2 + 2 * n] = c
        act[0] = n + 1


@nb.njit(**_OPTS)
def add_people(loc_n, occ, flag, act, state_loc, s, c, x):
    """Add ``x`` people of class ``c`` in state ``s`` (and to its place's count)."""
    if x > 0:
        _add(loc_n, flag, act, s, c, x)
        occ[state_loc[s]] += x


@nb.njit(**_OPTS)
def compact_active(loc_n, flag, act):
    """Drop empty entries from the active list (keeping the order of the others)."""
    j = 0
    for i in range(act[0]):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        if loc_n[s, c] == 0:
            flag[s, c] = 0
            continue
        act[1 + 2 * j] = s
        act[2 + 2 * j] = c
        j += 1
    act[0] = j


@nb.njit(**_OPTS)
def stranded_by_location(loc_n, act, state_loc, tried, out):
    """People of classes with ``tried`` standing at each place, into ``out``."""
    for i in range(act[0]):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        if tried[c]:
            out[state_loc[s]] += loc_n[s, c]


@nb.njit(**_HOT)
def _wl_add(table, mask, w_state, w_cls, w_used, w_n, w_slot, n_w, s, c, u, cnt):
    """Add ``cnt`` to the worklist entry (s, c, u), creating it; returns the new length.

    The caller has made room (`_wl_room`). ``table`` maps key slots to entry index + 1; 0 is
    an empty slot, -1 a handled entry's (skipped when looking a key up, never reused).
    """
    h = _hash(s, c, u, mask)
    while True:
        e = table[h] - 1
        if e == -1:
            table[h] = n_w + 1
            w_state[n_w] = s
            w_cls[n_w] = c
            w_used[n_w] = u
            w_n[n_w] = cnt
            w_slot[n_w] = h
            return n_w + 1
        if e >= 0 and w_state[e] == s and w_cls[e] == c and w_used[e] == u:
            w_n[e] += cnt
            return n_w
        h = (h + 1) & mask


@nb.njit(**_HOT)
def _below(a, b, scale):
    """``a < b`` for km, on the grid of 1/scale km when ``scale > 0`` (no rounding noise)."""
    if scale == 0.0:
        return a < b
    return math.floor(a * scale + 0.5) < math.floor(b * scale + 0.5)


@nb.njit(**_HOT)
def _canon(u, loc, scale, th_ptr, th_val, th_rep):
    """The km used ``u`` replaced by the lowest value with the same future at ``loc``.

    Thresholds (`borderflow.network.ChainThresholds`) split the km used today into intervals
    whose members hop on identically; each interval is represented by its lower end (0 for the
    first), so groups in one interval merge in the worklist.
    """
    if scale == 0.0:
        return u
    ui = math.floor(u * scale + 0.5)
    if th_rep.shape[0] > 0:
        width = th_rep.shape[0] // (th_ptr.shape[0] - 1)
        return th_rep[loc * width + min(ui, width - 1)] / scale
    lo = th_ptr[loc]
    hi = th_ptr[loc + 1]
    first = lo
    while lo < hi:
        mid = (lo + hi) >> 1
        if th_val[mid] <= ui:
            lo = mid + 1
        else:
            hi = mid
    if lo == first:
        return 0.0
    return th_val[lo - 1] / scale


@nb.njit(**_OPTS)
def _wl_room(table, w_state, w_cls, w_used, w_n, w_slot, n_w, need, head):
    """Grow a worklist to hold ``need`` entries (its table at most half full), rehashing.

    Entries before ``head`` are handled and no longer in the table.

    Growing happens between loops, never inside one: Numba reference-counts an array variable
    that is re-bound inside a loop on every use, which costs more than the loop's work.
    """
    cap = w_n.shape[0]
    if need <= cap:
        return table, table.shape[0] - 1, w_state, w_cls, w_used, w_n, w_slot
    while cap < need:
        cap *= 2
    w_state = _grow(w_state, cap)
    w_cls = _grow(w_cls, cap)
    w_used = _grow(w_used, cap)
    w_n = _grow(w_n, cap)
    w_slot = _grow(w_slot, cap)
    table = np.zeros(2 * cap, dtype=np.int64)
    mask = 2 * cap - 1
    for q in range(head, n_w):
        h = _hash(w_state[q], w_cls[q], w_used[q], mask)
        while table[h] != 0:
            h = (h + 1) & mask
        table[h] = q + 1
        w_slot[q] = h
    return table, mask, w_state, w_cls, w_used, w_n, w_slot


@nb.njit(**_OPTS)
def _ck_room(ck_link, ck_prog, ck_state, ck_flags, ck_n, need):
    """Grow the cohort arrays to hold ``need`` cohorts (between loops, see `_wl_room`)."""
    size = ck_n.shape[0]
    if need <= size:
        return ck_link, ck_prog, ck_state, ck_flags, ck_n
    size = max(2 * size, need + 16)
    return (_grow(ck_link, size), _grow(ck_prog, size), _grow(ck_state, size),
            _grow(ck_flags, size), _grow(ck_n, size))


@nb.njit(**_OPTS)
def _d_room(d_kind, d_state, d_cls, d_used, d_n, d_cont, need):
    """Grow the deferred items' arrays to hold ``need`` items (between loops, see `_wl_room`)."""
    size = d_n.shape[0]
    if need <= size:
        return d_kind, d_state, d_cls, d_used, d_n, d_cont
    size = max(2 * size, need + 16)
    return (_grow(d_kind, size), _grow(d_state, size), _grow(d_cls, size), _grow(d_used, size),
            _grow(d_n, size), _grow(d_cont, size))


@nb.njit(**_HOT)
def _d_put(d_kind, d_state, d_cls, d_used, d_n, d_cont, n_d, kind, state, c, used, cnt, cont):
    """Append a deferred item (the caller has made room); returns the new count."""
    d_kind[n_d] = kind
    d_state[n_d] = state
    d_cls[n_d] = c
    d_used[n_d] = used
    d_n[n_d] = cnt
    d_cont[n_d] = cont
    return n_d + 1


@nb.njit(**_HOT)
def _route_weights(loc, ptr, cand_final, cand_dist, cand_home, score, fp, w0, w0_ok):
    """Today's weights of ``loc``'s candidates without the capacity factor (once per day)."""
    if w0_ok[loc]:
        return
    w0_ok[loc] = True
    ws = fp[P_WEIGHT_SOFTENING]
    soft = fp[P_SOFTENING]
    dp = fp[P_DISTANCE_POWER]
    for c in range(ptr[loc], ptr[loc + 1]):
        num = ws + score[cand_final[c]] * cand_home[c]
        if dp == 1.0:
            w0[c] = num / (soft + cand_dist[c])
        else:
            w0[c] = num / (soft + cand_dist[c]) ** dp


@nb.njit(**_HOT)
def _choose(rng, s, movers, avoid, occ, is_camp, capacity, buffer, wp, ptr, cand_link,
            cand_next, cand_final, cand_dist, cand_home, cand_cross, plan_link, plan_next,
            plan_final, plan_cross, score, fp, w0, w0_ok, n_loc, w, full, x, out_link,
            out_next):
    """Route choice for ``movers`` people leaving stay state ``s``.

    Fills ``out_link``/``out_next``/``x`` with m (link, next state, count) groups and returns
    (m, stay, drop): ``stay`` people stay in state ``s``; ``drop`` stay but lose their plan.
    ``avoid`` is a bit mask of border groups these people gave up on: they never choose a
    route that crosses into one of them (``cand_cross`` holds each route's groups as bits).
    ``w`` and ``full`` are scratch space of the largest number of candidates.
    """
    if s >= n_loc:  # planned state: follow the plan
        k = plan_link[s]
        if k < 0 or (avoid & plan_cross[s]) != 0:
            return 0, 0, movers  # the next link has closed (or is a crossing): plan dropped
        f = plan_final[s]
        if is_camp[f] and cap_multiplier(occ[f], capacity[f], buffer) < 0.5:
            return 0, 0, movers
        out_link[0] = k
        out_next[0] = plan_next[s]
        x[0] = movers
        return 1, 0, 0
    a = ptr[s]
    m = ptr[s + 1] - a
    if m == 0:
        return 0, movers, 0
    _route_weights(s, ptr, cand_final, cand_dist, cand_home, score, fp, w0, w0_ok)
    total = 0.0
    eligible = 0
    positive = 0
    last = -1
    for i in range(m):
        c = a + i
        full[i] = False
        if (avoid & cand_cross[c]) != 0:
            w[i] = -1.0
            continue
        f = cand_final[c]
        wt = w0[c]
        if capacity[f] >= 1.0:
            cm = cap_multiplier(occ[f], capacity[f], buffer)
            wt *= cm
            # Flee: a route to a (nearly) full camp is abandoned for the day
            full[i] = is_camp[f] and cm < 0.5
        if wp != 1.0:
            wt = wt**wp
        w[i] = wt
        eligible += 1
        total += wt
        if wt > 0.0:
            positive += 1
            last = i
    if eligible == 0:
        return 0, movers, 0
    if total <= 0.0:
        total, positive, last = _uniform_weights(w, m)
    if movers == 1:  # half of all chained groups: one categorical draw
        j = last
        if positive > 1:
            u = uniform(rng) * total
            for i in range(last):
                wi = w[i]
                if wi > 0.0:
                    if u < wi:
                        j = i
                        break
                    u -= wi
        if full[j]:
            return 0, 1, 0
        out_link[0] = cand_link[a + j]
        out_next[0] = cand_next[a + j]
        x[0] = 1
        return 1, 0, 0
    _split(rng, movers, w, m, total, positive, last, x)
    stay = 0
    j = 0
    for i in range(m):
        if x[i] == 0:
            continue
        if full[i]:
            stay += x[i]
            continue
        out_link[j] = cand_link[a + i]
        out_next[j] = cand_next[a + i]
        x[j] = x[i]
        j += 1
    return j, stay, 0


@nb.njit(**_LEAF)
def _set_out(rng, k, c, x, s, loc_n, flag, act, occ, state_loc, link_cross, tb_prob, tb_to,
             cap_left, ev, cls_turnback):
    """``x`` people of class ``c`` leave state ``s`` on link ``k``; returns how many go on it.

    On a border crossing each traversal is an attempt: up to the day's capacity may try (the
    rest wait where they are), and each attempt is turned back with the day's probability, to
    the crossing's turn-back place, in the class ``cls_turnback[c, group]`` (one attempt more
    at that group, or giving up on it). ``link_cross[k]`` is the crossing's group + 1.
    """
    if link_cross[k] == 0:
        return x
    go = x
    if cap_left[k] >= 0:
        if go > cap_left[k]:
            go = cap_left[k]
        cap_left[k] -= go
    wait = x - go
    if wait > 0:
        _add(loc_n, flag, act, s, c, wait)
        occ[state_loc[s]] += wait
    tb = binom(rng, go, tb_prob[k])
    ev[EV_ATTEMPTS, k] += go
    ev[EV_TURNBACKS, k] += tb
    ev[EV_ENTRIES, k] += go - tb
    if tb > 0:
        dest = tb_to[k]
        _add(loc_n, flag, act, dest, cls_turnback[c, link_cross[k] - 1], tb)
        occ[dest] += tb
    return go - tb


@nb.njit(**_LEAF)
def _admit(rng, ns, c, cnt, loc_n, flag, act, occ, state_loc, det_of_loc, det_cap, det_prob,
           det_held, adm):
    """``cnt`` people of class ``c`` arrive in state ``ns`` at a detention place; returns how
    many are free to go on (see `_arrive`).

    Each arrival is held with probability ``det_prob`` (up to the place's capacity); today's
    admissions are counted in ``adm[place, class]`` and given their detention lengths at the
    end of the day (`_assign_delays`).
    """
    loc = state_loc[ns]
    occ[loc] += cnt
    d = det_of_loc[loc]
    admitted = binom(rng, cnt, det_prob[d])
    if det_cap[d] >= 0:
        room = det_cap[d] - det_held[d]
        if room < 0:
            room = 0
        if admitted > room:
            admitted = room
    free = cnt - admitted
    if free > 0:
        _add(loc_n, flag, act, ns, c, free)
    if admitted > 0:
        adm[d, c] += admitted
        det_held[d] += admitted
    return free


@nb.njit(**_HOT)
def _arrive(rng, ns, c, cnt, loc_n, flag, act, occ, state_loc, det_of_loc, det_cap, det_prob,
            det_held, adm):
    """``cnt`` people of class ``c`` arrive in state ``ns``; returns how many are free to go on:
    all of them, except at a detention place (`_admit`)."""
    loc = state_loc[ns]
    if det_of_loc[loc] >= 0:
        return _admit(rng, ns, c, cnt, loc_n, flag, act, occ, state_loc, det_of_loc, det_cap,
                      det_prob, det_held, adm)
    _add(loc_n, flag, act, ns, c, cnt)
    occ[loc] += cnt
    return cnt


@nb.njit(**_LEAF)
def _assign_delays(rng, adm, hold, det_pmf, det_cdf, hold_base, wbuf, sbuf):
    """Draw the detention length of everyone admitted today; ``hold[d, slot, c]`` is a ring of
    release days.

    One draw per (place, class) for the whole day: the sum of independent multinomials with the
    same probabilities is the multinomial of the sum, so this equals a draw per arriving group
    and costs one multinomial over the delays instead of one per group.
    """
    n_delay = det_pmf.shape[1]
    ring = hold.shape[1]
    for d in range(adm.shape[0]):
        for c in range(adm.shape[1]):
            admitted = adm[d, c]
            if admitted == 0:
                continue
            if admitted <= 16:
                # few people, many possible delays: one categorical draw each is cheaper than a
                # multinomial over every delay (both are exact)
                for _ in range(admitted):
                    u = uniform(rng)
                    j = np.searchsorted(det_cdf[d], u, side="right")
                    if j >= n_delay:
                        j = n_delay - 1
                    while det_pmf[d, j] <= 0.0 and j > 0:  # never land on an impossible delay
                        j -= 1
                    hold[d, (hold_base + j + 1) % ring, c] += 1
            else:
                for j in range(n_delay):
                    wbuf[j] = det_pmf[d, j]
                multinomial_into(rng, admitted, wbuf, n_delay, sbuf)
                for j in range(n_delay):
                    if sbuf[j] > 0:
                        hold[d, (hold_base + j + 1) % ring, c] += sbuf[j]


@nb.njit(**_HOT)
def _state_sensitive(s, s_sens, sens, state_loc, n_loc, ptr, cand_final, plan_final):
    """Whether a step from state ``s`` reads or changes the fill of a sensitive place (cached)."""
    v = s_sens[s]
    if v >= 0:
        return v == 1
    hit = sens[state_loc[s]]
    if not hit:
        if s >= n_loc:
            f = plan_final[s]
            hit = f >= 0 and sens[f]
        else:
            for c in range(ptr[s], ptr[s + 1]):
                if sens[cand_final[c]]:
                    hit = True
                    break
    s_sens[s] = 1 if hit else 0
    return hit


# -- the day ------------------------------------------------------------------------------------
@nb.njit(**_OPTS)
def step_day(loc_n, occ, ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck, mc, score, is_camp,
             capacity, link_len, link_speed, link_walkp, link_src, link_cross, tb_prob, tb_to,
             cap_left, ptr, cand_link, cand_next, cand_final, cand_dist, cand_home, cand_cross,
             plan_link, plan_next, plan_final, plan_cross, state_loc, cls_fresh,
             cls_travelled, cls_turnback, cls_avoid, det_of_loc, hold, det_pmf, det_cap,
             det_prob, det_held, hold_base, flag, act, th_ptr, th_val, th_rep, reach_ptr,
             reach_src, fp, ip, ev, stats):
    """Advance one day: departures (pass 1), then travel with chained hops (pass 2).

    State arrays and ``ev`` (today's events per link) are updated in place; ``stats`` counts
    the work done (see ``S_*``). Returns the (possibly re-allocated) cohort arrays and their new
    length; new cohorts are appended, `compact_cohorts` merges them.

    Loops run over chunks of at most ``_CHUNK`` groups; arrays grow only between chunks (see
    `_wl_room` for why).
    """
    rng = new_rng()
    n_loc = occ.shape[0]
    max_m = 1
    for loc in range(n_loc):
        if ptr[loc + 1] - ptr[loc] > max_m:
            max_m = ptr[loc + 1] - ptr[loc]
    w = np.empty(max_m)
    full = np.zeros(max_m, dtype=np.bool_)
    x = np.zeros(max_m, dtype=np.int64)
    out_link = np.zeros(max_m, dtype=np.int64)
    out_next = np.zeros(max_m, dtype=np.int64)
    n_delay = det_pmf.shape[1]
    det_cdf = np.zeros(det_pmf.shape)
    for d in range(det_pmf.shape[0]):
        acc = 0.0
        for j in range(n_delay):
            acc += det_pmf[d, j]
            det_cdf[d, j] = acc
    wbuf = np.zeros(max(n_delay, 1))
    sbuf = np.zeros(max(n_delay, 1), dtype=np.int64)
    adm = np.zeros((det_pmf.shape[0], cls_fresh.shape[0]), dtype=np.int64)  # admitted today
    # Route weights without the capacity factor change only daily: computed at most once a
    # day per place, and only for places someone leaves.
    w0 = np.empty(cand_link.shape[0])
    w0_ok = np.zeros(n_loc, dtype=np.bool_)
    start_on_foot = ip[I_START_ON_FOOT] != 0
    budget_mode = ip[I_BUDGET_MODE] != 0
    groups = ip[I_GROUPS]
    walk_speed = fp[P_WALK_SPEED]
    buffer = fp[P_CAPACITY_BUFFER]
    wp = fp[P_WEIGHT_POWER]
    scale = 0.0 if budget_mode else fp[P_CHAIN_SCALE]

    # ---- pass 1: people standing at a place decide to leave and choose a route -------------
    # All departures are drawn first, then routes are chosen against the counts after everyone
    # who leaves today has left. Flee processes people one by one in creation order, so its
    # oldest residents (mostly camp populations) free their places before newer arrivals
    # choose; this synchronous rule reproduces that (see docs/model.md).
    n_act0 = act[0]
    leaving = np.zeros(n_act0, dtype=np.int64)
    for i in range(n_act0):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        n = loc_n[s, c]
        p = mc[state_loc[s]]
        if n == 0 or p <= 0.0:
            continue
        stats[S_GROUPS] += 1
        movers = binom(rng, n, p)
        leaving[i] = movers
        loc_n[s, c] -= movers
        occ[state_loc[s]] -= movers
    for i0 in range(0, n_act0, _CHUNK):
        i1 = min(n_act0, i0 + _CHUNK)
        if n_ck + (i1 - i0) * max_m > ck_n.shape[0]:
            ck_link, ck_prog, ck_state, ck_flags, ck_n = _ck_room(
                ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck + (i1 - i0) * max_m)
        for i in range(i0, i1):
            movers = leaving[i]
            if movers == 0:
                continue
            s = act[1 + 2 * i]
            c = act[2 + 2 * i]
            loc = state_loc[s]
            m, stay, drop = _choose(rng, s, movers, cls_avoid[c], occ, is_camp, capacity, buffer,
                                    wp, ptr, cand_link, cand_next, cand_final, cand_dist,
                                    cand_home, cand_cross, plan_link, plan_next, plan_final,
                                    plan_cross, score, fp, w0, w0_ok, n_loc, w, full, x, out_link,
                                    out_next)
            # people who do not leave after all stand where they were (or lose their plan)
            loc_n[s, c] += stay
            if drop > 0:
                _add(loc_n, flag, act, loc, c, drop)
            occ[loc] += stay + drop
            for j in range(m):
                go = x[j]
                if link_cross[out_link[j]] != 0:
                    go = _set_out(rng, out_link[j], c, go, s, loc_n, flag, act, occ, state_loc,
                                  link_cross, tb_prob, tb_to, cap_left, ev, cls_turnback)
                if go == 0:
                    continue
                ck_link[n_ck] = out_link[j]
                ck_prog[n_ck] = 0.0
                ck_state[n_ck] = out_next[j]
                ck_flags[n_ck] = c << 1
                ck_n[n_ck] = go
                n_ck += 1

    # ---- pass 2: everyone on a link travels; arrivals may chain further hops ---------------
    n_old = n_ck
    # room for every cohort that stays on its link
    ck_link, ck_prog, ck_state, ck_flags, ck_n = _ck_room(
        ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck + 2 * n_old)
    # Arrivals: (link, km done before today, state, flags, count, today's speed)
    a_link = np.empty(2 * n_old, dtype=np.int64)
    a_prev = np.empty(2 * n_old)
    a_state = np.empty(2 * n_old, dtype=np.int64)
    a_flags = np.empty(2 * n_old, dtype=np.int64)
    a_n = np.empty(2 * n_old, dtype=np.int64)
    a_speed = np.empty(2 * n_old)
    n_a = 0
    for i in range(n_old):
        n = ck_n[i]
        if n == 0:
            continue
        stats[S_COHORTS] += 1
        ck_n[i] = 0  # whoever stays on the link is re-added below with its new progress
        k = ck_link[i]
        v = link_speed[k]
        if start_on_foot and cls_fresh[ck_flags[i] >> 1]:
            v = walk_speed
        walkers = binom(rng, n, link_walkp[k])
        for part in range(2):
            cnt = walkers if part == 0 else n - walkers
            if cnt == 0:
                continue
            speed = walk_speed if part == 0 else v
            prog = ck_prog[i] + speed
            if prog > link_len[k]:
                a_link[n_a] = k
                a_prev[n_a] = ck_prog[i]
                a_state[n_a] = ck_state[i]
                a_flags[n_a] = ck_flags[i]
                a_n[n_a] = cnt
                a_speed[n_a] = speed
                n_a += 1
            else:
                ck_link[n_ck] = k
                ck_prog[n_ck] = prog
                ck_state[n_ck] = ck_state[i]
                ck_flags[n_ck] = ck_flags[i]
                ck_n[n_ck] = cnt
                n_ck += 1

    # Arrivals are handled in `groups` random rounds, camp fill refreshed between rounds. The
    # rounds matter only through what people read that others change: the fill (CapMult) of
    # places that can enter or are in the capacity band today (`sens`), a crossing's daily
    # capacity, a detention place's capacity. So a person is given a round lazily, at the first
    # step that reads or changes such state (arriving at or leaving a sensitive place, choosing
    # among routes to one); steps before it are the same whatever the round, and are handled
    # at once in a first phase (-1). With crossing or detention capacities every step counts
    # as sensitive, which gives each arrival its round on arrival; with no sensitive place,
    # there is one round and no phase -1. In its round a person takes that first step and, if
    # it was an arrival, the next hop (move chance, route choice, travel, arrival); hops after
    # that are taken in one last phase (`groups`), after every round, where the groups of all
    # rounds that reached the same key move on together. This is a rule, not an identity (those
    # later hops see the fill after all rounds); the validation scenarios score the same with it
    # (docs/model.md).
    all_sens = False
    sens = np.zeros(n_loc, dtype=np.bool_)
    if groups > 1:
        arriving = 0
        for i in range(n_a):
            arriving += a_n[i]
            if (a_flags[i] & DOOMED) != 0:
                all_sens = True
        # People reach f today only from places at most two days' top speed away (`reach_ptr`,
        # `reach_src`; see `network.arrival_reach`), so f's fill can grow at most by the arrivals
        # there. Turned-back people go elsewhere: with crossings, all arrivals count everywhere.
        local = reach_ptr.shape[0] == n_loc + 1
        for k in range(link_cross.shape[0]):
            if link_cross[k] != 0:
                local = False
                if cap_left[k] >= 0:
                    all_sens = True
        arr_at = np.zeros(n_loc if local else 0, dtype=np.int64)
        if local:
            for i in range(n_a):
                arr_at[state_loc[a_state[i]]] += a_n[i]
        any_sens = False
        for f in range(n_loc):
            cap = capacity[f]
            if cap >= 1.0 and occ[f] < cap:
                bound = arriving
                if local:
                    bound = 0
                    for j in range(reach_ptr[f], reach_ptr[f + 1]):
                        bound += arr_at[reach_src[j]]
                if occ[f] + bound > buffer * cap:
                    sens[f] = True
                    any_sens = True
        for d in range(det_cap.shape[0]):
            if det_cap[d] >= 0:
                all_sens = True
        if not any_sens and not all_sens:
            groups = 1
    n_states = loc_n.shape[0]
    post = groups > 1  # the last phase after the rounds (see above)
    s_sens = np.full(n_states if groups > 1 else 0, -1, dtype=np.int8)
    # Deferred items, by kind: 0 people standing in state ``d_state`` who have not yet decided
    # to move on; 1 an arrival from link arrival ``d_state`` (its index), 2 the same for a link
    # that closed (back to its start); 3 people arriving at state ``d_state`` after a chained
    # hop. ``d_used``: km used today; ``d_cont``: whether they may hop on after arriving.
    # Room for every link arrival (deferred at once when its place is sensitive).
    d_cap = max(64, n_a + 1)
    d_kind = np.empty(d_cap, dtype=np.int64)
    d_state = np.empty(d_cap, dtype=np.int64)
    d_cls = np.empty(d_cap, dtype=np.int64)
    d_used = np.empty(d_cap)
    d_n = np.empty(d_cap, dtype=np.int64)
    d_cont = np.empty(d_cap, dtype=np.bool_)
    n_d = 0
    # groups handed from the rounds to the last phase: standing in state e_state, undecided
    e_kind = np.empty(64 if post else 0, dtype=np.int64)
    e_state = np.empty(64 if post else 0, dtype=np.int64)
    e_cls = np.empty(64 if post else 0, dtype=np.int64)
    e_used = np.empty(64 if post else 0)
    e_n = np.empty(64 if post else 0, dtype=np.int64)
    e_cont = np.empty(64 if post else 0, dtype=np.bool_)
    n_e = 0
    first_now = np.ones(n_a, dtype=np.bool_)
    if groups > 1:
        for i in range(n_a):
            if a_n[i] == 0:
                first_now[i] = False
                continue
            s = a_state[i]
            if all_sens or sens[state_loc[s]]:
                first_now[i] = False
                used = link_len[a_link[i]] - a_prev[i]
                n_d = _d_put(d_kind, d_state, d_cls, d_used, d_n, d_cont, n_d,
                             1 if (a_flags[i] & DOOMED) == 0 else 2, i,
                             cls_travelled[a_flags[i] >> 1], used, a_n[i],
                             _below(used, a_speed[i], scale))

    # The worklist of chained arrivals is one queue of (state, class, km used today) -> count,
    # handled first in, first out. Arrivals at a key that is still waiting in the queue join it
    # (an open-addressing table maps waiting keys to their entry; handled entries leave it), so
    # people reaching a place by paths of different lengths in one day move on as one group.
    cap = 64
    q_state = np.empty(cap, dtype=np.int64)
    q_cls = np.empty(cap, dtype=np.int64)
    q_used = np.empty(cap)
    q_n = np.empty(cap, dtype=np.int64)
    q_slot = np.empty(cap, dtype=np.int64)
    table = np.zeros(2 * cap, dtype=np.int64)
    mask = 2 * cap - 1
    d_split = np.zeros((0, groups), dtype=np.int64)
    first_phase = -1 if groups > 1 else 0
    for g in range(first_phase, groups + 1 if post else groups):
        defer = g < 0
        final_phase = g == groups  # the last phase
        if g == 0 and groups > 1:
            # every deferred item gets its round: one uniform per person, or binomials
            d_split = np.zeros((n_d, groups), dtype=np.int64)
            for i in range(n_d):
                n = d_n[i]
                if n <= 4 * groups:
                    for _ in range(n):
                        d_split[i, min(int(uniform(rng) * groups), groups - 1)] += 1
                else:
                    for r in range(groups - 1):
                        x_r = binom(rng, n, 1.0 / (groups - r))
                        d_split[i, r] = x_r
                        n -= x_r
                    d_split[i, groups - 1] = n
        need = n_a + (n_d if g >= 0 else 0) + n_e + 1
        if need > q_n.shape[0]:
            table, mask, q_state, q_cls, q_used, q_n, q_slot = _wl_room(
                table, q_state, q_cls, q_used, q_n, q_slot, 0, need, 0)
        n_q = 0
        # This phase's arrivals from links: handled now (phase -1, or the only round) ...
        if g == first_phase:
            for i in range(n_a):
                cnt = a_n[i]
                if not first_now[i] or cnt == 0:
                    continue
                k = a_link[i]
                c = cls_travelled[a_flags[i] >> 1]
                if (a_flags[i] & DOOMED) != 0:
                    src = link_src[k]
                    _add(loc_n, flag, act, src, c, cnt)
                    occ[src] += cnt
                    continue
                ev[EV_ARRIVALS, k] += cnt
                s = a_state[i]
                free = _arrive(rng, s, c, cnt, loc_n, flag, act, occ, state_loc, det_of_loc,
                               det_cap, det_prob, det_held, adm)
                used = link_len[k] - a_prev[i]
                if free > 0 and _below(used, a_speed[i], scale):
                    n_q = _wl_add(table, mask, q_state, q_cls, q_used, q_n, q_slot, n_q, s, c,
                                  _canon(used, state_loc[s], scale, th_ptr, th_val, th_rep),
                                  free)
        # ... and deferred items whose round this is.
        if g >= 0 and groups > 1 and not final_phase:
            for i in range(n_d):
                cnt = d_split[i, g]
                if cnt == 0:
                    continue
                c = d_cls[i]
                if d_kind[i] == 0:
                    n_q = _wl_add(table, mask, q_state, q_cls, q_used, q_n, q_slot, n_q,
                                  d_state[i], c, d_used[i], cnt)
                    continue
                if d_kind[i] == 1 or d_kind[i] == 2:  # an arrival from a link (index)
                    ia = d_state[i]
                    k = a_link[ia]
                    if d_kind[i] == 2:
                        src = link_src[k]
                        _add(loc_n, flag, act, src, c, cnt)
                        occ[src] += cnt
                        continue
                    ev[EV_ARRIVALS, k] += cnt
                    s = a_state[ia]
                else:  # kind 3: a chained arrival at state d_state
                    s = d_state[i]
                free = _arrive(rng, s, c, cnt, loc_n, flag, act, occ, state_loc, det_of_loc,
                               det_cap, det_prob, det_held, adm)
                if free > 0 and d_cont[i]:
                    n_q = _wl_add(table, mask, q_state, q_cls, q_used, q_n, q_slot, n_q, s, c,
                                  _canon(d_used[i], state_loc[s], scale, th_ptr, th_val,
                                         th_rep), free)
        # ... and, in the last phase, every group the rounds handed on, merged by key.
        if final_phase:
            for i in range(n_e):
                n_q = _wl_add(table, mask, q_state, q_cls, q_used, q_n, q_slot, n_q,
                              e_state[i], e_cls[i], e_used[i], e_n[i])
        n_init = n_q  # entries from here on are hops after a round's first one
        if n_q > 0:
            stats[S_CHAIN_ROUNDS] += 1
        head = 0
        while head < n_q:
            j1 = min(n_q, head + _CHUNK)
            # each group goes on along at most max_m links, in two parts (walkers or not)
            more = 2 * max_m * (j1 - head)
            if n_q + more > q_n.shape[0]:
                table, mask, q_state, q_cls, q_used, q_n, q_slot = _wl_room(
                    table, q_state, q_cls, q_used, q_n, q_slot, n_q, n_q + more, head)
            if n_ck + more > ck_n.shape[0]:
                ck_link, ck_prog, ck_state, ck_flags, ck_n = _ck_room(
                    ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck + more)
            if defer:
                d_kind, d_state, d_cls, d_used, d_n, d_cont = _d_room(
                    d_kind, d_state, d_cls, d_used, d_n, d_cont, n_d + more + (j1 - head))
            elif post and not final_phase:
                e_kind, e_state, e_cls, e_used, e_n, e_cont = _d_room(
                    e_kind, e_state, e_cls, e_used, e_n, e_cont, n_e + (j1 - head))
            for j in range(head, j1):
                table[q_slot[j]] = -1  # handled: later arrivals at this key start a new entry
                s = q_state[j]
                c = q_cls[j]
                loc = state_loc[s]
                if defer and _state_sensitive(s, s_sens, sens, state_loc, n_loc, ptr,
                                              cand_final, plan_final):
                    n_d = _d_put(d_kind, d_state, d_cls, d_used, d_n, d_cont, n_d, 0, s, c,
                                 q_used[j], q_n[j], True)
                    continue
                if post and not defer and not final_phase and j >= n_init:
                    n_e = _d_put(e_kind, e_state, e_cls, e_used, e_n, e_cont, n_e, 0, s, c,
                                 q_used[j], q_n[j], True)
                    continue
                movers = binom(rng, q_n[j], mc[loc])
                if movers == 0:
                    continue
                loc_n[s, c] -= movers
                occ[loc] -= movers
                u = q_used[j]
                m, stay, drop = _choose(rng, s, movers, cls_avoid[c], occ, is_camp, capacity,
                                        buffer, wp, ptr, cand_link, cand_next, cand_final,
                                        cand_dist, cand_home, cand_cross, plan_link,
                                        plan_next, plan_final, plan_cross, score, fp, w0,
                                        w0_ok, n_loc, w, full, x, out_link, out_next)
                loc_n[s, c] += stay
                if drop > 0:
                    _add(loc_n, flag, act, loc, c, drop)
                occ[loc] += stay + drop
                for i in range(m):
                    k = out_link[i]
                    ns = out_next[i]
                    cnt = x[i]
                    if link_cross[k] != 0:
                        cnt = _set_out(rng, k, c, cnt, s, loc_n, flag, act, occ, state_loc,
                                       link_cross, tb_prob, tb_to, cap_left, ev,
                                       cls_turnback)
                    if cnt == 0:
                        continue
                    walkers = binom(rng, cnt, link_walkp[k])
                    for part in range(2):
                        c2 = walkers if part == 0 else cnt - walkers
                        if c2 == 0:
                            continue
                        speed = walk_speed if part == 0 else link_speed[k]
                        prog = speed - u if budget_mode else speed
                        if prog > link_len[k]:
                            ev[EV_ARRIVALS, k] += c2
                            u2 = u + link_len[k]
                            if defer and sens[state_loc[ns]]:
                                n_d = _d_put(d_kind, d_state, d_cls, d_used, d_n, d_cont,
                                             n_d, 3, ns, c, u2, c2, _below(u2, speed, scale))
                                continue
                            free = _arrive(rng, ns, c, c2, loc_n, flag, act, occ, state_loc,
                                           det_of_loc, det_cap, det_prob, det_held, adm)
                            if free > 0 and _below(u2, speed, scale):
                                n_q = _wl_add(table, mask, q_state, q_cls, q_used, q_n, q_slot,
                                              n_q, ns, c,
                                              _canon(u2, state_loc[ns], scale, th_ptr, th_val,
                                                     th_rep), free)
                        else:
                            ck_link[n_ck] = k
                            ck_prog[n_ck] = prog
                            ck_state[n_ck] = ns
                            ck_flags[n_ck] = c << 1
                            ck_n[n_ck] = c2
                            n_ck += 1
            head = j1
        stats[S_CHAINED_GROUPS] += n_q
        for q in range(n_q):  # every entry is handled: its slot holds -1 or (stale) 0
            table[q_slot[q]] = 0
    _assign_delays(rng, adm, hold, det_pmf, det_cdf, hold_base, wbuf, sbuf)
    return ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck


@nb.njit(**_OPTS)
def compact_cohorts(ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck):
    """Drop empty cohorts and merge cohorts with the same key, in place; returns the new length.

    Cohorts keep the order of their first occurrence, so the result is deterministic.
    """
    size = 16
    while size < 2 * n_ck:
        size *= 2
    table = np.zeros(size, dtype=np.int64)
    mask = size - 1
    j = 0
    for i in range(n_ck):
        n = ck_n[i]
        if n == 0:
            continue
        k = ck_link[i]
        pr = ck_prog[i]
        st = ck_state[i]
        fl = ck_flags[i]
        h = _hash(k * 64 + fl, st, pr, mask)
        while True:
            e = table[h] - 1
            if e < 0:
                table[h] = j + 1
                ck_link[j] = k
                ck_prog[j] = pr
                ck_state[j] = st
                ck_flags[j] = fl
                ck_n[j] = n
                j += 1
                break
            if ck_link[e] == k and ck_prog[e] == pr and ck_state[e] == st and ck_flags[e] == fl:
                ck_n[e] += n
                break
            h = (h + 1) & mask
    return j


@nb.njit(**_OPTS)
def spawn(loc_n, occ, flag, act, weights, n, cls):
    """Add ``n`` people of class ``cls`` over locations in proportion to ``weights``."""
    rng = new_rng()
    m = weights.shape[0]
    w = weights.copy()
    out = np.zeros(m, dtype=np.int64)
    multinomial_into(rng, n, w, m, out)
    for i in range(m):
        if out[i] > 0:
            _add(loc_n, flag, act, i, cls, out[i])
            occ[i] += out[i]
    return out


@nb.njit(**_OPTS)
def remove_at(loc_n, occ, act, state_loc, prob, cls_ok, removed_loc, removed_cls):
    """Remove people (of classes with ``cls_ok``) standing at each place with its daily chance."""
    rng = new_rng()
    total = 0
    for i in range(act[0]):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        loc = state_loc[s]
        p = prob[loc]
        if p <= 0.0 or not cls_ok[c]:
            continue
        r = binom(rng, loc_n[s, c], p)
        if r == 0:
            continue
        loc_n[s, c] -= r
        occ[loc] -= r
        removed_loc[loc] += r
        removed_cls[c] += r
        total += r
    return total


@nb.njit(**_OPTS)
def remove_up_to(loc_n, occ, act, state_loc, loc, n, priority, removed_loc, removed_cls):
    """Remove up to ``n`` people standing at ``loc``: classes with priority 1 first, then 0.

    Within a priority level the seats are shared in proportion to the counts (sequential
    hypergeometric draws, each in constant time).
    """
    rng = new_rng()
    left = n
    for level in (1, 0):
        pool = 0
        for i in range(act[0]):
            s = act[1 + 2 * i]
            c = act[2 + 2 * i]
            if state_loc[s] == loc and priority[c] == level:
                pool += loc_n[s, c]
        if pool == 0 or left == 0:
            continue
        take = min(left, pool)
        for i in range(act[0]):
            s = act[1 + 2 * i]
            c = act[2 + 2 * i]
            if state_loc[s] != loc or priority[c] != level or loc_n[s, c] == 0:
                continue
            if take == 0:
                break
            here = loc_n[s, c]
            rest = pool - here
            r = take if rest <= 0 else hypergeom(rng, here, rest, take)
            pool -= here
            take -= r
            left -= r
            loc_n[s, c] -= r
            occ[loc] -= r
            removed_loc[loc] += r
            removed_cls[c] += r
    return n - left


@nb.njit(**_OPTS)
def move_class(loc_n, flag, act, prob, cls_from, cls_to):
    """Move people of each class ``c`` with ``cls_from[c]`` to ``cls_to[c]`` with a daily chance."""
    rng = new_rng()
    moved = 0
    n_act = act[0]
    for i in range(n_act):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        if not cls_from[c] or loc_n[s, c] == 0:
            continue
        r = binom(rng, loc_n[s, c], prob)
        if r == 0:
            continue
        loc_n[s, c] -= r
        _add(loc_n, flag, act, s, cls_to[c], r)
        moved += r
    return moved


@nb.njit(**_OPTS)
def release_detention(loc_n, occ, flag, act, hold, det_loc, det_held, slot, removal_prob,
                      removed_loc, removed_cls):
    """Release everyone whose detention ends today; some are removed (deported)."""
    rng = new_rng()
    for d in range(hold.shape[0]):
        loc = det_loc[d]
        for c in range(hold.shape[2]):
            n = hold[d, slot, c]
            if n == 0:
                continue
            hold[d, slot, c] = 0
            det_held[d] -= n
            r = binom(rng, n, removal_prob[d])
            if n - r > 0:
                _add(loc_n, flag, act, loc, c, n - r)
            occ[loc] -= r
            removed_loc[loc] += r
            removed_cls[c] += r
