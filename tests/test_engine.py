"""Engine tests on toy networks of 2–5 places with exact expected counts.

Move chances of 0 and 1, markers and single routes make every count exact; the determinism and
conservation tests then run random toy networks with real probabilities.
"""

from __future__ import annotations

import numpy as np
import pytest

from borderflow.engine import Simulation
from borderflow.scenario.flee_format import load_scenario

# A conflict zone A and a camp C that nobody leaves (camp_movechance 0).
STILL_CAMPS = {"move_rules": {"camp_movechance": 0.0, "conflict_movechance": 1.0}}


def daily(start_total: int, increments: list[int]) -> list[tuple[str, int]]:
    """refugees.csv rows with one point per day from 2020-01-01."""
    rows, total = [], start_total
    rows.append(("2020-01-01", total))
    for day, inc in enumerate(increments, start=1):
        total += inc
        rows.append((f"2020-01-{day + 1:02d}", total))
    return rows


def run(folder, seed: int = 1, days: int | None = None, **overrides):
    sc = load_scenario(folder, settings_overrides=overrides or None)
    return Simulation(sc, seed=seed, days=days).run()


def test_spawning_with_refugee_debt_reaches_camp_same_day(tmp_path, write_scenario):
    # totals 5, 15, 12, 20, 30, 40, 40 -> new people 0 (day 0), 10, 0 (debt 3), 5, 10, 10, 0
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 100)],
        refugees=[("2020-01-01", 5), ("2020-01-02", 15), ("2020-01-03", 12),
                  ("2020-01-04", 20), ("2020-01-06", 40)],
        length=7, settings=STILL_CAMPS)
    res = run(folder)
    assert res.spawned.tolist() == [0, 10, 0, 5, 10, 10, 0]
    assert res.refugee_debt.tolist() == [0, 0, 3, 0, 0, 0, 0]
    # everyone leaves A (move chance 1) and the 100 km link takes less than a day
    assert res.locations["C"].tolist() == [0, 10, 10, 15, 25, 35, 35]
    assert res.locations["A"].tolist() == [0] * 7
    assert res.link_population.sum() == 0


def test_long_link_takes_floor_length_over_speed_plus_one_days(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 500)],
        refugees=daily(0, [20, 0, 0, 0]), length=5, settings=STILL_CAMPS)
    res = run(folder)
    # 20 people appear on day 1, are on the link after day 1 (360 of 500 km) and arrive on day 2
    assert res.links["A->C"].tolist() == [0, 20, 0, 0, 0]
    assert res.locations["C"].tolist() == [0, 0, 20, 20, 20]


def test_chained_hops_credit_a_full_day_per_link_like_flee(tmp_path, write_scenario):
    locations = [("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                 ("B", "R", "Home", 0, 1, "forwarding_hub", None, 0),
                 ("C", "R", "Abroad", 0, 2, "camp", None, 0)]
    routes = [("A", "B", 100), ("B", "C", 300)]
    # Only one way forward from B: make A unattractive to return to (conflict_weight 0).
    settings = {"move_rules": {"camp_movechance": 0.0, "conflict_weight": 0.0}}
    folder = write_scenario(tmp_path, locations=locations, routes=routes,
                            refugees=daily(0, [50, 0, 0]), length=4, settings=settings)
    flee = run(folder)
    # Flee 3.1: 100 km, then a chained 300 km hop on the same day (400 km in one day)
    assert flee.locations["C"].tolist() == [0, 50, 50, 50]
    budget = run(folder, **{"engine.chained_hop_credit": "budget"})
    # with a 360 km daily budget the 300 km hop needs a second day
    assert budget.links["B->C"].tolist() == [0, 50, 0, 0]
    assert budget.locations["C"].tolist() == [0, 0, 50, 50]


def test_location_closure_holds_people_until_it_reopens(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 100)],
        closures=[("location", "C", "", 2, 5)],
        refugees=daily(0, [10] * 6), length=7, settings=STILL_CAMPS)
    res = run(folder)
    # spawned 10 a day from day 1; days 2-4 nobody can leave A; day 5 all 40 waiting go
    assert res.locations["A"].tolist() == [0, 0, 10, 20, 30, 0, 0]
    assert res.locations["C"].tolist() == [0, 10, 10, 10, 10, 50, 60]


