"""Benchmark 1: program evaluation (validation + resource registration) under Pulumi mocks.

For N applications x 3 APIs x 10 organization authorizations, measures wall time, CPU time and peak memory of
(a) the component library (validate + Estate) and (b) a plain pulumi_auth0 program declaring the same resources
with the same inputs and dependencies (what a careful engineer writes by hand: explicit defaults, grants waiting
for their API), each evaluation in a fresh child process of this one. The sides alternate (ABC, then CBA), so
all see the same machine load; the overhead is the ratio of the medians of the wall times.

A third side, (c) ``structure``, is the plain program's resources arranged as the library arranges them and
nothing else: one bare component for the estate and one per application (no inputs recorded, no outputs, no
validation), each resource under the parent the library gives it. It is what any library that gives each
application a component of its own pays in Pulumi's Python SDK; ``structure_ratio`` (structure / plain) is that
floor, measured in the same runs (``--no-structure`` leaves it out).

Module imports happen before the clock starts on both sides: they are a one-off cost, not evaluation, and are
reported on their own (``import_seconds``: importing ``auth0_m2m``, whose pydantic models dominate it).

Every side runs twice per repeat: with the interpreter's default garbage collection (the overhead the library
adds, as another team's program sees it) and with the thresholds the project's program sets
(``auth0_m2m.tune_garbage_collection``): ``gc_seconds`` is the time spent in the collector, ``tuned`` what a
program gains from the setting and the overhead when the collector no longer dominates.

    python bench/program_evaluation.py [--apps 100 300 1000] [--repeats 5] [--no-tuned] [--no-structure] [--write]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _child(mode: str, applications: int, thresholds: str = "default") -> None:
    """Runs in a fresh process: one evaluation, then prints its measurements as JSON.

    ``thresholds``: "default", or the garbage collector's thresholds as "g0,g1,g2" (set before anything else)."""
    if thresholds != "default":
        gc.set_threshold(*map(int, thresholds.split(",")))
    collecting = {"seconds": 0.0, "since": 0.0}

    def count_collections(phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            collecting["since"] = now
        else:
            collecting["seconds"] += now - collecting["since"]

    import pulumi
    import pulumi_auth0  # noqa: F401  (both sides: imported before the clock starts)
    from pulumi.runtime import mocks, settings

    sys.path.insert(0, str(HERE))
    from estate_gen import estate

    import_seconds = 0.0
    if mode == "component":
        started = time.perf_counter()
        from auth0_m2m import Estate, validate

        import_seconds = time.perf_counter() - started

        def program():
            config = validate(raw, "bench")
            Estate(config.environment, config)
    else:
        program = lambda: _plain_program(raw, structure=mode == "structure")  # noqa: E731

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

    @pulumi.runtime.test
    def run():
        program()

    gc.callbacks.append(count_collections)
    start, cpu_start = time.perf_counter(), time.process_time()
    run()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    gc.callbacks.remove(count_collections)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"mode": mode, "applications": applications, "resources": tenant.count, "seconds": elapsed,
                      "cpu_seconds": cpu, "gc_seconds": collecting["seconds"], "import_seconds": import_seconds,
                      "peak_bytes": peak}))


