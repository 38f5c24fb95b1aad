"""Running report notebooks: papermill's ``execute_notebook`` in a warm Jupyter kernel.

A failure is a :class:`~fundanalysis.errors.BuildError` naming the notebook, the cell (numbered as
in the source notebook) and the exception; a disk that refuses the output is a
:class:`~fundanalysis.errors.StorageError`.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fundanalysis.errors import BuildError, StorageError
from fundanalysis.pipeline.sections import Section
from fundanalysis.storage import files, notebook_files
from fundanalysis.storage.year_input import YearInput

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

log = logging.getLogger("fundanalysis.pipeline")

#: OS errors that mean "the disk cannot take it", not "the notebook is wrong".
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def _failed_cell(nb_path: Path) -> str:
    """Describe the cell that failed (or was running), numbered as in the source notebook.

    papermill records each cell's status in the executed notebook as it starts and ends: a cell
    that raised, or the last one started (a timeout, a kernel that died mid-cell).
    """
    nb = notebook_files.read_executed(nb_path)
    if nb is None:
        return "cell unknown"
    skip = {"injected-parameters", "papermill-error-cell-tag"}
    kept = [i for i, c in enumerate(nb.cells) if not skip & set(c.get("metadata", {}).get("tags", []))]
    original = [nb.cells[i] for i in kept]
    last = None
    for i, cell in enumerate(original):
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("start_time"):
            last = i  # a timeout leaves the interrupted cell as the last one started
        if pm.get("exception") or pm.get("status") == "failed":
            last = i
            break
        if pm.get("status") == "running":
            last = i
    if last is not None:
        first = original[last].get("source", "").strip().splitlines()
        return f"cell {last} [{first[0][:80] if first else ''}]"
    return "cell unknown"


def literal_path(path: str) -> str:
    """``path`` as papermill must be given it to use it as it is: papermill formats its input and
    output paths with the notebook's parameters (``str.format``), so braces are doubled.

    >>> literal_path("/tmp/out{2019}/a.ipynb")
    '/tmp/out{{2019}}/a.ipynb'
    """
    return path.replace("{", "{{").replace("}", "}}")


def _status(ename: str, evalue: str) -> str:
    """``storage`` when a notebook's failure is the disk's (full, read-only), else ``error``."""
    if ename == "StorageError" or any(os.strerror(e) in (evalue or "") for e in STORAGE_ERRNOS):
        return "storage"
    return "error"


@dataclass(frozen=True)
class Job:
    """What a section notebook runs on: its fund-year as the build pinned it, where it writes, its timeout."""

    source: YearInput
    out_dir: Path
    dest: Path
    timeout: int
    #: where the notebook writes its charts (default: ``dest/charts``)
    charts: Path | None = None
    #: its place in the build's queue (see :meth:`KernelRunner.queue`): lower starts first; None: last
    ticket: int | None = None

    @property
    def fund(self) -> str:
        return self.source.fund

    @property
    def year(self) -> int:
        return self.source.year

    @property
    def name(self) -> str:
        return f"{self.fund} {self.year}"

    def parameters(self, declared: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The notebook's parameters (papermill injects them after its parameters cell): those of
        ``declared`` (the names its parameters cell assigns), or all when that is not known."""
        s = self.source
        values = {"fund": s.fund, "year": int(s.year), "data_dir": str(s.data_dir),
                  "charts_dir": str(self.charts or self.dest / "charts"),
                  "snapshot": str(s.snapshot or ""), "key_figures": str(s.key_figures or ""),
                  "chart_cache": str(s.chart_cache or ""), "redraw": bool(s.redraw)}
        return values if declared is None else {k: v for k, v in values.items() if k in declared}


#: The name papermill's engine registry knows :func:`_engine`'s engine by.
ENGINE_NAME = "fundanalysis-kernel"