def test_country_closure_blocks_both_directions(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 100)],
        closures=[("country", "Abroad", "Home", 0, -1)],
        refugees=daily(0, [10] * 3), length=4, settings=STILL_CAMPS)
    res = run(folder)
    assert res.locations["C"].tolist() == [0, 0, 0, 0]
    assert res.locations["A"].tolist() == [0, 10, 20, 30]


def test_people_on_a_link_that_closes_return_to_its_start(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 500)],
        closures=[("link", "A", "C", 2, 3)],
        refugees=daily(0, [30, 0, 0, 0]), length=5, settings=STILL_CAMPS)
    res = run(folder)
    # day 1: 30 on the link; day 2 the link closes and they arrive back at A; day 3 it reopens
    # (a fresh link, as in Flee) and they set out again; day 4 they arrive.
    assert res.links["A->C"].tolist() == [0, 30, 0, 30, 0]
    assert res.locations["A"].tolist() == [0, 0, 30, 0, 0]
    assert res.locations["C"].tolist() == [0, 0, 0, 0, 30]


def test_full_camp_is_avoided_and_blocks_departures(tmp_path, write_scenario):
    # C holds 10 of its capacity 10 from day 0; D has no limit.
    locations = [("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                 ("C", "R", "Abroad", 0, 1, "camp", None, 10),
                 ("D", "R", "Abroad", 0, 2, "camp", None, 0)]
    camps = {"C": [("2020-01-01", 10)], "D": [("2020-01-01", 0)]}
    folder = write_scenario(tmp_path, locations=locations,
                            routes=[("A", "C", 50), ("A", "D", 400)],
                            refugees=daily(10, [25, 25, 0]), camps=camps, length=4,
                            settings=STILL_CAMPS)
    res = run(folder)
    assert res.locations["C"].tolist() == [10, 10, 10, 10]
    assert res.links["A->D"].tolist() == [0, 25, 25, 0]
    assert res.locations["D"].tolist() == [0, 0, 25, 50]
    # with only the full camp reachable, people stay where they are
    folder2 = write_scenario(tmp_path / "b", locations=locations[:2], routes=[("A", "C", 50)],
                             refugees=daily(10, [25, 25, 0]), camps={"C": camps["C"]},
                             length=4, settings=STILL_CAMPS)
    res2 = run(folder2)
    assert res2.locations["C"].tolist() == [10, 10, 10, 10]
    assert res2.locations["A"].tolist() == [0, 25, 50, 50]


def test_markers_are_pass_through_and_plans_span_days(tmp_path, write_scenario):
    locations = [("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                 ("M", "R", "Home", 0, 1, "marker", None, 0),
                 ("C", "R", "Abroad", 0, 2, "camp", None, 0)]
    folder = write_scenario(tmp_path, locations=locations,
                            routes=[("A", "M", 400), ("M", "C", 400)],
                            refugees=daily(0, [7, 0, 0, 0]), length=5, settings=STILL_CAMPS)
    res = run(folder)
    # day 1: 360 km on A->M; day 2: arrive at M (40 km used), follow the plan onto M->C (360 km);
    # day 3: arrive at C.
    assert res.links["A->M"].tolist() == [0, 7, 0, 0, 0]
    assert res.links["M->C"].tolist() == [0, 0, 7, 0, 0]
    assert res.locations["C"].tolist() == [0, 0, 0, 7, 7]
    assert res.locations["M"].tolist() == [0] * 5


def test_awareness_two_weighs_places_two_hops_away(tmp_path, write_scenario):
    # From A two equal towns; behind B1 lies a camp made 10x as attractive (camp_weight 10).
    locations = [("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                 ("B1", "R", "Home", 0, 1, "town", None, 0),
                 ("B2", "R", "Home", 0, -1, "town", None, 0),
                 ("C", "R", "Home", 0, 2, "camp", None, 0),
                 ("D", "R", "Home", 0, -2, "town", None, 0)]
    routes = [("A", "B1", 400), ("A", "B2", 400), ("B1", "C", 100), ("B2", "D", 100)]
    settings = {"move_rules": {"camp_weight": 10.0}}
    folder = write_scenario(tmp_path, locations=locations, routes=routes,
                            refugees=daily(0, [10000, 0]), length=3, settings=settings)
    for level, expected in ((1, 0.5), (2, (1 / 410 + 10 / 510) / (2 / 410 + 11 / 510))):
        res = run(folder, **{"move.awareness_level": level})
        via_b1 = res.links["A->B1"].iloc[1] / 10000
        assert res.links["A->B1"].iloc[1] + res.links["A->B2"].iloc[1] == 10000
        assert abs(via_b1 - expected) < 0.03, (level, via_b1, expected)


def test_awareness_zero_means_nobody_moves(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=daily(0, [10, 10]), length=3,
                            settings={"move_rules": {"awareness_level": 0}})
    res = run(folder)
    assert res.locations["A"].tolist() == [0, 10, 20]


def test_camps_as_sinks_remove_people(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0, 1.0)],
        location_attributes=["deactivation_probability"],
        routes=[("A", "C", 100)], refugees=daily(0, [10, 20, 0]), length=4,
        settings={"move_rules": {"camp_movechance": 0.0},
                  "spawn_rules": {"camps_are_sinks": True}})
    res = run(folder)
    assert res.removed.tolist() == [0, 10, 20, 0]
    assert res.locations["C"].tolist() == [0, 0, 0, 0]
    assert (res.total_present == res.total_spawned - np.cumsum(res.removed)).all()


def test_conflict_zone_switches_on_from_conflicts_csv(tmp_path, write_scenario):
    locations = [("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                 ("B", "R", "Home", 0, 1, "conflict_zone", 2, 1000),
                 ("C", "R", "Abroad", 0, 2, "camp", None, 0)]
    conflicts = {"A": [1, 1, 0, 0, 0], "B": [0, 0, 1, 1, 1]}
    folder = write_scenario(tmp_path, locations=locations,
                            routes=[("A", "C", 500), ("B", "C", 500)], conflicts=conflicts,
                            refugees=daily(0, [10] * 4), length=5, settings=STILL_CAMPS)
    res = run(folder)
    # A stops being a conflict zone on day 2 (its value was exactly 1 the day before); from
    # then on everyone spawns in B.
    assert res.links["A->C"].tolist() == [0, 10, 0, 0, 0]
    assert res.links["B->C"].tolist() == [0, 0, 10, 10, 10]


def test_hasten_scales_people_down(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 100)], refugees=daily(0, [100, 100]), length=3,
        settings={"move_rules": {"camp_movechance": 0.0}, "optimisations": {"hasten": 10}})
    res = run(folder)
    assert res.locations["C"].tolist() == [0, 10, 20]


