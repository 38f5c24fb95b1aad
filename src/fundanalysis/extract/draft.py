"""Findings → a draft input workbook: rows merged per sheet, provenance kept, doubts marked.

:func:`build_draft` turns an :class:`~fundanalysis.extract.engine.Extraction` into the rows of every
input sheet (:mod:`fundanalysis.ingest.specs` decides the sheets and columns): findings about the same
thing (the fund, a part, an outlet…) become one row, whose 来源 names every section it came from and
whose 原文 holds every sentence. Reasons for doubt go to the row's 待核对 cell (when the sheet has that
column) and always to the sheet 核对清单, with the problems ``fundanalysis check`` would raise.
:func:`check_draft` runs those checks in memory; :func:`draft_workbook` gives the workbook's bytes
(the template's sheets, header notes and dropdowns, then the rows). Nothing here touches the disk.

>>> from fundanalysis.extract import extract
>>> draft = build_draft(extract("某市工信局 2021 年度 数字经济专项资金自我评价报告\\n一、基本信息\\n"
...                             "2021 年度数字经济专项资金总额 500 万元。"), 2021)
>>> row = draft.sheet("专项资金")[0]
>>> row.values["资金名称"], row.values["预算金额"], row.values["年度"]
('数字经济专项资金', '500万元', 2021)
>>> row.values["来源"]
'某市工信局2021年度数字经济专项资金自我评价报告／一、基本信息'
>>> check_draft(draft)
[]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from types import MappingProxyType

from fundanalysis.errors import InputError, Problem
from fundanalysis.extract.engine import Extraction, Finding
from fundanalysis.extract.rules import doubt_columns
from fundanalysis.ingest import clean
from fundanalysis.ingest.specs import (
    LEVELS,
    PROCUREMENT_METHODS,
    SHEETS,
    SPENT_WORDS,
    STATED_CHECKS,
    SheetSpec,
)
from fundanalysis.storage.rawsheet import RawSheet

#: The column that carries a row's reasons for doubt (an optional text column of every sheet).
TO_CHECK = "待核对"
TO_CHECK_FIELD = "to_check"
#: The sheet that lists everything to look at, first in the workbook; ``check`` does not read it.
CHECKLIST = "核对清单"
CHECKLIST_COLUMNS = ("工作表", "行", "待核对", "原文", "来源")
#: Provenance columns: never compared, merged by joining.
SOURCE, QUOTE = "来源", "原文"
_SOURCE_SEP = "／"
_QUOTE_SEP = " … "
#: The sheet with exactly one row: every finding about the fund merges into it.
FUND_SHEET = "专项资金"
PARTS_SHEET = "资金组成"
#: Columns whose values are a fixed vocabulary (a word outside it is moved to 待核对, not written).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "执行口径": tuple(SPENT_WORDS), "级别": tuple(LEVELS), "采购方式": tuple(PROCUREMENT_METHODS),
    "核对项": tuple(STATED_CHECKS)}
#: Words for the executed amount that need no 执行口径 (the standard form's own word).
_NEUTRAL_SPENT_WORDS = ("执行",)
#: Columns that name a part of the fund (所属部分 / 部分), by sheet.
_PART_COLUMNS = {"资金组成": "部分", "支出明细": "部分", "奖励类别": "所属部分", "获奖企业": "所属部分",
                 "媒体单位": "所属部分", "报告总计": "所属部分"}
#: A doubt added when the report gives two values for one cell of a merged row.
_CONFLICT = "原文另有{column}为{value}（{where}）"
_OUT_OF_VOCAB = "{column}“{word}”不在可选词中（{allowed}），已留空"
_YEAR_DIFFERS = "报告所写年度为{found}，与命令中的年度{year}不同"
_YEAR_ASSUMED = "报告未写明年度，按命令中的年度填写"
_CHECK_PROBLEM = "检查未通过：{reason}"
_REQUIRED = "原文未给出{column}（必填）"
_NOT_WHOLE = "{column}“{value}”不是整数（本表只收整数）：请换用能写成整数的单位，或移到别处"
_DUPLICATE = "{columns}与第{row}行相同（本表不能重复）：请改写以区分"
_BOTH_BUDGETS = "预算金额{budget}与{phase}{amount}同时出现，而两者只能填其一：请核对后保留一个"
#: Kinds of column holding whole numbers.
_WHOLE_KINDS = ("count", "rank", "year")
#: Money units from larger to smaller, with the factor to the next (a figure such as 1.2亿元 in a sheet of
#: whole numbers is written 12000万元: the same amount).
_SMALLER_UNIT = {"亿元": ("万元", 10**4), "万元": ("元", 10**4)}


@dataclass(frozen=True)
class DraftRow:
    """One row of a draft sheet: its cells (Chinese header → value; 来源 and 原文 included), the section
    path of its first finding, the sentences and rules it came from, and reasons for doubt."""

    sheet: str
    values: Mapping[str, object]
    section: str
    sentences: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    doubts: tuple[str, ...] = ()
    #: the reasons for doubt about each cell (header → reasons)
    cell_doubts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: where each cell was read (header → (section path, sentence))
    cell_origin: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        """The sentences joined as the 原文 cell holds them."""
        return _QUOTE_SEP.join(self.sentences)

    def filled(self) -> dict[str, object]:
        """The cells the report gave (no empty cells, no provenance)."""
        return {k: v for k, v in self.values.items() if v is not None and k not in (SOURCE, QUOTE, TO_CHECK)}


@dataclass(frozen=True)
class Draft:
    """The rows of every input sheet, in workbook order (sheets the report gives nothing for are empty)."""

    report_name: str
    year: int
    sheets: Mapping[str, tuple[DraftRow, ...]]

    def sheet(self, name: str) -> tuple[DraftRow, ...]:
        """The rows of one sheet."""
        return self.sheets[name]

    @property
    def rows(self) -> tuple[DraftRow, ...]:
        """Every row, sheet by sheet."""
        return tuple(r for rows in self.sheets.values() for r in rows)

    @property
    def uncertain(self) -> tuple[tuple[str, int, DraftRow], ...]:
        """(sheet, Excel row, row) of every row marked 待核对."""
        return tuple((name, i, r) for name, rows in self.sheets.items()
                     for i, r in enumerate(rows, start=2) if r.doubts)

    @property
    def figures(self) -> int:
        """How many cells the report filled (provenance and 待核对 left out)."""
        return sum(len(r.filled()) for r in self.rows)


def headers(spec: SheetSpec) -> tuple[str, ...]:
    """The headers a sheet's draft has: the spec's columns (and so 待核对 once the spec declares it)."""
    return tuple(c.header for c in spec.columns)


def has_to_check(spec: SheetSpec) -> bool:
    """True if the sheet declares the 待核对 column."""
    return spec.has(TO_CHECK_FIELD) or any(c.header == TO_CHECK for c in spec.columns)


def name_key(value: object) -> str:
    """How names are compared when rows merge: list numbering, width, spaces and case ignored.

    >>> name_key("（一）工业互联网项目") == name_key("工业互联网项目 ")
    True
    """
    return clean.name_key(clean.strip_numbering(value)) if value is not None else ""


@dataclass
class _Acc:
    """A row being merged: its cells, the findings it came from and reasons for doubt with their cells."""

    sheet: str
    values: dict[str, object]
    findings: list[Finding] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    certain: set[str] = field(default_factory=set)
    origin: dict[str, tuple[str, str]] = field(default_factory=dict)

    def note(self, reason: str, columns: Iterable[str]) -> None:
        """Mark cells with a reason for doubt."""
        cells = self.notes.setdefault(reason, [])
        cells += [c for c in columns if c not in cells]

    @property
    def doubts(self) -> list[str]:
        return list(self.notes)

    def add(self, f: Finding) -> None:
        self.findings.append(f)
        filled = [c for c, v in f.values.items() if v is not None and c not in (SOURCE, QUOTE)]
        for d in f.uncertain:
            about = [c for c in doubt_columns(d) if c in filled]
            self.note(d, about or filled)
        for column in filled:
            value = f.values[column]
            old = self.values.get(column)
            if old is None:
                self.values[column] = value
                self.origin[column] = (f.section, f.sentence)
                if not f.uncertain:
                    self.certain.add(column)
            elif not _same(old, value):
                other, where = value, f.section
                if column not in self.certain and not f.uncertain:  # a plain reading beats a doubtful one
                    other, where = old, self.origin.get(column, ("", ""))[0]
                    self.values[column], self.origin[column] = value, (f.section, f.sentence)
                    self.certain.add(column)
                self.note(_CONFLICT.format(column=column, value=other, where=where or "标题"), [column])

    def agrees(self, f: Finding) -> bool:
        return all(self.values.get(c) is None or _same(self.values[c], v)
                   for c, v in f.values.items() if v is not None and c not in (SOURCE, QUOTE))


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return name_key(a) == name_key(b)
    return a == b


def _key(spec: SheetSpec, values: Mapping[str, object]) -> tuple[str, ...] | None:
    """The merge key of a row (None: it merges with nothing)."""
    if not spec.key:
        return None
    cols = [spec.column(k).header for k in spec.key]
    required = [spec.column(k).header for k in spec.key if spec.column(k).required]
    if any(values.get(c) is None for c in required):
        return None
    return tuple(name_key(values.get(c)) for c in cols)


def _merge(spec: SheetSpec, findings: Iterable[Finding]) -> list[_Acc]:
    rows: list[_Acc] = []
    for f in findings:
        if spec.name == FUND_SHEET:
            if not rows:
                rows.append(_Acc(spec.name, {}))
            rows[0].add(f)
            continue
        key = _key(spec, f.values)
        target = next((r for r in rows if key is not None and _key(spec, r.values) == key and r.agrees(f)), None)
        if target is None:
            target = _Acc(spec.name, {})
            rows.append(target)
        target.add(f)
    return rows


def _sources(findings: list[Finding]) -> str | None:
    """来源 of a merged row: the first source in full, the other sections after it (``；``)."""
    sources = list(dict.fromkeys(str(f.values.get(SOURCE)) for f in findings if f.values.get(SOURCE)))
    with_section = [s for s in sources if _SOURCE_SEP in s]
    sources = with_section or sources
    if not sources:
        return None
    head = sources[0]
    prefix = head.split(_SOURCE_SEP, 1)[0] + _SOURCE_SEP
    rest = [s[len(prefix):] if s.startswith(prefix) else s for s in sources[1:]]
    return "；".join([head, *rest])


def _vocabulary(acc: _Acc) -> None:
    """A word outside a column's vocabulary is not written (check would refuse it): 待核对 says it."""
    for column, allowed in VOCABULARIES.items():
        value = acc.values.get(column)
        if value is None or any(name_key(value) == name_key(a) for a in allowed):
            continue
        acc.values[column] = None
        if column == "执行口径" and value in _NEUTRAL_SPENT_WORDS:
            continue
        acc.note(_OUT_OF_VOCAB.format(column=column, word=value, allowed="、".join(allowed)), [column])


