"""A fund-year's input handed to a notebook (storage.year_input, Report.load's build parameters): the
notebook shows the snapshot the build validated, never the raw workbook as it is now."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FUND, workbook_path
from openpyxl import load_workbook

from fundanalysis.analysis.key_figures import summarise
from fundanalysis.ingest.load import clean_year, load_tables
from fundanalysis.present.report import Report
from fundanalysis.storage import processed
from fundanalysis.storage.year_input import YearInput, read_key_figures, write_key_figures


def _edit_media_amount(book: Path, value: str) -> None:
    """Change the first media outlet's amount (sheet 媒体单位, column 金额), as an analyst saves it."""
    wb = load_workbook(book)
    ws = wb["媒体单位"]
    col = next(c.column for c in ws[1] if str(c.value).strip() == "金额")
    ws.cell(2, col).value = value
    wb.save(book)


def test_a_notebook_handed_the_snapshot_shows_it_whatever_was_saved_since(data_2019: Path, tmp_path: Path) -> None:
    """After the build's snapshot is written the workbook is saved with another amount: the
    notebook's Report (given the snapshot and the build's key figures) shows the snapshot's figures,
    while an analyst's Report (no snapshot) shows the workbook as saved; the snapshot's folder is
    the published processed version and names the input it was made from."""
    _, parsed = clean_year(data_2019, 2019, FUND)
    snap = processed.snapshot_of(data_2019, FUND, 2019, parsed.digest)
    assert snap is not None and snap != processed.processed_dir(data_2019, FUND, 2019)  # the version, not the link
    assert processed.snapshot_of(data_2019, FUND, 2019, "another digest") is None
    figures = write_key_figures(tmp_path / "kf.pickle", {2019: summarise(parsed.tables)})
    _edit_media_amount(workbook_path(data_2019), "55.5万元")

    built = Report.load(2019, data_dir=data_2019, fund=FUND, snapshot=snap, key_figures=figures)
    analyst = Report.load(2019, data_dir=data_2019, fund=FUND)
    assert built.summary == summarise(parsed.tables) == read_key_figures(figures)[2019]
    assert built.tables["media_outlets"].equals(parsed.tables["media_outlets"])
    assert not analyst.tables["media_outlets"].equals(parsed.tables["media_outlets"])
    assert analyst.summary == summarise(load_tables(data_2019, 2019, FUND))
    assert analyst.summary["media_outlets"] != built.summary["media_outlets"]


def test_a_snapshot_changed_after_it_passed_the_schemas_is_refused(data_2019: Path) -> None:
    _, parsed = clean_year(data_2019, 2019, FUND)
    snap = processed.snapshot_of(data_2019, FUND, 2019, parsed.digest)
    assert snap is not None
    assert processed.read_snapshot(snap).keys() == parsed.tables.keys()
    table = next(iter(sorted(snap.glob("*.parquet"))))
    table.write_bytes(table.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="gone or changed"):
        processed.read_snapshot(snap)


def test_year_input_resolves_once(data_2019: Path) -> None:
    """Empty fund: the only fund; empty paths: None; paths resolved."""
    got = YearInput.resolve(2019, data_2019, "", snapshot="", chart_cache=str(data_2019 / "c"))
    assert got == YearInput(data_2019.resolve(), FUND, 2019, None, None, (data_2019 / "c").resolve(), False)
