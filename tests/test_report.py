"""The report build end to end: papermill on every report notebook, HTML, index pages."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import nbformat
import papermill
import pytest
from conftest import CLI, FUND

from fundanalysis.pipeline.sections import discover_sections

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "notebooks" / "reports"



@pytest.fixture(scope="module")
def built(built_report: dict[str, Path]) -> dict[str, Path]:
    """The session's one build (see conftest.built_report)."""
    return built_report


def sections() -> list[Path]:
    return sorted(REPORTS.glob("*.ipynb"))


def test_report_notebooks_are_numbered_and_titled_once() -> None:
    """Sections are discovered: each numbered, its title written once, in its title cell."""
    found = discover_sections(REPORTS)
    assert found and [s.path for s in found] == sections()
    for s in found:
        assert re.fullmatch(r"[0-9]{2}-[a-z0-9-]+", s.slug), s.slug
        node = nbformat.read(s.path, as_version=4)
        title_cells = [c for c in node.cells if "title" in c.metadata.get("tags", [])]
        assert len(title_cells) == 1 and title_cells[0].source == f"# {s.title}"
        assert "title" not in node.metadata.get("fundanalysis", {}), "the title lives in its cell only"
        assert s.title not in "".join(c.source for c in node.cells if c.cell_type == "code")
    assert len({s.title for s in found}) == len(found)
    assert list((ROOT / "notebooks" / "exploratory").glob("*.ipynb"))


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").rglob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs(nb: Path) -> None:
    node = nbformat.read(nb, as_version=4)
    for cell in node.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{nb.name} has outputs"
            assert cell.execution_count is None


@pytest.mark.parametrize("nb", sections(), ids=lambda p: p.name)
def test_parameters_are_listed_by_papermill(nb: Path) -> None:
    params = papermill.inspect_notebook(str(nb))
    assert {"fund", "year", "data_dir", "charts_dir"} <= set(params) and "out_dir" not in set(params)
    assert params["year"]["inferred_type_name"] == "int"
    assert params["year"]["help"], "parameters carry a comment"


