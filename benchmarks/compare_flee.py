"""Side-by-side benchmark: Flee 3.1 against borderflow on the shared Flee scenarios.

Run with borderflow's own interpreter::

    python benchmarks/compare_flee.py [--scenarios mali,burundi,car] [--seeds 1]
        [--flee-python PATH] [--setup-flee] [--shared PATH] [--markdown FILE]
        [--flee-out-cache DIR] [--flee-live mali] [--generate NAME:KEY=VALUE,...]
        [--bf-outputs flee,all] [--no-warm-up]

For every scenario and seed, two separate child processes are started and measured:

* Flee 3.1, through ``benchmarks/flee31_driver.py`` in a Python environment where
  ``flee==3.1`` is installed (``--flee-python``, or the venv made by ``--setup-flee``);
* borderflow, through its command line: ``borderflow run SCENARIO --seed S --out TMPDIR``,
  which writes ``TMPDIR/out.csv``.

Each child is started with ``subprocess.Popen`` and reaped with ``os.wait4``, whose
resource usage belongs to that child alone: CPU time is user + system time and peak memory
is ``ru_maxrss``. Wall time is measured around the child. Both out.csv files are then scored
with the averaged relative difference (ARD, Flee's "Error (rescaled)"), computed by
``flee_ard`` below, an independent implementation of Flee's published validation metric.

Flee is slow (car takes about 14 CPU minutes). ``--flee-out-cache DIR`` reads
``DIR/<scenario>/seed<S>/out.csv`` and ``timing.json`` instead of running Flee when both
exist, and stores fresh Flee runs there otherwise; the table marks cached figures.
``--flee-live NAMES`` runs Flee now for those scenarios even when cached (and leaves the
cache alone). ``--generate`` adds networks written by ``borderflow generate`` (Flee runs
live on them). borderflow runs once per ``--bf-outputs`` mode: ``flee`` writes only
``out.csv`` (what Flee writes), ``all`` every results file. Before any timing, one untimed
short borderflow run fills Numba's on-disk cache, as any installed copy has after its first
run. ``--markdown FILE`` writes the table and notes, between ``<!-- compare_flee: begin -->``
and ``<!-- compare_flee: end -->`` if the file has those lines.

Flee 3.1 itself is not part of borderflow and is never imported here.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).resolve().parent / "flee31_driver.py"
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_FLEE_VENV = Path.home() / ".cache" / "borderflow-bench" / "flee31-venv"
FLEE_PYTHON_ENV = "BORDERFLOW_FLEE_PYTHON"
FLEE_PACKAGES = ["numpy", "pandas", "pyyaml", "beartype"]

CAMP_TOTAL_SIM = "refugees in camps (simulation)"
CAMP_TOTAL_DATA = "refugees in camps (UNHCR)"
# Columns of out.csv that do not depend on random draws (besides every "<camp> data").
DETERMINISTIC = (
    "Day",
    "Date",
    CAMP_TOTAL_DATA,
    "total refugees (simulation)",
    "raw UNHCR refugee count",
    "refugee_debt",
)


# --------------------------------------------------------------------------------------
# Metric
# --------------------------------------------------------------------------------------


def read_out_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Return the header and the data rows (as strings) of an out.csv file."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [row for row in csv.reader(fh) if row]
    if not rows:
        raise ValueError(f"{path}: empty file")
    return rows[0], rows[1:]


def flee_ard(path: Path) -> float:
    """Averaged relative difference of an out.csv file, as Flee 3.1 defines it.

    For each day t, with s_i, d_i the simulated and observed counts of camp i and S, D the
    simulated and observed camp totals: rescale s'_i = s_i * D / S (0 when S == 0), take
    E(t) = sum_i round(|s'_i - d_i|, 4) / max(D, 1), and return the mean of E over days.
    The operations follow Flee's order (per-camp float64 arrays rounded with numpy, summed
    camp by camp, numpy mean) so the value agrees with Flee's postprocessing to the last bit.
    """
    header, rows = read_out_csv(path)
    col = {name: i for i, name in enumerate(header)}
    camps = [name[: -len(" sim")] for name in header if name.endswith(" sim")]
    if not camps or not rows:
        raise ValueError(f"{path}: no camp columns or no days")
    sim_tot = np.array([float(r[col[CAMP_TOTAL_SIM]]) for r in rows])
    dat_tot = np.array([float(r[col[CAMP_TOTAL_DATA]]) for r in rows])
    has_sim = sim_tot > 0
    total = np.zeros(len(rows))
    for camp in camps:
        sim = np.array([float(r[col[f"{camp} sim"]]) for r in rows])
        dat = np.array([float(r[col[f"{camp} data"]]) for r in rows])
        # s * D first, then / S: the order Flee uses (products stay exact in float64).
        rescaled = np.divide(sim * dat_tot, sim_tot, out=np.zeros(len(rows)), where=has_sim)
        total = total + np.round(np.abs(rescaled - dat), 4)
    return float(np.mean(total / np.maximum(dat_tot, 1.0)))


def deterministic_mismatch(flee_csv: Path, bf_csv: Path) -> str:
    """Compare the columns that do not depend on random draws, as strings.

    Returns "yes" when the header and every deterministic cell are identical, otherwise a
    short description of the first difference.
    """
    h1, r1 = read_out_csv(flee_csv)
    h2, r2 = read_out_csv(bf_csv)
    if h1 != h2:
        return "no (header differs)"
    if len(r1) != len(r2):
        return f"no ({len(r1)} vs {len(r2)} days)"
    names = [n for n in h1 if n in DETERMINISTIC or n.endswith(" data")]
    idx = [h1.index(n) for n in names]
    for a, b in zip(r1, r2, strict=True):
        for n, i in zip(names, idx, strict=True):
            if a[i] != b[i]:
                return f"no (day {a[0]}, {n}: {a[i]} vs {b[i]})"
    return "yes"


# --------------------------------------------------------------------------------------
# Measured child processes
# --------------------------------------------------------------------------------------


@dataclass
class Measured:
    """Figures of one child process."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_mb: float


