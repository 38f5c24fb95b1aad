"""fundanalysis: clean, validate, reconcile and report on public special funds (专项资金).

For notebooks::

    import fundanalysis as fa
    tables = fa.load(2019)                  # the validated tables (DataFrames), money in integer 分
    fa.summary(2019)["utilisation"]         # the key figures
    report = fa.Report.load(2019)
    report.award_categories().df            # each heading displays, and holds its numbers
    fa.style(tables["media_outlets"])       # 分 as 万元, fractions as percentages
    fa.use_theme()                          # seaborn / pyplot in the house style, Chinese included
    fa.to_excel(df, "表.xlsx")              # any table as the analyst saw it: 万元, percentages

The names are loaded on first use, so ``import fundanalysis`` stays light for the command line.
"""

from __future__ import annotations

from importlib.metadata import version as _installed_version
from typing import Any

#: The installed package's version (pyproject.toml is its one source).
__version__ = _installed_version("fundanalysis")

_LAZY = {
    "load": ("fundanalysis.api", "load"),
    "summary": ("fundanalysis.api", "summary"),
    "Report": ("fundanalysis.api", "Report"),
    "style": ("fundanalysis.api", "style"),
    "use_theme": ("fundanalysis.charts", "use_theme"),
    "to_excel": ("fundanalysis.api", "to_excel"),
}
__all__ = ["Report", "__version__", "load", "style", "summary", "to_excel", "use_theme"]


def __getattr__(name: str) -> Any:
    """Import the public names on first use."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'fundanalysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names (tab completion lists them although they load on first use)."""
    return sorted({*__all__, "__version__"})
