"""``fundanalysis extract``: the 2019 text to a draft that passes ``check``, ``--compare`` against the committed
workbook, the same findings from .txt (UTF-8 and GB18030), .docx and text-layer .pdf, a clear refusal of a
scanned PDF, a new fund, and nothing written under data/raw or over an existing draft.

Until cli.py registers the command, it runs inside the project's GuardedGroup (the same exit codes).
"""

from __future__ import annotations

import io
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from conftest import FUND, REPO_DATA_DIR, WORKBOOK_2019

from fundanalysis.cli import main
from fundanalysis.config import EXIT_BAD_INPUT, EXIT_OK, EXIT_STORAGE
from fundanalysis.extract import extract
from fundanalysis.extract.command import draft_path
from fundanalysis.extract.compare import compare, rows_from_draft, rows_from_tables
from fundanalysis.extract.draft import CHECKLIST, TO_CHECK, build_draft, check_draft, has_to_check
from fundanalysis.ingest.load import process_year
from fundanalysis.ingest.specs import SHEETS
from fundanalysis.storage.reports import read_report

pytestmark = pytest.mark.slow  # the command line end to end, on workbooks, Word and PDF files

REPORT_2019 = WORKBOOK_2019.parent / "self-evaluation-report.txt"
TEXT_2019 = REPORT_2019.read_text(encoding="utf-8")
CLI = main  # extract is one of its lazily loaded commands


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(CLI, ["extract", *map(str, args)], catch_exceptions=False)


def run_main(*args: str | Path) -> Result:
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


def findings(text: str) -> list[tuple[str, str, str, tuple[tuple[str, object], ...]]]:
    """What two readings of one report must agree on: each finding's sheet, rule, section and values."""
    return [(f.sheet, f.rule, f.section, tuple(sorted(f.filled().items()))) for f in extract(text).findings]


