"""Deletion safety of production stacks, with the real Pulumi CLI and provider against the tenant emulator.

A production-like stack (the local estate with `production: true`) is deployed with the policy pack.
Its clients and client grants are protected by the Estate's transform; removing an application from the
stack config then makes `pulumi preview` and `pulumi up` fail with Pulumi's protected-resource error and
deletes nothing that matters. Retiring an application deliberately follows the README ("Retiring an
application"): unprotect exactly the application's protected resources (listed from the state), then
`pulumi up`; or, to leave other pending changes alone, `pulumi up --target ... --target-dependents`.

The tests run in order against one tenant and one stack.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from tests.type_tokens import CLIENT, CREDENTIALS, GRANT, LINK

from .harness import REPO, Emulator, PulumiProject, application, grant

pytestmark = pytest.mark.integration

STACK = "prodlike"
POLICY_PACK = str(REPO / "policy")
REPORTING = "https://reporting.api.example.com/"
BILLING = "https://billing.api.example.com/"
UNPROTECT_HINT = re.compile(r"pulumi state unprotect '([^']+)'")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("tenant"))
    yield emulator
    emulator.stop()


def production_like(estate: dict) -> None:
    """The local stack's estate (everything managed in the stack), as a production stack."""
    local = yaml.safe_load((REPO / "stacks" / "Pulumi.local.yaml").read_text())["config"]
    estate.update({key.split(":", 1)[1]: value for key, value in local.items() if key.startswith("auth0-m2m:")})
    estate["environment"] = STACK
    estate["production"] = True
    for entry in application(estate, "support-console")["grants"]:
        entry["justification"] = "Support engineers act for any customer during incidents"


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator):
    project = PulumiProject(tmp_path_factory.mktemp("project"), emulator, stack=STACK)
    project.edit_config(production_like)
    return project


def resources(project: PulumiProject) -> list[dict]:
    return json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]


def exists(emulator: Emulator, path: str) -> bool:
    response = emulator.management("GET", path)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def organization_links(emulator: Emulator, organization_id: str) -> set[str]:
    body = emulator.management("GET", f"/organizations/{organization_id}/client-grants",
                               params={"include_totals": "true"}).json()
    return {link["id"] for link in body["client_grants"]}


def protected_urns_of(project: PulumiProject, app: str) -> list[str]:
    """The README's listing: protected resources of one application (its client and client grants)."""
    found = []
    for resource in resources(project):
        name = resource["urn"].rsplit("::", 1)[1]
        if resource.get("protect") and "auth0-m2m:index:M2MApplication$" in resource["urn"] and (
            name == app or name.startswith(app + "/")
        ):
            found.append(resource["urn"])
    return sorted(found)


def test_production_stack_deploys_with_the_policy_pack_and_protects_clients_and_grants(project):
    result = project.up("--policy-pack", POLICY_PACK)
    assert "auth0-m2m@v0.1.0" in result.stdout
    by_type: dict[str, list[bool]] = {}
    for resource in resources(project):
        by_type.setdefault(resource["type"], []).append(bool(resource.get("protect")))
    assert by_type[CLIENT] == [True] * 5
    assert by_type[GRANT] and all(by_type[GRANT])
    for resource_type in ("auth0:index/organization:Organization", "auth0:index/resourceServer:ResourceServer"):
        assert not any(by_type[resource_type]), resource_type


def test_revoking_one_organization_in_production_is_a_one_line_change(project):
    """Children inherit `protect` from their parent; the transform unprotects authorizations explicitly."""
    assert not any(r.get("protect") for r in resources(project) if r["type"] in (LINK, CREDENTIALS))

    def revoke(estate):
        g = grant(estate, "report-exporter", "reporting")
        g["organizations"] = [o for o in g["organizations"] if o != "initech"]

    before = project.stack_file.read_text()
    project.edit_config(revoke)
    try:
        preview = project.preview(check=False)
        assert preview.returncode == 0, preview.stdout[-3000:] + preview.stderr[-3000:]
    finally:
        project.stack_file.write_text(before)


def test_removing_an_application_fails_preview_and_up_with_the_protected_resource_error(project, emulator):
    outputs = project.outputs()
    exporter = outputs["applications"]["report-exporter"]
    grant_id = exporter["grant_ids"][REPORTING]
    orgs = outputs["organization_ids"]
    # Kept for the next tests: a failed update still records the program's new stack outputs.
    project.retired = {"client_id": exporter["client_id"], "grant_id": grant_id, "organization_ids": orgs,
                       "secret": project.outputs(show_secrets=True)["client_secrets"]["report-exporter"]}
    expected_urns = protected_urns_of(project, "report-exporter")
    names = {u.rsplit("::", 1)[1] for u in expected_urns}
    assert {"report-exporter", f"report-exporter/{REPORTING}"} <= names, names

    project.edit_config(lambda estate: estate.update(
        applications=[a for a in estate["applications"] if a["name"] != "report-exporter"]))

    preview = project.preview(check=False)
    assert preview.returncode != 0
    output = preview.stdout + preview.stderr
    assert "cannot be deleted\nbecause it is protected" in output or "because it is protected" in output, output
    # The error names each protected resource the engine tried to delete, with its `pulumi state unprotect`
    # command: only the first ones it reaches (deletes go children first, and a parent waits for its
    # children), so the complete list comes from the state (protected_urns_of, the README's listing).
    hints = set(UNPROTECT_HINT.findall(output))
    assert hints and hints <= set(expected_urns), (hints, expected_urns)

    up = project.run("up", "--yes", check=False)
    assert up.returncode != 0
    assert "because it is protected" in up.stdout + up.stderr
    # `pulumi up` previews first: the failing preview stopped it before any change.
    assert exists(emulator, f"/clients/{exporter['client_id']}")
    assert exists(emulator, f"/client-grants/{grant_id}")
    for org in ("acme", "globex", "initech"):
        assert grant_id in organization_links(emulator, orgs[org]), org


