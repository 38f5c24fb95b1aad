"""What each report heading shows: one method per heading, called from the thin notebooks.

Each method computes with :mod:`fundanalysis.analysis`, then displays a sentence of
interpretation (:mod:`~fundanalysis.present.narrative`), a table
(:mod:`~fundanalysis.present.styled`) and, where it helps, a chart
(:mod:`~fundanalysis.present.charts`). Every data string is HTML-escaped before display.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fundanalysis.analysis import metrics, selfeval
from fundanalysis.analysis.key_figures import summarise
from fundanalysis.analysis.reconcile import check_counts, reconcile_totals
from fundanalysis.analysis.selfeval import SelfEvaluation
from fundanalysis.config import CHART_DPI
from fundanalysis.ingest.clean import is_text_rank
from fundanalysis.ingest.load import load_tables
from fundanalysis.present import fmt, form, narrative, words
from fundanalysis.present.page import key_figure_tiles
from fundanalysis.present.shown import Chart, Charts, Shown, say_html
from fundanalysis.present.styled import styled_table
from fundanalysis.storage import catalog, files
from fundanalysis.storage.processed import read_snapshot
from fundanalysis.storage.year_input import YearInput, read_key_figures
from fundanalysis.vocab import MoneyKind

if TYPE_CHECKING:
    from fundanalysis.present.charts.cache import ChartStore

#: A table's columns as shown: name → (header, formatter or None).
Columns = dict[str, tuple[str, Callable[..., str] | None]]


def _heading(method: Callable[..., None]) -> Callable[..., Shown]:
    """Make a heading method return what it shows (a :class:`Shown`) instead of displaying it."""
    @functools.wraps(method)
    def wrapper(self: Report, *args: Any, **kwargs: Any) -> Shown:
        outer, self._out = self._out, Shown()
        try:
            method(self, *args, **kwargs)
            return self._out
        finally:
            self._out = outer

    wrapper.__annotations__ = {**method.__annotations__, "return": Shown}
    return wrapper


def _key_figures(source: YearInput, tables: dict[str, pd.DataFrame]
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The year's key figures and its other years' (years are compared within a fund only): those
    a build worked out (``source.key_figures``), else worked out here from each year's tables."""
    if source.key_figures is not None:
        figures = read_key_figures(source.key_figures)
        own = figures.get(source.year)
        return (summarise(tables) if own is None else own), [v for y, v in figures.items() if y != source.year]
    others = []
    for y in catalog.list_years(source.data_dir, source.fund):
        if y == source.year or not catalog.input_files(source.data_dir, source.fund, y):
            continue
        try:
            others.append(summarise(load_tables(source.data_dir, y, source.fund)))
        except Exception:  # a broken other year (bad input, damaged processed tables) does not
            continue  # stop this year's report; its own build reports it
    return summarise(tables), others


