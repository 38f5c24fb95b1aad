"""Content digests: the one staleness rule (same content, never same file times)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from fundanalysis import config
from fundanalysis.storage.catalog import input_files, list_years, policy_file


def content_digest(files: Sequence[Path], salt: str = "") -> str:
    """SHA-256 of the names and bytes of ``files`` (in the order given): the one staleness rule.

    Processed tables, summaries and published reports are current when the digest of what
    they were made from is unchanged; file times play no part (``cp -p``, unzip and ``git
    checkout`` set them freely).
    """
    import hashlib

    h = hashlib.sha256(salt.encode())
    for f in files:
        h.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of the library's own code: a change to it makes every derived file stale."""
    from fundanalysis import __version__

    return content_digest(sorted(config.PACKAGE_DIR.rglob("*.py")), __version__)


def input_digest(data_dir: Path, fund: str, year: int) -> str:
    """Digest of a fund's year's raw input files and the library code that reads them."""
    policy = policy_file(data_dir, fund, year)
    return content_digest(input_files(data_dir, fund, year) + ([policy] if policy else []), code_digest())


#: Written beside processed tables: the input digest they were made from.


def data_digest(data_dir: Path, fund: str) -> tuple[tuple[int, str], ...]:
    """Every year of a fund with input and its input digest: the fund's state, for caching."""
    return tuple((y, input_digest(data_dir, fund, y)) for y in list_years(data_dir, fund)
                 if input_files(data_dir, fund, y))
