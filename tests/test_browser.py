"""Open the built report in headless Chromium (Debian's package; nothing downloaded)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FUND

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason="Debian chromium/chromium-driver not installed (make browser-deps)"),
]


@pytest.fixture(scope="module")
def site(built_report: dict[str, Path]) -> Path:
    """The session's one build (see conftest.built_report)."""
    return built_report["out"]


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,2000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    yield drv
    drv.quit()


def _check_page(driver, url: str) -> None:
    driver.get(url)
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"console errors on {url}: {errors}"
    broken = driver.execute_script(
        "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src.slice(0, 60));")
    assert broken == [], f"images not loaded on {url}: {broken}"


def test_index_and_every_section_in_chromium(site: Path, driver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    index = (site / FUND / "2019" / "index.html").resolve()
    _check_page(driver, index.as_uri())
    assert "专项资金" in driver.find_element(By.TAG_NAME, "h1").text
    assert "86.87%" in driver.find_element(By.TAG_NAME, "main").text
    shot = tmp_path / "index.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main ol a")]
    assert len(links) == 4
    headings = {"10-fund-overview": "预算执行情况", "20-award-categories": "各类别单位数与金额",
                "30-media-spending": "各承担单位的项目数与金额", "40-rankings": "各项指标"}
    for href in links:
        _check_page(driver, href)
        slug = href.rsplit("/", 1)[1].removesuffix(".html")
        h2 = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
        assert any(headings[slug] in h for h in h2), (slug, h2)
        n_img = driver.execute_script("return document.images.length")
        assert n_img >= 1
        # the navigation leads back to the index
        driver.find_element(By.LINK_TEXT, "目录").click()
        assert driver.current_url == index.as_uri()
    top = (site / "index.html").resolve().as_uri()
    _check_page(driver, top)
    driver.find_element(By.PARTIAL_LINK_TEXT, "2019").click()
    assert driver.current_url.endswith("/2019/index.html")


#: What overflows the page sideways: the document's scroll width beyond the viewport, and the
#: elements (outside a scroll box) that stick out.
OVERFLOW_JS = """
const vw = document.documentElement.clientWidth;
const inScroll = e => e.closest('.fnd-scroll') !== null;
const out = Array.from(document.querySelectorAll('main *'))
  .filter(e => !inScroll(e) && e.getBoundingClientRect().right > vw + 1)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
return [document.documentElement.scrollWidth, vw, out.slice(0, 5)];
"""


@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_the_screen(site: Path, driver, tmp_path: Path, width: int) -> None:
    """At phone width (390 px) and desktop width (1280 px) no page scrolls sideways (wide tables
    scroll inside their own box), and charts are shown at a readable size: on a phone the narrow
    variant (larger type) is the one displayed."""
    driver.set_window_size(width, 1800)
    year = (site / FUND / "2019").resolve()
    for page in sorted(year.glob("*.html")):
        driver.get(page.as_uri())
        scroll, view, sticking = driver.execute_script(OVERFLOW_JS)
        assert scroll <= view + 1 and not sticking, (page.name, width, scroll, view, sticking)
        charts = driver.execute_script(
            "return Array.from(document.querySelectorAll('img.fnd-chart')).map(i => "
            "[i.getBoundingClientRect().width, i.naturalWidth, i.currentSrc === i.src])")
        for shown, natural, is_wide in charts:
            assert shown <= view
            # type is readable: a chart is shown at ≥ 45 % of its pixel size, the narrow one on a phone
            assert shown / natural >= 0.45, (page.name, width, shown, natural)
            assert is_wide == (width > 600), (page.name, width)
        driver.save_screenshot(str(tmp_path / f"{page.stem}-{width}.png"))
    driver.set_window_size(1280, 2000)
