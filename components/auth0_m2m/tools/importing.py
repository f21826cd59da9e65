"""Adopting an existing tenant: its M2M applications, read through the Management API, as stack-file entries.

``auth0-m2m import`` reads every M2M application of the tenant (a ``non_interactive`` client with the
client-credentials grant, never the importing credential's own client), its client grants, every organization
each grant is authorized for and its default organization, and turns them into the stack file's estate:
organizations by id (no lookup at preview time), APIs as unmanaged entries keyed by their identifier, one
application entry each. Everything written passes the one validation gate.

A private_key_jwt application is imported with its public keys, which Auth0 never returns: the team gives them
(``--public-keys DIR``), matched to the tenant's credentials by key id (:mod:`auth0_m2m.tools.public_keys`); an
application whose keys are not all given is skipped with the credentials it misses. Token quotas are imported.

What the stack file cannot express (another authentication method, extra grant types, ``allow_all_scopes``,
grants of another subject type, ...) is never dropped silently or "fixed" by the next ``up``: by default such an
application is skipped with its reasons; with ``--include-unsupported`` it is imported, and the command shows
what the next ``up`` would change.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from pydantic import ValidationError

from ..contract import CLIENT_TYPE
from ..model.access import accepts_organizations, decide, default_organization_applies
from ..model.config import KEY_NAME_PATTERN, ApplicationConfig, AuthenticationMethod, KeyAlgorithm, StackConfig
from ..model.errors import StackConfigError
from ..model.key_files import KeyFileReader, repository_root, working_tree_reader
from ..model.loading import namespace_values, read_stack_bytes
from ..model.validation import validate
from .adoption import (
    AdoptionError,
    RefusedUpdates,
    Change,
    Located,
    Pulumi,
    StackState,
    adopt,
    custom_changes,
    locate,
    planned_changes,
    stack_file,
    tenant_for,
)
from .management import TenantIndex
from .public_keys import KnownKey
from .stackfile import add_estate

CLIENT_SECRET_METHODS = {m.value for m in AuthenticationMethod if m is not AuthenticationMethod.PRIVATE_KEY_JWT}
KEY_ALGORITHMS = {algorithm.value for algorithm in KeyAlgorithm}
KEY_LENGTH = 64

#: Client settings the program does not send and the provider does not keep on its own (optional, not computed,
#: in terraform-provider-auth0's schema): when a client has one set, the next `up` would clear it. Interactive
#: login settings mostly, which an M2M application normally does not have.
CLEARED_CLIENT_SETTINGS = (
    "addons", "allowed_clients", "allowed_logout_urls", "allowed_origins", "async_approval_notification_channels",
    "client_aliases", "compliance_level", "cross_origin_authentication", "cross_origin_loc", "custom_login_page",
    "encryption_key", "form_template", "initiate_login_uri", "logo_uri", "oidc_logout",
    "organization_discovery_methods", "require_proof_of_possession", "require_pushed_authorization_requests",
    "resource_server_identifier", "session_transfer", "skip_non_verifiable_callback_uri_confirmation_prompt", "sso",
    "sso_disabled", "token_exchange", "web_origins",
)


# --- names --------------------------------------------------------------------------------------------------
def slug(text: str, fallback: str) -> str:
    """A stack key from an Auth0 name or identifier: lowercase ASCII, other characters as "-", at most 64."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-z0-9._-]+", "-", ascii_text.lower())
    value = re.sub(r"-{2,}", "-", value).strip("-._")
    return value[:KEY_LENGTH].rstrip("-._") or fallback


def api_key(identifier: str) -> str:
    """The deterministic key of an API: its identifier without the scheme, slugged (``orders-example-com``)."""
    return slug(re.sub(r"^[a-z][a-z0-9+.-]*://", "", identifier.strip(), flags=re.I), "api")


def _suffixed(base: str, suffix: str) -> str:
    return f"{base[: KEY_LENGTH - len(suffix) - 1].rstrip('-._')}-{suffix}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


# --- what is read from the tenant ---------------------------------------------------------------------------
@dataclass
class TenantApplication:
    """One M2M application of the tenant, as the stack file would declare it."""

    client: dict
    grants: list[dict] = field(default_factory=list)
    """Its client grants that import as stack grants: {grant, organizations: [{id, name}]}."""
    default_organization: Optional[dict] = None
    unsupported: list[str] = field(default_factory=list)
    """Settings the stack file cannot express (the application is skipped unless --include-unsupported)."""
    never: list[str] = field(default_factory=list)
    """Reasons it cannot be imported even with --include-unsupported."""
    adjustments: list[str] = field(default_factory=list)
    """What importing it anyway leaves out or changes (shown with --include-unsupported)."""
    keys: list[tuple[dict, KnownKey, str]] = field(default_factory=list)
    """private_key_jwt: each attached credential, its public key, and its key name in the stack file."""
    key: str = ""
    pinned: bool = False
    entry: dict = field(default_factory=dict)
    """The stack-file entry (once planned)."""

    @property
    def client_id(self) -> str:
        return self.client["client_id"]

    @property
    def name(self) -> str:
        return self.client.get("name", "")

    def label(self) -> str:
        return f"{self.name!r} (client {self.client_id})"


