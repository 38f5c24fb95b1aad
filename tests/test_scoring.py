"""The scoring core of the self-evaluation form: targets, actuals, scores, policy files and checks.

Expected values are hand calculations: the synthetic worked example of docs/domain.md ("A worked example")
and the 2019 Changzhou figures (1000万元 budget, 868.7万元 executed), written as literals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundanalysis.analysis.scoring import (
    BudgetScore,
    CheckCode,
    MoneyRow,
    Phase,
    Rule,
    ScoredIndicator,
    grade,
    money_block,
    score_budget,
    score_indicator,
    score_indicators,
    score_money_block,
    scorecard,
)
from fundanalysis.errors import InputError
from fundanalysis.ingest.policy import DEFAULT_POLICY, OverBudget, Policy, policy_from_mapping, policy_from_toml
from fundanalysis.ingest.targets import (
    Actual,
    Fund,
    Indicator,
    Kind,
    Operator,
    Outcome,
    Target,
    TargetError,
    fund_category,
    parse_actual,
    parse_indicator_rows,
    parse_points,
    parse_rate,
    parse_target,
)

FEN_PER_WAN = 1_000_000  # 1万元 = 10,000 元 = 1,000,000 分
GE, LE, EQ = Operator.GE, Operator.LE, Operator.EQ
DEDUCT_02 = Policy(late_month_deduction=Fraction(1, 5))


def wan(amount: str) -> int:
    """An amount in 万元 as integer 分."""
    return int(Decimal(amount) * FEN_PER_WAN)


# --- the worked example of docs/domain.md ------------------------------------------------------------------

EXAMPLE_ROWS: list[tuple[int, dict[str, Any]]] = [
    (12, {"一级指标": "产出指标（50分）", "二级指标": "数量指标", "三级指标": "支持企业数",
          "年度指标值": "≥120家", "实际完成值": "126家", "分值": 15, "得分": 15}),
    (13, {"一级指标": None, "二级指标": "数量指标", "三级指标": "示范项目数",
          "年度指标值": "=10个", "实际完成值": "9个", "分值": 10, "得分": 9}),
    (14, {"一级指标": None, "二级指标": "质量指标", "三级指标": "验收合格率",
          "年度指标值": "≥95%", "实际完成值": "97%", "分值": 10, "得分": 10}),
    (15, {"一级指标": None, "二级指标": "时效指标", "三级指标": "资金拨付时间",
          "年度指标值": "9月前", "实际完成值": "10月", "分值": 5, "得分": 4}),
    (16, {"一级指标": None, "二级指标": "成本指标", "三级指标": "单个项目补助",
          "年度指标值": "≤50万元", "实际完成值": "45万元", "分值": 10, "得分": 10}),
    (17, {"一级指标": "效益指标（30分）", "二级指标": "经济效益指标", "三级指标": "带动企业投资",
          "年度指标值": "≥2亿元", "实际完成值": "2.3亿元", "分值": 15, "得分": 15}),
    (18, {"一级指标": None, "二级指标": "社会效益指标", "三级指标": "数字化水平",
          "年度指标值": "明显提升", "实际完成值": "达成预期指标", "分值": 10, "得分": 10}),
    (19, {"一级指标": None, "二级指标": "可持续影响指标", "三级指标": "长效机制",
          "年度指标值": "建立", "实际完成值": "部分达成", "分值": 5, "得分": 3}),
    (20, {"一级指标": "满意度指标（10分）", "二级指标": "服务对象满意度指标", "三级指标": "企业满意度",
          "年度指标值": "≥90%", "实际完成值": "93%", "分值": 10, "得分": 10}),
]
EXAMPLE_MONEY = [
    MoneyRow(Fund.TOTAL, wan("500"), wan("480"), wan("456"), Decimal(10), Decimal("0.950"), Decimal("9.5"), row=5),
    MoneyRow(Fund.APPROPRIATION, wan("500"), wan("450"), wan("430"), None, Decimal("0.956"), None, row=6),
    MoneyRow(Fund.CARRYOVER, None, wan("30"), wan("26"), None, Decimal("0.867"), None, row=7),
    MoneyRow(Fund.OTHER, row=8),
]


def example_indicators() -> list[Indicator]:
    return parse_indicator_rows(EXAMPLE_ROWS, "example.xlsx", "自评表")


def example_scorecard(policy: Policy) -> Any:
    block = money_block(EXAMPLE_MONEY)
    budget = score_money_block(block, policy)
    return scorecard(budget, score_indicators(example_indicators(), policy), policy,
                     stated_budget_score=block.stated_score, stated_total=Decimal("95.5"))


def test_example_money_block() -> None:
    block = money_block(EXAMPLE_MONEY)
    assert (block.approved, block.budget, block.executed) == (500_000_000, 480_000_000, 456_000_000)
    assert block.rate == Fraction(95, 100)
    assert block.rate_vs_approved == Fraction(912, 1000)
    assert block.from_sources == () and block.rules == ()
    totals = {c.column: (c.stated, c.computed, c.ok) for c in block.checks if c.code is CheckCode.MONEY_TOTAL}
    assert totals == {Phase.APPROVED: (500_000_000, 500_000_000, True),
                      Phase.BUDGET: (480_000_000, 480_000_000, True),
                      Phase.EXECUTED: (456_000_000, 456_000_000, True)}
    rates = {c.subject: c.ok for c in block.checks if c.code is CheckCode.STATED_RATE}
    assert rates == {Fund.TOTAL: True, Fund.APPROPRIATION: True, Fund.CARRYOVER: True}


def test_example_budget_score() -> None:
    budget = score_money_block(money_block(EXAMPLE_MONEY), DEFAULT_POLICY)
    assert budget.score == Decimal("9.5")
    assert budget.rules == (Rule.BUDGET_RATE,)


def test_example_indicator_scores_default_policy() -> None:
    scored = score_indicators(example_indicators(), DEFAULT_POLICY)
    assert [s.result.score for s in scored] == [Decimal(x) for x in ("15", "9", "10", "0", "10", "15", "10", "3", "10")]
    assert [s.result.rules for s in scored] == [
        (Rule.GE_MET,), (Rule.EQ_DEVIATION,), (Rule.GE_MET,), (Rule.TIME_LATE,), (Rule.LE_MET,),
        (Rule.GE_MET,), (Rule.QUAL_MET,), (Rule.QUAL_PARTIAL,), (Rule.GE_MET,)]
    assert scored[3].result.months_late == 1


def test_example_late_month_deduction_gives_the_forms_4() -> None:
    scored = score_indicators(example_indicators(), DEDUCT_02)
    assert scored[3].result.score == Decimal("4")
    assert scored[3].result.rules == (Rule.TIME_LATE_DEDUCTION,)


def test_example_total_and_grade() -> None:
    card = example_scorecard(DEDUCT_02)
    assert card.total == Decimal("95.5")
    assert card.grade == "优"
    assert card.complete and card.max_total == Decimal(100)
    assert [(b.level1, b.weight, b.score) for b in card.blocks] == [
        ("产出指标", Decimal(50), Decimal(48)), ("效益指标", Decimal(30), Decimal(28)),
        ("满意度指标", Decimal(10), Decimal(10))]
    assert all(c.ok for c in card.checks), [c for c in card.checks if not c.ok]
    codes = {c.code for c in card.checks}
    assert {CheckCode.STATED_SCORE, CheckCode.BLOCK_WEIGHT, CheckCode.TOTAL_WEIGHT, CheckCode.STATED_TOTAL} <= codes


def test_example_default_policy_flags_the_forms_4_and_its_total() -> None:
    card = example_scorecard(DEFAULT_POLICY)
    assert card.total == Decimal("91.5")  # 95.5 − 4 for the late payment
    assert card.grade == "优"
    failed = [(c.code, c.subject, c.stated, c.computed) for c in card.checks if c.ok is False]
    assert failed == [(CheckCode.STATED_SCORE, "资金拨付时间", Decimal(4), Decimal(0)),
                      (CheckCode.STATED_TOTAL, "total", Decimal("95.5"), Decimal("91.5"))]


# --- budget execution ---------------------------------------------------------------------------------

def test_2019_budget_execution() -> None:
    s = score_budget(wan("868.7"), wan("1000"), Decimal(10), DEFAULT_POLICY)
    assert wan("1000") == 1_000_000_000
    assert s.rate == Fraction(8687, 10000)
    assert s.score == Decimal("8.69")


def test_execution_above_100_is_capped_and_flagged() -> None:
    s = score_budget(wan("105"), wan("100"), Decimal(10), DEFAULT_POLICY)
    assert s.rate == Fraction(105, 100)
    assert s.score == Decimal(10)
    assert s.rules == (Rule.BUDGET_CAPPED_OVER_100,)


def test_execution_above_100_symmetric() -> None:
    s = score_budget(wan("105"), wan("100"), Decimal(10), Policy(budget_over_100=OverBudget.SYMMETRIC))
    assert s.score == Decimal("9.5")
    assert s.rules == (Rule.BUDGET_SYMMETRIC_OVER_100,)


def test_zero_below_threshold() -> None:
    policy = Policy(budget_zero_below=Fraction(3, 5))
    low = score_budget(59, 100, Decimal(10), policy)
    at = score_budget(60, 100, Decimal(10), policy)
    assert (low.score, low.rules) == (Decimal(0), (Rule.BUDGET_BELOW_THRESHOLD,))
    assert (at.score, at.rules) == (Decimal(6), (Rule.BUDGET_RATE,))


def test_no_budget_gives_no_rate_and_an_incomplete_scorecard() -> None:
    s = score_budget(100, 0, Decimal(10), DEFAULT_POLICY)
    assert (s.rate, s.score, s.rules) == (None, None, (Rule.BUDGET_NO_RATE,))
    card = scorecard(s, [], DEFAULT_POLICY, stated_total=Decimal(0))
    assert card.grade is None and not card.complete
    assert [c.ok for c in card.checks if c.code is CheckCode.STATED_TOTAL] == [None]


def test_total_row_left_at_zero_uses_the_sources() -> None:
    rows = [MoneyRow(Fund.TOTAL, 0, 0, 0, Decimal(10), row=5),
            MoneyRow(Fund.APPROPRIATION, wan("300"), wan("300"), wan("270"), row=6),
            MoneyRow(Fund.CARRYOVER, None, wan("20"), wan("20"), row=7)]
    block = money_block(rows)
    assert (block.approved, block.budget, block.executed) == (wan("300"), wan("320"), wan("290"))
    assert block.from_sources == (Phase.APPROVED, Phase.BUDGET, Phase.EXECUTED)
    assert block.rules == (Rule.TOTAL_FROM_SOURCES,)
    assert [c.ok for c in block.checks if c.code is CheckCode.MONEY_TOTAL] == [False, False, False]
    budget = score_money_block(block, DEFAULT_POLICY)
    assert budget.score == Decimal("9.06")  # 290 ÷ 320 = 90.625% → 9.0625
    assert budget.rules == (Rule.TOTAL_FROM_SOURCES, Rule.BUDGET_RATE)


def test_total_row_missing_uses_the_sources() -> None:
    block = money_block([MoneyRow(Fund.APPROPRIATION, None, 1000, 800)])
    assert (block.budget, block.executed, block.weight) == (1000, 800, None)
    assert block.from_sources == (Phase.BUDGET, Phase.EXECUTED)
    assert score_money_block(block, DEFAULT_POLICY).score == Decimal(8)


def test_total_row_that_disagrees_is_kept_and_flagged() -> None:
    block = money_block([MoneyRow(Fund.TOTAL, None, 500, 400), MoneyRow(Fund.APPROPRIATION, None, 450, 400)])
    assert block.budget == 500 and block.from_sources == ()
    checks = {c.column: (c.stated, c.computed, c.ok) for c in block.checks if c.code is CheckCode.MONEY_TOTAL}
    assert checks == {Phase.APPROVED: (None, None, None), Phase.BUDGET: (500, 450, False),
                      Phase.EXECUTED: (400, 400, True)}


def test_stated_rate_that_disagrees() -> None:
    block = money_block([MoneyRow(Fund.TOTAL, None, 480, 456, stated_rate=Decimal("0.96"))])
    assert [(c.stated, c.computed, c.ok) for c in block.checks if c.code is CheckCode.STATED_RATE] == [
        (Decimal("0.96"), Fraction(95, 100), False)]


def test_fund_categories() -> None:
    assert fund_category("其中：本年财政拨款") is Fund.APPROPRIATION
    assert fund_category(" 上年结转资金 ") is Fund.CARRYOVER
    with pytest.raises(TargetError, match="项目资金"):
        fund_category("自筹资金")


# --- indicator rules ----------------------------------------------------------------------------------

def score_texts(target: str, actual: str, weight: int, policy: Policy = DEFAULT_POLICY) -> tuple[Decimal, tuple]:
    t = parse_target(target)
    r = score_indicator(t, parse_actual(actual, t), Decimal(weight), policy)
    return r.score, r.rules


@pytest.mark.parametrize(("target", "actual", "weight", "score", "rules"), [
    ("≥120家", "100家", 15, "12.5", (Rule.GE_PROPORTIONAL,)),
    ("≤50万元", "60万元", 10, "8.33", (Rule.LE_PROPORTIONAL,)),
    ("≤50万元", "500000元", 10, "10", (Rule.LE_MET,)),
    ("=10个", "12个", 10, "8", (Rule.EQ_DEVIATION,)),
    ("=10个", "25个", 10, "0", (Rule.EQ_DEVIATION,)),
    ("=0起", "1起", 5, "0", (Rule.EQ_DEVIATION,)),
    ("=8个", "8个", 10, "10", (Rule.EQ_MET,)),
    ("100%", "98%", 10, "9.8", (Rule.OPERATOR_ASSUMED, Rule.GE_PROPORTIONAL)),
    ("98.5", "99", 10, "10", (Rule.OPERATOR_ASSUMED, Rule.GE_MET)),
    ("9月前", "9月", 5, "5", (Rule.TIME_MET,)),
    ("6月30日前", "6月30日", 5, "5", (Rule.TIME_MET,)),
    ("年底前", "12月20日", 5, "5", (Rule.TIME_MET,)),
    ("效果明显", "效果明显", 5, "5", (Rule.TEXT_MATCHES_TARGET,)),
    ("合规", "不合规", 5, "0", (Rule.QUAL_MISSED,)),
    ("建立", "基本达成", 5, "3", (Rule.QUAL_PARTIAL,)),
])
def test_indicator_rules(target: str, actual: str, weight: int, score: str, rules: tuple) -> None:
    assert score_texts(target, actual, weight) == (Decimal(score), rules)


def test_late_month_deduction_per_month_with_floor() -> None:
    assert score_texts("9月前", "12月", 5, DEDUCT_02) == (Decimal(2), (Rule.TIME_LATE_DEDUCTION,))
    assert score_texts("6月前", "12月", 5, DEDUCT_02) == (Decimal(0), (Rule.TIME_LATE_DEDUCTION,))
    assert score_texts("9月15日前", "9月20日", 5, DEDUCT_02) == (Decimal(4), (Rule.TIME_LATE_DEDUCTION,))


def test_policy_override_changes_a_score() -> None:
    policy = policy_from_mapping({"qualitative": {"partial": 0.5}}, "policy.toml")
    assert score_texts("建立", "部分达成", 5, policy)[0] == Decimal("2.5")
    assert score_texts("建立", "部分达成", 5)[0] == Decimal(3)


def test_stated_score_that_disagrees_fails_its_check() -> None:
    rows = [(row, {**cells, "得分": 12} if row == 12 else cells) for row, cells in EXAMPLE_ROWS]
    indicators = parse_indicator_rows(rows, "example.xlsx", "自评表")
    card = scorecard(None, score_indicators(indicators, DEDUCT_02), DEDUCT_02)
    bad = [(c.subject, c.row, c.stated, c.computed) for c in card.checks
           if c.code is CheckCode.STATED_SCORE and c.ok is False]
    assert bad == [("支持企业数", 12, Decimal(12), Decimal(15))]


def test_stated_score_at_its_own_precision() -> None:
    t = parse_target("≥120家")
    a = parse_actual("100家", t)  # 15 × 100 ÷ 120 = 12.5
    ind = Indicator(3, "产出指标", "数量指标", "x", t, a, Decimal(15), Decimal("12.5"))
    ok = scorecard(None, score_indicators([ind]), DEFAULT_POLICY).checks[0]
    assert (ok.code, ok.ok) == (CheckCode.STATED_SCORE, True)
    ind = replace(ind, stated_score=Decimal("12.4"))
    assert scorecard(None, score_indicators([ind]), DEFAULT_POLICY).checks[0].ok is False


def test_block_weight_unknown_block_and_duplicate_checks() -> None:
    t = parse_target("≥1个")
    a = parse_actual("1个", t)
    inds = [Indicator(1, "产出指标", "数量指标", "项目数", t, a, Decimal(40)),
            Indicator(2, "效益指标", "社会效益指标", "项目数", t, a, Decimal(30)),
            Indicator(3, "满意度指标", "服务对象满意度指标", "满意度", t, a, Decimal(10)),
            Indicator(4, "成本指标", "成本", "单价", t, a, Decimal(10))]
    budget = score_budget(9, 10, Decimal(10), DEFAULT_POLICY)
    card = scorecard(budget, score_indicators(inds), DEFAULT_POLICY)
    failed = {(c.code, c.subject): (c.stated, c.computed) for c in card.checks if c.ok is False}
    assert failed == {
        (CheckCode.DUPLICATE_INDICATOR, "项目数"): (("产出指标", "效益指标"), None),
        (CheckCode.BLOCK_WEIGHT, "产出指标"): (Decimal(40), Decimal(50)),
        (CheckCode.UNKNOWN_BLOCK, "成本指标"): (Decimal(10), None),
    }
    assert card.total == Decimal(99)  # 9 + 40 + 30 + 10 + 10


# --- targets and actuals ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "operator", "value", "unit"), [
    ("≥50个", GE, "50", "个"),
    (">=50个", GE, "50", "个"),
    ("＞＝50个", GE, "50", "个"),
    ("≧50个", GE, "50", "个"),
    ("＜5次", LE, "5", "次"),
    ("≤90万元", LE, "900000", "元"),
    ("=8个", EQ, "8", "个"),
    ("＝８个", EQ, "8", "个"),
    ("≥95%", GE, "0.95", "%"),
    ("≥95％", GE, "0.95", "%"),
    ("100%", GE, "1", "%"),
    ("98.5", GE, "98.5", None),
    ("≥2亿元", GE, "200000000", "元"),
    ("不低于95%", GE, "0.95", "%"),
    ("不少于50个", GE, "50", "个"),
    ("大于等于3篇", GE, "3", "篇"),
    ("不高于5%", LE, "0.05", "%"),
    ("不超过90万元", LE, "900000", "元"),
    ("小于等于2次", LE, "2", "次"),
    ("50家以上", GE, "50", "家"),
    ("90万元以内", LE, "900000", "元"),
    ("≥１，０００人", GE, "1000", "人"),
    ("≥1.2万人次", GE, "12000", "人次"),
])
def test_quantitative_targets(text: str, operator: Operator, value: str, unit: str | None) -> None:
    t = parse_target(text)
    assert (t.kind, t.operator, t.value, t.unit) == (Kind.QUANTITATIVE, operator, Decimal(value), unit)


@pytest.mark.parametrize(("text", "month", "day"), [
    ("9月前", 9, None), ("9月底前", 9, None), ("年底前", 12, None), ("12月31日前", 12, None),
    ("6月30日前", 6, None), ("6月15日前", 6, 15), ("上半年", 6, None), ("10月底前完成", 10, None),
])
def test_time_targets(text: str, month: int, day: int | None) -> None:
    t = parse_target(text)
    assert (t.kind, t.operator, t.month, t.day) == (Kind.TIME, LE, month, day)


@pytest.mark.parametrize("text", ["效果明显", "明显提升", "建立", "合规", "达成预期指标", "不低于上年水平"])
def test_qualitative_targets(text: str) -> None:
    t = parse_target(text)
    assert (t.kind, t.operator, t.value) == (Kind.QUALITATIVE, None, None)


def test_operator_from_nature_column_and_assumed() -> None:
    assert parse_target("50", nature="≤").operator is LE
    assert parse_target("50个", nature="≥").operator_assumed is False
    assumed = parse_target("50个")
    assert (assumed.operator, assumed.operator_assumed) == (GE, True)
    assert parse_target("效果明显", nature="定性").kind is Kind.QUALITATIVE
    assert parse_target("≤90", unit="万元").value == Decimal(900000)


@pytest.mark.parametrize(("text", "nature", "unit", "message"), [
    ("≥50个", "≤", None, "disagrees"),
    ("≥95%", "定性", None, "qualitative"),
    ("效果明显", "≥", None, "needs a number"),
    ("50个", "大概", None, "指标性质"),
    ("≥50个", None, "家", "度量单位"),
    ("≥50个以下", None, None, "two operators"),
    ("≥上年", None, None, "not one"),
    ("5-10个", None, None, "unit"),
    ("13月前", None, None, "no month 13"),
    ("", None, None, "empty"),
])
def test_bad_targets(text: str, nature: str | None, unit: str | None, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        parse_target(text, nature, unit)


@pytest.mark.parametrize(("target", "actual", "value"), [
    ("≥120家", "126家", "126"),
    ("=10个", "9个", "9"),
    ("≥95%", "97%", "0.97"),
    ("≥95%", "97", "0.97"),
    ("≥2亿元", "2.3亿元", "230000000"),
    ("≤50万元", "45万元", "450000"),
    ("≤50万元", "45", "450000"),
    ("≤50万元", "450,000元", "450000"),
    ("98.5", "99", "99"),
    ("≥50", "60个", "60"),
])
def test_quantitative_actuals(target: str, actual: str, value: str) -> None:
    a = parse_actual(actual, parse_target(target))
    assert (a.kind, a.value) == (Kind.QUANTITATIVE, Decimal(value))


@pytest.mark.parametrize(("actual", "year", "month", "day"), [
    ("10月", None, 10, None), ("2019年10月", 2019, 10, None), ("12月20日", None, 12, 20),
    ("2019-10-15", 2019, 10, 15), (dt.date(2019, 9, 30), 2019, 9, None), ("年底", None, 12, None),
])
def test_time_actuals(actual: Any, year: int | None, month: int, day: int | None) -> None:
    a = parse_actual(actual, parse_target("9月前"))
    assert (a.kind, a.year, a.month, a.day) == (Kind.TIME, year, month, day)


@pytest.mark.parametrize(("actual", "outcome"), [
    ("已完成", Outcome.MET), ("达成预期指标", Outcome.MET), ("合规", Outcome.MET), ("符合", Outcome.MET),
    ("部分达成", Outcome.PARTIAL), ("基本达成", Outcome.PARTIAL),
    ("未达成", Outcome.MISSED), ("未完成", Outcome.MISSED), ("不合规", Outcome.MISSED),
])
def test_qualitative_actuals(actual: str, outcome: Outcome) -> None:
    assert parse_actual(actual, parse_target("效果明显")).outcome is outcome


def test_actual_repeating_the_target_is_met() -> None:
    for target in ("明显提升", "≥95%"):
        a = parse_actual(target, parse_target(target))
        assert (a.matches_target, a.outcome) == (True, Outcome.MET)
    assert score_texts("≥95%", "≥95%", 10) == (Decimal(10), (Rule.TEXT_MATCHES_TARGET,))
    assert score_texts("9月前", "9月前", 5) == (Decimal(5), (Rule.TIME_MET,))  # read as a month, not as text


@pytest.mark.parametrize(("target", "actual", "message"), [
    ("≥95%", "50个", "does not compare"),
    ("≥50个", "97%", "does not compare"),
    ("≥50个", "60家", "does not compare"),
    ("98.5", "99%", "no unit"),
    ("≥95%", "达成预期指标", "needs one"),
    ("9月前", "按时", "month or date"),
    ("9月15日前", "9月", "does not say the day"),
    ("效果明显", "很好", "达成预期指标"),
    ("效果明显", "", "empty"),
])
def test_bad_actuals(target: str, actual: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        parse_actual(actual, parse_target(target))


def test_qualitative_actual_outside_the_vocabulary_lists_the_words() -> None:
    with pytest.raises(TargetError) as err:
        parse_actual("效果一般", parse_target("效果明显"))
    for word in ("达成预期指标", "部分达成", "未达成", "合规"):
        assert word in str(err.value)


def test_indicator_rows_collect_every_problem_with_row_and_column() -> None:
    rows: list[tuple[int, dict[str, Any]]] = [
        (12, {"一级指标": "产出指标", "三级指标": "a", "年度指标值": "≥五十个", "实际完成值": "5个", "分值": 5}),
        (13, {"三级指标": "b", "年度指标值": "≥50个", "实际完成值": "很多", "分值": 5}),
        (14, {"三级指标": "c", "年度指标值": "建立", "实际完成值": "还行", "分值": "五"}),
        (15, {"三级指标": "d", "年度指标值": "≥50个", "实际完成值": "60个", "分值": 5, "指标性质": "≤"}),
        (16, {"三级指标": "e", "年度指标值": "≥50个", "实际完成值": "60个", "分值": 5}),
    ]
    with pytest.raises(InputError) as err:
        parse_indicator_rows(rows, "form.xlsx", "自评表")
    located = [(p.file, p.sheet, p.row, p.column) for p in err.value.problems]
    assert located == [("form.xlsx", "自评表", 12, "年度指标值"), ("form.xlsx", "自评表", 13, "实际完成值"),
                       ("form.xlsx", "自评表", 14, "分值"), ("form.xlsx", "自评表", 14, "实际完成值"),
                       ("form.xlsx", "自评表", 15, "年度指标值")]


def test_indicator_rows_need_a_first_block() -> None:
    with pytest.raises(InputError) as err:
        parse_indicator_rows([(3, {"三级指标": "a", "年度指标值": "建立", "实际完成值": "建立", "分值": 5})],
                             "form.xlsx", None)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "一级指标")]


def test_points_and_rates() -> None:
    assert parse_points("9.5分", required=True) == Decimal("9.5")
    assert parse_points(None, required=False) is None
    with pytest.raises(TargetError):
        parse_points("", required=True)
    with pytest.raises(TargetError):
        parse_points(-1, required=True)
    assert parse_rate("95.0%") == Decimal("0.950")
    assert parse_rate("86.7％") == Decimal("0.867")


# --- policy files -------------------------------------------------------------------------------------

POLICY_TOML = """
decimals = 1
[budget]
weight = 20
zero_below = 0.6
over_100 = "symmetric"
[qualitative]
partial = 0.5
[time]
late_month_deduction = 0.2
[blocks]
"产出指标" = 40
"效益指标" = 30
"满意度指标" = 10
[grades]
"优" = 90
"良" = 75
"中" = 60
"差" = 0
"""


def test_policy_from_toml_reads_every_key() -> None:
    p = policy_from_toml(POLICY_TOML, "policy.toml")
    assert p == Policy(decimals=1, budget_weight=Decimal(20), budget_zero_below=Fraction(3, 5),
                       budget_over_100=OverBudget.SYMMETRIC, qualitative_partial=Fraction(1, 2),
                       late_month_deduction=Fraction(1, 5),
                       blocks=(("产出指标", Decimal(40)), ("效益指标", Decimal(30)), ("满意度指标", Decimal(10))),
                       grades=(("优", Decimal(90)), ("良", Decimal(75)), ("中", Decimal(60)), ("差", Decimal(0))))
    assert grade(Decimal(76), p) == "良"
    assert policy_from_toml("", "policy.toml") == Policy()


@pytest.mark.parametrize(("text", "key"), [
    ("colour = 1", "colour"),
    ("[budget]\nweigth = 10", "budget.weigth"),
    ("[budget]\nweight = -10", "budget.weight"),
    ("[qualitative]\npartial = 1.5", "qualitative.partial"),
    ("[qualitative]\npartial = \"0.6\"", "qualitative.partial"),
    ("[budget]\nover_100 = \"clip\"", "budget.over_100"),
    ("[time]\nlate_month_deduction = 0", "time.late_month_deduction"),
    ("decimals = true", "decimals"),
    ("budget = 10", "budget"),
    ("[blocks]\n\"产出指标\" = 60", "blocks"),
    ("[grades]\n\"优\" = 90\n\"良\" = 80", "grades"),
    ("[grades]\n\"优\" = \"high\"\n\"差\" = 0", "grades.优"),
    ("[budget\nweight = 10", None),
])
def test_bad_policy_names_the_key(text: str, key: str | None) -> None:
    with pytest.raises(InputError) as err:
        policy_from_toml(text, "policy.toml")
    assert [(p.file, p.column) for p in err.value.problems] == [("policy.toml", key)]


def test_unquoted_chinese_key_gets_a_hint() -> None:
    with pytest.raises(InputError, match="quotes"):
        policy_from_toml("[blocks]\n产出指标 = 50", "policy.toml")


def test_bad_policy_lists_every_problem() -> None:
    with pytest.raises(InputError) as err:
        policy_from_mapping({"budget": {"weight": "ten", "zero_below": 2}, "extra": 1}, "p.toml")
    assert sorted(p.column for p in err.value.problems) == ["budget.weight", "budget.zero_below", "extra"]


# --- properties ---------------------------------------------------------------------------------------

weights = st.integers(0, 10_000).map(lambda n: Decimal(n).scaleb(-2))
amounts = st.integers(0, 10**6).map(Decimal)
policies = st.builds(
    Policy,
    decimals=st.integers(0, 4),
    budget_zero_below=st.none() | st.fractions(0, 1),
    budget_over_100=st.sampled_from(list(OverBudget)),
    qualitative_partial=st.fractions(0, 1),
    late_month_deduction=st.none() | st.fractions(0, 1).filter(lambda f: f > 0),
)


def quantity(op: Operator, target: Decimal, actual: Decimal) -> tuple[Target, Actual]:
    return (Target("t", Kind.QUANTITATIVE, op, target, "个"), Actual("a", Kind.QUANTITATIVE, actual, "个"))


def deadline(month: int, done: int) -> tuple[Target, Actual]:
    return Target("t", Kind.TIME, LE, month=month), Actual("a", Kind.TIME, month=done)


def words(outcome: Outcome) -> tuple[Target, Actual]:
    return Target("t", Kind.QUALITATIVE), Actual("a", Kind.QUALITATIVE, outcome=outcome)


pairs = (st.builds(quantity, st.sampled_from([GE, LE, EQ]), amounts, amounts)
         | st.builds(deadline, st.integers(1, 12), st.integers(1, 12))
         | st.builds(words, st.sampled_from(list(Outcome))))


@given(pairs, weights, policies)
def test_indicator_score_is_within_zero_and_weight(pair: tuple[Target, Actual], weight: Decimal,
                                                   policy: Policy) -> None:
    s = score_indicator(*pair, weight, policy)
    assert Decimal(0) <= s.score <= weight


@given(st.integers(0, 10**12), st.integers(0, 10**12), weights, policies)
def test_budget_score_is_within_zero_and_weight(executed: int, budget: int, weight: Decimal, policy: Policy) -> None:
    s = score_budget(executed, budget, weight, policy)
    assert s.score is None or Decimal(0) <= s.score <= weight


@given(st.sampled_from([GE, LE, EQ]), st.integers(0, 10**6), st.integers(1, 10**6), weights, policies)
def test_meeting_a_quantitative_target_never_scores_less(op: Operator, target: int, gap: int, weight: Decimal,
                                                        policy: Policy) -> None:
    t = Decimal(target)
    met = {GE: t + gap, LE: t, EQ: t}[op]
    missed = {GE: max(Decimal(0), t - gap), LE: t + gap, EQ: t + gap}[op]
    assert score_indicator(*quantity(op, t, met), weight, policy).score >= \
        score_indicator(*quantity(op, t, missed), weight, policy).score


@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 12), weights, policies)
def test_meeting_a_deadline_never_scores_less(month: int, early: int, late: int, weight: Decimal,
                                              policy: Policy) -> None:
    on_time = score_indicator(*deadline(month, min(early, month)), weight, policy).score
    assert on_time == weight
    assert on_time >= score_indicator(*deadline(month, max(late, month)), weight, policy).score


@given(weights, policies)
def test_qualitative_met_partial_missed_are_ordered(weight: Decimal, policy: Policy) -> None:
    met, partial, missed = (score_indicator(*words(o), weight, policy).score
                            for o in (Outcome.MET, Outcome.PARTIAL, Outcome.MISSED))
    assert met >= partial >= missed


@given(st.lists(st.tuples(st.sampled_from(["产出指标", "效益指标", "满意度指标", "其他"]), pairs, weights),
                max_size=12),
       st.none() | st.tuples(st.integers(0, 10**9), st.integers(0, 10**9)), policies)
def test_total_is_the_sum_of_its_parts(rows: list, money: tuple[int, int] | None, policy: Policy) -> None:
    scored = [ScoredIndicator(Indicator(i, level1, "", f"i{i}", t, a, w), score_indicator(t, a, w, policy))
              for i, (level1, (t, a), w) in enumerate(rows)]
    budget: BudgetScore | None = None if money is None else score_budget(*money, None, policy)
    card = scorecard(budget, scored, policy)
    budget_part = budget.score if budget is not None and budget.score is not None else Decimal(0)
    assert card.total == budget_part + sum((s.result.score for s in scored), Decimal(0))
    assert card.total == budget_part + sum((b.score for b in card.blocks), Decimal(0))


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_grade_is_monotone_in_the_total(a: int, b: int) -> None:
    order = ["差", "中", "良", "优"]
    low, high = sorted([Decimal(a).scaleb(-2), Decimal(b).scaleb(-2)])
    assert order.index(grade(low)) <= order.index(grade(high))


def test_grade_bands_at_their_edges() -> None:
    assert [grade(Decimal(x)) for x in ("100", "90", "89.99", "80", "79.99", "60", "59.99", "0")] == [
        "优", "优", "良", "良", "中", "中", "差", "差"]
