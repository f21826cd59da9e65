"""Recovery after an interrupted `pulumi up` (auth0_m2m.tools.recovery), without a tenant or the Pulumi CLI.

Each pending create is resolved by its stable identity in the tenant (a stand-in ManagementClient answering
like test_management.py's tenant), turned into `pulumi refresh` arguments, and a dead CLI's lock is removed.
"""

from __future__ import annotations

import os
import socket
import subprocess
from typing import Optional

import pytest
from rich.console import Console

from auth0_m2m.tools import recovery
from auth0_m2m.tools.recovery import PendingCreate, Resolution
from tests.type_tokens import API, CLIENT, CREDENTIALS, GRANT, LINK, ORG, SCOPES


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:prod::auth0-m2m::auth0-m2m:index:Estate$auth0-m2m:index:M2MApplication${type_}::{name}"


class FakeTenant:
    """What the tenant holds, looked up the way TenantIndex (the shared tenant reader) looks it up."""

    def __init__(self, clients=None, grants=None, links=(), organizations=None, servers=None):
        self.clients = clients or {}  # client id -> name (all machine-to-machine clients)
        self.grants = grants or {}  # (client id, audience) -> grant id
        self.links = set(links)  # (organization id, grant id)
        self.organizations = organizations or {}  # name -> id
        self.servers = servers or {}  # identifier -> id

    def _client(self, client_id: str) -> dict:
        return {"client_id": client_id, "name": self.clients[client_id], "app_type": "non_interactive",
                "grant_types": ["client_credentials"]}

    def clients_named(self, name: str) -> list[dict]:
        return [self._client(cid) for cid, n in self.clients.items() if n == name]

    def client(self, client_id: str) -> Optional[dict]:
        return self._client(client_id) if client_id in self.clients else None

    def grant(self, client_id: str, audience: str) -> Optional[dict]:
        grant_id = self.grants.get((client_id, audience))
        return {"id": grant_id, "client_id": client_id, "audience": audience} if grant_id else None

    def is_linked(self, organization_id: str, grant_id: str) -> bool:
        return (organization_id, grant_id) in self.links

    def organization_named(self, name: str) -> Optional[dict]:
        org_id = self.organizations.get(name)
        return {"id": org_id, "name": name} if org_id else None

    def resource_server(self, identifier: str) -> Optional[dict]:
        server_id = self.servers.get(identifier)
        return {"id": server_id, "identifier": identifier} if server_id else None


TENANT = FakeTenant(
    clients={"cNEW": "billing-sync", "cOWNED": "report-exporter", "cTWIN1": "twin", "cTWIN2": "twin"},
    grants={("cNEW", "https://orders/"): "cgr_1"},
    links={("org_acme", "cgr_1")},
    organizations={"acme": "org_acme"},
    servers={"https://orders/": "6894ae0acd67e3bcfe2a6f33"},
)


@pytest.mark.parametrize(
    "type_, inputs, expected",
    [
        (CLIENT, {"name": "billing-sync"}, "cNEW"),
        (CLIENT, {"name": "never-created"}, None),
        # The only client of that name belongs to another resource of the stack: not a leftover of this create.
        (CLIENT, {"name": "report-exporter"}, None),
        (CREDENTIALS, {"clientId": "cNEW"}, "cNEW"),
        (GRANT, {"clientId": "cNEW", "audience": "https://orders/"}, "cgr_1"),
        (GRANT, {"clientId": "cNEW", "audience": "https://billing/"}, None),
        (LINK, {"organizationId": "org_acme", "grantId": "cgr_1"}, "org_acme::cgr_1"),
        (LINK, {"organizationId": "org_globex", "grantId": "cgr_1"}, None),
        (ORG, {"name": "acme"}, "org_acme"),
        (ORG, {"name": "globex"}, None),
        (API, {"identifier": "https://orders/"}, "6894ae0acd67e3bcfe2a6f33"),
        (SCOPES, {"resourceServerIdentifier": "https://orders/"}, "https://orders/"),
        (SCOPES, {"resourceServerIdentifier": "https://gone/"}, None),
    ],
)
def test_each_pending_create_is_looked_up_by_its_stable_identity(type_, inputs, expected):
    resolution = recovery.resolve(PendingCreate(urn(type_, "x"), type_, inputs), TENANT, known_ids={"cOWNED"})
    assert resolution.id == expected


def test_two_unowned_clients_with_one_name_are_reported_not_guessed_between():
    with pytest.raises(RuntimeError, match=r"2 clients named 'twin' that no stack resource owns; delete the extra"):
        recovery.resolve(PendingCreate(urn(CLIENT, "twin"), CLIENT, {"name": "twin"}), TENANT, known_ids=set())


def test_a_type_without_a_rule_is_left_to_the_operator():
    with pytest.raises(RuntimeError, match="no recovery rule for resource type auth0:index/role:Role"):
        recovery.resolve(PendingCreate("urn:x::r", "auth0:index/role:Role", {}), TENANT, known_ids=set())


