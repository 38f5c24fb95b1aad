"""The 项目支出绩效自评表 (project-spending performance self-evaluation form) as an .xlsx workbook.

:func:`form_workbook` lays a plain dict out the way departments print the Ministry of Finance's form
(see ``docs/domain.md``, "A worked example"): one sheet, A4 landscape, nine columns, the block labels
merged on the left.
The 得分 column holds the computed scores; where the form states a different score the cell is filled
light red and carries a comment giving both. Nothing is written to disk here: the bytes go back to
the caller.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from fundanalysis.storage.formulas import write_text_cell

SHEET_TITLE = "自评表"
FORM_TITLE = "项目支出绩效自评表"
#: What a cell shows for a figure the report does not state.
MISSING = "—"
COMMENT_AUTHOR = "fundanalysis"

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
BODY_SIZE = 11
TITLE_SIZE = 16

#: Light red for a 得分 the form states differently from the computed one.
DISAGREE_FILL = PatternFill(fill_type="solid", fgColor="FFF2CCCC")
#: The header rows' shade.
HEADER_FILL = PatternFill(fill_type="solid", fgColor="FFF2F2F2")
THIN = Side(style="thin", color="FF000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"

#: Nine columns, A to I: 绩效指标 | 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因….
COLUMN_WIDTHS = (10, 16, 21, 22, 16, 16, 10, 10, 24)
NCOLS = len(COLUMN_WIDTHS)

MONEY_HEADERS = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
INDICATOR_HEADERS = (
    "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施",
)

#: Points of row height per line of 11-point text, and the padding of a row.
LINE_HEIGHT = 14.5
ROW_PADDING = 6.0


# ------------------------------------------------------------------ values


def _decimal(value: Any) -> Decimal | None:
    """``value`` (an int, float, Decimal or numeric string) as an exact Decimal; None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> str:
    """A Decimal written without exponent or trailing zeros: ``Decimal("50.0")`` → ``"50"``."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cell_number(number: Decimal) -> int | float:
    """A Decimal as the number a cell holds: an int when integral, otherwise a float."""
    return int(number) if number == number.to_integral_value() else float(number)


def _score_format(number: Decimal) -> str:
    """The number format for a score or weight: no decimals when integral, otherwise up to two."""
    return "0" if number == number.to_integral_value() else "0.0#"


def _display_width(text: str) -> int:
    """How many column-width units ``text`` takes: two for a wide (CJK) character, one otherwise."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _lines_needed(text: str, width: float) -> int:
    """Lines a wrapped ``text`` takes in a cell ``width`` units wide."""
    usable = max(width - 3.0, 2.0)  # the cell's padding and a left indent
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in text.split("\n"))


def _disagree(stated: Any, computed: Decimal | None) -> bool:
    """Whether a stated score differs from the computed one (compared as exact decimals)."""
    if stated is None or (isinstance(stated, str) and not stated.strip()):
        return False
    stated_number = _decimal(stated)
    return stated_number is None or computed is None or stated_number != computed


def _stated_text(stated: Any) -> str:
    """A stated score for a comment: its exact decimal when it is one, otherwise the text as given."""
    number = _decimal(stated)
    return _plain(number) if number is not None else str(stated).strip()


def _disagreement_comment(stated: Any, computed: Decimal | None, reason: str | None) -> str:
    """The comment on a 得分 the form states differently: both scores and the rule applied."""
    why = f"（{reason}）" if reason else ""
    if computed is None:
        return f"表内填报 {_stated_text(stated)} 分；按评分规则未能计算得分{why}"
    return f"表内填报 {_stated_text(stated)} 分；按评分规则计算为 {_plain(computed)} 分{why}"


def _text(value: Any) -> str:
    """A text value for a cell: stripped, or empty for None."""
    return "" if value is None else str(value).strip()


# ------------------------------------------------------------------ the sheet


