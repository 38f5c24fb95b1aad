"""Targets (年度指标值) and actuals (实际完成值) of the self-evaluation form, read as forms write them.

A target is quantitative (``≥50个``, ``≤90万元``, ``=8个``, ``≥95%``), a deadline (``9月前``,
``年底前``, ``6月30日前``) or qualitative (``效果明显``, ``建立``: any text that is neither).
Values are exact :class:`~decimal.Decimal`: a percentage is stored as a fraction (95% → 0.95) with
unit ``%``; money is stored in 元 with unit ``元`` (2亿元 → 200000000); a 万/亿 prefix on any
other unit is applied too (1.2万人次 → 12000 人次); other units are kept as written.

Decisions (documented here once):

- Deadlines are inclusive and a month means its end: ``9月前`` = ``9月底前`` = by 30 September,
  so an actual of 9月 is met and 10月 is one month late. ``6月30日前`` is met on 30 June.
- ``>`` and ``<`` (and 大于, 超过, 低于 ...) are read as ``≥`` and ``≤``: the form's 指标性质 knows
  only ≥ ≤ =, and forms use the strict signs loosely.
- Units are compatible when equal after normalisation (万元 and 元 both become 元). A bare number
  is read in the other side's written unit (target ``≥95%``, actual ``97`` → 97%), except that a
  bare target cannot be compared with a % or money actual (the scale is unknown). Different count
  units (个 against 家) are a problem, not silently equal.
- A quantitative or time target needs a number or a date as its actual; the words 已完成 or
  达成预期指标 are accepted only for qualitative targets (or when the actual repeats the target).
- Numeric cells are read like bare text: a reader passes percent-formatted cells as their text.
- A bare actual above 0 and at most 1 against a % target (``0.97`` against ``≥95%``) is refused as
  ambiguous (97% or 0.97%?): Excel stores 97% as 0.97, so unless the cell shows % it cannot be told.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from fundanalysis.errors import InputError, Problem

#: Column headers of the 绩效指标 block read by :func:`parse_indicator_rows`.
LEVEL1 = "一级指标"
LEVEL2 = "二级指标"
NAME = "三级指标"
TARGET = "年度指标值"
ACTUAL = "实际完成值"
WEIGHT = "分值"
SCORE = "得分"
NATURE = "指标性质"
UNIT = "度量单位"


class TargetError(ValueError):
    """A target, actual or number that cannot be read; the message says why."""


class Kind(StrEnum):
    """What a target measures."""

    QUANTITATIVE = "quantitative"
    TIME = "time"
    QUALITATIVE = "qualitative"


class Operator(StrEnum):
    """How an actual is compared with a target (a deadline is ``le``: not later)."""

    GE = "ge"
    LE = "le"
    EQ = "eq"


class Outcome(StrEnum):
    """A qualitative actual, as the form states it."""

    MET = "met"
    PARTIAL = "partial"
    MISSED = "missed"


@dataclass(frozen=True)
class Target:
    """One 年度指标值, parsed. ``day`` None on a deadline means the end of the month."""

    text: str
    kind: Kind
    operator: Operator | None = None
    value: Decimal | None = None
    unit: str | None = None
    written_unit: str | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    operator_assumed: bool = False


@dataclass(frozen=True)
class Actual:
    """One 实际完成值, parsed against its target (values in the target's normalised unit)."""

    text: str
    kind: Kind
    value: Decimal | None = None
    unit: str | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    outcome: Outcome | None = None
    matches_target: bool = False


@dataclass(frozen=True)
class Indicator:
    """One row of the 绩效指标 block: where it is, what it aims at, what was done, its weight."""

    row: int | None
    level1: str
    level2: str
    name: str
    target: Target
    actual: Actual
    weight: Decimal
    stated_score: Decimal | None = None


_GE, _LE, _EQ = Operator.GE, Operator.LE, Operator.EQ

#: Operators written before the number. Symbols are matched after NFKC (＞＝ becomes >=).
_PREFIX_OPS: dict[str, Operator] = {
    ">=": _GE, "=>": _GE, "≥": _GE, "≧": _GE, "⩾": _GE, ">": _GE,
    "<=": _LE, "=<": _LE, "≤": _LE, "≦": _LE, "⩽": _LE, "<": _LE,
    "==": _EQ, "=": _EQ,
    "不低于": _GE, "不少于": _GE, "不小于": _GE, "大于等于": _GE, "大于或等于": _GE, "大于": _GE,
    "高于": _GE, "超过": _GE, "多于": _GE, "达到": _GE,
    "不高于": _LE, "不超过": _LE, "不多于": _LE, "不大于": _LE, "小于等于": _LE, "小于或等于": _LE,
    "小于": _LE, "低于": _LE, "少于": _LE,
    "等于": _EQ,
}
#: Operators written after the number and unit.
_SUFFIX_OPS: dict[str, Operator] = {
    "及以上": _GE, "或以上": _GE, "以上": _GE,
    "及以下": _LE, "或以下": _LE, "以下": _LE, "以内": _LE, "之内": _LE,
}
_SYMBOL_START = re.compile(r"^[<>=≥≧⩾≤≦⩽]")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_TARGET_RE = re.compile(
    rf"^(?P<op>{_alternation(_PREFIX_OPS)})?(?P<num>\d+(?:\.\d+)?)(?P<unit>.*?)"
    rf"(?P<suffix>{_alternation(_SUFFIX_OPS)})?$"
)
_ACTUAL_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>.*)$")
_UNIT_RE = re.compile(r"^[%‰A-Za-z\u4e00-\u9fff/·²³]{1,8}$")
_TIME_RE = re.compile(
    r"^(?:(?P<year>\d{4})年)?"
    r"(?:(?P<month>\d{1,2})月份?(?:(?P<day>\d{1,2})[日号])?(?:底|末)?"
    r"|(?P<named>年底|年末|年内|上半年|下半年|年中|底|末|内))"
    r"(?:之前|以前|前)?(?:完成|完工|到位|拨付)?$"
)
_ISO_DATE_RE = re.compile(r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?$")
#: Named deadlines → month (the month's end).
_NAMED_MONTHS = {"年底": 12, "年末": 12, "年内": 12, "下半年": 12, "上半年": 6, "年中": 6,
                 "底": 12, "末": 12, "内": 12}
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: Powers of ten of a unit prefix; 千 only in 千元 (千米 and 千克 are units of their own).
_MONEY_UNITS = {"元": 0, "千元": 3}

#: Words a qualitative actual may be; anything else (unless it repeats the target) is a problem.
QUALITATIVE_WORDS: dict[str, Outcome] = {
    **dict.fromkeys(
        ("达成预期指标", "达成预期目标", "达到预期指标", "达到预期目标", "达成预期", "达到预期",
         "全部达成", "已达成", "达成", "全部完成", "已完成", "完成", "合规", "符合", "符合要求", "已建立"),
        Outcome.MET,
    ),
    **dict.fromkeys(
        ("部分达成", "基本达成", "部分完成", "基本完成", "部分达到", "基本达到", "基本符合", "基本合规"),
        Outcome.PARTIAL,
    ),
    **dict.fromkeys(
        ("未达成", "未达成预期指标", "未达到", "未达到预期", "未完成", "不合规", "不符合", "未建立"),
        Outcome.MISSED,
    ),
}

#: 指标性质 as forms write it: (qualitative?, operator).
_NATURES: dict[str, tuple[bool, Operator | None]] = {
    **dict.fromkeys(("≥", ">=", "≧", "大于等于", "正向", "正向指标"), (False, _GE)),
    **dict.fromkeys(("≤", "<=", "≦", "小于等于", "反向", "反向指标"), (False, _LE)),
    **dict.fromkeys(("=", "等于"), (False, _EQ)),
    **dict.fromkeys(("定量", "定量指标"), (False, None)),
    **dict.fromkeys(("定性", "定性指标"), (True, None)),
}
_DASHES = {"-", "—", "——", "－", "/", "／", "无"}


def _as_text(value: Any) -> str:
    """A cell's value as text: numbers keep their written digits, never a float's binary noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TargetError(f"{value!r} is not a target or an actual")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TargetError(f"{value!r} is not a finite number")
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return value
    raise TargetError(f"{value!r} has unsupported type {type(value).__name__}")


def _norm(text: str) -> str:
    """NFKC, no whitespace, no thousands separators: the form in which texts are read and compared."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    return re.sub(r"(?<=\d),(?=\d{3}(?:\D|$))", "", text)


def _scale(unit: str) -> tuple[int, str | None]:
    """A written unit → (power of ten, normalised unit). ``%`` is -2; 万/亿 prefixes are 4/8.

    >>> _scale("万元"), _scale("%"), _scale("万人次"), _scale("个")
    ((4, '元'), (-2, '%'), (4, '人次'), (0, '个'))
    """
    if unit == "":
        return 0, None
    if unit == "%":
        return -2, "%"
    if unit in _MONEY_UNITS:
        return _MONEY_UNITS[unit], "元"
    for prefix, power in (("万", 4), ("亿", 8)):
        if unit.startswith(prefix):
            rest = unit[len(prefix):]
            return power, (rest or None)
    return 0, unit


def _scaled(number: str, unit: str) -> tuple[Decimal, str | None]:
    power, base = _scale(unit)
    value = Decimal(number).scaleb(power)
    if value.as_tuple().exponent > 0:  # type: ignore[operator]
        value = value.quantize(Decimal(1))
    return value, base


def _check_unit(unit: str, text: str) -> None:
    if unit and (not _UNIT_RE.match(unit) or any(w in unit for w in _SUFFIX_OPS)):
        raise TargetError(f"{text!r} is not a number with a unit such as 个, 万元 or %")


def _month_end(month: int) -> int:
    return _MONTH_DAYS[month - 1]


def _is_month_end(month: int, day: int) -> bool:
    """True on a month's last day (28 February counts: the year is often not written)."""
    return day >= _month_end(month) or (month == 2 and day >= 28)


def _time_parts(text: str, *, iso: bool) -> tuple[int | None, int, int | None] | None:
    """(year, month, day or None for the month's end) of a month or date text, or None if it is none."""
    m = _TIME_RE.match(text)
    if m is None and iso:
        m = _ISO_DATE_RE.match(text)
    if m is None:
        return None
    groups = m.groupdict()
    year = int(groups["year"]) if groups["year"] else None
    named = groups.get("named")
    if named:
        if len(named) == 1 and year is None:
            return None
        return year, _NAMED_MONTHS[named], None
    month = int(groups["month"])
    if not 1 <= month <= 12:
        raise TargetError(f"{text!r} has no month {month}")
    day = int(groups["day"]) if groups["day"] else None
    if day is not None:
        if not 1 <= day <= _month_end(month):
            raise TargetError(f"{text!r} has no day {day} in month {month}")
        if _is_month_end(month, day):
            day = None  # the month's last day: the same deadline as the month itself
    return year, month, day


#: The target of an indicator whose 年度指标值 is left empty: its actual must say whether it was met.
UNSTATED_TARGET = Target("", Kind.QUALITATIVE)


def parse_nature(value: Any) -> tuple[bool, Operator | None] | None:
    """Read a 指标性质 cell: (qualitative?, operator), or None when blank.

    >>> parse_nature("≥"), parse_nature("定性"), parse_nature(None)
    ((False, <Operator.GE: 'ge'>), (True, None), None)
    """
    text = _norm(_as_text(value))
    if text == "" or text in _DASHES:
        return None
    if text not in _NATURES:
        raise TargetError(f"指标性质 {value!r} is not one of {', '.join(_NATURES)}")
    return _NATURES[text]


def parse_target(value: Any, nature: Any = None, unit: Any = None) -> Target:
    """Read a 年度指标值, with the row's 指标性质 and 度量单位 when the form has those columns.

    Without an operator from either the text or 指标性质, a numeric target is read as ``≥``
    and marked ``operator_assumed``.

    >>> t = parse_target("不少于50个")
    >>> t.kind, t.operator, t.value, t.unit
    (<Kind.QUANTITATIVE: 'quantitative'>, <Operator.GE: 'ge'>, Decimal('50'), '个')
    >>> parse_target("≤90万元").value, parse_target("≥95%").value
    (Decimal('900000'), Decimal('0.95'))
    >>> t = parse_target("9月前")
    >>> t.kind, t.month, t.day
    (<Kind.TIME: 'time'>, 9, None)
    >>> parse_target("98.5").operator_assumed
    True
    """
    text = _as_text(value).strip()
    norm = _norm(text)
    if norm == "" or norm in _DASHES:
        raise TargetError("the target is empty")
    stated = parse_nature(nature)
    column_unit = _norm(_as_text(unit))
    if column_unit in _DASHES:
        column_unit = ""
    _check_unit(column_unit, column_unit)
    target = _read_target(text, norm, column_unit)
    return _with_nature(target, stated, nature)


def _read_target(text: str, norm: str, column_unit: str) -> Target:
    when = _time_parts(norm, iso=False)
    if when is not None:
        year, month, day = when
        return Target(text, Kind.TIME, _LE, year=year, month=month, day=day)
    m = _TARGET_RE.match(norm)
    if m is None:
        if _SYMBOL_START.match(norm) or norm[0].isdigit():
            raise TargetError(f"target {text!r} starts like a number but is not one such as ≥50个, ≤90万元 "
                              "or ≥95%, nor a deadline such as 9月前")
        return Target(text, Kind.QUALITATIVE)
    written = m["unit"]
    _check_unit(written, text)
    if written and column_unit and _scale(written)[1] != _scale(column_unit)[1]:
        raise TargetError(f"target {text!r} has unit {written!r} but 度量单位 says {column_unit!r}")
    written = written or column_unit
    number, base = _scaled(m["num"], written)
    ops = {op for op in (_PREFIX_OPS.get(m["op"] or ""), _SUFFIX_OPS.get(m["suffix"] or "")) if op}
    if len(ops) > 1:
        raise TargetError(f"target {text!r} has two operators that disagree")
    operator = ops.pop() if ops else None
    return Target(text, Kind.QUANTITATIVE, operator, number, base, written or None)


def _with_nature(target: Target, stated: tuple[bool, Operator | None] | None, nature: Any) -> Target:
    """Reconcile the target text with its 指标性质; assume ``≥`` when neither gives an operator."""
    qualitative, op = stated if stated is not None else (False, None)
    if qualitative and target.kind is not Kind.QUALITATIVE:
        raise TargetError(f"指标性质 {nature!r} says qualitative but the target {target.text!r} is not")
    if op is not None and target.kind is Kind.QUALITATIVE:
        raise TargetError(f"指标性质 {nature!r} needs a number but the target {target.text!r} has none")
    if op is not None and target.operator is not None and op is not target.operator:
        raise TargetError(f"指标性质 {nature!r} disagrees with the operator of the target {target.text!r}")
    if target.kind is not Kind.QUANTITATIVE or target.operator is not None:
        return target
    if op is not None:
        return replace(target, operator=op)
    return replace(target, operator=_GE, operator_assumed=True)


def parse_actual(value: Any, target: Target) -> Actual:
    """Read a 实际完成值 against its target; the value comes out in the target's normalised unit.

    >>> parse_actual("2.3亿元", parse_target("≥2亿元")).value
    Decimal('230000000')
    >>> parse_actual("97", parse_target("≥95%")).value
    Decimal('0.97')
    >>> parse_actual("部分达成", parse_target("建立")).outcome
    <Outcome.PARTIAL: 'partial'>
    """
    if isinstance(value, dt.date):
        if target.kind is not Kind.TIME:
            raise TargetError(f"actual {value!r} is a date but the target {target.text!r} is not a deadline")
        return Actual(value.isoformat(), Kind.TIME, year=value.year, month=value.month,
                      day=None if _is_month_end(value.month, value.day) else value.day)
    text = _as_text(value).strip()
    norm = _norm(text)
    if norm == "" or norm in _DASHES:
        raise TargetError("the actual is empty")
    repeats = norm == _norm(target.text)
    if target.kind is Kind.TIME:
        actual = _read_time_actual(text, norm, target, repeats)
    elif target.kind is Kind.QUANTITATIVE:
        actual = _read_number_actual(text, norm, target, repeats)
    else:
        actual = None if repeats else _read_word_actual(text, norm)
    if actual is None:  # only when the actual repeats the target's text
        return Actual(text, target.kind, outcome=Outcome.MET, matches_target=True)
    return actual


def _read_time_actual(text: str, norm: str, target: Target, repeats: bool) -> Actual | None:
    when = _time_parts(norm, iso=True)
    if when is None:
        if repeats:
            return None
        raise TargetError(f"actual {text!r} is not a month or date (10月, 2019年10月, 12月20日) "
                          f"to compare with the deadline {target.text!r}")
    year, month, day = when
    same_month = month == target.month and (year is None or target.year is None or year == target.year)
    if same_month and day is None and target.day is not None:
        raise TargetError(f"actual {text!r} does not say the day; the deadline {target.text!r} does")
    return Actual(text, Kind.TIME, year=year, month=month, day=day)


def _read_number_actual(text: str, norm: str, target: Target, repeats: bool) -> Actual | None:
    m = _ACTUAL_RE.match(norm)
    if m is None:
        if repeats:
            return None
        raise TargetError(f"actual {text!r} is not a number with a unit; the target {target.text!r} needs one")
    written = m["unit"]
    _check_unit(written, text)
    if written == "":
        number = Decimal(m["num"])
        if target.unit == "%" and 0 < number <= 1:
            raise TargetError(f"actual {text!r} has no % and the target {target.text!r} is a percentage: "
                              f"is it {number.scaleb(2).normalize():f}% or {number.normalize():f}%? "
                              "Write the % (or format the cell as a percentage)")
        value, base = _scaled(m["num"], target.written_unit or "")
        return Actual(text, Kind.QUANTITATIVE, value, base)
    value, base = _scaled(m["num"], written)
    if target.unit is None and base in ("%", "元"):
        raise TargetError(f"actual {text!r} is in {written} but the target {target.text!r} has no unit "
                          "to compare it with")
    if target.unit is not None and base != target.unit:
        raise TargetError(f"actual {text!r} is in {written}, which does not compare with "
                          f"the target {target.text!r}")
    return Actual(text, Kind.QUANTITATIVE, value, base)


def _read_word_actual(text: str, norm: str) -> Actual:
    if norm not in QUALITATIVE_WORDS:
        raise TargetError(f"actual {text!r} is not one of the accepted words "
                          f"({'、'.join(QUALITATIVE_WORDS)}) nor the target's own text")
    return Actual(text, Kind.QUALITATIVE, outcome=QUALITATIVE_WORDS[norm])


def parse_points(value: Any, *, required: bool) -> Decimal | None:
    """Read a 分值 or 得分 cell as an exact non-negative Decimal (None when blank and not required).

    >>> parse_points("9.5", required=True), parse_points(4.0, required=True), parse_points("—", required=False)
    (Decimal('9.5'), Decimal('4.0'), None)
    """
    text = _norm(_as_text(value))
    if text == "" or text in _DASHES:
        if required:
            raise TargetError("the points are empty")  # 分值 is required, 得分 may be blank
        return None
    text = text.removesuffix("分")
    try:
        points = Decimal(text)
    except InvalidOperation:
        raise TargetError(f"{value!r} is not a number of points") from None
    if not points.is_finite() or points < 0:
        raise TargetError(f"{value!r} is not a non-negative number of points")
    return points


def parse_rate(value: Any, *, bare_fraction: bool = False) -> Decimal | None:
    """Read a stated 执行率 as a fraction that keeps its written precision (None when blank).

    A rate is written with % (a cell formatted as a percentage is read as the form shows it,
    with its %). A bare number is ambiguous, 0.95 (95% or 0.95%?) as much as 95 (95% or
    9500%?), and refused; 0 is 0 either way. ``bare_fraction`` reads a bare number as Excel
    stores a percentage (0.95 is 95%), for cells read without their number format.

    >>> parse_rate("95.0%"), parse_rate(0.912, bare_fraction=True), parse_rate("—"), parse_rate(0)
    (Decimal('0.950'), Decimal('0.912'), None, Decimal('0'))
    >>> parse_rate("95")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fundanalysis.ingest.targets.TargetError: 执行率 '95' has no %: is it 95% or 9500%? Write the % ...
    """
    text = _norm(_as_text(value))
    if text == "" or text in _DASHES:
        return None
    percent = text.endswith("%")
    try:
        rate = Decimal(text.removesuffix("%"))
    except InvalidOperation:
        raise TargetError(f"{value!r} is not a rate such as 95.0%") from None
    if not rate.is_finite() or rate < 0:
        raise TargetError(f"{value!r} is not a non-negative rate")
    if percent:
        return rate.scaleb(-2)
    if rate == 0 or bare_fraction:
        return rate
    readings = sorted((rate, rate.scaleb(2)))
    raise TargetError(f"执行率 {text!r} has no %: is it {readings[0].normalize():f}% or "
                      f"{readings[1].normalize():f}%? Write the % (or format the cell as a percentage)")


_BLOCK_POINTS_RE = re.compile(r"[(（]\s*\d+(?:\.\d+)?\s*分\s*[)）]$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _norm(value) == "")


def parse_indicator_rows(rows: Iterable[tuple[int, Mapping[str, Any]]], file: str,
                         sheet: str | None) -> list[Indicator]:
    """Parse the 绩效指标 rows: ``(Excel row, {header: value})`` → indicators, or one InputError.

    Every problem is collected with its row and column header. A blank 一级指标 or 二级指标
    continues the one above (merged cells are read that way); ``（50分）`` after a block name is
    dropped.

    >>> rows = [(12, {"一级指标": "产出指标（50分）", "二级指标": "数量指标", "三级指标": "示范项目数",
    ...               "年度指标值": "=10个", "实际完成值": "9个", "分值": 10, "得分": 9})]
    >>> [(i.row, i.level1, i.target.value, i.actual.value) for i in parse_indicator_rows(rows, "f.xlsx", "自评表")]
    [(12, '产出指标', Decimal('10'), Decimal('9'))]
    """
    problems: list[Problem] = []
    out: list[Indicator] = []
    level1 = level2 = ""
    unnamed: list[tuple[int, str, str]] = []  # rows without a 三级指标
    groups: dict[tuple[str, str], int] = {}  # rows per (一级指标, 二级指标)

    def problem(row: int, column: str, value: Any, reason: str) -> None:
        problems.append(Problem(file, sheet, row, column, value, reason))

    for excel_row, cells in rows:
        bad = len(problems)
        raw1, raw2 = cells.get(LEVEL1), cells.get(LEVEL2)
        if not _blank(raw1):
            level1 = _BLOCK_POINTS_RE.sub("", _norm(str(raw1)))
        if not _blank(raw2):
            level2 = _norm(str(raw2))
        if not level1:
            problem(excel_row, LEVEL1, raw1, "the 一级指标 is empty and no row above gives it")
        name = "" if _blank(cells.get(NAME)) else str(cells.get(NAME)).strip()
        if not name:  # named by its 二级指标 (or block); it must be alone there (checked below)
            name = level2 or level1
            unnamed.append((excel_row, level1, level2))
        groups[(level1, level2)] = groups.get((level1, level2), 0) + 1
        points: dict[str, Decimal | None] = {}
        for column, required in ((WEIGHT, True), (SCORE, False)):
            try:
                points[column] = parse_points(cells.get(column), required=required)
            except TargetError as exc:
                problem(excel_row, column, cells.get(column), str(exc))
        try:
            parse_nature(cells.get(NATURE))
        except TargetError as exc:
            problem(excel_row, NATURE, cells.get(NATURE), str(exc))
            continue
        unstated = _blank(cells.get(TARGET)) or _norm(_as_text(cells.get(TARGET))) in _DASHES
        try:
            target = UNSTATED_TARGET if unstated and _blank(cells.get(NATURE)) else \
                parse_target(cells.get(TARGET), cells.get(NATURE), cells.get(UNIT))
        except TargetError as exc:
            problem(excel_row, TARGET, cells.get(TARGET), str(exc))
            continue
        try:
            actual = parse_actual(cells.get(ACTUAL), target)
        except TargetError as exc:
            reason = (f"{exc}; the 年度指标值 is empty, so the actual must say whether it was met "
                      "(达成预期指标 / 部分达成 / 未达成), or give the 年度指标值") \
                if target is UNSTATED_TARGET and not _blank(cells.get(ACTUAL)) else str(exc)
            problem(excel_row, ACTUAL, cells.get(ACTUAL), reason)
            continue
        weight = points.get(WEIGHT)
        if len(problems) == bad and weight is not None:
            out.append(Indicator(excel_row, level1, level2, name, target, actual, weight, points.get(SCORE)))
    for excel_row, l1, l2 in unnamed:
        if l1 and groups[(l1, l2)] > 1:
            problem(excel_row, NAME, None, f"the 三级指标 is empty, and {l2 or l1} has other rows: only an "
                                           "indicator alone under its 二级指标 may leave it empty")
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError(problems)
    return out


# --- the 项目资金 block -------------------------------------------------------------------------


class Fund(StrEnum):
    """Rows of the 项目资金 block."""

    TOTAL = "total"  # 年度资金总额
    APPROPRIATION = "appropriation"  # 本年财政拨款 / 当年财政拨款
    CARRYOVER = "carryover"  # 上年结转资金
    OTHER = "other"  # 其他资金


SOURCE_FUNDS = (Fund.APPROPRIATION, Fund.CARRYOVER, Fund.OTHER)
_FUND_NAMES = {
    "年度资金总额": Fund.TOTAL, "资金总额": Fund.TOTAL,
    "本年财政拨款": Fund.APPROPRIATION, "当年财政拨款": Fund.APPROPRIATION, "财政拨款": Fund.APPROPRIATION,
    "上年结转资金": Fund.CARRYOVER, "上年结转": Fund.CARRYOVER,
    "其他资金": Fund.OTHER,
}


def fund_category(text: str) -> Fund:
    """The fund row a 项目资金 label names (``其中：`` and spaces are ignored).

    >>> fund_category("其中：当年财政拨款"), fund_category("年度资金总额")
    (<Fund.APPROPRIATION: 'appropriation'>, <Fund.TOTAL: 'total'>)
    """
    norm = "".join(unicodedata.normalize("NFKC", text).split())
    norm = norm.removeprefix("其中:").removeprefix("其中,").removeprefix("其中")
    if norm not in _FUND_NAMES:
        raise TargetError(f"{text!r} is not a row of the 项目资金 block ({', '.join(_FUND_NAMES)})")
    return _FUND_NAMES[norm]


#: Words a 绩效指标 row uses for the form's 总分 row (in 一级指标 or 三级指标).
TOTAL_ROW_WORDS = ("总分", "合计", "总计")


def is_total_row(level1: Any, name: Any) -> bool:
    """True for the form's 总分 row, transcribed as a row of the 绩效指标 sheet.

    >>> is_total_row("总分", None), is_total_row("产出指标", "总分"), is_total_row("产出指标", "验收合格率")
    (True, True, False)
    """
    return any(not _blank(v) and _norm(str(v)) in TOTAL_ROW_WORDS for v in (level1, name))
