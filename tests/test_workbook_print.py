"""数据表.xlsx prints and computes: every sheet A4 one page wide with its header on each page and
an autofilter, the year without a thousands separator, shares rounded as the pages round them,
and every number a number."""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pandas as pd
import pytest

from fundanalysis import config
from fundanalysis.analysis.key_figures import summarise
from fundanalysis.export.workbook import tables_workbook
from fundanalysis.ingest.load import process_year
from fundanalysis.present import fmt


@pytest.fixture(scope="module")
def book() -> tuple[openpyxl.Workbook, dict[str, pd.DataFrame]]:
    tables = process_year(config.DATA_DIR, 2019).tables
    return openpyxl.load_workbook(BytesIO(tables_workbook(tables, summarise(tables)))), tables


def test_every_sheet_prints_on_a4_one_page_wide_with_its_header_and_a_filter(book: tuple) -> None:
    wb, _ = book
    assert len(wb.worksheets) >= 5
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert int(ps.paperSize) == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ps.fitToWidth, ps.fitToHeight) == (1, 0)
        assert ws.print_title_rows == "$1:$1"
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
        width = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width or 13
                    for i in range(1, ws.max_column + 1))
        assert ps.orientation == ("landscape" if width > 95 else "portrait"), ws.title
    assert {ws.page_setup.orientation for ws in wb.worksheets} == {"portrait", "landscape"}


def test_the_year_has_no_thousands_separator(book: tuple) -> None:
    wb, _ = book
    ws = wb["关键数字"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "年度")
    assert row[1].value == 2019 and "," not in row[1].number_format


def test_shares_are_numbers_rounded_as_the_pages_show_them(book: tuple) -> None:
    from fundanalysis.analysis import metrics

    wb, tables = book
    ws = wb["奖励类别"]
    head = [c.value for c in ws[1]]
    col = head.index("占比") + 1
    shares = metrics.category_totals(tables["award_categories"])["share"]
    for r, share in zip(range(2, ws.max_row + 1), shares, strict=True):
        cell = ws.cell(r, col)
        assert isinstance(cell.value, float) and cell.number_format == "0.0%"
        shown = f"{round(cell.value * 100, 1):.1f}%"  # what Excel shows with 0.0%
        assert shown == fmt.pct(share, 1)  # the page's 占比


def test_money_percent_and_count_cells_are_numbers(book: tuple) -> None:
    wb, _ = book
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if c.number_format in ("#,##0.00", "0.00%", "0.0%", "#,##0", "0") and c.value is not None:
                    assert isinstance(c.value, int | float), (ws.title, c.coordinate, c.value)
