"""The ``fundanalysis`` command line.

Exit codes: 0 ok, 1 build failed, 2 bad input, 3 another build of the year is running, 4 cannot
write (disk full, read-only, or an output folder the tool refuses: inside data/raw, or around the
data folder); see docs/operations.md.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import click

from fundanalysis.config import (
    EXIT_BAD_INPUT,
    EXIT_BUILD_FAILED,
    EXIT_LOCKED,
    EXIT_STORAGE,
    MAX_YEAR,
    MIN_YEAR,
)
from fundanalysis.errors import BuildError, InputError, Interrupted, LockedError, Problem, StorageError, printable
from fundanalysis.i18n import N_, TranslatedCommand, _, command_help, use_for_click
from fundanalysis.storage import catalog, files

use_for_click()  # click's own words (Usage:, Options:, Error: …) in the same language as ours

DATA_DIR_OPT = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
    show_default=True, help=_("Folder holding raw/ and processed/."))
OUT_DIR_OPT = click.option(
    "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
    show_default=True, help=_("Folder the reports and exports are written to."))
YEAR_OPT = click.option("--year", type=click.IntRange(MIN_YEAR, MAX_YEAR), required=True,
                        help=_("Report year."))
FUND_OPT = click.option("--fund", default=None,
                        help=_("Fund folder under data/raw/ (may be left out when there is only one)."))


def _fail_input(exc: InputError) -> NoReturn:
    click.echo(_("Bad input: {count} problem(s); nothing was written.").format(count=len(exc.problems)), err=True)
    for p in exc.problems:
        click.echo(f"  - {p}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _note(text: str) -> None:
    """A note on stderr (a located ``warning:`` keeps its own prefix)."""
    click.echo(printable(text) if text.startswith("warning: ") else _("note: {text}").format(text=printable(text)),
               err=True)


class GuardedGroup(click.Group):
    """Every command turns the failures a user can meet into a message and an exit code.

    Disk full, read-only folders and paths the tool will not replace exit 4; SIGTERM, SIGINT
    and SIGHUP clean up (staging folders, child processes) and exit 128 + the signal; an
    unexpected error prints one line (``FUNDANALYSIS_DEBUG=1`` shows the traceback) and exits 1.
    """

    command_class = TranslatedCommand

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, help=command_help(help), **kwargs)

    #: Commands whose code loads only when they are used: name → (module, attribute).
    LAZY: ClassVar[dict[str, tuple[str, str]]] = {"extract": ("fundanalysis.extract.command", "extract_command"),
                                                  "review": ("fundanalysis.review.command", "review_command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A command; those of :attr:`LAZY` are imported now, so other commands start faster."""
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            import importlib

            module, attr = self.LAZY[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from fundanalysis.pipeline.signals import stop_on_signals

        try:
            with stop_on_signals():
                return super().invoke(ctx)
        except InputError as exc:
            _fail_input(exc)
        except LockedError as exc:
            click.echo(_("Locked: {message}").format(message=printable(exc)), err=True)
            sys.exit(EXIT_LOCKED)
        except BuildError as exc:
            click.echo(_("Build failed: {message}").format(message=printable(exc)), err=True)
            sys.exit(EXIT_BUILD_FAILED)
        except StorageError as exc:
            click.echo(_("Cannot write: {message}").format(message=printable(exc)), err=True)
            sys.exit(EXIT_STORAGE)
        except Interrupted as exc:
            click.echo(_("Stopped: {message}; unfinished work was removed, published reports are unchanged."
                         ).format(message=exc), err=True)
            sys.exit(128 + exc.signum)
        except MemoryError:
            click.echo(_("Out of memory: the input is too large for this machine's free memory."), err=True)
            sys.exit(EXIT_STORAGE)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("FUNDANALYSIS_DEBUG"):
                raise
            click.echo(_("Internal error: {kind}: {message} "
                         "(FUNDANALYSIS_DEBUG=1 shows the traceback; please report it)").format(
                           kind=type(exc).__name__, message=printable(exc)), err=True)
            sys.exit(EXIT_BUILD_FAILED)


def _output_dir(out_dir: Path, data_dir: Path) -> Path:
    """The output folder resolved; refused (exit 4) inside the data folder's raw/ or around the data folder."""
    catalog.check_output_place(out_dir, data_dir)
    return out_dir.resolve()


def _records_run(name: str, builds: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A command that writes into the output folder records its run as ``report`` does (see
    docs/operations.md): ``status.json`` (its last run and, for a command that builds the year,
    that year's last success or failure) and, when it fails (bad input included), a log in
    ``<out-dir>/logs/``. ``scorecard`` records only with ``--xlsx`` (without it, it only prints)."""
    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def run(**kw: Any) -> None:
            import shlex

            if kw.get("xlsx") is False:
                return fn(**kw)
            command = shlex.join([name, *(["--fund", kw["fund"]] if kw.get("fund") else []), f"--year={kw['year']}",
                                  *(["--xlsx"] if kw.get("xlsx") else [])])
            planned: list[tuple[str, int]] = []
            try:
                if not catalog.is_dir(kw["data_dir"]):
                    raise InputError([Problem(str(kw["data_dir"]), None, None, None, None,
                                              "data folder does not exist")])
                if builds:
                    planned.append((catalog.resolve_fund(kw["data_dir"].resolve(), kw.get("fund")), kw["year"]))
                fn(**kw)
            except BaseException as exc:
                code = _exit_code(exc)
                if code is not None:
                    _tell_failure(exc, code, command, kw["data_dir"], kw["out_dir"], None, planned, None)
                raise
            _record(command, 0, "", kw["data_dir"], kw["out_dir"], None, planned)
        return run
    return wrap


def _require_data_dir(data_dir: Path) -> Path:
    if not catalog.is_dir(data_dir):
        _fail_input(InputError([Problem(str(data_dir), None, None, None, None,
                                        N_("data folder does not exist"))]))
    return data_dir.resolve()


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fundanalysis")
def main() -> None:
    """Clean, check, summarise and report on special-fund evaluation workbooks."""


def _fund(data_dir: Path, fund: str | None, new: bool = False) -> str:
    """The fund a command works on (the only one when ``--fund`` is left out)."""
    return catalog.resolve_fund(data_dir, fund, new=new)


@main.command()
@FUND_OPT
@YEAR_OPT
@DATA_DIR_OPT
def clean(fund: str | None, year: int, data_dir: Path) -> None:
    """Raw input → data/processed/<FUND>/<YEAR>/ as CSV and Parquet."""
    from fundanalysis.ingest.load import clean_year

    data_dir = _require_data_dir(data_dir)
    dest, parsed = clean_year(data_dir, year, _fund(data_dir, fund))
    for note in parsed.notes:
        _note(note)
    click.echo(_("wrote {count} tables to {dest}").format(count=len(parsed.tables), dest=dest))


@main.command()
@FUND_OPT
@YEAR_OPT
@DATA_DIR_OPT
@click.option("--json", "as_json", is_flag=True, help=_("Print problems as JSON."))
def check(fund: str | None, year: int, data_dir: Path, as_json: bool) -> None:
    """Validate the raw input and report every problem at once (exit 2 if any)."""
    from fundanalysis.ingest.load import process_year

    if as_json and not catalog.is_dir(data_dir):  # a program reading --json always gets JSON
        click.echo(json.dumps([Problem(str(data_dir), None, None, None, None, "data folder does not exist"
                                       ).as_dict()], ensure_ascii=False, indent=2))
        sys.exit(EXIT_BAD_INPUT)
    data_dir = _require_data_dir(data_dir)
    try:
        key = _fund(data_dir, fund)
        parsed = process_year(data_dir, year, key)
    except InputError as exc:
        if as_json:
            click.echo(json.dumps([p.as_dict() for p in exc.problems], ensure_ascii=False,
                                  indent=2))
            sys.exit(EXIT_BAD_INPUT)
        raise
    except Exception as exc:
        if not as_json or os.environ.get("FUNDANALYSIS_DEBUG"):
            raise
        # a program reading --json always gets JSON, even when the check itself fails
        click.echo(json.dumps([Problem(str(data_dir), None, None, None, None,
                                       f"internal error: {type(exc).__name__}: {exc}").as_dict()],
                              ensure_ascii=False, indent=2))
        sys.exit(EXIT_BUILD_FAILED)
    for note in parsed.notes:
        _note(note)
    from fundanalysis.analysis.doubts import open_doubts
    from fundanalysis.present.words import doubts_warning

    doubts = open_doubts(parsed.tables)
    if doubts:  # a warning, not a failure: the input is valid, its figures not yet confirmed
        click.echo(_("warning: {text}").format(text=doubts_warning(doubts)), err=True)
    if as_json:
        click.echo("[]")
    else:
        click.echo(_("{fund} {year}: input OK ({count} tables)").format(fund=key, year=year, count=len(parsed.tables))
                   + (_(", {count} cell(s) still marked 待核对").format(count=doubts) if doubts else ""))


@main.command()
@FUND_OPT
@YEAR_OPT
@DATA_DIR_OPT
def summary(fund: str | None, year: int, data_dir: Path) -> None:
    """Print the key figures as JSON (money in 元)."""
    from fundanalysis.analysis.key_figures import summarise
    from fundanalysis.export.summary_json import summary_json
    from fundanalysis.ingest.load import ProcessedTablesEdited, load_tables

    data_dir = _require_data_dir(data_dir)
    key = _fund(data_dir, fund)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ProcessedTablesEdited)
        tables = load_tables(data_dir, year, key)
    for w in seen:  # said as the other notes are, not as a Python warning with a source line
        click.echo(_("warning: {text}").format(text=w.message), err=True)
    summary = summarise(tables)
    summary["fund"] = key
    click.echo(summary_json(summary))


@main.command()
@FUND_OPT
@YEAR_OPT
@OUT_DIR_OPT
@DATA_DIR_OPT
@click.option("--force", is_flag=True, help=_("Overwrite an existing template (it may be filled in)."))
def template(fund: str | None, year: int, out_dir: Path, data_dir: Path, force: bool) -> None:
    """Write a blank input workbook for FUND's YEAR to <out-dir>/templates/<FUND>/.

    FUND may be a fund that does not exist yet: a template is how a new fund starts. The award
    categories offered come from the fund's latest earlier year, if it has one.
    """
    from io import BytesIO

    from fundanalysis.ingest.template import build_template, previous_categories

    key = _fund(data_dir, fund, new=True)
    dest = catalog.template_path(_output_dir(out_dir, data_dir), key, year)
    if catalog.exists(dest) and not force:
        raise StorageError(_("{dest} already exists and may be filled in; it was left as it is. "
                             "Pass --force to overwrite it, or move it away first").format(dest=dest))
    buf = BytesIO()
    build_template(year, previous_categories(data_dir, key, year)).save(buf)
    files.write_bytes(dest, buf.getvalue())
    click.echo(_("wrote {dest}; fill it in and copy it to {folder}/").format(
        dest=dest, folder=catalog.year_dir(data_dir, key, year)))


@main.command()
@FUND_OPT
@YEAR_OPT
@DATA_DIR_OPT
@OUT_DIR_OPT
@click.option("--xlsx", is_flag=True,
              help=_("Also make sure the filled form (Excel) is in <out-dir>/<FUND>/<YEAR>/ "
                     "(builds the year if needed)."))
@click.option("--json", "as_json", is_flag=True, help=_("Print the scorecard as JSON (summary.json's 'scorecard')."))
@_records_run("scorecard", builds=True)
def scorecard(fund: str | None, year: int, data_dir: Path, out_dir: Path, xlsx: bool, as_json: bool) -> None:
    """Score the year's self-evaluation form (项目支出绩效自评表) under the fund's policy.

    Prints the 预算执行 score, each indicator's computed and stated score and the total and
    grade, and flags every stated figure that does not follow from the form's own numbers.
    """
    from fundanalysis.analysis import selfeval
    from fundanalysis.export.summary_json import scorecard_document
    from fundanalysis.ingest.load import load_tables
    from fundanalysis.present.form import brief, points
    from fundanalysis.present.words import score_rule

    data_dir = _require_data_dir(data_dir)
    if xlsx:
        out_dir = _output_dir(out_dir, data_dir)
    key = _fund(data_dir, fund)
    tables = load_tables(data_dir, year, key)
    se = selfeval.self_evaluation(tables)
    if se is None:
        raise InputError([Problem(str(catalog.year_dir(data_dir, key, year)), None, None, None, None,
                                  N_("nothing to score: the input states no budget and executed amount and has "
                                     "no 资金来源 or 绩效指标 sheet"))])
    if as_json:
        click.echo(json.dumps(scorecard_document(selfeval.record(se)), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{key} {year}: {brief(se)}")
        for s in se.indicators:
            stated = s.indicator.stated_score
            flag = "" if stated is None or stated == s.result.score else f"  ✗ 表内 {points(stated)}"
            click.echo(f"  {s.indicator.level1} / {s.indicator.name}: {s.indicator.target.text} → "
                       f"{s.indicator.actual.text}: {points(s.result.score)}/{points(s.result.weight)}"
                       f"（{score_rule(s.result.rules[-1])}）{flag}")
        failed = [c for c in se.checks if c.ok is False]
        click.echo(f"  自评表核对：{len(se.checks)} 项，{len(failed)} 项不符" if se.has_form else
                   "  报告未附自评表：只计算预算执行得分")
    if xlsx:
        from fundanalysis.pipeline.orchestrate import build_reports

        build_reports([(key, year)], data_dir=data_dir, out_dir=out_dir.resolve(),
                      echo=lambda m: click.echo(m, err=True))
        if se.has_form:
            click.echo(str(catalog.year_output(out_dir.resolve(), key, year) / catalog.form_name(key, year)))
        else:  # the 预算执行 score alone is not a form
            click.echo("报告未附自评表：不生成自评表.xlsx", err=True)


@main.command()
@FUND_OPT
@YEAR_OPT
@DATA_DIR_OPT
@OUT_DIR_OPT
@click.option("--xlsx", is_flag=True, required=True,
              help=_("Write the computed tables as one Excel workbook (the only format for now)."))
@_records_run("export", builds=True)
def export(fund: str | None, year: int, data_dir: Path, out_dir: Path, xlsx: bool) -> None:
    """Make sure the year's computed tables are in <out-dir>/<FUND>/<YEAR>/ as Excel (万元, Chinese
    headers; linked from the year's index page), building the year if its report is not current."""
    from fundanalysis.pipeline.orchestrate import build_reports

    data_dir = _require_data_dir(data_dir)
    out_dir = _output_dir(out_dir, data_dir)
    key = _fund(data_dir, fund)
    build_reports([(key, year)], data_dir=data_dir, out_dir=out_dir.resolve(),
                  echo=lambda m: click.echo(m, err=True))
    click.echo(str(catalog.year_output(out_dir.resolve(), key, year) / catalog.tables_name(key, year)))


@main.command()
@click.option("--fund", "fund", default=None, help=_("Fund to build. Default: every fund under data/raw/."))
@click.option("--year", "years", type=click.IntRange(MIN_YEAR, MAX_YEAR), multiple=True,
              help=_("Year to build (repeatable). Default: every year of the fund(s)."))
@DATA_DIR_OPT
@OUT_DIR_OPT
@click.option("--jobs", type=click.IntRange(1, 32), default=None,
              help=_("Notebooks run in parallel (default: number of cores)."))
@click.option("--timeout", type=click.IntRange(1, 86400), default=600, show_default=True,
              help=_("Per-cell timeout in seconds."))
@click.option("--force", is_flag=True,
              help=_("Rebuild even if the input and code are unchanged since the last build."))
@click.option("--wait", is_flag=True, help=_("Wait for a running build of the same year."))
@click.option("--notebooks-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help=_("Report notebooks to run (default: the project's)."))
@click.option("--watch", is_flag=True,
              help=_("Build, then rebuild what changed each time an input workbook or notebook is saved "
                     "(Ctrl-C stops)."))
@click.option("--on-failure", "on_failure", metavar="CMD", default=None,
              help=_("Run CMD (no shell) when the run fails: the failure's summary on its stdin and in "
                     "FUNDANALYSIS_SUMMARY, the exit code in FUNDANALYSIS_EXIT."))
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help=_("Build each fund-year as a task on the Dask scheduler at ADDRESS (tcp://host:8786); the "
                     "workers must see --data-dir and --out-dir at the same paths."))
def report(fund: str | None, years: tuple[int, ...], data_dir: Path, out_dir: Path, jobs: int | None,
           timeout: int, force: bool, wait: bool, notebooks_dir: Path | None,
           watch: bool, on_failure: str | None, scheduler: str | None = None) -> None:
    """Build the charted HTML reports into <out-dir>/<FUND>/<YEAR>/ (every fund and year by default).

    Only what changed since the published report is rebuilt: a section whose tables, notebook and
    code are unchanged is reused (--force runs everything). Every run (but --watch) records its
    result in <out-dir>/status.json; a failed run leaves a log in <out-dir>/logs/."""
    import shlex

    if watch and scheduler:
        raise click.UsageError("--watch builds on this machine; it cannot be combined with --scheduler")
    if watch:
        _report(fund, years, data_dir, out_dir, jobs, timeout, force, wait, notebooks_dir, True, [])
        return
    command = shlex.join(["report", *(["--fund", fund] if fund else []), *[f"--year={y}" for y in years],
                          *(["--force"] if force else [])])
    planned: list[tuple[str, int]] = []
    try:
        _report(fund, years, data_dir, out_dir, jobs, timeout, force, wait, notebooks_dir, False, planned,
                scheduler)
    except BaseException as exc:
        code = _exit_code(exc)
        if code is not None:
            _tell_failure(exc, code, command, data_dir, out_dir, notebooks_dir, planned, on_failure)
        raise
    _record(command, 0, "", data_dir, out_dir, notebooks_dir, planned)


def _exit_code(exc: BaseException) -> int | None:
    """The exit code :class:`GuardedGroup` gives for ``exc`` (None for what is not a failure)."""
    if isinstance(exc, SystemExit):
        return exit_status(exc.code) or None
    for kind, code in ((InputError, EXIT_BAD_INPUT), (LockedError, EXIT_LOCKED), (BuildError, EXIT_BUILD_FAILED),
                       (StorageError, EXIT_STORAGE), (MemoryError, EXIT_STORAGE)):
        if isinstance(exc, kind):
            return code
    if isinstance(exc, Interrupted):
        return 128 + exc.signum
    return EXIT_BUILD_FAILED if isinstance(exc, Exception) else None


def _failure_text(exc: BaseException) -> str:
    """What went wrong, in the words the command prints."""
    if isinstance(exc, InputError):
        return f"Bad input: {len(exc.problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in exc.problems)
    return f"{type(exc).__name__}: {printable(exc)}"


def _writable_outputs(out_dir: Path, data_dir: Path) -> Path | None:
    """The output folder the run's status may be written to: not a refused place; one that exists, or
    one to create beside an existing folder when the data folder exists (a mistyped --data-dir
    makes no new folder: a scheduled run's output folder exists from its earlier runs)."""
    try:
        catalog.check_output_place(out_dir, data_dir)
    except StorageError:
        return None
    out = out_dir.resolve()
    if catalog.is_dir(out) or (catalog.is_dir(data_dir) and catalog.is_dir(out.parent)):
        return out
    return None


def _current(data_dir: Path, out_dir: Path, notebooks_dir: Path | None,
             planned: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The planned fund-years whose published report is current after the run, and the others."""
    from fundanalysis.config import REPORT_NOTEBOOKS_DIR
    from fundanalysis.pipeline.fingerprint import fingerprint, published_fingerprint

    ok: list[tuple[str, int]] = []
    failed: list[tuple[str, int]] = []
    prints: dict[str, str] = {}
    nbs = (notebooks_dir or REPORT_NOTEBOOKS_DIR).resolve()
    for f, y in planned:
        try:
            if f not in prints:
                prints[f] = fingerprint(data_dir.resolve(), f, nbs)
            fp = prints[f]
            current = published_fingerprint(out_dir.resolve(), f, y) == fp
        except Exception:
            current = False
        (ok if current else failed).append((f, y))
    return ok, failed


def _record(command: str, code: int, message: str, data_dir: Path, out_dir: Path, notebooks_dir: Path | None,
            planned: list[tuple[str, int]], log: Path | None = None) -> None:
    from fundanalysis.pipeline import status

    out = _writable_outputs(out_dir, data_dir)
    if out is None:
        return
    ok, failed = _current(data_dir, out_dir, notebooks_dir, planned) if code else (planned, [])
    status.record_run(out, command, code, message, ok, failed, log)


def _tell_failure(exc: BaseException, code: int, command: str, data_dir: Path, out_dir: Path,
                  notebooks_dir: Path | None, planned: list[tuple[str, int]], on_failure: str | None) -> None:
    """A failed run: its log and status (where they may be written), then the --on-failure command."""
    from fundanalysis.pipeline import status

    message = _failure_text(exc)
    out = _writable_outputs(out_dir, data_dir)
    log = status.write_failure_log(out, command, code, message) if out is not None else None
    with contextlib.suppress(Exception):
        _record(command, code, message, data_dir, out_dir, notebooks_dir, planned, log)
    if on_failure:
        status.run_hook(on_failure, code, status.failure_summary(command, code, message, log), _note)


def _report(fund: str | None, years: tuple[int, ...], data_dir: Path, out_dir: Path, jobs: int | None,
            timeout: int, force: bool, wait: bool, notebooks_dir: Path | None, watch: bool,
            planned: list[tuple[str, int]], scheduler: str | None = None) -> None:
    """``report``'s work; ``planned`` gets the fund-years it builds, as soon as they are known.
    With ``scheduler``, each fund-year is a task on that Dask cluster (:mod:`fundanalysis.pipeline.distributed`)."""
    from fundanalysis.pipeline.orchestrate import build_reports

    if not catalog.is_dir(data_dir):
        raise InputError([Problem(str(data_dir), None, None, None, None, N_("data folder does not exist"))])
    data_dir = data_dir.resolve()
    out_dir = _output_dir(out_dir, data_dir)
    kwargs: dict[str, Any] = {"notebooks_dir": notebooks_dir.resolve()} if notebooks_dir else {}
    if watch:
        from fundanalysis.pipeline.watch import CodeChanged, restart, watch_reports

        try:
            watch_reports(lambda: _report_targets(data_dir, fund, years, quiet=True), data_dir,
                          out_dir.resolve(), jobs=jobs, timeout=timeout, **kwargs)
        except CodeChanged as exc:
            _note(str(exc))
            restart()
        except KeyboardInterrupt:
            _note(_("stopped watching"))
        return
    planned += _report_targets(data_dir, fund, years)
    if scheduler:
        from fundanalysis.pipeline.distributed import build_on_cluster

        build_on_cluster(planned, data_dir, out_dir.resolve(), scheduler, echo=_note, jobs=jobs, timeout=timeout,
                         force=force, **kwargs)
        return
    build_reports(planned, data_dir=data_dir, out_dir=out_dir.resolve(),
                  jobs=jobs, timeout=timeout, force=force, wait=wait, **kwargs)


def _report_targets(data_dir: Path, fund: str | None, years: tuple[int, ...],
                    quiet: bool = False) -> list[tuple[str, int]]:
    """The (fund, year) pairs a ``report`` builds; notes on skipped folders unless ``quiet``."""
    funds, notes = ([_fund(data_dir, fund)], []) if fund else catalog.scan_funds(data_dir)
    targets: list[tuple[str, int]] = []
    for f in funds:
        if years:  # a year asked for is built; across several funds, where the fund has its folder
            targets += [(f, y) for y in years
                        if fund is not None or len(funds) == 1 or catalog.has_year_folder(data_dir, f, y)]
        else:
            # all years: folders that are not years, or hold no input yet, are skipped with a note
            found, skipped = catalog.years_with_input(data_dir, f)
            targets += [(f, y) for y in found]
            notes += skipped
    for note in [] if quiet else notes:
        _note(note)
    if not targets and years:
        raise InputError([Problem(str(data_dir / "raw"), None, None, None, None,
                                  _("no fund has a folder for {years} under raw/ (funds: {funds})").format(
                                      years="、".join(map(str, years)), funds="、".join(funds) or _("none yet")))])
    if not targets:
        raise InputError([Problem(str(data_dir / "raw"), None, None, None, None,
                                  N_("no fund year with input under raw/ (input lives in raw/<fund>/<year>/ with "
                                     "a workbook); fundanalysis template --fund NAME --year Y writes a blank one"))])
    return targets


@main.command()
@FUND_OPT
@YEAR_OPT
@DATA_DIR_OPT
@OUT_DIR_OPT
@click.option("--format", "formats", type=click.Choice(["png", "svg"]), multiple=True,
              default=("png", "svg"), show_default=True, help=_("File formats (repeatable)."))
@click.option("--dpi", type=click.IntRange(50, 1200), default=200, show_default=True,
              help=_("Resolution of the PNG files (dots per inch)."))
@_records_run("charts", builds=False)
def charts(fund: str | None, year: int, data_dir: Path, out_dir: Path, formats: tuple[str, ...],
           dpi: int) -> None:
    """Export every chart of YEAR to <out-dir>/<FUND>/exports/<YEAR>/charts/ for briefings."""
    from fundanalysis.export.chart_files import export_charts

    data_dir = _require_data_dir(data_dir)
    out_dir = _output_dir(out_dir, data_dir)
    for p in export_charts(_fund(data_dir, fund), year, data_dir=data_dir, out_dir=out_dir.resolve(),
                           formats=formats, dpi=dpi):
        click.echo(str(p))


@main.command()
@FUND_OPT
@YEAR_OPT
@DATA_DIR_OPT
@OUT_DIR_OPT
@click.option("--docx", is_flag=True, help=_("The Word briefing (简报)."))
@click.option("--pptx", is_flag=True, help=_("The PowerPoint deck (汇报)."))
@click.option("--reference-docx", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help=_("A Word document whose styles and page setup the briefing takes (default: the shipped one)."))
@_records_run("brief", builds=True)
def brief(fund: str | None, year: int, data_dir: Path, out_dir: Path, docx: bool, pptx: bool,
          reference_docx: Path | None) -> None:
    """Write YEAR's briefing (Word and PowerPoint; both unless one is asked for) into
    <out-dir>/<FUND>/<YEAR>/, linked from the year's index page, building the year if needed."""
    from fundanalysis.export.brief import brief_name, looks_like_docx
    from fundanalysis.pipeline.orchestrate import build_reports

    data_dir = _require_data_dir(data_dir)
    key = _fund(data_dir, fund)
    if reference_docx is not None and not looks_like_docx(reference_docx):
        raise InputError([Problem(str(reference_docx), None, None, None, None,
                                  N_("not a Word document (.docx); save the reference document as .docx"))])
    kinds = [k for k, on in (("docx", docx), ("pptx", pptx)) if on] or ["docx", "pptx"]
    build_reports([(key, year)], data_dir=data_dir, out_dir=out_dir.resolve(), brief=kinds,
                  reference_docx=reference_docx.resolve() if reference_docx else None,
                  echo=lambda m: click.echo(m, err=True))
    for k in kinds:
        click.echo(str(catalog.year_output(out_dir.resolve(), key, year) / brief_name(key, year, k)))


def run() -> None:
    """The ``fundanalysis`` console command: :func:`main`, ending as Python ends."""
    main()


def exit_status(code: object) -> int:
    """The process status for ``sys.exit(code)``, as Python gives it (a message is printed, 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    run()
