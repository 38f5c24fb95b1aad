"""The Chinese words for the codes analysis returns: one home for every display label."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundanalysis.vocab import BudgetBasis, Concentration, RankSource, Rule, Scope, SpentBasis

#: A part the input does not name (spending whose 所属部分 is empty).
UNASSIGNED_PART = "未注明部分"
#: A value the report does not give (a procurement method, a level).
NOT_STATED = "未注明"
#: The stated-total scope that covers the whole fund.
WHOLE_FUND = "全部"

SCOPE = {Scope.FUND: "整体", Scope.PART: "部分"}
#: What a budget figure is called, by where it comes from.
BUDGET_BASIS = {BudgetBasis.ANNUAL: "全年预算数", BudgetBasis.INITIAL_PLUS_ADJUSTMENT: "全年预算数",
                BudgetBasis.INITIAL: "年初预算数", BudgetBasis.UNSPECIFIED: "专项资金总额"}
#: How the budget figure was found, said beside it.
BUDGET_BASIS_NOTE = {BudgetBasis.ANNUAL: "报告所述全年预算数",
                     BudgetBasis.INITIAL_PLUS_ADJUSTMENT: "按年初预算数 + 调整数计算",
                     BudgetBasis.INITIAL: "报告只给出年初预算数",
                     BudgetBasis.UNSPECIFIED: "报告未注明预算阶段"}
SPENT_BASIS = {SpentBasis.STATED: "报告所述", SpentBasis.SUM_OF_LINES: "各明细之和"}
#: The word for what was executed when the report gives none (the standard form's 执行).
DEFAULT_SPENT_WORD = "执行"
RANK_SOURCE = {RankSource.STATED: "报告", RankSource.PEERS: "按全省城市数值计算"}
CONCENTRATION = {Concentration.HIGH: "高度集中", Concentration.MODERATE: "中度集中", Concentration.LOW: "较分散"}
CHECK_RESULT = {True: "相符", False: "不符", None: "无法核对"}

#: What each reconciliation rule compares; ``{scope}``, ``{subject}`` are filled in.
RULE = {
    Rule.PROJECTS: "{scope}项目数 = {counts}",
    Rule.SPENT: "{scope}使用资金 = {sources}",
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
    Rule.PHASES: "年初预算数 + 调整数 = 全年预算数",
    Rule.PART_BUDGETS: "各部分预算之和 = 专项资金预算",
    Rule.LINE_PHASE: "各明细{subject}之和 = {scope}{subject}",
    Rule.EXECUTED_LINES: "{scope}全年执行数 = {sources}之和",
    Rule.PART_EXECUTION: "各部分执行数之和 = 专项资金全年执行数",
    Rule.INSTALMENTS: "各批到位资金之和 = 到位资金",
    Rule.STATED_PHASE: "报告所述{scope}{subject} = 各明细{subject}之和",
    Rule.FORM_MONEY_TOTAL: "自评表年度资金总额的{subject} = 各资金来源{subject}之和",
    Rule.FORM_RATE: "表内执行率 = 全年执行数 ÷ 全年预算数（{subject}）",
    Rule.FORM_SCORE: "表内得分 = 按评分规则计算的得分（{subject}）",
    Rule.FORM_BLOCK_WEIGHT: "{subject}的分值合计 = 评分规则的权重",
    Rule.FORM_UNKNOWN_BLOCK: "一级指标“{subject}”应为评分规则所列的一级指标之一",
    Rule.FORM_DUPLICATE: "三级指标“{subject}”只应出现在一个一级指标下",
    Rule.FORM_TOTAL_WEIGHT: "全部分值之和（含预算执行）= 100",
    Rule.FORM_TOTAL: "表内总分 = 预算执行得分 + 各指标得分",
    Rule.INSTALMENTS_BUDGET: "各批到位资金之和 = 预算（报告未给出到位资金合计）",
    Rule.SCALE: "{subject}的金额与同列其他金额在同一数量级",
}
#: The spending rows of each kind, as a rule names their money and their counts.
SOURCE_WORDS = {"award_categories": "各类奖励金额", "media_outlets": "各单位宣传金额", "lines": "各明细执行数"}
COUNT_WORDS = {"award_categories": "各类获奖单位数", "media_outlets": "各单位宣传项目数",
               "lines": "各明细数量（项、个）"}
#: A figure a check needs, by its column, as a reason names it.
FIGURE = {"quantity": "数量（项、个）", "recipients": "获奖单位数", "item_count": "项目数",
          "amount_fen": "金额", "initial_fen": "年初预算数", "adjustment_fen": "调整数",
          "annual_fen": "全年预算数", "executed_fen": "全年执行数"}
#: The rows of a table as a reason counts them: (measure word, noun).
ROWS = {"lines": ("条", "明细"), "media_outlets": ("家", "媒体单位"), "award_categories": ("类", "奖励类别"),
        "instalments": ("批", "到位资金"), "parts": ("个", "部分")}


def describe_reason(reason: Any) -> str:
    """Why a check could not be made (or what a scale finding is), from its code:
    ``6 条明细中 5 条未给出数量（项、个）``.

    >>> describe_reason({"code": "rows_missing", "table": "lines", "figure": "quantity", "rows": 6, "missing": 5})
    '6 条明细中 5 条未给出数量（项、个）'
    >>> describe_reason({"code": "parts_uncovered", "parts": ["甲", "乙"], "figure": "executed_fen"})
    '部分“甲”“乙”没有给出全年执行数的明细，明细之和不是全部的合计'
    """
    if not isinstance(reason, dict):
        return ""
    code = reason.get("code")
    figure = FIGURE.get(str(reason.get("figure")), str(reason.get("figure")))
    if code == "rows_missing":
        measure, noun = ROWS.get(str(reason.get("table")), ("行", "明细"))
        return f"{reason['rows']} {measure}{noun}中 {reason['missing']} {measure}未给出{figure}"
    if code == "parts_uncovered":
        names = "".join(f"“{part_name(p)}”" for p in reason["parts"])
        return f"部分{names}没有给出{figure}的明细，明细之和不是全部的合计"
    if code == "no_rows":
        return f"报告未列出给出{figure}的明细"
    if code == "scale":
        return (f"该金额与同列其他金额的中位数相差 {reason['ratio']:,} 倍以上，"
                "可能把万元写成了元（或相反），请核对原文")
    return ""


def check_result(ok: Any, reason: Any = None) -> str:
    """The result of a check in words, with why it could not be made when it could not.

    >>> check_result(True), check_result(None, {"code": "rows_missing", "table": "lines",
    ...     "figure": "executed_fen", "rows": 3, "missing": 1})
    ('相符', '无法核对（3 条明细中 1 条未给出全年执行数）')
    """
    result = CHECK_RESULT[ok if isinstance(ok, bool) else None]
    why = describe_reason(reason)
    return f"{result}（{why}）" if why and ok is not True else result


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


def describe_check(rule: Any, part: Any = None, subject: Any = None, computed: Any = None,
                   sources: list[str] | tuple[str, ...] = ("award_categories", "media_outlets")) -> str:
    """The description of a reconciliation check, e.g. ``全部项目数 = 各类获奖单位数 + …``.

    ``sources`` are the kinds of spending rows the fund has (they name what a sum adds up).
    """
    scope = WHOLE_FUND if part is None or (not isinstance(part, str) and pd.isna(part)) else str(part)
    added = " + ".join(SOURCE_WORDS[s] for s in sources if s in SOURCE_WORDS) or "各明细金额"
    counts = " + ".join(COUNT_WORDS[s] for s in sources if s in COUNT_WORDS) or "各明细数量"
    text = RULE[Rule(rule)].format(scope=scope, subject="" if subject is None else subject,
                                   sources=added, counts=counts)
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


def spent_word(word: Any) -> str:
    """The report's word for what was executed (使用, 支出, 拨付, 安排), or 执行."""
    return DEFAULT_SPENT_WORD if word is None or (not isinstance(word, str) and pd.isna(word)) else str(word)


