"""The 项目支出绩效自评表 workbook: layout, numbers, marked disagreements and print setup.

SYNTHETIC: every name and figure in these documents is invented (合成示例), after the worked example
in ``docs/domain.md`` ("A worked example"); none comes from a real report.
"""

from __future__ import annotations

import copy
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from fundanalysis.export.scorecard_xlsx import form_workbook

FUND = "示例市中小企业数字化转型专项资金（合成示例）"
ISSUER = "示例市工业和信息化局（合成）"


def _indicator(level1: str, level2: str, name: str, target: str, actual: str, weight: str, score: str,
               stated: str | None, rule_text: str, deviation: str | None = None) -> dict[str, Any]:
    """One synthetic indicator row."""
    return {"level1": level1, "level2": level2, "name": name, "target": target, "actual": actual,
            "weight": weight, "score": score, "stated_score": stated, "rule": "synthetic",
            "rule_text": rule_text, "ok": stated is None or stated == score, "deviation": deviation}


def example_doc() -> dict[str, Any]:
    """docs/domain.md's worked synthetic form, with one indicator scored differently from the form.

    资金拨付时间 (target 9月前, actual 10月) is computed as 0 under a strict time rule, while the form
    states 4; so the computed total is 91.5 against the stated 95.5.
    """
    return {
        "year": 2031, "fund_name": FUND, "issuer": ISSUER, "implementer": "示例市中小企业服务中心（合成）",
        "money": [
            {"label": "年度资金总额", "initial_yuan": 5_000_000, "annual_yuan": 4_800_000,
             "executed_yuan": 4_560_000, "weight": "10", "rate": 0.95, "score": "9.5", "stated_score": "9.5",
             "stated_rate": 0.95, "from_sources": False},
            {"label": "其中：当年财政拨款", "initial_yuan": 5_000_000, "annual_yuan": 4_500_000,
             "executed_yuan": 4_300_000, "weight": None, "rate": 0.9556, "score": None, "stated_score": None,
             "stated_rate": None, "from_sources": False},
            {"label": "上年结转资金", "initial_yuan": None, "annual_yuan": 300_000, "executed_yuan": 260_000,
             "weight": None, "rate": 0.8667, "score": None, "stated_score": None, "stated_rate": None,
             "from_sources": False},
            {"label": "其他资金", "initial_yuan": None, "annual_yuan": None, "executed_yuan": None,
             "weight": None, "rate": None, "score": None, "stated_score": None, "stated_rate": None,
             "from_sources": False},
        ],
        "money_note": None,
        "goals": [{"expected": "支持120家企业完成数字化改造，建设10个示范项目（合成）。",
                   "achieved": "支持126家企业完成数字化改造，建成示范项目9个，1个延期（合成）。"}],
        "indicators": [
            _indicator("产出指标", "数量指标", "支持企业数", "≥120家", "126家", "15", "15", "15", "达到目标，满分"),
            _indicator("产出指标", "数量指标", "示范项目数", "=10个", "9个", "10", "9", "9",
                       "未达目标，按完成比例计分", "1个项目延期"),
            _indicator("产出指标", "质量指标", "验收合格率", "≥95%", "97%", "10", "10", "10", "达到目标，满分"),
            _indicator("产出指标", "时效指标", "资金拨付时间", "9月前", "10月", "5", "0", "4",
                       "未按时完成，不得分", "审批延迟"),
            _indicator("产出指标", "成本指标", "单个项目补助", "≤50万元", "45万元", "10", "10", "10",
                       "达到目标，满分"),
            _indicator("效益指标", "经济效益指标", "带动企业投资", "≥2亿元", "2.3亿元", "15", "15", "15",
                       "达到目标，满分"),
            _indicator("效益指标", "社会效益指标", "数字化水平", "明显提升", "达成预期指标", "10", "10", "10",
                       "达成预期指标，满分"),
            _indicator("效益指标", "可持续影响指标", "长效机制", "建立", "部分达成", "5", "3", "3",
                       "部分达成，按0.6计分", "制度待完善"),
            _indicator("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "93%", "10", "10", "10",
                       "达到目标，满分"),
        ],
        "blocks": [{"level1": "产出指标", "weight": "50", "score": "44"},
                   {"level1": "效益指标", "weight": "30", "score": "28"},
                   {"level1": "满意度指标", "weight": "10", "score": "10"}],
        "total": "91.5", "max_total": "100", "grade": "优", "stated_total": "95.5",
        "notes": ["合成示例：本表数字均为虚构，仅用于展示版式。"],
    }


