"""Where the time of a Pulumi operation goes: the profile behind the README's benchmark analysis.

    source scripts/pulumi-env.sh && export PATH="$PWD/.venv/bin:$PATH"
    python bench/profile.py --apps 100 500            # no-op preview and up, JSON + Markdown in bench/results/
    python bench/profile.py --apps 20 --python --engine --out /tmp/p   # + cProfile of the program, pprof of the CLI

For each size: a fresh emulator and stack (the estate of bench/peer.py), `pulumi up` (no intermediate
checkpoints) and then a no-op `pulumi preview`, each run once with the CLI's OpenTelemetry trace
(`--otel-traces file://...`) and once without it (the trace itself costs time). From the trace:

- phases of the run: CLI start-up to the program's start (the language host's About and GetRequiredPackages, the
  snapshot load, plugin start), the program's start-up before its first registration (interpreter, imports,
  validation), the registrations (first to last RegisterResource), the program's tail (the SDK waiting for its
  outputs, shutdown), and what the CLI does after the program ends (final state write, summary);
- the provider's RPCs (Check, Diff, Create, Read, Update) summed, as the engine sees them and as the provider
  (the bridge) spends them;
- state writes (the file backend's blob writes).

Per process, the CPU seconds (bench/measure.py): the CLI/engine (`pulumi`), the language host, the Python program
(`python pulumi-language-python-exec`), the Python helpers the host starts, and the provider.
With --python: the program's cProfile, internal time grouped by package (pulumi SDK, pulumi_auth0, grpc, asyncio,
auth0_m2m, ...). With --engine: the CLI's CPU profile (`pulumi --profiling`), top functions by `go tool pprof`.
With --provider (needs `perf`): the auth0 plugin rebuilt with its symbols from the wrapper module scripts/bootstrap
left in $AUTH0_M2M_CACHE/src/auth0-provider, run under `perf record` through the project's `plugins.providers`
setting, and the bridge's functions that take the most of its CPU (inclusive).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
import opentofu  # noqa: E402
from estate_gen import estate as generate_estate  # noqa: E402
from peer import AUTHORIZATIONS, TIMEOUT, PulumiWorkspace  # noqa: E402

RESULTS = HERE / "results"
PROVIDER_RPCS = ("Check", "Diff", "Create", "Read", "Update", "Delete")


def _spans(path: Path) -> list[dict]:
    spans = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        for resource_spans in json.loads(line).get("resourceSpans", []):
            service = next((a["value"].get("stringValue") for a in resource_spans["resource"].get("attributes", [])
                            if a["key"] == "service.name"), "?")
            for scope in resource_spans.get("scopeSpans", []):
                for span in scope.get("spans", []):
                    spans.append({"service": service, "name": span["name"],
                                  "start": int(span["startTimeUnixNano"]) / 1e9, "end": int(span["endTimeUnixNano"]) / 1e9})
    return spans


def _most_at_once(spans: list[dict]) -> int:
    """The largest number of these spans open at the same moment (1: the calls never overlap)."""
    events = sorted([(s["start"], 1) for s in spans] + [(s["end"], -1) for s in spans])
    current = most = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def trace_summary(path: Path) -> dict:
    """Phases and RPC sums from the CLI's OpenTelemetry trace."""
    spans = _spans(path)
    by_name = collections.defaultdict(list)
    for span in spans:
        by_name[(span["service"], span["name"])].append(span)

    def first(name: str) -> dict | None:
        found = by_name.get(("pulumi-cli", name))
        return min(found, key=lambda s: s["start"]) if found else None

    root, run = first("pulumi"), first("pulumirpc.LanguageRuntime/Run")
    registrations = by_name.get(("pulumi-cli", "pulumirpc.ResourceMonitor/RegisterResource"), [])
    t0 = root["start"]
    phases = {}
    if run and registrations:
        first_register = min(s["start"] for s in registrations)
        last_register = max(s["end"] for s in registrations)
        phases = {
            "cli_start_to_program": run["start"] - t0,
            "program_start_to_first_registration": first_register - run["start"],
            "registrations": last_register - first_register,
            "program_tail": run["end"] - last_register,
            "after_program": root["end"] - run["end"],
            "total": root["end"] - t0,
        }
    for name in ("pulumirpc.LanguageRuntime/About", "pulumirpc.LanguageRuntime/GetRequiredPackages"):
        span = first(name)
        if span:
            phases[name.rsplit("/", 1)[1]] = span["end"] - span["start"]
    rpcs = {}
    for rpc in PROVIDER_RPCS:
        engine = by_name.get(("pulumi-cli", f"pulumirpc.ResourceProvider/{rpc}"), [])
        provider = [s for (service, name), found in by_name.items() if service != "pulumi-cli"
                    and name == f"/pulumirpc.ResourceProvider/{rpc}" for s in found]
        if engine:
            rpcs[rpc] = {"calls": len(engine), "engine_sum_seconds": sum(s["end"] - s["start"] for s in engine),
                         "provider_sum_seconds": sum(s["end"] - s["start"] for s in provider),
                         "most_at_once": _most_at_once(engine)}
    writes = [s for (service, name), found in by_name.items() for s in found
              if service == "pulumi-cli" and name in ("gocloud.dev/blob.NewWriter", "gocloud.dev/blob.WriteAll")]
    logs = by_name.get(("pulumi-cli", "pulumirpc.Engine/Log"), [])
    return {
        "phases_seconds": {k: round(v, 2) for k, v in phases.items()},
        "provider_rpcs": {k: {kk: round(vv, 2) for kk, vv in v.items()} for k, v in rpcs.items()},
        "register_resource_calls": len(registrations),
        "engine_log_calls": len(logs),
        "state_writes": {"count": len(writes), "sum_seconds": round(sum(s["end"] - s["start"] for s in writes), 2)},
    }


