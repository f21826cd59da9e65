"""Real processes for integration tests: the tenant emulator, and this project run by the Pulumi CLI.

Each test project is a copy of the repository's program (Pulumi.yaml, __main__.py, stacks/) in a
temporary directory with its own file backend, so tests never touch the checkout's stack files or state.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import httpx
import psutil
import yaml
from auth0_emulator import process
from auth0_m2m.model.scopes import Command, StackNeeds, required_scopes

REPO = Path(__file__).resolve().parents[2]


def offline_pulumi_env() -> dict[str, str]:
    """The environment scripts/pulumi-env.sh sets up (toolchain on PATH, isolated PULUMI_HOME, offline)."""
    dump = subprocess.run(
        ["bash", "-c", f"source '{REPO}/scripts/pulumi-env.sh' >/dev/null && env -0"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    env = dict(line.split("=", 1) for line in dump.split("\0") if "=" in line)
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{env['PATH']}"
    return env


def copy_project(root: Path) -> None:
    """This project's program and stack files, copied into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "stacks", root / "stacks", dirs_exist_ok=True)


def isolated_pulumi_env(state_dir: Path, passphrase: str, ca_cert: str) -> dict[str, str]:
    """The offline environment with a file backend of its own in ``state_dir`` (created), a fixed
    passphrase, and the tenant's CA trusted by the provider."""
    state_dir.mkdir(parents=True, exist_ok=True)  # programs may share one backend
    env = {
        **offline_pulumi_env(),
        "PULUMI_BACKEND_URL": f"file://{state_dir}",
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "SSL_CERT_FILE": ca_cert,
    }
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    return env


def plugin_home(directory: Path, env: dict[str, str], plugins: dict[str, Path]) -> Path:
    """A PULUMI_HOME of its own in ``directory`` with exactly these auth0 plugins (version -> binary),
    as a machine with another set of plugins (an official install, an old cache) would have."""
    directory.mkdir(parents=True)
    for version, binary in plugins.items():
        subprocess.run(
            ["pulumi", "plugin", "install", "resource", "auth0", version, "--file", str(binary)],
            env={**env, "PULUMI_HOME": str(directory)},
            check=True,
            capture_output=True,
            timeout=300,
        )
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Emulator:
    """An `auth0-emulator serve` subprocess (auth0_emulator.process) with the calls integration tests make."""

    def __init__(self, data_dir: Path, *extra_args: str):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.start()

    def start(self) -> None:
        self.running = process.start(self.data_dir, args=self.extra_args)
        self.connection = self.running.connection
        self.ca_cert = self.running.ca_cert
        self.http = self.running.client()
        self._management: Optional[httpx.Client] = None

    def stop(self) -> None:
        self.http.close()
        if self._management is not None:
            self._management.close()
        self.running.stop()

    # The Management API, as an operator acting behind Pulumi's back would use it.
    def management(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._management is None:
            self._management = self.running.management_client()
        return self._management.request(method, f"/api/v2{path}", **kwargs)

    def management_client_with_scopes(self, scopes: Iterable[str], name: str = "scoped-management-client") -> tuple[str, str]:
        """A new machine-to-machine client authorized for the Management API with exactly ``scopes`` (a client
        grant on the tenant's Management API audience), as a platform engineer would create one for Pulumi.
        Returns its client id and secret. It is a client of the tenant like any other: tests that count the
        tenant's clients leave it out by id."""
        created = self.management(
            "POST", "/clients", json={"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"]}
        )
        assert created.status_code == 201, created.text
        client = created.json()
        grant = self.management(
            "POST",
            "/client-grants",
            json={"client_id": client["client_id"], "audience": self.connection["audience"], "scope": sorted(set(scopes))},
        )
        assert grant.status_code == 201, grant.text
        return client["client_id"], client["client_secret"]

    def token(self, client_id: str, client_secret: str, audience: str, organization: Optional[str] = None) -> httpx.Response:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret, "audience": audience}
        if organization:
            form["organization"] = organization
        return self.http.post("/oauth/token", data=form)

    # Introspection endpoints of the emulator (not part of Auth0).
    def requests(self) -> dict:
        return self.http.get("/__emulator/requests").raise_for_status().json()

    def reset_requests(self) -> None:
        self.http.post("/__emulator/requests/reset").raise_for_status()

    def set_faults(self, **settings: Any) -> None:
        self.http.put("/__emulator/faults", json=settings).raise_for_status()

    def state(self) -> dict:
        return self.http.get("/__emulator/state").raise_for_status().json()

    def management_writes(self) -> int:
        """Management API writes counted since the last reset (token requests are not writes)."""
        return sum(
            n for route, n in self.requests()["by_route"].items()
            if route.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE") and " /api/v2/" in route
        )


# The Management API scopes `auth0-m2m import` needs into a stack file without an estate (it only reads): the
# one table, auth0_m2m.model.scopes.
IMPORT_READ_SCOPES = tuple(required_scopes(Command.IMPORT, StackNeeds(False, False, False)))


