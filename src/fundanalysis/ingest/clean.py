"""Pure cleaning functions: money strings to integer 元, names, headers, counts.

Money is never a float here: text is parsed with :class:`decimal.Decimal` or integer
arithmetic on digit strings, and the result is an exact number of 元.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from fundanalysis.config import DEFAULT_MONEY_UNIT, MAX_AMOUNT_YUAN

#: Multipliers to 元 as powers of ten.
MONEY_UNITS: dict[str, int] = {"元": 0, "万元": 4, "万": 4, "亿元": 8, "亿": 8}
#: 分 per 元, as a power of ten: amounts are kept in integer 分.
FEN = 2

#: Largest count accepted (a count beyond it is a typo).
MAX_COUNT = 2**53
#: Thousands separators: a comma is only read as one between groups of three digits.
_GROUPED_RE = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\D*$")

_MONEY_RE = re.compile(r"^(?P<sign>[-+]?)(?P<int>\d+)(?:\.(?P<frac>\d+))?(?P<unit>\D*)$")
_NUMBERING_RE = re.compile(
    r"^(?:\s*(?:[（(][一二三四五六七八九十百\d]+[）)]|[一二三四五六七八九十百]+、|\d+(?:、|[.．](?!\d))))+\s*"
)
_SPACES_RE = re.compile(r"\s+")
#: Runs of white space a text cell's cleaning collapses to one space (Python's and Arrow's regex alike).
SPACE_RUNS = "[ \t\r\n\f\v\u3000\xa0]+"
_SPACE_RUNS_RE = re.compile(SPACE_RUNS)
#: Where a name may start with list numbering (a cheap test before :data:`_NUMBERING_RE`).
_MAYBE_NUMBERED_RE = re.compile("[ ]*[（(一二三四五六七八九十百0-9]")
#: Digits accepted in amounts before NFKC: ASCII and full-width. Others (①, ², ٣) are refused,
#: since NFKC would turn list markers such as "①5万元" into silently wrong money.
_PLAIN_DIGITS = "[0-9０-９]"
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}


#: Arrow-backed strings: vectorised string operations run in C (RE2) instead of per row.
_FAST_STR = pd.StringDtype("pyarrow")


class CleanError(ValueError):
    """A value that cannot be cleaned; the message says why."""


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


#: Currency marks (after NFKC, which makes ￥ ¥): each says the amount is in 元 unless a unit
#: (万元, 亿元) follows the number. Python's and Arrow's regex read this pattern alike.
CURRENCY_MARKS = "[¥]|(?i:rmb|cny)|人民币"
_CURRENCY_RE = re.compile(CURRENCY_MARKS)


def _normalise_money_text(text: str) -> tuple[str, bool]:
    """The amount's text without spaces and currency marks, and whether it had a mark."""
    text = unicodedata.normalize("NFKC", text)
    marked = _CURRENCY_RE.search(text) is not None
    return re.sub(r"\s", "", _CURRENCY_RE.sub("", text)), marked


def marked_without_unit(s: pd.Series) -> pd.Series:
    """Which cells are text with a currency mark and no unit (``¥719,000``, ``RMB 719000``): read
    as 元, which a column whose header says 万元 contradicts (booleans, by the index of ``s``).

    >>> marked_without_unit(pd.Series(["¥719,000", "¥71.9万元", "719000", 5, None])).tolist()
    [True, False, False, False, False]
    """
    text = (s if isinstance(s.dtype, pd.StringDtype) else s.map(lambda v: v if isinstance(v, str) else None)
            ).astype(_FAST_STR)
    nfkc = text.str.normalize("NFKC")
    marked = nfkc.str.contains(CURRENCY_MARKS, regex=True)
    rest = nfkc.str.replace(f"[\\s,]|{CURRENCY_MARKS}", "", regex=True)
    bare = rest.str.fullmatch(r"[-+]?[0-9]+(?:\.[0-9]+)?")
    return (marked & bare).fillna(False).astype(bool)


