"""A year's report as a briefing (简报): a Word document and a PowerPoint deck.

The content is what the pages show, taken from the same :class:`~fundanalysis.present.report.Report`
headings (their sentences, their tables as formatted for the page, their charts), in the order of
the report notebooks. What a page says about itself (the Markdown paragraph under each heading of
a notebook, and every sentence the library tags as a method note, ``<span class="fnd-method">``:
what the page computes, leaves blank or points to) is not for readers of a briefing and is left
out; so are the headings that show nothing but that explanation.

The Word document follows the house style of official documents (GB/T 9704: A4, top margin
37 mm, left 28 mm, text block 156 × 225 mm; 黑体 headings, 仿宋 body; tables as 三线表 numbered
表 n above, figures numbered 图 n below, a 资料来源 note under each). Its styles and page setup
come from a reference document (``templates/reference.docx``, or one the user passes), as with
pandoc and Quarto.
"""

from __future__ import annotations

import ast
import html.parser
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fundanalysis.config import PACKAGE_DIR
from fundanalysis.present import words
from fundanalysis.present.shown import METHOD_CLASS, Chart

#: The reference document shipped with the package: styles, fonts and page setup of the briefing.
REFERENCE_DOCX = PACKAGE_DIR / "templates" / "reference.docx"
#: Resolution of the charts in a briefing: 200 dpi over a 156 mm text block is print quality.
BRIEF_DPI = 200
#: The formats ``fundanalysis brief`` writes, by option name: the file name's ending.
FORMATS = {"docx": "简报.docx", "pptx": "汇报.pptx"}
#: The fonts the reference document names (offices have these; see docs/briefing.md for fallbacks).
FONTS = {"title": "方正小标宋简体", "heading1": "黑体", "heading2": "楷体", "body": "仿宋", "latin": "Times New Roman",
         "page_number": "宋体"}


def brief_name(fund: str, year: int, kind: str) -> str:
    """The file name of a year's briefing in its output folder (``kind``: docx or pptx)."""
    return f"{fund}-{year}-{FORMATS[kind]}"


# ------------------------------------------------------------------------- content


@dataclass
class Table:
    """A table as the page shows it: the header and the rows of formatted cells, and which
    columns are numbers (right-aligned)."""

    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]


@dataclass
class Heading:
    """One heading of a section: its title, its sentences, tables and charts, in page order."""

    title: str
    sentences: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    @property
    def takeaway(self) -> str:
        """The first sentence of the heading (one line for a slide)."""
        text = "".join(self.sentences)
        return text.split("。")[0] + "。" if "。" in text else text


@dataclass
class Briefing:
    """Everything a briefing shows, with every figure already formatted as on the pages."""

    title: str
    subtitle: str
    figures: list[tuple[str, str]]
    sections: list[tuple[str, list[Heading]]]
    findings_summary: str
    findings: list[str]
    source: str

    @property
    def summary_text(self) -> str:
        """One paragraph of the key figures: ``全年预算数 1,000 万元，已使用 …``."""
        return "，".join(f"{k}{v}" for k, v in self.figures) + "。"


class _Parts(html.parser.HTMLParser):
    """The paragraphs and tables of a heading's HTML, in order (the page's own words and cells),
    without the sentences that explain the page (``class="fnd-method"``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str, Any]] = []
        self._text: list[str] | None = None
        self._skip = 0
        self._table: Table | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._num = False
        self._in_head = False
        self._method: list[str] = []  # the open elements of a method note (their tags)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if self._method or METHOD_CLASS in cls.split():
            self._method.append(tag)  # a method note, and whatever it holds, is not for the briefing
        elif tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self._table = Table([], [], [])
        elif self._table is not None and tag == "thead":
            self._in_head = True
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._table is not None and tag in ("td", "th"):
            self._cell, self._num = [], "num" in cls.split()
        elif self._table is None and tag in ("p", "li", "h3", "h4", "dt", "dd") and "fnd-subtitle" not in cls:
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if self._method:
            if tag == self._method[-1]:
                self._method.pop()
        elif tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag == "table" and self._table is not None:
            if self._table.header or self._table.rows:
                self.parts.append(("table", self._table))
            self._table = None
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            if not self._in_head and self._table is not None and len(self._row) > len(self._table.numeric):
                self._table.numeric.append(self._num)
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._in_head or not self._table.header:
                self._table.header = self._row
            else:
                self._table.rows.append(self._row)
            self._row = None
        elif tag in ("p", "li", "h3", "h4", "dt", "dd") and self._text is not None:
            text = " ".join("".join(self._text).split())
            if text:
                self.parts.append(("text", text))
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._skip or self._method:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._text is not None:
            self._text.append(data)


def heading_parts(title: str, shown_html: str, charts: Sequence[Chart]) -> Heading:
    """A heading's sentences and tables as its HTML shows them, and its charts."""
    parser = _Parts()
    parser.feed(shown_html)
    parser.close()
    h = Heading(title, charts=list(charts))
    for kind, value in parser.parts:
        if kind == "text":
            h.sentences.append(value)
        else:
            width = max(len(value.header), *(len(r) for r in value.rows)) if value.rows else len(value.header)
            value.numeric = (value.numeric + [False] * width)[:width]
            h.tables.append(value)
    return h


