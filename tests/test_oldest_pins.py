"""ci/oldest.txt, the pins of ``make test-oldest``, is pyproject.toml's lower bounds, written by
ci/oldest.py, so it cannot drift from them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

from fundanalysis.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "ci" / "oldest.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("oldest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_pins_are_the_current_lower_bounds() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=PROJECT_ROOT, check=False)
    assert proc.returncode == 0, "ci/oldest.txt is stale: run python ci/oldest.py"


def test_each_lower_bound_becomes_a_pin_and_an_unbounded_dependency_stays_free() -> None:
    pyproject = {"project": {"dependencies": ["pandas>=2.2,<4", "pylopdf-fonts-zh-cn==0.1.1", "tqdm<5"],
                             "optional-dependencies": {"dev": ["pytest>=8"]}}}
    assert _script().lower_bounds(pyproject) == ["pandas==2.2", "pylopdf-fonts-zh-cn==0.1.1", "pytest==8"]
