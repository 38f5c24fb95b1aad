"""Small helpers for the benchmarks: run a command and measure it, medians, tables, machine facts.

A measured command runs as a child process; ``os.wait4`` returns that child's own resource
usage, which on Linux covers the child and every descendant it waited for. So each case
gets its own wall time, CPU time (user + system) and peak resident memory (the largest
single process of the tree, in KiB), not a running maximum over the whole benchmark.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Run:
    """One measured run of a command."""

    wall_s: float
    cpu_s: float
    maxrss_kb: int
    rc: int
    log: str = ""
    tree_rss_kb: int = 0   # peak of the summed RSS of all processes of the run (sampled)

    @property
    def ok(self) -> bool:
        return self.rc == 0


class CommandFailed(RuntimeError):
    """A benchmarked command exited non-zero; the message ends with its log tail."""


class TreeSampler:
    """Samples every process of a run from /proc: its session (``start_new_session``) and descendants.

    Keeps each process's last seen user+system CPU time and the peak of the summed resident
    memory. Sampling every ``interval`` seconds, a process that lives shorter than that may be
    missed, and up to one interval of each process's CPU time; Linux only (elsewhere: zeros).
    """

    _TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    _PAGE_KB = (os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096) // 1024

    def __init__(self, sid: int, interval: float = 0.1):
        self.sid = sid
        self.interval = interval
        self.cpu_ticks: dict[tuple[int, int], int] = {}   # (pid, start time) → CPU ticks
        self.peak_total_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        if Path("/proc/self/stat").exists():
            self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
            self.sample()

    @property
    def cpu_s(self) -> float:
        return sum(self.cpu_ticks.values()) / self._TICK

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        procs: dict[int, tuple[int, int, int, int, int]] = {}  # pid → ppid, sid, start, ticks, rss
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    f = fh.read().rsplit(b")", 1)[1].split()
                # f[0] is field 3 of proc(5): ppid 4, session 6, utime 14, stime 15, starttime 22, rss 24
                procs[int(name)] = (int(f[1]), int(f[3]), int(f[19]), int(f[11]) + int(f[12]), int(f[21]))
            except (OSError, IndexError, ValueError):
                continue
        # in the tree: the run's session, anything seen in it before (orphans keep their start
        # time), and children of those (jupyter_client starts kernels in a session of their own)
        tree = {pid for pid, (_, sid, start, _, _) in procs.items()
                if sid == self.sid or (pid, start) in self.cpu_ticks}
        grew = True
        while grew:
            new = {pid for pid, (ppid, *_) in procs.items() if ppid in tree and pid not in tree}
            tree |= new
            grew = bool(new)
        total = 0
        for pid in tree:
            _, _, start, ticks, rss = procs[pid]
            self.cpu_ticks[pid, start] = ticks
            total += rss * self._PAGE_KB
        self.peak_total_kb = max(self.peak_total_kb, total)


#: A measured command still running after this many seconds is killed (its own process group).
TIMEOUT_S = 1800


def child_env() -> dict[str, str]:
    """The environment for measured commands: this one, with the venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("MPLBACKEND", None)
    return env


def run(cmd: Sequence[str | os.PathLike[str]], cwd: Path, log: Path, env: dict[str, str] | None = None,
        check: bool = True, timeout: float = TIMEOUT_S) -> Run:
    """Run ``cmd`` with stdout and stderr to ``log``; measure wall, CPU and peak RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        fh.write(("$ " + " ".join(map(str, cmd)) + f"   (cwd {cwd})\n").encode())
        fh.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env or child_env(),
                                start_new_session=True)
        watchdog = threading.Timer(timeout, _kill_group, (proc.pid,))
        watchdog.daemon = True
        watchdog.start()
        sampler = TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            wall = time.perf_counter() - t0
            watchdog.cancel()
            sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not by Popen
    # wait4 counts only descendants that were waited for; the sampler also sees the others
    # (e.g. a multiprocessing fork server and its workers), so take the larger CPU figure
    r = Run(wall, max(ru.ru_utime + ru.ru_stime, sampler.cpu_s), int(ru.ru_maxrss), proc.returncode,
            str(log), sampler.peak_total_kb)
    if check and not r.ok:
        raise CommandFailed(f"exit {r.rc}: {' '.join(map(str, cmd))}\n{tail(log)}")
    return r


def run_all(cmds: Sequence[Sequence[str | os.PathLike[str]]], cwd: Path, log_dir: Path,
            workers: int | None = None) -> list[Run]:
    """Run set-up commands side by side (not measurements), each with its own log; raise if one fails."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        futs = [pool.submit(run, c, cwd, log_dir / f"setup-{i}.log") for i, c in enumerate(cmds)]
        return [f.result() for f in futs]


