"""A draft from the report's text against a workbook of the same year, figure by figure.

A *figure* is a filled cell of a compared column: amounts, counts, ranks, names, titles, stated totals,
levels and scopes; not the free wording (指标, 备注, 预算口径, 获奖对象's description is compared) and not
provenance (来源, 原文, 待核对). Rows are matched by each sheet's key columns (:data:`KEYS`), where
``section`` is the section path of the row's 来源 (``四、（一）5``); a label keyed ``~`` matches by
containment (``工业互联网创新发展工程`` within ``工信部2019年工业互联网创新发展工程``). Then every figure of the
workbook is *supported* (the text gives the same), *differs* (the text gives another value) or is *not in
the text*; a figure of the text the workbook does not hold is *only in the text*.

Values are compared as the input checks read them: amounts as exact 分, counts as numbers, shares as
fractions, names without list numbering, width, spaces or case.

>>> ref = [CompareRow("媒体单位", {"单位": "常州日报", "项目数": 2, "金额": 71_900_000}, "三、（二）1")]
>>> got = [CompareRow("媒体单位", {"单位": "1、常州日报", "项目数": 2, "金额": "72万元"}, "三、（二）1")]
>>> c = compare(got, ref, reference_is_table=True)
>>> [(f.status, f.column) for f in c.figures]
[('supported', '单位'), ('supported', '项目数'), ('differ', '金额')]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from fundanalysis.config import DEFAULT_MONEY_UNIT
from fundanalysis.ingest import clean
from fundanalysis.ingest.specs import SHEETS, SHEETS_BY_NAME

Status = Literal["supported", "differ", "missing", "extra"]

#: Columns never compared: provenance, and wording a person phrases freely.
UNCOMPARED = frozenset({"来源", "原文", "待核对", "指标", "备注", "预算口径"})
#: Key columns per sheet; ``section`` is the section path; ``~`` matches by containment.
KEYS: dict[str, tuple[str, ...]] = {
    "专项资金": (), "资金组成": ("部分",), "支出明细": ("部分", "明细~"), "资金到位": ("金额",),
    "奖励类别": ("类别",), "获奖企业": ("企业名称", "类别"), "媒体单位": ("单位",), "宣传项目": ("单位", "项目名称"),
    "排名与成果": ("section", "数值"), "分项构成": ("分项~", "数值"), "对比基数": ("section", "本市"),
    "全省城市对比": ("指标", "城市"), "报告总计": ("核对项", "所属部分"),
    "资金来源": ("资金类别",), "年度目标": (), "绩效指标": ("三级指标",),
}
#: How a row is named when it is shown.
LABELS: dict[str, tuple[str, ...]] = {
    "专项资金": ("资金名称",), "资金组成": ("部分",), "支出明细": ("明细",), "资金到位": ("批次", "日期"),
    "奖励类别": ("类别",), "获奖企业": ("企业名称",), "媒体单位": ("单位",), "宣传项目": ("单位", "项目名称"),
    "排名与成果": ("指标",), "分项构成": ("指标", "分项"), "对比基数": ("指标",), "全省城市对比": ("指标", "城市"),
    "报告总计": ("核对项", "所属部分"), "资金来源": ("资金类别",), "年度目标": (), "绩效指标": ("三级指标",),
}
#: Fields holding names that lose their list numbering (as the input checks read them).
_NUMBERED_FIELDS = {"category", "part", "outlet"}
#: The kind of each figure, for the quality report.
KIND_NAMES = ("金额", "数量", "名次", "标题", "报告总计", "名称", "其他")
_NAME_HEADERS = {"资金名称", "主管部门", "城市", "省份", "部分", "负责处室", "明细", "类别", "企业名称", "单位",
                 "所属部分", "分项", "资金类别", "三级指标", "批次"}
_SOURCE_MARKS = re.compile(
    r"[一二三四五六七八九十]{1,3}、|（[一二三四五六七八九十]{1,3}）|（\d{1,2}）|(?<=\s)\d{1,2}(?=$|；)")


def kind_of(sheet: str, column: str) -> str:
    """The kind of a figure: 金额, 数量, 名次, 标题, 报告总计, 名称 or 其他.

    >>> kind_of("媒体单位", "金额"), kind_of("宣传项目", "项目名称"), kind_of("排名与成果", "名次表述")
    ('金额', '标题', '名次')
    """
    spec = SHEETS_BY_NAME.get(sheet)
    col = next((c for c in spec.columns if c.header == column), None) if spec else None
    if sheet == "报告总计" and column == "表述值":
        return "报告总计"
    if column in ("名次", "名次表述"):
        return "名次"
    if column == "项目名称":
        return "标题"
    if col is not None and col.kind in ("money", "signed_money"):
        return "金额"
    if col is not None and col.kind in ("count", "year"):
        return "数量"
    if column == "单位":  # an outlet's name, or a unit of measure
        return "名称" if sheet in ("媒体单位", "宣传项目") else "其他"
    if column in _NAME_HEADERS:
        return "名称"
    return "其他"


def section_of_source(source: object) -> str:
    """The section path of a 来源: ``…／四、（一）工业互联网项目方面 2`` → ``四、（一）2`` (the first source of
    a merged one).

    >>> section_of_source("报告／四、（一）工业互联网项目方面 2；三、")
    '四、（一）2'
    """
    text = "" if source is None else str(source)
    label = text.split("／", 1)[1] if "／" in text else text
    label = label.split("；", 1)[0].strip()
    return "".join(_SOURCE_MARKS.findall(label))


@dataclass(frozen=True)
class CompareRow:
    """A row to compare: cells by Chinese header (as typed, or as the processed table holds them), the
    section path, reasons for doubt and the sentence (for rows from the text)."""

    sheet: str
    cells: Mapping[str, Any]
    section: str = ""
    doubts: tuple[str, ...] = ()
    sentence: str = ""
    #: reasons for doubt per cell (None: every reason is about every cell)
    cell_doubts: Mapping[str, tuple[str, ...]] | None = None
    #: where each cell was read: (section path, sentence) (None: the row's)
    cell_origin: Mapping[str, tuple[str, str]] | None = None

    def doubts_for(self, column: str) -> tuple[str, ...]:
        """The reasons for doubt about one cell."""
        return self.doubts if self.cell_doubts is None else tuple(self.cell_doubts.get(column, ()))

    def origin(self, column: str) -> tuple[str, str]:
        """(section path, sentence) where one cell was read."""
        default = (self.section, self.sentence)
        return default if self.cell_origin is None else tuple(self.cell_origin.get(column, default))  # type: ignore[return-value]

    def label(self) -> str:
        """How the row is named when shown."""
        parts = [str(clean.strip_numbering(self.cells.get(c)) or "") for c in LABELS.get(self.sheet, ())]
        return "：".join(p for p in parts if p) or "—"


@dataclass(frozen=True)
class Figure:
    """One compared figure: its status, where it is, the workbook's and the text's value as shown, and
    the text's doubts and sentence."""

    status: Status
    sheet: str
    column: str
    row: str
    reference: Any
    found: Any
    section: str = ""
    sentence: str = ""
    doubts: tuple[str, ...] = ()
    #: False when the workbook has no such sheet or column (a figure it could not hold)
    assessed: bool = True
    #: for a figure of the text: it equals the workbook's (counted right in precision)
    right: bool = False

    @property
    def kind(self) -> str:
        """金额, 数量, 名次, 标题, 报告总计, 名称 or 其他."""
        return kind_of(self.sheet, self.column)


