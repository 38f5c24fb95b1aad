"""Long CSV and Parquet sheets read in columns (Arrow) give exactly what the line-by-line reader gives:
the same tables, the same problems at the same lines; a CSV the columnar reader cannot read alike
(a blank line, a stray quote, GB18030 text, ragged rows) is read line by line."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundanalysis.errors import InputError
from fundanalysis.ingest import clean
from fundanalysis.ingest.load import process_year
from fundanalysis.storage import textsheets
from fundanalysis.storage.textsheets import ColumnarSheet, read_csv_sheet, read_parquet_sheet

FUND = "columnar-fund"
YEAR = 2050
HEADERS = ["企业名称", "类别", "奖励金额", "级别", "所属部分", "来源"]
CATEGORIES = ["平台", "（一）贯标", "标杆工厂", "星级上云"]


def _workbook(folder: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "专项资金"
    ws.append(["资金名称", "主管部门", "年度", "预算金额", "来源"])
    ws.append(["测试资金", "测试局", YEAR, "100000万元", "测试"])
    parts = wb.create_sheet("资金组成")
    parts.append(["部分", "来源"])
    parts.append(["测试部分", "测试"])
    folder.mkdir(parents=True, exist_ok=True)
    wb.save(folder / f"fund-{YEAR}.xlsx")


def _rows(n: int, seed: int = 7, messy: bool = True) -> list[list[str]]:
    """``n`` recipients: names unique but for one spelled twice ((集团) / （集团）), amounts in every
    way the readers accept, categories numbered or not, spaces and invisible characters."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        amount = rng.choice([f"{rng.randint(1, 900) / 10:g}万元", f"{rng.randint(1, 500) * 100}元",
                             f"{rng.randint(1, 90)}", f"{rng.randint(1, 9)},{rng.randint(100, 999)}元"])
        name = f"企业{i:06d}有限公司"
        if messy and i % 997 == 5:
            name = f" 企业 {i:06d}　有限公司 "  # spaces to collapse
        if messy and i % 1499 == 7:
            name = f"企业{i:06d}\u200b有限公司"  # an invisible character to drop
        rows.append([name, rng.choice(CATEGORIES), amount, rng.choice(["国家级", "省级", ""]), "测试部分",
                     "测试报告／获奖企业"])
    if messy:
        rows[10][0] = "示例(集团)有限公司"
        rows[20][0] = "示例（集团）有限公司"  # the same company: its first spelling wins
        rows[20][1] = next(c for c in CATEGORIES if c != rows[10][1])  # in another category
    return rows