def test_start_on_foot_walks_the_first_link(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 100)], refugees=daily(0, [5, 0, 0, 0, 0]), length=6,
        settings={"move_rules": {"camp_movechance": 0.0, "start_on_foot": True}})
    res = run(folder)
    # 35 km a day on foot: on the link after 35, 70 km; arrives on the third day (105 > 100)
    assert res.links["A->C"].tolist() == [0, 5, 5, 0, 0, 0]
    assert res.locations["C"].tolist() == [0, 0, 0, 5, 5, 5]


def test_link_speed_attribute(tmp_path, write_scenario):
    folder = write_scenario(
        tmp_path,
        locations=[("A", "R", "Home", 0, 0, "conflict_zone", 0, 1000),
                   ("C", "R", "Abroad", 0, 1, "camp", None, 0)],
        routes=[("A", "C", 100, 0, 40)], route_attributes=["max_move_speed"],
        refugees=daily(0, [5, 0, 0, 0]), length=5, settings=STILL_CAMPS)
    res = run(folder)
    assert res.locations["C"].tolist() == [0, 0, 0, 5, 5]


def _random_toy(tmp_path, write_scenario, rng: np.random.Generator, name: str):
    n_towns = int(rng.integers(1, 3))
    locs = [("A", "R", "Home", 0, 0, "conflict_zone", 0, 5000)]
    locs += [(f"T{i}", "R", "Home", 0, i + 1, "town", None, 100) for i in range(n_towns)]
    locs += [("C", "R", "Abroad", 1, 0, "camp", None, int(rng.integers(0, 400)))]
    names = [row[0] for row in locs]
    routes = [(names[i], names[i + 1], int(rng.integers(5, 700))) for i in range(len(names) - 1)]
    routes.append(("A", "C", int(rng.integers(5, 900))))
    inc = rng.integers(-30, 80, size=20).tolist()  # decreases exercise the refugee debt
    return write_scenario(tmp_path, name=name, locations=locs, routes=routes,
                          refugees=daily(300, inc),
                          camps={"C": [("2020-01-01", 20)]}, length=21,
                          settings={"spawn_rules": {"camps_are_sinks": bool(rng.integers(2))},
                                    "move_rules": {"awareness_level": int(rng.integers(1, 4)),
                                                   "start_on_foot": bool(rng.integers(2))}})


