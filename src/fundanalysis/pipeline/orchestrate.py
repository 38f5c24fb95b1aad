"""Build the yearly reports: papermill in parallel, nbconvert to HTML, publish atomically.

A build validates all input first (bad input: nothing written), takes a per-year lock,
executes the report notebooks into a staging folder, converts them to standalone HTML,
writes the year's index, summary and chart exports, and only then publishes the year
with one atomic symlink swap. A failure leaves the last published report untouched and
keeps the failed notebooks under ``<out>/failed/`` for debugging.

Only what changed is rebuilt. A year is up to date when the fingerprint of everything its
report depends on (the fund's raw input, the notebooks, the library code) is the one its
``build.json`` records. When it is not, each section's page is checked on its own: its inputs'
digest (the tables it reads, its notebook, the library code and the versions that draw it; for
the overview also the other years' key figures) is compared with the one recorded when the
published page was made. Sections whose digest is unchanged are not run again: their page body,
executed notebook and charts are copied from the published version into the staging folder (only
bytes that still match the digests recorded), so publishing stays one atomic step. ``force``
runs every section.

Every notebook of a build runs in a Jupyter kernel of its own (a fresh one, or one reset between
notebooks) from a pool of warm kernels started while the input is validated
(:mod:`fundanalysis.pipeline.kernels`). A notebook is handed, as papermill parameters, the
processed snapshot the build validated and wrote for its year, the key figures of the fund's years
the build worked out, and the chart cache's folder (:class:`~fundanalysis.storage.year_input.YearInput`):
it never reads or hashes the raw workbook. Notebooks of all funds and years share one pool, so it
stays busy across them; a year is published as soon as its own sections are done.
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fundanalysis import __version__, i18n
from fundanalysis.config import REPORT_NOTEBOOKS_DIR
from fundanalysis.errors import BuildError, InputError
from fundanalysis.pipeline.runners import Job, KernelRunner
from fundanalysis.pipeline.signals import stop_on_signals
from fundanalysis.storage import catalog, digests, files, locks
from fundanalysis.storage.year_input import YearInput, write_key_figures

if TYPE_CHECKING:
    import pandas as pd

    from fundanalysis.ingest.tables import Parsed
    from fundanalysis.pipeline.sections import Section

log = logging.getLogger("fundanalysis.pipeline")


FundYear = tuple[str, int]  # (fund, year)
#: Bump when what a section digest covers changes, so that older records are not trusted.
DIGEST_VERSION = "sections-1"


#: Builds of one ``report`` when the input is saved while it is being built (the first, then one more).
BUILD_ATTEMPTS = 2


def build_reports(targets: Sequence[FundYear], data_dir: Path, out_dir: Path, jobs: int | None = None,
                  timeout: int = 600, force: bool = False, wait: bool = False,
                  notebooks_dir: Path = REPORT_NOTEBOOKS_DIR,
                  echo: Callable[[str], None] | None = None,
                  runner: KernelRunner | None = None, brief: Sequence[str] = (),
                  reference_docx: Path | None = None) -> list[FundYear]:
    """Build the reports of ``targets`` (fund, year); return those built (others are up to date).

    A build shows the input as it read it, and its record names what it read (the fingerprint
    taken before the read). If the input was saved while the build ran, the fund is built again
    (once); if it was saved again during that build too, BuildError says so: what is published
    then is recorded as made from older input, so the next ``report`` builds it again and never
    calls it up to date. ``brief`` (``docx``, ``pptx``) adds the year's briefing to its files
    (styled by ``reference_docx`` if given); a year that has a briefing keeps it up to date in
    later builds. See :func:`_build_reports_once` for the rest.
    """
    from fundanalysis.pipeline.fingerprint import fingerprint

    say = echo or (lambda m: print(m, file=sys.stderr, flush=True))
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    built: list[FundYear] = []
    for attempt in range(BUILD_ATTEMPTS):
        fps: dict[str, str] = {}
        got = _build_reports_once(targets, data_dir, out_dir, jobs, timeout, force, wait, notebooks_dir,
                                  say, runner, fps, brief, reference_docx)
        built += [t for t in got if t not in built]

        def now(fund: str) -> str | None:
            try:
                return fingerprint(data_dir, fund, notebooks_dir)
            except OSError:  # a file being replaced right now: not the input that was read
                return None

        changed = sorted(f for f in {f for f, _ in got} if now(f) != fps.get(f))
        if not changed:
            return built
        names = "、".join(changed)
        if attempt + 1 == BUILD_ATTEMPTS:
            raise BuildError(f"the input of {names} was saved again while it was being built; what is "
                             "published shows the input as it was read and is marked as made from older "
                             "input, so the next report builds it again: run report once the workbook "
                             "is saved")
        say(i18n._("note: the input of {funds} was saved while it was being built; building it again"
                   ).format(funds=names))
        log.info("input of %s changed during the build; building again", names)
        targets = [t for t in targets if t[0] in changed]
        force = False
    return built


def _build_reports_once(targets: Sequence[FundYear], data_dir: Path, out_dir: Path, jobs: int | None,
                        timeout: int, force: bool, wait: bool, notebooks_dir: Path,
                        echo: Callable[[str], None] | None, runner: KernelRunner | None,
                        fps_seen: dict[str, str], brief: Sequence[str] = (),
                        reference_docx: Path | None = None) -> list[FundYear]:
    """One build of ``targets`` (fund, year); return those built (others are up to date).
    ``fps_seen`` gets the fingerprint of each fund as taken before its input was read.

    Each notebook runs in a Jupyter kernel from a warm pool. ``runner`` is a pool to use and keep
    (``--watch`` keeps one across builds); by default the build makes its own and closes it.
    Sections whose inputs are unchanged since the published
    version are reused, not run (``force`` runs them all).

    Raises InputError (nothing written), LockedError, StorageError (a place to write is full,
    read-only, or holds something the tool did not create: nothing replaced), BuildError (last
    good report kept) or Interrupted (a signal: staging removed, children stopped).
    """
    say = echo or (lambda m: print(m, file=sys.stderr, flush=True))
    began = time.perf_counter()
    from fundanalysis.pipeline.fingerprint import fingerprint, published_fingerprint
    from fundanalysis.pipeline.sections import discover_sections

    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    catalog.check_output_place(out_dir, data_dir)
    targets = sorted(set((f, int(y)) for f, y in targets))
    with stop_on_signals():
        sections = discover_sections(notebooks_dir)
        if not sections:
            raise BuildError(f"no report notebooks in {notebooks_dir}")
        fps = {f: fingerprint(data_dir, f, notebooks_dir) for f in {f for f, _ in targets}}
        fps_seen.update(fps)
        stale = [t for t in targets if force or published_fingerprint(out_dir, *t) != fps[t[0]]
                 or _brief_wanted(out_dir, t, brief, reference_docx)]
        if not stale and _indexes_current(out_dir):
            for f, y in targets:
                say(i18n._("[{fund} {year}] up to date (input, notebooks and code unchanged); --force rebuilds"
                            ).format(fund=f, year=y))
            return []  # nothing to do, so nothing is written (a read-only folder is fine)
        for f, y in stale:
            files.check_publishable(catalog.year_output(out_dir, f, y))
            files.check_publishable(catalog.processed_dir(data_dir, f, y))
        workers = max(1, min(jobs or os.cpu_count() or 2, len(stale) * len(sections)))
        pool = runner
        if pool is None and stale:
            pool = KernelRunner(workers, notebooks_dir)  # kernels start while the input is validated
        try:
            loaded = _validate(data_dir, stale, force)
            validated = time.perf_counter()
            files.ensure_dir(out_dir)
            log_path, handler = files.open_log(out_dir / "logs", "build")
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            say(i18n._("log: {path}").format(path=log_path))
            say = _logged(say)  # what the user is told goes into the log too, in the user's language
            log.info("validated %d year(s) (%d from current processed tables) by %.2fs", len(loaded),
                     sum(v.from_processed for v in loaded.values()), validated - began)
            try:
                with contextlib.ExitStack() as stack:
                    for f, y in targets:
                        stack.enter_context(locks.year_lock(out_dir, f, y, wait=wait))
                    todo = [t for t in stale if force or published_fingerprint(out_dir, *t) != fps[t[0]]
                            or _brief_wanted(out_dir, t, brief, reference_docx)]
                    for f, y in sorted(set(targets) - set(todo)):
                        say(i18n._("[{fund} {year}] up to date (input, notebooks and code unchanged); --force rebuilds"
                            ).format(fund=f, year=y))
                        log.info("%s %s up to date", f, y)
                    if todo:
                        assert pool is not None
                        _build(todo, loaded, sections, data_dir, out_dir, pool, timeout, fps, force, say, began,
                               brief, reference_docx)
                    _write_indexes(out_dir, say)
                    return todo
            except BaseException as exc:
                log.error("build stopped: %s", exc)
                raise
            finally:
                log.removeHandler(handler)
                handler.close()
        finally:
            if pool is not None and runner is None:
                pool.close()


def _brief_wanted(out_dir: Path, target: FundYear, kinds: Sequence[str], reference: Path | None) -> bool:
    """Whether a briefing asked for is missing from the published year (or is to be restyled)."""
    from fundanalysis.export.brief import brief_name

    return bool(kinds) and (reference is not None or not all(
        catalog.exists(catalog.year_output(out_dir, *target) / brief_name(*target, k)) for k in kinds))


@dataclass
class _Loaded:
    """A target's validated tables, and whether they are the processed ones already on disk."""

    parsed: Parsed
    from_processed: bool


