"""A check runs only on complete data, the missing checks are made, money reads in money units.

The funds in ``tests/fixtures/fidelity/raw/`` (made by ``make_check_shapes.py``, every name and
figure synthetic) are shapes a real report gave: a stated count against lines of which one gives
a count, a fund total against lines of one of three parts, a 元 typed among 万元, instalments
without a stated 到位资金. Expected figures are the workbook's own (read back here) or worked by
hand from them; the 2019 figures are the report's.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from fractions import Fraction
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import FIXTURES_DIR, FUND, REPO_DATA_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_defences import cli

from fundanalysis.analysis.key_figures import summarise
from fundanalysis.analysis.reconcile import reconcile_totals
from fundanalysis.config import EXIT_OK
from fundanalysis.errors import InputError
from fundanalysis.export.summary_json import document
from fundanalysis.export.workbook import tables_workbook
from fundanalysis.ingest.load import process_year
from fundanalysis.ingest.scale import column_outliers
from fundanalysis.present import fmt, narrative, words
from fundanalysis.present.report import HEADINGS, Report

SHAPES = FIXTURES_DIR / "fidelity"
YEAR = 2024
COUNTS, ONE_PART, TYPO, INSTALMENTS = ("synthetic-partial-counts", "synthetic-one-part-lines",
                                       "synthetic-scale-typo", "synthetic-instalments")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the synthetic shapes (copied: building writes processed/)."""
    data = tmp_path_factory.mktemp("shapes") / "data"
    shutil.copytree(SHAPES / "raw", data / "raw")
    return data


def _tables(data: Path, fund: str, year: int = YEAR) -> dict[str, pd.DataFrame]:
    return process_year(data, year, fund).tables


def _rows(data: Path, fund: str) -> dict[str, dict[str, Any]]:
    return {r["check"]: r for r in reconcile_totals(_tables(data, fund)).to_dict("records")}