def budget_label(basis: Any) -> str:
    """What to call a budget figure: 全年预算数, 年初预算数, or 专项资金总额 (phase not named)."""
    return BUDGET_BASIS.get(basis, "预算") if basis is not None else "预算"


def rank_scopes(rankings: pd.DataFrame | None) -> list[str]:
    """The scopes (全省, 全国, 全市) of the indicators that have a rank, in words or in numbers."""
    from fundanalysis.ingest.clean import is_text_rank

    if rankings is None or not len(rankings):
        return []
    ranked = rankings[rankings["rank_number"].notna() | rankings["rank_text"].map(is_text_rank)]
    return list(dict.fromkeys(str(s) for s in ranked["scope"].dropna()))


def titled(title: str, prefix: str | None, tables: dict[str, pd.DataFrame]) -> str:
    """A section's title with the words its data puts before it (``全省`` + ``排名与成果``)."""
    if prefix == "rank_scope":
        return "、".join(rank_scopes(tables.get("rankings"))) + title
    return title


#: What decided a score of the self-evaluation form (codes of analysis.scoring.Rule).
SCORE_RULE = {
    "budget_rate": "执行率 × 分值",
    "budget_capped_over_100": "执行率超过 100%，按满分计（封顶）",
    "budget_symmetric_over_100": "执行率超过 100%，按超出部分对称扣分",
    "budget_below_threshold": "执行率低于评分规则的门槛，不得分",
    "budget_no_rate": "缺少预算数或执行数，无法计算执行率",
    "total_from_sources": "年度资金总额未填或填为 0，按各资金来源之和计算",
    "ge_met": "达到目标，满分",
    "ge_proportional": "未达目标，按 实际 ÷ 目标 计分",
    "le_met": "未超过上限，满分",
    "le_proportional": "超过上限，按 目标 ÷ 实际 计分",
    "eq_met": "与目标相等，满分",
    "eq_deviation": "偏离目标，按偏差比例扣分",
    "time_met": "按时完成，满分",
    "time_late": "未按时完成，不得分",
    "time_late_deduction": "未按时完成，按逾期月数扣分",
    "qual_met": "达成预期指标，满分",
    "qual_partial": "部分达成，按评分规则的比例计分",
    "qual_missed": "未达成，不得分",
    "text_matches_target": "实际完成值与指标值相同，视为达成",
    "operator_assumed": "指标值与指标性质都未写 ≥、≤ 或 =，按 ≥ 计",
}


def score_rule(code: Any) -> str:
    """The words for a scoring rule code (the code itself if unknown)."""
    return SCORE_RULE.get(str(code), str(code))
