"""The ``borderflow`` command line, run as a user runs it: in a child process.

Covers ``run`` on the shipped demo scenario (files written, same seed → same output), bad input
(exit status 2, a ``file:line:column`` message, no traceback, nothing written), ``validate``,
``--set`` overrides, ``--version`` and ``python -m borderflow``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import borderflow

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "demo"
RESULT_FILES = ("out.csv", "populations.parquet", "flows.parquet", "run.json")
ARD_LINE = re.compile(r"averaged relative difference \(Error rescaled\):\s+([0-9.]+)")


def borderflow_cli(*args: str | Path, module: str = "borderflow.cli",
                   cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <module> ARGS`` and capture its exit status, stdout and stderr."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", module, *(str(a) for a in args)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=600, check=False,
    )


def assert_ok(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\n" \
                                 f"stderr:\n{proc.stderr}"


def assert_bad_input(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\n" \
                                 f"stderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    """The demo scenario run once with seed 1; the results folder."""
    out = tmp_path_factory.mktemp("demo") / "results"
    assert_ok(borderflow_cli("run", DEMO, "--seed", "1", "--out", out, "--quiet"))
    return out


# ---------------------------------------------------------------------------------------------
# run


def test_demo_scenario_is_shipped():
    for name in ("input_csv/locations.csv", "input_csv/routes.csv", "input_csv/closures.csv",
                 "input_csv/conflicts.csv", "input_csv/conflict_period.csv",
                 "source_data/data_layout.csv", "source_data/refugees.csv", "simsetting.yml"):
        assert (DEMO / name).is_file(), name


def test_run_writes_the_results_folder(demo_run: Path):
    for name in RESULT_FILES:
        assert (demo_run / name).is_file(), name
    meta = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    assert meta["scenario"] == "demo"
    assert meta["seed"] == 1
    assert meta["days"] == 100
    assert meta["camps"] == ["Greenfield", "Oakvale", "Sandplains"]
    out = pd.read_csv(demo_run / "out.csv")
    assert len(out) == 100
    assert list(out.columns[:2]) == ["Day", "Date"]
    assert "Greenfield sim" in out.columns and "Total error" in out.columns
    # No temporary files are left behind.
    leftovers = [p.name for p in demo_run.iterdir() if p.name.startswith(".")
                 or p.name.endswith(".part")]
    assert leftovers == []


def test_run_prints_a_summary(tmp_path: Path):
    proc = borderflow_cli("run", DEMO, "--seed", "1", "--days", "5", "--out", tmp_path / "r")
    assert_ok(proc)
    assert "demo" in proc.stdout
    assert "out.csv" in proc.stdout


def test_same_seed_gives_identical_output(demo_run: Path, tmp_path: Path):
    again = tmp_path / "again"
    assert_ok(borderflow_cli("run", DEMO, "--seed", "1", "--out", again, "--quiet"))
    assert (again / "out.csv").read_bytes() == (demo_run / "out.csv").read_bytes()
    for name in ("populations.parquet", "flows.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(again / name),
                                      pd.read_parquet(demo_run / name))
    assert json.loads((again / "run.json").read_text()) == \
        json.loads((demo_run / "run.json").read_text())


def test_another_seed_gives_another_run(demo_run: Path, tmp_path: Path):
    other = tmp_path / "other"
    assert_ok(borderflow_cli("run", DEMO, "--seed", "2", "--out", other, "--quiet"))
    first = pd.read_parquet(demo_run / "populations.parquet")
    second = pd.read_parquet(other / "populations.parquet")
    assert not first["population"].equals(second["population"])


def test_days_option_shortens_the_run(tmp_path: Path):
    out = tmp_path / "short"
    assert_ok(borderflow_cli("run", DEMO, "--days", "7", "--out", out, "--quiet"))
    assert len(pd.read_csv(out / "out.csv")) == 7
    assert json.loads((out / "run.json").read_text())["days"] == 7


def test_set_override_is_applied(demo_run: Path, tmp_path: Path):
    out = tmp_path / "aware2"
    proc = borderflow_cli("run", DEMO, "--seed", "1", "--out", out, "--quiet",
                          "--set", "move.awareness_level=2")
    assert_ok(proc)
    assert (out / "out.csv").read_bytes() != (demo_run / "out.csv").read_bytes()


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_routes_file_exits_2_with_location(write_scenario, tmp_path: Path):
    folder = write_scenario(tmp_path)
    routes = folder / "input_csv" / "routes.csv"
    lines = routes.read_text(encoding="utf-8").splitlines()
    assert lines[2].startswith("B,C,")
    lines[2] = "B,C,-100"  # line 3, column 3: a negative distance
    routes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "never"

    proc = borderflow_cli("run", folder, "--out", out)

    assert_bad_input(proc)
    assert "routes.csv:3:3" in proc.stderr
    assert "distance" in proc.stderr
    assert not out.exists()


def test_bad_input_leaves_an_existing_out_folder_untouched(write_scenario, tmp_path: Path):
    folder = write_scenario(tmp_path)
    routes = folder / "input_csv" / "routes.csv"
    routes.write_text(routes.read_text(encoding="utf-8").replace("A,B,100", "A,B,far"),
                      encoding="utf-8")
    out = tmp_path / "existing"
    out.mkdir()

    proc = borderflow_cli("run", folder, "--out", out)

    assert_bad_input(proc)
    assert "routes.csv:2:3" in proc.stderr
    assert list(out.iterdir()) == []


def test_missing_scenario_folder_exits_2(tmp_path: Path):
    proc = borderflow_cli("run", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert_bad_input(proc)
    assert "nowhere" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("setting", ["move.awareness_level=many", "move.no_such_rule=1"])
def test_bad_set_override_exits_2(tmp_path: Path, setting: str):
    proc = borderflow_cli("run", DEMO, "--out", tmp_path / "out", "--set", setting)
    assert_bad_input(proc)
    assert setting.split("=")[0].split(".")[1] in proc.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# validate


def test_validate_prints_the_ard(demo_run: Path):
    proc = borderflow_cli("validate", demo_run)
    assert_ok(proc)
    match = ARD_LINE.search(proc.stdout)
    assert match, proc.stdout
    ard = float(match.group(1))
    assert 0.0 < ard < 1.0  # the demo's observed series are close to, not equal to, a run
    for camp in ("Greenfield", "Oakvale", "Sandplains"):
        assert camp in proc.stdout


def test_validate_accepts_an_out_csv_file(demo_run: Path):
    folder = borderflow_cli("validate", demo_run)
    file = borderflow_cli("validate", demo_run / "out.csv")
    assert_ok(file)
    assert ARD_LINE.search(file.stdout).group(1) == ARD_LINE.search(folder.stdout).group(1)


def test_validate_without_out_csv_exits_2(tmp_path: Path):
    proc = borderflow_cli("validate", tmp_path)
    assert_bad_input(proc)
    assert "out.csv" in proc.stderr


# ---------------------------------------------------------------------------------------------
# entry points


def test_version():
    proc = borderflow_cli("--version")
    assert_ok(proc)
    assert proc.stdout.strip() == borderflow.__version__


def test_python_dash_m_borderflow(tmp_path: Path):
    proc = borderflow_cli("--help", module="borderflow")
    assert_ok(proc)
    assert "run" in proc.stdout and "validate" in proc.stdout
