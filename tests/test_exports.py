"""Exports meant for people (the processed CSV) cannot run formulas; the Parquet stays exact."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import FUND, edit_workbook, workbook_path
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from fundanalysis.cli import main
from fundanalysis.config import EXIT_OK
from fundanalysis.storage.formulas import FORMULA_PREFIXES, neutralise_formulas, neutralise_text
from fundanalysis.storage.processed import write_tables

HYPERLINK = '=HYPERLINK("http://x","点我")'


# ------------------------------------------------------------------ the functions


#: What spreadsheet programs run as a formula (OWASP "CSV injection"), listed here, not taken
#: from the module, so a prefix the module forgets fails this test.
SPREADSHEET_FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("prefix", SPREADSHEET_FORMULA_STARTS)
def test_formula_like_text_gets_an_apostrophe(prefix: str) -> None:
    assert neutralise_text(prefix + "SUM(A1)") == "'" + prefix + "SUM(A1)"


@pytest.mark.parametrize("value", ["常州日报", "a=b", " =1", "'=already", "", 5, -5, -2.5, None])
def test_other_values_pass_through(value: object) -> None:
    assert neutralise_text(value) == value


def test_frame_text_is_neutralised_numbers_are_not() -> None:
    df = pd.DataFrame({
        "outlet": pd.array([HYPERLINK, "常州日报", None, "-3项"], dtype="string"),
        "amount_yuan": pd.array([-5, 719_000, None, 0], dtype="Int64"),
        "share": [-0.5, 0.25, 1.0, 0.0],
        "mixed": ["@SUM(1)", -7, "\tx", "ok"],
    })
    original = df.copy()
    out = neutralise_formulas(df)
    assert out["outlet"].tolist() == ["'" + HYPERLINK, "常州日报", pd.NA, "'-3项"]
    assert out["mixed"].tolist() == ["'@SUM(1)", -7, "'\tx", "ok"]
    assert out["amount_yuan"].tolist() == [-5, 719_000, pd.NA, 0]
    assert out["share"].tolist() == [-0.5, 0.25, 1.0, 0.0]
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    pd.testing.assert_frame_equal(df, original)  # the input is not changed


def test_write_tables_neutralises_the_csv_only(tmp_path: Path) -> None:
    df = pd.DataFrame({
        "title": pd.array(["@SUM(1)", "+1", "=1+2", "正常"], dtype="string"),
        "amount_yuan": pd.array([-5, 10, 719_000, 0], dtype="Int64"),
    })
    write_tables({"t": df}, tmp_path)
    csv = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert csv["title"].tolist() == ["'@SUM(1)", "'+1", "'=1+2", "正常"]
    assert csv["amount_yuan"].dtype.kind == "i"
    assert csv["amount_yuan"].tolist() == [-5, 10, 719_000, 0]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), df)


# -------------------------------------------------------- through the pipeline


def _text(ws: Worksheet, row: int, header: str, value: str) -> None:
    """Type ``value`` as text (as Excel stores '=… typed with a leading apostrophe)."""
    cell = ws.cell(row, [c.value for c in ws[1]].index(header) + 1)
    cell.value = value
    cell.data_type = "s"  # openpyxl would otherwise save text starting with = as a formula


def _inject(wb: Workbook) -> None:
    """Formula-like text in a name, a title, a source and a sentence (synthetic edits)."""
    for sheet in ("媒体单位", "宣传项目"):
        ws = wb[sheet]
        for row in ws.iter_rows(min_row=2):
            if str(row[0].value).endswith("常州日报"):
                _text(ws, row[0].row, "单位", HYPERLINK)
    _text(wb["宣传项目"], 2, "项目名称", "@SUM(1)")
    _text(wb["宣传项目"], 3, "来源", "+来源")
    _text(wb["报告总计"], 2, "原文", "-共计91个项目")


def test_clean_csv_cells_cannot_run_and_parquet_keeps_the_text(data_2019: Path) -> None:
    edit_workbook(workbook_path(data_2019), _inject)
    result = CliRunner().invoke(main, ["clean", "--year", "2019", "--data-dir", str(data_2019)],
                                catch_exceptions=False)
    assert result.exit_code == EXIT_OK, result.output
    out = data_2019 / "processed" / FUND / "2019"

    media_csv = pd.read_csv(out / "media_outlets.csv", encoding="utf-8-sig")
    media_pq = pd.read_parquet(out / "media_outlets.parquet")
    assert "'" + HYPERLINK in media_csv["outlet"].tolist()
    assert HYPERLINK in media_pq["outlet"].tolist()
    assert not any(str(v).startswith(FORMULA_PREFIXES) for v in media_csv["outlet"])
    assert media_csv["amount_fen"].dtype.kind == "i"
    assert media_csv["item_count"].dtype.kind == "i"
    row = media_csv[media_csv["outlet"] == "'" + HYPERLINK].iloc[0]
    assert int(row["amount_fen"]) == 71_900_000

    items_csv = pd.read_csv(out / "media_items.csv", encoding="utf-8-sig")
    items_pq = pd.read_parquet(out / "media_items.parquet")
    assert "'@SUM(1)" in items_csv["title"].tolist()
    assert "@SUM(1)" in items_pq["title"].tolist()
    assert "'+来源" in items_csv["source"].tolist()
    assert "+来源" in items_pq["source"].tolist()
    assert (items_csv["outlet"] == "'" + HYPERLINK).sum() == (items_pq["outlet"] == HYPERLINK).sum() > 0

    totals_csv = pd.read_csv(out / "stated_totals.csv", encoding="utf-8-sig")
    assert "'-共计91个项目" in totals_csv["stated_text"].tolist()
    assert totals_csv["stated"].dtype.kind == "i"

    for csv_path in out.glob("*.csv"):
        df = pd.read_csv(csv_path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        for col in df.columns:
            assert not df[col].str.startswith(FORMULA_PREFIXES).any() or col.endswith(
                ("_fen", "item_count", "recipients", "value", "stated", "year", "rank_number")), (csv_path, col)
