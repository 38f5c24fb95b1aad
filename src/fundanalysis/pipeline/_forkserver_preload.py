"""Imported once by the build's fork server: everything report notebooks need, preloaded.

The cyclic garbage collector is off while the server imports (the objects made are kept for its
life; collecting among them only costs time), and what the server holds is then frozen
(``gc.freeze``): every process forked from it, and from it the notebooks, leaves those objects out
of its collections, so a notebook neither walks the server's ~300,000 objects nor copies their
memory pages by touching them.
"""

import gc

gc.disable()
try:
    import pandas  # noqa: F401  # whole, with pyarrow, before anything is kept out

    from fundanalysis.pipeline.lean import lean_imports, lean_papermill

    with lean_imports(), lean_papermill():
        from fundanalysis.pipeline.inprocess import preload

    preload()
    gc.freeze()
finally:
    gc.enable()
