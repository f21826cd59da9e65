"""`auth0-m2m import` adopts a tenant seeded directly through the Management API, with a read-only credential.

The tests in this module run in order against one tenant: errors that write nothing, a dry run, the import, the
guarantees after it (no change on preview, no write on up, every token as the stack file predicts), a second
import that changes nothing, an edit applied in place, and an import of what the stack file cannot express.
"""

from __future__ import annotations

import difflib
import json
import re

import pytest
import yaml

from auth0_m2m import load_stack_file
from auth0_m2m.model.loading import parse_stack_text
from auth0_m2m.tools.importing import estate_values
from auth0_m2m.tools.schemas import envelope_model

from .harness import IMPORT_READ_SCOPES, Emulator, PulumiProject, create_management_client
from .tenant_seed import BILLING, SeededTenant, seed_existing_tenant

pytestmark = pytest.mark.integration

STACK = "adopt"
HEADER = "# Adopted from the existing tenant; provider settings below belong to the stack.\n"


@pytest.fixture(scope="module")
def emulator(module_emulator) -> Emulator:
    return module_emulator


@pytest.fixture(scope="module")
def tenant(emulator) -> SeededTenant:
    return seed_existing_tenant(emulator)


@pytest.fixture(scope="module")
def reader(emulator, tenant) -> tuple[str, str]:
    return create_management_client(emulator, "Import Reader", IMPORT_READ_SCOPES)


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator, tenant, reader) -> PulumiProject:
    project = PulumiProject(tmp_path_factory.mktemp("adopt"), emulator, stack=STACK)
    project.use_credential(*reader)
    project.reader = reader
    project.stack_file.write_text(HEADER + project.stack_file.read_text())
    return project


def state_resources(project: PulumiProject) -> list[dict]:
    return project.export()["deployment"].get("resources") or []


def test_the_plugin_in_read_only_mode_refuses_every_write(tmp_path, emulator):
    """What makes an adopting update unable to write: `up` of the local stack with AUTH0_M2M_READ_ONLY fails at the
    first create, before any request reaches the tenant."""
    project = PulumiProject(tmp_path / "local", emulator)
    emulator.reset_requests()
    project.env["AUTH0_M2M_READ_ONLY"] = "1"
    result = project.up(check=False)
    assert result.returncode != 0
    assert "refusing to create" in result.stdout + result.stderr
    assert emulator.management_writes() == 0


def test_errors_are_one_line_and_write_nothing(project, emulator):
    before = project.stack_file.read_bytes()

    nothing = project.cli("import", "--select", "No such application*", check=False)
    assert nothing.returncode == 1
    assert len(nothing.stderr.strip().splitlines()) == 1, nothing.stderr
    assert "no M2M application matches 'No such application*'" in nothing.stderr

    project.use_credential(*create_management_client(emulator, "Half Reader", ("read:clients",)))
    missing = project.cli("import", check=False)
    assert missing.returncode == 1  # checked before anything is read: the scopes it lacks, each named
    assert len(missing.stderr.strip().splitlines()) == 1, missing.stderr
    assert "lacks 4 scopes that `import` needs for this stack: read:client_grants (" in missing.stderr

    project.run("config", "set", "--secret", "auth0:clientSecret", input="not-the-secret")
    wrong = project.cli("import", check=False)
    assert wrong.returncode == 3
    assert len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr
    assert "the tenant refused a Management API token for the client" in wrong.stderr and "401" in wrong.stderr

    # Nothing was written (the test itself re-encrypted the secret above: compare everything else).
    project.use_credential(*project.reader)
    assert without_secret(project.stack_file.read_text()) == without_secret(before.decode())
    assert estate_values(project.stack_file.read_text(), "x", "auth0-m2m")[0] == {}
    assert not state_resources(project)


def without_secret(text: str) -> str:
    return re.sub(r"secure: \S+", "secure: ...", text)


def test_dry_run_prints_the_diff_and_the_resources_and_writes_nothing(project, emulator, tenant):
    before = project.stack_file.read_bytes()
    emulator.reset_requests()
    result = project.cli("import", "--dry-run")
    assert "Dry run: nothing was written." in result.stdout
    assert "+  auth0-m2m:applications:" in result.stdout
    assert re.search(r"Client service-00 = \w{32}", result.stdout)
    assert re.search(r"OrganizationClientGrant service-00/https://billing.example.com//bigco = org_\w+::cgr_\w+", result.stdout)
    assert project.stack_file.read_bytes() == before
    assert not state_resources(project)
    assert emulator.management_writes() == 0

    document = json.loads(project.cli("import", "--dry-run", "--json").stdout)
    envelope_model("import").model_validate(document)
    result = document["result"]
    assert document["ok"] and result["dry_run"] and not result["written"] and result["diff"].startswith("--- a/")
    assert {app["auth0_name"] for app in result["imported"]} >= {"Service 00", "Data Export"}
    assert any(o["type"] == "auth0:index/organizationClientGrant:OrganizationClientGrant" for o in result["objects"])
    assert {s["auth0_name"] for s in result["skipped"]} == {app.name for app in tenant.skipped()}
    assert project.stack_file.read_bytes() == before


