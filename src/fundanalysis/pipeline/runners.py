"""Running report notebooks: papermill in a fresh forked process (default) or a Jupyter kernel.

A failure is a :class:`~fundanalysis.errors.BuildError` naming the notebook, the cell (numbered as
in the source notebook) and the exception; a disk that refuses the output is a
:class:`~fundanalysis.errors.StorageError`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fundanalysis.errors import BuildError, StorageError
from fundanalysis.pipeline.sections import Section
from fundanalysis.storage import files, notebook_files

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

log = logging.getLogger("fundanalysis.pipeline")


def _failed_cell(nb_path: Path) -> str:
    """Describe the cell that failed (or was running), numbered as in the source notebook.

    The executed notebook records a cell that raised or timed out; a process that died mid-cell
    leaves the index of the cell it was running beside the notebook (the in-process engine writes
    it as each cell starts, see :func:`~fundanalysis.pipeline.inprocess.running_marker`).
    """
    nb = notebook_files.read_executed(nb_path)
    if nb is None:
        return "cell unknown"
    skip = {"injected-parameters", "papermill-error-cell-tag"}
    kept = [i for i, c in enumerate(nb.cells) if not skip & set(c.get("metadata", {}).get("tags", []))]
    original = [nb.cells[i] for i in kept]
    last = None
    failed = False
    for i, cell in enumerate(original):
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("start_time"):
            last = i  # a timeout leaves the interrupted cell as the last one started
        if pm.get("exception") or pm.get("status") == "failed":
            last, failed = i, True
            break
        if pm.get("status") == "running":
            last = i
    if not failed:
        running = _running_cell(nb_path)
        if running is not None and running in kept:
            last = kept.index(running)
    if last is not None:
        first = original[last].get("source", "").strip().splitlines()
        return f"cell {last} [{first[0][:80] if first else ''}]"
    return "cell unknown"


def _running_cell(nb_path: Path) -> int | None:
    """The index (among the executed notebook's cells) of the cell its process was running."""
    from fundanalysis.pipeline.inprocess import running_marker

    try:
        return int(files.read_text(running_marker(nb_path)).strip())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Job:
    """What a section notebook runs on: a fund's year, its folders, where it writes, its timeout."""

    fund: str
    year: int
    data_dir: Path
    out_dir: Path
    dest: Path
    timeout: int
    #: where the notebook writes its charts (default: ``dest/charts``)
    charts: Path | None = None
    #: its place in the build's queue (see :meth:`Runner.queue`): lower starts first; None: last
    ticket: int | None = None

    @property
    def name(self) -> str:
        return f"{self.fund} {self.year}"

    def parameters(self, declared: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The notebook's parameters (papermill injects them after its parameters cell): those of
        ``declared`` (the names its parameters cell assigns), or all when that is not known."""
        values = {"fund": self.fund, "year": int(self.year), "data_dir": str(self.data_dir),
                  "charts_dir": str(self.charts or self.dest / "charts")}
        return values if declared is None else {k: v for k, v in values.items() if k in declared}


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
    from fundanalysis.pipeline.kernels import KERNEL_ARGS

    extra: dict[str, Any] = {"km": km} if km is not None else {
        "cwd": str(section.path.parent), "extra_arguments": KERNEL_ARGS}
    try:
        from fundanalysis.pipeline.inprocess import literal_path

        pm.execute_notebook(
            literal_path(str(section.path)), literal_path(str(out_nb)), parameters=job.parameters(section.parameters),
            kernel_name="python3", progress_bar=False, log_output=False,
            execution_timeout=job.timeout, start_timeout=120, **extra)
        return out_nb
    except PapermillExecutionError as exc:
        from fundanalysis.pipeline.inprocess import _status

        if _status(exc.ename, exc.evalue) == "storage":
            raise StorageError(f"cannot finish writing the report of {job.name} into {job.dest}: "
                               f"{files.plain_cause(exc.evalue)}") from exc
        raise _section_error(section, job, out_nb, "raised", exc.ename, exc.evalue) from exc
    except Exception as exc:
        from fundanalysis.pipeline.inprocess import STORAGE_ERRNOS

        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            raise files.storage_error(out_nb, exc) from exc
        name = type(exc).__name__
        what = "timed out" if "timeout" in name.lower() or "timed out" in str(exc) else (
            "kernel died" if "dead" in name.lower() else "failed")
        raise _section_error(section, job, out_nb, what, name, str(exc)) from exc


class Runner:
    """Executes report notebooks, ``size`` at a time."""

    size: int

    def prepare(self, fund: str, provided: list[Any], years: list[tuple[str, str, int, str]],
                chart_cache: tuple[str, bool] | None = None) -> None:
        """Get ready to run a fund's notebooks: ``provided`` are its validated tables
        (data folder, fund, year, input digest, tables, key figures or None), ``years`` the years
        about to be built (data folder, fund, year, output folder), ``chart_cache`` the
        rendered-chart cache's folder and whether to read it
        (:mod:`fundanalysis.present.charts.cache`). A hint; runners may ignore it."""

    def release(self) -> None:
        """Let go of what :meth:`prepare` set up (the build is over); the runner stays usable."""

    def queue(self, count: int) -> list[int]:
        """Tickets for ``count`` notebooks about to be run, in the order they should start (a
        runner that keeps an order starts a notebook only when every earlier ticket has started or
        been let go with :meth:`forget`)."""
        return list(range(count))

    def forget(self, ticket: int | None) -> None:
        """A ticket's notebook will not run (reused, failed before it ran) or has started."""

    def ran(self, ticket: int | None) -> float | None:
        """Seconds the ticket's notebook held its slot (its own running time, without the wait
        for a slot); None if not known."""
        return None

    def run(self, section: Section, job: Job) -> Path:
        """Execute one notebook into ``job.dest``; raise BuildError on failure."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the runner holds."""


class KernelRunner(Runner):
    """Jupyter kernels from a warm pool (started early, reset between notebooks)."""

    def __init__(self, size: int, cwd: Path):
        from fundanalysis.pipeline.kernels import KernelPool

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
    """A fresh process per notebook, forked from a server that preloaded the imports.

    With :meth:`prepare`, a fund's notebooks are forked from a zygote that holds the fund's
    tables and has loaded the years being built (:mod:`fundanalysis.pipeline.zygote`); without, or
    if that zygote is gone, straight from the fork server.
    """

    def __init__(self, size: int):
        self.size = size
        self._slots = OrderedSlots(size)
        self._zygotes: dict[str, _Zygote] = {}
        self._lock = threading.Lock()
        threading.Thread(target=start_fork_server, daemon=True).start()

    def prepare(self, fund: str, provided: list[Any], years: list[tuple[str, str, int, str]],
                chart_cache: tuple[str, bool] | None = None) -> None:
        with self._lock:
            old = self._zygotes.pop(fund, None)
        if old is not None:
            old.stop()
        try:
            z = _Zygote()
        except Exception:  # cannot start one: the notebooks fork from the server as before
            return
        z.prime(provided, years, chart_cache)
        with self._lock:
            self._zygotes[fund] = z

    def release(self) -> None:
        with self._lock:
            zygotes = list(self._zygotes.values())
            self._zygotes.clear()
        for z in zygotes:
            z.stop()

    def queue(self, count: int) -> list[int]:
        return self._slots.queue(count)

    def forget(self, ticket: int | None) -> None:
        self._slots.forget(ticket)

    def ran(self, ticket: int | None) -> float | None:
        return self._slots.held.pop(ticket, None) if ticket is not None else None

    def run(self, section: Section, job: Job) -> Path:
        with self._slots.take(job.ticket):
            with self._lock:
                z = self._zygotes.get(job.fund)
            if z is not None and z.wait_ready():
                got = z.execute(section, job)
                if got is not None:
                    return got
            return execute_section_forked(section, job)

    def close(self) -> None:
        """Stop every notebook process still running (a build stopped by a signal or an error)."""
        self._slots.close()
        self.release()
        with _ACTIVE_LOCK:
            procs = list(_ACTIVE)
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.kill()


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
                self._queued.discard(ticket)  # type: ignore[arg-type]
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
            self._queued.discard(ticket)  # type: ignore[arg-type]
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


_ACTIVE: set[Any] = set()
_ACTIVE_LOCK = threading.Lock()


class _Zygote:
    """The build's side of one zygote: sends it work, hands each result to the thread waiting for it."""

    def __init__(self) -> None:
        from fundanalysis.pipeline.zygote import zygote_main

        ctx = _fork_context()
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=zygote_main, args=(theirs,), daemon=True)
        with _START_LOCK, _main_hidden():
            self.proc.start()
        theirs.close()
        self._born = time.perf_counter()
        self._send_lock = threading.Lock()
        self._ready = threading.Event()
        self._tasks = itertools.count()
        self._waiting: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._pids: dict[int, int] = {}
        self._state = threading.Lock()
        self.dead = False
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, msg: tuple[Any, ...]) -> bool:
        try:
            with self._send_lock:
                self.conn.send(msg)
            return True
        except (OSError, ValueError):
            return False

    def _read(self) -> None:
        try:
            while True:
                msg = self.conn.recv()
                if msg[0] == "ready":
                    log.info("zygote %s ready in %.2fs", self.proc.pid, time.perf_counter() - self._born)
                    self._ready.set()
                elif msg[0] == "started":
                    with self._state:
                        self._pids[msg[1]] = msg[2]
                elif msg[0] == "done":
                    with self._state:
                        self._pids.pop(msg[1], None)
                        got = self._waiting.pop(msg[1], None)
                    if got is not None:
                        got[1].extend(msg[2:])
                        got[0].set()
        except Exception:  # EOF, a broken pipe, or the pipe closed by stop() mid-read
            pass  # whichever way the pipe ends, the zygote is gone: its waiting notebooks are told below
        self.dead = True
        self._ready.set()
        with self._state:
            waiting = list(self._waiting.values())
            self._waiting.clear()
        for event, _ in waiting:  # their notebooks died with the zygote
            event.set()

    def prime(self, provided: list[Any], years: list[tuple[str, str, int, str]],
              chart_cache: tuple[str, bool] | None = None) -> None:
        if not self._send(("prime", provided, years, chart_cache)):
            self.dead = True
            self._ready.set()

    def wait_ready(self) -> bool:
        """Wait until the zygote has loaded its years; False if it is gone."""
        self._ready.wait()
        return not self.dead

    def execute(self, section: Section, job: Job) -> Path | None:
        """Run one notebook in a child of this zygote; None if the zygote is gone before it starts.

        The child runs :func:`~fundanalysis.pipeline.inprocess.execute_in_child`, imported in the
        zygote; this process does not import it (IPython and papermill: a CPU-second taken from
        the notebooks as they start)."""
        out_nb = files.ensure_dir(job.dest / "notebooks") / section.path.name
        task = next(self._tasks)
        event, result = threading.Event(), []
        with self._state:
            self._waiting[task] = (event, result)
        args = (str(section.path), str(out_nb), job.parameters(section.parameters), str(section.path.parent),
                job.timeout)
        if self.dead or not self._send(("run", task, args)):
            with self._state:
                self._waiting.pop(task, None)
            return None
        hard = job.timeout * (section.code_cells + 2) + 60  # the child stops a slow cell itself
        if not event.wait(hard):
            with self._state:
                pid = self._pids.get(task)
            if pid is not None:
                self._send(("kill", pid))
            event.wait(30)
            raise _section_error(section, job, out_nb, "timed out", "TimeoutError", f"no answer within {hard} s")
        if not result:
            raise _section_error(section, job, out_nb, "kernel died", "DeadKernelError",
                                 "the process that ran the notebooks of this fund ended")
        msg, exitcode = result
        return _outcome(section, job, out_nb, msg, exitcode)

    def stop(self) -> None:
        """End the zygote and every notebook it runs."""
        self._send(("stop",))
        with contextlib.suppress(Exception):
            self.conn.close()
        self.proc.join(2)
        if self.proc.is_alive():
            with contextlib.suppress(Exception):
                self.proc.terminate()  # SIGTERM: it kills its children, then itself
            self.proc.join(2)
        if self.proc.is_alive():
            with contextlib.suppress(Exception):
                self.proc.kill()
            self.proc.join()


