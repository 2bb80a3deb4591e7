"""`Simulation`: owns the state and the random generator of one run and follows the daily order.

Daily order (Flee 3.1's, extended by our policies; see docs/model.md), for day t = 0, 1, …:

0. Before day 0: camps are filled with the day-0 observed counts (``insert_day0``).
1. Conflicts: zones start (or end) as ``conflicts.csv`` says for day t.
2. Spawning: today's new people (observed daily difference minus refugee debt, or the
   conflict-driven rule) appear in conflict zones, in proportion to population × intensity ×
   spawn decay; scheduled arrivals (policies) enter at their places.
3. Closures and blocks: links, locations, borders and camps close or reopen if day t is their
   start or end; people whose detention ends today are released (or removed).
4. Attractiveness of every place and move chances for day t; places listed under ``feedback``
   are weighted by the recent success rate at their border (from yesterday's and earlier
   attempts and entries, exponentially weighted; `borderflow.policy.FeedbackMemory`).
5. Departures: people standing at a place leave with its move chance and pick a route (one
   binomial and one multinomial per group of interchangeable people). A route to a camp at ≥ 95 %
   of capacity is abandoned for the day. On a border crossing each traversal is an attempt, turned
   back with the day's probability.
6. Travel: everyone on a link moves a day's distance; arrivals that used less than a day's
   distance may leave again at once (chained hops), in random groups between which camp fill is
   refreshed. Arrivals at a detention place are held.
7. Removals (camps as sinks, return flights, voluntary returns), giving up after days, then the
   day's populations and events are recorded.

People are conserved: spawned − removed = present, checked every day.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from borderflow import accel, kconst
from borderflow.network import (
    Network,
    StateRegistry,
    arrival_reach,
    build_route_table,
    chain_thresholds,
    compile_network,
    no_chain_thresholds,
)
from borderflow.params import Settings
from borderflow.policy import FeedbackMemory, PolicySchedule, compile_policies
from borderflow.results import Events, Results, atomic_write
from borderflow.scenario.model import Scenario
from borderflow.scenario.series import spawn_schedule

_k = accel.kernels  # the compiled kernels (ahead of time, or Numba's JIT)

CHECKPOINT_VERSION = 1


class SimulationError(RuntimeError):
    """A run cannot continue (e.g. more people to spawn than the conflict zones hold)."""


def _closure_actions(scenario: Scenario, net: Network, settings: Settings):
    """Per day: (link actions, camp actions) derived from closures.csv, in file order."""
    link_actions: dict[int, list[tuple[int, bool]]] = {}
    camp_actions: dict[int, list[tuple[int, bool, bool]]] = {}  # (loc, make_camp, idp)
    src_c = [net.countries[i] for i in net.country_id[net.link_src]]
    dst_c = [net.countries[i] for i in net.country_id[net.link_dst]]
    for c in scenario.closures:
        kind = c.closure_type
        days = [(c.start, False)]
        if c.end >= 0:
            days.append((c.end, True))
        if kind == "country":
            a, b = c.name1, c.name2
            links = [k for k in range(net.n_links) if (src_c[k], dst_c[k]) in ((a, b), (b, a))]
        elif kind == "location":
            i = net.index[c.name1]
            links = [k for k in range(net.n_links)
                     if net.link_src[k] == i or net.link_dst[k] == i]
        elif kind == "link":
            i, j = net.index[c.name1], net.index[c.name2]
            links = [k for k in range(net.n_links)
                     if net.link_src[k] == j and net.link_dst[k] == i]
            if settings.engine.link_closure == "both":
                links += [k for k in range(net.n_links)
                          if net.link_src[k] == i and net.link_dst[k] == j]
        elif kind in ("camp", "idpcamp"):
            i = net.index[c.name1]
            for day, reopen in days:
                camp_actions.setdefault(day, []).append((i, reopen, kind == "idpcamp"))
            continue
        else:  # remove_forced_redirection: forced redirection is unused in routing (as Flee)
            continue
        for day, reopen in days:
            link_actions.setdefault(day, []).extend((k, reopen) for k in links)
    return link_actions, camp_actions


@dataclass
class _State:
    """Everything that changes during a run (and what a checkpoint stores)."""

    day: int
    camp: np.ndarray
    idp: np.ndarray
    town: np.ndarray
    conflict: np.ndarray
    toc: np.ndarray
    base_mc: np.ndarray
    pop: np.ndarray
    link_open: np.ndarray
    loc_n: np.ndarray
    occ: np.ndarray
    flag: np.ndarray  # uint8[states, classes]: (state, class) is in the active list
    act: np.ndarray  # int64[1 + 2 * states * classes]: the active list (see borderflow.kernel._add)
    ck: list[np.ndarray]
    n_ck: int
    hold: np.ndarray
    det_held: np.ndarray
    total_spawned: int
    total_removed: int
    initial: int


class Simulation:
    """One seeded run of a scenario.

    >>> sim = Simulation(scenario, seed=1)
    >>> results = sim.run()
    """

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 settings: Settings | None = None, days: int | None = None) -> None:
        self.scenario = scenario
        self.settings = settings or scenario.settings
        self.days = scenario.length if days is None else int(days)
        if self.days < 0:
            raise ValueError("days must be >= 0")
        if scenario.observed is not None and self.days > len(scenario.observed.total):
            raise SimulationError(
                f"{self.days} days requested but the scenario's period covers "
                f"{len(scenario.observed.total)} (raise Length in its period file)")
        seq = np.random.SeedSequence(seed)
        self.seed = seed if seed is not None else int(seq.entropy)  # type: ignore[arg-type]
        self.network = compile_network(scenario, self.settings)
        try:
            self.policy: PolicySchedule = compile_policies(scenario.policies, self.network,
                                                           self.days)
        except ValueError as exc:
            raise SimulationError(str(exc)) from None
        self.track_origins = self.settings.engine.track_origins
        # Merge chained-hop groups whose km used today have the same future (exact; see
        # `borderflow.network.ChainThresholds`). Not used with the budget rule.
        self.chain = (no_chain_thresholds(len(self.network.names))
                      if self.settings.engine.chained_hop_credit == "budget"
                      else chain_thresholds(self.network, self.settings.move.max_walk_speed))
        # where today's arrivals can get to: bounds which camps can fill up today (kernel)
        self.reach = arrival_reach(self.network, self.settings.move.max_walk_speed)
        self.classes = self.policy.person_classes(self.settings.move.start_on_foot,
                                                  self.track_origins)
        self.cls = self.classes.arrays()
        # "stranded" counts people who were turned back at least once and stand on the side
        # they came from (a country that some crossing leaves), not those already across
        src_countries = {int(self.network.country_id[self.network.link_src[k]])
                         for k in np.flatnonzero(self.policy.link_cross)}
        self.near_side = np.isin(self.network.country_id, list(src_countries))
        # Numba's generator is reseeded every day from these, so a run's state at the end of
        # any day is enough to resume it with identical output.
        rng = np.random.Generator(np.random.PCG64(seq))
        self.day_seeds = rng.integers(0, 2**32 - 1, size=max(self.days, 1), dtype=np.uint64)
        self.stats = np.zeros(4, dtype=np.int64)  # chain rounds, chained groups (diagnostics)
        # the factors the feedback section applied, per day and entry (diagnostics and tests)
        n_fb = 0 if self.policy.feedback_links is None else self.policy.feedback_links.shape[0]
        self.feedback_factors = np.ones((self.days, n_fb))

    # -- set-up --------------------------------------------------------------------------------
    def _new_state(self) -> _State:
        net, mv = self.network, self.settings.move
        L = net.n_locations
        camp = net.type_camp.copy()
        idp = net.type_idpcamp.copy()
        base_mc = np.empty(L)
        for i in range(L):
            if camp[i] and not net.type_conflict[i]:
                base_mc[i] = mv.idpcamp_movechance if idp[i] else mv.camp_movechance
            elif net.type_conflict[i]:
                base_mc[i] = mv.conflict_movechance
            elif net.type_forward[i] or net.type_marker[i]:
                base_mc[i] = 1.0
            else:
                base_mc[i] = mv.default_movechance
        pol = self.policy
        ring = pol.det_pmf.shape[1] + 1
        return _State(
            day=0, camp=camp, idp=idp, town=net.type_town.copy(),
            conflict=np.where(net.type_conflict, net.conflict_intensity, -1.0),
            toc=np.full(L, -1.0), base_mc=base_mc, pop=net.pop.astype(np.int64).copy(),
            link_open=np.ones(net.n_links, dtype=bool),
            loc_n=np.zeros((L, self.classes.n), dtype=np.int64),
            occ=np.zeros(L, dtype=np.int64),
            flag=np.zeros((L, self.classes.n), dtype=np.uint8),
            act=np.zeros(1 + 2 * L * self.classes.n, dtype=np.int64),
            ck=[np.zeros(64, dtype=np.int64), np.zeros(64), np.zeros(64, dtype=np.int64),
                np.zeros(64, dtype=np.int64), np.zeros(64, dtype=np.int64)],
            n_ck=0,
            hold=np.zeros((len(pol.det_loc), ring, self.classes.n), dtype=np.int64),
            det_held=np.zeros(len(pol.det_loc), dtype=np.int64),
            total_spawned=0, total_removed=0, initial=0,
        )

    def _decay(self, t: int, toc: np.ndarray) -> np.ndarray:
        decay = self.settings.spawn.conflict_spawn_decay
        if not decay:
            return np.ones(len(toc))
        interval = self.settings.spawn.conflict_spawn_decay_interval
        idx = np.clip(((t - toc) / interval).astype(int), 0, len(decay) - 1)
        return np.asarray(decay, dtype=float)[idx]

    # -- the run -------------------------------------------------------------------------------
    def run(self, progress: Callable[[int, int], None] | None = None, *,
            checkpoint: str | Path | None = None, checkpoint_every: int = 0,
            resume: bool = False) -> Results:
        """Run all days and return the `Results`.

        ``progress(day, days)`` is called daily. With ``checkpoint`` and ``checkpoint_every``
        the state is saved (atomically) every that many days; with ``resume`` a run continues
        from the checkpoint file and gives output identical to an uninterrupted run.
        """
        sc, st, net, pol = self.scenario, self.settings, self.network, self.policy
        mv, sp = st.move, st.spawn
        L, K, T = net.n_locations, net.n_links, self.days
        cls = self.cls

        registry = StateRegistry(L)
        origins = pol.origins if self.track_origins else ("all",)
        rec = Events.empty(T, L, K, len(origins))
        if resume and checkpoint is not None and Path(checkpoint).is_file():
            state = self._load_checkpoint(Path(checkpoint), registry, rec)
        else:
            state = self._new_state()
            self._insert_day0(state)
        table = build_route_table(net, state.link_open, registry, st, pol.link_cross)
        _fit_states(state, registry.n_states)

        fp = np.zeros(kconst.N_FPARAMS)
        fp[kconst.P_WEIGHT_SOFTENING] = mv.weight_softening
        fp[kconst.P_SOFTENING] = mv.softening
        fp[kconst.P_DISTANCE_POWER] = mv.distance_power
        fp[kconst.P_WEIGHT_POWER] = mv.weight_power
        fp[kconst.P_WALK_SPEED] = mv.max_walk_speed
        fp[kconst.P_CAPACITY_BUFFER] = mv.capacity_buffer
        fp[kconst.P_CHAIN_SCALE] = self.chain.scale
        ip = np.zeros(kconst.N_IPARAMS, dtype=np.int64)
        ip[kconst.I_START_ON_FOOT] = int(mv.start_on_foot)
        ip[kconst.I_BUDGET_MODE] = int(st.engine.chained_hop_credit == "budget")
        ip[kconst.I_GROUPS] = st.engine.capacity_rounds
        # Flee 3.1: awareness 0 returns a route Flee cannot follow, so nobody ever moves.
        frozen = mv.awareness_level == 0

        link_actions, camp_actions = _closure_actions(sc, net, st)
        # A link is open when closures.csv leaves it open and no policy block is in force:
        # the two are kept apart so that a closure ending (e.g. a location opening) does not
        # lift a block of one of its links. Both are schedules, so on resume they are replayed.
        closure_open = np.ones(K, dtype=bool)
        n_blocks = np.zeros(K, dtype=np.int64)
        for t in range(state.day):
            _apply_link_actions(closure_open, n_blocks, link_actions.get(t, ()),
                                pol.block_actions.get(t, ()))
        obs = sc.observed
        conflict_cols = [net.index[n] for n in sc.conflicts.names] if sc.conflicts else []
        conflict_vals = sc.conflicts.values if sc.conflicts is not None else np.zeros((0, 0))
        if obs is not None and not sp.conflict_driven_spawning:
            schedule, debts = spawn_schedule(obs.new_displaced[:T])
        else:
            schedule = debts = np.zeros(T, dtype=np.int64)
        spawn_cls = self.classes.index(1 if mv.start_on_foot else 0, 0, 0)
        arrival_cls = [self.classes.index(0, 0, int(o) if self.track_origins else 0)
                       for o in pol.arrival_origin]
        all_cls = np.ones(self.classes.n, dtype=np.bool_)
        gave_up_cls = cls["gave_up"]
        attempting = cls["attempts"] >= 1
        priority = gave_up_cls.astype(np.int64)
        ring = state.hold.shape[1]
        capacity = net.capacity
        memory = FeedbackMemory(pol)  # rebuilt from the recorded events when resuming

        for t in range(state.day, T):
            _k().seed(int(self.day_seeds[t]))
            removed_loc = rec.removed[t]
            removed_cls = np.zeros(self.classes.n, dtype=np.int64)

            # 1. conflicts (only the columns whose value changed since yesterday)
            if t < conflict_vals.shape[0]:
                changed_cols = (np.arange(conflict_vals.shape[1]) if t == 0 else
                                np.flatnonzero(conflict_vals[t] != conflict_vals[t - 1]))
                for c in changed_cols.tolist():
                    i = conflict_cols[c]
                    v = float(conflict_vals[t, c])
                    prev = float(conflict_vals[t - 1, c]) if t > 0 else 0.0
                    if v > 1e-6 and (t == 0 or prev < 1e-6):
                        state.base_mc[i] = mv.conflict_movechance
                        state.conflict[i] = v
                        state.town[i] = False
                        state.toc[i] = t
                    elif v < 1e-6 and t > 0 and prev == 1.0:
                        state.base_mc[i] = mv.default_movechance
                        state.conflict[i] = -1.0
                        state.town[i] = True

            # 2. spawning and scheduled arrivals
            decay = self._decay(t, state.toc)
            new = self._spawn(state, t, schedule, decay, spawn_cls)
            rec.debt[t] = int(debts[t])
            for r, loc in enumerate(pol.arrival_loc):
                n_in = int(pol.arrivals[t, r])
                if n_in:
                    _k().add_people(state.loc_n, state.occ, state.flag, state.act,
                                    table.state_loc, loc, arrival_cls[r], n_in)
                    rec.arrivals_by_origin[t, pol.arrival_origin[r] if self.track_origins
                                           else 0] += n_in
                    new += n_in
            rec.spawned[t] = new
            state.total_spawned += new

            # 3. closures, blocks and detention releases
            changed = False
            acts, blk = link_actions.get(t, ()), pol.block_actions.get(t, ())
            if acts or blk:
                _apply_link_actions(closure_open, n_blocks, acts, blk)
                now_open = closure_open & (n_blocks == 0)
                for k in np.flatnonzero(now_open != state.link_open).tolist():
                    state.link_open[k] = now_open[k]
                    changed = True
                    if not now_open[k]:  # people on it turn back when they reach its end
                        sel = state.ck[0][:state.n_ck] == k
                        state.ck[3][:state.n_ck][sel] |= kconst.DOOMED
            for i, make_camp, is_idp in camp_actions.get(t, ()):
                state.camp[i] = make_camp
                state.idp[i] = make_camp and is_idp
                state.conflict[i] = -1.0
                state.town[i] = not make_camp
                if make_camp:
                    state.base_mc[i] = mv.idpcamp_movechance if is_idp else mv.camp_movechance
                else:
                    state.base_mc[i] = mv.default_movechance
            if changed:
                table = build_route_table(net, state.link_open, registry, st, pol.link_cross)
                _fit_states(state, registry.n_states)
            if len(pol.det_loc):
                _k().release_detention(state.loc_n, state.occ, state.flag, state.act,
                                       state.hold, pol.det_loc,
                                       state.det_held, t % ring, pol.det_removal,
                                       removed_loc, removed_cls)

            # 4. attractiveness and move chances
            score = self._scores(state, decay)
            if pol.attractiveness is not None:
                score = score * pol.attractiveness[t]
            if pol.feedback_links is not None:
                memory.catch_up(rec.link_events, t)
                self.feedback_factors[t] = memory.factors(t)
                score = score * memory.score_factors(t, L)
            cand_home = table.cand_home
            if pol.attractiveness_at:
                cand_home = _choice_factors(pol.attractiveness_at, t, table)
            mc = state.base_mc
            if mv.movechance_pop_scale_factor:
                mc = mc * (np.maximum(state.pop, capacity) / mv.movechance_pop_base) \
                    ** mv.movechance_pop_scale_factor
            if pol.movechance is not None:
                mc = np.where(np.isnan(pol.movechance[t]), mc, pol.movechance[t])
            if frozen:
                mc = np.zeros(L)

            # 5-6. departures and travel
            cap_left = pol.crossing_cap[t].copy()
            res = _k().step_day(
                state.loc_n, state.occ, *state.ck, state.n_ck, mc, score, state.camp,
                capacity, net.link_length, net.link_speed, net.link_walk_probability,
                net.link_src, pol.link_cross, pol.turnback_prob[t], pol.turnback_to, cap_left,
                table.ptr, table.cand_link, table.cand_next, table.cand_final, table.cand_dist,
                cand_home, table.cand_cross, table.plan_link, table.plan_next,
                table.plan_final, table.plan_cross, table.state_loc, cls["fresh"],
                cls["travelled"], cls["turnback"], cls["avoid"], pol.det_of_loc,
                state.hold, pol.det_pmf, pol.det_cap, pol.det_prob, state.det_held, t % ring,
                state.flag, state.act, self.chain.ptr, self.chain.val, self.chain.rep,
                self.reach[0], self.reach[1], fp, ip, rec.link_events[t], self.stats)
            state.ck = list(res[:5])
            state.n_ck = _k().compact_cohorts(*state.ck, res[5])

            # 7. removals, giving up, records
            if sp.camps_are_sinks:
                _k().remove_at(state.loc_n, state.occ, state.act, table.state_loc,
                               np.where(state.camp, net.deactivation_probability, 0.0),
                               all_cls, removed_loc, removed_cls)
            for loc, seats in pol.flights.get(t, ()):
                _k().remove_up_to(state.loc_n, state.occ, state.act, table.state_loc, loc, seats,
                                  priority, removed_loc, removed_cls)
            if pol.voluntary_all is not None and pol.voluntary_all[t].any():
                _k().remove_at(state.loc_n, state.occ, state.act, table.state_loc,
                               pol.voluntary_all[t],
                               all_cls, removed_loc, removed_cls)
            if pol.voluntary_gave_up is not None and pol.voluntary_gave_up[t].any():
                _k().remove_at(state.loc_n, state.occ, state.act, table.state_loc,
                               pol.voluntary_gave_up[t], gave_up_cls, removed_loc,
                               removed_cls)
            if pol.give_up_daily > 0:
                _k().move_class(state.loc_n, state.flag, state.act, pol.give_up_daily,
                                attempting, cls["give_up_target"])
            day_removed = int(removed_cls.sum())
            rec.removed_total[t] = day_removed
            state.total_removed += day_removed
            for o in range(len(origins)):
                rec.removed_by_origin[t, o] = int(removed_cls[cls["origin"] == o].sum())
            _k().compact_active(state.loc_n, state.flag, state.act)
            self._record(state, table.state_loc, rec, t)
            state.day = t + 1
            if checkpoint is not None and checkpoint_every > 0 and (t + 1) % checkpoint_every == 0 \
                    and t + 1 < T:
                self._save_checkpoint(Path(checkpoint), state, registry, rec)
            if progress is not None:
                progress(t + 1, T)

        return Results(
            scenario_name=sc.name, start_date=sc.start_date, seed=self.seed,
            location_names=net.names, link_names=tuple(net.link_name(k) for k in range(K)),
            camp_names=tuple(net.names[i] for i in np.flatnonzero(net.type_camp)),
            location_population=rec.loc_pop, link_population=rec.link_pop,
            link_arrivals=rec.link_events[:, kconst.EV_ARRIVALS, :].copy(),
            spawned=rec.spawned, removed=rec.removed_total, initial=state.initial,
            refugee_debt=rec.debt, observed=obs, events=rec, origins=origins,
            scenario_path=str(sc.path),
            location_countries=tuple(net.countries[i] for i in net.country_id),
            crossing_links=tuple(int(k) for k in np.flatnonzero(pol.link_cross)),
            series_defs=sc.policies.series if sc.policies is not None else (),
        )

    def _insert_day0(self, state: _State) -> None:
        obs, sp = self.scenario.observed, self.settings.spawn
        if obs is None or not sp.insert_day0 or sp.empty_camps_on_day0 or self.days == 0:
            return
        net = self.network
        cls = self.classes.index(1 if self.settings.move.start_on_foot else 0, 0, 0)
        name_to_obs = {n: i for i, n in enumerate(obs.camp_names)}
        for i in np.flatnonzero(net.type_camp):
            j = name_to_obs.get(net.names[i])
            if j is not None and obs.day0_camp[j] > 0:
                n0 = int(obs.day0_camp[j])
                _k().add_people(state.loc_n, state.occ, state.flag, state.act,
                                np.arange(net.n_locations), i, cls, n0)
                state.initial += n0
        state.total_spawned = state.initial

    def _spawn(self, state: _State, t: int, schedule: np.ndarray, decay: np.ndarray,
               cls: int) -> int:
        """Flee's spawning for day t; returns the number of new people."""
        sp, L = self.settings.spawn, self.network.n_locations
        is_conf = state.conflict > 0.0
        if sp.conflict_driven_spawning:
            per_loc = np.zeros(L, dtype=np.int64)
            k_val = sp.displaced_per_conflict_day
            zones = np.flatnonzero(is_conf)
            if sp.conflict_spawn_mode == "pop_ratio":
                per_loc[zones] = (k_val * state.pop[zones] * state.conflict[zones]).astype(int)
            elif sp.conflict_spawn_mode == "poisson":
                day_rng = np.random.default_rng([int(self.day_seeds[t]), 1])
                per_loc[zones] = day_rng.poisson(k_val * state.conflict[zones])
            else:
                per_loc[zones] = (k_val * state.conflict[zones]).astype(int)
            new = int(per_loc.sum())
            ident = np.arange(L)
            for i in np.flatnonzero(per_loc):
                _k().add_people(state.loc_n, state.occ, state.flag, state.act, ident, i, cls,
                                int(per_loc[i]))
            spawned_here = per_loc
        else:
            new = int(schedule[t])
            if new <= 0:
                return 0
            weights = np.where(is_conf, state.pop * state.conflict * decay, 0.0)
            if weights.sum() <= 0:
                raise SimulationError(
                    f"day {t}: {new} people to spawn but no conflict zone with population "
                    "is active (check conflicts.csv and populations)")
            spawned_here = _k().spawn(state.loc_n, state.occ, state.flag, state.act, weights,
                                      new, cls)
        if sp.take_from_population and new > 0:
            state.pop -= spawned_here
            if (state.pop < 0).any():
                bad = self.network.names[int(np.flatnonzero(state.pop < 0)[0])]
                raise SimulationError(f"day {t}: more people spawned in {bad} than its "
                                      "population (take_from_population)")
        return new

    def _scores(self, state: _State, decay: np.ndarray) -> np.ndarray:
        mv = self.settings.move
        net = self.network
        score = np.ones(net.n_locations)
        score[net.foreign] *= mv.foreign_weight
        score[state.camp] *= mv.camp_weight
        conf = state.conflict > 0.0
        score[conf] *= mv.conflict_weight ** (decay[conf] * state.conflict[conf])
        if mv.use_pop_for_loc_weight and self.settings.engine.pop_loc_weight == "max":
            noncamp = ~state.camp
            score[noncamp] *= np.maximum(1.0, state.pop[noncamp]) ** mv.pop_power_for_loc_weight
        return score

    def _record(self, state: _State, state_loc: np.ndarray, rec: Events, t: int) -> None:
        K = self.network.n_links
        ck, n_ck = state.ck, state.n_ck
        rec.loc_pop[t] = state.occ
        rec.link_pop[t] = np.bincount(ck[0][:n_ck], weights=ck[4][:n_ck], minlength=K)
        if self.cls["tried"].any():
            _k().stranded_by_location(state.loc_n, state.act, state_loc, self.cls["tried"],
                                      rec.stranded[t])
            rec.stranded[t, ~self.near_side] = 0
        if len(self.policy.det_loc):
            rec.detained[t, self.policy.det_loc] = state.det_held
        if self.policy.exposed.any():
            nights = int(state.occ[self.policy.exposed_days[t]].sum())
            rec.exposed_nights[t] = nights
            if self.policy.temperature[t] < 0:  # NaN (unknown) compares False
                rec.exposed_below_zero[t] = nights
        present = int(state.occ.sum()) + int(ck[4][:n_ck].sum())
        if present != state.total_spawned - state.total_removed:
            raise SimulationError(
                f"internal error: day {t}: {present} people present but "
                f"{state.total_spawned} spawned and {state.total_removed} removed")

    # -- checkpoints ---------------------------------------------------------------------------
    def _fingerprint(self) -> str:
        return json.dumps({"version": CHECKPOINT_VERSION, "scenario": str(self.scenario.path),
                           "seed": int(self.seed), "days": self.days,
                           "settings": repr(self.settings),
                           "policies": repr(self.scenario.policies)}, sort_keys=True)

    def _save_checkpoint(self, path: Path, state: _State, registry: StateRegistry,
                         rec: Events) -> None:
        arrays: dict[str, np.ndarray] = {
            name: getattr(state, name)
            for name in ("camp", "idp", "town", "conflict", "toc", "base_mc", "pop",
                         "link_open", "occ", "hold", "det_held")
        }
        # Counts are stored sparse, in the order of the active list: that order decides the
        # order of random draws, so it must survive a resume.
        n_act = int(state.act[0])
        s_idx, c_idx = state.act[1:1 + 2 * n_act:2], state.act[2:2 + 2 * n_act:2]
        arrays["loc_s"], arrays["loc_c"] = s_idx, c_idx
        arrays["loc_v"] = state.loc_n[s_idx, c_idx]
        arrays["loc_shape"] = np.array(state.loc_n.shape, dtype=np.int64)
        for i, a in enumerate(state.ck):
            arrays[f"ck{i}"] = a[: state.n_ck]
        width = max((len(p) for p in registry.state_plan), default=0)
        plans = np.full((registry.n_states, max(width, 1)), -1, dtype=np.int64)
        for s, plan in enumerate(registry.state_plan):
            plans[s, : len(plan)] = plan
        arrays["reg_loc"] = np.array(registry.state_loc, dtype=np.int64)
        arrays["reg_plan"] = plans
        arrays.update({f"rec_{k}": v for k, v in rec.arrays().items()})
        meta = {"fingerprint": self._fingerprint(), "day": state.day, "n_ck": state.n_ck,
                "total_spawned": state.total_spawned, "total_removed": state.total_removed,
                "initial": state.initial}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

        def write(tmp: Path) -> None:
            with tmp.open("wb") as fh:
                np.savez(fh, **arrays)

        atomic_write(path, write)

    def _load_checkpoint(self, path: Path, registry: StateRegistry, rec: Events) -> _State:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            if meta["fingerprint"] != self._fingerprint():
                raise SimulationError(f"{path}: checkpoint belongs to another run (scenario, "
                                      "seed, days or settings differ)")
            for s in range(self.network.n_locations, len(z["reg_loc"])):
                plan = tuple(int(x) for x in z["reg_plan"][s] if x >= 0)
                registry.state(int(z["reg_loc"][s]), plan)
            rec.load({k[4:]: z[k] for k in z.files if k.startswith("rec_")})
            loc_n = np.zeros(tuple(int(v) for v in z["loc_shape"]), dtype=np.int64)
            loc_n[z["loc_s"], z["loc_c"]] = z["loc_v"]
            flag = np.zeros(loc_n.shape, dtype=np.uint8)
            flag[z["loc_s"], z["loc_c"]] = 1
            act = np.zeros(1 + 2 * loc_n.size, dtype=np.int64)
            act[0] = len(z["loc_s"])
            act[1:1 + 2 * act[0]:2] = z["loc_s"]
            act[2:2 + 2 * act[0]:2] = z["loc_c"]
            return _State(
                day=int(meta["day"]), camp=z["camp"], idp=z["idp"], town=z["town"],
                conflict=z["conflict"], toc=z["toc"], base_mc=z["base_mc"], pop=z["pop"],
                link_open=z["link_open"], loc_n=loc_n, occ=z["occ"], flag=flag, act=act,
                ck=[z[f"ck{i}"].copy() for i in range(5)], n_ck=int(meta["n_ck"]),
                hold=z["hold"], det_held=z["det_held"],
                total_spawned=int(meta["total_spawned"]),
                total_removed=int(meta["total_removed"]), initial=int(meta["initial"]),
            )


