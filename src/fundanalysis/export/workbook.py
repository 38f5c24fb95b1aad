"""The computed tables of a year as one Excel workbook, for people who paste into briefings.

One sheet per table (关键数字, 资金使用, 分部分, 支出明细, 奖励类别, 宣传单位, 排名与成果, 报告总计核对,
自评表得分 — each only when the year has it): Chinese headers, money in 万元 with a ``#,##0.00``
format (the value is the exact 分 amount ÷ 1,000,000), percentages as numbers with ``0.00%``,
frozen header rows and sensible widths. Text is written as text: a cell starting with ``=``,
``+``, ``-`` or ``@`` never becomes a formula (the rule of the processed CSV files).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from fundanalysis.analysis import metrics, selfeval
from fundanalysis.analysis.reconcile import reconcile_totals
from fundanalysis.present import words
from fundanalysis.storage.formulas import write_text_cell

MONEY, PERCENT, COUNT, TEXT, POINTS = "money", "percent", "count", "text", "points"
#: A column whose cells are numbers of different kinds row by row (the reconciliation's 报告数,
#: 计算数 and 差额): the value is written as given, the format set per row.
NUMBER = "number"
#: a year (no thousands separator) and a share (one decimal, as the pages show shares)
YEAR, SHARE = "year", "share"
FORMATS = {MONEY: "#,##0.00", PERCENT: "0.00%", COUNT: "#,##0", POINTS: "0.0#", YEAR: "0", SHARE: "0.0%"}
#: (source column, Chinese header, kind); money headers get （万元） added.
Spec = Sequence[tuple[str, str, str]]


def _missing(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def _cell_value(v: Any, kind: str) -> Any:
    """The value written for a cell of a kind: 分 → 万元 (exact decimal, as a number), ratios and
    counts as numbers, codes and text as text."""
    if _missing(v):
        return None
    if kind == MONEY:
        return float(Decimal(int(v)) / Decimal(1_000_000))
    if kind in (PERCENT, SHARE, POINTS):
        return float(v)
    if kind in (COUNT, YEAR):
        return int(v)
    if kind == NUMBER:
        return v
    return str(v)


def _sheet(wb: Workbook, title: str, df: pd.DataFrame, spec: Spec,
           flag: Callable[[pd.Series], bool] | None = None) -> None:
    """Write one table: bold shaded header (frozen), formats per kind, widths from the content."""
    ws = wb.create_sheet(title)
    cols = [(c, h + ("（万元）" if k == MONEY else ""), k) for c, h, k in spec if c in df.columns]
    ws.append([h for _, h, _ in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F0F4F8")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    bad = PatternFill("solid", fgColor="FEF3F2")
    for _, row in df.iterrows():
        values = [_cell_value(row[c], k) for c, _, k in cols]
        ws.append(values)
        r = ws.max_row
        for i, (_, _, kind) in enumerate(cols, start=1):
            cell = ws.cell(r, i)
            if kind in FORMATS and cell.value is not None:
                cell.number_format = FORMATS[kind]
            if isinstance(cell.value, str):
                write_text_cell(cell, cell.value)  # text stays text: "=…" is not a formula
            if flag is not None and flag(row):
                cell.fill = bad
    for i, (_, header, kind) in enumerate(cols, start=1):
        longest = max([len(str(header))] + [len(str(ws.cell(r, i).value or "")) for r in range(2, ws.max_row + 1)])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, longest * (2.1 if kind == TEXT else 1.3)))
    ws.freeze_panes = "A2"


def _key_figures(summary: dict[str, Any]) -> pd.DataFrame:
    """The year's key figures as (item, value, kind) rows."""
    word = words.amount_word(summary.get("spent_kind"), summary.get("spent_word"))
    rows = [("专项资金", summary.get("fund_name"), TEXT), ("年度", summary.get("year"), YEAR),
            (words.budget_label(summary.get("budget_basis")), summary.get("budget_fen"), MONEY),
            (f"已{word}", summary.get("allocated_fen") if summary.get("spent_kind") == "allocated"
             else summary.get("spent_fen"), MONEY), ("执行率", summary.get("utilisation"), PERCENT),
            ("结余", summary.get("unspent_fen"), MONEY), ("到位资金", summary.get("received_fen"), MONEY),
            ("到位率", summary.get("receipt_rate"), PERCENT), ("项目数", summary.get("projects"), COUNT),
            ("核对不符项", summary.get("reconciliation_failed"), COUNT)]
    card = summary.get("scorecard")
    if card is not None and card.get("total") is not None:
        rows += [("自评得分", card["total"], POINTS), ("自评满分", card["max_total"], POINTS),
                 ("自评等级", card.get("grade"), TEXT)]
    prov = summary.get("provenance") or {}
    keys = {2: "budget_yuan", 3: "allocated_yuan" if summary.get("spent_kind") == "allocated" else "spent_yuan",
            4: "utilisation", 5: "unspent_yuan", 6: "received_yuan", 7: "receipt_rate"}
    origin = [words.provenance(prov.get(keys[i])) if i in keys and prov else "" for i in range(len(rows))]
    return pd.DataFrame(rows, columns=["item", "value", "kind"]).assign(origin=origin)


