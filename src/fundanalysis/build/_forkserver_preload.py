"""Imported once by the build's fork server: everything report notebooks need, preloaded."""

from fundanalysis.build.inprocess import preload

preload()
