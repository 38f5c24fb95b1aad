"""All disk access: reading workbooks and CSV, writing processed tables and published folders.

Workbooks are checked before parsing (not a zip, truncated, decompressed size, DTDs and
entity declarations, formulas without cached values) and read with python-calamine.
Writes go to a staging folder first and are published with one atomic rename.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from defusedxml import ElementTree as SafeET

from fundanalysis.config import (
    MAX_COMPRESSION_RATIO,
    MAX_UNCOMPRESSED_BYTES,
    MAX_WORKBOOK_BYTES,
)
from fundanalysis.errors import InputError, Problem

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


@dataclass
class RawSheet:
    """One sheet as read: a grid of cell values whose row 0 is Excel row 1."""

    file: str
    name: str
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    formula_cells: list[str] = field(default_factory=list)


def year_dir(data_dir: Path, year: int) -> Path:
    """The raw input folder of a year."""
    return Path(data_dir) / "raw" / str(year)


def processed_dir(data_dir: Path, year: int) -> Path:
    """The processed-table folder of a year."""
    return Path(data_dir) / "processed" / str(year)


def list_years(data_dir: Path) -> list[int]:
    """Years that have a raw input folder, ascending."""
    raw = Path(data_dir) / "raw"
    if not raw.is_dir():
        return []
    return sorted(int(p.name) for p in raw.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name))


def input_files(data_dir: Path, year: int) -> list[Path]:
    """The input files of a year: workbooks and CSV sheets (``<sheet name>.csv``)."""
    d = year_dir(data_dir, year)
    if not d.is_dir():
        return []
    return sorted(
        p for p in d.iterdir()
        if p.is_file() and p.suffix.lower() in {".xlsx", ".xlsm", ".csv", ".parquet"}
        and not p.name.startswith(("~$", "."))
    )


def read_year(data_dir: Path, year: int) -> dict[str, RawSheet]:
    """Read every sheet of a year's input files, keyed by sheet name.

    Raises :class:`InputError` with every file-level problem found.
    """
    files = input_files(data_dir, year)
    if not files:
        raise InputError([Problem(str(year_dir(data_dir, year)), None, None, None, None,
                                  f"no input workbook or CSV for year {year}")])
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    for path in files:
        try:
            if path.suffix.lower() == ".csv":
                got = {path.stem: read_csv_sheet(path)}
            elif path.suffix.lower() == ".parquet":
                got = {path.stem: read_parquet_sheet(path)}
            else:
                got = read_workbook(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for name, sheet in got.items():
            if name in sheets:
                problems.append(Problem(path.name, name, None, None, None,
                                        f"sheet {name!r} is also given by {sheets[name].file}"))
            else:
                sheets[name] = sheet
    if problems:
        raise InputError(problems)
    return sheets


def check_workbook_container(path: Path) -> None:
    """Reject a file that is not a sane xlsx before any XML is parsed."""
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise InputError([Problem(name, None, None, None, None, "the file is empty")])
    if size > MAX_WORKBOOK_BYTES:
        raise InputError([Problem(name, None, None, None, size,
                                  f"the file is larger than {MAX_WORKBOOK_BYTES} bytes")])
    if not zipfile.is_zipfile(path):
        raise InputError([Problem(name, None, None, None, None,
                                  "not an Excel workbook (.xlsx is a zip file; this is not)")])
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
                raise InputError([Problem(
                    name, None, None, None, total,
                    f"decompressed size {total} bytes (ratio {total // packed}:1) is absurd for "
                    "a workbook; refusing to parse it (possible zip bomb)")])
            if "xl/workbook.xml" not in zf.namelist():
                raise InputError([Problem(name, None, None, None, None,
                                          "not an Excel workbook (no xl/workbook.xml)")])
            bad = zf.testzip()
            if bad is not None:
                raise InputError([Problem(name, None, None, None, bad,
                                          "the workbook is damaged (CRC error)")])
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as fh:
                        head = fh.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise InputError([Problem(
                            name, None, None, None, info.filename,
                            "the workbook's XML declares a DTD or entities; refusing it "
                            "(entity expansion attack)")])
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError([Problem(name, None, None, None, None,
                                  f"the workbook is truncated or damaged ({exc})")]) from exc


def _sheet_xml_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map sheet names to their XML part inside the zip (parsed with defusedxml)."""
    wb = SafeET.fromstring(zf.read("xl/workbook.xml"))
    rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    out = {}
    for s in wb.findall("m:sheets/m:sheet", _NS):
        rid = s.get(f"{{{_NS['r']}}}id")
        target = targets.get(rid, "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out[s.get("name", "")] = target
    return out


def _formulas_without_values(zf: zipfile.ZipFile, part: str) -> list[str]:
    """Cells holding a formula but no cached value (the reader would see them as empty)."""
    try:
        data = zf.read(part)
    except KeyError:
        return []
    if b"<f" not in data and b":f" not in data:
        return []
    found = []
    root = SafeET.fromstring(data)
    for c in root.iter(f"{{{_NS['m']}}}c"):
        f = c.find("m:f", _NS)
        v = c.find("m:v", _NS)
        is_ = c.find("m:is", _NS)
        if f is not None and (v is None or v.text is None) and is_ is None:
            found.append(c.get("r", "?"))
    return found


def read_workbook(path: Path) -> dict[str, RawSheet]:
    """Read all sheets of an xlsx workbook after the container checks."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    check_workbook_container(path)
    with zipfile.ZipFile(path) as zf:
        try:
            parts = _sheet_xml_paths(zf)
            formulas = {n: _formulas_without_values(zf, p) for n, p in parts.items()}
        except (KeyError, SafeET.ParseError) as exc:
            raise InputError([Problem(path.name, None, None, None, None,
                                      f"the workbook's XML is damaged ({exc})")]) from exc
        except Exception as exc:  # defusedxml raises its own classes for DTD/entities
            raise InputError([Problem(path.name, None, None, None, None,
                                      f"the workbook's XML was refused ({exc})")]) from exc
    try:
        wb = CalamineWorkbook.from_path(str(path))
        out = {}
        for name in wb.sheet_names:
            sh = wb.get_sheet_by_name(name)
            rows = sh.to_python(skip_empty_area=False)
            merged = [
                (r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sh.merged_cell_ranges or [])
            ]
            out[name] = RawSheet(path.name, name, rows, merged, formulas.get(name, []))
        return out
    except Exception as exc:  # calamine raises its own error types
        raise InputError([Problem(path.name, None, None, None, None,
                                  f"the workbook could not be read ({exc})")]) from exc


def read_csv_sheet(path: Path) -> RawSheet:
    """Read a CSV file as one sheet named after the file; all cells stay text."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, header=None,
                         encoding="utf-8-sig", engine="pyarrow" if path.stat().st_size > 1e6
                         else "c")
    except Exception as exc:
        raise InputError([Problem(path.name, path.stem, None, None, None,
                                  f"not a readable UTF-8 CSV file ({exc})")]) from exc
    return RawSheet(path.name, path.stem, df.to_numpy().tolist())