def _validate(data_dir: Path, targets: Sequence[FundYear], force: bool) -> dict[FundYear, _Loaded]:
    """Parse and validate every year before anything is written; all problems in one error.

    A year whose processed tables were made from this very input and code (and are unchanged
    since they passed the schemas) is taken from them, unless ``force``.
    """
    from fundanalysis.ingest.load import load_year

    problems = []
    loaded = {}
    for f, y in targets:
        t0 = time.perf_counter()
        try:
            parsed, reused = load_year(data_dir, y, f, reuse=not force)
            loaded[(f, y)] = _Loaded(parsed, reused)
            log.debug("%s %s %s in %.2fs", f, y, "processed tables reused" if reused else "validated",
                      time.perf_counter() - t0)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return loaded


def _logged(say: Callable[[str], None]) -> Callable[[str], None]:
    """``say`` that also writes each line into the build's log (as the user reads it: in Chinese
    under a Chinese locale, see :mod:`fundanalysis.i18n`)."""
    def both(text: str) -> None:
        say(text)
        log.info("%s", text)
    return both


def _read_published(path: Path, name: str, say: Callable[[str], None]) -> dict[str, Any] | None:
    """A published summary.json, or None with a note when it is not readable."""
    try:
        s = files.read_json(path)
        if not all(k in s for k in ("fund_name", "budget_yuan", "spent_yuan", "utilisation")):
            raise ValueError("key figures are missing")
    except (OSError, ValueError, TypeError) as exc:
        note = (f"{path} is not a readable summary ({exc}); {name} is left out of the index "
                "(rebuild that year with --force)")
        say(i18n._("note: {text}").format(text=note))
        log.warning("%s", note)
        return None
    return s


