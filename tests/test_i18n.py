"""The command line in Chinese where the locale is Chinese, English otherwise (issue 30).

The catalogue must translate every message the package marks, every command's help and click's
own messages, and its ``.mo`` must be its ``.po`` compiled. The language is checked by running the
installed command under different environments (the tests themselves run without a Chinese locale).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import edit_workbook, find_cell, workbook_path
from openpyxl import Workbook

from fundanalysis.config import EXIT_BAD_INPUT
from fundanalysis.errors import Problem
from tests import catalogue

CLI = Path(sys.executable).parent / "fundanalysis"
#: The variables that choose the language; each test sets its own.
LANGUAGE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "FUNDANALYSIS_LANG")


def _env(**chosen: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARS}
    return {**env, **chosen}


def _run(*args: str, **chosen: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=_env(**chosen), timeout=300,
                          encoding="utf-8")


# ------------------------------------------------------------------ the catalogue


def test_every_marked_message_has_a_translation() -> None:
    po = catalogue.read_catalogue()
    wanted = catalogue.wanted()
    assert len(wanted) > 150  # the package's, the commands' help and click's
    untranslated = []
    for message, where in wanted.items():
        entry = po.get(message)
        strings = [] if entry is None else [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if not strings or not all(strings):
            untranslated.append(f"{where}: {message!r}")
    assert not untranslated, "python -m tests.catalogue update, then translate:\n" + "\n".join(untranslated)


def test_the_catalogue_holds_no_message_that_is_no_longer_used() -> None:
    wanted = catalogue.wanted()
    stale = [m.id for m in catalogue.read_catalogue() if m.id and m.id not in wanted]
    assert not stale, stale


def test_the_mo_is_the_po_compiled() -> None:
    assert catalogue.MO.read_bytes() == catalogue.compiled(catalogue.read_catalogue()), \
        "the .mo is older than the .po: python -m tests.catalogue compile"


def test_translations_keep_the_placeholders_of_their_message() -> None:
    import re

    field = re.compile(r"\{[^{}]*\}|%\([a-z]+\)s")
    for entry in catalogue.read_catalogue():
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        allowed = {f for i in ids for f in field.findall(i)}
        for s in strings:
            assert set(field.findall(s)) <= allowed, (entry.id, s)


# ------------------------------------------------------------------ the language


def test_help_is_chinese_under_a_chinese_locale() -> None:
    top = _run("--help", LANG="zh_CN.UTF-8")
    assert top.returncode == 0, top.stderr
    for words in ("用法:", "选项:", "命令:", "显示此帮助并退出。", "检查原始输入，一次列出全部问题"):
        assert words in top.stdout, (words, top.stdout)
    assert "Usage:" not in top.stdout and "Show this message" not in top.stdout
    sub = _run("check", "--help", LANG="zh_CN.UTF-8")
    assert sub.returncode == 0, sub.stderr
    for words in ("报告年度。", "必填", "默认：data", "以 JSON 输出问题。"):
        assert words in sub.stdout, (words, sub.stdout)


def test_help_is_english_without_a_chinese_locale() -> None:
    for env in ({"LANG": "C"}, {}, {"LANG": "en_US.UTF-8"}, {"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}):
        top = _run("--help", **env)
        assert top.returncode == 0, top.stderr
        assert "Usage:" in top.stdout and "Show this message and exit." in top.stdout, env
        assert "Validate the raw input" in top.stdout and "用法" not in top.stdout, env


def test_the_override_wins_over_the_locale() -> None:
    zh = _run("check", "--help", LANG="C", FUNDANALYSIS_LANG="zh")
    assert "用法:" in zh.stdout and "报告年度。" in zh.stdout
    en = _run("check", "--help", LANG="zh_CN.UTF-8", FUNDANALYSIS_LANG="en")
    assert "Usage:" in en.stdout and "Report year." in en.stdout and "报告年度" not in en.stdout
    listed = _run("--help", LANG="C", LANGUAGE="zh_CN:en")  # LANGUAGE comes first, as in GNU programs
    assert "用法:" in listed.stdout


def test_click_errors_are_chinese_and_keep_their_exit_code() -> None:
    proc = _run("check", "--bogus", LANG="zh_CN.UTF-8")
    assert proc.returncode == 2
    assert "错误：没有选项 '--bogus'。" in proc.stderr and "查看帮助" in proc.stderr, proc.stderr
    missing = _run("check", LANG="zh_CN.UTF-8")
    assert missing.returncode == 2 and "错误：缺少选项 '--year'" in missing.stderr, missing.stderr


def _junk_amount(wb: Workbook) -> None:
    ws = wb["奖励类别"]
    ws[find_cell(ws, "奖励金额", "工业互联网平台")] = "7x万元"


@pytest.mark.slow
def test_a_located_refusal_is_said_in_chinese_with_the_same_exit_code(data_2019: Path) -> None:
    edit_workbook(workbook_path(data_2019), _junk_amount)
    zh = _run("check", "--year", "2019", "--data-dir", str(data_2019), LANG="zh_CN.UTF-8")
    assert zh.returncode == EXIT_BAD_INPUT, zh.stderr
    assert zh.stderr.startswith("输入有误：共 1 个问题；未写入任何文件。"), zh.stderr
    line = zh.stderr.splitlines()[1]
    assert line.startswith("  - 文件 ") and "fund-2019.xlsx" in line, line
    for frame in ("，工作表 '奖励类别'", "，列 '奖励金额'", "，值 '7x万元'", "；原因："):
        assert frame in line, (frame, line)
    assert "第 " in line and " 行，" in line, line
    en = _run("check", "--year", "2019", "--data-dir", str(data_2019), LANG="C")
    assert en.returncode == EXIT_BAD_INPUT
    assert en.stderr.startswith("Bad input: 1 problem(s); nothing was written.")
    assert "sheet '奖励类别', row " in en.stderr and "column '奖励金额', value '7x万元': " in en.stderr


def test_a_marked_reason_is_translated_and_json_stays_english(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    zh = _run("check", "--year", "2019", "--data-dir", str(missing), FUNDANALYSIS_LANG="zh")
    assert zh.returncode == EXIT_BAD_INPUT
    assert f"  - 文件 {missing}；原因：数据文件夹不存在" in zh.stderr, zh.stderr
    as_json = _run("check", "--year", "2019", "--data-dir", str(missing), "--json", FUNDANALYSIS_LANG="zh")
    assert as_json.returncode == EXIT_BAD_INPUT and '"reason": "data folder does not exist"' in as_json.stdout


def test_a_problem_reads_as_before_in_english() -> None:
    p = Problem("fund-2019.xlsx", "奖励类别", 7, "奖励金额", "7x万元", "not an amount")
    assert str(p) == "fund-2019.xlsx, sheet '奖励类别', row 7, column '奖励金额', value '7x万元': not an amount"
    line = Problem("t.csv", None, 3, None, None, "bad", row_kind="line")
    assert str(line) == "t.csv, line 3: bad"


@pytest.mark.slow
def test_the_build_log_holds_what_the_user_was_told_in_their_language(data_2019: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _run("report", "--year", "2019", "--data-dir", str(data_2019), "--out-dir", str(out),
                FUNDANALYSIS_LANG="zh")
    assert done.returncode == 0, done.stderr
    assert "已发布" in done.stderr  # told on the terminal ...
    (log,) = sorted((out / "logs").glob("build-*.log"))
    text = log.read_text(encoding="utf-8")
    told = [line for line in done.stderr.splitlines() if "已发布" in line]
    assert told and all(line in text for line in told)  # ... and the same lines, in Chinese, in the log