def run_measured(cmd: list[str], log: Path, cwd: Path | None = None) -> Measured:
    """Run ``cmd`` as a child and return its wall time, CPU time and peak RSS.

    stdout and stderr go to ``log``. ``os.wait4`` gives the rusage of this child only
    (plus any grandchildren it waited for), never of the benchmark process itself.
    """
    with open(log, "wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd)
        _pid, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak = ru.ru_maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else ru.ru_maxrss / 1024.0
    return Measured(proc.returncode, wall, ru.ru_utime + ru.ru_stime, peak)


def tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


# --------------------------------------------------------------------------------------
# Flee environment
# --------------------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return venv / sub


def find_flee_python(explicit: Path | None) -> Path | None:
    """Pick the interpreter that has flee 3.1: flag, environment, default venv, ../flee-venv."""
    if explicit is not None:
        return explicit
    candidates: list[Path] = []
    if os.environ.get(FLEE_PYTHON_ENV):
        candidates.append(Path(os.environ[FLEE_PYTHON_ENV]))
    candidates += [venv_python(DEFAULT_FLEE_VENV), venv_python(REPO_ROOT.parent / "flee-venv")]
    for cand in candidates:
        if cand.exists():
            return cand
    return None


def setup_flee_venv(venv: Path) -> Path:
    """Create a venv with flee==3.1 (no dependencies) plus what its serial code imports."""
    py = venv_python(venv)
    if py.exists():
        print(f"Flee venv already present: {venv}")
        return py
    base = getattr(sys, "_base_executable", sys.executable) or sys.executable
    print(f"Creating Flee 3.1 venv at {venv} ...", flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # The full dependency list of flee 3.1 pulls mpi4py and muscle3; the serial model
    # needs none of them.
    subprocess.run([*pip, "--no-deps", "flee==3.1"], check=True)
    subprocess.run([*pip, *FLEE_PACKAGES], check=True)
    subprocess.run([str(py), "-c", "import flee.flee, flee.spawning"], check=True)
    return py


# --------------------------------------------------------------------------------------
# One comparison
# --------------------------------------------------------------------------------------


@dataclass
class ToolResult:
    tool: str
    days: int | None = None
    ard: float | None = None
    wall_s: float | None = None
    cpu_s: float | None = None
    peak_mb: float | None = None
    cached: bool = False
    error: str | None = None
    out_csv: Path | None = None
    notes: list[str] = field(default_factory=list)


def count_days(out_csv: Path) -> int:
    return len(read_out_csv(out_csv)[1])


def score(res: ToolResult) -> None:
    if res.out_csv is None or not res.out_csv.exists():
        res.error = res.error or "no out.csv"
        return
    try:
        res.days = count_days(res.out_csv)
        res.ard = flee_ard(res.out_csv)
    except (ValueError, KeyError, IndexError) as exc:
        res.error = f"unreadable out.csv: {exc}"


def load_cached_flee(cache: Path, scenario: str, seed: int) -> ToolResult | None:
    folder = cache / scenario / f"seed{seed}"
    out_csv, timing = folder / "out.csv", folder / "timing.json"
    if not (out_csv.exists() and timing.exists()):
        return None
    info = json.loads(timing.read_text(encoding="utf-8"))
    cpu = info.get("cpu_s")
    if cpu is None and "cpu_user_s" in info:
        cpu = info["cpu_user_s"] + info.get("cpu_sys_s", 0.0)
    res = ToolResult("Flee 3.1", wall_s=info.get("wall_s"), cpu_s=cpu, cached=True)
    res.peak_mb = info.get("peak_rss_mb")
    res.out_csv = out_csv
    res.notes.append(f"cached {folder} ({info.get('measured_by', 'unknown method')})")
    score(res)
    return res


def run_flee(
    flee_python: Path, scen_dir: Path, seed: int, work: Path, cache: Path | None
) -> ToolResult:
    res = ToolResult("Flee 3.1")
    out_csv = work / "flee" / "out.csv"
    out_csv.parent.mkdir(parents=True)
    cmd = [str(flee_python), str(DRIVER), str(scen_dir), "--seed", str(seed), "--out", str(out_csv)]
    m = run_measured(cmd, work / "flee.log")
    res.wall_s, res.cpu_s, res.peak_mb, res.out_csv = m.wall_s, m.cpu_s, m.peak_mb, out_csv
    if m.returncode != 0:
        res.error = f"exit {m.returncode}: {tail(work / 'flee.log', 5)}"
        return res
    score(res)
    if cache is not None and res.error is None:
        folder = cache / scen_dir.name / f"seed{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out_csv, folder / "out.csv")
        record = {
            "tool": "flee",
            "scenario": scen_dir.name,
            "seed": seed,
            "days": res.days,
            "wall_s": round(m.wall_s, 3),
            "cpu_s": round(m.cpu_s, 3),
            "peak_rss_mb": round(m.peak_mb, 1),
            "ard": res.ard,
            "measured_by": "compare_flee.py: os.wait4 rusage of the driver process",
            "command": cmd,
            "machine": machine_summary(),
        }
        (folder / "timing.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        res.notes.append(f"stored in {folder}")
    return res


def run_borderflow(bf_exe: Path, scen_dir: Path, seed: int, work: Path,
                   outputs: str = "all") -> ToolResult:
    """``outputs``: "all" (every results file) or "flee" (out.csv only, as Flee writes)."""
    res = ToolResult("borderflow" + (" (out.csv only)" if outputs == "flee" else ""))
    out_dir = work / f"borderflow-{outputs}"
    out_dir.mkdir(parents=True)
    cmd = [str(bf_exe), "run", str(scen_dir), "--seed", str(seed), "--out", str(out_dir),
           "--quiet"]
    if outputs == "flee":
        cmd.append("--out-csv-only")
    m = run_measured(cmd, work / f"borderflow-{outputs}.log")
    res.wall_s, res.cpu_s, res.peak_mb = m.wall_s, m.cpu_s, m.peak_mb
    res.out_csv = out_dir / "out.csv"
    if m.returncode != 0:
        res.error = f"exit {m.returncode}: {tail(work / 'borderflow.log', 5)}"
        return res
    score(res)
    return res


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------


def machine_summary() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kib = int(fh.readline().split()[1])
        mem = f", {kib / 1024 / 1024:.1f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical CPUs{mem}"


def fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def short(error: str, width: int = 70) -> str:
    """Last non-empty line of an error text (usually the exception), fit for a table cell."""
    lines = [ln.strip() for ln in error.splitlines() if ln.strip()]
    text = lines[-1] if lines else "error"
    return text.replace("|", "/")[:width]


def ratio(num: float | None, den: float | None) -> str:
    if num is None or den is None or den <= 0:
        return "–"
    return f"{num / den:,.1f}×"


@dataclass
class Pair:
    scenario: str
    seed: int
    flee: ToolResult
    bf: ToolResult
    det_match: str = "–"
    more: list[ToolResult] = field(default_factory=list)  # other borderflow output modes


def markdown_table(pairs: list[Pair]) -> str:
    head = (
        "| scenario | seed | days | tool | ARD | wall s | CPU s | peak MB "
        "| Flee/bf wall | Flee/bf CPU | deterministic cols identical |"
    )
    lines = [head, "|" + "---|" * 11]
    for p in pairs:
        for res in (p.flee, p.bf, *p.more):
            is_bf = res is not p.flee
            tool = res.tool + (" (cached)" if res.cached else "")
            ard = f"failed: {short(res.error)}" if res.error else fmt(res.ard, ".4f")
            both_ok = not (p.flee.error or res.error)
            cells = [
                p.scenario,
                str(p.seed),
                "–" if res.days is None else str(res.days),
                tool,
                ard,
                fmt(res.wall_s, ",.2f"),
                fmt(res.cpu_s, ",.2f"),
                fmt(res.peak_mb, ",.0f"),
                ratio(p.flee.wall_s, res.wall_s) if is_bf and both_ok else "",
                ratio(p.flee.cpu_s, res.cpu_s) if is_bf and both_ok else "",
                p.det_match if res is p.bf else "",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes_block(pairs: list[Pair], flee_python: Path | None, bf_exe: Path | None) -> str:
    out = [
        f"Machine: {machine_summary()}.",
        f"Flee: 3.1 via {DRIVER.name} ({flee_python or 'not needed: all cached'}); "
        f"borderflow: {bf_exe}.",
        "ARD = Flee's averaged relative difference ('Error (rescaled)'), lower is better. "
        "CPU = user+system time of the child process (os.wait4); peak MB = its ru_maxrss.",
    ]
    cached = [p for p in pairs if p.flee.cached]
    if cached:
        out.append(
            "**Cached Flee figures** (not rerun now; timings come from an earlier run, possibly "
            "under a different machine load): "
            + "; ".join(f"{p.scenario} seed {p.seed}: {', '.join(p.flee.notes)}" for p in cached)
        )
    return "\n".join(f"- {line}" for line in out)


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenarios", default="mali,burundi,car", help="comma-separated names")
    p.add_argument("--seeds", default="1", help="comma-separated integer seeds")
    p.add_argument("--flee-python", type=Path, default=None, help="python with flee==3.1")
    p.add_argument(
        "--setup-flee",
        action="store_true",
        help=f"create the Flee 3.1 venv at {DEFAULT_FLEE_VENV} if missing",
    )
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data folder")
    p.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    p.add_argument(
        "--flee-out-cache",
        type=Path,
        default=None,
        help="reuse DIR/<scenario>/seed<S>/{out.csv,timing.json}; store new Flee runs there",
    )
    p.add_argument(
        "--borderflow", type=Path, default=None, help="borderflow executable (default: venv's)"
    )
    p.add_argument("--keep", type=Path, default=None, help="keep all outputs and logs here")
    p.add_argument(
        "--generate",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE,...",
        help="also benchmark a generated network, e.g. 'gen-200:locations=200,links=400,"
        "conflict-zones=10,camps=20,people=200000,days=200' (options of borderflow generate; "
        "repeatable; Flee always runs live on these)",
    )
    p.add_argument(
        "--flee-live",
        default="",
        help="comma-separated scenarios for which Flee runs now even if --flee-out-cache holds "
        "them (the cache is then left as it is)",
    )
    p.add_argument(
        "--bf-outputs",
        default="flee,all",
        help="borderflow runs per scenario: 'flee' writes out.csv only (what Flee writes), "
        "'all' every results file; comma-separated",
    )
    p.add_argument(
        "--no-warm-up",
        action="store_true",
        help="skip the untimed borderflow run that fills Numba's on-disk cache first",
    )
    return p.parse_args(argv)


def generate_scenarios(bf_exe: Path, specs: list[str], folder: Path) -> dict[str, Path]:
    """Write each ``NAME:key=value,...`` scenario with ``borderflow generate``."""
    out: dict[str, Path] = {}
    for spec in specs:
        name, _, opts = spec.partition(":")
        cmd = [str(bf_exe), "generate", str(folder / name), "--force"]
        for item in filter(None, opts.split(",")):
            key, _, value = item.partition("=")
            cmd += [f"--{key.strip().replace('_', '-')}", value.strip()]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        out[name] = (folder / name).resolve()
    return out


MARK_BEGIN = "<!-- compare_flee: begin -->"
MARK_END = "<!-- compare_flee: end -->"


def write_markdown(path: Path, text: str, begin: str = MARK_BEGIN) -> None:
    """Write ``text`` to ``path``, or between the ``begin`` marker (and its matching end
    marker) if the file has them."""
    end = begin.replace("begin", "end")
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = f"{head}{begin}\n{text}{end}{tail}"
    path.write_text(text, encoding="utf-8")


def find_borderflow(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    local = Path(sys.executable).parent / ("borderflow.exe" if os.name == "nt" else "borderflow")
    if local.exists():
        return local
    found = shutil.which("borderflow")
    return Path(found) if found else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shared = args.shared.resolve()
    scen_root = shared / "scenarios" / "flee"
    if not scen_root.is_dir():
        print(
            f"compare_flee: shared scenario folder {scen_root} not found; nothing to benchmark. "
            "Pass --shared PATH to point at the folder holding scenarios/flee/<name>/."
        )
        return 0
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    scen_dirs: dict[str, Path] = {}
    for name in scenarios:
        path = Path(name) if Path(name).is_dir() else scen_root / name
        if not (path / "input_csv").is_dir():
            print(f"compare_flee: scenario {name!r} not found at {path}", file=sys.stderr)
            return 2
        scen_dirs[path.name] = path.resolve()

    cache = args.flee_out_cache.resolve() if args.flee_out_cache else None
    live = {s.strip() for s in args.flee_live.split(",") if s.strip()}
    need_flee = (cache is None or bool(args.generate) or bool(live & set(scen_dirs))
                 or any(load_cached_flee(cache, s, seed) is None
                        for s in scen_dirs for seed in seeds))
    flee_python: Path | None = None
    if need_flee:
        if args.setup_flee and args.flee_python is None:
            flee_python = setup_flee_venv(DEFAULT_FLEE_VENV)
        else:
            flee_python = find_flee_python(args.flee_python)
        if flee_python is None or not flee_python.exists():
            print(
                "compare_flee: no Python with flee==3.1 found. Pass --flee-python PATH, set "
                f"{FLEE_PYTHON_ENV}, or use --setup-flee (creates {DEFAULT_FLEE_VENV}).",
                file=sys.stderr,
            )
            return 2
    bf_exe = find_borderflow(args.borderflow)
    if bf_exe is None or not bf_exe.exists():
        print("compare_flee: borderflow executable not found (pip install -e .)", file=sys.stderr)
        return 2

    modes = [m.strip() for m in args.bf_outputs.split(",") if m.strip()] or ["all"]
    pairs: list[Pair] = []
    with tempfile.TemporaryDirectory(prefix="compare-flee-") as tmp:
        base = args.keep.resolve() if args.keep else Path(tmp)
        if args.generate:
            generated = generate_scenarios(bf_exe, args.generate, base / "generated")
            scen_dirs.update(generated)
            live |= set(generated)
        if not args.no_warm_up and scen_dirs:  # compile or load Numba's cache, untimed
            first = next(iter(scen_dirs.values()))
            subprocess.run([str(bf_exe), "run", str(first), "--days", "2", "--quiet",
                            "--out-csv-only", "--out", str(base / "warm-up")],
                           check=False, capture_output=True)
        for name, scen_dir in scen_dirs.items():
            for seed in seeds:
                work = base / name / f"seed{seed}"
                if work.exists():
                    shutil.rmtree(work)
                work.mkdir(parents=True)
                cached = (load_cached_flee(cache, name, seed)
                          if cache and name not in live else None)
                if cached is None:
                    assert flee_python is not None
                    print(f"[{name} seed {seed}] running Flee 3.1 ...", flush=True)
                    flee_res = run_flee(flee_python, scen_dir, seed, work,
                                        None if name in live else cache)
                else:
                    flee_res = cached
                print(f"[{name} seed {seed}] running borderflow ...", flush=True)
                bf_runs = [run_borderflow(bf_exe, scen_dir, seed, work, m) for m in modes]
                bf_res = bf_runs[0]
                pair = Pair(name, seed, flee_res, bf_res, more=bf_runs[1:])
                ok = flee_res.out_csv and bf_res.out_csv and not (flee_res.error or bf_res.error)
                if ok and flee_res.out_csv and bf_res.out_csv:
                    pair.det_match = deterministic_mismatch(flee_res.out_csv, bf_res.out_csv)
                for res in (flee_res, *bf_runs):
                    if res.error:
                        print(f"  {res.tool} failed: {res.error}", file=sys.stderr)
                pairs.append(pair)

        table = markdown_table(pairs)
        notes = notes_block(pairs, flee_python, bf_exe)
    command = " ".join(["python", "benchmarks/compare_flee.py", *(argv or sys.argv[1:])])
    text = f"{table}\n\n{notes}\n- Command: `{command}`\n"
    print()
    print(text)
    if args.markdown:
        write_markdown(args.markdown, text)
    failed = any(p.flee.error or p.bf.error or any(r.error for r in p.more) for p in pairs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
