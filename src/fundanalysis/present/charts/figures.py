"""The charts of the report, one function each: ``tables -> Figure``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from fundanalysis.analysis import metrics
from fundanalysis.analysis.metrics import money_sum
from fundanalysis.ingest.clean import is_text_rank
from fundanalysis.present import fmt, words
from fundanalysis.present.charts.draw import Bar, _Chart, _draw_bars, _finish, _lead_color, _new_chart, _set_xaxis
from fundanalysis.present.charts.text import _esc, _money_ticks, _pct_ticks, _to_wan, shorten, wrap_text
from fundanalysis.present.charts.theme import Theme, _font
from fundanalysis.vocab import MoneyKind, RankSource, Scope, SpentBasis

Tables = dict[str, pd.DataFrame]

LABEL_CHARS = 12  # CJK characters per line of a category label
LONG_LABEL_CHARS = 15  # … of an indicator label


# --------------------------------------------------------------------------- data helpers


def source_note(tables: Tables, names: Sequence[str] = ()) -> str:
    """``资料来源：<report>`` for the tables a chart draws on."""
    return "资料来源：" + "；".join(words.report_names(tables, tuple(names)))


def _fund(tables: Tables) -> pd.Series:
    return tables["fund"].iloc[0]


def _nonempty(tables: Tables, name: str) -> pd.DataFrame | None:
    df = tables.get(name)
    return df if df is not None and len(df) else None


def _award_categories(tables: Tables) -> pd.DataFrame | None:
    """Award categories as given, or built from per-recipient awards."""
    cats = _nonempty(tables, "award_categories")
    if cats is None and _nonempty(tables, "awards") is not None:
        cats = metrics.categories_from_recipients(tables["awards"])
    if cats is None:
        return None
    for c in ("level", "part"):
        if c not in cats:
            cats = cats.assign(**{c: pd.NA})
    return metrics.category_totals(cats)


def _word(tables: Tables) -> str:
    """The word for the fund's money: its 执行口径 when executed, 安排 when allocated, else 执行."""
    u = metrics.utilisation(tables).iloc[0]
    return words.amount_word(u["spent_kind"], u["spent_word"])


def _level_label(name: object, level: object) -> str:
    return f"{name}（{level}）" if isinstance(level, str) and level else str(name)


# --------------------------------------------------------------------------- titles


def _fund_title(tables: Tables) -> str:
    f = _fund(tables)
    return f"{int(f['year'])}年度{f['fund_name']}"


TITLE_UTILISATION_PARTS = "各组成部分预算执行率"
TITLE_LINES = "支出明细"
TITLE_MEDIA_AMOUNT = "宣传经费按承担单位分布"
TITLE_MEDIA_SHARE = "各承担单位占宣传经费比例"


def _support(tables: Tables) -> dict[str, str]:
    """The award words of the fund's kind of support (奖励, 补助 …)."""
    return words.support_words(words.support_kind(tables))


def title_award_amount(tables: Tables) -> str:
    """各类别奖励金额, in the fund's words (各类别补助金额)."""
    return f"各类别{_support(tables)['amount']}"


def title_award_average(tables: Tables) -> str:
    """各类别平均每家奖励金额, in the fund's words."""
    return f"各类别平均每家{_support(tables)['amount']}"


def title_award_distribution(tables: Tables) -> str:
    """各类别获奖单位的奖励金额分布, in the fund's words."""
    w = _support(tables)
    return f"各类别{w['got']}单位的{w['amount']}分布"


def _title_parts(tables: Tables) -> str:
    """The parts chart's title (and alt text) in the fund's word: 已使用, 已支出 …, or 已安排."""
    return f"已{_word(tables)}资金按组成部分分布"


def _title_utilisation(tables: Tables) -> str:
    return f"{_fund_title(tables)}预算执行情况"


def _title_breakdown(tables: Tables, indicator: str) -> str:
    return f"分项构成：{indicator}"


def _title_shares(tables: Tables) -> str:
    rk = _share_rows(tables)
    scopes = "、".join(s for s, c in (("全省", "province_share"), ("全国", "nation_share"))
                      if rk[c].notna().any())
    return f"{_fund(tables)['city']}主要成果占{scopes}的比例"


