"""Raw input to validated tables: read (storage), build and check (ingest), keep (storage)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fundanalysis.errors import InputError, Problem
from fundanalysis.ingest.policy import policy_from_toml
from fundanalysis.ingest.tables import Parsed, build_tables, quiet_pandera
from fundanalysis.storage import catalog, digests, inputs, processed

#: Tables a build has validated and handed to this process, by (data folder, fund, year), with
#: the input digest they were made from (see :func:`provide_tables`).
_PROVIDED: dict[tuple[str, str, int], tuple[str, dict[str, pd.DataFrame]]] = {}


def process_year(data_dir: Path, year: int, fund: str | None = None) -> Parsed:
    """Read and validate a fund's year of raw input (``fund`` None: the only fund there is);
    raise InputError listing every problem."""
    fund = catalog.resolve_fund(data_dir, fund)
    problems: list[Problem] = []
    try:
        parsed = build_tables(inputs.read_year(data_dir, fund, year), year)
    except InputError as exc:
        problems += exc.problems
    try:
        policy = inputs.read_policy(data_dir, fund, year)
        if policy is not None:
            policy_from_toml(policy[1], policy[0])  # refuse a bad policy with its keys located
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    if policy is not None:
        path, text = policy
        parsed.tables["scoring_policy"] = pd.DataFrame(
            {"file": pd.array([Path(path).name], dtype="string"), "toml": pd.array([text], dtype="string")})
    return parsed


def clean_year(data_dir: Path, year: int, fund: str | None = None) -> tuple[Path, Parsed]:
    """Write a year's processed tables (CSV + Parquet), all at once or not at all."""
    fund = catalog.resolve_fund(data_dir, fund)
    parsed = process_year(data_dir, year, fund)
    return processed.write_processed(data_dir, fund, year, parsed.tables, parsed.notes), parsed


def load_year(data_dir: Path, year: int, fund: str, reuse: bool = True) -> tuple[Parsed, bool]:
    """A year's validated tables and notes for a build; True with them when they are the processed
    ones, made from this very input and code and unchanged since they passed the schemas (so
    nothing needs parsing or checking again). ``reuse`` False always reads the raw input."""
    record = processed.current_record(data_dir, fund, year) if reuse else None
    if record is not None:
        current = processed.read_current(data_dir, fund, year)
        if current is not None and current[1]:
            notes = record.get("notes")
            return Parsed(current[0], list(notes) if isinstance(notes, list) else []), True
    return process_year(data_dir, year, fund), False


def provide_tables(data_dir: Path, fund: str, year: int, tables: dict[str, pd.DataFrame], digest: str) -> None:
    """Hand this process a year's validated tables (a build does, in the process its report
    notebooks are forked from): :func:`load_tables` returns them while the year's input digest is
    still ``digest``, instead of reading and checking them again."""
    _PROVIDED[(str(Path(data_dir).resolve()), fund, int(year))] = (digest, tables)


def load_tables(data_dir: Path, year: int, fund: str | None = None) -> dict[str, pd.DataFrame]:
    """Load a year's tables: processed ones if made from the current input, else from raw.

    "Current" means the same content (a digest of the raw files and the library code), never
    the same file times. Processed bytes that are not those that passed the schemas (a
    hand-edited file) are checked again.
    """
    fund = catalog.resolve_fund(data_dir, fund)
    given = _PROVIDED.get((str(Path(data_dir).resolve()), fund, int(year)))
    if given is not None and given[0] == digests.input_digest(data_dir, fund, year):
        return given[1]
    current = processed.read_current(data_dir, fund, year)
    if current is not None:
        tables, checked = current
        if checked:
            return tables
        from fundanalysis.ingest.schemas import validate_tables  # pandera loads only when needed

        with quiet_pandera():
            return validate_tables(tables)
    return process_year(data_dir, year, fund).tables
