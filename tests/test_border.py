"""Border mechanics on toy networks with exact counts: scheduled arrivals, crossings with
turn-backs and repeated attempts, daily crossing capacity, detention, returns, exposure."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from borderflow.engine import Simulation
from borderflow.scenario import ScenarioError, load_scenario

# M: arrival hub; F: forest strip on the near side of the border; P: first place across it;
# Q: a camp further on. Hubs have move chance 1, the camp 0, so every count is exact.
LOCATIONS = [
    ("M", "R", "Near", 0.0, 0.0, "forwarding_hub", None, 0),
    ("F", "R", "Near", 0.0, 1.0, "forwarding_hub", None, 0),
    ("P", "R", "Far", 0.0, 2.0, "forwarding_hub", None, 0),
    ("Q", "R", "Far", 0.0, 3.0, "camp", None, 0),
]
ROUTES = [("M", "F", 50), ("F", "P", 10), ("P", "Q", 10)]
SETTINGS = {"move_rules": {"camp_movechance": 0.0}}
BLOCK_RETURN = [{"from": "F", "to": "M", "start": 0}, {"from": "P", "to": "F", "start": 0},
                {"from": "Q", "to": "P", "start": 0}]


def scenario(tmp_path, write_scenario, policies: dict, length: int = 8, name: str = "b"):
    return write_scenario(tmp_path, name=name, locations=LOCATIONS, routes=ROUTES,
                          conflicts=None, refugees=None, length=length, settings=SETTINGS,
                          policies=policies)


def run(folder, seed: int = 1, **params):
    return Simulation(load_scenario(folder, parameters=params or None), seed=seed).run()


def flights(per_day: int, until: str | None = None) -> list[dict]:
    steps = [{"from": "2020-01-01", "value": 7 * per_day}]
    if until:
        steps.append({"from": until, "value": 0})
    return [{"origin": "Origin-A", "to": "M", "seats_per_week": steps, "occupancy": 1.0}]


def test_turned_back_twice_then_through_on_the_third_attempt(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(100, until="2020-01-02"),  # 100 people arrive on day 0 only
        "crossings": [{"from": "F", "to": "P",
                       "turnback_probability": [{"from": "2020-01-01", "value": 1.0},
                                                {"from": "2020-01-03", "value": 0.0}]}],
        "blocks": BLOCK_RETURN,
    }
    res = run(scenario(tmp_path, write_scenario, pol))
    ev = res.events
    k = res.link_names.index("F->P")
    # day 0: arrive at M, reach F (chained), first attempt, turned back; day 1: second attempt,
    # turned back; day 2: third attempt gets through, on to Q the same day.
    assert ev.attempts[:4, k].tolist() == [100, 100, 100, 0]
    assert ev.turnbacks[:4, k].tolist() == [100, 100, 0, 0]
    assert ev.entries[:4, k].tolist() == [0, 0, 100, 0]
    assert res.locations["F"].tolist()[:3] == [100, 100, 0]
    assert res.locations["Q"].tolist()[:4] == [0, 0, 100, 100]
    # stranded = people who have tried at least once, standing there
    assert ev.stranded[:3, res.location_names.index("F")].tolist() == [100, 100, 0]
    assert res.spawned[0] == 100 and res.spawned[1:].sum() == 0
    assert ev.arrivals_by_origin[:, res.origins.index("Origin-A")].sum() == 100


def test_give_up_after_attempts_stops_crossing(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(10, until="2020-01-02"),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 1.0}],
        "attempts": {"give_up_after": 3},
        "blocks": BLOCK_RETURN,
    }
    res = run(scenario(tmp_path, write_scenario, pol))
    k = res.link_names.index("F->P")
    # three attempts (days 0, 1, 2), then they give up and stay at F for good
    assert res.events.attempts[:, k].tolist() == [10, 10, 10, 0, 0, 0, 0, 0]
    assert res.locations["F"].tolist() == [10] * 8


def test_giving_up_on_one_border_then_trying_another(tmp_path, write_scenario):
    locations = [*LOCATIONS, ("R", "R", "Other", 1.0, 1.0, "forwarding_hub", None, 0),
                 ("S", "R", "Other", 1.0, 2.0, "camp", None, 0)]
    routes = [*ROUTES, ("F", "R", 10), ("R", "S", 10)]
    folder = write_scenario(tmp_path, name="two", locations=locations, routes=routes,
                            conflicts=None, refugees=None, length=6, settings=SETTINGS)
    pol = {
        "arrivals": flights(10, until="2020-01-02"),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 1.0},
                      {"from": "F", "to": "R", "turnback_probability": 0.0}],
        "attempts": {"give_up_after": 2},
        "blocks": [*BLOCK_RETURN, {"from": "R", "to": "F", "start": 0},
                   {"from": "F", "to": "R", "start": 0, "end": "2020-01-04"}],
    }
    (folder / "policies.yml").write_text(yaml.safe_dump(pol, sort_keys=False), encoding="utf-8")
    res = run(folder)
    far, other = res.link_names.index("F->P"), res.link_names.index("F->R")
    # two attempts into Far (days 0, 1), then they give up on it and wait: the way into Other
    # opens on day 3 and they all get through there.
    assert res.events.attempts[:, far].tolist() == [10, 10, 0, 0, 0, 0]
    assert res.events.entries[:, other].tolist() == [0, 0, 0, 10, 0, 0]
    assert res.locations["S"].tolist() == [0, 0, 0, 10, 10, 10]


def test_daily_capacity_makes_a_queue(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(100, until="2020-01-02"),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 0.0,
                       "capacity_per_day": 30}],
        "blocks": BLOCK_RETURN,
    }
    res = run(scenario(tmp_path, write_scenario, pol))
    k = res.link_names.index("F->P")
    assert res.events.attempts[:5, k].tolist() == [30, 30, 30, 10, 0]
    assert res.events.entries[:5, k].tolist() == [30, 30, 30, 10, 0]
    assert res.locations["F"].tolist()[:5] == [70, 40, 10, 0, 0]
    assert res.locations["Q"].tolist()[:5] == [30, 60, 90, 100, 100]


def test_detention_holds_for_fixed_days_then_releases(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(20, until="2020-01-02"),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 0.0}],
        "detention": [{"location": "P", "days": {"fixed": 3}}],
        "blocks": BLOCK_RETURN,
    }
    res = run(scenario(tmp_path, write_scenario, pol))
    p = res.location_names.index("P")
    # arrive at P on day 0, held the nights of days 0, 1, 2, released and move on day 3
    assert res.events.detained[:5, p].tolist() == [20, 20, 20, 0, 0]
    assert res.locations["P"].tolist()[:5] == [20, 20, 20, 0, 0]
    assert res.locations["Q"].tolist()[:5] == [0, 0, 0, 20, 20]


def test_detention_with_removal_deports_on_release(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(20, until="2020-01-02"),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 0.0}],
        "detention": [{"location": "P", "days": {"fixed": 2}, "removal_probability": 1.0}],
        "blocks": BLOCK_RETURN,
    }
    res = run(scenario(tmp_path, write_scenario, pol))
    p = res.location_names.index("P")
    assert res.events.removed[:4, p].tolist() == [0, 0, 20, 0]
    assert res.locations["Q"].sum() == 0
    assert (res.total_present == res.total_spawned - np.cumsum(res.removed)).all()


def test_return_flight_takes_those_who_gave_up_first(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(50, until="2020-01-03"),  # 50 on day 0 and 50 on day 1
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 1.0}],
        "attempts": {"give_up_after": 2},
        "blocks": BLOCK_RETURN,
        "returns": {"flights": [{"from": "F", "date": "2020-01-02", "seats": 60}]},
    }
    res = run(scenario(tmp_path, write_scenario, pol))
    f = res.location_names.index("F")
    # after day 1: day-0 people have 2 attempts (gave up), day-1 people 1; the flight on day 1
    # takes the 50 who gave up first, then 10 of the others.
    assert res.events.removed[:, f].tolist() == [0, 60, 0, 0, 0, 0, 0, 0]
    assert res.locations["F"].tolist()[:3] == [50, 40, 40]
    assert res.events.removed_by_origin[:, res.origins.index("Origin-A")].sum() == 60


def test_voluntary_return_rate_one_removes_everyone_there(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(10, until="2020-01-03"),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 1.0}],
        "blocks": BLOCK_RETURN,
        "returns": {"voluntary": [{"location": "F", "rate": 1.0, "start": "2020-01-02"}]},
    }
    res = run(scenario(tmp_path, write_scenario, pol))
    f = res.location_names.index("F")
    assert res.events.removed[:3, f].tolist() == [0, 20, 0]
    assert res.locations["F"].tolist()[:3] == [10, 0, 0]


def test_exposed_person_nights_and_nights_below_zero(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(10, until="2020-01-04"),  # days 0, 1, 2
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 1.0}],
        "blocks": BLOCK_RETURN,
        "zones": {"exposed": ["F"], "temperature": [{"from": "2020-01-01", "value": 3.0},
                                                    {"from": "2020-01-03", "value": -4.0}]},
    }
    res = run(scenario(tmp_path, write_scenario, pol, length=5))
    assert res.events.exposed_nights.tolist() == [10, 20, 30, 30, 30]
    assert res.events.exposed_below_zero.tolist() == [0, 0, 30, 30, 30]


def test_parameters_are_referenced_and_overridden(tmp_path, write_scenario):
    pol = {
        "parameters": {"tb": 1.0},
        "arrivals": flights(10, until="2020-01-02"),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": "$tb"}],
        "blocks": BLOCK_RETURN,
    }
    folder = scenario(tmp_path, write_scenario, pol)
    k_through = run(folder).events.entries.sum()
    assert k_through == 0
    assert run(folder, tb=0.0).events.entries.sum() == 10


def test_temperature_file_with_bad_bytes_is_reported(tmp_path, write_scenario):
    folder = scenario(tmp_path, write_scenario,
                      {"zones": {"exposed": ["F"], "temperature": {"file": "temp.csv"}}})
    (folder / "temp.csv").write_bytes(b"date,value\n2020-01-01,3\n2020-01-02,\xff\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert "temp.csv:3:" in str(err.value) and "UTF-8" in str(err.value)


def test_attempts_equal_entries_plus_turnbacks_and_people_conserved(tmp_path, write_scenario):
    pol = {
        "arrivals": flights(37),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 0.6,
                       "capacity_per_day": 25}],
        "attempts": {"give_up_after": 4, "give_up_after_days": 3},
        "detention": [{"location": "P", "days": {"uniform": [1, 4]}, "capacity": 40,
                       "removal_probability": 0.3}],
        "returns": {"voluntary": [{"location": "F", "rate": 0.05, "only_gave_up": True}],
                    "flights": [{"from": "M", "date": "2020-01-05", "seats": 15}]},
    }
    for seed in range(5):
        res = run(scenario(tmp_path, write_scenario, pol, length=20, name=f"s{seed}"), seed=seed)
        ev = res.events
        assert (ev.attempts == ev.entries + ev.turnbacks).all()
        assert (res.total_present == res.total_spawned - np.cumsum(res.removed)).all()
        assert (res.location_population >= 0).all()
        assert ev.attempts.sum() > 0 and ev.turnbacks.sum() > 0


@pytest.mark.parametrize(("policies", "where"), [
    ({"crossings": [{"from": "F", "to": "Nowhere", "turnback_probability": 0.5}]},
     "policies.yml:3:7"),
    ({"crossings": [{"from": "F", "to": "P", "turnback_probability": 1.5}]},
     "policies.yml:4:25"),
    ({"attempts": {"give_up_aftr": 3}}, "policies.yml:2:3"),
    ({"blocks": [{"from": "F", "to": "M", "start": "2020-13-01"}]}, "policies.yml:4:10"),
    ({"zones": {"exposed": ["F"], "temperature": [{"from": "2020-01-05", "value": 1},
                                                   {"from": "2020-01-02", "value": 2}]}},
     "policies.yml:7:11"),
    ({"detention": [{"location": "P", "days": {"pmf": [0.5, 0.4]}}]}, "policies.yml:5:5"),
    ({"detention": [{"location": "P", "days": {"pmff": [1.0]}}]}, "policies.yml:4:5"),
    ({"zones": {"temperature": {"file": "../outside.csv"}}}, "policies.yml:3:11"),
])
def test_bad_policies_name_file_line_and_column(tmp_path, write_scenario, policies, where):
    folder = scenario(tmp_path, write_scenario, policies)
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert where in str(err.value)
    assert "expected" in str(err.value)


def test_block_outlasts_a_location_closure_of_its_end(tmp_path, write_scenario):
    # P is closed (closures.csv, a location) on days 0-1 and reopens on day 2; the policy block
    # P -> F holds from day 0 for good. Reopening P must reopen F -> P only: once across, the
    # people stay at P (no open way on), they do not walk back along the blocked direction.
    folder = write_scenario(tmp_path, name="blk", locations=LOCATIONS[:3], routes=ROUTES[:2],
                            closures=[("location", "P", "", 0, 2)], conflicts=None,
                            refugees=None, length=8, settings=SETTINGS,
                            policies={"arrivals": flights(10, until="2020-01-02"),
                                      "blocks": [{"from": "F", "to": "M", "start": 0},
                                                 {"from": "P", "to": "F", "start": 0}]})
    res = run(folder)
    back = res.link_names.index("P->F")
    assert res.locations["F"].tolist()[:2] == [10, 10]  # waiting while P is closed
    assert res.locations["P"].tolist()[2:] == [10] * 6
    assert res.events.link_events[:, 3, back].sum() == 0


def test_scaled_series_and_a_target_adding_series(tmp_path, write_scenario):
    # 10 a day arrive and try F -> P, half turned back: a series of entries scaled by a
    # parameter is entries times that number (floats), and an observed target can add it to
    # the turn-backs (a count of turn-backs plus apprehensions)
    from borderflow.observed import Target, compare
    from borderflow.outputs import series_table

    pol = {
        "parameters": {"share": 0.25},
        "arrivals": flights(10),
        "crossings": [{"from": "F", "to": "P", "turnback_probability": 0.5}],
        "blocks": BLOCK_RETURN,
        "series": [{"name": "ent", "measure": "entries", "into_country": "Far"},
                   {"name": "tb", "measure": "turnbacks", "into_country": "Far"},
                   {"name": "held", "measure": "entries", "into_country": "Far",
                    "scale": "$share"}],
    }
    folder = scenario(tmp_path, write_scenario, pol, length=12)
    sc = load_scenario(folder)
    daily = series_table(Simulation(sc, seed=2).run(), sc.policies.series)
    wide = daily.pivot(index="date", columns="series", values="value")
    assert wide["ent"].sum() > 0 and wide["tb"].sum() > 0
    np.testing.assert_allclose(wide["held"], 0.25 * wide["ent"])
    (tmp_path / "obs").mkdir()
    last = wide.index[-1]
    (tmp_path / "obs" / "o.csv").write_text(f"date,v\n{last},1\n", encoding="utf-8")
    t = Target("t", "o.csv", "v", "tb", "cumulative", plus=("held",))
    c = compare(daily, t, tmp_path / "obs")
    assert c.simulated[0] == pytest.approx(wide["tb"].sum() + 0.25 * wide["ent"].sum())
    with pytest.raises(ValueError, match="no simulated series"):
        compare(daily, Target("t", "o.csv", "v", "tb", "cumulative", plus=("nope",)),
                tmp_path / "obs")
    bad = {**pol, "series": [{"name": "x", "measure": "entries", "scale": -1}]}
    with pytest.raises(ScenarioError):
        load_scenario(scenario(tmp_path, write_scenario, bad, name="bad"))


def test_attractiveness_at_applies_only_to_choices_made_there(tmp_path, write_scenario):
    # people arrive at two hubs, M and N, each linked to two camps A and B at the same distance;
    # A is made very attractive for choices made at M only (`at`), from day 2 on
    locations = [("M", "R", "X", 0.0, 0.0, "forwarding_hub", None, 0),
                 ("N", "R", "X", 1.0, 0.0, "forwarding_hub", None, 0),
                 ("A", "R", "X", 0.0, 1.0, "camp", None, 0),
                 ("B", "R", "X", 1.0, 1.0, "camp", None, 0)]
    routes = [("M", "A", 10), ("M", "B", 10), ("N", "A", 10), ("N", "B", 10)]
    folder = write_scenario(tmp_path, name="at", locations=locations, routes=routes,
                            conflicts=None, refugees=None, length=4, settings=SETTINGS)

    def pol(at):
        return {"arrivals": [{"origin": o, "to": hub, "occupancy": 1.0,
                              "seats_per_week": [{"from": "2020-01-01", "value": 7000}]}
                             for o, hub in (("O-M", "M"), ("O-N", "N"))],
                "attractiveness": [{"locations": ["A"], "factor": 1e6, "start": "2020-01-03",
                                    **({"at": at} if at else {})}]}

    def to_b(res, day):  # people who went from each hub to B on `day`
        ka, kb = res.link_names.index("M->B"), res.link_names.index("N->B")
        return int(res.link_arrivals[day, ka]), int(res.link_arrivals[day, kb])

    (folder / "policies.yml").write_text(yaml.safe_dump(pol(["M"]), sort_keys=False),
                                         encoding="utf-8")
    res = run(folder)
    m_b, n_b = to_b(res, 1)  # before the factor applies, both hubs split about evenly
    assert 400 < m_b < 600 and 400 < n_b < 600
    m_b, n_b = to_b(res, 3)
    assert m_b < 5 and 400 < n_b < 600  # only the choices made at M follow the factor
    (folder / "policies.yml").write_text(yaml.safe_dump(pol(None), sort_keys=False),
                                         encoding="utf-8")
    m_b, n_b = to_b(run(folder), 3)
    assert m_b < 5 and n_b < 5  # without `at` the factor applies to every choice
