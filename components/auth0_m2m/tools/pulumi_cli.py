"""Reading a stack through the Pulumi CLI (outputs, config, state) for the project's tools."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional, Union


class PulumiError(RuntimeError):
    """A `pulumi` command the tools depend on failed; the message carries its stderr."""


def pulumi_read(stack: str, *args: str, cwd: Optional[Union[str, Path]] = None) -> str:
    """stdout of `pulumi <args> --stack <stack>`; raises PulumiError naming the command when it fails."""
    result = subprocess.run(["pulumi", *args, "--stack", stack], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise PulumiError(f"`pulumi {' '.join(args)}` failed for stack {stack!r}: {result.stderr.strip()}")
    return result.stdout
