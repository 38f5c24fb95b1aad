"""Metrics over processed tables: pure functions, DataFrame in, DataFrame out.

Money stays integer 元 (int64). Ratios (shares, utilisation) are computed exactly as
:class:`fractions.Fraction` and stored as floats only for display and charts. Results carry
numbers and codes (:mod:`fundanalysis.vocab`), never display words: a part the input does not
name is NA, an unknown procurement method is NA, a rank's origin is a :class:`RankSource`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis.ingest.tables import categories_from_recipients as categories_from_recipients  # re-export
from fundanalysis.vocab import Concentration, Procurement, RankSource, Scope

Tables = dict[str, pd.DataFrame]


def _ratio(num: int, den: int) -> float:
    return float(Fraction(int(num), int(den))) if den else float("nan")


def _round_div(a: Any, b: Any) -> Any:
    """Integer division rounded half up: exact average in whole 元 (NA when either is missing)."""
    if pd.isna(a) or pd.isna(b) or not int(b):
        return pd.NA
    return (2 * int(a) + int(b)) // (2 * int(b))


def money_sum(s: pd.Series) -> int:
    """Exact sum of integer 元 (Python ints, no float)."""
    return int(sum(int(v) for v in s.dropna()))


def _with_shares(df: pd.DataFrame, name: str, count: str, average: str) -> pd.DataFrame:
    """Add each row's ``share`` of the amount total and its exact ``average`` amount per ``count``;
    largest amount first (ties by ``name``)."""
    total = money_sum(df["amount_yuan"])
    df["share"] = [_ratio(a, total) for a in df["amount_yuan"]]
    df[average] = pd.array([_round_div(a, n) for a, n in zip(df["amount_yuan"], df[count], strict=True)],
                           dtype="Int64")
    return df.sort_values(["amount_yuan", name], ascending=[False, True]).reset_index(drop=True)


def category_totals(categories: pd.DataFrame) -> pd.DataFrame:
    """Award categories with share of the award total and average per recipient, largest first."""
    df = categories[["category", "recipients", "amount_yuan", "level", "part"]].copy()
    return _with_shares(df, "category", "recipients", "avg_per_recipient_yuan")


def level_totals(categories: pd.DataFrame) -> pd.DataFrame:
    """Award categories grouped by the level of the title they recognise (NA: level not given)."""
    c = category_totals(categories)
    return (c.assign(level=c["level"].astype("string"))
            .groupby("level", as_index=False, dropna=False, sort=False)
            .agg(categories=("category", "count"), recipients=("recipients", "sum"),
                 amount_yuan=("amount_yuan", "sum"))
            .sort_values("amount_yuan", ascending=False).reset_index(drop=True))


def _in_part(df: pd.DataFrame, part: str | None, known: set[str] | None) -> pd.DataFrame:
    """Rows of ``df`` in ``part``; with ``part`` None and ``known`` given, rows in no known part."""
    if part is not None:
        return df[(df["part"] == part).fillna(False).astype(bool)]
    if known is not None:
        return df[~df["part"].isin(known).fillna(False).astype(bool)]
    return df


def projects(tables: Tables, part: str | None = None, known: set[str] | None = None) -> int:
    """Projects: recipients of awards plus media items, in one part or in all.

    ``part`` None counts everything, or, with ``known`` (the parts the input names), only the
    rows whose part is none of them.
    """
    n = 0
    cats = tables.get("award_categories")
    if cats is not None:
        n += int(sum(int(v) for v in _in_part(cats, part, known)["recipients"].dropna()))
    media = tables.get("media_outlets")
    if media is not None:
        n += int(sum(int(v) for v in _in_part(media, part, known)["item_count"].dropna()))
    return n


def spent(tables: Tables, part: str | None = None, known: set[str] | None = None) -> int:
    """Money used (integer 元): award amounts plus media amounts, in one part or in all."""
    total = 0
    for name in ("award_categories", "media_outlets"):
        df = tables.get(name)
        if df is not None:
            total += money_sum(_in_part(df, part, known)["amount_yuan"])
    return total


def _rows(tables: Tables, part: str | None, known: set[str] | None) -> int:
    return sum(len(_in_part(tables[n], part, known)) for n in ("award_categories", "media_outlets")
               if tables.get(n) is not None)


def spending_by_part(tables: Tables) -> pd.DataFrame:
    """Projects and money per part (and its department), from awards and media spending.

    Spending whose part is not given is one more row with ``part`` NA, so the parts always
    add up to the whole.
    """
    parts = tables["parts"]
    known = set(parts["part"].dropna())
    rows = [{"part": p["part"], "department": p["department"], "projects": projects(tables, p["part"]),
             "spent_yuan": spent(tables, p["part"]), "budget_yuan": p["budget_yuan"]}
            for _, p in parts.iterrows()]
    if _rows(tables, None, known):
        rows.append({"part": pd.NA, "department": pd.NA, "projects": projects(tables, None, known),
                     "spent_yuan": spent(tables, None, known), "budget_yuan": pd.NA})
    out = pd.DataFrame(rows)
    total = int(out["spent_yuan"].sum()) if len(out) else 0
    out["share"] = [_ratio(s, total) for s in out["spent_yuan"]]
    return out.astype({"spent_yuan": "int64", "projects": "int64", "budget_yuan": "Int64",
                       "part": "string", "department": "string"})


def utilisation(tables: Tables) -> pd.DataFrame:
    """Utilisation (执行率 = spent ÷ budget) and unspent balance (结余).

    One row for the whole fund (``scope`` :attr:`Scope.FUND`), plus one per part that has its
    own budget (:attr:`Scope.PART`); ``scope_name`` names the fund or the part.
    """
    fund = tables["fund"].iloc[0]
    by_part = spending_by_part(tables)
    total = int(by_part["spent_yuan"].sum())
    rows = [_util_row(Scope.FUND, fund["fund_name"], int(fund["budget_yuan"]), total,
                      fund.get("budget_phase"))]
    for _, p in by_part.iterrows():
        if pd.notna(p["budget_yuan"]):
            rows.append(_util_row(Scope.PART, p["part"], int(p["budget_yuan"]), int(p["spent_yuan"]),
                                  fund.get("budget_phase")))
    return pd.DataFrame(rows).astype({"budget_yuan": "int64", "spent_yuan": "int64",
                                      "unspent_yuan": "int64"})


def _util_row(scope: Scope, name: str, budget: int, spent_: int, phase: Any) -> dict[str, Any]:
    return {"scope": scope, "scope_name": name, "budget_yuan": budget, "spent_yuan": spent_,
            "unspent_yuan": budget - spent_, "utilisation": _ratio(spent_, budget),
            "utilisation_exact": str(Fraction(spent_, budget)) if budget else None,
            "budget_phase": None if pd.isna(phase) else phase}


def media_shares(outlets: pd.DataFrame) -> pd.DataFrame:
    """Media outlets with share of media spending and average per item, largest first."""
    df = outlets[["outlet", "item_count", "amount_yuan", "procurement"]].copy()
    return _with_shares(df, "outlet", "item_count", "avg_per_item_yuan")


def concentration_level(hhi: float) -> Concentration | None:
    """The band of a Herfindahl–Hirschman index: above 2,500 high, above 1,500 moderate.

    >>> concentration_level(3000.0), concentration_level(1000.0)
    (<Concentration.HIGH: 'high'>, <Concentration.LOW: 'low'>)
    """
    if hhi != hhi:  # NaN: no spending
        return None
    return Concentration.HIGH if hhi > 2500 else (Concentration.MODERATE if hhi > 1500 else Concentration.LOW)


def media_concentration(outlets: pd.DataFrame) -> dict[str, Any]:
    """Top-2 share, Herfindahl–Hirschman index (0–10,000) and its band, of media spending."""
    amounts = sorted((int(a) for a in outlets["amount_yuan"]), reverse=True)
    total = sum(amounts)
    shares = [Fraction(a, total) for a in amounts] if total else []
    hhi = float(sum(s * s for s in shares) * 10000) if shares else float("nan")
    return {
        "outlets": len(amounts),
        "total_yuan": total,
        "top2_yuan": sum(amounts[:2]),
        "top2_share": float(sum(shares[:2])) if shares else float("nan"),
        "hhi": hhi,
        "level": concentration_level(hhi),
    }


def procurement_split(outlets: pd.DataFrame, stated: pd.DataFrame | None) -> pd.DataFrame:
    """Outlets per procurement method: as the report states it, and as known per outlet.

    The report may give only counts; the per-outlet method then stays unknown: the last row,
    with ``method`` NA, counts the outlets whose method the input does not give.
    """
    rows = []
    for method in Procurement:
        st = None
        if stated is not None:
            sel = stated[stated["check"] == f"{method}单位数"]
            if len(sel):
                st = int(sel["stated"].iloc[0])
        known = outlets[outlets["procurement"] == method]
        rows.append({"method": str(method), "outlets_stated": st, "outlets_known": len(known),
                     "amount_known_yuan": money_sum(known["amount_yuan"])})
    unknown = outlets[outlets["procurement"].isna()]
    rows.append({"method": pd.NA, "outlets_stated": None, "outlets_known": len(unknown),
                 "amount_known_yuan": money_sum(unknown["amount_yuan"])})
    return pd.DataFrame(rows).astype({"outlets_stated": "Int64", "method": "string"})


def rank_peers(peers: pd.DataFrame) -> pd.DataFrame:
    """Rank cities within each indicator, ties counted as equal (1, 2, 2, 4).

    Adds ``rank_number`` and ``share_of_province`` (the city's value ÷ the province total).

    >>> df = pd.DataFrame({"indicator": ["x"] * 4, "city": list("abcd"), "value": [9, 7, 7, 5]})
    >>> rank_peers(df)["rank_number"].tolist()
    [1, 2, 2, 4]
    """
    df = peers[["indicator", "city", "value"]].copy()
    df["value"] = df["value"].astype("int64")
    df["rank_number"] = df.groupby("indicator")["value"].rank(method="min", ascending=False).astype(
        "int64")
    totals = df.groupby("indicator")["value"].transform("sum")
    df["share_of_province"] = [_ratio(v, t) for v, t in zip(df["value"], totals, strict=True)]
    df["cities"] = df.groupby("indicator")["city"].transform("count")
    return df.sort_values(["indicator", "rank_number", "city"]).reset_index(drop=True)


def rankings_table(tables: Tables) -> pd.DataFrame:
    """Indicators with their rank (stated or computed from peers), rank text and shares.

    ``rank_source`` says where each rank comes from (:class:`RankSource`; NA: no rank).
    """
    rk = tables["rankings"].copy()
    rk["rank_source"] = pd.Series([RankSource.STATED if pd.notna(r) else None for r in rk["rank_number"]],
                                  dtype="object")
    rk["province_share"] = float("nan")
    rk["nation_share"] = float("nan")
    rk["province_total"] = pd.array([None] * len(rk), dtype="Int64")
    rk["nation_total"] = pd.array([None] * len(rk), dtype="Int64")
    cmp_ = tables.get("comparisons")
    if cmp_ is not None:
        for _, c in cmp_.iterrows():
            sel = rk["indicator"] == c["indicator"]
            if pd.notna(c["province_value"]):
                rk.loc[sel, "province_share"] = _ratio(c["city_value"], c["province_value"])
                rk.loc[sel, "province_total"] = int(c["province_value"])
            if pd.notna(c["nation_value"]):
                rk.loc[sel, "nation_share"] = _ratio(c["city_value"], c["nation_value"])
                rk.loc[sel, "nation_total"] = int(c["nation_value"])
    peers = tables.get("peer_values")
    city = tables["fund"]["city"].iloc[0]
    if peers is not None and len(peers):
        ranked = rank_peers(peers)
        mine = ranked[ranked["city"] == city].set_index("indicator")
        for ind, r in mine.iterrows():
            sel = rk["indicator"] == ind
            if sel.any():
                if rk.loc[sel, "rank_number"].isna().all():
                    rk.loc[sel, "rank_source"] = RankSource.PEERS
                    rk.loc[sel, "rank_number"] = int(r["rank_number"])
                rk.loc[sel, "province_share"] = r["share_of_province"]
    rk["rank_number"] = rk["rank_number"].astype("Int64")
    return rk


def component_shares(tables: Tables) -> pd.DataFrame:
    """The components of each indicator that has a breakdown, with each one's share of the sum."""
    bd = tables.get("breakdowns")
    if bd is None or bd.empty:
        return pd.DataFrame(columns=["indicator", "component", "value", "unit", "share"])
    totals = bd.groupby("indicator")["value"].transform("sum")
    return bd.assign(share=[_ratio(v, t) for v, t in zip(bd["value"], totals, strict=True)])


def peer_city_ranks(tables: Tables) -> pd.DataFrame | None:
    """Ranks of every city for indicators with a province-wide peer table, if any."""
    peers = tables.get("peer_values")
    if peers is None or peers.empty:
        return None
    return rank_peers(peers)


def year_over_year(summaries: list[dict[str, Any]]) -> pd.DataFrame:
    """Key figures per year with the change from the previous year."""
    rows = [{"year": s["year"], "budget_yuan": s["budget_yuan"], "spent_yuan": s["spent_yuan"],
             "utilisation": s["utilisation"], "projects": s["projects"]}
            for s in sorted(summaries, key=lambda s: s["year"])]
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    for c in ("budget_yuan", "spent_yuan", "projects"):
        df[c] = df[c].astype("int64")
        df[f"{c}_change"] = df[c].diff().astype("Int64")
    df["utilisation"] = df["utilisation"].astype("float64")
    df["utilisation_change"] = df["utilisation"].diff()
    return df
