"""The self-evaluation form end to end: sheets in, scores computed and reconciled, the form out.

The fixture ``tests/fixtures/forms`` (made by ``make_forms.py``; every name and figure synthetic)
is docs/domain.md's worked form with three deliberate inconsistencies and a policy override.
The suite must flag those three and nothing else. 2019 has no form: its 预算执行 score alone.
"""

from __future__ import annotations

import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from conftest import FIXTURES_DIR, REPO_DATA_DIR, edit_workbook, find_cell
from test_defences import cli

from fundanalysis.analysis.reconcile import reconcile_totals
from fundanalysis.analysis.selfeval import self_evaluation
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK
from fundanalysis.ingest.load import load_tables, process_year

FORMS = FIXTURES_DIR / "forms"
FUND, YEAR = "synthetic-self-evaluation", 2031
DELIBERATE = {"资金总额·全年执行数", "执行率·年度资金总额", "得分·验收合格率"}


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FORMS / "raw", data / "raw")
    return data


def book(data: Path) -> Path:
    return data / "raw" / FUND / str(YEAR) / f"fund-{YEAR}.xlsx"


def flagged(data: Path) -> set[str]:
    rec = reconcile_totals(process_year(data, YEAR, FUND).tables)
    return set(rec.loc[rec["ok"].map(lambda v: v is False), "check"])


# ------------------------------------------------------------------ 2019: no form


def test_2019_scores_budget_execution_only(tables_2019: dict) -> None:
    se = self_evaluation(tables_2019)
    assert se is not None and not se.has_form and not se.indicators and se.card is None
    fund = tables_2019["fund"].iloc[0]
    spent = sum(int(df["amount_fen"].sum()) for name, df in tables_2019.items()
                if name in ("award_categories", "media_outlets"))
    assert se.budget.rate == Fraction(spent, int(fund["budget_fen"]))
    expected = (Decimal(spent) / Decimal(int(fund["budget_fen"])) * 10).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert se.budget.score == expected == Decimal("8.69")  # 86.87% → 8.69 of 10 (the figure)
    assert se.total == se.budget.score and se.max_total == 10 and se.grade is None
    rec = reconcile_totals(tables_2019)
    assert not rec["rule"].astype(str).str.startswith("form_").any()  # no form, no form checks


def test_2019_summary_scorecard(data_2019: Path) -> None:
    done = cli("summary", "--year", "2019", "--data-dir", str(data_2019))
    card = json.loads(done.stdout)["scorecard"]
    assert card["total"] == 8.69 and card["max_total"] == 10 and card["grade"] is None
    assert card["indicators"] == [] and card["blocks"] == [] and card["stated_total"] is None
    assert card["budget_execution"]["score"] == 8.69 and card["budget_execution"]["weight"] == 10
    assert card["budget_execution"]["rate"] == pytest.approx(0.8687)
    scored = cli("scorecard", "--year", "2019", "--data-dir", str(data_2019))
    assert scored.exit_code == EXIT_OK and "8.69" in scored.stdout and "未给出绩效指标" in scored.stdout


# ------------------------------------------------------------------ the synthetic form


def test_the_form_passes_check_and_its_three_inconsistencies_are_flagged_and_nothing_else(forms: Path) -> None:
    done = cli("check", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms))
    assert done.exit_code == EXIT_OK, done.output
    assert flagged(forms) == DELIBERATE


def test_the_form_scores(forms: Path) -> None:
    se = self_evaluation(process_year(forms, YEAR, FUND).tables)
    assert se is not None and se.card is not None
    assert se.total == se.stated_total and se.grade == "优"
    assert sum(s.result.score for s in se.indicators) + se.budget.score == se.total
    assert [str(p) for p in se.money.from_sources] == ["executed"]  # the total row's 0 is replaced
    assert se.budget.rate == Fraction(456, 480)
    by_name = {s.indicator.name: s for s in se.indicators}
    assert by_name["验收合格率"].indicator.actual.text == "97%"  # a 0.97 cell formatted as a percentage
    assert str(by_name["资金拨付时间"].result.rules[-1]) == "time_late_deduction"
    assert all(s.result.score <= s.result.weight for s in se.indicators)


