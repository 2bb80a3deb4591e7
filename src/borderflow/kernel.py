"""Compiled per-day step of the count model: who leaves, which route, who arrives.

People are counted, never listed: ``loc_n[s, f]`` is the number of people standing in stay
state ``s`` (a location, or a location plus the rest of a planned path, see
`borderflow.network.RouteTable`) with flag ``f`` (1 = has not yet finished a first journey, which
matters for ``start_on_foot``). People on links are *cohorts*: (directed link, km done on it,
state on arrival, flags, count). A day's draws for a group of interchangeable people are one
binomial (who leaves) and one multinomial (which route), so the cost of a day grows with the
network, not with the number of people.

The functions here are pure array code compiled with Numba: no I/O, no globals. Random numbers
come from Numba's generator, which `seed` sets from the run's seed before the first day.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Cohort flag bits.
FRESH = 1  # has not arrived anywhere yet (first journey: walking speed under start_on_foot)
DOOMED = 2  # on a link that closed while they were on it: returns to its start on arrival

# Indices into the float parameter vector.
P_WEIGHT_SOFTENING = 0
P_SOFTENING = 1
P_DISTANCE_POWER = 2
P_WEIGHT_POWER = 3
P_WALK_SPEED = 4
P_CAPACITY_BUFFER = 5
N_FPARAMS = 6
# Indices into the int parameter vector.
I_START_ON_FOOT = 0
I_BUDGET_MODE = 1
I_GROUPS = 2
N_IPARAMS = 3

_CACHE = True


@nb.njit(cache=_CACHE)
def seed(value: int) -> None:
    """Seed Numba's generator (one per process; set at the start of every run)."""
    np.random.seed(value)


@nb.njit(cache=_CACHE, inline="always")
def binom(n, p):
    """Binomial draw that accepts p outside (0, 1) and n == 0."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    return np.random.binomial(n, p)


@nb.njit(cache=_CACHE)
def multinomial_into(n, weights, m, out):
    """Split ``n`` over the first ``m`` weights into ``out`` (conditional binomials).

    All-zero weights mean a uniform choice, as in Flee.
    """
    total = 0.0
    for i in range(m):
        total += weights[i]
    if total <= 0.0:
        for i in range(m):
            weights[i] = 1.0
        total = float(m)
    rest = n
    for i in range(m):
        if rest == 0:
            out[i] = 0
            continue
        if i == m - 1:
            out[i] = rest
            break
        p = weights[i] / total
        x = binom(rest, p)
        out[i] = x
        rest -= x
        total -= weights[i]
        if total <= 0.0:
            # numerical exhaustion: everyone left goes to the remaining categories uniformly
            total = 0.0
            for j in range(i + 1, m):
                weights[j] = 1.0
                total += 1.0
    return out


@nb.njit(cache=_CACHE, inline="always")
def cap_multiplier(occ, cap, buffer):
    """Flee's CapMult: 1 below ``buffer*cap``, 0 at or above ``cap``, linear in between."""
    if cap < 1.0:
        return 1.0
    if occ <= buffer * cap:
        return 1.0
    if occ >= cap:
        return 0.0
    return 1.0 - (occ - buffer * cap) / (cap * (1.0 - buffer))


@nb.njit(cache=_CACHE)
def _grow(arr, size):
    new = np.zeros(size, dtype=arr.dtype)
    new[: arr.shape[0]] = arr
    return new


@nb.njit(cache=_CACHE)
def _choose(s, movers, occ, is_camp, capacity, fp, ptr, cand_link, cand_next,
            cand_final, cand_w0, plan_link, plan_next, plan_final, state_loc,
            n_loc, w, x, out_link, out_next):
    """Route choice for ``movers`` people leaving stay state ``s``.

    Fills ``out_link``/``out_next``/``x`` with up to m (link, next state, count) groups and
    returns (m, stay, drop): ``stay`` people stay where they are in state ``s``; ``drop`` people
    stay but lose their plan (they move to state ``state_loc[s]``).
    """
    buffer = fp[P_CAPACITY_BUFFER]
    if s >= n_loc:  # planned state: follow the plan
        k = plan_link[s]
        if k < 0:
            return 0, 0, movers  # the link to the next place has closed: plan dropped
        f = plan_final[s]
        if is_camp[f] and cap_multiplier(occ[f], capacity[f], buffer) < 0.5:
            return 0, 0, movers
        out_link[0] = k
        out_next[0] = plan_next[s]
        x[0] = movers
        return 1, 0, 0
    loc = s
    a = ptr[loc]
    b = ptr[loc + 1]
    m = b - a
    if m == 0:
        return 0, movers, 0
    wp = fp[P_WEIGHT_POWER]
    for i in range(m):
        c = a + i
        f = cand_final[c]
        wt = cand_w0[c] * cap_multiplier(occ[f], capacity[f], buffer)
        if wp != 1.0:
            wt = wt**wp
        w[i] = wt
    multinomial_into(movers, w, m, x)
    stay = 0
    j = 0
    for i in range(m):
        if x[i] == 0:
            continue
        c = a + i
        f = cand_final[c]
        if is_camp[f] and cap_multiplier(occ[f], capacity[f], buffer) < 0.5:
            stay += x[i]  # Flee: a route to a (nearly) full camp is abandoned for the day
            continue
        out_link[j] = cand_link[c]
        out_next[j] = cand_next[c]
        x[j] = x[i]
        j += 1
    return j, stay, 0