def test_import_adopts_every_supported_application_with_read_scopes_only(project, emulator, tenant):
    emulator.reset_requests()
    result = project.cli("import")
    assert emulator.management_writes() == 0, emulator.requests()["by_route"]

    text = project.stack_file.read_text()
    assert text.startswith(HEADER)  # comments and provider settings are kept
    document = yaml.safe_load(text)
    assert document["config"]["auth0:clientId"] == project.reader[0]
    assert "secure" in document["config"]["auth0:clientSecret"] and "encryptionsalt" in document

    config = load_stack_file(project.stack_file)
    names = sorted(app.auth0_name for app in config.applications)
    # The emulator's own management client and the test's scope-less reader are M2M applications too.
    expected = sorted([app.name for app in tenant.importable()] + ["Auth0 Emulator Management Client", "Half Reader"])
    assert names == expected
    # Organizations by id, APIs unmanaged; the duplicate Auth0 name is told apart by pinned client ids.
    assert all(org.id and not org.manage for org in config.organizations.values())
    assert all(not api.manage for api in config.apis.values())
    twins = [app for app in config.applications if app.auth0_name == "Data Export"]
    assert {app.name for app in twins} == {"data-export", "data-export-2"} and all(app.client_id for app in twins)
    bigco = sum("bigco" in grant.organizations for app in config.applications for grant in app.grants)
    assert bigco > 60

    for app in tenant.skipped():
        assert f"'{app.name}' (client {app.client_id})" in result.stdout
    assert "grant types besides client_credentials: password" in result.stdout
    assert "Customer Portal" not in text + result.stdout  # the single-page app is left alone
    assert "Import Reader" not in text  # never the importing credential's own client

    resources = state_resources(project)
    imported = [r for r in resources if r["type"].startswith("auth0:index/")]
    links = sum(len(g.organizations) for app in config.applications for g in app.grants)
    grants = sum(len(app.grants) for app in config.applications)
    assert len(imported) == 2 * len(config.applications) + grants + links


def test_after_import_preview_shows_no_change_and_up_writes_nothing(project, emulator):
    emulator.reset_requests()
    project.preview("--expect-no-changes")
    # `up` checks that its client could deploy the stack (every scope of `up`) before it registers anything: the
    # read-only importer cannot run it (a new client would be one more application to import).
    project.use_credential(emulator.connection["client_id"], emulator.connection["client_secret"])
    project.up("--expect-no-changes")
    assert emulator.management_writes() == 0, emulator.requests()["by_route"]
    project.use_credential(*project.reader)


def test_after_import_every_token_is_what_the_stack_file_predicts(project):
    # Every application x API x organization of a 60-application tenant: above the check's default token budget.
    result = project.access_check("--token-budget", "2000")
    assert "match the stack config" in result.stdout


def test_a_second_import_of_the_unchanged_tenant_changes_nothing(project, emulator):
    before = project.stack_file.read_bytes()
    state_before = state_resources(project)
    emulator.reset_requests()
    result = project.cli("import")
    assert "nothing to import" in result.stdout
    assert project.stack_file.read_bytes() == before
    assert len(state_resources(project)) == len(state_before)
    assert emulator.management_writes() == 0


def test_an_edit_to_the_imported_stack_file_is_applied_in_place(project, emulator):
    project.use_credential(emulator.connection["client_id"], emulator.connection["client_secret"])
    config = load_stack_file(project.stack_file)
    app = config.application("service-01")
    billing = next(k for k, api in config.apis.items() if api.identifier == BILLING)
    grant_id = state_id(project, "auth0:index/clientGrant:ClientGrant", f"service-01/{BILLING}")

    def narrow(estate):
        entry = next(a for a in estate["applications"] if a["name"] == "service-01")
        grant = next(g for g in entry["grants"] if g["api"] == billing)
        grant["scopes"] = ["read:invoices"]
        grant["organizations"] = ["bigco", "globex"]

    project.edit_config(narrow)
    changed = tenant_changes(project)
    assert changed == {
        ("update", f"service-01/{BILLING}"),
        ("create", f"service-01/{BILLING}/globex"),
    }, changed
    project.up()
    grant = emulator.management("GET", f"/client-grants/{grant_id}").json()
    assert grant["scope"] == ["read:invoices"]
    assert state_id(project, "auth0:index/client:Client", "service-01") == tenant_client(emulator, app.auth0_name)
    project.preview("--expect-no-changes")


def tenant_client(emulator: Emulator, name: str) -> str:
    (client,) = [c for c in emulator.state()["clients"] if c["name"] == name]
    return client["client_id"]


