"""Charts for the fund report: one theme, Chinese text, horizontal bars with value labels.

Every chart is a function ``tables -> Figure``. Figures are built with
:class:`matplotlib.figure.Figure` (never pyplot), so no global figure state is kept and
charts can be built in threads. Text carries its font explicitly: Chinese renders with the
bundled Noto Sans SC (package ``pylopdf-fonts-zh-cn``), with no system font needed.

Money arrives as integer 元. Labels show it in 万元 via :func:`clean.format_wan` (exact);
a single amount is turned into a float only for the length of its bar.
"""

from __future__ import annotations

import base64
import io
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from itertools import pairwise
from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from fundanalysis import clean, metrics
from fundanalysis.metrics import report_names

Tables = dict[str, pd.DataFrame]

LATIN_FALLBACK = "DejaVu Sans"
SECTIONS = ("overview", "awards", "media", "rankings")
LABEL_CHARS = 12  # CJK characters per line of a category label
LONG_LABEL_CHARS = 15  # … of an indicator label

_FONT_LOCK = threading.Lock()
_SVG_LOCK = threading.Lock()


# --------------------------------------------------------------------------- fonts, theme


def register_fonts() -> str:
    """Add the bundled Noto Sans SC to matplotlib (once) and return its family name.

    >>> register_fonts()
    'Noto Sans SC'
    """
    import pylopdf_fonts_zh_cn

    path = str(pylopdf_fonts_zh_cn.sans_path())
    with _FONT_LOCK:
        if not any(f.fname == path for f in font_manager.fontManager.ttflist):
            font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


@dataclass(frozen=True)
class Theme:
    """The one look of every chart: fonts, palette and sizes (points, inches)."""

    fonts: tuple[str, ...] = ()  # empty: the bundled CJK font, then DejaVu Sans
    width: float = 8.0
    primary: str = "#2F5D80"
    secondary: str = "#8DB0CC"
    highlight: str = "#C8662B"
    neutral: str = "#C3CAD2"
    text: str = "#1F2933"
    muted: str = "#5B6672"
    grid: str = "#E4E8EC"
    series: tuple[str, ...] = ("#2F5D80", "#6E9BC0", "#3F7F6E", "#8C6BA8", "#A3B3C2")
    title_size: float = 15.0
    subtitle_size: float = 10.5
    label_size: float = 10.0
    value_size: float = 9.5
    note_size: float = 8.5

    def families(self) -> list[str]:
        """Font families in fallback order (registers the bundled font if needed)."""
        return list(self.fonts) if self.fonts else [register_fonts(), LATIN_FALLBACK]


THEME = Theme()


def theme_rc(theme: Theme | None = None) -> dict[str, object]:
    """rcParams matching the theme, for pyplot users and notebooks."""
    t = theme or THEME
    return {
        "font.family": t.families(),
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "axes.edgecolor": t.grid,
        "axes.labelcolor": t.muted,
        "axes.prop_cycle": mpl.cycler(color=list(t.series)),
        "xtick.color": t.muted,
        "ytick.color": t.muted,
        "figure.facecolor": "white",
    }


def apply_theme(theme: Theme | None = None) -> None:
    """Set global rcParams to the theme (Chinese font, no Unicode minus, SVG text as paths).

    The chart functions do not need this; it is for ad-hoc pyplot charts in notebooks.
    """
    mpl.rcParams.update(theme_rc(theme))


def _font(t: Theme, size: float, color: str | None = None) -> dict[str, object]:
    return {"fontfamily": t.families(), "fontsize": size, "color": color or t.text}


# --------------------------------------------------------------------------- text helpers

_TOKEN_RE = re.compile(r"[A-Za-z0-9.,%+\-/]+|\s+|.")
_NO_LINE_START = set("，。、；：！？）》」』”’%％,.;:!?)]}·…")
_NO_LINE_END = set("（《「『“‘([{")
_BREAK_AFTER = set("）》」』”’)]}，、；：")


def _units(s: str) -> int:
    """Display width: a CJK character counts 2, an ASCII character 1."""
    return sum(1 if ord(c) < 0x2E80 else 2 for c in s)