def _title_ranks(tables: Tables) -> str:
    return f"{_fund(tables)['city']}主要指标排名"


# --------------------------------------------------------------------------- overview charts


def utilisation_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Waterfall: budget → spent by part → total spent (执行率) → unspent (结余)."""
    ch = _new_chart(theme)
    t = ch.theme
    u = metrics.utilisation(tables).iloc[0]
    budget, spent, unspent = int(u["budget_fen"]), int(u["spent_fen"]), int(u["unspent_fen"])
    rate = fmt.pct_of(spent, budget)
    label, word = words.budget_label(u["budget_basis"]), words.amount_word(u["spent_kind"], u["spent_word"])
    bars = [Bar(label, _to_wan(budget), fmt.money(budget, ''), color=t.neutral)]
    start = 0
    by_part = metrics.spending_by_part(tables)
    if len(by_part) > 1 and by_part["spent_fen"].notna().all() and money_sum(by_part["spent_fen"]) == spent:
        for i, p in enumerate(by_part.itertuples()):
            bars.append(Bar(wrap_text(f"其中：{words.part_name(p.part)}", 11), _to_wan(p.spent_fen),
                            fmt.money(p.spent_fen, ''), start=_to_wan(start),
                            color=t.series[1 + i % (len(t.series) - 1)]))
            start += int(p.spent_fen)
    bars.append(Bar(f"已{word}合计", _to_wan(spent), f"{fmt.money(spent, '')}｜执行率{rate}", color=t.primary))
    low, high = sorted((spent, budget))
    gap_label = "结余（未使用）" if unspent >= 0 else "超出预算"
    gap_text = f"{fmt.money(abs(unspent), '')}｜{fmt.pct_of(abs(unspent), budget)}"
    bars.append(Bar(gap_label, _to_wan(high - low), gap_text, start=_to_wan(low),
                    color=t.highlight))
    _draw_bars(ch, bars)
    _draw_connectors(ch, bars)
    _set_xaxis(ch, "金额（万元）", _money_ticks)
    sub = f"{label}{fmt.money(budget, '')}，已{word}{fmt.money(spent, '')}，预算执行率{rate}"
    phase = u.get("budget_phase") or words.BUDGET_BASIS_NOTE.get(u["budget_basis"])
    notes = [f"注：预算执行率 = 已{word}资金 ÷ {label}。" + (f"预算口径：{phase}。" if phase else "")
             + ("执行数为各明细之和。" if u["spent_basis"] == SpentBasis.SUM_OF_LINES and
                "lines" in metrics.spending_sources(tables) else "")
             + f"{label}：{words.provenance(u['budget_figure'].record())}。"]
    return _finish(ch, _title_utilisation(tables), sub, notes,
                   source_note(tables, ["fund", "parts", "lines", "award_categories", "media_outlets"]))


def _draw_connectors(ch: _Chart, bars: Sequence[Bar]) -> None:
    """Thin dotted lines from the end of one floating bar to the start of the next."""
    for i in range(1, len(bars) - 1):
        x = bars[i].start + bars[i].value
        ch.ax.plot([x, x], [i + 0.31, i + 0.69], color=ch.theme.muted, linewidth=0.7,
                   linestyle=(0, (1, 2)), zorder=3)


def utilisation_by_part_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Bullet chart of each part with its own budget: budget (grey), spent (bar), 执行率."""
    ch = _new_chart(theme)
    t = ch.theme
    u = metrics.utilisation(tables)
    u = u[(u["scope"] == Scope.PART) & u["spent_fen"].notna()].sort_values(
        ["utilisation", "scope_name"], ascending=[False, True])
    bars: list[Bar] = []
    for i, p in enumerate(u.itertuples()):
        b, s = int(p.budget_fen), int(p.spent_fen)
        bars.append(Bar(wrap_text(str(p.scope_name), LABEL_CHARS), _to_wan(b), "", color=t.neutral,
                        height=0.7, y=float(i)))
        bars.append(Bar("", _to_wan(s), f"执行率{fmt.pct_of(s, b)}（{fmt.money(s, '')}/{fmt.money(b, '')}）",
                        color=t.primary, height=0.3, y=float(i), label_x=_to_wan(max(b, s))))
    _draw_bars(ch, bars)
    _set_xaxis(ch, "金额（万元）", _money_ticks)
    word = _word(tables)
    sub = f"灰色为该部分预算，深色为已{word}资金"
    return _finish(ch, TITLE_UTILISATION_PARTS, sub,
                   [f"注：预算执行率 = 已{word}资金 ÷ 该部分预算。"],
                   source_note(tables, ["parts", "award_categories", "media_outlets"]))


