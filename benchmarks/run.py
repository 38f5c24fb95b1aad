"""Benchmarks B1–B6 of fundanalysis: medians and ratios, measured side by side in one run.

    .venv/bin/python benchmarks/run.py [--quick] [--only B1,B3] [--json PATH] [--keep] [--baseline-tree PATH]

B1  one year (2019): ``fundanalysis report`` against the naive loop (papermill CLI, then
    ``jupyter nbconvert --to html --no-input``, per notebook) and against the floor (one
    process: imports + metrics). Alternating order, median of 3 runs each (1 with --quick).
    With ``--baseline-tree PATH`` (another checkout of the project, e.g. a ``git worktree`` of an
    older commit), ``fundanalysis report`` of that tree's code and notebooks is a further side
    ("before"), run with this venv and ``PYTHONPATH=PATH/src``: before, after and naive in one run.
B2  a department's batch: 5 SYNTHETIC funds × 4 years (20 reports, from the 2019 workbook with
    amounts perturbed) built by one ``fundanalysis report --force``, against one report of the
    same synthetic input built alone: the cost per report.
B3  a large input: 100,000 recipient rows in an xlsx (bare python-calamine read against
    process_year + category_totals), 1,000,000 rows from CSV and from Parquet; peak memory.
B4  HTML size per section of the B1 build, and ``fundanalysis summary --year 2019`` (median of 5).
B5  edit–see: a SYNTHETIC fund with two years; one cell of the first year's workbook is changed
    and ``fundanalysis report`` rebuilds what depends on it, against a full build of that year
    (``report --year Y --force``), alternating; then the same edit under ``--watch`` (the watch's
    own rebuild, in a warm process), alternating with full builds of that year.
B6  a year's self-evaluation forms: 10,000 SYNTHETIC 自评表 reviewed on a 2-worker LocalCluster
    against one process, with the planted findings' recall and precision (benchmarks/b6_review.py).

Benchmarks are not tests: nothing here asserts on time; targets are printed beside results.
Every input and output lives in one temporary folder (removed at the end unless --keep);
nothing is downloaded and nothing under data/ or outputs/ is touched.
"""

from __future__ import annotations

import argparse
import json
import os
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
#: Targets (issue 13), printed beside the results.
B1_TARGET, B1_AIM, B1_FLOOR = 6.0, 8.0, 1.5
B2_TARGET = 0.5
B3_BIG_TARGET, B3_BIG_MB, B3_XLSX_TARGET = 3.0, 600, 2.0
B5_TARGET = 0.4
B2_FUNDS, B2_YEARS = 5, (2031, 2032, 2033, 2034)
B5_YEARS = (2031, 2032)
B3_YEAR = 2050
B3_ROWS, B3_BIG_ROWS = 100_000, 1_000_000


def met(ok: bool) -> str:
    """A target's verdict."""
    return "met" if ok else "not met"


def say(msg: str) -> None:
    """Progress, to stderr (the tables go to stdout)."""
    print(msg, file=sys.stderr, flush=True)