def _apply_link_actions(closure_open: np.ndarray, n_blocks: np.ndarray, closures, blocks) -> None:
    """Apply one day's closures.csv actions (in file order) and policy blocks (counted, so
    overlapping blocks of one link end only when the last one does)."""
    for k, reopen in closures:
        closure_open[k] = reopen
    for k, reopen in blocks:
        n_blocks[k] += -1 if reopen else 1


def _fit_states(state: _State, rows: int) -> None:
    """Grow the count arrays when new planned states were numbered (after closures)."""
    old = state.loc_n.shape[0]
    if rows <= old:
        return
    for name in ("loc_n", "flag"):
        a = getattr(state, name)
        grown = np.zeros((rows, a.shape[1]), dtype=a.dtype)
        grown[:old] = a
        setattr(state, name, grown)
    act = np.zeros(1 + 2 * rows * state.loc_n.shape[1], dtype=np.int64)
    act[: state.act.shape[0]] = state.act
    state.act = act


def _choice_factors(entries, t: int, table) -> np.ndarray:
    """The candidates' stay-close-to-home factors times the `attractiveness` factors limited
    to choices made at some places (`at`) that apply on day ``t``: a candidate route is
    multiplied when the person choosing stands at one of the entry's `at` places and the
    route's destination is one of its places. Returns ``table.cand_home`` itself when none
    applies."""
    today = [e for e in entries if e[0] <= t < e[1]]
    if not today:
        return table.cand_home
    out = table.cand_home.copy()
    origin = np.repeat(np.arange(len(table.ptr) - 1), np.diff(table.ptr))  # candidate's place
    final = table.cand_final
    known = final >= 0
    for _start, _end, places, at, factor in today:
        out[at[origin] & known & places[np.maximum(final, 0)]] *= factor
    return out
