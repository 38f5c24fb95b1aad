"""Reviewing filed 项目支出绩效自评表: the reader, the findings, the command and the Dask cluster.

SYNTHETIC: every form here is invented (合成示例): the fixture fund of tests/fixtures/forms, forms laid
out inline, and the generated forms of :mod:`fundanalysis.review.synth`; none comes from a real report.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook

from fundanalysis import api
from fundanalysis.analysis import selfeval
from fundanalysis.export.scorecard import form_xlsx
from fundanalysis.review.reader import read_forms

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "forms"
FIXTURE_FUND, FIXTURE_YEAR = "synthetic-self-evaluation", 2031


# ------------------------------------------------------------------ round trip


def test_suite_form_reads_back_to_the_same_scores(tmp_path: Path) -> None:
    tables = api.load(FIXTURE_YEAR, FIXTURE_FUND, data_dir=FIXTURE_DATA)
    path = tmp_path / "form.xlsx"
    path.write_bytes(form_xlsx(tables) or b"")
    forms, problems = read_forms(path)
    assert problems == [] and len(forms) == 1
    form = forms[0]
    read = {**form.tables(), "scoring_policy": tables["scoring_policy"]}
    before, after = selfeval.self_evaluation(tables), selfeval.self_evaluation(read)
    assert before is not None and after is not None
    # FORM-EXAMPLE.md, worked by hand: 9.5 + 48 + 28 + 10 = 95.5, 优; 456 ÷ 480 = 95%
    assert after.total == before.total == Decimal("95.5")
    assert after.grade == before.grade == "优"
    assert after.budget is not None and after.budget.rate == before.budget.rate == Decimal("0.95")
    assert [s.result.score for s in after.indicators] == [s.result.score for s in before.indicators]
    assert [i.name for i in (s.indicator for s in after.indicators)] == \
        ["支持企业数", "示范项目数", "验收合格率", "资金拨付时间", "单个项目补助", "带动企业投资", "数字化水平",
         "长效机制", "企业满意度"]
    # what the form itself states, with its cells
    assert (form.year, form.money_unit, form.money_unit_stated) == (2031, "万元", True)
    assert form.project == "示例市中小企业数字化转型专项资金（合成示例）"
    assert form.department == "示例市工业和信息化局"
    assert Decimal(str(form.stated_total)) == Decimal("95.5") and form.stated_grade == "优"
    total = next(m for m in form.money if m.label == "年度资金总额")
    assert (total.budget, total.executed) == (480_000_000, 456_000_000)  # 分
    assert str(total.cells["executed"]) == "form.xlsx 自评表!F6"


def test_2019_budget_only_form_reads_back(tmp_path: Path) -> None:
    tables = api.load(2019)
    se = selfeval.self_evaluation(tables)
    data = form_xlsx(tables)
    assert se is not None and data is not None and se.budget is not None
    from fundanalysis.review.findings import review_form

    path = tmp_path / "2019-自评表.xlsx"
    path.write_bytes(data)
    forms, problems = read_forms(path)
    assert problems == [] and len(forms) == 1
    record = review_form(forms[0])
    assert record["indicators"] == 0
    assert Decimal(record["total"]) == se.budget.score
    assert se.budget.rate is not None
    assert abs(Fraction(record["rate"]) - se.budget.rate) < Fraction(1, 10**6)


# ------------------------------------------------------------------ variants laid out inline


def _variant_workbook(path: Path) -> None:
    """A local variant (synthetic): two title rows, a 金额单位：元 note, money in 元 as text,
    columns renamed (年度目标值, 全年实际值, 权重, 自评得分) and 指标性质 / 备注 added; two forms as sheets."""
    wb = Workbook()
    first = wb.active
    first.title = "项目A"
    second = wb.create_sheet("项目B")
    for ws, project, score in ((first, "合成项目甲（synthetic）", 9), (second, "合成项目乙（synthetic）", 10)):
        rows = [
            ["示例县财政局（合成）"],
            ["项目支出绩效自评表"],
            ["（2031年度）", None, None, None, None, None, "金额单位：元"],
            ["项目名称", project],
            ["主管部门", "示例县教育局（合成）", None, "实施单位", "示例县第一中学（合成）"],
            ["项目资金", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
            [None, "年度资金总额", "1,000,000.00", "1,000,000.00", "900,000.00", 10, "90%", 9],
            [None, "其中：本年财政拨款", "1,000,000.00", "1,000,000.00", "900,000.00"],
            ["年度总体目标", "预期目标", None, None, "实际完成情况"],
            [None, "完成校舍维修3处（合成）", None, None, "完成3处（合成）"],
            ["绩效指标", "一级指标", "二级指标", "三级指标", "指标性质", "年度目标值", "全年实际值", "权重", "自评得分",
             "偏差原因分析及改进措施", "备注"],
            [None, "产出指标", "数量指标", "维修校舍数", "≥", "3处", "3处", 50, 50],
            [None, "效益指标", "社会效益指标", "安全隐患", "=", "0处", "0处", 30, 30],
            [None, "满意度指标", "服务对象满意度指标", "师生满意度", "≥", "90%", "80%", 10, score],
            ["总分", None, None, None, None, None, None, 100, 89 + score],
        ]
        for row in rows:
            ws.append(row)
    wb.save(path)


def test_variant_blocks_are_found_wherever_they_stand(tmp_path: Path) -> None:
    path = tmp_path / "variant.xlsx"
    _variant_workbook(path)
    forms, problems = read_forms(path)
    assert problems == []
    assert [(f.sheet, f.project) for f in forms] == [("项目A", "合成项目甲（synthetic）"),
                                                    ("项目B", "合成项目乙（synthetic）")]
    a = forms[0]
    assert (a.year, a.money_unit, a.money_unit_stated, a.unit) == (2031, "元", True, "示例县第一中学（合成）")
    total = a.money[0]
    assert (total.budget, total.executed) == (100_000_000, 90_000_000)  # 1,000,000.00元 in 分
    assert a.indicator_columns["年度指标值"] == "F" and a.indicator_columns["得分"] == "I"
    se = selfeval.self_evaluation(a.tables())
    assert se is not None
    # 9 (90% × 10) + 50 + 30 + 10 × 80 ÷ 90 = 8.89 → 97.89
    assert se.total == Decimal("97.89")
