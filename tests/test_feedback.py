"""Turn-back feedback (policies.yml ``feedback``): places' pull follows a border's success rate.

Toy: arrivals at hub M choose between two borders, strip F1 into country Far1 and strip F2
into Far2 (10 km each, awareness 1, so M's destinations are F1 and F2). Hubs have move chance 1,
camps 0, nobody walks back, so every count is exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from borderflow.engine import Simulation
from borderflow.policy import FEEDBACK_PRIOR, FeedbackMemory
from borderflow.scenario import ScenarioError, load_scenario
from borderflow.scenario.feedback import FEEDBACK_FIELDS

LOCATIONS = [
    ("M", "R", "Near", 0.0, 0.0, "forwarding_hub", None, 0),
    ("F1", "R", "Near", 0.0, 1.0, "forwarding_hub", None, 0),
    ("F2", "R", "Near", 1.0, 0.0, "forwarding_hub", None, 0),
    ("P1", "R", "Far1", 0.0, 2.0, "forwarding_hub", None, 0),
    ("P2", "R", "Far2", 2.0, 0.0, "forwarding_hub", None, 0),
    ("Q1", "R", "Far1", 0.0, 3.0, "camp", None, 0),
    ("Q2", "R", "Far2", 3.0, 0.0, "camp", None, 0),
]
ROUTES = [("M", "F1", 10), ("M", "F2", 10), ("F1", "P1", 10), ("F2", "P2", 10),
          ("P1", "Q1", 10), ("P2", "Q2", 10)]
SETTINGS = {"move_rules": {"camp_movechance": 0.0, "awareness_level": 1}}
NO_WAY_BACK = [{"from": a, "to": b, "start": 0} for a, b in
               (("F1", "M"), ("F2", "M"), ("P1", "F1"), ("P2", "F2"), ("Q1", "P1"), ("Q2", "P2"))]


def flights(per_day: int, until: str) -> list[dict]:
    return [{"origin": "O", "to": "M", "occupancy": 1.0,
             "seats_per_week": [{"from": "2020-01-01", "value": 7 * per_day},
                                {"from": until, "value": 0}]}]


def base_policies(tb1, *, feedback: list[dict], until: str = "2020-01-03",
                  per_day: int = 100) -> dict:
    return {
        "arrivals": flights(per_day, until),
        "crossings": [{"from": "F1", "to": "P1", "turnback_probability": tb1},
                      {"from": "F2", "to": "P2", "turnback_probability": 0.0}],
        # on day 0 only the way to F1 is open, so day 0's events are known exactly
        "blocks": [*NO_WAY_BACK, {"from": "M", "to": "F2", "start": 0, "end": "2020-01-02"}],
        "feedback": feedback,
    }


def write(tmp_path, write_scenario, policies: dict, length: int = 6, name: str = "fb"):
    return write_scenario(tmp_path, name=name, locations=LOCATIONS, routes=ROUTES,
                          conflicts=None, refugees=None, length=length, settings=SETTINGS,
                          policies=policies)


def test_blocked_border_loses_its_pull_after_the_first_turn_backs(tmp_path, write_scenario):
    # Far1 turns everyone back; its strip and places follow its success rate ** 50.
    pol = base_policies(1.0, until="2020-01-05", feedback=[
        {"crossings": "Far1", "places": ["F1", "P1", "Q1"], "half_life_days": 3, "power": 50}])
    res = Simulation(load_scenario(write(tmp_path, write_scenario, pol)), seed=1).run()
    ev = res.events
    k1, k2 = res.link_names.index("F1->P1"), res.link_names.index("F2->P2")
    # day 0: all 100 go to F1 (F2 closed) and are turned back; from day 1 success at Far1 is
    # (0 + 1) / (100 + 1), F1's weight 101 ** -50 and every later arrival goes to F2 and gets
    # in. The 100 at F1 keep trying (they cannot walk back).
    assert ev.attempts[:, k1].tolist() == [100] * 6
    assert ev.entries[:, k1].sum() == 0
    assert ev.entries[:, k2].tolist() == [0, 100, 100, 100, 0, 0]
    assert res.locations["Q2"].tolist() == [0, 100, 200, 300, 300, 300]
    assert res.locations["F1"].tolist() == [100] * 6


def test_without_feedback_arrivals_split_between_the_borders(tmp_path, write_scenario):
    # the same toy with power 0 (factor 1): later arrivals still go to F1 as well
    pol = base_policies(1.0, until="2020-01-05", feedback=[
        {"crossings": "Far1", "places": ["F1", "P1", "Q1"], "half_life_days": 3, "power": 0}])
    res = Simulation(load_scenario(write(tmp_path, write_scenario, pol)), seed=1).run()
    assert res.locations["F1"].iloc[-1] > 150
    assert res.locations["Q2"].iloc[-1] < 250


def test_factor_is_the_weighted_success_rate_to_the_power(tmp_path, write_scenario):
    # Far1 turns back everyone on days 0-1 and nobody from day 2; arrivals on days 0 and 1.
    # Day 0: 100 try F1, turned back. Day 1: factor (1 / 101) ** 2, so the 100 new arrivals go
    # to F2 (seeded: none of them picks F1); the 100 at F1 are turned back again. Day 2: they
    # all get through. No events afterwards. Success = (entries + 1) / (attempts + 1).
    tb = [{"from": "2020-01-01", "value": 1.0}, {"from": "2020-01-03", "value": 0.0}]
    h, p = 2.0, 2.0
    pol = base_policies(tb, feedback=[
        {"crossings": ["Far1"], "places": ["F1"], "half_life_days": h, "power": p},
        # the same memory, applied only from day 3 (power 1): factor 1 before
        {"crossings": "Far1", "places": ["Q1"], "half_life_days": h, "power": 1,
         "start": "2020-01-04"},
        # an open border: success 1 whatever the power
        {"crossings": "Far2", "places": ["F2"], "half_life_days": 1, "power": 7}])
    sim = Simulation(load_scenario(write(tmp_path, write_scenario, pol)), seed=1)
    res = sim.run()
    k1 = res.link_names.index("F1->P1")
    assert res.events.attempts[:, k1].tolist() == [100, 100, 100, 0, 0, 0]
    assert res.events.entries[:, k1].tolist() == [0, 0, 100, 0, 0, 0]
    d = 0.5 ** (1 / h)
    one = FEEDBACK_PRIOR
    assert one == 1.0
    a3 = 100 * (d * d + d + 1)  # attempts of days 0, 1, 2 seen on day 3
    success1, success2 = one / (100 + one), one / (100 * (d + 1) + one)
    # from day 3 the events fade, the never-fading success does not: back towards 1
    later = [(100 * d ** j + one) / (a3 * d ** j + one) for j in range(3)]
    assert later[0] < later[1] < later[2] < 1
    expected = [1.0, success1 ** p, success2 ** p, *(x ** p for x in later)]
    np.testing.assert_allclose(sim.feedback_factors[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(sim.feedback_factors[:, 1], [1, 1, 1, *later], rtol=1e-12)
    assert (sim.feedback_factors[:, 2] == 1.0).all()
    # the memory rebuilt from the recorded events gives the same factors (resume path)
    memory = FeedbackMemory(sim.policy)
    memory.catch_up(res.events.link_events, 4)
    np.testing.assert_allclose(memory.factors(4), sim.feedback_factors[4], rtol=1e-12)
    assert math.isclose(memory.attempts[0], d * a3) and math.isclose(memory.entries[0], d * 100)


def test_a_border_whose_first_attempts_all_failed_is_tried_again_as_the_news_fades(
        tmp_path, write_scenario):
    # Far1 turns back everyone on day 0 only, to the hub M, and nobody stays at F1. A success
    # rate of 0 / 100 would give F1 the factor 0 for ever: nobody would go there again, so
    # nothing could change its memory. With the one never-fading success the factor starts at
    # 1 / 101 and climbs back towards 1 as the turn-backs fade (half-life 1 day).
    tb = [{"from": "2020-01-01", "value": 1.0}, {"from": "2020-01-02", "value": 0.0}]
    pol = base_policies(tb, until="2020-01-11", feedback=[
        {"crossings": "Far1", "places": ["F1"], "half_life_days": 1, "power": 1}])
    pol["crossings"][0]["turnback_to"] = "M"
    sim = Simulation(load_scenario(write(tmp_path, write_scenario, pol, length=10)), seed=1)
    res = sim.run()
    k1 = res.link_names.index("F1->P1")
    assert res.events.attempts[0, k1] == 100 and res.events.entries[0, k1] == 0
    f = sim.feedback_factors[:, 0]
    assert f[1] == pytest.approx(1 / 101)
    assert res.events.entries[1:, k1].sum() > 100  # people go through Far1 again
    assert f[-1] > 0.9


def test_checkpoint_resume_gives_the_same_run(tmp_path, write_scenario):
    pol = base_policies(0.7, until="2020-01-12", per_day=40, feedback=[
        {"crossings": "Far1", "places": ["F1", "P1"], "half_life_days": 2, "power": 1.5}])
    folder = write(tmp_path, write_scenario, pol, length=12)
    ck = tmp_path / "ck.npz"
    full = Simulation(load_scenario(folder), seed=3).run(checkpoint=ck, checkpoint_every=5)
    assert ck.is_file()  # the day-10 state
    resumed = Simulation(load_scenario(folder), seed=3).run(checkpoint=ck, resume=True)
    np.testing.assert_array_equal(full.events.link_events, resumed.events.link_events)
    np.testing.assert_array_equal(full.location_population, resumed.location_population)


# -- bad input ---------------------------------------------------------------------------------

GOOD_ENTRY = """\
feedback:
  - crossings: Far1
    places: [F1, P1]
    half_life_days: 2
    power: 1.5
    start: 2020-01-02
