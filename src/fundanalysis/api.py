"""What notebooks import: load a year's tables, its key figures, and the report's headings.

In a notebook: ``from fundanalysis.api import load`` then ``tables = load(2019)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis.config import DATA_DIR
from fundanalysis.present.report import Report
from fundanalysis.storage import catalog

__all__ = ["Report", "load", "summary"]


def load(year: int, data_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The validated tables of a year, by table name (processed ones when current)."""
    from fundanalysis.ingest.load import load_tables

    return load_tables(catalog.existing_dir(data_dir or DATA_DIR, "data_dir"), int(year))


def summary(year: int, data_dir: str | Path | None = None) -> dict[str, Any]:
    """The key figures of a year (numbers and codes; see README, "summary.json")."""
    from fundanalysis.analysis.summary import summarise

    return summarise(load(year, data_dir))