PACKAGES = (("pulumi_auth0", "pulumi_auth0"), ("auth0_m2m", "auth0_m2m (this project)"), ("pydantic", "pydantic"),
            ("/pulumi/", "pulumi SDK"), ("grpc", "grpc"), ("google/protobuf", "protobuf"), ("asyncio", "asyncio"))


def python_summary(path: Path, top: int = 12) -> dict:
    """The program's cProfile: internal time by package, and the functions with the most internal time."""
    stats = pstats.Stats(str(path))
    by_package: dict[str, float] = collections.Counter()
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in stats.stats.items():
        package = next((label for needle, label in PACKAGES if needle in filename), "other (interpreter, imports)")
        if filename == "~" and function.startswith("<method 'add_done_callback'"):
            package = "asyncio"
        elif filename == "~" and "grpc" in function:
            package = "grpc"
        by_package[package] += tottime
        rows.append((tottime, calls, f"{Path(filename).name}:{line}({function})"))
    rows.sort(reverse=True)
    return {
        "total_seconds": round(stats.total_tt, 2),
        "internal_seconds_by_package": {k: round(v, 2) for k, v in by_package.most_common()},
        "top_functions": [{"function": name, "calls": calls, "internal_seconds": round(t, 2)} for t, calls, name in rows[:top]],
    }


# Where the CLI's CPU goes, by the first matching frame of each sample's stack (the order matters).
ENGINE_PARTS = (
    ("automatic log file (slog JSON, gzip, encryption), whoever logs", "pkg/v3/logging|log/slog|compress/flate|encryptedlog"),
    ("Engine.Log: the program's debug messages (besides the log file)", "_Engine_Log_Handler"),
    ("step generation: Check and Diff calls, results", "deploy.(*stepGenerator)"),
    ("step execution", "deploy.(*stepExecutor)"),
    ("RegisterResource and outputs (resource monitor)", "deploy.(*resmon)"),
    ("state: snapshot, serialization, secrets", "backend/diy|resource/stack|secrets|snapshot|pbkdf2"),
    ("display and events", "backend/display|engine.(*eventEmitter)|events"),
    ("plugin loading, start-up", "plugin.NewProvider|plugin.(*langhost)|workspace|cobra"),
    ("gRPC and protobuf", "google.golang.org/grpc|google.golang.org/protobuf"),
    ("garbage collection", "runtime.gcBgMarkWorker|runtime.gcDrain|runtime.bgsweep|runtime.bgscavenge"),
)


def engine_summary(prefix: Path) -> dict:
    """Share of the CLI's CPU samples per part (ENGINE_PARTS), from `go tool pprof -raw`."""
    import re

    profiles = sorted(prefix.parent.glob(prefix.name + ".*.cpu"))
    if not profiles or not shutil.which("go"):
        return {}
    raw = subprocess.run(["go", "tool", "pprof", "-raw", *map(str, profiles)], capture_output=True, text=True).stdout
    samples_text, _, locations_text = raw.partition("\nLocations\n")
    functions: dict[str, list[str]] = collections.defaultdict(list)
    current = None
    for line in locations_text.splitlines():
        match = re.match(r"\s+(\d+): 0x[0-9a-f]+ M=\d+ (\S+)", line)
        if match:
            current = match.group(1)
            functions[current].append(match.group(2))
        elif current and line.startswith("             ") and line.split():
            functions[current].append(line.split()[0])
        elif line and not line.startswith(" "):
            current = None
    totals: dict[str, int] = collections.Counter()
    for line in samples_text.splitlines():
        match = re.match(r"\s+(\d+)\s+\d+: ([\d ]+)$", line)
        if not match:
            continue
        frames = [name for location in match.group(2).split() for name in functions.get(location, [])]
        part = next((label for label, pattern in ENGINE_PARTS
                     if any(re.search(pattern.replace("(", "\\(").replace(")", "\\)").replace("*", "\\*"), f)
                            for f in frames)), "other")
        totals[part] += int(match.group(1))
    count = sum(totals.values()) or 1
    return {"samples": count, "share_percent": {k: round(100 * v / count, 1) for k, v in totals.most_common()}}


