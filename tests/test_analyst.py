"""The analyst's seat: the public API for notebooks, seaborn in the house style, notebooks that
run from anywhere, styles that travel with the outputs, and the Excel export."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from io import BytesIO
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import CLI, FUND, ROOT, make_data_dir

import fundanalysis as fa
from fundanalysis.present.shown import STYLE_TAG, Shown

GLYPH = "Glyph"  # matplotlib's warning when a font lacks a character (a tofu box)


# ------------------------------------------------------------------ the public API


def test_load_and_summary_through_the_package() -> None:
    tables = fa.load(2019)
    assert {"fund", "award_categories", "media_outlets"} <= set(tables)
    assert all(isinstance(df, pd.DataFrame) for df in tables.values())
    s = fa.summary(2019, fund=FUND)
    assert s["budget_fen"] == int(tables["fund"]["budget_fen"].iloc[0])


def test_every_heading_returns_what_it_shows_with_its_numbers() -> None:
    from fundanalysis.present.report import HEADINGS

    report = fa.Report.load(2019)
    shown = report.award_categories()
    assert isinstance(shown, Shown)
    df = shown.df
    assert df["amount_fen"].dtype.kind in "iu" or str(df["amount_fen"].dtype) == "Int64"  # raw 分, not strings
    assert int(df["amount_fen"].sum()) == int(report.tables["award_categories"]["amount_fen"].sum())
    assert shown.charts and shown.charts[0].png.startswith(b"\x89PNG")
    html = shown._repr_html_()
    assert html.startswith(STYLE_TAG) and "fnd-table" in html and "data:image/png" in html
    assert "<picture>" in html  # a narrow variant for phones
    for name in HEADINGS:
        if name in ("award_distribution",):
            continue
        assert isinstance(getattr(report, name)(), Shown), name


def test_style_shows_fen_as_wan_and_fractions_as_percent() -> None:
    df = fa.Report.load(2019).media_outlets().df
    html = fa.style(df).to_html()
    top = df.sort_values("amount_fen", ascending=False).iloc[0]
    assert f">{top['amount_fen'] / 1_000_000:g}<" in html
    assert "amount（万元）" in html and "%" in html
    assert str(df["amount_fen"].dtype) in ("Int64", "int64")  # the frame itself keeps integer 分


def test_seaborn_after_set_theme_keeps_chinese() -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme()  # the habit that used to reset the font
    fa.use_theme()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = sns.barplot(x=[1, 2], y=["两化融合管理体系贯标", "工业互联网平台"])
        ax.set_title("各类别奖励金额（万元）")
        ax.figure.canvas.draw()
    plt.close("all")
    assert not [w for w in caught if GLYPH in str(w.message)]


def test_report_charts_display_without_magics() -> None:
    from fundanalysis import charts

    tables = fa.load(2019)
    fig = charts.chart(tables, "award-amount")
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG")
    with pytest.raises(KeyError, match="there are"):
        charts.chart(tables, "no-such-chart")


def test_report_pages_drop_the_per_output_styles() -> None:
    from fundanalysis.present.page import without_output_styles

    body = Shown(html="<p>x</p>")._repr_html_()
    assert STYLE_TAG not in without_output_styles(body) and "<p>x</p>" in without_output_styles(body)


# ------------------------------------------------------------------ notebooks from anywhere


@pytest.mark.slow
def test_report_notebook_runs_with_papermill_from_the_repository_root(tmp_path: Path) -> None:
    out = tmp_path / "overview.ipynb"
    done = subprocess.run([str(Path(sys.executable).parent / "papermill"),
                           "notebooks/reports/10-fund-overview.ipynb", str(out), "-k", "python3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.slow
def test_starter_notebook_draws_seaborn_figures_in_a_real_kernel(tmp_path: Path) -> None:
    """The exploratory starter, executed in a Jupyter kernel from another folder: its seaborn
    figures are drawn and no glyph is missing."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / "exploratory" / "01-explore-processed-tables.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert GLYPH not in stderr, stderr
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # amounts by category/outlet, and per recipient/item
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert STYLE_TAG in html and "fnd-tiles" in html  # the key figures keep their tiles in JupyterLab


# ------------------------------------------------------------------ Excel out


@pytest.mark.slow
def test_export_xlsx_matches_summary_json(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "data", years=("2019",))
    out = tmp_path / "out"
    done = subprocess.run([str(CLI), "export", "--year", "2019", "--xlsx", "--data-dir", str(data),
                           "--out-dir", str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    path = Path(done.stdout.strip().splitlines()[-1])
    year = out / FUND / "2019"
    assert path.parent == year and path.is_file()
    summary = json.loads((year / "summary.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(BytesIO(path.read_bytes()))
    assert {"关键数字", "资金使用", "奖励类别", "宣传单位", "报告总计核对"} <= set(wb.sheetnames)
    cats = wb["奖励类别"]
    heads = [c.value for c in cats[1]]
    assert cats.freeze_panes == "A2" and "奖励金额（万元）" in heads
    col = heads.index("奖励金额（万元）")
    got = {r[0]: r[col] for r in cats.iter_rows(min_row=2, values_only=True)}
    for c in summary["award_categories"]:
        assert got[c["category"]] * 10_000 == pytest.approx(c["amount_yuan"], abs=1e-6)
    assert cats.cell(2, col + 1).number_format == "#,##0.00"
    key = {r[0]: r[1] for r in wb["关键数字"].iter_rows(min_row=2, values_only=True)}
    assert key["执行率"] == pytest.approx(summary["utilisation"])
    index = (year / "index.html").read_text(encoding="utf-8")
    assert "%E6%95%B0%E6%8D%AE%E8%A1%A8.xlsx" in index  # 数据表.xlsx linked from the year's page


def test_export_writes_text_as_text() -> None:
    from fundanalysis.export.workbook import tables_workbook

    tables = {k: v.copy() for k, v in fa.load(2019).items()}
    m = tables["media_outlets"]
    m.loc[m.index[0], "outlet"] = '=HYPERLINK("http://x","y")'
    wb = openpyxl.load_workbook(BytesIO(tables_workbook(tables, fa.summary(2019))))
    cells = [c for row in wb["宣传单位"].iter_rows() for c in row if isinstance(c.value, str)
             and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)


# ------------------------------------------------------------------ make targets


def test_make_charts_and_summary_take_year_and_fund() -> None:
    for target in ("charts", "summary", "export"):
        done = subprocess.run(["make", "-n", target, "YEAR=2031", "FUND=some-fund"], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        line = [ln for ln in done.stdout.splitlines() if "fundanalysis " in ln][-1]
        assert "--year 2031" in line and "--fund some-fund" in line, line


def test_missing_year_lists_the_years_there_are(tmp_path: Path) -> None:
    from test_defences import cli

    data = make_data_dir(tmp_path / "data", years=("2019",))
    done = cli("summary", "--year", "2031", "--data-dir", str(data))
    assert done.exit_code == 2
    assert "years with input: 2019" in done.stderr and "fundanalysis template" in done.stderr


def test_make_lab_installs_the_kernel_and_passes_its_arguments() -> None:
    import os

    done = subprocess.run(["make", "-n", "lab", "LAB_ARGS=--no-browser --port 8890"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert "ipykernel install --sys-prefix --name fundanalysis" in done.stdout
    line = [ln for ln in done.stdout.splitlines() if "jupyter lab" in ln][-1]
    assert "--no-browser --port 8890" in line
    assert ("--allow-root" in line) == (os.geteuid() == 0)
    assert "nbstripout --keep-id" in done.stdout
