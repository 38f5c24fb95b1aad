"""Bad input: a generated corpus of broken copies of the 2019 workbook.

Every defence is run through ``check``, ``clean`` and ``report``: each must exit 2 with a message
naming file, sheet, Excel row, column, value and reason (as far as the case allows), and leave
``data/processed/`` and ``outputs/`` byte-identical to before (here: a previous good ``clean``
and a previously published report). Named cases come first, then a hypothesis test that draws
random mutations of the workbook. All inputs are generated in tmp_path; data/raw is only read.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from conftest import FUND, REPO_DATA_DIR, edit_workbook, find_cell, find_row_cell, workbook_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from fundanalysis import config
from fundanalysis.cli import main
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK
from fundanalysis.ingest.specs import SHEETS_BY_NAME
from fundanalysis.storage.rawsheet import RawSheet
from fundanalysis.storage.xlsx import read_workbook

WB = "fund-2019.xlsx"
YEAR = "2019"
MIB = 1 << 20

# ------------------------------------------------------------------------ helpers


def cli(*args: str) -> Result:
    """Run the CLI in-process; anything but a clean exit is a bug (a traceback)."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback from {args}: {result.exception!r}") from result.exception
    assert "Traceback" not in result.output, result.output
    return result


def state(root: Path) -> dict[str, Any] | None:
    """Every entry under ``root`` (symlinks not followed) with its bytes; None if absent."""
    if not root.exists() and not root.is_symlink():
        return None
    out: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            out[rel] = ("link", os.readlink(p)) if p.is_symlink() else (
                p.read_bytes() if p.is_file() else "dir")
    return out


@dataclass
class Case:
    """A writable data folder with a previous good ``clean`` and a published report."""

    data: Path
    out: Path

    @property
    def workbook(self) -> Path:
        return workbook_path(self.data)

    def written(self) -> tuple[Any, Any]:
        """What a refused run must not change: processed tables and outputs, less the run's own
        record of itself (its log, status.json and the lock that guards it: see docs/operations.md)."""
        out = state(self.out)
        if out is not None:
            out = {k: v for k, v in out.items()
                   if not (k in ("logs", "status.json", ".locks", ".locks/status.lock") or k.startswith("logs/"))
                   } or None  # an output folder holding only that record
        return state(self.data / "processed"), out


@pytest.fixture(scope="session")
def good_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with raw/2019, processed/2019 from a good clean, and outputs/2019."""
    root = tmp_path_factory.mktemp("good")
    shutil.copytree(REPO_DATA_DIR / "raw" / FUND / YEAR, root / "data" / "raw" / FUND / YEAR)
    done = cli("clean", "--year", YEAR, "--data-dir", str(root / "data"))
    assert done.exit_code == EXIT_OK, done.output
    version = root / "outputs" / FUND / ".versions" / f"{YEAR}-previous"
    version.mkdir(parents=True)
    (version / "index.html").write_text("previous report", encoding="utf-8")
    (root / "outputs" / FUND / YEAR).symlink_to(Path(".versions") / f"{YEAR}-previous")  # as a build publishes
    return root


@pytest.fixture
def case(good_state: Path, tmp_path: Path) -> Case:
    root = tmp_path / "case"
    shutil.copytree(good_state, root, symlinks=True)
    return Case(root / "data", root / "outputs")


@dataclass(frozen=True)
class Expect:
    """One problem the message must contain; None means 'not checked' (row None: file level)."""

    reason: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    file: str = WB

    def matches(self, p: dict[str, Any]) -> bool:
        return (self.reason in p["reason"] and self.file in p["file"]
                and (self.sheet is None or p["sheet"] == self.sheet)
                and (self.row is None or p["row"] == self.row)
                and (self.column is None or p["column"] == self.column)
                and (self.value is None or self.value in (p["value"] or "")))

    def in_text(self, line: str) -> bool:
        parts = [self.file, self.reason]
        parts += [f"sheet {self.sheet!r}"] if self.sheet else []
        parts += [f"column {self.column!r}"] if self.column else []
        return all(x in line for x in parts) and (self.row is None or names_row(line, self.row))


def names_row(line: str, row: int) -> bool:
    """True if a problem line names this Excel row (row 1 is not row 12)."""
    return re.search(rf"\brow {row}[,:]", line) is not None


ALL_COMMANDS = ("clean", "report")


def assert_rejected(case: Case, *expected: Expect, exact: bool = False,
                    commands: tuple[str, ...] = ALL_COMMANDS) -> list[dict[str, Any]]:
    """check and ``commands`` (clean, report) exit 2, name every expected problem, write nothing.

    ``check --json`` gives the structured problems; the others' stderr must name each one too.
    """
    before = case.written()
    data = str(case.data)
    checked = cli("check", "--year", YEAR, "--data-dir", data, "--json")
    assert checked.exit_code == EXIT_BAD_INPUT, checked.output
    problems = json.loads(checked.stdout)
    for e in expected:
        assert any(e.matches(p) for p in problems), (e, problems)
    if exact:
        assert len(problems) == len(expected), problems
    argv = {"clean": ["clean", "--year", YEAR],
            "report": ["report", "--year", YEAR, "--out-dir", str(case.out)]}
    for cmd in (argv[c] for c in commands):
        result = cli(*cmd, "--data-dir", data)
        assert result.exit_code == EXIT_BAD_INPUT, (cmd, result.output)
        lines = result.stderr.splitlines()
        assert "nothing was written" in lines[0], result.stderr
        for e in expected:
            assert any(e.in_text(ln) for ln in lines), (cmd, e, result.stderr)
    assert case.written() == before, "something was written"
    return problems


def assert_accepted(case: Case, clean: bool = True) -> Result:
    """check (and clean, unless told not to) exit 0; returns the last result."""
    checked = cli("check", "--year", YEAR, "--data-dir", str(case.data))
    assert checked.exit_code == EXIT_OK, checked.output
    if not clean:
        return checked
    cleaned = cli("clean", "--year", YEAR, "--data-dir", str(case.data))
    assert cleaned.exit_code == EXIT_OK, cleaned.output
    return cleaned


def edit(case: Case, fn: Callable[[Workbook], None]) -> None:
    edit_workbook(case.workbook, fn)


def col_of(ws: Any, header: str) -> int:
    """1-based column of a header in row 1."""
    return [c.value for c in ws[1]].index(header) + 1


def sheet_part(xlsx: Path, sheet: str) -> str:
    """The zip part holding a sheet's XML."""
    from fundanalysis.storage.xlsx import _sheet_xml_paths

    with zipfile.ZipFile(xlsx) as zf:
        return _sheet_xml_paths(zf)[sheet]


