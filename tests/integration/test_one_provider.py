"""One provider everywhere: whatever auth0 plugins a machine has, the library's resources are served by the
project's build (it reads an organization's links past the first page of 50), or the run stops before the first
change and says why.

The official plugin cannot be downloaded here. ``upstream_standin`` stands in for it: the same provider, bridge
and mapping built without the project's read fix and without its build marker, installed as auth0 3.41.0, the
version an official Pulumi install downloads for pulumi-auth0 3.41.0.
"""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from auth0_m2m import PROVIDER_VERSION

from .harness import PulumiProgram, PulumiProject, plugin_home

pytestmark = pytest.mark.integration

OFFICIAL = "3.41.0"
CROWDED = 60
MISSING_PLUGIN = f"no resource plugin 'pulumi-resource-auth0' found in the workspace at version v{PROVIDER_VERSION}"


def crowd(estate: dict, workers: int = CROWDED) -> None:
    """``workers`` applications, each authorized for acme: more links on one organization than a first page."""
    estate["organizations"] = {"acme": {"manage": True}}
    estate["apis"] = {"orders": {"identifier": "https://orders.api.example.com/", "manage": True}}
    estate["applications"] = [
        {"name": f"worker-{i:02d}", "grants": [{"api": "orders", "organization_usage": "require", "organizations": ["acme"]}]}
        for i in range(workers)
    ]


def management_writes(emulator) -> dict[str, int]:
    """Management API requests that change the tenant (a token request, e.g. for `up`'s scope check, does not)."""
    return {route: n for route, n in emulator.requests()["by_route"].items()
            if route.split()[1].startswith("/api/v2/") and not route.startswith("GET ")}


def tenant_is_untouched(emulator) -> None:
    assert management_writes(emulator) == {}
    management = emulator.connection["client_id"]
    assert [c for c in emulator.state()["clients"] if c["client_id"] != management] == []


def official_plugin_on_path(project: PulumiProject, standin, bindir) -> None:
    """The stand-in as `pulumi-resource-auth0` on PATH, with Pulumi's ambient lookup on (its default): the engine
    then uses it whatever version the program asks for."""
    bindir.mkdir()
    shutil.copy(standin, bindir / "pulumi-resource-auth0")
    project.env["PATH"] = f"{bindir}:{project.env['PATH']}"
    project.env["PULUMI_IGNORE_AMBIENT_PLUGINS"] = "false"


def provider_urns(project: PulumiProject) -> set[str]:
    deployment = json.loads(project.run("stack", "export").stdout)["deployment"]
    return {r["urn"] for r in deployment["resources"] if r["type"] == "pulumi:providers:auth0"}


def test_the_library_is_served_by_the_project_build(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)
    project.up()
    version = PROVIDER_VERSION.replace(".", "_").replace("-", "_")
    assert provider_urns(project) == {f"urn:pulumi:local::auth0-m2m::pulumi:providers:auth0::default_{version}"}


