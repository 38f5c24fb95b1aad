"""Reconciliation: every total the report states, compared with the sum of its parts.

Each check gives ``stated``, ``computed``, ``difference`` and ``ok`` (True, False, or
None where the report does not give enough to check). Failing checks are findings,
not input errors: they are shown in the report, flagged, and the build goes on.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis.clean import parse_fraction
from fundanalysis.metrics import rank_from_text

COLUMNS = ["check", "description", "stated", "computed", "difference", "ok", "unit", "source"]


def _projects(tables: dict[str, pd.DataFrame], part: str | None) -> int:
    n = 0
    cats = tables.get("award_categories")
    if cats is not None:
        sel = cats if part is None else cats[cats["part"] == part]
        n += int(sum(int(v) for v in sel["recipients"].dropna()))
    media = tables.get("media_outlets")
    if media is not None:
        sel = media if part is None else media[media["part"] == part]
        n += int(sum(int(v) for v in sel["items"].dropna()))
    return n


def _spent(tables: dict[str, pd.DataFrame], part: str | None) -> int:
    total = 0
    for name in ("award_categories", "media_outlets"):
        df = tables.get(name)
        if df is not None:
            sel = df if part is None else df[df["part"] == part]
            total += sum(int(v) for v in sel["amount_yuan"].dropna())
    return total


def _count_rows(df: pd.DataFrame | None, part: str | None) -> int:
    if df is None:
        return 0
    return len(df if part is None else df[df["part"] == part])


def _check(name: str, description: str, stated: Any, computed: Any, unit: str, source: Any
           ) -> dict[str, Any]:
    if stated is None or computed is None:
        diff, ok = None, None
    elif isinstance(stated, Fraction) or isinstance(computed, Fraction):
        diff = Fraction(computed) - Fraction(stated)
        ok = diff == 0
        stated, computed, diff = str(stated), str(computed), str(diff)
    else:
        diff = int(computed) - int(stated)
        ok = diff == 0
    return {"check": name, "description": description, "stated": stated, "computed": computed,
            "difference": diff, "ok": ok, "unit": unit,
            "source": None if source is None or pd.isna(source) else source}


def reconcile_totals(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Compare every stated total with what its parts add up to.

    Returns one row per check with columns :data:`COLUMNS`.
    """
    rows: list[dict[str, Any]] = []
    stated = tables.get("stated_totals")
    media = tables.get("media_outlets")
    cats = tables.get("award_categories")
    if stated is not None:
        by_key = {(r["check"], None if pd.isna(r["part"]) else r["part"]): r
                  for _, r in stated.iterrows()}
        for (check, part), r in by_key.items():
            label = check if part is None else f"{check}·{part}"
            scope = "全部" if part is None else part
            value, src = int(r["stated"]), r["source"]
            if check in ("项目总数", "项目数"):
                rows.append(_check(label, f"{scope}项目数 = 各类获奖单位数 + 各单位宣传项目数",
                                   value, _projects(tables, part), r["unit"], src))
            elif check == "使用资金":
                rows.append(_check(label, f"{scope}使用资金 = 各类奖励金额 + 各单位宣传金额",
                                   value, _spent(tables, part), "元", src))
            elif check == "类别数":
                rows.append(_check(label, f"{scope}奖励类别数 = 奖励类别表的行数",
                                   value, _count_rows(cats, part), r["unit"], src))
            elif check == "承担单位数":
                rows.append(_check(label, f"{scope}承担单位数 = 媒体单位表的行数",
                                   value, _count_rows(media, part), r["unit"], src))
                gov = by_key.get(("政府采购单位数", part))
                own = by_key.get(("自行采购单位数", part))
                if gov is not None and own is not None:
                    rows.append(_check(
                        f"采购方式合计·{scope}", "政府采购单位数 + 自行采购单位数 = 承担单位数",
                        value, int(gov["stated"]) + int(own["stated"]), r["unit"], src))
            elif check in ("政府采购单位数", "自行采购单位数"):
                method = check.removesuffix("单位数")
                known = None
                if media is not None:
                    sel = media if part is None else media[media["part"] == part]
                    if sel["procurement"].notna().all() and len(sel):
                        known = int((sel["procurement"] == method).sum())
                desc = f"{method}的单位数 = 媒体单位表中注明{method}的单位数"
                if known is None:
                    desc += "（报告未注明各单位的采购方式，无法逐一核对）"
                rows.append(_check(label, desc, value, known, r["unit"], src))
    if media is not None and tables.get("media_items") is not None:
        items = tables["media_items"]
        counts = items.groupby("outlet").size()
        for _, o in media.iterrows():
            listed = int(counts.get(o["outlet"], 0))
            rows.append(_check(f"项目名称数·{o['outlet']}",
                               f"{o['outlet']}的项目数 = 报告列出的项目名称数",
                               int(o["items"]), listed, "项", o["source"]))
    if cats is not None and "stated_recipients" in cats:
        for _, c in cats[cats["stated_recipients"].notna()].iterrows():
            rows.append(_check(f"获奖单位数·{c['category']}", "类别表的获奖单位数 = 企业明细的行数",
                               int(c["stated_recipients"]), int(c["recipients"]), "家",
                               c["source"]))
        for _, c in cats[cats["stated_amount_yuan"].notna()].iterrows():
            rows.append(_check(f"奖励金额·{c['category']}", "类别表的奖励金额 = 企业明细金额之和",
                               int(c["stated_amount_yuan"]), int(c["amount_yuan"]), "元",
                               c["source"]))
    rankings = tables.get("rankings")
    breakdowns = tables.get("breakdowns")
    if rankings is not None and breakdowns is not None and len(breakdowns):
        sums = breakdowns.groupby("indicator", sort=False)["value"].sum()
        for ind, total in sums.items():
            r = rankings[rankings["indicator"] == ind].iloc[0]
            rows.append(_check(f"分项合计·{ind}", "指标数值 = 各分项之和", int(r["value"]),
                               int(total), r["unit"], r["source"]))
    comparisons = tables.get("comparisons")
    if comparisons is not None:
        for _, c in comparisons[comparisons["stated_share"].notna()].iterrows():
            computed = (Fraction(int(c["city_value"]), int(c["province_value"]))
                        if pd.notna(c["province_value"]) and int(c["province_value"]) else None)
            rows.append(_check(f"占全省比例·{c['indicator']}", "报告所述占全省比例 = 本市 ÷ 全省",
                               parse_fraction(c["stated_share"]), computed, "比例", c["source"]))
    if rankings is not None:
        for _, r in rankings.iterrows():
            from_text = rank_from_text(r["rank_text"])
            if pd.notna(r["rank"]) and from_text is not None:
                rows.append(_check(f"名次与表述·{r['indicator']}", "名次 = 名次表述中的名次",
                                   from_text, int(r["rank"]), "名", r["source"]))
    return pd.DataFrame(rows, columns=COLUMNS)
