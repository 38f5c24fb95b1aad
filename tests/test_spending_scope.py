"""Spending in scope (one part, no known part, or all): amounts, project counts and budget phases,
on small synthetic tables worked out by hand, on random tables (the parts and what is in no part
add up to the whole) and on the 2019 report."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundanalysis.analysis import metrics


def _frame(columns: dict[str, tuple[str, list[Any]]]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.array(values, dtype=dtype) for name, (dtype, values) in columns.items()})


def synthetic_spending() -> dict[str, pd.DataFrame]:
    """Synthetic: three spending tables with parts 甲, 乙, 丙 (not a known part) and rows in no part."""
    return {
        "award_categories": _frame({"part": ("string", ["甲", None, "乙"]),
                                    "amount_fen": ("Int64", [100, 20, 3]),
                                    "recipients": ("Int64", [1, 2, None])}),
        "media_outlets": _frame({"part": ("string", ["甲", "丙"]), "amount_fen": ("Int64", [50, 7]),
                                 "item_count": ("Int64", [2, 3])}),
        "lines": _frame({"part": ("string", ["甲", None]), "executed_fen": ("Int64", [1000, None]),
                         "initial_fen": ("Int64", [10, 20]), "quantity": ("Int64", [3, 4]),
                         "quantity_unit": ("string", ["项", "次"])}),
    }


KNOWN = {"甲", "乙"}


@pytest.mark.parametrize(("part", "known", "spent"), [
    (None, None, 100 + 20 + 3 + 50 + 7 + 1000),
    ("甲", None, 100 + 50 + 1000),
    ("乙", None, 3),
    ("丁", None, 0),
    (pd.NA, None, 0),
    (None, KNOWN, 20 + 7),  # no part, and 丙 (not a known part); the line without an amount is not spending
    (None, set(), 100 + 20 + 3 + 50 + 7 + 1000),
])
def test_spent_in_scope(part: Any, known: set[str] | None, spent: int) -> None:
    tables = synthetic_spending()
    assert metrics.spent(tables, part, known) == spent
    assert metrics.has_spending(tables, part, known) == bool(spent)


@pytest.mark.parametrize(("part", "known", "projects"), [
    ("甲", None, 1 + 2 + 3),  # recipients, items and the line counted in 项
    ("丙", None, 3),
    (None, None, None),  # 乙's category gives no count of recipients: the others' is not the count
    (None, KNOWN, None),  # the line in no part is counted in 次, not in projects
    ("丁", None, None),  # nothing in scope: no count
])
def test_projects_in_scope(part: Any, known: set[str] | None, projects: int | None) -> None:
    assert metrics.projects(synthetic_spending(), part, known) == projects


def test_budget_phases_of_the_lines_in_scope() -> None:
    tables = synthetic_spending()
    assert metrics.phase_sum(tables, "initial_fen") == 30
    assert metrics.phase_sum(tables, "initial_fen", "甲") == 10
    assert metrics.phase_sum(tables, "initial_fen", None, KNOWN) == 20
    assert metrics.phase_sum(tables, "executed_fen") is None  # a line leaves it empty: no partial sum
    assert metrics.phase_sum(tables, "executed_fen", "甲") == 1000
    assert metrics.phase_sum(tables, "initial_fen", "乙") is None  # no line in scope
    assert metrics.phase_lines(tables, "executed_fen")[0] == 1000
    assert pd.isna(metrics.phase_lines(tables, "executed_fen")[1])
    assert metrics.phase_lines(tables, "initial_fen", None, KNOWN) == [20]
    assert metrics.spending_sources(tables) == ["award_categories", "media_outlets", "lines"]


def test_a_table_without_a_part_column_is_only_in_the_whole() -> None:
    tables = synthetic_spending()
    tables["media_outlets"] = tables["media_outlets"].drop(columns="part")
    assert metrics.spent(tables) == 1180
    assert metrics.spent(tables, "甲") == 100 + 1000
    assert metrics.spent(tables, None, KNOWN) == 20


def test_spending_rows_in_scope_keep_their_input_rows() -> None:
    tables = synthetic_spending()
    tables["award_categories"]["input_ref"] = pd.array(["f.xlsx:奖励类别:2", "f.xlsx:奖励类别:3",
                                                        "f.xlsx:奖励类别:4"], dtype="string")
    rows = metrics.spending_rows(tables, None, KNOWN)
    assert [r.fen for r in rows] == [20, 7]
    assert rows[0].ref is not None and rows[0].ref.row == 3


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


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(tables=spending_tables(), known=st.sampled_from([set(), {"甲"}, {"甲", "乙"}, {"丙 ", "乙"}]))
def test_the_parts_and_what_is_in_no_part_add_up_to_the_whole(tables: dict[str, pd.DataFrame],
                                                              known: set[str]) -> None:
    """Every spending row of a table with parts is in exactly one known part or in none: the amounts
    of the scopes add up to the whole, and so do the spending rows. A table without a part column
    is in the whole only."""
    parted = {name: df for name, df in tables.items() if "part" in df}
    unparted = {name: df for name, df in tables.items() if "part" not in df}
    assert metrics.spent(tables) == metrics.spent(parted) + metrics.spent(unparted)
    assert metrics.spent(tables, "甲") == metrics.spent(parted, "甲")
    assert metrics.spent(tables, None, known) == metrics.spent(parted, None, known)
    tables = parted
    whole = metrics.spent(tables)
    assert whole == sum(metrics.spent(tables, p) for p in known) + metrics.spent(tables, None, known)
    rows = len(metrics.spending_rows(tables))
    assert rows == sum(len(metrics.spending_rows(tables, p, None)) for p in known) + len(
        metrics.spending_rows(tables, None, known))
    assert metrics.has_spending(tables) == (rows > 0)
    assert metrics.spent(tables, "丁") == 0 and metrics.projects(tables, "丁") is None


def test_spending_in_scope_on_the_2019_report(tables_2019: dict[str, pd.DataFrame]) -> None:
    """The report's own tables: its parts and what is in none of them add up to what it spent."""
    known = set(tables_2019["parts"]["part"].dropna()) if "parts" in tables_2019 else set()
    total = metrics.spent(tables_2019)
    assert total > 0
    assert total == sum(metrics.spent(tables_2019, p) for p in known) + metrics.spent(tables_2019, None, known)


@pytest.mark.parametrize("bad", ["amount_fen", "part"])
def test_a_missing_amount_column_is_still_an_error(bad: str) -> None:
    """Only a table without a part column is read as in no part; one without its amount fails."""
    df = pd.DataFrame({"part": pd.array(["甲"], dtype="string"), "amount_fen": pd.array([1], dtype="Int64"),
                       "recipients": pd.array([1], dtype="Int64")}).drop(columns=bad)
    tables = {"award_categories": df}
    if bad == "amount_fen":
        with pytest.raises(KeyError):
            metrics.spent(tables)
    else:
        assert metrics.spent(tables, "甲") == 0
        assert metrics.spent(tables) == 1
