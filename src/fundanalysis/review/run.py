"""A year's forms reviewed on Dask: read and checked where the workers run, aggregated on the client.

:func:`review_files` sends batches of file paths to a ``dask.distributed`` cluster (a
:class:`~distributed.LocalCluster` of processes on this machine, or the scheduler at an address),
each worker reads and reviews its files (:func:`review_batch`) and sends back small records; the
client adds what needs every form (:func:`boilerplate_findings`) and ranks them
(:func:`prioritize`) with pandas. ``scheduler="inline"`` runs the same batches in this process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from fundanalysis.errors import Problem
from fundanalysis.ingest.policy import DEFAULT_POLICY, Policy, policy_from_toml
from fundanalysis.review.findings import KIND_LABELS, KIND_WEIGHTS, FindingKind, review_form
from fundanalysis.review.reader import FORM_SUFFIXES, read_forms
from fundanalysis.storage.forms import Location, is_url, relative_name
from fundanalysis.storage.forms import form_files as stored_form_files

#: ``--scheduler`` value that runs the batches in this process (no cluster; the benchmark's baseline).
INLINE = "inline"
#: Files per task: large enough that Dask's overhead per task (~1 ms) is small beside ~50 forms'
#: reading, small enough that two workers stay busy to the end.
BATCH_FILES = 50


def form_files(folder: Location) -> list[Location]:
    """Every form file under ``folder`` (a path or an fsspec URL, recursively), sorted; Office lock
    files (``~$…``) left out."""
    return stored_form_files(folder, FORM_SUFFIXES)


def problem_record(p: Problem) -> dict[str, Any]:
    """A located problem as review.json lists it."""
    return {"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column,
            "value": None if p.value is None else str(p.value), "reason": p.reason}


def review_batch(paths: Sequence[str], root: str, year: int | None = None,
                 policy_toml: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read and review files (run where a worker runs): the records of their forms and the problems.
    ``paths`` are local paths or fsspec URLs under ``root``; they are read here.

    One file that cannot be read, or one form that cannot be reviewed, is a located problem; the
    others go on. A form stating another year than ``year`` is a problem too (it belongs elsewhere).
    """
    policy: Policy = policy_from_toml(policy_toml, "scoring.toml") if policy_toml else DEFAULT_POLICY
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in paths:
        name = relative_name(path, root)
        forms, found = read_forms(path, name)
        problems.extend(found)
        for form in forms:
            if year is not None and form.year is not None and form.year != year:
                problems.append(Problem(name, form.sheet, None, None, form.year,
                                        f"the form is for {form.year}, not {year}; it was left out"))
                continue
            try:
                records.append(review_form(form, policy))
            except Exception as exc:  # one form's surprise must not stop the year's review
                problems.append(Problem(name, form.sheet, None, None, None,
                                        f"the form could not be reviewed ({type(exc).__name__}: {exc})"))
    return records, [problem_record(p) for p in problems]


def _batches(paths: Sequence[Location], size: int) -> Iterator[list[str]]:
    for i in range(0, len(paths), size):
        yield [str(p) for p in paths[i: i + size]]


