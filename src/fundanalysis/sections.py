"""What each report heading shows: one method per heading, called from the thin notebooks.

Each method displays a sentence of interpretation generated from the numbers, a table
and, where it helps, a chart. Every data string is HTML-escaped before display.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis import io, metrics
from fundanalysis.clean import format_wan
from fundanalysis.pipeline import load_tables, summarise
from fundanalysis.reconcile import reconcile_totals


def fmt_wan(yuan: Any, unit: bool = True) -> str:
    """Integer 元 as 万元 text (two decimals at most)."""
    if yuan is None or pd.isna(yuan):
        return "—"
    return format_wan(int(yuan)) + (" 万元" if unit else "")


def fmt_pct(x: Any, digits: int = 2) -> str:
    """A fraction as a percentage."""
    if x is None or pd.isna(x):
        return "—"
    return f"{float(x) * 100:.{digits}f}%"


def fmt_int(x: Any) -> str:
    """A count, or a dash when missing."""
    return "—" if x is None or pd.isna(x) else f"{int(x):,}"


def _esc(x: Any) -> str:
    return html.escape("—" if x is None or (not isinstance(x, str) and pd.isna(x)) else str(x))


def html_table(df: pd.DataFrame, columns: Mapping[str, tuple[str, Callable[[Any], str] | None]],
               row_class: Callable[[pd.Series], str] | None = None) -> str:
    """Render selected columns with Chinese headers; every cell is escaped text."""
    head = "".join(f"<th>{html.escape(label)}</th>" for label, _ in columns.values())
    body = []
    for _, row in df.iterrows():
        cls = f' class="{html.escape(row_class(row))}"' if row_class else ""
        cells = []
        for col, (_, fmt) in columns.items():
            v = row.get(col)
            text = fmt(v) if fmt else ("—" if v is None or (not isinstance(v, str) and pd.isna(v))
                                       else str(v))
            num = fmt is not None
            cells.append(f'<td class="{"num" if num else "txt"}">{html.escape(text)}</td>')
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<table class="fa-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


CHART_DPI = 150


def _input_stamp(data: Path) -> tuple:
    """The content digest of every year's input: a cache key for loading (see io.content_digest)."""
    return tuple((y, io.input_digest(data, y)) for y in io.list_years(data))


@functools.lru_cache(maxsize=8)
def _load_year(year: int, data: Path, stamp: tuple) -> tuple[dict[str, pd.DataFrame], dict[str, Any],
                                                              list[dict[str, Any]]]:
    """Tables and summary of a year plus the other years' summaries (cached per input state)."""
    tables = load_tables(data, year)
    others = []
    for y in io.list_years(data):
        if y == year or not io.input_files(data, y):
            continue
        try:
            others.append(summarise(load_tables(data, y)))
        except Exception:  # a broken other year (bad input, damaged processed tables) does not
            continue  # stop this year's report; its own build reports it
    return tables, summarise(tables), others


