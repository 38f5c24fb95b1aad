"""Shared fixtures: the real 2019 input (read-only), writable copies of it, synthetic fixtures.

data/raw/ is never written: every test that changes an input works on a copy in tmp_path.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from fundanalysis import config
from fundanalysis.pipeline import process_year
from fundanalysis.reconcile import reconcile_totals

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES_DIR = TESTS_DIR / "fixtures"
REPO_DATA_DIR = config.DATA_DIR
YEAR_2019 = 2019
WORKBOOK_2019 = REPO_DATA_DIR / "raw" / "2019" / "fund-2019.xlsx"


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


def copy_year(src_data_dir: Path, year: int, dest_data_dir: Path) -> Path:
    """Copy one year's raw folder to ``dest_data_dir/raw/<year>``; return ``dest_data_dir``."""
    src = Path(src_data_dir) / "raw" / str(year)
    dest = Path(dest_data_dir) / "raw" / str(year)
    shutil.copytree(src, dest)
    return Path(dest_data_dir)


@pytest.fixture
def data_2019(tmp_path: Path) -> Path:
    """A writable copy of data/ holding only raw/2019 (workbook and report text)."""
    return copy_year(REPO_DATA_DIR, YEAR_2019, tmp_path / "data")


def workbook_path(data_dir: Path, year: int = YEAR_2019) -> Path:
    """The one workbook of a year in a data folder."""
    books = sorted((Path(data_dir) / "raw" / str(year)).glob("*.xlsx"))
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