def spending_by_part_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Spent money per part (with its department), largest first, labelled with projects."""
    ch = _new_chart(theme)
    t = ch.theme
    parts = metrics.spending_by_part(tables)
    df = parts[parts["spent_fen"].notna()].sort_values(["spent_fen", "part"], ascending=[False, True])
    total = int(sum(int(v) for v in df["spent_fen"]))
    values = [int(v) for v in df["spent_fen"]]
    word = _word(tables)
    unknown = parts[parts["spent_fen"].isna()]
    bars = [Bar(wrap_text(words.part_name(p.part), LABEL_CHARS, 3)
                + ("" if pd.isna(p.department) else f"\n{wrap_text(str(p.department), LABEL_CHARS, 1)}"),
                _to_wan(p.spent_fen),
                f"{fmt.money(p.spent_fen, '')}（" + ("" if pd.isna(p.projects) else f"{p.projects}个项目，")
                + f"占{fmt.pct_of(p.spent_fen, total, 1)}）",
                color=_lead_color(t, values, i))
            for i, p in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, f"已{word}资金（万元）", _money_ticks)
    counted = df["projects"].notna().all()
    sub = f"合计已{word}{fmt.money(total, '')}" + (f"，{int(df['projects'].sum())}个项目" if counted else "")
    notes = ["注：" + "、".join(words.part_name(x) for x in unknown["part"]) + f"的已{word}金额报告未注明，图中未画出。"
             ] if len(unknown) else []
    return _finish(ch, _title_parts(tables), sub, notes,
                   source_note(tables, ["parts", "lines", "award_categories", "media_outlets"]))


def lines_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Each spending line's executed amount (or its budget where none is executed), largest first;
    a line with both is labelled with its rate."""
    ch = _new_chart(theme)
    t = ch.theme
    lines = tables["lines"]
    row_kinds = metrics.row_kinds(tables, "lines")
    kinds = set(row_kinds)
    fund_word = _word(tables) if MoneyKind.EXECUTED in kinds else "执行"
    word = ("安排" if kinds == {MoneyKind.ALLOCATED} else fund_word if kinds <= {MoneyKind.EXECUTED}
            else None)  # None: the lines do not all say the same of their amounts
    shown = lines.assign(value=lines["executed_fen"].fillna(lines["annual_fen"]), kind=row_kinds)
    shown = shown[shown["value"].notna()].sort_values(["value", "item"], ascending=[False, True])
    def text(r: Any) -> str:
        if pd.isna(r.executed_fen):
            return f"预算{fmt.money(r.annual_fen, '')}（未给出执行数）"
        if r.kind == MoneyKind.UNSTATED:
            return f"{fmt.money(r.executed_fen, '')}（执行口径未注明）"
        label = f"已{'安排' if r.kind == MoneyKind.ALLOCATED else fund_word}{fmt.money(r.executed_fen, '')}"
        if pd.notna(r.annual_fen):
            label += f"｜执行率{fmt.pct_of(r.executed_fen, r.annual_fen)}"
        return label

    bars = [Bar(wrap_text(str(r.item), LABEL_CHARS), _to_wan(r.value), text(r),
                color=t.primary if pd.notna(r.executed_fen) else t.neutral)
            for r in shown.itertuples()]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "金额（万元）", _money_ticks)
    done = shown["executed_fen"].dropna()
    total = fmt.money(sum(int(v) for v in done), '')
    said = f"，已{word}合计{total}" if word else f"，所列金额合计{total}"
    sub = f"{len(shown)}项明细" + (said if len(done) else "")
    notes = ["注：灰色为只给出预算、未给出执行数的明细。"] if len(done) < len(shown) else []
    return _finish(ch, TITLE_LINES, sub, notes, source_note(tables, ["lines"]))


