"""The bundled Chinese font (Noto Sans SC, SIL Open Font License, package ``pylopdf-fonts-zh-cn``)."""

from __future__ import annotations

import functools
from pathlib import Path


def cjk_font_path() -> Path:
    """Where the bundled Noto Sans SC lies (for matplotlib, which reads it itself)."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


@functools.lru_cache(maxsize=1)
def cjk_font_bytes() -> bytes:
    """The bundled Noto Sans SC, read once (for subsetting into pages)."""
    return cjk_font_path().read_bytes()
