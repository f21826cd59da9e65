"""Mock tests of the components: which resources, with which properties, parents and names."""

from __future__ import annotations

import asyncio

import pytest

from auth0_m2m import Estate, load_stack_file, validate
from auth0_m2m.resources.application import M2MApplication, M2MApplicationArgs
from auth0_m2m.model.config import ApplicationConfig
from auth0_m2m.model.errors import StackConfigError

from tests.type_tokens import (
    API, APP_TYPE, CLIENT, CREDENTIALS, ESTATE_TYPE, GET_ORGANIZATION, GRANT, LINK, ORG, SCOPES,
)

from ..pulumi_harness import capture, run

ESTATE = {
    "environment": "test",
    "organizations": {"acme": {"manage": True}, "globex": {"id": "org_globex1234"}, "initech": {}},
    "apis": {
        "orders": {"identifier": "https://orders.example.com/", "manage": True, "scopes": {"read:orders": "r", "write:orders": "w"}},
        "billing": {"identifier": "https://billing.example.com/"},
    },
    "applications": [
        {
            "name": "billing-sync",
            "default_organization": "acme",
            "metadata": {"owner": "team-billing"},
            "grants": [
                {"api": "orders", "scopes": ["write:orders", "read:orders", "read:orders"], "organization_usage": "require", "organizations": ["globex", "acme"]},
                {"api": "billing", "scopes": ["read:invoices"]},
            ],
        },
        {
            "name": "support-console",
            "grants": [{"api": "orders", "scopes": ["read:orders"], "organization_usage": "allow", "allow_any_organization": True}],
        },
        {
            "name": "report-exporter",
            "grants": [{"api": "billing", "scopes": [], "organization_usage": "allow", "organizations": ["initech"]}],
        },
    ],
}


def deploy(raw: dict, stack: str = "test"):
    config = validate(raw, "stacks/Pulumi.test.yaml")
    return run(lambda: Estate(config.environment, config), stack=stack)


def test_client_is_a_non_interactive_client_credentials_app_with_explicit_name():
    monitor = deploy(ESTATE)
    client = monitor.by_name(CLIENT, "billing-sync")
    assert client.inputs["name"] == "billing-sync"
    assert client.inputs["appType"] == "non_interactive"
    assert client.inputs["grantTypes"] == ["client_credentials"]
    assert client.inputs["isFirstParty"] is True
    assert client.inputs["clientMetadata"] == {"owner": "team-billing"}
    assert client.inputs["description"]
    assert client.parent_type == APP_TYPE and client.parent_name == "billing-sync"


def test_default_organization_is_sent_with_the_client_credentials_flow():
    monitor = deploy(ESTATE)
    client = monitor.by_name(CLIENT, "billing-sync")
    acme = monitor.by_name(ORG, "org/acme").id
    assert client.inputs["defaultOrganization"] == {"organizationId": acme, "flows": ["client_credentials"]}
    # No default organization is sent as an explicit "disable", so that removing one clears it in the tenant.
    assert monitor.by_name(CLIENT, "support-console").inputs["defaultOrganization"] == {"disable": True}


def test_grants_send_sorted_scopes_and_explicit_organization_settings():
    monitor = deploy(ESTATE)
    grant = monitor.by_name(GRANT, "billing-sync/https://orders.example.com/")
    assert grant.inputs["scopes"] == ["read:orders", "write:orders"]
    assert grant.inputs["organizationUsage"] == "require"
    assert grant.inputs["allowAnyOrganization"] is False
    assert grant.inputs["subjectType"] == "client"
    assert grant.inputs["audience"] == "https://orders.example.com/"
    assert grant.parent_type == CLIENT and grant.parent_name == "billing-sync"
    deny = monitor.by_name(GRANT, "billing-sync/https://billing.example.com/")
    assert deny.inputs["organizationUsage"] == "deny"
    assert deny.inputs["allowAnyOrganization"] is False
    empty = monitor.by_name(GRANT, "report-exporter/https://billing.example.com/")
    assert empty.inputs["scopes"] == []


def test_one_organization_link_per_authorized_organization_parented_to_its_grant():
    monitor = deploy(ESTATE)
    links = {r.name: r for r in monitor.of_type(LINK)}
    assert set(links) == {
        "billing-sync/https://orders.example.com//acme",
        "billing-sync/https://orders.example.com//globex",
        "report-exporter/https://billing.example.com//initech",
    }
    globex = links["billing-sync/https://orders.example.com//globex"]
    assert globex.inputs["organizationId"] == "org_globex1234"
    assert globex.parent_type == GRANT and globex.parent_name == "billing-sync/https://orders.example.com/"