@nb.njit(cache=_CACHE)
def step_day(loc_n, occ, ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck, mc, score, is_camp,
             capacity, link_len, link_speed, link_walkp, link_src, link_dst, ptr, cand_link,
             cand_next, cand_final, cand_dist, cand_home, plan_link, plan_next, plan_final,
             state_loc, fp, ip, link_arrivals, stats):
    """Advance one day: departures (pass 1), then travel with chained hops (pass 2).

    ``loc_n``, ``occ`` and ``link_arrivals`` are updated in place. Returns the (possibly
    re-allocated) cohort arrays and their new length.
    """
    n_loc = occ.shape[0]
    n_states = loc_n.shape[0]
    max_m = 1
    for loc in range(n_loc):
        if ptr[loc + 1] - ptr[loc] > max_m:
            max_m = ptr[loc + 1] - ptr[loc]
    w = np.zeros(max_m)
    x = np.zeros(max_m, dtype=np.int64)
    out_link = np.zeros(max_m, dtype=np.int64)
    out_next = np.zeros(max_m, dtype=np.int64)
    # Route weights without the capacity factor change only daily: compute them once.
    n_cand = cand_link.shape[0]
    cand_w0 = np.empty(n_cand)
    ws = fp[P_WEIGHT_SOFTENING]
    soft = fp[P_SOFTENING]
    dp = fp[P_DISTANCE_POWER]
    for c in range(n_cand):
        cand_w0[c] = (ws + score[cand_final[c]] * cand_home[c]) / (soft + cand_dist[c]) ** dp
    start_on_foot = ip[I_START_ON_FOOT] != 0
    budget_mode = ip[I_BUDGET_MODE] != 0
    groups = ip[I_GROUPS]
    walk_speed = fp[P_WALK_SPEED]

    # ---- pass 1: people standing at a place decide to leave and choose a route -------------
    # All departures are drawn first, then routes are chosen against the counts after everyone
    # who leaves today has left. Flee processes people one by one in creation order, so its
    # oldest residents (mostly camp populations) free their places before newer arrivals
    # choose; this synchronous rule reproduces that (see docs/model.md).
    leaving = np.zeros((n_states, 2), dtype=np.int64)
    for s in range(n_states):
        p = mc[state_loc[s]]
        for f in range(2):
            n = loc_n[s, f]
            if n == 0:
                continue
            movers = binom(n, p)
            leaving[s, f] = movers
            loc_n[s, f] -= movers
            occ[state_loc[s]] -= movers
    for s in range(n_states):
        loc = state_loc[s]
        for f in range(2):
            movers = leaving[s, f]
            if movers == 0:
                continue
            m, stay, drop = _choose(s, movers, occ, is_camp, capacity, fp, ptr, cand_link,
                                    cand_next, cand_final, cand_w0, plan_link, plan_next,
                                    plan_final, state_loc, n_loc, w, x, out_link, out_next)
            # people who do not leave after all stand where they were (or lose their plan)
            loc_n[s, f] += stay
            loc_n[loc, f] += drop
            occ[loc] += stay + drop
            for i in range(m):
                if n_ck == ck_n.shape[0]:
                    size = 2 * n_ck + 16
                    ck_link = _grow(ck_link, size)
                    ck_prog = _grow(ck_prog, size)
                    ck_state = _grow(ck_state, size)
                    ck_flags = _grow(ck_flags, size)
                    ck_n = _grow(ck_n, size)
                ck_link[n_ck] = out_link[i]
                ck_prog[n_ck] = 0.0
                ck_state[n_ck] = out_next[i]
                ck_flags[n_ck] = FRESH if f == 1 else 0
                ck_n[n_ck] = x[i]
                n_ck += 1

    # ---- pass 2: everyone on a link travels; arrivals may chain further hops ---------------
    # Arrivals: (link, km done before today, state, flags, count, today's speed)
    a_link = np.zeros(16, dtype=np.int64)
    a_prev = np.zeros(16)
    a_state = np.zeros(16, dtype=np.int64)
    a_flags = np.zeros(16, dtype=np.int64)
    a_n = np.zeros(16, dtype=np.int64)
    a_speed = np.zeros(16)
    n_a = 0
    n_old = n_ck
    for c in range(n_old):
        n = ck_n[c]
        if n == 0:
            continue
        ck_n[c] = 0  # whoever stays on the link is re-added below with its new progress
        k = ck_link[c]
        v = link_speed[k]
        if start_on_foot and (ck_flags[c] & FRESH) != 0:
            v = walk_speed
        walkers = binom(n, link_walkp[k])
        for part in range(2):
            cnt = walkers if part == 0 else n - walkers
            if cnt == 0:
                continue
            speed = walk_speed if part == 0 else v
            prog = ck_prog[c] + speed
            if prog > link_len[k]:
                if n_a == a_n.shape[0]:
                    size = 2 * n_a
                    a_link = _grow(a_link, size)
                    a_prev = _grow(a_prev, size)
                    a_state = _grow(a_state, size)
                    a_flags = _grow(a_flags, size)
                    a_n = _grow(a_n, size)
                    a_speed = _grow(a_speed, size)
                a_link[n_a] = k
                a_prev[n_a] = ck_prog[c]
                a_state[n_a] = ck_state[c]
                a_flags[n_a] = ck_flags[c]
                a_n[n_a] = cnt
                a_speed[n_a] = speed
                n_a += 1
            else:
                if n_ck == ck_n.shape[0]:
                    size = 2 * n_ck + 16
                    ck_link = _grow(ck_link, size)
                    ck_prog = _grow(ck_prog, size)
                    ck_state = _grow(ck_state, size)
                    ck_flags = _grow(ck_flags, size)
                    ck_n = _grow(ck_n, size)
                ck_link[n_ck] = k
                ck_prog[n_ck] = prog
                ck_state[n_ck] = ck_state[c]
                ck_flags[n_ck] = ck_flags[c]
                ck_n[n_ck] = cnt
                n_ck += 1

    # Arrivals are handled in `groups` random groups; camp fill is refreshed between groups.
    share = np.zeros(groups, dtype=np.int64)
    gw = np.ones(groups)
    g_n = np.zeros((n_a, groups), dtype=np.int64)
    for i in range(n_a):
        if groups == 1:
            g_n[i, 0] = a_n[i]
        else:
            for g in range(groups):
                gw[g] = 1.0
            multinomial_into(a_n[i], gw, groups, share)
            for g in range(groups):
                g_n[i, g] = share[g]

    # Worklist of chained arrivals: (state, km used today, count)
    wl_state = np.zeros(16, dtype=np.int64)
    wl_used = np.zeros(16)
    wl_n = np.zeros(16, dtype=np.int64)
    nx_state = np.zeros(16, dtype=np.int64)
    nx_used = np.zeros(16)
    nx_n = np.zeros(16, dtype=np.int64)
    for g in range(groups):
        n_wl = 0
        for i in range(n_a):
            cnt = g_n[i, g]
            if cnt == 0:
                continue
            k = a_link[i]
            link_arrivals[k] += cnt
            if (a_flags[i] & DOOMED) != 0:
                src = link_src[k]
                loc_n[src, 0] += cnt
                occ[src] += cnt
                continue
            s = a_state[i]
            loc_n[s, 0] += cnt
            occ[state_loc[s]] += cnt
            used = link_len[k] - a_prev[i]
            if used < a_speed[i]:
                # merge with an identical (state, km used) entry
                found = -1
                for j in range(n_wl):
                    if wl_state[j] == s and wl_used[j] == used:
                        found = j
                        break
                if found >= 0:
                    wl_n[found] += cnt
                else:
                    if n_wl == wl_n.shape[0]:
                        wl_state = _grow(wl_state, 2 * n_wl)
                        wl_used = _grow(wl_used, 2 * n_wl)
                        wl_n = _grow(wl_n, 2 * n_wl)
                    wl_state[n_wl] = s
                    wl_used[n_wl] = used
                    wl_n[n_wl] = cnt
                    n_wl += 1
        # chain rounds
        while n_wl > 0:
            stats[0] += 1
            stats[1] += n_wl
            n_nx = 0
            for j in range(n_wl):
                s = wl_state[j]
                loc = state_loc[s]
                movers = binom(wl_n[j], mc[loc])
                if movers == 0:
                    continue
                u = wl_used[j]
                m, stay, drop = _choose(s, movers, occ, is_camp, capacity, fp, ptr, cand_link,
                                        cand_next, cand_final, cand_w0, plan_link, plan_next,
                                        plan_final, state_loc, n_loc, w, x, out_link, out_next)
                if drop > 0:
                    loc_n[s, 0] -= drop
                    loc_n[loc, 0] += drop
                for i in range(m):
                    cnt = x[i]
                    k = out_link[i]
                    ns = out_next[i]
                    loc_n[s, 0] -= cnt
                    occ[loc] -= cnt
                    walkers = binom(cnt, link_walkp[k])
                    for part in range(2):
                        c2 = walkers if part == 0 else cnt - walkers
                        if c2 == 0:
                            continue
                        speed = walk_speed if part == 0 else link_speed[k]
                        prog = speed - u if budget_mode else speed
                        if prog > link_len[k]:
                            link_arrivals[k] += c2
                            loc_n[ns, 0] += c2
                            occ[state_loc[ns]] += c2
                            u2 = u + link_len[k]
                            if u2 < speed:
                                found = -1
                                for q in range(n_nx):
                                    if nx_state[q] == ns and nx_used[q] == u2:
                                        found = q
                                        break
                                if found >= 0:
                                    nx_n[found] += c2
                                else:
                                    if n_nx == nx_n.shape[0]:
                                        nx_state = _grow(nx_state, 2 * n_nx)
                                        nx_used = _grow(nx_used, 2 * n_nx)
                                        nx_n = _grow(nx_n, 2 * n_nx)
                                    nx_state[n_nx] = ns
                                    nx_used[n_nx] = u2
                                    nx_n[n_nx] = c2
                                    n_nx += 1
                        else:
                            if n_ck == ck_n.shape[0]:
                                size = 2 * n_ck + 16
                                ck_link = _grow(ck_link, size)
                                ck_prog = _grow(ck_prog, size)
                                ck_state = _grow(ck_state, size)
                                ck_flags = _grow(ck_flags, size)
                                ck_n = _grow(ck_n, size)
                            ck_link[n_ck] = k
                            ck_prog[n_ck] = prog
                            ck_state[n_ck] = ns
                            ck_flags[n_ck] = 0
                            ck_n[n_ck] = c2
                            n_ck += 1
            # swap worklists
            if wl_n.shape[0] < nx_n.shape[0]:
                wl_state = np.zeros(nx_n.shape[0], dtype=np.int64)
                wl_used = np.zeros(nx_n.shape[0])
                wl_n = np.zeros(nx_n.shape[0], dtype=np.int64)
            for j in range(n_nx):
                wl_state[j] = nx_state[j]
                wl_used[j] = nx_used[j]
                wl_n[j] = nx_n[j]
            n_wl = n_nx
    return ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck


