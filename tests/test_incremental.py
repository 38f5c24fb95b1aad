"""Incremental builds: after an edit, only what depends on it is run again, and the result is the
same report a full build makes.

Each section's inputs (the tables it reads, its notebook, the code; for the overview also the other
years' key figures) are hashed into ``build.json``; a section whose hash is unchanged is reused
from the published version. These tests edit one cell, one notebook, and compare the incremental
result with a ``--force`` build of the same input, page by page.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import CLI, FUND, ROOT, edit_workbook, find_cell, make_data_dir, raw_year

pytestmark = pytest.mark.slow

NOTEBOOKS = ROOT / "notebooks" / "reports"
#: What differs between two builds of the same input: the embedded font subset (made from the
#: characters of all of a year's pages), cell ids and the build time in the footer.
VOLATILE = re.compile(r"<style>@font-face.*?</style>|cell-id=[0-9a-f-]+|于 [0-9T:+-]+ 生成", re.S)


def report(data: Path, out: Path, *args: str) -> str:
    proc = subprocess.run([str(CLI), "report", "--data-dir", str(data), "--out-dir", str(out), *args],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def record(out: Path, year: int) -> dict:
    return json.loads((out / FUND / str(year) / "build.json").read_text(encoding="utf-8"))


def pages(out: Path, year: int) -> dict[str, str]:
    folder = out / FUND / str(year)
    return {p.name: VOLATILE.sub("", p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.html"))}


def charts(out: Path, year: int) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / FUND / str(year) / "charts").glob("*.png"))}


@pytest.fixture
def first_build(tmp_path: Path) -> dict[str, Path]:
    """2019 (shipped) and 2020 (fixture) built once, in this test's own folder (a section's inputs
    include where its data lives, so a copy elsewhere would rebuild everything)."""
    data = make_data_dir(tmp_path / "data")
    out = tmp_path / "outputs"
    report(data, out)
    return {"data": data, "out": out}


def test_sections_record_their_input_hashes(first_build: dict[str, Path]) -> None:
    rec = record(first_build["out"], 2019)
    assert rec["sections"] and rec["rebuilt"] == sorted(rec["sections"]) and rec["reused"] == []
    for slug, s in rec["sections"].items():
        assert re.fullmatch(r"[0-9a-f]{64}", s["inputs"]), slug
        assert s["how"] == "run" and s["files"], slug
        assert 0 < s["ran"] <= s["seconds"], slug  # its notebook's own time, without the wait for a slot
        assert "fund" in s["reads"], slug  # every page names the fund
    assert "media_outlets" in rec["sections"]["30-media-spending"]["reads"]
    assert "media_outlets" not in rec["sections"]["40-rankings"]["reads"]


def test_one_cell_rebuilds_only_what_depends_on_it(first_build: dict[str, Path], tmp_path: Path) -> None:
    data, out = first_build["data"], first_build["out"]
    book = next(raw_year(data, 2020).glob("*.xlsx"))

    def edit(wb: object) -> None:
        ws = wb["媒体单位"]  # type: ignore[index]
        cell = ws[find_cell(ws, "金额", str(ws.cell(2, 1).value))]
        number = re.match(r"[0-9.]+", str(cell.value).replace(",", ""))
        assert number, cell.value
        cell.value = f"{float(number.group()) + 1:g}{str(cell.value).replace(',', '')[number.end():]}"

    stored = set((out / ".cache" / "charts").glob("*.png"))
    extras_2019 = record(out, 2019)["extras"]
    edit_workbook(book, edit)
    log = report(data, out)
    r2020, r2019 = record(out, 2020), record(out, 2019)
    # charts are drawn again only where a table they read changed: 2020's that read the media
    # outlets (page and phone variant); 2019's overview charts come from the cache
    from fundanalysis.ingest.load import load_tables
    from fundanalysis.present import charts as chart_specs
    from fundanalysis.present.charts import cache

    reading_media = 0
    for spec in chart_specs.chart_specs(load_tables(data, 2020, FUND)):
        seen = cache._Recording(spec.make.args[0])
        spec.make.func(seen, *spec.make.args[1:], **spec.make.keywords)
        reading_media += "media_outlets" in seen.names
    drawn = set((out / ".cache" / "charts").glob("*.png")) - stored
    assert reading_media and len(drawn) == 2 * reading_media, (reading_media, len(drawn))
    assert "30-media-spending" in r2020["rebuilt"] and "10-fund-overview" in r2020["rebuilt"]
    assert "40-rankings" in r2020["reused"], log
    assert set(r2020["rebuilt"]) | set(r2020["reused"]) == set(r2020["sections"])
    # the other year: only its year-over-year table (in the overview) depends on 2020
    assert r2019["rebuilt"] == ["10-fund-overview"], log
    # its summary and workbooks are made from its own tables: copied, the very same bytes
    assert r2019["extras"]["how"] == "reused" and r2019["extras"]["files"] == extras_2019["files"]
    assert len(extras_2019["files"]) >= 2 and r2020["extras"]["how"] == "made"
    for name, sha in extras_2019["files"].items():
        assert hashlib.sha256((out / FUND / "2019" / name).read_bytes()).hexdigest() == sha, name
    assert "reused" in log

    # the same input built from scratch gives the same pages and charts
    full = tmp_path / "full"
    report(data, full, "--force")
    for year in (2019, 2020):
        assert pages(out, year) == pages(full, year), year
        assert charts(out, year) == charts(full, year), year
    index = json.loads((out / FUND / "2020" / "summary.json").read_text(encoding="utf-8"))
    again = json.loads((full / FUND / "2020" / "summary.json").read_text(encoding="utf-8"))
    assert index.pop("built_at") <= again.pop("built_at")  # each build says when it ran
    assert index == again


def test_a_notebook_change_rebuilds_that_section(first_build: dict[str, Path], tmp_path: Path) -> None:
    data, out = first_build["data"], first_build["out"]
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, notebooks)
    report(data, out, "--year", "2019", "--notebooks-dir", str(notebooks), "--force")
    nb_path = notebooks / "40-rankings.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("注：本节由分析人员补充说明。"))
    nbformat.write(nb, nb_path)
    report(data, out, "--year", "2019", "--notebooks-dir", str(notebooks))
    rec = record(out, 2019)
    assert rec["rebuilt"] == ["40-rankings"]
    assert "注：本节由分析人员补充说明。" in (out / FUND / "2019" / "40-rankings.html").read_text(encoding="utf-8")


def test_a_changed_published_section_is_run_again(first_build: dict[str, Path], tmp_path: Path) -> None:
    """Only the very bytes a build recorded are reused: a section body changed since is made again."""
    data, out = first_build["data"], first_build["out"]
    fragment = out / FUND / "2019" / "notebooks" / "40-rankings.html-fragment"
    fragment.write_text(fragment.read_text(encoding="utf-8") + "<p>手工改动</p>", encoding="utf-8")
    summary = out / FUND / "2019" / "summary.json"
    summary.write_text(summary.read_text(encoding="utf-8").replace("{", '{"手工": 1, ', 1), encoding="utf-8")
    book = next(raw_year(data, 2019).glob("*.xlsx"))
    edit_workbook(book, lambda wb: None)  # saved again: the same tables, other bytes
    report(data, out, "--year", "2019")
    rec = record(out, 2019)
    assert "40-rankings" in rec["rebuilt"] and "20-award-categories" in rec["reused"]
    assert "手工改动" not in (out / FUND / "2019" / "40-rankings.html").read_text(encoding="utf-8")
    assert rec["extras"]["how"] == "made" and "手工" not in json.loads(summary.read_text(encoding="utf-8"))


def test_watch_rebuilds_on_save_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import signal
    import time

    data = make_data_dir(tmp_path / "data", years=("2019",))
    out = tmp_path / "outputs"
    proc = subprocess.Popen([str(CLI), "report", "--data-dir", str(data), "--out-dir", str(out), "--watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def wait_for(text: str, count: int) -> None:
        deadline = time.monotonic() + 300
        while sum(text in line for line in lines) < count:
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            line = proc.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)

    try:
        wait_for("watching for changes", 1)
        book = next(raw_year(data, 2019).glob("*.xlsx"))

        def edit(wb: object) -> None:
            ws = wb["排名与成果"]  # type: ignore[index]
            ws[find_cell(ws, "备注", str(ws.cell(2, 1).value))].value = "分析人员补注"

        edit_workbook(book, edit)
        wait_for("watching for changes", 2)
        assert "分析人员补注" in (out / FUND / "2019" / "40-rankings.html").read_text(encoding="utf-8")
        assert record(out, 2019)["reused"], "".join(lines)  # the sections that do not show ranks
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
    assert "Traceback" not in "".join(lines) + rest
    assert not list((out / FUND).glob(".staging-*"))
