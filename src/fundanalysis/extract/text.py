"""The structure of a report's plain text: headings, sections, logical lines and sentences.

Page breaks in converted reports cut sentences in the middle (``获\\n\\n得 75 万元奖励``). Lines are
joined back when the first one is running text that stops without a sentence end and the next is
not a heading; short lines such as titles in a list stay apart. Markdown emphasis (``**``) is dropped.

>>> doc = parse_document("三、使用情况\\n（一）工业互联网项目（72个项目，667万元）\\n1、工业互联网平台\\n"
...                      "支持企业建设平台，发挥平台供需对接及示范引领作用。共3家企业获\\n\\n"
...                      "得 75 万元奖励。")
>>> s = doc.sentences[-1]
>>> s.text, s.section.path, s.section.label
('共3家企业获得 75 万元奖励。', '三、（一）1', '三、（一）工业互联网项目 1')
>>> s.section.titles
('使用情况', '工业互联网项目', '工业互联网平台')
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from fundanalysis.extract.numerals import halfwidth

_CN_SMALL = "一二三四五六七八九十"
#: Heading markers by level: 一、 / （一） / 1、 or 1. / （1） / ①. Matched on half-width text.
HEADING_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^\s*(?P<mark>(?P<n>[{_CN_SMALL}]{{1,3}})\s*(?:、|[．.](?!\d)))\s*")),
    (2, re.compile(rf"^\s*(?P<mark>[（(]\s*(?P<n>[{_CN_SMALL}]{{1,3}})\s*[）)])\s*")),
    (3, re.compile(r"^\s*(?P<mark>(?P<n>\d{1,2})\s*(?:、|[.．](?!\d)))\s*")),
    (4, re.compile(r"^\s*(?P<mark>[（(]\s*(?P<n>\d{1,2})\s*[）)])\s*")),
    (5, re.compile(r"^\s*(?P<mark>(?P<n>[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]))\s*")),
)
#: Sentence ends.
SENTENCE_ENDS = "。！？；!?;"
#: A line ending in one of these is complete; the next line is not its continuation.
_LINE_ENDS = SENTENCE_ENDS + "：:…"
#: Running text cut by a page break is at least this long (or holds a sentence end).
_MIN_RUNNING_LINE = 40
#: … or at least this long with a comma outside brackets (titles in a list are shorter).
_MIN_CLAUSED_LINE = 30
_OPEN, _CLOSE = "（(【[《“‘〔「", "）)】]》”’〕」"
_PAGE_FURNITURE = re.compile(r"^\s*(?:[-—–－]*\s*\d{1,3}\s*[-—–－]*|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?)\s*$")
_COUNT_IN_BRACKETS = re.compile(r"[（(][^（()）]*(?:\d|[一二两三四五六七八九十百]+[个项家类篇])[^（()）]*[）)]\s*$")


@dataclass(frozen=True)
class Heading:
    """A numbered heading: its level, canonical number, title and the whole line."""

    level: int
    number: str
    mark: str
    title: str
    line: str
    start: int

    @property
    def label(self) -> str:
        """Number and title as a workbook holds them, e.g. ``（一）工业互联网项目`` or ``1、常州日报``."""
        return f"{self.mark}{self.title}"


@dataclass(frozen=True)
class Section:
    """The headings in force at a position, outermost first."""

    headings: tuple[Heading, ...] = ()

    @property
    def path(self) -> str:
        """Numbers only, e.g. ``三、（二）6``."""
        return "".join(h.number for h in self.headings)

    @property
    def titles(self) -> tuple[str, ...]:
        """The full titles on the path."""
        return tuple(h.title for h in self.headings)

    @property
    def label(self) -> str:
        """The workbook's 来源 convention: numbers, the title of the deepest 一、/（一） heading, then items.

        ``三、2019年专项资金使用情况``, ``三、（一）工业互联网项目``, ``三、（一）工业互联网项目 1``.
        """
        outer = [h for h in self.headings if h.level <= 2]
        inner = [h for h in self.headings if h.level > 2]
        text = "".join(h.number for h in outer) + (outer[-1].title if outer else "")
        if inner:
            text += (" " if text else "") + "".join(h.number for h in inner)
        return text

    def at_level(self, level: int) -> Heading | None:
        """The heading of a level on the path, if any."""
        return next((h for h in self.headings if h.level == level), None)

    @property
    def deepest(self) -> Heading | None:
        """The innermost heading."""
        return self.headings[-1] if self.headings else None


@dataclass(frozen=True)
class Line:
    """A logical line: a physical line, or running text joined back across page breaks."""

    index: int
    text: str
    offsets: tuple[int, ...]
    heading: Heading | None
    section: Section

    @property
    def start(self) -> int:
        """Offset of the first character in the original text."""
        return self.offsets[0] if self.offsets else 0


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a heading line) with its place in the report."""

    text: str
    start: int
    end: int
    line: int
    section: Section
    in_heading: bool

    @property
    def heading(self) -> tuple[str, ...]:
        """The heading titles on the sentence's path."""
        return self.section.titles


