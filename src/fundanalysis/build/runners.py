"""Running report notebooks: papermill in a fresh forked process (default) or a Jupyter kernel.

A failure is a :class:`~fundanalysis.errors.BuildError` naming the notebook, the cell (numbered as
in the source notebook) and the exception; a disk that refuses the output is a
:class:`~fundanalysis.errors.StorageError`.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fundanalysis.build.kernels import KERNEL_ARGS, KernelPool
from fundanalysis.build.notebooks import Section
from fundanalysis.errors import BuildError, StorageError
from fundanalysis.storage import files, notebooks

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager


def _failed_cell(nb_path: Path) -> str:
    """Describe the cell that failed (or was running), numbered as in the source notebook."""
    nb = notebooks.read_executed(nb_path)
    if nb is None:
        return "cell unknown"
    skip = {"injected-parameters", "papermill-error-cell-tag"}
    original = [c for c in nb.cells if not skip & set(c.get("metadata", {}).get("tags", []))]
    last = None
    for i, cell in enumerate(original):
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("start_time"):
            last = i  # a timeout leaves the interrupted cell as the last one started
        if pm.get("exception") or pm.get("status") in ("failed", "running"):
            last = i
            break
    if last is not None:
        first = original[last].get("source", "").strip().splitlines()
        return f"cell {last} [{first[0][:80] if first else ''}]"
    return "cell unknown"


@dataclass(frozen=True)
class Job:
    """What a section notebook runs on: a fund's year, its folders, where it writes, its timeout."""

    fund: str
    year: int
    data_dir: Path
    out_dir: Path
    dest: Path
    timeout: int

    @property
    def name(self) -> str:
        return f"{self.fund} {self.year}"

    def parameters(self) -> dict[str, Any]:
        """The notebook's parameters (papermill injects them after its parameters cell)."""
        return {"fund": self.fund, "year": int(self.year), "data_dir": str(self.data_dir),
                "charts_dir": str(self.dest / "charts")}


def _section_error(section: Section, job: Job, out_nb: Path, what: str, ename: str, evalue: str
                   ) -> BuildError:
    detail = evalue.strip().splitlines()[0] if evalue and evalue.strip() else ""
    return BuildError(f"{job.name} {section.path.name}: {_failed_cell(out_nb)} {what}: {ename}: {detail}")


def execute_section(section: Section, job: Job, km: KernelManager | None = None) -> Path:
    """Execute one report notebook in a Jupyter kernel with papermill's Python API.

    ``km`` is a warm kernel from :class:`~fundanalysis.kernels.KernelPool` (a fresh kernel is
    started if None). An error raises BuildError naming the notebook, the cell and the exception.
    Charts shown by the notebook are also written to ``dest/charts`` (rendered once).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_nb = files.ensure_dir(job.dest / "notebooks") / section.path.name
    extra: dict[str, Any] = {"km": km} if km is not None else {
        "cwd": str(section.path.parent), "extra_arguments": KERNEL_ARGS}
    try:
        pm.execute_notebook(
            str(section.path), str(out_nb), parameters=job.parameters(),
            kernel_name="python3", progress_bar=False, log_output=False,
            execution_timeout=job.timeout, start_timeout=120, **extra)
        return out_nb
    except PapermillExecutionError as exc:
        from fundanalysis.build.inprocess import _status

        if _status(exc.ename, exc.evalue) == "storage":
            raise StorageError(f"cannot finish writing the report of {job.name} into {job.dest}: "
                               f"{files.plain_cause(exc.evalue)}") from exc
        raise _section_error(section, job, out_nb, "raised", exc.ename, exc.evalue) from exc
    except Exception as exc:
        from fundanalysis.build.inprocess import STORAGE_ERRNOS

        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            raise files.storage_error(out_nb, exc) from exc
        name = type(exc).__name__
        what = "timed out" if "timeout" in name.lower() or "timed out" in str(exc) else (
            "kernel died" if "dead" in name.lower() else "failed")
        raise _section_error(section, job, out_nb, what, name, str(exc)) from exc


class Runner:
    """Executes report notebooks, ``size`` at a time."""

    size: int

    def run(self, section: Section, job: Job) -> Path:
        """Execute one notebook into ``job.dest``; raise BuildError on failure."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the runner holds."""