@nb.njit(cache=_CACHE)
def compact_cohorts(ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck):
    """Drop empty cohorts and merge cohorts with the same key; returns the new length."""
    order = np.argsort(ck_prog[:n_ck], kind="mergesort")
    # stable sorts by each key, least significant first
    order = order[np.argsort(ck_flags[:n_ck][order], kind="mergesort")]
    order = order[np.argsort(ck_state[:n_ck][order], kind="mergesort")]
    order = order[np.argsort(ck_link[:n_ck][order], kind="mergesort")]
    nl = ck_link[order].copy()
    np_ = ck_prog[order].copy()
    ns = ck_state[order].copy()
    nf = ck_flags[order].copy()
    nn = ck_n[order].copy()
    j = -1
    for i in range(n_ck):
        if nn[i] == 0:
            continue
        if (j >= 0 and nl[i] == ck_link[j] and np_[i] == ck_prog[j] and ns[i] == ck_state[j]
                and nf[i] == ck_flags[j]):
            ck_n[j] += nn[i]
            continue
        j += 1
        ck_link[j] = nl[i]
        ck_prog[j] = np_[i]
        ck_state[j] = ns[i]
        ck_flags[j] = nf[i]
        ck_n[j] = nn[i]
    return j + 1


@nb.njit(cache=_CACHE)
def spawn(loc_n, occ, weights, n, flag):
    """Add ``n`` people over locations in proportion to ``weights``; returns counts per place."""
    m = weights.shape[0]
    w = weights.copy()
    out = np.zeros(m, dtype=np.int64)
    multinomial_into(n, w, m, out)
    for i in range(m):
        if out[i] > 0:
            loc_n[i, flag] += out[i]
            occ[i] += out[i]
    return out


@nb.njit(cache=_CACHE)
def remove_at(loc_n, occ, state_loc, prob):
    """Remove people standing at each location with that location's daily probability."""
    removed = 0
    for s in range(loc_n.shape[0]):
        p = prob[state_loc[s]]
        if p <= 0.0:
            continue
        for f in range(2):
            r = binom(loc_n[s, f], p)
            loc_n[s, f] -= r
            occ[state_loc[s]] -= r
            removed += r
    return removed
