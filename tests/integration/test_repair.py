"""Recovering a lost or damaged state (`auth0-m2m import --state-only`), and deploys that a crash cannot orphan
(`auth0-m2m up --fast` killed with SIGKILL, plugins included, at several points, then repaired).

After every repair the tenant is checked by counting its objects through the Management API: one client per
application, one grant per application and API, exactly the declared organization authorizations, the managed
organizations and APIs once each, and nothing else.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from auth0_m2m import load_stack_file
from auth0_m2m.tools.schemas import envelope_model

from .harness import REPO, Emulator, PulumiProject, application, kill_mid_way

pytestmark = pytest.mark.integration


def management_list(emulator: Emulator, path: str, collection: str) -> list[dict]:
    """Every item of a Management API collection, page by page (checkpoint paging)."""
    items, cursor = [], None
    while True:
        params = {"take": 100, **({"from": cursor} if cursor else {})}
        body = emulator.management("GET", path, params=params).raise_for_status().json()
        items += body[collection]
        cursor = body.get("next")
        if not cursor:
            return items


def assert_tenant_matches_stack(project: PulumiProject, emulator: Emulator) -> None:
    """Count the tenant's objects through the Management API against what the stack file declares."""
    config = load_stack_file(project.stack_file)
    own = emulator.connection["client_id"]
    clients = [c for c in management_list(emulator, "/clients", "clients") if c["client_id"] != own]
    assert Counter(c["name"] for c in clients) == Counter(app.auth0_name for app in config.applications)
    grants = [g for g in management_list(emulator, "/client-grants", "client_grants") if g.get("client_id") != own]
    assert Counter((g["client_id"], g["audience"]) for g in grants).most_common(1)[0][1] == 1
    assert len(grants) == sum(len(app.grants) for app in config.applications)
    organizations = {o["name"]: o["id"] for o in management_list(emulator, "/organizations", "organizations")}
    assert sorted(organizations) == sorted(name for name, org in config.organizations.items() if org.manage)
    links = Counter()
    for org_id in organizations.values():
        body = emulator.management("GET", f"/organizations/{org_id}/client-grants",
                                   params={"per_page": 100, "include_totals": "true"}).json()
        links.update((org_id, g["id"]) for g in body["client_grants"])
    assert len(links) == sum(len(g.organizations) for app in config.applications for g in app.grants)
    servers = [s for s in management_list(emulator, "/resource-servers", "resource_servers") if not s.get("is_system")]
    assert sorted(s["identifier"] for s in servers) == sorted(api.identifier for api in config.apis.values() if api.manage)


def kill_after(project: PulumiProject, emulator: Emulator, writes: int, *args: str) -> int:
    """`auth0-m2m <args>` killed once the tenant has seen ``writes`` writes; the writes seen when it died."""
    command = [str(REPO / ".venv" / "bin" / "auth0-m2m"), *args, "--stack", project.stack]
    return kill_mid_way(project, emulator, command, writes=writes, latency_ms=120)


def state_resources(project: PulumiProject) -> list[dict]:
    return project.export()["deployment"].get("resources") or []


def tenant_ids(project: PulumiProject) -> dict[str, str]:
    """URN -> id of every tenant object in the stack's state."""
    return {r["urn"]: r["id"] for r in state_resources(project) if r["type"].startswith("auth0:index/")}


def test_a_lost_state_is_rebuilt_from_the_tenant_with_no_change_on_the_next_preview(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)
    project.up()
    deployed = tenant_ids(project)
    stack_file = project.stack_file.read_bytes()

    # The state is lost: the stack is removed from the backend (its stack file is kept) and created again.
    project.run("stack", "rm", "--yes", "--force", "--preserve-config")
    project.run("stack", "init")
    assert not state_resources(project)

    emulator.reset_requests()
    dry = project.cli("import", "--state-only", "--dry-run")
    assert "34 would be imported from the tenant" in dry.stdout and not state_resources(project)
    document = json.loads(project.cli("import", "--state-only", "--dry-run", "--json").stdout)
    envelope_model("import").model_validate(document)
    assert document["result"]["mode"] == "state-only" and len(document["result"]["objects"]) == 34
    result = project.cli("import", "--state-only")
    assert "34 imported from the tenant, 0 do not exist" in result.stdout, result.stdout
    assert emulator.management_writes() == 0
    assert project.stack_file.read_bytes() == stack_file  # the state-only mode never rewrites the stack file
    assert tenant_ids(project) == deployed  # every resource back under its URN, with the same object

    emulator.reset_requests()
    project.preview("--expect-no-changes")
    project.up("--expect-no-changes")
    assert emulator.management_writes() == 0
    assert_tenant_matches_stack(project, emulator)
    project.access_check()


def test_a_damaged_state_missing_some_resources_is_completed(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)
    project.up()
    deployment = project.export()
    resources = deployment["deployment"]["resources"]
    # Drop every organization authorization and one whole application (children first, as Pulumi orders them).
    dropped = [r for r in resources if r["type"].endswith("OrganizationClientGrant") or "::ledger-reconciler" in r["urn"]]
    deployment["deployment"]["resources"] = [r for r in resources if r not in dropped]
    (tmp_path / "damaged.json").write_text(__import__("json").dumps(deployment))
    project.run("stack", "import", "--file", str(tmp_path / "damaged.json"))

    emulator.reset_requests()
    result = project.cli("import", "--state-only")
    assert emulator.management_writes() == 0
    custom = [r for r in dropped if r.get("custom")]
    assert f"{len(custom)} imported from the tenant" in result.stdout, result.stdout
    project.preview("--expect-no-changes")
    assert_tenant_matches_stack(project, emulator)



