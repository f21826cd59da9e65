"""Reading a stack's configuration from its stack file, for tools that run without the Pulumi engine.

The Pulumi program gets the same raw mapping from the engine (:mod:`auth0_m2m.resources.program`); both go
through the one gate, :func:`auth0_m2m.model.validation.validate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..contract import NAMESPACE
from .config import StackConfig
from .validation import validate


def load_stack_file(path: str | Path, namespace: str = NAMESPACE) -> StackConfig:
    """Validate the configuration in a stack file (``stacks/Pulumi.<stack>.yaml``) without Pulumi."""
    path = Path(path)
    return validate(read_stack_file(path, namespace), source=_display_path(path))


def read_stack_file(path: Path, namespace: str = NAMESPACE) -> dict[str, Any]:
    """The raw values of ``namespace`` in a stack file, with the namespace prefix removed."""
    return parse_stack_text(path.read_text(), namespace)


def parse_stack_text(text: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    """The raw values of ``namespace`` in a stack file's text (e.g. at a git revision)."""
    document = yaml.safe_load(text) or {}
    config = document.get("config") or {}
    prefix = f"{namespace}:"
    return {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
