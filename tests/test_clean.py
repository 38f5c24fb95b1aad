"""Cleaning functions: every money form, junk with clear errors, numbering, headers, ranks.

Plus hypothesis properties: cleaning is idempotent and money is conserved exactly.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fundanalysis import config
from fundanalysis.ingest import clean
from fundanalysis.ingest.clean import (
    CleanError,
    clean_text,
    normalise_header,
    parse_count,
    parse_fraction,
    parse_money,
    parse_rank,
    parse_stated,
    parse_year,
    strip_numbering,
)
from fundanalysis.ingest.specs import SHEETS
from fundanalysis.present import fmt

# ------------------------------------------------------------------- money forms


def money_series(s: pd.Series, *args: object) -> tuple[pd.Series, pd.Series]:
    """``parse_money_series`` with the column's default unit unless given."""
    return clean.parse_money_series(s, *args) if args else clean.parse_money_series(s, config.DEFAULT_MONEY_UNIT)


MONEY_CASES = [
    # report-style text
    ("1000 万元", 10_000_000),
    ("1000万元", 10_000_000),
    ("868.7万元", 8_687_000),
    ("201.7 万元", 2_017_000),
    ("71.9万元", 719_000),
    # full-width digits, comma, period and space
    ("９０ 万元", 900_000),
    ("１，０００ 万元", 10_000_000),
    ("７１．９万元", 719_000),
    ("１０００\u3000万元", 10_000_000),
    ("71.9\u3000万元", 719_000),
    # spaces anywhere, tabs, non-breaking space
    (" 75 万元 ", 750_000),
    ("1 000 万元", 10_000_000),
    ("71.9 万 元", 719_000),
    ("5\t万元", 50_000),
    ("5\u00a0万元", 50_000),
    # every unit
    ("719000元", 719_000),
    ("3万", 30_000),
    ("1.5亿元", 150_000_000),
    ("2亿", 200_000_000),
    ("0.0001万元", 1),
    # thousands commas
    ("1,000万元", 10_000_000),
    ("12,345元", 12_345),
    ("１２，３４５元", 12_345),
    ("8,687,000元", 8_687_000),
    # bare numbers are read in 万元
    ("53", 530_000),
    ("53.0", 530_000),
    ("71.9", 719_000),
    # currency prefixes
    ("¥1000元", 1000),
    ("￥1000元", 1000),
    ("¥ 71.9万元", 719_000),
    ("人民币5万元", 50_000),
    ("RMB 5万元", 50_000),
    # zero and explicit plus are fine
    ("0万元", 0),
    ("+5万元", 50_000),
    # 角 and 分 are kept (reports state 1,409,205.40元)
    ("1,409,205.40元", Decimal("1409205.40")),
    ("1329120.67元", Decimal("1329120.67")),
    ("0.01元", Decimal("0.01")),
    ("143.6901万元", Decimal("1436901")),
]


@pytest.mark.parametrize(("text", "yuan"), MONEY_CASES)
def test_parse_money_text_forms(text: str, yuan: int | Decimal) -> None:
    """Amounts as reports write them; the expected 元 are worked by hand, the result is 分."""
    got = parse_money(text)
    assert got == int(Decimal(yuan) * 100)
    assert type(got) is int


@pytest.mark.parametrize(
    ("value", "yuan"),
    [
        (53.0, 530_000),  # Excel stores whole numbers as floats
        (71.9, 719_000),  # 71.9 * 10000 in floats is 718999.9999…; we must not see that
        (73.8, 738_000),
        (0.1, 1_000),
        (16, 160_000),
        (np.int64(5), 50_000),
        (np.float64(201.7), 2_017_000),
        (Decimal("868.7"), 8_687_000),
        (1e3, 10_000_000),
    ],
)
def test_parse_money_excel_numbers(value: object, yuan: int) -> None:
    assert parse_money(value) == yuan * 100


def test_parse_money_default_unit() -> None:
    assert parse_money("53", default_unit="元") == 5_300
    assert parse_money(1.5, default_unit="亿元") == 15_000_000_000
    assert parse_money("53万元", default_unit="元") == 53_000_000  # an explicit unit wins


