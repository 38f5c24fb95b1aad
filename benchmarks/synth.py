"""SYNTHETIC benchmark inputs (合成基准测试数据): every figure written here is invented.

* :func:`synthetic_year` copies the real 2019 workbook and turns it into another year: the
  年度 cell becomes the new year, every money amount is perturbed a little (seeded by the
  year), the stated 使用资金 totals are recomputed so the reconciliation stays as it was,
  and every 来源 cell is prefixed with a synthetic label.
* :func:`synthetic_fund` does the same for another (SYNTHETIC) fund: the fund's name says it is
  synthetic fund k, and the amounts are perturbed by a seed of the fund and the year.
* :func:`award_workbook`, :func:`award_csv` and :func:`award_parquet` write a large
  one-row-per-recipient 获奖企业 sheet plus the two required sheets.

Nothing here is timed; the files go into temporary folders given by the caller.
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

SYNTHETIC = "合成基准测试数据（synthetic，非真实报告）"
#: The fund folder synthetic inputs are written under: raw/<FUND>/<year>/.
FUND = "synthetic-bench"
PART = "合成项目"
CATEGORIES = ("两化融合管理体系贯标", "工业互联网平台", "工业互联网标杆工厂", "工业互联网星级上云",
              "工业互联网服务资源池")
LEVELS = ("国家级", "省级", "市级", "区级")
AWARD_HEADERS = ["企业名称", "类别", "奖励金额", "级别", "所属部分", "来源"]
_FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
_NUMBERING = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|\d+、)\s*")


# ------------------------------------------------------------------ money text


def _yuan(text: Any) -> int:
    """Parse the simple amounts of the 2019 workbook ("71.9 万元", "１５万元") to 元."""
    s = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", str(text)))
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(万元|元)?", s)
    if not m:
        raise ValueError(f"unexpected amount {text!r} in the 2019 workbook")
    exp = 0 if m.group(2) == "元" else 4
    return int(Decimal(m.group(1)).scaleb(exp))


def _wan(yuan: int) -> str:
    """Integer 元 as exact 万元 text, e.g. 719000 → "71.9万元"."""
    q = Decimal(yuan).scaleb(-4)
    text = format(q, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}万元"


def _part_name(v: Any) -> str | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    return _NUMBERING.sub("", str(v)).strip()


# ------------------------------------------------------------------ B2: synthetic years


def synthetic_year(src: Path, dest: Path, year: int, fund_no: int | None = None) -> Path:
    """Write ``dest`` (an .xlsx): the workbook ``src`` made into SYNTHETIC year ``year`` (of synthetic
    fund ``fund_no``, if given: its own name and amounts)."""
    from openpyxl import load_workbook

    rng = random.Random(year if fund_no is None else year * 1000 + fund_no)
    wb = load_workbook(src)

    def columns(ws: Any) -> dict[str, int]:
        return {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}

    # every 来源 cell says the row is synthetic
    for ws in wb.worksheets:
        col = columns(ws).get("来源")
        if col is None:
            continue
        for r in range(2, ws.max_row + 1):
            cell = ws.cell(r, col)
            if cell.value not in (None, ""):
                cell.value = f"{SYNTHETIC}，{year}／{cell.value}"
    fund = wb["专项资金"]
    fund.cell(2, columns(fund)["年度"]).value = year
    if fund_no is not None:
        fund.cell(2, columns(fund)["资金名称"]).value = f"合成专项资金{fund_no}（synthetic）"

    # perturb each amount by up to ±10 %, in whole 0.1 万元 (1,000 元) steps
    spent_by_part: dict[str | None, int] = {}
    for name, money_header in (("奖励类别", "奖励金额"), ("媒体单位", "金额")):
        ws = wb[name]
        cols = columns(ws)
        for r in range(2, ws.max_row + 1):
            cell = ws.cell(r, cols[money_header])
            if cell.value in (None, ""):
                continue
            base = _yuan(cell.value)
            steps = max(1, base // 1000)
            new = max(1000, (steps + rng.randint(-steps // 10, steps // 10)) * 1000)
            cell.value = _wan(new)
            part = _part_name(ws.cell(r, cols["所属部分"]).value)
            spent_by_part[part] = spent_by_part.get(part, 0) + new
    total = sum(spent_by_part.values())

    # keep the stated 使用资金 totals equal to the sum of their parts
    st = wb["报告总计"]
    cols = columns(st)
    for r in range(2, st.max_row + 1):
        if st.cell(r, cols["核对项"]).value != "使用资金":
            continue
        part = _part_name(st.cell(r, cols["所属部分"]).value)
        st.cell(r, cols["表述值"]).value = _wan(total if part is None else spent_by_part.get(part, 0))
    budget_cell = fund.cell(2, columns(fund)["预算金额"])
    budget = max(_yuan(budget_cell.value), total + 10_000 * rng.randint(10, 200))
    budget_cell.value = _wan(budget)
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return dest


def edit_cell(xlsx: Path, sheet: str, header: str, row: int, value: Any) -> None:
    """Set one cell (``row`` as in Excel, under ``header``) of a workbook and save it: what an analyst
    does when fixing one figure (B5)."""
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    ws = wb[sheet]
    col = next(c.column for c in ws[1] if str(c.value).strip() == header)
    ws.cell(row, col).value = value
    wb.save(xlsx)


def fund_name(k: int) -> str:
    """The folder of SYNTHETIC fund ``k`` (B2's batch)."""
    return f"{FUND}-{k}"


# ------------------------------------------------------------------ B3: large award sheets


def _amount_text(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return f"{rng.randint(10, 5000) / 10:g}万元"                 # "12.5万元"
    if r < 0.8:
        return f"{rng.randint(10, 5000) / 10:g}万元".translate(_FULL_WIDTH)  # "１２．５万元"
    return f"{rng.randint(1, 500) * 1000}元"                           # "3000元"


def award_rows(n: int, seed: int = 20240) -> Iterator[list[str]]:
    """``n`` SYNTHETIC recipient rows (unique names) in the 获奖企业 column order."""
    rng = random.Random(seed)
    for i in range(n):
        yield [f"合成企业{i:07d}有限公司", rng.choice(CATEGORIES), _amount_text(rng),
               rng.choice(LEVELS), PART, f"{SYNTHETIC}／获奖企业"]


def _base_sheets(year: int) -> dict[str, list[list[Any]]]:
    return {
        "专项资金": [["资金名称", "主管部门", "城市", "省份", "年度", "预算金额", "预算口径", "来源"],
                 ["合成专项资金", "合成市工信局", "合成市", "合成省", year, "10000000万元",
                  "年初预算", SYNTHETIC]],
        "资金组成": [["部分", "负责处室", "预算金额", "来源"],
                 [f"（一）{PART}", "合成处", "", SYNTHETIC]],
    }


def award_workbook(dest: Path, year: int, n_rows: int) -> Path:
    """An input workbook with the required sheets and, if ``n_rows``, a 获奖企业 sheet.

    Written with openpyxl's write-only mode (streams rows, little memory).
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, rows in _base_sheets(year).items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    if n_rows:
        ws = wb.create_sheet("获奖企业")
        ws.append(AWARD_HEADERS)
        for row in award_rows(n_rows):
            ws.append(row)
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return dest


def award_csv_parquet(csv_dest: Path, parquet_dest: Path, n_rows: int) -> tuple[Path, Path]:
    """``获奖企业.csv`` (UTF-8 with BOM, header row first) and ``获奖企业.parquet`` (one string
    column per header), both holding the same ``n_rows`` recipients."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(award_rows(n_rows))
    for dest in (csv_dest, parquet_dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_dest, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(AWARD_HEADERS)
        w.writerows(rows)
    cols = list(zip(*rows, strict=True))
    table = pa.table({h: pa.array(c, pa.string()) for h, c in zip(AWARD_HEADERS, cols, strict=True)})
    pq.write_table(table, parquet_dest)
    return csv_dest, parquet_dest


# ------------------------------------------------------------------ command line

USAGE = """usage (run by benchmarks/run.py, so the big lists never sit in the measuring process):
  python benchmarks/synth.py years SRC_XLSX DATA_DIR YEAR...
  python benchmarks/synth.py funds SRC_XLSX DATA_DIR N_FUNDS YEAR...
  python benchmarks/synth.py awards-xlsx DATA_DIR YEAR ROWS
  python benchmarks/synth.py awards-big CSV_DATA_DIR PARQUET_DATA_DIR YEAR ROWS"""


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(USAGE)
    cmd, *a = argv
    if cmd == "years":
        src, data = Path(a[0]), Path(a[1])
        for y in map(int, a[2:]):
            synthetic_year(src, data / "raw" / FUND / str(y) / f"fund-{y}.xlsx", y)
    elif cmd == "funds":
        src, data, n = Path(a[0]), Path(a[1]), int(a[2])
        for k in range(1, n + 1):
            for y in map(int, a[3:]):
                synthetic_year(src, data / "raw" / fund_name(k) / str(y) / f"fund-{y}.xlsx", y, k)
    elif cmd == "awards-xlsx":
        data, year, n = Path(a[0]), int(a[1]), int(a[2])
        award_workbook(data / "raw" / FUND / str(year) / f"fund-{year}.xlsx", year, n)
    elif cmd == "awards-big":
        csv_data, pq_data, year, n = Path(a[0]), Path(a[1]), int(a[2]), int(a[3])
        for data in (csv_data, pq_data):
            award_workbook(data / "raw" / FUND / str(year) / f"fund-{year}.xlsx", year, 0)
        award_csv_parquet(csv_data / "raw" / FUND / str(year) / "获奖企业.csv",
                          pq_data / "raw" / FUND / str(year) / "获奖企业.parquet", n)
    else:
        raise SystemExit(USAGE)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
