"""An existing tenant, made directly through the Management API (never through Pulumi), as a platform team's
scripts or the dashboard would have made it: the estate `auth0-m2m import` adopts in the integration tests.

What it holds (``seed_existing_tenant``):
- every combination of grant usage (deny / allow / require) x allow_any_organization x authorized
  organizations (none / two) x default organization (none / set), one application each; the combinations the
  stack file's rules refuse (dead or contradictory access) are expected to be skipped with their reason;
- filler applications up to more than 60 M2M applications, each with a grant authorized for the organization
  ``bigco``, which ends up with more than 60 authorized grants (beyond the 50 of a first page);
- two M2M applications with the same Auth0 name;
- one application with a setting the stack file cannot express (an extra grant type);
- grants created without organization_usage and with scopes in no particular order (as Auth0 keeps them);
- one client that is not an M2M application (a single-page app), which must be left alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Optional

from .harness import Emulator

APIS = {
    "https://orders.example.com/": ["read:orders", "write:orders", "export:orders"],
    "https://billing.example.com/": ["read:invoices", "write:invoices"],
    "https://reports.example.com/api": ["read:reports"],
}
ORDERS, BILLING, REPORTS = APIS
ORGANIZATIONS = ["acme", "globex", "initech", "umbrella", "bigco"]


@dataclass
class SeededApplication:
    name: str
    client_id: str
    grants: dict[str, dict] = field(default_factory=dict)  # audience -> grant
    importable: bool = True
    """False when the stack file's rules or model cannot express it (the import must skip it)."""


@dataclass
class SeededTenant:
    organizations: dict[str, str] = field(default_factory=dict)  # name -> id
    applications: list[SeededApplication] = field(default_factory=list)
    other_clients: list[str] = field(default_factory=list)

    def importable(self) -> list[SeededApplication]:
        return [app for app in self.applications if app.importable]

    def skipped(self) -> list[SeededApplication]:
        return [app for app in self.applications if not app.importable]


class Seeder:
    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self.tenant = SeededTenant()

    def ok(self, method: str, path: str, **body: Any) -> dict:
        response = self.emulator.management(method, path, json=body)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else {}

    def organizations(self) -> None:
        for name in ORGANIZATIONS:
            self.tenant.organizations[name] = self.ok("POST", "/organizations", name=name, display_name=name.title())["id"]

    def apis(self) -> None:
        for identifier, scopes in APIS.items():
            self.ok("POST", "/resource-servers", identifier=identifier, name=identifier,
                    scopes=[{"value": s, "description": s} for s in scopes])

    def application(self, name: str, *, importable: bool = True, default_organization: Optional[str] = None,
                    **client: Any) -> SeededApplication:
        body = {"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "client_secret_post", **client}
        if default_organization:
            body["default_organization"] = {"organization_id": self.tenant.organizations[default_organization],
                                            "flows": ["client_credentials"]}
        created = self.ok("POST", "/clients", **body)
        app = SeededApplication(name, created["client_id"], importable=importable)
        self.tenant.applications.append(app)
        return app

    def grant(self, app: SeededApplication, audience: str, organizations: tuple[str, ...] = (), **fields: Any) -> dict:
        grant = self.ok("POST", "/client-grants", client_id=app.client_id, audience=audience, **fields)
        for org in organizations:
            self.ok("POST", f"/organizations/{self.tenant.organizations[org]}/client-grants", grant_id=grant["id"])
        app.grants[audience] = grant
        return grant


def seed_existing_tenant(emulator: Emulator, filler: int = 40) -> SeededTenant:
    seeder = Seeder(emulator)
    seeder.organizations()
    seeder.apis()

    # Every combination of usage x any organization x authorized organizations x default organization.
    for usage, any_org, orgs, default in itertools.product(
        ("deny", "allow", "require"), (False, True), ((), ("acme", "globex")), (None, "acme")
    ):
        valid = True
        if usage == "deny" and (any_org or orgs):
            valid = False  # Auth0 refuses organizations on deny grants: dead or contradictory access
        if default and (usage != "require" or not (any_org or "acme" in orgs)):
            valid = False  # a default organization that never applies
        name = f"combo {usage} any={str(any_org).lower()} orgs={len(orgs)} default={default or 'none'}"
        app = seeder.application(name, importable=valid, default_organization=default,
                                 description=f"{usage} / any organization: {any_org}", client_metadata={"owner": "seed"})
        fields: dict[str, Any] = {"scope": ["write:orders", "read:orders"], "organization_usage": usage}
        if any_org:
            fields["allow_any_organization"] = True
        seeder.grant(app, ORDERS, orgs, **fields)
        # A second grant as old scripts made them: no organization_usage at all (Auth0 reads it as deny).
        seeder.grant(app, REPORTS, scope=["read:reports"])

    # Filler: more than 60 M2M applications in all, each authorized for bigco (more than 60 grants on it).
    for n in range(filler):
        app = seeder.application(f"Service {n:02d}", description="" if n % 2 else f"Service number {n}")
        seeder.grant(app, BILLING, ("bigco",) if n % 3 else ("bigco", "initech"),
                     scope=["write:invoices", "read:invoices"], organization_usage="allow")
    for n in range(30):
        app = seeder.tenant.applications[24 + n]
        seeder.grant(app, ORDERS, ("bigco",), scope=["read:orders"], organization_usage="require",
                     allow_any_organization=n % 5 == 0)

    # Two M2M applications sharing one Auth0 name (told apart by their pinned client ids once imported).
    for audience in (ORDERS, BILLING):
        twin = seeder.application("Data Export", description=f"exports for {audience}")
        seeder.grant(twin, audience, ("umbrella",), scope=[APIS[audience][0]], organization_usage="allow")

    # A setting the stack file cannot express: an extra grant type.
    legacy = seeder.application("Legacy Password Sync", importable=False,
                                grant_types=["client_credentials", "password"])
    seeder.grant(legacy, ORDERS, scope=["read:orders"], organization_usage="deny")

    # Not an M2M application: a single-page app, left alone.
    spa = seeder.ok("POST", "/clients", name="Customer Portal", app_type="spa", callbacks=["https://portal.example.com/cb"])
    seeder.tenant.other_clients.append(spa["client_id"])
    return seeder.tenant
