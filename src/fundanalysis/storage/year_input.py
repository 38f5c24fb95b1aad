"""One fund-year's input, resolved once: where its tables come from and what keeps its charts.

A :class:`YearInput` is made once where a fund-year enters the library — the build (one per year it
validated), ``fa.load``, ``Report.load`` — and handed to the layers that need it, instead of each
layer resolving the fund, hashing the raw input again or filling a module-level cache for another.

A build's notebooks get theirs from papermill parameters (``snapshot``, ``key_figures``,
``chart_cache``, ``redraw``): the processed snapshot the build validated and wrote (exactly the
tables its record names, never the raw workbook as it may be now), the key figures the build
worked out for the fund's years, and the folder of rendered charts kept by content. An analyst's
notebook leaves them empty: the year's tables are loaded as ``fa.load`` loads them.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundanalysis.config import DATA_DIR
from fundanalysis.storage import catalog, files


@dataclass(frozen=True)
class YearInput:
    """A fund's year: its data folder (resolved), fund key and year, and what a build pinned."""

    data_dir: Path
    fund: str
    year: int
    #: the processed snapshot folder a build validated for this year (None: load the year's tables)
    snapshot: Path | None = None
    #: a file of the key figures of the fund's years, as a build worked them out (None: work them out)
    key_figures: Path | None = None
    #: the folder of rendered charts kept by content (None: draw every chart, keep none)
    chart_cache: Path | None = None
    #: draw every chart even when the cache has it (and store it again): a ``--force`` build
    redraw: bool = False

    @classmethod
    def resolve(cls, year: int, data_dir: str | Path = "", fund: str | None = "", snapshot: str | Path = "",
                key_figures: str | Path = "", chart_cache: str | Path = "", redraw: bool = False) -> YearInput:
        """The fund-year as a notebook or command names it: ``data_dir`` empty is the project's
        ``data/``; ``fund`` empty is the only fund there is; empty paths are None."""
        data = catalog.existing_dir(data_dir or DATA_DIR, "data_dir")
        key = catalog.resolve_fund(data, fund or None)

        def path(p: str | Path) -> Path | None:
            return Path(p).expanduser().resolve() if str(p) else None

        return cls(data, key, int(year), path(snapshot), path(key_figures), path(chart_cache), bool(redraw))


def write_key_figures(path: Path, figures: dict[int, dict[str, Any]]) -> Path:
    """Keep a build's key figures of a fund's years (year → figures, exact values) for its notebooks."""
    files.write_bytes(path, pickle.dumps(dict(figures), protocol=pickle.HIGHEST_PROTOCOL))
    return path


def read_key_figures(path: Path) -> dict[int, dict[str, Any]]:
    """The key figures :func:`write_key_figures` kept (a file the build wrote for its own notebooks)."""
    with open(path, "rb") as fh:
        got = pickle.load(fh)  # written by this build, in its own staging folder
    if not isinstance(got, dict):
        raise ValueError(f"{path} holds no key figures")
    return got
