"""Benchmarks of adoption and of the fast deploy, against the local tenant emulator.

1. `auth0-m2m import` of an existing tenant seeded through the Management API (N applications x 3 APIs x K
   organization authorizations per grant): wall time, and Management API reads per imported resource (the
   tool's own reads plus the reads of Pulumi's import), then the preview after it (time, calls).
2. `auth0-m2m up --fast` against `pulumi up` (checkpointed) from an empty stack, with and without Auth0's rate
   limits (50 burst, 16/s), measured side by side in one run, as a ratio to the rate-limited minimum
   ((successful Management API calls - burst) / rate), and against OpenTofu applying the same estate with the same
   Terraform provider (bench/opentofu.py).

    python bench/adoption.py import [--apps 300] [--authorizations 10]
    python bench/adoption.py up [--apps 50 200]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import opentofu  # noqa: E402
from estate_gen import APIS  # noqa: E402
from estate_gen import estate as generate_estate  # noqa: E402
from pulumi_up import BURST, RATE, TIMEOUT, _management_calls, derive  # noqa: E402
from tests.integration.harness import Emulator, PulumiProject  # noqa: E402


def _reads(counters: dict) -> int:
    return sum(n for route, n in counters.get("by_route", {}).items() if route.startswith("GET /api/v2/"))


def _timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return round(time.perf_counter() - start, 1), result


# --- 1. import ---------------------------------------------------------------------------------------------
def seed(emulator: Emulator, applications: int, authorizations: int) -> dict:
    """The benchmark estate made directly through the Management API (8 parallel connections)."""
    links_total = applications * len(APIS) * authorizations
    organization_count = max(authorizations, math.ceil(links_total / 90))  # under Auth0's 100 per organization

    def post(client, path, body):
        response = client.post(f"/api/v2{path}", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    with emulator.running.management_client() as http:
        orgs = [post(http, "/organizations", {"name": f"org-{i:05d}"})["id"] for i in range(organization_count)]
        for api in APIS:
            post(http, "/resource-servers", {"identifier": f"https://{api}.bench.example.com/",
                                             "scopes": [{"value": f"read:{api}"}]})

    def one_application(n: int) -> int:
        with emulator.running.management_client() as http:
            client = post(http, "/clients", {"name": f"Bench App {n:05d}", "app_type": "non_interactive",
                                             "grant_types": ["client_credentials"],
                                             "token_endpoint_auth_method": "client_secret_post"})
            cursor = n * len(APIS) * authorizations
            for api in APIS:
                grant = post(http, "/client-grants", {"client_id": client["client_id"],
                                                       "audience": f"https://{api}.bench.example.com/",
                                                       "scope": [f"read:{api}"], "organization_usage": "allow"})
                for k in range(authorizations):
                    post(http, f"/organizations/{orgs[(cursor + k) % organization_count]}/client-grants",
                         {"grant_id": grant["id"]})
                cursor += authorizations
        return 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = sum(pool.map(one_application, range(applications)))
    return {"applications": created, "organizations": organization_count,
            "resources": created * (2 + len(APIS) + len(APIS) * authorizations)}


def measure_import(applications: int = 300, authorizations: int = 10) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        emulator = Emulator(Path(tmp) / "tenant")
        try:
            seed_seconds, seeded = _timed(lambda: seed(emulator, applications, authorizations))
            project = PulumiProject(Path(tmp) / "project", emulator, stack="bench")
            emulator.reset_requests()
            seconds, result = _timed(lambda: project.cli("import", "--select", "Bench App *", timeout=TIMEOUT))
            counters = emulator.requests()
            resources = [r for r in project.export()["deployment"]["resources"] if r["type"].startswith("auth0:index/")]
            row = {
                "applications": applications,
                "authorizations_per_grant": authorizations,
                "seed_seconds": seed_seconds,
                "imported_resources": len(resources),
                "expected_resources": seeded["resources"],
                "import_seconds": seconds,
                "management_reads": _reads(counters),
                "management_writes": counters["writes"] - counters["by_route"].get("POST /oauth/token", 0),
                "reads_per_resource": round(_reads(counters) / max(len(resources), 1), 3),
                "tool_reads": int(next(line.split(": ")[1] for line in result.stdout.splitlines()
                                       if line.startswith("Management API reads by the import"))),
                "calls_by_route": counters["by_route"],
            }
            emulator.reset_requests()
            row["preview_seconds"], _ = _timed(lambda: project.run("preview", "--expect-no-changes", timeout=TIMEOUT))
            row["preview_calls"] = emulator.requests()["total"]
            return row
        finally:
            emulator.stop()


# --- 2. fast deploy against checkpointed deploy and OpenTofu ----------------------------------------------------
def _estate(applications: int, authorizations: int) -> dict:
    # The OpenTofu peer's estate: at most 45 links per organization (its unpatched provider reads one page of 50).
    return generate_estate(applications, authorizations, links_per_organization=opentofu.LINKS_PER_ORGANIZATION)


def measure_up(applications: int, authorizations: int, rate_limited: bool, fast: bool) -> dict:
    flags = ["--rate-limit-burst", str(BURST), "--rate-limit-rate", str(RATE)] if rate_limited else []
    with tempfile.TemporaryDirectory(prefix="bench-fast-") as tmp:
        emulator = Emulator(Path(tmp) / "tenant", *flags)
        try:
            project = PulumiProject(Path(tmp) / "project", emulator, stack="bench")
            document = yaml.safe_load(project.stack_file.read_text())
            estate = _estate(applications, authorizations)
            document.setdefault("config", {}).update({f"auth0-m2m:{k}": v for k, v in estate.items()})
            project.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
            emulator.reset_requests()
            if fast:
                seconds, _ = _timed(lambda: project.cli("up", "--fast", "--skip-preview", timeout=TIMEOUT))
            else:
                seconds, _ = _timed(lambda: project.run("up", "--yes", "--skip-preview", timeout=TIMEOUT))
            counters = emulator.requests()
            resources = [r for r in project.export()["deployment"]["resources"] if r["type"].startswith("auth0:index/")]
            row = {
                "applications": applications,
                "authorizations_per_grant": authorizations,
                "rate_limited": rate_limited,
                "deploy": "auth0-m2m up --fast" if fast else "pulumi up (checkpointed)",
                "checkpoints": not fast,
                "up_seconds": seconds,
                "resources": len(resources),
                "management_calls": _management_calls(counters),
                "throttled_429s": counters.get("rate_limited", 0),
                "load": round(os.getloadavg()[0], 1),
            }
            row["calls_per_resource"] = round(row["management_calls"] / max(len(resources), 1), 2)
            return derive(row)
        finally:
            emulator.stop()


def measure_opentofu(applications: int, authorizations: int) -> dict:
    """`tofu apply` of the same estate with the same Terraform provider, on an emulator of its own."""
    tools = opentofu.Toolchain().ensure()
    with tempfile.TemporaryDirectory(prefix="bench-fast-tofu-") as tmp:
        with opentofu.Workspace(tools, _estate(applications, authorizations), Path(tmp) / "tofu") as tofu:
            applied = tofu.apply()
            return {"applications": applications, "authorizations_per_grant": authorizations, "rate_limited": False,
                    "deploy": "tofu apply", "checkpoints": True, "up_seconds": round(applied["seconds"], 1),
                    "resources": tofu.resources(), "management_calls": applied["calls"], "throttled_429s": 0,
                    "load": round(os.getloadavg()[0], 1)}


def run_up(sizes=(50, 200), authorizations: int = 3, checkpointed_sizes=(50, 200), progress=None) -> list[dict]:
    """Per size, side by side: OpenTofu apply, the fast deploy, the checkpointed deploy (no rate limits); then the
    fast and the checkpointed deploy under Auth0's rate limits."""
    rows: list[dict] = []

    def add(row: dict) -> None:
        rows.append(row)
        if progress:
            progress(rows)

    for applications in sizes:
        add(measure_opentofu(applications, authorizations))
        for rate_limited in (False, True):
            add(measure_up(applications, authorizations, rate_limited, fast=True))
            if applications in checkpointed_sizes:
                add(measure_up(applications, authorizations, rate_limited, fast=False))
    return rows