def shorten(text: str, units: int) -> str:
    """Cut text to at most ``units`` display units (a CJK character is 2), ending in "…".

    >>> shorten("中汽研（天津）汽车信息咨询有限公司", 16)
    '中汽研（天津）…'
    """
    text = str(text)
    if _units(text) <= units:
        return text
    out, used = [], 0
    for ch in text:
        w = _units(ch)
        if used + w > units - 2:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def wrap_text(text: str, width: int, max_lines: int = 4) -> str:
    """Wrap Chinese text to lines of at most ``width`` CJK characters, balanced.

    ASCII runs (numbers, words) are not split unless longer than a line, and no line starts
    with closing punctuation. Text that would take more than ``max_lines`` lines is shortened
    with "…" (a chart shows a name; the tables show it whole).

    >>> wrap_text("工信部2019年工业互联网创新发展工程中标企业", 12)
    '工信部2019年工业互联网\\n创新发展工程中标企业'
    >>> wrap_text("很长" * 200, 10).count("\\n")
    3
    """
    text = "\n".join(shorten(p, max_lines * 2 * width) for p in str(text).split("\n")[:max_lines])
    lines_out: list[str] = []
    for para in text.split("\n"):
        total = _units(para)
        limit = 2 * width
        if total <= limit:
            lines_out.append(para)
            continue
        n = math.ceil(total / limit)
        tries = [_greedy_wrap(para, w) for w in range(math.ceil(total / n), limit + 1)]
        fitting = [ls for ls in tries if len(ls) <= n] or [tries[-1]]
        lines_out.extend(max(fitting, key=_nice_breaks))  # first of the best: most balanced
    if len(lines_out) > max_lines:
        lines_out = [*lines_out[:max_lines - 1], shorten(lines_out[max_lines - 1] + "……", 2 * width)]
    return "\n".join(lines_out)


def _nice_breaks(lines: list[str]) -> int:
    """How many line breaks fall at punctuation or brackets."""
    return sum(a[-1] in _BREAK_AFTER or b[0] in _NO_LINE_END for a, b in pairwise(lines))


def _greedy_wrap(text: str, limit: int) -> list[str]:
    lines: list[list[str]] = [[]]
    tokens = [t[i:i + limit] for t in _TOKEN_RE.findall(text) for i in range(0, len(t), max(limit, 1))]
    for tok in tokens:
        cur = lines[-1]
        if not cur or _units("".join(cur) + tok) <= limit or tok[0] in _NO_LINE_START:
            cur.append(tok)
            continue
        cut = _break_point(cur)
        lines[-1], rest = cur[:cut], cur[cut:]
        lines.append([*rest, tok])
    return [s for s in ("".join(ln).strip() for ln in lines) if s]


def _break_point(tokens: list[str]) -> int:
    """Where to end a full line: before an opening bracket or after a closing one near the
    end, else before a trailing opening mark, else at the end."""
    half = _units("".join(tokens)) / 2
    for j in range(len(tokens) - 1, 0, -1):
        if _units("".join(tokens[:j])) < half:
            break
        if tokens[j][0] in _NO_LINE_END or tokens[j - 1][-1] in _BREAK_AFTER:
            return j
    return len(tokens) - 1 if tokens[-1][-1] in _NO_LINE_END else len(tokens)


def _esc(text: object) -> str:
    """Data text made safe for matplotlib (no mathtext from a ``$``)."""
    return str(text).replace("$", r"\$")


def pct(num: int, den: int, places: int = 2) -> str:
    """An exact percentage of two integers, rounded half up.

    >>> pct(8687000, 10000000), pct(1, 3, 1)
    ('86.87%', '33.3%')
    """
    if not den:
        return "—"
    q = (Decimal(int(num)) * 100 / Decimal(int(den))).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q}%"


def wan(yuan: int) -> str:
    """Integer 元 as ``"71.9万元"``."""
    return f"{clean.format_wan(int(yuan))}万元"


