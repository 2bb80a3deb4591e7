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

The functions here are pure array code compiled with Numba: no I/O, no globals. Random numbers
come from Numba's generator, which the engine seeds every day from the run's own generator.
"""

from __future__ import annotations

import numba as nb
import numpy as np

DOOMED = 1  # cohort flag bit: on a link that closed while they were on it (back to its start)

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

# Rows of the daily event array ``ev[row, link]``.
EV_ATTEMPTS = 0
EV_ENTRIES = 1
EV_TURNBACKS = 2
EV_ARRIVALS = 3
N_EVENTS = 4

_CACHE = True


@nb.njit(cache=_CACHE)
def seed(value: int) -> None:
    """Seed Numba's generator (one per process)."""
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
    """Split ``n`` over the first ``m`` categories into ``out`` (conditional binomials).

    Negative weights mark categories that cannot be chosen. If no eligible category has a
    positive weight the choice is uniform over the eligible ones (as in Flee); if none is
    eligible nothing is assigned and the function returns False.
    """
    total = 0.0
    eligible = 0
    for i in range(m):
        out[i] = 0
        if weights[i] >= 0.0:
            eligible += 1
            total += weights[i]
    if eligible == 0:
        return False
    if total <= 0.0:
        for i in range(m):
            if weights[i] >= 0.0:
                weights[i] = 1.0
        total = float(eligible)
    rest = n
    last = -1
    for i in range(m):
        if weights[i] > 0.0:
            last = i
    for i in range(m):
        if rest == 0:
            break
        if weights[i] <= 0.0:
            continue
        if i == last:
            out[i] = rest
            rest = 0
            break
        x = binom(rest, weights[i] / total)
        out[i] = x
        rest -= x
        total -= weights[i]
        if total <= 0.0:
            out[last] += rest
            rest = 0
    return True


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


@nb.njit(cache=_CACHE, inline="always")
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


@nb.njit(cache=_CACHE)
def add_people(loc_n, occ, flag, act, state_loc, s, c, x):
    """Add ``x`` people of class ``c`` in state ``s`` (and to its place's count)."""
    if x > 0:
        _add(loc_n, flag, act, s, c, x)
        occ[state_loc[s]] += x


@nb.njit(cache=_CACHE)
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


@nb.njit(cache=_CACHE)
def stranded_by_location(loc_n, act, state_loc, tried, out):
    """People of classes with ``tried`` standing at each place, into ``out``."""
    for i in range(act[0]):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        if tried[c]:
            out[state_loc[s]] += loc_n[s, c]


