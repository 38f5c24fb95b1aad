"""Round three of the defences, the input side: one snapshot per read, money marks, percent or
fraction, budget phases below zero, look-alike names, links out of the data folder, report texts
with control characters or beyond the budget, and nested scoring policies.

Every case is run on copies in tmp_path (data/raw is only read); refusals are checked as the
defences corpus checks them (exit 2, a located message, nothing written).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import FIXTURES_DIR, FUND, REPO_DATA_DIR, edit_workbook, find_cell, workbook_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from test_defences import Case, Expect, assert_rejected, case, cli, edit, good_state  # noqa: F401

from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK
from fundanalysis.errors import EXCERPT_CHARS, InputError
from fundanalysis.ingest import clean, targets
from fundanalysis.storage import digests, inputs, reports, xlsx

YEAR = "2019"
WB = "fund-2019.xlsx"
FORMS_RAW = FIXTURES_DIR / "forms" / "raw"
FORM_FUND, FORM_YEAR = "synthetic-self-evaluation", "2031"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A writable data folder holding the 2019 raw year only."""
    shutil.copytree(REPO_DATA_DIR / "raw" / FUND / YEAR, tmp_path / "data" / "raw" / FUND / YEAR)
    return tmp_path / "data"


@pytest.fixture
def form_data(tmp_path: Path) -> Path:
    """A writable data folder holding the synthetic self-evaluation form (with its scoring.toml)."""
    shutil.copytree(FORMS_RAW / FORM_FUND, tmp_path / "forms" / "raw" / FORM_FUND)
    return tmp_path / "forms"


def check_json(data: Path, year: str = YEAR) -> tuple[int, list[dict[str, Any]]]:
    done = cli("check", "--year", year, "--data-dir", str(data), "--json")
    return done.exit_code, (json.loads(done.stdout) if done.stdout.strip() else [])


def media_amount(data: Path, outlet: str = "常州日报") -> int:
    from fundanalysis.ingest.load import process_year

    media = process_year(data, 2019).tables["media_outlets"]
    return int(media.set_index("outlet").loc[outlet, "amount_fen"])


def set_media_amount(value: Any, header: str = "金额") -> Callable[[Workbook], None]:
    def fn(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        col = [c.value for c in ws[1]].index("金额") + 1
        ws.cell(1, col, header)
        ws[find_cell(ws, header, "常州日报")] = value

    return fn


# ================================================================== money marks are units


@pytest.mark.parametrize("text", ["¥719,000", "￥719,000", "RMB 719,000", "rmb719000", "CNY 719,000",
                                  "人民币719000", "719,000 元人民币", "RMB719,000.00"],
                         ids=["yen", "fullwidth-yen", "RMB", "rmb-lower", "CNY", "renminbi",
                              "yuan-then-renminbi", "RMB-decimals"])
def test_a_currency_mark_means_yuan(text: str) -> None:
    """¥719,000 is 71.9万元 (719,000 元), not 719,000万元, in any column."""
    assert clean.parse_money(text) == 71_900_000
    assert clean.parse_money(text, default_unit="亿元") == 71_900_000


@pytest.mark.parametrize(("text", "fen"), [("¥71.9万元", 71_900_000), ("人民币1.5亿元", 15_000_000_000),
                                           ("RMB 2万", 2_000_000)], ids=["wan", "yi", "bare-wan"])
def test_a_written_unit_wins_over_the_mark(text: str, fen: int) -> None:
    assert clean.parse_money(text) == fen


MARKS = st.sampled_from(["¥", "￥", "RMB", "rmb ", "CNY", "人民币", ""])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**7), MARKS, st.sampled_from(["", "元", "万元"])),
                min_size=1, max_size=40))
