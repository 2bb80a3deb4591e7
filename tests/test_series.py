"""Observed UNHCR series: toy folders with exact values, error reports, and the real scenarios.

Expected values for the real scenarios were computed with Flee 3.1's own ``RefugeeTable``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from borderflow.scenario.errors import ScenarioError
from borderflow.scenario.series import (
    interpolate_series,
    load_observed,
    merge_series,
    read_series,
    spawn_schedule,
)

START = date(2020, 1, 1)
SCENARIOS = Path(__file__).parents[1].parent / "shared" / "scenarios" / "flee"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def toy(tmp_path: Path, **extra: str) -> Path:
    files = {
        "data_layout.csv": "total,refugees.csv\nA,a.csv\n",
        # total: points on day 2 and day 6
        "refugees.csv": "Date,Count\n2020-01-03,100\n2020-01-07,203\n",
        "a.csv": "#sep=,\n2020-01-01,10\n2020-01-02,\n2020-01-05,40\n",
    }
    files.update(extra)
    return write(tmp_path / "src", files)


def test_interpolation_truncates_and_holds_ends(tmp_path: Path) -> None:
    obs = load_observed(toy(tmp_path), START, 10)
    # before the first point: first value; 100 + k/4 * 103 truncated; after the last: last value
    assert obs.total.tolist() == [100, 100, 100, 125, 151, 177, 203, 203, 203, 203]
    assert obs.camp_names == ("A",)
    # comment line and the row with an empty count are skipped: points (0, 10), (4, 40)
    assert obs.camps[0].tolist() == [10, 17, 25, 32, 40, 40, 40, 40, 40, 40]
    assert obs.camps.shape == (1, 10)


def test_daily_difference_and_day0(tmp_path: Path) -> None:
    src = toy(tmp_path)
    obs = load_observed(src, START, 10)
    assert obs.new_displaced.tolist() == [0, 0, 0, 25, 26, 26, 26, 0, 0, 0]
    assert obs.day0_camp.tolist() == [10]
    late = load_observed(src, START, 10, insert_day0=False)
    assert late.new_displaced.tolist() == [100, 0, 0, 25, 26, 26, 26, 0, 0, 0]
    assert late.day0_camp.tolist() == [0]
    assert late.total.tolist() == obs.total.tolist()


def test_hasten_divides_before_interpolating(tmp_path: Path) -> None:
    src = write(
        tmp_path / "h",
        {
            "data_layout.csv": "total,refugees.csv\nA,a.csv\n",
            "refugees.csv": "2020-01-01,101\n2020-01-03,203\n",
            "a.csv": "Date,Count\n2020-01-01,7\n",
        },
    )
    assert load_observed(src, START, 4).total.tolist() == [101, 152, 203, 203]
    slow = load_observed(src, START, 4, hasten=2)
    # 50.5 -> 50; 50.5 + 0.5 * 51 = 76.0; 101.5 -> 101
    assert slow.total.tolist() == [50, 76, 101, 101]
    assert slow.camps[0].tolist() == [3, 3, 3, 3]


def test_sum_from_camps(tmp_path: Path) -> None:
    src = toy(tmp_path, **{"data_layout.csv": "total,refugees.csv\nA,a.csv\nB,b.csv\n"})
    (src / "b.csv").write_text("2020-01-02,5\n2020-01-04,9\n")
    obs = load_observed(src, START, 6, sum_from_camps=True)
    assert obs.camps[1].tolist() == [5, 5, 7, 9, 9, 9]
    assert obs.total.tolist() == (obs.camps[0] + obs.camps[1]).tolist()
    assert obs.new_displaced.tolist() == [0, 7, 10, 9, 8, 0]


def test_registration_correction_scales_points_before(tmp_path: Path) -> None:
    src = toy(
        tmp_path,
        **{"a.csv": "2020-01-01,10\n2020-01-03,20\n2020-01-05,50\n2020-01-09,60\n"},
    )
    corr = tmp_path / "registration_corrections.csv"
    corr.write_text('"A","2020-01-05","normalize"\n')
    obs = load_observed(src, START, 10, corr)
    # points before day 4 are multiplied by 50 / 20: (0, 25), (2, 50), (4, 50), (8, 60)
    assert obs.camps[0].tolist() == [25, 37, 50, 50, 50, 52, 55, 57, 60, 60]
    plain = load_observed(src, START, 3)
    assert plain.camps[0].tolist() == [10, 15, 20]


def test_merge_series_step_merge_quirks() -> None:
    base = np.array([[0.0, 10], [4, 20], [8, 30]])
    extra = np.array([[2.0, 1], [4, 2], [10, 3]])
    # (2, 1) is added to the *next* base point; (10, 3) is dropped once base is exhausted
    assert merge_series(base, extra).tolist() == [[0, 10], [2, 21], [4, 22], [8, 32]]
    # once base is exhausted each later extra point re-emits base's last point
    assert merge_series(np.array([[0.0, 5]]), np.array([[1.0, 1], [2, 2]])).tolist() == [
        [0, 5],
        [0, 5],
    ]


def test_multi_file_row_through_layout(tmp_path: Path) -> None:
    src = write(
        tmp_path / "m",
        {
            "data_layout.csv": "total,refugees.csv\nA,a1.csv,a2.csv,\n",
            "refugees.csv": "2020-01-01,1\n",
            "a1.csv": "2020-01-01,10\n2020-01-05,20\n2020-01-09,30\n",
            "a2.csv": "2020-01-01,0\n2020-01-03,1\n2020-01-05,2\n2020-01-11,3\n",
        },
    )
    obs = load_observed(src, START, 10)
    # merged points (0, 10), (2, 21), (4, 22), (8, 32)
    assert obs.camps[0].tolist() == [10, 15, 21, 21, 22, 24, 27, 29, 32, 32]


def test_interpolate_series_unsorted_points_follow_flee() -> None:
    # Flee walks points in file order: the first point after the day, with its predecessor.
    table = np.array([[0.0, 0], [10, 100], [5, 1000]])
    assert interpolate_series(table, 12).tolist()[:3] == [0, 10, 20]
    assert interpolate_series(table, 12).tolist()[10:] == [1000, 1000]


def test_read_series_header_detection(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("\ufeffDate,Count\n# note\n\n2020-01-02,3\n", encoding="utf-8")
    table, problems = read_series(path, START)
    assert problems == []
    assert table.tolist() == [[1.0, 3.0]]
    path.write_text(",\t\r\n2020-01-02,3\r\n")
    assert read_series(path, START)[0].tolist() == [[1.0, 3.0]]


def test_series_problems_are_collected(tmp_path: Path) -> None:
    src = toy(
        tmp_path,
        **{"a.csv": "Date,Count\n2020-13-01,5\n2020-01-02,x\n2020-01-03\n2020-01-04,1,2\n"},
    )
    with pytest.raises(ScenarioError) as info:
        load_observed(src, START, 5)
    where = [(Path(p.file).name, p.line, p.column) for p in info.value.problems]
    assert where == [("a.csv", 2, 1), ("a.csv", 3, 2), ("a.csv", 4, 2), ("a.csv", 5, 3)]
    text = str(info.value)
    assert "expected a date YYYY-MM-DD" in text and "expected a whole number" in text


def test_unknown_header_is_one_problem(tmp_path: Path) -> None:
    src = toy(tmp_path, **{"a.csv": "date,count\n2020-01-02,4\n"})
    with pytest.raises(ScenarioError, match="header row must start with Date") as info:
        load_observed(src, START, 3)
    assert [(p.line, p.column) for p in info.value.problems] == [(1, 1)]


def test_missing_and_bad_layout(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_observed(tmp_path / "nowhere", START, 3)
    src = toy(tmp_path, **{"data_layout.csv": "total,refugees.csv\nA,a.csv,gone.csv\nB\n"})
    with pytest.raises(ScenarioError) as info:
        load_observed(src, START, 3)
    problems = {(p.line, p.column) for p in info.value.problems}
    assert problems == {(3, 2)}  # the one-cell row; files are checked once the layout is valid
    src = toy(tmp_path, **{"data_layout.csv": "total,refugees.csv\nA,a.csv,gone.csv\n"})
    with pytest.raises(ScenarioError, match=r"gone\.csv") as info:
        load_observed(src, START, 3)
    assert [(p.line, p.column) for p in info.value.problems] == [(2, 3)]
    src = toy(tmp_path, **{"data_layout.csv": "A,a.csv\ntotal,refugees.csv\n"})
    with pytest.raises(ScenarioError, match=r"expected total,refugees\.csv"):
        load_observed(src, START, 3)


def test_correction_problems(tmp_path: Path) -> None:
    src = toy(tmp_path)
    corr = tmp_path / "corr.csv"
    corr.write_text("Aa,2020-01-05\nA,2020-01-04\nA,2020-01-01\nA,05/01/2020\n")
    with pytest.raises(ScenarioError) as info:
        load_observed(src, START, 3, corr)
    where = [(p.line, p.column) for p in info.value.problems]
    assert where == [(1, 1), (2, 2), (3, 2), (4, 2)]
    assert "did you mean 'A'" in info.value.problems[0].message
    assert "dated 2020-01-04" in info.value.problems[1].message
    with pytest.raises(ScenarioError, match="file not found"):
        load_observed(src, START, 3, tmp_path / "absent.csv")


def test_spawn_schedule_refugee_debt() -> None:
    spawned, debt = spawn_schedule(np.array([0, 5, -3, 2, 4, -1, -1, 3]))
    assert spawned.tolist() == [0, 5, 0, 0, 3, 0, 0, 1]
    assert debt.tolist() == [0, 0, 3, 1, 0, 1, 2, 0]


# --- real scenarios: values from Flee 3.1's RefugeeTable (see module docstring) -------------

REAL = {
    "mali": (
        date(2012, 2, 29),
        300,
        {
            "total": {0: 20075, 1: 20818, 100: 86329, 218: 145858, 299: 147263},
            "Mentao": {0: 0, 100: 5380, 218: 5886, 299: 6881},
            "Fassala-Mbera": {0: 9265, 1: 9653, 100: 35841, 218: 54028, 299: 54028},
            "Niamey": {100: 2704, 218: 6327, 299: 6510},
        },
    ),
    "burundi": (
        date(2015, 5, 1),
        396,
        {
            "total": {0: 12118, 50: 95317, 156: 185511, 395: 265492},
            "Mahama": {0: 0, 50: 26903, 156: 43593, 395: 49336},
            "Nyarugusu": {0: 191, 50: 49605, 156: 90612, 395: 65563},
            "Lusenda": {50: 0, 156: 1490, 395: 17200},
        },
    ),
    "car": (
        date(2013, 12, 1),
        820,
        {
            "total": {0: 47917, 15: 58149, 111: 164413, 500: 410855, 819: 462867},
            "Mboti": {0: 6505, 15: 6517, 111: 6580, 500: 9236, 819: 9294},
            "Inke": {0: 6649, 3: 17797, 15: 18247, 200: 20839, 819: 30905},
            "Betou": {0: 3429, 3: 4886, 15: 10715, 200: 13040, 819: 16653},
        },
    ),
}


def _real(name: str) -> Path:
    folder = SCENARIOS / name
    if not (folder / "source_data" / "data_layout.csv").is_file():
        pytest.skip(f"shared scenario {folder} not available")
    return folder


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_scenario_values_match_flee(name: str) -> None:
    folder = _real(name)
    start, days, expected = REAL[name]
    obs = load_observed(
        folder / "source_data", start, days, folder / "input_csv" / "registration_corrections.csv"
    )
    for series, values in expected.items():
        row = obs.total if series == "total" else obs.camps[obs.camp_names.index(series)]
        assert {t: int(row[t]) for t in values} == values, series
    assert obs.new_displaced[0] == 0
    assert obs.new_displaced[1:].tolist() == np.diff(obs.total).tolist()
    assert obs.day0_camp.tolist() == obs.camps[:, 0].tolist()


def test_real_scenario_hasten_and_sum_from_camps() -> None:
    folder = _real("car")
    corr = folder / "input_csv" / "registration_corrections.csv"
    obs = load_observed(folder / "source_data", date(2013, 12, 1), 820, corr, hasten=3)
    assert obs.total[[0, 111, 819]].tolist() == [15972, 54804, 154289]
    assert obs.camps[obs.camp_names.index("Betou"), [3, 500]].tolist() == [1628, 6571]
    summed = load_observed(
        folder / "source_data", date(2013, 12, 1), 820, corr, sum_from_camps=True
    )
    assert summed.total[[0, 3, 200, 819]].tolist() == [85038, 107254, 200670, 424499]