@nb.njit(cache=_CACHE)
def _choose(s, movers, avoid, occ, is_camp, capacity, buffer, wp, ptr, cand_link, cand_next,
            cand_final, cand_w0, cand_cross, plan_link, plan_next, plan_final, plan_cross,
            n_loc, w, x, out_link, out_next):
    """Route choice for ``movers`` people leaving stay state ``s``.

    Fills ``out_link``/``out_next``/``x`` with m (link, next state, count) groups and returns
    (m, stay, drop): ``stay`` people stay in state ``s``; ``drop`` stay but lose their plan.
    ``avoid`` is a bit mask of border groups these people gave up on: they never choose a
    route that crosses into one of them (``cand_cross`` holds each route's groups as bits).
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
    for i in range(m):
        c = a + i
        if (avoid & cand_cross[c]) != 0:
            w[i] = -1.0
            continue
        f = cand_final[c]
        wt = cand_w0[c] * cap_multiplier(occ[f], capacity[f], buffer)
        if wp != 1.0:
            wt = wt**wp
        w[i] = wt
    if not multinomial_into(movers, w, m, x):
        return 0, movers, 0
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
def _set_out(k, c, x, s, loc_n, flag, act, occ, state_loc, link_cross, tb_prob, tb_to,
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
    tb = binom(go, tb_prob[k])
    ev[EV_ATTEMPTS, k] += go
    ev[EV_TURNBACKS, k] += tb
    ev[EV_ENTRIES, k] += go - tb
    if tb > 0:
        dest = tb_to[k]
        _add(loc_n, flag, act, dest, cls_turnback[c, link_cross[k] - 1], tb)
        occ[dest] += tb
    return go - tb


@nb.njit(cache=_CACHE)
def _admit(ns, c, cnt, loc_n, flag, act, occ, state_loc, det_of_loc, hold, det_pmf, det_cdf,
           det_cap, det_prob, det_held, hold_base, wbuf, sbuf):
    """``cnt`` people of class ``c`` arrive in state ``ns``; returns how many are free to go on.

    At a detention place each arrival is held with probability ``det_prob`` (up to its
    capacity) for a number of days drawn from its distribution; ``hold[d, slot, c]`` is a ring
    of release days.
    """
    loc = state_loc[ns]
    occ[loc] += cnt
    d = det_of_loc[loc]
    if d < 0:
        _add(loc_n, flag, act, ns, c, cnt)
        return cnt
    admitted = binom(cnt, det_prob[d])
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
        n_delay = det_pmf.shape[1]
        ring = hold.shape[1]
        if admitted <= 16:
            # few people, many possible delays: one categorical draw each is cheaper than a
            # multinomial over every delay (both are exact)
            for _ in range(admitted):
                u = np.random.random()
                j = np.searchsorted(det_cdf[d], u, side="right")
                if j >= n_delay:
                    j = n_delay - 1
                while det_pmf[d, j] <= 0.0 and j > 0:  # never land on an impossible delay
                    j -= 1
                hold[d, (hold_base + j + 1) % ring, c] += 1
        else:
            for j in range(n_delay):
                wbuf[j] = det_pmf[d, j]
            multinomial_into(admitted, wbuf, n_delay, sbuf)
            for j in range(n_delay):
                if sbuf[j] > 0:
                    hold[d, (hold_base + j + 1) % ring, c] += sbuf[j]
        det_held[d] += admitted
    return free


@nb.njit(cache=_CACHE)
def step_day(loc_n, occ, ck_link, ck_prog, ck_state, ck_flags, ck_n, n_ck, mc, score, is_camp,
             capacity, link_len, link_speed, link_walkp, link_src, link_cross, tb_prob, tb_to,
             cap_left, ptr, cand_link, cand_next, cand_final, cand_dist, cand_home, cand_cross,
             plan_link, plan_next, plan_final, plan_cross, state_loc, cls_fresh,
             cls_travelled, cls_turnback, cls_avoid, det_of_loc, hold, det_pmf, det_cap,
             det_prob, det_held, hold_base, flag, act, fp, ip, ev, stats):
    """Advance one day: departures (pass 1), then travel with chained hops (pass 2).

    State arrays and ``ev`` (today's events per link) are updated in place. Returns the
    (possibly re-allocated) cohort arrays and their new length.
    """
    n_loc = occ.shape[0]
    max_m = 1
    for loc in range(n_loc):
        if ptr[loc + 1] - ptr[loc] > max_m:
            max_m = ptr[loc + 1] - ptr[loc]
    w = np.zeros(max_m)
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
    buffer = fp[P_CAPACITY_BUFFER]
    wp = fp[P_WEIGHT_POWER]

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
        movers = binom(n, p)
        leaving[i] = movers
        loc_n[s, c] -= movers
        occ[state_loc[s]] -= movers
    for i in range(n_act0):
        movers = leaving[i]
        if movers == 0:
            continue
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        loc = state_loc[s]
        m, stay, drop = _choose(s, movers, cls_avoid[c], occ, is_camp, capacity, buffer,
                                wp, ptr, cand_link, cand_next, cand_final, cand_w0,
                                cand_cross, plan_link, plan_next, plan_final, plan_cross,
                                n_loc, w, x, out_link, out_next)
        # people who do not leave after all stand where they were (or lose their plan)
        loc_n[s, c] += stay
        if drop > 0:
            _add(loc_n, flag, act, loc, c, drop)
        occ[loc] += stay + drop
        for j in range(m):
            go = _set_out(out_link[j], c, x[j], s, loc_n, flag, act, occ, state_loc,
                          link_cross, tb_prob, tb_to, cap_left, ev, cls_turnback)
            if go == 0:
                continue
            if n_ck == ck_n.shape[0]:
                size = 2 * n_ck + 16
                ck_link = _grow(ck_link, size)
                ck_prog = _grow(ck_prog, size)
                ck_state = _grow(ck_state, size)
                ck_flags = _grow(ck_flags, size)
                ck_n = _grow(ck_n, size)
            ck_link[n_ck] = out_link[j]
            ck_prog[n_ck] = 0.0
            ck_state[n_ck] = out_next[j]
            ck_flags[n_ck] = c << 1
            ck_n[n_ck] = go
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
    for i in range(n_old):
        n = ck_n[i]
        if n == 0:
            continue
        ck_n[i] = 0  # whoever stays on the link is re-added below with its new progress
        k = ck_link[i]
        v = link_speed[k]
        if start_on_foot and cls_fresh[ck_flags[i] >> 1]:
            v = walk_speed
        walkers = binom(n, link_walkp[k])
        for part in range(2):
            cnt = walkers if part == 0 else n - walkers
            if cnt == 0:
                continue
            speed = walk_speed if part == 0 else v
            prog = ck_prog[i] + speed
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
                a_prev[n_a] = ck_prog[i]
                a_state[n_a] = ck_state[i]
                a_flags[n_a] = ck_flags[i]
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
                ck_state[n_ck] = ck_state[i]
                ck_flags[n_ck] = ck_flags[i]
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

    # Worklist of chained arrivals: (state, class, km used today, count)
    wl_state = np.zeros(16, dtype=np.int64)
    wl_cls = np.zeros(16, dtype=np.int64)
    wl_used = np.zeros(16)
    wl_n = np.zeros(16, dtype=np.int64)
    nx_state = np.zeros(16, dtype=np.int64)
    nx_cls = np.zeros(16, dtype=np.int64)
    nx_used = np.zeros(16)
    nx_n = np.zeros(16, dtype=np.int64)
    for g in range(groups):
        n_wl = 0
        for i in range(n_a):
            cnt = g_n[i, g]
            if cnt == 0:
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
            free = _admit(s, c, cnt, loc_n, flag, act, occ, state_loc, det_of_loc, hold,
                          det_pmf, det_cdf, det_cap, det_prob, det_held, hold_base, wbuf, sbuf)
            used = link_len[k] - a_prev[i]
            if free > 0 and used < a_speed[i]:
                found = -1
                for j in range(n_wl):
                    if wl_state[j] == s and wl_cls[j] == c and wl_used[j] == used:
                        found = j
                        break
                if found >= 0:
                    wl_n[found] += free
                else:
                    if n_wl == wl_n.shape[0]:
                        wl_state = _grow(wl_state, 2 * n_wl)
                        wl_cls = _grow(wl_cls, 2 * n_wl)
                        wl_used = _grow(wl_used, 2 * n_wl)
                        wl_n = _grow(wl_n, 2 * n_wl)
                    wl_state[n_wl] = s
                    wl_cls[n_wl] = c
                    wl_used[n_wl] = used
                    wl_n[n_wl] = free
                    n_wl += 1
        # chain rounds
        while n_wl > 0:
            stats[0] += 1
            stats[1] += n_wl
            n_nx = 0
            for j in range(n_wl):
                s = wl_state[j]
                c = wl_cls[j]
                loc = state_loc[s]
                movers = binom(wl_n[j], mc[loc])
                if movers == 0:
                    continue
                loc_n[s, c] -= movers
                occ[loc] -= movers
                u = wl_used[j]
                m, stay, drop = _choose(s, movers, cls_avoid[c], occ, is_camp, capacity,
                                        buffer, wp, ptr, cand_link, cand_next, cand_final,
                                        cand_w0, cand_cross, plan_link, plan_next, plan_final,
                                        plan_cross, n_loc, w, x, out_link, out_next)
                loc_n[s, c] += stay
                if drop > 0:
                    _add(loc_n, flag, act, loc, c, drop)
                occ[loc] += stay + drop
                for i in range(m):
                    k = out_link[i]
                    ns = out_next[i]
                    cnt = _set_out(k, c, x[i], s, loc_n, flag, act, occ, state_loc, link_cross,
                                   tb_prob, tb_to, cap_left, ev, cls_turnback)
                    if cnt == 0:
                        continue
                    walkers = binom(cnt, link_walkp[k])
                    for part in range(2):
                        c2 = walkers if part == 0 else cnt - walkers
                        if c2 == 0:
                            continue
                        speed = walk_speed if part == 0 else link_speed[k]
                        prog = speed - u if budget_mode else speed
                        if prog > link_len[k]:
                            ev[EV_ARRIVALS, k] += c2
                            free = _admit(ns, c, c2, loc_n, flag, act, occ, state_loc,
                                          det_of_loc, hold, det_pmf, det_cdf, det_cap,
                                          det_prob, det_held, hold_base, wbuf, sbuf)
                            u2 = u + link_len[k]
                            if free > 0 and u2 < speed:
                                found = -1
                                for q in range(n_nx):
                                    if nx_state[q] == ns and nx_cls[q] == c and nx_used[q] == u2:
                                        found = q
                                        break
                                if found >= 0:
                                    nx_n[found] += free
                                else:
                                    if n_nx == nx_n.shape[0]:
                                        nx_state = _grow(nx_state, 2 * n_nx)
                                        nx_cls = _grow(nx_cls, 2 * n_nx)
                                        nx_used = _grow(nx_used, 2 * n_nx)
                                        nx_n = _grow(nx_n, 2 * n_nx)
                                    nx_state[n_nx] = ns
                                    nx_cls[n_nx] = c
                                    nx_used[n_nx] = u2
                                    nx_n[n_nx] = free
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
                            ck_flags[n_ck] = c << 1
                            ck_n[n_ck] = c2
                            n_ck += 1
            # swap worklists
            if wl_n.shape[0] < nx_n.shape[0]:
                wl_state = np.zeros(nx_n.shape[0], dtype=np.int64)
                wl_cls = np.zeros(nx_n.shape[0], dtype=np.int64)
                wl_used = np.zeros(nx_n.shape[0])
                wl_n = np.zeros(nx_n.shape[0], dtype=np.int64)
            for j in range(n_nx):
                wl_state[j] = nx_state[j]
                wl_cls[j] = nx_cls[j]
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
def spawn(loc_n, occ, flag, act, weights, n, cls):
    """Add ``n`` people of class ``cls`` over locations in proportion to ``weights``."""
    m = weights.shape[0]
    w = weights.copy()
    out = np.zeros(m, dtype=np.int64)
    multinomial_into(n, w, m, out)
    for i in range(m):
        if out[i] > 0:
            _add(loc_n, flag, act, i, cls, out[i])
            occ[i] += out[i]
    return out


@nb.njit(cache=_CACHE)
def remove_at(loc_n, occ, act, state_loc, prob, cls_ok, removed_loc, removed_cls):
    """Remove people (of classes with ``cls_ok``) standing at each place with its daily chance."""
    total = 0
    for i in range(act[0]):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        loc = state_loc[s]
        p = prob[loc]
        if p <= 0.0 or not cls_ok[c]:
            continue
        r = binom(loc_n[s, c], p)
        if r == 0:
            continue
        loc_n[s, c] -= r
        occ[loc] -= r
        removed_loc[loc] += r
        removed_cls[c] += r
        total += r
    return total


@nb.njit(cache=_CACHE)
def remove_up_to(loc_n, occ, act, state_loc, loc, n, priority, removed_loc, removed_cls):
    """Remove up to ``n`` people standing at ``loc``: classes with priority 1 first, then 0.

    Within a priority level the seats are shared in proportion to the counts (sequential
    hypergeometric draws).
    """
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
            r = take if rest <= 0 else np.random.hypergeometric(here, rest, take)
            pool -= here
            take -= r
            left -= r
            loc_n[s, c] -= r
            occ[loc] -= r
            removed_loc[loc] += r
            removed_cls[c] += r
    return n - left


@nb.njit(cache=_CACHE)
def move_class(loc_n, flag, act, prob, cls_from, cls_to):
    """Move people of each class ``c`` with ``cls_from[c]`` to ``cls_to[c]`` with a daily chance."""
    moved = 0
    n_act = act[0]
    for i in range(n_act):
        s = act[1 + 2 * i]
        c = act[2 + 2 * i]
        if not cls_from[c] or loc_n[s, c] == 0:
            continue
        r = binom(loc_n[s, c], prob)
        if r == 0:
            continue
        loc_n[s, c] -= r
        _add(loc_n, flag, act, s, cls_to[c], r)
        moved += r
    return moved


@nb.njit(cache=_CACHE)
def release_detention(loc_n, occ, flag, act, hold, det_loc, det_held, slot, removal_prob,
                      removed_loc, removed_cls):
    """Release everyone whose detention ends today; some are removed (deported)."""
    for d in range(hold.shape[0]):
        loc = det_loc[d]
        for c in range(hold.shape[2]):
            n = hold[d, slot, c]
            if n == 0:
                continue
            hold[d, slot, c] = 0
            det_held[d] -= n
            r = binom(n, removal_prob[d])
            if n - r > 0:
                _add(loc_n, flag, act, loc, c, n - r)
            occ[loc] -= r
            removed_loc[loc] += r
            removed_cls[c] += r
