"""SYNTHETIC 项目支出绩效自评表 for tests and the B6 benchmark: every name and figure is invented (合成).

:func:`generate` writes ``n`` forms under a folder, in the standard layout and its variants (extra
title rows with a 单位：元 note and money in 元 as text; renamed and added columns; .docx tables;
several forms as sheets of one workbook), and plants at most one inconsistency per form, recording
as truth every finding the plant must raise (a score raised also raises the stated total, as
forms add their own stated scores). A clean form raises none.

Figures are built to agree exactly: money in steps of 0.01万元, scores rounded half up to the
cent, the policy docs/domain.md gives as default (partial 达成 earns 0.6).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from fundanalysis.storage import files

#: The kinds a plant raises (keys) and the planting order.
PLANTS: dict[str, frozenset[str]] = {
    "stated_total": frozenset({"stated_total"}),
    "stated_score": frozenset({"stated_score", "stated_total"}),
    "missed_full_points": frozenset({"missed_full_points", "stated_total"}),
    "met_but_deducted": frozenset({"met_but_deducted", "stated_total"}),
    "stated_rate": frozenset({"stated_rate"}),
    "over_execution": frozenset({"over_execution"}),
    "money_total": frozenset({"money_total"}),
    "weights": frozenset({"weights"}),
    "missing_block": frozenset({"missing_block"}),
    "qualitative_no_evidence": frozenset({"qualitative_no_evidence"}),
    "unreadable": frozenset({"unreadable"}),
    "boilerplate": frozenset({"boilerplate"}),
}
VARIANTS = ("standard", "title_rows", "renamed", "docx", "multi")
DEPARTMENTS = tuple(f"示例市{d}（合成）" for d in ("工业和信息化局", "教育局", "农业农村局", "卫生健康委", "交通运输局",
                                                  "生态环境局", "民政局", "科学技术局", "商务局", "文化广电旅游局"))
_BOILERPLATE = "围绕年度重点任务，加强项目管理，提升资金使用效益，确保各项目标任务按期完成（合成模板文字）"


def _cents(x: Fraction) -> Fraction:
    """Round half up to 0.01."""
    n = (x * 100 * 2 + 1) // 2
    return Fraction(n, 100)


def _num(x: Fraction) -> float:
    """A figure as the float a cell holds (the decimal is exact to the cent, so the float reads back)."""
    return float(x)


def _text(x: Fraction) -> str:
    s = f"{float(x):.2f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


@dataclass
class FormSpec:
    """One synthetic form, as figures; the writers lay it out."""

    index: int
    year: int
    project: str
    department: str
    unit: str
    money: list[dict[str, Any]]  # label, approved, budget, executed (0.01万元 units or None), weight, rate, score
    goals: tuple[str, str]
    indicators: list[dict[str, Any]]  # level1, level2, name, nature, target, actual, weight, score, deviation, evidence
    plant: str | None = None
    truth: frozenset[str] = field(default_factory=frozenset)

    @property
    def stated_total(self) -> Fraction:
        """The 总分 the form states: its stated scores added up (as forms do)."""
        budget = self.money[0]["score"] or Fraction(0)
        return budget + sum((i["score"] for i in self.indicators), Fraction(0))


def _grade(total: Fraction) -> str:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def clean_form(index: int, year: int, rng: random.Random) -> FormSpec:
    """A form with no inconsistency (under the default policy)."""
    budget = rng.randint(10_000, 90_000)  # 0.01万元 units: 100.00 – 900.00 万元
    carry = rng.randint(0, budget // 10)
    appropriation = budget - carry
    executed = budget - rng.randint(0, budget // 5)
    exec_carry = min(carry, executed) - (rng.randint(0, carry // 3) if carry else 0)
    exec_appr = executed - exec_carry
    rate = Fraction(executed, budget)
    money: list[dict[str, Any]] = [
        {"label": "年度资金总额", "approved": budget, "budget": budget, "executed": executed, "weight": Fraction(10),
         "rate": rate, "score": _cents(10 * rate)},
        {"label": "其中：当年财政拨款", "approved": budget, "budget": appropriation, "executed": exec_appr,
         "weight": None, "rate": Fraction(exec_appr, appropriation), "score": None},
        {"label": "上年结转资金", "approved": None, "budget": carry or None, "executed": exec_carry if carry else None,
         "weight": None, "rate": Fraction(exec_carry, carry) if carry else None, "score": None},
        {"label": "其他资金", "approved": None, "budget": None, "executed": None, "weight": None, "rate": None,
         "score": None},
    ]
    n, m = rng.randint(50, 200), rng.randint(5, 20)
    demo_done = m - rng.randint(0, 1)
    ind: list[tuple[Any, ...]] = [
        ("产出指标", "数量指标", "支持企业数", "≥", f"≥{n}家", f"{n + rng.randint(0, 10)}家", 15, Fraction(15), None),
        ("产出指标", "数量指标", "示范项目数", "=", f"={m}个", f"{demo_done}个", 10,
         _cents(Fraction(10 * demo_done, m)), f"第{index}号：1个项目延期（合成）" if demo_done < m else None),
        ("产出指标", "质量指标", "验收合格率", "≥", "≥95%", f"{rng.randint(95, 99)}%", 10, Fraction(10), None),
        ("产出指标", "时效指标", "资金拨付时间", "≤", "9月前", f"{rng.randint(6, 9)}月", 5, Fraction(5), None),
        ("产出指标", "成本指标", "单个项目补助", "≤", "≤50万元", f"{rng.randint(40, 50)}万元", 10, Fraction(10), None),
        ("效益指标", "经济效益指标", "带动企业投资", "≥", "≥2亿元", f"2.{rng.randint(0, 9)}亿元",
         15, Fraction(15), None),
        ("效益指标", "社会效益指标", "数字化水平", "定性", "明显提升", "达成预期指标", 10, Fraction(10), None),
        ("效益指标", "可持续影响指标", "长效机制", "定性", "建立", "部分达成", 5, Fraction(3),
         f"第{index}号：制度待完善"),
        ("满意度指标", "服务对象满意度指标", "企业满意度", "≥", "≥90%", f"{rng.randint(90, 99)}%",
         10, Fraction(10), None),
    ]
    indicators: list[dict[str, Any]] = [{"level1": a, "level2": b, "name": c, "nature": d, "target": e, "actual": f,
                                        "weight": Fraction(g),
                   "score": h, "deviation": i, "evidence": f"佐证：第{index}号验收报告" if c == "数字化水平" else None}
                  for a, b, c, d, e, f, g, h, i in ind]
    goals = (f"第{index}号合成项目：支持{n}家企业完成数字化改造，建设{m}个示范项目（合成）。",
             f"第{index}号合成项目：已支持企业并建成示范项目{demo_done}个（合成）。")
    return FormSpec(index, year, f"合成示例项目{index:05d}（synthetic）", DEPARTMENTS[index % len(DEPARTMENTS)],
                    f"示例单位{index:05d}（合成）", money, goals, indicators)


def plant(spec: FormSpec, kind: str, rng: random.Random) -> FormSpec:
    """Plant one inconsistency of ``kind`` and record the findings it must raise."""
    ind = {i["name"]: i for i in spec.indicators}
    total = spec.money[0]
    if kind == "stated_total":
        spec.goals = spec.goals  # the total row is written from extra_total below
    elif kind == "stated_score":
        ind["长效机制"]["score"] = Fraction(5)  # partial 达成 earns 3; the deviation is explained
    elif kind == "missed_full_points":
        i = ind["支持企业数"]
        target = int(i["target"].removeprefix("≥").removesuffix("家"))
        short = math.ceil(target * Fraction(5, 100))  # ≥ 5 % short: ≥ 0.75 of 15 points, so the stated
        i["actual"] = f"{target - rng.randint(short, short + 10)}家"  # total differs even in whole points
    elif kind == "met_but_deducted":
        ind["验收合格率"]["score"] = Fraction(8)
    elif kind == "stated_rate":
        total["rate"] = total["rate"] + Fraction(5, 100)
    elif kind == "over_execution":
        delta = total["budget"] + rng.randint(1, max(1, total["budget"] // 20)) - total["executed"]
        total["executed"] += delta  # above the budget by up to 5 %
        spec.money[1]["executed"] += delta
        spec.money[1]["rate"] = Fraction(spec.money[1]["executed"], spec.money[1]["budget"])
        total["rate"] = Fraction(total["executed"], total["budget"])
        total["score"] = Fraction(10)  # capped at 分值 under the default policy
    elif kind == "money_total":
        total["approved"] += 1_000  # 10.00万元 more than the sources
    elif kind == "weights":
        i = ind["企业满意度"]
        i["weight"] = i["score"] = Fraction(15)
    elif kind == "missing_block":
        spec.indicators = [i for i in spec.indicators if i["level1"] != "满意度指标"]
    elif kind == "qualitative_no_evidence":
        ind["数字化水平"]["evidence"] = None
    elif kind == "unreadable":
        ind["单个项目补助"]["actual"] = None
    elif kind == "boilerplate":
        spec.goals = (_BOILERPLATE, spec.goals[1])
    else:
        raise ValueError(f"unknown plant {kind!r}")
    spec.plant, spec.truth = kind, PLANTS[kind]
    return spec


# ------------------------------------------------------------------ layout


def _money_cell(units: int | None, in_yuan: bool) -> Any:
    if units is None:
        return "—"
    if in_yuan:
        return f"{units * 100:,}.00"
    return _num(Fraction(units, 100))


def _rate_cell(rate: Fraction | None, as_text: bool) -> Any:
    if rate is None:
        return "—"
    return f"{float(rate) * 100:.2f}%" if as_text else float(rate)


def _score_cell(x: Fraction | None) -> Any:
    return "—" if x is None else _num(x)


def layout(spec: FormSpec, variant: str) -> tuple[list[list[Any]], list[tuple[int, int, int, int]]]:
    """The form as rows of cells and merged ranges (1-based row0, col0, row1, col1)."""
    renamed = variant == "renamed"
    in_yuan = variant == "title_rows"
    headers = (["一级指标", "二级指标", "三级指标", "指标性质", "年度目标值", "全年实际值", "权重", "自评得分",
                "偏差原因及改进措施", "佐证材料"] if renamed else
               ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                "偏差原因分析及改进措施"])
    width = 1 + len(headers)
    rows: list[list[Any]] = []
    merges: list[tuple[int, int, int, int]] = []

    def add(cells: list[Any]) -> int:
        rows.append(cells + [None] * (width - len(cells)))
        return len(rows)

    if variant == "title_rows":
        add(["附件2"])
        add(["示例市财政局（合成）"])
    r = add(["项目支出绩效自评表"])
    merges.append((r, 1, r, width))
    r = add([f"（{spec.year}年度）"] + ([None] * (width - 3) + ["单位：元"] if in_yuan else []))
    r = add(["项目名称", None, spec.project])
    merges += [(r, 1, r, 2), (r, 3, r, width)]
    r = add(["主管部门", None, spec.department, None, None, "实施单位", spec.unit])
    merges += [(r, 1, r, 2), (r, 3, r, 5), (r, 7, r, width)]
    first = add(["项目资金" if in_yuan else "项目资金\n（万元）", None, None, "年初预算数", "全年预算数", "全年执行数",
                 "分值", "执行率", "得分"])
    for line in spec.money:
        r = add([None, None, line["label"], _money_cell(line["approved"], in_yuan),
                 _money_cell(line["budget"], in_yuan), _money_cell(line["executed"], in_yuan),
                 _score_cell(line["weight"]), _rate_cell(line["rate"], variant != "standard"),
                 _score_cell(line["score"])])
    merges.append((first, 1, r, 2))
    first = add(["年度总体目标", None, "预期目标", None, None, None, "实际完成情况"])
    r = add([None, None, spec.goals[0], None, None, None, spec.goals[1]])
    merges += [(first, 1, r, 2), (first, 3, first, 6), (first, 7, first, width), (r, 3, r, 6), (r, 7, r, width)]
    first = add(["绩效指标", *headers])
    for i in spec.indicators:
        if renamed:
            add([None, i["level1"], i["level2"], i["name"], i["nature"], i["target"], i["actual"],
                 _score_cell(i["weight"]), _score_cell(i["score"]), i["deviation"], i["evidence"]])
        else:
            deviation = "；".join(x for x in (i["deviation"], i["evidence"]) if x) or None
            add([None, i["level1"], i["level2"], i["name"], i["target"], i["actual"], _score_cell(i["weight"]),
                 _score_cell(i["score"]), deviation])
    merges.append((first, 1, len(rows), 1))
    start = first + 1
    for k in range(first + 1, len(rows) + 2):
        if k == len(rows) + 1 or rows[k - 1][1] != rows[start - 1][1]:
            if k - 1 > start:
                merges.append((start, 2, k - 1, 2))
                for j in range(start + 1, k):
                    rows[j - 1][1] = None
            start = k
    stated = spec.stated_total + (2 if spec.plant == "stated_total" else 0)
    weight_col = headers.index("权重" if renamed else "分值") + 2
    r = add(["总分"] + [None] * (weight_col - 2) + [_num(sum((i["weight"] for i in spec.indicators), Fraction(10))),
                                                    _num(stated), f"等级：{_grade(stated)}"])
    merges.append((r, 1, r, weight_col - 1))
    return rows, merges


def write_xlsx(specs: list[FormSpec], variant: str, path: Path) -> None:
    """Write one workbook, a sheet per form."""
    from openpyxl import Workbook

    wb = Workbook()
    for k, spec in enumerate(specs):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = f"自评表{k + 1}" if len(specs) > 1 else "自评表"
        rows, merges = layout(spec, variant)
        for row in rows:
            ws.append([c if not (isinstance(c, str) and c.startswith("=")) else None for c in row])
        for r, row in enumerate(rows, start=1):  # text starting with '=' (a target): never a formula
            for c, v in enumerate(row, start=1):
                if isinstance(v, str) and v.startswith("="):
                    cell = ws.cell(row=r, column=c)
                    cell.value = v
                    cell.data_type = "s"
        if variant == "standard":
            for r0, c0, r1, c1 in merges:
                ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    wb.save(path)


def write_docx(spec: FormSpec, path: Path) -> None:
    """Write one .docx with the form as its table (merged cells merged)."""
    import docx

    rows, merges = layout(spec, "docx")
    document = docx.Document()
    document.add_paragraph("项目支出绩效自评表（合成示例，synthetic）")
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    cells = [r.cells for r in table.rows]  # once: table.cell() walks the whole table on every call
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                cells[r][c].text = v if isinstance(v, str) else _text(Fraction(str(v)))
    for r0, c0, r1, c1 in merges:  # the ranges do not overlap, so the cells taken above stay valid
        if (r0, c0) != (r1, c1):
            cells[r0 - 1][c0 - 1].merge(cells[r1 - 1][c1 - 1])
    document.save(str(path))


def _specs(n: int, year: int, seed: int, flawed_share: float) -> Iterator[FormSpec]:
    rng = random.Random(seed)
    kinds = list(PLANTS)
    k = 0
    pending_boilerplate = False
    for index in range(1, n + 1):
        spec = clean_form(index, year, random.Random(seed * 1_000_003 + index))
        if pending_boilerplate:  # the partner of the previous form: the same text, another unit
            yield plant(spec, "boilerplate", rng)
            pending_boilerplate = False
            continue
        if rng.random() < flawed_share:
            kind = kinds[k % len(kinds)]
            k += 1
            if kind == "boilerplate" and index == n:
                kind = "stated_total"
            pending_boilerplate = kind == "boilerplate"
            spec = plant(spec, kind, rng)
        yield spec


def _write(job: tuple[str, list[FormSpec], Path]) -> None:
    variant, group, path = job
    if variant == "docx":
        write_docx(group[0], path)
    else:
        write_xlsx(group, variant, path)


def generate(folder: Path, n: int, *, year: int = 2031, seed: int = 7, flawed_share: float = 0.5,
             variants: tuple[str, ...] = VARIANTS, processes: int = 1) -> dict[tuple[str, str], frozenset[str]]:
    """Write ``n`` synthetic forms under ``folder`` (in sub-folders of 100) and return the truth:
    ``(file relative to folder, sheet or table) → the finding kinds planted``. A variant listed
    twice is drawn twice as often; ``processes`` > 1 writes the files in that many processes."""
    files.ensure_dir(folder)
    truth: dict[tuple[str, str], frozenset[str]] = {}
    specs = list(_specs(n, year, seed, flawed_share))
    rng = random.Random(seed + 1)
    jobs: list[tuple[str, list[FormSpec], Path]] = []
    i = 0
    while i < len(specs):
        variant = variants[rng.randrange(len(variants))]
        group = specs[i: i + (2 if variant == "multi" else 1)]
        sub = folder / f"{group[0].department.split('（')[0]}" / f"{(group[0].index - 1) // 100:03d}"
        stem = f"{group[0].index:05d}-自评表（合成）"
        if variant == "docx":
            path = sub / f"{stem}.docx"
            sheets = ["表格1"]
        else:
            path = sub / f"{stem}.xlsx"
            sheets = ["自评表"] if len(group) == 1 else [f"自评表{k + 1}" for k in range(len(group))]
        for spec, sheet in zip(group, sheets, strict=True):
            truth[(path.relative_to(folder).as_posix(), sheet)] = spec.truth
        jobs.append((variant, group, path))
        i += len(group)
    for sub in {p.parent for _, _, p in jobs}:
        files.ensure_dir(sub)
    if processes > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(_write, jobs, chunksize=50))
    else:
        for job in jobs:
            _write(job)
    return truth
