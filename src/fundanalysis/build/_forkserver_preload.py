"""Imported once by the build's fork server: everything report notebooks need, preloaded."""

from fundanalysis.build.lean import lean_imports

with lean_imports():
    from fundanalysis.build.inprocess import preload

preload()