def test_marked_amounts_scalar_and_columns_agree(items: list[tuple[int, str, str]]) -> None:
    """The vectorised path reads a mark as the scalar parser does (long columns too), and a
    marked bare number is in 元."""
    texts = [f"{mark}{n:,}{unit}" for n, mark, unit in items]
    for length in (1, 2000):  # a short column cell by cell, a long one in columns
        series = pd.Series((texts * length)[:max(len(texts), length)], dtype=object)
        fen, err = clean.parse_money_series(series, "万元")
        assert err.isna().all(), err[err.notna()].tolist()
        scalar = [clean.parse_money(t, "万元") for t in series]
        assert [int(v) for v in fen] == scalar
    for (n, mark, unit), text in zip(items, texts, strict=True):
        want = n * 100 * (10_000 if unit == "万元" or (unit == "" and not mark) else 1)
        assert clean.parse_money(text, "万元") == want, text


def test_a_marked_amount_in_a_workbook_is_yuan(data: Path) -> None:
    edit_workbook(workbook_path(data), set_media_amount("¥719,000"))
    assert media_amount(data) == 71_900_000


DEFAULT_UNIT_NOTE = "read in 万元, the default unit, as the header states none"


def test_a_bare_number_under_a_header_without_a_unit_is_read_in_wan_and_said_so(data: Path) -> None:
    """719000 under 金额 (no unit) is 719000万元 by the workbook's stated default (the template's
    header notes: 纯数字按万元计); the run says so, located, with how to state the unit instead."""
    edit_workbook(workbook_path(data), set_media_amount(719000))
    assert media_amount(data) == 719_000 * 10_000 * 100
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK
    note = next(line for line in done.stderr.splitlines() if DEFAULT_UNIT_NOTE in line)
    assert "sheet '媒体单位', column '金额': 1 bare number(s) (row 2)" in note
    assert "金额（万元） or 金额（元）" in note


@pytest.mark.parametrize(("value", "header", "fen"),
                         [(719000, "金额（元）", 71_900_000), ("719,000", "金额（元）", 71_900_000),
                          (71.9, "金额（万元）", 71_900_000), ("71.9万元", "金额", 71_900_000)],
                         ids=["yuan-header", "yuan-header-text", "wan-header", "unit-in-cell"])
