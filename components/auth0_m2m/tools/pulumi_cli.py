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


def provider_settings(stack: str, cwd: Optional[Union[str, Path]] = None) -> dict[str, str]:
    """The stack's ``auth0:`` provider settings (secrets revealed into memory only), without the prefix."""
    import json

    values = json.loads(pulumi_read(stack, "config", "--json", "--show-secrets", cwd=cwd) or "{}")
    return {
        key.split(":", 1)[1]: str(entry.get("value"))
        for key, entry in values.items()
        if key.startswith("auth0:") and isinstance(entry, dict) and entry.get("value") is not None
    }
