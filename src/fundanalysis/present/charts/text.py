"""Text in charts: Chinese line wrapping, shortening, mathtext escaping, tick labels."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import pairwise

from fundanalysis.present import fmt

_TOKEN_RE = re.compile(r"[A-Za-z0-9.,%+\-/]+|\s+|.")
_NO_LINE_START = set("，。、；：！？）》」』”’%％,.;:!?)]}·…")
_NO_LINE_END = set("（《「『“‘([{")
_BREAK_AFTER = set("）》」』”’)]}，、；：")


def _units(s: str) -> int:
    """Display width: a CJK character counts 2, an ASCII character 1."""
    return sum(1 if ord(c) < 0x2E80 else 2 for c in s)


def shorten(text: str, units: int) -> str:
    """Cut text to at most ``units`` display units (a CJK character is 2), ending in "…".

    >>> shorten("中汽研（天津）汽车信息咨询有限公司", 16)
    '中汽研（天津）…'
    """
    text = str(text)
    if _units(text) <= units:
        return text
    out, used = [], 0
    for ch in text:
        w = _units(ch)
        if used + w > units - 2:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def wrap_text(text: str, width: int, max_lines: int = 4) -> str:
    """Wrap Chinese text to lines of at most ``width`` CJK characters, balanced.

    ASCII runs (numbers, words) are not split unless longer than a line, and no line starts
    with closing punctuation. Text that would take more than ``max_lines`` lines is shortened
    with "…" (a chart shows a name; the tables show it whole).

    >>> wrap_text("工信部2019年工业互联网创新发展工程中标企业", 12)
    '工信部2019年工业互联网\\n创新发展工程中标企业'
    >>> wrap_text("很长" * 200, 10).count("\\n")
    3
    """
    text = "\n".join(shorten(p, max_lines * 2 * width) for p in str(text).split("\n")[:max_lines])
    lines_out: list[str] = []
    for para in text.split("\n"):
        total = _units(para)
        limit = 2 * width
        if total <= limit:
            lines_out.append(para)
            continue
        n = math.ceil(total / limit)
        tries = [_greedy_wrap(para, w) for w in range(math.ceil(total / n), limit + 1)]
        fitting: list[list[str]] = [ls for ls in tries if len(ls) <= n] or [tries[-1]]
        best = max(fitting, key=_nice_breaks)  # first of the best: most balanced
        lines_out.extend(best)
    if len(lines_out) > max_lines:
        lines_out = [*lines_out[:max_lines - 1], shorten(lines_out[max_lines - 1] + "……", 2 * width)]
    return "\n".join(lines_out)


def _nice_breaks(lines: Sequence[str]) -> int:
    """How many line breaks fall at punctuation or brackets."""
    return sum(a[-1] in _BREAK_AFTER or b[0] in _NO_LINE_END for a, b in pairwise(lines))


def _greedy_wrap(text: str, limit: int) -> list[str]:
    lines: list[list[str]] = [[]]
    tokens = [t[i:i + limit] for t in _TOKEN_RE.findall(text) for i in range(0, len(t), max(limit, 1))]
    for tok in tokens:
        cur = lines[-1]
        if not cur or _units("".join(cur) + tok) <= limit or tok[0] in _NO_LINE_START:
            cur.append(tok)
            continue
        cut = _break_point(cur)
        lines[-1], rest = cur[:cut], cur[cut:]
        lines.append([*rest, tok])
    return [s for s in ("".join(ln).strip() for ln in lines) if s]


def _break_point(tokens: list[str]) -> int:
    """Where to end a full line: before an opening bracket or after a closing one near the
    end, else before a trailing opening mark, else at the end."""
    half = _units("".join(tokens)) / 2
    for j in range(len(tokens) - 1, 0, -1):
        if _units("".join(tokens[:j])) < half:
            break
        if tokens[j][0] in _NO_LINE_END or tokens[j - 1][-1] in _BREAK_AFTER:
            return j
    return len(tokens) - 1 if tokens[-1][-1] in _NO_LINE_END else len(tokens)


def _esc(text: object) -> str:
    """Data text made safe for matplotlib (no mathtext from a ``$``)."""
    return str(text).replace("$", r"\$")


def _to_wan(fen: int) -> float:
    """One amount (分) as float 万元, for a bar length only."""
    return int(fen) / 1_000_000


def _money_ticks(v: float, _pos: object = None) -> str:
    return fmt.wan(round(v * 1_000_000), decimals=1)


def _pct_ticks(v: float, _pos: object = None) -> str:
    p = v * 100
    return f"{round(p)}%" if abs(p - round(p)) < 1e-9 else f"{p:.1f}%"
