"""summary.json: the key figures as a stable, strictly valid JSON document.

The keys are an interface (README, "summary.json"): they keep their documented names even
where the processed columns were renamed (``items``, ``rank``), and codes are written as the
words the document has always used.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fundanalysis.present import words


def document(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary in its documented JSON form (from :func:`fundanalysis.analysis.summary.summarise`)."""
    doc = dict(summary)
    doc["parts"] = [{**p, "part": words.part_name(p["part"])} for p in summary["parts"]]
    doc["media_outlets"] = [_rename(m, item_count="items") for m in summary["media_outlets"]]
    if "procurement" in summary:
        doc["procurement"] = [{**p, "method": words.label(p["method"], {})} for p in summary["procurement"]]
    doc["rankings"] = [{**_rename(r, rank_number="rank"),
                        "rank_source": None if r["rank_source"] is None
                        else words.RANK_SOURCE[r["rank_source"]]} for r in summary["rankings"]]
    doc["reconciliation"] = [_check(r) for r in summary["reconciliation"]]
    if doc.get("utilisation") is None:
        doc["utilisation_note"] = "budget is 0 or not given: no execution rate"
    return doc


def _rename(record: dict[str, Any], **names: str) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in record.items()}


def _check(r: dict[str, Any]) -> dict[str, Any]:
    out = {"check": r["check"], "description": words.describe_check(r["rule"], r["part"], r["subject"],
                                                                     r["computed"])}
    out.update({k: v for k, v in r.items() if k != "check"})
    out["rule"] = str(r["rule"])
    return out


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
