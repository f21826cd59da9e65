"""The offline Pulumi toolchain: scripts/bootstrap, scripts/pulumi-env.sh and the pins in scripts/toolchain.lock.

The session fixture runs scripts/bootstrap itself. It is a no-op taking about a second when the toolchain is
already built (the normal case: scripts/test and CI run it first); on a cold cache it builds everything, which
takes several minutes on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "scripts" / "bootstrap"
ENV_SCRIPT = REPO / "scripts" / "pulumi-env.sh"

PULUMI_VARS = (
    "PULUMI_HOME",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_SKIP_UPDATE_CHECK",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
    "PULUMI_IGNORE_AMBIENT_PLUGINS",
    "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK",
)


def read_lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "scripts" / "toolchain.lock").read_text().splitlines():
        m = re.match(r"^([A-Z0-9_]+)=(.*)$", line)
        if m:
            pins[m.group(1)] = m.group(2).strip().strip('"')
    return pins


LOCK = read_lock()


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v.lstrip("v"))[:3])


def sourced_env(base: dict[str, str]) -> dict[str, str]:
    """The environment after `source scripts/pulumi-env.sh`, starting from `base`."""
    dump = subprocess.run(
        ["bash", "-c", f"source '{ENV_SCRIPT}' >/dev/null && env -0"],
        env=base,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return dict(item.split("=", 1) for item in dump.split("\0") if "=" in item)


def run(cmd: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="session")
def bootstrap() -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BOOTSTRAP)], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        pytest.fail(f"scripts/bootstrap exited {proc.returncode}:\n{proc.stderr[-6000:]}", pytrace=False)
    return proc


@pytest.fixture(scope="session")
def toolchain_env(bootstrap) -> dict[str, str]:
    return sourced_env(dict(os.environ))


@pytest.fixture(scope="session")
def pulumi(toolchain_env) -> Path:
    found = shutil.which("pulumi", path=toolchain_env["PATH"])
    assert found, "no pulumi on PATH after scripts/bootstrap + scripts/pulumi-env.sh"
    return Path(found)


def built_here(pulumi: Path, env: dict[str, str]) -> bool:
    return pulumi.parent == Path(env["AUTH0_M2M_CACHE"]) / "bin"


def test_pulumi_version_is_the_pinned_one(pulumi, toolchain_env, bootstrap):
    out = run([str(pulumi), "version"], toolchain_env).stdout.strip()
    if built_here(pulumi, toolchain_env):
        assert out == f"v{LOCK['PULUMI_VERSION']}"
    else:  # an installed pulumi that scripts/bootstrap accepted instead of building one
        assert version_tuple(out) >= version_tuple(LOCK["PULUMI_AMBIENT_MIN"]), out
    assert f"pulumi version: {out}" in bootstrap.stdout


def plugin_binary(home: str | Path, version: str) -> Path:
    return Path(home) / "plugins" / f"resource-auth0-v{version}" / "pulumi-resource-auth0"


def project_build(env: dict[str, str]) -> Path:
    return Path(env["AUTH0_M2M_CACHE"]) / "build" / f"auth0-{LOCK['AUTH0_M2M_PROVIDER_VERSION']}" / "pulumi-resource-auth0"


def test_auth0_plugin_is_the_project_build_at_both_versions(pulumi, toolchain_env):
    """The version the library requests, and the one the pulumi-auth0 SDK declares, hold the same binary."""
    plugins = json.loads(run([str(pulumi), "plugin", "ls", "--json"], toolchain_env).stdout)
    versions = {p["version"] for p in plugins if p["name"] == "auth0" and p["kind"] == "resource"}
    assert {LOCK["AUTH0_M2M_PROVIDER_VERSION"], LOCK["PULUMI_AUTH0_VERSION"]} <= versions, plugins
    built = project_build(toolchain_env).read_bytes()
    for version in (LOCK["AUTH0_M2M_PROVIDER_VERSION"], LOCK["PULUMI_AUTH0_VERSION"]):
        binary = plugin_binary(toolchain_env["PULUMI_HOME"], version)
        assert binary.read_bytes() == built, binary
    assert run([str(project_build(toolchain_env)), "-version"], toolchain_env).stdout.strip() == (
        LOCK["AUTH0_M2M_PROVIDER_VERSION"]
    )


def test_the_library_requests_the_version_the_bootstrap_builds():
    from auth0_m2m import contract

    assert contract.PROVIDER_VERSION == LOCK["AUTH0_M2M_PROVIDER_VERSION"]
    # A prerelease (the engine then accepts only an exact match; build metadata would match the official
    # release) of the patch after the SDK's version (so it sorts above what the SDK declares).
    major, minor, patch = (int(x) for x in LOCK["PULUMI_AUTH0_VERSION"].split("."))
    assert re.fullmatch(rf"{major}\.{minor}\.{patch + 1}-auth0m2m\.\d+", contract.PROVIDER_VERSION)


def test_bootstrap_replaces_a_plugin_it_did_not_build(bootstrap, toolchain_env, tmp_path):
    """A plugin that merely has the right version (an official download, an older build) is never used."""
    home = tmp_path / "home"
    foreign = tmp_path / "pulumi-resource-auth0"
    foreign.write_text("#!/bin/sh\necho official\n")
    foreign.chmod(0o755)
    env = {**toolchain_env, "PULUMI_HOME": str(home)}
    home.mkdir()
    run(["pulumi", "plugin", "install", "resource", "auth0", LOCK["PULUMI_AUTH0_VERSION"], "--file", str(foreign)], env)
    proc = run([str(BOOTSTRAP)], env, timeout=600)
    assert "holds another build" in proc.stderr, proc.stderr
    built = project_build(toolchain_env).read_bytes()
    for version in (LOCK["AUTH0_M2M_PROVIDER_VERSION"], LOCK["PULUMI_AUTH0_VERSION"]):
        assert plugin_binary(home, version).read_bytes() == built, version


def test_language_host_and_exec_script_sit_beside_pulumi(pulumi, toolchain_env):
    bindir = pulumi.resolve().parent
    host = bindir / "pulumi-language-python"
    script = bindir / "pulumi-language-python-exec"
    assert host.is_file() and os.access(host, os.X_OK), host
    assert script.is_file() and os.access(script, os.X_OK), script
    assert script.read_text().startswith("#!/usr/bin/env python")
    if built_here(pulumi, toolchain_env):
        assert run([str(host), "-version"], toolchain_env).stdout.strip() == LOCK["PULUMI_VERSION"]


def test_the_program_runs_the_sdk_of_the_plugin():
    """The Python SDK asks the engine for the plugin of its own version: the .venv (scripts/setup-python) has
    exactly the lock's, and the library's stated range admits it."""
    import tomllib
    from importlib.metadata import version

    from packaging.requirements import Requirement

    pinned = LOCK["PULUMI_AUTH0_VERSION"]
    assert version("pulumi-auth0") == pinned
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    stated = next(Requirement(d) for d in dependencies if Requirement(d).name == "pulumi-auth0")
    assert stated.specifier.contains(pinned), stated
    assert "==" not in str(stated.specifier), "the library states a range; the exact pin is the toolchain's"


def test_second_bootstrap_builds_nothing(bootstrap):
    # What it did is asserted, not how long it took (durations belong to benchmarks and the README).
    proc = subprocess.run([str(BOOTSTRAP)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "building" not in proc.stderr, proc.stderr
    assert "up to date" in proc.stderr, proc.stderr


def clean_base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PULUMI_VARS and k != "AUTH0_M2M_CACHE"}
    env["HOME"] = str(home)
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return env


def test_env_defaults(tmp_path):
    env = sourced_env(clean_base_env(tmp_path))
    cache = tmp_path / ".cache" / "auth0-m2m"
    assert env["AUTH0_M2M_CACHE"] == str(cache)
    assert env["PATH"].split(":")[0] == str(cache / "bin")
    assert env["PULUMI_HOME"] == str(cache / "pulumi-home")
    assert Path(env["PULUMI_HOME"]).is_dir()
    for name in (
        "PULUMI_SKIP_UPDATE_CHECK",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
        "PULUMI_IGNORE_AMBIENT_PLUGINS",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK",
    ):
        assert env[name] == "true", name
    assert env["PULUMI_BACKEND_URL"] == f"file://{REPO}/.state/backend"
    assert (REPO / ".state" / "backend").is_dir()
    assert "PULUMI_CONFIG_PASSPHRASE" not in env
    passfile = Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert passfile.parent == cache
    assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
    passphrase = passfile.read_text()
    assert len(passphrase) >= 32

    # Sourcing again (a new shell, or twice in one) keeps the passphrase and does not grow PATH.
    again = sourced_env(env)
    assert again["PATH"] == env["PATH"]
    assert Path(again["PULUMI_CONFIG_PASSPHRASE_FILE"]).read_text() == passphrase


def test_env_keeps_what_the_caller_set(tmp_path):
    base = clean_base_env(tmp_path)
    base.update(
        AUTH0_M2M_CACHE=str(tmp_path / "cache"),
        PULUMI_HOME=str(tmp_path / "home"),
        PULUMI_BACKEND_URL=f"file://{tmp_path}/state",
        PULUMI_CONFIG_PASSPHRASE="",
        PULUMI_SKIP_UPDATE_CHECK="false",
        PULUMI_IGNORE_AMBIENT_PLUGINS="false",
    )
    env = sourced_env(base)
    for key in ("PULUMI_HOME", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_SKIP_UPDATE_CHECK",
                "PULUMI_IGNORE_AMBIENT_PLUGINS"):
        assert env[key] == base[key], key
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in env
    assert env["PATH"].split(":")[0] == str(tmp_path / "cache" / "bin")
    assert (tmp_path / "state").is_dir()


def tiny_project(directory: Path, program: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(
        "name: toolchain-check\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
    )
    (directory / "__main__.py").write_text(textwrap.dedent(program))
    return directory


def project_env(toolchain_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    env = dict(toolchain_env)
    (tmp_path / "state").mkdir(exist_ok=True)
    env["PULUMI_BACKEND_URL"] = f"file://{tmp_path}/state"
    env["PULUMI_CONFIG_PASSPHRASE"] = "toolchain-test"
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    # The language host runs the Python that runs these tests (it has the project's dependencies).
    env["PULUMI_PYTHON_CMD"] = sys.executable
    return env


def test_language_host_runs_a_program_with_config_and_secrets(pulumi, toolchain_env, tmp_path):
    project = tiny_project(
        tmp_path / "project",
        """
        import pulumi
        config = pulumi.Config()
        pulumi.export("greeting", "hello " + config.require("name"))
        pulumi.export("token", config.require_secret("token"))
        """,
    )
    env = project_env(toolchain_env, tmp_path)
    run([str(pulumi), "stack", "init", "dev"], env, cwd=project)
    run([str(pulumi), "config", "set", "name", "world"], env, cwd=project)
    run([str(pulumi), "config", "set", "--secret", "token", "s3cr3t"], env, cwd=project)
    run([str(pulumi), "up", "--yes", "--non-interactive", "--skip-preview"], env, cwd=project, timeout=300)
    outputs = json.loads(
        run([str(pulumi), "stack", "output", "--json", "--show-secrets"], env, cwd=project).stdout
    )
    assert outputs == {"greeting": "hello world", "token": "s3cr3t"}



def test_configuration_larger_than_one_environment_string_reaches_the_program(pulumi, toolchain_env, tmp_path):
    """Linux refuses any single environment string over 128 KiB, and the SDK reads configuration from one
    (PULUMI_CONFIG): a stack of about 450 applications is that large. The host hands it over through a pipe."""
    project = tiny_project(
        tmp_path / "project",
        """
        import pulumi
        config = pulumi.Config()
        pulumi.export("size", len(config.require_object("estate")))
        pulumi.export("token", config.require_secret("token"))
        """,
    )
    env = project_env(toolchain_env, tmp_path)
    run([str(pulumi), "stack", "init", "dev"], env, cwd=project)
    run([str(pulumi), "config", "set", "--secret", "token", "s3cr3t"], env, cwd=project)
    stack_file = project / "Pulumi.dev.yaml"
    estate = [{"name": f"app-{n:05d}", "grants": ["orders", "billing", "reporting"]} for n in range(3000)]
    stack_file.write_text(stack_file.read_text() + "  toolchain-check:estate: " + json.dumps(estate) + "\n")
    assert len(json.dumps(estate)) > 128 * 1024
    run([str(pulumi), "up", "--yes", "--non-interactive", "--skip-preview"], env, cwd=project, timeout=300)
    outputs = json.loads(
        run([str(pulumi), "stack", "output", "--json", "--show-secrets"], env, cwd=project).stdout
    )
    assert outputs == {"size": 3000, "token": "s3cr3t"}

def test_preview_of_an_auth0_client_reaches_the_provider(pulumi, toolchain_env, tmp_path):
    """Preview makes no HTTP calls, so an unreachable tenant still previews (the same as the official build)."""
    project = tiny_project(
        tmp_path / "project",
        """
        import pulumi
        import pulumi_auth0 as auth0
        app = auth0.Client("m2m", app_type="non_interactive", grant_types=["client_credentials"])
        pulumi.export("name", app.name)
        """,
    )
    env = project_env(toolchain_env, tmp_path)
    env.update(AUTH0_DOMAIN="localhost:1", AUTH0_API_TOKEN="x")
    run([str(pulumi), "stack", "init", "dev"], env, cwd=project)
    out = run([str(pulumi), "preview", "--non-interactive", "--diff"], env, cwd=project, timeout=300).stdout
    assert "auth0:index/client:Client: (create)" in out, out
    assert f"default_{LOCK['PULUMI_AUTH0_VERSION'].replace('.', '_')}" in out, out
    # The mapping's defaults: auto-naming; the description pulumi-auth0's Python SDK sets when none is given (the
    # plugin itself keeps an explicitly empty one: see scripts/toolchain/auth0-provider, differences).
    assert re.search(r'name\s+: "m2m-[0-9a-f]{7}"', out), out
    assert 'description: "Managed by Pulumi"' in out, out


def test_yaml_language_host_runs_a_program_with_config_and_secrets(pulumi, toolchain_env, tmp_path):
    """The YAML host beside pulumi (built at the pinned pulumi-yaml version, or an installation's own)."""
    bindir = pulumi.resolve().parent
    assert (bindir / "pulumi-language-yaml").is_file(), bindir
    project = tmp_path / "yaml-project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        textwrap.dedent(
            """\
            name: yaml-toolchain-test
            runtime: yaml
            config:
              name: {type: string}
              token: {type: string, secret: true}
            outputs:
              greeting: hello ${name}
              token: ${token}
            """
        )
    )
    env = project_env(toolchain_env, tmp_path)
    run([str(pulumi), "stack", "init", "dev"], env, cwd=project)
    run([str(pulumi), "config", "set", "name", "world"], env, cwd=project)
    run([str(pulumi), "config", "set", "--secret", "token", "s3cr3t"], env, cwd=project)
    run([str(pulumi), "up", "--yes", "--non-interactive", "--skip-preview"], env, cwd=project, timeout=300)
    shown = json.loads(run([str(pulumi), "stack", "output", "--json"], env, cwd=project).stdout)
    assert shown == {"greeting": "hello world", "token": "[secret]"}


