"""Charts: every chart renders without warnings, shows Chinese, units and the source note,
nothing is cut off or overlaps, and charts without data are left out."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from fundanalysis import config
from fundanalysis.ingest.load import process_year
from fundanalysis.present import charts, fmt
from fundanalysis.present.charts.text import _units

CJK = re.compile(r"[\u4e00-\u9fff]")
MONEY_SLUGS = ("utilisation", "spending", "award-", "media-amount")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def t2019() -> dict[str, pd.DataFrame]:
    """The real 2019 tables, straight from data/raw."""
    return process_year(config.DATA_DIR, 2019).tables


@pytest.fixture(scope="module")
def specs_2019(t2019: dict[str, pd.DataFrame]) -> list[charts.ChartSpec]:
    return charts.chart_specs(t2019)


@dataclass
class Rendered:
    """Every 2019 chart made and rendered once, strictly, with the rcParams before and after."""
    figs: dict[str, tuple[Figure, bytes, bytes]]
    rc_before: dict[str, object]
    rc_after: dict[str, object]


def _rc() -> dict[str, object]:
    return {k: v for k, v in mpl.rcParams.items() if k != "backend"}


@pytest.fixture(scope="module")
def rendered_2019(specs_2019: list[charts.ChartSpec]) -> Rendered:
    before = _rc()
    figs = {spec.slug: strict_render(spec) for spec in specs_2019}
    return Rendered(figs, before, _rc())


def synthetic_tables() -> dict[str, pd.DataFrame]:
    """SYNTHETIC tables (not from any report): no media, parts with their own budgets,
    seven award categories, one numeric and one text-only rank, no breakdowns."""
    src = "合成示例报告（测试用，非真实数据）／三、使用情况"
    fund = pd.DataFrame({
        "fund_name": ["合成专项资金"], "issuer": ["合成市某局"], "city": ["合成市"],
        "province": ["合成省"], "year": pd.array([2031], dtype="Int64"),
        "budget_fen": pd.array([500_000_000], dtype="Int64"),
        "budget_phase": pd.array(["调整后预算"], dtype="string"), "source": [src]})
    parts = pd.DataFrame({
        "part": ["甲部分", "乙部分"], "department": ["一处", "二处"],
        "budget_fen": pd.array([300_000_000, 200_000_000], dtype="Int64"), "source": [src] * 2})
    names = [f"合成类别{c}" for c in "ABCDEFG"]
    cats = pd.DataFrame({
        "category": names,
        "recipients": pd.array([1, 2, 3, 4, 5, 6, 0], dtype="Int64"),
        "amount_fen": pd.array([10_000_000, 45_000_000, 33_333_300, 120_000_000, 5_000_000, 60_000_000, 0],
                                dtype="Int64"),
        "level": pd.array(["省级", None, "市级", "国家级", "省级", None, None], dtype="string"),
        "part": ["甲部分"] * 4 + ["乙部分"] * 3, "source": [src] * 7})
    rankings = pd.DataFrame({
        "indicator": ["合成指标一：一个名字很长很长的指标用于测试换行是否正常工作以及不被截断",
                      "合成指标二"],
        "value": pd.array([12, 7], dtype="Int64"), "unit": ["家", "个"],
        "rank_number": pd.array([2, None], dtype="Int64"),
        "rank_text": pd.array(["列全省第二", "位居全省前列"], dtype="string"),
        "scope": pd.array(["全省", "全省"], dtype="string"),
        "note": pd.array([None, None], dtype="string"), "source": [src] * 2})
    return {"fund": fund, "parts": parts, "award_categories": cats, "rankings": rankings}


@pytest.fixture(autouse=True)
def _glyph_warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Glyph.*missing from font")
        yield


def strict_render(spec: charts.ChartSpec) -> tuple[Figure, bytes, bytes]:
    """Build and render a chart with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = spec.make()
        return fig, charts.render(fig, "png"), charts.render(fig, "svg")


