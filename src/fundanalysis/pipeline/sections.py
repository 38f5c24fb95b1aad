"""The report's sections: one numbered notebook each, its title written once, in its title cell.

A notebook says in its metadata which tables it shows (``fundanalysis.needs``): the section is
built only for a year whose tables have rows there. ``fundanalysis.title_prefix`` names data
that prefixes the title (``rank_scope``: 全省排名与成果 where the ranks are provincial).

What a section's page is made from (its *reads*: the tables whose content it depends on) decides
when a build may reuse the page instead of running the notebook again. A notebook may say so in
``fundanalysis.reads`` (a list of tables, or ``"*"`` for every table of the year); otherwise it
reads the tables it needs, the tables shown beside them (:data:`SHOWN_WITH`) and the fund and its
parts (every page names the fund; parts label amounts). A section that needs nothing (the
overview) reads every table of the year and the other years' key figures (year over year).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fundanalysis.config import REPORT_NOTEBOOKS_DIR
from fundanalysis.storage import notebook_files

if TYPE_CHECKING:
    import pandas as pd

    from fundanalysis.present.page import SectionLink

#: Every table of the year.
ALL = "*"
#: Tables every section reads: the fund (title, issuer, the word for spending) and its parts.
COMMON_READS = ("fund", "parts")
#: Tables a section that needs one of the keys also reads (the tables shown beside it); ``*``:
#: the section depends on the whole year (the self-evaluation scores the spending, too).
SHOWN_WITH: dict[str, tuple[str, ...]] = {
    "lines": ("instalments",), "instalments": ("lines",),
    "award_categories": ("awards",), "awards": ("award_categories",),
    "media_outlets": ("media_items", "stated_totals"), "media_items": ("media_outlets",),
    "rankings": ("breakdowns", "comparisons", "peer_values"),
    "indicators": (ALL,), "money_sources": (ALL,), "goals": (ALL,),
}


@dataclass(frozen=True)
class Section:
    """One section of the report: a report notebook, its title and how many code cells it has."""

    path: Path
    title: str
    code_cells: int = 0
    needs: tuple[str, ...] = ()
    title_prefix: str | None = None
    #: the tables the section's page depends on (``("*",)``: all of the year's)
    reads: tuple[str, ...] = (ALL,)
    #: SHA-256 of the notebook file (a change to it rebuilds the section)
    digest: str = ""
    #: the names its parameters cell declares (None: it has no parameters cell)
    parameters: tuple[str, ...] | None = None

    @property
    def slug(self) -> str:
        """The notebook's file stem, used for the HTML name."""
        return self.path.stem

    @property
    def compares_years(self) -> bool:
        """Whether the section shows other years' figures (the overview's year over year)."""
        return not self.needs

    def applies(self, tables: dict[str, pd.DataFrame]) -> bool:
        """True if the year has rows in one of the tables this section shows (or it needs none)."""
        return not self.needs or any(len(tables.get(t, ())) for t in self.needs)

    def read_tables(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """Of a year's table names, those the section reads (sorted)."""
        return sorted(names) if ALL in self.reads else sorted(set(self.reads))

    def link(self, tables: dict[str, pd.DataFrame] | None = None) -> SectionLink:
        """How navigation shows the section for a year's tables."""
        from fundanalysis.present import words
        from fundanalysis.present.page import SectionLink

        return SectionLink(self.slug, words.titled(self.title, self.title_prefix, tables or {}))


def section_title(nb: object, default: str) -> str:
    """The title of a notebook: its first Markdown cell's level-1 heading (``# 专项资金概况``)."""
    for cell in getattr(nb, "cells", []):
        if cell.cell_type == "markdown":
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            return first[2:].strip() if first.startswith("# ") else default
    return default


def section_reads(needs: tuple[str, ...], declared: object = None) -> tuple[str, ...]:
    """The tables a section depends on: those its notebook declares (``fundanalysis.reads``), else
    its needs, the tables shown with them and :data:`COMMON_READS`; all (``*``) without needs."""
    if declared == ALL or (isinstance(declared, list | tuple) and ALL in declared):
        return (ALL,)
    if isinstance(declared, list | tuple):
        return tuple(sorted({*map(str, declared), *COMMON_READS}))
    if not needs:
        return (ALL,)
    reads = {*needs, *COMMON_READS}
    for t in needs:
        reads.update(SHOWN_WITH.get(t, ()))
    return (ALL,) if ALL in reads else tuple(sorted(reads))


_PARAMETER = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=", re.M)


def declared_parameters(nb: object) -> tuple[str, ...] | None:
    """The names assigned in a notebook's cell tagged ``parameters`` (None if it has none)."""
    for cell in getattr(nb, "cells", []):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return tuple(_PARAMETER.findall(cell.source))
    return None


def discover_sections(notebooks_dir: Path = REPORT_NOTEBOOKS_DIR) -> list[Section]:
    """The report notebooks in order, with their titles.

    A notebook that is not valid JSON or not a valid notebook is a BuildError naming it, raised
    before anything runs.
    """
    out = []
    for p in notebook_files.report_notebooks(notebooks_dir):
        nb = notebook_files.read_notebook(p)
        meta = nb.metadata.get("fundanalysis", {})
        needs = tuple(meta.get("needs", ()))
        # the notebook as JSON, without outputs or ids that opening it in Jupyter may change
        digest = hashlib.sha256(repr([(c.cell_type, c.source, sorted(c.get("metadata", {}).get("tags", [])))
                                      for c in nb.cells]).encode()
                                + repr(sorted(meta.items())).encode()).hexdigest()
        out.append(Section(p, section_title(nb, p.stem), sum(1 for c in nb.cells if c.cell_type == "code"),
                           needs, meta.get("title_prefix"), section_reads(needs, meta.get("reads")),
                           digest, declared_parameters(nb)))
    return out
