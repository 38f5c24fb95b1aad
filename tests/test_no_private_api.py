"""The package uses other packages through their public API only, and patches nothing.

Every module under ``src/fundanalysis`` is parsed with :mod:`ast` and refused on:

(a) an attribute access ``X._name`` (one leading underscore, not a dunder) where ``X`` is not
    ``self``/``cls``, nor a name bound to one of our modules, classes or functions (imported from
    ``fundanalysis``, or defined in the module itself);
(b) an assignment to an attribute of an imported foreign module or class (``mod.attr = ...``,
    ``setattr(mod, ...)``, ``delattr``, ``del mod.attr``);
(c) ``sys.modules[...] = ...`` (or ``del``, or its ``update``/``pop``/``setdefault``);
(d) a call to ``os._exit``, ``atexit._run_exitfuncs``, ``threading._shutdown`` or ``gc.freeze``.

Names are resolved through the module's own imports: an import of ``fundanalysis.*`` (or a
relative one) is ours, anything else is foreign. Findings are shown as ``file:line: what``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fundanalysis"


#: Calls that end the interpreter or change its machinery behind its back.
FORBIDDEN_CALLS = frozenset({"os._exit", "atexit._run_exitfuncs", "threading._shutdown", "gc.freeze"})
#: Methods of ``sys.modules`` that change it.
_MODULES_CHANGES = frozenset({"update", "pop", "setdefault", "popitem", "clear", "__setitem__", "__delitem__"})


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name != "_"


def _ours(origin: str) -> bool:
    return origin == "fundanalysis" or origin.startswith("fundanalysis.")


class _Scanner(ast.NodeVisitor):
    """Collects the findings of one module (see the module docstring)."""

    def __init__(self, filename: str, tree: ast.Module) -> None:
        self.filename = filename
        self.findings: list[str] = []
        #: local name -> the dotted name it was imported as (``np`` -> ``numpy``).
        self.imported: dict[str, str] = {}
        #: names defined at the top of the module (our classes and functions).
        self.defined: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imported[alias.asname] = alias.name
                    else:
                        root = alias.name.split(".")[0]
                        self.imported[root] = root
            elif isinstance(node, ast.ImportFrom):
                module = "fundanalysis" if node.level else (node.module or "")
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = f"{module}.{alias.name}"
        for node in tree.body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                self.defined.add(node.name)

    def _add(self, node: ast.AST, what: str) -> None:
        self.findings.append(f"{self.filename}:{getattr(node, 'lineno', '?')}: {what}")

    def origin(self, expr: ast.expr) -> str | None:
        """The dotted name ``expr`` stands for through the module's imports (None: not imported)."""
        if isinstance(expr, ast.Name):
            return self.imported.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.origin(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    def _foreign(self, expr: ast.expr) -> str | None:
        """The dotted name of an imported foreign module or class ``expr`` stands for, else None."""
        got = self.origin(expr)
        return got if got is not None and not _ours(got) else None

    def _our_object(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Name):
            if expr.id in ("self", "cls") or expr.id in self.defined:
                return True
        got = self.origin(expr)
        return got is not None and _ours(got)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _is_private(node.attr) and not self._our_object(node.value):
            self._add(node, f"private attribute {ast.unparse(node)}")
        self.generic_visit(node)

    def _target(self, target: ast.expr, verb: str) -> None:
        if isinstance(target, ast.Attribute) and (mod := self._foreign(target.value)):
            self._add(target, f"{verb} an attribute of {mod}: {ast.unparse(target)}")
        elif isinstance(target, ast.Subscript) and self.origin(target.value) == "sys.modules":
            self._add(target, f"{verb} sys.modules: {ast.unparse(target)}")
        elif isinstance(target, ast.Tuple | ast.List):
            for t in target.elts:
                self._target(t, verb)

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            self._target(t, "assignment to")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target, "assignment to")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.target, "assignment to")
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            self._target(t, "deletion of")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.origin(node.func)
        if name in FORBIDDEN_CALLS:
            self._add(node, f"call to {name}")
        if (isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
                and "setattr" not in self.imported and node.args and (mod := self._foreign(node.args[0]))):
            self._add(node, f"{node.func.id} on {mod}")
        if (isinstance(node.func, ast.Attribute) and node.func.attr in _MODULES_CHANGES
                and self.origin(node.func.value) == "sys.modules"):
            self._add(node, f"change of sys.modules: {ast.unparse(node.func)}")
        self.generic_visit(node)


