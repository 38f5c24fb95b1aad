"""The ``fundanalysis`` command line.

Exit codes: 0 ok, 1 build failed, 2 bad input, 3 another build of the year is running.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

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
from fundanalysis.storage import catalog, files

DATA_DIR_OPT = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
    show_default=True, help="Folder holding raw/ and processed/.")
OUT_DIR_OPT = click.option(
    "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
    show_default=True, help="Folder the reports and exports are written to.")
YEAR_OPT = click.option("--year", type=click.IntRange(MIN_YEAR, MAX_YEAR), required=True,
                        help="Report year.")


def _fail_input(exc: InputError) -> NoReturn:
    click.echo(f"Bad input: {len(exc.problems)} problem(s); nothing was written.", err=True)
    for p in exc.problems:
        click.echo(f"  - {p}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _note(text: str) -> None:
    click.echo(f"note: {printable(text)}", err=True)


class GuardedGroup(click.Group):
    """Every command turns the failures a user can meet into a message and an exit code.

    Disk full, read-only folders and paths the tool will not replace exit 4; SIGTERM, SIGINT
    and SIGHUP clean up (staging folders, child processes) and exit 128 + the signal; an
    unexpected error prints one line (``FUNDANALYSIS_DEBUG=1`` shows the traceback) and exits 1.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from fundanalysis.build.signals import stop_on_signals

        try:
            with stop_on_signals():
                return super().invoke(ctx)
        except StorageError as exc:
            click.echo(f"Cannot write: {printable(exc)}", err=True)
            sys.exit(EXIT_STORAGE)
        except Interrupted as exc:
            click.echo(f"Stopped: {exc}; unfinished work was removed, published reports are unchanged.",
                       err=True)
            sys.exit(128 + exc.signum)
        except MemoryError:
            click.echo("Out of memory: the input is too large for this machine's free memory.", err=True)
            sys.exit(EXIT_STORAGE)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("FUNDANALYSIS_DEBUG"):
                raise
            click.echo(f"Internal error: {type(exc).__name__}: {printable(exc)} "
                       "(FUNDANALYSIS_DEBUG=1 shows the traceback; please report it)", err=True)
            sys.exit(EXIT_BUILD_FAILED)


def _require_data_dir(data_dir: Path) -> Path:
    if not catalog.is_dir(data_dir):
        _fail_input(InputError([Problem(str(data_dir), None, None, None, None,
                                        "data folder does not exist")]))
    return data_dir.resolve()


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fundanalysis")
def main() -> None:
    """Clean, check, summarise and report on special-fund evaluation workbooks."""


@main.command()
@YEAR_OPT
@DATA_DIR_OPT
def clean(year: int, data_dir: Path) -> None:
    """Raw input → data/processed/<YEAR>/ as CSV and Parquet."""
    from fundanalysis.ingest.load import clean_year

    data_dir = _require_data_dir(data_dir)
    try:
        dest, parsed = clean_year(data_dir, year)
    except InputError as exc:
        _fail_input(exc)
    for note in parsed.notes:
        _note(note)
    click.echo(f"wrote {len(parsed.tables)} tables to {dest}")


@main.command()
@YEAR_OPT
@DATA_DIR_OPT
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
def check(year: int, data_dir: Path, as_json: bool) -> None:
    """Validate the raw input and report every problem at once (exit 2 if any)."""
    from fundanalysis.ingest.load import process_year

    data_dir = _require_data_dir(data_dir)
    try:
        parsed = process_year(data_dir, year)
    except InputError as exc:
        if as_json:
            click.echo(json.dumps([p.as_dict() for p in exc.problems], ensure_ascii=False,
                                  indent=2))
            sys.exit(EXIT_BAD_INPUT)
        _fail_input(exc)
    except Exception as exc:
        if not as_json or os.environ.get("FUNDANALYSIS_DEBUG"):
            raise
        # a program reading --json always gets JSON, even when the check itself fails
        click.echo(json.dumps([Problem(str(catalog.year_dir(data_dir, year)), None, None, None, None,
                                       f"internal error: {type(exc).__name__}: {exc}").as_dict()],
                              ensure_ascii=False, indent=2))
        sys.exit(EXIT_BUILD_FAILED)
    for note in parsed.notes:
        _note(note)
    if as_json:
        click.echo("[]")
    else:
        click.echo(f"{year}: input OK ({len(parsed.tables)} tables)")


