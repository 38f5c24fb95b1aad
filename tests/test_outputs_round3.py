"""Issue 27, the output and scheduling side: where the tool may write, the site index rebuilt from
what is published, any output folder name, leftovers and formulas, ``--watch`` across a workbook
that is briefly absent, and scheduled runs that leave a log and a status and tell someone.

Every refusal is checked for its exit code, a message naming the place and the reason, and that
nothing outside the tool's own folders changed (the tree is hashed before and after). The input
used is the shipped 2019 workbook and the synthetic funds of ``tests/fixtures/funds`` (labelled
synthetic there); builds use a one-cell report notebook so that many of them fit in a test run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CLI, FIXTURES_DIR, FUND, REPO_DATA_DIR, edit_workbook, raw_year

from fundanalysis.cli import main
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK, EXIT_STORAGE
from fundanalysis.storage import catalog, files

SYNTHETIC_FUNDS = ("synthetic-county-media", "synthetic-egov", "synthetic-policy-tasks")
PARAMS = 'year: int = 2019  # year\ndata_dir: str = "data"  # data\nout_dir: str = "outputs"  # out'


# ------------------------------------------------------------------------------------------ helpers


def write_nb(path: Path, source: str = "print('ok', year)") -> None:
    """A one-cell report notebook (a parameters cell, then ``source``)."""
    p = nbformat.v4.new_code_cell(PARAMS)
    p.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 测试"), p,
                                         nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["fundanalysis"] = {"title": "测试"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file and link under ``root`` (relative path → content hash or link target)."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        rel = str(p.relative_to(root))
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            continue
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def cli(*args: object, timeout: int = 600, **kw: object) -> subprocess.CompletedProcess[str]:
    """The installed command, as a scheduled run calls it."""
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          **kw)  # type: ignore[call-overload]


def invoke(*args: object) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    """A data folder with the shipped 2019 workbook and the three synthetic funds, a one-cell
    notebook folder, and where the outputs go (not built yet)."""
    data = tmp_path / "data"
    shutil.copytree(raw_year(REPO_DATA_DIR, 2019), raw_year(data, 2019))
    for fund in SYNTHETIC_FUNDS:
        shutil.copytree(FIXTURES_DIR / "funds" / "raw" / fund, data / "raw" / fund)
    nbs = tmp_path / "nb"
    write_nb(nbs / "10-ok.ipynb")
    return {"base": tmp_path, "data": data, "nb": nbs, "out": tmp_path / "outputs"}


def report(p: dict[str, Path], *args: object, out: Path | None = None, timeout: int = 600
           ) -> subprocess.CompletedProcess[str]:
    return cli("report", "--data-dir", p["data"], "--out-dir", out or p["out"], "--notebooks-dir", p["nb"], *args,
               timeout=timeout)


def site_funds(out: Path) -> set[str]:
    """The funds the site index links to."""
    text = (out / "index.html").read_text(encoding="utf-8")
    return {f for f in (FUND, *SYNTHETIC_FUNDS) if f'href="{f}/index.html"' in text}


# ------------------------------------------------------------- 1. never write into data/raw (exit 4)


def _inside_raw(p: dict[str, Path]) -> Path:
    return p["data"] / "raw" / FUND / "2019" / "out"


WRITERS = {
    "report": lambda p, out: ("report", "--data-dir", p["data"], "--out-dir", out, "--notebooks-dir", p["nb"]),
    "report --watch": lambda p, out: ("report", "--watch", "--data-dir", p["data"], "--out-dir", out),
    "charts": lambda p, out: ("charts", "--fund", FUND, "--year", 2019, "--data-dir", p["data"], "--out-dir", out),
    "template": lambda p, out: ("template", "--fund", "new-fund", "--year", 2024, "--data-dir", p["data"],
                                "--out-dir", out),
    "export": lambda p, out: ("export", "--xlsx", "--fund", FUND, "--year", 2019, "--data-dir", p["data"],
                              "--out-dir", out),
    "scorecard --xlsx": lambda p, out: ("scorecard", "--xlsx", "--fund", FUND, "--year", 2019, "--data-dir",
                                        p["data"], "--out-dir", out),
    "brief": lambda p, out: ("brief", "--docx", "--fund", FUND, "--year", 2019, "--data-dir", p["data"],
                             "--out-dir", out),
    "extract": lambda p, out: ("extract", "--fund", FUND, "--year", 2019, "--data-dir", p["data"], "--out-dir", out,
                               raw_year(p["data"], 2019) / "self-evaluation-report.txt"),
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writer_refuses_an_output_folder_inside_raw(project: dict[str, Path], command: str) -> None:
    before = tree(project["base"])
    proc = cli(*WRITERS[command](project, _inside_raw(project)), timeout=120)
    assert proc.returncode == EXIT_STORAGE, proc.stderr
    assert "raw" in proc.stderr and str(_inside_raw(project)) in proc.stderr
    assert tree(project["base"]) == before


@pytest.mark.parametrize("where", ["inside-raw", "around-data"])
def test_review_refuses_an_output_folder_inside_raw(project: dict[str, Path], where: str) -> None:
    """``review`` has no --data-dir: the data folder it guards is the one the other commands use by
    default (``data`` in the folder it is run from)."""
    forms = project["base"] / "forms"
    forms.mkdir()
    out = _inside_raw(project) if where == "inside-raw" else project["base"]
    before = tree(project["base"])
    proc = cli("review", forms, "--year", 2031, "--out-dir", out, timeout=120, cwd=project["base"])
    assert proc.returncode == EXIT_STORAGE, proc.stderr
    assert str(project["data"]) in proc.stderr and ("raw" in proc.stderr or "inside the output folder" in proc.stderr)
    assert tree(project["base"]) == before


@pytest.mark.parametrize("command", ["report", "charts", "template", "export"])
def test_the_raw_folder_itself_and_a_link_into_it_are_refused(project: dict[str, Path], command: str) -> None:
    link = project["base"] / "looks-harmless"
    link.symlink_to(project["data"] / "raw", target_is_directory=True)
    before = tree(project["base"])
    for out in (project["data"] / "raw", link, link / FUND):
        proc = cli(*WRITERS[command](project, out), timeout=120)
        assert proc.returncode == EXIT_STORAGE, (out, proc.stderr)
        assert "never written" in proc.stderr
    assert tree(project["base"]) == before


@pytest.mark.parametrize("command", ["report", "charts", "template", "export", "scorecard --xlsx"])
def test_a_data_folder_inside_the_output_folder_is_refused(project: dict[str, Path], command: str) -> None:
    before = tree(project["base"])
    proc = cli(*WRITERS[command](project, project["base"]), timeout=120)
    assert proc.returncode == EXIT_STORAGE, proc.stderr
    assert f"data folder {project['data']} is inside the output folder" in proc.stderr
    assert tree(project["base"]) == before


def test_an_output_folder_inside_data_but_outside_raw_is_allowed(project: dict[str, Path]) -> None:
    out = project["data"] / "site"
    result = invoke("template", "--fund", "new-fund", "--year", 2024, "--data-dir", project["data"], "--out-dir", out)
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    assert catalog.template_path(out, "new-fund", 2024).is_file()


def test_the_library_refuses_too(project: dict[str, Path]) -> None:
    from fundanalysis.errors import StorageError
    from fundanalysis.pipeline.orchestrate import build_reports

    with pytest.raises(StorageError, match="never written by the tool"):
        build_reports([(FUND, 2019)], project["data"], _inside_raw(project), notebooks_dir=project["nb"])
    assert not _inside_raw(project).exists()


# ------------------------------------------------------------------- 2. the site index (harm 5)


def _publish_then_index_slowly(out: Path, fund: str, start: float, pause: float) -> None:
    """The end of one fund's build, in a thread of its own: publish the year at ``start``, then
    write the indexes. A fund whose summary is unreadable (listed first) makes the index writer
    say a note in the middle of its listing; ``say`` pauses for ``pause`` seconds there, so the
    listing this writer took is ``pause`` seconds old when it writes."""
    from fundanalysis.pipeline.orchestrate import _write_indexes

    summary = {"fund_name": f"合成资金 {fund}", "issuer": "合成部门", "budget_yuan": 100, "spent_yuan": 50,
               "utilisation": 0.5}
    st = files.make_staging(files.ensure_dir(catalog.fund_output(out, fund)), "2019")
    (st / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    time.sleep(max(0.0, start - time.time()))
    files.publish_dir(st, catalog.year_output(out, fund, 2019))
    _write_indexes(out, lambda _: time.sleep(pause))


@pytest.mark.slow
def test_funds_published_at_once_are_all_listed(tmp_path: Path) -> None:
    """Six funds publish 10 ms apart; each then writes the indexes, the earliest pausing longest
    between listing the published folders and writing (so, without the index lock, the first
    writer's listing, which lacks the five later funds, would be written last and lose them).
    Five rounds: the site index lists every fund every time."""
    funds = [f"synthetic-{i}" for i in range(6)]
    for round_ in range(5):
        out = tmp_path / f"round-{round_}"
        broken = catalog.year_output(out, "0-synthetic-unreadable", 2019)  # sorts first: read first
        broken.mkdir(parents=True)
        (broken / "summary.json").write_text("{not json", encoding="utf-8")
        start = time.time() + 0.3
        with ThreadPoolExecutor(len(funds)) as pool:
            done = [pool.submit(_publish_then_index_slowly, out, f, start + 0.01 * i, 0.08 * (len(funds) - i))
                    for i, f in enumerate(funds)]
            for d in done:
                d.result(timeout=120)
        text = (out / "index.html").read_text(encoding="utf-8")
        assert [f for f in funds if f'href="{f}/index.html"' not in text] == [], f"round {round_}"
        for f in funds:
            assert 'href="2019/index.html"' in (out / f / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_funds_built_at_once_are_all_listed(project: dict[str, Path]) -> None:
    """Three funds built by three processes at once: the site index and each fund's index list
    every fund and year published (two of fourteen rounds lost one before)."""
    funds = SYNTHETIC_FUNDS
    for round_ in range(1):
        with ThreadPoolExecutor(len(funds)) as pool:
            procs = list(pool.map(lambda f: report(project, "--fund", f, "--force", "--jobs", "1"), funds))
        assert all(p.returncode == 0 for p in procs), [p.stderr[-2000:] for p in procs]
        assert site_funds(project["out"]) == set(funds), f"round {round_}"
        for f in funds:
            year = catalog.list_years(project["data"], f)[0]
            fund_page = (project["out"] / f / "index.html").read_text(encoding="utf-8")
            assert f'href="{year}/index.html"' in fund_page


@pytest.mark.slow
def test_a_later_report_repairs_an_index_missing_a_fund(project: dict[str, Path]) -> None:
    for f in SYNTHETIC_FUNDS[:2]:
        assert report(project, "--fund", f).returncode == 0
    out = project["out"]
    assert site_funds(out) == set(SYNTHETIC_FUNDS[:2])
    # an index that lost a fund (as a race used to leave it), and a fund index that is gone
    index = (out / "index.html").read_text(encoding="utf-8")
    (out / "index.html").write_text(index.replace(f'href="{SYNTHETIC_FUNDS[1]}/index.html"', 'href="#"'),
                                    encoding="utf-8")
    (out / SYNTHETIC_FUNDS[0] / "index.html").unlink()
    proc = report(project, "--fund", SYNTHETIC_FUNDS[0])
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stderr  # no year was rebuilt
    assert site_funds(out) == set(SYNTHETIC_FUNDS[:2])
    assert (out / SYNTHETIC_FUNDS[0] / "index.html").is_file()
    # and once the index is whole, an up-to-date run writes nothing
    before = tree(out, skip=("logs", "status.json", ".locks"))
    assert report(project, "--fund", SYNTHETIC_FUNDS[0]).returncode == 0
    assert tree(out, skip=("logs", "status.json", ".locks")) == before


# ------------------------------------------------------------------------ 3. paths and names


@pytest.mark.slow
def test_braces_in_the_output_folder_build(project: dict[str, Path]) -> None:
    out = project["base"] / "out{2019}{year}{}"
    proc = report(project, "--fund", SYNTHETIC_FUNDS[1], out=out)
    assert proc.returncode == 0, proc.stderr
    year = catalog.list_years(project["data"], SYNTHETIC_FUNDS[1])[0]
    assert (out / SYNTHETIC_FUNDS[1] / str(year) / "notebooks" / "10-ok.ipynb").is_file()
    assert not (project["base"] / "out2019").exists()


def test_papermill_paths_keep_their_braces() -> None:
    from fundanalysis.pipeline.runners import literal_path

    assert literal_path("/a/{x}/b{}.ipynb").format(year=2019) == "/a/{x}/b{}.ipynb"


LONG_NAME = "常州市工业互联网发展专项资金" * 6 + "绩效评价报告测试"  # 92 characters, 276 bytes


@pytest.mark.parametrize("command", ["check", "template"])
def test_a_fund_name_too_long_for_its_file_names_is_refused(project: dict[str, Path], command: str) -> None:
    name = LONG_NAME[:80]
    assert len(name) == 80 and len(name.encode()) == 240
    if command == "check":  # the folder exists: check names the limit
        shutil.copytree(raw_year(project["data"], 2019), project["data"] / "raw" / name / "2019")
    before = tree(project["base"])
    out = ("--out-dir", project["out"]) if command == "template" else ()
    result = invoke(command, "--fund", name, "--year", 2019, "--data-dir", project["data"], *out)
    assert result.exit_code == EXIT_BAD_INPUT, result.output  # type: ignore[attr-defined]
    assert str(project["data"] / "raw" / name) in result.output  # type: ignore[attr-defined]
    assert f"at most {catalog.FUND_NAME_MAX_BYTES} bytes" in result.output  # type: ignore[attr-defined]
    assert "240 bytes" in result.output  # type: ignore[attr-defined]
    assert tree(project["base"]) == before


def test_the_longest_fund_name_allowed_makes_files_that_fit(project: dict[str, Path]) -> None:
    name = LONG_NAME[: catalog.FUND_NAME_MAX_BYTES // 3]
    assert catalog.fund_name_problem(name) is None
    result = invoke("template", "--fund", name, "--year", 2024, "--data-dir", project["data"],
                    "--out-dir", project["out"])
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    for derived in (catalog.tables_name(name, 2024), catalog.form_name(name, 2024),
                    catalog.failed_dir(project["out"], name, 2024).name):
        longest = len(f".{derived}.XXXXXXXX".encode())  # the temporary name a file is written under
        assert longest <= 255, derived
        (project["base"] / f".{derived}.XXXXXXXX").write_bytes(b"")  # the file system takes it


# -------------------------------------------------------------------- 4. leftovers and formulas


def _leftover(parent: Path, name: str) -> Path:
    """A staging folder as a killed run leaves it: made by a process that has ended."""
    code = ("import sys; from pathlib import Path; from fundanalysis.storage import files; "
            "print(files.make_staging(Path(sys.argv[1]), sys.argv[2]))")
    parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", code, str(parent), name], capture_output=True, text=True,
                          check=True)
    return Path(done.stdout.strip())


def test_clean_removes_staging_left_by_a_killed_clean_only(project: dict[str, Path]) -> None:
    parent = catalog.processed_dir(project["data"], FUND, 2019).parent
    stale = _leftover(parent, "2019")
    users = parent / ".staging-2019-mine"  # not the tool's: no marker
    users.mkdir()
    (users / "notes.txt").write_text("keep", encoding="utf-8")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = parent / ".staging-2019-running"
        live.mkdir()
        (live / files.MARKER).write_text(f"created by fundanalysis (pid {sleeper.pid} on {os.uname().nodename}); x",
                                         encoding="utf-8")
        result = invoke("clean", "--fund", FUND, "--year", 2019, "--data-dir", project["data"])
        assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
        assert not stale.exists()
        assert (users / "notes.txt").read_text(encoding="utf-8") == "keep"
        assert live.is_dir()  # a run still going keeps its folder
    finally:
        sleeper.kill()
        sleeper.wait()


def test_charts_remove_staging_left_by_a_killed_charts(project: dict[str, Path]) -> None:
    final = catalog.exports_dir(project["out"], FUND, 2019)
    stale = _leftover(final.parent, final.name)
    result = invoke("charts", "--fund", FUND, "--year", 2019, "--format", "svg", "--data-dir", project["data"],
                    "--out-dir", project["out"])
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    assert not stale.exists()
    assert list(final.glob("*.svg"))


def test_a_staging_folder_of_unknown_origin_is_kept_until_old(tmp_path: Path) -> None:
    made = files.make_staging(tmp_path, "x")
    (made / files.MARKER).write_text("created by fundanalysis (pid 1 on another-host); x", encoding="utf-8")
    assert files.abandoned_staging(tmp_path, "x") == []
    old = time.time() - files.ABANDONED_AFTER_S - 60
    os.utime(made / files.MARKER, (old, old))
    assert files.abandoned_staging(tmp_path, "x") == [made]


FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "=HYPERLINK(\"http://x\",\"y\")"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_cells_are_stored_with_the_quote_prefix(text: str) -> None:
    from fundanalysis.storage.formulas import write_text_cell

    wb = openpyxl.Workbook()
    write_text_cell(wb.active["A1"], text)
    write_text_cell(wb.active["A2"], "常州市")
    path_bytes = _saved(wb)
    ws = openpyxl.load_workbook(path_bytes).active
    assert ws["A1"].value == text and ws["A1"].data_type == "s" and ws["A1"].quotePrefix
    assert ws["A2"].value == "常州市" and not ws["A2"].quotePrefix


def _saved(wb: openpyxl.Workbook) -> object:
    from io import BytesIO

    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_the_fund_name_in_the_tables_workbook_is_never_a_formula(data_2019: Path) -> None:
    from fundanalysis.analysis.key_figures import summarise
    from fundanalysis.export.workbook import tables_workbook
    from fundanalysis.ingest.load import load_tables

    name = "=HYPERLINK(\"http://example.invalid\",\"常州\")"
    book = next(raw_year(data_2019, 2019).glob("*.xlsx"))

    def as_text(wb: openpyxl.Workbook) -> None:  # typed as text ('=…), as a user may
        wb["专项资金"]["A2"].value = name
        wb["专项资金"]["A2"].data_type = "s"

    edit_workbook(book, as_text)
    tables = load_tables(data_2019, 2019, FUND)
    summary = summarise(tables)
    from io import BytesIO

    wb = openpyxl.load_workbook(BytesIO(tables_workbook(tables, summary)))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value == name]
    assert cells, "the fund name is in the workbook"
    assert [(c.parent.title, c.data_type, c.quotePrefix) for c in cells] == [
        (c.parent.title, "s", True) for c in cells]
    assert not [c for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_template_headers_are_text(tmp_path: Path) -> None:
    from fundanalysis.ingest.template import build_template

    wb = openpyxl.load_workbook(_saved(build_template(2024, ["=cmd", "一等奖"])))
    assert not [c for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]


# --------------------------------------------------------------------------- 5. --watch


@pytest.mark.slow
def test_watch_survives_a_workbook_saved_by_rename(project: dict[str, Path]) -> None:
    fund = SYNTHETIC_FUNDS[1]
    data = project["data"]
    for other in (FUND, *SYNTHETIC_FUNDS):
        if other != fund:
            shutil.rmtree(data / "raw" / other)
    year = catalog.list_years(data, fund)[0]
    book = catalog.input_files(data, fund, year)[0]
    proc = subprocess.Popen([str(CLI), "report", "--watch", "--data-dir", str(data), "--out-dir", str(project["out"]),
                             "--notebooks-dir", str(project["nb"])], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def wait_for(text: str, count: int = 1) -> None:
        deadline = time.monotonic() + 240
        while sum(text in line for line in lines) < count:
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stdout.readline())  # type: ignore[union-attr]

    try:
        wait_for("watching for changes")
        first = json.loads((project["out"] / fund / str(year) / "build.json").read_text(encoding="utf-8"))
        # an editor's save: the workbook is moved away, a new file is written, then renamed into place
        aside = project["base"] / "aside.xlsx"
        os.replace(book, aside)
        wait_for("input not available now")
        assert proc.poll() is None
        edit_workbook(aside, lambda wb: wb[wb.sheetnames[0]].cell(2, 2, "主管部门（改）"))
        os.replace(aside, book)
        wait_for("watching for changes", 2)
        second = json.loads((project["out"] / fund / str(year) / "build.json").read_text(encoding="utf-8"))
        assert second["fingerprint"] != first["fingerprint"]
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
    assert "Traceback" not in "".join(lines) + rest


# ------------------------------------------------------------- 6. scheduled runs that tell someone


def _break(data: Path) -> Path:
    book = next(raw_year(data, 2019).glob("*.xlsx"))
    book.write_bytes(b"not a workbook")
    return book


HOOK = ("import os, sys, pathlib; pathlib.Path(sys.argv[1]).write_text(os.environ['FUNDANALYSIS_EXIT'] + '|' "
        "+ os.environ['FUNDANALYSIS_SUMMARY'] + '|' + sys.stdin.read(), encoding='utf-8')")


def test_a_bad_input_run_writes_its_log_status_and_tells_someone(project: dict[str, Path]) -> None:
    _break(project["data"])
    told = project["base"] / "told.txt"
    hook = f"{sys.executable} -c \"{HOOK}\" {told}"
    before = tree(project["base"], skip=("outputs",))
    proc = report(project, "--fund", FUND, "--on-failure", hook)
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert tree(project["base"], skip=("outputs", "told.txt")) == before
    logs = list((project["out"] / "logs").glob("*.log"))
    assert logs and any("fund-2019.xlsx" in p.read_text(encoding="utf-8") for p in logs)
    status = json.loads((project["out"] / "status.json").read_text(encoding="utf-8"))
    assert status["last_run"]["exit_code"] == EXIT_BAD_INPUT and status["last_run"]["result"] == "bad input"
    assert "fund-2019.xlsx" in status["last_run"]["summary"]
    failure = status["funds"][FUND]["2019"]["last_failure"]
    assert failure["exit_code"] == EXIT_BAD_INPUT and "last_success" not in status["funds"][FUND]["2019"]
    code, env_summary, stdin = told.read_text(encoding="utf-8").split("|")
    assert code == "2" and "fund-2019.xlsx" in stdin and env_summary == stdin
    assert "exit 2 (bad input)" in stdin and "log:" in stdin


BUILDERS = {  # the commands besides report that write into the output folder, on the broken 2019 input
    "charts": ("charts", "--fund", FUND, "--year", 2019),
    "export": ("export", "--xlsx", "--fund", FUND, "--year", 2019),
    "brief": ("brief", "--docx", "--fund", FUND, "--year", 2019),
    "scorecard": ("scorecard", "--xlsx", "--fund", FUND, "--year", 2019),
}


@pytest.mark.parametrize("command", sorted(BUILDERS))
def test_every_writer_logs_and_records_a_bad_input_run(project: dict[str, Path], command: str) -> None:
    """A nightly ``charts``, ``export``, ``brief`` or ``scorecard --xlsx`` that meets bad input leaves
    what a nightly ``report`` leaves: a log naming the problem and its run in status.json."""
    _break(project["data"])
    before = tree(project["base"], skip=("outputs",))
    proc = cli(*BUILDERS[command], "--data-dir", project["data"], "--out-dir", project["out"], timeout=300)
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert tree(project["base"], skip=("outputs",)) == before
    logs = list((project["out"] / "logs").glob("run-*.log"))
    assert len(logs) == 1 and "fund-2019.xlsx" in logs[0].read_text(encoding="utf-8")
    assert f"fundanalysis {command} --fund {FUND} --year=2019" in logs[0].read_text(encoding="utf-8")
    status = json.loads((project["out"] / "status.json").read_text(encoding="utf-8"))
    assert status["last_run"]["command"].startswith(f"{command} --fund {FUND}")
    assert (status["last_run"]["exit_code"], status["last_run"]["result"]) == (EXIT_BAD_INPUT, "bad input")
    assert status["last_run"]["log"] == str(logs[0])
    if command == "charts":  # exports charts; it builds no report, so no year's report is judged
        assert status["funds"] == {}
    else:
        assert status["funds"][FUND]["2019"]["last_failure"]["exit_code"] == EXIT_BAD_INPUT


def test_a_writer_run_without_a_data_folder_is_logged(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    out.mkdir()
    proc = cli("charts", "--fund", FUND, "--year", 2019, "--data-dir", tmp_path / "missing", "--out-dir", out)
    assert proc.returncode == EXIT_BAD_INPUT and "data folder does not exist" in proc.stderr
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert status["last_run"]["result"] == "bad input" and "data folder does not exist" in status["last_run"]["summary"]
    assert "SystemExit" not in status["last_run"]["summary"]


def test_a_scorecard_that_only_prints_records_nothing(project: dict[str, Path]) -> None:
    proc = cli("scorecard", "--fund", FUND, "--year", 2019, "--data-dir", project["data"],
               "--out-dir", project["out"])
    assert proc.returncode == EXIT_OK, proc.stderr
    assert not project["out"].exists()


@pytest.mark.slow
def test_a_good_charts_run_records_its_run(project: dict[str, Path]) -> None:
    proc = cli("charts", "--fund", FUND, "--year", 2019, "--format", "svg", "--data-dir", project["data"],
               "--out-dir", project["out"])
    assert proc.returncode == EXIT_OK, proc.stderr
    status = json.loads((project["out"] / "status.json").read_text(encoding="utf-8"))
    assert status["last_run"]["command"] == f"charts --fund {FUND} --year=2019"
    assert (status["last_run"]["exit_code"], status["last_run"]["result"]) == (0, "ok")
    assert "log" not in status["last_run"] and not (project["out"] / "logs").exists()


@pytest.mark.slow
def test_a_good_run_records_success_and_runs_no_hook(project: dict[str, Path]) -> None:
    told = project["base"] / "told.txt"
    fund = SYNTHETIC_FUNDS[0]
    proc = report(project, "--fund", fund, "--on-failure", f"{sys.executable} -c \"{HOOK}\" {told}")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert not told.exists()
    status = json.loads((project["out"] / "status.json").read_text(encoding="utf-8"))
    year = str(catalog.list_years(project["data"], fund)[0])
    assert status["last_run"]["exit_code"] == 0 and status["last_run"]["result"] == "ok"
    assert status["funds"][fund][year]["last_success"] == status["last_run"]["at"]
    # build time and input digest: in summary.json and in every page's footer
    summary = json.loads((project["out"] / fund / year / "summary.json").read_text(encoding="utf-8"))
    from fundanalysis.storage import digests

    assert summary["input_digest"] == digests.input_digest(project["data"].resolve(), fund, int(year))
    assert summary["built_at"][:4].isdigit()
    for page in (project["out"] / fund / year).glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert f"于 {summary['built_at']} 生成" in text and summary["input_digest"][:12] in text, page.name


def test_a_failing_hook_does_not_change_the_exit_code(project: dict[str, Path]) -> None:
    _break(project["data"])
    proc = report(project, "--fund", FUND, "--on-failure", "/nonexistent/notify --to ops")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "--on-failure '/nonexistent/notify' could not be run" in proc.stderr


def test_a_refused_output_folder_gets_no_status_but_the_hook_runs(project: dict[str, Path]) -> None:
    told = project["base"] / "told.txt"
    before = tree(project["data"])
    proc = report(project, "--on-failure", f"{sys.executable} -c \"{HOOK}\" {told}", out=_inside_raw(project))
    assert proc.returncode == EXIT_STORAGE
    assert tree(project["data"]) == before
    assert told.read_text(encoding="utf-8").startswith("4|")


def test_a_missing_data_folder_is_logged_and_reported(tmp_path: Path) -> None:
    """A scheduled run whose data folder has gone: its output folder (there from earlier runs)
    gets the log and the status; a mistyped output folder is not created."""
    out = tmp_path / "outputs"
    out.mkdir()
    proc = cli("report", "--data-dir", tmp_path / "nowhere", "--out-dir", out)
    assert proc.returncode == EXIT_BAD_INPUT
    assert "data folder does not exist" in proc.stderr
    assert json.loads((out / "status.json").read_text(encoding="utf-8"))["last_run"]["exit_code"] == 2
    assert list((out / "logs").glob("run-*.log"))
    proc = cli("report", "--data-dir", tmp_path / "nowhere", "--out-dir", tmp_path / "typo")
    assert proc.returncode == EXIT_BAD_INPUT and not (tmp_path / "typo").exists()


def test_check_json_with_a_missing_data_folder_prints_json(tmp_path: Path) -> None:
    proc = cli("check", "--json", "--year", 2019, "--data-dir", tmp_path / "nowhere")
    assert proc.returncode == EXIT_BAD_INPUT
    problems = json.loads(proc.stdout)
    assert problems[0]["file"] == str(tmp_path / "nowhere") and "does not exist" in problems[0]["reason"]
    assert not list(tmp_path.iterdir())


def test_the_cron_examples_keep_crons_mail() -> None:
    """The documented cron lines run the scheduled command, never throw its output away (cron
    mails what a job prints) and hold no % (cron turns it into a new line)."""
    from conftest import ROOT

    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line[:1].isdigit() and "fundanalysis report" in line]
    assert len(lines) >= 2, lines
    for line in lines:
        assert "/dev/null" not in line and "%" not in line, line
        assert '|| echo "$out"' in line, line  # a failed run prints its output, so cron mails it
    assert "MAILTO=" in text