def _to_wan(yuan: int) -> float:
    """One amount as float 万元, for a bar length only."""
    return int(yuan) / 10_000


def _money_ticks(v: float, _pos: object = None) -> str:
    return clean.format_wan(round(v * 10_000), decimals=1)


def _pct_ticks(v: float, _pos: object = None) -> str:
    p = v * 100
    return f"{round(p)}%" if abs(p - round(p)) < 1e-9 else f"{p:.1f}%"


# --------------------------------------------------------------------------- data helpers


def source_note(tables: Tables, names: Sequence[str] = ()) -> str:
    """``资料来源：<report>`` for the tables a chart draws on."""
    return "资料来源：" + "；".join(report_names(tables, names))


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


def _level_label(name: object, level: object) -> str:
    return f"{name}（{level}）" if isinstance(level, str) and level else str(name)


# --------------------------------------------------------------------------- drawing


@dataclass
class Bar:
    """One horizontal bar: category label, extent (display units) and value label."""

    label: str
    value: float
    text: str
    start: float = 0.0
    color: str | None = None
    height: float = 0.62
    y: float | None = None
    label_x: float | None = None  # where the value label starts; default: the bar's end


@dataclass
class _Chart:
    """A figure being built, with what the final layout needs."""

    fig: Figure
    ax: Axes
    theme: Theme
    rows: float = 1.0
    label_lines: int = 1
    ends: list[tuple[Text, float]] = field(default_factory=list)


def _lead_color(t: Theme, values: Sequence[int], i: int) -> str:
    """Highlight the first bar only when it is strictly the largest."""
    lead = i == 0 and (len(values) == 1 or values[0] > values[1])
    return t.highlight if lead else t.primary


def _new_chart(theme: Theme | None) -> _Chart:
    t = theme or THEME
    fig = Figure(figsize=(t.width, 4.0), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.3, 0.2, 0.6, 0.6))
    ax.set_facecolor("white")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(t.neutral)
    ax.tick_params(axis="both", colors=t.muted, labelsize=t.value_size,
                   labelfontfamily=t.families())
    ax.tick_params(axis="y", length=0, pad=8, labelcolor=t.text, labelsize=t.label_size)
    ax.grid(axis="x", color=t.grid, linewidth=0.8)
    ax.set_axisbelow(True)
    return _Chart(fig, ax, t)


def _draw_bars(ch: _Chart, bars: Sequence[Bar]) -> None:
    """Draw bars top to bottom, with category ticks and value labels at the bar ends."""
    t, ax = ch.theme, ch.ax
    ys = [b.y if b.y is not None else float(i) for i, b in enumerate(bars)]
    for b, y in zip(bars, ys, strict=True):
        ax.barh(y, b.value, left=b.start, height=b.height, color=b.color or t.primary,
                edgecolor="none", zorder=2)
        if not b.text:
            continue
        end = b.label_x if b.label_x is not None else b.start + b.value
        ann = ax.annotate(_esc(shorten(b.text, 60)), xy=(end, y), xytext=(4, 0), textcoords="offset points",
                          va="center", ha="left", **_font(t, t.value_size))
        ch.ends.append((ann, end))
    labelled = [(y, b.label) for b, y in zip(bars, ys, strict=True) if b.label]
    ax.set_yticks([y for y, _ in labelled], [_esc(lab) for _, lab in labelled])
    ax.set_ylim(max(ys) + 0.6, min(ys) - 0.6)
    ch.rows = max(ys) - min(ys) + 1  # rows of height the bars span
    ch.label_lines = max([b.label.count("\n") + 1 for b in bars] + [1])


def _set_xaxis(ch: _Chart, label: str, fmt: Callable[[float, object], str]) -> None:
    t = ch.theme
    ch.ax.set_xlabel(_esc(label), labelpad=6, **_font(t, t.value_size, t.muted))
    ch.ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
    ch.ax.xaxis.set_major_formatter(FuncFormatter(fmt))
    ch.ax.set_xlim(left=0)


