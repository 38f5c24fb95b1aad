"""The extraction rules: a registry of named patterns, each turning a match into hits for a sheet.

Each rule is a function of one sentence in its context (:class:`Context`) registered with
:func:`rule`, in the order the engine runs them. A rule returns :class:`Hit` objects: an *output*
name and fields in English. :data:`OUTPUTS` is the one table that maps outputs and fields to the
workbook's sheets and Chinese column headers. A rule may *claim* the figures it used, so that later,
more general rules (an outcome count, a budget phase) do not read the same figure again.

Reasons for doubt are :data:`DOUBT` (Chinese, as the person confirming reads them); :data:`DOUBT_COLUMNS`
says which cells each is about, so that a draft marks those cells and not the whole row.

Rules read :attr:`Context.norm` (full-width digits made ASCII, same length as the text), so every
span is also a span of the sentence as written.
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from fundanalysis.extract import numerals as nm
from fundanalysis.extract.text import Document, Heading, Section, Sentence, bracket_pairs, split_clauses

# ----------------------------------------------------------------------------------------------------
# The one table: rule outputs → sheets and columns


@dataclass(frozen=True)
class Output:
    """Where a rule output goes: the sheet, its columns (field → Chinese header, in sheet order)
    and the fields that identify a row (hits of one sentence and rule with the same key merge)."""

    sheet: str
    columns: Mapping[str, str]
    key: tuple[str, ...] | None = None


_PHASES = {"approved": "年初预算数", "adjustment": "调整数", "adjusted": "全年预算数"}
_PROVENANCE = {"source": "来源", "text": "原文"}

#: Rule outputs, their sheet and the Chinese column of each field. Amounts are normalised text
#: (``"71.9万元"``, ``"1409205.40元"``; exact 分 via :func:`numerals.amount_fen`), counts int.
OUTPUTS: dict[str, Output] = {
    "fund": Output("专项资金", {
        "name": "资金名称", "issuer": "主管部门", "city": "城市", "province": "省份", "year": "年度",
        "budget": "预算金额", "budget_phase": "预算口径", **_PHASES, "received": "到位资金", "executed": "全年执行数",
        "basis": "执行口径",
        **_PROVENANCE}, key=()),
    "part": Output("资金组成", {
        "part": "部分", "department": "负责处室", "budget": "预算金额", **_PHASES, "received": "到位资金",
        "executed": "全年执行数", "basis": "执行口径", **_PROVENANCE}, key=("part",)),
    "line": Output("支出明细", {
        "part": "部分", "item": "明细", "quantity": "数量", "quantity_unit": "数量单位", **_PHASES,
        "executed": "全年执行数", "status": "状态", **_PROVENANCE}, key=("part", "item")),
    "instalment": Output("资金到位", {
        "batch": "批次", "date": "日期", "amount": "金额", "text": "原文", "source": "来源"}),
    "award": Output("奖励类别", {
        "category": "类别", "recipients": "获奖单位数", "amount": "奖励金额", "level": "级别",
        "recipient_desc": "获奖对象", "part": "所属部分", **_PROVENANCE}),
    "outlet": Output("媒体单位", {
        "outlet": "单位", "items": "项目数", "amount": "金额", "procurement": "采购方式", "part": "所属部分",
        **_PROVENANCE}),
    "media_item": Output("宣传项目", {"outlet": "单位", "title": "项目名称", **_PROVENANCE}),
    "outcome": Output("排名与成果", {
        "indicator": "指标", "value": "数值", "unit": "单位", "rank": "名次", "rank_text": "名次表述", "scope": "范围",
        "note": "备注", **_PROVENANCE}),
    "component": Output("分项构成", {
        "indicator": "指标", "component": "分项", "value": "数值", "unit": "单位", **_PROVENANCE}),
    "base": Output("对比基数", {
        "indicator": "指标", "city": "本市", "province": "全省", "nation": "全国", "stated_text": "报告表述",
        "stated_share": "表述占全省比例", **_PROVENANCE}),
    "total": Output("报告总计", {
        "check": "核对项", "part": "所属部分", "stated": "表述值", "text": "原文", "source": "来源"}),
    "indicator": Output("绩效指标", {
        "level1": "一级指标", "level2": "二级指标", "name": "三级指标", "nature": "指标性质", "target": "年度指标值",
        "unit": "度量单位", "actual": "实际完成值", "weight": "分值", "score": "得分", **_PROVENANCE}),
    "money_source": Output("资金来源", {
        "category": "资金类别", "approved": "年初预算数", "adjusted": "全年预算数", "executed": "全年执行数",
        "weight": "分值", "rate": "执行率", "score": "得分", **_PROVENANCE}, key=("category",)),
}

#: Stated-total checks (核对项) by what the report counts.
TOTAL_CHECKS = {"projects": "项目数", "all_projects": "项目总数", "spent": "使用资金", "categories": "类别数",
                "units": "承担单位数", "gov_procured": "政府采购单位数", "self_procured": "自行采购单位数"}

#: Reasons for doubt, in Chinese, as shown to the person confirming.
DOUBT = {
    "no_unit": "金额未注明单位",
    "each": "“各”字：每家金额按原文分列",
    "count_kind": "“{unit}”可能指项目数而非单位数",
    "level_guess": "级别据“{word}”推断",
    "scope_guess": "范围据“{word}”推断",
    "province_guess": "省份据正文中的“{word}”推断",
    "issuer_signature": "主管部门取自落款",
    "phase_unknown": "金额口径未注明",
    "allocated": "口径为“安排”（已安排，未必已支付）",
    "issued": "“下达”数，未注明预算阶段",
    "titles_mismatch": "列出{titles}个项目名称，与所述{n}项不一致",
    "part_by_order": "按出现顺序对应部分",
    "part_unnamed": "未找到对应的部分标题",
    "single": "数值按单个主体计（原文未写数量）",
    "item_unit": "数量单位为“{unit}”",
    "city_far": "本市数取前文最近的数",
    "category_desc": "类别名称取自原文对获奖对象的描述（本节有多类奖励而无分类标题）",
    "name_from_text": "资金名称取自正文（标题作“{title}”）",
    "name_text_only": "资金名称取自正文（未找到写明资金的标题）",
    "name_digit": "资金名称中有数字，可能是原文笔误",
    "odd_unit": "单位“{unit}”与同列其他金额不同，可能是原文笔误",
    "form_row": "资金类别“{row}”不是标准自评表的行名（本地表式）：请改为标准行名或删去此行",
    "done_wording": "成果取自“完成”一段（不在绩效章节）",
    "table_gaps": "表中空格在文本里已合并：两个金额按首末两列（{first}、{last}）读",
    "part_subheading": "部分取自编号小标题“{title}”（原文未说明它是资金的组成部分）",
    "part_of_row": "所属部分“{title}”取自编号小标题（原文未说明它是资金的组成部分）",
    "person_unit": "“{unit}”可能是人数或名次，不一定是成果",
    "count_contradicted": "所述总数{n}与同段所列分项之和{total}不一致",
    "title_attachment": "标题取自附件列表（可能是所附报告的标题，而非本文的）",
    "form_issuer": "主管部门写作“{value}”，不只是单位名称",
    "allotted": "“{verb}”数，未注明预算阶段",
    "form_merged": "表中合并的单元格在文本里只写了一次：本行的上级指标同上一行",
    "line_phase": "“其中”所列各项的口径与归属据其前的总数推断（可能是组成部分、明细或资金来源）",
    "named_subject": "句子的主语是“{name}”：可能是其中一个项目的数，不是整个资金的",
}

_AMOUNT_HEADERS = ("预算金额", "年初预算数", "调整数", "全年预算数", "到位资金", "全年执行数", "奖励金额", "金额",
                   "表述值")
#: The cells each reason for doubt is about (a reason not listed here is about every cell of its finding).
DOUBT_COLUMNS: dict[str, tuple[str, ...]] = {
    "no_unit": _AMOUNT_HEADERS, "each": ("金额",), "count_kind": ("获奖单位数",), "level_guess": ("级别",),
    "scope_guess": ("范围",), "province_guess": ("省份",), "issuer_signature": ("主管部门", "城市", "省份"),
    "phase_unknown": ("全年执行数",), "allocated": ("全年执行数", "执行口径"), "issued": ("预算金额",),
    "titles_mismatch": ("项目数",), "part_by_order": ("部分", "负责处室"), "part_unnamed": ("部分", "负责处室"),
    "single": ("数值", "本市"), "item_unit": ("项目数",), "city_far": ("本市",),
    "category_desc": ("类别",),
    "person_unit": ("数值", "单位"), "part_of_row": ("部分", "所属部分"),
    "count_contradicted": ("表述值",), "allotted": ("预算金额",), "form_merged": ("一级指标", "二级指标"),
}
_DOUBT_PATTERNS = tuple((re.compile(re.sub(r"\\\{\w+\\\}", ".+?", re.escape(text)) + "$"), key)
                        for key, text in DOUBT.items())


def doubt_columns(reason: str) -> tuple[str, ...]:
    """The cells a reason for doubt is about (empty: every cell of its finding).

    >>> doubt_columns("范围据“工信部”推断"), doubt_columns("另一种理由")
    (('范围',), ())
    """
    for pattern, key in _DOUBT_PATTERNS:
        if pattern.match(reason):
            return DOUBT_COLUMNS.get(key, ())
    return ()


# ----------------------------------------------------------------------------------------------------
# Vocabularies and patterns

PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
             "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
_PROV = "|".join(PROVINCES)
_PROVINCE_NAME = re.compile(rf"({_PROV})(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?")
#: Province-level names that are written with 市 (municipalities).
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
LEVELS = ("国家级", "省级", "市级", "区级", "县级")
EXECUTION_WORDS = ("执行", "使用", "支出", "拨付", "安排", "兑付", "兑现", "发放", "完成投资")
#: An amount with its unit, as a pattern to compose.
_AMT = (r"(?:\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿点]+)"
        r"\s*(?:亿元|万元|元|万|亿)")
_COUNT_NUM = rf"(?:{nm.ARABIC_NUM}|{nm.CN_NUM})"
_SCOPE_WORDS = {"全省": "全省", "省内": "全省", "全国": "全国", "国内": "全国", "全市": "全市", "市内": "全市",
                "全区": "全区", "全县": "全县"}
_SCOPE = rf"(?:全省|省内|全国|国内|全市|市内|全区|全县|(?:{_PROV})省?)"
_RANK_RE = re.compile(
    r"(?P<verb>名列|位列|位居|位于|居于|排名|排在|排|列|居|处于)?\s*(?P<tie1>并列)?\s*"
    rf"(?P<scope>{_SCOPE})?(?:各市|各地|同类城市|设区市)?中?\s*(?P<tie2>并列)?\s*"
    r"(?:第\s*(?P<n>\d{1,3}|[一二三四五六七八九十]{1,3})(?![批期届次轮季个家年号条款章部节项类阶\d])\s*(?P<suffix>名|位)?"
    r"|(?P<word>前列|前茅|首位|榜首|第一方阵|前三|前五|前十|领先))"
)
_RANK_WORDS = {"首位": 1, "榜首": 1}
_SHARE_RE = re.compile(
    rf"(?P<who>我市|本市|我区|本区|我县|本县)?(?P<phrase>占(?P<scope>全省|全国|全市)(?:总数|总量)?(?:的)?(?:比重|比例)?"
    rf"(?:为|达)?\s*(?P<frac>\d+\s*/\s*\d+|{nm.CN_NUM}分之{nm.CN_NUM}|一半|\d+(?:\.\d+)?%))"
)
_BASE_RE = re.compile(
    rf"(?P<scope>全国|全省|(?:{_PROV})省?)(?:共有|共|仅有|仅|累计|有)?\s*(?P<num>{_COUNT_NUM})\s*(?P<unit>家|个|项|所|人)")
_CITY_COUNT_RE = re.compile(rf"(?:我市|本市)(?:共有|共|有)?\s*(?P<num>{_COUNT_NUM})\s*(?P<unit>家|个|项|所|人)")
_SELECTION_RE = re.compile(r"入选|获评|获批|认定为|被认定|评为|列入|中标|成功创建|获得")
_SCOPE_HINTS = (
    ("全省", rf"全省|省级|省委|省政府|省内|省[\u4e00-\u9fff]{{0,3}}(?:厅|委|局|办)|(?:{_PROV})省?"),
    ("全国", r"全国|国家|国务院|工信部|工业和信息化部|商务部|科技部|发改委|财政部|中央|国内"),
    ("全市", r"全市|市级"),
)
_USAGE_RE = re.compile(r"使用|支出|执行|安排|分配|投向|开支")
_OUTCOME_RE = re.compile(r"绩效|成效|效益|成果|产出|完成情况|目标|亮点")
#: Headings about the fund as a whole (资金使用, 预算调整与到位情况…), not one of its parts.
_TOPIC_RE = re.compile(r"^(?:专项资金|项目资金|资金|预算|基本|总体)"
                       r"|(?:情况|概况|方向|管理|安排|来源|规模|执行|使用|到位|调整|拨付)$")
_PUBLICITY_RE = re.compile(r"宣传|媒体|广告|推介|新闻")
_MEDIA_SUFFIX = (r"日报社|日报|晚报社|晚报|早报|商报|报社|广播电视台|电视台|电台|广电传媒|广电|融媒体中心|"
                 r"传媒中心|传媒集团|传媒|新闻网|新闻中心|网|周刊|杂志社|杂志|频道")
_ORG_SUFFIX = r"有限公司|公司|中心|集团|社"
_NOT_MEDIA = re.compile(r"(?:互联网|物联网|局域网|电网|管网|骨干网|专网)$")
_NAME_START = re.compile(r"委托|由|在|通过|向|对|与|分别为|分别|其中|包括|为|和|及|聘请|联合|合作|选择|经|并|给|请"
                         r"|：|:")
_MARKER_AT_START = re.compile(
    r"^\s*(?:\d{1,2}\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[）)]|[一二三四五六七八九十]{1,3}、)\s*")
_DEPT_SUFFIX = re.compile(r"(?:处|科|室|局|中心|办|股|部|所|站|队|委|厅|公司)$")
_DATE = (r"(?:(?:\d{4}|20[xX×]{2}|[xX]{2,4})\s*年\s*)?\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"
         r"|\d{4}[-./]\d{1,2}[-./]\d{1,2}")


def _word(text: str, pattern: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(0) if m else None


def is_outcome_section(section: Section) -> bool:
    """True in a section about results (绩效, 成效, 产出…), where counts are outcomes.

    >>> from fundanalysis.extract.text import parse_document
    >>> is_outcome_section(parse_document("四、绩效情况\\n1、新增企业29家。").sentences[-1].section)
    True
    """
    return any(h.level <= 2 and _OUTCOME_RE.search(h.title) for h in section.headings)


def _block(section: Section) -> Heading | None:
    """A 2nd-level heading under a usage section (使用情况…) that is neither a topic (资金到位情况…)
    nor a result heading: a part of the fund or a spending line."""
    top, block = section.at_level(1), section.at_level(2)
    if top is None or block is None or not _USAGE_RE.search(top.title) or is_outcome_section(section):
        return None
    return None if _TOPIC_RE.search(block.title) else block


@lru_cache(maxsize=16)
def _part_statements(text: str) -> tuple[str, ...]:
    """The sentences of a report that speak of its parts (分为两部分，一部分由…)."""
    return tuple(re.sub(r"\s+", "", s) for s in re.split(r"[。！？]", text)
                 if re.search(r"(?:分为|分成|包括)[^，。；]{0,4}部分|[一二两三四五六七八九十\d]大?部分", s))


def part_heading(doc: Document, section: Section) -> Heading | None:
    """The part of the fund a section belongs to: a 2nd-level block under a usage section that the
    report shows to be a part, by a tally (72个项目…), by items listed under it, or by naming it in a
    sentence about the parts (一部分由…负责…). Other blocks are spending lines (:func:`spending_line`)."""
    found = part_evidence(doc, section)
    return found[0] if found else None


def part_evidence(doc: Document, section: Section) -> tuple[Heading, str] | None:
    """The part heading of a section and what shows it to be a part: ``"tally"`` (its bracketed tally),
    ``"statement"`` (a sentence about the parts names it) or ``"items"`` (only numbered items under it:
    the weakest, since any numbered sub-heading has items).

    >>> from fundanalysis.extract.text import parse_document
    >>> doc = parse_document("三、资金使用情况\\n（一）宣传推介（2个项目，80万元）\\n1、甲\\n（二）其他工作\\n1、乙")
    >>> [(h.title, why) for h, why in (part_evidence(doc, s.section) for s in doc.sentences if s.line in (2, 4))]
    [('宣传推介', 'tally'), ('其他工作', 'items')]
    """
    block = _block(section)
    if block is None:
        return None
    tally = _tally(block.line)
    if tally is not None and tally["n"]:
        return block, "tally"
    title = re.sub(r"\s+", "", block.title)
    if any(title in s for s in _part_statements(doc.text)):
        return block, "statement"
    if any(ln.heading is not None and ln.heading.level > block.level for ln in doc.lines_in(block)):
        return block, "items"
    return None


def spending_line(doc: Document, section: Section) -> tuple[str | None, str] | None:
    """The spending line a section is about, as (part label or None, title): a list item under a
    usage section, or a 2nd-level block there that is not a part; else None."""
    top, item = section.at_level(1), _item_heading(section)
    if top is None or not _USAGE_RE.search(top.title) or is_outcome_section(section):
        return None
    part = part_heading(doc, section)
    if item is None:
        block = _block(section)
        return (None, block.title) if block is not None and part is None else None
    if part is not None and item.level <= part.level:
        return None
    return (part.label if part else None), item.title


def _item_heading(section: Section) -> Heading | None:
    """The deepest heading below the 2nd level (a list item such as ``1、两化融合管理体系贯标``)."""
    deepest = section.deepest
    return deepest if deepest is not None and deepest.level >= 3 else None


def media_name(chunk: str, publicity: bool = False) -> str | None:
    """The outlet named in a text chunk: the words before a media suffix (日报, 电视台, 网…) back to the
    nearest word such as 为, 委托 or 由; None if it names none.

    >>> media_name("委托云岭晚报开展专题宣传"), media_name("宣传经费分别为青川电视台120万元"), media_name("中吴网")
    ('云岭晚报', '青川电视台', '中吴网')
    >>> media_name("工业互联网平台") is None
    True
    """
    suffix = _MEDIA_SUFFIX + ("|" + _ORG_SUFFIX if publicity else "")
    m = re.search(rf"(?:{suffix})(?![\u4e00-\u9fff]?(?:{suffix}))", chunk)
    if not m:
        return None
    head = chunk[:m.start()]
    cut = max((d.end() for d in _NAME_START.finditer(head)), default=0)
    name = (head[cut:] + m.group(0)).strip()
    name = re.sub(r"^[^\u4e00-\u9fffA-Za-z（(]+", "", name)
    if _NOT_MEDIA.search(name) or len(name) < 3 or re.search(r"\d", name):
        return None
    return name


# ----------------------------------------------------------------------------------------------------
# Context, hits and the registry


@dataclass(frozen=True)
class Hit:
    """What a rule found: an output of :data:`OUTPUTS`, its fields and reasons for doubt."""

    output: str
    fields: Mapping[str, object]
    uncertain: tuple[str, ...] = ()


@dataclass
class Context:
    """One sentence in its document, with the spans of figures already claimed by earlier rules."""

    doc: Document
    sentence: Sentence
    claimed: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The sentence as written."""
        return self.sentence.text

    @cached_property
    def norm(self) -> str:
        """The sentence with ASCII digits (same length)."""
        return nm.halfwidth(self.sentence.text)

    @property
    def section(self) -> Section:
        """The section the sentence is in."""
        return self.sentence.section

    @cached_property
    def _shielded(self) -> list[tuple[int, int]]:
        """Spans inside 《》, 〔〕 and quotes: titles and document numbers, not figures."""
        return [(a, b) for a, b in bracket_pairs(self.text).items() if self.text[a] in "《〔“‘「"]

    def free(self, start: int, end: int) -> bool:
        """True if no earlier rule claimed any of the span."""
        return all(end <= a or start >= b for a, b in self.claimed)

    def claim(self, start: int, end: int) -> None:
        """Mark a span as used."""
        self.claimed.append((start, end))

    def shielded(self, start: int) -> bool:
        """True if a position is inside a title, a document number or quotes."""
        return any(a < start < b for a, b in self._shielded)

    def amounts(self, free: bool = True) -> list[nm.AmountMatch]:
        """Amounts of the sentence (unclaimed ones by default), outside titles."""
        return [m for m in nm.find_amounts(self.text) if not self.shielded(m.start)
                and (not free or self.free(m.start, m.end))]

    def counts(self, free: bool = True) -> list[nm.CountMatch]:
        """Counts of the sentence (unclaimed ones by default), outside titles and quotes."""
        return [c for c in nm.find_counts(self.text) if not self.shielded(c.start)
                and (not free or self.free(c.start, c.end))]

    def clause_at(self, pos: int) -> tuple[int, int]:
        """The clause span (bracket-aware) holding a position."""
        for a, b in split_clauses(self.text):
            if a <= pos < b:
                return a, b
        return 0, len(self.text)


