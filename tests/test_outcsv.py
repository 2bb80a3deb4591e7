"""out.csv: exact text of Flee 3.1's run script on toy data and real mali rows; read-back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderflow.outcsv import format_out_csv, read_out_csv
from borderflow.scenario.model import ObservedData
from borderflow.scenario.series import load_observed

SCENARIOS = Path(__file__).parents[1].parent / "shared" / "scenarios" / "flee"
TAIL = (
    "Total error,refugees in camps (UNHCR),total refugees (simulation),"
    "raw UNHCR refugee count,refugees in camps (simulation),refugee_debt"
)


def toy_observed() -> ObservedData:
    # observed series are in data_layout order (B first); out.csv follows locations order.
    return ObservedData(
        total=np.array([10, 0, 40]),
        new_displaced=np.array([0, -10, 40]),
        camp_names=("B", "A"),
        camps=np.array([[3, 7, 9], [4, 6, 0]]),
        day0_camp=np.array([3, 4]),
    )


def toy_text() -> str:
    return format_out_csv(
        date(2020, 1, 1),
        ["A", "B"],
        np.array([[4, 2], [5, 7], [3, 12]]),
        toy_observed(),
        np.array([6, 12, 15]),
        np.array([0, 2, 0]),
    )


def test_format_toy_exact_text() -> None:
    expected = (
        "Day,Date,A sim,A data,A error,B sim,B data,B error," + TAIL + "\n"
        "0,2020-01-01,4,4,0.0,2,3,0.3333,0.1,7,6,10,6,0\n"
        # raw UNHCR count 0: Flee 3.1 prints six zeros
        "1,2020-01-02,5,6,0.1667,7,7,0.0,0,0,0,0,0,0\n"
        # data 0: error 0.0; Total error = (3 + 3) / 40
        "2,2020-01-03,3,0,0.0,12,9,0.3333,0.15,9,15,40,15,0\n"
    )
    assert toy_text() == expected


def test_format_errors_above_one_and_idps() -> None:
    obs = ObservedData(
        total=np.array([7]),
        new_displaced=np.array([0]),
        camp_names=("A",),
        camps=np.array([[10]]),
        day0_camp=np.array([10]),
    )
    text = format_out_csv(
        date(2021, 12, 31),
        ["A"],
        np.array([[30]]),
        obs,
        np.array([30]),
        np.array([0]),
        total_idps=np.array([5]),
    )
    header, row = text.splitlines()
    assert header.endswith("refugee_debt,total IDPs")
    assert row == "0,2021-12-31,30,10,2.0,2.857142857142857,10,30,7,30,0,5"


def test_format_rejects_bad_input() -> None:
    obs = toy_observed()
    with pytest.raises(ValueError, match="no observed series"):
        format_out_csv(date(2020, 1, 1), ["C"], np.zeros((3, 1)), obs, np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="whole numbers"):
        format_out_csv(date(2020, 1, 1), ["A"], np.full((3, 1), 0.5), obs, np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        format_out_csv(date(2020, 1, 1), ["A"], np.zeros((3, 2)), obs, np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="covers fewer"):
        format_out_csv(date(2020, 1, 1), ["A"], np.zeros((4, 1)), obs, np.zeros(4), np.zeros(4))


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text(toy_text(), encoding="utf-8")
    frame = read_out_csv(path)
    assert frame.index.name == "Day"
    assert frame.index.tolist() == [0, 1, 2]
    assert frame["Date"].tolist() == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert frame["A sim"].tolist() == [4, 5, 3]
    assert frame["B data"].tolist() == [3, 7, 9]
    assert frame["B error"].tolist() == [0.3333, 0.0, 0.3333]
    assert frame["Total error"].tolist() == [0.1, 0.0, 0.15]
    assert frame["raw UNHCR refugee count"].tolist() == [10, 0, 40]
    assert frame["refugee_debt"].tolist() == [0, 0, 0]
    assert list(frame.columns)[-6:] == TAIL.split(",")
    assert pd.api.types.is_integer_dtype(frame["A sim"])


def test_real_mali_rows_match_flee() -> None:
    folder = SCENARIOS / "mali"
    if not (folder / "source_data" / "data_layout.csv").is_file():
        pytest.skip(f"shared scenario {folder} not available")
    obs = load_observed(
        folder / "source_data",
        date(2012, 2, 29),
        300,
        folder / "input_csv" / "registration_corrections.csv",
    )
    camps = ["Fassala-Mbera", "Mentao", "Bobo-Dioulasso", "Abala", "Mangaize", "Niamey",
             "Tabareybarey"]  # fmt: skip
    sims = np.zeros((300, 7), dtype=np.int64)
    totals = np.zeros(300, dtype=np.int64)
    debts = np.zeros(300, dtype=np.int64)
    # simulated columns of days 0 and 299 of a seeded Flee 3.1 run (seed 1, template settings)
    sims[0] = [9256, 0, 0, 696, 875, 1, 0]
    totals[0] = 10838
    sims[299] = [72153, 6860, 2930, 10849, 3433, 2736, 5904]
    totals[299], debts[299] = 148063, 10037
    lines = format_out_csv(date(2012, 2, 29), camps, sims, obs, totals, debts).splitlines()
    assert lines[0] == ("Day,Date," + "".join(f"{c} sim,{c} data,{c} error," for c in camps) + TAIL)
    # Flee 3.1 printed exactly these lines
    assert lines[1] == (
        "0,2012-02-29,9256,9265,0.001,0,0,0.0,0,0,0.0,696,698,0.0029,875,875,0.0,1,0,0.0,"
        "0,0,0.0,0.000597758405977584,10838,10838,20075,10828,0"
    )
    assert lines[300] == (
        "299,2012-12-24,72153,54028,0.3355,6860,6881,0.0031,2930,1874,0.5635,10849,11067,"
        "0.0197,3433,3435,0.0006,2736,6510,0.5797,5904,6196,0.0471,0.1594969544284715,"
        "89991,148063,147263,104865,10037"
    )
