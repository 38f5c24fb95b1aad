"""``fundanalysis report --watch``: build, then rebuild what changed each time an input is saved.

The watch keeps one pool of warm Jupyter kernels (the libraries imported) across builds, so
a rebuild pays only for what changed: the year's validation, the sections whose inputs changed,
the year's index. Saves are noticed by polling the files' sizes and times (cheap); whether
anything is to be rebuilt is still decided by content digests, as in every build. A save that
leaves a workbook half-written or wrong is reported (file, sheet, row, column) and the watch waits
for the next save. A change to the library's own code restarts the process (the kernels hold
the old code).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fundanalysis.config import REPORT_NOTEBOOKS_DIR
from fundanalysis.errors import BuildError, InputError, LockedError, StorageError
from fundanalysis.pipeline.orchestrate import FundYear, build_reports
from fundanalysis.pipeline.runners import KernelRunner
from fundanalysis.storage import catalog, digests

#: Seconds between two looks at the files; a change must then hold still this long before a build.
POLL_S = 0.5


class CodeChanged(Exception):
    """The library's code changed while watching: the process must restart to use it."""


def watched_files(data_dir: Path, funds: Sequence[str], notebooks_dir: Path) -> list[Path]:
    """The files whose saving triggers a look: every fund's raw input and policy, the notebooks."""
    from fundanalysis.storage import notebook_files

    paths: list[Path] = []
    for fund in funds:
        for y in catalog.list_years(data_dir, fund):
            paths += catalog.input_files(data_dir, fund, y)
            policy = catalog.policy_file(data_dir, fund, y)
            if policy is not None:
                paths.append(policy)
    return paths + notebook_files.report_notebooks(notebooks_dir)


def watch_reports(targets: Callable[[], Sequence[FundYear]], data_dir: Path, out_dir: Path,
                  jobs: int | None = None, timeout: int = 600,
                  notebooks_dir: Path = REPORT_NOTEBOOKS_DIR, echo: Callable[[str], None] | None = None,
                  stop: threading.Event | None = None,
                  on_build: Callable[[list[FundYear], float], None] | None = None) -> None:
    """Build ``targets()`` now and again after every save, until ``stop`` is set (or Ctrl-C).

    ``on_build`` is told what each build built and how long it took. Raises :class:`CodeChanged`
    when the library's code changes (see :func:`restart`).
    """
    say = echo or (lambda m: print(m, file=sys.stderr, flush=True))
    stop = stop or threading.Event()
    size = max(1, jobs or os.cpu_count() or 2)
    runner = KernelRunner(size, notebooks_dir)
    code = digests.code_digest()
    seen: object = None
    absent: str | None = None  # why the input cannot be looked at now, while it is absent
    try:
        while not stop.is_set():
            try:
                now_targets = list(targets())
                state = digests.files_state(watched_files(data_dir, sorted({f for f, _ in now_targets}),
                                                          notebooks_dir) + digests.code_files())
            except (InputError, OSError) as exc:
                # a workbook briefly absent (an editor saving by writing a new file and renaming
                # it) or a folder being replaced: say so once, and build when it is back
                if str(exc) != absent:
                    say(f"input not available now, waiting for it to be saved again:\n{exc}")
                absent, seen = str(exc), object()
                stop.wait(POLL_S)
                continue
            if absent is not None:
                say("input is back; building it once it holds still")
                absent = None
            if state != seen:
                if seen is not None and stop.wait(POLL_S):  # let a save finish before reading it
                    break
                seen = state
                digests.code_digest.cache_clear()
                if digests.code_digest() != code:
                    raise CodeChanged("the library's code changed; restarting to use it")
                t0 = time.perf_counter()
                try:
                    built = build_reports(now_targets, data_dir, out_dir, jobs=jobs, timeout=timeout,
                                          notebooks_dir=notebooks_dir, echo=say, runner=runner)
                except InputError as exc:
                    say(f"input has problems (fix them and save again):\n{exc}")
                    built = []
                except (BuildError, LockedError, StorageError, OSError) as exc:
                    say(f"build failed: {exc}")
                    built = []
                except Exception as exc:  # the watch never exits on a build's failure; the next save builds
                    say(f"build failed: {type(exc).__name__}: {exc}")
                    built = []
                seconds = time.perf_counter() - t0
                if built:
                    say(f"rebuilt {len(built)} year(s) in {seconds:.1f}s; watching for changes (Ctrl-C stops)")
                if on_build is not None:
                    on_build(built, seconds)
            stop.wait(POLL_S)
    finally:
        runner.close()


def restart() -> None:
    """Run this process's command again from the start (after :class:`CodeChanged`)."""
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