def money_only_doc() -> dict[str, Any]:
    """A synthetic 2019 report without a form: only the budget execution can be scored."""
    return {
        "year": 2019, "fund_name": "示例县农业产业发展专项资金（合成示例）", "issuer": "示例县农业农村局（合成）",
        "implementer": None,
        "money": [{"label": "年度资金总额", "initial_yuan": None, "annual_yuan": 12_345_600,
                   "executed_yuan": 10_724_622.72, "weight": "10", "rate": 0.8687, "score": "8.69",
                   "stated_score": None, "stated_rate": None, "from_sources": False}],
        "money_note": None, "goals": [], "indicators": [], "blocks": [],
        "total": "8.69", "max_total": "10", "grade": None, "stated_total": None,
        "notes": ["报告未给出绩效指标，只计算预算执行得分"],
    }


def sheet(doc: dict[str, Any]) -> Worksheet:
    """The form's sheet, read back from the bytes."""
    wb = load_workbook(BytesIO(form_workbook(doc)))
    assert wb.sheetnames == ["自评表"]
    return wb["自评表"]


def find(ws: Worksheet, value: Any, column: int | None = None) -> Cell:
    """The first cell holding exactly ``value`` (optionally in one column)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == value and (column is None or cell.column == column):
                return cell
    raise AssertionError(f"no cell holds {value!r}")


def merged_range_of(ws: Worksheet, cell: Cell) -> tuple[int, int, int, int]:
    """``(min_row, min_col, max_row, max_col)`` of the merged range starting at ``cell``."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row == cell.row and rng.min_col == cell.column:
            return rng.min_row, rng.min_col, rng.max_row, rng.max_col
    raise AssertionError(f"{cell.coordinate} starts no merged range")


def row_of(ws: Worksheet, label: str, column: int) -> int:
    """The row whose cell in ``column`` holds ``label``."""
    return find(ws, label, column).row


@pytest.fixture(scope="module")
def example() -> Worksheet:
    """The example form."""
    return sheet(example_doc())


# ------------------------------------------------------------------ heading and print setup


def test_title_and_heading(example: Worksheet) -> None:
    assert example["A1"].value == "项目支出绩效自评表"
    assert example["A1"].font.name == "黑体" and example["A1"].font.b
    assert example["A1"].font.sz == 16
    assert "A1:I1" in {str(r) for r in example.merged_cells.ranges}
    assert example["A2"].value == "（2031年度）"
    assert find(example, FUND).column == 3
    assert find(example, "项目名称").font.name == "宋体"
    assert find(example, "示例市中小企业服务中心（合成）").column == 7


def test_print_setup(example: Worksheet) -> None:
    assert example.page_setup.orientation == "landscape"
    assert int(example.page_setup.paperSize) == int(example.PAPERSIZE_A4) == 9
    assert int(example.page_setup.fitToWidth) == 1 and int(example.page_setup.fitToHeight) == 0
    assert example.sheet_properties.pageSetUpPr.fitToPage
    assert example.print_options.horizontalCentered
    note_row = row_of(example, "合成示例：本表数字均为虚构，仅用于展示版式。", 1)
    assert example.print_area == f"'自评表'!$A$1:$I${note_row}"
    assert example.print_title_rows == "$1:$2"


def test_borders_and_fonts_on_the_body(example: Worksheet) -> None:
    cell = find(example, "验收合格率")
    assert cell.border.left.style == cell.border.bottom.style == "thin"
    assert cell.font.name == "宋体" and cell.font.sz == 11
    assert cell.alignment.wrap_text and cell.alignment.vertical == "center"
    # inside a merged block label too
    label = find(example, "项目资金\n（万元）")
    below = example.cell(row=label.row + 2, column=2)
    assert below.border.right.style == "thin"


