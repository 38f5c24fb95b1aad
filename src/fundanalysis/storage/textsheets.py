"""CSV and Parquet sheets: one sheet per file, named after the file."""

from __future__ import annotations

import codecs
from io import StringIO
from pathlib import Path

import pandas as pd

from fundanalysis import config
from fundanalysis.errors import InputError, Problem
from fundanalysis.storage.guard import _refuse_sheet, check_memory
from fundanalysis.storage.rawsheet import RawSheet

_SAVE_AS_UTF8 = ("in Excel choose 文件 → 另存为 → 'CSV UTF-8（逗号分隔）(*.csv)', or save it as .xlsx")


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
