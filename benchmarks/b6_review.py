"""B6: a year's self-evaluation forms reviewed (``fundanalysis review``'s work) on this machine.

SYNTHETIC forms from :mod:`fundanalysis.review.synth` (half of them with one planted inconsistency,
recorded as truth), in the standard layout and its variants (.xlsx and .docx). Measured side by
side in one run:

- one process (``scheduler="inline"``) and a 2-worker LocalCluster on the same first ``--compare``
  (1,000) forms: forms per second and their ratio (the cluster's start and imports timed apart);
- the LocalCluster on all ``--forms`` (10,000): the time per form against the 1,000 (flat means
  no quadratic step) and the whole review of the year: reading and checking on the
  workers, boilerplate and priority on the client, review.json, the review list and the pages
  (the overview notebook is timed apart);
- peak memory: the client's, and the largest worker's (each worker is a process of its own);
- recall and precision of the planted findings over all forms.

Run: ``.venv/bin/python benchmarks/b6_review.py [--forms 10000] [--compare 2000] [--json out.json]``.
Targets (issue 31): all planted found and no false ones; 10,000 forms ≤ 3 minutes; peak ≤ 1 GB;
cluster ≥ 1.6× one process; time per form flat from 1,000 to 10,000.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: The mix of layouts: most forms are filed as the standard .xlsx; one in nine each of the variants.
B6_VARIANTS = ("standard",) * 5 + ("title_rows", "renamed", "docx", "multi")
TARGET_SECONDS = 180.0
TARGET_MB = 1024.0
TARGET_SPEEDUP = 1.6


def _cpu() -> float:
    """CPU seconds this process has used (user + system)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm() -> None:
    import docx  # noqa: F401
    import python_calamine  # noqa: F401

    import fundanalysis.review.run  # noqa: F401


def _truth_score(records: list[dict[str, Any]], truth: dict[tuple[str, str], frozenset[str]]) -> dict[str, Any]:
    planted = {(f, s, k) for (f, s), kinds in truth.items() for k in kinds}
    flagged = {(r["file"], r["sheet"], f["kind"]) for r in records for f in r["findings"]}
    hit = planted & flagged
    return {"planted": len(planted), "flagged": len(flagged), "found": len(hit),
            "recall": len(hit) / len(planted) if planted else 1.0,
            "precision": len(hit) / len(flagged) if flagged else 1.0,
            "missed": sorted(planted - flagged)[:10], "false": sorted(flagged - planted)[:10],
            "forms_read": len({(r["file"], r["sheet"]) for r in records}), "forms_planted": len(truth)}