def findings(source: str, filename: str = "<snippet>") -> list[str]:
    """Every private access and monkeypatch of ``source`` as ``file:line: what``."""
    tree = ast.parse(source, filename)
    scanner = _Scanner(filename, tree)
    scanner.visit(tree)
    return scanner.findings


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_uses_no_private_api_and_patches_nothing() -> None:
    modules = _modules()
    assert len(modules) > 50  # the package is scanned, not an empty folder
    found = [f for path in modules
             for f in findings(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent.parent)))]
    assert not found, "\n".join(found)


# ------------------------------------------------------------------ the scan itself, on crafted code

CRAFTED = {
    "private attribute of a foreign module": (
        "import multiprocessing.forkserver\nmultiprocessing.forkserver._forkserver._stop()\n", 2),
    "private attribute of an aliased import": ("from matplotlib import font_manager as fm\n"
                                               "fm.fontManager._find_fonts_by_props(p)\n", 2),
    "private attribute of a foreign object": ("def f(canvas):\n    return canvas._lastKey\n", 2),
    "private method through super()": ("class R(Base):\n    def m(self):\n        return super()._get(1)\n", 3),
    "assignment to a foreign module": ("import pandas as pd\npd.options = None\n", 2),
    "assignment to a foreign class": ("from matplotlib.backends.backend_agg import RendererAgg\n"
                                      "RendererAgg.draw_text = print\n", 2),
    "augmented assignment to a foreign module": ("import json\njson.x += 1\n", 2),
    "setattr on a foreign module": ("import threading\nsetattr(threading, 'excepthook', print)\n", 2),
    "delattr on a foreign module": ("import json\ndelattr(json, 'dumps')\n", 2),
    "deletion of a foreign attribute": ("import json\ndel json.dumps\n", 2),
    "sys.modules assignment": ("import sys\nsys.modules['jsonschema'] = None\n", 2),
    "sys.modules through an alias": ("from sys import modules\nmodules['x'] = None\n", 2),
    "sys.modules update": ("import sys\nsys.modules.update({'x': None})\n", 2),
    "os._exit": ("import os\nos._exit(0)\n", 2),
    "os._exit imported by name": ("from os import _exit as quit_now\nquit_now(0)\n", 2),
    "atexit._run_exitfuncs": ("import atexit\natexit._run_exitfuncs()\n", 2),
    "threading._shutdown": ("import threading\nthreading._shutdown()\n", 2),
    "gc.freeze": ("import gc\ngc.freeze()\n", 2),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_each_kind_of_violation_is_found_with_its_line(case: str) -> None:
    source, line = CRAFTED[case]
    got = findings(source, "crafted.py")
    assert got, f"{case}: not found"
    assert any(f.startswith(f"crafted.py:{line}: ") for f in got), got


ALLOWED = {
    "our own private names": ("from fundanalysis.ingest import clean\nclean._as_text(s)\n"
                              "from fundanalysis.present.charts.text import _esc\n"),
    "our relative import": "from . import clean\nclean._float_text(1.0)\n",
    "self and cls": "class A:\n    def f(self):\n        return self._x, type(self)\n"
                    "    @classmethod\n    def g(cls):\n        return cls._y\n",
    "a class of the module": "class A:\n    _cache = {}\n\ndef f():\n    return A._cache\n",
    "dunders and public names": ("import sys\nimport matplotlib as mpl\nx = sys.__name__\n"
                                 "mpl.rcParams['font.size'] = 9\nsys.stdout.write('x')\n"),
    "assignment to our module": "from fundanalysis import config\nconfig.X = 1\n",
    "attributes of a local object": "def f(o):\n    o.name = 1\n    setattr(o, 'x', 2)\n",
    "reading sys.modules": "import sys\nm = sys.modules.get('pandas')\n",
    "os.exit-like public calls": "import sys\nsys.exit(2)\n",
}


@pytest.mark.parametrize("case", list(ALLOWED))
def test_public_use_and_our_own_names_are_not_findings(case: str) -> None:
    assert findings(ALLOWED[case], "allowed.py") == []


def test_a_finding_names_file_line_and_the_expression() -> None:
    got = findings("import os\n\n\nos._exit(0)\n", "src/fundanalysis/x.py")
    assert "src/fundanalysis/x.py:4: call to os._exit" in got
    assert "src/fundanalysis/x.py:4: private attribute os._exit" in got
