"""All disk access: reading workbooks and CSV, writing processed tables and published folders.

Workbooks are checked before parsing (not a zip, truncated, old .xls, encrypted, real
decompressed size streamed against a limit, a DTD anywhere before the root element of any
part) and read with python-calamine; cells calamine would read as empty although they are not
(formulas without cached values, error values) are found with a streaming defusedxml parse.
Writes go to a staging folder first and are published with one atomic rename.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import json
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import pandas as pd
from defusedxml import ElementTree as SafeET

from fundanalysis import config
from fundanalysis.errors import InputError, Problem, StorageError
from fundanalysis.exports import neutralise_formulas

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}

#: Parts in an xlsx zip; a workbook has a few dozen, so many more is not a workbook.
MAX_ZIP_ENTRIES = 10_000
_CHUNK = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Bytes at the end of a zip that hold its end-of-directory record (22 + longest comment).
_EOCD_SEARCH = 22 + 0xFFFF
#: Zip parts that must be XML (checked to start like XML in UTF-8 or UTF-16).
_XML_SUFFIXES = (".xml", ".rels")
#: Spreadsheet files left in a year folder that the tool does not read.
_UNREAD_SPREADSHEETS = {".xls", ".xlsb", ".ods", ".et", ".numbers"}


@dataclass
class RawSheet:
    """One sheet as read: a grid of cell values whose row 0 is Excel row 1."""

    file: str
    name: str
    rows: list[list[Any]]
    #: merged ranges as (row0, col0, row1, col1), 0-based and inclusive
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: cells read as empty although they are not (formula without cached value, error value):
    #: {"C3": ("=1+2", reason)}
    bad_cells: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: number cells whose Excel format shows a unit or a scale: {"C3": NumberFormat}
    cell_formats: dict[str, NumberFormat] = field(default_factory=dict)
    #: Excel rows (1-based) and columns (1-based) hidden in Excel; whether the sheet is hidden
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)
    hidden: bool = False
    #: for text files: the line each grid row starts on (None: row i is line i + 1)
    row_numbers: list[int] | None = None
    #: what a problem calls a row of this sheet: an Excel "row" or a CSV "line"
    row_kind: str = "row"
    #: notes about how the file was read (e.g. its text encoding)
    notes: list[str] = field(default_factory=list)


def year_dir(data_dir: Path, year: int) -> Path:
    """The raw input folder of a year."""
    return Path(data_dir) / "raw" / str(year)


def processed_dir(data_dir: Path, year: int) -> Path:
    """The processed-table folder of a year."""
    return Path(data_dir) / "processed" / str(year)


def list_years(data_dir: Path) -> list[int]:
    """Years that have a raw input folder (ASCII four digits, in range), ascending."""
    return scan_years(data_dir)[0]


def scan_years(data_dir: Path) -> tuple[list[int], list[str]]:
    """Year folders under ``raw/`` and notes on folders that are not one.

    A year folder is named with four ASCII digits within the accepted years; anything else
    (``0000``, ``２０２０`` in full-width digits, ``2019-old``) is noted and left alone.
    """
    raw = Path(data_dir) / "raw"
    if not raw.is_dir():
        return [], []
    years, notes = [], []
    for p in sorted(raw.iterdir()):
        if not p.is_dir() or p.name.startswith("."):
            continue
        if re.fullmatch(r"[0-9]{4}", p.name) and config.MIN_YEAR <= int(p.name) <= config.MAX_YEAR:
            years.append(int(p.name))
        elif re.fullmatch(r"\d{4}", p.name):
            ascii_name = "".join(str(int(c)) for c in p.name)
            hint = (f"write it with ASCII digits ({ascii_name})" if ascii_name != p.name
                    else f"years run from {config.MIN_YEAR} to {config.MAX_YEAR}")
            notes.append(f"folder {p} is not a year folder, so it is skipped; {hint}")
        else:
            notes.append(f"folder {p} is not a year folder (four digits such as 2019), so it is skipped")
    return sorted(years), notes


def years_with_input(data_dir: Path) -> tuple[list[int], list[str]]:
    """Year folders that hold input files, and notes on the folders skipped (not a year, empty)."""
    years, notes = scan_years(data_dir)
    keep = []
    for y in years:
        if input_files(data_dir, y):
            keep.append(y)
        else:
            notes.append(f"{year_dir(data_dir, y)} holds no input workbook or CSV yet, so {y} is skipped")
    return keep, notes


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
        raise InputError([_no_input(data_dir, year)])
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    for path in files:
        try:
            got = _read_input_file(path)
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


def _read_input_file(path: Path) -> dict[str, RawSheet]:
    """Read one input file (workbook, CSV or Parquet sheet)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return {path.stem: read_csv_sheet(path)}
    if suffix == ".parquet":
        return {path.stem: read_parquet_sheet(path)}
    return read_workbook(path)


def _no_input(data_dir: Path, year: int) -> Problem:
    """The problem for a year with no data: no folder, an empty folder, or only unread files."""
    d = year_dir(data_dir, year)
    head = f"no input workbook or CSV for year {year}"
    if not d.is_dir():
        return Problem(str(d), None, None, None, None, f"{head}: the folder does not exist")
    unread = sorted(p.name for p in d.iterdir() if p.suffix.lower() in _UNREAD_SPREADSHEETS)
    if unread:
        return Problem(str(d), None, None, None, "、".join(unread),
                       f"{head}: these spreadsheets are not read; save them as .xlsx")
    return Problem(str(d), None, None, None, None,
                   f"{head}: the folder has no .xlsx workbook and no <sheet>.csv")


