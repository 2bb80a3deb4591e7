"""The ahead-of-time compiled kernels: same bytes as Numba's JIT, no Numba import, checked calls."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderflow import accel

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "belarus-2021"


def _run(scenario: Path, out: Path, kernels: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BORDERFLOW_KERNELS": kernels}
    return subprocess.run(
        [sys.executable, "-m", "borderflow.cli", "run", str(scenario), "--out", str(out),
         "--seed", "7", "--quiet", *extra],
        capture_output=True, text=True, env=env, timeout=900, check=False)


def _same_results(a: Path, b: Path) -> None:
    for name in ("series.csv", "monthly.csv", "run.json", "out.csv"):
        if (a / name).exists() or (b / name).exists():
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("populations.parquet", "flows.parquet", "events.parquet"):
        if (a / name).exists() or (b / name).exists():
            pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))


@pytest.mark.parametrize("name", ["belarus-2021", "mali"])
def test_ahead_of_time_and_jit_kernels_give_the_same_bytes(name: str, tmp_path: Path, request):
    # the flagship has flights, turn-backs, giving up, detention, returns, capacity queues and
    # feedback; mali has Flee's spawning, awareness and camp capacities
    scenario = FLAGSHIP if name == "belarus-2021" else request.getfixturevalue(
        "shared_flee_dir") / name
    aot = _run(scenario, tmp_path / "aot", "aot")
    assert aot.returncode == 0, aot.stderr
    jit = _run(scenario, tmp_path / "jit", "jit")
    assert jit.returncode == 0, jit.stderr
    _same_results(tmp_path / "aot", tmp_path / "jit")
    assert (tmp_path / "aot" / "series.csv").stat().st_size > 1000


def test_a_run_with_ahead_of_time_kernels_imports_no_numba(tmp_path: Path):
    code = (
        "import sys\n"
        "from borderflow import Simulation, accel, load_scenario\n"
        f"Simulation(load_scenario({str(FLAGSHIP)!r}), seed=1).run()\n"
        "print(accel.mode(), 'numba' in sys.modules, 'llvmlite' in sys.modules)\n"
    )
    env = {**os.environ, "BORDERFLOW_KERNELS": "aot"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["aot", "False", "False"]


def test_checked_calls_refuse_what_would_be_read_as_the_wrong_memory():
    calls = []
    fn = accel._checked("f", lambda *a: calls.append(a) or 5,
                        ("int64[:, ::1]", "float64[::1]", "int64", "float64"))
    a2 = np.zeros((2, 3), dtype=np.int64)
    f1 = np.zeros(4)
    assert fn(a2, f1, 3, 0.5) == 5
    assert fn(a2, f1, np.int64(3), 1) == 5  # an integer is a number
    assert len(calls) == 2
    bad = [
        ((a2.astype(np.int32), f1, 3, 0.5), "argument 0 must be a C-contiguous 2-d int64"),
        ((a2.T, f1, 3, 0.5), "argument 0"),  # Fortran order
        ((a2[:, ::2], f1, 3, 0.5), "argument 0"),  # strided
        ((a2, f1.reshape(2, 2), 3, 0.5), "argument 1 must be a C-contiguous 1-d float64"),
        ((a2, list(f1), 3, 0.5), "not list"),
        ((a2, f1, 3.0, 0.5), "argument 2 must be an integer"),
        ((a2, f1, 3, "0.5"), "argument 3 must be a number"),
        ((a2, f1, 3), "3 arguments given, 4 expected"),
    ]
    for args, message in bad:
        with pytest.raises(TypeError, match=message):
            fn(*args)
    assert len(calls) == 2


def test_every_export_is_a_compiled_kernel_function():
    from borderflow import kernel, netkernel

    mods = {"kernel": kernel, "netkernel": netkernel}
    for name, (mod, args, _ret) in accel.EXPORTS.items():
        fn = getattr(mods[mod], name)
        assert hasattr(fn, "py_func"), name
        assert fn.py_func.__code__.co_argcount == len(args), name


def test_module_name_follows_the_kernel_sources(tmp_path: Path, monkeypatch):
    for name in accel._SOURCES:
        shutil.copy(accel._HERE / name, tmp_path / name)
    monkeypatch.setattr(accel, "_HERE", tmp_path)
    first = accel.module_name()
    assert first == accel.module_name()
    with (tmp_path / "kernel.py").open("a") as fh:
        fh.write("\n# changed\n")
    assert accel.module_name() != first


def test_a_failed_build_falls_back_to_the_jit_or_fails_when_aot_is_required(
        tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BORDERFLOW_CACHE_DIR", str(tmp_path))
    (tmp_path / (accel.module_name() + ".failed")).write_text("no C compiler\n")
    monkeypatch.setattr(accel, "_loaded", None)
    monkeypatch.setattr(accel, "_mode_loaded", None)
    monkeypatch.setenv("BORDERFLOW_KERNELS", "aot")
    with pytest.raises(accel.KernelBuildError, match="could not be built"):
        accel.kernels()
    monkeypatch.setenv("BORDERFLOW_KERNELS", "auto")
    with pytest.warns(RuntimeWarning, match="just-in-time"):
        ns = accel.kernels()
    assert accel.mode() == "jit"
    assert hasattr(ns.step_day, "py_func")
    monkeypatch.setattr(accel, "_loaded", None)
    monkeypatch.setenv("BORDERFLOW_KERNELS", "fast")
    with pytest.raises(accel.KernelSetupError, match="expected auto, jit or aot"):
        accel.kernels()


def test_a_bad_kernel_setting_is_bad_input_not_an_internal_error(tmp_path: Path):
    proc = _run(FLAGSHIP, tmp_path / "out", "fast")
    assert proc.returncode == 2, proc.stderr
    assert "BORDERFLOW_KERNELS='fast': expected auto, jit or aot" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert not (tmp_path / "out").exists()
