"""The key figures of a year: numbers and codes, gathered for summary.json and the index pages."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from fundanalysis.analysis import metrics, selfeval
from fundanalysis.analysis.figures import Figure
from fundanalysis.analysis.reconcile import check_counts, reconcile_totals
from fundanalysis.vocab import MoneyKind, SupportKind

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
    """The key figures of a year as a dict of plain values, money in 分 (see
    :mod:`fundanalysis.export.summary_json` for the JSON document, in 元).

    Codes (:mod:`fundanalysis.vocab`) stay codes here; the JSON document puts them in words.
    A figure the report does not give is None (an execution rate without an executed amount).
    """
    fund = tables["fund"].iloc[0]
    overall = metrics.utilisation(tables).iloc[0]
    by_part = metrics.spending_by_part(tables)
    parts = by_part.drop(columns=["kind", "figure"])
    out: dict[str, Any] = {
        "year": int(fund["year"]),
        "fund_name": fund["fund_name"],
        "issuer": plain(fund["issuer"]),
        "city": plain(fund.get("city")),
        "province": plain(fund.get("province")),
        "budget_phase": plain(overall["budget_phase"]),
        "budget_basis": plain(overall["budget_basis"]),
        "budget_fen": plain(overall["budget_fen"]),
        "budget_initial_fen": plain(overall["initial_fen"]),
        "budget_adjustment_fen": plain(fund.get("adjustment_fen")),
        "received_fen": plain(overall["received_fen"]),
        "spent_fen": plain(overall["spent_fen"]),
        "spent_basis": plain(overall["spent_basis"]),
        "spent_word": plain(overall["spent_word"]),
        "unspent_fen": plain(overall["unspent_fen"]),
        "utilisation": plain(overall["utilisation"]),
        "utilisation_exact": overall["utilisation_exact"],
        "utilisation_initial": plain(overall["utilisation_initial"]),
        "receipt_rate": plain(overall["receipt_rate"]),
        "over_budget": bool(overall["over_budget"]),
        "allocated_fen": plain(overall["allocated_fen"]),
        "spent_kind": plain(overall["spent_kind"]),
        "provenance": provenance(overall),
        "projects": metrics.projects(tables),
        "spending_sources": metrics.spending_sources(tables),
        "parts": [{**r, "spent_kind": plain(k), "provenance": f.record()}
                  for r, k, f in zip(records(parts), by_part["kind"], by_part["figure"], strict=True)],
        "award_categories": (records(metrics.category_totals(tables["award_categories"]))
                             if "award_categories" in tables else []),
        "award_support": (str(SupportKind.of(tables["award_categories"]["support"].dropna()))
                          if "award_categories" in tables and "support" in tables["award_categories"] else None),
    }
    media = tables.get("media_outlets")
    if media is not None and len(media):
        out["media_outlets"] = records(metrics.media_shares(media))
        out["media_concentration"] = {k: plain(v) for k, v in metrics.media_concentration(media).items()}
        out["procurement"] = records(metrics.procurement_split(media, tables.get("stated_totals")))
    else:
        out["media_outlets"] = []
    out["lines"] = (records(tables["lines"][["part", "item", "quantity", "quantity_unit", "initial_fen",
                                            "adjustment_fen", "annual_fen", "executed_fen", "status"]])
                    if "lines" in tables else [])
    out["instalments"] = (records(tables["instalments"][["batch", "date", "amount_fen"]])
                          if "instalments" in tables else [])
    out["rankings"] = (records(metrics.rankings_table(tables)[
        ["indicator", "value", "unit", "rank_number", "rank_text", "scope", "rank_source",
         "province_share", "nation_share", "note", "source"]])
        if "rankings" in tables else [])
    se = selfeval.self_evaluation(tables)
    out["scorecard"] = selfeval.record(se) if se is not None else None
    rec = reconcile_totals(tables)
    out["reconciliation"] = records(rec)
    out["reconciliation_failed"] = check_counts(rec)["failed"]
    return out


def provenance(overall: pd.Series) -> dict[str, dict[str, Any]]:
    """How each key figure of the fund's utilisation row was obtained, keyed by its name in
    summary.json (``budget_yuan`` …): stated (sheet, row, column), summed (sources), computed
    (from which figures) or not stated."""
    def fig(name: str) -> Figure:
        f = overall[name]
        return f if isinstance(f, Figure) else Figure.not_stated()

    spent = fig("spent_figure")
    executed = overall["spent_kind"] == MoneyKind.EXECUTED
    has_rate = not pd.isna(overall["utilisation"])  # no rate against a budget of 0 (utilisation_exact may be NaN)
    has_balance = not pd.isna(overall["unspent_fen"])  # a balance is there even when the rate is not
    return {
        "budget_yuan": fig("budget_figure").record(),
        "budget_initial_yuan": fig("initial_figure").record(),
        "received_yuan": fig("received_figure").record(),
        "spent_yuan": (spent if executed else Figure.not_stated()).record(),
        "allocated_yuan": (spent if overall["spent_kind"] == MoneyKind.ALLOCATED
                           else Figure.not_stated()).record(),
        "unspent_yuan": (Figure.computed(0, "budget_yuan", "spent_yuan") if has_balance
                         else Figure.not_stated()).record(),
        "utilisation": (Figure.computed(0, "spent_yuan", "budget_yuan") if has_rate
                        else Figure.not_stated()).record(),
        "receipt_rate": (Figure.computed(0, "received_yuan", "budget_yuan")
                         if not pd.isna(overall["receipt_rate"]) else Figure.not_stated()).record(),
    }