def _sheet(fund: str, name: str) -> list[dict[str, Any]]:
    """A sheet of a fixture workbook as read back by openpyxl (header → value)."""
    ws = openpyxl.load_workbook(SHAPES / "raw" / fund / str(YEAR) / f"fund-{YEAR}.xlsx")[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _built_headings(tables: dict[str, pd.DataFrame]) -> tuple[str, ...]:
    """The headings a build shows for these tables: those the report notebooks call, of the
    sections that apply (the build's own discovery)."""
    from fundanalysis.pipeline.sections import discover_sections
    from fundanalysis.storage.notebook_files import read_notebook

    called: list[str] = []
    for section in discover_sections():
        if section.applies(tables):
            code = "\n".join(c.source for c in read_notebook(section.path).cells if c.cell_type == "code")
            called += [h for h in re.findall(r"report\.(\w+)\(", code) if h in HEADINGS and h not in called]
    return tuple(called)


def _page(data: Path, fund: str, year: int = YEAR, headings: tuple[str, ...] | None = None) -> str:
    """The text the headings of a year show (tags stripped), charts' titles included; all the
    headings a build shows unless ``headings`` are given."""
    tables = _tables(data, fund, year)
    report = Report(year, data, tables, fund, summarise(tables))
    html = ""
    for h in headings or _built_headings(tables):
        shown = getattr(report, h)()
        html += shown.html + "".join(c.title for c in shown.charts)
    return re.sub(r"<[^>]+>", " ", html)


# ------------------------------------------------------------------ complete data


def test_a_count_of_one_line_in_six_is_not_the_stated_count(shapes: Path) -> None:
    lines = _sheet(COUNTS, "支出明细")
    stated = _sheet(COUNTS, "报告总计")[0]
    row = _rows(shapes, COUNTS)["项目总数"]
    assert row["stated"] == int(stated["表述值"].rstrip("个"))
    assert row["ok"] is None and row["computed"] is None
    without = sum(1 for ln in lines if ln["数量"] is None)
    assert (len(lines), without) == (6, 5)
    assert row["reason"] == {"code": "rows_missing", "table": "lines", "figure": "quantity", "rows": 6,
                             "missing": 5}
    assert words.check_result(row["ok"], row["reason"]) == "无法核对（6 条明细中 5 条未给出数量（项、个））"
    summary = summarise(_tables(shapes, COUNTS))
    assert summary["projects"] is None  # not "2 个" from the one line that gives a count
    tiles = _page(shapes, COUNTS, headings=("key_figures",))
    assert "项目数" in tiles and "2 个" not in tiles and "未注明" in tiles
    page = _page(shapes, COUNTS, headings=("reconciliation",))
    assert "6 条明细中 5 条未给出数量" in page and "不符" not in page.replace("0 项不符", "")


def test_a_fund_total_is_not_checked_against_lines_of_one_part(shapes: Path) -> None:
    rec = reconcile_totals(_tables(shapes, ONE_PART))
    parts = _sheet(ONE_PART, "资金组成")
    covered = {ln["部分"] for ln in _sheet(ONE_PART, "支出明细")}
    assert len(parts) == 3 and len(covered) == 1
    fund_total = 800 * 1_000_000  # 专项资金 全年执行数 800万元, stated twice (fund sheet, 报告总计)
    against_lines = rec[(rec["stated"] == fund_total) & rec["part"].isna()
                        & rec["rule"].isin(["stated_phase", "executed_lines", "spent"])]
    assert len(against_lines) == 1  # one finding, reported once
    row = against_lines.iloc[0]
    assert row["ok"] is None and row["computed"] is None
    assert row["reason"]["code"] == "parts_uncovered"
    assert set(row["reason"]["parts"]) == {p["部分"] for p in parts} - covered
    assert not (rec["ok"] == False).any(), rec  # noqa: E712 - nothing here is a 不符
    # the part the lines belong to is checked, and so are the parts' stated figures
    by_name = rec.set_index("check")
    assert by_name.loc["全年执行数·项目支出", "ok"] is True
    assert by_name.loc["各部分执行数合计", "ok"] is True


def test_a_sum_over_lines_of_which_one_lacks_the_figure_is_not_a_sum(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SHAPES / "raw" / ONE_PART, data / "raw" / ONE_PART)
    book = data / "raw" / ONE_PART / str(YEAR) / f"fund-{YEAR}.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["支出明细"]
    col = [c.value for c in ws[1]].index("全年执行数") + 1
    ws.cell(3, col).value = None
    wb.save(book)
    row = _rows(data, ONE_PART)["全年执行数·项目支出"]
    assert row["ok"] is None
    assert words.describe_reason(row["reason"]) == "3 条明细中 1 条未给出全年执行数"


def test_instalments_are_checked_against_the_budget_without_a_stated_receipt(shapes: Path) -> None:
    fund = _sheet(INSTALMENTS, "专项资金")[0]
    assert fund.get("到位资金") is None
    rec = _rows(shapes, INSTALMENTS)
    row = rec["分批到位合计·预算"]
    assert (row["stated"], row["computed"], row["ok"]) == (100_000_000, 90_000_000, False)  # 100万 vs 60万 + 30万
    doc = document(summarise(_tables(shapes, INSTALMENTS)))
    out = next(r for r in doc["reconciliation"] if r["check"] == "分批到位合计·预算")
    assert (out["stated"], out["computed"], out["difference"], out["unit"]) == (1_000_000, 900_000, -100_000, "元")
    page = _page(shapes, INSTALMENTS, headings=("reconciliation",))
    assert "分批到位合计·预算（报告 100 万元，计算 90 万元）" in page


def test_a_yuan_among_wan_is_a_located_warning_and_a_finding(shapes: Path) -> None:
    outlets = _sheet(TYPO, "媒体单位")
    typo = next(i for i, o in enumerate(outlets) if str(o["金额"]).endswith("元") and "万" not in o["金额"])
    done = cli("check", "--fund", TYPO, "--year", str(YEAR), "--data-dir", str(shapes))
    assert done.exit_code == EXIT_OK, done.output
    warning = next(ln for ln in done.stderr.splitlines() if ln.startswith("warning:"))
    for part in (f"fund-{YEAR}.xlsx", "'媒体单位'", f"row {typo + 2}", "'金额'", "20.00 元", "10,000"):
        assert part in warning, (part, warning)
    row = _rows(shapes, TYPO)[f"数量级·媒体单位·金额·{outlets[typo]['单位']}"]
    assert row["ok"] is False and row["stated"] == 2_000  # taken as written: 20元
    page = _page(shapes, TYPO, headings=("reconciliation",))
    assert outlets[typo]["单位"] in page and "数量级" in page
    others = sorted(int(str(o["金额"]).removesuffix("万元")) for i, o in enumerate(outlets) if i != typo)
    assert f"（20.00 元，同列其他金额的中位数 {others[1] * 10_000:,}.00 元）" in page  # 60万 = 600,000.00 元


@pytest.mark.parametrize(("amounts", "flagged"), [
    ([70_000_000, 60_000_000, 20_000_000, 2_000], [3]),  # 20元 among 70万, 60万, 20万
    ([1_650_000_000, 1_996_500_000, 170_998], [2]),  # 1709.98元 among 1650万, 1996.5万 (as 分)
    ([140_920_540, 132_912_067, 50_000_000], []),  # amounts to the 分 of one scale
    ([0, 0, 2_000, 70_000_000], []),  # zeros are not amounts to compare; two left
])
def test_column_outliers(amounts: list[int], flagged: list[int]) -> None:
    assert [i for i, _, _ in column_outliers(amounts)] == flagged


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(0), st.integers(-10**10, 10**10),
                          st.sampled_from([1, 2, 2_000, 70_000_000, -3])), max_size=12))