def _plain_program(raw: dict, structure: bool = False) -> None:
    """The same resources as the component creates, with the same inputs and dependencies, declared directly
    (no validation, no components, no parents).

    ``structure``: the same again under bare components, parented as the library parents them (an estate
    component owns the organizations and APIs, one component per application owns its client, the client its
    credentials and grants, a grant its organization links)."""
    import pulumi
    import pulumi_auth0 as auth0

    def under(parent, **kwargs) -> Optional[pulumi.ResourceOptions]:
        """A resource's options: its parent only in the structure (the plain program passes what it passed)."""
        if structure:
            return pulumi.ResourceOptions(parent=parent, **kwargs)
        return pulumi.ResourceOptions(**kwargs) if kwargs else None

    def component(type_: str, name: str, parent=None):
        return pulumi.ComponentResource(type_, name, None, pulumi.ResourceOptions(parent=parent)) if structure else None

    estate = component("bench:index:Estate", "bench")
    org_ids = {
        name: auth0.Organization(
            f"org/{name}", name=name, display_name=org.get("display_name") or name, opts=under(estate)
        ).id
        for name, org in raw["organizations"].items()
    }
    audiences, dependencies = {}, {}
    for key, api in raw["apis"].items():
        server = auth0.ResourceServer(
            f"api/{key}",
            identifier=api["identifier"],
            name=key,
            signing_alg="RS256",
            token_lifetime=86400,
            allow_offline_access=False,
            skip_consent_for_verifiable_first_party_clients=True,
            opts=under(estate),
        )
        scopes = auth0.ResourceServerScopes(
            f"api/{key}/scopes",
            resource_server_identifier=server.identifier,
            scopes=[auth0.ResourceServerScopesScopeArgs(name=s, description=d) for s, d in api["scopes"].items()],
            opts=under(server),
        )
        audiences[key] = api["identifier"]
        dependencies[key] = [server, scopes]
    for app in raw["applications"]:
        application = component("bench:index:M2MApplication", app["name"], estate)
        client = auth0.Client(
            app["name"],
            name=app["name"],
            app_type="non_interactive",
            grant_types=["client_credentials"],
            is_first_party=True,
            description="Managed by Pulumi (auth0-m2m)",
            client_metadata={},
            default_organization=auth0.ClientDefaultOrganizationArgs(disable=True),
            opts=under(application),
        )
        auth0.ClientCredentials(
            f"{app['name']}/credentials", client_id=client.client_id, authentication_method="client_secret_post",
            opts=under(client),
        )
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
                opts=under(client, depends_on=dependencies[grant["api"]]),
            )
            for org in sorted(grant["organizations"]):
                auth0.OrganizationClientGrant(
                    f"{app['name']}/{audience}/{org}", organization_id=org_ids[org], grant_id=cg.id, opts=under(cg)
                )


def measure(mode: str, applications: int, thresholds: str = "default") -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(applications), thresholds],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def program_thresholds() -> str:
    """The collector thresholds the project's program sets, from the library (so the two never differ)."""
    sys.path.insert(0, str(HERE.parent / "components"))
    from auth0_m2m.resources.interpreter import THRESHOLDS

    return ",".join(map(str, THRESHOLDS))


def _summary(runs: dict[str, list[dict]]) -> dict:
    """Per side (component, plain, structure when measured): median wall time, median time in the collector and
    the samples; the ratios between the sides' medians."""
    median = {mode: statistics.median(r["seconds"] for r in rs) for mode, rs in runs.items()}
    cpu = {mode: statistics.median(r["cpu_seconds"] for r in rs) for mode, rs in runs.items()}
    summary: dict = {
        "overhead_ratio": round(median["component"] / median["plain"], 3),
        "cpu_overhead_ratio": round(cpu["component"] / cpu["plain"], 3),
    }
    if "structure" in runs:
        # The floor (bare components and parents) against the plain program, and what the library adds to it
        # (validation, recorded inputs and outputs, its own code).
        summary["structure_ratio"] = round(median["structure"] / median["plain"], 3)
        summary["component_over_structure_ratio"] = round(median["component"] / median["structure"], 3)
    for mode, rs in runs.items():
        summary[f"{mode}_seconds"] = round(median[mode], 2)
        summary[f"{mode}_gc_seconds"] = round(statistics.median(r["gc_seconds"] for r in rs), 2)
        summary[f"{mode}_samples"] = [round(r["seconds"], 2) for r in rs]
    return summary


