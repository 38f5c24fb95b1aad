"""The documentation a maintainer reads: one click from the README to any topic, no dead links, and
no reference to a document outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    dead = [target for target, _ in LINK.findall(page.read_text(encoding="utf-8"))
            if "://" not in target and not target.startswith("mailto:")
            and not (page.parent / target).exists()]
    assert not dead, f"{page.name}: dead links {dead}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(ROOT / t).resolve() for t, _ in LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))}
    missing = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"docs pages the README does not link: {missing}"


def test_the_readme_is_a_front_door() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "make report" in text and "make test" in text and "快速开始" in text


def test_no_file_cites_a_document_outside_the_repository() -> None:
    outside = re.compile(r"DOMAIN\.md|FORM-EXAMPLE\.md|STYLE\.md|\.\./shared/|/work/")
    hits = []
    for folder in ("src", "tests", "benchmarks", "docs", "notebooks"):
        for f in (ROOT / folder).rglob("*"):
            if f.suffix in {".py", ".md", ".ipynb", ".toml", ".json"} and f.is_file() and f != Path(__file__):
                if "corpus" in f.parts:  # published texts and their source records, as received
                    continue
                for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                    if outside.search(line):
                        hits.append(f"{f.relative_to(ROOT)}:{n}")
    for f in (ROOT / "README.md", ROOT / "Makefile", ROOT / "CONTRIBUTING.md"):
        if outside.search(f.read_text(encoding="utf-8")):
            hits.append(f.name)
    assert not hits, hits


def test_the_package_says_the_version_pyproject_and_the_changelog_give() -> None:
    import tomllib

    import fundanalysis

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert fundanalysis.__version__ == version  # the pages' footer names it
    assert f"## {version} " in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
