"""Reliability, round two: no user file lost, no figure silently misread, no abort or traceback.

Every case asserts the exit code, a located message and that nothing outside the tool's own
folders changed: the whole tree is hashed before and after, following symbolic links into the
folders they point to (a link to a folder outside the project included). Inputs are generated
in tmp_path from the 2019 workbook; data/raw is only read.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import FUND, REPO_DATA_DIR, edit_workbook, find_cell, workbook_path
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from test_defences import Expect, cli

from fundanalysis import config
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_BUILD_FAILED, EXIT_OK, EXIT_STORAGE
from fundanalysis.errors import InputError, printable
from fundanalysis.ingest import clean
from fundanalysis.storage import catalog, files, guard, inputs

YEAR = "2019"
WB = "fund-2019.xlsx"
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the tree, hashed


def tree(root: Path) -> dict[str, Any]:
    """Every entry under ``root`` with its bytes; a symbolic link is recorded with its text and
    the whole tree it points to (so a folder outside reached by a link is covered too)."""
    out: dict[str, Any] = {}

    def walk(path: Path, rel: str, depth: int) -> None:
        if path.is_symlink():
            target = os.readlink(path)
            out[rel] = ("link", target)
            if path.exists() and depth < 3:
                walk(path.resolve(), rel + "->", depth + 1)
            return
        if path.is_dir():
            out[rel] = "dir"
            for child in sorted(path.iterdir()):
                walk(child, f"{rel}/{child.name}", depth)
        elif path.is_file():
            out[rel] = path.read_bytes()

    walk(Path(root), ".", 0)
    return out


def without(state: dict[str, Any], *prefixes: str) -> dict[str, Any]:
    """The state minus entries under the tool's own folders (where it may write)."""
    return {k: v for k, v in state.items() if not any(k.startswith(p) for p in prefixes)}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh interpreter (for signals, read-only folders, tracebacks)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("FUNDANALYSIS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "fundanalysis.cli", *args], capture_output=True,
                          text=True, env=env, timeout=600, check=False, cwd=cwd)


# ------------------------------------------------------------------ a built report


@pytest.fixture(scope="session")
def built(built_report: dict[str, Path]) -> Path:
    """A project-like folder with data/ and a real build in outputs/ (see conftest.built_report)."""
    return built_report["base"]


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A writable copy of the built project (links kept as links)."""
    dest = tmp_path / "project"
    shutil.copytree(built, dest, symlinks=True)
    return dest


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A writable data folder holding raw/2019 only."""
    shutil.copytree(REPO_DATA_DIR / "raw" / FUND / YEAR, tmp_path / "data" / "raw" / FUND / YEAR)
    return tmp_path / "data"


def report(project: Path, *extra: str, all_years: bool = False) -> Any:
    """``fundanalysis report`` on a project copy: 2019 only, unless ``all_years``."""
    years = () if all_years else ("--year", YEAR)
    return cli("report", *years, "--data-dir", str(project / "data"), "--out-dir", str(project / "outputs"),
               *extra)


def _outside(tmp_path: Path) -> Path:
    """A folder outside the project holding somebody's files."""
    other = tmp_path / "elsewhere" / "keep"
    other.mkdir(parents=True)
    (other / "my-notes.docx").write_bytes(b"analyst's own work")
    (other / "sub").mkdir()
    (other / "sub" / "data.xlsx").write_bytes(b"more work")
    return other


# ================================================================== 1. data loss