def _drop_thousands(norm: str, value: Any) -> str:
    """Remove thousands separators; refuse a comma that is not one (``73,8万元``: a decimal comma?)."""
    if "," not in norm:
        return norm
    if _GROUPED_RE.match(norm):
        return norm.replace(",", "")
    as_point = norm.replace(",", ".", 1) if norm.count(",") == 1 else None
    reading = f"; is it {as_point} (a decimal comma) or {norm.replace(',', '')}?" if as_point else ""
    raise CleanError(f"amount {value!r} has a comma that is not a thousands separator (those "
                     f"separate groups of three digits){reading} Write decimals with a point, "
                     "e.g. 73.8万元")


def parse_money(value: Any, default_unit: str = DEFAULT_MONEY_UNIT, signed: bool = False) -> int:
    """Parse an amount as written in a report into exact integer 分 (1 元 = 100 分).

    Bare numbers are read in ``default_unit``; a number with a currency mark (¥, ￥, RMB, CNY,
    人民币) and no unit is in 元, whatever the column's unit (``¥719,000`` is 71.9万元). Full-width
    digits, spaces and thousands separators are accepted; junk, fractions of a 分 and (unless
    ``signed``, as for 调整数) negative amounts are not.

    >>> parse_money("71.9万元")
    71900000
    >>> parse_money("1,409,205.40元")
    140920540
    >>> parse_money(1.5, default_unit="亿元")
    15000000000
    >>> parse_money("-20万元", signed=True)
    -20000000
    >>> parse_money("¥719,000") == parse_money("人民币719000") == parse_money("71.9万元")
    True
    """
    if isinstance(value, np.generic):
        value = value.item()  # messages show 1e+20, not np.float64(1e+20)
    if _is_blank(value):
        raise CleanError("amount is empty")
    if isinstance(value, bool):
        raise CleanError(f"amount {value!r} is not a number")
    if isinstance(value, int | np.integer):
        text = str(int(value))
    elif isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise CleanError(f"amount {value!r} is not a finite number")
        text = _float_text(float(value))
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        raise CleanError(f"amount {value!r} has unsupported type {type(value).__name__}")
    stripped, marked = _normalise_money_text(text)
    norm = _drop_thousands(stripped, value)
    if len(re.findall(r"\d", norm)) != len(re.findall(_PLAIN_DIGITS, text)):
        raise CleanError(f"amount {value!r} has digits other than 0-9 (such as ① or ²)")
    m = _MONEY_RE.match(norm)
    if not m:
        raise CleanError(f"amount {value!r} is not a number with a unit such as 万元")
    unit = m["unit"] or ("元" if marked else default_unit)
    if unit not in MONEY_UNITS and _is_junk_unit(unit):
        raise CleanError(f"amount {value!r} is not a number with a unit such as 万元")
    if unit not in MONEY_UNITS:
        raise CleanError(f"amount {value!r} has unknown unit {unit!r} (use 元, 万元 or 亿元)")
    negative = m["sign"] == "-" and bool(m["int"].strip("0") or (m["frac"] or "").strip("0"))
    if negative and not signed:
        raise CleanError(f"amount {value!r} is negative")
    try:
        dec = Decimal(f"{m['int']}.{m['frac'] or '0'}").scaleb(MONEY_UNITS[unit] + FEN)
    except InvalidOperation as exc:  # pragma: no cover - regex guarantees digits
        raise CleanError(f"amount {value!r} is not a number") from exc
    if dec != dec.to_integral_value():
        raise CleanError(f"amount {value!r} is not a whole number of 分 (0.01 元)")
    if dec > MAX_AMOUNT_YUAN * 10**FEN:
        raise CleanError(f"amount {value!r} is too large (more than {MAX_AMOUNT_YUAN:,} 元, "
                         "the limit for one amount)")
    return -int(dec) if negative else int(dec)


def _is_junk_unit(unit: str) -> bool:
    """True if a unit text mixes a money unit with non-Chinese junk (``x万元``).

    A unit made only of Chinese characters (``美元``, ``万元整``) is an unknown unit,
    reported as such, not junk.
    """
    return any(ch in unit for ch in "元万亿") and re.search(r"[^\u4e00-\u9fff]", unit) is not None