@pytest.mark.parametrize("case", range(8))
def test_people_are_conserved_every_day(tmp_path, write_scenario, case):
    rng = np.random.default_rng(case)
    folder = _random_toy(tmp_path, write_scenario, rng, f"toy{case}")
    res = run(folder, seed=case)
    present = res.total_present
    assert (present == res.total_spawned - np.cumsum(res.removed)).all()
    assert (res.location_population >= 0).all() and (res.link_population >= 0).all()


@pytest.mark.parametrize("case", range(3))
def test_same_seed_same_bytes_other_seed_differs(tmp_path, write_scenario, case):
    rng = np.random.default_rng(100 + case)
    folder = _random_toy(tmp_path, write_scenario, rng, f"toy{case}")
    a, b, c = run(folder, seed=7), run(folder, seed=7), run(folder, seed=8)
    assert a.out_csv_text() == b.out_csv_text()
    assert np.array_equal(a.location_population, b.location_population)
    assert np.array_equal(a.link_population, b.link_population)
    assert not (np.array_equal(a.location_population, c.location_population)
                and np.array_equal(a.link_population, c.link_population))



def test_saved_tables_hold_every_place_and_link_every_day(tmp_path, shared_flee_dir):
    """populations.parquet and flows.parquet (categorical names, built from integer codes) hold
    exactly the in-memory results, and `Results.load` reads them back."""
    import pandas as pd

    from borderflow.results import Results

    res = Simulation(load_scenario(shared_flee_dir / "mali"), seed=2).run()
    res.save(tmp_path / "out")
    tidy = pd.read_parquet(tmp_path / "out" / "populations.parquet")
    days, n_loc, n_link = res.days, len(res.location_names), len(res.link_names)
    assert len(tidy) == days * (n_loc + n_link)
    locs = tidy[tidy["kind"] == "location"]
    assert locs["name"].astype(str).tolist() == list(res.location_names) * days
    assert (locs["day"].to_numpy() == np.repeat(np.arange(days), n_loc)).all()
    assert (locs["population"].to_numpy() == res.location_population.reshape(-1)).all()
    links = tidy[tidy["kind"] == "link"]
    assert links["name"].astype(str).tolist() == list(res.link_names) * days
    assert (links["population"].to_numpy() == res.link_population.reshape(-1)).all()
    assert tidy["date"].iloc[-1] == pd.Timestamp(res.date_of(days - 1))
    flows = pd.read_parquet(tmp_path / "out" / "flows.parquet")
    assert flows["link"].astype(str).tolist() == list(res.link_names) * days
    assert (flows["arrivals"].to_numpy() == res.link_arrivals.reshape(-1)).all()
    back = Results.load(tmp_path / "out")
    assert back.location_names == tuple(res.location_names)
    assert back.link_names == tuple(res.link_names)
    assert (back.location_population == res.location_population).all()
    assert (back.link_arrivals == res.link_arrivals).all()
