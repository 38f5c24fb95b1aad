"""Run the rules over a report's structure and collect findings per target sheet.

>>> ex = extract("常州市工信局 2019 年度 工业互联网专项资金自我评价报告\\n一、专项资金基本信息\\n"
...              "2019 年度工业互联网专项资金总额 1000 万元。")
>>> [(f.sheet, f.values["预算金额"], f.section) for f in ex.sheet("专项资金") if f.rule == "fund_total"]
[('专项资金', '1000万元', '一、')]
>>> ex.sheet("专项资金")[1].values["来源"]
'常州市工信局2019年度工业互联网专项资金自我评价报告／一、专项资金基本信息'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fundanalysis.extract.rules import OUTPUTS, RULES, Context, Hit, Rule, general_doubts
from fundanalysis.extract.text import Document, Sentence, parse_document

#: The target sheets, in workbook order.
SHEET_NAMES: tuple[str, ...] = tuple(dict.fromkeys(o.sheet for o in OUTPUTS.values()))
_SEPARATOR = "／"


@dataclass(frozen=True)
class Finding:
    """One row (or part of a row) for a sheet, with where it came from, for a person to confirm.

    ``values`` maps the sheet's Chinese headers to values as the workbook holds them: amounts as
    normalised text (``"71.9万元"``), counts as int, text as str, ``None`` where the report is silent.
    ``uncertain`` lists reasons for doubt in Chinese (empty when the figure is read plainly).
    """

    sheet: str
    values: Mapping[str, object]
    section: str
    heading: tuple[str, ...]
    sentence: str
    rule: str
    uncertain: tuple[str, ...] = ()

    def filled(self) -> dict[str, object]:
        """The values the report gave (no empty cells, no provenance).

        >>> Finding("宣传项目", {"单位": "中吴网", "项目名称": None, "来源": "r"}, "", (), "", "x").filled()
        {'单位': '中吴网'}
        """
        return {k: v for k, v in self.values.items() if v is not None and k not in ("来源", "原文")}


@dataclass(frozen=True)
class Extraction:
    """All findings of a report, grouped per target sheet (every sheet present, maybe empty)."""

    report_name: str
    sheets: Mapping[str, tuple[Finding, ...]]

    def sheet(self, name: str) -> tuple[Finding, ...]:
        """The findings for one sheet."""
        return self.sheets[name]

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings, sheet by sheet."""
        return tuple(f for fs in self.sheets.values() for f in fs)

    @property
    def uncertain(self) -> tuple[Finding, ...]:
        """The findings a person should look at first."""
        return tuple(f for f in self.findings if f.uncertain)

    def rows(self, name: str) -> list[dict[str, object]]:
        """A sheet's findings as workbook rows (every column, in sheet order)."""
        return [dict(f.values) for f in self.sheet(name)]


def report_name_of(doc: Document) -> str:
    """The report's name for 来源: its title without spaces.

    >>> report_name_of(parse_document("常州市工信局 2019 年度 工业互联网专项资金自我评价报告\\n"))
    '常州市工信局2019年度工业互联网专项资金自我评价报告'
    """
    return re.sub(r"\s+", "", doc.title)


def _finding(hit: Hit, rule: Rule, sentence: Sentence, report: str) -> Finding:
    out = OUTPUTS[hit.output]
    unknown = set(hit.fields) - set(out.columns)
    if unknown:
        raise KeyError(f"rule {rule.name} gave fields {sorted(unknown)} that {hit.output!r} does not have")
    label = sentence.section.label
    fields = {**hit.fields, "source": f"{report}{_SEPARATOR}{label}" if label else report, "text": sentence.text}
    values = {header: fields.get(name) for name, header in out.columns.items()}
    return Finding(out.sheet, MappingProxyType(values), sentence.section.path, sentence.heading, sentence.text,
                   rule.name, tuple(dict.fromkeys(hit.uncertain)))


#: Units of money: a figure in them is an amount, never a result counted in 排名与成果.
_MONEY_UNITS = ("元", "万元", "亿元", "千元", "万", "亿")


def is_result(hit: Hit, sentence: Sentence) -> bool:
    """Whether a figure read as a result (排名与成果) is one: not an amount of money, and not in a section
    of targets (``（二）项目绩效目标`` / ``2、阶段性目标``: a target is not a result; a section of
    ``目标…完成情况`` is).

    >>> from fundanalysis.extract.text import parse_document
    >>> doc = parse_document("一、项目绩效目标\\n全年上稿超过120篇。\\n二、绩效目标完成情况\\n全年上稿130篇。")
    >>> [is_result(Hit("outcome", {"value": 1, "unit": "篇"}), s) for s in doc.sentences if not s.in_heading]
    [False, True]
    """
    if str(hit.fields.get("unit") or "") in _MONEY_UNITS:
        return False
    for title in reversed(sentence.section.titles):  # the nearest heading that says which decides
        done = re.search(r"完成|实现|实际|成效|效益|产出|绩效情况", title)
        if done or re.search(r"目标|计划", title):
            return done is not None
    return True


def _merge(hits: list[Hit]) -> list[Hit]:
    """Hits of one rule and sentence for the same row (same output and key) become one."""
    out: list[Hit] = []
    for hit in hits:
        key = OUTPUTS[hit.output].key
        if key is not None:
            ident = tuple(hit.fields.get(k) for k in key)
            for i, prev in enumerate(out):
                same = prev.output == hit.output and tuple(prev.fields.get(k) for k in key) == ident
                clash = any(k in prev.fields and prev.fields[k] != v for k, v in hit.fields.items())
                if same and not clash:
                    out[i] = Hit(hit.output, {**prev.fields, **hit.fields}, prev.uncertain + hit.uncertain)
                    break
            else:
                out.append(hit)
        else:
            out.append(hit)
    return out


def extract(text: str, report_name: str | None = None, rules: tuple[Rule, ...] | None = None) -> Extraction:
    """Find the figures a person would transcribe from a report's plain text, each with provenance.

    ``report_name`` (for 来源) defaults to the report's title line. ``rules`` defaults to the whole
    registry, run in its order; a rule may claim figures so later rules skip them. Identical findings
    (same sheet and values) from several sentences are kept once, the first.
    """
    doc = parse_document(text)
    report = report_name if report_name is not None else report_name_of(doc)
    found: dict[str, list[Finding]] = {name: [] for name in SHEET_NAMES}
    seen: set[tuple[str, tuple[tuple[str, object], ...]]] = set()
    for sentence in doc.sentences:
        ctx = Context(doc, sentence)
        for rule in rules if rules is not None else tuple(RULES):
            for hit in _merge(list(rule.func(ctx))):
                if hit.output == "outcome" and not is_result(hit, sentence):
                    continue
                hit = general_doubts(ctx, hit)
                finding = _finding(hit, rule, sentence, report)
                ident = (finding.sheet, tuple(sorted(finding.filled().items(), key=lambda kv: kv[0])))
                if ident in seen:
                    continue
                seen.add(ident)
                found[finding.sheet].append(finding)
    return Extraction(report, MappingProxyType({k: tuple(v) for k, v in found.items()}))
