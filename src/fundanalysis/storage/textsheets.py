"""CSV and Parquet sheets: one sheet per file, named after the file.

A long CSV or Parquet sheet (a recipient list of a million rows) stays in columns: it is read
with Arrow into a :class:`ColumnarSheet`, whose cells below the header are Arrow-backed text (or
the Parquet column's own type), never a grid of Python values; cleaning and validation work on
the columns. A CSV is read this way only when nothing in it needs the line-by-line reader's care
(see :func:`_csv_columns`): otherwise, and for short files, it is read line by line as before,
so every problem is still located by its line.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis import config
from fundanalysis.errors import InputError, Problem
from fundanalysis.storage.guard import _refuse_sheet, check_memory, read_bounded
from fundanalysis.storage.rawsheet import RawSheet

_SAVE_AS_UTF8 = ("in Excel choose 文件 → 另存为 → 'CSV UTF-8（逗号分隔）(*.csv)', or save it as .xlsx")
#: CSV files at least this large are read in columns when they can be (smaller ones gain nothing).
COLUMNAR_MIN_BYTES = 1 << 20
#: Rows of a columnar sheet kept as Python values in ``rows`` (the header and the first data rows:
#: enough to find the header row).
HEAD_ROWS = 10
#: Memory a columnar CSV read needs, per byte of file (the file, its Arrow columns, their cleaning).
COLUMNAR_BYTES_PER_BYTE = 4


@dataclass
class ColumnarSheet(RawSheet):
    """A sheet read column by column (CSV, Parquet).

    ``rows`` holds only the header row and the first data rows; ``frame`` holds every row below
    the header, one column per position (0, 1, …), Arrow-backed text or the column's own type.
    ``row_numbers`` as for :class:`RawSheet` (None: row i of the grid is line or row i + 1).
    """

    frame: pd.DataFrame = field(default_factory=pd.DataFrame)


def read_csv_sheet(path: Path, data: bytes | None = None) -> RawSheet:
    """Read a CSV file as one sheet named after the file; all cells stay text.

    The encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM, GB18030 — what
    Chinese Excel writes as "CSV") and said in a note when it is not UTF-8. Parsing is strict:
    a stray quote is a located error, never rows merged into one cell. Rows keep the line
    they start on, blank lines included, so problems name the real line. ``data`` is the file's
    bytes as read once (:func:`read_csv_snapshot`); without it the file is read here.
    """
    path = Path(path)
    data = read_csv_snapshot(path) if data is None else data
    size = len(data)
    columnar = size >= COLUMNAR_MIN_BYTES
    check_memory(path.name, size * (COLUMNAR_BYTES_PER_BYTE if columnar else 12), "reading the CSV file",
                 path.stem)
    if columnar:
        sheet = _csv_columns(path, data)
        if sheet is not None:
            return sheet
        check_memory(path.name, size * 12, "reading the CSV file", path.stem)  # line by line needs more
    text, note = _decode_csv(path, data)
    rows, lines = _parse_csv(path, text)
    width = max((len(r) for r in rows), default=0)
    if len(rows) > config.MAX_SHEET_ROWS or width > config.MAX_SHEET_COLUMNS:
        raise _refuse_sheet(path, f"the CSV file has {len(rows)} rows and {width} columns, beyond the "
                            f"limits ({config.MAX_SHEET_ROWS} rows, {config.MAX_SHEET_COLUMNS} columns)")
    return RawSheet(path.name, path.stem, rows, row_numbers=lines, row_kind="line",
                    notes=[note] if note else [])


def read_csv_snapshot(path: Path) -> bytes:
    """A CSV file's bytes, read once; a file beyond the size limit is refused before it is read."""
    return read_bounded(path, config.MAX_CSV_BYTES, _check_csv_size)


def _check_csv_size(path: Path, size: int) -> None:
    if size > config.MAX_CSV_BYTES:
        raise _refuse_sheet(path, f"the CSV file is larger than the limit of {config.MAX_CSV_BYTES} bytes",
                            size)


def read_parquet_snapshot(path: Path) -> bytes:
    """A Parquet file's bytes, read once; a file beyond the size limit is refused before it is read."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > config.MAX_PARQUET_BYTES:
            raise _refuse_sheet(path, f"the Parquet file is larger than the limit of "
                                f"{config.MAX_PARQUET_BYTES} bytes", size)
        return fh.read(config.MAX_PARQUET_BYTES + 1)


def _refuse_nul(path: Path, data: bytes) -> None:
    """A file with NUL bytes near its start (and no UTF-16 byte-order mark) is not CSV text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    if data[:4096].count(b"\x00") > len(data[:4096]) // 10:
        raise _refuse_sheet(path, "the file holds NUL bytes: it is not a text (CSV) file, or it is "
                            f"UTF-16 without a byte-order mark; {_SAVE_AS_UTF8}")


