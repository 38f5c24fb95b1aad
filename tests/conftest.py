"""Shared fixtures: the real 2019 input (read-only), writable copies of it, synthetic fixtures.

data/raw/ is never written: every test that changes an input works on a copy in tmp_path.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import openpyxl
import pandas as pd
import pytest
from hypothesis import settings
from openpyxl.worksheet.worksheet import Worksheet

from fundanalysis import config
from fundanalysis.analysis.reconcile import reconcile_totals
from fundanalysis.ingest.load import process_year

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES_DIR = TESTS_DIR / "fixtures"
REPO_DATA_DIR = config.DATA_DIR
YEAR_2019 = 2019
#: The fund of the 2019 report (its folder under data/raw/).
FUND = "changzhou-industrial-internet"
WORKBOOK_2019 = REPO_DATA_DIR / "raw" / FUND / "2019" / "fund-2019.xlsx"


def raw_year(data_dir: Path, year: int | str = YEAR_2019, fund: str = FUND) -> Path:
    """The raw input folder of a fund's year in a data folder."""
    return Path(data_dir) / "raw" / fund / str(year)


def _load_fixture_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixtures",
                                                  FIXTURES_DIR / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_fixtures = _load_fixture_maker()


@pytest.fixture(scope="session")
def repo_data_dir() -> Path:
    """The repository's data folder; tests only read from it."""
    assert WORKBOOK_2019.is_file(), f"missing {WORKBOOK_2019}"
    return REPO_DATA_DIR


@pytest.fixture(scope="session")
def tables_2019(repo_data_dir: Path) -> dict[str, pd.DataFrame]:
    """The processed 2019 tables, built straight from data/raw (nothing is written)."""
    return process_year(repo_data_dir, YEAR_2019).tables


@pytest.fixture(scope="session")
def reconciliation_2019(tables_2019: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The 2019 reconciliation table."""
    return reconcile_totals(tables_2019)


def copy_year(src_data_dir: Path, year: int, dest_data_dir: Path, fund: str = FUND) -> Path:
    """Copy one fund's year raw folder into ``dest_data_dir``; return ``dest_data_dir``."""
    shutil.copytree(raw_year(src_data_dir, year, fund), raw_year(dest_data_dir, year, fund))
    return Path(dest_data_dir)


@pytest.fixture
def data_2019(tmp_path: Path) -> Path:
    """A writable copy of data/ holding only the 2019 fund year (workbook and report text)."""
    return copy_year(REPO_DATA_DIR, YEAR_2019, tmp_path / "data")


def workbook_path(data_dir: Path, year: int = YEAR_2019) -> Path:
    """The one workbook of a year in a data folder (whichever fund has it)."""
    books = sorted((Path(data_dir) / "raw").glob(f"*/{year}/*.xlsx"))
    assert len(books) == 1, books
    return books[0]


def edit_workbook(path: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    """Open a workbook copy with openpyxl, apply ``edit`` and save it in place."""
    assert REPO_DATA_DIR / "raw" not in Path(path).resolve().parents, "never edit data/raw"
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return Path(path)


def find_cell(ws: Worksheet, header: str, key_value: str) -> str:
    """Coordinate of the cell under ``header`` in the row whose first cell contains ``key_value``."""
    headers = [c.value for c in ws[1]]
    col = headers.index(header) + 1
    for row in ws.iter_rows(min_row=2):
        if row[0].value is not None and key_value in str(row[0].value):
            return ws.cell(row=row[0].row, column=col).coordinate
    raise KeyError(f"no row containing {key_value!r} in sheet {ws.title!r}")


def find_row_cell(ws: Worksheet, header: str, **match: str) -> str:
    """Coordinate of the cell under ``header`` in the row whose named columns equal ``match``."""
    headers = [c.value for c in ws[1]]
    col = headers.index(header) + 1
    want = {headers.index(h): v for h, v in match.items()}
    for row in ws.iter_rows(min_row=2):
        if all(row[i].value == v for i, v in want.items()):
            return ws.cell(row=row[0].row, column=col).coordinate
    raise KeyError(f"no row matching {match!r} in sheet {ws.title!r}")


@pytest.fixture
def fixture_data_dir(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a synthetic fixture data folder (e.g. ``award_shapes/by_category``) to tmp_path."""
    def copy(name: str) -> Path:
        src = FIXTURES_DIR / name
        assert (src / "raw").is_dir(), src
        dest = tmp_path / name.replace("/", "__")
        shutil.copytree(src, dest)
        return dest

    return copy


# ------------------------------------------------------------------ one build for every test

ROOT = TESTS_DIR.parent
FIXTURE_2020 = FIXTURES_DIR / "report_years" / "raw" / FUND / "2020"
CLI = Path(sys.executable).parent / "fundanalysis"


def make_data_dir(dest: Path, years: tuple[str, ...] = ("2019", "2020")) -> Path:
    """A data dir with the shipped 2019 input and the synthetic 2020 fixture."""
    (dest / "raw").mkdir(parents=True)
    if "2019" in years:
        shutil.copytree(raw_year(REPO_DATA_DIR, 2019), raw_year(dest, 2019))
    if "2020" in years:
        assert FIXTURE_2020.is_dir(), f"committed fixture {FIXTURE_2020} is missing"
        shutil.copytree(FIXTURE_2020, raw_year(dest, 2020))
    return dest


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One real build, shared by every test that reads a built report: the shipped 2019 input and
    the synthetic 2020 fixture, built by the installed command into ``out``. Tests that change
    anything work on a copy."""
    base = tmp_path_factory.mktemp("report")
    data = make_data_dir(base / "data")
    out = base / "outputs"
    proc = subprocess.run([str(CLI), "report", "--data-dir", str(data), "--out-dir", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return {"base": base, "data": data, "out": out}


#: Fixtures that mean a test reads or copies a real build (and so belongs to the slow tests).
BUILD_FIXTURES = {"built_report", "built", "project", "site", "env"}
#: Modules of end-to-end tests: every case runs the command line on a workbook (the corpora of
#: bad input), a build, a kernel or a browser.
END_TO_END = {"test_defences", "test_reliability", "test_check_cli", "test_template", "test_failsafe",
              "test_parameters", "test_report", "test_browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests are marked slow: ``make test-fast`` (the edit loop) leaves them out."""
    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__.rsplit(".", 1)[-1] if module is not None else ""
        if name in END_TO_END or BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# hypothesis: the edit loop (HYPOTHESIS_PROFILE=fast, set by make test-fast) draws fewer examples
settings.register_profile("fast", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="module")
def localhost_cluster() -> Iterator[str]:
    """A real Dask cluster on this machine: ``dask scheduler`` and two ``dask worker`` processes
    (one thread each), started for the tests of a module and stopped after them; gives its address."""
    import socket

    from distributed import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                           "--host", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
