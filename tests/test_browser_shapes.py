"""Issue 26's shapes as a reader sees them: each SYNTHETIC fund's overview opened in headless
Chromium, its key words asserted on the rendered text (what the page shows, not its source).

The funds are those of ``tests/fixtures/fidelity/`` (``make_money_shapes.py``,
``make_check_shapes.py``, ``make_form_shapes.py``; every name and figure invented), built once.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES_DIR
from test_browser import CHROMEDRIVER, CHROMIUM, _check_page, driver  # noqa: F401  (the driver fixture)
from test_defences import cli

from fundanalysis.config import EXIT_OK

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason="Debian chromium/chromium-driver not installed (make browser-deps)"),
]

FIDELITY = FIXTURES_DIR / "fidelity"
#: fund → year of each shape.
SHAPES = {"synthetic-media-allocation": 2023, "synthetic-department-parts": 2022, "synthetic-form-only": 2024,
          "synthetic-scale-typo": 2024, "synthetic-form-truncated": 2032, "synthetic-subsidy": 2032}


@pytest.fixture(scope="module")
def shapes_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shapes built once, in one run, from fresh copies of their workbooks."""
    root = tmp_path_factory.mktemp("shapes-browser")
    for fund, year in SHAPES.items():
        raw = next(d for d in (FIDELITY / "raw", FIDELITY / "form-shapes" / "raw") if (d / fund).is_dir())
        shutil.copytree(raw / fund / str(year), root / "data" / "raw" / fund / str(year))
    done = cli("report", "--data-dir", str(root / "data"), "--out-dir", str(root / "out"), "--jobs", "2")
    assert done.exit_code == EXIT_OK, done.output
    return root / "out"


def shown(driver, site: Path, fund: str) -> str:  # noqa: F811  (driver is the fixture's value)
    """The rendered text of the fund's overview, as Chromium lays it out."""
    from selenium.webdriver.common.by import By

    _check_page(driver, (site / fund / str(SHAPES[fund]) / "10-fund-overview.html").resolve().as_uri())
    return driver.find_element(By.TAG_NAME, "body").text


def test_allocation_only_fund_shows_an_allocation_and_no_execution(shapes_site: Path, driver) -> None:  # noqa: F811
    text = shown(driver, shapes_site, "synthetic-media-allocation")
    assert "已安排" in text
    # 执行率 and 结余 are named (a definition, the tile 执行率 不计算), never given a figure
    assert "执行率\n不计算" in text and "不计算执行率和结余" in text
    assert not re.search(r"执行率[^。]{0,12}?\d+(\.\d+)?\s*%", text), re.search(r"执行率[^。]{0,12}?\d", text)
    assert not re.search(r"结余\s*[\d（(]", text) and "已使用" not in text


def test_department_shows_its_stated_parts(shapes_site: Path, driver) -> None:  # noqa: F811
    text = shown(driver, shapes_site, "synthetic-department-parts")
    for amount in ("435", "77", "287"):
        assert re.search(rf"(?<![\d.,]){amount}(\.00)?(?![\d.,])", text), amount
    assert "项目支出支出" not in text


def test_form_only_fund_is_over_budget(shapes_site: Path, driver) -> None:  # noqa: F811
    text = shown(driver, shapes_site, "synthetic-form-only")
    assert "超出预算" in text and "报告未给出预算" not in text


def test_truncated_form_is_not_graded(shapes_site: Path, driver) -> None:  # noqa: F811
    text = shown(driver, shapes_site, "synthetic-form-truncated")
    assert "不评等级" in text and "满意度指标" in text
    assert not re.search(r"等级“[优良中差]”", text)


def test_subsidy_fund_says_no_award_words(shapes_site: Path, driver) -> None:  # noqa: F811
    text = shown(driver, shapes_site, "synthetic-subsidy")
    # a provenance note names the workbook's sheet as it is called (奖励类别表第 2 行): not a word about the fund
    words = re.sub(r"奖励类别表(第 [0-9、 ]+ 行)?", "", text)
    assert "奖励" not in words and "获奖" not in words
    assert "补助" in text


def test_yuan_typo_among_wan_is_a_finding(shapes_site: Path, driver) -> None:  # noqa: F811
    text = shown(driver, shapes_site, "synthetic-scale-typo")
    assert "数量级" in text
