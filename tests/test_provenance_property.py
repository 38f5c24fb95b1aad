"""Every figure of summary.json is stated, summed or computed from figures that are there, or null.

For random valid workbooks (the variations of ``test_funds``'s check-OK-implies-build-OK property,
on its base workbooks and on the synthetic shapes of ``tests/fixtures/fidelity/``), each money
figure and rate of ``summary.json`` (the top-level ``*_yuan`` figures, ``utilisation``,
``receipt_rate`` and each part's ``spent_yuan``, or
``allocated_yuan`` for a part whose money is allocated) is one of:

- stated: its provenance names a sheet, an Excel row and a column, and that cell of the workbook
  holds this very amount (read with the library's own parser, in the sheet's default unit);
- summed: every source it lists is a row of the workbook that holds a value;
- computed: every figure it is computed from is in summary.json with a value;
- null, with provenance ``not_stated``.

Summary only (no pages are built), so the property stays fast.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import FIXTURES_DIR
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_funds import BASES, EDITS, _phases

from fundanalysis.analysis.key_figures import summarise
from fundanalysis.errors import InputError
from fundanalysis.export.summary_json import document
from fundanalysis.ingest.clean import CleanError, parse_money
from fundanalysis.ingest.load import process_year

SHAPES = FIXTURES_DIR / "fidelity" / "raw"
#: Base workbooks: test_funds' (e-government, 2019, the form) and the issue-26 money shapes.
PROPERTY_BASES = [*BASES, (SHAPES, "synthetic-media-allocation", 2023),
                  (SHAPES, "synthetic-department-parts", 2022), (SHAPES, "synthetic-form-only", 2024),
                  (SHAPES, "synthetic-one-part-lines", 2024), (SHAPES, "synthetic-instalments", 2024)]
#: Money figures of summary.json with a provenance record (the rates are checked beside them).
MONEY = ("budget_yuan", "budget_initial_yuan", "received_yuan", "spent_yuan", "allocated_yuan",
         "unspent_yuan")
RATES = ("utilisation", "receipt_rate")


def _cell(wb: openpyxl.Workbook, sheet: str, row: int, column: str | None) -> Any:
    """The value of ``column`` (a header of row 1) at Excel ``row`` of ``sheet``; the whole row's
    values when no column is named."""
    assert sheet in wb.sheetnames, f"provenance names sheet {sheet!r}, not in the workbook"
    ws = wb[sheet]
    assert 2 <= row <= ws.max_row, f"provenance names {sheet} row {row}, beyond the sheet's rows"
    values = [c.value for c in ws[row]]
    if column is None:
        return next((v for v in values if v not in (None, "")), None)
    heads = [c.value for c in ws[1]]
    assert column in heads, f"provenance names column {column!r}, not a header of {sheet}"
    return values[heads.index(column)]


def _holds(cell: Any, yuan: float | int) -> bool:
    """True when ``cell`` is the amount ``yuan`` (as the library reads a bare number: 万元)."""
    try:
        fen = parse_money(cell, signed=True)
    except CleanError:
        return False
    return fen == round(yuan * 100)


def _assert_traced(name: str, value: Any, prov: dict[str, Any], doc: dict[str, Any],
                   wb: openpyxl.Workbook) -> None:
    kind = prov.get("kind")
    if value is None:
        assert kind == "not_stated", (name, prov)
        return
    assert kind in ("stated", "summed", "computed"), (name, value, prov)
    if kind == "stated":
        assert prov.get("row") is not None and prov.get("column"), (name, prov)
        cell = _cell(wb, prov["sheet"], prov["row"], prov["column"])
        assert _holds(cell, value), (name, value, prov, cell)
    elif kind == "summed":
        assert prov["sources"], (name, prov)
        for src in prov["sources"]:
            assert src.get("row") is not None, (name, src)
            assert _cell(wb, src["sheet"], src["row"], src.get("column")) not in (None, ""), (name, src)
    else:
        assert prov["from"], (name, prov)
        for other in prov["from"]:
            assert doc.get(other) is not None, (name, other, doc.get(other))


def _check_summary(doc: dict[str, Any], wb: openpyxl.Workbook) -> None:
    prov = doc["provenance"]
    for name in (*MONEY, *RATES):
        assert name in prov, name
        _assert_traced(name, doc.get(name), prov[name], doc, wb)
    for part in doc["parts"]:  # a part's provenance is that of its amount: allocated (安排) or executed
        key = "allocated_yuan" if part.get("spent_kind") == "allocated" else "spent_yuan"
        _assert_traced(f"parts[{part['part']}].{key}", part.get(key), part["provenance"], doc, wb)


def _summary_of(data: Path, fund: str, year: int) -> tuple[dict[str, Any], openpyxl.Workbook] | None:
    try:
        tables = process_year(data, year, fund).tables
    except InputError:  # an edit that makes the workbook invalid: not a valid workbook
        return None
    book = next((data / "raw" / fund / str(year)).glob("*.xlsx"))
    return document(summarise(tables)), openpyxl.load_workbook(book, data_only=True)


def _copy(root: Path, raw: Path, fund: str, year: int) -> Path:
    data = root / "data"
    shutil.copytree(raw / fund / str(year), data / "raw" / fund / str(year))
    return data


@pytest.mark.parametrize(("raw", "fund", "year"), PROPERTY_BASES, ids=[b[1] for b in PROPERTY_BASES])
def test_every_summary_figure_of_the_base_workbooks_is_traced(tmp_path: Path, raw: Path, fund: str,
                                                               year: int) -> None:
    got = _summary_of(_copy(tmp_path, raw, fund, year), fund, year)
    assert got is not None
    _check_summary(*got)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from(PROPERTY_BASES), edits=EDITS)
@example(base=BASES[0], edits=[_phases("专项资金", "1000万元", "-1000万元")])  # budget 0: a balance, no rate
@example(base=BASES[1], edits=[_phases("专项资金", "1000万元", "-1000万元")])
def test_every_summary_figure_is_stated_summed_computed_or_not_stated(
        tmp_path_factory: pytest.TempPathFactory, base: tuple[Path, str, int],
        edits: list[Callable[[openpyxl.Workbook], None]]) -> None:
    raw, fund, year = base
    data = _copy(tmp_path_factory.mktemp("variant"), raw, fund, year)
    book = next((data / "raw" / fund / str(year)).glob("*.xlsx"))
    wb = openpyxl.load_workbook(book)
    for edit in edits:
        edit(wb)
    wb.save(book)
    got = _summary_of(data, fund, year)
    if got is not None:
        _check_summary(*got)
