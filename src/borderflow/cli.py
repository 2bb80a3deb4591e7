"""The ``borderflow`` command line: the only place that parses arguments, prints and exits.

Exit status: 0 on success, 2 on bad input (a clear message naming file, line and column, never
a traceback), 1 on an internal error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate and forecast how displaced people move along routes and across borders.",
)

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
HELP_DAYS = "Days to simulate (default: the period file's Length)."
HELP_SEED = "Random seed; the same seed gives the same output."
HELP_SET = "Override a setting, e.g. --set move.awareness_level=2 (repeatable)."
HELP_PARAM = "Override a policies.yml parameter, e.g. --param occupancy_iraq=0.7 (repeatable)."
HELP_CHECKPOINT = "Save the run's state every N days to OUT/checkpoint.npz (0: never)."
HELP_RESUME = "Continue from OUT/checkpoint.npz if it exists (same seed, same output)."


def _err(message: str) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(message, markup=False)


def _parse_sets(values: list[str] | None) -> dict[str, object]:
    """``--set move.awareness_level=2`` → ``{"move.awareness_level": 2}`` (YAML scalars)."""
    import yaml

    out: dict[str, object] = {}
    for item in values or []:
        if "=" not in item:
            raise typer.BadParameter(f"--set {item!r}: expected KEY=VALUE")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise typer.BadParameter(f"--set {item!r}: expected KEY=VALUE with a YAML scalar "
                                     "value such as 2, 0.5, true or a word") from None
    return out


def _parse_params(values: list[str] | None) -> dict[str, object]:
    """``--param occupancy=0.7`` → ``{"occupancy": 0.7}`` (a number or a date)."""
    import yaml

    out: dict[str, object] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        try:
            value = yaml.safe_load(raw) if sep else None
        except yaml.YAMLError:
            value = None
        if not sep or not key.strip() or value is None or isinstance(value, bool | list | dict):
            raise typer.BadParameter(f"--param {item!r}: expected NAME=NUMBER or NAME=DATE")
        out[key.strip()] = value
    return out


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (Flee layout).")],
    days: Annotated[int | None, typer.Option(help=HELP_DAYS, min=0, max=100_000)] = None,
    seed: Annotated[int, typer.Option(help=HELP_SEED, min=0)] = 0,
    out: Annotated[Path, typer.Option(help="Results folder to write.")] = Path("results"),
    set_: Annotated[list[str] | None, typer.Option("--set", help=HELP_SET)] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help=HELP_PARAM)] = None,
    checkpoint_every: Annotated[int, typer.Option(help=HELP_CHECKPOINT, min=0)] = 0,
    resume: Annotated[bool, typer.Option(help=HELP_RESUME)] = False,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
    out_csv_only: Annotated[bool, typer.Option(
        help="Write only Flee's out.csv (what Flee itself writes), not the Parquet tables, "
             "series and run.json.")] = False,
) -> None:
    """Run one simulation and write its results folder (out.csv, Parquet tables, series)."""
    # One simulation uses no threaded linear algebra: do not start a pool of BLAS threads
    # (NumPy's import does, costing start-up time) unless the user asked for one.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from borderflow import accel
    from borderflow.engine import Simulation, SimulationError
    from borderflow.scenario import load_scenario
    from borderflow.scenario.errors import ScenarioError

    accel.prepare_single_run()  # with Numba's JIT: skip its check for a BLAS (SciPy import)

    try:
        overrides = _parse_sets(set_)
        params = _parse_params(param)
        sc = load_scenario(scenario, settings_overrides=overrides or None,
                           parameters=params or None)
    except ScenarioError as exc:
        _err(f"error: invalid scenario {scenario}:\n{exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if out.exists() and not out.is_dir():
        _err(f"error: --out {out}: is a file (expected a folder to write the results into)")
        raise typer.Exit(EXIT_BAD_INPUT)
    if not quiet:
        for w in sc.warnings:
            _err(f"warning: {w}")
    ckpt = out / "checkpoint.npz"
    kwargs = {"checkpoint": ckpt if (checkpoint_every or resume) else None,
              "checkpoint_every": checkpoint_every, "resume": resume}
    kill_at = int(os.environ.get("BORDERFLOW_TEST_SIGKILL_AFTER_DAY", "0") or 0)
    try:
        sim = Simulation(sc, seed=seed, days=days)
        if kill_at:  # for the interruption tests: a real kill -9 at a known day
            import signal

            def _die(day: int, n: int) -> None:
                if day == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

            results = sim.run(progress=_die, **kwargs)
        elif sys.stderr.isatty() and not quiet:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task(f"{sc.name}", total=sim.days)
                results = sim.run(progress=lambda d, n: bar.update(task, completed=d), **kwargs)
        else:
            results = sim.run(**kwargs)
    except SimulationError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if out_csv_only:
        from borderflow.results import atomic_write

        text = results.out_csv_text() if results.observed is not None else None
        written = []
        if text is not None:
            atomic_write(out / "out.csv", lambda p: p.write_text(text, encoding="utf-8"))
            written.append(out / "out.csv")
    else:
        written = results.save(out)
    ckpt.unlink(missing_ok=True)  # the run is complete: its results replace the checkpoint
    if not quiet:
        _print_run_summary(results, written)


def _print_run_summary(results, written: list[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    last = results.days - 1
    table = Table(title=f"{results.scenario_name}: {results.days} days, seed {results.seed}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    if results.days:
        present = int(results.total_present[last])
        table.add_row("people in the simulation (last day)", f"{present:,}")
        camps = results.camps
        table.add_row("people in camps (last day)", f"{int(camps.iloc[last].sum()):,}")
        table.add_row("people removed (returned, deported or sunk)",
                      f"{int(results.removed.sum()):,}")
        ev = results.events
        if ev is not None and results.crossing_links:
            k = list(results.crossing_links)
            for label, values in (("crossing attempts", ev.attempts), ("entries", ev.entries),
                                  ("turn-backs", ev.turnbacks)):
                table.add_row(label, f"{int(values[:, k].sum()):,}")
        if ev is not None and ev.exposed_nights.any():
            table.add_row("exposed person-nights", f"{int(ev.exposed_nights.sum()):,}")
            table.add_row("  of which below 0 °C", f"{int(ev.exposed_below_zero.sum()):,}")
        if ev is not None and ev.detained.any():
            table.add_row("most people detained on one day", f"{int(ev.detained.sum(1).max()):,}")
    out_csv = next((p for p in written if p.name == "out.csv"), None)
    if out_csv is not None and results.days:
        from borderflow.metrics import validation_score
        from borderflow.outcsv import read_out_csv

        score = validation_score(read_out_csv(out_csv))
        table.add_row("averaged relative difference (Flee's Error rescaled)", f"{score.ard:.4f}")
    con.print(table)
    if not written:
        con.print("nothing written (no observed data for out.csv)", markup=False)
        return
    con.print(f"results written to {written[0].parent.resolve()}:", markup=False, highlight=False)
    for path in written:
        con.print(f"  {path.name}", markup=False, highlight=False)


@app.command()
def validate(
    results_dir: Annotated[Path, typer.Argument(help="A results folder, or an out.csv file.")],
) -> None:
    """Score a run against observed data: averaged relative difference and per-camp errors."""
    from rich.console import Console
    from rich.table import Table

    from borderflow.metrics import validation_score
    from borderflow.outcsv import read_out_csv
    from borderflow.scenario.errors import ScenarioError

    if results_dir.is_dir() and (results_dir / "manifest.json").is_file():
        _validate_ensemble(results_dir)  # an ensemble folder (borderflow ensemble / calibrate)
        return
    path = results_dir / "out.csv" if results_dir.is_dir() else results_dir
    if not path.is_file():
        _err(f"error: {path}: no such file (expected a results folder holding out.csv)")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        score = validation_score(read_out_csv(path))
    except (ScenarioError, ValueError, KeyError) as exc:
        _err(f"error: {path}: cannot read it as Flee's out.csv: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    con = Console()
    con.print(f"averaged relative difference (Error rescaled): {score.ard:.4f}")
    con.print(f"averaged relative difference (not rescaled):   {score.ard_unscaled:.4f}")
    table = Table(title="per-camp error (mean over days)")
    for col in ["camp", *[str(c) for c in score.per_camp.columns]]:
        table.add_column(col, justify="left" if col == "camp" else "right")
    for camp, row in score.per_camp.iterrows():
        table.add_row(str(camp), *[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
    con.print(table)


# -- ensembles, sensitivity and calibrated forecasts (docs/ensembles.md) -----------------------
HELP_VARY = "Vary a numeric setting over a range: PARAM=LOW:HIGH, e.g. move.conflict_weight=0.1:1."
HELP_SCHEDULER = ("Address of a running Dask scheduler, e.g. tcp://scheduler-host:8786 (default: a "
                  "new local cluster of processes; 'synchronous': run in this process).")
HELP_WORKERS = "Worker processes of the local Dask cluster (default: the number of cores)."
HELP_ENS_OUT = "Output folder; re-running the same command there computes only missing members."


def _ensemble_inputs(scenario: Path, set_: list[str] | None, vary: list[str] | None):
    """Load the scenario, parse --set and --vary; bad input exits with status 2."""
    from borderflow.ensemble import EnsembleError, parse_vary
    from borderflow.scenario.errors import ScenarioError
    from borderflow.scenario.flee_format import load_scenario

    try:
        overrides = _parse_sets(set_)
        sc = load_scenario(scenario, settings_overrides=overrides or None)
        ranges = parse_vary(vary or [])
    except ScenarioError as exc:
        _err(f"error: invalid scenario {scenario}:\n{exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except EnsembleError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    return sc, overrides, ranges


class _MembersBar:
    """A Rich progress bar over members on a terminal; enters as ``progress(done, total)``."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label, self.bar = label, None
        self.show = not quiet and sys.stderr.isatty()

    def __enter__(self):
        if not self.show:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True))
        self.bar.__enter__()
        task = self.bar.add_task(self.label, total=None)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _guarded(work, label: str, quiet: bool):
    """``work(progress)`` under a progress bar; bad input (a range, a store) exits with 2."""
    from borderflow.engine import SimulationError
    from borderflow.ensemble import EnsembleError

    try:
        with _MembersBar(label, quiet) as progress:
            return work(progress)
    except (EnsembleError, SimulationError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _print_frame(frame, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    def cell(v) -> str:
        if isinstance(v, float):
            return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.1f}"
        return str(v)

    table = Table(title=title)
    table.add_column(str(frame.index.name or ""))
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for row in frame.itertuples(index=True, name=None):
        table.add_row(*[cell(v) for v in row])
    Console().print(table)


@app.command()
def ensemble(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (Flee layout).")],
    members: Annotated[int, typer.Option(help="Number of members.", min=1)],
    out: Annotated[Path, typer.Option(help=HELP_ENS_OUT)],
    seed: Annotated[int, typer.Option(help=HELP_SEED, min=0)] = 0,
    vary: Annotated[list[str] | None, typer.Option("--vary", help=HELP_VARY)] = None,
    sampling: Annotated[str, typer.Option(help="Parameter draws: lhs or uniform.")] = "lhs",
    days: Annotated[int | None, typer.Option(help=HELP_DAYS, min=0, max=100_000)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help=HELP_SET)] = None,
    scheduler: Annotated[str | None, typer.Option(help=HELP_SCHEDULER)] = None,
    workers: Annotated[int | None, typer.Option(help=HELP_WORKERS, min=1)] = None,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Run an ensemble on Dask: one Parquet file per member, a manifest, quantile bands."""
    from borderflow.ensemble import ensemble_spec, plan_members, run_ensemble

    sc, overrides, ranges = _ensemble_inputs(scenario, set_, vary)

    def work(progress):
        plan = plan_members(members, seed, ranges, sampling)
        return run_ensemble(sc, plan, out, days=days, scheduler=scheduler, n_workers=workers,
                            spec=ensemble_spec(seed, ranges, sampling, overrides),
                            progress=progress)

    run = _guarded(work, f"{sc.name} members", quiet)
    if not quiet:
        typer.echo(f"{len(run.computed)} members computed, {len(run.reused)} already there, "
                   f"in {run.seconds:.1f} s; ensemble in {out.resolve()}")
        if run.store.observed() is not None:
            _validate_ensemble(out)


def _validate_ensemble(folder: Path) -> None:
    from borderflow.ensemble import EnsembleError, EnsembleStore
    from borderflow.forecast import ensemble_validation

    try:
        scores = ensemble_validation(EnsembleStore(folder))
    except EnsembleError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    summary = scores["summary"].rename(columns={
        "ard_mean": "ARD mean", "ard_sd": "ARD sd", "crps": "CRPS", "crps_relative": "CRPS/obs",
        "coverage50": "cover 50%", "coverage90": "cover 90%"})
    _print_frame(summary, "ensemble against observed camp counts "
                 "(ARD: Flee's averaged relative difference, per member; CRPS in people)")
    _print_frame(scores["per_camp"], "per camp, all days")


@app.command()
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (Flee layout).")],
    vary: Annotated[list[str], typer.Option("--vary", help=HELP_VARY)],
    out: Annotated[Path, typer.Option(help=HELP_ENS_OUT)],
    method: Annotated[str, typer.Option(help="morris or sobol.")] = "morris",
    n: Annotated[int, typer.Option(help="Morris trajectories, or Sobol' base sample.",
                                   min=1)] = 10,
    levels: Annotated[int, typer.Option(help="Morris grid levels.", min=2)] = 4,
    replicates: Annotated[int, typer.Option(help="Seeds per design point.", min=1)] = 1,
    response: Annotated[str, typer.Option(
        help="ard (Flee's score), ard_unscaled or camps_final.")] = "ard",
    seed: Annotated[int, typer.Option(help=HELP_SEED, min=0)] = 0,
    days: Annotated[int | None, typer.Option(help=HELP_DAYS, min=0, max=100_000)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help=HELP_SET)] = None,
    scheduler: Annotated[str | None, typer.Option(help=HELP_SCHEDULER)] = None,
    workers: Annotated[int | None, typer.Option(help=HELP_WORKERS, min=1)] = None,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Rank settings by their effect on the score (SALib Morris or Sobol'); table and plot."""
    from borderflow.sensitivity import run_sensitivity

    sc, _, ranges = _ensemble_inputs(scenario, set_, vary)
    result = _guarded(lambda progress: run_sensitivity(
        sc, ranges, out, method=method, n=n, levels=levels, seed=seed, replicates=replicates,
        response=response, days=days, scheduler=scheduler, n_workers=workers,
        progress=progress), f"{sc.name} {method} runs", quiet)
    if not quiet:
        _print_frame(result.table, f"{sc.name}: {method} sensitivity of {response}")
        typer.echo(f"written to {out.resolve()}: " + ", ".join(p.name for p in result.files))


@app.command()
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (Flee layout).")],
    until: Annotated[str, typer.Option(help="Last date (YYYY-MM-DD) of data used to fit.")],
    out: Annotated[Path, typer.Option(help="Output folder.")],
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", help=HELP_VARY + " Default: see docs/ensembles.md.")] = None,
    particles: Annotated[int, typer.Option(help="ABC-SMC population size.", min=4)] = 48,
    alpha: Annotated[float, typer.Option(help="Share of particles kept per generation.",
                                         min=0.05, max=0.95)] = 0.5,
    generations: Annotated[int, typer.Option(help="Most ABC-SMC generations.", min=1)] = 6,
    members: Annotated[int, typer.Option(help="Forecast ensemble members.", min=1)] = 100,
    arrivals: Annotated[str, typer.Option(
        help="New arrivals after the cut-off: trend, persist or observed.")] = "trend",
    seed: Annotated[int, typer.Option(help=HELP_SEED, min=0)] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help=HELP_SET)] = None,
    scheduler: Annotated[str | None, typer.Option(help=HELP_SCHEDULER)] = None,
    workers: Annotated[int | None, typer.Option(help=HELP_WORKERS, min=1)] = None,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Fit settings to data up to --until (ABC-SMC), forecast the rest, score against baselines."""
    from datetime import date

    from borderflow.forecast import DEFAULT_CALIBRATION_VARY
    from borderflow.forecast import calibrate as fit

    try:
        cut = date.fromisoformat(until)
    except ValueError:
        _err(f"error: --until {until!r}: expected a date YYYY-MM-DD")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    sc, _, ranges = _ensemble_inputs(scenario, set_, vary or list(DEFAULT_CALIBRATION_VARY))
    result = _guarded(lambda progress: fit(
        sc, cut, ranges, out, seed=seed, particles=particles, alpha=alpha,
        generations=generations, members=members, arrivals=arrivals, scheduler=scheduler,
        n_workers=workers, progress=progress, log=None if quiet else _err),
        f"{sc.name} forecast members", quiet)
    if not quiet:
        post = result.posterior
        _print_frame(post.ranges(), f"fitted ranges ({post.simulations} simulations, "
                     f"{len(post.generations)} generations)")
        _print_frame(result.scores, f"held-out days {result.cutoff_day}..{sc.length - 1}: "
                     "forecast against naive baselines")
        typer.echo(f"written to {out.resolve()}: " + ", ".join(p.name for p in result.files))


# -- report (borderflow.report) ----------------------------------------------------------------
HELP_REPORT_OUT = ("The HTML file to write (default: RESULTS_DIR/report.html); with --format png, "
                   "the folder for the PNG files (default: RESULTS_DIR/report-png).")
HELP_REPORT_SC = ("Scenario folder, for the map and the policy timeline (default: the one "
                  "recorded in run.json, if any).")
HELP_MAP_DAYS = "Days of the map's small multiples, e.g. 10,30,60 (default: four spread days)."


@app.command()
def report(
    results_dir: Annotated[Path, typer.Argument(
        help="A results folder, an ensemble folder, or a folder of results folders.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help=HELP_REPORT_OUT)] = None,
    fmt: Annotated[str, typer.Option("--format", help="html or png.")] = "html",
    scenario: Annotated[Path | None, typer.Option(help=HELP_REPORT_SC)] = None,
    map_days: Annotated[str | None, typer.Option(help=HELP_MAP_DAYS)] = None,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Write a report: one self-contained HTML page (map, charts, needs), or PNG figures."""
    from borderflow.report import ReportError, write_report

    days = None
    if map_days:
        try:
            days = [int(d) for d in map_days.split(",") if d.strip()]
        except ValueError:
            _err(f"error: --map-days {map_days!r}: expected day numbers separated by commas")
            raise typer.Exit(EXIT_BAD_INPUT) from None
    if output is None:
        output = results_dir / ("report.html" if fmt == "html" else "report-png")
    try:
        written, warnings = write_report(results_dir, output, fmt=fmt, scenario=scenario,
                                         map_days=days)
    except ReportError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if not quiet:
        for w in warnings:
            _err(f"warning: {w}")
        where = written[0] if fmt == "html" else output
        typer.echo(f"report written to {where.resolve()}"
                   + ("" if fmt == "html" else f" ({len(written)} PNG files)"))


