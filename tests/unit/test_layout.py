"""The library's three roles import one way: tools -> resources -> model (and all may read the contract)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "components" / "auth0_m2m"
# What each part may import, of the library and of the heavy dependencies.
FORBIDDEN = {
    "model": {"auth0_m2m.resources", "auth0_m2m.tools", "pulumi", "pulumi_auth0", "click", "rich", "httpx", "jinja2"},
    "resources": {"auth0_m2m.tools", "click", "rich", "httpx", "jinja2", "jwt"},
    "contract.py": {"auth0_m2m.model", "auth0_m2m.resources", "auth0_m2m.tools", "pulumi", "pydantic"},
    # The package root is what `import auth0_m2m` runs: the core only (the tools' dependencies are an extra).
    "__init__.py": {"auth0_m2m.tools", "click", "rich", "httpx", "jinja2", "jwt"},
}


def _imports(path: Path) -> set[str]:
    module = "auth0_m2m." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module or "")
    return names


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_imports_run_one_way(part):
    files = [PACKAGE / part] if part.endswith(".py") else sorted((PACKAGE / part).rglob("*.py"))
    offenders = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in _imports(path)
        for forbidden in FORBIDDEN[part]
        if name == forbidden or name.startswith(forbidden + ".")
    }
    assert not offenders


def test_emulator_never_imports_the_library():
    emulator = Path(__file__).resolve().parents[2] / "emulator"
    offenders = [
        str(path)
        for path in emulator.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and any(
            (name or "").split(".")[0] == "auth0_m2m"
            for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module])
        )
    ]
    assert not offenders