def _csv(path: Path, rows: list[list[str]], *, crlf: bool = False, bom: bool = True,
         encoding: str = "utf-8") -> Path:
    import csv
    import io

    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows([HEADERS, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" if bom else "").encode(encoding) + buf.getvalue().encode(encoding))
    return path


def _year(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name / "raw" / FUND / str(YEAR)
    _workbook(folder)
    return folder


def _both(data: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, type | None]:
    """process_year read in columns, then line by line: each result, or the InputError's problems."""
    out = []
    kinds: list[type | None] = []
    for threshold in (0, 1 << 40):
        monkeypatch.setattr(textsheets, "COLUMNAR_MIN_BYTES", threshold)
        try:
            kinds.append(type(read_csv_sheet(next(data.glob(f"raw/{FUND}/{YEAR}/*.csv")))))
        except InputError:
            kinds.append(None)
        try:
            out.append(process_year(data, YEAR, FUND))
        except InputError as exc:
            out.append(exc.problems)
    return out[0], out[1], kinds[0]


def _same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=True, obj=name)


@pytest.mark.parametrize("rows", [1200, 12_000], ids=["repeats", "long"])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_columnar_csv_gives_the_same_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int,
                                            crlf: bool) -> None:
    folder = _year(tmp_path, "d")
    _csv(folder / "获奖企业.csv", _rows(rows), crlf=crlf)
    columns, lines, kind = _both(tmp_path / "d", monkeypatch)
    assert kind is ColumnarSheet
    _same_tables(columns.tables, lines.tables)
    assert columns.notes == lines.notes
    awards = columns.tables["awards"]
    assert awards.loc[20, "recipient"] == "示例(集团)有限公司"  # unified to the first spelling
    assert awards.loc[5, "recipient"] == "企业 000005 有限公司"
    cats = columns.tables["award_categories"]
    assert "贯标" in set(cats["category"]) and int(cats["recipients"].sum()) == rows


def test_columnar_csv_reports_the_same_problems_at_the_same_lines(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(3000)
    rows[100][2] = "73,8万元"        # a decimal comma: refused with both readings
    rows[200][1] = "不存在的类别"      # not a category of the sheet
    rows[300][3] = "县级"            # not a level
    rows[400][0] = "坏\x1b名字"       # a control character
    rows[500][2] = ""                # an empty amount
    rows[600] = list(rows[601])      # a duplicated row
    folder = _year(tmp_path, "d")
    _csv(folder / "获奖企业.csv", rows)
    # 奖励类别 names the categories: 不存在的类别 is unknown there
    wb = openpyxl.load_workbook(folder / f"fund-{YEAR}.xlsx")
    ws = wb.create_sheet("奖励类别")
    ws.append(["类别", "来源"])
    for c in CATEGORIES:
        ws.append([c, "测试"])
    wb.save(folder / f"fund-{YEAR}.xlsx")
    columns, lines, kind = _both(tmp_path / "d", monkeypatch)
    assert kind is ColumnarSheet
    assert isinstance(columns, list) and columns == lines
    where = {(p.row, p.column) for p in columns}
    for line, column in [(102, "奖励金额"), (202, "类别"), (302, "级别"), (402, "企业名称"), (502, "奖励金额")]:
        assert (line, column) in where, (line, column, sorted(where)[:20])
    assert any(p.row == 603 and "duplicated row" in p.reason for p in columns)


@pytest.mark.parametrize(("content", "why"), [
    (b"\xe4\xbc\x81\xe4\xb8\x9a\n\n", "blank line"),
    (b"\"\xe4\xbc\x81\xe4\xb8\x9a\"x", "stray quote"),
    (b"\xe4\xbc\x81\xe4\xb8\x9a,\xe5\xa4\x9a", "ragged row"),
], ids=["blank-line", "stray-quote", "ragged"])
def test_csv_the_columns_cannot_read_alike_is_read_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               content: bytes, why: str) -> None:
    folder = _year(tmp_path, "d")
    path = _csv(folder / "获奖企业.csv", _rows(300, messy=False))
    data = path.read_bytes().splitlines(keepends=True)
    data.insert(150, content + (b"\n" if not content.endswith(b"\n") else b""))
    path.write_bytes(b"".join(data))
    assert textsheets._csv_columns(path) is None, why
    columns, lines, _ = _both(tmp_path / "d", monkeypatch)
    assert type(columns) is type(lines)
    if isinstance(columns, list):
        assert columns == lines
    else:
        _same_tables(columns.tables, lines.tables)


def test_gb18030_csv_is_read_line_by_line_with_its_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _year(tmp_path, "d")
    _csv(folder / "获奖企业.csv", _rows(300, messy=False), bom=False, encoding="gb18030")
    monkeypatch.setattr(textsheets, "COLUMNAR_MIN_BYTES", 0)
    sheet = read_csv_sheet(folder / "获奖企业.csv")
    assert type(sheet) is not ColumnarSheet and any("GB18030" in n for n in sheet.notes)


def test_parquet_read_in_columns_gives_the_same_tables(tmp_path: Path) -> None:
    """A Parquet sheet (text columns, repeating ones read as dictionaries) gives the tables its CSV gives."""
    rows = _rows(12_000)
    a = _year(tmp_path, "csv")
    _csv(a / "获奖企业.csv", rows)
    b = _year(tmp_path, "parquet")
    cols = list(zip(*rows, strict=True))
    pq.write_table(pa.table({h: pa.array(c, pa.string()) for h, c in zip(HEADERS, cols, strict=True)}),
                   b / "获奖企业.parquet")
    sheet = read_parquet_sheet(b / "获奖企业.parquet")
    assert isinstance(sheet, ColumnarSheet)
    assert any(isinstance(sheet.frame[i].dtype, pd.CategoricalDtype) for i in sheet.frame.columns)
    from_csv = process_year(tmp_path / "csv", YEAR, FUND).tables
    from_parquet = process_year(tmp_path / "parquet", YEAR, FUND).tables
    for name in from_csv:
        x, y = from_csv[name], from_parquet[name]
        if "input_ref" in x:
            x, y = x.drop(columns="input_ref"), y.drop(columns="input_ref")
        pd.testing.assert_frame_equal(x, y, obj=name)
    refs = from_parquet["awards"]["input_ref"]
    assert refs.iloc[0] == "获奖企业.parquet:获奖企业:2" and refs.iloc[-1] == f"获奖企业.parquet:获奖企业:{12_001}"


def test_parquet_numbers_are_read_as_numbers(tmp_path: Path) -> None:
    """A numeric Parquet column keeps what the grid reader gave: 25 is 25 (万元 by default)."""
    b = _year(tmp_path, "p")
    rows = _rows(50, messy=False)
    table = pa.table({"企业名称": [r[0] for r in rows], "类别": [r[1] for r in rows],
                      "奖励金额": pa.array([25.5] * 49 + [None], pa.float64()), "所属部分": ["测试部分"] * 50,
                      "来源": ["测试"] * 50})
    pq.write_table(table, b / "获奖企业.parquet")
    with pytest.raises(InputError) as exc:
        process_year(tmp_path / "p", YEAR, FUND)
    [p] = exc.value.problems
    assert p.row == 51 and p.column == "奖励金额" and "empty" in p.reason
    table = table.set_column(2, "奖励金额", pa.array([25.5] * 50, pa.float64()))
    pq.write_table(table, b / "获奖企业.parquet")
    awards = process_year(tmp_path / "p", YEAR, FUND).tables["awards"]
    assert set(awards["amount_fen"]) == {25_5000_00}


def _parquet(folder: Path, rows: list[list[str]]) -> Path:
    cols = list(zip(*rows, strict=True))
    path = folder / "获奖企业.parquet"
    pq.write_table(pa.table({h: pa.array(c, pa.string()) for h, c in zip(HEADERS, cols, strict=True)}), path)
    return path


def test_parquet_blank_rows_are_found_as_in_its_csv(tmp_path: Path) -> None:
    """A row blank in every column (spaces count as blank) is noted and ignored; a row blank in
    all but a column read as a dictionary is not blank: its empty cells are reported. The same
    notes and problems as the same rows in a CSV read line by line."""
    rows = _rows(12_000, messy=False)  # long enough for its repeating columns to be read as dictionaries
    rows[1000] = ["", "\u3000", " ", "", "", ""]
    a, b = _year(tmp_path, "csv"), _year(tmp_path, "parquet")
    _csv(a / "获奖企业.csv", rows)
    sheet = read_parquet_sheet(_parquet(b, rows))
    assert isinstance(sheet.frame[1].dtype, pd.CategoricalDtype)  # 类别, read as a dictionary
    from_csv, from_parquet = process_year(tmp_path / "csv", YEAR, FUND), process_year(tmp_path / "parquet", YEAR, FUND)
    assert from_parquet.notes == [n.replace(".csv", ".parquet") for n in from_csv.notes]
    assert any("blank row 1002 ignored" in n for n in from_parquet.notes)
    assert len(from_parquet.tables["awards"]) == 11_999
    rows[2000] = ["", rows[2000][1], "", "", "", ""]  # only its category
    _csv(a / "获奖企业.csv", rows)
    _parquet(b, rows)
    problems = []
    for folder in ("csv", "parquet"):
        with pytest.raises(InputError) as exc:
            process_year(tmp_path / folder, YEAR, FUND)
        problems.append({(p.row, p.column) for p in exc.value.problems})
    assert problems[0] == problems[1] and {(2002, "企业名称"), (2002, "奖励金额")} <= problems[1]


@pytest.mark.parametrize("name", ["中汽研(天津)汽车", "中汽研（天津）汽车\u200b", "ＡＢＣ 公司", "Straße", "ǅ-Ünï",
                                  "ﬁ", "\u3000x\u00a0y", "", "a\tb", "Ⅻ号", "ｶﾀｶﾅ"])
def test_name_keys_agree_with_name_key(name: str) -> None:
    s = pd.Series([name, "企业000001有限公司", None], dtype=object)
    assert clean.name_keys(s).tolist() == [clean.name_key(v) for v in s]


def test_whitespace_classes_match_python() -> None:
    """The Arrow patterns name exactly the characters Python calls white space."""
    from fundanalysis.ingest import tables

    chars = pd.Series([chr(i) for i in range(0x3100)], dtype="string[pyarrow]")
    blank = chars[chars.str.fullmatch(tables._BLANK)].tolist()
    assert blank == [c for c in chars if c.isspace()]


# ------------------------------------------------------------------ text columns

_PIECES = [*"企业公司（）()一二三、1.．０ aZ", "\t", "\n", "\u3000", "\xa0", "\u200b", "\x07", "\x1f", "\x85",
           "\ufeff", "  ", "（一）", "1、", "3.", "二、", "(12)"]
_CELL_TEXT = st.lists(st.sampled_from(_PIECES), max_size=10).map("".join)
_CELLS = st.lists(st.one_of(_CELL_TEXT, st.none(), st.just(float("nan")), st.integers(-5, 10**6),
                            st.floats(allow_nan=False, allow_infinity=False, width=32)), max_size=12)


def _text_column(values: list[Any], fieldname: str, required: bool) -> tuple[pd.Series, list[tuple[Any, str]]]:
    """``_parse_text_column`` on a column of object cells (index from 5), with the problems it reports."""
    from fundanalysis.ingest import tables

    problems: list[tuple[Any, str]] = []
    out = tables._parse_text_column(pd.Series(values, dtype=object, index=range(5, 5 + len(values))),
                                    fieldname, required, lambda i, why: problems.append((i, why)))
    return out, problems


@given(_CELLS, st.sampled_from(["outlet", "category", "source", "name"]), st.booleans())
@settings(max_examples=150)
def test_cleaned_text_is_left_as_it_is_when_cleaned_again(values: list[Any], fieldname: str,
                                                          required: bool) -> None:
    """Cleaning is idempotent: a cleaned column cleaned again is unchanged and has no control
    character left to report; blank cells (and cells left empty) are NA, reported when required."""
    out, problems = _text_column(values, fieldname, required)
    again, problems_again = _text_column(out.tolist(), fieldname, required)
    assert again.tolist() == out.tolist()
    assert not [p for p in problems_again if "control character" in p[1]]
    empty = [i for i, v in out.items() if pd.isna(v)]
    assert [i for i, why in problems if why == "value is empty"] == (empty if required else [])


def test_text_column_example() -> None:
    out, problems = _text_column([" （一）贯标\u3000", "a\x07b", None, "  "], "category", True)
    assert out.tolist()[:2] == ["贯标", "ab"] and out.isna().tolist() == [False, False, True, True]
    assert [i for i, _ in problems] == [6, 7, 8] and "control character" in problems[0][1]


@pytest.mark.parametrize("repeat", [1, 3000])
def test_text_cells_are_cleaned_alike_in_a_short_and_a_long_column(repeat: int) -> None:
    """Numbers become their text, invisible characters go, white-space runs become one space, and
    only the numbered fields lose their list numbering, whatever the column's length."""
    cells = ["（一）贯标", "企业\u200b公司", "a\t\tb", 2019, 3.5, "  x  ", "\ufeff"]
    for fieldname, first in (("name", "（一）贯标"), ("category", "贯标")):
        out, problems = _text_column(cells * repeat, fieldname, False)
        assert out.tolist()[:7] == [first, "企业公司", "a b", "2019", "3.5", "x", pd.NA]
        assert out.tolist() == out.tolist()[:7] * repeat and problems == []


def test_all_distinct_counts_key_numbers_and_falls_back_to_hashing() -> None:
    """Name-key numbers are checked by counting (little memory for a million rows); any other
    column (negative, sparse or not integer) by pandas' own uniqueness test — same answers."""
    import numpy as np

    from fundanalysis.ingest.tables import _all_distinct

    cases = [np.arange(1000), np.r_[np.arange(999), 5], np.array([3, 1, 2]), np.array([0, 0]),
             np.array([-1, 0, 1]), np.array([-1, -1]), np.array([10**9, 1]), np.array([10**9, 10**9]),
             np.array([], dtype=np.int64)]
    for values in cases:
        s = pd.Series(values)
        assert _all_distinct(s) == s.is_unique, values[:5]
    assert _all_distinct(pd.Series(["甲", "乙"])) and not _all_distinct(pd.Series(["甲", "甲"]))


def test_line_break_check_agrees_with_searching_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blank lines and lone carriage returns are found from line-feed and carriage-return positions,
    a chunk at a time; the answer is the plain byte search's on 20,000 random texts made of line
    breaks, with chunks of 5 bytes so that patterns fall across chunk edges."""
    import re

    lone_cr = re.compile(rb"\r(?!\n)")

    def searched(data: bytes, start: int, end: int) -> bool:
        if data.find(b"\n\n", start, end) >= 0:
            return False
        return data.find(b"\r", start, end) < 0 or not (data.find(b"\n\r\n", start, end) >= 0
                                                        or lone_cr.search(data, start, end))

    monkeypatch.setattr(textsheets, "_BREAK_CHUNK", 5)
    rng = random.Random(7)
    plain = 0
    for _ in range(20_000):
        data = bytes(rng.choice(b"ab,\n\r\n") if rng.random() < 0.7 else rng.choice(b"\r\n")
                     for _ in range(rng.randint(1, 30)))
        start = rng.randint(0, len(data))
        end = rng.randint(start, len(data))
        while end > start and data[end - 1] in b"\r\n":  # as _plain_csv_width trims the line ends
            end -= 1
        got = textsheets._line_breaks_plain(data, start, end)
        assert got == searched(data, start, end), (data, start, end)
        plain += got
    assert 1000 < plain < 19_000  # both answers are common


# ------------------------------------------------- a column the sheet does not have


@pytest.mark.parametrize("n", [3, 70, 1500])
def test_a_missing_column_is_what_a_column_of_empty_cells_parses_to(n: int) -> None:
    """Every field of every sheet: leaving its column out gives the series a column of empty
    cells gives (same dtype, all empty), but no problem for each of its cells."""
    from fundanalysis.ingest import tables as T
    from fundanalysis.ingest.specs import SHEETS
    from fundanalysis.storage.rawsheet import RawSheet

    kinds = set()
    for spec in SHEETS:
        raw = RawSheet("book.xlsx", spec.name, [])
        for col in spec.columns:
            kinds.add(col.kind)
            rows = pd.Series(range(2, n + 2), dtype="int64")
            empty = T.SheetCells(pd.DataFrame({T.ROW: rows, col.field: pd.Series([None] * n, dtype=object)}))
            missing = T.SheetCells(pd.DataFrame({T.ROW: rows}))
            said: list[Any] = []
            want = T._parse_column(spec, raw, empty, col.field, said)
            problems: list[Any] = []
            got = T._parse_column(spec, raw, missing, col.field, problems)
            pd.testing.assert_series_equal(got, want, check_names=False)
            assert got.isna().all() and len(got) == n
            assert problems == []
            assert len(said) == (n if col.required else 0)  # the empty column's cells, one by one
    assert kinds == set(T._EMPTY_DTYPE)


@pytest.mark.parametrize("how", ["blank", "missing"])
def test_a_long_sheet_without_amounts_is_bad_input_not_a_crash(tmp_path: Path, how: str) -> None:
    """1,200 recipients in the workbook with the 奖励金额 column left blank, or without that
    column: located problems, not a crash (a column of no value at all, parsed one distinct value
    at a time, used to fail taking from no value)."""
    folder = _year(tmp_path, how)
    book = folder / f"fund-{YEAR}.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb.create_sheet("获奖企业")
    ws.append(HEADERS if how == "blank" else [h for h in HEADERS if h != "奖励金额"])
    for row in _rows(1200, messy=False):
        ws.append([row[0], row[1], None, *row[3:]] if how == "blank" else [row[0], row[1], *row[3:]])
    wb.save(book)
    with pytest.raises(InputError) as err:
        process_year(tmp_path / how, YEAR, FUND)
    problems = err.value.problems
    amounts = [p for p in problems if p.column == "奖励金额"]
    if how == "blank":  # each row, as empty
        assert len(amounts) == 1200
        assert {p.row for p in amounts} == set(range(2, 1202))
        assert {(p.sheet, p.reason) for p in amounts} == {("获奖企业", "amount is empty")}
    else:  # the column, once
        assert [str(p) for p in problems] == [f"fund-{YEAR}.xlsx, sheet '获奖企业', row 1: missing column '奖励金额'"]
