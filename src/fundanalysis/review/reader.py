"""Read the 项目支出绩效自评表 as departments file it: .xlsx / .xls workbooks and .docx tables.

A form is found by its labels wherever they stand (extra title rows, merged cells, a 单位：万元 note,
columns added or renamed by a local variant), one form per sheet (or per .docx table). What comes
out is the same tables the analysts' workbook sheets 资金来源, 年度目标 and 绩效指标 give
(:meth:`FiledForm.tables`), so the existing scoring runs on them, and every value keeps its cell
(file, sheet or table, row, column) for the messages of a review.

Decisions (documented here once):

- .xlsx is read with the suite's own workbook reader (container checks first, values only), .xls with
  python-calamine; .docx with python-docx, each table a grid whose merged cells repeat their text
  (so the first occurrence of a label counts).
- Money is in the unit the form states (``单位：万元``, ``金额单位：元`` or ``项目资金（万元）``);
  without a note it is read in 万元, the standard form's unit, and the form says so
  (``money_unit_stated`` False). Amounts become integer 分; a binary float from Excel is taken
  to the 分 (Excel cannot hold 456.1万元 exactly), an exact figure finer than the 分 is refused.
- A rate Excel keeps as a number (0.9583333…) is read at four decimals (95.83%), the finest a
  form shows; a rate written as text keeps its digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation, localcontext
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from fundanalysis.errors import InputError, Problem
from fundanalysis.ingest.targets import (
    ACTUAL,
    LEVEL1,
    LEVEL2,
    NAME,
    NATURE,
    SCORE,
    TARGET,
    UNIT,
    WEIGHT,
    Fund,
    TargetError,
    fund_category,
    is_total_row,
    parse_rate,
)
from fundanalysis.storage.forms import Location, form_grids

#: File suffixes a review reads (lower case); Office lock files (``~$…``) are skipped.
FORM_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".docx")
DEVIATION = "偏差原因分析及改进措施"
#: A column some local forms add for what shows a result was reached.
EVIDENCE = "佐证材料"

#: Column names of the 绩效指标 block (the suite's header) → the words forms use for them, in order
#: of preference. A header matches a word exactly (after NFKC and without spaces) or, for the
#: deviation column, by its start.
INDICATOR_HEADERS: dict[str, tuple[str, ...]] = {
    LEVEL1: ("一级指标",),
    LEVEL2: ("二级指标",),
    NAME: ("三级指标", "指标名称", "具体指标"),
    NATURE: ("指标性质",),
    TARGET: ("年度指标值", "年度目标值", "预期指标值", "指标值", "目标值"),
    UNIT: ("度量单位", "计量单位"),
    ACTUAL: ("实际完成值", "全年实际值", "全年完成值", "实际值", "完成值"),
    WEIGHT: ("分值", "权重", "权重分"),
    SCORE: ("得分", "自评得分", "评分"),
    DEVIATION: ("偏差原因", "原因分析"),
    EVIDENCE: ("佐证材料", "证明材料", "佐证资料"),
}
_PREFIX_HEADERS = {DEVIATION}

#: Columns of the 项目资金 block → their words.
MONEY_HEADERS: dict[str, tuple[str, ...]] = {
    "approved": ("年初预算数", "年初预算"),
    "budget": ("全年预算数", "全年预算", "调整后预算数"),
    "executed": ("全年执行数", "全年执行", "实际执行数", "执行数"),
    "weight": ("分值", "权重"),
    "rate": ("执行率", "预算执行率"),
    "score": ("得分", "自评得分"),
}
PROJECT_LABELS = ("项目名称",)
DEPARTMENT_LABELS = ("主管部门", "主管单位")
UNIT_LABELS = ("实施单位", "项目单位", "预算单位")
GOAL_LABELS = ("年度总体目标", "年度目标", "总体目标")
_LABELS = {*PROJECT_LABELS, *DEPARTMENT_LABELS, *UNIT_LABELS, *GOAL_LABELS}

_UNIT_NOTE = re.compile(r"(?:金额)?单位[:：](万元|元)")
_MONEY_LABEL_UNIT = re.compile(r"项目资金[（(](万元|元)[)）]")
_YEAR = re.compile(r"(\d{4})年度?")
_GRADE = re.compile(r"^(?:自评|评价|绩效)?等级[:：]?(.*)$")
_DASHES = {"", "—", "-", "－", "–", "/", "无", "——"}
_SCALE = {"万元": 1_000_000, "元": 100}


def norm(value: Any) -> str:
    """A cell's text for matching labels: NFKC, without any white space.

    >>> norm("项目资金\\n（万元）"), norm(" 全年 执行数 ")
    ('项目资金(万元)', '全年执行数')
    """
    if value is None:
        return ""
    return _norm_text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=65_536)
def _norm_text(text: str) -> str:
    """:func:`norm` of a text, remembered: a year's forms repeat their labels and headers."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Cell:
    """Where a value stands: the file (relative to the reviewed folder), the sheet (or ``表格N`` for
    the N-th table of a .docx), the row (1-based) and the column as a letter."""

    file: str
    sheet: str
    row: int
    column: str

    def as_dict(self) -> dict[str, Any]:
        """The location as plain values (for review.json)."""
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column}

    def __str__(self) -> str:
        return f"{self.file} {self.sheet}!{self.column}{self.row}"