# --------------------------------------------------------------------------- awards


def award_amount_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Award money per category, largest first, labelled with amount and recipients."""
    ch = _new_chart(theme)
    t = ch.theme
    df = _award_categories(tables)
    assert df is not None
    values = [int(v) for v in df["amount_fen"]]
    bars = [Bar(wrap_text(_level_label(c.category, c.level), LABEL_CHARS), _to_wan(c.amount_fen),
                fmt.money(c.amount_fen, '') + ("" if pd.isna(c.recipients) else f"（{c.recipients}家）"),
                color=_lead_color(t, values, i))
            for i, c in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    w = _support(tables)
    _set_xaxis(ch, f"{w['amount']}（万元）", _money_ticks)
    total = sum(int(a) for a in df["amount_fen"])
    who = f"{w['got']}{int(df['recipients'].sum())}家次，" if df["recipients"].notna().all() else ""
    sub = f"共{len(df)}类，{who}合计{fmt.money(total, '')}；按金额从高到低排列"
    return _finish(ch, title_award_amount(tables), sub, [],
                   source_note(tables, ["award_categories", "awards"]))


def award_average_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Average award per recipient (万元/家) per category, largest first."""
    ch = _new_chart(theme)
    t = ch.theme
    df = _award_categories(tables)
    assert df is not None
    df = df[df["recipients"].fillna(0) > 0].sort_values(
        ["avg_per_recipient_fen", "category"], ascending=[False, True])
    values = [int(v) for v in df["avg_per_recipient_fen"]]
    bars = [Bar(wrap_text(_level_label(c.category, c.level), LABEL_CHARS),
                _to_wan(c.avg_per_recipient_fen),
                f"{fmt.wan(c.avg_per_recipient_fen)}万元/家（{c.recipients}家）",
                color=_lead_color(t, values, i))
            for i, c in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    w = _support(tables)
    _set_xaxis(ch, f"平均每家{w['kind']}（万元/家）", _money_ticks)
    sub = f"平均每家{w['kind']} = 该类别{w['amount']} ÷ {w['recipients']}；按平均额从高到低排列"
    return _finish(ch, title_award_average(tables), sub, [],
                   source_note(tables, ["award_categories", "awards"]))


# --------------------------------------------------------------------------- media


def media_amount_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Publicity money per outlet, largest first, labelled with amount and items (项)."""
    ch = _new_chart(theme)
    t = ch.theme
    df = metrics.media_shares(tables["media_outlets"])
    values = [int(v) for v in df["amount_fen"]]
    bars = [Bar(wrap_text(str(m.outlet), LABEL_CHARS), _to_wan(m.amount_fen),
                fmt.money(m.amount_fen, '') + ("" if pd.isna(m.item_count) else f"（{m.item_count}项）"),
                color=_lead_color(t, values, i))
            for i, m in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "宣传经费（万元）", _money_ticks)
    total = sum(int(a) for a in df["amount_fen"])
    items = f"、{int(df['item_count'].sum())}个项目" if df["item_count"].notna().all() else ""
    sub = f"{len(df)}家单位{items}，合计{fmt.money(total, '')}"
    return _finish(ch, TITLE_MEDIA_AMOUNT, sub, _procurement_notes(tables),
                   source_note(tables, ["media_outlets", "media_items"]))


def _procurement_notes(tables: Tables) -> list[str]:
    """A note when the report gives procurement counts but not which outlet is which."""
    split = metrics.procurement_split(tables["media_outlets"], tables.get("stated_totals"))
    stated = split[split["outlets_stated"].notna()]
    unknown = split.loc[split["method"].isna(), "outlets_known"].sum()
    if stated.empty or not unknown:
        return []
    counts = "、".join(f"{m.method}{m.outlets_stated}家" for m in stated.itertuples())
    return [f"注：报告称{counts}，未注明各单位的采购方式。"]


def media_share_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Each outlet's share of publicity money; the top two are highlighted."""
    ch = _new_chart(theme)
    t = ch.theme
    df = metrics.media_shares(tables["media_outlets"])
    total = sum(int(a) for a in df["amount_fen"])
    conc = metrics.media_concentration(tables["media_outlets"])
    bars = [Bar(wrap_text(str(m.outlet), LABEL_CHARS), float(m.share), fmt.pct_of(m.amount_fen, total, 1),
                color=t.highlight if i < 2 else t.secondary)
            for i, m in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "占宣传经费比例（%）", _pct_ticks)
    top2 = "、".join(str(o) for o in df["outlet"].head(2))
    sub = (f"前两家（{top2}）合计占{fmt.pct_of(conc['top2_fen'], total, 1)}"
           f"（{fmt.money(conc['top2_fen'], '')}/{fmt.money(total, '')}）")
    return _finish(ch, TITLE_MEDIA_SHARE, sub, [],
                   source_note(tables, ["media_outlets"]))


# --------------------------------------------------------------------------- rankings


def breakdown_indicators(tables: Tables) -> list[str]:
    """Indicators that have a component breakdown, in table order."""
    bd = metrics.component_shares(tables)
    return list(dict.fromkeys(str(i) for i in bd["indicator"]))


def breakdown_chart(tables: Tables, indicator: str, theme: Theme | None = None) -> Figure:
    """Components of one indicator (e.g. star levels), largest first, with counts and shares."""
    ch = _new_chart(theme)
    t = ch.theme
    bd = metrics.component_shares(tables)
    bd = bd[bd["indicator"] == indicator].sort_values(["value", "component"],
                                                      ascending=[False, True])
    total = sum(int(v) for v in bd["value"])
    unit = str(bd["unit"].iloc[0])
    values = [int(v) for v in bd["value"]]
    bars = [Bar(wrap_text(str(b.component), LABEL_CHARS), float(b.value),
                f"{b.value}{b.unit}（{fmt.pct_of(b.value, total, 1)}）",
                color=_lead_color(t, values, i))
            for i, b in enumerate(bd.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, f"数量（{unit}）", lambda v, _p: f"{v:,.0f}")
    ch.ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=True))
    sub = f"合计{total}{unit}" + _rank_phrase(tables, indicator)
    return _finish(ch, _title_breakdown(tables, indicator), sub, [],
                   source_note(tables, ["breakdowns"]))


