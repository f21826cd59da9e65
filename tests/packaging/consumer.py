"""Run a Pulumi program directory under mocks with the Python that runs this file; print what it registered.

Used by test_distribution.py with the interpreter of a fresh virtual environment that has only the library
installed: it needs nothing but pulumi and what the program imports.

    python tests/packaging/consumer.py examples/application-alone
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
import pulumi_harness  # noqa: E402  (imports only pulumi)


def main(program: Path) -> None:
    os.chdir(program)
    monitor = pulumi_harness.run(lambda: runpy.run_path(str(program / "__main__.py"), run_name="__main__"))
    registrations = [
        {"type": r.type, "name": r.name, "parent_type": r.parent_type, "inputs": r.inputs}
        for r in sorted(monitor.registrations.values(), key=lambda r: (r.type, r.name))
    ]
    print(json.dumps({"registrations": registrations}, default=str))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
