"""Limits checked before parsing: file-level refusals and the memory guard."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fundanalysis.errors import InputError, Problem


def _refuse(path: Path, reason: str, value: Any = None, sheet: str | None = None) -> InputError:
    """An :class:`InputError` about the whole file (a file-level problem has no row)."""
    return InputError([Problem(path.name, sheet, None, None, value, reason)])


def available_memory() -> int | None:
    """Bytes of memory the system can still give (``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(file: str, need: int, what: str, sheet: str | None = None) -> None:
    """Refuse, with a message, work that would need more memory than the machine has free.

    A reader that runs out of memory may abort the whole process with no message; this guard
    turns the case into an input error before the work starts.
    """
    free = available_memory()
    if free is not None and need > free * 0.8:
        raise InputError([Problem(file, sheet, None, None, None,
                                  f"{what} would need about {need // 2**20} MB of memory; "
                                  f"only {free // 2**20} MB are free. Split the file or run on a "
                                  "machine with more memory")])


def _refuse_sheet(path: Path, reason: str, value: Any = None, line: int | None = None) -> InputError:
    """An :class:`InputError` about a one-sheet file (CSV, Parquet)."""
    kind = "line" if path.suffix.lower() == ".csv" else "row"
    return InputError([Problem(path.name, path.stem, line, None, value, reason, kind)])


def read_bounded(path: Path, limit: int, check: Callable[[Path, int], None]) -> bytes:
    """A file's bytes, read once and never more than ``limit`` + 1 of them: ``check`` refuses the
    file by its size on disk before the read, and by what was read after it (it may have grown)."""
    with open(path, "rb") as fh:
        check(path, os.fstat(fh.fileno()).st_size)
        data = fh.read(limit + 1)
    check(path, len(data))
    return data
