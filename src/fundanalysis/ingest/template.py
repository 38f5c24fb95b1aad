"""A blank input workbook for a new year: the same sheets, header notes and dropdowns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fundanalysis.export.formulas import write_text_cell
from fundanalysis.ingest.specs import (
    LEVELS,
    PROCUREMENT_METHODS,
    SHEETS,
    SPENT_WORDS,
    STATED_CHECKS,
)

_ROWS = 500  # rows covered by the dropdowns


def _list_validation(values: Sequence[str], prompt: str) -> DataValidation:
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                        showDropDown=False)
    dv.promptTitle, dv.prompt = "请选择", prompt
    dv.errorTitle, dv.error = "不在列表中", f"请从下拉列表中选择：{'、'.join(values)}"
    return dv


def previous_categories(data_dir: Path, fund: str, year: int) -> list[str]:
    """The award categories of a fund's latest year before ``year`` that can be read, if any:
    a fund's category scheme carries over; another fund's never does."""
    from fundanalysis.ingest.load import load_tables
    from fundanalysis.storage import catalog

    for y in sorted((y for y in catalog.list_years(data_dir, fund) if y < year), reverse=True):
        try:
            cats = load_tables(data_dir, y, fund).get("award_categories")
        except Exception:  # an unreadable earlier year offers no categories
            continue
        if cats is not None and len(cats):
            return [str(c) for c in cats["category"].dropna()]
    return []


def build_template(year: int, categories: Sequence[str] = ()) -> Workbook:
    """A workbook with every input sheet, a note on each header and dropdowns where a
    column takes a fixed vocabulary (level, procurement method, 执行口径, checks; award
    categories when ``categories`` are given, e.g. the fund's previous year's)."""
    wb = Workbook()
    wb.remove(wb.active)
    dropdowns = {
        **({("award_categories", "category"): (list(categories), "奖励类别（上一年度的类别）"),
            ("awards", "category"): (list(categories), "奖励类别（上一年度的类别）")} if categories else {}),
        ("fund", "spent_word"): (list(SPENT_WORDS), "报告用词"),
        ("parts", "spent_word"): (list(SPENT_WORDS), "报告用词"),
        ("award_categories", "level"): (list(LEVELS), "级别"),
        ("awards", "level"): (list(LEVELS), "级别"),
        ("media_outlets", "procurement"): (list(PROCUREMENT_METHODS), "采购方式；报告未写明则留空"),
        ("stated_totals", "check"): (list(STATED_CHECKS), "报告陈述的合计数的种类"),
        ("money_sources", "category"): (["年度资金总额", "其中：本年财政拨款", "其中：当年财政拨款", "上年结转资金",
                                         "其他资金"], "自评表“项目资金”栏的行"),
        ("indicators", "nature"): (["≥", "≤", "=", "定性"], "指标性质；空则由指标值判断"),
    }
    for spec in SHEETS:
        ws = wb.create_sheet(spec.name)
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=i)
            write_text_cell(cell, col.header)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7" if col.required else "F2F2F2")
            note = ("必填" if col.required else "选填") + (f"。{col.note}" if col.note else "")
            cell.comment = Comment(note, "fundanalysis")
            ws.column_dimensions[get_column_letter(i)].width = max(14, len(col.header) * 3)
            if (spec.table, col.field) in dropdowns:
                values, prompt = dropdowns[(spec.table, col.field)]
                dv = _list_validation(values, prompt)
                letter = get_column_letter(i)
                dv.add(f"{letter}2:{letter}{_ROWS}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
        if spec.table == "fund":
            ws.cell(row=2, column=spec.columns.index(spec.column("year")) + 1, value=year)
    return wb
