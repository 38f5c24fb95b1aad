"""Quality report of ``fundanalysis extract``: recall and precision of the draft, per kind of figure and per
sheet. A report, not a test (``make extract-eval``).

    .venv/bin/python benchmarks/extract_eval.py [--workbook PATH] [--report PATH] [--year Y] [--quiet]

Two kinds of reference:

- the 2019 workbook (the hand transcription of the 2019 report: ``data/raw/**/fund-2019.xlsx``), read and
  checked as ``fundanalysis check`` reads it, against the report text beside it (``*.txt``);
- each SYNTHETIC text in ``tests/fixtures/extract/`` against the expected-figures JSON beside it;
- each REAL text of the corpus (``tests/corpus/texts/``) against its hand annotation
  (``tests/corpus/annotations/``), per text and per side of the split (``tests/corpus/split.json``: the
  *tuning* texts rules may be written for, the *measuring* texts only measured).

What is scored is the draft workbook ``extract`` writes (findings merged into rows), compared by
:mod:`fundanalysis.extract.compare`, the same comparison as ``fundanalysis extract --compare``. A *figure* is
a filled cell of a compared column: every amount, count, rank, title, name and stated total (not 指标,
备注, 预算口径, 来源 or 原文, which a person words freely). Rows are matched by each sheet's keys.

- recall: reference figures the draft holds equal, over all reference figures;
- precision: draft figures equal to the reference's, over the draft figures assessed. A wrong figure (or
  one in a row matching no reference row) counts against precision unless its cell is marked 待核对: those
  are counted as *flagged*. Figures in sheets or columns the reference lacks (the 2019 workbook has no
  全年执行数 column, say) are *not assessed*.

For the corpus, every cell of every sheet counts (a figure the annotation does not hold is wrong),
except the columns listed in :data:`CORPUS_UNASSESSED` (which the annotations leave out), and the
precision is split: *unmarked* figures (a wrong one is the worst error: a busy analyst trusts it) and
*marked* ones (待核对), with the 待核对 rate (marked over all figures of the draft).

Targets: 2019 recall >= 95% and precision >= 98%; synthetic recall >= 85%; corpus measuring side recall
>= 85%, unmarked precision >= 99% and every wrong figure marked.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
from fundanalysis.ingest.specs import SHEETS, SHEETS_BY_NAME
from fundanalysis.ingest.tables import build_tables
from fundanalysis.storage.reports import read_report
from fundanalysis.storage.xlsx import read_workbook

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
CORPUS = ROOT / "tests" / "corpus"
#: Columns the corpus annotations leave out (places and wording a person adds from outside the text, or
#: words kept as written): a draft's value there is not assessed.
CORPUS_UNASSESSED = frozenset({"城市", "省份", "负责处室", "名次表述", "范围", "报告表述", "获奖对象", "级别",
                               "采购方式", "预算口径", "一级指标", "二级指标", "偏差原因分析及改进措施", "预期目标",
                               "实际完成情况", "得分", "批次"})
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


@dataclass
class CorpusScore:
    """Counts of a corpus text's draft against its annotation."""

    expected: int = 0
    found: int = 0
    unmarked_right: int = 0
    unmarked_wrong: int = 0
    marked_right: int = 0
    marked_wrong: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def add(self, other: CorpusScore) -> None:
        """Add another text's counts."""
        for name in ("expected", "found", "unmarked_right", "unmarked_wrong", "marked_right", "marked_wrong"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wrong += other.wrong
        self.missed += other.missed

    @property
    def recall(self) -> float | None:
        """Annotated figures the draft holds equal, over all annotated figures."""
        return self.found / self.expected if self.expected else None

    @property
    def unmarked_precision(self) -> float | None:
        """Unmarked figures of the draft that are right, over all unmarked figures."""
        n = self.unmarked_right + self.unmarked_wrong
        return self.unmarked_right / n if n else None

    @property
    def marked_precision(self) -> float | None:
        """Marked (待核对) figures of the draft that are right, over all marked figures."""
        n = self.marked_right + self.marked_wrong
        return self.marked_right / n if n else None

    @property
    def marked_rate(self) -> float | None:
        """Marked figures over all figures of the draft."""
        n = self.unmarked_right + self.unmarked_wrong + self.marked_right + self.marked_wrong
        return (self.marked_right + self.marked_wrong) / n if n else None


def corpus_year(stem: str, root: Path = CORPUS) -> int:
    """The year to give ``build_draft`` for a corpus text: the annotated year, else the year of the
    sidecar's date (the publication), else 2020 (the 年度 cell is then marked, the text giving none)."""
    ann = json.loads((root / "annotations" / f"{stem}.json").read_text(encoding="utf-8"))
    if ann.get("year"):
        return int(ann["year"])
    meta = json.loads((root / "texts" / f"{stem}.json").read_text(encoding="utf-8"))
    m = re.search(r"(20\d\d)", str(meta.get("date") or ""))
    return int(m.group(1)) if m else 2020


def evaluate_corpus_text(stem: str, root: Path = CORPUS) -> CorpusScore:
    """The draft of a corpus text against its hand annotation."""
    text = (root / "texts" / f"{stem}.txt").read_text(encoding="utf-8")
    ann = json.loads((root / "annotations" / f"{stem}.json").read_text(encoding="utf-8"))
    draft = build_draft(extract(text), corpus_year(stem, root))
    assessed = {s.name: [c.header for c in s.columns if c.header not in CORPUS_UNASSESSED] for s in SHEETS}
    result = compare(rows_from_draft(draft), rows_from_typed(ann["sheets"]), assessed)
    out = CorpusScore()
    for f in result.figures:
        if f.status in ("supported", "differ", "missing"):
            out.expected += 1
            out.found += f.status == "supported"
            if f.status != "supported":
                out.missed.append(f"{stem}｜{f.sheet}｜{f.row}｜{f.column} = {f.reference}"
                                  + (f"（草稿为 {f.found}）" if f.status == "differ" else ""))
    for f in result.text_figures:
        if not f.assessed and not f.right:
            continue
        if f.doubts:
            out.marked_right += f.right
            out.marked_wrong += not f.right
        else:
            out.unmarked_right += f.right
            out.unmarked_wrong += not f.right
            if not f.right:
                ref = f.reference or "（无）"
                out.wrong.append(f"{stem}｜{f.sheet}｜{f.row}｜{f.column} 提取 {f.found}，应为 {ref}")
    return out


def blind_details(total: CorpusScore) -> list[str]:
    """The measuring side's errors and misses by kind of figure only (sheet and column, counted): no
    text, row or value, so that no rule is written because of a measuring text.

    >>> blind_details(CorpusScore(wrong=["004｜支出明细｜甲｜全年执行数 提取 1万元，应为 2万元"],
    ...                           missed=["007｜专项资金｜｜到位资金 = 3万元", "008｜专项资金｜｜到位资金 = 4万元"]))
    ['  错提（未标记，按种类）: 支出明细｜全年执行数 ×1', '  漏提（按种类）: 专项资金｜到位资金 ×2']
    """
    def kinds(items: list[str]) -> Counter[str]:
        return Counter("｜".join((parts[1], parts[3].split(" ")[0])) for parts in (i.split("｜") for i in items))
    return ([f"  错提（未标记，按种类）: {k} ×{n}" for k, n in kinds(total.wrong).most_common()]
            + [f"  漏提（按种类）: {k} ×{n}" for k, n in kinds(total.missed).most_common()])


def corpus_split(root: Path = CORPUS) -> dict[str, list[str]]:
    """The corpus' split: side → text stems."""
    split = json.loads((root / "split.json").read_text(encoding="utf-8"))
    return {"tuning": list(split["tuning"]), "measuring": list(split["measuring"])}


def corpus_table(side: str, scores: Mapping[str, CorpusScore]) -> tuple[str, CorpusScore]:
    """A printable table of one side of the corpus, one line per text and the total."""
    head = (f"{'文本':<28}{'应有':>5}{'命中':>5}{'召回率':>8}{'未标对':>6}{'未标错':>6}{'未标精确率':>9}"
            f"{'标记对':>6}{'标记错':>6}{'标记精确率':>9}{'待核对率':>8}")
    lines = [f"\n语料（真实报告）{side}", head, "-" * 104]
    total = CorpusScore()
    for stem, s in scores.items():
        total.add(s)
        lines.append(_corpus_line(stem, s))
    lines += ["-" * 104, _corpus_line("合计", total)]
    return "\n".join(lines), total


def _corpus_line(name: str, s: CorpusScore) -> str:
    return (f"{name:<28}{s.expected:>5}{s.found:>5}{_pct(s.recall):>9}{s.unmarked_right:>7}{s.unmarked_wrong:>7}"
            f"{_pct(s.unmarked_precision):>11}{s.marked_right:>7}{s.marked_wrong:>7}{_pct(s.marked_precision):>11}"
            f"{_pct(s.marked_rate):>9}")


def corpus_verdict(total: CorpusScore) -> str:
    """The measuring side's targets and whether they are met."""
    ok_r = total.recall is not None and total.recall >= 0.85
    ok_p = total.unmarked_precision is None or total.unmarked_precision >= 0.99
    ok_w = total.unmarked_wrong == 0
    return (f"目标：召回率 ≥ 85% {'达到' if ok_r else '未达到'}；未标记精确率 ≥ 99% {'达到' if ok_p else '未达到'}；"
            f"错误全部标记待核对 {'达到' if ok_w else f'未达到（{total.unmarked_wrong} 个未标记的错误）'}")


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
    parser.add_argument("--corpus-only", action="store_true", help="only the corpus of real reports")
    args = parser.parse_args(argv)
    if args.corpus_only:
        main_corpus(args.quiet, out)
        return 0
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
    corpus = main_corpus(args.quiet, out)
    out("\n汇总")
    for name, total, text in summary:
        out(f"  {name:<24} 召回率 {_pct(total.recall):>7}  精确率 {_pct(total.precision):>7}  {text}")
    for side, total in corpus.items():
        out(f"  语料 {side:<21} 召回率 {_pct(total.recall):>7}  未标记精确率 {_pct(total.unmarked_precision):>7}"
            f"  标记精确率 {_pct(total.marked_precision):>7}  待核对率 {_pct(total.marked_rate):>7}")
    out(f"  语料 measuring: {corpus_verdict(corpus['measuring'])}")
    return 0


def main_corpus(quiet: bool, out: Callable[[str], None] = print) -> dict[str, CorpusScore]:
    """Print the corpus tables, both sides; return each side's total."""
    totals: dict[str, CorpusScore] = {}
    for side, stems in corpus_split().items():
        table_text, total = corpus_table(side, {stem: evaluate_corpus_text(stem) for stem in stems})
        out(table_text)
        if side == "measuring":
            out(corpus_verdict(total))
        if not quiet and side == "measuring":
            out("\n".join(blind_details(total)))
        elif not quiet:
            out("\n".join([f"  错提（未标记）: {w}" for w in total.wrong[:20]]
                          + [f"  漏提: {m}" for m in total.missed[:40]]))
        totals[side] = total
    return totals


if __name__ == "__main__":
    sys.exit(main())
