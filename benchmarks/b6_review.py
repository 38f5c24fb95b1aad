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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=10_000, help="forms to generate and review (default 10,000)")
    ap.add_argument("--compare", type=int, default=1_000,
                    help="forms for one process against the cluster, and the small run for time per form")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the generated forms and print their folder")
    args = ap.parse_args(argv)

    from distributed import Client, LocalCluster

    from fundanalysis.review import outputs
    from fundanalysis.review.run import boilerplate_findings, form_files, prioritize, review_files
    from fundanalysis.review.synth import generate

    base = Path(tempfile.mkdtemp(prefix="b6-"))
    out: dict[str, Any] = {"forms": args.forms, "cpus": os.cpu_count(), "loadavg_start": os.getloadavg()}
    try:
        t = time.perf_counter()
        truth = generate(base / "forms", args.forms, flawed_share=0.5, variants=B6_VARIANTS, processes=2)
        out["generate_s"] = time.perf_counter() - t
        paths = form_files(base / "forms")
        out["files"] = len(paths)
        print(f"generated {args.forms} forms in {len(paths)} files: {out['generate_s']:.1f} s", flush=True)

        compare = paths[: max(1, len(paths) * args.compare // args.forms)]
        t = time.perf_counter()
        inline, _ = review_files(compare, base / "forms", year=2031, scheduler="inline")
        out["inline"] = {"forms": len(inline), "s": time.perf_counter() - t}
        out["inline"]["forms_per_s"] = len(inline) / out["inline"]["s"]
        print(f"one process: {len(inline)} forms in {out['inline']['s']:.1f} s", flush=True)

        t = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        client.wait_for_workers(2)
        client.run(_warm)  # the imports a worker's first task would pay, as the inline run already has
        out["cluster_start_s"] = time.perf_counter() - t
        address = cluster.scheduler_address
        try:
            runs: dict[str, Any] = {}
            for label, chosen in (("compare", compare), ("all", paths)):
                t = time.perf_counter()
                records, problems = review_files(chosen, base / "forms", year=2031, scheduler=address)
                review_s = time.perf_counter() - t
                runs[label] = {"forms": len(records), "problems": len(problems), "review_s": review_s,
                               "ms_per_form": 1000 * review_s / max(1, len(records))}
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
        out["speedup"] = out["inline"]["s"] / runs["compare"]["review_s"] * runs["compare"]["forms"] / \
            out["inline"]["forms"]
        out["per_form_ratio_all_over_small"] = runs["all"]["ms_per_form"] / runs["compare"]["ms_per_form"]
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
        f"{out['speedup']:.2f}x (target ≥{TARGET_SPEEDUP}x; cluster start {out['cluster_start_s']:.1f} s apart)",
        f"  all {a['forms']:,} forms: review {a['review_s']:.1f} s + aggregate and write "
        f"{a['aggregate_and_write_s']:.1f} s = {a['total_s']:.1f} s (target ≤{TARGET_SECONDS:.0f} s); "
        f"overview notebook {out['overview_s']:.1f} s",
        f"  time per form: {runs['compare']['ms_per_form']:.1f} ms at {runs['compare']['forms']:,}, "
        f"{a['ms_per_form']:.1f} ms at {a['forms']:,} (ratio {out['per_form_ratio_all_over_small']:.2f})",
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
