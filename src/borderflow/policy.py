"""Policies compiled to per-day arrays the engine reads: the `PolicySchedule`.

`compile_policies` turns a scenario's `Policies` (dates already turned into days) and its
`Network` into arrays indexed by day, link and location: scheduled arrivals per day, turn-back
probabilities and daily capacities of crossings, one-way blocks, exposed places and temperatures,
detention delays, return flights and voluntary return rates; and, for the ``feedback`` section,
which links and places each entry reads and multiplies (`FeedbackMemory` keeps its running
counts during a run). Without a ``policies.yml`` the
schedule is empty and the engine runs Flee's rules alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from borderflow.kconst import EV_ATTEMPTS, EV_ENTRIES
from borderflow.network import Network
from borderflow.scenario.policies import Policies, step_values

LOCAL_ORIGIN = "local"  # people spawned by Flee's rules in conflict zones


@dataclass(frozen=True)
class PolicySchedule:
    """Per-day policy arrays (T days, K directed links, L locations)."""

    origins: tuple[str, ...]
    arrivals: np.ndarray  # int64[T, R]: people entering on each arrival route per day
    arrival_loc: np.ndarray  # int64[R]
    arrival_origin: np.ndarray  # int64[R]
    link_cross: np.ndarray  # int64[K]: border group + 1, 0 = not a crossing
    turnback_prob: np.ndarray  # float[T, K]
    turnback_to: np.ndarray  # int64[K]
    crossing_cap: np.ndarray  # int64[T, K], -1 = unlimited
    block_actions: dict[int, list[tuple[int, bool]]]  # day -> (link, reopen?)
    exposed: np.ndarray  # bool[L]
    temperature: np.ndarray  # float[T], NaN when unknown
    det_loc: np.ndarray  # int64[D]
    det_of_loc: np.ndarray  # int64[L], -1 = not a detention place
    det_pmf: np.ndarray  # float[D, M]: chance of 1..M days
    det_cap: np.ndarray  # int64[D], -1 = unlimited
    det_removal: np.ndarray  # float[D]
    det_prob: np.ndarray  # float[D]: chance that an arrival is held
    flights: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # day -> (loc, seats)
    voluntary_all: np.ndarray | None = None  # float[T, L]
    voluntary_gave_up: np.ndarray | None = None  # float[T, L]
    give_up_after: int | None = None
    give_up_daily: float = 0.0
    groups: tuple[str, ...] = ()
    exposed_days: np.ndarray | None = None  # bool[T, L]
    attractiveness: np.ndarray | None = None  # float[T, L] score multipliers, None = all 1
    # attractiveness entries limited to choices made at some places (`at`): (start, end,
    # bool[L] places multiplied, bool[L] places where the choice is made, factor)
    attractiveness_at: tuple[tuple[int, int, np.ndarray, np.ndarray, float], ...] = ()
    movechance: np.ndarray | None = None  # float[T, L] move chances replacing Flee's, NaN = keep
    feedback_links: np.ndarray | None = None  # float[F, K]: 1 on the entry's crossing links
    feedback_places: np.ndarray | None = None  # bool[F, L]: places whose score it multiplies
    feedback_decay: np.ndarray | None = None  # float[F]: 0.5 ** (1 / half-life)
    feedback_power: np.ndarray | None = None  # float[F]
    feedback_active: np.ndarray | None = None  # bool[T, F]: days on which the factor applies

    @property
    def n_groups(self) -> int:
        """Number of border groups (crossings are grouped, by default by country entered)."""
        return len(self.groups)

    def person_classes(self, track_fresh: bool = True,
                       track_origins: bool = True) -> PersonClasses:
        """The class numbering this schedule needs."""
        possible = bool(self.give_up_after) or self.give_up_daily > 0
        n_origins = len(self.origins) if track_origins else 1
        return PersonClasses(self.n_groups, self.give_up_after, n_origins, possible,
                             track_fresh)


def _link(net: Network, src: str, dst: str) -> int | None:
    a, b = net.index[src], net.index[dst]
    for k in net.out_links[a]:
        if int(net.link_dst[k]) == b:
            return k
    return None


def compile_policies(policies: Policies | None, net: Network, days: int) -> PolicySchedule:
    """Build the `PolicySchedule` for ``days`` days (raises ValueError on unknown links)."""
    L, K, T = net.n_locations, net.n_links, days
    p = policies or Policies()
    origins = (LOCAL_ORIGIN, *[o for o in p.origins if o != LOCAL_ORIGIN])
    R = len(p.arrivals)
    arrivals = np.zeros((T, R), dtype=np.int64)
    arrival_loc = np.zeros(R, dtype=np.int64)
    arrival_origin = np.zeros(R, dtype=np.int64)
    for r, route in enumerate(p.arrivals):
        arrival_loc[r] = net.index[route.to]
        arrival_origin[r] = origins.index(route.origin)
        expected = np.array(step_values(route.seats_per_week, T)) * route.occupancy / 7.0
        if route.end >= 0:
            expected[route.end:] = 0.0
        # deterministic rounding that keeps the running total exact
        cum = np.floor(np.cumsum(expected) + 1e-9).astype(np.int64)
        arrivals[:, r] = np.diff(np.concatenate([[0], cum]))

    link_cross = np.zeros(K, dtype=np.int64)
    groups: list[str] = []
    tb_prob = np.zeros((T, K))
    tb_to = np.zeros(K, dtype=np.int64)
    cap = np.full((T, K), -1, dtype=np.int64)
    for c in p.crossings:
        k = _link(net, c.src, c.dst)
        if k is None:
            raise ValueError(f"crossing {c.src} -> {c.dst}: no such route in routes.csv")
        group = c.group or net.countries[net.country_id[net.index[c.dst]]]
        if group not in groups:
            groups.append(group)
        link_cross[k] = groups.index(group) + 1
        tb_prob[:, k] = step_values(c.turnback_probability, T)
        tb_to[k] = net.index[c.turnback_to]
        if c.capacity_per_day is not None:
            cap[:, k] = np.array(step_values(c.capacity_per_day, T, default=-1.0)).astype(int)

    blocks: dict[int, list[tuple[int, bool]]] = {}
    for b in p.blocks:
        k = _link(net, b.src, b.dst)
        if k is None:
            raise ValueError(f"block {b.src} -> {b.dst}: no such route in routes.csv")
        blocks.setdefault(max(b.start, 0), []).append((k, False))
        if b.end >= 0:
            blocks.setdefault(b.end, []).append((k, True))

    exposed = np.zeros(L, dtype=bool)
    exposed_days = np.zeros((T, L), dtype=bool)
    for z in p.exposed:
        i = net.index[z.location]
        exposed[i] = True
        exposed_days[max(z.start, 0):(T if z.end < 0 else min(z.end, T)), i] = True
    temperature = (np.array(step_values(p.temperature, T, default=math.nan))
                   if p.temperature else np.full(T, math.nan))

    D = len(p.detentions)
    M = max((len(d.delay_pmf) for d in p.detentions), default=1)
    det_loc = np.zeros(D, dtype=np.int64)
    det_of_loc = np.full(L, -1, dtype=np.int64)
    det_pmf = np.zeros((D, M))
    det_cap = np.full(D, -1, dtype=np.int64)
    det_removal = np.zeros(D)
    det_prob = np.ones(D)
    for i, d in enumerate(p.detentions):
        det_loc[i] = net.index[d.location]
        det_of_loc[det_loc[i]] = i
        det_pmf[i, : len(d.delay_pmf)] = d.delay_pmf
        det_cap[i] = -1 if d.capacity is None else d.capacity
        det_removal[i] = d.removal_probability
        det_prob[i] = d.probability

    flights: dict[int, list[tuple[int, int]]] = {}
    for f in p.return_flights:
        if 0 <= f.day < T:
            flights.setdefault(f.day, []).append((net.index[f.location], f.seats))
    vol_all = np.zeros((T, L))
    vol_gave_up = np.zeros((T, L))
    for v in p.voluntary_returns:
        end = T if v.end < 0 else min(v.end, T)
        target = vol_gave_up if v.only_gave_up else vol_all
        target[max(v.start, 0):end, net.index[v.location]] = v.rate
    attract = None
    attract_at = []
    if p.attractiveness:
        countries = np.array([net.countries[i] for i in net.country_id], dtype=object)
        for a in p.attractiveness:
            mask = np.zeros(L, dtype=bool)
            if a.country is not None:
                mask |= countries == a.country
            for name in a.locations:
                mask[net.index[name]] = True
            end = T if a.end < 0 else min(a.end, T)
            if a.at:
                at = np.zeros(L, dtype=bool)
                at[[net.index[name] for name in a.at]] = True
                attract_at.append((max(a.start, 0), end, mask, at, float(a.factor)))
                continue
            if attract is None:
                attract = np.ones((T, L))
            attract[max(a.start, 0):end, mask] *= a.factor
    movechance = None
    if p.movechance:
        movechance = np.full((T, L), np.nan)
        for m in p.movechance:
            end = T if m.end < 0 else min(m.end, T)
            for name in m.locations:
                movechance[max(m.start, 0):end, net.index[name]] = m.value
    fb: dict[str, np.ndarray] = {}
    if p.feedback:
        F = len(p.feedback)
        fb = {"feedback_links": np.zeros((F, K)), "feedback_places": np.zeros((F, L), bool),
              "feedback_decay": np.zeros(F), "feedback_power": np.zeros(F),
              "feedback_active": np.zeros((T, F), bool)}
        for f, e in enumerate(p.feedback):
            for g in e.groups:
                if g not in groups:
                    raise ValueError(f"feedback: no crossing in group {g!r}")
                fb["feedback_links"][f, link_cross == groups.index(g) + 1] = 1.0
            for name in e.places:
                fb["feedback_places"][f, net.index[name]] = True
            fb["feedback_decay"][f] = 0.5 ** (1.0 / e.half_life_days)
            fb["feedback_power"][f] = e.power
            fb["feedback_active"][max(e.start, 0):(T if e.end < 0 else min(e.end, T)), f] = True
    return PolicySchedule(
        **fb,
        attractiveness=attract, attractiveness_at=tuple(attract_at), movechance=movechance,
        origins=origins, arrivals=arrivals, arrival_loc=arrival_loc,
        arrival_origin=arrival_origin, link_cross=link_cross, turnback_prob=tb_prob,
        turnback_to=tb_to, crossing_cap=cap, block_actions=blocks, exposed=exposed,
        temperature=temperature, det_loc=det_loc, det_of_loc=det_of_loc, det_pmf=det_pmf,
        det_cap=det_cap, det_removal=det_removal, det_prob=det_prob, flights=flights,
        voluntary_all=vol_all,
        voluntary_gave_up=vol_gave_up, give_up_after=p.give_up_after,
        give_up_daily=(1.0 / p.give_up_after_days) if p.give_up_after_days else 0.0,
        groups=tuple(groups), exposed_days=exposed_days,
    )


FEEDBACK_PRIOR = 1.0  # attempts that got through, never fading: the memory's "no news" start


class FeedbackMemory:
    """Running, exponentially weighted attempts and entries of each ``feedback`` entry.

    On day t the memory holds, per entry, ``A = Σ_{s<t} d^(t-1-s) attempts_s`` and the same sum
    ``E`` of entries over the entry's crossing links (``d = 0.5 ** (1 / half-life)``): today's
    events count from tomorrow on, so the day's order stays causal. The factor on the listed
    places' scores is ``((E + 1) / (A + 1)) ** power`` on the entry's active days, 1 otherwise:
    one attempt that got through, which never fades, stands for "no news": without it a border
    whose first attempts were all turned back would keep the factor 0 for ever (nobody would go
    there again, so its memory could never change). Arrays only: the cost is F × K a day.
    """

    def __init__(self, schedule: PolicySchedule) -> None:
        self.s = schedule
        F = 0 if schedule.feedback_links is None else schedule.feedback_links.shape[0]
        self.attempts = np.zeros(F)
        self.entries = np.zeros(F)
        self.through = 0  # events of days < through are in the sums

    def catch_up(self, link_events: np.ndarray, day: int) -> None:
        """Add the events of every day before ``day`` not yet counted (``link_events[t, e, k]``)."""
        s = self.s
        if s.feedback_links is None:
            return
        while self.through < day:
            ev = link_events[self.through]
            self.attempts = s.feedback_decay * self.attempts + s.feedback_links @ ev[EV_ATTEMPTS]
            self.entries = s.feedback_decay * self.entries + s.feedback_links @ ev[EV_ENTRIES]
            self.through += 1

    def success(self) -> np.ndarray:
        """Weighted share of attempts that got through, per entry, with one never-fading
        successful attempt added (1 without attempts; back towards 1 as the news fades)."""
        return (self.entries + FEEDBACK_PRIOR) / (self.attempts + FEEDBACK_PRIOR)

    def factors(self, day: int) -> np.ndarray:
        """Per entry: today's factor on its places' scores (1 on inactive days)."""
        s = self.s
        assert s.feedback_power is not None and s.feedback_active is not None
        f = self.success() ** s.feedback_power
        return np.where(s.feedback_active[day], f, 1.0)

    def score_factors(self, day: int, n_locations: int) -> np.ndarray:
        """Per location: the product of today's factors of the entries listing it."""
        out = np.ones(n_locations)
        assert self.s.feedback_places is not None
        for f, factor in enumerate(self.factors(day)):
            if factor != 1.0:
                out[self.s.feedback_places[f]] *= factor
        return out


