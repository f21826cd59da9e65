"""Recovering a stack after an interrupted `pulumi up` without duplicates or lost objects.

When the CLI dies mid-way, Pulumi records the creates it had started as *pending*: the object may or
may not exist in the tenant. Clearing them blindly makes the next `up` create a second client with the
same name, or fail with 409 on an organization link that already exists. Instead, each pending create is
looked up in the tenant by its stable identity (client name; client + audience; organization + grant;
organization name; API identifier) and handed to `pulumi refresh --import-pending-creates`; only the
ones that provably do not exist are cleared.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

from rich.table import Table

from .management import TenantIndex, is_m2m_client
from .pulumi_cli import pulumi_read


@dataclass(frozen=True)
class PendingCreate:
    urn: str
    type: str
    inputs: dict

    @property
    def name(self) -> str:
        return self.urn.split("::")[-1]


@dataclass(frozen=True)
class Resolution:
    pending: PendingCreate
    id: Optional[str]
    note: str


def pending_creates(deployment: dict) -> list[PendingCreate]:
    operations = deployment.get("deployment", deployment).get("pending_operations") or []
    return [
        PendingCreate(op["resource"]["urn"], op["resource"]["type"], op["resource"].get("inputs") or {})
        for op in operations
        if op.get("type") == "creating"
    ]


def resolve(
    pending: PendingCreate, tenant: TenantIndex, known_ids: set[str], pinned: Optional[dict[str, str]] = None
) -> Resolution:
    """Find the tenant object a pending create may have made; None when it provably does not exist.

    Lookups go through the shared tenant reader with the same identities ``import --state-only`` uses; a client
    whose application pins its ``client_id`` (``pinned``: application name -> client id) is found by that id.
    """
    inputs = pending.inputs
    kind = pending.type
    if kind == "auth0:index/client:Client":
        pinned_id = (pinned or {}).get(pending.name)
        if pinned_id:
            found = tenant.client(pinned_id)
            return Resolution(pending, pinned_id if found else None, "client found by its pinned client id")
        others = set((pinned or {}).values())
        candidates = [
            c["client_id"] for c in tenant.clients_named(inputs["name"])
            if c["client_id"] not in known_ids and c["client_id"] not in others and is_m2m_client(c)
        ]
        if len(candidates) > 1:
            raise RuntimeError(
                f"{pending.urn}: {len(candidates)} clients named {inputs['name']!r} that no stack resource owns; "
                "delete the extra ones in the tenant (or pin the right one with client_id), then run recover again"
            )
        return Resolution(pending, candidates[0] if candidates else None, "client found by name")
    if kind == "auth0:index/clientCredentials:ClientCredentials":
        # The credentials resource is the client's authentication settings: its id is the client id.
        return Resolution(pending, inputs.get("clientId"), "credentials of the client")
    if kind == "auth0:index/clientGrant:ClientGrant":
        grant = tenant.grant(inputs["clientId"], inputs["audience"])
        return Resolution(pending, grant["id"] if grant else None, "grant found by client and audience")
    if kind == "auth0:index/organizationClientGrant:OrganizationClientGrant":
        org, grant_id = inputs["organizationId"], inputs["grantId"]
        linked = tenant.is_linked(org, grant_id)
        return Resolution(pending, f"{org}::{grant_id}" if linked else None, "link found on the organization")
    if kind == "auth0:index/organization:Organization":
        found = tenant.organization_named(inputs["name"])
        return Resolution(pending, found["id"] if found else None, "organization found by name")
    if kind == "auth0:index/resourceServer:ResourceServer":
        server = tenant.resource_server(inputs["identifier"])
        return Resolution(pending, server["id"] if server else None, "API found by identifier")
    if kind == "auth0:index/resourceServerScopes:ResourceServerScopes":
        identifier = inputs["resourceServerIdentifier"]
        exists = tenant.resource_server(identifier) is not None
        return Resolution(pending, identifier if exists else None, "scopes of the API")
    raise RuntimeError(f"{pending.urn}: no recovery rule for resource type {kind}; resolve it by hand")


def state_ids(deployment: dict) -> set[str]:
    resources = deployment.get("deployment", deployment).get("resources") or []
    return {r["id"] for r in resources if r.get("id")}


def refresh_arguments(resolutions: list[Resolution]) -> list[str]:
    """`pulumi refresh` arguments that import what exists and clear what provably does not."""
    args: list[str] = []
    found = [r for r in resolutions if r.id]
    for r in found:
        # A flag per value: the CLI reads the list as URN, ID, URN, ID, ...
        args += ["--import-pending-creates", r.pending.urn, "--import-pending-creates", r.id]
    if len(found) < len(resolutions):
        args.append("--clear-pending-creates")
    return args


_LOCK = re.compile(r"created by (?P<user>[^@\s]+)@(?P<host>\S+) \(pid (?P<pid>\d+)\)")


def stale_lock_holder(message: str) -> Optional[int]:
    """The pid of a lock holder named in a Pulumi "stack is currently locked" error, if that process
    ran on this host and is gone (the CLI was killed); None when the lock may still be in use."""
    if "currently locked" not in message:
        return None
    match = _LOCK.search(message)
    if not match or match.group("host") != socket.gethostname():
        return None
    pid = int(match.group("pid"))
    return pid if _process_gone(pid) else None


def _process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs: no such process, or a zombie. A killed ``pulumi`` whose parent was killed
    with it stays a zombie until init reaps it, and a zombie holds no lock."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            state = handle.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


def export_stack(stack: str, cwd: Optional[str] = None) -> dict:
    return json.loads(pulumi_read(stack, "stack", "export", cwd=cwd))


def resolve_pending(
    deployment: dict, tenant: TenantIndex, pinned: Optional[dict[str, str]] = None
) -> list[Resolution]:
    """Every pending create of an exported stack, looked up in the tenant."""
    known = state_ids(deployment)
    return [resolve(p, tenant, known, pinned) for p in pending_creates(deployment)]


def render_resolutions(stack: str, resolutions: list[Resolution]) -> Table:
    table = Table(title=f"Pending creates of stack {stack}")
    for column in ("resource", "type", "in the tenant", "action"):
        table.add_column(column)
    for r in resolutions:
        table.add_row(r.pending.name, r.pending.type.split(":")[-1], r.id or "not found", "import" if r.id else "clear")
    return table


def refresh(
    stack: str,
    project_dir: Union[str, Path],
    resolutions: list[Resolution],
    say: Callable[[str], None] = print,
) -> subprocess.CompletedProcess:
    """`pulumi refresh` importing what the pending creates made and clearing the rest.

    When the interrupted CLI (a dead process on this host) left its lock behind, the lock is removed
    and the refresh runs again; a lock held by a live process or another host is left alone.
    """
    args = ["pulumi", "refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]
    args += refresh_arguments(resolutions) if resolutions else []
    result = subprocess.run(args, cwd=project_dir, stderr=subprocess.PIPE, text=True)
    dead = stale_lock_holder(result.stderr)
    if dead is not None:
        say(f"removing the lock left by the interrupted pulumi process {dead}")
        subprocess.run(["pulumi", "cancel", "--yes", "--stack", stack], cwd=project_dir, check=True)
        result = subprocess.run(args, cwd=project_dir, stderr=subprocess.PIPE, text=True)
    return result
