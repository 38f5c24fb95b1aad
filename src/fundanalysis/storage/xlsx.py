"""Workbooks: the container guard (before any XML is parsed) and reading with python-calamine.

Checks, before parsing: not a zip, truncated, old .xls, encrypted, real decompressed size streamed
against a limit, a DTD anywhere before the root element of any part, the grid each sheet would
allocate and the shared strings declared. Cells calamine would read as empty although they are
not (formulas without cached values, error values), number formats that show a unit, and hidden
rows and columns are found with a streaming defusedxml parse.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from defusedxml import ElementTree as SafeET

from fundanalysis import config
from fundanalysis.storage.guard import _refuse, check_memory, read_bounded
from fundanalysis.storage.rawsheet import NumberFormat, RawSheet

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}

#: Parts in an xlsx zip; a workbook has a few dozen, so many more is not a workbook.
MAX_ZIP_ENTRIES = 10_000
_CHUNK = 1 << 20
#: The styles part, scanned first (its number formats say which cells a sheet scan looks for).
_STYLES = "xl/styles.xml"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Bytes at the end of a zip that hold its end-of-directory record (22 + longest comment).
_EOCD_SEARCH = 22 + 0xFFFF
#: Zip parts that must be XML (checked to start like XML in UTF-8 or UTF-16).
_XML_SUFFIXES = (".xml", ".rels")
#: Spreadsheet files left in a year folder that the tool does not read.


@dataclass
class ContainerScan:
    """What the container check learned on its way through the parts.

    ``styles``: the cell styles whose number format shows a unit or scale (parsed from
    ``xl/styles.xml`` once that part itself passed the checks); ``marked``: the worksheet parts
    holding a formula, an error value, a hidden row or column, or a cell in one of those styles
    (the others need no XML pass); ``probed``: the worksheet parts searched for those markers.
    """

    styles: dict[str, NumberFormat] = field(default_factory=dict)
    marked: set[str] = field(default_factory=set)
    probed: set[str] = field(default_factory=set)


def check_workbook_container(path: Path, data: bytes | None = None, styles: bool = True) -> ContainerScan:
    """Reject a file that is not a sane xlsx before any of its XML is parsed.

    ``data`` is the file's bytes as read once (:func:`read_snapshot`); without it the file is read
    here (within the size limit), so every check below sees one version of the file.

    Checks, in order: size on disk, file kind (old .xls, truncated zip, not a zip), the zip
    directory (entry count, encryption, compression method, declared sizes and ratio), then
    every part streamed in small chunks, without trusting the sizes the zip declares: its real
    decompressed size and CRC, and a DTD (``<!DOCTYPE``) anywhere before the root element.
    Memory stays at about one chunk whatever the file claims. The styles part is checked first
    and then parsed (defusedxml, bounded by its checked size), so that the same pass over each
    worksheet also says whether it needs :func:`_scan_sheet_xml` (one decompression, not two).
    ``styles=False`` leaves the styles unparsed and the worksheets unsearched (every check above is
    still made): for a reader of values alone (:func:`read_workbook_values`).
    """
    path = Path(path)
    data = read_snapshot(path) if data is None else data
    size = len(data)
    _check_file_kind(path, data)
    scan = ContainerScan()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            _check_directory(path, infos, size)
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise _refuse(path, "not an Excel workbook (a zip file, but no xl/workbook.xml)")
            cells = 0
            markers: list[bytes] | None = None
            with io.BytesIO(data) as fp:
                for info in sorted(infos, key=lambda i: i.filename != _STYLES):  # styles first
                    if styles and markers is None and info.filename != _STYLES:
                        scan.styles = _parsed_styles(path, zf)
                        markers = _extras_markers(scan.styles)
                    cells += _scan_part(path, zf, fp, info, markers, scan)
            check_memory(path.name, cells * config.BYTES_PER_CELL, "reading the workbook")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, struct.error,
            zlib.error) as exc:
        raise _refuse(path, f"the workbook is truncated or damaged ({exc})") from exc
    return scan


def _parsed_styles(path: Path, zf: zipfile.ZipFile) -> dict[str, NumberFormat]:
    """:func:`_unit_styles`, with a damaged or refused styles part as a located error."""
    with _xml_refused(path):
        return _unit_styles(zf)


@contextlib.contextmanager
def _xml_refused(path: Path) -> Iterator[None]:
    """Parsing the workbook's XML: a damaged or refused part becomes the workbook's refusal."""
    try:
        yield
    except (KeyError, SafeET.ParseError) as exc:
        raise _refuse(path, f"the workbook's XML is damaged ({exc})") from exc
    except Exception as exc:  # defusedxml raises its own classes for DTD/entities
        raise _refuse(path, f"the workbook's XML was refused ({exc})") from exc


def read_snapshot(path: Path) -> bytes:
    """A workbook's bytes, read once (the one version every parse works on); an empty or
    oversized file is refused before anything is read."""
    return read_bounded(path, config.MAX_WORKBOOK_BYTES, _check_size)


def _check_size(path: Path, size: int) -> None:
    """Refuse an empty or oversized workbook by its size."""
    if size == 0:
        raise _refuse(path, "the file is empty")
    if size > config.MAX_WORKBOOK_BYTES:
        raise _refuse(path, f"the file is larger than {config.MAX_WORKBOOK_BYTES} bytes", size)


def _check_file_kind(path: Path, data: bytes) -> None:
    """Refuse empty, oversized, old-format, truncated and non-zip files by their bytes."""
    size = len(data)
    _check_size(path, size)
    head = data[:8]
    tail = data[max(0, size - _EOCD_SEARCH):]
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


def _scan_part(path: Path, zf: zipfile.ZipFile, fp: BinaryIO, info: zipfile.ZipInfo,
               markers: list[bytes] | None = None, scan: ContainerScan | None = None) -> int:
    """Stream one part: real size within the declared one, CRC, no DTD before the root element.

    Worksheets are also measured (the grid their reader would allocate) and the shared-strings
    table's declared count is checked, since either can make the reader allocate without bound;
    given ``markers`` and ``scan``, a worksheet is searched for them too (noted in ``scan``).
    Returns the cells of the worksheet's grid (0 for other parts).
    """
    crc, got = 0, 0
    prolog = _PrologScan()
    name = info.filename.lower()
    grid = _GridScan() if name.startswith("xl/worksheets/") and name.endswith(".xml") else None
    sst = _SstScan() if name == "xl/sharedstrings.xml" else None
    probe = _MarkerScan(markers) if grid is not None and markers and scan is not None else None
    for chunk in _part_chunks(fp, info):
        got += len(chunk)
        if got > info.file_size:
            raise _refuse(path, f"a part decompresses to more than the {info.file_size} bytes "
                          "it declares; refusing it (zip bomb or damaged file)", info.filename)
        crc = zlib.crc32(chunk, crc)
        prolog.feed(chunk)
        if grid is not None:
            grid.feed(chunk)
        if probe is not None:
            probe.feed(chunk)
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
    if probe is not None and scan is not None:
        scan.probed.add(info.filename)
        if probe.found or (grid is not None and grid.unusual):
            scan.marked.add(info.filename)
    return _check_grid(path, zf, info, grid) if grid is not None else 0


class _GridScan:
    """Finds the last row and column a worksheet's cells reach, streaming, without parsing XML.

    A reader allocates the whole rectangle from A1 to the farthest cell, so one stray cell at
    XFD1048576 in a 15 KB file would ask for 17 billion cells. Every ``r`` attribute is looked
    at as python-calamine reads it: after white space (or a quote), with white space around
    ``=``, in single or double quotes, letters of either case and any number of letters and
    digits (``r="a99999999"`` is row 99,999,999 to it). A value of letters and digits is a cell
    (wherever it stands: text that looks like one counts, which errs on the safe side); digits
    alone are a row's number, counted when the element is a row (``<row>``, ``<x:row>``).
    """

    #: An ``r`` attribute as python-calamine reads it.
    _ATTR = re.compile(rb'(?<=[ \t\r\n"\'])r[ \t\r\n]*=[ \t\r\n]*(["\'])([A-Za-z]*)([0-9]+)\1')
    #: Bytes kept from the previous chunk: a reference or row tag split by a chunk edge is whole
    #: in the next window.
    _KEEP = 256

    def __init__(self) -> None:
        self.max_row = 0
        self.columns = 0
        self.cells = 0
        #: whether some attribute is written in a way Excel, LibreOffice and openpyxl never write
        #: (single quotes, white space around ``=``): then the marker search, which looks for the
        #: usual spelling, cannot say the sheet holds nothing to parse
        self.unusual = False
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        """Scan the next bytes (the last bytes of the previous chunk are scanned again)."""
        buf = self._tail + chunk
        self.cells += self._cell_tags(buf, len(self._tail))
        cols, rows, row_attrs = self._attributes(buf)
        self.unusual = self.unusual or _UNUSUAL_ATTRIBUTES.search(buf) is not None
        self.columns = max(self.columns, cols)
        top = max(self.max_row, rows)
        for pos, number in row_attrs:  # a row's own number below its cells: is it a row's?
            if number > top and self._in_row_tag(buf, pos):
                top = number
        self.max_row = top
        self._tail = buf[-self._KEEP:]

    @staticmethod
    def _cell_tags(buf: bytes, start: int) -> int:
        """Cell elements (``<c …>``, ``<c/>``, ``<x:c …>``) whose ``c`` is at ``start - 1`` or later:
        a reader gives a cell without a reference the next position, so their number bounds the
        grid too. (The byte before ``start`` was the previous window's last, uncounted there.)"""
        import numpy as np

        a = np.frombuffer(buf, dtype=np.uint8)
        c = np.flatnonzero(a[:-1] == 99)
        c = c[c >= max(start - 1, 1)]
        return int(np.count_nonzero(((a[c - 1] == 60) | (a[c - 1] == 58))
                                    & np.isin(a[c + 1], np.array([32, 9, 13, 10, 62, 47], dtype=np.uint8))))

    @property
    def max_col(self) -> str:
        """The farthest column's letters ("" when no cell has a reference)."""
        out, n = "", self.columns
        while n > 0:
            n, rem = divmod(n - 1, 26)
            out = chr(65 + rem) + out
        return out

    @staticmethod
    def _in_row_tag(buf: bytes, pos: int) -> bool:
        """Whether the attribute at ``pos`` stands in a ``<row>`` tag (any prefix)."""
        lt = buf.rfind(b"<", 0, pos)
        if lt < 0 or buf.rfind(b">", lt, pos) >= 0:
            return False
        name = re.match(rb"[^ \t\r\n/>]*", buf[lt + 1:pos]).group()  # type: ignore[union-attr]
        return name == b"row" or name.endswith(b":row")

    @classmethod
    def _attributes(cls, buf: bytes) -> tuple[int, int, list[tuple[int, int]]]:
        """(farthest column, farthest cell row, [(position, number) of digit-only values])."""
        cols = rows = 0
        row_attrs: list[tuple[int, int]] = []
        for m in cls._ATTR.finditer(buf):
            letters, digits = m.group(2), int(m.group(3))
            if not letters:
                row_attrs.append((m.start(), digits))
                continue
            col = 0
            for ch in letters.upper():
                col = col * 26 + ch - 64
            cols, rows = max(cols, col), max(rows, digits)
        return cols, rows, row_attrs


class _MarkerScan:
    """Streams a part and says whether any of ``markers`` occurs in it (no XML parsing): the
    short probes every marker starts with are searched first, the markers only where one is."""

    def __init__(self, markers: list[bytes]) -> None:
        self.markers = markers
        self.probes = sorted({next((p for p in _PROBES if m.startswith(p)), m) for m in markers})
        self.found = False
        self._keep = max(len(m) for m in markers)
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        """Search the next bytes (with the previous chunk's last bytes, for split markers)."""
        if self.found:
            return
        window = self._tail + chunk
        # "f" alone is one memchr; most chunks of a sheet hold none, so the formula probes are skipped
        probes = self.probes if b"f" in window else [p for p in self.probes if b"f" not in p]
        if any(p in window for p in probes) and any(m in window for m in self.markers):
            self.found = True
        self._tail = window[-self._keep:]


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


def read_workbook(path: Path, data: bytes | None = None) -> dict[str, RawSheet]:
    """Read all sheets of an xlsx workbook after the container checks.

    ``data`` is the file's bytes as read once (else they are read here): values, number formats
    and the extras below all come from those bytes, never from a second read of a file that may
    have been saved in between. Besides the cell values, each sheet carries what a reader of values
    alone would miss: cells read as empty although they are not, number formats that show a unit or
    scale, hidden rows, hidden columns and whether the sheet itself is hidden.
    """
    path = Path(path)
    data = read_snapshot(path) if data is None else data
    scan = check_workbook_container(path, data)
    extras = _sheet_extras(path, scan, data)
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
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


def read_workbook_values(path: Path, data: bytes | None = None) -> list[tuple[str, list[list[Any]]]]:
    """The cell values of a workbook's visible sheets, as ``(name, rows)``, after the container checks.

    For a reader that needs what the cells hold and nothing else (the filed forms of a review):
    the container is checked as :func:`read_workbook` checks it, but number formats, hidden rows
    and columns and the cells read as empty are not looked for, which halves the time of a small
    workbook.
    """
    path = Path(path)
    data = read_snapshot(path) if data is None else data
    check_workbook_container(path, data, styles=False)
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [(m.name, wb.get_sheet_by_name(m.name).to_python(skip_empty_area=False))
                for m in wb.sheets_metadata if m.visible == SheetVisibleEnum.Visible]
    except Exception as exc:  # calamine raises its own error types
        raise _refuse(path, f"the workbook could not be read ({exc})") from exc


@dataclass
class _SheetExtras:
    bad_cells: dict[str, tuple[str, str]] = field(default_factory=dict)
    formats: dict[str, NumberFormat] = field(default_factory=dict)
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)


