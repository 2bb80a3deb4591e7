"""The compiled kernels, ahead of time when possible: a process that runs them imports no Numba.

The kernels are written once, for Numba (`borderflow.kernel`, `borderflow.netkernel`). Numba's
just-in-time compiler caches machine code on disk, but every process still pays for importing
Numba and LLVM and for loading the cache: about half a second, more than a whole Flee scenario
takes to simulate. So the first process on a machine compiles the same functions once more, ahead
of time (Numba's ``pycc``), into an ordinary extension module kept beside Numba's cache; later
processes import that module (a few milliseconds) and never import Numba.

The module is named after a hash of the kernel sources, the versions of Python, NumPy and Numba
and the processor, so a change to any of them makes a new one. It exports the functions below
with fixed argument types; ahead-of-time compiled functions do not check what they are given, so
every call goes through a wrapper that checks each argument's type, dimensions and layout and
raises `TypeError` instead of reading the wrong memory. Both compilations come from the same
source with the same options and the same random generator, so a seed gives the same bytes either
way (tested).

``BORDERFLOW_KERNELS`` chooses: ``auto`` (default: ahead-of-time, built on first use; Numba's JIT
when that cannot be built, with a warning), ``jit`` (always Numba's JIT) or ``aot`` (fail if
the module cannot be built). ``BORDERFLOW_CACHE_DIR`` moves the compiled module (default: the
package's ``__pycache__`` when writable, else the user's cache folder).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

_HERE = Path(__file__).resolve().parent
_SOURCES = ("kernel.py", "netkernel.py", "kconst.py", "accel.py")

# Every function called from Python, with its argument types (Numba's notation; every array is
# C-contiguous) and its return type. A call with anything else raises TypeError.
_A1 = "{}[::1]"
_A2 = "{}[:, ::1]"
_A3 = "{}[:, :, ::1]"
_I, _F = "int64", "float64"
_I1, _I2, _I3 = _A1.format(_I), _A2.format(_I), _A3.format(_I)
_F1, _F2 = _A1.format(_F), _A2.format(_F)
_B1 = _A1.format("boolean")
_U2 = _A2.format("uint8")
_W1 = _A1.format("uint16")
EXPORTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # kernel
    "seed": ("kernel", (_I,), "none"),
    "step_day": ("kernel", (
        _I2, _I1, _I1, _F1, _I1, _I1, _I1, _I, _F1, _F1, _B1, _F1, _F1, _F1, _F1, _I1, _I1, _F1,
        _I1, _I1, _I1, _I1, _I1, _I1, _F1, _F1, _I1, _I1, _I1, _I1, _I1, _I1, _B1, _I1, _I2,
        _I1, _I1, _I3, _F2, _I1, _F1, _I1, _I, _U2, _I1, _I1, _I1, _W1, _I1, _I1, _F1, _I1,
        _I2, _I1),
        f"Tuple(({_I1}, {_F1}, {_I1}, {_I1}, {_I1}, {_I}))"),
    "spawn": ("kernel", (_I2, _I1, _U2, _I1, _F1, _I, _I), _I1),
    "add_people": ("kernel", (_I2, _I1, _U2, _I1, _I1, _I, _I, _I), "none"),
    "compact_active": ("kernel", (_I2, _U2, _I1), "none"),
    "compact_cohorts": ("kernel", (_I1, _F1, _I1, _I1, _I1, _I), _I),
    "move_class": ("kernel", (_I2, _U2, _I1, _F, _B1, _I1), _I),
    "release_detention": ("kernel", (_I2, _I1, _U2, _I1, _I3, _I1, _I1, _I, _F1, _I1, _I1),
                          "none"),
    "remove_at": ("kernel", (_I2, _I1, _I1, _I1, _F1, _B1, _I1, _I1), _I),
    "remove_up_to": ("kernel", (_I2, _I1, _I1, _I1, _I, _I, _I1, _I1, _I1), _I),
    "stranded_by_location": ("kernel", (_I2, _I1, _I1, _B1, _I1), "none"),
    # netkernel
    "_enumerate_paths": ("netkernel", (_I1, _I1, _I1, _F1, _B1, _I1, _I, _I),
                         f"Tuple(({_I1}, {_I1}, {_I2}, {_I1}, {_F1}, {_I1}))"),
    "_intern": ("netkernel", (_I1, _I2, _I1, _I1, _I, _I, _I1, _I, _I), f"UniTuple({_I}, 2)"),
    "_rehash": ("netkernel", (_I1, _I2, _I1, _I1, _I, _I), "none"),
    "_assign_next": ("netkernel", (_I1, _I2, _I1, _I1, _I, _I2, _I1), f"Tuple(({_I1}, {_I}))"),
    "_plan_steps": ("netkernel", (_I1, _I2, _I1, _I1, _I, _I, _I, _I1, _I1, _I1, _I1, _I1, _I1),
                    f"Tuple(({_I1}, {_I1}, {_I1}, {_I1}, {_I}))"),
    "_home_factors": ("netkernel", (_F1, _F1, _I1, _I1, _F), _F1),
    "_rep_table": ("netkernel", (_I1, _I1, _I), _W1),
    "_threshold_sets": ("netkernel", (_I, _I1, _I1, _I1, _I1, _I, _I), f"UniTuple({_I1}, 2)"),
    "_reach_in": ("netkernel", (_I, _I1, _I1, _F1, _F), f"UniTuple({_I1}, 2)"),
}

_DTYPES = {"int64": np.dtype(np.int64), "float64": np.dtype(np.float64),
           "boolean": np.dtype(np.bool_), "uint8": np.dtype(np.uint8),
           "uint16": np.dtype(np.uint16)}

_loaded: SimpleNamespace | None = None
_mode_loaded: str | None = None


class KernelSetupError(RuntimeError):
    """The kernels asked for cannot be had: a bad ``BORDERFLOW_KERNELS``, or a failed build."""


class KernelBuildError(KernelSetupError):
    """The ahead-of-time module could not be built (and ``BORDERFLOW_KERNELS=aot`` was asked)."""


def mode() -> str:
    """Which kernels this process uses: ``aot`` or ``jit`` (after `kernels` was called)."""
    kernels()
    assert _mode_loaded is not None
    return _mode_loaded


def kernels() -> SimpleNamespace:
    """The kernel functions, one namespace per process (see the module docstring)."""
    global _loaded, _mode_loaded
    if _loaded is None:
        want = os.environ.get("BORDERFLOW_KERNELS", "auto").strip().lower() or "auto"
        if want not in ("auto", "jit", "aot"):
            raise KernelSetupError(f"BORDERFLOW_KERNELS={want!r}: expected auto, jit or aot")
        ns = None
        if want != "jit":
            try:
                ns = _load_aot()
            except (KernelBuildError, OSError, ImportError) as exc:  # no compiler, read-only, …
                if want == "aot":
                    raise
                warnings.warn(f"{exc}; using Numba's just-in-time compiler instead",
                              RuntimeWarning, stacklevel=2)
        if ns is None:
            ns, _mode_loaded = _load_jit(), "jit"
        else:
            _mode_loaded = "aot"
        _loaded = ns
    return _loaded


def prepare_single_run() -> None:
    """For a process that runs one simulation: skip Numba's BLAS check if it uses the JIT."""
    if mode() == "jit":
        from borderflow import kernel

        kernel.prepare_compiler()


