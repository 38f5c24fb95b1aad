"""The console command's quick end (:func:`fundanalysis.cli.run`): the interpreter's teardown is
skipped, but nothing it would have done for the user is: statuses, exit handlers, threads, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
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


QUICK = textwrap.dedent("""
    import atexit, sys, threading, time
    from pathlib import Path
    from fundanalysis.cli import _quick_exit

    out = Path(sys.argv[1])
    atexit.register(lambda: (out / "atexit").write_text("ran"))

    def late():
        time.sleep(0.3)
        (out / "thread").write_text("joined")

    threading.Thread(target=late).start()  # not a daemon: the interpreter would wait for it
    sys.stdout.write("行" * 200_000)  # left in the buffer, not flushed
    _quick_exit(int(sys.argv[2]))
""")


@pytest.mark.parametrize("code", [0, 3])
def test_quick_exit_joins_threads_runs_exit_handlers_and_flushes(tmp_path: Path, code: int) -> None:
    """What the interpreter's shutdown would have done still happens, and the status is kept."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", QUICK, str(tmp_path), str(code)], capture_output=True,
                          env=env, timeout=60, check=False)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.decode("utf-8") == "行" * 200_000
    assert (tmp_path / "thread").read_text() == "joined"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_console_script_is_the_quick_one() -> None:
    """The installed ``fundanalysis`` command goes through ``run`` (pyproject names it)."""
    exe = Path(sys.executable).with_name("fundanalysis")
    assert "from fundanalysis.cli import run" in exe.read_text(encoding="utf-8")


def test_console_script_output_is_whole_through_a_pipe(data_2019: Path) -> None:
    """``summary`` to a pipe: the whole JSON arrives (flushed before the quick exit), status 0."""
    exe = Path(sys.executable).with_name("fundanalysis")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([str(exe), "summary", "--year", "2019", "--data-dir", str(data_2019)],
                          capture_output=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.decode("utf-8"))
    assert summary["year"] == 2019 and summary["fund_name"]
