"""The self-evaluation form of a year, scored: its money block, indicators, total and checks.

Built from the processed tables: sheet 资金来源 (the form's money block), 绩效指标 (the
indicators, with the form's 总分 row) and 年度目标, scored under the fund's policy (table
``scoring_policy``, from ``scoring.toml``; the default rules (docs/domain.md) without one). A report without a
form still has a 预算执行 score when it states a budget and what was executed: that score
alone, with no total and no grade, since the report gives no 绩效指标.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from fundanalysis.analysis import metrics
from fundanalysis.analysis.scoring import (
    BudgetScore,
    Check,
    Missing,
    MoneyBlock,
    MoneyRow,
    Scorecard,
    ScoredIndicator,
    form_gaps,
    money_block,
    score_budget,
    score_indicators,
    score_money_block,
    scorecard,
)
from fundanalysis.ingest.policy import DEFAULT_POLICY, Policy, policy_from_toml
from fundanalysis.ingest.specs import SHEETS_BY_TABLE
from fundanalysis.ingest.targets import (
    LEVEL1,
    NAME,
    SCORE,
    fund_category,
    is_total_row,
    parse_indicator_rows,
    parse_points,
    parse_rate,
)

Tables = dict[str, pd.DataFrame]
FORM_TABLES = ("money_sources", "indicators", "goals")


@dataclass(frozen=True)
class SelfEvaluation:
    """A year's form, scored. ``card`` is None when the report gives no 绩效指标 (then the total
    is the 预算执行 score alone, out of its weight, and there is no grade)."""

    policy: Policy
    policy_file: str | None
    has_form: bool
    money: MoneyBlock | None
    money_rows: tuple[MoneyRow, ...]
    budget: BudgetScore | None
    stated_budget_score: Decimal | None
    indicators: tuple[ScoredIndicator, ...]
    deviations: tuple[str | None, ...]
    card: Scorecard | None
    stated_total: Decimal | None
    goals: tuple[tuple[str | None, str | None], ...]

    @property
    def total(self) -> Decimal | None:
        """The computed 总分 (with indicators), or the 预算执行 score alone."""
        if self.card is not None:
            return self.card.total
        return self.budget.score if self.budget is not None else None

    @property
    def max_total(self) -> Decimal | None:
        """What the total is out of: Σ 分值 with indicators, else 预算执行's weight."""
        if self.card is not None:
            return self.card.max_total
        return self.budget.weight if self.budget is not None else None

    @property
    def grade(self) -> str | None:
        """优/良/中/差 (or the policy's bands) for a complete form; None otherwise."""
        return self.card.grade if self.card is not None else None

    @property
    def lost_points(self) -> bool:
        """True when an indicator, or 预算执行, scored below its weight (else nothing to chart as lost)."""
        b = self.budget
        return (b is not None and b.score is not None and b.score < b.weight) or \
            any(s.result.score < s.result.weight for s in self.indicators)

    @property
    def complete(self) -> bool:
        """True for a whole form: every 一级指标 of the policy, weights reaching its total, 预算执行 scored."""
        return self.card is not None and self.card.complete

    @property
    def missing(self) -> tuple[Missing, ...]:
        """What the form lacks to be graded (empty for a whole form, and for a year with no form)."""
        if self.card is not None:
            return self.card.missing
        return form_gaps(self.budget, (), self.policy) if self.has_form else ()

    @property
    def checks(self) -> tuple[Check, ...]:
        """Every reconciliation of the form: the money block's, then the scorecard's."""
        out = list(self.money.checks) if self.money is not None else []
        if self.card is not None:
            out += self.card.checks
        return tuple(out)


def policy_of(tables: Tables) -> tuple[Policy, str | None]:
    """The scoring policy of the year (validated when read) and its file name, or the defaults."""
    df = tables.get("scoring_policy")
    if df is None or not len(df):
        return DEFAULT_POLICY, None
    row = df.iloc[0]
    return policy_from_toml(str(row["toml"]), str(row["file"])), str(row["file"])


def _excel_row(ref: Any) -> int | None:
    """The Excel row of an ``input_ref`` (``file:sheet:row``)."""
    if ref is None or pd.isna(ref):
        return None
    tail = str(ref).rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _value(v: Any) -> Any:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _money_rows(df: pd.DataFrame) -> tuple[MoneyRow, ...]:
    rows = []
    for _, r in df.iterrows():
        rows.append(MoneyRow(
            fund_category(str(r["category"])),
            approved=None if pd.isna(r["initial_fen"]) else int(r["initial_fen"]),
            budget=None if pd.isna(r["annual_fen"]) else int(r["annual_fen"]),
            executed=None if pd.isna(r["executed_fen"]) else int(r["executed_fen"]),
            weight=parse_points(_value(r.get("weight")), required=False),
            stated_rate=parse_rate(_value(r.get("stated_rate"))),
            stated_score=parse_points(_value(r.get("stated_score")), required=False),
            row=_excel_row(r.get("input_ref"))))
    return tuple(rows)