@dataclass(frozen=True)
class Rule:
    """A named rule: the function, an example text and its docstring."""

    name: str
    example: str
    func: Callable[[Context], Iterable[Hit]]

    @property
    def doc(self) -> str:
        """The rule's docstring."""
        return inspect.getdoc(self.func) or ""


#: The registry, in the order the engine runs the rules.
RULES: list[Rule] = []


def rule(name: str, example: str) -> Callable[[Callable[[Context], Iterable[Hit]]], Callable[[Context], Iterable[Hit]]]:
    """Register a rule function under ``name`` with an example text (a sentence, or a few lines with
    their headings when the rule needs them)."""
    def register(func: Callable[[Context], Iterable[Hit]]) -> Callable[[Context], Iterable[Hit]]:
        if any(r.name == name for r in RULES):
            raise ValueError(f"rule {name!r} is registered twice")
        RULES.append(Rule(name, example, func))
        return func
    return register


#: Words of a heading about a topic of the report (项目基本情况简介, 实施内容), not a component of the fund.
_REPORT_TOPIC = re.compile(r"情况|简介|概况|概述|说明|背景|内容|措施|做法")


def general_doubts(ctx: Context, hit: Hit) -> Hit:
    """A rule's hit with the reasons for doubt that hold whatever rule read it: a part known only from
    a numbered sub-heading with items under it (any numbered heading has items) or whose heading names a
    topic of the report (…情况, …简介), and a count in 名 read as a result (名 counts people, or is a
    rank). A part in doubt puts its own row (资金组成, or a total of the part) in doubt as a whole: the
    row may not be a part at all; in another row it puts only the part's cell in doubt.

    >>> from fundanalysis.extract.text import parse_document
    >>> doc = parse_document("三、资金使用情况\\n（一）其他工作\\n1、甲\\n安排经费5万元。")
    >>> general_doubts(Context(doc, doc.sentences[-1]), Hit("part", {"part": "（一）其他工作"})).uncertain
    ('部分取自编号小标题“其他工作”（原文未说明它是资金的组成部分）',)
    >>> general_doubts(Context(doc, doc.sentences[-1]), Hit("outcome", {"value": 1, "unit": "名"})).uncertain
    ('“名”可能是人数或名次，不一定是成果',)
    """
    doubts: list[str] = []
    part = hit.fields.get("part")
    if part is not None:
        found = part_evidence(ctx.doc, ctx.section)
        # a part's own row (资金组成, 报告总计) is in doubt as a whole; another row only for its part
        key = "part_subheading" if hit.output in ("part", "total") else "part_of_row"
        if found is not None and found[1] == "items" and part in (found[0].label, found[0].title):
            doubts.append(DOUBT[key].format(title=found[0].title))
        elif _REPORT_TOPIC.search(str(part)):
            doubts.append(DOUBT[key].format(title=part))
    issuer = hit.fields.get("issuer")
    if issuer is not None and not re.fullmatch(r"[\u4e00-\u9fff（）()]{2,40}", str(issuer)):
        doubts.append(DOUBT["form_issuer"].format(value=issuer))
    if hit.output == "outcome" and hit.fields.get("unit") == "名" and hit.fields.get("rank") is None:
        doubts.append(DOUBT["person_unit"].format(unit="名"))
    return Hit(hit.output, hit.fields, hit.uncertain + tuple(doubts)) if doubts else hit


# ----------------------------------------------------------------------------------------------------
# Helpers shared by rules


def _level(desc: str) -> tuple[str | None, tuple[str, ...]]:
    for level in LEVELS:
        if level in desc:
            return level, ()
    for level, pattern in (("国家级", r"国家|全国|工信部|国务院"), ("省级", r"省"), ("市级", r"市级")):
        word = _word(desc, pattern)
        if word:
            return level, (DOUBT["level_guess"].format(word=word),)
    return None, ()


def _infer_scope(after: str, before: str) -> tuple[str | None, str | None]:
    """The scope a clause speaks of (全国/全省/全市) from words such as 工信部 or 江苏省: the first
    such word after the figure, else the last one before it."""
    best: tuple[int, str, str] | None = None
    for scope, pattern in _SCOPE_HINTS:
        m = re.search(pattern, after)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), scope, m.group(0))
    if best:
        return best[1], best[2]
    last: tuple[int, str, str] | None = None
    for scope, pattern in _SCOPE_HINTS:
        for m in re.finditer(pattern, before):
            if last is None or m.start() > last[0]:
                last = (m.start(), scope, m.group(0))
    return (last[1], last[2]) if last else (None, None)


def _scope_of(word: str | None) -> str | None:
    if not word:
        return None
    return _SCOPE_WORDS.get(word, "全省")


def _strip_digit_brackets(text: str) -> str:
    pairs = bracket_pairs(text)
    cut = [(a, b) for a, b in pairs.items() if text[a] in "（(" and re.search(r"\d", text[a:b])]
    for a, b in sorted(cut, reverse=True):
        text = text[:a] + text[b + 1:]
    return text


_HEAD_FILLER = re.compile(r"^(?:其中|另有|我市|我区|我县|本市|共有|共计|共|累计|已|完成|达到|达|总数)+")
_TAIL_FILLER = re.compile(r"(?:数量|总数|达到|达|为|共|累计|已)+$")


def _core(text: str) -> str:
    text = _strip_digit_brackets(_MARKER_AT_START.sub("", text))
    for m in list(_RANK_RE.finditer(text))[::-1]:
        if _is_rank(m):
            text = text[:m.start()] + text[m.end():]
    text = _SHARE_RE.sub("", text)
    text = _TARGET_RE.sub("", nm.halfwidth(text))
    found: list[Any] = [*nm.find_counts(text), *nm.find_percents(text), *nm.find_amounts(text)]
    spans = [(f.start, f.end) for f in found]
    for a, b in sorted(spans, reverse=True):
        text = text[:a] + text[b:]
    text = re.sub(r"\s+", "", text)
    return _TAIL_FILLER.sub("", _HEAD_FILLER.sub("", text))


def _indicator(ctx: Context, start: int) -> str | None:
    """What a figure at ``start`` measures: its clause without figures and filler words, else the
    previous clause (``总数163家`` after ``…企业数量63家`` → ``…企业总数``), else the item heading."""
    clauses = split_clauses(ctx.text)
    idx = next((i for i, (a, b) in enumerate(clauses) if a <= start < b), 0)
    a, b = clauses[idx] if clauses else (0, len(ctx.text))
    core = _core(ctx.text[a:b])
    if len(core) >= 3:
        return core
    extra = "总数" if "总数" in ctx.text[a:b] else ""
    if idx > 0:
        pa, pb = clauses[idx - 1]
        prev = _core(ctx.text[pa:pb])
        if len(prev) >= 2:
            return re.sub(r"数量$", "", prev) + extra
    item = _item_heading(ctx.section)
    return item.title if item else (core or None)


def _is_rank(m: re.Match[str]) -> bool:
    if m["word"]:
        return bool(m["verb"] or m["scope"])
    return bool(m["verb"] or m["scope"] or m["tie1"] or m["tie2"] or m["suffix"])


def _rank_number(m: re.Match[str]) -> int | None:
    if m["word"]:
        return _RANK_WORDS.get(m["word"])
    n = m["n"]
    return int(n) if n.isdigit() else nm.parse_cn_int(n)


def _count_fields(c: nm.CountMatch) -> dict[str, object]:
    return {"value": c.value, "unit": c.unit}


def _names_in(text: str, publicity: bool) -> list[tuple[int, str]]:
    """Outlets named in a sentence, in order, with their positions."""
    out: list[tuple[int, str]] = []
    start = 0
    for i, ch in enumerate(text + "，"):
        if ch in "、，,和与及：:；;（）()" or i == len(text):
            chunk = text[start:i]
            name = media_name(chunk, publicity)
            if name:
                out.append((start + chunk.find(name), name))
            start = i + 1
    return out


