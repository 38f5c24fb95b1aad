"""Filed self-evaluation forms on disk: finding them under a folder and reading their grids.

The review (:mod:`fundanalysis.review`) finds the form's blocks in these grids; this module only
opens the files: .xlsx through the suite's workbook reader (container checks first, values only),
.xls through python-calamine, .docx through python-docx (each table a grid; a merged cell repeats
its text).

A folder is a local path or an fsspec URL (``file:///shared/forms``, ``memory://forms``, or
``s3://bucket/forms`` when that protocol's fsspec package is installed): each file is read once,
within the size limit, where the caller runs (on a Dask worker in a review).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from fundanalysis import config
from fundanalysis.errors import InputError, Problem

Grid = list[list[Any]]
#: A form file: a local path, or an fsspec URL (``protocol://…``).
Location = Path | str


def is_url(location: Location) -> bool:
    """True for an fsspec URL (``memory://forms``, ``file:///srv/forms``), False for a local path.

    >>> is_url("s3://bucket/forms"), is_url("/srv/forms"), is_url(Path("forms"))
    (True, False, False)
    """
    return isinstance(location, str) and "://" in location


def form_files(folder: Location, suffixes: Iterable[str]) -> list[Location]:
    """Files under ``folder`` (recursively) with one of ``suffixes`` (lower case), sorted; Office lock
    files (``~$…``) left out. A local folder gives paths, an fsspec URL gives URLs of the same
    protocol."""
    wanted = tuple(suffixes)

    def keep(name: str) -> bool:
        return PurePosixPath(name).suffix.lower() in wanted and not PurePosixPath(name).name.startswith("~$")

    if is_url(folder):
        from fsspec.core import url_to_fs

        fs, root = url_to_fs(str(folder))
        found = fs.find(root, withdirs=False)
        return sorted(fs.unstrip_protocol(p) for p in found if keep(p))
    return sorted(p for p in Path(folder).rglob("*") if keep(p.name) and p.is_file())


def relative_name(location: Location, root: Location) -> str:
    """How messages call a file: its path below ``root`` (``sub/form.xlsx``).

    >>> relative_name("memory://forms/a/b.xlsx", "memory://forms/"), relative_name(Path("/f/a.docx"), Path("/f"))
    ('a/b.xlsx', 'a.docx')
    """
    if is_url(location):
        from fsspec.core import url_to_fs

        path, top = url_to_fs(str(location))[1], url_to_fs(str(root))[1].rstrip("/")
        return path[len(top):].lstrip("/") if path.startswith(top + "/") else path
    return Path(location).relative_to(root).as_posix()


def _check_size(name: str, size: int | None) -> None:
    if size == 0:
        raise InputError([Problem(name, None, None, None, None, "the file is empty")])
    if size is not None and size > config.MAX_WORKBOOK_BYTES:
        raise InputError([Problem(name, None, None, None, size,
                                  f"the file is larger than {config.MAX_WORKBOOK_BYTES} bytes")])


def read_form_bytes(location: Location, name: str) -> bytes:
    """A form file's bytes, read once and never more than the workbook limit + 1 of them: refused
    by the size the file system states before the read, and by what was read after it."""
    if is_url(location):
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(str(location))
        _check_size(name, fs.size(path))
        with fs.open(path, "rb") as fh:
            data = fh.read(config.MAX_WORKBOOK_BYTES + 1)
    else:
        with open(location, "rb") as fh:
            _check_size(name, Path(location).stat().st_size)
            data = fh.read(config.MAX_WORKBOOK_BYTES + 1)
    _check_size(name, len(data))
    return data


def form_grids(location: Location, name: str | None = None) -> list[tuple[str, Grid]]:
    """The visible sheets of a workbook, or the tables of a .docx (``表格1``, ``表格2`` …), as
    ``(name, rows)``; ``rows[0]`` is row 1. ``name`` is how messages call the file (default: its
    file name). Raises InputError for a refused file, the reading library's error for a damaged
    one, and :class:`ValueError` for another kind of file."""
    suffix = PurePosixPath(str(location)).suffix.lower()
    name = name or PurePosixPath(str(location)).name
    if suffix not in (".xlsx", ".xlsm", ".xls", ".docx"):
        raise ValueError(f"{suffix or 'a file without suffix'} is not a form file")
    data = read_form_bytes(location, name)
    if suffix in (".xlsx", ".xlsm"):
        from fundanalysis.storage.xlsx import read_workbook_values

        return read_workbook_values(Path(name), data)
    if suffix == ".xls":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [(sheet, wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)) for sheet in wb.sheet_names]
    import docx

    document = docx.Document(io.BytesIO(data))
    return [(f"表格{i}", [[c.text for c in row.cells] for row in table.rows])
            for i, table in enumerate(document.tables, start=1)]