@pytest.mark.parametrize("nb", sections(), ids=lambda p: p.name)
def test_report_notebooks_are_thin(nb: Path) -> None:
    """A parameters cell, a setup cell, then one call per heading."""
    node = nbformat.read(nb, as_version=4)
    code = [c for c in node.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for c in code[2:]:
        assert len(c.source.strip().splitlines()) == 1, c.source


def test_every_year_and_section_is_built(built: dict[str, Path]) -> None:
    """Each year gets the sections its data has rows for, and only those."""
    from fundanalysis.ingest.load import process_year

    out = built["out"]
    for year in ("2019", "2020"):
        d = out / FUND / year
        assert (d / "index.html").is_file()
        assert (d / "summary.json").is_file()
        tables = process_year(built["data"], int(year), FUND).tables
        for s in discover_sections(REPORTS):
            assert (d / f"{s.slug}.html").is_file() == s.applies(tables), (year, s.slug)
            assert (d / "notebooks" / s.path.name).is_file() == s.applies(tables)
        index = (d / "index.html").read_text(encoding="utf-8")
        assert "15-spending-lines.html" not in index  # neither year lists spending lines
    top = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{FUND}/2019/index.html"' in top and f'href="{FUND}/2020/index.html"' in top
    assert 'href="2019/index.html"' in (out / FUND / "index.html").read_text(encoding="utf-8")


def test_html_has_no_code_no_traceback_and_embedded_charts(built: dict[str, Path]) -> None:
    for year in ("2019", "2020"):
        for page in (built["out"] / FUND / year).glob("*.html"):
            text = page.read_text(encoding="utf-8")
            assert "Traceback" not in text, page
            assert "report = Report.load" not in text, f"code shown in {page}"
            assert "<script" not in text.lower(), f"script in {page}"
            assert not re.search(r'(src|href)="https?://', text), f"external file in {page}"
            if page.name != "index.html":
                assert "data:image/png;base64," in text, f"no chart in {page}"


def test_2019_overview_figures(built: dict[str, Path]) -> None:
    text = (built["out"] / FUND / "2019" / "10-fund-overview.html").read_text(encoding="utf-8")
    assert "86.87%" in text
    for heading in ("预算执行情况", "分部分、分处室使用情况", "报告总计核对"):
        assert heading in text
    assert "1,000 万元" in text and "868.7 万元" in text and "131.3 万元" in text
    # the one check the report itself fails is flagged, and the build went on
    failing = re.search(r'<td[^>]*class="[^"]*\bfail\b[^"]*"[^>]*>项目名称数·中经社江苏中心</td>', text)
    assert failing, "the failing check is not flagged"
    index = (built["out"] / FUND / "2019" / "index.html").read_text(encoding="utf-8")
    assert "86.87%" in index


def test_2019_sections_show_the_report_figures(built: dict[str, Path]) -> None:
    d = built["out"] / FUND / "2019"
    awards = (d / "20-award-categories.html").read_text(encoding="utf-8")
    assert "两化融合管理体系贯标" in awards and "432" in awards
    media = (d / "30-media-spending.html").read_text(encoding="utf-8")
    assert "常州日报" in media and "71.9" in media and "壮丽 70 年" in media
    ranks = (d / "40-rankings.html").read_text(encoding="utf-8")
    assert "第 3 名" in ranks and "位居全省前列" in ranks and "五星级" in ranks


def test_year_over_year_with_a_second_year(built: dict[str, Path]) -> None:
    text = (built["out"] / FUND / "2020" / "10-fund-overview.html").read_text(encoding="utf-8")
    assert "与上一年度相比" in text
    # 2020 (synthetic) spent 930万元 against 868.7万元 in 2019: +61.3万元
    assert "+61.3" in text
    # a part with its own budget gets its own utilisation row
    assert "工业互联网宣传" in text and "72.00%" in text


def test_markup_in_data_is_escaped(built: dict[str, Path]) -> None:
    text = (built["out"] / FUND / "2020" / "30-media-spending.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)" not in text


def test_summary_json_and_chart_exports(built: dict[str, Path]) -> None:
    s = json.loads((built["out"] / FUND / "2019" / "summary.json").read_text(encoding="utf-8"))
    for key in ("year", "budget_yuan", "spent_yuan", "unspent_yuan", "utilisation", "projects",
                "award_categories", "media_outlets", "rankings", "reconciliation"):
        assert key in s
    assert s["utilisation"] == pytest.approx(0.8687)
    charts = built["out"] / FUND / "2019" / "charts"
    pngs = sorted(charts.glob("*.png"))
    assert len(pngs) >= 9
    # rendered once: the exported PNG is the very image embedded in the section page
    overview = (built["out"] / FUND / "2019" / "10-fund-overview.html").read_text(encoding="utf-8")
    png = charts / "01-utilisation-budget-spent-unspent.png"
    assert base64.b64encode(png.read_bytes()).decode() in overview


def test_rebuild_is_skipped_when_nothing_changed(built: dict[str, Path]) -> None:
    before = (built["out"] / FUND / "2019" / "build.json").read_text(encoding="utf-8")
    proc = subprocess.run([str(CLI), "report", "--year", "2019", "--data-dir", str(built["data"]),
                           "--out-dir", str(built["out"])], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stderr
    assert (built["out"] / FUND / "2019" / "build.json").read_text(encoding="utf-8") == before


def test_build_log_is_written(built: dict[str, Path]) -> None:
    logs = list((built["out"] / "logs").glob("build-*.log"))
    assert logs and any("published" in p.read_text(encoding="utf-8") for p in logs)


def test_exploratory_notebook_runs(built: dict[str, Path], tmp_path: Path) -> None:
    nb = ROOT / "notebooks" / "exploratory" / "01-explore-processed-tables.ipynb"
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(str(nb), str(out), parameters={"data_dir": str(built["data"])},
                               progress_bar=False, cwd=str(nb.parent), kernel_name="python3")
    text = out.read_text(encoding="utf-8")
    assert "两化融合管理体系贯标" in text and "项目名称数·中经社江苏中心" in text