def distinct_cells(s: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """The column as codes into its distinct cells (first seen first); a missing cell (None, NaN,
    NA) has code -1. Cells of mixed types are told apart by type as well as value (``1``, ``1.0``
    and ``True`` are three cells, which a parser reads or refuses differently).

    >>> codes, cells = distinct_cells(pd.Series(["5万元", 1, None, "5万元", True, 1.0], dtype=object))
    >>> codes.tolist(), cells
    ([0, 1, -1, 0, 2, 3], ['5万元', 1, True, 1.0])
    """
    if s.dtype != object:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        return codes, list(uniques)
    seen: dict[tuple[type, Any], int] = {}
    cells: list[Any] = []
    codes = np.empty(len(s), dtype=np.intp)
    for k, v in enumerate(s.tolist()):
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            codes[k] = -1
            continue
        key = (type(v), v)
        code = seen.get(key)
        if code is None:
            code = seen[key] = len(cells)
            cells.append(v)
        codes[k] = code
    return codes, cells


def parse_money_series(
    s: pd.Series, default_unit: str = DEFAULT_MONEY_UNIT, signed: bool = False
) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_money` over a column, each distinct cell once (:func:`distinct_cells`).

    Returns ``(fen, error)``: ``fen`` is nullable Int64 分 (NA where the value is blank or bad)
    and ``error`` holds :func:`parse_money`'s reason for each bad value (NA elsewhere).

    >>> fen, err = parse_money_series(pd.Series(["71.9万元", 5, None, "x", "71.9万元"]))
    >>> fen.tolist()
    [71900000, 5000000, <NA>, <NA>, 71900000]
    >>> err[3]
    "amount 'x' is not a number with a unit such as 万元"
    """
    codes, cells = distinct_cells(s)
    fen: list[Any] = []
    why: list[Any] = []
    for v in cells:
        if _is_blank(v):
            fen.append(pd.NA)
            why.append(pd.NA)
            continue
        try:
            fen.append(parse_money(v, default_unit, signed))
            why.append(pd.NA)
        except CleanError as exc:
            fen.append(pd.NA)
            why.append(str(exc))
    out = pd.array(fen, dtype="Int64").take(codes, allow_fill=True)
    err = np.array([*why, pd.NA], dtype=object)[codes]  # code -1: the NA at the end
    return pd.Series(out, index=s.index), pd.Series(err, index=s.index, dtype="object")


def _float_text(value: float) -> str:
    """A float as the decimal text :func:`parse_money` reads: shortest repr, no exponent."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def strip_numbering(name: Any) -> Any:
    """Strip list numbering (``1、``, ``（一）``, ``3.``) and surrounding whitespace from a name.

    >>> strip_numbering("（一）工业互联网项目")
    '工业互联网项目'
    >>> strip_numbering(" 1、两化融合管理体系贯标 ")
    '两化融合管理体系贯标'
    """
    if _is_blank(name):
        return None
    text = _SPACES_RE.sub(" ", str(name)).strip()
    return _NUMBERING_RE.sub("", text).strip()


def strip_name_numbering(text: str) -> str | None:
    """A name cell's text as the input tables keep it: white-space runs as one space, list
    numbering dropped; None if nothing is left.

    >>> strip_name_numbering("（二）\u3000工业互联网  平台 ")
    '工业互联网 平台'
    """
    text = _SPACE_RUNS_RE.sub(" ", text).strip()
    if _MAYBE_NUMBERED_RE.match(text):
        text = _NUMBERING_RE.sub("", text).strip()
    return text or None


def strip_numbering_series(s: pd.Series) -> pd.Series:
    """:func:`strip_name_numbering` over a string Series (blank → NA), each distinct name once."""
    codes, uniques = pd.factorize(s.astype(_FAST_STR), use_na_sentinel=True)
    u = pd.array([strip_name_numbering(v) for v in uniques], dtype="string")
    return pd.Series(u.take(codes, allow_fill=True), index=s.index, dtype="string")


def clean_text(value: Any) -> str | None:
    """Collapse whitespace in a text cell; blank becomes None. Numbers become their text."""
    if _is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES_RE.sub(" ", str(value)).strip()


def normalise_header(header: Any) -> str:
    """Normalise a header for matching: NFKC, no whitespace, unit suffix in brackets dropped.

    >>> normalise_header(" 奖励金额（万元） ")
    '奖励金额'
    """
    if _is_blank(header):
        return ""
    text = unicodedata.normalize("NFKC", str(header))
    text = re.sub(r"\s+", "", text)
    return re.sub(r"\(.*\)$", "", text)


def header_unit(header: Any) -> str | None:
    """The unit a header states in trailing brackets, normalised like the header; None if none.

    >>> header_unit("奖励金额（万元）"), header_unit("金额 ( 元 )"), header_unit("金额")
    ('万元', '元', None)
    """
    if _is_blank(header):
        return None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(header)))
    m = re.search(r"\((.*)\)$", text)
    return m.group(1) if m else None


def parse_count(value: Any) -> int:
    """Parse a non-negative whole count such as ``53``, ``53.0``, ``"５３家"`` or ``"72个"``.

    >>> parse_count("72个")
    72
    """
    if _is_blank(value):
        raise CleanError("count is empty")
    if isinstance(value, bool):
        raise CleanError(f"count {value!r} is not a number")
    if isinstance(value, int | np.integer):
        n = int(value)
    elif isinstance(value, float | np.floating):
        if not np.isfinite(value) or not float(value).is_integer():
            raise CleanError(f"count {value!r} is not a whole number")
        n = int(value)
    else:
        text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value)))
        m = re.fullmatch(r"([-+]?\d+)(?:\.0+)?(个|家|项|类|篇|人|次)?", text)
        if not m:
            cn = re.fullmatch(r"([一二两三四五六七八九十]+)(个|家|项|类|篇)?", text)
            if not cn:
                raise CleanError(f"count {value!r} is not a whole number")
            n = parse_chinese_number(cn.group(1))
        else:
            n = int(m.group(1))
    if n < 0:
        raise CleanError(f"count {value!r} is negative")
    if n > MAX_COUNT:
        raise CleanError(f"count {value!r} is too large")
    return n


def parse_chinese_number(text: str) -> int:
    """Parse a small Chinese numeral (up to 99), e.g. ``三`` → 3, ``十二`` → 12.

    >>> parse_chinese_number("二十三")
    23
    """
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        raise CleanError(f"{text!r} is not a Chinese numeral")
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _CN_DIGITS[tens] if tens else 1
        o = _CN_DIGITS[ones] if ones else 0
        return t * 10 + o
    if len(text) != 1:
        raise CleanError(f"{text!r} is not a Chinese numeral")
    return _CN_DIGITS[text]


def parse_rank(value: Any) -> int:
    """Parse a rank written as ``3``, ``第三`` or ``第3名``.

    >>> parse_rank("第三")
    3
    """
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        n = parse_count(value)
    else:
        text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value)))
        m = re.fullmatch(r"第?(\d+|[一二三四五六七八九十]+)名?", text)
        if not m:
            raise CleanError(f"rank {value!r} is not a number such as 3 or 第三")
        g = m.group(1)
        n = int(g) if g.isdigit() else parse_chinese_number(g)
    if n < 1:
        raise CleanError(f"rank {value!r} must be 1 or more")
    return n


def parse_fraction(value: Any) -> Fraction:
    """Parse a share between 0 and 1 written as ``1/4``, ``25%`` or ``0.25``.

    >>> parse_fraction("1/4")
    Fraction(1, 4)
    """
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value)))
    try:
        if text.endswith("%"):
            share = Fraction(Decimal(text[:-1])) / 100
        elif "/" in text:
            num, den = text.split("/", 1)
            share = Fraction(int(num), int(den))
        else:
            share = Fraction(Decimal(text))
    except (ValueError, ZeroDivisionError, InvalidOperation, OverflowError) as exc:
        raise CleanError(f"share {value!r} is not a fraction such as 1/4 or 25%") from exc
    if not 0 <= share <= 1:
        raise CleanError(f"share {value!r} is not between 0 and 1")
    return share


def parse_year(value: Any) -> int:
    """Parse a four-digit year."""
    from fundanalysis.config import MAX_YEAR, MIN_YEAR

    try:
        n = parse_count(value)
    except CleanError:
        n = None
    if n is None or not MIN_YEAR <= n <= MAX_YEAR:
        raise CleanError(f"year {value!r} is not a year between {MIN_YEAR} and {MAX_YEAR}")
    return n


def parse_stated(value: Any) -> tuple[int, str]:
    """Parse a stated total: money to ``(分, "元")`` (the unit says it is money), a count to
    ``(n, unit)``.

    >>> parse_stated("868.7万元")
    (868700000, '元')
    >>> parse_stated("72个")
    (72, '个')
    >>> parse_stated("-20万元")
    (-20000000, '元')
    """
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value)))
    m = re.fullmatch(r"[-+]?[\d.,]+(元|万元|万|亿元|亿)", text)
    if m:
        return parse_money(text, signed=True), "元"
    unit_m = re.fullmatch(r"[\d.]+(\D*)", text)
    unit = unit_m.group(1) if unit_m else ""
    try:
        return parse_count(value), unit
    except CleanError as exc:
        raise CleanError(f"stated value {value!r} is neither a count such as 91个 nor an amount "
                         f"such as 868.7万元 ({exc})") from exc


#: Invisible format characters (zero-width space and joiners, direction marks, BOM, soft hyphen)
#: that copying from web pages and Word leaves in names; they are dropped from text cells.
INVISIBLE_CHARS = ("\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                   "\u2060\u2061\u2062\u2063\u2064\ufeff\u061c\u2066\u2067\u2068\u2069\u180e")
#: Control characters (other than tab and line breaks, which are whitespace): refused in text.
CONTROL_CLASS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_KEY_DROP = re.compile(r"[\s" + INVISIBLE_CHARS + "]+")


#: Letters of other scripts that look like Latin ones (after case folding): a name typed with a
#: Cyrillic "с" or a Greek "ο" is the same name as the one typed with Latin letters. A small
#: explicit table of the common ones (upper-case look-alikes included, as their lower case), not
#: the whole Unicode confusables list; full-width letters are folded by NFKC already.
CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "һ": "h", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "y", "χ": "x", "ζ": "z", "ϲ": "c",
    # Latin look-alikes
    "ı": "i", "ɡ": "g",
})


def name_key(name: Any) -> str:
    """The form in which two names are compared: NFKC (bracket and digit width), case folded,
    without whitespace, invisible or direction characters, look-alike letters of other scripts
    folded to Latin (:data:`CONFUSABLES`).

    >>> name_key("中汽研(天津)汽车") == name_key("中汽研（天津）汽车\\u200b")
    True
    >>> name_key("CCTV新闻") == name_key("\\u0421\\u0421TV新闻\\u2066")  # Cyrillic С, a bidi isolate
    True
    """
    if _is_blank(name):
        return ""
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", str(name)).casefold().translate(CONFUSABLES))


#: Characters whose names compare the same in Arrow as in Python: printable ASCII, CJK symbols and
#: punctuation, the CJK unified ideographs and full-width ASCII. NFKC and case folding treat them
#: alike in every Unicode version (full width to ASCII, upper to lower case), and the only space
#: among them after NFKC is " ". Names with any other character are keyed by :func:`name_key`.
_PLAIN_NAME_RE2 = r"^[\x{20}-\x{7e}\x{3000}-\x{303f}\x{4e00}-\x{9fff}\x{ff01}-\x{ff5e}]*$"


#: Names that are their own key: printable ASCII without spaces or capitals, and CJK unified
#: ideographs (NFKC and case folding leave these characters as they are). Such a name has no
#: white space, control or invisible character either: cleaning leaves it as it is.
_OWN_KEY_RE2 = r"^[\x{21}-\x{40}\x{5b}-\x{7e}\x{4e00}-\x{9fff}]+$"


def own_keys(s: pd.Series) -> np.ndarray:
    """Which names are their own key (:data:`_OWN_KEY_RE2`; blank and empty names are not): one
    pass of Arrow's regex over the column, as booleans by position.

    >>> own_keys(pd.Series(["常州市工信局", "ABC", "abc", " x", None])).tolist()
    [True, False, True, False, False]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    got = pa.array(s.astype(_FAST_STR).array)
    arr = got if isinstance(got, pa.ChunkedArray) else pa.chunked_array([got], got.type)
    return pc.fill_null(pc.match_substring_regex(arr, _OWN_KEY_RE2), False).to_numpy(zero_copy_only=False)


def name_keys(s: pd.Series) -> pd.Series:
    """Vectorised :func:`name_key` (blank → empty string), as Arrow-backed strings.

    Names that are their own key (:func:`own_keys`, most Chinese names) are kept; other names
    made only of the common characters (:data:`_PLAIN_NAME_RE2`) are keyed in Arrow (NFKC, lower
    case, spaces dropped: the same as :func:`name_key` for them); any other name by
    :func:`name_key` itself.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = s.astype(_FAST_STR).fillna("")
    got = pa.array(text.array)
    arr = got if isinstance(got, pa.ChunkedArray) else pa.chunked_array([got], got.type)
    own = own_keys(text)
    if own.all():
        return pd.Series(text.array, index=s.index, dtype=_FAST_STR)
    out = text.reset_index(drop=True)
    rest = np.flatnonzero(~own)
    sub = pc.take(arr, pa.array(rest))
    plain = pc.match_substring_regex(sub, _PLAIN_NAME_RE2).to_numpy(zero_copy_only=False)
    keys = pc.replace_substring(pc.utf8_lower(pc.utf8_normalize(sub, "NFKC")), " ", "")
    keyed = pd.Series(pd.arrays.ArrowStringArray(keys), dtype=_FAST_STR)
    if not plain.all():
        odd = np.flatnonzero(~plain)
        keyed.iloc[odd] = text.iloc[rest[odd]].map(name_key).astype(_FAST_STR).to_numpy()
    out.iloc[rest] = keyed.to_numpy()
    out.index = s.index
    return out


def visible_difference(a: str, b: str) -> str:
    """Where two names that look alike differ, with the characters named, or "" if they do not.

    >>> visible_difference("中汽研（天津）", "中汽研(天津)")
    "character 4: '（' U+FF08 FULLWIDTH LEFT PARENTHESIS vs '(' U+0028 LEFT PARENTHESIS"
    """
    from difflib import SequenceMatcher

    from fundanalysis.errors import char_name

    if a == b:
        return ""
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        left = " ".join(char_name(c) for c in a[i1:i2][:3]) or "nothing"
        right = " ".join(char_name(c) for c in b[j1:j2][:3]) or "nothing"
        return f"character {i1 + 1}: {left} vs {right}"
    return ""


_RANK_IN_TEXT = re.compile(r"第\s*(\d+|[一二三四五六七八九十]+)")


def rank_in_text(text: Any) -> int | None:
    """The rank a text such as ``列全省第三`` states, or None (``前列`` states no number).

    >>> rank_in_text("位居全省第四"), rank_in_text("位居全省前列")
    (4, None)
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    m = _RANK_IN_TEXT.search(str(text))
    return parse_rank(m.group(1)) if m else None


#: Wordings that state a place without a number (位居全省前列, 名列前茅, 前三, 领先, 第一方阵).
TEXT_RANK = re.compile(r"前列|前茅|前\s*[\d一二三四五六七八九十]+|领先|居首|第一方阵")


def is_text_rank(text: Any) -> bool:
    """True if a rank's wording states a place only in words (``前列``), not a number.

    >>> is_text_rank("位居全省前列"), is_text_rank("列全省第三"), is_text_rank("全省仅6家")
    (True, False, False)
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return False
    return rank_in_text(text) is None and TEXT_RANK.search(str(text)) is not None
