"""The HTML pages: the shell around converted notebooks, the index pages, one stylesheet, an
embedded font subset; no scripts, no external files. Pure functions: text in, text out.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fundanalysis import __version__
from fundanalysis.present import fmt, words
from fundanalysis.present.shown import STYLE_TAG
from fundanalysis.storage import fonts
from fundanalysis.vocab import MoneyKind

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
.fnd-say { font-size:16px; }
.fnd-subtitle { color:var(--muted); margin-top:-8px; }
table.fnd-table, table.fnd-index { border-collapse:collapse; margin:12px 0; font-size:14px; }
table.fnd-table th, table.fnd-table td, table.fnd-index th, table.fnd-index td {
  border-bottom:1px solid var(--line); padding:6px 10px; vertical-align:top; }
table.fnd-table th, table.fnd-index th { background:#f0f4f8; text-align:left; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.fail { background:var(--bad-bg); color:var(--bad); font-weight:bold; }
td.na { background:var(--na-bg); color:var(--muted); }
.fnd-tiles { display:flex; flex-wrap:wrap; gap:12px; margin:12px 0; }
.fnd-tile { border:1px solid var(--line); border-radius:6px; padding:10px 16px; min-width:150px; }
.fnd-tile .k { color:var(--muted); font-size:13px; }
.fnd-tile .v { font-size:22px; font-weight:bold; }
.fnd-tile .p, .fnd-index .p { color:var(--muted); font-size:12px; font-weight:normal; max-width:260px; }
footer.fa { color:var(--muted); font-size:13px; padding:16px 32px; border-top:1px solid var(--line); }
.jp-OutputArea-output pre, .output_stderr, a.anchor-link { display:none; }
.fnd-scroll { overflow-x:auto; max-width:100%; -webkit-overflow-scrolling:touch; }
.jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-Cell, .jp-OutputArea, .jp-Notebook { max-width:100%;
  min-width:0; overflow-wrap:anywhere; }
.jp-OutputPrompt, .jp-InputPrompt { display:none; }
@media (max-width: 600px) {
  header.fa { padding:12px 14px; } header.fa h1 { font-size:19px; }
  nav.fa { padding:6px 14px; font-size:14px; } nav.fa a { display:inline-block; margin:2px 12px 2px 0; }
  main { padding:4px 14px 32px; } footer.fa { padding:12px 14px; }
  h2 { font-size:18px; } .fnd-say { font-size:15px; }
  table.fnd-table, table.fnd-index { font-size:13px; }
  table.fnd-table th, table.fnd-table td, table.fnd-index th, table.fnd-index td { padding:5px 6px; }
  table.fnd-table td.txt { min-width:5.5em; }
  .fnd-tile { min-width:calc(50% - 6px); padding:8px 10px; } .fnd-tile .v { font-size:18px; }
}
@page { size:A4; margin:16mm 15mm 18mm;
  @bottom-right { content:"第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size:8pt; color:#52606d; } }
@media print {
  body { font-size:10.5pt; line-height:1.55; }
  header.fa { background:none; color:var(--ink); padding:0 0 3mm; border-bottom:1.5pt solid var(--ink); }
  header.fa .crumb, nav.fa, .fnd-skip { display:none; }
  header.fa h1 { font-size:17pt; } .fnd-subtitle { margin-top:2mm; }
  main { max-width:none; padding:0; }
  h2 { font-size:13pt; margin-top:6mm; break-after:avoid; page-break-after:avoid; }
  .fnd-say { font-size:10.5pt; }
  a { color:inherit; text-decoration:none; }
  .fnd-scroll { overflow:visible; }
  table.fnd-table, table.fnd-index { font-size:9pt; }
  table.fnd-table th, table.fnd-index th { background:none; border-top:1pt solid var(--ink);
    border-bottom:.75pt solid var(--ink); }
  table.fnd-table tr:last-child td, table.fnd-index tr:last-child td { border-bottom:1pt solid var(--ink); }
  table.fnd-table tr, .fnd-tiles, .fnd-tile, img, picture {
    break-inside:avoid; page-break-inside:avoid; }
  table.fnd-table thead { display:table-header-group; }
  img.fnd-chart, picture img { max-height:90mm; width:auto; max-width:100%; }
  td.fail, td.na { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
  footer.fa { padding:3mm 0 0; font-size:8pt; }
}
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
        f"<title>{esc(title)}</title>\n<style>{CSS}{print_margin_css(title, footer)}</style>\n</head>\n<body>\n"
        f"<header class=\"fa\"><div class=\"crumb\">{crumb}</div><h1>{esc(title)}</h1></header>\n"
        + (f"<nav class=\"fa\">{links}</nav>\n" if links else "")
        + f"<main>\n{body}\n</main>\n"
        + f"<footer class=\"fa\">{footer}</footer>\n</body>\n</html>\n"
    )


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end its ``<style>`` element."""
    return '"' + text.replace("\\", "\\5c ").replace('"', "\\22 ").replace("<", "\\3c ") + '"'


