"""What notebooks import: load a year's tables, its key figures, and the report's headings.

In a notebook: ``import fundanalysis as fa`` then ``tables = fa.load(2019)`` (see the package's
docstring); this module is where those names live.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis.config import DATA_DIR
from fundanalysis.present.report import Report
from fundanalysis.present.styled import money_style as style
from fundanalysis.storage import catalog

__all__ = ["Report", "load", "style", "summary", "to_excel"]


def _chinese_everywhere() -> None:
    """Plain pandas and seaborn figures show Chinese once the notebook API is imported."""
    from fundanalysis.present.charts.theme import add_font_fallback

    add_font_fallback()


_chinese_everywhere()


def load(year: int, fund: str | None = None, data_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The validated tables of a fund's year, by table name (processed ones when current);
    ``fund`` may be left out when there is only one fund."""
    from fundanalysis.ingest.load import load_tables

    return load_tables(catalog.existing_dir(data_dir or DATA_DIR, "data_dir"), int(year), fund)


def summary(year: int, fund: str | None = None, data_dir: str | Path | None = None) -> dict[str, Any]:
    """The key figures of a fund's year (numbers and codes, money in 分; see README, "summary.json")."""
    from fundanalysis.analysis.key_figures import summarise

    return summarise(load(year, fund, data_dir))


#: Chinese headers of columns the metrics compute (input columns take their sheet's header).
COMPUTED_HEADERS = {
    "share": "占比", "utilisation": "执行率", "utilisation_initial": "执行率（按年初预算）", "receipt_rate": "到位率",
    "spent_fen": "已使用", "unspent_fen": "结余", "budget_fen": "预算", "recipients": "获奖单位数",
    "avg_per_recipient_fen": "平均每家", "avg_per_item_fen": "平均每项", "projects": "项目数",
    "scope_name": "范围", "rank_number": "名次", "rank_text": "报告表述", "province_share": "占全省",
    "nation_share": "占全国", "hhi": "赫芬达尔指数", "top2_share": "前两家占比",
}


def to_excel(df: pd.DataFrame, path: str | Path, sheet: str = "数据") -> Path:
    """Write any DataFrame of the library as the analyst saw it: Chinese headers, ``*_fen``
    columns as 万元 numbers (``#,##0.00``), fractions as percentages, years without thousands
    separators, A4 page setup and an autofilter. The file is replaced in one step.

    Unknown columns keep their names; the numbers stay numbers (Excel can sum them).
    """
    from io import BytesIO

    from openpyxl import Workbook

    from fundanalysis.export import workbook as wbk
    from fundanalysis.ingest.specs import SHEETS
    from fundanalysis.storage import files

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"to_excel writes a DataFrame, not {type(df).__name__}")
    headers = {c.field: c.header for s in SHEETS for c in s.columns}
    headers.update(COMPUTED_HEADERS)
    spec = []
    for c in df.columns:
        name = str(c)
        values = df[c].dropna()
        numeric = (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])) or (
            len(values) > 0 and all(isinstance(v, Fraction | Decimal | int | float) and not isinstance(v, bool)
                                    for v in values))
        if name.endswith("_fen"):
            kind = wbk.MONEY
        elif name == "year":
            kind = wbk.YEAR
        elif numeric and name == "share":
            kind = wbk.SHARE  # one decimal, as the pages show a share
        elif numeric and any(w in name for w in ("share", "rate", "utilisation", "ratio")):
            kind = wbk.PERCENT
        elif numeric and (pd.api.types.is_integer_dtype(df[c]) or all(isinstance(v, int) for v in values)):
            kind = wbk.COUNT
        elif numeric:
            kind = wbk.POINTS
        else:
            kind = wbk.TEXT
        header = headers.get(name, name)
        spec.append((c, header.split("（")[0] if kind == wbk.MONEY else header, kind))
    book = Workbook()
    book.remove(book.active)
    wbk._sheet(book, sheet, df.reset_index(drop=True), spec)
    wbk.print_setup(book[sheet])
    buf = BytesIO()
    book.save(buf)
    dest = Path(path).expanduser().resolve()
    files.write_bytes(dest, buf.getvalue())
    return dest
