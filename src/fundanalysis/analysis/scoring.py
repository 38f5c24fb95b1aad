"""Scoring the standard self-evaluation form (项目支出绩效自评表): policy, scores and checks.

Pure functions: numbers in, records out, no disk. Money is integer 分, rates are exact
:class:`~fractions.Fraction`, scores are :class:`~decimal.Decimal` rounded half up to the policy's
decimals. Every score carries the :class:`Rule` codes that decided it and every reconciliation is a
:class:`Check`; words for both belong to the presentation layer.

The rules come from a :class:`~fundanalysis.ingest.policy.Policy` (the default rules (docs/domain.md), or a
fund's ``scoring.toml``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from fundanalysis.ingest.policy import DEFAULT_POLICY, OverBudget, Policy
from fundanalysis.ingest.targets import (
    SOURCE_FUNDS,
    Actual,
    Fund,
    Indicator,
    Kind,
    Operator,
    Outcome,
    Target,
)


class Rule(StrEnum):
    """The rule that decided a score (or how a figure was obtained)."""

    BUDGET_RATE = "budget_rate"
    BUDGET_CAPPED_OVER_100 = "budget_capped_over_100"
    BUDGET_SYMMETRIC_OVER_100 = "budget_symmetric_over_100"
    BUDGET_BELOW_THRESHOLD = "budget_below_threshold"
    BUDGET_NO_RATE = "budget_no_rate"
    TOTAL_FROM_SOURCES = "total_from_sources"
    GE_MET = "ge_met"
    GE_PROPORTIONAL = "ge_proportional"
    LE_MET = "le_met"
    LE_PROPORTIONAL = "le_proportional"
    EQ_MET = "eq_met"
    EQ_DEVIATION = "eq_deviation"
    TIME_MET = "time_met"
    TIME_LATE = "time_late"
    TIME_LATE_DEDUCTION = "time_late_deduction"
    QUAL_MET = "qual_met"
    QUAL_PARTIAL = "qual_partial"
    QUAL_MISSED = "qual_missed"
    TEXT_MATCHES_TARGET = "text_matches_target"
    OPERATOR_ASSUMED = "operator_assumed"


class CheckCode(StrEnum):
    """What a reconciliation check compares."""

    MONEY_TOTAL = "money_total"  # 年度资金总额 = Σ source rows, per column
    STATED_RATE = "stated_rate"  # stated 执行率 = 全年执行数 ÷ 全年预算数
    STATED_SCORE = "stated_score"  # stated 得分 = computed score
    BLOCK_WEIGHT = "block_weight"  # Σ 分值 of a block (or the budget's 分值) = the policy's weight
    UNKNOWN_BLOCK = "unknown_block"  # a 一级指标 the policy does not know
    DUPLICATE_INDICATOR = "duplicate_indicator"  # one 三级指标 in two blocks
    TOTAL_WEIGHT = "total_weight"  # Σ of all 分值 = the policy's total (100)
    STATED_TOTAL = "stated_total"  # stated 总分 = computed total


class Phase(StrEnum):
    """Money columns of the 项目资金 block (the budget phase)."""

    APPROVED = "approved"  # 年初预算数
    BUDGET = "budget"  # 全年预算数
    EXECUTED = "executed"  # 全年执行数


class Gap(StrEnum):
    """Why a scored form is not whole (then it has points but no grade)."""

    NO_BUDGET_SCORE = "no_budget_score"  # 预算执行 cannot be scored (budget or execution missing)
    MISSING_BLOCK = "missing_block"  # a 一级指标 of the policy has no indicator (e.g. cut off before 满意度)
    WEIGHT_SHORT = "weight_short"  # Σ 分值 (with 预算执行) below the policy's total


@dataclass(frozen=True)
class Missing:
    """One gap of a form: what is missing (``subject``: the block, or ``all``), with the weight the
    form gives and the weight the policy expects."""

    gap: Gap
    subject: str
    stated: Decimal | None = None
    expected: Decimal | None = None


#: Check subjects that are not a fund row or an indicator.
SUBJECT_BUDGET = "budget"
SUBJECT_ALL = "all"
SUBJECT_TOTAL = "total"

@dataclass(frozen=True)
class Check:
    """One reconciliation: what the form states against what it should be (None when unknown).

    For weight checks ``computed`` holds the policy's weight. ``ok`` is None when an input is missing.
    """

    code: CheckCode
    subject: str
    stated: Any
    computed: Any
    ok: bool | None
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class BudgetScore:
    """The 预算执行 score: rate = executed ÷ budget; ``fraction`` is the share of the weight earned."""

    executed: int | None
    budget: int | None
    weight: Decimal
    rate: Fraction | None
    fraction: Fraction | None
    score: Decimal | None
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator's score: ``fraction`` of ``weight`` earned, rounded into ``score``."""

    weight: Decimal
    fraction: Fraction
    score: Decimal
    rules: tuple[Rule, ...]
    months_late: int | None = None