DEPLOYMENT = {
    "version": 3,
    "deployment": {
        "resources": [
            {"urn": urn(CLIENT, "report-exporter"), "type": CLIENT, "id": "cOWNED"},
            {"urn": "urn:pulumi:prod::auth0-m2m::pulumi:pulumi:Stack::auth0-m2m-prod", "type": "pulumi:pulumi:Stack"},
        ],
        "pending_operations": [
            {"resource": {"urn": urn(CLIENT, "billing-sync"), "type": CLIENT, "inputs": {"name": "billing-sync"}},
             "type": "creating"},
            {"resource": {"urn": urn(GRANT, "billing-sync/https://billing/"), "type": GRANT,
                          "inputs": {"clientId": "cNEW", "audience": "https://billing/"}}, "type": "creating"},
            {"resource": {"urn": urn(CLIENT, "old"), "type": CLIENT, "inputs": {"name": "old"}}, "type": "deleting"},
        ],
    },
}


def test_pending_creates_and_known_ids_come_from_the_exported_state():
    pending = recovery.pending_creates(DEPLOYMENT)
    assert [p.name for p in pending] == ["billing-sync", "billing-sync/https://billing/"]
    assert recovery.state_ids(DEPLOYMENT) == {"cOWNED"}
    # `pulumi stack export` writes {"version", "deployment"}; the inner object alone works too.
    assert recovery.pending_creates(DEPLOYMENT["deployment"]) == pending


def test_refresh_imports_what_exists_and_clears_only_when_something_provably_does_not():
    found, missing = recovery.resolve_pending(DEPLOYMENT, TENANT)
    assert (found.id, missing.id) == ("cNEW", None)
    assert recovery.refresh_arguments([found, missing]) == [
        "--import-pending-creates", found.pending.urn, "--import-pending-creates", "cNEW", "--clear-pending-creates"]
    assert recovery.refresh_arguments([found]) == ["--import-pending-creates", found.pending.urn,
                                                   "--import-pending-creates", "cNEW"]
    assert recovery.refresh_arguments([missing]) == ["--clear-pending-creates"]


def test_the_resolutions_table_says_what_will_happen():
    found, missing = recovery.resolve_pending(DEPLOYMENT, TENANT)
    console = Console(record=True, width=200)
    console.print(recovery.render_resolutions("prod", [found, missing]))
    text = console.export_text()
    assert "Pending creates of stack prod" in text
    assert "billing-sync " in text and "cNEW" in text and "import" in text
    assert "not found" in text and "clear" in text


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def lock_message(host: str, pid: int) -> str:
    return (f"error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or "
            f"delete the lock file with `pulumi cancel`.\n  file:///state/.pulumi/locks/x.json: created by "
            f"runner@{host} (pid {pid}) at 2026-12-02T03:00:00Z")


def test_a_lock_left_by_a_dead_process_on_this_host_is_stale():
    pid = dead_pid()
    assert recovery.stale_lock_holder(lock_message(socket.gethostname(), pid)) == pid


@pytest.mark.parametrize("case", ["live process", "other host", "not a lock error", "no holder"])
def test_other_locks_are_left_alone(case):
    message = {
        "live process": lock_message(socket.gethostname(), os.getpid()),
        "other host": lock_message("ci-runner-7", dead_pid()),
        "not a lock error": "error: update failed",
        "no holder": "error: the stack is currently locked by 1 lock(s).",
    }[case]
    assert recovery.stale_lock_holder(message) is None


def test_refresh_removes_a_dead_clis_lock_and_runs_again(monkeypatch, tmp_path):
    calls: list[list[str]] = []
    locked = lock_message(socket.gethostname(), dead_pid())

    def run(args, cwd=None, stderr=None, text=None, check=False):
        calls.append(list(args))
        refreshes = sum(1 for c in calls if c[1] == "refresh")
        failed = args[1] == "refresh" and refreshes == 1
        return subprocess.CompletedProcess(args, 255 if failed else 0, stderr=locked if failed else "")

    monkeypatch.setattr(recovery.subprocess, "run", run)
    said: list[str] = []
    found = Resolution(PendingCreate(urn(CLIENT, "billing-sync"), CLIENT, {}), "cNEW", "client found by name")
    result = recovery.refresh("prod", tmp_path, [found], say=said.append)
    assert result.returncode == 0
    assert [c[1] for c in calls] == ["refresh", "cancel", "refresh"]
    assert calls[0][:7] == ["pulumi", "refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", "prod"]
    assert calls[0][7:] == ["--import-pending-creates", found.pending.urn, "--import-pending-creates", "cNEW"]
    assert calls[1] == ["pulumi", "cancel", "--yes", "--stack", "prod"]
    assert said and "removing the lock" in said[0]


def test_refresh_does_not_cancel_a_live_lock(monkeypatch, tmp_path):
    calls: list[list[str]] = []
    live = lock_message(socket.gethostname(), os.getpid())
    monkeypatch.setattr(recovery.subprocess, "run",
                        lambda args, **kw: calls.append(list(args)) or subprocess.CompletedProcess(args, 255, stderr=live))
    result = recovery.refresh("prod", tmp_path, [], say=lambda _: None)
    assert result.returncode == 255
    assert [c[1] for c in calls] == ["refresh"]
