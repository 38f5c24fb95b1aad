"""The sentences of interpretation under each heading, generated from the numbers.

Each function takes what :mod:`fundanalysis.analysis` computed and returns one Chinese
paragraph (plain text; the caller escapes it). Figures are formatted by
:mod:`fundanalysis.present.fmt`, so a sentence says exactly what the table and chart show.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fundanalysis.present import fmt, words
from fundanalysis.present.words import MethodNote, Sentences
from fundanalysis.vocab import BudgetBasis, MoneyKind, Rule

#: What the page does not compute when the report gives no executed amount (a method note).
NO_RATE = "，因此不计算执行率和结余"


def _from(figure: Any) -> str:
    """How a figure of :func:`fundanalysis.analysis.metrics.utilisation` was obtained, in words."""
    return words.provenance(figure.record() if hasattr(figure, "record") else None)


def utilisation(year: int, u: pd.DataFrame) -> Sentences:
    """Budget, executed (or allocated) amount, rate and balance of the fund, naming which figures
    they are and how each was obtained, and whether parts have budgets. An allocation (安排) is
    said as 已安排 and gives no rate and no balance. Where to look on the page and what the page
    computes are method notes."""
    o = u.iloc[0]
    budget = words.budget_label(o["budget_basis"])
    kind = o.get("spent_kind")
    word = words.amount_word(kind, o["spent_word"])
    if pd.isna(o["budget_fen"]):
        text = f"{year} 年报告未给出预算"
    else:
        text = f"{year} 年{budget} {fmt.money(o['budget_fen'])}（{_from(o.get('budget_figure'))}）"
    if kind == MoneyKind.ALLOCATED:
        text = Sentences(text, f"，已安排 {fmt.money(o['allocated_fen'])}（{_from(o.get('spent_figure'))}）；"
                         "安排数不是执行数，报告未给出已执行的金额", MethodNote(NO_RATE), "。")
    elif pd.isna(o["spent_fen"]) and kind == MoneyKind.UNSTATED:
        text = Sentences(text, "；报告所列金额未注明是已执行还是已安排（执行口径未注明）", MethodNote(NO_RATE), "。")
    elif pd.isna(o["spent_fen"]):
        text = Sentences(text, f"；报告未给出已{word}的金额", MethodNote(NO_RATE), "。")
    else:
        text += f"，已{word} {fmt.money(o['spent_fen'])}（{_from(o.get('spent_figure'))}）"
        if not pd.isna(o["budget_fen"]):
            text += f"，执行率 {fmt.pct(o['utilisation'])}"
            if o["over_budget"]:
                text = Sentences(text, f"，超出预算 {fmt.money(-int(o['unspent_fen']))}（超预算执行",
                                 MethodNote("，见核对表"), "）")
            else:
                text += f"，结余 {fmt.money(o['unspent_fen'])}"
        text = Sentences(text, "。")
    more = ""
    if not pd.isna(o["budget_fen"]):
        more += f"预算口径：{words.budget_phase(o['budget_phase'], o['budget_basis'])}。"
    if not pd.isna(o["utilisation_initial"]):
        more += (f"按年初预算数 {fmt.money(o['initial_fen'])} 计，执行率 "
                 f"{fmt.pct(o['utilisation_initial'])}。")
    elif not pd.isna(o["initial_fen"]) and o["budget_basis"] != BudgetBasis.INITIAL:
        more += f"年初预算数 {fmt.money(o['initial_fen'])}。"
    if not pd.isna(o["received_fen"]):
        more += f"到位资金 {fmt.money(o['received_fen'])}"
        more += (f"，到位率 {fmt.pct(o['receipt_rate'])}（到位资金 ÷ {budget}）。"
                 if not pd.isna(o["receipt_rate"]) else "。")
    note = ""
    if len(u) == 1 and not pd.isna(o["spent_fen"]) and not pd.isna(o["budget_fen"]):
        note = MethodNote("报告未给出各部分单独的预算，因此只计算整体执行率。")
    return Sentences(text, more, note)


def spending_by_part(p: pd.DataFrame, word: str) -> str:
    """How many parts, and the largest with its department and share; parts whose executed
    amount the report does not give are named as 未注明 (never 0)."""
    known = p[p["spent_fen"].notna()]
    text = f"资金分为 {len(p)} 个部分"
    if len(known):
        top = known.sort_values("spent_fen", ascending=False).iloc[0]
        dept = "" if pd.isna(top["department"]) else f"（{top['department']}负责）"
        text += (f"；{words.part_name(top['part'])}{dept}已{word} {fmt.money(top['spent_fen'])}，"
                 f"占已{word}资金的 {fmt.pct(top['share'], 1)}")
    unknown = p[p["spent_fen"].isna()]
    if len(unknown):
        text += "；" + "、".join(words.part_name(x) for x in unknown["part"]) + f"的已{word}金额报告未注明"
    return text + "。"


def year_over_year(year: int, this: pd.Series) -> str:
    """The change from the previous year, or that this is the first year."""
    if pd.notna(this["spent_fen_change"]):
        sign = "增加" if this["spent_fen_change"] >= 0 else "减少"
        return (f"与上一年度相比，使用资金{sign} {fmt.money(abs(int(this['spent_fen_change'])))}，"
                f"执行率变化 {fmt.points(this['utilisation_change'])} 个百分点。")
    return f"{year} 年是数据中最早的年度；下表列出之后各年度。"


def reconciliation(rec: pd.DataFrame, counts: dict[str, int]) -> str:
    """How many checks agree, fail and cannot be made; the failures named."""
    text = (f"报告陈述的合计数共核对 {counts['checks']} 项：{counts['ok']} 项相符，"
            f"{counts['failed']} 项不符，{counts['unknown']} 项因报告未给出明细而无法核对。")
    failed = rec[rec["ok"].map(lambda v: v is False)]
    if len(failed):
        text += "不符项：" + "；".join(_failed_check(r) for _, r in failed.iterrows()) + "。"
    return text


def _failed_check(r: pd.Series) -> str:
    """A failing check with its two figures in the row's unit: ``使用资金（报告 160 万元，计算 155 万元）``."""
    unit = fmt.check_unit(r["unit"], [r["stated"], r["computed"], r["difference"]])
    if r.get("rule") == Rule.SCALE:  # a finding, not a total: the amount against its column's median
        return (f"{r['check']}（{fmt.check_amount(r['stated'], unit)}，"
                f"同列其他金额的中位数 {fmt.check_amount(r['computed'], unit)}）")
    if r["computed"] is None or (not isinstance(r["computed"], str) and pd.isna(r["computed"])):
        return f"{r['check']}（报告 {fmt.check_amount(r['stated'], unit)}）"
    return (f"{r['check']}（报告 {fmt.check_amount(r['stated'], unit)}，"
            f"计算 {fmt.check_amount(r['computed'], unit)}）")


