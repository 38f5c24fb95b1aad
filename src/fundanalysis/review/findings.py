"""Check one filed form: re-score it under the policy and name what does not hold, with its cells.

Pure: a :class:`~fundanalysis.review.reader.FiledForm` in, a small record of plain values out (what a
Dask worker sends back). The scores come from :mod:`fundanalysis.analysis.scoring`; this module only
compares them with what the form states and names the difference (:class:`Finding`). Findings that
need several forms (the same text in the forms of different units) are added by
:func:`fundanalysis.review.run.boilerplate_findings` on the client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from fundanalysis.analysis.scoring import (
    Check,
    CheckCode,
    MoneyRow,
    ScoredIndicator,
    money_block,
    score_indicators,
    score_money_block,
    scorecard,
)
from fundanalysis.errors import InputError
from fundanalysis.ingest.policy import DEFAULT_POLICY, Policy
from fundanalysis.ingest.targets import (
    ACTUAL,
    LEVEL1,
    NAME,
    QUALITATIVE_WORDS,
    SCORE,
    WEIGHT,
    Fund,
    Kind,
    TargetError,
    parse_indicator_rows,
    parse_points,
    parse_rate,
)
from fundanalysis.review.reader import DEVIATION, EVIDENCE, Cell, FiledForm, norm


class FindingKind(StrEnum):
    """What a finding says is wrong. The order is the order of the review list's columns."""

    STATED_TOTAL = "stated_total"  # 总分 stated ≠ the sum of the computed scores
    STATED_SCORE = "stated_score"  # a 得分 (an indicator's or 预算执行's) ≠ the computed score
    MISSED_FULL_POINTS = "missed_full_points"  # target not met, full points, no 偏差原因
    MET_BUT_DEDUCTED = "met_but_deducted"  # target met, points deducted
    STATED_RATE = "stated_rate"  # 执行率 stated ≠ 全年执行数 ÷ 全年预算数
    OVER_EXECUTION = "over_execution"  # 全年执行数 > 全年预算数
    MONEY_TOTAL = "money_total"  # 年度资金总额 ≠ Σ source rows
    WEIGHTS = "weights"  # a block's Σ 分值 (or the total) ≠ the policy's
    MISSING_BLOCK = "missing_block"  # 项目资金, 年度总体目标, 绩效指标 or a 一级指标 block absent
    UNREADABLE = "unreadable"  # an indicator cell that cannot be read (empty name, target, actual ...)
    QUALITATIVE_NO_EVIDENCE = "qualitative_no_evidence"  # 定性 indicator at full points, nothing to show
    DUPLICATE_INDICATOR = "duplicate_indicator"  # one 三级指标 in two blocks
    UNKNOWN_BLOCK = "unknown_block"  # a 一级指标 the policy does not know
    BOILERPLATE = "boilerplate"  # the same text in the forms of different units


#: Weight of each kind in the review priority (after inflation): how strongly it suggests a
#: form scored higher than it earned, or one whose figures cannot be trusted.
KIND_WEIGHTS: dict[FindingKind, int] = {
    FindingKind.MISSED_FULL_POINTS: 5,
    FindingKind.STATED_TOTAL: 4,
    FindingKind.STATED_SCORE: 3,
    FindingKind.STATED_RATE: 3,
    FindingKind.OVER_EXECUTION: 3,
    FindingKind.QUALITATIVE_NO_EVIDENCE: 2,
    FindingKind.MONEY_TOTAL: 2,
    FindingKind.WEIGHTS: 2,
    FindingKind.MISSING_BLOCK: 2,
    FindingKind.UNREADABLE: 2,
    FindingKind.BOILERPLATE: 2,
    FindingKind.MET_BUT_DEDUCTED: 1,
    FindingKind.DUPLICATE_INDICATOR: 1,
    FindingKind.UNKNOWN_BLOCK: 1,
}

