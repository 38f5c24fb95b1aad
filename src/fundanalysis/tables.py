"""Raw sheets → tidy processed tables, validating every cell and collecting every problem.

Pure functions: the sheets come in already read by :mod:`fundanalysis.io`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fundanalysis import clean
from fundanalysis.config import (
    LEVELS,
    PROCUREMENT_METHODS,
    SHEETS,
    SHEETS_BY_NAME,
    STATED_CHECKS,
    SheetSpec,
)
from fundanalysis.errors import InputError, Problem
from fundanalysis.io import RawSheet

ROW = "_row"


@dataclass
class Parsed:
    """The processed tables of one year plus notes about what was ignored."""

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell_ref_to_rc(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch.upper()) - 64)
    return int(digits or 0), col - 1


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def read_sheet(spec: SheetSpec, raw: RawSheet, problems: list[Problem], notes: list[str]
               ) -> pd.DataFrame | None:
    """Match headers and cut the data rows of one sheet into a frame of raw cell values.

    The frame has one column per spec field present plus ``_row`` (the Excel row).
    """
    def bad(row: int | None, col: str | None, value: Any, reason: str) -> None:
        problems.append(Problem(raw.file, raw.name, row, col, value, reason))

    rows = raw.rows
    if not rows or all(_blank(v) for v in rows[0]):
        bad(1, None, None, "the header row (row 1) is empty; expected headers: "
            + "、".join(c.header for c in spec.columns))
        return None
    for r0, c0, r1, c1 in raw.merged:
        if r0 == 0:
            bad(1, _col_letter(c0), rows[0][c0] if c0 < len(rows[0]) else None,
                f"header cells {_col_letter(c0)}1:{_col_letter(c1)}{r1 + 1} are merged; "
                "unmerge them so each column has its own header")
    header = rows[0]
    wanted = {clean.normalise_header(c.header): c for c in spec.columns}
    found: dict[str, int] = {}
    for i, h in enumerate(header):
        if _blank(h):
            continue
        key = clean.normalise_header(h)
        col = wanted.get(key)
        if col is None:
            close = difflib.get_close_matches(key, list(wanted), n=1, cutoff=0.5)
            hint = f"; did you mean {wanted[close[0]].header!r}?" if close else ""
            bad(1, _col_letter(i), h, f"unknown column header (expected one of "
                f"{'、'.join(c.header for c in spec.columns)}){hint}")
            continue
        if col.field in found:
            bad(1, _col_letter(i), h, f"column {col.header!r} appears twice")
            continue
        found[col.field] = i
    for c in spec.columns:
        if c.required and c.field not in found:
            bad(1, None, None, f"missing column {c.header!r}")
    width = max((len(r) for r in rows), default=0)
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(body, columns=range(width), dtype=object) if body else pd.DataFrame(
        columns=range(width), dtype=object)
    frame[ROW] = range(2, len(body) + 2)
    if not frame.empty:
        is_blank = frame[list(range(width))].map(_blank).all(axis=1) if width else pd.Series(
            True, index=frame.index)
        last = is_blank[~is_blank].index.max() if (~is_blank).any() else -1
        inner = frame.loc[is_blank & (frame.index < last), ROW].tolist()
        if inner:
            notes.append(f"{raw.file}, sheet {raw.name!r}: blank rows {inner} ignored")
        frame = frame[~is_blank]
        # values in columns without a header are lost data
        stray = [i for i in range(width) if i not in found.values() and (
            i >= len(header) or _blank(header[i]))]
        for i in stray:
            has = frame[i].map(lambda v: not _blank(v))
            for r in frame.loc[has, ROW].head(5):
                bad(int(r), _col_letter(i), frame.loc[frame[ROW] == r, i].iloc[0],
                    "value in a column without a header")
    for ref in raw.formula_cells:
        r, c = _cell_ref_to_rc(ref)
        col = next((spec_c.header for spec_c in spec.columns
                    if found.get(spec_c.field) == c), _col_letter(c))
        bad(r, col, ref, "formula cell has no cached value; open the workbook in Excel, "
            "save it, or type the value")
    out = pd.DataFrame({c.field: frame[found[c.field]] for c in spec.columns
                        if c.field in found}, index=frame.index)
    out[ROW] = frame[ROW].astype(int)
    return out.reset_index(drop=True)


def _parse_column(spec: SheetSpec, raw: RawSheet, frame: pd.DataFrame, fieldname: str,
                  problems: list[Problem]) -> pd.Series:
    col = spec.column(fieldname)
    # a missing required column is reported once by read_sheet, not again on every row
    absent = fieldname not in frame
    values = frame[fieldname] if not absent else pd.Series(
        [None] * len(frame), index=frame.index, dtype=object)
    rows = frame[ROW]

    def bad(i: Any, reason: str) -> None:
        if absent:
            return
        problems.append(Problem(raw.file, raw.name, int(rows.loc[i]), col.header,
                                values.loc[i], reason))

    if col.kind == "money":
        yuan, err = clean.parse_money_series(values)
        for i in err[err.notna()].index:
            bad(i, str(err.loc[i]))
        blank = yuan.isna() & err.isna()
        if col.required:
            for i in blank[blank].index:
                bad(i, "amount is empty")
        return yuan
    if col.kind == "text":
        text = values.astype(object).where(values.notna(), None)
        text = pd.Series(text, dtype="string").str.replace(r"\s+", " ", regex=True).str.strip()
        if fieldname in {"category", "part", "outlet"}:
            text = text.map(clean.strip_numbering, na_action="ignore").astype("string")
        text = text.mask(text == "")
        if col.required:
            for i in text[text.isna()].index:
                bad(i, "value is empty")
        return text
    parser = {"count": clean.parse_count, "year": clean.parse_year, "rank": clean.parse_rank,
              "fraction": clean.parse_fraction}[col.kind]
    out: list[Any] = []
    for i, v in values.items():
        if _blank(v):
            if col.required:
                bad(i, "value is empty")
            out.append(None)
            continue
        try:
            out.append(parser(v))
        except clean.CleanError as exc:
            bad(i, str(exc))
            out.append(None)
    if col.kind == "fraction":
        return pd.Series([None if x is None else str(x) for x in out], index=values.index,
                         dtype="string")
    return pd.Series(out, index=values.index, dtype="Int64")


def parse_sheet(spec: SheetSpec, raw: RawSheet, problems: list[Problem], notes: list[str]
                ) -> pd.DataFrame | None:
    """Parse one sheet into a typed frame; problems are appended, never raised."""
    frame = read_sheet(spec, raw, problems, notes)
    if frame is None:
        return None
    out = pd.DataFrame({c.field: _parse_column(spec, raw, frame, c.field, problems)
                        for c in spec.columns})
    out["input_ref"] = raw.file + ":" + raw.name + ":" + frame[ROW].astype(str)
    out[ROW] = frame[ROW]
    if spec.key:
        keys = out[list(spec.key)].astype("string").fillna("")
        dup = keys.duplicated(keep="first")
        first_rows: dict[tuple, int] = {}
        for k, r in zip(map(tuple, keys.to_numpy()), out[ROW], strict=True):
            first_rows.setdefault(k, int(r))
        for i in dup[dup].index:
            k = tuple(keys.loc[i])
            problems.append(Problem(
                raw.file, raw.name, int(out.loc[i, ROW]), spec.columns[0].header,
                " / ".join(k), f"duplicated row: same {'、'.join(spec.column(f).header for f in spec.key)} "
                f"as row {first_rows[k]}"))
    return out


def build_tables(sheets: Mapping[str, RawSheet], year: int) -> Parsed:
    """Turn a year's raw sheets into validated processed tables.

    Raises :class:`InputError` listing every problem found (lazy validation).
    """
    problems: list[Problem] = []
    notes: list[str] = []
    files = sorted({s.file for s in sheets.values()}) or ["input"]
    main_file = next((f for f in files if f.endswith((".xlsx", ".xlsm"))), files[0])
    for name, raw in sheets.items():
        if name not in SHEETS_BY_NAME:
            notes.append(f"{raw.file}: sheet {name!r} is not used (known sheets: "
                         f"{'、'.join(s.name for s in SHEETS)})")
    parsed: dict[str, pd.DataFrame] = {}
    for spec in SHEETS:
        raw = sheets.get(spec.name)
        if raw is None:
            if spec.required:
                problems.append(Problem(main_file, spec.name, None, None, None,
                                        f"missing sheet {spec.name!r}"))
            continue
        frame = parse_sheet(spec, raw, problems, notes)
        if frame is not None:
            parsed[spec.table] = frame
    if "award_categories" not in parsed and "awards" not in parsed and not any(
            p.sheet in ("奖励类别", "获奖企业") for p in problems):
        problems.append(Problem(main_file, "奖励类别", None, None, None,
                                "missing sheet '奖励类别' (or '获奖企业' with one row per recipient)"))
    _cross_checks(parsed, sheets, year, problems)
    if problems:
        order = {s.name: i for i, s in enumerate(SHEETS)}
        problems.sort(key=lambda p: (p.file, order.get(p.sheet or "", -1), p.row or 0))
        raise InputError(problems)
    tables = _finish(parsed)
    from fundanalysis.schemas import validate_tables

    validate_tables(tables)
    return Parsed(tables, notes)


def _loc(parsed: dict[str, pd.DataFrame], sheets: Mapping[str, RawSheet], table: str):
    from fundanalysis.config import SHEETS_BY_TABLE

    spec = SHEETS_BY_TABLE[table]
    raw = sheets[spec.name]
    return spec, raw, parsed[table]


def _cross_checks(parsed: dict[str, pd.DataFrame], sheets: Mapping[str, RawSheet], year: int,
                  problems: list[Problem]) -> None:
    """Checks across rows and sheets: one fund row, the year, known parts, outlets, vocabularies."""
    def add(table: str, i: Any, field_: str, value: Any, reason: str) -> None:
        spec, raw, df = _loc(parsed, sheets, table)
        problems.append(Problem(raw.file, raw.name, int(df.loc[i, ROW]), spec.column(field_).header,
                                value, reason))

    if "fund" in parsed:
        _, raw, fund = _loc(parsed, sheets, "fund")
        if len(fund) != 1:
            problems.append(Problem(raw.file, raw.name, None, None, len(fund),
                                    f"expected exactly one fund row, found {len(fund)}"))
        for i, y in fund["year"].items():
            if pd.notna(y) and int(y) != year:
                add("fund", i, "year", int(y), f"year does not match the folder year {year}")
    parts = set(parsed["parts"]["part"].dropna()) if "parts" in parsed else None

    def check_vocab(table: str, field_: str, allowed: set[str] | tuple[str, ...] | None,
                    what: str) -> None:
        if table not in parsed or allowed is None or field_ not in parsed[table]:
            return
        vals = parsed[table][field_]
        for i, v in vals.items():
            if pd.notna(v) and v not in allowed:
                add(table, i, field_, v, f"unknown {what} (expected one of {'、'.join(allowed)})")

    check_vocab("award_categories", "part", parts, "part (see sheet 资金组成)")
    check_vocab("awards", "part", parts, "part (see sheet 资金组成)")
    check_vocab("media_outlets", "part", parts, "part (see sheet 资金组成)")
    check_vocab("stated_totals", "part", parts, "part (see sheet 资金组成)")
    check_vocab("award_categories", "level", LEVELS, "level")
    check_vocab("awards", "level", LEVELS, "level")
    check_vocab("media_outlets", "procurement", PROCUREMENT_METHODS, "procurement method")
    check_vocab("stated_totals", "check", STATED_CHECKS, "check")
    if "media_outlets" in parsed:
        check_vocab("media_items", "outlet", set(parsed["media_outlets"]["outlet"].dropna()),
                    "outlet (see sheet 媒体单位)")
    if "rankings" in parsed:
        known = set(parsed["rankings"]["indicator"].dropna())
        check_vocab("breakdowns", "indicator", known, "indicator (see sheet 排名与成果)")
    if "awards" in parsed and "award_categories" in parsed:
        check_vocab("awards", "category", set(parsed["award_categories"]["category"].dropna()),
                    "category (see sheet 奖励类别)")
    if "stated_totals" in parsed:
        for i, v in parsed["stated_totals"]["stated_raw"].items():
            if pd.notna(v):
                try:
                    clean.parse_stated(v)
                except clean.CleanError as exc:
                    add("stated_totals", i, "stated_raw", v, str(exc))
    if "award_categories" in parsed:
        df = parsed["award_categories"]
        # a category whose recipients are listed in 获奖企业 may leave its figures blank here
        listed = set(parsed["awards"]["category"].dropna()) if "awards" in parsed else set()
        for f_ in ("recipients", "amount_yuan"):
            for i in df.index[df[f_].isna() & ~df["category"].isin(listed)]:
                _, raw, _ = _loc(parsed, sheets, "award_categories")
                if not any(p.sheet == raw.name and p.row == int(df.loc[i, ROW]) for p in problems):
                    add("award_categories", i, f_, None,
                        "value is empty (give it here, or list recipients in sheet 获奖企业)")


def _finish(parsed: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Drop helper columns, derive award categories from recipients where given."""
    tables = {k: v.drop(columns=[ROW]).reset_index(drop=True) for k, v in parsed.items()}
    if "awards" in tables:
        from fundanalysis.metrics import categories_from_recipients

        derived = categories_from_recipients(tables["awards"])
        if "award_categories" in tables:
            meta = tables["award_categories"]
            stated = meta[["category", "recipients", "amount_yuan"]].rename(
                columns={"recipients": "stated_recipients", "amount_yuan": "stated_amount_yuan"})
            merged = derived.merge(meta.drop(columns=["recipients", "amount_yuan"]),
                                   on="category", how="left", suffixes=("", "_meta"))
            for c in ("level", "part"):
                if f"{c}_meta" in merged:
                    merged[c] = merged[f"{c}_meta"].fillna(merged[c])
                    merged = merged.drop(columns=[f"{c}_meta"])
            merged = merged.merge(stated, on="category", how="left")
            # categories given only in 奖励类别 (no recipient rows) keep their own figures
            # rather than vanishing from the totals
            only_stated = meta[~meta["category"].isin(derived["category"])]
            if len(only_stated):
                merged = pd.concat([merged, only_stated], ignore_index=True)
            tables["award_categories"] = merged
        else:
            tables["award_categories"] = derived
    cats = tables.get("award_categories")
    if cats is not None:
        for c in ("level", "recipient_desc", "part", "source", "input_ref"):
            if c not in cats:
                cats[c] = pd.Series(pd.NA, index=cats.index, dtype="string")
        for c in ("stated_recipients", "stated_amount_yuan"):
            if c not in cats:
                cats[c] = pd.Series(pd.NA, index=cats.index, dtype="Int64")
        cols = ["category", "recipients", "amount_yuan", "level", "recipient_desc", "part",
                "stated_recipients", "stated_amount_yuan", "source", "input_ref"]
        tables["award_categories"] = cats[cols].astype(
            {"recipients": "Int64", "amount_yuan": "Int64", "stated_recipients": "Int64",
             "stated_amount_yuan": "Int64"})
    if "stated_totals" in tables:
        st = tables["stated_totals"]
        parsed_vals = [clean.parse_stated(v) if pd.notna(v) else (None, None)
                       for v in st["stated_raw"]]
        st = st.assign(
            stated=pd.array([v for v, _ in parsed_vals], dtype="Int64"),
            unit=pd.array([u for _, u in parsed_vals], dtype="string"),
        )
        tables["stated_totals"] = st[["check", "part", "stated", "unit", "stated_raw",
                                      "stated_text", "source", "input_ref"]]
    for name, df in tables.items():
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].astype("string")
        tables[name] = df
    return tables