@dataclass
class Score:
    """Counts of one sheet or kind: reference figures found (recall), text figures right (precision)."""

    expected: int = 0
    found: int = 0
    extracted: int = 0
    right: int = 0
    wrong: int = 0
    flagged: int = 0
    unassessed: int = 0

    def add(self, other: Score) -> None:
        """Add another score's counts."""
        for name in ("expected", "found", "extracted", "right", "wrong", "flagged", "unassessed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float | None:
        """Reference figures the text gives the same, over all reference figures."""
        return self.found / self.expected if self.expected else None

    @property
    def precision(self) -> float | None:
        """Text figures equal to the workbook's, over those assessed (marked 待核对 ones left out)."""
        return self.right / (self.right + self.wrong) if self.right + self.wrong else None


@dataclass(frozen=True)
class Comparison:
    """The figures of a comparison and the scores they make."""

    figures: tuple[Figure, ...]
    #: figures of the text (one per filled cell), for precision
    text_figures: tuple[Figure, ...] = field(default=())

    def of(self, status: Status) -> tuple[Figure, ...]:
        """The figures with one status."""
        return tuple(f for f in self.figures if f.status == status)

    def scores(self, by: Literal["sheet", "kind"] = "sheet") -> dict[str, Score]:
        """Recall and precision counts per sheet or per kind of figure."""
        out: dict[str, Score] = {}
        order = [s.name for s in SHEETS] if by == "sheet" else list(KIND_NAMES)
        for name in order:
            out[name] = Score()

        def bucket(f: Figure) -> Score:
            return out.setdefault(f.sheet if by == "sheet" else f.kind, Score())

        for f in self.figures:
            if f.status in ("supported", "differ", "missing"):
                s = bucket(f)
                s.expected += 1
                s.found += f.status == "supported"
        for f in self.text_figures:
            s = bucket(f)
            s.extracted += 1
            if f.right:
                s.right += 1
            elif not f.assessed:
                s.unassessed += 1
            elif f.doubts:
                s.flagged += 1
            else:
                s.wrong += 1
        return {k: v for k, v in out.items() if by == "kind" or v.expected or v.extracted}

    def total(self) -> Score:
        """All counts together."""
        total = Score()
        for s in self.scores().values():
            total.add(s)
        return total


# ---------------------------------------------------------------------------------------------------------
# Values in comparable form


def _column(sheet: str, header: str) -> tuple[str, str]:
    """(kind, field) of a header in a sheet; text for a header the sheet does not declare."""
    spec = SHEETS_BY_NAME.get(sheet)
    col = next((c for c in spec.columns if c.header == header), None) if spec else None
    return (col.kind, col.field) if col else ("text", "")


def _blank(v: Any) -> bool:
    if v is None:
        return True
    try:
        if v != v:  # NaN, pandas NA
            return True
    except TypeError:  # pandas NA refuses a truth value
        return True
    return isinstance(v, str) and not v.strip()


def canonical(sheet: str, header: str, value: Any, from_table: bool = False) -> Any:
    """A cell in comparable form. ``from_table``: the value comes from a processed table (money already
    in integer 分, names already without numbering); otherwise as typed in a workbook or found in text.

    >>> canonical("媒体单位", "金额", "７１.９ 万元"), canonical("媒体单位", "金额", 71_900_000, from_table=True)
    (71900000, 71900000)
    >>> canonical("报告总计", "表述值", "91个"), canonical("奖励类别", "类别", "1、两化融合管理体系贯标")
    ((91, '个'), '两化融合管理体系贯标')
    """
    if _blank(value):
        return None
    kind, field_ = _column(sheet, header)
    try:
        if kind in ("money", "signed_money"):
            if from_table:
                return int(value)
            return clean.parse_money(value, DEFAULT_MONEY_UNIT, signed=True)
        if kind in ("count", "year", "rank"):
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                number = Decimal(value)
            else:
                text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value)))
                try:
                    number = Decimal(text)
                except ArithmeticError:
                    return clean.parse_rank(text) if kind == "rank" else clean.parse_count(text)
            return int(number) if number == number.to_integral_value() else number.normalize()
        if kind == "fraction":
            return value if isinstance(value, Fraction) else clean.parse_fraction(value)
        if sheet == "报告总计" and header == "表述值":
            return clean.parse_stated(value)
    except (clean.CleanError, ValueError, ArithmeticError):
        return ("unreadable", clean.name_key(value))
    if field_ in _NUMBERED_FIELDS:
        return clean.name_key(clean.strip_numbering(value))
    return clean.name_key(value)


