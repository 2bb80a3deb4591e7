"""Loading Flee scenario folders: the real scenarios, every layout, bad input of every kind.

Each bad-input test checks the exact ``file:line:column`` of the problem reported, because that
is what a user needs to find and fix it.
"""

from __future__ import annotations

import random
import shutil
import sys
import types
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from borderflow.scenario.errors import Problem, ScenarioError
from borderflow.scenario.flee_format import classify_location_type, load_scenario

MALI_LIKE = [
    ("Kidal", "Kidal", "Mali", 18.4, 1.4, "conflict_zone", 0, 25617),
    ("Mopti", "Mopti", "Mali", 14.5, -4.2, "town", None, 148456),
    ("Mentao", "Soum", "Burkina_Faso", 13.8, -1.6, "camp", None, 10000),
]
MALI_ROUTES = [("Kidal", "Mopti", 500), ("Mopti", "Mentao", 360)]


def problems(folder: Path, **kwargs) -> list[str]:
    """The problems `load_scenario` reports, as ``file:line:column: message`` strings."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder, **kwargs)
    return [str(p) for p in info.value.problems]


def one_problem(folder: Path, **kwargs) -> str:
    found = problems(folder, **kwargs)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def fake_series(monkeypatch):
    """Replace the UNHCR series loader by a recorder, so geography tests need no real series."""
    calls: list[tuple] = []

    def load_observed(source_dir, start_date, n_days, corrections=None, **kwargs):
        calls.append((source_dir, start_date, n_days, corrections, kwargs))
        return None

    module = types.ModuleType("borderflow.scenario.series")
    module.load_observed = load_observed
    monkeypatch.setitem(sys.modules, "borderflow.scenario.series", module)
    return calls


# ---------------------------------------------------------------------------------------------
# The real scenarios

REAL = {
    # name: (locations, routes, closures, start, length, conflict columns kept, camps)
    "mali": (23, 35, 2, date(2012, 2, 29), 300, 23, 7),
    "burundi": (30, 41, 2, date(2015, 5, 1), 396, 30, 5),
    "car": (63, 86, 2, date(2013, 12, 1), 820, 63, 14),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_scenario_geography(shared_flee_dir, fake_series, name):
    n_loc, n_routes, n_closures, start, length, n_conf, n_camps = REAL[name]
    scenario = load_scenario(shared_flee_dir / name)
    assert scenario.name == name
    assert scenario.path == (shared_flee_dir / name).resolve()
    assert len(scenario.locations) == n_loc
    assert len(scenario.routes) == n_routes
    assert len(scenario.closures) == n_closures
    assert (scenario.start_date, scenario.length) == (start, length)
    assert scenario.conflicts is not None
    assert scenario.conflicts.values.shape == (length, n_conf)
    camps = [loc for loc in scenario.locations
             if classify_location_type(loc.location_type) in ("camp", "idpcamp")]
    assert len(camps) == n_camps
    assert scenario.settings.move.conflict_weight == 0.25
    (source_dir, start_date, n_days, corrections, kwargs), = fake_series
    assert source_dir == scenario.path / "source_data"
    assert (start_date, n_days) == (start, length)
    assert corrections == scenario.path / "input_csv" / "registration_corrections.csv"
    assert kwargs == {"hasten": 1, "sum_from_camps": False, "insert_day0": True,
                      "root": scenario.path}


def test_real_scenario_details(shared_flee_dir, fake_series):
    mali = load_scenario(shared_flee_dir / "mali")
    kidal = mali.locations[0]
    assert (kidal.name, kidal.country, kidal.location_type, kidal.conflict_date) == (
        "Kidal", "Mali", "conflict_zone", 0)
    assert kidal.population == 25617
    assert mali.routes[0].name1 == "Douentza" and mali.routes[0].distance == 487.0
    assert mali.closures[0].closure_type == "country"
    assert (mali.closures[0].name2, mali.closures[0].end) == ("Burkina_Faso", 22)
    assert mali.warnings == ()

    burundi = load_scenario(shared_flee_dir / "burundi")
    # Flee ignores conflict columns that are not locations; so do we, but say so.
    assert any("'Isale'" in w for w in burundi.warnings)
    assert any("'Gitega-Ruyigi'" in w for w in burundi.warnings)
    assert "Isale" not in burundi.conflicts.names
    # remove_forced_redirection may end (0) before it starts (101).
    assert burundi.closures[1].closure_type == "remove_forced_redirection"
    assert (burundi.closures[1].start, burundi.closures[1].end) == (101, 0)
    nduta = next(r for r in burundi.routes if (r.name1, r.name2) == ("Nduta", "Nyarugusu"))
    assert nduta.forced_redirection == 2  # routes.csv has CRLF line ends

    car = load_scenario(shared_flee_dir / "car")  # header is #"name","region",...
    assert car.locations[0].name == "Bangui"
    mbaiki = next(loc for loc in car.locations if loc.name == "Mbaiki")
    assert mbaiki.population == 0  # empty population cell
    assert any("'Bossobolo'" in w and "data_layout.csv:10:1" in w for w in car.warnings)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_scenario_with_observed_data(shared_flee_dir, name):
    pytest.importorskip("borderflow.scenario.series")
    scenario = load_scenario(shared_flee_dir / name)
    assert scenario.observed is not None
    assert scenario.observed.total.shape[0] >= scenario.length


# ---------------------------------------------------------------------------------------------
# Valid toy scenarios, layouts and encodings


def test_toy_scenario_defaults(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    scenario = load_scenario(folder)
    assert scenario.name == "toy"
    assert [loc.name for loc in scenario.locations] == ["A", "B", "C"]
    assert scenario.locations[1].conflict_date is None
    assert [(r.name1, r.name2, r.distance) for r in scenario.routes] == [
        ("A", "B", 100.0), ("B", "C", 100.0)]
    assert scenario.closures == ()
    assert scenario.conflicts.names == ("A",)
    np.testing.assert_array_equal(scenario.conflicts.values, np.ones((10, 1)))
    assert (scenario.start_date, scenario.length) == (date(2020, 1, 1), 10)
    assert scenario.observed is None
    assert scenario.warnings == ()


def test_toy_scenario_with_source_data(tmp_path, write_scenario, fake_series):
    folder = write_scenario(tmp_path, settings={"optimisations": {"hasten": 2},
                                                "spawn_rules": {"insert_day0": False}})
    load_scenario(folder)
    (source_dir, _, _, corrections, kwargs), = fake_series
    assert source_dir == folder.resolve() / "source_data"
    assert corrections is None
    assert kwargs == {"hasten": 2, "sum_from_camps": False, "insert_day0": False,
                      "root": folder.resolve()}


def test_toy_scenario_with_real_series(tmp_path, write_scenario):
    pytest.importorskip("borderflow.scenario.series")
    scenario = load_scenario(write_scenario(tmp_path))
    assert scenario.observed is not None
    assert scenario.observed.camp_names == ("C",)


@pytest.mark.parametrize("layout", ["sim_period", "flat"])
def test_other_layouts(tmp_path, write_scenario, fake_series, layout):
    folder = write_scenario(tmp_path, layout=layout, length=7)
    scenario = load_scenario(folder)
    assert scenario.length == 7 and len(scenario.locations) == 3
    expected_source = folder.resolve() / ("source_data" if layout != "flat" else "")
    assert fake_series[0][0] == expected_source


def test_flat_layout_with_source_data_folder(tmp_path, write_scenario, fake_series):
    folder = write_scenario(tmp_path, layout="flat")
    (folder / "source_data").mkdir()
    for name in ("data_layout.csv", "refugees.csv", "c.csv"):
        (folder / name).rename(folder / "source_data" / name)
    load_scenario(folder)
    assert fake_series[0][0] == folder.resolve() / "source_data"


def test_flat_layout_error_paths(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, layout="flat", routes=[("A", "B", -4)], refugees=None)
    assert one_problem(folder).startswith("routes.csv:2:3: distance '-4'")


def test_bom_and_quoted_header(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    path = folder / "input_csv" / "locations.csv"
    text = path.read_text().replace("#name,region,country", '#"name","region","country"', 1)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    scenario = load_scenario(folder)
    assert scenario.locations[0].name == "A"
    assert scenario.warnings == ()


def test_crlf_line_endings(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    for path in (folder / "input_csv").iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert len(load_scenario(folder).routes) == 2
    routes = folder / "input_csv" / "routes.csv"
    routes.write_bytes(routes.read_bytes() + b"B,A,0,0\r\n")
    assert one_problem(folder).startswith("input_csv/routes.csv:4:3: distance '0' is not valid")


def test_header_without_hash_is_a_header(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    path = folder / "input_csv" / "locations.csv"
    path.write_text(path.read_text().replace("#name", "name", 1))
    routes = folder / "input_csv" / "routes.csv"
    routes.write_text(routes.read_text().replace("#name1", "name1", 1))
    scenario = load_scenario(folder)
    assert len(scenario.locations) == 3 and len(scenario.routes) == 2
    assert any(w.startswith("input_csv/locations.csv:1: header row has no leading '#'")
               for w in scenario.warnings)
    assert any(w.startswith("input_csv/routes.csv:1: header") for w in scenario.warnings)


def test_location_cells(tmp_path, write_scenario):
    locations = [
        ("A", "R", "Home", 1, 2, "conflict_zone", 0, "1234.0", "0.5"),
        ("B", "R", "", 1, 2, "Town", None, None, None),
        ("C", "R", "Away", 1, 2, "idpcamp", "", 10, None),
        ("D", "R", "Away", 1, 2, "forwarding_hub", 3, 0, None),
        ("E", "R", "Away", 1, 2, "marker", None, 0, None),
        ("F", "R", "Away", 1, 2, "flood_zone", None, 0, None),
    ]
    folder = write_scenario(tmp_path, locations=locations, location_attributes=[
        "conflict_intensity"], routes=[("A", "B", 1), ("B", "C", 2)], refugees=None)
    scenario = load_scenario(folder)
    a, b, c, d, _, _ = scenario.locations
    assert a.population == 1234 and a.attributes == {"conflict_intensity": "0.5"}
    assert b.population == 0 and b.country == "unknown" and b.attributes == {}
    assert c.conflict_date is None and d.conflict_date == 3
    kinds = [classify_location_type(loc.location_type) for loc in scenario.locations]
    assert kinds == ["conflict", "town", "idpcamp", "forward", "marker", "flood"]


def test_route_attributes_and_forced_redirection(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, routes=[("A", "B", 100, "", 200, 0.5), ("B", "C", 5.5, 1)],
                            route_attributes=["max_move_speed", "walk_probability"],
                            refugees=None)
    ab, bc = load_scenario(folder).routes
    assert ab.forced_redirection == 0
    assert ab.attributes == {"max_move_speed": "200", "walk_probability": "0.5"}
    assert (bc.distance, bc.forced_redirection, bc.attributes) == (5.5, 1, {})


def test_conflicts_header_with_spaces_and_trailing_comma(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, conflicts=None, length=3, refugees=None)
    (folder / "input_csv" / "conflicts.csv").write_text(
        "#Day, A, Nowhere, B,\n0, 1, 5, 0\n1, 1, 5, 0\n2, 0, 5, 2\n")
    scenario = load_scenario(folder)
    assert scenario.conflicts.names == ("A", "B")
    np.testing.assert_array_equal(scenario.conflicts.values, [[1, 0], [1, 0], [0, 2]])
    assert scenario.warnings == (
        "input_csv/conflicts.csv:1:3: 'Nowhere' is not a location in input_csv/locations.csv;"
        " column ignored, as Flee does",)


def test_closures(tmp_path, write_scenario):
    closures = [("country", "Home", "Abroad", 0, -1), ("location", "B", "", 2, 5),
                ("link", "A", "B", 1, 1), ("camp", "C", "", 3, 4),
                ("remove_forced_redirection", "B", "C", 5, 0)]
    scenario = load_scenario(write_scenario(tmp_path, closures=closures, refugees=None))
    assert [c.closure_type for c in scenario.closures] == [c[0] for c in closures]
    assert scenario.closures[0].end == -1


# ---------------------------------------------------------------------------------------------
# Bad input: one problem each, at an exact place


def test_missing_required_files(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    (folder / "input_csv" / "routes.csv").unlink()
    (folder / "input_csv" / "conflict_period.csv").unlink()
    found = problems(folder)
    assert len(found) == 2
    assert found[0].startswith("input_csv/conflict_period.csv: file not found (expected rows")
    assert found[1].startswith("input_csv/routes.csv: file not found (expected one row per link")


def test_missing_source_data_file(tmp_path, write_scenario):
    folder = write_scenario(tmp_path)
    (folder / "source_data" / "c.csv").unlink()
    assert one_problem(folder) == ("source_data/data_layout.csv:2:2: data file 'c.csv' not "
                                   "found (expected a file in source_data/)")
    (folder / "source_data" / "data_layout.csv").unlink()
    assert one_problem(folder).startswith("source_data/data_layout.csv: file not found")


def test_scenario_folder_missing(tmp_path):
    with pytest.raises(ScenarioError, match="scenario folder not found"):
        load_scenario(tmp_path / "nope")


def test_directory_where_a_file_should_be(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    (folder / "input_csv" / "closures.csv").unlink()
    (folder / "input_csv" / "closures.csv").mkdir()
    assert one_problem(folder).startswith("input_csv/closures.csv: is a directory")


def test_empty_file(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None, conflicts=None)
    (folder / "input_csv" / "locations.csv").write_text("")
    found = problems(folder)
    assert found[0] == "input_csv/locations.csv:1:1: is empty (expected one row per location)"
    # with no locations, the routes name unknown ones
    assert found[1].startswith("input_csv/routes.csv:2:1: unknown location 'A'")


def test_header_only_routes(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, routes=[], refugees=None)
    assert one_problem(folder) == ("input_csv/routes.csv:2:1: has only a header (expected one "
                                   "row per link: name1,name2,distance)")


def test_ragged_row(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, routes=[("A", "B", 100), ("B", "C")], refugees=None)
    assert one_problem(folder) == (
        "input_csv/routes.csv:3:3: row has 2 columns, missing 'distance' "
        "(expected at least 3: name1,name2,distance)")
    folder = write_scenario(tmp_path / "2", locations=[("A", "R", "C", 0, 0, "conflict_zone")],
                            routes=[("A", "A", 1)], refugees=None)
    assert problems(folder)[0].startswith(
        "input_csv/locations.csv:2:7: row has 6 columns, missing 'conflict_date'")


def test_bad_numbers_in_locations(tmp_path, write_scenario):
    locations = [("A", "R", "C", "north", 0, "conflict_zone", 0, 1000),
                 ("B", "R", "C", 0, 200, "town", -1, "many"),
                 ("C", "R", "C", 0, 0, "camp", None, -5)]
    found = problems(write_scenario(tmp_path, locations=locations, refugees=None))
    assert found == [
        "input_csv/locations.csv:2:4: latitude 'north' is not valid (expected a number from "
        "-90 to 90, or empty)",
        "input_csv/locations.csv:3:5: longitude '200' is not valid (expected a number from "
        "-180 to 180, or empty)",
        "input_csv/locations.csv:3:7: conflict date '-1' is not valid (expected a day number "
        "from 0 to 100000, or empty)",
        "input_csv/locations.csv:3:8: population 'many' is not valid (expected a whole number "
        "from 0 to 1e12, or empty)",
        "input_csv/locations.csv:4:8: population '-5' is not valid (expected a whole number "
        "from 0 to 1e12, or empty)",
    ]


def test_unknown_location_type(tmp_path, write_scenario):
    locations = [*MALI_LIKE, ("Gao", "Gao", "Mali", 16, 0, "city", None, 10)]
    message = one_problem(write_scenario(tmp_path, locations=locations, routes=MALI_ROUTES,
                                         refugees=None))
    assert message == ("input_csv/locations.csv:5:6: location type 'city' is not valid "
                       "(expected one of conflict_zone, town, default, camp, idpcamp, "
                       "forwarding_hub, marker, flood_zone)")


def test_duplicate_location(tmp_path, write_scenario):
    locations = [*MALI_LIKE, ("Mopti", "Mopti", "Mali", 14, -4, "town", None, 1)]
    assert one_problem(write_scenario(tmp_path, locations=locations, routes=MALI_ROUTES,
                                      refugees=None)) == (
        "input_csv/locations.csv:5:1: location 'Mopti' is defined twice, on lines 3 and 5 "
        "(expected unique names)")


def test_unknown_location_in_routes(tmp_path, write_scenario):
    routes = [*MALI_ROUTES, ("Mopit", "Kidal", 10)]
    assert one_problem(write_scenario(tmp_path, locations=MALI_LIKE, routes=routes,
                                      refugees=None)) == (
        "input_csv/routes.csv:4:1: unknown location 'Mopit' (expected a location from "
        "input_csv/locations.csv; did you mean 'Mopti'?)")


def test_negative_distance_and_self_loop(tmp_path, write_scenario):
    routes = [("Kidal", "Mopti", -4), ("Mopti", "Mopti", 3), ("Mopti", "Mentao", "far")]
    assert problems(write_scenario(tmp_path, locations=MALI_LIKE, routes=routes,
                                   refugees=None)) == [
        "input_csv/routes.csv:2:3: distance '-4' is not valid (expected a number of km > 0 and "
        "<= 1000000)",
        "input_csv/routes.csv:3:2: route from 'Mopti' to itself (expected two different "
        "locations)",
        "input_csv/routes.csv:4:3: distance 'far' is not valid (expected a number of km > 0 and "
        "<= 1000000)",
    ]


def test_bad_route_attributes(tmp_path, write_scenario):
    routes = [("A", "B", 10, 3, "fast", 2)]
    assert problems(write_scenario(tmp_path, routes=routes, refugees=None,
                                   route_attributes=["max_move_speed", "walk_probability"])) == [
        "input_csv/routes.csv:2:4: forced_redirection '3' is not valid (expected one of 0, 1, 2, "
        "or empty)",
        "input_csv/routes.csv:2:5: max_move_speed 'fast' is not valid (expected a number of km "
        "per day > 0 and <= 1000000, or empty)",
        "input_csv/routes.csv:2:6: walk_probability '2' is not valid (expected a number from 0 "
        "to 1, or empty)",
    ]


def test_bad_closures(tmp_path, write_scenario):
    closures = [("country", "Home", "Abraod", 0, 5), ("location", "Bee", "", 0, 5),
                ("links", "A", "B", 0, 5), ("link", "A", "B", 5, 2),
                ("camp", "C", "", "x", -1)]
    assert problems(write_scenario(tmp_path, closures=closures, refugees=None)) == [
        "input_csv/closures.csv:2:3: unknown country 'Abraod' (expected a country from the "
        "country column of input_csv/locations.csv; did you mean 'Abroad'?)",
        "input_csv/closures.csv:3:2: unknown location 'Bee' (expected a location from "
        "input_csv/locations.csv)",
        "input_csv/closures.csv:4:1: closure type 'links' is not valid (expected one of "
        "country, location, link, camp, idpcamp, remove_forced_redirection; did you mean "
        "'link'?)",
        "input_csv/closures.csv:5:5: closure end '2' is not valid (expected -1 for never, or a "
        "day number from 5 to 100000)",
        "input_csv/closures.csv:6:4: closure start 'x' is not valid (expected a day number "
        "from 0 to 100000)",
    ]


def test_unknown_name_in_data_layout_and_camp_without_data(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, camps={"Cx": [("2020-01-01", 0)]})
    assert one_problem(folder) == (
        "input_csv/locations.csv:4:1: camp 'C' has no row in source_data/data_layout.csv "
        "(expected a row 'C,<file>.csv')")


def test_unknown_name_in_data_layout_is_a_warning(tmp_path, write_scenario, fake_series):
    # Flee reads and never uses such a series (car has 'Bossobolo'), so this only warns.
    folder = write_scenario(tmp_path, locations=MALI_LIKE, routes=MALI_ROUTES,
                            camps={"Mentao": [("2020-01-01", 0)], "Mopt": [("2020-01-01", 0)]})
    scenario = load_scenario(folder)
    assert scenario.warnings == (
        "source_data/data_layout.csv:3:1: 'Mopt' is not a location in input_csv/locations.csv;"
        " its data is not compared with any camp (did you mean 'Mopti'?)",)


def test_data_layout_must_start_with_total(tmp_path, write_scenario):
    folder = write_scenario(tmp_path)
    path = folder / "source_data" / "data_layout.csv"
    path.write_text("c,c.csv\n")
    assert problems(folder)[0] == ("source_data/data_layout.csv:1:1: first row is 'c' "
                                   "(expected 'total,refugees.csv')")


def test_registration_corrections(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, locations=MALI_LIKE, routes=MALI_ROUTES,
                            corrections=[("Mentao", "2020-01-05", "normalize"),
                                         ("Mentoa", "2020-13-01")])
    assert problems(folder) == [
        "input_csv/registration_corrections.csv:2:1: unknown location 'Mentoa' (expected a "
        "location from input_csv/locations.csv; did you mean 'Mentao'?)",
        "input_csv/registration_corrections.csv:2:2: date '2020-13-01' is not valid (expected "
        "a date YYYY-MM-DD from 1900-01-01 to 2200-12-31)",
    ]


def test_conflicts_problems(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, conflicts=None, length=4, refugees=None)
    (folder / "input_csv" / "conflicts.csv").write_text(
        "#Day,A,B\n0,1,0\n1,1,-2\n3,1\n")
    assert problems(folder) == [
        "input_csv/conflicts.csv:3:3: conflict intensity '-2' is not valid (expected a number "
        "from 0 to 1000000)",
        "input_csv/conflicts.csv:4:1: day '3' is out of order (expected 2: one row per day, "
        "consecutive from 0)",
        "input_csv/conflicts.csv:4:3: row has 1 values (expected 2, one per column of the "
        "header)",
        "input_csv/conflicts.csv:5:1: has 3 days of conflict data, fewer than the run's Length 4 "
        "in input_csv/conflict_period.csv (expected at least 4 rows)",
    ]


def test_period_problems(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    (folder / "input_csv" / "conflict_period.csv").write_text(
        "StartDate,2020-02-30\nLength,ten\n")
    assert problems(folder) == [
        "input_csv/conflict_period.csv:1:2: start date '2020-02-30' is not valid (expected a "
        "date YYYY-MM-DD from 1900-01-01 to 2200-12-31)",
        "input_csv/conflict_period.csv:2:2: length 'ten' is not valid (expected a whole number "
        "of days from 1 to 20000)",
    ]
    (folder / "input_csv" / "conflict_period.csv").write_text("Length,10\n")
    assert one_problem(folder) == ("input_csv/conflict_period.csv:2:1: has no StartDate row "
                                   "(expected 'StartDate,YYYY-MM-DD')")


def test_non_utf8_bytes(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    path = folder / "input_csv" / "locations.csv"
    path.write_bytes(path.read_bytes().replace(b"RB", b"R\xe9B"))
    assert one_problem(folder) == ("input_csv/locations.csv:3:4: byte 0xe9 is not valid UTF-8 "
                                   "(expected UTF-8 text)")


def test_every_problem_in_every_file_is_reported(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, routes=[("A", "B", -1)], closures=[("camp", "Z", "", 0, 1)],
                            settings={"move_rules": {"camp_weight": -1}}, refugees=None)
    found = problems(folder)
    assert [p.split(":")[0] for p in found] == [
        "input_csv/routes.csv", "input_csv/closures.csv", "simsetting.yml"]


def test_problem_count_is_capped_per_file(tmp_path, write_scenario):
    routes = [("A", "B", -i) for i in range(80)]
    found = problems(write_scenario(tmp_path, routes=routes, refugees=None))
    assert len(found) == 51 and found[-1] == "input_csv/routes.csv: ... and 30 more problems"


# ---------------------------------------------------------------------------------------------
# simsetting.yml and overrides


def test_settings_from_yml(tmp_path, write_scenario):
    settings = {
        "log_levels": {"agent": 1},
        "spawn_rules": {"camps_are_sicks": True, "conflict_spawn_decay": [1, 1, 0.5],
                        "conflict_driven_spawning": {"spawn_mode": "Poisson",
                                                     "displaced_per_conflict_day": 250.7}},
        "move_rules": {"awareness_level": 2, "camp_weight": 2},
        "optimisations": {"hasten": 3},
        "engine": {"capacity_rounds": 4, "link_closure": "flee"},
    }
    s = load_scenario(write_scenario(tmp_path, settings=settings, refugees=None)).settings
    assert s.move.awareness_level == 2 and s.move.camp_weight == 2.0
    assert s.spawn.camps_are_sinks and s.spawn.conflict_spawn_decay == (1.0, 1.0, 0.5)
    assert s.spawn.conflict_driven_spawning and s.spawn.conflict_spawn_mode == "poisson"
    assert s.spawn.displaced_per_conflict_day == 250.0  # Flee truncates to whole people
    assert s.hasten == 3
    assert (s.engine.capacity_rounds, s.engine.link_closure) == (4, "flee")


def test_pop_ratio_default_and_v1_rules(tmp_path, write_scenario):
    settings = {"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "pop_ratio"}},
                "move_rules": {"use_v1_rules": True, "max_move_speed": 100}}
    s = load_scenario(write_scenario(tmp_path, settings=settings, refugees=None)).settings
    assert s.spawn.displaced_per_conflict_day == 0.01
    assert (s.move.max_move_speed, s.move.camp_weight, s.move.conflict_weight) == (
        200.0, 2.0, 0.25)


def test_bad_yml_value(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None, settings={
        "move_rules": {"awareness_level": "high", "camp_movechance": 2}})
    assert problems(folder) == [
        "simsetting.yml:2:20: awareness_level = 'high' is not valid (expected an integer >= -1 "
        "and <= 10)",
        "simsetting.yml:3:20: camp_movechance = 2 is out of range (expected a number >= 0 and "
        "<= 1)",
    ]


def test_unknown_yml_keys(tmp_path, write_scenario):
    settings = {"move_rules": {"awarenes_level": 2}, "spawn_rules": {"flood_zone_spawning_only":
                                                                    False},
                "movement": {}}
    scenario = load_scenario(write_scenario(tmp_path, settings=settings, refugees=None))
    assert scenario.warnings == (
        "simsetting.yml:2:3: unknown key 'awarenes_level' in move_rules ignored "
        "(did you mean 'awareness_level'?)",
        "simsetting.yml:5:1: unknown section 'movement' ignored (expected one of log_levels, "
        "spawn_rules, move_rules, optimisations, engine)",
    )
    assert scenario.settings.move.awareness_level == 1


def test_unknown_engine_key_is_an_error(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None, settings={"engine": {"capacity_round": 2}})
    assert one_problem(folder) == (
        "simsetting.yml:2:3: unknown key 'capacity_round' in engine (expected one of "
        "chained_hop_credit, capacity_rounds, link_closure, pop_loc_weight, track_origins; did "
        "you mean 'capacity_rounds'?)")


def test_yml_syntax_error(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    (folder / "simsetting.yml").write_text("move_rules:\n  awareness_level: 2\n bad: [1\n")
    message = one_problem(folder)
    assert message.startswith("simsetting.yml:3:2: invalid YAML:")


def test_yml_section_not_a_mapping(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None)
    (folder / "simsetting.yml").write_text("move_rules: 3\n")
    assert one_problem(folder).startswith("simsetting.yml:1:13: section 'move_rules' is not a")


def test_settings_overrides(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None,
                            settings={"move_rules": {"awareness_level": 2}})
    s = load_scenario(folder, settings_overrides={
        "move.awareness_level": 3, "move_rules.camp_weight": 4.0, "hasten": 2,
        "spawn.conflict_spawn_mode": "Pop_Ratio"}).settings
    assert (s.move.awareness_level, s.move.camp_weight, s.hasten) == (3, 4.0, 2)
    assert s.spawn.conflict_spawn_mode == "pop_ratio"
    assert problems(folder, settings_overrides={"move.awarenes_level": 1,
                                                "move.camp_weight": -1}) == [
        "settings_overrides: unknown setting 'move.awarenes_level' (expected a name such as "
        "move.awareness_level; did you mean 'move.awareness_level'?)",
        "settings_overrides: 'move.camp_weight': camp_weight = -1 is out of range (expected a "
        "number >= 0)",
    ]


def test_series_problems_are_merged_with_relative_paths(tmp_path, write_scenario, monkeypatch):
    folder = write_scenario(tmp_path)

    def load_observed(source_dir, *args, **kwargs):
        raise ScenarioError([Problem(str(source_dir / "c.csv"), 2, 1, "bad count"),
                             Problem("refugees.csv", 3, 2, "bad date")])

    module = types.ModuleType("borderflow.scenario.series")
    module.load_observed = load_observed
    monkeypatch.setitem(sys.modules, "borderflow.scenario.series", module)
    assert problems(folder) == ["source_data/c.csv:2:1: bad count",
                                "source_data/refugees.csv:3:2: bad date"]


def test_flee_options_we_do_not_implement_warn(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None, settings={
        "flood_rules": {"max_flood_level": 3}, "number_of_steps": -1,
        "move_rules": {"ChildrenAvoidHazards": True, "BoysTakeRisk": False}})
    assert load_scenario(folder).warnings == (
        "simsetting.yml:1:1: 'flood_rules' is a Flee option borderflow does not implement; "
        "ignored",
        "simsetting.yml:5:3: 'ChildrenAvoidHazards' in move_rules is a Flee option borderflow "
        "does not implement; ignored",
    )


def test_both_period_files(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, refugees=None, length=5)
    (folder / "input_csv" / "sim_period.csv").write_text("StartDate,2021-01-01\nLength,3\n")
    scenario = load_scenario(folder)
    assert scenario.length == 5
    assert scenario.warnings == ("input_csv/sim_period.csv: ignored: conflict_period.csv is "
                                 "also present and is read, as Flee 3.1 does",)


def test_mangled_files_raise_only_scenario_errors(tmp_path, write_scenario):
    """Generated bad input: random byte edits never escape as anything but ScenarioError."""
    rng = random.Random(20240601)
    base = write_scenario(tmp_path, name="base", closures=[("country", "Home", "Abroad", 0, 5)],
                          corrections=[("C", "2020-01-01")],
                          settings={"move_rules": {"awareness_level": 2}})
    files = sorted(p.relative_to(base) for p in base.rglob("*") if p.is_file())
    for i in range(150):
        folder = tmp_path / f"m{i}"
        shutil.copytree(base, folder)
        for _ in range(rng.randint(1, 3)):
            path = folder / rng.choice(files)
            data = bytearray(path.read_bytes())
            at = rng.randrange(len(data) + 1)
            op = rng.randrange(4)
            if op == 0:
                del data[at:at + rng.randint(1, 8)]
            elif op == 1:
                data[at:at] = rng.choice([b",", b"\n", b'"', b"#", b"-", b":", b"\xff", b"\r"])
            elif op == 2:
                data = data[:at]
            else:
                data[at:at] = bytes([rng.randrange(256)])
            path.write_bytes(bytes(data))
        try:
            load_scenario(folder)
        except ScenarioError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert not Path(problem.file).is_absolute()