def test_an_outlier_is_out_of_scale_with_the_median_of_the_others(amounts: list[int | None]) -> None:
    """The definition, stated directly: each non-zero amount against the exact median of the others."""
    from statistics import median

    present = [(i, a) for i, a in enumerate(amounts) if a]
    expected = []
    if len(present) >= 3:
        for i, a in present:
            mid = Fraction(median(Fraction(abs(b)) for j, b in present if j != i))
            if mid and max(mid / abs(a), abs(a) / mid) > 10_000:
                expected.append((i, int(mid), int(max(mid / abs(a), abs(a) / mid))))
    assert column_outliers(amounts) == expected  # type: ignore[arg-type]


def test_a_long_column_finds_its_one_outlier() -> None:
    """12,001 amounts, as in a long recipient sheet (the others' medians come from one sort; the
    scan of every amount against all the others took minutes here)."""
    amounts = [1_000_000 + 37 * i for i in range(12_000)] + [3]
    middle = Fraction(2 * 1_000_000 + 37 * 5_999 + 37 * 6_000, 2)  # the mean of the middle two of the others
    assert [(i, mid) for i, mid, _ in column_outliers(amounts)] == [(12_000, int(middle))]


def test_the_2019_checks_stay_as_they_were(reconciliation_2019: pd.DataFrame) -> None:
    rec = reconciliation_2019
    assert set(rec.loc[rec["ok"] == False, "check"]) == {"项目名称数·中经社江苏中心"}  # noqa: E712
    assert not (rec["rule"] == "scale").any() and not (rec["rule"] == "instalments_budget").any()


# ------------------------------------------------------------------ money units


def test_failing_checks_say_their_money_in_units() -> None:
    rec = pd.DataFrame([
        {"check": "使用资金", "stated": 160_000_000, "computed": 155_000_000, "difference": -5_000_000,
         "ok": False, "unit": "元"},
        {"check": "到位资金", "stated": 140_920_540, "computed": 140_920_500, "difference": -40,
         "ok": False, "unit": "元"},
        {"check": "项目总数", "stated": 7, "computed": 2.0, "difference": -5.0, "ok": False, "unit": "个"},
    ], dtype=object)
    text = narrative.reconciliation(rec, {"checks": 3, "ok": 0, "failed": 3, "unknown": 0})
    assert "使用资金（报告 160 万元，计算 155 万元）" in text
    assert "到位资金（报告 1,409,205.40 元，计算 1,409,205.00 元）" in text
    assert "项目总数（报告 7 个，计算 2 个）" in text
    assert not re.search(r"\d{8,}", text) and "2.0" not in text


def test_formatter_units_counts_and_no_negative_zero() -> None:
    assert fmt.money(160_000_000) == "160 万元"
    assert fmt.money(140_920_540) == "1,409,205.40 元"  # 万元 would round away its 40 分
    assert fmt.pct(-0.000001) == "0.00%" and fmt.points(-0.000001) == "+0.00"
    assert fmt.wan(-1) == "0"
    assert fmt.count(2.0) == "2" and fmt.check_value(-5.0, "个") == "-5"
    assert fmt.check_unit("元", [160_000_000, 155_000_000, -5_000_000]) == "万元"
    assert fmt.check_unit("元", [140_920_540, 140_920_500, -40]) == "元"