def all_texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of a figure, tick labels included."""
    out: list[Text] = list(fig.texts)
    for ax in fig.axes:
        out += [*ax.texts, ax.xaxis.label, ax.yaxis.label, ax.title]
        for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = min(lo, hi), max(lo, hi)
            out += [lab for loc, lab in zip(axis.get_ticklocs(), axis.get_ticklabels(),
                                            strict=True) if lo <= loc <= hi]  # drawn ones
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def gid_text(fig: Figure, gid: str) -> str:
    found = [t.get_text() for t in fig.texts if t.get_gid() == gid]
    assert len(found) == 1, f"no single text with gid {gid!r}"
    return found[0]


def report_name(tables: dict[str, pd.DataFrame]) -> str:
    return str(tables["fund"]["source"].iloc[0]).split("／")[0]


# ------------------------------------------------------------------ fonts


def test_register_fonts_is_idempotent_and_bundled() -> None:
    family = charts.register_fonts()
    n = len(font_manager.fontManager.ttflist)
    assert charts.register_fonts() == family == "Noto Sans SC"
    assert len(font_manager.fontManager.ttflist) == n
    path = font_manager.findfont(font_manager.FontProperties(family=family),
                                 fallback_to_default=False)
    assert "pylopdf_fonts_zh_cn" in path


def test_register_fonts_opens_no_font_to_name_it() -> None:
    """Every chart asks for the family name; matplotlib forgets its open fonts in each forked
    notebook process, so answering by opening the 8 MB font would cost every notebook that again."""
    charts.register_fonts()
    font_manager._get_font.cache_clear()  # as after a fork (matplotlib's own at-fork hook)
    assert charts.register_fonts() == "Noto Sans SC"
    assert font_manager._get_font.cache_info().currsize == 0


def test_apply_theme_sets_rcparams() -> None:
    with mpl.rc_context():
        charts.apply_theme()
        assert mpl.rcParams["font.family"][0] == charts.register_fonts()
        assert mpl.rcParams["axes.unicode_minus"] is False
        assert mpl.rcParams["svg.fonttype"] == "path"


# ------------------------------------------------------------------ 2019 charts


def test_2019_has_every_chart(specs_2019: list[charts.ChartSpec]) -> None:
    """Every chart the 2019 data supports is made (others may be added: a subset, in order)."""
    slugs = [s.slug for s in specs_2019]
    wanted = [
        "01-utilisation-budget-spent-unspent", "02-spending-by-part",
        "03-award-amount-by-category", "04-award-average-per-recipient",
        "05-media-amount-by-outlet", "06-media-share-of-spending",
        "07-breakdown-1-star-levels", "07-breakdown-2-components",
        "08-share-of-province-and-nation", "09-provincial-ranks"]
    assert [s for s in slugs if s in wanted] == wanted
    assert all(re.fullmatch(r"[0-9a-z-]+", s) for s in slugs) and len(set(slugs)) == len(slugs)


def test_chart_specs_works_out_each_metric_once(t2019: dict[str, pd.DataFrame],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Working out which charts a year supports asks the execution table several times (tests,
    titles): it is computed once, and each asker gets a copy (changing one leaves the others)."""
    from fundanalysis.analysis import metrics

    rows: list[object] = []
    util_row = metrics._util_row
    monkeypatch.setattr(metrics, "_util_row", lambda *a: rows.append(a[0]) or util_row(*a))
    one = metrics.utilisation(t2019)
    once = len(rows)
    assert once >= 1  # the fund (and each part with a budget)
    charts.chart_specs(t2019)
    assert len(rows) == 2 * once
    with metrics.computed_once():
        a = metrics.utilisation(t2019)
        a.loc[0, "budget_fen"] = 1
        b = metrics.utilisation(t2019)
    assert len(rows) == 3 * once and b.equals(one)


def test_every_2019_chart_renders_cleanly(specs_2019: list[charts.ChartSpec], rendered_2019: Rendered) -> None:
    assert list(rendered_2019.figs) == [spec.slug for spec in specs_2019]
    for spec in specs_2019:
        _, png, svg = rendered_2019.figs[spec.slug]
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, spec.slug
        assert b"<svg" in svg and b"<text" not in svg, spec.slug  # text drawn as paths


