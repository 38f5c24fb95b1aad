"""Imported once by the build's fork server: everything report notebooks need, preloaded."""

import pandas  # noqa: F401  # whole, with pyarrow, before anything is kept out

from fundanalysis.build.lean import lean_imports, lean_papermill

with lean_imports(), lean_papermill():
    from fundanalysis.build.inprocess import preload

preload()