@dataclass(frozen=True)
class Document:
    """A parsed report: its title, logical lines, headings and sentences."""

    text: str
    title: str
    lines: tuple[Line, ...]
    headings: tuple[Heading, ...]
    sentences: tuple[Sentence, ...]

    def section_at(self, pos: int) -> Section:
        """The section in force at an offset of the original text.

        >>> parse_document("一、基本信息\\n总额 1000 万元。\\n二、使用\\n").section_at(9).path
        '一、'
        """
        i = bisect.bisect_right([ln.start for ln in self.lines], pos) - 1
        return self.lines[i].section if i >= 0 else Section()

    def sentence_at(self, pos: int) -> Sentence | None:
        """The sentence covering an offset of the original text, if any."""
        return next((s for s in self.sentences if s.start <= pos < s.end), None)

    def children(self, heading: Heading | None, level: int) -> tuple[Heading, ...]:
        """The headings of ``level`` inside ``heading``'s section (the whole report if None)."""
        return tuple(h for ln in self.lines_in(heading) if (h := ln.heading) is not None
                     and h.level == level and h is not heading)

    def lines_in(self, heading: Heading | None) -> tuple[Line, ...]:
        """The logical lines of a heading's section, the heading line included."""
        if heading is None:
            return self.lines
        return tuple(ln for ln in self.lines if heading in ln.section.headings)


def parse_heading(line: str, start: int = 0) -> Heading | None:
    """The heading a line opens, or None.

    >>> h = parse_heading("(二) 工业互联网宣传 (19 个项目, 201.7 万元)")
    >>> h.level, h.number, h.mark, h.title
    (2, '（二）', '（二）', '工业互联网宣传')
    >>> parse_heading("1、江苏省工业互联网发展示范企业（星级上云企业），我市完成339家").title
    '江苏省工业互联网发展示范企业（星级上云企业）'
    >>> parse_heading("1.5万元用于运维") is None
    True
    """
    norm = halfwidth(line)
    for level, pattern in HEADING_MARKERS:
        m = pattern.match(norm)
        if not m:
            continue
        n = m["n"]
        if level == 1:
            number = mark = f"{n}、"
        elif level == 2:
            number = mark = f"（{n}）"
        elif level == 3:
            number = n
            mark = re.sub(r"\s+", "", m["mark"]).replace("．", ".")
        elif level == 4:
            number = mark = f"（{n}）"
        else:
            number = mark = n
        title = heading_title(line[m.end():])
        if not title:
            return None
        return Heading(level, number, mark, title, line.strip(), start)
    return None


def heading_title(rest: str) -> str:
    """The title part of a heading line: up to the first ：，。 outside brackets, minus a bracketed tally.

    >>> heading_title("中汽研（天津）汽车信息咨询有限公司（1项，5万元）")
    '中汽研（天津）汽车信息咨询有限公司'
    >>> heading_title("工业互联网项目方面：通过项目的实施，推进了")
    '工业互联网项目方面'
    """
    depth, cut = 0, len(rest)
    for i, ch in enumerate(rest):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and ch in "：:，,。；;！？!?":
            cut = i
            break
    title = rest[:cut].replace("**", "").strip()
    title = _COUNT_IN_BRACKETS.sub("", title).strip()
    return re.sub(r"\s+", " ", title)


