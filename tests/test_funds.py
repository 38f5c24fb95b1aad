"""Any fund: three synthetic funds unlike Changzhou's, taken as they are.

The workbooks in ``tests/fixtures/funds/raw/`` (made by ``make_funds.py``, every name and figure
invented) copy the shapes of other real reports: a county media fund that states its budget and
the money received but no spending; a provincial fund passed down by policy task with 年初预算数,
调整数 and 全年预算数 and amounts *arranged* (安排); an e-government fund with amounts to the 分,
two parts with their own budgets, projects and instalments. The figures asserted here are
computed from the processed tables or compared with what each workbook states, never typed in.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import FIXTURES_DIR, FUND, REPO_DATA_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_defences import cli

from fundanalysis.analysis import metrics
from fundanalysis.analysis.reconcile import reconcile_totals
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK
from fundanalysis.ingest.load import process_year
from fundanalysis.present import narrative

FUNDS_DIR = FIXTURES_DIR / "funds"
COUNTY, TASKS, EGOV = "synthetic-county-media", "synthetic-policy-tasks", "synthetic-egov"
YEARS = {COUNTY: 2022, TASKS: 2023, EGOV: 2021}
#: Words of Changzhou's report that a fund without awards, media or rankings must never show.
FOREIGN_WORDS = ("奖励", "获奖", "宣传经费", "媒体", "全省排名", "全省各市")
#: What a page shows when a missing value leaks through formatting.
LEAKS = re.compile(r"\bnan\b|\bNaN\b|\bNone\b|<NA>|\bNaT\b|\binf\b")


@pytest.fixture
def funds(tmp_path: Path) -> Path:
    """A data folder holding the three synthetic funds (copied: tests may write processed/)."""
    data = tmp_path / "data"
    shutil.copytree(FUNDS_DIR / "raw", data / "raw")
    return data


def tables(data: Path, fund: str) -> dict[str, pd.DataFrame]:
    return process_year(data, YEARS[fund], fund).tables


def summary(data: Path, fund: str) -> dict:
    done = cli("summary", "--fund", fund, "--year", str(YEARS[fund]), "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output
    return json.loads(done.stdout)


# ------------------------------------------------------------------ reading and checking


@pytest.mark.parametrize("fund", [COUNTY, TASKS, EGOV])
def test_each_fund_passes_check_and_every_stated_total_agrees(funds: Path, fund: str) -> None:
    done = cli("check", "--fund", fund, "--year", str(YEARS[fund]), "--data-dir", str(funds))
    assert done.exit_code == EXIT_OK, done.output
    rec = reconcile_totals(tables(funds, fund))
    assert len(rec) >= 2  # the county's 到位资金 is stated twice (fund sheet, 报告总计): one check
    assert rec["ok"].map(lambda o: o is True).all(), rec[["check", "stated", "computed", "ok"]]


def test_county_media_states_no_spending_so_no_rate_is_invented(funds: Path) -> None:
    t = tables(funds, COUNTY)
    s = summary(funds, COUNTY)
    fund = t["fund"].iloc[0]
    assert not metrics.has_spending(t)
    assert s["spent_yuan"] is None and s["utilisation"] is None and s["unspent_yuan"] is None
    assert s["projects"] is None  # the report counts nothing
    assert s["award_categories"] == [] and s["media_outlets"] == [] and s["rankings"] == []
    received, annual = int(fund["received_fen"]), int(fund["annual_fen"])
    assert s["receipt_rate"] == pytest.approx(float(Fraction(received, annual)), abs=1e-12)
    assert s["received_yuan"] * 100 == received == int(t["instalments"]["amount_fen"].sum())


def test_policy_tasks_phases_and_arranged_amounts(funds: Path) -> None:
    t = tables(funds, TASKS)
    s = summary(funds, TASKS)
    fund = t["fund"].iloc[0]
    lines = t["lines"]
    assert int(fund["initial_fen"]) + int(fund["adjustment_fen"]) == int(fund["annual_fen"])
    assert s["budget_basis"] == "annual" and s["budget_yuan"] * 100 == int(fund["annual_fen"])
    assert s["budget_adjustment_yuan"] < 0
    # 安排 is an allocation, not execution: shown as 已安排, with no rate, balance or score
    assert s["spent_word"] == "安排" and s["spent_basis"] == "stated" and s["spent_kind"] == "allocated"
    assert s["allocated_yuan"] * 100 == int(fund["executed_fen"]) == int(lines["executed_fen"].fillna(0).sum())
    assert s["spent_yuan"] is None and s["unspent_yuan"] is None and s["over_budget"] is False
    assert s["utilisation"] is None and s["utilisation_exact"] is None and s["utilisation_initial"] is None
    assert s["provenance"]["allocated_yuan"] == {"kind": "stated", "sheet": "专项资金", "row": 2,
                                                 "column": "全年执行数"}
    assert (lines["status"] == "未实施").sum() == 1
    assert [p["part"] for p in s["parts"]] == [None]  # tasks belong to no named part
    assert s["parts"][0]["spent_yuan"] is None
    assert s["parts"][0]["allocated_yuan"] == s["allocated_yuan"]


def test_egov_amounts_keep_their_fen(funds: Path) -> None:
    t = tables(funds, EGOV)
    s = summary(funds, EGOV)
    fund = t["fund"].iloc[0]
    assert int(fund["received_fen"]) % 100 != 0  # …205.40元: 万元 would round it
    assert s["received_yuan"] == float(Fraction(int(fund["received_fen"]), 100))
    assert int(t["instalments"]["amount_fen"].sum()) == int(fund["received_fen"])
    spent = int(t["lines"]["executed_fen"].sum())
    assert round(s["spent_yuan"] * 100) == spent == int(fund["executed_fen"])
    assert s["unspent_yuan"] * 100 == pytest.approx(int(fund["annual_fen"]) - spent, abs=1e-6)
    assert s["projects"] == int(t["lines"]["quantity"].sum())
    parts = {p["part"]: p for p in s["parts"]}
    assert set(parts) == set(t["parts"]["part"])
    assert sum(round(p["budget_yuan"] * 100) for p in parts.values()) == int(fund["annual_fen"])


def test_a_rate_above_100_percent_is_shown_as_it_is_and_flagged(funds: Path) -> None:
    book = next((funds / "raw" / EGOV / "2021").glob("*.xlsx"))
    wb = openpyxl.load_workbook(book)
    ws = wb["专项资金"]
    col = [c.value for c in ws[1]].index("全年执行数") + 1
    ws.cell(2, col, "160万元")
    wb.save(book)
    t = tables(funds, EGOV)
    s = summary(funds, EGOV)
    fund = t["fund"].iloc[0]
    assert s["over_budget"] is True
    assert s["utilisation_exact"] == str(Fraction(int(fund["executed_fen"]), int(fund["annual_fen"])))
    assert s["utilisation"] > 1
    assert "超出预算" in narrative.utilisation(2021, metrics.utilisation(t))
    # the stated execution no longer matches its lines: a finding, not an input error
    rec = reconcile_totals(t)
    assert (rec["ok"] == False).sum() >= 1  # noqa: E712


# ------------------------------------------------------------------ choosing a fund


def test_several_funds_need_fund_to_be_named(funds: Path) -> None:
    done = cli("check", "--year", "2021", "--data-dir", str(funds))
    assert done.exit_code == EXIT_BAD_INPUT
    assert "choose one with --fund" in done.stderr
    assert all(f in done.stderr for f in YEARS)


def test_unknown_fund_lists_those_there_are(funds: Path) -> None:
    done = cli("summary", "--fund", "synthetic-egv", "--year", "2021", "--data-dir", str(funds))
    assert done.exit_code == EXIT_BAD_INPUT
    assert "no such fund" in done.stderr and EGOV in done.stderr


@pytest.mark.parametrize("name", ["../egov", "a/b", ".hidden", "templates", "logs", "", "x" * 200, "con", "LPT1",
                                  "nul.txt"])
def test_fund_names_that_could_escape_or_collide_are_refused(funds: Path, name: str) -> None:
    done = cli("template", "--fund", name, "--year", "2024", "--data-dir", str(funds),
               "--out-dir", str(funds.parent / "out"))
    assert done.exit_code == EXIT_BAD_INPUT, done.output
    assert not (funds.parent / "out").exists()


def test_template_for_a_new_fund_offers_no_other_funds_categories(funds: Path, tmp_path: Path) -> None:
    done = cli("template", "--fund", "new-fund", "--year", "2024", "--data-dir", str(funds),
               "--out-dir", str(tmp_path / "out"))
    assert done.exit_code == EXIT_OK, done.output
    book = openpyxl.load_workbook(tmp_path / "out" / "templates" / "new-fund" / "fund-2024.xlsx")
    assert book["奖励类别"].max_row == 1  # headers only: categories are a fund's own


# ------------------------------------------------------------------ building


@pytest.fixture(scope="module")
def built_funds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every synthetic fund built once, in one run (the default: all funds, all years)."""
    root = tmp_path_factory.mktemp("funds")
    shutil.copytree(FUNDS_DIR / "raw", root / "data" / "raw")
    done = cli("report", "--data-dir", str(root / "data"), "--out-dir", str(root / "out"), "--jobs", "2")
    assert done.exit_code == EXIT_OK, done.output
    return root / "out"


