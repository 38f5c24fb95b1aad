"""Parameters reach the notebooks intact; the year and paths are validated."""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FUND
from hypothesis import given, settings
from hypothesis import strategies as st
from papermill.translators import translate_parameters

from fundanalysis.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "fundanalysis"

path_text = st.text(
    alphabet=st.one_of(st.sampled_from(list(" '\"\\\n\t{}$%#()（）数据目录年度报告专项资金/.-_")),
                       st.characters(min_codepoint=32, max_codepoint=0x9FFF,
                                     blacklist_categories=("Cs",))),
    min_size=1, max_size=40)


@given(data_dir=path_text, out_dir=path_text, year=st.integers(1990, 2100))
@settings(max_examples=200, deadline=None)
def test_string_parameters_arrive_intact(data_dir: str, out_dir: str, year: int) -> None:
    """The cell papermill injects, run as the kernel runs it, yields the same values."""
    params = {"year": year, "data_dir": data_dir, "out_dir": out_dir}
    source = translate_parameters("python3", "python", params, "Parameters")
    ns: dict[str, object] = {}
    exec(source, ns)  # exactly what the kernel does with the cell
    assert ns["data_dir"] == data_dir and ns["out_dir"] == out_dir and ns["year"] == year


@pytest.mark.parametrize("year", ["1800", "3000", "20x9", "-2019"])
def test_year_is_validated(year: str, tmp_path: Path) -> None:
    for cmd in ("check", "clean", "summary", "report", "charts"):
        res = CliRunner().invoke(main, [cmd, "--year", year, "--data-dir", str(ROOT / "data"),
                                        "--out-dir", str(tmp_path / "o")] if cmd in ("report", "charts")
                                 else [cmd, "--year", year, "--data-dir", str(ROOT / "data")])
        assert res.exit_code == 2, (cmd, res.output)
    assert not (tmp_path / "o").exists()


def test_missing_data_dir_is_bad_input(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["report", "--data-dir", str(tmp_path / "nope"),
                                    "--out-dir", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "does not exist" in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_awkward_paths_reach_a_real_kernel(tmp_path: Path) -> None:
    """Spaces, Chinese, quotes and a newline in the paths survive papermill into the kernel."""
    import nbformat

    base = tmp_path / "评价 数据 'q\" \n line"
    data = base / "data"
    (data / "raw").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "raw" / FUND / "2019", data / "raw" / FUND / "2019")
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    p = nbformat.v4.new_code_cell('year: int = 2019  # y\ndata_dir: str = "x"  # d\nout_dir: str = "x"  # o')
    p.metadata["tags"] = ["parameters"]
    show = nbformat.v4.new_code_cell("from pathlib import Path\nprint(repr(data_dir), Path(data_dir).is_dir())")
    nb = nbformat.v4.new_notebook(cells=[p, show])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "10-params.ipynb")
    out = base / "outputs"
    proc = subprocess.run([str(CLI), "report", "--data-dir", str(data), "--out-dir", str(out),
                           "--notebooks-dir", str(nbdir)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (out / FUND / "2019" / "10-params.html").read_text(encoding="utf-8")
    assert html.escape(f"{str(data)!r} True", quote=False) in page


def test_tampered_processed_tables_are_set_aside(tmp_path: Path) -> None:
    """Processed tables are used only while they are the bytes the suite wrote: a hand-edited table
    (valid or not) is never shown as the report's figures; the year is read from its raw input again,
    with a warning that names the folder."""
    import pandas as pd

    from fundanalysis.ingest.load import ProcessedTablesEdited, clean_year, load_tables

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "raw", data / "raw")
    dest, _ = clean_year(data, 2019)
    written = load_tables(data, 2019)["award_categories"]["amount_fen"].tolist()
    for value in (-1, written[0] + 100):  # refused by the schema, or plausible: neither is the input
        cats = pd.read_parquet(dest / "award_categories.parquet")
        cats.loc[0, "amount_fen"] = value
        cats.to_parquet(dest / "award_categories.parquet", index=False)
        with pytest.warns(ProcessedTablesEdited, match=str(dest.name)):
            again = load_tables(data, 2019)
        assert again["award_categories"]["amount_fen"].tolist() == written