# ------------------------------------------------------- workbook container checks


def _refuse(path: Path, reason: str, value: Any = None, sheet: str | None = None) -> InputError:
    """An :class:`InputError` about the whole file (a file-level problem has no row)."""
    return InputError([Problem(path.name, sheet, None, None, value, reason)])


def check_workbook_container(path: Path) -> None:
    """Reject a file that is not a sane xlsx before any of its XML is parsed.

    Checks, in order: size on disk, file kind (old .xls, truncated zip, not a zip), the zip
    directory (entry count, encryption, compression method, declared sizes and ratio), then
    every part streamed in small chunks, without trusting the sizes the zip declares: its real
    decompressed size and CRC, and a DTD (``<!DOCTYPE``) anywhere before the root element.
    Memory stays at about one chunk whatever the file claims.
    """
    path = Path(path)
    size = path.stat().st_size
    _check_file_kind(path, size)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_directory(path, infos, size)
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise _refuse(path, "not an Excel workbook (a zip file, but no xl/workbook.xml)")
            cells = 0
            with path.open("rb") as fp:
                for info in infos:
                    cells += _scan_part(path, zf, fp, info)
            check_memory(path.name, cells * config.BYTES_PER_CELL, "reading the workbook")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, struct.error,
            zlib.error) as exc:
        raise _refuse(path, f"the workbook is truncated or damaged ({exc})") from exc


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


def _check_file_kind(path: Path, size: int) -> None:
    """Refuse empty, oversized, old-format, truncated and non-zip files by their bytes."""
    if size == 0:
        raise _refuse(path, "the file is empty")
    if size > config.MAX_WORKBOOK_BYTES:
        raise _refuse(path, f"the file is larger than {config.MAX_WORKBOOK_BYTES} bytes", size)
    with path.open("rb") as fh:
        head = fh.read(8)
        fh.seek(max(0, size - _EOCD_SEARCH))
        tail = fh.read()
    if head.startswith(_OLE2_MAGIC):
        raise _refuse(path, "an old Excel 97-2003 (.xls) or password-protected workbook; "
                      "save it as .xlsx without a password")
    eocd = tail.rfind(b"PK\x05\x06")
    if head.startswith(_ZIP_MAGIC) and (eocd < 0 or len(tail) - eocd < 22):
        raise _refuse(path, "the workbook is truncated: its end (the zip directory) is missing; "
                      "was the copy or download interrupted?")
    if not head.startswith((_ZIP_MAGIC, b"PK\x05\x06")) or eocd < 0:
        raise _refuse(path, "not an Excel workbook (.xlsx is a zip file; this is not)")
    entries = struct.unpack("<H", tail[eocd + 10:eocd + 12])[0]
    if entries > MAX_ZIP_ENTRIES:
        raise _refuse(path, f"the zip holds {entries} parts (a workbook has a few dozen); "
                      "refusing it", entries)


