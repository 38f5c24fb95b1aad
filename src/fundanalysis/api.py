"""What notebooks import: load a year's tables, its key figures, and the report's headings.

In a notebook: ``import fundanalysis as fa`` then ``tables = fa.load(2019)`` (see the package's
docstring); this module is where those names live.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis.config import DATA_DIR
from fundanalysis.present.report import Report
from fundanalysis.present.styled import money_style as style
from fundanalysis.storage import catalog

__all__ = ["Report", "load", "style", "summary"]


def load(year: int, fund: str | None = None, data_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The validated tables of a fund's year, by table name (processed ones when current);
    ``fund`` may be left out when there is only one fund."""
    from fundanalysis.ingest.load import load_tables

    return load_tables(catalog.existing_dir(data_dir or DATA_DIR, "data_dir"), int(year), fund)


def summary(year: int, fund: str | None = None, data_dir: str | Path | None = None) -> dict[str, Any]:
    """The key figures of a fund's year (numbers and codes, money in 分; see README, "summary.json")."""
    from fundanalysis.analysis.summary import summarise

    return summarise(load(year, fund, data_dir))