@app.command()
def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="Base scenario, then variant folders.")],
    seeds: Annotated[int, typer.Option(help="Seeded runs per scenario (1..N).", min=1)] = 5,
    out: Annotated[Path | None, typer.Option(help="Folder for compare.csv and the runs.")] = None,
) -> None:
    """Compare a base scenario with what-if variants, run with the same seeds."""
    from rich.console import Console
    from rich.table import Table

    from borderflow.compare import compare_scenarios, format_value
    from borderflow.engine import SimulationError
    from borderflow.scenario.errors import ScenarioError

    try:
        with _MembersBar("compare", quiet=False) as bar:
            table = compare_scenarios(scenarios, list(range(1, seeds + 1)), out=out,
                                      progress=bar)
    except ScenarioError as exc:
        _err(f"error: invalid scenario:\n{exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except SimulationError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    names = list(dict.fromkeys(a for a, _ in table.columns))
    view = Table(title=f"what-if comparison (mean of {seeds} seeds, range in brackets)")
    view.add_column("measure")
    for name in names:
        view.add_column(name.split(":")[-1], justify="right")
    for measure, row in table.iterrows():
        view.add_row(str(measure), *[format_value(row[(n, "mean")], row[(n, "min")],
                                                  row[(n, "max")]) for n in names])
    Console().print(view)
    if out is not None:
        typer.echo(f"table and runs written to {out.resolve()}")


def _print_version(value: bool) -> None:
    # eager: runs while parsing, before the group asks for a command
    if value:
        from borderflow import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Folder to write the scenario into.")],
    locations: Annotated[int, typer.Option(help="Number of places.", min=2)] = 100,
    links: Annotated[int, typer.Option(help="Number of routes (at least places - 1).",
                                       min=1)] = 200,
    conflict_zones: Annotated[int, typer.Option(help="Conflict zones among the places.",
                                                min=1)] = 5,
    camps: Annotated[int, typer.Option(help="Camps among the places.", min=1)] = 10,
    people: Annotated[int, typer.Option(help="Displaced people by the last day.", min=0)] = 100_000,
    days: Annotated[int, typer.Option(help="Length of the period.", min=1, max=100_000)] = 365,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same files.",
                                      min=0)] = 0,
    awareness: Annotated[int, typer.Option(help="awareness_level in simsetting.yml.",
                                           min=-1, max=10)] = 1,
    link_km: Annotated[float, typer.Option(help="Typical length of a route in km.",
                                           min=1.0)] = 100.0,
    force: Annotated[bool, typer.Option(help="Write into a folder that is not empty.")] = False,
) -> None:
    """Write a synthetic scenario in Flee's format (input_csv/, source_data/, simsetting.yml)."""
    from borderflow.generate import GeneratorSpec, generate_scenario

    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        _err(f"error: {out}: exists and is not an empty folder (use --force to write into it)")
        raise typer.Exit(EXIT_BAD_INPUT)
    spec = GeneratorSpec(locations=locations, links=links, conflict_zones=conflict_zones,
                         camps=camps, people=people, days=days, seed=seed, awareness=awareness,
                         link_km=link_km)
    try:
        folder = generate_scenario(out, spec)
    except ValueError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(f"scenario written to {folder.resolve()}: {locations} places, {links} routes, "
               f"{people:,} people over {days} days (seed {seed})")


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          callback=_print_version, is_eager=True)] = False,
) -> None:
    """Simulate and forecast how displaced people move along routes and across borders."""


# Commands that leave nothing to clean up once they return (every file is written and closed):
# their process ends at once instead of tearing down the interpreter, which with NumPy, Numba
# and pandas loaded takes about 0.3 s.
FAST_EXIT_COMMANDS = frozenset({"run", "generate"})


def main() -> None:
    """Console entry point: run the app, turn unexpected errors into exit status 1."""
    try:
        app(standalone_mode=True)
    except SystemExit as exc:
        if FAST_EXIT_COMMANDS.intersection(sys.argv[1:2]) and exc.code in (0, None):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:  # e.g. a closed pipe: nothing more can be said anyway
                pass
            os._exit(0)
        raise
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    except Exception as exc:  # an internal error: say so plainly, keep the traceback short
        from borderflow.accel import KernelSetupError

        if isinstance(exc, KernelSetupError):  # the environment asks for what cannot be had
            _err(f"error: {exc}")
            sys.exit(EXIT_BAD_INPUT)
        _err(f"internal error: {type(exc).__name__}: {exc}")
        _err("please report this with the command you ran")
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
