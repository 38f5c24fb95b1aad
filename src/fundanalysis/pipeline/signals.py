"""Stopping cleanly: SIGTERM, SIGINT and SIGHUP become an exception that runs the clean-up."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from fundanalysis.errors import Interrupted


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM, SIGINT and SIGHUP raise :class:`Interrupted` in the main
    thread, so that staging folders are removed and child processes stopped before the process
    ends (the CLI then exits 128 + the signal)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise Interrupted(signum)

    wanted = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]
    old = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
