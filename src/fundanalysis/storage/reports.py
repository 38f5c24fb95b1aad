"""Reading a report's text: plain text (UTF-8, GB18030, UTF-16), Word .docx and text-layer PDF.

The text is what ``fundanalysis extract`` reads; nothing here interprets it. A file that cannot give
its text (a scanned PDF, an old .doc, an encrypted PDF, a damaged or absurd zip) is an
:class:`InputError` naming the file and what to do, never an empty text.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fundanalysis import config
from fundanalysis.errors import InputError, Problem

#: A report is a few hundred KB of text, a few MB as Word or PDF; anything far larger is not one.
MAX_REPORT_BYTES = 50 * 1024 * 1024
#: Pages of a PDF read at most.
MAX_PDF_PAGES = 2000
#: Entries of a .docx zip (a document has a few dozen parts).
MAX_DOCX_ENTRIES = 10_000
#: Characters of text a PDF must give per page (on average) to count as having a text layer.
MIN_CHARS_PER_PAGE = 20
#: Characters of text a report may have: a long self-evaluation has some tens of thousands; far more
#: is not one, and extraction time grows faster than the text.
MAX_REPORT_CHARS = 500_000
#: Seconds reading one document may take (python-docx on an absurd document can take many minutes).
MAX_READ_SECONDS = 120
#: Seconds extracting the figures of one document may take (see :func:`time_budget`).
MAX_EXTRACT_SECONDS = 300
#: Control characters a text cannot hold usefully: dropped (vertical tab and form feed break the line).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROLS = re.compile("[\x0b\x0c]")
#: The suffixes read, and what each is.
KINDS = {".txt": "text", ".text": "text", ".md": "text", ".docx": "docx", ".pdf": "pdf"}
_SAVE_AS = "save the report as .docx, text-layer .pdf or UTF-8 .txt"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class ReportText:
    """A report's text and how it was read (``kind``: text, docx or pdf; notes for the user)."""

    path: Path
    text: str
    kind: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def _refuse(path: Path, reason: str, value: Any = None) -> InputError:
    return InputError([Problem(str(path), None, None, None, value, reason)])


def read_report(path: Path) -> ReportText:
    """The text of a report file, by its suffix: ``.txt`` (UTF-8 with or without BOM, UTF-16 with BOM,
    or GB18030/GBK as Chinese Windows saves it; said in a note), ``.docx`` (paragraphs and tables in
    document order, Word's automatic list numbers written out) or ``.pdf`` with a text layer.

    Raises :class:`InputError` when the file is missing, of another kind, too large, damaged, or has
    no text (a scanned PDF: run OCR first).
    """
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "the report file does not exist")
    if not path.is_file():
        raise _refuse(path, "the report is not a file (a folder?)")
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        if path.suffix.lower() in (".doc", ".wps", ".rtf", ".odt", ".pages"):
            raise _refuse(path, f"{path.suffix} files are not read; {_SAVE_AS}")
        raise _refuse(path, f"unknown kind of report file {path.suffix or '(no suffix)'!r}; "
                      "expected .txt, .docx or .pdf")
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "the report file is empty")
    if size > MAX_REPORT_BYTES:
        raise _refuse(path, f"the file is larger than {MAX_REPORT_BYTES // 2**20} MB; a report is far smaller", size)
    data = path.read_bytes()
    if kind == "text":
        text, notes = decode_text(path, data)
    elif kind == "docx":
        text, notes = docx_text(path, data)
    else:
        text, notes = pdf_text(path, data)
    text, dropped = drop_controls(text)
    if dropped:
        notes = [*notes, f"{path.name}: {dropped} control character(s) (such as NUL or ESC) were dropped"]
    _check_length(path, len(text))
    if not text.strip():
        raise _refuse(path, "the report holds no text")
    return ReportText(path, text, kind, tuple(notes))


def drop_controls(text: str) -> tuple[str, int]:
    r"""``text`` without control characters (a vertical tab or form feed becomes a line break), and
    how many there were.

    >>> drop_controls("常州\x00日报\x0b第二行\x1b")
    ('常州日报\n第二行', 3)
    """
    text, lines = _LINE_CONTROLS.subn("\n", text)
    text, dropped = _CONTROLS.subn("", text)
    return text, lines + dropped


def _check_length(path: Path, chars: int) -> None:
    """Refuse a text beyond :data:`MAX_REPORT_CHARS` (extraction's size budget)."""
    if chars > MAX_REPORT_CHARS:
        raise _refuse(path, f"the report's text has more than {MAX_REPORT_CHARS:,} characters (a "
                      "self-evaluation report has far fewer); give the report alone, or split it", chars)


