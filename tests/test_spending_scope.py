"""Spending in scope (one part, no known part, or all): the list-based metrics equal the
pandas selections they replaced (kept here as their specification), on any mix of parts,
missing values and absent columns."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fundanalysis.analysis import metrics

# ----------------------------------------------------------------- the pandas selections, as they were


def _in_part(df: pd.DataFrame, part: Any, known: set[str] | None) -> pd.DataFrame:
    if "part" not in df:
        return df if part is None and known is None else df.iloc[0:0]
    if part is not None:
        return df[(df["part"] == part).fillna(False).astype(bool)]
    if known is not None:
        return df[~df["part"].isin(known).fillna(False).astype(bool)]
    return df


def _rows(tables: dict[str, pd.DataFrame], part: Any, known: set[str] | None) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for name, col in metrics.SPENDING:
        df = tables.get(name)
        if df is not None and len(df):
            sel = _in_part(df, part, known)
            sel = sel[sel[col].notna()]
            if len(sel):
                out.append((name, sel))
    return out


def ref_spent(tables: dict[str, pd.DataFrame], part: Any = None, known: set[str] | None = None) -> int:
    column = dict(metrics.SPENDING)
    return sum(metrics.money_sum(df[column[name]]) for name, df in _rows(tables, part, known))


def ref_phase_sum(tables: dict[str, pd.DataFrame], column: str, part: Any = None,
                  known: set[str] | None = None) -> int | None:
    lines = tables.get("lines")
    if lines is None or not len(lines):
        return None
    sel = _in_part(lines, part, known)
    if not len(sel) or sel[column].isna().any():
        return None
    return metrics.money_sum(sel[column])


def ref_phase_lines(tables: dict[str, pd.DataFrame], column: str, part: Any = None,
                    known: set[str] | None = None) -> list[Any]:
    lines = tables.get("lines")
    if lines is None or not len(lines):
        return []
    return _in_part(lines, part, known)[column].tolist()


def _same_values(a: list[Any], b: list[Any]) -> bool:
    """Equal lists, a missing value matching a missing value."""
    return len(a) == len(b) and all((pd.isna(x) and pd.isna(y)) or (not pd.isna(x) and not pd.isna(y) and x == y)
                                    for x, y in zip(a, b, strict=True))


def ref_projects(tables: dict[str, pd.DataFrame], part: Any = None, known: set[str] | None = None) -> int | None:
    counts: list[int] = []
    complete = True  # a row in scope without a count: the others' count is not the count
    for name, col in (("award_categories", "recipients"), ("media_outlets", "item_count")):
        df = tables.get(name)
        if df is not None and col in df:
            sel = _in_part(df, part, known)[col]
            counts += [int(v) for v in sel.dropna()]
            complete &= bool(sel.notna().all())
    lines = tables.get("lines")
    if lines is not None and "quantity" in lines:
        sel = _in_part(lines, part, known)
        unit = sel["quantity_unit"].astype("string").fillna("")
        counted = sel.loc[unit.isin(["项", "个"]), "quantity"].dropna()
        counts += [int(v) for v in counted]
        complete &= len(counted) == len(sel)
    return sum(counts) if counts and complete else None


# ----------------------------------------------------------------- random tables

PARTS = ["甲", "乙", "丙 ", None]
money = st.one_of(st.none(), st.integers(0, 10**12))
count = st.one_of(st.none(), st.integers(0, 500))


def _table(rows: list[dict[str, Any]], columns: dict[str, str], with_part: bool) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns)).astype(columns)
    return df if with_part else df.drop(columns="part")


@st.composite
def spending_tables(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    part = st.sampled_from(PARTS)
    if draw(st.booleans()):
        rows = draw(st.lists(st.fixed_dictionaries({"part": part, "amount_fen": money, "recipients": count}),
                             max_size=6))
        tables["award_categories"] = _table(rows, {"part": "string", "amount_fen": "Int64", "recipients": "Int64"},
                                            draw(st.booleans()))
    if draw(st.booleans()):
        rows = draw(st.lists(st.fixed_dictionaries({"part": part, "amount_fen": money, "item_count": count}),
                             max_size=6))
        tables["media_outlets"] = _table(rows, {"part": "string", "amount_fen": "Int64", "item_count": "Int64"},
                                         draw(st.booleans()))
    if draw(st.booleans()):
        unit = st.sampled_from(["项", "个", "次", "", None])
        rows = draw(st.lists(st.fixed_dictionaries({"part": part, "executed_fen": money, "quantity": count,
                                                     "quantity_unit": unit}), max_size=6))
        tables["lines"] = _table(rows, {"part": "string", "executed_fen": "Int64", "quantity": "Int64",
                                        "quantity_unit": "string"}, draw(st.booleans()))
    return tables


SCOPES = st.one_of(
    st.tuples(st.sampled_from([None, "甲", "乙", "丁", pd.NA]), st.none()),
    st.tuples(st.none(), st.sampled_from([set(), {"甲"}, {"甲", "乙"}, {"丙 ", "乙"}])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(tables=spending_tables(), scope=SCOPES)
@example(  # a row in no part is outside every known part; a row of another part is not counted
    tables={"award_categories": pd.DataFrame({"part": pd.array(["甲", None, "乙"], dtype="string"),
                                              "amount_fen": pd.array([100, 20, 3], dtype="Int64"),
                                              "recipients": pd.array([1, 2, None], dtype="Int64")})},
    scope=(None, {"甲"}))
def test_spending_in_scope_equals_the_pandas_selection(tables: dict[str, pd.DataFrame],
                                                       scope: tuple[Any, set[str] | None]) -> None:
    part, known = scope
    assert metrics.spent(tables, part, known) == ref_spent(tables, part, known)
    assert metrics.projects(tables, part, known) == ref_projects(tables, part, known)
    assert metrics.has_spending(tables, part, known) == bool(_rows(tables, part, known))
    assert metrics.phase_sum(tables, "executed_fen", part, known) == ref_phase_sum(tables, "executed_fen", part, known)
    assert _same_values(metrics.phase_lines(tables, "executed_fen", part, known),
                        ref_phase_lines(tables, "executed_fen", part, known))
    if part is None and known is None:
        assert metrics.spending_sources(tables) == [name for name, _ in _rows(tables, None, None)]


def test_spending_in_scope_on_the_2019_report(tables_2019: dict[str, pd.DataFrame]) -> None:
    """The report's own tables: every part, and what is in no part, as the selections give them."""
    known = set(tables_2019["parts"]["part"].dropna()) if "parts" in tables_2019 else set()
    for part, k in [(None, None), (None, known), *((p, None) for p in sorted(known))]:
        assert metrics.spent(tables_2019, part, k) == ref_spent(tables_2019, part, k)
        assert metrics.projects(tables_2019, part, k) == ref_projects(tables_2019, part, k)
        if "lines" in tables_2019:
            for column in ("initial_fen", "annual_fen", "executed_fen"):
                assert metrics.phase_sum(tables_2019, column, part, k) == ref_phase_sum(tables_2019, column, part, k)
    assert metrics.spent(tables_2019) > 0


@pytest.mark.parametrize("bad", ["amount_fen", "part"])
def test_a_missing_amount_column_is_still_an_error(bad: str) -> None:
    """Only a table without a part column is read as in no part; one without its amount fails."""
    df = pd.DataFrame({"part": pd.array(["甲"], dtype="string"), "amount_fen": pd.array([1], dtype="Int64"),
                       "recipients": pd.array([1], dtype="Int64")}).drop(columns=bad)
    tables = {"award_categories": df}
    if bad == "amount_fen":
        with pytest.raises(KeyError):
            metrics.spent(tables)
        with pytest.raises(KeyError):
            ref_spent(tables)
    else:
        assert metrics.spent(tables, "甲") == ref_spent(tables, "甲") == 0
        assert metrics.spent(tables) == ref_spent(tables) == 1
