"""``fundanalysis review DIR --year Y``: check a year's filed 自评表 and rank them for spot checks.

Registered lazily in :mod:`fundanalysis.cli`. Exit 0 when at least one form was read (unreadable
files are listed as problems in the outputs), 1 when none could be read, 2 for bad options.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path, PurePosixPath

import click

from fundanalysis.config import EXIT_BAD_INPUT, EXIT_BUILD_FAILED, MAX_YEAR, MIN_YEAR
from fundanalysis.errors import printable
from fundanalysis.i18n import TranslatedCommand, _
from fundanalysis.review import outputs
from fundanalysis.review.run import INLINE, boilerplate_findings, default_workers, form_files, prioritize, review_files
from fundanalysis.storage import catalog, files
from fundanalysis.storage.forms import Location, is_url


def review_dir(out_dir: Path, name: str, year: int) -> Path:
    """Where a review is published: ``<out-dir>/review/<NAME>/<YEAR>/``."""
    return Path(out_dir) / "review" / name / str(year)


@click.command("review", cls=TranslatedCommand)
@click.argument("folder")
@click.option("--year", type=click.IntRange(MIN_YEAR, MAX_YEAR), required=True,
              help=_("Year of the forms; a form stating another year is listed as a problem."))
@click.option("--name", default=None, help=_("Name of the review (default: FOLDER's name)."))
@click.option("--scheduler", default=None,
              help=_("Dask scheduler address (tcp://host:8786); default: a LocalCluster on this machine; "
                     "'{inline}': no cluster, in this process.").format(inline=INLINE))
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help=_("Worker processes of the LocalCluster (default 2)."))
@click.option("--policy", "policy_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help=_("scoring.toml with the local scoring rules (default: the rules in docs/domain.md)."))
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
              show_default=True, help=_("Folder the review is written under (review/<NAME>/<YEAR>/)."))
@click.option("--no-overview", is_flag=True, help=_("Skip the HTML overview (the notebook run)."))
def review_command(folder: str, year: int, name: str | None, scheduler: str | None, workers: int | None,
                   policy_file: Path | None, out_dir: Path, no_overview: bool) -> None:
    """Read every 项目支出绩效自评表 under FOLDER (.xlsx, .xls, .docx, recursively), re-score each under
    the scoring policy, list what does not hold with its cells, and rank the forms for review.

    Writes <out-dir>/review/<NAME>/<YEAR>/: review.json, review-list.xlsx, index.html (overview) and
    forms/<priority>.html for each form with findings. FOLDER is a local folder or an fsspec URL
    (file:///shared/forms, s3://bucket/forms with s3fs installed), read where the workers run.
    """
    catalog.check_output_place(out_dir, Path("data"))  # never into data/raw (the default data folder)
    if is_url(folder):
        where: Location = folder.rstrip("/")
        name = name or PurePosixPath(folder.split("://", 1)[1].rstrip("/")).name
    elif catalog.is_dir(Path(folder)):
        where = Path(folder)
        name = name or where.resolve().name
    else:
        click.echo(_("Bad input: {folder} is not a folder (nor an fsspec URL such as s3://bucket/forms).").format(
            folder=printable(folder)), err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not name or "/" in name or "\\" in name or name.startswith("."):
        click.echo(_("Bad input: --name {name} is not a folder name.").format(name=printable(repr(name))), err=True)
        sys.exit(EXIT_BAD_INPUT)
    policy_toml = files.read_text(policy_file) if policy_file else None
    if policy_toml is not None:
        from fundanalysis.ingest.policy import policy_from_toml

        policy_from_toml(policy_toml, str(policy_file))  # a bad policy is exit 2 before any work
    try:
        paths = form_files(where)
    except (OSError, ValueError, ImportError) as exc:  # an unknown protocol, a missing backend, no such bucket
        click.echo(f"Bad input: the forms under {printable(folder)} cannot be listed ({printable(exc)}).", err=True)
        sys.exit(EXIT_BAD_INPUT)
    started = time.monotonic()
    records, problems = review_files(paths, where, year=year, policy_toml=policy_toml, scheduler=scheduler,
                                     workers=workers or default_workers())
    for p in problems:
        where = ", ".join(str(x) for x in (p["file"], p["sheet"], p["row"] and f"row {p['row']}", p["column"]) if x)
        click.echo(f"problem: {printable(where)}: {printable(p['reason'])}", err=True)
    if not records:
        click.echo(_("No form could be read under {folder} ({count} file(s)); nothing was written.").format(
            folder=printable(folder), count=len(paths)), err=True)
        sys.exit(EXIT_BUILD_FAILED)
    boilerplate_findings(records)
    prioritize(records)
    records.sort(key=lambda r: r["priority"])
    final = review_dir(out_dir, name, year)
    with files.staging_dir(final) as staged:
        outputs.write_json(staged / outputs.REVIEW_JSON, {"name": name, "year": year, "forms": records,
                                                          "problems": problems})
        outputs.write_review_list(outputs.review_table(records), problems, staged / outputs.REVIEW_LIST)
        pages = files.ensure_dir(staged / outputs.FORMS_DIR)
        for r in records:
            if r["findings"]:
                files.write_text(pages / outputs.page_name(r), outputs.form_page(r))
        if not no_overview:
            outputs.run_overview(staged, name, year)
        files.publish_dir(staged, final)
    flagged = sum(1 for r in records if r["findings"])
    click.echo(_("{count} form(s) reviewed in {seconds:.1f} s, {flagged} with findings, {problems} problem(s): "
                 "{folder}").format(count=len(records), seconds=time.monotonic() - started, flagged=flagged,
                                    problems=len(problems), folder=final))