#: The last line of an index page: the digest of what it lists (see :func:`_listing`).
_LISTING_MARK = "<!-- fundanalysis-listing {} -->\n"


def _listing(out_dir: Path, fund: str | None = None) -> str:
    """The digest of what is published (every fund's, or one fund's, year folders and their
    summary.json bytes): an index page records the one it was made from."""
    h = hashlib.sha256()
    for f in [fund] if fund is not None else catalog.published_funds(out_dir):
        for name, path in catalog.published_summaries(out_dir, f):
            try:
                sha = digests.file_digest(path)
            except OSError:
                sha = ""
            h.update(f"{f}\0{name}\0{sha}\0".encode())
    return h.hexdigest()


def _indexes_current(out_dir: Path) -> bool:
    """Whether the site index and every published fund's index list exactly what is published now."""
    pages = [(out_dir / "index.html", None)] + [(catalog.fund_output(out_dir, f) / "index.html", f)
                                                 for f in catalog.published_funds(out_dir)]
    for path, fund in pages:
        try:
            text = files.read_text(path)
        except (OSError, ValueError):
            return False
        if not text.endswith(_LISTING_MARK.format(_listing(out_dir, fund))):
            return False
    return True


def _write_indexes(out_dir: Path, say: Callable[[str], None]) -> None:
    """Every fund's index of its years, and the top-level index of every fund and year, listed
    from the published folders under the index lock (never from one build's memory: builds of
    several funds at once each list what all have published); a broken summary is skipped with a note."""
    from fundanalysis.present import page

    with locks.index_lock(out_dir):
        everything = []
        for fund in catalog.published_funds(out_dir):
            entries = []
            for name, path in catalog.published_summaries(out_dir, fund):
                s = _read_published(path, f"{fund} {name}", say)
                if s is not None:
                    entries.append((name, s))
            if entries:
                files.write_text(catalog.fund_output(out_dir, fund) / "index.html",
                                 _with_font({"i": page.fund_index(fund, entries)})["i"]
                                 + _LISTING_MARK.format(_listing(out_dir, fund)))
                everything.append((fund, entries))
        files.write_text(out_dir / "index.html", _with_font({"i": page.site_index(everything)})["i"]
                         + _LISTING_MARK.format(_listing(out_dir)))


def _with_font(pages: dict[str, str]) -> dict[str, str]:
    """Embed the subset font in pages, caching the subset by the characters it covers."""
    from fundanalysis.present import page

    chars = "".join(sorted(set().union(*map(page.beyond_ascii, pages.values()))))
    key = hashlib.sha256(chars.encode()).hexdigest()[:32]
    css = files.cached_text(f"fonts/{key}.css", lambda: page.font_face_css(chars))
    return page.embed_font(pages, css)


