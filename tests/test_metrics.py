"""Flee's validation metric on a toy frame with hand-computed values, and simple invariants."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderflow.metrics import ValidationScore, camp_names, validation_score
from borderflow.outcsv import format_out_csv, read_out_csv
from borderflow.scenario.model import ObservedData


def toy_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Date": ["2020-01-01", "2020-01-02", "2020-01-03"],
            "A sim": [2, 1, 0],
            "A data": [4, 3, 1],
            "A error": [0.5, 0.6667, 1.0],
            "B sim": [6, 1, 0],
            "B data": [4, 2, 0],
            "B error": [0.5, 0.5, 0.0],
            "Total error": [0.0, 0.0, 0.0],
            "refugees in camps (UNHCR)": [8, 5, 1],
            "total refugees (simulation)": [8, 2, 0],
            "raw UNHCR refugee count": [8, 5, 1],
            "refugees in camps (simulation)": [8, 2, 0],
            "refugee_debt": [0, 0, 0],
        },
        index=pd.Index([0, 1, 2], name="Day"),
    )
    return frame


def test_toy_score_by_hand() -> None:
    score = validation_score(toy_frame())
    assert isinstance(score, ValidationScore)
    # day 0: |2-4| + |6-4| = 4 over 8; day 1 rescaled by 5/2: |2.5-3| + |2.5-2| = 1 over 5;
    # day 2: nobody simulated, so rescaled sims are 0: |0-1| over max(1, 1)
    assert score.daily.tolist() == pytest.approx([0.5, 0.2, 1.0], abs=1e-15)
    assert score.ard == pytest.approx(1.7 / 3, abs=1e-15)
    # not rescaled: day 1 is |1-3| + |1-2| = 3 over 5
    assert score.ard_unscaled == pytest.approx(2.1 / 3, abs=1e-15)
    per = score.per_camp
    assert per.index.tolist() == ["A", "B"]
    assert per["ard_share"].tolist() == pytest.approx([1.35 / 3, 0.35 / 3])
    assert per["ard_unscaled_share"].tolist() == pytest.approx([1.65 / 3, 0.45 / 3])
    assert per["ard_share"].sum() == pytest.approx(score.ard)
    assert per["relative_error"].tolist() == pytest.approx([(0.5 + 0.6667 + 1) / 3, 1 / 3])
    assert score.daily.index.tolist() == [0, 1, 2]


def test_camp_names_from_columns() -> None:
    frame = toy_frame().rename(
        columns={"B sim": "B  simferopol sim", "B data": "x", "B error": "y"}
    )
    assert camp_names(frame) == ["A", "B  simferopol"]


def test_score_of_written_out_csv(tmp_path: Path) -> None:
    data = np.array([[100, 150, 200, 220], [50, 60, 0, 10]])
    observed = ObservedData(
        total=np.array([150, 210, 200, 230]),
        new_displaced=np.array([0, 60, -10, 30]),
        camp_names=("A", "B"),
        camps=data,
        day0_camp=data[:, 0],
    )
    path = tmp_path / "out.csv"

    def score_of(sims: np.ndarray) -> ValidationScore:
        text = format_out_csv(
            date(2020, 1, 1), ["A", "B"], sims, observed, sims.sum(axis=1), np.zeros(4)
        )
        path.write_text(text)
        return validation_score(read_out_csv(path))

    exact = score_of(data.T)
    assert exact.ard == 0.0 and exact.ard_unscaled == 0.0
    doubled = score_of(2 * data.T)
    assert doubled.ard == 0.0  # rescaling removes a wrong total
    assert doubled.ard_unscaled == pytest.approx(1.0)


def test_bad_frames() -> None:
    with pytest.raises(ValueError, match="no days"):
        validation_score(toy_frame().iloc[:0])
    with pytest.raises(ValueError, match="no '<camp> sim'"):
        validation_score(toy_frame().drop(columns=["A sim", "B sim"]))
    with pytest.raises(ValueError, match="lacks"):
        validation_score(toy_frame().drop(columns=["refugees in camps (UNHCR)"]))
