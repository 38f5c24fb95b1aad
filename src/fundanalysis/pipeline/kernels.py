"""A pool of warm Jupyter kernels: started early, warmed with the library's imports, reset between notebooks.

A build asks for one kernel per worker as soon as it starts, so kernel start-up and the
pandas/matplotlib/library imports overlap with input validation in the build's own process.
Each kernel is a plain ipykernel (the kernel JupyterLab runs) started by jupyter_client's
``KernelManager`` with IPC transport: its sockets and connection file live in a folder of its own
that only the user can open (mode 0700), so nothing listens on the network.

Between two notebooks a kernel is reset by a documented mechanism (:data:`RESET`): IPython's
``%reset -f`` empties the user namespace, matplotlib's figures are closed and its settings put
back as they were after the warm-up, and the working folder is restored; imported modules stay.
A kernel that saw any failure (an exception, a timeout, a death) is shut down and replaced, so
no notebook ever sees what another left behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, cast

from jupyter_client.manager import KernelManager

from fundanalysis.storage import files

log = logging.getLogger("fundanalysis.pipeline")

#: Run once in a new kernel: what the report notebooks import, and the costly first times.
WARM_UP = "from fundanalysis.pipeline.kernels import warm_up as _fa_warm\n_fa_warm()\ndel _fa_warm\n"
#: Run in a kernel between two notebooks (see :func:`reset_state`).
RESET = ("get_ipython().run_line_magic('reset', '-f')\n"
         "from fundanalysis.pipeline.kernels import reset_state as _fa_reset\n_fa_reset()\ndel _fa_reset\n")
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]
#: The name of each kernel's private folder begins with this.
_PREFIX = "fundanalysis-kernel-"

#: matplotlib's settings and the working folder as the warm-up left them (in a kernel's process).
_BASELINE: dict[str, object] = {}


def warm_up() -> None:
    """In a kernel: import what report notebooks use and run each costly first time once (chart
    text in the Chinese font, a PNG, a styled table); then note matplotlib's settings and the
    working folder, which :func:`reset_state` puts back. A warm-up step that fails only costs time."""
    import matplotlib as mpl
    import pandas as pd
    from matplotlib.figure import Figure

    import fundanalysis.api  # noqa: F401  # the notebooks' import: the library, pandas, matplotlib
    from fundanalysis.present import charts

    charts.register_fonts()
    with contextlib.suppress(Exception):
        with mpl.rc_context(cast(Any, charts.theme_rc())):  # a plain dict (matplotlib 3.11 types the keys)
            fig = Figure(figsize=(4, 2))
            ax = fig.add_subplot()
            ax.barh(["专项资金", "宣传经费"], [1.0, 2.0])
            ax.set_title("执行率 86.87%（万元）")
            charts.render(fig, "png", dpi=72)
    with contextlib.suppress(Exception):
        pd.DataFrame({"类别": ["甲"], "金额": [1]}).style.hide(axis="index").to_html()
    _BASELINE["rc"] = mpl.rcParams.copy()
    _BASELINE["cwd"] = os.getcwd()


def reset_state() -> None:
    """In a kernel, after ``%reset -f``: close every matplotlib figure, put matplotlib's settings
    back as the warm-up left them, and return to the kernel's working folder."""
    import sys

    import matplotlib as mpl

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    rc = _BASELINE.get("rc")
    if rc is not None:
        mpl.rcParams.update(rc)  # type: ignore[call-overload]
    cwd = _BASELINE.get("cwd")
    if isinstance(cwd, str):
        os.chdir(cwd)


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
            km = new_kernel_manager()
            try:
                km.start_kernel(extra_arguments=KERNEL_ARGS, cwd=str(self.cwd))
                _run(km, WARM_UP, self.start_timeout)
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
        if healthy and not self._closed and km.is_alive():
            try:
                _run(km, RESET, 30)
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


def new_kernel_manager() -> KernelManager:
    """A manager for one ipykernel talking over IPC sockets in a private folder (mode 0700)."""
    folder = files.private_dir(_PREFIX)
    # nbclient needs an asynchronous client (a blocking one defeats its cell timeout); the pool's
    # own warm-up and reset use a blocking client of the same kernel
    return KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "k"),
                         connection_file=str(folder / "kernel.json"),
                         client_class="jupyter_client.asynchronous.AsyncKernelClient")


def _run(km: KernelManager, code: str, timeout: float) -> None:
    """Run ``code`` in the kernel and wait for it; raise RuntimeError if it raised."""
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout,
                                       output_hook=lambda msg: None)
    finally:
        kc.stop_channels()
    content = reply.get("content", {})
    if content.get("status") != "ok":
        raise RuntimeError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")


def _kill(km: KernelManager) -> None:
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    except Exception:  # the kernel may already be gone
        pass
    files.remove_private_dir(Path(km.connection_file).parent, _PREFIX)
