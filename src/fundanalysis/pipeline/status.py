"""What a scheduled run leaves for someone to look at: ``<out>/status.json``, a log of every
failed run (bad input included), and the ``--on-failure`` command that tells someone.

``status.json`` holds the last run (when, which command, its exit code and result, its log) and,
per fund and year, the last success and the last failure. It is rewritten atomically under its
own lock, so runs of several funds at once each keep the others' entries.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fundanalysis.errors import StorageError
from fundanalysis.storage import files, locks

#: The status file in the output folder.
STATUS_FILE = "status.json"
#: What each exit code means, as status.json and the failure summary say it.
RESULTS = {0: "ok", 1: "build failed", 2: "bad input", 3: "locked", 4: "cannot write"}
#: Seconds an ``--on-failure`` command may run before it is stopped.
HOOK_TIMEOUT_S = 300


def now() -> str:
    """The time now, as status.json and the pages write it (local time with its UTC offset)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def result_word(code: int) -> str:
    """The result an exit code stands for."""
    return RESULTS.get(code, "stopped by a signal" if code >= 128 else "failed")


def failure_summary(command: str, code: int, message: str, log: Path | None) -> str:
    """The text a failure hook gets: what ran, how it ended, why, and where the log is."""
    lines = [f"fundanalysis {command}: exit {code} ({result_word(code)}) at {now()}", message.strip()]
    if log is not None:
        lines.append(f"log: {log}")
    return "\n".join(line for line in lines if line) + "\n"


def write_failure_log(out_dir: Path, command: str, code: int, message: str) -> Path | None:
    """A log of a failed run in ``<out>/logs/`` (a build writes its own log only once it has
    started; a run refused before that still leaves one); None if it cannot be written."""
    try:
        path = Path(out_dir) / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
        files.write_text(path, failure_summary(command, code, message, None))
        return path
    except (OSError, StorageError):
        return None


def record_run(out_dir: Path, command: str, code: int, message: str, ok: Sequence[tuple[str, int]],
               failed: Sequence[tuple[str, int]], log: Path | None) -> Path | None:
    """Update ``status.json`` with this run and the fund-years it confirmed (``ok``) or did not
    (``failed``); None if the output folder cannot be written (a read-only folder is not an error)."""
    out_dir = Path(out_dir)
    at = now()
    try:
        with locks.status_lock(out_dir):
            path = out_dir / STATUS_FILE
            try:
                status = files.read_json(path)
            except (OSError, ValueError):
                status = {}
            if not isinstance(status, dict) or not isinstance(status.get("funds"), dict):
                status = {"funds": {}}
            status["last_run"] = {"at": at, "command": command, "exit_code": code, "result": result_word(code),
                                  **({"summary": message.strip()} if code else {}),
                                  **({"log": str(log)} if log is not None else {})}
            for (fund, year), key in [(t, "ok") for t in ok] + [(t, "failed") for t in failed]:
                entry = status["funds"].setdefault(fund, {}).setdefault(str(year), {})
                if key == "ok":
                    entry["last_success"] = at
                else:
                    entry["last_failure"] = {"at": at, "exit_code": code, "result": result_word(code),
                                             "summary": message.strip()}
            files.write_text(path, json.dumps(status, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
            return path
    except (OSError, StorageError):
        return None


def run_hook(command_line: str, code: int, summary: str, say: Callable[[str], None]) -> int | None:
    """Run the ``--on-failure`` command (split as a shell would, but run without one), the summary
    on its stdin and in ``FUNDANALYSIS_SUMMARY``, the exit code in ``FUNDANALYSIS_EXIT``; its exit
    code, or None (with a note) if it could not be run. It never changes the run's own exit code."""
    try:
        argv = shlex.split(command_line)
    except ValueError as exc:
        say(f"note: --on-failure {command_line!r} cannot be split into a command: {exc}")
        return None
    if not argv:
        return None
    env = {**os.environ, "FUNDANALYSIS_EXIT": str(code), "FUNDANALYSIS_SUMMARY": summary}
    try:
        done = subprocess.run(argv, input=summary.encode("utf-8"), env=env, timeout=HOOK_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        say(f"note: --on-failure {argv[0]!r} could not be run: {exc}")
        return None
    if done.returncode:
        say(f"note: --on-failure {argv[0]!r} exited with code {done.returncode}")
    return done.returncode


def read_status(out_dir: Path) -> dict[str, Any]:
    """``status.json`` as written ({} if there is none)."""
    with contextlib.suppress(OSError, ValueError):
        status = files.read_json(Path(out_dir) / STATUS_FILE)
        if isinstance(status, dict):
            return status
    return {}