def test_without_the_policy_override_the_late_indicator_is_flagged_too(forms: Path) -> None:
    (forms / "raw" / FUND / "scoring.toml").unlink()
    assert flagged(forms) == DELIBERATE | {"得分·资金拨付时间", "总分"}


def test_a_year_policy_overrides_the_funds(forms: Path) -> None:
    (forms / "raw" / FUND / str(YEAR) / "scoring.toml").write_text("[qualitative]\npartial = 0.5\n", encoding="utf-8")
    got = flagged(forms)  # the year's file replaces the fund's: no month deduction, 部分达成 = 2.5 of 5
    assert {"得分·资金拨付时间", "得分·长效机制"} <= got


@pytest.mark.parametrize(("text", "where"), [
    ('[budget]\nweight = "十"\n', "budget.weight"),
    ("[blocks]\n产出指标 = 50\n", "not a valid TOML file"),
    ('[budget]\nover_100 = "full"\n', "budget.over_100"),
    ("[time]\nlate_month_deduction = 0\n", "time.late_month_deduction"),
])
def test_a_bad_policy_is_refused_with_its_key(forms: Path, text: str, where: str) -> None:
    (forms / "raw" / FUND / "scoring.toml").write_text(text, encoding="utf-8")
    done = cli("check", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms))
    assert done.exit_code == EXIT_BAD_INPUT
    assert "scoring.toml" in done.stderr and where in done.stderr


def test_execution_above_100_percent_is_capped_and_named(forms: Path) -> None:
    def over(wb: openpyxl.Workbook) -> None:
        ws = wb["资金来源"]
        ws[find_cell(ws, "全年执行数", "其中：当年财政拨款")] = 470  # 470 + 26 = 496 > 480
    edit_workbook(book(forms), over)
    se = self_evaluation(process_year(forms, YEAR, FUND).tables)
    assert se.budget.rate > 1 and se.budget.score == se.budget.weight
    assert str(se.budget.rules[-1]) == "budget_capped_over_100"


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("实际完成值", "很多", "needs one"),
    ("年度指标值", "≥五十个", ""),
    ("分值", "十分", "not a number of points"),
])
def test_unreadable_form_cells_are_located_errors(forms: Path, column: str, value: str, reason: str) -> None:
    def bad(wb: openpyxl.Workbook) -> None:
        ws = wb["绩效指标"]
        ws.cell(2, [c.value for c in ws[1]].index(column) + 1, value)  # row 2: 支持企业数
    edit_workbook(book(forms), bad)
    done = cli("check", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms), "--json")
    assert done.exit_code == EXIT_BAD_INPUT
    problems = json.loads(done.stdout)
    assert any(p["sheet"] == "绩效指标" and p["row"] == 2 and p["column"] == column and reason in p["reason"]
               for p in problems), problems


@pytest.mark.parametrize(("sheet", "column"), [("绩效指标", "年度指标值"), ("资金来源", "分值")])
def test_a_formula_without_its_value_is_reported_once(forms: Path, sheet: str, column: str) -> None:
    """``=10`` typed by a program that does not calculate: the cell's own problem, not a second
    one saying the form's cell is empty."""
    def formula(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        ws.cell(2, [c.value for c in ws[1]].index(column) + 1, "=10")  # openpyxl stores it as a formula
    edit_workbook(book(forms), formula)
    done = cli("check", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms), "--json")
    assert done.exit_code == EXIT_BAD_INPUT
    problems = json.loads(done.stdout)
    assert len(problems) == 1, problems
    [p] = problems
    assert (p["sheet"], p["row"], p["column"]) == (sheet, 2, column) and "formula" in p["reason"]


