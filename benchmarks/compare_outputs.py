"""Are a year's published files the same when built by this tree and by another checkout?

    .venv/bin/python benchmarks/compare_outputs.py --baseline-tree PATH [--year 2019] [--keep]

Builds the year of the project's fund with ``fundanalysis report --force`` twice, each from a fresh
copy of its raw input into a temporary out-dir: once with this tree's code and notebooks, once with
PATH's (this venv, ``PYTHONPATH=PATH/src``), then compares every file published for the year and
the two index pages:

- pages (``*.html``, the sections' ``*.html-fragment``), ``summary.json`` and the index pages: text
  equal after blanking only the build's time (``built_at``, the footer's 生成 time), the input
  digest (``input_digest``, its 12-character form in the footer, and the index pages' listing mark,
  made from the summaries: the input digest is salted with the library's code digest, so it
  differs between two trees by design) and the id papermill gives its injected-parameters cell
  (random in every run);
- charts (``*.png``, and the PNGs embedded in pages as ``data:`` URIs): the same pixels (as RGBA),
  size and resolution — the encoder's bytes may differ (chart PNGs are matplotlib's own since 0.5.0,
  written by a hand-made encoder before);
- every other file: bytes equal;
- workbooks (``*.xlsx``): every zip member equal except ``docProps/core.xml`` (its creation time);
- executed notebooks (``notebooks/*.ipynb``): the outputs of every cell equal (their PNGs by
  pixels, as in the pages) but for their execution counts (their metadata holds papermill's times
  and the parameters, which name this build's own folders; a kernel reused after a reset keeps
  counting);
- the folder's ``.fundanalysis-owned`` marker (the id of the process that made it) is not compared;
- ``build.json`` is not compared (build times, seconds, and digests of the code); the sections
  built and the files each published must be the same set.

Prints each difference and ends with status 1 if any, else 0. Nothing under data/ or outputs/ is touched.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FUND = "changzhou-industrial-internet"
#: What is blanked in text files before they are compared (see the module's docstring).
BLANKS = [(re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}"), "<time>"),
          (re.compile(r"[0-9a-f]{64}"), "<digest>"),
          (re.compile(r"(输入摘要 (?:<span title=\"<digest>\">)?)[0-9a-f]{12}"), r"\1<digest>"),
          (re.compile(r"cell-id=[0-9a-f-]+"), "cell-id=<random>")]


def build(tree: Path | None, year: int, work: Path) -> Path:
    """Build ``year`` with ``tree``'s code (None: this tree's); return the out-dir."""
    data, out = work / "data", work / "out"
    shutil.copytree(ROOT / "data" / "raw" / FUND / str(year), data / "raw" / FUND / str(year))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree / "src")
    proc = subprocess.run([str(BIN / "fundanalysis"), "report", "--year", str(year), "--data-dir", str(data),
                           "--out-dir", str(out), "--force"], env=env, capture_output=True, text=True,
                          timeout=1800, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the build with {tree or 'this tree'} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return out


_DATA_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def png_pixels(data: bytes) -> str:
    """A PNG's size, resolution and RGBA pixels, as one digest."""
    import hashlib

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        rgba = im.convert("RGBA")
        dpi = tuple(round(float(v)) for v in im.info.get("dpi", (0, 0)))
        return hashlib.sha256(repr((rgba.size, dpi)).encode() + rgba.tobytes()).hexdigest()[:16]


def blank(text: str) -> str:
    import base64

    text = _DATA_PNG.sub(lambda m: "png-pixels:" + png_pixels(base64.b64decode(m[1])), text)
    for pattern, repl in BLANKS:
        text = pattern.sub(repl, text)
    return text


def outputs(nb: Path) -> list[object]:
    """The outputs of a notebook's cells that are not papermill's parameters."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])]
            for c in cells if not {"parameters", "injected-parameters"} & set(c.get("metadata", {}).get("tags", []))]


def xlsx_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def same(a: Path, b: Path) -> str | None:
    """None if the two files are the same as the docstring defines it, else why not."""
    if a.name == ".fundanalysis-owned":  # the tool's marker on its own folders: the pid that made it
        return None
    if a.name == "build.json":
        ra, rb = json.loads(a.read_text(encoding="utf-8")), json.loads(b.read_text(encoding="utf-8"))
        for key in ("rebuilt", "reused"):
            if ra.get(key) != rb.get(key):
                return f"{key}: {ra.get(key)} != {rb.get(key)}"
        fa = {s: sorted(v.get("files", {})) for s, v in ra.get("sections", {}).items()}
        fb = {s: sorted(v.get("files", {})) for s, v in rb.get("sections", {}).items()}
        return None if fa == fb else f"sections' files differ: {fa} != {fb}"
    if a.suffix == ".ipynb":  # the PNGs inside are compared by their pixels, as in the pages
        oa, ob = (blank(json.dumps(outputs(p), ensure_ascii=False)) for p in (a, b))
        return None if oa == ob else "cell outputs differ"
    if a.suffix == ".xlsx":
        return None if xlsx_members(a) == xlsx_members(b) else "workbook contents differ"
    if a.suffix in {".html", ".json"} or a.name.endswith(".html-fragment"):
        ta, tb = blank(a.read_text(encoding="utf-8")), blank(b.read_text(encoding="utf-8"))
        if ta == tb:
            return None
        diff = difflib.unified_diff(ta.splitlines(), tb.splitlines(), lineterm="", n=0)
        return "text differs:\n" + "\n".join(line[:200] for line in list(diff)[:12])
    if a.suffix == ".png":
        return None if png_pixels(a.read_bytes()) == png_pixels(b.read_bytes()) else "pixels differ"
    return None if a.read_bytes() == b.read_bytes() else "bytes differ"


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def compare(ours: Path, theirs: Path, year: int) -> list[str]:
    problems = []
    pairs = [(ours / FUND / str(year), theirs / FUND / str(year))]
    for name in ("index.html", f"{FUND}/index.html"):
        problems += [f"{name}: {why}" for why in [same(ours / name, theirs / name)] if why]
    a_root, b_root = (p.resolve() for p in pairs[0])
    a, b = files(a_root), files(b_root)
    for name in sorted(a ^ b):
        problems.append(f"{name}: only in {'this tree' if name in a else 'the baseline tree'}'s build")
    compared = 0
    for name in sorted(a & b):
        compared += 1
        why = same(a_root / name, b_root / name)
        if why:
            problems.append(f"{name}: {why}")
    print(f"compared {compared} files of {FUND} {year} and the 2 index pages", file=sys.stderr)
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline-tree", type=Path, required=True, metavar="PATH")
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="fa-compare-"))
    try:
        ours = build(None, args.year, work / "this")
        theirs = build(args.baseline_tree.resolve(), args.year, work / "baseline")
        problems = compare(ours, theirs, args.year)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print(p)
    print("identical (as defined above)" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
