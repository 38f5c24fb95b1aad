"""Notebook files: the report notebooks to run, and executed notebooks read back."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from fundanalysis.errors import BuildError


def report_notebooks(folder: Path) -> list[Path]:
    """The report notebooks of a folder, in file-name order (their numbered prefix)."""
    return sorted(Path(folder).glob("*.ipynb"))


def read_notebook(path: Path) -> Any:
    """A notebook, validated; a broken one is a :class:`BuildError` naming it."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cells without ids: nbformat only warns
            nb = nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4)
            nbformat.validate(nb)
    except (OSError, UnicodeDecodeError, ValueError, nbformat.ValidationError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildError(f"report notebook {path} is broken: {detail}; restore it "
                         f"(git checkout -- {Path(path).name}) or fix it in Jupyter") from exc
    return nb


def read_executed(path: Path) -> Any | None:
    """An executed notebook as papermill wrote it, or None if it cannot be read."""
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception:
        return None
