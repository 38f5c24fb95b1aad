"""The scoring policy of the self-evaluation form: the rules that vary locally, with the defaults of
docs/domain.md, read from a fund's ``scoring.toml`` (validated, every problem located by its key).

Layout of the file (every key optional; absent keys keep the defaults)::

    decimals = 2
    [budget]
    weight = 10
    zero_below = 0.6          # optional: a rate below it scores 0
    over_100 = "cap"          # or "symmetric": 分值 × (2 − rate), floor 0
    [qualitative]
    partial = 0.6             # share of 分值 for 部分达成 / 基本达成
    [time]
    late_month_deduction = 0.2  # optional: share of 分值 lost per month late (absent: late scores 0)
    [blocks]                  # Chinese keys are quoted: TOML 1.0 bare keys are ASCII
    "产出指标" = 50
    "效益指标" = 30
    "满意度指标" = 10
    [grades]                  # highest first; the lowest band starts at 0
    "优" = 90
    "良" = 80
    "中" = 60
    "差" = 0
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from fundanalysis.errors import InputError, Problem


class OverBudget(StrEnum):
    """What an execution rate above 100% scores."""

    CAP = "cap"
    SYMMETRIC = "symmetric"


DEFAULT_BLOCKS: tuple[tuple[str, Decimal], ...] = (
    ("产出指标", Decimal(50)), ("效益指标", Decimal(30)), ("满意度指标", Decimal(10)))
DEFAULT_GRADES: tuple[tuple[str, Decimal], ...] = (
    ("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", Decimal(0)))


@dataclass(frozen=True)
class Policy:
    """Scoring rules; the defaults are those of docs/domain.md. ``grades`` run from the highest threshold down to 0."""

    decimals: int = 2
    budget_weight: Decimal = Decimal(10)
    budget_zero_below: Fraction | None = None
    budget_over_100: OverBudget = OverBudget.CAP
    qualitative_partial: Fraction = Fraction(3, 5)
    late_month_deduction: Fraction | None = None
    blocks: tuple[tuple[str, Decimal], ...] = DEFAULT_BLOCKS
    grades: tuple[tuple[str, Decimal], ...] = DEFAULT_GRADES

    @property
    def block_weights(self) -> dict[str, Decimal]:
        """Weight of each 一级指标."""
        return dict(self.blocks)

    @property
    def total_weight(self) -> Decimal:
        """Budget weight plus block weights (100 for a valid policy)."""
        return sum((w for _, w in self.blocks), self.budget_weight)


DEFAULT_POLICY = Policy()


# --- policy files -------------------------------------------------------------------------------------

_SECTIONS: dict[str, tuple[str, ...]] = {
    "budget": ("weight", "zero_below", "over_100"),
    "qualitative": ("partial",),
    "time": ("late_month_deduction",),
}
_TABLES = ("blocks", "grades")
_TOP = ("decimals", *_SECTIONS, *_TABLES)


class _Reader:
    """Collects located problems while reading a policy mapping."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def bad(self, key: str | None, value: Any, reason: str) -> None:
        self.problems.append(Problem(self.file, None, None, key, value, reason))

    def number(self, key: str, value: Any, low: Decimal, high: Decimal, *, low_open: bool = False) -> Decimal | None:
        """A number in [low, high] (or (low, high]) as an exact Decimal, else None with a problem."""
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.bad(key, value, f"expected a number, not {type(value).__name__}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.bad(key, value, "expected a finite number")
            return None
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if number < low or number > high or (low_open and number == low):
            bracket = "(" if low_open else "["
            self.bad(key, value, f"expected a number in {bracket}{low}, {high}]")
            return None
        return number

    def table(self, key: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.bad(key, value, f"expected a table [{key}], not {type(value).__name__}")
            return {}
        return value


def policy_from_mapping(data: Mapping[str, Any], file: str) -> Policy:
    """Build a policy from a mapping laid out like the TOML file; absent keys keep the defaults.

    Unknown keys, wrong types and out-of-range values are InputError problems naming the key path.

    >>> policy_from_mapping({"time": {"late_month_deduction": 0.2}}, "policy.toml").late_month_deduction
    Fraction(1, 5)
    >>> policy_from_mapping({"budget": {"weight": -1}}, "policy.toml")
    Traceback (most recent call last):
    ...
    fundanalysis.errors.InputError: policy.toml, column 'budget.weight', value -1: expected a number in [0, 100]
    """
    r = _Reader(file)
    changes: dict[str, Any] = {}
    zero, one, hundred = Decimal(0), Decimal(1), Decimal(100)
    for key, value in data.items():
        if key not in _TOP:
            r.bad(str(key), value, f"unknown key (expected one of {', '.join(_TOP)})")
    if "decimals" in data:
        value = data["decimals"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
            r.bad("decimals", value, "expected a whole number from 0 to 6")
        else:
            changes["decimals"] = value
    sections = {name: r.table(name, data[name]) if name in data else {} for name in _SECTIONS}
    for name, section in sections.items():
        for key, value in section.items():
            if key not in _SECTIONS[name]:
                r.bad(f"{name}.{key}", value, f"unknown key (expected one of {', '.join(_SECTIONS[name])})")
    budget, qualitative, time = sections["budget"], sections["qualitative"], sections["time"]
    if "weight" in budget and (w := r.number("budget.weight", budget["weight"], zero, hundred)) is not None:
        changes["budget_weight"] = w
    if "zero_below" in budget and (z := r.number("budget.zero_below", budget["zero_below"], zero, one)) is not None:
        changes["budget_zero_below"] = Fraction(z)
    if "over_100" in budget:
        value = budget["over_100"]
        if not isinstance(value, str) or value not in {o.value for o in OverBudget}:
            r.bad("budget.over_100", value, f"expected one of {', '.join(repr(o.value) for o in OverBudget)}")
        else:
            changes["budget_over_100"] = OverBudget(value)
    if "partial" in qualitative and (
            p := r.number("qualitative.partial", qualitative["partial"], zero, one)) is not None:
        changes["qualitative_partial"] = Fraction(p)
    if "late_month_deduction" in time and (
            d := r.number("time.late_month_deduction", time["late_month_deduction"], zero, one, low_open=True)
    ) is not None:
        changes["late_month_deduction"] = Fraction(d)
    if "blocks" in data:
        changes["blocks"] = _weights(r, "blocks", data["blocks"])
    if "grades" in data:
        grades = _weights(r, "grades", data["grades"])
        thresholds = [t for _, t in grades]
        if grades and (zero not in thresholds or len(set(thresholds)) != len(thresholds)):
            r.bad("grades", dict(data["grades"]), "expected distinct thresholds, the lowest band at 0")
        changes["grades"] = tuple(sorted(grades, key=lambda g: g[1], reverse=True))
    if r.problems:
        raise InputError(r.problems)
    policy = Policy(**changes)
    if policy.total_weight != hundred:
        r.bad("blocks", dict(policy.blocks), f"the blocks and budget.weight add up to {policy.total_weight}, not 100")
        raise InputError(r.problems)
    return policy


def _weights(r: _Reader, name: str, value: Any) -> tuple[tuple[str, Decimal], ...]:
    """Read a table of names → numbers in [0, 100]."""
    table = r.table(name, value)
    out = []
    for key, weight in table.items():
        if not str(key).strip():
            r.bad(f"{name}.{key}", weight, "expected a name")
        elif (w := r.number(f"{name}.{key}", weight, Decimal(0), Decimal(100))) is not None:
            out.append((str(key).strip(), w))
    if isinstance(value, Mapping) and not table:
        r.bad(name, value, f"expected at least one entry in [{name}]")
    return tuple(out)


def policy_from_toml(text: str, file: str) -> Policy:
    """Build a policy from the text of a TOML policy file (the caller reads the file).

    >>> policy_from_toml("[budget]\\nzero_below = 0.6\\n", "policy.toml").budget_zero_below
    Fraction(3, 5)
    """
    deep = InputError([Problem(file, None, None, None, None,
                               f"the policy nests tables or arrays more than {MAX_NESTING} deep; a scoring "
                               "policy is a few flat tables of numbers")])
    depth = _nesting(text)
    if depth > MAX_NESTING:
        raise InputError([Problem(file, None, _nesting_line(text), None, None,
                                  f"the policy nests tables or arrays {depth} deep (more than {MAX_NESTING}); "
                                  "a scoring policy is a few flat tables of numbers", "line")])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = " (Chinese keys need quotes: \"产出指标\" = 50)" if "Invalid statement" in str(exc) else ""
        raise InputError([Problem(file, None, None, None, None, f"not a valid TOML file: {exc}{hint}")]) from None
    except RecursionError:
        raise deep from None
    try:
        return policy_from_mapping(data, file)
    except RecursionError:
        raise deep from None


#: How deep a policy may nest tables, arrays and dotted keys (it needs 2 or 3).
MAX_NESTING = 16
_OPENERS = re.compile(r"[\[{]")


def _nesting(text: str) -> int:
    """A cheap upper bound of how deep ``text`` nests: brackets and braces opened on any one line
    (outside nothing: quotes are not skipped, so a bracket in a string counts, erring on the safe
    side only for absurd strings), and the dots of the longest key path."""
    deepest = 0
    for line in text.splitlines():
        head = line.split("=", 1)[0]
        deepest = max(deepest, len(_OPENERS.findall(line)), head.count(".") + 1)
    return deepest


def _nesting_line(text: str) -> int | None:
    """The first line (1-based) nesting deeper than :data:`MAX_NESTING`."""
    for n, line in enumerate(text.splitlines(), 1):
        if len(_OPENERS.findall(line)) > MAX_NESTING or line.split("=", 1)[0].count(".") + 1 > MAX_NESTING:
            return n
    return None
