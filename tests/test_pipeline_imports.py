"""The build engine: real Jupyter kernels over IPC, reset between notebooks by a documented mechanism;
the build's own process draws no chart; the package reaches into no other library's private parts
and poisons no import."""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fundanalysis.pipeline.kernels import KernelPool

SRC = Path(__file__).resolve().parents[1] / "src" / "fundanalysis"

BUILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from fundanalysis.pipeline.orchestrate import build_reports
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    built = build_reports([("changzhou-industrial-internet", 2019)], data, out, echo=lambda m: None)
    print(json.dumps({"built": [list(t) for t in built],
                      "modules": sorted(m for m in ("matplotlib",) if m in sys.modules)}))
""")


def test_the_main_process_of_a_build_draws_no_chart(data_2019: Path, tmp_path: Path) -> None:
    """A whole build (its notebooks run in kernels, the year published) without the main process
    importing matplotlib: the charts are drawn in the kernels."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", BUILD, str(data_2019), str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["built"] == [["changzhou-industrial-internet", 2019]]
    assert (tmp_path / "out" / "changzhou-industrial-internet" / "2019" / "index.html").is_file()
    assert got["modules"] == []


def _execute(km: object, code: str) -> dict:
    """Run ``code`` in a kernel; the value of its last line (a JSON text) as Python."""
    kc = km.blocking_client()  # type: ignore[attr-defined]
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        shown: list[str] = []

        def hook(msg: dict) -> None:
            if msg["header"]["msg_type"] == "execute_result":
                shown.append(msg["content"]["data"]["text/plain"])

        reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    finally:
        kc.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return json.loads(ast.literal_eval(shown[-1]))


STATE = ("import json, os, sys, matplotlib as mpl\n"
         "json.dumps({'left': 'leftover' in dir(), 'size': mpl.rcParams['font.size'], 'cwd': os.getcwd(),\n"
         "            'figures': len(sys.modules['matplotlib.pyplot'].get_fignums())\n"
         "                       if 'matplotlib.pyplot' in sys.modules else 0,\n"
         "            'warm': 'fundanalysis.present.report' in sys.modules})")


@pytest.mark.slow
def test_kernels_talk_over_ipc_in_a_private_folder_and_are_reset_between_notebooks(tmp_path: Path) -> None:
    """A pooled kernel uses IPC sockets in a folder only the user can open (nothing listens on the
    network), starts warm (the library imported), and after one notebook is given back with its
    namespace empty, its figures closed, matplotlib's settings and its folder as before; closing
    the pool removes the folder."""
    pool = KernelPool(1, cwd=tmp_path)
    try:
        km = pool.acquire()
        folder = Path(km.connection_file).parent
        assert km.transport == "ipc"
        assert json.loads(Path(km.connection_file).read_text())["transport"] == "ipc"
        assert stat.S_IMODE(folder.stat().st_mode) & 0o777 == 0o700  # (jupyter_client adds the sticky bit)
        before = _execute(km, STATE)
        assert before["warm"] and not before["left"] and before["cwd"] == str(tmp_path)
        changed = _execute(km, "import os, matplotlib as mpl, matplotlib.pyplot as plt\nleftover = 1\n"
                               "mpl.rcParams['font.size'] = 31\nplt.figure()\nos.chdir('/')\n" + STATE)
        assert changed["left"] and changed["size"] == 31 and changed["figures"] == 1
        pool.release(km, healthy=True)
        again = pool.acquire()
        assert again is km  # reset, not restarted
        assert _execute(again, STATE) == {**before, "figures": 0}
        pool.release(again, healthy=False)  # a failed notebook's kernel is replaced, never reused
        fresh = pool.acquire()
        assert fresh is not km and not km.is_alive()
        assert not folder.exists()
    finally:
        pool.close()


def _private_uses(tree: ast.AST, ours: set[str]) -> list[str]:
    """``x._name`` where ``x`` is not ``self``/``cls`` nor a name bound to a module of this package."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            if isinstance(base, ast.Name) and (base.id in {"self", "cls"} or base.id in ours):
                continue
            found.append(f"{ast.unparse(node)} (line {node.lineno})")
    return found


ENGINE_FILES = ["pipeline/*.py", "cli.py", "present/report.py", "present/charts/cache.py", "ingest/load.py",
                "analysis/key_figures.py", "storage/year_input.py", "storage/processed.py"]


@pytest.mark.parametrize("path", sorted({p for g in ENGINE_FILES for p in SRC.glob(g)}),
                         ids=lambda p: str(p.relative_to(SRC)))
def test_the_engine_touches_no_private_part_of_another_library(path: Path) -> None:
    """No ``._name`` of CPython, multiprocessing, threading, atexit, IPython, papermill, nbconvert,
    matplotlib … in the build's engine and the layers it hands inputs to (names of this package's own
    modules, ``self`` and ``cls`` are ours)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ours = {a.asname or a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
            and (n.module or "").startswith("fundanalysis") for a in n.names}
    ours |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names if a.name.startswith("fundanalysis")}
    assert _private_uses(tree, ours) == []


def test_no_import_is_poisoned() -> None:
    """Nothing in the package sets ``sys.modules[...]`` (the lean imports that made an optional
    module fail to import are gone)."""
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.Delete):
                for t in node.targets:
                    if isinstance(t, ast.Subscript) and "sys.modules" in ast.unparse(t.value):
                        raise AssertionError(f"{path}: {ast.unparse(node)}")
