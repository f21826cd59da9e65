"""The auth0-m2m policies: rules for Auth0 M2M access that hold for any Pulumi program.

The auth0-m2m library already refuses such configurations before anything is registered; these
policies guard every program, including ones that declare raw ``pulumi_auth0`` resources. Each policy
is ``mandatory`` and its messages name the resource and what to change.

Resource policies run on each resource before the engine acts on it (in previews and updates); stack
policies see all resources at the end of a preview or update, with parents and property dependencies,
which is what relations between resources need. ``pulumi up`` runs a preview first (unless
``--skip-preview``), so a violation of either kind stops the update before anything changes.
"""

from __future__ import annotations

import re
import sys
import traceback
from typing import Any, Callable, Mapping, Optional

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import hooks
from .model import (
    CLIENT,
    CREDENTIALS,
    GRANT,
    M2M_APPLICATION,
    ORGANIZATION_GRANT,
    PROVIDER,
    Estate,
    node_from_policy_resource,
)
from .shared import (
    MIN_JUSTIFICATION,
    NOT_CREDENTIALS,
    PRODUCTION_KEY,
    PROTECTED,
    SECRET_KEY_PATTERN,
    config_boolean,
)
from .values import UNKNOWN, get, plain

MANDATORY = EnforcementLevel.MANDATORY

DEFAULT_PRODUCTION_STACKS = ("prod", "production")
# Stack config keys that hold a credential (any namespace): auth0:clientSecret, x:client_secret, ... (the
# library's loader refuses the same names in stack files).
SECRET_CONFIG_KEY = re.compile(SECRET_KEY_PATTERN)
# Inputs of the auth0 provider that are credentials.
PROVIDER_SECRET_INPUTS = ("clientSecret", "apiToken", "clientAssertionPrivateKey")


def note(message: str) -> None:
    """A line the Pulumi CLI shows (plugin stderr is displayed as info): used for explicit skips."""
    print(f"auth0-m2m policy pack: {message}", file=sys.stderr, flush=True)


def _guard(name: str, validate: Callable) -> Callable:
    """Run ``validate``; an unexpected error becomes a violation (fail closed) instead of a crash."""

    def guarded(args, report_violation):
        try:
            return validate(args, report_violation)
        except Exception as error:  # noqa: BLE001
            if type(error).__name__ == "_NotApplicableError":
                raise
            note(f"policy {name} failed: {traceback.format_exc()}")
            report_violation(f"the policy could not be evaluated ({type(error).__name__}: {error}); "
                             "this blocks the deployment until the policy pack is fixed")
            return None

    return guarded


def _config(args: Any) -> Mapping[str, Any]:
    try:
        return args.get_config() or {}
    except Exception:  # noqa: BLE001
        return {}


def _urn_types(urn: str) -> list[str]:
    """The type chain of a URN: urn:pulumi:stack::project::parent$...$type::name."""
    parts = urn.split("::")
    return parts[2].split("$") if len(parts) >= 4 else []


def _urn_stack(urn: str) -> str:
    parts = urn.split("::")
    head = parts[0] if parts else ""
    return head[len("urn:pulumi:"):] if head.startswith("urn:pulumi:") else ""


# --------------------------------------------------------------------------------------------------
# any-organization-requires-justification


def _justification_ok(text: Any) -> bool:
    return isinstance(text, str) and len(text.strip()) >= MIN_JUSTIFICATION


def _component_ancestor(urn: str, parent: Optional[str]) -> Optional[str]:
    seen = set()
    current = parent
    while current and current not in seen:
        seen.add(current)
        if _urn_types(current)[-1:] == [M2M_APPLICATION]:
            return current
        current = hooks.parent_of(current)
    return None


