"""The ``check``, ``clean`` and ``summary`` commands on good and broken copies of the 2019 input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from conftest import FUND, edit_workbook, find_cell, workbook_path
from openpyxl import Workbook, load_workbook

from fundanalysis.cli import main
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK
from fundanalysis.ingest.specs import SHEETS

WB = "fund-2019.xlsx"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def check(data_dir: Path, *extra: str) -> Result:
    return run("check", "--year", "2019", "--data-dir", str(data_dir), *extra)


def snapshot(data_dir: Path) -> dict[str, int]:
    """Every file under a data folder with its size and mtime."""
    return {str(p.relative_to(data_dir)): p.stat().st_mtime_ns
            for p in sorted(data_dir.rglob("*")) if p.is_file()}


def problems_json(data_dir: Path) -> list[dict[str, Any]]:
    result = check(data_dir, "--json")
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    return json.loads(result.stdout)


# ------------------------------------------------------------------------ edits


def junk_amount(wb: Workbook) -> None:
    ws = wb["奖励类别"]
    ws[find_cell(ws, "奖励金额", "工业互联网平台")] = "7x万元"


def missing_column(wb: Workbook) -> None:
    ws = wb["媒体单位"]
    ws.delete_cols([c.value for c in ws[1]].index("金额") + 1)


def missing_sheet(wb: Workbook) -> None:
    del wb["专项资金"]


def renamed_header(wb: Workbook) -> None:
    ws = wb["奖励类别"]
    ws.cell(row=1, column=[c.value for c in ws[1]].index("奖励金额") + 1, value="奖励资金")


def broken(data_dir: Path, *edits: Callable[[Any], None]) -> Path:
    def edit(wb: Workbook) -> None:
        for e in edits:
            e(wb)

    edit_workbook(workbook_path(data_dir), edit)
    return data_dir


# -------------------------------------------------------------------- check: good


def test_check_good_copy_passes_and_writes_nothing(data_2019: Path) -> None:
    before = snapshot(data_2019)
    result = check(data_2019)
    assert result.exit_code == EXIT_OK, result.output
    assert "2019: input OK" in result.stdout
    assert snapshot(data_2019) == before
    assert not (data_2019 / "processed").exists()


def test_check_json_good_copy_is_empty_list(data_2019: Path) -> None:
    result = check(data_2019, "--json")
    assert result.exit_code == EXIT_OK
    assert json.loads(result.stdout) == []


# ------------------------------------------------------------------ check: broken


@pytest.mark.parametrize(
    ("edit", "sheet", "row", "column", "value", "reason"),
    [
        (junk_amount, "奖励类别", 3, "奖励金额", "7x万元", "is not a number"),
        (missing_column, "媒体单位", 1, None, None, "missing column '金额'"),
        (missing_sheet, "专项资金", None, None, None, "missing sheet '专项资金'"),
        (renamed_header, "奖励类别", 1, "C", "奖励资金", "did you mean '奖励金额'"),
    ],
    ids=["junk-amount", "missing-column", "missing-sheet", "renamed-header"],
)
def test_check_broken_copy_names_the_problem(
        data_2019: Path, edit: Callable[[Any], None], sheet: str, row: int | None,
        column: str | None, value: str | None, reason: str) -> None:
    broken(data_2019, edit)
    before = snapshot(data_2019)
    result = check(data_2019)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    text = result.stderr
    assert "nothing was written" in text
    line = next((ln for ln in text.splitlines() if reason in ln), None)
    assert line is not None, text
    assert WB in line and f"sheet {sheet!r}" in line
    if row is not None:
        assert f"row {row}" in line
    if column is not None:
        assert f"column {column!r}" in line
    if value is not None:
        assert f"value {value!r}" in line
    assert snapshot(data_2019) == before
    assert not (data_2019 / "processed").exists()


def test_check_json_locates_the_problem(data_2019: Path) -> None:
    broken(data_2019, junk_amount)
    probs = problems_json(data_2019)
    assert probs == [{"file": WB, "sheet": "奖励类别", "row": 3, "column": "奖励金额",
                      "value": "7x万元",
                      "reason": "amount '7x万元' is not a number with a unit such as 万元",
                      "row_kind": "row"}]


def test_missing_column_is_reported_once_not_per_row(data_2019: Path) -> None:
    broken(data_2019, missing_column)
    probs = problems_json(data_2019)
    assert len(probs) == 1
    assert probs[0]["reason"] == "missing column '金额'"


@pytest.mark.parametrize(
    "header",
    ["奖励金额（万元）", "奖励金额 (万元)", " 奖励金额 ", "奖 励 金 额", "奖励金额\u3000（万元）"],
)
def test_close_spelling_of_a_header_is_accepted(data_2019: Path, header: str) -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["奖励类别"]
        ws.cell(row=1, column=[c.value for c in ws[1]].index("奖励金额") + 1, value=header)
        ws = wb["媒体单位"]
        ws.cell(row=1, column=[c.value for c in ws[1]].index("项目数") + 1, value="项目数（项）")

    broken(data_2019, edit)
    result = check(data_2019)
    assert result.exit_code == EXIT_OK, result.output


def test_several_problems_are_all_reported_in_one_run(data_2019: Path) -> None:
    def more(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        ws[find_cell(ws, "项目数", "常州电视台")] = "三项多"
        ws = wb["专项资金"]
        ws[find_cell(ws, "预算金额", "工业互联网专项资金")] = "5美元"

    broken(data_2019, junk_amount, renamed_header, more, missing_column)
    probs = problems_json(data_2019)
    got = {(p["sheet"], p["row"], p["column"], p["value"]) for p in probs}
    assert ("专项资金", 2, "预算金额", "5美元") in got
    assert ("奖励类别", 1, "C", "奖励资金") in got
    assert ("媒体单位", 3, "项目数", "三项多") in got
    assert any(p["sheet"] == "媒体单位" and p["reason"] == "missing column '金额'" for p in probs)
    assert any("unknown unit '美元'" in p["reason"] for p in probs)
    # the junk amount sits under the renamed header, so that column is unknown, not parsed
    assert all(p["file"] == WB for p in probs)


def test_missing_sheet_and_junk_elsewhere_both_reported(data_2019: Path) -> None:
    broken(data_2019, missing_sheet, junk_amount)
    probs = problems_json(data_2019)
    assert {(p["sheet"], p["reason"].split(" ")[0]) for p in probs} >= {
        ("专项资金", "missing"), ("奖励类别", "amount")}


def _write_raw(data_dir: Path, content: bytes) -> None:
    workbook_path(data_dir).write_bytes(content)


def _zip_without_workbook() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        ("资金名称,预算金额\n合成,5万元\n".encode(), "not an Excel workbook"),
        (_zip_without_workbook(), "no xl/workbook.xml"),
    ],
    ids=["empty", "text", "zip-not-workbook"],
)
def test_check_unreadable_file(data_2019: Path, content: bytes, reason: str) -> None:
    _write_raw(data_2019, content)
    result = check(data_2019)
    assert result.exit_code == EXIT_BAD_INPUT
    line = next(ln for ln in result.stderr.splitlines() if reason in ln)
    assert WB in line
    assert not (data_2019 / "processed").exists()


def test_check_truncated_workbook(data_2019: Path) -> None:
    path = workbook_path(data_2019)
    path.write_bytes(path.read_bytes()[:4000])
    result = check(data_2019)
    assert result.exit_code == EXIT_BAD_INPUT
    assert WB in result.stderr


def test_check_missing_year_and_missing_data_dir(tmp_path: Path, data_2019: Path) -> None:
    result = run("check", "--year", "2020", "--data-dir", str(data_2019))
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"no input workbook or CSV for {FUND} 2020" in result.stderr
    result = run("check", "--year", "2019", "--data-dir", str(tmp_path / "nope"))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "data folder does not exist" in result.stderr


def test_check_refuses_an_absurd_year(data_2019: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--year", "19", "--data-dir", str(data_2019)])
    assert result.exit_code == 2  # click's usage error
    assert "--year" in result.output


def test_check_end_to_end_exit_codes(data_2019: Path) -> None:
    """The installed console script, run as a user would."""
    exe = Path(sys.executable).with_name("fundanalysis")
    assert exe.exists(), exe
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    ok = subprocess.run([str(exe), "check", "--year", "2019", "--data-dir", str(data_2019)],
                        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert ok.returncode == EXIT_OK, ok.stderr
    broken(data_2019, junk_amount)
    bad = subprocess.run([str(exe), "check", "--year", "2019", "--data-dir", str(data_2019)],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert bad.returncode == EXIT_BAD_INPUT
    assert "sheet '奖励类别', row 3, column '奖励金额', value '7x万元'" in bad.stderr
    assert not (data_2019 / "processed").exists()


# -------------------------------------------------------------------------- clean


def test_clean_broken_copy_writes_nothing(data_2019: Path) -> None:
    broken(data_2019, junk_amount)
    before = snapshot(data_2019)
    result = run("clean", "--year", "2019", "--data-dir", str(data_2019))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "7x万元" in result.stderr
    assert snapshot(data_2019) == before
    processed = data_2019 / "processed"
    assert not processed.exists() or not any(processed.rglob("*.csv"))


def test_clean_good_copy_writes_every_table(data_2019: Path) -> None:
    result = run("clean", "--year", "2019", "--data-dir", str(data_2019))
    assert result.exit_code == EXIT_OK, result.output
    out = data_2019 / "processed" / FUND / "2019"
    assert out.is_dir()
    present = set(load_workbook(workbook_path(data_2019), read_only=True).sheetnames)
    expected = {s.table for s in SHEETS if s.name in present}  # one table per sheet the workbook has
    assert {"fund", "award_categories", "media_outlets", "stated_totals"} <= expected
    assert {p.stem for p in out.glob("*.csv")} == expected
    assert {p.stem for p in out.glob("*.parquet")} == expected
    for table in expected:
        csv = pd.read_csv(out / f"{table}.csv", encoding="utf-8-sig")
        parquet = pd.read_parquet(out / f"{table}.parquet")
        assert list(csv.columns) == list(parquet.columns)
        assert len(csv) == len(parquet)
        for col in csv.columns:
            assert not col.endswith("_yuan"), col  # processed money is in 分
            if col.endswith("_fen") and csv[col].notna().any():
                assert pd.api.types.is_integer_dtype(csv[col].dropna().astype("Int64"))
                assert (csv[col].dropna() % 1 == 0).all()
                assert str(parquet[col].dtype) in {"Int64", "int64"}
    media = pd.read_csv(out / "media_outlets.csv", encoding="utf-8-sig")
    assert media["amount_fen"].dtype.kind == "i"
    assert int(media["amount_fen"].sum()) == 201_700_000
    assert dict(zip(media["outlet"], media["amount_fen"], strict=True))["常州日报"] == 71_900_000
    cats = pd.read_csv(out / "award_categories.csv", encoding="utf-8-sig")
    assert cats["amount_fen"].dtype.kind == "i"
    assert int(cats["amount_fen"].sum()) == 667_000_000
    fund = pd.read_csv(out / "fund.csv", encoding="utf-8-sig")
    assert fund["budget_fen"].tolist() == [1_000_000_000]  # 1000 万元 in 分


def test_clean_leaves_raw_untouched(data_2019: Path) -> None:
    raw = data_2019 / "raw"
    before = {p.name: p.read_bytes() for p in raw.rglob("*") if p.is_file()}
    assert run("clean", "--year", "2019", "--data-dir", str(data_2019)).exit_code == EXIT_OK
    assert {p.name: p.read_bytes() for p in raw.rglob("*") if p.is_file()} == before


# ------------------------------------------------------------------------ summary


@pytest.fixture
def summary_2019(data_2019: Path) -> dict[str, Any]:
    result = run("summary", "--year", "2019", "--data-dir", str(data_2019))
    assert result.exit_code == EXIT_OK, result.output
    return json.loads(result.stdout)


def test_summary_has_the_stable_keys(summary_2019: dict[str, Any]) -> None:
    s = summary_2019
    for key in ("year", "budget_yuan", "spent_yuan", "unspent_yuan", "utilisation", "projects",
                "award_categories", "media_outlets", "rankings", "reconciliation"):
        assert key in s, key
    assert {"category", "recipients", "amount_yuan"} <= set(s["award_categories"][0])
    assert {"outlet", "items", "amount_yuan"} <= set(s["media_outlets"][0])
    assert {"indicator", "value", "unit", "rank", "rank_text", "scope"} <= set(s["rankings"][0])
    assert {"check", "stated", "computed", "ok"} <= set(s["reconciliation"][0])


def test_summary_2019_values_match_the_report(summary_2019: dict[str, Any]) -> None:
    s = summary_2019
    assert s["year"] == 2019
    assert s["budget_yuan"] == 10_000_000
    assert s["spent_yuan"] == 8_687_000
    assert s["unspent_yuan"] == 1_313_000
    assert s["utilisation"] == pytest.approx(0.8687, abs=1e-12)
    assert s["projects"] == 91
    cats = {c["category"]: c for c in s["award_categories"]}
    assert set(cats) == {"两化融合管理体系贯标", "工业互联网平台", "工业互联网标杆工厂",
                         "工业互联网星级上云", "工业互联网服务资源池"}
    assert (cats["两化融合管理体系贯标"]["recipients"],
            cats["两化融合管理体系贯标"]["amount_yuan"]) == (53, 4_320_000)
    assert (cats["工业互联网平台"]["recipients"], cats["工业互联网平台"]["amount_yuan"]) == (
        3, 750_000)
    assert (cats["工业互联网服务资源池"]["recipients"],
            cats["工业互联网服务资源池"]["amount_yuan"]) == (12, 600_000)
    assert sum(c["amount_yuan"] for c in s["award_categories"]) == 6_670_000
    media = {m["outlet"]: m for m in s["media_outlets"]}
    assert len(media) == 7
    assert (media["常州日报"]["items"], media["常州日报"]["amount_yuan"]) == (2, 719_000)
    assert (media["常州电视台"]["items"], media["常州电视台"]["amount_yuan"]) == (3, 738_000)
    assert "中汽研（天津）汽车信息咨询有限公司" in media  # numbering stripped, brackets kept
    assert sum(m["amount_yuan"] for m in s["media_outlets"]) == 2_017_000
    rk = {r["indicator"]: r for r in s["rankings"]}
    star = rk["江苏省工业互联网发展示范企业（星级上云企业）"]
    assert (star["value"], star["rank"], star["scope"]) == (339, 3, "全省")
    assert "第三" in star["rank_text"]
    front = next(r for r in s["rankings"] if r["value"] == 307)
    assert front["rank"] is None
    assert "前列" in front["rank_text"]
    rec = {r["check"]: r for r in s["reconciliation"]}
    assert rec["使用资金"] == {**rec["使用资金"], "stated": 8_687_000, "computed": 8_687_000,
                            "ok": True}
    assert rec["项目名称数·中经社江苏中心"]["ok"] is False
    assert [r["check"] for r in s["reconciliation"] if r["ok"] is False] == [
        "项目名称数·中经社江苏中心"]


def test_summary_is_the_same_after_clean(data_2019: Path, summary_2019: dict[str, Any]) -> None:
    """summary reads processed tables once they exist; the figures must not change."""
    assert run("clean", "--year", "2019", "--data-dir", str(data_2019)).exit_code == EXIT_OK
    again = run("summary", "--year", "2019", "--data-dir", str(data_2019))
    assert again.exit_code == EXIT_OK
    assert json.loads(again.stdout) == summary_2019


def test_summary_broken_copy_exits_2(data_2019: Path) -> None:
    broken(data_2019, junk_amount)
    result = run("summary", "--year", "2019", "--data-dir", str(data_2019))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "7x万元" in result.stderr
