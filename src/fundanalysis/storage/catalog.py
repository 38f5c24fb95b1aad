"""Where things live: each fund's raw, processed and output folders per year, from paths only.

Layout (``<fund>`` is a short folder name such as ``changzhou-industrial-internet``)::

    data/raw/<fund>/<year>/           the analysts' input (never written by the tool)
    data/processed/<fund>/<year>/     processed tables (CSV + Parquet)
    outputs/index.html                every fund and year
    outputs/<fund>/index.html         one fund's years
    outputs/<fund>/<year>/            one year's report
    outputs/<fund>/exports/<year>/    chart files and workbooks for briefings
    outputs/<fund>/drafts/            draft workbooks extracted from a report's text
    outputs/templates/<fund>/         blank input workbooks
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from fundanalysis import config
from fundanalysis.errors import InputError, Problem, StorageError

_UNREAD_SPREADSHEETS = {".xls", ".xlsb", ".ods", ".et", ".numbers"}
#: A year folder's name: four ASCII digits.
YEAR_NAME = re.compile(r"[0-9]{4}")
#: A fund folder's name: letters (any script), digits, ``.``, ``-`` and ``_``, starting with a
#: letter or digit, not a year.
FUND_NAME = re.compile(r"[^\W_][\w.-]{0,79}")
#: The longest fund folder name in bytes (UTF-8): the longest file name derived from it
#: (``<fund>-<year>-数据表.xlsx`` written through a temporary ``.<name>.XXXXXXXX``) adds 30 bytes and
#: must fit the 255 bytes file systems allow; about 66 Chinese characters.
FUND_NAME_MAX_BYTES = 200
#: Names the tool uses in outputs/ for its own folders.
RESERVED = {"templates", "exports", "logs", "failed", "drafts", "index.html"}
#: Names Windows keeps for devices (with any extension): such a folder cannot be copied to a
#: Windows share, where analysts keep their files.
WINDOWS_DEVICES = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.I)


def fund_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a fund folder, or None if it can.

    >>> fund_name_problem("changzhou-industrial-internet") is None, fund_name_problem("2019") is not None
    (True, True)
    """
    if name.lower() in RESERVED:
        return f"{name!r} is the name of a folder the tool keeps in outputs/; choose another fund name"
    if WINDOWS_DEVICES.fullmatch(name):
        return f"{name!r} is a device name on Windows, where the folder could not be copied; choose another"
    if YEAR_NAME.fullmatch(name) or re.fullmatch(r"\d+", name):
        return "a fund folder is named for the fund (e.g. changzhou-industrial-internet), not a year"
    if not FUND_NAME.fullmatch(name):
        return ("a fund folder's name has letters, digits, '.', '-' or '_' only (no spaces, no '/'), "
                "starts with a letter or digit and has at most 80 characters")
    size = len(name.encode("utf-8"))
    if size > FUND_NAME_MAX_BYTES:
        return (f"a fund folder's name has at most {FUND_NAME_MAX_BYTES} bytes in UTF-8 (about "
                f"{FUND_NAME_MAX_BYTES // 3} Chinese characters), so that every file named after it fits the "
                f"255-byte limit of file names; this one has {size} bytes ({len(name)} characters): shorten it")
    return None


def fund_dir(data_dir: Path, fund: str) -> Path:
    """The raw input folder of a fund."""
    return Path(data_dir) / "raw" / fund


def year_dir(data_dir: Path, fund: str, year: int) -> Path:
    """The raw input folder of a fund's year."""
    return fund_dir(data_dir, fund) / str(year)


def has_year_folder(data_dir: Path, fund: str, year: int) -> bool:
    """Whether the fund has a raw folder for the year (empty or not)."""
    return year_dir(data_dir, fund, year).is_dir()


def processed_dir(data_dir: Path, fund: str, year: int) -> Path:
    """The processed-table folder of a fund's year."""
    return Path(data_dir) / "processed" / fund / str(year)


def scan_funds(data_dir: Path) -> tuple[list[str], list[str]]:
    """Fund folders under ``raw/`` and notes on folders that are not one.

    A year folder directly under ``raw/`` is the layout before several funds: it is noted with
    the move to make.
    """
    raw = Path(data_dir) / "raw"
    if not raw.is_dir():
        return [], []
    funds, notes = [], []
    for p in sorted(raw.iterdir()):
        if not p.is_dir() or p.name.startswith("."):
            continue
        why = fund_name_problem(p.name)
        if why is None:
            funds.append(p.name)
        elif YEAR_NAME.fullmatch(p.name):
            notes.append(f"folder {p} is a year folder directly under raw/; input now lives in "
                         f"raw/<fund>/<year>/: move it to raw/<fund>/{p.name}/ (e.g. raw/my-fund/{p.name})")
        else:
            notes.append(f"folder {p} is not a fund folder, so it is skipped; {why}")
    return funds, notes