def test_an_unknown_money_row_is_a_located_error(forms: Path) -> None:
    def bad(wb: openpyxl.Workbook) -> None:
        ws = wb["资金来源"]
        ws[find_cell(ws, "资金类别", "其他资金")] = "社会资金"
    edit_workbook(book(forms), bad)
    done = cli("check", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms), "--json")
    assert done.exit_code == EXIT_BAD_INPUT
    assert any(p["sheet"] == "资金来源" and p["column"] == "资金类别" and p["value"] == "社会资金"
               for p in json.loads(done.stdout))


def test_summary_scorecard_keys(forms: Path) -> None:
    done = cli("summary", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms))
    card = json.loads(done.stdout)["scorecard"]
    assert {"total", "grade", "budget_execution", "blocks", "indicators", "stated_total"} <= set(card)
    assert {"rate", "weight", "score", "stated_score"} <= set(card["budget_execution"])
    assert {"level1", "weight", "score"} <= set(card["blocks"][0])
    assert {"level1", "level2", "name", "target", "actual", "weight", "score", "stated_score", "rule", "ok"} \
        <= set(card["indicators"][0])
    assert [i["name"] for i in card["indicators"] if i["ok"] is False] == ["验收合格率"]
    assert card["total"] == card["stated_total"] and card["grade"] == "优"


def test_policy_change_is_seen_by_the_processed_tables(forms: Path) -> None:
    """The policy file is part of the input: editing it makes the processed tables stale."""
    assert cli("clean", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms)).exit_code == EXIT_OK
    before = self_evaluation(load_tables(forms, YEAR, FUND)).total
    (forms / "raw" / FUND / "scoring.toml").write_text("[qualitative]\npartial = 0.2\n", encoding="utf-8")
    assert self_evaluation(load_tables(forms, YEAR, FUND)).total < before


@pytest.mark.slow
def test_the_form_builds_its_page_and_xlsx(forms: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("scorecard", "--fund", FUND, "--year", str(YEAR), "--data-dir", str(forms), "--out-dir", str(out),
               "--xlsx")
    assert done.exit_code == EXIT_OK, done.output
    year = out / FUND / str(YEAR)
    page = (year / "50-self-evaluation.html").read_text(encoding="utf-8")
    assert page.count("col0 txt fail") == 4  # 验收合格率 in the indicators, the 3 deliberate checks
    assert "验收合格率" in page and "按各资金来源之和计算" in page and "data:image/png" in page
    xlsx = Path(done.stdout.strip().splitlines()[-1])
    assert xlsx.parent == year and xlsx.is_file()
    ws = openpyxl.load_workbook(BytesIO(xlsx.read_bytes()))["自评表"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "项目支出绩效自评表" in texts and any("验收合格率" in t for t in texts)
    comments = [c.comment.text for row in ws.iter_rows() for c in row if c.comment]
    assert len(comments) == 1 and "9" in comments[0] and "10" in comments[0]
    index = (year / "index.html").read_text(encoding="utf-8")
    assert "自评表.xlsx" in index or "%E8%87%AA%E8%AF%84%E8%A1%A8.xlsx" in index


@pytest.mark.slow
def test_2019_has_no_form_page(built_report: dict[str, Path]) -> None:
    year = built_report["out"] / "changzhou-industrial-internet" / "2019"
    assert not (year / "50-self-evaluation.html").exists()
    overview = (year / "10-fund-overview.html").read_text(encoding="utf-8")
    assert "预算执行得分 8.69" in overview and "未给出绩效指标" in overview


def test_repo_2019_workbook_has_no_form_sheets() -> None:
    """2019's report has no 绩效指标: its workbook has none of the form's sheets (nothing invented)."""
    wb = openpyxl.load_workbook(next((REPO_DATA_DIR / "raw").glob("*/2019/*.xlsx")), read_only=True)
    assert not {"绩效指标", "资金来源", "年度目标"} & set(wb.sheetnames)
