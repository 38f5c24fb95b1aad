"""Quality report of ``fundanalysis extract``: recall and precision of the draft, per kind of figure and per
sheet. A report, not a test (``make extract-eval``).

    .venv/bin/python benchmarks/extract_eval.py [--workbook PATH] [--report PATH] [--year Y] [--quiet]

Two kinds of reference:

- the 2019 workbook (the hand transcription of the 2019 report: ``data/raw/**/fund-2019.xlsx``), read and
  checked as ``fundanalysis check`` reads it, against the report text beside it (``*.txt``);
- each SYNTHETIC text in ``tests/fixtures/extract/`` against the expected-figures JSON beside it.

What is scored is the draft workbook ``extract`` writes (findings merged into rows), compared by
:mod:`fundanalysis.extract.compare`, the same comparison as ``fundanalysis extract --compare``. A *figure* is
a filled cell of a compared column: every amount, count, rank, title, name and stated total (not 指标,
备注, 预算口径, 来源 or 原文, which a person words freely). Rows are matched by each sheet's keys.

- recall: reference figures the draft holds equal, over all reference figures;
- precision: draft figures equal to the reference's, over the draft figures assessed. A wrong figure (or
  one in a row matching no reference row) counts against precision unless its cell is marked 待核对: those
  are counted as *flagged*. Figures in sheets or columns the reference lacks (the 2019 workbook has no
  全年执行数 column, say) are *not assessed*.

Targets: 2019 recall >= 95% and precision >= 98%; synthetic recall >= 85%.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fundanalysis.extract import extract
from fundanalysis.extract.compare import (
    Comparison,
    Score,
    assessed_headers,
    compare,
    rows_from_draft,
    rows_from_tables,
    rows_from_typed,
)
from fundanalysis.extract.draft import build_draft
from fundanalysis.ingest import clean
from fundanalysis.ingest.specs import SHEETS_BY_NAME
from fundanalysis.ingest.tables import build_tables
from fundanalysis.storage.reports import read_report
from fundanalysis.storage.xlsx import read_workbook

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
TARGETS = {"2019": (0.95, 0.98), "synthetic": (0.85, None)}


def find_workbook(root: Path = ROOT) -> Path:
    """The 2019 workbook under data/raw (wherever it was moved to)."""
    found = sorted((root / "data" / "raw").glob("**/fund-2019.xlsx"))
    if not found:
        raise FileNotFoundError("no data/raw/**/fund-2019.xlsx")
    return found[0]


def evaluate_workbook(workbook: Path, report: Path, year: int) -> tuple[Comparison, list[str]]:
    """The draft of a report against a workbook of the same year (read and checked as check reads it);
    also the workbook's 原文 quotes."""
    sheets = read_workbook(workbook)
    tables = build_tables(sheets, year).tables
    assessed = assessed_headers({name: (s.rows[0] if s.rows else []) for name, s in sheets.items()})
    draft = build_draft(extract(read_report(report).text), year)
    quotes = [str(v) for df in tables.values() for c in ("quote", "stated_text") if c in df.columns
              for v in df[c].dropna()]
    sentences = [clean.name_key(r.sentence) for r in draft.rows]
    inside = [q for q in quotes if any(clean.name_key(q) in s for s in sentences)]
    note = f"原文：工作簿的 {len(quotes)} 条原文中，{len(inside)} 条包含在草稿的原文句子里。"
    return compare(rows_from_draft(draft), rows_from_tables(tables), assessed, reference_is_table=True), [note]


def evaluate_fixture_comparison(text_path: Path) -> Comparison:
    """The draft of a synthetic text against the JSON beside it (every column of a listed sheet assessed)."""
    data = json.loads(text_path.with_suffix(".json").read_text(encoding="utf-8"))
    year = int(data.get("year") or re.search(r"(\d{4})$", text_path.stem).group(1))  # type: ignore[union-attr]
    draft = build_draft(extract(text_path.read_text(encoding="utf-8")), year)
    assessed = {sheet: [c.header for c in SHEETS_BY_NAME[sheet].columns] for sheet in data["sheets"]}
    return compare(rows_from_draft(draft), rows_from_typed(data["sheets"]), assessed)


