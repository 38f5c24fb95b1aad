"""Benchmarks B1–B4 of fundanalysis: medians and ratios, measured side by side in one run.

    .venv/bin/python benchmarks/run.py [--quick] [--only B1,B3] [--json PATH] [--keep]

B1  one year (2019): ``fundanalysis report`` against the naive loop (papermill CLI, then
    ``jupyter nbconvert --to html --no-input``, per notebook) and against the floor (one
    process: imports + metrics). Alternating order, median of 3 runs each (1 with --quick).
B2  SYNTHETIC years 2031–2040 (the 2019 workbook, amounts perturbed) built with one
    ``fundanalysis report --force``: 1, 2, 5 and 10 years, time per year.
B3  a large input: 100,000 recipient rows in an xlsx (bare python-calamine read against
    process_year + category_totals), 1,000,000 rows from CSV and from Parquet; peak memory.
B4  HTML size per section of the B1 build, and ``fundanalysis summary --year 2019`` (median of 5).

Benchmarks are not tests: nothing here asserts on time; targets are printed beside results.
Every input and output lives in one temporary folder (removed at the end unless --keep);
nothing is downloaded and nothing under data/ or outputs/ is touched.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import benchlib as bl
from benchlib import BIN, ROOT, Run, Stat, fx, ratio, table

YEAR = 2019
FUND = "changzhou-industrial-internet"
SRC_YEAR_DIR = ROOT / "data" / "raw" / FUND / str(YEAR)
#: The fund the synthetic inputs are written under (see synth.py).
SYNTH_FUND = "synthetic-bench"
NOTEBOOKS = ROOT / "notebooks" / "reports"
CASE = Path(__file__).resolve().parent / "case.py"
SYNTH = Path(__file__).resolve().parent / "synth.py"
SYNTH_YEARS = list(range(2031, 2041))
B2_SWEEP = (1, 2, 5, 10)
B3_YEAR = 2050
B3_ROWS, B3_BIG_ROWS = 100_000, 1_000_000


def say(msg: str) -> None:
    """Progress, to stderr (the tables go to stdout)."""
    print(msg, file=sys.stderr, flush=True)


def _applies(nb: Path) -> bool:
    """Whether a report notebook has a page for 2019 (a section needs tables the year has)."""
    from fundanalysis.build.notebooks import discover_sections
    from fundanalysis.ingest.load import load_tables

    if "tables" not in _CACHE:
        _CACHE["tables"] = load_tables(ROOT / "data", YEAR, FUND)
    return next(s for s in discover_sections(NOTEBOOKS) if s.path.stem == nb.stem).applies(_CACHE["tables"])


_CACHE: dict[str, Any] = {}


def fundanalysis(*args: Any) -> list[str]:
    return [str(BIN / "fundanalysis"), *map(str, args)]


def copy_year(dest_data: Path, year: int = YEAR) -> Path:
    """A fresh data folder holding only raw/<fund>/<year> copied from the project's data."""
    shutil.copytree(SRC_YEAR_DIR, dest_data / "raw" / FUND / str(year))
    return dest_data