def _check_directory(path: Path, infos: list[zipfile.ZipInfo], size: int) -> None:
    """Refuse encrypted parts, unusual compression and absurd declared sizes (zip bomb)."""
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(path, "the workbook is encrypted; save it without a password",
                          info.filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(path, f"part uses compression method {info.compress_type}, which "
                          "Excel never writes; refusing it", info.filename)
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if packed > size:
        raise _refuse(path, "the zip's parts overlap (they claim more bytes than the file has); "
                      "refusing it (possible zip bomb)", packed)
    ratio = total / max(size, 1)
    if total > config.MAX_UNCOMPRESSED_BYTES or ratio > config.MAX_COMPRESSION_RATIO:
        raise _refuse(path, f"decompressed size {total} bytes (ratio {total // max(size, 1)}:1) "
                      f"is absurd for a workbook (limits {config.MAX_UNCOMPRESSED_BYTES} bytes, "
                      f"{config.MAX_COMPRESSION_RATIO}:1); refusing to parse it (possible zip bomb)",
                      total)


def _scan_part(path: Path, zf: zipfile.ZipFile, fp: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Stream one part: real size within the declared one, CRC, no DTD before the root element.

    Worksheets are also measured (the grid their reader would allocate) and the shared-strings
    table's declared count is checked, since either can make the reader allocate without bound.
    Returns the cells of the worksheet's grid (0 for other parts).
    """
    crc, got = 0, 0
    prolog = _PrologScan()
    name = info.filename.lower()
    grid = _GridScan() if name.startswith("xl/worksheets/") and name.endswith(".xml") else None
    sst = _SstScan() if name == "xl/sharedstrings.xml" else None
    for chunk in _part_chunks(fp, info):
        got += len(chunk)
        if got > info.file_size:
            raise _refuse(path, f"a part decompresses to more than the {info.file_size} bytes "
                          "it declares; refusing it (zip bomb or damaged file)", info.filename)
        crc = zlib.crc32(chunk, crc)
        prolog.feed(chunk)
        if grid is not None:
            grid.feed(chunk)
        if sst is not None and sst.feed(chunk):
            _check_shared_strings(path, sst, info)
            sst = None
        if prolog.result == "dtd":
            raise _refuse(path, "the part's XML declares a DTD (<!DOCTYPE>, where entities are "
                          "declared); refusing it (XML entity expansion attack)", info.filename,
                          _sheet_of_part(zf, info.filename))
        if prolog.result == "junk" and info.filename.lower().endswith(_XML_SUFFIXES):
            raise _refuse(path, "the part is not XML in UTF-8 or UTF-16 (the workbook is damaged)",
                          info.filename, _sheet_of_part(zf, info.filename))
    if got != info.file_size or crc != info.CRC:
        raise _refuse(path, "the workbook is damaged (a part's size or CRC does not match)",
                      info.filename)
    if sst is not None:
        _check_shared_strings(path, sst, info)
    return _check_grid(path, zf, info, grid) if grid is not None else 0


class _GridScan:
    """Finds the last row and column a worksheet's cells reach, streaming, without parsing XML.

    A reader allocates the whole rectangle from A1 to the farthest cell, so one stray cell at
    XFD1048576 in a 15 KB file would ask for 17 billion cells.
    """

    _CELL = re.compile(rb' r="([A-Z]{1,3})([0-9]{1,7})"')
    _ROW = re.compile(rb'<(?:\w+:)?row [^>]*?r="([0-9]{1,7})"')

    def __init__(self) -> None:
        self.max_row = 0
        self.max_col = ""
        self.cells = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        """Scan the next bytes (a few bytes overlap the previous chunk, for split tokens)."""
        buf = self._tail + chunk
        self.cells += chunk.count(b"<c ") + chunk.count(b"<c>")
        letters = set(self._CELL.findall(buf))
        if letters:
            col = max((c for c, _ in letters), key=lambda c: (len(c), c))
            row = max(int(r) for _, r in letters)
            self.max_row = max(self.max_row, row)
            if (len(col), col) > (len(self.max_col), self.max_col):
                self.max_col = col.decode("ascii")
        rows = self._ROW.findall(buf)
        if rows:
            self.max_row = max(self.max_row, max(int(r) for r in rows))
        self._tail = buf[-64:]

    @property
    def columns(self) -> int:
        n = 0
        for ch in self.max_col:
            n = n * 26 + ord(ch) - 64
        return n


def _check_grid(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, grid: _GridScan) -> int:
    """Refuse a worksheet whose grid is beyond the limits in config; return its cell count."""
    rows, cols = grid.max_row, grid.columns
    cells = max(rows * cols, grid.cells)
    if rows <= config.MAX_SHEET_ROWS and cols <= config.MAX_SHEET_COLUMNS and cells <= config.MAX_SHEET_CELLS:
        return cells
    sheet = _sheet_of_part(zf, info.filename)
    far = f"{grid.max_col}{rows}" if grid.max_col else f"row {rows}"
    raise _refuse(path, f"the sheet reaches cell {far}: {cols} columns × {rows} rows, beyond the limits "
                  f"({config.MAX_SHEET_COLUMNS} columns, {config.MAX_SHEET_ROWS} rows, "
                  f"{config.MAX_SHEET_CELLS} cells in all); delete stray cells far from the table "
                  "(select the empty rows and columns after the data, right-click, Delete)", far, sheet)


class _SstScan:
    """Reads the counts the shared-strings table declares in its opening tag."""

    _ATTR = re.compile(rb'\b(count|uniqueCount)="([0-9]+)"')

    def __init__(self) -> None:
        self.head = b""
        self.counts: dict[str, int] = {}

    def feed(self, chunk: bytes) -> bool:
        """True once the ``<sst ...>`` tag has been seen (or cannot be found)."""
        self.head += chunk[: 4096 - len(self.head)]
        start = self.head.find(b"<sst")
        end = self.head.find(b">", start) if start >= 0 else -1
        if end < 0 and len(self.head) < 4096:
            return False
        tag = self.head[start:end] if start >= 0 and end >= 0 else b""
        self.counts = {k.decode(): int(v) for k, v in self._ATTR.findall(tag)}
        return True


def _check_shared_strings(path: Path, sst: _SstScan, info: zipfile.ZipInfo) -> None:
    """Refuse a shared-strings table that declares more strings than the limit or its size allows.

    Each string takes at least ``<si><t/></si>`` (12 bytes), so a count above a twelfth of the
    part's size is a lie that would make the reader reserve memory for nothing.
    """
    declared = max(sst.counts.values(), default=0)
    plausible = info.file_size // 12 + 1
    if declared > config.MAX_SHARED_STRINGS or declared > max(plausible, 1000):
        raise _refuse(path, f"the shared-strings table declares {declared} strings (limit "
                      f"{config.MAX_SHARED_STRINGS}; the part has room for about {plausible}); "
                      "refusing it (damaged or hostile workbook)", declared)


def _part_chunks(fp: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's decompressed bytes, at most one chunk at a time, from its raw zip stream."""
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) < 30 or not head.startswith(_ZIP_MAGIC):
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left = info.compress_size
    while left > 0:
        raw = fp.read(min(_CHUNK, left))
        if not raw:
            raise zipfile.BadZipFile(f"{info.filename} is cut short")
        left -= len(raw)
        if inflate is None:
            yield raw
            continue
        yield inflate.decompress(raw, _CHUNK)
        while inflate.unconsumed_tail:
            yield inflate.decompress(inflate.unconsumed_tail, _CHUNK)
    if inflate is not None:
        yield inflate.flush()
        if not inflate.eof:
            raise zipfile.BadZipFile(f"{info.filename}: compressed data is incomplete")


def _xml_codec(head: bytes) -> str:
    """The codec to read an XML part's prolog with, from its first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    return "latin-1"  # ASCII-compatible: markup bytes read the same in UTF-8, GBK, ...


class _PrologScan:
    """Streams an XML part's prolog and says what comes first: the root element, a DTD or junk.

    XML allows only a declaration, comments, processing instructions and whitespace before
    the root element, and the DTD must come there too; so the scan stops at the first tag
    that is none of these, however long the comments before it are. It keeps a few bytes.
    """

    _SKIP: ClassVar[dict[str, str]] = {"<?": "?>", "<!--": "-->"}
    _PREFIXES = ("<?", "<!--", "<!DOCTYPE")

    def __init__(self) -> None:
        self.result: str | None = None  # "root", "dtd" or "junk"
        self._pending = b""
        self._decode: codecs.IncrementalDecoder | None = None
        self._buf = ""
        self._until: str | None = None

    def feed(self, data: bytes) -> None:
        """Scan the next bytes of the part (ignored once the result is known)."""
        if self.result is not None:
            return
        if self._decode is None:
            self._pending += data
            if len(self._pending) < 4:
                return
            self._decode = codecs.getincrementaldecoder(_xml_codec(self._pending))("replace")
            data, self._pending = self._pending, b""
        self._buf += self._decode.decode(data)
        while self.result is None and self._step():
            pass

    def _step(self) -> bool:
        """Consume one token of the prolog; False when more bytes are needed."""
        if self._until is not None:
            i = self._buf.find(self._until)
            if i < 0:
                self._buf = self._buf[-len(self._until):]
                return False
            self._buf, self._until = self._buf[i + len(self._until):], None
            return True
        self._buf = self._buf.lstrip(" \t\r\n\ufeff")
        head = self._buf[:9].upper()
        if not head or any(p.startswith(head) and len(head) < len(p) for p in self._PREFIXES):
            return False
        for start, end in self._SKIP.items():
            if head.startswith(start):
                self._buf, self._until = self._buf[len(start):], end
                return True
        if head.startswith("<!DOCTYPE"):
            self.result = "dtd"
        else:
            self.result = "root" if re.match(r"<(?:[^\W\d]|[_:])", head) else "junk"
        return False


def _sheet_of_part(zf: zipfile.ZipFile, part: str) -> str | None:
    """The sheet a worksheet part belongs to, if the workbook says so (best effort)."""
    try:
        return next((n for n, p in _sheet_xml_paths(zf).items() if p == part), None)
    except Exception:  # the workbook's own XML may be the bad part
        return None


# ----------------------------------------------------------------- workbook reading


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


_MARKERS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/", b't="e"')


def _cell_issue(el: Any) -> tuple[str, str] | None:
    """``(value, reason)`` if a ``<c>`` element is a formula without value or an error value."""
    ref = el.get("r", "?")
    f, v = el.find("m:f", _NS), el.find("m:v", _NS)
    formula = None if f is None else "=" + (f.text or "(shared formula)")
    if el.get("t") == "e":
        error = v.text if v is not None and v.text else "#N/A"
        how = f" (from the formula {formula})" if formula else ""
        return error, f"cell {ref} holds the Excel error {error}{how}; correct it or type the value"
    cached = v is not None and (bool(v.text) or el.get("t") == "str")
    if formula is not None and not cached and el.find("m:is", _NS) is None:
        return formula, (f"cell {ref} holds a formula without a calculated value (the file was "
                         "saved by a program that does not calculate); open and save it in Excel, "
                         "or type the value")
    return None


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """Merged ranges as ``(row0, col0, row1, col1)``: 0-based, inclusive, absolute.

    python-calamine 0.9 returns ``[((row0, col0), (row1, col1)), ...]`` (checked: openpyxl's
    ``A1:B1`` comes back as ``((0, 0), (0, 1))``, and ``B2:C2`` on a sheet starting at B2 as
    ``((1, 1), (1, 2))``), or None when the sheet has none.
    """
    return [(int(r0), int(c0), int(r1), int(c1))
            for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]


def read_workbook(path: Path) -> dict[str, RawSheet]:
    """Read all sheets of an xlsx workbook after the container checks.

    Besides the cell values, each sheet carries what a reader of values alone would miss: cells
    read as empty although they are not, number formats that show a unit or scale, hidden rows,
    hidden columns and whether the sheet itself is hidden.
    """
    path = Path(path)
    check_workbook_container(path)
    extras = _sheet_extras(path)
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        wb = CalamineWorkbook.from_path(str(path))
        visible = {m.name: m.visible == SheetVisibleEnum.Visible for m in wb.sheets_metadata}
        out = {}
        for name in wb.sheet_names:
            sh = wb.get_sheet_by_name(name)
            rows = sh.to_python(skip_empty_area=False)
            ex = extras.get(name, _SheetExtras())
            out[name] = RawSheet(path.name, name, rows, _merged_ranges(sh), ex.bad_cells,
                                 cell_formats=ex.formats, hidden_rows=ex.hidden_rows,
                                 hidden_columns=ex.hidden_columns,
                                 hidden=not visible.get(name, True))
        return out
    except Exception as exc:  # calamine raises its own error types
        raise _refuse(path, f"the workbook could not be read ({exc})") from exc


@dataclass
class _SheetExtras:
    bad_cells: dict[str, tuple[str, str]] = field(default_factory=dict)
    formats: dict[str, NumberFormat] = field(default_factory=dict)
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)


def _sheet_extras(path: Path) -> dict[str, _SheetExtras]:
    """Per sheet: unreadable cells, unit-bearing number formats, hidden rows and columns."""
    try:
        with zipfile.ZipFile(path) as zf:
            styles = _unit_styles(zf)
            return {n: _scan_sheet_xml(zf, p, styles) for n, p in _sheet_xml_paths(zf).items()}
    except (KeyError, SafeET.ParseError) as exc:
        raise _refuse(path, f"the workbook's XML is damaged ({exc})") from exc
    except Exception as exc:  # defusedxml raises its own classes for DTD/entities
        raise _refuse(path, f"the workbook's XML was refused ({exc})") from exc


@dataclass(frozen=True)
class NumberFormat:
    """What a cell's Excel number format does to the number shown.

    ``unit`` is the money unit the format shows (``#,##0"元"`` or ``¥#,##0`` → 元); ``problem``
    says why the shown value cannot be read as a plain amount (a scale, a percentage, an
    unknown unit); ``code`` is the format as Excel stores it.
    """

    code: str
    unit: str | None = None
    problem: str | None = None


#: Built-in number formats (ids without a formatCode in styles.xml) that show a currency symbol
#: (元 in a Chinese Excel) or a percentage.
_BUILTIN_CURRENCY = {5, 6, 7, 8, 42, 44}
_BUILTIN_PERCENT = {9, 10}
_FORMAT_UNITS = ("亿元", "万元", "元", "亿", "万")


def classify_number_format(code: str) -> NumberFormat | None:
    """What a number format shows beyond the number, or None for a plain number format.

    >>> classify_number_format('#,##0"元"').unit, classify_number_format('0.0"万元"').unit
    ('元', '万元')
    >>> classify_number_format("[$¥-804]#,##0.00").unit
    '元'
    >>> print(classify_number_format('#,##0,"千元"').problem)
    it divides the number by 1000 for display (shown in 千元); it shows the unit '千元', which is not 元, 万元 or 亿元
    >>> classify_number_format("0.00") is None
    True
    """
    section = _format_sections(code)[0]
    literal, skeleton = _format_literals(section)
    problems = []
    scale = re.search(r"[0#?](,+)(?![0#?])", skeleton)
    words = re.sub(r"[\s_*()\-+:/.,（）：]", "", literal)
    currency = re.search(r"[¥￥]|人民币|RMB|CNY", words) is not None
    other = re.sub(r"[¥￥]|人民币|RMB|CNY", "", words)
    unit = other if other in _FORMAT_UNITS else None
    if unit is not None:
        other = ""
    if scale:
        factor = 1000 ** len(scale.group(1))
        shown = f" (shown in {literal.strip()})" if literal.strip() else ""
        problems.append(f"it divides the number by {factor} for display{shown}")
    if "%" in skeleton:
        problems.append("it shows the number as a percentage")
    if unit is None and currency and not other:
        unit = "元"
    if other and unit is None:
        problems.append(f"it shows the unit {other!r}, which is not 元, 万元 or 亿元")
    if not problems and unit is None:
        return None
    return NumberFormat(code, None if problems else unit, "; ".join(problems) or None)


def _format_sections(code: str) -> list[str]:
    """The ``;``-separated sections of a format code (quotes and escapes respected)."""
    out, cur, i, quoted = [], "", 0, False
    while i < len(code):
        ch = code[i]
        if ch == "\\" and not quoted and i + 1 < len(code):
            cur += code[i:i + 2]
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    return [*out, cur]


def _format_literals(section: str) -> tuple[str, str]:
    """``(literal text shown, the rest)`` of one format section.

    Literal text is quoted, backslash-escaped, a currency in ``[$¥-804]``, or a character that
    is not a format code (a CJK character, ¥); colours and conditions in brackets are dropped.
    """
    literal, skeleton, i = "", "", 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            literal += section[i + 1:j]
            i = j + 1
        elif ch == "\\" and i + 1 < len(section):
            literal += section[i + 1]
            i += 2
        elif ch == "[":
            j = section.find("]", i)
            j = len(section) if j < 0 else j
            inner = section[i + 1:j]
            if inner.startswith("$"):
                literal += inner[1:].split("-")[0]
            i = j + 1
        elif ch in "_*" and i + 1 < len(section):
            i += 2  # padding: the next character only sets a width
        elif re.match(r"[\u4e00-\u9fff¥￥$]", ch):
            literal += ch
            i += 1
        else:
            skeleton += ch
            i += 1
    return literal, skeleton


def _unit_styles(zf: zipfile.ZipFile) -> dict[str, NumberFormat]:
    """Cell style indices (the ``s`` attribute) whose number format shows a unit or a scale."""
    if "xl/styles.xml" not in zf.namelist():
        return {}
    root = SafeET.fromstring(zf.read("xl/styles.xml"))
    codes = {int(f.get("numFmtId", "-1")): f.get("formatCode", "")
             for f in root.findall("m:numFmts/m:numFmt", _NS)}
    out: dict[str, NumberFormat] = {}
    for i, xf in enumerate(root.findall("m:cellXfs/m:xf", _NS)):
        fid = int(xf.get("numFmtId", "0") or 0)
        if fid in codes:
            fmt = classify_number_format(codes[fid])
        elif fid in _BUILTIN_CURRENCY:
            fmt = NumberFormat(f"built-in format {fid} (currency)", "元")
        elif fid in _BUILTIN_PERCENT:
            fmt = NumberFormat(f"built-in format {fid} (percentage)", None,
                               "it shows the number as a percentage")
        else:
            fmt = None
        if fmt is not None:
            out[str(i)] = fmt
    return out


def _scan_sheet_xml(zf: zipfile.ZipFile, part: str, styles: dict[str, NumberFormat]) -> _SheetExtras:
    """One streamed pass over a sheet's XML for what cell values alone do not say.

    Skipped (a fast byte scan says so) when the sheet has no formula, error value, hidden row or
    column, or number cell in a unit-bearing style.
    """
    found = _SheetExtras()
    if part not in zf.namelist():
        return found
    markers = [*_MARKERS, b'hidden="1"', b'hidden="true"']
    markers += [f' s="{k}"'.encode() for k in styles]
    if not _contains_any(zf, part, markers):
        return found
    cell, row, col = (f"{{{_NS['m']}}}{t}" for t in ("c", "row", "col"))
    with zf.open(part) as fh:
        for _, el in SafeET.iterparse(fh, events=("end",)):
            if el.tag == cell:
                ref = el.get("r", "?")
                issue = _cell_issue(el)
                if issue is not None:
                    found.bad_cells[ref] = issue
                fmt = styles.get(el.get("s", ""))
                if fmt is not None and el.get("t", "n") == "n" and el.find("m:v", _NS) is not None:
                    found.formats[ref] = fmt
                el.clear()
            elif el.tag == row:
                if el.get("hidden") in ("1", "true"):
                    found.hidden_rows.append(int(el.get("r", "0")))
                el.clear()
            elif el.tag == col and el.get("hidden") in ("1", "true"):
                lo, hi = int(el.get("min", "1")), int(el.get("max", "1"))
                found.hidden_columns.extend(range(lo, min(hi, lo + config.MAX_SHEET_COLUMNS) + 1))
    return found


def _contains_any(zf: zipfile.ZipFile, part: str, markers: list[bytes]) -> bool:
    """Fast scan (no XML parsing) for any of ``markers`` in a part."""
    tail = b""
    longest = max(len(m) for m in markers)
    with zf.open(part) as fh:
        while chunk := fh.read(1 << 20):
            window = tail + chunk
            if any(m in window for m in markers):
                return True
            tail = chunk[-longest:]
    return False


def read_csv_sheet(path: Path) -> RawSheet:
    """Read a CSV file as one sheet named after the file; all cells stay text.

    The encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM, GB18030 — what
    Chinese Excel writes as "CSV") and said in a note when it is not UTF-8. Parsing is strict:
    a stray quote is a located error, never rows merged into one cell. Rows keep the line
    they start on, blank lines included, so problems name the real line.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > config.MAX_CSV_BYTES:
        raise _refuse_sheet(path, f"the CSV file is larger than the limit of {config.MAX_CSV_BYTES} bytes",
                            size)
    check_memory(path.name, size * 12, "reading the CSV file", path.stem)
    text, note = _decode_csv(path, path.read_bytes())
    rows, lines = _parse_csv(path, text)
    width = max((len(r) for r in rows), default=0)
    if len(rows) > config.MAX_SHEET_ROWS or width > config.MAX_SHEET_COLUMNS:
        raise _refuse_sheet(path, f"the CSV file has {len(rows)} rows and {width} columns, beyond the "
                            f"limits ({config.MAX_SHEET_ROWS} rows, {config.MAX_SHEET_COLUMNS} columns)")
    return RawSheet(path.name, path.stem, rows, row_numbers=lines, row_kind="line",
                    notes=[note] if note else [])


def _refuse_sheet(path: Path, reason: str, value: Any = None, line: int | None = None) -> InputError:
    """An :class:`InputError` about a one-sheet file (CSV, Parquet)."""
    kind = "line" if path.suffix.lower() == ".csv" else "row"
    return InputError([Problem(path.name, path.stem, line, None, value, reason, kind)])


_SAVE_AS_UTF8 = ("in Excel choose 文件 → 另存为 → 'CSV UTF-8（逗号分隔）(*.csv)', or save it as .xlsx")


def _decode_csv(path: Path, data: bytes) -> tuple[str, str | None]:
    """The text of a CSV file and a note on its encoding when it is not plain UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif data[:4096].count(b"\x00") > len(data[:4096]) // 10:
        raise _refuse_sheet(path, "the file holds NUL bytes: it is not a text (CSV) file, or it is "
                            f"UTF-16 without a byte-order mark; {_SAVE_AS_UTF8}")
    else:
        encodings = ["utf-8", "gb18030"]
    first_error: UnicodeDecodeError | None = None
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        note = None
        if enc == "gb18030":
            note = (f"{path.name}: read as GB18030/GBK text (Excel's 'CSV (逗号分隔)' on a Chinese "
                    f"system); to avoid doubt, save it as CSV UTF-8")
        elif enc == "utf-16":
            note = f"{path.name}: read as UTF-16 text"
        return text, note
    assert first_error is not None
    line = data[:first_error.start].count(b"\n") + 1
    raise _refuse_sheet(path, f"the file is not UTF-8, GB18030 or UTF-16 text (byte "
                        f"0x{data[first_error.start]:02X} cannot be read); {_SAVE_AS_UTF8}",
                        None, line)


def _parse_csv(path: Path, text: str) -> tuple[list[list[str]], list[int]]:
    """Rows of a CSV text and the line each starts on; quoting errors are located errors."""
    import csv

    reader = csv.reader(StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    prev = 0
    try:
        for rec in reader:
            start, end = prev + 1, reader.line_num
            if end > start:
                _check_multiline(path, rec, start, end, len(rows[0]) if rows else len(rec))
            rows.append(rec)
            lines.append(start)
            prev = end
    except csv.Error as exc:
        start = prev + 1
        if "unexpected end of data" in str(exc) or "new-line character seen" in str(exc):
            reason = (f'a quote (") opened on line {start} is never closed, so everything after it '
                      "would be read as one cell; check the quotes on that line")
        elif reader.line_num > start:
            reason = (f'a quote (") opened on line {start} runs on to line {reader.line_num}, where the '
                      f"cell ends badly ({exc}): a stray quote probably opened it, swallowing the rows "
                      f"between; check the quotes on line {start}")
        else:
            reason = (f"the quotes on line {start} are not CSV quoting ({exc}): a cell that holds a "
                      'quote must be written in quotes with the quote doubled ("")')
        raise _refuse_sheet(path, reason, None, start) from exc
    return rows, lines


def _check_multiline(path: Path, rec: list[str], start: int, end: int, width: int) -> None:
    """Refuse a quoted cell that spans lines looking like whole rows (a stray quote swallowed them)."""
    need = max(1, width - 2)
    for cell in rec:
        if "\n" not in cell:
            continue
        if any(ln.count(",") >= need for ln in cell.split("\n")[1:]):
            raise _refuse_sheet(path, f"a quoted cell runs from line {start} to line {end} and holds "
                                "line breaks and commas, so whole rows would be read as one cell: a "
                                'stray quote (") probably opened it; check the quotes on line '
                                f"{start}", cell[:60], start)


def read_parquet_sheet(path: Path) -> RawSheet:
    """Read a Parquet file as one sheet named after the file (header row first).

    Its size is checked from the file's metadata before any data is read (a small Parquet file
    can hold a hundred million rows); text that is not valid UTF-8 is a located error.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        meta = pq.read_metadata(path)
    except Exception as exc:
        raise _refuse_sheet(path, f"not a readable Parquet file ({exc})") from exc
    rows, cols = meta.num_rows, meta.num_columns
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if rows > config.MAX_SHEET_ROWS or cols > config.MAX_SHEET_COLUMNS or unpacked > config.MAX_PARQUET_BYTES:
        raise _refuse_sheet(path, f"the Parquet file declares {rows} rows, {cols} columns and {unpacked} "
                            f"bytes of data, beyond the limits ({config.MAX_SHEET_ROWS} rows, "
                            f"{config.MAX_SHEET_COLUMNS} columns, {config.MAX_PARQUET_BYTES} bytes)", rows)
    check_memory(path.name, rows * max(cols, 1) * config.BYTES_PER_CELL + unpacked,
                 "reading the Parquet file", path.stem)
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise _refuse_sheet(path, f"not a readable Parquet file ({exc})") from exc
    problems = []
    columns = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            try:
                col.validate(full=True)
            except pa.ArrowInvalid:
                col = col.cast(pa.binary() if pa.types.is_string(col.type) else pa.large_binary())
                for i, v in enumerate(col.to_pylist()):
                    if v is not None and not _is_utf8(v):
                        problems.append(Problem(path.name, path.stem, i + 2, str(name), v[:40],
                                                "the text is not valid UTF-8; write the file again "
                                                "from text columns"))
                        if len(problems) >= 20:
                            break
                continue
        columns.append((name, col))
    if problems:
        raise InputError(problems)
    df = pa.table(dict(columns)).to_pandas() if columns else pd.DataFrame()
    return RawSheet(path.name, path.stem, [list(df.columns), *df.to_numpy().tolist()])


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------- writing


