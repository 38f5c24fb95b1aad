"""Metrics over processed tables: pure functions, DataFrame in, DataFrame out.

Money stays integer 分 (int64; 1 元 = 100 分). Ratios (shares, utilisation) are computed
exactly as :class:`fractions.Fraction` and stored as floats only for display and charts. Results carry
numbers and codes (:mod:`fundanalysis.vocab`), never display words: a part the input does not
name is NA, an unknown procurement method is NA, a rank's origin is a :class:`RankSource`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from fundanalysis.analysis.figures import Figure, Ref, ref_of
from fundanalysis.ingest.tables import categories_from_recipients as categories_from_recipients  # re-export
from fundanalysis.vocab import (
    BudgetBasis,
    Concentration,
    MoneyKind,
    Procurement,
    RankSource,
    Scope,
    SpentBasis,
    SpentWord,
    StatedCheck,
)

Tables = dict[str, pd.DataFrame]

_F = TypeVar("_F", bound=Callable[..., Any])
#: Results worked out inside :func:`computed_once` blocks (None outside any): (metric, id of its
#: tables, other arguments) → (result, the tables, kept so that their id is not reused meanwhile).
_ONCE: ContextVar[dict[tuple[Any, ...], tuple[Any, Any]] | None] = ContextVar("metrics_once", default=None)


@contextmanager
def computed_once() -> Iterator[None]:
    """Within the block, each metric marked :func:`once` is worked out once per tables object and
    arguments, and each call gets its own copy of the result. For code that asks the same tables
    the same questions several times (which charts a year supports, a year's workbooks); the tables
    must not change inside the block. Outside it, nothing is remembered; a block inside another
    is part of the outer one.

    >>> asked = []
    >>> @once
    ... def rows(tables):
    ...     asked.append(1)
    ...     return pd.DataFrame({"n": [len(tables)]})
    >>> t = {"fund": pd.DataFrame()}
    >>> with computed_once():
    ...     a, b = rows(t), rows(t)
    >>> len(asked), a.equals(b), a is b
    (1, True, False)
    >>> _ = rows(t); len(asked)  # outside the block: worked out again
    2
    """
    if _ONCE.get() is not None:  # inside another block: its promise holds here too
        yield
        return
    token = _ONCE.set({})
    try:
        yield
    finally:
        _ONCE.reset(token)


def once(fn: _F) -> _F:
    """Mark a metric whose result :func:`computed_once` may remember (its first argument is the
    tables or a table; the others hashable)."""
    @functools.wraps(fn)
    def wrapper(first: Any, *args: Any, **kwargs: Any) -> Any:
        memo = _ONCE.get()
        if memo is None or kwargs:
            return fn(first, *args, **kwargs)
        key = (fn, id(first), args)
        try:
            got = memo.get(key)
        except TypeError:  # an argument that cannot be a key
            return fn(first, *args)
        if got is None:
            got = memo[key] = (fn(first, *args), first)
        result = got[0]
        return result.copy() if isinstance(result, pd.DataFrame | pd.Series) else result
    return wrapper  # type: ignore[return-value]


def _ratio(num: int, den: int) -> float:
    return float(Fraction(int(num), int(den))) if den else float("nan")


def _round_div(a: Any, b: Any) -> Any:
    """Integer division rounded half up: exact average in whole 分 (NA when either is missing)."""
    if pd.isna(a) or pd.isna(b) or not int(b):
        return pd.NA
    return (2 * int(a) + int(b)) // (2 * int(b))


def money_sum(values: pd.Series | Iterable[Any]) -> int:
    """Exact sum of integer 分 (Python ints, no float); missing values are left out."""
    return sum(int(v) for v in (values.tolist() if isinstance(values, pd.Series) else values) if not pd.isna(v))


def _with_shares(df: pd.DataFrame, name: str, count: str, average: str) -> pd.DataFrame:
    """Add each row's ``share`` of the amount total and its exact ``average`` amount per ``count``;
    largest amount first (ties by ``name``)."""
    total = money_sum(df["amount_fen"])
    df["share"] = [_ratio(a, total) for a in df["amount_fen"]]
    df[average] = pd.array([_round_div(a, n) for a, n in zip(df["amount_fen"], df[count], strict=True)],
                           dtype="Int64")
    return df.sort_values(["amount_fen", name], ascending=[False, True]).reset_index(drop=True)


@once
def category_totals(categories: pd.DataFrame) -> pd.DataFrame:
    """Award categories with share of the award total and average per recipient, largest first."""
    df = categories[["category", "recipients", "amount_fen", "level", "part"]].copy()
    return _with_shares(df, "category", "recipients", "avg_per_recipient_fen")


def _sum_if_all(s: pd.Series) -> Any:
    """The sum of counts when every row gives one; NA when any is missing (not a partial sum)."""
    return s.sum() if s.notna().all() else pd.NA


def level_totals(categories: pd.DataFrame) -> pd.DataFrame:
    """Award categories grouped by the level of the title they recognise (NA: level not given)."""
    c = category_totals(categories)
    return (c.assign(level=c["level"].astype("string"))
            .groupby("level", as_index=False, dropna=False, sort=False)
            .agg(categories=("category", "count"), recipients=("recipients", _sum_if_all),
                 amount_fen=("amount_fen", "sum"))
            .sort_values("amount_fen", ascending=False).reset_index(drop=True))


def in_scope(df: pd.DataFrame, part: str | None, known: set[str] | None) -> pd.DataFrame:
    """The rows of ``df`` in ``part``, or, with ``part`` None and ``known`` given, in no known part
    (a missing part is none); with both None, every row. A table without a part column has no row
    in any scope but the whole.

    >>> df = pd.DataFrame({"part": pd.array(["甲", None, "乙"], dtype="string"), "x": [1, 2, 3]})
    >>> in_scope(df, "甲", None)["x"].tolist(), in_scope(df, None, {"甲"})["x"].tolist()
    ([1], [2, 3])
    """
    return df[_scope_mask(df, part, known)]


def _scope_mask(df: pd.DataFrame, part: str | None, known: set[str] | None) -> np.ndarray:
    """Per row of ``df``, whether it is in scope (:func:`in_scope`)."""
    if "part" not in df:
        return np.full(len(df), part is None and known is None)
    if part is not None:
        return np.zeros(len(df), dtype=bool) if pd.isna(part) else df["part"].eq(part).fillna(False).to_numpy(bool)
    if known is not None:
        return ~df["part"].isin(known).fillna(False).to_numpy(bool)
    return np.ones(len(df), dtype=bool)


#: Where spending is written: the table and its amount column (a line counts once executed).
SPENDING = (("award_categories", "amount_fen"), ("media_outlets", "amount_fen"), ("lines", "executed_fen"))


def _spending_amounts(tables: Tables, part: str | None = None, known: set[str] | None = None
                      ) -> list[tuple[str, pd.Series]]:
    """Each spending table with amounts in scope, and those amounts."""
    out = []
    for name, col in SPENDING:
        df = tables.get(name)
        if df is not None and len(df):
            amounts = in_scope(df, part, known)[col].dropna()
            if len(amounts):
                out.append((name, amounts))
    return out


def has_spending(tables: Tables, part: str | None = None, known: set[str] | None = None) -> bool:
    """True if any spending row (award, outlet, executed line) is in scope."""
    return bool(_spending_amounts(tables, part, known))


def spending_sources(tables: Tables) -> list[str]:
    """The tables that hold spending rows (awards, media outlets, spending lines), in order."""
    return [name for name, _ in _spending_amounts(tables)]


def projects(tables: Tables, part: str | None = None, known: set[str] | None = None) -> int | None:
    """Projects: recipients of awards, media items and lines counted in 项 or 个, in one part or
    in all; None when the input gives no count at all, or gives none for some of the rows
    (未注明: a count of some rows is not the count).

    ``part`` None counts everything, or, with ``known`` (the parts the input names), only the
    rows whose part is none of them.
    """
    counts: list[pd.Series] = []
    complete = True  # a row in scope without a count: the count of the others is not the count
    for name, col in (("award_categories", "recipients"), ("media_outlets", "item_count")):
        df = tables.get(name)
        if df is not None and col in df:
            values = in_scope(df, part, known)[col]
            counts.append(values.dropna())
            complete &= bool(values.notna().all())
    lines = tables.get("lines")
    if lines is not None and "quantity" in lines:
        sel = in_scope(lines, part, known)
        unit = sel["quantity_unit"].astype("string").fillna("")
        counted = sel.loc[unit.isin(["项", "个"]).to_numpy(dtype=bool), "quantity"].dropna()
        counts.append(counted)
        complete &= len(counted) == len(sel)
    found = [int(v) for c in counts for v in c.tolist()]
    return sum(found) if found and complete else None


def spent(tables: Tables, part: str | None = None, known: set[str] | None = None) -> int:
    """Money used (integer 分): awards, media and executed spending lines, in one part or in all."""
    return sum(money_sum(amounts) for _, amounts in _spending_amounts(tables, part, known))


def phase_sum(tables: Tables, column: str, part: str | None = None, known: set[str] | None = None
              ) -> int | None:
    """The spending lines' total of one budget phase (年初 / 调整 / 全年 / 执行), or None when no
    line is in scope or any line in scope leaves it empty (a partial sum proves nothing)."""
    values = phase_lines(tables, column, part, known)
    if not values or any(pd.isna(v) for v in values):
        return None
    return money_sum(values)


def phase_lines(tables: Tables, column: str, part: str | None = None, known: set[str] | None = None
                ) -> list[Any]:
    """The values of one budget phase column of the spending lines in scope (missing ones
    included); scopes as :func:`spent`."""
    lines = tables.get("lines")
    if lines is None or not len(lines):
        return []
    return in_scope(lines, part, known)[column].tolist()


@dataclass(frozen=True)
class Budget:
    """A budget and which figure it is (:class:`BudgetBasis`); ``phase`` is the report's own
    words for an amount given without a phase (预算口径)."""

    fen: int | None
    basis: BudgetBasis | None
    phase: str | None = None


def budget_of(row: pd.Series | dict[str, Any]) -> Budget:
    """The budget of a fund or part row: 全年预算数, else 年初 + 调整, else 预算金额 (phase not
    named), else 年初预算数 alone.

    >>> budget_of({"annual_fen": None, "initial_fen": 100, "adjustment_fen": -20, "budget_fen": None})
    Budget(fen=80, basis=<BudgetBasis.INITIAL_PLUS_ADJUSTMENT: 'initial_plus_adjustment'>, phase=None)
    """
    def get(k: str) -> Any:
        v = row.get(k) if hasattr(row, "get") else None
        return None if v is None or pd.isna(v) else int(v)

    annual, initial, adj, total = get("annual_fen"), get("initial_fen"), get("adjustment_fen"), get("budget_fen")
    if annual is not None:
        return Budget(annual, BudgetBasis.ANNUAL)
    if initial is not None and adj is not None:
        return Budget(initial + adj, BudgetBasis.INITIAL_PLUS_ADJUSTMENT)
    if total is not None:
        phase = row.get("budget_phase") if hasattr(row, "get") else None
        return Budget(total, BudgetBasis.UNSPECIFIED, None if phase is None or pd.isna(phase) else str(phase))
    if initial is not None:
        return Budget(initial, BudgetBasis.INITIAL)
    return Budget(None, None)


#: The 执行口径 words that mean money executed (使用, 支出, 拨付, 执行); 安排 is an allocation.
EXECUTED_WORDS = frozenset({SpentWord.USED, SpentWord.SPENT, SpentWord.DISBURSED, SpentWord.EXECUTED})
#: The input sheet of each spending table, and its amount column's header (for provenance).
_SHEET_OF = {"award_categories": ("奖励类别", "奖励金额"), "awards": ("获奖企业", "奖励金额"),
             "media_outlets": ("媒体单位", "金额"), "lines": ("支出明细", "全年执行数")}


def _word(row: pd.Series | dict[str, Any] | None) -> str | None:
    v = row.get("spent_word") if row is not None and hasattr(row, "get") else None
    return None if v is None or pd.isna(v) else str(v)


def money_kind(word: Any) -> MoneyKind:
    """What an amount with this 执行口径 is: executed (使用 / 支出 / 拨付 / 执行), allocated (安排),
    or unstated (no word).

    >>> money_kind("支出"), money_kind("安排"), money_kind(None)
    (<MoneyKind.EXECUTED: 'executed'>, <MoneyKind.ALLOCATED: 'allocated'>, <MoneyKind.UNSTATED: 'unstated'>)
    """
    if word is None or (not isinstance(word, str) and pd.isna(word)):
        return MoneyKind.UNSTATED
    return MoneyKind.EXECUTED if str(word) in EXECUTED_WORDS else MoneyKind.ALLOCATED


def _part_words(tables: Tables) -> dict[str, str]:
    parts = tables.get("parts")
    if parts is None or "spent_word" not in parts:
        return {}
    return {str(p): str(w) for p, w in zip(parts["part"], parts["spent_word"], strict=True) if not pd.isna(w)}


def row_words(tables: Tables, name: str) -> list[str | None]:
    """The 执行口径 of each row of a spending table: the row's own (spending lines), else its
    part's, else the fund's; None when none is given."""
    df = tables[name]
    fund_word = _word(tables["fund"].iloc[0]) if "fund" in tables and len(tables["fund"]) else None
    by_part = _part_words(tables)
    own = df["spent_word"].tolist() if "spent_word" in df else [None] * len(df)
    part = df["part"].tolist() if "part" in df else [None] * len(df)
    return [str(w) if w is not None and not pd.isna(w) else
            (by_part.get(str(p)) if p is not None and not pd.isna(p) else None) or fund_word
            for w, p in zip(own, part, strict=True)]


def row_kinds(tables: Tables, name: str) -> list[MoneyKind]:
    """What each amount of a spending table is (:class:`MoneyKind`). Awards and media outlets
    without a 执行口径 (theirs or the fund's) are money given to their recipients: executed. A
    spending line's 全年执行数 is only what its 口径 says: without one it is unstated (未注明)."""
    default = MoneyKind.UNSTATED if name == "lines" else MoneyKind.EXECUTED
    return [default if w is None else money_kind(w) for w in row_words(tables, name)]


@dataclass(frozen=True)
class SpendingRow:
    """One amount of a spending table, what it is, and where it was read."""

    fen: int
    kind: MoneyKind
    ref: Ref | None


def spending_rows(tables: Tables, part: str | None = None, known: set[str] | None = None
                  ) -> list[SpendingRow]:
    """Every spending amount in scope (scopes as :func:`spent`) with its kind and input row."""
    out = []
    for name, col in SPENDING:
        df = tables.get(name)
        if df is None or not len(df):
            continue
        scope = _scope_mask(df, part, known)
        kinds = row_kinds(tables, name)
        sheet, header = _SHEET_OF[name]
        refs = [ref_of(r, header, sheet) for r in df.to_dict("records")]
        for keep, v, k, ref in zip(scope, df[col].tolist(), kinds, refs, strict=True):
            if keep and not pd.isna(v):
                out.append(SpendingRow(int(v), k, ref))
    return out


NOT_STATED = Figure.not_stated()


@dataclass(frozen=True)
class Execution:
    """What was executed or allocated: the amount, where it comes from (:class:`SpentBasis`),
    the report's word for it (执行口径), what the amount is (:class:`MoneyKind`) and its
    provenance; all None when the report says nothing. Only an amount of kind
    :attr:`MoneyKind.EXECUTED` gives 执行率, 结余 and the budget-execution score."""

    fen: int | None
    basis: SpentBasis | None
    word: str | None
    kind: MoneyKind | None = None
    figure: Figure = NOT_STATED

    @property
    def executed_fen(self) -> int | None:
        """The amount when it is money executed, else None."""
        return self.fen if self.kind is MoneyKind.EXECUTED else None

    @property
    def allocated_fen(self) -> int | None:
        """The amount when it is money allocated (安排), else None."""
        return self.fen if self.kind is MoneyKind.ALLOCATED else None


def _summed(rows: list[SpendingRow], word: str | None) -> Execution:
    """The sum of spending rows, when every one is of the same known kind; else unknown."""
    kinds = {r.kind for r in rows}
    if len(kinds) != 1 or MoneyKind.UNSTATED in kinds:
        return Execution(None, None, word, MoneyKind.UNSTATED if rows else None)
    kind = kinds.pop()
    fen = sum(r.fen for r in rows)
    refs = tuple(r.ref for r in rows if r.ref is not None)
    if word is None and kind is MoneyKind.ALLOCATED:
        word = str(SpentWord.ALLOCATED)
    return Execution(fen, SpentBasis.SUM_OF_LINES, word, kind, Figure.summed(fen, refs))


def execution_of(tables: Tables, row: pd.Series | dict[str, Any], part: str | None = None,
                 known: set[str] | None = None) -> Execution:
    """The executed (or allocated) amount of a fund (``part`` None) or part.

    Stated beats summed: the row's 全年执行数, as its 执行口径 says (none: 执行, the column's own
    word). Else the sum of its spending rows, only when every row is of one kind (all executed,
    or all allocated); a fund with parts is the sum of its parts' figures and the rows of no part,
    only when every part has one. Else unknown.
    """
    stated = row.get("executed_fen") if hasattr(row, "get") else None
    word = _word(row)
    if stated is not None and not pd.isna(stated):
        kind = MoneyKind.EXECUTED if word is None else money_kind(word)
        return Execution(int(stated), SpentBasis.STATED, word, kind,
                         Figure.stated(int(stated), ref_of(row, "全年执行数")))
    parts = tables.get("parts")
    if part is None and known is None and parts is not None and len(parts):
        names = _known_parts(tables)
        figures = [execution_of(tables, p, p["part"]) for _, p in parts.iterrows()]
        rest = spending_rows(tables, None, names)
        if rest:  # rows of no part: they may be those of the parts that have none of their own
            figures = [e for e in figures if e.fen is not None or e.kind is not None]
            figures.append(_summed(rest, None))
        if all(e.fen is None and e.kind is None for e in figures):
            return Execution(None, None, word)
        kinds = {e.kind for e in figures}
        if len(kinds) != 1 or any(e.fen is None for e in figures):  # the figures do not cover the whole
            return Execution(None, None, word, MoneyKind.UNSTATED)
        one_kind = kinds.pop()
        fen = sum(int(e.fen) for e in figures if e.fen is not None)
        refs = tuple(r for e in figures for r in e.figure.refs)
        w = word or next((e.word for e in figures if e.word), None)
        return Execution(fen, SpentBasis.SUM_OF_LINES, w, one_kind, Figure.summed(fen, refs))
    rows = spending_rows(tables, part, known)
    if not rows:
        return Execution(None, None, word)
    return _summed(rows, word)


def _known_parts(tables: Tables) -> set[str]:
    parts = tables.get("parts")
    return set(parts["part"].dropna()) if parts is not None else set()


@once
def spending_by_part(tables: Tables) -> pd.DataFrame:
    """Projects and money per part (and its department), from every kind of spending row.

    Stated beats summed: a part keeps its stated 全年执行数 (its lines are compared with it in the
    reconciliation, never put in its place); a part without one is the sum of its rows when they
    are all of one kind, else NA (未注明), never 0. ``spent_fen`` is money executed,
    ``allocated_fen`` money allocated (安排); ``figure`` says how each was obtained. Spending
    whose part is not given is one more row with ``part`` NA.
    """
    parts = tables.get("parts")
    known = _known_parts(tables)
    rows = []
    for _, p in (parts.iterrows() if parts is not None else iter(())):
        ex = execution_of(tables, p, p["part"])
        rows.append({"part": p["part"], "department": p.get("department"), "projects": projects(tables, p["part"]),
                     "spent_fen": ex.executed_fen, "budget_fen": budget_of(p).fen,
                     "allocated_fen": ex.allocated_fen, "kind": ex.kind, "figure": ex.figure})
    if has_spending(tables, None, known):
        ex = _summed(spending_rows(tables, None, known), None)
        rows.append({"part": pd.NA, "department": pd.NA, "projects": projects(tables, None, known),
                     "spent_fen": ex.executed_fen, "budget_fen": pd.NA, "allocated_fen": ex.allocated_fen,
                     "kind": ex.kind, "figure": ex.figure})
    out = pd.DataFrame(rows, columns=["part", "department", "projects", "spent_fen", "budget_fen",
                                      "allocated_fen", "kind", "figure"])
    total = money_sum(out["spent_fen"]) if len(out) else 0
    out["share"] = [_ratio(v, total) if not pd.isna(v) else float("nan") for v in out["spent_fen"]]
    out = out[["part", "department", "projects", "spent_fen", "budget_fen", "share", "allocated_fen", "kind",
               "figure"]]
    return out.astype({"spent_fen": "Int64", "projects": "Int64", "budget_fen": "Int64", "allocated_fen": "Int64",
                       "part": "string", "department": "string"})


UTILISATION_COLUMNS = ["scope", "scope_name", "budget_fen", "budget_basis", "budget_phase", "initial_fen",
                       "spent_fen", "spent_basis", "spent_word", "received_fen", "unspent_fen",
                       "utilisation", "utilisation_exact", "utilisation_initial", "receipt_rate",
                       "over_budget", "allocated_fen", "spent_kind", "budget_figure", "spent_figure",
                       "initial_figure", "received_figure"]


@dataclass(frozen=True)
class YearMoney:
    """The year's budget, initial budget and execution of the fund, each with its provenance,
    from the one model: the fund sheet, else (when it is silent) the form's 资金来源 block."""

    budget: Budget
    budget_figure: Figure
    initial_figure: Figure
    execution: Execution


def _form_money(tables: Tables) -> tuple[Figure, Figure, Figure]:
    """The form's 资金来源 block as (全年预算数, 年初预算数, 全年执行数) figures: the 年度资金总额 row,
    or, where it is empty or 0 and the sources hold money, the sum of the source rows."""
    if "money_sources" not in tables or not len(tables["money_sources"]):
        return Figure.not_stated(), Figure.not_stated(), Figure.not_stated()
    from fundanalysis.analysis import selfeval
    from fundanalysis.analysis.scoring import Phase
    from fundanalysis.ingest.targets import Fund

    se = selfeval.self_evaluation(tables)
    if se is None or se.money is None:
        return Figure.not_stated(), Figure.not_stated(), Figure.not_stated()
    sheet = "资金来源"
    total = next((r for r in se.money_rows if r.category is Fund.TOTAL), None)
    sources = [r for r in se.money_rows if r.category is not Fund.TOTAL]
    headers = {Phase.APPROVED: "年初预算数", Phase.BUDGET: "全年预算数", Phase.EXECUTED: "全年执行数"}

    def figure(phase: Phase, value: int | None) -> Figure:
        if value is None:
            return Figure.not_stated()
        if phase in se.money.from_sources:  # type: ignore[union-attr]
            return Figure.summed(value, tuple(Ref(sheet, r.row, headers[phase]) for r in sources
                                              if getattr(r, phase.value) is not None))
        return Figure.stated(value, Ref(sheet, total.row if total is not None else None, headers[phase]))

    m = se.money
    return (figure(Phase.BUDGET, m.budget), figure(Phase.APPROVED, m.approved),
            figure(Phase.EXECUTED, m.executed))


def _budget_figure(row: pd.Series | dict[str, Any], b: Budget) -> Figure:
    if b.fen is None:
        return Figure.not_stated()
    if b.basis is BudgetBasis.INITIAL_PLUS_ADJUSTMENT:
        return Figure.summed(b.fen, tuple(ref_of(row, c) or Ref("专项资金", None, c) for c in ("年初预算数", "调整数")))
    header = {BudgetBasis.ANNUAL: "全年预算数", BudgetBasis.INITIAL: "年初预算数",
              BudgetBasis.UNSPECIFIED: "预算金额"}[b.basis]  # type: ignore[index]
    return Figure.stated(b.fen, ref_of(row, header))


def _money_figure(row: pd.Series | dict[str, Any], column: str, header: str) -> Figure:
    v = row.get(column) if hasattr(row, "get") else None
    return Figure.not_stated() if v is None or pd.isna(v) else Figure.stated(int(v), ref_of(row, header))


def _told_execution(tables: Tables) -> tuple[Figure, str | None]:
    """The whole fund's 全年执行数 (or 使用资金) as 报告总计 states it, with the word it implies;
    not stated when it states neither."""
    st = tables.get("stated_totals")
    if st is None or not len(st):
        return Figure.not_stated(), None
    for check, word in ((StatedCheck.EXECUTED, None), (StatedCheck.SPENT, SpentWord.USED)):
        rows = st[(st["check"] == check) & st["part"].isna() & (st["unit"] == "元") & st["stated"].notna()]
        if len(rows):
            r = rows.iloc[0]
            return Figure.stated(int(r["stated"]), ref_of(r, "表述值")), word
    return Figure.not_stated(), None


def year_money(tables: Tables) -> YearMoney:
    """The fund's budget and execution with provenance: the fund sheet's (stated) first, then the
    form's 资金来源 block where the fund sheet is silent, then 报告总计's 全年执行数 or 使用资金 for
    the whole fund (stated beats summed: the spending rows' sum is checked against it in the
    reconciliation), then the sum of the spending rows."""
    fund = tables["fund"].iloc[0]
    b = budget_of(fund)
    bf = _budget_figure(fund, b)
    initial = _money_figure(fund, "initial_fen", "年初预算数")
    ex = execution_of(tables, fund)
    form_budget, form_initial, form_exec = _form_money(tables)
    if b.fen is None and form_budget.known:
        b, bf = Budget(int(form_budget.value), BudgetBasis.ANNUAL), form_budget  # type: ignore[arg-type]
    if not initial.known and form_initial.known and bf is form_budget:
        initial = form_initial
    if ex.basis is not SpentBasis.STATED and form_exec.known:
        ex = Execution(int(form_exec.value), SpentBasis.STATED, ex.word if ex.word in EXECUTED_WORDS else None,  # type: ignore[arg-type]
                       MoneyKind.EXECUTED, form_exec)
    told, told_word = _told_execution(tables)
    if ex.basis is not SpentBasis.STATED and ex.kind in (None, MoneyKind.EXECUTED) and told.known:
        ex = Execution(int(told.value), SpentBasis.STATED, ex.word or told_word,  # type: ignore[arg-type]
                       MoneyKind.EXECUTED, told)
    return YearMoney(b, bf, initial, ex)


@once
def utilisation(tables: Tables) -> pd.DataFrame:
    """Execution (执行率 = 全年执行数 ÷ 全年预算数), balance (结余) and receipts (到位率).

    One row for the whole fund (``scope`` :attr:`Scope.FUND`), plus one per part with a budget
    of its own (:attr:`Scope.PART`). Each row says which budget figure it uses
    (``budget_basis``), where the executed amount comes from (``spent_basis``: stated, or
    the sum of the spending lines) and what it is (``spent_kind``): only money executed gives a
    rate and a balance; money allocated (安排) is ``allocated_fen``, with neither. The
    ``*_figure`` columns carry each figure's provenance (:class:`Figure`).
    ``utilisation_initial`` is the rate against 年初预算数 when both budgets are given;
    ``over_budget`` flags a rate above 100% (shown as it is, never clipped).
    """
    fund = tables["fund"].iloc[0]
    money = year_money(tables)
    rows = [_util_row(Scope.FUND, fund["fund_name"], fund, money.execution, money)]
    parts = tables.get("parts")
    if parts is not None:
        for _, p in parts.iterrows():
            if budget_of(p).fen is not None:
                rows.append(_util_row(Scope.PART, p["part"], p, execution_of(tables, p, p["part"])))
    out = pd.DataFrame(rows, columns=UTILISATION_COLUMNS)
    return out.astype({c: "Int64" for c in ("budget_fen", "initial_fen", "spent_fen", "received_fen",
                                           "unspent_fen", "allocated_fen")})


def _util_row(scope: Scope, name: str, row: pd.Series, ex: Execution, money: YearMoney | None = None
              ) -> dict[str, Any]:
    b = money.budget if money is not None else budget_of(row)
    bf = money.budget_figure if money is not None else _budget_figure(row, b)
    initial_f = money.initial_figure if money is not None else _money_figure(row, "initial_fen", "年初预算数")
    initial = None if initial_f.value is None else int(initial_f.value)
    received_f = _money_figure(row, "received_fen", "到位资金")
    received = None if received_f.value is None else int(received_f.value)
    spent = ex.executed_fen
    rate = Fraction(spent, b.fen) if spent is not None and b.fen else None
    return {"scope": scope, "scope_name": name, "budget_fen": b.fen, "budget_basis": b.basis,
            "budget_phase": b.phase, "initial_fen": initial, "spent_fen": spent, "spent_basis": ex.basis,
            "spent_word": ex.word, "received_fen": received,
            "unspent_fen": b.fen - spent if b.fen is not None and spent is not None else None,
            "utilisation": float(rate) if rate is not None else float("nan"),
            "utilisation_exact": str(rate) if rate is not None else None,
            "utilisation_initial": (float(Fraction(spent, initial))
                                    if spent is not None and initial and b.basis != BudgetBasis.INITIAL
                                    else float("nan")),
            "receipt_rate": float(Fraction(received, b.fen)) if received is not None and b.fen else float("nan"),
            "over_budget": bool(rate is not None and rate > 1),
            "allocated_fen": ex.allocated_fen, "spent_kind": ex.kind, "budget_figure": bf,
            "spent_figure": ex.figure, "initial_figure": initial_f, "received_figure": received_f}


@once
def media_shares(outlets: pd.DataFrame) -> pd.DataFrame:
    """Media outlets with share of media spending and average per item, largest first."""
    df = outlets[["outlet", "item_count", "amount_fen", "procurement"]].copy()
    return _with_shares(df, "outlet", "item_count", "avg_per_item_fen")


def concentration_level(hhi: float) -> Concentration | None:
    """The band of a Herfindahl–Hirschman index: above 2,500 high, above 1,500 moderate.

    >>> concentration_level(3000.0), concentration_level(1000.0)
    (<Concentration.HIGH: 'high'>, <Concentration.LOW: 'low'>)
    """
    if hhi != hhi:  # NaN: no spending
        return None
    return Concentration.HIGH if hhi > 2500 else (Concentration.MODERATE if hhi > 1500 else Concentration.LOW)


def media_concentration(outlets: pd.DataFrame) -> dict[str, Any]:
    """Top-2 share, Herfindahl–Hirschman index (0–10,000) and its band, of media spending."""
    amounts = sorted((int(a) for a in outlets["amount_fen"]), reverse=True)
    total = sum(amounts)
    shares = [Fraction(a, total) for a in amounts] if total else []
    hhi = float(sum(s * s for s in shares) * 10000) if shares else float("nan")
    return {
        "outlets": len(amounts),
        "total_fen": total,
        "top2_fen": sum(amounts[:2]),
        "top2_share": float(sum(shares[:2])) if shares else float("nan"),
        "hhi": hhi,
        "level": concentration_level(hhi),
    }


def procurement_split(outlets: pd.DataFrame, stated: pd.DataFrame | None) -> pd.DataFrame:
    """Outlets per procurement method: as the report states it, and as known per outlet.

    The report may give only counts; the per-outlet method then stays unknown: the last row,
    with ``method`` NA, counts the outlets whose method the input does not give.
    """
    rows = []
    for method in Procurement:
        st = None
        if stated is not None:
            sel = stated[stated["check"] == f"{method}单位数"]
            if len(sel):
                st = int(sel["stated"].iloc[0])
        known = outlets[outlets["procurement"] == method]
        rows.append({"method": str(method), "outlets_stated": st, "outlets_known": len(known),
                     "amount_known_fen": money_sum(known["amount_fen"])})
    unknown = outlets[outlets["procurement"].isna()]
    rows.append({"method": pd.NA, "outlets_stated": None, "outlets_known": len(unknown),
                 "amount_known_fen": money_sum(unknown["amount_fen"])})
    return pd.DataFrame(rows).astype({"outlets_stated": "Int64", "method": "string"})


def rank_peers(peers: pd.DataFrame) -> pd.DataFrame:
    """Rank cities within each indicator, ties counted as equal (1, 2, 2, 4).

    Adds ``rank_number`` and ``share_of_province`` (the city's value ÷ the province total).

    >>> df = pd.DataFrame({"indicator": ["x"] * 4, "city": list("abcd"), "value": [9, 7, 7, 5]})
    >>> rank_peers(df)["rank_number"].tolist()
    [1, 2, 2, 4]
    """
    df = peers[["indicator", "city", "value"]].copy()
    df["value"] = df["value"].astype("int64")
    df["rank_number"] = df.groupby("indicator")["value"].rank(method="min", ascending=False).astype(
        "int64")
    totals = df.groupby("indicator")["value"].transform("sum")
    df["share_of_province"] = [_ratio(v, t) for v, t in zip(df["value"], totals, strict=True)]
    df["cities"] = df.groupby("indicator")["city"].transform("count")
    return df.sort_values(["indicator", "rank_number", "city"]).reset_index(drop=True)


@once
def rankings_table(tables: Tables) -> pd.DataFrame:
    """Indicators with their rank (stated or computed from peers), rank text and shares.

    ``rank_source`` says where each rank comes from (:class:`RankSource`; NA: no rank).
    """
    rk = tables["rankings"].copy()
    rk["rank_source"] = pd.Series([RankSource.STATED if pd.notna(r) else None for r in rk["rank_number"]],
                                  dtype="object")
    rk["province_share"] = float("nan")
    rk["nation_share"] = float("nan")
    rk["province_total"] = pd.array([None] * len(rk), dtype="Int64")
    rk["nation_total"] = pd.array([None] * len(rk), dtype="Int64")
    cmp_ = tables.get("comparisons")
    if cmp_ is not None:
        for _, c in cmp_.iterrows():
            sel = rk["indicator"] == c["indicator"]
            if pd.notna(c["province_value"]):
                rk.loc[sel, "province_share"] = _ratio(c["city_value"], c["province_value"])
                rk.loc[sel, "province_total"] = int(c["province_value"])
            if pd.notna(c["nation_value"]):
                rk.loc[sel, "nation_share"] = _ratio(c["city_value"], c["nation_value"])
                rk.loc[sel, "nation_total"] = int(c["nation_value"])
    peers = tables.get("peer_values")
    city = tables["fund"]["city"].iloc[0]
    if peers is not None and len(peers):
        ranked = rank_peers(peers)
        mine = ranked[ranked["city"] == city].set_index("indicator")
        for ind, r in mine.iterrows():
            sel = rk["indicator"] == ind
            if sel.any():
                if rk.loc[sel, "rank_number"].isna().all():
                    rk.loc[sel, "rank_source"] = RankSource.PEERS
                    rk.loc[sel, "rank_number"] = int(r["rank_number"])
                rk.loc[sel, "province_share"] = r["share_of_province"]
    rk["rank_number"] = rk["rank_number"].astype("Int64")
    return rk


@once
def component_shares(tables: Tables) -> pd.DataFrame:
    """The components of each indicator that has a breakdown, with each one's share of the sum."""
    bd = tables.get("breakdowns")
    if bd is None or bd.empty:
        return pd.DataFrame(columns=["indicator", "component", "value", "unit", "share"])
    totals = bd.groupby("indicator")["value"].transform("sum")
    return bd.assign(share=[_ratio(v, t) for v, t in zip(bd["value"], totals, strict=True)])


def peer_city_ranks(tables: Tables) -> pd.DataFrame | None:
    """Ranks of every city for indicators with a province-wide peer table, if any."""
    peers = tables.get("peer_values")
    if peers is None or peers.empty:
        return None
    return rank_peers(peers)


def year_over_year(summaries: list[dict[str, Any]]) -> pd.DataFrame:
    """Key figures per year with the change from the previous year."""
    rows = [{"year": s["year"], "budget_fen": s["budget_fen"], "spent_fen": s["spent_fen"],
             "utilisation": s["utilisation"], "projects": s["projects"]}
            for s in sorted(summaries, key=lambda s: s["year"])]
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    for c in ("budget_fen", "spent_fen", "projects"):
        df[c] = df[c].astype("Int64")  # None where a year's report does not give it
        df[f"{c}_change"] = df[c].diff().astype("Int64")
    df["utilisation"] = pd.to_numeric(df["utilisation"], errors="coerce").astype("float64")
    df["utilisation_change"] = df["utilisation"].diff()
    return df