def list_funds(data_dir: Path) -> list[str]:
    """The funds that have a raw input folder, by name."""
    return scan_funds(data_dir)[0]


def resolve_fund(data_dir: Path, fund: str | None, new: bool = False) -> str:
    """The fund a command works on: the one named, or the only one there is.

    ``new`` allows a fund that has no folder yet (a template or a draft starts a fund). Raises
    InputError naming the funds that exist when the choice is missing or unknown.
    """
    funds, notes = scan_funds(data_dir)
    raw = Path(data_dir) / "raw"
    if fund is not None:
        why = fund_name_problem(fund)
        if why is not None:
            raise InputError([Problem(str(raw / fund), None, None, None, fund, why)])
        if fund in funds or new:
            return fund
        listed = "、".join(funds) if funds else "none yet"
        raise InputError([Problem(str(raw / fund), None, None, None, fund,
                                  f"no such fund (funds: {listed}); fundanalysis template --fund "
                                  f"{fund} --year YEAR starts one")])
    if len(funds) == 1:
        return funds[0]
    if not funds:
        hint = f" ({notes[0]})" if notes else ""
        raise InputError([Problem(str(raw), None, None, None, None,
                                  "no fund folder under raw/ (input lives in raw/<fund>/<year>/); "
                                  f"fundanalysis template --fund NAME --year YEAR starts one{hint}")])
    raise InputError([Problem(str(raw), None, None, None, None,
                              f"there are several funds ({'、'.join(funds)}): choose one with --fund")])


def list_years(data_dir: Path, fund: str) -> list[int]:
    """Years of a fund that have a raw input folder (ASCII four digits, in range), ascending."""
    return scan_years(data_dir, fund)[0]


def scan_years(data_dir: Path, fund: str) -> tuple[list[int], list[str]]:
    """Year folders of a fund and notes on folders that are not one.

    A year folder is named with four ASCII digits within the accepted years; anything else
    (``0000``, ``２０２０`` in full-width digits, ``2019-old``) is noted and left alone.
    """
    d = fund_dir(data_dir, fund)
    if not d.is_dir():
        return [], []
    years, notes = [], []
    for p in sorted(d.iterdir()):
        if not p.is_dir() or p.name.startswith("."):
            continue
        if YEAR_NAME.fullmatch(p.name) and config.MIN_YEAR <= int(p.name) <= config.MAX_YEAR:
            years.append(int(p.name))
        elif re.fullmatch(r"\d{4}", p.name):
            ascii_name = "".join(str(int(c)) for c in p.name)
            hint = (f"write it with ASCII digits ({ascii_name})" if ascii_name != p.name
                    else f"years run from {config.MIN_YEAR} to {config.MAX_YEAR}")
            notes.append(f"folder {p} is not a year folder, so it is skipped; {hint}")
        else:
            notes.append(f"folder {p} is not a year folder (four digits such as 2019), so it is skipped")
    return sorted(years), notes


def years_with_input(data_dir: Path, fund: str) -> tuple[list[int], list[str]]:
    """A fund's year folders that hold input files, and notes on the folders skipped."""
    years, notes = scan_years(data_dir, fund)
    keep = []
    for y in years:
        if input_files(data_dir, fund, y):
            keep.append(y)
        else:
            notes.append(f"{year_dir(data_dir, fund, y)} holds no input workbook or CSV yet, so it is skipped")
    return keep, notes


def input_files(data_dir: Path, fund: str, year: int) -> list[Path]:
    """The input files of a fund's year: workbooks and CSV or Parquet sheets."""
    d = year_dir(data_dir, fund, year)
    if not d.is_dir():
        return []
    return sorted(
        p for p in d.iterdir()
        if p.is_file() and p.suffix.lower() in {".xlsx", ".xlsm", ".csv", ".parquet"}
        and not p.name.startswith(("~$", "."))
    )


def tables_name(fund: str, year: int) -> str:
    """The file name of a year's computed tables as Excel (数据表) in its output folder."""
    return f"{fund}-{year}-数据表.xlsx"


def form_name(fund: str, year: int) -> str:
    """The file name of a year's filled self-evaluation form (自评表) in its output folder."""
    return f"{fund}-{year}-自评表.xlsx"


#: A fund's scoring policy for the self-evaluation form (see ingest.policy).
POLICY_FILE = "scoring.toml"


def policy_file(data_dir: Path, fund: str, year: int) -> Path | None:
    """The scoring policy that applies to a fund's year: ``raw/<fund>/<year>/scoring.toml`` if
    there is one, else ``raw/<fund>/scoring.toml`` (the fund's), else None (the defaults)."""
    for p in (year_dir(data_dir, fund, year) / POLICY_FILE, fund_dir(data_dir, fund) / POLICY_FILE):
        if p.is_file() or p.is_symlink():
            return p
    return None