def print_margin_css(title: str, footer: str) -> str:
    r"""An ``@page`` rule printing the page's title at the head and its footer text (HTML) at the
    foot of every printed page (so a browser prints these instead of its own date and file path).

    >>> css = print_margin_css("甲", '资料来源：<b>"乙"</b> &lt;/style&gt;')
    >>> css.startswith('@page { @top-right { content:"甲";') and "</style>" not in css and "\\22 乙" in css
    True
    """
    import re

    boxes = {"top-right": title, "bottom-left": html.unescape(re.sub(r"<[^>]+>", "", footer))}
    rules = " ".join(f"@{box} {{ content:{_css_string(' '.join(text.split()))}; font-size:7.5pt; color:#52606d; }}"
                     for box, text in boxes.items() if text.strip())
    return f"@page {{ {rules} }}" if rules else ""


#: The bytes 0x00–0x7E: what a page's text is mostly made of (markup, base64 images), and which
#: the embedded font need not cover (the subset holds them all anyway).
_ASCII_BYTES = bytes(range(0x7F))


def beyond_ascii(text: str) -> str:
    """The characters of ``text`` above U+007E (those a page's font subset is made for), in order,
    repeats kept.

    A page is MBs, mostly ASCII: its UTF-8 bytes less the ASCII bytes are the UTF-8 of exactly
    those characters (no byte of a multi-byte character is ASCII), found in C; iterating over the
    page's characters took ~6x longer.
    """
    return text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding Noto Sans SC, subset to the characters of ``text``.

    The pages then show Chinese on any machine, with no system font and no external file.
    """
    import base64
    from io import BytesIO

    from fontTools import subset
    from fontTools.ttLib import TTFont

    codepoints = sorted({ord(c) for c in beyond_ascii(text)} | set(range(32, 127)))
    # the bounding boxes are kept as the whole font has them (a box around every glyph still
    # bounds the subset's; no browser lays text out by them) instead of recomputed from each
    # glyph's outline: that recomputation ran every glyph's charstrings and was ~40 % of the time
    font = TTFont(BytesIO(fonts.cjk_font_bytes()), lazy=True, recalcBBoxes=False)
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=codepoints)
    sub.subset(font)
    buf = BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return ('@font-face { font-family:"FA Noto Sans SC"; font-display:block; '
            f'src:url(data:font/woff;base64,{data}) format("woff"); }}')


def embed_font(pages: dict[str, str], css: str) -> dict[str, str]:
    """Add a subset font (``css`` from :func:`font_face_css`) to each page's head."""
    return {name: text.replace("</head>", f"<style>{css}</style>\n</head>", 1)
            for name, text in pages.items()}


@dataclass(frozen=True)
class SectionLink:
    """A section page as the navigation shows it: its file stem and its title."""

    slug: str
    title: str


def footer(summary: dict[str, Any]) -> str:
    """The footer of a year's pages: the source report, the tool's version and, when known, when
    the page was built and the digest of the input it was built from (so a reader sees a stale report)."""
    src = summary.get("source_report") or ""
    when = f"于 {esc(summary['built_at'])} " if summary.get("built_at") else ""
    digest = summary.get("input_digest")
    made = (f'；输入摘要 <span title="{esc(digest)}">{esc(str(digest)[:12])}</span>' if digest else "")
    return (f"资料来源：{esc(src)}。金额以万元显示，万元会舍去分的以元显示（计算精确到分）。"
            f"由 fundanalysis {esc(__version__)} {when}生成{made}。")


