"""The local stack's whole life with the real Pulumi CLI and provider against the tenant emulator.

The tests in this module run in order against one tenant and one stack: up from empty, no-op preview,
reordering, changing organization access, drift, faults, secrets, destroy. Each asserts what a platform
engineer would notice: tokens issued or refused, resources replaced or not, API calls made.
"""

from __future__ import annotations

import pytest

from tests.type_tokens import CLIENT, GRANT

from .harness import PulumiProject, application, grant

pytestmark = pytest.mark.integration

REPORTING = "https://reporting.api.example.com/"
ORDERS = "https://orders.api.example.com/"


@pytest.fixture(scope="module")
def emulator(module_emulator):
    return module_emulator


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator):
    return PulumiProject(tmp_path_factory.mktemp("project"), emulator)


def secrets_of(project: PulumiProject) -> dict[str, str]:
    return project.outputs(show_secrets=True)["client_secrets"]


def test_up_from_an_empty_tenant_then_every_token_matches_the_config(project, emulator):
    project.up()
    outputs = project.outputs()
    assert set(outputs["applications"]) == {
        "billing-sync", "report-exporter", "ledger-reconciler", "support-console", "umbrella-partner-gateway"
    }
    assert outputs["client_secrets"] == "[secret]"
    result = project.access_check()
    assert "All " in result.stdout and "match the stack config" in result.stdout

    # Spot checks of what the access check asserted, straight at the token endpoint.
    billing = outputs["applications"]["billing-sync"]
    secret = secrets_of(project)["billing-sync"]
    orgs = outputs["organization_ids"]
    by_default = emulator.token(billing["client_id"], secret, ORDERS)
    assert by_default.status_code == 200
    assert emulator.token(billing["client_id"], secret, ORDERS, orgs["initech"]).status_code != 200


def test_second_preview_shows_no_changes_and_makes_no_management_calls(project, emulator):
    emulator.reset_requests()
    project.preview("--expect-no-changes")
    assert emulator.requests()["total"] == 0, emulator.requests()
    project.up("--expect-no-changes")
    # `up` asks for one Management API token, whose scopes it checks before anything else; no other request.
    assert emulator.requests()["by_route"] == {"POST /oauth/token": 1}, emulator.requests()


def test_reordering_config_lists_changes_nothing(project):
    def reorder(estate):
        estate["applications"].reverse()
        estate["organizations"] = dict(reversed(list(estate["organizations"].items())))
        for app in estate["applications"]:
            app["grants"].reverse()
            for g in app["grants"]:
                g["scopes"] = list(reversed(g.get("scopes", [])))
                g["organizations"] = list(reversed(g.get("organizations", [])))

    project.edit_config(reorder)
    project.preview("--expect-no-changes")


def test_changing_organization_access_updates_in_place_and_changes_tokens(project, emulator):
    before = project.outputs()
    exporter = before["applications"]["report-exporter"]
    orgs = before["organization_ids"]
    secret = secrets_of(project)["report-exporter"]
    assert emulator.token(exporter["client_id"], secret, REPORTING).status_code == 200
    assert emulator.token(exporter["client_id"], secret, REPORTING, orgs["initech"]).status_code == 200

    def require_and_revoke(estate):
        g = grant(estate, "report-exporter", "reporting")
        g["organization_usage"] = "require"
        g["organizations"] = ["globex", "acme"]

    project.edit_config(require_and_revoke)
    steps = project.preview_steps()
    ops = {(s["op"], s.get("urn", "").split("::")[-1]) for s in steps if s["op"] != "same"}
    assert ("update", f"report-exporter/{REPORTING}") in ops
    assert ("delete", f"report-exporter/{REPORTING}/initech") in ops
    assert not [s for s in steps if s["op"] in ("replace", "create-replacement", "delete-replaced")], ops

    project.up()
    after = project.outputs()["applications"]["report-exporter"]
    assert after["client_id"] == exporter["client_id"]
    assert after["grant_ids"] == exporter["grant_ids"]
    assert emulator.token(exporter["client_id"], secret, REPORTING).status_code != 200
    assert emulator.token(exporter["client_id"], secret, REPORTING, orgs["initech"]).status_code != 200
    assert emulator.token(exporter["client_id"], secret, REPORTING, orgs["acme"]).status_code == 200
    project.access_check()