def test_an_amount_whose_unit_is_stated_gets_no_note(data: Path, value: Any, header: str, fen: int) -> None:
    edit_workbook(workbook_path(data), set_media_amount(value, header))
    assert media_amount(data) == fen
    done = cli("check", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK and DEFAULT_UNIT_NOTE not in done.stderr


def test_a_number_formatted_with_its_unit_gets_no_note(data: Path) -> None:
    def yuan(wb: Workbook) -> None:
        set_media_amount(719000)(wb)
        ws = wb["媒体单位"]
        ws[find_cell(ws, "金额", "常州日报")].number_format = '#,##0"元"'

    edit_workbook(workbook_path(data), yuan)
    assert media_amount(data) == 71_900_000
    assert DEFAULT_UNIT_NOTE not in cli("check", "--year", YEAR, "--data-dir", str(data)).stderr


def test_the_shipped_workbook_states_every_unit_and_a_bare_form_is_said(form_data: Path) -> None:
    """The 2019 workbook writes a unit in every amount: no note. The synthetic form's money block
    gives bare numbers under headers without a unit: each column is named once, with its rows."""
    assert DEFAULT_UNIT_NOTE not in cli("check", "--year", YEAR, "--data-dir", str(REPO_DATA_DIR)).stderr
    notes = [line for line in cli("check", "--year", FORM_YEAR, "--data-dir", str(form_data)).stderr.splitlines()
             if DEFAULT_UNIT_NOTE in line]
    assert [n.split("column ")[1].split(":")[0] for n in notes] == ["'年初预算数'", "'全年预算数'", "'全年执行数'"]
    assert "(rows 2, 3, 4)" in notes[1]


def test_a_marked_amount_under_a_wan_header_is_refused(case: Case) -> None:  # noqa: F811
    """The mark says 元, the header says 万元: which is meant is not known, so it is a located refusal."""
    edit(case, set_media_amount("RMB 719,000", "金额（万元）"))
    assert_rejected(case, Expect("marked as 元", "媒体单位", 2, "金额", "RMB 719,000"))


@pytest.mark.parametrize("text", ["$719,000", "HK$719,000", "719,000美元"], ids=["dollar", "hk-dollar", "meiyuan"])
def test_other_currencies_are_refused(case: Case, text: str) -> None:  # noqa: F811
    edit(case, set_media_amount(text))
    assert_rejected(case, Expect("amount", "媒体单位", 2, "金额"), commands=("clean",))


# ================================================================== percent or fraction


@pytest.mark.parametrize("actual", ["0.97", 0.97, "1", 0.5], ids=["text-0.97", "number-0.97", "text-1", "half"])
def test_a_bare_fraction_against_a_percent_target_is_ambiguous(actual: Any) -> None:
    with pytest.raises(targets.TargetError, match=r"is it .*% or .*%"):
        targets.parse_actual(actual, targets.parse_target("≥95%"))


@pytest.mark.parametrize("actual", ["97", 97, "97%"], ids=["text", "number", "percent"])
def test_a_percent_actual_is_read_as_written(actual: Any) -> None:
    from decimal import Decimal

    assert targets.parse_actual(actual, targets.parse_target("≥95%")).value == Decimal("0.97")


def test_a_bare_fraction_in_the_form_is_a_located_refusal(form_data: Path) -> None:
    """The form's 0.97 is formatted as a percentage (97%): without the format it is ambiguous."""
    book = next((form_data / "raw" / FORM_FUND / FORM_YEAR).glob("*.xlsx"))
    code, problems = check_json(form_data, FORM_YEAR)
    assert code == EXIT_OK, problems  # as the form shows it: 97%

    def plain(wb: Workbook) -> None:
        wb["绩效指标"]["G4"].number_format = "General"

    edit_workbook(book, plain)
    code, problems = check_json(form_data, FORM_YEAR)
    assert code == EXIT_BAD_INPUT
    assert any(p["sheet"] == "绩效指标" and p["row"] == 4 and p["column"] == "实际完成值"
               and "97%" in p["reason"] and "0.97%" in p["reason"] for p in problems), problems
    summary = cli("summary", "--year", FORM_YEAR, "--data-dir", str(form_data))
    assert summary.exit_code == EXIT_BAD_INPUT and "实际完成值" in summary.stderr


@pytest.mark.parametrize("rate", ["95", 95, "95.6", "0.956", 0.956, "1", 1.026],
                         ids=["text-95", "number-95", "text-95.6", "text-0.956", "number-0.956", "text-1", "over-1"])
def test_a_bare_stated_rate_is_ambiguous(rate: Any) -> None:
    """执行率 95 was read as 9500% and 0.956 as 95.6% whatever the form showed: a bare rate is refused."""
    with pytest.raises(targets.TargetError, match=r"执行率 .* has no %: is it .*% or .*%\? Write the %"):
        targets.parse_rate(rate)


@pytest.mark.parametrize(("rate", "expected"), [("95.6%", "0.956"), ("95.6％", "0.956"), ("0%", "0"), (0, "0"),
                                                ("102.6%", "1.026")])
def test_a_stated_rate_with_its_percent_is_read(rate: Any, expected: str) -> None:
    from decimal import Decimal

    assert targets.parse_rate(rate) == Decimal(expected)


def test_a_rate_read_without_its_cell_format_is_read_as_excel_stores_it() -> None:
    from decimal import Decimal

    # the filed-form reader (review) gets a percentage cell's stored number: 0.956 shown as 95.6%
    assert targets.parse_rate(0.956, bare_fraction=True) == Decimal("0.956")


@pytest.mark.parametrize(("value", "fmt", "readings"),
                         [(0.956, "General", ("0.956%", "95.6%")), (95.6, "General", ("95.6%", "9560%")),
                          ("0.956", "@", ("0.956%", "95.6%"))],
                         ids=["fraction-number", "percent-number", "fraction-text"])
def test_a_bare_stated_rate_in_the_form_is_a_located_refusal(form_data: Path, value: Any, fmt: str,
                                                             readings: tuple[str, str]) -> None:
    book = next((form_data / "raw" / FORM_FUND / FORM_YEAR).glob("*.xlsx"))

    def bare(wb: Workbook) -> None:
        wb["资金来源"]["F3"].value = value
        wb["资金来源"]["F3"].number_format = fmt

    edit_workbook(book, bare)
    code, problems = check_json(form_data, FORM_YEAR)
    assert code == EXIT_BAD_INPUT
    assert any(p["sheet"] == "资金来源" and p["row"] == 3 and p["column"] == "执行率"
               and all(r in p["reason"] for r in readings) for p in problems), problems
    summary = cli("summary", "--year", FORM_YEAR, "--data-dir", str(form_data))
    assert summary.exit_code == EXIT_BAD_INPUT and "执行率" in summary.stderr


def test_a_stated_rate_formatted_as_a_percentage_is_read_as_shown(form_data: Path) -> None:
    """0.956 in a cell formatted 0.0% is what the form shows: 95.6%."""
    book = next((form_data / "raw" / FORM_FUND / FORM_YEAR).glob("*.xlsx"))

    def formatted(wb: Workbook) -> None:
        wb["资金来源"]["F3"].value = 0.956
        wb["资金来源"]["F3"].number_format = "0.0%"

    edit_workbook(book, formatted)
    code, problems = check_json(form_data, FORM_YEAR)
    assert code == EXIT_OK, problems
    assert cli("clean", "--year", FORM_YEAR, "--data-dir", str(form_data)).exit_code == EXIT_OK
    money = pd.read_csv(form_data / "processed" / FORM_FUND / FORM_YEAR / "money_sources.csv", dtype=str)
    assert "95.6%" in set(money["stated_rate"].dropna())


# ================================================================== budget phases below zero


def phases(initial: Any, adjustment: Any, sheet: str = "专项资金") -> Callable[[Workbook], None]:
    """Give the budget as 年初预算数 and 调整数 instead of 预算金额 (first data row of ``sheet``)."""
    def fn(wb: Workbook) -> None:
        ws = wb[sheet]
        heads = [c.value for c in ws[1]]
        if "预算金额" in heads:
            ws.cell(2, heads.index("预算金额") + 1).value = None
        for header, value in (("年初预算数", initial), ("调整数", adjustment)):
            col = heads.index(header) + 1 if header in heads else ws.max_column + 1
            if header not in heads:
                ws.cell(1, col, header)
                heads.append(header)
            ws.cell(2, col, value)

    return fn


def test_an_adjustment_below_the_initial_budget_is_refused_by_every_command(case: Case) -> None:  # noqa: F811
    edit(case, phases("1000万元", "-2000万元"))
    assert_rejected(case, Expect("is below zero", "专项资金", 2, "调整数"))
    for cmd in ("summary", "charts"):
        done = cli(cmd, "--year", YEAR, "--data-dir", str(case.data), "--out-dir", str(case.out)) \
            if cmd == "charts" else cli(cmd, "--year", YEAR, "--data-dir", str(case.data))
        assert done.exit_code == EXIT_BAD_INPUT, (cmd, done.output)
        assert "Internal error" not in done.output and "调整数" in done.stderr


def test_an_adjustment_to_exactly_zero_builds(data: Path) -> None:
    edit_workbook(workbook_path(data), phases("1000万元", "-1000万元"))
    assert check_json(data)[0] == EXIT_OK
    done = cli("summary", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK, done.output
    s = json.loads(done.stdout)
    assert s["budget_yuan"] == 0 and s["utilisation"] is None


def test_a_part_adjusted_below_zero_is_refused(data: Path) -> None:
    edit_workbook(workbook_path(data), phases("100万元", "-150万元", sheet="资金组成"))
    code, problems = check_json(data)
    assert code == EXIT_BAD_INPUT
    assert any(p["sheet"] == "资金组成" and p["row"] == 2 and p["column"] == "调整数" and "below zero" in p["reason"]
               for p in problems), problems


# ================================================================== names


@pytest.mark.parametrize(("a", "b"), [
    ("CCTV常州", "\u0421\u0421TV常州"),          # Cyrillic С С
    ("ABC传媒", "\u0391\u0392C传媒"),             # Greek Α Β
    ("常州日报", "常州日报\u2066"),               # a bidi isolate
    ("常州日报", "\u202e常州日报\u202c"),         # right-to-left override
    ("Xinhua", "Xinhu\u0430"),                   # Cyrillic а at the end
    ("ｅ-Port", "e-P\u043ert"),                 # full width and Cyrillic о
], ids=["cyrillic", "greek", "bidi-isolate", "rtl-override", "cyrillic-a", "fullwidth-and-cyrillic"])
def test_look_alike_names_are_one_name(a: str, b: str) -> None:
    assert clean.name_key(a) == clean.name_key(b)
    keys = clean.name_keys(pd.Series([a, b]))
    assert keys.iloc[0] == keys.iloc[1] == clean.name_key(a)


def test_different_names_stay_different() -> None:
    assert clean.name_key("常州日报") != clean.name_key("常州晚报")
    assert clean.name_key("B站") != clean.name_key("8站")


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="ACEOPTXaceopxyСЕОРТАсеорхуαοι常州报（）() \u200b\u2066\u2069\u202e", min_size=1,
               max_size=16))