@main.command()
@YEAR_OPT
@DATA_DIR_OPT
def summary(year: int, data_dir: Path) -> None:
    """Print the key figures as JSON."""
    from fundanalysis.analysis.summary import summarise
    from fundanalysis.export.summary import summary_json
    from fundanalysis.ingest.load import load_tables

    data_dir = _require_data_dir(data_dir)
    try:
        tables = load_tables(data_dir, year)
    except InputError as exc:
        _fail_input(exc)
    click.echo(summary_json(summarise(tables)))


@main.command()
@YEAR_OPT
@OUT_DIR_OPT
@DATA_DIR_OPT
@click.option("--force", is_flag=True, help="Overwrite an existing template (it may be filled in).")
def template(year: int, out_dir: Path, data_dir: Path, force: bool) -> None:
    """Write a blank input workbook for YEAR to <out-dir>/templates/."""
    from io import BytesIO

    from fundanalysis.ingest.template import build_template

    dest = catalog.template_path(out_dir, year)
    if catalog.exists(dest) and not force:
        raise StorageError(f"{dest} already exists and may be filled in; it was left as it is. "
                           "Pass --force to overwrite it, or move it away first")
    buf = BytesIO()
    build_template(year).save(buf)
    files.write_bytes(dest, buf.getvalue())
    click.echo(f"wrote {dest}; fill it in and copy it to {catalog.year_dir(data_dir, year)}/")


@main.command()
@click.option("--year", "years", type=click.IntRange(MIN_YEAR, MAX_YEAR), multiple=True,
              help="Year to build (repeatable). Default: every year under data/raw/.")
@DATA_DIR_OPT
@OUT_DIR_OPT
@click.option("--jobs", type=click.IntRange(1, 32), default=None,
              help="Notebooks run in parallel (default: number of cores).")
@click.option("--timeout", type=click.IntRange(1, 86400), default=600, show_default=True,
              help="Per-cell timeout in seconds.")
@click.option("--force", is_flag=True,
              help="Rebuild even if the input and code are unchanged since the last build.")
@click.option("--wait", is_flag=True, help="Wait for a running build of the same year.")
@click.option("--engine", type=click.Choice(["inprocess", "kernel"]), default="inprocess",
              show_default=True,
              help="inprocess: each notebook in a fresh preloaded process (fast); kernel: Jupyter kernels.")
@click.option("--notebooks-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Report notebooks to run (default: the project's).")
def report(years: tuple[int, ...], data_dir: Path, out_dir: Path, jobs: int | None,
           timeout: int, force: bool, wait: bool, engine: str, notebooks_dir: Path | None) -> None:
    """Build the charted HTML reports into <out-dir>/<YEAR>/."""
    from fundanalysis.build.orchestrate import build_reports

    data_dir = _require_data_dir(data_dir)
    chosen = list(years)
    if not chosen:
        # all years: folders that are not years, or hold no input yet, are skipped with a note
        chosen, notes = catalog.years_with_input(data_dir)
        for note in notes:
            _note(note)
    if not chosen:
        _fail_input(InputError([Problem(str(data_dir / "raw"), None, None, None, None,
                                        "no year folder with input under raw/ (e.g. raw/2019/ with "
                                        "a workbook); fundanalysis template --year Y writes a blank one")]))
    try:
        kwargs = {"notebooks_dir": notebooks_dir.resolve()} if notebooks_dir else {}
        build_reports(chosen, data_dir=data_dir, out_dir=out_dir.resolve(), jobs=jobs,
                      timeout=timeout, force=force, wait=wait, engine=engine, **kwargs)
    except InputError as exc:
        _fail_input(exc)
    except LockedError as exc:
        click.echo(f"Locked: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except BuildError as exc:
        click.echo(f"Build failed: {exc}", err=True)
        sys.exit(EXIT_BUILD_FAILED)


@main.command()
@YEAR_OPT
@DATA_DIR_OPT
@OUT_DIR_OPT
@click.option("--format", "formats", type=click.Choice(["png", "svg"]), multiple=True,
              default=("png", "svg"), show_default=True, help="File formats (repeatable).")
@click.option("--dpi", type=click.IntRange(50, 1200), default=200, show_default=True)
def charts(year: int, data_dir: Path, out_dir: Path, formats: tuple[str, ...], dpi: int) -> None:
    """Export every chart of YEAR to <out-dir>/exports/<YEAR>/charts/ for briefings."""
    from fundanalysis.export.charts import export_charts

    data_dir = _require_data_dir(data_dir)
    try:
        written = export_charts(year, data_dir=data_dir, out_dir=out_dir.resolve(),
                                formats=formats, dpi=dpi)
    except InputError as exc:
        _fail_input(exc)
    for p in written:
        click.echo(str(p))


if __name__ == "__main__":  # pragma: no cover
    main()