def validate_any_organization(args: ResourceValidationArgs, report_violation: Callable) -> None:
    props = plain(args.props)
    if args.resource_type == M2M_APPLICATION:
        for grant in get(props, "grants") or []:
            if get(grant, "allow_any_organization") is True and not _justification_ok(get(grant, "justification")):
                report_violation(
                    f"M2M application '{get(props, 'application') or args.name}' allows any organization for "
                    f"audience {get(grant, 'audience')} without a justification: add `justification:` "
                    f"(at least {MIN_JUSTIFICATION} characters) to that grant in the stack config, or remove "
                    "allow_any_organization"
                )
        return
    if args.resource_type != GRANT:
        return
    allow_any = get(props, "allowAnyOrganization")
    audience = get(props, "audience")
    if allow_any is UNKNOWN:
        # Fail closed: a computed allow_any_organization could be true, and nobody could review why.
        report_violation(
            f"client grant '{args.name}': allowAnyOrganization is not known during preview; it must be a "
            "literal so that any-organization access can be reviewed"
        )
        return
    if allow_any is not True:
        return
    described = f"client grant '{args.name}' (audience {audience})"
    if M2M_APPLICATION in _urn_types(args.urn)[:-1]:
        component = _component_ancestor(args.urn, args.opts.parent)
        record = hooks.component_record(component) if component else None
        if record is None:
            report_violation(
                f"{described} allows any organization, and its M2MApplication component's recorded grants "
                "are not available to the policy pack (it was not analyzed in this run), so its justification "
                "cannot be checked"
            )
            return
        entries = [g for g in get(record, "grants") or [] if get(g, "audience") == audience]
        if not entries or get(entries[0], "allow_any_organization") is not True:
            report_violation(
                f"{described} allows any organization, but its M2MApplication component "
                f"'{get(record, 'application')}' records no any-organization access for that audience"
            )
        elif not _justification_ok(get(entries[0], "justification")):
            report_violation(
                f"{described} allows any organization without a recorded justification: add `justification:` "
                f"(at least {MIN_JUSTIFICATION} characters) to the grant of application "
                f"'{get(record, 'application')}' in the stack config"
            )
        return
    justifications = _config(args).get("justifications") or {}
    text = justifications.get(args.name, justifications.get(args.urn))
    if not _justification_ok(text):
        report_violation(
            f"{described} allows any organization without a recorded justification: this grant is not managed "
            "by the auth0-m2m M2MApplication component, so record why in the policy pack config: "
            f'{{"any-organization-requires-justification": {{"justifications": {{"{args.name}": "<why, at least '
            f'{MIN_JUSTIFICATION} characters>"}}}}}} (pulumi preview --policy-pack-config <file>)'
        )


ANY_ORGANIZATION = ResourceValidationPolicy(
    name="any-organization-requires-justification",
    description="Client grants may allow any organization only with a recorded justification.",
    enforcement_level=MANDATORY,
    validate=_guard("any-organization-requires-justification", validate_any_organization),
    config_schema=PolicyConfigSchema(
        properties={
            "justifications": {
                "type": "object",
                "description": "For client grants outside the M2MApplication component: resource name (or URN) "
                "-> why the grant may be used with any organization.",
                "additionalProperties": {"type": "string"},
            }
        }
    ),
)


# --------------------------------------------------------------------------------------------------
# no-organizations-on-deny-grant


def validate_no_organizations_on_deny(args: StackValidationArgs, report_violation: Callable) -> None:
    estate = Estate(node_from_policy_resource(r) for r in args.resources)
    for link in estate.of_type(ORGANIZATION_GRANT):
        grant = estate.grant_of(link)
        if grant.node is None:
            note(f"no-organizations-on-deny-grant: skipped organization authorization {link.label}: {grant.reason}")
            continue
        usage = get(grant.node.props, "organizationUsage")
        if usage is UNKNOWN:
            note(f"no-organizations-on-deny-grant: skipped {link.label}: organizationUsage of client grant "
                 f"{grant.node.label} is not known yet")
            continue
        if usage in (None, "", "deny"):
            organization = estate.organization_identities(link, "organizationId")
            org_name = estate.organization_name(organization) if organization else "(unknown)"
            report_violation(
                f"organization authorization {link.label} authorizes organization {org_name} on client grant "
                f"{grant.node.label}, whose organization_usage is deny: tokens for that grant can never name an "
                "organization; remove the authorization or set organization_usage to allow or require",
                link.urn,
            )


NO_ORGANIZATIONS_ON_DENY = StackValidationPolicy(
    name="no-organizations-on-deny-grant",
    description="Organizations may not be authorized on a client grant whose organization_usage is deny.",
    enforcement_level=MANDATORY,
    validate=_guard("no-organizations-on-deny-grant", validate_no_organizations_on_deny),
)


# --------------------------------------------------------------------------------------------------
# default-organization-authorized


