"""Drawing: horizontal bars with value labels, laid out in inches so nothing overlaps or is cut."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.ticker import FuncFormatter, MaxNLocator

from fundanalysis import config
from fundanalysis.present.charts.text import _esc, shorten, wrap_text
from fundanalysis.present.charts.theme import THEME, Theme, _font

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
    ends: list[tuple[Annotation, float]] = field(default_factory=list)


def _lead_color(t: Theme, values: Sequence[int], i: int) -> str:
    """Highlight the first bar only when it is strictly the largest."""
    lead = i == 0 and (len(values) == 1 or values[0] > values[1])
    return t.highlight if lead else t.primary


class ChartFigure(Figure):
    """A chart's figure: it displays in JupyterLab as a PNG without ``%matplotlib inline``."""

    def _repr_png_(self) -> bytes:
        from fundanalysis.present.charts import render  # the package imports this module first

        return render(self, "png", dpi=110)


def _new_chart(theme: Theme | None) -> _Chart:
    t = theme or THEME
    # laid out at the resolution it is drawn at in reports
    fig = ChartFigure(figsize=(t.width, 4.0), dpi=config.CHART_DPI, facecolor="white")
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
        ann = ax.annotate(_esc(shorten(b.text, config.CHART_LABEL_MAX_CHARS)), xy=(end, y), xytext=(4, 0),
                          textcoords="offset points", va="center", ha="left", **_font(t, t.value_size))
        ch.ends.append((ann, end))
    labelled = [(y, b.label) for b, y in zip(bars, ys, strict=True) if b.label]
    ax.set_yticks([y for y, _ in labelled], [_esc(lab) for _, lab in labelled])
    ax.set_ylim(max(ys) + 0.6, min(ys) - 0.6)
    ch.rows = max(ys) - min(ys) + 1  # rows of height the bars span
    ch.label_lines = max([b.label.count("\n") + 1 for b in bars] + [1])


def _set_xaxis(ch: _Chart, label: str, formatter: Callable[[float, object], str]) -> None:
    t = ch.theme
    ch.ax.set_xlabel(_esc(label), labelpad=6, **_font(t, t.value_size, t.muted))
    ch.ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
    ch.ax.xaxis.set_major_formatter(FuncFormatter(formatter))
    ch.ax.set_xlim(left=0)


def _finish(ch: _Chart, title: str, subtitle: str, notes: Sequence[str],
            source: str) -> Figure:
    """Lay out title, subtitle, plot and notes in inches so nothing overlaps or is cut off."""
    fig, ax, t = ch.fig, ch.ax, ch.theme
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # as _new_chart made it
    r = canvas.get_renderer()
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
    fig.laid_out = True  # type: ignore[attr-defined]  # everything placed in inches: no tight crop needed
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


#: How far past the largest bar the value axis may reach for its labels (x the bars' span): a
#: label that would need more is wrapped at a natural break, so a narrow chart keeps the data's scale.
FIT_SPAN = 1.5


def wrap_value_label(text: str) -> str:
    """A value label in two lines, broken before its parenthesis or after a separator (dropped) nearest
    the middle (unchanged if it has no such break).

    >>> wrap_value_label("全省第3名（33家）"), wrap_value_label("868.7万元｜执行率86.87%"), wrap_value_label("5万元")
    ('全省第3名\\n（33家）', '868.7万元\\n执行率86.87%', '5万元')
    """
    if "\n" in text:
        return text
    breaks = [i for i, c in enumerate(text) if c in "（("] + [i + 1 for i, c in enumerate(text) if c in "｜|，,、；"]
    breaks = [i for i in breaks if 0 < i < len(text)]
    if not breaks:
        return text
    at = min(breaks, key=lambda i: abs(i - len(text) / 2))
    return text[:at].rstrip().rstrip("｜|") + "\n" + text[at:].lstrip()


def _fit_right(ch: _Chart, r: RendererAgg) -> None:
    """Widen the x range so every value label ends inside the axes; a label that would stretch
    the range past :data:`FIT_SPAN` times the bars' span is wrapped first."""
    if not ch.ends:
        return
    ax = ch.ax
    x0, x1 = ax.get_xlim()
    wa = ax.bbox.width
    cap = max(x1, x0 + (max(end for _, end in ch.ends) - x0) * FIT_SPAN)

    def needed(text: Annotation, end: float) -> float:
        room = wa - text.get_window_extent(r).width - 6
        return x0 + (end - x0) * wa / room if room > 0 else float("inf")

    ys = [text.xy[1] for text, _ in ch.ends]
    need = x1
    for i, (text, end) in enumerate(ch.ends):
        n = needed(text, end)
        # two lines only where the next label is a row away (paired bars sit 0.4 rows apart)
        room = min([abs(y - ys[i]) for j, y in enumerate(ys) if j != i] + [1.0]) >= 0.75
        if n > cap and room and (wrapped := wrap_value_label(text.get_text())) != text.get_text():
            text.set_text(wrapped)
            text.set_linespacing(1.1)
            n = needed(text, end)
        need = max(need, n)
    ax.set_xlim(x0, need)
