"""What-if variants (variant.yml) and `borderflow compare`, on a toy border scenario."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from borderflow.cli import app
from borderflow.compare import compare_scenarios
from borderflow.scenario import ScenarioError, load_scenario

LOCATIONS = [
    ("M", "R", "Near", 0.0, 0.0, "forwarding_hub", None, 0),
    ("F", "R", "Near", 0.0, 1.0, "forwarding_hub", None, 0),
    ("P", "R", "Far", 0.0, 2.0, "camp", None, 0),
]
ROUTES = [("M", "F", 50), ("F", "P", 10)]
POLICIES = {
    "parameters": {"tb": 1.0, "ban": "2020-01-04"},
    "arrivals": [{"origin": "X", "to": "M", "cut": "$ban", "occupancy": 1.0,
                  "seats_per_week": [{"from": "2020-01-01", "value": 70}]}],
    "crossings": [{"from": "F", "to": "P", "turnback_probability": "$tb"}],
    "blocks": [{"from": "F", "to": "M", "start": 0}],
    "zones": {"exposed": ["F"]},
}


@pytest.fixture
def base(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, name="base", locations=LOCATIONS, routes=ROUTES,
                            conflicts=None, refugees=None, length=8,
                            settings={"move_rules": {"camp_movechance": 0.0}})
    (folder / "policies.yml").write_text(yaml.safe_dump(POLICIES), encoding="utf-8")
    return folder


def variant(base, name: str, body: dict):
    folder = base / "variants" / name
    folder.mkdir(parents=True)
    (folder / "variant.yml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return folder


def test_variant_changes_parameters_only(base):
    open_ = variant(base, "open", {"base": "../..", "parameters": {"tb": 0.0}})
    later = variant(base, "later-ban", {"base": "../..", "parameters": {"ban": "2020-01-06"}})
    sc = load_scenario(open_)
    assert sc.name == "base:open" and sc.policies.parameters["tb"] == 0.0
    assert load_scenario(later).policies.arrivals[0].end == 5
    table = compare_scenarios([base, open_, later], [1, 2])
    entries = table.loc["people who crossed a border"]
    # 10 people a day for 3 days (ban on day 3); all turned back in the base, all through if open
    assert entries[("base", "mean")] == 0
    assert entries[("base:open", "mean")] == 30
    assert table.loc["person-nights in exposed places"][("base:later-ban", "mean")] > \
        table.loc["person-nights in exposed places"][("base", "mean")]


@pytest.mark.parametrize(("body", "message"), [
    ({"base": "/etc", "parameters": {}}, "expected a relative path"),
    ({"base": "../nowhere"}, "is not a scenario folder"),
    ({"base": "../..", "parameters": {"tbb": 0.0}}, "did you mean 'tb'"),
    ({"base": "../..", "parameters": {"ban": 3.5}}, "expected a date"),
    ({"base": "../..", "colour": "red"}, "unknown key"),
])
def test_bad_variants_are_refused(base, body, message):
    folder = variant(base, "bad", body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert message in str(err.value)


def test_compare_command_prints_and_writes_table(base, tmp_path):
    open_ = variant(base, "open", {"base": "../..", "parameters": {"tb": 0.0}})
    out = tmp_path / "cmp"
    res = CliRunner().invoke(app, ["compare", str(base), str(open_), "--seeds", "2",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "people who crossed a border" in res.output
    table = pd.read_csv(out / "compare.csv", index_col=0)
    assert table.loc["people who crossed a border", "base:open mean"] == 30
    assert (out / "base" / "series.csv").is_file()
    assert (out / "base--open" / "series.csv").is_file()
