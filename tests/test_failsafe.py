"""Builds that fail safely: a failing notebook, a timed-out cell, a dead kernel, a killed
build and two concurrent builds never damage the last published report."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import FUND

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "fundanalysis"

pytestmark = pytest.mark.slow

PARAMS = 'year: int = 2019  # year\ndata_dir: str = "data"  # data\nout_dir: str = "outputs"  # out'


def write_nb(path: Path, *sources: str, title: str = "测试") -> None:
    """A small report notebook: a parameters cell, then the given code cells."""
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    p = nbformat.v4.new_code_cell(PARAMS)
    p.metadata["tags"] = ["parameters"]
    cells.append(p)
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["fundanalysis"] = {"title": title}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def tree_hashes(d: Path) -> dict[str, str]:
    """Hash of every file under a published year (following the published symlink)."""
    d = d.resolve()
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "raw" / FUND / "2019", data / "raw" / FUND / "2019")
    good = tmp_path / "nb-good"
    write_nb(good / "10-ok.ipynb", "print('ok', year)")
    out = tmp_path / "outputs"
    proc = run("report", "--data-dir", str(data), "--out-dir", str(out), "--notebooks-dir", str(good))
    assert proc.returncode == 0, proc.stderr
    return {"data": data, "out": out, "good": good, "tmp": tmp_path}


def build(env: dict[str, Path], nbdir: Path, *extra: str, timeout: int = 300
          ) -> subprocess.CompletedProcess[str]:
    return run("report", "--year", "2019", "--data-dir", str(env["data"]), "--out-dir", str(env["out"]),
               "--notebooks-dir", str(nbdir), "--force", *extra, timeout=timeout)


def test_failing_notebook_keeps_published_report(env: dict[str, Path]) -> None:
    before = tree_hashes(env["out"] / FUND / "2019")
    bad = env["tmp"] / "nb-bad"
    write_nb(bad / "10-ok.ipynb", "print('ok')")
    write_nb(bad / "20-bad.ipynb", "x = 1", "raise ValueError('boom in cell')")
    proc = build(env, bad)
    assert proc.returncode == 1, proc.stderr
    assert "20-bad.ipynb" in proc.stderr and "ValueError" in proc.stderr
    assert "boom in cell" in proc.stderr and "cell 3" in proc.stderr
    assert tree_hashes(env["out"] / FUND / "2019") == before
    kept = list((env["out"] / "failed").glob(f"{FUND}-2019-*/notebooks/20-bad.ipynb"))
    assert kept, "the failed executed notebook is kept for debugging"
    assert not list((env["out"] / FUND).glob(".staging-*"))


def test_timed_out_cell_keeps_published_report(env: dict[str, Path]) -> None:
    before = tree_hashes(env["out"] / FUND / "2019")
    slow = env["tmp"] / "nb-slow"
    write_nb(slow / "10-slow.ipynb", "import time\ntime.sleep(60)")
    proc = build(env, slow, "--timeout", "3")
    assert proc.returncode == 1, proc.stderr
    assert "10-slow.ipynb" in proc.stderr and "timed out" in proc.stderr
    assert "cell 2" in proc.stderr
    assert tree_hashes(env["out"] / FUND / "2019") == before


def test_dead_kernel_keeps_published_report(env: dict[str, Path]) -> None:
    before = tree_hashes(env["out"] / FUND / "2019")
    dead = env["tmp"] / "nb-dead"
    write_nb(dead / "10-dead.ipynb", "import os\nos._exit(1)")
    proc = build(env, dead)
    assert proc.returncode == 1, proc.stderr
    assert "10-dead.ipynb" in proc.stderr and "kernel died" in proc.stderr
    assert "cell 2" in proc.stderr
    assert tree_hashes(env["out"] / FUND / "2019") == before


def test_kill_9_mid_build_leaves_old_or_new_never_a_mix(env: dict[str, Path]) -> None:
    before = tree_hashes(env["out"] / FUND / "2019")
    slow = env["tmp"] / "nb-slow"
    write_nb(slow / "10-slow.ipynb", "import time\ntime.sleep(20)")
    proc = subprocess.Popen([str(CLI), "report", "--year", "2019", "--data-dir", str(env["data"]),
                             "--out-dir", str(env["out"]), "--notebooks-dir", str(slow), "--force"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list((env["out"] / FUND).glob(".staging-2019-*/notebooks/*.ipynb")):
        assert time.monotonic() < deadline, "the build never started executing"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert tree_hashes(env["out"] / FUND / "2019") == before
    # the lock died with the process: a new build runs, cleans the stale staging and publishes
    again = build(env, env["good"])
    assert again.returncode == 0, again.stderr
    assert not list((env["out"] / FUND).glob(".staging-2019-*"))
    assert (env["out"] / FUND / "2019" / "index.html").is_file()


def test_two_concurrent_builds_never_interleave(env: dict[str, Path]) -> None:
    slow = env["tmp"] / "nb-slow"
    release = env["tmp"] / "release"  # the first build holds its lock until the test says so
    write_nb(slow / "10-slow.ipynb", "import pathlib, time\n"
             f"for _ in range(1200):\n    if pathlib.Path({str(release)!r}).exists(): break\n"
             "    time.sleep(0.1)")
    first = subprocess.Popen([str(CLI), "report", "--year", "2019", "--data-dir", str(env["data"]),
                              "--out-dir", str(env["out"]), "--notebooks-dir", str(slow), "--force"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = env["out"] / ".locks" / f"{FUND}-2019.lock"
    deadline = time.monotonic() + 60
    while not list((env["out"] / FUND).glob(".staging-2019-*/notebooks/*.ipynb")):
        assert time.monotonic() < deadline, "the first build never started executing"
        time.sleep(0.1)
    assert lock.read_text().startswith("pid")
    second = build(env, env["good"])
    assert second.returncode == 3, second.stderr
    assert "already running" in second.stderr
    waiting = subprocess.Popen([str(CLI), "report", "--year", "2019", "--data-dir", str(env["data"]),
                                "--out-dir", str(env["out"]), "--notebooks-dir", str(env["good"]), "--force",
                                "--wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the waiting build starts and finds the lock held
    assert waiting.poll() is None
    release.touch()
    first_out = first.communicate(timeout=120)
    assert first.returncode == 0, first_out[1]
    waiting_out = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, waiting_out[1]
    # the waiting build ran after the first and published last: its notebook is the one shown
    assert (env["out"] / FUND / "2019" / "notebooks" / "10-ok.ipynb").is_file()
    assert not (env["out"] / FUND / "2019" / "notebooks" / "10-slow.ipynb").exists()
