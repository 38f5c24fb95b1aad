"""The input's shape as data: every sheet, its columns, their kinds and notes.

One declaration drives parsing and validation (:mod:`fundanalysis.ingest.tables`), the blank
template (:mod:`fundanalysis.ingest.template`) and the data dictionary in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from fundanalysis.vocab import Level, Procurement, StatedCheck

PROCUREMENT_METHODS = tuple(Procurement)
LEVELS = tuple(Level)

#: Award categories offered as a dropdown in a blank template (the fund's category scheme).
DEFAULT_AWARD_CATEGORIES = (
    "两化融合管理体系贯标",
    "工业互联网平台",
    "工业互联网标杆工厂",
    "工业互联网星级上云",
    "工业互联网服务资源池",
)

Kind = Literal["text", "money", "count", "year", "rank", "fraction"]


@dataclass(frozen=True)
class Column:
    """One column of an input sheet: its Chinese header, processed name and type."""

    header: str
    field: str
    kind: Kind = "text"
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class SheetSpec:
    """One input sheet: its name, the processed table it feeds and its columns."""

    name: str
    table: str
    columns: tuple[Column, ...]
    required: bool = False
    note: str = ""
    key: tuple[str, ...] = field(default_factory=tuple)

    def column(self, field_name: str) -> Column:
        """Return the column spec for a processed field name."""
        return next(c for c in self.columns if c.field == field_name)


SOURCE = Column("来源", "source", note="报告名称与章节，如：……自我评价报告／三、（一）")

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        "专项资金",
        "fund",
        (
            Column("资金名称", "fund_name"),
            Column("主管部门", "issuer"),
            Column("城市", "city"),
            Column("省份", "province"),
            Column("年度", "year", "year"),
            Column("预算金额", "budget_yuan", "money", note="如：1000 万元；纯数字按万元计"),
            Column("预算口径", "budget_phase", required=False,
                   note="年初预算 / 调整后预算 / 报告原话"),
            SOURCE,
        ),
        required=True,
        note="专项资金基本信息，一行",
    ),
    SheetSpec(
        "资金组成",
        "parts",
        (
            Column("部分", "part"),
            Column("负责处室", "department"),
            Column("预算金额", "budget_yuan", "money", required=False,
                   note="该部分单独的预算；报告未给出则留空"),
            SOURCE,
        ),
        required=True,
        key=("part",),
        note="资金的组成部分及负责处室",
    ),
    SheetSpec(
        "奖励类别",
        "award_categories",
        (
            Column("类别", "category"),
            Column("获奖单位数", "recipients", "count", required=False),
            Column("奖励金额", "amount_yuan", "money", required=False,
                   note="如：432万元；纯数字按万元计"),
            Column("级别", "level", required=False, note="国家级 / 省级 / 市级"),
            Column("获奖对象", "recipient_desc", required=False),
            Column("所属部分", "part"),
            SOURCE,
        ),
        key=("category",),
        note="每类一行：获奖单位数与金额（按企业明细填写时可留空）",
    ),
    SheetSpec(
        "获奖企业",
        "awards",
        (
            Column("企业名称", "recipient"),
            Column("类别", "category"),
            Column("奖励金额", "amount_yuan", "money"),
            Column("级别", "level", required=False),
            Column("所属部分", "part", required=False),
            SOURCE,
        ),
        key=("recipient", "category"),
        note="每家获奖企业一行（可选，与“奖励类别”二选一或同时提供）",
    ),
    SheetSpec(
        "媒体单位",
        "media_outlets",
        (
            Column("单位", "outlet"),
            Column("项目数", "item_count", "count"),
            Column("金额", "amount_yuan", "money", note="如：71.9万元；纯数字按万元计"),
            Column("采购方式", "procurement", required=False,
                   note="政府采购 / 自行采购；报告未写明则留空"),
            Column("所属部分", "part"),
            SOURCE,
        ),
        key=("outlet",),
        note="宣传经费按承担单位",
    ),
    SheetSpec(
        "宣传项目",
        "media_items",
        (Column("单位", "outlet"), Column("项目名称", "title"), SOURCE),
        key=("outlet", "title"),
        note="每个宣传项目一行",
    ),
    SheetSpec(
        "排名与成果",
        "rankings",
        (
            Column("指标", "indicator"),
            Column("数值", "value", "count"),
            Column("单位", "unit"),
            Column("名次", "rank_number", "rank", required=False, note="数字；报告只写“前列”等则留空"),
            Column("名次表述", "rank_text", required=False, note="报告原话，如：列全省第三、前列"),
            Column("范围", "scope", required=False, note="全省 / 全国"),
            Column("备注", "note", required=False),
            SOURCE,
        ),
        key=("indicator",),
    ),
    SheetSpec(
        "分项构成",
        "breakdowns",
        (
            Column("指标", "indicator"),
            Column("分项", "component"),
            Column("数值", "value", "count"),
            Column("单位", "unit"),
            SOURCE,
        ),
        key=("indicator", "component"),
        note="指标的分项，如星级构成；合计应等于“排名与成果”中的数值",
    ),
    SheetSpec(
        "对比基数",
        "comparisons",
        (
            Column("指标", "indicator"),
            Column("本市", "city_value", "count"),
            Column("全省", "province_value", "count", required=False),
            Column("全国", "nation_value", "count", required=False),
            Column("报告表述", "stated_text", required=False),
            Column("表述占全省比例", "stated_share", "fraction", required=False,
                   note="报告所述占全省比例，如 1/4"),
            SOURCE,
        ),
        key=("indicator",),
    ),
    SheetSpec(
        "全省城市对比",
        "peer_values",
        (
            Column("指标", "indicator"),
            Column("城市", "city"),
            Column("数值", "value", "count"),
            SOURCE,
        ),
        key=("indicator", "city"),
        note="可选：全省各市的同一指标，用于计算名次（并列按同名次）",
    ),
    SheetSpec(
        "报告总计",
        "stated_totals",
        (
            Column("核对项", "check"),
            Column("所属部分", "part", required=False),
            Column("表述值", "stated_raw", note="如：91个、868.7万元"),
            Column("原文", "stated_text", required=False),
            SOURCE,
        ),
        key=("check", "part"),
        note="报告自己陈述的合计数，用于核对",
    ),
)

SHEETS_BY_NAME = {s.name: s for s in SHEETS}
SHEETS_BY_TABLE = {s.table: s for s in SHEETS}

#: Stated-total checks the library knows how to compute (核对项 vocabulary).
STATED_CHECKS = tuple(StatedCheck)