def _rank_phrase(tables: Tables, indicator: str) -> str:
    rk = _nonempty(tables, "rankings")
    if rk is None:
        return ""
    sel = rk[(rk["indicator"] == indicator) & rk["rank_text"].notna()]
    return f"，{sel['rank_text'].iloc[0]}" if len(sel) else ""


def _share_rows(tables: Tables) -> pd.DataFrame:
    rk = metrics.rankings_table(tables)
    return rk[rk["province_share"].notna() | rk["nation_share"].notna()]


def share_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """The city's count as a share of the province's and the nation's, per indicator."""
    ch = _new_chart(theme)
    rk = _share_rows(tables).sort_values(["province_share", "nation_share"], ascending=False)
    bars: list[Bar] = []
    y = 0.0
    for r in rk.itertuples():
        group = _share_bars(r, ch.theme)
        apart = 0.2 if ch.theme.value_label_lines == 1 else 0.4  # room for two-line value labels
        offs = [0.0] if len(group) == 1 else [-apart, apart]
        for k, (b, off) in enumerate(zip(group, offs, strict=True)):
            b.label = wrap_text(str(r.indicator), LONG_LABEL_CHARS) if k == 0 else ""
            b.y, b.height = y + off, 0.5 if len(group) == 1 else 0.36
            bars.append(b)
        y += 1.0 if len(group) == 1 else 0.8 + 2 * apart
    _draw_bars(ch, bars)
    _center_ticks(ch, bars)
    _set_xaxis(ch, "占比（%）", _pct_ticks)
    cmp_ = tables.get("comparisons")
    stated = ([str(s) for s in cmp_["stated_text"].dropna()]
              if cmp_ is not None and "stated_text" in cmp_ else [])
    notes = ["报告原文：" + "；".join(stated) + "。"] if stated else []
    sub = "占比 = 本市数量 ÷ 全省（全国）数量"
    return _finish(ch, _title_shares(tables), sub, notes,
                   source_note(tables, ["comparisons", "rankings"]))


