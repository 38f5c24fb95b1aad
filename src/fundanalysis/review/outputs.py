"""What a review writes: review.json, the review list (Excel), a page per form with findings, and the
HTML overview executed from ``notebooks/review/10-review-overview.ipynb``.

Everything is written into a staging folder and published in one step by the caller
(:func:`fundanalysis.storage.files.staging_dir` / ``publish_dir``).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis.config import PROJECT_ROOT
from fundanalysis.review.findings import KIND_LABELS, KIND_WEIGHTS, FindingKind
from fundanalysis.review.run import kinds_text
from fundanalysis.storage import files

REVIEW_JSON = "review.json"
REVIEW_LIST = "review-list.xlsx"
OVERVIEW_HTML = "index.html"
FORMS_DIR = "forms"
OVERVIEW_NOTEBOOK = PROJECT_ROOT / "notebooks" / "review" / "10-review-overview.ipynb"

#: Columns of the review list: key in the table below → header.
LIST_COLUMNS = {
    "priority": "复核优先级", "file": "文件", "sheet": "工作表/表格", "project": "项目名称", "unit": "实施单位",
    "department": "主管部门", "stated_total": "填报总分", "total": "计算总分", "inflation": "高报分数",
    "stated_grade": "填报等级", "grade": "计算等级", "count": "问题数", "kinds": "问题类别", "page": "详情",
}
PRIORITY_NOTE = (
    "复核优先级：先按高报分数（填报总分减按规则计算的总分，正数为高报）从大到小；相同者按问题权重之和从大到小"
    "（权重：" + "，".join(f"{KIND_LABELS[k]} {w}" for k, w in sorted(KIND_WEIGHTS.items(), key=lambda kv: -kv[1]))
    + "）；再按问题数、文件名。计算总分无法得出（有指标无法读取）的表不计高报分数。"
)


def page_name(record: dict[str, Any]) -> str:
    """The file name of a form's page (by its priority, which is unique in a review)."""
    return f"{record['priority']:05d}.html"


def review_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per form, in priority order, with the review list's columns (numbers as numbers)."""
    def number(v: Any) -> float | None:
        return None if v is None else float(v)

    rows = [{
        "priority": r["priority"], "file": r["file"], "sheet": r["sheet"], "project": r["project"],
        "unit": r["unit"], "department": r["department"], "stated_total": number(r["stated_total"]),
        "total": number(r["total"]), "inflation": number(r.get("inflation")), "stated_grade": r["stated_grade"],
        "grade": r["grade"], "count": len(r["findings"]), "kinds": kinds_text(r["findings"]),
        "page": f"{FORMS_DIR}/{page_name(r)}" if r["findings"] else None,
    } for r in records]
    return pd.DataFrame(rows, columns=list(LIST_COLUMNS)).sort_values("priority").reset_index(drop=True)


def write_review_list(table: pd.DataFrame, problems: list[dict[str, Any]], path: Path) -> None:
    """The review list: one sortable row per form (autofilter, frozen header), the unreadable files,
    and how the priority is decided."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook()
    ws = wb.active
    ws.title = "复核清单"
    ws.append(list(LIST_COLUMNS.values()))
    for row in table.itertuples(index=False):
        ws.append([None if (v is None or (isinstance(v, float) and pd.isna(v))) else v for v in row])
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = {"priority": 10, "file": 52, "sheet": 12, "project": 30, "unit": 24, "department": 22,
              "stated_total": 10, "total": 10, "inflation": 10, "stated_grade": 9, "grade": 9, "count": 8,
              "kinds": 48, "page": 16}
    for i, key in enumerate(LIST_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths[key]
        if key in ("stated_total", "total", "inflation"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "0.00"
    page_col = list(LIST_COLUMNS).index("page") + 1
    for (cell,) in ws.iter_rows(min_row=2, min_col=page_col, max_col=page_col):
        if cell.value:
            cell.hyperlink = str(cell.value)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(LIST_COLUMNS))}{max(ws.max_row, 1)}"
    ws.freeze_panes = "B2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    bad = wb.create_sheet("无法读取")
    bad.append(["文件", "工作表/表格", "行", "列", "内容", "原因"])
    for p in problems:
        bad.append([p["file"], p["sheet"], p["row"], p["column"], p["value"], p["reason"]])
    bad.auto_filter.ref = f"A1:F{max(bad.max_row, 1)}"
    for col, width in zip("ABCDEF", (36, 12, 6, 12, 20, 80), strict=True):
        bad.column_dimensions[col].width = width
    note = wb.create_sheet("说明")
    note.column_dimensions["A"].width = 120
    for line in (PRIORITY_NOTE, "问题类别：" + "；".join(f"{v}（{k}）" for k, v in KIND_LABELS.items()),
                 "SYNTHETIC 合成表格（如有）的名称与数字均为虚构。"):
        note.append([line])
        note.cell(row=note.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(path)


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:"Noto Sans SC","Microsoft YaHei",sans-serif;margin:2em;max-width:70em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.3em .6em;vertical-align:top}}
th{{background:#f2f2f2}}</style></head><body>
<p><a href="../{overview}">← 总览</a></p>
<h1>{title}</h1>
<table>{facts}</table>
<h2>发现的问题（{count}）</h2>
<table><tr><th>类别</th><th>单元格</th><th>填报</th><th>计算</th><th>说明</th></tr>{findings}</table>
</body></html>
"""


def _cell_text(cell: dict[str, Any]) -> str:
    return f"{cell['sheet']}!{cell['column']}{cell['row']}"


def form_page(record: dict[str, Any]) -> str:
    """A form's page: what it states against what was computed, and each finding with its cells."""
    e = html.escape
    facts = [("文件", record["file"]), ("工作表/表格", record["sheet"]), ("项目名称", record["project"]),
             ("主管部门", record["department"]), ("实施单位", record["unit"]), ("复核优先级", record["priority"]),
             ("填报总分 / 计算总分", f"{record['stated_total'] or '未注明'} / {record['total'] or '—'}"
              + ("（有指标无法读取，计算总分不全）" if record.get("total_partial") else "")),
             ("填报等级 / 计算等级", f"{record['stated_grade'] or '未注明'} / {record['grade'] or '—'}")]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v) if v is not None else '未注明')}</td></tr>" for k, v in facts)
    findings = "".join(
        f"<tr><td>{e(KIND_LABELS[FindingKind(f['kind'])])}</td>"
        f"<td>{e('、'.join(_cell_text(c) for c in f['cells']) or '—')}</td>"
        f"<td>{e(str(f['stated']) if f['stated'] is not None else '—')}</td>"
        f"<td>{e(str(f['computed']) if f['computed'] is not None else '—')}</td><td>{e(f['message'])}</td></tr>"
        for f in record["findings"])
    title = f"自评表复核：{record['project'] or record['file']}"
    return _PAGE.format(title=e(title), facts=rows, count=len(record["findings"]), findings=findings,
                        overview=OVERVIEW_HTML)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """review.json, UTF-8, keys as documented."""
    files.write_text(path, json.dumps(document, ensure_ascii=False, indent=1))


def run_overview(folder: Path, name: str, year: int) -> None:
    """Execute the overview notebook on ``folder``'s review.json and write ``index.html`` (code hidden)."""
    import papermill as pm
    from nbconvert import HTMLExporter

    executed = pm.execute_notebook(str(OVERVIEW_NOTEBOOK), None,
                                   parameters={"review_dir": str(folder), "name": name, "year": year},
                                   kernel_name="python3", progress_bar=False, log_output=False, cwd=str(folder))
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(executed)
    files.write_text(folder / OVERVIEW_HTML, body)
