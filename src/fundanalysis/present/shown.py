"""What a report heading returns: it displays as the page shows it, and holds the numbers.

``report.award_categories()`` returns a :class:`Shown`. As the last expression of a notebook
cell it displays as in the built report (sentence, table, chart), with its own styles, so it
looks the same in JupyterLab; ``.df`` is the table behind it with raw values (integer 分,
fractions), ``.text`` the sentence, ``.charts`` the charts (PNG bytes, with a narrow variant
for phones).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

import pandas as pd

from fundanalysis.present.words import MethodNote

#: Styles of the library's outputs (tables, sentences, key-figure tiles, flagged rows), scoped by
#: their ``fa-`` classes. They travel with each output, so JupyterLab shows what the report
#: shows; the report pages drop the copies (their stylesheet has the same rules).
OUTPUT_CSS = """
.fnd-out { --fnd-ink:#1f2933; --fnd-muted:#52606d; --fnd-line:#d9e2ec; --fnd-bad:#b42318; --fnd-bad-bg:#fef3f2;
  --fnd-na-bg:#f5f7fa; color:var(--fnd-ink); }
.fnd-out .fnd-say { font-size:16px; line-height:1.65; margin:8px 0; }
.fnd-out .fnd-subtitle { color:var(--fnd-muted); }
.fnd-out .fnd-scroll { overflow-x:auto; max-width:100%; -webkit-overflow-scrolling:touch; }
.fnd-out table.fnd-table { border-collapse:collapse; margin:12px 0; font-size:14px; width:auto; }
.fnd-out table.fnd-table thead tr, .fnd-out table.fnd-table tbody tr { background:none; }
.fnd-out table.fnd-table th, .fnd-out table.fnd-table td { border:none; border-bottom:1px solid var(--fnd-line);
  padding:6px 10px; vertical-align:top; text-align:left; }
.fnd-out table.fnd-table th { background:#f0f4f8; white-space:nowrap; font-weight:bold; }
.fnd-out table.fnd-table td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.fnd-out table.fnd-table td.fail { background:var(--fnd-bad-bg); color:var(--fnd-bad); font-weight:bold; }
.fnd-out table.fnd-table td.na { background:var(--fnd-na-bg); color:var(--fnd-muted); }
.fnd-out .fnd-tiles { display:flex; flex-wrap:wrap; gap:12px; margin:12px 0; }
.fnd-out .fnd-tile { border:1px solid var(--fnd-line); border-radius:6px; padding:10px 16px; min-width:150px; }
.fnd-out .fnd-tile .k { color:var(--fnd-muted); font-size:13px; }
.fnd-out .fnd-tile .v { font-size:22px; font-weight:bold; }
.fnd-out .fnd-tile .p { color:var(--fnd-muted); font-size:12px; max-width:260px; }
.fnd-out img { max-width:100%; height:auto; margin:8px 0; }
@media (max-width: 600px) {
  .fnd-out table.fnd-table { font-size:13px; }
  .fnd-out table.fnd-table th, .fnd-out table.fnd-table td { padding:5px 6px; }
  .fnd-out table.fnd-table td.txt { min-width:5.5em; }
  .fnd-out .fnd-tile { min-width:calc(50% - 6px); padding:8px 10px; }
  .fnd-out .fnd-tile .v { font-size:18px; }
}
"""
#: The class of a sentence that explains how the page works (a ``words.MethodNote``): shown on the
#: page, left out of a briefing.
METHOD_CLASS = "fnd-method"


def say_html(text: str) -> str:
    """A heading's sentences as a ``<p class="fnd-say">``, each method note in a
    ``<span class="fnd-method">`` (text escaped).

    >>> from fundanalysis.present.words import MethodNote, Sentences
    >>> say_html(Sentences("共 3 项，", MethodNote("表中如实留空。")))
    '<p class="fnd-say">共 3 项，<span class="fnd-method">表中如实留空。</span></p>'
    """
    parts = getattr(text, "parts", None) or (text,)
    inner = "".join(f'<span class="{METHOD_CLASS}">{html.escape(p)}</span>' if isinstance(p, MethodNote)
                    else html.escape(p) for p in parts)
    return f'<p class="fnd-say">{inner}</p>'


#: The marker of the style block an output carries (the report pages remove these blocks).
STYLE_TAG = '<style class="fnd-output-style">'


@dataclass(frozen=True)
class Chart:
    """A chart as shown: its slug, title, PNG and a narrow variant for small screens (or None)."""

    slug: str
    title: str
    png: bytes
    narrow_png: bytes | None = None

    def html(self) -> str:
        """An ``<img>`` (with a ``<picture>`` source for screens up to 600 px when there is a
        narrow variant), the PNGs embedded."""
        wide = f"data:image/png;base64,{base64.b64encode(self.png).decode('ascii')}"
        img = f'<img src="{wide}" alt="{html.escape(self.title)}" class="fnd-chart">'
        if self.narrow_png is None:
            return img
        narrow = f"data:image/png;base64,{base64.b64encode(self.narrow_png).decode('ascii')}"
        return f'<picture><source media="(max-width: 600px)" srcset="{narrow}">{img}</picture>'

    def _repr_png_(self) -> bytes:
        return self.png


class Charts(list[Chart]):
    """A heading's charts: a list that displays as the images in JupyterLab (not their bytes)."""

    def _repr_html_(self) -> str:
        return "".join(c.html() for c in self)

    def __repr__(self) -> str:
        return f"<Charts: {', '.join(c.slug for c in self) or 'none'}>"


@dataclass
class Shown:
    """One heading's output: ``html`` as displayed, ``df`` the numbers behind it (raw values),
    ``text`` its sentence, ``charts`` its charts."""

    html: str = ""
    df: pd.DataFrame | None = None
    text: str | None = None
    charts: Charts = field(default_factory=Charts)

    def __post_init__(self) -> None:
        if not isinstance(self.charts, Charts):
            self.charts = Charts(self.charts)

    def _repr_html_(self) -> str:
        body = self.html + "".join(c.html() for c in self.charts)
        return f'{STYLE_TAG}{OUTPUT_CSS}</style><div class="fnd-out">{body}</div>'

    def __repr__(self) -> str:
        rows = "" if self.df is None else f", df: {len(self.df)} rows × {len(self.df.columns)} columns"
        charts = f", {len(self.charts)} chart(s)" if self.charts else ""
        return f"<Shown {self.text or ''}{rows}{charts}>"
