"""The component package from another language: examples/yaml, a Pulumi YAML program, with the real CLI.

The program adds the package (`pulumi package add <checkout>/package`) and declares an Estate and one
M2MApplication alone. The engine runs the package's Python plugin through the project's Python language host
(RunPlugin) for its schema and for every construct; the YAML language host is the one scripts/bootstrap builds.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from .harness import REPO, consumer_project

pytestmark = pytest.mark.integration

ORDERS = "https://orders.yaml-example.com/"
ESTATE_APP = "auth0-m2m:index:Estate$auth0-m2m:index:M2MApplication"


@pytest.fixture(scope="module")
def emulator(module_emulator):
    return module_emulator


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator):
    return consumer_project(tmp_path_factory.mktemp("yaml"), emulator, "yaml")


def test_package_add_records_the_package_in_the_program(project):
    assert f"auth0-m2m: {REPO / 'package'}" in (project.root / "Pulumi.yaml").read_text()


def test_preview_constructs_both_components_through_the_plugin(project, emulator):
    steps = project.preview_steps()
    urns = {step["urn"].split("::", 2)[2] for step in steps}
    assert "auth0-m2m:index:Estate::estate" in urns
    assert f"{ESTATE_APP}::billing-sync" in urns
    assert "auth0-m2m:index:M2MApplication::reporting" in urns
    assert "auth0-m2m:index:M2MApplication$auth0:index/client:Client::reporting" in urns


def test_up_creates_the_applications_and_keeps_secrets_secret(project, emulator):
    project.up()
    outputs = project.outputs()
    assert set(outputs["applications"]) == {"billing-sync"}
    assert outputs["client_secrets"] == "[secret]" and outputs["reporting_client_secret"] == "[secret]"
    assert set(outputs["reporting_grant_ids"]) == {ORDERS}
    shown = project.outputs(show_secrets=True)
    billing = emulator.token(outputs["applications"]["billing-sync"]["client_id"], shown["client_secrets"]["billing-sync"], ORDERS)
    assert billing.status_code == 200, billing.text
    # The standalone application's grant allows organizations but does not require one.
    reporting = emulator.token(outputs["reporting_client_id"], shown["reporting_client_secret"], ORDERS)
    assert reporting.status_code == 200, reporting.text
    state = json.loads(project.run("stack", "export").stdout)
    assert "do-not" not in json.dumps(state)  # no plain secret: ClientCredentials keeps it encrypted
    recorded = next(r for r in state["deployment"]["resources"] if r["urn"].endswith("M2MApplication::reporting"))
    assert recorded["inputs"]["grants"][0]["audience"] == ORDERS


def test_second_preview_changes_nothing_and_makes_no_management_calls(project, emulator):
    emulator.reset_requests()
    project.preview("--expect-no-changes")
    assert emulator.requests()["total"] == 0, emulator.requests()


def test_policy_pack_guards_the_yaml_stack_unchanged(project):
    # The components' recorded inputs have the Python program's shape, so the pack reads them as it does there.
    result = project.preview("--policy-pack", str(REPO / "policy"), "--expect-no-changes")
    assert "auth0-m2m-policy" in result.stdout + result.stderr or "Policies" in result.stdout, result.stdout


def test_access_check_works_from_the_components_recorded_configuration(project):
    result = project.access_check()
    # One matrix per scope: the estate, and the application declared alone (titles may wrap).
    assert "(Estate 'estate')" in result.stdout
    assert "(M2MApplication" in result.stdout and "'reporting')" in result.stdout
    assert "token requests match the components' recorded configuration" in result.stdout


def test_access_report_of_the_deployed_stack(project):
    report = subprocess.run(
        [str(REPO / ".venv" / "bin" / "auth0-m2m"), "report", "--stack", project.stack],
        cwd=project.root, env=project.env, capture_output=True, text=True, timeout=300,
    )
    assert report.returncode == 0, report.stderr
    assert f"| `billing-sync` | `orders` (`{ORDERS}`) | require (Required) | no | `acme`, `globex` | `acme` |" in report.stdout
    assert f"| `reporting` | `orders` (`{ORDERS}`) | allow (Optional) | no | `acme` | - | `read:orders` |" in report.stdout


def test_invalid_configuration_fails_with_the_python_message_before_any_call(project, emulator):
    program = project.root / "Pulumi.yaml"
    original = program.read_text()
    program.write_text(original.replace("organization_usage: allow", "organization_usage: deny"))
    try:
        emulator.reset_requests()
        result = project.preview(check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert (
            "M2MApplication 'reporting': application 'reporting', grant for API 'orders' "
            f"({ORDERS}), field 'organizations': organization_usage is 'deny'" in output
        ), output
        assert "Traceback" not in output
        assert emulator.requests()["total"] == 0
    finally:
        program.write_text(original)


def test_name_scopes_keep_a_second_estate_and_a_scoped_application_apart(project, emulator):
    """`name_scope` through the package: a second estate with the same keys, and a scoped application alone, get
    the prefixed names a Python program gets (previewed only: the deployed stack stays as it is)."""
    program = project.root / "Pulumi.yaml"
    original = program.read_text()
    document = yaml.safe_load(original)
    document["resources"]["estate-b"] = {"type": "auth0-m2m:Estate", "properties": {
        "name_scope": "team-b",
        "environment": "yaml-b",
        "apis": {"orders": {"identifier": "https://orders-b.yaml-example.com/", "manage": True}},
        "applications": [{"name": "billing-sync", "display_name": "billing-sync-b", "grants": [{"api": "orders"}]}],
    }}
    document["resources"]["reporting"]["properties"]["name_scope"] = "tools"
    program.write_text(yaml.safe_dump(document, sort_keys=False))
    try:
        emulator.reset_requests()
        ops = {step["urn"].split("::", 2)[2]: step["op"] for step in project.preview_steps()}
        assert ops["auth0-m2m:index:Estate::estate-b"] == "create"
        assert ops[f"{ESTATE_APP}::team-b:billing-sync"] == "create"
        assert ops[f"{ESTATE_APP}$auth0:index/client:Client::team-b:billing-sync"] == "create"
        assert ops["auth0-m2m:index:Estate$auth0:index/resourceServer:ResourceServer::team-b:api/orders"] == "create"
        # The unscoped estate keeps its names: nothing of it changes (unchanged steps may be left out of the JSON).
        assert all(op == "same" for urn, op in ops.items() if urn.endswith(("::billing-sync", "::estate"))), ops
        assert ops["auth0-m2m:index:M2MApplication::tools:reporting"] == "create"
        assert ops["auth0-m2m:index:M2MApplication::reporting"] == "delete"  # a new scope is a new application
        writes = [route for route in emulator.requests()["by_route"] if not route.startswith(("GET", "POST /oauth"))]
        assert writes == [], writes
    finally:
        program.write_text(original)


def test_destroy_removes_everything(project, emulator):
    project.run("destroy", "--yes", "--skip-preview")
    clients = {c["name"] for c in emulator.management("GET", "/clients").json()}
    assert not clients & {"billing-sync", "reporting"}
