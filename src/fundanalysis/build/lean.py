"""Leaner imports for a build: optional parts of dependencies that cost seconds and a build never uses.

``jsonschema`` (imported by ``nbformat``, which papermill and nbconvert need) imports
``rfc3987_syntax`` when it is installed (JupyterLab's dependencies install it) to check the "iri"
string format; that module compiles a grammar as it is imported, which takes seconds. Notebook
validation never checks that format. While a build imports nbformat, the import is made to fail,
so jsonschema goes on without it (it treats the module as optional). Nothing changes for a
process that has imported jsonschema already (a test run, a Jupyter server).
"""

from __future__ import annotations

import contextlib

from fundanalysis import optional

#: Optional modules a build keeps out while importing what it needs.
SKIPPED = ("rfc3987_syntax",)


def lean_imports() -> contextlib.AbstractContextManager[None]:
    """While the block runs, importing a module of :data:`SKIPPED` fails (unless jsonschema, which
    would have used it, is imported already)."""
    return optional.without(SKIPPED, unless="jsonschema")


def import_nbformat() -> None:
    """Import nbformat (and jsonschema) the lean way."""
    with lean_imports():
        import nbformat  # noqa: F401