def _load_jit() -> SimpleNamespace:
    from borderflow import kernel, netkernel

    mods = {"kernel": kernel, "netkernel": netkernel}
    return SimpleNamespace(**{name: getattr(mods[m], name) for name, (m, _, _) in EXPORTS.items()})


# -- the ahead-of-time module ---------------------------------------------------------------------
def _cpu_identity() -> str:
    """What the compiled code may assume of the processor (it is compiled for this one)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            keep = [line for line in fh if line.startswith(("model name", "flags", "Features"))]
        return "".join(sorted(set(keep)))
    except OSError:
        return platform.processor() + platform.machine()


def _numba_version() -> str:
    """Numba's version file, read without importing Numba (or its slow package metadata)."""
    spec = importlib.util.find_spec("numba")
    if spec is None or spec.origin is None:
        return "none"
    try:
        return (Path(spec.origin).parent / "_version.py").read_text(encoding="utf-8")
    except OSError:
        return spec.origin


def module_name() -> str:
    """The name of the ahead-of-time module for these sources, versions and processor."""
    h = hashlib.sha256()
    for name in _SOURCES:
        h.update((_HERE / name).read_bytes())
    for part in (sys.version, np.__version__, _numba_version(), platform.machine(),
                 _cpu_identity()):
        h.update(part.encode())
    return "_bf_kernels_" + h.hexdigest()[:20]


def cache_dir() -> Path:
    """Where the ahead-of-time module is kept (see the module docstring)."""
    env = os.environ.get("BORDERFLOW_CACHE_DIR")
    if env:
        return Path(env)
    here = _HERE / "__pycache__"
    try:
        here.mkdir(exist_ok=True)
        if os.access(here, os.W_OK):
            return here
    except OSError:
        pass
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "borderflow"