def _cell(value: object) -> object:
    """A value as the workbook holds it: exact decimals as text (never a float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):  # pragma: no cover - findings hold no floats
        return format(Decimal(repr(value)), "f")
    return value


def _row(spec: SheetSpec, acc: _Acc) -> DraftRow:
    sentences = tuple(dict.fromkeys(f.sentence for f in acc.findings if f.sentence))
    values: dict[str, object] = {h: None for h in headers(spec)}
    for column, value in acc.values.items():
        if column in values:
            values[column] = _cell(value)
    if SOURCE in values:
        values[SOURCE] = _sources(acc.findings)
    if QUOTE in values:
        values[QUOTE] = _QUOTE_SEP.join(sentences) or None
    if TO_CHECK in values:
        values[TO_CHECK] = "；".join(acc.doubts) or None
    section = next((f.section for f in acc.findings if f.section), "")
    cells: dict[str, tuple[str, ...]] = {}
    for reason, columns in acc.notes.items():
        for c in columns:
            cells[c] = (*cells.get(c, ()), reason)
    return DraftRow(spec.name, MappingProxyType(values), section, sentences,
                    tuple(dict.fromkeys(f.rule for f in acc.findings)), tuple(acc.doubts),
                    MappingProxyType(cells), MappingProxyType(dict(acc.origin)))


def _part_label(source: str | None) -> str | None:
    """The part-level 来源 of a row under a part: ``…／三、（一）工业互联网项目 2`` → ``…／三、（一）工业互联网项目``.

    >>> _part_label("报告／三、（一）工业互联网项目 2")
    '报告／三、（一）工业互联网项目'
    """
    if not source:
        return None
    head = source.split("；", 1)[0]
    return re.sub(r"\s+[^\s／]+$", "", head) if _SOURCE_SEP in head else head


def _missing_parts(rows: dict[str, list[_Acc]]) -> list[_Acc]:
    """Parts other rows name (所属部分) that 资金组成 lacks: check refuses a part it does not know, and the
    report does name it (as a heading), so it gets a row."""
    have = {name_key(r.values.get("部分")) for r in rows.get(PARTS_SHEET, [])}
    added: list[_Acc] = []
    for sheet, column in _PART_COLUMNS.items():
        if sheet == PARTS_SHEET:
            continue
        for acc in rows.get(sheet, []):
            part = acc.values.get(column)
            if part is None or name_key(part) in have:
                continue
            have.add(name_key(part))
            first = acc.findings[0]
            source = _part_label(str(first.values.get(SOURCE) or "")) or None
            stub = Finding(PARTS_SHEET, MappingProxyType({"部分": part, SOURCE: source}), first.section,
                           first.heading, "", "part_named")
            new = _Acc(PARTS_SHEET, {})
            new.add(stub)
            added.append(new)
    return added


def _whole(value: object) -> bool:
    if value is None or isinstance(value, int):
        return True
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return False
    return number == number.to_integral_value()


def _scale_money(acc: _Acc) -> None:
    """A money figure in a sheet of whole numbers (1.2亿元) is written in a smaller unit (12000万元)."""
    value, unit = acc.values.get("数值"), acc.values.get("单位")
    while isinstance(value, Decimal) and not _whole(value) and unit in _SMALLER_UNIT:
        unit, factor = _SMALLER_UNIT[str(unit)]
        value = value * factor
        value = int(value) if _whole(value) else value
        acc.values["数值"], acc.values["单位"] = value, unit


def _budgets(acc: _Acc) -> None:
    """预算金额 (no phase) and a phase together: the same amount is the phase; two amounts need a person."""
    budget = acc.values.get("预算金额")
    phases = [(c, acc.values[c]) for c in ("年初预算数", "全年预算数") if acc.values.get(c) is not None]
    if budget is None or not phases:
        return
    fen = _fen(budget)
    if fen is not None and any(_fen(v) == fen for _, v in phases):
        acc.values["预算金额"] = None
        return
    column, amount = phases[0]
    acc.note(_BOTH_BUDGETS.format(budget=budget, phase=column, amount=amount), ["预算金额", column])


def _fen(value: object) -> int | None:
    try:
        return clean.parse_money(value, signed=True)
    except clean.CleanError:
        return None


def _sheet_doubts(spec: SheetSpec, rows: list[_Acc]) -> None:
    """What check would refuse in a sheet, said in the rows' 待核对: empty required cells, numbers that are
    not whole, repeated keys."""
    seen: dict[tuple[str, ...], int] = {}
    key_cols = [spec.column(k).header for k in spec.key]
    for excel_row, acc in enumerate(rows, start=2):
        if spec.name in ("排名与成果", "分项构成"):
            _scale_money(acc)
        if spec.name == FUND_SHEET:
            _budgets(acc)
        empty = [c.header for c in spec.columns if c.required and c.header not in (SOURCE,)
                 and acc.values.get(c.header) is None]
        if empty and not (spec.name == "排名与成果" and empty == ["数值", "单位"]):
            for header in empty:
                acc.note(_REQUIRED.format(column=header), [header])
        elif empty:
            acc.note(_REQUIRED.format(column="数值"), empty)
        for c in spec.columns:
            value = acc.values.get(c.header)
            if c.kind in _WHOLE_KINDS and not _whole(value):
                acc.note(_NOT_WHOLE.format(column=c.header, value=_cell(value)), [c.header])
        key = _key(spec, acc.values) if spec.name != FUND_SHEET else None
        if key is not None and key in seen:
            acc.note(_DUPLICATE.format(columns="、".join(key_cols), row=seen[key]), key_cols)
        elif key is not None:
            seen[key] = excel_row


def build_draft(extraction: Extraction, year: int) -> Draft:
    """The draft workbook's rows for ``year`` from an extraction (pure)."""
    merged: dict[str, list[_Acc]] = {}
    for spec in SHEETS:
        merged[spec.name] = _merge(spec, extraction.sheets.get(spec.name, ()))
    merged[PARTS_SHEET] = merged.get(PARTS_SHEET, []) + _missing_parts(merged)
    fund = merged[FUND_SHEET]
    if not fund:
        fund.append(_Acc(FUND_SHEET, {}))
    found_year = fund[0].values.get("年度")
    if found_year is None:
        fund[0].values["年度"] = year
        fund[0].note(_YEAR_ASSUMED, ["年度"])
    elif found_year != year:
        fund[0].note(_YEAR_DIFFERS.format(found=found_year, year=year), ["年度"])
    sheets: dict[str, tuple[DraftRow, ...]] = {}
    for spec in SHEETS:
        for acc in merged[spec.name]:
            _vocabulary(acc)
        _sheet_doubts(spec, merged[spec.name])
        sheets[spec.name] = tuple(_row(spec, acc) for acc in merged[spec.name])
    return Draft(extraction.report_name, year, MappingProxyType(sheets))