def _indicators(df: pd.DataFrame, policy: Policy) -> tuple[tuple[ScoredIndicator, ...], tuple[str | None, ...],
                                                          Decimal | None]:
    """Score the indicator rows; the 总分 row gives the stated total."""
    spec = SHEETS_BY_TABLE["indicators"]
    rows, deviations = [], []
    stated_total: Decimal | None = None
    for _, r in df.iterrows():
        cells = {c.header: _value(r[c.field]) for c in spec.columns if c.field in df}
        if is_total_row(cells.get(LEVEL1), cells.get(NAME)):
            stated_total = parse_points(cells.get(SCORE), required=True)
            continue
        rows.append((_excel_row(r.get("input_ref")) or 0, cells))
        deviations.append(cells.get("偏差原因分析及改进措施"))
    parsed = parse_indicator_rows(rows, "", SHEETS_BY_TABLE["indicators"].name)
    return score_indicators(parsed, policy), tuple(deviations), stated_total


def self_evaluation(tables: Tables) -> SelfEvaluation | None:
    """Score the year's form; None when there is neither a form nor a budget to score."""
    policy, policy_file = policy_of(tables)
    has = {t: t in tables and len(tables[t]) > 0 for t in FORM_TABLES}
    money = rows = None
    if has["money_sources"]:
        rows = _money_rows(tables["money_sources"])
        money = money_block(rows)
        budget: BudgetScore | None = score_money_block(money, policy)
    elif "fund" in tables and len(tables["fund"]):
        fund = tables["fund"].iloc[0]
        b, e = metrics.budget_of(fund), metrics.execution_of(tables, fund)
        # only money executed is scored: an allocation (安排) gives no 预算执行得分
        budget = score_budget(e.executed_fen, b.fen, None, policy) if b.fen is not None else None
    else:
        budget = None
    indicators: tuple[ScoredIndicator, ...] = ()
    deviations: tuple[str | None, ...] = ()
    stated_total = None
    if has["indicators"]:
        indicators, deviations, stated_total = _indicators(tables["indicators"], policy)
    if budget is None and not any(has.values()):
        return None
    stated_budget = money.stated_score if money is not None else None
    card = scorecard(budget, indicators, policy, stated_budget_score=stated_budget,
                     stated_total=stated_total) if indicators else None
    goals = tuple((_value(r["expected"]), _value(r["achieved"])) for _, r in tables["goals"].iterrows()) \
        if has["goals"] else ()
    return SelfEvaluation(policy, policy_file, any(has.values()), money, rows or (), budget, stated_budget,
                          indicators, deviations, card, stated_total, goals)


def record(se: SelfEvaluation) -> dict[str, Any]:
    """The scored form as plain values for summary.json (scores Decimal, rates Fraction, money 分)."""
    from fundanalysis.analysis.scoring import CheckCode

    b = se.budget
    ok_by_row: dict[int | None, bool | None] = {
        c.row: c.ok for c in se.checks if c.code is CheckCode.STATED_SCORE and c.row is not None}
    budget_ok = next((c.ok for c in se.checks if c.code is CheckCode.STATED_SCORE and c.subject == "budget"), None)
    return {
        "total": se.total,
        "max_total": se.max_total,
        "grade": se.grade,
        "complete": se.complete,
        "missing": [{"gap": str(m.gap), "subject": m.subject, "stated": m.stated, "expected": m.expected}
                    for m in se.missing],
        "has_form": se.has_form,
        "has_indicators": bool(se.indicators),
        "policy_file": se.policy_file,
        "budget_execution": None if b is None else {
            "rate": b.rate, "weight": b.weight, "score": b.score, "stated_score": se.stated_budget_score,
            "ok": budget_ok, "budget_fen": b.budget, "executed_fen": b.executed,
            "rule": str(b.rules[-1]), "rules": [str(r) for r in b.rules],
            "from_sources": [str(p) for p in se.money.from_sources] if se.money is not None else [],
        },
        "blocks": [{"level1": k.level1, "weight": k.weight, "score": k.score, "policy_weight": k.policy_weight}
                   for k in (se.card.blocks if se.card is not None else ())],
        "indicators": [{
            "level1": s.indicator.level1, "level2": s.indicator.level2 or None, "name": s.indicator.name,
            "target": s.indicator.target.text, "actual": s.indicator.actual.text, "weight": s.result.weight,
            "score": s.result.score, "stated_score": s.indicator.stated_score,
            "rule": str(s.result.rules[-1]), "rules": [str(r) for r in s.result.rules],
            "ok": ok_by_row.get(s.indicator.row), "row": s.indicator.row,
        } for s in se.indicators],
        "stated_total": se.stated_total,
        "checks_failed": sum(1 for c in se.checks if c.ok is False),
    }
