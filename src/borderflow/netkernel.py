"""Compiled helpers of `borderflow.network`: path enumeration, state numbering, thresholds.

Called through `borderflow.accel` (ahead-of-time compiled, or Numba's JIT as a fallback).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from borderflow.kconst import EARTH_RADIUS_KM

_NB = {"cache": True}


# -- route tables ---------------------------------------------------------
@nb.njit(**_NB)
def _enumerate_paths(open_ptr, open_link, link_dst, link_len, marker, pair_bit, awareness,
                     width):
    """Every loop-free path of 1..awareness links (markers pass through), per origin.

    Returns (ptr, first link, path places [n, width] padded with -1, path length, km, crossing
    bits). Two passes: count, then fill.
    """
    n = open_ptr.shape[0] - 1
    ptr = np.zeros(n + 1, dtype=np.int64)
    depth_cap = width + 1
    pn = np.zeros(depth_cap, dtype=np.int64)  # places on the path, pn[0] = origin
    it = np.zeros(depth_cap, dtype=np.int64)  # next out-link position at each depth
    d_at = np.zeros(depth_cap)
    st_at = np.zeros(depth_cap, dtype=np.int64)
    m_at = np.zeros(depth_cap, dtype=np.int64)
    f_at = np.zeros(depth_cap, dtype=np.int64)
    first = np.zeros(0, dtype=np.int64)
    path = np.zeros((0, width), dtype=np.int64)
    plen = np.zeros(0, dtype=np.int64)
    dist = np.zeros(0)
    cross = np.zeros(0, dtype=np.int64)
    for fill in range(2):
        if fill == 1:
            total = ptr[n]
            first = np.empty(total, dtype=np.int64)
            path = np.full((total, width), -1, dtype=np.int64)
            plen = np.empty(total, dtype=np.int64)
            dist = np.empty(total)
            cross = np.empty(total, dtype=np.int64)
        c = 0
        for origin in range(n):
            if awareness >= 1:
                depth = 0
                pn[0] = origin
                it[0] = open_ptr[origin]
                d_at[0] = 0.0
                st_at[0] = 1
                m_at[0] = 0
                f_at[0] = -1
                while depth >= 0:
                    node = pn[depth]
                    if it[depth] >= open_ptr[node + 1]:
                        depth -= 1
                        continue
                    k = open_link[it[depth]]
                    it[depth] += 1
                    end = link_dst[k]
                    seen = False
                    for q in range(depth + 1):
                        if pn[q] == end:
                            seen = True
                            break
                    if seen:
                        continue
                    dk = d_at[depth] + link_len[k]
                    step = st_at[depth]
                    mk = m_at[depth] | pair_bit[k]
                    fk = k if depth == 0 else f_at[depth]
                    if not marker[end]:
                        if fill == 1:
                            first[c] = fk
                            for q in range(depth):
                                path[c, q] = pn[q + 1]
                            path[c, depth] = end
                            plen[c] = depth + 1
                            dist[c] = dk
                            cross[c] = mk
                        c += 1
                    else:
                        step -= 1  # markers are pass-through and use no awareness step
                    if awareness > step and depth + 1 < depth_cap:
                        depth += 1
                        pn[depth] = end
                        it[depth] = open_ptr[end]
                        d_at[depth] = dk
                        st_at[depth] = step + 1
                        m_at[depth] = mk
                        f_at[depth] = fk
            if fill == 0:
                ptr[origin + 1] = c
    return ptr, first, path, plen, dist, cross


@nb.njit(**_NB)
def _key_hash(loc, row, start, length, mask):
    h = loc * 1000003 + length
    for q in range(start, start + length):
        h = (h ^ row[q]) * 1099511628211
    h ^= h >> 31
    return h & mask


@nb.njit(**_NB)
def _intern(reg_loc, reg_plan, reg_len, table, n_reg, loc, row, start, length):
    """State id of (loc, row[start:start+length]), numbering it if new; returns (id, n)."""
    if length == 0:
        return loc, n_reg
    mask = table.shape[0] - 1
    h = _key_hash(loc, row, start, length, mask)
    while True:
        e = table[h] - 1
        if e < 0:
            s = n_reg
            reg_loc[s] = loc
            reg_len[s] = length
            for q in range(length):
                reg_plan[s, q] = row[start + q]
            table[h] = s + 1
            return s, n_reg + 1
        if reg_loc[e] == loc and reg_len[e] == length:
            same = True
            for q in range(length):
                if reg_plan[e, q] != row[start + q]:
                    same = False
                    break
            if same:
                return e, n_reg
        h = (h + 1) & mask


@nb.njit(**_NB)
def _rehash(reg_loc, reg_plan, reg_len, table, n_loc, n_reg):
    mask = table.shape[0] - 1
    for s in range(n_loc, n_reg):
        h = _key_hash(reg_loc[s], reg_plan[s], 0, reg_len[s], mask)
        while table[h] != 0:
            h = (h + 1) & mask
        table[h] = s + 1


@nb.njit(**_NB)
def _assign_next(reg_loc, reg_plan, reg_len, table, n_reg, path, plen):
    """For every candidate path, the state on arriving at its first place."""
    n_cand = path.shape[0]
    out = np.empty(n_cand, dtype=np.int64)
    for c in range(n_cand):
        s, n_reg = _intern(reg_loc, reg_plan, reg_len, table, n_reg, path[c, 0], path[c], 1,
                           plen[c] - 1)
        out[c] = s
    return out, n_reg


@nb.njit(**_NB)
def _plan_steps(reg_loc, reg_plan, reg_len, table, n_reg, start, stop, open_ptr, open_link,
                all_ptr, all_link, link_dst, pair_bit):
    """How planned states ``start..stop-1`` continue: open link to the next place (or -1), the
    state on arrival, the final place and the crossing bits of the rest of the plan."""
    m = stop - start
    pl = np.full(m, -1, dtype=np.int64)
    pn = np.empty(m, dtype=np.int64)
    pf = np.empty(m, dtype=np.int64)
    pc = np.zeros(m, dtype=np.int64)
    for i in range(m):
        s = start + i
        loc = reg_loc[s]
        length = reg_len[s]
        nxt = reg_plan[s, 0]
        for j in range(open_ptr[loc], open_ptr[loc + 1]):
            if link_dst[open_link[j]] == nxt:
                pl[i] = open_link[j]
                break
        a = loc
        mask = 0
        for q in range(length):
            b = reg_plan[s, q]
            for j in range(all_ptr[a], all_ptr[a + 1]):
                if link_dst[all_link[j]] == b:
                    mask |= pair_bit[all_link[j]]
                    break
            a = b
        pc[i] = mask
        pf[i] = reg_plan[s, length - 1]
        t, n_reg = _intern(reg_loc, reg_plan, reg_len, table, n_reg, nxt, reg_plan[s], 1,
                           length - 1)
        pn[i] = t
    return pl, pn, pf, pc, n_reg


@nb.njit(**_NB)
def _home_factors(lat, lon, final, origin, power):
    """Stay-close-to-home factor per candidate, with Flee 3.1's distance (see `flee_distance`)."""
    out = np.empty(final.shape[0])
    for c in range(final.shape[0]):
        i = final[c]
        j = origin[c]
        lat1 = math.radians(lon[i])
        lon1 = math.radians(lat[i])
        lat2 = math.radians(lon[j])
        lon2 = math.radians(lat[j])
        dlon = lon2 - lon1
        dlat = lat2 - lat1
        a = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        d = EARTH_RADIUS_KM * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))
        out[c] = 1.0 / max(1.0, d) ** power
    return out


