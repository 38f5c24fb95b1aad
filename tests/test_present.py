"""Presentation: one formatting rule everywhere, words for codes, tables that escape.

A figure shown in a chart label, a table cell and a sentence must read the same; the expected
texts below are worked by hand (half up: 1/80 = 1.25% → 1.3%).
"""

from __future__ import annotations

import re
from fractions import Fraction

import pandas as pd
import pytest

from fundanalysis.analysis import metrics
from fundanalysis.present import charts, fmt, narrative, words
from fundanalysis.present.styled import styled_table
from fundanalysis.vocab import Concentration, RankSource, Rule, Scope

SRC = "合成示例报告（测试用，非真实数据）／三、（二）"


def outlets(amounts: list[int]) -> pd.DataFrame:
    """SYNTHETIC media outlets with these amounts (元)."""
    n = len(amounts)
    return pd.DataFrame({
        "outlet": [f"合成单位{i}" for i in range(n)], "item_count": pd.array([1] * n, dtype="Int64"),
        "amount_fen": pd.array([a * 100 for a in amounts], dtype="Int64"),
        "procurement": pd.array([None] * n, dtype="string"),
        "part": ["宣传"] * n, "source": [SRC] * n})


def test_a_share_reads_the_same_in_chart_table_and_sentence() -> None:
    """Shares of 790,000 and 10,000 元: 98.75% and 1.25%, shown 98.8% and 1.3% everywhere."""
    media = outlets([790_000, 10_000])
    tables = {"fund": pd.DataFrame({"fund_name": ["合成资金"], "issuer": ["合成局"], "city": ["合成市"],
                                    "province": ["合成省"], "year": pd.array([2031], dtype="Int64"),
                                    "budget_fen": pd.array([100_000_000], dtype="Int64"),
                                    "budget_phase": pd.array([None], dtype="string"), "source": [SRC]}),
              "media_outlets": media}
    shares = metrics.media_shares(media)
    sentence = narrative.media_outlets(shares)
    table = styled_table(shares, {"outlet": ("单位", None), "share": ("占比", lambda v: fmt.pct(v, 1))})
    fig = charts.media_share_chart(tables)
    chart_texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "98.8%" in sentence
    assert re.search(r">98\.8%<", table) and re.search(r">1\.3%<", table)
    assert "98.8%" in chart_texts and "1.3%" in chart_texts


@pytest.mark.parametrize(("value", "places", "text"), [
    (0.0125, 1, "1.3%"), (Fraction(1, 80), 1, "1.3%"), (0.8687, 2, "86.87%"), (1 / 3, 1, "33.3%"),
    (0.0005, 1, "0.1%"), (1.0, 0, "100%"), (float("nan"), 2, "—"), (None, 2, "—")])
def test_pct_rounds_half_up_from_the_exact_value(value: object, places: int, text: str) -> None:
    assert fmt.pct(value, places) == text


@pytest.mark.parametrize(("num", "den", "text"), [(1, 80, "1.3%"), (2_017_000, 8_687_000, "23.2%"),
                                                  (5, 0, "—")])
def test_pct_of_agrees_with_pct_of_the_fraction(num: int, den: int, text: str) -> None:
    assert fmt.pct_of(num, den, 1) == text
    if den:
        assert fmt.pct(Fraction(num, den), 1) == text


@pytest.mark.parametrize(("fen", "suffix", "text"), [
    (71_900_000, "", "71.9"), (1_000_000_000, " 万元", "1,000 万元"), (140_920_540, "万元", "140.92万元"),
    (5_000, "", "0.01"), (4_999, "", "0"), (None, "", "—")])
def test_wan(fen: int | None, suffix: str, text: str) -> None:
    assert fmt.wan(fen, suffix) == text


def test_yuan_shows_the_fen_that_wan_rounds() -> None:
    assert fmt.yuan(140_920_540, "元") == "1,409,205.40元"
    assert fmt.needs_yuan([140_920_540]) and not fmt.needs_yuan([71_900_000, None])


def test_every_code_has_its_words() -> None:
    assert set(words.SCOPE) == set(Scope)
    assert set(words.RANK_SOURCE) == set(RankSource)
    assert set(words.CONCENTRATION) == set(Concentration)
    assert set(words.RULE) == set(Rule)


def test_describe_check_names_the_scope_and_what_is_unknown() -> None:
    assert words.describe_check(Rule.PROJECTS, None) == "全部项目数 = 各类获奖单位数 + 各单位宣传项目数"
    assert words.describe_check(Rule.SPENT, "宣传") == "宣传使用资金 = 各类奖励金额 + 各单位宣传金额"
    text = words.describe_check(Rule.PROCUREMENT_METHOD, "宣传", "政府采购", None)
    assert text.startswith("政府采购的单位数") and "无法逐一核对" in text


def test_styled_table_escapes_markup_and_marks_rows() -> None:
    df = pd.DataFrame({"name": ["<script>alert(1)</script>", "乙"], "v": [1, 2], "ok": [False, True]})
    html = styled_table(df, {"name": ("名称", None), "v": ("数", fmt.count)},
                        row_class=lambda r: "fail" if r["ok"] is False or r["ok"] == False else "")  # noqa: E712
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert re.search(r'class="[^"]*\btxt fail\b[^"]*"[^>]*>&lt;script', html)
    assert re.search(r'class="[^"]*\bnum\b[^"]*"[^>]*>2<', html)
    assert "<th" in html and "名称" in html and "index_name" not in html


def test_the_2019_media_chart_says_which_procurement_is_not_stated(tables_2019: dict[str, pd.DataFrame]) -> None:
    """The report gives 2 + 5 procured outlets but not which: the chart says so in a note."""
    fig = charts.media_amount_chart(tables_2019)
    notes = next(t.get_text() for t in fig.texts if t.get_gid() == "notes")
    assert "政府采购2家" in notes and "自行采购5家" in notes and "未注明" in notes
