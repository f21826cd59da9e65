"""A stack's access read back from its state (for programs in other languages): scopes, configs and outputs."""

from __future__ import annotations

import json

import pytest

from auth0_m2m import contract
from auth0_m2m.model.access import expected_access
from auth0_m2m.tools.from_state import scopes_from_state

STACK = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"
ESTATE = "urn:pulumi:dev::p::auth0-m2m:index:Estate::estate"
ORDERS = "https://orders/"


def secret(value: str) -> dict:
    # How `pulumi stack export --show-secrets` writes a secret.
    return {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(value)}


def application(urn_prefix: str, parent: str, name: str, grant: dict, default_organization=None, links=()) -> list[dict]:
    app = f"{urn_prefix}auth0-m2m:index:M2MApplication::{name}"
    client = f"{urn_prefix}auth0-m2m:index:M2MApplication$auth0:index/client:Client::{name}"
    grant_urn = f"{urn_prefix}auth0-m2m:index:M2MApplication$auth0:index/client:Client$auth0:index/clientGrant:ClientGrant::{name}/{ORDERS}"
    resources = [
        {"urn": app, "type": contract.M2M_APPLICATION_TYPE, "parent": parent,
         "inputs": {"application": name, "production": False, "default_organization": default_organization, "grants": [grant]},
         "outputs": {"client_id": f"id-{name}"}},
        {"urn": client, "type": contract.CLIENT_TYPE, "parent": app, "inputs": {}, "outputs": {"clientId": f"id-{name}"}},
        {"urn": client.replace("Client::", "Client$auth0:index/clientCredentials:ClientCredentials::") + "/credentials",
         "type": contract.CLIENT_CREDENTIALS_TYPE, "parent": client, "outputs": {"clientSecret": secret(f"secret-{name}")}},
        {"urn": grant_urn, "type": contract.CLIENT_GRANT_TYPE, "parent": client, "inputs": {"audience": ORDERS}},
    ]
    for org, org_id in links:
        resources.append({"urn": f"{grant_urn}/{org}", "type": contract.ORGANIZATION_CLIENT_GRANT_TYPE, "parent": grant_urn,
                          "inputs": {"organizationId": org_id}})
    return resources


def grant(usage: str, organizations=(), **extra) -> dict:
    return {"audience": ORDERS, "api": "orders", "scopes": ["read"], "organization_usage": usage,
            "allow_any_organization": False, "organizations": list(organizations), "justification": None, **extra}


def deployment(*resources: dict) -> dict:
    return {"version": 3, "deployment": {"resources": [{"urn": STACK, "type": "pulumi:pulumi:Stack"}, *resources]}}


def test_one_scope_per_estate_and_per_application_alone():
    state = deployment(
        {"urn": ESTATE, "type": contract.ESTATE_TYPE, "parent": STACK,
         "inputs": {"environment": "dev", "production": False, "protected": False, "apis": {"orders": ORDERS, "billing": "https://billing/"}},
         "outputs": {"organization_ids": {"acme": "org_acme"}}},
        *application("urn:pulumi:dev::p::auth0-m2m:index:Estate$", ESTATE, "billing-sync",
                     grant("require", ["acme"]), default_organization="acme", links=[("acme", "org_acme")]),
        *application("urn:pulumi:dev::p::", STACK, "reporting", grant("allow", ["globex"]), links=[("globex", "org_globex")]),
    )
    estate, alone = scopes_from_state(state)

    assert estate.source == "Estate 'estate'"
    assert set(estate.config.apis) == {"orders", "billing"}  # an API without grants still gets a row (refused)
    assert estate.outputs.client_secrets == {"billing-sync": "secret-billing-sync"}
    assert estate.outputs.organization_ids == {"acme": "org_acme"}
    rows = {(e.application, e.api, e.requested_organization): e.decision for e in expected_access(estate.config)}
    assert rows[("billing-sync", "orders", None)].organization == "acme"  # the default organization applies
    assert not rows[("billing-sync", "billing", None)].allowed

    assert alone.source == "M2MApplication 'reporting'"
    assert alone.outputs.client_ids == {"reporting": "id-reporting"}
    assert alone.outputs.organization_ids == {"globex": "org_globex"}
    assert alone.config.application("reporting").grants[0].scopes == ("read",)


def test_state_written_before_grants_recorded_their_api_asks_for_one_up():
    old = grant("allow")
    del old["api"], old["scopes"]
    with pytest.raises(ValueError, match="run `pulumi up` once with this version"):
        scopes_from_state(deployment(*application("urn:pulumi:dev::p::", STACK, "reporting", old)))


def test_a_stack_without_components_has_no_scopes():
    assert scopes_from_state(deployment()) == []


def test_a_private_key_jwt_application_is_checked_with_its_recorded_public_keys():
    from auth0_m2m.tools.access_check import KeyCredentials, credentials_for

    from ..model.test_credentials_and_quotas import public_pem, rsa_key

    resources = application("urn:pulumi:dev::p::", STACK, "partner", grant("deny"))
    resources[0]["inputs"].update(
        authentication_method="private_key_jwt",
        public_keys=[{"name": "2026-11", "algorithm": "PS256", "pem": public_pem(rsa_key("a"))}],
        token_quota={"per_hour": 10, "enforce": True},
    )
    resources[2]["outputs"] = {"clientSecret": secret("")}  # no usable secret for a key application
    (scope,) = scopes_from_state(deployment(*resources))
    app = scope.config.application("partner")
    assert not app.uses_secret and app.public_keys[0].algorithm.value == "PS256" and app.token_quota.per_hour == 10
    assert scope.outputs.client_secrets == {}
    credentials, missing = credentials_for(scope.config, scope.outputs, {"partner": rsa_key("a")})
    assert isinstance(credentials["partner"], KeyCredentials) and missing == {}