def award_categories(c: pd.DataFrame, kind: str = "奖励") -> str:
    """Categories, recipients and money; the largest category (``kind``: the fund's 支持方式)."""
    top = c.iloc[0]
    total = sum(int(a) for a in c["amount_fen"])
    counted = c["recipients"].notna().all()
    who = f"共 {sum(int(r) for r in c['recipients'])} 家单位、" if counted else "共"
    got = f"{int(top['recipients'])} 家获得" if pd.notna(top["recipients"]) else "获得"
    text = (f"{len(c)} 类{kind}{who}{fmt.money(total)}；金额最大的是“{top['category']}”，"
            f"{got} {fmt.money(top['amount_fen'])}，占 {fmt.pct(top['share'], 1)}。")
    if not counted:
        text += f"{'、'.join(c.loc[c['recipients'].isna(), 'category'].map(str))}的单位数报告未注明。"
    return text


def award_average(c: pd.DataFrame, kind: str = "奖励") -> str:
    """The highest and lowest average award per recipient."""
    c = c[c["avg_per_recipient_fen"].notna()]
    if c.empty:
        return Sentences(f"报告未注明{words.support_words(kind)['recipients']}",
                         MethodNote(f"，无法计算平均每家{kind}金额"), "。")
    hi = c.sort_values("avg_per_recipient_fen", ascending=False).iloc[0]
    lo = c.sort_values("avg_per_recipient_fen").iloc[0]
    return (f"平均每家{kind}最高的是“{hi['category']}”（{fmt.money(hi['avg_per_recipient_fen'])}），"
            f"最低的是“{lo['category']}”（{fmt.money(lo['avg_per_recipient_fen'])}）。")


