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
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import pandas as pd
from defusedxml import ElementTree as SafeET

from fundanalysis import config
from fundanalysis.errors import InputError, Problem
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
            with path.open("rb") as fp:
                for info in infos:
                    _scan_part(path, zf, fp, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, struct.error,
            zlib.error) as exc:
        raise _refuse(path, f"the workbook is truncated or damaged ({exc})") from exc


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


def _scan_part(path: Path, zf: zipfile.ZipFile, fp: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Stream one part: real size within the declared one, CRC, no DTD before the root element."""
    crc, got = 0, 0
    prolog = _PrologScan()
    for chunk in _part_chunks(fp, info):
        got += len(chunk)
        if got > info.file_size:
            raise _refuse(path, f"a part decompresses to more than the {info.file_size} bytes "
                          "it declares; refusing it (zip bomb or damaged file)", info.filename)
        crc = zlib.crc32(chunk, crc)
        prolog.feed(chunk)
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


def _unreadable_cells(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Cells a reader would see as empty although they are not: ``{"C3": (value, reason)}``.

    These are formulas without a cached value (openpyxl and other writers that do not
    calculate save them so) and Excel error values such as ``#REF!``. Streamed with
    defusedxml's iterparse, so a large sheet does not sit in memory. An empty ``<v/>`` is a
    cached value only for a text result (``t="str"``).
    """
    found: dict[str, tuple[str, str]] = {}
    if part not in zf.namelist() or not _may_hold_unreadable_cells(zf, part):
        return found
    cell, row = f"{{{_NS['m']}}}c", f"{{{_NS['m']}}}row"
    with zf.open(part) as fh:
        for _, el in SafeET.iterparse(fh, events=("end",)):
            if el.tag == cell:
                issue = _cell_issue(el)
                if issue is not None:
                    found[el.get("r", "?")] = issue
                el.clear()
            elif el.tag == row:
                el.clear()
    return found


_MARKERS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/", b't="e"')


def _may_hold_unreadable_cells(zf: zipfile.ZipFile, part: str) -> bool:
    """Fast scan (no XML parsing) for a formula element or an error-typed cell in a part."""
    tail = b""
    with zf.open(part) as fh:
        while chunk := fh.read(1 << 20):
            window = tail + chunk
            if any(m in window for m in _MARKERS):
                return True
            tail = chunk[-16:]
    return False


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
    """Read all sheets of an xlsx workbook after the container checks."""
    path = Path(path)
    check_workbook_container(path)
    bad_cells = _read_bad_cells(path)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        out = {}
        for name in wb.sheet_names:
            sh = wb.get_sheet_by_name(name)
            rows = sh.to_python(skip_empty_area=False)
            out[name] = RawSheet(path.name, name, rows, _merged_ranges(sh),
                                 bad_cells.get(name, {}))
        return out
    except Exception as exc:  # calamine raises its own error types
        raise _refuse(path, f"the workbook could not be read ({exc})") from exc


def _read_bad_cells(path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """Cells read as empty although they are not (see :func:`_unreadable_cells`), per sheet."""
    try:
        with zipfile.ZipFile(path) as zf:
            return {n: _unreadable_cells(zf, p) for n, p in _sheet_xml_paths(zf).items()}
    except (KeyError, SafeET.ParseError) as exc:
        raise _refuse(path, f"the workbook's XML is damaged ({exc})") from exc
    except Exception as exc:  # defusedxml raises its own classes for DTD/entities
        raise _refuse(path, f"the workbook's XML was refused ({exc})") from exc


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
    tmp = make_staging(final.parent, final.name)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_staging(parent: Path, name: str) -> Path:
    """A fresh staging folder in ``parent``, readable as the umask allows (mkdtemp makes 0700)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=parent))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


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
    """Write processed tables as CSV (UTF-8 with BOM, for Excel) and Parquet into ``dest``.

    The CSV is for people, who open it in a spreadsheet program: text cells that begin with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading apostrophe
    (:func:`fundanalysis.exports.neutralise_formulas`), so they show as text instead of running
    as formulas; numbers, negative ones included, stay numbers. The Parquet is for machines and
    keeps every value exactly as processed.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        neutralise_formulas(df).to_csv(dest / f"{name}.csv", index=False, encoding="utf-8-sig")
        df.to_parquet(dest / f"{name}.parquet", index=False)


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
    """Write a file atomically (temp file, then rename); it follows the umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; published files follow the umask
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
