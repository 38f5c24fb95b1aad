"""In-process notebook execution: a papermill engine that runs cells in the current Python.

Report builds run each notebook through papermill's Python API with this engine, in a child
process forked from a server that has already imported pandas, matplotlib, IPython and the
library. Each notebook so gets a fresh process (its own namespace and state) without paying
for a Jupyter kernel's start-up and imports. Outputs (display data, streams, results, errors)
are recorded in the notebook exactly as a kernel would; a cell that runs longer than the
timeout is stopped with :class:`CellTimeout`.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import io
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import nbformat
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from papermill.engines import Engine, papermill_engines

ENGINE_NAME = "fundanalysis-inprocess"
_BINARY = ("image/png", "image/jpeg", "image/gif")


class CellTimeout(Exception):
    """A cell ran longer than the per-cell timeout."""


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Display data as nbformat stores it: binary images base64-encoded."""
    return {k: base64.b64encode(v).decode("ascii") if k in _BINARY and isinstance(v, bytes) else v
            for k, v in data.items()}


class _Publisher(DisplayPublisher):
    """Collects display_data outputs for the running cell."""

    outputs: ClassVar[list[Any]] = []

    def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None,
                source: Any = None, *, transient: Any = None, update: bool = False,
                **kwargs: Any) -> None:
        self.outputs.append(nbformat.v4.new_output("display_data", data=_clean(data),
                                                   metadata=metadata or {}))

    def clear_output(self, wait: bool = False) -> None:
        self.outputs.clear()


class _Stream(io.TextIOBase):
    """Collects writes to stdout/stderr as stream outputs, merging consecutive ones."""

    def __init__(self, name: str, outputs: list[Any]):
        self.name = name
        self.outputs = outputs

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            last = self.outputs[-1] if self.outputs else None
            if last is not None and last.output_type == "stream" and last.name == self.name:
                last.text += text
            else:
                self.outputs.append(nbformat.v4.new_output("stream", name=self.name, text=text))
        return len(text)