@contextlib.contextmanager
def time_budget(path: Path, seconds: float = MAX_EXTRACT_SECONDS, what: str = "extracting the figures of"
                ) -> Iterator[None]:
    """Stop the work in the block with a clear InputError about ``path`` once it has taken ``seconds``.

    Works in the main thread (a real-time timer interrupts the work there; the previous timer and
    handler are put back); elsewhere the block runs without a budget.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        # fire again shortly, in case this exception is swallowed where it lands (raised inside a
        # garbage-collector callback it is unraisable); leaving the block disarms the timer
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise _refuse(path, f"{what} the report took more than {seconds:g} seconds; a self-evaluation "
                      "report takes far less: give the report alone (not a compilation), or split it")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _check_time(path: Path, started: float) -> None:
    """Refuse a document whose reading has taken longer than :data:`MAX_READ_SECONDS`."""
    import time

    if time.monotonic() - started > MAX_READ_SECONDS:
        raise _refuse(path, f"reading the document took more than {MAX_READ_SECONDS} seconds; it is far "
                      "larger or more complex than a report: save the report's text alone as .txt or .docx")


def decode_text(path: Path, data: bytes) -> tuple[str, list[str]]:
    """The text of a plain-text report and a note when it is not UTF-8.

    >>> decode_text(Path("r.txt"), "报告".encode("gb18030"))
    ('报告', ['r.txt is GB18030 (GBK) text, as Chinese Windows saves it; read as such'])
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), []
        except UnicodeDecodeError as exc:
            raise _refuse(path, f"the file starts like UTF-8 text but is not (byte {exc.start})") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), [f"{path.name} is UTF-16 text; read as such"]
        except UnicodeDecodeError as exc:
            raise _refuse(path, f"the file starts like UTF-16 text but is not (byte {exc.start})") from None
    if data[:4096].count(b"\x00") > len(data[:4096]) // 10:
        raise _refuse(path, "the file holds NUL bytes: it is not a text file (or UTF-16 without a "
                      f"byte-order mark); {_SAVE_AS}")
    if data.startswith((b"PK\x03\x04", b"%PDF", _OLE2_MAGIC)):
        raise _refuse(path, f"the file is a Word, PDF or zip file named {path.suffix}; give it its real suffix")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("gb18030"), [f"{path.name} is GB18030 (GBK) text, as Chinese Windows saves it; "
                                        "read as such"]
    except UnicodeDecodeError:
        raise _refuse(path, f"the text is neither UTF-8 (byte {utf8_error.start}) nor GB18030; "
                      "save it as UTF-8") from None


# ---------------------------------------------------------------------------------------------- Word


def _check_docx_container(path: Path, data: bytes) -> zipfile.ZipFile:
    """A .docx's zip, refused before any XML is parsed when it is not a sane Word document."""
    if data.startswith(_OLE2_MAGIC):
        raise _refuse(path, "an old Word 97-2003 (.doc) or password-protected document; save it as .docx "
                      "without a password")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise _refuse(path, f"not a Word document, or a damaged one (.docx is a zip file; {exc})") from None
    if len(infos) > MAX_DOCX_ENTRIES:
        raise _refuse(path, f"the zip holds {len(infos)} parts (a document has a few dozen); refusing it")
    if "word/document.xml" not in {i.filename for i in infos}:
        raise _refuse(path, "not a Word document (a zip file, but no word/document.xml)")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(path, "the document is encrypted; save it without a password", info.filename)
        total += info.file_size
        if info.file_size > config.MAX_COMPRESSION_RATIO * max(info.compress_size, 1) and info.file_size > 2**20:
            raise _refuse(path, f"part {info.filename} would decompress {info.file_size // max(info.compress_size, 1)}"
                          " times its size: refusing a zip bomb")
    if total > config.MAX_UNCOMPRESSED_BYTES:
        raise _refuse(path, f"the document would decompress to {total // 2**20} MB; refusing it")
    return zf


def docx_text(path: Path, data: bytes) -> tuple[str, list[str]]:
    """The text of a Word document: one line per paragraph, a table row's cells on one line separated by
    two ideographic spaces, in document order; list numbers Word draws itself (``一、``, ``（一）``, ``1、``)
    are written out, since the report's structure hangs on them."""
    _check_docx_container(path, data).close()
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:  # pragma: no cover - a dependency of the package
        raise _refuse(path, "reading .docx needs the python-docx package (pip install python-docx)") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a damaged file
        raise _refuse(path, f"the Word document could not be read ({type(exc).__name__}: {exc})") from None
    import time

    started = time.monotonic()
    numbering = _Numbering(document)
    lines: list[str] = []
    chars = 0
    for block in document.iter_inner_content():
        _check_time(path, started)  # the budget: time and characters, checked as the text grows
        _check_length(path, chars)
        if isinstance(block, Paragraph):
            lines.append(numbering.label(block) + block.text)
            chars += len(lines[-1]) + 1
        elif isinstance(block, Table):
            for row in block.rows:
                _check_time(path, started)
                _check_length(path, chars)
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                        cells.append(text)
                lines.append("\u3000\u3000".join(cells))
                chars += len(lines[-1]) + 1
    notes = ([f"{path.name}: {numbering.used} list number(s) Word draws itself were written out"]
             if numbering.used else [])
    return "\n".join(lines), notes


