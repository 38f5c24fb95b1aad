"""The one look of every chart: the bundled Chinese font, palette and sizes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
from matplotlib import font_manager, style
from matplotlib.rcsetup import cycler

from fundanalysis.storage import fonts

LATIN_FALLBACK = "DejaVu Sans"

_FONT_LOCK = threading.Lock()


def register_fonts() -> str:
    """Add the bundled Noto Sans SC to matplotlib (once) and return its family name.

    >>> register_fonts()
    'Noto Sans SC'
    """
    path = str(fonts.cjk_font_path())
    with _FONT_LOCK:
        entry = next((f for f in font_manager.fontManager.ttflist if f.fname == path), None)
        if entry is None:
            font_manager.fontManager.addfont(path)
            entry = next(f for f in font_manager.fontManager.ttflist if f.fname == path)
    # the name as registered: opening the font again to ask it would cost each notebook process
    # (matplotlib forgets its open fonts on fork) ~30 ms for an 8 MB font
    return entry.name


def add_font_fallback() -> None:
    """Add the bundled Chinese font as the last fallback of matplotlib's font family, so any
    figure (plain ``df.plot()``, seaborn) shows Chinese; the fonts chosen before it still come
    first. Done once fundanalysis's notebook API is imported (``sns.set_theme()`` resets it)."""
    name = register_fonts()
    family = list(mpl.rcParams["font.family"])
    if name not in family:
        mpl.rcParams["font.family"] = [*family, name]


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
    #: lines a bar's value label may take (2: paired bars are set a row apart so theirs can wrap)
    value_label_lines: int = 1

    def families(self) -> list[str]:
        """Font families in fallback order (registers the bundled font if needed)."""
        return list(self.fonts) if self.fonts else [register_fonts(), LATIN_FALLBACK]


THEME = Theme()
#: The same look for phones: a narrower figure with larger type, shown up to 600 px wide.
NARROW_THEME = Theme(width=4.8, title_size=16.0, subtitle_size=11.5, label_size=11.5, value_size=11.0,
                     note_size=10.0, value_label_lines=2)


def theme_rc(theme: Theme | None = None) -> dict[str, Any]:
    """rcParams matching the theme, for pyplot users and notebooks."""
    t = theme or THEME
    return {
        "font.family": t.families(),
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "axes.edgecolor": t.grid,
        "axes.labelcolor": t.muted,
        "axes.prop_cycle": cycler(color=list(t.series)),
        "xtick.color": t.muted,
        "ytick.color": t.muted,
        "figure.facecolor": "white",
    }


def apply_theme(theme: Theme | None = None) -> None:
    """Set global rcParams to the theme (Chinese font, no Unicode minus, SVG text as paths).

    The chart functions do not need this; it is for ad-hoc pyplot charts in notebooks.
    """
    style.use(theme_rc(theme))


def _font(t: Theme, size: float, color: str | None = None) -> dict[str, Any]:
    return {"fontfamily": t.families(), "fontsize": size, "color": color or t.text}