def _shell() -> InteractiveShell:
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # forked processes must not share a history file
    shell = InteractiveShell.instance(config=config)
    shell.display_pub = _Publisher(shell=shell)
    shell.displayhook.write_output_prompt = lambda: None  # type: ignore[method-assign]
    shell.displayhook.write_format_data = lambda *a, **k: None  # type: ignore[method-assign]
    return shell


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise CellTimeout in this (main) thread after ``seconds``."""
    if not seconds or sys.platform == "win32":
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise CellTimeout(f"cell timed out after {seconds:g} seconds")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cell(shell: InteractiveShell, cell: Any, count: int, timeout: float | None
             ) -> BaseException | None:
    """Run one code cell, filling its outputs; return the exception it raised, if any."""
    outputs: ClassVar[list[Any]] = []
    _Publisher.outputs = outputs
    errors: list[tuple[Any, BaseException, list[str]]] = []
    shell._showtraceback = lambda etype, evalue, stb: errors.append((etype, evalue, stb))
    with contextlib.redirect_stdout(_Stream("stdout", outputs)), \
            contextlib.redirect_stderr(_Stream("stderr", outputs)):
        try:
            with _deadline(timeout):
                result = shell.run_cell(cell.source, store_history=False, silent=False)
        except CellTimeout as exc:
            errors.append((type(exc), exc, [f"CellTimeout: {exc}"]))
            result = None
    if result is not None and result.result is not None and not errors:
        data, meta = shell.display_formatter.format(result.result)
        outputs.append(nbformat.v4.new_output("execute_result", data=_clean(data), metadata=meta,
                                              execution_count=count))
    err = None
    if errors:
        etype, err, stb = errors[-1]
        outputs.append(nbformat.v4.new_output(
            "error", ename=getattr(etype, "__name__", str(etype)), evalue=str(err),
            traceback=stb or traceback.format_exception(err)))
    elif result is not None and (result.error_before_exec or result.error_in_exec):
        err = result.error_before_exec or result.error_in_exec
        outputs.append(nbformat.v4.new_output("error", ename=type(err).__name__, evalue=str(err),
                                              traceback=traceback.format_exception(err)))
    cell.outputs = outputs
    cell.execution_count = count
    return err


#: Papermill saves the executed notebook when every cell starts and ends; in-process, the saves
#: cost more than many cells. A build saves it at the start, at most this often while running,
#: and at the end; the cell running is always recorded beside it (see :func:`running_marker`).
SAVE_EVERY_S = 2.0


def running_marker(output_path: str | Path) -> Path:
    """The file beside an executed notebook that names the cell running (its index among the
    executed notebook's cells), so a process that dies mid-cell is still reported by cell."""
    return Path(str(output_path) + ".running")


class InProcessEngine(Engine):
    """A papermill engine that executes cells with an in-process IPython shell."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 execution_timeout: float | None = None, **kwargs: Any) -> None:
        """Run every cell in order; stop at the first error, as papermill does."""
        from fundanalysis.storage import files

        shell = _shell()
        count = 0
        save = nb_man.save
        last_save = [time.monotonic()]

        def throttled_save(**kw: Any) -> None:
            if time.monotonic() - last_save[0] >= SAVE_EVERY_S:
                save(**kw)
                last_save[0] = time.monotonic()

        nb_man.save = throttled_save
        marker = running_marker(nb_man.output_path) if nb_man.output_path else None
        try:
            for index, cell in enumerate(nb_man.nb.cells):
                try:
                    nb_man.cell_start(cell, index)
                    if cell.cell_type != "code":
                        continue
                    if marker is not None:
                        files.write_text(marker, str(index))
                    count += 1
                    err = run_cell(shell, cell, count, execution_timeout)
                    if err is not None:
                        nb_man.cell_exception(cell, cell_index=index, exception=err)
                        break
                finally:
                    nb_man.cell_complete(cell, cell_index=index)
        finally:
            nb_man.save = save  # papermill saves the finished notebook itself


papermill_engines.register(ENGINE_NAME, InProcessEngine)


def literal_path(path: str) -> str:
    """``path`` as papermill must be given it to use it as it is: papermill formats its input and
    output paths with the notebook's parameters (``str.format``), so braces are doubled.

    >>> literal_path("/tmp/out{2019}/a.ipynb")
    '/tmp/out{{2019}}/a.ipynb'
    """
    return path.replace("{", "{{").replace("}", "}}")


def execute_in_child(input_path: str, output_path: str, parameters: dict[str, Any], cwd: str,
                     timeout: float | None, conn: Any) -> None:
    """Child-process entry: run one notebook with papermill and report back over ``conn``.

    The executed notebook is converted to its HTML fragment here too, from memory, so that
    conversions run in parallel beside the other notebooks; the fragment is written beside the
    executed notebook (``<name>.html-fragment``).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    # Ctrl-C reaches the whole process group: the parent stops the build and kills this child,
    # which must not print a traceback of its own on the way
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.chdir(cwd)
    try:
        nb = pm.execute_notebook(literal_path(input_path), literal_path(output_path), parameters=parameters,
                                 engine_name=ENGINE_NAME,
                                 kernel_name="python3", progress_bar=False, log_output=False,
                                 execution_timeout=timeout)
        from fundanalysis.pipeline.convert import notebook_to_html
        from fundanalysis.storage import files

        html = notebook_to_html(nb)
        files.write_text(Path(output_path).with_suffix(".html-fragment"), html)
        files.take_text(running_marker(output_path))
        _tell(conn, ("ok", None, None))
    except PapermillExecutionError as exc:
        _tell(conn, (_status(exc.ename, exc.evalue), exc.ename, exc.evalue))
    except BaseException as exc:  # report anything, then end the child
        text = str(exc).strip().splitlines()[0] if str(exc) else ""
        _tell(conn, (_status(type(exc).__name__, text, exc), type(exc).__name__, text))
    finally:
        with contextlib.suppress(OSError):
            conn.close()


#: OS errors that mean "the disk cannot take it", not "the notebook is wrong".
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def _status(ename: str, evalue: str, exc: BaseException | None = None) -> str:
    """``storage`` when a failure is the disk's (full, read-only), else ``error``."""
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        return "storage"
    if ename == "StorageError" or any(os.strerror(e) in (evalue or "") for e in STORAGE_ERRNOS):
        return "storage"
    return "error"


def _tell(conn: Any, msg: tuple[Any, ...]) -> None:
    """Send the result to the parent; if the parent is gone (stopped), end quietly."""
    try:
        conn.send(msg)
    except OSError:  # BrokenPipeError: the build was stopped
        os._exit(1)


def preload() -> None:
    """Import what the report notebooks use, once, in the fork server, and run each costly first
    time once (chart text in the Chinese font, a PNG, a styled table, an HTML conversion), so that
    every notebook process forked from it starts warm. A warm-up that fails only costs time."""
    import fundanalysis.present.charts
    import fundanalysis.present.report
    from fundanalysis.pipeline.convert import _exporter
    from fundanalysis.storage import digests

    fundanalysis.present.charts.register_fonts()
    _exporter()
    _shell()
    digests.code_digest()
    for warm in (_warm_charts, _warm_tables, _warm_conversion):
        with contextlib.suppress(Exception):
            warm()


def _warm_charts() -> None:
    """Draw and save one small chart with Chinese text, as the report's charts are drawn."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from fundanalysis.present import charts

    with mpl.rc_context(charts.theme_rc()):
        fig = Figure(figsize=(4, 2))
        ax = fig.add_subplot()
        ax.barh(["专项资金", "宣传经费"], [1.0, 2.0])
        ax.set_title("执行率 86.87%（万元）")
        ax.text(0.5, 0.5, "获奖单位数 0123456789", fontsize=9)
        charts.render(fig, "png", dpi=72)


def _warm_tables() -> None:
    """Render one styled table (pandas' Styler loads and compiles its templates once)."""
    import pandas as pd

    pd.DataFrame({"类别": ["甲"], "金额": [1]}).style.hide(axis="index").to_html()


def _warm_conversion() -> None:
    """Convert one small executed notebook (nbconvert compiles its templates and filters once)."""
    from nbformat import v4

    from fundanalysis.pipeline.convert import notebook_to_html

    code = v4.new_code_cell("x", execution_count=1, outputs=[
        v4.new_output("display_data", data={"text/html": "<p>段落</p>", "text/plain": "x"}),
        v4.new_output("display_data", data={"image/png": _TINY_PNG, "text/plain": "图"}),
        v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
        v4.new_output("stream", name="stderr", text="warn")])
    title = v4.new_markdown_cell("# 标题", metadata={"tags": ["title"]})
    notebook_to_html(v4.new_notebook(cells=[title, v4.new_markdown_cell("## 小节\n\n说明 **粗体**"), code]))


#: A 1×1 PNG, base64 (for the conversion warm-up).
_TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
