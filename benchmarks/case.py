"""One measured case, run in its own process by ``run.py`` (so peak memory is per case).

    python benchmarks/case.py RESULT.json MODE ARG...

Modes:
  floor DATA_DIR YEAR    import pandas, matplotlib, nbconvert (and seaborn if installed), then
                         process_year + summarise: the least any report needs
  calamine XLSX SHEET    python-calamine's bare read of one sheet to Python lists
  csv CSV                pandas.read_csv as fundanalysis.storage reads a sheet CSV (all text)
  parquet PARQUET        pandas.read_parquet
  pipeline DATA_DIR YEAR pipeline.process_year (read, clean, validate, pandera)
                         + metrics.category_totals
  watch DATA_DIR OUT_DIR FUND YEAR EDITS [FULL_OUT_DIR]
                         ``fundanalysis report --watch`` in this process (pipeline.watch.watch_reports):
                         after its first build, change one cell of the year's workbook EDITS times
                         and time each rebuild (the build itself, and from the save to the publish);
                         with FULL_OUT_DIR, a full build of the year (``fundanalysis report --year
                         YEAR --force`` into FULL_OUT_DIR) is timed beside each rebuild, the two
                         alternating, so the ratio compares runs made under the same load

The result file gets the seconds of the work itself (imports excluded, except for ``floor``,
which is about imports), the rows seen, and the peak resident memory after imports and at the end.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _rss_kb() -> int:
    """Peak resident memory of this process so far, in KiB.

    VmHWM from /proc is the high-water mark of this program's own memory map; ru_maxrss is
    the fallback, though on Linux it also counts the parent's size at fork time.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _full_build(data: Path, out: Path, year: int) -> float:
    """Seconds of one ``fundanalysis report --year YEAR --force`` (a new process, as a user runs it)."""
    import subprocess

    cmd = [str(Path(sys.executable).parent / "fundanalysis"), "report", "--year", str(year), "--data-dir", str(data),
           "--out-dir", str(out), "--force"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _watch(data: Path, out: Path, fund: str, year: int, edits: int, full_out: Path | None = None
           ) -> dict[str, object]:
    """Rebuilds by the watch after one cell of ``year`` changes (see the module's docstring)."""
    import queue
    import threading

    from synth import edit_cell

    from fundanalysis.pipeline.watch import watch_reports
    from fundanalysis.storage import catalog

    built: queue.Queue[tuple[list[tuple[str, int]], float, float]] = queue.Queue()
    stop = threading.Event()
    years = catalog.list_years(data, fund)
    log = open(out.parent / "watch.log", "a", encoding="utf-8")
    thread = threading.Thread(target=watch_reports, daemon=True, kwargs=dict(
        targets=lambda: [(fund, y) for y in years], data_dir=data, out_dir=out, stop=stop,
        echo=lambda m: print(m, file=log, flush=True),
        on_build=lambda b, s: built.put((b, s, time.perf_counter()))))
    thread.start()
    first = built.get(timeout=600)
    book = next(catalog.year_dir(data, fund, year).glob("*.xlsx"))
    latency, seconds, rebuilt, full = [], [], [], []
    for k in range(edits):
        if full_out is not None and k % 2 == 1:  # alternate: full build first on odd rounds
            full.append(_full_build(data, full_out, year))
        edit_cell(book, "媒体单位", "金额", 2, f"{70 + k}.5万元")
        t0 = time.perf_counter()
        while True:
            done, secs, at = built.get(timeout=600)
            if done:
                break
        latency.append(at - t0)
        seconds.append(secs)
        record = json.loads((catalog.year_output(out, fund, year) / "build.json").read_text(encoding="utf-8"))
        rebuilt.append(record.get("rebuilt"))
        if full_out is not None and k % 2 == 0:
            full.append(_full_build(data, full_out, year))
    stop.set()
    thread.join(60)
    log.close()
    return {"seconds": seconds[-1] if seconds else None, "first_build_s": first[1], "rebuild_s": seconds,
            "save_to_publish_s": latency, "rebuilt": rebuilt, "full_build_s": full}


def main(argv: list[str]) -> None:
    out, mode, *args = argv
    t_start = time.perf_counter()
    result: dict[str, object] = {"mode": mode}
    if mode == "floor":
        import matplotlib.pyplot  # noqa: F401
        import nbconvert  # noqa: F401
        import pandas  # noqa: F401

        try:
            import seaborn  # noqa: F401

            result["seaborn"] = True
        except ImportError:
            result["seaborn"] = False
        from fundanalysis.analysis.key_figures import summarise
        from fundanalysis.ingest.load import process_year

        t_imports = time.perf_counter()
        parsed = process_year(Path(args[0]), int(args[1]))
        summary = summarise(parsed.tables)
        t_end = time.perf_counter()
        result.update(imports_s=t_imports - t_start, metrics_s=t_end - t_imports,
                      seconds=t_end - t_start, rows=len(summary["award_categories"]))
    elif mode == "calamine":
        from python_calamine import CalamineWorkbook

        rss0 = _rss_kb()
        t0 = time.perf_counter()
        rows = CalamineWorkbook.from_path(args[0]).get_sheet_by_name(args[1]).to_python()
        result.update(seconds=time.perf_counter() - t0, rows=len(rows) - 1, rss_after_imports_kb=rss0)
    elif mode == "csv":
        import pandas as pd

        rss0 = _rss_kb()
        t0 = time.perf_counter()
        df = pd.read_csv(args[0], dtype=str, keep_default_na=False, header=None,
                         encoding="utf-8-sig", engine="pyarrow")
        result.update(seconds=time.perf_counter() - t0, rows=len(df) - 1, rss_after_imports_kb=rss0)
    elif mode == "parquet":
        import pandas as pd
        import pyarrow.parquet  # noqa: F401

        rss0 = _rss_kb()
        t0 = time.perf_counter()
        df = pd.read_parquet(args[0])
        result.update(seconds=time.perf_counter() - t0, rows=len(df), rss_after_imports_kb=rss0)
    elif mode == "pipeline":
        import python_calamine  # noqa: F401

        import fundanalysis.ingest.schemas  # noqa: F401  (pandera and its backends: an import, not work)
        from fundanalysis.analysis import metrics
        from fundanalysis.ingest.load import process_year

        rss0 = _rss_kb()
        t0 = time.perf_counter()
        parsed = process_year(Path(args[0]), int(args[1]))
        cats = metrics.category_totals(parsed.tables["award_categories"])
        result.update(seconds=time.perf_counter() - t0, rows=len(parsed.tables.get("awards", [])),
                      categories=len(cats), rss_after_imports_kb=rss0)
    elif mode == "watch":
        result.update(_watch(Path(args[0]), Path(args[1]), args[2], int(args[3]), int(args[4]),
                             Path(args[5]) if len(args) > 5 else None))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    result["rss_peak_kb"] = _rss_kb()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