def test_grants_of_no_scopes_are_adopted_with_no_change(tmp_path, emulator):
    """A grant of no scopes (`scopes: []`, or no `scopes` key) is what Auth0 answers with `"scope": []`. Adopting
    one (the state-only repair, `recover`, `up --fast`) imports inputs without scopes, which the provider used to
    refuse ("either `scopes` must be provided or `allow_all_scopes` must be set to `true`")."""
    project = PulumiProject(tmp_path / "project", emulator)

    def add_grants_of_no_scopes(estate):
        estate["applications"].append({
            "name": "audit-probe", "description": "Checks that the APIs answer",
            "grants": [{"api": "orders", "scopes": []}, {"api": "billing"}],
        })

    project.edit_config(add_grants_of_no_scopes)
    project.up()
    deployed = tenant_ids(project)
    tenant_grants = [g for g in management_list(emulator, "/client-grants", "client_grants")
                     if g["client_id"] == project.outputs()["applications"]["audit-probe"]["client_id"]]
    assert sorted(g["scope"] for g in tenant_grants) == [[], []]
    probe_grants = [urn for urn in deployed if "clientGrant:ClientGrant::audit-probe/" in urn]
    assert len(probe_grants) == 2

    # The state is lost: the state-only repair adopts everything, the two grants of no scopes included.
    project.run("stack", "rm", "--yes", "--force", "--preserve-config")
    project.run("stack", "init")
    emulator.reset_requests()
    result = project.cli("import", "--state-only")
    assert f"{len(deployed)} imported from the tenant, 0 do not exist" in result.stdout, result.stdout
    assert "shows no change" in result.stdout, result.stdout
    assert tenant_ids(project) == deployed
    project.preview("--expect-no-changes")
    project.up("--expect-no-changes")
    assert emulator.management_writes() == 0

    # An interrupted fast deploy forgot the grants: `up --fast` adopts them again, and `recover` too.
    for command in (("up", "--fast", "--skip-preview"), ("recover",)):
        for urn in probe_grants:
            project.run("state", "delete", urn, "--yes")
        emulator.reset_requests()
        project.cli(*command)
        assert tenant_ids(project) == deployed, command
        project.preview("--expect-no-changes")
        assert emulator.management_writes() == 0, command
    assert_tenant_matches_stack(project, emulator)


# Three points of an interrupted first deploy of the local stack (41 resources: 4 organizations, 3 APIs with
# their scopes, 5 applications), each recovered a different way: the state-only repair, running the fast deploy
# again, and `auth0-m2m recover`.
@pytest.mark.parametrize(
    "writes, recovery",
    [(3, "repair"), (14, "fast-up-again"), (26, "recover")],
    ids=["early-repair", "middle-fast-up-again", "late-recover"],
)
def test_a_killed_fast_up_converges_with_no_duplicate_and_no_orphan(tmp_path, emulator, writes, recovery):
    project = PulumiProject(tmp_path / "project", emulator)
    seen = kill_after(project, emulator, writes, "up", "--fast", "--skip-preview")
    assert seen >= writes
    assert not [r for r in state_resources(project) if r["type"].startswith("auth0:")]  # no checkpoint was written

    if recovery == "repair":
        result = project.cli("import", "--state-only")
        assert "imported from the tenant" in result.stdout and "orphans" not in result.stdout, result.stdout
        project.up()
    elif recovery == "fast-up-again":
        project.cli("up", "--fast", "--skip-preview")
    else:
        project.cli("recover")
        project.up()
    project.preview("--expect-no-changes")
    assert_tenant_matches_stack(project, emulator)
    project.access_check()


def test_a_killed_incremental_fast_up_converges(tmp_path, emulator):
    """A deployed stack changed in several ways (an application added, one removed, organizations authorized and
    revoked, a usage tightened), deployed fast and killed half-way, then repaired."""
    project = PulumiProject(tmp_path / "project", emulator)
    project.up()

    def change(estate):
        estate["applications"] = [a for a in estate["applications"] if a["name"] != "ledger-reconciler"]
        application(estate, "report-exporter")["grants"][0]["organizations"] = ["umbrella", "acme"]
        application(estate, "billing-sync")["grants"][1]["organization_usage"] = "require"
        application(estate, "billing-sync")["grants"][1]["organizations"] = ["acme", "globex"]
        estate["applications"].append({
            "name": "fraud-scoring", "description": "Scores orders",
            "grants": [{"api": "orders", "scopes": ["read:orders"], "organization_usage": "allow",
                        "organizations": ["acme", "globex", "initech", "umbrella"]}],
        })

    project.edit_config(change)
    kill_after(project, emulator, 6, "up", "--fast", "--skip-preview")
    result = project.cli("import", "--state-only")
    assert "orphans" not in result.stdout, result.stdout
    project.up()
    project.preview("--expect-no-changes")
    assert_tenant_matches_stack(project, emulator)
    project.access_check()