def test_every_2019_chart_has_title_units_and_source(
        t2019: dict[str, pd.DataFrame], specs_2019: list[charts.ChartSpec], rendered_2019: Rendered) -> None:
    for spec in specs_2019:
        fig = rendered_2019.figs[spec.slug][0]
        title = gid_text(fig, "title")
        assert CJK.search(title) and title.replace("\n", "") == spec.title, spec.slug
        source = gid_text(fig, "source")
        assert source.startswith("资料来源：") and report_name(t2019) in source, spec.slug
        assert source == "资料来源：常州市工信局2019年度工业互联网专项资金自我评价报告"
        xlabel = fig.axes[0].get_xlabel()
        assert re.search(r"（.+）", xlabel), (spec.slug, xlabel)
        if spec.slug.split("-", 1)[1].startswith(MONEY_SLUGS):
            assert "万元" in xlabel, spec.slug


def test_no_chart_text_shows_a_python_value(specs_2019: list[charts.ChartSpec], rendered_2019: Rendered) -> None:
    """Notes, labels and titles are sentences: never a list, tuple or None printed as Python writes it."""
    for spec in specs_2019:
        for text in all_texts(rendered_2019.figs[spec.slug][0]):
            s = text.get_text()
            assert not re.search(r"^\[['\"]|['\"]\]$|^\(['\"]|\bNone\b|\bnan\b", s), (spec.slug, s)


def test_chart_uses_the_bundled_cjk_font(specs_2019: list[charts.ChartSpec]) -> None:
    fig = specs_2019[0].make()
    for t in all_texts(fig):
        path = font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
        assert "pylopdf_fonts_zh_cn" in path, t.get_text()


def test_png_shows_chinese_glyphs(t2019: dict[str, pd.DataFrame]) -> None:
    """The same chart with a Latin-only font renders differently (CJK drawn as boxes)."""
    cjk = charts.render(charts.award_amount_chart(t2019), "png")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Glyph.*missing from font")
        latin = charts.render(charts.award_amount_chart(
            t2019, theme=charts.Theme(fonts=("DejaVu Sans",))), "png")
    assert cjk != latin


def test_latin_only_font_warns(t2019: dict[str, pd.DataFrame]) -> None:
    """Sanity check of the test above: a missing glyph is caught as an error."""
    with pytest.raises(UserWarning, match="Glyph"):
        fig = charts.spending_by_part_chart(t2019, theme=charts.Theme(fonts=("DejaVu Sans",)))
        charts.render(fig)


def test_utilisation_chart_shows_rate_from_data(t2019: dict[str, pd.DataFrame]) -> None:
    fig = charts.utilisation_chart(t2019)
    texts = " ".join(t.get_text() for t in all_texts(fig))
    assert "86.87%" in texts
    assert "执行率" in texts and "结余" in texts and "1,000万元" in texts


def test_utilisation_rate_follows_the_data(t2019: dict[str, pd.DataFrame]) -> None:
    fund = t2019["fund"].assign(budget_fen=pd.array([900_000_000], dtype="Int64"))
    fig = charts.utilisation_chart({**t2019, "fund": fund})
    texts = " ".join(t.get_text() for t in all_texts(fig))
    assert "96.52%" in texts and "86.87%" not in texts  # 868.7 ÷ 900


def test_media_share_subtitle_notes_top_two(t2019: dict[str, pd.DataFrame]) -> None:
    sub = gid_text(charts.media_share_chart(t2019), "subtitle")
    assert "前两家" in sub and "72.2%" in sub


def test_rank_chart_lists_text_only_ranks_in_a_note(t2019: dict[str, pd.DataFrame]) -> None:
    fig = charts.rank_chart(t2019)
    assert "前列" in gid_text(fig, "notes")
    dots = [t.get_text() for t in fig.axes[0].texts]
    assert any("第3名" in d for d in dots) and any("第4名" in d for d in dots)