def _no_input(data_dir: Path, fund: str, year: int) -> Problem:
    """The problem for a year with no data: no folder, an empty folder, or only unread files."""
    d = year_dir(data_dir, fund, year)
    head = f"no input workbook or CSV for {fund} {year}"
    if not d.is_dir():
        have = [y for y in list_years(data_dir, fund) if input_files(data_dir, fund, y)]
        known = f"years with input: {', '.join(map(str, have))}" if have else "the fund has no year with input yet"
        return Problem(str(d), None, None, None, None,
                       f"{head}: the folder does not exist ({known}; to start {year}: "
                       f"fundanalysis template --fund {fund} --year {year})")
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
        hint = "" if Path(path).expanduser().is_absolute() else (
            f" (the relative path {str(path)!r} is taken from the working directory {Path.cwd()}; "
            f"leave {what} empty for the project's own folder)")
        raise FileNotFoundError(f"{what} {p} does not exist{hint}")
    return p


def is_dir(path: Path) -> bool:
    """True if ``path`` is a folder."""
    return Path(path).is_dir()


def exists(path: Path) -> bool:
    """True if something (a file, folder or link, even a broken one) is at ``path``."""
    return Path(path).exists() or Path(path).is_symlink()


# ------------------------------------------------------------------ outputs


def _within(path: Path, folder: Path) -> bool:
    """True if ``path`` is ``folder`` or lies inside it (both resolved, links followed)."""
    return path == folder or folder in path.parents


def check_output_place(out_dir: Path, data_dir: Path) -> None:
    """Refuse (:class:`StorageError`, exit 4) an output folder the tool must never write into.

    An output folder inside the data folder's ``raw/`` would put generated files among the
    analysts' input; a data folder inside the output folder would mix input among what the tool
    replaces and deletes. Links are followed, so a link cannot smuggle either case past.

    >>> check_output_place(Path("/p/outputs"), Path("/p/data")) is None
    True
    """
    out = Path(out_dir).expanduser().resolve()
    data = Path(data_dir).expanduser().resolve()
    raw = (data / "raw").resolve()
    if _within(out, raw):
        raise StorageError(f"the output folder {out} is inside the data folder's raw/ ({raw}), which holds the "
                           "analysts' input and is never written by the tool; nothing was written. Choose an "
                           "--out-dir outside it (e.g. outputs)")
    if _within(data, out):
        raise StorageError(f"the data folder {data} is inside the output folder {out}, where the tool replaces "
                           "and deletes what it made; nothing was written. Choose an --out-dir beside the data "
                           "folder (e.g. outputs)")



def fund_output(out_dir: Path, fund: str) -> Path:
    """Where a fund's reports are published."""
    return Path(out_dir) / fund


def year_output(out_dir: Path, fund: str, year: int) -> Path:
    """Where a fund's year report is published."""
    return fund_output(out_dir, fund) / str(year)


def published_summaries(out_dir: Path, fund: str) -> list[tuple[str, Path]]:
    """``(year folder name, its summary.json)`` for every published year of a fund, newest first."""
    d = fund_output(out_dir, fund)
    if not d.is_dir():
        return []
    return [(y.name, y / "summary.json") for y in sorted(d.iterdir(), reverse=True)
            if YEAR_NAME.fullmatch(y.name) and (y / "summary.json").is_file()]


def published_funds(out_dir: Path) -> list[str]:
    """The funds with a published report folder under ``out_dir``."""
    out = Path(out_dir)
    if not out.is_dir():
        return []
    return [d.name for d in sorted(out.iterdir())
            if d.is_dir() and fund_name_problem(d.name) is None and published_summaries(out, d.name)]


def chart_cache_dir(out_dir: Path) -> Path:
    """Where builds keep rendered charts by content (:mod:`fundanalysis.present.charts.cache`);
    a dot folder, never taken for a fund."""
    return Path(out_dir) / ".cache" / "charts"


def exports_dir(out_dir: Path, fund: str, year: int) -> Path:
    """Where ``fundanalysis charts`` publishes a year's chart files: apart from the report, so
    neither a build nor an export ever overwrites the other's files."""
    return fund_output(out_dir, fund) / "exports" / str(year) / "charts"


def drafts_dir(out_dir: Path, fund: str) -> Path:
    """Where draft workbooks extracted from a report's text go (never into data/raw)."""
    return fund_output(out_dir, fund) / "drafts"


def failed_dir(out_dir: Path, fund: str, year: int) -> Path:
    """Where the executed notebooks of a failed build of a year are kept."""
    return Path(out_dir) / "failed" / f"{fund}-{year}-{time.strftime('%Y%m%dT%H%M%S')}"


def template_path(out_dir: Path, fund: str, year: int) -> Path:
    """Where ``fundanalysis template`` writes a blank workbook."""
    return Path(out_dir) / "templates" / fund / f"fund-{year}.xlsx"
