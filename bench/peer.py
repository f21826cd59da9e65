"""Side by side with the peer: the same estate deployed by this project (`pulumi up`, previews, refresh) and by
OpenTofu with the Terraform provider the project's auth0 plugin bridges, each against an emulator of its own,
operation by operation in one run, so that both see the same machine load.

    source scripts/pulumi-env.sh && export PATH="$PWD/.venv/bin:$PATH"
    python bench/run.py --only peer                      # 100 and 500 applications, into bench/results/
    python bench/peer.py --apps 20 --repeats 1           # quick look, JSON lines on stdout

Estate: N applications x 3 APIs x 3 organization authorizations, at most 45 links per organization (the
upstream provider reads an organization's links from the first page only), organizations and APIs managed.
Per size, in this order: OpenTofu `apply` / `pulumi up`; `repeats` times alternately the no-op
`plan -refresh=false` / `pulumi preview`; `plan` / `pulumi preview --refresh` (reads every resource);
`apply -refresh-only` / `pulumi refresh`. Each measurement: wall and CPU seconds of the whole process tree,
its peak memory (sampled), the 1-minute load, and the Management API calls the emulator counted.

`pulumi up` runs with PULUMI_SKIP_CHECKPOINTS=true by default (`--up-checkpoints` for the default): the file
backend's per-step rewrite of the whole state is quadratic and measured on its own in bench/pulumi_up.py; the
adoption issue's fast deploy is what replaces it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import measure  # noqa: E402
import opentofu  # noqa: E402
from estate_gen import estate as generate_estate  # noqa: E402
from tests.integration.harness import Emulator, PulumiProject  # noqa: E402

AUTHORIZATIONS = 3
TIMEOUT = 4 * 3600


class PulumiWorkspace:
    """This project's program (a copy, with its own file backend) for one estate, on an emulator of its own."""

    def __init__(self, estate: dict, workdir: Path, checkpoints: bool = False):
        self.emulator = Emulator(workdir / "tenant")
        try:
            self.project = PulumiProject(workdir / "project", self.emulator, stack="bench")
        except BaseException:
            self.emulator.stop()
            raise
        document = yaml.safe_load(self.project.stack_file.read_text())
        document.setdefault("config", {}).update({f"auth0-m2m:{key}": value for key, value in estate.items()})
        self.project.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
        self.checkpoints = checkpoints

    def close(self) -> None:
        self.emulator.stop()

    def _pulumi(self, *args: str, env: dict | None = None) -> dict:
        self.emulator.reset_requests()
        result = measure.run(["pulumi", *args, "--stack", self.project.stack, "--non-interactive"],
                             cwd=self.project.root, env={**self.project.env, **(env or {})}, timeout=TIMEOUT)
        if result.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args)} exited {result.returncode}:\n"
                               f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        counters = self.emulator.requests()
        management = sum(n for route, n in counters["by_route"].items() if " /api/v2/" in route)
        return {**result.summary(), "calls": management, "requests": counters["total"],
                "calls_by_route": counters["by_route"]}

    def resources(self) -> int:
        """auth0 (custom) resources in the state."""
        state = json.loads(self.project.run("stack", "export").stdout)
        return sum(1 for r in state["deployment"]["resources"] if r["type"].startswith("auth0:index/"))

    def up(self) -> dict:
        env = {} if self.checkpoints else {"PULUMI_SKIP_CHECKPOINTS": "true"}
        return self._pulumi("up", "--yes", "--skip-preview", env=env)

    def preview(self, refresh: bool = False) -> dict:
        return self._pulumi("preview", "--expect-no-changes", *(["--refresh"] if refresh else []))

    def refresh(self) -> dict:
        return self._pulumi("refresh", "--yes", "--skip-preview")