def rewrite_part(xlsx: Path, part: str, fn: Callable[[bytes], bytes]) -> None:
    """Rewrite one zip part of a workbook copy, keeping every other part as is."""
    src = xlsx.read_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(xlsx, "w",
                                                                  zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, fn(data) if info.filename == part else data)


def insert_prolog(data: bytes, prolog: str) -> bytes:
    """Insert text after the XML declaration (or at the start if there is none)."""
    text = data.decode("utf-8")
    decl = text[: text.index("?>") + 2] if text.startswith("<?xml") else ""
    return (decl + prolog + text[len(decl):]).encode("utf-8")


# ------------------------------------------------------- headers, sheets, columns


def missing_sheet(wb: Workbook) -> None:
    del wb["专项资金"]


def missing_column(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    ws.delete_cols(col_of(ws, "金额"))


def misspelt_header(wb: Workbook) -> None:
    ws = wb["奖励类别"]
    ws.cell(1, col_of(ws, "奖励金额"), "奖励资金")


def unrelated_header(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    ws.cell(1, col_of(ws, "项目数"), "XYZ")


def doubled_header(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    ws.cell(1, col_of(ws, "采购方式"), "金额")


def unknown_money_unit_in_header(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    ws.cell(1, col_of(ws, "金额"), "金额（美元）")


def misspelt_sheet(wb: Workbook) -> None:
    wb["媒体单位"].title = "媒体单位表"


# ------------------------------------------------------------------------ amounts


def set_cell(sheet: str, header: str, key: str, value: Any) -> Callable[[Workbook], None]:
    def fn(wb: Workbook) -> None:
        ws = wb[sheet]
        ws[find_cell(ws, header, key)] = value

    fn.__name__ = f"set-{sheet}-{header}-{value}"
    return fn


JUNK_AMOUNT = set_cell("媒体单位", "金额", "常州电视台", "七十万左右")
NEGATIVE_AMOUNT = set_cell("媒体单位", "金额", "常州电视台", -5)
NEGATIVE_TEXT_AMOUNT = set_cell("媒体单位", "金额", "常州电视台", "-5万元")
UNKNOWN_UNIT = set_cell("专项资金", "预算金额", "工业互联网专项资金", "1000 万美元")
NEGATIVE_COUNT = set_cell("媒体单位", "项目数", "常州电视台", -3)
HUGE_COUNT = set_cell("媒体单位", "项目数", "常州电视台", "99999999999999999999999")
SHARE_ABOVE_ONE = "5/4"
SHARE_INFINITE = "Infinity"


def set_share(value: str) -> Callable[[Workbook], None]:
    def fn(wb: Workbook) -> None:
        ws = wb["对比基数"]
        ws.cell(2, col_of(ws, "表述占全省比例"), value)

    return fn


# ---------------------------------------------------------- merged cells, formulas


def merged_header(wb: Workbook) -> None:
    wb["媒体单位"].merge_cells("A1:B1")


def merged_body(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    c = openpyxl.utils.get_column_letter(col_of(ws, "所属部分"))
    ws.merge_cells(f"{c}2:{c}3")


def formula_in_amount(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    ws.cell(3, col_of(ws, "金额"), "=1+2")


def formula_in_text(wb: Workbook) -> None:
    ws = wb["宣传项目"]
    ws.cell(4, col_of(ws, "来源"), '=CONCAT("a","b")')


def error_value(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    cell = ws.cell(3, col_of(ws, "金额"), "#REF!")
    cell.data_type = "e"


def duplicated_row(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    ws.append([c.value for c in ws[2]])


def duplicated_total(wb: Workbook) -> None:
    ws = wb["报告总计"]
    ws.append([c.value for c in ws[3]])


def second_fund_row(wb: Workbook) -> None:
    ws = wb["专项资金"]
    ws.append([c.value for c in ws[2]])


NAMED_CELL_CASES = [
    pytest.param(missing_sheet, [Expect("missing sheet '专项资金'", "专项资金")], id="missing-sheet"),
    pytest.param(missing_column, [Expect("missing column '金额'", "媒体单位", 1)], id="missing-column"),
    pytest.param(misspelt_header, [Expect("did you mean '奖励金额'", "奖励类别", 1, "C", "奖励资金")],
                 id="misspelt-header"),
    pytest.param(unrelated_header, [Expect("unknown column header", "媒体单位", 1, "B", "XYZ")],
                 id="unrelated-header"),
    pytest.param(doubled_header, [Expect("column '金额' appears twice (also column C)", "媒体单位", 1,
                                         "D", "金额")], id="doubled-header"),
    pytest.param(unknown_money_unit_in_header,
                 [Expect("unknown money unit '美元' in the header", "媒体单位", 1, "C", "金额（美元）")],
                 id="header-unit-unknown"),
    pytest.param(misspelt_sheet, [Expect("did you mean '媒体单位'", "媒体单位表", None, None, "媒体单位表")],
                 id="misspelt-sheet"),
    pytest.param(JUNK_AMOUNT, [Expect("is not a number", "媒体单位", 3, "金额", "七十万左右")],
                 id="junk-amount"),
    pytest.param(NEGATIVE_AMOUNT, [Expect("is negative", "媒体单位", 3, "金额", "-5")],
                 id="negative-amount"),
    pytest.param(NEGATIVE_TEXT_AMOUNT, [Expect("is negative", "媒体单位", 3, "金额", "-5万元")],
                 id="negative-text-amount"),
    pytest.param(UNKNOWN_UNIT, [Expect("unknown unit '万美元'", "专项资金", 2, "预算金额", "1000 万美元")],
                 id="unknown-unit"),
    pytest.param(NEGATIVE_COUNT, [Expect("is negative", "媒体单位", 3, "项目数", "-3")],
                 id="negative-count"),
    pytest.param(HUGE_COUNT, [Expect("too large", "媒体单位", 3, "项目数")], id="huge-count"),
    pytest.param(set_share(SHARE_ABOVE_ONE), [Expect("not between 0 and 1", "对比基数", 2, "表述占全省比例")],
                 id="share-above-one"),
    pytest.param(set_share(SHARE_INFINITE), [Expect("is not a fraction", "对比基数", 2, "表述占全省比例")],
                 id="share-infinite"),
    pytest.param(merged_header, [Expect("header cells A1:B1 are merged", "媒体单位", 1, "A", "单位")],
                 id="merged-header"),
    pytest.param(merged_body, [Expect("cells E2:E3 are merged", "媒体单位", 2, "所属部分")],
                 id="merged-body"),
    pytest.param(formula_in_amount, [Expect("formula without a calculated value", "媒体单位", 3, "金额",
                                            "=1+2")], id="formula-amount"),
    pytest.param(formula_in_text, [Expect("cell C4 holds a formula", "宣传项目", 4, "来源", "=CONCAT")],
                 id="formula-text"),
    pytest.param(error_value, [Expect("holds the Excel error #REF!", "媒体单位", 3, "金额", "#REF!")],
                 id="error-value"),
    pytest.param(duplicated_row, [Expect("duplicated row: same 单位 as row 2", "媒体单位", 9, "单位",
                                         "常州日报")], id="duplicated-row"),
    pytest.param(duplicated_total, [Expect("duplicated row: same 核对项、所属部分 as row 3", "报告总计", 12)],
                 id="duplicated-total"),
    pytest.param(second_fund_row, [Expect("expected exactly one fund row", "专项资金")],
                 id="second-fund-row"),
]


@pytest.mark.parametrize(("mutate", "expected"), NAMED_CELL_CASES)
def test_broken_workbook_is_rejected_by_every_command(
        case: Case, mutate: Callable[[Workbook], None], expected: list[Expect]) -> None:
    edit(case, mutate)
    assert_rejected(case, *expected)


@pytest.mark.parametrize("mutate", [formula_in_amount, error_value, merged_body],
                         ids=["formula", "error-value", "merged-body"])
def test_cell_read_as_empty_is_reported_once(case: Case, mutate: Callable[[Workbook], None]) -> None:
    """The formula / error / merged cell is named once, not again as 'amount is empty'."""
    edit(case, mutate)
    problems = assert_rejected(case, commands=())
    assert len(problems) == 1, problems


def test_merged_ranges_format_is_what_calamine_returns(tmp_path: Path) -> None:
    """python-calamine gives ((row0, col0), (row1, col1)), 0-based and absolute."""
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["C1"], ws["B3"] = "h1", "h3", "x"
    ws.merge_cells("A1:B1")
    ws.merge_cells("B3:C5")
    path = tmp_path / "m.xlsx"
    wb.save(path)
    sheet: RawSheet = read_workbook(path)["S"]
    assert sorted(sheet.merged) == [(0, 0, 0, 1), (2, 1, 4, 2)]
    assert sheet.rows[0][:3] == ["h1", "", "h3"]


def test_formula_with_a_cached_value_is_read(case: Case) -> None:
    """A formula Excel has calculated (<v> present) is fine: its value is used."""
    edit(case, formula_in_amount)
    part = sheet_part(case.workbook, "媒体单位")
    # openpyxl writes the empty value as <v/>, <v /> or <v></v> depending on whether lxml is present
    rewrite_part(case.workbook, part, lambda b: re.sub(rb"<f>1\+2</f>(<v\s*/>|<v></v>)",
                                                       b"<f>1+2</f><v>73.8</v>", b))
    assert b"<v>73.8</v>" in zipfile.ZipFile(case.workbook).read(part)
    assert_accepted(case)
    media = pd.read_parquet(case.data / "processed" / FUND / YEAR / "media_outlets.parquet")
    assert dict(zip(media["outlet"], media["amount_fen"], strict=True))["常州电视台"] == 73_800_000


# ---------------------------------------------------------------- tolerated input


@pytest.mark.parametrize(
    "header", ["金额（万元）", "金额 ( 万元 )", " 金 额 ", "金额\u3000（万元）", "金额(万元)", "金额（ 万元 ）"],
)
def test_small_header_variations_are_accepted(case: Case, header: str) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        ws.cell(1, col_of(ws, "金额"), header)

    edit(case, fn)
    assert_accepted(case, clean=False)


def test_header_unit_in_yuan_reads_bare_numbers_in_yuan(case: Case) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        ws.cell(1, col_of(ws, "金额"), "金额（元）")
        ws[find_cell(ws, "金额（元）", "常州日报")] = 719000

    edit(case, fn)
    assert_accepted(case)
    media = pd.read_parquet(case.data / "processed" / FUND / YEAR / "media_outlets.parquet")
    assert dict(zip(media["outlet"], media["amount_fen"], strict=True))["常州日报"] == 71_900_000


def test_sheet_name_with_spaces_is_accepted(case: Case) -> None:
    def fn(wb: Workbook) -> None:
        wb["宣传项目"].title = " 宣传项目 "

    edit(case, fn)
    assert_accepted(case, clean=False)


def test_blank_rows_in_the_middle_are_ignored_and_said(case: Case) -> None:
    before = {p.name: pd.read_parquet(p) for p in (case.data / "processed" / FUND / YEAR).glob("*.parquet")}

    def fn(wb: Workbook) -> None:
        wb["媒体单位"].insert_rows(4, amount=2)
        wb["宣传项目"].insert_rows(3)

    edit(case, fn)
    checked = cli("check", "--year", YEAR, "--data-dir", str(case.data))
    assert checked.exit_code == EXIT_OK, checked.output
    assert f"note: {WB}, sheet '媒体单位': blank rows 4, 5 ignored" in checked.stderr
    assert f"note: {WB}, sheet '宣传项目': blank row 3 ignored" in checked.stderr
    cleaned = assert_accepted(case)
    assert "blank rows 4, 5 ignored" in cleaned.stderr
    after = {p.name: pd.read_parquet(p) for p in (case.data / "processed" / FUND / YEAR).glob("*.parquet")}
    assert set(after) == set(before)
    for name, df in after.items():
        drop = ["input_ref"]  # Excel rows moved; the data did not
        pd.testing.assert_frame_equal(df.drop(columns=drop), before[name].drop(columns=drop))


def test_totals_that_do_not_reconcile_are_not_input_errors(case: Case) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["报告总计"]
        ws[find_row_cell(ws, "表述值", 核对项="使用资金")] = "999万元"

    edit(case, fn)
    assert_accepted(case)
    summary = cli("summary", "--year", YEAR, "--data-dir", str(case.data))
    assert summary.exit_code == EXIT_OK
    rec = {r["check"]: r for r in json.loads(summary.stdout)["reconciliation"]}
    assert rec["使用资金"]["ok"] is False and rec["使用资金"]["stated"] == 9_990_000


# ----------------------------------------------------------------- several at once


def test_every_problem_of_a_workbook_is_listed_in_one_run(tmp_path: Path) -> None:
    """Lazy validation: eight different problems in five sheets, one run, all listed."""
    data = tmp_path / "data"
    shutil.copytree(REPO_DATA_DIR / "raw" / FUND / YEAR, data / "raw" / FUND / YEAR)
    case = Case(data, tmp_path / "outputs")

    def many(wb: Workbook) -> None:
        for fn in (JUNK_AMOUNT, NEGATIVE_COUNT, UNKNOWN_UNIT, formula_in_text, duplicated_total,
                   misspelt_header, set_share(SHARE_ABOVE_ONE)):
            fn(wb)
        wb["分项构成"].merge_cells("A1:B1")

    edit(case, many)
    expected = [
        Expect("is not a number", "媒体单位", 3, "金额", "七十万左右"),
        Expect("is negative", "媒体单位", 3, "项目数", "-3"),
        Expect("unknown unit '万美元'", "专项资金", 2, "预算金额"),
        Expect("holds a formula", "宣传项目", 4, "来源"),
        Expect("duplicated row", "报告总计", 12),
        Expect("did you mean '奖励金额'", "奖励类别", 1, "C"),
        Expect("not between 0 and 1", "对比基数", 2, "表述占全省比例"),
        Expect("header cells A1:B1 are merged", "分项构成", 1),
    ]
    assert_rejected(case, *expected)
    assert case.written() == (None, None)  # nothing existed, nothing was created


# ------------------------------------------------------------------ file level


def _old_xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)


def _zip_without_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


def _corrupt_middle(good: bytes) -> bytes:
    """Flip bytes inside the largest part's compressed data (the zip directory stays intact)."""
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        info = max(zf.infolist(), key=lambda i: i.compress_size)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    bad = bytearray(good)
    for i in range(start, start + 20):
        bad[i] ^= 0xFF
    return bytes(bad)


GOOD_BYTES = (REPO_DATA_DIR / "raw" / FUND / YEAR / WB).read_bytes()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        ("资金名称,预算金额\n合成,5万元\n".encode(), "not an Excel workbook"),
        (b"%PDF-1.4\n" + bytes(2000), "not an Excel workbook"),
        (b"<html><body>fund</body></html>", "not an Excel workbook"),
        (_old_xls(), "an old Excel 97-2003 (.xls) or password-protected workbook"),
        (_zip_without_workbook(), "no xl/workbook.xml"),
        (GOOD_BYTES[: len(GOOD_BYTES) // 2], "the workbook is truncated"),
        (GOOD_BYTES[:200], "the workbook is truncated"),
        (GOOD_BYTES[:-10], "the workbook is truncated"),
        (_corrupt_middle(GOOD_BYTES), "damaged"),
    ],
    ids=["empty", "csv-text", "pdf", "html", "old-xls", "zip-not-workbook", "truncated-half",
         "truncated-head", "truncated-tail", "corrupt-middle"],
)
def test_file_that_is_not_a_workbook(case: Case, content: bytes, reason: str) -> None:
    case.workbook.write_bytes(content)
    assert_rejected(case, Expect(reason, row=None), exact=True)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("no-folder", f"no input workbook or CSV for {FUND} 2019: the folder does not exist"),
        ("empty-folder", "the folder has no .xlsx workbook"),
        ("only-xls", "these spreadsheets are not read; save them as .xlsx"),
        ("only-report-text", "the folder has no .xlsx workbook"),
    ],
)
def test_year_without_data(case: Case, setup: str, reason: str) -> None:
    folder = case.data / "raw" / FUND / YEAR
    if setup == "no-folder":
        shutil.rmtree(folder)
    else:
        for p in folder.iterdir():
            if setup != "only-report-text" or p.suffix != ".txt":
                p.unlink()
        if setup == "only-xls":
            (folder / "fund-2019.xls").write_bytes(_old_xls())
    assert_rejected(case, Expect(reason, file=str(folder)))


def test_report_checks_every_year_before_writing_anything(case: Case) -> None:
    """A good 2019 and a broken 2020: report builds neither and writes nothing."""
    shutil.copytree(case.data / "raw" / FUND / YEAR, case.data / "raw" / FUND / "2020")
    bad = case.data / "raw" / FUND / "2020" / WB
    bad.rename(bad.with_name("fund-2020.xlsx"))
    edit_workbook(bad.with_name("fund-2020.xlsx"), JUNK_AMOUNT)
    before = case.written()
    result = cli("report", "--data-dir", str(case.data), "--out-dir", str(case.out))
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "fund-2020.xlsx, sheet '媒体单位', row 3, column '金额'" in result.stderr
    assert "year does not match the folder year 2020" in result.stderr
    assert case.written() == before


# ------------------------------------------------------------------- zip bombs


def build_bomb(good: Path, dest: Path, filler_bytes: int) -> str:
    """A valid-looking xlsx whose 媒体单位 sheet XML has ``filler_bytes`` of spaces.

    Streamed through ZipFile.open(..., "w") in 1 MiB chunks; never held in memory.
    Returns the name of the inflated part.
    """
    part = sheet_part(good, "媒体单位")
    chunk = b" " * MIB
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED,
                                                       compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename != part:
                zout.writestr(info.filename, data)
                continue
            head, sep, tail = data.partition(b"<sheetData>")
            with zout.open(part, "w") as fh:
                fh.write(head + sep)
                for _ in range(filler_bytes // MIB):
                    fh.write(chunk)
                fh.write(tail)
    return part


def patch_declared_size(path: Path, part: str, size: int) -> None:
    """Make a part lie about its uncompressed size (local header and central directory)."""
    buf = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    struct.pack_into("<I", buf, info.header_offset + 22, size)
    eocd = buf.rfind(b"PK\x05\x06")
    p = struct.unpack_from("<I", buf, eocd + 16)[0]
    while buf[p:p + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", buf, p + 28)
        if bytes(buf[p + 46:p + 46 + n]).decode() == part:
            struct.pack_into("<I", buf, p + 24, size)
        p += 46 + n + m + k
    path.write_bytes(buf)


@pytest.fixture(scope="session")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real-size bombs: 600 MiB of sheet XML declared honestly, and the same lying about it."""
    root = tmp_path_factory.mktemp("bombs")
    honest = root / "honest.xlsx"
    part = build_bomb(REPO_DATA_DIR / "raw" / FUND / YEAR / WB, honest, 600 * MIB)
    liar = root / "liar.xlsx"
    shutil.copy(honest, liar)
    with zipfile.ZipFile(REPO_DATA_DIR / "raw" / FUND / YEAR / WB) as zf:
        patch_declared_size(liar, part, zf.getinfo(part).file_size)
    return {"honest": honest, "liar": liar}


MEASURE = r"""
import json, os, resource, sys, time, types
fake = types.ModuleType("python_calamine")
class CalamineWorkbook:
    @staticmethod
    def from_path(*a, **k):
        os._exit(99)  # the workbook reached the parser
fake.CalamineWorkbook = CalamineWorkbook
sys.modules["python_calamine"] = fake
from fundanalysis.storage import xlsx as fio
fio._sheet_extras = lambda *a, **k: os._exit(98)
from fundanalysis.cli import main
start = time.perf_counter()
code = None
try:
    main(["check", "--year", "2019", "--data-dir", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
seconds = time.perf_counter() - start
# VmHWM is this process image's peak RSS. ru_maxrss is printed too, but on Linux it keeps the
# forking parent's (pytest's) peak across exec, so it cannot show the child's own footprint.
hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(json.dumps({"code": code, "seconds": seconds, "peak_mb": hwm / 1024,
                  "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_check(data_dir: Path) -> tuple[dict[str, Any], str]:
    """Run ``check`` in a fresh interpreter; its exit code, time and peak RSS, and its stderr.

    The interpreter's own imports (pandas, pyarrow, click) account for about 130-150 MB.
    """
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(data_dir)], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    return json.loads(proc.stdout.splitlines()[-1]), proc.stderr


@pytest.mark.parametrize(
    ("bomb", "reason"),
    [("honest", "is absurd for a workbook"), ("liar", "decompresses to more than")],
)
def test_zip_bomb_is_refused_before_parsing_with_little_memory(
        case: Case, bombs: dict[str, Path], bomb: str, reason: str) -> None:
    shutil.copy(bombs[bomb], case.workbook)
    measured, stderr = measure_check(case.data)
    assert measured["code"] == EXIT_BAD_INPUT, stderr
    assert reason in stderr and WB in stderr  # refused before the parser (it would exit 99)
    assert_rejected(case, Expect(reason))


@pytest.mark.parametrize(
    ("limit", "value", "reason"),
    [
        ("MAX_UNCOMPRESSED_BYTES", 10_000, "is absurd for a workbook"),
        ("MAX_COMPRESSION_RATIO", 1, "is absurd for a workbook"),
        ("MAX_WORKBOOK_BYTES", 1_000, "the file is larger than 1000 bytes"),
    ],
)
def test_limits_are_read_from_config(case: Case, monkeypatch: pytest.MonkeyPatch, limit: str,
                                     value: int, reason: str) -> None:
    monkeypatch.setattr(config, limit, value)
    assert_rejected(case, Expect(reason), exact=True)


def test_small_bomb_with_lowered_limit(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same construction at 8 MiB: valid XML, read under the default size limit, refused
    once the limit is lowered below it (the fast variant of the real-size test)."""
    build_bomb(REPO_DATA_DIR / "raw" / FUND / YEAR / WB, case.workbook, 8 * MIB)
    monkeypatch.setattr(config, "MAX_COMPRESSION_RATIO", 10**9)
    assert cli("check", "--year", YEAR, "--data-dir", str(case.data)).exit_code == EXIT_OK
    monkeypatch.setattr(config, "MAX_UNCOMPRESSED_BYTES", 4 * MIB)
    assert_rejected(case, Expect("is absurd for a workbook"), exact=True)


# ------------------------------------------------------- XML entity expansion


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + ("" if i == 1 else str(i - 1)) + ";") * 10}">'
                    for i in range(1, 10))
          + "]>")


def _prolog(kind: str) -> Callable[[bytes], bytes]:
    if kind == "top":
        return lambda b: insert_prolog(b, LAUGHS)
    if kind == "after-long-comment":
        return lambda b: insert_prolog(b, "<!--" + "x" * 200_000 + "-->" + LAUGHS)
    if kind == "after-whitespace-and-pi":
        return lambda b: insert_prolog(b, " \n" * 100_000 + '<?mso-application progid="x"?>' + LAUGHS)
    if kind == "lowercase":
        return lambda b: insert_prolog(b, LAUGHS.replace("DOCTYPE", "doctype"))
    if kind == "utf-16":
        def utf16(b: bytes) -> bytes:
            text = b.decode("utf-8")
            if text.startswith("<?xml"):
                text = text[text.index("?>") + 2:]
            return ('<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS + text).encode("utf-16")

        return utf16
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["top", "after-long-comment", "after-whitespace-and-pi",
                                  "lowercase", "utf-16"])
@pytest.mark.parametrize("part", ["sheet", "[Content_Types].xml", "xl/workbook.xml"])
def test_xml_entity_declarations_are_refused(case: Case, kind: str, part: str) -> None:
    name = sheet_part(case.workbook, "媒体单位") if part == "sheet" else part
    rewrite_part(case.workbook, name, _prolog(kind))
    sheet = "媒体单位" if part == "sheet" else None
    assert_rejected(case, Expect("declares a DTD", sheet, None, None, name), exact=True)


def test_long_comment_without_doctype_is_fine(case: Case) -> None:
    """The prolog scan does not refuse a legitimate long comment before the root element."""
    rewrite_part(case.workbook, sheet_part(case.workbook, "媒体单位"),
                 lambda b: insert_prolog(b, "<!--" + "<!DOCTYPE x>" * 1000 + "-->"))
    assert_accepted(case)


# ------------------------------------------------------------- random mutations

SHEET_LAYOUT: dict[str, tuple[int, int, list[Any]]] = {}
_wb = openpyxl.load_workbook(REPO_DATA_DIR / "raw" / FUND / YEAR / WB, read_only=True)
for _ws in _wb.worksheets:
    _rows = list(_ws.iter_rows(values_only=True))
    SHEET_LAYOUT[_ws.title] = (len(_rows), max(len(r) for r in _rows), list(_rows[0]))
_wb.close()
SHEET_NAMES = sorted(SHEET_LAYOUT)
TYPED = ("money", "count", "year", "rank", "fraction")
JUNK = ["abc", "七十万左右", "1..2", "N/A", "½", "Infinity", "1e5万元", "5美元", "--", "１２x"]


def kind_of(sheet: str, col: int) -> str | None:
    """The column kind under a 1-based column of the 2019 sheet, None if no known header."""
    header = SHEET_LAYOUT[sheet][2][col - 1] if col <= SHEET_LAYOUT[sheet][1] else None
    spec = SHEETS_BY_NAME[sheet]
    return next((c.kind for c in spec.columns if c.header == header), None)


def typed_columns(sheet: str) -> list[int]:
    return [c for c in range(1, SHEET_LAYOUT[sheet][1] + 1) if kind_of(sheet, c) in TYPED]


@dataclass(frozen=True)
class Mutation:
    kind: str
    sheet: str
    row: int
    col: int
    text: str = ""

    def apply(self, wb: Workbook) -> None:
        ws = wb[self.sheet]
        if self.kind in ("junk", "text"):
            ws.cell(self.row, self.col, self.text)
        elif self.kind == "negative":
            ws.cell(self.row, self.col, -abs(int(self.text or 5)) or -1)
        elif self.kind == "formula":
            ws.cell(self.row, self.col, "=1+2")
        elif self.kind == "delete-header":
            ws.cell(1, self.col).value = None
        elif self.kind == "duplicate-row":
            ws.append([c.value for c in ws[self.row]])
        elif self.kind == "merge-header":
            ws.merge_cells(start_row=1, start_column=self.col, end_row=1 + (self.row % 2),
                           end_column=self.col + 1 - (self.row % 2))
        elif self.kind == "blank-row":
            ws.insert_rows(self.row)

    def must_fail(self) -> bool:
        """True when the mutation is certainly an input error."""
        if self.kind in ("junk", "negative", "formula", "duplicate-row", "merge-header"):
            return True
        if self.kind == "delete-header":
            spec = SHEETS_BY_NAME[self.sheet]
            header = SHEET_LAYOUT[self.sheet][2][self.col - 1]
            required = any(c.header == header and c.required for c in spec.columns)
            return required or self._column_has_data()
        return False

    def _column_has_data(self) -> bool:
        ws = openpyxl.load_workbook(REPO_DATA_DIR / "raw" / FUND / YEAR / WB, read_only=True)[self.sheet]
        return any(r[self.col - 1] not in (None, "") for r in ws.iter_rows(min_row=2, values_only=True)
                   if len(r) >= self.col)

    def where(self) -> tuple[int | None, str | None]:
        """The row and column a message must name, where the mutation has one place."""
        header = SHEET_LAYOUT[self.sheet][2]
        if self.kind in ("junk", "negative"):
            return self.row, header[self.col - 1]
        if self.kind == "formula":
            name = header[self.col - 1] if self.col <= len(header) and self.row > 1 else None
            return self.row, name or openpyxl.utils.get_column_letter(self.col)
        if self.kind == "duplicate-row":
            keyed = bool(SHEETS_BY_NAME[self.sheet].key)
            return (SHEET_LAYOUT[self.sheet][0] + 1 if keyed else None), None
        if self.kind == "merge-header":
            return 1, None
        return None, None


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    kind = draw(st.sampled_from(["junk", "negative", "text", "formula", "delete-header",
                                 "duplicate-row", "merge-header", "blank-row"]))
    sheets = [s for s in SHEET_NAMES if typed_columns(s)] if kind in ("junk", "negative") else SHEET_NAMES
    sheet = draw(st.sampled_from(sheets))
    n_rows, n_cols, _ = SHEET_LAYOUT[sheet]
    row = draw(st.integers(2, max(2, n_rows)))
    if kind in ("junk", "negative"):
        col = draw(st.sampled_from(typed_columns(sheet)))
    elif kind == "formula":
        row = draw(st.integers(1, n_rows + 1))
        col = draw(st.integers(1, n_cols + 1))
    else:
        col = draw(st.integers(1, n_cols))
    text = {"junk": draw(st.sampled_from(JUNK)),
            "negative": str(draw(st.integers(1, 10**6))),
            "text": draw(st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1,
                                 max_size=12))}.get(kind, "")
    if kind == "blank-row":
        row = draw(st.integers(3, max(3, n_rows)))
    return Mutation(kind, sheet, row, col, text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(mutation=mutations())
def test_random_mutation_is_a_clear_error_or_harmless(good_state: Path, mutation: Mutation) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "case"
        shutil.copytree(good_state, root, symlinks=True)
        case = Case(root / "data", root / "outputs")
        edit(case, mutation.apply)
        before = case.written()
        result = cli("clean", "--year", YEAR, "--data-dir", str(case.data))
        assert result.exit_code in (EXIT_OK, EXIT_BAD_INPUT), result.output
        if result.exit_code == EXIT_OK:
            assert not mutation.must_fail(), (mutation, result.output)
            if mutation.kind == "blank-row" and mutation.row <= SHEET_LAYOUT[mutation.sheet][0]:
                assert "blank row" in result.stderr, result.stderr
            return
        assert case.written() == before, mutation
        lines = result.stderr.splitlines()
        assert "nothing was written" in lines[0]
        problems = [ln for ln in lines[1:] if ln.startswith("  - ")]
        assert problems and len(problems) == len(lines) - 1, result.stderr
        assert all(ln.startswith(f"  - {WB}") for ln in problems), result.stderr
        if mutation.kind == "text":
            return  # a changed name may break a reference in another sheet: any sheet may be named
        row, column = mutation.where()
        here = [ln for ln in problems if f"sheet {mutation.sheet!r}" in ln]
        assert here, (mutation, result.stderr)
        if row is not None:
            here = [ln for ln in here if names_row(ln, row)]
            assert here, (mutation, result.stderr)
        if column is not None:
            assert any(f"column {column!r}" in ln for ln in here), (mutation, result.stderr)


@pytest.mark.parametrize("chunk", [1, 7, MIB])
@pytest.mark.parametrize(
    ("xml", "result"),
    [
        (b'<?xml version="1.0"?><worksheet/>', "root"),
        (('<?xml version="1.0"?><!--' + "x" * 5000 + "-->" + LAUGHS + "<r/>").encode(), "dtd"),
        (b"<!-- <!DOCTYPE x> --><root/>", "root"),
        (('<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS).encode("utf-16"), "dtd"),
        (('<?xml version="1.0"?>' + LAUGHS).encode("utf-16-le"), "dtd"),
        (('<?xml version="1.0"?>' + LAUGHS).encode("utf-16-be"), "dtd"),
        (b"\xef\xbb\xbf" + LAUGHS.encode(), "dtd"),
        (b"<?a b?>\n\n<?c ?>" + LAUGHS.lower().encode(), "dtd"),
        (('<?xml version="1.0"?>' + LAUGHS).encode("utf-32-le"), "junk"),
        (b"<![CDATA[x]]><r/>", "junk"),
        (b'<x:worksheet xmlns:x="u"/>', "root"),
    ],
    ids=["plain", "comment-then-dtd", "dtd-inside-comment", "utf-16", "utf-16-le", "utf-16-be",
         "utf-8-bom", "pis-then-lowercase", "utf-32", "cdata", "prefixed-root"],
)
def test_prolog_scan_in_any_chunking(xml: bytes, result: str, chunk: int) -> None:
    from fundanalysis.storage.xlsx import _PrologScan

    scan = _PrologScan()
    for i in range(0, len(xml), chunk):
        scan.feed(xml[i:i + chunk])
    assert scan.result == result