@dataclass
class Report:
    """The tables of one year plus everything the section notebooks display."""

    year: int
    data_dir: Path
    out_dir: Path
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    other_years: list[dict[str, Any]] = field(default_factory=list)
    charts_dir: Path | None = None
    _charts: dict[str, Any] | None = None

    @classmethod
    def load(cls, year: int, data_dir: str | Path, out_dir: str | Path,
             charts_dir: str | Path = "") -> Report:
        """Load a year's tables (validated) and the summaries of other years for comparison.

        ``charts_dir``, if given, receives every chart shown as PNG, so a build renders each
        chart once for both the HTML and the export (SVG and other resolutions: the
        ``fundanalysis charts`` command).
        """
        data = Path(data_dir).expanduser().resolve()
        out = Path(out_dir).expanduser().resolve()
        if not data.is_dir():
            raise FileNotFoundError(f"data_dir {data} does not exist")
        tables, summary, others = _load_year(int(year), data, _input_stamp(data))
        charts = Path(charts_dir).expanduser().resolve() if str(charts_dir) else None
        return cls(int(year), data, out, tables, summary, others, charts_dir=charts)

    # ------------------------------------------------------------ display helpers

    def _show(self, *parts: str) -> None:
        from IPython.display import HTML, display

        display(HTML("".join(parts)))

    def _say(self, text: str) -> str:
        return f'<p class="fa-say">{html.escape(text)}</p>'

    def _chart(self, slug_part: str) -> None:
        """Show the charts whose slug contains ``slug_part``; export them if asked to."""
        from IPython.display import Image, display

        from fundanalysis import charts

        if self._charts is None:
            self._charts = {c.slug: c for c in charts.chart_specs(self.tables)}
        for slug, spec in self._charts.items():
            if slug_part in slug:
                fig = spec.make()
                png = charts.render(fig, "png", dpi=CHART_DPI)
                display(Image(data=png))
                if self.charts_dir is not None:
                    io.write_bytes(self.charts_dir / f"{slug}.png", png)

    @property
    def fund(self) -> pd.Series:
        """The fund row."""
        return self.tables["fund"].iloc[0]

    # ------------------------------------------------------------ headings

    def title(self, section: str) -> None:
        """The report title: issuer, year, fund, section."""
        f = self.fund
        self._show(f'<p class="fa-subtitle">{_esc(f["issuer"])} · {self.year} 年度 · '
                   f'{_esc(f["fund_name"])} · {_esc(section)}</p>')

    def key_figures(self) -> None:
        """Budget, spent, utilisation, unspent and project count as tiles."""
        s = self.summary
        tiles = [("专项资金总额", fmt_wan(s["budget_yuan"])), ("已使用", fmt_wan(s["spent_yuan"])),
                 ("执行率", fmt_pct(s["utilisation"])), ("结余", fmt_wan(s["unspent_yuan"])),
                 ("项目数", f"{s['projects']} 个")]
        self._show('<div class="fa-tiles">' + "".join(
            f'<div class="fa-tile"><div class="k">{html.escape(k)}</div>'
            f'<div class="v">{html.escape(v)}</div></div>' for k, v in tiles) + "</div>")

    def utilisation(self) -> None:
        """Utilisation overall and per part with its own budget."""
        u = metrics.utilisation(self.tables)
        o = u.iloc[0]
        phase = o["budget_phase"] or "未注明"
        text = (f"{self.year} 年专项资金总额 {fmt_wan(o['budget_yuan'])}，已使用 "
                f"{fmt_wan(o['spent_yuan'])}，执行率 {fmt_pct(o['utilisation'])}，结余 "
                f"{fmt_wan(o['unspent_yuan'])}。预算口径：{phase}。")
        if len(u) == 1:
            text += "报告未给出各部分单独的预算，因此只计算整体执行率。"
        self._show(self._say(text), html_table(u, {
            "name": ("范围", None), "budget_yuan": ("预算（万元）", lambda v: fmt_wan(v, False)),
            "spent_yuan": ("已使用（万元）", lambda v: fmt_wan(v, False)),
            "unspent_yuan": ("结余（万元）", lambda v: fmt_wan(v, False)),
            "utilisation": ("执行率", fmt_pct)}))
        self._chart("utilisation")

    def spending_by_part(self) -> None:
        """Spending and projects by part and responsible department."""
        p = metrics.spending_by_part(self.tables)
        top = p.sort_values("spent_yuan", ascending=False).iloc[0]
        self._show(self._say(
            f"资金分为 {len(p)} 个部分；{top['part']}（{top['department']}负责）使用 "
            f"{fmt_wan(top['spent_yuan'])}，占已使用资金的 {fmt_pct(top['share'], 1)}。"),
            html_table(p, {"part": ("部分", None), "department": ("负责处室", None),
                           "projects": ("项目数", fmt_int),
                           "spent_yuan": ("使用资金（万元）", lambda v: fmt_wan(v, False)),
                           "share": ("占比", lambda v: fmt_pct(v, 1))}))
        self._chart("by-part")

    def year_over_year(self) -> None:
        """Key figures against other years, when there are any."""
        if not self.other_years:
            self._show(self._say("数据目录中只有本年度的数据，暂无年度对比。"))
            return
        yoy = metrics.year_over_year([self.summary, *self.other_years])
        this = yoy[yoy["year"] == self.year].iloc[0]
        if pd.notna(this["spent_yuan_change"]):
            sign = "增加" if this["spent_yuan_change"] >= 0 else "减少"
            text = (f"与上一年度相比，使用资金{sign} {fmt_wan(abs(int(this['spent_yuan_change'])))}，"
                    f"执行率变化 {this['utilisation_change'] * 100:+.2f} 个百分点。")
        else:
            text = f"{self.year} 年是数据中最早的年度；下表列出之后各年度。"
        self._show(self._say(text), html_table(yoy, {
            "year": ("年度", lambda v: str(int(v))),
            "budget_yuan": ("预算（万元）", lambda v: fmt_wan(v, False)),
            "spent_yuan": ("已使用（万元）", lambda v: fmt_wan(v, False)),
            "spent_yuan_change": ("使用资金变化（万元）",
                                  lambda v: "—" if pd.isna(v) else ("+" if v >= 0 else "−")
                                  + fmt_wan(abs(int(v)), False)),
            "utilisation": ("执行率", fmt_pct),
            "utilisation_change": ("执行率变化（百分点）",
                                   lambda v: "—" if pd.isna(v) else f"{v * 100:+.2f}"),
            "projects": ("项目数", fmt_int)}))

    def reconciliation(self) -> None:
        """Every stated total against the sum of its parts, failures flagged."""
        rec = reconcile_totals(self.tables)
        n_fail = int((rec["ok"] == False).sum())  # noqa: E712
        n_na = int(rec["ok"].isna().sum())
        text = (f"报告陈述的合计数共核对 {len(rec)} 项：{int((rec['ok'] == True).sum())} 项相符，"  # noqa: E712
                f"{n_fail} 项不符，{n_na} 项因报告未给出明细而无法核对。")
        if n_fail:
            text += "不符项：" + "；".join(
                f"{r['check']}（报告 {r['stated']}，计算 {r['computed']}）"
                for _, r in rec[rec["ok"] == False].iterrows()) + "。"  # noqa: E712

        def val(v: Any, unit: str) -> str:
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                return "—"
            return fmt_wan(v) if unit == "元" and not isinstance(v, str) else str(v)

        shown = rec.assign(
            stated_s=[val(v, u) for v, u in zip(rec["stated"], rec["unit"], strict=True)],
            computed_s=[val(v, u) for v, u in zip(rec["computed"], rec["unit"], strict=True)],
            diff_s=[val(v, u) for v, u in zip(rec["difference"], rec["unit"], strict=True)],
            ok_s=["相符" if o is True else ("不符" if o is False else "无法核对")
                  for o in rec["ok"]])
        self._show(self._say(text), html_table(
            shown, {"check": ("核对项", None), "description": ("口径", None),
                    "stated_s": ("报告数", None), "computed_s": ("计算数", None),
                    "diff_s": ("差额", None), "unit": ("单位", None), "ok_s": ("结果", None)},
            row_class=lambda r: {"不符": "fail", "无法核对": "na"}.get(r["ok_s"], "ok")))

    def award_categories(self) -> None:
        """Count, amount, share and average per recipient for each award category."""
        c = metrics.category_totals(self.tables["award_categories"])
        top = c.iloc[0]
        total = sum(int(a) for a in c["amount_yuan"])
        n = sum(int(r) for r in c["recipients"])
        self._show(self._say(
            f"{len(c)} 类奖励共 {n} 家单位、{fmt_wan(total)}；金额最大的是“{top['category']}”，"
            f"{int(top['recipients'])} 家获得 {fmt_wan(top['amount_yuan'])}，占 "
            f"{fmt_pct(top['share'], 1)}。"),
            html_table(c, {"category": ("类别", None), "level": ("级别", None),
                           "recipients": ("获奖单位数", fmt_int),
                           "amount_yuan": ("奖励金额（万元）", lambda v: fmt_wan(v, False)),
                           "share": ("占比", lambda v: fmt_pct(v, 1)),
                           "avg_per_recipient_yuan": ("平均每家（万元）",
                                                      lambda v: fmt_wan(v, False))}))
        self._chart("award-amount")

    def award_average(self) -> None:
        """Average award per recipient by category."""
        c = metrics.category_totals(self.tables["award_categories"])
        hi = c.sort_values("avg_per_recipient_yuan", ascending=False).iloc[0]
        lo = c.sort_values("avg_per_recipient_yuan").iloc[0]
        self._show(self._say(
            f"平均每家奖励最高的是“{hi['category']}”（{fmt_wan(hi['avg_per_recipient_yuan'])}），"
            f"最低的是“{lo['category']}”（{fmt_wan(lo['avg_per_recipient_yuan'])}）。"))
        self._chart("award-average")

    def award_levels(self) -> None:
        """Award money by the level of the title recognised (national, provincial …)."""
        c = metrics.category_totals(self.tables["award_categories"])
        lv = (c.assign(level=c["level"].fillna("未注明")).groupby("level", as_index=False)
              .agg(categories=("category", "count"), recipients=("recipients", "sum"),
                   amount_yuan=("amount_yuan", "sum"))
              .sort_values("amount_yuan", ascending=False))
        self._show(self._say("按获奖称号的级别汇总：" + "；".join(
            f"{r['level']} {int(r['categories'])} 类、{int(r['recipients'])} 家、"
            f"{fmt_wan(r['amount_yuan'])}" for _, r in lv.iterrows()) + "。"),
            html_table(lv, {"level": ("级别", None), "categories": ("类别数", fmt_int),
                            "recipients": ("获奖单位数", fmt_int),
                            "amount_yuan": ("奖励金额（万元）", lambda v: fmt_wan(v, False))}))

    def _media(self) -> pd.DataFrame | None:
        m = self.tables.get("media_outlets")
        if m is None or m.empty:
            self._show(self._say("本年度没有宣传经费数据。"))
            return None
        return m

    def media_outlets(self) -> None:
        """Items, amount, share and average per item by outlet."""
        m = self._media()
        if m is None:
            return
        s = metrics.media_shares(m)
        total = sum(int(a) for a in s["amount_yuan"])
        self._show(self._say(
            f"宣传经费 {fmt_wan(total)}，由 {len(s)} 家单位承担 {int(s['items'].sum())} 个项目；"
            f"“{s.iloc[0]['outlet']}”金额最大（{fmt_wan(s.iloc[0]['amount_yuan'])}，"
            f"{fmt_pct(s.iloc[0]['share'], 1)}）。"),
            html_table(s, {"outlet": ("单位", None), "items": ("项目数", fmt_int),
                           "amount_yuan": ("金额（万元）", lambda v: fmt_wan(v, False)),
                           "share": ("占比", lambda v: fmt_pct(v, 1)),
                           "avg_per_item_yuan": ("平均每项（万元）", lambda v: fmt_wan(v, False)),
                           "procurement": ("采购方式", lambda v: "未注明" if pd.isna(v) else v)}))
        self._chart("media-amount")

    def media_concentration(self) -> None:
        """Top-2 share and HHI of media spending."""
        m = self._media()
        if m is None:
            return
        c = metrics.media_concentration(m)
        level = "高度集中" if c["hhi"] > 2500 else ("中度集中" if c["hhi"] > 1500 else "较分散")
        self._show(self._say(
            f"前两家单位合计 {fmt_wan(c['top2_yuan'])}，占宣传经费的 {fmt_pct(c['top2_share'], 1)}；"
            f"赫芬达尔指数（HHI）为 {c['hhi']:,.0f}，按常用标准属{level}（>2500 为高度集中）。"))
        self._chart("media-share")

    def procurement(self) -> None:
        """Procurement split as the report states it, and what is known per outlet."""
        m = self._media()
        if m is None:
            return
        p = metrics.procurement_split(m, self.tables.get("stated_totals"))
        stated = p[p["outlets_stated"].notna()]
        text = "；".join(f"{r['method']} {int(r['outlets_stated'])} 家" for _, r in stated.iterrows())
        unknown = int(p.loc[p["method"] == "未注明", "outlets_known"].iloc[0])
        msg = f"报告所述：{text}。" if text else "报告未给出采购方式的家数。"
        if unknown:
            msg += f"其中 {unknown} 家单位的采购方式报告未逐一注明，表中如实留空，不作推断。"
        self._show(self._say(msg), html_table(p, {
            "method": ("采购方式", None), "outlets_stated": ("报告所述家数", fmt_int),
            "outlets_known": ("逐单位注明的家数", fmt_int),
            "amount_known_yuan": ("对应金额（万元）", lambda v: fmt_wan(v, False))}))

    def media_items(self) -> None:
        """The list of item titles, by outlet."""
        items = self.tables.get("media_items")
        if items is None or items.empty:
            self._show(self._say("报告未列出宣传项目名称。"))
            return
        m = self.tables.get("media_outlets")
        stated = int(m["items"].sum()) if m is not None else None
        text = f"报告列出 {len(items)} 个项目名称"
        if stated is not None and stated != len(items):
            text += f"，而各单位项目数合计为 {stated} 个；差异见核对表"
        self._show(self._say(text + "。"), html_table(
            items.assign(n=range(1, len(items) + 1)),
            {"n": ("序号", lambda v: str(int(v))), "outlet": ("单位", None),
             "title": ("项目名称", None)}))

    def _rankings(self) -> pd.DataFrame | None:
        if "rankings" not in self.tables:
            self._show(self._say("本年度没有排名与成果数据。"))
            return None
        return metrics.rankings_table(self.tables)

    def rankings(self) -> None:
        """Every indicator with its value, numeric rank and the report's wording."""
        r = self._rankings()
        if r is None:
            return
        ranked = r[r["rank"].notna()].sort_values("rank")
        text = f"共 {len(r)} 项成果指标，其中 {len(ranked)} 项有明确名次"
        if len(ranked):
            best = ranked.iloc[0]
            text += (f"，最好的是“{best['indicator']}”（{int(best['value'])} {best['unit']}，"
                     f"全省第 {int(best['rank'])}）")
        self._show(self._say(text + "。"), html_table(r, {
            "indicator": ("指标", None), "value": ("数值", fmt_int), "unit": ("单位", None),
            "rank": ("名次", lambda v: "—" if pd.isna(v) else f"第 {int(v)} 名"),
            "rank_text": ("报告表述", None), "scope": ("范围", None), "note": ("备注", None)}))
        self._chart("rank")

    def breakdowns(self) -> None:
        """Breakdowns of indicators, e.g. star levels."""
        b = metrics.star_breakdown(self.tables)
        if b.empty:
            self._show(self._say("报告未给出指标的分项构成。"))
            return
        parts = []
        for ind, g in b.groupby("indicator", sort=False):
            parts.append(f"{ind}：" + "、".join(
                f"{r['component']} {int(r['value'])} {r['unit']}（{fmt_pct(r['share'], 1)}）"
                for _, r in g.iterrows()))
        self._show(self._say("；".join(parts) + "。"), html_table(b, {
            "indicator": ("指标", None), "component": ("分项", None), "value": ("数值", fmt_int),
            "unit": ("单位", None), "share": ("占比", lambda v: fmt_pct(v, 1))}))
        self._chart("breakdown")

    def demo_shares(self) -> None:
        """Share of the province and of the nation, where the report gives the bases."""
        r = self._rankings()
        if r is None:
            return
        s = r[r["province_share"].notna() | r["nation_share"].notna()]
        if s.empty:
            self._show(self._say("报告未给出全省或全国的对比基数。"))
            return
        self._show(self._say("；".join(
            f"{x['indicator']}：本市 {int(x['value'])} {x['unit']}"
            + (f"，占全省 {fmt_pct(x['province_share'], 1)}（全省 {int(x['province_total'])}）"
               if pd.notna(x["province_share"]) and pd.notna(x["province_total"]) else "")
            + (f"，占全国 {fmt_pct(x['nation_share'], 1)}（全国 {int(x['nation_total'])}）"
               if pd.notna(x["nation_share"]) else "")
            for _, x in s.iterrows()) + "。"), html_table(s, {
                "indicator": ("指标", None), "value": ("本市", fmt_int),
                "province_total": ("全省", fmt_int), "province_share": ("占全省", fmt_pct),
                "nation_total": ("全国", fmt_int), "nation_share": ("占全国", fmt_pct),
                "rank_text": ("报告表述", None)}))
        self._chart("share-of-province")

    def text_ranks(self) -> None:
        """Ranks the report states only in words (e.g. 前列): kept as text, never guessed."""
        r = self._rankings()
        if r is None:
            return
        t = r[r["rank"].isna() & r["rank_text"].notna()]
        t = t[t["rank_text"].str.contains("前列|前茅|领先|仅", regex=True)]
        if t.empty:
            self._show(self._say("所有名次均有明确数字。"))
            return
        self._show(self._say(f"{len(t)} 项只有文字表述、没有具体名次；如实保留原话，不推断名次。"),
                   html_table(t, {"indicator": ("指标", None), "value": ("数值", fmt_int),
                                  "unit": ("单位", None), "rank_text": ("报告表述", None)}))

    def peer_ranks(self) -> None:
        """Ranks of all cities, where a province-wide table of peer values is given."""
        p = metrics.peer_city_ranks(self.tables)
        if p is None:
            self._show(self._say("本年度没有全省各市的对比数据；名次以报告所述为准。"))
            return
        self._show(self._say("按全省各市数值计算名次，并列按同一名次计（如两市并列第二，下一名为第四）。"),
                   html_table(p, {"indicator": ("指标", None), "city": ("城市", None),
                                  "value": ("数值", fmt_int), "rank": ("名次", fmt_int),
                                  "share_of_province": ("占全省", lambda v: fmt_pct(v, 1))}))