class KernelRunner(Runner):
    """Jupyter kernels from a warm pool (started early, reset between notebooks)."""

    def __init__(self, size: int, cwd: Path):
        self.size = size
        self.pool = KernelPool(size, cwd=cwd)

    def run(self, section: Section, job: Job) -> Path:
        km = self.pool.acquire()
        healthy = False
        try:
            nb = execute_section(section, job, km=km)
            healthy = True
            return nb
        finally:
            self.pool.release(km, healthy)

    def close(self) -> None:
        self.pool.close()


class ForkRunner(Runner):
    """A fresh process per notebook, forked from a server that preloaded the imports."""

    def __init__(self, size: int):
        self.size = size
        self._slots = threading.BoundedSemaphore(size)
        threading.Thread(target=start_fork_server, daemon=True).start()

    def run(self, section: Section, job: Job) -> Path:
        with self._slots:
            return execute_section_forked(section, job)

    def close(self) -> None:
        """Stop every notebook process still running (a build stopped by a signal or an error)."""
        with _ACTIVE_LOCK:
            procs = list(_ACTIVE)
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.kill()


_ACTIVE: set[Any] = set()
_ACTIVE_LOCK = threading.Lock()


def _fork_context() -> Any:
    """A fork server that has imported everything the notebooks need (started once)."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["fundanalysis.build._forkserver_preload"])
    return ctx


def start_fork_server() -> None:
    """Start the fork server now, so its imports overlap with the main process's work."""
    from multiprocessing import forkserver

    _fork_context()
    forkserver.ensure_running()


_START_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Keep multiprocessing from re-running the calling script in the child (it would, to
    "prepare" it, when the script has a ``__file__``); the fork server has all we need."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is not None and path is not None and getattr(main, "__spec__", None) is None:
        del main.__file__
        try:
            yield
        finally:
            main.__file__ = path
    else:
        yield


def execute_section_forked(section: Section, job: Job) -> Path:
    """Execute one report notebook with papermill's Python API and the in-process engine, in a
    fresh child of the preloaded fork server. A crash of the child is reported as a dead kernel.
    """
    from fundanalysis.build.inprocess import execute_in_child

    out_nb = files.ensure_dir(job.dest / "notebooks") / section.path.name
    ctx = _fork_context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=execute_in_child, daemon=True, args=(
        str(section.path), str(out_nb), job.parameters(), str(section.path.parent), job.timeout, child))
    with _START_LOCK, _main_hidden():
        proc.start()
    with _ACTIVE_LOCK:
        _ACTIVE.add(proc)
    child.close()
    try:
        return _await_child(section, job, out_nb, proc, parent)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(proc)


def _await_child(section: Section, job: Job, out_nb: Path, proc: Any, parent: Any) -> Path:
    """Wait for a notebook's child process and turn what it says (or its death) into a result."""
    hard = job.timeout * (section.code_cells + 2) + 60  # the child stops a slow cell itself; this is the backstop
    msg = None
    if parent.poll(hard):
        with contextlib.suppress(EOFError):  # the child died without a word
            msg = parent.recv()
    proc.join(30 if msg else 0)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if msg is None:
        if proc.exitcode not in (0, None) and proc.exitcode != -signal.SIGKILL:
            raise _section_error(section, job, out_nb, "kernel died", "DeadKernelError",
                                 f"the notebook's process exited with code {proc.exitcode}")
        raise _section_error(section, job, out_nb, "timed out", "TimeoutError",
                             f"no answer within {hard} s")
    status, ename, evalue = msg
    if status == "ok":
        return out_nb
    if status == "storage":
        raise StorageError(f"cannot finish writing the report of {job.name} into {job.dest}: "
                           f"{files.plain_cause(evalue)}")
    what = "timed out" if ename == "CellTimeout" else "raised"
    raise _section_error(section, job, out_nb, what, ename, evalue)
