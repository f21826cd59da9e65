"""Which plugin serves the library (mocks play the plugin): always asked for by the project's version, and checked
through its build marker before anything is registered."""

from __future__ import annotations

import grpc
import pulumi
import pytest

from auth0_m2m import PROVIDER_VERSION, Estate, validate
from auth0_m2m.contract import PROVIDER_BUILD_FUNCTION
from auth0_m2m.resources.application import M2MApplication, M2MApplicationArgs
from auth0_m2m.resources.provider import ProviderError
from auth0_m2m.model.config import ApplicationConfig

from ..pulumi_harness import TenantMocks, run


class UnknownFunction(grpc.RpcError):
    """What the engine sends back when the plugin has no such function (the bridge's own words)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def code(self):
        return grpc.StatusCode.UNKNOWN

    def details(self):
        return f"unrecognized data function (Invoke): {self.token}"


class OfficialPlugin(TenantMocks):
    """A plugin without the build marker, answering it as the bridge does."""

    def call(self, args):
        if args.token == PROVIDER_BUILD_FUNCTION:
            raise UnknownFunction(args.token)
        return super().call(args)


def estate(workers: int) -> dict:
    return {
        "environment": "test",
        "organizations": {"acme": {"manage": True}, "globex": {"id": "org_globex"}},
        "apis": {"orders": {"identifier": "https://orders.api.example.com/"}},
        "applications": [
            {"name": f"worker-{i:02d}", "grants": [{"api": "orders", "organization_usage": "require",
                                                   "organizations": ["acme", "globex"] if i < 3 else ["acme"]}]}
            for i in range(workers)
        ],
    }


def test_every_auth0_resource_and_function_asks_for_the_project_plugin():
    config = estate(3)
    config["organizations"]["initech"] = {}  # looked up by name: a function call
    config["applications"][0]["grants"][0]["organizations"].append("initech")
    monitor = run(lambda: Estate("test", validate(config, "test")))
    auth0 = [r for r in monitor.registrations.values() if r.type.startswith("auth0:")]
    assert auth0 and {r.version for r in auth0} == {PROVIDER_VERSION}
    assert {version for _, version in monitor.call_versions} == {PROVIDER_VERSION}
    # The marker is asked once per program and provider, however many components there are.
    assert [token for token, _ in monitor.call_versions].count(PROVIDER_BUILD_FUNCTION) == 1


def test_an_estate_past_the_first_page_is_refused_before_anything_is_registered_by_another_plugin():
    tenant = OfficialPlugin()
    with pytest.raises(ProviderError) as refused:
        run(lambda: Estate("test", validate(estate(51), "stacks/Pulumi.test.yaml"), source="stacks/Pulumi.test.yaml"),
            tenant=tenant)
    message = str(refused.value)
    assert message.startswith("stacks/Pulumi.test.yaml: organization 'acme' has 51 authorized grants (more than 50)")
    assert "globex" not in message  # 3 links: within the first page
    assert f"not the auth0-m2m build {PROVIDER_VERSION}" in message and "Nothing was deployed" in message


def test_an_estate_within_the_first_page_deploys_with_another_plugin():
    monitor = run(lambda: Estate("test", validate(estate(50), "test")), tenant=OfficialPlugin())
    assert len(monitor.of_type("auth0:index/organizationClientGrant:OrganizationClientGrant")) == 53


def test_the_project_build_takes_any_number_of_links():
    monitor = run(lambda: Estate("test", validate(estate(80), "test")))
    assert len(monitor.of_type("auth0:index/organizationClientGrant:OrganizationClientGrant")) == 83


def test_applications_used_alone_count_their_links_together():
    def program():
        for i in range(51):
            M2MApplication(
                f"worker-{i:02d}",
                M2MApplicationArgs(
                    application=ApplicationConfig.model_validate(
                        {"name": f"worker-{i:02d}",
                         "grants": [{"api": "orders", "organization_usage": "require", "organizations": ["acme"]}]}
                    ),
                    audiences={"orders": "https://orders.api.example.com/"},
                    organization_ids={"acme": "org_acme"},
                ),
            )

    with pytest.raises(ProviderError, match="M2MApplication 'worker-50': organization 'acme' has 51 authorized grants"):
        run(program, tenant=OfficialPlugin())
    run(program)  # the project's build


def test_an_explicit_provider_is_asked_itself_once_for_its_estate_and_applications():
    def program():
        tenant = pulumi.ProviderResource("auth0", "tenant", {}, pulumi.ResourceOptions(version=PROVIDER_VERSION))
        Estate("test", validate(estate(3), "test"), opts=pulumi.ResourceOptions(provider=tenant))

    monitor = run(program)
    asked = [provider for token, provider in monitor.call_providers if token == PROVIDER_BUILD_FUNCTION]
    assert len(asked) == 1 and "pulumi:providers:auth0::tenant" in asked[0], asked


def test_each_provider_is_asked_separately():
    def program():
        tenant = pulumi.ProviderResource("auth0", "tenant", {}, pulumi.ResourceOptions(version=PROVIDER_VERSION))
        Estate("test", validate(estate(2), "test"), opts=pulumi.ResourceOptions(provider=tenant))
        Estate("other", validate({**estate(2), "environment": "other"}, "test"), name_scope="other")

    monitor = run(program)
    assert [token for token, _ in monitor.call_versions].count(PROVIDER_BUILD_FUNCTION) == 2


@pytest.mark.parametrize(
    "installed, project_plugins, ambient, ignore_ambient, missing",
    [
        (False, False, False, "true", True),   # an official install without the build: say so up front
        (True, False, False, "true", False),   # the build is installed
        (False, True, False, "true", False),   # Pulumi.yaml's plugins: the engine decides
        (False, False, True, "false", False),  # a plugin on PATH serves it (then the build marker decides)
        (False, False, True, "true", True),    # ... unless Pulumi ignores PATH
    ],
)
def test_a_missing_plugin_is_located_only_when_certain(
    tmp_path, monkeypatch, installed, project_plugins, ambient, ignore_ambient, missing
):
    from auth0_m2m.resources.provider import missing_plugin_location

    home, project, bindir = tmp_path / "home", tmp_path / "project", tmp_path / "bin"
    for directory in (home / "plugins", project, bindir):
        directory.mkdir(parents=True)
    if installed:
        (home / "plugins" / f"resource-auth0-v{PROVIDER_VERSION}").mkdir()
    (home / "plugins" / "resource-auth0-v3.41.0").mkdir()  # the official plugin never counts
    (project / "Pulumi.yaml").write_text(
        "name: p\nruntime: python\n" + ("plugins:\n  providers:\n    - name: auth0\n      path: ./bin\n" if project_plugins else "")
    )
    if ambient:
        (bindir / "pulumi-resource-auth0").write_text("#!/bin/sh\n")
        (bindir / "pulumi-resource-auth0").chmod(0o755)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("PULUMI_HOME", str(home))
    monkeypatch.setenv("PULUMI_IGNORE_AMBIENT_PLUGINS", ignore_ambient)
    monkeypatch.delenv("PULUMI_ENABLE_LEGACY_PLUGIN_SEARCH", raising=False)
    location = missing_plugin_location()
    assert (location is not None) == missing, location
    if missing:
        assert location.startswith(f"{home}/plugins/resource-auth0-v{PROVIDER_VERSION}/")