def _applies(nb: Path) -> bool:
    """Whether a report notebook has a page for 2019 (a section needs tables the year has)."""
    from fundanalysis.ingest.load import load_tables
    from fundanalysis.pipeline.sections import discover_sections

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
        before = Stat("fundanalysis report (baseline tree)")
        tree = self.args.baseline_tree.resolve() if self.args.baseline_tree else None
        floor_parts: list[dict[str, Any]] = []
        base = self.work / "b1"
        for r in range(self.repeats):
            order = ("ours", "naive") if r % 2 == 0 else ("naive", "ours")
            if tree is not None:
                order = ("before", *order) if r % 2 == 0 else (*order, "before")
            for side in order:
                d = base / f"{side}-{r}"
                data = copy_year(d / "data")
                out = d / "out"
                if side == "before":
                    assert tree is not None
                    run = before.add(bl.run(fundanalysis("report", "--year", YEAR, "--data-dir", data,
                                                         "--out-dir", out, "--force"),
                                            cwd=d, log=d / "log.txt",
                                            env={**bl.child_env(), "PYTHONPATH": str(tree / "src")}))
                    missing = [nb.stem for nb in notebooks
                               if not (out / FUND / str(YEAR) / f"{nb.stem}.html").is_file()]
                elif side == "ours":
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
        sides = [("fundanalysis report", ours), ("naive papermill loop", naive), ("floor (imports+metrics)", floor)]
        if tree is not None:
            sides.insert(0, ("before: baseline tree", before))
        rows = [[s_label, f"{s.wall:.1f}", s.spread(), f"{s.cpu:.1f}", f"{s.tree_mb:.0f}", s.n]
                for s_label, s in sides]
        self.emit(table(f"B1 one year ({YEAR})", ["median s", "min–max", "cpu s", "peak MB", "runs"],
                        rows, [28, 9, 11, 7, 8, 5]))
        over_floor = ratio(ours.wall, floor.wall)
        self.emit(f"  {'speed-up naive/ours':28s} {fx(speedup):>9s}   (target ≥{B1_TARGET:g}x, aim {B1_AIM:g}x: "
                  f"{met(speedup >= B1_TARGET)})")
        self.emit(f"  {'ours/floor':28s} {fx(over_floor):>9s}   (target ≤{B1_FLOOR:g}x: {met(over_floor <= B1_FLOOR)})")
        self.emit(f"  {'naive/floor':28s} {fx(ratio(naive.wall, floor.wall)):>9s}")
        if tree is not None:
            self.emit(f"  {'speed-up naive/before':28s} {fx(ratio(naive.wall, before.wall)):>9s}   "
                      f"(baseline tree {tree}, same venv, same data, alternated)")
            self.emit(f"  {'after/before':28s} {fx(ratio(ours.wall, before.wall), 2):>9s}")
        self.emit(f"  floor = one process: imports {imports_s:.1f} s (pandas, matplotlib.pyplot, nbconvert, "
                  f"fundanalysis; seaborn {'imported' if seaborn else 'not installed, skipped'}) "
                  f"+ process_year and summarise {metrics_s:.2f} s")
        self.emit("  ours also writes charts (PNG), summary.json, index.html with an embedded font subset, "
                  "the workbooks and processed tables;")
        self.emit(f"  naive writes only the {len(notebooks)} executed notebooks and {len(notebooks)} HTML pages. "
                  "cpu s = user+sys of all the run's processes;")
        self.emit("  peak MB = peak of their summed resident memory (both sampled from /proc every 0.1 s).")
        self.emit()
        self.results["B1"] = {"ours": ours.as_dict(), "naive": naive.as_dict(), "floor": floor.as_dict(),
                              "floor_imports_s": imports_s, "floor_metrics_s": metrics_s,
                              "seaborn_installed": seaborn, "speedup_naive_over_ours": speedup,
                              "ours_over_floor": ratio(ours.wall, floor.wall),
                              **({"before": before.as_dict(), "baseline_tree": str(tree),
                                  "speedup_naive_over_before": ratio(naive.wall, before.wall),
                                  "after_over_before": ratio(ours.wall, before.wall)} if tree is not None else {})}

    # ------------------------------------------------------------------ B2

    def b2(self) -> None:
        base = self.work / "b2"
        base.mkdir(parents=True)
        t0 = time.perf_counter()
        gen = base / "generated"
        bl.run([sys.executable, SYNTH, "funds", SRC_YEAR_DIR / f"fund-{YEAR}.xlsx", gen, B2_FUNDS, *B2_YEARS],
               cwd=base, log=base / "generate.log")
        t_gen = time.perf_counter() - t0
        funds = [f"{SYNTH_FUND}-{k}" for k in range(1, B2_FUNDS + 1)]
        checks = bl.run_all([fundanalysis("check", "--fund", f, "--year", y, "--data-dir", gen)
                             for f in funds for y in B2_YEARS], cwd=base, log_dir=base / "check", workers=2)
        n = len(funds) * len(B2_YEARS)
        say(f"  B2 generated {n} synthetic fund years in {t_gen:.1f} s; `fundanalysis check` OK for all")
        one, batch = Stat("1 report alone"), Stat(f"{n} reports, one command")
        one_data = base / "one" / "data"
        shutil.copytree(gen / "raw" / funds[0] / str(B2_YEARS[0]), one_data / "raw" / funds[0] / str(B2_YEARS[0]))
        logs: list[Path] = []
        for r in range(self.args.b2_repeats):
            for side in (("one", "batch") if r % 2 == 0 else ("batch", "one")):
                if side == "one":
                    for k in range(3):
                        d = base / f"one-{r}-{k}"
                        run = one.add(bl.run(fundanalysis("report", "--data-dir", one_data, "--out-dir", d / "out",
                                                          "--force"), cwd=base, log=d / "log.txt"))
                        say(f"  B2 1 report: {run.wall_s:6.1f} s")
                else:
                    d = base / f"batch-{r}"
                    run = batch.add(bl.run(fundanalysis("report", "--data-dir", gen, "--out-dir", d / "out",
                                                        "--force"), cwd=base, log=d / "log.txt"))
                    missing = [(f, y) for f in funds for y in B2_YEARS
                               if not (d / "out" / f / str(y) / "index.html").is_file()]
                    if missing:
                        raise bl.CommandFailed(f"B2: {missing} not published; see {d / 'log.txt'}")
                    logs += sorted((d / "out" / "logs").glob("build-*.log"))
                    say(f"  B2 {n} reports: {run.wall_s:6.1f} s ({run.wall_s / n:.2f} s/report)")
        per = batch.wall / n
        rel = ratio(per, one.wall)
        b1 = self.results.get("B1", {}).get("ours", {}).get("median_s")
        nproc = os.cpu_count() or 2
        busy = ratio(batch.cpu, batch.wall * nproc)
        rows = [["1 report alone (fund 1, " f"{B2_YEARS[0]})", f"{one.wall:.1f}", f"{one.wall:.2f}", f"{one.cpu:.1f}",
                 f"{one.tree_mb:.0f}", one.n],
                [f"{n} reports ({B2_FUNDS} funds × {len(B2_YEARS)} years)", f"{batch.wall:.1f}", f"{per:.2f}",
                 f"{batch.cpu:.1f}", f"{batch.tree_mb:.0f}", batch.n]]
        self.emit(table("B2 a department's batch, one command", ["total s", "s/report", "cpu s", "peak MB", "runs"],
                        rows, [36, 8, 9, 7, 8, 5]))
        self.emit(f"  {'per report: batch / alone':34s} {fx(rel, 2):>9s}   (target ≤{B2_TARGET:g}x: "
                  f"{met(rel <= B2_TARGET)})")
        if b1:
            self.emit(f"  {'per report: batch / B1 ours (2019)':34s} {fx(ratio(per, b1), 2):>9s}")
        self.emit(f"  {'cores busy during the batch':34s} {busy * 100:8.0f}%   (cpu s / (wall s × {nproc} cores))")
        text = logs[-1].read_text(encoding="utf-8") if logs else ""
        validated = re.search(r"validated (\d+) year", text)
        self.emit(f"  {validated.group(1) if validated else '?'} years validated once each, in the build's process; "
                  "every notebook in a warm kernel of one pool (from the build log)")
        self.emit(f"  inputs: the 2019 workbook per fund and year, 资金名称 合成专项资金k, amounts perturbed ±10 % "
                  f"(seeded by fund and year), 来源 labelled synthetic; generation {t_gen:.1f} s, each checked OK")
        self.emit()
        self.results["B2"] = {"one": one.as_dict(), "batch": batch.as_dict(), "reports": n,
                              "per_report_s": per, "per_report_over_alone": rel,
                              "per_report_over_b1_ours": ratio(per, b1) if b1 else None,
                              "busy": busy, "generation_s": t_gen,
                              "check_median_s": bl.median([c.wall_s for c in checks])}

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
            if fmt == "xlsx":
                target = f"   (target ≤{B3_XLSX_TARGET:g}x: {met(r_ <= B3_XLSX_TARGET)})"
            else:
                mb = out[f"{fmt}_b"]["peak_mb"]
                target = (f"   (target ≤{B3_BIG_TARGET:g}x: {met(r_ <= B3_BIG_TARGET)}; "
                          f"peak ≤{B3_BIG_MB} MB: {met(mb <= B3_BIG_MB)})")
            rows.append([f"  ratio b/a ({fmt})", fx(r_), "", "", "", ""])
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

    # ------------------------------------------------------------------ B5

    def b5(self) -> None:
        base = self.work / "b5"
        base.mkdir(parents=True)
        data, out = base / "data", base / "out"
        bl.run([sys.executable, SYNTH, "years", SRC_YEAR_DIR / f"fund-{YEAR}.xlsx", data, *B5_YEARS], cwd=base,
               log=base / "generate.log")
        year, neighbour = B5_YEARS
        book = data / "raw" / SYNTH_FUND / str(year) / f"fund-{year}.xlsx"
        first = bl.run(fundanalysis("report", "--data-dir", data, "--out-dir", out), cwd=base, log=base / "log.txt")
        say(f"  B5 first build of {B5_YEARS}: {first.wall_s:.1f} s")
        full, incr = Stat(f"full build of {year} (--force)"), Stat("after one cell changed")
        rebuilt: list[dict[str, Any]] = []
        edits = 0

        def edit_and_build() -> None:
            nonlocal edits
            bl.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from synth import edit_cell; "
                    "edit_cell(sys.argv[2], '媒体单位', '金额', 2, sys.argv[3])", str(SYNTH.parent), str(book),
                    f"{60 + edits}.5万元"], cwd=base, log=base / "edit.log")
            edits += 1
            run = incr.add(bl.run(fundanalysis("report", "--data-dir", data, "--out-dir", out), cwd=base,
                                  log=base / "log.txt"))
            got = {}
            for y in B5_YEARS:
                rec = json.loads((out / SYNTH_FUND / str(y) / "build.json").read_text(encoding="utf-8"))
                got[str(y)] = {"rebuilt": rec.get("rebuilt", []), "reused": rec.get("reused", [])}
            rebuilt.append(got)
            say(f"  B5 one cell changed: {run.wall_s:6.1f} s; rebuilt {got}")

        for r in range(self.repeats):
            for side in (("full", "edit") if r % 2 == 0 else ("edit", "full")):
                if side == "full":
                    run = full.add(bl.run(fundanalysis("report", "--year", year, "--data-dir", data, "--out-dir", out,
                                                       "--force"), cwd=base, log=base / "log.txt"))
                    say(f"  B5 full build of {year}: {run.wall_s:6.1f} s")
                else:
                    edit_and_build()
        res = base / "watch.json"
        # the watch's rebuilds alternate with full builds of the year (as the one-off edits above
        # alternate with theirs), so that ratio too compares runs made under the same load
        bl.run([sys.executable, CASE, res, "watch", data, out, SYNTH_FUND, year, self.repeats, base / "out-full"],
               cwd=base, log=base / "watch-case.log")
        watch = json.loads(res.read_text())
        w_build = bl.median(watch["rebuild_s"])
        w_latency = bl.median(watch["save_to_publish_s"])
        w_full = bl.median(watch["full_build_s"])
        rel, rel_watch = ratio(incr.wall, full.wall), ratio(w_build, w_full)

        def spread(xs: list[float]) -> str:
            return f"{min(xs):.1f}–{max(xs):.1f}"

        rows = [[full.name, f"{full.wall:.1f}", full.spread(), f"{full.cpu:.1f}", full.n],
                [f"{incr.name}: fundanalysis report", f"{incr.wall:.1f}", incr.spread(), f"{incr.cpu:.1f}", incr.n],
                ["the same under --watch (its rebuild)", f"{w_build:.1f}", spread(watch["rebuild_s"]), "",
                 len(watch["rebuild_s"])],
                ["  … from the save to the publish", f"{w_latency:.1f}", spread(watch["save_to_publish_s"]), "",
                 len(watch["save_to_publish_s"])],
                ["  full build, alternated with the rebuilds", f"{w_full:.1f}", spread(watch["full_build_s"]), "",
                 len(watch["full_build_s"])]]
        self.emit(table(f"B5 edit–see ({SYNTH_FUND} {B5_YEARS[0]}–{B5_YEARS[-1]})",
                        ["median s", "min–max", "cpu s", "runs"], rows, [40, 8, 11, 7, 5]))
        self.emit(f"  {'one cell changed / full build':34s} {fx(rel, 2):>9s}   "
                  f"(target ≤{B5_TARGET:g}x: {met(rel <= B5_TARGET)})")
        self.emit(f"  {'--watch rebuild / full build (alt.)':34s} {fx(rel_watch, 2):>9s}   "
                  f"(target ≤{B5_TARGET:g}x: {met(rel_watch <= B5_TARGET)})")
        last = rebuilt[-1] if rebuilt else {}
        for y, what in last.items():
            self.emit(f"  {y}: rebuilt {', '.join(what['rebuilt']) or 'nothing'}; "
                      f"reused {', '.join(what['reused']) or 'nothing'}")
        self.emit(f"  the cell: 媒体单位!金额, row 2, of {year}'s workbook (a media outlet's amount: the media "
                  f"section, the overview and {neighbour}'s year-over-year change); every year's index and the fund "
                  "index are "
                  "rewritten each time;")
        self.emit("  each edit writes a value not written before (60.5, 61.5 … 万元; the watch 70.5 …), so every "
                  "chart that shows it is drawn: only charts whose tables did not change come from the chart cache")
        self.emit("  --watch keeps its kernel pool warm; the save-to-publish time includes noticing the save "
                  f"(polled every {0.5:g} s, then let settle {0.5:g} s)")
        self.emit()
        self.results["B5"] = {"full": full.as_dict(), "incremental": incr.as_dict(), "incremental_over_full": rel,
                              "watch": watch, "watch_rebuild_over_full": rel_watch, "rebuilt": rebuilt}

    # ------------------------------------------------------------------ summary

    def b6(self) -> None:
        """B6 (benchmarks/b6_review.py, its own process): 10,000 SYNTHETIC 自评表 reviewed; the process
        tree's peak memory (client and Dask workers together) is sampled here."""
        out = self.work / "b6.json"
        run = bl.run([sys.executable, Path(__file__).resolve().parent / "b6_review.py", "--json", out],
                     cwd=self.work, log=self.work / "b6.log", timeout=7200)
        result = json.loads(out.read_text(encoding="utf-8"))
        result["tree_peak_mb"] = run.peak_total_kb / 1024 if run.peak_total_kb else None
        self.emit(bl.tail(self.work / "b6.log", 8))
        self.emit(f"  B6 process tree peak (client + workers, sampled): {result['tree_peak_mb'] or 0:.0f} MB")
        self.results["B6"] = result

    def summary(self, elapsed: dict[str, float]) -> None:
        r = {k: v for k, v in self.results.items() if "failed" not in v}
        self.emit("Summary")
        for k in sorted(set(self.results) - set(r)):
            self.emit(f"  {k} FAILED (see above)")
        if "B1" in r:
            b = r["B1"]
            self.emit(f"  B1 {YEAR}: ours {b['ours']['median_s']:.1f} s, naive {b['naive']['median_s']:.1f} s, "
                      f"floor {b['floor']['median_s']:.1f} s; speed-up naive/ours "
                      f"{fx(b['speedup_naive_over_ours'])} (target ≥{B1_TARGET:g}x, aim {B1_AIM:g}x: "
                      f"{met(b['speedup_naive_over_ours'] >= B1_TARGET)}); ours/floor {fx(b['ours_over_floor'])} "
                      f"(target ≤{B1_FLOOR:g}x: {met(b['ours_over_floor'] <= B1_FLOOR)})")
            if "before" in b:
                self.emit(f"  B1 before (baseline tree): {b['before']['median_s']:.1f} s, speed-up naive/before "
                          f"{fx(b['speedup_naive_over_before'])}; after/before {fx(b['after_over_before'], 2)}")
        if "B2" in r:
            b = r["B2"]
            self.emit(f"  B2 {b['reports']} reports ({B2_FUNDS} funds × {len(B2_YEARS)} years) in "
                      f"{b['batch']['median_s']:.1f} s: {b['per_report_s']:.2f} s/report against "
                      f"{b['one']['median_s']:.1f} s alone, {fx(b['per_report_over_alone'], 2)} (target "
                      f"≤{B2_TARGET:g}x: {met(b['per_report_over_alone'] <= B2_TARGET)}); cores busy "
                      f"{b['busy'] * 100:.0f}%")
        if "B3" in r:
            b = r["B3"]
            self.emit(f"  B3 {B3_ROWS:,} xlsx: bare read {b['xlsx_a']['work_median_s']:.2f} s, pipeline "
                      f"{b['xlsx_b']['work_median_s']:.2f} s, {fx(b['xlsx_ratio_b_over_a'])} "
                      f"(target ≤{B3_XLSX_TARGET:g}x: {met(b['xlsx_ratio_b_over_a'] <= B3_XLSX_TARGET)}); "
                      f"{B3_BIG_ROWS:,} rows: csv "
                      f"{b['csv_b']['work_median_s']:.1f} s, {fx(b['csv_ratio_b_over_a'])}, peak "
                      f"{b['csv_b']['peak_mb']:.0f} MB; parquet {b['parquet_b']['work_median_s']:.1f} s, "
                      f"{fx(b['parquet_ratio_b_over_a'])}, peak {b['parquet_b']['peak_mb']:.0f} MB (targets "
                      f"≤{B3_BIG_TARGET:g}x and ≤{B3_BIG_MB} MB: csv {met(b['csv_ratio_b_over_a'] <= B3_BIG_TARGET)}/"
                      f"{met(b['csv_b']['peak_mb'] <= B3_BIG_MB)}, parquet "
                      f"{met(b['parquet_ratio_b_over_a'] <= B3_BIG_TARGET)}/"
                      f"{met(b['parquet_b']['peak_mb'] <= B3_BIG_MB)})")
        if "B4" in r:
            b = r["B4"]
            kbs = [v["ours_kb"] for k, v in b["html"].items() if isinstance(v, dict)]
            self.emit(f"  B4 section HTML {min(kbs):.0f}–{max(kbs):.0f} KB; summary "
                      f"{b['summary_processed']['median_s']:.2f} s (processed) / "
                      f"{b['summary_raw_only']['median_s']:.2f} s (raw only)")
        if "B5" in r:
            b = r["B5"]
            self.emit(f"  B5 one cell changed: {b['incremental']['median_s']:.1f} s against a full build of "
                      f"{b['full']['median_s']:.1f} s, {fx(b['incremental_over_full'], 2)}; under --watch "
                      f"{bl.median(b['watch']['rebuild_s']):.1f} s against "
                      f"{bl.median(b['watch']['full_build_s']):.1f} s, {fx(b['watch_rebuild_over_full'], 2)} (target "
                      f"≤{B5_TARGET:g}x: {met(b['incremental_over_full'] <= B5_TARGET)} / "
                      f"{met(b['watch_rebuild_over_full'] <= B5_TARGET)})")
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
    ap.add_argument("--large-repeats", type=int, default=3, help="runs of each 1,000,000-row case (default 3)")
    ap.add_argument("--b2-repeats", type=int, default=1, help="runs of the B2 batch (default 1; the report "
                    "alone runs three times per batch run)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    ap.add_argument("--baseline-tree", type=Path, default=None, metavar="PATH",
                    help="also time `fundanalysis report` of another checkout (its src/ and notebooks, this "
                         "venv) as B1's \"before\" side, e.g. a git worktree of the commit before a change")
    args = ap.parse_args(argv)
    wanted = {s.strip().upper().lstrip("B") for s in args.only.split(",") if s.strip()}
    bad = wanted - {"1", "2", "3", "4", "5", "6"}
    if bad:
        ap.error(f"--only: unknown benchmark(s) {sorted(bad)}; use B1, B2, B3, B4, B5, B6")
    args.selected = [f"B{i}" for i in "123456" if not wanted or i in wanted]
    if args.repeats < 1 or args.large_repeats < 1 or args.b2_repeats < 1:
        ap.error("repeat counts must be at least 1")
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
