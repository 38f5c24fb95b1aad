"""Build the yearly reports: papermill in parallel, nbconvert to HTML, publish atomically.

A build validates all input first (bad input: nothing written), takes a per-year lock,
executes the report notebooks into a staging folder, converts them to standalone HTML,
writes the year's index, summary and chart exports, and only then publishes the year
with one atomic symlink swap. A failure leaves the last published report untouched and
keeps the failed notebooks under ``<out>/failed/`` for debugging.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis import __version__
from fundanalysis.analysis.reconcile import check_counts, reconcile_totals
from fundanalysis.analysis.summary import summarise
from fundanalysis.build.convert import notebook_to_html
from fundanalysis.build.fingerprint import fingerprint, published_fingerprint
from fundanalysis.build.notebooks import Section, discover_sections
from fundanalysis.build.runners import ForkRunner, Job, KernelRunner, Runner
from fundanalysis.build.signals import stop_on_signals
from fundanalysis.config import REPORT_NOTEBOOKS_DIR
from fundanalysis.errors import BuildError, InputError
from fundanalysis.export.scorecard import form_xlsx
from fundanalysis.export.summary import summary_json
from fundanalysis.export.workbook import tables_workbook
from fundanalysis.ingest.load import process_year
from fundanalysis.present import page, words
from fundanalysis.storage import catalog, files, locks, processed

log = logging.getLogger("fundanalysis.build")


Target = tuple[str, int]  # (fund, year)


def build_reports(targets: Sequence[Target], data_dir: Path, out_dir: Path, jobs: int | None = None,
                  timeout: int = 600, force: bool = False, wait: bool = False,
                  notebooks_dir: Path = REPORT_NOTEBOOKS_DIR,
                  echo: Callable[[str], None] | None = None, engine: str = "inprocess") -> list[Target]:
    """Build the reports of ``targets`` (fund, year); return those built (others are up to date).

    ``engine`` is ``inprocess`` (each notebook in a fresh process forked from a preloaded
    server; fast) or ``kernel`` (each notebook in a Jupyter kernel from a warm pool).

    Raises InputError (nothing written), LockedError, StorageError (a place to write is full,
    read-only, or holds something the tool did not create: nothing replaced), BuildError (last
    good report kept) or Interrupted (a signal: staging removed, children stopped).
    """
    say = echo or (lambda m: print(m, file=sys.stderr, flush=True))
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    targets = sorted(set((f, int(y)) for f, y in targets))
    with stop_on_signals():
        sections = discover_sections(notebooks_dir)
        if not sections:
            raise BuildError(f"no report notebooks in {notebooks_dir}")
        fps = {f: fingerprint(data_dir, f, notebooks_dir) for f in {f for f, _ in targets}}
        stale = [t for t in targets if force or published_fingerprint(out_dir, *t) != fps[t[0]]]
        if not stale and catalog.exists(out_dir / "index.html"):
            for f, y in targets:
                say(f"[{f} {y}] up to date (input, notebooks and code unchanged); --force rebuilds")
            return []  # nothing to do, so nothing is written (a read-only folder is fine)
        for f, y in stale:
            files.check_publishable(catalog.year_output(out_dir, f, y))
            files.check_publishable(catalog.processed_dir(data_dir, f, y))
        workers = max(1, min(jobs or os.cpu_count() or 2, len(stale) * len(sections)))
        # the executors start now, so their start-up overlaps with validating the input
        pool = (ForkRunner(workers) if engine == "inprocess" else KernelRunner(workers, notebooks_dir)
                ) if stale else None
        try:
            parsed = _validate(data_dir, stale)
            files.ensure_dir(out_dir)
            log_path, handler = files.open_log(out_dir / "logs", "build")
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            say(f"log: {log_path}")
            try:
                with contextlib.ExitStack() as stack:
                    for f, y in targets:
                        stack.enter_context(locks.year_lock(out_dir, f, y, wait=wait))
                    todo = [t for t in stale if force or published_fingerprint(out_dir, *t) != fps[t[0]]]
                    for f, y in sorted(set(targets) - set(todo)):
                        say(f"[{f} {y}] up to date (input, notebooks and code unchanged); --force rebuilds")
                        log.info("%s %s up to date", f, y)
                    if todo:
                        assert pool is not None
                        _build(todo, parsed, sections, data_dir, out_dir, pool, timeout, fps, say)
                    _write_indexes(out_dir, say)
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


def _validate(data_dir: Path, targets: Sequence[Target]) -> dict[Target, Any]:
    """Parse and validate every year before anything is written; all problems in one error."""
    problems = []
    parsed = {}
    for f, y in targets:
        try:
            parsed[(f, y)] = process_year(data_dir, y, f)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return parsed


def _read_published(path: Path, name: str, say: Callable[[str], None]) -> dict[str, Any] | None:
    """A published summary.json, or None with a note when it is not readable."""
    try:
        s = files.read_json(path)
        if not all(k in s for k in ("fund_name", "budget_yuan", "spent_yuan", "utilisation")):
            raise ValueError("key figures are missing")
    except (OSError, ValueError, TypeError) as exc:
        note = (f"{path} is not a readable summary ({exc}); {name} is left out of the index "
                "(rebuild that year with --force)")
        say(f"note: {note}")
        log.warning("%s", note)
        return None
    return s


def _write_indexes(out_dir: Path, say: Callable[[str], None]) -> None:
    """Every fund's index of its years, and the top-level index of every fund and year; a
    broken summary is skipped with a note."""
    everything = []
    for fund in catalog.published_funds(out_dir):
        entries = []
        for name, path in catalog.published_summaries(out_dir, fund):
            s = _read_published(path, f"{fund} {name}", say)
            if s is not None:
                entries.append((name, s))
        if entries:
            files.write_text(catalog.fund_output(out_dir, fund) / "index.html",
                             _with_font({"i": page.fund_index(fund, entries)})["i"])
            everything.append((fund, entries))
    files.write_text(out_dir / "index.html", _with_font({"i": page.site_index(everything)})["i"])


def _with_font(pages: dict[str, str]) -> dict[str, str]:
    """Embed the subset font in pages, caching the subset by the characters it covers."""
    chars = "".join(sorted({c for text in pages.values() for c in text if ord(c) > 126}))
    key = hashlib.sha256(chars.encode()).hexdigest()[:32]
    css = files.cached_text(f"fonts/{key}.css", lambda: page.font_face_css(chars))
    return page.embed_font(pages, css)


def _build(targets: list[Target], parsed: dict, sections: list[Section], data_dir: Path,
           out_dir: Path, pool: Runner, timeout: int, fps: dict[str, str],
           say: Callable[[str], None]) -> None:
    for f, y in targets:
        for old in files.stale_staging(catalog.fund_output(out_dir, f), str(y)):
            files.remove_owned(old)
        processed.write_processed(data_dir, f, y, parsed[(f, y)].tables)
    staging: dict[Target, Path] = {}
    try:
        for f, y in targets:
            staging[(f, y)] = files.make_staging(files.ensure_dir(catalog.fund_output(out_dir, f)), str(y))
        _run_all(targets, parsed, sections, data_dir, out_dir, pool, timeout, fps, say, staging)
    finally:
        for st in staging.values():  # published or kept as failed by now, unless interrupted
            files.remove_owned(st)


def _run_all(targets: list[Target], parsed: dict, sections: list[Section], data_dir: Path,
             out_dir: Path, pool: Runner, timeout: int, fps: dict[str, str], say: Callable[[str], None],
             staging: dict[Target, Path]) -> None:
    shown = {t: [s for s in sections if s.applies(parsed[t].tables)] for t in targets}
    tasks = [(t, s) for t in targets for s in shown[t]]
    failures: dict[Target, list[str]] = {}
    t0 = time.perf_counter()
    done = 0
    # twice as many threads as kernels: one converts to HTML while the next notebook runs
    workers = ThreadPoolExecutor(max_workers=2 * pool.size)
    try:
        futs = {workers.submit(_run_task, Job(t[0], t[1], data_dir, out_dir, staging[t], timeout), s,
                               shown[t], parsed[t].tables, pool): (t, s)
                for t, s in tasks}
        for fut in as_completed(futs):
            (f, y), s = futs[fut]
            done += 1
            try:
                secs = fut.result()
                say(f"[{f} {y}] {s.slug} ✓ {secs:.1f}s ({done}/{len(tasks)})")
                log.info("%s %s %s ok in %.1fs", f, y, s.slug, secs)
            except BuildError as exc:
                failures.setdefault((f, y), []).append(str(exc))
                say(f"[{f} {y}] {s.slug} ✗ {exc}")
                log.error("%s", exc)
    except BaseException:
        pool.close()  # stop running notebooks now rather than wait for them
        # their threads end at once now; wait, so none writes into a staging folder being removed
        workers.shutdown(wait=True, cancel_futures=True)
        raise
    workers.shutdown(wait=True)
    for t in targets:
        f, y = t
        if t in failures:
            kept = files.move(staging[t], catalog.failed_dir(out_dir, f, y))
            log.error("%s %s failed; executed notebooks kept in %s", f, y, kept)
            say(f"[{f} {y}] failed; the published report is unchanged; executed notebooks kept in {kept}")
            continue
        _finish_year(t, parsed[t], shown[t], staging[t], out_dir, fps[f], time.perf_counter() - t0)
        say(f"[{f} {y}] published {catalog.year_output(out_dir, f, y) / 'index.html'}")
        log.info("%s %s published", f, y)
    if failures:
        raise BuildError("; ".join(m for t in sorted(failures) for m in failures[t]))


def _finish_year(target: Target, parsed: Any, sections: list[Section], st: Path, out_dir: Path,
                 fp: str, seconds: float) -> None:
    """Write the year's summary, index and build record into staging, then publish it."""
    fund, year = target
    summary = summarise(parsed.tables)
    summary["source_report"] = _source_report(parsed.tables)
    summary["fund"] = fund
    files.write_text(st / "summary.json", summary_json(summary))
    form = form_xlsx(parsed.tables)
    form_name = catalog.form_name(fund, year) if form is not None else None
    if form is not None:
        files.write_bytes(st / form_name, form)
    data_name = catalog.tables_name(fund, year)
    files.write_bytes(st / data_name, tables_workbook(parsed.tables, summary))
    charts = files.list_names(st / "charts", "*.png")
    counts = check_counts(reconcile_totals(parsed.tables))
    links = [s.link(parsed.tables) for s in sections]
    files.write_text(st / "index.html", page.year_index(summary, counts, links, charts, form_name, data_name))
    for name, text in _with_font(files.read_texts(st, "*.html")).items():
        files.write_text(st / name, text)
    files.write_text(st / "build.json", json.dumps({
        "fingerprint": fp, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "version": __version__, "seconds": round(seconds, 2),
        "notes": parsed.notes}, ensure_ascii=False, indent=2))
    files.publish_dir(st, catalog.year_output(out_dir, fund, year))


def _run_task(job: Job, section: Section, sections: Sequence[Section], tables: dict[str, pd.DataFrame],
              pool: Runner) -> float:
    t = time.perf_counter()
    with files.writing(job.dest, "writing the report into"):
        nb = pool.run(section, job)
        body = files.take_text(nb.with_suffix(".html-fragment"))  # converted by the child that ran it
        if body is None:
            body = notebook_to_html(nb)
        files.write_text(job.dest / f"{section.slug}.html",
                         page.section_page(section.link(tables), [s.link(tables) for s in sections],
                                           page_info(job.year, tables), body))
    return time.perf_counter() - t


def _source_report(tables: dict[str, pd.DataFrame]) -> str:
    return "；".join(words.report_names(tables))


def page_info(year: int, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The few fields a section page's header and footer need."""
    f = tables["fund"].iloc[0]
    return {"year": year, "fund_name": str(f["fund_name"]), "issuer": str(f["issuer"]),
            "source_report": _source_report(tables)}
