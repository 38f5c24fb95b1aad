"""Amounts far out of scale with their siblings: a 元 typed among 万元 (or the reverse).

A report that writes "20元" in a list of "70万, 60万, 20万" almost always meant 20万元: the
parser takes the cell literally (it is a valid amount), so the slip would show as a share of
0.0 %. Here every money column of a table with at least three non-zero amounts is compared with
itself: an amount whose ratio to the median of the column's *other* amounts is beyond
:data:`RATIO` (10⁴) is an outlier. It is not an input error (the figure may be right); ``check``
says where it is (a located note, exit 0) and the reconciliation shows it as a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from fundanalysis.ingest.specs import SHEETS

#: How far (as a ratio to the median of the other amounts) an amount must be to be flagged.
RATIO = 10_000
#: The fewest non-zero amounts a column needs before one of them can stand out.
MIN_AMOUNTS = 3


@dataclass(frozen=True)
class Outlier:
    """One amount out of scale: where it is (file, sheet, Excel row, column header), its value
    and the median of its siblings (integer 分), how many times apart, and the row's name."""

    table: str
    column: str
    file: str | None
    sheet: str
    row: int | None
    header: str
    label: str | None
    value_fen: int
    median_fen: int
    ratio: int

    def note(self) -> str:
        """The located warning ``check`` prints."""
        where = f"{self.file or 'input'}, sheet {self.sheet!r}, row {self.row or '?'}, column {self.header!r}"
        value, sibling = (f"{Decimal(f).scaleb(-2):,.2f}" for f in (self.value_fen, self.median_fen))
        side = "smaller" if self.value_fen < self.median_fen else "larger"
        return (f"warning: {where}: amount {value} 元 is over {RATIO:,} times {side} than the median "
                f"({sibling} 元) of the column's other amounts; was 万元 meant for 元 (or the reverse)? "
                "It is taken as written and shown as a finding")


def _where(ref: object) -> tuple[str | None, int | None]:
    """File and Excel row from an ``input_ref`` (``file:sheet:row``)."""
    if ref is None or pd.isna(ref):
        return None, None
    head, _, row = str(ref).rpartition(":")
    file = head.rpartition(":")[0] or None
    return file, int(row) if row.isdigit() else None


def _label(df: pd.DataFrame, i: int) -> str | None:
    for name in ("item", "outlet", "category", "recipient", "part", "batch"):
        if name in df and not pd.isna(df[name].iloc[i]):
            return str(df[name].iloc[i])
    return None


def _median(values: list[int]) -> Fraction:
    """The exact median of integers (the mean of the middle two for an even count)."""
    v = sorted(values)
    if not v:
        return Fraction(0)
    n = len(v)
    return Fraction(v[n // 2]) if n % 2 else Fraction(v[n // 2 - 1] + v[n // 2], 2)


def column_outliers(amounts: list[int]) -> list[tuple[int, int, int]]:
    """Positions of the amounts out of scale with the others, with the others' median and the
    ratio (rounded down); zeros and missing amounts are neither flagged nor compared.

    >>> column_outliers([70_000_000, 60_000_000, 20_000_000, 2_000])
    [(3, 60000000, 30000)]
    >>> column_outliers([70_000_000, 60_000_000, 20_000_000, 2_000_000]), column_outliers([1, 100_000])
    ([], [])
    """
    present = [(i, int(a)) for i, a in enumerate(amounts) if a is not None and not pd.isna(a) and int(a)]
    if len(present) < MIN_AMOUNTS:
        return []
    # the others' median for every amount from one sort: without the amount at sorted position k,
    # the j-th of the others is s[j] below k and s[j + 1] from k on
    order = sorted(range(len(present)), key=lambda p: abs(present[p][1]))
    s = [abs(present[p][1]) for p in order]
    m = len(s) - 1  # how many others each amount has
    out = []
    for k, p in enumerate(order):
        def other(j: int, k: int = k) -> int:
            return s[j] if j < k else s[j + 1]
        mid = Fraction(other(m // 2)) if m % 2 else Fraction(other(m // 2 - 1) + other(m // 2), 2)
        if not mid:
            continue
        i, a = present[p]
        ratio = max(mid / abs(a), abs(a) / mid)
        if ratio > RATIO:
            out.append((i, int(mid), int(ratio)))
    return sorted(out)


def scale_outliers(tables: dict[str, pd.DataFrame]) -> list[Outlier]:
    """Every amount out of scale with its column, in the order of the input's sheets and rows."""
    found: list[Outlier] = []
    for spec in SHEETS:
        df = tables.get(spec.table)
        if df is None or len(df) < MIN_AMOUNTS:
            continue
        for col in spec.columns:
            if col.kind not in ("money", "signed_money") or col.field not in df:
                continue
            amounts = df[col.field].tolist()
            for i, mid, ratio in column_outliers(amounts):
                file, row = _where(df["input_ref"].iloc[i] if "input_ref" in df else None)
                found.append(Outlier(spec.table, col.field, file, spec.name, row, col.header, _label(df, i),
                                     int(amounts[i]), mid, ratio))
    return found
