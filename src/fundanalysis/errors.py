"""Error types shared by the library and the CLI."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from fundanalysis.i18n import _

_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]")


def printable(text: Any) -> str:
    """Text safe to print on a terminal: control and invisible characters shown as ``<U+001B>``.

    Escape sequences in a user's data can otherwise recolour or hide the rest of the output.

    >>> printable("常州\x1b[2J日报\u200b")
    '常州<U+001B>[2J日报<U+200B>'
    """
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", str(text))


def char_name(ch: str) -> str:
    """A character with its code point and Unicode name, e.g. ``'（' U+FF08 FULLWIDTH LEFT PARENTHESIS``."""
    shown = printable(ch) if _INVISIBLE.fullmatch(ch) else repr(ch)
    return f"{shown} U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}"


#: Characters of an input value a message quotes at most (a cell may hold a whole file's text).
EXCERPT_CHARS = 60


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was.

    >>> excerpt("常州" * 40)[-16:]
    '…(80 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} characters)"


def _shorten(reason: str, value: Any) -> str:
    """A reason with any long quotation of ``value`` in it cut to an excerpt."""
    if value is None:
        return reason
    for quoted in (repr(value), str(value)):
        if len(quoted) > EXCERPT_CHARS and quoted in reason:
            reason = reason.replace(quoted, excerpt(quoted))
    return reason


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as the input allows."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: Any
    reason: str
    #: what ``row`` counts: an Excel "row", or a "line" of a text file (CSV)
    row_kind: str = "row"

    def __str__(self) -> str:
        """``file, sheet 'S', row 5, column 'C', value 'v': reason``, its frame words in the current
        language (文件 …，工作表 …，第 5 行 … in Chinese); a reason marked for the catalogue is
        translated too."""
        where = [_("{file}").format(file=printable(self.file))]
        if self.sheet is not None:
            where.append(_("sheet {sheet}").format(sheet=printable(repr(self.sheet))))
        if self.row is not None:
            where.append((_("line {row}") if self.row_kind == "line" else _("row {row}")).format(row=self.row))
        if self.column is not None:
            where.append(_("column {column}").format(column=printable(repr(self.column))))
        if self.value is not None:
            where.append(_("value {value}").format(value=printable(excerpt(repr(self.value)))))
        return _("{where}: {reason}").format(where=_(", ").join(where),
                                              reason=printable(_shorten(_(self.reason), self.value)))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else excerpt(str(self.value)),
            "reason": _shorten(self.reason, self.value),
            "row_kind": self.row_kind,
        }


class InputError(Exception):
    """The input is bad; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class BuildError(Exception):
    """A report build failed (a notebook raised, timed out or its kernel died)."""


class LockedError(Exception):
    """Another build of the same year is running."""


class StorageError(Exception):
    """A file or folder cannot be written or replaced: disk full, read-only, or in the way.

    Raised instead of touching anything the tool did not create; the message names the path.
    """


class Interrupted(BaseException):
    """The process received SIGTERM, SIGINT or SIGHUP; raised so that clean-up runs."""

    def __init__(self, signum: int):
        import signal

        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")