# ------------------------------------------------------------------ the money block


def test_money_in_wan_yuan(example: Worksheet) -> None:
    r = row_of(example, "年度资金总额", 3)
    assert [example.cell(row=r, column=c).value for c in (4, 5, 6)] == [500.0, 480.0, 456.0]
    assert example.cell(row=r, column=5).number_format == "#,##0.00"
    assert example.cell(row=r, column=7).value == 10
    assert example.cell(row=r, column=8).value == pytest.approx(0.95)
    assert example.cell(row=r, column=8).number_format == "0.00%"
    assert example.cell(row=r, column=9).value == 9.5
    assert example.cell(row=r, column=9).fill.fill_type is None  # stated 9.5 agrees
    assert example.cell(row=r, column=9).comment is None
    carried = row_of(example, "上年结转资金", 3)
    assert example.cell(row=carried, column=4).value == "—"
    assert example.cell(row=carried, column=4).alignment.horizontal == "center"
    assert example.cell(row=carried, column=5).value == 30.0
    assert example.cell(row=carried, column=9).value == "—"


def test_money_block_label_spans_header_and_rows(example: Worksheet) -> None:
    label = find(example, "项目资金\n（万元）")
    header = row_of(example, "年初预算数", 4)
    assert merged_range_of(example, label) == (header, 1, header + 4, 2)
    assert [example.cell(row=header, column=c).value for c in range(4, 10)] == [
        "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]


def test_money_total_disagreement_is_marked() -> None:
    doc = example_doc()
    doc["money"][0]["stated_score"] = "10"
    ws = sheet(doc)
    cell = ws.cell(row=row_of(ws, "年度资金总额", 3), column=9)
    assert cell.value == 9.5
    assert cell.fill.fgColor.rgb == "FFF2CCCC"
    assert "10" in cell.comment.text and "9.5" in cell.comment.text
    assert cell.comment.author == "fundanalysis"


def test_money_note_under_the_block() -> None:
    doc = example_doc()
    doc["money_note"] = "年度资金总额未填，按各来源之和计算"
    ws = sheet(doc)
    note = find(ws, "注：年度资金总额未填，按各来源之和计算")
    assert note.row == row_of(ws, "其他资金", 3) + 1
    assert merged_range_of(ws, note) == (note.row, 3, note.row, 9)
    label = find(ws, "项目资金\n（万元）")
    assert merged_range_of(ws, label)[2] == note.row


# ------------------------------------------------------------------ goals and indicators


def test_goals_side_by_side(example: Worksheet) -> None:
    expected = find(example, "支持120家企业完成数字化改造，建设10个示范项目（合成）。")
    assert merged_range_of(example, expected) == (expected.row, 3, expected.row, 6)
    achieved = example.cell(row=expected.row, column=7)
    assert achieved.value.startswith("支持126家企业")
    assert example.row_dimensions[expected.row].height >= 22


def test_level1_cells_merge_over_their_indicators(example: Worksheet) -> None:
    output = find(example, "产出指标\n（50分）")
    first = row_of(example, "支持企业数", 4)
    assert output.row == first and output.column == 2
    assert merged_range_of(example, output) == (first, 2, first + 4, 2)  # five 产出 indicators
    benefit = find(example, "效益指标\n（30分）")
    assert merged_range_of(example, benefit) == (first + 5, 2, first + 7, 2)
    satisfaction = find(example, "满意度指标\n（10分）")
    assert satisfaction.row == first + 8
    assert all(satisfaction.coordinate not in r for r in example.merged_cells.ranges)  # a single row: not merged
    label = find(example, "绩效\n指标")
    assert merged_range_of(example, label) == (first - 1, 1, first + 8, 1)


def test_disagreeing_score_is_filled_and_commented(example: Worksheet) -> None:
    r = row_of(example, "资金拨付时间", 4)
    cell = example.cell(row=r, column=8)
    assert cell.value == 0
    assert cell.fill.fgColor.rgb == "FFF2CCCC"
    assert cell.comment.text == "表内填报 4 分；按评分规则计算为 0 分（未按时完成，不得分）"
    assert example.cell(row=r, column=9).value == "审批延迟"


def test_agreeing_score_has_neither(example: Worksheet) -> None:
    r = row_of(example, "示范项目数", 4)
    cell = example.cell(row=r, column=8)
    assert cell.value == 9 and cell.comment is None and cell.fill.fill_type is None
    assert example.cell(row=r, column=7).value == 10


def test_formula_like_target_stays_text(example: Worksheet) -> None:
    cell = example.cell(row=row_of(example, "示范项目数", 4), column=5)
    assert cell.value == "=10个" and cell.data_type == "s"


def test_decimal_scores_are_numbers() -> None:
    doc = example_doc()
    doc["indicators"][1].update(score="8.69", stated_score="8.690")  # equal as decimals
    ws = sheet(doc)
    cell = ws.cell(row=row_of(ws, "示范项目数", 4), column=8)
    assert cell.value == 8.69 and cell.number_format == "0.0#"
    assert cell.comment is None


def test_total_row(example: Worksheet) -> None:
    total = find(example, "总分")
    assert merged_range_of(example, total) == (total.row, 1, total.row, 6)
    assert example.cell(row=total.row, column=7).value == 100
    score = example.cell(row=total.row, column=8)
    assert score.value == 91.5
    assert score.fill.fgColor.rgb == "FFF2CCCC"
    assert "95.5" in score.comment.text and "91.5" in score.comment.text
    assert example.cell(row=total.row, column=9).value == "等级：优"


def test_agreeing_total_is_not_marked() -> None:
    doc = example_doc()
    doc["stated_total"] = "91.50"
    ws = sheet(doc)
    score = ws.cell(row=find(ws, "总分").row, column=8)
    assert score.comment is None and score.fill.fill_type is None


def test_no_indicators_says_so() -> None:
    doc = example_doc()
    doc["indicators"], doc["blocks"] = [], []
    ws = sheet(doc)
    cell = find(ws, "报告未给出绩效指标")
    assert merged_range_of(ws, cell) == (cell.row, 2, cell.row, 9)
    assert find(ws, "总分").row == cell.row + 1


def test_does_not_change_its_input() -> None:
    doc = example_doc()
    before = copy.deepcopy(doc)
    form_workbook(doc)
    assert doc == before


# ------------------------------------------------------------------ a report without a form


def test_money_block_only() -> None:
    ws = sheet(money_only_doc())
    assert ws["A2"].value == "（2019年度）"
    r = row_of(ws, "年度资金总额", 3)
    assert ws.cell(row=r, column=4).value == "—"
    assert ws.cell(row=r, column=5).value == 1234.56
    assert ws.cell(row=r, column=6).value == pytest.approx(1072.462272)
    assert ws.cell(row=r, column=8).value == pytest.approx(0.8687)
    assert ws.cell(row=r, column=9).value == 8.69
    assert ws.cell(row=r, column=9).comment is None
    label = find(ws, "项目资金\n（万元）")
    assert merged_range_of(ws, label) == (r - 1, 1, r, 2)  # header and the one row
    goals = find(ws, "报告未给出")
    assert merged_range_of(ws, goals) == (goals.row, 3, goals.row, 9)
    assert find(ws, "报告未给出绩效指标").row == goals.row + 2
    total = find(ws, "总分")
    assert ws.cell(row=total.row, column=7).value == 10
    assert ws.cell(row=total.row, column=8).value == 8.69
    assert ws.cell(row=total.row, column=9).value == "—"
    note = find(ws, "报告未给出绩效指标，只计算预算执行得分")
    assert note.row == total.row + 1 and merged_range_of(ws, note) == (note.row, 1, note.row, 9)
    assert ws.cell(row=r, column=9).fill.fill_type is None
    implementer = ws.cell(row=find(ws, "实施单位").row, column=7)
    assert implementer.value is None  # not stated: blank
