"""Errors raised while loading a scenario.

Loading collects every problem it finds and raises one `ScenarioError` that lists them all,
each as ``file:line:column: what is wrong (expected ...)``. Line and column are 1-based; either
may be ``None`` when a problem concerns a whole file or a whole row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one input file."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario folder (or one of our own input files) is invalid.

    ``problems`` holds every problem found; ``str(error)`` lists them one per line.
    """

    def __init__(self, problems: list[Problem] | Problem) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls,
        file: str | Path,
        message: str,
        line: int | None = None,
        column: int | None = None,
    ) -> ScenarioError:
        """Build an error with one problem."""
        return cls([Problem(str(file), line, column, message)])
