"""Where things live: the raw, processed and output folders of each year, found from paths only."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fundanalysis import config
from fundanalysis.errors import Problem

_UNREAD_SPREADSHEETS = {".xls", ".xlsb", ".ods", ".et", ".numbers"}


def year_dir(data_dir: Path, year: int) -> Path:
    """The raw input folder of a year."""
    return Path(data_dir) / "raw" / str(year)


def processed_dir(data_dir: Path, year: int) -> Path:
    """The processed-table folder of a year."""
    return Path(data_dir) / "processed" / str(year)


def list_years(data_dir: Path) -> list[int]:
    """Years that have a raw input folder (ASCII four digits, in range), ascending."""
    return scan_years(data_dir)[0]


def scan_years(data_dir: Path) -> tuple[list[int], list[str]]:
    """Year folders under ``raw/`` and notes on folders that are not one.

    A year folder is named with four ASCII digits within the accepted years; anything else
    (``0000``, ``２０２０`` in full-width digits, ``2019-old``) is noted and left alone.
    """
    raw = Path(data_dir) / "raw"
    if not raw.is_dir():
        return [], []
    years, notes = [], []
    for p in sorted(raw.iterdir()):
        if not p.is_dir() or p.name.startswith("."):
            continue
        if re.fullmatch(r"[0-9]{4}", p.name) and config.MIN_YEAR <= int(p.name) <= config.MAX_YEAR:
            years.append(int(p.name))
        elif re.fullmatch(r"\d{4}", p.name):
            ascii_name = "".join(str(int(c)) for c in p.name)
            hint = (f"write it with ASCII digits ({ascii_name})" if ascii_name != p.name
                    else f"years run from {config.MIN_YEAR} to {config.MAX_YEAR}")
            notes.append(f"folder {p} is not a year folder, so it is skipped; {hint}")
        else:
            notes.append(f"folder {p} is not a year folder (four digits such as 2019), so it is skipped")
    return sorted(years), notes


def years_with_input(data_dir: Path) -> tuple[list[int], list[str]]:
    """Year folders that hold input files, and notes on the folders skipped (not a year, empty)."""
    years, notes = scan_years(data_dir)
    keep = []
    for y in years:
        if input_files(data_dir, y):
            keep.append(y)
        else:
            notes.append(f"{year_dir(data_dir, y)} holds no input workbook or CSV yet, so {y} is skipped")
    return keep, notes


def input_files(data_dir: Path, year: int) -> list[Path]:
    """The input files of a year: workbooks and CSV sheets (``<sheet name>.csv``)."""
    d = year_dir(data_dir, year)
    if not d.is_dir():
        return []
    return sorted(
        p for p in d.iterdir()
        if p.is_file() and p.suffix.lower() in {".xlsx", ".xlsm", ".csv", ".parquet"}
        and not p.name.startswith(("~$", "."))
    )


def _no_input(data_dir: Path, year: int) -> Problem:
    """The problem for a year with no data: no folder, an empty folder, or only unread files."""
    d = year_dir(data_dir, year)
    head = f"no input workbook or CSV for year {year}"
    if not d.is_dir():
        return Problem(str(d), None, None, None, None, f"{head}: the folder does not exist")
    unread = sorted(p.name for p in d.iterdir() if p.suffix.lower() in _UNREAD_SPREADSHEETS)
    if unread:
        return Problem(str(d), None, None, None, "、".join(unread),
                       f"{head}: these spreadsheets are not read; save them as .xlsx")
    return Problem(str(d), None, None, None, None,
                   f"{head}: the folder has no .xlsx workbook and no <sheet>.csv")


def existing_dir(path: str | Path, what: str) -> Path:
    """``path`` resolved (``~`` expanded); FileNotFoundError naming ``what`` if it is no folder."""
    p = Path(path).expanduser().resolve()
    if not p.is_dir():
        raise FileNotFoundError(f"{what} {p} does not exist")
    return p


def is_dir(path: Path) -> bool:
    """True if ``path`` is a folder."""
    return Path(path).is_dir()


#: A year folder's name: four ASCII digits.
YEAR_NAME = re.compile(r"[0-9]{4}")


def published_summaries(out_dir: Path) -> list[tuple[str, Path]]:
    """``(year folder name, its summary.json)`` for every published year, newest first."""
    out = Path(out_dir)
    if not out.is_dir():
        return []
    return [(d.name, d / "summary.json") for d in sorted(out.iterdir(), reverse=True)
            if YEAR_NAME.fullmatch(d.name) and (d / "summary.json").is_file()]


def year_output(out_dir: Path, year: int) -> Path:
    """Where a year's report is published."""
    return Path(out_dir) / str(year)


def exports_dir(out_dir: Path, year: int) -> Path:
    """Where ``fundanalysis charts`` publishes a year's chart files: apart from the report, so
    neither a build nor an export ever overwrites the other's files."""
    return Path(out_dir) / "exports" / str(year) / "charts"


def failed_dir(out_dir: Path, year: int) -> Path:
    """Where the executed notebooks of a failed build of a year are kept."""
    return Path(out_dir) / "failed" / f"{year}-{time.strftime('%Y%m%dT%H%M%S')}"


def template_path(out_dir: Path, year: int) -> Path:
    """Where ``fundanalysis template`` writes a blank workbook."""
    return Path(out_dir) / "templates" / f"fund-{year}.xlsx"


def exists(path: Path) -> bool:
    """True if something (a file, folder or link, even a broken one) is at ``path``."""
    return Path(path).exists() or Path(path).is_symlink()