# ---------------------------------------------------------------------------------------------------------
# The draft as sheets, checked as ``fundanalysis check`` checks them


def draft_sheets(draft: Draft, file: str = "draft.xlsx") -> dict[str, RawSheet]:
    """The draft's sheets as the input reader would give them (header row, then one row per DraftRow)."""
    out: dict[str, RawSheet] = {}
    for spec in SHEETS:
        cols = headers(spec)
        rows: list[list[object]] = [list(cols)]
        rows += [[r.values.get(c) for c in cols] for r in draft.sheet(spec.name)]
        out[spec.name] = RawSheet(file, spec.name, rows)
    return out


def check_draft(draft: Draft, file: str = "draft.xlsx") -> list[Problem]:
    """The problems ``fundanalysis check`` would find in the draft (empty: it passes as it stands)."""
    from fundanalysis.ingest.tables import build_tables

    try:
        build_tables(draft_sheets(draft, file), draft.year)
    except InputError as exc:
        return list(exc.problems)
    return []


# ---------------------------------------------------------------------------------------------------------
# The workbook


def _categories(draft: Draft) -> list[str]:
    """The award categories for the template's dropdown (none when they would not fit in one)."""
    cats = [str(r.values["类别"]) for r in draft.sheet("奖励类别") if r.values.get("类别")]
    if any(ch in c for c in cats for ch in ',"') or len(",".join(cats)) > 250:
        return []
    return cats


