"""Issue 26, forms and words: no grade without a whole form, the award words follow the kind of
support, no rank sentence without ranks, and the template, the data dictionary and ``check`` say
the same.

The funds are SYNTHETIC (``tests/fixtures/fidelity/make_form_shapes.py``); expected figures are
worked by hand from the fixture's cells, written out below.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import FIXTURES_DIR, REPO_DATA_DIR, edit_workbook
from test_defences import cli

from fundanalysis.analysis.selfeval import self_evaluation
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK
from fundanalysis.errors import InputError
from fundanalysis.ingest.load import process_year
from fundanalysis.ingest.specs import SHEETS
from fundanalysis.ingest.targets import parse_indicator_rows
from fundanalysis.ingest.template import build_template, data_dictionary
from fundanalysis.present.form import indicator_frame

SHAPES = FIXTURES_DIR / "fidelity" / "form-shapes"
YEAR = 2032
TRUNCATED, BLOCK_MISSING = "synthetic-form-truncated", "synthetic-form-block-missing"
SUBSIDY, PARTS = "synthetic-subsidy", "synthetic-parts-from-lines"
DOCS = Path(__file__).resolve().parents[1] / "docs"
#: Words a subsidy fund's pages must not say.
AWARD_WORDS = ("奖励", "获奖")
#: The 2019 report's own examples, which no other fund's rankings page may carry.
EXAMPLES_2019 = ("星级上云", "国家级示范", "全省各市", "所有名次均有明确数字")


@pytest.fixture
def shapes(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SHAPES / "raw", data / "raw")
    return data


def tables(fund: str) -> dict:
    return process_year(SHAPES, YEAR, fund).tables


def book(data: Path, fund: str) -> Path:
    return data / "raw" / fund / str(YEAR) / f"fund-{YEAR}.xlsx"


# ------------------------------------------------------------------ no grade without a whole form


def test_a_form_cut_off_before_satisfaction_has_points_and_no_grade() -> None:
    se = self_evaluation(tables(TRUNCATED))
    assert se is not None and se.card is not None
    # by hand: 180 of 200 executed → 9 of 10; indicators 20 + 15 + 15 + 20 + 10 = 80, all met
    assert (se.budget.score, se.total, se.max_total) == (Decimal(9), Decimal(89), Decimal(90))
    assert se.grade is None and not se.complete
    assert [(str(m.gap), m.subject, m.stated, m.expected) for m in se.missing] == [
        ("missing_block", "满意度指标", None, Decimal(10)), ("weight_short", "all", Decimal(90), Decimal(100))]


def test_a_form_missing_a_whole_block_with_full_points_still_has_no_grade() -> None:
    se = self_evaluation(tables(BLOCK_MISSING))
    assert se.total == se.max_total == Decimal(70)  # 10 + 50 + 10, every point earned
    assert se.grade is None and not se.complete and not se.lost_points
    assert [(str(m.gap), m.subject) for m in se.missing] == [("missing_block", "效益指标"), ("weight_short", "all")]


def test_the_whole_example_form_stays_graded() -> None:
    se = self_evaluation(process_year(FIXTURES_DIR / "forms", 2031, "synthetic-self-evaluation").tables)
    assert se.complete and se.grade == "优" and se.missing == ()


def test_scorecard_json_says_incomplete_and_what_is_missing(shapes: Path) -> None:
    done = cli("scorecard", "--fund", TRUNCATED, "--year", str(YEAR), "--data-dir", str(shapes), "--json")
    assert done.exit_code == EXIT_OK, done.output
    card = json.loads(done.stdout)
    assert card["complete"] is False and card["grade"] is None and card["total"] == 89
    assert {"gap": "missing_block", "subject": "满意度指标", "stated": None, "expected": 10} in card["missing"]
    text = cli("scorecard", "--fund", TRUNCATED, "--year", str(YEAR), "--data-dir", str(shapes)).stdout
    assert "不评等级" in text and "满意度指标" in text


def test_summary_of_the_2019_year_has_no_form_gaps(data_2019: Path) -> None:
    """A year without a form is not an incomplete form: nothing is listed as missing."""
    card = json.loads(cli("summary", "--year", "2019", "--data-dir", str(data_2019)).stdout)["scorecard"]
    assert card["has_form"] is False and card["complete"] is False and card["missing"] == []


# ------------------------------------------------------------------ optional means optional


def test_an_indicator_without_its_name_or_target_is_read() -> None:
    frame = indicator_frame(self_evaluation(tables(TRUNCATED)))
    quality = frame[frame["level2"] == "质量指标"].iloc[0]
    assert quality["name"] == "质量指标" and quality["score"] == 15  # named by its 二级指标
    jobs = frame[frame["name"] == "就业带动"].iloc[0]
    assert jobs["target"] == "未注明" and jobs["score"] == 20  # 达成预期指标 against no stated target


def test_two_unnamed_indicators_under_one_level2_are_a_located_problem() -> None:
    rows: list[tuple[int, dict[str, Any]]] = [
        (2, {"一级指标": "产出指标", "二级指标": "数量指标", "年度指标值": "≥5个", "实际完成值": "6个", "分值": 10}),
        (3, {"二级指标": "数量指标", "年度指标值": "≥3个", "实际完成值": "3个", "分值": 10}),
    ]
    with pytest.raises(InputError) as err:
        parse_indicator_rows(rows, "f.xlsx", "绩效指标")
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "三级指标"), (3, "三级指标")]


def test_a_number_actual_without_a_target_is_a_located_problem() -> None:
    rows = [(4, {"一级指标": "产出指标", "三级指标": "企业数", "实际完成值": "12家", "分值": 10})]
    with pytest.raises(InputError) as err:
        parse_indicator_rows(rows, "f.xlsx", "绩效指标")
    [p] = err.value.problems
    assert (p.row, p.column) == (4, "实际完成值") and "年度指标值" in p.reason


@pytest.mark.parametrize("fund", [TRUNCATED, BLOCK_MISSING, SUBSIDY, PARTS])
def test_every_shape_passes_check(shapes: Path, fund: str) -> None:
    done = cli("check", "--fund", fund, "--year", str(YEAR), "--data-dir", str(shapes))
    assert done.exit_code == EXIT_OK, done.output


def test_parts_named_only_in_the_lines_are_the_parts(shapes: Path) -> None:
    done = cli("check", "--fund", PARTS, "--year", str(YEAR), "--data-dir", str(shapes))
    assert done.exit_code == EXIT_OK and "expected one of" not in done.output
    assert "资金组成" in done.output and "县道养护、乡道养护" in done.output  # a note, not an error
    assert list(tables(PARTS)["parts"]["part"]) == ["县道养护", "乡道养护"]


def test_a_part_unknown_to_a_filled_parts_sheet_is_still_an_error(shapes: Path) -> None:
    def one_part(wb: openpyxl.Workbook) -> None:
        ws = wb["资金组成"]
        row = {"部分": "县道养护", "来源": "合成（synthetic）"}
        ws.append([row.get(c.value) for c in ws[1]])
    edit_workbook(book(shapes, PARTS), one_part)
    done = cli("check", "--fund", PARTS, "--year", str(YEAR), "--data-dir", str(shapes), "--json")
    assert done.exit_code == EXIT_BAD_INPUT
    assert {(p["sheet"], p["value"]) for p in json.loads(done.stdout)} == {("支出明细", "乡道养护")}


def test_an_unknown_kind_of_support_is_a_located_error(shapes: Path) -> None:
    def bad(wb: openpyxl.Workbook) -> None:
        ws = wb["奖励类别"]
        ws.cell(3, [c.value for c in ws[1]].index("支持方式") + 1, "补偿")
    edit_workbook(book(shapes, SUBSIDY), bad)
    done = cli("check", "--fund", SUBSIDY, "--year", str(YEAR), "--data-dir", str(shapes), "--json")
    assert done.exit_code == EXIT_BAD_INPUT
    [p] = json.loads(done.stdout)
    assert (p["sheet"], p["row"], p["column"], p["value"]) == ("奖励类别", 3, "支持方式", "补偿")


# ------------------------------------------------------------------ template, dictionary and check agree


def test_the_committed_data_dictionary_is_the_generated_one() -> None:
    committed = (DOCS / "input-workbook.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), ("docs/input-workbook.md is stale; regenerate it with: .venv/bin/python "
                                            "-c \"from fundanalysis.ingest.template import data_dictionary; "
                                            "print(data_dictionary(), end='')\" > docs/input-workbook.md")


def test_the_data_dictionary_lists_every_column_with_its_requirement() -> None:
    text = data_dictionary()
    assert "| 主管部门 | 选填 |" in text and "| 资金名称 | 必填 |" in text
    assert "| 三级指标 | 选填 |" in text and "| 年度指标值 | 选填 |" in text
    assert "| 分值 | 条件必填（每个指标行（总分行除外）） |" in text
    assert "| 支持方式 | 选填 |" in text and "奖励 / 补助 / 补贴 / 奖补" in text
    for spec in SHEETS:
        assert f"## {spec.name}（" in text


def _requirements(wb: openpyxl.Workbook) -> dict[tuple[str, str], str]:
    """(sheet, header) → 必填 / 选填 / 条件必填, read from the template's header notes."""
    out = {}
    for ws in wb.worksheets:
        for cell in ws[1]:
            m = re.match(r"(必填|选填|条件必填)", cell.comment.text)
            assert m, (ws.title, cell.value, cell.comment.text)
            out[(ws.title, str(cell.value))] = m[1]
    return out