def _load_aot() -> SimpleNamespace:
    name = module_name()
    folder = cache_dir()
    path = folder / (name + importlib.machinery.EXTENSION_SUFFIXES[0])
    if not path.exists():
        _build_locked(folder, name, path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise KernelBuildError(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return SimpleNamespace(**{fname: _checked(fname, getattr(mod, fname), args)
                              for fname, (_, args, _) in EXPORTS.items()})


def _build_locked(folder: Path, name: str, path: Path) -> None:
    """Build the module once, even when several processes ask for it at the same time."""
    import subprocess
    import tempfile

    folder.mkdir(parents=True, exist_ok=True)
    failed = folder / (name + ".failed")
    if failed.exists():
        raise KernelBuildError(f"the ahead-of-time kernels could not be built before "
                               f"(reason in {failed})")
    lock = open(folder / (name + ".lock"), "w")  # noqa: SIM115  (held until built)
    try:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no lock, a rare double build is harmless
            pass
        if path.exists():
            return
        if failed.exists():
            raise KernelBuildError(f"the ahead-of-time kernels could not be built "
                                   f"(reason in {failed})")
        sys.stderr.write("borderflow: compiling the simulation kernels for this machine "
                         "(once, about a minute)...\n")
        sys.stderr.flush()
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            env = {**os.environ, "BORDERFLOW_KERNELS": "jit"}
            proc = subprocess.run([sys.executable, "-m", "borderflow.accel", tmp, name],
                                  capture_output=True, text=True, env=env, check=False)
            built = Path(tmp) / path.name
            if proc.returncode != 0 or not built.exists():
                failed.write_text(proc.stdout + proc.stderr, encoding="utf-8")
                raise KernelBuildError(f"the ahead-of-time kernels could not be built "
                                       f"(reason in {failed})")
            os.replace(built, path)
        for suffix in (path.name[len(name):], ".lock", ".failed"):
            for old in folder.glob("_bf_kernels_*" + suffix):
                if not old.name.startswith(name):  # from older sources (a process that has
                    old.unlink(missing_ok=True)  # the module loaded keeps its copy)
    finally:
        lock.close()


def _checked(fname: str, fn: Any, args: tuple[str, ...]) -> Any:
    """``fn`` behind a check of every argument against its declared type."""
    spec = []
    for a in args:
        if "[" in a:
            spec.append((_DTYPES[a[: a.index("[")]], a.count(",") + 1))
        else:
            spec.append((a, 0))
    n = len(spec)

    def call(*xs: Any) -> Any:
        if len(xs) != n:
            raise TypeError(f"{fname}: {len(xs)} arguments given, {n} expected")
        for i, (x, (want, nd)) in enumerate(zip(xs, spec, strict=True)):
            if nd:
                if not (type(x) is np.ndarray and x.dtype == want and x.ndim == nd
                        and x.flags.c_contiguous):
                    got = (f"{x.dtype}, {x.ndim}-d, C-contiguous {x.flags.c_contiguous}"
                           if isinstance(x, np.ndarray) else type(x).__name__)
                    raise TypeError(f"{fname}: argument {i} must be a C-contiguous {nd}-d "
                                    f"{want} array, not {got}")
            elif want == "int64":
                if not isinstance(x, (int, np.integer)):
                    raise TypeError(f"{fname}: argument {i} must be an integer, "
                                    f"not {type(x).__name__}")
            elif not isinstance(x, (float, int, np.floating, np.integer)):
                raise TypeError(f"{fname}: argument {i} must be a number, "
                                f"not {type(x).__name__}")
        return fn(*xs)

    call.__name__ = fname
    call.__doc__ = getattr(fn, "__doc__", None)
    return call


def _build(out_dir: str, name: str) -> None:
    """Compile every export into ``out_dir/name<suffix>`` (run in a child process)."""
    import llvmlite.binding as llvm
    import numba.pycc.compiler as pycc_compiler
    from numba.pycc import CC

    from borderflow import kernel, netkernel

    class _NumpyErrorModel(pycc_compiler.Flags):
        """The exported bodies keep the kernels' error model (NumPy's: no division checks)."""

        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self.error_model = "numpy"

    pycc_compiler.Flags = _NumpyErrorModel  # type: ignore[misc]
    mods = {"kernel": kernel, "netkernel": netkernel}
    cc = CC(name)
    cc.output_dir = out_dir
    cc.target_cpu = llvm.get_host_cpu_name()
    cc.verbose = False
    for fname, (m, args, ret) in EXPORTS.items():
        cc.export(fname, f"{ret}({', '.join(args)})")(getattr(mods[m], fname).py_func)
    cc.compile()


if __name__ == "__main__":  # python -m borderflow.accel OUT_DIR NAME (used by _build_locked)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _build(sys.argv[1], sys.argv[2])