# ---------------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    """One year of a build: its tables, key figures, sections, and which of them run or are reused."""

    target: FundYear
    parsed: Parsed
    summary: dict[str, Any]
    shown: list[Section]
    digests: dict[str, str] = field(default_factory=dict)      # section slug → inputs digest
    reads: dict[str, list[str]] = field(default_factory=dict)  # section slug → tables read
    reuse: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug → published record
    published: Path | None = None  # the published version's folder, if reusable
    #: how long each section's notebook is expected to run, to start the longest first: the seconds
    #: the last build recorded (``ran``) when it ran them all, else their numbers of code cells
    expected: dict[str, float] = field(default_factory=dict)
    #: digest of what the year's own files (summary.json, the workbooks) are made from: its
    #: processed tables, the code and the packages; and those files of the published version
    #: (name → SHA-256) when that digest is unchanged, to be copied instead of made again
    extras_inputs: str = ""
    extras_reuse: dict[str, str] = field(default_factory=dict)
    #: when this build planned the year, and the digest of the input it is built from: both shown
    #: in the pages' footer and summary.json (``built_at``, ``input_digest``)
    built_at: str = ""
    input_digest: str = ""
    #: the briefing's formats to make (docx, pptx) and the reference document to style it by
    brief: tuple[str, ...] = ()
    reference_docx: Path | None = None
    data_dir: Path | None = None

    @property
    def to_run(self) -> list[Section]:
        return [s for s in self.shown if s.slug not in self.reuse]

    def in_order(self) -> list[Section]:
        """The sections in the order to start them: reused ones (no notebook), then the longest
        running first, so that the last to finish is a short one (the year's pages come sooner)."""
        return sorted(self.shown, key=lambda s: (s.slug not in self.reuse, -self.expected.get(s.slug, 0.0)))


def _expected(shown: list[Section], record: dict[str, Any]) -> dict[str, float]:
    """Each section's expected running time (see :attr:`_Plan.expected`)."""
    sections = record.get("sections")
    before: dict[str, Any] = sections if isinstance(sections, dict) else {}
    seconds = {}
    for s in shown:
        old = before.get(s.slug)
        ran = old.get("ran") if isinstance(old, dict) else None
        if not isinstance(ran, int | float) or isinstance(ran, bool):
            return {s.slug: float(s.code_cells) for s in shown}
        seconds[s.slug] = float(ran)
    return seconds


def _summaries(data_dir: Path, fund: str, loaded: dict[FundYear, _Loaded], tables: dict[FundYear, Any],
               inputs: dict[FundYear, str]) -> dict[int, dict[str, Any]]:
    """The key figures of each of a fund's years with input, computed once for the whole build
    (for summary.json and for the overview's year-over-year digest); years whose input is broken
    are left out, as the overview leaves them out. ``tables`` gets every year's tables loaded,
    ``inputs`` their input digests."""
    from fundanalysis.analysis.key_figures import summarise
    from fundanalysis.ingest.load import load_tables

    out = {}
    for y in catalog.list_years(data_dir, fund):
        if (fund, y) in loaded:
            t = loaded[(fund, y)].parsed.tables
            # the digest of the bytes these tables were read from, not of the file as it is now
            digest = loaded[(fund, y)].parsed.digest or digests.input_digest(data_dir, fund, y)
        elif catalog.input_files(data_dir, fund, y):
            try:
                digest = digests.input_digest(data_dir, fund, y)  # before the read: never newer than it
                t = load_tables(data_dir, y, fund)
            except Exception:  # a broken other year does not stop this build; its own build says why
                continue
        else:
            continue
        tables[(fund, y)] = t
        inputs[(fund, y)] = digest
        with contextlib.suppress(Exception):
            out[y] = summarise(t)
    return out


def _summary_digest(summary: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(summary, sort_keys=True, default=str, ensure_ascii=False).encode()
                          ).hexdigest()


def _published_record(out_dir: Path, fund: str, year: int) -> tuple[Path | None, dict[str, Any]]:
    """The published version's folder and its build record ({} if none or unreadable)."""
    final = catalog.year_output(out_dir, fund, year)
    try:
        record = files.read_json(final / "build.json")
    except (OSError, ValueError):
        return None, {}
    if not isinstance(record, dict) or record.get("digest_version") != DIGEST_VERSION:
        return None, {}
    return final, record