#: A finding's words for people (the review list, the pages); one home for them.
KIND_LABELS: dict[FindingKind, str] = {
    FindingKind.STATED_TOTAL: "总分与计算不符",
    FindingKind.STATED_SCORE: "得分与计算不符",
    FindingKind.MISSED_FULL_POINTS: "未达标仍得满分且无偏差原因",
    FindingKind.MET_BUT_DEDUCTED: "已达标却扣分",
    FindingKind.STATED_RATE: "执行率与计算不符",
    FindingKind.OVER_EXECUTION: "超预算执行",
    FindingKind.MONEY_TOTAL: "资金总额不等于各来源之和",
    FindingKind.WEIGHTS: "分值合计不符",
    FindingKind.MISSING_BLOCK: "缺少栏目或指标",
    FindingKind.UNREADABLE: "指标无法读取",
    FindingKind.QUALITATIVE_NO_EVIDENCE: "定性指标满分无佐证",
    FindingKind.DUPLICATE_INDICATOR: "同一指标出现在两栏",
    FindingKind.UNKNOWN_BLOCK: "未知一级指标",
    FindingKind.BOILERPLATE: "与其他单位文字雷同",
}

#: Blocks of the form other than the 一级指标 blocks, as a missing-block finding names them.
MONEY_BLOCK, GOALS_BLOCK, INDICATORS_BLOCK = "项目资金", "年度总体目标", "绩效指标"
#: Columns a qualitative indicator's evidence may stand in (besides 偏差原因分析及改进措施).
EVIDENCE_HEADERS = (DEVIATION, EVIDENCE)
#: Texts shorter than this (after NFKC, without spaces) are not compared across units.
BOILERPLATE_MIN_CHARS = 20


@dataclass(frozen=True)
class Finding:
    """One named inconsistency: its kind, the cells involved, what the form states and what it should be."""

    kind: FindingKind
    cells: tuple[Cell, ...]
    stated: Any
    computed: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as review.json keeps it."""
        return {"kind": str(self.kind), "cells": [c.as_dict() for c in self.cells],
                "stated": _plain(self.stated), "computed": _plain(self.computed), "message": self.message}


def _plain(value: Any) -> Any:
    """A value for JSON: Decimal as its text, a rate (Fraction) to six decimals, tuples as lists."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, Fraction):
        return format(Decimal(value.numerator) / Decimal(value.denominator), ".6f")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _pct(rate: Any) -> str:
    if rate is None:
        return "—"
    return f"{float(Fraction(rate)) * 100:.2f}%"


def _cells(*cells: Cell | None) -> tuple[Cell, ...]:
    return tuple(c for c in cells if c is not None)


def _money_rows(form: FiledForm) -> tuple[MoneyRow, ...]:
    return tuple(MoneyRow(m.category, m.approved, m.budget, m.executed,
                          weight=parse_points(m.weight, required=False),
                          stated_rate=parse_rate(m.stated_rate, bare_fraction=True),
                          stated_score=parse_points(m.stated_score, required=False), row=m.row)
                 for m in form.money)


_BLOCK_POINTS = re.compile(r"[(（]\s*\d+(?:\.\d+)?\s*分\s*[)）]$")


def _indicators(form: FiledForm, policy: Policy) -> tuple[list[ScoredIndicator], list[Finding], dict[str, Decimal]]:
    """Score each indicator row on its own, so that one unreadable row is a finding, not a stop.

    Also gives the 分值 of the unreadable rows per 一级指标, so that they do not count as weights
    missing from their block as well.
    """
    scored: list[ScoredIndicator] = []
    findings: list[Finding] = []
    unread: dict[str, Decimal] = {}
    for row, cells in form.indicators:
        before = len(findings)
        try:
            parsed = parse_indicator_rows([(row, cells)], form.file, form.sheet)
            scored.extend(score_indicators(parsed, policy))
        except InputError as exc:
            for p in exc.problems:
                cell = form.at(row, p.column or NAME)
                findings.append(Finding(FindingKind.UNREADABLE, _cells(cell), p.value, None,
                                        f"第{row}行{p.column or ''}无法读取：{p.reason}"))
        except (TargetError, ValueError) as exc:
            findings.append(Finding(FindingKind.UNREADABLE, _cells(form.at(row, ACTUAL)), cells.get(ACTUAL), None,
                                    f"第{row}行无法评分：{exc}"))
        if len(findings) > before:
            try:
                weight = parse_points(cells.get(WEIGHT), required=False) or Decimal(0)
            except TargetError:
                weight = Decimal(0)
            level1 = _BLOCK_POINTS.sub("", norm(cells.get(LEVEL1)))
            unread[level1] = unread.get(level1, Decimal(0)) + weight
    return scored, findings, unread


def _has_text(value: Any) -> bool:
    return norm(value) not in ("", "—", "-", "/", "无")


