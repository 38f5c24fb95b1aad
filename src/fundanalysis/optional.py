"""Importing without optional modules a library would load but this package never uses.

Some dependencies import an optional module when it is installed, at a cost of seconds: pandera
imports ``hypothesis`` (for data synthesis, never used by validation), jsonschema — through
nbformat — ``rfc3987_syntax`` (it compiles a grammar for a string format notebooks never use).
While :func:`without` runs, importing such a module fails, so the library goes on without it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence


@contextlib.contextmanager
def without(modules: Sequence[str], unless: str) -> Iterator[None]:
    """While the block runs, ``import m`` fails for each of ``modules`` not imported yet; nothing
    changes when ``unless`` is imported already (a process that uses it knowingly: a test run, a
    Jupyter server), so that it keeps what it loaded."""
    if unless in sys.modules:
        yield
        return
    blocked = [m for m in modules if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # `import m` raises ImportError
    try:
        yield
    finally:
        for m in blocked:
            if m in sys.modules and sys.modules[m] is None:
                del sys.modules[m]