def test_name_keys_in_columns_agree_with_name_key(name: str) -> None:
    assert clean.name_keys(pd.Series([name])).iloc[0] == clean.name_key(name)


def test_two_outlets_that_look_identical_are_a_located_duplicate(case: Case) -> None:  # noqa: F811
    def rename(wb: Workbook) -> None:
        ws = wb["媒体单位"]
        ws["A2"], ws["A3"] = "CCTV常州", "\u0421\u0421TV常州"

    edit(case, rename)
    problems = assert_rejected(case, Expect("duplicated row", "媒体单位", 3), commands=("clean",))
    assert any("CYRILLIC CAPITAL LETTER ES" in p["reason"] for p in problems), problems


# ================================================================== inputs stay inside


def _outside(tmp_path: Path) -> Path:
    other = tmp_path / "elsewhere"
    other.mkdir()
    return other


def test_a_workbook_linked_from_outside_is_refused_and_not_named(case: Case, tmp_path: Path) -> None:  # noqa: F811
    book = case.workbook
    target = _outside(tmp_path) / "secret-place" / WB
    target.parent.mkdir()
    shutil.move(book, target)
    book.symlink_to(target)
    problems = assert_rejected(case, Expect("leads outside the data folder", file=WB), exact=True)
    assert all("secret-place" not in json.dumps(p, ensure_ascii=False) for p in problems)


