"""Chart files for briefings: every chart of a year as PNG and SVG, published as one folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from fundanalysis.ingest.load import load_tables
from fundanalysis.storage import catalog, files


def write_charts(tables: dict[str, pd.DataFrame], dest: Path, formats: Sequence[str] = ("png",),
                 dpi: int = 200) -> list[Path]:
    """Render every chart of a year into ``dest`` (one file per chart and format)."""
    from fundanalysis.present import charts

    written = []
    for spec in charts.chart_specs(tables):
        fig = spec.make()
        for fmt in formats:
            p = dest / f"{spec.slug}.{fmt}"
            files.write_bytes(p, charts.render(fig, fmt, dpi=dpi))
            written.append(p)
    return written


def export_charts(fund: str, year: int, data_dir: Path, out_dir: Path, formats: Sequence[str] = ("png", "svg"),
                  dpi: int = 200) -> list[Path]:
    """Export a fund's year's charts to ``<out>/<fund>/exports/<year>/charts/`` for briefings.

    The files are rendered into a staging folder and published in one atomic step as a new
    version of that folder (the previous export is replaced whole, never file by file).
    """
    catalog.check_output_place(out_dir, data_dir)
    tables = load_tables(data_dir, year, fund)
    final = catalog.exports_dir(out_dir, fund, year)
    files.check_publishable(final)
    with files.staging_dir(final) as tmp:
        names = [p.name for p in write_charts(tables, tmp, formats, dpi)]
        files.publish_dir(tmp, final)
    return [final / n for n in names]
