"""Reviewing filed 项目支出绩效自评表: the reader, the findings, the command and the Dask cluster.

SYNTHETIC: every form here is invented (合成示例): the fixture fund of tests/fixtures/forms, forms laid
out inline, and the generated forms of :mod:`fundanalysis.review.synth`; none comes from a real report.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from fundanalysis import api
from fundanalysis.analysis import selfeval
from fundanalysis.export.scorecard import form_xlsx
from fundanalysis.review.reader import read_forms

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "forms"
FIXTURE_FUND, FIXTURE_YEAR = "synthetic-self-evaluation", 2031


# ------------------------------------------------------------------ round trip


def test_suite_form_reads_back_to_the_same_scores(tmp_path: Path) -> None:
    tables = api.load(FIXTURE_YEAR, FIXTURE_FUND, data_dir=FIXTURE_DATA)
    path = tmp_path / "form.xlsx"
    path.write_bytes(form_xlsx(tables) or b"")
    forms, problems = read_forms(path)
    assert problems == [] and len(forms) == 1
    form = forms[0]
    read = {**form.tables(), "scoring_policy": tables["scoring_policy"]}
    before, after = selfeval.self_evaluation(tables), selfeval.self_evaluation(read)
    assert before is not None and after is not None
    # docs/domain.md (worked example), worked by hand: 9.5 + 48 + 28 + 10 = 95.5, 优; 456 ÷ 480 = 95%
    assert after.total == before.total == Decimal("95.5")
    assert after.grade == before.grade == "优"
    assert after.budget is not None and after.budget.rate == before.budget.rate == Decimal("0.95")
    assert [s.result.score for s in after.indicators] == [s.result.score for s in before.indicators]
    assert [i.name for i in (s.indicator for s in after.indicators)] == \
        ["支持企业数", "示范项目数", "验收合格率", "资金拨付时间", "单个项目补助", "带动企业投资", "数字化水平",
         "长效机制", "企业满意度"]
    # what the form itself states, with its cells
    assert (form.year, form.money_unit, form.money_unit_stated) == (2031, "万元", True)
    assert form.project == "示例市中小企业数字化转型专项资金（合成示例）"
    assert form.department == "示例市工业和信息化局"
    assert Decimal(str(form.stated_total)) == Decimal("95.5") and form.stated_grade == "优"
    total = next(m for m in form.money if m.label == "年度资金总额")
    assert (total.budget, total.executed) == (480_000_000, 456_000_000)  # 分
    assert str(total.cells["executed"]) == "form.xlsx 自评表!F6"


def test_2019_has_no_form_to_read_back() -> None:
    """The 2019 report has no self-evaluation form (only its 预算执行 score can be worked out), so the
    suite writes no 自评表.xlsx for it and there is nothing to read back: a budget-only "form" would be
    a form the report never filed."""
    tables = api.load(2019)
    se = selfeval.self_evaluation(tables)
    assert se is not None and se.budget is not None and not se.indicators
    assert form_xlsx(tables) is None


# ------------------------------------------------------------------ variants laid out inline


def _variant_workbook(path: Path) -> None:
    """A local variant (synthetic): two title rows, a 金额单位：元 note, money in 元 as text,
    columns renamed (年度目标值, 全年实际值, 权重, 自评得分) and 指标性质 / 备注 added; two forms as sheets."""
    wb = Workbook()
    first = wb.active
    first.title = "项目A"
    second = wb.create_sheet("项目B")
    for ws, project, score in ((first, "合成项目甲（synthetic）", 9), (second, "合成项目乙（synthetic）", 10)):
        rows = [
            ["示例县财政局（合成）"],
            ["项目支出绩效自评表"],
            ["（2031年度）", None, None, None, None, None, "金额单位：元"],
            ["项目名称", project],
            ["主管部门", "示例县教育局（合成）", None, "实施单位", "示例县第一中学（合成）"],
            ["项目资金", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
            [None, "年度资金总额", "1,000,000.00", "1,000,000.00", "900,000.00", 10, "90%", 9],
            [None, "其中：本年财政拨款", "1,000,000.00", "1,000,000.00", "900,000.00"],
            ["年度总体目标", "预期目标", None, None, "实际完成情况"],
            [None, "完成校舍维修3处（合成）", None, None, "完成3处（合成）"],
            ["绩效指标", "一级指标", "二级指标", "三级指标", "指标性质", "年度目标值", "全年实际值", "权重", "自评得分",
             "偏差原因分析及改进措施", "备注"],
            [None, "产出指标", "数量指标", "维修校舍数", "≥", "3处", "3处", 50, 50],
            [None, "效益指标", "社会效益指标", "安全隐患", "=", "0处", "0处", 30, 30],
            [None, "满意度指标", "服务对象满意度指标", "师生满意度", "≥", "90%", "80%", 10, score],
            ["总分", None, None, None, None, None, None, 100, 89 + score],
        ]
        for row in rows:
            ws.append(row)
    wb.save(path)


def test_variant_blocks_are_found_wherever_they_stand(tmp_path: Path) -> None:
    path = tmp_path / "variant.xlsx"
    _variant_workbook(path)
    forms, problems = read_forms(path)
    assert problems == []
    assert [(f.sheet, f.project) for f in forms] == [("项目A", "合成项目甲（synthetic）"),
                                                    ("项目B", "合成项目乙（synthetic）")]
    a = forms[0]
    assert (a.year, a.money_unit, a.money_unit_stated, a.unit) == (2031, "元", True, "示例县第一中学（合成）")
    total = a.money[0]
    assert (total.budget, total.executed) == (100_000_000, 90_000_000)  # 1,000,000.00元 in 分
    assert a.indicator_columns["年度指标值"] == "F" and a.indicator_columns["得分"] == "I"
    se = selfeval.self_evaluation(a.tables())
    assert se is not None
    # 9 (90% × 10) + 50 + 30 + 10 × 80 ÷ 90 = 8.89 → 97.89
    assert se.total == Decimal("97.89")


# ------------------------------------------------------------------ generated forms: planted truth


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple[str, str], frozenset[str]]]:
    """40 SYNTHETIC forms, every one flawed: each planted kind at least twice, in every variant."""
    from fundanalysis.review.synth import generate

    root = tmp_path_factory.mktemp("forms")
    return root, generate(root, 40, flawed_share=1.0, seed=11)


def _found(root: Path) -> dict[tuple[str, str], frozenset[str]]:
    from fundanalysis.review.run import boilerplate_findings, form_files, review_files

    records, problems = review_files(form_files(root), root, year=2031, scheduler="inline")
    assert problems == []
    boilerplate_findings(records)
    return {(r["file"], r["sheet"]): frozenset(f["kind"] for f in r["findings"]) for r in records}


def test_generated_variants_are_all_read(generated: tuple[Path, dict[tuple[str, str], frozenset[str]]]) -> None:
    root, truth = generated
    suffixes = {Path(f).suffix for f, _ in truth}
    sheets = {s for _, s in truth}
    assert suffixes == {".xlsx", ".docx"} and {"表格1", "自评表", "自评表1", "自评表2"} <= sheets
    assert set(_found(root)) == set(truth)


def test_every_planted_finding_is_found_and_no_other(
        generated: tuple[Path, dict[tuple[str, str], frozenset[str]]]) -> None:
    from fundanalysis.review.synth import PLANTS

    root, truth = generated
    found = _found(root)
    planted = {(form, kind) for form, kinds in truth.items() for kind in kinds}
    flagged = {(form, kind) for form, kinds in found.items() for kind in kinds}
    assert planted - flagged == set()  # recall 1
    assert flagged - planted == set()  # precision 1
    assert {k for _, kinds in truth.items() for k in kinds} == set(PLANTS)  # every kind was planted


def test_clean_generated_forms_raise_nothing(tmp_path: Path) -> None:
    from fundanalysis.review.synth import generate

    truth = generate(tmp_path, 8, flawed_share=0.0, seed=5)
    assert set(truth.values()) == {frozenset()}
    assert set(_found(tmp_path).values()) == {frozenset()}


def test_findings_name_their_cells(tmp_path: Path) -> None:
    import random

    from fundanalysis.review.findings import review_form
    from fundanalysis.review.synth import clean_form, plant, write_xlsx

    spec = plant(clean_form(1, 2031, random.Random(1)), "met_but_deducted", random.Random(2))
    write_xlsx([spec], "standard", tmp_path / "f.xlsx")
    forms, _ = read_forms(tmp_path / "f.xlsx")
    record = review_form(forms[0])
    met = next(f for f in record["findings"] if f["kind"] == "met_but_deducted")
    # layout: title, year, 项目名称, 主管部门, money header + 4 rows (5-9), goals (10-11), header 12,
    # indicators from row 13: 验收合格率 is the third → row 15; 得分 in column H, 实际完成值 in F
    assert [(c["row"], c["column"]) for c in met["cells"]] == [(15, "H"), (15, "F")]
    assert (met["stated"], met["computed"]) == ("8", "10")
    total = next(f for f in record["findings"] if f["kind"] == "stated_total")
    assert Decimal(total["stated"]) - Decimal(total["computed"]) == -2


def test_priority_puts_inflation_first() -> None:
    from fundanalysis.review.run import prioritize

    def rec(file: str, inflation: str | None, kinds: list[str]) -> dict[str, object]:
        return {"file": file, "sheet": "s", "inflation": inflation,
                "findings": [{"kind": k} for k in kinds]}

    records = [rec("a", "0", ["weights", "money_total", "stated_rate"]), rec("b", "3.5", []),
               rec("c", "-2", ["missed_full_points"]), rec("d", "1", ["boilerplate"]), rec("e", None, [])]
    prioritize(records)  # type: ignore[arg-type]
    assert [r["file"] for r in sorted(records, key=lambda r: r["priority"])] == ["b", "d", "a", "c", "e"]


# ------------------------------------------------------------------ the command


def _cli(*args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from fundanalysis.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_command_lists_a_bad_file_and_goes_on(tmp_path: Path,
                                              generated: tuple[Path, dict[tuple[str, str], frozenset[str]]]) -> None:
    import json
    import shutil

    from openpyxl import load_workbook

    root, truth = generated
    folder = tmp_path / "in"
    shutil.copytree(root, folder)
    (folder / "broken.xlsx").write_bytes(b"not a workbook")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 damaged")
    code, output = _cli("review", str(folder), "--year", "2031", "--name", "t", "--scheduler", "inline",
                        "--out-dir", str(tmp_path / "out"), "--no-overview")
    assert code == 0, output
    out = tmp_path / "out" / "review" / "t" / "2031"
    doc = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert {p["file"] for p in doc["problems"]} == {"broken.xlsx", "notes.docx"}
    assert len(doc["forms"]) == len(truth)
    first = doc["forms"][0]
    assert {"file", "sheet", "project", "unit", "department", "stated_total", "total", "stated_grade", "grade",
            "findings", "priority"} <= set(first)
    assert sorted(f["priority"] for f in doc["forms"]) == list(range(1, len(truth) + 1))
    assert {"kind", "cells", "stated", "computed", "message"} == set(first["findings"][0])
    pages = {p.name for p in (out / "forms").iterdir()}
    assert pages == {f"{f['priority']:05d}.html" for f in doc["forms"] if f["findings"]}
    ws = load_workbook(out / "review-list.xlsx")["复核清单"]
    assert ws.auto_filter.ref == f"A1:N{len(truth) + 1}"
    assert [c.value for c in ws[1]][:3] == ["复核优先级", "文件", "工作表/表格"]
    assert [ws.cell(row=r, column=1).value for r in range(2, len(truth) + 2)] == list(range(1, len(truth) + 1))


def test_command_exits_1_when_no_form_is_read(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.xlsx").write_bytes(b"not a workbook")
    code, output = _cli("review", str(tmp_path / "in"), "--year", "2031", "--scheduler", "inline",
                        "--out-dir", str(tmp_path / "out"))
    assert code == 1
    assert "broken.xlsx" in output and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_command_overview_on_a_local_cluster(tmp_path: Path,
                                             generated: tuple[Path, dict[tuple[str, str], frozenset[str]]]) -> None:
    root, _ = generated
    code, output = _cli("review", str(root), "--year", "2031", "--name", "t", "--out-dir", str(tmp_path / "out"))
    assert code == 0, output
    page = (tmp_path / "out" / "review" / "t" / "2031" / "index.html").read_text(encoding="utf-8")
    assert "自评表复核总览" in page and "高报最多的单位" in page and "data:image/png;base64" in page
    assert "review_dir" not in page  # code hidden


# ------------------------------------------------------------------ a real cluster on localhost


@pytest.mark.slow
def test_review_on_a_scheduler_with_two_worker_processes(
        generated: tuple[Path, dict[tuple[str, str], frozenset[str]]], localhost_cluster: str) -> None:
    from fundanalysis.review.run import form_files, review_files

    root, _ = generated
    paths = form_files(root)
    on_cluster = review_files(paths, root, year=2031, scheduler=localhost_cluster)
    inline = review_files(paths, root, year=2031, scheduler="inline")
    assert on_cluster == inline and len(on_cluster[0]) == 40


def test_one_flaw_one_finding(tmp_path: Path) -> None:
    import random

    from fundanalysis.review.findings import review_form
    from fundanalysis.review.synth import clean_form, plant, write_xlsx

    kinds = {}
    for kind in ("weights", "missing_block", "unreadable"):
        spec = plant(clean_form(3, 2031, random.Random(3)), kind, random.Random(4))
        write_xlsx([spec], "standard", tmp_path / f"{kind}.xlsx")
        forms, _ = read_forms(tmp_path / f"{kind}.xlsx")
        kinds[kind] = [f["kind"] for f in review_form(forms[0])["findings"]]
    # 满意度 weighted 15 (policy 10): the block says it; the total of 105 is the same flaw
    # 满意度 block absent: missing, not also 90 of 100 weights; a blank actual: unreadable, and the
    # stated total is not compared with a partial computed one
    assert kinds == {"weights": ["weights"], "missing_block": ["missing_block"], "unreadable": ["unreadable"]}


# ------------------------------------------------------------------ fsspec URLs


def test_forms_are_read_from_an_fsspec_url(generated: tuple[Path, dict[tuple[str, str], frozenset[str]]]) -> None:
    """The same forms under memory:// (as under s3://: what the workers reach by URL) review to the
    same records, named by their path below the URL, as on the local disk."""
    import fsspec

    from fundanalysis.review.run import form_files, review_files

    root, truth = generated
    fs = fsspec.filesystem("memory")
    for path in form_files(root):
        fs.pipe(f"/h5-review-forms/{path.relative_to(root).as_posix()}", path.read_bytes())
    fs.pipe("/h5-review-forms/sub/broken.xlsx", b"not a workbook")
    fs.pipe("/h5-review-forms/sub/~$lock.xlsx", b"an Office lock file")
    try:
        urls = form_files("memory://h5-review-forms")
        assert len(urls) == len(form_files(root)) + 1 and all(str(u).startswith("memory://") for u in urls)
        records, problems = review_files(urls, "memory://h5-review-forms", year=2031, scheduler="inline")
        local, _ = review_files(form_files(root), root, year=2031, scheduler="inline")
        assert records == local and {(r["file"], r["sheet"]) for r in records} == set(truth)
        assert [(p["file"], p["reason"]) for p in problems] == \
            [("sub/broken.xlsx", "not an Excel workbook (.xlsx is a zip file; this is not)")]
    finally:
        fs.rm("/h5-review-forms", recursive=True)


def test_a_form_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import fsspec

    from fundanalysis import config
    from fundanalysis.review.run import review_files

    fs = fsspec.filesystem("memory")
    fs.pipe("/h5-big/huge.xlsx", b"PK\x03\x04" + b"\0" * config.MAX_WORKBOOK_BYTES)
    try:
        _, problems = review_files(["memory://h5-big/huge.xlsx"], "memory://h5-big", scheduler="inline")
    finally:
        fs.rm("/h5-big", recursive=True)
    assert [(p["file"], p["value"]) for p in problems] == [("huge.xlsx", str(config.MAX_WORKBOOK_BYTES + 4))]
    assert "larger than" in problems[0]["reason"]


def test_boilerplate_names_the_other_units_and_an_example() -> None:
    from fundanalysis.review.run import boilerplate_findings

    text = "围绕年度重点任务加强项目管理提升资金使用效益（合成模板文字）"
    cell = {"file": "x", "sheet": "s", "row": 10, "column": "C"}

    def rec(file: str, unit: str, texts: list[str]) -> dict[str, object]:
        return {"file": file, "unit": unit, "findings": [], "texts": [(t, cell) for t in texts]}

    # b.xlsx and d.xlsx are one unit (甲), c.xlsx another (乙), a.xlsx a third (丙) with its own text
    records = [rec("a.xlsx", "丙", ["只有丙单位写的这段文字，足够长可以比较（合成）"]), rec("b.xlsx", "甲", [text]),
               rec("c.xlsx", "乙", [text]), rec("d.xlsx", "甲", [text])]
    boilerplate_findings(records)  # type: ignore[arg-type]
    messages = [[f["message"] for f in r["findings"]] for r in records]  # type: ignore[index, union-attr]
    assert messages == [[], [f"“{text[:30]}…”与另外 1 个单位的自评表一字不差（如 c.xlsx）"],
                        [f"“{text[:30]}…”与另外 1 个单位的自评表一字不差（如 b.xlsx）"],
                        [f"“{text[:30]}…”与另外 1 个单位的自评表一字不差（如 c.xlsx）"]]
    assert all("texts" not in r for r in records)


def test_command_reads_a_url_and_refuses_a_missing_folder(tmp_path: Path,
                                                          generated: tuple[Path, dict[tuple[str, str], frozenset[str]]]
                                                          ) -> None:
    import json

    import fsspec

    from fundanalysis.review.run import form_files

    root, _ = generated
    fs = fsspec.filesystem("memory")
    for path in form_files(root)[:6]:
        fs.pipe(f"/h5-cli-forms/2031/{path.relative_to(root).as_posix()}", path.read_bytes())
    try:
        code, output = _cli("review", "memory://h5-cli-forms/2031/", "--year", "2031", "--scheduler", "inline",
                            "--out-dir", str(tmp_path / "out"), "--no-overview")
    finally:
        fs.rm("/h5-cli-forms", recursive=True)
    assert code == 0, output
    doc = json.loads((tmp_path / "out" / "review" / "2031" / "2031" / "review.json").read_text(encoding="utf-8"))
    assert {f["file"] for f in doc["forms"]} == {p.relative_to(root).as_posix() for p in form_files(root)[:6]}
    code, output = _cli("review", str(tmp_path / "nowhere"), "--year", "2031", "--scheduler", "inline")
    assert code == 2 and "is not a folder" in output


def test_form_values_are_read_after_the_same_container_checks(tmp_path: Path) -> None:
    """The review's values-only read gives the visible sheets' values as the full reader does, and
    refuses what it refuses (here a DTD in a worksheet: an XML entity attack)."""
    import zipfile

    from fundanalysis.errors import InputError
    from fundanalysis.storage.xlsx import read_workbook, read_workbook_values

    wb = Workbook()
    wb.active.title = "自评表"
    wb.active.append(["项目名称", "合成项目（synthetic）", 12.5])
    wb.create_sheet("隐藏").sheet_state = "hidden"
    wb.create_sheet("备注").append([None, "合成备注"])
    path = tmp_path / "form.xlsx"
    wb.save(path)
    full = {name: sheet.rows for name, sheet in read_workbook(path).items() if not sheet.hidden}
    assert read_workbook_values(path) == list(full.items())
    assert [name for name, _ in read_workbook_values(path)] == ["自评表", "备注"]
    attacked = tmp_path / "attacked.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(attacked, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet', 1)
            dst.writestr(item, data)
    with pytest.raises(InputError, match="DTD"):
        read_workbook_values(attacked)
