"""Making tables safe for people to open: no live formulas from data cells."""

from __future__ import annotations

import pandas as pd

#: A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: object) -> object:
    """Prefix a formula-like text with an apostrophe; numbers and other values pass through.

    >>> neutralise_text("=HYPERLINK(\\"x\\")"), neutralise_text(-5), neutralise_text("常州")
    ('\\'=HYPERLINK("x")', -5, '常州')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot turn into spreadsheet formulas.

    Numeric columns (negative amounts included) are left as numbers.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        mask = s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES)).astype(bool)
        if mask.any():
            out[col] = s.astype(object).where(~mask, "'" + s[mask].astype(str))
            if pd.api.types.is_string_dtype(s.dtype):
                out[col] = out[col].astype(s.dtype)
    return out


def write_text_cell(cell: object, text: str) -> None:
    """Store ``text`` in an openpyxl cell as text: never a formula, and with the quote prefix when a
    spreadsheet program would read it as one (so that re-entering the cell keeps it text).

    Every workbook writer of the suite puts its text cells through here.
    """
    cell.value = text  # type: ignore[attr-defined]
    cell.data_type = "s"  # type: ignore[attr-defined]
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True  # type: ignore[attr-defined]