def test_parse_money_signed_adjustments() -> None:
    """调整数 may be negative (调减); other amounts may not."""
    assert parse_money("-20万元", signed=True) == -20_000_000
    assert parse_money("+5.5万元", signed=True) == 5_500_000
    with pytest.raises(CleanError, match="negative"):
        parse_money("-20万元")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "'abc' is not a number"),
        ("7x万元", "'7x万元' is not a number"),
        ("5美元", "unknown unit '美元'"),
        ("5USD", "unknown unit 'USD'"),
        ("5万元整", "unknown unit '万元整'"),
        ("-5万元", "'-5万元' is negative"),
        ("-0.5元", "is negative"),
        ("0.0000001万元", "not a whole number of 分"),
        ("1.555元", "not a whole number of 分"),
        (1.2345678, "not a whole number of 分"),
        ("", "amount is empty"),
        ("   ", "amount is empty"),
        (None, "amount is empty"),
        (float("nan"), "amount is empty"),
        (float("inf"), "not a finite number"),
        (True, "not a number"),
        (["5万元"], "unsupported type list"),
        ("1e3万元", "is not a number"),
        (".5万元", "is not a number"),
        ("5万元5万元", "is not a number"),
        ("①5万元", "digits other than 0-9"),
        ("²万元", "digits other than 0-9"),
        ("99999999999999999999万元", "too large"),
        (1e20, "too large"),
    ],
)
def test_parse_money_junk_is_refused_clearly(value: object, message: str) -> None:
    with pytest.raises(CleanError, match=None) as info:
        parse_money(value)
    assert message in str(info.value)


def test_clean_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_money("abc")


# ----------------------------------------------------- a column reads each cell as parse_money does

SERIES_VALUES: list[object] = [
    *[t for t, _ in MONEY_CASES],
    53.0, 71.9, 16, 1e20,
    "abc", "7x万元", "5美元", "-5万元", "0.00001万元", "①5万元", "99999999999999999999万元",
]


def _scalar(value: object) -> tuple[int | None, str | None]:
    try:
        return parse_money(value), None
    except CleanError as exc:
        return None, str(exc)


def test_parse_money_series_agrees_with_scalar_object_column() -> None:
    s = pd.Series(SERIES_VALUES, dtype=object, index=range(100, 100 + len(SERIES_VALUES)))
    yuan, err = money_series(s)
    assert yuan.dtype == "Int64"
    assert list(yuan.index) == list(s.index) == list(err.index)
    for i, v in s.items():
        want, why = _scalar(v)
        if want is None:
            assert pd.isna(yuan[i]), v
            assert err[i] == why, v  # the same error text as the scalar parser
        else:
            assert yuan[i] == want, v
            assert pd.isna(err[i]), v


@pytest.mark.parametrize(
    "values",
    [
        [53.0, 71.9, 16.0, float("nan"), 1e20, 0.1],
        [53, 3, 0, 12],
        ["432万元", "75 万元", "９０ 万元", None, "10 万元", "６０ 万元"],
    ],
    ids=["float64", "int64", "text"],
)
def test_parse_money_series_agrees_with_scalar_typed_columns(values: list[object]) -> None:
    s = pd.Series(values)
    yuan, err = money_series(s)
    for i, v in s.items():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            assert pd.isna(yuan[i]) and pd.isna(err[i])  # blank: NA, no error here
            continue
        want, why = _scalar(v)
        assert (None if pd.isna(yuan[i]) else int(yuan[i])) == want
        assert (None if pd.isna(err[i]) else err[i]) == why


def test_parse_money_series_blank_is_na_without_error() -> None:
    yuan, err = money_series(pd.Series(["", "  ", None, float("nan")], dtype=object))
    assert yuan.isna().all()
    assert err.isna().all()


def test_parse_money_series_empty() -> None:
    yuan, err = money_series(pd.Series([], dtype=object))
    assert yuan.empty and err.empty


