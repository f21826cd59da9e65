"""Cross-object rules of a stack configuration: pure functions, one per rule.

Each rule takes a parsed :class:`StackConfig` and yields a :class:`Problem` for every violation. They
run, all of them, before any resource is registered; :data:`RULES` is the list that
:func:`auth0_m2m.model.validation.validate` applies. Rules assume the per-object checks of the pydantic models
already passed, and tolerate dangling references (their own rule reports those).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Callable, Iterator

from ..contract import MAX_GRANTS_PER_ORGANIZATION, MIN_JUSTIFICATION_LENGTH
from .access import accepts_organizations, decide, default_organization_applies
from .config import ApplicationConfig, GrantConfig, StackConfig
from .errors import Problem, quote


Rule = Callable[[StackConfig], Iterator[Problem]]


def _grant_problem(cfg: StackConfig, app: ApplicationConfig, grant: GrantConfig, field: str, message: str) -> Problem:
    api = cfg.apis.get(grant.api)
    return Problem(
        field=field,
        message=message,
        application=app.name,
        api=grant.api,
        audience=api.identifier if api else None,
    )


def _grants(cfg: StackConfig) -> Iterator[tuple[ApplicationConfig, GrantConfig]]:
    for app in cfg.applications:
        for grant in app.grants:
            yield app, grant


def _names(declared) -> str:
    """The declared names a message lists: all of them, or the first ten and how many more."""
    names = sorted(declared)
    shown = ", ".join(names[:10]) or "none"
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def application_names_are_unique(cfg: StackConfig) -> Iterator[Problem]:
    """Application names are the stable keys of their resources: two with one name would collide."""
    counts = Counter(app.name for app in cfg.applications)
    for name, count in sorted(counts.items()):
        if count > 1:
            yield Problem(
                field="name",
                application=name,
                message=f"{count} applications are named {name!r}; application names must be unique in a stack",
            )


def auth0_application_names_are_unique(cfg: StackConfig) -> Iterator[Problem]:
    """Two clients with one dashboard name cannot be told apart by name, by people or by tools.

    The one exception is a tenant that already has such clients: each of them is adopted with its ``client_id``
    pinned (``auth0-m2m import`` writes it), and that id, not the name, is how import, repair and recover find
    it. Applications without a pinned client id keep unique names.
    """
    by_name: dict[str, list[ApplicationConfig]] = defaultdict(list)
    for app in cfg.applications:
        by_name[app.auth0_name].append(app)
    for name, apps in by_name.items():
        if len(apps) < 2 or all(app.client_id for app in apps):
            continue
        first = apps[0]
        # Two entries with one application name are the duplicate-name rule's problem, not this one's.
        for app in (app for app in apps[1:] if app.name != first.name):
            yield Problem(
                field="display_name",
                application=app.name,
                message=f"Auth0 name {quote(name)} is already used by application {first.name!r}; applications may "
                "share an Auth0 name only when each pins its existing client with client_id",
            )


def client_ids_are_unique(cfg: StackConfig) -> Iterator[Problem]:
    """A pinned client belongs to one application: two would both adopt it."""
    seen: dict[str, str] = {}
    for app in cfg.applications:
        if app.client_id is None:
            continue
        other = seen.setdefault(app.client_id, app.name)
        if other != app.name:
            yield Problem(
                field="client_id",
                application=app.name,
                message=f"client id {app.client_id!r} is already pinned by application {other!r}",
            )


def api_identifiers_are_unique(cfg: StackConfig) -> Iterator[Problem]:
    """An identifier is the audience: two API keys for one audience would make grants ambiguous."""
    seen: dict[str, str] = {}
    for key, api in cfg.apis.items():
        other = seen.setdefault(api.identifier, key)
        if other != key:
            yield Problem(
                field="identifier",
                message=f"API {key!r} has identifier {quote(api.identifier)}, which API {other!r} already has",
                api=key,
                audience=api.identifier,
            )


def organization_ids_are_unique(cfg: StackConfig) -> Iterator[Problem]:
    """Two names for one organization id would split its authorizations and its 100-grant budget."""
    seen: dict[str, str] = {}
    for name, org in cfg.organizations.items():
        if org.id is None:
            continue
        other = seen.setdefault(org.id, name)
        if other != name:
            yield Problem(
                field="id",
                organization=name,
                message=f"id {org.id!r} is already the id of organization {other!r}",
            )


def organization_source_is_unambiguous(cfg: StackConfig) -> Iterator[Problem]:
    """An organization is either created by this stack or referenced by id, never both."""
    for name, org in cfg.organizations.items():
        if org.manage and org.id is not None:
            yield Problem(
                field="id",
                organization=name,
                message="set either manage: true (this stack creates it) or id (it exists already), not both",
            )


def display_name_only_for_managed_organizations(cfg: StackConfig) -> Iterator[Problem]:
    """A display name on an organization this stack does not own would be silently ignored."""
    for name, org in cfg.organizations.items():
        if org.display_name is not None and not org.manage:
            yield Problem(
                field="display_name",
                organization=name,
                message="display_name only applies to organizations this stack manages (manage: true)",
            )


def api_settings_only_for_managed_apis(cfg: StackConfig) -> Iterator[Problem]:
    """A name or token lifetime on an API this stack does not own would be silently ignored."""
    for key, api in cfg.apis.items():
        if api.manage:
            continue
        for field in ("name", "token_lifetime"):
            if field in api.model_fields_set:
                yield Problem(
                    field=field,
                    api=key,
                    audience=api.identifier,
                    message=f"{field} only applies to APIs this stack manages (manage: true); this API is managed "
                    f"elsewhere, so the value would be ignored: remove it",
                )


def justification_only_for_any_organization(cfg: StackConfig) -> Iterator[Problem]:
    """A justification on a grant without any-organization access justifies nothing and would be ignored."""
    for app, grant in _grants(cfg):
        if grant.justification is not None and not grant.allow_any_organization:
            yield _grant_problem(
                cfg,
                app,
                grant,
                "justification",
                "a justification only applies with allow_any_organization: true; remove it (or grant any-"
                "organization access, if that is what it justifies)",
            )


def api_references_exist(cfg: StackConfig) -> Iterator[Problem]:
    for app, grant in _grants(cfg):
        if grant.api not in cfg.apis:
            known = _names(cfg.apis)
            yield _grant_problem(
                cfg, app, grant, "api", f"unknown API {grant.api!r}; APIs declared in this stack: {known}"
            )


def one_grant_per_api(cfg: StackConfig) -> Iterator[Problem]:
    """Auth0 keeps one client-credentials grant per (client, audience); a second entry would be a 409."""
    for app in cfg.applications:
        counts = Counter(grant.api for grant in app.grants)
        for api_key, count in sorted(counts.items()):
            if count > 1:
                api = cfg.apis.get(api_key)
                yield Problem(
                    field="grants",
                    application=app.name,
                    api=api_key,
                    audience=api.identifier if api else None,
                    message=f"{count} grants for the same API; merge them into one entry (one grant per audience)",
                )


def organization_references_exist(cfg: StackConfig) -> Iterator[Problem]:
    known = _names(cfg.organizations)
    for app in cfg.applications:
        if app.default_organization is not None and app.default_organization not in cfg.organizations:
            yield Problem(
                field="default_organization",
                application=app.name,
                message=f"unknown organization {app.default_organization!r}; organizations declared in this "
                f"stack: {known}",
            )
        for grant in app.grants:
            for org in grant.organizations:
                if org not in cfg.organizations:
                    yield _grant_problem(
                        cfg,
                        app,
                        grant,
                        "organizations",
                        f"unknown organization {org!r}; organizations declared in this stack: {known}",
                    )


def scopes_are_defined_by_the_api(cfg: StackConfig) -> Iterator[Problem]:
    """When the stack lists an API's scopes, a grant can only hand out those."""
    for app, grant in _grants(cfg):
        api = cfg.apis.get(grant.api)
        if api is None or not api.scopes:
            continue
        unknown = [scope for scope in grant.scopes if scope not in api.scopes]
        if unknown:
            yield _grant_problem(
                cfg,
                app,
                grant,
                "scopes",
                f"scopes {quote(unknown)} are not defined by API {grant.api!r}; it defines {quote(sorted(api.scopes))}",
            )


