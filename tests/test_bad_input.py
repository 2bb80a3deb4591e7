"""Generated bad input: every rule of the loader's tables broken one at a time, through the CLI.

The cases come from the tables, not from a hand-written list:

- `borderflow.scenario.rules.COLUMN_RULES` (every column of every CSV file): for each rule, the
  invalid values its kind and constraints call for (missing, empty, wrong type, negative, NaN,
  inf, huge, out of range, unknown name, duplicate, bad date, out of order);
- `borderflow.params.SETTING_RULES` (every key of simsetting.yml): wrong type, empty, NaN, inf,
  out of range;
- every input file broken as a whole (empty, header only, no header, BOM, CRLF, semicolons,
  bytes that are not UTF-8, a ragged row, a directory or nothing where the file should be);
- unsafe paths (absolute, ``..``, links leading out of the scenario folder, pipes) and unsafe
  YAML.

Each case writes the valid toy scenario `BASE`, breaks one thing and runs ``borderflow run``
in-process. Bad input must exit with status 2 and print the problem at its exact
``file:line:column`` with what was expected, no traceback, and nothing in the output folder.
Breakages that are valid Flee input (a BOM, CRLF, a header without ``#``...) must run.
Problems about a whole file that is absent, a directory or a link name the file alone.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderflow.cli import app
from borderflow.params import SETTING_RULES, SettingRule
from borderflow.scenario.flee_format import load_scenario
from borderflow.scenario.rules import (
    COLUMN_RULES,
    DATE,
    DATE_MAX,
    DATE_MIN,
    FILE,
    INTEGER,
    KINDS,
    LOCATION,
    LOCATION_TYPE,
    MIN_COLUMNS,
    NAME,
    NUMBER,
    PERIOD,
    PLACE,
    SERIES,
    ColumnRule,
)
from conftest import write_toy_scenario

#: A valid scenario that has a cell for every rule: every optional file and column is present.
BASE = {
    "locations": [
        ("A", "RA", "Home", 10.0, 10.0, "conflict_zone", 0, 1000, 0.5, ""),
        ("B", "RB", "Home", 10.0, 11.0, "town", None, 500, 1, ""),
        ("C", "RC", "Abroad", 10.0, 12.0, "camp", None, 200, "", 0.1),
    ],
    "location_attributes": ["conflict_intensity", "deactivation_probability"],
    "routes": [("A", "B", 100, 0, 200, 0.5), ("B", "C", 100, 0, 150, 0.2)],
    "route_attributes": ["max_move_speed", "walk_probability"],
    "closures": [("location", "B", "", 2, 3), ("country", "Home", "Abroad", 3, 5)],
    "conflicts": {"A": [1] * 10},
    "length": 10,
    "refugees": [("2020-01-01", 0), ("2020-01-05", 400), ("2020-01-11", 1000)],
    "camps": {"C": [("2020-01-01", 10), ("2020-01-03", 50), ("2020-01-06", 100)]},
    "corrections": [("C", "2020-01-03"), ("C", "2020-01-06")],
    "settings": {"move_rules": {"awareness_level": 1}},
}
LOC, ROUTES, CLOSURES = "input_csv/locations.csv", "input_csv/routes.csv", "input_csv/closures.csv"
CONFLICTS, PERIOD_FILE = "input_csv/conflicts.csv", "input_csv/conflict_period.csv"
CORRECTIONS, LAYOUT = "input_csv/registration_corrections.csv", "source_data/data_layout.csv"
REFUGEES, CAMP_SERIES, SETTINGS = "source_data/refugees.csv", "source_data/c.csv", "simsetting.yml"
#: Where each table file is in BASE, and the line whose cells the generated cases break (the
#: second data row, so that no case depends on how a headerless first row is read).
RULE_FILES = {
    "locations.csv": (LOC, 3),
    "routes.csv": (ROUTES, 3),
    "closures.csv": (CLOSURES, 3),
    "conflicts.csv": (CONFLICTS, 3),
    PERIOD: (PERIOD_FILE, 0),  # rows are named: StartDate on line 1, Length on line 2
    "registration_corrections.csv": (CORRECTIONS, 2),
    "data_layout.csv": (LAYOUT, 2),
    SERIES: (CAMP_SERIES, 2),
}
PERIOD_LINES = {"StartDate": 1, "Length": 2}

runner = CliRunner()


@dataclass(frozen=True)
class Case:
    """One breakage: ``edit`` changes the scenario folder; ``where`` is the expected problem.

    ``where`` is ``(file, line, column)``, ``(file, None, None)`` for a whole-file problem, or
    None when the edited scenario is valid and must run.
    """

    id: str
    edit: Callable[[Path], None]
    where: tuple[str, int | None, int | None] | None
    word: str = ""  # a word the message must contain (the column or key it is about)


# ---------------------------------------------------------------------------------------------
# Editing files


def read_cells(path: Path, line: int) -> list[str]:
    return next(csv.reader([path.read_text(encoding="utf-8").splitlines()[line - 1]]))


def set_line(path: Path, line: int, cells: list[str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    lines[line - 1] = out.getvalue()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def column_of(path: Path, r: ColumnRule) -> int:
    if r.column is not None:
        return r.column
    header = [c.lstrip("#") for c in read_cells(path, 1)]
    return header.index(r.name) + 1


def cell_edit(file: str, line: int, column: int, text: str | None) -> Callable[[Path], None]:
    """Set one cell; ``None`` removes it and every cell after it (a ragged row)."""
    def edit(folder: Path) -> None:
        path = folder / file
        cells = read_cells(path, line)
        if text is None:
            cells = cells[:column - 1]
        else:
            cells[column - 1] = text
        set_line(path, line, cells)
    return edit


# ---------------------------------------------------------------------------------------------
# Cases from COLUMN_RULES


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def bad_values(r: ColumnRule) -> list[tuple[str, str | None]]:
    """``(what, text)`` pairs of invalid values for a rule; text None removes the cell."""
    out: list[tuple[str, str | None]] = []
    if r.required:
        out.append(("empty", ""))
    if r.column is not None and 2 <= r.column <= MIN_COLUMNS.get(r.file, r.column):
        out.append(("missing", None))
    out.append(("control character", "x\x01y"))
    if r.kind in (NUMBER, INTEGER):
        out += [("wrong type", "abc"), ("nan", "nan"), ("inf", "inf"), ("-inf", "-inf")]
        if r.kind == INTEGER:
            out.append(("fraction", "1.5"))
        if r.choices:
            numbers = [int(c) for c in r.choices]
            out += [("below range", str(min(numbers) - 1)), ("above range", str(max(numbers) + 1))]
        if r.low is not None:
            below = r.low if r.low_open else r.low - (1 if r.kind == INTEGER else 0.5)
            while below in r.also:
                below -= 1
            out.append(("negative" if below < 0 <= r.low else "below range", _number(below)))
        if r.high is not None:
            out += [("above range", _number(r.high + 1)), ("huge", "1e300")]
            if r.kind == INTEGER:
                out.append(("huge integer", "9" * 30))
    elif r.kind == DATE:
        out += [("bad date", "2020-02-30"), ("wrong format", "01/02/2020"),
                ("wrong type", "abc"), ("too early", str(DATE_MIN.replace(year=1899))),
                ("too late", str(DATE_MAX.replace(year=DATE_MAX.year + 1)))]
    elif r.kind == LOCATION_TYPE or r.choices:
        out.append(("unknown choice", "nonsense"))
    elif r.kind == NAME:
        out += [("comma", "X,Y"), ("quote", 'X"Y')]
    elif r.kind in (LOCATION, PLACE):
        out.append(("unknown name", "Nowhere"))
    elif r.kind == FILE:
        out += [("missing file", "nope.csv"), ("absolute path", "/etc/hostname"),
                ("windows path", "C:\\data\\c.csv"), ("dot-dot", "../input_csv/locations.csv"),
                ("dot-dot inside", "sub/../c.csv")]
    return out


def rule_cases() -> list[Case]:
    cases = []
    base_dir = _base_folder()
    for r in COLUMN_RULES:
        file, line = RULE_FILES[r.file]
        if r.file == PERIOD:
            line = PERIOD_LINES[r.name]
        column = column_of(base_dir / file, r)
        values = bad_values(r)
        if r.unique:
            values.append(("duplicate", read_cells(base_dir / file, line - 1)[column - 1]))
        if r.ordered == "rows":
            values.append(("out of order", read_cells(base_dir / file, line - 1)[column - 1]))
        elif r.ordered:
            before = next(x for x in COLUMN_RULES if x.file == r.file and x.name == r.ordered)
            assert before.column is not None
            start = int(read_cells(base_dir / file, line)[before.column - 1])
            values.append(("before " + r.ordered, str(start - 1)))
        for what, text in values:
            cases.append(Case(f"{r.file}:{r.name}:{what}", cell_edit(file, line, column, text),
                              (file, line, column)))
    return cases


# ---------------------------------------------------------------------------------------------
# Cases from SETTING_RULES


def bad_settings(r: SettingRule) -> list[tuple[str, str]]:
    if r.kind is bool:
        return [("wrong type", "maybe"), ("not 0 or 1", "2"), ("a list", "[]"), ("empty", "")]
    if r.kind is str:
        return [("unknown choice", "nonsense"), ("wrong type", "3"), ("empty", "")]
    if r.kind is tuple:
        return [("empty list", "[]"), ("negative", "[-1]"), ("wrong type", "abc"),
                ("nan", "[.nan]")]
    out = [("wrong type", "abc"), ("nan", ".nan"), ("inf", ".inf"), ("-inf", "-.inf"),
           ("a list", "[1]"), ("empty", "")]
    if r.kind is int:
        out.append(("fraction", "1.5"))
    if r.low is not None:
        out.append(("below range", _number(r.low if r.low_open else r.low - 1)))
    if r.high is not None:
        out.append(("above range", _number(r.high + 1)))
    return out


def setting_cases() -> list[Case]:
    cases = []
    for r in SETTING_RULES:
        for what, text in bad_settings(r):
            def edit(folder: Path, r: SettingRule = r, text: str = text) -> None:
                value = f" {text}" if text else ""
                (folder / SETTINGS).write_text(f"{r.section}:\n  {r.key}:{value}\n",
                                               encoding="utf-8")
            column = 2 + len(r.key) + 1 + (2 if text else 1)
            cases.append(Case(f"simsetting.yml:{r.section}.{r.key}:{what}", edit,
                              (SETTINGS, 2, column), r.key))
    return cases


# ---------------------------------------------------------------------------------------------
# Whole files


def write_text(file: str, text: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        (folder / file).write_text(text, encoding="utf-8")
    return edit


def transform(file: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / file
        path.write_bytes(change(path.read_bytes()))
    return edit


def drop_first_line(data: bytes) -> bytes:
    return data.split(b"\n", 1)[1]


def insert_bad_byte(data: bytes) -> bytes:
    first, rest = data.split(b"\n", 1)
    return first + b"\n\xff" + rest


def make_directory(file: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        (folder / file).unlink()
        (folder / file).mkdir()
    return edit


def remove(file: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).unlink()


def semicolon_case(file: str, line: int) -> Case:
    """The whole file separated by semicolons; reported at the first ';' of its first data line."""
    text = _base_text(file).replace(",", ";")
    column = text.splitlines()[line - 1].index(";") + 1
    return Case(f"{file}:semicolons", write_text(file, text), (file, line, column))


def _lines(file: str) -> int:
    return len(_base_text(file).splitlines())


def file_cases() -> list[Case]:
    csv_files = [LOC, ROUTES, CLOSURES, CONFLICTS, PERIOD_FILE, CORRECTIONS, LAYOUT, REFUGEES,
                 CAMP_SERIES]
    cases: list[Case] = []
    valid_everywhere = {"BOM": lambda d: b"\xef\xbb\xbf" + d,
                        "CRLF": lambda d: d.replace(b"\n", b"\r\n")}
    for file in [*csv_files, SETTINGS]:
        for what, change in valid_everywhere.items():
            cases.append(Case(f"{file}:{what}", transform(file, change), None))
        cases.append(Case(f"{file}:not UTF-8", transform(file, insert_bad_byte), (file, 2, 1)))
        cases.append(Case(f"{file}:directory", make_directory(file),
                          (LAYOUT, 2 if file == CAMP_SERIES else 1, 2)
                          if file in (REFUGEES, CAMP_SERIES) else (file, None, None)))
    # empty file: valid only where the file may be left out
    empty_ok = {CLOSURES, CORRECTIONS, SETTINGS}
    for file in [*csv_files, SETTINGS]:
        cases.append(Case(f"{file}:empty", write_text(file, ""),
                          None if file in empty_ok else (file, 1, 1)))
    # nothing there at all
    for file, where in [(LOC, (LOC, None, None)), (ROUTES, (ROUTES, None, None)),
                        (PERIOD_FILE, (PERIOD_FILE, None, None)), (LAYOUT, (LAYOUT, None, None)),
                        (REFUGEES, (LAYOUT, 1, 2)), (CAMP_SERIES, (LAYOUT, 2, 2)),
                        (CLOSURES, None), (CONFLICTS, None), (CORRECTIONS, None),
                        (SETTINGS, None)]:
        cases.append(Case(f"{file}:absent", remove(file), where))
    # a header and no data
    for file, header, where in [
            (LOC, None, (LOC, 2, 1)), (ROUTES, None, (ROUTES, 2, 1)), (CLOSURES, None, None),
            (CONFLICTS, None, (CONFLICTS, 2, 1)), (PERIOD_FILE, "#key,value", (PERIOD_FILE, 2, 1)),
            (CORRECTIONS, "#camp_name,date", None), (LAYOUT, "#name,file", (LAYOUT, 2, 1)),
            (REFUGEES, None, (REFUGEES, 2, 1)), (CAMP_SERIES, "Date,Count", (CAMP_SERIES, 2, 1))]:
        text = (header or _base_text(file).splitlines()[0]) + "\n"
        cases.append(Case(f"{file}:header only", write_text(file, text), where))
    # no header at all (Flee needs one only in conflicts.csv), or one without its '#'
    for file, where in [(LOC, None), (ROUTES, None), (CLOSURES, None),
                        (CONFLICTS, (CONFLICTS, 1, 1)), (REFUGEES, None)]:
        cases.append(Case(f"{file}:no header", transform(file, drop_first_line), where))
    for file in (LOC, ROUTES, CLOSURES, CONFLICTS):
        cases.append(Case(f"{file}:header without #",
                          transform(file, lambda d: d.replace(b"#", b"", 1)), None))
    cases.append(Case(f"{CORRECTIONS}:header without #",
                      transform(CORRECTIONS, lambda d: b"camp_name,date\n" + d), None))
    # separated by semicolons
    first_data = {LOC: 2, ROUTES: 2, CLOSURES: 2, CONFLICTS: 2, PERIOD_FILE: 1, CORRECTIONS: 1,
                  LAYOUT: 1, REFUGEES: 1, CAMP_SERIES: 1}
    cases += [semicolon_case(file, line) for file, line in first_data.items()]
    # a ragged row: one cell where a row needs more
    for file, cell, column in [(LOC, "Z", 2), (ROUTES, "Z", 2), (CLOSURES, "country", 2),
                               (CONFLICTS, "10", 2), (CORRECTIONS, "C", 2), (LAYOUT, "Z", 2),
                               (REFUGEES, "2020-01-20", 2), (CAMP_SERIES, "2020-01-09", 2)]:
        cases.append(Case(f"{file}:ragged row",
                          transform(file, lambda d, c=cell: d + c.encode() + b"\n"),
                          (file, _lines(file) + 1, column)))
    return cases


# ---------------------------------------------------------------------------------------------
# Paths that lead out of the scenario folder, and other unsafe input


def _outside(folder: Path) -> Path:
    target = folder.parent / "outside"
    target.mkdir(exist_ok=True)
    (target / "c.csv").write_text("2020-01-01,10\n2020-01-03,50\n", encoding="utf-8")
    (target / "locations.csv").write_bytes((folder / LOC).read_bytes())
    return target


def link_series_outside(folder: Path) -> None:
    (folder / CAMP_SERIES).unlink()
    (folder / CAMP_SERIES).symlink_to(_outside(folder) / "c.csv")


def link_layout_entry_outside(folder: Path) -> None:
    (folder / "source_data" / "link.csv").symlink_to(_outside(folder) / "c.csv")
    cell_edit(LAYOUT, 2, 2, "link.csv")(folder)


def link_layout_entry_inside(folder: Path) -> None:
    (folder / "source_data" / "link.csv").symlink_to(Path("..") / CAMP_SERIES)
    cell_edit(LAYOUT, 2, 2, "link.csv")(folder)


def link_source_folder_outside(folder: Path) -> None:
    outside = _outside(folder) / "source_data"
    (folder / "source_data").rename(outside)
    (folder / "source_data").symlink_to(outside)


def link_locations_outside(folder: Path) -> None:
    target = _outside(folder) / "locations.csv"
    (folder / LOC).unlink()
    (folder / LOC).symlink_to(target)


def series_is_a_pipe(folder: Path) -> None:
    (folder / CAMP_SERIES).unlink()
    os.mkfifo(folder / CAMP_SERIES)


def series_link_loop(folder: Path) -> None:
    (folder / CAMP_SERIES).unlink()
    (folder / CAMP_SERIES).symlink_to("c.csv")


def series_folder_as_entry(folder: Path) -> None:
    (folder / "source_data" / "sub").mkdir()
    cell_edit(LAYOUT, 2, 2, "sub")(folder)


def yaml_python_object(folder: Path) -> None:
    (folder / SETTINGS).write_text(
        "move_rules:\n  awareness_level: !!python/object/apply:os.system ['touch PWNED']\n",
        encoding="utf-8")


def yaml_alias_bomb(folder: Path) -> None:
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
              for i in range(8)]
    lines.append("move_rules:\n  awareness_level: *i")
    (folder / SETTINGS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def yaml_two_documents(folder: Path) -> None:
    (folder / SETTINGS).write_text("move_rules: {}\n---\nmove_rules: {}\n", encoding="utf-8")


def yaml_not_a_mapping(folder: Path) -> None:
    (folder / SETTINGS).write_text("- move_rules\n", encoding="utf-8")


def yaml_nul(folder: Path) -> None:
    (folder / SETTINGS).write_text("move_rules:\n  awareness_level: 1\x00\n", encoding="utf-8")


PATH_CASES = [
    Case("series file links outside", link_series_outside, (LAYOUT, 2, 2), "outside"),
    Case("data_layout entry links outside", link_layout_entry_outside, (LAYOUT, 2, 2), "outside"),
    Case("data_layout entry links inside", link_layout_entry_inside, None),
    Case("source_data folder links outside", link_source_folder_outside, (LAYOUT, None, None),
         "outside"),
    Case("locations.csv links outside", link_locations_outside, (LOC, None, None), "outside"),
    Case("series file is a pipe", series_is_a_pipe, (LAYOUT, 2, 2), "regular file"),
    Case("series file links to itself", series_link_loop, (LAYOUT, 2, 2), "leads nowhere"),
    Case("data_layout entry is a folder", series_folder_as_entry, (LAYOUT, 2, 2), "directory"),
    Case("yaml python object", yaml_python_object, (SETTINGS, 2, 20), "YAML"),
    Case("yaml alias bomb", yaml_alias_bomb, (SETTINGS, 2, 8), "alias"),
    Case("yaml two documents", yaml_two_documents, (SETTINGS, 2, 1), "YAML"),
    Case("yaml not a mapping", yaml_not_a_mapping, (SETTINGS, 1, 1), "mapping"),
    Case("yaml NUL character", yaml_nul, (SETTINGS, 2, 21), "U+0000"),
]


# ---------------------------------------------------------------------------------------------
# The base scenario, once per session, copied for each case

_BASE_DIR = tempfile.TemporaryDirectory(prefix="borderflow-base-")  # removed at exit


@functools.cache
def _base_folder() -> Path:
    """BASE written once, for reading cells and header names while cases are generated."""
    return write_toy_scenario(Path(_BASE_DIR.name), **BASE)


def _base_text(file: str) -> str:
    return (_base_folder() / file).read_text(encoding="utf-8")


CASES = [*rule_cases(), *setting_cases(), *file_cases(), *PATH_CASES]
ERROR_CASES = [c for c in CASES if c.where is not None]
VALID_CASES = [c for c in CASES if c.where is None]


def run_case(case: Case, tmp_path: Path, write_scenario) -> tuple[int, str, Path]:
    folder = write_scenario(tmp_path, **BASE)
    case.edit(folder)
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", str(folder), "--out", str(out), "--quiet"])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    return result.exit_code, result.output, out


def test_base_scenario_is_valid(write_scenario, tmp_path):
    scenario = load_scenario(write_scenario(tmp_path, **BASE))
    assert scenario.warnings == ()
    assert len(scenario.closures) == 2 and scenario.observed is not None


def test_every_rule_has_cases():
    assert all(r.kind in KINDS for r in COLUMN_RULES)
    ids = {c.id.rsplit(":", 1)[0] for c in CASES}
    assert {f"{r.file}:{r.name}" for r in COLUMN_RULES} <= ids
    assert {f"simsetting.yml:{r.section}.{r.key}" for r in SETTING_RULES} <= ids


def test_bad_input_rules(write_scenario, tmp_path, case: Case):
    code, output, out = run_case(case, tmp_path, write_scenario)
    assert "Traceback" not in output
    assert code == 2, output
    file, line, column = case.where
    where = file + "".join(f":{n}" for n in (line, column) if n is not None) + ": "
    hits = [text for text in output.splitlines() if text.startswith(where)]
    assert hits, f"no problem at {where}\n{output}"
    assert any("expected" in text and case.word in text for text in hits), output
    assert not out.exists()


def test_valid_variants_run(write_scenario, tmp_path, case: Case):
    code, output, out = run_case(case, tmp_path, write_scenario)
    assert "Traceback" not in output
    assert code == 0, output
    assert (out / "out.csv").is_file()


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        cases = ERROR_CASES if metafunc.function.__name__ == "test_bad_input_rules" \
            else VALID_CASES
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


def test_semicolons_get_a_clear_message(write_scenario, tmp_path):
    case = semicolon_case(ROUTES, 2)
    code, output, _ = run_case(case, tmp_path, write_scenario)
    assert code == 2
    assert "input_csv/routes.csv:2:2: values are separated by semicolons (expected " \
           "comma-separated values)" in output


def test_python_tags_in_yaml_are_never_run(write_scenario, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_case(PATH_CASES[8], tmp_path, write_scenario)
    assert code == 2
    assert not (tmp_path / "PWNED").exists()


def test_out_is_a_file(write_scenario, tmp_path):
    folder = write_scenario(tmp_path, **BASE)
    out = tmp_path / "results.txt"
    out.write_text("keep me\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(folder), "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "expected a folder" in result.output
    assert out.read_text(encoding="utf-8") == "keep me\n"


@pytest.mark.parametrize("value", ["[", "{a: 1", "'x"])
def test_set_with_bad_yaml_exits_2(write_scenario, tmp_path, value):
    folder = write_scenario(tmp_path, **BASE)
    result = runner.invoke(app, ["run", str(folder), "--out", str(tmp_path / "o"),
                                 "--set", f"move.awareness_level={value}"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "expected KEY=VALUE" in result.output
    assert not (tmp_path / "o").exists()
