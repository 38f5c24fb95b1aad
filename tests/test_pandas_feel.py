"""The notebook API behaves as a pandas user expects: completion lists it, mistyped keywords
raise, ``fa.to_excel`` writes a table as the analyst saw it, a heading's charts display as
images, plain pandas plots show Chinese, and the shipped notebooks name the fundanalysis kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import openpyxl
import pytest

import fundanalysis as fa
from fundanalysis.config import NOTEBOOKS_DIR, PROJECT_ROOT
from tests.conftest import REPO_DATA_DIR


def test_dir_lists_the_api_for_completion() -> None:
    names = dir(fa)
    assert {"load", "summary", "Report", "style", "use_theme", "to_excel"} <= set(names)
    assert "Any" not in names and "annotations" not in names


def test_a_mistyped_keyword_raises_type_error() -> None:
    with pytest.raises(TypeError, match="fnud"):
        fa.Report.load(2019, fnud="changzhou-industrial-internet")
    assert fa.Report.load(2019, data_dir=REPO_DATA_DIR, out_dir="ignored").year == 2019  # older notebooks


def test_to_excel_writes_a_table_as_the_analyst_saw_it(tmp_path: Path) -> None:
    from fundanalysis.analysis import metrics

    cats = metrics.category_totals(fa.load(2019, data_dir=REPO_DATA_DIR)["award_categories"])
    cats = cats.assign(year=2019)
    dest = fa.to_excel(cats, tmp_path / "类别.xlsx")
    ws = openpyxl.load_workbook(dest).active
    head = [c.value for c in ws[1]]
    assert head[:3] == ["资金类别", "获奖单位数", "金额（万元）"]  # the input sheet's headers, money in 万元
    money, share = 3, head.index("占比") + 1
    year = head.index("年度") + 1
    for r, (_, row) in zip(range(2, ws.max_row + 1), cats.iterrows(), strict=True):
        assert ws.cell(r, money).value == pytest.approx(int(row["amount_fen"]) / 1_000_000)
        assert ws.cell(r, money).number_format == "#,##0.00"
        assert ws.cell(r, share).value == pytest.approx(row["share"]) and ws.cell(r, share).number_format == "0.0%"
        assert ws.cell(r, year).value == 2019 and "," not in ws.cell(r, year).number_format
    assert ws.auto_filter.ref and int(ws.page_setup.paperSize) == 9
    with pytest.raises(TypeError):
        fa.to_excel([1, 2], tmp_path / "x.xlsx")


def test_a_headings_charts_display_as_images_not_bytes() -> None:
    shown = fa.Report.load(2019, data_dir=REPO_DATA_DIR).award_categories()
    assert len(shown.charts) >= 1
    html = shown.charts._repr_html_()
    assert html.count("<img") == len(shown.charts) and "data:image/png;base64," in html
    assert len(repr(shown.charts)) < 200


def test_plain_pandas_plots_show_chinese_once_the_api_is_imported() -> None:
    code = ("import warnings; warnings.simplefilter('error');"
            "import matplotlib; matplotlib.use('agg');"
            "import fundanalysis as fa; fa.load;"  # the notebook API, as `fa.load(2019)` imports it
            "import pandas as pd;"
            "ax = pd.Series([1, 2], index=['甲', '乙']).plot(title='预算执行');"
            "ax.figure.canvas.draw()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_shipped_notebooks_name_the_fundanalysis_kernel_and_make_lab_installs_it_for_the_user() -> None:
    notebooks = sorted(NOTEBOOKS_DIR.rglob("*.ipynb"))
    assert len(notebooks) >= 6
    for p in notebooks:
        assert nbformat.read(str(p), as_version=4).metadata["kernelspec"]["name"] == "fundanalysis", p
    lab = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8").split("\nlab:")[1].split("\n\n")[0]
    assert "ipykernel install --user --name fundanalysis" in lab
    assert "ipykernel install --sys-prefix --name fundanalysis" in lab
