"""Least privilege, proven: every command runs with a management client holding exactly the scopes
``auth0-m2m scopes`` documents for it (the table in ``auth0_m2m.model.scopes``), each of those scopes is needed
(a request the command made is allowed by no other documented scope, as the tenant enforces them route by
route, like Auth0), and without one of them the command stops with a message naming it.

The stack exercises every kind of change: organizations and APIs it creates, one organization looked up by
name, creates, updates and deletes of each resource type, a recovery that imports a pending create, and destroy.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest

import auth0_emulator.app  # noqa: F401 - builds the routes, which fill the scope table
from auth0_emulator.management.common import ROUTE_SCOPES
from auth0_m2m import load_stack_file
from auth0_m2m.model.scopes import Command, StackNeeds, required_scopes, scopes_for
from auth0_m2m.resources.management_token import ManagementCredentials, granted_scopes

from .harness import REPO, Emulator, PulumiProject
from .keys import KeyPair

pytestmark = pytest.mark.integration

ORDERS = "https://orders.least-privilege.example.com/"
BILLING = "https://billing.least-privilege.example.com/"


def estate(e: dict) -> None:
    e["organizations"] = {"acme": {"manage": True, "display_name": "Acme"}, "globex": {"manage": True}, "partner": {}}
    e["apis"] = {
        "orders": {"identifier": ORDERS, "manage": True, "scopes": {"read:orders": "Read", "write:orders": "Write"}},
        "billing": {"identifier": BILLING, "manage": True},
    }
    e["applications"] = [
        {"name": "sync", "default_organization": "acme", "grants": [
            {"api": "orders", "scopes": ["read:orders"], "organization_usage": "require",
             "organizations": ["acme", "globex", "partner"]}]},
        {"name": "ledger", "grants": [{"api": "billing", "organization_usage": "allow", "organizations": ["globex"]}]},
    ]


def change_everything(e: dict) -> None:
    """An update, and a delete, of every resource type."""
    e["organizations"]["acme"]["display_name"] = "Acme Corporation"
    del e["organizations"]["globex"]
    e["apis"]["orders"]["token_lifetime"] = 7200
    del e["apis"]["billing"]
    sync = e["applications"][0]
    sync["description"] = "Syncs orders"
    sync["grants"][0]["scopes"] = ["read:orders", "write:orders"]
    sync["grants"][0]["organizations"] = ["acme", "partner"]
    e["applications"] = [sync]


class Scoped:
    """Runs commands of ``project`` each with a fresh management client holding exactly that command's scopes,
    and records which Management API routes each command called."""

    def __init__(self, emulator: Emulator, project: PulumiProject):
        self.emulator = emulator
        self.project = project
        self.routes: dict[Command, Counter] = {}

    def config(self):
        return load_stack_file(self.project.stack_file)

    def use(self, command: Command, without: str | None = None) -> dict[str, str]:
        scopes = scopes_for(command, self.config())
        held = [s for s in scopes if s != without]
        client = self.emulator.management_client_with_scopes(held, name=f"{command.value.replace(' ', '')}-client")
        self.project.use_credentials(*client)
        self.emulator.reset_requests()
        return scopes

    def record(self, command: Command) -> None:
        used = Counter(self.emulator.requests()["by_route"])
        self.routes.setdefault(command, Counter()).update(used)

    def tool(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(REPO / ".venv" / "bin" / "auth0-m2m"), *args, "--stack", self.project.stack],
            cwd=self.project.root, env={**self.project.env, "COLUMNS": "200"}, capture_output=True, text=True,
            timeout=900,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result


def unneeded(documented: set[str], routes: Counter) -> set[str]:
    """Documented scopes no request needed: each request is allowed by the route's scopes (any of) that are
    documented; a scope is needed when it was the only documented one allowing some request."""
    needed = set()
    for route in routes:
        method, template = route.split(" ", 1)
        if template == "/oauth/token":
            continue
        allowed = set(ROUTE_SCOPES[(method, template)]) & documented
        assert allowed, f"{route} was called although no documented scope allows it"
        if len(allowed) == 1:
            needed |= allowed
    return documented - needed


def pending_create(project: PulumiProject, urn_suffix: str) -> str:
    """Turn one resource of the state into a create an interrupted `up` left pending; returns its id. Written
    into the file backend's checkpoint: `pulumi stack import` drops pending operations."""
    checkpoint_file = project.state_dir / ".pulumi" / "stacks" / "auth0-m2m" / f"{project.stack}.json"
    checkpoint = json.loads(checkpoint_file.read_text())
    deployment = checkpoint["checkpoint"]["latest"]
    target = next(r for r in deployment["resources"] if r["urn"].endswith(urn_suffix))
    deployment["resources"].remove(target)
    pending = {k: v for k, v in target.items() if k not in ("id", "outputs")}
    deployment["pending_operations"] = [{"resource": pending, "type": "creating"}]
    checkpoint_file.write_text(json.dumps(checkpoint))
    return target["id"]