def _sheet_extras(path: Path, scan: ContainerScan | None = None,
                  data: bytes | None = None) -> dict[str, _SheetExtras]:
    """Per sheet: unreadable cells, unit-bearing number formats, hidden rows and columns.

    ``scan`` (from :func:`check_workbook_container`) gives the styles and which worksheet parts
    hold a marker; a part it did not search is searched here.
    """
    data = read_snapshot(path) if data is None else data
    with _xml_refused(path), zipfile.ZipFile(io.BytesIO(data)) as zf:
        styles = scan.styles if scan is not None else _unit_styles(zf)
        return {n: _scan_sheet_xml(zf, p, styles, scan) for n, p in _sheet_xml_paths(zf).items()}


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


def _extras_markers(styles: dict[str, NumberFormat]) -> list[bytes]:
    """Bytes whose presence in a sheet's XML calls for :func:`_scan_sheet_xml`'s parse."""
    return [*_MARKERS, b'hidden="1"', b'hidden="true"', *(f' s="{k}"'.encode() for k in styles)]


def _scan_sheet_xml(zf: zipfile.ZipFile, part: str, styles: dict[str, NumberFormat],
                    scan: ContainerScan | None = None) -> _SheetExtras:
    """One streamed pass over a sheet's XML for what cell values alone do not say.

    Skipped (a fast byte scan says so: the container check's, else one here) when the sheet has
    no formula, error value, hidden row or column, or number cell in a unit-bearing style.
    """
    found = _SheetExtras()
    if part not in zf.namelist():
        return found
    if scan is not None and part in scan.probed:
        if part not in scan.marked:
            return found
    elif not _contains_any(zf, part, _extras_markers(styles)):
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


#: Shorter byte strings that every marker starting with them contains: a part is searched for
#: these (one pass each), and for the markers themselves only where one is found.
_PROBES = (b"<f", b":f", b"hidden=")


def _contains_any(zf: zipfile.ZipFile, part: str, markers: list[bytes]) -> bool:
    """Fast scan (no XML parsing) for any of ``markers`` in a part, or for attributes written
    unusually, which the markers would miss (noticed as the container check notices them)."""
    probe, grid = _MarkerScan(markers), _GridScan()
    with zf.open(part) as fh:
        while not (probe.found or grid.unusual) and (chunk := fh.read(1 << 20)):
            probe.feed(chunk)
            grid.feed(chunk)
    return probe.found or grid.unusual


#: An attribute written as Excel, LibreOffice and openpyxl never write one: in single quotes, or
#: with white space around ``=`` (XML allows both). The markers (``t="e"``, ``hidden="1"``,
#: `` s="3"``) are searched as those tools write them; a sheet holding such an attribute is parsed.
_UNUSUAL_ATTRIBUTES = re.compile(rb"[ \t\r\n]=|=[ \t\r\n]|='")