@pytest.fixture(scope="module")
def draft_2019(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    before = snapshot(REPO_DATA_DIR / "raw")
    result = run("--fund", FUND, "--year", "2019", "--out-dir", out, REPORT_2019)
    assert result.exit_code == EXIT_OK, result.output
    assert snapshot(REPO_DATA_DIR / "raw") == before, "extract wrote under data/raw"
    assert "check: the draft passes the input checks, but" in result.output
    path = draft_path(out, FUND, 2019)
    assert path.is_file()
    return path


# ---------------------------------------------------------------------------------------------------------
# The 2019 draft


def test_the_2019_draft_passes_check(draft_2019: Path, tmp_path: Path) -> None:
    year_dir = tmp_path / "data" / "raw" / "another-fund" / "2019"
    year_dir.mkdir(parents=True)
    shutil.copy(draft_2019, year_dir / "fund-2019.xlsx")
    result = run_main("check", "--data-dir", tmp_path / "data", "--fund", "another-fund", "--year", "2019")
    assert result.exit_code == EXIT_OK, result.output
    assert "input OK" in result.output


def test_the_draft_has_the_templates_sheets_and_a_checklist(draft_2019: Path) -> None:
    wb = openpyxl.load_workbook(draft_2019)
    assert wb.sheetnames == [CHECKLIST, *(s.name for s in SHEETS)]
    for spec in SHEETS:
        ws = wb[spec.name]
        assert [c.value for c in ws[1]] == [c.header for c in spec.columns]
        assert all(c.comment is not None for c in ws[1])  # the template's header notes
    fund = wb["专项资金"]
    row = {h.value: c.value for h, c in zip(fund[1], fund[2], strict=True)}
    assert (row["资金名称"], row["年度"], row["预算金额"]) == ("工业互联网专项资金", 2019, "1000万元")
    assert row["来源"].startswith("常州市工信局2019年度工业互联网专项资金自我评价报告／一、专项资金基本信息")
    assert "2019 年度工业互联网专项资金总额 1000 万元。" in row["原文"]
    checklist = [[c.value for c in r] for r in wb[CHECKLIST].iter_rows(min_row=2)]
    assert ["媒体单位", 7, "列出5个项目名称，与所述6项不一致"] == checklist[4][:3]
    assert len(checklist) == 12
    outlet = wb["媒体单位"]
    assert outlet.cell(row=7, column=2).value == 6
    assert "列出5个项目名称" in outlet.cell(row=7, column=2).comment.text
    if has_to_check(SHEETS[0]):
        headers = [c.value for c in outlet[1]]
        assert outlet.cell(row=7, column=headers.index(TO_CHECK) + 1).value == "列出5个项目名称，与所述6项不一致"


def test_an_existing_draft_is_not_overwritten_without_force(draft_2019: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    dest = draft_path(out, FUND, 2019)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"corrected by hand")
    result = run("--fund", FUND, "--year", "2019", "--out-dir", out, REPORT_2019)
    assert result.exit_code == EXIT_STORAGE
    assert "already exists" in result.output and "--force" in result.output
    assert dest.read_bytes() == b"corrected by hand"
    result = run("--fund", FUND, "--year", "2019", "--out-dir", out, "--force", REPORT_2019)
    assert result.exit_code == EXIT_OK, result.output
    assert openpyxl.load_workbook(dest).sheetnames[0] == CHECKLIST


def test_a_draft_is_never_written_under_raw(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    result = run("--fund", "new-fund", "--year", "2019", "--data-dir", data, "--out-dir", data / "raw", REPORT_2019)
    assert result.exit_code == EXIT_STORAGE
    assert "never writes into" in result.output
    assert snapshot(data) == {}
    before = snapshot(REPO_DATA_DIR / "raw")  # the project's own raw folder, whatever --data-dir says
    result = run("--fund", "new-fund", "--year", "2019", "--data-dir", data, "--out-dir", REPO_DATA_DIR / "raw",
                 REPORT_2019)
    assert result.exit_code == EXIT_STORAGE
    assert snapshot(REPO_DATA_DIR / "raw") == before
    assert not (REPO_DATA_DIR / "raw" / "new-fund").exists()


def test_a_new_fund_starts_with_a_draft(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    result = run("--fund", "brand-new-fund", "--year", "2019", "--data-dir", data, "--out-dir", out, REPORT_2019)
    assert result.exit_code == EXIT_OK, result.output
    assert draft_path(out, "brand-new-fund", 2019).is_file()
    assert draft_path(out, "brand-new-fund", 2019).parent == out / "brand-new-fund" / "drafts"
    assert not data.exists()


def test_a_bad_fund_name_is_refused(tmp_path: Path) -> None:
    result = run("--fund", "2019", "--year", "2019", "--data-dir", tmp_path, "--out-dir", tmp_path, REPORT_2019)
    assert result.exit_code == EXIT_BAD_INPUT


# ---------------------------------------------------------------------------------------------------------
# --compare


def test_compare_with_the_committed_workbook_shows_only_what_the_report_causes(tmp_path: Path) -> None:
    result = run("--fund", FUND, "--year", "2019", "--out-dir", tmp_path / "out", "--compare", REPORT_2019)
    assert result.exit_code == EXIT_OK, result.output
    out = result.output
    assert ("工作簿中的 195 个数字：文本支持 195 个（其中 12 个在文本中带“待核对”标记），与文本不一致 0 个，"
            "文本中没有 0 个；另有 3 个数字只见于文本。") in out
    assert "二、与文本不一致（0）\n  无" in out and "三、未从文本读出（0）\n  无" in out
    # the report says 6 items and lists 5 titles: supported, and marked
    assert "媒体单位｜中经社江苏中心：项目数 6【待核对：列出5个项目名称，与所述6项不一致】、金额 15万元" in out
    # figures the workbook does not hold: the fund's and the parts' executed amounts, stated in the text
    assert ("专项资金｜工业互联网专项资金｜全年执行数：868.7万元（工作簿无此列）（三、）"
            "「共91个项目，使用专项资金868.7万元。」") in out
    assert "资金组成｜工业互联网项目｜全年执行数：667万元（工作簿无此列）（三、（一））【待核对：金额口径未注明】" \
        in out
    assert "资金组成｜工业互联网宣传｜全年执行数：201.7万元（工作簿无此列）" in out
    assert not (tmp_path / "out").exists(), "--compare writes no draft"


def test_compare_figures_of_2019() -> None:
    draft = build_draft(extract(TEXT_2019), 2019)
    result = compare(rows_from_draft(draft), rows_from_tables(process_year(REPO_DATA_DIR, 2019, FUND).tables),
                     reference_is_table=True)
    assert result.of("differ") == () and result.of("missing") == ()
    assert [(f.sheet, f.row, f.column, f.found) for f in result.of("extra")] == [
        ("专项资金", "工业互联网专项资金", "全年执行数", "868.7万元"),
        ("资金组成", "工业互联网项目", "全年执行数", "667万元"),
        ("资金组成", "工业互联网宣传", "全年执行数", "201.7万元")]
    marked = {(f.sheet, f.row, f.column) for f in result.of("supported") if f.doubts}
    assert ("媒体单位", "中经社江苏中心", "项目数") in marked
    titles = [f for f in result.of("supported") if f.sheet == "宣传项目" and f.column == "项目名称"
              and f.row.startswith("中经社江苏中心")]
    assert len(titles) == 5
    assert result.total().recall == 1.0 and result.total().precision == 1.0


def test_compare_a_changed_workbook_names_the_differences(tmp_path: Path) -> None:
    year_dir = tmp_path / "raw" / FUND / "2019"
    shutil.copytree(WORKBOOK_2019.parent, year_dir)
    wb = openpyxl.load_workbook(year_dir / "fund-2019.xlsx")
    outlets = wb["媒体单位"]
    outlets.cell(row=4, column=3, value="61万元")  # 中吴网: the report says 16万元
    ranks = wb["排名与成果"]
    ranks.cell(row=2, column=4, value=None)  # 339家, 列全省第三: the rank typed in the wrong place
    ranks.cell(row=3, column=4, value=3)
    wb.save(year_dir / "fund-2019.xlsx")
    result = run("--fund", FUND, "--year", "2019", "--data-dir", tmp_path, "--compare", REPORT_2019)
    assert result.exit_code == EXIT_OK, result.output
    assert "媒体单位｜中吴网｜金额：工作簿 61万元，文本 16万元（三、（二）3）「3、中吴网（1项，16万元）」" \
        in result.output
    assert "排名与成果｜获评工信部项目单位｜名次：工作簿 3（四、（一）2），文本中未找到" in result.output
    assert "与文本不一致 1 个" in result.output


def test_compare_without_a_workbook_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "raw" / "some-fund").mkdir(parents=True)
    result = run("--fund", "some-fund", "--year", "2019", "--data-dir", tmp_path, "--compare", REPORT_2019)
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no workbook for some-fund 2019 to compare with" in result.output


# ---------------------------------------------------------------------------------------------------------
# Report files: .txt in GB18030, .docx, .pdf with and without a text layer


def test_gb18030_text_reads_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(TEXT_2019.encode("gb18030"))
    got = read_report(path)
    assert got.text == TEXT_2019 and got.kind == "text"
    assert "GB18030" in got.notes[0]
    result = run("--fund", "gbk-fund", "--year", "2019", "--out-dir", tmp_path / "out", path)
    assert result.exit_code == EXIT_OK, result.output
    assert "GB18030" in result.output


def test_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT_2019.replace("\n", "\r\n").encode("utf-8"))
    assert findings(read_report(path).text) == findings(TEXT_2019)


def _docx(paragraphs: list[str], numbered: list[str] = ()) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for text in numbered:
        document.add_paragraph(text, style="List Number")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "项目", "金额"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_docx_gives_the_same_findings_as_the_text(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(_docx(TEXT_2019.split("\n")))
    got = read_report(path)
    assert got.kind == "docx"
    assert findings(got.text) == findings(TEXT_2019)
    assert got.text.rstrip().endswith("项目\u3000\u3000金额")  # a table row, cells on one line
    result = run("--fund", "docx-fund", "--year", "2019", "--out-dir", tmp_path / "out", path)
    assert result.exit_code == EXIT_OK, result.output
    assert "check: the draft passes the input checks, but" in result.output


def test_docx_list_numbers_word_draws_are_written_out(tmp_path: Path) -> None:
    path = tmp_path / "numbered.docx"
    path.write_bytes(_docx(["标题"], numbered=["第一项", "第二项"]))
    lines = read_report(path).text.split("\n")
    assert lines[1:3] == ["1.第一项", "2.第二项"]


def _pdf(lines: list[str], text: bool = True, pages: int = 1) -> bytes:
    """A PDF of the lines (split over ``pages`` pages) with a text layer, as Word or WPS exports one:
    the font embedded as TrueType with its character mapping (pdf.fonttype 42). Or a scan: a picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import font_manager
    from matplotlib.backends.backend_pdf import PdfPages

    from fundanalysis.storage import fonts

    path = str(fonts.cjk_font_path())
    font_manager.fontManager.addfont(path)
    font = font_manager.FontProperties(fname=path)
    buf = io.BytesIO()
    per_page = -(-len(lines) // pages) if lines else 0
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf) as pdf:
        for k in range(pages):
            page = lines[k * per_page:(k + 1) * per_page]
            fig = plt.figure(figsize=(60, 2 + 0.14 * len(page)))
            if text:
                for i, line in enumerate(page):
                    fig.text(0.005, 1 - (i + 1) / (len(page) + 2), line, fontproperties=font, fontsize=7)
            else:  # a scan: the page is a picture of text
                fig.figimage(np.random.default_rng(0).random((200, 300)), cmap="gray")
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


def _unmapped(text: str) -> str:
    """What a text layer without a character mapping gives: each glyph as a small code, not a character
    (Type 3 fonts without ToUnicode, as some PDF tools write them)."""
    return "".join(c if c.isspace() else chr(1 + ord(c) % 30) for c in text)


def _without_mapping(monkeypatch: pytest.MonkeyPatch, pages: set[int]) -> None:
    """Make the given pages' text layers give glyph codes instead of characters."""
    import pypdf

    original = pypdf.PageObject.extract_text

    def extract_text(self: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        text = original(self, *args, **kwargs)
        return _unmapped(text) if self.page_number in pages else text

    monkeypatch.setattr(pypdf.PageObject, "extract_text", extract_text)


def test_a_pdf_whose_text_layer_has_no_character_mapping_is_refused(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Not read as a report with nothing in it: the user is told the text layer cannot be read and
    what to do, exit 2, nothing written."""
    path = tmp_path / "unmapped.pdf"
    path.write_bytes(_pdf([ln for ln in TEXT_2019.split("\n") if ln.strip()], pages=2))
    _without_mapping(monkeypatch, {0, 1})
    out = tmp_path / "out"
    result = run("--fund", "pdf-fund", "--year", "2019", "--out-dir", out, path)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "unmapped.pdf" in result.output and "text layer cannot be read" in result.output
    assert "2 page(s)" in result.output and "OCR" in result.output
    assert not out.exists()


def test_a_pdf_page_without_character_mapping_is_skipped_with_a_note(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [ln for ln in TEXT_2019.split("\n") if ln.strip()]
    path = tmp_path / "half.pdf"
    path.write_bytes(_pdf(lines, pages=2))
    whole = read_report(path)
    _without_mapping(monkeypatch, {1})
    got = read_report(path)
    assert got.text == whole.text[:len(got.text)] and len(got.text) < len(whole.text) * 0.75
    assert not any(unicodedata.category(c) == "Cc" for c in got.text if not c.isspace())
    assert any("page(s) 2 cannot be read" in n for n in got.notes), got.notes


def test_a_text_layer_pdf_gives_the_same_findings_as_the_text(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf([ln for ln in TEXT_2019.split("\n") if ln.strip()]))
    got = read_report(path)
    assert got.kind == "pdf"
    assert findings(got.text) == findings(TEXT_2019)


def _wrap(line: str, width: int) -> list[str]:
    """A line cut as a page layout cuts it: at a display width (CJK characters count 2)."""
    import unicodedata

    pieces, current, used = [], "", 0
    for ch in line:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width:
            pieces.append(current)
            current, used = "", 0
        current += ch
        used += w
    return [*pieces, current]


def test_a_pdf_whose_layout_wrapped_the_lines_reads_the_same(tmp_path: Path) -> None:
    lines = [piece for ln in TEXT_2019.split("\n") if ln.strip() for piece in _wrap(ln, 80)]
    assert len(lines) > len([ln for ln in TEXT_2019.split("\n") if ln.strip()]) + 20
    path = tmp_path / "wrapped.pdf"
    path.write_bytes(_pdf(lines))
    assert findings(read_report(path).text) == findings(TEXT_2019)


def test_a_scanned_pdf_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_pdf([], text=False))
    out = tmp_path / "out"
    result = run("--fund", "scan-fund", "--year", "2019", "--out-dir", out, path)
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no text layer" in result.output and "OCR" in result.output
    assert not out.exists()


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("report.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".doc files are not read"),
    ("report.docx", b"not a zip", "not a Word document"),
    ("report.pdf", b"not a pdf", "not a PDF file"),
    ("report.txt", b"", "the report file is empty"),
    ("report.xlsx", b"PK", "unknown kind of report file"),
])
def test_files_that_give_no_text_are_bad_input(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = run("--fund", "x-fund", "--year", "2019", "--out-dir", tmp_path / "out", path)
    assert result.exit_code == EXIT_BAD_INPUT
    assert reason in result.output


def test_a_missing_report_is_bad_input(tmp_path: Path) -> None:
    result = run("--fund", "x-fund", "--year", "2019", "--out-dir", tmp_path, tmp_path / "nothing.txt")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "does not exist" in result.output


# ---------------------------------------------------------------------------------------------------------
# A draft that needs a person


def test_a_draft_that_needs_a_person_says_so(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("SYNTHETIC\n某县商务局2022年度外贸专项资金自我评价报告\n一、基本信息\n"
                    "2022年度外贸专项资金总额650万元，年初预算600万元。\n三、绩效情况\n"
                    "1、外贸进出口总额增长12.5%，位居全市第二。\n2、企业满意度位居全市前列。\n", encoding="utf-8")
    result = run("--fund", "county-trade", "--year", "2022", "--out-dir", tmp_path / "out", path)
    assert result.exit_code == EXIT_OK, result.output
    assert "check: the draft fails on" in result.output and "need a person" in result.output
    assert "预算金额650万元与年初预算数600万元同时出现" in result.output
    assert "数值“12.5”不是整数" in result.output
    assert "原文未给出数值（必填）" in result.output
    draft = build_draft(extract(path.read_text(encoding="utf-8")), 2022)
    problems = check_draft(draft)
    marked = {(sheet, row) for sheet, row, _ in draft.uncertain}
    assert problems and all((p.sheet, p.row) in marked for p in problems), "every problem's row is marked"
    wb = openpyxl.load_workbook(draft_path(tmp_path / "out", "county-trade", 2022))
    texts = [r[2].value for r in wb[CHECKLIST].iter_rows(min_row=2)]
    assert any(str(t).startswith("检查未通过：") for t in texts)