def _indicator_findings(form: FiledForm, scored: Sequence[ScoredIndicator], checks: Sequence[Check],
                        policy: Policy) -> list[Finding]:
    cells_of = dict(form.indicators)
    ok_of: dict[int | None, bool | None] = {
        c.row: c.ok for c in checks if c.code is CheckCode.STATED_SCORE and c.row is not None}
    out: list[Finding] = []
    for s in scored:
        i, r = s.indicator, s.result
        stated, row = i.stated_score, i.row
        score_cell = form.at(row, SCORE)
        raw = cells_of.get(row or -1, {})
        evidence = any(_has_text(raw.get(h)) for h in EVIDENCE_HEADERS)
        met = r.fraction >= 1
        # a missed target at full points is named whether or not the stated precision hides the gap
        if stated is not None:
            if met and stated < r.weight:
                out.append(Finding(FindingKind.MET_BUT_DEDUCTED, _cells(score_cell, form.at(row, ACTUAL)),
                                   stated, r.score, f"{i.name}：已达到指标值 {i.target.text}（实际 {i.actual.text}），"
                                   f"却只得 {_plain(stated)} 分（分值 {_plain(r.weight)}）"))
            elif not met and stated >= r.weight and not _has_text(raw.get(DEVIATION)):
                out.append(Finding(FindingKind.MISSED_FULL_POINTS,
                                   _cells(score_cell, form.at(row, ACTUAL), form.at(row, DEVIATION)), stated, r.score,
                                   f"{i.name}：未达到指标值 {i.target.text}（实际 {i.actual.text}），"
                                   f"仍得满分 {_plain(stated)}，未说明偏差原因；按规则应得 {_plain(r.score)} 分"))
            elif ok_of.get(row) is False:
                out.append(Finding(FindingKind.STATED_SCORE, _cells(score_cell), stated, r.score,
                                   f"{i.name}：填报得分 {_plain(stated)}，按规则应得 {_plain(r.score)} 分"))
        if (i.target.kind is Kind.QUALITATIVE and met and stated is not None and stated >= r.weight
                and (i.actual.matches_target or norm(i.actual.text) in QUALITATIVE_WORDS) and not evidence):
            out.append(Finding(FindingKind.QUALITATIVE_NO_EVIDENCE, _cells(form.at(row, ACTUAL), score_cell),
                               stated, None, f"{i.name}：定性指标“{i.target.text}”填“{i.actual.text}”得满分，"
                               "表内无佐证或说明"))
    return out


def _money_findings(form: FiledForm, checks: Sequence[Check], executed: int | None,
                    budget: int | None) -> list[Finding]:
    lines = {m.category: m for m in form.money}
    out: list[Finding] = []
    phase_key = {"approved": "approved", "budget": "budget", "executed": "executed"}
    for c in checks:
        if c.ok is not False:
            continue
        if c.code is CheckCode.MONEY_TOTAL:
            line = lines.get(Fund.TOTAL)
            key = phase_key.get(str(c.column), "budget")
            cells = _cells(line.cells.get(key) if line else None,
                           *(lines[f].cells.get(key) for f in lines if f is not Fund.TOTAL))
            out.append(Finding(FindingKind.MONEY_TOTAL, cells, c.stated, c.computed,
                               f"年度资金总额（{_phase_word(key)}）{_wan(c.stated)} "
                               f"不等于各来源之和 {_wan(c.computed)}"))
        elif c.code is CheckCode.STATED_RATE and not _halfway(c.stated, c.computed):
            line = lines.get(Fund(c.subject))
            label = line.label if line else c.subject
            out.append(Finding(FindingKind.STATED_RATE, _cells(line.cells.get("rate") if line else None),
                               c.stated, c.computed, f"{label}：填报执行率 {_pct(c.stated)}，"
                               f"全年执行数 ÷ 全年预算数 = {_pct(c.computed)}"))
    if executed is not None and budget and executed > budget:
        total = lines.get(Fund.TOTAL)
        out.append(Finding(FindingKind.OVER_EXECUTION,
                           _cells(*(total.cells.get(k) for k in ("executed", "budget"))) if total else (),
                           executed, budget, f"全年执行数 {_wan(executed)} 超过全年预算数 {_wan(budget)}"
                           f"（执行率 {_pct(Fraction(executed, budget))}）"))
    return out


