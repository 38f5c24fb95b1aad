"""A figure and how it was obtained: stated (a sheet, row and column), summed from stated figures
(which), computed from other figures (a rate, a balance), or not stated.

Analysis returns :class:`Figure` values (numbers and codes); :mod:`fundanalysis.present.words`
says them in Chinese and :meth:`Figure.record` writes them for ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis.vocab import Provenance


@dataclass(frozen=True)
class Ref:
    """Where a stated figure is: the input sheet, its Excel row (None: not known) and column."""

    sheet: str
    row: int | None = None
    column: str | None = None

    def record(self) -> dict[str, Any]:
        """The reference as plain values: ``{"sheet": …, "row": …, "column": …}``."""
        out: dict[str, Any] = {"sheet": self.sheet, "row": self.row}
        if self.column is not None:
            out["column"] = self.column
        return out


@dataclass(frozen=True)
class Figure:
    """A figure (money in 分, or an exact rate) with its provenance.

    >>> Figure.stated(100, Ref("专项资金", 2, "全年预算数")).record()
    {'kind': 'stated', 'sheet': '专项资金', 'row': 2, 'column': '全年预算数'}
    >>> Figure.not_stated().record()
    {'kind': 'not_stated'}
    """

    value: int | Fraction | None
    provenance: Provenance
    refs: tuple[Ref, ...] = ()
    inputs: tuple[str, ...] = ()

    @classmethod
    def stated(cls, value: int | Fraction | None, ref: Ref | None) -> Figure:
        """A figure the input states (at ``ref``); not stated when ``value`` is None."""
        if value is None:
            return cls.not_stated()
        return cls(value, Provenance.STATED, (ref,) if ref is not None else ())

    @classmethod
    def summed(cls, value: int | None, refs: tuple[Ref, ...]) -> Figure:
        """The sum of the stated figures at ``refs``."""
        if value is None:
            return cls.not_stated()
        return cls(value, Provenance.SUMMED, refs)

    @classmethod
    def computed(cls, value: int | Fraction | None, *inputs: str) -> Figure:
        """A figure worked out from others (named as summary.json names them)."""
        if value is None:
            return cls.not_stated()
        return cls(value, Provenance.COMPUTED, (), inputs)

    @classmethod
    def not_stated(cls) -> Figure:
        """A figure the input does not give (未注明)."""
        return cls(None, Provenance.NOT_STATED)

    @property
    def known(self) -> bool:
        """True when the figure has a value."""
        return self.value is not None

    def record(self) -> dict[str, Any]:
        """The provenance as plain values for summary.json (the value itself is beside it)."""
        out: dict[str, Any] = {"kind": str(self.provenance)}
        if self.provenance is Provenance.STATED and self.refs:
            out.update(self.refs[0].record())
        elif self.provenance is Provenance.SUMMED:
            out["sources"] = [r.record() for r in self.refs]
        elif self.provenance is Provenance.COMPUTED:
            out["from"] = list(self.inputs)
        return out


def ref_of(row: pd.Series | dict[str, Any], column: str | None = None, sheet: str | None = None) -> Ref | None:
    """The :class:`Ref` of a processed row, from its ``input_ref`` (``file:sheet:row``); None when
    the row does not say where it was read.

    >>> ref_of({"input_ref": "fund-2023.xlsx:专项资金:2"}, "全年预算数")
    Ref(sheet='专项资金', row=2, column='全年预算数')
    """
    ref = row.get("input_ref") if hasattr(row, "get") else None
    if ref is None or (not isinstance(ref, str) and pd.isna(ref)):
        return Ref(sheet, None, column) if sheet is not None else None
    parts = str(ref).rsplit(":", 2)
    if len(parts) < 3:
        return Ref(sheet, None, column) if sheet is not None else None
    return Ref(sheet or parts[1], int(parts[2]) if parts[2].isdigit() else None, column)