_CN_DIGITS = "零一二三四五六七八九"


def chinese_counting(n: int) -> str:
    """``n`` as a Chinese counting numeral (一, 十, 十二, 二十三, 一百零五).

    >>> [chinese_counting(n) for n in (1, 10, 12, 23, 105)]
    ['一', '十', '十二', '二十三', '一百零五']
    """
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + _CN_DIGITS[rest] if rest < 10 else
                                     ("一" + chinese_counting(rest) if rest < 20 else chinese_counting(rest)))
        return _CN_DIGITS[n // 100] + "百" + tail
    return str(n)


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "chineseLegalSimplified",
               "taiwaneseCounting", "taiwaneseCountingThousand"):
        return chinese_counting(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return str(n).translate({ord(str(i)): chr(0xFF10 + i) for i in range(10)})
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt == "none" or fmt == "bullet":
        return ""
    return str(n)


class _Numbering:
    """Word's automatic list numbers: the text ``label`` each numbered paragraph shows before its text."""

    def __init__(self, document: Any) -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self.used = 0
        self._counters: dict[str, list[int]] = {}
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for a in root.findall(qn("w:abstractNum")):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in a.findall(qn("w:lvl")):
                ilvl = int(lvl.get(qn("w:ilvl"), "0"))
                fmt = self._val(lvl, "w:numFmt") or "decimal"
                text = self._val(lvl, "w:lvlText") or ""
                start = int(self._val(lvl, "w:start") or "1")
                levels[ilvl] = (fmt, text, start)
            abstract[a.get(qn("w:abstractNumId"), "")] = levels
        for num in root.findall(qn("w:num")):
            ref = self._val(num, "w:abstractNumId")
            if ref in abstract:
                self._levels[num.get(qn("w:numId"), "")] = abstract[ref]

    def _val(self, el: Any, tag: str) -> str | None:
        child = el.find(self._qn(tag))
        return None if child is None else child.get(self._qn("w:val"))

    def _num_pr(self, paragraph: Any) -> tuple[str, int] | None:
        qn = self._qn
        for owner in (paragraph.paragraph_format.element.pPr,  # the paragraph's own w:p element
                      getattr(getattr(paragraph.style, "element", None), "pPr", None)):
            num_pr = owner.find(qn("w:numPr")) if owner is not None else None
            if num_pr is not None:
                num_id = self._val(num_pr, "w:numId")
                ilvl = self._val(num_pr, "w:ilvl")
                if num_id and num_id != "0":
                    return num_id, int(ilvl or "0")
        return None

    def label(self, paragraph: Any) -> str:
        """The number Word shows before a paragraph (``一、``), or "" when it has none."""
        try:
            pr = self._num_pr(paragraph)
        except (AttributeError, ValueError):
            return ""
        if pr is None or pr[0] not in self._levels:
            return ""
        num_id, ilvl = pr
        levels = self._levels[num_id]
        counters = self._counters.setdefault(num_id, [0] * 9)
        if not 0 <= ilvl < 9 or ilvl not in levels:
            return ""
        counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        fmt, text, _ = levels[ilvl]
        if fmt == "bullet" or not text:
            return ""

        def number(m: re.Match[str]) -> str:
            level = int(m.group(1)) - 1
            lfmt, _, lstart = levels.get(level, ("decimal", "", 1))
            return _format_number(counters[level] + lstart - 1 if level < len(counters) else 1, lfmt)

        self.used += 1
        return re.sub(r"%([1-9])", number, text)


# ----------------------------------------------------------------------------------------------- PDF


def pdf_text(path: Path, data: bytes) -> tuple[str, list[str]]:
    """The text layer of a PDF, page after page. A PDF whose pages give (almost) no text is a scan:
    refused with what to do, never read as an empty report."""
    if not data.startswith(b"%PDF"):
        raise _refuse(path, "not a PDF file (it does not start with %PDF)")
    try:
        import pypdf
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - a dependency of the package
        raise _refuse(path, "reading .pdf needs the pypdf package (pip install pypdf)") from None
    import logging

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)  # a damaged but readable file warns on every object
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _refuse(path, "the PDF is password-protected; save it without a password")
        pages = reader.pages
        count = len(pages)
        if count > MAX_PDF_PAGES:
            raise _refuse(path, f"the PDF has {count} pages, more than {MAX_PDF_PAGES}; a report is far shorter")
        texts = [(page.extract_text() or "") for page in pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, NotImplementedError) as exc:
        raise _refuse(path, f"the PDF could not be read ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # the PDF parser raises other kinds on a damaged file
        if exc.__class__.__module__.startswith("pypdf") or "crypt" in str(exc).lower():
            raise _refuse(path, f"the PDF could not be read ({type(exc).__name__}: {exc})") from None
        raise
    finally:
        log.setLevel(level)
    if count == 0:
        raise _refuse(path, "the PDF has no pages")
    garbled = {i for i, t in enumerate(texts) if unreadable_share(t) >= MAX_UNREADABLE_SHARE}
    if garbled and len(garbled) == sum(1 for t in texts if t.strip()):
        raise _refuse(path, f"the PDF's text layer cannot be read: its fonts map the glyphs to no characters "
                      f"({len(garbled)} page(s) give control or private-use codes, not text). Export the PDF "
                      "again from Word or WPS with fonts embedded, run OCR on it (e.g. ocrmypdf --force-ocr "
                      "--language chi_sim), or copy the report's text into a .txt file")
    texts = ["" if i in garbled else t for i, t in enumerate(texts)]
    chars = sum(len(re.sub(r"\s+", "", t)) for t in texts)
    if chars < MIN_CHARS_PER_PAGE * count:
        empty = sum(1 for t in texts if not t.strip())
        raise _refuse(path, f"the PDF has no text layer ({count} page(s), {empty} without any text, {chars} "
                      "characters in all): it is probably a scan. Run OCR on it first (e.g. ocrmypdf "
                      "--language chi_sim), or copy the report's text into a .txt file")
    texts = [unwrap(t) for t in texts]
    notes = []
    empty_pages = [str(i + 1) for i, t in enumerate(texts) if not t.strip() and i not in garbled]
    if empty_pages:
        notes.append(f"{path.name}: page(s) {', '.join(empty_pages[:10])}{' …' if len(empty_pages) > 10 else ''} "
                     "have no text (images?) and were skipped")
    if garbled:
        unread = [str(i + 1) for i in sorted(garbled)]
        notes.append(f"{path.name}: the text of page(s) {', '.join(unread[:10])}{' …' if len(unread) > 10 else ''} "
                     "cannot be read (fonts without a character mapping) and was skipped")
    return "\n".join(texts), notes


#: A page whose visible characters are this share or more control, private-use or unassigned codes
#: has a text layer with no character mapping (e.g. Type 3 fonts without ToUnicode): it is not text.
MAX_UNREADABLE_SHARE = 0.3


def unreadable_share(text: str) -> float:
    """The share of a text's visible characters that are no readable character: control codes
    (other than whitespace), private-use, surrogate or unassigned code points, or U+FFFD.

    >>> unreadable_share("专项资金 1000万元")
    0.0
    >>> unreadable_share("\\x01\\x12\\x11 \\x19专")
    0.8
    """
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return 0.0
    bad = sum(1 for c in visible if c == "\ufffd" or unicodedata.category(c) in ("Cc", "Co", "Cs", "Cn"))
    return bad / len(visible)


#: A line this close to the page's longest line (in display width) was wrapped by the layout.
FULL_LINE = 0.85
#: Lines shorter than this (display width) are never taken for wrapped ones.
_MIN_FULL_WIDTH = 24
_ENDS = "。！？；：!?;:…"
_MARKER = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}[、.．]|[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[）)]"
                     r"|\d{1,2}\s*[、.．](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩])")


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text.strip())


def unwrap(page: str) -> str:
    """A PDF page's text with the lines the layout wrapped joined again: a line as wide as the page's
    widest (within :data:`FULL_LINE`) that does not end a sentence goes on with the next line, unless
    that one opens a numbered heading (``一、``, ``（二）``, ``3、``).

    >>> unwrap("一、基本情况\\n专项资金总额1000万元，年初预算数为\\n900万元。\\n二、使用")
    '一、基本情况\\n专项资金总额1000万元，年初预算数为900万元。\\n二、使用'
    """
    lines = page.split("\n")
    widest = max((_width(ln) for ln in lines), default=0)
    if widest < _MIN_FULL_WIDTH:
        return page
    out: list[str] = []
    joining = False
    for line in lines:
        if joining and line.strip() and not _MARKER.match(line):
            out[-1] = out[-1].rstrip() + line.strip()
        else:
            out.append(line)
        tail = out[-1].rstrip()
        joining = bool(tail) and tail[-1] not in _ENDS and _width(line) >= FULL_LINE * widest
    return "\n".join(out)