def test_a_csv_sheet_linked_to_a_system_file_is_never_read(case: Case, tmp_path: Path) -> None:  # noqa: F811
    secret = _outside(tmp_path) / "passwd"
    secret.write_text("root:x:0:0:SECRET-LINE-1\n单位,项目名称,来源\nSECRET-LINE-2,a,b\n", encoding="utf-8")
    (case.workbook.parent / "宣传项目.csv").symlink_to(secret)
    done = cli("check", "--year", YEAR, "--data-dir", str(case.data))
    assert done.exit_code == EXIT_BAD_INPUT
    assert "宣传项目.csv" in done.stderr and "leads outside the data folder" in done.stderr
    assert "SECRET" not in done.output and str(secret) not in done.output


def test_a_year_folder_linked_from_outside_is_refused(case: Case, tmp_path: Path) -> None:  # noqa: F811
    year = case.workbook.parent
    moved = _outside(tmp_path) / "year"
    shutil.move(year, moved)
    year.symlink_to(moved, target_is_directory=True)
    code, problems = check_json(case.data)
    assert code == EXIT_BAD_INPUT
    assert [p["file"] for p in problems] == [WB] and "leads outside" in problems[0]["reason"]


def test_a_link_inside_the_data_folder_is_read(data: Path) -> None:
    book = workbook_path(data)
    keep = data / "archive" / WB
    keep.parent.mkdir()
    shutil.move(book, keep)
    book.symlink_to(keep)
    assert check_json(data)[0] == EXIT_OK