@dataclass(frozen=True)
class ScoredIndicator:
    """An indicator of the form with its computed score."""

    indicator: Indicator
    result: IndicatorScore


@dataclass(frozen=True)
class MoneyRow:
    """One row of the 项目资金 block as stated (money in 分; a Decimal rate keeps its written digits)."""

    category: Fund
    approved: int | None = None
    budget: int | None = None
    executed: int | None = None
    weight: Decimal | None = None
    stated_rate: Decimal | Fraction | None = None
    stated_score: Decimal | None = None
    row: int | None = None


@dataclass(frozen=True)
class MoneyBlock:
    """The effective figures of the 项目资金 block and its reconciliation checks."""

    approved: int | None
    budget: int | None
    executed: int | None
    rate: Fraction | None
    rate_vs_approved: Fraction | None
    weight: Decimal | None
    stated_score: Decimal | None
    from_sources: tuple[Phase, ...]
    rules: tuple[Rule, ...]
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Block:
    """A 一级指标: the form's Σ 分值 and Σ 得分, and the policy's weight (None if unknown)."""

    level1: str
    weight: Decimal
    score: Decimal
    policy_weight: Decimal | None


@dataclass(frozen=True)
class Scorecard:
    """The whole form scored. ``complete`` only when the form is whole (``missing`` is empty: the
    budget is scored, every 一级指标 of the policy is there and the weights reach the policy's total);
    otherwise the points are added up but there is no ``grade``."""

    budget: BudgetScore | None
    indicators: tuple[ScoredIndicator, ...]
    blocks: tuple[Block, ...]
    total: Decimal
    max_total: Decimal
    grade: str | None
    complete: bool
    checks: tuple[Check, ...]
    missing: tuple[Missing, ...] = ()


def round_half_up(value: Fraction, places: int) -> Decimal:
    """Round an exact value half up (away from zero) to ``places`` decimals.

    >>> round_half_up(Fraction(8687, 1000), 2), round_half_up(Fraction(5, 2), 0)
    (Decimal('8.69'), Decimal('3'))
    """
    scaled = value * 10**places
    n = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(-n if scaled < 0 else n).scaleb(-places)


def points(weight: Decimal, fraction: Fraction, places: int) -> Decimal:
    """The score earning ``fraction`` of ``weight``: the weight itself for full marks, else rounded
    half up to ``places`` and never above the weight (a 分值 may have more decimals than the policy).

    >>> points(Decimal(5), Fraction(3, 5), 2), points(Decimal("2.5"), Fraction(1), 0)
    (Decimal('3.00'), Decimal('2.5'))
    >>> points(Decimal("2.6"), Fraction(99, 100), 0)  # 2.574 rounds to 3, above the weight
    Decimal('2.6')
    """
    if fraction >= 1:
        return weight
    return min(round_half_up(Fraction(weight) * fraction, places), weight)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _terminating_places(value: Fraction) -> int | None:
    """Decimals needed to write ``value`` exactly, or None if it does not terminate."""
    d, twos, fives = value.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    return max(twos, fives) if d == 1 else None