def page_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"data:[^\"')]+", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.slow
def test_only_sections_with_data_are_built(built_funds: Path) -> None:
    for fund, year in YEARS.items():
        pages = sorted(p.name for p in (built_funds / fund / str(year)).glob("*.html"))
        assert pages == ["10-fund-overview.html", "15-spending-lines.html", "index.html"], (fund, pages)


def own_names(fund: str) -> list[str]:
    """Names the fund's own workbook gives (its name, issuer, parts, lines), longest first."""
    t = tables(FUNDS_DIR, fund)
    names = [*t["fund"][["fund_name", "issuer"]].iloc[0].dropna().astype(str)]
    for table, col in (("parts", "part"), ("lines", "item")):
        if table in t:
            names += list(t[table][col].dropna().astype(str))
    return sorted(set(names), key=len, reverse=True)


@pytest.mark.slow
def test_pages_use_the_funds_own_words(built_funds: Path) -> None:
    """No page speaks of awards, media or provincial ranks, except in names the fund itself gives
    (a county media fund's name says 媒体)."""
    for fund, year in YEARS.items():
        names = own_names(fund)
        for page in (built_funds / fund / str(year)).glob("*.html"):
            text = page_text(page)
            for name in names:
                text = text.replace(name, " ")
            assert not [w for w in FOREIGN_WORDS if w in text], (page, [w for w in FOREIGN_WORDS if w in text])
            assert not LEAKS.search(text), (page, LEAKS.search(text))
            assert "常州" not in text
    tasks = page_text(built_funds / TASKS / "2023" / "10-fund-overview.html")
    assert "已安排" in tasks and "年初预算数" in tasks
    county = page_text(built_funds / COUNTY / "2022" / "10-fund-overview.html")
    assert "未给出已执行的金额" in county and "到位率" in county
    egov = page_text(built_funds / EGOV / "2021" / "15-spending-lines.html")
    assert "609,205.40" in egov  # an instalment shown to the 分, as 万元 would round it


