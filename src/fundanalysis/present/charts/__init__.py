"""Charts for the fund report: one theme, Chinese text, horizontal bars with value labels.

Every chart is a function ``tables -> Figure`` (:mod:`.figures`). Figures are built with
:class:`matplotlib.figure.Figure` (never pyplot), so no global figure state is kept. Text carries
its font explicitly: Chinese renders with the bundled Noto Sans SC (package
``pylopdf-fonts-zh-cn``), with no system font needed (:mod:`.theme`).

Money arrives as integer 元. Labels show it in 万元 via :mod:`fundanalysis.present.fmt` (exact);
a single amount is turned into a float only for the length of its bar.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from fundanalysis import config
from fundanalysis.analysis import metrics
from fundanalysis.present.charts.figures import (
    TITLE_LINES,
    TITLE_MEDIA_AMOUNT,
    TITLE_MEDIA_SHARE,
    TITLE_POINTS_LOST,
    TITLE_UTILISATION_PARTS,
    _award_categories,
    _nonempty,
    _share_rows,
    _title_breakdown,
    _title_parts,
    _title_ranks,
    _title_shares,
    _title_utilisation,
    award_amount_chart,
    award_average_chart,
    award_distribution_chart,
    breakdown_chart,
    breakdown_indicators,
    lines_chart,
    media_amount_chart,
    media_share_chart,
    points_lost_chart,
    rank_chart,
    share_chart,
    source_note,
    spending_by_part_chart,
    title_award_amount,
    title_award_average,
    title_award_distribution,
    utilisation_by_part_chart,
    utilisation_chart,
)
from fundanalysis.present.charts.text import shorten, wrap_text
from fundanalysis.present.charts.theme import NARROW_THEME, THEME, Theme, apply_theme, register_fonts, theme_rc
from fundanalysis.vocab import Scope

__all__ = [
    "NARROW_THEME", "THEME", "ChartSpec", "Theme", "apply_theme", "award_amount_chart", "award_average_chart",
    "breakdown_chart", "chart_specs", "media_amount_chart", "media_share_chart", "rank_chart",
    "register_fonts", "render", "share_chart", "shorten", "source_note", "spending_by_part_chart",
    "theme_rc", "to_data_uri", "utilisation_by_part_chart", "utilisation_chart", "wrap_text",
]

Tables = dict[str, pd.DataFrame]

_SVG_LOCK = threading.Lock()


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the report: file-name stem, Chinese title and the function that draws it."""

    slug: str
    title: str
    make: Callable[[], Figure]

    def with_theme(self, theme: Theme) -> ChartSpec:
        """The same chart drawn with another theme (the narrow variant for phones)."""
        if not isinstance(self.make, partial):
            raise TypeError(f"chart {self.slug!r} was not made by chart_specs; it has no theme to change")
        return ChartSpec(self.slug, self.title, partial(self.make.func, *self.make.args,
                                                        **{**self.make.keywords, "theme": theme}))


def _has_media(tables: Tables) -> bool:
    m = _nonempty(tables, "media_outlets")
    return m is not None and sum(int(a) for a in m["amount_fen"]) > 0


def _has_awards(tables: Tables) -> bool:
    cats = _award_categories(tables)
    return cats is not None and sum(int(a) for a in cats["amount_fen"]) > 0


def _has_part_budgets(tables: Tables) -> bool:
    u = metrics.utilisation(tables)
    return bool(((u["scope"] == Scope.PART) & u["spent_fen"].notna()).any())


def _has_execution(tables: Tables) -> bool:
    u = metrics.utilisation(tables).iloc[0]
    return pd.notna(u["budget_fen"]) and int(u["budget_fen"]) > 0 and pd.notna(u["spent_fen"])


def _has_named_parts(tables: Tables) -> bool:
    p = metrics.spending_by_part(tables)
    return bool(p["part"].notna().any()) and int(p["spent_fen"].sum()) > 0


def _has_averages(tables: Tables) -> bool:
    cats = _award_categories(tables)
    return cats is not None and bool((cats["recipients"].fillna(0) > 0).any())


def _has_lines(tables: Tables) -> bool:
    lines = _nonempty(tables, "lines")
    return lines is not None and bool((lines["executed_fen"].notna() | lines["annual_fen"].notna()).any())


def _has_ranks(tables: Tables) -> bool:
    return _nonempty(tables, "rankings") is not None and bool(
        metrics.rankings_table(tables)["rank_number"].notna().any())