def agrees(stated: Decimal | Fraction, exact: Fraction, cap: int | None = None) -> bool:
    """True if ``exact`` rounded half up to the stated precision (at most ``cap`` decimals) is ``stated``.

    >>> agrees(Decimal("0.950"), Fraction(456, 480)), agrees(Decimal("9"), Fraction(8687, 1000))
    (True, True)
    >>> agrees(Decimal("8.68"), Fraction(8687, 1000)), agrees(Decimal("9.50"), Fraction(19, 2), cap=1)
    (False, True)
    """
    if isinstance(stated, Fraction):
        places = _terminating_places(stated)
        if places is None:
            return stated == exact
    else:
        places = _places(stated)
    if cap is not None:
        places = min(places, cap)
    return Fraction(round_half_up(exact, places)) == Fraction(stated)


def grade(total: Decimal, policy: Policy = DEFAULT_POLICY) -> str:
    """The grade band of a total: the first band whose threshold the total reaches.

    >>> grade(Decimal("95.5")), grade(Decimal("89.99")), grade(Decimal("60")), grade(Decimal("12"))
    ('优', '良', '中', '差')
    """
    for name, threshold in sorted(policy.grades, key=lambda g: g[1], reverse=True):
        if total >= threshold:
            return name
    return min(policy.grades, key=lambda g: g[1])[0]


def score_budget(executed_fen: int | None, budget_fen: int | None, weight: Decimal | None = None,
                 policy: Policy = DEFAULT_POLICY) -> BudgetScore:
    """Score budget execution: 执行率 × 分值, capped at 分值 (``weight`` None: the policy's).

    No rate and no score when the budget is 0 or missing or the executed amount is missing.

    >>> s = score_budget(456_000_000, 480_000_000, Decimal(10))
    >>> s.rate, s.score, s.rules
    (Fraction(19, 20), Decimal('9.50'), (<Rule.BUDGET_RATE: 'budget_rate'>,))
    """
    w = policy.budget_weight if weight is None else weight
    if (executed_fen is not None and executed_fen < 0) or (budget_fen is not None and budget_fen < 0):
        raise ValueError("money amounts must not be negative")
    if not budget_fen or executed_fen is None:
        return BudgetScore(executed_fen, budget_fen, w, None, None, None, (Rule.BUDGET_NO_RATE,))
    rate = Fraction(executed_fen, budget_fen)
    if policy.budget_zero_below is not None and rate < policy.budget_zero_below:
        fraction, rule = Fraction(0), Rule.BUDGET_BELOW_THRESHOLD
    elif rate > 1 and policy.budget_over_100 is OverBudget.SYMMETRIC:
        fraction, rule = max(Fraction(0), 2 - rate), Rule.BUDGET_SYMMETRIC_OVER_100
    elif rate > 1:
        fraction, rule = Fraction(1), Rule.BUDGET_CAPPED_OVER_100
    else:
        fraction, rule = rate, Rule.BUDGET_RATE
    score = points(w, fraction, policy.decimals)
    return BudgetScore(executed_fen, budget_fen, w, rate, fraction, score, (rule,))


def _months_late(target: Target, actual: Actual) -> int:
    """Calendar months after the deadline's month (1 when late within that month); 0 when on time."""
    assert target.month is not None and actual.month is not None
    years = target.year is not None and actual.year is not None
    due = (target.year if years else 0) * 12 + target.month  # type: ignore[operator]
    done = (actual.year if years else 0) * 12 + actual.month  # type: ignore[operator]
    if done != due:
        return max(0, done - due)
    if target.day is None:
        return 0
    if actual.day is None:
        raise ValueError(f"actual {actual.text!r} does not say the day; the deadline {target.text!r} does")
    return 0 if actual.day <= target.day else 1


