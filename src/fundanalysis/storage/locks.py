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