def _provider_under_perf(directory: Path, output: Path) -> Path:
    """A directory with a `pulumi-resource-auth0` that runs the plugin, built with symbols, under perf."""
    source = opentofu.cache_dir() / "src" / "auth0-provider"
    if not (source / "go.mod").exists() or not shutil.which("perf"):
        raise SystemExit("--provider needs perf and the wrapper module scripts/bootstrap builds the plugin from")
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / "pulumi-resource-auth0.symbols"
    env = {**opentofu.Toolchain()._go_env(), "GOFLAGS": "-mod=mod -buildvcs=false"}
    subprocess.run(["go", "build", "-trimpath", "-o", str(binary), "./cmd/pulumi-resource-auth0"],
                   cwd=source, env=env, check=True, capture_output=True)
    wrapper = directory / "pulumi-resource-auth0"
    wrapper.write_text(f'#!/bin/sh\nexec perf record -q -F 499 -g -o "{output}" -- "{binary}" "$@"\n')
    wrapper.chmod(0o755)
    return directory


def provider_summary(data: Path, top: int = 25) -> list[str]:
    """Inclusive share of the plugin's CPU samples per function (bridge, Terraform SDK, Go runtime)."""
    report = subprocess.run(["perf", "report", "-i", str(data), "--children", "--sort", "symbol", "--stdio",
                             "-g", "none", "--percent-limit", "3"], capture_output=True, text=True).stdout
    rows = [" ".join(line.split()).removesuffix(" - -") for line in report.splitlines()
            if line.strip() and not line.startswith("#")]
    return rows[:top]


def _python_shim(directory: Path, output: Path) -> dict:
    """Environment that makes the language host start the program under cProfile (PULUMI_PYTHON_CMD)."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "python-profiled"
    shim.write_text("#!/bin/sh\n"
                    f'case "$1" in */pulumi-language-python-exec) exec "{sys.executable}" -m cProfile -o "{output}" "$@";; esac\n'
                    f'exec "{sys.executable}" "$@"\n')
    shim.chmod(0o755)
    return {"PULUMI_PYTHON_CMD": str(shim)}


def profile(applications: int, out: Path, python: bool = False, engine: bool = False, provider: bool = False) -> dict:
    estate = generate_estate(applications, AUTHORIZATIONS, links_per_organization=opentofu.LINKS_PER_ORGANIZATION)
    row: dict = {"applications": applications}
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        workspace = PulumiWorkspace(estate, Path(tmp))
        try:
            def run(operation: str, *args: str, env: dict | None = None) -> dict:
                return workspace._pulumi(*args, env={"PULUMI_SKIP_CHECKPOINTS": "true", **(env or {})})

            traced = out / f"up-{applications}.otel.json"
            row["up_traced"] = run("up", "up", "--yes", "--skip-preview", f"--otel-traces=file://{traced}")
            row["up_trace"] = trace_summary(traced)
            row["resources"] = workspace.resources()
            plain = run("preview", "preview", "--expect-no-changes")
            traced = out / f"preview-{applications}.otel.json"
            row["preview_traced"] = run("preview", "preview", "--expect-no-changes", f"--otel-traces=file://{traced}")
            row["preview"] = plain
            row["preview_trace"] = trace_summary(traced)
            if python:
                output = out / f"preview-{applications}.prof"
                run("preview", "preview", "--expect-no-changes", env=_python_shim(Path(tmp) / "shim", output))
                row["preview_python"] = python_summary(output)
            if engine:
                prefix = out / f"preview-{applications}-cli"
                run("preview", "--profiling", str(prefix), "preview", "--expect-no-changes")
                row["preview_engine"] = engine_summary(prefix)
            if provider:
                data = out / f"preview-{applications}-provider.perf"
                plugin_dir = _provider_under_perf(Path(tmp) / "perf", data)
                project_file = workspace.project.root / "Pulumi.yaml"
                original = project_file.read_text()
                project_file.write_text(original + f"plugins:\n  providers:\n    - name: auth0\n      path: {plugin_dir}\n")
                try:
                    run("preview", "preview", "--expect-no-changes")
                finally:
                    project_file.write_text(original)
                row["preview_provider"] = provider_summary(data)
        finally:
            workspace.close()
    for key in ("up_traced", "preview_traced", "preview"):
        row[key].pop("calls_by_route", None)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--python", action="store_true", help="also cProfile the program during a no-op preview")
    parser.add_argument("--engine", action="store_true", help="also the CLI's CPU profile during a no-op preview")
    parser.add_argument("--provider", action="store_true", help="also the auth0 plugin under perf during a no-op preview")
    parser.add_argument("--out", type=Path, default=None, help="where traces and profiles go (default: a temp dir)")
    parser.add_argument("--save", action="store_true", help="write bench/results/profile.json")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-profile-out-"))
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for applications in args.apps:
        row = profile(applications, out, python=args.python, engine=args.engine, provider=args.provider)
        rows.append(row)
        print(json.dumps(row, indent=1), flush=True)
    if args.save:
        (RESULTS / "profile.json").write_text(json.dumps({"load_average": os.getloadavg(), "rows": rows}, indent=1) + "\n")
    print(f"traces and profiles in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
