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
changes, never per person or per day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from borderflow.params import Settings
from borderflow.scenario.model import Scenario

EARTH_RADIUS_KM = 6373.0


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


@dataclass
class StateRegistry:
    """Numbers the stay states: state ``i < L`` is "at location i with no plan"."""

    n_locations: int
    plans: dict[tuple[int, tuple[int, ...]], int] = field(default_factory=dict)
    state_loc: list[int] = field(default_factory=list)
    state_plan: list[tuple[int, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state_loc = list(range(self.n_locations))
        self.state_plan = [()] * self.n_locations

    def state(self, loc: int, plan: tuple[int, ...]) -> int:
        """The state id of standing at ``loc`` still to follow ``plan``."""
        if not plan:
            return loc
        key = (loc, plan)
        sid = self.plans.get(key)
        if sid is None:
            sid = len(self.state_loc)
            self.plans[key] = sid
            self.state_loc.append(loc)
            self.state_plan.append(plan)
        return sid

    @property
    def n_states(self) -> int:
        """Number of states numbered so far."""
        return len(self.state_loc)


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


def build_route_table(net: Network, link_open: np.ndarray, registry: StateRegistry,
                      settings: Settings, link_cross: np.ndarray | None = None) -> RouteTable:
    """Enumerate candidate paths for the current set of open links (see module docstring)."""
    mv = settings.move
    awareness = mv.awareness_level
    if awareness == -1:  # Flee 3.1 treats -1 exactly like 1
        awareness = 1
    n = net.n_locations
    out_open = [[k for k in net.out_links[i] if link_open[k]] for i in range(n)]
    ptr = np.zeros(n + 1, dtype=np.int64)
    c_link: list[int] = []
    c_next: list[int] = []
    c_final: list[int] = []
    c_dist: list[float] = []
    c_home: list[float] = []
    c_cross: list[int] = []
    marker = net.type_marker
    crossing_bit: dict[tuple[int, int], int] = {}
    if link_cross is not None:  # link_cross[k] = crossing group + 1, 0 = not a crossing
        crossing_bit = {(int(net.link_src[k]), int(net.link_dst[k])): 1 << (int(link_cross[k]) - 1)
                        for k in np.flatnonzero(link_cross)}

    def crosses(path: tuple[int, ...]) -> int:
        mask = 0
        for i in range(len(path) - 1):
            mask |= crossing_bit.get((path[i], path[i + 1]), 0)
        return mask

    for origin in range(n):
        if awareness >= 1:
            # Depth-first like Flee: (link, prior km, path so far incl. origin, step, first link)
            stack: list[tuple[int, float, tuple[int, ...], int, int]] = [
                (k, 0.0, (origin,), 1, k) for k in reversed(out_open[origin])
            ]
            found: list[tuple[tuple[int, ...], float, int]] = []
            while stack:
                k, prior, path, step, first = stack.pop()
                end = int(net.link_dst[k])
                dist = prior + float(net.link_length[k])
                if not marker[end]:
                    found.append((path[1:] + (end,), dist, first))
                else:
                    step -= 1  # markers are pass-through and use no awareness step
                if awareness > step:
                    new_path = path + (end,)
                    for k2 in reversed(out_open[end]):
                        if int(net.link_dst[k2]) not in new_path:
                            stack.append((k2, dist, new_path, step + 1, first))
            # Flee orders candidates depth-first; the order does not change the distribution.
            for route, dist, first_link in found:
                c_link.append(first_link)
                c_next.append(registry.state(route[0], route[1:]))
                c_final.append(route[-1])
                c_dist.append(dist)
                c_cross.append(crosses((origin, *route)))
                if mv.stay_close_to_home:
                    d = flee_distance(net, route[-1], origin)
                    c_home.append(1.0 / max(1.0, d) ** mv.home_distance_power)
                else:
                    c_home.append(1.0)
        ptr[origin + 1] = len(c_link)

    # Planned states: follow the plan if the link to its next place is open. Registering the
    # state after the next hop may number new (shorter) plans, so loop until none are new.
    plan_link = [-1] * n
    plan_next = [-1] * n
    plan_final = [-1] * n
    plan_cross = [0] * n
    s = n
    while s < registry.n_states:
        loc, plan = registry.state_loc[s], registry.state_plan[s]
        plan_link.append(next((k for k in out_open[loc] if int(net.link_dst[k]) == plan[0]), -1))
        plan_next.append(registry.state(plan[0], plan[1:]))
        plan_final.append(plan[-1])
        plan_cross.append(crosses((loc, *plan)))
        s += 1
    return RouteTable(
        ptr=ptr,
        cand_link=np.array(c_link, dtype=np.int64),
        cand_next=np.array(c_next, dtype=np.int64),
        cand_final=np.array(c_final, dtype=np.int64),
        cand_dist=np.array(c_dist, dtype=np.float64),
        cand_home=np.array(c_home, dtype=np.float64),
        cand_cross=np.array(c_cross, dtype=np.int64),
        plan_link=np.array(plan_link, dtype=np.int64),
        plan_next=np.array(plan_next, dtype=np.int64),
        plan_final=np.array(plan_final, dtype=np.int64),
        plan_cross=np.array(plan_cross, dtype=np.int64),
        state_loc=np.array(registry.state_loc, dtype=np.int64),
    )