def forget(project: PulumiProject, urn_suffix: str) -> None:
    """Drop one resource from the state (what an interrupted fast deploy leaves: no checkpoint recorded it)."""
    checkpoint_file = project.state_dir / ".pulumi" / "stacks" / "auth0-m2m" / f"{project.stack}.json"
    checkpoint = json.loads(checkpoint_file.read_text())
    deployment = checkpoint["checkpoint"]["latest"]
    deployment["resources"] = [r for r in deployment["resources"] if not r["urn"].endswith(urn_suffix)]
    checkpoint_file.write_text(json.dumps(checkpoint))


def test_every_command_runs_with_exactly_its_documented_scopes(tmp_path, emulator):
    assert emulator.management("POST", "/organizations", json={"name": "partner"}).status_code == 201
    project = PulumiProject(tmp_path / "project", emulator)
    project.edit_config(estate)
    scoped = Scoped(emulator, project)
    assert StackNeeds.of(scoped.config()) == StackNeeds(True, True, True)

    scoped.use(Command.PREVIEW)
    project.preview()
    scoped.record(Command.PREVIEW)

    scoped.use(Command.UP)
    project.up()
    scoped.record(Command.UP)
    scoped.use(Command.ACCESS_CHECK)  # none: it uses the applications' own credentials
    project.access_check()
    assert scoped.emulator.requests()["by_route"].keys() <= {"POST /oauth/token"}

    scoped.use(Command.REFRESH)
    project.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    scoped.record(Command.REFRESH)
    scoped.use(Command.PREVIEW_REFRESH)
    project.preview("--refresh", "--expect-no-changes")
    scoped.record(Command.PREVIEW_REFRESH)

    project.edit_config(change_everything)
    scoped.use(Command.UP)
    project.up()
    scoped.record(Command.UP)
    project.access_check()

    # An interrupted `up` left the authorization of partner pending, before its request reached the tenant:
    # recover looks it up, clears it, and refreshes; the next `up` creates it. An interrupted `up --fast` left
    # acme's authorization out of the state, although the tenant has it: recover adopts it (an update that runs
    # the program, organization lookups included).
    link = f"OrganizationClientGrant::sync/{ORDERS}/partner"
    organization, grant = pending_create(project, link).split("::")
    assert emulator.management("DELETE", f"/organizations/{organization}/client-grants/{grant}").status_code == 204
    forget(project, f"OrganizationClientGrant::sync/{ORDERS}/acme")
    scoped.use(Command.RECOVER)
    recovered = scoped.tool("recover")
    assert "clear" in recovered.stdout, recovered.stdout
    resources = json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
    assert any(r["urn"].endswith(f"OrganizationClientGrant::sync/{ORDERS}/acme") for r in resources), recovered.stdout
    scoped.record(Command.RECOVER)
    scoped.use(Command.UP)
    project.up()
    scoped.record(Command.UP)
    project.preview("--expect-no-changes")
    project.access_check()

    scoped.use(Command.DESTROY)
    project.run("destroy", "--yes", "--skip-preview")
    scoped.record(Command.DESTROY)
    names = {c["name"] for c in emulator.state()["clients"]}
    assert not names & {"sync", "ledger"}, names
    assert [o["name"] for o in emulator.state()["organizations"]] == ["partner"]

    # Every documented scope was needed by some request of its command.
    needs = StackNeeds(True, True, True)
    for command, routes in scoped.routes.items():
        assert unneeded(set(required_scopes(command, needs)), routes) == set(), command


