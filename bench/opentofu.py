"""The OpenTofu peer: the same estate, applied by OpenTofu with the Terraform provider that the project's auth0
plugin bridges (terraform-provider-auth0), against a local tenant emulator. Benchmark tooling only: nothing the
project runs depends on it, and nothing of OpenTofu is committed.

    python bench/opentofu.py build               # build tofu and the provider once (Go module proxy), print paths
    python bench/opentofu.py run --apps 100      # fresh emulator: apply, no-op plan, plan, refresh; JSON lines

From Python (what `bench/peer.py` and other benchmarks use)::

    import opentofu                              # with bench/ on sys.path
    tools = opentofu.Toolchain().ensure()        # builds on first use, then reuses the binaries
    with opentofu.Workspace(tools, estate_dict, workdir) as tofu:   # starts its own emulator
        apply = tofu.apply()                     # {"seconds", "cpu_seconds", "peak_rss_mib", "load", "calls", ...}
        plan = tofu.plan(refresh=False)          # the no-op plan a pull request runs
    opentofu.run_peer(100)                       # the same, as one dict of rows per operation

Where the binaries come from (pins below): OpenTofu v1.12.6 is built as the main module from its module zip
(its go.mod has a replace directive, so `go install ...@v1.12.6` is refused), the provider with `go build` of
terraform-provider-auth0 v1.44.0 (unpatched: it reads an organization's links from the first page, 50, only, so
estates for it keep at most 45 links per organization). Both are fetched through the Go module proxy into
$AUTH0_M2M_CACHE/opentofu (default ~/.cache/auth0-m2m), outside the repository. OpenTofu finds the provider
through `dev_overrides` in a CLI config file of its own (TF_CLI_CONFIG_FILE), so nothing is downloaded from a
provider registry and no `tofu init` is needed.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "emulator"))

import measure  # noqa: E402
from estate_gen import estate as generate_estate  # noqa: E402

OPENTOFU_MODULE, OPENTOFU_VERSION = "github.com/opentofu/opentofu", "v1.12.6"
PROVIDER_MODULE, PROVIDER_VERSION = "github.com/auth0/terraform-provider-auth0", "v1.44.0"
# The upstream provider reads an organization's links from the first page (50) only: stay below it.
LINKS_PER_ORGANIZATION = 45
TIMEOUT = 4 * 3600


def cache_dir() -> Path:
    return Path(os.environ.get("AUTH0_M2M_CACHE") or Path.home() / ".cache" / "auth0-m2m")


class Toolchain:
    """`tofu` and `terraform-provider-auth0`, built from the Go module proxy into the cache (once, under a lock)."""

    def __init__(self, cache: Optional[Path] = None):
        self.cache = Path(cache) if cache else cache_dir()
        self.home = self.cache / "opentofu"
        self.tofu = self.home / "bin" / "tofu"
        self.provider_dir = self.home / "providers"
        self.provider = self.provider_dir / "terraform-provider-auth0"
        self.cli_config = self.home / "tofu.rc"

    def _go_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            GOMODCACHE=str(self.cache / "go" / "mod"),
            GOCACHE=str(self.cache / "go" / "build"),
            GOPATH=str(self.cache / "go" / "path"),
            GOTOOLCHAIN="local",
            CGO_ENABLED="0",
            GOFLAGS="-mod=mod -buildvcs=false",
            GOWORK="off",
        )
        return env

    def _module_copy(self, module: str, version: str, env: dict[str, str]) -> Path:
        """A writable copy of a module's zip contents, to build it as the main module."""
        info = subprocess.run(
            ["go", "mod", "download", "-json", f"{module}@{version}"],
            cwd=self.home, env=env, capture_output=True, text=True,
        )
        if info.returncode != 0:
            raise RuntimeError(f"the Go module proxy did not serve {module}@{version}:\n{info.stdout}{info.stderr}")
        source = Path(json.loads(info.stdout)["Dir"])
        target = self.home / "src" / f"{module.rsplit('/', 1)[1]}@{version}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        for path in [target, *target.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        return target

    def _build(self, module: str, version: str, package: str, output: Path, env: dict[str, str]) -> None:
        source = self._module_copy(module, version, env)
        log = self.home / "logs" / f"{output.name}.build.log"
        temporary = output.with_name(f".{output.name}.tmp")
        print(f"[opentofu] building {module}@{version} (log: {log})", file=sys.stderr)
        with open(log, "w") as handle:
            built = subprocess.run(
                ["go", "build", "-trimpath", "-ldflags", "-w -s", "-o", str(temporary), package],
                cwd=source, env=env, stdout=handle, stderr=subprocess.STDOUT,
            )
        if built.returncode != 0:
            raise RuntimeError(f"building {module}@{version} failed; last lines of {log}:\n"
                               + "\n".join(log.read_text().splitlines()[-20:]))
        temporary.replace(output)
        shutil.rmtree(source, ignore_errors=True)

    def ensure(self) -> "Toolchain":
        for directory in (self.home / "bin", self.home / "logs", self.home / "src", self.provider_dir):
            directory.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            stamp = self.home / "stamp"
            wanted = f"{OPENTOFU_MODULE}@{OPENTOFU_VERSION} {PROVIDER_MODULE}@{PROVIDER_VERSION}"
            if not (self.tofu.exists() and self.provider.exists() and stamp.exists() and stamp.read_text() == wanted):
                env = self._go_env()
                self._build(OPENTOFU_MODULE, OPENTOFU_VERSION, "./cmd/tofu", self.tofu, env)
                self._build(PROVIDER_MODULE, PROVIDER_VERSION, ".", self.provider, env)
                stamp.write_text(wanted)
        self.cli_config.write_text(
            "# Written by bench/opentofu.py: the auth0 provider is the local build, nothing is downloaded.\n"
            "provider_installation {\n"
            f'  dev_overrides {{\n    "auth0/auth0" = "{self.provider_dir}"\n  }}\n'
            "}\n"
        )
        return self