def test_a_long_value_is_quoted_as_an_excerpt(case: Case) -> None:  # noqa: F811
    junk = "玖" * 3000 + "万元"
    edit(case, set_media_amount(junk))
    problems = assert_rejected(case, Expect("amount", "媒体单位", 2, "金额"), commands=("clean",))
    for p in problems:
        assert len(p["value"] or "") <= EXCERPT_CHARS + 30 and junk not in p["reason"], p
    done = cli("check", "--year", YEAR, "--data-dir", str(case.data))
    assert "玖" * (EXCERPT_CHARS + 1) not in done.stderr and "(3004 characters)" in done.stderr


# ================================================================== the snapshot


def test_the_snapshot_digest_is_the_input_digest_of_unchanged_files(data: Path) -> None:
    snap = inputs.snapshot_year(data, FUND, 2019)
    assert snap.digest == digests.input_digest(data, FUND, 2019)
    assert [p.name for p, _ in snap.files] == [WB]


def test_every_parse_of_a_workbook_reads_the_bytes_given(data: Path) -> None:
    """Values and number formats come from one version: the bytes read, not the file saved since."""
    def amount(value: float, fmt: str) -> Callable[[Workbook], None]:
        def fn(wb: Workbook) -> None:
            wb["媒体单位"]["C2"] = value
            wb["媒体单位"]["C2"].number_format = fmt
        return fn

    book = workbook_path(data)
    edit_workbook(book, amount(719000, '#,##0"元"'))
    first = book.read_bytes()
    edit_workbook(book, amount(71.9, '0.0"万元"'))
    sheet = xlsx.read_workbook(book, first)["媒体单位"]
    assert sheet.rows[1][2] == 719000 and sheet.cell_formats["C2"].unit == "元"
    now = xlsx.read_workbook(book)["媒体单位"]
    assert now.rows[1][2] == 71.9 and now.cell_formats["C2"].unit == "万元"


def test_processed_tables_are_stamped_with_what_was_read(data: Path) -> None:
    done = cli("clean", "--year", YEAR, "--data-dir", str(data))
    assert done.exit_code == EXIT_OK
    made = json.loads((data / "processed" / FUND / YEAR / "made-from.json").read_text(encoding="utf-8"))
    assert made["input_digest"] == inputs.snapshot_year(data, FUND, 2019).digest
    edit_workbook(workbook_path(data), set_media_amount("55.5万元"))
    s = json.loads(cli("summary", "--year", YEAR, "--data-dir", str(data)).stdout)
    assert media_amount(data) == 55_500_000 and s["spent_yuan"] is not None


@pytest.mark.slow
def test_tables_read_while_the_workbook_is_saved_carry_the_digest_of_their_own_version(data: Path) -> None:
    """Saved over and over while it is read, the workbook gives tables whose digest is that of the
    very version they show, or a refusal saying it changed: never one version's tables stamped with
    another's digest."""
    from fundanalysis.ingest.load import CHANGED_WHILE_READ, process_year

    book = workbook_path(data)
    versions = {wan: _budget_version(book, wan) for wan in ("1000", "1001", "1002.5")}
    salt = digests.input_salt()
    by_digest = {digests.bytes_digest([(WB, b)], salt): round(float(w) * 1_000_000) for w, b in versions.items()}
    stop = threading.Event()

    def saver() -> None:
        i = 0
        while not stop.is_set():
            _save(book, list(versions.values())[i % 3], in_place=i % 2 == 0)
            i += 1
            time.sleep(0.01 * (i % 5))

    thread = threading.Thread(target=saver)
    thread.start()
    seen = {"read": 0, "refused": 0}
    try:
        for _ in range(6):
            try:
                parsed = process_year(data, 2019, FUND)
            except InputError as exc:
                # a half-saved file may also be refused as damaged, located like any bad workbook
                assert all(p.file == WB for p in exc.problems), exc.problems
                seen["refused"] += any(CHANGED_WHILE_READ in p.reason for p in exc.problems)
                continue
            seen["read"] += 1
            assert parsed.digest in by_digest
            assert int(parsed.tables["fund"]["budget_fen"].iloc[0]) == by_digest[parsed.digest]
    finally:
        stop.set()
        thread.join()
    assert sum(seen.values()) > 0, seen


