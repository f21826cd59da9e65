"""The Auth0 Management API scopes each command needs for a stack, and why: the one table of them.

What the auth0 provider (the project's build) and the project's tools call, per command, measured against the
local tenant, which enforces scopes per route as Auth0 does: ``tests/integration/test_least_privilege.py`` runs
each command with a management client holding exactly these scopes, checks that every one of them was needed,
and that without any one of them the command stops with a message naming it. The program checks its token's
scopes before ``pulumi up`` registers anything; ``auth0-m2m scopes --check COMMAND`` does it before any command;
``recover`` before it reads. The README's table is rendered from this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Mapping

from .config import StackConfig


class Command(str, Enum):
    """The commands that may call the tenant's Management API."""

    PREVIEW = "preview"
    PREVIEW_REFRESH = "preview --refresh"
    REFRESH = "refresh"
    UP = "up"
    DESTROY = "destroy"
    RECOVER = "recover"
    IMPORT = "import"
    IMPORT_STATE_ONLY = "import --state-only"
    UP_FAST = "up --fast"
    ROTATE_SECRET = "rotate-secret"
    ACCESS_CHECK = "access-check"
    REPORT = "report"
    DIFF = "diff"


@dataclass(frozen=True)
class StackNeeds:
    """What in a stack decides which scopes its commands need."""

    managed_organizations: bool
    """The stack creates organizations (``manage: true``)."""
    managed_apis: bool
    """The stack creates APIs (``manage: true``)."""
    organization_lookups: bool
    """An application refers to an organization given neither an id nor ``manage``: it is looked up by name."""
    key_credentials: bool = False
    """An application authenticates with ``private_key_jwt``: its public keys are client credentials."""

    @classmethod
    def of(cls, config: StackConfig) -> "StackNeeds":
        used = {org for app in config.applications for grant in app.grants for org in grant.organizations}
        used |= {app.default_organization for app in config.applications if app.default_organization}
        return cls(
            managed_organizations=any(org.manage for org in config.organizations.values()),
            managed_apis=any(api.manage for api in config.apis.values()),
            organization_lookups=any(
                not org.manage and org.id is None for name, org in config.organizations.items() if name in used
            ),
            key_credentials=any(app.public_keys for app in config.applications),
        )


# Scope -> why, per command, for every stack.
_ALWAYS: Mapping[Command, Mapping[str, str]] = {
    Command.PREVIEW: {},
    Command.REFRESH: {
        "read:client_keys": "read each client and its secret (without it a refresh records every client secret "
        "as empty, and the next `up` exports empty secrets)",
        "read:client_grants": "read each client grant",
        "read:organization_client_grants": "read each organization's authorization of a grant",
    },
    Command.UP: {
        "read:client_keys": "read each client, and its secret after creating it (without it the secrets in the "
        "stack outputs stay empty and every token request fails)",
        "create:clients": "create the applications' clients",
        "update:clients": "set a client's default organization and authentication method",
        "delete:clients": "delete the clients of removed applications",
        "read:client_grants": "find and read client grants",
        "create:client_grants": "create client grants",
        "update:client_grants": "change a grant's scopes and organization settings",
        "delete:client_grants": "delete removed grants",
        "read:organization_client_grants": "read organization authorizations",
        "create:organization_client_grants": "authorize organizations for a grant",
        "delete:organization_client_grants": "revoke organization authorizations",
    },
    Command.DESTROY: {
        "read:clients": "read each client before its credentials are removed",
        "update:clients": "reset a client's authentication method",
        "delete:clients": "delete the clients",
        "delete:client_grants": "delete the client grants",
        "delete:organization_client_grants": "revoke the organization authorizations",
    },
    Command.RECOVER: {
        "read:client_keys": "find clients by name, and import a client's secret",
        "read:client_grants": "find grants by client and audience, and refresh them",
        "read:organization_client_grants": "find organization authorizations, and refresh them",
    },
    Command.IMPORT: {
        "read:client_keys": "list the tenant's applications, and import each client with its secret (without it "
        "the imported secrets stay empty and the access check fails)",
        "read:client_grants": "list the applications' client grants",
        "read:organizations": "name the organizations the grants are authorized for",
        "read:organization_client_grants": "list each grant's organization authorizations",
    },
    Command.IMPORT_STATE_ONLY: {
        "read:client_keys": "find each application's client by name, and import it with its secret",
        "read:client_grants": "find each grant by client and audience",
        "read:organization_client_grants": "find each organization authorization",
    },
    Command.ROTATE_SECRET: {
        "update:client_keys": "rotate the application's client secret (Auth0's rotate-secret)",
        "read:client_keys": "read the new secret into the state (a refresh of the stack)",
    },
    Command.ACCESS_CHECK: {},
    Command.REPORT: {},
    Command.DIFF: {},
}

_KEY_CREDENTIALS: Mapping[Command, Mapping[str, str]] = {
    Command.UP: {
        "create:client_credentials": "register a private_key_jwt application's public keys",
        "update:client_credentials": "change a registered key's expiry",
        "delete:client_credentials": "remove a key taken out of the stack file (after the new one is attached)",
    },
    Command.DESTROY: {"delete:client_credentials": "delete the registered public keys"},
}