def test_credentials_use_the_configured_method_and_the_secret_stays_secret():
    config = validate(ESTATE, "stacks/Pulumi.test.yaml")
    seen = {}

    def program():
        estate = Estate("test", config)
        app = estate.applications["billing-sync"]
        return asyncio.ensure_future(_store(seen, capture({"secret": app.client_secret, "client_id": app.client_id})))

    monitor = run(program)
    creds = monitor.by_name(CREDENTIALS, "billing-sync/credentials")
    assert creds.inputs["authenticationMethod"] == "client_secret_post"
    assert creds.parent_type == CLIENT
    secret, is_secret = seen["secret"]
    assert secret.startswith("secret-") and is_secret
    assert seen["client_id"][1] is False


async def _store(sink: dict, pending) -> None:
    sink.update(await pending)


def test_managed_organizations_and_apis_are_created_with_explicit_names():
    monitor = deploy(ESTATE)
    org = monitor.by_name(ORG, "org/acme")
    assert org.inputs["name"] == "acme" and org.inputs["displayName"] == "acme"
    assert org.parent_type == ESTATE_TYPE
    api = monitor.by_name(API, "api/orders")
    assert api.inputs["identifier"] == "https://orders.example.com/"
    assert api.inputs["name"] == "orders"
    assert api.inputs["signingAlg"] == "RS256"
    scopes = monitor.by_name(SCOPES, "api/orders/scopes")
    assert [s["name"] for s in scopes.inputs["scopes"]] == ["read:orders", "write:orders"]
    assert not monitor.of_type(API)[1:], "only managed APIs become resources"


def test_organizations_without_id_are_looked_up_once_by_name():
    monitor = deploy(ESTATE)
    lookups = [args for token, args in monitor.calls if token == GET_ORGANIZATION]
    assert lookups == [{"name": "initech"}]


def test_reordering_lists_yields_identical_urns_and_inputs():
    reordered = {
        **ESTATE,
        "organizations": dict(reversed(list(ESTATE["organizations"].items()))),
        "apis": dict(reversed(list(ESTATE["apis"].items()))),
        "applications": [
            {**app, "grants": [{**g, "organizations": list(reversed(g.get("organizations", []))), "scopes": list(reversed(g.get("scopes", [])))} for g in reversed(app["grants"])]}
            for app in reversed(ESTATE["applications"])
        ],
    }
    first, second = deploy(ESTATE), deploy(reordered)
    assert set(first.registrations) == set(second.registrations)
    for urn, registration in first.registrations.items():
        other = second.registrations[urn]
        if registration.custom:
            assert _stable(registration.inputs) == _stable(other.inputs), urn


def _stable(inputs: dict) -> dict:
    # Ids handed out by the mock depend on registration order; everything else must not.
    return {k: v for k, v in inputs.items() if k not in ("clientId", "grantId", "organizationId", "defaultOrganization")}


def test_protected_stacks_add_the_protection_transform_and_others_do_not():
    assert deploy({**ESTATE, "production": False}).by_name(ESTATE_TYPE, "test").transforms == 0
    prod = {**ESTATE, "production": True, "applications": [a for a in ESTATE["applications"] if a["name"] != "support-console"]}
    assert deploy(prod).by_name(ESTATE_TYPE, "test").transforms == 1
    assert deploy({**ESTATE, "protect": True}).by_name(ESTATE_TYPE, "test").transforms == 1


def test_component_used_alone_applies_the_same_rules_before_registering_anything():
    app = ApplicationConfig.model_validate(
        {"name": "lonely", "grants": [{"api": "orders", "organization_usage": "deny", "organizations": ["acme"]}]}
    )
    with pytest.raises(StackConfigError) as error:
        run(lambda: M2MApplication("lonely", M2MApplicationArgs(application=app, audiences={"orders": "https://o/"}, organization_ids={"acme": "org_1"})))
    assert "M2MApplication 'lonely': application 'lonely', grant for API 'orders' (https://o/), field 'organizations'" in str(error.value)


def test_component_used_alone_creates_its_resources():
    app = ApplicationConfig.model_validate(
        {"name": "lonely", "grants": [{"api": "orders", "scopes": ["read"], "organization_usage": "allow", "organizations": ["acme"]}]}
    )
    monitor = run(lambda: M2MApplication("lonely", M2MApplicationArgs(application=app, audiences={"orders": "https://o/"}, organization_ids={"acme": "org_1"})))
    registered = sorted(r.type for r in monitor.registrations.values() if r.type != "pulumi:pulumi:Stack")
    assert registered == sorted([APP_TYPE, CLIENT, CREDENTIALS, GRANT, LINK])
    assert monitor.by_name(LINK, "lonely/https://o//acme").inputs["organizationId"] == "org_1"


