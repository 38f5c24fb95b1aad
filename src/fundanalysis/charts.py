"""Charts for notebooks: the report's charts as figures, and the house style for your own.

``use_theme()`` sets seaborn and pyplot to the report's look with the bundled Chinese font (call
it again after ``sns.set_theme()``, which resets fonts); the report's own charts set their fonts
on every text and need no global state. ``chart(tables, "award-amount")`` returns the report's
figure for a table set; it displays in JupyterLab without ``%matplotlib inline``.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from fundanalysis.present.charts import NARROW_THEME, THEME, Theme, chart_specs, register_fonts, theme_rc

__all__ = ["NARROW_THEME", "THEME", "Theme", "chart", "chart_names", "use_theme"]


def use_theme(theme: Theme | None = None, style: str = "whitegrid") -> None:
    """Seaborn and pyplot in the house style: palette, colours and the bundled Noto Sans SC first
    in the font list (Latin falls back to DejaVu Sans), so Chinese labels render.

    Call it after ``import seaborn``; call it again if something else (``sns.set_theme()``,
    ``plt.style.use``) resets the fonts.
    """
    import seaborn as sns

    t = theme or THEME
    register_fonts()
    rc = theme_rc(t)
    sns.set_theme(style=style, palette=list(t.series), font=t.families()[0], rc=rc)


def chart_names(tables: dict[str, pd.DataFrame]) -> list[str]:
    """The slugs of the charts these tables support, in report order."""
    return [c.slug for c in chart_specs(tables)]


def chart(tables: dict[str, pd.DataFrame], name: str, theme: Theme | None = None) -> Figure:
    """The report's chart whose slug contains ``name`` (see :func:`chart_names`), as a figure."""
    for spec in chart_specs(tables, theme):
        if name in spec.slug:
            return spec.make()
    raise KeyError(f"no chart {name!r} for these tables; there are: {', '.join(chart_names(tables))}")
