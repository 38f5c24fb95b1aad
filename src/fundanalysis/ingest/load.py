"""Raw input to validated tables: read (storage), build and check (ingest), keep (storage)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from fundanalysis.errors import InputError, Problem
from fundanalysis.ingest.policy import policy_from_toml
from fundanalysis.ingest.tables import Parsed, build_tables
from fundanalysis.storage import catalog, digests, inputs, processed


def process_year(data_dir: Path, year: int, fund: str | None = None) -> Parsed:
    """Read and validate a fund's year of raw input (``fund`` None: the only fund there is);
    raise InputError listing every problem.

    Each file is read once and parsed from those bytes; the tables carry the digest of them
    (``Parsed.digest``). A file saved while it is read (its digest on disk afterwards is not the
    one read) is read again, once; if it changes again the read is refused with that reason.
    """
    fund = catalog.resolve_fund(data_dir, fund)
    for _ in range(READ_ATTEMPTS):
        snap = inputs.snapshot_year(data_dir, fund, year)
        try:
            parsed = _parse_snapshot(snap, year)
        except InputError:
            # a file refused unread (a link outside, too large) is not in the snapshot's digest
            if snap.problems or snap.policy_problems or \
                    digests.input_digest_now(data_dir, fund, year) == snap.digest:
                raise
            continue  # a file was saved while it was read: the problems may be of a half-saved file
        if digests.input_digest_now(data_dir, fund, year) == snap.digest:
            return parsed
    raise InputError([Problem(p.name, None, None, None, None, CHANGED_WHILE_READ) for p, _ in snap.files]
                     or [Problem(str(catalog.year_dir(data_dir, fund, year)), None, None, None, None,
                                 CHANGED_WHILE_READ)])


#: Times a year's input is read when it changes while being read.
READ_ATTEMPTS = 2
CHANGED_WHILE_READ = ("the file changed while it was being read (saved again during the read?); "
                      "nothing was made from it: run the command again once it is saved")


def _parse_snapshot(snap: inputs.Snapshot, year: int) -> Parsed:
    """The validated tables of a year's input as read (a :class:`~fundanalysis.storage.inputs.Snapshot`)."""
    problems: list[Problem] = []
    try:
        parsed = build_tables(inputs.parse_snapshot(snap), year)
    except InputError as exc:
        problems += exc.problems
    problems += snap.policy_problems
    policy = snap.policy
    if policy is not None:
        try:
            policy_from_toml(policy[1], policy[0])  # refuse a bad policy with its keys located
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    if policy is not None:
        path, text = policy
        parsed.tables["scoring_policy"] = pd.DataFrame(
            {"file": pd.array([Path(path).name], dtype="string"), "toml": pd.array([text], dtype="string")})
    parsed.digest = snap.digest
    return parsed


def clean_year(data_dir: Path, year: int, fund: str | None = None) -> tuple[Path, Parsed]:
    """Write a year's processed tables (CSV + Parquet), all at once or not at all."""
    fund = catalog.resolve_fund(data_dir, fund)
    parsed = process_year(data_dir, year, fund)
    return processed.write_processed(data_dir, fund, year, parsed.tables, parsed.notes, parsed.digest), parsed


def load_year(data_dir: Path, year: int, fund: str, reuse: bool = True) -> tuple[Parsed, bool]:
    """A year's validated tables and notes for a build; True with them when they are the processed
    ones, made from this very input and code and unchanged since they passed the schemas (so
    nothing needs parsing or checking again). ``reuse`` False always reads the raw input."""
    record = processed.current_record(data_dir, fund, year) if reuse else None
    if record is not None:
        current = processed.read_current(data_dir, fund, year)
        if current is not None and current[1]:
            notes, digest = record.get("notes"), record.get("input_digest")
            return Parsed(current[0], list(notes) if isinstance(notes, list) else [],
                          digest if isinstance(digest, str) else None), True
    return process_year(data_dir, year, fund), False


def load_tables(data_dir: Path, year: int, fund: str | None = None) -> dict[str, pd.DataFrame]:
    """Load a year's tables: processed ones if made from the current input, else from raw.

    "Current" means the same content (a digest of the raw files and the library code), never
    the same file times. Processed bytes that are not those that passed the schemas (a
    hand-edited file) are checked again.
    """
    fund = catalog.resolve_fund(data_dir, fund)
    current = processed.read_current(data_dir, fund, year)
    if current is not None:
        tables, checked = current
        if checked:
            return tables
        # processed tables are made from the raw input and are not input themselves: bytes that are
        # not those written (a hand-edited file) are never shown as the report's figures
        warnings.warn(f"{processed.processed_dir(data_dir, fund, year)}: the processed tables were changed "
                      "after they were written; they are set aside and the year is read from its raw input "
                      "(run fundanalysis clean to write them again)", ProcessedTablesEdited, stacklevel=2)
    return process_year(data_dir, year, fund).tables


class ProcessedTablesEdited(UserWarning):
    """A year's processed tables are not the bytes the suite wrote (edited by hand): they are not used."""