def _fork_context() -> Any:
    """A fork server that has imported everything the notebooks need (started once)."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["fundanalysis.pipeline._forkserver_preload"])
    return ctx


def start_fork_server() -> None:
    """Start the fork server now, so its imports overlap with the main process's work."""
    from multiprocessing import forkserver

    _fork_context()
    forkserver.ensure_running()


def stop_fork_server() -> None:
    """End the fork server now, when no notebook runs (a command that is done with it): it holds the
    libraries it imported, and tearing them down as it ends would keep the command's output open for
    a second after the command is done."""
    import os
    import signal
    from multiprocessing import forkserver

    server = forkserver._forkserver
    pid = getattr(server, "_forkserver_pid", None)
    with _ACTIVE_LOCK:
        busy = bool(_ACTIVE)
    if pid is None or busy:
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)  # it holds no state: nothing to flush or remove
    # then forget it as multiprocessing does (reap it, close its pipe and socket), so that a later
    # build in this process starts a new one
    with contextlib.suppress(Exception):
        server._stop()


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
    from fundanalysis.pipeline.inprocess import execute_in_child

    out_nb = files.ensure_dir(job.dest / "notebooks") / section.path.name
    ctx = _fork_context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=execute_in_child, daemon=True, args=(
        str(section.path), str(out_nb), job.parameters(section.parameters), str(section.path.parent), job.timeout,
        child))
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
    return _outcome(section, job, out_nb, msg, proc.exitcode)


def _outcome(section: Section, job: Job, out_nb: Path, msg: tuple[Any, ...] | None, exitcode: int | None
             ) -> Path:
    """What a notebook's process said (or its death) as a result: the executed notebook, or an error."""
    if msg is None:
        how = "was killed" if exitcode == -signal.SIGKILL else f"exited with code {exitcode}"
        raise _section_error(section, job, out_nb, "kernel died", "DeadKernelError",
                             f"the notebook's process {how}")
    status, ename, evalue = msg
    if status == "ok":
        return out_nb
    if status == "storage":
        raise StorageError(f"cannot finish writing the report of {job.name} into {job.dest}: "
                           f"{files.plain_cause(evalue)}")
    what = "timed out" if ename == "CellTimeout" else "raised"
    raise _section_error(section, job, out_nb, what, ename, evalue)
