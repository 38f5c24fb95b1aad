"""Leaner imports for a build: optional parts of dependencies that cost seconds and a build never uses.

``jsonschema`` (imported by ``nbformat``, which papermill and nbconvert need) imports
``rfc3987_syntax`` when it is installed (JupyterLab's dependencies install it) to check the "iri"
string format; that module compiles a grammar as it is imported, which takes seconds. Notebook
validation never checks that format. The same holds for the other format checkers jsonschema
loads when they are installed (dates and durations through ``isoduration``, which imports
``arrow``; host names, URIs, URI templates, colours, JSON pointers: ~0.05 s together): the
notebook schemas use no "format" at all. While a build imports nbformat, those imports are made
to fail, so jsonschema goes on without them (it treats each as optional). Nothing changes for a
process that has imported jsonschema already (a test run, a Jupyter server).

papermill imports pyarrow's file systems for its ``hdfs://`` handler: the fork server imports
papermill without them (:func:`lean_papermill`).
"""

from __future__ import annotations

import contextlib

from fundanalysis import optional

#: Optional modules a build keeps out while importing what it needs.
SKIPPED = ("rfc3987_syntax", "isoduration", "fqdn", "rfc3339_validator", "rfc3986_validator", "uri_template",
           "webcolors", "jsonpointer")


#: Imported by papermill for its ``hdfs://`` handler alone: pyarrow's file systems (~0.13 s, most of
#: papermill's import). A build's notebooks read and write local files; whatever needs them later in
#: a process (``pd.read_parquet``) imports them then.
PAPERMILL_SKIPPED = ("pyarrow.fs",)


def lean_papermill() -> contextlib.AbstractContextManager[None]:
    """While the block runs, importing :data:`PAPERMILL_SKIPPED` fails (unless imported already), so
    that papermill, imported in it, goes on without its HDFS handler."""
    return optional.without(PAPERMILL_SKIPPED, unless="pyarrow.fs")


def lean_imports() -> contextlib.AbstractContextManager[None]:
    """While the block runs, importing a module of :data:`SKIPPED` fails (unless jsonschema, which
    would have used it, is imported already)."""
    return optional.without(SKIPPED, unless="jsonschema")


def import_nbformat() -> None:
    """Import nbformat (and jsonschema) the lean way."""
    with lean_imports():
        import nbformat  # noqa: F401