# ================================================================== report texts


def test_control_characters_in_a_text_report_are_dropped_with_a_note(tmp_path: Path) -> None:
    src = (FIXTURES_DIR / "extract" / "county-sme-2021.txt").read_text(encoding="utf-8")
    path = tmp_path / "report.txt"
    path.write_text("\x00" + src.replace("\n", "\x0b", 3) + "\x1b[2J\x7f", encoding="utf-8")
    got = reports.read_report(path)
    assert not any(c in got.text for c in "\x00\x0b\x1b\x7f")
    assert any("control character" in n for n in got.notes)
    assert "[2J" in got.text  # the rest of the escape sequence is text


def test_extract_reads_a_report_with_control_characters(tmp_path: Path) -> None:
    src = (FIXTURES_DIR / "extract" / "county-sme-2021.txt").read_text(encoding="utf-8")
    path = tmp_path / "county-sme-2021.txt"
    path.write_text(src.replace("。", "。\x00", 5).replace("\n", "\x0b\n", 5) + "\x1b", encoding="utf-8")
    done = cli("extract", str(path), "--fund", "synthetic-county", "--year", "2021",
               "--data-dir", str(tmp_path / "data"), "--out-dir", str(tmp_path / "out"))
    assert done.exit_code in (EXIT_OK, EXIT_BAD_INPUT), done.output
    assert "Internal error" not in done.output


def test_a_text_beyond_the_budget_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("专项资金" * (reports.MAX_REPORT_CHARS // 4 + 1), encoding="utf-8")
    with pytest.raises(InputError, match="more than 500,000 characters"):
        reports.read_report(path)


def test_extraction_beyond_its_time_budget_stops_with_a_message(tmp_path: Path) -> None:
    """Extraction time grows faster than the text: past its budget it stops with a located message."""
    from fundanalysis.extract.engine import extract

    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((FIXTURES_DIR / "extract").glob("*.txt")))
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"took more than 0\.5 seconds") as caught, \
            reports.time_budget(tmp_path / "compilation.txt", 0.5):
        extract(text * 40)
    assert time.perf_counter() - started < 5
    assert caught.value.problems[0].file.endswith("compilation.txt")
    with reports.time_budget(tmp_path / "report.txt", 30):
        assert any(extract(text).sheets.values())  # within the budget: nothing changes


# ================================================================== nested scoring policies


@pytest.mark.parametrize(("text", "line"), [
    ("[time]\nlate_month_deduction = 0.2\nx = " + "[" * 200 + "]" * 200 + "\n", 3),
    ("x = " + "{a = " * 60 + "1" + "}" * 60 + "\n", 1),
    (".".join(f"k{i}" for i in range(40)) + " = 1\n", 1),
    ("x = " + "[\n" * 5000 + "]\n" * 5000, None),
], ids=["deep-array", "deep-inline-tables", "long-dotted-key", "deep-across-lines"])
def test_a_deeply_nested_policy_is_a_located_refusal(form_data: Path, text: str, line: int | None) -> None:
    (form_data / "raw" / FORM_FUND / "scoring.toml").write_text(text, encoding="utf-8")
    code, problems = check_json(form_data, FORM_YEAR)
    assert code == EXIT_BAD_INPUT
    assert any(p["file"].endswith("scoring.toml") and "deep" in p["reason"] and p["row"] == line
               for p in problems), problems
    done = cli("summary", "--year", FORM_YEAR, "--data-dir", str(form_data))
    assert done.exit_code == EXIT_BAD_INPUT and "Internal error" not in done.output