def read_application(index: TenantIndex, client: dict, keys: Mapping[str, KnownKey] = {}) -> TenantApplication:
    """An M2M client with its grants, their organizations and its default organization, classified; ``keys``
    (key id -> public key) are the public keys the import was given for private_key_jwt applications."""
    app = TenantApplication(client=client)
    extra_grant_types = sorted(set(client.get("grant_types") or []) - {"client_credentials"})
    if extra_grant_types:
        app.unsupported.append(f"grant types besides client_credentials: {', '.join(extra_grant_types)}")
        app.adjustments.append("the next up limits its grant types to client_credentials")
    methods = {name: value for name, value in (client.get("client_authentication_methods") or {}).items() if value}
    others = sorted(set(methods) - {AuthenticationMethod.PRIVATE_KEY_JWT.value})
    if others:
        app.never.append(
            f"authenticates with {', '.join(others)}, which the stack file does not support "
            "(the next up would switch it to a client secret)"
        )
    elif methods:
        _read_keys(index, app, methods[AuthenticationMethod.PRIVATE_KEY_JWT.value], keys)
    elif client.get("token_endpoint_auth_method") not in CLIENT_SECRET_METHODS:
        method = client.get("token_endpoint_auth_method")
        app.unsupported.append(
            f"token endpoint authentication method {method!r}" if method else "no token endpoint authentication method"
        )
        app.adjustments.append("the next up sets its authentication method to client_secret_post")
    if client.get("is_first_party") is False:
        app.unsupported.append("a third-party application")
        app.adjustments.append("the next up makes it a first-party application")
    cleared = [name for name in CLEARED_CLIENT_SETTINGS if _is_set(client.get(name))]
    if cleared:
        app.unsupported.append(f"client settings the stack file does not manage: {', '.join(cleared)}")
        app.adjustments.append(f"the next up clears {', '.join(cleared)}")

    for grant in index.all_grants_of(app.client_id):
        audience = grant.get("audience", "")
        if grant.get("subject_type", "client") != "client":
            app.unsupported.append(f"grant for {audience} has subject type {grant['subject_type']!r} (user access)")
            app.adjustments.append(f"its {grant['subject_type']} grant for {audience} stays in the tenant, unmanaged")
            continue
        if grant.get("is_system"):
            app.never.append(f"grant for {audience} is an Auth0 system grant")
            continue
        if grant.get("allow_all_scopes"):
            app.unsupported.append(f"grant for {audience} allows every scope of the API (allow_all_scopes)")
            app.adjustments.append(f"the next up replaces allow_all_scopes on {audience} with the listed scopes (none)")
        if grant.get("authorization_details_types"):
            types = ", ".join(grant["authorization_details_types"])
            app.unsupported.append(f"grant for {audience} has authorization_details_types ({types})")
            app.adjustments.append(f"the next up clears authorization_details_types on {audience}")
        organizations = sorted(index.grant_organizations(grant["id"]), key=lambda org: org["id"])
        app.grants.append({"grant": grant, "organizations": organizations})

    default = (client.get("default_organization") or {}).get("organization_id")
    if default:
        app.default_organization = index.organization(default) or {"id": default, "name": None}
        if app.default_organization.get("name") is None:
            app.never.append(f"its default organization {default} does not exist")
    return app


def _read_keys(index: TenantIndex, app: TenantApplication, settings: Any, keys: Mapping[str, KnownKey]) -> None:
    """The credentials attached for private_key_jwt, each with the public key the import was given for it."""
    refs = [ref.get("id") for ref in (settings.get("credentials") if isinstance(settings, dict) else None) or []]
    if not refs:
        app.never.append("authenticates with private_key_jwt but has no credential attached")
        return
    registered = {credential.get("id"): credential for credential in index.credentials(app.client_id)}
    missing = []
    names: set[str] = set()
    for ref in refs:
        credential = registered.get(ref)
        if credential is None:
            app.never.append(f"private_key_jwt credential {ref} is attached but not registered")
            continue
        label = f"{credential.get('name')!r} (kid {credential.get('kid')})"
        if credential.get("credential_type") != "public_key" or credential.get("alg") not in KEY_ALGORITHMS:
            app.never.append(f"private_key_jwt credential {label} is a {credential.get('credential_type')} with "
                             f"algorithm {credential.get('alg')}; the stack file supports public keys with "
                             f"{', '.join(sorted(KEY_ALGORITHMS))}")
            continue
        known = keys.get(credential.get("kid", ""))
        if known is None:
            missing.append(label)
            continue
        name = credential.get("name") or ""
        key_name = _key_name(name, names)
        names.add(key_name)
        if key_name != name:
            app.unsupported.append(f"private_key_jwt credential name {name!r} is not a key name the stack file "
                                   "accepts (1-64 letters, digits, '.', '_' or '-')")
            app.adjustments.append(f"the next up registers that key again as {key_name!r}, attaches it, then deletes "
                                   f"the credential {name!r} (the key is accepted throughout)")
        app.keys.append((credential, known, key_name))
    if missing:
        app.never.append(
            f"authenticates with private_key_jwt, and Auth0 never returns a registered public key: the public key of "
            f"credential {', '.join(missing)} was not given (put it in a directory and pass --public-keys DIR)"
        )


