"""Reading a scenario's text files without trusting them.

Both loaders (`flee_format` for the geography, `series` for the UNHCR data) read files through
here, so every file gets the same treatment: a file must lie inside the scenario folder (a
symbolic link may not lead out of it), must be UTF-8 (a BOM is dropped; a bad byte is reported at
its line and column), and must be comma-separated (a file separated by semicolons or tabs is
reported once, instead of as a row of one cell on every line). `data_file_problem` checks a file
name written *inside* a scenario file (``data_layout.csv``): no absolute paths, no ``..``, and
nothing that resolves outside the scenario folder. Nothing here raises for bad input: problems
are returned as `Problem` values for the caller to collect.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path, PurePosixPath, PureWindowsPath

from borderflow.scenario.errors import Problem

__all__ = ["data_file_problem", "inside", "read_rows", "read_text"]

Rows = list[tuple[int, list[str]]]


def inside(path: Path, root: Path) -> bool:
    """True if ``path``, with every symbolic link followed, lies in ``root`` (resolved)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte, a name too long
        return False


def _kind(path: Path) -> str:
    """``"file"``, ``"dir"``, ``"missing"``, ``"broken link"`` or ``"other"``.

    ``"other"`` is anything that is not a plain file or folder (a pipe, a device, a path the
    system refuses to look at); reading a pipe would wait forever.
    """
    try:
        if path.is_file():
            return "file"
        if path.is_dir():
            return "dir"
        if path.exists():
            return "other"
        return "broken link" if path.is_symlink() else "missing"
    except (OSError, ValueError):
        return "other"


def read_text(path: Path, name: str, what: str, *, root: Path | None = None,
              required: bool = True) -> tuple[str | None, list[Problem]]:
    """The text of a scenario file (BOM dropped), and the problems found reading it.

    ``name`` is how problems name the file; ``what`` says what the file should hold. With
    ``root``, a file that resolves outside that folder is refused. The text is None when the
    file cannot be used at all; with bytes that are not UTF-8 it is returned with those bytes
    replaced, so that the rest of the file can still be checked.
    """
    kind = _kind(path)
    if kind == "missing":
        return None, [Problem(name, None, None, f"file not found (expected {what})")] \
            if required else []
    if kind == "dir":
        return None, [Problem(name, None, None, f"is a directory (expected a file with {what})")]
    if kind == "other":
        return None, [Problem(name, None, None, f"is not a regular file (expected a file with "
                              f"{what})")]
    if kind == "broken link":
        return None, [Problem(name, None, None, f"is a link that leads nowhere (expected a "
                              f"file with {what})")]
    if root is not None and not inside(path, root):
        return None, [Problem(name, None, None, "is a link to a file outside the scenario "
                              f"folder (expected a file inside it with {what})")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, None, None, f"cannot be read: {exc.strerror or exc} "
                              f"(expected a readable file with {what})")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        bom = 3 if line == 1 and data.startswith(b"\xef\xbb\xbf") else 0
        column = len(data[line_start + bom:exc.start].decode("utf-8", "replace")) + 1
        problem = Problem(name, line, column,
                          f"byte 0x{data[exc.start]:02x} is not valid UTF-8 (expected UTF-8 text)")
        return data.decode("utf-8-sig", "replace"), [problem]


def _wrong_delimiter(text: str, name: str) -> Problem | None:
    """A problem if the first data line is separated by ``;`` or tabs instead of commas."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for sep, what in ((";", "semicolons"), ("\t", "tabs")):
            if line.count(sep) > line.count(","):
                return Problem(name, number, line.index(sep) + 1, f"values are separated by "
                               f"{what} (expected comma-separated values)")
        return None
    return None


def read_rows(text: str, name: str) -> tuple[Rows, list[Problem]]:
    """Split CSV text into ``(line, cells)`` pairs; ``line`` is where the row starts.

    Cells are not stripped; blank lines come back as empty lists. A file separated by
    semicolons or tabs gives no rows and one problem, as does text the csv module cannot parse
    (the rows before that point are kept).
    """
    wrong = _wrong_delimiter(text, name)
    if wrong is not None:
        return [], [wrong]
    rows: Rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 0
    try:
        for cells in reader:
            rows.append((last + 1, cells))
            last = reader.line_num
    except csv.Error as exc:
        return rows, [Problem(name, last + 1, None, f"cannot be parsed as CSV: {exc} "
                              "(expected comma-separated values)")]
    return rows, []


def data_file_problem(text: str, source_dir: Path, root: Path) -> str | None:
    """Why a file name from ``data_layout.csv`` cannot be used, or None if it can.

    The name must be relative, without ``..``, name a file in ``source_dir`` and, with every
    link followed, stay inside the scenario folder ``root``.
    """
    try:
        folder = source_dir.resolve().relative_to(root.resolve()).as_posix()
    except (OSError, RuntimeError, ValueError):
        folder = str(source_dir)
    where = f"in {folder}/"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return f"data file name {text!r} holds a control character (expected a file name {where})"
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if posix.is_absolute() or windows.drive or windows.root:
        return f"data file '{text}' is an absolute path (expected a file name {where})"
    if ".." in posix.parts or ".." in windows.parts:
        return (f"data file '{text}' goes up a folder with '..' (expected a file {where}, "
                "inside the scenario folder)")
    path = source_dir / text
    kind = _kind(path)
    if kind == "dir":
        return f"data file '{text}' is a directory (expected a file {where})"
    if kind == "other":
        return f"data file '{text}' is not a regular file (expected a file {where})"
    if kind == "missing":
        return f"data file '{text}' not found (expected a file {where})"
    if kind == "broken link":
        return f"data file '{text}' is a link that leads nowhere (expected a file {where})"
    if not inside(path, root):
        return (f"data file '{text}' is a link to a file outside the scenario folder "
                f"(expected a file {where}, inside the scenario folder)")
    return None
