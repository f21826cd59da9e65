"""Benchmark 1: program evaluation (validation + resource registration) under Pulumi mocks.

For N applications x 3 APIs x 10 organization authorizations, measures wall time and peak memory of
(a) the component library (validate + Estate) and (b) the same resources declared directly with
pulumi_auth0 in a plain program, each in a fresh process. The ratio a/b is the component's overhead.

    python bench/program_evaluation.py [--apps 10 100 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(mode: str, applications: int) -> None:
    """Runs in a fresh process: one evaluation, then prints its measurements as JSON."""
    import pulumi
    from pulumi.runtime import mocks, settings

    sys.path.insert(0, str(HERE))
    from estate_gen import estate

    class Tenant(pulumi.runtime.Mocks):
        def __init__(self):
            self.count = 0

        def new_resource(self, args):
            self.count += 1
            return f"id-{self.count}", {**args.inputs, "client_id": f"c{self.count}", "client_secret": "s"}

        def call(self, args):
            if args.token == "auth0:index/getM2mBuild:getM2mBuild":  # the project's plugin answers its marker
                return {"version": "bench", "fixes": ["organization-client-grant-read-by-grant-id"]}
            return {}

    raw = estate(applications)
    tenant = Tenant()
    settings.ROOT.set(None)
    mocks.set_mocks(tenant, project="auth0-m2m", stack="bench", preview=True)
    start = time.perf_counter()

    if mode == "component":
        from auth0_m2m import Estate, validate

        def program():
            config = validate(raw, "bench")
            Estate(config.environment, config)
    else:
        program = lambda: _plain_program(raw)

    @pulumi.runtime.test
    def run():
        program()

    run()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"mode": mode, "applications": applications, "resources": tenant.count, "seconds": elapsed, "peak_bytes": peak}))


def _plain_program(raw: dict) -> None:
    """The same resources as the component creates, declared directly (no validation, no components)."""
    import pulumi_auth0 as auth0

    org_ids = {name: auth0.Organization(f"org/{name}", name=name, display_name=name).id for name in raw["organizations"]}
    audiences = {}
    for key, api in raw["apis"].items():
        server = auth0.ResourceServer(f"api/{key}", identifier=api["identifier"], name=key, signing_alg="RS256", token_lifetime=86400)
        auth0.ResourceServerScopes(
            f"api/{key}/scopes",
            resource_server_identifier=server.identifier,
            scopes=[auth0.ResourceServerScopesScopeArgs(name=s, description=d) for s, d in api["scopes"].items()],
        )
        audiences[key] = api["identifier"]
    for app in raw["applications"]:
        client = auth0.Client(app["name"], name=app["name"], app_type="non_interactive", grant_types=["client_credentials"])
        auth0.ClientCredentials(f"{app['name']}/credentials", client_id=client.client_id, authentication_method="client_secret_post")
        for grant in app["grants"]:
            audience = audiences[grant["api"]]
            cg = auth0.ClientGrant(
                f"{app['name']}/{audience}",
                client_id=client.client_id,
                audience=audience,
                scopes=sorted(grant["scopes"]),
                organization_usage=grant["organization_usage"],
                allow_any_organization=False,
                subject_type="client",
            )
            for org in grant["organizations"]:
                auth0.OrganizationClientGrant(f"{app['name']}/{audience}/{org}", organization_id=org_ids[org], grant_id=cg.id)


def measure(mode: str, applications: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(applications)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(sizes=(10, 100, 1000)) -> list[dict]:
    rows = []
    for applications in sizes:
        component = measure("component", applications)
        plain = measure("plain", applications)
        rows.append(
            {
                "applications": applications,
                "resources": component["resources"],
                "component_seconds": round(component["seconds"], 2),
                "plain_seconds": round(plain["seconds"], 2),
                "overhead_ratio": round(component["seconds"] / plain["seconds"], 3),
                "component_peak_mib": round(component["peak_bytes"] / 2**20, 1),
                "plain_peak_mib": round(plain["peak_bytes"] / 2**20, 1),
            }
        )
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    for row in run(args.apps):
        print(json.dumps(row))