@pytest.mark.parametrize("workers", [2, CROWDED])
def test_a_machine_with_only_the_official_plugin_stops_before_the_first_change(
    tmp_path, emulator, upstream_standin, workers
):
    """An official Pulumi install without the build: the program names what is missing (and, past 50 links, the
    organization and its count) before the engine would fail on the missing plugin; no traceback."""
    project = PulumiProject(tmp_path / "project", emulator)
    project.edit_config(lambda estate: crowd(estate, workers))
    home = plugin_home(tmp_path / "home", project.env, {OFFICIAL: upstream_standin})
    project.env["PULUMI_HOME"] = str(home)
    emulator.reset_requests()
    for command in (("preview",), ("up", "--yes", "--skip-preview")):
        result = project.run(*command, check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert (
            f"the auth0 provider plugin {PROVIDER_VERSION} (the auth0-m2m build, which reads every link) is not "
            f"installed where Pulumi looks: {home}/plugins/resource-auth0-v{PROVIDER_VERSION}/"
        ) in output, output
        crowded = f"organization 'acme' has {CROWDED} authorized grants (more than 50"
        assert (crowded in output) == (workers == CROWDED), output
        assert "Nothing was deployed" in output and "scripts/bootstrap --provider-only" in output
        assert "Traceback" not in output and "KeyboardInterrupt" not in output
    tenant_is_untouched(emulator)


def test_without_the_build_the_engine_still_refuses_the_version(tmp_path, emulator, upstream_standin):
    """A program that asks for the version without the library's check (a plain pulumi_auth0 resource at
    auth0_m2m.PROVIDER_VERSION): the engine itself finds no plugin for it; an official one is never picked."""
    project = PulumiProject(tmp_path / "project", emulator)
    (project.root / "__main__.py").write_text(textwrap.dedent("""\
        import pulumi
        import pulumi_auth0 as auth0
        from auth0_m2m import PROVIDER_VERSION

        auth0.Organization("acme", name="acme", opts=pulumi.ResourceOptions(version=PROVIDER_VERSION))
    """))
    project.env["PULUMI_HOME"] = str(plugin_home(tmp_path / "home", project.env, {OFFICIAL: upstream_standin}))
    emulator.reset_requests()
    result = project.run("up", "--yes", "--skip-preview", check=False)
    assert result.returncode != 0, result.stdout
    assert MISSING_PLUGIN in result.stdout, result.stdout
    tenant_is_untouched(emulator)


def test_an_official_plugin_on_path_is_refused_for_an_organization_past_its_first_page(
    tmp_path, emulator, upstream_standin
):
    project = PulumiProject(tmp_path / "project", emulator)
    project.edit_config(crowd)
    official_plugin_on_path(project, upstream_standin, tmp_path / "bin")
    emulator.reset_requests()
    for command in (("preview",), ("up", "--yes", "--skip-preview")):
        result = project.run(*command, check=False)
        assert result.returncode != 0, result.stdout
        assert f"organization 'acme' has {CROWDED} authorized grants (more than 50)" in result.stdout, result.stdout
        assert f"not the auth0-m2m build {PROVIDER_VERSION}" in result.stdout
        assert "Nothing was deployed" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr
    tenant_is_untouched(emulator)


def test_an_official_plugin_on_path_deploys_a_small_estate_with_a_warning(tmp_path, emulator, upstream_standin):
    project = PulumiProject(tmp_path / "project", emulator)
    official_plugin_on_path(project, upstream_standin, tmp_path / "bin")
    result = project.up()
    assert "is not the auth0-m2m build" in result.stdout and "at most 50" in result.stdout, result.stdout
    project.access_check()


CONSUMER = """\
    import pulumi
    import pulumi_auth0 as auth0

    from auth0_m2m import PROVIDER_VERSION, ApplicationConfig, M2MApplication, M2MApplicationArgs

    config = pulumi.Config("tenant")
    # Another team's program with its own provider. Without `version`, it is pulumi-auth0's own (3.41.0).
    pinned = config.get_bool("pinned") or False
    tenant = auth0.Provider(
        "tenant",
        domain=config.require("domain"),
        client_id=config.require("clientId"),
        client_secret=config.require_secret("clientSecret"),
        opts=pulumi.ResourceOptions(version=PROVIDER_VERSION) if pinned else None,
    )
    acme = auth0.Organization("acme", name="acme", opts=pulumi.ResourceOptions(provider=tenant))
    orders = auth0.ResourceServer(
        "orders", identifier="https://orders.api.example.com/", opts=pulumi.ResourceOptions(provider=tenant)
    )
    for i in range(config.require_int("workers")):
        M2MApplication(
            f"worker-{i:02d}",
            M2MApplicationArgs(
                application=ApplicationConfig.model_validate({
                    "name": f"worker-{i:02d}",
                    "grants": [{"api": "orders", "organization_usage": "require", "organizations": ["acme"]}],
                }),
                audiences={"orders": "https://orders.api.example.com/"},
                organization_ids={"acme": acme.id},
                api_dependencies={"orders": [orders]},
            ),
            opts=pulumi.ResourceOptions(provider=tenant),
        )
"""


def test_another_teams_program_with_an_official_provider_stops_before_the_first_change(
    tmp_path, emulator, upstream_standin, project_plugin
):
    """An explicit `auth0.Provider` at pulumi-auth0's own version gets the official plugin: the library notices."""
    root = tmp_path / "consumer"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: consumer\nruntime:\n  name: python\n  options:\n    toolchain: pip\n")
    (root / "__main__.py").write_text(textwrap.dedent(CONSUMER))
    project = PulumiProgram(root, emulator, "dev")
    project.env["PULUMI_HOME"] = str(
        plugin_home(tmp_path / "home", project.env, {OFFICIAL: upstream_standin, PROVIDER_VERSION: project_plugin})
    )
    project.run("stack", "init")
    project.run("config", "set", "tenant:domain", emulator.connection["domain"])
    project.run("config", "set", "tenant:clientId", emulator.connection["client_id"])
    project.run("config", "set", "--secret", "tenant:clientSecret", input=emulator.connection["client_secret"])
    project.run("config", "set", "tenant:workers", str(CROWDED))
    emulator.reset_requests()
    # `pulumi up` previews first: the program stops there, before the first change.
    result = project.run("up", "--yes", check=False)
    assert result.returncode != 0, result.stdout
    assert "M2MApplication 'worker-50': organization 'acme' has 51 authorized grants (more than 50)" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    tenant_is_untouched(emulator)

    # The same program with its provider at the library's version is served by the project's build.
    project.run("config", "set", "tenant:pinned", "true")
    project.run("config", "set", "tenant:workers", "2")
    result = project.up()
    assert "not the auth0-m2m build" not in result.stdout


MAIN_BEFORE = """\
# The library as it was before it asked for its own plugin version: pulumi-auth0's own, 3.41.0.
import auth0_m2m.resources.provider as provider

provider.PROVIDER_VERSION = "3.41.0"
exec(compile(open("__main__.py.real").read(), "__main__.py", "exec"))
"""


def test_a_stack_deployed_before_moves_to_the_project_build_without_replacing_anything(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)
    program = project.root / "__main__.py"
    shutil.move(program, project.root / "__main__.py.real")
    program.write_text(MAIN_BEFORE)
    project.up()
    assert provider_urns(project) == {"urn:pulumi:local::auth0-m2m::pulumi:providers:auth0::default_3_41_0"}
    clients = {c["client_id"] for c in emulator.state()["clients"]}

    shutil.move(project.root / "__main__.py.real", program)
    steps = project.preview_steps()
    auth0_steps = {(s["op"], s["urn"].rsplit("::", 1)[1]) for s in steps if "auth0:index/" in s["urn"]}
    assert {op for op, _ in auth0_steps} <= {"same"}, sorted(auth0_steps)
    emulator.reset_requests()
    project.up()
    assert management_writes(emulator) == {}
    assert {c["client_id"] for c in emulator.state()["clients"]} == clients
    version = PROVIDER_VERSION.replace(".", "_").replace("-", "_")
    assert provider_urns(project) == {f"urn:pulumi:local::auth0-m2m::pulumi:providers:auth0::default_{version}"}
    project.preview("--expect-no-changes")
    project.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    project.access_check()

