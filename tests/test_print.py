"""Pages that print: A4, no navigation or header chrome, tables and charts kept whole, the page's
title and footer in the printed margins with page numbers (checked in headless Chromium when it
is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fundanalysis.present.page import page, print_margin_css


def test_page_css_prints_a4_without_chrome_and_keeps_tables_and_charts_whole() -> None:
    html = page("2019 年度 某专项资金 · 概况", "<p>正文</p>", crumb="甲 › 乙", nav=[("目录", "index.html", True)],
                footer="资料来源：某报告。")
    assert re.search(r"@page \{ size:A4;", html)
    printed = html[html.index("@media print"):]
    assert re.search(r"header\.fa \.crumb, nav\.fa[^{]*\{ display:none; \}", printed)
    kept = re.search(r"\n  ([^{}]*)\{\s*break-inside:avoid", printed)
    assert kept and {"table.fnd-table tr", "img", "picture", ".fnd-tiles"} <= {
        s.strip() for s in kept.group(1).split(",")}
    assert 'content:"资料来源：某报告。"' in html and 'content:"2019 年度 某专项资金 · 概况"' in html


def test_margin_text_cannot_end_the_style_element() -> None:
    css = print_margin_css('</style><script>alert(1)</script>', "a\\b")
    assert "<" not in css and "\\5c b" in css


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_chromium_prints_a4_pages_with_numbers_and_footer_but_no_navigation(tmp_path: Path) -> None:
    from pypdf import PdfReader

    rows = "".join(f"<tr><td>第{i}行</td><td class='num'>{i}</td></tr>" for i in range(60))
    body = ("<h2>小节</h2><p class='fnd-say'>一句话。</p><div class='fnd-scroll'><table class='fnd-table'>"
            f"<thead><tr><th>项目</th><th>数值</th></tr></thead><tbody>{rows}</tbody></table></div>")
    src = tmp_path / "p.html"
    src.write_text(page("打印测试页", body, crumb="面包屑导航", nav=[("导航链接", "x.html", True)],
                        footer="资料来源：合成测试页（synthetic）。"), encoding="utf-8")
    pdf = tmp_path / "p.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}", str(src)],
                   capture_output=True, timeout=120, check=False)
    reader = PdfReader(str(pdf))
    assert len(reader.pages) >= 2
    for n, p in enumerate(reader.pages, 1):
        box = p.mediabox
        assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
        text = p.extract_text()  # (the font's 页 reads back as a radical, ⻚: compare around it)
        assert re.search(rf"第 {n} . / 共 {len(reader.pages)} .", text), text[:80]
        assert "资料来源：合成测试" in text and "打印测试" in text
        assert "导航链接" not in text and "面包屑导航" not in text and "file://" not in text