def _share_bars(r: Any, t: Theme) -> list[Bar]:
    """The province and nation bars of one rankings row (those that have a share)."""
    bars = []
    for scope, share, total, color in (("全省", r.province_share, r.province_total, t.primary),
                                       ("全国", r.nation_share, r.nation_total, t.secondary)):
        if pd.isna(share):
            continue
        if pd.notna(total):  # exact from the two counts
            text = f"占{scope}{fmt.pct_of(int(r.value), int(total), 1)}（{r.value}/{total}{r.unit}）"
        else:
            text = f"占{scope}{share:.1%}（{r.value}{r.unit}）"
        bars.append(Bar("", float(share), text, color=color))
    return bars


def _center_ticks(ch: _Chart, bars: Sequence[Bar]) -> None:
    """Put each labelled group's tick at the middle of its bars."""
    groups: list[list[Bar]] = []
    for b in bars:
        if b.label or not groups:
            groups.append([b])
        else:
            groups[-1].append(b)
    ys = [sum(b.y or 0.0 for b in g) / len(g) for g in groups]
    ch.ax.set_yticks(ys, [_esc(g[0].label) for g in groups])


def rank_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Numeric ranks as labelled dots (第1名 best); text-only ranks (前列) in a note."""
    ch = _new_chart(theme)
    t, ax = ch.theme, ch.ax
    rk = metrics.rankings_table(tables)
    num = rk[rk["rank_number"].notna()].sort_values(["rank_number", "indicator"])
    n_max = int(num["rank_number"].max())
    peers = metrics.peer_city_ranks(tables)
    cities = int(peers["cities"].max()) if peers is not None else None
    xmax = max(n_max + 1, cities or 0)
    for i, r in enumerate(num.itertuples()):
        ax.plot([1, xmax], [i, i], color=t.grid, linewidth=1.0, zorder=1)
        ax.plot([int(r.rank_number)], [i], marker="o", markersize=10, color=t.primary, zorder=3,
                linestyle="none")
        scope = r.scope if isinstance(r.scope, str) else ""
        star = "*" if r.rank_source == RankSource.PEERS else ""
        ann = ax.annotate(_esc(shorten(f"{scope}第{int(r.rank_number)}名{star}（{r.value}{r.unit}）", 40)),
                          xy=(int(r.rank_number), i), xytext=(9, 0), textcoords="offset points",
                          va="center", ha="left", **_font(t, t.value_size))
        ch.ends.append((ann, float(int(r.rank_number))))
    labels = [wrap_text(_esc(ind), LONG_LABEL_CHARS) for ind in num["indicator"]]
    ax.set_yticks(range(len(num)), labels)
    ax.set_ylim(len(num) - 0.5, -0.5)
    ch.rows = len(num)
    ch.label_lines = max(s.count("\n") + 1 for s in labels)
    ax.set_xlabel("名次（第1名为最优）", labelpad=6, **_font(t, t.value_size, t.muted))
    ax.xaxis.set_major_locator(FixedLocator(list(range(1, xmax + 1))))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}"))
    ax.set_xlim(0.5, xmax + 0.5)
    sub = "圆点为名次，越靠左越好" + (f"；全省共{cities}个城市" if cities else "")
    return _finish(ch, _title_ranks(tables), sub, _rank_notes(rk),
                   source_note(tables, ["rankings", "peer_values"]))




def _rank_notes(rk: pd.DataFrame) -> list[str]:
    """Notes for ranks stated only as text, and for ranks computed from peer values."""
    notes = []
    text_only = rk[rk["rank_number"].isna() & rk["rank_text"].map(is_text_rank)]
    if len(text_only):
        items = "；".join(f"{r.indicator}（{r.value}{r.unit}）{r.rank_text}"
                         for r in text_only.itertuples())
        notes.append(f"报告未给出具体名次的指标：{items}。")
    if (rk["rank_source"] == RankSource.PEERS).any():
        notes.append("* 按全省各市数值计算名次，并列按同一名次计。")
    return notes


# --------------------------------------------------------------------------- self-evaluation form

TITLE_POINTS_LOST = "绩效指标失分情况"


def points_lost_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Points each indicator lost under the scoring policy (分值 − 计算得分), most first; an
    indicator whose stated score differs is labelled with it."""
    from fundanalysis.analysis.selfeval import self_evaluation
    from fundanalysis.present.form import indicator_frame, points

    ch = _new_chart(theme)
    t = ch.theme
    se = self_evaluation(tables)
    assert se is not None and se.indicators
    df = indicator_frame(se)
    if se.budget is not None and se.budget.score is not None:
        df = pd.concat([pd.DataFrame([{"name": "预算执行", "lost": se.budget.weight - se.budget.score,
                                       "weight": se.budget.weight, "score": se.budget.score,
                                       "stated": se.stated_budget_score, "ok": None}]), df], ignore_index=True)
    df = df.assign(lost_f=[float(v) for v in df["lost"]]).sort_values(["lost_f", "name"], ascending=[False, True])

    def text(r: Any) -> str:
        label = f"失{points(r.lost)}分（得{points(r.score)}／{points(r.weight)}）"
        if r.ok is False:
            label += f"｜表内填{points(r.stated)}分"
        return label

    bars = [Bar(wrap_text(str(r.name), LABEL_CHARS), r.lost_f, text(r),
                color=t.highlight if r.ok is False else (t.primary if r.lost_f > 0 else t.neutral))
            for r in df.itertuples()]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "失分（分）", lambda v, _p: points(Decimal(str(round(v, 2)))))
    lost = sum((Decimal(str(v)) for v in df["lost"]), Decimal(0))
    sub = f"总分{points(se.total)}／{points(se.max_total)}，共失{points(lost)}分"
    notes = ["注：失分 = 分值 − 按评分规则计算的得分；橙色为表内填报得分与计算不符的指标。"]
    return _finish(ch, TITLE_POINTS_LOST, sub, notes, source_note(tables, ["indicators"]))