def award_levels(lv: pd.DataFrame, kind: str = "奖励") -> str:
    """Categories, recipients and money per level of title (an unknown count is 未注明)."""
    lead = "按获奖称号的级别汇总：" if kind == "奖励" else f"按{kind}对象的级别汇总："
    return lead + "；".join(
        f"{words.label(r['level'], {})} {int(r['categories'])} 类、"
        + (f"{int(r['recipients'])} 家、" if pd.notna(r["recipients"]) else f"{words.NOT_STATED}家数、")
        + f"{fmt.money(r['amount_fen'])}" for _, r in lv.iterrows()) + "。"


def media_outlets(s: pd.DataFrame) -> str:
    """Publicity money, outlets and items; the largest outlet."""
    total = sum(int(a) for a in s["amount_fen"])
    top = s.iloc[0]
    items = f" {int(s['item_count'].sum())} 个项目" if s["item_count"].notna().all() else "（项目数未注明）"
    return (f"宣传经费 {fmt.money(total)}，由 {len(s)} 家单位承担{items}；"
            f"“{top['outlet']}”金额最大（{fmt.money(top['amount_fen'])}，{fmt.pct(top['share'], 1)}）。")


def media_concentration(c: dict[str, Any]) -> Sentences:
    """Top-2 share and HHI with its band (the band's threshold is a method note)."""
    level = words.CONCENTRATION.get(c["level"], words.NOT_STATED)
    return Sentences(f"前两家单位合计 {fmt.money(c['top2_fen'])}，占宣传经费的 {fmt.pct(c['top2_share'], 1)}；"
                     f"赫芬达尔指数（HHI）为 {c['hhi']:,.0f}，按常用标准属{level}",
                     MethodNote("（>2500 为高度集中）"), "。")


def procurement(p: pd.DataFrame) -> Sentences:
    """The procurement counts the report states, and how many outlets it leaves unmarked (that the
    table leaves them blank is a method note)."""
    stated = p[p["outlets_stated"].notna()]
    text = "；".join(f"{r['method']} {int(r['outlets_stated'])} 家" for _, r in stated.iterrows())
    unknown = int(p.loc[p["method"].isna(), "outlets_known"].iloc[0])
    msg = f"报告所述：{text}。" if text else "报告未给出采购方式的家数。"
    if unknown:
        return Sentences(msg, f"其中 {unknown} 家单位的采购方式报告未逐一注明。",
                         MethodNote("表中如实留空，不作推断。"))
    return Sentences(msg)


def spending_lines(lines: pd.DataFrame, word: str | None) -> str:
    """How many lines, how many carried out, and their executed (or allocated) total; ``word``
    None: the lines do not say which (执行口径未注明)."""
    text = f"报告列出 {len(lines)} 项支出明细"
    if lines["status"].notna().any():
        counts = lines["status"].value_counts()
        text += "（" + "，".join(f"{k} {int(v)} 项" for k, v in counts.items()) + "）"
    done = lines["executed_fen"].dropna()
    if len(done):
        text += (f"，已{word}合计 {fmt.money(sum(int(v) for v in done))}" if word else
                 f"，所列金额合计 {fmt.money(sum(int(v) for v in done))}（执行口径未注明，不计为已执行）")
        if len(done) < len(lines):
            text += f"（{len(lines) - len(done)} 项未给出执行数）"
    return text + "。"


