"""The message catalogue: which messages it must translate, and how it is updated and compiled.

``python -m tests.catalogue update`` adds every message marked in the package (``_("…")``,
``N_("…")``), every command's help and click's own messages to
``src/fundanalysis/translations/zh_CN/LC_MESSAGES/fundanalysis.po`` (keeping the translations it has,
dropping messages no longer used), then compiles the ``.mo``; ``compile`` only compiles. Fill in
the new ``msgstr`` entries between the two. Uses Babel (a dev dependency); ``tests/test_i18n.py``
checks that the catalogue translates all of them and that the ``.mo`` is the ``.po`` compiled.
"""

from __future__ import annotations

import inspect
import io
import sys
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from fundanalysis.i18n import DOMAIN, LOCALE_DIR

PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")
PACKAGE = LOCALE_DIR.parent
#: click's messages it translates with a computed id (``_(extra["required"])``).
CLICK_COMPUTED = ("required",)

Message = str | tuple[str, str]
HEADER = ("# Chinese (zh_CN) messages of the fundanalysis command line: its help, messages and progress\n"
          "# lines, and click's own words. Update with python -m tests.catalogue update (see docs/cli.md).")


def _extract(folder: Path, keywords: dict[str, object], skip_private: bool = False) -> dict[Message, str]:
    found: dict[Message, str] = {}
    for name, _line, message, _comments, _context in extract_from_dir(
            str(folder), method_map=[("**.py", "python")], keywords=keywords):
        if skip_private and Path(name).name.startswith("_"):
            continue  # click's editor and Windows-console internals
        found.setdefault(message, name)  # the file, not the line: lines move with every edit
    return found


def package_messages() -> dict[Message, str]:
    """The messages the package marks (``_``, ``N_``, also as ``i18n._``) and every command's help."""
    from fundanalysis.cli import main

    found = _extract(PACKAGE, {"_": None, "N_": None})
    ctx = click.Context(main)
    commands = [main, *(main.get_command(ctx, n) for n in main.list_commands(ctx))]
    for cmd in commands:
        doc = cmd.callback.__doc__ if cmd is not None and cmd.callback is not None else None
        if doc:
            found.setdefault(inspect.cleandoc(doc), f"command {cmd.name}")
    return found


def click_messages() -> dict[Message, str]:
    """click's own messages (Usage:, Options:, Error: …) as the installed click marks them."""
    found = _extract(Path(click.__file__).parent, {"_": None, "ngettext": (1, 2)}, skip_private=True)
    for message in CLICK_COMPUTED:
        found.setdefault(message, "click (computed)")
    return found


def wanted() -> dict[Message, str]:
    """Every message the catalogue must translate, with where it comes from."""
    return {**click_messages(), **package_messages()}


def read_catalogue(path: Path = PO) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="zh_CN", domain=DOMAIN)


def compiled(catalogue: Catalog) -> bytes:
    """The ``.mo`` of a catalogue."""
    buf = io.BytesIO()
    write_mo(buf, catalogue)
    return buf.getvalue()


def update() -> None:
    """Bring the ``.po`` up to date with :func:`wanted` (translations kept), then compile it."""
    old = read_catalogue() if PO.exists() else Catalog(locale="zh_CN", domain=DOMAIN)
    new = Catalog(locale="zh_CN", domain=DOMAIN, project="fundanalysis", fuzzy=False, header_comment=HEADER,
                  creation_date=old.creation_date, revision_date=old.revision_date)
    for message, where in sorted(wanted().items(), key=lambda kv: kv[1]):
        kept = old.get(message)
        new.add(message, kept.string if kept is not None else ("", "") if isinstance(message, tuple) else "",
                auto_comments=[where])
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, new, width=100, omit_header=False, sort_output=False, include_lineno=False)
    compile_catalogue()


def compile_catalogue() -> None:
    """Write the ``.mo`` from the ``.po``."""
    MO.write_bytes(compiled(read_catalogue()))


if __name__ == "__main__":
    {"update": update, "compile": compile_catalogue}[sys.argv[1]]()