def deny_grant_has_no_organizations(cfg: StackConfig) -> Iterator[Problem]:
    """With usage deny, Auth0 refuses any token request naming an organization: authorizations are dead weight
    today and silently become access the day someone loosens the usage."""
    for app, grant in _grants(cfg):
        if not accepts_organizations(grant) and grant.organizations:
            yield _grant_problem(
                cfg,
                app,
                grant,
                "organizations",
                f"organization_usage is 'deny', which forbids organization authorizations; remove "
                f"{list(grant.organizations)} or set organization_usage to 'allow' or 'require'",
            )


def deny_grant_has_no_any_organization(cfg: StackConfig) -> Iterator[Problem]:
    for app, grant in _grants(cfg):
        if not accepts_organizations(grant) and grant.allow_any_organization:
            yield _grant_problem(
                cfg,
                app,
                grant,
                "allow_any_organization",
                "allow_any_organization: true contradicts organization_usage 'deny'; set organization_usage to "
                "'allow' or 'require', or remove allow_any_organization",
            )


def default_organization_has_a_required_grant(cfg: StackConfig) -> Iterator[Problem]:
    """Auth0 applies the default organization only for APIs whose grant requires an organization."""
    for app in cfg.applications:
        if app.default_organization is None:
            continue
        if not any(default_organization_applies(grant) for grant in app.grants):
            yield Problem(
                field="default_organization",
                application=app.name,
                message=f"default organization {app.default_organization!r} would never apply: no grant of this "
                "application has organization_usage 'require'",
            )