def tables_workbook(tables: dict[str, pd.DataFrame], summary: dict[str, Any]) -> bytes:
    """The year's computed tables as .xlsx bytes (see the module docstring)."""
    wb = Workbook()
    wb.remove(wb.active)
    key = _key_figures(summary)
    ws = wb.create_sheet("关键数字")
    ws.append(["项目", "数值", "单位", "来源"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F0F4F8")
    for _, r in key.iterrows():
        value = _cell_value(r["value"], r["kind"])
        ws.append([r["item"], words.NOT_STATED if value is None else value,
                   {MONEY: "万元", POINTS: "分"}.get(r["kind"], "") if value is not None else "", r["origin"]])
        c = ws.cell(ws.max_row, 2)
        if r["kind"] in FORMATS and not isinstance(c.value, str | None):
            c.number_format = FORMATS[r["kind"]]
        if isinstance(c.value, str):
            write_text_cell(c, c.value)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 16, 36
    ws.column_dimensions["D"].width = 48
    ws.freeze_panes = "A2"

    word = words.amount_word(summary.get("spent_kind"), summary.get("spent_word"))
    u = metrics.utilisation(tables)
    amount = "allocated_fen" if summary.get("spent_kind") == "allocated" else "spent_fen"
    _sheet(wb, "资金使用", u, [("scope_name", "范围", TEXT), ("budget_fen", "预算", MONEY),
                           (amount, f"已{word}", MONEY), ("unspent_fen", "结余", MONEY),
                           ("utilisation", "执行率", PERCENT), ("utilisation_initial", "执行率（按年初预算）", PERCENT),
                           ("received_fen", "到位资金", MONEY), ("receipt_rate", "到位率", PERCENT)],
           flag=lambda r: bool(r["over_budget"]))
    parts = metrics.spending_by_part(tables)
    if len(parts) and not (len(parts) == 1 and pd.isna(parts["part"].iloc[0])):
        _sheet(wb, "分部分", parts.assign(part=parts["part"].map(words.part_name)),
               [("part", "部分", TEXT), ("department", "负责处室", TEXT), ("projects", "项目数", COUNT),
                ("budget_fen", "预算", MONEY), (amount, f"已{word}资金", MONEY), ("share", "占比", SHARE)])
    lines = tables.get("lines")
    if lines is not None and len(lines):
        _sheet(wb, "支出明细", lines.assign(part=lines["part"].map(words.part_name)),
               [("part", "部分", TEXT), ("item", "明细", TEXT), ("quantity", "数量", COUNT),
                ("quantity_unit", "单位", TEXT), ("initial_fen", "年初预算数", MONEY),
                ("adjustment_fen", "调整数", MONEY), ("annual_fen", "全年预算数", MONEY),
                ("executed_fen", f"已{word}", MONEY), ("status", "状态", TEXT)])
    cats = tables.get("award_categories")
    if cats is not None and len(cats):
        aw = words.support_words(words.support_kind(tables))  # the fund's kind of support: 奖励, 补助 …
        _sheet(wb, f"{aw['kind']}类别", metrics.category_totals(cats),
               [("category", "类别", TEXT), ("level", "级别", TEXT), ("recipients", aw["recipients"], COUNT),
                ("amount_fen", aw["amount"], MONEY), ("share", "占比", SHARE),
                ("avg_per_recipient_fen", "平均每家", MONEY)])
    media = tables.get("media_outlets")
    if media is not None and len(media):
        _sheet(wb, "宣传单位", metrics.media_shares(media).assign(
            procurement=lambda d: d["procurement"].map(lambda v: words.label(v, {}))),
               [("outlet", "单位", TEXT), ("item_count", "项目数", COUNT), ("amount_fen", "金额", MONEY),
                ("share", "占比", SHARE), ("avg_per_item_fen", "平均每项", MONEY),
                ("procurement", "采购方式", TEXT)])
    if "rankings" in tables and len(tables["rankings"]):
        r = metrics.rankings_table(tables)
        _sheet(wb, "排名与成果", r, [("indicator", "指标", TEXT), ("value", "数值", COUNT), ("unit", "单位", TEXT),
                                  ("rank_number", "名次", COUNT), ("rank_text", "报告表述", TEXT),
                                  ("scope", "范围", TEXT), ("province_share", "占全省", PERCENT),
                                  ("nation_share", "占全国", PERCENT), ("note", "备注", TEXT)])
    _reconciliation_sheet(wb, tables)
    se = selfeval.self_evaluation(tables)
    if se is not None and se.indicators:
        from fundanalysis.present.form import indicator_frame

        _sheet(wb, "自评表得分", indicator_frame(se),
               [("level1", "一级指标", TEXT), ("level2", "二级指标", TEXT), ("name", "三级指标", TEXT),
                ("target", "年度指标值", TEXT), ("actual", "实际完成值", TEXT), ("weight", "分值", POINTS),
                ("stated", "得分（表内）", POINTS), ("score", "得分（计算）", POINTS), ("rule", "计分规则", TEXT)],
               flag=lambda x: x["ok"] is False)
    for sheet in wb.worksheets:
        print_setup(sheet)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: Column width (Excel's character units) that fits across an A4 page upright at 100 %; wider
#: sheets print across (landscape), and every sheet is scaled to its page's width.
A4_PORTRAIT_WIDTH = 95


def print_setup(ws: Any) -> None:
    """A4, upright or across by the sheet's width, scaled to one page wide (as many long as
    needed), the header row printed on every page, and an autofilter over the table."""
    from openpyxl.worksheet.properties import PageSetupProperties

    widths = sum((ws.column_dimensions[get_column_letter(i)].width or 13) for i in range(1, ws.max_column + 1))
    ws.page_setup.paperSize = ws.PAPERSIZE_A4  # 9
    ws.page_setup.orientation = "landscape" if widths > A4_PORTRAIT_WIDTH else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    if ws.max_row > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"


def _reconciliation_sheet(wb: Workbook, tables: dict[str, pd.DataFrame]) -> None:
    """报告总计核对: each check with 报告数, 计算数 and 差额 as numbers in the row's unit (万元, or
    元 where 万元 would round; counts; rates as percentages), its 单位 and result."""
    from fundanalysis.present import fmt

    rec = reconcile_totals(tables)
    sources = metrics.spending_sources(tables)
    units = [fmt.check_unit(r["unit"], [r["stated"], r["computed"], r["difference"]]) for _, r in rec.iterrows()]
    cells = [[_check_number(r[c], u) for c in ("stated", "computed", "difference")]
             for (_, r), u in zip(rec.iterrows(), units, strict=True)]
    shown = rec.assign(
        description=[words.describe_check(x["rule"], x["part"], x["subject"], x["computed"], sources)
                     for _, x in rec.iterrows()],
        result=[words.check_result(x["ok"], x["reason"]) for _, x in rec.iterrows()],
        stated_n=[c[0][0] for c in cells], computed_n=[c[1][0] for c in cells],
        difference_n=[c[2][0] for c in cells], unit_t=units)
    _sheet(wb, "报告总计核对", shown, [("check", "核对项", TEXT), ("description", "口径", TEXT),
                                  ("stated_n", "报告数", NUMBER), ("computed_n", "计算数", NUMBER),
                                  ("difference_n", "差额", NUMBER), ("unit_t", "单位", TEXT),
                                  ("result", "结果", TEXT)],
           flag=lambda x: x["ok"] is False)
    ws = wb["报告总计核对"]
    for i, row in enumerate(cells, start=2):
        for j, (value, number_format) in enumerate(row, start=3):
            if value is not None and number_format:
                ws.cell(i, j).number_format = number_format


def _check_number(v: Any, unit: str) -> tuple[Any, str | None]:
    """A reconciliation value as a workbook cell and its number format: money as a number of the
    row's unit, rates and shares as fractions of 1 (percent format), counts and points as numbers;
    text (a list of names) stays text."""
    from fractions import Fraction

    if _missing(v):
        return None, None
    if isinstance(v, str):
        try:
            ratio = Fraction(v)
        except (ValueError, ZeroDivisionError):
            return v, None
        if unit in ("%", "比例"):
            return float(ratio), "0.00%"
        return (int(ratio), "#,##0") if ratio.denominator == 1 else (float(ratio), "0.0#")
    if unit == "万元":
        return float(Decimal(int(v)) / Decimal(1_000_000)), "#,##0.00"
    if unit == "元":
        return float(Decimal(int(v)) / Decimal(100)), "#,##0.00"
    if float(v).is_integer():
        return int(v), "#,##0"
    return float(v), "0.0#"