def award_distribution_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Each listed recipient's award as a dot, by category, over a box of the category's spread
    (seaborn): where most awards fall and which are far from the rest."""
    import seaborn as sns

    ch = _new_chart(theme)
    t = ch.theme
    awards = tables["awards"]
    order = (awards.groupby("category", sort=False)["amount_fen"].sum().sort_values(ascending=False).index.tolist())
    df = pd.DataFrame({"category": awards["category"].astype(str),
                       "wan": [_to_wan(v) for v in awards["amount_fen"]]})
    labels = {c: wrap_text(str(c), LABEL_CHARS) for c in order}
    df["label"] = df["category"].map(labels)
    y_order = [labels[c] for c in order]
    with warnings.catch_warnings():  # seaborn 0.13 still passes matplotlib's ``vert``, deprecated in 3.11
        warnings.filterwarnings("ignore", message=".*vert: bool (was|will be) deprecated.*")  # (3.10: pending)
        sns.boxplot(data=df, x="wan", y="label", order=y_order, ax=ch.ax, color=t.secondary, width=0.5,
                    fliersize=0, linewidth=0.8, boxprops={"alpha": 0.45})
    sns.stripplot(data=df, x="wan", y="label", order=y_order, ax=ch.ax, color=t.primary, size=4.5,
                  jitter=0.18, alpha=0.85)
    ch.ax.set_ylabel("")
    for label in ch.ax.get_yticklabels():
        label.set(**_font(t, t.label_size))
    ch.rows = len(order)
    ch.label_lines = max(lab.count("\n") + 1 for lab in y_order)
    w = _support(tables)
    _set_xaxis(ch, f"每家{w['amount']}（万元）", _money_ticks)
    n = len(df)
    sub = f"{n}家{w['got']}单位，{len(order)}个类别；每个点是一家"
    notes = [f"注：箱体为各类别中间一半{w['got']}单位的金额范围，竖线为中位数。"]
    return _finish(ch, title_award_distribution(tables), sub, notes, source_note(tables, ["awards"]))
