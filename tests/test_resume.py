"""A run killed with SIGKILL resumes from its checkpoint and gives byte-identical output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pandas as pd

DEMO_DAYS = 60


def _run(args, env=None):
    return subprocess.run([sys.executable, "-m", "borderflow", "run", *args, "--quiet"],
                          capture_output=True, text=True, env=env, timeout=300)


def test_kill_9_then_resume_is_byte_identical(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, length=DEMO_DAYS,
                            refugees=[("2020-01-01", 0), ("2020-03-01", 6000)])
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    assert _run([str(folder), "--seed", "4", "--out", str(ref)]).returncode == 0

    env = dict(os.environ, BORDERFLOW_TEST_SIGKILL_AFTER_DAY="35")
    killed = _run([str(folder), "--seed", "4", "--out", str(cut), "--checkpoint-every", "10"],
                  env=env)
    assert killed.returncode == -signal.SIGKILL
    assert (cut / "checkpoint.npz").is_file()
    # nothing that looks like a finished result, and no half-written file
    assert not (cut / "out.csv").exists()
    assert not any(p.name.endswith(".part") for p in cut.iterdir())

    resumed = _run([str(folder), "--seed", "4", "--out", str(cut), "--checkpoint-every", "10",
                    "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert (cut / "out.csv").read_bytes() == (ref / "out.csv").read_bytes()
    assert (cut / "series.csv").read_bytes() == (ref / "series.csv").read_bytes()
    for name in ("populations.parquet", "flows.parquet", "events.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(cut / name), pd.read_parquet(ref / name))
    assert not (cut / "checkpoint.npz").exists()


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path, write_scenario):
    folder = write_scenario(tmp_path, length=30, refugees=[("2020-01-01", 0), ("2020-02-01", 900)])
    out = tmp_path / "out"
    env = dict(os.environ, BORDERFLOW_TEST_SIGKILL_AFTER_DAY="15")
    _run([str(folder), "--seed", "1", "--out", str(out), "--checkpoint-every", "5"], env=env)
    other = _run([str(folder), "--seed", "2", "--out", str(out), "--resume"])
    assert other.returncode == 2
    assert "checkpoint belongs to another run" in other.stderr
    assert "Traceback" not in other.stderr