def _quantitative(target: Target, actual: Actual) -> tuple[Fraction, list[Rule]]:
    if target.value is None or actual.value is None:
        raise ValueError("a quantitative target and its actual need values")
    t, a = Fraction(target.value), Fraction(actual.value)
    rules = [] if target.operator is not None or target.operator_assumed else [Rule.OPERATOR_ASSUMED]
    op = target.operator or Operator.GE
    if op is Operator.GE:
        if a >= t:
            return Fraction(1), [*rules, Rule.GE_MET]
        return a / t, [*rules, Rule.GE_PROPORTIONAL]
    if op is Operator.LE:
        if a <= t:
            return Fraction(1), [*rules, Rule.LE_MET]
        return t / a, [*rules, Rule.LE_PROPORTIONAL]
    if a == t:
        return Fraction(1), [*rules, Rule.EQ_MET]
    fraction = Fraction(0) if t == 0 else max(Fraction(0), 1 - abs(a - t) / t)
    return fraction, [*rules, Rule.EQ_DEVIATION]


def score_indicator(target: Target, actual: Actual, weight: Decimal,
                    policy: Policy = DEFAULT_POLICY) -> IndicatorScore:
    """Score one indicator under the policy.

    ≥: full when met, else 分值 × actual ÷ target; ≤: full when met, else 分值 × target ÷ actual;
    =: full when equal, else 分值 × (1 − |actual − target| ÷ target), floor 0 (a target of 0 missed
    scores 0); deadline: full when not later, else 0 or 分值 × (1 − deduction × months late), floor 0;
    qualitative: full, the policy's partial share, or 0. An actual repeating the target text is met.

    >>> from fundanalysis.ingest.targets import parse_actual, parse_target
    >>> t = parse_target("=10个")
    >>> r = score_indicator(t, parse_actual("9个", t), Decimal(10))
    >>> r.score, r.rules
    (Decimal('9.00'), (<Rule.EQ_DEVIATION: 'eq_deviation'>,))
    """
    if weight < 0:
        raise ValueError("a weight must not be negative")
    rules: list[Rule] = [Rule.OPERATOR_ASSUMED] if target.operator_assumed else []
    months: int | None = None
    if actual.matches_target:
        fraction, decided = Fraction(1), [Rule.TEXT_MATCHES_TARGET]
    elif actual.kind is not target.kind:
        raise ValueError(f"a {actual.kind} actual cannot be scored against a {target.kind} target")
    elif target.kind is Kind.QUALITATIVE:
        fraction, decided = {
            Outcome.MET: (Fraction(1), [Rule.QUAL_MET]),
            Outcome.PARTIAL: (policy.qualitative_partial, [Rule.QUAL_PARTIAL]),
            Outcome.MISSED: (Fraction(0), [Rule.QUAL_MISSED]),
        }[actual.outcome or Outcome.MISSED]
    elif target.kind is Kind.TIME:
        months = _months_late(target, actual)
        if months == 0:
            fraction, decided = Fraction(1), [Rule.TIME_MET]
        elif policy.late_month_deduction is None:
            fraction, decided = Fraction(0), [Rule.TIME_LATE]
        else:
            fraction = max(Fraction(0), 1 - policy.late_month_deduction * months)
            decided = [Rule.TIME_LATE_DEDUCTION]
    else:
        fraction, decided = _quantitative(target, actual)
    score = points(weight, fraction, policy.decimals)
    return IndicatorScore(weight, fraction, score, tuple(rules + decided), months)


def score_indicators(indicators: Iterable[Indicator], policy: Policy = DEFAULT_POLICY) -> tuple[ScoredIndicator, ...]:
    """Score each parsed indicator row."""
    return tuple(ScoredIndicator(i, score_indicator(i.target, i.actual, i.weight, policy)) for i in indicators)