def create_management_client(emulator: Emulator, name: str, scopes: tuple[str, ...]) -> tuple[str, str]:
    """A machine-to-machine client authorized for the tenant's Management API with exactly ``scopes``, made
    through the Management API as an operator would (a client plus a client grant on the Management API
    audience). Returns (client id, client secret). Integration tests use it to prove which scopes a command
    needs; the emulator enforces scopes per route."""
    client = emulator.management(
        "POST",
        "/clients",
        json={"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"],
              "token_endpoint_auth_method": "client_secret_post"},
    ).raise_for_status().json()
    emulator.management(
        "POST",
        "/client-grants",
        json={"client_id": client["client_id"], "audience": emulator.connection["audience"], "scope": list(scopes)},
    ).raise_for_status()
    return client["client_id"], client["client_secret"]


class PulumiProgram:
    """A Pulumi program in ``root`` run with the real Pulumi CLI (offline, its own file backend) against ``emulator``."""

    def __init__(self, root: Path, emulator: Emulator, stack: str, state_dir: Optional[Path] = None):
        """Programs given one ``state_dir`` share a backend (and can reference each other's stacks)."""
        self.root = root
        self.stack = stack
        self.emulator = emulator
        self.log: list[str] = []
        self.state_dir = state_dir or root / ".state" / "backend"
        self.env = isolated_pulumi_env(self.state_dir, "integration-tests", emulator.ca_cert)

    def run(self, *args: str, check: bool = True, input: Optional[str] = None, timeout: float = 900) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["pulumi", *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        # The test's own reads of secrets are not part of what Pulumi logs; keep them out of the record.
        shown = "[withheld: --show-secrets]" if "--show-secrets" in args else result.stdout
        self.log.append(f"$ pulumi {' '.join(args)}\n{shown}\n{result.stderr}")
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
        return result

    def up(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("up", "--yes", "--skip-preview", *extra, check=check)

    def preview(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("preview", *extra, check=check)

    def preview_steps(self, *extra: str) -> list[dict]:
        """The steps of a preview, from its JSON rendering (op, urn, type)."""
        result = self.run("preview", "--json", *extra)
        return json.loads(result.stdout).get("steps", [])

    def outputs(self, show_secrets: bool = False) -> dict:
        args = ["stack", "output", "--json"] + (["--show-secrets"] if show_secrets else [])
        return json.loads(self.run(*args).stdout)

    def access_check(self, *extra: str, check: bool = True, env: Optional[dict] = None) -> subprocess.CompletedProcess:
        return self.tool("access-check", "--stack", self.stack, *extra, check=check, env=env)

    def tool(self, *args: str, check: bool = True, env: Optional[dict] = None) -> subprocess.CompletedProcess:
        """`auth0-m2m ARGS` in this project, with its Pulumi environment (plus ``env``)."""
        result = subprocess.run(
            [str(REPO / ".venv" / "bin" / "auth0-m2m"), *args],
            cwd=self.root,
            env={**self.env, "COLUMNS": "200", **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.log.append(f"$ auth0-m2m {' '.join(args)}\n{result.stdout}\n{result.stderr}")
        if check and result.returncode != 0:
            raise AssertionError(f"auth0-m2m {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def cli(self, *args: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
        """`auth0-m2m <args> --stack <stack>` in this project, with this project's Pulumi environment."""
        result = subprocess.run(
            [str(REPO / ".venv" / "bin" / "auth0-m2m"), *args, "--stack", self.stack],
            cwd=self.root,
            env={**self.env, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.log.append(f"$ auth0-m2m {' '.join(args)}\n{result.stdout}\n{result.stderr}")
        if check and result.returncode != 0:
            raise AssertionError(f"auth0-m2m {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
        return result

    def export(self) -> dict:
        return json.loads(self.run("stack", "export").stdout)


class PulumiProject(PulumiProgram):
    """A copy of this project (or of ``source``, another program, e.g. one of examples/) in ``root``, connected to
    ``emulator`` with its management client (or ``credentials``: client id and secret of another one)."""

    def __init__(
        self,
        root: Path,
        emulator: Emulator,
        stack: str = "local",
        source: Optional[Path] = None,
        credentials: Optional[tuple[str, str]] = None,
        state_dir: Optional[Path] = None,
        stack_files: bool = False,
    ):
        """``source``: another program to copy instead of this project's, without its generated SDKs and
        node_modules, and without its stack files unless ``stack_files`` (a developer's local Pulumi.<stack>.yaml
        may name another tenant)."""
        if source is None:
            copy_project(root)
        else:
            ignored = ["sdks", "node_modules"] + ([] if stack_files else ["Pulumi.*.yaml"])
            shutil.copytree(source, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*ignored))
        super().__init__(root, emulator, stack, state_dir)
        self._forget_machine_settings()
        client_id, client_secret = credentials or (emulator.connection["client_id"], emulator.connection["client_secret"])
        self.run("stack", "init")
        self.run("config", "set", "auth0:domain", emulator.connection["domain"])
        self.run("config", "set", "auth0:clientId", client_id)
        self.run("config", "set", "--secret", "auth0:clientSecret", input=client_secret)

    def use_credential(self, client_id: str, client_secret: str) -> None:
        """Point the stack's provider settings (stack config) at another Management API client."""
        self.run("config", "set", "auth0:clientId", client_id)
        self.run("config", "set", "--secret", "auth0:clientSecret", input=client_secret)

    def use_credentials(self, client_id: str, client_secret: str) -> None:
        """Connect with another management client from now on, the way CI does: ``AUTH0_CLIENT_ID`` and
        ``AUTH0_CLIENT_SECRET`` in the environment and none in the stack config. (Credentials in the stack config
        are recorded in the state's provider at `up`, and `refresh` and `destroy` use those, whatever the config
        says by then.)"""
        for key in ("auth0:clientId", "auth0:clientSecret"):
            self.run("config", "rm", key, check=False)
        self.env["AUTH0_CLIENT_ID"] = client_id
        self.env["AUTH0_CLIENT_SECRET"] = client_secret

    def _forget_machine_settings(self) -> None:
        """Drop what scripts/main may have written into the checkout's stack file on this machine
        (connection settings, the passphrase's salt): this project gets its own."""
        if not self.stack_file.exists():
            return
        document = yaml.safe_load(self.stack_file.read_text())
        document.pop("encryptionsalt", None)
        config = document.get("config") or {}
        for key in [k for k in config if k.startswith("auth0:")]:
            del config[key]
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    @property
    def stack_file(self) -> Path:
        return self.root / "stacks" / f"Pulumi.{self.stack}.yaml"

    def edit_config(self, change: Callable[[dict], None]) -> None:
        """Change the estate in the stack file: ``change`` gets {"organizations": ..., "applications": ...}."""
        document = yaml.safe_load(self.stack_file.read_text())
        config = document["config"]
        estate = {key.split(":", 1)[1]: copy.deepcopy(value) for key, value in config.items() if key.startswith("auth0-m2m:")}
        change(estate)
        for key in [k for k in config if k.startswith("auth0-m2m:")]:
            del config[key]
        config.update({f"auth0-m2m:{key}": value for key, value in estate.items()})
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))


def consumer_project(root: Path, emulator: Emulator, example: str, stack: str = "dev") -> PulumiProject:
    """examples/<example> (a program in another language) copied to ``root``, with the component package added as a
    user adds it: `pulumi package add <checkout>/package` (plugin virtualenv, schema, SDK, package.json link)."""
    # The YAML host caches a package's schema beside the package's directory, newer than the plugin: a schema
    # left there by an older checkout would hide a changed model from these tests.
    for cached in REPO.glob("schema-auth0-m2m*.json"):
        cached.unlink()
    project = PulumiProject(root, emulator, stack=stack, source=REPO / "examples" / example)
    # The example names the package by its path relative to the checkout; the copy adds it from where it is.
    program = project.root / "Pulumi.yaml"
    program.write_text(program.read_text().replace("packages:\n  auth0-m2m: ../../package\n", ""))
    assert "packages:" not in program.read_text()
    added = subprocess.run(
        ["pulumi", "package", "add", str(REPO / "package")],
        cwd=project.root, env=project.env, capture_output=True, text=True, timeout=900,
    )
    project.log.append(f"$ pulumi package add\n{added.stdout}\n{added.stderr}")
    assert added.returncode == 0, added.stdout[-4000:] + added.stderr[-4000:]
    assert "Added package" in added.stdout + added.stderr
    return project


def application(estate: dict, name: str) -> dict:
    return next(app for app in estate["applications"] if app["name"] == name)


def grant(estate: dict, app: str, api: str) -> dict:
    return next(g for g in application(estate, app)["grants"] if g["api"] == api)


def kill_mid_way(project: "PulumiProject", emulator: Emulator, command: list[str], *, writes: int, latency_ms: int) -> int:
    """Run ``command`` in ``project`` and SIGKILL it with every process it started (the CLI and its plugins, as a
    crash or a killed CI job would) once the tenant has seen ``writes`` Management API writes. The tenant answers
    ``latency_ms`` late meanwhile, so that the kill lands between steps. Returns the writes seen when it died."""
    emulator.set_faults(latency_ms=latency_ms)
    emulator.reset_requests()
    process = subprocess.Popen(
        command, cwd=project.root, env=project.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while emulator.management_writes() < writes:
        assert process.poll() is None, "the command finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    family = [process.pid, *(child.pid for child in psutil.Process(process.pid).children(recursive=True))]
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()
    seen = emulator.management_writes()
    emulator.set_faults(latency_ms=0)
    return seen
