"""Cells a year's input still marks 待核对 (readings of ``fundanalysis extract`` no person has cleared)."""

from __future__ import annotations

from collections.abc import Mapping

from fundanalysis.ingest.specs import TO_CHECK


def open_doubts(tables: Mapping[str, object]) -> int:
    """How many 待核对 cells a year's processed tables still hold (a draft not yet confirmed): each is a
    row whose figures ``fundanalysis extract`` marked and a person has not cleared.

    >>> import pandas as pd
    >>> open_doubts({"fund": pd.DataFrame({"to_check": ["金额未注明单位", None]}), "lines": pd.DataFrame({"x": [1]})})
    1
    """
    n = 0
    for df in tables.values():
        col = getattr(df, "columns", ())
        if TO_CHECK.field in col:
            n += sum(1 for v in df[TO_CHECK.field] if isinstance(v, str) and v.strip())  # type: ignore[index,misc]
    return n