def test_parse_money_series_never_wraps_around() -> None:
    """Amounts too large for int64 are errors, never silently negative money."""
    yuan, err = money_series(pd.Series(["922337203685478万元", "9223372036854775807亿元"]))
    assert yuan.isna().all()
    assert err.str.contains("too large").all()


# ---------------------------------------------------------------- format_wan


@pytest.mark.parametrize(
    ("fen", "text"),
    [(71_900_000, "71.9"), (1_000_000_000, "1,000"), (868_700_000, "868.7"), (1, "0"), (5_000, "0.01"),
     (0, "0")],
)
def test_format_wan(fen: int, text: str) -> None:
    assert fmt.wan(fen) == text


# ------------------------------------------------------------- strip_numbering


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("1、两化融合管理体系贯标", "两化融合管理体系贯标"),
        ("12、工业互联网平台", "工业互联网平台"),
        ("（一）工业互联网项目", "工业互联网项目"),
        ("（十二）工业互联网项目", "工业互联网项目"),
        ("(二)工业互联网宣传", "工业互联网宣传"),
        ("(2) 工业互联网宣传", "工业互联网宣传"),
        ("3.常州日报", "常州日报"),
        ("3. 常州日报", "常州日报"),
        ("3．常州日报", "常州日报"),
        ("一、专项资金基本信息", "专项资金基本信息"),
        ("十一、其他", "其他"),
        ("1、（一）重复编号", "重复编号"),
        ("（一）1、重复编号", "重复编号"),
        ("一、（二）3. 三层编号", "三层编号"),
        ("  1、  两端空格  ", "两端空格"),
        ("7、中汽研（天津）汽车信息咨询有限公司", "中汽研（天津）汽车信息咨询有限公司"),
        # not numbering: must be kept whole
        ("360度巡礼常州工业明星城", "360度巡礼常州工业明星城"),
        ("“360度”巡礼常州工业明星城", "“360度”巡礼常州工业明星城"),
        ("3.5G网络覆盖", "3.5G网络覆盖"),
        ("70周年专题片", "70周年专题片"),
        ("建国70周年常州工业和信息化专题片制作", "建国70周年常州工业和信息化专题片制作"),
        ("一线调研·聚焦常州特色产业集群发展", "一线调研·聚焦常州特色产业集群发展"),
        ("壮丽 70 年，奋斗新时代", "壮丽 70 年，奋斗新时代"),
        ("中吴网", "中吴网"),
    ],
)
def test_strip_numbering(name: str, stripped: str) -> None:
    assert strip_numbering(name) == stripped


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan")])
def test_strip_numbering_blank_is_none(blank: object) -> None:
    assert strip_numbering(blank) is None


def test_clean_text() -> None:
    assert clean_text("  壮丽  70 年 ") == "壮丽 70 年"
    assert clean_text(2019.0) == "2019"
    assert clean_text("") is None
    assert clean_text(None) is None


# ------------------------------------------------------------- normalise_header


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("奖励金额", "奖励金额"),
        (" 奖励金额（万元） ", "奖励金额"),
        ("奖励金额(万元)", "奖励金额"),
        ("奖励金额 （万元）", "奖励金额"),
        ("奖 励 金 额", "奖励金额"),
        ("奖励金额\u3000", "奖励金额"),
        ("获奖单位数（家）", "获奖单位数"),
        ("ｐ奖励金额", "p奖励金额"),  # full-width latin is folded (NFKC)
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_header(header: object, normal: str) -> None:
    assert normalise_header(header) == normal


def test_normalise_header_keeps_every_configured_header_distinct() -> None:
    for spec in SHEETS:
        normal = [normalise_header(c.header) for c in spec.columns]
        assert len(set(normal)) == len(normal), spec.name
        assert all(normal), spec.name


# ------------------------------------------------------ counts, ranks, fractions


@pytest.mark.parametrize(
    ("value", "n"),
    [(53, 53), (53.0, 53), ("53", 53), ("53.0", 53), ("５３家", 53), ("72个", 72), ("5 项", 5),
     ("三", 3), ("十二家", 12), ("两", 2), (0, 0), (np.int64(7), 7)],
)
def test_parse_count(value: object, n: int) -> None:
    assert parse_count(value) == n