def _replace_with_link(path: Path, target: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
    path.symlink_to(target, target_is_directory=True)


def _replace_with_folder(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    (path / "analysis.xlsx").write_bytes(b"an analyst's file")


def _replace_with_file(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
    path.write_text("not a folder", encoding="utf-8")


IN_THE_WAY = {
    "outputs-year-link-outside": (lambda p, o: _replace_with_link(p / "outputs" / FUND / YEAR, o), "symbolic link"),
    "outputs-year-real-folder": (lambda p, o: _replace_with_folder(p / "outputs" / FUND / YEAR), "did not create"),
    "outputs-year-is-file": (lambda p, o: _replace_with_file(p / "outputs" / FUND / YEAR), "a file"),
    "processed-year-link-outside": (lambda p, o: _replace_with_link(p / "data" / "processed" / FUND / YEAR, o),
                                    "symbolic link"),
    "processed-year-link-to-raw": (lambda p, o: _replace_with_link(
        p / "data" / "processed" / FUND / YEAR, p / "data" / "raw" / FUND / YEAR), "symbolic link"),
    "processed-year-real-folder": (lambda p, o: _replace_with_folder(p / "data" / "processed" / FUND / YEAR),
                                   "did not create"),
    "versions-is-link": (lambda p, o: _replace_with_link(p / "outputs" / FUND / ".versions", o), ".versions"),
}


@pytest.mark.parametrize("case", sorted(IN_THE_WAY))
def test_build_never_replaces_what_it_did_not_create(project: Path, tmp_path: Path, case: str) -> None:
    """A link elsewhere, a real folder or a file where the build publishes: refused, nothing changed."""
    setup, words = IN_THE_WAY[case]
    outside = _outside(tmp_path)
    setup(project, outside)
    before = tree(project), tree(outside.parent)
    done = report(project, "--force")
    assert done.exit_code == EXIT_STORAGE, done.output
    assert "Cannot write" in done.stderr and words in done.stderr and "refusing" in done.stderr
    assert "Traceback" not in done.output
    after_project = tree(project)
    # the build may write its log and its status (status.json, under its lock); nothing else
    # changes, and nothing outside at all
    own = ("./outputs/logs", "./outputs/status.json", "./outputs/.locks/status.lock")
    assert without(after_project, *own) == without(before[0], *own)
    assert tree(outside.parent) == before[1]


@pytest.mark.parametrize("case", ["processed-year-link-outside", "processed-year-link-to-raw",
                                  "processed-year-real-folder"])
def test_clean_never_replaces_what_it_did_not_create(project: Path, tmp_path: Path, case: str) -> None:
    setup, words = IN_THE_WAY[case]
    outside = _outside(tmp_path)
    setup(project, outside)
    before = tree(project), tree(outside.parent)
    done = cli("clean", "--year", YEAR, "--data-dir", str(project / "data"))
    assert done.exit_code == EXIT_STORAGE, done.output
    assert words in done.stderr
    assert (tree(project), tree(outside.parent)) == before


def test_rebuild_replaces_only_its_own_versions(project: Path) -> None:
    """A rebuild swaps its own link and deletes its own old version; other things in .versions stay."""
    versions = project / "outputs" / FUND / ".versions"
    mine = versions / "my-folder"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine", encoding="utf-8")
    old = (project / "outputs" / FUND / YEAR).resolve()
    done = report(project, "--force")
    assert done.exit_code == EXIT_OK, done.output
    new = (project / "outputs" / FUND / YEAR).resolve()
    assert new != old and not old.exists()
    assert (mine / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert (new / files.MARKER).is_file()


def test_chart_export_goes_to_its_own_place_and_survives_a_build(project: Path) -> None:
    """``charts`` never touches the published report; a later build never drops the exports."""
    report_before = tree(project / "outputs" / FUND / YEAR)
    done = cli("charts", "--year", YEAR, "--data-dir", str(project / "data"), "--out-dir",
               str(project / "outputs"), "--format", "png", "--format", "svg", "--dpi", "72")
    assert done.exit_code == EXIT_OK, done.output
    exports = project / "outputs" / FUND / "exports" / YEAR / "charts"
    svgs = sorted(p.name for p in exports.glob("*.svg"))
    assert svgs and len(svgs) == len(list(exports.glob("*.png")))
    assert tree(project / "outputs" / FUND / YEAR) == report_before
    assert report(project, "--force").exit_code == EXIT_OK
    assert sorted(p.name for p in exports.glob("*.svg")) == svgs


def test_chart_export_refuses_a_folder_it_did_not_create(project: Path) -> None:
    exports = project / "outputs" / FUND / "exports" / YEAR / "charts"
    _replace_with_folder(exports)
    before = tree(project)
    done = cli("charts", "--year", YEAR, "--data-dir", str(project / "data"), "--out-dir",
               str(project / "outputs"), "--format", "png", "--dpi", "72")
    assert done.exit_code == EXIT_STORAGE, done.output
    # the run is recorded, as every run of a writer is (docs/operations.md); nothing else changed
    after = tree(project)
    status = json.loads(after.pop("./outputs/status.json"))
    assert (status["last_run"]["command"], status["last_run"]["result"]) == ("charts --year=2019", "cannot write")
    logs = {k for k in after if k.startswith("./outputs/logs/run-")}
    assert len(logs) == 1 and "refusing to replace it" in after[next(iter(logs))].decode()
    for k in logs:
        del after[k]
    before.pop("./outputs/status.json", None)
    after.pop("./outputs/logs", None)
    before.pop("./outputs/logs", None)
    assert after == before


def test_template_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    first = cli("template", "--fund", "new-fund", "--year", "2031", "--out-dir", str(out))
    assert first.exit_code == EXIT_OK, first.output
    book = out / "templates" / "new-fund" / "fund-2031.xlsx"
    book.write_bytes(b"filled in by an analyst")
    again = cli("template", "--fund", "new-fund", "--year", "2031", "--out-dir", str(out))
    assert again.exit_code == EXIT_STORAGE and "--force" in again.stderr
    assert book.read_bytes() == b"filled in by an analyst"
    forced = cli("template", "--fund", "new-fund", "--year", "2031", "--out-dir", str(out), "--force")
    assert forced.exit_code == EXIT_OK
    assert openpyxl.load_workbook(book).sheetnames


# ================================================================== 2. figures read as seen


def _set_amount(fmt: str | None, value: Any, header: str = "金额") -> Callable[[Workbook], None]:
    def fn(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        col = [c.value for c in ws[1]].index("金额") + 1
        ws.cell(1, col, header)
        cell = ws[find_cell(ws, header, "常州日报")]
        cell.value = value
        if fmt is not None:
            cell.number_format = fmt

    return fn


def _media_amount(data: Path, outlet: str = "常州日报") -> int:
    from fundanalysis.ingest.load import process_year

    media = process_year(data, 2019).tables["media_outlets"]
    return int(media.set_index("outlet").loc[outlet, "amount_fen"])


@pytest.mark.parametrize(("fmt", "value", "header"), [
    ('#,##0"元"', 719000, "金额"),
    ('#,##0.00"元"', 719000, "金额"),
    ('0.0"万元"', 71.9, "金额"),
    ("0.0\\万\\元", 71.9, "金额"),
    ("¥#,##0", 719000, "金额"),
    ("[$¥-804]#,##0.00", 719000, "金额"),
    ('#,##0"元"', 719000, "金额（元）"),
    ('0.00"亿元"', 0.00719, "金额"),
], ids=["yuan", "yuan-decimals", "wan", "wan-escaped", "yen-sign", "yen-locale", "yuan-header-agrees",
        "yi"])
def test_number_format_with_a_unit_is_read_as_shown(data: Path, fmt: str, value: Any, header: str) -> None:
    """Excel shows 719,000元: that is 71.9万元, not 719,000万元."""
    edit_workbook(workbook_path(data), _set_amount(fmt, value, header))
    assert _media_amount(data) == 71_900_000


@pytest.mark.parametrize(("fmt", "value", "header", "reason"), [
    ('#,##0,"千元"', 719000, "金额", "divides the number by 1000"),
    ("#,##0,,", 719000000, "金额", "divides the number by 1000000"),
    ("0.00%", 0.5, "金额", "percentage"),
    ('0"美元"', 100000, "金额", "which is not 元, 万元 or 亿元"),
    ('#,##0"元"', 719000, "金额（万元）", "but the header says 万元"),
], ids=["scaled-thousands", "scaled-millions", "percent", "dollars", "header-disagrees"])
def test_number_format_that_changes_the_figure_is_refused(data: Path, fmt: str, value: Any, header: str,
                                                         reason: str) -> None:
    edit_workbook(workbook_path(data), _set_amount(fmt, value, header))
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    assert done.exit_code == EXIT_BAD_INPUT, done.output
    problems = json.loads(done.stdout)
    assert any(reason in p["reason"] and p["sheet"] == "媒体单位" and p["row"] == 2 for p in problems), problems


@pytest.mark.parametrize("text", ["73,8万元", "7,38万元", "1,0000元", "71,9", "1,000,5万元", "73，8万元"])
def test_decimal_comma_is_refused_with_both_readings(text: str) -> None:
    with pytest.raises(clean.CleanError, match="not a thousands separator") as err:
        clean.parse_money(text)
    if text.count(",") + text.count("，") == 1:
        assert " or " in str(err.value)
    yuan, error = clean.parse_money_series(pd.Series([text, "1万元"]))
    assert pd.isna(yuan.iloc[0]) and "thousands separator" in error.iloc[0]


@pytest.mark.parametrize(("text", "yuan"), [("1,000万元", 10_000_000), ("1,409,205元", 1_409_205),
                                            ("１，０００万元", 10_000_000), ("71.9万元", 719_000)])
def test_thousands_separators_still_read(text: str, yuan: int) -> None:
    assert clean.parse_money(text) == yuan * 100
    assert int(clean.parse_money_series(pd.Series([text]))[0].iloc[0]) == yuan * 100


@pytest.mark.parametrize("value", [2e18, "2000000000000000000元", "1000000000001元", 10**13, "20000亿元",
                                   "9223372036854775808"])
def test_amounts_beyond_the_limit_are_refused(value: Any) -> None:
    """2e18 元 once wrapped around int64; now anything above the limit is refused, both paths."""
    with pytest.raises(clean.CleanError, match="too large"):
        clean.parse_money(value, "元")
    yuan, err = clean.parse_money_series(pd.Series([value], dtype=object), "元")
    assert yuan.isna().all() and err.str.contains("too large").all()


def test_the_limits_keep_sums_exact() -> None:
    """An amount in 分 fits int64 with room, and ten column totals in 分 still fit."""
    assert config.MAX_AMOUNT_YUAN * 100 * 1000 < 2**63
    assert config.MAX_COLUMN_TOTAL_YUAN * 100 * 10 < 2**63


def test_column_total_beyond_the_limit_is_refused(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Amounts each within the limit whose column total is not (a 万元/元 mix-up, say): refused."""
    monkeypatch.setattr(config, "MAX_COLUMN_TOTAL_YUAN", 10**12)

    def fn(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        col = [c.value for c in ws[1]].index("金额") + 1
        for r in range(2, ws.max_row + 1):
            ws.cell(r, col, "9000亿元")

    edit_workbook(workbook_path(data), fn)
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    assert done.exit_code == EXIT_BAD_INPUT
    [p] = json.loads(done.stdout)
    assert p["sheet"] == "媒体单位" and "add up to" in p["reason"] and "check the units" in p["reason"]


def test_budget_of_zero_gives_valid_json(data: Path) -> None:
    def zero(wb: Workbook) -> None:
        ws = wb["专项资金"]
        ws[find_cell(ws, "预算金额", "工业互联网专项资金")] = "0万元"

    edit_workbook(workbook_path(data), zero)
    done = cli("summary", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output
    assert "NaN" not in done.stdout and "Infinity" not in done.stdout
    summary = json.loads(done.stdout, parse_constant=lambda c: pytest.fail(f"JSON holds {c}"))
    assert summary["utilisation"] is None and "budget" in summary["utilisation_note"]


# ---------------------------------------------------------------- names


def _set_name(sheet: str, header: str, key: str, value: str) -> Callable[[Workbook], None]:
    def fn(wb: Workbook) -> None:
        ws = wb[sheet]
        ws[find_cell(ws, header, key)] = value

    return fn


@pytest.mark.parametrize(("sheet", "header", "key", "value"), [
    ("媒体单位", "所属部分", "常州日报", "工业互联网\u200b宣传"),
    ("媒体单位", "所属部分", "常州日报", "工业互联网宣传\ufeff"),
    ("媒体单位", "所属部分", "常州日报", "工业互联网　宣传"),
    ("宣传项目", "单位", "中汽研", "中汽研(天津)汽车信息咨询有限公司"),
    ("宣传项目", "单位", "常州日报", "常州日报\u00ad"),
    ("奖励类别", "所属部分", "2、工业互联网平台", "工业互联网项目\u200d"),
], ids=["zero-width-space", "bom", "ideographic-space", "half-width-brackets", "soft-hyphen", "zwj"])
def test_names_that_differ_only_invisibly_match(data: Path, sheet: str, header: str, key: str, value: str
                                                ) -> None:
    """References match after normalisation (bracket width, invisible characters, spaces)."""
    edit_workbook(workbook_path(data), _set_name(sheet, header, key, value))
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output


def test_same_company_in_two_bracket_widths_is_one_company(data: Path) -> None:
    """Two rows naming one company, (集团) and （集团）: a duplicate, shown with the difference."""
    def fn(wb: Workbook) -> None:
        ws = wb.create_sheet("获奖企业")
        ws.append(["企业名称", "类别", "奖励金额", "来源"])
        ws.append(["示例科技（集团）有限公司", "工业互联网平台", "25万元", "合成"])
        ws.append(["示例科技(集团)有限公司", "工业互联网平台", "25万元", "合成"])

    edit_workbook(workbook_path(data), fn)
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    assert done.exit_code == EXIT_BAD_INPUT
    [p] = [p for p in json.loads(done.stdout) if p["sheet"] == "获奖企业"]
    assert p["row"] == 3 and "duplicated row" in p["reason"]
    assert "U+FF08 FULLWIDTH LEFT PARENTHESIS" in p["reason"] and "U+0028" in p["reason"]


def test_near_identical_name_shows_the_invisible_difference(data: Path) -> None:
    edit_workbook(workbook_path(data), _set_name("媒体单位", "所属部分", "常州日报", "工业互联网‐宣传"))
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    [p] = json.loads(done.stdout)
    assert "U+2010 HYPHEN" in p["reason"] and "closest: '工业互联网宣传'" in p["reason"]


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x00", "\x85", "\x7f"])
def test_control_characters_in_names_are_refused_and_printed_safely(data: Path, char: str) -> None:
    """An escape sequence in a title would recolour or clear the terminal: refused, shown as <U+001B>."""
    _csv_year(data, f"单位,项目名称,来源\n常州日报,常州{char}[2J日报,合成\n".encode())
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_BAD_INPUT, done.output
    assert "control character" in done.stderr and "line 2" in done.stderr
    assert char not in done.stderr and f"<U+{ord(char):04X}>" in done.stderr


@given(st.text(alphabet="示例科技集团有限公司()（）[] \u3000\u200b\ufeff-", min_size=1, max_size=20))
@settings(max_examples=200)
def test_name_key_ignores_width_space_and_invisibles(name: str) -> None:
    wide = name.replace("(", "（").replace(")", "）").replace(" ", "\u3000")
    assert clean.name_key(name) == clean.name_key(wide) == clean.name_key(f"\u200b{name}\ufeff")
    assert clean.name_keys(pd.Series([name, wide])).nunique() == 1


# ---------------------------------------------------------------- CSV sheets


def _csv_year(data: Path, text: bytes, name: str = "宣传项目") -> Path:
    """Replace one sheet of the workbook by a CSV file with these bytes."""
    edit_workbook(workbook_path(data), lambda wb: wb.remove(wb[name]))
    path = data / "raw" / FUND / YEAR / f"{name}.csv"
    path.write_bytes(text)
    return path


GOOD_CSV = "单位,项目名称,来源\n常州日报,一线调研,合成\n常州日报,壮丽 70 年，奋斗新时代,合成\n"


@pytest.mark.parametrize(("encoding", "note"), [
    ("utf-8", None), ("utf-8-sig", None), ("gb18030", "GB18030"), ("gbk", "GB18030"),
    ("utf-16", "UTF-16")])
def test_csv_encodings_are_detected(data: Path, encoding: str, note: str | None) -> None:
    """Chinese Excel saves "CSV" in GB18030/GBK; UTF-8 with or without BOM and UTF-16 are read too."""
    _csv_year(data, GOOD_CSV.encode(encoding))
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output
    if note:
        assert note in done.stderr
    else:
        assert "GB18030" not in done.stderr and "UTF-16" not in done.stderr
    from fundanalysis.ingest.load import process_year

    titles = process_year(data, 2019).tables["media_items"]["title"].tolist()
    assert titles == ["一线调研", "壮丽 70 年，奋斗新时代"]


@pytest.mark.parametrize(("content", "line", "reason"), [
    ("单位,项目名称,来源\n常州日报,\"一线调研,合成\n常州日报,壮丽,合成\n新华日报,拓展服务\",合成\n", 2, "stray quote"),
    ("单位,项目名称,来源\n常州日报,\"一线调研,合成\n常州日报,壮丽,合成\n", 2, "never closed"),
    ("单位,项目名称,来源\n常州日报,一线调研,合成\n常州日报,\"壮丽\" 70 年,合成\n", 3, "not CSV quoting"),
], ids=["swallowed-rows", "unclosed-quote", "quote-inside-cell"])
def test_csv_quoting_errors_are_located(data: Path, content: str, line: int, reason: str) -> None:
    _csv_year(data, content.encode())
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    assert done.exit_code == EXIT_BAD_INPUT, done.output
    [p] = json.loads(done.stdout)
    assert p["row"] == line and p["row_kind"] == "line" and reason in p["reason"], p


def test_csv_blank_line_keeps_real_line_numbers(data: Path) -> None:
    _csv_year(data, "单位,项目名称,来源\n\n常州日报,一线调研,合成\n\n\n不存在的单位,题目,合成\n".encode())
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    [p] = json.loads(done.stdout)
    assert p["row"] == 6 and p["row_kind"] == "line" and "unknown outlet" in p["reason"]
    text = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert "line 6" in text.stderr


@pytest.mark.parametrize(("content", "reason"), [
    ("单位,项目名称\n".encode() + b"\xc3\xa9t\xe9,\xff\x80\n", "not UTF-8, GB18030"),
    (b"\x00\x01\x02binary", "NUL bytes"),
], ids=["not-text", "binary"])
def test_csv_that_is_not_text_is_refused_with_the_fix(data: Path, content: bytes, reason: str) -> None:
    _csv_year(data, content)
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_BAD_INPUT and reason in done.stderr and "CSV UTF-8" in done.stderr


# ================================================================== 3. current means same content


def test_processed_tables_follow_content_not_file_times(data: Path, tmp_path: Path) -> None:
    """A newer workbook copied with an older time (cp -p, unzip, git checkout) is still read."""
    assert cli("clean", "--year", YEAR, "--data-dir", str(data)).exit_code == EXIT_OK
    book = workbook_path(data)
    edited = tmp_path / "edited.xlsx"
    shutil.copy2(book, edited)
    edit_workbook(edited, _set_amount(None, "80万元"))
    old = time.time() - 10 * 86400
    os.utime(edited, (old, old))
    shutil.copy2(edited, book)  # as cp -p does: the content is new, the time is old
    assert book.stat().st_mtime < min(p.stat().st_mtime for p in (data / "processed" / FUND / YEAR).iterdir())
    done = cli("summary", "--year", YEAR, "--data-dir", str(data))
    media = {m["outlet"]: m["amount_yuan"] for m in json.loads(done.stdout)["media_outlets"]}
    assert media["常州日报"] == 800_000


def test_charts_follow_content_not_file_times(data: Path, tmp_path: Path) -> None:
    from fundanalysis.ingest.load import load_tables

    assert cli("clean", "--year", YEAR, "--data-dir", str(data)).exit_code == EXIT_OK
    book = workbook_path(data)
    mtime = book.stat().st_mtime
    edit_workbook(book, _set_amount(None, "80万元"))
    os.utime(book, (mtime - 86400, mtime - 86400))
    tables = load_tables(data, 2019)
    assert int(tables["media_outlets"].set_index("outlet").loc["常州日报", "amount_fen"]) == 80_000_000


# ================================================================== 4. bounded before parsing


def _zip_with_part(src: Path, dest: Path, part: str, fn: Callable[[bytes], bytes]) -> None:
    from test_defences import rewrite_part

    shutil.copy(src, dest)
    rewrite_part(dest, part, fn)


def test_cell_at_the_last_row_and_column_is_refused(data: Path) -> None:
    edit_workbook(workbook_path(data), lambda wb: wb["媒体单位"].cell(1048576, 16384, "x"))
    done = run_cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.returncode == EXIT_BAD_INPUT, (done.returncode, done.stderr[-500:])
    assert "XFD1048576" in done.stderr and "16384 columns" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("cell", "far"), [
    ('<c r="A99999999"><v>1</v></c>', "99999999 rows"),
    ('<c r="ZZZZ2"><v>1</v></c>', "475254 columns"),
    ('<c r="a99999999"><v>1</v></c>', "99999999 rows"),
    ("<c r = 'A99999999'><v>1</v></c>", "99999999 rows"),
    ('<c\nr="A99999999"><v>1</v></c>', "99999999 rows"),
], ids=["eight-digit-row", "four-letters", "lower-case", "spaced-single-quotes", "line-break"])
def test_far_cells_written_any_way_calamine_reads_are_refused(data: Path, cell: str, far: str) -> None:
    """A cell reference calamine reads (longer than Excel writes, lower case, single quotes, white
    space around ``=``) but the grid scan once missed: refused before the reader allocates."""
    from test_defences import rewrite_part

    book = workbook_path(data)
    with zipfile.ZipFile(book) as zf:
        part = xlsx_part(zf, "媒体单位")
    row = b'<row r="3">' + cell.encode() + b"</row></sheetData>"
    rewrite_part(book, part, lambda b: b.replace(b"</sheetData>", row, 1))
    done = run_cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.returncode == EXIT_BAD_INPUT, (done.returncode, done.stderr[-500:])
    assert far in done.stderr and "beyond the limits" in done.stderr and "媒体单位" in done.stderr
    assert "Traceback" not in done.stderr


def xlsx_part(zf: zipfile.ZipFile, sheet: str) -> str:
    """The zip part of a sheet."""
    from fundanalysis.storage.xlsx import _sheet_xml_paths

    return _sheet_xml_paths(zf)[sheet]


def test_shared_strings_declaring_billions_are_refused(data: Path, tmp_path: Path) -> None:
    """A workbook whose shared-strings table claims 4 billion strings: refused, not an abort."""
    book = workbook_path(data)
    wb = openpyxl.load_workbook(book)
    wb.save(book)
    import zipfile

    src = book.read_bytes()
    out = tmp_path / "sst.xlsx"
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            d = zin.read(info)
            if info.filename == "[Content_Types].xml":
                d = d.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                              b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                d = d.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.openxml'
                              b'formats.org/officeDocument/2006/relationships/sharedStrings" '
                              b'Target="sharedStrings.xml"/></Relationships>')
            zout.writestr(info.filename, d)
        zout.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                      'openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000">'
                      "<si><t>x</t></si></sst>")
    assert src
    shutil.copy(out, book)
    done = run_cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.returncode == EXIT_BAD_INPUT, (done.returncode, done.stderr[-500:])
    assert "4000000000 strings" in done.stderr


def test_parquet_declaring_a_hundred_million_rows_is_refused(data: Path) -> None:
    """A small Parquet file (nulls compress to nothing) holding 100M rows: refused from its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = data / "raw" / FUND / YEAR / "获奖企业.parquet"
    n = 100_000_000
    pq.write_table(pa.table({"企业名称": pa.nulls(n, pa.string()), "类别": pa.nulls(n, pa.string()),
                             "奖励金额": pa.nulls(n, pa.string())}), path)
    assert path.stat().st_size < 5 * 2**20
    done = run_cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.returncode == EXIT_BAD_INPUT, (done.returncode, done.stderr[-500:])
    assert "declares 100000000 rows" in done.stderr


def test_csv_beyond_the_row_limit_is_refused(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "MAX_SHEET_ROWS", 100)
    _csv_year(data, (GOOD_CSV + "常州日报,题目,合成\n" * 200).encode())
    with pytest.raises(InputError, match="beyond the limits"):
        inputs.read_year(data, FUND, 2019)


def test_memory_guard_refuses_before_reading(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "available_memory", lambda: 1_000)
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_BAD_INPUT and "MB of memory" in done.stderr


# ================================================================== 5. accepted by check, built


MATH = r"全省$\nosuchcmd$ \frac{1}{2} $x^2$"


def test_text_that_looks_like_math_markup_is_drawn_as_text(tables_2019: dict[str, pd.DataFrame]) -> None:
    """Every text field of every table holds dollar signs and backslashes: every chart still renders."""
    from fundanalysis.present import charts

    def poison(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for c in df.columns:
            if pd.api.types.is_string_dtype(df[c].dtype) and c not in ("input_ref",):
                df[c] = df[c].map(lambda v: v if pd.isna(v) else f"{v}{MATH}", na_action="ignore")
        return df

    poisoned = {k: poison(v) for k, v in tables_2019.items()}
    specs = charts.chart_specs(poisoned)
    assert len(specs) >= 8
    for spec in specs:
        png = charts.render(spec.make(), "png", dpi=40)
        assert png.startswith(b"\x89PNG")


def test_very_long_names_make_charts_of_normal_size(tables_2019: dict[str, pd.DataFrame]) -> None:
    from fundanalysis.present import charts

    long = {k: v.copy() for k, v in tables_2019.items()}
    long["media_outlets"]["outlet"] = long["media_outlets"]["outlet"].map(lambda v: v + "很长的名字" * 4000)
    long["parts"]["department"] = long["parts"]["department"].map(lambda v: v + "处" * 20000)
    for spec in charts.chart_specs(long):
        fig = spec.make()
        w, h = fig.get_size_inches()
        assert w <= 10 and h <= 20, (spec.slug, w, h)


def test_truncated_summary_of_another_year_does_not_stop_the_build(project: Path) -> None:
    other = project / "outputs" / FUND / ".versions" / "2018-x"
    other.mkdir()
    (other / "summary.json").write_text('{"year": 2018, "fund_na', encoding="utf-8")
    (project / "outputs" / FUND / "2018").symlink_to(Path(".versions") / "2018-x")
    done = report(project, "--force")
    assert done.exit_code == EXIT_OK, done.output
    assert "2018" in done.stderr and "not a readable summary" in done.stderr
    index = (project / "outputs" / "index.html").read_text(encoding="utf-8")
    assert "2019/index.html" in index and "2018/index.html" not in index


# ================================================================== 6. every failure is a message


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, check=False).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "400k"):
        pytest.skip("needs root and mount (CI runs as root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_disk_full_during_the_build_is_a_message_and_leaves_nothing(built: Path, small_disk: Path) -> None:
    """The output folder is a 400 KB disk: the build stops with a message, no staging or temp left."""
    done = run_cli("report", "--year", YEAR, "--data-dir", str(built / "data"), "--out-dir", str(small_disk),
                   "--force")
    assert done.returncode == EXIT_STORAGE, (done.returncode, done.stderr[-800:])
    assert "disk is full" in done.stderr and "Traceback" not in done.stderr
    left = [p.name for p in small_disk.rglob("*") if p.name.startswith((".staging", ".link", ".index"))]
    assert not left, left
    assert not (small_disk / FUND / YEAR).exists()


def test_disk_full_while_cleaning(data: Path, tmp_path: Path) -> None:
    disk = tmp_path / "processed-disk"
    if not _mount_tmpfs(disk, "20k"):
        pytest.skip("needs root and mount (CI runs as root)")
    try:
        (data / "processed").symlink_to(disk)  # the user's processed folder lives on a small disk
        done = run_cli("clean", "--year", YEAR, "--data-dir", str(data))
        assert done.returncode == EXIT_STORAGE, (done.returncode, done.stderr[-800:])
        assert "disk is full" in done.stderr and "Traceback" not in done.stderr
        assert not [p for p in disk.iterdir() if p.name != ".versions"]
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Make a folder read-only for everyone, root included (a read-only bind mount)."""
    mounted: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            pytest.skip("needs root for a read-only mount (CI runs as root)")
        ok = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True, check=False)
        if ok.returncode:
            pytest.skip("mount --bind not allowed here")
        mounted.append(path)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)

    yield make
    for p in reversed(mounted):
        subprocess.run(["umount", "-l", str(p)], check=False)


def test_read_only_outputs_when_up_to_date_is_fine(project: Path, read_only: Callable[[Path], None]) -> None:
    read_only(project / "outputs")
    done = run_cli("report", "--data-dir", str(project / "data"), "--out-dir", str(project / "outputs"))
    assert done.returncode == EXIT_OK, done.stderr[-800:]
    assert "up to date" in done.stderr


def test_read_only_outputs_when_a_build_is_needed_is_a_message(project: Path,
                                                                read_only: Callable[[Path], None]) -> None:
    before = tree(project / "outputs")
    read_only(project / "outputs")
    done = run_cli("report", "--year", YEAR, "--data-dir", str(project / "data"), "--out-dir",
                   str(project / "outputs"), "--force")
    assert done.returncode == EXIT_STORAGE, done.stderr[-800:]
    assert "read-only" in done.stderr and "Traceback" not in done.stderr
    assert tree(project / "outputs") == before


def test_read_only_data_folder_is_a_message(data: Path, read_only: Callable[[Path], None]) -> None:
    read_only(data)
    done = run_cli("clean", "--year", YEAR, "--data-dir", str(data))
    assert done.returncode == EXIT_STORAGE, done.stderr[-800:]
    assert "read-only" in done.stderr and "Traceback" not in done.stderr
    checked = run_cli("check", "--year", YEAR, "--data-dir", str(data))
    assert checked.returncode == EXIT_OK


@pytest.mark.parametrize(("content", "words"), [
    ('{"cells": [', "is broken"),
    ('{"cells": "not a list", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "is broken"),
    ("\xff\xfe not text", "is broken"),
], ids=["truncated-json", "not-a-notebook", "not-utf8"])
def test_broken_report_notebook_is_named(project: Path, tmp_path: Path, content: str, words: str) -> None:
    nbs = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks" / "reports", nbs)
    (nbs / "20-award-categories.ipynb").write_bytes(content.encode("latin-1", "replace"))
    before = tree(project / "outputs" / FUND / YEAR)
    done = report(project, "--force", "--notebooks-dir", str(nbs))
    assert done.exit_code == EXIT_BUILD_FAILED, done.output
    assert "20-award-categories.ipynb" in done.stderr and words in done.stderr
    assert tree(project / "outputs" / FUND / YEAR) == before


def test_parquet_text_that_is_not_utf8_is_located_and_json_still_printed(data: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    bad = pa.array([b"\xff\xfe\xfd"], type=pa.binary()).view(pa.string())
    pq.write_table(pa.table({"单位": pa.array(["常州日报"]), "项目名称": bad, "来源": pa.array(["合成"])}),
                   data / "raw" / FUND / YEAR / "宣传项目.parquet")
    edit_workbook(workbook_path(data), lambda wb: wb.remove(wb["宣传项目"]))
    done = run_cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    assert done.returncode == EXIT_BAD_INPUT, done.stderr[-500:]
    [p] = json.loads(done.stdout)
    assert p["column"] == "项目名称" and p["row"] == 2 and "not valid UTF-8" in p["reason"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["TERM", "INT", "HUP"])
def test_signal_during_a_build_cleans_up(project: Path, tmp_path: Path, sig: int) -> None:
    """Stopped mid-build: exit 128 + signal, no child tracebacks, no staging left, report unchanged."""
    nbs = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks" / "reports", nbs)
    slow = nbs / "20-award-categories.ipynb"
    nb = json.loads(slow.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                        "source": "import time\ntime.sleep(60)"})
    slow.write_text(json.dumps(nb), encoding="utf-8")
    before = tree(project / "outputs" / FUND / YEAR)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "fundanalysis.cli", "report", "--year", YEAR, "--force",
                             "--data-dir", str(project / "data"), "--out-dir", str(project / "outputs"),
                             "--notebooks-dir", str(nbs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    deadline = time.time() + 120
    while time.time() < deadline and not list((project / "outputs" / FUND).glob(f".staging-{YEAR}-*/notebooks/*")):
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err[-800:]
    assert "Traceback" not in err and "BrokenPipe" not in err, err[-1500:]
    assert "Stopped" in err
    assert not list((project / "outputs" / FUND).glob(".staging-*"))
    assert tree(project / "outputs" / FUND / YEAR) == before


# ================================================================== 7. messages that help


@pytest.mark.parametrize(("folder", "words"), [
    ("0000", "not a year folder"), ("２０２０", "ASCII digits (2020)"), ("2019-old", "not a year folder"),
    ("2031", "holds no input"),
], ids=["zeros", "full-width", "suffix", "empty-year"])
def test_stray_year_folders_are_skipped_with_a_note(project: Path, folder: str, words: str) -> None:
    (project / "data" / "raw" / FUND / folder).mkdir()
    done = report(project, all_years=True)
    assert done.exit_code == EXIT_OK, done.output
    assert words in done.stderr
    assert "raw/0 " not in done.stderr


def test_hidden_sheet_rows_and_columns_are_noted(data: Path) -> None:
    def fn(wb: Workbook) -> None:
        wb["宣传项目"].sheet_state = "hidden"
        wb["媒体单位"].row_dimensions[3].hidden = True
        wb["媒体单位"].column_dimensions["D"].hidden = True

    edit_workbook(workbook_path(data), fn)
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output
    assert "sheet '宣传项目' is hidden in Excel" in done.stderr
    assert "sheet '媒体单位': row 3 is hidden in Excel but read" in done.stderr
    assert "column 采购方式 is hidden" in done.stderr


def test_title_row_above_the_headers_is_one_clear_problem(data: Path) -> None:
    def fn(wb: Workbook) -> None:
        wb["媒体单位"].insert_rows(1)
        wb["媒体单位"]["A1"] = "2019年宣传经费明细表"

    edit_workbook(workbook_path(data), fn)
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    problems = json.loads(done.stdout)
    assert len(problems) == 1, problems
    assert problems[0]["row"] == 2 and "the headers are in row 2" in problems[0]["reason"]


def test_printable_shows_escape_sequences() -> None:
    assert printable("a\x1b[31mb\u200b") == "a<U+001B>[31mb<U+200B>"


def test_raw_year_detection_is_ascii_only(tmp_path: Path) -> None:
    for name in ("2019", "0000", "２０２０", "20190", "notes"):
        (tmp_path / "raw" / FUND / name).mkdir(parents=True)
    years, notes = catalog.scan_years(tmp_path, FUND)
    assert years == [2019]
    assert len(notes) == 4


def test_csv_utf8_bom_row_numbers(data: Path) -> None:
    _csv_year(data, codecs.BOM_UTF8 + "单位,项目名称,来源\n常州日报,,合成\n".encode())
    done = cli("check", "--year", YEAR, "--data-dir", str(data), "--json")
    [p] = json.loads(done.stdout)
    assert p["row"] == 2 and p["column"] == "项目名称" and p["row_kind"] == "line"


def test_expect_helper_is_shared() -> None:
    """The corpus reuses the located-problem matcher of the first round."""
    assert Expect("x").matches({"reason": "x", "file": WB, "sheet": None, "row": None, "column": None,
                                "value": None})


@settings(max_examples=200)
@given(fmt=st.sampled_from(['#,##0"元"', '0.0"万元"', "¥#,##0", "[$¥-804]#,##0.00", '0.00"亿元"']),
       yuan=st.integers(min_value=0, max_value=10**10))
def test_any_amount_in_a_unit_format_reads_back(fmt: str, yuan: int) -> None:
    """Hypothesis: a number cell holding an amount in the unit its format shows reads back exactly."""
    from decimal import Decimal

    from fundanalysis.ingest.tables import _parse_money_column
    from fundanalysis.storage.xlsx import classify_number_format

    info = classify_number_format(fmt)
    assert info is not None and info.unit is not None
    cell = float(Decimal(yuan).scaleb(-clean.MONEY_UNITS[info.unit]))
    problems: list[str] = []
    got = _parse_money_column(pd.Series([cell], dtype=object), True, None,
                              lambda i, reason: problems.append(reason), {0: info})
    assert not problems and int(got.iloc[0]) == yuan * 100


def test_grid_scan_of_a_sheet_read_in_many_chunks() -> None:
    """A long sheet's part arrives in many chunks: the farthest cell is found across them (a
    100,000-row workbook once failed here comparing bytes with text)."""
    from fundanalysis.storage.xlsx import _GridScan

    grid = _GridScan()
    rows = [f'<row r="{r}"><c r="A{r}" t="n"><v>{r}</v></c><c r="F{r}" t="n"><v>1</v></c></row>'
            for r in range(1, 3001)]
    data = "".join(rows).encode()
    for i in range(0, len(data), 4096):  # chunk edges fall inside tokens, too
        grid.feed(data[i:i + 4096])
    assert (grid.max_col, grid.max_row, grid.columns) == ("F", 3000, 6)
    more = _GridScan()
    more.feed(b'<c r="Z9" t="n">')
    more.feed(b'<c r="AB3" t="n">')
    more.feed(b'<c r="AA12" t="n">')
    assert (more.max_col, more.max_row) == ("AB", 12)


@pytest.mark.parametrize("chunk", [7, 64, 4096])
def test_grid_scan_finds_the_farthest_row_and_column_however_written(chunk: int) -> None:
    """Prefixed rows (``<x:row>``), ``r`` after other attributes, a row further down than any cell,
    and one stray cell far right: the scan reads none of them wrong, wherever the chunks split."""
    from fundanalysis.storage.xlsx import _GridScan

    body = "".join(f'<x:row spans="1:3" r="{r}"><x:c s="1" r="C{r}"><x:v>1</x:v></x:c></x:row>'
                   for r in range(1, 400))
    cases = {
        body: ("C", 399),
        body + '<row r="70000"/>': ("C", 70000),
        body + '<row r="5"><c t="s" r="XFD5"><v>0</v></c></row>': ("XFD", 399),
        '<row r="2"><c r="B1048576"/></row>' + body: ("C", 1048576),
        body + '<t>arrow r="99999"</t>': ("C", 399),  # text, not a row's number
        # calamine reads all of these as cell references (seen: r="A12345678" made it allocate
        # 12 million rows); the scan once missed each of them
        body + '<c r="A12345678"/>': ("C", 12345678),
        body + '<c r="AAAA3"/>': ("AAAA", 399),
        body + '<c r="xfd5"/>': ("XFD", 399),
        body + '<c\tr="Z3"/>': ("Z", 399),
        body + "<c r='Y3'/>": ("Y", 399),
        body + '<c r = "X3"/>': ("X", 399),
        body + '<c\nr=\n"W3"/>': ("W", 399),
        body + '<c s="1"r="V3"/>': ("V", 399),
        body + '<c r="A99999999999999999999"/>': ("C", 99999999999999999999),
        body + '<c r="ABCDEFGHIJKL7"/>': ("ABCDEFGHIJKL", 399),
        body + '<c xr="Z3"/><c r="Z3x"/><c r="Z"/><c r="Z3\'/>': ("C", 399),  # none is a reference
    }
    for xml, want in cases.items():
        data, grid = xml.encode(), _GridScan()
        for i in range(0, len(data), chunk):
            grid.feed(data[i:i + chunk])
        assert (grid.max_col, grid.max_row) == want, xml[-60:]


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_marker_scan_finds_each_marker_wherever_the_chunks_split(chunk: int) -> None:
    """The sheet scan's marker search (run in the container check's pass) says a part holds a
    marker exactly when the whole part does, whatever the chunking, with or without other "f"s."""
    from fundanalysis.storage.rawsheet import NumberFormat
    from fundanalysis.storage.xlsx import _extras_markers, _MarkerScan

    markers = _extras_markers({"3": NumberFormat("built-in format 44 (currency)", "元")})
    row = '<row r="{r}"><c r="A{r}" t="s"><v>{r}</v></c><c r="B{r}" s="2"><v>1.5</v></c></row>'
    body = "".join(row.format(r=r) for r in range(1, 300))
    inserts = ["", '<c r="C9"><f>SUM(B1:B8)</f></c>', '<x:c r="C9"><x:f t="shared"/></x:c>',
               '<c r="C9" t="e"><v>#REF!</v></c>', '<row r="400" hidden="1"/>', '<col hidden="true"/>',
               '<c r="C9" s="3"><v>7</v></c>', '<c r="C9" s="33"><v>7</v></c>',
               "<t>format of the file</t>", '<c r="C9" s="3"', "<f"]
    for insert in inserts:
        for at in (0, len(body) // 2, len(body)):
            xml = (body[:at] + insert + body[at:]).encode()
            scan = _MarkerScan(markers)
            for i in range(0, len(xml), chunk):
                scan.feed(xml[i:i + chunk])
            assert scan.found == any(m in xml for m in markers), (insert, at)


@pytest.mark.parametrize(("chunk", "rows"), [(1, 6), (7, 40), (97, 900), (4096, 900), (1 << 20, 900)])
def test_grid_scan_notices_attributes_written_unusually_wherever_the_chunks_split(chunk: int, rows: int) -> None:
    """Single quotes or white space around ``=`` anywhere in a sheet (which the markers, spelled as
    Excel writes them, would miss) are noticed whatever the chunking, and only then."""
    from fundanalysis.storage.xlsx import _UNUSUAL_ATTRIBUTES, _GridScan

    row = '<row r="{r}"><c r="A{r}" t="s"><v>{r}</v></c><c r="B{r}" s="2"><v>1.5</v></c></row>'
    body = "".join(row.format(r=r) for r in range(1, rows))  # 900 rows: over 16 KB, read with numpy
    inserts = ["", "<c r='C9' s='3'><v>7</v></c>", '<c r="C9" t = "e"><v>#REF!</v></c>',
               '<row r="950" hidden=\n"1"/>', "<col hidden\t='true'/>", '<c r="C9" s="3"><v>7</v></c>',
               "<t>r=1</t>", "<t>a = b</t>"]
    for insert in inserts:
        for at in (0, len(body) // 2, len(body)):
            xml = (body[:at] + insert + body[at:]).encode()
            grid = _GridScan()
            for i in range(0, len(xml), chunk):
                grid.feed(xml[i:i + chunk])
            assert grid.unusual == (_UNUSUAL_ATTRIBUTES.search(xml) is not None), (insert, at)
            assert grid.unusual == (insert not in ("", '<c r="C9" s="3"><v>7</v></c>', "<t>r=1</t>"))


@pytest.mark.parametrize("spelling", ["single", "spaced", "both"])
def test_sheet_extras_are_found_however_attributes_are_quoted(tmp_path: Path, spelling: str) -> None:
    """A sheet written with single-quoted attributes, or spaces around ``=`` (valid XML no usual
    tool writes), gives the same unit format, error value and hidden row and column as
    the same sheet written as openpyxl writes it: a 50 in a ``0"万元"`` cell is never read as 50 元."""
    import re as _re

    from fundanalysis.storage import xlsx

    wb = Workbook()
    ws = wb.active
    ws.title = "marked"
    for r in range(1, 40):
        ws.append([f"名称{r}", r])
    ws["B3"] = "#DIV/0!"  # an error value (no formula: a formula's <f> would be found anyway)
    ws["B4"].number_format = '0"万元"'
    ws["B4"] = 50
    ws.row_dimensions[5].hidden = True
    ws.column_dimensions["C"].hidden = True
    usual = tmp_path / "usual.xlsx"
    wb.save(usual)
    part = xlsx._sheet_xml_paths(zipfile.ZipFile(usual))["marked"]

    def respell(xml: bytes) -> bytes:
        attrs = _re.compile(rb'( [A-Za-z:]+)="([^"<>]*)"')
        if spelling in ("single", "both"):
            xml = attrs.sub(rb"\1='\2'", xml)
        if spelling in ("spaced", "both"):
            xml = _re.sub(rb'( (?:t|s|hidden|r))=(["\'])', rb"\1 = \2", xml)
        return xml

    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(usual) as src, zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, respell(data) if info.filename == part else data)
    with zipfile.ZipFile(odd) as zf:
        text = zf.read(part)
    if spelling == "spaced":
        assert b' s = "' in text and b'hidden = "' in text
    else:
        assert b's="' not in text and b'hidden="' not in text and b"s='" in text
    assert xlsx.check_workbook_container(odd).marked == {part}
    want = xlsx._sheet_extras(usual)["marked"]
    got = xlsx._sheet_extras(odd, xlsx.check_workbook_container(odd))["marked"]
    assert got == want
    assert xlsx._sheet_extras(odd)["marked"] == want  # searched on its own, not in the container pass
    assert "B4" in got.formats and got.formats["B4"].unit == "万元"
    assert xlsx.read_workbook(odd)["marked"].cell_formats["B4"].unit == "万元"
    assert got.hidden_rows == [5] and 3 in got.hidden_columns and list(got.bad_cells) == ["B3"]


def test_sheet_extras_from_the_container_pass_equal_a_separate_search(tmp_path: Path) -> None:
    """read_workbook learns which sheets need their XML parsed in the container check's pass: the
    extras are those of a separate search, a sheet without markers is searched and not parsed."""
    from fundanalysis.storage import xlsx

    wb = Workbook()
    plain = wb.active
    plain.title = "plain"
    for r in range(1, 50):
        plain.append([f"名称{r}", r * 1.5])
    marked = wb.create_sheet("marked")
    for r in range(1, 50):
        marked.append([f"名称{r}", r])
    marked["B3"] = "=SUM(B1:B2)"
    marked["B4"].number_format = '#,##0"元"'
    marked.row_dimensions[5].hidden = True
    marked.column_dimensions["C"].hidden = True
    path = tmp_path / "w.xlsx"
    wb.save(path)
    scan = xlsx.check_workbook_container(path)
    parts = xlsx._sheet_xml_paths(zipfile.ZipFile(path))
    assert scan.probed == set(parts.values())
    assert scan.marked == {parts["marked"]}
    assert scan.styles == xlsx._unit_styles(zipfile.ZipFile(path))
    together, apart = xlsx._sheet_extras(path, scan), xlsx._sheet_extras(path)
    assert together == apart
    assert together["marked"].bad_cells and together["marked"].formats and together["marked"].hidden_rows == [5]
    assert together["plain"] == xlsx._SheetExtras()
    assert xlsx.read_workbook(path)["marked"].hidden_rows == [5]


@pytest.mark.parametrize("chunk", [1, 5, 64, 1 << 20])
def test_grid_scan_counts_cell_elements_however_written(chunk: int) -> None:
    """Cells without a reference take the next position, so the scan counts every cell element:
    ``<c>``, ``<c …>``, ``<c/>``, prefixed ``<x:c …>``, across any chunk edge, and nothing else."""
    from fundanalysis.storage.xlsx import _GridScan

    xml = ('<row r="1"><c>1</c><c t="s"><v>0</v></c><c/><x:c\tr="A9"/><cols><col min="1"/></cols>'
           '<c\n/><cfRule/><t>abc c d</t></row>') * 50
    grid = _GridScan()
    data = xml.encode()
    for i in range(0, len(data), chunk):
        grid.feed(data[i:i + chunk])
    assert grid.cells == 5 * 50