def money_block(rows: Iterable[MoneyRow]) -> MoneyBlock:
    """Reconcile the 项目资金 block and give the figures the budget score uses.

    Per column, the effective figure is the total row's, except when the total row is missing or
    left at 0 while the source rows hold money: then it is Σ source rows, recorded in
    ``from_sources`` and the rule ``total_from_sources``. The checks show every comparison.

    >>> b = money_block([MoneyRow(Fund.TOTAL, 0, 0, 0), MoneyRow(Fund.APPROPRIATION, 100, 100, 90)])
    >>> b.budget, b.executed, b.from_sources
    (100, 90, (<Phase.APPROVED: 'approved'>, <Phase.BUDGET: 'budget'>, <Phase.EXECUTED: 'executed'>))
    """
    by_fund: dict[Fund, MoneyRow] = {}
    for r in rows:
        if r.category in by_fund:
            raise ValueError(f"the 项目资金 block has two {r.category} rows")
        by_fund[r.category] = r
    total = by_fund.get(Fund.TOTAL)
    sources = [by_fund[f] for f in SOURCE_FUNDS if f in by_fund]
    effective: dict[Phase, int | None] = {}
    from_sources: list[Phase] = []
    checks: list[Check] = []
    for phase in Phase:
        stated: int | None = getattr(total, phase.value) if total is not None else None
        parts = [v for v in (getattr(r, phase.value) for r in sources) if v is not None]
        summed = sum(parts) if parts else None
        ok = None if stated is None or summed is None else stated == summed
        checks.append(Check(CheckCode.MONEY_TOTAL, Fund.TOTAL, stated, summed, ok,
                            total.row if total is not None else None, phase))
        if summed is not None and (stated is None or (stated == 0 and summed > 0)):
            effective[phase] = summed
            from_sources.append(phase)
        else:
            effective[phase] = stated
    budget, executed, approved = effective[Phase.BUDGET], effective[Phase.EXECUTED], effective[Phase.APPROVED]
    for line in (total, *sources):
        if line is None or line.stated_rate is None:
            continue
        b, e = (budget, executed) if line is total else (line.budget, line.executed)
        rate = Fraction(e, b) if b and e is not None else None
        checks.append(Check(CheckCode.STATED_RATE, line.category, line.stated_rate, rate,
                            None if rate is None else agrees(line.stated_rate, rate), line.row))
    return MoneyBlock(
        approved, budget, executed,
        rate=Fraction(executed, budget) if budget and executed is not None else None,
        rate_vs_approved=Fraction(executed, approved) if approved and executed is not None else None,
        weight=total.weight if total is not None else None,
        stated_score=total.stated_score if total is not None else None,
        from_sources=tuple(from_sources),
        rules=(Rule.TOTAL_FROM_SOURCES,) if from_sources else (),
        checks=tuple(checks),
    )


def score_money_block(block: MoneyBlock, policy: Policy = DEFAULT_POLICY) -> BudgetScore:
    """The 预算执行 score of a money block (its 分值, else the policy's), noting figures taken from sources."""
    score = score_budget(block.executed, block.budget, block.weight, policy)
    if Phase.BUDGET in block.from_sources or Phase.EXECUTED in block.from_sources:
        return BudgetScore(score.executed, score.budget, score.weight, score.rate, score.fraction, score.score,
                           (Rule.TOTAL_FROM_SOURCES, *score.rules))
    return score


def _stated_check(subject: str, stated: Decimal, exact: Fraction | None, computed: Decimal | None,
                  policy: Policy, row: int | None = None) -> Check:
    ok = None if exact is None else agrees(stated, exact, cap=policy.decimals)
    return Check(CheckCode.STATED_SCORE, subject, stated, computed, ok, row)


