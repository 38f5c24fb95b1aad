"""Metrics over processed tables: pure functions, DataFrame in, DataFrame out.

Money stays integer 元 (int64). Ratios (shares, utilisation) are computed exactly as
:class:`fractions.Fraction` and stored as floats only for display and charts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis import clean


def _ratio(num: int, den: int) -> float:
    return float(Fraction(int(num), int(den))) if den else float("nan")


def _round_div(a: int, b: int) -> int:
    """Integer division rounded half up: exact average in whole 元."""
    return (2 * int(a) + int(b)) // (2 * int(b)) if b else 0


def _money_sum(s: pd.Series) -> int:
    """Exact sum of integer 元 (Python ints, no float)."""
    return int(sum(int(v) for v in s.dropna()))


def categories_from_recipients(awards: pd.DataFrame) -> pd.DataFrame:
    """Reduce one-row-per-recipient awards to one row per category.

    >>> df = pd.DataFrame({"recipient": ["甲", "乙"], "category": ["平台", "平台"],
    ...                    "amount_yuan": [250000, 250000]})
    >>> categories_from_recipients(df)[["category", "recipients", "amount_yuan"]].values.tolist()
    [['平台', 2, 500000]]
    """
    df = awards.assign(amount_yuan=awards["amount_yuan"].astype("int64"))
    agg: dict[str, Any] = {"recipients": ("recipient", "nunique"),
                           "amount_yuan": ("amount_yuan", "sum")}
    for c in ("level", "part", "source"):
        if c in df:
            agg[c] = (c, "first")
    out = df.groupby("category", sort=False, as_index=False).agg(**agg)
    return out.astype({"recipients": "Int64", "amount_yuan": "Int64"})


def category_totals(categories: pd.DataFrame) -> pd.DataFrame:
    """Award categories with share of the award total and average per recipient, largest first."""
    df = categories[["category", "recipients", "amount_yuan", "level", "part"]].copy()
    total = _money_sum(df["amount_yuan"])
    df["share"] = [_ratio(a, total) for a in df["amount_yuan"]]
    df["avg_per_recipient_yuan"] = pd.array(
        [_round_div(a, n) for a, n in zip(df["amount_yuan"], df["recipients"], strict=True)],
        dtype="Int64")
    return df.sort_values(["amount_yuan", "category"], ascending=[False, True]).reset_index(
        drop=True)


#: Part label for spending whose part the input does not give (e.g. 获奖企业 without 所属部分).
UNASSIGNED_PART = "未注明部分"


def spending_by_part(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Projects and money per part (and its department), from awards and media spending.

    Spending whose part is not given is shown as one more row, :data:`UNASSIGNED_PART`,
    so the parts always add up to the whole.
    """
    parts = tables["parts"][["part", "department", "budget_yuan"]].copy()
    cats = tables.get("award_categories")
    media = tables.get("media_outlets")
    known = set(parts["part"].dropna())
    groups = [(p["part"], p["department"], p["budget_yuan"],
               lambda df, part=p["part"]: df["part"] == part) for _, p in parts.iterrows()]
    groups.append((UNASSIGNED_PART, None, None, lambda df: ~df["part"].isin(known)))
    rows = []
    for part, department, budget, select in groups:
        spent, projects, n_rows = 0, 0, 0
        if cats is not None:
            sel = cats[select(cats).fillna(False).astype(bool)]
            spent += _money_sum(sel["amount_yuan"])
            projects += int(sel["recipients"].fillna(0).sum())
            n_rows += len(sel)
        if media is not None:
            sel = media[select(media).fillna(False).astype(bool)]
            spent += _money_sum(sel["amount_yuan"])
            projects += int(sel["items"].fillna(0).sum())
            n_rows += len(sel)
        if part == UNASSIGNED_PART and not n_rows:
            continue
        rows.append({"part": part, "department": department, "projects": projects,
                     "spent_yuan": spent, "budget_yuan": budget})
    out = pd.DataFrame(rows)
    total = int(out["spent_yuan"].sum()) if len(out) else 0
    out["share"] = [_ratio(s, total) for s in out["spent_yuan"]]
    return out.astype({"spent_yuan": "int64", "projects": "int64", "budget_yuan": "Int64"})