def _part_title(doc: Document, section: Section) -> str | None:
    part = part_heading(doc, section)
    return part.title if part else None


def _publicity(section: Section) -> bool:
    part = section.at_level(2) or section.at_level(1)
    return bool(part and _PUBLICITY_RE.search(part.title))


def _outlet_heading(section: Section) -> Heading | None:
    """The item heading of a section if it names a media outlet (by name, or in a publicity part)."""
    item = _item_heading(section)
    if item is None or is_outcome_section(section):
        return None
    if _publicity(section) or media_name(item.title) == item.title:
        return item
    return None


_TALLY_RE = re.compile(
    rf"[（(]\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>个项目|项目|项|个|篇|期|条|家)\s*[,，、;；]?\s*(?:共计|合计|金额|资金)?\s*"
    rf"(?P<amt>{_AMT}|\d+(?:\.\d+)?)?\s*[）)]"
    rf"|[（(]\s*(?P<amt2>{_AMT})\s*[）)]"
)


def _tally(line: str) -> re.Match[str] | None:
    """The bracketed tally of a heading line, ``（72个项目，667万元）`` or ``(2 项, 71.9 万元)``."""
    norm = nm.halfwidth(line)
    matches = [m for m in _TALLY_RE.finditer(norm)
               if not re.search(r"预算|执行|支出|到位|拨付|使用|安排|调[整减增]", norm[m.start():m.end()])]
    return matches[0] if matches else None


def _amount_of(text: str) -> tuple[str, tuple[str, ...]]:
    found = nm.find_amounts(text)
    if found:
        return found[0].amount, ()
    return nm.format_amount(text.strip()), (DOUBT["no_unit"],)


def _title_lines(doc: Document, heading: Heading) -> list[str]:
    """Item titles listed under an outlet heading: short lines without a sentence end, or 《…》 after its colon."""
    titles: list[str] = []
    for line in doc.lines_in(heading):
        if line.heading is heading:
            _, _, tail = line.text.partition("：")
            titles += [t.strip() for t in re.findall(r"《([^《》]+)》", tail)]
        elif line.heading is None and _is_title_line(line.text):
            titles.append(line.text.strip())
    return titles


def _is_title_line(text: str) -> bool:
    t = text.strip()
    return 0 < len(t) <= 50 and not any(ch in t for ch in "。；！？;") and not nm.find_amounts(t)


def _province_mentions(text: str) -> list[str]:
    return [m.group(1) for m in _PROVINCE_NAME.finditer(text)]


# ----------------------------------------------------------------------------------------------------
# The rules, in the order they run


_TITLE_END = r"(?P<fund>.+?)(?:绩效)?(?:单位)?(?:自我评价|自评价|自评|评价)(?:工作)?(?:情况)?的?报告$"
_ISSUER = r"(?:局|厅|委员会|委|办公室|政府|中心|院|部)"
#: A title naming the issuer (if at all) before the year: ``常州市工信局2019年度工业互联网专项资金自我评价报告``.
_TITLE_RE = re.compile(rf"^(?:关于)?(?P<issuer>.*?{_ISSUER})?(?:关于)?(?P<year>\d{{4}})年度?" + _TITLE_END)
#: A title giving the year first, then a local issuer: ``2022年度某市工业和信息化局部门整体支出绩效自评报告``.
_TITLE_YEAR_FIRST_RE = re.compile(
    rf"^(?P<year>\d{{4}})年度?(?P<issuer>[^\d]*?[市县州省区旗][^\d]*?{_ISSUER})?" + _TITLE_END)
#: A fund's name that says only what kind of money it is: the text may name the fund itself.
_GENERIC_NAME = re.compile(r"^(?:省级|市级|县级|区级|中央|上级)?(?:财政)?(?:专项)?(?:资金|经费)$")
#: The text naming the fund it evaluates: ``对2023年度某省中小企业发展专项资金…开展了绩效评价``.
_TEXT_FUND_RE = re.compile(
    r"对\s*(?:(?:\d{4}|[XxＸｘ]{2}|20[XxＸｘ]{2})\s*年度?)?(?P<name>[^，。；,;：:、《》]{2,30}?(?:专项资金|专项费|资金))"
    r"(?:项目)?(?:的)?(?:管理)?(?:使用|支出)?(?:情况)?(?:进行|开展)")
#: The text naming the fund whose report it is: ``现将我镇20xx年度衔接资金项目绩效自评报告如下``.
_TEXT_REPORT_FUND_RE = re.compile(
    r"现将\s*(?:我|本)?[镇乡县区市州局厅委]?\s*(?:(?:\d{4}|20[xX]{2}|[xX]{2})\s*年度?)?"
    r"(?P<name>[^，。；,;：:、《》\d]{2,30}?(?:专项资金|资金))(?:项目)?(?:支出)?的?(?:绩效)?(?:自评|评价)")
#: A place written anonymised in a published copy (``xx省``, ``XX市``).
_ANON_PLACE = re.compile(r"^[XxＸｘ]{2,}[省市县区]")
#: The year the text gives for the money (not the year of a notice it cites): ``2021年度财政衔接资金``.
_TEXT_YEAR_RE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年度")
_ORG_LINE = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}(?:局|厅|委员会|委|办公室|政府|中心)$")


@rule("report_title", "常州市工信局 2019 年度 工业互联网专项资金自我评价报告")
def report_title(ctx: Context) -> Iterable[Hit]:
    """The report's title: the fund's name, the issuer, its city and the year.

    The issuer may instead stand on a line of its own near the title (or sign at the end: marked).
    The province is taken from the issuer, else from the province the text names far more often
    than any other (marked).
    """
    if ctx.sentence.line != _title_index(ctx.doc) or ctx.sentence.in_heading:
        return
    title = re.sub(r"\s+", "", nm.halfwidth(ctx.doc.title))
    m = _TITLE_YEAR_FIRST_RE.match(title) if re.match(r"\d{4}", title) else None
    m = m or _TITLE_RE.match(title)
    if not m:
        return
    name, doubts = fund_name(ctx.doc, m["fund"], ctx.sentence.line)
    idx = ctx.sentence.line
    listed = re.match(r"\s*(?:附件\s*[:：]?\s*)?\d{1,2}\s*[.、．]", nm.halfwidth(ctx.doc.title))
    if listed or any("附件" in ln.text for ln in ctx.doc.lines[max(0, idx - 8):idx + 1]):
        doubts.append(DOUBT["title_attachment"])  # 附件：1.…报告 lists a report, it may not be this one
    fields: dict[str, object] = {"name": name, "year": int(m["year"])}
    issuer = m["issuer"]
    if not issuer:
        lines = [ln.text.strip() for ln in ctx.doc.lines]
        idx = ctx.sentence.line
        near = [t for t in lines[idx + 1:idx + 3] + lines[max(0, idx - 2):idx][::-1] if _ORG_LINE.match(t)]
        far = [t for t in lines[-3:] if _ORG_LINE.match(t)]
        if near:
            issuer = near[0]
        elif far:
            issuer, doubts = far[0], [DOUBT["issuer_signature"]]
    if issuer:
        fields["issuer"] = issuer
        place = re.match(rf"^(?P<prov>(?:{_PROV})(?:省|自治区))?(?P<city>[\u4e00-\u9fff]{{1,6}}?市)", issuer)
        if place:
            fields["city"] = place["city"]
            if place["prov"]:
                fields["province"] = place["prov"]
            elif place["city"][:-1] in _MUNICIPALITIES:
                fields["province"] = place["city"]
    if "province" not in fields:
        ranked = Counter(_province_mentions(ctx.doc.text)).most_common(2)
        if ranked and (len(ranked) == 1 or ranked[0][1] > 2 * ranked[1][1]):
            name = ranked[0][0]
            fields["province"] = name + ("市" if name in _MUNICIPALITIES else "省")
            doubts.append(DOUBT["province_guess"].format(word=name))
    yield Hit("fund", fields, tuple(doubts))


def fund_name(doc: Document, name: str, line: int) -> tuple[str, list[str]]:
    """The fund's name from the title's words: a name in brackets on the line after the title (the title
    then says only 项目), ``…资金支出`` as ``…资金``, and a name that says only what kind of money it is
    replaced by the one the text gives (marked); a name holding a digit is marked.

    >>> from fundanalysis.extract.text import parse_document
    >>> doc = parse_document("2017年度项目绩效自评报告\\n（电子政务运行维护项目）\\n一、基本情况")
    >>> fund_name(doc, "项目", 0)
    ('电子政务运行维护项目', [])
    >>> fund_name(parse_document("某市2021年度省级财政专项资金绩效评价报告\\n下达至某市的省级促进经济发展专项资金合计"
    ...                          "100万元。"), "省级财政专项资金", 0)
    ('省级促进经济发展专项资金', ['资金名称取自正文（标题作“省级财政专项资金”）'])
    """
    doubts: list[str] = []
    nxt = doc.lines[line + 1].text.strip() if line + 1 < len(doc.lines) else ""
    bracket = re.fullmatch(r"[（(](?P<name>[^（()）]{2,30})[)）]", nxt)
    if bracket and name in ("项目", "专项资金", "资金", "项目资金"):
        name = bracket["name"]
    name = re.sub(r"(?<=资金)(?:支出|项目)$", "", name)
    if _GENERIC_NAME.match(name):
        m = re.search(r"的\s*(?P<name>(?:省级|市级|县级|区级|中央)[\u4e00-\u9fff]{2,24}?专项资金)",
                      " ".join(ln.text for ln in doc.lines[line + 1:line + 8]))
        if m:
            doubts.append(DOUBT["name_from_text"].format(title=name))
            name = m["name"]
    if re.search(r"\d", name):
        doubts.append(DOUBT["name_digit"])
    return name, doubts


@rule("text_fund", "根据有关要求，我厅对2023年度某省中小企业发展专项资金管理使用情况开展了绩效评价。")
def text_fund(ctx: Context) -> Iterable[Hit]:
    """The fund the text says it evaluates (``对…专项资金…开展评价``) or reports on (``现将…资金项目绩效自评
    报告如下``), when the title names none (marked: not from a title); its year when the text gives one
    (``对2023年度…``)."""
    title = re.sub(r"\s+", "", nm.halfwidth(ctx.doc.title))
    if ctx.sentence.line > 12 or _TITLE_RE.match(title) or _TITLE_YEAR_FIRST_RE.match(title):
        return
    unquoted = re.sub(r"《[^》]*》", lambda x: "《" + "＿" * (len(x.group()) - 2) + "》", ctx.norm)
    m = _TEXT_FUND_RE.search(unquoted) or _TEXT_REPORT_FUND_RE.search(unquoted)
    if not m:
        return
    name = _ANON_PLACE.sub("", m["name"])
    fields: dict[str, object] = {"name": name}
    year = re.search(r"(?:19|20)\d{2}", ctx.norm[m.start():m.start("name")])
    if year:
        fields["year"] = int(year.group())
    yield Hit("fund", fields, (DOUBT["name_text_only"],))


@rule("text_year", "建设项目绩效自评报告\n我局承担某县2021年度财政衔接资金道路建设项目实施任务。")
def text_year(ctx: Context) -> Iterable[Hit]:
    """The year of the money when the title gives none: the first ``YYYY年度`` of the opening sentences
    outside the names of documents cited (a notice's year may be the next year's)."""
    title = re.sub(r"\s+", "", ctx.doc.title)
    if ctx.sentence.line > 12 or re.search(r"\d{4}\s*年", title):
        return
    m = _TEXT_YEAR_RE.search(re.sub(r"《[^》]*》", lambda x: "《" + "＿" * (len(x.group()) - 2) + "》", ctx.norm))
    if m:
        yield Hit("fund", {"year": int(m["year"])})


def _title_index(doc: Document) -> int:
    """The line the title starts on (a title may have lost a file extension or be joined from two lines)."""
    squeeze = re.sub(r"\s+", "", doc.title)
    for ln in doc.lines:
        text = re.sub(r"\s+", "", ln.text)
        if text and (text == squeeze or text.startswith(squeeze) or (squeeze.startswith(text) and len(text) >= 6)):
            return ln.index
    return -1


#: One batch or project of the fund with the money approved or allotted to it:
#: ``一批项目县级批复总投资3374.3万元``, ``合计批复总投资6222.4万元``.
_BATCH_BUDGET_RE = re.compile(
    rf"(?:(?P<total>合计|总计|共计)|(?P<part>(?:[一二三四五六七八九十]|\d{{1,2}})批项目|第[一二三四五六七八九十\d]{{1,3}}批))"
    rf"[^，。；,;\d]{{0,6}}?(?:批复|下达|安排)(?:总)?(?:投资|资金|经费)?\s*(?:为|共)?\s*(?P<amt>{_AMT})")
#: Money given to the project a numbered heading names (``（一）项目1：`` … ``上级补助经费80万元``).
_PROJECT_MONEY_RE = re.compile(
    rf"(?:上级|中央|省级|市级|县级)?(?P<verb>补助|安排|下达|批复)(?:项目)?(?:经费|资金)\s*(?:为|共)?\s*(?P<amt>{_AMT})")


@rule("project_budget", "一、县级批复资金情况\n该项目分两批实施，一批项目县级批复总投资300万元(其中建筑工程290万元)，"
                        "二批项目县级批复投资200万元，合计批复总投资500万元。")
def project_budget(ctx: Context) -> Iterable[Hit]:
    """The money approved or allotted to each batch of a fund's projects (``一批项目…批复总投资N万元``) and
    their sum (``合计批复总投资N万元``, the fund's 预算金额), and the money given to the project a numbered
    heading names (``（一）项目1`` … ``补助经费80万元``, marked: its phase is not stated)."""
    for m in _BATCH_BUDGET_RE.finditer(ctx.norm):
        if not ctx.free(*m.span("amt")) or any(a < m.start() < b for a, b in bracket_pairs(ctx.text).items()):
            continue
        ctx.claim(*m.span("amt"))
        amount = nm.find_amounts(ctx.text[m.start("amt"):m.end("amt")])[0].amount
        verb = re.search(r"批复|下达|安排", m.group(0)).group(0)  # type: ignore[union-attr]
        doubts = () if verb == "批复" else (DOUBT["allotted"].format(verb=verb),)
        if m["total"]:
            yield Hit("fund", {"budget": amount}, doubts)
        else:
            yield Hit("part", {"part": m["part"], "budget": amount}, doubts)
    named = [h for h in reversed(ctx.section.headings)
             if re.fullmatch(r"项目\s*\d{1,2}|[\u4e00-\u9fff]{2,20}项目", h.title.rstrip("：: "))]
    if not named:
        return
    heading = named[0]
    for m in _PROJECT_MONEY_RE.finditer(ctx.norm):
        if ctx.free(*m.span("amt")) and not ctx.shielded(m.start("amt")):
            ctx.claim(*m.span("amt"))
            amount = nm.find_amounts(ctx.text[m.start("amt"):m.end("amt")])[0].amount
            yield Hit("part", {"part": heading.title.rstrip("：: "), "budget": amount},
                      (DOUBT["allotted"].format(verb=m["verb"]),))


