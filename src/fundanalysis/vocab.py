"""Codes and vocabularies: what analysis returns instead of words.

Two kinds of names live here. Input vocabularies are the words analysts type in the workbook
(级别, 采购方式, 核对项): their values are those Chinese words. Result codes are what the
analysis layer returns (which scope a utilisation row is about, where a rank comes from, which
rule a check applies): their values are short English codes, and :mod:`fundanalysis.present.words`
turns them into Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Level(StrEnum):
    """级别: the level of the title or programme an award recognises (input vocabulary)."""

    NATIONAL = "国家级"
    PROVINCIAL = "省级"
    CITY = "市级"
    DISTRICT = "区级"


class Procurement(StrEnum):
    """采购方式: how a media outlet was bought (input vocabulary)."""

    GOVERNMENT = "政府采购"
    SELF = "自行采购"


class SpentWord(StrEnum):
    """执行口径: the report's word for what was executed (input vocabulary).

    安排 means allocated to projects, not necessarily paid; the pages say the report's word.
    """

    USED = "使用"
    SPENT = "支出"
    DISBURSED = "拨付"
    ALLOCATED = "安排"
    EXECUTED = "执行"


class SupportKind(StrEnum):
    """支持方式: the kind of support an award category gives (input vocabulary; empty: 奖励).

    Every word of the award pages follows it: a subsidy fund never says 奖励 or 获奖.
    """

    AWARD = "奖励"
    GRANT = "补助"
    SUBSIDY = "补贴"
    AWARD_AND_GRANT = "奖补"

    @classmethod
    def of(cls, kinds: Iterable[object]) -> SupportKind:
        """The fund's kind from its categories' kinds: the one they give; 奖励 when none is given;
        奖补 for 奖励 mixed with 补助 or 补贴; 补助 for 补助 mixed with 补贴.

        >>> SupportKind.of(["补助", "补助"]), SupportKind.of([]), SupportKind.of(["奖励", "补贴"])
        (<SupportKind.GRANT: '补助'>, <SupportKind.AWARD: '奖励'>, <SupportKind.AWARD_AND_GRANT: '奖补'>)
        """
        given = {cls(str(k)) for k in kinds}
        if len(given) <= 1:
            return given.pop() if given else cls.AWARD
        return cls.AWARD_AND_GRANT if given & {cls.AWARD, cls.AWARD_AND_GRANT} else cls.GRANT


class StatedCheck(StrEnum):
    """核对项: the kinds of total a report states, each checked against its parts (input vocabulary)."""

    PROJECTS_TOTAL = "项目总数"
    SPENT = "使用资金"
    PROJECTS = "项目数"
    CATEGORIES = "类别数"
    OUTLETS = "承担单位数"
    GOVERNMENT_OUTLETS = "政府采购单位数"
    SELF_OUTLETS = "自行采购单位数"
    INITIAL = "年初预算数"
    ADJUSTMENT = "调整数"
    ANNUAL = "全年预算数"
    RECEIVED = "到位资金"
    EXECUTED = "全年执行数"


class BudgetBasis(StrEnum):
    """Which figure a budget is: the annual (adjusted) budget, the initial one plus the
    adjustment, the initial one alone, or an amount the report gives without naming its phase."""

    ANNUAL = "annual"
    INITIAL_PLUS_ADJUSTMENT = "initial_plus_adjustment"
    INITIAL = "initial"
    UNSPECIFIED = "unspecified"


class SpentBasis(StrEnum):
    """Where an executed amount comes from: the report states it, or the spending lines add up to it."""

    STATED = "stated"
    SUM_OF_LINES = "sum of lines"


class Scope(StrEnum):
    """What a utilisation row is about: the whole fund or one of its parts."""

    FUND = "fund"
    PART = "part"


class RankSource(StrEnum):
    """Where a rank comes from: the report's own words, or computed from peer cities' values."""

    STATED = "stated"
    PEERS = "peers"


class Rule(StrEnum):
    """The rule a reconciliation check applies (its description is in the presentation layer)."""

    PHASES = "phases"  # 年初预算数 + 调整数 = 全年预算数 (fund, part, line)
    PART_BUDGETS = "part_budgets"  # Σ parts' budgets = the fund's budget
    LINE_PHASE = "line_phase"  # Σ lines' 年初 / 调整 / 全年 = their part's (or the fund's)
    EXECUTED_LINES = "executed_lines"  # stated 全年执行数 = Σ spending lines
    PART_EXECUTION = "part_execution"  # Σ parts' execution = the fund's
    INSTALMENTS = "instalments"  # Σ instalments = 到位资金
    STATED_PHASE = "stated_phase"  # a stated budget-phase total = the figure it sums
    PROJECTS = "projects"  # stated project count = recipients + media items
    SPENT = "spent"  # stated money used = award amounts + media amounts
    CATEGORIES = "categories"  # stated category count = rows of 奖励类别
    OUTLETS = "outlets"  # stated outlet count = rows of 媒体单位
    PROCUREMENT_TOTAL = "procurement_total"  # government + self-procured = outlets
    PROCUREMENT_METHOD = "procurement_method"  # outlets of one method = outlets marked so
    TITLES = "titles"  # an outlet's item count = titles listed
    RECIPIENTS = "recipients"  # category's recipient count = recipient rows
    AWARD_AMOUNT = "award_amount"  # category's amount = sum of recipient rows
    COMPONENTS = "components"  # indicator's value = sum of its components
    SHARE = "share"  # stated share of the province = city ÷ province
    RANK_TEXT = "rank_text"  # rank = the rank in the rank's wording
    FORM_MONEY_TOTAL = "form_money_total"  # the form's 年度资金总额 = Σ source rows, per column
    FORM_RATE = "form_rate"  # the form's stated 执行率 = 全年执行数 ÷ 全年预算数
    FORM_SCORE = "form_score"  # a stated 得分 = the score the policy gives
    FORM_BLOCK_WEIGHT = "form_block_weight"  # Σ 分值 of a 一级指标 (or 预算执行's 分值) = the policy's weight
    FORM_UNKNOWN_BLOCK = "form_unknown_block"  # a 一级指标 the policy does not weigh
    FORM_DUPLICATE = "form_duplicate"  # one 三级指标 in two 一级指标
    FORM_TOTAL_WEIGHT = "form_total_weight"  # Σ of all 分值 = the policy's total (100)
    FORM_TOTAL = "form_total"  # the stated 总分 = the computed total
    OVER_EXECUTION = "over_execution"  # 全年执行数 ≤ 全年预算数 (a finding when it is more)
    INSTALMENTS_BUDGET = "instalments_budget"  # Σ instalments = the budget (no 到位资金 stated)
    SCALE = "scale"  # an amount in the scale of its column's other amounts (a 元 among 万元)


class Concentration(StrEnum):
    """How concentrated spending is, by its Herfindahl–Hirschman index (0–10,000)."""

    HIGH = "high"  # above 2,500
    MODERATE = "moderate"  # above 1,500
    LOW = "low"


class MoneyKind(StrEnum):
    """What an amount is (口径): money executed (使用 / 支出 / 拨付 / 执行), money allocated (安排),
    or an amount whose 口径 the input does not give."""

    EXECUTED = "executed"
    ALLOCATED = "allocated"
    UNSTATED = "unstated"


class Provenance(StrEnum):
    """How a figure was obtained: stated by the report (a sheet and row), summed from stated
    figures, computed from other figures (a rate, a balance), or not stated at all."""

    STATED = "stated"
    SUMMED = "summed"
    COMPUTED = "computed"
    NOT_STATED = "not_stated"
