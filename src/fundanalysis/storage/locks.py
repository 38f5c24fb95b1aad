"""Per-year build locks: one build of a year at a time (``flock`` on a file under ``.locks``)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from fundanalysis.errors import LockedError
from fundanalysis.storage.files import writing


@contextlib.contextmanager
def year_lock(out_dir: Path, fund: str, year: int, wait: bool = False) -> Iterator[None]:
    """An exclusive per-year lock; raises LockedError if held and ``wait`` is False.

    The lock file says who holds it (pid and time) while held, and is cleared on release.
    """
    lock_dir = Path(out_dir) / ".locks"
    with writing(lock_dir, "creating the build lock in"):
        lock_dir.mkdir(parents=True, exist_ok=True)
        fh = open(lock_dir / f"{fund}-{year}.lock", "a+")  # held for the whole block
    try:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fh, flags)
        except BlockingIOError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise LockedError(f"a build of {fund} {year} is already running ({holder}); "
                              "wait for it, or pass --wait") from exc
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        try:
            yield
        finally:
            fh.truncate(0)  # the note says who holds the lock; clear it on release
            fh.flush()
    finally:
        fh.close()


@contextlib.contextmanager
def _waiting_lock(out_dir: Path, name: str) -> Iterator[None]:
    lock_dir = Path(out_dir) / ".locks"
    with writing(lock_dir, f"creating the {name} lock in"):
        lock_dir.mkdir(parents=True, exist_ok=True)
        fh = open(lock_dir / f"{name}.lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        fh.close()  # closing releases the lock


def index_lock(out_dir: Path) -> contextlib.AbstractContextManager[None]:
    """The lock of the site's index pages (``index.html`` and each fund's): one writer at a time,
    waited for (writing them takes a moment), so that builds of several funds at once never
    write an index listed before another build's publish."""
    return _waiting_lock(out_dir, "index")


def status_lock(out_dir: Path) -> contextlib.AbstractContextManager[None]:
    """The lock of ``status.json``: runs at once each keep the others' entries."""
    return _waiting_lock(out_dir, "status")