def _plan(targets: list[FundYear], loaded: dict[FundYear, _Loaded], sections: list[Section], data_dir: Path,
          out_dir: Path, force: bool, tables: dict[FundYear, Any],
          summaries: dict[FundYear, dict[str, Any]] | None = None,
          inputs: dict[FundYear, str] | None = None) -> dict[FundYear, _Plan]:
    """Decide, per year and section, what runs and what is reused (``tables``, ``summaries`` and
    ``inputs`` get every year's tables, key figures and input digest, as loaded for the plan)."""
    from fundanalysis.storage import processed

    code, env = digests.code_digest(), digests.environment_digest()
    plans = {}
    by_fund: dict[str, dict[int, dict[str, Any]]] = {}
    for fund in sorted({f for f, _ in targets}):
        by_fund[fund] = _summaries(data_dir, fund, loaded, tables, {} if inputs is None else inputs)
        if summaries is not None:
            summaries.update({(fund, y): v for y, v in by_fund[fund].items()})
    for t in targets:
        fund, year = t
        parsed = loaded[t].parsed
        summary = by_fund[fund].get(year)
        if summary is None:  # summarise raised above: let it raise here, with its own message
            from fundanalysis.analysis.key_figures import summarise

            summary = summarise(parsed.tables)
        shown = [s for s in sections if s.applies(parsed.tables)]
        plan = _Plan(t, parsed, summary, shown, built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        plan.input_digest = (inputs or {}).get(t) or digests.input_digest(data_dir, fund, year)
        table_digests = processed.table_digests(data_dir, fund, year)
        others = {str(y): _summary_digest(s) for y, s in sorted(by_fund[fund].items()) if y != year}
        published, record = _published_record(out_dir, fund, year)
        plan.expected = _expected(shown, record)
        if force:
            published, record = None, {}
        before = record.get("sections", {}) if isinstance(record.get("sections"), dict) else {}
        for s in shown:
            reads = s.read_tables(list(parsed.tables))
            h = hashlib.sha256()
            for part in (DIGEST_VERSION, code, env, s.digest, s.slug, fund, str(year), str(data_dir)):
                h.update(part.encode() + b"\0")
            for name in reads:
                h.update(f"{name}={table_digests.get(name, 'absent')}".encode() + b"\0")
            if s.compares_years:
                h.update(json.dumps(others, sort_keys=True).encode())
            plan.digests[s.slug] = h.hexdigest()
            plan.reads[s.slug] = reads
            old = before.get(s.slug)
            if published is not None and isinstance(old, dict) and old.get("inputs") == plan.digests[s.slug] \
                    and isinstance(old.get("files"), dict) and old["files"]:
                plan.reuse[s.slug] = old
        h = hashlib.sha256()
        for part in (DIGEST_VERSION, "extras", code, env, fund, str(year), str(data_dir)):
            h.update(part.encode() + b"\0")
        for name in sorted(table_digests):
            h.update(f"{name}={table_digests[name]}".encode() + b"\0")
        plan.extras_inputs = h.hexdigest()
        old_extras = record.get("extras")
        if published is not None and isinstance(old_extras, dict) and old_extras.get("inputs") == plan.extras_inputs \
                and isinstance(old_extras.get("files"), dict) and "summary.json" in old_extras["files"]:
            plan.extras_reuse = {str(k): str(v) for k, v in old_extras["files"].items()}
        plan.published = published
        plans[t] = plan
    return plans


# ---------------------------------------------------------------------------------- building


def _build(targets: list[FundYear], loaded: dict[FundYear, _Loaded], sections: list[Section], data_dir: Path,
           out_dir: Path, pool: KernelRunner, timeout: int, fps: dict[str, str], force: bool,
           say: Callable[[str], None], t0: float, brief: Sequence[str] = (),
           reference_docx: Path | None = None) -> None:
    from fundanalysis.export.brief import FORMATS, brief_name
    from fundanalysis.storage import blobs, processed

    snapshots: dict[FundYear, Path] = {}
    for f, y in targets:
        for old in files.stale_staging(catalog.fund_output(out_dir, f), str(y)):
            files.remove_owned(old)
        parsed = loaded[(f, y)].parsed
        if not loaded[(f, y)].from_processed:
            processed.write_processed(data_dir, f, y, parsed.tables, parsed.notes, parsed.digest)
        # the notebooks read exactly this snapshot (the tables validated here, as recorded)
        snap = processed.snapshot_of(data_dir, f, y, parsed.digest)
        if snap is None:
            raise BuildError(f"the processed tables of {f} {y} were replaced while this build wrote them "
                             "(another command at the same time?); run report again")
        snapshots[(f, y)] = snap
    tables: dict[FundYear, Any] = {}
    summaries: dict[FundYear, dict[str, Any]] = {}
    inputs: dict[FundYear, str] = {}
    plans = _plan(targets, loaded, sections, data_dir, out_dir, force, tables, summaries, inputs)
    for (f, y), plan in plans.items():  # a briefing asked for, or one the published year has
        had = _published_record(out_dir, f, y)[1].get("extras", {})
        had = had.get("files", {}) if isinstance(had, dict) and isinstance(had.get("files"), dict) else {}
        plan.brief = tuple(k for k in FORMATS if k in brief or brief_name(f, y, k) in had)
        plan.reference_docx, plan.data_dir = reference_docx, data_dir
    for t, plan in plans.items():
        run, reuse = [s.slug for s in plan.to_run], sorted(plan.reuse)
        log.info("%s %s plan: run %s; reuse %s", *t, ", ".join(run) or "nothing", ", ".join(reuse) or "nothing")
    log.info("planned by %.2fs", time.perf_counter() - t0)
    chart_cache = catalog.chart_cache_dir(out_dir)
    blobs.prune(chart_cache)
    staging: dict[FundYear, Path] = {}
    given: dict[str, Path] = {}  # fund → a folder of what its notebooks are handed (key figures)
    try:
        sources: dict[FundYear, YearInput] = {}
        for fund in sorted({f for f, _ in targets}):
            given[fund] = files.make_staging(files.ensure_dir(catalog.fund_output(out_dir, fund)), "given")
            figures = write_key_figures(given[fund] / "key-figures.pickle",
                                        {y: v for (f, y), v in sorted(summaries.items()) if f == fund})
            for f, y in targets:
                if f == fund:
                    sources[(f, y)] = YearInput(data_dir, f, y, snapshots[(f, y)], figures, chart_cache, force)
        for f, y in targets:
            staging[(f, y)] = files.make_staging(files.ensure_dir(catalog.fund_output(out_dir, f)), str(y))
        _run_all(plans, sources, out_dir, pool, timeout, fps, say, staging, t0)
    finally:
        for st in [*staging.values(), *given.values()]:  # published or kept as failed by now, unless interrupted
            files.remove_owned(st)


@dataclass
class _Done:
    """How one section was made: run or reused, its seconds, and its published files' digests."""

    how: str
    seconds: float
    files: dict[str, str]
    #: seconds its notebook ran (without waiting for a free process), if it ran and that is known
    ran: float | None = None


def _run_all(plans: dict[FundYear, _Plan], sources: dict[FundYear, YearInput], out_dir: Path, pool: KernelRunner,
             timeout: int,
             fps: dict[str, str], say: Callable[[str], None], staging: dict[FundYear, Path], t0: float) -> None:
    tasks = [(t, s) for t, plan in plans.items() for s in plan.in_order()]
    failures: dict[FundYear, list[str]] = {}
    done: dict[FundYear, dict[str, _Done]] = {t: {} for t in plans}
    left = {t: len(plan.shown) for t, plan in plans.items()}
    n = 0
    # twice as many threads as notebook processes: one converts or copies while the next runs
    workers = ThreadPoolExecutor(max_workers=2 * pool.size)
    # the year's own files (summary, workbooks, check counts) are made while its notebooks run
    extras_pool = ThreadPoolExecutor(max_workers=1)
    try:
        # the notebooks start in this order (tickets given in the order the threads take the tasks)
        tickets = pool.queue(len(tasks))
        futs = {workers.submit(_section_task, plans[t], s, _job(sources[t], out_dir, staging[t], timeout, ticket),
                               pool): (t, s)
                for (t, s), ticket in zip(tasks, tickets, strict=True)}
        extras = {t: extras_pool.submit(_year_extras, plans[t], staging[t]) for t in plans}
        pending_years = [t for t in plans if not plans[t].shown]
        for t in pending_years:  # a year with no section at all still gets its index
            _publish_year(plans[t], {}, staging[t], out_dir, fps[t[0]], time.perf_counter() - t0, say,
                          extras[t].result())
        for fut in as_completed(futs):
            t, s = futs[fut]
            f, y = t
            n += 1
            try:
                d = fut.result()
                done[t][s.slug] = d
                if d.how == "run":
                    say(i18n._("[{fund} {year}] {section} ✓ {seconds:.1f}s ({n}/{total})").format(
                        fund=f, year=y, section=s.slug, seconds=d.seconds, n=n, total=len(tasks)))
                    log.info("%s %s %s ok in %.1fs (done by %.2fs)", f, y, s.slug, d.seconds,
                             time.perf_counter() - t0)
                else:
                    say(i18n._("[{fund} {year}] {section} reused: its inputs are unchanged ({n}/{total})").format(
                        fund=f, year=y, section=s.slug, n=n, total=len(tasks)))
                    log.info("%s %s %s reused (inputs unchanged)", f, y, s.slug)
            except BuildError as exc:
                failures.setdefault(t, []).append(str(exc))
                say(f"[{f} {y}] {s.slug} ✗ {exc}")
                log.error("%s", exc)
            left[t] -= 1
            if left[t] == 0:
                if t in failures:
                    with contextlib.suppress(Exception):  # its files are not published: only let them finish
                        extras[t].result()
                    kept = files.move(staging[t], catalog.failed_dir(out_dir, f, y))
                    log.error("%s %s failed; executed notebooks kept in %s", f, y, kept)
                    say(i18n._("[{fund} {year}] failed; the published report is unchanged; executed notebooks "
                               "kept in {folder}").format(fund=f, year=y, folder=kept))
                else:
                    _publish_year(plans[t], done[t], staging[t], out_dir, fps[f], time.perf_counter() - t0, say,
                                  extras[t].result())
    except BaseException:
        pool.close()  # stop running notebooks now rather than wait for them
        # their threads end at once now; wait, so none writes into a staging folder being removed
        workers.shutdown(wait=True, cancel_futures=True)
        extras_pool.shutdown(wait=True, cancel_futures=True)
        raise
    workers.shutdown(wait=True)
    extras_pool.shutdown(wait=True)
    if failures:
        raise BuildError("; ".join(m for t in sorted(failures) for m in failures[t]))


def _job(source: YearInput, out_dir: Path, dest: Path, timeout: int, ticket: int) -> Job:
    """One notebook's job: its fund-year as the build pinned it, where it writes, its place in the queue."""
    return Job(source, out_dir, dest, timeout, ticket=ticket)


def _section_task(plan: _Plan, section: Section, job: Job, pool: KernelRunner) -> _Done:
    """Make one section's page in staging: reuse the published one if its inputs are unchanged
    (and its files are intact), else run the notebook."""
    t = time.perf_counter()
    with files.writing(job.dest, "writing the report into"):
        try:
            if section.slug in plan.reuse:  # copied, not run: the notebooks queued behind it need not wait
                pool.forget(job.ticket)  # (if the copy fails, it runs after the queue)
            got = _reuse(plan, section, job.dest) if section.slug in plan.reuse else None
            how = "reused"
            if got is None:
                got = _run(section, job, pool)
                how = "run"
        finally:
            pool.forget(job.ticket)  # started, reused or failed: the next in the queue may start
        body, made = got
        tables = plan.parsed.tables
        files.write_text(job.dest / f"{section.slug}.html",
                         _page().section_page(section.link(tables), [s.link(tables) for s in plan.shown],
                                              page_info(job.year, tables, plan), body))
    return _Done(how, time.perf_counter() - t, made, pool.ran(job.ticket) if how == "run" else None)


def _page() -> Any:
    from fundanalysis.present import page

    return page


def _fragment(section: Section) -> str:
    """Where a section's HTML body is kept beside its executed notebook (relative to the year)."""
    return f"notebooks/{section.path.stem}.html-fragment"


def _run(section: Section, job: Job, pool: KernelRunner) -> tuple[str, dict[str, str]]:
    """Run the section's notebook; its charts go to a folder of its own, then to ``charts/``."""
    charts = files.make_staging(job.dest, f"charts-{section.slug}")
    try:
        nb = pool.run(section, replace(job, charts=charts))
        from fundanalysis.pipeline.convert import notebook_to_html

        # converted in this thread while the kernel takes its next notebook
        fragment = job.dest / _fragment(section)
        body = notebook_to_html(nb)
        files.write_text(fragment, body)
        made = {f"notebooks/{section.path.name}": digests.file_digest(nb), _fragment(section): _sha(body)}
        for name in files.list_names(charts, "*.png"):
            dest = files.move(charts / name, job.dest / "charts" / name)
            made[f"charts/{name}"] = digests.file_digest(dest)
    finally:
        files.remove_owned(charts)
    return body, made


def _reuse(plan: _Plan, section: Section, dest: Path) -> tuple[str, dict[str, str]] | None:
    """Copy a section's files from the published version, each only if its bytes are those
    recorded; None (and nothing left behind) if any is missing or changed."""
    record = plan.reuse[section.slug]
    recorded: dict[str, str] = record.get("files", {})
    if plan.published is None or _fragment(section) not in recorded:
        return None
    tmp = files.make_staging(dest, f"reuse-{section.slug}")
    try:
        for rel, sha in recorded.items():
            if ".." in Path(rel).parts or not digests.copy_if_same(plan.published / rel, tmp / rel, sha):
                return None
        for rel in recorded:
            files.move(tmp / rel, dest / rel)
    finally:
        files.remove_owned(tmp)
    return files.read_text(dest / _fragment(section)), dict(recorded)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Extras:
    """A year's own files, made in staging while its notebooks run: the summary it publishes, the
    self-evaluation form's and the tables' workbooks (their names, None if none) and check counts."""

    summary: dict[str, Any]
    form_name: str | None
    workbooks: tuple[str, ...]
    counts: Any
    #: the briefing's files (names), if made
    briefs: tuple[str, ...] = ()
    #: whether the files were copied from the published version (their inputs unchanged)
    reused: bool = False

    def names(self) -> list[str]:
        return ["summary.json", *([self.form_name] if self.form_name else []), *self.workbooks, *self.briefs]


def _year_extras(plan: _Plan, st: Path) -> _Extras:
    """Write summary.json and the year's workbooks into staging (copied from the published
    version when what they are made from is unchanged); count the reconciliation checks."""
    from fundanalysis.analysis import metrics

    with metrics.computed_once():  # the check counts and the workbooks ask some of the same metrics
        return _make_year_extras(plan, st)


def _make_year_extras(plan: _Plan, st: Path) -> _Extras:
    from fundanalysis.analysis.reconcile import check_counts, reconcile_totals
    from fundanalysis.export.brief import brief_name
    from fundanalysis.export.scorecard import form_xlsx
    from fundanalysis.export.summary_json import summary_json

    fund, year = plan.target
    tables = plan.parsed.tables
    summary = dict(plan.summary)
    summary["source_report"] = _source_report(tables)
    summary["fund"] = fund
    summary.update(_provenance(plan))  # a summary.json reused below keeps those of the build that made it
    counts = check_counts(reconcile_totals(tables))
    published, reuse = plan.published, plan.extras_reuse
    briefs = tuple(brief_name(fund, year, k) for k in plan.brief)
    if plan.reference_docx is not None or not set(briefs) <= set(reuse):
        reuse = {}  # the briefing is made with the rest
    if published is not None and reuse and all(digests.copy_if_same(published / name, st / name, sha)
                                               for name, sha in reuse.items()):
        form, book = catalog.form_name(fund, year), catalog.tables_name(fund, year)
        return _Extras(summary, form if form in reuse else None, (book,) if book in reuse else (), counts,
                       briefs, reused=True)
    files.write_text(st / "summary.json", summary_json(summary))
    form_bytes = form_xlsx(tables)
    form_name = catalog.form_name(fund, year) if form_bytes is not None else None
    if form_bytes is not None and form_name is not None:
        files.write_bytes(st / form_name, form_bytes)
    workbooks = _tables_workbook(fund, year, tables, summary, st)
    if plan.brief:
        from fundanalysis.export.brief import brief_files
        from fundanalysis.pipeline.sections import discover_sections

        sections = discover_sections()
        data_dir = plan.data_dir
        assert data_dir is not None, "a plan that makes briefings knows its data folder"
        for name, data in brief_files(fund, year, data_dir, sections, plan.brief, plan.reference_docx).items():
            files.write_bytes(st / name, data)
    return _Extras(summary, form_name, workbooks, counts, briefs)


def _publish_year(plan: _Plan, done: dict[str, _Done], st: Path, out_dir: Path, fp: str, seconds: float,
                  say: Callable[[str], None], extras: _Extras) -> None:
    """Write the year's index and build record into staging (beside its :class:`_Extras`), then
    publish it."""
    page = _page()
    fund, year = plan.target
    tables = plan.parsed.tables
    charts = files.list_names(st / "charts", "*.png")
    links = [s.link(tables) for s in plan.shown]
    index = page.year_index(extras.summary, extras.counts, links, charts, extras.form_name, *extras.workbooks,
                            brief=extras.briefs)
    files.write_text(st / "index.html", index)
    for name, text in _with_font(files.read_texts(st, "*.html")).items():
        files.write_text(st / name, text)
    rebuilt = sorted(s for s, d in done.items() if d.how == "run")
    reused = sorted(s for s, d in done.items() if d.how == "reused")
    files.write_text(st / "build.json", json.dumps({
        "fingerprint": fp, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "version": __version__, "seconds": round(seconds, 2), "notes": plan.parsed.notes,
        "digest_version": DIGEST_VERSION, "rebuilt": rebuilt, "reused": reused,
        "extras": {"inputs": plan.extras_inputs, "how": "reused" if extras.reused else "made",
                   "files": {n: digests.file_digest(st / n) for n in extras.names()}},
        "sections": {s.slug: {"inputs": plan.digests[s.slug], "reads": plan.reads[s.slug],
                              "how": done[s.slug].how, "seconds": round(done[s.slug].seconds, 2),
                              **({"ran": round(r, 2)} if (r := done[s.slug].ran) is not None else {}),
                              "files": done[s.slug].files}
                     for s in plan.shown if s.slug in done}}, ensure_ascii=False, indent=2))
    files.publish_dir(st, catalog.year_output(out_dir, fund, year))
    log.info("%s %s published by %.2fs (rebuilt: %s; reused: %s)", fund, year, seconds,
             ", ".join(rebuilt) or "none", ", ".join(reused) or "none")
    say(i18n._("[{fund} {year}] published {page}").format(
        fund=fund, year=year, page=catalog.year_output(out_dir, fund, year) / "index.html")
        + (i18n._(" (reused unchanged: {sections})").format(sections=", ".join(reused)) if reused else ""))


def _tables_workbook(fund: str, year: int, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
                     st: Path) -> tuple[str, ...]:
    """The year's computed tables as one workbook, when the library makes one: its name, for the index."""
    try:
        from fundanalysis.export.workbook import tables_workbook
    except ImportError:
        return ()
    name = catalog.tables_name(fund, year)
    files.write_bytes(st / name, tables_workbook(tables, summary))
    return (name,)


def _source_report(tables: dict[str, pd.DataFrame]) -> str:
    from fundanalysis.present import words

    return "；".join(words.report_names(tables))


def page_info(year: int, tables: dict[str, pd.DataFrame], plan: _Plan | None = None) -> dict[str, Any]:
    """The few fields a section page's header and footer need (with the build's time and input
    digest when a ``plan`` is given)."""
    from fundanalysis.present import words

    f = tables["fund"].iloc[0]
    return {"year": year, "fund_name": str(f["fund_name"]), "issuer": words.label(f["issuer"], {}),
            "source_report": _source_report(tables),
            **(_provenance(plan) if plan is not None else {})}


def _provenance(plan: _Plan) -> dict[str, str]:
    """When the year was built and from which input (summary.json's and the footer's)."""
    return {"built_at": plan.built_at, "input_digest": plan.input_digest}