_MANAGED_ORGANIZATIONS: Mapping[Command, Mapping[str, str]] = {
    Command.REFRESH: {"read:organizations": "read the organizations the stack creates"},
    Command.UP: {
        "read:organizations": "read the organizations the stack creates",
        "create:organizations": "create organizations",
        "update:organizations": "change an organization's display name",
        "delete:organizations": "delete removed organizations",
    },
    Command.DESTROY: {"delete:organizations": "delete the organizations the stack created"},
    Command.RECOVER: {"read:organizations": "find organizations by name, and refresh them"},
    Command.IMPORT_STATE_ONLY: {"read:organizations": "find the organizations the stack creates, by name"},
}

_MANAGED_APIS: Mapping[Command, Mapping[str, str]] = {
    Command.REFRESH: {"read:resource_servers": "read the APIs the stack creates"},
    Command.UP: {
        "read:resource_servers": "read the APIs the stack creates",
        "create:resource_servers": "create APIs",
        "update:resource_servers": "set an API's scopes and settings",
        "delete:resource_servers": "delete removed APIs",
    },
    Command.DESTROY: {
        "update:resource_servers": "remove an API's scopes",
        "delete:resource_servers": "delete the APIs the stack created",
    },
    Command.RECOVER: {"read:resource_servers": "find APIs by identifier, and refresh them"},
    Command.IMPORT_STATE_ONLY: {"read:resource_servers": "find the APIs the stack creates, by identifier"},
}

_LOOKUP = {
    "read:organizations": "look up organizations given by name",
    "read:organization_client_grants": "the lookup also reads the organization's authorized grants",
    "read:organization_members": "the lookup also reads the organization's members",
    "read:organization_connections": "the lookup also reads the organization's connections",
}
# Commands that run the program, which looks organizations up by name.
# (`recover`, `import` and `up --fast` adopt existing objects with an update that runs it.)
_RUNS_PROGRAM = {
    Command.PREVIEW, Command.PREVIEW_REFRESH, Command.UP, Command.UP_FAST, Command.RECOVER, Command.IMPORT,
    Command.IMPORT_STATE_ONLY, Command.ROTATE_SECRET,
}
# Commands made of others: `up --fast` first adopts what an interrupted fast deploy created (the state-only
# repair), then deploys.
_COMBINED = {
    Command.PREVIEW_REFRESH: (Command.REFRESH, Command.PREVIEW),
    Command.UP_FAST: (Command.IMPORT_STATE_ONLY, Command.UP),
}
# Commands that also run another: `rotate-secret` stores the new secret with a refresh that runs the program.
_INCLUDES = {Command.ROTATE_SECRET: Command.REFRESH}


def required_scopes(command: Command | str, needs: StackNeeds) -> dict[str, str]:
    """Scope -> why, for ``command`` on a stack with ``needs``; sorted by scope."""
    command = Command(command)
    if command in _COMBINED:
        merged: dict[str, str] = {}
        for part in _COMBINED[command]:
            merged.update(required_scopes(part, needs))
        return dict(sorted(merged.items()))
    scopes = dict(required_scopes(_INCLUDES[command], needs)) if command in _INCLUDES else {}
    scopes.update(_ALWAYS[command])
    if needs.key_credentials:
        scopes.update(_KEY_CREDENTIALS.get(command, {}))
    if needs.managed_organizations:
        scopes.update(_MANAGED_ORGANIZATIONS.get(command, {}))
    if needs.managed_apis:
        scopes.update(_MANAGED_APIS.get(command, {}))
    if needs.organization_lookups and command in _RUNS_PROGRAM:
        for scope, why in _LOOKUP.items():
            scopes.setdefault(scope, why)
    return dict(sorted(scopes.items()))


def scopes_for(command: Command | str, config: StackConfig) -> dict[str, str]:
    """Scope -> why, for ``command`` on the stack ``config``."""
    return required_scopes(command, StackNeeds.of(config))


def missing_scopes_message(
    command: Command | str, missing: Mapping[str, str], who: str, source: str
) -> str:
    """The one message for a credential without scopes a command needs (names each scope and why)."""
    listed = "; ".join(f"{scope} ({why})" for scope, why in sorted(missing.items()))
    return (
        f"{source}: the Management API client {who} lacks {len(missing)} scope{'s' if len(missing) != 1 else ''} "
        f"that `{Command(command).value}` needs for this stack: {listed}. Add "
        f"{'them' if len(missing) != 1 else 'it'} to the client's grant on the Auth0 Management API (Dashboard: "
        "Applications > APIs > Auth0 Management API > Machine To Machine Applications), then run it again; "
        "`auth0-m2m scopes` lists what each command needs."
    )


def markdown_table() -> str:
    """The README's table: per command, the scopes every stack needs, and those added by what a stack contains."""
    base = StackNeeds(False, False, False)
    rows = ["| command | every stack | + organizations it creates | + APIs it creates | + organizations looked up by name "
            "| + private_key_jwt applications |",
            "|---|---|---|---|---|---|"]

    def cell(scopes) -> str:
        return " ".join(f"`{s}`" for s in sorted(scopes)) or "-"

    for command in Command:
        always = set(required_scopes(command, base))
        extra = [
            set(required_scopes(command, StackNeeds(**{**vars(base), field: True}))) - always
            for field in ("managed_organizations", "managed_apis", "organization_lookups", "key_credentials")
        ]
        rows.append(f"| `{command.value}` | {cell(always) if always else 'none'} | " + " | ".join(map(cell, extra)) + " |")
    return "\n".join(rows) + "\n"