def test_without_one_documented_scope_each_command_stops_naming_it(tmp_path, emulator):
    assert emulator.management("POST", "/organizations", json={"name": "partner"}).status_code == 201
    project = PulumiProject(tmp_path / "project", emulator)
    project.edit_config(estate)
    scoped = Scoped(emulator, project)
    scoped.use(Command.UP)
    project.up()

    def stopped(result: subprocess.CompletedProcess, command: Command, scope: str) -> str:
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert f"lacks 1 scope that `{command.value}` needs for this stack: {scope} (" in output, output
        assert "Traceback" not in output
        return output

    # `pulumi up` checks its token before registering anything: the silent case (secrets left empty) too.
    scoped.use(Command.UP, without="read:client_keys")
    stopped(project.up(check=False), Command.UP, "read:client_keys")
    assert emulator.requests()["by_route"].keys() <= {"POST /oauth/token"}  # its token request, nothing else

    # A preview checks the scopes of its organization lookups.
    scoped.use(Command.PREVIEW, without="read:organization_members")
    stopped(project.preview(check=False), Command.PREVIEW, "read:organization_members")
    assert "GET /api/v2/organizations/name/{name}" not in emulator.requests()["by_route"]

    # recover checks before it reads anything.
    scoped.use(Command.RECOVER, without="read:client_keys")
    stopped(scoped.tool("recover", check=False), Command.RECOVER, "read:client_keys")
    assert emulator.requests()["by_route"].keys() <= {"POST /oauth/token"}

    # `pulumi refresh` and `destroy` run no program: `auth0-m2m scopes --check` (what the workflows run first)
    # names the scope, and the command itself fails with Auth0's answer naming it; with the scope, it converges.
    scoped.use(Command.REFRESH, without="read:organization_client_grants")
    stopped(scoped.tool("scopes", "--check", "refresh", check=False), Command.REFRESH, "read:organization_client_grants")
    refreshed = project.run("refresh", "--yes", "--skip-preview", check=False)
    assert refreshed.returncode != 0
    assert "Insufficient scope, expected any of: read:organization_client_grants" in refreshed.stdout, refreshed.stdout
    scoped.use(Command.REFRESH)
    project.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")

    scoped.use(Command.DESTROY, without="delete:organization_client_grants")
    stopped(scoped.tool("scopes", "--check", "destroy", check=False), Command.DESTROY,
            "delete:organization_client_grants")
    destroyed = project.run("destroy", "--yes", "--skip-preview", check=False)
    assert destroyed.returncode != 0
    assert "Insufficient scope, expected any of: delete:organization_client_grants" in destroyed.stdout
    assert "Traceback" not in destroyed.stdout + destroyed.stderr
    scoped.use(Command.DESTROY)
    project.run("destroy", "--yes", "--skip-preview")
    assert not {c["name"] for c in emulator.state()["clients"]} & {"sync", "ledger"}


@pytest.mark.parametrize("command", [c for c in Command if c is not Command.PREVIEW_REFRESH])
def test_a_token_without_any_one_documented_scope_is_found_lacking_it(module_emulator, command, monkeypatch):
    """Every scope of every command, against the tenant's real token endpoint: the check sees exactly the one
    that is missing (the message names it; see the test above for the commands themselves)."""
    monkeypatch.setenv("SSL_CERT_FILE", module_emulator.ca_cert)
    needs = StackNeeds(True, True, True)
    documented = required_scopes(command, needs)
    domain = module_emulator.connection["domain"]
    for scope in documented:
        client_id, secret = module_emulator.management_client_with_scopes([s for s in documented if s != scope])
        granted = granted_scopes(ManagementCredentials(domain=domain, client_id=client_id, client_secret=secret))
        assert {s for s in documented if s not in granted} == {scope}


def every_grant_with_a_scope(e: dict) -> None:
    """Adoption imports a grant through the upstream resource, which refuses one without scopes (`either scopes
    must be provided or allow_all_scopes must be set`, an import limitation of its own): give ledger's one."""
    e["apis"]["billing"]["scopes"] = {"read:billing": "Read"}
    e["applications"][1]["grants"][0]["scopes"] = ["read:billing"]


def outsider(emulator: Emulator) -> str:
    """An M2M application made in the dashboard, outside any stack: a client, and its grant on orders for acme."""
    client = emulator.management("POST", "/clients", json={
        "name": "outsider", "app_type": "non_interactive", "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_post"}).raise_for_status().json()
    grant = emulator.management("POST", "/client-grants", json={
        "client_id": client["client_id"], "audience": ORDERS, "scope": ["read:orders"],
        "organization_usage": "require"}).raise_for_status().json()
    acme = emulator.management("GET", "/organizations/name/acme").raise_for_status().json()["id"]
    emulator.management("POST", f"/organizations/{acme}/client-grants", json={"grant_id": grant["id"]}).raise_for_status()
    return client["client_id"]