class _Form:
    """The sheet being filled, row by row, with the form's styles."""

    def __init__(self, ws: Worksheet) -> None:
        """Start filling ``ws`` at its first row."""
        self.ws = ws
        self.row = 1
        #: Per row, the tallest text seen (in lines), for the row heights set at the end.
        self.lines: dict[int, int] = {}

    def _span_width(self, col: int, last_col: int) -> float:
        """The width, in column units, of columns ``col`` to ``last_col``."""
        return float(sum(COLUMN_WIDTHS[col - 1 : last_col]))

    def put(
        self,
        row: int,
        col: int,
        value: Any,
        *,
        last_col: int | None = None,
        last_row: int | None = None,
        bold: bool = False,
        align: str = "center",
        header: bool = False,
    ) -> Cell:
        """Write text (never a formula) into a cell, merging it over ``last_col``/``last_row`` when given.

        None and empty text show the em dash.
        """
        last_col = col if last_col is None else last_col
        last_row = row if last_row is None else last_row
        cell = self.ws.cell(row=row, column=col)
        text = _text(value)
        if text:
            write_text_cell(cell, text)  # a target like "=10个" is text, not a formula
        else:
            cell.value = MISSING
            align = "center"
        cell.font = Font(name=BODY_FONT, size=BODY_SIZE, bold=bold or header)
        indent = 1 if align == "left" else 0
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True, indent=indent)
        if header:
            cell.fill = HEADER_FILL
        if last_col != col or last_row != row:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=last_row, end_column=last_col)
        if last_row == row:
            lines = _lines_needed(cell.value, self._span_width(col, last_col))
            self.lines[row] = max(self.lines.get(row, 1), lines)
        return cell

    def number(self, row: int, col: int, value: Decimal | None, number_format: str) -> Cell:
        """Write a number with ``number_format``; None shows the em dash."""
        if value is None:
            return self.put(row, col, None)
        cell = self.ws.cell(row=row, column=col, value=_cell_number(value))
        cell.number_format = number_format
        cell.font = Font(name=BODY_FONT, size=BODY_SIZE)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        return cell

    def score(self, row: int, col: int, value: Any) -> Cell:
        """Write a score or weight given as an exact decimal string (None → em dash)."""
        number = _decimal(value)
        if number is None and value is not None and _text(value):
            return self.put(row, col, value)  # not a number: show it as given
        return self.number(row, col, number, _score_format(number) if number is not None else "General")

    def computed_score(self, row: int, col: int, score: Any, stated: Any, reason: str | None) -> Cell:
        """Write a computed 得分; mark it (fill and comment) when the form states a different one."""
        cell = self.score(row, col, score)
        computed = _decimal(score)
        if _disagree(stated, computed):
            cell.fill = DISAGREE_FILL
            comment = Comment(_disagreement_comment(stated, computed, reason), COMMENT_AUTHOR)
            comment.width, comment.height = 260, 90
            cell.comment = comment
        return cell

    def next_rows(self, count: int = 1) -> int:
        """Take ``count`` rows and return the first."""
        first = self.row
        self.row += count
        return first


def _money_reason(row: Mapping[str, Any]) -> str:
    """How a money row's 得分 is computed, for the disagreement comment."""
    given = _text(row.get("rule_text"))
    if given:
        return given
    rate = _decimal(row.get("rate"))
    weight = _decimal(row.get("weight"))
    if rate is not None and weight is not None:
        return f"执行率 {rate * 100:.2f}% × 分值 {_plain(weight)}，以分值为限"
    return "执行率 × 分值，以分值为限"


def _write_heading(form: _Form, doc: Mapping[str, Any]) -> None:
    """The title, the year and the 项目名称 / 主管部门 / 实施单位 rows."""
    r = form.next_rows()
    title = form.put(r, 1, FORM_TITLE, last_col=NCOLS)
    title.font = Font(name=TITLE_FONT, size=TITLE_SIZE, bold=True)
    form.ws.row_dimensions[r].height = 30
    r = form.next_rows()
    year = _text(doc.get("year"))
    form.put(r, 1, f"（{year}年度）" if year else "", last_col=NCOLS)
    if not year:
        form.ws.cell(row=r, column=1).value = None
    form.ws.row_dimensions[r].height = 20

    r = form.next_rows()
    form.put(r, 1, "项目名称", last_col=2, bold=True)
    form.put(r, 3, doc.get("fund_name"), last_col=NCOLS, align="left")
    r = form.next_rows()
    form.put(r, 1, "主管部门", last_col=2, bold=True)
    form.put(r, 3, doc.get("issuer"), last_col=5, align="left")
    form.put(r, 6, "实施单位", bold=True)
    implementer = form.put(r, 7, doc.get("implementer"), last_col=NCOLS, align="left")
    if doc.get("implementer") is None:
        implementer.value = None  # not stated: left blank, as on a paper form


def _write_money(form: _Form, doc: Mapping[str, Any]) -> None:
    """The 项目资金（万元） block: a header row, one row per money row, the note under it."""
    rows: Sequence[Mapping[str, Any]] = doc.get("money") or []
    note = _text(doc.get("money_note"))
    height = 1 + max(len(rows), 1) + (1 if note else 0)
    first = form.next_rows(height)
    form.put(first, 1, "项目资金\n（万元）", last_col=2, last_row=first + height - 1, bold=True)
    form.put(first, 3, "", header=True).value = None
    for offset, header in enumerate(MONEY_HEADERS):
        form.put(first, 4 + offset, header, header=True)
    r = first + 1
    if not rows:
        form.put(r, 3, "报告未给出项目资金", last_col=NCOLS)
        r += 1
    for row in rows:
        form.put(r, 3, row.get("label"), align="left")
        for offset, key in enumerate(("initial_yuan", "annual_yuan", "executed_yuan")):
            yuan = _decimal(row.get(key))
            form.number(r, 4 + offset, None if yuan is None else yuan / 10000, MONEY_FORMAT)
        form.score(r, 7, row.get("weight"))
        form.number(r, 8, _decimal(row.get("rate")), RATE_FORMAT)
        form.computed_score(r, 9, row.get("score"), row.get("stated_score"), _money_reason(row))
        r += 1
    if note:
        form.put(r, 3, f"注：{note}", last_col=NCOLS, align="left")