def validate_default_organization(args: StackValidationArgs, report_violation: Callable) -> None:
    estate = Estate(node_from_policy_resource(r) for r in args.resources)
    grants_by_client: dict[str, list] = {}
    for grant in estate.of_type(GRANT):
        client = estate.client_of(grant)
        if client.node is None:
            note(f"default-organization-authorized: skipped client grant {grant.label}: {client.reason}")
            continue
        grants_by_client.setdefault(client.node.urn, []).append(grant)
    links_by_grant: dict[str, list] = {}
    for link in estate.of_type(ORGANIZATION_GRANT):
        grant = estate.grant_of(link)
        if grant.node is not None:
            links_by_grant.setdefault(grant.node.urn, []).append(link)

    for client in estate.of_type(CLIENT):
        default = get(client.props, "defaultOrganization")
        if default is UNKNOWN:
            note(f"default-organization-authorized: skipped client {client.label}: its default organization is "
                 "not known yet")
            continue
        if not isinstance(default, dict) or get(default, "disable") is True:
            continue
        flows = get(default, "flows")
        if isinstance(flows, list) and "client_credentials" not in flows:
            continue  # the default organization does not apply to machine-to-machine tokens
        default_ids = estate.organization_identities(client, "defaultOrganization", "organizationId")
        if default_ids is None:
            if get(default, "organizationId"):
                note(f"default-organization-authorized: skipped client {client.label}: its default organization "
                     "id is not known yet and does not come from an organization of this stack")
            continue
        for grant in grants_by_client.get(client.urn, []):
            usage = get(grant.props, "organizationUsage")
            allow_any = get(grant.props, "allowAnyOrganization")
            if usage is UNKNOWN or allow_any is UNKNOWN:
                note(f"default-organization-authorized: skipped client grant {grant.label}: its organization "
                     "settings are not known yet")
                continue
            if usage != "require" or allow_any is True:
                continue
            links = links_by_grant.get(grant.urn, [])
            undecided = False
            authorized = False
            for link in links:
                ids = estate.organization_identities(link, "organizationId")
                if ids is None:
                    undecided = True
                elif ids & default_ids:
                    authorized = True
                    break
            if authorized:
                continue
            if undecided:
                note(f"default-organization-authorized: skipped client grant {grant.label}: an organization it is "
                     "authorized for is not known yet")
                continue
            report_violation(
                f"client {client.label} has default organization {estate.organization_name(default_ids)}, but its "
                f"client grant {grant.label} (audience {get(grant.props, 'audience')}, organization_usage require) "
                "is not authorized for it: token requests that name no organization would be refused; authorize "
                "the default organization on that grant (or allow any organization, with a justification)",
                grant.urn,
            )


DEFAULT_ORGANIZATION = StackValidationPolicy(
    name="default-organization-authorized",
    description="A client's default organization must be authorized on each of its grants that require an "
    "organization.",
    enforcement_level=MANDATORY,
    validate=_guard("default-organization-authorized", validate_default_organization),
)


# --------------------------------------------------------------------------------------------------
# protect-production-clients-and-grants


def production_reason(config: Mapping[str, Any], urn: str) -> Optional[str]:
    """Why this stack counts as production (None: it does not). Any one source is enough; none can veto."""
    if config.get("production") is True:
        return "policy config production: true"
    stack = _urn_stack(urn) or hooks.STACK.stack
    production_stacks = config.get("productionStacks") or list(DEFAULT_PRODUCTION_STACKS)
    if stack and stack in production_stacks:
        return f"stack name {stack!r} is one of {sorted(production_stacks)}"
    value = hooks.STACK.config.get(PRODUCTION_KEY)
    try:
        if config_boolean(value):
            return f"stack config {PRODUCTION_KEY}: true"
    except ValueError:
        # Fail closed: the library refuses such a value; any other program is held to production's rules.
        return f"stack config {PRODUCTION_KEY} is {value[:40]!r}, which is not true or false, so it counts as production"
    return None


def validate_protection(args: ResourceValidationArgs, report_violation: Callable) -> None:
    if args.resource_type not in PROTECTED:
        return
    reason = production_reason(_config(args), args.urn)
    if reason is None or args.opts.protect:
        return
    kind = "client" if args.resource_type == CLIENT else "client grant"
    report_violation(
        f"production {kind} '{args.name}' is not protected from deletion ({reason}): set the `protect` resource "
        "option (the auth0-m2m Estate does this for production stacks); to retire it deliberately, see the README "
        "(\"Retiring an application\")"
    )