@pytest.mark.slow
def test_indexes_list_every_fund(built_funds: Path) -> None:
    site = (built_funds / "index.html").read_text(encoding="utf-8")
    for fund, year in YEARS.items():
        assert f'href="{fund}/index.html"' in site
        own = (built_funds / fund / "index.html").read_text(encoding="utf-8")
        assert f'href="{year}/index.html"' in own


@pytest.mark.slow
def test_amounts_to_the_fen_are_exact_on_tiles_and_indexes(built_funds: Path) -> None:
    """The e-government fund states its money to the 分 (…205.40元): the key-figure tiles, the
    fund's and the site's index show it in exact 元 (as the workbook states it), never rounded to 万元."""
    t = process_year(FUNDS_DIR, YEARS[EGOV], EGOV).tables
    fund = t["fund"].iloc[0]

    def exact(fen: int) -> str:
        return f"{fen // 100:,}.{fen % 100:02d} 元"

    def rounded(fen: int) -> str:
        return f"{round(fen / 1_000_000, 2):g} 万元"

    received, spent = int(fund["received_fen"]), int(fund["executed_fen"])
    assert received % 10_000 and spent % 10_000  # 万元 would round both
    year = built_funds / EGOV / str(YEARS[EGOV])
    for page in (year / "index.html", year / "10-fund-overview.html"):
        text = re.sub(r"\s+", " ", page_text(page))
        for fen in (received, spent):
            assert exact(fen) in text and rounded(fen) not in text, (page.name, exact(fen))
    for index in (built_funds / "index.html", built_funds / EGOV / "index.html"):
        text = re.sub(r"\s+", " ", page_text(index))
        assert exact(spent) in text and rounded(spent) not in text, index


# ------------------------------------------------------------------ check ⇔ report