_FUND_TOTAL_RE = re.compile(
    rf"(?:专项资金|资金)?(?:预算)?(?:总额|总规模|规模|总量)\s*(?:为|是|达|共|共计)?\s*(?P<amt>{_AMT})"
    rf"|(?P<issued>下达)(?:专项)?(?:资金|经费)?\s*(?:共计|合计|总计|共)?\s*(?:为)?\s*(?P<amt2>{_AMT})"
    rf"|(?:我|本)(?:镇|乡|县|区|市|州|局|厅|委|办|单位|部门|中心)[^，。；,;\d]{{0,6}}?(?P<got>获得|争取到?|收到)"
    rf"[^，。；,;\d]{{0,12}}?(?:资金|经费)\s*(?:共计|合计|总计|共)?\s*(?:为)?\s*(?P<amt3>{_AMT})")


@rule("fund_total", "2019 年度工业互联网专项资金总额 1000 万元。")
def fund_total(ctx: Context) -> Iterable[Hit]:
    """The fund's total with no budget phase stated (专项资金总额…万元), and the report's words for it as
    预算口径; a 下达 amount, or what the unit says it got (我镇获得…资金共N万元), is marked."""
    if part_heading(ctx.doc, ctx.section) is not None:
        return
    for m in _FUND_TOTAL_RE.finditer(ctx.norm):
        a, b = m.span("amt") if m["amt"] else m.span("amt2") if m["amt2"] else m.span("amt3")
        if not ctx.free(a, b) or ctx.shielded(a):
            continue
        amount, doubts = _amount_of(ctx.text[a:b])
        if m["issued"]:
            doubts += (DOUBT["issued"],)
        if m["got"]:
            doubts += (DOUBT["allotted"].format(verb=m["got"]),)
        ctx.claim(a, b)
        words = re.sub(r"\s+", "", ctx.text[m.start("got") if m["got"] else m.start():a])
        words = re.sub(r"(?<!下)(?:为|是|达|共计|合计|总计|共)+$", "", words)
        yield Hit("fund", {"budget": amount, "budget_phase": words or None}, doubts)


_DEPT_RE = re.compile(r"由\s*(?P<dept>[^，。；,;由\d]{2,20}?)\s*(?:牵头负责|具体负责|负责|牵头|组织实施|承担|管理)")


@rule("part_departments",
      "三、资金使用情况\n资金分为两大部分，一部分由两化融合推进处负责组织工业互联网项目申报和评审，"
      "一部分由局办公室负责工业互联网宣传工作。\n（一）工业互联网项目\n（二）工业互联网宣传")
def part_departments(ctx: Context) -> Iterable[Hit]:
    """Each part of the fund and the department in charge (一部分由X处负责…); the part is the
    2nd-level heading whose title the clause names, else the one in the same order (marked)."""
    if "部分" not in ctx.text:
        return
    top = ctx.section.at_level(1)
    parts = [h for h in ctx.doc.children(top, 2) if not _TOPIC_RE.search(h.title)]
    for i, m in enumerate(_DEPT_RE.finditer(ctx.text)):
        dept = m["dept"].strip()
        if not _DEPT_SUFFIX.search(dept):
            continue
        a, b = ctx.clause_at(m.start())
        clause = re.sub(r"\s+", "", ctx.text[a:b])
        named = [h for h in parts if re.sub(r"\s+", "", h.title) in clause]
        if named:
            yield Hit("part", {"part": named[0].label, "department": dept})
        elif i < len(parts):
            yield Hit("part", {"part": parts[i].label, "department": dept}, (DOUBT["part_by_order"],))
        else:
            what = re.sub(r"^(?:另|其中)?一?部分", "", ctx.text[a:m.start()]).strip() or ctx.text[m.end():b].strip()
            yield Hit("part", {"part": what, "department": dept}, (DOUBT["part_unnamed"],))


@rule("heading_tally", "三、使用情况\n（一）工业互联网项目（72个项目，667万元）")
def heading_tally(ctx: Context) -> Iterable[Hit]:
    """A part's or the fund's heading with its tally, ``（一）工业互联网项目（72个项目，667万元）``: stated
    totals to check (项目数, 使用资金) and the part's amount (its phase unstated, so marked)."""
    heading = ctx.section.deepest
    if not ctx.sentence.in_heading or heading is None or heading.level > 2:
        return
    m = _tally(ctx.text)
    if not m:
        return
    part = part_heading(ctx.doc, ctx.section) if heading.level == 2 else None
    if heading.level == 2 and part is None:
        return
    part_name = part.title if part else None
    if m["n"]:
        n = nm.count_value(nm.parse_number(m["n"]))
        unit = "个" if m["unit"].startswith("个") else m["unit"].replace("项目", "个")
        check = TOTAL_CHECKS["projects"] if part else TOTAL_CHECKS["all_projects"]
        yield Hit("total", {"check": check, "part": part_name, "stated": f"{n}{unit}"})
    amt = m["amt"] or m["amt2"]
    if amt:
        amount, doubts = _amount_of(amt)
        yield Hit("total", {"check": TOTAL_CHECKS["spent"], "part": part_name, "stated": amount}, doubts)
        target = ("part", {"part": part.label}) if part else ("fund", {})
        yield Hit(target[0], {**target[1], "executed": amount}, (*doubts, DOUBT["phase_unknown"]))
    ctx.claim(m.start(), m.end())


_AWARD_KIND = r"奖励|补助|资助|扶持|奖补"
_AWARD_RES = (
    re.compile(rf"(?:共有|共|合计)?\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)\s*(?P<desc>[^，。；,;]{{2,40}}?)\s*(?:共|合计|分别)?"
               rf"(?:获得|获|得到|享受)\s*(?:{_AWARD_KIND})?(?:资金)?(?:共计|合计)?\s*(?P<amt>{_AMT})"),
    re.compile(rf"(?:对|为|向)\s*(?P<pre>[^，。；,;\d]{{0,15}}?的)?(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)\s*"
               rf"(?P<desc>[^，。；,;]{{1,40}}?)\s*(?:(?:给予|发放|拨付|兑现)(?:了)?[^，。；,;\d]{{0,12}}?|(?P<each>各))"
               rf"(?:{_AWARD_KIND})(?:资金)?[，,]?\s*(?:每家[^，。；,;]{{0,12}}[，,]\s*)?(?:共计|合计|总计)?(?:为)?\s*"
               rf"(?P<amt>{_AMT})"),
    re.compile(rf"(?:{_AWARD_KIND})\s*(?P<desc>[^，。；,;\d]{{2,30}}?)\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)\s*[，,]?\s*"
               rf"(?:金额|资金|奖励资金|补助资金)?\s*(?:共计|合计|总计)?\s*(?:为)?\s*(?P<amt>{_AMT})"),
    # 对X每家奖励20万元，共奖励18家，合计360万元 / 对X给予奖励，共计82家获得奖励820万元: who first, then the count
    re.compile(rf"(?:对|为|向)\s*(?P<desc>[^，。；,;\d]{{2,40}}?)\s*(?:每家|每个|各)[^，。；,;]{{0,12}}?[，,]\s*"
               rf"(?:共计|共有|共)\s*(?:{_AWARD_KIND})?\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)\s*[，,]?\s*"
               rf"(?:共计|合计|总计)\s*(?:为)?\s*(?P<amt>{_AMT})"),
    re.compile(rf"(?:对|为|向)\s*(?P<desc>[^，。；,;\d]{{2,40}}?)\s*(?:给予|发放)(?:了)?(?:{_AWARD_KIND})[，,]\s*"
               rf"(?:共计|共有|共|合计)\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)\s*(?:企业|单位)?\s*(?:获得|获|得到)\s*"
               rf"(?:{_AWARD_KIND})?(?:资金)?\s*(?P<amt>{_AMT})"),
)


def _award_matches(doc: Document, heading: Heading | None) -> int:
    """How many awards the sentences of a heading's section state (by the award patterns)."""
    text = "\n".join(ln.text for ln in doc.lines_in(heading)) if heading is not None else ""
    return sum(len(pattern.findall(nm.halfwidth(text))) for pattern in _AWARD_RES)


@rule("award_category",
      "三、使用情况\n（一）工业互联网项目\n2、工业互联网平台\n共3家省级工业互联网示范平台企业获得 75 万元奖励。")
def award_category(ctx: Context) -> Iterable[Hit]:
    """An award category: recipients, amount, level and who they are (共3家省级…企业获得75万元奖励;
    对十五家企业给予奖励，共计225万元; 奖励示范企业二十家，金额240万元). The category is the enclosing
    item heading; under a part or spending line that states several awards, the category is named from the
    description of who was rewarded (marked). A count in 个 may be of projects, not recipients (marked)."""
    if not re.search(_AWARD_KIND, ctx.text):
        return
    for pattern in _AWARD_RES:
        for m in pattern.finditer(ctx.norm):
            if not (ctx.free(*m.span("n")) and ctx.free(*m.span("amt"))):
                continue
            amt_span = m.span("amt")
            if m.groupdict().get("each"):  # 各奖励10万元 is per recipient: take the stated total, or nothing
                total = re.compile(rf"[，,]\s*(?:共计|合计|总计)\s*(?:为)?\s*(?P<amt>{_AMT})").match(ctx.norm, m.end())
                if not total:
                    continue
                amt_span = total.span("amt")
            desc = ctx.text[m.start("desc"):m.end("desc")].strip()
            if m.groupdict().get("pre"):
                desc = ctx.text[m.start("pre"):m.end("pre")].strip() + desc
            desc = re.sub(r"^(?:共有|共|企业中)", "", desc)
            level, doubts = _level(desc)
            if m["unit"] == "个":
                doubts += (DOUBT["count_kind"].format(unit="个"),)
            heading = _item_heading(ctx.section) or ctx.section.deepest
            category = heading.label if heading else None
            if heading is not None and heading.level <= 2 and _award_matches(ctx.doc, heading) > 1:
                category = re.sub(r"^(?:新认定的|新认定|获评的|通过认定的)", "", desc) or category
                doubts += (DOUBT["category_desc"],)
            fields = {"category": category,
                      "recipients": nm.count_value(nm.parse_number(m["n"])),
                      "amount": nm.find_amounts(ctx.text[amt_span[0]:amt_span[1]])[0].amount,
                      "level": level, "recipient_desc": desc, "part": _part_title(ctx.doc, ctx.section)}
            ctx.claim(*m.span("n"))
            ctx.claim(*m.span("amt"))
            ctx.claim(*amt_span)
            yield Hit("award", fields, doubts)


_ITEM_UNITS = ("项", "个", "个项目", "项目")


@rule("outlet_heading", "三、使用情况\n（二）工业互联网宣传\n1、常州日报 (2 项, 71.9 万元)\n"
                        "一线调研·聚焦常州特色产业集群发展\n壮丽 70 年，奋斗新时代")
def outlet_heading(ctx: Context) -> Iterable[Hit]:
    """A media outlet heading with its tally, ``1、常州日报 (2 项, 71.9 万元)``, or an outlet heading followed by
    ``刊发专题报道3篇，费用12万元``. When the titles listed under it are not as many as the items, it is marked.
    An item heading with a tally outside publicity is a spending line (支出明细) instead."""
    heading = _item_heading(ctx.section)
    if heading is None or ctx.sentence.line != _line_of(ctx.doc, heading):
        return
    outlet = _outlet_heading(ctx.section)
    m = _tally(ctx.text) if ctx.sentence.in_heading else None
    if m and (m["n"] or m["amt2"]):
        n = nm.count_value(nm.parse_number(m["n"])) if m["n"] else None
        unit = (m["unit"] or "").replace("个项目", "个").replace("项目", "个")
        amt = m["amt"] or m["amt2"]
        amount, doubts = _amount_of(amt) if amt else (None, ())
        a, b = m.span()
    elif outlet is not None:
        counts = [c for c in ctx.counts() if c.unit in ("项", "个", "篇", "期", "条", "次")]
        amounts = ctx.amounts()
        if not (counts and amounts) or len(amounts) > 1:
            return
        n, unit, amount, doubts = counts[0].value, counts[0].unit, amounts[0].amount, ()
        a, b = counts[0].start, amounts[0].end
    else:
        return
    if outlet is not None:
        if unit and unit not in _ITEM_UNITS:
            doubts += (DOUBT["item_unit"].format(unit=unit),)
        titles = _title_lines(ctx.doc, heading)
        if titles and n is not None and len(titles) != n:
            doubts += (DOUBT["titles_mismatch"].format(titles=len(titles), n=n),)
        ctx.claim(a, b)
        yield Hit("outlet", {"outlet": heading.label, "items": n, "amount": amount,
                             "part": _part_title(ctx.doc, ctx.section)}, doubts)
    elif m:
        part = part_heading(ctx.doc, ctx.section)
        ctx.claim(a, b)
        yield Hit("line", {"part": part.label if part else None, "item": heading.title, "quantity": n,
                           "quantity_unit": unit or None, "executed": amount},
                  (*doubts, DOUBT["phase_unknown"]) if amount else doubts)


def _line_of(doc: Document, heading: Heading) -> int:
    return next((ln.index for ln in doc.lines if ln.heading is heading), -1)


@rule("outlet_titles", "三、使用情况\n（二）工业互联网宣传\n2、常州电视台 (3 项, 73.8 万元)\n常州智造\n"
                       "“工业明星城市”公益宣传\n“360度”巡礼常州工业明星城")
