"""``fundanalysis template``: a blank workbook with every sheet, header notes and dropdowns,
which ``check`` accepts once it is filled in (here with SYNTHETIC data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fundanalysis.cli import main
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK
from fundanalysis.ingest.specs import PROCUREMENT_METHODS, SHEETS, SHEETS_BY_NAME, SPENT_WORDS

YEAR = 2031
#: The fund folder the filled template goes into (SYNTHETIC).
TEMPLATE_FUND = "synthetic-template"
SYN = "合成测试数据（synthetic）"

#: Synthetic rows to fill in, by sheet and header. Every figure is invented.
FILL: dict[str, list[dict[str, Any]]] = {
    "专项资金": [{"资金名称": "合成专项资金", "主管部门": "合成市工信局", "城市": "合成市",
                  "省份": "合成省", "预算金额": "300 万元", "预算口径": "年初预算", "来源": SYN}],
    "资金组成": [
        {"部分": "（一）合成项目", "负责处室": "合成处", "来源": SYN},
        {"部分": "（二）合成宣传", "负责处室": "合成办公室", "预算金额": "50万元", "来源": SYN},
    ],
    "奖励类别": [
        {"类别": "1、工业互联网平台", "获奖单位数": 2, "奖励金额": "５０ 万元", "级别": "省级",
         "所属部分": "合成项目", "来源": SYN},
        {"类别": "2、两化融合管理体系贯标", "获奖单位数": "10家", "奖励金额": 80, "级别": "国家级",
         "所属部分": "合成项目", "来源": SYN},
    ],
    "获奖企业": [
        {"企业名称": "合成甲公司", "类别": "工业互联网平台", "奖励金额": "25万元", "来源": SYN},
        {"企业名称": "合成乙公司", "类别": "工业互联网平台", "奖励金额": "250,000元", "来源": SYN},
    ],
    "媒体单位": [
        {"单位": "1、合成日报", "项目数": 2, "金额": "20.5万元", "采购方式": "政府采购",
         "所属部分": "合成宣传", "来源": SYN},
        {"单位": "2、合成电视台", "项目数": 1, "金额": 9.5, "采购方式": "自行采购",
         "所属部分": "合成宣传", "来源": SYN},
    ],
    "宣传项目": [
        {"单位": "合成日报", "项目名称": "合成专题一", "来源": SYN},
        {"单位": "合成日报", "项目名称": "合成专题二", "来源": SYN},
        {"单位": "合成电视台", "项目名称": "合成专题片", "来源": SYN},
    ],
    "排名与成果": [
        {"指标": "合成指标", "数值": 40, "单位": "家", "名次": "", "名次表述": "位居全省前列",
         "范围": "全省", "来源": SYN},
    ],
    "分项构成": [
        {"指标": "合成指标", "分项": "五星级", "数值": 10, "单位": "家", "来源": SYN},
        {"指标": "合成指标", "分项": "四星级", "数值": 30, "单位": "家", "来源": SYN},
    ],
    "对比基数": [
        {"指标": "合成指标", "本市": 40, "全省": 160, "表述占全省比例": "1/4", "来源": SYN},
    ],
    "全省城市对比": [
        {"指标": "合成指标", "城市": "合成市", "数值": 40, "来源": SYN},
        {"指标": "合成指标", "城市": "合成乙市", "数值": 120, "来源": SYN},
    ],
    "报告总计": [
        {"核对项": "项目总数", "表述值": "15个", "来源": SYN},
        {"核对项": "使用资金", "表述值": "160万元", "来源": SYN},
        {"核对项": "承担单位数", "所属部分": "合成宣传", "表述值": "2家", "来源": SYN},
        {"核对项": "政府采购单位数", "所属部分": "合成宣传", "表述值": "1家", "来源": SYN},
        {"核对项": "自行采购单位数", "所属部分": "合成宣传", "表述值": "1家", "来源": SYN},
    ],
}


def make_template(out_dir: Path, *extra: str, fund: str = TEMPLATE_FUND, data_dir: Path | None = None) -> Path:
    data = ["--data-dir", str(data_dir)] if data_dir else []
    result = CliRunner().invoke(main, ["template", "--fund", fund, "--year", str(YEAR), "--out-dir",
                                       str(out_dir), *data, *extra])
    assert result.exit_code == EXIT_OK, result.output
    path = out_dir / "templates" / fund / f"fund-{YEAR}.xlsx"
    assert path.is_file()
    assert str(path) in result.output
    return path


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return make_template(tmp_path / "out")


def fill(template: Path, data_dir: Path, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """Fill the template's sheets by header and save it as the year's input workbook."""
    wb = openpyxl.load_workbook(template)
    for sheet, records in rows.items():
        ws = wb[sheet]
        headers = [c.value for c in ws[1]]
        for r, rec in enumerate(records, start=2):
            for header, value in rec.items():
                ws.cell(row=r, column=headers.index(header) + 1, value=value)
    dest = data_dir / "raw" / TEMPLATE_FUND / str(YEAR) / f"fund-{YEAR}.xlsx"
    dest.parent.mkdir(parents=True)
    wb.save(dest)
    return data_dir


def check(data_dir: Path, *extra: str) -> Any:
    return CliRunner().invoke(main, ["check", "--year", str(YEAR), "--data-dir", str(data_dir),
                                     *extra])


# ---------------------------------------------------------------- the blank template


def test_sheets_and_headers_equal_config(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == [s.name for s in SHEETS]
    for spec in SHEETS:
        ws = wb[spec.name]
        assert [c.value for c in ws[1]] == [c.header for c in spec.columns], spec.name


def test_every_header_has_a_comment(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    for spec in SHEETS:
        ws = wb[spec.name]
        for cell, col in zip(ws[1], spec.columns, strict=True):
            assert cell.comment is not None, (spec.name, col.header)
            text = cell.comment.text
            need = "必填" if col.required else "条件必填" if col.required_when else "选填"
            assert text.startswith(need), (spec.name, text)
            if col.note:
                assert col.note in text


def _validations(ws: Worksheet) -> dict[str, list[str]]:
    """Header → list values of each list validation on a sheet (checked to cover its column)."""
    headers = [c.value for c in ws[1]]
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        values = dv.formula1.strip('"').split(",")
        for rng in dv.sqref.ranges:
            assert rng.min_col == rng.max_col
            assert rng.min_row == 2 and rng.max_row >= 100
            out[headers[rng.min_col - 1]] = values
    return out


def test_dropdowns_on_fixed_vocabularies(template: Path) -> None:
    """A new fund gets no award-category dropdown: another fund's categories are never offered."""
    wb = openpyxl.load_workbook(template)
    assert "类别" not in _validations(wb["奖励类别"]) and "类别" not in _validations(wb["获奖企业"])
    assert _validations(wb["媒体单位"])["采购方式"] == list(PROCUREMENT_METHODS)
    assert _validations(wb["专项资金"])["执行口径"] == list(SPENT_WORDS) == ["使用", "支出", "拨付", "安排", "执行"]
    assert _validations(wb["支出明细"])["执行口径"] == list(SPENT_WORDS)  # a line says what its amount is
    assert "核对项" in _validations(wb["报告总计"])
    for name in ("宣传项目", "全省城市对比"):
        assert _validations(wb[name]) == {}