#: A CSV line whose every field is either unquoted (no quote in it) or quoted, with quotes inside
#: doubled: the lines Arrow's reader and Python's strict csv module read alike.
_FIELD = rb'(?:"(?:[^"\r\n]|"")*"|[^",\r\n]*)'
_PLAIN_QUOTED_LINE = re.compile(rb"%s(?:,%s)*\r?" % (_FIELD, _FIELD))
_LINE_WITH_QUOTE = re.compile(rb'^[^\n]*"[^\n]*$', re.M)


def _csv_columns(path: Path, data: bytes | None = None) -> ColumnarSheet | None:
    """The CSV read in columns with Arrow, or None when the line-by-line reader must read it.

    That is: a UTF-16 file, text that is not UTF-8 (GB18030: Arrow checks every cell), a blank
    line between rows or a lone carriage return (the line numbers must count them), a line whose
    quotes are not plain CSV quoting (a stray quote, a cell running over lines: those need the
    located error), rows of different lengths. In the file read here, grid row i is line i + 1.
    The checks scan the bytes read once (``data``; read here when not given).
    """
    data = read_csv_snapshot(path) if data is None else data
    _refuse_nul(path, data[:4096])
    width = _plain_csv_width(data)
    repeating = _repeating_csv_columns(data) if width is not None else set()
    if width is None:
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # a column that repeats its values (categories, levels, sources, amounts) is read as a
    # dictionary: each distinct text is stored, and later cleaned and parsed, once
    types = {f"f{i}": pa.dictionary(pa.int32(), pa.string()) if i in repeating else pa.string()
             for i in range(width)}

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),  # a UTF-8 byte-order mark is skipped
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=True,
                                           block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types=types,
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 null_values=[], check_utf8=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, ValueError):
        return None
    if table.num_columns != width or table.num_rows == 0:
        return None
    if table.num_rows > config.MAX_SHEET_ROWS or width > config.MAX_SHEET_COLUMNS:
        raise _refuse_sheet(path, f"the CSV file has {table.num_rows} rows and {width} columns, beyond the "
                            f"limits ({config.MAX_SHEET_ROWS} rows, {config.MAX_SHEET_COLUMNS} columns)")
    return _columnar(path, table, [f"f{i}" for i in range(width)], header_in_data=True, kind="line")


def _plain_csv_width(data: Any) -> int | None:
    """The number of fields of a CSV whose lines are all plain (see :func:`_csv_columns`), else None."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return None
    start = len(codecs.BOM_UTF8) if data[:3] == codecs.BOM_UTF8 else 0
    end = len(data)
    while end > start and data[end - 1] in b"\r\n":  # trailing line ends
        end -= 1
    if end == start or data[start] in b"\r\n" or not _line_breaks_plain(data, start, end):
        return None  # a blank line, or a line ending with a carriage return alone
    if data.find(b'"', start, end) >= 0 and not all(_PLAIN_QUOTED_LINE.fullmatch(m.group())
                                                     for m in _LINE_WITH_QUOTE.finditer(data, start, end)):
        return None
    eol = data.find(b"\n", start, end)
    try:
        import csv

        first_line = bytes(data[start:end if eol < 0 else eol]).decode("utf-8").rstrip("\r")
        return len(next(csv.reader([first_line], strict=True)))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None


#: Bytes of a CSV looked at at once by :func:`_line_breaks_plain`.
_BREAK_CHUNK = 1 << 24


def _line_breaks_plain(data: Any, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` has no blank line (``\\n\\n``, ``\\n\\r\\n``) and no carriage return
    that does not end a line (``\\r`` not before ``\\n``).

    Found from the positions of the line feeds and carriage returns (numpy, a chunk at a time,
    on the file mapped in memory): searching the bytes for two-byte patterns takes several times
    longer where every line has one of them.
    """
    import numpy as np

    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        for lo in range(start, end, _BREAK_CHUNK):
            hi = min(lo + _BREAK_CHUNK + 2, end)  # two bytes more: a pattern across the edge is seen
            c = buf[lo:hi]
            last = hi == end
            lf = np.flatnonzero(c == 10) + 1  # the byte after each line feed
            lf = lf[lf < len(c)]
            after = c[lf]
            if (after == 10).any():
                return False
            cr_next = lf[after == 13] + 1
            if (c[cr_next[cr_next < len(c)]] == 10).any():
                return False
            cr = np.flatnonzero(c == 13) + 1  # the byte after each carriage return
            if len(cr) and cr[-1] >= len(c) and last:
                return False  # the text ends with a carriage return alone
            if (c[cr[cr < len(c)]] != 10).any():
                return False
        return True
    finally:
        del buf  # the mapped file can close only when no array looks at it