def instalments(inst: pd.DataFrame, received: Any) -> Sentences:
    """How many instalments and their total, against 到位资金."""
    total = sum(int(v) for v in inst["amount_fen"])
    text = f"资金分 {len(inst)} 批到位，合计 {fmt.money(total)}"
    if received is not None and not pd.isna(received):
        if int(received) == total:
            text += "，与报告所述到位资金一致"
        else:
            return Sentences(text, f"，而报告所述到位资金为 {fmt.money(received)}", MethodNote("；差异见核对表"), "。")
    return Sentences(text, "。")


def media_items(listed: int, stated: int | None) -> Sentences:
    """How many titles the report lists, against the outlets' item counts."""
    text = f"报告列出 {listed} 个项目名称"
    if stated is not None and stated != listed:
        return Sentences(text, f"，而各单位项目数合计为 {stated} 个", MethodNote("；差异见核对表"), "。")
    return Sentences(text, "。")


def rankings(r: pd.DataFrame) -> str:
    """How many indicators, how many with a numeric rank, and the best."""
    ranked = r[r["rank_number"].notna()].sort_values("rank_number")
    text = f"共 {len(r)} 项成果指标"
    if len(ranked):
        best = ranked.iloc[0]
        scope = best["scope"] if isinstance(best.get("scope"), str) else ""
        text += (f"，其中 {len(ranked)} 项有明确名次，最好的是“{best['indicator']}”（{int(best['value'])} "
                 f"{best['unit']}，{scope}第 {int(best['rank_number'])}）")
    return text + "。"


def breakdowns(b: pd.DataFrame) -> str:
    """Each indicator's components with their shares."""
    parts = []
    for ind, g in b.groupby("indicator", sort=False):
        parts.append(f"{ind}：" + "、".join(
            f"{r['component']} {int(r['value'])} {r['unit']}（{fmt.pct(r['share'], 1)}）"
            for _, r in g.iterrows()))
    return "；".join(parts) + "。"


def shares(s: pd.DataFrame) -> str:
    """Each indicator's share of the province and of the nation, with the bases."""
    return "；".join(
        f"{x['indicator']}：本市 {int(x['value'])} {x['unit']}"
        + (f"，占全省 {fmt.pct(x['province_share'], 1)}（全省 {int(x['province_total'])}）"
           if pd.notna(x["province_share"]) and pd.notna(x["province_total"]) else "")
        + (f"，占全国 {fmt.pct(x['nation_share'], 1)}（全国 {int(x['nation_total'])}）"
           if pd.notna(x["nation_share"]) else "")
        for _, x in s.iterrows()) + "。"


def text_ranks(n: int) -> Sentences:
    """How many ranks are given only in words (that the page keeps the words is a method note)."""
    return Sentences(f"{n} 项只有文字表述、没有具体名次。", MethodNote("表中如实保留原话，不推断名次。"))


def award_distribution(awards: pd.DataFrame, kind: str = "奖励") -> str:
    """How far apart the awards of listed recipients are, overall and in the widest category."""
    amounts = [int(v) for v in awards["amount_fen"]]
    got = words.support_words(kind)["got"]
    text = (f"报告逐家列出 {len(amounts)} 家{got}单位，每家{kind} {fmt.money(min(amounts))} 至 "
            f"{fmt.money(max(amounts))}，中位数 {fmt.money(int(pd.Series(amounts).median()))}。")
    spread = awards.groupby("category")["amount_fen"].agg(lambda s: int(s.max()) - int(s.min()))
    if len(spread) > 1 and int(spread.max()) > 0:
        text += f"类别内差距最大的是“{spread.idxmax()}”（相差 {fmt.money(int(spread.max()))}）。"
    return text

