"""The console command's end (:func:`fundanalysis.cli.run`): statuses as Python gives them, output whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fundanalysis.cli import exit_status

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (2, 2), (3, 3), (True, 1), (256 + 4, 4)])
def test_exit_status_as_python_gives_it(code: object, status: int) -> None:
    assert exit_status(code) == status


def test_exit_status_of_a_message_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status("stopped: disk full") == 1
    assert capsys.readouterr().err == "stopped: disk full\n"


def test_console_script_is_run() -> None:
    """The installed ``fundanalysis`` command goes through ``run`` (pyproject names it)."""
    exe = Path(sys.executable).with_name("fundanalysis")
    assert "from fundanalysis.cli import run" in exe.read_text(encoding="utf-8")


def test_console_script_output_is_whole_through_a_pipe(data_2019: Path) -> None:
    """``summary`` to a pipe: the whole JSON arrives, status 0."""
    exe = Path(sys.executable).with_name("fundanalysis")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([str(exe), "summary", "--year", "2019", "--data-dir", str(data_2019)],
                          capture_output=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.decode("utf-8"))
    assert summary["year"] == 2019 and summary["fund_name"]
