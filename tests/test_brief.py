"""``fundanalysis brief``: the Word briefing and the PowerPoint deck of the 2019 report.

The expected figures come from the built year's index page (its key-figure tiles, as the pages
format them), never typed here; the files are read back with python-docx and python-pptx.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from pptx import Presentation

from fundanalysis.config import REPORT_NOTEBOOKS_DIR
from fundanalysis.export.brief import FORMATS, REFERENCE_DOCX, notebook_calls
from tests.conftest import FUND, YEAR_2019, copy_year

pytestmark = pytest.mark.slow
CLI = Path(sys.executable).parent / "fundanalysis"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def briefed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The 2019 input built and briefed by the installed command."""
    from tests.conftest import REPO_DATA_DIR

    base = tmp_path_factory.mktemp("brief")
    data, out = base / "data", base / "outputs"
    copy_year(REPO_DATA_DIR, YEAR_2019, data)
    proc = _run("brief", "--year", str(YEAR_2019), "--data-dir", str(data), "--out-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    year_dir = out / FUND / str(YEAR_2019)
    printed = [Path(line) for line in proc.stdout.split()]
    return {"data": data, "out": out, "year": year_dir, "docx": printed[0], "pptx": printed[1]}


def _tiles(index_html: str) -> list[tuple[str, str]]:
    """The key figures as the year's index page shows them (label, value)."""
    return re.findall(r'<div class="k">([^<]*)</div><div class="v">([^<]*)</div>', index_html)


def _docx_text(d: docx.document.Document) -> str:
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def _east_asian_font(style: docx.styles.style.BaseStyle) -> str | None:
    fonts = style.element.find(qn("w:rPr")).find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia"))


def test_brief_writes_both_files_into_the_year_and_links_them(briefed: dict[str, Path]) -> None:
    assert briefed["docx"] == briefed["year"] / f"{FUND}-{YEAR_2019}-{FORMATS['docx']}"
    assert briefed["pptx"] == briefed["year"] / f"{FUND}-{YEAR_2019}-{FORMATS['pptx']}"
    index = (briefed["year"] / "index.html").read_text(encoding="utf-8")
    from urllib.parse import quote

    for p in (briefed["docx"], briefed["pptx"]):
        assert p.is_file() and p.stat().st_size > 10_000
        assert f'href="{quote(p.name)}"' in index
    record = json.loads((briefed["year"] / "build.json").read_text(encoding="utf-8"))
    assert {briefed["docx"].name, briefed["pptx"].name} <= set(record["extras"]["files"])


def test_a_rebuild_keeps_the_briefing_and_an_unchanged_brief_is_not_made_again(briefed: dict[str, Path]) -> None:
    before = briefed["docx"].stat().st_mtime_ns
    proc = _run("brief", "--year", str(YEAR_2019), "--docx", "--data-dir", str(briefed["data"]),
                "--out-dir", str(briefed["out"]))
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stderr
    assert briefed["docx"].stat().st_mtime_ns == before


def test_docx_states_every_key_figure_as_the_page_does(briefed: dict[str, Path]) -> None:
    tiles = _tiles((briefed["year"] / "index.html").read_text(encoding="utf-8"))
    summary = json.loads((briefed["year"] / "summary.json").read_text(encoding="utf-8"))
    assert len(tiles) >= 5 and summary["budget_yuan"] is not None
    d = docx.Document(str(briefed["docx"]))
    summary_paragraph = d.paragraphs[2].text
    for label, value in tiles:
        assert f"{label}{value}" in summary_paragraph, (label, value)
    text = _docx_text(d)
    assert summary["fund_name"] in d.paragraphs[0].text and str(YEAR_2019) in d.paragraphs[0].text
    assert "报告总计核对" in text


def test_docx_leaves_out_what_explains_the_page(briefed: dict[str, Path]) -> None:
    import nbformat

    text = _docx_text(docx.Document(str(briefed["docx"])))
    explained = 0
    for nb_path in sorted(REPORT_NOTEBOOKS_DIR.glob("*.ipynb")):
        for cell in nbformat.read(str(nb_path), as_version=4).cells:
            lines = cell.source.strip().splitlines()
            if cell.cell_type == "markdown" and lines and lines[0].startswith("## "):
                for para in (line.strip() for line in lines[1:]):
                    if para:
                        explained += 1
                        assert para not in text, para
                if lines[0][3:].strip() in ("预算执行情况", "各类别获奖单位数与金额"):
                    assert lines[0][3:].strip() in text  # the headings themselves stay
    assert explained > 10


def test_docx_captions_are_numbered_and_every_table_and_chart_has_a_source(briefed: dict[str, Path]) -> None:
    d = docx.Document(str(briefed["docx"]))
    paras = [p.text for p in d.paragraphs]
    tables = [int(m.group(1)) for t in paras if (m := re.match(r"表(\d+)　", t))]
    figures = [int(m.group(1)) for t in paras if (m := re.match(r"图(\d+)　", t))]
    assert tables == list(range(1, len(d.tables) + 1)) and len(tables) >= 5
    pictures = len(d.inline_shapes)
    assert figures == list(range(1, pictures + 1)) and pictures >= 5
    assert sum(t.startswith("资料来源：") for t in paras) == len(tables) + len(figures)
    # a figure's caption is under it; a table's above it
    for i, t in enumerate(paras):
        if re.match(r"图\d+　", t):
            assert d.paragraphs[i - 1].runs and d.paragraphs[i - 1]._p.xpath(".//pic:pic")


def test_docx_page_setup_fonts_and_three_line_tables(briefed: dict[str, Path]) -> None:
    d = docx.Document(str(briefed["docx"]))
    s = d.sections[0]
    mm = 36000
    assert (round(s.page_width / mm), round(s.page_height / mm)) == (210, 297)
    assert (round(s.top_margin / mm), round(s.left_margin / mm)) == (37, 28)
    assert round((s.page_width - s.left_margin - s.right_margin) / mm) == 156
    assert round((s.page_height - s.top_margin - s.bottom_margin) / mm) == 225
    fonts = {name: _east_asian_font(d.styles[name]) for name in ("Normal", "Body Text", "Heading 1", "Heading 2")}
    assert fonts == {"Normal": "仿宋", "Body Text": "仿宋", "Heading 1": "黑体", "Heading 2": "楷体"}
    assert d.styles["Normal"].font.size.pt == 16
    footer = d.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "—" in footer
    for t in d.tables:
        borders = t._tbl.tblPr.find(qn("w:tblBorders"))
        vals = {e.tag.split("}")[1]: e.get(qn("w:val")) for e in borders}
        assert vals == {"top": "single", "bottom": "single", "left": "nil", "right": "nil",
                        "insideH": "nil", "insideV": "nil"}
        head = t.rows[0].cells[0]._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom"))
        assert head.get(qn("w:val")) == "single"


def test_pptx_is_16_9_with_figures_one_slide_per_chart_and_findings(briefed: dict[str, Path]) -> None:
    tiles = _tiles((briefed["year"] / "index.html").read_text(encoding="utf-8"))
    deck = Presentation(str(briefed["pptx"]))
    assert round(deck.slide_width / deck.slide_height, 3) == round(16 / 9, 3)

    def texts(slide: object) -> list[str]:
        return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]

    slides = list(deck.slides)
    d = docx.Document(str(briefed["docx"]))
    assert d.paragraphs[0].text in texts(slides[0])
    figures = "\n".join(texts(slides[1]))
    for label, value in tiles:
        assert label in figures and value in figures
    pictures = [s for s in slides if any(sh.shape_type == 13 for sh in s.shapes)]
    assert len(pictures) == len(d.inline_shapes) == len(slides) - 3
    for s in pictures:  # a title, a one-line takeaway, and the picture inside the slide
        pic = next(sh for sh in s.shapes if sh.shape_type == 13)
        assert pic.left >= 0 and pic.left + pic.width <= deck.slide_width
        assert pic.top + pic.height <= deck.slide_height
        assert texts(s)[1].endswith("。") and texts(s)[1].count("。") == 1
    assert "报告总计核对" in texts(slides[-1])[0]
    ea = slides[1].shapes[0].element.xpath(".//a:ea/@typeface")
    assert ea and set(ea) <= {"黑体", "仿宋"}