def _key_name(name: str, taken: set[str]) -> str:
    """The credential's name when the stack file accepts it, else a slug of it (unique in the application)."""
    if re.fullmatch(KEY_NAME_PATTERN, name) and name not in taken:
        return name
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")[:60] or "key"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def _is_set(value: Any) -> bool:
    """A setting with an effect: a true flag, a non-empty string or list, a mapping with such a value in it."""
    if isinstance(value, dict):
        return any(_is_set(item) for item in value.values())
    return bool(value)


# --- the stack file's view ----------------------------------------------------------------------------------
@dataclass
class ExistingEstate:
    """What the stack already declares and manages, so that an import only adds."""

    raw: dict
    config: Optional[StackConfig]
    state_clients: dict[str, str] = field(default_factory=dict)
    """Application name -> client id of every client in the stack's state."""
    environment: Optional[str] = None
    """The environment the written file will have (its own, or one derived from the stack name)."""

    @property
    def state_client_ids(self) -> set[str]:
        return set(self.state_clients.values())

    @property
    def application_names(self) -> set[str]:
        return {app.name for app in self.config.applications} if self.config else set()

    def organization_key(self, org: Mapping[str, Any]) -> Optional[str]:
        """The key an existing entry gives this tenant organization (by id, or by name when it has no id)."""
        if not self.config:
            return None
        for key, entry in self.config.organizations.items():
            if entry.id == org["id"] or (entry.id is None and key == org.get("name")):
                return key
        return None

    def api_key(self, identifier: str) -> Optional[str]:
        if not self.config:
            return None
        return next((key for key, api in self.config.apis.items() if api.identifier == identifier), None)

    def managed_application(self, client: Mapping[str, Any]) -> Optional[str]:
        """The application of the stack that already is this client (in the state, or pinned)."""
        if not self.config:
            return None
        for app in self.config.applications:
            if app.client_id == client["client_id"]:
                return app.name
        return "(in the state)" if client["client_id"] in self.state_client_ids else None

    def declared_by_name(self, client: Mapping[str, Any]) -> Optional[ApplicationConfig]:
        """An application the file declares with this client's Auth0 name but that is not deployed."""
        if not self.config:
            return None
        return next(
            (
                app for app in self.config.applications
                if app.auth0_name == client.get("name") and not app.client_id and app.name not in self.state_clients
            ),
            None,
        )


