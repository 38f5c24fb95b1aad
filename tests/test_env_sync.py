"""environment.yml (conda) and pyproject.toml (pip) must name the same dependencies with the
same version specifiers, so a bump in one file without the other fails here."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from fundanalysis.config import PROJECT_ROOT

PYPROJECT = PROJECT_ROOT / "pyproject.toml"
ENVIRONMENT = PROJECT_ROOT / "environment.yml"

#: Conda packages that are the toolchain, not dependencies of the package.
TOOLCHAIN = {"python", "pip"}

Deps = dict[str, SpecifierSet]


def pyproject_deps(text: str) -> tuple[Deps, dict[str, Any]]:
    """Runtime dependencies of pyproject.toml (with the ``lab`` extra: the conda environment is the
    analysts' own, JupyterLab included) by canonical name, and the whole project table."""
    project = tomllib.loads(text)["project"]
    deps: Deps = {}
    for line in [*project["dependencies"], *project.get("optional-dependencies", {}).get("lab", [])]:
        req = Requirement(line)
        assert not req.marker and not req.extras, f"keep {line!r} plain, or teach this test"
        name = canonicalize_name(req.name)
        assert name not in deps, f"{name} listed twice in pyproject.toml"
        deps[name] = req.specifier
    return deps, project


_CONDA_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<spec>.*)$")


def environment_deps(text: str) -> tuple[Deps, Deps, dict[str, str], list[str]]:
    """(conda deps, pip deps, toolchain specs, editable pip entries) of an environment.yml."""
    env = yaml.safe_load(text)
    assert env["name"] == "fundanalysis"
    assert env["channels"] == ["conda-forge"]
    conda: Deps = {}
    pip: Deps = {}
    toolchain: dict[str, str] = {}
    editable: list[str] = []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            assert set(item) == {"pip"}, item
            for line in item["pip"]:
                if line.startswith("-e"):
                    editable.append(line)
                    continue
                req = Requirement(line)
                name = canonicalize_name(req.name)
                assert name not in pip, f"{name} listed twice in the pip section"
                pip[name] = req.specifier
            continue
        m = _CONDA_SPEC.match(str(item).strip())
        assert m, item
        name = canonicalize_name(m["name"])
        if name in TOOLCHAIN:
            toolchain[name] = m["spec"].strip()
            continue
        assert name not in conda, f"{name} listed twice in environment.yml"
        # conda specs here must also be PEP 440 specifiers (">=2.2,<4"; not conda's "=2.2")
        conda[name] = SpecifierSet(m["spec"].replace(" ", ""))
    return conda, pip, toolchain, editable


def differences(pyproject_text: str, environment_text: str) -> list[str]:
    """Every way the two files disagree about dependencies, as readable lines."""
    want, project = pyproject_deps(pyproject_text)
    conda, pip, toolchain, editable = environment_deps(environment_text)
    out = [f"{n} is in both the conda and the pip section" for n in sorted(set(conda) & set(pip))]
    have = {**conda, **pip}
    out += [f"{n}: missing from environment.yml" for n in sorted(set(want) - set(have))]
    out += [f"{n}: in environment.yml but not in pyproject.toml"
            for n in sorted(set(have) - set(want))]
    out += [f"{n}: pyproject.toml says {want[n]!s}, environment.yml says {have[n]!s}"
            for n in sorted(set(want) & set(have)) if want[n] != have[n]]
    python = toolchain.get("python", "")
    m = re.fullmatch(r"=?=?(\d+\.\d+)(?:\.\*)?", python)
    if not m:
        out.append(f"python spec {python!r} in environment.yml is not like 'python=3.11'")
    elif Version(m[1]) not in SpecifierSet(project["requires-python"]):
        out.append(f"python={m[1]} does not satisfy requires-python {project['requires-python']}")
    if "pip" not in toolchain:
        out.append("environment.yml does not install pip")
    extras = set(project.get("optional-dependencies", {}))
    if len(editable) != 1:
        out.append(f"expected one '-e .[dev]' pip entry, found {editable}")
    else:
        em = re.fullmatch(r"""-e\s+["']?\.\[(?P<extras>[\w,\s-]+)\]["']?""", editable[0].strip())
        if not em:
            out.append(f"pip entry {editable[0]!r} is not like -e .[dev]")
        else:
            named = {e.strip() for e in em["extras"].split(",")}
            if "dev" not in named:
                out.append(f"pip entry {editable[0]!r} does not install the dev extra")
            out += [f"extra {e!r} is not defined in pyproject.toml" for e in sorted(named - extras)]
    return out


@pytest.fixture(scope="module")
def texts() -> tuple[str, str]:
    assert ENVIRONMENT.is_file(), "environment.yml is missing"
    return PYPROJECT.read_text(encoding="utf-8"), ENVIRONMENT.read_text(encoding="utf-8")


def test_environment_matches_pyproject(texts: tuple[str, str]) -> None:
    assert differences(*texts) == []


def test_every_runtime_dependency_is_listed_once(texts: tuple[str, str]) -> None:
    want, _ = pyproject_deps(texts[0])
    conda, pip, _, _ = environment_deps(texts[1])
    assert len(want) == len(conda) + len(pip) >= 10
    assert "pylopdf-fonts-zh-cn" in pip  # PyPI only


def _bump(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("which", "old", "new", "message"),
    [
        ("environment", "pandas>=2.2,<4", "pandas>=2.2,<5", "pandas: pyproject.toml says"),
        ("pyproject", '"click>=8.2,<9"', '"click>=8.3,<9"', "click: pyproject.toml says"),
        ("pyproject", '"pylopdf-fonts-zh-cn==0.1.1"', '"pylopdf-fonts-zh-cn==0.1.2"',
         "pylopdf-fonts-zh-cn: pyproject.toml says"),
        ("environment", "  - tqdm>=4.66,<5\n", "", "tqdm: missing from environment.yml"),
        ("pyproject", '    "tqdm>=4.66,<5",\n', "", "tqdm: in environment.yml but not in"),
        ("environment", "python=3.11", "python=3.10", "does not satisfy requires-python"),
        ("environment", '-e ".[dev]"', '-e ".[devel]"', "does not install the dev extra"),
    ],
)
def test_a_one_sided_change_is_caught(texts: tuple[str, str], which: str, old: str, new: str,
                                      message: str) -> None:
    pyproject, environment = texts
    if which == "environment":
        environment = _bump(environment, old, new)
    else:
        pyproject = _bump(pyproject, old, new)
    found = differences(pyproject, environment)
    assert any(message in line for line in found), found


def test_specifier_order_does_not_matter(texts: tuple[str, str]) -> None:
    pyproject, environment = texts
    environment = _bump(environment, "numpy>=1.26,<3", "numpy <3, >=1.26")
    assert differences(pyproject, environment) == []