def _finish(ch: _Chart, title: str, subtitle: str, notes: Sequence[str],
            source: str) -> Figure:
    """Lay out title, subtitle, plot and notes in inches so nothing overlaps or is cut off."""
    fig, ax, t = ch.fig, ch.ax, ch.theme
    r = fig.canvas.get_renderer()
    pad, w = 0.12, t.width

    def chars(size: float) -> int:  # CJK characters per line across the figure
        return int((w - 2 * pad) * 72 / size)

    title_t = fig.text(0, 1, wrap_text(_esc(title), chars(t.title_size)), va="top", ha="left",
                       gid="title", **_font(t, t.title_size))
    sub_t = fig.text(0, 1, wrap_text(_esc(subtitle), chars(t.subtitle_size)), va="top",
                     ha="left", gid="subtitle", **_font(t, t.subtitle_size, t.muted))
    note_lines = [wrap_text(_esc(n), chars(t.note_size)) for n in notes if n]
    note_t = fig.text(0, 0, "\n".join(note_lines), va="bottom", ha="left", gid="notes",
                      linespacing=1.5, **_font(t, t.note_size, t.muted))
    src_t = fig.text(0, 0, wrap_text(_esc(source), chars(t.note_size)), va="bottom",
                     ha="left", gid="source", **_font(t, t.note_size, t.muted))

    def h(text: Text) -> float:
        return text.get_window_extent(r).height / fig.dpi if text.get_text() else 0.0

    ax_h = ch.rows * (0.38 + 0.15 * (ch.label_lines - 1)) + 0.25
    left_extra, bottom_extra = _axis_extents(ax, r, fig.dpi)
    top = pad + h(title_t) + (0.08 + h(sub_t) if subtitle else 0) + 0.25
    bottom = bottom_extra + 0.2 + (h(note_t) + 0.06 if note_lines else 0) + h(src_t) + pad
    height = top + ax_h + bottom
    fig.set_size_inches(w, height)
    left = pad + left_extra
    ax.set_position((left / w, bottom / height, (w - left - 0.3) / w, ax_h / height))
    title_t.set_position((pad / w, 1 - pad / height))
    sub_t.set_position((pad / w, 1 - (pad + h(title_t) + 0.08) / height))
    src_t.set_position((pad / w, pad / height))
    note_t.set_position((pad / w, (pad + h(src_t) + 0.06) / height))
    _fit_right(ch, r)
    return fig


def _axis_extents(ax: Axes, r: RendererAgg, dpi: float) -> tuple[float, float]:
    """Inches the y-axis labels take left of the axes and the x axis takes below it."""
    yb, xb = ax.yaxis.get_tightbbox(r), ax.xaxis.get_tightbbox(r)
    left = max(ax.bbox.x0 - yb.x0, 0) / dpi if yb is not None else 0.0
    bottom = max(ax.bbox.y0 - xb.y0, 0) / dpi if xb is not None else 0.0
    return left, bottom


def _fit_right(ch: _Chart, r: RendererAgg) -> None:
    """Widen the x range so every value label ends inside the axes."""
    if not ch.ends:
        return
    ax = ch.ax
    x0, x1 = ax.get_xlim()
    wa = ax.bbox.width
    need = x1
    for text, end in ch.ends:
        room = wa - text.get_window_extent(r).width - 6
        if room > 0:
            need = max(need, x0 + (end - x0) * wa / room)
    ax.set_xlim(x0, need)


# --------------------------------------------------------------------------- titles


def _fund_title(tables: Tables) -> str:
    f = _fund(tables)
    return f"{int(f['year'])}年度{f['fund_name']}"


