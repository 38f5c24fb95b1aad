"""What a published report was made from: the content digest of its inputs, notebooks and code."""

from __future__ import annotations

from pathlib import Path

from fundanalysis.storage import catalog, digests, files, notebook_files


def fingerprint(data_dir: Path, fund: str, notebooks_dir: Path) -> str:
    """Digest of everything a fund's reports depend on: all its raw input (years are compared
    with each other), the notebooks and the library code."""
    paths: list[Path] = []
    for y in catalog.list_years(data_dir, fund):
        paths += catalog.input_files(data_dir, fund, y)
        policy = catalog.policy_file(data_dir, fund, y)
        if policy is not None and policy not in paths:
            paths.append(policy)
    paths += notebook_files.report_notebooks(notebooks_dir)
    return digests.content_digest(paths, digests.code_digest())


def published_fingerprint(out_dir: Path, fund: str, year: int) -> str | None:
    """The fingerprint recorded in a published year's build.json, if any."""
    try:
        record = files.read_json(catalog.year_output(out_dir, fund, year) / "build.json")
    except (OSError, ValueError):
        return None
    return record.get("fingerprint") if isinstance(record, dict) else None