def _drop_sheet(name: str) -> Callable[[openpyxl.Workbook], None]:
    def fn(wb: openpyxl.Workbook) -> None:
        if name in wb.sheetnames:
            del wb[name]
    return fn


def _fill_column(sheet: str, header: str, value: object) -> Callable[[openpyxl.Workbook], None]:
    def fn(wb: openpyxl.Workbook) -> None:
        if sheet in wb.sheetnames:
            ws = wb[sheet]
            heads = [c.value for c in ws[1]]
            if header in heads:
                for r in range(2, ws.max_row + 1):
                    ws.cell(r, heads.index(header) + 1, value)
    return fn


def _blank_column(sheet: str, header: str) -> Callable[[openpyxl.Workbook], None]:
    return _fill_column(sheet, header, None)


def _keep_rows(sheet: str, n: int) -> Callable[[openpyxl.Workbook], None]:
    def fn(wb: openpyxl.Workbook) -> None:
        if sheet in wb.sheetnames and wb[sheet].max_row > n + 1:
            wb[sheet].delete_rows(n + 2, wb[sheet].max_row - n - 1)
    return fn


def _zero_column(sheet: str, header: str) -> Callable[[openpyxl.Workbook], None]:
    return _fill_column(sheet, header, 0)


def _clear_rows(sheet: str) -> Callable[[openpyxl.Workbook], None]:
    """The sheet keeps its headers and nothing else (as in a fresh template)."""
    def fn(wb: openpyxl.Workbook) -> None:
        if sheet in wb.sheetnames and wb[sheet].max_row > 1:
            wb[sheet].delete_rows(2, wb[sheet].max_row - 1)
    return fn


def _add_parts(n: int) -> Callable[[openpyxl.Workbook], None]:
    """n more parts, named and sourced but with no figures (a report that lists its parts)."""
    def fn(wb: openpyxl.Workbook) -> None:
        if "资金组成" in wb.sheetnames:
            ws = wb["资金组成"]
            heads = [c.value for c in ws[1]]
            for i in range(n):
                row = [None] * len(heads)
                row[heads.index("部分")] = f"合成部分{i + 1}"
                row[heads.index("来源")] = "合成（synthetic）"
                ws.append(row)
    return fn


def _phases(sheet: str, initial: object, adjustment: object) -> Callable[[openpyxl.Workbook], None]:
    """The first row's budget as 年初预算数 + 调整数 (columns added where missing, 预算金额 and
    全年预算数 cleared): an adjustment may take it below zero."""
    def fn(wb: openpyxl.Workbook) -> None:
        if sheet not in wb.sheetnames or wb[sheet].max_row < 2:
            return
        ws = wb[sheet]
        heads = [c.value for c in ws[1]]
        for header in ("预算金额", "全年预算数"):
            if header in heads:
                ws.cell(2, heads.index(header) + 1).value = None
        for header, value in (("年初预算数", initial), ("调整数", adjustment)):
            if header not in heads:
                heads.append(header)
                ws.cell(1, len(heads), header)
            ws.cell(2, heads.index(header) + 1, value)
    return fn


def _form_actual(value: object, fmt: str = "General") -> Callable[[openpyxl.Workbook], None]:
    """Every 实际完成值 of the form written as ``value`` in format ``fmt`` (a bare fraction against a
    % target is ambiguous unless the cell shows %)."""
    def fn(wb: openpyxl.Workbook) -> None:
        if "绩效指标" in wb.sheetnames:
            ws = wb["绩效指标"]
            heads = [c.value for c in ws[1]]
            for r in range(2, ws.max_row + 1):
                if ws.cell(r, 1).value != "总分":
                    cell = ws.cell(r, heads.index("实际完成值") + 1, value)
                    cell.number_format = fmt
    return fn


def _form_rate(value: object, fmt: str = "General") -> Callable[[openpyxl.Workbook], None]:
    """Every stated 执行率 of the form's money block written as ``value`` in format ``fmt`` (a bare
    rate is ambiguous unless the cell shows %)."""
    def fn(wb: openpyxl.Workbook) -> None:
        if "资金来源" in wb.sheetnames:
            ws = wb["资金来源"]
            heads = [c.value for c in ws[1]]
            if "执行率" in heads:
                for r in range(2, ws.max_row + 1):
                    if ws.cell(r, heads.index("执行率") + 1).value is not None:
                        cell = ws.cell(r, heads.index("执行率") + 1, value)
                        cell.number_format = fmt
    return fn