def draft_workbook(draft: Draft, problems: Iterable[Problem] = ()) -> bytes:
    """The draft as an .xlsx file's bytes: the template's sheets with their notes and dropdowns, the rows
    filled, rows to check shaded, and the sheet 核对清单 first (doubts, then check's problems)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from fundanalysis.ingest.template import build_template

    wb = build_template(draft.year, _categories(draft))
    row_shade, cell_shade = PatternFill("solid", fgColor="FFF2CC"), PatternFill("solid", fgColor="FFD966")
    for spec in SHEETS:
        ws = wb[spec.name]
        cols = headers(spec)
        for r, row in enumerate(draft.sheet(spec.name), start=2):
            for c, header in enumerate(cols, start=1):
                cell = ws.cell(row=r, column=c, value=None)
                _write(cell, row.values.get(header))
                if header in row.cell_doubts or (header == TO_CHECK and row.doubts):
                    cell.fill = cell_shade
                    cell.comment = Comment("待核对：" + "；".join(row.cell_doubts.get(header, row.doubts)),
                                           "fundanalysis")
                elif row.doubts:
                    cell.fill = row_shade
    ws = wb.create_sheet(CHECKLIST, 0)
    for c, header in enumerate(CHECKLIST_COLUMNS, start=1):
        ws.cell(row=1, column=c, value=header).font = Font(bold=True)
    ws.cell(row=1, column=1).comment = Comment(
        "由 fundanalysis extract 从报告文本生成的草稿：逐项对照原文核对本表所列各行，改正后可删除本表"
        "（fundanalysis check 不读取本表）。", "fundanalysis")
    r = 2
    for sheet, excel_row, row in draft.uncertain:
        for c, value in enumerate((sheet, excel_row, "；".join(row.doubts), row.sentence,
                                   row.values.get(SOURCE)), start=1):
            _write(ws.cell(row=r, column=c), value)
        ws.cell(row=r, column=1).hyperlink = f"#'{sheet}'!A{excel_row}"
        r += 1
    for p in problems:
        for c, value in enumerate((p.sheet, p.row, _CHECK_PROBLEM.format(
                reason=(f"{p.column}：" if p.column else "") + p.reason), None, None), start=1):
            _write(ws.cell(row=r, column=c), value)
        r += 1
    for c, width in enumerate((12, 6, 50, 60, 40), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.active = 0
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write(cell: object, value: object) -> None:
    """Write a value; text starting with ``=`` stays text (never a formula)."""
    from fundanalysis.storage.formulas import write_text_cell

    value = _cell(value)
    if isinstance(value, str):
        write_text_cell(cell, value)
    else:
        cell.value = value  # type: ignore[attr-defined]


def draft_name(fund: str, year: int) -> str:
    """The file name of a fund's draft for a year."""
    return f"{fund}-{year}-draft.xlsx"

