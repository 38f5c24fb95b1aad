"""A folder of files named by the digest of what made them (the rendered-chart cache's disk).

Entries are written atomically (temp file, then rename), so processes building side by side
may write the same entry; a read touches the entry, and :func:`prune` removes entries not read or
written for a while, oldest first, so the folder stays bounded across nightly builds. Any disk
error only costs the cache: reads miss, writes are skipped.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from fundanalysis.errors import StorageError
from fundanalysis.storage import files

#: Entries unused for this long are removed by :func:`prune`.
MAX_AGE_S = 30 * 24 * 3600
#: And the oldest go beyond this many bytes.
MAX_BYTES = 256 * 2**20


def get(root: Path, name: str) -> bytes | None:
    """The entry's bytes (its use time refreshed), or None when it is missing or unreadable."""
    path = Path(root) / name
    try:
        data = path.read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return data


def put(root: Path, name: str, data: bytes) -> None:
    """Store an entry; a full or read-only disk only loses it."""
    with contextlib.suppress(OSError, StorageError):
        files.write_bytes(Path(root) / name, data)


def prune(root: Path, max_age_s: float = MAX_AGE_S, max_bytes: int = MAX_BYTES) -> int:
    """Remove entries unused for ``max_age_s``, then the oldest beyond ``max_bytes``; returns how
    many were removed (temp files of writes in progress are left alone)."""
    try:
        entries = [(e.stat().st_mtime, e.stat().st_size, Path(e.path)) for e in os.scandir(root)
                   if e.is_file() and not e.name.startswith(".")]
    except OSError:
        return 0
    entries.sort(reverse=True)  # newest first
    now, kept, removed = time.time(), 0, 0
    for mtime, size, path in entries:
        if now - mtime > max_age_s or kept + size > max_bytes:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        else:
            kept += size
    return removed
