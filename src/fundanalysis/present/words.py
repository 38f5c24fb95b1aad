"""The Chinese words for the codes analysis returns: one home for every display label."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundanalysis.vocab import Concentration, RankSource, Rule, Scope

#: A part the input does not name (spending whose 所属部分 is empty).
UNASSIGNED_PART = "未注明部分"
#: A value the report does not give (a procurement method, a level).
NOT_STATED = "未注明"
#: The stated-total scope that covers the whole fund.
WHOLE_FUND = "全部"

SCOPE = {Scope.FUND: "整体", Scope.PART: "部分"}
RANK_SOURCE = {RankSource.STATED: "报告", RankSource.PEERS: "按全省城市数值计算"}
CONCENTRATION = {Concentration.HIGH: "高度集中", Concentration.MODERATE: "中度集中", Concentration.LOW: "较分散"}
CHECK_RESULT = {True: "相符", False: "不符", None: "无法核对"}

#: What each reconciliation rule compares; ``{scope}``, ``{subject}`` are filled in.
RULE = {
    Rule.PROJECTS: "{scope}项目数 = 各类获奖单位数 + 各单位宣传项目数",
    Rule.SPENT: "{scope}使用资金 = 各类奖励金额 + 各单位宣传金额",
    Rule.CATEGORIES: "{scope}奖励类别数 = 奖励类别表的行数",
    Rule.OUTLETS: "{scope}承担单位数 = 媒体单位表的行数",
    Rule.PROCUREMENT_TOTAL: "政府采购单位数 + 自行采购单位数 = 承担单位数",
    Rule.PROCUREMENT_METHOD: "{subject}的单位数 = 媒体单位表中注明{subject}的单位数",
    Rule.TITLES: "{subject}的项目数 = 报告列出的项目名称数",
    Rule.RECIPIENTS: "类别表的获奖单位数 = 企业明细的行数",
    Rule.AWARD_AMOUNT: "类别表的奖励金额 = 企业明细金额之和",
    Rule.COMPONENTS: "指标数值 = 各分项之和",
    Rule.SHARE: "报告所述占全省比例 = 本市 ÷ 全省",
    Rule.RANK_TEXT: "名次 = 名次表述中的名次",
}
#: Said after a procurement check the report gives too little to make.
PROCUREMENT_UNKNOWN = "（报告未注明各单位的采购方式，无法逐一核对）"


def label(value: Any, words: dict, missing: str = NOT_STATED) -> str:
    """The word for a code, or ``missing`` for NA."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return missing
    return words.get(value, str(value))


def part_name(part: Any) -> str:
    """A part's name, or :data:`UNASSIGNED_PART` when the input gives none."""
    return label(part, {}, UNASSIGNED_PART)


def describe_check(rule: Any, part: Any = None, subject: Any = None, computed: Any = None) -> str:
    """The description of a reconciliation check, e.g. ``全部项目数 = 各类获奖单位数 + …``."""
    scope = WHOLE_FUND if part is None or (not isinstance(part, str) and pd.isna(part)) else str(part)
    text = RULE[Rule(rule)].format(scope=scope, subject="" if subject is None else subject)
    if rule == Rule.PROCUREMENT_METHOD and (computed is None or
                                           (not isinstance(computed, str) and pd.isna(computed))):
        text += PROCUREMENT_UNKNOWN
    return text


def report_names(tables: dict[str, pd.DataFrame], names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Report names from the ``source`` columns (text before ``／``), first seen first.

    Falls back to the fund's issuer, year and name when no source is recorded.
    """
    found: list[str] = []
    for name in names or list(tables):
        df = tables.get(name)
        if df is None or "source" not in df:
            continue
        for s in df["source"].dropna():
            rep = str(s).split("／")[0].strip()
            if rep and rep not in found:
                found.append(rep)
    if not found and "fund" in tables and len(tables["fund"]):
        f = tables["fund"].iloc[0]
        found.append(f"{f['issuer']}{int(f['year'])}年度{f['fund_name']}自我评价报告")
    return found