def _address(prefix: str, key: str) -> str:
    """A resource name OpenTofu accepts (letters, digits, '_' and '-'; a letter first) for a stable key."""
    return prefix + re.sub(r"[^A-Za-z0-9_-]", "_", key)


def configuration(estate: dict) -> dict:
    """The estate (bench/estate_gen.py's shape) as OpenTofu JSON configuration, resource for resource what the
    Estate component declares: organizations, APIs and their scopes, and per application the client (default
    organization explicitly disabled), its credentials, one grant per API and one link per organization.

    One resource block per resource, each referring to exactly the resources it depends on, as the Pulumi program
    registers them. (With `for_each` over maps, every reference such as `auth0_client_grant.grant[each.value.grant]`
    makes OpenTofu build the whole map of instances, which made its apply grow faster than linearly: 111 CPU seconds
    for 1,426 resources against 1.5 for 79.)"""
    apis = estate["apis"]
    resources: dict[str, dict[str, dict]] = {kind: {} for kind in (
        "auth0_organization", "auth0_resource_server", "auth0_resource_server_scopes", "auth0_client",
        "auth0_client_credentials", "auth0_client_grant", "auth0_organization_client_grant")}
    for name in estate["organizations"]:
        resources["auth0_organization"][_address("org_", name)] = {"name": name, "display_name": name}
    for key, api in apis.items():
        server = _address("api_", key)
        resources["auth0_resource_server"][server] = {
            "identifier": api["identifier"], "name": api.get("name") or key, "signing_alg": "RS256",
            "token_lifetime": 86400, "allow_offline_access": False,
            "skip_consent_for_verifiable_first_party_clients": True}
        resources["auth0_resource_server_scopes"][server] = {
            "resource_server_identifier": f"${{auth0_resource_server.{server}.identifier}}",
            "scopes": [{"name": value, "description": text} for value, text in api.get("scopes", {}).items()]}
    for app in estate["applications"]:
        client = _address("app_", app["name"])
        resources["auth0_client"][client] = {
            "name": app.get("display_name", app["name"]), "app_type": "non_interactive",
            "grant_types": ["client_credentials"], "is_first_party": True,
            "description": "Managed by Pulumi (auth0-m2m)", "client_metadata": {},
            "default_organization": [{"disable": True}]}
        resources["auth0_client_credentials"][client] = {
            "client_id": f"${{auth0_client.{client}.client_id}}", "authentication_method": "client_secret_post"}
        for grant in app["grants"]:
            server = _address("api_", grant["api"])
            grant_address = f"{client}__{server}"
            resources["auth0_client_grant"][grant_address] = {
                "client_id": f"${{auth0_client.{client}.client_id}}",
                "audience": apis[grant["api"]]["identifier"],
                "scopes": sorted(set(grant["scopes"])),
                "organization_usage": grant.get("organization_usage", "deny"),
                "allow_any_organization": grant.get("allow_any_organization", False),
                "subject_type": "client",
                "depends_on": [f"auth0_resource_server_scopes.{server}"]}
            for organization in grant.get("organizations", []):
                org = _address("org_", organization)
                resources["auth0_organization_client_grant"][f"{grant_address}__{org}"] = {
                    "organization_id": f"${{auth0_organization.{org}.id}}",
                    "grant_id": f"${{auth0_client_grant.{grant_address}.id}}"}
    return {
        "terraform": {"required_providers": {"auth0": {"source": "auth0/auth0"}}},
        "provider": {"auth0": {}},  # domain and credentials from AUTH0_DOMAIN / AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET
        "resource": resources,
    }


