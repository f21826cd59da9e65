"""The library ships `py.typed`: its annotations must hold up under a type checker, for it and for its users.

mypy checks the library's core (model, resources, contract, package root) and the example programs that use it,
as another team's CI would (settings: [tool.mypy] in pyproject.toml; its cache lives in .state/mypy).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = ["components/auth0_m2m/__init__.py", "components/auth0_m2m/contract.py", "components/auth0_m2m/model",
        "components/auth0_m2m/resources"]
EXAMPLES = sorted(str(p.relative_to(REPO)) for p in (REPO / "examples").rglob("__main__.py"))


def mypy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=900)


def test_the_library_core_type_checks():
    result = mypy(*CORE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("program", EXAMPLES)
def test_the_examples_type_check_against_the_library(program):
    result = mypy(program)
    assert result.returncode == 0, result.stdout + result.stderr