def utilisation(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Utilisation (执行率 = spent ÷ budget) and unspent balance (结余).

    One row for the whole fund, plus one per part that has its own budget.
    """
    fund = tables["fund"].iloc[0]
    by_part = spending_by_part(tables)
    spent = int(by_part["spent_yuan"].sum())
    rows = [_util_row("整体", fund["fund_name"], int(fund["budget_yuan"]), spent,
                      fund.get("budget_phase"))]
    for _, p in by_part.iterrows():
        if pd.notna(p["budget_yuan"]):
            rows.append(_util_row("部分", p["part"], int(p["budget_yuan"]), int(p["spent_yuan"]),
                                  fund.get("budget_phase")))
    return pd.DataFrame(rows).astype({"budget_yuan": "int64", "spent_yuan": "int64",
                                      "unspent_yuan": "int64"})


def _util_row(level: str, name: str, budget: int, spent: int, phase: Any) -> dict[str, Any]:
    return {"level": level, "name": name, "budget_yuan": budget, "spent_yuan": spent,
            "unspent_yuan": budget - spent, "utilisation": _ratio(spent, budget),
            "utilisation_exact": str(Fraction(spent, budget)) if budget else None,
            "budget_phase": None if pd.isna(phase) else phase}


def media_shares(outlets: pd.DataFrame) -> pd.DataFrame:
    """Media outlets with share of media spending and average per item, largest first."""
    df = outlets[["outlet", "items", "amount_yuan", "procurement"]].copy()
    total = _money_sum(df["amount_yuan"])
    df["share"] = [_ratio(a, total) for a in df["amount_yuan"]]
    df["avg_per_item_yuan"] = pd.array(
        [_round_div(a, n) for a, n in zip(df["amount_yuan"], df["items"], strict=True)],
        dtype="Int64")
    return df.sort_values(["amount_yuan", "outlet"], ascending=[False, True]).reset_index(
        drop=True)


def media_concentration(outlets: pd.DataFrame) -> dict[str, Any]:
    """Top-2 share and Herfindahl–Hirschman index (0–10,000) of media spending."""
    amounts = sorted((int(a) for a in outlets["amount_yuan"]), reverse=True)
    total = sum(amounts)
    shares = [Fraction(a, total) for a in amounts] if total else []
    return {
        "outlets": len(amounts),
        "total_yuan": total,
        "top2_yuan": sum(amounts[:2]),
        "top2_share": float(sum(shares[:2])) if shares else float("nan"),
        "hhi": float(sum(s * s for s in shares) * 10000) if shares else float("nan"),
    }


def procurement_split(outlets: pd.DataFrame, stated: pd.DataFrame | None) -> pd.DataFrame:
    """Outlets per procurement method: as the report states it, and as known per outlet.

    The report may give only counts; the per-outlet method then stays unknown (未注明).
    """
    from fundanalysis.config import PROCUREMENT_METHODS

    rows = []
    for method in PROCUREMENT_METHODS:
        st = None
        if stated is not None:
            sel = stated[stated["check"] == f"{method}单位数"]
            if len(sel):
                st = int(sel["stated"].iloc[0])
        known = outlets[outlets["procurement"] == method]
        rows.append({"method": method, "outlets_stated": st, "outlets_known": len(known),
                     "amount_known_yuan": _money_sum(known["amount_yuan"])})
    unknown = outlets[outlets["procurement"].isna()]
    rows.append({"method": "未注明", "outlets_stated": None, "outlets_known": len(unknown),
                 "amount_known_yuan": _money_sum(unknown["amount_yuan"])})
    return pd.DataFrame(rows).astype({"outlets_stated": "Int64"})


def rank_peers(peers: pd.DataFrame) -> pd.DataFrame:
    """Rank cities within each indicator, ties counted as equal (1, 2, 2, 4).

    Adds ``rank`` and ``share_of_province`` (the city's value ÷ the province total).

    >>> df = pd.DataFrame({"indicator": ["x"] * 4, "city": list("abcd"), "value": [9, 7, 7, 5]})
    >>> rank_peers(df)["rank"].tolist()
    [1, 2, 2, 4]
    """
    df = peers[["indicator", "city", "value"]].copy()
    df["value"] = df["value"].astype("int64")
    df["rank"] = df.groupby("indicator")["value"].rank(method="min", ascending=False).astype(
        "int64")
    totals = df.groupby("indicator")["value"].transform("sum")
    df["share_of_province"] = [_ratio(v, t) for v, t in zip(df["value"], totals, strict=True)]
    df["cities"] = df.groupby("indicator")["city"].transform("count")
    return df.sort_values(["indicator", "rank", "city"]).reset_index(drop=True)


def rankings_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Indicators with their rank (stated or computed from peers), rank text and shares."""
    rk = tables["rankings"].copy()
    rk["rank_source"] = pd.Series(["报告" if pd.notna(r) else None for r in rk["rank"]],
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
                if rk.loc[sel, "rank"].isna().all():
                    rk.loc[sel, "rank_source"] = "按全省城市数值计算"
                    rk.loc[sel, "rank"] = int(r["rank"])
                rk.loc[sel, "province_share"] = r["share_of_province"]
    rk["rank"] = rk["rank"].astype("Int64")
    return rk


_RANK_IN_TEXT = re.compile(r"第\s*(\d+|[一二三四五六七八九十]+)")


def rank_from_text(text: Any) -> int | None:
    """The rank a text such as ``列全省第三`` states, or None (``前列`` states no number).

    >>> rank_from_text("位居全省第四"), rank_from_text("位居全省前列")
    (4, None)
    """
    if text is None or pd.isna(text):
        return None
    m = _RANK_IN_TEXT.search(str(text))
    return clean.parse_rank(m.group(1)) if m else None


def star_breakdown(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Breakdown rows joined with their indicator's total and each component's share."""
    bd = tables.get("breakdowns")
    if bd is None or bd.empty:
        return pd.DataFrame(columns=["indicator", "component", "value", "unit", "share"])
    totals = bd.groupby("indicator")["value"].transform("sum")
    return bd.assign(share=[_ratio(v, t) for v, t in zip(bd["value"], totals, strict=True)])


def peer_city_ranks(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
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
    df["utilisation_change"] = df["utilisation"].diff()
    return df


def report_names(tables: dict[str, pd.DataFrame], names: Sequence[str] = ()) -> list[str]:
    """Report names from the ``source`` columns (text before ``／``), first seen first.

    Falls back to the fund's issuer, year and name when no source is recorded.
    """
    found: list[str] = []
    for name in names or list(tables):
        df = tables.get(name)
        if df is None or "source" not in df:
            continue
        for s in df["source"].dropna():
            rep = str(s).split("／")[0].strip()
            if rep and rep not in found:
                found.append(rep)
    if not found and "fund" in tables and len(tables["fund"]):
        f = tables["fund"].iloc[0]
        found.append(f"{f['issuer']}{int(f['year'])}年度{f['fund_name']}自我评价报告")
    return found