@pytest.mark.parametrize("stack", ["local", "dev", "staging", "prod"])
def test_every_shipped_stack_builds_its_resource_graph(stack):
    config = load_stack_file(f"stacks/Pulumi.{stack}.yaml")
    monitor = run(lambda: Estate(config.environment, config), stack=stack)
    assert len(monitor.of_type(CLIENT)) == len(config.applications)
    assert len(monitor.of_type(GRANT)) == sum(len(a.grants) for a in config.applications)
    assert len(monitor.of_type(LINK)) == sum(len(g.organizations) for a in config.applications for g in a.grants)


@pytest.mark.parametrize(
    "type_, custom, expected",
    [
        (CLIENT, True, True),
        (GRANT, True, True),
        (LINK, True, False),
        (CREDENTIALS, True, False),
        (ORG, True, False),
        (APP_TYPE, False, None),
    ],
)
def test_protection_transform_protects_clients_and_grants_only(type_, custom, expected):
    import pulumi

    from auth0_m2m.resources.protection import protect_clients_and_grants

    args = pulumi.ResourceTransformArgs(custom=custom, type_=type_, name="x", props={"a": 1}, opts=pulumi.ResourceOptions(protect=True))
    result = protect_clients_and_grants(args)
    if expected is None:
        assert result is None
    else:
        assert result.opts.protect is expected and result.props == {"a": 1}


def _public_pem(label: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = _KEYS.setdefault(label, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


_KEYS: dict = {}


def _with_key_application(**fields) -> dict:
    import copy

    raw = copy.deepcopy(ESTATE)
    raw["applications"].append({
        "name": "partner-gateway",
        "authentication_method": "private_key_jwt",
        "public_keys": [
            {"name": "2027-05", "pem": _public_pem("b"), "algorithm": "PS256", "expires_at": "2099-05-01T00:00:00Z"},
            {"name": "2026-11", "pem": _public_pem("a")},
        ],
        "grants": [{"api": "billing", "scopes": ["read:invoices"]}],
        **fields,
    })
    return raw


def test_private_key_jwt_credentials_carry_the_public_keys_sorted_by_name_and_no_secret():
    config = validate(_with_key_application(), "stacks/Pulumi.test.yaml")
    seen = {}

    def program():
        estate = Estate("test", config)
        assert estate.applications["partner-gateway"].client_secret is None
        return asyncio.ensure_future(_store(seen, capture({"id": estate.applications["partner-gateway"].client_id})))

    monitor = run(program)
    creds = monitor.by_name(CREDENTIALS, "partner-gateway/credentials")
    assert creds.inputs["authenticationMethod"] == "private_key_jwt"
    keys = creds.inputs["privateKeyJwt"]["credentials"]
    assert [k["name"] for k in keys] == ["2026-11", "2027-05"]
    assert keys[0] == {"name": "2026-11", "credentialType": "public_key", "pem": _public_pem("a"), "algorithm": "RS256",
                       "parseExpiryFromCert": False}
    # Sent in the form the provider reads back, so that it never shows as a diff.
    assert keys[1]["algorithm"] == "PS256" and keys[1]["expiresAt"] == "2099-05-01T00:00:00.000Z"
    # Secret-based applications keep their method and have no keys.
    assert "privateKeyJwt" not in monitor.by_name(CREDENTIALS, "billing-sync/credentials").inputs


def test_token_quotas_are_sent_for_clients_and_managed_organizations_and_cleared_when_absent():
    import copy

    raw = _with_key_application(token_quota={"per_hour": 100, "per_day": 1000})
    raw = copy.deepcopy(raw)
    raw["organizations"]["acme"]["token_quota"] = {"per_day": 5000, "enforce": False}
    monitor = deploy(raw)
    client = monitor.by_name(CLIENT, "partner-gateway")
    assert client.inputs["tokenQuota"] == {"clientCredentials": {"enforce": True, "perHour": 100, "perDay": 1000}}
    org = monitor.by_name(ORG, "org/acme")
    assert org.inputs["tokenQuota"] == {"clientCredentials": {"enforce": False, "perDay": 5000}}
    # No quota configured: nothing is sent, which makes the provider clear a quota the tenant still has.
    assert "tokenQuota" not in monitor.by_name(CLIENT, "billing-sync").inputs
