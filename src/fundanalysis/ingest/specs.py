"""The input's shape as data: every sheet, its columns, their kinds and notes.

One declaration drives parsing and validation (:mod:`fundanalysis.ingest.tables`), the blank
template (:mod:`fundanalysis.ingest.template`) and the data dictionary in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from fundanalysis.vocab import Level, Procurement, SpentWord, StatedCheck

PROCUREMENT_METHODS = tuple(Procurement)
LEVELS = tuple(Level)
SPENT_WORDS = tuple(SpentWord)

#: ``shown``: text as the cell shows it (a number formatted as a percentage reads "97%"), for the
#: targets, actuals and points of the self-evaluation form, parsed later by ingest.targets.
Kind = Literal["text", "shown", "money", "signed_money", "count", "year", "rank", "fraction"]


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

    def has(self, field_name: str) -> bool:
        """True if the sheet has a column for this processed field."""
        return any(c.field == field_name for c in self.columns)


SOURCE = Column("来源", "source", note="报告名称与章节，如：……自我评价报告／三、（一）")
QUOTE = Column("原文", "quote", required=False, note="报告原句，便于核对")
#: Doubts ``fundanalysis extract`` marks on a draft row; cleared once a person has checked the row.
TO_CHECK = Column("待核对", "to_check", required=False, note="存疑之处（fundanalysis extract 所标）；核对、改正后清空")
_MONEY_NOTE = "如：71.9万元、1,409,205.40元；纯数字按万元计"

#: The budget phases of the standard form, each optional: a report gives some of them.
PHASES = (
    Column("年初预算数", "initial_fen", "money", required=False, note="年初批复的预算；" + _MONEY_NOTE),
    Column("调整数", "adjustment_fen", "signed_money", required=False, note="预算调整，调减为负数，如：-20万元"),
    Column("全年预算数", "annual_fen", "money", required=False, note="调整后的全年预算（年初 + 调整）"),
    Column("到位资金", "received_fen", "money", required=False, note="实际到位（收到）的资金"),
    Column("全年执行数", "executed_fen", "money", required=False,
           note="报告所述的执行数；未写明则留空（按明细合计）"),
    Column("执行口径", "spent_word", required=False,
           note="报告用词：使用 / 支出 / 拨付 / 执行（已执行）或 安排（已安排，不计执行率）"),
)

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        "专项资金",
        "fund",
        (
            Column("资金名称", "fund_name"),
            Column("主管部门", "issuer"),
            Column("城市", "city", required=False, note="市县的专项资金填写；省级资金可留空"),
            Column("省份", "province", required=False),
            Column("年度", "year", "year"),
            Column("预算金额", "budget_fen", "money", required=False,
                   note="报告只给出一个总额、未注明预算阶段时填写；" + _MONEY_NOTE),
            Column("预算口径", "budget_phase", required=False, note="预算金额的口径：报告原话"),
            *PHASES,
            SOURCE,
            QUOTE,
        ),
        required=True,
        note="专项资金基本信息，一行",
    ),
    SheetSpec(
        "资金组成",
        "parts",
        (
            Column("部分", "part"),
            Column("负责处室", "department", required=False),
            Column("预算金额", "budget_fen", "money", required=False,
                   note="该部分单独的预算（未注明预算阶段）；报告未给出则留空"),
            *PHASES,
            SOURCE,
            QUOTE,
        ),
        key=("part",),
        note="资金的组成部分（报告未分部分则不填）",
    ),
    SheetSpec(
        "支出明细",
        "lines",
        (
            Column("部分", "part", required=False, note="所属部分（见“资金组成”）"),
            Column("明细", "item", note="任务、项目或事项"),
            Column("数量", "quantity", "count", required=False),
            Column("数量单位", "quantity_unit", required=False, note="如：个、项、家"),
            *PHASES[:3],
            PHASES[4],
            Column("执行口径", "spent_word", required=False,
                   note="该行金额的口径：使用 / 支出 / 拨付 / 执行 为已执行，安排 为已安排；空则同所属部分或专项资金"),
            Column("状态", "status", required=False, note="如：实施 / 未实施"),
            SOURCE,
            QUOTE,
        ),
        key=("part", "item"),
        note="任意种类的支出明细：政策任务、项目等，每行一项",
    ),
    SheetSpec(
        "资金到位",
        "instalments",
        (
            Column("批次", "batch", required=False),
            Column("日期", "date", required=False, note="报告原话，如：2021年3月"),
            Column("金额", "amount_fen", "money", note=_MONEY_NOTE),
            Column("原文", "quote", required=False),
            SOURCE,
        ),
        note="分批到位的资金，每批一行；合计应等于到位资金",
    ),
    SheetSpec(
        "奖励类别",
        "award_categories",
        (
            Column("类别", "category"),
            Column("获奖单位数", "recipients", "count", required=False),
            Column("奖励金额", "amount_fen", "money", required=False, note="如：432万元；纯数字按万元计"),
            Column("级别", "level", required=False, note="国家级 / 省级 / 市级"),
            Column("获奖对象", "recipient_desc", required=False),
            Column("所属部分", "part", required=False),
            SOURCE,
            QUOTE,
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
            Column("奖励金额", "amount_fen", "money"),
            Column("级别", "level", required=False),
            Column("所属部分", "part", required=False),
            SOURCE,
            QUOTE,
        ),
        key=("recipient", "category"),
        note="每家获奖企业一行（可选，与“奖励类别”二选一或同时提供）",
    ),
    SheetSpec(
        "媒体单位",
        "media_outlets",
        (
            Column("单位", "outlet"),
            Column("项目数", "item_count", "count", required=False, note="报告未给出则留空"),
            Column("金额", "amount_fen", "money", note="如：71.9万元；纯数字按万元计"),
            Column("采购方式", "procurement", required=False, note="政府采购 / 自行采购；报告未写明则留空"),
            Column("所属部分", "part", required=False),
            SOURCE,
            QUOTE,
        ),
        key=("outlet",),
        note="宣传经费按承担单位",
    ),
    SheetSpec(
        "宣传项目",
        "media_items",
        (Column("单位", "outlet"), Column("项目名称", "title"), SOURCE, QUOTE),
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
            Column("范围", "scope", required=False, note="全省 / 全国 / 全市"),
            Column("备注", "note", required=False),
            SOURCE,
            QUOTE,
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
            QUOTE,
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
            QUOTE,
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
            QUOTE,
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

#: The standard self-evaluation form (项目支出绩效自评表): optional; a report without a form has none.
FORM_SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        "资金来源",
        "money_sources",
        (
            Column("资金类别", "category",
                   note="年度资金总额 / 本年财政拨款（或 当年财政拨款）/ 上年结转资金 / 其他资金"),
            Column("年初预算数", "initial_fen", "money", required=False, note=_MONEY_NOTE),
            Column("全年预算数", "annual_fen", "money", required=False, note=_MONEY_NOTE),
            Column("全年执行数", "executed_fen", "money", required=False, note=_MONEY_NOTE),
            Column("分值", "weight", "shown", required=False, note="预算执行的分值，通常只在年度资金总额行，如：10"),
            Column("执行率", "stated_rate", "shown", required=False, note="表内填报的执行率，如：95.0%"),
            Column("得分", "stated_score", "shown", required=False, note="表内填报的得分，如：9.5"),
            SOURCE,
            QUOTE,
        ),
        key=("category",),
        note="可选：自评表“项目资金（万元）”栏，一行一个资金类别，照表填写（总额行填 0 的也照填）",
    ),
    SheetSpec(
        "年度目标",
        "goals",
        (
            Column("预期目标", "expected", required=False),
            Column("实际完成情况", "achieved", required=False),
            SOURCE,
            QUOTE,
        ),
        note="可选：自评表“年度总体目标”栏，原文照录",
    ),
    SheetSpec(
        "绩效指标",
        "indicators",
        (
            Column("一级指标", "level1", required=False,
                   note="产出指标 / 效益指标 / 满意度指标；空白表示同上。"
                        "表末“总分”行：一级指标填 总分，得分填表内总分"),
            Column("二级指标", "level2", required=False, note="如：数量指标、质量指标、时效指标；空白表示同上"),
            Column("三级指标", "name", required=False, note="指标名称"),
            Column("指标性质", "nature", "shown", required=False, note="可选：≥ / ≤ / = / 定性；空则由指标值判断"),
            Column("年度指标值", "target", "shown", required=False,
                   note="如：≥50个、≤90万元、=8个、≥95%、9月前、效果明显"),
            Column("度量单位", "unit", required=False, note="可选：个、万元、%"),
            Column("实际完成值", "actual", "shown", required=False, note="如：56个、9月、达成预期指标、部分达成"),
            Column("分值", "weight", "shown", required=False, note="如：10"),
            Column("得分", "stated_score", "shown", required=False, note="表内填报的得分，可留空"),
            Column("偏差原因分析及改进措施", "deviation", required=False),
            SOURCE,
            QUOTE,
        ),
        note="可选：自评表“绩效指标”栏，一行一个三级指标，照表填写",
    ),
)
SHEETS = tuple(SheetSpec(s.name, s.table, (*s.columns, TO_CHECK), s.required, s.note, s.key)
               for s in SHEETS + FORM_SHEETS)
FORM_SHEETS = SHEETS[-len(FORM_SHEETS):]

SHEETS_BY_NAME = {s.name: s for s in SHEETS}
SHEETS_BY_TABLE = {s.table: s for s in SHEETS}

#: Stated-total checks the library knows how to compute (核对项 vocabulary).
STATED_CHECKS = tuple(StatedCheck)