#: A file in every folder the tool creates to publish into (staging and version folders); a
#: folder without it is never replaced or deleted.
MARKER = ".fundanalysis-owned"


_PLAIN_CAUSES = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                 errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
                 errno.EPERM: "permission denied"}


def storage_error(path: Path, exc: OSError, doing: str = "writing") -> StorageError:
    """A :class:`StorageError` naming the path and the cause in plain words."""
    why = _PLAIN_CAUSES.get(exc.errno or 0, exc.strerror or str(exc))
    return StorageError(f"cannot finish {doing} {path}: {why}")


def plain_cause(text: str) -> str:
    """An OS error message with its cause put in plain words (``[Errno 28] No space …`` → disk full)."""
    for code, words in _PLAIN_CAUSES.items():
        if os.strerror(code) in text:
            return words
    return text


@contextlib.contextmanager
def writing(path: Path, doing: str = "writing") -> Iterator[None]:
    """Turn an OSError raised inside the block into a :class:`StorageError` about ``path``."""
    try:
        yield
    except StorageError:
        raise
    except (TimeoutError, ConnectionError):
        raise  # OSError subclasses that are not about the disk (a cell or kernel timing out)
    except OSError as exc:
        if exc.errno is None:
            raise
        raise storage_error(Path(path), exc, doing) from exc


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A fresh folder beside ``final`` to build into; removed if the build fails."""
    final = Path(final)
    with writing(final.parent, "creating"):
        final.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_staging(final.parent, final.name)
    try:
        yield tmp
    except BaseException:
        remove_owned(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_staging(parent: Path, name: str) -> Path:
    """A fresh staging folder in ``parent``, readable as the umask allows (mkdtemp makes 0700)."""
    with writing(parent, "creating a staging folder in"):
        tmp = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=parent))
        try:
            os.chmod(tmp, 0o777 & ~_umask())
            _mark(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return tmp


def _mark(folder: Path) -> None:
    (folder / MARKER).write_text(f"created by fundanalysis (pid {os.getpid()}); "
                                 "the tool may replace or delete this folder\n", encoding="utf-8")


def is_owned(folder: Path) -> bool:
    """True for a real folder (not a link) that the tool created to publish into."""
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def remove_owned(folder: Path) -> None:
    """Delete a folder the tool created (marker inside, not a link); anything else is left alone."""
    if not is_owned(folder):
        return
    for _ in range(3):  # a process stopped a moment ago may still be closing a file in it
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.2)


def stale_staging(parent: Path, name: str) -> list[Path]:
    """Staging folders of ``name`` left in ``parent`` by a build that was killed (tool-made only)."""
    if not Path(parent).is_dir():
        return []
    return [p for p in Path(parent).glob(f".staging-{name}-*") if is_owned(p)]


def _versions_dir(final: Path) -> Path:
    """The folder holding the published versions beside ``final``; refused if it is not the tool's."""
    versions = final.parent / ".versions"
    if versions.is_symlink() or (versions.exists() and not versions.is_dir()):
        raise StorageError(f"{versions} is not a folder fundanalysis created (it is a link or a file); "
                           "refusing to publish there. Move it away, or choose another output folder")
    return versions


