"""Benchmarks 2 and 3: `pulumi up` of generated estates against the local tenant emulator.

Each run starts from an empty tenant and an empty stack. It measures wall time and the Management API
calls by route (the emulator's counter), then a no-op `preview` and a no-op `up` (calls and time). Runs
differ by two switches:
- rate limits: Auth0's enterprise production figures (50 burst, 16 per second), compared with the
  theoretical minimum max(0, calls - burst) / rate;
- checkpoints: Pulumi's file backend rewrites the whole state after every step (quadratic in the number
  of resources); PULUMI_SKIP_CHECKPOINTS=true writes it once at the end. That isolates Pulumi's own cost;
  it is NOT a setting to deploy with (a crash would lose the update's state, and `auth0-m2m recover`
  needs the pending operations a checkpoint records).

    python bench/pulumi_up.py [--apps 50 200] [--authorizations 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from estate_gen import stack_file  # noqa: E402
from tests.integration.harness import Emulator, PulumiProject  # noqa: E402

BURST, RATE = 50, 16.0
TIMEOUT = 4 * 3600


def _project(workdir: Path, emulator: Emulator, applications: int, authorizations: int) -> PulumiProject:
    project = PulumiProject(workdir, emulator, stack="bench")
    # Keep the connection settings PulumiProject wrote; add the generated estate.
    document = yaml.safe_load(project.stack_file.read_text())
    document.setdefault("config", {}).update(yaml.safe_load(stack_file(applications, authorizations))["config"])
    project.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    return project


def _management_calls(counters: dict) -> int:
    return sum(n for route, n in counters.get("by_route", {}).items() if " /api/v2/" in route)


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return round(time.perf_counter() - start, 1)


def measure(applications: int, authorizations: int, rate_limited: bool, skip_checkpoints: bool, noop: bool) -> dict:
    flags = ["--rate-limit-burst", str(BURST), "--rate-limit-rate", str(RATE)] if rate_limited else []
    with tempfile.TemporaryDirectory(prefix="bench-up-") as tmp:
        emulator = Emulator(Path(tmp) / "tenant", *flags)
        try:
            project = _project(Path(tmp) / "project", emulator, applications, authorizations)
            if skip_checkpoints:
                project.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
            emulator.reset_requests()
            row = {
                "applications": applications,
                "authorizations_per_grant": authorizations,
                "rate_limited": rate_limited,
                "checkpoints": not skip_checkpoints,
                "up_seconds": _timed(lambda: project.run("up", "--yes", "--skip-preview", timeout=TIMEOUT)),
            }
            counters = emulator.requests()
            resources = json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
            row["resources"] = sum(1 for r in resources if r["type"].startswith("auth0:index/"))
            row["management_calls"] = _management_calls(counters)
            row["calls_per_resource"] = round(row["management_calls"] / row["resources"], 2)
            row["calls_by_route"] = counters.get("by_route", {})
            row["throttled_429s"] = counters.get("rate_limited", 0)
            derive(row)
            if noop:
                emulator.reset_requests()
                row["noop_preview_seconds"] = _timed(lambda: project.preview("--expect-no-changes"))
                row["noop_preview_calls"] = emulator.requests()["total"]  # every request, token endpoint included
                emulator.reset_requests()
                row["noop_up_seconds"] = _timed(lambda: project.up("--expect-no-changes"))
                row["noop_up_calls"] = emulator.requests()["total"]
            return row
        finally:
            emulator.stop()


def derive(row: dict) -> dict:
    """Fields computed from a run's measurements. The counter also counts the 429 answers, which do no
    work: the minimum is set by the calls that succeeded."""
    if row["rate_limited"]:
        needed = row["management_calls"] - row["throttled_429s"]
        minimum = max(0, needed - BURST) / RATE
        row["successful_calls"] = needed
        row["theoretical_minimum_seconds"] = round(minimum, 1)
        row["ratio_to_minimum"] = round(row["up_seconds"] / minimum, 2) if minimum else None
    return row


def run(sizes=(50, 200), authorizations: int = 3) -> list[dict]:
    rows = []
    for applications in sizes:
        rows.append(measure(applications, authorizations, rate_limited=False, skip_checkpoints=False, noop=True))
        rows.append(measure(applications, authorizations, rate_limited=False, skip_checkpoints=True, noop=False))
        rows.append(measure(applications, authorizations, rate_limited=True, skip_checkpoints=True, noop=False))
        if applications <= 50:
            rows.append(measure(applications, authorizations, rate_limited=True, skip_checkpoints=False, noop=False))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--authorizations", type=int, default=3)
    args = parser.parse_args()
    for row in run(args.apps, args.authorizations):
        print(json.dumps(row))