#: Bytes at the start of a CSV looked at to tell which columns repeat their values.
SAMPLE_BYTES = 1 << 18


def _repeating_csv_columns(data: Any) -> set[int]:
    """The columns whose values repeat in the CSV's first rows (fewer distinct values than half)."""
    import csv

    head = bytes(data[:SAMPLE_BYTES])
    head = head[:head.rfind(b"\n") + 1] if len(data) > SAMPLE_BYTES else head
    try:
        rows = list(csv.reader(StringIO(head.decode("utf-8-sig", errors="replace"), newline="")))[1:]
    except csv.Error:
        return set()
    if len(rows) < 50:
        return set()
    width = max(len(r) for r in rows)
    return {i for i in range(width) if len({r[i] for r in rows if i < len(r)}) < len(rows) // 2}


def _columnar(path: Path, table: Any, names: list[str], header_in_data: bool, kind: str = "row") -> ColumnarSheet:
    """A :class:`ColumnarSheet` from an Arrow table (its first row the header, or its column names)."""
    import pyarrow as pa

    head = [list(r.values()) for r in table.slice(0, HEAD_ROWS).to_pylist()]
    if header_in_data:
        body = table.slice(1)
        rows = head
    else:
        body = table
        rows = [list(names), *head[:HEAD_ROWS - 1]]
    frame = {}
    for i, name in enumerate(names):
        col = body.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            frame[i] = pd.Series(pd.arrays.ArrowStringArray(col.cast(pa.string())), dtype=pd.StringDtype("pyarrow"))
        elif pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type):
            frame[i] = col.to_pandas()  # categorical: the codes, and each distinct text once
        elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            frame[i] = col.to_pandas()
        else:  # dates, booleans and the like: as Python values, as a grid of cells holds them
            frame[i] = pd.Series(col.to_pylist(), dtype=object)
    return ColumnarSheet(path.name, path.stem, rows, row_kind=kind,
                         frame=pd.DataFrame(frame, index=pd.RangeIndex(body.num_rows)))


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


def read_parquet_sheet(path: Path, data: bytes | None = None) -> RawSheet:
    """Read a Parquet file as one sheet named after the file (header row first).

    Its size is checked from the file's metadata before any data is read (a small Parquet file
    can hold a hundred million rows); text that is not valid UTF-8 is a located error. ``data``
    is the file's bytes as read once (:func:`read_parquet_snapshot`); without it the file is read
    here.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    data = read_parquet_snapshot(path) if data is None else data
    buf = pa.py_buffer(data)
    try:
        meta = pq.read_metadata(pa.BufferReader(buf))
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
        table = None
        repeating = _repeating_parquet_columns(buf)
        if repeating:  # read as dictionaries; text that is not UTF-8 is then read plain, to be located
            with contextlib.suppress(Exception):
                table = pq.read_table(pa.BufferReader(buf), read_dictionary=repeating)
                if _utf8_broken(table):
                    table = None
        if table is None:
            table = pq.read_table(pa.BufferReader(buf))
    except Exception as exc:
        raise _refuse_sheet(path, f"not a readable Parquet file ({exc})") from exc
    problems = []
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
    if problems:
        raise InputError(problems)
    if not table.num_columns:
        return RawSheet(path.name, path.stem, [[]])
    return _columnar(path, table, list(table.column_names), header_in_data=False)


def _repeating_parquet_columns(buf: Any, sample: int = 4096) -> list[str]:
    """The text columns whose values repeat in the Parquet file's first rows (``buf``: its bytes
    as an Arrow buffer)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(pa.BufferReader(buf))
    names = [f.name for f in pf.schema_arrow if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if not names or pf.metadata.num_rows < 2 * sample:
        return []
    batch = next(pf.iter_batches(batch_size=sample, columns=names), None)
    if batch is None:
        return []
    return [n for n in names if len(batch.column(n).unique()) < batch.num_rows // 2]


def _utf8_broken(table: Any) -> bool:
    """Whether any text column holds text that is not valid UTF-8."""
    import pyarrow as pa

    for col in table.columns:
        try:
            col.validate(full=True)
        except pa.ArrowInvalid:
            return True
    return False


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