def _money_entries(doc: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every object of a JSON document whose unit is 元, with where it is."""
    found = []
    if isinstance(doc, dict):
        if doc.get("unit") == "元":
            found.append((path, doc))
        for k, v in doc.items():
            found += _money_entries(v, f"{path}.{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _money_entries(v, f"{path}[{i}]")
    return found


def _yuan_fields(doc: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every ``*_yuan`` field of a JSON document, with where it is."""
    found = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "provenance":  # how each figure was obtained, keyed by the figure's name: no amounts
                continue
            found += [(f"{path}.{k}", v)] if k.endswith("_yuan") else _yuan_fields(v, f"{path}.{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _yuan_fields(v, f"{path}[{i}]")
    return found


def _is_yuan(v: Any) -> bool:
    """A JSON amount of 元: a number with at most two decimals (never 分 as a float)."""
    return isinstance(v, int | float) and not isinstance(v, bool) and Decimal(repr(v)).as_tuple().exponent >= -2


@pytest.mark.parametrize(("raw", "fund", "year"), [
    (REPO_DATA_DIR / "raw", FUND, 2019),
    (FIXTURES_DIR / "funds" / "raw", "synthetic-policy-tasks", 2023),  # phases: 年初 + 调整 = 全年
    (FIXTURES_DIR / "funds" / "raw", "synthetic-egov", 2021),  # parts, lines, instalments, 分
    (SHAPES / "raw", INSTALMENTS, YEAR),
])
def test_summary_json_money_is_in_yuan_for_every_rule(tmp_path: Path, raw: Path, fund: str, year: int) -> None:
    data = tmp_path / "data"
    shutil.copytree(raw / fund / str(year), data / "raw" / fund / str(year))
    done = cli("summary", "--fund", fund, "--year", str(year), "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output
    doc = json.loads(done.stdout)
    for where, v in _yuan_fields(doc):
        assert v is None or _is_yuan(v), (where, v)
    # every figure the fund states in 元, read from the workbook by openpyxl, parsed once more here
    stated = {int(v) for w, v in _yuan_fields(doc) if v is not None and float(v).is_integer()}
    entries = _money_entries(doc.get("reconciliation", []))
    assert entries
    for where, r in entries:
        for k in ("stated", "computed", "difference"):
            assert r[k] is None or _is_yuan(r[k]), (where, k, r[k], r["rule"])
        if r["stated"] is not None and r["computed"] is not None:
            assert Decimal(repr(r["computed"])) - Decimal(repr(r["stated"])) == Decimal(repr(r["difference"])), r
            assert (r["ok"] is True) == (r["stated"] == r["computed"]), r
    # a phase check states the fund's own budget in 元, as the document's budget_yuan does
    for _, r in entries:
        if r["rule"] == "phases" and r["subject"] is None:
            assert r["stated"] == doc["budget_yuan"], r
    assert stated  # the walk saw amounts


def test_workbook_reconciliation_has_numbers_and_a_difference(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SHAPES / "raw" / INSTALMENTS, data / "raw" / INSTALMENTS)
    tables = _tables(data, INSTALMENTS)
    wb = openpyxl.load_workbook(BytesIO(tables_workbook(tables, summarise(tables))))
    ws = wb["报告总计核对"]
    header = [c.value for c in ws[1]]
    assert {"报告数", "计算数", "差额", "单位"} <= set(header)
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["核对项"].value == "分批到位合计·预算"
    assert (row["报告数"].value, row["计算数"].value, row["差额"].value, row["单位"].value) == (100, 90, -10, "万元")
    assert all(row[h].data_type == "n" and row[h].number_format == "#,##0.00" for h in ("报告数", "计算数", "差额"))
    for r in ws.iter_rows(min_row=2):
        cells = dict(zip(header, r, strict=True))
        for h in ("报告数", "计算数", "差额"):
            v = cells[h].value
            assert not (isinstance(v, str) and re.fullmatch(r"[-\d,.]+", v)), (h, v)  # never numeric text


def test_workbook_counts_are_whole_numbers(tables_2019: dict[str, pd.DataFrame]) -> None:
    """The 2019 report states 6 items for 中经社江苏中心 and lists 5 titles: 6, 5, -1 as numbers."""
    wb = openpyxl.load_workbook(BytesIO(tables_workbook(tables_2019, summarise(tables_2019))))
    ws = wb["报告总计核对"]
    header = [c.value for c in ws[1]]
    row = next(dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)
               if r[0].value == "项目名称数·中经社江苏中心")
    assert [row[h].value for h in ("报告数", "计算数", "差额")] == [6, 5, -1]
    assert all(isinstance(row[h].value, int) and row[h].number_format == "#,##0" for h in ("报告数", "计算数", "差额"))


# ------------------------------------------------------------------ property: no bare 分

EIGHT_DIGITS = re.compile(r"(?<![\d,.])\d{8,}(?![\d,.])")


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_page_or_summary_sentence_shows_a_bare_eight_digit_number(tmp_path_factory: pytest.TempPathFactory,
                                                                      data: st.DataObject) -> None:
    """For random valid workbooks (the variations of test_funds), no page text and no sentence of
    summary.json shows a bare integer of eight or more digits (分 leaking as money)."""
    from test_funds import BASES, EDITS

    raw, fund, year = data.draw(st.sampled_from([*BASES, (SHAPES / "raw", TYPO, YEAR),
                                                 (SHAPES / "raw", ONE_PART, YEAR)]))
    edits = data.draw(EDITS)
    root = tmp_path_factory.mktemp("variant") / "data"
    shutil.copytree(raw / fund / str(year), root / "raw" / fund / str(year))
    book = next((root / "raw" / fund / str(year)).glob("*.xlsx"))
    wb = openpyxl.load_workbook(book)
    for edit in edits:
        edit(wb)
    wb.save(book)
    try:
        tables = _tables(root, fund, year)
    except InputError:  # an edit that makes the workbook invalid: not a valid workbook
        return
    text = _page(root, fund, year)
    assert not EIGHT_DIGITS.search(text), EIGHT_DIGITS.search(text)
    doc = document(summarise(tables))
    sentences = [r["description"] for r in doc["reconciliation"]] + [r["result"] for r in doc["reconciliation"]]
    # sentences are words (utilisation_exact, "132912067/150000000", is an exact ratio, not money)
    sentences += [v for v in doc.values() if isinstance(v, str) and not v.isascii()]
    for s in sentences:
        assert not EIGHT_DIGITS.search(s), s


def test_every_named_total_is_checked_against_the_rows_that_carry_it(tmp_path: Path) -> None:
    """Outlets 经费 (执行口径 安排) are allocations: the stated 全年预算数 is checked against them,
    the stated 全年执行数 is not (no row carries execution)."""
    from fundanalysis.ingest.specs import SHEETS_BY_NAME

    data = tmp_path / "data"
    shutil.copytree(SHAPES / "raw" / TYPO, data / "raw" / TYPO)
    book = data / "raw" / TYPO / str(YEAR) / f"fund-{YEAR}.xlsx"
    wb = openpyxl.load_workbook(book)
    fund_ws, media = wb["专项资金"], wb["媒体单位"]
    fund_ws.cell(2, [c.value for c in fund_ws[1]].index("执行口径") + 1).value = "安排"
    amount = [c.value for c in media[1]].index("金额") + 1
    media.cell(5, amount).value = "20万元"  # the typo corrected: 70 + 60 + 20 + 20 = 170万
    ws = wb.create_sheet("报告总计")
    headers = [c.header for c in SHEETS_BY_NAME["报告总计"].columns]
    ws.append(headers)
    for check, value in (("全年预算数", "170万元"), ("全年执行数", "170万元")):
        row = dict.fromkeys(headers)
        row.update({"核对项": check, "表述值": value, "来源": "合成（synthetic）"})
        ws.append([row[h] for h in headers])
    wb.save(book)
    rec = _rows(data, TYPO)
    assert (rec["全年预算数"]["stated"], rec["全年预算数"]["computed"], rec["全年预算数"]["ok"]) == (
        170_000_000, 170_000_000, True)
    assert rec["全年执行数"]["ok"] is None and rec["全年执行数"]["computed"] is None
    assert words.describe_reason(rec["全年执行数"]["reason"]) == "报告未列出给出全年执行数的明细"
    assert not any(r["rule"] == "scale" for r in rec.values())


def test_amounts_to_the_fen_read_in_yuan_in_sentences_and_tables(tmp_path: Path) -> None:
    """The e-government fund states 全年执行数 to the 分: the sentence and the table keep them."""
    fund, year = "synthetic-egov", 2021
    data = tmp_path / "data"
    shutil.copytree(FIXTURES_DIR / "funds" / "raw" / fund, data / "raw" / fund)
    book = openpyxl.load_workbook(data / "raw" / fund / str(year) / f"fund-{year}.xlsx")["专项资金"]
    header = [c.value for c in book[1]]
    executed = str(book.cell(2, header.index("全年执行数") + 1).value)  # "1,329,120.67元"
    assert executed.endswith("元") and "万" not in executed
    text = _page(data, fund, year, headings=("utilisation",))
    assert f"{executed.removesuffix('元')} 元" in text
    assert "（元）" in text  # the table's money column says its unit
