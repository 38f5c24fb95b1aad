"""Filed self-evaluation forms on disk: finding them under a folder and reading their grids.

The review (:mod:`fundanalysis.review`) finds the form's blocks in these grids; this module only
opens the files: .xlsx through the suite's workbook reader (container checks first), .xls through
python-calamine, .docx through python-docx (each table a grid; a merged cell repeats its text).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

Grid = list[list[Any]]


def form_files(folder: Path, suffixes: Iterable[str]) -> list[Path]:
    """Files under ``folder`` (recursively) with one of ``suffixes`` (lower case), sorted; Office lock
    files (``~$…``) left out."""
    wanted = tuple(suffixes)
    return sorted(p for p in Path(folder).rglob("*")
                  if p.suffix.lower() in wanted and not p.name.startswith("~$") and p.is_file())


def form_grids(path: Path) -> list[tuple[str, Grid]]:
    """The visible sheets of a workbook, or the tables of a .docx (``表格1``, ``表格2`` …), as
    ``(name, rows)``; ``rows[0]`` is row 1. Raises the reading library's error for a damaged file,
    and :class:`ValueError` for another kind of file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from fundanalysis.storage.xlsx import read_workbook

        return [(s.name, s.rows) for s in read_workbook(path).values() if not s.hidden]
    if suffix == ".xls":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        return [(sheet, wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)) for sheet in wb.sheet_names]
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        return [(f"表格{i}", [[c.text for c in row.cells] for row in table.rows])
                for i, table in enumerate(document.tables, start=1)]
    raise ValueError(f"{path.suffix or 'a file without suffix'} is not a form file")
