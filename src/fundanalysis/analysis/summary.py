"""The key figures of a year: numbers and codes, gathered for summary.json and the index pages."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from fundanalysis.analysis import metrics
from fundanalysis.analysis.reconcile import check_counts, reconcile_totals

Tables = dict[str, pd.DataFrame]


def plain(v: Any) -> Any:
    """A value as JSON holds it: NA and NaN become None, numpy scalars Python ones."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a list of plain dicts."""
    return [{k: plain(v) for k, v in row.items()} for row in df.to_dict("records")]


def summarise(tables: Tables) -> dict[str, Any]:
    """The key figures of a year as a dict of plain values (see :mod:`fundanalysis.export.summary`).

    Codes (:mod:`fundanalysis.vocab`) stay codes here; the JSON document puts them in words.
    """
    fund = tables["fund"].iloc[0]
    overall = metrics.utilisation(tables).iloc[0]
    by_part = metrics.spending_by_part(tables)
    cats = metrics.category_totals(tables["award_categories"])
    out: dict[str, Any] = {
        "year": int(fund["year"]),
        "fund_name": fund["fund_name"],
        "issuer": fund["issuer"],
        "city": fund["city"],
        "province": fund["province"],
        "budget_phase": plain(fund["budget_phase"]),
        "budget_yuan": int(overall["budget_yuan"]),
        "spent_yuan": int(overall["spent_yuan"]),
        "unspent_yuan": int(overall["unspent_yuan"]),
        "utilisation": plain(overall["utilisation"]),
        "utilisation_exact": overall["utilisation_exact"],
        "projects": int(by_part["projects"].sum()),
        "parts": records(by_part),
        "award_categories": records(cats),
    }
    media = tables.get("media_outlets")
    if media is not None:
        out["media_outlets"] = records(metrics.media_shares(media))
        out["media_concentration"] = {k: plain(v) for k, v in metrics.media_concentration(media).items()}
        out["procurement"] = records(metrics.procurement_split(media, tables.get("stated_totals")))
    else:
        out["media_outlets"] = []
    out["rankings"] = (records(metrics.rankings_table(tables)[
        ["indicator", "value", "unit", "rank_number", "rank_text", "scope", "rank_source",
         "province_share", "nation_share", "note", "source"]])
        if "rankings" in tables else [])
    rec = reconcile_totals(tables)
    out["reconciliation"] = records(rec)
    out["reconciliation_failed"] = check_counts(rec)["failed"]
    return out
