"""Reading a year's input: every workbook, CSV and Parquet file of its raw folder."""

from __future__ import annotations

from pathlib import Path

from fundanalysis.errors import InputError, Problem
from fundanalysis.storage.catalog import _no_input, input_files, policy_file
from fundanalysis.storage.rawsheet import RawSheet
from fundanalysis.storage.textsheets import read_csv_sheet, read_parquet_sheet
from fundanalysis.storage.xlsx import read_workbook


def read_year(data_dir: Path, fund: str, year: int) -> dict[str, RawSheet]:
    """Read every sheet of a fund's year's input files, keyed by sheet name.

    Raises :class:`InputError` with every file-level problem found.
    """
    files = input_files(data_dir, fund, year)
    if not files:
        raise InputError([_no_input(data_dir, fund, year)])
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    for path in files:
        try:
            got = _read_input_file(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for name, sheet in got.items():
            if name in sheets:
                problems.append(Problem(path.name, name, None, None, None,
                                        f"sheet {name!r} is also given by {sheets[name].file}"))
            else:
                sheets[name] = sheet
    if problems:
        raise InputError(problems)
    return sheets


def _read_input_file(path: Path) -> dict[str, RawSheet]:
    """Read one input file (workbook, CSV or Parquet sheet)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return {path.stem: read_csv_sheet(path)}
    if suffix == ".parquet":
        return {path.stem: read_parquet_sheet(path)}
    return read_workbook(path)


#: A scoring policy is a few lines; anything larger is not one.
MAX_POLICY_BYTES = 64 * 1024


def read_policy(data_dir: Path, fund: str, year: int) -> tuple[str, str] | None:
    """The scoring policy file that applies to a fund's year, as ``(path, text)``; None if none.

    Raises InputError (naming the file) when it is not a readable UTF-8 text file of sensible size.
    """
    path = policy_file(data_dir, fund, year)
    if path is None:
        return None

    def bad(reason: str) -> InputError:
        return InputError([Problem(str(path), None, None, None, None, reason)])

    if path.is_symlink() or not path.is_file():
        raise bad("the scoring policy must be a plain file (not a link or a folder)")
    if path.stat().st_size > MAX_POLICY_BYTES:
        raise bad(f"the scoring policy is larger than {MAX_POLICY_BYTES // 1024} KB; it is a few lines of TOML")
    try:
        return str(path), path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad(f"the scoring policy is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise bad(f"cannot read the scoring policy: {exc.strerror}") from None

