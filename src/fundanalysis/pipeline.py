"""The steps joined up: raw → processed tables → summary. Disk access goes through io."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis import io, metrics
from fundanalysis.reconcile import reconcile_totals
from fundanalysis.tables import Parsed, build_tables


def process_year(data_dir: Path, year: int) -> Parsed:
    """Read and validate a year's raw input; raise InputError listing every problem."""
    return build_tables(io.read_year(data_dir, year), year)


def clean_year(data_dir: Path, year: int) -> tuple[Path, Parsed]:
    """Write a year's processed tables (CSV + Parquet), all at once or not at all."""
    parsed = process_year(data_dir, year)
    return write_processed(data_dir, year, parsed), parsed


def write_processed(data_dir: Path, year: int, parsed: Parsed) -> Path:
    """Publish already validated tables to ``data/processed/<year>/`` in one step."""
    final = io.processed_dir(data_dir, year)
    digest = io.input_digest(data_dir, year)
    with io.staging_dir(final) as tmp:
        io.write_tables(parsed.tables, tmp)
        # these exact bytes passed the schemas: readers may skip re-checking them
        io.write_text(tmp / CHECKED, json.dumps(io.parquet_digests(tmp), sort_keys=True))
        io.write_text(tmp / io.MADE_FROM, json.dumps({"input_digest": digest}))
        io.publish_dir(tmp, final)
    return final


def load_tables(data_dir: Path, year: int) -> dict[str, pd.DataFrame]:
    """Load a year's tables: processed ones if made from the current input, else from raw.

    "Current" means the same content (a digest of the raw files and the library code), never
    the same file times.
    """
    pdir = io.processed_dir(data_dir, year)
    if pdir.is_dir() and io.processed_is_current(data_dir, year):
        tables = io.read_tables(pdir)
        if tables:
            if _already_checked(pdir):
                return tables
            from fundanalysis.schemas import validate_tables  # pandera loads only when needed

            return validate_tables(tables)
    return process_year(data_dir, year).tables


CHECKED = "schema-checked.json"


def _already_checked(pdir: Path) -> bool:
    """True if the Parquet files are byte for byte those that passed the schemas when written."""
    try:
        recorded = json.loads((pdir / CHECKED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == io.parquet_digests(pdir)


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in df.to_dict("records")]


def summarise(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The key figures of a year as a JSON-ready dict (keys are a stable interface)."""
    fund = tables["fund"].iloc[0]
    util = metrics.utilisation(tables)
    overall = util.iloc[0]
    by_part = metrics.spending_by_part(tables)
    cats = metrics.category_totals(tables["award_categories"])
    out: dict[str, Any] = {
        "year": int(fund["year"]),
        "fund_name": fund["fund_name"],
        "issuer": fund["issuer"],
        "city": fund["city"],
        "province": fund["province"],
        "budget_phase": _jsonable(fund["budget_phase"]),
        "budget_yuan": int(overall["budget_yuan"]),
        "spent_yuan": int(overall["spent_yuan"]),
        "unspent_yuan": int(overall["unspent_yuan"]),
        "utilisation": _jsonable(overall["utilisation"]),
        "utilisation_exact": overall["utilisation_exact"],
        "projects": int(by_part["projects"].sum()),
        "parts": _records(by_part),
        "award_categories": _records(cats),
    }
    media = tables.get("media_outlets")
    if media is not None:
        out["media_outlets"] = _records(metrics.media_shares(media))
        out["media_concentration"] = {k: _jsonable(v) for k, v in
                                      metrics.media_concentration(media).items()}
        out["procurement"] = _records(metrics.procurement_split(media, tables.get("stated_totals")))
    else:
        out["media_outlets"] = []
    out["rankings"] = (_records(metrics.rankings_table(tables)[
        ["indicator", "value", "unit", "rank", "rank_text", "scope", "rank_source",
         "province_share", "nation_share", "note", "source"]])
        if "rankings" in tables else [])
    rec = reconcile_totals(tables)
    out["reconciliation"] = _records(rec)
    out["reconciliation_failed"] = int((rec["ok"] == False).sum())  # noqa: E712
    if out["utilisation"] is None:
        out["utilisation_note"] = "budget is 0 or not given: no execution rate"
    return out


def _finite(v: Any) -> Any:
    """A JSON value with every NaN or infinity replaced by None (JSON has no NaN)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite(x) for x in v]
    return v


def summary_json(summary: dict[str, Any]) -> str:
    """Serialise a summary with Chinese kept readable; strictly valid JSON (no NaN, no Infinity)."""
    return json.dumps(_finite(summary), ensure_ascii=False, indent=2, allow_nan=False)