def test_a_workbook_with_only_the_required_cells_passes_check(tmp_path: Path) -> None:
    wb = build_template(YEAR)
    needs = _requirements(wb)
    required = {k for k, v in needs.items() if v == "必填"}
    # what a real report always gives: the fund's name, its year and where it says so
    assert {(s, h) for s, h in required if s == "专项资金"} == {("专项资金", "资金名称"), ("专项资金", "年度"),
                                                              ("专项资金", "来源")}
    assert needs[("专项资金", "主管部门")] == needs[("绩效指标", "三级指标")] == "选填"
    assert needs[("绩效指标", "年度指标值")] == "选填"
    assert needs[("奖励类别", "支持方式")] == needs[("获奖企业", "支持方式")] == "选填"
    ws = wb["专项资金"]
    headers = [c.value for c in ws[1]]
    for _, header in sorted(k for k in required if k[0] == "专项资金"):
        cell = ws.cell(2, headers.index(header) + 1)
        if cell.value is None:
            cell.value = "合成专项资金（synthetic）"
    dest = tmp_path / "data" / "raw" / "synthetic-minimal" / str(YEAR) / f"fund-{YEAR}.xlsx"
    dest.parent.mkdir(parents=True)
    wb.save(dest)
    done = cli("check", "--fund", "synthetic-minimal", "--year", str(YEAR), "--data-dir", str(tmp_path / "data"))
    assert done.exit_code == EXIT_OK, done.output
    summary = json.loads(cli("summary", "--fund", "synthetic-minimal", "--year", str(YEAR), "--data-dir",
                             str(tmp_path / "data")).stdout)
    assert summary["issuer"] is None


