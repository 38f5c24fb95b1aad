"""Tests of fundanalysis.extract: each rule on its example, numerals, structure, and the whole engine
on the 2019 report and on the SYNTHETIC fixture texts.

Expected values are written here by hand from the texts, never recomputed by the code under test.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from fundanalysis.extract import RULES, Extraction, Finding, extract
from fundanalysis.extract.numerals import (
    amount_fen,
    find_amounts,
    find_counts,
    format_amount,
    parse_cn_int,
    parse_number,
)
from fundanalysis.extract.text import parse_document, parse_heading, split_sentences

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
REPORT_NAME = "常州市工信局2019年度工业互联网专项资金自我评价报告"

# ---------------------------------------------------------------------------------------------------------
# One test per rule: what the rule finds in its own example (values, then the reasons for doubt).

ALLOCATED = "口径为“安排”（已安排，未必已支付）"
EACH = "“各”字：每家金额按原文分列"
PART_SUBHEADING = "部分取自编号小标题“工业互联网宣传”（原文未说明它是资金的组成部分）"
PART_OF_ROW = "所属部分“{}”取自编号小标题（原文未说明它是资金的组成部分）"
SINGLE = "数值按单个主体计（原文未写数量）"

FORM_ROW = "资金类别“{row}”不是标准自评表的行名（本地表式）：请改为标准行名或删去此行"
DONE = "成果取自“完成”一段（不在绩效章节）"
EXPECTED_BY_RULE: dict[str, list[tuple[dict[str, object], tuple[str, ...]]]] = {
    "report_title": [
        ({"资金名称": "工业互联网专项资金", "主管部门": "常州市工信局", "城市": "常州市", "年度": 2019}, ()),
    ],
    "fund_total": [({"预算金额": "1000万元", "预算口径": "专项资金总额"}, ())],
    "text_fund": [({"资金名称": "某省中小企业发展专项资金", "年度": 2023},
                   ("资金名称取自正文（未找到写明资金的标题）",))],
    "text_year": [({"年度": 2021}, ())],
    "form_indicators": [({"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "发放覆盖率", "指标性质": "=",
                          "年度指标值": "100", "度量单位": "%", "分值": "60"}, ())],
    "project_budget": [({"预算金额": "500万元"}, ()), ({"部分": "一批项目", "预算金额": "300万元"}, ()),
                       ({"部分": "二批项目", "预算金额": "200万元"}, ())],
    "partners": [({"单位": "某市电视台", "金额": "33.69万元"}, ())],  # 甲日报、乙日报: shared_amount's (各)
    "among": [({"类别": "支持甲类企业资金项目", "奖励金额": "60万元"}, ()),
              ({"类别": "支持乙类服务机构资金项目", "奖励金额": "40万元"}, ()),
              ({"核对项": "类别数", "表述值": "2类"}, ())],
    "done_counts": [({"指标": "全年完成理论学习中心组、宣讲次", "数值": 175, "单位": "次"},
                     (DONE,)),
                    ({"指标": "全年完成理论学习中心组、宣讲次", "数值": 743, "单位": "场"},
                     (DONE,)),
                    ({"指标": "推送中央级稿件", "数值": 39, "单位": "篇"}, (DONE,))],
    "form_money": [({"资金名称": "工资性支出"}, ()), ({"主管部门": "某县某局"}, ()),
                   ({"年初预算数": "238.93万元", "全年预算数": "251.89万元", "全年执行数": "251.89万元"}, ()),
                   ({"资金类别": "总额", "年初预算数": "238.93万元", "全年预算数": "251.89万元",
                     "全年执行数": "251.89万元", "分值": "10", "执行率": "100.00%"}, (FORM_ROW.format(row="总额"),)),
                   ({"资金类别": "财政资金", "年初预算数": "238.93万元", "全年预算数": "251.89万元",
                     "全年执行数": "251.89万元", "执行率": "100.00%"}, (FORM_ROW.format(row="财政资金"),))],
    "table_row": [({"明细": "甲任务", "年初预算数": "100.00万元", "调整数": "10.00万元", "全年执行数": "110.00万元"},
                   ("口径为“安排”（已安排，未必已支付）",)),
                  ({"明细": "乙任务", "年初预算数": "50.00万元", "全年执行数": "50.00万元"},
                   ("表中空格在文本里已合并：两个金额按首末两列（预算额度、实际安排额度）读",
                    "口径为“安排”（已安排，未必已支付）")),
                  ({"核对项": "年初预算数", "表述值": "150.00万元"}, ()),
                  ({"核对项": "调整数", "表述值": "10.00万元"}, ()),
                  ({"核对项": "全年执行数", "表述值": "160.00万元"}, ("口径为“安排”（已安排，未必已支付）",))],
    "part_departments": [
        ({"部分": "（一）工业互联网项目", "负责处室": "两化融合推进处"}, ()),
        ({"部分": "（二）工业互联网宣传", "负责处室": "局办公室"}, ()),
    ],
    "heading_tally": [
        ({"部分": "（一）工业互联网项目", "全年执行数": "667万元"}, ("金额口径未注明",)),
        ({"核对项": "项目数", "所属部分": "工业互联网项目", "表述值": "72个"}, ()),
        ({"核对项": "使用资金", "所属部分": "工业互联网项目", "表述值": "667万元"}, ()),
    ],
    "award_category": [
        ({"类别": "2、工业互联网平台", "获奖单位数": 3, "奖励金额": "75万元", "级别": "省级",
          "获奖对象": "省级工业互联网示范平台企业", "所属部分": "工业互联网项目"},
         (PART_OF_ROW.format("工业互联网项目"),)),
    ],
    "outlet_heading": [
        ({"单位": "1、常州日报", "项目数": 2, "金额": "71.9万元", "所属部分": "工业互联网宣传"},
         (PART_OF_ROW.format("工业互联网宣传"),)),
    ],
    "outlet_titles": [
        ({"单位": "常州电视台", "项目名称": "常州智造"}, ()),
        ({"单位": "常州电视台", "项目名称": "“工业明星城市”公益宣传"}, ()),
        ({"单位": "常州电视台", "项目名称": "“360度”巡礼常州工业明星城"}, ()),
    ],
    "shared_amount": [
        ({"单位": "云岭晚报", "金额": "40万元", "所属部分": "宣传推介"}, (EACH,)),
        ({"单位": "云岭发布网", "金额": "40万元", "所属部分": "宣传推介"}, (EACH,)),
    ],
    "respective_amounts": [
        ({"单位": "云岭日报", "金额": "30万元", "所属部分": "宣传推介"}, ()),
        ({"单位": "云岭广播电视台", "金额": "25万元", "所属部分": "宣传推介"}, ()),
    ],
    "allocation": [
        ({"部分": "（一）公共服务平台建设", "明细": "中小企业公共服务平台运维", "全年执行数": "40万元"}, (ALLOCATED,)),
    ],
    "instalment": [
        ({"批次": "第一批", "日期": "2021年4月12日", "金额": "100万元"}, ()),
        ({"批次": "第二批", "日期": "2021年9月30日", "金额": "43.69万元"}, ()),
    ],
    "stated_total": [
        # the example's part heading has no tally and nothing says it is a part: every total is marked
        ({"核对项": "承担单位数", "所属部分": "工业互联网宣传", "表述值": "7家"}, (PART_SUBHEADING,)),
        ({"核对项": "政府采购单位数", "所属部分": "工业互联网宣传", "表述值": "2家"}, (PART_SUBHEADING,)),
        ({"核对项": "自行采购单位数", "所属部分": "工业互联网宣传", "表述值": "5家"}, (PART_SUBHEADING,)),
        ({"核对项": "项目数", "所属部分": "工业互联网宣传", "表述值": "19个"}, (PART_SUBHEADING,)),
    ],
    "budget_phase": [
        ({"年初预算数": "163.69万元", "到位资金": "143.69万元", "全年执行数": "128.5万元", "执行口径": "支出"}, ()),
    ],
    "line_quantity": [({"明细": "智能化改造", "数量": 46, "数量单位": "个"}, ())],
    "task_status": [({"部分": "（二）数字化转型诊断", "明细": "工业软件推广", "状态": "未实施"},
                     (PART_OF_ROW.format("数字化转型诊断"),))],
    "breakdown": [
        ({"指标": "星级上云企业", "分项": "五星级", "数值": 11, "单位": "家"}, ()),
        ({"指标": "星级上云企业", "分项": "四星级", "数值": 47, "单位": "家"}, ()),
        ({"指标": "星级上云企业", "分项": "三星级", "数值": 281, "单位": "家"}, ()),
    ],
    "share_base": [
        ({"指标": "企业入选试点示范项目", "本市": 3, "全省": 12, "全国": 51,
          "报告表述": "全国51家，江苏12家，我市占全省1/4", "表述占全省比例": "1/4"}, ()),
    ],
    "rank": [
        ({"指标": "新增江苏省两化融合管理体系贯标试点企业", "数值": 29, "单位": "家", "名次": 4,
          "名次表述": "位居全省第四", "范围": "全省"}, ()),
    ],
    "selection": [
        ({"指标": "青川古镇入选国家级夜间文化和旅游消费集聚区", "数值": 1, "单位": "家", "范围": "全国"},
         (SINGLE, "范围据“国家”推断")),
    ],
    "target": [
        ({"指标": "全年完成企业诊断报告", "数值": 120, "单位": "篇", "备注": "超过120篇"}, ()),
        ({"指标": "数字化普及率", "数值": 20, "单位": "%", "备注": "较上年增加20%"}, ()),
    ],
    "outcome_count": [
        ({"指标": "通过国家两化融合管理体系贯标评定企业", "数值": 63, "单位": "家", "范围": "全国"},
         ("范围据“国家”推断",)),
    ],
    "publication": [
        ({"指标": "经验文章在中共江苏省委机关刊《群众》杂志2019年第23期全文刊发", "数值": 1, "单位": "篇",
          "范围": "全省"}, (SINGLE, "范围据“江苏省”推断")),
    ],
}


#: Every named pattern of the rules module with an example sentence and what it must match there
#: (a new pattern without an example fails test_every_pattern_has_an_example).
PATTERN_SENTENCES: dict[str, tuple[str, str]] = {
    "_PROVINCE_NAME": ("新增江苏省两化融合管理体系贯标试点企业29家", "江苏省"),
    "_RANK_RE": ("我市完成339家，列全省第三", "列全省第三"),
    "_SHARE_RE": ("全国51家，江苏12家，我市占全省1/4", "我市占全省1/4"),
    "_BASE_RE": ("入选首批基地（全省仅6家）", "全省仅6家"),
    "_CITY_COUNT_RE": ("我市共有14家企业入选", "我市共有14家"),
    "_SELECTION_RE": ("武进国家高新技术产业开发区入选江苏省示范工程", "入选"),
    "_USAGE_RE": ("三、2019年专项资金使用情况", "使用"),
    "_OUTCOME_RE": ("四、绩效情况", "绩效"),
    "_TOPIC_RE": ("预算调整与到位情况", "预算"),
    "_REPORT_TOPIC": ("（一）项目基本情况简介", "情况"),
    "_AMONG_HEAD": ("项目支出包括委员活动经费36.3万元", "项目支出包括"),
    "_LEVEL1": ("产出指标", "产出指标"),
    "_BUILT_RE": ("完成年度建设项目1个,主要建设内容为新建机井1座", "主要建设内容为"),
    "_RECEIVED_AFTER": ("2022年衔接资金105万元已全部到位。", "105万元已全部到位"),
    "_LEVEL2": ("社会效益指标", "社会效益指标"),
    "_BATCH_BUDGET_RE": ("二批项目县级批复总投资2069.51万元", "二批项目县级批复总投资2069.51万元"),
    "_PROJECT_MONEY_RE": ("上级补助经费80万元", "上级补助经费80万元"),
    "_SOURCE_HEAD": ("项目资金共到位1130.71万元", "到位"),
    "_SOURCE_ITEM": ("中央专项衔接资金630.2万元", "中央"),
    "_NAMED_SUBJECT": ("某某休闲农庄建设项目", "某某休闲农庄建设项目"),
    "_TEXT_REPORT_FUND_RE": ("现将我镇20xx年度衔接资金项目绩效自评报告给予公开如下",
                             "现将我镇20xx年度衔接资金项目绩效自评"),
    "_PUBLICITY_RE": ("工业互联网宣传", "宣传"),
    "_NOT_MEDIA": ("工业互联网", "互联网"),
    "_NAME_START": ("委托云岭晚报开展专题宣传", "委托"),
    "_MARKER_AT_START": ("1、江苏省工业互联网发展示范企业", "1、"),
    "_DEPT_SUFFIX": ("两化融合推进处", "处"),
    "_HEAD_FILLER": ("其中我市新增企业", "其中我市"),
    "_TAIL_FILLER": ("评定企业数量", "数量"),
    "_TALLY_RE": ("（一）工业互联网项目（72个项目，667万元）", "（72个项目，667万元）"),
    "_TITLE_RE": ("常州市工信局2019年度工业互联网专项资金自我评价报告",
                  "常州市工信局2019年度工业互联网专项资金自我评价报告"),
    "_ORG_LINE": ("溪山县工业和信息化局", "溪山县工业和信息化局"),
    "_TITLE_YEAR_FIRST_RE": ("2022年度某市工业和信息化局部门整体支出绩效自评报告",
                             "2022年度某市工业和信息化局部门整体支出绩效自评报告"),
    "_GENERIC_NAME": ("省级财政专项资金", "省级财政专项资金"),
    "_TEXT_FUND_RE": ("我厅对2023年度某省中小企业发展专项资金管理使用情况开展了绩效评价",
                      "对2023年度某省中小企业发展专项资金管理使用情况开展"),
    "_ANON_PLACE": ("xx省中小企业发展专项资金", "xx省"),
    "_TEXT_YEAR_RE": ("我局承担某县2021年度财政衔接资金道路建设项目", "2021年度"),
    "_PLANNED_RE": ("2018年1-12月计划到位资金163.69万元", "计划"),
    "_RECEIPT_BEFORE": ("我乡某村获得中央专项扶持资金", "获得中央专项扶持资金"),
    "_TALLY_OF_LINES": ("用于产业链支撑、平台建设等5个政策任务", "等5个"),
    "_PARTNERS_RE": ("与甲日报、乙日报开展战略合作,经费各40万", "与甲日报、乙日报开展战略合作,经费各40万"),
    "_PARTNER_NAME": ("华声在线", "华声在线"),
    "_KINDS_RE": ("扶持项目主要包括三大类", "三大类"),
    "_ITEM_VERB_TAIL": ("新华社专项信息服务支出", "支出"),
    "_TABLE_NUMBER": ("3,730.00", "3,730.00"),
    "_DONE_RE": ("全年完成理论学习中心组175次", "全年完成"),
    "_FORM_ROW": ("其中:财政资金", "其中:财政资金"),
    "_FUND_TOTAL_RE": ("2019 年度工业互联网专项资金总额 1000 万元。", "专项资金总额 1000 万元"),
    "_DEPT_RE": ("一部分由两化融合推进处负责组织工业互联网项目申报", "由两化融合推进处负责"),
    "_EACH_ITEMS_RE": ("委托云岭晚报和云岭发布网各开展1项专题宣传", "各开展1项"),
    "_EACH_RE": ("委托云岭晚报和云岭发布网开展专题宣传，经费各40万。", "经费各40万"),
    "_PURPOSE_RE": ("安排30万元、20万元，分别用于平台运维和诊断服务", "分别用于平台运维和诊断服务"),
    "_BATCH_RE": ("2021年4月12日到位第一批资金100万元", "第一批"),
    "_RECEIVED_RE": ("2021年4月12日到位第一批资金100万元", "到位"),
    "_TOTAL_WORD": ("共91个项目，使用专项资金868.7万元", "共"),
    "_TOTAL_SPENT": ("共91个项目，使用专项资金868.7万元", "使用专项资金868.7万元"),
    "_PHASE_RE": ("年初预算数为163.69万元", "年初预算数"),
    "_PHASE_AMT": ("为163.69万元", "为163.69万元"),
    "_STATUS_RE": ("因供应商未中标，该任务未实施", "未实施"),
    "_PROJECT_WORD": ("支持企业智能化改造项目", "项目"),
    "_LABEL_FIRST": ("五星级11家", "五星级11家"),
    "_COUNT_FIRST": ("3家企业中标工信部2019年工业互联网创新发展工程", "3家企业中标工信部2019年工业互联网创新发展工程"),
    "_SELECTED_RE": ("青川古镇入选国家级夜间文化和旅游消费集聚区", "入选国家级夜间文化和旅游消费集聚区"),
    "_TARGET_RE": ("全年完成企业诊断报告超过120篇", "超过120篇"),
    "_CHANGE_RE": ("同比增长", "同比增长"),
    "_TARGET_VALUE": ("超过年度目标", "目标"),
    "_PUBLISHED_RE": ("在《群众》杂志2019年第23期全文刊发", "刊发"),
}


def test_every_pattern_has_an_example() -> None:
    import re

    from fundanalysis.extract import rules

    patterns = {name for name, value in vars(rules).items() if isinstance(value, re.Pattern)}
    assert patterns - set(PATTERN_SENTENCES) == set(), "patterns without an example sentence"
    assert set(PATTERN_SENTENCES) - patterns == set(), "examples of patterns that are gone"


@pytest.mark.parametrize("name", sorted(PATTERN_SENTENCES))
def test_pattern_matches_its_example_sentence(name: str) -> None:
    from fundanalysis.extract import rules

    sentence, expected = PATTERN_SENTENCES[name]
    m = getattr(rules, name).search(rules.nm.halfwidth(sentence))
    assert m is not None and m.group(0) == expected


#: One sentence per pattern of the rules that try several (award phrasings, allocations, stated totals):
#: (pattern tuple, its index, example with headings, the sheet and the values expected there).
PATTERN_EXAMPLES: list[tuple[str, int, str, str, dict[str, object]]] = [
    ("_AWARD_RES", 0, "二、使用情况\n（一）企业奖励\n1、平台\n共3家省级示范平台企业获得 75 万元奖励。", "奖励类别",
     {"类别": "1、平台", "获奖单位数": 3, "奖励金额": "75万元", "级别": "省级", "获奖对象": "省级示范平台企业",
      "所属部分": "企业奖励"}),
    ("_AWARD_RES", 1, "二、使用情况\n（一）企业奖励\n1、出口品牌培育\n对十五家企业给予出口品牌培育奖励，共计225万元。",
     "奖励类别", {"类别": "1、出口品牌培育", "获奖单位数": 15, "奖励金额": "225万元", "获奖对象": "企业",
               "所属部分": "企业奖励"}),
    ("_AWARD_RES", 2, "二、使用情况\n（一）企业奖励\n2、跨境电商\n奖励跨境电商示范企业二十家，金额共计240万元。",
     "奖励类别", {"类别": "2、跨境电商", "获奖单位数": 20, "奖励金额": "240万元", "获奖对象": "跨境电商示范企业",
               "所属部分": "企业奖励"}),
    ("_AWARD_RES", 3, "二、使用情况\n（二）培育（年初预算900万元）\n对新认定的国家级“小巨人”企业每家奖励20万元，"
     "共奖励18家，合计360万元；对省级中小企业给予奖励，共计82家获得奖励820万元。", "奖励类别",
     {"类别": "国家级“小巨人”企业", "获奖单位数": 18, "奖励金额": "360万元", "级别": "国家级",
      "获奖对象": "新认定的国家级“小巨人”企业"}),
    ("_AWARD_RES", 4, "二、使用情况\n（二）培育（年初预算900万元）\n对新认定的国家级“小巨人”企业每家奖励20万元，"
     "共奖励18家，合计360万元；对省级中小企业给予奖励，共计82家获得奖励820万元。", "奖励类别",
     {"类别": "省级中小企业", "获奖单位数": 82, "奖励金额": "820万元", "级别": "省级", "获奖对象": "省级中小企业"}),
    ("_ALLOC_RES", 0, "二、资金使用情况\n（一）平台建设（2个项目，76.2万元）\n安排资金40万元用于平台运维。", "支出明细",
     {"部分": "（一）平台建设", "明细": "平台运维", "全年执行数": "40万元"}),
    ("_ALLOC_RES", 1, "二、资金使用情况\n（一）平台建设（2个项目，76.2万元）\n用于线上诊断服务采购的资金36.2万元。",
     "支出明细", {"部分": "（一）平台建设", "明细": "线上诊断服务采购", "全年执行数": "36.2万元"}),
    ("_ALLOC_RES", 2, "二、资金使用情况\n（一）平台建设（2个项目，76.2万元）\n经费36.2万元，主要用于线上诊断服务采购。",
     "支出明细", {"部分": "（一）平台建设", "明细": "线上诊断服务采购", "全年执行数": "36.2万元"}),
    ("_TOTAL_RES", 0, "三、使用情况\n（二）宣传（19个项目，201.7万元）\n全年共19个项目，由 7 家单位承担。", "报告总计",
     {"核对项": "承担单位数", "所属部分": "宣传", "表述值": "7家"}),
    ("_TOTAL_RES", 1, "三、使用情况\n（二）宣传（19个项目，201.7万元）\n其中政府采购 2 家。", "报告总计",
     {"核对项": "政府采购单位数", "所属部分": "宣传", "表述值": "2家"}),
    ("_TOTAL_RES", 2, "三、使用情况\n（二）宣传（19个项目，201.7万元）\n其余自行采购 5 家。", "报告总计",
     {"核对项": "自行采购单位数", "所属部分": "宣传", "表述值": "5家"}),
]


def test_every_pattern_of_a_pattern_tuple_has_an_example() -> None:
    from fundanalysis.extract import rules

    for name in ("_AWARD_RES", "_ALLOC_RES", "_TOTAL_RES"):
        assert sorted(i for n, i, *_ in PATTERN_EXAMPLES if n == name) == list(range(len(getattr(rules, name)))), name


@pytest.mark.parametrize(("name", "index", "text", "sheet", "expected"), PATTERN_EXAMPLES,
                         ids=[f"{n}[{i}]" for n, i, *_ in PATTERN_EXAMPLES])
def test_pattern_on_its_example(name: str, index: int, text: str, sheet: str, expected: dict[str, object]) -> None:
    from fundanalysis.extract import rules

    pattern = getattr(rules, name)[index]
    if isinstance(pattern, tuple):
        pattern = pattern[1]
    sentence = text.split("\n")[-1]
    assert pattern.search(rules.nm.halfwidth(sentence)), f"{name}[{index}] does not match its example"
    assert expected in [f.filled() for f in extract(text).sheet(sheet)]


def test_every_rule_has_an_expected_result() -> None:
    assert sorted(r.name for r in RULES) == sorted(EXPECTED_BY_RULE)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_on_its_example(rule) -> None:
    got = [(f.filled(), f.uncertain) for f in extract(rule.example).findings if f.rule == rule.name]
    assert got == EXPECTED_BY_RULE[rule.name]
    assert rule.doc, f"rule {rule.name} needs a docstring"


# ---------------------------------------------------------------------------------------------------------
# Numerals


@pytest.mark.parametrize(("text", "value"), [
    ("三", 3), ("十二", 12), ("两", 2), ("二十三", 23), ("一百零五", 105), ("〇", 0), ("三百二十", 320),
    ("一千二百", 1200), ("二〇一九", 2019), ("十", 10),
])
def test_chinese_numerals(text: str, value: int) -> None:
    assert parse_cn_int(text) == value


@pytest.mark.parametrize(("text", "fen"), [
    ("1,409,205.40元", 140_920_540), ("1329120.67元", 132_912_067), ("71.9万元", 71_900_000),
    ("９０ 万元", 90_000_000), ("0.5亿元", 5_000_000_000), ("-123.54万元", -123_540_000),
])
def test_amounts_are_exact_fen(text: str, fen: int) -> None:
    assert amount_fen(text) == fen


def test_amount_finer_than_a_fen_is_refused() -> None:
    with pytest.raises(ValueError, match="finer"):
        amount_fen("1.001元")


def test_amounts_found_in_text_keep_their_written_unit() -> None:
    found = find_amounts("下达资金共计1,409,205.40元，经费各40万，奖励四十万元，其中７１.９ 万元")
    assert [(a.amount, a.fen) for a in found] == [
        ("1409205.40元", 140_920_540), ("40万元", 40_000_000), ("40万元", 40_000_000), ("71.9万元", 71_900_000)]
    assert all(isinstance(a.fen, int) for a in found)


def test_counts_with_units_and_not_ordinals() -> None:
    text = "共包括五类72个项目，由 7 家单位承担，培训三百二十人次，第23期，列全省第三，12个月"
    assert [(c.value, c.unit) for c in find_counts(text)] == [(5, "类"), (72, "个"), (7, "家"), (320, "人次")]


def test_format_amount_and_parse_number() -> None:
    assert format_amount("１，０００", "万元") == "1000万元"
    assert parse_number("三点五") == Decimal("3.5")


# ---------------------------------------------------------------------------------------------------------
# Structure


@pytest.mark.parametrize(("line", "level", "number", "title"), [
    ("三、2019年专项资金使用情况", 1, "三、", "2019年专项资金使用情况"),
    ("（一）工业互联网项目（72个项目，667万元）", 2, "（一）", "工业互联网项目"),
    ("(二) 工业互联网宣传 (19 个项目, 201.7 万元)", 2, "（二）", "工业互联网宣传"),
    ("1、常州日报 (2 项, 71.9 万元)", 3, "1", "常州日报"),
    ("2. 跨境电商", 3, "2", "跨境电商"),
    ("（3）乡村旅游", 4, "（3）", "乡村旅游"),
])
def test_headings(line: str, level: int, number: str, title: str) -> None:
    h = parse_heading(line)
    assert h is not None and (h.level, h.number, h.title) == (level, number, title)


def test_not_headings() -> None:
    assert parse_heading("1.5万元用于平台运维") is None
    assert parse_heading("2019年9月，两化融合推进处开展申报") is None


def test_sentences_split_on_ends_outside_brackets() -> None:
    text = "年初预算985万元；调整后（含“结转。”资金）861.46万元。共91个项目"
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "年初预算985万元；", "调整后（含“结转。”资金）861.46万元。", "共91个项目"]


# ---------------------------------------------------------------------------------------------------------
# The 2019 report


@pytest.fixture(scope="module")
def report_2019() -> str:
    books = sorted((ROOT / "data" / "raw").glob("**/fund-2019.xlsx"))
    assert books, "no data/raw/**/fund-2019.xlsx"
    texts = sorted(books[0].parent.glob("*.txt"))
    assert texts, f"no report text beside {books[0]}"
    return texts[0].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def extraction_2019(report_2019: str) -> Extraction:
    return extract(report_2019)


def _rows(extraction: Extraction, sheet: str, *columns: str) -> list[tuple[object, ...]]:
    return [tuple(f.values[c] for c in columns) for f in extraction.sheet(sheet)]


def test_2019_page_break_joined_inside_a_sentence(report_2019: str) -> None:
    doc = parse_document(report_2019)
    assert "共3家省级工业互联网示范平台企业获得 75 万元奖励。" in [s.text for s in doc.sentences]
    at = report_2019.index("得 75 万元奖励")
    assert doc.section_at(at).path == "三、（一）2"
    assert doc.section_at(at).titles == ("2019年专项资金使用情况", "工业互联网项目", "工业互联网平台")


def test_2019_fund(extraction_2019: Extraction) -> None:
    merged: dict[str, object] = {}
    for f in extraction_2019.sheet("专项资金"):
        merged.update(f.filled())
    assert merged == {"资金名称": "工业互联网专项资金", "主管部门": "常州市工信局", "城市": "常州市", "省份": "江苏省",
                      "年度": 2019, "预算金额": "1000万元", "预算口径": "专项资金总额", "全年执行数": "868.7万元",
                      "执行口径": "使用"}
    province = next(f for f in extraction_2019.sheet("专项资金") if "省份" in f.filled())
    assert province.uncertain == ("省份据正文中的“江苏”推断",)


def test_2019_award_categories(extraction_2019: Extraction) -> None:
    assert _rows(extraction_2019, "奖励类别", "类别", "获奖单位数", "奖励金额", "级别", "所属部分") == [
        ("1、两化融合管理体系贯标", 53, "432万元", "国家级", "工业互联网项目"),
        ("2、工业互联网平台", 3, "75万元", "省级", "工业互联网项目"),
        ("3、工业互联网标杆工厂", 3, "90万元", "省级", "工业互联网项目"),
        ("4、工业互联网星级上云", 1, "10万元", "省级", "工业互联网项目"),
        ("5、工业互联网服务资源池", 12, "60万元", "省级", "工业互联网项目"),
    ]
    first = extraction_2019.sheet("奖励类别")[1]
    assert first.values["来源"] == f"{REPORT_NAME}／三、（一）工业互联网项目 2"
    assert first.values["原文"] == first.sentence == "共3家省级工业互联网示范平台企业获得 75 万元奖励。"
    assert first.section == "三、（一）2"
    assert first.heading == ("2019年专项资金使用情况", "工业互联网项目", "工业互联网平台")


def test_2019_outlets_six_items_five_titles(extraction_2019: Extraction) -> None:
    assert _rows(extraction_2019, "媒体单位", "单位", "项目数", "金额", "采购方式") == [
        ("1、常州日报", 2, "71.9万元", None), ("2、常州电视台", 3, "73.8万元", None), ("3、中吴网", 1, "16万元", None),
        ("4、常州新周刊", 1, "5万元", None), ("5、新华日报", 5, "15万元", None),
        ("6、中经社江苏中心", 6, "15万元", None), ("7、中汽研（天津）汽车信息咨询有限公司", 1, "5万元", None),
    ]
    zhongjing = extraction_2019.sheet("媒体单位")[5]
    assert zhongjing.uncertain == ("列出5个项目名称，与所述6项不一致",)
    titles = [f.values["项目名称"] for f in extraction_2019.sheet("宣传项目") if f.values["单位"] == "中经社江苏中心"]
    assert titles == ["“高质量工业明星城市”专题传播", "建国70周年“常州工业”嵌入式宣传",
                      "常州“特色先进制造集群”系列化观察", "重点主题的关注与传播", "联合调研"]
    assert len(extraction_2019.sheet("宣传项目")) == 18


def test_2019_ranks(extraction_2019: Extraction) -> None:
    ranks = _rows(extraction_2019, "排名与成果", "数值", "名次", "名次表述", "范围")
    assert (339, 3, "列全省第三", "全省") in ranks
    assert (29, 4, "位居全省第四", "全省") in ranks
    assert (163, 3, "列全省第三", "全省") in ranks
    assert (307, None, "位居全省前列", "全省") in ranks  # no number stated: none guessed
    assert (63, None, None, "全国") in ranks
    issue = [f for f in extraction_2019.sheet("排名与成果") if "第23期" in f.sentence.replace(" ", "")]
    assert [(f.values["数值"], f.values["单位"], f.values["名次"]) for f in issue] == [(1, "篇", None)]


def test_2019_breakdowns_and_bases(extraction_2019: Extraction) -> None:
    assert _rows(extraction_2019, "分项构成", "分项", "数值")[:3] == [("五星级", 11), ("四星级", 47), ("三星级", 281)]
    assert _rows(extraction_2019, "对比基数", "本市", "全省", "全国", "报告表述", "表述占全省比例") == [
        (3, 12, 51, "全国51家，江苏12家，我市占全省1/4", "1/4"), (1, 6, None, "全省仅6家", None)]


def test_2019_stated_totals(extraction_2019: Extraction) -> None:
    assert _rows(extraction_2019, "报告总计", "核对项", "所属部分", "表述值") == [
        ("项目总数", None, "91个"), ("使用资金", None, "868.7万元"),
        ("项目数", "工业互联网项目", "72个"), ("使用资金", "工业互联网项目", "667万元"),
        ("类别数", "工业互联网项目", "5类"),
        ("项目数", "工业互联网宣传", "19个"), ("使用资金", "工业互联网宣传", "201.7万元"),
        ("承担单位数", "工业互联网宣传", "7家"), ("政府采购单位数", "工业互联网宣传", "2家"),
        ("自行采购单位数", "工业互联网宣传", "5家"),
    ]


def test_2019_values_hold_no_floats_and_amounts_parse(extraction_2019: Extraction) -> None:
    money = {"预算金额", "年初预算数", "调整数", "全年预算数", "到位资金", "全年执行数", "奖励金额", "金额"}
    for f in extraction_2019.findings:
        assert isinstance(f, Finding)
        for column, value in f.values.items():
            assert not isinstance(value, float), (column, value)
            if column in money and value is not None:
                assert isinstance(amount_fen(str(value)), int)


def test_2019_every_sentence_is_in_the_report(report_2019: str, extraction_2019: Extraction) -> None:
    flat = report_2019.replace("\n", "").replace("**", "")
    assert all(f.sentence in flat for f in extraction_2019.findings)


def test_extract_is_pure_and_takes_a_report_name() -> None:
    text = "一、基本信息\n2021年度某专项资金总额 300 万元。"
    first, second = extract(text, report_name="某报告"), extract(text, report_name="某报告")
    assert first == second
    assert first.sheet("专项资金")[0].values["来源"] == "某报告／一、基本信息"
    assert set(first.sheets) == {"专项资金", "资金组成", "支出明细", "资金到位", "奖励类别", "媒体单位", "宣传项目",
                                 "排名与成果", "分项构成", "对比基数", "报告总计", "资金来源", "绩效指标"}


def test_several_awards_under_one_heading_are_named_by_who_was_rewarded() -> None:
    text = ("二、使用情况\n（二）培育（年初预算900万元）\n对新认定的国家级“小巨人”企业每家奖励20万元，共奖励18家，"
            "合计360万元；对省级中小企业给予奖励，共计82家获得奖励820万元。")
    doubt = "类别名称取自原文对获奖对象的描述（本节有多类奖励而无分类标题）"
    assert [(f.values["类别"], f.uncertain) for f in extract(text).sheet("奖励类别")] == [
        ("国家级“小巨人”企业", (doubt,)), ("省级中小企业", (doubt,))]


def test_a_target_is_not_a_result() -> None:
    ex = extract("三、绩效目标完成情况\n（一）产出指标\n完成智能化改造项目46个，超过年度目标40个。")
    assert [(f.values["数值"], f.values["单位"]) for f in ex.sheet("排名与成果")] == [(46, "个")]


def test_a_change_in_a_clause_of_its_own_names_what_changed() -> None:
    ex = extract("三、绩效情况\n1、接待游客总量达到一千二百万人次，同比增长8.6%。")
    assert sorted((f.values["指标"], str(f.values["数值"])) for f in ex.sheet("排名与成果")) == [
        ("接待游客总量", "12000000"), ("接待游客总量同比增长", "8.6")]


def test_a_breakdown_after_a_rank_takes_its_indicator() -> None:
    ex = extract("三、绩效情况\n3. 全市公共海外仓数量全省第二，其中市级公共海外仓7家，企业自建海外仓11家。")
    assert {f.values["指标"] for f in ex.sheet("分项构成")} == {"全市公共海外仓"}
    assert ex.sheet("排名与成果")[0].values["指标"] == "全市公共海外仓"


def test_no_breakdown_outside_results() -> None:
    ex = extract("二、资金使用情况\n（一）智能化改造（年初预算1800万元）\n"
                 "支持企业智能化改造项目46个，其中省级示范项目12个。")
    assert ex.sheet("分项构成") == ()


def test_rank_given_only_as_text_keeps_no_number() -> None:
    ex = extract("三、绩效情况\n1、组织企业参加评估，全市满意度位居全省前列。")
    (row,) = ex.sheet("排名与成果")
    assert (row.values["名次"], row.values["名次表述"], row.values["范围"]) == (None, "位居全省前列", "全省")


# ---------------------------------------------------------------------------------------------------------
# The SYNTHETIC fixtures, scored as the quality report scores them


def _load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_eval", ROOT / "benchmarks" / "extract_eval.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


FIXTURE_TEXTS = sorted(FIXTURES.glob("*.txt"))


def test_there_are_synthetic_fixtures() -> None:
    assert len(FIXTURE_TEXTS) >= 3
    for path in FIXTURE_TEXTS:
        assert "SYNTHETIC" in path.read_text(encoding="utf-8").splitlines()[0]
        assert path.with_suffix(".json").is_file()


@pytest.mark.parametrize("path", FIXTURE_TEXTS, ids=lambda p: p.stem)
def test_synthetic_recall(path: Path) -> None:
    scores = _load_eval().evaluate_fixture(path)
    expected = sum(s.expected for s in scores.values())
    found = sum(s.found for s in scores.values())
    assert found / expected >= 0.85


def test_synthetic_county_phrasings() -> None:
    text = (FIXTURES / "county-sme-2021.txt").read_text(encoding="utf-8")
    ex = extract(text)
    fund = {k: v for f in ex.sheet("专项资金") for k, v in f.filled().items()}
    assert fund["预算金额"] == "1409205.40元" and amount_fen(fund["预算金额"]) == 140_920_540
    assert (fund["年初预算数"], fund["到位资金"], fund["调整数"], fund["全年预算数"]) == (
        "163.69万元", "143.69万元", "-20万元", "143.69万元")
    assert (fund["全年执行数"], fund["执行口径"]) == ("128.5万元", "支出")
    ranks = _rows(ex, "排名与成果", "数值", "单位", "名次", "名次表述")
    assert (14, "家", 2, "并列全市第二") in ranks
    assert (None, None, 2, "位居全市第二") in ranks
    assert (320, "人次", None, None) in ranks and (105, "家", None, None) in ranks


def test_synthetic_expected_files_are_valid_json() -> None:
    for path in FIXTURE_TEXTS:
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert "SYNTHETIC" in data["note"]


# ---------------------------------------------------------------------------------------------------------
# What extraction is not sure of is marked (issue 29); the sentences are SYNTHETIC, in the shapes of the corpus


def _found(text: str, sheet: str) -> list[tuple[dict[str, object], tuple[str, ...]]]:
    return [(f.filled(), f.uncertain) for f in extract(text).sheet(sheet)]


def test_a_total_told_by_its_sources_gives_no_spending_lines() -> None:
    text = ("一、资金情况\n今年我镇获得财政衔接资金共100万元，其中：中央专项衔接资金60万元，省级专项衔接资金40万元。\n"
            "项目资金共到位110万元，其中：财政衔接资金100万元，预拨资金10万元。")
    assert _found(text, "支出明细") == []
    fund = _found(text, "专项资金")
    assert ({"预算金额": "100万元", "预算口径": "获得财政衔接资金"}, ("“获得”数，未注明预算阶段",)) in fund
    assert ({"到位资金": "110万元"}, ()) in fund


AMONG_DOUBT = "“其中”所列各项的口径与归属据其前的总数推断（可能是组成部分、明细或资金来源）"


def test_lines_after_a_total_of_unstated_phase_are_marked() -> None:
    lines = _found("一、资金情况\n项目经费共计100万元，其中设备购置60万元，运行维护40万元。", "支出明细")
    assert [(row["明细"], row["全年预算数"], doubts) for row, doubts in lines] == [
        ("设备购置", "60万元", (AMONG_DOUBT,)), ("运行维护", "40万元", (AMONG_DOUBT,))]
    spent = _found("一、资金情况\n全年实际支出共计100万元，其中设备购置60万元，运行维护40万元。", "支出明细")
    assert [doubts for _, doubts in spent] == [(), ()]


def test_a_project_total_the_listed_counts_contradict_is_marked() -> None:
    text = "一、基本情况\n全年实施项目共15个，年初批复8个项目500万元，年中增加8个项目。"
    assert _found(text, "报告总计") == [
        ({"核对项": "项目总数", "表述值": "15个"}, ("所述总数15个与同段所列分项之和16不一致",))]
    agreeing = "一、基本情况\n全年实施项目共16个，年初批复8个项目500万元，年中增加8个项目。"
    assert _found(agreeing, "报告总计") == [({"核对项": "项目总数", "表述值": "16个"}, ())]


def test_a_title_in_an_attachment_list_and_a_count_in_ming_are_marked() -> None:
    text = ("附件：1.某省某厅2020年度某某专项资金绩效自评报告\n2.某省某厅2020年度部门整体支出绩效自评报告\n"
            "一、绩效情况\n组织1名信息员参加培训。")
    fund = _found(text, "专项资金")[0]
    assert fund[0]["主管部门"] == "附件：1.某省某厅"
    assert "标题取自附件列表（可能是所附报告的标题，而非本文的）" in fund[1]
    assert "主管部门写作“附件：1.某省某厅”，不只是单位名称" in fund[1]
    assert [doubts for row, doubts in _found(text, "排名与成果") if row.get("单位") == "名"] == [
        ("“名”可能是人数或名次，不一定是成果",)]


def test_one_named_projects_receipt_is_marked_and_the_fund_named_in_the_text() -> None:
    text = ("农村项目绩效自评报告\n现将我镇20xx年度衔接资金项目绩效自评报告公开如下：\n一、资金情况\n"
            "具体到位情况如下：某某休闲农庄建设项目到位资金62.5万元。")
    fund = _found(text, "专项资金")
    assert ({"资金名称": "衔接资金"}, ("资金名称取自正文（未找到写明资金的标题）",)) in fund
    assert ({"到位资金": "62.5万元"},
            ("句子的主语是“某某休闲农庄建设项目”：可能是其中一个项目的数，不是整个资金的",)) in fund


def test_a_departments_spending_by_kind_gives_its_parts_and_the_lines_of_its_projects() -> None:
    text = ("某县某局部门整体支出绩效评价报告\n一、基本情况\n"
            "1、收入:500万元。其中:财政拨款收入500万元,同比上年度增加50万元。\n"
            "2、支出:480万元。其中:人员经费支出300万元,公用经费支出80万元,项目支出100万元。\n"
            "项目支出包括培训经费60万元,信息网络运行经费40万元。")
    assert _found(text, "资金组成") == [({"部分": "人员经费", "全年执行数": "300万元"}, ()),
                                      ({"部分": "公用经费", "全年执行数": "80万元"}, ()),
                                      ({"部分": "项目支出", "全年执行数": "100万元"}, ())]
    assert [row for row, _ in _found(text, "支出明细")] == [
        {"部分": "项目支出", "明细": "培训经费", "全年执行数": "60万元"},
        {"部分": "项目支出", "明细": "信息网络运行经费", "全年执行数": "40万元"}]
    assert ({"全年执行数": "480万元", "执行口径": "支出"}, ()) in _found(text, "专项资金")


def test_money_given_to_the_project_a_numbered_heading_names_is_its_budget_marked() -> None:
    text = "一、基本情况\n（一）项目1：\n1.项目概况。县委宣传部狠抓宣传，上级补助经费80万元，全部用于宣传思想工作。"
    assert _found(text, "资金组成") == [({"部分": "项目1", "预算金额": "80万元"}, ("“补助”数，未注明预算阶段",))]
    assert _found("一、基本情况\n（一）工作概况\n上级补助经费80万元。", "资金组成") == []


def test_the_forms_indicator_block_with_a_merged_first_cell_is_read_and_marked() -> None:
    cells = ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分",
             "产出指标", "数量指标", "培训人次", "≥", "50", "人次", "56", "20", "20",
             "质量指标", "合格率", "≥", "95", "%", "98", "10", "10", "合计", "100"]
    text = "绩效指标(90分) |\n" + "".join(f"{c} |\n" for c in cells)
    assert _found(text, "绩效指标") == [
        ({"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "培训人次", "指标性质": "≥", "年度指标值": "50",
          "度量单位": "人次", "实际完成值": "56", "分值": "20", "得分": "20"}, ()),
        ({"二级指标": "质量指标", "三级指标": "合格率", "指标性质": "≥", "年度指标值": "95", "度量单位": "%",
          "实际完成值": "98", "分值": "10", "得分": "10"},
         ("表中合并的单元格在文本里只写了一次：本行的上级指标同上一行",))]


def test_what_a_project_built_is_not_a_result_and_an_amount_before_its_arrival_is_received() -> None:
    text = ("某区水务局2022年衔接资金项目绩效自评报告\n一、资金投入情况分析\n"
            "某区水务局2022年衔接资金105万元已全部到位。\n"
            "二、产出指标完成情况分析\n完成年度建设项目1个,主要建设内容为新建机井1座,潜水泵2台。")
    assert [(row["数值"], row["单位"]) for row, _ in _found(text, "排名与成果")] == [(1, "个")]
    fund = _found(text, "专项资金")
    assert ({"资金名称": "衔接资金", "主管部门": "某区水务局", "年度": 2022}, ()) in fund
    assert ({"到位资金": "105万元"}, ()) in fund