@dataclass(frozen=True)
class Grid:
    """One sheet or table as a grid of values; ``rows[0]`` is row 1."""

    file: str
    sheet: str
    rows: list[list[Any]]

    def value(self, row: int, col: int) -> Any:
        """The value at 0-based ``row``, ``col`` (None outside the grid)."""
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def cell(self, row: int, col: int) -> Cell:
        """The location of 0-based ``row``, ``col``."""
        return Cell(self.file, self.sheet, row + 1, get_column_letter(col + 1))


@dataclass(frozen=True)
class MoneyLine:
    """One row of the 项目资金 block: money in 分, the other cells as written."""

    label: str
    category: Fund
    row: int
    approved: int | None
    budget: int | None
    executed: int | None
    weight: Any
    stated_rate: Any
    stated_score: Any
    cells: dict[str, Cell]


@dataclass(frozen=True)
class FiledForm:
    """One form as filed, with the location of everything read from it."""

    file: str
    sheet: str
    year: int | None
    project: str | None
    department: str | None
    unit: str | None
    money_unit: str
    money_unit_stated: bool
    money: tuple[MoneyLine, ...]
    goals: tuple[tuple[str | None, str | None], ...]
    #: (row, {header: value}) per indicator row, 一级/二级指标 filled down from merged cells
    indicators: tuple[tuple[int, dict[str, Any]], ...]
    #: the 绩效指标 header → its column letter
    indicator_columns: dict[str, str]
    stated_total: Any = None
    stated_max: Any = None
    stated_grade: str | None = None
    total_row: int | None = None
    goal_rows: tuple[int, ...] = ()
    cells: dict[str, Cell] = field(default_factory=dict)
    #: whether the form has a 项目资金 block (its header row) at all
    has_money: bool = True

    def at(self, row: int | None, header: str) -> Cell | None:
        """The cell of an indicator (or total) row under a 绩效指标 header, if the form has that column."""
        column = self.indicator_columns.get(header)
        if row is None or column is None:
            return None
        return Cell(self.file, self.sheet, row, column)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The form as the processed tables ``money_sources``, ``goals`` and ``indicators`` (with the
        总分 row last, as the 绩效指标 sheet transcribes it)."""
        ref = f"{self.file}:{self.sheet}"
        money = pd.DataFrame([{
            "category": m.label, "initial_fen": m.approved, "annual_fen": m.budget, "executed_fen": m.executed,
            "weight": _shown(m.weight), "stated_rate": _rate_shown(m.stated_rate),
            "stated_score": _shown(m.stated_score),
            "input_ref": f"{ref}:{m.row}",
        } for m in self.money], columns=["category", "initial_fen", "annual_fen", "executed_fen", "weight",
                                         "stated_rate", "stated_score", "input_ref"])
        for col in ("initial_fen", "annual_fen", "executed_fen"):
            money[col] = money[col].astype("Int64")
        goals = pd.DataFrame([{"expected": e, "achieved": a} for e, a in self.goals],
                             columns=["expected", "achieved"])
        fields = {LEVEL1: "level1", LEVEL2: "level2", NAME: "name", NATURE: "nature", TARGET: "target",
                  UNIT: "unit", ACTUAL: "actual", WEIGHT: "weight", SCORE: "stated_score", DEVIATION: "deviation"}
        rows = [{**{f: _shown(cells.get(h)) for h, f in fields.items()}, "input_ref": f"{ref}:{row}"}
                for row, cells in self.indicators]
        if self.stated_total is not None:
            rows.append({**dict.fromkeys(fields.values()), "level1": "总分", "weight": _shown(self.stated_max),
                         "stated_score": _shown(self.stated_total), "input_ref": f"{ref}:{self.total_row}"})
        indicators = pd.DataFrame(rows, columns=[*fields.values(), "input_ref"])
        return {"money_sources": money, "goals": goals, "indicators": indicators}


def _shown(value: Any) -> Any:
    """A value as the processed tables keep a shown cell: text, or None when blank."""
    if value is None:
        return None
    if isinstance(value, float):
        return _float_text(value)
    text = str(value).strip()
    return text or None


def _rate_shown(value: Any) -> Any:
    """A rate cell as the processed tables keep it: with its % (a form's number is a percentage as
    Excel stores it, 0.95 for 95%), or as written when it is not a rate (the scoring says why)."""
    try:
        rate = parse_rate(value, bare_fraction=True)
    except TargetError:
        return _shown(value)
    return None if rate is None else f"{rate.scaleb(2):f}%"


def _float_text(value: float) -> str:
    """A float as its shortest exact-looking decimal (Excel's 9.5 → ``9.5``, 15.0 → ``15``)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


class FormError(ValueError):
    """A sheet or table that looks like a form but cannot be read; ``problems`` locate why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


# ------------------------------------------------------------------ grids from files


def grids_of(path: Location, name: str) -> list[Grid]:
    """The sheets (or .docx tables) of a file (a path or an fsspec URL) as grids; ``name`` is how
    messages call the file."""
    suffix = PurePosixPath(str(path)).suffix
    if suffix.lower() not in FORM_SUFFIXES:
        raise FormError([Problem(name, None, None, None, None,
                                 f"{suffix or 'a file without suffix'} is not a form file "
                                 f"({', '.join(FORM_SUFFIXES)}); save it as .xlsx")])
    return [Grid(name, sheet, rows) for sheet, rows in form_grids(path, name)]


def read_forms(path: Location, name: str | None = None) -> tuple[list[FiledForm], list[Problem]]:
    """Every form in one file (a path or an fsspec URL), and the located problems of the sheets
    that could not be read.

    A sheet without the form's labels is not a form and is passed over; a file with no form at
    all is one problem.
    """
    name = name or PurePosixPath(str(path)).name
    try:
        grids = grids_of(path, name)
    except FormError as exc:
        return [], exc.problems
    except InputError as exc:  # a refused file: named as the review names it (its path below the folder)
        return [], [replace(p, file=name) for p in exc.problems]
    except Exception as exc:  # a damaged file: each library raises its own types
        return [], [Problem(name, None, None, None, None, f"the file could not be read ({exc})")]
    forms: list[FiledForm] = []
    problems: list[Problem] = []
    for grid in grids:
        texts = _texts(grid)
        if not looks_like_form(grid, texts):
            continue
        try:
            forms.append(parse_grid(grid, texts))
        except FormError as exc:
            problems.extend(exc.problems)
    if not forms and not problems:
        problems.append(Problem(name, None, None, None, None,
                                "no 项目支出绩效自评表 found (no sheet or table with the labels "
                                "项目名称 and 一级指标 / 三级指标 / 分值)"))
    return forms, problems


# ------------------------------------------------------------------ finding the blocks


def _texts(grid: Grid) -> list[list[str]]:
    return [[norm(v) for v in row] for row in grid.rows]


def looks_like_form(grid: Grid, texts: list[list[str]] | None = None) -> bool:
    """True when the grid has a 项目名称 label or the 绩效指标 header row (``texts``: the grid's
    cells through :func:`norm`, when already made)."""
    texts = _texts(grid) if texts is None else texts
    return any(t in PROJECT_LABELS for row in texts for t in row) or _indicator_header(texts) is not None


def _match(text: str, words: Iterable[str], prefix: bool = False) -> bool:
    return any(text == w or (prefix and text.startswith(w)) for w in words)


def _header_columns(row: list[str], headers: dict[str, tuple[str, ...]],
                    prefix: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
    """Header → column of its first occurrence, each column used once, words in order of preference."""
    found: dict[str, int] = {}
    used: set[int] = set()
    for key, words in headers.items():
        for word in words:
            hit = next((c for c, t in enumerate(row) if c not in used and (t == word or (
                key in prefix and t.startswith(word)))), None)
            if hit is not None:
                found[key] = hit
                used.add(hit)
                break
    return found


def _indicator_header(texts: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    for r, row in enumerate(texts):
        if LEVEL1 in row:
            columns = _header_columns(row, INDICATOR_HEADERS, _PREFIX_HEADERS)
            if NAME in columns and WEIGHT in columns:
                return r, columns
    return None


def _label_value(texts: list[list[str]], grid: Grid, labels: tuple[str, ...]) -> tuple[str | None, Cell | None]:
    """The first text right of a label (not a label itself, nor the label repeated by a merge)."""
    for r, row in enumerate(texts):
        for c, t in enumerate(row):
            if t in labels:
                for c2 in range(c + 1, len(row)):
                    if row[c2] and row[c2] not in _LABELS and row[c2] != t:
                        return str(grid.value(r, c2)).strip(), grid.cell(r, c2)
                return None, grid.cell(r, c)
    return None, None


def _money_unit(texts: list[list[str]]) -> tuple[str, bool]:
    for row in texts:
        for t in row:
            m = _UNIT_NOTE.search(t) or _MONEY_LABEL_UNIT.search(t)
            if m:
                return m[1], True
    return "万元", False


def _year(texts: list[list[str]], stop: int) -> int | None:
    for row in texts[: max(stop, 1)]:
        for t in row:
            m = _YEAR.search(t)
            if m and 1990 <= int(m[1]) <= 2100:
                return int(m[1])
    return None


def _fen(value: Any, unit: str, where: Cell, header: str) -> int | None:
    """A money cell in 分 (None when blank); raises FormError when it is not an amount."""
    def refuse(reason: str) -> FormError:
        return FormError([Problem(where.file, where.sheet, where.row, f"{where.column}（{header}）", value, reason)])

    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        text = norm(value).replace(",", "")
        if text in _DASHES:
            return None
        for suffix in ("万元", "元"):
            if text.endswith(suffix):
                text, unit = text.removesuffix(suffix), suffix
                break
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise refuse("not an amount such as 456.00") from None
    if not amount.is_finite() or amount < 0:
        raise refuse("not a non-negative amount")
    with localcontext() as ctx:
        ctx.prec = 40
        fen = amount * _SCALE[unit]
    if fen != fen.to_integral_value():
        if not isinstance(value, float):
            raise refuse(f"an amount finer than the 分 in {unit}")
        fen = fen.to_integral_value()  # a binary float: the 分 it stands for
    return int(fen)


def _rate_cell(value: Any) -> Any:
    """A rate cell as the scoring reads it: a number at four decimals at most, text as written."""
    if isinstance(value, float):
        d = Decimal(repr(value))
        if d.as_tuple().exponent < -4:  # type: ignore[operator]
            d = d.quantize(Decimal("0.0001"))
        return str(d)
    return value


def _money(grid: Grid, texts: list[list[str]], unit: str, stop: int) -> tuple[MoneyLine, ...] | None:
    header = None
    for r, row in enumerate(texts[:stop]):
        columns = _header_columns(row, MONEY_HEADERS)
        if "budget" in columns and "executed" in columns:
            header = r, columns
            break
    if header is None:
        return None
    r0, columns = header
    first = min(columns.values())
    lines: list[MoneyLine] = []
    problems: list[Problem] = []
    for r in range(r0 + 1, stop):
        row = texts[r]
        label = category = None
        for c in range(min(first, len(row))):
            if not row[c]:
                continue
            try:
                category, label = fund_category(row[c]), str(grid.value(r, c)).strip()
                break
            except TargetError:
                continue
        if category is None:
            if lines:
                break
            continue
        cells = {k: grid.cell(r, c) for k, c in columns.items()}
        amounts: dict[str, int | None] = {}
        for key in ("approved", "budget", "executed"):
            if key not in columns:
                amounts[key] = None
                continue
            try:
                amounts[key] = _fen(grid.value(r, columns[key]), unit, cells[key], MONEY_HEADERS[key][0])
            except FormError as exc:
                problems.extend(exc.problems)
                amounts[key] = None

        def get(key: str, row_index: int = r) -> Any:
            return grid.value(row_index, columns[key]) if key in columns else None

        assert label is not None
        lines.append(MoneyLine(label, category, r + 1, amounts["approved"], amounts["budget"], amounts["executed"],
                               get("weight"), _rate_cell(get("rate")), get("score"), cells))
    if problems:
        raise FormError(problems)
    return tuple(lines)


def _goals(grid: Grid, texts: list[list[str]], stop: int,
           cells: dict[str, Cell]) -> tuple[tuple[tuple[str | None, str | None], ...], tuple[int, ...]]:
    for r, row in enumerate(texts[:stop]):
        if "预期目标" in row:
            ce = row.index("预期目标")
            ca = next((c for c, t in enumerate(row) if t.startswith("实际完成")), None)
            cells["goal_expected"] = grid.cell(r, ce)
            if ca is not None:
                cells["goal_achieved"] = grid.cell(r, ca)
            out, rows = [], []
            for r2 in range(r + 1, stop):
                e = grid.value(r2, ce)
                a = grid.value(r2, ca) if ca is not None else None
                if norm(e) or norm(a):
                    out.append((str(e).strip() if norm(e) else None, str(a).strip() if norm(a) else None))
                    rows.append(r2 + 1)
            return tuple(out), tuple(rows)
    text, where = _label_value(texts[:stop], grid, GOAL_LABELS)
    if where is not None:
        cells["goal_expected"] = where
    return (((text, None),), (where.row,)) if text and where else ((), ())


def parse_grid(grid: Grid, texts: list[list[str]] | None = None) -> FiledForm:
    """Read one form from a grid; raises FormError (located) when a money figure cannot be read.
    ``texts``: the grid's cells through :func:`norm`, when already made."""
    texts = _texts(grid) if texts is None else texts
    found = _indicator_header(texts)
    stop = found[0] if found else len(texts)
    project, project_cell = _label_value(texts, grid, PROJECT_LABELS)
    department, _ = _label_value(texts, grid, DEPARTMENT_LABELS)
    unit_name, _ = _label_value(texts, grid, UNIT_LABELS)
    money_unit, stated = _money_unit(texts)
    money = _money(grid, texts, money_unit, stop)
    cells_of: dict[str, Cell] = {}
    goals, goal_rows = _goals(grid, texts, stop, cells_of)
    indicators: list[tuple[int, dict[str, Any]]] = []
    columns: dict[str, str] = {}
    stated_total = stated_max = None
    total_row = None
    if found is not None:
        r0, cols = found
        columns = {h: get_column_letter(c + 1) for h, c in cols.items()}
        level1 = level2 = None
        for r in range(r0 + 1, len(texts)):
            cells = {h: grid.value(r, c) for h, c in cols.items()}
            left = [texts[r][c] for c in range(min(cols[WEIGHT], len(texts[r])))]
            if any(t in ("总分", "合计", "总计") for t in left) or is_total_row(cells.get(LEVEL1), cells.get(NAME)):
                stated_total, stated_max, total_row = cells.get(SCORE), cells.get(WEIGHT), r + 1
                break
            if not any(norm(cells.get(h)) for h in (NAME, TARGET, ACTUAL, WEIGHT)):
                if any(_GRADE.match(t) for t in texts[r]):
                    break
                continue
            level1 = cells.get(LEVEL1) if norm(cells.get(LEVEL1)) else level1
            level2 = cells.get(LEVEL2) if norm(cells.get(LEVEL2)) else level2
            cells[LEVEL1], cells[LEVEL2] = level1, level2
            indicators.append((r + 1, cells))
    grade = None
    for r in range(found[0] if found else 0, len(texts)):
        for c, t in enumerate(texts[r]):
            m = _GRADE.match(t)
            if m:
                grade = m[1] or next((x for x in texts[r][c + 1:] if x), None)
                break
        if grade:
            break
    if project_cell is not None:
        cells_of["project"] = project_cell
    return FiledForm(grid.file, grid.sheet, _year(texts, project_cell.row if project_cell else stop), project,
                     department, unit_name, money_unit, stated, money or (), goals, tuple(indicators), columns,
                     stated_total, stated_max, grade or None, total_row, goal_rows, cells_of,
                     money is not None)
