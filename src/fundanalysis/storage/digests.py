"""Content digests: the one staleness rule (same content, never same file times)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from fundanalysis import config
from fundanalysis.storage.catalog import input_files, policy_file

#: What a digest takes instead of the bytes of a file that leads outside the data folder (such a
#: file is never read, so no digest of what was read can equal it).
OUTSIDE = b"\0a link leading outside the data folder\0"


def content_digest(files: Sequence[Path], salt: str = "", inside: Path | None = None) -> str:
    """SHA-256 of the names and bytes of ``files`` (in the order given): the one staleness rule.

    Processed tables, summaries and published reports are current when the digest of what
    they were made from is unchanged; file times play no part (``cp -p``, unzip and ``git
    checkout`` set them freely). Given ``inside`` (the data folder), a file that leads outside it
    is not read: :data:`OUTSIDE` stands for its bytes.
    """
    import hashlib

    root = None if inside is None else Path(inside).resolve()
    h = hashlib.sha256(salt.encode())
    for f in files:
        h.update(f.name.encode() + b"\0")
        if root is not None and not Path(f).resolve().is_relative_to(root):
            h.update(OUTSIDE)
        else:
            with open(f, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def bytes_digest(named: Sequence[tuple[str, bytes]], salt: str = "") -> str:
    """:func:`content_digest` of files already read: ``(name, bytes)`` in order. For the same
    names and bytes it is the same digest, so a snapshot's digest equals the input digest of the
    files on disk exactly while they are unchanged."""
    import hashlib

    h = hashlib.sha256(salt.encode())
    for name, data in named:
        h.update(name.encode() + b"\0")
        h.update(data)
        h.update(b"\0")
    return h.hexdigest()


def code_files() -> list[Path]:
    """The library's own code files."""
    return sorted(config.PACKAGE_DIR.rglob("*.py"))


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of the library's own code: a change to it makes every derived file stale."""
    from fundanalysis import __version__

    return content_digest(code_files(), __version__)


def limits() -> str:
    """The input limits in force (``config.MAX_*``): input accepted under other limits is read again."""
    return ";".join(f"{k}={getattr(config, k)}" for k in sorted(vars(config)) if k.startswith("MAX_"))


def input_salt() -> str:
    """What an input digest is salted with: the library code and the limits in force."""
    return code_digest() + limits()


def input_digest(data_dir: Path, fund: str, year: int) -> str:
    """Digest of a fund's year's raw input files, the library code that reads them and the limits
    it reads them under."""
    policy = policy_file(data_dir, fund, year)
    return content_digest(input_files(data_dir, fund, year) + ([policy] if policy else []), input_salt(),
                          inside=data_dir)


def input_digest_now(data_dir: Path, fund: str, year: int) -> str | None:
    """:func:`input_digest`, or None when a file cannot be read right now (an editor saving by
    replacing the file): the input is then not the one read before."""
    try:
        return input_digest(data_dir, fund, year)
    except OSError:
        return None


#: Written beside processed tables: the input digest they were made from.


def file_digest(path: Path) -> str:
    """SHA-256 of one file's bytes."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def copy_if_same(src: Path, dest: Path, digest: str) -> bool:
    """Copy ``src`` to ``dest`` (atomically) if its bytes still have ``digest``; False, and nothing
    written, if it is missing, unreadable or has changed. A build reuses a published section's
    files this way: only the very bytes it recorded, never a file changed since."""
    import hashlib

    from fundanalysis.storage.files import write_bytes

    try:
        with open(src, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    if hashlib.sha256(data).hexdigest() != digest:
        return False
    write_bytes(dest, data)
    return True


@functools.lru_cache(maxsize=1)
def environment_digest() -> str:
    """Digest of the Python and the package versions that shape a report's pages (charts, tables,
    HTML): a report made with other versions is not reused."""
    import hashlib
    import platform
    from importlib.metadata import PackageNotFoundError, version

    parts = [platform.python_version()]
    for name in ("pandas", "pyarrow", "matplotlib", "nbconvert", "nbformat", "papermill", "ipython",
                 "jinja2", "fonttools", "pylopdf-fonts-zh-cn"):
        try:
            parts.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name}=absent")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def files_state(paths: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """Each file's path, size and modification time: a cheap sign that something was saved (what
    is stale is still decided by content digests; a missing file counts as size -1)."""
    import os

    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((str(p), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(p), -1, 0))
    return tuple(out)
