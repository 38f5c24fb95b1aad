"""Build the yearly reports: papermill in parallel, nbconvert to HTML, publish atomically.

A build validates all input first (bad input: nothing written), takes a per-year lock,
executes the report notebooks into a staging folder, converts them to standalone HTML,
writes the year's index, summary and chart exports, and only then publishes the year
with one atomic symlink swap. A failure leaves the last published report untouched and
keeps the failed notebooks under ``<out>/failed/`` for debugging.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fundanalysis import __version__, io, metrics
from fundanalysis.config import REPORT_NOTEBOOKS_DIR
from fundanalysis.convert import notebook_to_html
from fundanalysis.errors import BuildError, InputError, Interrupted, LockedError, StorageError
from fundanalysis.html import embed_font, esc, font_face_css, page
from fundanalysis.kernels import KERNEL_ARGS, KernelPool
from fundanalysis.pipeline import process_year, summarise, summary_json

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

log = logging.getLogger("fundanalysis.build")


@dataclass(frozen=True)
class Section:
    """One report notebook."""

    path: Path
    title: str

    @property
    def slug(self) -> str:
        """The notebook's file stem, used for the HTML name."""
        return self.path.stem


def discover_sections(notebooks_dir: Path = REPORT_NOTEBOOKS_DIR) -> list[Section]:
    """The report notebooks in order, with the titles stored in their metadata.

    A notebook that is not valid JSON or not a valid notebook is a :class:`BuildError` naming
    it, raised before anything runs.
    """
    import nbformat

    out = []
    for p in sorted(Path(notebooks_dir).glob("*.ipynb")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # cells without ids: nbformat only warns
                nb = nbformat.reads(p.read_text(encoding="utf-8"), as_version=4)
                nbformat.validate(nb)
        except (OSError, UnicodeDecodeError, ValueError, nbformat.ValidationError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BuildError(f"report notebook {p} is broken: {detail}; restore it "
                             f"(git checkout -- {p.name}) or fix it in Jupyter") from exc
        title = nb.metadata.get("fundanalysis", {}).get("title", p.stem)
        out.append(Section(p, title))
    return out


# ------------------------------------------------------------------ locking


@contextlib.contextmanager
def year_lock(out_dir: Path, year: int, wait: bool = False) -> Iterator[None]:
    """An exclusive per-year lock; raises LockedError if held and ``wait`` is False."""
    lock_dir = Path(out_dir) / ".locks"
    with io.writing(lock_dir, "creating"):
        lock_dir.mkdir(parents=True, exist_ok=True)
    with io.writing(lock_dir, "creating the build lock in"):
        fh = open(lock_dir / f"{year}.lock", "a+")  # held for the whole block
    try:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fh, flags)
        except BlockingIOError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise LockedError(f"a build of {year} is already running ({holder}); "
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


# ------------------------------------------------------------------ fingerprints


def fingerprint(data_dir: Path, years: Sequence[int], notebooks_dir: Path) -> str:
    """Hash of everything a report depends on: all raw input, notebooks and library code."""
    files: list[Path] = []
    for y in sorted(years):
        files += io.input_files(data_dir, y)
    files += sorted(Path(notebooks_dir).glob("*.ipynb"))
    return io.content_digest(files, io.code_digest())


def _published_fingerprint(out_dir: Path, year: int) -> str | None:
    p = Path(out_dir) / str(year) / "build.json"
    try:
        return json.loads(p.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ execution


def _failed_cell(nb_path: Path) -> str:
    """Describe the cell that failed (or was running), numbered as in the source notebook."""
    import nbformat

    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:
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


def _section_error(section: Section, year: int, out_nb: Path, what: str, ename: str, evalue: str
                   ) -> BuildError:
    detail = evalue.strip().splitlines()[0] if evalue and evalue.strip() else ""
    return BuildError(f"{year} {section.path.name}: {_failed_cell(out_nb)} {what}: {ename}: {detail}")


def _params(year: int, data_dir: Path, out_dir: Path, dest: Path) -> dict[str, Any]:
    return {"year": int(year), "data_dir": str(data_dir), "out_dir": str(out_dir),
            "charts_dir": str(dest / "charts")}


def execute_section(section: Section, year: int, data_dir: Path, out_dir: Path, dest: Path,
                    timeout: int, km: KernelManager | None = None) -> Path:
    """Execute one report notebook in a Jupyter kernel with papermill's Python API.

    ``km`` is a warm kernel from :class:`~fundanalysis.kernels.KernelPool` (a fresh kernel is
    started if None). An error raises BuildError naming the notebook, the cell and the exception.
    Charts shown by the notebook are also written to ``dest/charts`` (rendered once).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_nb = dest / "notebooks" / section.path.name
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {"km": km} if km is not None else {
        "cwd": str(section.path.parent), "extra_arguments": KERNEL_ARGS}
    try:
        pm.execute_notebook(
            str(section.path), str(out_nb), parameters=_params(year, data_dir, out_dir, dest),
            kernel_name="python3", progress_bar=False, log_output=False,
            execution_timeout=timeout, start_timeout=120, **extra)
        return out_nb
    except PapermillExecutionError as exc:
        from fundanalysis.inprocess import _status

        if _status(exc.ename, exc.evalue) == "storage":
            raise StorageError(f"cannot finish writing the report of {year} into {dest}: "
                               f"{io.plain_cause(exc.evalue)}") from exc
        raise _section_error(section, year, out_nb, "raised", exc.ename, exc.evalue) from exc
    except Exception as exc:
        from fundanalysis.inprocess import STORAGE_ERRNOS

        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            raise io.storage_error(out_nb, exc) from exc
        name = type(exc).__name__
        what = "timed out" if "timeout" in name.lower() or "timed out" in str(exc) else (
            "kernel died" if "dead" in name.lower() else "failed")
        raise _section_error(section, year, out_nb, what, name, str(exc)) from exc


class Runner:
    """Executes report notebooks, ``size`` at a time."""

    size: int

    def run(self, section: Section, year: int, data_dir: Path, out_dir: Path, dest: Path,
            timeout: int) -> Path:
        """Execute one notebook into ``dest``; raise BuildError on failure."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the runner holds."""


class KernelRunner(Runner):
    """Jupyter kernels from a warm pool (started early, reset between notebooks)."""

    def __init__(self, size: int, cwd: Path):
        self.size = size
        self.pool = KernelPool(size, cwd=cwd)

    def run(self, section: Section, year: int, data_dir: Path, out_dir: Path, dest: Path,
            timeout: int) -> Path:
        km = self.pool.acquire()
        healthy = False
        try:
            nb = execute_section(section, year, data_dir, out_dir, dest, timeout, km=km)
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

    def run(self, section: Section, year: int, data_dir: Path, out_dir: Path, dest: Path,
            timeout: int) -> Path:
        with self._slots:
            return execute_section_forked(section, year, data_dir, out_dir, dest, timeout)

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
    ctx.set_forkserver_preload(["fundanalysis._forkserver_preload"])
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


def execute_section_forked(section: Section, year: int, data_dir: Path, out_dir: Path, dest: Path,
                           timeout: int) -> Path:
    """Execute one report notebook with papermill's Python API and the in-process engine, in a
    fresh child of the preloaded fork server. A crash of the child is reported as a dead kernel.
    """
    from fundanalysis.inprocess import execute_in_child

    out_nb = dest / "notebooks" / section.path.name
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    ctx = _fork_context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=execute_in_child, daemon=True, args=(
        str(section.path), str(out_nb), _params(year, data_dir, out_dir, dest),
        str(section.path.parent), timeout, child))
    with _START_LOCK, _main_hidden():
        proc.start()
    with _ACTIVE_LOCK:
        _ACTIVE.add(proc)
    child.close()
    try:
        return _await_child(section, year, out_nb, proc, parent, timeout)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(proc)


def _await_child(section: Section, year: int, out_nb: Path, proc: Any, parent: Any, timeout: int
                 ) -> Path:
    """Wait for a notebook's child process and turn what it says (or its death) into a result."""
    cells = sum(1 for c in json.loads(section.path.read_text(encoding="utf-8"))["cells"]
                if c["cell_type"] == "code")
    hard = timeout * (cells + 2) + 60  # the child stops a slow cell itself; this is the backstop
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
            raise _section_error(section, year, out_nb, "kernel died", "DeadKernelError",
                                 f"the notebook's process exited with code {proc.exitcode}")
        raise _section_error(section, year, out_nb, "timed out", "TimeoutError",
                             f"no answer within {hard} s")
    status, ename, evalue = msg
    if status == "ok":
        return out_nb
    if status == "storage":
        raise StorageError(f"cannot finish writing the report of {year} into {out_nb.parent.parent}: "
                           f"{io.plain_cause(evalue)}")
    what = "timed out" if ename == "CellTimeout" else "raised"
    raise _section_error(section, year, out_nb, what, ename, evalue)


def section_page(section: Section, sections: Sequence[Section], summary: dict[str, Any],
                 body: str) -> str:
    """Wrap a converted section in the site's page with navigation."""
    nav = [("目录", "index.html", False)] + [
        (s.title, f"{s.slug}.html", s.slug == section.slug) for s in sections]
    crumb = f'<a href="../index.html">全部年度</a> › <a href="index.html">{summary["year"]} 年度</a>'
    return page(f"{summary['year']} 年度 {summary['fund_name']} · {section.title}", body,
                crumb=crumb, nav=nav, footer=_footer(summary))


def _footer(summary: dict[str, Any]) -> str:
    src = summary.get("source_report") or ""
    return (f"资料来源：{esc(src)}。金额以万元显示（计算使用整数“元”）。"
            f"由 fundanalysis {esc(__version__)} 生成。")


def _source_report(tables: dict[str, pd.DataFrame]) -> str:
    return "；".join(metrics.report_names(tables))


# ------------------------------------------------------------------ index pages


def year_index(summary: dict[str, Any], sections: Sequence[Section], charts: Sequence[str]
               ) -> str:
    """The year's landing page: key figures, links to sections and downloads."""
    from fundanalysis.sections import fmt_pct, fmt_wan

    tiles = [("专项资金总额", fmt_wan(summary["budget_yuan"])),
             ("已使用", fmt_wan(summary["spent_yuan"])),
             ("执行率", fmt_pct(summary["utilisation"])),
             ("结余", fmt_wan(summary["unspent_yuan"])),
             ("项目数", f"{summary['projects']} 个")]
    rec = summary["reconciliation"]
    n_ok = sum(1 for r in rec if r["ok"] is True)
    n_fail = sum(1 for r in rec if r["ok"] is False)
    n_na = sum(1 for r in rec if r["ok"] is None)
    body = ['<div class="fa-tiles">' + "".join(
        f'<div class="fa-tile"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div></div>'
        for k, v in tiles) + "</div>"]
    body.append(f'<p class="fa-say">报告总计核对 {len(rec)} 项：{n_ok} 项相符，'
                f'{n_fail} 项不符，{n_na} 项无法核对（详见“专项资金概况”）。</p>')
    body.append("<h2>报告章节</h2><ol>" + "".join(
        f'<li><a href="{esc(s.slug)}.html">{esc(s.title)}</a></li>' for s in sections) + "</ol>")
    body.append("<h2>下载</h2><ul>"
                '<li><a href="summary.json">summary.json</a>（关键数字，机器可读）</li>'
                + "".join(f'<li><a href="charts/{esc(c)}">{esc(c)}</a></li>' for c in charts)
                + "</ul>")
    nav = [("目录", "index.html", True)] + [(s.title, f"{s.slug}.html", False) for s in sections]
    return page(f"{summary['year']} 年度 {summary['fund_name']}", "\n".join(body),
                crumb=f'<a href="../index.html">全部年度</a> › {esc(summary["issuer"])}',
                nav=nav, footer=_footer(summary))


def read_summary(path: Path) -> dict[str, Any] | None:
    """A published summary.json, or None (with a warning in the log) if it is missing or broken."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("skipped %s: not a readable summary (%s)", path, exc)
        return None
    return data if isinstance(data, dict) and "year" in data else None


def site_index(out_dir: Path, notes: list[str] | None = None) -> str:
    """The top-level page listing every published year (a broken summary is skipped with a note)."""
    from fundanalysis.sections import fmt_pct, fmt_wan

    rows = []
    for d in sorted(Path(out_dir).iterdir(), reverse=True):
        if not re.fullmatch(r"[0-9]{4}", d.name) or not (d / "summary.json").is_file():
            continue
        s = read_summary(d / "summary.json")
        if s is None:
            if notes is not None:
                notes.append(f"{d / 'summary.json'} is not a readable summary; {d.name} is left out of "
                             "the index (rebuild that year with --force)")
            continue
        try:
            cells = (f'<tr><td><a href="{d.name}/index.html">{d.name} 年度</a></td>'
                     f"<td>{esc(s['fund_name'])}</td><td class=\"num\">{esc(fmt_wan(s['budget_yuan']))}</td>"
                     f"<td class=\"num\">{esc(fmt_wan(s['spent_yuan']))}</td>"
                     f"<td class=\"num\">{esc(fmt_pct(s['utilisation']))}</td></tr>")
        except (KeyError, TypeError, ValueError):
            if notes is not None:
                notes.append(f"{d / 'summary.json'} lacks key figures; {d.name} is left out of the index")
            continue
        rows.append(cells)
    body = ('<table class="fa-index"><thead><tr><th>年度</th><th>专项资金</th><th>总额</th>'
            "<th>已使用</th><th>执行率</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>") if rows else "<p>尚未生成任何年度的报告。</p>"
    return page("专项资金绩效评价报告", body, footer=f"由 fundanalysis {esc(__version__)} 生成。")


# ------------------------------------------------------------------ charts


def write_charts(tables: dict[str, pd.DataFrame], dest: Path, formats: Sequence[str] = ("png",),
                 dpi: int = 200) -> list[Path]:
    """Render every chart of a year into ``dest`` (one file per chart and format)."""
    from fundanalysis import charts

    written = []
    for spec in charts.chart_specs(tables):
        fig = spec.make()
        for fmt in formats:
            p = dest / f"{spec.slug}.{fmt}"
            io.write_bytes(p, charts.render(fig, fmt, dpi=dpi))
            written.append(p)
    return written


def exports_dir(out_dir: Path, year: int) -> Path:
    """Where ``fundanalysis charts`` publishes a year's chart files: apart from the report, so
    neither a build nor an export ever overwrites the other's files."""
    return Path(out_dir) / "exports" / str(year) / "charts"


def export_charts(year: int, data_dir: Path, out_dir: Path, formats: Sequence[str] = ("png", "svg"),
                  dpi: int = 200) -> list[Path]:
    """Export a year's charts to ``<out>/exports/<year>/charts/`` for briefings.

    The files are rendered into a staging folder and published in one atomic step as a new
    version of that folder (the previous export is replaced whole, never file by file).
    """
    from fundanalysis.pipeline import load_tables

    tables = load_tables(data_dir, year)
    final = exports_dir(out_dir, year)
    io.check_publishable(final)
    with io.staging_dir(final) as tmp:
        names = [p.name for p in write_charts(tables, tmp, formats, dpi)]
        io.publish_dir(tmp, final)
    return [final / n for n in names]


# ------------------------------------------------------------------ the build


class _QuietFileHandler(logging.FileHandler):
    """A log file that, once the disk refuses it, stops writing instead of printing tracebacks."""

    def handleError(self, record: logging.LogRecord) -> None:
        self.close()
        logging.getLogger("fundanalysis.build").removeHandler(self)


def _setup_log(out_dir: Path) -> tuple[Path, logging.Handler]:
    logs = Path(out_dir) / "logs"
    with io.writing(logs, "creating the log in"):
        logs.mkdir(parents=True, exist_ok=True)
        path = logs / f"build-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
        handler = _QuietFileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path, handler


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While building, SIGTERM, SIGINT and SIGHUP raise :class:`Interrupted` in the main thread,
    so that staging folders are removed and child processes stopped before the process ends."""
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


def build_reports(years: Sequence[int], data_dir: Path, out_dir: Path, jobs: int | None = None,
                  timeout: int = 600, force: bool = False, wait: bool = False,
                  notebooks_dir: Path = REPORT_NOTEBOOKS_DIR,
                  echo: Callable[[str], None] | None = None, engine: str = "inprocess") -> list[int]:
    """Build the reports of ``years``; return the years built (skipped ones are up to date).

    ``engine`` is ``inprocess`` (each notebook in a fresh process forked from a preloaded
    server; fast) or ``kernel`` (each notebook in a Jupyter kernel from a warm pool).

    Raises InputError (nothing written), LockedError, StorageError (a place to write is full,
    read-only, or holds something the tool did not create: nothing replaced), BuildError (last
    good report kept) or Interrupted (a signal: staging removed, children stopped).
    """
    say = echo or (lambda m: print(m, file=sys.stderr, flush=True))
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    years = sorted(set(int(y) for y in years))
    with stop_on_signals():
        sections = discover_sections(notebooks_dir)
        if not sections:
            raise BuildError(f"no report notebooks in {notebooks_dir}")
        fp = fingerprint(data_dir, io.list_years(data_dir), notebooks_dir)
        stale = [y for y in years if force or _published_fingerprint(out_dir, y) != fp]
        if not stale and (out_dir / "index.html").is_file():
            for y in years:
                say(f"[{y}] up to date (input, notebooks and code unchanged); --force rebuilds")
            return []  # nothing to do, so nothing is written (a read-only folder is fine)
        for y in stale:
            io.check_publishable(out_dir / str(y))
            io.check_publishable(io.processed_dir(data_dir, y))
        workers = max(1, min(jobs or os.cpu_count() or 2, len(stale) * len(sections)))
        # the executors start now, so their start-up overlaps with validating the input
        pool = (ForkRunner(workers) if engine == "inprocess" else KernelRunner(workers, notebooks_dir)
                ) if stale else None
        try:
            problems = []
            parsed = {}
            for y in stale:
                try:
                    parsed[y] = process_year(data_dir, y)
                except InputError as exc:
                    problems.extend(exc.problems)
            if problems:
                raise InputError(problems)
            with io.writing(out_dir, "creating"):
                out_dir.mkdir(parents=True, exist_ok=True)
            log_path, handler = _setup_log(out_dir)
            say(f"log: {log_path}")
            try:
                with contextlib.ExitStack() as stack:
                    for y in years:
                        stack.enter_context(year_lock(out_dir, y, wait=wait))
                    todo = [y for y in stale if force or _published_fingerprint(out_dir, y) != fp]
                    for y in sorted(set(years) - set(todo)):
                        say(f"[{y}] up to date (input, notebooks and code unchanged); --force rebuilds")
                        log.info("%s up to date", y)
                    if todo:
                        assert pool is not None
                        _build(todo, parsed, sections, data_dir, out_dir, pool, timeout, fp, say)
                    notes: list[str] = []
                    index = site_index(out_dir, notes)
                    for note in notes:
                        say(f"note: {note}")
                        log.warning("%s", note)
                    io.write_text(out_dir / "index.html", _with_font(out_dir, {"index": index})["index"])
                    return todo
            except BaseException as exc:
                log.error("build stopped: %s", exc)
                raise
            finally:
                log.removeHandler(handler)
                handler.close()
        finally:
            if pool is not None:
                pool.close()


def _font_cache_dir() -> Path:
    """Where font subsets are cached across builds (per user, like matplotlib's font cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fundanalysis" / "fonts"


def _with_font(out_dir: Path, pages: dict[str, str]) -> dict[str, str]:
    """Embed the subset font in pages, caching the subset by the characters it covers."""
    chars = "".join(sorted({c for text in pages.values() for c in text if ord(c) > 126}))
    key = hashlib.sha256(chars.encode()).hexdigest()[:32]
    cache = _font_cache_dir() / f"{key}.css"
    try:
        css = cache.read_text(encoding="ascii")
    except OSError:
        css = font_face_css(chars)
        with contextlib.suppress(OSError):  # a read-only home only loses the cache
            io.write_text(cache, css)
    return embed_font(pages, css)


def _build(years: list[int], parsed: dict, sections: list[Section], data_dir: Path,
           out_dir: Path, pool: Runner, timeout: int, fp: str,
           say: Callable[[str], None]) -> None:
    from fundanalysis.pipeline import write_processed

    for y in years:
        for old in io.stale_staging(out_dir, str(y)):
            io.remove_owned(old)
        write_processed(data_dir, y, parsed[y])
    staging: dict[int, Path] = {}
    try:
        for y in years:
            staging[y] = io.make_staging(out_dir, str(y))
        _run_all(years, parsed, sections, data_dir, out_dir, pool, timeout, fp, say, staging)
    finally:
        for st in staging.values():  # published or kept as failed by now, unless interrupted
            io.remove_owned(st)


def _run_all(years: list[int], parsed: dict, sections: list[Section], data_dir: Path,
             out_dir: Path, pool: Runner, timeout: int, fp: str, say: Callable[[str], None],
             staging: dict[int, Path]) -> None:
    tasks = [(y, s) for y in years for s in sections]
    failures: dict[int, list[str]] = {}
    t0 = time.perf_counter()
    done = 0
    # twice as many threads as kernels: one converts to HTML while the next notebook runs
    workers = ThreadPoolExecutor(max_workers=2 * pool.size)
    try:
        futs = {workers.submit(_run_task, y, s, data_dir, out_dir, staging[y], timeout, sections,
                               page_info(y, parsed[y].tables), pool): (y, s)
                for y, s in tasks}
        for fut in as_completed(futs):
            y, s = futs[fut]
            done += 1
            try:
                secs = fut.result()
                say(f"[{y}] {s.slug} ✓ {secs:.1f}s ({done}/{len(tasks)})")
                log.info("%s %s ok in %.1fs", y, s.slug, secs)
            except BuildError as exc:
                failures.setdefault(y, []).append(str(exc))
                say(f"[{y}] {s.slug} ✗ {exc}")
                log.error("%s", exc)
    except BaseException:
        pool.close()  # stop running notebooks now rather than wait for them
        # their threads end at once now; wait, so none writes into a staging folder being removed
        workers.shutdown(wait=True, cancel_futures=True)
        raise
    workers.shutdown(wait=True)
    for y in years:
        if y in failures:
            kept = out_dir / "failed" / f"{y}-{time.strftime('%Y%m%dT%H%M%S')}"
            with io.writing(kept, "keeping the failed notebooks in"):
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging[y], kept)
            log.error("%s failed; executed notebooks kept in %s", y, kept)
            say(f"[{y}] failed; the published report is unchanged; executed notebooks kept in {kept}")
            continue
        _finish_year(y, parsed[y], sections, staging[y], out_dir, fp, time.perf_counter() - t0)
        say(f"[{y}] published {out_dir / str(y) / 'index.html'}")
        log.info("%s published", y)
    if failures:
        raise BuildError("; ".join(m for y in sorted(failures) for m in failures[y]))


def _finish_year(year: int, parsed: Any, sections: list[Section], st: Path, out_dir: Path,
                 fp: str, seconds: float) -> None:
    """Write the year's summary, index and build record into staging, then publish it."""
    summary = summarise(parsed.tables)
    summary["source_report"] = _source_report(parsed.tables)
    io.write_text(st / "summary.json", summary_json(summary))
    charts = sorted(p.name for p in (st / "charts").glob("*.png"))
    io.write_text(st / "index.html", year_index(summary, sections, charts))
    pages = {p.name: p.read_text(encoding="utf-8") for p in st.glob("*.html")}
    for name, text in _with_font(out_dir, pages).items():
        io.write_text(st / name, text)
    io.write_text(st / "build.json", json.dumps({
        "fingerprint": fp, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "version": __version__, "seconds": round(seconds, 2),
        "notes": parsed.notes}, ensure_ascii=False, indent=2))
    io.publish_dir(st, out_dir / str(year))


def _run_task(year: int, section: Section, data_dir: Path, out_dir: Path, stage: Path,
              timeout: int, sections: Sequence[Section], info: dict[str, Any], pool: Runner) -> float:
    t = time.perf_counter()
    with io.writing(stage, "writing the report into"):
        nb = pool.run(section, year, data_dir, out_dir, stage, timeout)
        fragment = nb.with_suffix(".html-fragment")
        if fragment.exists():  # converted by the child that ran it
            body = fragment.read_text(encoding="utf-8")
            fragment.unlink()
        else:
            body = notebook_to_html(nb)
        io.write_text(stage / f"{section.slug}.html", section_page(section, sections, info, body))
    return time.perf_counter() - t


def page_info(year: int, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The few fields a section page's header and footer need."""
    f = tables["fund"].iloc[0]
    return {"year": year, "fund_name": str(f["fund_name"]), "issuer": str(f["issuer"]),
            "source_report": _source_report(tables)}
