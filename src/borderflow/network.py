"""The scenario's geography as arrays, and the route tables people choose from.

`Network` maps location names to indices and holds per-location and per-link attributes as
NumPy arrays. Each undirected route of ``routes.csv`` becomes two directed links, ``2*i``
(name1→name2) and ``2*i + 1`` (name2→name1).

`RouteTable` enumerates, for every location, the loop-free paths a person can choose from with
a given awareness level and set of open links (Flee's ``selectRoute``: every prefix of length
1…awareness is a candidate, markers are pass-through and never a destination). It also numbers
the *stay states*: a person standing at a location either has no plan (state = location index) or
still holds the rest of a multi-hop path; each such (location, remaining path) is its own state, so
people with the same plan are counted together. Tables are rebuilt only when the set of open links
changes, never per person or per day. Paths are enumerated and states numbered in compiled code
(about a second for 10,000 places at awareness level 3, some 700,000 paths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from borderflow import accel
from borderflow.kconst import EARTH_RADIUS_KM
from borderflow.params import Settings
from borderflow.scenario.model import Scenario

_k = accel.kernels  # the compiled kernels (ahead of time, or Numba's JIT)


@dataclass(frozen=True)
class Network:
    """Locations and directed links of a scenario, compiled to arrays."""

    names: tuple[str, ...]
    index: dict[str, int]
    countries: tuple[str, ...]
    country_id: np.ndarray  # int64[L]
    lat: np.ndarray
    lon: np.ndarray
    type_camp: np.ndarray  # bool[L]: camp at start (type contains "camp", or movechance < 0.005)
    type_idpcamp: np.ndarray
    type_conflict: np.ndarray  # bool[L]: conflict zone at start
    type_town: np.ndarray
    type_forward: np.ndarray
    type_marker: np.ndarray
    conflict_intensity: np.ndarray  # float[L]: intensity a location has when it is a conflict zone
    foreign: np.ndarray  # bool[L]
    pop: np.ndarray  # int64[L]: population (0 for camps)
    capacity: np.ndarray  # float64[L]: camp capacity, -1 when unlimited / not a camp
    deactivation_probability: np.ndarray  # float[L]: daily removal chance in camps (sinks)
    link_src: np.ndarray  # int64[K]
    link_dst: np.ndarray  # int64[K]
    link_length: np.ndarray  # float64[K]
    link_speed: np.ndarray  # float64[K]: km/day unless walking
    link_walk_probability: np.ndarray  # float64[K]
    out_links: tuple[tuple[int, ...], ...]  # per location, directed link ids in file order

    @property
    def n_locations(self) -> int:
        """Number of locations."""
        return len(self.names)

    @property
    def n_links(self) -> int:
        """Number of directed links."""
        return int(self.link_src.shape[0])

    def link_name(self, k: int) -> str:
        """``"A->B"`` for directed link k."""
        return f"{self.names[self.link_src[k]]}->{self.names[self.link_dst[k]]}"


def _float_attr(attrs: dict[str, str] | object, key: str, default: float) -> float:
    value = attrs.get(key, "") if isinstance(attrs, dict) else ""
    if value is None or str(value).strip() == "":
        return default
    return float(value)


def compile_network(scenario: Scenario, settings: Settings | None = None) -> Network:
    """Turn a loaded scenario into arrays, applying ``hasten`` and ``capacity_scaling``."""
    settings = settings or scenario.settings
    mv = settings.move
    locs = scenario.locations
    names = tuple(loc.name for loc in locs)
    index = {name: i for i, name in enumerate(names)}
    home_country = locs[0].country if locs and locs[0].country else "unknown"
    countries: list[str] = []
    country_id = np.zeros(len(locs), dtype=np.int64)
    n = len(locs)
    type_camp = np.zeros(n, bool)
    type_idp = np.zeros(n, bool)
    type_conflict = np.zeros(n, bool)
    type_town = np.zeros(n, bool)
    type_forward = np.zeros(n, bool)
    type_marker = np.zeros(n, bool)
    intensity = np.ones(n)
    foreign = np.zeros(n, bool)
    pop = np.zeros(n, dtype=np.int64)
    capacity = np.full(n, -1.0)
    deact = np.zeros(n)
    for i, loc in enumerate(locs):
        country = loc.country or "unknown"
        if country not in countries:
            countries.append(country)
        country_id[i] = countries.index(country)
        foreign[i] = country != home_country
        attrs = dict(loc.attributes)
        intensity[i] = _float_attr(attrs, "conflict_intensity", 1.0)
        deact[i] = _float_attr(attrs, "deactivation_probability", 0.0)
        kind = loc.location_type.lower()
        value = loc.population // settings.hasten
        # Flee: a conflict_zone row whose conflict_date is > 0 starts as a town.
        if "conflict" in kind and loc.conflict_date is not None and loc.conflict_date > 0:
            kind = "town"
        if "camp" in kind:
            type_camp[i] = True
            type_idp[i] = "idp" in kind
            cap = value * mv.capacity_scaling
            capacity[i] = cap if value > 0 else -1.0
        else:
            pop[i] = value
            if "conflict" in kind:
                type_conflict[i] = True
            elif "forward" in kind:
                type_forward[i] = True
            elif "marker" in kind:
                type_marker[i] = True
            else:
                type_town[i] = True
            # Flee turns any non-camp with a move chance below 0.005 into a camp.
            if _base_movechance(type_conflict[i], type_forward[i], type_marker[i], False,
                                False, mv) < 0.005:
                type_camp[i] = True
                type_town[i] = False
    n_routes = len(scenario.routes)
    src = np.zeros(2 * n_routes, dtype=np.int64)
    dst = np.zeros(2 * n_routes, dtype=np.int64)
    length = np.zeros(2 * n_routes)
    speed = np.zeros(2 * n_routes)
    walk = np.zeros(2 * n_routes)
    out: list[list[int]] = [[] for _ in range(n)]
    for r, route in enumerate(scenario.routes):
        a, b = index[route.name1], index[route.name2]
        attrs = dict(route.attributes)
        v = _float_attr(attrs, "max_move_speed", mv.max_move_speed)
        wp = _float_attr(attrs, "walk_probability", 0.0)
        for k, (s, d) in ((2 * r, (a, b)), (2 * r + 1, (b, a))):
            src[k], dst[k], length[k], speed[k], walk[k] = s, d, route.distance, v, wp
            out[s].append(k)
    return Network(
        names=names, index=index, countries=tuple(countries), country_id=country_id,
        lat=np.array([loc.lat for loc in locs], dtype=float),
        lon=np.array([loc.lon for loc in locs], dtype=float),
        type_camp=type_camp, type_idpcamp=type_idp, type_conflict=type_conflict,
        type_town=type_town, type_forward=type_forward, type_marker=type_marker,
        conflict_intensity=intensity, foreign=foreign, pop=pop, capacity=capacity,
        deactivation_probability=deact, link_src=src, link_dst=dst, link_length=length,
        link_speed=speed, link_walk_probability=walk, out_links=tuple(tuple(o) for o in out),
    )


def _base_movechance(conflict: bool, forward: bool, marker: bool, camp: bool, idp: bool,
                     mv) -> float:
    if camp:
        return mv.idpcamp_movechance if idp else mv.camp_movechance
    if conflict:
        return mv.conflict_movechance
    if forward or marker:
        return 1.0
    return mv.default_movechance


def flee_distance(net: Network, i: int, j: int) -> float:
    """Great-circle km between two locations as Flee 3.1 computes it (lat and lon swapped)."""
    # Flee stores latitude in x and longitude in y, then reads x as longitude: we do the same
    # so that stay_close_to_home gives Flee's numbers (documented in docs/model.md).
    lat1, lon1 = math.radians(net.lon[i]), math.radians(net.lat[i])
    lat2, lon2 = math.radians(net.lon[j]), math.radians(net.lat[j])
    dlon, dlat = lon2 - lon1, lat2 - lat1
    a = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return EARTH_RADIUS_KM * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


class StateRegistry:
    """Numbers the stay states: state ``i < L`` is "at location i with no plan".

    Planned states (a location plus the rest of a path) get the next free number when first
    seen and keep it for the whole run, so count arrays indexed by state stay valid when route
    tables are rebuilt. Stored as arrays with an open-addressing table over the keys, so tables
    of hundreds of thousands of paths are numbered in compiled code.
    """

    def __init__(self, n_locations: int, width: int = 1) -> None:
        self.n_locations = n_locations
        cap = max(16, 2 * n_locations)
        self._loc = np.full(cap, -1, dtype=np.int64)
        self._loc[:n_locations] = np.arange(n_locations)
        self._plan = np.full((cap, max(width, 1)), -1, dtype=np.int64)
        self._len = np.zeros(cap, dtype=np.int64)
        self._table = np.zeros(_table_size(cap), dtype=np.int64)
        self._n = n_locations

    @property
    def n_states(self) -> int:
        """Number of states numbered so far."""
        return self._n

    @property
    def width(self) -> int:
        """Longest plan the arrays can hold."""
        return int(self._plan.shape[1])

    @property
    def state_loc(self) -> np.ndarray:
        """Location of every state (int64 array)."""
        return self._loc[: self._n]

    @property
    def state_plan(self) -> list[tuple[int, ...]]:
        """The rest of the path of every state (empty for plain locations)."""
        return [tuple(int(v) for v in self._plan[s, : self._len[s]]) for s in range(self._n)]

    def ensure_width(self, width: int) -> None:
        """Make room for plans of ``width`` places."""
        if width > self._plan.shape[1]:
            grown = np.full((self._plan.shape[0], width), -1, dtype=np.int64)
            grown[:, : self._plan.shape[1]] = self._plan
            self._plan = grown

    def state(self, loc: int, plan: tuple[int, ...]) -> int:
        """The state id of standing at ``loc`` still to follow ``plan``."""
        if not plan:
            return loc
        self.ensure_width(len(plan))
        row = np.full(self._plan.shape[1], -1, dtype=np.int64)
        row[: len(plan)] = plan
        self._reserve(self._n + 1)
        sid, self._n = _k()._intern(self._loc, self._plan, self._len, self._table, self._n, loc,
                                    row, 0, len(plan))
        return int(sid)

    def _reserve(self, need: int) -> None:
        """Room for ``need`` states (the key table stays at most half full)."""
        cap = self._loc.shape[0]
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        loc = np.full(cap, -1, dtype=np.int64)
        loc[: self._n] = self._loc[: self._n]
        plan = np.full((cap, self._plan.shape[1]), -1, dtype=np.int64)
        plan[: self._n] = self._plan[: self._n]
        length = np.zeros(cap, dtype=np.int64)
        length[: self._n] = self._len[: self._n]
        self._loc, self._plan, self._len = loc, plan, length
        self._table = np.zeros(_table_size(cap), dtype=np.int64)
        _k()._rehash(self._loc, self._plan, self._len, self._table, self.n_locations, self._n)


def _table_size(cap: int) -> int:
    size = 16
    while size < 2 * cap:
        size *= 2
    return size


@dataclass(frozen=True)
class RouteTable:
    """Route candidates per location (CSR) and how planned states continue.

    For location ``l`` the candidates are ``cand_*[ptr[l]:ptr[l+1]]``: the first directed link,
    the state a person is in on arriving at that link's end, the final destination and the
    summed km of the whole path. For a planned state ``s`` (``s >= L``), ``plan_link[s]`` is the
    open link towards the next place of the plan (-1 if none: the plan is dropped),
    ``plan_next[s]`` the state on arrival and ``plan_final[s]`` the plan's destination.
    ``cand_home`` holds the stay-close-to-home factor of each candidate (1.0 when off);
    ``cand_cross`` / ``plan_cross`` hold, as bits, the border-crossing groups a candidate path /
    the rest of a plan crosses into (people who gave up on a group avoid those).
    """

    ptr: np.ndarray
    cand_link: np.ndarray
    cand_next: np.ndarray
    cand_final: np.ndarray
    cand_dist: np.ndarray
    cand_home: np.ndarray
    cand_cross: np.ndarray
    plan_link: np.ndarray
    plan_next: np.ndarray
    plan_final: np.ndarray
    plan_cross: np.ndarray
    state_loc: np.ndarray


def _csr(lists: list[list[int]] | tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = np.fromiter((k for x in lists for k in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, flat


def build_route_table(net: Network, link_open: np.ndarray, registry: StateRegistry,
                      settings: Settings, link_cross: np.ndarray | None = None) -> RouteTable:
    """Enumerate candidate paths for the current set of open links (see module docstring).

    Paths are enumerated depth-first in compiled code, in the order Flee's ``selectRoute``
    finds them (links in file order), once per set of open links.
    """
    mv = settings.move
    awareness = mv.awareness_level
    if awareness == -1:  # Flee 3.1 treats -1 exactly like 1
        awareness = 1
    n = net.n_locations
    all_ptr, all_link = _csr(net.out_links)
    is_open = np.asarray(link_open, dtype=np.bool_)[all_link]
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(all_ptr))
    open_ptr = np.zeros(n + 1, dtype=np.int64)
    open_ptr[1:] = np.cumsum(np.bincount(owner[is_open], minlength=n))
    open_link = all_link[is_open]
    # crossing bits belong to (from, to) pairs: every link between the same two places has them
    pair_bit = np.zeros(net.n_links, dtype=np.int64)
    if link_cross is not None and np.any(link_cross):
        bits: dict[tuple[int, int], int] = {}
        for k in np.flatnonzero(link_cross):
            bits[(int(net.link_src[k]), int(net.link_dst[k]))] = 1 << (int(link_cross[k]) - 1)
        for k in range(net.n_links):
            pair_bit[k] = bits.get((int(net.link_src[k]), int(net.link_dst[k])), 0)
    marker = np.asarray(net.type_marker, dtype=np.bool_)
    width = max(1, awareness + int(marker.sum()))
    registry.ensure_width(width)

    ptr, first, path, plen, dist, cross = _k()._enumerate_paths(
        open_ptr, open_link, net.link_dst, net.link_length, marker, pair_bit, awareness, width)
    n_cand = first.shape[0]
    # number the states of the rest of every path, then of the rest of every plan (which may
    # number shorter plans still: the loop runs until no new state appears)
    registry._reserve(registry.n_states + n_cand + 16)
    cand_next, registry._n = _k()._assign_next(registry._loc, registry._plan, registry._len,
                                               registry._table, registry._n, path, plen)
    plan_link = np.full(n, -1, dtype=np.int64)
    plan_next = np.full(n, -1, dtype=np.int64)
    plan_final = np.full(n, -1, dtype=np.int64)
    plan_cross = np.zeros(n, dtype=np.int64)
    s = n
    while s < registry.n_states:
        registry._reserve(2 * registry.n_states + 16)
        stop = registry.n_states
        pl, pn, pf, pc, registry._n = _k()._plan_steps(
            registry._loc, registry._plan, registry._len, registry._table, registry._n, s,
            stop, open_ptr, open_link, all_ptr, all_link, net.link_dst, pair_bit)
        plan_link = np.concatenate([plan_link, pl])
        plan_next = np.concatenate([plan_next, pn])
        plan_final = np.concatenate([plan_final, pf])
        plan_cross = np.concatenate([plan_cross, pc])
        s = stop
    cand_final = np.where(plen > 0, path[np.arange(n_cand), np.maximum(plen - 1, 0)], -1)
    if mv.stay_close_to_home and n_cand:
        origin = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
        cand_home = _k()._home_factors(net.lat, net.lon, cand_final, origin,
                                       float(mv.home_distance_power))
    else:
        cand_home = np.ones(n_cand)
    return RouteTable(
        ptr=ptr, cand_link=first, cand_next=cand_next, cand_final=cand_final.astype(np.int64),
        cand_dist=dist, cand_home=cand_home, cand_cross=cross, plan_link=plan_link,
        plan_next=plan_next, plan_final=plan_final, plan_cross=plan_cross,
        state_loc=registry.state_loc.copy(),
    )


# -- chained-hop thresholds ---------------------------------------------------------------------
_CHAIN_SCALES = (1, 10, 100, 1000)
_CHAIN_MAX_BITS = 200_000_000  # 25 MB of bit sets at most; beyond it km used stay exact keys
_CHAIN_MAX_TABLE = 8_000_000  # 16 MB lookup table at most; beyond it a binary search


@dataclass(frozen=True)
class ChainThresholds:
    """Where the km already used today can change what a person does later today.

    In Flee's rule (each hop credited a full day's speed) a person who arrives somewhere having
    used ``u`` km today may hop on along link ``k`` at speed ``v`` (walking or driving) and, on
    arriving, hop again only if ``u + length(k) < v``. So ``u`` matters only through
    comparisons ``u < t`` with ``t`` in a finite set of *thresholds* per place: ``v − length(k)``
    for each link leaving it, and ``t' − length(k)`` for each threshold ``t'`` of the place the
    link leads to. Two groups at the same place and class whose ``u`` lie between the same two
    thresholds do the same thing in every future step, so the kernel merges them (exactly; the
    equivalence carries over to every later place). Lengths and speeds are handled as integers
    in units of ``1/scale`` km; ``scale == 0`` means the thresholds are not used (budget mode,
    lengths that are not multiples of 0.001 km, or too many places) and ``u`` stays the key.
    """

    scale: int
    ptr: np.ndarray  # int64[L + 1]: thresholds of place i are val[ptr[i]:ptr[i + 1]]
    val: np.ndarray  # int64[T]: ascending, in units of 1/scale km, all >= 1
    # uint16[L * width]: u = j/scale km at place i is represented by rep[i * width + j] / scale,
    # its interval's lower end (u beyond the table: the last entry). Two bytes an entry, so that
    # the table stays in cache; empty when it would be too big or width is over 2^16.
    rep: np.ndarray

    @property
    def n(self) -> int:
        """Number of thresholds over all places."""
        return int(self.val.shape[0])


def no_chain_thresholds(n_loc: int) -> ChainThresholds:
    """Thresholds switched off: the kernel keys chained groups on the exact km used."""
    return ChainThresholds(0, np.zeros(n_loc + 1, dtype=np.int64), np.zeros(0, dtype=np.int64),
                           np.zeros(0, dtype=np.uint16))


def chain_thresholds(net: Network, walk_speed: float) -> ChainThresholds:
    """The thresholds of every place (see `ChainThresholds`), or none when they do not apply."""
    n_loc = len(net.names)
    values = np.concatenate([net.link_length, net.link_speed, [walk_speed]])
    if n_loc == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        return no_chain_thresholds(n_loc)
    for scale in _CHAIN_SCALES:
        scaled = values * scale
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, scaled)):
            break
    else:
        return no_chain_thresholds(n_loc)
    lens = np.round(net.link_length * scale).astype(np.int64)
    speeds = np.round(net.link_speed * scale).astype(np.int64)
    walk = round(walk_speed * scale)
    width = int(max(walk, int(speeds.max()) if speeds.size else 0)) + 1
    if n_loc * width > _CHAIN_MAX_BITS:
        return no_chain_thresholds(n_loc)
    ptr, val = _k()._threshold_sets(n_loc, net.link_src, net.link_dst, lens, speeds, walk, width)
    small = n_loc * width <= _CHAIN_MAX_TABLE and width <= 2**16
    rep = _k()._rep_table(ptr, val, width) if small else np.zeros(0, dtype=np.uint16)
    return ChainThresholds(scale, ptr, val, rep)


def arrival_reach(net: Network, walk_speed: float) -> tuple[np.ndarray, np.ndarray]:
    """For every place, the places from which people can arrive there within a day (CSR).

    Someone who arrived at g today hops on only while the km used today are below a speed, and
    each hop covers at most a day's speed, so every place they reach today lies within
    ``2 * top speed`` km of g along links (``top speed``: the fastest link or walking). The kernel
    bounds how much a place can fill today by the arrivals at those places. A closed link only
    removes paths, so one table built from every link serves every day.
    """
    n_loc = len(net.names)
    top = max(float(walk_speed), float(np.max(net.link_speed, initial=0.0)))
    if n_loc == 0 or not math.isfinite(top) or not np.all(np.isfinite(net.link_length)):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _k()._reach_in(n_loc, net.link_src, net.link_dst,
                          np.asarray(net.link_length, dtype=np.float64), 2.0 * top)

