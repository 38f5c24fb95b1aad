"""``fundanalysis report --scheduler ADDRESS``: each fund-year built as a task on a real Dask cluster
(a scheduler and two worker processes on localhost, started and stopped by the test).

SYNTHETIC: the two funds are the fixture funds of tests/fixtures/funds (every name and figure invented).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR

from fundanalysis.cli import main
from fundanalysis.storage import catalog

FUNDS = {"synthetic-egov": 2021, "synthetic-county-media": 2022}
pytestmark = pytest.mark.slow


def _notebook(path: Path) -> None:
    """A one-section report notebook: its parameters, then one line that reads the year's tables."""
    params = nbformat.v4.new_code_cell('year: int = 2019  # year\ndata_dir: str = "data"  # data\n'
                                       'out_dir: str = "outputs"  # out')
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 合成测试"), params,
                                         nbformat.v4.new_code_cell("print('year', year)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["fundanalysis"] = {"title": "合成测试"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    for fund in FUNDS:
        shutil.copytree(FIXTURES_DIR / "funds" / "raw" / fund, data / "raw" / fund)
    _notebook(tmp_path / "nb" / "10-test.ipynb")
    return {"data": data, "nb": tmp_path / "nb", "base": tmp_path}


def _report(p: dict[str, Path], out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", "--data-dir", str(p["data"]), "--out-dir", str(out),
                                       "--notebooks-dir", str(p["nb"]), *extra])
    return result.exit_code, result.output


def test_report_on_a_scheduler_builds_each_fund_year_as_a_local_build_does(
        project: dict[str, Path], localhost_cluster: str) -> None:
    on_cluster, local = project["base"] / "cluster-out", project["base"] / "local-out"
    code, output = _report(project, on_cluster, "--scheduler", localhost_cluster)
    assert code == 0, output
    assert all(f"[{f} {y}] built on the cluster" in output for f, y in FUNDS.items()), output
    code, output = _report(project, local)
    assert code == 0, output
    for fund, year in FUNDS.items():
        built = catalog.year_output(on_cluster, fund, year)
        assert (built / "index.html").is_file() and (built / "10-test.html").is_file()
        summaries = [json.loads((catalog.year_output(o, fund, year) / "summary.json").read_text(encoding="utf-8"))
                     for o in (on_cluster, local)]
        assert all(s.pop("built_at") for s in summaries)  # when each was built: the one field that differs
        assert summaries[0] == summaries[1] and summaries[0]["year"] == year
    site = (on_cluster / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{f}/index.html"' in site for f in FUNDS)  # the site index lists both funds
    # built again: every year is up to date, on the cluster as here
    code, output = _report(project, on_cluster, "--scheduler", localhost_cluster)
    assert code == 0 and all(f"[{f} {y}] up to date on the cluster" in output for f, y in FUNDS.items()), output


def test_a_fund_year_that_fails_on_the_cluster_is_named_and_the_others_published(
        project: dict[str, Path], localhost_cluster: str) -> None:
    broken = project["data"] / "raw" / "synthetic-egov" / "2021"
    for workbook in broken.glob("*.xlsx"):
        workbook.write_bytes(b"not a workbook")
    out = project["base"] / "out"
    code, output = _report(project, out, "--scheduler", localhost_cluster)
    assert code == 1, output
    assert "[synthetic-egov 2021] failed (exit 2) on the cluster" in output
    assert (catalog.year_output(out, "synthetic-county-media", 2022) / "index.html").is_file()
    assert not catalog.year_output(out, "synthetic-egov", 2021).exists()
    assert 'href="synthetic-county-media/index.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_watch_and_scheduler_are_refused_together(project: dict[str, Path]) -> None:
    code, output = _report(project, project["base"] / "out", "--watch", "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and "--watch" in output