def test_removing_the_default_organization_updates_the_client_in_place(project, emulator):
    before = project.outputs()["applications"]["umbrella-partner-gateway"]
    secret = secrets_of(project)["umbrella-partner-gateway"]
    assert emulator.token(before["client_id"], secret, ORDERS).json().get("access_token")

    project.edit_config(lambda estate: application(estate, "umbrella-partner-gateway").pop("default_organization"))
    steps = project.preview_steps()
    assert {(s["op"], s["urn"].split("::")[-1]) for s in steps if s["op"] != "same"} == {
        ("update", "umbrella-partner-gateway"),
    }
    project.up()
    client = emulator.management("GET", f"/clients/{before['client_id']}").json()
    assert "default_organization" not in client
    assert emulator.token(before["client_id"], secret, ORDERS).status_code == 403
    project.preview("--expect-no-changes")


def test_a_change_made_in_the_tenant_shows_in_refresh_and_up_repairs_it(project, emulator):
    outputs = project.outputs()
    billing = outputs["applications"]["billing-sync"]
    grant_id = billing["grant_ids"][ORDERS]
    acme = outputs["organization_ids"]["acme"]
    # Behind Pulumi's back: widen the scopes and revoke acme's authorization.
    emulator.management("PATCH", f"/client-grants/{grant_id}", json={"scope": ["read:orders", "write:orders"]}).raise_for_status()
    emulator.management("DELETE", f"/organizations/{acme}/client-grants/{grant_id}").raise_for_status()

    drift = project.preview("--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0, "a preview with --refresh must report the drift"
    steps = project.preview_steps("--refresh")
    changed = {(s["op"], s["urn"].split("::")[-1]) for s in steps if s["op"] not in ("same", "refresh")}
    assert ("update", f"billing-sync/{ORDERS}") in changed
    assert ("create", f"billing-sync/{ORDERS}/acme") in changed

    project.up("--refresh")
    repaired = emulator.management("GET", f"/client-grants/{grant_id}").json()
    assert repaired["scope"] == ["read:orders"]
    links = emulator.management("GET", f"/organizations/{acme}/client-grants", params={"include_totals": "true"}).json()
    assert grant_id in {link["id"] for link in links["client_grants"]}
    project.preview("--refresh", "--expect-no-changes")


def test_up_converges_while_the_tenant_answers_429_and_5xx(project, emulator):
    def add_application(estate):
        estate["applications"].append(
            {
                "name": "fault-tolerant",
                "description": "Created while the tenant injects faults",
                "grants": [
                    {"api": "orders", "scopes": ["read:orders"], "organization_usage": "allow", "organizations": ["acme", "globex"]},
                    {"api": "billing", "scopes": ["read:invoices"], "organization_usage": "deny"},
                ],
            }
        )

    project.edit_config(add_application)
    emulator.reset_requests()
    emulator.set_faults(fault_429=0.2, fault_5xx=0.1)
    try:
        project.up()
    finally:
        emulator.set_faults(fault_429=0.0, fault_5xx=0.0)
    counters = emulator.requests()
    assert counters.get("faults", 1) > 0, counters
    project.preview("--refresh", "--expect-no-changes")
    project.access_check()


def test_no_client_secret_in_plain_text_in_state_outputs_or_logs(project, emulator):
    secrets = list(secrets_of(project).values()) + [emulator.connection["client_secret"]]
    assert all(len(s) >= 16 for s in secrets)
    places = {str(path): path.read_text(errors="replace") for path in project.state_dir.rglob("*") if path.is_file()}
    places["stack file"] = project.stack_file.read_text()
    places["outputs"] = project.run("stack", "output", "--json").stdout
    places["logs"] = "\n".join(project.log)
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a client secret appears in plain text in {where}"


def test_destroy_leaves_none_of_the_managed_objects(project, emulator):
    project.run("destroy", "--yes", "--skip-preview")
    state = emulator.state()
    management_client = emulator.connection["client_id"]
    assert [c["client_id"] for c in state["clients"] if c["client_id"] != management_client] == []
    assert [g for g in state["client_grants"] if g["client_id"] != management_client] == []
    assert state["organizations"] == []
    assert [rs for rs in state["resource_servers"] if not rs.get("is_system")] == []