def layout_problems(fig: Figure) -> list[str]:
    """Texts that stick out of the figure or overlap another text."""
    r = fig.canvas.get_renderer()
    fig.draw(r)
    box, texts = fig.bbox, all_texts(fig)
    boxes = [t.get_window_extent(r) for t in texts]
    out = [f"cut off: {t.get_text()!r}" for t, e in zip(texts, boxes, strict=True)
           if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1]
    for (ta, a), (tb, b) in combinations(zip(texts, boxes, strict=True), 2):
        ov = Bbox.intersection(a, b)
        if ov is not None and ov.width > 1 and ov.height > 1:
            out.append(f"overlap: {ta.get_text()!r} / {tb.get_text()!r}")
    return out


def test_nothing_is_cut_off_or_overlapping(rendered_2019: Rendered) -> None:
    for slug, (fig, _, _) in rendered_2019.figs.items():  # the figures as rendered
        assert layout_problems(fig) == [], slug
    for spec in charts.chart_specs(synthetic_tables()):
        assert layout_problems(spec.make()) == [], spec.slug


def test_layout_check_can_fail(specs_2019: list[charts.ChartSpec]) -> None:
    fig = specs_2019[0].make()
    font = charts.THEME.families()
    fig.text(0.98, 0.5, "一段伸出图外的文字", fontfamily=font)
    fig.text(0.0, 1.0, "压在标题上", va="top", fontfamily=font)
    problems = layout_problems(fig)
    assert any(p.startswith("cut off") for p in problems)
    assert any(p.startswith("overlap") for p in problems)


def test_charts_leave_global_rcparams_alone(rendered_2019: Rendered) -> None:
    assert rendered_2019.figs and rendered_2019.rc_after == rendered_2019.rc_before


def test_render_rejects_unknown_format(specs_2019: list[charts.ChartSpec]) -> None:
    with pytest.raises(ValueError, match="jpg"):
        charts.render(specs_2019[0].make(), "jpg")


def test_data_uri(specs_2019: list[charts.ChartSpec]) -> None:
    assert charts.to_data_uri(specs_2019[1].make()).startswith("data:image/png;base64,iVBOR")


def _idat_zlib(png: bytes) -> bytes:
    """The zlib stream of a PNG's image data (its IDAT chunks joined)."""
    import struct

    out, i = b"", 8
    while i < len(png):
        (n,), kind = struct.unpack(">I", png[i:i + 4]), png[i + 4:i + 8]
        if kind == b"IDAT":
            out += png[i + 8:i + 8 + n]
        i += 12 + n
    return out


@pytest.mark.parametrize("narrow", [False, True])
def test_png_is_matplotlibs_own_at_the_fast_level(specs_2019: list[charts.ChartSpec], narrow: bool) -> None:
    """Chart PNGs are written by matplotlib (through Pillow) at zlib's fast level
    (config.PNG_COMPRESS_LEVEL), not the slower default: the same pixels, resolution and Software
    text as matplotlib's default-level encode of the same figure, in fewer seconds' work."""
    import io

    from PIL import Image

    spec = specs_2019[2].with_theme(charts.NARROW_THEME) if narrow else specs_2019[2]
    png = charts.render(spec.make(), "png", dpi=100)
    assert _idat_zlib(png)[1] >> 6 == 1, "not zlib's fast level"  # 2 would be the default
    ref = io.BytesIO()
    spec.make().savefig(ref, format="png", dpi=100, facecolor="white")
    assert _idat_zlib(ref.getvalue())[1] >> 6 == 2
    ours, theirs = Image.open(io.BytesIO(png)), Image.open(ref)
    assert ours.size == theirs.size and ours.convert("RGBA").tobytes() == theirs.convert("RGBA").tobytes()
    assert ours.info["dpi"] == pytest.approx((100, 100), abs=0.01) and ours.info["Software"] == theirs.info["Software"]
    shown = specs_2019[2].make()._repr_png_()  # JupyterLab's display of a chart
    assert _idat_zlib(shown)[1] >> 6 == 1