def test_a_replaced_reference_docx_styles_the_briefing(briefed: dict[str, Path], tmp_path: Path) -> None:
    ref = docx.Document(str(REFERENCE_DOCX))
    ref.styles["Normal"].element.find(qn("w:rPr")).find(qn("w:rFonts")).set(qn("w:eastAsia"), "仿宋_GB2312")
    mine = tmp_path / "mine.docx"
    ref.save(str(mine))
    out = tmp_path / "out"
    shutil.copytree(briefed["out"], out, symlinks=True)
    proc = _run("brief", "--year", str(YEAR_2019), "--docx", "--reference-docx", str(mine),
                "--data-dir", str(briefed["data"]), "--out-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    d = docx.Document(proc.stdout.split()[0])
    assert _east_asian_font(d.styles["Normal"]) == "仿宋_GB2312"
    assert "参考文档" not in _docx_text(d)  # the reference's own sample text is not copied

    bad = tmp_path / "bad.docx"
    bad.write_text("not a document", encoding="utf-8")
    proc = _run("brief", "--year", str(YEAR_2019), "--reference-docx", str(bad),
                "--data-dir", str(briefed["data"]), "--out-dir", str(out))
    assert proc.returncode == 2 and "bad.docx" in proc.stderr


def test_notebook_calls_pair_each_heading_with_its_method() -> None:
    calls = notebook_calls(REPORT_NOTEBOOKS_DIR / "50-self-evaluation.ipynb")
    assert ("自评表核对", "reconciliation", {"form_only": True}) in [(c.title, c.method, c.kwargs) for c in calls]
    assert all(c.method != "title" or c.title for c in calls)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_renders_both_files_on_a4_and_16_9(briefed: dict[str, Path], tmp_path: Path) -> None:
    from pypdf import PdfReader

    for p in (briefed["docx"], briefed["pptx"]):
        proc = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                               "--convert-to", "pdf", "--outdir", str(tmp_path), str(p)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    doc_pdf = PdfReader(str(tmp_path / briefed["docx"].with_suffix(".pdf").name))
    box = doc_pdf.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    assert len(doc_pdf.pages) >= 3
    deck_pdf = PdfReader(str(tmp_path / briefed["pptx"].with_suffix(".pdf").name))
    assert len(deck_pdf.pages) == len(Presentation(str(briefed["pptx"])).slides)
