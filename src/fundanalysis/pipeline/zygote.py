"""One warm parent process per fund ("zygote"), from which that fund's notebook processes are forked.

A zygote is forked once from the build's preloaded fork server. The build hands it the fund's
validated tables and names the years about to be built; it loads each of those years as the
notebooks will (``Report.load``: tables, key figures, the other years' key figures) and then forks
one fresh child per notebook. Each notebook still runs in a process of its own, with its own
state, but starts with its year already loaded: a year's data and the fund's other years are
computed once per build, not once per notebook.

Protocol (the build's side is :class:`~fundanalysis.pipeline.runners.ForkRunner`), over one pipe:

    build → zygote   ("prime", provided, years, chart_cache) · ("run", task, args) · ("kill", pid) · ("stop",)
    zygote → build   ("ready",) · ("started", task, pid) · ("done", task, message, exit code)

``message`` is what :func:`~fundanalysis.pipeline.inprocess.execute_in_child` told, or None when the
child died without a word. The zygote ends, and kills its children, when the build's end of the
pipe closes (the build ended or was killed) or on ("stop",) or SIGTERM.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path
from typing import Any

#: (data folder, fund, year, input digest, tables, key figures or None): validated tables handed
#: to the zygote, with the key figures the build worked out from them.
Provided = tuple[str, str, int, str, dict[str, Any], dict[str, Any] | None]


def zygote_main(conn: Connection) -> None:
    """The zygote's loop (the target of its process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build handles Ctrl-C and stops us
    children: dict[int, tuple[int, Connection]] = {}

    def stop(*_: Any) -> None:
        for pid in list(children):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    while True:
        for ready in wait([conn, *(r for _, r in children.values())]):
            try:
                if ready is conn:
                    _handle(conn.recv(), conn, children, stop)
                else:
                    _collect(ready, conn, children)  # type: ignore[arg-type]
            except (EOFError, OSError):  # the build's end of the pipe is gone: so is the build
                stop()


def _handle(msg: tuple[Any, ...], conn: Connection, children: dict[int, tuple[int, Connection]],
            stop: Any) -> None:
    kind = msg[0]
    if kind == "prime":
        _prime(msg[1], msg[2], msg[3] if len(msg) > 3 else None)
        conn.send(("ready",))
    elif kind == "run":
        _, task, args = msg
        reader, writer = Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:  # the notebook's process
            _child(conn, reader, children, args, writer)
        writer.close()
        children[pid] = (task, reader)
        conn.send(("started", task, pid))
    elif kind == "kill":
        with contextlib.suppress(OSError):
            os.kill(msg[1], signal.SIGKILL)
    elif kind == "stop":
        stop()


def _child(conn: Connection, reader: Connection, children: dict[int, tuple[int, Connection]],
           args: tuple[Any, ...], writer: Connection) -> None:
    """Run one notebook in this freshly forked process, then end it (never returns)."""
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # the build must see the zygote's pipe close when the zygote ends, and each sibling's
        # result pipe close when that sibling ends: this process keeps none of them open
        conn.close()
        reader.close()
        for _, other in children.values():
            other.close()
        from fundanalysis.pipeline.inprocess import execute_in_child

        execute_in_child(*args, writer)
    except BaseException:  # execute_in_child reports every error itself; this is a last resort
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _collect(reader: Connection, conn: Connection, children: dict[int, tuple[int, Connection]]) -> None:
    """A child's result (or its end without one): reap it and tell the build."""
    pid = next(p for p, (_, r) in children.items() if r is reader)
    task, _ = children.pop(pid)
    try:
        message = reader.recv()
    except (EOFError, OSError):
        message = None
    reader.close()
    _, status = os.waitpid(pid, 0)
    conn.send(("done", task, message, os.waitstatus_to_exitcode(status)))


def _prime(provided: list[Provided], years: list[tuple[str, str, int, str]],
           chart_cache: tuple[str, bool] | None = None) -> None:
    """Take the validated tables, turn the rendered-chart cache on (folder, whether to read it),
    then load each year as its notebooks will (errors are left for the notebooks themselves to
    report)."""
    from fundanalysis.analysis.key_figures import summary_of_input
    from fundanalysis.ingest.load import provide_tables
    from fundanalysis.present.charts import cache
    from fundanalysis.present.report import Report

    cache.configure(*(chart_cache or (None,)))

    for data_dir, fund, year, digest, tables, summary in provided:
        provide_tables(Path(data_dir), fund, year, tables, digest, pinned=True)
        if summary is not None:
            summary_of_input(Path(data_dir), fund, year, digest, known=summary)
    from fundanalysis.present.report import year_chart_specs

    for data_dir, fund, year, out_dir in years:
        with contextlib.suppress(Exception):
            year_chart_specs(Report.load(year=year, data_dir=data_dir, out_dir=out_dir, fund=fund).tables)
    gc.freeze()  # what the notebooks inherit is left out of their collections (see _forkserver_preload)