def test_a_chart_is_drawn_alike_twice(specs_2019: list[charts.ChartSpec]) -> None:
    """Rendering is deterministic: the same chart made twice gives the same PNG bytes."""
    spec = specs_2019[4]  # media by outlet: many texts to measure
    assert charts.render(spec.make(), "png", dpi=config.CHART_DPI) == charts.render(spec.make(), "png",
                                                                                    dpi=config.CHART_DPI)


# ------------------------------------------------------------------ other data shapes


def test_synthetic_tables_without_media() -> None:
    tables = synthetic_tables()
    specs = charts.chart_specs(tables)
    slugs = [s.slug for s in specs]
    assert slugs == ["01-utilisation-budget-spent-unspent", "01b-utilisation-rate-per-part",
                     "02-spending-by-part", "03-award-amount-by-category",
                     "04-award-average-per-recipient", "09-provincial-ranks"]
    for spec in specs:
        fig, _, _ = strict_render(spec)
        assert report_name(tables) in gid_text(fig, "source")
    amounts = charts.award_amount_chart(tables)
    assert len(amounts.axes[0].get_yticklabels()) == 7
    average = charts.award_average_chart(tables)  # the category with 0 recipients is left out
    assert len(average.axes[0].get_yticklabels()) == 6
    bullet = " ".join(t.get_text() for t in all_texts(charts.utilisation_by_part_chart(tables)))
    assert "执行率69.44%" in bullet and "执行率32.50%" in bullet  # 2,083,333 ÷ 3,000,000 …


def test_synthetic_overall_spent_exceeding_budget_is_labelled() -> None:
    tables = synthetic_tables()
    tables["fund"] = tables["fund"].assign(budget_fen=pd.array([200_000_000], dtype="Int64"))
    texts = " ".join(t.get_text() for t in all_texts(charts.utilisation_chart(tables)))
    assert "超出预算" in texts and "136.67%" in texts  # 2,733,333 ÷ 2,000,000


@pytest.mark.parametrize("fixture", ["rankings", "award_shapes/by_recipient"])
def test_fixture_years_render(fixture: str) -> None:
    data_dir = FIXTURES / fixture
    assert (data_dir / "raw").is_dir(), f"committed fixture {fixture} is missing"
    for year_dir in sorted((data_dir / "raw").glob("*/[0-9][0-9][0-9][0-9]")):
        tables = process_year(data_dir, int(year_dir.name), year_dir.parent.name).tables
        specs = charts.chart_specs(tables)
        assert specs and not any("media" in s.slug for s in specs if "media_outlets" not in tables)
        for spec in specs:
            strict_render(spec)


# ------------------------------------------------------------------ text helpers


@pytest.mark.parametrize("text", [
    "工信部2019年制造业与互联网融合发展试点示范项目（两化融合管理体系贯标示范）",
    "江苏省首批“互联网+先进制造业”基地（武进国家高新技术产业开发区）",
    "中汽研（天津）汽车信息咨询有限公司", "短标签", "ABC 2019 DEF 12345"])
def test_wrap_text_keeps_text_and_width(text: str) -> None:
    wrapped = charts.wrap_text(text, 10)
    assert wrapped.replace("\n", "").replace(" ", "") == text.replace(" ", "")
    lines = wrapped.split("\n")
    assert all(_units(ln) <= 22 for ln in lines)  # one closing mark may hang over
    assert not any(ln[0] in "，。）”" for ln in lines)
    for word in re.findall(r"[A-Za-z0-9]+", text):  # ASCII words and numbers stay whole
        assert any(word in ln for ln in lines), word


def test_pct_is_exact() -> None:
    assert fmt.pct_of(8_687_000, 10_000_000) == "86.87%"
    assert fmt.pct_of(1, 8, 2) == "12.50%"
    assert fmt.pct_of(1, 800, 2) == "0.13%"  # 0.125 rounds half up
    assert fmt.pct_of(1, 0) == "—"