def markdown(import_rows: list[dict], up_rows: list[dict]) -> list[str]:
    lines = ["## 5. Adopting a tenant: `auth0-m2m import` (N apps x 3 APIs x K organization authorizations)", "",
             "| applications | K | resources imported | import s | Management API reads | reads/resource | writes | "
             "of which the tool's reads | preview after s / calls |", "|---|---|---|---|---|---|---|---|---|"]
    for r in import_rows:
        lines.append(f"| {r['applications']} | {r['authorizations_per_grant']} | {r['imported_resources']} | "
                     f"{r['import_seconds']} | {r['management_reads']} | {r['reads_per_resource']} | "
                     f"{r['management_writes']} | {r['tool_reads']} | {r['preview_seconds']} / {r['preview_calls']} |")
    lines += ["", "Target: <= 1.2 Management API reads per imported resource; no writes; the preview after it makes no "
              "call.", "",
              "## 6. `auth0-m2m up --fast` against checkpointed `pulumi up` (N apps x 3 APIs x 3 authorizations)", "",
              "| applications | rate limits | deploy | up s | Management API calls | 429s | theoretical minimum s | "
              "ratio to minimum |", "|---|---|---|---|---|---|---|---|"]
    for r in up_rows:
        lines.append(f"| {r['applications']} | {'50 burst, 16/s' if r['rate_limited'] else 'none'} | {r['deploy']} | "
                     f"{r['up_seconds']} | {r['management_calls']} | {r['throttled_429s']} | "
                     f"{r.get('theoretical_minimum_seconds', '-')} | {r.get('ratio_to_minimum', '-')} |")
    for apps in sorted({r["applications"] for r in up_rows}):
        rows = {(r["deploy"], r["rate_limited"]): r for r in up_rows if r["applications"] == apps}
        fast, tofu = rows.get(("auth0-m2m up --fast", False)), rows.get(("tofu apply", False))
        slow = rows.get(("pulumi up (checkpointed)", False))
        if fast and tofu:
            lines.append(f"- {apps} applications, no rate limits: fast deploy / OpenTofu apply = "
                         f"{round(fast['up_seconds'] / tofu['up_seconds'], 2)}x"
                         + (f"; checkpointed / fast = {round(slow['up_seconds'] / fast['up_seconds'], 1)}x" if slow else ""))
        limited = rows.get(("auth0-m2m up --fast", True))
        if limited and limited.get("ratio_to_minimum"):
            lines.append(f"- {apps} applications, rate-limited: fast deploy = {limited['ratio_to_minimum']}x the minimum")
    lines += ["", "Targets: fast deploy <= 1.1x the rate-limited minimum at 200 applications; <= 1.3x OpenTofu's apply "
              "of the same estate with the same provider, without rate limits (N apps x 3 APIs x 3 authorizations, at "
              "most 45 per organization, as the OpenTofu peer needs).", ""]
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["import", "up"])
    parser.add_argument("--apps", type=int, nargs="+")
    parser.add_argument("--authorizations", type=int)
    args = parser.parse_args()
    if args.what == "import":
        rows = [measure_import(*(args.apps or [300])[:1], args.authorizations or 10)]
    else:
        rows = run_up(tuple(args.apps or (50, 200)), args.authorizations or 3)
    for row in rows:
        print(json.dumps({k: v for k, v in row.items() if k != "calls_by_route"}))