def scorecard(budget: BudgetScore | None, indicators: Sequence[ScoredIndicator], policy: Policy = DEFAULT_POLICY,
              *, stated_budget_score: Decimal | None = None, stated_total: Decimal | None = None) -> Scorecard:
    """Add up the form: total = budget score + Σ indicator scores, blocks, grade and checks.

    Stated scores agree when the computed score, rounded to the stated precision (at most the
    policy's decimals), equals them: a stated 9.5 agrees with 9.50.
    """
    checks: list[Check] = []
    if budget is not None and stated_budget_score is not None:
        exact = None if budget.fraction is None else Fraction(budget.weight) * budget.fraction
        checks.append(_stated_check(SUBJECT_BUDGET, stated_budget_score, exact, budget.score, policy))
    for s in indicators:
        if s.indicator.stated_score is not None:
            checks.append(_stated_check(s.indicator.name, s.indicator.stated_score,
                                        Fraction(s.result.weight) * s.result.fraction, s.result.score, policy,
                                        s.indicator.row))
    blocks_of: dict[str, list[str]] = {}
    for s in indicators:
        levels = blocks_of.setdefault(s.indicator.name, [])
        if s.indicator.level1 not in levels:
            levels.append(s.indicator.level1)
    for name, levels in blocks_of.items():
        if len(levels) > 1:
            checks.append(Check(CheckCode.DUPLICATE_INDICATOR, name, tuple(levels), None, False))
    known = policy.block_weights
    order = list(known) + [lv for lv in dict.fromkeys(s.indicator.level1 for s in indicators) if lv not in known]
    blocks = []
    for level1 in order:
        members = [s for s in indicators if s.indicator.level1 == level1]
        weight = sum((s.result.weight for s in members), Decimal(0))
        blocks.append(Block(level1, weight, sum((s.result.score for s in members), Decimal(0)), known.get(level1)))
        if level1 in known:
            checks.append(Check(CheckCode.BLOCK_WEIGHT, level1, weight, known[level1], weight == known[level1]))
        else:
            checks.append(Check(CheckCode.UNKNOWN_BLOCK, level1, weight, None, False))
    budget_weight = budget.weight if budget is not None else Decimal(0)
    if budget is not None:
        checks.append(Check(CheckCode.BLOCK_WEIGHT, SUBJECT_BUDGET, budget.weight, policy.budget_weight,
                            budget.weight == policy.budget_weight))
    max_total = sum((s.result.weight for s in indicators), budget_weight)
    checks.append(Check(CheckCode.TOTAL_WEIGHT, SUBJECT_ALL, max_total, policy.total_weight,
                        max_total == policy.total_weight))
    budget_scored = budget is not None and budget.score is not None
    total = sum((s.result.score for s in indicators), Decimal(0))
    if budget is not None and budget.score is not None:
        total += budget.score
    if stated_total is not None:
        checks.append(Check(CheckCode.STATED_TOTAL, SUBJECT_TOTAL, stated_total, total,
                            agrees(stated_total, Fraction(total), cap=policy.decimals) if budget_scored else None))
    missing = form_gaps(budget, indicators, policy)
    complete = not missing
    return Scorecard(budget, tuple(indicators), tuple(blocks), total, max_total,
                     grade(total, policy) if complete else None, complete, tuple(checks), missing)


def form_gaps(budget: BudgetScore | None, indicators: Sequence[ScoredIndicator],
              policy: Policy = DEFAULT_POLICY) -> tuple[Missing, ...]:
    """What keeps a form from being whole: no 预算执行 score, a 一级指标 of the policy with no
    indicator (a form cut off before its 满意度 block), Σ 分值 below the policy's total.

    >>> [str(m.gap) for m in form_gaps(None, [])]
    ['no_budget_score', 'missing_block', 'missing_block', 'missing_block', 'weight_short']
    """
    out: list[Missing] = []
    if budget is None or budget.score is None:
        out.append(Missing(Gap.NO_BUDGET_SCORE, SUBJECT_BUDGET, None, policy.budget_weight))
    present = {s.indicator.level1 for s in indicators}
    for level1, weight in policy.blocks:
        if level1 not in present:
            out.append(Missing(Gap.MISSING_BLOCK, level1, None, weight))
    given = sum((s.result.weight for s in indicators), budget.weight if budget is not None else Decimal(0))
    if given < policy.total_weight:
        out.append(Missing(Gap.WEIGHT_SHORT, SUBJECT_ALL, given, policy.total_weight))
    return tuple(out)
