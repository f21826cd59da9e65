"""The operator tools: the `auth0-m2m` command line, access report and diff, access check, recovery, and the
Management API and Pulumi CLI readers they share.

Their dependencies (click, rich, Jinja2, httpx, PyJWT) are the ``tools`` extra: ``pip install 'auth0-m2m[tools]'``.
The library itself (``auth0_m2m``, its model and resources) never imports this package.
"""

from __future__ import annotations

import sys

#: The distributions the ``tools`` extra installs, by the top-level module each provides.
TOOLS_MODULES = {
    "click": "click", "rich": "rich", "jinja2": "Jinja2", "httpx": "httpx", "jwt": "PyJWT", "ruamel": "ruamel.yaml"
}


def main() -> None:
    """The ``auth0-m2m`` console script: the command line, or how to install it when the extra is missing."""
    try:
        from .cli import main as cli
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in TOOLS_MODULES:
            raise
        print(
            f"auth0-m2m: the operator tools need {TOOLS_MODULES[missing]}, which is not installed; install the "
            "library with its tools extra: pip install 'auth0-m2m[tools]'",
            file=sys.stderr,
        )
        sys.exit(3)  # Exit.EXTERNAL (tools/output.py, which needs the extra itself): a dependency is missing
    cli()