def _contains(sheet: str, column: str) -> bool:
    return f"{column}~" in KEYS.get(sheet, ())


def same(sheet: str, column: str, a: Any, b: Any) -> bool:
    """Two canonical cells agree (labels keyed by containment also when one holds the other)."""
    if a is None or b is None:
        return a is b
    if _contains(sheet, column) and isinstance(a, str) and isinstance(b, str):
        return a in b or b in a
    return bool(a == b)


def show(sheet: str, header: str, value: Any, from_table: bool = False) -> str:
    """A value as shown to a person: amounts from a table in 万元 (or 元 to the 分), others as they are.

    >>> show("媒体单位", "金额", 71_900_000, from_table=True), show("专项资金", "预算金额", 140_920_540, True)
    ('71.9万元', '1409205.40元')
    """
    if _blank(value):
        return "—"
    kind, _ = _column(sheet, header)
    if from_table and kind in ("money", "signed_money"):
        fen = int(value)
        wan = Decimal(fen) / 1_000_000
        if (wan * 100) == (wan * 100).to_integral_value():
            return f"{format(wan.normalize(), 'f')}万元"
        return f"{format(Decimal(fen) / 100, '.2f')}元"
    if isinstance(value, Decimal):
        return format(value, "f")
    return re.sub(r"\s+", " ", str(value)).strip()