def compare(applications: int, repeats: int = 5, tuned: bool = True, structure: bool = True) -> dict:
    """``repeats`` evaluations of each side, alternating (ABC, then CBA; with the default collector, then, when
    ``tuned``, with the program's thresholds in the same order); medians and their ratios."""
    settings = ["default"] + ([program_thresholds()] if tuned else [])
    modes = ("component", "plain") + (("structure",) if structure else ())
    runs: dict[str, dict[str, list[dict]]] = {setting: {mode: [] for mode in modes} for setting in settings}
    load_before = os.getloadavg()
    for i in range(repeats):
        for setting in settings:
            for mode in (modes if i % 2 == 0 else tuple(reversed(modes))):
                runs[setting][mode].append(measure(mode, applications, setting))
    load_after = os.getloadavg()
    default = runs["default"]
    row = {
        "applications": applications,
        "resources": default["component"][0]["resources"],
        "plain_resources": default["plain"][0]["resources"],
        "repeats": repeats,
        **_summary(default),
        "import_seconds": round(statistics.median(r["import_seconds"] for r in default["component"]), 2),
        "component_peak_mib": round(max(r["peak_bytes"] for r in default["component"]) / 2**20, 1),
        "plain_peak_mib": round(max(r["peak_bytes"] for r in default["plain"]) / 2**20, 1),
        "load_average": {"before": [round(x, 1) for x in load_before], "after": [round(x, 1) for x in load_after]},
    }
    if tuned:
        setting = settings[1]
        summary = _summary(runs[setting])
        row["tuned"] = {
            "thresholds": setting,
            **summary,
            "component_peak_mib": round(max(r["peak_bytes"] for r in runs[setting]["component"]) / 2**20, 1),
            # What the program's setting saves the component library (default / tuned medians).
            "speedup": round(row["component_seconds"] / summary["component_seconds"], 2),
        }
    return row


def run(sizes=(100, 300, 1000), repeats: int = 5, tuned: bool = True, structure: bool = True) -> list[dict]:
    return [compare(applications, repeats, tuned, structure) for applications in sizes]


def write(rows: list[dict]) -> None:
    """bench/results/evaluation.{json,md}: every sample and the machine's load (results.md has the medians)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "evaluation.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "evaluation.md").write_text(markdown(rows) + "\n")


def markdown(rows: list[dict]) -> str:
    lines = [
        "| applications | resources (component / plain) | collector | component s (median) | plain s (median) | "
        "overhead (wall) | overhead (CPU) | in the collector s (component / plain) | component runs s | plain runs s | "
        "structure s (median) / structure ÷ plain / component ÷ structure | structure runs s | "
        "load average before / after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        load = r["load_average"]
        series = [("default", r)] + ([(f"program's ({r['tuned']['thresholds']})", r["tuned"])] if "tuned" in r else [])
        for label, s in series:
            lines.append(
                f"| {r['applications']} | {r['resources']} / {r['plain_resources']} | {label} | "
                f"{s['component_seconds']} | {s['plain_seconds']} | {s['overhead_ratio']}x | {s['cpu_overhead_ratio']}x | "
                f"{s.get('component_gc_seconds', '?')} / {s.get('plain_gc_seconds', '?')} | "
                f"{', '.join(map(str, s['component_samples']))} | {', '.join(map(str, s['plain_samples']))} | "
                + (f"{s['structure_seconds']} / {s['structure_ratio']}x / {s['component_over_structure_ratio']}x | "
                   f"{', '.join(map(str, s['structure_samples']))} | " if "structure_seconds" in s else "- | - | ")
                + f"{'/'.join(map(str, load['before']))} → {'/'.join(map(str, load['after']))} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-tuned", dest="tuned", action="store_false",
                        help="only the default collector (half the runs)")
    parser.add_argument("--no-structure", dest="structure", action="store_false",
                        help="leave out the bare-component structure (a third fewer runs)")
    parser.add_argument("--write", action="store_true", help="write bench/results/evaluation.{json,md}")
    args = parser.parse_args()
    rows = []
    for applications in args.apps:
        rows.append(compare(applications, args.repeats, args.tuned, args.structure))
        print(json.dumps(rows[-1]), flush=True)
    print(markdown(rows))
    if args.write:
        write(rows)
