"""The report's sections: one numbered notebook each, its title written once, in its title cell.

A notebook says in its metadata which tables it shows (``fundanalysis.needs``): the section is
built only for a year whose tables have rows there. ``fundanalysis.title_prefix`` names data
that prefixes the title (``rank_scope``: 全省排名与成果 where the ranks are provincial).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fundanalysis.config import REPORT_NOTEBOOKS_DIR
from fundanalysis.present import words
from fundanalysis.present.page import SectionLink
from fundanalysis.storage import notebooks


@dataclass(frozen=True)
class Section:
    """One section of the report: a report notebook, its title and how many code cells it has."""

    path: Path
    title: str
    code_cells: int = 0
    needs: tuple[str, ...] = ()
    title_prefix: str | None = None

    @property
    def slug(self) -> str:
        """The notebook's file stem, used for the HTML name."""
        return self.path.stem

    def applies(self, tables: dict[str, pd.DataFrame]) -> bool:
        """True if the year has rows in one of the tables this section shows (or it needs none)."""
        return not self.needs or any(len(tables.get(t, ())) for t in self.needs)

    def link(self, tables: dict[str, pd.DataFrame] | None = None) -> SectionLink:
        """How navigation shows the section for a year's tables."""
        return SectionLink(self.slug, words.titled(self.title, self.title_prefix, tables or {}))


def section_title(nb: object, default: str) -> str:
    """The title of a notebook: its first Markdown cell's level-1 heading (``# 专项资金概况``)."""
    for cell in getattr(nb, "cells", []):
        if cell.cell_type == "markdown":
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            return first[2:].strip() if first.startswith("# ") else default
    return default


def discover_sections(notebooks_dir: Path = REPORT_NOTEBOOKS_DIR) -> list[Section]:
    """The report notebooks in order, with their titles.

    A notebook that is not valid JSON or not a valid notebook is a BuildError naming it, raised
    before anything runs.
    """
    out = []
    for p in notebooks.report_notebooks(notebooks_dir):
        nb = notebooks.read_notebook(p)
        meta = nb.metadata.get("fundanalysis", {})
        out.append(Section(p, section_title(nb, p.stem), sum(1 for c in nb.cells if c.cell_type == "code"),
                           tuple(meta.get("needs", ())), meta.get("title_prefix")))
    return out