def batch_size(files: int, workers: int) -> int:
    """Files per task: at most :data:`BATCH_FILES`, and at least four tasks per worker when there
    are enough files, so that no worker waits at the end for another's last batch.

    >>> batch_size(10_000, 2), batch_size(100, 2), batch_size(3, 2)
    (50, 13, 1)
    """
    return max(1, min(BATCH_FILES, -(-files // (workers * 4))))


def review_files(paths: Sequence[Location], root: Location, *, year: int | None = None, policy_toml: str | None = None,
                 scheduler: str | None = None, workers: int = 2,
                 progress: Callable[[int], None] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Review ``paths`` (files under ``root``): on a new LocalCluster of ``workers`` processes, on the
    scheduler at ``scheduler`` (``tcp://host:8786``), or in this process (``scheduler="inline"``).

    Records come back in the order of the files, whatever order the workers finish in.
    """
    root_s = str(root) if is_url(root) else str(Path(root))
    results: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []
    if scheduler == INLINE:
        for batch in _batches(list(paths), BATCH_FILES):
            results.append(review_batch(batch, root_s, year, policy_toml))
            if progress:
                progress(len(batch))
    else:
        from distributed import Client, LocalCluster, as_completed

        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        try:
            n_workers = max(1, len(client.scheduler_info()["workers"]))
            batches = list(_batches(list(paths), batch_size(len(paths), n_workers)))
            futures = client.map(review_batch, batches, root=root_s, year=year, policy_toml=policy_toml,
                                 pure=False)
            order = {f.key: i for i, f in enumerate(futures)}
            slots: list[Any] = [None] * len(futures)
            for future in as_completed(futures):
                slots[order[future.key]] = future.result()
                future.release()
                if progress:
                    progress(len(batches[order[future.key]]))
            results = slots
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    records = [r for rs, _ in results for r in rs]
    problems = [p for _, ps in results for p in ps]
    return records, problems


def _unit_key(record: dict[str, Any]) -> str:
    """Who filed a form: its 实施单位, else its 主管部门 and project, else its file."""
    return record.get("unit") or f"{record.get('department')}/{record.get('project')}" or record["file"]


def boilerplate_findings(records: list[dict[str, Any]]) -> None:
    """Add a ``boilerplate`` finding to every form whose long text (年度总体目标, 偏差原因) appears
    word for word in the form of another unit; drops the records' ``texts``.

    One pass of grouped pandas operations over all texts (no comparison of each form with every
    other): the time grows with the number of texts, however many forms share one.
    """
    rows = [(i, r["file"], text, cell, _unit_key(r)) for i, r in enumerate(records)
            for text, cell in r.pop("texts", [])]
    if not rows:
        return
    df = pd.DataFrame(rows, columns=["form", "file", "text", "cell", "unit"])
    units = df.groupby("text")["unit"].transform("nunique")
    shared = df[units > 1].assign(units=units[units > 1]).sort_values(["text", "file", "form"], kind="stable")
    if shared.empty:
        return
    # per text: the first file of its first unit, and the first file of any other unit
    first = shared.groupby("text").first()[["unit", "file"]]
    shared = shared.join(first.add_suffix("_first"), on="text")
    other = shared[shared["unit"] != shared["unit_first"]].groupby("text")["file"].first()
    shared["example"] = shared["file_first"].where(shared["unit"] != shared["unit_first"],
                                                   shared["text"].map(other))
    for (form, text), group in shared.groupby(["form", "text"], sort=False):
        records[int(form)]["findings"].append({
            "kind": str(FindingKind.BOILERPLATE), "cells": list(group["cell"]), "stated": text, "computed": None,
            "message": f"“{text[:30]}…”与另外 {int(group['units'].iloc[0]) - 1} 个单位的自评表一字不差"
                       f"（如 {group['example'].iloc[0]}）"})


def _weight(findings: list[dict[str, Any]]) -> int:
    return sum(KIND_WEIGHTS[FindingKind(f["kind"])] for f in findings)


def prioritize(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per form, ranked for review; sets each record's ``priority`` (1 = review first).

    The order: inflation first (stated 总分 above the computed one, largest first), then the
    weight of the findings (Σ :data:`~fundanalysis.review.findings.KIND_WEIGHTS`), then the number
    of findings, then file and sheet. A form whose total could not be recomputed has no inflation.
    """
    df = pd.DataFrame({
        "record": range(len(records)),
        "file": [r["file"] for r in records], "sheet": [r["sheet"] for r in records],
        "inflation": [float(Decimal(r["inflation"])) if r.get("inflation") is not None else 0.0 for r in records],
        "weight": [_weight(r["findings"]) for r in records],
        "findings": [len(r["findings"]) for r in records],
    })
    df["inflated"] = df["inflation"].clip(lower=0)
    df = df.sort_values(["inflated", "weight", "findings", "file", "sheet"],
                        ascending=[False, False, False, True, True], kind="stable").reset_index(drop=True)
    df["priority"] = range(1, len(df) + 1)
    for rec_index, priority in zip(df["record"], df["priority"], strict=True):
        records[int(rec_index)]["priority"] = int(priority)
    return df


def kinds_text(findings: list[dict[str, Any]]) -> str:
    """The kinds of a form's findings in words, most weighty first, with counts (``得分与计算不符×2``)."""
    counts: dict[FindingKind, int] = {}
    for f in findings:
        k = FindingKind(f["kind"])
        counts[k] = counts.get(k, 0) + 1
    ordered = sorted(counts, key=lambda k: (-KIND_WEIGHTS[k], list(FindingKind).index(k)))
    return "、".join(KIND_LABELS[k] + (f"×{counts[k]}" if counts[k] > 1 else "") for k in ordered)


def default_workers() -> int:
    """Workers of the default LocalCluster: 2, or 1 on a one-core machine."""
    return max(1, min(2, os.cpu_count() or 1))