def _owned_link_target(final: Path) -> Path | None:
    """The version folder an existing ``final`` link points to, if the tool made that link.

    A tool-made link is relative, names ``.versions/<final name>-…`` beside it and points to a
    real folder there; anything else (a link the user made, a real folder, a file) is not the
    tool's and is never replaced.
    """
    if not final.is_symlink():
        return None
    text = os.readlink(final)
    if not re.fullmatch(rf"\.versions/{re.escape(final.name)}-[^/]+", text):
        return None
    target = final.parent / text
    return target if target.is_dir() and not target.is_symlink() else None


def check_publishable(final: Path) -> None:
    """Raise :class:`StorageError` if ``final`` exists and is not a link the tool made.

    Called before a build starts, so that nothing is executed or written when the place the
    build would publish to holds something else: a link to another folder, a real folder with
    somebody's files, a file.
    """
    final = Path(final)
    _versions_dir(final)
    if not final.exists() and not final.is_symlink():
        return
    if _owned_link_target(final) is not None:
        return
    if final.is_symlink():
        what = f"a symbolic link to {os.readlink(final)} that fundanalysis did not create"
    elif final.is_dir():
        what = "a folder fundanalysis did not create (it may hold your own files)"
    else:
        what = "a file fundanalysis did not create"
    raise StorageError(f"{final} is {what}; refusing to replace it (nothing was changed). Move it "
                       "elsewhere, or choose another output folder")