def page_parts(p: Path) -> tuple[float, float, float]:
    """KB of an HTML page, of its embedded @font-face rules and of its base64 images (NaN if absent)."""
    if not p.is_file():
        return float("nan"), float("nan"), float("nan")
    text = p.read_text(encoding="utf-8", errors="replace")
    font = sum(len(m) for m in re.findall(r"@font-face[^}]*}", text))
    images = sum(len(m) for m in re.findall(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=]+", text))
    return p.stat().st_size / 1024, font / 1024, images / 1024


class Bench:
    """Shared state: the temp folder, repeat counts, results for the tables and the JSON."""

    def __init__(self, args: argparse.Namespace, work: Path):
        self.args = args
        self.work = work
        self.repeats = 1 if args.quick else args.repeats
        self.results: dict[str, Any] = {}
        self.last_build: Path | None = None   # B1's last `report` output folder, for B4
        self.last_data: Path | None = None    # ... and its data folder (processed/ written)
        self.naive_out: Path | None = None
        self.out: list[str] = []

    def emit(self, text: str = "") -> None:
        print(text, flush=True)
        self.out.append(text)

    # ------------------------------------------------------------------ B1

    def b1(self) -> None:
        notebooks = [nb for nb in sorted(NOTEBOOKS.glob("*.ipynb")) if _applies(nb)]
        jupyter = ([str(BIN / "jupyter"), "nbconvert"] if (BIN / "jupyter").exists()
                   else [sys.executable, "-m", "nbconvert"])
        ours, naive, floor = Stat("fundanalysis report"), Stat("naive papermill loop"), Stat("floor")
        floor_parts: list[dict[str, Any]] = []
        base = self.work / "b1"
        for r in range(self.repeats):
            order = ("ours", "naive") if r % 2 == 0 else ("naive", "ours")
            for side in order:
                d = base / f"{side}-{r}"
                data = copy_year(d / "data")
                out = d / "out"
                if side == "ours":
                    run = ours.add(bl.run(fundanalysis("report", "--year", YEAR, "--data-dir", data,
                                                       "--out-dir", out, "--force"),
                                          cwd=d, log=d / "log.txt"))
                    built = out / FUND / str(YEAR)
                    missing = [nb.stem for nb in notebooks if not (built / f"{nb.stem}.html").is_file()]
                    self.last_build, self.last_data = out / FUND / str(YEAR), data
                else:
                    out.mkdir(parents=True)
                    parts: list[Run] = []
                    for nb in notebooks:
                        out_nb = out / nb.name
                        parts.append(bl.run([str(BIN / "papermill"), nb.name, out_nb, "-p", "year", YEAR,
                                             "-p", "data_dir", data, "-p", "out_dir", out],
                                            cwd=nb.parent, log=d / "log.txt"))
                        parts.append(bl.run([*jupyter, "--to", "html", "--no-input", out_nb],
                                            cwd=out, log=d / "log.txt"))
                    run = naive.add(Run(sum(p.wall_s for p in parts), sum(p.cpu_s for p in parts),
                                        max(p.maxrss_kb for p in parts), 0, str(d / "log.txt"),
                                        max(p.tree_rss_kb for p in parts)))
                    missing = [nb.stem for nb in notebooks if not (out / f"{nb.stem}.html").is_file()]
                    self.naive_out = out
                if missing:
                    raise bl.CommandFailed(f"B1 {side}: no HTML for {missing}; see {d / 'log.txt'}")
                say(f"  B1 round {r + 1}/{self.repeats}: {side:5s} {run.wall_s:6.1f} s")
            d = base / f"floor-{r}"
            data = copy_year(d / "data")
            res = d / "result.json"
            run = floor.add(bl.run([sys.executable, CASE, res, "floor", data, YEAR], cwd=d, log=d / "log.txt"))
            floor_parts.append(json.loads(res.read_text()))
            say(f"  B1 round {r + 1}/{self.repeats}: floor {run.wall_s:6.1f} s")
        seaborn = floor_parts[-1].get("seaborn")
        speedup = ratio(naive.wall, ours.wall)
        imports_s = bl.median([p["imports_s"] for p in floor_parts])
        metrics_s = bl.median([p["metrics_s"] for p in floor_parts])
        rows = [[s_label, f"{s.wall:.1f}", s.spread(), f"{s.cpu:.1f}", f"{s.tree_mb:.0f}", s.n]
                for s_label, s in (("fundanalysis report", ours), ("naive papermill loop", naive),
                                   ("floor (imports+metrics)", floor))]
        self.emit(table(f"B1 one year ({YEAR})", ["median s", "min–max", "cpu s", "peak MB", "runs"],
                        rows, [28, 9, 11, 7, 8, 5]))
        self.emit(f"  {'speed-up naive/ours':28s} {fx(speedup):>9s}   (target ≥4x, aim 8x: "
                  f"{'met' if speedup >= 4 else 'not met'})")
        self.emit(f"  {'ours/floor':28s} {fx(ratio(ours.wall, floor.wall)):>9s}")
        self.emit(f"  {'naive/floor':28s} {fx(ratio(naive.wall, floor.wall)):>9s}")
        self.emit(f"  floor = one process: imports {imports_s:.1f} s (pandas, matplotlib.pyplot, nbconvert, "
                  f"fundanalysis; seaborn {'imported' if seaborn else 'not installed, skipped'}) "
                  f"+ process_year and summarise {metrics_s:.2f} s")
        self.emit("  ours also writes charts (PNG), summary.json, index.html with an embedded font subset "
                  "and processed tables;")
        self.emit("  naive writes only the 4 executed notebooks and 4 HTML pages. cpu s = user+sys of all the "
                  "run's processes;")
        self.emit("  peak MB = peak of their summed resident memory (both sampled from /proc every 0.1 s).")
        self.emit()
        self.results["B1"] = {"ours": ours.as_dict(), "naive": naive.as_dict(), "floor": floor.as_dict(),
                              "floor_imports_s": imports_s, "floor_metrics_s": metrics_s,
                              "seaborn_installed": seaborn, "speedup_naive_over_ours": speedup,
                              "ours_over_floor": ratio(ours.wall, floor.wall)}

    # ------------------------------------------------------------------ B2

    def b2(self) -> None:
        sweep = [n for n in B2_SWEEP if n <= self.args.b2_years]
        if self.args.b2_years not in sweep:
            sweep.append(self.args.b2_years)
        n_max = max(sweep)
        years = SYNTH_YEARS[:n_max] if n_max <= len(SYNTH_YEARS) else list(range(2031, 2031 + n_max))
        base = self.work / "b2"
        base.mkdir(parents=True)
        t0 = time.perf_counter()
        gen = base / "generated"
        bl.run([sys.executable, SYNTH, "years", SRC_YEAR_DIR / f"fund-{YEAR}.xlsx", gen, *years], cwd=base,
               log=base / "generate.log")
        t_gen = time.perf_counter() - t0
        checks = bl.run_all([fundanalysis("check", "--year", y, "--data-dir", gen) for y in years], cwd=base,
                            log_dir=base / "check")
        say(f"  B2 generated {len(years)} synthetic years in {t_gen:.1f} s; `fundanalysis check` OK for all "
            f"({bl.median([c.wall_s for c in checks]):.1f} s each)")
        stats: dict[int, Stat] = {}
        for n in sweep:
            d = base / f"n{n}"
            for y in years[:n]:
                shutil.copytree(gen / "raw" / SYNTH_FUND / str(y), d / "data" / "raw" / SYNTH_FUND / str(y))
            st = stats[n] = Stat(f"{n} years")
            for r in range(self.args.b2_repeats):
                out = d / f"out-{r}"
                run = st.add(bl.run(fundanalysis("report", "--data-dir", d / "data", "--out-dir", out,
                                                 "--force"), cwd=d, log=d / "log.txt"))
                missing = [y for y in years[:n] if not (out / SYNTH_FUND / str(y) / "index.html").is_file()]
                if missing:
                    raise bl.CommandFailed(f"B2: years {missing} not published; see {d / 'log.txt'}")
                say(f"  B2 {n:2d} year(s): {run.wall_s:6.1f} s ({run.wall_s / n:.1f} s/year)")
        b1 = self.results.get("B1", {}).get("ours", {}).get("median_s")
        rows = []
        for n, st in stats.items():
            per = st.wall / n
            rows.append([f"{n} year{'s' if n > 1 else ''} ({years[0]}–{years[n - 1]})" if n > 1
                         else f"1 year ({years[0]})", f"{st.wall:.1f}", f"{per:.1f}",
                         fx(ratio(per, b1), 2) if b1 else "n/a", f"{st.cpu:.1f}", f"{st.tree_mb:.0f}", st.n])
        self.emit(table("B2 synthetic years, one command", ["total s", "s/year", "vs B1 ours", "cpu s",
                                                                 "peak MB", "runs"],
                        rows, [32, 8, 7, 10, 7, 8, 5]))
        top = stats[n_max]
        per_year = top.wall / n_max
        label = f"per-year(B2, {n_max} years) / B1 ours"
        self.emit(f"  {label:34s} "
                  f"{fx(ratio(per_year, b1), 2) if b1 else 'n/a':>9s}{'' if b1 else '   (B1 not run)'}")
        first = stats[sweep[0]].wall / sweep[0]
        label = f"per-year {n_max} years / per-year {sweep[0]} year"
        self.emit(f"  {label:34s} "
                  f"{fx(ratio(per_year, first), 2):>9s}   (below 1x = per-year time falls as years grow)")
        self.emit(f"  inputs: the 2019 workbook with 年度 = year, amounts perturbed ±10 %, 来源 labelled synthetic; "
                  f"generation {t_gen:.1f} s, each checked OK by `fundanalysis check`")
        self.emit()
        self.results["B2"] = {"sweep": {str(n): {**st.as_dict(), "per_year_s": st.wall / n}
                                        for n, st in stats.items()},
                              "years": years, "per_year_s": per_year,
                              "per_year_over_b1_ours": ratio(per_year, b1) if b1 else None,
                              "generation_s": t_gen, "check_median_s": bl.median([c.wall_s for c in checks])}

    # ------------------------------------------------------------------ B3

    def _case(self, stat: Stat, info: list[dict[str, Any]], d: Path, mode: str, *args: Any) -> None:
        d.mkdir(parents=True, exist_ok=True)
        res = d / f"{mode}-{stat.n}.json"
        run = stat.add(bl.run([sys.executable, CASE, res, mode, *args], cwd=d, log=d / "log.txt"))
        got = json.loads(res.read_text())
        info.append(got)
        say(f"  B3 {stat.name}: {got['seconds']:.2f} s work, {run.wall_s:.1f} s process, "
            f"peak {got['rss_peak_kb'] / 1024:.0f} MB")

    def b3(self) -> None:
        base = self.work / "b3"
        t0 = time.perf_counter()
        y = B3_YEAR
        xlsx_dir, csv_dir, pq_dir = base / "xlsx" / "data", base / "csv" / "data", base / "parquet" / "data"
        base.mkdir(parents=True)
        bl.run_all([[sys.executable, SYNTH, "awards-xlsx", xlsx_dir, y, B3_ROWS],
                    [sys.executable, SYNTH, "awards-big", csv_dir, pq_dir, y, B3_BIG_ROWS]],
                   cwd=base, log_dir=base)
        xlsx = xlsx_dir / "raw" / SYNTH_FUND / str(y) / f"fund-{y}.xlsx"
        csv = csv_dir / "raw" / SYNTH_FUND / str(y) / "获奖企业.csv"
        pq = pq_dir / "raw" / SYNTH_FUND / str(y) / "获奖企业.parquet"
        t_gen = time.perf_counter() - t0
        say(f"  B3 generated inputs in {t_gen:.1f} s (xlsx {xlsx.stat().st_size / 2**20:.1f} MiB, "
            f"csv {csv.stat().st_size / 2**20:.0f} MiB, parquet {pq.stat().st_size / 2**20:.1f} MiB)")
        big_repeats = 1 if self.args.quick else self.args.large_repeats
        cases: list[tuple[str, str, int, str, tuple[Any, ...]]] = [
            ("xlsx", "a", self.repeats, "calamine", (xlsx, "获奖企业")),
            ("xlsx", "b", self.repeats, "pipeline", (xlsx_dir, y)),
            ("csv", "a", big_repeats, "csv", (csv,)),
            ("csv", "b", big_repeats, "pipeline", (csv_dir, y)),
            ("parquet", "a", big_repeats, "parquet", (pq,)),
            ("parquet", "b", big_repeats, "pipeline", (pq_dir, y)),
        ]
        labels = {("xlsx", "a"): "100k xlsx (a) calamine bare read",
                  ("xlsx", "b"): "100k xlsx (b) process_year+category_totals",
                  ("csv", "a"): "1M csv (a) pandas.read_csv (pyarrow)",
                  ("csv", "b"): "1M csv (b) process_year+category_totals",
                  ("parquet", "a"): "1M parquet (a) pandas.read_parquet",
                  ("parquet", "b"): "1M parquet (b) process_year+category_totals"}
        stats = {k: (Stat(labels[k[0], k[1]]), []) for k in ((c[0], c[1]) for c in cases)}
        # alternate (a) and (b) of one input, round by round
        for fmt in ("xlsx", "csv", "parquet"):
            mine = [c for c in cases if c[0] == fmt]
            for r in range(max(c[2] for c in mine)):
                for c in (mine if r % 2 == 0 else mine[::-1]):
                    if r < c[2]:
                        st, info = stats[c[0], c[1]]
                        self._case(st, info, base / fmt / "runs", c[3], *c[4])
        rows: list[list[Any]] = []
        out: dict[str, Any] = {"generation_s": t_gen}
        for fmt in ("xlsx", "csv", "parquet"):
            for part in ("a", "b"):
                st, info = stats[fmt, part]
                work = bl.median([i["seconds"] for i in info])
                base_mb = bl.median([i["rss_after_imports_kb"] for i in info]) / 1024
                peak_mb = max(i["rss_peak_kb"] for i in info) / 1024
                rows.append([st.name, f"{work:.2f}", f"{st.wall:.2f}", f"{peak_mb:.0f}",
                             f"{peak_mb - base_mb:.0f}", st.n])
                out[f"{fmt}_{part}"] = {**st.as_dict(), "work_median_s": work,
                                        "rss_after_imports_mb": base_mb, "peak_mb": peak_mb,
                                        "rows": info[-1].get("rows")}
            r_ = ratio(out[f"{fmt}_b"]["work_median_s"], out[f"{fmt}_a"]["work_median_s"])
            out[f"{fmt}_ratio_b_over_a"] = r_
            target = "   (target ≤1.5x: " + ("met)" if r_ <= 1.5 else "not met)") if fmt == "xlsx" else ""
            rows.append([f"  ratio b/a ({fmt})", fx(r_), "", "", "", ""])
            if target:
                rows[-1][0] += target
        self.emit(table("B3 large input", ["work s", "process s", "peak MB", "Δ MB", "runs"], rows,
                        [44, 8, 10, 8, 6, 5]))
        self.emit("  work s = median time of the operation itself (imports excluded); process s = whole child "
                  "process; peak MB = the child's VmHWM")
        self.emit("  (its own peak resident memory); Δ MB = peak minus the peak after imports.")
        self.emit("  1M rows: the year folder holds the workbook (专项资金, 资金组成) and 获奖企业.csv / .parquet.")
        self.emit()
        self.results["B3"] = out

    # ------------------------------------------------------------------ B4

    def b4(self) -> None:
        base = self.work / "b4"
        own_build = self.last_build is None
        if own_build:
            d = base / "build"
            data = copy_year(d / "data")
            run = bl.run(fundanalysis("report", "--year", YEAR, "--data-dir", data, "--out-dir", d / "out",
                                      "--force"), cwd=d, log=d / "log.txt")
            say(f"  B4 built {YEAR} for the sizes ({run.wall_s:.1f} s; B1 was not run)")
            self.last_build, self.last_data = d / "out" / FUND / str(YEAR), data
        data_done = self.last_data if self.last_data is not None else base
        rows = []
        sizes: dict[str, Any] = {}
        for nb in sorted(n for n in NOTEBOOKS.glob("*.ipynb") if _applies(n)):
            p = self.last_build / f"{nb.stem}.html"
            kb, font_kb, img_kb = page_parts(p)
            naive = (self.naive_out / f"{nb.stem}.html") if self.naive_out else None
            nkb = page_parts(naive)[0] if naive else float("nan")
            sizes[nb.stem] = {"ours_kb": kb, "font_css_kb": font_kb, "images_kb": img_kb, "naive_kb": nkb}
            rows.append([f"{nb.stem}.html", f"{kb:.0f}", f"{font_kb:.0f}", f"{img_kb:.0f}",
                         "n/a" if nkb != nkb else f"{nkb:.0f}"])
        idx = self.last_build / "index.html"
        kb, font_kb, img_kb = page_parts(idx)
        rows.append(["index.html (year)", f"{kb:.0f}", f"{font_kb:.0f}", f"{img_kb:.0f}", "—"])
        total = sum(p.stat().st_size for p in self.last_build.rglob("*") if p.is_file()) / 1024
        charts = sum(p.stat().st_size for p in (self.last_build / "charts").glob("*") if p.is_file()) / 1024 \
            if (self.last_build / "charts").is_dir() else 0.0
        rows.append(["whole year folder (incl. charts, notebooks)", f"{total:.0f}", "", "", "—"])
        sizes.update({"index_kb": kb, "year_folder_kb": total, "charts_kb": charts})
        self.emit(table(f"B4 HTML size, {YEAR} build", ["ours KB", "font KB", "images KB", "naive KB"], rows,
                        [44, 8, 8, 10, 9]))
        self.emit("  font KB = the embedded @font-face subset (base64); images KB = base64 data: images in the page.")
        n = 3 if self.args.quick else 5
        raw_only = copy_year(base / "raw-only" / "data")
        built_by = "the build above" if own_build else "B1's last build"
        summ: dict[str, Stat] = {"processed": Stat(f"processed/ current (after {built_by})"),
                                 "raw": Stat("raw only (no processed/ folder)")}
        for i in range(n):
            for key, data in (("processed", data_done), ("raw", raw_only)):
                summ[key].add(bl.run(fundanalysis("summary", "--year", YEAR, "--data-dir", data),
                                     cwd=base, log=base / f"summary-{key}.log"))
            say(f"  B4 summary run {i + 1}/{n}: {summ['processed'].runs[-1].wall_s:.2f} s / "
                f"{summ['raw'].runs[-1].wall_s:.2f} s")
        self.emit(table(f"B4 fundanalysis summary --year {YEAR}", ["median s", "min–max", "runs"],
                        [[s.name, f"{s.wall:.2f}", s.spread(), s.n] for s in summ.values()], [44, 8, 11, 5]))
        self.emit()
        self.results["B4"] = {"html": sizes, "summary_processed": summ["processed"].as_dict(),
                              "summary_raw_only": summ["raw"].as_dict()}

    # ------------------------------------------------------------------ summary

    def summary(self, elapsed: dict[str, float]) -> None:
        r = {k: v for k, v in self.results.items() if "failed" not in v}
        self.emit("Summary")
        for k in sorted(set(self.results) - set(r)):
            self.emit(f"  {k} FAILED (see above)")
        if "B1" in r:
            b = r["B1"]
            self.emit(f"  B1 {YEAR}: ours {b['ours']['median_s']:.1f} s, naive {b['naive']['median_s']:.1f} s, "
                      f"floor {b['floor']['median_s']:.1f} s; speed-up naive/ours "
                      f"{fx(b['speedup_naive_over_ours'])} (target ≥4x, aim 8x); ours/floor "
                      f"{fx(b['ours_over_floor'])}")
        if "B2" in r:
            b = r["B2"]
            sweep = ", ".join(f"{n} y {v['per_year_s']:.1f}" for n, v in b["sweep"].items())
            rel = b["per_year_over_b1_ours"]
            self.emit(f"  B2 s/year: {sweep}; per-year/B1 ours {fx(rel, 2) if rel else 'n/a'}")
        if "B3" in r:
            b = r["B3"]
            self.emit(f"  B3 {B3_ROWS:,} xlsx: bare read {b['xlsx_a']['work_median_s']:.2f} s, pipeline "
                      f"{b['xlsx_b']['work_median_s']:.2f} s, ratio {fx(b['xlsx_ratio_b_over_a'])} (target ≤1.5x); "
                      f"{B3_BIG_ROWS:,} rows: csv {b['csv_b']['work_median_s']:.1f} s "
                      f"(peak {b['csv_b']['peak_mb']:.0f} MB), parquet {b['parquet_b']['work_median_s']:.1f} s "
                      f"(peak {b['parquet_b']['peak_mb']:.0f} MB)")
        if "B4" in r:
            b = r["B4"]
            kbs = [v["ours_kb"] for k, v in b["html"].items() if isinstance(v, dict)]
            self.emit(f"  B4 section HTML {min(kbs):.0f}–{max(kbs):.0f} KB; summary "
                      f"{b['summary_processed']['median_s']:.2f} s (processed) / "
                      f"{b['summary_raw_only']['median_s']:.2f} s (raw only)")
        self.emit("  bench wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in elapsed.items())
                  + f"; total {sum(elapsed.values()):.0f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 run per case (3 for summary) instead of 3 (5)")
    ap.add_argument("--only", default="", help="comma-separated benchmarks to run, e.g. B1,B3 (default all)")
    ap.add_argument("--json", type=Path, help="also write the numbers as JSON to this path")
    ap.add_argument("--repeats", type=int, default=3, help="runs per side in B1 and for 100k rows in B3 "
                    "(default 3)")
    ap.add_argument("--large-repeats", type=int, default=1, help="runs of each 1,000,000-row case (default 1)")
    ap.add_argument("--b2-years", type=int, default=10, help="largest number of synthetic years in B2 "
                    "(default 10; the sweep is 1, 2, 5 and this)")
    ap.add_argument("--b2-repeats", type=int, default=1, help="runs of each B2 build (default 1)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = ap.parse_args(argv)
    wanted = {s.strip().upper().lstrip("B") for s in args.only.split(",") if s.strip()}
    bad = wanted - {"1", "2", "3", "4"}
    if bad:
        ap.error(f"--only: unknown benchmark(s) {sorted(bad)}; use B1, B2, B3, B4")
    args.selected = [f"B{i}" for i in "1234" if not wanted or i in wanted]
    if args.repeats < 1 or args.large_repeats < 1 or args.b2_repeats < 1 or args.b2_years < 1:
        ap.error("repeat counts and --b2-years must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (BIN / "fundanalysis").exists():
        sys.exit(f"{BIN / 'fundanalysis'} not found: run with the project's venv (.venv/bin/python "
                 "benchmarks/run.py, or make bench)")
    facts = bl.machine_facts()
    tmp = Path(tempfile.mkdtemp(prefix="fundanalysis-bench-"))
    bench = Bench(args, tmp)
    bench.emit(f"fundanalysis benchmarks ({', '.join(args.selected)}{'; quick' if args.quick else ''})")
    bench.emit(f"  machine: {facts.get('cpu', '?')}, nproc {facts['nproc']}, MemTotal {facts.get('mem_total')}, "
               f"MemAvailable {facts.get('mem_available')}, load {facts.get('loadavg')}")
    bench.emit(f"  python {facts['python']}; " + ", ".join(f"{k} {v}" for k, v in facts["versions"].items()))
    bench.emit(f"  git HEAD {facts.get('git_head', '?')}, uncommitted files under src/ and notebooks/: "
               f"{facts.get('git_dirty_src_notebooks', '?')}; temp folder {tmp}")
    bench.emit()
    elapsed: dict[str, float] = {}
    loads: dict[str, str] = {}
    status = 0
    try:
        for name in args.selected:
            say(f"{name} ...")
            t0 = time.perf_counter()
            try:
                getattr(bench, name.lower())()
            except Exception as exc:  # one broken benchmark does not stop the others
                status = 1
                detail = str(exc) if isinstance(exc, bl.CommandFailed) else traceback.format_exc()
                bench.emit(f"{name} FAILED: {detail}")
                bench.emit()
                bench.results[name] = {"failed": detail}
            elapsed[name] = time.perf_counter() - t0
            loads[name] = bl.loadavg()
        bench.summary(elapsed)
        bench.emit("  load average (1/5/15 min) after each: " + "; ".join(f"{k} {v}" for k, v in loads.items())
                   + "  (other work on this machine shows here; medians and alternation damp it)")
    finally:
        if args.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(bl.dump({"machine": facts, "quick": args.quick,
                                                 "elapsed_s": elapsed, "loadavg_after": loads,
                                                 **bench.results}),
                                        ensure_ascii=False, indent=2), encoding="utf-8")
        say(f"wrote {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())
