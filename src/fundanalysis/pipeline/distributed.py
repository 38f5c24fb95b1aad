"""``fundanalysis report --scheduler ADDRESS``: the yearly reports built on a Dask cluster, a task per fund-year.

A thin layer over the public build entry point :func:`~fundanalysis.pipeline.orchestrate.build_reports`:
each task calls it for one (fund, year) on a worker, which reads the data folder and publishes into
the output folder at the same paths as the client (a shared file system); the client gathers each
task's outcome (built, up to date, or the failure and its exit status), then calls
``build_reports`` once more for every fund-year: each is up to date by then, so that call only
writes the site index, listing everything published (and builds here, on the client, a year a
worker could not).

The build's own locks (a lock per year, the index lock) keep two tasks from publishing the same
folder at once, whichever machines they run on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundanalysis.config import EXIT_BAD_INPUT, EXIT_BUILD_FAILED, EXIT_LOCKED, EXIT_STORAGE
from fundanalysis.errors import BuildError, InputError, LockedError, StorageError

FundYear = tuple[str, int]


@dataclass(frozen=True)
class TaskOutcome:
    """What one fund-year's task did: ``built`` (False: it was up to date), or its exit ``status``
    (0 = fine, else the exit status ``report`` gives that failure) and ``message``."""

    fund: str
    year: int
    built: bool
    status: int
    message: str


def exit_status(exc: BaseException) -> int:
    """The exit status ``report`` gives a failure.

    >>> exit_status(LockedError("busy")), exit_status(RuntimeError("?"))
    (3, 1)
    """
    for kind, code in ((InputError, EXIT_BAD_INPUT), (LockedError, EXIT_LOCKED), (StorageError, EXIT_STORAGE),
                       (MemoryError, EXIT_STORAGE), (BuildError, EXIT_BUILD_FAILED)):
        if isinstance(exc, kind):
            return code
    return EXIT_BUILD_FAILED


def build_fund_year(fund: str, year: int, data_dir: str, out_dir: str, options: dict[str, Any]) -> TaskOutcome:
    """One task: build one fund-year where the worker runs (never raises: the outcome says how it went)."""
    from fundanalysis.pipeline.orchestrate import build_reports

    opts = dict(options)
    messages: list[str] = []
    try:
        built = build_reports([(fund, year)], Path(data_dir), Path(out_dir), echo=messages.append, wait=True, **opts)
        return TaskOutcome(fund, year, bool(built), 0, "\n".join(messages))
    except Exception as exc:  # reported back as the outcome: one year's failure never stops the others
        return TaskOutcome(fund, year, False, exit_status(exc), f"{type(exc).__name__}: {exc}")


def build_on_cluster(targets: Sequence[FundYear], data_dir: Path, out_dir: Path, scheduler: str,
                     echo: Callable[[str], None] | None = None, **options: Any) -> list[TaskOutcome]:
    """Build ``targets`` on the Dask scheduler at ``scheduler``, one task per fund-year, then write the
    site index once on the client. ``options`` go to ``build_reports`` (``timeout``, ``force``,
    ``notebooks_dir``, ``jobs``).

    Returns every task's outcome, in the order of ``targets``; raises :class:`BuildError` naming
    the fund-years that failed (after the index lists what was published). The workers must see
    ``data_dir``, ``out_dir`` and the notebooks at the same paths as this process.
    """
    from distributed import Client, as_completed

    from fundanalysis.pipeline.orchestrate import build_reports

    say = echo or print
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()
    targets = sorted({(f, int(y)) for f, y in targets})
    with Client(scheduler) as client:
        futures = [client.submit(build_fund_year, f, y, str(data_dir), str(out_dir), options, pure=False)
                   for f, y in targets]
        outcomes: dict[FundYear, TaskOutcome] = {}
        for future in as_completed(futures):
            o: TaskOutcome = future.result()
            outcomes[(o.fund, o.year)] = o
            state = "built" if o.built else "up to date" if o.status == 0 else f"failed (exit {o.status})"
            say(f"[{o.fund} {o.year}] {state} on the cluster" + (f": {o.message}" if o.status else ""))
    ordered = [outcomes[t] for t in targets]
    failed = [o for o in ordered if o.status]
    ok = [(o.fund, o.year) for o in ordered if not o.status]
    if ok:  # every year built above is current: this call writes the site index (once, here)
        final = {k: v for k, v in options.items() if k != "force"}
        build_reports(ok, data_dir, out_dir, echo=say, **final)
    if failed:
        raise BuildError("on the cluster, " + "; ".join(f"{o.fund} {o.year}: {o.message}" for o in failed))
    return ordered