def test_nodejs_language_host_sits_beside_pulumi(pulumi, toolchain_env):
    """The project's Node.js host (scripts/toolchain/nodehost), or an installation's own; examples/typescript runs
    on it in tests/integration/test_typescript_consumer.py."""
    host = pulumi.resolve().parent / "pulumi-language-nodejs"
    assert host.is_file() and os.access(host, os.X_OK), host
    if built_here(pulumi, toolchain_env):
        assert run([str(host), "-version"], toolchain_env).stdout.strip() == LOCK["PULUMI_VERSION"]

def test_pulumi_about_names_the_programs_python(pulumi, toolchain_env, tmp_path):
    """`About`, which the CLI asks before every preview and update, reports the interpreter that runs the program."""
    project = tiny_project(tmp_path / "project", "import pulumi\n")
    env = project_env(toolchain_env, tmp_path)
    run([str(pulumi), "stack", "init", "dev"], env, cwd=project)
    runtime = json.loads(run([str(pulumi), "about", "--json"], env, cwd=project).stdout)["runtime"]
    assert runtime["language"] == "python"
    reported = run([runtime["executable"], "--version"], env).stdout.split()[-1]
    assert runtime["version"] == reported


def test_provider_only_installs_the_build_next_to_an_installed_pulumi(bootstrap, toolchain_env, tmp_path):
    """What the workflows (and a laptop with an official Pulumi) run: only the plugin, with the pulumi on PATH,
    into that Pulumi's plugin directory."""
    home = tmp_path / "dot-pulumi"
    env = {**toolchain_env, "PULUMI_HOME": str(home)}
    proc = run([str(BOOTSTRAP), "--provider-only"], env, timeout=900)
    assert "building" not in proc.stderr and "python language host" not in proc.stderr, proc.stderr
    built = project_build(toolchain_env).read_bytes()
    for version in (LOCK["AUTH0_M2M_PROVIDER_VERSION"], LOCK["PULUMI_AUTH0_VERSION"]):
        assert plugin_binary(home, version).read_bytes() == built, version