# -- chained-hop thresholds ---------------------------------------------------------------------
@nb.njit(**_NB)
def _rep_table(ptr, val, width):  # pragma: no cover
    """Each u on the grid below ``width`` (at most 65,536) mapped to its interval's lower end,
    in grid units (0 for the first interval)."""
    n_loc = ptr.shape[0] - 1
    rep = np.zeros(n_loc * width, dtype=np.uint16)
    for i in range(n_loc):
        cur = 0
        j = ptr[i]
        for u in range(width):
            while j < ptr[i + 1] and val[j] <= u:
                cur = val[j]
                j += 1
            rep[i * width + u] = cur
    return rep


@nb.njit(**_NB)
def _threshold_sets(n_loc, link_src, link_dst, lens, speeds, walk, width):  # pragma: no cover
    """Fixed point of the threshold recursion on bit sets (bit t: threshold t/scale km)."""
    nw = (width + 63) // 64
    bits = np.zeros((n_loc, nw), dtype=np.uint64)
    one = np.uint64(1)
    for k in range(link_src.shape[0]):
        for v in (walk, speeds[k]):
            t = v - lens[k]
            if 1 <= t < width:
                bits[link_src[k], t // 64] |= one << np.uint64(t % 64)
    changed = True
    while changed:
        changed = False
        for k in range(link_src.shape[0]):
            ln = lens[k]
            if ln >= width:
                continue
            s = link_src[k]
            d = link_dst[k]
            ws = ln // 64
            bs = np.uint64(ln % 64)
            for w in range(nw - ws):
                v = bits[d, w + ws] >> bs
                if bs != 0 and w + ws + 1 < nw:
                    v |= bits[d, w + ws + 1] << (np.uint64(64) - bs)
                if w == 0:
                    v &= ~one  # t = 0: u < 0 never holds
                if v & ~bits[s, w]:
                    bits[s, w] |= v
                    changed = True
    ptr = np.zeros(n_loc + 1, dtype=np.int64)
    total = 0
    for i in range(n_loc):
        for w in range(nw):
            x = bits[i, w]
            while x:
                x &= x - one
                total += 1
        ptr[i + 1] = total
    val = np.empty(total, dtype=np.int64)
    j = 0
    for i in range(n_loc):
        for w in range(nw):
            x = bits[i, w]
            b = 0
            while x:
                if x & one:
                    val[j] = 64 * w + b
                    j += 1
                x >>= one
                b += 1
    return ptr, val


# -- where today's arrivals can reach -------------------------------------------------------------
@nb.njit(**_NB)
def _reach_in(n_loc, link_src, link_dst, link_len, reach):  # pragma: no cover
    """For every place f, the places g with a path g -> f of at most ``reach`` km (f included).

    Returned as CSR: the sources of f are ``src[ptr[f]:ptr[f + 1]]``. Label-correcting search
    backwards from each place, cut at ``reach``.
    """
    n_links = link_src.shape[0]
    rptr = np.zeros(n_loc + 1, dtype=np.int64)
    for k in range(n_links):
        rptr[link_dst[k] + 1] += 1
    for i in range(n_loc):
        rptr[i + 1] += rptr[i]
    rlink = np.empty(n_links, dtype=np.int64)
    fill = rptr[:-1].copy()
    for k in range(n_links):
        rlink[fill[link_dst[k]]] = k
        fill[link_dst[k]] += 1
    dist = np.full(n_loc, np.inf)
    inq = np.zeros(n_loc, dtype=np.bool_)
    queue = np.empty(n_loc, dtype=np.int64)
    seen = np.empty(n_loc, dtype=np.int64)
    ptr = np.zeros(n_loc + 1, dtype=np.int64)
    src = np.empty(max(16, n_loc), dtype=np.int64)
    n_src = 0
    for f in range(n_loc):
        n_seen = 1
        seen[0] = f
        dist[f] = 0.0
        head = 0
        size = 1
        queue[0] = f
        inq[f] = True
        while size > 0:
            v = queue[head]
            head = (head + 1) % n_loc
            size -= 1
            inq[v] = False
            for j in range(rptr[v], rptr[v + 1]):
                k = rlink[j]
                u = link_src[k]
                d = dist[v] + link_len[k]
                if d <= reach and d < dist[u]:
                    if dist[u] == np.inf:
                        seen[n_seen] = u
                        n_seen += 1
                    dist[u] = d
                    if not inq[u]:
                        queue[(head + size) % n_loc] = u
                        size += 1
                        inq[u] = True
        if n_src + n_seen > src.shape[0]:
            grown = np.empty(2 * (n_src + n_seen), dtype=np.int64)
            grown[:n_src] = src[:n_src]
            src = grown
        for i in range(n_seen):
            src[n_src] = seen[i]
            n_src += 1
            dist[seen[i]] = np.inf
        ptr[f + 1] = n_src
    return ptr, src[:n_src].copy()
