"""Generated scenarios: valid, as requested, reproducible; and a day's work does not grow with
the number of people.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from borderflow.engine import Simulation
from borderflow.generate import GeneratorSpec, generate_scenario
from borderflow.network import compile_network
from borderflow.scenario import load_scenario

SMALL = GeneratorSpec(locations=40, links=60, conflict_zones=3, camps=5, people=20_000, days=40,
                      seed=7)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generated_scenario_loads_and_runs(tmp_path):
    folder = generate_scenario(tmp_path / "g", SMALL)
    sc = load_scenario(folder)
    assert sc.warnings == ()
    assert len(sc.locations) == 40 and len(sc.routes) == 60 and sc.length == 40
    kinds = Counter(loc.location_type for loc in sc.locations)
    assert kinds["conflict_zone"] == 3 and kinds["camp"] == 5
    assert sorted(sc.observed.camp_names) == sorted(
        loc.name for loc in sc.locations if loc.location_type == "camp")
    assert int(sc.observed.total[-1]) == 20_000
    res = Simulation(sc, seed=1).run()
    # everyone displaced is somewhere: in a place or on a link
    assert res.total_present[-1] == res.total_spawned[-1] == 20_000
    assert res.camps.iloc[-1].sum() > 0
    assert res.out_csv_text().startswith("Day,Date,Camp_00001 sim,")


def test_network_is_connected_with_distinct_routes(tmp_path):
    spec = GeneratorSpec(locations=300, links=450, conflict_zones=10, camps=20, people=1000,
                         days=5, seed=3)
    sc = load_scenario(generate_scenario(tmp_path / "g", spec))
    pairs = {frozenset((r.name1, r.name2)) for r in sc.routes}
    assert len(pairs) == len(sc.routes) == 450
    assert all(r.distance >= 1 for r in sc.routes)
    net = compile_network(sc)
    seen, todo = {0}, [0]
    while todo:
        i = todo.pop()
        for k in net.out_links[i]:
            j = int(net.link_dst[k])
            if j not in seen:
                seen.add(j)
                todo.append(j)
    assert len(seen) == 300


def test_same_seed_same_files_other_seed_differs(tmp_path):
    a = files(generate_scenario(tmp_path / "a", SMALL))
    b = files(generate_scenario(tmp_path / "b", SMALL))
    c = files(generate_scenario(tmp_path / "c", replace(SMALL, seed=8)))
    assert a == b
    assert a.keys() == c.keys() and a != c
    assert {"simsetting.yml", "input_csv/locations.csv", "input_csv/routes.csv",
            "input_csv/conflicts.csv", "input_csv/conflict_period.csv",
            "source_data/data_layout.csv", "source_data/refugees.csv"} <= a.keys()


@pytest.mark.parametrize(("change", "message"), [
    ({"links": 10}, "at least 39 links"),
    ({"links": 10_000}, "at most 780"),
    ({"conflict_zones": 30, "camps": 20}, "do not fit"),
    ({"days": 0}, "--days"),
    ({"camps": 0}, "at least one conflict zone and one camp"),
    ({"people": 10**12 + 1}, "at most 1,000,000,000,000"),  # the loader's limit on counts
])
def test_impossible_specs_are_refused(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        generate_scenario(tmp_path / "g", replace(SMALL, **change))


def test_generate_command(tmp_path):
    cmd = [sys.executable, "-m", "borderflow.cli", "generate", str(tmp_path / "g"),
           "--locations", "20", "--links", "30", "--conflict-zones", "2", "--camps", "3",
           "--people", "500", "--days", "10", "--seed", "4"]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "g" / "input_csv" / "routes.csv").is_file()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "not an empty folder" in again.stderr
    bad = subprocess.run([*cmd[:4], str(tmp_path / "h"), "--locations", "20", "--links", "5"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("link_km", [100.0, 300.0])
def test_work_per_day_does_not_grow_with_people(tmp_path, link_km):
    """Groups are keyed by what rules read (place, plan, class; on links: link, km done; in
    chained hops: km used today), never by person. Once a population fills every such key the
    network reaches, 1000 times more people make bigger counts, not more groups or cohorts."""
    work = []
    for people in (20_000_000, 20_000_000_000):
        spec = GeneratorSpec(locations=12, links=18, conflict_zones=2, camps=3, people=people,
                             days=60, seed=5, link_km=link_km)
        sim = Simulation(load_scenario(generate_scenario(tmp_path / f"p{people}", spec)), seed=1)
        res = sim.run()
        assert res.total_present[-1] == people
        work.append(sim.stats.astype(float))
    few, many = work
    # chain rounds, chained groups, cohorts moved, groups drawing departures
    assert np.all(many <= 1.25 * few + 10), (few, many)
    days, n_states, n_classes = 60, 12, sim.classes.n
    assert many[3] <= days * n_states * n_classes


def test_run_out_csv_only_writes_the_same_out_csv(tmp_path):
    folder = generate_scenario(tmp_path / "g", replace(SMALL, days=15))
    base = [sys.executable, "-m", "borderflow.cli", "run", str(folder), "--seed", "3", "--quiet"]
    lean = subprocess.run([*base, "--out", str(tmp_path / "lean"), "--out-csv-only"],
                          capture_output=True, text=True, timeout=300)
    full = subprocess.run([*base, "--out", str(tmp_path / "full")],
                          capture_output=True, text=True, timeout=300)
    assert lean.returncode == 0 and full.returncode == 0, lean.stderr + full.stderr
    assert sorted(p.name for p in (tmp_path / "lean").iterdir()) == ["out.csv"]
    assert (tmp_path / "lean" / "out.csv").read_bytes() == \
        (tmp_path / "full" / "out.csv").read_bytes()