def _crumb(summary: dict[str, Any], up: str = "", here: str = "") -> str:
    """The trail from every fund down to a year's page: ``up`` leads to the year's own folder."""
    return (f'<a href="{up}../../index.html">全部专项资金</a> › <a href="{up}../index.html">'
            f'{esc(summary["fund_name"])}</a> › ' + (here or f"{summary['year']} 年度"))


def section_page(section: SectionLink, sections: Sequence[SectionLink], summary: dict[str, Any],
                 body: str) -> str:
    """Wrap a converted section in the site's page with navigation."""
    nav = [("目录", "index.html", False)] + [
        (s.title, f"{s.slug}.html", s.slug == section.slug) for s in sections]
    crumb = _crumb(summary, here=f'<a href="index.html">{summary["year"]} 年度</a>')
    return page(f"{summary['year']} 年度 {summary['fund_name']} · {section.title}", without_output_styles(body),
                crumb=crumb, nav=nav, footer=footer(summary))


def without_output_styles(body: str) -> str:
    """The section's HTML without the style block each library output carries for JupyterLab
    (the page's stylesheet has the same rules once)."""
    import re

    return re.sub(re.escape(STYLE_TAG) + r".*?</style>", "", body, flags=re.S)


def key_figure_tiles(summary: dict[str, Any]) -> str:
    """Budget, executed (or allocated) amount, rate, balance, receipts and projects as tiles, named
    as the data names them (全年预算数 or 专项资金总额; 已使用 or 已安排), each with how it was
    obtained (summary's ``provenance``). An allocation gives no rate and no balance."""
    return '<div class="fnd-tiles">' + "".join(
        f'<div class="fnd-tile"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div>'
        + (f'<div class="p">{esc(p)}</div>' if p else "") + "</div>"
        for k, v, p in key_figure_list(summary)) + "</div>"