def _write_goals(form: _Form, doc: Mapping[str, Any]) -> None:
    """The 年度总体目标 block: 预期目标 | 实际完成情况, one row per goal."""
    goals: Sequence[Mapping[str, Any]] = doc.get("goals") or []
    height = 1 + max(len(goals), 1)
    first = form.next_rows(height)
    form.put(first, 1, "年度\n总体目标", last_col=2, last_row=first + height - 1, bold=True)
    form.put(first, 3, "预期目标", last_col=6, header=True)
    form.put(first, 7, "实际完成情况", last_col=NCOLS, header=True)
    if not goals:
        form.put(first + 1, 3, "报告未给出", last_col=NCOLS)
    for r, goal in enumerate(goals, start=first + 1):
        form.put(r, 3, goal.get("expected"), last_col=6, align="left")
        form.put(r, 7, goal.get("achieved"), last_col=NCOLS, align="left")


def _level1_label(level1: Any, weights: Mapping[str, Any]) -> str:
    """An 一级指标 cell's text: ``产出指标（50分）`` when its block weight is known."""
    name = _text(level1)
    weight = _decimal(weights.get(name))
    if not name:
        return MISSING
    return f"{name}\n（{_plain(weight)}分）" if weight is not None else name


def _write_indicators(form: _Form, doc: Mapping[str, Any]) -> None:
    """The 绩效指标 block: a header row, one row per indicator, 一级指标 merged per run."""
    indicators: Sequence[Mapping[str, Any]] = doc.get("indicators") or []
    weights = {_text(b.get("level1")): b.get("weight") for b in doc.get("blocks") or []}
    height = 1 + max(len(indicators), 1)
    first = form.next_rows(height)
    form.put(first, 1, "绩效\n指标", last_row=first + height - 1, bold=True)
    for offset, header in enumerate(INDICATOR_HEADERS):
        form.put(first, 2 + offset, header, header=True)
    if not indicators:
        form.put(first + 1, 2, "报告未给出绩效指标", last_col=NCOLS)
        return
    start = 0
    for i in range(1, len(indicators) + 1):
        if i == len(indicators) or _text(indicators[i].get("level1")) != _text(indicators[start].get("level1")):
            form.put(first + 1 + start, 2, _level1_label(indicators[start].get("level1"), weights),
                     last_row=first + i, bold=True)
            start = i
    for r, ind in enumerate(indicators, start=first + 1):
        form.put(r, 3, ind.get("level2"))
        form.put(r, 4, ind.get("name"))
        form.put(r, 5, ind.get("target"))
        form.put(r, 6, ind.get("actual"))
        form.score(r, 7, ind.get("weight"))
        form.computed_score(r, 8, ind.get("score"), ind.get("stated_score"), _text(ind.get("rule_text")) or None)
        deviation = form.put(r, 9, ind.get("deviation"), align="left")
        if ind.get("deviation") is None:
            deviation.value = None  # nothing to explain: blank, as on the form


def _write_total(form: _Form, doc: Mapping[str, Any]) -> None:
    """The 总分 row: the maximum under 分值, the total under 得分, the grade after it."""
    r = form.next_rows()
    form.put(r, 1, "总分", last_col=6, bold=True)
    form.score(r, 7, doc.get("max_total"))
    total = form.computed_score(r, 8, doc.get("total"), doc.get("stated_total"), "各项得分之和")
    total.font = Font(name=BODY_FONT, size=BODY_SIZE, bold=True)
    grade = _text(doc.get("grade"))
    unfinished = "不评等级（自评表不完整，见注）" if doc.get("complete") is False else None
    form.put(r, 9, f"等级：{grade}" if grade else unfinished, bold=bool(grade))


def _write_notes(form: _Form, doc: Mapping[str, Any]) -> None:
    """The notes under the form, one merged, wrapped row each."""
    for note in doc.get("notes") or []:
        text = _text(note)
        if text:
            form.put(form.next_rows(), 1, text, last_col=NCOLS, align="left")


def _finish(form: _Form, form_end: int) -> None:
    """Borders, column widths, row heights and the page setup for printing."""
    ws = form.ws
    for row in ws.iter_rows(min_row=3, max_row=form_end, max_col=NCOLS):
        for cell in row:
            cell.border = BORDER
    for col, width in enumerate(COLUMN_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, lines in form.lines.items():
        if ws.row_dimensions[row].height is None:
            ws.row_dimensions[row].height = max(22.0, lines * LINE_HEIGHT + ROW_PADDING)

    last_row = max(form.row - 1, form_end)
    ws.print_area = f"A1:{get_column_letter(NCOLS)}{last_row}"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6


def form_workbook(doc: Mapping[str, Any]) -> bytes:
    """The filled 项目支出绩效自评表 as .xlsx bytes (one sheet '自评表', A4 landscape)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    form = _Form(ws)
    _write_heading(form, doc)
    _write_money(form, doc)
    _write_goals(form, doc)
    _write_indicators(form, doc)
    _write_total(form, doc)
    form_end = form.row - 1
    _write_notes(form, doc)
    _finish(form, form_end)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
