"""A blank input workbook for a new year: the same sheets, header notes and dropdowns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fundanalysis.ingest.specs import (
    LEVELS,
    PROCUREMENT_METHODS,
    SHEETS,
    SPENT_WORDS,
    STATED_CHECKS,
    SUPPORT_KINDS,
)
from fundanalysis.storage.formulas import write_text_cell

_ROWS = 500  # rows covered by the dropdowns


#: The hidden sheet that holds the values of dropdowns an inline list cannot hold (`check` does not read it).
LISTS_SHEET = "下拉选项"
_INLINE_MAX = 255  # Excel's limit on an inline list's text, quotes and commas included


def _list_validation(values: Sequence[str], prompt: str, wb: Workbook) -> DataValidation:
    """A dropdown of ``values``: inline when Excel can hold it so, else a reference to a column of the
    hidden sheet :data:`LISTS_SHEET` (a value with a comma or a quote cannot be written inline: a comma
    splits it and a quote ends the list)."""
    inline = '"' + ",".join(values) + '"'
    if len(inline) <= _INLINE_MAX and not any("," in v or '"' in v for v in values):
        formula = inline
    else:
        ws = wb[LISTS_SHEET] if LISTS_SHEET in wb.sheetnames else wb.create_sheet(LISTS_SHEET)
        ws.sheet_state = "hidden"
        col = ws.max_column + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
        for r, v in enumerate(values, start=1):
            write_text_cell(ws.cell(row=r, column=col), v)
        letter = get_column_letter(col)
        formula = f"'{LISTS_SHEET}'!${letter}$1:${letter}${max(len(values), 1)}"
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False)
    dv.promptTitle, dv.prompt = "请选择", prompt
    shown = "、".join(values)
    dv.errorTitle, dv.error = "不在列表中", f"请从下拉列表中选择：{shown if len(shown) <= 200 else shown[:200] + '…'}"
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


def vocabularies(categories: Sequence[str] = ()) -> dict[tuple[str, str], tuple[list[str], str]]:
    """(table, field) → (the values a column takes, the prompt): the template's dropdowns (award
    categories only when ``categories`` are given, e.g. the fund's previous year's)."""
    return {
        **({("award_categories", "category"): (list(categories), "奖励类别（上一年度的类别）"),
            ("awards", "category"): (list(categories), "奖励类别（上一年度的类别）")} if categories else {}),
        ("fund", "spent_word"): (list(SPENT_WORDS), "报告用词"),
        ("parts", "spent_word"): (list(SPENT_WORDS), "报告用词"),
        ("lines", "spent_word"): (list(SPENT_WORDS), "报告用词"),
        ("award_categories", "level"): (list(LEVELS), "级别"),
        ("award_categories", "support"): (list(SUPPORT_KINDS), "支持方式；空则按奖励"),
        ("awards", "support"): (list(SUPPORT_KINDS), "支持方式；空则按奖励"),
        ("awards", "level"): (list(LEVELS), "级别"),
        ("media_outlets", "procurement"): (list(PROCUREMENT_METHODS), "采购方式；报告未写明则留空"),
        ("stated_totals", "check"): (list(STATED_CHECKS), "报告陈述的合计数的种类"),
        ("money_sources", "category"): (["年度资金总额", "其中：本年财政拨款", "其中：当年财政拨款", "上年结转资金",
                                         "其他资金"], "自评表“项目资金”栏的行"),
        ("indicators", "nature"): (["≥", "≤", "=", "定性"], "指标性质；空则由指标值判断"),
    }


def build_template(year: int, categories: Sequence[str] = ()) -> Workbook:
    """A workbook with every input sheet, a note on each header and dropdowns where a
    column takes a fixed vocabulary (level, procurement method, 执行口径, checks; award
    categories when ``categories`` are given, e.g. the fund's previous year's)."""
    wb = Workbook()
    wb.remove(wb.active)
    dropdowns = vocabularies(categories)
    for spec in SHEETS:
        ws = wb.create_sheet(spec.name)
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=i)
            write_text_cell(cell, col.header)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7" if col.required else "F2F2F2")
            need = f"{col.requirement}：{col.required_when}" if col.required_when else col.requirement
            note = need + (f"。{col.note}" if col.note else "")
            cell.comment = Comment(note, "fundanalysis")
            ws.column_dimensions[get_column_letter(i)].width = max(14, len(col.header) * 3)
            if (spec.table, col.field) in dropdowns:
                values, prompt = dropdowns[(spec.table, col.field)]
                dv = _list_validation(values, prompt, wb)
                letter = get_column_letter(i)
                dv.add(f"{letter}2:{letter}{_ROWS}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
        if spec.table == "fund":
            ws.cell(row=2, column=spec.columns.index(spec.column("year")) + 1, value=year)
    if LISTS_SHEET in wb.sheetnames:  # keep the hidden lists last, after every input sheet
        wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(LISTS_SHEET))
    return wb


#: What each kind of column holds, in the data dictionary.
KIND_WORDS = {"text": "文字", "shown": "照表文字", "money": "金额", "signed_money": "金额（可为负）",
              "count": "数量", "year": "年度", "rank": "名次", "fraction": "比例"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def data_dictionary() -> str:
    """The input workbook's data dictionary as Markdown, from the sheet specs: every sheet and
    column, 必填 / 选填 / 条件必填, what it holds and the values a dropdown offers.

    Written to ``docs/input-workbook.md``; a test keeps the committed file equal to this.
    """
    vocab = vocabularies()
    out = ["# 输入工作簿：数据字典 (input workbook data dictionary)", "",
           "Generated from `fundanalysis.ingest.specs` by `fundanalysis.ingest.template.data_dictionary()`; "
           "do not edit by hand. Regenerate with:", "",
           "```", ".venv/bin/python -c \"from fundanalysis.ingest.template import data_dictionary; "
           "print(data_dictionary(), end='')\" > docs/input-workbook.md", "```", "",
           "必填: every row gives it (`check` refuses an empty cell). 选填: may be empty. "
           "条件必填: needed on the rows named (`check` says which). "
           "A sheet that is not 必填 may be left out or left with its header only.", ""]
    for spec in SHEETS:
        out += [f"## {spec.name}（{'必填' if spec.required else '选填'}）", ""]
        if spec.note:
            out += [_cell(spec.note), ""]
        if spec.key:
            out += ["每行由 " + "、".join(spec.column(k).header for k in spec.key) + " 区分，不得重复。", ""]
        out += ["| 列 | 必填 | 类型 | 说明 |", "|---|---|---|---|"]
        for col in spec.columns:
            need = f"{col.requirement}（{col.required_when}）" if col.required_when else col.requirement
            values = vocab.get((spec.table, col.field))
            note = col.note + (f"（可选值：{' / '.join(values[0])}）" if values else "")
            out.append(f"| {_cell(col.header)} | {_cell(need)} | {KIND_WORDS[col.kind]} | {_cell(note)} |")
        out.append("")
    return "\n".join(out)