def _physical_lines(text: str) -> Iterator[tuple[str, int]]:
    pos = 0
    for raw in text.split("\n"):
        yield raw, pos
        pos += len(raw) + 1


def _is_running(text: str) -> bool:
    """True if a line is running text that stops mid-sentence (a page break follows)."""
    t = text.rstrip()
    if not t or t[-1] in _LINE_ENDS or t[-1] in "|｜":  # a table row written with | ends with its cell
        return False
    heading = parse_heading(t) is not None
    if heading and t[-1] in "）)":  # a heading with its tally, ``1、常州日报 (2 项, 71.9 万元)``
        return False
    if len(t) >= _MIN_RUNNING_LINE or any(ch in t[:-1] for ch in "。！？；"):
        return True
    depth = _depths(t)
    return (not heading and len(t) >= _MIN_CLAUSED_LINE
            and any(ch in "，," and depth[i] == 0 for i, ch in enumerate(t)))


def _strip_markup(raw: str, pos: int) -> tuple[str, tuple[int, ...]]:
    """Drop ``**`` and surrounding whitespace; keep each character's original offset."""
    chars: list[str] = []
    offs: list[int] = []
    i = 0
    while i < len(raw):
        if raw.startswith("**", i):
            i += 2
            continue
        chars.append(raw[i])
        offs.append(pos + i)
        i += 1
    while chars and chars[0].isspace():
        chars.pop(0)
        offs.pop(0)
    while chars and chars[-1].isspace():
        chars.pop()
        offs.pop()
    return "".join(chars), tuple(offs)