PROTECTION = ResourceValidationPolicy(
    name="protect-production-clients-and-grants",
    description="In production, Auth0 clients and client grants must be protected from deletion.",
    enforcement_level=MANDATORY,
    validate=_guard("protect-production-clients-and-grants", validate_protection),
    config_schema=PolicyConfigSchema(
        properties={
            "production": {
                "type": "boolean",
                "description": "Treat the stack as production whatever its name (true only adds; it never exempts).",
            },
            "productionStacks": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Stack names that are production (default: prod, production).",
            },
        }
    ),
)


# --------------------------------------------------------------------------------------------------
# no-plaintext-client-secret


def plaintext_secret_config_keys() -> list[str]:
    return sorted(
        key for key, value in hooks.STACK.config.items() if SECRET_CONFIG_KEY.search(key.split(":", 1)[-1])
        and key not in hooks.STACK.secret_keys and value not in NOT_CREDENTIALS
    )


def validate_secrets(args: ResourceValidationArgs, report_violation: Callable) -> None:
    is_provider = args.resource_type == PROVIDER
    if not is_provider and args.resource_type != CREDENTIALS:
        return
    if not hooks.INSTALLED:
        report_violation("the policy pack cannot see which values are secrets with this pulumi-policy version "
                         "(see policy/requirements.txt for the supported one)")
        return
    secrets = hooks.current_secrets(args.urn)
    if secrets is None:
        report_violation("the policy pack did not receive this resource's secretness markers; cannot verify that "
                         "no credential is in plain text")
        return
    props = plain(args.props)
    if is_provider:
        reported = set()
        for key in PROVIDER_SECRET_INPUTS:
            value = get(props, key)
            if value is UNKNOWN or not value or key in secrets.resource:
                continue
            reported.add(f"auth0:{key}")
            report_violation(
                f"auth0 provider '{args.name}' has its {key} in plain text: store it as a secret "
                f"(`pulumi config set --secret auth0:{key}` for the default provider, or pass "
                "pulumi.Output.secret(...)/config.require_secret(...) to an explicit provider)"
            )
        if hooks.STACK.received:
            for key in plaintext_secret_config_keys():
                if key in reported and args.name.startswith("default"):
                    continue  # the default provider's input, reported above
                report_violation(
                    f"stack config key {key} holds a credential in plain text in the stack file: set it again with "
                    f"`pulumi config set --secret {key}`"
                )
        return
    for index, credential in enumerate(_private_key_jwt_credentials(props)):
        pem = credential.get("pem") if isinstance(credential, dict) else None
        if isinstance(pem, str) and "PRIVATE KEY" in pem:
            report_violation(
                f"client credentials '{args.name}' register a private key as private_key_jwt credential "
                f"{credential.get('name') or index}: only the public key belongs in Pulumi "
                "(openssl rsa -in key.pem -pubout); the private key stays with the workload, and this one is exposed"
            )
    value = get(props, "clientSecret")
    if value is UNKNOWN or not value:
        return
    if "clientSecret" not in secrets.resource:
        report_violation(
            f"client credentials '{args.name}' set client_secret in plain text: pass it as a secret "
            "(pulumi.Output.secret(...) or config.require_secret(...)), or leave it unset so Auth0 generates it"
        )
        return
    plain_keys = sorted(
        key for key, config_value in hooks.STACK.config.items()
        if config_value == value and key not in hooks.STACK.secret_keys
    )
    if plain_keys:
        report_violation(
            f"client credentials '{args.name}' take client_secret from the plain-text stack config key "
            f"{plain_keys[0]}: the SDK marks the input secret, but the value is stored unencrypted in the stack "
            f"file; set it with `pulumi config set --secret {plain_keys[0]}`"
        )


def _private_key_jwt_credentials(props: Mapping[str, Any]) -> list:
    block = get(props, "privateKeyJwt")
    credentials = block.get("credentials") if isinstance(block, dict) else None
    return credentials if isinstance(credentials, list) else []


SECRETS = ResourceValidationPolicy(
    name="no-plaintext-client-secret",
    description="Client secrets and other Auth0 credentials must be Pulumi secrets, never plain text.",
    enforcement_level=MANDATORY,
    validate=_guard("no-plaintext-client-secret", validate_secrets),
)


ALL = [ANY_ORGANIZATION, NO_ORGANIZATIONS_ON_DENY, DEFAULT_ORGANIZATION, PROTECTION, SECRETS]


def names() -> list[str]:
    return [policy.name for policy in ALL]
