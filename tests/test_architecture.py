"""The package's layout holds: only the I/O layer touches the disk; layers import downwards.

These scan the syntax tree of every module, so a new file-system call or a new upward import
anywhere fails here, with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fundanalysis"
IO_LAYER = PACKAGE / "storage"

#: Methods that only a path (or a file) has: reading, writing, listing, stat-ing, linking.
PATH_METHODS = {
    "read_text", "read_bytes", "write_text", "write_bytes", "open", "glob", "rglob", "iterdir",
    "stat", "lstat", "exists", "is_dir", "is_file", "is_symlink", "mkdir", "rmdir", "unlink",
    "symlink_to", "hardlink_to", "touch", "chmod", "readlink", "samefile",
}
#: Module functions that touch the disk, by module.
MODULE_FUNCTIONS = {
    "os": {"replace", "rename", "renames", "remove", "unlink", "rmdir", "mkdir", "makedirs", "symlink",
           "link", "listdir", "scandir", "walk", "stat", "lstat", "chmod", "readlink", "open", "utime"},
    "shutil": None,  # every shutil function copies, moves or removes files
    "tempfile": None,
    "glob": None,
    "nbformat": {"read", "write"},
    "json": {"load", "dump"},
    "pd": {"read_csv", "read_parquet", "read_excel", "read_json"},
    "logging": {"FileHandler"},
}
#: DataFrame methods that write files.
FRAME_WRITERS = {"to_csv", "to_parquet", "to_excel", "to_json"}


def storage_names(tree: ast.Module) -> set[str]:
    """Names a module binds to the I/O layer's modules (``from fundanalysis.storage import files``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "fundanalysis.storage":
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fundanalysis.storage."):
            names |= {a.asname or a.name for a in node.names}
    return names


def disk_calls(path: Path) -> list[str]:
    """Every file-system call in one module, as ``file:line name`` (calls into the I/O layer's
    own modules, such as ``files.write_text``, are the way to touch the disk and are fine)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed = storage_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = None
        if isinstance(f, ast.Name) and f.id == "open":
            name = "open"
        elif isinstance(f, ast.Attribute):
            owner = f.value.id if isinstance(f.value, ast.Name) else None
            if owner in allowed:
                continue
            if owner in MODULE_FUNCTIONS and (MODULE_FUNCTIONS[owner] is None or f.attr in MODULE_FUNCTIONS[owner]):
                name = f"{owner}.{f.attr}"
            elif owner not in MODULE_FUNCTIONS and f.attr in PATH_METHODS | FRAME_WRITERS:
                name = f".{f.attr}"
        if name is not None:
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    return found


def modules(exclude: Path | None = None) -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if exclude is None or exclude not in p.parents]


def test_only_the_io_layer_touches_the_disk() -> None:
    calls = [c for p in modules(exclude=IO_LAYER) for c in disk_calls(p)]
    assert not calls, "file-system calls outside fundanalysis.storage:\n" + "\n".join(calls)


def test_the_scan_finds_disk_calls(tmp_path: Path) -> None:
    """The scanner itself: each kind of call is seen (so the test above could fail)."""
    found = disk_calls(PACKAGE / "storage" / "files.py") + disk_calls(PACKAGE / "storage" / "locks.py")
    for kind in (".read_text", ".mkdir", "os.replace", "shutil.rmtree", "tempfile.mkstemp", " open"):
        assert any(c.endswith(kind) for c in found), kind
    module = tmp_path / "m.py"
    module.write_text("from fundanalysis.storage import files\nfiles.write_text(p, 't')\np.write_text('t')\n",
                      encoding="utf-8")
    assert [c.split(" ")[1] for c in disk_calls_of(module)] == [".write_text"]


def disk_calls_of(path: Path) -> list[str]:
    """:func:`disk_calls` for a module outside the package (the scanner's own test)."""
    global PACKAGE
    saved, PACKAGE = PACKAGE, path.parent
    try:
        return disk_calls(path)
    finally:
        PACKAGE = saved


#: Each layer and the layers it may import (lower ones). ``vocab``, ``config``, ``errors`` and
#: ``optional`` are shared by all.
LAYERS = {
    "storage": set(),
    "ingest": {"storage"},
    "analysis": {"ingest", "storage"},
    "present": {"analysis", "ingest", "storage"},
    "export": {"analysis", "ingest", "present", "storage"},
    "build": {"analysis", "ingest", "present", "storage", "export"},
    "extract": {"ingest", "storage"},
    "review": {"analysis", "ingest", "present", "storage"},
}
SHARED = {"vocab", "config", "errors", "optional", "__init__"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def upward_imports(path: Path) -> list[str]:
    """Imports of fundanalysis modules that a module's layer may not use."""
    rel = path.relative_to(PACKAGE).with_suffix("")
    own = rel.parts[0] if len(rel.parts) > 1 else None
    if own not in LAYERS:
        return []
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fundanalysis"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("fundanalysis")]
        for n in names:
            target = ".".join(n.split(".")[1:3])
            layer = layer_of(n)
            if not layer or layer == own or layer in SHARED or n.split(".")[1] in SHARED:
                continue
            if layer in LAYERS[own] or target in LAYERS[own]:
                continue
            if layer in LAYERS or layer in ("api", "cli"):
                bad.append(f"{rel}:{node.lineno} imports {n}")
                break
    return bad


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_import_only_downwards(layer: str) -> None:
    bad = [b for p in modules() if p.relative_to(PACKAGE).parts[0] == layer for b in upward_imports(p)]
    assert not bad, "\n".join(bad)


def test_no_module_is_named_like_a_stdlib_module_the_code_needs() -> None:
    """``fundanalysis.io`` or ``fundanalysis.html`` forced aliases beside the stdlib ones."""
    import sys

    names = {p.stem for p in modules()} | {p.name for p in PACKAGE.iterdir() if p.is_dir()}
    clashes = sorted(n for n in names if n in sys.stdlib_module_names)
    assert not clashes, clashes