def year_chart_specs(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The charts a year's tables support, by slug."""
    from fundanalysis.present import charts

    return {c.slug: c for c in charts.chart_specs(tables)}


#: Money columns of the tables: 万元, or 元 for a column 万元 would round (see styled_table).
_money = fmt.wan


def _average(v: Any) -> str:
    """A computed average (rounded to the 分, not a stated figure): always 万元."""
    return fmt.wan(v)


def _count(v: Any) -> str:
    """A count of recipients; 未注明 when the report does not give it (never 0)."""
    return words.NOT_STATED if v is None or pd.isna(v) else fmt.count(v)


def _pct1(v: Any) -> str:
    return fmt.pct(v, 1)


@dataclass
class Report:
    """The tables of one year plus everything the section notebooks display."""

    year: int
    data_dir: Path
    tables: dict[str, pd.DataFrame]
    fund_key: str
    summary: dict[str, Any]
    other_years: list[dict[str, Any]] = field(default_factory=list)
    charts_dir: Path | None = None
    #: rendered charts kept by content (a build's); None: every chart is drawn
    chart_store: ChartStore | None = None
    _charts: dict[str, Any] | None = None
    _out: Shown | None = None

    @classmethod
    def load(cls, year: int, data_dir: str | Path = "", charts_dir: str | Path = "", fund: str = "",
             out_dir: str | Path = "", snapshot: str | Path = "", key_figures: str | Path = "",
             chart_cache: str | Path = "", redraw: bool = False) -> Report:
        """Load a fund's year (validated tables) and the summaries of its other years.

        ``data_dir`` empty means the project's ``data/`` (found from the package, not from the
        working directory, so a notebook runs from anywhere). ``fund`` may be empty when there is
        only one fund. ``charts_dir``, if given, receives every chart shown as PNG, so a build
        renders each chart once for both the HTML and the export (SVG and other resolutions: the
        ``fundanalysis charts`` command). ``snapshot``, ``key_figures``, ``chart_cache`` and
        ``redraw`` are what a build hands its notebooks (see
        :class:`~fundanalysis.storage.year_input.YearInput`); left empty, the year is loaded as
        ``fa.load`` loads it. ``out_dir`` (of older notebooks) is accepted and ignored; any other
        keyword is a mistake and raises TypeError, as pandas does.
        """
        source = YearInput.resolve(year, data_dir, fund, snapshot, key_figures, chart_cache, redraw)
        return cls.from_input(source, charts_dir)

    @classmethod
    def from_input(cls, source: YearInput, charts_dir: str | Path = "") -> Report:
        """The report of a resolved fund-year (see :meth:`load`)."""
        from fundanalysis.present.charts.cache import ChartStore

        tables = (read_snapshot(source.snapshot) if source.snapshot is not None
                  else load_tables(source.data_dir, source.year, source.fund))
        summary, others = _key_figures(source, tables)
        charts = Path(charts_dir).expanduser().resolve() if str(charts_dir) else None
        return cls(source.year, source.data_dir, tables, source.fund, summary, others, charts_dir=charts,
                   chart_store=ChartStore.at(source.chart_cache, read=not source.redraw))

    # ------------------------------------------------------------ display helpers

    def _show(self, *parts: str) -> None:
        """Add HTML to the heading being produced (or display it, outside a heading)."""
        if self._out is not None:
            self._out.html += "".join(parts)
            return
        from IPython.display import HTML, display

        display(HTML("".join(parts)))

    def _say(self, text: str) -> str:
        if self._out is not None:
            self._out.text = text if self._out.text is None else f"{self._out.text}{text}"
        return say_html(text)

    def _data(self, df: pd.DataFrame | None) -> None:
        """The numbers behind the heading being produced (its ``.df``)."""
        if self._out is not None:
            self._out.df = df

    def _chart(self, slug_part: str) -> None:
        """Add the charts whose slug contains ``slug_part`` (with a narrow variant for phones);
        export them if asked to."""
        from fundanalysis.present import charts
        from fundanalysis.present.charts import cache

        if self._charts is None:
            self._charts = year_chart_specs(self.tables)
        for slug, spec in self._charts.items():
            if slug_part in slug:
                png, narrow = cache.render_variants([spec, spec.with_theme(charts.NARROW_THEME)], "png",
                                                    dpi=CHART_DPI, store=self.chart_store)
                chart = Chart(slug, spec.title, png, narrow)
                if self._out is not None:
                    self._out.charts.append(chart)
                else:
                    from IPython.display import display

                    display(Shown(charts=Charts([chart])))
                if self.charts_dir is not None:
                    files.write_bytes(self.charts_dir / f"{slug}.png", png)

    @property
    def fund(self) -> pd.Series:
        """The fund row."""
        return self.tables["fund"].iloc[0]

    # ------------------------------------------------------------ headings

    def title(self) -> None:
        """The line under a section's title: issuer, year, fund."""
        f = self.fund
        self._show(f'<p class="fnd-subtitle">{html.escape(words.label(f["issuer"], {}))} · {self.year} 年度 · '
                   f'{html.escape(str(f["fund_name"]))}</p>')

    @property
    def spent_word(self) -> str:
        """The report's word for what was executed (使用, 支出 …), 安排 for an allocation, or 执行."""
        return words.amount_word(self.summary.get("spent_kind"), self.summary.get("spent_word"))

    @property
    def lines_word(self) -> str | None:
        """The word for the spending lines' amounts: 安排 when all are allocated, the fund's word when
        all are executed, None when any does not say what it is (执行口径未注明)."""
        kinds = set(metrics.row_kinds(self.tables, "lines")) if "lines" in self.tables else set()
        if kinds == {MoneyKind.ALLOCATED}:
            return "安排"
        if kinds <= {MoneyKind.EXECUTED}:
            return words.spent_word(self.fund.get("spent_word"))
        return None

    def key_figures(self) -> None:
        """Budget, executed amount, rate, balance, receipts and projects as tiles (and, while the year's
        input still holds cells marked 待核对, how many)."""
        from fundanalysis.analysis.doubts import open_doubts

        self._data(pd.DataFrame([{k: v for k, v in self.summary.items() if not isinstance(v, list | dict)}]))
        doubts = open_doubts(self.tables)
        if doubts:
            self._show(f'<p class="fnd-say"><strong>{html.escape(words.doubts_warning(doubts))}</strong></p>')
        self._show(key_figure_tiles(self.summary))

    def utilisation(self) -> None:
        """Execution overall and per part with its own budget, naming the figures each rate uses."""
        u = metrics.utilisation(self.tables)
        self._data(u)
        word = self.spent_word
        shown = u.assign(basis=[words.budget_phase(p, b) if b is not None else "—"
                                for p, b in zip(u["budget_phase"], u["budget_basis"], strict=True)],
                         budget_from=[words.provenance(f.record()) for f in u["budget_figure"]],
                         spent_from=[words.provenance(f.record()) for f in u["spent_figure"]])
        columns: Columns = {"scope_name": ("范围", None), "budget_fen": ("预算（万元）", _money),
                            "basis": ("预算口径", None), "budget_from": ("预算来源", None)}
        if u["allocated_fen"].notna().any():
            columns["allocated_fen"] = ("已安排（万元）", _money)
        if u["spent_fen"].notna().any() or not u["allocated_fen"].notna().any():
            columns["spent_fen"] = (f"已{word}（万元）", _money)
        columns["spent_from"] = (f"{word}数来源", None)
        if u["spent_fen"].notna().any():
            columns.update({"unspent_fen": ("结余（万元）", _money), "utilisation": ("执行率", fmt.pct)})
        if u["utilisation_initial"].notna().any():
            columns["utilisation_initial"] = ("执行率（按年初预算）", fmt.pct)
        if u["receipt_rate"].notna().any():
            columns["received_fen"] = ("到位资金（万元）", _money)
            columns["receipt_rate"] = ("到位率", fmt.pct)
        self._show(self._say(narrative.utilisation(self.year, u)), styled_table(
            shown, columns, row_class=lambda r: "fail" if r["over_budget"] else ""))
        self._chart("utilisation")

    def spending_by_part(self) -> None:
        """Spending and projects by part and responsible department."""
        p = metrics.spending_by_part(self.tables)
        self._data(p)
        if p.empty or (len(p) == 1 and pd.isna(p["part"].iloc[0])):
            self._show(self._say("报告未把资金分为若干部分。"))
            return
        word = self.spent_word
        columns: Columns = {"part": ("部分", None), "department": ("负责处室", None), "projects": ("项目数", fmt.count)}
        if p["spent_fen"].notna().any() or not p["allocated_fen"].notna().any():
            columns.update({"spent_fen": (f"已{word}资金（万元）", _money), "share": ("占比", _pct1)})
        if p["allocated_fen"].notna().any():
            columns["allocated_fen"] = ("已安排资金（万元）", _money)
        columns["from"] = ("来源", None)
        self._show(self._say(narrative.spending_by_part(p, word)),
                   styled_table(p.assign(part=p["part"].map(words.part_name),
                                         **{"from": [words.provenance(f.record()) for f in p["figure"]]}), columns))
        self._chart("by-part")

    def spending_lines(self) -> None:
        """The spending lines (tasks, projects): budget phases, executed amount and status."""
        lines = self.tables.get("lines")
        self._data(lines)
        if lines is None or lines.empty:
            self._show(self._say("报告未列出支出明细。"))
            return
        money = [c for c in ("initial_fen", "adjustment_fen", "annual_fen", "executed_fen")
                 if lines[c].notna().any()]
        in_yuan = fmt.needs_yuan(v for c in money for v in lines[c])
        unit, show = ("元", lambda v: fmt.yuan(v)) if in_yuan else ("万元", _money)
        word = self.lines_word
        names = {"initial_fen": "年初预算数", "adjustment_fen": "调整数", "annual_fen": "全年预算数",
                 "executed_fen": f"已{word}" if word else "全年执行数（执行口径未注明）"}
        columns: dict[str, tuple[str, Any]] = {"part": ("部分", None), "item": ("明细", None)}
        if lines["quantity"].notna().any():
            columns["quantity"] = ("数量", fmt.count)
            columns["quantity_unit"] = ("单位", None)
        columns.update({c: (f"{names[c]}（{unit}）", show) for c in money})
        if lines["status"].notna().any():
            columns["status"] = ("状态", None)
        self._show(self._say(narrative.spending_lines(lines, word)),
                   styled_table(lines.assign(part=lines["part"].map(words.part_name)), columns))
        self._chart("lines")

    def instalments(self) -> None:
        """Funds received in instalments, against 到位资金."""
        inst = self.tables.get("instalments")
        self._data(inst)
        if inst is None or inst.empty:
            self._show(self._say("报告未列出分批到位的资金。"))
            return
        in_yuan = fmt.needs_yuan(inst["amount_fen"])
        unit, show = ("元", lambda v: fmt.yuan(v)) if in_yuan else ("万元", _money)
        self._show(self._say(narrative.instalments(inst, self.fund.get("received_fen"))), styled_table(inst, {
            "batch": ("批次", None), "date": ("日期", None), "amount_fen": (f"金额（{unit}）", show)}))

    def year_over_year(self) -> None:
        """Key figures against other years, when there are any."""
        if not self.other_years:
            self._show(self._say(words.MethodNote("数据目录中只有本年度的数据，暂无年度对比。")))
            return
        yoy = metrics.year_over_year([self.summary, *self.other_years])
        self._data(yoy)
        this = yoy[yoy["year"] == self.year].iloc[0]
        self._show(self._say(narrative.year_over_year(self.year, this)), styled_table(yoy, {
            "year": ("年度", lambda v: str(int(v))), "budget_fen": ("预算（万元）", _money),
            "spent_fen": (f"已{self.spent_word}（万元）", _money),
            "spent_fen_change": (f"已{self.spent_word}资金变化（万元）", fmt.signed_wan),
            "utilisation": ("执行率", fmt.pct), "utilisation_change": ("执行率变化（百分点）", fmt.points),
            "projects": ("项目数", fmt.count)}))

    # ------------------------------------------------------------ the self-evaluation form

    @functools.cached_property
    def self_evaluation(self) -> SelfEvaluation | None:
        """The year's form, scored under the fund's policy (None: nothing to score)."""
        return selfeval.self_evaluation(self.tables)

    def scorecard_brief(self) -> None:
        """The overview's line on the form: the total and grade, or the 预算执行 score alone."""
        self._show(self._say(form.brief(self.self_evaluation)))

    def form_money(self) -> None:
        """The 项目资金 block: rate, 预算执行 score, and the rows as the form states them."""
        se = self.self_evaluation
        if se is None:
            self._show(self._say("报告未给出项目资金。"))
            return
        self._show(self._say(form.money_sentence(se)), form.money_table(se))

    def form_goals(self) -> None:
        """The 年度总体目标 as the form writes them."""
        if self.self_evaluation is not None:
            self._show(form.goals_html(self.self_evaluation))

    def form_indicators(self) -> None:
        """Each indicator: target, actual, weight, stated and computed score, the rule used."""
        if self.self_evaluation is not None:
            if self.self_evaluation.indicators:
                self._data(form.indicator_frame(self.self_evaluation))
            self._show(form.indicators_html(self.self_evaluation))

    def points_lost(self) -> None:
        """Points lost by indicator, as a chart; drawn only when a point was lost."""
        se = self.self_evaluation
        if se is not None and se.indicators and not se.lost_points:
            self._show(self._say("按评分规则计算，各项均未失分。"))
            return
        self._chart("points-lost")

    def form_total(self) -> None:
        """总分 and grade, block by block, against the form's stated total."""
        if self.self_evaluation is not None:
            self._show(form.total_html(self.self_evaluation))

    def reconciliation(self, form_only: bool = False) -> None:
        """Every stated total against the sum of its parts, failures flagged (``form_only``: the
        checks of the self-evaluation form alone)."""
        rec = reconcile_totals(self.tables)
        if form_only:
            rec = rec[rec["rule"].astype(str).str.startswith("form_")].reset_index(drop=True)
        self._data(rec)

        # each row in one unit, said in its 单位 cell: money in 万元, or 元 where 万元 would round
        units = [fmt.check_unit(r["unit"], [r["stated"], r["computed"], r["difference"]])
                 for _, r in rec.iterrows()]
        val = fmt.check_value
        sources = metrics.spending_sources(self.tables)
        shown = rec.assign(
            description=[words.describe_check(r["rule"], r["part"], r["subject"], r["computed"], sources,
                                              self.support["kind"])
                         for _, r in rec.iterrows()],
            stated_s=[val(v, u) for v, u in zip(rec["stated"], units, strict=True)],
            computed_s=[val(v, u) for v, u in zip(rec["computed"], units, strict=True)],
            diff_s=[val(v, u) for v, u in zip(rec["difference"], units, strict=True)],
            ok_s=[words.check_result(r["ok"], r["reason"]) for _, r in rec.iterrows()],
            unit_s=units)
        self._show(self._say(narrative.reconciliation(rec, check_counts(rec))), styled_table(
            shown, {"check": ("核对项", None), "description": ("口径", None),
                    "stated_s": ("报告数", None), "computed_s": ("计算数", None),
                    "diff_s": ("差额", None), "unit_s": ("单位", None), "ok_s": ("结果", None)},
            row_class=lambda r: {False: "fail", None: "na"}.get(
                r["ok"] if isinstance(r["ok"], bool) else None, "ok")))

    @property
    def support(self) -> dict[str, str]:
        """The award pages' words for the fund's kind of support (奖励, 补助 …)."""
        return words.support_words(words.support_kind(self.tables))

    def award_categories(self) -> None:
        """Count, amount, share and average per recipient for each award category."""
        c = metrics.category_totals(self.tables["award_categories"])
        w = self.support
        self._data(c)
        self._show(self._say(narrative.award_categories(c, w["kind"])), styled_table(c, {
            "category": ("类别", None), "level": ("级别", None), "recipients": (w["recipients"], _count),
            "amount_fen": (f"{w['amount']}（万元）", _money), "share": ("占比", _pct1),
            "avg_per_recipient_fen": ("平均每家（万元）", _average)}))
        self._chart("award-amount")

    def award_average(self) -> None:
        """Average award per recipient by category."""
        c = metrics.category_totals(self.tables["award_categories"])
        self._data(c)
        self._show(self._say(narrative.award_average(c, self.support["kind"])))
        self._chart("award-average")

    def award_distribution(self) -> None:
        """How the amounts per recipient spread within each category (when recipients are listed)."""
        awards = self.tables.get("awards")
        if awards is None or awards.empty:
            self._show(self._say(words.Sentences(f"报告未逐家列出{self.support['got']}单位",
                                                 words.MethodNote("，无法看各家金额的分布"), "。")))
            return
        self._data(awards)
        self._show(self._say(narrative.award_distribution(awards, self.support["kind"])))
        self._chart("award-distribution")

    def award_levels(self) -> None:
        """Award money by the level of the title recognised (national, provincial …)."""
        lv = metrics.level_totals(self.tables["award_categories"])
        w = self.support
        self._data(lv)
        self._show(self._say(narrative.award_levels(lv, w["kind"])),
                   styled_table(lv.assign(level=lv["level"].map(lambda v: words.label(v, {}))), {
                       "level": ("级别", None), "categories": ("类别数", fmt.count),
                       "recipients": (w["recipients"], _count), "amount_fen": (f"{w['amount']}（万元）", _money)}))

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
        self._data(s)
        self._show(self._say(narrative.media_outlets(s)), styled_table(s, {
            "outlet": ("单位", None), "item_count": ("项目数", fmt.count), "amount_fen": ("金额（万元）", _money),
            "share": ("占比", _pct1), "avg_per_item_fen": ("平均每项（万元）", _average),
            "procurement": ("采购方式", lambda v: words.label(v, {}))}))
        self._chart("media-amount")

    def media_concentration(self) -> None:
        """Top-2 share and HHI of media spending."""
        m = self._media()
        if m is None:
            return
        conc = metrics.media_concentration(m)
        self._data(pd.DataFrame([conc]))
        self._show(self._say(narrative.media_concentration(conc)))
        self._chart("media-share")

    def procurement(self) -> None:
        """Procurement split as the report states it, and what is known per outlet."""
        m = self._media()
        if m is None:
            return
        p = metrics.procurement_split(m, self.tables.get("stated_totals"))
        self._data(p)
        self._show(self._say(narrative.procurement(p)), styled_table(
            p.assign(method=p["method"].map(lambda v: words.label(v, {}))), {
                "method": ("采购方式", None), "outlets_stated": ("报告所述家数", fmt.count),
                "outlets_known": ("逐单位注明的家数", fmt.count),
                "amount_known_fen": ("对应金额（万元）", _money)}))

    def media_items(self) -> None:
        """The list of item titles, by outlet."""
        items = self.tables.get("media_items")
        self._data(items)
        if items is None or items.empty:
            self._show(self._say("报告未列出宣传项目名称。"))
            return
        m = self.tables.get("media_outlets")
        stated = int(m["item_count"].sum()) if m is not None and m["item_count"].notna().all() else None
        self._show(self._say(narrative.media_items(len(items), stated)), styled_table(
            items.assign(n=range(1, len(items) + 1)),
            {"n": ("序号", lambda v: str(int(v))), "outlet": ("单位", None), "title": ("项目名称", None)}))

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
        self._data(r)
        self._show(self._say(narrative.rankings(r)), styled_table(r, {
            "indicator": ("指标", None), "value": ("数值", fmt.count), "unit": ("单位", None),
            "rank_number": ("名次", fmt.rank), "rank_text": ("报告表述", None), "scope": ("范围", None),
            "note": ("备注", None)}))
        self._chart("rank")

    def breakdowns(self) -> None:
        """Breakdowns of indicators, e.g. star levels."""
        b = metrics.component_shares(self.tables)
        self._data(b)
        if b.empty:
            self._show(self._say("报告未给出指标的分项构成。"))
            return
        self._show(self._say(narrative.breakdowns(b)), styled_table(b, {
            "indicator": ("指标", None), "component": ("分项", None), "value": ("数值", fmt.count),
            "unit": ("单位", None), "share": ("占比", _pct1)}))
        self._chart("breakdown")

    def demo_shares(self) -> None:
        """Share of the province and of the nation, where the report gives the bases."""
        r = self._rankings()
        if r is None:
            return
        s = r[r["province_share"].notna() | r["nation_share"].notna()]
        self._data(s)
        if s.empty:
            self._show(self._say("报告未给出全省或全国的对比基数。"))
            return
        self._show(self._say(narrative.shares(s)), styled_table(s, {
            "indicator": ("指标", None), "value": ("本市", fmt.count),
            "province_total": ("全省", fmt.count), "province_share": ("占全省", fmt.pct),
            "nation_total": ("全国", fmt.count), "nation_share": ("占全国", fmt.pct),
            "rank_text": ("报告表述", None)}))
        self._chart("share-of-province")

    def text_ranks(self) -> None:
        """Ranks the report states only in words (e.g. 前列): kept as text, never guessed."""
        r = self._rankings()
        if r is None:
            return
        t = r[r["rank_number"].isna() & r["rank_text"].map(is_text_rank)]
        self._data(t)
        if t.empty:
            ranked = r["rank_number"].notna().any()
            self._show(self._say("所有名次均有明确数字。" if ranked else "报告未给出名次。"))
            return
        self._show(self._say(narrative.text_ranks(len(t))), styled_table(t, {
            "indicator": ("指标", None), "value": ("数值", fmt.count), "unit": ("单位", None),
            "rank_text": ("报告表述", None)}))

    def peer_ranks(self) -> None:
        """Ranks of all cities, where a province-wide table of peer values is given."""
        p = metrics.peer_city_ranks(self.tables)
        self._data(p)
        if p is None:
            r = metrics.rankings_table(self.tables) if "rankings" in self.tables else None
            ranked = r is not None and bool(r["rank_number"].notna().any() or r["rank_text"].map(is_text_rank).any())
            self._show(self._say(words.Sentences("报告未给出各地的对比数值",
                                                 words.MethodNote("；名次以报告所述为准") if ranked else "", "。")))
            return
        self._show(self._say(words.MethodNote("按全省各市数值计算名次，并列按同一名次计（如两市并列第二，下一名为第四）。")),
                   styled_table(p, {"indicator": ("指标", None), "city": ("城市", None),
                                    "value": ("数值", fmt.count), "rank_number": ("名次", fmt.count),
                                    "share_of_province": ("占全省", _pct1)}))


#: The methods the report notebooks call, one per heading: each returns a :class:`Shown`.
HEADINGS = ("title", "key_figures", "utilisation", "spending_by_part", "spending_lines", "instalments",
            "year_over_year", "scorecard_brief", "form_money", "form_goals", "form_indicators", "points_lost",
            "form_total", "reconciliation", "award_categories", "award_average", "award_levels",
            "award_distribution", "media_outlets", "media_concentration", "procurement", "media_items",
            "rankings", "breakdowns", "demo_shares", "text_ranks", "peer_ranks")
for _name in HEADINGS:
    setattr(Report, _name, _heading(getattr(Report, _name)))

