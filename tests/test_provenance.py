"""Money as the report states it, with how each figure was obtained.

Three synthetic funds (``tests/fixtures/fidelity/make_money_shapes.py``, every name and figure
invented), each built end to end: an allocation-only media fund (安排: no execution anywhere), a
department with stated parts and lines for one part only (stated beats summed), and a fund whose
only figures are the self-evaluation form's 资金来源 rows (over-executed). Expected figures are
the ones each generator states (万元 in its text), written out here by hand.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES_DIR
from test_defences import cli

from fundanalysis.analysis import metrics
from fundanalysis.analysis.reconcile import reconcile_totals
from fundanalysis.config import EXIT_OK
from fundanalysis.ingest.load import process_year
from fundanalysis.present import words
from fundanalysis.vocab import MoneyKind, Rule

SHAPES = FIXTURES_DIR / "fidelity"
MEDIA, DEPT, FORM = "synthetic-media-allocation", "synthetic-department-parts", "synthetic-form-only"
YEARS = {MEDIA: 2023, DEPT: 2022, FORM: 2024}
WAN = 1_000_000  # 分 in one 万元


def tables(fund: str) -> dict:
    return process_year(SHAPES, YEARS[fund], fund).tables


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three funds built once, in one run, from a fresh copy of their workbooks."""
    root = tmp_path_factory.mktemp("shapes")
    shutil.copytree(SHAPES / "raw", root / "data" / "raw")
    done = cli("report", "--data-dir", str(root / "data"), "--out-dir", str(root / "out"), "--jobs", "2")
    assert done.exit_code == EXIT_OK, done.output
    return root / "out"


def summary_json(out: Path, fund: str) -> dict:
    return json.loads((out / fund / str(YEARS[fund]) / "summary.json").read_text(encoding="utf-8"))


