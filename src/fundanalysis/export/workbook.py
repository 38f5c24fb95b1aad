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
from fundanalysis.export.formulas import FORMULA_PREFIXES
from fundanalysis.present import words

MONEY, PERCENT, COUNT, TEXT, POINTS = "money", "percent", "count", "text", "points"
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
                cell.data_type = "s"  # text stays text: "=…" is not a formula
                if cell.value.startswith(FORMULA_PREFIXES):
                    cell.quotePrefix = True
            if flag is not None and flag(row):
                cell.fill = bad
    for i, (_, header, kind) in enumerate(cols, start=1):
        longest = max([len(str(header))] + [len(str(ws.cell(r, i).value or "")) for r in range(2, ws.max_row + 1)])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, longest * (2.1 if kind == TEXT else 1.3)))
    ws.freeze_panes = "A2"


def _key_figures(summary: dict[str, Any]) -> pd.DataFrame:
    """The year's key figures as (item, value, kind) rows."""
    word = words.spent_word(summary.get("spent_word"))
    rows = [("专项资金", summary.get("fund_name"), TEXT), ("年度", summary.get("year"), YEAR),
            (words.budget_label(summary.get("budget_basis")), summary.get("budget_fen"), MONEY),
            (f"已{word}", summary.get("spent_fen"), MONEY), ("执行率", summary.get("utilisation"), PERCENT),
            ("结余", summary.get("unspent_fen"), MONEY), ("到位资金", summary.get("received_fen"), MONEY),
            ("到位率", summary.get("receipt_rate"), PERCENT), ("项目数", summary.get("projects"), COUNT),
            ("核对不符项", summary.get("reconciliation_failed"), COUNT)]
    card = summary.get("scorecard")
    if card is not None and card.get("total") is not None:
        rows += [("自评得分", card["total"], POINTS), ("自评满分", card["max_total"], POINTS),
                 ("自评等级", card.get("grade"), TEXT)]
    return pd.DataFrame(rows, columns=["item", "value", "kind"])


def tables_workbook(tables: dict[str, pd.DataFrame], summary: dict[str, Any]) -> bytes:
    """The year's computed tables as .xlsx bytes (see the module docstring)."""
    wb = Workbook()
    wb.remove(wb.active)
    key = _key_figures(summary)
    ws = wb.create_sheet("关键数字")
    ws.append(["项目", "数值", "单位"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F0F4F8")
    for _, r in key.iterrows():
        value = _cell_value(r["value"], r["kind"])
        ws.append([r["item"], words.NOT_STATED if value is None else value,
                   {MONEY: "万元", POINTS: "分"}.get(r["kind"], "") if value is not None else ""])
        c = ws.cell(ws.max_row, 2)
        if r["kind"] in FORMATS and not isinstance(c.value, str | None):
            c.number_format = FORMATS[r["kind"]]
        if isinstance(c.value, str):
            c.data_type = "s"
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 16, 36
    ws.freeze_panes = "A2"

    word = words.spent_word(summary.get("spent_word"))
    u = metrics.utilisation(tables)
    _sheet(wb, "资金使用", u, [("scope_name", "范围", TEXT), ("budget_fen", "预算", MONEY),
                           ("spent_fen", f"已{word}", MONEY), ("unspent_fen", "结余", MONEY),
                           ("utilisation", "执行率", PERCENT), ("utilisation_initial", "执行率（按年初预算）", PERCENT),
                           ("received_fen", "到位资金", MONEY), ("receipt_rate", "到位率", PERCENT)],
           flag=lambda r: bool(r["over_budget"]))
    parts = metrics.spending_by_part(tables)
    if len(parts) and not (len(parts) == 1 and pd.isna(parts["part"].iloc[0])):
        _sheet(wb, "分部分", parts.assign(part=parts["part"].map(words.part_name)),
               [("part", "部分", TEXT), ("department", "负责处室", TEXT), ("projects", "项目数", COUNT),
                ("budget_fen", "预算", MONEY), ("spent_fen", f"{word}资金", MONEY), ("share", "占比", SHARE)])
    lines = tables.get("lines")
    if lines is not None and len(lines):
        _sheet(wb, "支出明细", lines.assign(part=lines["part"].map(words.part_name)),
               [("part", "部分", TEXT), ("item", "明细", TEXT), ("quantity", "数量", COUNT),
                ("quantity_unit", "单位", TEXT), ("initial_fen", "年初预算数", MONEY),
                ("adjustment_fen", "调整数", MONEY), ("annual_fen", "全年预算数", MONEY),
                ("executed_fen", f"已{word}", MONEY), ("status", "状态", TEXT)])
    cats = tables.get("award_categories")
    if cats is not None and len(cats):
        _sheet(wb, "奖励类别", metrics.category_totals(cats),
               [("category", "类别", TEXT), ("level", "级别", TEXT), ("recipients", "获奖单位数", COUNT),
                ("amount_fen", "奖励金额", MONEY), ("share", "占比", SHARE),
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
    rec = reconcile_totals(tables)
    sources = metrics.spending_sources(tables)
    shown = rec.assign(
        description=[words.describe_check(x["rule"], x["part"], x["subject"], x["computed"], sources)
                     for _, x in rec.iterrows()],
        result=[words.CHECK_RESULT[o if isinstance(o, bool) else None] for o in rec["ok"]],
        stated_t=[_check_value(v, u) for v, u in zip(rec["stated"], rec["unit"], strict=True)],
        computed_t=[_check_value(v, u) for v, u in zip(rec["computed"], rec["unit"], strict=True)],
        unit_t=["万元" if u == "元" else u for u in rec["unit"]])
    _sheet(wb, "报告总计核对", shown, [("check", "核对项", TEXT), ("description", "口径", TEXT),
                                  ("stated_t", "报告数", TEXT), ("computed_t", "计算数", TEXT),
                                  ("unit_t", "单位", TEXT), ("result", "结果", TEXT)],
           flag=lambda x: x["ok"] is False)
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


def _check_value(v: Any, unit: Any) -> str | None:
    """A reconciliation value as the report shows it (money in 万元)."""
    from fractions import Fraction

    from fundanalysis.present import fmt

    if _missing(v):
        return None
    if unit == "元" and not isinstance(v, str):
        return fmt.wan(v)
    if unit == "%":
        return fmt.pct(Fraction(str(v)))
    return str(v)