@dataclass(frozen=True)
class PersonClasses:
    """Numbering of person classes: the attributes that rules read, as a second count axis.

    A class is (first journey pending ``f``, attempts ``a`` at the border group ``g`` last tried,
    groups given up on ``m`` as a bit mask, origin ``o``). With ``give_up_after = K`` a person
    turned back a K-th time at a group gives up on it (``m |= bit(g)``) and may try another;
    without it, ``a`` only says "has tried" (0 or 1). Without crossings there is one attempt
    state and no groups, so Flee's scenarios use just the two classes ``f = 0, 1``.
    """

    n_groups: int
    give_up_after: int | None
    n_origins: int
    give_up_possible: bool = False
    track_fresh: bool = True  # only start_on_foot reads "first journey pending"

    @cached_property
    def _combos(self) -> list[tuple[int, int, int, int, int]]:
        G = self.n_groups
        top = (self.give_up_after - 1) if self.give_up_after else 1
        attempt_states = [(0, 0)] + [(a, g) for g in range(G) for a in range(1, top + 1)]
        masks = range(1 << G) if (self.give_up_possible and G) else [0]
        fresh = (0, 1) if self.track_fresh else (0,)
        return [(f, a, g, m, o) for o in range(self.n_origins) for m in masks
                for (a, g) in attempt_states for f in fresh]

    @property
    def n(self) -> int:
        """Number of classes."""
        return len(self._combos)

    def index(self, fresh: int, attempts: int, origin: int, group: int = 0,
              mask: int = 0) -> int:
        """Class number of a combination."""
        fresh = fresh if self.track_fresh else 0
        return self._lookup[(fresh, attempts, group if attempts else 0, mask, origin)]

    @cached_property
    def _lookup(self) -> dict[tuple[int, int, int, int, int], int]:
        return {combo: i for i, combo in enumerate(self._combos)}

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-class lookup arrays used by the kernel and the engine."""
        combos = self._combos
        look = self._lookup
        n, G = len(combos), self.n_groups
        full = (1 << G) - 1
        top = (self.give_up_after - 1) if self.give_up_after else 1
        out = {
            "fresh": np.zeros(n, dtype=np.bool_), "attempts": np.zeros(n, dtype=np.int64),
            "origin": np.zeros(n, dtype=np.int64), "travelled": np.zeros(n, dtype=np.int64),
            "avoid": np.zeros(n, dtype=np.int64), "gave_up": np.zeros(n, dtype=np.bool_),
            "tried": np.zeros(n, dtype=np.bool_), "give_up_target": np.arange(n),
            "turnback": np.zeros((n, max(G, 1)), dtype=np.int64),
        }
        for c, (f, a, g, m, o) in enumerate(combos):
            out["fresh"][c] = bool(f)
            out["attempts"][c] = a
            out["origin"][c] = o
            out["travelled"][c] = look[(0, a, g, m, o)]
            out["avoid"][c] = m
            out["gave_up"][c] = G > 0 and m == full
            out["tried"][c] = a > 0 or m != 0
            if a > 0 and self.give_up_possible:
                out["give_up_target"][c] = look[(0, 0, 0, m | (1 << g), o)]
            for grp in range(G):
                a2 = a + 1 if (g == grp and a > 0) else 1
                if self.give_up_after and a2 >= self.give_up_after:
                    out["turnback"][c, grp] = look[(0, 0, 0, m | (1 << grp), o)]
                else:
                    out["turnback"][c, grp] = look[(0, min(a2, top), grp, m, o)]
        return out