# ---------------------------------------------------------------------------------------------------------
# Matching and comparing


@dataclass
class _Side:
    row: CompareRow
    canon: dict[str, Any]


def _prepare(rows: Iterable[CompareRow], from_table: bool) -> dict[str, list[_Side]]:
    out: dict[str, list[_Side]] = {}
    for r in rows:
        canon = {h: canonical(r.sheet, h, v, from_table) for h, v in r.cells.items()}
        out.setdefault(r.sheet, []).append(_Side(r, canon))
    return out


def _key_match(sheet: str, keys: Sequence[str], a: _Side, b: _Side) -> bool:
    for k in keys:
        if k == "section":
            if re.sub(r"\s+", "", a.row.section) != re.sub(r"\s+", "", b.row.section):
                return False
            continue
        name = k.rstrip("~")
        if not same(sheet, name, a.canon.get(name), b.canon.get(name)):
            return False
    return True


def _agreement(sheet: str, a: _Side, b: _Side, columns: Iterable[str]) -> int:
    return sum(1 for c in columns if a.canon.get(c) is not None and same(sheet, c, a.canon.get(c), b.canon.get(c)))


def _compared(sheet: str, headers: Iterable[str]) -> list[str]:
    return [h for h in headers if h not in UNCOMPARED]


def compare(found: Iterable[CompareRow], reference: Iterable[CompareRow],
            assessed: Mapping[str, Iterable[str]] | None = None, reference_is_table: bool = False) -> Comparison:
    """Compare the rows of the text (``found``) with the rows of a workbook (``reference``).

    ``assessed`` gives, per sheet, the headers the workbook has (default: those it fills in some row): a
    figure of the text in a sheet or column the workbook lacks is *only in the text* but not counted
    against precision. ``reference_is_table``: the reference comes from processed tables (money in 分).
    """
    text = _prepare(found, False)
    ref = _prepare(reference, reference_is_table)
    if assessed is None:  # the columns the workbook fills somewhere
        assessed = {s: {h for r in rows for h, v in r.canon.items() if v is not None} for s, rows in ref.items()}
    assessed = {s: set(hs) for s, hs in assessed.items()}
    figures: list[Figure] = []
    text_figures: list[Figure] = []
    sheets = list(dict.fromkeys([*(s.name for s in SHEETS), *ref, *text]))
    for sheet in sheets:
        refs, texts = ref.get(sheet, []), text.get(sheet, [])
        keys = KEYS.get(sheet, ())
        columns = _compared(sheet, dict.fromkeys(h for r in refs + texts for h in r.row.cells))
        matched: dict[int, list[_Side]] = {i: [] for i in range(len(refs))}
        best_of: dict[int, int | None] = {}
        for j, t in enumerate(texts):
            cands = [i for i, r in enumerate(refs) if _key_match(sheet, keys, t, r)]
            if not cands and "section" in keys:  # sources written otherwise: match on the other keys
                rest = [k for k in keys if k != "section"]
                cands = [i for i, r in enumerate(refs) if _key_match(sheet, rest, t, r)]
                cands = cands if len(cands) == 1 else []
            best = max(cands, key=lambda i: (_agreement(sheet, t, refs[i], columns), -len(matched[i])),
                       default=None)
            best_of[j] = best
            if best is not None:
                matched[best].append(t)
        for i, r in enumerate(refs):
            for c in columns:
                v = r.canon.get(c)
                if v is None:
                    continue
                shown_ref = show(sheet, c, r.row.cells.get(c), reference_is_table)
                hit = next((t for t in matched[i] if same(sheet, c, t.canon.get(c), v)), None)
                other = next((t for t in matched[i] if t.canon.get(c) is not None), None)
                if hit is not None:
                    figures.append(Figure("supported", sheet, c, r.row.label(), shown_ref,
                                          show(sheet, c, hit.row.cells.get(c)), *hit.row.origin(c),
                                          hit.row.doubts_for(c)))
                elif other is not None:
                    figures.append(Figure("differ", sheet, c, r.row.label(), shown_ref,
                                          show(sheet, c, other.row.cells.get(c)), *other.row.origin(c),
                                          other.row.doubts_for(c)))
                else:
                    figures.append(Figure("missing", sheet, c, r.row.label(), shown_ref, None, r.row.section))
        for j, t in enumerate(texts):
            best = best_of[j]
            ref_side = refs[best] if best is not None else None
            for c in columns:
                v = t.canon.get(c)
                if v is None:
                    continue
                in_ref = sheet in assessed and c in assessed[sheet]
                ref_v = ref_side.canon.get(c) if ref_side is not None else None
                right = ref_v is not None and same(sheet, c, v, ref_v)
                label = (ref_side.row if ref_side is not None else t.row).label()
                ref_shown = None if ref_side is None else show(sheet, c, ref_side.row.cells.get(c), reference_is_table)
                fig = Figure("extra", sheet, c, label, ref_shown,
                             show(sheet, c, t.row.cells.get(c)), *t.row.origin(c), t.row.doubts_for(c),
                             assessed=in_ref or ref_v is not None, right=right)
                text_figures.append(fig)
                if ref_v is None:
                    figures.append(fig)
    return Comparison(tuple(figures), tuple(text_figures))