@pytest.mark.parametrize(
    ("value", "message"),
    [(53.5, "not a whole number"), ("53.5", "not a whole number"), ("-1", "negative"),
     (-1, "negative"), ("", "empty"), (None, "empty"), ("abc", "not a whole number"),
     (True, "not a number")],
)
def test_parse_count_refuses(value: object, message: str) -> None:
    with pytest.raises(CleanError) as info:
        parse_count(value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("value", "rank"),
    [("第三", 3), ("3", 3), (3, 3), (3.0, 3), ("第3名", 3), ("第十二", 12), ("三", 3),
     ("第二十三", 23), ("第 4 名", 4), ("３", 3)],
)
def test_parse_rank(value: object, rank: int) -> None:
    assert parse_rank(value) == rank


@pytest.mark.parametrize("value", ["前列", "0", 0, 3.5, "第零", "倒数第一", "abc"])
def test_parse_rank_refuses(value: object) -> None:
    with pytest.raises(CleanError):
        parse_rank(value)


@pytest.mark.parametrize(
    ("value", "share"),
    [("1/4", Fraction(1, 4)), ("25%", Fraction(1, 4)), ("0.25", Fraction(1, 4)),
     ("１／４", Fraction(1, 4)), (" 1 / 4 ", Fraction(1, 4)), ("12.5%", Fraction(1, 8)),
     ("3/12", Fraction(1, 4))],
)
def test_parse_fraction(value: str, share: Fraction) -> None:
    assert parse_fraction(value) == share


@pytest.mark.parametrize("value", ["1/0", "abc", "1/4.0", "", "四分之一"])
def test_parse_fraction_refuses(value: str) -> None:
    with pytest.raises(CleanError):
        parse_fraction(value)


def test_parse_year() -> None:
    assert parse_year(2019.0) == 2019
    assert parse_year("2019") == 2019
    with pytest.raises(CleanError, match="between"):
        parse_year(19)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("91个", (91, "个")), ("868.7万元", (868_700_000, "元")), ("201.7 万元", (201_700_000, "元")),
     ("5类", (5, "类")), ("7家", (7, "家")), ("1,000万元", (1_000_000_000, "元")),
     ("-20万元", (-20_000_000, "元"))],
)
def test_parse_stated(text: str, parsed: tuple[int, str]) -> None:
    assert parse_stated(text) == parsed


@pytest.mark.parametrize("text", ["abc", "1/4", "很多"])
def test_parse_stated_refuses(text: str) -> None:
    with pytest.raises(CleanError):
        parse_stated(text)


# ------------------------------------------------------------------ properties

_FULL = str.maketrans("0123456789.,", "０１２３４５６７８９．，")

#: Amounts in 分, up to the limit.
amounts = st.integers(min_value=0, max_value=config.MAX_AMOUNT_YUAN * 100)


def _wan_text(fen: int, commas: bool) -> str:
    """Exact 万元 text of an amount in 分: 71900000 → '71.9', 1234567801 → '1,234.567801'."""
    wan = Decimal(fen).scaleb(-6)
    whole = int(wan)
    frac = format(wan - whole, "f").split(".")[1].rstrip("0") if wan != whole else ""
    text = f"{whole:,}" if commas else str(whole)
    return f"{text}.{frac}" if frac else text


FORMS = {
    "plain": lambda a: f"{_wan_text(a, False)}万元",
    "space": lambda a: f"{_wan_text(a, False)} 万元",
    "ideographic space": lambda a: f"{_wan_text(a, False)}\u3000万元",
    "commas": lambda a: f"{_wan_text(a, True)}万元",
    "full-width": lambda a: f"{_wan_text(a, True).translate(_FULL)} 万元",
    "bare": lambda a: _wan_text(a, False),
    "wan": lambda a: f"{_wan_text(a, True)} 万",
    "yuan": lambda a: f"{Decimal(a).scaleb(-2):,.2f}元",
    "yen": lambda a: f"¥{_wan_text(a, False)}万元",
    "yi": lambda a: f"{format(Decimal(a).scaleb(-10).normalize(), 'f')}亿元",
}


