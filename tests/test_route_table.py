"""Route tables: the compiled enumeration against a plain-Python statement of Flee's rule.

`reference_table` below is the straightforward depth-first search of Flee's ``selectRoute``
(every loop-free path of 1 … awareness links, markers pass through without using a step),
written for clarity. The compiled `build_route_table` must give exactly the same candidates,
in the same order, number the same planned states, and keep numbering stable when links close
and reopen.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from borderflow.network import Network, StateRegistry, build_route_table
from borderflow.params import Settings


def random_network(rng: np.random.Generator, n: int, extra: int, markers: int) -> Network:
    """A connected random network: a random tree plus ``extra`` links, some markers."""
    edges = [(int(rng.integers(0, i)), i) for i in range(1, n)]
    while len(edges) < n - 1 + extra:
        a, b = (int(v) for v in rng.choice(n, 2, replace=False))
        edges.append((a, b))  # duplicates allowed: Flee allows parallel routes
    src, dst, length = [], [], []
    out: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        km = float(rng.integers(5, 400))
        for s, d in ((a, b), (b, a)):
            out[s].append(len(src))
            src.append(s)
            dst.append(d)
            length.append(km)
    marker = np.zeros(n, dtype=bool)
    marker[rng.choice(np.arange(1, n), markers, replace=False)] = True
    z = np.zeros(n, dtype=bool)
    return Network(
        names=tuple(f"L{i}" for i in range(n)), index={f"L{i}": i for i in range(n)},
        countries=("X",), country_id=np.zeros(n, dtype=np.int64),
        lat=rng.uniform(-10, 10, n), lon=rng.uniform(-10, 10, n), type_camp=z.copy(),
        type_idpcamp=z.copy(), type_conflict=z.copy(), type_town=~marker, type_forward=z.copy(),
        type_marker=marker, conflict_intensity=np.ones(n), foreign=z.copy(),
        pop=np.zeros(n, dtype=np.int64), capacity=np.full(n, -1.0),
        deactivation_probability=np.zeros(n), link_src=np.array(src, dtype=np.int64),
        link_dst=np.array(dst, dtype=np.int64), link_length=np.array(length),
        link_speed=np.full(len(src), 360.0), link_walk_probability=np.zeros(len(src)),
        out_links=tuple(tuple(o) for o in out),
    )


def reference_table(net, link_open, registry, awareness, home, power, link_cross):
    """Flee's selectRoute as a plain depth-first search; returns the table's arrays."""
    n = net.n_locations
    out_open = [[k for k in net.out_links[i] if link_open[k]] for i in range(n)]
    bit = {(int(net.link_src[k]), int(net.link_dst[k])): 1 << (int(link_cross[k]) - 1)
           for k in np.flatnonzero(link_cross)}

    def crosses(path):
        mask = 0
        for i in range(len(path) - 1):
            mask |= bit.get((path[i], path[i + 1]), 0)
        return mask

    def distance(i, j):  # Flee 3.1: latitude and longitude swapped
        lat1, lon1, lat2, lon2 = (math.radians(v) for v in
                                  (net.lon[i], net.lat[i], net.lon[j], net.lat[j]))
        a = (math.sin((lat2 - lat1) / 2) ** 2
             + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
        return 6373.0 * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))

    cols: dict[str, list] = {k: [] for k in ("link", "next", "final", "dist", "home", "cross")}
    ptr = [0]

    def visit(origin, path, prior, step, first):
        for k in out_open[path[-1]]:
            end = int(net.link_dst[k])
            if end in path:
                continue
            dist = prior + float(net.link_length[k])
            f = k if first < 0 else first
            s = step
            if not net.type_marker[end]:
                route = (*path[1:], end)
                cols["link"].append(f)
                cols["next"].append(registry.state(route[0], route[1:]))
                cols["final"].append(route[-1])
                cols["dist"].append(dist)
                cols["cross"].append(crosses((origin, *route)))
                cols["home"].append(1.0 / max(1.0, distance(route[-1], origin)) ** power
                                    if home else 1.0)
            else:
                s -= 1
            if awareness > s:
                visit(origin, (*path, end), dist, s + 1, f)

    for origin in range(n):
        if awareness >= 1:
            visit(origin, (origin,), 0.0, 1, -1)
        ptr.append(len(cols["link"]))
    plan = {k: [-1] * n for k in ("link", "next", "final")}
    plan["cross"] = [0] * n
    s = n
    while s < registry.n_states:
        loc, rest = int(registry.state_loc[s]), registry.state_plan[s]
        plan["link"].append(next((k for k in out_open[loc]
                                  if int(net.link_dst[k]) == rest[0]), -1))
        plan["next"].append(registry.state(rest[0], rest[1:]))
        plan["final"].append(rest[-1])
        plan["cross"].append(crosses((loc, *rest)))
        s += 1
    return {"ptr": ptr, "cand_link": cols["link"], "cand_next": cols["next"],
            "cand_final": cols["final"], "cand_dist": cols["dist"], "cand_home": cols["home"],
            "cand_cross": cols["cross"], "plan_link": plan["link"], "plan_next": plan["next"],
            "plan_final": plan["final"], "plan_cross": plan["cross"]}


@pytest.mark.parametrize("case", range(12))
def test_compiled_enumeration_matches_reference(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(2, 40))
    net = random_network(rng, n, extra=int(rng.integers(0, 2 * n)),
                         markers=int(rng.integers(0, min(4, n - 1) + 1)))
    awareness = int(rng.integers(-1, 5))
    home = bool(case % 2)
    settings = Settings()
    settings = replace(settings, move=replace(settings.move, awareness_level=awareness,
                                              stay_close_to_home=home))
    link_cross = np.zeros(net.n_links, dtype=np.int64)
    picked = rng.choice(net.n_links, min(3, net.n_links), replace=False)
    link_cross[picked] = rng.integers(1, 3, len(picked))
    reg_new, reg_ref = StateRegistry(n), StateRegistry(n)
    link_open = np.ones(net.n_links, dtype=bool)
    for _change in range(4):  # the first table, then after links close and reopen
        table = build_route_table(net, link_open, reg_new, settings, link_cross)
        want = reference_table(net, link_open, reg_ref, max(awareness, 1) if awareness else 0,
                               home, settings.move.home_distance_power, link_cross)
        for name, values in want.items():
            got = getattr(table, name)
            assert got.tolist() == list(values), name
        assert reg_new.state_plan == reg_ref.state_plan
        assert table.state_loc.tolist() == reg_ref.state_loc.tolist()
        flip = rng.choice(net.n_links, max(1, net.n_links // 5), replace=False)
        link_open[flip] = ~link_open[flip]


def test_registry_numbers_states_once_and_grows():
    reg = StateRegistry(3)
    assert reg.state(1, ()) == 1
    a = reg.state(0, (1, 2))
    assert a == 3 and reg.state(0, (1, 2)) == a
    assert reg.state(1, (2,)) == 4
    for i in range(200):  # grows its arrays and key table, ids stay put
        reg.state(2, (i % 3, i, i + 1))
    assert reg.state(0, (1, 2)) == a and reg.state(1, (2,)) == 4
    assert reg.n_states == 5 + 200
    assert reg.state_plan[a] == (1, 2) and reg.state_loc[a] == 0