# ---------------------------------------------------------------------------------------------------------
# Rows from a draft, from processed tables, from typed rows


def rows_from_draft(draft: Any) -> list[CompareRow]:
    """The rows of a :class:`~fundanalysis.extract.draft.Draft` to compare."""
    return [CompareRow(r.sheet, dict(r.values), r.section, r.doubts, r.sentence, dict(r.cell_doubts),
                       dict(r.cell_origin)) for r in draft.rows]


def rows_from_tables(tables: Mapping[str, Any]) -> list[CompareRow]:
    """The rows of a year's processed tables (``process_year(...).tables``), by Chinese header."""
    out: list[CompareRow] = []
    for spec in SHEETS:
        df = tables.get(spec.table)
        if df is None:
            continue
        cols = [(c.header, c.field) for c in spec.columns if c.field in df.columns]
        for rec in df.to_dict("records"):
            cells = {h: (None if _blank(rec.get(f)) else rec.get(f)) for h, f in cols}
            out.append(CompareRow(spec.name, cells, section_of_source(rec.get("source"))))
    return out


def rows_from_typed(sheets: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[CompareRow]:
    """Rows typed as a workbook holds them (``{sheet: [{header: value, "section": path}]}``)."""
    return [CompareRow(sheet, {k: v for k, v in r.items() if k != "section"},
                       str(r.get("section") or section_of_source(r.get("来源"))))
            for sheet, rows in sheets.items() for r in rows]


def assessed_headers(raw_headers: Mapping[str, Iterable[Any]]) -> dict[str, set[str]]:
    """The spec headers a workbook's sheets have (``{sheet name as written: header row}``), matched as the
    input checks match them (sheet names and headers normalised)."""
    out: dict[str, set[str]] = {}
    by_sheet = {re.sub(r"\s+", "", unicodedata.normalize("NFKC", s.name)): s for s in SHEETS}
    for name, header_row in raw_headers.items():
        spec = by_sheet.get(re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))))
        if spec is None:
            continue
        wanted = {clean.normalise_header(c.header): c.header for c in spec.columns}
        out[spec.name] = {wanted[k] for h in header_row if (k := clean.normalise_header(h)) in wanted}
    return out


