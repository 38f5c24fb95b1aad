"""summary.json: the key figures as a stable, strictly valid JSON document.

The keys are an interface (README, "summary.json"): they keep their documented names even
where the processed columns were renamed (``items``, ``rank``), and codes are written as the
words the document has always used.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis.present import words


def yuan(fen: Any) -> Any:
    """分 as a JSON number of 元 with at most two decimals (an integer when whole).

    >>> yuan(140920540), yuan(868700000), yuan(None)
    (1409205.4, 8687000, None)
    """
    if fen is None:
        return None
    return int(fen) // 100 if int(fen) % 100 == 0 else float(Decimal(int(fen)) / 100)


def _money_in_yuan(v: Any) -> Any:
    """Every ``*_fen`` key of a JSON value renamed ``*_yuan`` and converted to 元."""
    if isinstance(v, dict):
        return {(k[:-4] + "_yuan" if k.endswith("_fen") else k):
                (yuan(x) if k.endswith("_fen") else _money_in_yuan(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [_money_in_yuan(x) for x in v]
    return v


def document(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary in its documented JSON form (from :func:`fundanalysis.analysis.key_figures.summarise`):
    money in 元, the keys and words summary.json has always had."""
    doc = dict(summary)
    # spending not assigned to a named part has "part": null (pages call it 未注明部分)
    doc["parts"] = [{**p, "part": None if pd.isna(p["part"]) else p["part"]} for p in summary["parts"]]
    doc["media_outlets"] = [_rename(m, item_count="items") for m in summary["media_outlets"]]
    if "procurement" in summary:
        doc["procurement"] = [{**p, "method": words.label(p["method"], {})} for p in summary["procurement"]]
    doc["rankings"] = [{**_rename(r, rank_number="rank"),
                        "rank_source": None if r["rank_source"] is None
                        else words.RANK_SOURCE[r["rank_source"]]} for r in summary["rankings"]]
    doc["reconciliation"] = [_check(r, summary.get("spending_sources", ()), summary.get("award_support"))
                             for r in summary["reconciliation"]]
    doc["scorecard"] = _numbers(summary.get("scorecard"))
    doc = _money_in_yuan(doc)
    if doc.get("utilisation") is None:
        doc["utilisation_note"] = (
            "the report states only an amount allocated (安排), not executed: no execution rate"
            if summary.get("allocated_fen") is not None else
            "the report does not say whether its amounts are executed (执行口径 未注明): no execution rate"
            if summary.get("spent_kind") == "unstated" else
            "the report states no executed amount: no execution rate"
            if summary.get("spent_fen") is None else
            "budget is 0 or not given: no execution rate")
    return doc


def _numbers(v: Any) -> Any:
    """Exact scores (Decimal) and rates (Fraction) as JSON numbers: an integer when whole."""
    if isinstance(v, dict):
        return {k: _numbers(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_numbers(x) for x in v]
    if isinstance(v, Fraction):
        return float(v)
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def scorecard_document(record: dict[str, Any]) -> dict[str, Any]:
    """summary.json's ``scorecard`` from :func:`fundanalysis.analysis.selfeval.record`: numbers
    as JSON numbers, money in 元."""
    return _money_in_yuan(_numbers(record))


def _rename(record: dict[str, Any], **names: str) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in record.items()}


def _check(r: dict[str, Any], sources: Any, support: str | None = None) -> dict[str, Any]:
    out = {"check": r["check"], "description": words.describe_check(r["rule"], r["part"], r["subject"],
                                                                     r["computed"], tuple(sources),
                                                                     support or "奖励")}
    out.update({k: v for k, v in r.items() if k != "check"})
    if r.get("unit") == "元":  # money checks: integer 分 inside, 元 in the document, for every rule
        for k in ("stated", "computed", "difference"):
            out[k] = _check_yuan(r[k])
    out["rule"] = str(r["rule"])
    out["result"] = words.check_result(r["ok"], r.get("reason"))
    return out


def _check_yuan(v: Any) -> Any:
    """A money value of a check in 元: a whole number of 分 (int, or a float or numpy number that
    holds one) converted, None kept; anything else (text) as it is."""
    if v is None or isinstance(v, str | bool):
        return v
    if isinstance(v, float) and not math.isfinite(v):
        return None
    try:
        fen = int(v)
    except (TypeError, ValueError):
        return v
    if fen != v:
        raise ValueError(f"a money check holds {v!r}, not a whole number of 分")
    return yuan(fen)


def _finite(v: Any) -> Any:
    """A JSON value with every NaN or infinity replaced by None (JSON has no NaN)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite(x) for x in v]
    return v


def summary_json(summary: dict[str, Any]) -> str:
    """The JSON text of a summary; strictly valid JSON (no NaN, no Infinity), Chinese readable."""
    return json.dumps(_finite(document(summary)), ensure_ascii=False, indent=2, allow_nan=False)