OPTIONAL_SHEETS = ["资金组成", "支出明细", "资金到位", "报告总计", "奖励类别", "媒体单位", "宣传项目",
                   "排名与成果", "分项构成", "对比基数"]
EDITS = st.lists(st.one_of(
    st.sampled_from(OPTIONAL_SHEETS).map(_drop_sheet),
    st.sampled_from(OPTIONAL_SHEETS).map(_clear_rows),
    st.sampled_from([("专项资金", "到位资金"), ("专项资金", "全年执行数"), ("专项资金", "执行口径"),
                     ("专项资金", "城市"), ("专项资金", "预算金额"), ("支出明细", "数量"), ("支出明细", "状态"),
                     ("支出明细", "全年执行数"), ("支出明细", "部分"), ("资金组成", "负责处室"),
                     ("资金组成", "全年预算数"), ("资金组成", "预算金额"), ("奖励类别", "获奖单位数"),
                     ("媒体单位", "项目数"), ("媒体单位", "所属部分")]).map(lambda a: _blank_column(*a)),
    st.sampled_from([("支出明细", 1), ("资金组成", 1), ("资金到位", 1), ("报告总计", 0), ("奖励类别", 1),
                     ("媒体单位", 1)]).map(lambda a: _keep_rows(*a)),
    st.sampled_from([("支出明细", "数量"), ("支出明细", "全年执行数"), ("奖励类别", "获奖单位数"),
                     ("媒体单位", "项目数")]).map(lambda a: _zero_column(*a)),
    st.integers(1, 3).map(_add_parts),
    st.sampled_from([("专项资金", "1000万元", "-2000万元"), ("专项资金", "1000万元", "-1000万元"),
                     ("专项资金", "500万元", "20万元"), ("专项资金", "0", "-0.01元"),
                     ("资金组成", "100万元", "-150万元"), ("资金组成", "100万元", "-50万元")]
                    ).map(lambda a: _phases(*a)),
    st.sampled_from([(0.97, "General"), (0.97, "0%"), ("0.97", "General"), (97, "General"), ("1", "General")]
                    ).map(lambda a: _form_actual(*a)),
    st.sampled_from([(0.956, "General"), (0.956, "0.0%"), ("95.6", "General"), (95.6, "General"), ("95.6%", "@")]
                    ).map(lambda a: _form_rate(*a)),
), max_size=4)
#: Workbooks to vary: the e-government fund (parts, lines, instalments, 分), Changzhou 2019
#: (awards, media, rankings) and the self-evaluation form (targets, actuals, money block).
BASES = [(FUNDS_DIR / "raw", EGOV, 2021), (REPO_DATA_DIR / "raw", FUND, 2019),
         (FIXTURES_DIR / "forms" / "raw", "synthetic-self-evaluation", 2031)]


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from(BASES), edits=EDITS)
def test_check_accepts_exactly_what_report_builds(tmp_path_factory: pytest.TempPathFactory,
                                                  base: tuple[Path, str, int],
                                                  edits: list[Callable[[openpyxl.Workbook], None]]) -> None:
    """Whatever a varied workbook holds, ``check`` and ``report`` agree: both pass (and the pages
    leak no missing value) or both refuse with exit 2 (and nothing is written)."""
    raw, fund, year = base
    root = tmp_path_factory.mktemp("variant")
    data = root / "data"
    shutil.copytree(raw / fund / str(year), data / "raw" / fund / str(year))
    book = next((data / "raw" / fund / str(year)).glob("*.xlsx"))
    wb = openpyxl.load_workbook(book)
    for edit in edits:
        edit(wb)
    wb.save(book)
    checked = cli("check", "--year", str(year), "--data-dir", str(data))
    assert checked.exit_code in (EXIT_OK, EXIT_BAD_INPUT), checked.output
    built = cli("report", "--data-dir", str(data), "--out-dir", str(root / "out"), "--jobs", "2")
    assert built.exit_code == checked.exit_code, (checked.output, built.output)
    if built.exit_code == EXIT_OK:
        pages = list((root / "out" / fund / str(year)).glob("*.html"))
        assert any(p.name == "10-fund-overview.html" for p in pages)
        for page in pages:
            assert not LEAKS.search(page_text(page)), (page, LEAKS.search(page_text(page)))
    else:
        assert not (root / "out").exists() or not any((root / "out").rglob("*.html"))