def test_adoption_runs_with_exactly_its_documented_scopes(tmp_path, emulator):
    """`import --state-only` after a lost state, `up --fast` of a stack with something new, and `import` of an
    application made outside the stack, each with a client holding exactly its documented scopes."""
    assert emulator.management("POST", "/organizations", json={"name": "partner"}).status_code == 201
    project = PulumiProject(tmp_path / "project", emulator)
    project.edit_config(estate)
    project.edit_config(every_grant_with_a_scope)
    scoped = Scoped(emulator, project)
    scoped.use(Command.UP)
    project.up()
    deployed = {r["urn"]: r["id"] for r in json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
                if r["type"].startswith("auth0:index/")}

    # The state is lost (the stack file is kept).
    project.run("stack", "rm", "--yes", "--force", "--preserve-config")
    project.run("stack", "init")
    scoped.use(Command.IMPORT_STATE_ONLY)
    repaired = scoped.tool("import", "--state-only")
    assert "0 do not exist" in repaired.stdout, repaired.stdout
    scoped.record(Command.IMPORT_STATE_ONLY)
    assert {r["urn"]: r["id"] for r in json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
            if r["type"].startswith("auth0:index/")} == deployed

    # Something new in the stack: `up --fast` looks for it in the tenant first, then deploys without checkpoints.
    project.edit_config(lambda e: e["applications"].append(
        {"name": "extra", "grants": [{"api": "orders", "organization_usage": "require", "organizations": ["acme"]}]}))
    scoped.use(Command.UP_FAST)
    scoped.tool("up", "--fast", "--skip-preview")
    scoped.record(Command.UP_FAST)
    project.preview("--expect-no-changes")
    project.access_check()

    # An application made in the dashboard, adopted into the stack file and the state.
    client_id = outsider(emulator)
    scoped.use(Command.IMPORT)
    imported = scoped.tool("import", "--select", "outsider")
    assert client_id in project.run("stack", "export").stdout, imported.stdout
    scoped.record(Command.IMPORT)
    project.preview("--expect-no-changes")

    writes = {route for command in (Command.IMPORT, Command.IMPORT_STATE_ONLY) for route in scoped.routes[command]
              if not route.startswith("GET ") and route != "POST /oauth/token"}
    assert writes == set(), writes
    needs = StackNeeds(True, True, True)
    for command, routes in scoped.routes.items():
        left = unneeded(set(required_scopes(command, needs)), routes)  # (every request was allowed by one of them)
        # `up --fast` is `import --state-only` then `up`: each of its scopes is proven needed by those, above.
        if command is not Command.UP_FAST:
            assert left == set(), (command, sorted(routes))