def outlet_titles(ctx: Context) -> Iterable[Hit]:
    """The titles of an outlet's items: short lines under its heading, or 《…》 after its colon."""
    heading = _outlet_heading(ctx.section)
    if heading is None:
        return
    name = re.sub(r"\s+", "", heading.title)
    if ctx.sentence.in_heading:
        _, colon, tail = ctx.text.partition("：")
        if colon:
            for t in re.findall(r"《([^《》]+)》", tail):
                yield Hit("media_item", {"outlet": name, "title": t.strip()})
    elif _is_title_line(ctx.doc.lines[ctx.sentence.line].text) and not ctx.counts() and not ctx.amounts():
        yield Hit("media_item", {"outlet": name, "title": ctx.text.strip()})


_EACH_ITEMS_RE = re.compile(rf"各[^，。；,;]{{0,6}}?(?P<n>{_COUNT_NUM})\s*项")
_EACH_RE = re.compile(
    rf"(?:经费|费用|资金|金额|宣传费|投入)?\s*各(?:为|安排|支付|拨付|使用)?\s*(?P<amt>{_AMT}|\d+(?:\.\d+)?)")


@rule("shared_amount", "二、资金使用情况\n（二）宣传推介（2个项目，80万元）\n"
                       "委托云岭晚报和云岭发布网开展专题宣传，经费各40万。")
def shared_amount(ctx: Context) -> Iterable[Hit]:
    """One amount given to each of several outlets, ``A和B…经费各40万``: each outlet gets the amount (marked)."""
    for m in _EACH_RE.finditer(ctx.norm):
        if not ctx.free(*m.span("amt")):
            continue
        names = _names_in(ctx.text[:m.start()], _publicity(ctx.section))
        if len(names) < 2:
            continue
        amount, doubts = _amount_of(ctx.text[m.start("amt"):m.end("amt")])
        ctx.claim(*m.span("amt"))
        items = _EACH_ITEMS_RE.search(ctx.norm[:m.start()])
        n = nm.count_value(nm.parse_number(items["n"])) if items else None
        for _, name in names:
            yield Hit("outlet", {"outlet": name, "items": n, "amount": amount,
                                 "part": _part_title(ctx.doc, ctx.section)}, (DOUBT["each"], *doubts))


#: A list of partners and the money for the partnership: ``与湖南日报、郴州日报开展战略合作，经费各40万``.
_PARTNERS_RE = re.compile(
    r"与(?P<names>[\u4e00-\u9fff、和及]{2,60}?)(?:开展|进行|签订|签署)?(?:战略)?(?:合作|签约)[^，。；,;]{0,8}[，,]\s*"
    rf"(?:合作)?(?:经费|费用|资金|金额)\s*(?P<each>各)?\s*(?:为|是)?\s*(?P<amt>{_AMT})")
#: A name in such a list: a few characters, no verb or number word.
_PARTNER_NAME = re.compile(r"^[\u4e00-\u9fff]{2,14}$")


@rule("partners", "一、媒体宣传合作情况\n我部与某市电视台开展战略合作，经费33.69万；与甲日报、乙日报开展战略合作，"
                  "经费各40万。")
def partners(ctx: Context) -> Iterable[Hit]:
    """Partners named after 与 and the money of the partnership (``与A、B开展…合作，经费各N万``): each
    partner gets the amount with 各 (marked, as every 各), the one partner named gets it alone; outlets
    when the section or the report is about publicity or media."""
    if not (_publicity(ctx.section) or _PUBLICITY_RE.search(ctx.doc.title)):
        return
    for m in _PARTNERS_RE.finditer(ctx.norm):
        if not ctx.free(*m.span("amt")):
            continue
        names = [n for n in re.split(r"[、和及]", m["names"]) if n]
        if not names or not all(_PARTNER_NAME.match(n) for n in names) or (len(names) > 1 and not m["each"]):
            continue  # several partners without 各: the amount is not each one's
        amount, doubts = _amount_of(ctx.text[m.start("amt"):m.end("amt")])
        ctx.claim(*m.span("amt"))
        for name in names:
            yield Hit("outlet", {"outlet": name, "amount": amount, "part": _part_title(ctx.doc, ctx.section)},
                      ((DOUBT["each"],) if m["each"] else ()) + doubts)


#: How many kinds of support a text says there are: ``主要包括三大类``.
_KINDS_RE = re.compile(rf"(?P<n>{_COUNT_NUM})\s*大?类")
#: Words before an item's amount that say what was done with it (``…服务支出4万元``): not part of the name.
#: Where a list of parts begins: 其中, or 包括 after the name of a kind of spending (``项目支出包括…``).
_AMONG_HEAD = re.compile(r"其中\s*[:：]?|(?P<owner>[\u4e00-\u9fff]{0,6}支出)(?:主要)?(?:包括|包含)\s*[:：]?")
#: The total before 其中 is money received or raised, not spent or budgeted (收入, 到位, 获得, 收到).
_SOURCE_HEAD = re.compile(r"收入|到位|到账|获得|收到|筹集|争取")
#: A part named by where the money came from (中央…, 省级…, 自筹…, 一般公共预算…): a source, not a use.
_SOURCE_ITEM = re.compile(r"^(?:中央|省级|省|市级|市|县级|县|区级|区|乡级|镇级|本级|上级|财政|自筹|社会|银行|预拨|"
                          r"一般公共预算|政府性基金|国有资本|其他|单位|事业|经营|央省)")
_ITEM_VERB_TAIL = re.compile(r"(?:支出|使用|拨付|安排|资金|经费|共计|合计|为|共)+$")


@rule("among", "一、项目基本情况\n扶持项目主要包括两大类。全年实际支出共计100万元，其中支持甲类企业资金项目60万元、"
               "支持乙类服务机构资金项目(包括中介机构)40万元。")
def among(ctx: Context) -> Iterable[Hit]:
    """The parts of a total listed after 其中, each a name and an amount (``其中A60万元、B40万元``): award
    categories when the text has just said how many kinds (N类) there are, else spending lines (amounts
    as executed when the total before 其中 is spent). An amount in another unit than its neighbours'
    (元 among 万元) is marked."""
    pairs = bracket_pairs(ctx.text)
    heads = [m for m in _AMONG_HEAD.finditer(ctx.norm)
             if not any(a < m.start() < b for a, b in pairs.items())]  # （其中…）: a share of one amount
    if not heads:
        return
    at = heads[0].end()
    items: list[Any] = []
    for a, b in split_clauses(ctx.text[at:]):
        a, b = a + at, b + at
        amts = [m for m in ctx.amounts() if a <= m.start < b]
        for k, m in enumerate(amts):
            start = a if k == 0 else amts[k - 1].end
            chunk = re.sub(r"[(（][^)）]*[)）]", "", ctx.text[start:m.start]).strip(" 、，,；;:：")
            if re.search(r"增加|减少|增长|下降|同比|比上年", chunk):
                items = []  # 同比上年度增加…: a change, not a part
                break
            chunk = _item_name(chunk)
            if not (2 <= len(chunk) <= 30) or re.search(r"\d", chunk) or not ctx.free(m.start, m.end):
                items = []
                break
            items.append((chunk, m))
    if len(items) < 2:
        return
    line = ctx.doc.lines[ctx.sentence.line]
    before = ctx.doc.text[line.offsets[0]:ctx.sentence.start] if line.offsets else ""
    kinds = _KINDS_RE.search(nm.halfwidth(before[-80:] + ctx.text[:at]))
    head = ctx.norm[:heads[0].start()] or _previous_sentence(ctx)  # 支出:N万元。其中:…
    if _SOURCE_HEAD.search(head) or all(_SOURCE_ITEM.match(name) or name.endswith("收入") for name, _ in items):
        return  # a total received or raised, told by where it came from (其中：中央…、省级…): not spending
    owner = heads[0]["owner"]  # 项目支出包括A…、B…: the lines of the part named before 包括
    spent = re.search(r"支出|使用|拨付|执行", head + (owner or "")) is not None
    stated = spent or re.search(r"调整后|全年预算", head) is not None
    whole = "整体支出" in ctx.doc.title and owner is None and spent
    units = Counter(m.unit for _, m in items)
    for name, m in items:
        ctx.claim(m.start, m.end)
        amount, doubts = _amount_of(ctx.text[m.start:m.end])
        if len(units) > 1 and units[m.unit] < max(units.values()):
            doubts += (DOUBT["odd_unit"].format(unit=m.unit),)
        if kinds:
            yield Hit("award", {"category": name, "amount": amount}, doubts)
        elif whole:  # a department's spending by kind (人员经费, 公用经费, 项目支出): its parts
            yield Hit("part", {"part": name, "executed": amount}, doubts)
        else:
            yield Hit("line", {"part": owner, "item": name, "executed" if spent else "adjusted": amount},
                      doubts if stated else (*doubts, DOUBT["line_phase"]))
    if kinds:
        yield Hit("total", {"check": TOTAL_CHECKS["categories"], "part": None,
                            "stated": f"{nm.count_value(nm.parse_number(kinds['n']))}类"})


_PURPOSE_RE = re.compile(r"分别用于(?P<what>[^，。；]+)")


def _item_name(chunk: str) -> str:
    """The name of an item listed with its amount: without the verbs after it (``设备购置支出`` →
    ``设备购置``), keeping a name's own 经费 or 资金 (``人员经费支出`` → ``人员经费``, ``委员活动经费``), and
    a name that would be left with two characters as written (``项目支出``).

    >>> _item_name("设备购置支出"), _item_name("人员经费支出"), _item_name("委员活动经费"), _item_name("项目支出")
    ('设备购置', '人员经费', '委员活动经费', '项目支出')
    """
    name = _ITEM_VERB_TAIL.sub("", chunk).strip()
    kept = re.sub(r"(?:支出|使用|拨付|安排|共计|合计|为|共)+$", "", chunk).strip()
    if len(name) > 2 and not re.search(r"(?:经费|资金)$", kept):
        return name
    return kept if len(kept) > 2 and re.search(r"(?:经费|资金)$", kept) else chunk


def _previous_sentence(ctx: Context) -> str:
    """The sentence before this one on the same line (ASCII digits), or ''."""
    earlier = [s for s in ctx.doc.sentences if s.line == ctx.sentence.line and s.end <= ctx.sentence.start]
    return nm.halfwidth(earlier[-1].text) if earlier else ""


@rule("respective_amounts", "二、资金使用情况\n（二）宣传推介（2个项目，55万元）\n"
                            "宣传经费分别为云岭日报30万元、云岭广播电视台25万元。")
def respective_amounts(ctx: Context) -> Iterable[Hit]:
    """Amounts paired in order with outlets (``分别为A30万元、B25万元``; ``A、B分别安排25万元、8万元``) or with
    purposes (``安排30万元、20万元，分别用于A和B``)."""
    if "分别" not in ctx.text:
        return
    amounts = ctx.amounts()
    if len(amounts) < 2:
        return
    names = _names_in(ctx.text, _publicity(ctx.section))
    if len(names) == len(amounts):
        for (_, name), amt in zip(names, amounts, strict=True):
            ctx.claim(amt.start, amt.end)
            yield Hit("outlet", {"outlet": name, "amount": amt.amount, "part": _part_title(ctx.doc, ctx.section)})
        return
    m = _PURPOSE_RE.search(ctx.text)
    if m:
        items = [w.strip() for w in re.split(r"[、和及与]", m["what"]) if w.strip()]
        if len(items) == len(amounts):
            verb = _word(ctx.text[:amounts[0].start], "|".join(EXECUTION_WORDS))
            part = part_heading(ctx.doc, ctx.section)
            doubts = (DOUBT["allocated"],) if verb == "安排" else ()
            for item, amt in zip(items, amounts, strict=True):
                ctx.claim(amt.start, amt.end)
                yield Hit("line", {"part": part.label if part else None, "item": item, "executed": amt.amount}, doubts)


_ALLOC_RES = (
    re.compile(rf"(?P<verb>安排|使用|支出|拨付)(?:了)?(?:专项)?(?:资金|经费)?\s*(?:共计|合计)?\s*(?P<amt>{_AMT})\s*[，,]?\s*"
               r"(?:主要)?用于\s*(?P<what>[^，。；,;]+)"),
    re.compile(rf"用于(?P<what>[^，。；,;]+?)的?(?:资金|经费)\s*(?:为|共|共计)?\s*(?P<amt>{_AMT})"),
    re.compile(rf"(?:费用|经费|资金)\s*(?:为|共计|合计)?\s*(?P<amt>{_AMT})\s*[，,]?\s*(?:主要)?用于\s*(?P<what>[^，。；,;]+)"),
)


#: The end of a list summed up (``…等5个政策任务``): how many lines there are.
_TALLY_OF_LINES = re.compile(rf"等\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>个|项|类)")
#: Words saying money was received (or passed down) just before its amount: the fund's money, not a line.
_RECEIPT_BEFORE = re.compile(r"(?:获得|下达|到位|到账|收到|拨入)[^，。；,;用]{0,24}$")


@rule("allocation", "二、资金使用情况\n（一）公共服务平台建设（2个项目，76.2万元）\n"
                    "安排资金40万元用于中小企业公共服务平台运维。")
def allocation(ctx: Context) -> Iterable[Hit]:
    """An amount for a purpose (``安排资金40万元用于…``; ``用于…的资金30万元``): a spending line; 安排 is marked."""
    if "分别" in ctx.text:
        return
    for pattern in _ALLOC_RES:
        for m in pattern.finditer(ctx.norm):
            if not ctx.free(*m.span("amt")):
                continue
            amount = nm.find_amounts(ctx.text[m.start("amt"):m.end("amt")])[0].amount
            verb = m.groupdict().get("verb")
            if _RECEIPT_BEFORE.search(ctx.norm[max(0, m.start("amt") - 30):m.start("amt")]):
                continue  # 获得/下达…资金N万元，用于…: the fund's money and its purpose, not a line
            tally = _TALLY_OF_LINES.search(ctx.norm[m.start("what"):m.end("what")])
            if tally:  # 用于A、B…等5个政策任务: how many lines, not a line
                n = nm.count_value(nm.parse_number(tally["n"]))
                check = "categories" if tally["unit"] == "类" else "all_projects"
                yield Hit("total", {"check": TOTAL_CHECKS[check], "part": None, "stated": f"{n}{tally['unit']}"})
                continue
            part = part_heading(ctx.doc, ctx.section)
            line = spending_line(ctx.doc, ctx.section)
            purpose = ctx.text[m.start("what"):m.end("what")].strip()
            item = line[1] if line and _item_heading(ctx.section) is not None else purpose
            ctx.claim(*m.span("amt"))
            yield Hit("line", {"part": line[0] if line else part.label if part else None, "item": item,
                               "executed": amount}, (DOUBT["allocated"],) if verb == "安排" else ())