# ---------------------------------------------------------------------------------------------------------
# A figure in the text, whatever form it is written in


#: A table or block whose bare numbers are in 万元 (``单位:万元``, ``（万元）``).
_WAN_UNIT = re.compile(r"单位\s*[:：]?\s*万元|[（(]\s*万元\s*[)）]")
_BARE_NUMBER = re.compile(r"(?<![\d.,，])\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|(?<![\d.,，])\d+(?:\.\d+)?(?![\d%])")


def text_sentences(text: str) -> list[str]:
    """The sentences of a report's text, as ``extract`` splits them."""
    from fundanalysis.extract.text import logical_lines, split_sentences

    return [line[a:b] for line, _ in logical_lines(text) for a, b in split_sentences(line)]


def found_in_text(sentences: Sequence[str], sheet: str, column: str, value: Any) -> str | None:
    """The first sentence of the text that states a figure, whatever its form: an amount as 12.34万,
    12.34万元, 123,400元 or 十二万三千四百元 (or a bare number where the text says 单位：万元), a count as
    its digits before a unit (5次, 95%), a name as written (spaces and numbering aside). None when the text
    does not state it, and for a rank (第三 may be any indicator's).

    >>> found_in_text(["经费十二万三千四百元。"], "媒体单位", "金额", "12.34万元")
    '经费十二万三千四百元。'
    >>> found_in_text(["合计 | 123,400元 |"], "专项资金", "全年执行数", "12.34万元")
    '合计 | 123,400元 |'
    >>> found_in_text(["单位:万元", "总额 | 12.34 |"], "专项资金", "全年执行数", "12.34万元")
    '总额 | 12.34 |'
    >>> found_in_text(["培训5次。"], "排名与成果", "数值", 5), found_in_text(["培训5次。"], "排名与成果", "数值", 6)
    ('培训5次。', None)
    """
    from fundanalysis.extract import numerals as nm

    kind, _ = _column(sheet, column)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind in ("money", "signed_money"):
        try:
            fen = abs(value) if isinstance(value, int) else abs(nm.amount_fen(str(value), "万元"))
        except (ValueError, ArithmeticError):
            return None
        wan = False
        for sentence in sentences:
            wan = wan or _WAN_UNIT.search(nm.halfwidth(sentence)) is not None
            if any(abs(a.fen) == fen for a in nm.find_amounts(sentence)):
                return sentence
            if wan and any(Decimal(m.group().replace(",", "").replace("，", "")) * 1_000_000 == fen
                           for m in _BARE_NUMBER.finditer(nm.halfwidth(sentence))):
                return sentence
        return None
    if kind == "rank":
        return None  # 第三 stands for many ranks in one report: the text cannot say which one this is
    if kind in ("count", "year") or isinstance(value, int | Decimal):
        digits = re.compile(rf"(?<![\d.]){re.escape(str(value))}\s*(?=[\u4e00-\u9fff%])")  # 5次, 95%, 2017年
        return next((s for s in sentences if digits.search(nm.halfwidth(s))), None)
    key = clean.name_key(str(value))
    return next((s for s in sentences if key and key in clean.name_key(s)), None)