class Workspace:
    """One estate, one OpenTofu working directory and state, one emulator of its own (started here unless one is
    passed in: an `auth0_emulator.process.RunningEmulator`, or the integration tests' `Emulator`, e.g. started with
    rate limits). Each operation returns its measurements and the emulator's request counts."""

    def __init__(self, tools: Toolchain, estate: dict, workdir: Path, emulator: Any = None):
        from auth0_emulator import process

        self.tools = tools
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "main.tf.json").write_text(json.dumps(configuration(estate), indent=1))
        self._own_emulator = emulator is None
        self.emulator = getattr(emulator, "running", emulator) or process.start(self.workdir / "tenant")
        connection = self.emulator.connection
        self.http = self.emulator.client()
        self.env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(tools.cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "AUTH0_DOMAIN": connection["domain"],
            "AUTH0_CLIENT_ID": connection["client_id"],
            "AUTH0_CLIENT_SECRET": connection["client_secret"],
            "SSL_CERT_FILE": connection["ca_cert"],
        }
        self.env.pop("TF_LOG", None)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
        if self._own_emulator:
            self.emulator.stop()

    def _tofu(self, *args: str, ok: tuple[int, ...] = (0,)) -> dict:
        self.http.post("/__emulator/requests/reset").raise_for_status()
        result = measure.run([str(self.tools.tofu), *args, "-no-color", "-input=false"],
                             cwd=self.workdir, env=self.env, timeout=TIMEOUT)
        if result.returncode not in ok:
            raise RuntimeError(f"tofu {' '.join(args)} exited {result.returncode}:\n"
                               f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        counters = self.http.get("/__emulator/requests").raise_for_status().json()
        management = sum(n for route, n in counters["by_route"].items() if " /api/v2/" in route)
        return {**result.summary(), "returncode": result.returncode, "calls": management,
                "requests": counters["total"], "calls_by_route": counters["by_route"]}

    def resources(self) -> int:
        """auth0 resources in the state."""
        state = json.loads((self.workdir / "terraform.tfstate").read_text())
        return sum(len(r["instances"]) for r in state["resources"]
                   if r["mode"] == "managed" and r["type"].startswith("auth0_"))

    def apply(self) -> dict:
        return self._tofu("apply", "-auto-approve")

    def plan(self, refresh: bool = True) -> dict:
        """A plan that must find no changes (-detailed-exitcode: 2 would mean changes)."""
        return self._tofu("plan", "-detailed-exitcode", *([] if refresh else ["-refresh=false"]))

    def refresh(self) -> dict:
        """`apply -refresh-only`: read every resource and write the state (what `pulumi refresh` does)."""
        return self._tofu("apply", "-refresh-only", "-auto-approve")


def run_peer(applications: int, authorizations: int = 3, operations=("apply", "noop_plan", "plan", "refresh"),
             tools: Optional[Toolchain] = None) -> dict:
    """OpenTofu alone on a fresh emulator: one row per operation (seconds, cpu_seconds, peak_rss_mib, load, calls,
    calls_by_route) plus the estate's resource count and calls per resource for each operation."""
    tools = (tools or Toolchain()).ensure()
    estate = generate_estate(applications, authorizations, links_per_organization=LINKS_PER_ORGANIZATION)
    actions = {"apply": lambda w: w.apply(), "noop_plan": lambda w: w.plan(refresh=False),
               "plan": lambda w: w.plan(refresh=True), "refresh": lambda w: w.refresh()}
    with tempfile.TemporaryDirectory(prefix="bench-tofu-") as tmp, Workspace(tools, estate, Path(tmp)) as tofu:
        row: dict = {"applications": applications, "authorizations_per_grant": authorizations}
        for operation in operations:
            row[operation] = actions[operation](tofu)
            if operation == "apply":
                row["resources"] = tofu.resources()
        for operation in operations:
            row[operation]["calls_per_resource"] = round(row[operation]["calls"] / row["resources"], 2)
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build tofu and the provider (once) and print where they are")
    run = commands.add_parser("run", help="apply, no-op plan, plan and refresh an estate on a fresh emulator")
    run.add_argument("--apps", type=int, nargs="+", default=[20])
    run.add_argument("--authorizations", type=int, default=3)
    args = parser.parse_args()
    tools = Toolchain().ensure()
    if args.command == "build":
        print(json.dumps({"tofu": str(tools.tofu), "provider": str(tools.provider), "cli_config": str(tools.cli_config)}))
        return
    for applications in args.apps:
        print(json.dumps(run_peer(applications, args.authorizations, tools=tools)))


if __name__ == "__main__":
    main()
