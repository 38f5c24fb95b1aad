"""A sheet as read from any input file (workbook, CSV, Parquet), before any cleaning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
