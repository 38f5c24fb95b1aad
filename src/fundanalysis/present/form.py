"""The self-evaluation form on a page: sentences and tables for the 绩效自评 section.

Every score shown is computed under the fund's policy; a score the form states differently is
shown beside it and flagged, with the rule that decided the computed one.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis.analysis.reconcile import FORM_FUNDS
from fundanalysis.analysis.selfeval import SelfEvaluation
from fundanalysis.present import fmt, words
from fundanalysis.present.shown import say_html
from fundanalysis.present.styled import styled_table


def points(v: Any) -> str:
    """A score or weight as the form writes it: ``9.5``, ``10``; "—" when missing.

    >>> points(Decimal("9.50")), points(Decimal("10")), points(None)
    ('9.5', '10', '—')
    """
    if v is None or (not isinstance(v, Decimal | int | float | str) and pd.isna(v)):
        return fmt.MISSING
    d = Decimal(str(v))
    return f"{d.normalize():f}" if d != d.to_integral_value() else str(int(d))


def _say(text: str) -> str:
    return say_html(text)


def brief(se: SelfEvaluation | None) -> str:
    """One sentence for the overview: the total and grade, or the 预算执行 score alone."""
    if se is None or (se.budget is None and not se.indicators):
        return "报告未给出预算数或执行数，无法计算预算执行得分；也未给出绩效指标（自评表）。"
    b = se.budget
    text = ""
    if b is not None and b.score is not None:
        text = (f"按评分规则，预算执行得分 {points(b.score)}（满分 {points(b.weight)}，执行率 "
                f"{fmt.pct(b.rate)}，{words.score_rule(b.rules[-1])}）。")
    elif b is not None:
        text = f"预算执行无法计分：{words.score_rule(b.rules[-1])}。"
    if not se.indicators:
        return words.Sentences(text, "报告未给出绩效指标（自评表）", words.MethodNote("，因此不计算总分和等级"), "。")
    grade = f"，等级“{se.grade}”" if se.grade else f"；{incomplete(se)}"
    return words.Sentences(text, f"自评表总分按评分规则计算为 {points(se.total)}（满分 {points(se.max_total)}）{grade}",
                           words.MethodNote("；详见“绩效自评”"), "。")


def incomplete(se: SelfEvaluation) -> str:
    """Why a form gets points but no grade ("" for a whole form)."""
    gaps = words.form_missing(se.missing)
    return f"自评表不完整（{gaps}），只计得分，不评等级" if gaps else ""


def money_sentence(se: SelfEvaluation) -> str:
    """The money block in words: rate, score, and figures taken from the source rows."""
    b = se.budget
    if b is None:
        return "自评表未给出项目资金。"
    text = (f"全年预算数 {fmt.money(b.budget)}，全年执行数 {fmt.money(b.executed)}，执行率 "
            f"{fmt.pct(b.rate)}；预算执行得分 {points(b.score)}（满分 {points(b.weight)}，"
            f"{words.score_rule(b.rules[-1])}）。")
    if se.money is not None and se.money.from_sources:
        cols = "、".join({"approved": "年初预算数", "budget": "全年预算数", "executed": "全年执行数"}[str(p)]
                        for p in se.money.from_sources)
        text += f"年度资金总额的{cols}未填或填为 0，按各资金来源之和计算。"
    if se.money is not None and se.money.rate_vs_approved is not None:
        text += f"按年初预算数计，执行率 {fmt.pct(se.money.rate_vs_approved)}。"
    if se.stated_budget_score is not None and b.score is not None and se.stated_budget_score != b.score:
        ok = next((c.ok for c in se.checks if str(c.code) == "stated_score" and c.subject == "budget"), None)
        if ok is False:
            text += f"表内填报得分 {points(se.stated_budget_score)}，与计算不符。"
    return text


def money_table(se: SelfEvaluation) -> str:
    """The 项目资金 block: the rows as the form states them and the rate each gives."""
    if se.money is None:
        return ""
    rows = []
    for r in se.money_rows:
        rate = Fraction(r.executed, r.budget) if r.budget and r.executed is not None else None
        if str(r.category) == "total":
            rate = se.money.rate  # the effective figures: the sources' sum where the total is missing or 0
        rows.append({"label": FORM_FUNDS.get(str(r.category), str(r.category)), "initial": r.approved,
                     "annual": r.budget, "executed": r.executed, "weight": points(r.weight),
                     "rate": fmt.pct(rate), "stated_rate": fmt.pct(r.stated_rate) if r.stated_rate is not None
                     else fmt.MISSING, "stated_score": points(r.stated_score)})
    df = pd.DataFrame(rows)
    return styled_table(df, {"label": ("资金类别", None), "initial": ("年初预算数（万元）", fmt.wan),
                             "annual": ("全年预算数（万元）", fmt.wan), "executed": ("全年执行数（万元）", fmt.wan),
                             "weight": ("分值", None), "rate": ("执行率（计算）", None),
                             "stated_rate": ("执行率（表内）", None), "stated_score": ("得分（表内）", None)})


def goals_html(se: SelfEvaluation) -> str:
    """The 年度总体目标 as the form writes them."""
    if not se.goals:
        return _say("报告未给出年度总体目标。")
    df = pd.DataFrame([{"expected": e, "achieved": a} for e, a in se.goals])
    return styled_table(df, {"expected": ("预期目标", None), "achieved": ("实际完成情况", None)})


def indicator_frame(se: SelfEvaluation) -> pd.DataFrame:
    """One row per indicator: target, actual, weight, stated and computed score, rule, agreement."""
    ok_by_row: dict[int | None, bool | None] = {
        c.row: c.ok for c in se.checks if str(c.code) == "stated_score" and c.row is not None}
    return pd.DataFrame([{
        "level1": s.indicator.level1, "level2": s.indicator.level2, "name": s.indicator.name,
        "target": s.indicator.target.text or words.NOT_STATED, "actual": s.indicator.actual.text,
        "weight": s.result.weight, "stated": s.indicator.stated_score, "score": s.result.score,
        "lost": s.result.weight - s.result.score, "rule": words.score_rule(s.result.rules[-1]),
        "ok": ok_by_row.get(s.indicator.row), "deviation": dev,
    } for s, dev in zip(se.indicators, se.deviations, strict=True)])


def indicators_html(se: SelfEvaluation) -> str:
    """The indicators table, rows whose stated score disagrees flagged."""
    if not se.indicators:
        return _say("报告未给出绩效指标。")
    df = indicator_frame(se)
    bad = df[df["ok"] == False]  # noqa: E712
    text = (f"共 {len(df)} 项三级指标，分值合计 {points(df['weight'].sum())}，计算得分合计 "
            f"{points(df['score'].sum())}。")
    text += ("表内填报的得分与计算不符的有：" + "、".join(
        f"{r['name']}（表内 {points(r['stated'])}，计算 {points(r['score'])}）" for _, r in bad.iterrows()) + "。"
        if len(bad) else "表内填报的得分都与计算相符。")
    table = styled_table(df, {
        "level1": ("一级指标", None), "level2": ("二级指标", None), "name": ("三级指标", None),
        "target": ("年度指标值", None), "actual": ("实际完成值", None), "weight": ("分值", points),
        "stated": ("得分（表内）", points), "score": ("得分（计算）", points), "rule": ("计分规则", None),
        "deviation": ("偏差原因分析及改进措施", None)},
        row_class=lambda r: {False: "fail"}.get(r["ok"], ""))
    return _say(text) + table


def total_html(se: SelfEvaluation) -> str:
    """总分 and grade, by block, against the form's stated total."""
    if se.card is None:
        return _say(brief(se))
    blocks = pd.DataFrame([{"level1": "预算执行", "weight": se.budget.weight if se.budget else None,
                            "policy": se.policy.budget_weight, "score": se.budget.score if se.budget else None}]
                          + [{"level1": k.level1, "weight": k.weight, "policy": k.policy_weight, "score": k.score}
                             for k in se.card.blocks])
    text = f"总分 {points(se.total)}（满分 {points(se.max_total)}）"
    text += f"，等级“{se.grade}”。" if se.grade else f"；{incomplete(se) or '不评等级'}。"
    if se.stated_total is not None:
        ok = next((c.ok for c in se.checks if str(c.code) == "stated_total"), None)
        text += f"表内填报总分 {points(se.stated_total)}，" + ("与计算相符。" if ok else "与计算不符。")
    bands = "、".join(f"{name} ≥ {points(t)}" for name, t in se.policy.grades if t > 0)
    text += f"等级：{bands}，其余为“{min(se.policy.grades, key=lambda g: g[1])[0]}”。"
    text += f"评分规则：{se.policy_file or '默认规则'}。"
    return _say(text) + styled_table(blocks, {
        "level1": ("一级指标", None), "weight": ("分值（表内合计）", points), "policy": ("权重（评分规则）", points),
        "score": ("得分（计算）", points)},
        row_class=lambda r: "fail" if r["policy"] is not None and r["weight"] is not None
        and Decimal(r["weight"]) != Decimal(r["policy"]) else "")
