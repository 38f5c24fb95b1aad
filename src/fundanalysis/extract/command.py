"""``fundanalysis extract``: from a report's text to a draft input workbook, or a second pair of eyes on
a transcription (``--compare``). Registered in :mod:`fundanalysis.cli` with ``main.add_command``; the
group turns :class:`InputError` into exit 2 and :class:`StorageError` into exit 4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import click

from fundanalysis.config import DATA_DIR, MAX_YEAR, MIN_YEAR
from fundanalysis.errors import InputError, Problem, StorageError, printable
from fundanalysis.extract.compare import (
    LABELS,
    Comparison,
    Figure,
    assessed_headers,
    compare,
    found_in_text,
    rows_from_draft,
    rows_from_tables,
    text_sentences,
)
from fundanalysis.extract.draft import CHECKLIST, TO_CHECK, Draft, build_draft, check_draft, draft_name, draft_workbook
from fundanalysis.extract.engine import extract
from fundanalysis.i18n import TranslatedCommand, _
from fundanalysis.storage import catalog, files
from fundanalysis.storage.reports import ReportText, read_report, time_budget

#: How many rows marked 待核对 are listed on the terminal (all are in the sheet 核对清单).
SHOWN_DOUBTS = 40


def draft_path(out_dir: Path, fund: str, year: int) -> Path:
    """Where a fund's draft for a year is written."""
    return catalog.drafts_dir(out_dir, fund) / draft_name(fund, year)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def _note(text: str) -> None:
    click.echo(_("note: {text}").format(text=printable(text)), err=True)


@click.command("extract", cls=TranslatedCommand)
@click.argument("report", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--fund", default=None,
              help=_("Fund folder name (may be a fund that does not exist yet: a draft is how one starts)."))
@click.option("--year", type=click.IntRange(MIN_YEAR, MAX_YEAR), required=True, help=_("Report year."))
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
              show_default=True, help=_("Folder holding raw/ (read by --compare; never written)."))
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
              show_default=True, help=_("The draft goes to <out-dir>/<FUND>/drafts/."))
@click.option("--compare", "compare_", is_flag=True,
              help=_("Write no draft: compare the text with the fund's existing workbook of YEAR, figure by figure."))
@click.option("--force", is_flag=True, help=_("Overwrite an existing draft (it may have been corrected by hand)."))
def extract_command(report: Path, fund: str | None, year: int, data_dir: Path, out_dir: Path, compare_: bool,
                    force: bool) -> None:
    """Read REPORT (.txt, .docx or text-layer .pdf) and write a draft input workbook for FUND's YEAR to
    <out-dir>/<FUND>/drafts/, every figure with its section (来源) and sentence (原文), doubtful readings
    marked 待核对 and listed in the sheet 核对清单. Nothing is written under data/raw/.

    With --compare, print instead which figures of the fund's workbook for YEAR the text supports, which
    differ and which the text does not contain.
    """
    key = catalog.resolve_fund(data_dir, fund, new=not compare_)
    text = read_report(report)
    for note in text.notes:
        _note(note)
    with time_budget(report):
        draft = build_draft(extract(text.text), year)
    if compare_:
        _compare(draft, text, data_dir, key, year)
        return
    dest = draft_path(out_dir, key, year)
    for raw in (catalog.fund_dir(data_dir, key).parent, catalog.fund_dir(DATA_DIR, key).parent):
        if _inside(dest, raw):
            raise StorageError(_("{dest} is inside {raw}, which the tool never writes into; choose another --out-dir"
                                 ).format(dest=dest, raw=raw))
    if catalog.exists(dest) and not force:
        raise StorageError(_("{dest} already exists and may have been corrected by hand; it was left as it is. "
                             "Pass --force to overwrite it, or move it away first").format(dest=dest))
    problems = check_draft(draft, dest.name)
    files.write_bytes(dest, draft_workbook(draft, problems))
    _report_draft(draft, dest, problems, text, catalog.year_dir(data_dir, key, year), key)


def _report_draft(draft: Draft, dest: Path, problems: list[Problem], text: ReportText, year_dir: Path,
                  fund: str, echo: Callable[[str], None] = click.echo) -> None:
    rows = len(draft.rows)
    marked = draft.uncertain
    echo(_("wrote {dest}: {rows} rows, {figures} figures read from {report} ({kind}), "
           "{marked} row(s) marked {to_check} (listed in sheet {checklist})").format(
        dest=dest, rows=rows, figures=draft.figures, report=text.path.name, kind=text.kind, marked=len(marked),
        to_check=TO_CHECK, checklist=CHECKLIST))
    for sheet, row, r in marked[:SHOWN_DOUBTS]:
        echo(printable(f"  {TO_CHECK} {sheet} 第{row}行：{'；'.join(r.doubts)}"))
    if len(marked) > SHOWN_DOUBTS:
        echo(_("  … and {count} more in sheet {checklist}").format(count=len(marked) - SHOWN_DOUBTS,
                                                                     checklist=CHECKLIST))
    if problems:
        echo(_("check: the draft fails on {count} point(s) that need a person (also in sheet {checklist}):").format(
            count=len(problems), checklist=CHECKLIST))
        for p in problems:
            echo(f"  - {p}")
    elif marked:
        echo(_("check: the draft passes the input checks, but {count} row(s) are still marked {to_check}: "
               "confirm or correct them, then clear the cells").format(count=len(marked), to_check=TO_CHECK))
    else:
        echo(_("check: the draft passes as it stands"))
    echo(_("next: correct it against the report in Excel, copy it to {folder}/, then run "
           "fundanalysis check --fund {fund} --year {year}").format(folder=year_dir, fund=fund, year=draft.year))