@given(st.lists(st.tuples(amounts, st.sampled_from(sorted(FORMS))), max_size=30))
@example([(71_900_000, "plain"), (1_000_000_000, "space"), (432_000_000, "full-width"),
          (201_700_000, "commas"), (1, "bare"), (0, "yi"), (140_920_540, "yuan")])
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_money_is_conserved(items: list[tuple[int, str]]) -> None:
    texts = [FORMS[form](a) for a, form in items]
    want = [a for a, _ in items]
    parsed = [parse_money(t) for t in texts]
    assert parsed == want
    assert sum(parsed) == sum(want)
    yuan, err = money_series(pd.Series(texts, dtype=object))
    assert err.isna().all()
    assert [int(v) for v in yuan] == want
    assert sum(int(v) for v in yuan) == sum(want)  # exact, no float on the way


@given(st.lists(amounts, min_size=1, max_size=30))
def test_money_series_sum_matches_python_int_sum(values: list[int]) -> None:
    texts = [FORMS["commas"](v) for v in values]
    yuan, _ = money_series(pd.Series(texts))
    assert int(yuan.sum()) == sum(values)


@given(st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789０１２３４５６７８９.．,，  万元亿¥-+x美", max_size=14),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
))
def test_parse_money_is_total_and_idempotent(value: object) -> None:
    """Anything either parses to a non-negative int or raises CleanError, and re-parsing the
    result written in 元 (two decimals) or 万元 (six) gives the same amount."""
    try:
        fen = parse_money(value)
    except CleanError:
        return
    assert isinstance(fen, int) and fen >= 0
    assert parse_money(f"{Decimal(fen).scaleb(-2)}元") == fen
    assert parse_money(f"{fmt.wan(fen, decimals=6)}万元") == fen


@given(st.lists(st.one_of(
    st.text(alphabet="0123456789０１２３４５６７８９.．,，  万元亿¥-+x美①", max_size=12),
    st.floats(min_value=0, max_value=1e9),
    st.just(float("nan")),
    st.none(),
), max_size=20))
def test_parse_money_series_matches_scalar_everywhere(values: list[object]) -> None:
    s = pd.Series(values, dtype=object)
    yuan, err = money_series(s)
    for i, v in s.items():
        blank = v is None or (isinstance(v, float) and np.isnan(v)) or (
            isinstance(v, str) and not v.strip())
        if blank:
            assert pd.isna(yuan[i]) and pd.isna(err[i])
            continue
        want, why = _scalar(v)
        assert (None if pd.isna(yuan[i]) else int(yuan[i])) == want, v
        assert (None if pd.isna(err[i]) else err[i]) == why, v


names = st.one_of(
    st.text(max_size=20),
    st.builds(lambda p, s: p + s,
              st.sampled_from(["1、", "（一）", "(二)", "3.", "一、", "1、（一）", " 12、 ", ""]),
              st.text(alphabet="0123456789.、（）()一二三工业互联网度G周年 ", max_size=12)),
)


@given(names)
@example("1、2、3、")
@example("（一）1、")
def test_strip_numbering_is_idempotent(name: str) -> None:
    once = strip_numbering(name)
    assert strip_numbering(once) == once or (once == "" and strip_numbering(once) is None)


@given(st.text(alphabet="奖励金额获奖单位数（）()万元 \u3000\t１２ab", max_size=20))
def test_normalise_header_is_idempotent(header: str) -> None:
    once = normalise_header(header)
    assert normalise_header(once) == once


@given(st.lists(st.one_of(st.none(), st.text(alphabet="（）()一二三、.．1234 \t工业互联网360度G", max_size=12)),
                max_size=30))
@settings(max_examples=200, deadline=None)
def test_strip_numbering_series_agrees_with_scalar(values: list[str | None]) -> None:
    from fundanalysis.ingest.clean import strip_numbering_series

    got = strip_numbering_series(pd.Series(values, dtype="string")).tolist()
    want = [strip_numbering(v) for v in values]
    assert [None if v is pd.NA else v for v in got] == [w or None for w in want]