def read_parquet_sheet(path: Path) -> RawSheet:
    """Read a Parquet file as one sheet named after the file (header row first)."""
    try:
        df = pd.read_parquet(path)
    except Exception as exc:
        raise InputError([Problem(path.name, path.stem, None, None, None,
                                  f"not a readable Parquet file ({exc})")]) from exc
    return RawSheet(path.name, path.stem, [list(df.columns), *df.to_numpy().tolist()])


# ---------------------------------------------------------------- writing


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A fresh folder beside ``final`` to build into; removed if the build fails."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".staging-{final.name}-", dir=final.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish_dir(staged: Path, final: Path) -> Path:
    """Publish a staged folder as ``final`` with one atomic step.

    ``final`` is a symlink to a versioned folder; it is swapped with ``os.replace``,
    so a reader (or a ``kill -9``) sees either the old tree or the new one, never a mix.
    """
    staged, final = Path(staged), Path(final)
    versions = final.parent / ".versions"
    versions.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    target = versions / f"{final.name}-{stamp}"
    os.replace(staged, target)
    old: Path | None = None
    if final.is_symlink():
        old = final.parent / os.readlink(final)
    elif final.exists():
        # a real folder from an older layout: move it aside first
        old = versions / f"{final.name}-legacy-{stamp}"
        os.replace(final, old)
    link_tmp = final.parent / f".link-{final.name}-{stamp}"
    os.symlink(os.path.relpath(target, final.parent), link_tmp)
    os.replace(link_tmp, final)
    if old is not None and old.resolve() != target.resolve():
        shutil.rmtree(old, ignore_errors=True)
    return target


def write_tables(tables: Mapping[str, pd.DataFrame], dest: Path) -> None:
    """Write processed tables as CSV (UTF-8 with BOM, for Excel) and Parquet into ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(dest / f"{name}.csv", index=False, encoding="utf-8-sig")
        df.to_parquet(dest / f"{name}.parquet", index=False)


def read_tables(src: Path) -> dict[str, pd.DataFrame]:
    """Read processed tables back from their Parquet files."""
    return {p.stem: pd.read_parquet(p) for p in sorted(Path(src).glob("*.parquet"))}


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