def _has_shares(tables: Tables) -> bool:
    return _nonempty(tables, "rankings") is not None and len(_share_rows(tables)) > 0


def _has_points_lost(tables: Tables) -> bool:
    """A form whose indicators (or 预算执行) lost points: with none lost the chart would be an empty axis."""
    from fundanalysis.analysis.selfeval import self_evaluation

    if _nonempty(tables, "indicators") is None:
        return False
    se = self_evaluation(tables)
    return se is not None and bool(se.indicators) and se.lost_points


def _breakdown_slug(tables: Tables, indicator: str, k: int) -> str:
    comps = metrics.component_shares(tables)
    comps = comps.loc[comps["indicator"] == indicator, "component"].astype(str)
    kind = "star-levels" if comps.str.contains("星").all() else "components"
    return f"07-breakdown-{k}-{kind}"


def chart_specs(tables: Tables, theme: Theme | None = None) -> list[ChartSpec]:
    """The charts the data supports, in report order; charts without data are left out."""
    with metrics.computed_once():  # the tests and titles below ask the same metrics several times
        return _chart_specs(tables, theme)


def _chart_specs(tables: Tables, theme: Theme | None) -> list[ChartSpec]:
    specs: list[ChartSpec] = []

    def add(slug: str, title: str, fn: Callable[..., Figure], *args: str) -> None:
        specs.append(ChartSpec(slug, title, partial(fn, tables, *args, theme=theme)))

    if _has_execution(tables):
        add("01-utilisation-budget-spent-unspent", _title_utilisation(tables),
            utilisation_chart)
    if _has_part_budgets(tables):
        add("01b-utilisation-rate-per-part", TITLE_UTILISATION_PARTS,
            utilisation_by_part_chart)
    if _has_named_parts(tables):
        add("02-spending-by-part", _title_parts(tables), spending_by_part_chart)
    if _has_lines(tables):
        add("02b-spending-lines", TITLE_LINES, lines_chart)
    if _has_awards(tables):
        add("03-award-amount-by-category", title_award_amount(tables),
            award_amount_chart)
    if _has_averages(tables):
        add("04-award-average-per-recipient", title_award_average(tables),
            award_average_chart)
    if _nonempty(tables, "awards") is not None:
        add("04b-award-distribution-per-recipient", title_award_distribution(tables), award_distribution_chart)
    if _has_media(tables):
        add("05-media-amount-by-outlet", TITLE_MEDIA_AMOUNT,
            media_amount_chart)
        add("06-media-share-of-spending", TITLE_MEDIA_SHARE,
            media_share_chart)
    for k, ind in enumerate(breakdown_indicators(tables), start=1):
        add(_breakdown_slug(tables, ind, k), _title_breakdown(tables, ind),
            breakdown_chart, ind)
    if _has_shares(tables):
        add("08-share-of-province-and-nation", _title_shares(tables), share_chart)
    if _has_ranks(tables):
        add("09-provincial-ranks", _title_ranks(tables), rank_chart)
    if _has_points_lost(tables):
        add("10-points-lost-by-indicator", TITLE_POINTS_LOST, points_lost_chart)
    return specs


# --------------------------------------------------------------------------- output


def render(fig: Figure, fmt: str = "png", dpi: int = config.CHART_DPI) -> bytes:
    """The figure as PNG or SVG bytes (SVG text as paths, so it needs no font)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"format {fmt!r} is not supported; use 'png' or 'svg'")
    buf = io.BytesIO()
    kw: dict[str, object] = {"format": fmt, "dpi": dpi, "facecolor": "white"}
    if not getattr(fig, "laid_out", False):  # a figure not laid out by the charts: crop it (draws twice)
        kw.update(bbox_inches="tight", pad_inches=0.1)
    if fmt == "png":
        fig.savefig(buf, pil_kwargs={"compress_level": config.PNG_COMPRESS_LEVEL}, **kw)  # type: ignore[arg-type]
    else:
        with _SVG_LOCK, mpl.rc_context({"svg.fonttype": "path",
                                        "svg.hashsalt": "fundanalysis"}):
            fig.savefig(buf, metadata={"Date": None}, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def to_data_uri(fig: Figure, fmt: str = "png", dpi: int = config.CHART_DPI) -> str:
    """The rendered figure as a ``data:`` URI for embedding in HTML."""
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(render(fig, fmt, dpi)).decode('ascii')}"