"""
OTHER = yaml.safe_dump({k: v for k, v in base_policies(1.0, feedback=[]).items()
                        if k != "feedback"}, sort_keys=False)


def _bad_cases() -> list[tuple[str, str, str]]:
    """(policies text, position, words the message must hold), generated from the field table."""
    lines = GOOD_ENTRY.splitlines()
    cases = []
    for f in FEEDBACK_FIELDS:
        row = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{f.key}:"))
        col = lines[row].index(":") + 3
        for bad in (f.low - 1, f.high * 10, "'lots'", "true", ".nan", "$nope"):
            text = "\n".join([*lines[:row], f"    {f.key}: {bad}", *lines[row + 1:]]) + "\n"
            words = "unknown parameter" if bad == "$nope" else "expected a number"
            cases.append((text, f"policies.yml:{row + 1}:{col}", words))
    cases += [
        (GOOD_ENTRY.replace("half_life_days", "half_lfe_days"), "policies.yml:4:5",
         "did you mean 'half_life_days'"),
        (GOOD_ENTRY.replace("crossings: Far1", "crossings: Frr1"), "policies.yml:2:16",
         "did you mean 'Far1'"),
        (GOOD_ENTRY.replace("crossings: Far1", "crossings: [Far2, Fra1]"), "policies.yml:2:23",
         "unknown crossing group"),
        (GOOD_ENTRY.replace("[F1, P1]", "[F1, P9]"), "policies.yml:3:18", "unknown location"),
        (GOOD_ENTRY.replace("[F1, P1]", "[]"), "policies.yml:3:13", "expected a non-empty list"),
        (GOOD_ENTRY.replace("    power: 1.5\n", ""), "policies.yml:2:5", "missing key 'power'"),
        (GOOD_ENTRY + "    end: 2020-01-01\n", "policies.yml:7:10", "expected a later date"),
        ("feedback: {crossings: Far1}\n", "policies.yml:1:11", "expected a list"),
    ]
    return cases


@pytest.mark.parametrize(("text", "where", "words"), _bad_cases())
def test_bad_feedback_names_file_line_and_column(tmp_path, write_scenario, text, where, words):
    folder = write(tmp_path, write_scenario, {})
    (folder / "policies.yml").write_text(text + OTHER, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    message = str(err.value)
    assert where in message, message
    assert words in message, message
    # the reader's "missing key" message names the key only; every other one says "expected"
    assert "expected" in message or words.startswith("missing"), message


def test_good_feedback_entry_loads(tmp_path, write_scenario):
    folder = write(tmp_path, write_scenario, {})
    (folder / "policies.yml").write_text(GOOD_ENTRY + OTHER, encoding="utf-8")
    fb = load_scenario(folder).policies.feedback
    assert len(fb) == 1 and fb[0].groups == ("Far1",) and fb[0].places == ("F1", "P1")
    assert fb[0].half_life_days == 2 and fb[0].power == 1.5 and fb[0].start == 1
