"""`Simulation`: owns the state and the random generator of one run and follows the daily order.

Daily order (Flee 3.1's, see docs/model.md), for day t = 0, 1, …:

0. Before day 0: camps are filled with the day-0 observed counts (``insert_day0``).
1. Conflicts: zones start (or end) as ``conflicts.csv`` says for day t.
2. Spawning: today's new people (observed daily difference minus refugee debt, or the
   conflict-driven rule) appear in conflict zones, in proportion to population × intensity ×
   spawn decay.
3. Closures: links, locations, borders and camps close or reopen if day t is their start or end.
4. Attractiveness of every place and move chances for day t.
5. Departures: people standing at a place leave with its move chance and pick a route (one
   binomial and one multinomial per group of interchangeable people); a route whose destination
   is a camp at ≥ 95 % of capacity (CapMult < 0.5) is abandoned for the day.
6. Travel: everyone on a link moves a day's distance; arrivals that used less than a day's
   distance may leave again at once (chained hops), in random groups between which camp fill is
   refreshed.
7. Removals (camps as sinks), then the day's populations are recorded.

People are conserved: spawned − removed = present, checked every day.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from borderflow import kernel
from borderflow.network import Network, StateRegistry, build_route_table, compile_network
from borderflow.params import Settings
from borderflow.results import Results
from borderflow.scenario.model import Scenario
from borderflow.scenario.series import spawn_schedule


class SimulationError(RuntimeError):
    """A run cannot continue (e.g. more people to spawn than the conflict zones hold)."""


def _closure_actions(scenario: Scenario, net: Network, settings: Settings):
    """Per day: (link actions, camp actions) derived from closures.csv, in file order."""
    link_actions: dict[int, list[tuple[int, bool]]] = {}
    camp_actions: dict[int, list[tuple[int, bool, bool]]] = {}  # (loc, make_camp, idp)
    for c in scenario.closures:
        kind = c.closure_type
        days = [(c.start, False)]
        if c.end >= 0:
            days.append((c.end, True))
        if kind == "country":
            a, b = c.name1, c.name2
            src_c = [net.countries[i] for i in net.country_id[net.link_src]]
            dst_c = [net.countries[i] for i in net.country_id[net.link_dst]]
            links = [k for k in range(net.n_links)
                     if (src_c[k], dst_c[k]) in ((a, b), (b, a))]
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
        self.rng = np.random.Generator(np.random.PCG64(seq))
        self.network = compile_network(scenario, self.settings)
        self.stats = np.zeros(4, dtype=np.int64)  # chain rounds, chained groups (diagnostics)

    # -- helpers -------------------------------------------------------------------------------
    def _decay(self, t: int, toc: float) -> float:
        decay = self.settings.spawn.conflict_spawn_decay
        if not decay:
            return 1.0
        i = min(int((t - toc) / self.settings.spawn.conflict_spawn_decay_interval), len(decay) - 1)
        return float(decay[max(i, 0)])

    def run(self, progress: Callable[[int, int], None] | None = None) -> Results:
        """Run all days and return the `Results`. ``progress(day, days)`` is called daily."""
        sc, st, net = self.scenario, self.settings, self.network
        mv, sp = st.move, st.spawn
        L, K, T = net.n_locations, net.n_links, self.days

        # Current location flags and move chances, changed by conflicts and camp closures.
        camp = net.type_camp.copy()
        idp = net.type_idpcamp.copy()
        town = net.type_town.copy()
        conflict = np.where(net.type_conflict, net.conflict_intensity, -1.0)
        toc = np.full(L, -1.0)  # day a conflict last started
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
        pop = net.pop.astype(np.int64).copy()
        capacity = net.capacity.copy()

        link_open = np.ones(K, dtype=bool)
        registry = StateRegistry(L)
        table = build_route_table(net, link_open, registry, st)
        loc_n = np.zeros((registry.n_states, 2), dtype=np.int64)
        occ = np.zeros(L, dtype=np.int64)
        ck = [np.zeros(64, dtype=np.int64), np.zeros(64), np.zeros(64, dtype=np.int64),
              np.zeros(64, dtype=np.int64), np.zeros(64, dtype=np.int64)]
        n_ck = 0
        fresh = 1 if mv.start_on_foot else 0

        fp = np.zeros(kernel.N_FPARAMS)
        fp[kernel.P_WEIGHT_SOFTENING] = mv.weight_softening
        fp[kernel.P_SOFTENING] = mv.softening
        fp[kernel.P_DISTANCE_POWER] = mv.distance_power
        fp[kernel.P_WEIGHT_POWER] = mv.weight_power
        fp[kernel.P_WALK_SPEED] = mv.max_walk_speed
        fp[kernel.P_CAPACITY_BUFFER] = mv.capacity_buffer
        ip = np.zeros(kernel.N_IPARAMS, dtype=np.int64)
        ip[kernel.I_START_ON_FOOT] = int(mv.start_on_foot)
        ip[kernel.I_BUDGET_MODE] = int(st.engine.chained_hop_credit == "budget")
        ip[kernel.I_GROUPS] = st.engine.capacity_rounds
        # Flee 3.1: awareness 0 returns a route Flee cannot follow, so nobody ever moves.
        frozen = mv.awareness_level == 0

        link_actions, camp_actions = _closure_actions(sc, net, st)
        obs = sc.observed
        conflict_names = sc.conflicts.names if sc.conflicts is not None else ()
        conflict_cols = [net.index[n] for n in conflict_names]
        conflict_vals = sc.conflicts.values if sc.conflicts is not None else np.zeros((0, 0))

        loc_pop = np.zeros((T, L), dtype=np.int64)
        link_pop = np.zeros((T, K), dtype=np.int64)
        arrivals = np.zeros((T, K), dtype=np.int64)
        spawned = np.zeros(T, dtype=np.int64)
        removed = np.zeros(T, dtype=np.int64)
        debt_out = np.zeros(T, dtype=np.int64)
        camp_idx = np.flatnonzero(camp)

        # 0. day-0 insertion into camps
        day0 = 0
        if obs is not None and sp.insert_day0 and not sp.empty_camps_on_day0 and T > 0:
            name_to_obs = {n: i for i, n in enumerate(obs.camp_names)}
            for i in camp_idx:
                j = name_to_obs.get(net.names[i])
                if j is not None and obs.day0_camp[j] > 0:
                    n0 = int(obs.day0_camp[j])
                    loc_n[i, fresh] += n0
                    occ[i] += n0
                    day0 += n0
        total_spawned = day0
        total_removed = 0
        debt = 0
        if obs is not None and not sp.conflict_driven_spawning:
            schedule, debts = spawn_schedule(obs.new_displaced[:T])
        else:
            schedule = debts = np.zeros(T, dtype=np.int64)
        sinks = net.deactivation_probability if sp.camps_are_sinks else None

        # Numba's generator is reseeded every day from the run's own generator, so a run's state
        # at the end of any day (arrays + this generator's state) is enough to resume it.
        day_seeds = self.rng.integers(0, 2**32 - 1, size=T, dtype=np.uint64)
        for t in range(T):
            kernel.seed(int(day_seeds[t]))
            # 1. conflicts
            if t < conflict_vals.shape[0]:
                for c, i in enumerate(conflict_cols):
                    v = float(conflict_vals[t, c])
                    prev = float(conflict_vals[t - 1, c]) if t > 0 else 0.0
                    if v > 1e-6 and (t == 0 or prev < 1e-6):
                        base_mc[i] = mv.conflict_movechance
                        conflict[i] = v
                        town[i] = False
                        toc[i] = t
                    elif v < 1e-6 and t > 0 and prev == 1.0:
                        base_mc[i] = mv.default_movechance
                        conflict[i] = -1.0
                        town[i] = True

            # 2. spawning
            decay = np.array([self._decay(t, toc[i]) for i in range(L)]) \
                if sp.conflict_spawn_decay else np.ones(L)
            is_conf = conflict > 0.0
            if sp.conflict_driven_spawning:
                per_loc = np.zeros(L, dtype=np.int64)
                k_val = sp.displaced_per_conflict_day
                for i in np.flatnonzero(is_conf):
                    if sp.conflict_spawn_mode == "pop_ratio":
                        per_loc[i] = int(k_val * pop[i] * conflict[i])
                    elif sp.conflict_spawn_mode == "poisson":
                        per_loc[i] = int(self.rng.poisson(k_val * conflict[i]))
                    else:
                        per_loc[i] = int(k_val * conflict[i])
                new = int(per_loc.sum())
                loc_n[:L, fresh] += per_loc
                occ += per_loc
                spawned_here = per_loc
            else:
                new = int(schedule[t])
                debt = int(debts[t])
                weights = np.where(is_conf, pop * conflict * decay, 0.0)
                if new > 0:
                    if weights.sum() <= 0:
                        raise SimulationError(
                            f"day {t}: {new} people to spawn but no conflict zone with "
                            "population is active (check conflicts.csv and populations)")
                    spawned_here = kernel.spawn(loc_n, occ, weights, new, fresh)
                else:
                    spawned_here = np.zeros(L, dtype=np.int64)
            if sp.take_from_population and new > 0:
                pop -= spawned_here
                if (pop < 0).any():
                    bad = net.names[int(np.flatnonzero(pop < 0)[0])]
                    raise SimulationError(
                        f"day {t}: more people spawned in {bad} than its population "
                        "(take_from_population)")
            spawned[t] = new
            total_spawned += new
            debt_out[t] = debt

            # 3. closures
            changed = False
            for k, reopen in link_actions.get(t, ()):
                if link_open[k] != reopen:
                    link_open[k] = reopen
                    changed = True
                    if not reopen:  # people on it turn back when they reach its end
                        sel = ck[0][:n_ck] == k
                        ck[3][:n_ck][sel] |= kernel.DOOMED
            for i, make_camp, is_idp in camp_actions.get(t, ()):
                camp[i] = make_camp
                idp[i] = make_camp and is_idp
                conflict[i] = -1.0
                town[i] = not make_camp
                if make_camp:
                    base_mc[i] = mv.idpcamp_movechance if is_idp else mv.camp_movechance
                else:
                    base_mc[i] = mv.default_movechance
            if changed:
                table = build_route_table(net, link_open, registry, st)
                if registry.n_states > loc_n.shape[0]:
                    grown = np.zeros((registry.n_states, 2), dtype=np.int64)
                    grown[: loc_n.shape[0]] = loc_n
                    loc_n = grown

            # 4. attractiveness and move chances
            score = self._scores(camp, conflict, pop, t, toc, decay)
            mc = base_mc * (np.maximum(pop, capacity) / mv.movechance_pop_base) \
                ** mv.movechance_pop_scale_factor if mv.movechance_pop_scale_factor else base_mc
            if frozen:
                mc = np.zeros(L)

            # 5-6. departures and travel
            day_arrivals = arrivals[t]
            res = kernel.step_day(
                loc_n, occ, ck[0], ck[1], ck[2], ck[3], ck[4], n_ck, mc, score, camp, capacity,
                net.link_length, net.link_speed, net.link_walk_probability, net.link_src,
                net.link_dst, table.ptr, table.cand_link, table.cand_next, table.cand_final,
                table.cand_dist, table.cand_home, table.plan_link, table.plan_next,
                table.plan_final, table.state_loc, fp, ip, day_arrivals, self.stats)
            ck = list(res[:5])
            n_ck = kernel.compact_cohorts(ck[0], ck[1], ck[2], ck[3], ck[4], res[5])

            # 7. removals and records
            if sinks is not None:
                prob = np.where(camp, sinks, 0.0)
                r = kernel.remove_at(loc_n, occ, table.state_loc, prob)
                removed[t] = r
                total_removed += r
            loc_pop[t] = occ
            link_pop[t] = np.bincount(ck[0][:n_ck], weights=ck[4][:n_ck], minlength=K)
            present = int(occ.sum()) + int(ck[4][:n_ck].sum())
            if present != total_spawned - total_removed:
                raise SimulationError(
                    f"internal error: day {t}: {present} people present but "
                    f"{total_spawned} spawned and {total_removed} removed")
            if progress is not None:
                progress(t + 1, T)

        return Results(
            scenario_name=sc.name, start_date=sc.start_date, seed=self.seed,
            location_names=net.names, link_names=tuple(net.link_name(k) for k in range(K)),
            camp_names=tuple(net.names[i] for i in camp_idx),
            location_population=loc_pop, link_population=link_pop, link_arrivals=arrivals,
            spawned=spawned, removed=removed, initial=day0, refugee_debt=debt_out,
            observed=obs,
        )

    def _scores(self, camp: np.ndarray, conflict: np.ndarray, pop: np.ndarray, t: int,
                toc: np.ndarray, decay: np.ndarray) -> np.ndarray:
        mv = self.settings.move
        net = self.network
        score = np.ones(net.n_locations)
        score[net.foreign] *= mv.foreign_weight
        score[camp] *= mv.camp_weight
        conf = conflict > 0.0
        score[conf] *= mv.conflict_weight ** (decay[conf] * conflict[conf])
        if mv.use_pop_for_loc_weight and self.settings.engine.pop_loc_weight == "max":
            noncamp = ~camp
            score[noncamp] *= np.maximum(1.0, pop[noncamp]) ** mv.pop_power_for_loc_weight
        return score
