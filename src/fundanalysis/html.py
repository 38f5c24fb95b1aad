"""The HTML pages around the converted notebooks: one stylesheet, no external files."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --accent:#1f5fa8; --bad:#b42318;
        --bad-bg:#fef3f2; --na-bg:#f5f7fa; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:#fff;
  font-family:"FA Noto Sans SC","Noto Sans SC","Noto Sans CJK SC","Source Han Sans SC","PingFang SC",
  "Microsoft YaHei","WenQuanYi Micro Hei",sans-serif; line-height:1.65; }
header.fa { background:#0b3c6f; color:#fff; padding:18px 32px; }
header.fa a { color:#fff; }
header.fa .crumb { font-size:14px; opacity:.85; }
header.fa h1 { margin:4px 0 0; font-size:26px; }
nav.fa { padding:8px 32px; border-bottom:1px solid var(--line); font-size:15px; }
nav.fa a { margin-right:18px; color:var(--accent); text-decoration:none; }
nav.fa a.current { font-weight:bold; color:var(--ink); }
main { max-width:1040px; padding:8px 32px 48px; }
h1 { font-size:24px; } h2 { font-size:20px; margin-top:32px; border-bottom:2px solid var(--line);
  padding-bottom:4px; }
img { max-width:100%; height:auto; margin:8px 0; }
.fa-say { font-size:16px; }
.fa-subtitle { color:var(--muted); margin-top:-8px; }
table.fa-table, table.fa-index { border-collapse:collapse; margin:12px 0; font-size:14px; }
table.fa-table th, table.fa-table td, table.fa-index th, table.fa-index td {
  border-bottom:1px solid var(--line); padding:6px 10px; vertical-align:top; }
table.fa-table th, table.fa-index th { background:#f0f4f8; text-align:left; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.fail td { background:var(--bad-bg); color:var(--bad); font-weight:bold; }
tr.na td { background:var(--na-bg); color:var(--muted); }
.fa-tiles { display:flex; flex-wrap:wrap; gap:12px; margin:12px 0; }
.fa-tile { border:1px solid var(--line); border-radius:6px; padding:10px 16px; min-width:150px; }
.fa-tile .k { color:var(--muted); font-size:13px; }
.fa-tile .v { font-size:22px; font-weight:bold; }
footer.fa { color:var(--muted); font-size:13px; padding:16px 32px; border-top:1px solid var(--line); }
.jp-OutputArea-output pre, .output_stderr, a.anchor-link { display:none; }
"""


def esc(x: Any) -> str:
    """Escape any value for HTML text."""
    return html.escape("" if x is None else str(x))


def page(title: str, body: str, crumb: str = "", nav: Sequence[tuple[str, str, bool]] = (),
         footer: str = "") -> str:
    """A complete standalone page: inline CSS, no scripts, no external files."""
    current = ' class="current"'
    links = "".join(f'<a href="{esc(href)}"{current if cur else ""}>{esc(label)}</a>'
                    for label, href, cur in nav)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header class=\"fa\"><div class=\"crumb\">{crumb}</div><h1>{esc(title)}</h1></header>\n"
        + (f"<nav class=\"fa\">{links}</nav>\n" if links else "")
        + f"<main>\n{body}\n</main>\n"
        + f"<footer class=\"fa\">{footer}</footer>\n</body>\n</html>\n"
    )


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding Noto Sans SC, subset to the characters of ``text``.

    The pages then show Chinese on any machine, with no system font and no external file.
    """
    import base64
    import io as _io

    import pylopdf_fonts_zh_cn
    from fontTools import subset
    from fontTools.ttLib import TTFont

    codepoints = sorted({ord(c) for c in text if ord(c) > 126} | set(range(32, 127)))
    font = TTFont(pylopdf_fonts_zh_cn.sans_path(), lazy=True)
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=codepoints)
    sub.subset(font)
    buf = _io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return ('@font-face { font-family:"FA Noto Sans SC"; font-display:block; '
            f'src:url(data:font/woff;base64,{data}) format("woff"); }}')


def embed_font(pages: dict[str, str], css: str) -> dict[str, str]:
    """Add a subset font (``css`` from :func:`font_face_css`) to each page's head."""
    return {name: text.replace("</head>", f"<style>{css}</style>\n</head>", 1)
            for name, text in pages.items()}
