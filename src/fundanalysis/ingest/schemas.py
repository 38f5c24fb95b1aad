"""pandera schemas for every processed table, checked where raw becomes processed
and where processed tables enter the metrics."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from fundanalysis import config
from fundanalysis.ingest.specs import LEVELS, PROCUREMENT_METHODS

_text = pa.Column("string", nullable=False)
_opt_text = pa.Column("string", nullable=True, required=False)
_money = pa.Column("Int64", pa.Check.ge(0), nullable=False)
_opt_money = pa.Column("Int64", pa.Check.ge(0), nullable=True)
_count = pa.Column("Int64", pa.Check.ge(0), nullable=False)
_opt_count = pa.Column("Int64", pa.Check.ge(0), nullable=True)


def _schema(name: str, columns: dict[str, pa.Column], unique: list[str] | None = None
            ) -> pa.DataFrameSchema:
    cols = {"source": pa.Column("string", nullable=True), **columns}
    cols.setdefault("input_ref", _opt_text)
    return pa.DataFrameSchema(cols, name=name, unique=unique, strict=False, coerce=False)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "fund": _schema("fund", {
        "fund_name": _text, "issuer": _text, "city": _text, "province": _text,
        "year": pa.Column("Int64", pa.Check.in_range(config.MIN_YEAR, config.MAX_YEAR)), "budget_yuan": _money,
        "budget_phase": pa.Column("string", nullable=True),
    }),
    "parts": _schema("parts", {"part": _text, "department": _text, "budget_yuan": _opt_money},
                     unique=["part"]),
    "award_categories": _schema("award_categories", {
        "category": _text, "recipients": _count, "amount_yuan": _money,
        "level": pa.Column("string", pa.Check.isin(LEVELS), nullable=True),
        "recipient_desc": pa.Column("string", nullable=True),
        "part": pa.Column("string", nullable=True),
        "stated_recipients": _opt_count, "stated_amount_yuan": _opt_money,
    }, unique=["category"]),
    "awards": _schema("awards", {
        "recipient": _text, "category": _text, "amount_yuan": _money,
        "level": pa.Column("string", nullable=True), "part": pa.Column("string", nullable=True),
    }),
    "media_outlets": _schema("media_outlets", {
        "outlet": _text, "item_count": _count, "amount_yuan": _money,
        "procurement": pa.Column("string", pa.Check.isin(PROCUREMENT_METHODS), nullable=True),
        "part": _text,
    }, unique=["outlet"]),
    "media_items": _schema("media_items", {"outlet": _text, "title": _text}),
    "rankings": _schema("rankings", {
        "indicator": _text, "value": _count, "unit": _text,
        "rank_number": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "rank_text": pa.Column("string", nullable=True),
        "scope": pa.Column("string", nullable=True), "note": pa.Column("string", nullable=True),
    }, unique=["indicator"]),
    "breakdowns": _schema("breakdowns", {
        "indicator": _text, "component": _text, "value": _count, "unit": _text}),
    "comparisons": _schema("comparisons", {
        "indicator": _text, "city_value": _count, "province_value": _opt_count,
        "nation_value": _opt_count, "stated_text": pa.Column("string", nullable=True),
        "stated_share": pa.Column("string", nullable=True),
    }),
    "peer_values": _schema("peer_values", {"indicator": _text, "city": _text, "value": _count},
                           unique=["indicator", "city"]),
    "stated_totals": _schema("stated_totals", {
        "check": _text, "part": pa.Column("string", nullable=True),
        "stated": _count, "unit": pa.Column("string", nullable=True),
        "stated_raw": _text, "stated_text": pa.Column("string", nullable=True),
    }),
}


class SchemaViolation(ValueError):
    """A processed table does not match its schema (a bug or a hand-edited file)."""


def validate_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Validate every known table lazily; raise :class:`SchemaViolation` listing all failures."""
    failures = []
    for name, df in tables.items():
        schema = SCHEMAS.get(name)
        if schema is None:
            continue
        try:
            schema.validate(df, lazy=True)
        except SchemaErrors as exc:
            cases = exc.failure_cases[["column", "check", "failure_case", "index"]]
            failures.append(f"table {name}:\n{cases.to_string(index=False)}")
    if failures:
        raise SchemaViolation("\n".join(failures))
    return tables