def evaluate_fixture(text_path: Path) -> dict[str, Score]:
    """Scores per sheet of a synthetic text's draft against the JSON beside it."""
    return evaluate_fixture_comparison(text_path).scores("sheet")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def table(title: str, scores: Mapping[str, Score], first: str) -> str:
    """A printable table, one line per sheet or kind, and the total."""
    head = (f"{first:<10}{'应有':>6}{'命中':>6}{'召回率':>9}{'已提取':>7}{'正确':>6}{'错误':>6}{'存疑':>6}"
            f"{'精确率':>9}{'未评估':>7}")
    lines = [title, head, "-" * 80]
    total = Score()
    for name, s in scores.items():
        total.add(s)
        lines.append(f"{name:<10}{s.expected:>6}{s.found:>6}{_pct(s.recall):>9}{s.extracted:>7}{s.right:>6}"
                     f"{s.wrong:>6}{s.flagged:>6}{_pct(s.precision):>9}{s.unassessed:>7}")
    lines.append("-" * 80)
    lines.append(f"{'合计':<10}{total.expected:>6}{total.found:>6}{_pct(total.recall):>9}{total.extracted:>7}"
                 f"{total.right:>6}{total.wrong:>6}{total.flagged:>6}{_pct(total.precision):>9}{total.unassessed:>7}")
    return "\n".join(lines)


def details(result: Comparison, limit: int = 12) -> list[str]:
    """The figures missed and the figures wrong, a few of each."""
    missed = [f"{f.sheet}｜{f.row}｜{f.column} = {f.reference}"
              + (f"（草稿为 {f.found}）" if f.status == "differ" else "") + f"（{f.section or '—'}）"
              for f in result.figures if f.status in ("missing", "differ")]
    wrong = [f"{f.sheet}｜{f.row}｜{f.column} 提取 {f.found}，应为 {f.reference or '（无）'}"
             for f in result.text_figures if f.assessed and not f.right and not f.doubts]
    out: list[str] = []
    for label, items in (("漏提", missed), ("错提", wrong)):
        out += [f"  {label}: {m}" for m in items[:limit]]
        if len(items) > limit:
            out.append(f"  {label}: …另有 {len(items) - limit} 项")
    return out


def verdict(total: Score, recall_target: float, precision_target: float | None) -> tuple[str, bool]:
    """The targets and whether they are met."""
    ok_r = total.recall is not None and total.recall >= recall_target
    text = f"目标：召回率 ≥ {recall_target:.0%} {'达到' if ok_r else '未达到'}"
    ok = ok_r
    if precision_target is not None:
        ok_p = total.precision is not None and total.precision >= precision_target
        text += f"；精确率 ≥ {precision_target:.0%} {'达到' if ok_p else '未达到'}"
        ok = ok and ok_p
    return text, ok


def _rel(p: Path) -> Path:
    return p.relative_to(ROOT) if p.is_relative_to(ROOT) else p


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Print the tables and whether the targets are met; the exit code is 0 (a report, not a gate)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--workbook", type=Path, default=None, help="the 2019 workbook (default: glob)")
    parser.add_argument("--report", type=Path, default=None, help="the report text (default: *.txt beside it)")
    parser.add_argument("--year", type=int, default=2019, help="the workbook's year (default 2019)")
    parser.add_argument("--quiet", action="store_true", help="tables only, no list of misses and errors")
    args = parser.parse_args(argv)
    workbook = args.workbook or find_workbook()
    report = args.report or next(iter(sorted(workbook.parent.glob("*.txt"))), None)
    if report is None:
        raise SystemExit(f"no report text beside {workbook}; pass --report")
    summary: list[tuple[str, Score, str]] = []
    result, notes = evaluate_workbook(workbook, report, args.year)
    title = f"{args.year} 报告 {_rel(report)} 对照工作簿 {_rel(workbook)}"
    out(table(f"{title}\n按数字种类", result.scores("kind"), "种类"))
    out(table("\n按工作表", result.scores("sheet"), "工作表"))
    text, _ = verdict(result.total(), *TARGETS["2019"])
    out(text)
    summary.append((str(args.year), result.total(), text))
    for note in notes:
        out(note)
    if not args.quiet:
        out("\n".join(details(result)))
    synthetic = Score()
    for path in sorted(FIXTURES.glob("*.txt")):
        result = evaluate_fixture_comparison(path)
        out(table(f"\n合成文本 {path.name}（SYNTHETIC）\n按数字种类", result.scores("kind"), "种类"))
        text, _ = verdict(result.total(), *TARGETS["synthetic"])
        out(text)
        synthetic.add(result.total())
        summary.append((path.stem, result.total(), text))
        if not args.quiet:
            out("\n".join(details(result)))
    text, _ = verdict(synthetic, *TARGETS["synthetic"])
    summary.append(("合成文本合计", synthetic, text))
    out("\n汇总")
    for name, total, text in summary:
        out(f"  {name:<24} 召回率 {_pct(total.recall):>7}  精确率 {_pct(total.precision):>7}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
