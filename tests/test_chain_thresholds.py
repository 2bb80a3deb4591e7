"""Merging chained-hop groups by km-used thresholds: the sets are right and nothing changes."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from borderflow import kernel
from borderflow.engine import Simulation
from borderflow.network import arrival_reach, chain_thresholds, no_chain_thresholds
from borderflow.scenario import load_scenario


def brute_force(n_loc, src, dst, length, speed, walk):
    """The threshold recursion as plain set arithmetic, iterated to its fixed point."""
    th = [set() for _ in range(n_loc)]
    changed = True
    while changed:
        changed = False
        for k in range(len(src)):
            new = {round(v - length[k], 6) for v in (walk, speed[k]) if v - length[k] > 1e-9}
            new |= {round(t - length[k], 6) for t in th[dst[k]] if t - length[k] > 1e-9}
            if not new <= th[src[k]]:
                th[src[k]] |= new
                changed = True
    return [sorted(t) for t in th]


def fake_network(rng, n_loc, n_links, step):
    src = rng.integers(0, n_loc, n_links)
    dst = (src + rng.integers(1, n_loc, n_links)) % n_loc
    length = rng.integers(1, 400, n_links) * step
    speed = rng.choice([360.0, 200.0, 90.5], n_links)
    return SimpleNamespace(names=tuple(f"p{i}" for i in range(n_loc)), link_src=src,
                           link_dst=dst, link_length=length.astype(float), link_speed=speed)


@pytest.mark.parametrize("step,seed", [(1, 1), (1, 2), (0.1, 3), (0.5, 4), (7, 5)])
def test_threshold_sets_equal_the_recursion(step, seed):
    rng = np.random.default_rng(seed)
    net = fake_network(rng, 12, 40, step)
    ch = chain_thresholds(net, 35.0)
    assert ch.scale in (1, 10)
    want = brute_force(12, net.link_src, net.link_dst, net.link_length, net.link_speed, 35.0)
    for i in range(12):
        got = ch.val[ch.ptr[i]:ch.ptr[i + 1]] / ch.scale
        np.testing.assert_allclose(got, want[i])
        # every km used maps to the lower end of its interval
        for u in np.arange(0.0, 400.0, 0.5):
            rep = ch.rep[i * (ch.rep.size // 12) + min(round(u * ch.scale),
                                                        ch.rep.size // 12 - 1)] / ch.scale
            below = [t for t in want[i] if t <= u + 1e-9]
            assert rep == pytest.approx(below[-1] if below else 0.0)


def test_thresholds_off_for_lengths_off_the_grid_and_in_budget_mode(tmp_path, write_scenario):
    rng = np.random.default_rng(9)
    net = fake_network(rng, 5, 10, 1)
    net.link_length[0] = 12.34567
    assert chain_thresholds(net, 35.0).scale == 0
    folder = write_scenario(tmp_path, locations=LOCATIONS, routes=ROUTES, conflicts=None,
                            refugees=None, length=5,
                            settings={"engine": {"chained_hop_credit": "budget"}})
    assert Simulation(load_scenario(folder), seed=1).chain.scale == 0


# Two arrival points feed a hub through links of 30 and 40 km; from there a line of forwarding
# hubs leads to a camp. Every move is forced (move chance 1, returns blocked), so counts are
# exact, and the groups arriving at H with 30 and 40 km used have the same future (the next
# thresholds at H are 60, 160 and 260 km) and merge.
LOCATIONS = [
    ("S1", "R", "Near", 0.0, 0.0, "forwarding_hub", None, 0),
    ("S2", "R", "Near", 0.0, 0.1, "forwarding_hub", None, 0),
    ("H", "R", "Near", 0.0, 1.0, "forwarding_hub", None, 0),
    ("X1", "R", "Near", 0.0, 2.0, "forwarding_hub", None, 0),
    ("X2", "R", "Near", 0.0, 3.0, "forwarding_hub", None, 0),
    ("X3", "R", "Near", 0.0, 4.0, "forwarding_hub", None, 0),
    ("C", "R", "Far", 0.0, 5.0, "camp", None, 0),
]
ROUTES = [("S1", "H", 30), ("S2", "H", 40), ("H", "X1", 100), ("X1", "X2", 100),
          ("X2", "X3", 100), ("X3", "C", 100)]


def forced_scenario(tmp_path, write_scenario):
    blocks = [{"from": b, "to": a, "start": 0} for a, b, _ in ROUTES]
    arrivals = [{"origin": "Origin-A", "to": s, "occupancy": 1.0,
                 "seats_per_week": [{"from": "2020-01-01", "value": 7 * n}]}
                for s, n in (("S1", 5), ("S2", 7))]
    return write_scenario(tmp_path, name="forced", locations=LOCATIONS, routes=ROUTES,
                          conflicts=None, refugees=None, length=12,
                          settings={"move_rules": {"camp_movechance": 0.0}},
                          policies={"blocks": blocks, "arrivals": arrivals})


def test_merging_changes_no_count_on_forced_moves(tmp_path, write_scenario):
    sc = load_scenario(forced_scenario(tmp_path, write_scenario))
    on = Simulation(sc, seed=1)
    assert on.chain.scale == 1
    off = Simulation(sc, seed=1)
    off.chain = no_chain_thresholds(len(off.network.names))
    r_on, r_off = on.run(), off.run()
    pop_on = r_on.locations
    assert pop_on.equals(r_off.locations)
    assert r_on.links.equals(r_off.links)
    # 12 people a day arrive and, with Flee's full-speed credit per hop, reach the camp the same
    # day (30/40, 130/140, 230/240, 330/340 km used: each below 360, so one more hop)
    assert pop_on["C"].tolist() == [12 * (d + 1) for d in range(12)]
    assert on.stats[kernel.S_CHAINED_GROUPS] < off.stats[kernel.S_CHAINED_GROUPS]


def test_lookup_table_and_binary_search_give_the_same_run(shared_flee_dir):
    """The kernel reads a place's interval from a uint16 table when there is one, and searches
    the thresholds otherwise (too big a table): the same run, byte for byte, on a network with
    random choices (mali, seeded)."""
    sc = load_scenario(shared_flee_dir / "mali")
    table = Simulation(sc, seed=4)
    assert table.chain.rep.dtype == np.uint16 and table.chain.rep.size > 0
    search = Simulation(sc, seed=4)
    search.chain = replace(search.chain, rep=np.zeros(0, dtype=np.uint16))
    r_table, r_search = table.run(), search.run()
    assert r_table.locations.equals(r_search.locations)
    assert r_table.links.equals(r_search.links)
    assert table.stats.tolist() == search.stats.tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_arrival_reach_lists_every_place_within_two_days_top_speed(seed):
    """The places whose arrivals can reach a place today: all within 2 × top speed (Floyd)."""
    rng = np.random.default_rng(seed)
    n = 15
    net = fake_network(rng, n, 45, 1)
    ptr, src = arrival_reach(net, 35.0)
    reach = 2.0 * max(35.0, float(net.link_speed.max()))
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0.0)
    for a, b, ln in zip(net.link_src, net.link_dst, net.link_length, strict=True):
        d[a, b] = min(d[a, b], ln)
    for m in range(n):
        d = np.minimum(d, d[:, [m]] + d[[m], :])
    for f in range(n):
        got = sorted(src[ptr[f]:ptr[f + 1]].tolist())
        assert got == [g for g in range(n) if d[g, f] <= reach]
    assert 0 < ptr[-1] < n * n  # neither nothing nor everything on this network


def test_capacity_rounds_and_their_last_phase_keep_forced_moves_exact(tmp_path, write_scenario):
    """A camp enters the capacity band on the last day, so that day runs the 8 capacity rounds
    and the last phase after them (docs/model.md, step 6). Every move is forced and the camp
    stays below the point where people would stop (CapMult 0.5), so the counts are exact:
    12 people a day reach the camp the same day, rounds or not."""
    locations = [row if row[0] != "C" else ("C", "R", "Far", 0.0, 5.0, "camp", None, 400)
                 for row in LOCATIONS]
    blocks = [{"from": b, "to": a, "start": 0} for a, b, _ in ROUTES]
    arrivals = [{"origin": "Origin-A", "to": s, "occupancy": 1.0,
                 "seats_per_week": [{"from": "2020-01-01", "value": 7 * n}]}
                for s, n in (("S1", 5), ("S2", 7))]
    folder = write_scenario(tmp_path, name="rounds", locations=locations, routes=ROUTES,
                            conflicts=None, refugees=None, length=31,
                            settings={"move_rules": {"camp_movechance": 0.0}},
                            policies={"blocks": blocks, "arrivals": arrivals})
    sim = Simulation(load_scenario(folder), seed=5)
    assert sim.settings.engine.capacity_rounds == 8
    res = sim.run()
    # day 30 starts at 360 of 400 (90 %: the band) and ends at 372 (CapMult 0.7 >= 0.5)
    assert res.locations["C"].tolist() == [12 * (d + 1) for d in range(31)]
    # days 0-29: one phase with chained hops a day; day 30: phase -1, rounds, last phase
    assert sim.stats[kernel.S_CHAIN_ROUNDS] >= 30 + 3