def test_import_with_unsupported_settings_shows_what_the_next_up_changes(project, emulator):
    before = load_stack_file(project.stack_file)
    emulator.reset_requests()
    result = project.cli("import", "--select", "Legacy*", "--include-unsupported")
    assert emulator.management_writes() == 0
    assert "imported with settings the stack file cannot express: 1 applications" in result.stdout
    assert "grant types besides client_credentials: password" in result.stdout
    assert re.search(r"~ update Client legacy-password-sync \(.*grantTypes.*\)", result.stdout), result.stdout
    after = load_stack_file(project.stack_file)
    assert [a.name for a in after.applications if a.name not in {b.name for b in before.applications}] == [
        "legacy-password-sync"
    ]
    assert tenant_changes(project) == {("update", "legacy-password-sync")}


def tenant_changes(project: PulumiProject) -> set[tuple[str, str]]:
    """(op, name) of every planned step on a tenant object (components record inputs, but have no object)."""
    return {
        (step["op"], step["urn"].rsplit("::", 1)[-1])
        for step in project.preview_steps()
        if step["op"] != "same" and step["urn"].split("::")[2].split("$")[-1].startswith("auth0:index/")
    }


def state_id(project: PulumiProject, type_: str, name: str) -> str:
    return next(r["id"] for r in state_resources(project) if r["type"] == type_ and r["urn"].endswith(f"::{name}"))


def test_import_into_a_stack_that_manages_some_applications_adds_only_the_others(tmp_path, emulator):
    """A separate tenant: the local stack deployed by Pulumi, plus two applications made by hand."""
    local = Emulator(tmp_path / "tenant")
    try:
        project = PulumiProject(tmp_path / "project", local)
        project.up()
        before = project.stack_file.read_text()
        made = []
        orders = "https://orders.api.example.com/"
        for name in ("Fraud Scoring", "Fraud Reporting"):
            client = local.management("POST", "/clients", json={
                "name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "client_secret_basic",
            }).json()
            local.management("POST", "/client-grants", json={
                "client_id": client["client_id"], "audience": orders, "scope": ["read:orders"],
                "organization_usage": "allow",
            }).raise_for_status()
        # The stack's own applications match "*" too: they are recognized and left as they are.
        result = project.cli("import", "--select", "Fraud *", "--select", "billing-sync")
        assert "imported: 2 applications" in result.stdout
        assert "already in the stack: 1 applications" in result.stdout
        after = project.stack_file.read_text()
        # Only additions: every existing line (and comment) kept, in order.
        removed = [l for l in difflib.ndiff(before.splitlines(), after.splitlines()) if l.startswith("- ")]
        assert not removed, removed
        config = validate_text(after)
        assert [a.name for a in config.applications][-2:] == ["fraud-reporting", "fraud-scoring"]
        assert {a.authentication_method.value for a in config.applications[-2:]} == {"client_secret_basic"}
        assert {g.api for a in config.applications[-2:] for g in a.grants} == {"orders"}  # the stack's key, reused
        project.preview("--expect-no-changes")
    finally:
        local.stop()


def validate_text(text: str):
    return parse_stack_text(text, "stack")


def test_import_adopts_grants_of_no_scopes(tmp_path):
    """Auth0 answers a grant of no scopes with `"scope": []`: the strict import and the import of an application with
    unsupported settings (which keeps the tenant's values, as the state-only repair does) both adopt it, with no
    change to the grant on the next preview. A separate tenant, seeded by hand through the Management API."""
    tenant = Emulator(tmp_path / "tenant")
    try:
        audience = "https://probes.example.com/"
        tenant.management("POST", "/resource-servers", json={
            "identifier": audience, "name": "Probes", "scopes": [{"value": "read:probes", "description": "Read"}],
        }).raise_for_status()
        for name, grant_types in (("Uptime Probe", ["client_credentials"]),
                                  ("Legacy Probe", ["client_credentials", "password"])):
            client = tenant.management("POST", "/clients", json={
                "name": name, "app_type": "non_interactive", "grant_types": grant_types,
                "token_endpoint_auth_method": "client_secret_post",
            }).raise_for_status().json()
            grant = tenant.management("POST", "/client-grants", json={
                "client_id": client["client_id"], "audience": audience, "scope": [],
            }).raise_for_status().json()
            assert grant["scope"] == []
        project = PulumiProject(tmp_path / "project", tenant, stack=STACK)
        project.use_credential(*create_management_client(tenant, "Import Reader", IMPORT_READ_SCOPES))
        tenant.reset_requests()
        result = project.cli("import", "--select", "* Probe", "--include-unsupported")
        assert tenant.management_writes() == 0
        assert "imported: 2 applications" in result.stdout, result.stdout
        config = load_stack_file(project.stack_file)
        assert {a.name: [g.scopes for g in a.grants] for a in config.applications} == {
            "uptime-probe": [()], "legacy-probe": [()],
        }
        # Only the unsupported grant type is changed by the next `up`; neither grant is.
        assert tenant_changes(project) == {("update", "legacy-probe")}
    finally:
        tenant.stop()