_BATCH_RE = re.compile(r"第[一二三四五六七八九十\d]+批|首批|第[一二三四五六七八九十\d]+次|末批|最后一批")
_RECEIVED_RE = re.compile(r"到位|拨付|下达|收到|拨入|到账")
#: Words that make what follows a plan or a target, not a fact (计划到位, 预计支出, 目标…).
_PLANNED_RE = re.compile(r"计划|预计|拟|目标|力争|预期")


@rule("instalment", "2021年4月12日到位第一批资金100万元，2021年9月30日到位第二批资金43.69万元。")
def instalment(ctx: Context) -> Iterable[Hit]:
    """Received instalments: batch, date and amount of each clause that says funds arrived (到位/拨付/收到)."""
    for a, b in split_clauses(ctx.text):
        clause = ctx.norm[a:b]
        received = _RECEIVED_RE.search(clause)
        if not received or _PLANNED_RE.search(clause[:received.start()]):
            continue  # 计划到位 is a plan, not a receipt
        batch = _BATCH_RE.search(clause)
        date = re.search(_DATE, clause)
        if not (batch or date):
            continue
        amts = [m for m in ctx.amounts() if a <= m.start < b]
        if len(amts) != 1:
            continue
        amt = amts[0]
        ctx.claim(amt.start, amt.end)
        when = re.sub(r"\s+", "", ctx.text[a + date.start():a + date.end()]) if date else None
        yield Hit("instalment", {"batch": batch.group(0) if batch else None, "date": when, "amount": amt.amount})


_TOTAL_RES = (
    ("units", re.compile(rf"由\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)\s*(?:单位|企业|媒体|机构)?\s*"
                         r"(?:承担|实施|负责)")),
    ("gov_procured", re.compile(rf"政府采购\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)")),
    ("self_procured", re.compile(rf"自行采购\s*(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个)")),
)
_TOTAL_WORD = re.compile(r"(?<!公)(?:共计|合计|总计|累计|总共|共有|共)(?![同享建性识青])")
_TOTAL_SPENT = re.compile(
    rf"(?:使用|支出|拨付|安排|执行)(?:了)?(?:专项)?(?:资金|经费)?\s*(?:共计|合计|总计|共)?\s*(?P<amt>{_AMT})")


@rule("stated_total",
      "三、使用情况\n（二）工业互联网宣传\n共 19 个项目，由 7 家单位承担，其中政府采购 2 家，自行采购 5 家。")
def stated_total(ctx: Context) -> Iterable[Hit]:
    """Totals the report states, to reconcile: 共N个项目 (项目数, or 项目总数 for the whole fund), 五类
    (类别数), 使用资金, 由N家单位承担, 政府采购N家, 自行采购N家."""
    if is_outcome_section(ctx.section):
        return
    part = part_heading(ctx.doc, ctx.section)
    part_name = part.title if part else None
    doubts: tuple[str, ...] = ()
    level2 = ctx.section.at_level(2)
    if part is None and level2 is not None and _TOPIC_RE.search(level2.title) is None:
        part_name = level2.title  # a numbered heading nothing shows to be a part: marked
        doubts = (DOUBT["part_subheading"].format(title=part_name),)
    for check, pattern in _TOTAL_RES:
        for m in pattern.finditer(ctx.norm):
            if ctx.free(*m.span("n")):
                n = nm.count_value(nm.parse_number(m["n"]))
                ctx.claim(*m.span("n"))
                yield Hit("total", {"check": TOTAL_CHECKS[check], "part": part_name, "stated": f"{n}{m['unit']}"},
                          doubts)
    if not _TOTAL_WORD.search(ctx.text):
        return
    inside = [(a, b) for a, b in bracket_pairs(ctx.text).items()]
    for c in ctx.counts():
        after = ctx.norm[c.end:c.end + 3]
        before = ctx.norm[max(0, c.start - 8):c.start]
        if any(a < c.start < b for a, b in inside):
            continue  # （含…5个）: a share of a total, not a total
        total_before = _TOTAL_WORD.search(before) is not None
        noun_before = re.search(r"项目\s*(?:共计|合计|总计|共有|共)\s*$", before) is not None
        if c.unit == "类":
            check = "categories"
        elif (c.unit == "个" and ((after.startswith("项目") and total_before) or noun_before)) \
                or (c.unit == "项" and total_before and not after.startswith(("奖励", "专"))):
            check = "projects" if part_name else "all_projects"
        else:
            continue
        ctx.claim(c.start, c.end)
        yield Hit("total", {"check": TOTAL_CHECKS[check], "part": part_name, "stated": f"{c.value}{c.unit}"},
                  doubts + _contradicted(ctx, c, inside))
    for m in _TOTAL_SPENT.finditer(ctx.norm):
        if ctx.free(*m.span("amt")):
            amount = nm.find_amounts(ctx.text[m.start("amt"):m.end("amt")])[0].amount
            yield Hit("total", {"check": TOTAL_CHECKS["spent"], "part": part_name, "stated": amount}, doubts)


def _contradicted(ctx: Context, total: nm.CountMatch, inside: list[tuple[int, int]]) -> tuple[str, ...]:
    """A reason for doubt when a stated total of projects is contradicted by the counts of projects the
    same paragraph lists after it outside brackets (``共15个…年初8个项目…年中增加8个项目``: 16, not 15)."""
    line = ctx.doc.lines[ctx.sentence.line].text
    offset = line.find(ctx.text)
    if offset < 0:
        return ()
    norm = nm.halfwidth(line)
    parts = [c.value for c in nm.find_counts(line)
             if c.start >= offset + total.end and c.unit == total.unit and norm[c.end:c.end + 2] == "项目"
             and not any(a < c.start - offset < b for a, b in inside)
             and not any(a < c.start < b for a, b in bracket_pairs(line).items())]
    if len(parts) >= 2 and sum(parts) != total.value:
        return (DOUBT["count_contradicted"].format(n=f"{total.value}{total.unit}", total=sum(parts)),)
    return ()


_PHASE_RE = re.compile(
    r"(?P<adjusted>调整后(?:的)?(?:全年)?预算(?:数|资金|金额)?|调整预算后|全年预算(?:数|资金|金额)?)"
    r"|(?P<approved>年初(?:批复)?预算(?:数|资金|金额)?|年初批复(?:资金)?)"
    r"|(?P<minus>调减|调整减少|核减|压减)|(?P<plus>调增|调整增加|追加)|(?P<adjustment>调整数|预算调整)"
    r"|(?P<received>(?:实际)?到位(?:资金)?|(?:实际)?到账(?:资金)?)"
    r"|(?:全年|实际|累计|已)*(?P<executed>执行|使用|支出|拨付|安排|兑付|兑现|发放|完成投资)(?:了)?(?:专项)?(?:资金|经费|金额)?"
)
#: An amount followed by the word that it arrived: ``衔接资金105万元已全部到位``.
_RECEIVED_AFTER = re.compile(rf"(?P<amt>{_AMT})\s*(?:资金|经费)?\s*(?:已)?(?:全部|全额|足额)?(?:到位|到账)")
#: A clause whose subject is one named project (``某某建设项目到位资金…``), not the fund (本项目, 该项目).
_NAMED_SUBJECT = re.compile(
    r"(?:^|[，。；,;：:])[^，。；,;：:]*?(?<![本该此各全所有])[\u4e00-\u9fff]{4,}(?:建设)?项目$")
_PHASE_FILLER = r"(?:[^，。；,;0-9０-９%]|\d{1,3}个项目){0,12}?"
_PHASE_AMT = re.compile(rf"{_PHASE_FILLER}(?:为|是|达|共计|合计|总计|共)?\s*(?P<sign>[-−])?\s*(?P<amt>{_AMT})")


@rule("budget_phase", "一、基本情况\n年初预算数为163.69万元，实际到位143.69万元，全年实际支出128.5万元。")
def budget_phase(ctx: Context) -> Iterable[Hit]:
    """Budget phases (年初预算, 调减/调增, 调整后/全年预算, 到位, 执行/使用/支出/拨付/安排) with their amounts,
    for the fund, the part or the line the section belongs to. The execution word is kept as 执行口径."""
    fields: dict[str, object] = {}
    doubts: list[str] = []
    for m in _PHASE_RE.finditer(ctx.norm):
        n = _PHASE_AMT.match(ctx.norm, m.end())
        if not n or not ctx.free(*n.span("amt")) or ctx.shielded(n.start()):
            continue
        between = ctx.norm[m.end():n.start("amt")]
        if _PHASE_RE.search(ctx.norm, m.end(), n.start("amt")) or re.search("[：:]", between.lstrip(" ：:")):
            continue  # the amount belongs to a later phase word (预算安排：年初预算500万元)
        if re.search(r"包括|包含|用于", between):
            continue  # 项目支出包括委员活动经费36.3万元: a list of lines, not the phase's amount
        amount = nm.find_amounts(ctx.text[n.start("amt"):n.end("amt")])[0].amount
        kind = m.lastgroup or ""
        named = _NAMED_SUBJECT.search(ctx.norm[:m.start()])
        if named and kind not in fields:  # 某某建设项目到位资金629.5万元: may be one project's, not the fund's
            doubts.append(DOUBT["named_subject"].format(name=named.group(0).lstrip("，。；,;：:")))
        if kind in ("received", "executed") and _PLANNED_RE.search(ctx.norm[max(0, m.start() - 4):m.start()]):
            ctx.claim(*n.span("amt"))
            continue  # 计划到位 / 预计支出: a plan, not a receipt or a spending
        if kind == "minus" or (kind == "adjustment" and n["sign"]):
            kind, amount = "adjustment", "-" + amount
        elif kind == "plus":
            kind = "adjustment"
        if kind in fields:
            continue
        fields[kind] = amount
        if kind == "executed":
            fields["basis"] = m["executed"]
            if m["executed"] == "安排":
                doubts.append(DOUBT["allocated"])
        ctx.claim(*n.span("amt"))
    for m in _RECEIVED_AFTER.finditer(ctx.norm):  # 资金105万元已全部到位: the amount before its verb
        if "received" not in fields and ctx.free(*m.span("amt")) and not ctx.shielded(m.start("amt")) \
                and not _PLANNED_RE.search(ctx.norm[max(0, m.start("amt") - 12):m.start("amt")]):
            fields["received"] = nm.find_amounts(ctx.text[m.start("amt"):m.end("amt")])[0].amount
            ctx.claim(*m.span("amt"))
    if not fields:
        return
    part = part_heading(ctx.doc, ctx.section)
    line = spending_line(ctx.doc, ctx.section)
    if line is not None:
        basis = fields.pop("basis", None)
        fields.pop("received", None)
        counts = [c for c in ctx.counts() if c.unit != "类"]
        if len(counts) == 1:
            fields.update({"quantity": counts[0].value, "quantity_unit": counts[0].unit})
            ctx.claim(counts[0].start, counts[0].end)
        yield Hit("line", {"part": line[0], "item": line[1], **fields}, tuple(doubts) if basis == "安排" else ())
    elif part is not None:
        yield Hit("part", {"part": part.label, **fields}, tuple(doubts))
    else:
        yield Hit("fund", fields, tuple(doubts))


#: A table's amount columns by their header words, in the order tried.
_TABLE_COLUMNS = (
    ("adjusted", re.compile(r"调整后|全年预算")), ("adjustment", re.compile(r"调整")),
    ("approved", re.compile(r"预算|批复|计划")), ("received", re.compile(r"到位|到账")),
    ("executed", re.compile(r"执行|支出|使用|拨付|安排")),
)
_TABLE_NUMBER = re.compile(r"^[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_TABLE_PHASE_LABELS = {"approved": "年初预算数", "adjustment": "调整数", "adjusted": "全年预算数",
                       "received": "到位资金", "executed": "全年执行数"}


def _cells(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"[|｜]", nm.halfwidth(text))]


def _table_header(doc: Document, line: int) -> tuple[list[tuple[int, str, str]], str | None] | None:
    """The amount columns of the table a row belongs to (index, phase, header word) and the table's unit,
    from the nearest header line above it (a line of cells naming budget phases)."""
    for k in range(line - 1, max(-1, line - 30), -1):
        cells = _cells(doc.lines[k].text)
        if len(cells) < 3:
            return None
        cols = []
        for i, c in enumerate(cells):
            phase = next((name for name, word in _TABLE_COLUMNS if word.search(c)), None)
            if phase and not re.search(r"文件|依据|说明|备注", c):
                cols.append((i, phase, c))
        if len(cols) >= 2:
            above = " ".join(doc.lines[j].text for j in range(max(0, k - 2), k + 1))
            unit = "万元" if re.search(r"单位\s*[:：]?\s*万元|[（(]万元[)）]", nm.halfwidth(above)) else None
            return cols, unit
    return None


@rule("table_row", "一、资金安排情况\n表1 资金安排情况表 单位:万元\n"
                   "序号 | 政策任务 | 预算额度 | 调整额度 | 实际安排额度 |\n1 | 甲任务 | 100.00 | 10.00 | 110.00 |\n"
                   "2 | 乙任务 | 50.00 | 50.00 |\n合计 | 150.00 | 10.00 | 160.00 |")
def table_row(ctx: Context) -> Iterable[Hit]:
    """A row of a table written with ``|`` between its cells, under a header naming budget phases (预算额度 /
    调整额度 / 实际安排额度 …) and a 单位：万元: a spending line named by the cell before its first amount,
    or the stated totals of a 合计 row. A row with fewer amounts than the header (blank cells lost in the
    text) gives its first and last amounts to the first and last columns, marked; 安排 is marked."""
    cells = _cells(ctx.text)
    if len(cells) < 3 or ctx.sentence.in_heading:
        return
    found = _table_header(ctx.doc, ctx.sentence.line)
    if found is None:
        return
    cols, unit = found
    nums = [(i, c) for i, c in enumerate(cells) if i > 0 and _TABLE_NUMBER.match(c)]  # cell 0: 序号 or 合计
    if not nums or unit is None:
        return
    name = next((cells[i] for i in range(nums[0][0] - 1, -1, -1) if cells[i] and not cells[i].isdigit()), None)
    if not name:
        return
    doubts: list[str] = []
    if len(nums) == len(cols):
        pairs = list(zip((p for _, p, _ in cols), (c for _, c in nums), strict=True))
    elif len(nums) == 2 and len(cols) > 2:
        pairs = [(cols[0][1], nums[0][1]), (cols[-1][1], nums[-1][1])]
        doubts.append(DOUBT["table_gaps"].format(first=cols[0][2], last=cols[-1][2]))
    else:
        return
    fields: dict[str, object] = {}
    for phase, number in pairs:
        fields[phase] = nm.format_amount(number.replace(",", ""), unit)
    allocated = any(p == "executed" and "安排" in w for _, p, w in cols) and "executed" in fields
    if re.fullmatch(r"合\s*计|总\s*计|小\s*计", name):
        for phase, amount in fields.items():
            more = (DOUBT["allocated"],) if allocated and phase == "executed" else ()
            yield Hit("total", {"check": _TABLE_PHASE_LABELS[phase], "part": None, "stated": amount},
                      tuple(doubts) + more)
        return
    if allocated:
        doubts.append(DOUBT["allocated"])
    yield Hit("line", {"part": None, "item": name, **fields}, tuple(doubts))


