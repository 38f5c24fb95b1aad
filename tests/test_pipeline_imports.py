"""What a build's main process imports: the notebooks' own machinery (IPython, papermill, matplotlib)
is imported by the fork server its notebook processes come from, not by the process that validates,
plans and publishes while they run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

BUILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from fundanalysis.pipeline.orchestrate import build_reports
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    built = build_reports([("changzhou-industrial-internet", 2019)], data, out, echo=lambda m: None)
    print(json.dumps({"built": [list(t) for t in built],
                      "modules": sorted(m for m in ("IPython", "papermill", "matplotlib", "nbclient", "arrow",
                                                              "isoduration", "rfc3987_syntax")
                                        if m in sys.modules)}))
""")


def test_the_main_process_of_a_build_leaves_notebook_machinery_to_the_fork_server(
        data_2019: Path, tmp_path: Path) -> None:
    """A whole build (four notebooks run, the year published) without the main process importing
    IPython, papermill, nbclient or matplotlib, nor jsonschema's optional format checkers."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", BUILD, str(data_2019), str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["built"] == [["changzhou-industrial-internet", 2019]]
    assert (tmp_path / "out" / "changzhou-industrial-internet" / "2019" / "index.html").is_file()
    assert got["modules"] == []


def test_the_notebook_schemas_check_no_string_format() -> None:
    """Why a build may import jsonschema without its format checkers (pipeline/lean.py): no schema
    nbformat validates notebooks with uses the "format" keyword."""
    import nbformat

    schemas = sorted(Path(nbformat.__file__).parent.glob("v*/*.schema.json"))
    assert schemas

    def formats(node: object) -> list[str]:
        if isinstance(node, dict):
            here = [node["format"]] if isinstance(node.get("format"), str) else []
            return here + [f for v in node.values() for f in formats(v)]
        if isinstance(node, list):
            return [f for v in node for f in formats(v)]
        return []

    for path in schemas:
        assert formats(json.loads(path.read_text(encoding="utf-8"))) == [], path.name


def test_the_fork_server_imports_papermill_without_pyarrows_file_systems(tmp_path: Path) -> None:
    """papermill imports pyarrow.fs only for hdfs:// paths: the fork server's preload leaves it out
    (a tenth of a second before any notebook can start), papermill still reads and writes local
    notebooks, and a process forked from it that reads Parquet imports it then."""
    code = textwrap.dedent("""
        import json, sys
        import fundanalysis.pipeline._forkserver_preload
        before = "pyarrow.fs" in sys.modules
        import nbformat, papermill.iorw as iorw
        from nbformat import v4
        nb = v4.new_notebook(cells=[v4.new_code_cell("1")])
        path = sys.argv[1] + "/n.ipynb"
        iorw.write_ipynb(nb, path)
        back = iorw.load_notebook_node(path)
        import pandas as pd
        pd.DataFrame({"a": [1, 2]}).to_parquet(sys.argv[1] + "/t.parquet")
        read = pd.read_parquet(sys.argv[1] + "/t.parquet")["a"].tolist()
        print(json.dumps({"before": before, "cells": len(back.cells), "read": read,
                          "after": "pyarrow.fs" in sys.modules}))
    """)
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"before": False, "cells": 1, "read": [1, 2],
                                                               "after": True}


def test_the_fork_server_freezes_what_it_preloaded_and_collects_again(tmp_path: Path) -> None:
    """The server imports without the cyclic collector, then freezes what it holds: the collector is
    on again (a notebook's cyclic garbage is still freed), the preloaded objects are out of every
    collection (frozen), and the zygote freezes the years it loaded before forking notebooks."""
    code = textwrap.dedent("""
        import gc, json, sys
        import fundanalysis.pipeline._forkserver_preload
        enabled, frozen = gc.isenabled(), gc.get_freeze_count()
        class Cycle:
            pass
        c = Cycle(); c.me = c
        import weakref
        gone = weakref.ref(c); del c
        gc.collect()
        from fundanalysis.pipeline.zygote import _prime
        before = gc.get_freeze_count()
        kept = [[i] for i in range(1000)]  # what a zygote loads (tracked containers)
        _prime([], [])
        print(json.dumps({"enabled": enabled, "frozen": frozen, "freed": gone() is None,
                          "zygote_froze": gc.get_freeze_count() - before >= len(kept)}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["frozen"] > 100_000, got  # pandas, matplotlib, IPython, nbconvert: ~300,000 objects
    assert got == {**got, "enabled": True, "freed": True, "zygote_froze": True}
