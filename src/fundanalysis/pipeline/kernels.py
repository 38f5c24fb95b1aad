"""Kernels started early and warmed with the library's imports, reused where isolation allows.

A build asks for one kernel per worker as soon as it starts, so kernel start-up and the
pandas/matplotlib imports overlap with input validation in the main process. Between two
notebooks a kernel's user namespace is reset (``%reset -f``); modules stay imported. A kernel
that saw any failure (an exception, a timeout, a death) is discarded and replaced.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

log = logging.getLogger("fundanalysis.pipeline")

WARM_UP = (
    "import fundanalysis.present.charts, fundanalysis.present.report\n"
    "fundanalysis.present.charts.register_fonts()\n"
)
RESET = "get_ipython().run_line_magic('reset', '-f')"
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


class KernelPool:
    """A fixed number of warm kernels handed out one notebook at a time."""

    def __init__(self, size: int, cwd: Path, start_timeout: float = 120, retries: int = 3):
        self.size = size
        self.cwd = Path(cwd)
        self.start_timeout = start_timeout
        self.retries = retries
        self._free: queue.Queue[KernelManager | BaseException] = queue.Queue()
        self._all: list[KernelManager] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        threading.Thread(target=self._start_one, daemon=True).start()

    def _start_one(self) -> None:
        """Start and warm a kernel, retrying start-up races; hand it (or the error) out."""
        last: BaseException | None = None
        for attempt in range(1, self.retries + 1):
            # nbclient needs an asynchronous client (a blocking one defeats its cell timeout);
            # the pool's own warm-up and reset use a blocking client of the same kernel
            km = KernelManager(kernel_name="python3",
                               client_class="jupyter_client.asynchronous.AsyncKernelClient")
            try:
                km.start_kernel(extra_arguments=KERNEL_ARGS, cwd=str(self.cwd))
                kc = km.blocking_client()
                kc.start_channels()
                kc.wait_for_ready(timeout=self.start_timeout)
                kc.execute(WARM_UP, silent=True, store_history=False)
                kc.stop_channels()
            except Exception as exc:  # a start-up race: try again with a fresh kernel
                last = exc
                log.warning("kernel start failed (%s), attempt %d", exc, attempt)
                _kill(km)
                time.sleep(0.5 * attempt)
                continue
            with self._lock:
                if self._closed:
                    _kill(km)
                    return
                self._all.append(km)
            self._free.put(km)
            return
        self._free.put(RuntimeError(f"the kernel did not start: {last}"))

    def acquire(self, timeout: float | None = None) -> KernelManager:
        """Wait for a warm kernel."""
        got = self._free.get(timeout=timeout or self.start_timeout * self.retries)
        if isinstance(got, BaseException):
            raise got
        return got

    def release(self, km: KernelManager, healthy: bool) -> None:
        """Give a kernel back: reset it if healthy, else replace it with a fresh one."""
        if healthy and km.is_alive():
            try:
                kc = km.blocking_client()
                kc.start_channels()
                kc.wait_for_ready(timeout=30)
                kc.execute_interactive(RESET, store_history=False, timeout=30)
                kc.stop_channels()
                self._free.put(km)
                return
            except Exception as exc:
                log.warning("kernel reset failed (%s); replacing it", exc)
        with self._lock:
            if km in self._all:
                self._all.remove(km)
        _kill(km)
        if not self._closed:
            self._spawn()

    def close(self) -> None:
        """Shut every kernel down."""
        with self._lock:
            self._closed = True
            kms = list(self._all)
            self._all.clear()
        for km in kms:
            _kill(km)


def _kill(km: KernelManager) -> None:
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    except Exception:  # the kernel may already be gone
        pass