@functools.cache
def _engine() -> str:
    """Register, once, papermill's nbclient engine with an execution manager that saves the
    executed notebook when it starts (before any output) and when it ends, not at every cell's start
    and end; return its name.

    papermill saves the whole notebook (validated by nbformat, its charts included: ~0.05–0.1 s for
    a report's) twice per cell, in the build's process, to show progress; it writes the finished
    notebook itself, and the notebook of a cell that raised. The save kept here, when the notebook
    ends, also covers a timeout and a kernel that died: papermill's ``notebook_complete`` runs then
    too, so the cell that was running is on record. Engines are papermill's public extension point
    (its ``papermill_engines`` registry); ``Engine.execute_notebook`` is followed as published.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class SavedWhenDone(NotebookExecutionManager):
        """papermill's execution manager, saving from ``notebook_start`` (the notebook has no
        outputs yet: a small write that shows the notebook is running) and ``notebook_complete``."""

        saving = True

        def save(self, **kwargs: Any) -> None:
            if self.saving:
                super().save(**kwargs)

        def notebook_start(self, **kwargs: Any) -> None:
            super().notebook_start(**kwargs)
            self.saving = False

        def notebook_complete(self, **kwargs: Any) -> None:
            self.saving = True
            super().notebook_complete(**kwargs)

    class KernelEngine(NBClientEngine):
        """nbclient in a started kernel (``km``), the notebook saved when it ends."""

        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                             progress_bar: bool = True, log_output: bool = False, autosave_cell_every: int = 30,
                             **kwargs: Any) -> Any:
            nb_man = SavedWhenDone(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                   autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE_NAME, KernelEngine)
    return ENGINE_NAME


def _section_error(section: Section, job: Job, out_nb: Path, what: str, ename: str, evalue: str
                   ) -> BuildError:
    detail = evalue.strip().splitlines()[0] if evalue and evalue.strip() else ""
    return BuildError(f"{job.name} {section.path.name}: {_failed_cell(out_nb)} {what}: {ename}: {detail}")


def execute_section(section: Section, job: Job, km: KernelManager | None = None) -> Path:
    """Execute one report notebook in a Jupyter kernel with papermill's Python API.

    ``km`` is a warm kernel from :class:`~fundanalysis.pipeline.kernels.KernelPool` (a fresh kernel is
    started if None). An error raises BuildError naming the notebook, the cell and the exception.
    Charts shown by the notebook are also written to ``dest/charts`` (rendered once).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_nb = files.ensure_dir(job.dest / "notebooks") / section.path.name
    from fundanalysis.pipeline.kernels import KERNEL_ARGS

    extra: dict[str, Any] = {"km": km} if km is not None else {
        "cwd": str(section.path.parent), "extra_arguments": KERNEL_ARGS}
    try:
        pm.execute_notebook(
            literal_path(str(section.path)), literal_path(str(out_nb)), parameters=job.parameters(section.parameters),
            kernel_name="python3", engine_name=_engine(), progress_bar=False, log_output=False,
            execution_timeout=job.timeout, start_timeout=120, **extra)
        return out_nb
    except PapermillExecutionError as exc:
        if _status(exc.ename, exc.evalue) == "storage":
            raise StorageError(f"cannot finish writing the report of {job.name} into {job.dest}: "
                               f"{files.plain_cause(exc.evalue)}") from exc
        raise _section_error(section, job, out_nb, "raised", exc.ename, exc.evalue) from exc
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            raise files.storage_error(out_nb, exc) from exc
        name = type(exc).__name__
        what = "timed out" if "timeout" in name.lower() or "timed out" in str(exc) else (
            "kernel died" if "dead" in name.lower() else "failed")
        raise _section_error(section, job, out_nb, what, name, str(exc)) from exc


class KernelRunner:
    """Jupyter kernels from a warm pool (started early, reset between notebooks), ``size`` at a
    time, started in the build's order (:class:`OrderedSlots`)."""

    size: int

    def __init__(self, size: int, cwd: Path):
        from fundanalysis.pipeline.kernels import KernelPool

        self.size = size
        self._slots = OrderedSlots(size)
        self.pool = KernelPool(size, cwd=cwd)

    def queue(self, count: int) -> list[int]:
        """Tickets for ``count`` notebooks about to be run, in the order they should start (a
        notebook starts only when every earlier ticket has started or been let go with
        :meth:`forget`)."""
        return self._slots.queue(count)

    def forget(self, ticket: int | None) -> None:
        """A ticket's notebook will not run (reused, failed before it ran) or has started."""
        self._slots.forget(ticket)

    def ran(self, ticket: int | None) -> float | None:
        """Seconds the ticket's notebook held its kernel (its own running time, without the wait)."""
        return self._slots.held.pop(ticket, None) if ticket is not None else None

    def run(self, section: Section, job: Job) -> Path:
        """Execute one notebook into ``job.dest`` in a warm kernel; raise BuildError on failure."""
        with self._slots.take(job.ticket):
            km = self.pool.acquire()
            healthy = False
            try:
                nb = execute_section(section, job, km=km)
                healthy = True
                return nb
            finally:
                self.pool.release(km, healthy)

    def close(self) -> None:
        """Stop every notebook still running (its kernel is shut down) and every kernel."""
        self._slots.close()
        self.pool.close()


class OrderedSlots:
    """``size`` slots handed out in ticket order: a notebook starts only when a slot is free and
    every earlier ticket of the queue has started or been forgotten, so the build, not the
    threads' race, decides what starts first. :meth:`close` wakes every waiter with BuildError."""

    def __init__(self, size: int):
        self._free = size
        self._cond = threading.Condition()
        self._queued: set[int] = set()
        self._next = 0
        self._closed = False
        #: seconds each ticket held its slot
        self.held: dict[int, float] = {}

    def queue(self, count: int) -> list[int]:
        """``count`` new tickets, after every one handed out before."""
        with self._cond:
            tickets = list(range(self._next, self._next + count))
            self._next += count
            self._queued.update(tickets)
            self._closed = False
        return tickets

    def forget(self, ticket: int | None) -> None:
        """Let later tickets pass this one (its notebook will not run, or has started)."""
        with self._cond:
            if ticket in self._queued:
                self._queued.discard(ticket)
                self._cond.notify_all()

    def close(self) -> None:
        """Wake every waiter: the build is stopping."""
        with self._cond:
            self._closed = True
            self._queued.clear()
            self._cond.notify_all()

    @contextlib.contextmanager
    def take(self, ticket: int | None) -> Iterator[None]:
        """Hold a slot; a ticket not queued (None, or from an older build) waits behind the queue."""
        with self._cond:
            while True:
                if self._closed:
                    raise BuildError("the build was stopped before this notebook started")
                first = min(self._queued, default=None)
                mine = ticket is not None and ticket in self._queued
                if self._free > 0 and (first is None or (mine and ticket == first)):
                    break
                self._cond.wait()
            self._free -= 1
            self._queued.discard(ticket)
            self._cond.notify_all()
        began = time.perf_counter()
        try:
            yield
        finally:
            with self._cond:
                if ticket is not None:
                    self.held[ticket] = time.perf_counter() - began
                self._free += 1
                self._cond.notify_all()