def publish_dir(staged: Path, final: Path) -> Path:
    """Publish a staged folder as ``final`` with one atomic step.

    ``final`` is a symlink to a versioned folder; it is swapped with ``os.replace``,
    so a reader (or a ``kill -9``) sees either the old tree or the new one, never a mix.
    Only a link the tool made is replaced and only version folders it made are deleted; a
    link is never followed to delete (see :func:`check_publishable`).
    """
    staged, final = Path(staged), Path(final)
    check_publishable(final)
    versions = _versions_dir(final)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    target = versions / f"{final.name}-{stamp}"
    with writing(final, "publishing"):
        if not versions.exists():
            versions.mkdir(parents=True)
            _mark(versions)
        os.replace(staged, target)
        old = _owned_link_target(final)
        link_tmp = final.parent / f".link-{final.name}-{stamp}"
        os.symlink(os.path.relpath(target, final.parent), link_tmp)
        os.replace(link_tmp, final)
    for leftover in versions.glob(f"{glob_escape(final.name)}-*"):
        # the previous version and any left by a publish that was killed half-way
        if leftover.resolve() != target.resolve() and leftover.is_dir() and not leftover.is_symlink():
            if leftover == old or is_owned(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
    return target


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def write_tables(tables: Mapping[str, pd.DataFrame], dest: Path) -> None:
    """Write processed tables as CSV (UTF-8 with BOM, for Excel) and Parquet into ``dest``.

    The CSV is for people, who open it in a spreadsheet program: text cells that begin with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading apostrophe
    (:func:`fundanalysis.exports.neutralise_formulas`), so they show as text instead of running
    as formulas; numbers, negative ones included, stay numbers. The Parquet is for machines and
    keeps every value exactly as processed.
    """
    dest = Path(dest)
    with writing(dest):
        dest.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            neutralise_formulas(df).to_csv(dest / f"{name}.csv", index=False, encoding="utf-8-sig")
            df.to_parquet(dest / f"{name}.parquet", index=False)


def content_digest(files: Sequence[Path], salt: str = "") -> str:
    """SHA-256 of the names and bytes of ``files`` (in the order given): the one staleness rule.

    Processed tables, summaries and published reports are current when the digest of what
    they were made from is unchanged; file times play no part (``cp -p``, unzip and ``git
    checkout`` set them freely).
    """
    import hashlib

    h = hashlib.sha256(salt.encode())
    for f in files:
        h.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of the library's own code: a change to it makes every derived file stale."""
    from fundanalysis import __version__

    return content_digest(sorted(config.PACKAGE_DIR.rglob("*.py")), __version__)


def input_digest(data_dir: Path, year: int) -> str:
    """Digest of a year's raw input files and the library code that reads them."""
    return content_digest(input_files(data_dir, year), code_digest())


#: Written beside processed tables: the input digest they were made from.
MADE_FROM = "made-from.json"


def processed_is_current(data_dir: Path, year: int) -> bool:
    """True if ``processed/<year>`` was made from exactly the current raw input and code."""
    try:
        recorded = json.loads((processed_dir(data_dir, year) / MADE_FROM).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and recorded.get("input_digest") == input_digest(data_dir, year)


def parquet_digests(src: Path) -> dict[str, str]:
    """SHA-256 of every Parquet file in a folder, by file name."""
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(src).glob("*.parquet"))}


def read_tables(src: Path) -> dict[str, pd.DataFrame]:
    """Read processed tables back from their Parquet files."""
    return {p.stem: pd.read_parquet(p) for p in sorted(Path(src).glob("*.parquet"))}


def write_text(path: Path, text: str) -> None:
    """Write a text file (UTF-8) atomically: temp file, then rename."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (temp file, then rename); it follows the umask.

    On failure (disk full, read-only) the temp file is removed and a :class:`StorageError`
    names the path; the file's previous content, if any, is untouched.
    """
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; published files follow the umask
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