def default_organization_is_authorized(cfg: StackConfig) -> Iterator[Problem]:
    """A default organization that a required grant is not authorized for makes Auth0 refuse those tokens."""
    for app in cfg.applications:
        default = app.default_organization
        if default is None or default not in cfg.organizations:
            continue
        for grant in app.grants:
            if default_organization_applies(grant) and not decide(grant, None, default).allowed:
                yield _grant_problem(
                    cfg,
                    app,
                    grant,
                    "organizations",
                    f"default organization {default!r} is not authorized for this 'require' grant, so Auth0 would "
                    f"refuse tokens requested without an organization; add {default!r} to organizations or set "
                    "allow_any_organization",
                )


def organization_grant_cap(cfg: StackConfig) -> Iterator[Problem]:
    """Auth0 caps the client grants linked to one organization at 100; past it, deploys fail half-way."""
    links: dict[str, list[str]] = defaultdict(list)
    for app, grant in _grants(cfg):
        for org in grant.organizations:
            links[org].append(f"{app.name}/{grant.api}")
    for org, grants in sorted(links.items()):
        if len(grants) > MAX_GRANTS_PER_ORGANIZATION:
            yield Problem(
                field="organizations",
                organization=org,
                message=f"{len(grants)} grants are authorized for this organization across the stack; Auth0 allows "
                f"at most {MAX_GRANTS_PER_ORGANIZATION} ({len(grants) - MAX_GRANTS_PER_ORGANIZATION} too many)",
            )


def public_keys_match_the_authentication_method(cfg: StackConfig) -> Iterator[Problem]:
    """private_key_jwt needs a key to sign with; a secret-based application has no use for keys."""
    for app in cfg.applications:
        if not app.uses_secret and not app.public_keys:
            yield Problem(
                field="public_keys",
                application=app.name,
                message="authentication_method private_key_jwt needs one or two public_keys (the keys the "
                "application signs its client assertions with)",
            )
        if app.uses_secret and app.public_keys:
            yield Problem(
                field="public_keys",
                application=app.name,
                message=f"public_keys are only used with authentication_method private_key_jwt; this application "
                f"authenticates with {app.authentication_method.value} (a client secret)",
            )


def public_key_names_are_unique(cfg: StackConfig) -> Iterator[Problem]:
    """Key names are the keys' identities in the tenant (credential names) and in rotations."""
    for app in cfg.applications:
        counts = Counter(key.name for key in app.public_keys)
        for name, count in sorted(counts.items()):
            if count > 1:
                yield Problem(
                    field="public_keys",
                    application=app.name,
                    message=f"{count} public keys are named {name!r}; key names must be unique in an application",
                )


def public_keys_are_not_shared(cfg: StackConfig) -> Iterator[Problem]:
    """One key registered twice gains nothing; one key for two applications makes one leak two breaches."""
    seen: dict[str, tuple[str, str]] = {}
    for app in cfg.applications:
        for key in app.public_keys:
            first = seen.setdefault(key.key_id, (app.name, key.name))
            if first == (app.name, key.name):
                continue
            where = "this application" if first[0] == app.name else f"application {first[0]!r}"
            yield Problem(
                field="public_keys",
                application=app.name,
                message=f"public key {key.name!r} is the same key (kid {key.key_id}) as public key {first[1]!r} of "
                f"{where}; every key needs its own key pair (openssl genrsa -out key.pem 2048)",
            )


def token_quota_only_for_managed_organizations(cfg: StackConfig) -> Iterator[Problem]:
    """A quota on an organization this stack does not own would be silently ignored."""
    for name, org in cfg.organizations.items():
        if org.token_quota is not None and not org.manage:
            yield Problem(
                field="token_quota",
                organization=name,
                message="token_quota only applies to organizations this stack manages (manage: true); set the "
                "quota where the organization is managed",
            )


def production_any_organization_is_justified(cfg: StackConfig) -> Iterator[Problem]:
    """Auth0 warns that any-organization access is for trusted internal applications only."""
    if not cfg.production:
        return
    for app, grant in _grants(cfg):
        if grant.allow_any_organization and not grant.justification:
            yield _grant_problem(
                cfg,
                app,
                grant,
                "justification",
                f"allow_any_organization: true in a production stack needs a justification (at least "
                f"{MIN_JUSTIFICATION_LENGTH} characters) "
                "saying why this application must reach every organization",
            )


RULES: tuple[Rule, ...] = (
    application_names_are_unique,
    auth0_application_names_are_unique,
    client_ids_are_unique,
    api_identifiers_are_unique,
    organization_ids_are_unique,
    organization_source_is_unambiguous,
    display_name_only_for_managed_organizations,
    api_settings_only_for_managed_apis,
    justification_only_for_any_organization,
    api_references_exist,
    one_grant_per_api,
    organization_references_exist,
    scopes_are_defined_by_the_api,
    deny_grant_has_no_organizations,
    deny_grant_has_no_any_organization,
    default_organization_has_a_required_grant,
    default_organization_is_authorized,
    organization_grant_cap,
    public_keys_match_the_authentication_method,
    public_key_names_are_unique,
    public_keys_are_not_shared,
    token_quota_only_for_managed_organizations,
    production_any_organization_is_justified,
)


def check(cfg: StackConfig) -> list[Problem]:
    """Every problem every rule finds, in rule order."""
    return [problem for rule in RULES for problem in rule(cfg)]