def _halfway(stated: Any, exact: Any) -> bool:
    """True when ``exact`` lies exactly halfway between ``stated`` and its neighbour at the stated
    precision (95.625% written 95.62%): rounded down rather than up, which is no misstatement.

    >>> _halfway(Decimal("0.9562"), Fraction(95625, 100000)), _halfway(Decimal("0.9561"), Fraction(95625, 100000))
    (True, False)
    """
    if not isinstance(stated, Decimal) or exact is None:
        return False
    exponent = stated.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    return abs(Fraction(stated) - Fraction(exact)) == Fraction(1, 2 * 10**places)


def _phase_word(key: str) -> str:
    return {"approved": "年初预算数", "budget": "全年预算数", "executed": "全年执行数"}[key]


def _wan(fen: Any) -> str:
    if fen is None:
        return "—"
    return f"{Decimal(int(fen)) / 1_000_000:,.2f}万元"


def _structure_findings(form: FiledForm, scored: Sequence[ScoredIndicator], checks: Sequence[Check],
                        policy: Policy, unread: dict[str, Decimal]) -> list[Finding]:
    out: list[Finding] = []
    present = {s.indicator.level1 for s in scored} | {
        norm(c.get(LEVEL1)) for _, c in form.indicators if c.get(LEVEL1)}
    first = form.at(form.indicators[0][0], LEVEL1) if form.indicators else None
    if not form.money:
        out.append(Finding(FindingKind.MISSING_BLOCK, _cells(form.cells.get("project")), None, MONEY_BLOCK,
                           "表内没有项目资金栏"))
    if not form.goals:
        out.append(Finding(FindingKind.MISSING_BLOCK, _cells(form.cells.get("project")), None, GOALS_BLOCK,
                           "表内没有年度总体目标"))
    if not form.indicators:
        out.append(Finding(FindingKind.MISSING_BLOCK, _cells(form.cells.get("project")), None, INDICATORS_BLOCK,
                           "表内没有绩效指标"))
    missing_weight = Decimal(0)
    for level1, weight in policy.block_weights.items():
        if form.indicators and not any(p == level1 or p.startswith(level1) for p in present):
            missing_weight += weight
            out.append(Finding(FindingKind.MISSING_BLOCK, _cells(first), None, level1,
                               f"缺少一级指标“{level1}”（按规则 {weight} 分）"))
    rows_of: dict[str, list[int | None]] = {}
    for s in scored:
        rows_of.setdefault(s.indicator.level1, []).append(s.indicator.row)
    explained = Decimal(0)  # what the blocks' own weight findings already account for in the total
    for c in sorted(checks, key=lambda c: c.code is CheckCode.TOTAL_WEIGHT):
        if c.ok is not False:
            continue
        if c.code is CheckCode.BLOCK_WEIGHT and c.stated != 0 and c.stated + unread.get(c.subject, 0) != c.computed:
            explained += c.stated + unread.get(c.subject, 0) - c.computed
            cells = tuple(x for r in rows_of.get(c.subject, []) if (x := form.at(r, WEIGHT)) is not None) \
                if c.subject != "budget" else _cells(_money_weight_cell(form))
            name = "预算执行" if c.subject == "budget" else c.subject
            out.append(Finding(FindingKind.WEIGHTS, cells, c.stated, c.computed,
                               f"{name}分值合计 {_plain(c.stated)}，按规则应为 {_plain(c.computed)}"))
        elif (c.code is CheckCode.TOTAL_WEIGHT
              and c.stated + missing_weight + sum(unread.values()) - explained != c.computed):
            out.append(Finding(FindingKind.WEIGHTS, _cells(form.at(form.total_row, WEIGHT)), c.stated, c.computed,
                               f"全部分值合计 {_plain(c.stated)}，应为 {_plain(c.computed)}"))
        elif c.code is CheckCode.DUPLICATE_INDICATOR:
            out.append(Finding(FindingKind.DUPLICATE_INDICATOR, (), c.stated, None,
                               f"“{c.subject}”同时出现在{'、'.join(c.stated)}"))
        elif c.code is CheckCode.UNKNOWN_BLOCK:
            out.append(Finding(FindingKind.UNKNOWN_BLOCK, (), c.subject, None, f"一级指标“{c.subject}”不在评分规则中"))
    return out


def _money_weight_cell(form: FiledForm) -> Cell | None:
    total = next((m for m in form.money if m.category is Fund.TOTAL), None)
    return total.cells.get("weight") if total else None