@dataclass(frozen=True)
class Call:
    """A heading of a report notebook: its title and the report method its code cell calls."""

    title: str
    method: str
    kwargs: dict[str, Any]


def notebook_calls(path: Path) -> list[Call]:
    """The ``## heading`` + ``report.method(...)`` pairs of a report notebook, in order.

    The Markdown under a heading explains the page (how a figure is worked out, what a missing
    one means); it is the page's, not the briefing's, so only the heading's first line is kept.
    """
    from fundanalysis.storage.notebook_files import read_notebook

    nb = read_notebook(path)
    calls: list[Call] = []
    title: str | None = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            title = first[3:].strip() if first.startswith("## ") else title
            continue
        if cell.cell_type != "code" or title is None:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            call = node.value if isinstance(node, ast.Expr) else None
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == "report"):
                try:
                    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
                except ValueError:
                    continue
                calls.append(Call(title, call.func.attr, kwargs))
        title = None
    return calls


def _failed_findings(report: Any) -> tuple[str, list[str]]:
    """The reconciliation's summary sentence and each failed check as one line, with the figures
    as the page's table shows them."""
    shown = report.reconciliation()
    h = heading_parts("", shown.html, ())
    lines: list[str] = []
    for t in h.tables:
        col = {name: i for i, name in enumerate(t.header)}
        if not {"核对项", "报告数", "计算数", "结果"} <= set(col):
            continue
        for r in t.rows:
            if r[col["结果"]] == words.CHECK_RESULT[False]:
                unit = r[col["单位"]] if "单位" in col else ""
                lines.append(f"{r[col['核对项']]}：报告数 {r[col['报告数']]}，计算数 {r[col['计算数']]}"
                             + (f"，差额 {r[col['差额']]}" if "差额" in col else "") + (f"（{unit}）" if unit else ""))
    return (h.sentences[0] if h.sentences else ""), lines


