"""The corpus of real reports (tests/corpus/): its files and split, --compare finding every annotated figure
in the text whatever its form, and drafts whose cells are still marked 待核对 (check warns, exit 0)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from fundanalysis.analysis.doubts import open_doubts
from fundanalysis.cli import main
from fundanalysis.config import EXIT_OK
from fundanalysis.extract import extract
from fundanalysis.extract.compare import _column, found_in_text, text_sentences
from fundanalysis.extract.draft import TO_CHECK, build_draft, draft_workbook
from fundanalysis.extract.numerals import amount_fen
from fundanalysis.ingest.load import process_year

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
STEMS = sorted(p.stem for p in (CORPUS / "texts").glob("*.txt"))
#: SYNTHETIC: a short invented report whose draft passes check with one row marked 待核对 (安排).
SYNTHETIC = ("SYNTHETIC：测试文本，单位与数字均为虚构。\n某市工信局 2021 年度 数字经济专项资金自我评价报告\n"
             "一、基本信息\n2021 年度数字经济专项资金年初预算 500 万元，实际到位 450 万元，全年安排资金 480 万元。\n")


def annotation(stem: str) -> dict:
    return json.loads((CORPUS / "annotations" / f"{stem}.json").read_text(encoding="utf-8"))


def annotated_figures(stem: str) -> list[tuple[str, str, object]]:
    """(sheet, column, value) of every annotated amount and count of a text."""
    out = []
    for sheet, rows in annotation(stem)["sheets"].items():
        for row in rows:
            for column, value in row.items():
                if column in ("section", "原文") or value is None:
                    continue
                kind, _ = _column(sheet, column)
                if kind in ("money", "signed_money", "count"):
                    out.append((sheet, column, value))
    return out


# ---------------------------------------------------------------------------------------------------------
# The corpus' files and split


def test_the_corpus_has_twenty_texts_each_with_its_source_and_annotation() -> None:
    assert len(STEMS) >= 20
    for stem in STEMS:
        meta = json.loads((CORPUS / "texts" / f"{stem}.json").read_text(encoding="utf-8"))
        assert meta["source_url"].startswith("http"), stem
        assert meta["issuer"] and meta["date"], stem
        assert isinstance(meta["complete"], bool), stem
        assert (CORPUS / "annotations" / f"{stem}.json").is_file(), stem
        assert "SYNTHETIC" not in (CORPUS / "texts" / f"{stem}.txt").read_text(encoding="utf-8")[:200], stem


def test_the_split_covers_every_text_once_and_measures_on_at_least_eight() -> None:
    split = json.loads((CORPUS / "split.json").read_text(encoding="utf-8"))
    tuning, measuring = split["tuning"], split["measuring"]
    assert sorted(tuning + measuring) == STEMS
    assert not set(tuning) & set(measuring)
    assert len(measuring) >= 8
    for stem in split.get("retired", {}):
        assert stem in tuning, "a retired measuring text goes to the tuning side"


@pytest.mark.parametrize("stem", STEMS)
def test_annotations_use_the_input_sheets_and_columns(stem: str) -> None:
    from fundanalysis.ingest.specs import SHEETS_BY_NAME

    for sheet, rows in annotation(stem)["sheets"].items():
        headers = {c.header for c in SHEETS_BY_NAME[sheet].columns}
        for row in rows:
            assert set(row) - {"section"} <= headers, (stem, sheet, set(row) - headers)


# ---------------------------------------------------------------------------------------------------------
# --compare finds what is in the text


@pytest.mark.parametrize("stem", STEMS)
def test_every_annotated_figure_is_found_in_its_text(stem: str) -> None:
    sentences = text_sentences((CORPUS / "texts" / f"{stem}.txt").read_text(encoding="utf-8"))
    missing = [(sheet, column, value) for sheet, column, value in annotated_figures(stem)
               if found_in_text(sentences, sheet, column, value) is None]
    assert missing == []


_DIGITS = "零一二三四五六七八九"


def chinese_yuan(yuan: int) -> str:
    """An amount of whole 元 in Chinese numerals (十二万三千四百元), for the test's own sentences."""
    def below_10000(n: int) -> str:
        out, zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = n // value % 10
            if d:
                out += ("零" if zero and out else "") + _DIGITS[d] + unit
                zero = False
            else:
                zero = True
        return out
    if yuan == 0:
        return "零元"
    parts = [(yuan // 100_000_000, "亿"), (yuan // 10_000 % 10_000, "万"), (yuan % 10_000, "")]
    text = "".join(below_10000(n) + u for n, u in parts if n)
    return (text[1:] if text.startswith("一十") else text) + "元"


@pytest.mark.parametrize("stem", STEMS)
def test_every_annotated_amount_is_found_in_every_written_form(stem: str) -> None:
    amounts = [(s, c, v) for s, c, v in annotated_figures(stem) if _column(s, c)[0] in ("money", "signed_money")]
    for sheet, column, value in amounts:
        fen = abs(amount_fen(str(value), "万元"))
        wan = Decimal(fen) / 1_000_000
        forms = [f"{wan.normalize():f}万", f"{wan.normalize():f}万元", f"{Decimal(fen) / 100:,.2f}元"]
        if fen % 100 == 0 and fen:
            forms.append(chinese_yuan(fen // 100))
        for form in forms:
            assert found_in_text([f"全年共支出{form}。"], sheet, column, value), (stem, value, form)
        assert found_in_text([f"全年共支出{fen + 100}元。"], sheet, column, value) is None


def test_chinese_yuan_writes_what_numerals_reads() -> None:
    assert chinese_yuan(123_400) == "十二万三千四百元"
    assert amount_fen(chinese_yuan(1_409_205)) == 140_920_500


def test_compare_says_a_figure_the_draft_missed_is_in_the_text() -> None:
    from fundanalysis.extract.command import comparison_lines
    from fundanalysis.extract.compare import compare, rows_from_draft, rows_from_typed

    text = (CORPUS / "texts" / "001-yongxing-media-2018.txt").read_text(encoding="utf-8")
    reference = rows_from_typed({"媒体单位": [{"单位": "不存在的报社", "金额": "33.69万元"}]})
    result = compare(rows_from_draft(build_draft(extract(text), 2018)), reference)
    out = "\n".join(comparison_lines(result, "r.txt", "wb", text))
    line = next(ln for ln in out.splitlines() if "不存在的报社｜金额" in ln)
    assert "文本中有此数（未能读入此格）" in line and "与郴州电视台开展战略合作,经费33.69万" in line
    assert "不存在的报社｜单位：工作簿 不存在的报社，文本中未找到" in out  # the name is not in the text
    assert "（其中 1 个见于文本，未能读入）" in out


# ---------------------------------------------------------------------------------------------------------
# A draft still marked 待核对


@pytest.fixture(scope="module")
def marked_year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A data folder whose 2021 workbook is a (SYNTHETIC) report's draft, as extract wrote it."""
    draft = build_draft(extract(SYNTHETIC), 2021)
    n = sum(1 for r in draft.rows if r.values.get(TO_CHECK))
    assert n > 0, "the synthetic draft marks some rows"
    data = tmp_path_factory.mktemp("data")
    year_dir = data / "raw" / "marked-fund" / "2021"
    year_dir.mkdir(parents=True)
    (year_dir / "fund-2021.xlsx").write_bytes(draft_workbook(draft))
    return data, n


def test_check_counts_the_cells_still_marked(marked_year: tuple[Path, int]) -> None:
    data, n = marked_year
    result = CliRunner().invoke(main, ["check", "--data-dir", str(data), "--fund", "marked-fund", "--year", "2021"])
    assert result.exit_code == EXIT_OK, result.output
    assert f"{n} cell(s) still marked 待核对" in result.output
    assert f"仍有 {n} 个单元格标记为“待核对”" in result.output


def test_the_overview_shows_the_count_until_cleared(marked_year: tuple[Path, int], tmp_path: Path) -> None:
    from fundanalysis.api import Report

    data, n = marked_year
    tables = process_year(data, 2021, "marked-fund").tables
    assert open_doubts(tables) == n
    html = Report.load(year=2021, data_dir=str(data), fund="marked-fund").key_figures()._repr_html_()
    assert f"仍有 {n} 个单元格标记为“待核对”" in html
    cleared = {k: (df.assign(to_check=None) if "to_check" in df.columns else df) for k, df in tables.items()}
    assert open_doubts(cleared) == 0
    clean = Report.load(2019).key_figures()._repr_html_()  # the committed 2019 workbook: nothing to clear
    assert "待核对" not in clean


def test_a_clean_workbook_gets_no_warning(tmp_path: Path) -> None:
    from tests.conftest import WORKBOOK_2019  # the 2019 workbook, checked as it is

    year_dir = tmp_path / "raw" / "clean-fund" / "2019"
    year_dir.mkdir(parents=True)
    shutil.copy(WORKBOOK_2019, year_dir / "fund-2019.xlsx")
    result = CliRunner().invoke(main, ["check", "--data-dir", str(tmp_path), "--fund", "clean-fund", "--year", "2019"])
    assert result.exit_code == EXIT_OK, result.output
    assert "待核对" not in result.output