# ---------------------------------------------------------------------------------------------------------
# --compare


def _compare(draft: Draft, text: ReportText, data_dir: Path, fund: str, year: int,
             echo: Callable[[str], None] = click.echo) -> None:
    from fundanalysis.ingest.load import process_year
    from fundanalysis.storage import inputs

    if not catalog.input_files(data_dir, fund, year):
        raise InputError([Problem(str(catalog.year_dir(data_dir, fund, year)), None, None, None, None,
                                  f"no workbook for {fund} {year} to compare with; without --compare, extract "
                                  "writes a draft to start one")])
    parsed = process_year(data_dir, year, fund)
    raw = inputs.read_year(data_dir, fund, year)
    assessed = assessed_headers({name: (sheet.rows[0] if sheet.rows else []) for name, sheet in raw.items()})
    result = compare(rows_from_draft(draft), rows_from_tables(parsed.tables), assessed, reference_is_table=True)
    where = f"{fund} {year}（{catalog.year_dir(data_dir, fund, year)}）"
    for line in comparison_lines(result, text.path.name, where, text.text):
        echo(printable(line))


def _where(f: Figure) -> str:
    return f"（{f.section}）" if f.section else ""


def _quote(f: Figure, width: int = 80) -> str:
    sentence = f.sentence if len(f.sentence) <= width else f.sentence[:width] + "…"
    return f"「{sentence}」" if sentence else ""


def _cut(sentence: str, width: int = 80) -> str:
    return sentence if len(sentence) <= width else sentence[:width] + "…"


def _doubt(f: Figure) -> str:
    return f"【{TO_CHECK}：{'；'.join(f.doubts)}】" if f.doubts else ""


def _grouped(figures: Iterable[Figure]) -> list[tuple[str, str, list[Figure]]]:
    groups: list[tuple[str, str, list[Figure]]] = []
    for f in figures:
        if groups and groups[-1][0] == f.sheet and groups[-1][1] == f.row:
            groups[-1][2].append(f)
        else:
            groups.append((f.sheet, f.row, [f]))
    return groups


def comparison_lines(result: Comparison, report: str, workbook: str, text: str | None = None) -> list[str]:
    """The comparison as a person reads it, in Chinese: a summary, then the three groups (supported,
    different, not read from the text) and the figures only the text has. With the report's ``text``, a
    figure the draft did not read but the text states (in whatever form) is shown with its sentence
    instead of being called absent."""
    supported, differ = result.of("supported"), result.of("differ")
    missing, extra = result.of("missing"), result.of("extra")
    sentences = text_sentences(text) if text is not None else []
    in_text = {id(f): found_in_text(sentences, f.sheet, f.column, f.reference) for f in missing}
    stated = sum(1 for f in missing if in_text[id(f)])
    total = len(supported) + len(differ) + len(missing)
    marked = sum(1 for f in supported if f.doubts)
    lines = [f"对照：报告文本 {report} 与工作簿 {workbook}",
             f"工作簿中的 {total} 个数字：文本支持 {len(supported)} 个（其中 {marked} 个在文本中带“{TO_CHECK}”标记），"
             f"与文本不一致 {len(differ)} 个，文本中没有 {len(missing)} 个"
             + (f"（其中 {stated} 个见于文本，未能读入）" if stated else "")
             + f"；另有 {len(extra)} 个数字只见于文本。",
             "", f"一、文本支持（{len(supported)}）"]
    for sheet, row, figs in _grouped(supported):
        shown = [f for f in figs if f.column not in LABELS.get(sheet, ()) or f.doubts] or figs
        cells = "、".join(f"{f.column} {f.found}{_doubt(f)}" for f in shown)
        lines.append(f"  {sheet}｜{row}：{cells}")
    lines += ["", f"二、与文本不一致（{len(differ)}）"]
    lines += [f"  {f.sheet}｜{f.row}｜{f.column}：工作簿 {f.reference}，文本 {f.found}{_where(f)}{_doubt(f)}{_quote(f)}"
              for f in differ] or ["  无"]
    note = f"：其中 {stated} 个见于文本，未能读入此格" if stated else ""
    lines += ["", f"三、未从文本读出（{len(missing)}）{note}"]
    lines += [f"  {f.sheet}｜{f.row}｜{f.column}：工作簿 {f.reference}{_where(f)}，"
              + (f"文本中有此数（未能读入此格）「{_cut(in_text[id(f)] or '')}」" if in_text[id(f)] else "文本中未找到")
              for f in missing] or ["  无"]
    lines += ["", f"另：只见于文本、工作簿未填（{len(extra)}）"]
    lines += [f"  {f.sheet}｜{f.row}｜{f.column}：{f.found}{'' if f.assessed else '（工作簿无此列）'}{_where(f)}"
              f"{_doubt(f)}{_quote(f)}" for f in extra] or ["  无"]
    return lines
