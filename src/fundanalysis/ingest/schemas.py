"""pandera schemas for every processed table, checked where raw becomes processed
and where processed tables enter the metrics."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from fundanalysis import config
from fundanalysis.ingest.specs import LEVELS, PROCUREMENT_METHODS, SPENT_WORDS, SUPPORT_KINDS


def _is_text(s: pd.Series) -> bool | pd.Series:
    """True for a column of pandas' string dtype (one answer for the whole column); for an object
    column, value by value, whether each is text; for any other dtype, False for every value."""
    if isinstance(s.dtype, pd.StringDtype):
        return True
    if s.dtype == object:
        return s.map(lambda v: isinstance(v, str)).astype(bool)
    return pd.Series(False, index=s.index)


#: The check of every text column: pandas' string dtype (or text values), a failing value named
#: with its row. A check rather than a pandera dtype, since pandera checks a string dtype value by
#: value and builds a table of failures even when all pass (three times the schemas' time).
TEXT = pa.Check(_is_text, name="text", error="a text column holds pandas' string dtype")


def text_column(*checks: pa.Check, nullable: bool, required: bool = True) -> pa.Column:
    """A text column of the schemas, with its other checks."""
    return pa.Column(None, [TEXT, *checks], nullable=nullable, required=required)


_text = text_column(nullable=False)
_opt_text = text_column(nullable=True, required=False)
_money = pa.Column("Int64", pa.Check.ge(0), nullable=False)
_opt_money = pa.Column("Int64", pa.Check.ge(0), nullable=True)
_count = pa.Column("Int64", pa.Check.ge(0), nullable=False)
_opt_count = pa.Column("Int64", pa.Check.ge(0), nullable=True)


def _schema(name: str, columns: dict[str, pa.Column], unique: list[str] | None = None
            ) -> pa.DataFrameSchema:
    cols = {"source": text_column(nullable=True), **columns}
    cols.setdefault("input_ref", _opt_text)
    return pa.DataFrameSchema(cols, name=name, unique=unique, strict=False, coerce=False)


_opt_signed = pa.Column("Int64", nullable=True)
_opt_string = text_column(nullable=True)
#: The budget-phase columns shared by the fund, its parts and spending lines (all optional).
_PHASES = {"initial_fen": _opt_money, "adjustment_fen": _opt_signed, "annual_fen": _opt_money,
           "executed_fen": _opt_money}
_RECEIPTS = {"received_fen": _opt_money,
             "spent_word": text_column(pa.Check.isin(SPENT_WORDS), nullable=True)}

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "fund": _schema("fund", {
        "fund_name": _text, "issuer": _opt_string, "city": _opt_string, "province": _opt_string,
        "year": pa.Column("Int64", pa.Check.in_range(config.MIN_YEAR, config.MAX_YEAR)),
        "budget_fen": _opt_money, "budget_phase": _opt_string, **_PHASES, **_RECEIPTS,
    }),
    "parts": _schema("parts", {"part": _text, "department": _opt_string, "budget_fen": _opt_money,
                               **_PHASES, **_RECEIPTS}, unique=["part"]),
    "lines": _schema("lines", {"part": _opt_string, "item": _text, "quantity": _opt_count,
                               "quantity_unit": _opt_string, **_PHASES, "status": _opt_string,
                               "spent_word": text_column(pa.Check.isin(SPENT_WORDS), nullable=True,
                                                       required=False)}),
    "instalments": _schema("instalments", {"batch": _opt_string, "date": _opt_string, "amount_fen": _money}),
    "award_categories": _schema("award_categories", {
        "category": _text, "recipients": _opt_count, "amount_fen": _money,
        "level": text_column(pa.Check.isin(LEVELS), nullable=True),
        "recipient_desc": _opt_string, "part": _opt_string,
        "stated_recipients": _opt_count, "stated_amount_fen": _opt_money,
        "support": text_column(pa.Check.isin(SUPPORT_KINDS), nullable=True, required=False),
    }, unique=["category"]),
    "awards": _schema("awards", {
        "recipient": _text, "category": _text, "amount_fen": _money,
        "level": _opt_string, "part": _opt_string,
        "support": text_column(pa.Check.isin(SUPPORT_KINDS), nullable=True, required=False),
    }),
    "media_outlets": _schema("media_outlets", {
        "outlet": _text, "item_count": _opt_count, "amount_fen": _money,
        "procurement": text_column(pa.Check.isin(PROCUREMENT_METHODS), nullable=True),
        "part": _opt_string,
    }, unique=["outlet"]),
    "media_items": _schema("media_items", {"outlet": _text, "title": _text}),
    "rankings": _schema("rankings", {
        "indicator": _text, "value": _count, "unit": _text,
        "rank_number": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "rank_text": _opt_string, "scope": _opt_string, "note": _opt_string,
    }, unique=["indicator"]),
    "breakdowns": _schema("breakdowns", {
        "indicator": _text, "component": _text, "value": _count, "unit": _text}),
    "comparisons": _schema("comparisons", {
        "indicator": _text, "city_value": _count, "province_value": _opt_count,
        "nation_value": _opt_count, "stated_text": _opt_string, "stated_share": _opt_string,
    }),
    "peer_values": _schema("peer_values", {"indicator": _text, "city": _text, "value": _count},
                           unique=["indicator", "city"]),
    "money_sources": _schema("money_sources", {
        "category": _text, "initial_fen": _opt_money, "annual_fen": _opt_money, "executed_fen": _opt_money,
        "weight": _opt_string, "stated_rate": _opt_string, "stated_score": _opt_string,
    }, unique=["category"]),
    "goals": _schema("goals", {"expected": _opt_string, "achieved": _opt_string}),
    "indicators": _schema("indicators", {
        "level1": _opt_string, "level2": _opt_string, "name": _opt_string, "nature": _opt_string,
        "target": _opt_string, "unit": _opt_string, "actual": _opt_string, "weight": _opt_string,
        "stated_score": _opt_string, "deviation": _opt_string,
    }),
    "scoring_policy": pa.DataFrameSchema({"file": _text, "toml": _text}, name="scoring_policy", strict=True),
    "stated_totals": _schema("stated_totals", {
        "check": _text, "part": _opt_string,
        "stated": pa.Column("Int64", nullable=False), "unit": _opt_string,
        "stated_raw": _text, "stated_text": _opt_string,
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
