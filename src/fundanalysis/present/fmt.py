"""The one formatting module: amounts, percentages, counts and ranks as every page, table,
sentence and chart shows them.

Money arrives as integer 分 and is shown in 万元 with at most two decimals (or in exact 元 where
万元 would round it); percentages are
rounded half up (四舍五入) from the exact value, so a chart label, a table cell and a sentence
showing the same figure always agree.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

#: Shown where a figure is missing.
MISSING = "—"


def _missing(x: Any) -> bool:
    return x is None or (not isinstance(x, str | Fraction) and pd.isna(x))


def wan(fen: Any, suffix: str = "", decimals: int = 2) -> str:
    """Integer 分 as 万元 with at most ``decimals`` decimals, rounded half up; "—" when missing.

    >>> wan(71_900_000), wan(1_000_000_000, "万元"), wan(868_700_000, " 万元"), wan(None), wan(-1)
    ('71.9', '1,000万元', '868.7 万元', '—', '0')
    """
    if _missing(fen):
        return MISSING
    q = Decimal(int(fen)).scaleb(-6).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{q.copy_abs() if q.is_zero() else q:,.{decimals}f}"  # never "-0"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + suffix


def yuan(fen: Any, suffix: str = "") -> str:
    """Integer 分 as exact 元 with two decimals, for amounts that 万元 would round.

    >>> yuan(140_920_540, "元"), yuan(None)
    ('1,409,205.40元', '—')
    """
    if _missing(fen):
        return MISSING
    return f"{Decimal(int(fen)).scaleb(-2):,.2f}{suffix}"


def needs_yuan(amounts: Any) -> bool:
    """True if showing these amounts in 万元 (two decimals) would round any of them: use 元.

    >>> needs_yuan([71_900_000, 1_000_000]), needs_yuan([140_920_540])
    (False, True)
    """
    return any(int(a) % 10_000 for a in amounts if not _missing(a))


def money_unit(amounts: Any) -> str:
    """The unit a group of amounts is shown in together: 万元, or 元 where 万元 would round one.

    >>> money_unit([160_000_000, 155_000_000]), money_unit([140_920_540, 0])
    ('万元', '元')
    """
    return "元" if needs_yuan(amounts) else "万元"


def in_unit(fen: Any, unit: str) -> str:
    """Integer 分 as a number of ``unit`` (万元 or 元), without the unit; "—" when missing.

    >>> in_unit(160_000_000, "万元"), in_unit(2_000, "元"), in_unit(-0, "万元")
    ('160', '20.00', '0')
    """
    return yuan(fen) if unit == "元" else wan(fen)


def money(fen: Any, sep: str = " ") -> str:
    """An amount with its unit, as a sentence says it: 万元 unless that would round it.

    >>> money(160_000_000), money(2_000), money(140_920_540, ""), money(None)
    ('160 万元', '20.00 元', '1,409,205.40元', '—')
    """
    if _missing(fen):
        return MISSING
    unit = money_unit([fen])
    return f"{in_unit(fen, unit)}{sep}{unit}"


def signed_wan(fen: Any) -> str:
    """A change of money in 万元 with its sign: ``+61.3`` or ``−5``.

    >>> signed_wan(61_300_000), signed_wan(-5_000_000)
    ('+61.3', '−5')
    """
    if _missing(fen):
        return MISSING
    return ("+" if int(fen) >= 0 else "−") + wan(abs(int(fen)))


def _exact(x: Any) -> Decimal:
    """A ratio as an exact decimal: a Fraction exactly, a float by its shortest repr."""
    if isinstance(x, Fraction):
        return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(repr(float(x)))


def pct(x: Any, places: int = 2) -> str:
    """A ratio (fraction of 1) as a percentage, rounded half up; "—" when missing.

    >>> pct(0.8687), pct(1 / 80, 1), pct(Fraction(1, 3), 1), pct(float("nan")), pct(-0.00001)
    ('86.87%', '1.3%', '33.3%', '—', '0.00%')
    """
    if _missing(x):
        return MISSING
    q = (_exact(x) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q.copy_abs() if q.is_zero() else q}%"  # never "-0.00%"


def pct_of(num: Any, den: Any, places: int = 2) -> str:
    """The exact percentage ``num ÷ den`` of two integers; "—" when the base is 0 or missing.

    >>> pct_of(868_700_000, 1_000_000_000), pct_of(1, 80, 1), pct_of(1, 0)
    ('86.87%', '1.3%', '—')
    """
    if _missing(num) or _missing(den) or not int(den):
        return MISSING
    return pct(Fraction(int(num), int(den)), places)


def points(x: Any, places: int = 2) -> str:
    """A change of a ratio in percentage points with its sign, e.g. ``+1.25``."""
    if _missing(x):
        return MISSING
    q = (_exact(x) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q.copy_abs():+}" if q.is_zero() else f"{q:+}"


def count(n: Any) -> str:
    """A count as a whole number with thousands separators (never ``2.0``); "—" when missing.

    >>> count(1234), count(2.0), count(None)
    ('1,234', '2', '—')
    """
    return MISSING if _missing(n) else f"{int(n):,}"


def rank(n: Any) -> str:
    """A rank as the tables show it: ``第 3 名``; "—" when there is none."""
    return MISSING if _missing(n) else f"第 {int(n)} 名"


def text(v: Any) -> str:
    """Any value as text; "—" when missing."""
    return MISSING if _missing(v) else str(v)


def check_unit(unit: Any, values: Any) -> str:
    """The unit a reconciliation row is shown in: money (``元`` inside, integer 分) in 万元, or
    in 元 where 万元 would round one of its amounts; any other unit as it is.

    >>> check_unit("元", [160_000_000, 155_000_000, -5_000_000]), check_unit("元", [2_000]), check_unit("个", [7])
    ('万元', '元', '个')
    """
    if unit == "元" and not any(isinstance(v, str) for v in values):
        return money_unit(values)
    return text(unit) if _missing(unit) else str(unit)


def check_value(v: Any, unit: str) -> str:
    """One value of a reconciliation row in the unit :func:`check_unit` chose for the row: money in
    万元 or 元, rates as percentages, points as the form writes them, counts as whole numbers.

    >>> check_value(160_000_000, "万元"), check_value(2.0, "个"), check_value("1/4", "比例"), check_value(None, "元")
    ('160', '2', '1/4', '—')
    """
    if _missing(v):
        return MISSING
    if unit in ("万元", "元") and not isinstance(v, str):
        return in_unit(v, unit)
    if unit == "%":
        return pct(Fraction(str(v)))
    if unit == "分":
        from fundanalysis.present.form import points as form_points

        return form_points(v)
    if isinstance(v, str):
        return v
    if (isinstance(v, float) and v.is_integer()) or isinstance(v, int):
        return count(v)
    return str(v)


def check_amount(v: Any, unit: str) -> str:
    """A reconciliation value with its unit, as a sentence says it (``160 万元``, ``7 个``).

    >>> check_amount(160_000_000, "万元"), check_amount(7, "个"), check_amount(None, "元")
    ('160 万元', '7 个', '—')
    """
    shown = check_value(v, unit)
    if shown == MISSING or unit in ("%", "比例") or _missing(unit):
        return shown
    return f"{shown} {unit}"
