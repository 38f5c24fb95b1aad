"""The language of the words around the pages: Chinese where the locale says Chinese, English otherwise.

The command line's help, messages and progress lines, and the frame of a located input error
(文件 / 工作表 / 第 N 行 / 列 / 值 / 原因), are marked with :func:`_` and translated through the stdlib
:mod:`gettext` from the catalogue shipped in the package (``translations/zh_CN/LC_MESSAGES/fundanalysis.po``
and its compiled ``.mo``). The language follows the environment as GNU programs do: the first of
``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides, Chinese when it names a
Chinese locale (``zh_CN.UTF-8``); ``FUNDANALYSIS_LANG=zh|en`` overrides it. No locale at all
(``LANG=C``, as under cron) is English. The domain words the product shows in Chinese (全年预算数,
执行率 …) are Chinese in both languages; they are not in the catalogue.
"""

from __future__ import annotations

import gettext
import inspect
import os
from pathlib import Path
from typing import Any

import click

#: The gettext domain: the catalogue's file name.
DOMAIN = "fundanalysis"
#: Where the catalogues live, inside the package.
LOCALE_DIR = Path(__file__).resolve().parent / "translations"
#: The environment variable that overrides the locale's language (``zh`` or ``en``).
OVERRIDE = "FUNDANALYSIS_LANG"
#: The languages :data:`OVERRIDE` accepts, with the catalogue each uses (English has none).
LANGUAGES = {"zh": "zh_CN", "en": "en"}


def chosen_language() -> str | None:
    """The catalogue the override names (``zh_CN`` for ``zh``, ``zh_CN``; ``en``), or None to follow the locale."""
    value = os.environ.get(OVERRIDE, "").strip().lower()
    for prefix, language in LANGUAGES.items():
        if value.startswith(prefix):
            return language
    return None


def translation() -> gettext.NullTranslations:
    """The catalogue of the current language (a pass-through for English)."""
    chosen = chosen_language()
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[chosen] if chosen else None, fallback=True)


def _(message: str) -> str:
    """``message`` in the current language (itself when the catalogue has no translation; "" stays
    "", never the catalogue's header)."""
    return translation().gettext(message) if message else message


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (it is translated where shown)."""
    return message


def use_for_click() -> None:
    """Let click's own words (Usage:, Options:, Error: …) come from the catalogue too.

    click translates with the stdlib's default domain, whose language comes from the environment
    (click's documented way: the application sets gettext up). So the catalogue is made the
    default domain of this process, and an override is passed on as ``LANGUAGE`` (which processes
    the command starts then inherit). Called by the command line only, never on import of the
    library.
    """
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    chosen = chosen_language()
    if chosen:
        os.environ["LANGUAGE"] = chosen


def command_help(text: str | None) -> str | None:
    """A command's help (its docstring) in the current language; the catalogue's entry is the
    docstring as click shows it (:func:`inspect.cleandoc`)."""
    return _(inspect.cleandoc(text)) if text else text


class TranslatedCommand(click.Command):
    """A command whose help is said in the current language (see :func:`command_help`)."""

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        kwargs["help"] = command_help(help)
        super().__init__(*args, **kwargs)