def test_up_without_preview_also_stops_at_the_protected_client_and_grants(project, emulator):
    retired = project.retired
    up = project.up("--skip-preview", check=False)
    assert up.returncode != 0
    assert "because it is protected" in up.stdout + up.stderr
    assert exists(emulator, f"/clients/{retired['client_id']}")
    assert exists(emulator, f"/client-grants/{retired['grant_id']}")
    # But an update without a preview carries out every delete that is not protected (the engine continues
    # past protected ones): the authorizations and credentials are unprotected on purpose, so they are gone.
    links = {org: retired["grant_id"] in organization_links(emulator, retired["organization_ids"][org])
             for org in ("acme", "globex", "initech")}
    client = emulator.management("GET", f"/clients/{retired['client_id']}").json()
    token = emulator.token(retired["client_id"], retired["secret"], REPORTING, retired["organization_ids"]["acme"])
    print(f"after up --skip-preview: authorizations {links}, token_endpoint_auth_method "
          f"{client.get('token_endpoint_auth_method')!r}, token for acme: {token.status_code}")
    assert not any(links.values()), links
    assert token.status_code != 200
    assert protected_urns_of(project, "report-exporter")


def test_retiring_an_application_deliberately(project, emulator):
    retired = project.retired

    # 1. The protected resources of the application being retired, from the state (the README's listing):
    #    its client and client grants, and what inherits their protection (credentials, authorizations).
    urns = protected_urns_of(project, "report-exporter")
    preview = project.preview(check=False)
    assert set(UNPROTECT_HINT.findall(preview.stdout + preview.stderr)) <= set(urns)
    # 2. Unprotect those, and only those.
    project.run("state", "unprotect", "--yes", *urns)
    assert protected_urns_of(project, "report-exporter") == []
    others = [r for r in resources(project) if r["type"] in (CLIENT, GRANT) and r["urn"] not in urns]
    assert len(others) == 10 and all(r.get("protect") for r in others)  # 4 other clients, their 6 grants
    # 3. Now the preview passes (with the pack) and shows the deletions; `pulumi up` carries them out.
    preview = project.preview("--policy-pack", POLICY_PACK)
    assert "to delete" in preview.stdout
    project.up("--policy-pack", POLICY_PACK)
    assert not exists(emulator, f"/clients/{retired['client_id']}")
    assert not exists(emulator, f"/client-grants/{retired['grant_id']}")
    remaining = [r for r in resources(project) if r["type"] in (CLIENT, GRANT)]
    assert "report-exporter" not in {r["urn"].rsplit("::", 1)[1] for r in remaining}
    assert all(r.get("protect") for r in remaining)
    project.preview("--expect-no-changes")


def test_retiring_one_application_with_target_leaves_other_pending_changes_alone(project, emulator):
    outputs = project.outputs()
    ledger = outputs["applications"]["ledger-reconciler"]

    def retire_and_change(estate):
        estate["applications"] = [a for a in estate["applications"] if a["name"] != "ledger-reconciler"]
        billing_grant = next(g for g in application(estate, "billing-sync")["grants"] if g["api"] == "billing")
        billing_grant["scopes"] = ["read:invoices"]  # another change in the same stack file, not ready yet

    project.edit_config(retire_and_change)
    urns = protected_urns_of(project, "ledger-reconciler")
    assert {"ledger-reconciler", f"ledger-reconciler/{BILLING}"} <= {u.rsplit("::", 1)[1] for u in urns}
    project.run("state", "unprotect", "--yes", *urns)
    targets = [arg for urn in urns for arg in ("--target", urn)]
    project.up("--policy-pack", POLICY_PACK, *targets, "--target-dependents")
    assert not exists(emulator, f"/clients/{ledger['client_id']}")
    steps = project.preview_steps()
    pending = {(s["op"], s["urn"].rsplit("::", 1)[1]) for s in steps if s["op"] not in ("same",)}
    assert ("update", f"billing-sync/{BILLING}") in pending, pending
    assert not any("ledger-reconciler" == name.split("/")[0] and op != "delete" for op, name in pending), pending


# The README's listing ("Retiring an application"), verbatim: protected resources of one application.
README_LISTING = """
import json, sys
app = sys.argv[1]
for r in json.load(sys.stdin)["deployment"]["resources"]:
    name = r["urn"].rsplit("::", 1)[1]
    if r.get("protect") and "auth0-m2m:index:M2MApplication$" in r["urn"] and (name == app or name.startswith(app + "/")):
        print(r["urn"])
"""


def test_the_unprotect_listing_command_of_the_readme_works(project):
    export = project.run("stack", "export").stdout
    listed = subprocess.run(["python3", "-c", README_LISTING, "billing-sync"], input=export, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    assert sorted(listed) == protected_urns_of(project, "billing-sync")
    assert {u.rsplit("::", 1)[1] for u in listed} == {"billing-sync", f"billing-sync/{BILLING}",
                                                       "billing-sync/https://orders.api.example.com/"}
