"""The font embedded in the pages: a subset of the bundled Noto Sans SC holding every character a
page shows, each drawn exactly as the whole font draws it."""

from __future__ import annotations

import base64
import re
from io import BytesIO
from pathlib import Path

from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont
from hypothesis import example, given
from hypothesis import strategies as st

from fundanalysis.present.page import beyond_ascii, font_face_css
from fundanalysis.storage import fonts

ROOT = Path(__file__).resolve().parents[1]
TEXT = "工业互联网专项资金执行率（万元）：86.87%，获奖企业／宣传经费、排名·第1名"


def _font_of(css: str) -> TTFont:
    data = re.search(r"base64,([A-Za-z0-9+/=]+)\)", css)
    assert data, css[:200]
    return TTFont(BytesIO(base64.b64decode(data.group(1))))


def test_the_subset_draws_every_character_as_the_whole_font_does() -> None:
    """Each character maps to a glyph whose outline and advance are the whole font's; the
    subset's bounding box still bounds every glyph it holds; it is a small WOFF."""
    css = font_face_css(TEXT)
    assert css.startswith('@font-face { font-family:"FA Noto Sans SC"') and 'format("woff")' in css
    sub = _font_of(css)
    full = TTFont(BytesIO(fonts.cjk_font_bytes()), lazy=True)
    sub_cmap, full_cmap = sub.getBestCmap(), full.getBestCmap()
    wanted = {ord(c) for c in TEXT} | set(range(32, 127))
    assert wanted <= set(sub_cmap)
    sub_glyphs, full_glyphs = sub.getGlyphSet(), full.getGlyphSet()
    head = sub["head"]
    for cp in sorted(wanted):
        a, b = RecordingPen(), RecordingPen()
        sub_glyphs[sub_cmap[cp]].draw(a)
        full_glyphs[full_cmap[cp]].draw(b)
        assert a.value == b.value, chr(cp)
        assert sub_glyphs[sub_cmap[cp]].width == full_glyphs[full_cmap[cp]].width, chr(cp)
        pen = BoundsPen(sub_glyphs)
        sub_glyphs[sub_cmap[cp]].draw(pen)
        if pen.bounds is not None:
            x0, y0, x1, y1 = pen.bounds
            assert head.xMin <= x0 and head.yMin <= y0 and x1 <= head.xMax and y1 <= head.yMax, chr(cp)
    assert sub["hhea"].ascent == full["hhea"].ascent and sub["hhea"].descent == full["hhea"].descent
    assert len(base64.b64decode(re.search(r"base64,([^)]+)\)", css).group(1))) < 200_000


@given(st.text() | st.text(alphabet=st.characters(codec=None, categories=["Cs", "Lo", "Cc"])))
@example("工业\x7f互联网 <img src='data:image/png;base64,iVBORw0K'> 86.87%\x7e\x80\U0001F600\ud800")
def test_the_characters_a_page_needs_are_found_as_by_iterating_over_it(text: str) -> None:
    """The build subsets the font to the characters above U+007E of a year's pages, found in their
    UTF-8 bytes: exactly the characters iterating over the text finds, in order (DEL, astral
    characters and lone surrogates included)."""
    assert beyond_ascii(text) == "".join(c for c in text if ord(c) > 126)