def test_categories_come_from_the_funds_previous_year(tmp_path: Path) -> None:
    """The 2020 template of the Changzhou fund offers its 2019 categories; a new fund's does not."""
    from conftest import FUND, REPO_DATA_DIR

    path = make_template(tmp_path / "out", fund=FUND, data_dir=REPO_DATA_DIR)
    cats = _validations(openpyxl.load_workbook(path)["奖励类别"])["类别"]
    assert cats == ["两化融合管理体系贯标", "工业互联网平台", "工业互联网标杆工厂", "工业互联网星级上云",
                    "工业互联网服务资源池"]
    other = make_template(tmp_path / "out", fund="another-fund", data_dir=REPO_DATA_DIR)
    assert "类别" not in _validations(openpyxl.load_workbook(other)["奖励类别"])


def test_year_is_prefilled_under_its_header(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["专项资金"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=headers.index("年度") + 1).value == YEAR
    assert ws.max_row == 2
    for name in SHEETS_BY_NAME:
        if name != "专项资金":
            assert openpyxl.load_workbook(template)[name].max_row == 1, name


def test_template_overwrites_atomically_when_forced(tmp_path: Path) -> None:
    first = make_template(tmp_path)
    again = make_template(tmp_path, "--force")
    assert first == again
    assert [p.name for p in (tmp_path / "templates" / TEMPLATE_FUND).iterdir()] == [f"fund-{YEAR}.xlsx"]


def test_blank_template_does_not_pass_check(template: Path, tmp_path: Path) -> None:
    data = fill(template, tmp_path / "data", {})
    result = check(data)
    assert result.exit_code == EXIT_BAD_INPUT
    assert "专项资金" in result.stderr


# ------------------------------------------------------------------ filled in


def test_filled_template_passes_check(template: Path, tmp_path: Path) -> None:
    data = fill(template, tmp_path / "data", FILL)
    result = check(data)
    assert result.exit_code == EXIT_OK, result.output
    assert not (data / "processed").exists()


def test_filled_template_summary(template: Path, tmp_path: Path) -> None:
    data = fill(template, tmp_path / "data", FILL)
    result = CliRunner().invoke(main, ["summary", "--year", str(YEAR), "--data-dir", str(data)])
    assert result.exit_code == EXIT_OK, result.output
    s = json.loads(result.stdout)
    assert s["year"] == YEAR
    assert s["budget_yuan"] == 3_000_000
    # awards come from 获奖企业 where a category has recipients listed, else from 奖励类别
    cats = {c["category"]: (c["recipients"], c["amount_yuan"]) for c in s["award_categories"]}
    assert cats == {"工业互联网平台": (2, 500_000), "两化融合管理体系贯标": (10, 800_000)}
    assert s["spent_yuan"] == 1_600_000
    assert s["projects"] == 15
    assert s["utilisation_exact"] == "8/15"
    assert [r["check"] for r in s["reconciliation"] if r["ok"] is not True] == []
    rk = {r["indicator"]: r for r in s["rankings"]}
    assert (rk["合成指标"]["rank"], rk["合成指标"]["rank_source"]) == (2, "按全省城市数值计算")


@pytest.mark.parametrize(
    ("sheet", "header", "value", "reason"),
    [
        ("媒体单位", "采购方式", "招标", "unknown procurement method"),
        ("奖励类别", "级别", "县级", "unknown level"),
        ("报告总计", "核对项", "随便什么", "unknown check"),
    ],
)
def test_value_outside_a_dropdown_fails_check(template: Path, tmp_path: Path, sheet: str,
                                              header: str, value: str, reason: str) -> None:
    rows = {k: [dict(r) for r in v] for k, v in FILL.items()}
    rows[sheet][0][header] = value
    data = fill(template, tmp_path / "data", rows)
    result = check(data, "--json")
    assert result.exit_code == EXIT_BAD_INPUT
    probs = json.loads(result.stdout)
    hit = [p for p in probs if p["sheet"] == sheet and p["column"] == header]
    assert hit and hit[0]["value"] == value and reason in hit[0]["reason"], probs
    assert hit[0]["row"] == 2


def test_column_letters_are_stable(template: Path) -> None:
    """Template columns follow config order, so A1 is always the first header."""
    wb = openpyxl.load_workbook(template)
    for spec in SHEETS:
        ws = wb[spec.name]
        last = get_column_letter(len(spec.columns))
        assert column_index_from_string(last) == ws.max_column, spec.name


# ------------------------------------------------------------------ dropdowns Excel cannot hold inline


def test_categories_with_commas_and_quotes_get_a_dropdown_from_a_hidden_sheet(tmp_path: Path) -> None:
    """A category holding a comma or a quote (or a list longer than Excel's 255 characters) cannot be an
    inline list: a comma would split it, a quote end the list. Its values go to a hidden sheet, each
    whole, and the filled template still passes check (the hidden sheet is not read)."""
    from fundanalysis.ingest.template import LISTS_SHEET, build_template

    cats = ["平台、载体,应用类", '“标杆”工厂"甲"', "资源池"]
    wb = build_template(YEAR, cats)
    assert wb.sheetnames[-1] == LISTS_SHEET and wb[LISTS_SHEET].sheet_state == "hidden"
    ws = wb["奖励类别"]
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    ref = [f for f in formulas if f.startswith(f"'{LISTS_SHEET}'!")]
    assert len(ref) == 1, formulas
    col = ref[0].split("!$")[1].split("$")[0]
    assert [wb[LISTS_SHEET][f"{col}{r}"].value for r in (1, 2, 3)] == cats
    assert all((f.startswith('"') and "," in f) or f.startswith("'") for f in formulas)  # the others stay inline
    path = tmp_path / "template.xlsx"
    wb.save(path)
    assert openpyxl.load_workbook(path)[LISTS_SHEET].sheet_state == "hidden"
    data = fill(path, tmp_path / "data", FILL)
    result = check(data)
    assert result.exit_code == EXIT_OK, result.output


def test_a_long_vocabulary_goes_to_the_hidden_sheet_too() -> None:
    from fundanalysis.ingest.template import LISTS_SHEET, build_template

    cats = [f"第{i}类工业互联网示范项目奖励" for i in range(40)]
    wb = build_template(2031, cats)
    assert LISTS_SHEET in wb.sheetnames
    assert [c.value for c in wb[LISTS_SHEET]["A"]][:40] == cats
