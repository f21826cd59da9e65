"""Reading a stack file near the 1 MiB limit: the project's loader against PyYAML's C loader, side by side.

    python bench/stack_loading.py            # prints seconds per phase, median of 5 runs

The loader (auth0_m2m.model.loading) reads as Pulumi reads (yaml.v3 scalars, duplicate keys, limits, lines
for messages) on top of libyaml's event parser; PyYAML's CSafeLoader (YAML 1.1, no limits) is the yardstick.
Numbers are benchmark output, never test assertions.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "components"))

from auth0_m2m.model.loading import read_stack_bytes  # noqa: E402


def estate(applications: int) -> bytes:
    """A realistic estate: 40 organizations by id, 3 APIs, applications with 3 grants each."""
    lines = ["config:", "  auth0:domain: example.eu.auth0.com", "  auth0-m2m:environment: prod",
             "  auth0-m2m:production: true", "  auth0-m2m:organizations:"]
    lines += [f"    org{o}:\n      id: org_{o:016d}" for o in range(40)]
    lines.append("  auth0-m2m:apis:")
    lines += [f"    api{a}:\n      identifier: https://api{a}.example.com/\n      scopes:\n        read:x: Read\n"
              f"        write:x: Write" for a in range(3)]
    lines.append("  auth0-m2m:applications:")
    for i in range(applications):
        lines.append(f"    - name: app-{i:05d}\n      description: Application number {i} of the estate\n"
                     f"      metadata:\n        owner: team-{i % 17}\n      grants:")
        lines += [f"        - api: api{a}\n          scopes: [read:x, write:x]\n          organization_usage: deny"
                  for a in range(3)]
    return ("\n".join(lines) + "\n").encode()


def run(applications: int = 2550, repeats: int = 5) -> dict:
    data = estate(applications)
    read, validate, pyyaml = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        stack_file = read_stack_bytes(data, "stacks/Pulumi.bench.yaml", "auth0-m2m")
        middle = time.perf_counter()
        stack_file.validate()
        end = time.perf_counter()
        yaml.load(data, Loader=yaml.CSafeLoader)
        read.append(middle - start)
        validate.append(end - middle)
        pyyaml.append(time.perf_counter() - end)
    return {
        "applications": applications,
        "bytes": len(data),
        "loader_read_seconds": round(statistics.median(read), 2),
        "validate_seconds": round(statistics.median(validate), 2),
        "pyyaml_csafeloader_seconds": round(statistics.median(pyyaml), 2),
        "read_ratio_to_pyyaml": round(statistics.median(read) / statistics.median(pyyaml), 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