TITLE_UTILISATION_PARTS = "各组成部分预算执行率"
TITLE_PARTS = "已使用资金按组成部分分布"
TITLE_AWARD_AMOUNT = "各类别奖励金额"
TITLE_AWARD_AVERAGE = "各类别平均每家奖励金额"
TITLE_MEDIA_AMOUNT = "宣传经费按承担单位分布"
TITLE_MEDIA_SHARE = "各承担单位占宣传经费比例"


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
    budget, spent, unspent = int(u["budget_yuan"]), int(u["spent_yuan"]), int(u["unspent_yuan"])
    rate = pct(spent, budget)
    bars = [Bar("预算总额", _to_wan(budget), wan(budget), color=t.neutral)]
    start = 0
    by_part = metrics.spending_by_part(tables)
    for i, p in enumerate(by_part.itertuples()):
        bars.append(Bar(wrap_text(f"其中：{p.part}", 11), _to_wan(p.spent_yuan),
                        wan(p.spent_yuan), start=_to_wan(start),
                        color=t.series[1 + i % (len(t.series) - 1)]))
        start += int(p.spent_yuan)
    bars.append(Bar("已使用合计", _to_wan(spent), f"{wan(spent)}｜执行率{rate}", color=t.primary))
    low, high = sorted((spent, budget))
    gap_label = "结余（未使用）" if unspent >= 0 else "超出预算"
    gap_text = f"{wan(abs(unspent))}｜{pct(abs(unspent), budget)}"
    bars.append(Bar(gap_label, _to_wan(high - low), gap_text, start=_to_wan(low),
                    color=t.highlight))
    _draw_bars(ch, bars)
    _draw_connectors(ch, bars)
    _set_xaxis(ch, "金额（万元）", _money_ticks)
    sub = f"预算{wan(budget)}，已使用{wan(spent)}，预算执行率{rate}"
    phase = u.get("budget_phase")
    notes = ["注：预算执行率 = 已使用资金 ÷ 预算总额。" + (f"预算口径：{phase}。" if phase else "")]
    return _finish(ch, _title_utilisation(tables), sub, notes,
                   source_note(tables, ["fund", "parts", "award_categories", "media_outlets"]))


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
    u = u[u["level"] == "部分"].sort_values(["utilisation", "name"], ascending=[False, True])
    bars: list[Bar] = []
    for i, p in enumerate(u.itertuples()):
        b, s = int(p.budget_yuan), int(p.spent_yuan)
        bars.append(Bar(wrap_text(str(p.name), LABEL_CHARS), _to_wan(b), "", color=t.neutral,
                        height=0.7, y=float(i)))
        bars.append(Bar("", _to_wan(s), f"执行率{pct(s, b)}（{wan(s)}/{wan(b)}）",
                        color=t.primary, height=0.3, y=float(i), label_x=_to_wan(max(b, s))))
    _draw_bars(ch, bars)
    _set_xaxis(ch, "金额（万元）", _money_ticks)
    sub = "灰色为该部分预算，深色为已使用资金"
    return _finish(ch, TITLE_UTILISATION_PARTS, sub,
                   ["注：预算执行率 = 已使用资金 ÷ 该部分预算。"],
                   source_note(tables, ["parts", "award_categories", "media_outlets"]))


def spending_by_part_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Spent money per part (with its department), largest first, labelled with projects."""
    ch = _new_chart(theme)
    t = ch.theme
    df = metrics.spending_by_part(tables).sort_values(["spent_yuan", "part"],
                                                      ascending=[False, True])
    total = int(sum(int(v) for v in df["spent_yuan"]))
    values = [int(v) for v in df["spent_yuan"]]
    bars = [Bar(f"{wrap_text(str(p.part), LABEL_CHARS, 3)}\n{wrap_text(str(p.department), LABEL_CHARS, 1)}",
                _to_wan(p.spent_yuan),
                f"{wan(p.spent_yuan)}（{p.projects}个项目，占{pct(p.spent_yuan, total, 1)}）",
                color=_lead_color(t, values, i))
            for i, p in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "已使用资金（万元）", _money_ticks)
    sub = f"合计已使用{wan(total)}，{int(df['projects'].sum())}个项目"
    return _finish(ch, TITLE_PARTS, sub, [],
                   source_note(tables, ["parts", "award_categories", "media_outlets"]))


# --------------------------------------------------------------------------- awards


def award_amount_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Award money per category, largest first, labelled with amount and recipients."""
    ch = _new_chart(theme)
    t = ch.theme
    df = _award_categories(tables)
    assert df is not None
    values = [int(v) for v in df["amount_yuan"]]
    bars = [Bar(wrap_text(_level_label(c.category, c.level), LABEL_CHARS), _to_wan(c.amount_yuan),
                f"{wan(c.amount_yuan)}（{c.recipients}家）",
                color=_lead_color(t, values, i))
            for i, c in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "奖励金额（万元）", _money_ticks)
    total = sum(int(a) for a in df["amount_yuan"])
    sub = (f"共{len(df)}类，获奖{int(df['recipients'].sum())}家次，合计{wan(total)}；"
           "按金额从高到低排列")
    return _finish(ch, TITLE_AWARD_AMOUNT, sub, [],
                   source_note(tables, ["award_categories", "awards"]))


