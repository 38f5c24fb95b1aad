"""Reconciliation: every total the report states, compared with the sum of its parts.

Each check gives ``stated``, ``computed``, ``difference`` and ``ok`` (True, False, or None
where the report does not give enough to check), with the :class:`~fundanalysis.vocab.Rule` it
applies; the words that describe a rule are in the presentation layer. Failing checks are
findings, not input errors: they are shown in the report, flagged, and the build goes on.

The checks are a registry: a stated total (sheet 报告总计) is checked by the function registered
for its 核对项 (:func:`stated`), and checks that follow from the tables themselves (titles
listed, recipients, components, shares, ranks) by the functions registered with :func:`derived`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from fundanalysis.analysis import metrics
from fundanalysis.analysis.scoring import CheckCode
from fundanalysis.ingest.clean import parse_fraction, rank_in_text
from fundanalysis.vocab import Procurement, Rule, SpentBasis, SpentWord, StatedCheck

COLUMNS = ["check", "rule", "part", "subject", "stated", "computed", "difference", "ok", "unit", "source",
           "reason"]

Tables = dict[str, pd.DataFrame]
Row = dict[str, Any]
#: Why a check cannot be made (or what a finding is), as a code with its figures; words in
#: :func:`fundanalysis.present.words.describe_reason`.
Reason = dict[str, Any]
StatedFn = Callable[[Tables, pd.Series, dict[tuple[str, str | None], pd.Series]], Iterable[Row]]
DerivedFn = Callable[[Tables], Iterable[Row]]

_STATED: dict[StatedCheck, StatedFn] = {}
_DERIVED: list[DerivedFn] = []


def stated(*kinds: StatedCheck) -> Callable[[StatedFn], StatedFn]:
    """Register the check of stated totals of these kinds (核对项)."""
    def register(fn: StatedFn) -> StatedFn:
        for k in kinds:
            _STATED[k] = fn
        return fn

    return register


def derived(fn: DerivedFn) -> DerivedFn:
    """Register a check that follows from the tables themselves."""
    _DERIVED.append(fn)
    return fn


def check(name: str, rule: Rule, stated_value: Any, computed: Any, unit: Any, source: Any,
          part: str | None = None, subject: str | None = None, reason: Reason | None = None) -> Row:
    """One row of the reconciliation table; ``ok`` is None when either side is unknown, and
    ``reason`` (a code, see :func:`rows_missing`, :func:`parts_uncovered`) says why.

    >>> r = check("项目总数", Rule.PROJECTS, 91, 91, "个", None)
    >>> r["difference"], r["ok"]
    (0, True)
    """
    diff: int | Fraction | str | None
    ok: bool | None
    if stated_value is None or computed is None:
        diff, ok = None, None
        if isinstance(stated_value, Fraction):
            stated_value = str(stated_value)
    elif isinstance(stated_value, Fraction) or isinstance(computed, Fraction):
        diff = Fraction(computed) - Fraction(stated_value)
        ok = diff == 0
        stated_value, computed, diff = str(stated_value), str(computed), str(diff)
    else:
        diff = int(computed) - int(stated_value)
        ok = diff == 0
    return {"check": name, "rule": rule, "part": part, "subject": subject, "stated": stated_value,
            "computed": computed, "difference": diff, "ok": ok, "unit": unit,
            "source": None if source is None or pd.isna(source) else source,
            "reason": reason if ok is None or rule is Rule.SCALE else None}


def _label(r: pd.Series) -> str:
    return r["check"] if pd.isna(r["part"]) else f"{r['check']}·{r['part']}"


def _part(r: pd.Series) -> str | None:
    return None if pd.isna(r["part"]) else str(r["part"])


def _count_rows(df: pd.DataFrame | None, part: str | None) -> int:
    if df is None:
        return 0
    return len(df if part is None else df[df["part"] == part])


def rows_missing(table: str, figure: str, rows: int, missing: int) -> Reason:
    """The reason for a sum over rows of which some lack the figure: it is not a sum."""
    return {"code": "rows_missing", "table": table, "figure": figure, "rows": rows, "missing": missing}


def parts_uncovered(parts: list[str], figure: str) -> Reason:
    """The reason for a fund total its lines cannot check: they leave out these parts."""
    return {"code": "parts_uncovered", "parts": parts, "figure": figure}


def _in_part(df: pd.DataFrame, part: str | None) -> pd.DataFrame:
    """The rows of one part (all rows for None); none when the table has no part column."""
    if part is None:
        return df
    return df[df["part"] == part] if "part" in df else df.iloc[:0]


#: The rows that carry a count of projects, and the column that gives it.
_COUNTED = (("award_categories", "recipients"), ("media_outlets", "item_count"), ("lines", "quantity"))


def _no_count(df: pd.DataFrame, column: str) -> int:
    """Rows that give no count of projects (a line's count only in 项 or 个)."""
    missing = df[column].isna()
    if column == "quantity":
        missing |= ~df["quantity_unit"].isin(["项", "个"]) if "quantity_unit" in df else True
    return int(missing.sum())


def project_count(t: Tables, part: str | None = None) -> tuple[int | None, Reason | None]:
    """The projects the rows of a scope count, or None with the reason when any row of them gives
    no count (a count of some rows is not the count)."""
    for name, column in _COUNTED:
        df = t.get(name)
        if df is None or column not in df:
            continue
        rows = _in_part(df, part)
        missing = _no_count(rows, column) if len(rows) else 0
        if missing:
            return None, rows_missing(name, column, len(rows), missing)
    return metrics.projects(t, part), None


def _uncovered(t: Tables, figure: str, covers: Callable[[str], bool], unassigned: bool) -> list[str]:
    """The parts (of the 资金组成 sheet) whose lines do not give ``figure``; a part that states 0
    for it needs none; none when some of the rows (``unassigned``) name no part."""
    parts = t.get("parts")
    if parts is None or not len(parts) or unassigned:
        return []  # rows of no named part may be those of any part: nothing to say
    out = []
    for _, p in parts.iterrows():
        if covers(p["part"]) or _value(p, figure) == 0:
            continue
        out.append(str(p["part"]))
    return out


def _named_parts(t: Tables) -> set[str]:
    parts = t.get("parts")
    return set(parts["part"].dropna()) if parts is not None else set()


def spent_of_lines(t: Tables, part: str | None = None) -> tuple[int | None, Reason | None]:
    """What the spending rows of a scope add up to, or None with the reason when they are not the
    whole: a line in scope without 全年执行数 among lines with one, or (for the fund) parts
    without spending rows."""
    if not metrics.has_spending(t, part):
        return None, None
    lines = t.get("lines")
    if lines is not None and len(lines):
        executed = _in_part(lines, part)["executed_fen"]
        if executed.notna().any() and executed.isna().any():
            return None, rows_missing("lines", "executed_fen", len(executed), int(executed.isna().sum()))
    if part is None:
        left = _uncovered(t, "executed_fen", lambda p: metrics.has_spending(t, p),
                          metrics.has_spending(t, None, _named_parts(t)))
        if left:
            return None, parts_uncovered(left, "executed_fen")
    return metrics.spent(t, part), None


def phase_of_lines(t: Tables, column: str, part: str | None = None) -> tuple[int | None, Reason | None]:
    """What the lines of a scope add up to in one phase column, or None with the reason when a
    line in scope leaves it empty or (for the fund) a part has no line that gives it."""
    values = metrics.phase_lines(t, column, part)
    if not values:
        return None, None
    missing = sum(1 for v in values if pd.isna(v))
    if missing:
        return None, rows_missing("lines", column, len(values), missing)
    if part is None:
        left = _uncovered(t, column, lambda p: any(not pd.isna(v) for v in metrics.phase_lines(t, column, p)),
                          any(not pd.isna(v) for v in metrics.phase_lines(t, column, None, _named_parts(t))))
        if left:
            return None, parts_uncovered(left, column)
    return metrics.money_sum(values), None


@stated(StatedCheck.PROJECTS_TOTAL, StatedCheck.PROJECTS)
def _projects(t: Tables, r: pd.Series, _by_key: dict) -> Iterable[Row]:
    computed, reason = project_count(t, _part(r))
    yield check(_label(r), Rule.PROJECTS, int(r["stated"]), computed, r["unit"], r["source"], _part(r),
                reason=reason)


@stated(StatedCheck.SPENT)
def _spent(t: Tables, r: pd.Series, _by_key: dict) -> Iterable[Row]:
    computed, reason = spent_of_lines(t, _part(r))
    yield check(_label(r), Rule.SPENT, int(r["stated"]), computed, "元", r["source"], _part(r), reason=reason)


@stated(StatedCheck.CATEGORIES)
def _categories(t: Tables, r: pd.Series, _by_key: dict) -> Iterable[Row]:
    yield check(_label(r), Rule.CATEGORIES, int(r["stated"]),
                _count_rows(t.get("award_categories"), _part(r)), r["unit"], r["source"], _part(r))


@stated(StatedCheck.OUTLETS)
def _outlets(t: Tables, r: pd.Series, by_key: dict) -> Iterable[Row]:
    part = _part(r)
    yield check(_label(r), Rule.OUTLETS, int(r["stated"]), _count_rows(t.get("media_outlets"), part),
                r["unit"], r["source"], part)
    gov = by_key.get((StatedCheck.GOVERNMENT_OUTLETS, part))
    own = by_key.get((StatedCheck.SELF_OUTLETS, part))
    if gov is not None and own is not None:
        scope = "全部" if part is None else part
        yield check(f"采购方式合计·{scope}", Rule.PROCUREMENT_TOTAL, int(r["stated"]),
                    int(gov["stated"]) + int(own["stated"]), r["unit"], r["source"], part)


@stated(StatedCheck.GOVERNMENT_OUTLETS, StatedCheck.SELF_OUTLETS)
def _procurement_method(t: Tables, r: pd.Series, _by_key: dict) -> Iterable[Row]:
    method = Procurement(str(r["check"]).removesuffix("单位数"))
    media = t.get("media_outlets")
    known = None
    if media is not None:
        sel = media if _part(r) is None else media[media["part"] == _part(r)]
        if len(sel) and sel["procurement"].notna().all():
            known = int((sel["procurement"] == method).sum())
    yield check(_label(r), Rule.PROCUREMENT_METHOD, int(r["stated"]), known, r["unit"], r["source"],
                _part(r), str(method))


@stated(StatedCheck.INITIAL, StatedCheck.ADJUSTMENT, StatedCheck.ANNUAL, StatedCheck.EXECUTED)
def _stated_phase(t: Tables, r: pd.Series, _by_key: dict) -> Iterable[Row]:
    """A stated total of a budget phase: the lines of its scope add up to it (or its parts do)."""
    column = _PHASE_COLUMN[StatedCheck(r["check"])]
    part = _part(r)
    computed, reason = phase_of_lines(t, column, part)
    if computed is None and reason is None and column == _amounts_carry(t):
        computed, reason = spent_of_lines(t, part)  # awards, outlets: what their amounts are
    against = "lines"
    if computed is None and reason is None and part is None:  # no line gives it: the parts may
        computed, against = _parts_sum(t, column), "parts"
    if computed is None and reason is None:
        reason = {"code": "no_rows", "figure": column}
    yield {**check(_label(r), Rule.STATED_PHASE, int(r["stated"]), computed, "元", r["source"], part,
                   str(r["check"]), reason), "against": against}


def _amounts_carry(t: Tables) -> str:
    """The phase the amounts of award categories and media outlets are (they have no phase
    columns): allocations, to compare with 全年预算数, where the fund's 执行口径 is 安排;
    execution (全年执行数) otherwise."""
    word = t["fund"].iloc[0].get("spent_word")
    return "annual_fen" if word is not None and not pd.isna(word) and word == SpentWord.ALLOCATED else "executed_fen"


@stated(StatedCheck.RECEIVED)
def _stated_received(t: Tables, r: pd.Series, _by_key: dict) -> Iterable[Row]:
    inst = t.get("instalments")
    computed = metrics.money_sum(inst["amount_fen"]) if inst is not None and len(inst) else None
    yield check(_label(r), Rule.INSTALMENTS, int(r["stated"]), computed, "元", r["source"], _part(r))


_PHASE_COLUMN = {StatedCheck.INITIAL: "initial_fen", StatedCheck.ADJUSTMENT: "adjustment_fen",
                 StatedCheck.ANNUAL: "annual_fen", StatedCheck.EXECUTED: "executed_fen"}
#: The phases a fund, part or line may state, by column, with their names in the form.
PHASE_NAMES = {"initial_fen": "年初预算数", "adjustment_fen": "调整数", "annual_fen": "全年预算数",
               "executed_fen": "全年执行数"}


def _parts_sum(t: Tables, column: str) -> int | None:
    """The parts' total of one phase column, or None unless every part gives it."""
    parts = t.get("parts")
    if parts is None or not len(parts) or column not in parts or parts[column].isna().any():
        return None
    return metrics.money_sum(parts[column])


def _value(row: pd.Series, column: str) -> int | None:
    v = row.get(column)
    return None if v is None or pd.isna(v) else int(v)


@derived
def _phases(t: Tables) -> Iterable[Row]:
    """年初预算数 + 调整数 = 全年预算数, wherever all three are given (fund, part, line)."""
    fund = t["fund"].iloc[0]
    rows = [("专项资金", fund, None)]
    parts = t.get("parts")
    if parts is not None:
        rows += [(f"部分·{p['part']}", p, p["part"]) for _, p in parts.iterrows()]
    lines = t.get("lines")
    if lines is not None:
        rows += [(f"明细·{ln['item']}", ln, None if pd.isna(ln["part"]) else ln["part"])
                 for _, ln in lines.iterrows()]
    for name, row, part in rows:
        initial, adj, annual = (_value(row, c) for c in ("initial_fen", "adjustment_fen", "annual_fen"))
        if initial is not None and adj is not None and annual is not None:
            yield check(f"预算调整·{name}", Rule.PHASES, annual, initial + adj, "元", row.get("source"),
                        part, name.split("·", 1)[1] if "·" in name else None)


@derived
def _part_budgets(t: Tables) -> Iterable[Row]:
    """The parts' budgets add up to the fund's, when every part has one."""
    parts = t.get("parts")
    fund = metrics.budget_of(t["fund"].iloc[0])
    if parts is None or not len(parts) or fund.fen is None:
        return
    budgets = [metrics.budget_of(p).fen for _, p in parts.iterrows()]
    if any(b is None for b in budgets):
        return
    yield check("各部分预算合计", Rule.PART_BUDGETS, fund.fen, sum(b for b in budgets if b is not None), "元",
                t["fund"].iloc[0].get("source"))


@derived
def _line_phases(t: Tables) -> Iterable[Row]:
    """The lines' 年初 / 调整 / 全年 add up to their part's, or to the fund's when the fund has one
    part or none."""
    lines = t.get("lines")
    if lines is None or not len(lines):
        return
    parts = t.get("parts")
    fund = t["fund"].iloc[0]
    single = parts is None or len(parts) <= 1
    for column in ("initial_fen", "adjustment_fen", "annual_fen"):
        if lines[column].isna().all():
            continue
        scopes: list[tuple[str | None, pd.Series]] = []
        if parts is not None:
            scopes += [(p["part"], p) for _, p in parts.iterrows()]
        if single:
            scopes.append((None, fund))
        for part, owner in scopes:
            stated_value = _value(owner, column)
            if stated_value is None or not metrics.phase_lines(t, column, part):
                continue
            computed, reason = phase_of_lines(t, column, part)
            scope = "全部" if part is None else part
            yield check(f"明细{PHASE_NAMES[column]}合计·{scope}", Rule.LINE_PHASE, stated_value, computed, "元",
                        owner.get("source"), part, PHASE_NAMES[column], reason)


@derived
def _executed(t: Tables) -> Iterable[Row]:
    """A stated 全年执行数 (fund or part) against the sum of its spending rows (none without any)."""
    fund = t["fund"].iloc[0]
    if not metrics.has_spending(t):
        return
    owners: list[tuple[str | None, pd.Series]] = [(None, fund)]
    parts = t.get("parts")
    if parts is not None:
        owners += [(p["part"], p) for _, p in parts.iterrows()]
    for part, owner in owners:
        stated_value = _value(owner, "executed_fen")
        if stated_value is None:
            continue
        computed, reason = spent_of_lines(t, part)
        if computed is None and reason is None:
            reason = {"code": "no_rows", "figure": "executed_fen"}
        scope = "全部" if part is None else part
        yield check(f"全年执行数·{scope}", Rule.EXECUTED_LINES, stated_value, computed, "元", owner.get("source"),
                    part, reason=reason)
    if parts is not None and len(parts) and _value(fund, "executed_fen") is not None:
        ex = [metrics.execution_of(t, p, p["part"]) for _, p in parts.iterrows()]
        if all(e.basis == SpentBasis.STATED for e in ex):
            yield {**check("各部分执行数合计", Rule.PART_EXECUTION, _value(fund, "executed_fen"),
                           sum(e.fen for e in ex if e.fen is not None), "元", fund.get("source")),
                   "against": "parts"}


@derived
def _instalments(t: Tables) -> Iterable[Row]:
    """The instalments received add up to 到位资金, or, when the report states no 到位资金, to
    the budget (money received short of the budget is a finding)."""
    inst, fund = t.get("instalments"), t["fund"].iloc[0]
    if inst is None or not len(inst):
        return
    received = _value(fund, "received_fen")
    total = metrics.money_sum(inst["amount_fen"])
    if received is not None:
        yield check("分批到位合计", Rule.INSTALMENTS, received, total, "元", fund.get("source"))
        return
    totals = t.get("stated_totals")
    if totals is not None and (totals["check"] == StatedCheck.RECEIVED).any():
        return  # the 核对项 到位资金 checks them
    budget = metrics.budget_of(fund)
    if budget.fen is not None:
        yield check("分批到位合计·预算", Rule.INSTALMENTS_BUDGET, budget.fen, total, "元", fund.get("source"))


@derived
def _scale(t: Tables) -> Iterable[Row]:
    """An amount far out of scale with its column's other amounts (a 元 among 万元): a finding,
    never corrected (see :mod:`fundanalysis.ingest.scale`)."""
    from fundanalysis.ingest.scale import scale_outliers

    for o in scale_outliers(t):
        name = f"{o.sheet}·{o.header}·{o.label or o.row}"
        reason = {"code": "scale", "ratio": o.ratio, "sheet": o.sheet, "row": o.row, "column": o.header}
        row = check(f"数量级·{name}", Rule.SCALE, o.value_fen, o.median_fen, "元",
                    f"{o.sheet} 第 {o.row} 行" if o.row else o.sheet, subject=o.label or o.header, reason=reason)
        yield {**row, "ok": False}


@derived
def _titles(t: Tables) -> Iterable[Row]:
    """An outlet's item count against the titles the report lists for it (only where it lists some)."""
    media, items = t.get("media_outlets"), t.get("media_items")
    if media is None or items is None or not len(items):
        return
    counts = items.groupby("outlet").size()
    for _, o in media.iterrows():
        listed = int(counts.get(o["outlet"], 0))
        if not listed:
            continue
        stated_count = None if pd.isna(o["item_count"]) else int(o["item_count"])
        yield check(f"项目名称数·{o['outlet']}", Rule.TITLES, stated_count, listed, "项", o["source"],
                    subject=o["outlet"])


@derived
def _recipients(t: Tables) -> Iterable[Row]:
    cats = t.get("award_categories")
    if cats is None or "stated_recipients" not in cats:
        return
    for _, c in cats[cats["stated_recipients"].notna()].iterrows():
        yield check(f"获奖单位数·{c['category']}", Rule.RECIPIENTS, int(c["stated_recipients"]),
                    None if pd.isna(c["recipients"]) else int(c["recipients"]), "家", c["source"],
                    subject=c["category"])
    for _, c in cats[cats["stated_amount_fen"].notna()].iterrows():
        yield check(f"奖励金额·{c['category']}", Rule.AWARD_AMOUNT, int(c["stated_amount_fen"]),
                    int(c["amount_fen"]), "元", c["source"], subject=c["category"])


@derived
def _components(t: Tables) -> Iterable[Row]:
    rankings, breakdowns = t.get("rankings"), t.get("breakdowns")
    if rankings is None or breakdowns is None or not len(breakdowns):
        return
    for ind, total in breakdowns.groupby("indicator", sort=False)["value"].sum().items():
        r = rankings[rankings["indicator"] == ind].iloc[0]
        yield check(f"分项合计·{ind}", Rule.COMPONENTS, int(r["value"]), int(total), r["unit"],
                    r["source"], subject=str(ind))


@derived
def _shares(t: Tables) -> Iterable[Row]:
    comparisons = t.get("comparisons")
    if comparisons is None:
        return
    for _, c in comparisons[comparisons["stated_share"].notna()].iterrows():
        computed = (Fraction(int(c["city_value"]), int(c["province_value"]))
                    if pd.notna(c["province_value"]) and int(c["province_value"]) else None)
        yield check(f"占全省比例·{c['indicator']}", Rule.SHARE, parse_fraction(c["stated_share"]),
                    computed, "比例", c["source"], subject=c["indicator"])


@derived
def _rank_words(t: Tables) -> Iterable[Row]:
    rankings = t.get("rankings")
    if rankings is None:
        return
    for _, r in rankings.iterrows():
        from_text = rank_in_text(r["rank_text"])
        if pd.notna(r["rank_number"]) and from_text is not None:
            yield check(f"名次与表述·{r['indicator']}", Rule.RANK_TEXT, from_text, int(r["rank_number"]),
                        "名", r["source"], subject=r["indicator"])


#: The form's money columns, as the check names them.
FORM_PHASES = {"approved": "年初预算数", "budget": "全年预算数", "executed": "全年执行数"}
#: The form's money rows, as the check names them.
FORM_FUNDS = {"total": "年度资金总额", "appropriation": "财政拨款", "carryover": "上年结转资金",
              "other": "其他资金"}
_FORM_RULES = {
    CheckCode.MONEY_TOTAL: Rule.FORM_MONEY_TOTAL, CheckCode.STATED_RATE: Rule.FORM_RATE,
    CheckCode.STATED_SCORE: Rule.FORM_SCORE, CheckCode.BLOCK_WEIGHT: Rule.FORM_BLOCK_WEIGHT,
    CheckCode.UNKNOWN_BLOCK: Rule.FORM_UNKNOWN_BLOCK, CheckCode.DUPLICATE_INDICATOR: Rule.FORM_DUPLICATE,
    CheckCode.TOTAL_WEIGHT: Rule.FORM_TOTAL_WEIGHT, CheckCode.STATED_TOTAL: Rule.FORM_TOTAL,
}


def _form_subject(c: Any) -> str:
    """What a form check is about, in the form's words."""
    if c.code is CheckCode.MONEY_TOTAL:
        return FORM_PHASES.get(str(c.column), str(c.column))
    if c.code is CheckCode.STATED_RATE:
        return FORM_FUNDS.get(str(c.subject), str(c.subject))
    return {"budget": "预算执行", "all": "全部", "total": "总分"}.get(str(c.subject), str(c.subject))


@derived
def _form(t: Tables) -> Iterable[Row]:
    """The self-evaluation form's checks (money block, rates, scores, weights, total), only for
    a year whose workbook transcribes a form."""
    from fundanalysis.analysis.selfeval import self_evaluation

    se = self_evaluation(t)
    if se is None or not se.has_form:
        return
    source = "自评表"
    for c in se.checks:
        subject = _form_subject(c)
        name = {CheckCode.MONEY_TOTAL: f"资金总额·{subject}", CheckCode.STATED_RATE: f"执行率·{subject}",
                CheckCode.STATED_SCORE: f"得分·{subject}", CheckCode.BLOCK_WEIGHT: f"分值·{subject}",
                CheckCode.UNKNOWN_BLOCK: f"一级指标·{subject}", CheckCode.DUPLICATE_INDICATOR: f"指标重复·{subject}",
                CheckCode.TOTAL_WEIGHT: "分值总计", CheckCode.STATED_TOTAL: "总分"}[c.code]
        if c.code is CheckCode.MONEY_TOTAL:
            row = check(name, Rule.FORM_MONEY_TOTAL, c.stated, c.computed, "元", source, subject=subject)
        elif c.code is CheckCode.STATED_RATE:
            row = {**check(name, Rule.FORM_RATE, Fraction(c.stated), c.computed, "%", source, subject=subject),
                   "ok": c.ok}
        elif c.code is CheckCode.DUPLICATE_INDICATOR:
            row = {**check(name, Rule.FORM_DUPLICATE, "、".join(c.stated), None, None, source, subject=subject),
                   "ok": False}
        else:
            stated_v = None if c.stated is None else str(c.stated)
            computed_v = None if c.computed is None else str(c.computed)
            diff = None if c.stated is None or c.computed is None else str(Decimal(c.computed) - Decimal(c.stated))
            row = {"check": name, "rule": _FORM_RULES[c.code], "part": None, "subject": subject,
                   "stated": stated_v, "computed": computed_v, "difference": diff, "ok": c.ok, "unit": "分",
                   "source": source}
        yield row


@metrics.once
def reconcile_totals(tables: Tables) -> pd.DataFrame:
    """Compare every stated total with what its parts add up to.

    Returns one row per check with columns :data:`COLUMNS`.
    """
    rows: list[Row] = []
    totals = tables.get("stated_totals")
    if totals is not None:
        by_key = {(r["check"], None if pd.isna(r["part"]) else r["part"]): r for _, r in totals.iterrows()}
        for r in by_key.values():
            rows.extend(_STATED[StatedCheck(r["check"])](tables, r, by_key))
    for fn in _DERIVED:
        rows.extend(fn(tables))
    # values stay Python ints (分, counts): a column with None must not turn them into floats
    return pd.DataFrame(_once(rows), columns=COLUMNS, dtype=object)


#: Rules that compare a stated amount of one kind with the rows that carry it: two of them with
#: the same scope and the same figures are the same finding (the first, a 核对项, is kept).
_SAME_FIGURE = {Rule.SPENT: "executed", Rule.EXECUTED_LINES: "executed", Rule.INSTALMENTS: "received",
                Rule.PART_EXECUTION: "executed", Rule.STATED_PHASE: None, Rule.LINE_PHASE: None}


def _once(rows: list[Row]) -> list[Row]:
    """The rows with each comparison once: a stated total checked against the same rows under two
    names (核对项 全年执行数 and 全年执行数·全部) is one finding. ``against`` (lines or parts; not
    a column) tells a comparison with the lines from one with the parts."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for r in rows:
        rule = Rule(r["rule"])
        if rule in _SAME_FIGURE and r["unit"] == "元":
            kind = _SAME_FIGURE[rule] or ("executed" if r["subject"] == PHASE_NAMES["executed_fen"] else r["subject"])
            key = (kind, r.get("against", "lines"), r["part"], r["stated"], r["computed"])
            if key in seen:
                continue
            seen.add(key)
        out.append(r)
    return out


def check_counts(rec: pd.DataFrame) -> dict[str, int]:
    """How many checks passed, failed and could not be made.

    >>> check_counts(pd.DataFrame({"ok": [True, False, None, True]}))
    {'checks': 4, 'ok': 2, 'failed': 1, 'unknown': 1}
    """
    ok = rec["ok"]
    return {"checks": len(rec), "ok": int(ok.map(lambda v: v is True).sum()),
            "failed": int(ok.map(lambda v: v is False).sum()), "unknown": int(ok.isna().sum())}


@derived
def _over_execution(t: Tables) -> Iterable[Row]:
    """Money executed beyond the year's budget (执行数 > 全年预算数), wherever the figures come
    from (the fund sheet, or the form's 资金来源 block): a finding. Shown only when it happens."""
    o = metrics.utilisation(t).iloc[0]
    if pd.isna(o["spent_fen"]) or pd.isna(o["budget_fen"]) or not bool(o["over_budget"]):
        return
    budget, spent = int(o["budget_fen"]), int(o["spent_fen"])
    yield {"check": "执行数不超过预算", "rule": Rule.OVER_EXECUTION, "part": None, "subject": None,
           "stated": budget, "computed": spent, "difference": spent - budget, "ok": False, "unit": "元",
           "source": None}
