"""Reading a year's input: every workbook, CSV and Parquet file of its raw folder.

Each file is read once into memory (:class:`Snapshot`, within the size limits) and every parse
works on those bytes; the snapshot's digest is the digest of the very bytes the tables come from,
so a file saved while it is read can never leave tables of one version stamped with the digest of
another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fundanalysis.errors import InputError, Problem
from fundanalysis.storage.catalog import _no_input, input_files, policy_file
from fundanalysis.storage.digests import bytes_digest, input_salt
from fundanalysis.storage.rawsheet import RawSheet
from fundanalysis.storage.textsheets import read_csv_sheet, read_csv_snapshot, read_parquet_sheet, read_parquet_snapshot
from fundanalysis.storage.xlsx import read_snapshot, read_workbook

#: A scoring policy is a few lines; anything larger is not one.
MAX_POLICY_BYTES = 64 * 1024


@dataclass
class Snapshot:
    """A fund's year of input as read once: each file's bytes, the scoring policy's text (path and
    text, or None) and the digest of exactly those bytes (the one :func:`input_digest` gives for
    the files while they are unchanged). ``problems``: files refused before they were parsed."""

    files: list[tuple[Path, bytes]]
    policy: tuple[str, str] | None
    digest: str
    problems: list[Problem] = field(default_factory=list)
    policy_problems: list[Problem] = field(default_factory=list)


def outside_data(data_dir: Path, path: Path) -> bool:
    """Whether ``path`` leads (through a link, its own or a folder's) outside the data folder."""
    return not Path(path).resolve().is_relative_to(Path(data_dir).resolve())


def _outside_problem(path: Path) -> Problem:
    """The refusal of an input that leads outside the data folder: its target is never named."""
    return Problem(path.name, None, None, None, None,
                   "the file is a link that leads outside the data folder; it is not read (copy the "
                   "file into the year folder instead of linking to it)")


def _read_one(data_dir: Path, path: Path) -> bytes:
    """One input file's bytes, read once within its kind's size limit; a link leading outside
    the data folder is refused without being read."""
    if outside_data(data_dir, path):
        raise InputError([_outside_problem(path)])
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return read_csv_snapshot(path)
        if suffix == ".parquet":
            return read_parquet_snapshot(path)
        return read_snapshot(path)
    except OSError as exc:
        raise InputError([Problem(path.name, None, None, None, None,
                                  f"cannot read the file: {exc.strerror or exc}")]) from None


def snapshot_year(data_dir: Path, fund: str, year: int) -> Snapshot:
    """Read a fund's year's input files and scoring policy once, with the digest of the bytes read.

    Raises :class:`InputError` when the year has no input; files refused before parsing (too
    large, a link outside, unreadable) are listed in ``problems``.
    """
    files = input_files(data_dir, fund, year)
    if not files:
        raise InputError([_no_input(data_dir, fund, year)])
    got: list[tuple[Path, bytes]] = []
    problems: list[Problem] = []
    for path in files:
        try:
            got.append((path, _read_one(data_dir, path)))
        except InputError as exc:
            problems.extend(exc.problems)
    named: list[tuple[str, bytes]] = [(p.name, b) for p, b in got]
    policy, policy_problems = None, []
    try:
        read = _read_policy_bytes(data_dir, fund, year)
    except InputError as exc:
        read, policy_problems = None, exc.problems
    if read is not None:
        path, data = read
        named.append((path.name, data))
        try:
            policy = (str(path), data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            policy_problems = [Problem(str(path), None, None, None, None,
                                       f"the scoring policy is not UTF-8 text (byte {exc.start}); "
                                       "save it as UTF-8")]
    return Snapshot(got, policy, bytes_digest(named, input_salt()), problems, policy_problems)


def parse_snapshot(snap: Snapshot) -> dict[str, RawSheet]:
    """Every sheet of a snapshot's files, keyed by sheet name (parsed from the bytes read).

    Raises :class:`InputError` with every file-level problem found.
    """
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = list(snap.problems)
    for path, data in snap.files:
        try:
            got = _read_input_file(path, data)
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


def read_year(data_dir: Path, fund: str, year: int) -> dict[str, RawSheet]:
    """Read every sheet of a fund's year's input files, keyed by sheet name.

    Raises :class:`InputError` with every file-level problem found.
    """
    return parse_snapshot(snapshot_year(data_dir, fund, year))


def _read_input_file(path: Path, data: bytes) -> dict[str, RawSheet]:
    """Parse one input file (workbook, CSV or Parquet sheet) from its bytes."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return {path.stem: read_csv_sheet(path, data)}
    if suffix == ".parquet":
        return {path.stem: read_parquet_sheet(path, data)}
    return read_workbook(path, data)


def _read_policy_bytes(data_dir: Path, fund: str, year: int) -> tuple[Path, bytes] | None:
    """The scoring policy file's path and bytes (None if there is none), read once."""
    path = policy_file(data_dir, fund, year)
    if path is None:
        return None

    def bad(reason: str) -> InputError:
        return InputError([Problem(str(path), None, None, None, None, reason)])

    if path.is_symlink() or not path.is_file():
        raise bad("the scoring policy must be a plain file (not a link or a folder)")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise bad(f"cannot read the scoring policy: {exc.strerror}") from None
    if len(data) > MAX_POLICY_BYTES:
        raise bad(f"the scoring policy is larger than {MAX_POLICY_BYTES // 1024} KB; it is a few lines of TOML")
    return path, data


def read_policy(data_dir: Path, fund: str, year: int) -> tuple[str, str] | None:
    """The scoring policy file that applies to a fund's year, as ``(path, text)``; None if none.

    Raises InputError (naming the file) when it is not a readable UTF-8 text file of sensible size.
    """
    read = _read_policy_bytes(data_dir, fund, year)
    if read is None:
        return None
    path, data = read
    try:
        return str(path), data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), None, None, None, None,
                                  f"the scoring policy is not UTF-8 text (byte {exc.start}); "
                                  "save it as UTF-8")]) from None