#: The standard form's money block flattened one cell a line: its column headers, by field.
_FORM_HEADERS = (("approved", re.compile(r"^年初预算(?:数)?$")),
                 ("adjusted", re.compile(r"^(?:调整后预算数|全年预算数)$")),
                 ("executed", re.compile(r"^(?:预算执行数|全年执行数)$")), ("rate", re.compile(r"^(?:预算)?执行率$")),
                 ("weight", re.compile(r"^(?:权重|分值)$")), ("score", re.compile(r"^得分$")))
#: The form's rows of money sources (总额 is the year's total).
_FORM_ROW = re.compile(r"^(?:其中\s*[:：]\s*)?(?P<cat>总额|年度资金总额|财政资金|本年财政拨款|当年财政拨款|"
                       r"上年结转资金|财政专户管理资金|单位资金|其他资金)$")
_FORM_LABELS = {"项目名称": "name", "主管部门": "issuer"}


def _form_cell(text: str) -> str | None:
    """A cell of a form flattened one cell a line (``238.93 |``): its text, '' for a blank cell, None when the
    line is not a single cell."""
    t = nm.halfwidth(text).strip()
    if not re.fullmatch(r"[^|｜]*[|｜]", t):
        return None
    return t[:-1].strip()


@rule("form_money", "部门预算项目支出绩效自评表(2023年度) |\n项目名称 |\n51000021R0001-工资性支出 |\n"
                    "主管部门 |\n某县某局 |\n年初预算 |\n调整后预算数 |\n预算执行数 |\n预算执行率 |\n权重 |\n得分 |\n"
                    "总额 |\n238.93 |\n251.89 |\n251.89 |\n100.00% |\n10 |\n|\n"
                    "其中:财政资金 |\n238.93 |\n251.89 |\n251.89 |\n100.00% |\n/ |\n/ |")
def form_money(ctx: Context) -> Iterable[Hit]:
    """The standard form (项目支出绩效自评表) written one cell a line: 项目名称 and 主管部门 from the cell after
    their labels, and each money row (总额, 其中：财政资金 …) with its cells in the order of the headers above
    (年初预算 / 调整后预算数 / 预算执行数 / 预算执行率 / 权重 / 得分; amounts in 万元, blank and ``/`` cells
    empty); 总额 is also the fund's row."""
    cell = _form_cell(ctx.text)
    if cell is None or ctx.sentence.in_heading:
        return
    lines = ctx.doc.lines
    k = ctx.sentence.line
    if cell in _FORM_LABELS and k + 1 < len(lines):
        value = _form_cell(lines[k + 1].text)
        if value:
            if _FORM_LABELS[cell] == "name":
                value = re.sub(r"^[0-9A-Za-z]{6,}\s*[-－—]\s*", "", value)
            yield Hit("fund", {_FORM_LABELS[cell]: value})
        return
    row = _FORM_ROW.match(cell)
    if not row:
        return
    headers: list[str] = []
    for j in range(k - 1, max(-1, k - 40), -1):  # the nearest run of header cells above the first row
        h = _form_cell(lines[j].text)
        field = next((f for f, rx in _FORM_HEADERS if h is not None and rx.match(h)), None)
        if field:
            headers.insert(0, field)
        elif headers and h is not None and _FORM_ROW.match(h) is None and h:
            break
    if len(headers) < 3:
        return
    cells: list[str] = []
    for j in range(k + 1, min(len(lines), k + 1 + len(headers) + 3)):
        c = _form_cell(lines[j].text)
        if c is None:
            continue  # a note written across the block
        if _FORM_ROW.match(c):
            break
        cells.append(c)
        if len(cells) == len(headers):
            break
    fields: dict[str, object] = {}
    for field, c in zip(headers, cells, strict=False):
        if not c or c in ("/", "-", "—"):
            continue
        if field in ("approved", "adjusted", "executed"):
            if not _TABLE_NUMBER.match(c):
                return
            fields[field] = nm.format_amount(c.replace(",", ""), "万元")
        else:
            fields[field] = c
    if not fields:
        return
    from fundanalysis.ingest.targets import TargetError, fund_category

    try:
        fund_category(row["cat"])
        doubts: tuple[str, ...] = ()
    except TargetError:
        doubts = (DOUBT["form_row"].format(row=row["cat"]),)
    yield Hit("money_source", {"category": row["cat"], **fields}, doubts)
    if row["cat"] in ("总额", "年度资金总额"):
        yield Hit("fund", {f: v for f, v in fields.items() if f in ("approved", "adjusted", "executed")})


#: The standard form's 绩效指标 block flattened one cell a line: its column headers, by field.
_INDICATOR_HEADERS = (("level1", re.compile(r"^一级指标$")), ("level2", re.compile(r"^二级指标$")),
                      ("name", re.compile(r"^三级指标$")), ("nature", re.compile(r"^指标性质$")),
                      ("target", re.compile(r"^(?:年度)?指标值$")), ("unit", re.compile(r"^(?:度量|计量)单位$")),
                      ("actual", re.compile(r"^(?:实际)?完成值$")), ("weight", re.compile(r"^(?:权重|分值)$")),
                      ("score", re.compile(r"^得分$")), ("note", re.compile(r"原因|措施")))
_LEVEL1 = re.compile(r"^(?:产出|效益|满意度|成本)指标$")
_LEVEL2 = re.compile(r"^(?:数量|质量|时效|成本|经济效益|社会效益|生态效益|可持续影响|服务对象满意度|满意度)指标$")


@rule("form_indicators", "绩效指标(90分) |\n一级指标 |\n二级指标 |\n三级指标 |\n指标性质 |\n指标值 |\n"
                         "度量单位 |\n完成值 |\n权重 |\n得分 |\n未完成原因分析 |\n产出指标 |\n数量指标 |\n"
                         "发放覆盖率 |\n= |\n100 |\n% |\n|\n60 |\n|\n|\n合计 |\n100 |")
def form_indicators(ctx: Context) -> Iterable[Hit]:
    """The standard form's 绩效指标 block written one cell a line: the headers (一级指标 … 得分 …) and then
    each indicator's cells in their order, until 合计 or the end of the cells. A row whose first cell is a
    二级指标 or a 三级指标 (merged cells lost in the text: the level above is the same as the row before's)
    is read from that column and marked."""
    if _form_cell(ctx.text) != "一级指标" or ctx.sentence.in_heading:
        return
    lines, k = ctx.doc.lines, ctx.sentence.line
    headers: list[str] = []
    j = k
    while j < len(lines):
        h = _form_cell(lines[j].text)
        field = next((f for f, rx in _INDICATOR_HEADERS if h is not None and rx.search(h)), None)
        if field is None:
            break
        headers.append(field)
        j += 1
    if len(headers) < 5 or "name" not in headers:
        return
    cells: list[str] = []
    while j < len(lines):
        c = _form_cell(lines[j].text)
        if c is None or c in ("合计", "总分") or c.startswith(("评价结论", "绩效指标")):
            break
        cells.append(c)
        j += 1
    i = 0
    while i < len(cells):
        start = 0 if _LEVEL1.match(cells[i]) else 1 if _LEVEL2.match(cells[i]) else 2
        width = len(headers) - start
        row = dict(zip(headers[start:], cells[i:i + width], strict=False))
        i += width
        if not row.get("name"):
            continue
        fields = {f: v for f, v in row.items() if v and f != "note" and v not in ("/", "-", "—")}
        yield Hit("indicator", fields, (DOUBT["form_merged"],) if start else ())


_STATUS_RE = re.compile(r"(?P<no>未实施|未启动|未开展|暂缓实施|取消实施|未执行)"
                        r"|(?P<yes>已实施|已完成|实施完毕|已全部实施|已按期完成)")


@rule("task_status", "二、资金使用情况\n（二）数字化转型诊断\n2、工业软件推广。因供应商未中标，该任务未实施。")
def task_status(ctx: Context) -> Iterable[Hit]:
    """Whether a spending line was carried out (已实施 → 实施; 未实施/未启动 → 未实施)."""
    line = spending_line(ctx.doc, ctx.section)
    if line is None:
        return
    m = _STATUS_RE.search(ctx.text)
    if m:
        yield Hit("line", {"part": line[0], "item": line[1], "status": "未实施" if m["no"] else "实施"})


_PROJECT_WORD = re.compile(r"项目\s*$|^\s*(?:个)?项目")


@rule("line_quantity", "二、资金使用情况\n（一）智能化改造（年初预算1800万元，全年拨付1,760.5万元）\n"
                       "支持企业智能化改造项目46个，其中省级示范项目12个。")
def line_quantity(ctx: Context) -> Iterable[Hit]:
    """How many a spending line counts, said in a sentence of its own with no amount (``支持…项目46个``):
    the one count in 个, 项 or 家 before 其中. A count that is not said to be of projects is marked."""
    line = spending_line(ctx.doc, ctx.section)
    if line is None or ctx.sentence.in_heading or ctx.amounts(free=False):
        return
    k = ctx.text.find("其中")
    stop = k if k >= 0 else len(ctx.text)
    counts = [c for c in ctx.counts() if c.end <= stop and c.unit in ("个", "项", "家")]
    if len(counts) != 1:
        return
    c = counts[0]
    projects = _PROJECT_WORD.search(ctx.text[max(0, c.start - 4):c.start]) or _PROJECT_WORD.match(ctx.text[c.end:])
    ctx.claim(c.start, c.end)
    yield Hit("line", {"part": line[0], "item": line[1], "quantity": c.value, "quantity_unit": c.unit},
              () if projects else (DOUBT["count_kind"].format(unit=c.unit),))


_LABEL_FIRST = re.compile(rf"^(?P<label>[^\d，,、；;（(]{{1,12}}?)\s*(?:为|有|共)?\s*(?P<n>{_COUNT_NUM})\s*"
                          r"(?P<unit>家|个|项|人|篇|类|所)$")
_COUNT_FIRST = re.compile(rf"^(?P<n>{_COUNT_NUM})\s*(?P<unit>家|个|项)\s*(?P<noun>[\u4e00-\u9fff]{{0,6}}?)"
                          r"(?P<verb>中标|入选|获评|获批|通过|认定为|被认定为|列入|评为|被评为)(?P<what>.+)$")


@rule("breakdown", "四、绩效情况\n1、星级上云企业，我市完成339家，列全省第三，"
                   "其中五星级11家，四星级47家，三星级281家。")
def breakdown(ctx: Context) -> Iterable[Hit]:
    """The parts of a total after 其中, in a results section: ``其中五星级11家，四星级47家`` (the parts only) or
    ``其中3家企业中标X，3家企业入选Y`` (parts that are results in their own right, so they stay counts for
    排名与成果 too)."""
    k = ctx.text.find("其中")
    if k < 0 or not is_outcome_section(ctx.section):
        return
    total = [c.start for c in ctx.counts(free=False) if c.end <= k] + [m.start for m in ctx.amounts(free=False)
                                                                       if m.end <= k]
    before = k - 1
    while before > 0 and ctx.text[before] in "，,：:；; ":
        before -= 1
    if total:
        indicator = _indicator(ctx, max(total))
    elif k > 0 and len(_core(ctx.text[:k])) >= 2:  # 全市公共海外仓数量全省第二，其中市级…7家
        indicator = _indicator(ctx, before)
    else:
        indicator = _previous_indicator(ctx)
    clauses = [(a, b) for a, b in split_clauses(ctx.text) if b > k]
    for a, b in clauses:
        money = [m for m in ctx.amounts() if a <= m.start < b and m.start > k]
        if money:  # 其中省级1,200万元、市级700万元: each amount with the words before it
            yield from _money_parts(ctx, max(a, k + 2), money, indicator)
            continue
        a = max(a, k + 2)
        raw = ctx.text[a:b]
        lead = len(raw) - len(raw.lstrip())
        body = _strip_digit_brackets(raw.strip()) if not _LABEL_FIRST.match(nm.halfwidth(raw.strip())) else raw.strip()
        norm = nm.halfwidth(body)
        m1, m2 = _LABEL_FIRST.match(norm), _COUNT_FIRST.match(norm)
        if m1:
            start = a + lead + m1.start("n")
            if not ctx.free(start, a + lead + m1.end("unit")):
                continue
            ctx.claim(start, a + lead + m1.end("unit"))
            yield Hit("component", {"indicator": indicator, "component": m1["label"].strip(),
                                    "value": nm.count_value(nm.parse_number(m1["n"])), "unit": m1["unit"]})
        elif m2:
            what = re.sub(r"^(?:了)", "", m2["what"]).strip()
            yield Hit("component", {"indicator": indicator, "component": what,
                                    "value": nm.count_value(nm.parse_number(m2["n"])), "unit": m2["unit"]})
        elif m1 is None and m2 is None and (a, b) != clauses[0]:
            break


def _money_parts(ctx: Context, start: int, money: list[nm.AmountMatch], indicator: str | None) -> Iterable[Hit]:
    """Components of an amount breakdown: the words between one amount (or 其中) and the next amount."""
    for m in money:
        label = re.sub(r"^[、，,\s]+|(?:为|有|共|达)\s*$", "", ctx.text[start:m.start]).strip()
        start = m.end
        if not label or len(label) > 12 or re.search(r"\d", label):
            return
        value = re.sub(r"(亿元|万元|元)$", "", m.amount)
        ctx.claim(m.start, m.end)
        yield Hit("component", {"indicator": indicator, "component": label,
                                "value": nm.count_value(Decimal(value)), "unit": m.unit})