def load_or_generate(folder: Path, n: int) -> dict[tuple[str, str], frozenset[str]]:
    """The truth of ``n`` generated forms in ``folder``: read from its truth.json when there, else
    the forms are generated (2 processes) and the truth written beside them."""
    from fundanalysis.review.synth import generate

    saved = folder / "truth.json"
    if saved.is_file():
        rows = json.loads(saved.read_text(encoding="utf-8"))
        if len(rows) == n:
            return {(f, s): frozenset(k) for f, s, k in rows}
    truth = generate(folder, n, flawed_share=0.5, variants=B6_VARIANTS, processes=2)
    saved.write_text(json.dumps([[f, s, sorted(k)] for (f, s), k in truth.items()], ensure_ascii=False),
                     encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=10_000, help="forms to generate and review (default 10,000)")
    ap.add_argument("--compare", type=int, default=1_000,
                    help="forms for one process against the cluster, and the small run for time per form")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of one process against the cluster, alternated")
    ap.add_argument("--keep", action="store_true", help="keep the generated forms and print their folder")
    ap.add_argument("--forms-dir", type=Path, default=None,
                    help="generate the forms here (with truth.json) and keep them; reuse them when truth.json "
                         "is there already (the generation is not part of the review)")
    args = ap.parse_args(argv)

    from distributed import Client, LocalCluster

    from fundanalysis.review import outputs
    from fundanalysis.review.run import boilerplate_findings, form_files, prioritize, review_files
    base = Path(tempfile.mkdtemp(prefix="b6-"))
    forms_dir = args.forms_dir or base / "forms"
    out: dict[str, Any] = {"forms": args.forms, "cpus": os.cpu_count(), "loadavg_start": os.getloadavg()}
    try:
        t = time.perf_counter()
        truth = load_or_generate(forms_dir, args.forms)
        out["generate_s"] = time.perf_counter() - t
        paths = form_files(forms_dir)
        out["files"] = len(paths)
        print(f"generated {args.forms} forms in {len(paths)} files: {out['generate_s']:.1f} s", flush=True)

        compare = paths[: max(1, len(paths) * args.compare // args.forms)]
        review_files(compare[:20], forms_dir, year=2031, scheduler="inline")  # imports, as _warm on the workers
        t = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        client.wait_for_workers(2)
        client.run(_warm)  # the imports a worker's first task would pay, as the inline run already has
        out["cluster_start_s"] = time.perf_counter() - t
        address = cluster.scheduler_address
        try:
            # one process and the cluster alternated on the same forms, so that both see the same load
            rounds = []
            for _ in range(args.rounds):
                c0, t = _cpu(), time.perf_counter()
                inline, _ = review_files(compare, forms_dir, year=2031, scheduler="inline")
                inline_s, inline_cpu = time.perf_counter() - t, _cpu() - c0
                w0, c0, t = client.run(_cpu), _cpu(), time.perf_counter()
                review_files(compare, forms_dir, year=2031, scheduler=address)
                cluster_s, client_cpu = time.perf_counter() - t, _cpu() - c0
                w1 = client.run(_cpu)
                workers_cpu = sorted(w1[k] - w0[k] for k in w0)
                rounds.append({"forms": len(inline), "inline_s": inline_s, "inline_cpu_s": inline_cpu,
                               "cluster_s": cluster_s, "cluster_client_cpu_s": client_cpu,
                               "cluster_workers_cpu_s": workers_cpu, "ratio": inline_s / cluster_s,
                               "loadavg": os.getloadavg()[0]})
                print(f"one process {inline_s:.1f} s ({inline_cpu:.1f} s CPU), cluster {cluster_s:.1f} s (workers "
                      f"{' + '.join(f'{w:.1f}' for w in workers_cpu)} s CPU): {inline_s / cluster_s:.2f}x, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
            out["rounds"] = rounds
            out["inline"] = {"forms": rounds[0]["forms"], "s": min(r["inline_s"] for r in rounds)}
            out["inline"]["forms_per_s"] = out["inline"]["forms"] / out["inline"]["s"]
            out["inline"]["cpu_ms_per_form"] = 1000 * min(r["inline_cpu_s"] for r in rounds) / out["inline"]["forms"]
            runs: dict[str, Any] = {"compare": {"forms": rounds[0]["forms"],
                                                "review_s": min(r["cluster_s"] for r in rounds)}}
            runs["compare"]["ms_per_form"] = 1000 * runs["compare"]["review_s"] / runs["compare"]["forms"]
            runs["compare"]["workers_cpu_ms_per_form"] = 1000 * min(sum(r["cluster_workers_cpu_s"]) for r in rounds) \
                / runs["compare"]["forms"]
            for label, chosen in (("all", paths),):
                w0 = client.run(_cpu)
                t = time.perf_counter()
                records, problems = review_files(chosen, forms_dir, year=2031, scheduler=address)
                review_s = time.perf_counter() - t
                w1 = client.run(_cpu)
                runs[label] = {"forms": len(records), "problems": len(problems), "review_s": review_s,
                               "ms_per_form": 1000 * review_s / max(1, len(records)),
                               "workers_cpu_ms_per_form": 1000 * sum(w1[k] - w0[k] for k in w0) / max(1, len(records)),
                               "loadavg": os.getloadavg()[0]}
                print(f"cluster {label}: {len(records)} forms in {review_s:.1f} s", flush=True)
                if label == "all":
                    t = time.perf_counter()
                    boilerplate_findings(records)
                    prioritize(records)
                    records.sort(key=lambda r: r["priority"])
                    dest = base / "out"
                    (dest / outputs.FORMS_DIR).mkdir(parents=True)
                    outputs.write_json(dest / outputs.REVIEW_JSON, {"forms": records, "problems": problems})
                    outputs.write_review_list(outputs.review_table(records), problems, dest / outputs.REVIEW_LIST)
                    pages = 0
                    for r in records:
                        if r["findings"]:
                            (dest / outputs.FORMS_DIR / outputs.page_name(r)).write_text(outputs.form_page(r),
                                                                                       encoding="utf-8")
                            pages += 1
                    runs[label]["aggregate_and_write_s"] = time.perf_counter() - t
                    runs[label]["pages"] = pages
                    runs[label]["total_s"] = review_s + runs[label]["aggregate_and_write_s"]
                    out["truth"] = _truth_score(records, truth)
                    t = time.perf_counter()
                    outputs.run_overview(dest, "b6", 2031)
                    out["overview_s"] = time.perf_counter() - t
            worker_mb = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        finally:
            client.close()
            cluster.close()
        out["cluster"] = runs
        out["speedup"] = sorted(r["ratio"] for r in out["rounds"])[len(out["rounds"]) // 2]  # the median round
        # what the cluster would give with two cores to itself: one process's CPU over the busier worker's
        out["speedup_cpu"] = sorted(r["inline_cpu_s"] / max(r["cluster_workers_cpu_s"]) for r in out["rounds"])[
            len(out["rounds"]) // 2]
        out["per_form_ratio_all_over_small"] = runs["all"]["ms_per_form"] / runs["compare"]["ms_per_form"]
        out["cpu_per_form_ratio_all_over_small"] = runs["all"]["workers_cpu_ms_per_form"] / \
            runs["compare"]["workers_cpu_ms_per_form"]
        out["peak_mb"] = {"client": _mb_self(), "workers": sorted(worker_mb.values())}
        out["peak_mb"]["sum"] = out["peak_mb"]["client"] + sum(worker_mb.values())
        out["loadavg_end"] = os.getloadavg()
    finally:
        if args.keep:
            print(f"kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    tr, a = out["truth"], out["cluster"]["all"]
    lines = [
        f"B6 review of {args.forms:,} SYNTHETIC forms ({out['files']:,} files) on {out['cpus']} CPUs, "
        f"load {out['loadavg_start'][0]:.1f} → {out['loadavg_end'][0]:.1f}",
        f"  one process: {out['inline']['forms_per_s']:.1f} forms/s; 2-worker LocalCluster "
        f"{out['cluster']['compare']['forms'] / out['cluster']['compare']['review_s']:.1f} forms/s → "
        f"{out['speedup']:.2f}x (median of {len(out['rounds'])} alternated rounds; target ≥{TARGET_SPEEDUP}x; "
        f"cluster start {out['cluster_start_s']:.1f} s apart); by CPU (one process's CPU over the busier "
        f"worker's: the ratio with two free cores) {out['speedup_cpu']:.2f}x",
        f"  CPU per form: one process {out['inline']['cpu_ms_per_form']:.1f} ms, the workers together "
        f"{runs['compare']['workers_cpu_ms_per_form']:.1f} ms",
        f"  all {a['forms']:,} forms: review {a['review_s']:.1f} s + aggregate and write "
        f"{a['aggregate_and_write_s']:.1f} s = {a['total_s']:.1f} s (target ≤{TARGET_SECONDS:.0f} s); "
        f"overview notebook {out['overview_s']:.1f} s",
        f"  time per form: {runs['compare']['ms_per_form']:.1f} ms at {runs['compare']['forms']:,}, "
        f"{a['ms_per_form']:.1f} ms at {a['forms']:,} (ratio {out['per_form_ratio_all_over_small']:.2f}); "
        f"workers' CPU per form {runs['compare']['workers_cpu_ms_per_form']:.1f} → "
        f"{a['workers_cpu_ms_per_form']:.1f} ms "
        f"(ratio {out['cpu_per_form_ratio_all_over_small']:.2f})",
        f"  peak memory: client {out['peak_mb']['client']:.0f} MB, workers "
        f"{', '.join(f'{m:.0f}' for m in out['peak_mb']['workers'])} MB, sum {out['peak_mb']['sum']:.0f} MB "
        f"(target ≤{TARGET_MB:.0f} MB)",
        f"  planted findings: {tr['found']}/{tr['planted']} found (recall {tr['recall']:.4f}), "
        f"{tr['flagged'] - tr['found']} false (precision {tr['precision']:.4f}); forms read {tr['forms_read']:,}"
        f" of {tr['forms_planted']:,}",
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