# ------------------------------------------------------------------ built end to end


def page_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"data:[^\"')]+", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four synthetic funds built once."""
    root = tmp_path_factory.mktemp("shapes")
    shutil.copytree(SHAPES / "raw", root / "data" / "raw")
    done = cli("report", "--data-dir", str(root / "data"), "--out-dir", str(root / "out"), "--jobs", "2")
    assert done.exit_code == EXIT_OK, done.output
    return root / "out"


def _form_cells(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(BytesIO(path.read_bytes()))["自评表"]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.slow
def test_truncated_form_built(built: Path) -> None:
    year = built / TRUNCATED / str(YEAR)
    form = page_text(year / "50-self-evaluation.html")
    assert "总分 89（满分 90）" in form and "缺少一级指标“满意度指标”" in form and "不评等级" in form
    assert not re.search(r"等级“[优良中差]”", form)
    overview = page_text(year / "10-fund-overview.html")
    assert "自评表不完整" in overview and "满意度指标" in overview and not re.search(r"等级“[优良中差]”", overview)
    card = json.loads((year / "summary.json").read_text(encoding="utf-8"))["scorecard"]
    assert card["complete"] is False and card["grade"] is None and card["total"] == 89
    assert [m["subject"] for m in card["missing"] if m["gap"] == "missing_block"] == ["满意度指标"]
    cells = _form_cells(year / f"{TRUNCATED}-{YEAR}-自评表.xlsx")
    assert not any(c.startswith("等级：") for c in cells)
    assert any("不评等级" in c for c in cells) and any("满意度指标" in c for c in cells)
    assert (year / "charts" / "10-points-lost-by-indicator.png").is_file()  # 预算执行 lost 1 point


@pytest.mark.slow
def test_a_form_that_lost_nothing_draws_no_points_lost_chart(built: Path) -> None:
    year = built / BLOCK_MISSING / str(YEAR)
    assert not list((year / "charts").glob("*points-lost*"))
    form = page_text(year / "50-self-evaluation.html")
    assert "各项均未失分" in form and "缺少一级指标“效益指标”" in form and "不评等级" in form


@pytest.mark.slow
def test_subsidy_fund_built(built: Path) -> None:
    year = built / SUBSIDY / str(YEAR)
    pages = sorted(year.glob("*.html"))
    assert [p.name for p in pages] == ["10-fund-overview.html", "20-award-categories.html", "40-rankings.html",
                                       "index.html"]
    for page in pages:
        # the provenance of a figure names the workbook's sheet as it is called (奖励类别表第 2 行): that
        # is where the analyst finds it, not a word about the fund
        text = re.sub(r"奖励类别表(第 [0-9、 ]+ 行)?", "", page_text(page))
        assert not [w for w in AWARD_WORDS if w in text], (page.name, [w for w in AWARD_WORDS if w in text])
        assert "0 家" not in text and "0家" not in text, page.name
    award = page_text(year / "20-award-categories.html")
    assert "补助类别" in award and "补助金额" in award and "获补助单位数" in award and "未注明" in award
    alt = re.findall(r'alt="([^"]*)"', (year / "20-award-categories.html").read_text(encoding="utf-8"))
    assert alt and all("补助" in a and "奖" not in a for a in alt), alt
    assert "未注明 · 2032 年度" in award  # no 主管部门
    ranks = page_text(year / "40-rankings.html")
    assert not [w for w in EXAMPLES_2019 if w in ranks] and "名次以报告所述为准" not in ranks
    summary = json.loads((year / "summary.json").read_text(encoding="utf-8"))
    assert summary["award_support"] == "补助" and summary["issuer"] is None
    assert all(c["recipients"] is None for c in summary["award_categories"])
    tables_book = openpyxl.load_workbook(year / f"{SUBSIDY}-{YEAR}-数据表.xlsx")
    assert "补助类别" in tables_book.sheetnames and "奖励类别" not in tables_book.sheetnames
    assert {"获补助单位数", "补助金额（万元）"} <= {c.value for c in tables_book["补助类别"][1]}
    # no form: no filled 自评表, and no link to one
    assert not list(year.glob("*自评表*"))
    index = (year / "index.html").read_text(encoding="utf-8")
    assert "自评表" not in index and "%E8%87%AA%E8%AF%84%E8%A1%A8" not in index


@pytest.mark.slow
def test_parts_from_lines_built(built: Path) -> None:
    overview = page_text(built / PARTS / str(YEAR) / "10-fund-overview.html")
    assert "县道养护" in overview and "乡道养护" in overview


@pytest.mark.slow
def test_2019_keeps_its_award_words_and_has_no_filled_form(built_report: dict[str, Path]) -> None:
    year = built_report["out"] / "changzhou-industrial-internet" / "2019"
    award = page_text(year / "20-award-categories.html")
    assert "奖励类别" in award and "获奖单位数" in award and "奖励金额" in award
    ranks = page_text(year / "40-rankings.html")
    assert "有明确名次" in ranks and "全省第" in ranks
    assert not list(year.glob("*自评表*"))  # the 预算执行 score alone is not a form
    assert "自评表.xlsx" not in (year / "index.html").read_text(encoding="utf-8")
    summary = json.loads((year / "summary.json").read_text(encoding="utf-8"))
    assert summary["award_support"] == "奖励" and summary["scorecard"]["total"] == 8.69


def test_2019_workbook_has_no_support_column_and_reads_as_awards() -> None:
    wb = openpyxl.load_workbook(next((REPO_DATA_DIR / "raw").glob("*/2019/*.xlsx")), read_only=True)
    assert "支持方式" not in [c.value for c in next(wb["奖励类别"].iter_rows(max_row=1))]


def test_check_descriptions_follow_the_kind_of_support() -> None:
    from fundanalysis.present.words import describe_check
    from fundanalysis.vocab import Rule

    said = describe_check(Rule.SPENT, None, None, None, ("award_categories",), "补助")
    assert "各类补助金额" in said and "奖" not in said
    assert "获补贴单位数" in describe_check(Rule.RECIPIENTS, support="补贴")
    assert "各类奖励金额" in describe_check(Rule.SPENT, None, None, None, ("award_categories",))