@pytest.mark.parametrize("command, args, scope", [
    (Command.IMPORT, ("import",), "read:organization_client_grants"),
    (Command.IMPORT_STATE_ONLY, ("import", "--state-only"), "read:client_keys"),
    (Command.UP_FAST, ("up", "--fast", "--skip-preview"), "read:client_keys"),
])
def test_adoption_without_one_documented_scope_stops_naming_it_before_anything(tmp_path, emulator, command, args, scope):
    project = PulumiProject(tmp_path / "project", emulator)
    project.up()
    project.run("stack", "rm", "--yes", "--force", "--preserve-config")
    project.run("stack", "init")
    scoped = Scoped(emulator, project)
    scoped.use(command, without=scope)
    stack_file = project.stack_file.read_bytes()
    result = scoped.tool(*args, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"lacks 1 scope that `{command.value}` needs for this stack: {scope} (" in output, output
    assert "Traceback" not in output
    assert emulator.requests()["by_route"].keys() <= {"POST /oauth/token"}  # its token request, nothing else
    assert project.stack_file.read_bytes() == stack_file
    assert not json.loads(project.run("stack", "export").stdout)["deployment"].get("resources")


KEY_APP = "gateway"
SECRET_APP = "ledger"
KEY_PAIRS = {"first": KeyPair(), "second": KeyPair()}


def keyed_estate(e: dict) -> None:
    """One private_key_jwt application (its keys are client credentials) and one with a secret."""
    e["organizations"] = {}
    e["apis"] = {"orders": {"identifier": ORDERS}}
    e["applications"] = [
        {"name": KEY_APP, "authentication_method": "private_key_jwt",
         "public_keys": [{"name": "first", "pem_file": f"keys/{KEY_APP}-first.pub.pem"}],
         "grants": [{"api": "orders", "scopes": ["read:orders"]}]},
        {"name": SECRET_APP, "grants": [{"api": "orders", "scopes": ["read:orders"]}]},
    ]


def set_public_keys(*keys: dict):
    def change(e: dict) -> None:
        next(a for a in e["applications"] if a["name"] == KEY_APP)["public_keys"] = list(keys)
    return change


def test_key_credentials_and_secret_rotation_run_with_exactly_their_documented_scopes(tmp_path, emulator):
    """A stack with a private_key_jwt application: its keys added, re-dated and removed by `up`, the other
    application's secret rotated and the stack destroyed, each with exactly the documented scopes, each needed;
    without one, the command stops naming it."""
    resource = emulator.management("POST", "/resource-servers", json={"identifier": ORDERS, "name": "orders",
                                                                     "scopes": [{"value": "read:orders"}]})
    assert resource.status_code == 201, resource.text
    project = PulumiProject(tmp_path / "project", emulator)
    for name, key in KEY_PAIRS.items():
        key.write_public(project.root, f"keys/{KEY_APP}-{name}.pub.pem")
    project.edit_config(keyed_estate)
    scoped = Scoped(emulator, project)
    needs = StackNeeds.of(scoped.config())
    assert needs == StackNeeds(False, False, False, key_credentials=True)

    scoped.use(Command.UP)
    project.up()
    scoped.record(Command.UP)
    first = {"name": "first", "pem_file": f"keys/{KEY_APP}-first.pub.pem"}
    second = {"name": "second", "pem_file": f"keys/{KEY_APP}-second.pub.pem"}
    for step in (set_public_keys(first, second), set_public_keys({**second, "expires_at": "2099-01-31T00:00:00Z"})):
        project.edit_config(step)
        scoped.use(Command.UP)
        project.up()
        scoped.record(Command.UP)

    # Without one of its scopes, rotate-secret stops before it rotates anything, naming the scope.
    scoped.use(Command.ROTATE_SECRET, without="update:client_keys")
    refused = scoped.tool("rotate-secret", SECRET_APP, "--yes", check=False)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "update:client_keys" in refused.stderr and "Traceback" not in refused.stderr
    assert not any(route.startswith("POST /api/v2/clients/") for route in emulator.requests()["by_route"])

    scoped.use(Command.ROTATE_SECRET)
    scoped.tool("rotate-secret", SECRET_APP, "--yes")
    scoped.record(Command.ROTATE_SECRET)

    # Without delete:client_credentials, `up` stops before it changes anything (the program checks its scopes).
    project.edit_config(set_public_keys(second))
    scoped.use(Command.UP, without="delete:client_credentials")
    stopped = project.run("up", "--yes", "--skip-preview", check=False)
    assert stopped.returncode != 0 and "delete:client_credentials" in stopped.stdout + stopped.stderr
    assert not any(not route.startswith(("GET ", "POST /oauth/token")) for route in emulator.requests()["by_route"])

    scoped.use(Command.UP)
    project.up()
    scoped.record(Command.UP)
    project.preview("--expect-no-changes")

    scoped.use(Command.DESTROY)
    project.run("destroy", "--yes", "--skip-preview")
    scoped.record(Command.DESTROY)
    assert not {c["name"] for c in emulator.state()["clients"]} & {KEY_APP, SECRET_APP}

    # The scopes this stack adds (its key credentials) and rotate-secret's own were each needed by some request
    # (the scopes every stack needs are proven by the test above, whose stack changes everything).
    proven_here = {
        Command.UP: {"create:client_credentials", "update:client_credentials", "delete:client_credentials"},
        Command.DESTROY: {"delete:client_credentials"},
        Command.ROTATE_SECRET: {"update:client_keys", "read:client_keys"},
    }
    for command, scopes in proven_here.items():
        assert not scopes & unneeded(set(required_scopes(command, needs)), scoped.routes[command]), command
