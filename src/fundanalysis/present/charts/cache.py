"""Rendered charts kept by content, so a build draws a chart again only when what it shows changed.

A chart is a function of the year's tables, its own arguments and theme, the library's code and
the drawing packages. Its rendered bytes are stored under a digest of all of these — but of the
tables, only those the chart *read* when it was last drawn: the chart function is handed a
recording view of the tables, and the names it looked up are kept beside the cache's entries. A
media chart is so not drawn again when only the award table changed, nor a year's charts when
only another year's figures did (its overview's year-over-year table).

Sound by construction: the key holds the names read and the exact contents of each (see
:func:`table_digest`), so a stored chart is found only when every table it read is unchanged, in
which case drawing it again would read the same tables and give the same bytes. Iterating over
the tables counts as reading all of them, and which tables exist.

The cache is a :class:`ChartStore` handed to :func:`render` by whoever draws: a build's notebooks
get its folder as a parameter (``Report.load(chart_cache=...)``); a ``--force`` build draws
everything and refreshes the cache (``read=False``). Without a store (an analyst's notebook)
charts are always drawn.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis import config
from fundanalysis.present.memo import ObjectMemo
from fundanalysis.storage import blobs, digests

#: What the recording view notes when the tables are iterated (every table, and which exist).
ALL = "*"


@dataclass(frozen=True)
class ChartStore:
    """Rendered charts kept in the folder ``root``; ``read=False`` draws every chart but still
    stores it (a ``--force`` build)."""

    root: Path
    read: bool = True

    @classmethod
    def at(cls, root: str | Path | None, read: bool = True) -> ChartStore | None:
        """A store in ``root``, or None (no cache) when ``root`` is None or empty."""
        return cls(Path(root), read) if root and str(root) else None


class _Recording(dict):
    """The year's tables, noting the names a chart looks up (or :data:`ALL`)."""

    def __init__(self, tables: Mapping[str, Any]):
        super().__init__(tables)
        self.names: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.names.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.names.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.names.add(str(key))
        return super().__contains__(key)

    def _all(self) -> None:
        self.names.add(ALL)

    def __iter__(self) -> Iterator[str]:
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        self._all()
        return super().__len__()

    def keys(self) -> Any:
        self._all()
        return super().keys()

    def values(self) -> Any:
        self._all()
        return super().values()

    def items(self) -> Any:
        self._all()
        return super().items()


def table_digest(value: Any) -> str:
    """SHA-256 of a table's exact contents: column names and types, index, every value by its
    ``repr`` (exact for the str, int, Decimal, Fraction, float and missing values tables hold).
    Two tables with the same digest draw the same chart; frames built differently (read from
    Parquet or cleaned in memory) but holding the same values get the same digest."""
    h = hashlib.sha256()
    if isinstance(value, pd.DataFrame):
        h.update(repr(([repr(c) for c in value.columns], [str(t) for t in value.dtypes])).encode())
        idx = value.index
        h.update((repr(idx) if isinstance(idx, pd.RangeIndex) else repr(idx.tolist())).encode())
        for i in range(value.shape[1]):
            h.update(b"\x00")
            h.update(repr(value.iloc[:, i].tolist()).encode())
        if value.attrs:
            h.update(repr(value.attrs).encode())
    else:
        h.update(repr(value).encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _fixed_parts() -> str:
    """The library's code and the drawing packages' versions (the same for a whole build)."""
    return digests.code_digest() + digests.environment_digest()


def _base(fn: Callable[..., Any], args: tuple[Any, ...], keywords: Mapping[str, Any], fmt: str, dpi: int) -> str:
    import matplotlib as mpl

    # every setting that can change a drawing (not the backend: asking for it may choose one)
    rc = repr(sorted((k, repr(mpl.rcParams[k])) for k in mpl.rcParams if not k.startswith("backend")))
    parts = [fn.__module__, fn.__qualname__, repr(args), repr(sorted(keywords.items())), fmt, str(dpi), rc,
             _fixed_parts()]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


#: Digests of the tables charts were keyed by, by table object: a year's tables are hashed once,
#: not once per chart and theme.
_DIGESTS: ObjectMemo[str] = ObjectMemo(256)


def _digest_of(value: Any) -> str:
    """:func:`table_digest`, once per table object (tables are not changed once loaded)."""
    return _DIGESTS.get(value, lambda v: table_digest(v))  # looked up when called (tests replace it)


def _key(base: str, tables: Mapping[str, Any], names: list[str]) -> str:
    h = hashlib.sha256(base.encode())
    for name in names:
        h.update(b"\x00" + name.encode())
        if name == ALL:
            h.update(repr(sorted(tables)).encode())
            for k in sorted(tables):
                h.update(_digest_of(tables[k]).encode())
        elif name in tables:
            h.update(_digest_of(tables[name]).encode())
        else:
            h.update(b"absent")
    return h.hexdigest()


def render(spec: Any, fmt: str = "png", dpi: int = config.CHART_DPI, store: ChartStore | None = None) -> bytes:
    """A chart spec's figure as PNG/SVG bytes: from ``store`` when its inputs are unchanged,
    else drawn (and stored, when there is a store)."""
    return render_variants([spec], fmt, dpi, store)[0]


def render_variants(specs: Sequence[Any], fmt: str = "png", dpi: int = config.CHART_DPI,
                    store: ChartStore | None = None) -> list[bytes]:
    """Several variants of one chart (its themes) as :func:`render` gives each.

    Those drawn are drawn in one :func:`metrics.computed_once` scope, so the metrics they show are
    worked out once, not once per variant. With the cache on they read the tables through one
    recording view: a variant whose metrics come from the scope notes what the first one read
    (the names kept for it may only be more than it read itself: a stored chart is then found
    less often, never wrongly).
    """
    from fundanalysis.analysis import metrics
    from fundanalysis.present import charts

    cfg, out = store, [b""] * len(specs)
    todo: list[tuple[int, Any, str | None]] = []
    for i, spec in enumerate(specs):
        make = spec.make
        if cfg is None or not (isinstance(make, partial) and make.args and isinstance(make.args[0], Mapping)):
            todo.append((i, spec, None))
            continue
        base = _base(make.func, make.args[1:], make.keywords, fmt, dpi)
        if cfg.read:
            names = _recorded_names(cfg.root, base)
            if names is not None:
                hit = blobs.get(cfg.root, f"{_key(base, make.args[0], names)}.{fmt}")
                if hit is not None:
                    out[i] = hit
                    continue
        todo.append((i, spec, base))
    views: dict[int, _Recording] = {}
    with metrics.computed_once():
        for i, spec, drawn_base in todo:
            make = spec.make
            if drawn_base is None:
                out[i] = charts.render(make(), fmt, dpi)
                continue
            assert cfg is not None
            tables, rest = make.args[0], make.args[1:]
            seen = views.setdefault(id(tables), _Recording(tables))
            out[i] = data = charts.render(make.func(seen, *rest, **make.keywords), fmt, dpi)
            names = sorted(seen.names)
            blobs.put(cfg.root, f"{_key(drawn_base, tables, names)}.{fmt}", data)
            blobs.put(cfg.root, f"{drawn_base}.reads", json.dumps(names).encode())
    return out


def _recorded_names(root: Path, base: str) -> list[str] | None:
    raw = blobs.get(root, f"{base}.reads")
    try:
        names = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return names if isinstance(names, list) and all(isinstance(n, str) for n in names) else None