def key_figure_list(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The key figures as :func:`key_figure_tiles` shows them: (label, formatted value, how it was
    obtained, "" when there is nothing to say)."""
    kind = summary.get("spent_kind")
    word = words.amount_word(kind, summary.get("spent_word"))
    prov = summary.get("provenance") or {}
    tiles: list[tuple[str, str, str]] = [
        (words.budget_label(summary.get("budget_basis")), fmt.money(summary["budget_fen"]),
         words.provenance(prov.get("budget_yuan")))]
    if kind == MoneyKind.ALLOCATED:
        tiles += [("已安排", fmt.money(summary.get("allocated_fen")),
                   words.provenance(prov.get("allocated_yuan"))),
                  ("执行率", "不计算", "安排数不是执行数，报告未给出已执行的金额")]
    else:
        rate = fmt.pct(summary["utilisation"])
        if summary.get("over_budget"):
            rate += "（超出预算）"
        spent = (fmt.money(summary["spent_fen"]) if summary["spent_fen"] is not None
                 else "报告未注明")
        tiles += [(f"已{word}", spent, words.provenance(prov.get("spent_yuan"))
                   if summary["spent_fen"] is not None else
                   "执行口径未注明" if kind == MoneyKind.UNSTATED else ""),
                  ("执行率", rate, words.provenance(prov.get("utilisation"))
                   if summary.get("utilisation") is not None else ""),
                  ("超出预算" if summary.get("over_budget") else "结余",
                   fmt.money(abs(summary["unspent_fen"]) if summary.get("unspent_fen") is not None else None),
                   words.provenance(prov.get("unspent_yuan")) if summary.get("unspent_fen") is not None else "")]
    if summary.get("received_fen") is not None:
        tiles.append(("到位资金", fmt.money(summary["received_fen"]),
                      words.provenance(prov.get("received_yuan"))))
    tiles.append(("项目数", f"{summary['projects']} 个" if summary.get("projects") is not None else words.NOT_STATED,
                  ""))
    return tiles


def year_index(summary: dict[str, Any], counts: dict[str, int], sections: Sequence[SectionLink],
               charts: Sequence[str], form: str | None = None, data: str | None = None,
               brief: Sequence[str] = ()) -> str:
    """The year's landing page: key figures, checks, links to sections and downloads (``brief``:
    the briefing's files, when made)."""
    body = [key_figure_tiles(summary)]
    body.append(f'<p class="fnd-say">报告总计核对 {counts["checks"]} 项：{counts["ok"]} 项相符，'
                f'{counts["failed"]} 项不符，{counts["unknown"]} 项无法核对（详见“专项资金概况”）。</p>')
    body.append("<h2>报告章节</h2><ol>" + "".join(
        f'<li><a href="{esc(s.slug)}.html">{esc(s.title)}</a></li>' for s in sections) + "</ol>")
    form_item = f'<li><a href="{quote(form)}">{esc(form)}</a>（填好的项目支出绩效自评表，Excel）</li>' if form else ""
    if data:
        form_item = f'<li><a href="{quote(data)}">{esc(data)}</a>（计算结果数据表，Excel，金额为万元）</li>' + form_item
    body.append("<h2>下载</h2><ul>"
                '<li><a href="summary.json">summary.json</a>（关键数字，机器可读）</li>'
                + form_item
                + "".join(f'<li><a href="{quote(b)}">{esc(b)}</a>（简报，'
                          f'{"Word" if b.endswith(".docx") else "PowerPoint"}）</li>' for b in brief)
                + "".join(f'<li><a href="charts/{esc(c)}">{esc(c)}</a></li>' for c in charts)
                + "</ul>")
    nav = [("目录", "index.html", True)] + [(s.title, f"{s.slug}.html", False) for s in sections]
    return page(f"{summary['year']} 年度 {summary['fund_name']}", "\n".join(body),
                crumb=_crumb(summary, here=esc(words.label(summary["issuer"], {}))), nav=nav, footer=footer(summary))


def _fen(yuan: Any) -> int | None:
    """元 from a summary.json (a number with at most two decimals) as integer 分."""
    from decimal import Decimal

    return None if yuan is None else int(Decimal(str(yuan)) * 100)


def _index_cell(s: dict[str, Any], key: str, shown: str) -> str:
    """A figure of the index with how it was obtained under it (summary.json's ``provenance``)."""
    prov = (s.get("provenance") or {}).get(key)
    note = words.provenance(prov) if prov else ""
    return f'<td class="num">{esc(shown)}' + (f'<div class="p">{esc(note)}</div>' if note else "") + "</td>"


def _year_rows(entries: Sequence[tuple[str, dict[str, Any]]], href: str) -> str:
    rows = []
    for name, s in entries:
        allocated = s.get("spent_kind") == MoneyKind.ALLOCATED
        spent = (("已安排 " + fmt.money(_fen(s.get("allocated_yuan")))) if allocated
                 else fmt.money(_fen(s["spent_yuan"])))
        rate = fmt.pct(s["utilisation"]) + ("（超出预算）" if s.get("over_budget") else "")
        rows.append(f'<tr><td><a href="{href}{esc(name)}/index.html">{esc(name)} 年度</a></td>'
                    f"<td>{esc(s['fund_name'])}</td>"
                    + _index_cell(s, "budget_yuan", fmt.money(_fen(s["budget_yuan"])))
                    + _index_cell(s, "allocated_yuan" if allocated else "spent_yuan", spent)
                    + _index_cell(s, "utilisation", rate) + "</tr>")
    return "".join(rows)


_YEARS_HEAD = ('<div class="fnd-scroll"><table class="fnd-index"><thead><tr><th>年度</th><th>专项资金</th>'
               "<th>预算</th>"
               "<th>执行</th><th>执行率</th></tr></thead><tbody>")


def fund_index(fund: str, entries: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """A fund's page listing its published years (``(year, summary.json)``, newest first)."""
    name = entries[0][1]["fund_name"] if entries else fund
    body = _YEARS_HEAD + _year_rows(entries, "") + "</tbody></table></div>"
    return page(f"{name}", body, crumb='<a href="../index.html">全部专项资金</a>',
                footer=f"由 fundanalysis {esc(__version__)} 生成。")


def site_index(funds: Sequence[tuple[str, Sequence[tuple[str, dict[str, Any]]]]]) -> str:
    """The top-level page listing every fund and its published years."""
    if not funds:
        body = "<p>尚未生成任何专项资金的报告。</p>"
    else:
        body = "".join(
            f'<h2><a href="{esc(fund)}/index.html">{esc(entries[0][1]["fund_name"])}</a>'
            f' <span class="fnd-subtitle">{esc(words.label(entries[0][1]["issuer"], {}))}</span></h2>'
            + _YEARS_HEAD + _year_rows(entries, f"{fund}/") + "</tbody></table></div>"
            for fund, entries in funds)
    return page("专项资金绩效评价报告", body, footer=f"由 fundanalysis {esc(__version__)} 生成。")