def _kill_group(pid: int) -> None:
    """Stop a measured command that hangs: its own session's process group, nothing else."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def tail(path: str | Path, lines: int = 15) -> str:
    """The last lines of a log file, indented."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    | " + t for t in text[-lines:])


def median(xs: Sequence[float]) -> float:
    """Median, or NaN for no values."""
    return statistics.median(xs) if xs else float("nan")


@dataclass
class Stat:
    """Runs of one case summarised: median and spread of wall time, CPU time and peak RSS."""

    name: str
    runs: list[Run] = field(default_factory=list)

    def add(self, r: Run) -> Run:
        self.runs.append(r)
        return r

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def wall(self) -> float:
        return median([r.wall_s for r in self.runs])

    @property
    def cpu(self) -> float:
        return median([r.cpu_s for r in self.runs])

    @property
    def rss_mb(self) -> float:
        """Largest single process (ru_maxrss), MB."""
        return max((r.maxrss_kb for r in self.runs), default=0) / 1024

    @property
    def tree_mb(self) -> float:
        """Peak of the summed RSS of the run's processes (sampled), MB."""
        return max((r.tree_rss_kb for r in self.runs), default=0) / 1024

    def spread(self) -> str:
        ws = [r.wall_s for r in self.runs]
        return f"{min(ws):.1f}–{max(ws):.1f}" if len(ws) > 1 else "—"

    def as_dict(self) -> dict[str, Any]:
        return {"median_s": self.wall, "cpu_median_s": self.cpu, "peak_rss_mb": self.rss_mb,
                "peak_tree_rss_mb": self.tree_mb, "runs": self.n, "all_s": [r.wall_s for r in self.runs]}


def ratio(a: float, b: float) -> float:
    """a / b, NaN if undefined."""
    return a / b if b and b == b and a == a else float("nan")


def fx(x: float, digits: int = 1) -> str:
    """A ratio as text: 4.3x."""
    return "n/a" if x != x else f"{x:.{digits}f}x"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int]
          ) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    def line(cells: Sequence[Any]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths, strict=False)):
            s = str(c)
            out.append(s.ljust(w) if i == 0 else s.rjust(w))
        return "  " + " ".join(out).rstrip()

    first = title.ljust(widths[0] + 2) + " ".join(str(h).rjust(w) for h, w in
                                                  zip(header, widths[1:], strict=False))
    return "\n".join([first.rstrip(), *(line(r) for r in rows)])


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, as text."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine_facts() -> dict[str, Any]:
    """CPU model, cores, memory, versions and the state of the work tree."""
    facts: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = {k.strip(): v.strip() for k, v in (
            ln.split(":", 1) for ln in Path("/proc/meminfo").read_text().splitlines() if ":" in ln)}
        facts["mem_total"] = mem.get("MemTotal")
        facts["mem_available"] = mem.get("MemAvailable")
    except OSError:
        pass
    facts["loadavg"] = loadavg()
    git = shutil.which("git")
    if git:
        def g(*args: str) -> str:
            return subprocess.run([git, *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        facts["git_head"] = g("rev-parse", "--short", "HEAD")
        dirty = [ln for ln in g("status", "--porcelain", "--", "src", "notebooks").splitlines() if ln]
        facts["git_dirty_src_notebooks"] = len(dirty)
    versions = {}
    for mod in ("pandas", "pandera", "python_calamine", "matplotlib", "papermill", "nbconvert",
                "ipykernel", "pyarrow", "openpyxl"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod.replace("_", "-"))
        except Exception:
            versions[mod] = "absent"
    facts["versions"] = versions
    return facts


def dump(obj: Any) -> Any:
    """Dataclasses and paths to JSON-ready values."""
    if hasattr(obj, "__dataclass_fields__"):
        return dump(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): dump(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [dump(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and obj != obj:
        return None
    return obj