# ================================================================== saves during builds


def _budget_version(book: Path, wan: str) -> bytes:
    wb = openpyxl.load_workbook(book)
    wb["专项资金"]["F2"] = f"{wan} 万元"
    out = book.with_name(f".v-{wan}.tmp")
    wb.save(out)
    data = out.read_bytes()
    out.unlink()
    return data


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("FUNDANALYSIS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "fundanalysis.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def race(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A project with one report notebook (the overview: a build of a few seconds), built once."""
    root = tmp_path_factory.mktemp("race")
    shutil.copytree(REPO_DATA_DIR / "raw" / FUND / YEAR, root / "data" / "raw" / FUND / YEAR)
    nbs = root / "notebooks"
    nbs.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "notebooks" / "reports" / "10-fund-overview.ipynb", nbs)
    book = workbook_path(root / "data")
    versions = {w: _budget_version(book, w) for w in ("1000", "1001", "1002.5", "999")}
    args = ("report", "--year", YEAR, "--data-dir", str(root / "data"), "--out-dir", str(root / "out"),
            "--notebooks-dir", str(nbs), "--jobs", "1")
    t0 = time.perf_counter()
    done = _run(*args)
    assert done.returncode == EXIT_OK, done.stderr
    return {"root": root, "book": book, "versions": versions, "args": args, "seconds": time.perf_counter() - t0}


def _save(book: Path, data: bytes, in_place: bool) -> None:
    """Save as an editor does: over the file (in place) or by writing a new one and renaming it."""
    if in_place:
        with open(book, "r+b") as fh:
            fh.truncate(0)
            fh.write(data)
    else:
        tmp = book.with_name(f".~{book.name}")
        tmp.write_bytes(data)
        os.replace(tmp, book)


@pytest.mark.slow
@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(saves=st.lists(st.tuples(st.floats(0.0, 1.0), st.sampled_from(["1001", "1002.5", "999", "1000"]),
                                st.booleans()), min_size=1, max_size=2))
def test_saves_during_a_build_publish_the_last_saved_workbook(race: dict[str, Any],
                                                              saves: list[tuple[float, str, bool]]) -> None:
    """Whenever the workbook is saved during a build, what is finally published and what ``summary``
    prints are the last saved workbook's figures, and ``report`` never calls older content up to date."""
    book, args = race["book"], race["args"]
    span = max(race["seconds"], 2.0) / 2  # the first half of a build: where it reads and publishes

    def saver() -> None:
        for fraction, version, in_place in saves:
            time.sleep(fraction * span / len(saves))
            _save(book, race["versions"][version], in_place)

    thread = threading.Thread(target=saver)
    thread.start()
    first = _run(*args)
    thread.join()
    assert first.returncode in (EXIT_OK, 1), first.stderr
    assert "Internal error" not in first.stderr
    last = float(saves[-1][1])
    want = round(last * 10_000)
    for _ in range(3):  # the next report repairs whatever a race left, and says up to date only then
        again = _run(*args)
        assert again.returncode == EXIT_OK, again.stderr
        if "up to date" in again.stderr:
            break
    published = json.loads((race["root"] / "out" / FUND / YEAR / "summary.json").read_text(encoding="utf-8"))
    printed = json.loads(_run("summary", "--year", YEAR, "--data-dir", str(race["root"] / "data")).stdout)
    assert published["budget_yuan"] == printed["budget_yuan"] == want, (saves, published["budget_yuan"])
    html = (race["root"] / "out" / FUND / YEAR / "10-fund-overview.html").read_text(encoding="utf-8")
    assert f"{last:g}" in html.replace(",", ""), saves