def _median(samples: list[dict]) -> dict:
    """The sample with the median wall time, with every sample's wall time kept."""
    ordered = sorted(samples, key=lambda s: s["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["samples_seconds"] = [s["seconds"] for s in samples]
    chosen["samples_cpu_seconds"] = [s["cpu_seconds"] for s in samples]
    return chosen


def compare(applications: int, repeats: int = 3, up_checkpoints: bool = False, tools=None, refresh: bool = True) -> dict:
    """One size, both sides, alternating. Returns {"applications", "resources", "pulumi": {...}, "opentofu": {...}}.
    ``refresh=False`` leaves out the two operations that read every resource (plan/preview --refresh, refresh)."""
    tools = (tools or opentofu.Toolchain()).ensure()
    estate = generate_estate(applications, AUTHORIZATIONS, links_per_organization=opentofu.LINKS_PER_ORGANIZATION)
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        tofu = opentofu.Workspace(tools, estate, Path(tmp) / "tofu")
        pulumi = None
        try:
            pulumi = PulumiWorkspace(estate, Path(tmp) / "pulumi", checkpoints=up_checkpoints)
            t, p = {}, {}
            t["apply"] = tofu.apply()
            p["up"] = pulumi.up()
            resources = {"opentofu": tofu.resources(), "pulumi": pulumi.resources()}
            plans, previews = [], []
            for i in range(repeats):
                pair = [lambda: plans.append(tofu.plan(refresh=False)), lambda: previews.append(pulumi.preview())]
                for action in (pair if i % 2 == 0 else pair[::-1]):
                    action()
            t["noop_plan"], p["noop_preview"] = _median(plans), _median(previews)
            if refresh:
                t["plan_refresh"] = tofu.plan(refresh=True)
                p["preview_refresh"] = pulumi.preview(refresh=True)
                t["refresh"] = tofu.refresh()
                p["refresh"] = pulumi.refresh()
        finally:
            tofu.close()
            if pulumi is not None:
                pulumi.close()
    for side, rows in (("opentofu", t), ("pulumi", p)):
        for row in rows.values():
            row["calls_per_resource"] = round(row["calls"] / resources[side], 2)
    return {
        "applications": applications,
        "authorizations_per_grant": AUTHORIZATIONS,
        "links_per_organization": opentofu.LINKS_PER_ORGANIZATION,
        "resources": resources,
        "up_checkpoints": up_checkpoints,
        "repeats": repeats,
        "opentofu": t,
        "pulumi": p,
        "ratios": {
            name: round(p[pkey][field] / t[tkey][field], 2)
            for name, pkey, tkey, field in (
                ("up_to_apply", "up", "apply", "seconds"),
                ("noop_preview_to_plan", "noop_preview", "noop_plan", "seconds"),
                ("noop_preview_to_plan_cpu", "noop_preview", "noop_plan", "cpu_seconds"),
                ("preview_refresh_to_plan", "preview_refresh", "plan_refresh", "seconds"),
                ("refresh_to_refresh", "refresh", "refresh", "seconds"),
            )
            if pkey in p and tkey in t
        },
    }


def run(sizes=(100, 500), repeats: int = 3, up_checkpoints: bool = False, large_repeats: int = 1,
        progress=None) -> dict:
    """Every size in turn. Above 100 applications (where each operation costs minutes on 2 cores) the no-op pair is
    repeated ``large_repeats`` times and the two reading operations are left out: their calls per resource do not
    depend on the size."""
    tools = opentofu.Toolchain().ensure()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = round(os.getloadavg()[0], 2)
    result = {"date": started, "load_before": load_before, "opentofu_version": opentofu.OPENTOFU_VERSION,
              "provider_version": opentofu.PROVIDER_VERSION, "rows": []}
    for n in sizes:
        result["rows"].append(compare(n, repeats if n <= 100 else large_repeats, up_checkpoints, tools, refresh=n <= 100))
        scaling(result)
        if progress:
            progress(result)  # e.g. bench/run.py writes the sizes measured so far
    return result


def scaling(result: dict) -> dict:
    """No-op preview (and, for comparison, plan) time and CPU per resource, largest size vs smallest."""
    rows = result["rows"]
    if len(rows) < 2:
        return result
    first, last = rows[0], rows[-1]

    def ratio(side: str, operation: str, field: str) -> float:
        per = lambda row: row[side][operation][field] / row["resources"][side]
        return round(per(last) / per(first), 2)

    result["noop_preview_scaling"] = {
        "from": first["applications"], "to": last["applications"],
        "time_per_resource_ratio": ratio("pulumi", "noop_preview", "seconds"),
        "cpu_per_resource_ratio": ratio("pulumi", "noop_preview", "cpu_seconds"),
        "plan_time_per_resource_ratio": ratio("opentofu", "noop_plan", "seconds"),
        "plan_cpu_per_resource_ratio": ratio("opentofu", "noop_plan", "cpu_seconds"),
    }
    return result


def split_cpu(measured: dict) -> dict:
    """CPU seconds of one Pulumi operation by role: the CLI (engine), the Python program, the auth0 plugin, and the
    language host with the Python helpers it starts (About, plugin listing)."""
    parts = {"cli": 0.0, "program": 0.0, "plugin": 0.0, "host": 0.0}
    for name, seconds in measured.get("cpu_by_process", {}).items():
        if name == "pulumi":
            parts["cli"] += seconds
        elif name.endswith("pulumi-language-python-exec") or name == "python -m cProfile":
            parts["program"] += seconds
        elif name.startswith("pulumi-resource") or name == "":
            parts["plugin"] += seconds
        else:
            parts["host"] += seconds
    return {key: round(value, 1) for key, value in parts.items()}


def markdown(peer: dict) -> list[str]:
    lines = [f"## 5. Side by side with OpenTofu {peer['opentofu_version']} + terraform-provider-auth0 "
             f"{peer['provider_version']} (N apps x 3 APIs x 3 organization authorizations, <= 45 links per "
             "organization, one emulator each)", "",
             f"Measured {peer['date']}; 1-minute load before the run: {peer['load_before']} (2 cores, shared).", "",
             "| applications (resources) | operation | OpenTofu s (CPU s) | Pulumi s (CPU s) | ratio | "
             "OpenTofu calls/resource | Pulumi calls/resource | OpenTofu peak MiB | Pulumi peak MiB | load |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    pairs = (("apply / `up`", "apply", "up"), ("no-op `plan -refresh=false` / `preview`", "noop_plan", "noop_preview"),
             ("`plan` / `preview --refresh`", "plan_refresh", "preview_refresh"),
             ("`apply -refresh-only` / `refresh`", "refresh", "refresh"))
    for row in peer["rows"]:
        size = f"{row['applications']} ({row['resources']['pulumi']})"
        for label, tkey, pkey in pairs:
            if tkey not in row["opentofu"] or pkey not in row["pulumi"]:
                continue
            t, p = row["opentofu"][tkey], row["pulumi"][pkey]
            lines.append(
                f"| {size} | {label} | {t['seconds']} ({t['cpu_seconds']}) | {p['seconds']} ({p['cpu_seconds']}) | "
                f"{round(p['seconds'] / t['seconds'], 2)}x | {t['calls_per_resource']} | {p['calls_per_resource']} | "
                f"{t['peak_rss_mib']} | {p['peak_rss_mib']} | {max(t['load'], p['load'])} |")
    lines += ["", "Where the CPU of the Pulumi side goes, by process (CPU seconds; bench/measure.py samples each process):",
              "", "| applications | operation | CLI and engine | Python program | auth0 plugin | language host and its helpers | total |",
              "|---|---|---|---|---|---|---|"]
    for row in peer["rows"]:
        for label, key in (("`up`", "up"), ("no-op `preview`", "noop_preview"), ("`preview --refresh`", "preview_refresh"),
                           ("`refresh`", "refresh")):
            if key not in row["pulumi"]:
                continue
            parts = split_cpu(row["pulumi"][key])
            lines.append(f"| {row['applications']} | {label} | {parts['cli']} | {parts['program']} | {parts['plugin']} | "
                         f"{parts['host']} | {row['pulumi'][key]['cpu_seconds']} |")
    lines += ["", "Pulumi `up` " + ("with the file backend's checkpoints." if peer["rows"] and peer["rows"][0]["up_checkpoints"]
              else "with PULUMI_SKIP_CHECKPOINTS=true (the file backend's per-step state rewrite is measured in "
                   "section 2-3; the fast deploy replaces it)."),
              "No-op rows: median of the alternating repeats (see `repeats` in results.json). Targets: no-op preview <= 1.5x the no-op plan at 100 "
              "and 500 applications; `preview --refresh` <= 1 Management API read per custom resource; no-op "
              "preview time per resource within 1.2x from 100 to 500 applications."]
    if "noop_preview_scaling" in peer:
        s = peer["noop_preview_scaling"]
        lines.append(f"Per resource, {s['to']} vs {s['from']} applications: no-op preview {s['time_per_resource_ratio']}x "
                     f"the time and {s.get('cpu_per_resource_ratio', '-')}x the CPU; OpenTofu's no-op plan "
                     f"{s.get('plan_time_per_resource_ratio', '-')}x the time and {s.get('plan_cpu_per_resource_ratio', '-')}x "
                     "the CPU.")
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeats", type=int, default=3, help="alternating no-op plan/preview pairs per size")
    parser.add_argument("--up-checkpoints", action="store_true", help="pulumi up with the file backend's checkpoints")
    args = parser.parse_args()
    tools = opentofu.Toolchain().ensure()
    for n in args.apps:
        print(json.dumps(compare(n, args.repeats, args.up_checkpoints, tools)))


if __name__ == "__main__":
    main()
