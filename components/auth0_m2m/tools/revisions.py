"""Stack files at git revisions, for diffs between the base and the head of a pull request."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Optional

from ..model.config import StackConfig
from ..model.loading import parse_stack_text

_STACK_FILE = re.compile(r"^stacks/Pulumi\.([^/]+)\.yaml$")


def git_show(revision: Optional[str], path: str) -> Optional[str]:
    """A file's text at ``revision`` (None: the working tree); None when it does not exist there."""
    if revision is None:
        file = Path(path)
        return file.read_text() if file.exists() else None
    result = subprocess.run(["git", "show", f"{revision}:{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def changed_stacks(base: str, head: Optional[str]) -> list[str]:
    """Names of the stacks whose file differs between ``base`` and ``head`` (or the working tree)."""
    args = ["git", "diff", "--name-only", base] + ([head] if head else []) + ["--", "stacks/"]
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    names = [m.group(1) for line in result.stdout.splitlines() if (m := _STACK_FILE.match(line.strip()))]
    return sorted(set(names))


def validate_text(text: str, source: str) -> StackConfig:
    return parse_stack_text(text, source)
