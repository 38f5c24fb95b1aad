"""Imported once by the build's fork server: everything report notebooks need, preloaded."""

from fundanalysis.inprocess import preload

preload()
