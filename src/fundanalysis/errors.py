"""Error types shared by the library and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as the input allows."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: Any
    reason: str

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        if self.value is not None:
            text += f", value {self.value!r}"
        return f"{text}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "reason": self.reason,
        }


class InputError(Exception):
    """The input is bad; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class BuildError(Exception):
    """A report build failed (a notebook raised, timed out or its kernel died)."""


class LockedError(Exception):
    """Another build of the same year is running."""