def award_average_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Average award per recipient (万元/家) per category, largest first."""
    ch = _new_chart(theme)
    t = ch.theme
    df = _award_categories(tables)
    assert df is not None
    df = df[df["recipients"].fillna(0) > 0].sort_values(
        ["avg_per_recipient_yuan", "category"], ascending=[False, True])
    values = [int(v) for v in df["avg_per_recipient_yuan"]]
    bars = [Bar(wrap_text(_level_label(c.category, c.level), LABEL_CHARS),
                _to_wan(c.avg_per_recipient_yuan),
                f"{clean.format_wan(c.avg_per_recipient_yuan)}万元/家（{c.recipients}家）",
                color=_lead_color(t, values, i))
            for i, c in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "平均每家奖励（万元/家）", _money_ticks)
    sub = "平均每家奖励 = 该类别奖励金额 ÷ 获奖单位数；按平均额从高到低排列"
    return _finish(ch, TITLE_AWARD_AVERAGE, sub, [],
                   source_note(tables, ["award_categories", "awards"]))


# --------------------------------------------------------------------------- media


def media_amount_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Publicity money per outlet, largest first, labelled with amount and items (项)."""
    ch = _new_chart(theme)
    t = ch.theme
    df = metrics.media_shares(tables["media_outlets"])
    values = [int(v) for v in df["amount_yuan"]]
    bars = [Bar(wrap_text(str(m.outlet), LABEL_CHARS), _to_wan(m.amount_yuan),
                f"{wan(m.amount_yuan)}（{m.items}项）",
                color=_lead_color(t, values, i))
            for i, m in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "宣传经费（万元）", _money_ticks)
    total = sum(int(a) for a in df["amount_yuan"])
    sub = f"{len(df)}家单位、{int(df['items'].sum())}个项目，合计{wan(total)}"
    return _finish(ch, TITLE_MEDIA_AMOUNT, sub, _procurement_notes(tables),
                   source_note(tables, ["media_outlets", "media_items"]))


def _procurement_notes(tables: Tables) -> list[str]:
    """A note when the report gives procurement counts but not which outlet is which."""
    split = metrics.procurement_split(tables["media_outlets"], tables.get("stated_totals"))
    stated = split[split["outlets_stated"].notna()]
    unknown = split.loc[split["method"] == "未注明", "outlets_known"].sum()
    if stated.empty or not unknown:
        return []
    counts = "、".join(f"{m.method}{m.outlets_stated}家" for m in stated.itertuples())
    return [f"注：报告称{counts}，未注明各单位的采购方式。"]


def media_share_chart(tables: Tables, theme: Theme | None = None) -> Figure:
    """Each outlet's share of publicity money; the top two are highlighted."""
    ch = _new_chart(theme)
    t = ch.theme
    df = metrics.media_shares(tables["media_outlets"])
    total = sum(int(a) for a in df["amount_yuan"])
    conc = metrics.media_concentration(tables["media_outlets"])
    bars = [Bar(wrap_text(str(m.outlet), LABEL_CHARS), float(m.share), pct(m.amount_yuan, total, 1),
                color=t.highlight if i < 2 else t.secondary)
            for i, m in enumerate(df.itertuples())]
    _draw_bars(ch, bars)
    _set_xaxis(ch, "占宣传经费比例（%）", _pct_ticks)
    top2 = "、".join(str(o) for o in df["outlet"].head(2))
    sub = (f"前两家（{top2}）合计占{pct(conc['top2_yuan'], total, 1)}"
           f"（{wan(conc['top2_yuan'])}/{wan(total)}）")
    return _finish(ch, TITLE_MEDIA_SHARE, sub, [],
                   source_note(tables, ["media_outlets"]))


