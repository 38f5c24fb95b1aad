"""The Chinese words for the codes analysis returns: one home for every display label."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundanalysis.vocab import (
    BudgetBasis,
    Concentration,
    MoneyKind,
    Provenance,
    RankSource,
    Rule,
    Scope,
    SpentBasis,
    SupportKind,
)


class MethodNote(str):
    """A sentence (or clause) that explains how the page works — what it computes or leaves out,
    where on the page to look, what the data folder holds — not a finding about the fund.

    The page shows it (``<span class="fnd-method">``); a briefing (Word, PowerPoint) leaves it out.
    Tag every such sentence where it is produced, as a part of :class:`Sentences`.
    """


class Sentences(str):
    """A heading's sentences as one string, remembering which parts are :class:`MethodNote`.

    It is the plain text of all its parts, so it reads as before wherever a ``str`` is expected.

    >>> s = Sentences("共 3 项。", MethodNote("表中如实留空。"))
    >>> str(s), [type(p).__name__ for p in s.parts]
    ('共 3 项。表中如实留空。', ['str', 'MethodNote'])
    """

    parts: tuple[str, ...]

    def __new__(cls, *parts: str) -> Sentences:
        flat: list[str] = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, Sentences) else [p] if p else [])
        obj = super().__new__(cls, "".join(flat))
        obj.parts = tuple(flat)
        return obj


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
    Rule.OVER_EXECUTION: "全年执行数不超过全年预算数（超出即超预算执行）",
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
                   sources: list[str] | tuple[str, ...] = ("award_categories", "media_outlets"),
                   support: str = SupportKind.AWARD) -> str:
    """The description of a reconciliation check, e.g. ``全部项目数 = 各类获奖单位数 + …``.

    ``sources`` are the kinds of spending rows the fund has (they name what a sum adds up);
    ``support`` is the fund's kind of support, whose words replace 奖励 / 获奖 (各类补助金额).
    """
    scope = WHOLE_FUND if part is None or (not isinstance(part, str) and pd.isna(part)) else str(part)
    added = " + ".join(SOURCE_WORDS[s] for s in sources if s in SOURCE_WORDS) or "各明细金额"
    counts = " + ".join(COUNT_WORDS[s] for s in sources if s in COUNT_WORDS) or "各明细数量"
    text = RULE[Rule(rule)].format(scope=scope, subject="" if subject is None else subject,
                                   sources=added, counts=counts)
    if rule == Rule.PROCUREMENT_METHOD and (computed is None or
                                           (not isinstance(computed, str) and pd.isna(computed))):
        text += PROCUREMENT_UNKNOWN
    if support != SupportKind.AWARD:
        text = text.replace("获奖", support_words(support)["got"]).replace(str(SupportKind.AWARD), support)
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
        issuer = "" if pd.isna(f["issuer"]) else str(f["issuer"])
        found.append(f"{issuer}{int(f['year'])}年度{f['fund_name']}自我评价报告")
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
    """A section's title with the words its data puts in it: ``rank_scope`` puts the scopes before
    it (``全省`` + ``排名与成果``); ``support`` writes the fund's kind of support for 奖励
    (``补助类别``)."""
    if prefix == "rank_scope":
        return "、".join(rank_scopes(tables.get("rankings"))) + title
    if prefix == "support":
        return title.replace(str(SupportKind.AWARD), support_kind(tables))
    return title


def support_kind(tables: dict[str, pd.DataFrame]) -> str:
    """The fund's kind of support (支持方式) as its award categories give it (:meth:`SupportKind.of`).

    >>> support_kind({"award_categories": pd.DataFrame({"support": ["补助", None]})}), support_kind({})
    ('补助', '奖励')
    """
    cats = tables.get("award_categories")
    given = cats["support"].dropna() if cats is not None and "support" in cats else ()
    return str(SupportKind.of(given))


def support_words(kind: str) -> dict[str, str]:
    """The award pages' words for a kind of support: ``amount`` (奖励金额 / 补助金额), ``got``
    (获奖 / 获补助), ``recipients`` (获奖单位数 / 获补助单位数), ``kind``.

    >>> support_words("补助")["recipients"], support_words("奖励")["recipients"]
    ('获补助单位数', '获奖单位数')
    """
    got = "获奖" if kind == SupportKind.AWARD else f"获{kind}"
    return {"kind": kind, "amount": f"{kind}金额", "got": got, "recipients": f"{got}单位数"}


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


def _points(v: Any) -> str:
    """A weight as the form writes it: ``10``, ``9.5``."""
    from decimal import Decimal

    d = Decimal(str(v))
    return f"{d.normalize():f}" if d != d.to_integral_value() else str(int(d))


def form_missing(missing: Any) -> str:
    """What a self-evaluation form lacks to be graded, in words (analysis.scoring.Missing items);
    "" for a whole form.

    >>> from decimal import Decimal
    >>> from fundanalysis.analysis.scoring import Gap, Missing
    >>> form_missing([Missing(Gap.MISSING_BLOCK, "满意度指标", None, Decimal(10)),
    ...               Missing(Gap.WEIGHT_SHORT, "all", Decimal(90), Decimal(100))])
    '缺少一级指标“满意度指标”（评分规则权重 10 分）；分值合计 90，未达到评分规则的 100 分'
    """
    said = []
    for m in missing:
        gap = str(m.gap)
        if gap == "missing_block":
            said.append(f"缺少一级指标“{m.subject}”（评分规则权重 {_points(m.expected)} 分）")
        elif gap == "weight_short":
            said.append(f"分值合计 {_points(m.stated)}，未达到评分规则的 {_points(m.expected)} 分")
        elif gap == "no_budget_score":
            said.append("缺少预算执行得分（预算数或执行数未给出）")
    return "；".join(said)


#: What an amount is, by its 口径 (codes of :class:`fundanalysis.vocab.MoneyKind`).
MONEY_KIND = {MoneyKind.EXECUTED: "已执行", MoneyKind.ALLOCATED: "已安排", MoneyKind.UNSTATED: "口径未注明"}
#: How a figure was obtained (codes of :class:`fundanalysis.vocab.Provenance`).
PROVENANCE = {Provenance.STATED: "报告所述", Provenance.SUMMED: "报告所述各项之和",
              Provenance.COMPUTED: "计算所得", Provenance.NOT_STATED: NOT_STATED}
#: summary.json's names of the figures a computed one is worked out from.
FIGURE_NAMES = {"budget_yuan": "预算", "spent_yuan": "执行数", "received_yuan": "到位资金"}


def amount_word(kind: Any, word: Any) -> str:
    """The word for an amount by what it is: the report's 执行口径 for money executed (使用,
    支出 …, else 执行), 安排 for money allocated, 执行 when the 口径 is not stated.

    >>> amount_word(MoneyKind.ALLOCATED, None), amount_word(MoneyKind.EXECUTED, "支出")
    ('安排', '支出')
    """
    if kind == MoneyKind.ALLOCATED:
        return "安排"
    return spent_word(word)


def where(record: dict[str, Any] | None) -> str:
    """Where a figure was read, from its provenance record (summary.json's ``provenance``):
    ``专项资金表第 2 行“全年预算数”``; several sources are named by sheet and rows.

    >>> where({"kind": "stated", "sheet": "资金来源", "row": 2, "column": "全年预算数"})
    '资金来源表第 2 行“全年预算数”'
    >>> where({"kind": "summed", "sources": [{"sheet": "支出明细", "row": 2}, {"sheet": "支出明细", "row": 3}]})
    '支出明细表第 2、3 行'
    """
    if not record:
        return ""
    kind = record.get("kind")
    if kind == Provenance.STATED:
        row = f"第 {record['row']} 行" if record.get("row") is not None else ""
        col = f"“{record['column']}”" if record.get("column") else ""
        return f"{record.get('sheet', '')}表{row}{col}"
    if kind == Provenance.SUMMED:
        by_sheet: dict[str, list[str]] = {}
        for r in record.get("sources", []):
            by_sheet.setdefault(str(r.get("sheet")), []).append(str(r["row"]) if r.get("row") is not None else "")
        return "；".join(f"{sh}表" + (f"第 {'、'.join(x for x in rows if x)} 行" if any(rows) else "")
                        for sh, rows in by_sheet.items())
    if kind == Provenance.COMPUTED:
        return "由" + "、".join(FIGURE_NAMES.get(str(n), str(n)) for n in record.get("from", [])) + "计算"
    return ""


def provenance(record: dict[str, Any] | None) -> str:
    """How a figure was obtained, in words: ``报告所述：专项资金表第 2 行“全年预算数”``,
    ``报告所述各项之和：支出明细表第 2、3 行``, ``计算所得：由执行数、预算计算``, or 未注明.

    >>> provenance({"kind": "stated", "sheet": "专项资金", "row": 2, "column": "预算金额"})
    '报告所述：专项资金表第 2 行“预算金额”'
    >>> provenance(None)
    '未注明'
    """
    if not record or record.get("kind") not in {str(p) for p in Provenance}:
        return NOT_STATED
    kind = Provenance(record["kind"])
    place = where(record)
    return PROVENANCE[kind] + (f"：{place}" if place else "")


def budget_phase(phase: Any, basis: Any) -> str:
    """The 预算口径 of a budget, said the same in the sentence and in the table: the report's
    own words when it gives them, else how the figure was found."""
    if phase is not None and not (not isinstance(phase, str) and pd.isna(phase)) and str(phase):
        return str(phase)
    return BUDGET_BASIS_NOTE.get(basis, NOT_STATED) if basis is not None else NOT_STATED


def doubts_warning(n: int) -> str:
    """The warning for a year whose input still holds ``n`` cells marked 待核对."""
    return (f"仍有 {n} 个单元格标记为“待核对”（fundanalysis extract 所标）：这些数字尚未经人核对，"
            "核对、改正并清空后此提示消失")