@dataclass
class ImportPlan:
    """The entries an import adds to the stack file, and what it leaves out."""

    organizations: dict[str, dict] = field(default_factory=dict)
    apis: dict[str, dict] = field(default_factory=dict)
    applications: list[TenantApplication] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    skipped: list[tuple[TenantApplication, list[str]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pins: dict[str, str] = field(default_factory=dict)
    already_managed: int = 0

    @property
    def grants(self) -> int:
        return sum(len(entry.get("grants", [])) for entry in self.entries)

    @property
    def authorizations(self) -> int:
        return sum(len(g.get("organizations", [])) for entry in self.entries for g in entry.get("grants", []))


def select(clients: Iterable[dict], patterns: Sequence[str]) -> list[dict]:
    """The clients whose Auth0 name matches one of the globs (all of them without patterns)."""
    if not patterns:
        return list(clients)
    return [c for c in clients if any(fnmatch.fnmatchcase(c.get("name", ""), p) for p in patterns)]


def plan_import(
    index: TenantIndex,
    existing: ExistingEstate,
    *,
    source: str,
    own_client_id: str,
    patterns: Sequence[str] = (),
    include_unsupported: bool = False,
    differing: Mapping[str, str] = {},
    keys: Mapping[str, KnownKey] = {},
    key_files: Optional[KeyFileReader] = None,
) -> ImportPlan:
    """Read the tenant's M2M applications that the stack does not manage yet and plan their entries.

    ``differing`` (client id -> properties): applications a strict import found different from their entry, for a
    setting this importer does not recognize; they count as unsupported. ``keys`` (key id -> public key): the
    public keys given for private_key_jwt applications; ``key_files`` reads the ``pem_file`` keys the written
    stack file names (default: the working tree at the repository root).
    """
    plan = ImportPlan()
    candidates: list[TenantApplication] = []
    for client in select(index.m2m_clients(exclude=[own_client_id]), patterns):
        if existing.managed_application(client):
            plan.already_managed += 1
            continue
        declared = existing.declared_by_name(client)
        if declared is not None:
            plan.skipped.append((TenantApplication(client=client), [
                f"the stack file already declares application {declared.name!r} with this Auth0 name, not deployed "
                "yet: adopt it with `auth0-m2m import --state-only`"
            ]))
            continue
        app = read_application(index, client, keys)
        if client["client_id"] in differing:
            app.unsupported.append(f"settings the stack file cannot express ({differing[client['client_id']]})")
            app.adjustments.append(f"the next up changes {differing[client['client_id']]}")
        candidates.append(app)

    def skip_unsupported(apps: list[TenantApplication]) -> list[TenantApplication]:
        kept = []
        for app in apps:
            reasons = app.never + ([] if include_unsupported else app.unsupported)
            if reasons:
                plan.skipped.append((app, reasons))
            else:
                kept.append(app)
        return kept

    plan.applications = skip_unsupported(candidates)
    organization_keys = _organization_keys(plan, existing)
    api_keys = _api_keys(plan, existing)
    for app in plan.applications:
        app.entry = _entry(app, organization_keys, api_keys, adjust=include_unsupported)
    # Settings that only the rules refuse (dead or contradictory access) are found from the entry.
    plan.applications = skip_unsupported(plan.applications)
    while True:
        _assign_keys(plan.applications, existing)
        _pin_duplicates(plan, existing)
        if not _validate_and_drop(plan, existing, source, key_files):
            break
    _prune_unused(plan)
    plan.entries = [app.entry for app in sorted(plan.applications, key=lambda a: a.key)]
    return plan


def _assign_keys(apps: list[TenantApplication], existing: ExistingEstate) -> None:
    """Keys from Auth0 names; collisions get -2, -3, ... in client id order (the same every time)."""
    taken = set(existing.application_names)
    for app in sorted(apps, key=lambda a: (slug(a.name, "app"), a.client_id)):
        base = slug(app.name, "app")
        key, n = base, 1
        while key in taken:
            n += 1
            key = _suffixed(base, str(n))
        app.key = key
        taken.add(key)
        app.entry["name"] = key
        app.entry.pop("display_name", None)
        if app.name != key:
            app.entry["display_name"] = app.name


def _pin_duplicates(plan: ImportPlan, existing: ExistingEstate) -> None:
    """Applications that share an Auth0 name (with each other or with the stack's) pin their client ids."""
    names: dict[str, list[str]] = {}
    for app in plan.applications:
        names.setdefault(app.name, []).append(app.key)
    stack_apps = existing.config.applications if existing.config else ()
    for stack_app in stack_apps:
        names.setdefault(stack_app.auth0_name, []).append(stack_app.name)
    for app in plan.applications:
        app.pinned = len(names[app.name]) > 1
        app.entry.pop("client_id", None)
        if app.pinned:
            app.entry["client_id"] = app.client_id
    plan.pins.clear()
    for stack_app in stack_apps:
        if len(names[stack_app.auth0_name]) > 1 and not stack_app.client_id:
            client_id = existing.state_clients.get(stack_app.name)
            if client_id:
                plan.pins[stack_app.name] = client_id
    plan.warnings = [
        f"application {name!r} of the stack now pins its client {client} (another M2M application of the tenant "
        "has its Auth0 name)"
        for name, client in sorted(plan.pins.items())
    ]


def _organization_keys(plan: ImportPlan, existing: ExistingEstate) -> dict[str, str]:
    """Tenant organization id -> stack key, adding entries (by id) for organizations the stack lacks."""
    keys: dict[str, str] = {}
    taken = set(existing.config.organizations) if existing.config else set()
    orgs: dict[str, dict] = {}
    for app in plan.applications:
        for grant in app.grants:
            for org in grant["organizations"]:
                orgs[org["id"]] = org
        if app.default_organization and app.default_organization.get("name"):
            orgs[app.default_organization["id"]] = app.default_organization
    for org_id, org in sorted(orgs.items(), key=lambda item: (item[1]["name"], item[0])):
        key = existing.organization_key(org)
        if key is None:
            key = org["name"]
            if key in taken:
                key = _suffixed(key, slug(org_id.removeprefix("org_"), _digest(org_id))[:12])[:50]
            plan.organizations[key] = {"id": org_id}
            taken.add(key)
        keys[org_id] = key
    return keys


def _api_keys(plan: ImportPlan, existing: ExistingEstate) -> dict[str, str]:
    """Audience -> stack key, adding unmanaged entries for APIs the stack lacks."""
    keys: dict[str, str] = {}
    taken = set(existing.config.apis) if existing.config else set()
    audiences = sorted({grant["grant"]["audience"] for app in plan.applications for grant in app.grants})
    for audience in audiences:
        key = existing.api_key(audience)
        if key is None:
            key = api_key(audience)
            if key in taken:
                # Another identifier slugs to the same key: tell them apart by a digest of the identifier.
                key = _suffixed(key, _digest(audience))
            plan.apis[key] = {"identifier": audience}
            taken.add(key)
        keys[audience] = key
    return keys


def _entry(
    app: TenantApplication, organization_keys: Mapping[str, str], api_keys: Mapping[str, str], adjust: bool
) -> dict:
    client = app.client
    entry: dict[str, Any] = {"name": app.key or "app"}
    entry["description"] = client.get("description") or ""
    metadata = client.get("client_metadata") or {}
    if metadata:
        entry["metadata"] = dict(sorted(metadata.items()))
    method = client.get("token_endpoint_auth_method")
    if app.keys:
        entry["authentication_method"] = AuthenticationMethod.PRIVATE_KEY_JWT.value
        entry["public_keys"] = sorted((_key_entry(*item) for item in app.keys), key=lambda key: key["name"])
    elif method == AuthenticationMethod.CLIENT_SECRET_BASIC.value:
        entry["authentication_method"] = method
    quota = (client.get("token_quota") or {}).get("client_credentials") or {}
    if quota.get("per_hour") is not None or quota.get("per_day") is not None:
        entry["token_quota"] = {
            **{bucket: quota[bucket] for bucket in ("per_hour", "per_day") if quota.get(bucket) is not None},
            **({"enforce": False} if quota.get("enforce") is False else {}),
        }
    if app.default_organization and app.default_organization.get("name"):
        entry["default_organization"] = organization_keys[app.default_organization["id"]]
    grants = []
    for item in sorted(app.grants, key=lambda g: api_keys[g["grant"]["audience"]]):
        grant = item["grant"]
        value: dict[str, Any] = {
            "api": api_keys[grant["audience"]],
            "scopes": sorted(set(grant.get("scope") or [])),
            "organization_usage": grant.get("organization_usage") or "deny",
        }
        if grant.get("allow_any_organization"):
            value["allow_any_organization"] = True
        organizations = sorted(organization_keys[org["id"]] for org in item["organizations"])
        if organizations:
            value["organizations"] = organizations
        grants.append(value)
    entry["grants"] = grants
    _apply_rules(app, entry, adjust)
    return entry


def _key_entry(credential: dict, known: KnownKey, name: str) -> dict:
    """A public_keys entry: the key file (or the PEM inline), the credential's algorithm and expiry.

    A certificate's expiry is its own (the program lets Auth0 read it from the certificate), so only a bare key's
    expiry is written.
    """
    entry: dict[str, Any] = {"name": name}
    if known.pem_file:
        entry["pem_file"] = known.pem_file
    else:
        entry["pem"] = known.pem
    if credential.get("alg") != KeyAlgorithm.RS256.value:
        entry["algorithm"] = credential["alg"]
    if credential.get("expires_at") and not known.is_certificate:
        entry["expires_at"] = re.sub(r"\.0+Z$", "Z", credential["expires_at"])
    return entry


def _apply_rules(app: TenantApplication, entry: dict, adjust: bool) -> None:
    """Settings Auth0 accepts but the stack's rules refuse, because they are dead or contradictory access.

    Unsupported by default; with ``adjust`` the entry leaves out the dead part (never widening access) and the
    adjustment is reported.
    """
    # Only the access matters here. Everything else (keys, quotas, descriptions) is checked by the one gate, which
    # skips the application with its messages: a value Auth0 accepted but the stack file refuses is no crash here.
    try:
        parsed = ApplicationConfig.model_validate(
            {key: value for key, value in entry.items() if key in ("name", "grants", "default_organization")}
        )
    except ValidationError:
        return
    by_api = {grant["api"]: grant for grant in entry["grants"]}
    for grant in parsed.grants:
        if not accepts_organizations(grant) and grant.organizations:
            app.unsupported.append(
                f"grant for {grant.api} has organization_usage deny but authorizes organizations "
                f"{list(grant.organizations)} (Auth0 refuses organization requests on it)"
            )
            app.adjustments.append(f"the authorizations of {list(grant.organizations)} on {grant.api} stay in the "
                                   "tenant, unmanaged")
            if adjust:
                by_api[grant.api].pop("organizations", None)
        if not accepts_organizations(grant) and grant.allow_any_organization:
            app.unsupported.append(f"grant for {grant.api} has organization_usage deny with allow_any_organization")
            app.adjustments.append(f"the next up sets allow_any_organization to false on {grant.api}")
            if adjust:
                by_api[grant.api].pop("allow_any_organization", None)
    default = parsed.default_organization
    if default is not None:
        requiring = [grant for grant in parsed.grants if default_organization_applies(grant)]
        refused = [grant.api for grant in requiring if not decide(grant, None, default).allowed]
        if not requiring or refused:
            why = "no grant requires an organization" if not requiring else f"it is not authorized on {refused}"
            app.unsupported.append(f"default organization {default!r} never applies: {why}")
            app.adjustments.append("the next up removes its default organization (no token changes)")
            if adjust:
                entry.pop("default_organization", None)


def _validate_and_drop(
    plan: ImportPlan, existing: ExistingEstate, source: str, key_files: Optional[KeyFileReader] = None
) -> bool:
    """The one gate on the stack as it will be; applications it refuses are skipped with its messages.

    True when some were dropped (keys are then assigned again, so they do not depend on skipped ones).
    """
    if not plan.applications:
        return False
    merged = merged_estate(existing.raw, plan, [app.entry for app in plan.applications], existing.environment)
    try:
        validate(merged, source, key_files=key_files)
        return False
    except StackConfigError as error:
        keys = {app.key: app for app in plan.applications}
        refused: dict[str, list[str]] = {}
        for problem in error.problems:
            if problem.application in keys:
                refused.setdefault(problem.application, []).append(f"{problem.location()}: {problem.message}")
        if not refused:
            raise
        for key, messages in refused.items():
            app = keys[key]
            plan.applications.remove(app)
            plan.skipped.append((app, messages))
        return True


def _prune_unused(plan: ImportPlan) -> None:
    """Organizations and APIs added only for applications that were then skipped are not added."""
    used_orgs = {o for app in plan.applications for g in app.entry.get("grants", []) for o in g.get("organizations", [])}
    used_orgs |= {app.entry["default_organization"] for app in plan.applications if "default_organization" in app.entry}
    used_apis = {g["api"] for app in plan.applications for g in app.entry.get("grants", [])}
    plan.organizations = {k: v for k, v in plan.organizations.items() if k in used_orgs}
    plan.apis = {k: v for k, v in plan.apis.items() if k in used_apis}


def merged_estate(
    raw: Mapping[str, Any], plan: ImportPlan, entries: Sequence[dict], environment: Optional[str] = None
) -> dict:
    """The stack's raw estate with the plan's entries added (what the written file will declare)."""
    merged = {key: value for key, value in raw.items()}
    if environment and "environment" not in merged:
        merged["environment"] = environment
    merged["organizations"] = {**(raw.get("organizations") or {}), **plan.organizations}
    merged["apis"] = {**(raw.get("apis") or {}), **plan.apis}
    applications = [dict(app) for app in (raw.get("applications") or [])]
    for app in applications:
        if app.get("name") in plan.pins:
            app["client_id"] = plan.pins[app["name"]]
    merged["applications"] = applications + list(entries)
    return merged


# --- the command --------------------------------------------------------------------------------------------
@dataclass
class ImportOutcome:
    stack_file: Path
    plan: ImportPlan
    old_text: str
    new_text: str
    resources: list[Located]
    changes: list[Change] = field(default_factory=list)
    """What the next `up` would change on imported resources (only with --include-unsupported)."""
    reads: int = 0
    written: bool = False

    def diff(self) -> str:
        name = str(self.stack_file)
        return "".join(difflib.unified_diff(
            self.old_text.splitlines(True), self.new_text.splitlines(True), f"a/{name}", f"b/{name}"
        ))


def estate_values(text: str, source: str, project: str):
    """A stack file's text read as Pulumi reads it: (its raw estate values, the StackFile)."""
    stack = read_stack_bytes(text.encode("utf-8"), source, project)
    public = {key: value for key, value in stack.engine_config.items() if key not in stack.secret_keys}
    return namespace_values(public), stack


def existing_estate(
    text: str, source: str, state: StackState, stack_name: str, project: str,
    key_files: Optional[KeyFileReader] = None,
) -> ExistingEstate:
    """The stack file's estate (validated: an import never builds on a file that is already wrong)."""
    raw, stack = estate_values(text, source, project)
    config = stack.validate(key_files=key_files) if raw else None
    clients = {
        key.split("::", 1)[1]: client_id
        for key, client_id in state.ids().items()
        if key.startswith(f"{CLIENT_TYPE}::")
    }
    environment = raw.get("environment") or _environment(stack_name)
    return ExistingEstate(raw=raw, config=config, state_clients=clients, environment=environment)


def run_import(
    pulumi: Pulumi,
    *,
    patterns: Sequence[str] = (),
    dry_run: bool = False,
    include_unsupported: bool = False,
    keys: Mapping[str, KnownKey] = {},
    say: Callable[[str], None] = print,
) -> ImportOutcome:
    """``auth0-m2m import``: plan, write the stack file and import into the state, or change nothing.

    The new stack file is written next to the old one and used through ``--config-file`` until the import
    succeeded; then it replaces the old one (a rename). On any failure the state is restored from the export taken
    first, the new file is removed, and the error says why.

    Supported applications are imported strictly: a difference from the stack file would be an update right after
    the import, which the read-only plugin refuses. An application refused that way has a setting this importer
    does not know the stack file cannot express: it is then treated like any other unsupported application
    (skipped, or imported with --include-unsupported) and the import runs again without writing anything meanwhile.

    ``keys`` (key id -> public key) are the public keys given for private_key_jwt applications (``--public-keys``).
    """
    path = stack_file(pulumi)
    # pem_file paths are relative to the root of the repository the stack file is in, whatever the working directory.
    key_files = working_tree_reader(repository_root(path.resolve().parent))
    if not path.exists():
        raise AdoptionError(f"{path} does not exist: create the stack first (pulumi stack init {pulumi.stack})")
    source = f"{path.parent.name}/{path.name}"
    text = path.read_text()
    state = pulumi.export()
    if state.pending_operations:
        raise AdoptionError(
            f"stack {pulumi.stack!r} has {len(state.pending_operations)} pending operations from an interrupted "
            f"update: run `auth0-m2m recover --stack {pulumi.stack}` (or `auth0-m2m import --state-only`) first"
        )
    project = pulumi.project
    existing = existing_estate(text, source, state, pulumi.stack, project, key_files)
    differing: dict[str, str] = {}  # client id -> the properties a strict import found different
    with tenant_for(pulumi) as tenant:
        index = TenantIndex(tenant)
        for _attempt in range(3):
            plan = plan_import(
                index, existing, source=source, own_client_id=tenant.client_id, patterns=patterns,
                include_unsupported=include_unsupported, differing=differing, keys=keys, key_files=key_files,
            )
            if not plan.entries and not plan.already_managed and not plan.skipped:
                raise AdoptionError(_nothing_to_import(patterns, index, tenant.client_id), exit_code=1)
            if not plan.entries:
                # Everything the tenant has is in the stack already, or cannot be imported: nothing to write.
                return ImportOutcome(path, plan, text, text, [], reads=sum(tenant.calls.values()))
            environment = None if existing.raw.get("environment") else _environment(pulumi.stack)
            new_text = add_estate(
                text, environment=environment, organizations=plan.organizations, apis=plan.apis,
                applications=plan.entries, pins=plan.pins,
            )
            # Read back through the project's loader: the file must mean exactly what was planned.
            config = estate_values(new_text, source, project)[1].validate(key_files=key_files)
            imported = {app.key for app in plan.applications}
            survey = locate(config, index, state.ids(), only_applications=imported)
            outcome = ImportOutcome(path, plan, text, new_text, survey.to_import())
            not_found = [item.key for item in survey.missing() if item.declared.application in imported]
            if not_found:
                raise AdoptionError(f"{len(not_found)} objects read a moment ago are gone from the tenant (changed "
                                    f"while importing?), e.g. {not_found[0]}; run the import again")
            outcome.reads = sum(tenant.calls.values())
            if dry_run:
                return outcome
            refused = _import(pulumi, plan, survey, config, state, path, new_text, outcome, say)
            if not refused:
                outcome.written = True
                return outcome
            by_key = {app.key: app for app in plan.applications}
            for name, properties in refused.items():
                app = by_key.get(_application_of(name))
                if app is None:
                    raise AdoptionError(f"the import would change {name} ({properties}); nothing was imported")
                differing[app.client_id] = ", ".join(filter(None, [differing.get(app.client_id), properties]))
            say(f"{len({_application_of(n) for n in refused})} applications have settings the stack file cannot "
                "express; planning again without importing them as they are")
    raise AdoptionError("the tenant kept changing while importing; nothing was imported")


def _import(
    pulumi: Pulumi,
    plan: ImportPlan,
    survey,
    config: StackConfig,
    state: StackState,
    path: Path,
    new_text: str,
    outcome: ImportOutcome,
    say: Callable[[str], None],
) -> dict[str, str]:
    """One adopting update with the staged stack file; the stack file replaces the old one when it succeeded.

    Returns the resources a strict import refused to update (name -> properties), after restoring the state.
    """
    # Pulumi picks the format from the extension: the staged file must end in .yaml.
    staged = path.with_name(f".{path.stem}.import.yaml")
    staged.write_text(new_text)
    adjusted = {app.key for app in plan.applications if app.unsupported}
    strict = [item.key for item in survey.to_import() if item.declared.application not in adjusted]
    try:
        try:
            adopt(pulumi, survey, config, state, config_file=staged, say=say, strict=strict)
        except RefusedUpdates as refusal:
            say("restoring the stack's state as it was before the import")
            pulumi.restore(state)
            staged.unlink(missing_ok=True)
            return refusal.resources
        if adjusted:
            say("checking what the next `pulumi up` would change (a preview: no Management API calls)")
            changes = custom_changes(planned_changes(pulumi, config_file=staged))
            outcome.changes = [c for c in changes if _application_of(c.name) in adjusted]
    except BaseException:
        say("restoring the stack's state as it was before the import")
        try:
            pulumi.restore(state)
        finally:
            staged.unlink(missing_ok=True)
        raise
    os.replace(staged, path)
    return {}


def _application_of(resource_name: str) -> str:
    return resource_name.split("/", 1)[0]


def _environment(stack: str) -> str:
    """An environment name from a stack name (``auth0-m2m:environment`` is required; the stack's name is what a
    person would write)."""
    return re.sub(r"[^a-z0-9-]+", "-", slug(stack, "default")).strip("-")[:32] or "default"


def _nothing_to_import(patterns: Sequence[str], index: TenantIndex, own: str) -> str:
    total = len(index.m2m_clients(exclude=[own]))
    if patterns:
        return (f"no M2M application matches {' '.join(repr(p) for p in patterns)} (the tenant has {total} M2M "
                "applications besides the importing credential's own client)")
    return ("no M2M application to import: the tenant has none (a non_interactive client with the "
            "client_credentials grant) besides the importing credential's own client")


def render_import(stack: str, outcome: ImportOutcome) -> str:
    """The summary a person reads: imported, skipped (why), warnings; for a dry run, the diff and the resources."""
    plan = outcome.plan
    lines: list[str] = []
    if not plan.entries:
        lines.append(f"nothing to import into stack {stack}: {plan.already_managed} applications are already in it, "
                     f"{len(plan.skipped)} cannot be imported; {outcome.stack_file.name} and the state are unchanged")
    elif not outcome.written:
        lines += ["Dry run: nothing was written.", "", outcome.diff().rstrip("\n"), "",
                  f"Resources it would import into stack {stack} ({len(outcome.resources)}):"]
        lines += [f"  {item.declared.kind} {item.declared.name} = {item.id}" for item in outcome.resources]
        lines.append("")
    verb = "imported" if outcome.written else "would import"
    if plan.entries:
        lines.append(
            f"{verb}: {len(plan.entries)} applications ({plan.grants} grants, {plan.authorizations} organization "
            f"authorizations) into {outcome.stack_file.parent.name}/{outcome.stack_file.name}"
            + (" and the state" if outcome.written else "")
            + f"; {len(plan.organizations)} organizations (by id) and {len(plan.apis)} APIs (unmanaged) added"
        )
    if plan.already_managed:
        lines.append(f"already in the stack: {plan.already_managed} applications (left as they are)")
    if plan.pins:
        lines.append("pinned by client id (the tenant has another application with the same Auth0 name): "
                     + ", ".join(f"{name} ({client})" for name, client in sorted(plan.pins.items())))
    if plan.skipped:
        lines.append(f"skipped: {len(plan.skipped)} applications")
        for app, reasons in sorted(plan.skipped, key=lambda item: item[0].name):
            lines.append(f"  - {app.label()}: {'; '.join(reasons)}")
    adjusted = [app for app in plan.applications if app.unsupported]
    if adjusted:
        lines.append(f"imported with settings the stack file cannot express: {len(adjusted)} applications")
        for app in sorted(adjusted, key=lambda a: a.key):
            lines.append(f"  - {app.key} ({app.label()}): {'; '.join(app.unsupported)}")
            for note in app.adjustments:
                lines.append(f"      {note}")
        if outcome.written:
            lines.append(f"the next `pulumi up` would change ({len(outcome.changes)}):")
            lines += [f"  ~ {change.describe()}" for change in outcome.changes] or ["  nothing"]
    lines += [f"warning: {warning}" for warning in plan.warnings]
    lines.append(f"Management API reads by the import: {outcome.reads}")
    if outcome.written and not adjusted:
        lines.append(f"Next: `pulumi preview --stack {stack}` shows no change; review and commit the stack file.")
    return "\n".join(lines)


def import_json(stack: str, outcome: ImportOutcome, file: str) -> dict:
    """The ``--json`` result of ``auth0-m2m import`` (:class:`auth0_m2m.tools.schemas.ImportResult`)."""
    plan = outcome.plan
    return {
        "stack": stack,
        "file": file,
        "mode": "import",
        "dry_run": not outcome.written and bool(plan.entries),
        "written": outcome.written,
        "imported": [
            {
                "application": app.key, "auth0_name": app.name, "client_id": app.client_id, "pinned": app.pinned,
                "grants": len(app.entry.get("grants", [])),
                "authorizations": sum(len(g.get("organizations", [])) for g in app.entry.get("grants", [])),
                "unsupported": list(app.unsupported), "adjustments": list(app.adjustments),
            }
            for app in sorted(plan.applications, key=lambda a: a.key)
        ],
        "already_in_stack": plan.already_managed,
        "skipped": [
            {"auth0_name": app.name, "client_id": app.client_id, "reasons": list(reasons)}
            for app, reasons in sorted(plan.skipped, key=lambda item: (item[0].name, item[0].client_id))
        ],
        "organizations_added": sorted(plan.organizations),
        "apis_added": sorted(plan.apis),
        "pinned": dict(sorted(plan.pins.items())),
        "objects": [{"type": i.declared.type, "name": i.declared.name, "id": i.id} for i in outcome.resources],
        "missing": [],
        "orphans": [],
        "dropped_pending_operations": 0,
        "next_up_changes": [
            {"op": c.op, "type": c.type, "name": c.name, "properties": list(c.properties)} for c in outcome.changes
        ],
        "diff": outcome.diff() if not outcome.written and plan.entries else None,
        "management_api_reads": outcome.reads,
    }