def key_figures(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The key figures as the year's index page shows them (label, formatted value)."""
    from fundanalysis.present.page import key_figure_list

    return [(label, value) for label, value, _ in key_figure_list(summary)]


def make_briefing(report: Any, sections: Sequence[Any], dpi: int = BRIEF_DPI) -> Briefing:
    """The briefing of a loaded :class:`~fundanalysis.present.report.Report`: its title, key
    figures, each applicable section's headings (from ``sections``, the report notebooks) and
    the reconciliation's failed checks. Charts are drawn again at ``dpi`` for print."""
    from fundanalysis.present.charts import cache
    from fundanalysis.present.report import HEADINGS, year_chart_specs

    specs = year_chart_specs(report.tables)
    fund = report.fund
    out: list[tuple[str, list[Heading]]] = []
    for section in sections:
        if not section.applies(report.tables):
            continue
        headings = []
        for call in notebook_calls(section.path):
            if call.method not in HEADINGS or call.method in ("title", "key_figures"):
                continue  # the title line and the key figures open the briefing
            shown = getattr(report, call.method)(**call.kwargs)
            charts = [Chart(c.slug, c.title, cache.render(specs[c.slug], "png", dpi=dpi))
                      if c.slug in specs else c for c in shown.charts]
            if call.method == "reconciliation":
                continue  # the findings list at the end says what the checks found
            h = heading_parts(call.title, shown.html, charts)
            if h.sentences or h.tables or h.charts:
                headings.append(h)
        if headings:
            out.append((section.link(report.tables).title, headings))
    findings_summary, findings = _failed_findings(report)
    source = str(report.summary.get("source_report") or "；".join(words.report_names(report.tables)))
    return Briefing(title=f"{fund['fund_name']}{report.year}年度绩效评价简报",
                    subtitle=f"{fund['issuer']} · {report.year} 年度",
                    figures=key_figures(report.summary), sections=out,
                    findings_summary=findings_summary, findings=findings, source=source)


# ------------------------------------------------------------------------- Word


def _east_asian(element: Any, font: str, latin: str | None = None) -> None:
    """Name ``font`` for the East Asian text of a style's or run's properties (w:rFonts)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = element.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        element.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font would win over the named one
    fonts.set(qn("w:eastAsia"), font)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), latin or FONTS["latin"])


def reference_document() -> bytes:
    """The shipped reference document (``templates/reference.docx``): GB/T 9704 page setup and
    the briefing's styles. A user's own reference document replaces it whole."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.left_margin = Mm(37), Mm(28)
    sec.right_margin, sec.bottom_margin = Mm(210 - 28 - 156), Mm(297 - 37 - 225)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(20)
    styles = doc.styles

    def para(name: str, font: str, size: float, base: str | None = "Normal", bold: bool = False,
             align: Any = None, indent: bool = False, exact: bool = True, before: float = 0,
             after: float = 0) -> Any:
        st = styles[name] if name in [x.name for x in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        if base and name != base:
            st.base_style = styles[base]
        st.font.size, st.font.bold, st.font.italic = Pt(size), bold, False
        st.font.color.rgb = RGBColor(0, 0, 0)
        _east_asian(st.element, font)
        pf = st.paragraph_format
        pf.first_line_indent = Pt(2 * size) if indent else Pt(0)
        pf.left_indent = Pt(0)
        pf.space_before, pf.space_after = Pt(before), Pt(after)
        if exact:  # 22 lines in the 225 mm text block
            pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28.9)
        else:
            pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if align is not None:
            pf.alignment = align
        return st

    para("Normal", FONTS["body"], 16, base=None)
    para("Body Text", FONTS["body"], 16, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    title = para("Title", FONTS["title"], 22, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, after=6)
    rule = title.element.find(qn("w:pPr")).find(qn("w:pBdr"))
    if rule is not None:  # the default template draws a rule under the title
        rule.getparent().remove(rule)
    para("Subtitle", FONTS["heading2"], 16, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    h1 = para("Heading 1", FONTS["heading1"], 16, before=6)
    h1.paragraph_format.first_line_indent = Pt(32)
    h1.paragraph_format.keep_with_next = True
    h2 = para("Heading 2", FONTS["heading2"], 16)
    h2.paragraph_format.first_line_indent = Pt(32)
    h2.paragraph_format.keep_with_next = True
    for name in ("Table Caption", "Image Caption"):
        para(name, FONTS["heading1"], 14, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, before=6, after=3)
    para("Source Note", FONTS["body"], 12, exact=False, after=9)
    para("Table Text", FONTS["body"], 12, exact=False)
    para("Figure", FONTS["body"], 12, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, before=6)
    para("List Bullet", FONTS["body"], 16, indent=False)
    # page numbers at the foot, centred, in 四号 宋体: — 1 —
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in ("— ", None, " —"):
        run = foot.add_run()
        run.font.size = Pt(14)
        if part is None:
            for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
                el = OxmlElement("w:fldChar" if kind else ("w:instrText" if text == " PAGE " else "w:t"))
                if kind:
                    el.set(qn("w:fldCharType"), kind)
                else:
                    el.text = text
                    el.set(qn("xml:space"), "preserve")
                sub = foot.add_run()
                sub.font.size = Pt(14)
                sub.element.append(el)
                _east_asian(sub.element, FONTS["page_number"], FONTS["page_number"])
        else:
            run.text = part
        _east_asian(run.element, FONTS["page_number"], FONTS["page_number"])
    doc.add_paragraph("参考文档：替换本文件即可改变简报的字体、字号、页边距与页码。", style="Body Text")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _three_line(tbl: Any) -> None:
    """Rules of a 三线表 on a ``w:tbl`` element: heavy top and bottom (1.5 pt), thin under the
    header (0.75 pt), no others."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def borders(parent: Any, tag: str, edges: dict[str, int]) -> None:
        box = OxmlElement(tag)
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            e = OxmlElement(f"w:{edge}")
            size = edges.get(edge)
            e.set(qn("w:val"), "single" if size else "nil")
            if size:
                e.set(qn("w:sz"), str(size))
                e.set(qn("w:space"), "0")
                e.set(qn("w:color"), "000000")
            box.append(e)
        old = parent.find(qn(tag))
        if old is not None:
            parent.remove(old)
        parent.append(box)

    borders(tbl.find(qn("w:tblPr")), "w:tblBorders", {"top": 12, "bottom": 12})
    for tc in tbl.find(qn("w:tr")).findall(qn("w:tc")):
        tc_pr = tc.find(qn("w:tcPr"))
        if tc_pr is None:
            tc_pr = OxmlElement("w:tcPr")
            tc.insert(0, tc_pr)
        borders(tc_pr, "w:tcBorders", {"top": 12, "bottom": 6})


def _column_shares(t: Table) -> list[float]:
    """Each column's share of the table's width, after its longest cell (a Chinese character
    counts twice; a header may wrap, a long text cell too)."""
    def w(text: str) -> int:
        return sum(2 if ord(c) > 0x2E7F else 1 for c in text)

    need = [max(min(w(t.header[j]), 8) if j < len(t.header) else 4,
                *(min(w(r[j]), 28) for r in t.rows if j < len(r))) + 2
            for j in range(len(t.header))]
    return [n / sum(need) for n in need]


def docx_bytes(b: Briefing, reference: Path | None = None) -> bytes:
    """The briefing as a Word document, styled by ``reference`` (default: the shipped one)."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm

    doc = docx.Document(str(reference or REFERENCE_DOCX))
    body = doc.element.body
    for child in list(body):  # the reference's sample text goes; its styles and page setup stay
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    section = doc.sections[-1]
    width = int(section.page_width or 0) - int(section.left_margin or 0) - int(section.right_margin or 0)
    styles = {s.name for s in doc.styles}

    def style(name: str, fallback: str = "Normal") -> str:
        return name if name in styles else fallback

    doc.add_paragraph(b.title, style=style("Title"))
    doc.add_paragraph(b.subtitle, style=style("Subtitle"))
    doc.add_paragraph(b.summary_text, style=style("Body Text"))
    figure = table_no = 0
    for title, headings in b.sections:
        doc.add_paragraph(title, style=style("Heading 1"))
        for h in headings:
            doc.add_paragraph(h.title, style=style("Heading 2"))
            for s in h.sentences:
                doc.add_paragraph(s, style=style("Body Text"))
            for t in h.tables:
                table_no += 1
                cap = doc.add_paragraph(f"表{table_no}　{h.title}", style=style("Table Caption", style("Caption")))
                cap.paragraph_format.keep_with_next = True
                grid = doc.add_table(rows=1 + len(t.rows), cols=len(t.header))
                grid.alignment = WD_TABLE_ALIGNMENT.CENTER
                for i, row in enumerate([t.header, *t.rows]):
                    for j, value in enumerate(row[:len(t.header)]):
                        cell = grid.cell(i, j)
                        cell.text = value
                        p = cell.paragraphs[0]
                        p.style = doc.styles[style("Table Text")]
                        p.alignment = (WD_ALIGN_PARAGRAPH.CENTER if i == 0 else
                                       WD_ALIGN_PARAGRAPH.RIGHT if t.numeric[j] else WD_ALIGN_PARAGRAPH.LEFT)
                for j, share in enumerate(_column_shares(t)):
                    for cell in grid.columns[j].cells:
                        cell.width = int(min(width, Mm(156)) * share)
                _three_line(doc.element.body.findall(qn("w:tbl"))[-1])
                doc.add_paragraph(f"资料来源：{b.source}。", style=style("Source Note"))
            for c in h.charts:
                figure += 1
                p = doc.add_paragraph(style=style("Figure"))
                p.paragraph_format.keep_with_next = True
                p.add_run().add_picture(io.BytesIO(c.png), width=min(width, Mm(156)))
                cap = doc.add_paragraph(f"图{figure}　{c.title}", style=style("Image Caption", style("Caption")))
                cap.paragraph_format.keep_with_next = True
                doc.add_paragraph(f"资料来源：{b.source}。", style=style("Source Note"))
    doc.add_paragraph("报告总计核对", style=style("Heading 1"))
    if b.findings_summary:
        doc.add_paragraph(b.findings_summary, style=style("Body Text"))
    for line in b.findings:
        doc.add_paragraph(line, style=style("List Bullet"))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------- PowerPoint


def _pptx_fonts(shape: Any, font: str) -> None:
    """Name ``font`` for the Latin and East Asian text of every run in ``shape``."""
    from lxml import etree
    from pptx.oxml.ns import qn

    for rpr in [*shape.element.iter(qn("a:rPr")), *shape.element.iter(qn("a:endParaRPr"))]:
        for tag in ("a:latin", "a:ea"):
            old = rpr.find(qn(tag))
            if old is not None:
                rpr.remove(old)
        for tag in ("a:latin", "a:ea"):
            e = etree.SubElement(rpr, qn(tag))
            e.set("typeface", font)


def pptx_bytes(b: Briefing) -> bytes:
    """The briefing as a 16:9 deck: title, key figures, one slide per chart, findings."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    blank = deck.slide_layouts[6]
    ink, muted, accent = RGBColor(0x1F, 0x29, 0x33), RGBColor(0x52, 0x60, 0x6D), RGBColor(0x0B, 0x3C, 0x6F)

    def text(slide: Any, s: str, left: float, top: float, w: float, h: float, size: int, bold: bool = False,
             color: Any = ink, align: Any = PP_ALIGN.LEFT, font: str = FONTS["heading1"]) -> Any:
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(w), Inches(h))
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate(s.split("\n")):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            p.alignment = align
            run = p.add_run()
            run.text = line
            run.font.size, run.font.bold = Pt(size), bold
            run.font.color.rgb = color
        _pptx_fonts(box, font)
        return box

    s = deck.slides.add_slide(blank)
    text(s, b.title, 0.8, 2.4, 11.7, 1.4, 36, True, accent, PP_ALIGN.CENTER)
    text(s, b.subtitle, 0.8, 4.0, 11.7, 0.8, 20, False, muted, PP_ALIGN.CENTER, FONTS["body"])

    s = deck.slides.add_slide(blank)
    text(s, "关键数字", 0.6, 0.4, 12, 0.8, 28, True, accent)
    cols = 3
    for i, (k, v) in enumerate(b.figures):
        left, top = 0.6 + (i % cols) * 4.1, 1.6 + (i // cols) * 2.5
        text(s, k, left, top, 3.8, 0.6, 18, False, muted, font=FONTS["body"])
        text(s, v, left, top + 0.6, 3.8, 1.0, 32, True)
    text(s, f"资料来源：{b.source}。", 0.6, 6.7, 12, 0.5, 12, False, muted, font=FONTS["body"])

    for _, headings in b.sections:
        for h in headings:
            for c in h.charts:
                s = deck.slides.add_slide(blank)
                text(s, c.title, 0.6, 0.3, 12, 0.7, 26, True, accent)
                text(s, h.takeaway, 0.6, 1.0, 12, 0.8, 16, False, ink, font=FONTS["body"])
                w_px, h_px = struct.unpack(">II", c.png[16:24])  # the PNG header's width and height
                box_w, box_h = Inches(12.1), Inches(5.0)
                scale = min(box_w / w_px, box_h / h_px)
                w, hgt = int(w_px * scale), int(h_px * scale)
                s.shapes.add_picture(io.BytesIO(c.png), Emu(int((deck.slide_width - w) / 2)), Inches(1.9),
                                     Emu(w), Emu(hgt))
                text(s, f"资料来源：{b.source}。", 0.6, 7.0, 12, 0.4, 11, False, muted, font=FONTS["body"])

    s = deck.slides.add_slide(blank)
    text(s, "报告总计核对", 0.6, 0.4, 12, 0.8, 28, True, accent)
    lines = [b.findings_summary, *(f"· {f}" for f in b.findings)] if b.findings_summary else list(b.findings)
    text(s, "\n".join(lines) or "—", 0.6, 1.4, 12, 5.5, 16, False, ink, font=FONTS["body"])
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------- files


def brief_files(fund: str, year: int, data_dir: Path, sections: Sequence[Any],
                kinds: Sequence[str] = tuple(FORMATS), reference: Path | None = None) -> dict[str, bytes]:
    """A fund's year's briefing files by name (``kinds``: docx, pptx), from its report notebooks
    (``sections``: the build's, in order)."""
    from fundanalysis.present.report import Report

    report = Report.load(year, data_dir=data_dir, fund=fund)
    b = make_briefing(report, sections)
    makers = {"docx": lambda: docx_bytes(b, reference), "pptx": lambda: pptx_bytes(b)}
    return {brief_name(fund, year, k): makers[k]() for k in kinds}


def looks_like_docx(path: Path) -> bool:
    """True if ``path`` is a Word document (a zip with word/document.xml)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return "word/document.xml" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False

