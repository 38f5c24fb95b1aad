"""The filled 项目支出绩效自评表 of a year: the document the xlsx form is drawn from."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis.analysis import metrics, selfeval
from fundanalysis.export.scorecard_xlsx import form_workbook
from fundanalysis.export.summary_json import yuan
from fundanalysis.ingest.targets import fund_category
from fundanalysis.present import fmt, form, words

#: The form's money rows in the order it prints them, with their labels.
MONEY_LABELS = (("total", "年度资金总额"), ("appropriation", "本年财政拨款"), ("carryover", "上年结转资金"),
                ("other", "其他资金"))


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def form_document(tables: dict[str, pd.DataFrame]) -> dict[str, Any] | None:
    """What the xlsx form shows for a year (computed scores, with the stated ones beside them);
    None when the year has no form (a 预算执行 score alone is not one)."""
    se = selfeval.self_evaluation(tables)
    if se is None or not se.has_form:
        return None  # the 预算执行 score alone is not a form
    fund = tables["fund"].iloc[0]
    notes: list[str] = []
    money: list[dict[str, Any]] = []
    b = se.budget
    if se.money is not None:
        by_cat = {str(r.category): r for r in se.money_rows}
        # each row under the name the form gives it (当年财政拨款 or 本年财政拨款), without 其中：
        written = {str(fund_category(str(c))): str(c).removeprefix("其中：").removeprefix("其中:").strip()
                   for c in tables["money_sources"]["category"].dropna()}
        for code, label in MONEY_LABELS:
            r = by_cat.get(code)
            if r is None and code != "total":
                continue
            total = code == "total"
            budget = se.money.budget if total else (r.budget if r else None)
            executed = se.money.executed if total else (r.executed if r else None)
            money.append({
                "label": ("其中：" if code == "appropriation" else "") + written.get(code, label),
                "initial_yuan": yuan(se.money.approved if total else r.approved if r else None),
                "annual_yuan": yuan(budget), "executed_yuan": yuan(executed),
                "weight": _text(b.weight) if total and b else None,
                "rate": float(Fraction(executed, budget)) if budget and executed is not None else None,
                "score": _text(b.score) if total and b else None,
                "stated_score": _text(r.stated_score) if r else None,
                "stated_rate": None, "from_sources": bool(total and se.money.from_sources),
            })
    elif b is not None:
        basis = metrics.budget_of(fund).basis
        if basis is not None and basis != "annual":
            notes.append(f"“全年预算数”一栏填的是报告所述的{words.budget_label(basis)}"
                         f"（{words.BUDGET_BASIS_NOTE.get(basis, words.NOT_STATED)}）。")
        money.append({"label": "年度资金总额", "initial_yuan": yuan(fund.get("initial_fen"))
                      if pd.notna(fund.get("initial_fen")) else None,
                      "annual_yuan": yuan(b.budget), "executed_yuan": yuan(b.executed),
                      "weight": _text(b.weight), "rate": None if b.rate is None else float(b.rate),
                      "score": _text(b.score), "stated_score": None, "stated_rate": None, "from_sources": False})
    ok_rows = {i["row"]: i for i in selfeval.record(se)["indicators"]}
    indicators = [{
        "level1": s.indicator.level1, "level2": s.indicator.level2 or None, "name": s.indicator.name,
        "target": s.indicator.target.text or words.NOT_STATED, "actual": s.indicator.actual.text,
        "weight": _text(s.result.weight),
        "score": _text(s.result.score), "stated_score": _text(s.indicator.stated_score),
        "rule": str(s.result.rules[-1]), "rule_text": words.score_rule(s.result.rules[-1]),
        "ok": ok_rows.get(s.indicator.row, {}).get("ok"), "deviation": dev,
    } for s, dev in zip(se.indicators, se.deviations, strict=True)]
    if not se.indicators:
        notes.append("报告未给出绩效指标，只计算预算执行得分。")
    if not se.complete:
        notes.append(f"{form.incomplete(se) or '自评表不完整，不评等级'}。")
    notes.append(f"得分按评分规则计算（{se.policy_file or '默认规则'}）；与表内填报不同的得分已标注。")
    return {
        "year": int(fund["year"]), "fund_name": str(fund["fund_name"]), "issuer": words.label(fund["issuer"], {}),
        "implementer": None, "money": money,
        "money_note": words.score_rule("total_from_sources") if se.money is not None and se.money.from_sources
        else None,
        "goals": [{"expected": e, "achieved": a} for e, a in se.goals],
        "indicators": indicators,
        "blocks": [{"level1": k.level1, "weight": _text(k.weight), "score": _text(k.score)}
                   for k in (se.card.blocks if se.card is not None else ())],
        "total": _text(se.total), "max_total": _text(se.max_total), "grade": se.grade,
        "stated_total": _text(se.stated_total), "notes": notes, "complete": se.complete,
        "rate_text": fmt.pct(b.rate) if b is not None and b.rate is not None else None,
    }


def form_xlsx(tables: dict[str, pd.DataFrame]) -> bytes | None:
    """The filled form as .xlsx bytes, or None when the year has no form."""
    doc = form_document(tables)
    return None if doc is None else form_workbook(doc)


