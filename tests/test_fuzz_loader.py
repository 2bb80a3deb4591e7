"""Fuzzing the loaders with Hypothesis: whatever a file holds, only `ScenarioError` escapes.

Each test replaces one file of a valid toy scenario with generated content (CSV-like text built
from troublesome cells, raw bytes, or the original file with a few bytes changed) and loads the
scenario. Loading may succeed or raise `ScenarioError`; any other exception is a bug. Every
problem reported must name a file relative to the scenario folder, with 1-based line and column.

The number of examples is bounded and the examples are derandomized, so CI runs the same cases
every time: `EXAMPLES` per loader (``BORDERFLOW_FUZZ_EXAMPLES`` changes it;
``BORDERFLOW_FUZZ_RANDOM=1`` draws new examples on each run, for fuzzing locally).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderflow.scenario.errors import ScenarioError
from borderflow.scenario.flee_format import load_scenario
from borderflow.scenario.series import read_layout, read_series

EXAMPLES = int(os.environ.get("BORDERFLOW_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=os.environ.get("BORDERFLOW_FUZZ_RANDOM", "") != "1",
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BASE = {
    "locations": [("A", "RA", "Home", 10.0, 10.0, "conflict_zone", 0, 1000, 0.5),
                  ("B", "RB", "Home", 10.0, 11.0, "town", None, 500, ""),
                  ("C", "RC", "Abroad", 10.0, 12.0, "camp", None, 200, "")],
    "location_attributes": ["conflict_intensity"],
    "routes": [("A", "B", 100, 0, 0.5), ("B", "C", 100, 0, "")],
    "route_attributes": ["walk_probability"],
    "closures": [("country", "Home", "Abroad", 0, 5), ("location", "B", "", 2, 3)],
    "length": 10,
    "refugees": [("2020-01-01", 0), ("2020-01-05", 400), ("2020-01-11", 1000)],
    "camps": {"C": [("2020-01-01", 10), ("2020-01-03", 50), ("2020-01-06", 100)]},
    "corrections": [("C", "2020-01-03")],
    "settings": {"move_rules": {"awareness_level": 2},
                 "spawn_rules": {"conflict_spawn_decay": [1, 0.5]}},
}
FILES = [
    "input_csv/locations.csv",
    "input_csv/routes.csv",
    "input_csv/closures.csv",
    "input_csv/conflicts.csv",
    "input_csv/conflict_period.csv",
    "input_csv/registration_corrections.csv",
    "source_data/data_layout.csv",
    "source_data/refugees.csv",
    "source_data/c.csv",
]

# Cells that have broken loaders before: names, numbers at and beyond the limits, dates,
# separators, quotes, control characters, paths, very long text.
TROUBLE = [
    "", " ", "A", "B", "C", "Home", "Abroad", "total", "refugees.csv", "c.csv", "camp", "town",
    "conflict_zone", "idpcamp", "country", "link", "location", "remove_forced_redirection",
    "0", "1", "2", "-1", "1.5", "1e300", "-1e300", "9" * 30, "nan", "inf", "-inf", "1_0", "0x10",
    "2020-01-01", "2020-01-03", "2020-02-30", "1899-12-31", "9999-12-31", "StartDate",
    "Length", "Date", "DateTime", "#", "#Day", '"', '""', '"A"', ";", "\t", "\x00", "\x01",
    "\x7f", "é", "\u2028", "\ufeff", "../c.csv", "/etc/hostname", "C:\\c.csv", "sub/c.csv",
    ".", "..", "x" * 3000,
]
cells = st.one_of(st.sampled_from(TROUBLE), st.text(max_size=8),
                  st.integers(-10**15, 10**15).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))
rows = st.lists(cells, max_size=9)
csv_texts = st.builds(lambda rs, sep, end: end.join(sep.join(r) for r in rs).encode("utf-8"),
                      st.lists(rows, max_size=12), st.sampled_from([",", ",", ",", ";", "\t"]),
                      st.sampled_from(["\n", "\r\n", "\r"]))
edits = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "cut"]),
                           st.binary(min_size=1, max_size=4)), min_size=1, max_size=4)


def mutate(data: bytes, changes: list[tuple[float, str, bytes]]) -> bytes:
    out = bytearray(data)
    for where, op, chunk in changes:
        at = int(where * len(out))
        if op == "insert":
            out[at:at] = chunk
        elif op == "delete":
            del out[at:at + len(chunk)]
        else:
            del out[at:]
    return bytes(out)


def contents(original: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(csv_texts, st.binary(max_size=300),
                     edits.map(lambda changes: mutate(original, changes)))


@pytest.fixture
def base(tmp_path, write_scenario) -> Path:
    return write_scenario(tmp_path, **BASE)


def load_only_scenario_errors(folder: Path) -> None:
    try:
        load_scenario(folder)
    except ScenarioError as exc:
        assert exc.problems
        for p in exc.problems:
            assert not Path(p.file).is_absolute(), p
            assert p.line is None or p.line >= 1, p
            assert p.column is None or p.column >= 1, p
            assert "Traceback" not in p.message


@pytest.mark.parametrize("file", FILES, ids=[f.split("/")[-1] for f in FILES])
def test_fuzz_csv_file(base, file):
    path = base / file
    original = path.read_bytes()

    @FUZZ
    @given(contents(original))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        load_only_scenario_errors(base)

    check()


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10),
                         st.sampled_from(["constant", "pop_ratio", "flee", "both", "max"]))
yaml_values = st.recursive(yaml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12)
SECTION_KEYS = {
    "move_rules": ["awareness_level", "max_move_speed", "camp_weight", "softening",
                   "use_v1_rules", "start_on_foot", "capacity_buffer", "nope"],
    "spawn_rules": ["conflict_driven_spawning", "conflict_spawn_decay", "insert_day0",
                    "camps_are_sicks", "sum_from_camps"],
    "optimisations": ["hasten"],
    "engine": ["capacity_rounds", "link_closure", "chained_hop_credit", "unknown"],
    "log_levels": ["agent"],
    "flood_rules": ["max_flood_level"],
}
settings_maps = st.dictionaries(
    st.sampled_from([*SECTION_KEYS, "number_of_steps", "other"]),
    st.one_of(yaml_values, st.sampled_from(list(SECTION_KEYS.values())).flatmap(
        lambda keys: st.dictionaries(st.sampled_from(keys), yaml_values, max_size=4))),
    max_size=4)


def test_fuzz_simsetting_yml(base):
    import yaml

    path = base / "simsetting.yml"
    original = path.read_bytes()
    texts = st.one_of(
        settings_maps.map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode("utf-8")),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        edits.map(lambda changes: mutate(original, changes)))

    @FUZZ
    @given(texts)
    def check(data: bytes) -> None:
        path.write_bytes(data)
        load_only_scenario_errors(base)

    check()


def test_fuzz_settings_overrides(base):
    keys = st.sampled_from(["move.awareness_level", "move_rules.camp_weight", "hasten",
                            "spawn.conflict_spawn_mode", "spawn.conflict_spawn_decay",
                            "engine.capacity_rounds", "move.nope", ""])

    @FUZZ
    @given(st.dictionaries(keys, yaml_values, max_size=3))
    def check(overrides: dict) -> None:
        try:
            load_scenario(base, settings_overrides=overrides)
        except ScenarioError as exc:
            assert exc.problems

    check()


def test_fuzz_series_reader_directly(tmp_path):
    """`read_series` and `read_layout` are public: they return problems, they never raise."""
    from datetime import date

    path = tmp_path / "s.csv"

    @FUZZ
    @given(st.one_of(csv_texts, st.binary(max_size=300)), st.integers(1, 5))
    def check(data: bytes, hasten: int) -> None:
        path.write_bytes(data)
        table, problems = read_series(path, date(2020, 1, 1), hasten, root=tmp_path)
        assert problems or len(table)
        entries, problems = read_layout(path, root=tmp_path)
        assert problems or entries

    check()