def test_provider_only_needs_a_pulumi(tmp_path):
    env = clean_base_env(tmp_path)
    env["AUTH0_M2M_CACHE"] = str(tmp_path / "cache")
    proc = subprocess.run([str(BOOTSTRAP), "--provider-only"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "--provider-only installs the plugin with the pulumi on PATH, and there is none" in proc.stderr


def test_a_client_grant_without_scopes_previews_as_a_grant_of_no_scopes(pulumi, toolchain_env, tmp_path):
    """The mapping's check hook (scripts/toolchain/auth0-provider/provider/grants.go): a grant with neither `scopes`
    nor `allow_all_scopes` means `scopes: []`, as Auth0 answers it. Upstream refused it, and the inputs the bridge
    derives when it imports a grant of no scopes are exactly that: such a grant could not be adopted. A grant that
    asks for all scopes keeps upstream's rule (no scopes beside it)."""
    project = tiny_project(
        tmp_path / "project",
        """
        import pulumi_auth0 as auth0
        auth0.ClientGrant("none", client_id="c" * 32, audience="https://orders.example.com/")
        auth0.ClientGrant("empty", client_id="d" * 32, audience="https://orders.example.com/", scopes=[])
        auth0.ClientGrant("all", client_id="e" * 32, audience="https://orders.example.com/", allow_all_scopes=True)
        """,
    )
    env = project_env(toolchain_env, tmp_path)
    env.update(AUTH0_DOMAIN="localhost:1", AUTH0_API_TOKEN="x")
    run([str(pulumi), "stack", "init", "dev"], env, cwd=project)
    steps = json.loads(
        run([str(pulumi), "preview", "--non-interactive", "--json"], env, cwd=project, timeout=300).stdout
    )["steps"]
    inputs = {s["urn"].rsplit("::", 1)[-1]: s["newState"]["inputs"] for s in steps if s["urn"].endswith(("none", "empty", "all"))}
    assert inputs["none"]["scopes"] == [] and inputs["empty"]["scopes"] == [], inputs
    assert "scopes" not in inputs["all"] and inputs["all"]["allowAllScopes"] is True, inputs