def text_of(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"data:[^\"')]+", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def pages(out: Path, fund: str) -> dict[str, str]:
    return {p.name: text_of(p) for p in sorted((out / fund / str(YEARS[fund])).glob("*.html"))}


# ------------------------------------------------------------------ (a) allocation only


def test_allocated_lines_are_an_allocation_not_execution() -> None:
    u = metrics.utilisation(tables(MEDIA)).iloc[0]
    assert u["spent_kind"] == MoneyKind.ALLOCATED
    assert pd_na(u["spent_fen"]) and pd_na(u["unspent_fen"]) and u["utilisation_exact"] is None
    assert int(u["allocated_fen"]) == (40 + 35 + 30 + 20 + 15 + 15) * WAN
    assert not u["over_budget"]


def pd_na(v: object) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


@pytest.mark.slow
def test_allocation_fund_shows_no_execution_anywhere(built: Path) -> None:
    s = summary_json(built, MEDIA)
    assert s["budget_yuan"] == 160 * 10_000 and s["received_yuan"] == 140 * 10_000
    assert s["allocated_yuan"] == 155 * 10_000
    assert s["spent_yuan"] is None and s["utilisation"] is None and s["unspent_yuan"] is None
    assert s["over_budget"] is False and s["spent_kind"] == "allocated"
    assert "安排" in s["utilisation_note"]
    sc = s["scorecard"]
    assert sc is None or sc.get("budget", {}).get("score") is None  # no 预算执行得分
    prov = s["provenance"]
    assert prov["budget_yuan"] == {"kind": "stated", "sheet": "专项资金", "row": 2, "column": "预算金额"}
    assert prov["received_yuan"] == {"kind": "stated", "sheet": "专项资金", "row": 2, "column": "到位资金"}
    assert prov["allocated_yuan"]["kind"] == "summed"
    assert [r["row"] for r in prov["allocated_yuan"]["sources"]] == [2, 3, 4, 5, 6, 7]
    assert {r["sheet"] for r in prov["allocated_yuan"]["sources"]} == {"支出明细"}
    assert prov["spent_yuan"] == {"kind": "not_stated"} and prov["utilisation"] == {"kind": "not_stated"}
    for name, text in pages(built, MEDIA).items():
        assert "已使用" not in text and "已执行 155" not in text, name
        assert not re.search(r"结余\s*[\d（(]", text), name  # no balance, no balance column
        assert not re.search(r"预算执行得分\s*\d", text), name
        assert "96.9" not in text and "96.88" not in text, name
    overview = pages(built, MEDIA)["10-fund-overview.html"]
    assert "已安排 155 万元" in overview
    assert "报告所述各项之和：支出明细表第 2、3、4、5、6、7 行" in overview
    assert "报告所述：专项资金表第 2 行“预算金额”" in overview
    assert "不计算执行率和结余" in overview
    assert not (built / MEDIA / str(YEARS[MEDIA]) / "charts" / "01-utilisation-budget-spent-unspent.png").exists()
    site = text_of(built / "index.html")
    assert "已安排 155 万元" in site and "96.9" not in site


# ------------------------------------------------------------------ (b) stated parts, lines for one


def test_parts_keep_their_stated_execution_and_lines_are_compared_with_it() -> None:
    t = tables(DEPT)
    p = metrics.spending_by_part(t).set_index("part")
    assert {k: int(v) for k, v in p["spent_fen"].items()} == {"人员经费": 435 * WAN, "公用经费": 77 * WAN,
                                                             "项目支出": 287 * WAN}
    assert all(f.provenance == "stated" for f in p["figure"])
    u = metrics.utilisation(t).iloc[0]
    assert int(u["spent_fen"]) == 800 * WAN and u["spent_figure"].provenance == "stated"
    rec = reconcile_totals(t)
    line_check = rec[(rec["rule"] == Rule.EXECUTED_LINES) & (rec["part"] == "项目支出")].iloc[0]
    assert line_check["stated"] == 287 * WAN and line_check["computed"] == (20 + 15 + 10 + 8 + 5) * WAN
    assert line_check["ok"] is False  # a finding, not a replacement


@pytest.mark.slow
def test_department_pages_show_stated_parts(built: Path) -> None:
    s = summary_json(built, DEPT)
    assert s["spent_yuan"] == 800 * 10_000
    assert s["provenance"]["spent_yuan"] == {"kind": "stated", "sheet": "专项资金", "row": 2, "column": "全年执行数"}
    parts = {p["part"]: p for p in s["parts"]}
    assert {k: p["spent_yuan"] for k, p in parts.items()} == {"人员经费": 435 * 10_000, "公用经费": 77 * 10_000,
                                                              "项目支出": 287 * 10_000}
    assert parts["项目支出"]["provenance"] == {"kind": "stated", "sheet": "资金组成", "row": 4, "column": "全年执行数"}
    assert s["budget_yuan"] is None and s["provenance"]["budget_yuan"] == {"kind": "not_stated"}
    overview = pages(built, DEPT)["10-fund-overview.html"]
    assert "项目支出支出" not in overview
    for shown in ("435", "77", "287"):
        assert re.search(rf"\b{shown}(\.00)?\b", overview), shown
    html = (built / DEPT / str(YEARS[DEPT]) / "10-fund-overview.html").read_text(encoding="utf-8")
    assert 'alt="已支出资金按组成部分分布"' in html and "已使用" not in text_of(built / DEPT / str(YEARS[DEPT])
                                                                         / "10-fund-overview.html")
    failed = [r for r in s["reconciliation"] if r["rule"] == "executed_lines" and r["part"] == "项目支出"]
    assert failed and failed[0]["ok"] is False


# ------------------------------------------------------------------ (c) the form's money only


def test_form_money_block_gives_the_years_money() -> None:
    u = metrics.utilisation(tables(FORM)).iloc[0]
    assert int(u["budget_fen"]) == 330 * WAN and int(u["spent_fen"]) == 338 * WAN
    assert int(u["initial_fen"]) == 330 * WAN
    assert u["over_budget"] and u["utilisation_exact"] == "169/165"  # 338 ÷ 330
    rec = reconcile_totals(tables(FORM))
    over = rec[rec["rule"] == Rule.OVER_EXECUTION]
    assert len(over) == 1 and not over.iloc[0]["ok"]
    assert over.iloc[0]["difference"] == 8 * WAN


@pytest.mark.slow
def test_form_only_fund_is_over_executed_on_overview_and_index(built: Path) -> None:
    s = summary_json(built, FORM)
    assert s["budget_yuan"] == 330 * 10_000 and s["spent_yuan"] == 338 * 10_000
    assert s["budget_initial_yuan"] == 330 * 10_000
    assert s["over_budget"] is True and s["utilisation"] == pytest.approx(338 / 330)
    assert s["unspent_yuan"] == -8 * 10_000
    assert s["provenance"]["budget_yuan"] == {"kind": "stated", "sheet": "资金来源", "row": 2, "column": "全年预算数"}
    assert s["provenance"]["spent_yuan"] == {"kind": "stated", "sheet": "资金来源", "row": 2, "column": "全年执行数"}
    assert any(r["rule"] == "over_execution" and r["ok"] is False for r in s["reconciliation"])
    overview = pages(built, FORM)["10-fund-overview.html"]
    assert "报告未给出预算" not in overview and "未给出已执行的金额" not in overview
    assert "超出预算" in overview and "资金来源表第 2 行“全年执行数”" in overview
    for index in (built / "index.html", built / FORM / "index.html"):
        text = text_of(index)
        assert "330 万元" in text and "338 万元" in text and "102.42%（超出预算）" in text, index
        assert "资金来源表第 2 行" in text, index


# ------------------------------------------------------------------ words and check


def test_provenance_words() -> None:
    assert words.provenance({"kind": "stated", "sheet": "资金组成", "row": 4, "column": "全年执行数"}) == \
        "报告所述：资金组成表第 4 行“全年执行数”"
    assert words.provenance({"kind": "summed", "sources": [{"sheet": "奖励类别", "row": 2},
                                                           {"sheet": "媒体单位", "row": 2}]}) == \
        "报告所述各项之和：奖励类别表第 2 行；媒体单位表第 2 行"
    assert words.provenance({"kind": "not_stated"}) == "未注明"


def test_check_asks_for_the_kind_of_a_line_that_does_not_say(tmp_path: Path) -> None:
    """Lines with 全年执行数 and no 执行口径 anywhere: exit 0, a located warning naming the
    column, and no execution on the pages' figures (未注明)."""
    import openpyxl

    data = tmp_path / "data"
    shutil.copytree(SHAPES / "raw" / MEDIA, data / "raw" / MEDIA)
    book = data / "raw" / MEDIA / "2023" / "fund-2023.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["支出明细"]
    col = [c.value for c in ws[1]].index("执行口径") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(r, col).value = None
    wb.save(book)
    done = cli("check", "--fund", MEDIA, "--year", "2023", "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output
    warnings = [line for line in done.stderr.splitlines() if "warning" in line and "执行口径" in line]
    assert len(warnings) == 6 and "row 2" in warnings[0] and "'支出明细'" in warnings[0]
    u = metrics.utilisation(process_year(data, 2023, MEDIA).tables).iloc[0]
    assert u["spent_kind"] == MoneyKind.UNSTATED and pd_na(u["spent_fen"]) and pd_na(u["allocated_fen"])


# ------------------------------------------------------------------ the 2019 report


def test_changzhou_figures_say_where_they_come_from() -> None:
    """The report's 1000 万元 (its only budget figure, phase not named) is stated; so is its 868.7 万元
    used (报告总计's 使用资金: stated beats summed), and the five award categories and seven media
    outlets it lists are checked against it."""
    from conftest import FUND, REPO_DATA_DIR

    from fundanalysis.analysis.key_figures import summarise

    t = process_year(REPO_DATA_DIR, 2019, FUND).tables
    s = summarise(t)
    st = t["stated_totals"]
    totals = st[st["part"].isna()].set_index("check")["stated"]  # the whole fund's
    budget, used = int(t["fund"]["budget_fen"].iloc[0]), int(totals["使用资金"])  # as the report states them
    assert (s["budget_fen"], s["spent_fen"], s["unspent_fen"]) == (budget, used, budget - used)
    assert s["spent_kind"] == "executed" and s["over_budget"] is False
    prov = s["provenance"]
    assert prov["budget_yuan"] == {"kind": "stated", "sheet": "专项资金", "row": 2, "column": "预算金额"}
    used_row = int(st[st["part"].isna() & (st["check"] == "使用资金")]["input_ref"].iloc[0].rsplit(":", 1)[1])
    assert prov["spent_yuan"] == {"kind": "stated", "sheet": "报告总计", "row": used_row, "column": "表述值"}
    check = next(r for r in s["reconciliation"] if r["rule"] == "spent" and r["part"] is None)
    assert check["computed"] == used and check["ok"]  # the categories and outlets it lists add up to it
    assert prov["utilisation"] == {"kind": "computed", "from": ["spent_yuan", "budget_yuan"]}