# --------------------------------------------------------------------------- rankings


def breakdown_indicators(tables: Tables) -> list[str]:
    """Indicators that have a component breakdown, in table order."""
    bd = metrics.star_breakdown(tables)
    return list(dict.fromkeys(str(i) for i in bd["indicator"]))


def breakdown_chart(tables: Tables, indicator: str, theme: Theme | None = None) -> Figure:
    """Components of one indicator (e.g. star levels), largest first, with counts and shares."""
    ch = _new_chart(theme)
    t = ch.theme
    bd = metrics.star_breakdown(tables)
    bd = bd[bd["indicator"] == indicator].sort_values(["value", "component"],
                                                      ascending=[False, True])
    total = sum(int(v) for v in bd["value"])
    unit = str(bd["unit"].iloc[0])
    values = [int(v) for v in bd["value"]]
    bars = [Bar(wrap_text(str(b.component), LABEL_CHARS), float(b.value),
                f"{b.value}{b.unit}（{pct(b.value, total, 1)}）",
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
        offs = [0.0] if len(group) == 1 else [-0.2, 0.2]
        for k, (b, off) in enumerate(zip(group, offs, strict=True)):
            b.label = wrap_text(str(r.indicator), LONG_LABEL_CHARS) if k == 0 else ""
            b.y, b.height = y + off, 0.5 if len(group) == 1 else 0.36
            bars.append(b)
        y += 1.0 if len(group) == 1 else 1.2
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
            text = f"占{scope}{pct(int(r.value), int(total), 1)}（{r.value}/{total}{r.unit}）"
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
    num = rk[rk["rank"].notna()].sort_values(["rank", "indicator"])
    n_max = int(num["rank"].max())
    peers = metrics.peer_city_ranks(tables)
    cities = int(peers["cities"].max()) if peers is not None else None
    xmax = max(n_max + 1, cities or 0)
    for i, r in enumerate(num.itertuples()):
        ax.plot([1, xmax], [i, i], color=t.grid, linewidth=1.0, zorder=1)
        ax.plot([int(r.rank)], [i], marker="o", markersize=10, color=t.primary, zorder=3,
                linestyle="none")
        scope = r.scope if isinstance(r.scope, str) else ""
        star = "*" if r.rank_source == "按全省城市数值计算" else ""
        ann = ax.annotate(_esc(shorten(f"{scope}第{int(r.rank)}名{star}（{r.value}{r.unit}）", 40)),
                          xy=(int(r.rank), i), xytext=(9, 0), textcoords="offset points",
                          va="center", ha="left", **_font(t, t.value_size))
        ch.ends.append((ann, float(int(r.rank))))
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


_TEXT_RANK_RE = re.compile(r"前列|前\s*[\d一二三四五六七八九十]+|领先|居首|名列|第一方阵")


def _rank_notes(rk: pd.DataFrame) -> list[str]:
    """Notes for ranks stated only as text, and for ranks computed from peer values."""
    notes = []
    text_only = rk[rk["rank"].isna() & rk["rank_text"].notna()]
    text_only = text_only[text_only["rank_text"].astype(str).str.contains(_TEXT_RANK_RE)]
    if len(text_only):
        items = "；".join(f"{r.indicator}（{r.value}{r.unit}）{r.rank_text}"
                         for r in text_only.itertuples())
        notes.append(f"报告未给出具体名次的指标：{items}。")
    if (rk["rank_source"] == "按全省城市数值计算").any():
        notes.append("* 按全省各市数值计算名次，并列按同一名次计。")
    return notes


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the report: file-name stem, Chinese title, report section, factory."""

    slug: str
    title: str
    section: str
    make: Callable[[], Figure]


def _has_media(tables: Tables) -> bool:
    m = _nonempty(tables, "media_outlets")
    return m is not None and sum(int(a) for a in m["amount_yuan"]) > 0


def _has_awards(tables: Tables) -> bool:
    cats = _award_categories(tables)
    return cats is not None and sum(int(a) for a in cats["amount_yuan"]) > 0


def _has_part_budgets(tables: Tables) -> bool:
    return bool((metrics.utilisation(tables)["level"] == "部分").any())


def _has_ranks(tables: Tables) -> bool:
    return _nonempty(tables, "rankings") is not None and bool(
        metrics.rankings_table(tables)["rank"].notna().any())


def _has_shares(tables: Tables) -> bool:
    return _nonempty(tables, "rankings") is not None and len(_share_rows(tables)) > 0


def _breakdown_slug(tables: Tables, indicator: str, k: int) -> str:
    comps = metrics.star_breakdown(tables)
    comps = comps.loc[comps["indicator"] == indicator, "component"].astype(str)
    kind = "star-levels" if comps.str.contains("星").all() else "components"
    return f"07-breakdown-{k}-{kind}"


def chart_specs(tables: Tables, theme: Theme | None = None) -> list[ChartSpec]:
    """The charts the data supports, in report order; charts without data are left out."""
    specs: list[ChartSpec] = []

    def add(slug: str, title: str, section: str, fn: Callable[..., Figure], *args: str) -> None:
        specs.append(ChartSpec(slug, title, section, partial(fn, tables, *args, theme=theme)))

    if int(_fund(tables)["budget_yuan"]) > 0:
        add("01-utilisation-budget-spent-unspent", _title_utilisation(tables), "overview",
            utilisation_chart)
    if _has_part_budgets(tables):
        add("01b-utilisation-rate-per-part", TITLE_UTILISATION_PARTS, "overview",
            utilisation_by_part_chart)
    if int(metrics.spending_by_part(tables)["spent_yuan"].sum()) > 0:
        add("02-spending-by-part", TITLE_PARTS, "overview", spending_by_part_chart)
    if _has_awards(tables):
        add("03-award-amount-by-category", TITLE_AWARD_AMOUNT, "awards",
            award_amount_chart)
        add("04-award-average-per-recipient", TITLE_AWARD_AVERAGE, "awards",
            award_average_chart)
    if _has_media(tables):
        add("05-media-amount-by-outlet", TITLE_MEDIA_AMOUNT, "media",
            media_amount_chart)
        add("06-media-share-of-spending", TITLE_MEDIA_SHARE, "media",
            media_share_chart)
    for k, ind in enumerate(breakdown_indicators(tables), start=1):
        add(_breakdown_slug(tables, ind, k), _title_breakdown(tables, ind), "rankings",
            breakdown_chart, ind)
    if _has_shares(tables):
        add("08-share-of-province-and-nation", _title_shares(tables), "rankings", share_chart)
    if _has_ranks(tables):
        add("09-provincial-ranks", _title_ranks(tables), "rankings", rank_chart)
    return specs


# --------------------------------------------------------------------------- output


def render(fig: Figure, fmt: str = "png", dpi: int = 150) -> bytes:
    """The figure as PNG or SVG bytes (SVG text as paths, so it needs no font)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"format {fmt!r} is not supported; use 'png' or 'svg'")
    buf = io.BytesIO()
    kw: dict[str, object] = {"format": fmt, "dpi": dpi, "bbox_inches": "tight",
                             "pad_inches": 0.1, "facecolor": "white"}
    if fmt == "png":
        fig.savefig(buf, **kw)  # type: ignore[arg-type]
    else:
        with _SVG_LOCK, mpl.rc_context({"svg.fonttype": "path",
                                        "svg.hashsalt": "fundanalysis"}):
            fig.savefig(buf, metadata={"Date": None}, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def to_data_uri(fig: Figure, fmt: str = "png", dpi: int = 150) -> str:
    """The rendered figure as a ``data:`` URI for embedding in HTML."""
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(render(fig, fmt, dpi)).decode('ascii')}"