def logical_lines(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Non-blank lines, with running text joined across page breaks; offsets per character.

    >>> text = ("以市场主导、政府引导为原则，全面提升我市工业互联网发展水平，塑造高\\n\\n"
    ...         "质量工业明星城市。\\n常州智造\\n壮丽 70 年")
    >>> [t[-12:] for t, _ in logical_lines(text)]
    ['塑造高质量工业明星城市。', '常州智造', '壮丽 70 年']
    """
    out: list[tuple[str, tuple[int, ...]]] = []
    for raw, pos in _physical_lines(text.replace("\r", " ")):
        line, offs = _strip_markup(raw, pos)
        if not line or _PAGE_FURNITURE.match(line):
            continue
        if out and _is_running(out[-1][0]) and parse_heading(line) is None:
            prev, prev_offs = out[-1]
            out[-1] = (prev + line, prev_offs + offs)
        else:
            out.append((line, offs))
    return out


def bracket_pairs(text: str) -> dict[int, int]:
    """Opening bracket positions mapped to their closing positions (unmatched ones left out).

    >>> bracket_pairs("a（b《c》）d（")
    {3: 5, 1: 6}
    """
    pairs: dict[int, int] = {}
    stack: list[tuple[int, str]] = []
    for i, ch in enumerate(text):
        if ch in _OPEN:
            stack.append((i, _CLOSE[_OPEN.index(ch)]))
        elif ch in _CLOSE:
            for j in range(len(stack) - 1, -1, -1):
                if stack[j][1] == ch:
                    pairs[stack[j][0]] = i
                    del stack[j:]
                    break
    return pairs


def _depths(text: str) -> list[int]:
    """Bracket depth at each character (matched brackets only)."""
    delta = [0] * (len(text) + 1)
    for a, b in bracket_pairs(text).items():
        delta[a + 1] += 1
        delta[b] -= 1
    out, d = [], 0
    for i in range(len(text)):
        d += delta[i]
        out.append(d)
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of one logical line: ends at 。！？； outside brackets, closing quotes kept.

    >>> t = "年初预算985万元；全年执行（含“结转。”资金）852.3万元。共91个项目"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['年初预算985万元；', '全年执行（含“结转。”资金）852.3万元。', '共91个项目']
    """
    depth = _depths(text)
    spans, start, i = [], 0, 0
    while i < len(text):
        if text[i] in SENTENCE_ENDS and depth[i] == 0:
            j = i + 1
            while j < len(text) and text[j] in "”’」）)":
                j += 1
            spans.append((start, j))
            start, i = j, j
            continue
        i += 1
    if start < len(text):
        spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def split_clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses of a sentence: split at ，：；。 outside brackets (the mark is left out);
    a comma between digits is a thousands separator.

    >>> t = "我市完成339家，列全省第三（全国51家，江苏12家），下达1,409,205.40元。"
    >>> [t[a:b] for a, b in split_clauses(t)]
    ['我市完成339家', '列全省第三（全国51家，江苏12家）', '下达1,409,205.40元']
    """
    depth = _depths(text)
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in ",，" and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            continue
        if ch in "，,：:；;。！？!?" and depth[i] == 0:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


#: A report's name at the end of a title line (before a file extension).
_REPORT_END = re.compile(r"(?:报告|自评表)(?:\s*[.．](?:pdf|docx?|wps))?\s*$", re.IGNORECASE)
#: The second half of a title broken over two lines (``…整体支出`` / ``绩效自评报告``).
_TITLE_TAIL = re.compile(r"^(?:绩效)?(?:单位)?(?:自我评价|自评价|自评|评价)?(?:工作)?(?:情况)?的?报告$")
#: How many opening lines may precede the title (a web page's index, date and source lines).
_TITLE_WINDOW = 15


def report_title(lines: list[str]) -> str:
    """The report's title line: the first of the opening lines that ends by naming a report (without a
    file extension; a title broken before 绩效自评报告 is joined), else the first opening line naming a
    report, else the first line.

    >>> report_title(["预算绩效管理", "- 发布日期: 2025-04-29", "某州数据中心2024年度项目支出绩效单位自评报告"])
    '某州数据中心2024年度项目支出绩效单位自评报告'
    >>> report_title(["2021年某市发展和改革局部门整体支出绩效自评报告.pdf", "正文"])
    '2021年某市发展和改革局部门整体支出绩效自评报告'
    >>> report_title(["发布时间:2023-07-27", "2022年度某市工业和信息化局整体支出", "绩效自评报告"])
    '2022年度某市工业和信息化局整体支出绩效自评报告'
    """
    opening = [ln.strip() for ln in lines[:_TITLE_WINDOW] if not ln.upper().startswith("SYNTHETIC")]
    for i, line in enumerate(opening):
        if parse_heading(line) is not None:
            continue
        if _TITLE_TAIL.match(line) and i > 0 and re.search(r"\d{4}\s*年", opening[i - 1]):
            return opening[i - 1] + line
        if _REPORT_END.search(line) and len(line) <= 200:
            return re.sub(r"\s*[.．](?:pdf|docx?|wps)\s*$", "", line, flags=re.IGNORECASE)
    for line in opening:
        if "报告" in line and parse_heading(line) is None:
            return line
    return next((ln.strip() for ln in lines if not ln.upper().startswith("SYNTHETIC")), "")


def parse_document(text: str) -> Document:
    """Parse a report's plain text into headings, sections, logical lines and sentences."""
    joined = logical_lines(text)
    lines: list[Line] = []
    headings: list[Heading] = []
    sentences: list[Sentence] = []
    stack: list[Heading] = []
    for index, (line_text, offs) in enumerate(joined):
        heading = parse_heading(line_text, offs[0])
        if heading is not None:
            stack = [h for h in stack if h.level < heading.level] + [heading]
            headings.append(heading)
        section = Section(tuple(stack))
        lines.append(Line(index, line_text, offs, heading, section))
        for k, (a, b) in enumerate(split_sentences(line_text)):
            sentences.append(Sentence(line_text[a:b], offs[a], offs[b - 1] + 1, index, section,
                                      heading is not None and k == 0))
    title = report_title([t for t, _ in joined])
    return Document(text, title, tuple(lines), tuple(headings), tuple(sentences))
