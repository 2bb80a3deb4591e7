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
HELP_PARAM = "Override a policies.yml parameter, e.g. --param occupancy=0.7 (repeatable)."
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
        out[key.strip()] = yaml.safe_load(raw)
    return out


def _parse_params(values: list[str] | None) -> dict[str, float]:
    """``--param occupancy=0.7`` → ``{"occupancy": 0.7}``."""
    out: dict[str, float] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        try:
            out[key.strip()] = float(raw)
        except ValueError:
            sep = ""
        if not sep:
            raise typer.BadParameter(f"--param {item!r}: expected NAME=NUMBER")
    return out


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (Flee layout).")],
    days: Annotated[int | None, typer.Option(help=HELP_DAYS, min=0)] = None,
    seed: Annotated[int, typer.Option(help=HELP_SEED, min=0)] = 0,
    out: Annotated[Path, typer.Option(help="Results folder to write.")] = Path("results"),
    set_: Annotated[list[str] | None, typer.Option("--set", help=HELP_SET)] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help=HELP_PARAM)] = None,
    checkpoint_every: Annotated[int, typer.Option(help=HELP_CHECKPOINT, min=0)] = 0,
    resume: Annotated[bool, typer.Option(help=HELP_RESUME)] = False,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Run one simulation and write its results folder (out.csv, Parquet tables, series)."""
    from borderflow.engine import Simulation, SimulationError
    from borderflow.scenario import load_scenario
    from borderflow.scenario.errors import ScenarioError

    try:
        overrides = _parse_sets(set_)
        params = _parse_params(param)
        sc = load_scenario(scenario, settings_overrides=overrides or None,
                           parameters=params or None)
    except ScenarioError as exc:
        _err(f"error: invalid scenario {scenario}:\n{exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
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


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        from borderflow import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


def main() -> None:
    """Console entry point: run the app, turn unexpected errors into exit status 1."""
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    except Exception as exc:  # an internal error: say so plainly, keep the traceback short
        _err(f"internal error: {type(exc).__name__}: {exc}")
        _err("please report this with the command you ran")
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
