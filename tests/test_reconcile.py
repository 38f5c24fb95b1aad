"""Reconciliation on the real 2019 data, and on broken copies that must fail the right checks."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from conftest import edit_workbook, find_cell, find_row_cell, workbook_path
from openpyxl import Workbook

from fundanalysis.analysis import metrics
from fundanalysis.analysis.reconcile import COLUMNS, reconcile_totals
from fundanalysis.ingest.load import process_year
from fundanalysis.present import words

#: The one check the 2019 report itself gets wrong: it says 6 items but lists 5 titles.
REPORT_ERROR = "项目名称数·中经社江苏中心"
STAR = "江苏省工业互联网发展示范企业（星级上云企业）"


def _failing(rec: pd.DataFrame) -> set[str]:
    return set(rec.loc[rec["ok"] == False, "check"])  # noqa: E712 - ok is object (True/False/None)


def _reconcile_copy(data_dir: Path) -> pd.DataFrame:
    return reconcile_totals(process_year(data_dir, 2019).tables)


# ------------------------------------------------------------------- the 2019 data


def test_columns(reconciliation_2019: pd.DataFrame) -> None:
    assert list(reconciliation_2019.columns) == COLUMNS
    assert reconciliation_2019["check"].is_unique


def test_2019_every_checkable_total_passes_but_the_reports_own_error(
        reconciliation_2019: pd.DataFrame) -> None:
    rec = reconciliation_2019
    checked = rec[rec["ok"].notna()]
    assert len(checked) >= 20
    assert _failing(rec) == {REPORT_ERROR}
    assert checked.loc[checked["check"] != REPORT_ERROR, "ok"].map(lambda v: v is True).all()


def test_2019_report_error_is_six_stated_five_listed(reconciliation_2019: pd.DataFrame) -> None:
    row = reconciliation_2019.set_index("check").loc[REPORT_ERROR]
    assert row["ok"] is False
    assert row["stated"] == 6
    assert row["computed"] == 5
    assert row["difference"] == -1
    assert row["unit"] == "项"


def test_2019_unknowable_checks_are_none(reconciliation_2019: pd.DataFrame) -> None:
    """The report gives 2 government-procured and 5 self-procured outlets but not which."""
    rec = reconciliation_2019
    unknown = rec[rec["ok"].isna()]
    assert set(unknown["check"]) == {"政府采购单位数·工业互联网宣传", "自行采购单位数·工业互联网宣传"}
    assert unknown["computed"].isna().all()
    described = [words.describe_check(r["rule"], r["part"], r["subject"], r["computed"])
                 for _, r in unknown.iterrows()]
    assert all("报告未注明" in d for d in described)
    assert sorted(unknown["stated"]) == [2, 5]


@pytest.mark.parametrize(
    ("check", "stated", "computed"),
    [
        ("项目总数", 91, 91),
        ("使用资金", 868_700_000, 868_700_000),
        ("项目数·工业互联网项目", 72, 72),
        ("使用资金·工业互联网项目", 667_000_000, 667_000_000),
        ("类别数·工业互联网项目", 5, 5),
        ("项目数·工业互联网宣传", 19, 19),
        ("使用资金·工业互联网宣传", 201_700_000, 201_700_000),
        ("承担单位数·工业互联网宣传", 7, 7),
        ("采购方式合计·工业互联网宣传", 7, 7),
        ("项目名称数·常州日报", 2, 2),
        ("项目名称数·常州电视台", 3, 3),
        ("项目名称数·新华日报", 5, 5),
        (f"分项合计·{STAR}", 339, 339),
        ("分项合计·获评工信部项目单位", 6, 6),
        (f"名次与表述·{STAR}", 3, 3),
        ("名次与表述·新增江苏省两化融合管理体系贯标试点企业", 4, 4),
        ("名次与表述·通过国家两化融合管理体系贯标评定企业总数", 3, 3),
    ],
)
def test_2019_golden_checks(reconciliation_2019: pd.DataFrame, check: str, stated: int,
                            computed: int) -> None:
    """Values worked out by hand from the report text."""
    row = reconciliation_2019.set_index("check").loc[check]
    assert (row["stated"], row["computed"], row["ok"]) == (stated, computed, True)


def test_2019_share_of_province_is_one_quarter(reconciliation_2019: pd.DataFrame) -> None:
    rec = reconciliation_2019
    row = rec[rec["check"].str.startswith("占全省比例·")]
    assert len(row) == 1
    assert row["stated"].iloc[0] == "1/4" == row["computed"].iloc[0]
    assert Fraction(3, 12) == Fraction(row["computed"].iloc[0])


def test_2019_golden_totals(tables_2019: dict[str, pd.DataFrame]) -> None:
    fund = tables_2019["fund"].iloc[0]
    assert int(fund["budget_fen"]) == 1_000_000_000
    util = metrics.utilisation(tables_2019).iloc[0]
    assert int(util["spent_fen"]) == 868_700_000
    assert int(util["unspent_fen"]) == 131_300_000
    assert util["utilisation_exact"] == "8687/10000"
    cats = tables_2019["award_categories"]
    assert len(cats) == 5
    assert int(cats["recipients"].sum()) == 72
    assert int(cats["amount_fen"].sum()) == 667_000_000
    media = tables_2019["media_outlets"]
    assert len(media) == 7
    assert int(media["item_count"].sum()) == 19
    assert int(media["amount_fen"].sum()) == 201_700_000
    assert media["procurement"].isna().all()  # the report does not say; never invented


def test_openpyxl_round_trip_changes_nothing(data_2019: Path,
                                             reconciliation_2019: pd.DataFrame) -> None:
    """The broken-copy tests below edit with openpyxl; saving alone must not change results."""
    edit_workbook(workbook_path(data_2019), lambda wb: None)
    rec = _reconcile_copy(data_2019)
    pd.testing.assert_frame_equal(rec, reconciliation_2019)


# ---------------------------------------------------------------- broken copies


def test_changed_category_amount_fails_exactly_the_money_checks(data_2019: Path) -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["奖励类别"]
        ws[find_cell(ws, "奖励金额", "工业互联网平台")] = "76万元"  # the report says 75

    edit_workbook(workbook_path(data_2019), edit)
    rec = _reconcile_copy(data_2019).set_index("check")
    newly = _failing(rec.reset_index()) - {REPORT_ERROR}
    assert newly == {"使用资金", "使用资金·工业互联网项目"}
    assert rec.loc["使用资金", "difference"] == 1_000_000  # 1 万元 in 分
    assert rec.loc["使用资金·工业互联网项目", "computed"] == 668_000_000
    assert rec.loc["使用资金·工业互联网宣传", "ok"] is True
    assert rec.loc["项目总数", "ok"] is True


def test_changed_category_count_fails_exactly_the_project_checks(data_2019: Path) -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["奖励类别"]
        ws[find_cell(ws, "获奖单位数", "工业互联网服务资源池")] = 13  # the report says 12

    edit_workbook(workbook_path(data_2019), edit)
    rec = _reconcile_copy(data_2019)
    assert _failing(rec) - {REPORT_ERROR} == {"项目总数", "项目数·工业互联网项目"}


def test_changed_star_component_fails_only_its_breakdown(data_2019: Path) -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["分项构成"]
        ws[find_row_cell(ws, "数值", **{"指标": STAR, "分项": "四星级"})] = 48  # report: 47

    edit_workbook(workbook_path(data_2019), edit)
    rec = _reconcile_copy(data_2019)
    assert _failing(rec) - {REPORT_ERROR} == {f"分项合计·{STAR}"}
    row = rec.set_index("check").loc[f"分项合计·{STAR}"]
    assert (row["stated"], row["computed"], row["difference"]) == (339, 340, 1)


def test_added_title_fixes_the_reports_error(data_2019: Path) -> None:
    def edit(wb: Workbook) -> None:
        wb["宣传项目"].append(["中经社江苏中心", "第六个项目（合成测试数据，synthetic）", "test"])

    edit_workbook(workbook_path(data_2019), edit)
    assert _failing(_reconcile_copy(data_2019)) == set()


def test_per_outlet_procurement_makes_the_method_checks_checkable(data_2019: Path) -> None:
    """Once every outlet's method is known (here: invented), the per-method checks get True or
    False instead of None."""
    def edit(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        col = [c.value for c in ws[1]].index("采购方式") + 1
        for r in range(2, ws.max_row + 1):
            ws.cell(row=r, column=col, value="政府采购" if r <= 4 else "自行采购")  # 3 gov

    edit_workbook(workbook_path(data_2019), edit)
    rec = _reconcile_copy(data_2019).set_index("check")
    gov, own = rec.loc["政府采购单位数·工业互联网宣传"], rec.loc["自行采购单位数·工业互联网宣传"]
    assert (gov["stated"], gov["computed"], gov["ok"]) == (2, 3, False)
    assert (own["stated"], own["computed"], own["ok"]) == (5, 4, False)


def test_wrong_stated_share_fails(data_2019: Path) -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["对比基数"]
        ws[find_cell(ws, "表述占全省比例", "两化融合管理体系贯标示范")] = "1/3"

    edit_workbook(workbook_path(data_2019), edit)
    rec = _reconcile_copy(data_2019)
    failing = _failing(rec) - {REPORT_ERROR}
    assert len(failing) == 1
    (name,) = failing
    assert name.startswith("占全省比例·")
    row = rec.set_index("check").loc[name]
    assert (row["stated"], row["computed"]) == ("1/3", "1/4")


def test_rank_contradicting_its_text_fails(data_2019: Path) -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["排名与成果"]
        ws[find_cell(ws, "名次", "新增江苏省两化融合管理体系贯标试点企业")] = 5  # text: 第四

    edit_workbook(workbook_path(data_2019), edit)
    assert _failing(_reconcile_copy(data_2019)) - {REPORT_ERROR} == {
        "名次与表述·新增江苏省两化融合管理体系贯标试点企业"}


def test_reconcile_without_stated_totals_is_empty_of_stated_checks(
        tables_2019: dict[str, pd.DataFrame]) -> None:
    tables = {k: v for k, v in tables_2019.items() if k != "stated_totals"}
    rec = reconcile_totals(tables)
    assert not rec["check"].isin(["项目总数", "使用资金"]).any()
    assert _failing(rec) == {REPORT_ERROR}
