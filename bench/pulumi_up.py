"""Benchmarks 2 and 3: `pulumi up` of generated estates against the local tenant emulator.

For each size: `pulumi up` from an empty tenant (wall time, Management API calls by route from the
emulator's counter, calls per resource); then a no-op `preview` and a no-op `up` (calls and time); then,
on a fresh tenant with Auth0-like rate limits (enterprise production: 50 burst, 16 per second), `up`
again, compared with the theoretical minimum max(0, calls - burst) / rate.

    python bench/pulumi_up.py [--apps 50 200] [--authorizations 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from estate_gen import stack_file  # noqa: E402
from tests.integration.harness import Emulator, PulumiProject  # noqa: E402

BURST, RATE = 50, 16.0


def _project(workdir: Path, emulator: Emulator, applications: int, authorizations: int) -> PulumiProject:
    project = PulumiProject(workdir, emulator, stack="bench")
    # Keep the connection settings PulumiProject wrote, replace the estate with the generated one.
    import yaml

    document = yaml.safe_load(project.stack_file.read_text()) if project.stack_file.exists() else {"config": {}}
    generated = yaml.safe_load(stack_file(applications, authorizations))
    document.setdefault("config", {}).update(generated["config"])
    project.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    return project


def _management_calls(counters: dict) -> int:
    return sum(n for route, n in counters.get("by_route", {}).items() if " /api/v2/" in route)


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _resource_count(project: PulumiProject) -> int:
    resources = json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
    return sum(1 for r in resources if r["type"].startswith("auth0:index/"))


def measure(applications: int, authorizations: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-up-") as tmp:
        tmp = Path(tmp)
        emulator = Emulator(tmp / "tenant")
        try:
            project = _project(tmp / "project", emulator, applications, authorizations)
            emulator.reset_requests()
            up_seconds = _timed(lambda: project.up())
            calls = emulator.requests()
            resources = _resource_count(project)

            emulator.reset_requests()
            preview_seconds = _timed(lambda: project.preview("--expect-no-changes"))
            preview_calls = emulator.requests()["total"]
            emulator.reset_requests()
            noop_up_seconds = _timed(lambda: project.up("--expect-no-changes"))
            noop_up_calls = emulator.requests()["total"]
        finally:
            emulator.stop()

        limited = Emulator(tmp / "tenant-limited", "--rate-limit-burst", str(BURST), "--rate-limit-rate", str(RATE))
        try:
            project = _project(tmp / "project-limited", limited, applications, authorizations)
            limited.reset_requests()
            limited_seconds = _timed(lambda: project.up())
            limited_calls = limited.requests()
        finally:
            limited.stop()

    # The token endpoint is not behind the Management API's rate limit: count Management API calls only.
    management_calls = _management_calls(calls)
    minimum = max(0, management_calls - BURST) / RATE
    return {
        "applications": applications,
        "authorizations_per_grant": authorizations,
        "resources": resources,
        "up_seconds": round(up_seconds, 1),
        "management_calls": management_calls,
        "calls_per_resource": round(management_calls / resources, 2),
        "calls_by_route": calls.get("by_route", {}),
        "noop_preview_seconds": round(preview_seconds, 1),
        "noop_preview_calls": preview_calls,  # every request, token endpoint included
        "noop_up_seconds": round(noop_up_seconds, 1),
        "noop_up_calls": noop_up_calls,
        "rate_limited_up_seconds": round(limited_seconds, 1),
        "rate_limited_calls": _management_calls(limited_calls),
        "rate_limited_429s": limited_calls.get("rate_limited", 0),
        "theoretical_minimum_seconds": round(minimum, 1),
        "ratio_to_minimum": round(limited_seconds / minimum, 2) if minimum else None,
    }


def run(sizes=(50, 200), authorizations: int = 3) -> list[dict]:
    return [measure(n, authorizations) for n in sizes]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--authorizations", type=int, default=3)
    args = parser.parse_args()
    for row in run(args.apps, args.authorizations):
        print(json.dumps(row))