def _previous_indicator(ctx: Context) -> str | None:
    """The indicator of the last count of the previous sentence in the same line (for 其中 starting a sentence)."""
    prev = [s for s in ctx.doc.sentences if s.line == ctx.sentence.line and s.end <= ctx.sentence.start]
    if not prev:
        return None
    pctx = Context(ctx.doc, prev[-1])
    counts = pctx.counts(free=False)
    return _indicator(pctx, counts[-1].start) if counts else None


@rule("share_base", "四、绩效情况\n2、3家企业入选试点示范项目（全国51家，江苏12家，我市占全省1/4）。")
def share_base(ctx: Context) -> Iterable[Hit]:
    """The bases a figure is compared with, ``全国51家，江苏12家，我市占全省1/4`` or ``全省仅6家``: the city's
    figure (stated, or the nearest before), the province's and the nation's, and the stated share."""
    bases = [m for m in _BASE_RE.finditer(ctx.norm) if ctx.free(*m.span("num")) and not ctx.shielded(m.start())]
    shares = list(_SHARE_RE.finditer(ctx.norm))
    if not bases:
        return
    fields: dict[str, object] = {}
    for m in bases:
        key = "nation" if m["scope"] == "全国" else "province"
        fields.setdefault(key, nm.count_value(nm.parse_number(m["num"])))
        ctx.claim(*m.span("num"))
    start = min([m.start() for m in bases] + [m.start("phrase") for m in shares])
    end = max([m.end() for m in bases] + [m.end() for m in shares])
    fields["stated_text"] = ctx.text[start:end]
    if shares:
        frac = nm.parse_fraction(shares[0]["frac"])
        fields["stated_share"] = f"{frac.numerator}/{frac.denominator}" if frac is not None else shares[0]["frac"]
    doubts: tuple[str, ...] = ()
    city = _CITY_COUNT_RE.search(ctx.norm)
    before = [c for c in ctx.counts() if c.end <= start]
    if city:
        fields["city"] = nm.count_value(nm.parse_number(city["num"]))
        at = city.start()
    elif before:
        fields["city"], at = before[-1].value, before[-1].start
        if ctx.clause_at(before[-1].start) != ctx.clause_at(start):
            doubts = (DOUBT["city_far"],)
    else:
        at = start
        if _SELECTION_RE.search(ctx.text[:start]):
            fields["city"], doubts = 1, (DOUBT["single"],)
    fields["indicator"] = _indicator(ctx, at)
    yield Hit("base", fields, doubts)


def _scope_fields(ctx: Context, at: int, end: int, scope: str | None) -> tuple[dict[str, object], tuple[str, ...]]:
    if scope:
        return {"scope": scope}, ()
    a, b = ctx.clause_at(at)
    inferred, word = _infer_scope(_strip_digit_brackets(ctx.text[end:b]) or ctx.text[end:b], ctx.text[a:at])
    if inferred is None:
        inferred, word = _infer_scope(ctx.text[end:b], _strip_digit_brackets(ctx.text[:a]))
    if inferred is None:
        return {}, ()
    return {"scope": inferred}, (DOUBT["scope_guess"].format(word=word),)


def _rank_phrases(ctx: Context) -> list[tuple[int, int, str, int | None, str | None, bool]]:
    """Rank and share phrases: (start, end, text, number, stated scope, is_share)."""
    out = []
    for m in _RANK_RE.finditer(ctx.norm):
        if _is_rank(m) and not ctx.shielded(m.start()):
            out.append((m.start(), m.end(), ctx.text[m.start():m.end()].strip(), _rank_number(m),
                        _scope_of(m["scope"]), False))
    for m in _SHARE_RE.finditer(ctx.norm):
        out.append((m.start("phrase"), m.end(), ctx.text[m.start("phrase"):m.end()], None, _scope_of(m["scope"]), True))
    for m in _BASE_RE.finditer(ctx.norm):
        if "仅" in m.group(0):
            out.append((m.start(), m.end(), ctx.text[m.start():m.end()], None, _scope_of(m["scope"]), True))
    return sorted(out)


@rule("rank", "四、绩效情况\n4、新增江苏省两化融合管理体系贯标试点企业29家，位居全省第四。")
def rank(ctx: Context) -> Iterable[Hit]:
    """A rank (``列全省第三``, ``第4名``, ``位居全市第二``, ``并列第二``, ``位居全省前列`` with no number) or a
    share (``占全省1/4``, ``全省仅6家``), with the count it qualifies: the nearest unclaimed one before it.
    With no count, a selection (入选, 获评) of one named subject counts 1 (marked)."""
    used: set[int] = set()
    bases = {m.start("num") for m in _BASE_RE.finditer(ctx.norm)}
    for start, _end, text, number, scope, is_share in _rank_phrases(ctx):
        cands = [(c.start, c.end, _count_fields(c)) for c in ctx.counts(free=False)
                 if c.end <= start and c.start not in used and c.start not in bases and ctx.free(c.start, c.end)]
        cands += [(p.start, p.end, {"value": p.value, "unit": "%"}) for p in nm.find_percents(ctx.text)
                  if p.end <= start and p.start not in used and ctx.free(p.start, p.end)]
        cands.sort(key=lambda c: c[0])
        fields: dict[str, object] = {"rank": number, "rank_text": text}
        doubts: tuple[str, ...] = ()
        sel = _SELECTION_RE.search(ctx.text[:start])
        if cands:
            at, stop, figure = cands[-1]
            used.add(at)
            ctx.claim(at, stop)
            fields.update(figure)
        elif sel and ctx.free(sel.start(), sel.end()):
            at, stop = start, sel.start()
            ctx.claim(sel.start(), sel.end())
            fields.update({"value": 1, "unit": "家"})
            doubts = (DOUBT["single"],)
        else:
            at, stop = start, start
        if is_share or scope is None:
            extra, more = _scope_fields(ctx, at, stop, None)
            if not extra and scope:
                extra, more = {"scope": scope}, ()
        else:
            extra, more = {"scope": scope}, ()
        fields.update(extra)
        fields["indicator"] = _indicator(ctx, at)
        yield Hit("outcome", fields, doubts + more)


_SELECTED_RE = re.compile(r"(?P<verb>入选|获评|获批|被认定为|认定为|被评为|评为|列入|成功创建)(?P<what>[^，。；,;]*?"
                          r"(?:试点|示范|基地|名单|名录|集聚区|工厂|园区|城市|称号|案例|标杆|平台))")


@rule("selection", "四、绩效情况\n3、青川古镇入选国家级夜间文化和旅游消费集聚区。")
def selection(ctx: Context) -> Iterable[Hit]:
    """One named subject selected into a list (入选/获评/获批…试点、示范、基地) with no count before it: one 家
    (marked), its scope from the list's name."""
    if not is_outcome_section(ctx.section):
        return
    for m in _SELECTED_RE.finditer(ctx.norm):
        a, _ = ctx.clause_at(m.start())
        earlier = [c for c in ctx.counts(free=False) if c.start < m.start()]
        if not ctx.free(*m.span("verb")) or earlier:
            continue
        ctx.claim(*m.span("verb"))
        scope, word = _infer_scope(ctx.text[m.start():m.end()], "")
        fields: dict[str, object] = {"value": 1, "unit": "家", "indicator": _core(ctx.text[a:m.end()]) or None}
        doubts: tuple[str, ...] = (DOUBT["single"],)
        if scope:
            fields["scope"] = scope
            doubts += (DOUBT["scope_guess"].format(word=word),)
        yield Hit("outcome", fields, doubts)


_TARGET_RE = re.compile(
    rf"(?P<cmp>(?:较上年|同比|比上年)?(?:超过|超出|不低于|不少于|多于|增加|增长|提高|提升|下降|减少|降低))\s*"
    rf"(?P<q>\d+(?:\.\d+)?\s*个百分点|{_COUNT_NUM}\s*(?:%|％|人次|家|个|项|篇|人|次|件|场))(?P<tail>以上|以下)?"
    rf"|(?:达到|达)\s*(?P<q2>{_COUNT_NUM}\s*(?:%|％|人次|家|个|项|篇|人|次|件|场))(?P<tail2>以上)"
)


@rule("target", "三、绩效目标完成情况\n全年完成企业诊断报告超过120篇，数字化普及率较上年增加20%。")
def target(ctx: Context) -> Iterable[Hit]:
    """Results stated against a comparison (``超过120篇``, ``较上年增加20%``, ``达到95%以上``): the number, its unit
    and the comparison kept as 备注."""
    if not is_outcome_section(ctx.section):
        return
    for m in _TARGET_RE.finditer(ctx.norm):
        g = "q" if m["q"] else "q2"
        a, b = m.span(g)
        if not ctx.free(a, b) or ctx.shielded(a):
            continue
        q = re.match(rf"(?P<num>{_COUNT_NUM})\s*(?P<unit>.+)", m[g])
        if not q:
            continue
        value = nm.count_value(nm.parse_number(q["num"]))
        unit = q["unit"].replace("％", "%").strip()
        ctx.claim(a, b)
        fields = {"value": value, "unit": unit, "note": ctx.text[m.start():m.end()].strip(),
                  "indicator": _target_indicator(ctx, m)}
        extra, doubts = _scope_fields(ctx, a, b, None)
        yield Hit("outcome", {**fields, **extra}, doubts)


_CHANGE_RE = re.compile(r"(?:较上年|同比|比上年)?(?:增加|增长|提高|提升|下降|减少|降低)")


def _target_indicator(ctx: Context, m: re.Match[str]) -> str | None:
    """What a compared figure measures. A change stated in a clause of its own (``接待游客1200万人次，同比增长
    8.6%``) measures the change of the previous clause's indicator: ``接待游客同比增长``, not ``接待游客`` again."""
    indicator = _indicator(ctx, m.start())
    a, b = ctx.clause_at(m.start())
    change = _CHANGE_RE.fullmatch(m["cmp"] or "")
    if indicator and change and len(_core(ctx.text[a:b])) < 4 and not indicator.endswith(m["cmp"]):
        return indicator + m["cmp"]
    return indicator


_TARGET_VALUE = re.compile(r"(?:目标|计划|预期|任务)(?:值|数)?(?:为|是)?\s*$")


def _is_target_value(ctx: Context, start: int) -> bool:
    """True for the target a result is compared with (``超过年度目标40个``), which is not a result itself."""
    a, _ = ctx.clause_at(start)
    return bool(_TARGET_VALUE.search(ctx.text[a:start]))


#: Where a sentence starts describing what a project builds or built (its quantities are not results).
_BUILT_RE = re.compile(r"(?:主要)?建设内容(?:为|是|包括|有)")


@rule("outcome_count", "四、绩效情况\n5、通过国家两化融合管理体系贯标评定企业数量63家。")
def outcome_count(ctx: Context) -> Iterable[Hit]:
    """Any other count (and percentage or amount) in a results section: an outcome with its scope
    guessed from words such as 工信部 or 江苏省 (marked). The quantities after 建设内容为 describe what a
    project built (机井1座, 水泵2台), not the year's results: left out."""
    if not is_outcome_section(ctx.section):
        return
    figures: list[tuple[int, int, dict[str, object]]] = [(c.start, c.end, _count_fields(c)) for c in ctx.counts()
                                                         if not _is_target_value(ctx, c.start)]
    figures += [(p.start, p.end, {"value": p.value, "unit": "%"}) for p in nm.find_percents(ctx.text)
                if ctx.free(p.start, p.end) and not ctx.shielded(p.start)]
    for a in ctx.amounts():
        num = re.sub(r"(亿元|万元|元)$", "", a.amount)
        figures.append((a.start, a.end, {"value": nm.count_value(Decimal(num)) if re.fullmatch(r"-?\d+(?:\.\d+)?", num)
                                         else num, "unit": a.unit}))
    built = _BUILT_RE.search(ctx.norm)
    for start, end, fields in sorted(figures, key=lambda f: f[0]):
        ctx.claim(start, end)
        if built and start > built.start():
            continue  # 主要建设内容为新建机井1座…: what the project built, not the year's results
        extra, doubts = _scope_fields(ctx, start, end, None)
        yield Hit("outcome", {**fields, **extra, "indicator": _indicator(ctx, start)}, doubts)


#: A paragraph saying what the year achieved, outside a results section: ``全年完成…175次、…44次``.
_DONE_RE = re.compile(r"全年(?:共|累计)?完成|(?:共|累计|已)完成|完成了")


@rule("done_counts", "一、基本情况\n（一）项目概况\n上级补助经费80万元。全年完成理论学习中心组175次、宣讲743场次。"
                     "推送中央级稿件39篇。")
def done_counts(ctx: Context) -> Iterable[Hit]:
    """Counts of a paragraph that says what the year completed (全年完成…), from that sentence to the
    paragraph's end, where no results section holds them: results, marked (read from the wording)."""
    if is_outcome_section(ctx.section):
        return
    line = ctx.doc.lines[ctx.sentence.line]
    start = line.offsets[0] if line.offsets else ctx.sentence.start
    before = nm.halfwidth(ctx.doc.text[start:ctx.sentence.start] + ctx.text)
    if not _DONE_RE.search(before):
        return
    for c in ctx.counts():
        if not ctx.free(c.start, c.end) or c.unit in ("元", "万元") or _is_target_value(ctx, c.start):
            continue
        ctx.claim(c.start, c.end)
        yield Hit("outcome", {**_count_fields(c), "indicator": _indicator(ctx, c.start)}, (DOUBT["done_wording"],))


_PUBLISHED_RE = re.compile(r"(?:刊发|刊登|发表|转载|播出)")


@rule("publication", "四、绩效情况\n（二）宣传工作方面\n"
                     "经验文章在中共江苏省委机关刊《群众》杂志 2019 年第 23 期全文刊发。")
def publication(ctx: Context) -> Iterable[Hit]:
    """A work published in a named periodical (在《群众》杂志…刊发) with no count: one 篇 (marked)."""
    if not is_outcome_section(ctx.section) or not _PUBLISHED_RE.search(ctx.text) or ctx.counts():
        return
    titles = re.findall(r"《([^《》]+)》", ctx.text)
    if not titles:
        return
    pub = _PUBLISHED_RE.search(ctx.text)
    at = pub.start() if pub else len(ctx.text)
    a, _ = ctx.clause_at(at)
    scope, word = _infer_scope(ctx.text[a:at], "")
    fields: dict[str, object] = {"value": 1, "unit": "篇", "indicator": _indicator(ctx, at)}
    doubts: tuple[str, ...] = (DOUBT["single"],)
    if scope:
        fields["scope"] = scope
        doubts += (DOUBT["scope_guess"].format(word=word),)
    yield Hit("outcome", fields, doubts)


#: Rules by name.
RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
