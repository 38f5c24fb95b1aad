"""Raw input to validated tables: read (storage), build and check (ingest), keep (storage)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fundanalysis.ingest.tables import Parsed, build_tables
from fundanalysis.storage import inputs, processed


def process_year(data_dir: Path, year: int) -> Parsed:
    """Read and validate a year's raw input; raise InputError listing every problem."""
    return build_tables(inputs.read_year(data_dir, year), year)


def clean_year(data_dir: Path, year: int) -> tuple[Path, Parsed]:
    """Write a year's processed tables (CSV + Parquet), all at once or not at all."""
    parsed = process_year(data_dir, year)
    return processed.write_processed(data_dir, year, parsed.tables), parsed


def load_tables(data_dir: Path, year: int) -> dict[str, pd.DataFrame]:
    """Load a year's tables: processed ones if made from the current input, else from raw.

    "Current" means the same content (a digest of the raw files and the library code), never
    the same file times. Processed bytes that are not those that passed the schemas (a
    hand-edited file) are checked again.
    """
    current = processed.read_current(data_dir, year)
    if current is not None:
        tables, checked = current
        if checked:
            return tables
        from fundanalysis.ingest.schemas import validate_tables  # pandera loads only when needed

        return validate_tables(tables)
    return process_year(data_dir, year).tables
