"""Numbers as Chinese reports write them: numerals, full-width digits, amounts and counts.

Money is exact: amounts become integer 分 (fen), never floats. Matching runs on
:func:`halfwidth` text, which has the same length as the original, so every span found
here is also a span of the report's own text.

>>> amount_fen("71.9万元")
71900000
>>> [m.text for m in find_amounts("全年执行７１.９ 万元，另安排1,409,205.40元")]
['７１.９ 万元', '1,409,205.40元']
>>> [(c.value, c.unit) for c in find_counts("其中五星级11家，共包括五类72个项目")]
[(11, '家'), (5, '类'), (72, '个')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

#: Chinese digits, including the financial forms.
CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
    "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
#: Chinese place markers below 万.
CN_SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
#: Chinese section markers.
CN_BIG_UNITS: dict[str, int] = {"万": 10**4, "亿": 10**8}

#: Money units and their value in 分.
MONEY_UNITS: dict[str, int] = {"元": 100, "万元": 10**6, "万": 10**6, "亿元": 10**10, "亿": 10**10}
#: How a money unit is written in normalised amount text.
MONEY_UNIT_TEXT: dict[str, str] = {"元": "元", "万元": "万元", "万": "万元", "亿元": "亿元", "亿": "亿元"}
#: Units of counted things, longest first.
COUNT_UNITS: tuple[str, ...] = ("人次", "家", "个", "项", "类", "篇", "人", "次", "件", "套", "台", "户", "所", "条",
                                "场", "批", "期", "名", "张", "份", "款",
                                # measures, for results such as 新建高标准农田1.2万亩
                                "平方米", "立方米", "公里", "千米", "公顷", "公斤", "千克", "千瓦", "亩", "吨", "座",
                                "辆", "棵", "株", "头")

_CN_CHARS = "".join(CN_DIGITS) + "".join(CN_SMALL_UNITS)
#: A Chinese numeral (without 万/亿, which are handled where they may be a unit).
CN_NUM = f"[{_CN_CHARS}]+"
#: An Arabic number on half-width text: thousands separators and decimals allowed.
ARABIC_NUM = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
#: Any number: Arabic, or Chinese with an optional 万/亿 section.
NUM = rf"(?:{ARABIC_NUM}|{CN_NUM}(?:[万亿]{CN_NUM})?)"

_AMOUNT_RE = re.compile(
    rf"(?<![\d.{_CN_CHARS}])(?<!\d[,，])(?P<num>{ARABIC_NUM}|(?:{CN_NUM}[万亿])*{CN_NUM}(?:点[{''.join(CN_DIGITS)}]+)?)"
    r"\s*(?P<unit>亿元|万元|元|亿(?![\u4e00-\u9fff])|万(?![\u4e00-\u9fff]))"
)
_UNITS = "|".join(COUNT_UNITS)
_COUNT_RE = re.compile(
    rf"(?<![\d.第{_CN_CHARS}])(?<!\d[,，])(?<!第 )(?P<num>{ARABIC_NUM}|{CN_NUM})"
    rf"\s*(?P<mult>[万亿](?=\s*(?:{_UNITS})))?\s*(?P<unit>{_UNITS})(?!月|百分点|工作日|小时|亿|万)"
)
_PERCENT_RE = re.compile(rf"(?<![\d.])(?P<num>{ARABIC_NUM})\s*[%％]|百分之(?P<cn>{CN_NUM}(?:点{CN_NUM})?)")
_FRACTION_RE = re.compile(rf"(?P<a>\d+)\s*/\s*(?P<b>\d+)|(?P<cb>{CN_NUM})分之(?P<ca>{CN_NUM})|(?P<half>一半)")

_HALFWIDTH = {**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "％": "%", "＋": "+", "－": "-",
              "／": "/", "\u3000": " ", "\xa0": " "}
_HALFWIDTH_TABLE = str.maketrans(_HALFWIDTH)


def halfwidth(text: str) -> str:
    """Full-width digits and number signs as ASCII; same length, so spans carry over.

    >>> halfwidth("９０ 万元，占１０％")
    '90 万元，占10%'
    """
    return text.translate(_HALFWIDTH_TABLE)


def parse_cn_int(text: str) -> int:
    """The value of a Chinese numeral: 三, 十二, 两, 二十三, 一百零五, 〇, 二〇一九, 一万二千.

    >>> [parse_cn_int(t) for t in ("三", "十二", "两", "二十三", "一百零五", "〇", "二〇一九", "一万二千")]
    [3, 12, 2, 23, 105, 0, 2019, 12000]
    >>> parse_cn_int("一亿二千二百六十七万六千六百"), parse_cn_int("一亿零五万")
    (122676600, 100050000)
    """
    if not text or any(ch not in CN_DIGITS and ch not in CN_SMALL_UNITS and ch not in CN_BIG_UNITS for ch in text):
        raise ValueError(f"{text!r} is not a Chinese numeral")
    if all(ch in CN_DIGITS for ch in text):  # read digit by digit: 二〇一九
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_SMALL_UNITS:
            section += (1 if digit is None else digit) * CN_SMALL_UNITS[ch]
            digit = None
        elif ch == "万":  # 万 groups the four digits below it, under any 亿 already read
            total += (section + (digit or 0)) * CN_BIG_UNITS[ch]
            section, digit = 0, None
        else:  # 亿
            total = (total + section + (digit or 0)) * CN_BIG_UNITS[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


def parse_number(text: str) -> Decimal:
    """An exact number from Arabic (full-width, thousands separators) or Chinese numerals.

    >>> parse_number("1,409,205.40"), parse_number("１２"), parse_number("一百零五"), parse_number("三点五")
    (Decimal('1409205.40'), Decimal('12'), Decimal('105'), Decimal('3.5'))
    """
    t = halfwidth(text).replace(",", "").replace("，", "").replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        return Decimal(t)
    whole, _, frac = t.partition("点")
    value = Decimal(parse_cn_int(whole)) if whole else Decimal(0)
    if frac:
        value += Decimal("0." + "".join(str(CN_DIGITS[ch]) for ch in frac))
    return value


def count_value(number: Decimal) -> int | Decimal:
    """A whole number as int, otherwise the exact Decimal.

    >>> count_value(Decimal("12")), count_value(Decimal("1.5"))
    (12, Decimal('1.5'))
    """
    return int(number) if number == number.to_integral_value() else number


def _plain(number: Decimal) -> str:
    """Decimal text without exponent, keeping the digits written."""
    return format(number, "f")


def format_amount(number: str, unit: str = "") -> str:
    """Normalised amount text: ASCII digits, no separators or spaces, decimals as written.

    An amount written without a unit keeps none (the caller marks it uncertain).

    >>> format_amount("1,409,205.40", "元"), format_amount("７１.９", "万元"), format_amount("40", "万")
    ('1409205.40元', '71.9万元', '40万元')
    >>> format_amount("四十", "万元"), format_amount("-50", "万元"), format_amount("12")
    ('40万元', '-50万元', '12')
    """
    t = halfwidth(number).replace(",", "").replace("，", "").replace(" ", "")
    sign = "-" if t.startswith(("-", "−")) else ""
    t = t.lstrip("+-−")
    digits = t if re.fullmatch(r"\d+(?:\.\d+)?", t) else _plain(parse_number(t))
    return f"{sign}{digits}{MONEY_UNIT_TEXT.get(unit, unit)}"


def amount_fen(text: str, default_unit: str | None = None) -> int:
    """Exact integer 分 of an amount text such as ``"71.9万元"``, ``"９０ 万元"`` or ``"1,409,205.40元"``.

    A text without a unit needs ``default_unit``; an amount finer than 1 分 is refused.

    >>> amount_fen("1,409,205.40元"), amount_fen("９０ 万元"), amount_fen("-7.7万元"), amount_fen("5", "万元")
    (140920540, 90000000, -7700000, 5000000)
    """
    t = halfwidth(str(text)).strip().replace(" ", "")
    m = re.fullmatch(r"(?P<sign>[-−+]?)(?P<num>.+?)(?P<unit>亿元|万元|元|亿|万)?", t)
    if not m:
        raise ValueError(f"{text!r} is not an amount")
    unit = m["unit"] or default_unit
    if unit is None:
        raise ValueError(f"amount {text!r} has no unit")
    try:
        fen = parse_number(m["num"]) * MONEY_UNITS[unit]
    except (ValueError, KeyError, ArithmeticError) as exc:
        raise ValueError(f"{text!r} is not an amount") from exc
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {text!r} is finer than 1 分")
    return -int(fen) if m["sign"] in ("-", "−") else int(fen)


@dataclass(frozen=True)
class AmountMatch:
    """An amount found in text: its span, the text as written and the normalised amount."""

    start: int
    end: int
    text: str
    amount: str
    fen: int
    unit: str


@dataclass(frozen=True)
class CountMatch:
    """A count found in text, such as ``72个`` or ``五类``."""

    start: int
    end: int
    text: str
    value: int | Decimal
    unit: str


@dataclass(frozen=True)
class PercentMatch:
    """A percentage found in text; ``value`` is the number before %."""

    start: int
    end: int
    text: str
    value: int | Decimal


def find_amounts(text: str) -> list[AmountMatch]:
    """Every amount with a money unit (元, 万元, 万, 亿元) in ``text``.

    >>> [(m.amount, m.fen) for m in find_amounts("经费各40万，共计四十万元，新建农田1.2万亩")]
    [('40万元', 40000000), ('40万元', 40000000)]
    >>> [m.fen for m in find_amounts("一亿零五万元，十二万三千四百元")]
    [10005000000, 12340000]
    """
    norm = halfwidth(text)
    out = []
    for m in _AMOUNT_RE.finditer(norm):
        num, unit = m["num"], m["unit"]
        if "亿" in num and unit in ("万元", "万") and not re.search(r"\d", num):
            num, unit = num + "万", "元"  # 一亿零五万元: the 万 is the numeral's, not the unit
        try:
            amount = format_amount(num, unit)
            fen = amount_fen(amount)
        except (ValueError, KeyError):
            continue
        out.append(AmountMatch(m.start(), m.end(), text[m.start():m.end()], amount, fen, MONEY_UNIT_TEXT[unit]))
    return out


def find_counts(text: str) -> list[CountMatch]:
    """Every count with a unit (家, 个, 项, 类, 篇, 人, 次, …) in ``text``.

    Ordinals (第三), months (3个月) and percentage points (2个百分点) are not counts.

    >>> [(c.value, c.unit) for c in find_counts("培训三百二十人次，第3名，12个月，服务1.2万家")]
    [(320, '人次'), (12000, '家')]
    """
    norm = halfwidth(text)
    out = []
    for m in _COUNT_RE.finditer(norm):
        try:
            value = parse_number(m["num"])
        except (ValueError, KeyError):
            continue
        if m["mult"]:
            value *= CN_BIG_UNITS[m["mult"]]
        out.append(CountMatch(m.start(), m.end(), text[m.start():m.end()], count_value(value), m["unit"]))
    return out


def find_percents(text: str) -> list[PercentMatch]:
    """Every percentage (``20%``, ``１２.５％``, ``百分之二十``) in ``text``.

    >>> [p.value for p in find_percents("增加20%，提高百分之十二点五")]
    [20, Decimal('12.5')]
    """
    norm = halfwidth(text)
    out = []
    for m in _PERCENT_RE.finditer(norm):
        value = parse_number(m["num"] if m["num"] else m["cn"])
        out.append(PercentMatch(m.start(), m.end(), text[m.start():m.end()], count_value(value)))
    return out


def parse_fraction(text: str) -> Fraction | None:
    """A share written ``1/4``, ``四分之一`` or ``一半``; None if there is none.

    >>> parse_fraction("占全省1/4"), parse_fraction("三分之一"), parse_fraction("无")
    (Fraction(1, 4), Fraction(1, 3), None)
    """
    m = _FRACTION_RE.search(halfwidth(text))
    if not m:
        return None
    if m["half"]:
        return Fraction(1, 2)
    if m["a"]:
        return Fraction(int(m["a"]), int(m["b"])) if int(m["b"]) else None
    return Fraction(parse_cn_int(m["ca"]), parse_cn_int(m["cb"]))


def fraction_pattern() -> str:
    """The regular expression of a written share (for composing larger patterns).

    >>> bool(re.search(fraction_pattern(), "我市占全省1/4"))
    True
    """
    return _FRACTION_RE.pattern
