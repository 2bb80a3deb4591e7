"""`atomic_write`: a file is either the old one or the whole new one, never a part of it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from borderflow.results import atomic_write


class Interrupted(BaseException):
    """Stands for a KeyboardInterrupt or a kill arriving in the middle of a write."""


def test_a_write_that_fails_leaves_the_old_file_and_no_part(tmp_path: Path):
    path = tmp_path / "out.csv"
    path.write_text("old\n", encoding="utf-8")

    def write(tmp: Path) -> None:
        tmp.write_text("half of the new", encoding="utf-8")
        raise Interrupted

    with pytest.raises(Interrupted):
        atomic_write(path, write)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_write_that_fails_creates_nothing(tmp_path: Path):
    def write(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "sub" / "run.json", write)
    assert list((tmp_path / "sub").iterdir()) == []


def test_the_file_appears_whole_with_normal_permissions(tmp_path: Path):
    path = tmp_path / "run.json"
    seen: list[bool] = []

    def write(tmp: Path) -> None:
        tmp.write_text("{}\n", encoding="utf-8")
        seen.append(path.exists())  # not there while being written

    atomic_write(path, write)
    assert seen == [False]
    assert path.read_text(encoding="utf-8") == "{}\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