def review_form(form: FiledForm, policy: Policy = DEFAULT_POLICY) -> dict[str, Any]:
    """Re-score one form and list its findings, as a small record of plain values.

    The record's keys are review.json's (``file``, ``sheet``, ``project``, ``unit``, ``department``,
    ``stated_total``, ``total``, ``stated_grade``, ``grade``, ``findings``), plus ``inflation``
    (stated − computed total, when both are known), ``year`` and ``texts`` (the long texts the
    client compares across units).
    """
    findings: list[Finding] = []
    money = budget = None
    money_rows: tuple[MoneyRow, ...] = ()
    try:
        money_rows = _money_rows(form)
    except TargetError as exc:
        findings.append(Finding(FindingKind.UNREADABLE, _cells(_money_weight_cell(form)), None, None,
                                f"项目资金栏无法读取：{exc}"))
    if money_rows:
        money = money_block(money_rows)
        budget = score_money_block(money, policy)
    scored, unreadable, unread = _indicators(form, policy)
    findings += unreadable
    stated_total = None
    try:
        stated_total = parse_points(form.stated_total, required=False)
    except TargetError as exc:
        findings.append(Finding(FindingKind.UNREADABLE, _cells(form.at(form.total_row, SCORE)), form.stated_total,
                                None, f"总分无法读取：{exc}"))
    card = scorecard(budget, scored, policy, stated_budget_score=money.stated_score if money else None,
                     stated_total=stated_total)
    checks = [*(money.checks if money else ()), *card.checks]
    if money is not None:
        findings += _money_findings(form, money.checks, money.executed, money.budget)
        budget_check = next((c for c in card.checks if c.code is CheckCode.STATED_SCORE and c.subject == "budget"),
                            None)
        if budget_check is not None and budget_check.ok is False:
            total_line = next((m for m in form.money if m.category is Fund.TOTAL), None)
            weight = _plain(budget.weight) if budget else "—"
            message = (f"预算执行：填报得分 {_plain(budget_check.stated)}，执行率 {_pct(money.rate)} × 分值 {weight} "
                       f"应得 {_plain(budget_check.computed)} 分")
            findings.append(Finding(FindingKind.STATED_SCORE,
                                    _cells(total_line.cells.get("score") if total_line else None),
                                    budget_check.stated, budget_check.computed, message))
    findings += _indicator_findings(form, scored, card.checks, policy)
    findings += _structure_findings(form, scored, card.checks, policy, unread)
    total_check = next((c for c in checks if c.code is CheckCode.STATED_TOTAL), None)
    partial = bool(unreadable) or not card.complete  # the computed total lacks a score
    if total_check is not None and total_check.ok is False and not partial:
        findings.append(Finding(FindingKind.STATED_TOTAL, _cells(form.at(form.total_row, SCORE)), stated_total,
                                card.total,
                                f"填报总分 {_plain(stated_total)}，各项得分按规则合计 {_plain(card.total)}"))
    inflation = stated_total - card.total if stated_total is not None and not partial else None
    texts = [(norm(t), c.as_dict()) for t, c in _long_texts(form) if len(norm(t)) >= BOILERPLATE_MIN_CHARS]
    return {
        "file": form.file, "sheet": form.sheet, "year": form.year, "project": form.project, "unit": form.unit,
        "department": form.department, "money_unit": form.money_unit, "money_unit_stated": form.money_unit_stated,
        "stated_total": _plain(stated_total), "total": _plain(card.total), "total_partial": partial,
        "max_total": _plain(card.max_total), "stated_grade": form.stated_grade, "grade": card.grade,
        "rate": _plain(money.rate) if money is not None and money.rate is not None else None,
        "indicators": len(scored), "inflation": _plain(inflation),
        "findings": [f.as_dict() for f in findings], "texts": texts,
    }


def _long_texts(form: FiledForm) -> list[tuple[str, Cell]]:
    """The free texts of a form (年度总体目标, 偏差原因) with their cells."""
    out: list[tuple[str, Cell]] = []
    for (expected, achieved), row in zip(form.goals, form.goal_rows, strict=False):
        for text, key in ((expected, "goal_expected"), (achieved, "goal_achieved")):
            header = form.cells.get(key)
            if text and header is not None:
                out.append((text, Cell(form.file, form.sheet, row, header.column)))
    for row, cells in form.indicators:
        text = cells.get(DEVIATION)
        cell = form.at(row, DEVIATION)
        if _has_text(text) and cell is not None:
            out.append((str(text), cell))
    return out

