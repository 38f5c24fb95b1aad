"""Processed tables on disk: CSV for people, Parquet for programs, with what they were made from.

A year's tables are published to ``data/processed/<year>/`` in one step, with two records:
the digest of the raw input and code they were made from (:data:`MADE_FROM`: they are current
while it matches; it also keeps the notes the input gave, such as blank rows ignored) and the
digests of the Parquet bytes that passed the schemas (:data:`CHECKED`: those bytes need no
second check; an edited file is checked again). The Parquet digests also serve a build as the
content digest of each table (a section is rebuilt when a table it reads has other bytes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from fundanalysis.storage.catalog import processed_dir
from fundanalysis.storage.digests import file_digest, input_digest
from fundanalysis.storage.files import publish_dir, staging_dir, write_text, writing
from fundanalysis.storage.formulas import neutralise_formulas

MADE_FROM = "made-from.json"
CHECKED = "schema-checked.json"


def write_tables(tables: Mapping[str, pd.DataFrame], dest: Path) -> None:
    """Write processed tables as CSV (UTF-8 with BOM, for Excel) and Parquet into ``dest``.

    The CSV is for people, who open it in a spreadsheet program: text cells that begin with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading apostrophe
    (:func:`fundanalysis.storage.formulas.neutralise_formulas`), so they show as text instead of
    running as formulas; numbers, negative ones included, stay numbers. The Parquet is for
    machines and keeps every value exactly as processed.
    """
    dest = Path(dest)
    with writing(dest):
        dest.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            neutralise_formulas(df).to_csv(dest / f"{name}.csv", index=False, encoding="utf-8-sig")
            df.to_parquet(dest / f"{name}.parquet", index=False)


def write_processed(data_dir: Path, fund: str, year: int, tables: Mapping[str, pd.DataFrame],
                    notes: Sequence[str] = (), digest: str | None = None) -> Path:
    """Publish validated tables to ``data/processed/<fund>/<year>/`` in one step (all or nothing).

    ``notes`` (what reading the input noted, e.g. blank rows ignored) are kept with the record of
    what the tables were made from, so a later build that reuses the tables still reports them.
    ``digest`` is the digest of the input bytes the tables were made from (``Parsed.digest``): the
    record is stamped with it, never with the digest of the files as they are now, which may
    have been saved since they were read.
    """
    final = processed_dir(data_dir, fund, year)
    digest = input_digest(data_dir, fund, year) if digest is None else digest
    with staging_dir(final) as tmp:
        write_tables(tables, tmp)
        # these exact bytes passed the schemas: readers may skip re-checking them
        write_text(tmp / CHECKED, json.dumps(parquet_digests(tmp), sort_keys=True))
        write_text(tmp / MADE_FROM, json.dumps({"input_digest": digest, "notes": list(notes)},
                                               ensure_ascii=False))
        publish_dir(tmp, final)
    return final


def read_current(data_dir: Path, fund: str, year: int) -> tuple[dict[str, pd.DataFrame], bool] | None:
    """A year's processed tables if made from the current input and code, else None.

    Returns ``(tables, checked)``: ``checked`` is True when the Parquet bytes are those that
    passed the schemas when written.
    """
    pdir = processed_dir(data_dir, fund, year)
    if not pdir.is_dir() or _recorded(pdir / MADE_FROM).get("input_digest") != input_digest(data_dir, fund, year):
        return None
    tables = {p.stem: pd.read_parquet(p) for p in sorted(pdir.glob("*.parquet"))}
    if not tables:
        return None
    return tables, _recorded(pdir / CHECKED) == parquet_digests(pdir)


def snapshot_of(data_dir: Path, fund: str, year: int, digest: str | None) -> Path | None:
    """The folder of a year's published processed tables (the version the link points to now),
    if they were made from input with ``digest``; else None. A build hands it to its notebooks,
    so they read exactly the tables it validated, whatever is saved or cleaned meanwhile."""
    version = processed_dir(data_dir, fund, year).resolve()
    if digest is None or not version.is_dir() or _recorded(version / MADE_FROM).get("input_digest") != digest:
        return None
    return version


def read_snapshot(folder: Path) -> dict[str, pd.DataFrame]:
    """The tables of a processed snapshot folder (see :func:`snapshot_of`), whose Parquet bytes
    must be those that passed the schemas; ValueError if the folder is gone or changed."""
    folder = Path(folder)
    checked = _recorded(folder / CHECKED)
    if not checked or checked != parquet_digests(folder):
        raise ValueError(f"{folder}: the processed tables this build validated are gone or changed "
                         "(replaced by another command?); run the build again")
    return {Path(name).stem: pd.read_parquet(folder / name) for name in sorted(checked)}


def current_record(data_dir: Path, fund: str, year: int) -> dict[str, object] | None:
    """What a build needs to know of a year's processed tables without reading them: None unless
    they were made from the current input and code and their bytes are those that passed the
    schemas; else ``{"notes": [...], "tables": {name: digest}}``."""
    pdir = processed_dir(data_dir, fund, year)
    if not pdir.is_dir():
        return None
    made = _recorded(pdir / MADE_FROM)
    if made.get("input_digest") != input_digest(data_dir, fund, year):
        return None
    digests = parquet_digests(pdir)
    if not digests or _recorded(pdir / CHECKED) != digests:
        return None
    notes = made.get("notes")
    return {"notes": [str(n) for n in notes] if isinstance(notes, list) else [],
            "tables": {Path(name).stem: d for name, d in digests.items()},
            "input_digest": made.get("input_digest")}


def table_digests(data_dir: Path, fund: str, year: int) -> dict[str, str]:
    """The content digest of each processed table of a year (its Parquet bytes), by table name."""
    return {Path(name).stem: d for name, d in parquet_digests(processed_dir(data_dir, fund, year)).items()}


def _recorded(path: Path) -> dict:
    """A small JSON record, or {} if missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def parquet_digests(src: Path) -> dict[str, str]:
    """SHA-256 of every Parquet file in a folder, by file name."""
    return {p.name: file_digest(p) for p in sorted(Path(src).glob("*.parquet"))}
