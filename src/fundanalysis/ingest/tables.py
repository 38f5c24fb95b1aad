"""Raw sheets → tidy processed tables, validating every cell and collecting every problem.

Pure functions: the sheets come in already read by :mod:`fundanalysis.io`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from fundanalysis import config
from fundanalysis.config import DEFAULT_MONEY_UNIT
from fundanalysis.errors import InputError, Problem, char_name
from fundanalysis.ingest import clean, targets
from fundanalysis.ingest.specs import (
    LEVELS,
    PROCUREMENT_METHODS,
    SHEETS,
    SHEETS_BY_TABLE,
    SPENT_WORDS,
    STATED_CHECKS,
    SUPPORT_KINDS,
    Column,
    SheetSpec,
)
from fundanalysis.storage.rawsheet import NumberFormat, RawSheet
from fundanalysis.storage.textsheets import ColumnarSheet

ROW = "_row"
MONEY_KINDS = ("money", "signed_money")


@dataclass
class Parsed:
    """The processed tables of one year plus notes about what was ignored."""

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    #: digest of the very input bytes the tables were made from (None: not known)
    digest: str | None = None


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell_ref_to_rc(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch.upper()) - 64)
    return int(digits or 0), col - 1


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


@dataclass
class SheetCells:
    """The data rows of one sheet as raw cell values, with what reading them found.

    ``frame`` has one column per spec field present plus ``_row`` (the Excel row);
    ``units`` is the money unit a header states (``金额（元）``) per field; ``reported``
    holds ``(Excel row, field)`` cells already explained (merged, formula, error), so that they
    are not reported again as empty.
    """

    frame: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    reported: set[tuple[int, str]] = field(default_factory=set)
    #: (Excel row, field) → the number format of a money cell that shows a unit or a scale
    formats: dict[tuple[int, str], NumberFormat] = field(default_factory=dict)


Complain = Callable[[int | None, str | None, Any, str], None]


def _reporter(raw: RawSheet, problems: list[Problem]) -> Complain:
    """A function that records a problem located in ``raw``."""
    def bad(row: int | None, col: str | None, value: Any, reason: str) -> None:
        problems.append(Problem(raw.file, raw.name, row, col, value, reason, raw.row_kind))

    return bad


def read_sheet(spec: SheetSpec, raw: RawSheet, problems: list[Problem], notes: list[str]
               ) -> SheetCells | None:
    """Match headers and cut the data rows of one sheet into a frame of raw cell values.

    Problems (headers, merged cells, formulas without values, error values, values without a
    header) are appended; blank rows between data rows are dropped and said in ``notes``.
    """
    bad = _reporter(raw, problems)
    rows = raw.rows
    header_at = _header_row_elsewhere(spec, rows)
    if header_at is not None:
        where = "row 1" if raw.row_kind == "row" else "the first line"
        bad(header_at, None, None, f"the headers are in {raw.row_kind} {header_at}, not in {where} "
            f"(a title above them?); delete the {header_at - 1} {raw.row_kind}(s) above the headers")
        return None
    if not rows or all(_blank(v) for v in rows[0]):
        bad(1, None, None, f"the header {raw.row_kind} ({raw.row_kind} 1) is empty; expected headers: "
            + "、".join(c.header for c in spec.columns))
        return None
    header = rows[0]
    hidden = _merged_header_problems(raw, bad)
    found, units = _match_headers(spec, header, bad)
    columns = getattr(raw, "frame", None)  # a sheet read column by column (CSV, Parquet)
    cells = SheetCells(_body(rows, raw.row_numbers) if columns is None else _column_body(columns, raw.row_numbers),
                       units)
    _merged_body_problems(spec, raw, found, bad, cells.reported)
    cells.frame = _drop_blank_rows(cells.frame, raw, notes)
    _stray_values(cells.frame, header, found, hidden, bad)
    _bad_cell_problems(spec, raw, found, bad, cells.reported)
    cells.formats = _money_formats(spec, raw, found)
    _hidden_notes(spec, raw, found, cells.frame, notes)
    _default_unit_notes(spec, raw, found, cells, notes)
    frame = cells.frame
    out = pd.DataFrame({c.field: frame[found[c.field]] for c in spec.columns
                        if c.field in found}, index=frame.index)
    out[ROW] = frame[ROW].astype(int)
    cells.frame = out.reset_index(drop=True)
    return cells


def _match_headers(spec: SheetSpec, header: list[Any], bad: Complain
                   ) -> tuple[dict[str, int], dict[str, str]]:
    """Map spec fields to column positions; report unknown, doubled and missing headers.

    Headers match after :func:`clean.normalise_header` (NFKC, no spaces, a bracketed unit
    dropped). A money column's bracketed unit must be a money unit; it then reads bare numbers.
    """
    wanted = {clean.normalise_header(c.header): c for c in spec.columns}
    found: dict[str, int] = {}
    units: dict[str, str] = {}
    unknown: list[int] = []
    for i, h in enumerate(header):
        if _blank(h):
            continue
        col = wanted.get(clean.normalise_header(h))
        if col is None:
            unknown.append(i)
        elif col.field in found:
            bad(1, _col_letter(i), h, f"column {col.header!r} appears twice "
                f"(also column {_col_letter(found[col.field])})")
        else:
            found[col.field] = i
            unit = clean.header_unit(h) if col.kind in MONEY_KINDS else None
            if unit is not None and unit not in clean.MONEY_UNITS:
                bad(1, _col_letter(i), h, f"unknown money unit {unit!r} in the header "
                    "(use 元, 万元 or 亿元, or no unit: bare numbers are read in 万元)")
            elif unit is not None:
                units[col.field] = unit
    missing = [c for c in spec.columns if c.field not in found]
    for i in unknown:
        bad(1, _col_letter(i), header[i], "unknown column header (expected one of "
            f"{'、'.join(c.header for c in spec.columns)}){_suggest(header[i], missing, spec)}")
    for c in missing:
        if c.required:
            bad(1, None, None, f"missing column {c.header!r}")
    return found, units


def _suggest(header: Any, missing: list[Column], spec: SheetSpec) -> str:
    """A hint for an unknown header: the closest missing column, else the closest column."""
    key = clean.normalise_header(header)
    for pool, cutoff in ((missing, 0.4), (list(spec.columns), 0.5)):
        names = {clean.normalise_header(c.header): c.header for c in pool}
        close = difflib.get_close_matches(key, list(names), n=1, cutoff=cutoff)
        if close:
            return f"; did you mean {names[close[0]]!r}?"
    if any(c.required for c in missing):
        return "; columns not found: " + "、".join(c.header for c in missing if c.required)
    return ""


def _body(rows: list[list[Any]], row_numbers: list[int] | None = None) -> pd.DataFrame:
    """The rows below the header as an object frame padded to one width, plus ``_row``.

    ``_row`` is the Excel row, or for a text file the line the row starts on (``row_numbers``).
    """
    width = max((len(r) for r in rows), default=0)
    body = rows[1:]
    if any(len(r) != width for r in body):  # a workbook's rows come rectangular; a text file's may not
        body = [list(r) + [None] * (width - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=range(width), dtype=object) if body else pd.DataFrame(
        columns=range(width), dtype=object)
    frame[ROW] = row_numbers[1:len(body) + 1] if row_numbers is not None else range(2, len(body) + 2)
    return frame


def _column_body(columns: pd.DataFrame, row_numbers: Any = None) -> pd.DataFrame:
    """The rows below the header of a sheet read column by column, plus ``_row`` (as :func:`_body`):
    the columns stay as they were read (Arrow-backed text, or a Parquet column's own type)."""
    frame = columns.copy(deep=False)
    n = len(frame)
    frame[ROW] = np.asarray(row_numbers[1:n + 1]) if row_numbers is not None else np.arange(2, n + 2)
    return frame


def _header_row_elsewhere(spec: SheetSpec, rows: list[list[Any]], look: int = 10) -> int | None:
    """The 1-based row holding the headers when it is not row 1 (a title row above them), or None.

    Row 1 is the header row when it matches at least one header; otherwise the first of the next
    rows that matches at least two headers (or every header of a one-column sheet) is named.
    """
    wanted = {clean.normalise_header(c.header) for c in spec.columns}

    def hits(row: list[Any]) -> int:
        return sum(1 for v in row if not _blank(v) and clean.normalise_header(v) in wanted)

    if not rows or hits(rows[0]):
        return None
    need = min(2, len(wanted))
    for i, row in enumerate(rows[1:look], start=2):
        if hits(row) >= need:
            return i
    return None


def _money_formats(spec: SheetSpec, raw: RawSheet, found: dict[str, int]
                   ) -> dict[tuple[int, str], NumberFormat]:
    """Number formats that show a unit or scale, for the money cells of this sheet."""
    out = {}
    for ref, fmt in raw.cell_formats.items():
        r, c = _cell_ref_to_rc(ref)
        f = _field_at(spec, found, c)
        if f is not None and (spec.column(f).kind in MONEY_KINDS or spec.column(f).kind == "shown"):
            out[(r, f)] = fmt
    return out


#: A bare number as typed: digits (full-width too), separators, spaces; no unit, no mark.
_BARE_NUMBER_RE = r"[ \t\u3000]*[-+－＋]?[0-9０-９][0-9０-９,，.． \t\u3000]*"


def _bare_cells(values: pd.Series) -> np.ndarray:
    """Which values are a bare number: a number cell, or text that is digits alone (booleans)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.notna().to_numpy()
    if isinstance(values.dtype, pd.StringDtype):  # a column read as a column: no value by value
        text = values.astype(clean._FAST_STR)
    else:
        text = values.map(lambda v: str(v) if isinstance(v, int | float) and not isinstance(v, bool)
                          and v == v else v if isinstance(v, str) else None).astype(clean._FAST_STR)
    out = np.zeros(len(text), dtype=bool)
    maybe = (text.notna() & ~text.str.endswith("元")).fillna(False).to_numpy(dtype=bool)  # 71.9万元: not bare
    if maybe.any():
        out[maybe] = text[maybe].str.fullmatch(_BARE_NUMBER_RE).fillna(False).to_numpy(dtype=bool)
    return out


def _default_unit_notes(spec: SheetSpec, raw: RawSheet, found: dict[str, int], cells: SheetCells,
                        notes: list[str]) -> None:
    """Say so where bare numbers are read in the default unit (万元) because the money column's
    header states no unit: how those amounts were read is then in the output, never silent.
    A number cell whose format shows a unit is read in that unit and is not counted."""
    frame = cells.frame
    for col in spec.columns:
        if col.kind not in MONEY_KINDS or col.field not in found or col.field in cells.units:
            continue
        bare = _bare_cells(frame[found[col.field]])
        if not bare.any():
            continue
        rows = frame[ROW].to_numpy()[bare]
        shown_unit = {r for (r, f), fmt in cells.formats.items() if f == col.field and fmt.unit}
        if shown_unit:
            rows = rows[~np.isin(rows, list(shown_unit))]
        if len(rows):
            shown = ", ".join(str(int(r)) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
            where = f"row{'s' if len(rows) > 1 else ''} {shown}"  # as the other notes say it, CSV too
            notes.append(f"{raw.file}, sheet {raw.name!r}, column {col.header!r}: {len(rows)} bare number(s) "
                         f"({where}) read in {DEFAULT_MONEY_UNIT}, the default unit, as the header states none; "
                         f"write {col.header}（万元） or {col.header}（元） in the header to state it")


def _hidden_notes(spec: SheetSpec, raw: RawSheet, found: dict[str, int], frame: pd.DataFrame,
                  notes: list[str]) -> None:
    """Say so when a sheet, or rows or columns it uses, are hidden in Excel: they are read."""
    where = f"{raw.file}, sheet {raw.name!r}"
    if raw.hidden:
        notes.append(f"{where} is hidden in Excel; its rows are read")
    data_rows = set(int(r) for r in frame[ROW]) if ROW in frame and raw.hidden_rows else set()
    rows = sorted(r for r in raw.hidden_rows if r in data_rows)
    if rows:
        shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
        notes.append(f"{where}: row{'s' if len(rows) > 1 else ''} {shown} "
                     f"{'are' if len(rows) > 1 else 'is'} hidden in Excel but read")
    cols = sorted(spec.column(f).header for f, i in found.items() if i + 1 in raw.hidden_columns)
    if cols:
        notes.append(f"{where}: column{'s' if len(cols) > 1 else ''} {'、'.join(cols)} "
                     f"{'are' if len(cols) > 1 else 'is'} hidden in Excel but read")


#: A cell of nothing but Unicode white space (what Arrow's trim removes), or nothing.
_BLANK = "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"


def _blank_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Vectorised :func:`_blank` over a frame of raw cells."""
    out = frame.isna()
    for c in frame.columns:
        col = frame[c]
        if isinstance(col.dtype, pd.StringDtype):  # only spaces (as Arrow strips them), without a copy
            out[c] = out[c].to_numpy() | col.str.fullmatch(_BLANK, case=True).fillna(False).to_numpy(dtype=bool)
            continue
        if isinstance(col.dtype, pd.CategoricalDtype):  # text read as a dictionary: look at each text once
            cats = pd.Series(col.cat.categories, dtype=pd.StringDtype("pyarrow"))
            blank = np.flatnonzero(cats.str.fullmatch(_BLANK).fillna(False).to_numpy(dtype=bool))
            out[c] = out[c].to_numpy() | np.isin(col.cat.codes.to_numpy(), blank)
            continue
        is_text = col.map(type).eq(str) if col.dtype == object else pd.Series(False, index=col.index)
        if is_text.any():
            out.loc[is_text, c] = col[is_text].astype(pd.StringDtype("pyarrow")).str.strip().eq("").to_numpy()
    return out


def _blank_cost(dtype: Any) -> int:
    """How dear it is to find the blank cells of a column of this type (a column read as a
    dictionary: its few texts; numbers: their missing values; text: every cell)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return 0
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        return 2
    return 1


def _drop_blank_rows(frame: pd.DataFrame, raw: RawSheet, notes: list[str]) -> pd.DataFrame:
    """Drop blank rows; those between data rows are noted (ignored, not an error)."""
    if frame.empty:
        return frame
    # columns read as a dictionary first (each text looked at once), then numbers, then text
    cols = sorted((c for c in frame.columns if c != ROW), key=lambda c: _blank_cost(frame[c].dtype))
    is_blank = pd.Series(True, index=frame.index)
    for c in cols:  # column by column, only over the rows blank so far (usually none after the first)
        part = frame[[c]] if is_blank.all() else frame.loc[is_blank, [c]]
        is_blank[is_blank] = _blank_frame(part)[c].to_numpy(dtype=bool)
        if not is_blank.any():
            break
    if not is_blank.any():
        return frame
    last = is_blank[~is_blank].index.max() if (~is_blank).any() else -1
    inner = [int(r) for r in frame.loc[is_blank & (frame.index < last), ROW]]
    if inner:
        rows = ", ".join(map(str, inner))
        notes.append(f"{raw.file}, sheet {raw.name!r}: blank row{'s' if len(inner) > 1 else ''} "
                     f"{rows} ignored")
    return frame[~is_blank]


def _field_at(spec: SheetSpec, found: dict[str, int], c: int) -> str | None:
    """The spec field read from column position ``c``, if any."""
    return next((f for f, i in found.items() if i == c), None)


def _column_name(spec: SheetSpec, found: dict[str, int], c: int) -> str:
    """How a problem names column position ``c``: its header if known, else its letter."""
    f = _field_at(spec, found, c)
    return spec.column(f).header if f else _col_letter(c)


def _merged_header_problems(raw: RawSheet, bad: Complain) -> set[int]:
    """Report merged header cells; return the columns the merges leave without a header.

    A merged range keeps its value in its top-left cell only; the other cells read as empty.
    """
    hidden: set[int] = set()
    for r0, c0, r1, c1 in raw.merged:
        if r0 == 0:
            value = raw.rows[0][c0] if raw.rows and c0 < len(raw.rows[0]) else None
            bad(1, _col_letter(c0), value, f"header cells {_range(r0, c0, r1, c1)} are merged; "
                "unmerge them so each column has its own header")
            hidden.update(range(c0 + 1, c1 + 1))
    return hidden


def _merged_body_problems(spec: SheetSpec, raw: RawSheet, found: dict[str, int], bad: Complain,
                          reported: set[tuple[int, str]]) -> None:
    """Report merged cells below the header that hold a value (the rows they span lose it).

    Cells a merge empties (a header merge reaching down, or a merge in the data) are added to
    ``reported``, so they are not reported again as empty.
    """
    for r0, c0, r1, c1 in raw.merged:
        value = raw.rows[r0][c0] if r0 < len(raw.rows) and c0 < len(raw.rows[r0]) else None
        if r0 > 0 and _blank(value):
            continue
        if r0 > 0:
            bad(r0 + 1, _column_name(spec, found, c0), value,
                f"cells {_range(r0, c0, r1, c1)} are merged, so only {_col_letter(c0)}{r0 + 1} "
                "holds the value and the other cells read as empty; unmerge them and type the value "
                "in each")
        for r in range(max(r0, 1), r1 + 1):  # cells the merge empties are explained already
            for c in range(c0, c1 + 1):
                f = _field_at(spec, found, c)
                if f and (r, c) != (r0, c0):
                    reported.add((r + 1, f))


def _range(r0: int, c0: int, r1: int, c1: int) -> str:
    """An Excel range such as ``A1:B1`` from 0-based inclusive bounds."""
    return f"{_col_letter(c0)}{r0 + 1}:{_col_letter(c1)}{r1 + 1}"


def _stray_values(frame: pd.DataFrame, header: list[Any], found: dict[str, int],
                  hidden: set[int], bad: Complain, shown: int = 5) -> None:
    """Report values in columns without a header (they would be lost), ``shown`` per column."""
    used = set(found.values())
    for i in (c for c in frame.columns if c != ROW):
        if i in used or i in hidden or (i < len(header) and not _blank(header[i])):
            continue
        has = frame.loc[~_blank_frame(frame[[i]])[i].to_numpy(dtype=bool)]
        for r, v in zip(has[ROW].head(shown), has[i].head(shown), strict=True):
            bad(int(r), _col_letter(i), v, "value in a column without a header")
        if len(has) > shown:
            bad(int(has[ROW].iloc[shown]), _col_letter(i), None,
                f"… and {len(has) - shown} more rows with values in column {_col_letter(i)}, "
                "which has no header")


def _bad_cell_problems(spec: SheetSpec, raw: RawSheet, found: dict[str, int], bad: Complain,
                       reported: set[tuple[int, str]]) -> None:
    """Report cells read as empty although they are not: formulas without value, error values."""
    for ref, (value, reason) in raw.bad_cells.items():
        r, c = _cell_ref_to_rc(ref)
        bad(r, _column_name(spec, found, c), value, reason)
        f = _field_at(spec, found, c)
        if f:
            reported.add((r, f))


#: The dtype each kind of column is parsed to (a column of empty cells is made in it directly).
_EMPTY_DTYPE = {"text": "string", "shown": "string", "fraction": "string", "money": "Int64",
                "signed_money": "Int64", "count": "Int64", "year": "Int64", "rank": "Int64"}


def _parse_column(spec: SheetSpec, raw: RawSheet, cells: SheetCells, fieldname: str,
                  problems: list[Problem]) -> pd.Series:
    """Parse one column to its kind; bad cells are reported and become NA."""
    frame = cells.frame
    col = spec.column(fieldname)
    if fieldname not in frame:
        # a missing column: every cell is empty (a required one is reported once by read_sheet,
        # not again on every row), made at once rather than parsed cell by cell
        return pd.Series(pd.NA, index=frame.index, dtype=_EMPTY_DTYPE[col.kind])
    values = frame[fieldname]
    rows = frame[ROW]

    def bad(i: Any, reason: str) -> None:
        if (int(rows.loc[i]), fieldname) in cells.reported:
            return
        problems.append(Problem(raw.file, raw.name, int(rows.loc[i]), col.header,
                                values.loc[i], reason, raw.row_kind))

    if col.kind in MONEY_KINDS:
        formats = {i: cells.formats[(int(r), fieldname)] for i, r in rows.items()
                   if (int(r), fieldname) in cells.formats} if cells.formats else {}
        return _parse_money_column(values, col.required, cells.units.get(fieldname), bad, formats,
                                   signed=col.kind == "signed_money")
    if col.kind == "text":
        return _parse_text_column(values, fieldname, col.required, bad)
    if col.kind == "shown":
        shown = values.copy()
        for i, r in (rows.items() if cells.formats else ()):
            fmt = cells.formats.get((int(r), fieldname))
            if fmt is not None:
                shown.loc[i] = _as_shown(values.loc[i], fmt)
        return _parse_text_column(shown, fieldname, col.required, bad)
    parser = {"count": clean.parse_count, "year": clean.parse_year, "rank": clean.parse_rank,
              "fraction": clean.parse_fraction}[col.kind]
    return _parse_distinct(values, parser, col.kind, col.required, bad)


def _as_shown(value: Any, fmt: NumberFormat) -> Any:
    """A number cell as Excel shows it: 0.97 formatted as a percentage is "97%", 719000 formatted
    ``#,##0"元"`` is "719000元"; anything else is left as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if fmt.problem and "percentage" in fmt.problem:
        return f"{number.scaleb(2).normalize():f}%"
    if fmt.unit:
        return f"{number.normalize():f}{fmt.unit}"
    return value


def _parse_money_column(values: pd.Series, required: bool, unit: str | None,
                        bad: Callable[[Any, str], None],
                        formats: dict[Any, NumberFormat] | None = None, signed: bool = False) -> pd.Series:
    """Amounts to integer 分; bare numbers in the header's unit, else the default unit.

    A number cell whose Excel format shows a unit (``#,##0"元"``, ``¥#,##0``) is read in that
    unit, since that is what the user sees; a format that scales the number or shows a
    percentage or an unknown unit is refused, as is a format unit that contradicts the header.
    """
    yuan, err = clean.parse_money_series(values, unit or DEFAULT_MONEY_UNIT, signed)
    if unit is not None and unit != "元" and (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
        # ¥719,000 is 元 by its mark; the header says otherwise: which is meant is not known
        for i in values.index[clean.marked_without_unit(values).to_numpy()]:
            yuan.loc[i], err.loc[i] = pd.NA, (
                f"the amount is marked as 元 (¥, RMB or 人民币 without a unit) but the header says {unit}; "
                f"write the unit (e.g. 71.9万元 or 719,000元) so that it is clear")
    for i, fmt in (formats or {}).items():
        if fmt.problem is not None:
            yuan.loc[i], err.loc[i] = pd.NA, (
                f"the cell's number format {fmt.code!r} shows something other than the number "
                f"stored: {fmt.problem}; type the amount as Excel shows it, with its unit "
                "(e.g. 71.9万元)")
        elif unit is not None and fmt.unit != unit:
            yuan.loc[i], err.loc[i] = pd.NA, (
                f"the cell shows the unit {fmt.unit} (number format {fmt.code!r}) but the header "
                f"says {unit}; make them agree")
        elif fmt.unit is not None:
            try:
                yuan.loc[i], err.loc[i] = clean.parse_money(values.loc[i], fmt.unit, signed), pd.NA
            except clean.CleanError as exc:
                yuan.loc[i], err.loc[i] = pd.NA, str(exc)
    for i in err[err.notna()].index:
        bad(i, str(err.loc[i]))
    if required:
        blank = yuan.isna() & err.isna()
        for i in blank[blank].index:
            bad(i, "amount is empty")
    # In float first: 2 million rows at the single-amount limit would wrap an int64 sum in 分.
    rough = float(yuan.abs().astype("float64").sum()) if len(yuan) else 0.0
    total = int(rough) if rough > config.MAX_COLUMN_TOTAL_YUAN * 100 else (
        int(yuan.abs().sum()) if len(yuan) else 0)
    if total > config.MAX_COLUMN_TOTAL_YUAN * 100:
        bad(yuan.index[-1], f"the amounts of this column add up to {total // 100:,} 元, more than the limit "
            f"of {config.MAX_COLUMN_TOTAL_YUAN:,} 元 for one column; check the units (元 or 万元?)")
    return yuan


def _parse_distinct(values: pd.Series, parser: Callable[[Any], Any], kind: str, required: bool,
                    bad: Callable[[Any, str], None]) -> pd.Series:
    """:func:`_parse_column`'s per-value parsers, run once per distinct cell (:func:`clean.distinct_cells`);
    a refused cell is reported on every row that holds it, a blank one when the column is required."""
    codes, cells = clean.distinct_cells(values)
    parsed: list[Any] = []
    why: list[str | None] = []
    for v in cells:
        if _blank(v):
            parsed.append(None)
            why.append("value is empty" if required else None)
            continue
        try:
            parsed.append(parser(v))
            why.append(None)
        except clean.CleanError as exc:
            parsed.append(None)
            why.append(str(exc))
    reasons = np.array([*why, "value is empty" if required else None], dtype=object)[codes]
    for i, reason in zip(values.index, reasons, strict=True):
        if reason is not None:
            bad(i, reason)
    if kind == "fraction":
        u = pd.array([None if x is None else str(x) for x in parsed], dtype="string")
    else:
        u = pd.array(parsed, dtype="Int64")
    return pd.Series(u.take(codes, allow_fill=True), index=values.index)


#: Name fields whose list numbering (``（一）``, ``1、``) is dropped.
NUMBERED_FIELDS = frozenset({"category", "part", "outlet"})
#: Characters a text cell loses: control and invisible characters.
_DROP = clean.CONTROL_CLASS + "|[" + clean.INVISIBLE_CHARS + "]"
#: Text that cleaning changes: empty, a control or invisible character, whitespace other than single
#: spaces inside it (Python's and Arrow's whitespace alike).
_WHITESPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NEEDS_CLEANING = (f"^$|^[{_WHITESPACE}]|[{_WHITESPACE}]$|  |[\t\r\n\x0c\x0b\u3000\xa0]|"
                   f"{clean.CONTROL_CLASS}|[{clean.INVISIBLE_CHARS}]")


def _parse_text_column(values: pd.Series, fieldname: str, required: bool,
                       bad: Callable[[Any, str], None]) -> pd.Series:
    """Text with whitespace collapsed and control and invisible characters dropped (a control
    character is reported); names lose their list numbering. Each distinct cell is cleaned once
    (:func:`clean.distinct_cells`: a long column repeats its categories, levels and sources)."""
    codes, cells = clean.distinct_cells(values)
    numbered = fieldname in NUMBERED_FIELDS
    texts: list[str | None] = []
    control: list[bool] = []
    for v in cells:
        raw = str(v)
        text: str | None = raw
        has_control = False
        if _NEEDS_CLEANING_RE.search(raw):  # most texts have nothing to clean
            has_control = _CONTROL_RE.search(raw) is not None
            text = _RUNS_RE.sub(" ", _DROP_RE.sub("", raw)).strip() or None
        if numbered and text is not None:
            text = clean.strip_name_numbering(text)
        texts.append(text)
        control.append(has_control)
    if any(control):
        for i, flagged in zip(values.index, np.array([*control, False])[codes], strict=True):
            if flagged:
                _control_problem(bad, i, str(values.loc[i]))
    out = pd.Series(pd.array(texts, dtype="string").take(codes, allow_fill=True), index=values.index)
    if required:
        for i in out[out.isna()].index:
            bad(i, "value is empty")
    return out


_NEEDS_CLEANING_RE = re.compile(_NEEDS_CLEANING)
_DROP_RE = re.compile(_DROP)
_RUNS_RE = re.compile(clean.SPACE_RUNS)
_CONTROL_RE = re.compile(clean.CONTROL_CLASS)


def _control_problem(bad: Callable[[Any, str], None], i: Any, text: str) -> None:
    """Report the first control character of a text cell."""
    ch = _CONTROL_RE.search(text).group()  # type: ignore[union-attr]
    bad(i, f"the text holds an invisible control character ({char_name(ch)}), which can garble "
        "what is shown or printed; delete it")


def parse_sheet(spec: SheetSpec, raw: RawSheet, problems: list[Problem], notes: list[str]
                ) -> pd.DataFrame | None:
    """Parse one sheet into a typed frame; problems are appended, never raised."""
    cells = read_sheet(spec, raw, problems, notes)
    if cells is None:
        return None
    columns: dict[str, Any] = {}
    for c in spec.columns:
        columns[c.field] = _parse_column(spec, raw, cells, c.field, problems)
        if c.field in spec.key:  # how names compare, computed once (duplicates here, spellings later)
            columns[KEY + c.field] = _name_key_column(columns[c.field])
    out = pd.DataFrame({c.field: columns[c.field] for c in spec.columns})
    out["input_ref"] = _input_refs(f"{raw.file}:{raw.name}:", cells.frame[ROW])
    out[ROW] = cells.frame[ROW]
    if spec.key:
        for f in spec.key:
            out[KEY + f] = columns[KEY + f]
        _duplicate_problems(spec, raw, out, problems)
    return out


#: Prefix of the helper columns holding each key field's name key (dropped with ``_row``).
KEY = "_key:"


def _release_memory() -> None:
    """Give back to the system the memory Arrow holds on to after a long column's temporaries."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _name_key_column(values: pd.Series) -> np.ndarray:
    """Row by row, a number standing for the row's name key (:func:`clean.name_keys`; equal numbers:
    names compare the same; a blank value's key is "", as name_keys gives it), each distinct value
    keyed once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = clean.name_keys(pd.Series(uniques, dtype=values.dtype if len(uniques) else object))
    # the blank value's key is appended, so that it gets its number too
    key_codes = pd.factorize(pd.concat([keys, pd.Series([""], dtype=keys.dtype)], ignore_index=True))[0]
    out = np.where(codes >= 0, key_codes[codes.clip(min=0)], key_codes[-1]).astype(np.int64)
    _release_memory()
    return out


def _input_refs(prefix: str, rows: pd.Series) -> pd.Series:
    """``file:sheet:row`` for every row, built in Arrow (a long sheet has a million)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pc.cast(pa.array(rows.to_numpy(dtype="int64")), pa.string())
    joined = pc.binary_join_element_wise(pa.scalar(prefix), numbers, "")
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([joined])), index=rows.index,
                     dtype=pd.StringDtype("pyarrow"))


def _duplicate_problems(spec: SheetSpec, raw: RawSheet, out: pd.DataFrame,
                        problems: list[Problem]) -> None:
    """Report rows whose key repeats an earlier row's (rows with an empty required key are skipped:
    their emptiness is reported already).

    Keys are compared as :func:`clean.name_key` compares names, so ``(集团)`` and ``（集团）`` are the
    same company; the message then shows where the two spellings differ.
    """
    required = [f for f in spec.key if spec.column(f).required]
    complete = pd.Series(True, index=out.index)
    for f in required:  # column by column: no frame of a million rows is made for this
        complete &= out[f].notna()
    every = bool(complete.all())
    key_columns = {c: out[KEY + c] if every else out.loc[complete, KEY + c] for c in spec.key}
    unique = [c for c in spec.key if _all_distinct(key_columns[c])]
    out.attrs[KEY] = unique  # later steps need not look again (a million names cost a pass)
    if unique:
        return  # one part of the key never repeats: no row repeats another
    keys = pd.DataFrame(key_columns)
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return
    spellings = out.loc[complete, list(spec.key)].astype("string").fillna("")
    what = "、".join(spec.column(f).header for f in spec.key)
    rows = out.loc[keys.index, ROW].astype(int)
    group = [keys[c] for c in keys.columns]
    first = rows.groupby(group, sort=False).transform("first")
    first_index = pd.Series(keys.index, index=keys.index).groupby(group, sort=False).transform("first")
    for i in dup[dup].index:
        k = tuple(spellings.loc[i])
        problems.append(Problem(raw.file, raw.name, int(rows.loc[i]), spec.columns[0].header,
                                " / ".join(k), f"duplicated row: same {what} as {raw.row_kind} "
                                f"{int(first.loc[i])}{_difference_note(spellings, i, first_index.loc[i])}",
                                raw.row_kind))


def _all_distinct(codes: pd.Series) -> bool:
    """Whether no value repeats: for the name-key numbers (0 … n−1, see :func:`_name_key_column`)
    by counting each number, which needs far less memory than a hash table of a million values."""
    values = codes.to_numpy()
    if values.dtype.kind in "iu" and len(values) and values.min() >= 0 and values.max() < 4 * len(values):
        return bool(np.bincount(values).max() <= 1)
    return bool(codes.is_unique)


def _difference_note(spellings: pd.DataFrame, i: Any, j: Any) -> str:
    """When two rows' keys match only after normalisation, where their spellings differ."""
    for c in spellings.columns:
        diff = clean.visible_difference(str(spellings.loc[i, c]), str(spellings.loc[j, c]))
        if diff:
            return f" (written differently, but the same name: {diff})"
    return ""


def _sheet_key(name: str) -> str:
    """A sheet name for matching: NFKC, no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def match_sheets(sheets: Mapping[str, RawSheet], problems: list[Problem], notes: list[str]
                 ) -> dict[str, RawSheet]:
    """Known sheet name → raw sheet. Names match after NFKC and without spaces.

    A sheet with data whose name is close to a known one (``媒体单位表``) is a problem, since
    its rows would be lost; other unknown sheets are noted as not used.
    """
    known = {_sheet_key(s.name): s.name for s in SHEETS}
    out: dict[str, RawSheet] = {}
    for name, raw in sheets.items():
        spec_name = known.get(_sheet_key(name))
        if spec_name is None:
            close = difflib.get_close_matches(_sheet_key(name), list(known), n=1, cutoff=0.6)
            if close and any(not _blank(v) for r in raw.rows for v in r):
                problems.append(Problem(raw.file, name, None, None, name, "unknown sheet name, so "
                                        f"its rows are not read; did you mean {known[close[0]]!r}?"))
            else:
                notes.append(f"{raw.file}: sheet {name!r} is not used (known sheets: "
                             f"{'、'.join(s.name for s in SHEETS)})")
        elif spec_name in out:
            problems.append(Problem(raw.file, name, None, None, name, f"sheets {out[spec_name].name!r}"
                                    f" and {name!r} are both read as sheet {spec_name!r}"))
        else:
            out[spec_name] = raw
    return out


def build_tables(sheets: Mapping[str, RawSheet], year: int) -> Parsed:
    """Turn a year's raw sheets into validated processed tables.

    Raises :class:`InputError` listing every problem found (lazy validation).
    """
    problems: list[Problem] = []
    notes: list[str] = []
    files = sorted({s.file for s in sheets.values()}) or ["input"]
    main_file = next((f for f in files if f.endswith((".xlsx", ".xlsm"))), files[0])
    for read in sheets.values():
        notes.extend(n for n in read.notes if n not in notes)
    sheets = match_sheets(sheets, problems, notes)
    parsed: dict[str, pd.DataFrame] = {}
    for spec in SHEETS:
        raw = sheets.get(spec.name)
        if raw is None:
            if spec.required:
                problems.append(Problem(main_file, spec.name, None, None, None,
                                        f"missing sheet {spec.name!r}"))
            continue
        frame = parse_sheet(spec, raw, problems, notes)
        if frame is not None:
            parsed[spec.table] = frame
        if isinstance(raw, ColumnarSheet):
            raw.frame = raw.frame.iloc[:0]  # a long sheet's columns as read are not needed any more
            _release_memory()
    _cross_checks(parsed, sheets, year, problems)
    if problems:
        order = {s.name: i for i, s in enumerate(SHEETS)}
        problems.sort(key=lambda p: (p.file, order.get(p.sheet or "", -1), p.row or 0))
        raise InputError(problems)
    tables = _finish(parsed)
    if not _has_parts(parsed) and len(tables["parts"]):
        named = "、".join(str(p) for p in tables["parts"]["part"])
        notes.append(f"sheet {SHEETS_BY_TABLE['parts'].name!r} has no rows: the parts named in the other "
                     f"sheets are taken as the fund's parts ({named}), with no budget of their own")
    notes.extend(unstated_kind_notes(tables))
    from fundanalysis.ingest.schemas import validate_tables

    validate_tables(tables)
    from fundanalysis.ingest.scale import scale_outliers

    notes.extend(o.note() for o in scale_outliers(tables))  # located warnings, not errors
    return Parsed(tables, notes)


def _loc(parsed: dict[str, pd.DataFrame], sheets: Mapping[str, RawSheet], table: str
         ) -> tuple[SheetSpec, RawSheet, pd.DataFrame]:
    spec = SHEETS_BY_TABLE[table]
    raw = sheets[spec.name]
    return spec, raw, parsed[table]


def _cross_checks(parsed: dict[str, pd.DataFrame], sheets: Mapping[str, RawSheet], year: int,
                  problems: list[Problem]) -> None:
    """Checks across rows and sheets: one fund row, the year, known parts, outlets, vocabularies."""
    def add(table: str, i: Any, field_: str, value: Any, reason: str) -> None:
        spec, raw, df = _loc(parsed, sheets, table)
        problems.append(Problem(raw.file, raw.name, int(df.loc[i, ROW]), spec.column(field_).header,
                                value, reason, raw.row_kind))

    if "fund" in parsed:
        _, raw, fund = _loc(parsed, sheets, "fund")
        if len(fund) != 1:
            rows = [int(r) for r in fund[ROW]]
            where = f" (rows {', '.join(map(str, rows))})" if rows else ""
            problems.append(Problem(raw.file, raw.name, rows[1] if len(rows) > 1 else None, None,
                                    len(fund), f"expected exactly one fund row, found {len(fund)}{where}"))
        for i, y in fund["year"].items():
            if pd.notna(y) and int(y) != year:
                add("fund", i, "year", int(y), f"year does not match the folder year {year}")
    # without rows in 资金组成, the parts are the names the spending rows give (see _finish)
    parts = set(parsed["parts"]["part"].dropna()) if _has_parts(parsed) else None

    def check_vocab(table: str, field_: str, allowed: set[str] | tuple[str, ...] | None,
                    what: str) -> None:
        """Values must be one of ``allowed``, compared as names are (width, spaces, invisible
        characters ignored); a match is rewritten to the allowed spelling."""
        if table not in parsed or allowed is None or field_ not in parsed[table]:
            return
        vals = parsed[table][field_]
        by_key = {clean.name_key(a): a for a in allowed}
        # each distinct value once (a long sheet repeats its levels, parts and categories)
        codes, uniques = pd.factorize(vals, use_na_sentinel=True)
        spelled = pd.Series(uniques, dtype=object)
        canon = clean.name_keys(spelled).astype(object).map(by_key)
        known = canon.notna().to_numpy()
        respell = np.flatnonzero(known & (canon != spelled).to_numpy())
        if len(respell):
            rows = np.isin(codes, respell)
            parsed[table].loc[rows, field_] = canon.to_numpy()[codes[rows]].astype(str)
        unknown = np.flatnonzero(~known)
        if len(unknown):
            for i, v in vals[np.isin(codes, unknown)].items():
                add(table, i, field_, v, f"unknown {what} (expected one of {'、'.join(allowed)})"
                    + _closest(str(v), list(allowed)))

    in_parts = f"part (see sheet {SHEETS_BY_TABLE['parts'].name})"
    for table in ("award_categories", "awards", "media_outlets", "lines", "stated_totals"):
        check_vocab(table, "part", parts, in_parts)
    for table in ("fund", "parts"):
        check_vocab(table, "spent_word", SPENT_WORDS, "word for what was executed (执行口径)")
        _phase_problems(parsed, table, add)
    check_vocab("lines", "spent_word", SPENT_WORDS, "word for what was executed (执行口径)")
    check_vocab("award_categories", "level", LEVELS, "level")
    check_vocab("awards", "level", LEVELS, "level")
    check_vocab("award_categories", "support", SUPPORT_KINDS, "kind of support (支持方式)")
    check_vocab("awards", "support", SUPPORT_KINDS, "kind of support (支持方式)")
    check_vocab("media_outlets", "procurement", PROCUREMENT_METHODS, "procurement method")
    check_vocab("stated_totals", "check", STATED_CHECKS, "check")
    if "media_outlets" in parsed:
        check_vocab("media_items", "outlet", set(parsed["media_outlets"]["outlet"].dropna()),
                    f"outlet (see sheet {SHEETS_BY_TABLE['media_outlets'].name})")
    if "rankings" in parsed:
        known = set(parsed["rankings"]["indicator"].dropna())
        check_vocab("breakdowns", "indicator", known,
                    f"indicator (see sheet {SHEETS_BY_TABLE['rankings'].name})")
    if "awards" in parsed and "award_categories" in parsed:
        check_vocab("awards", "category", set(parsed["award_categories"]["category"].dropna()),
                    f"category (see sheet {SHEETS_BY_TABLE['award_categories'].name})")
    if "peer_values" in parsed and len(parsed["peer_values"]) and "fund" in parsed and \
            parsed["fund"]["city"].isna().all():
        _, raw, fund = _loc(parsed, sheets, "fund")
        add("fund", fund.index[0], "city", None, f"the city is needed to rank it among the cities of sheet "
            f"{SHEETS_BY_TABLE['peer_values'].name}")
    if "stated_totals" in parsed:
        for i, v in parsed["stated_totals"]["stated_raw"].items():
            if pd.notna(v):
                try:
                    clean.parse_stated(v)
                except clean.CleanError as exc:
                    add("stated_totals", i, "stated_raw", v, str(exc))
    _form_problems(parsed, sheets, problems)
    if "award_categories" in parsed:
        df = parsed["award_categories"]
        # a category whose recipients are listed in 获奖企业 may leave its figures blank here
        listed = set(parsed["awards"]["category"].dropna()) if "awards" in parsed else set()
        for f_ in ("amount_fen",):  # a count may be missing (未注明); the money may not
            for i in df.index[df[f_].isna() & ~df["category"].isin(listed)]:
                _, raw, _ = _loc(parsed, sheets, "award_categories")
                if not any(p.sheet == raw.name and p.row == int(df.loc[i, ROW]) for p in problems):
                    add("award_categories", i, f_, None,
                        "value is empty (give it here, or list recipients in sheet "
                        f"{SHEETS_BY_TABLE['awards'].name})")


def _form_problems(parsed: dict[str, pd.DataFrame], sheets: Mapping[str, RawSheet],
                   problems: list[Problem]) -> None:
    """The self-evaluation form's sheets: every target, actual, 分值 and 得分 must be readable
    (a qualitative target is fine), and each 资金类别 a row of the form's money block, once."""
    # a cell already reported as unreadable (a formula without a value …) is not reported again
    # as empty here
    located = {(p.sheet, p.row, p.column) for p in problems}
    if "indicators" in parsed and len(parsed["indicators"]):
        spec, raw, df = _loc(parsed, sheets, "indicators")
        rows = []
        for _, r in df.iterrows():
            cells = {c.header: (None if pd.isna(r[c.field]) else r[c.field]) for c in spec.columns if c.field in df}
            if targets.is_total_row(cells.get(targets.LEVEL1), cells.get(targets.NAME)):
                try:
                    targets.parse_points(cells.get(targets.SCORE), required=True)
                except targets.TargetError as exc:
                    problems.append(Problem(raw.file, raw.name, int(r[ROW]), targets.SCORE,
                                            cells.get(targets.SCORE), f"the 总分 row: {exc}", raw.row_kind))
                continue
            rows.append((int(r[ROW]), cells))
        # a row whose target cell is unreadable (already reported) has no target to read its actual against
        unread = {row for sheet, row, h in located if sheet == raw.name and h in (targets.TARGET, targets.NATURE)}
        try:
            targets.parse_indicator_rows(rows, raw.file, raw.name)
        except InputError as exc:
            problems.extend(p for p in exc.problems if (p.sheet, p.row, p.column) not in located
                            and not (p.row in unread and p.column == targets.ACTUAL))
    if "money_sources" in parsed and len(parsed["money_sources"]):
        spec, raw, df = _loc(parsed, sheets, "money_sources")
        seen: dict[targets.Fund, int] = {}

        def bad(r: pd.Series, field_: str, reason: str) -> None:
            if (raw.name, int(r[ROW]), spec.column(field_).header) not in located:
                problems.append(Problem(raw.file, raw.name, int(r[ROW]), spec.column(field_).header, r[field_],
                                        reason, raw.row_kind))

        for _, r in df.iterrows():
            if pd.notna(r["category"]):
                try:
                    fund = targets.fund_category(str(r["category"]))
                    if fund in seen:
                        bad(r, "category", f"the money block names this row twice (also row {seen[fund]})")
                    seen.setdefault(fund, int(r[ROW]))
                except targets.TargetError as exc:
                    bad(r, "category", str(exc))
            for field_, read in (("weight", targets.parse_points), ("stated_score", targets.parse_points)):
                if field_ in df and pd.notna(r[field_]):
                    try:
                        read(r[field_], required=False)
                    except targets.TargetError as exc:
                        bad(r, field_, str(exc))
            if "stated_rate" in df and pd.notna(r["stated_rate"]):
                try:
                    targets.parse_rate(r["stated_rate"])
                except targets.TargetError as exc:
                    bad(r, "stated_rate", str(exc))


def _phase_problems(parsed: dict[str, pd.DataFrame], table: str, add: Callable[..., None]) -> None:
    """A budget given both as 预算金额 (no phase) and by phases is ambiguous: refuse it. A
    调整数 that takes 年初预算数 below zero is refused too (a budget is never negative)."""
    df = parsed.get(table)
    if df is not None and {"initial_fen", "adjustment_fen"} <= set(df.columns):
        both = df["initial_fen"].notna() & df["adjustment_fen"].notna()
        for i in df.index[both.fillna(False).astype(bool)]:
            initial, adj = int(df.loc[i, "initial_fen"]), int(df.loc[i, "adjustment_fen"])
            if initial + adj < 0:
                shown = [f"{Decimal(v).scaleb(-2):f}元" for v in (initial, adj)]
                add(table, i, "adjustment_fen", shown[1],
                    f"年初预算数 {shown[0]} + 调整数 {shown[1]} is below zero: a budget cannot be "
                    "negative; check the sign and unit of 调整数")
    if df is None or "budget_fen" not in df:
        return
    phased = df[["initial_fen", "annual_fen"]].notna().any(axis=1) if "annual_fen" in df else None
    if phased is None:
        return
    for i in df.index[df["budget_fen"].notna() & phased]:
        add(table, i, "budget_fen", None, "give either 预算金额 (when the report names no budget phase) or "
            "the phases (年初预算数, 调整数, 全年预算数), not both")


def _closest(value: str, allowed: list[str]) -> str:
    """A hint naming the closest allowed value and, if it looks the same, the invisible difference."""
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
    if not close:
        return ""
    diff = clean.visible_difference(value, close[0])
    return f"; closest: {close[0]!r}" + (f", which differs at {diff}" if diff else "")


def _unify_spellings(df: pd.DataFrame, field_: str, keys: pd.Series, unique: bool = False) -> None:
    """Within one column, write every name as its first spelling (``(集团)`` → ``（集团）`` if that came
    first), so that counts and groups see one name. ``keys`` are the rows' name keys; ``unique``
    says they are known to be all different (then there is nothing to do)."""
    if field_ not in df or df.empty or unique:
        return
    have = df[field_].notna().to_numpy()
    if keys[have].is_unique:
        return  # every name once
    codes, uniques = pd.factorize(df[field_], use_na_sentinel=True)  # in order of first appearance
    if len(uniques) == pd.Series(keys[have]).nunique():
        return  # as many names as spellings: each name has one spelling
    spelled = pd.Series(uniques, dtype=object)
    first = spelled.groupby(clean.name_keys(spelled).to_numpy(), sort=False).transform("first")
    respell = np.flatnonzero((first != spelled).to_numpy())
    rows = np.isin(codes, respell)
    df.loc[rows, field_] = first.to_numpy()[codes[rows]]


def _finish(parsed: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Drop helper columns, derive award categories from recipients where given."""
    tables = {k: v.drop(columns=[c for c in v.columns if c == ROW or str(c).startswith(KEY)]
                        ).reset_index(drop=True) for k, v in parsed.items()}
    unique = parsed["awards"].attrs.get(KEY, []) if "awards" in parsed else []
    for df in tables.values():
        df.attrs = {}  # a helper's note, not part of the table
    if "awards" in tables:
        for f_ in ("recipient", "category"):
            _unify_spellings(tables["awards"], f_, parsed["awards"][KEY + f_].reset_index(drop=True),
                             f_ in unique)
    if "awards" in tables:
        derived = categories_from_recipients(tables["awards"], distinct="recipient" in unique)
        if "award_categories" in tables:
            meta = tables["award_categories"]
            stated = meta[["category", "recipients", "amount_fen"]].rename(
                columns={"recipients": "stated_recipients", "amount_fen": "stated_amount_fen"})
            merged = derived.merge(meta.drop(columns=["recipients", "amount_fen"]),
                                   on="category", how="left", suffixes=("", "_meta"))
            for c in ("level", "part", "support"):
                if f"{c}_meta" in merged:
                    merged[c] = merged[f"{c}_meta"].fillna(merged[c])
                    merged = merged.drop(columns=[f"{c}_meta"])
            merged = merged.merge(stated, on="category", how="left")
            # categories given only in 奖励类别 (no recipient rows) keep their own figures
            # rather than vanishing from the totals
            only_stated = meta[~meta["category"].isin(derived["category"])]
            if len(only_stated):
                merged = pd.concat([merged, only_stated], ignore_index=True)
            tables["award_categories"] = merged
        else:
            tables["award_categories"] = derived
    cats = tables.get("award_categories")
    if cats is not None:
        for c in ("level", "recipient_desc", "part", "support", "source", "quote", "input_ref"):
            if c not in cats:
                cats[c] = pd.Series(pd.NA, index=cats.index, dtype="string")
        for c in ("stated_recipients", "stated_amount_fen"):
            if c not in cats:
                cats[c] = pd.Series(pd.NA, index=cats.index, dtype="Int64")
        cols = ["category", "recipients", "amount_fen", "level", "recipient_desc", "part", "support",
                "stated_recipients", "stated_amount_fen", "source", "quote", "input_ref"]
        tables["award_categories"] = cats[cols].astype(
            {"recipients": "Int64", "amount_fen": "Int64", "stated_recipients": "Int64",
             "stated_amount_fen": "Int64"})
    if not _has_parts(tables):
        tables["parts"] = _parts_from_references(tables)
    if "stated_totals" in tables:
        st = tables["stated_totals"]
        parsed_vals = [clean.parse_stated(v) if pd.notna(v) else (None, None)
                       for v in st["stated_raw"]]
        st = st.assign(
            stated=pd.array([v for v, _ in parsed_vals], dtype="Int64"),
            unit=pd.array([u for _, u in parsed_vals], dtype="string"),
        )
        tables["stated_totals"] = st[["check", "part", "stated", "unit", "stated_raw",
                                      "stated_text", "source", "input_ref"]]
    for name, df in tables.items():
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].astype("string")
        tables[name] = df
    return tables


def _has_parts(parsed: Mapping[str, pd.DataFrame]) -> bool:
    """True when sheet 资金组成 has rows that name a part."""
    df = parsed.get("parts")
    return df is not None and "part" in df and bool(df["part"].notna().any())


def _parts_from_references(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Without a 资金组成 sheet, the parts are the names the spending rows give (no department, no
    budget of their own); a fund whose rows name no part has none."""
    seen: dict[str, None] = {}  # first-seen order, each name once
    for t in ("lines", "award_categories", "awards", "media_outlets"):
        df = tables.get(t)
        if df is not None and "part" in df:
            seen.update(dict.fromkeys(df["part"].dropna().astype(str)))
    names = list(seen)
    spec = SHEETS_BY_TABLE["parts"]
    kinds = {c.field: _EMPTY_DTYPE[c.kind] for c in spec.columns}
    out = pd.DataFrame({f: pd.Series([pd.NA] * len(names), dtype=k) for f, k in kinds.items()})
    out["part"] = pd.array(names, dtype="string")
    out["input_ref"] = pd.Series([pd.NA] * len(names), dtype="string")
    return out


def categories_from_recipients(awards: pd.DataFrame, distinct: bool = False) -> pd.DataFrame:
    """Reduce one-row-per-recipient awards to one row per category (``distinct``: no recipient is
    named twice, so a category's recipients are its rows).

    >>> df = pd.DataFrame({"recipient": ["甲", "乙"], "category": ["平台", "平台"],
    ...                    "amount_fen": [25000000, 25000000]})
    >>> categories_from_recipients(df)[["category", "recipients", "amount_fen"]].values.tolist()
    [['平台', 2, 50000000]]
    """
    if distinct:  # every recipient is named once: a category counts its rows
        df = awards.assign(amount_fen=awards["amount_fen"].astype("int64"))
        counted = ("recipient", "count")
    else:  # count distinct names, as numbers
        codes = pd.factorize(awards["recipient"], use_na_sentinel=True)[0]
        df = awards.assign(amount_fen=awards["amount_fen"].astype("int64"),
                           recipient=pd.Series(codes, index=awards.index).where(codes >= 0))
        counted = ("recipient", "nunique")
    agg: dict[str, Any] = {"recipients": counted,
                           "amount_fen": ("amount_fen", "sum")}
    for c in ("level", "part", "support", "source"):
        if c in df:
            agg[c] = (c, "first")
    out = df.groupby("category", sort=False, as_index=False).agg(**agg)
    return out.astype({"recipients": "Int64", "amount_fen": "Int64"})


def unstated_kind_notes(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """A located warning for each spending line whose 全年执行数 does not say what it is: no
    执行口径 on the line, its part or the fund. Such an amount is shown as 未注明 and counts
    neither as executed nor as allocated until the column is set."""
    lines = tables.get("lines")
    if lines is None or not len(lines) or "executed_fen" not in lines:
        return []
    fund = tables.get("fund")
    fund_word = fund["spent_word"].iloc[0] if fund is not None and len(fund) and "spent_word" in fund else None
    if fund_word is not None and not pd.isna(fund_word):
        return []
    parts = tables.get("parts")
    part_words = ({str(p) for p, w in zip(parts["part"], parts["spent_word"], strict=True) if not pd.isna(w)}
                  if parts is not None and "spent_word" in parts else set())
    own = lines["spent_word"] if "spent_word" in lines else pd.Series([pd.NA] * len(lines), index=lines.index)
    out = []
    for amount, word, part, ref in zip(lines["executed_fen"], own, lines["part"], lines.get("input_ref", own),
                                       strict=True):
        if pd.isna(amount) or not pd.isna(word) or (not pd.isna(part) and str(part) in part_words):
            continue
        where = str(ref).rsplit(":", 2) if not pd.isna(ref) else []
        located = (f"{where[0]}, sheet {where[1]!r}, row {where[2]}" if len(where) == 3
                   else f"sheet {SHEETS_BY_TABLE['lines'].name!r}")
        out.append(f"warning: {located}, column '执行口径': 全年执行数 is given but not what it is; set 执行口径 "
                   "(使用 / 支出 / 拨付 / 执行: executed; 安排: allocated) here, on its part or on the fund; "
                   "until then it is shown as 未注明 and gives no 执行率")
    return out
