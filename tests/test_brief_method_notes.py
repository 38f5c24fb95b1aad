"""Only the sentences meant for readers reach the briefing (issue 30).

A sentence that explains how the page works (what the page computes or leaves blank, where on
the page to look) is tagged where it is produced (``words.MethodNote``) and shown on the page as
``<span class="fnd-method">``. For 2019 and every synthetic fixture year, every sentence of the
briefing — and the text of the Word and PowerPoint files made from it — is checked against the
tagged sentences of the same year's pages, found by their tag, not by a list of texts.
"""

from __future__ import annotations

import html.parser
import io
import shutil
from pathlib import Path

import docx
import pytest
from conftest import FIXTURES_DIR, FUND, REPO_DATA_DIR, YEAR_2019
from pptx import Presentation

from fundanalysis.export.brief import docx_bytes, make_briefing, notebook_calls, pptx_bytes
from fundanalysis.pipeline.sections import discover_sections
from fundanalysis.present import narrative, words
from fundanalysis.present.report import HEADINGS, Report
from fundanalysis.present.shown import METHOD_CLASS, say_html

pytestmark = pytest.mark.slow


def _years() -> list[tuple[Path, str, int]]:
    """2019 and every fixture fund's year with input (synthetic, under tests/fixtures/)."""
    found = [(REPO_DATA_DIR, FUND, YEAR_2019)]
    for raw in sorted(FIXTURES_DIR.glob("**/raw")):
        for year_dir in sorted(raw.glob("*/[12][0-9][0-9][0-9]")):
            if any(year_dir.glob("*.xlsx")):
                found.append((raw.parent, year_dir.parent.name, int(year_dir.name)))
    return found


YEARS = _years()


class _Notes(html.parser.HTMLParser):
    """The text of every element tagged ``fnd-method`` in a page's HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.notes: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._open or METHOD_CLASS in (dict(attrs).get("class") or "").split():
            self._open.append(tag)
            if len(self._open) == 1:
                self.notes.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[-1]:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.notes[-1] += data


def _page_notes(report: Report, sections: list) -> list[str]:
    """The tagged sentences of the year's pages: every heading the report notebooks call."""
    notes: list[str] = []
    for section in sections:
        if not section.applies(report.tables):
            continue
        for call in notebook_calls(section.path):
            if call.method in HEADINGS:
                parser = _Notes()
                parser.feed(getattr(report, call.method)(**call.kwargs).html)
                notes += [" ".join(n.split()) for n in parser.notes]
    return [n for n in notes if n]


def _core(note: str) -> str:
    """A note without the punctuation it is joined by (；差异见核对表 → 差异见核对表)."""
    return note.strip("；，。（）() ")


@pytest.fixture(scope="module")
def briefings(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, list[str], list[str], str]]:
    """For each year: its name, the tagged sentences of its pages, every sentence of its briefing,
    and the text of its Word and PowerPoint files."""
    sections = discover_sections()
    out = []
    for i, (data, fund, year) in enumerate(YEARS):
        copy = tmp_path_factory.mktemp(f"notes{i}")
        shutil.copytree(data / "raw" / fund / str(year), copy / "raw" / fund / str(year))
        report = Report.load(year, data_dir=copy, fund=fund)
        b = make_briefing(report, sections, dpi=30)
        said = [b.summary_text, b.findings_summary, *b.findings]
        for _title, headings in b.sections:
            for h in headings:
                said += [*h.sentences, h.takeaway, *(c for t in h.tables for c in t.header)]
        d = docx.Document(io.BytesIO(docx_bytes(b)))
        deck = Presentation(io.BytesIO(pptx_bytes(b)))
        files_text = "\n".join([p.text for p in d.paragraphs]
                               + [s.text_frame.text for sl in deck.slides for s in sl.shapes if s.has_text_frame])
        out.append((f"{fund} {year}", _page_notes(report, sections), said, files_text))
    return out


def test_the_years_checked_include_2019_and_the_fixture_funds() -> None:
    names = {fund for _, fund, _ in YEARS}
    assert {FUND, "synthetic-county-media", "synthetic-egov", "synthetic-policy-tasks"} <= names


def test_pages_keep_their_method_notes(briefings: list[tuple[str, list[str], list[str], str]]) -> None:
    tagged = {name: notes for name, notes, _, _ in briefings}
    assert sum(len(n) for n in tagged.values()) >= 5, tagged  # the test has something to find
    assert sum(1 for n in tagged.values() if n) >= 3, tagged


def test_no_briefing_sentence_explains_the_page(briefings: list[tuple[str, list[str], list[str], str]]) -> None:
    leaks = []
    for name, notes, said, files_text in briefings:
        for note in {_core(n) for n in notes}:
            leaks += [f"{name}: {note!r} in {s!r}" for s in said if note in s]
            if note in files_text:
                leaks.append(f"{name}: {note!r} in the Word or PowerPoint file")
    assert not leaks, "\n".join(leaks)


def test_a_sentence_with_a_note_keeps_its_reader_part_in_the_briefing() -> None:
    import pandas as pd

    p = pd.DataFrame({"method": ["政府采购", None], "outlets_stated": [2, None], "outlets_known": [1, 3]})
    said = narrative.procurement(p)
    assert isinstance(said, words.Sentences)
    notes = [part for part in said.parts if isinstance(part, words.MethodNote)]
    assert notes and all(n in str(said) for n in notes)  # the page says all of it
    page = say_html(said)
    assert f'<span class="{METHOD_CLASS}">{notes[0]}</span>' in page
    from fundanalysis.export.brief import heading_parts

    h = heading_parts("采购方式", page, ())
    assert h.sentences == [str(said).replace(notes[0], "")]
    assert "3 家单位的采购方式报告未逐一注明" in h.sentences[0]
