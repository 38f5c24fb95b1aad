"""Codes and vocabularies: what analysis returns instead of words.

Two kinds of names live here. Input vocabularies are the words analysts type in the workbook
(级别, 采购方式, 核对项): their values are those Chinese words. Result codes are what the
analysis layer returns (which scope a utilisation row is about, where a rank comes from, which
rule a check applies): their values are short English codes, and :mod:`fundanalysis.present.words`
turns them into Chinese.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """级别: the level of the title or programme an award recognises (input vocabulary)."""

    NATIONAL = "国家级"
    PROVINCIAL = "省级"
    CITY = "市级"
    DISTRICT = "区级"


class Procurement(StrEnum):
    """采购方式: how a media outlet was bought (input vocabulary)."""

    GOVERNMENT = "政府采购"
    SELF = "自行采购"


class StatedCheck(StrEnum):
    """核对项: the kinds of total a report states, each checked against its parts (input vocabulary)."""

    PROJECTS_TOTAL = "项目总数"
    SPENT = "使用资金"
    PROJECTS = "项目数"
    CATEGORIES = "类别数"
    OUTLETS = "承担单位数"
    GOVERNMENT_OUTLETS = "政府采购单位数"
    SELF_OUTLETS = "自行采购单位数"


class Scope(StrEnum):
    """What a utilisation row is about: the whole fund or one of its parts."""

    FUND = "fund"
    PART = "part"


class RankSource(StrEnum):
    """Where a rank comes from: the report's own words, or computed from peer cities' values."""

    STATED = "stated"
    PEERS = "peers"


class Rule(StrEnum):
    """The rule a reconciliation check applies (its description is in the presentation layer)."""

    PROJECTS = "projects"  # stated project count = recipients + media items
    SPENT = "spent"  # stated money used = award amounts + media amounts
    CATEGORIES = "categories"  # stated category count = rows of 奖励类别
    OUTLETS = "outlets"  # stated outlet count = rows of 媒体单位
    PROCUREMENT_TOTAL = "procurement_total"  # government + self-procured = outlets
    PROCUREMENT_METHOD = "procurement_method"  # outlets of one method = outlets marked so
    TITLES = "titles"  # an outlet's item count = titles listed
    RECIPIENTS = "recipients"  # category's recipient count = recipient rows
    AWARD_AMOUNT = "award_amount"  # category's amount = sum of recipient rows
    COMPONENTS = "components"  # indicator's value = sum of its components
    SHARE = "share"  # stated share of the province = city ÷ province
    RANK_TEXT = "rank_text"  # rank = the rank in the rank's wording


class Concentration(StrEnum):
    """How concentrated spending is, by its Herfindahl–Hirschman index (0–10,000)."""

    HIGH = "high"  # above 2,500
    MODERATE = "moderate"  # above 1,500
    LOW = "low"
