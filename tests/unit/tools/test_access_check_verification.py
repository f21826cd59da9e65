"""The access check (auth0_m2m.tools.access_check) against a token endpoint played by an httpx transport.

The transport signs tokens like Auth0 (RS256, a `kid` published in the tenant's JWKS; `iss`, `aud`, `sub`,
`azp`, `org_id`) and refuses like Auth0 (403 `access_denied` with an `error_description`), so the check's own
parts are exercised: verification, comparison with the expected access, the matrix it prints.
"""

from __future__ import annotations

import json
import time
from typing import Optional
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from rich.console import Console

from auth0_m2m import contract, validate
from auth0_m2m.tools.access_check import (
    CheckRow,
    Observation,
    SecretCredentials,
    StackOutputs,
    TokenClient,
    mismatches,
    render_matrix,
    run_check,
)

DOMAIN = "tenant.example.auth0.com"
ORDERS = "https://orders.example.com/"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

CONFIG = validate(
    {
        "environment": "test",
        "organizations": {"acme": {"id": "org_acme000000001"}, "globex": {"id": "org_globex00000001"}},
        "apis": {"orders": {"identifier": ORDERS}},
        "applications": [
            {"name": "billing-sync", "default_organization": "acme",
             "grants": [{"api": "orders", "organization_usage": "require", "organizations": ["acme"]}]},
            {"name": "ledger", "grants": [{"api": "orders"}]},
        ],
    },
    "stacks/Pulumi.test.yaml",
)
OUTPUTS = StackOutputs(
    client_ids={"billing-sync": "cBILLING", "ledger": "cLEDGER"},
    client_secrets={"billing-sync": "sBILLING", "ledger": "sLEDGER"},
    organization_ids={"acme": "org_acme000000001", "globex": "org_globex00000001"},
)


def token(client_id: str, audience: str, org_id: Optional[str], key=KEY, kid: str = "k1", **claims) -> str:
    now = int(time.time())
    body = {"iss": f"https://{DOMAIN}/", "sub": f"{client_id}@clients", "aud": audience, "azp": client_id,
            "iat": now, "exp": now + 86400, "gty": "client-credentials", **claims}
    if org_id:
        body["org_id"] = org_id
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


class TokenEndpoint:
    """Answers client-credentials requests from a table: (client, audience, organization) -> org_id or refusal."""

    def __init__(self, issued: dict, forge=None):
        self.issued = issued
        self.forge = forge or {}
        self.requests: list[dict] = []
        self.jwks_reads = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/jwks.json":
            self.jwks_reads += 1
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
            return httpx.Response(200, json={"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
        assert request.url.path == "/oauth/token"
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.requests.append(form)
        key = (form["client_id"], form["audience"], form.get("organization"))
        if key in self.forge:
            return httpx.Response(200, json={"access_token": self.forge[key], "token_type": "Bearer"})
        if key not in self.issued:
            return httpx.Response(403, json={"error": "access_denied",
                                             "error_description": f"Service not found: {form['audience']}"})
        return httpx.Response(200, json={"access_token": token(form["client_id"], form["audience"], self.issued[key]),
                                         "token_type": "Bearer", "expires_in": 86400})

    def client(self) -> TokenClient:
        return TokenClient(DOMAIN, transport=httpx.MockTransport(self))


# What Auth0 does for CONFIG: billing-sync's require grant takes acme (named or by default), ledger's deny grant
# only tokens without organization.
AS_CONFIGURED = {
    ("cBILLING", ORDERS, None): "org_acme000000001",
    ("cBILLING", ORDERS, "org_acme000000001"): "org_acme000000001",
    ("cLEDGER", ORDERS, None): None,
}



def request(tokens, client_id: str, secret: str, audience: str, organization):
    """One token request of the check, as it makes them: post, then observe the answer."""
    credentials = SecretCredentials(client_id, secret)
    return tokens.observe(credentials, tokens.post(credentials, audience, organization), audience)


def rows_of(config, outputs, tokens):
    return run_check(config, outputs, tokens).rows

def test_a_verified_token_and_a_refusal_are_observed_as_such():
    endpoint = TokenEndpoint(AS_CONFIGURED)
    tokens = endpoint.client()
    assert request(tokens, "cBILLING", "sBILLING", ORDERS, None) == Observation(True, "org_acme000000001",
                                                                              "200 token verified")
    refused = request(tokens, "cBILLING", "sBILLING", ORDERS, "org_globex00000001")
    assert refused == Observation(False, None, f"403 Service not found: {ORDERS}")
    assert endpoint.requests[1] == {"grant_type": "client_credentials", "client_id": "cBILLING",
                                    "client_secret": "sBILLING", "audience": ORDERS,
                                    "organization": "org_globex00000001"}
    assert "organization" not in endpoint.requests[0]
    # The tenant's keys are read once and reused.
    request(tokens, "cLEDGER", "sLEDGER", ORDERS, None)
    assert endpoint.jwks_reads == 1


@pytest.mark.parametrize(
    "forged, detail",
    [
        (token("cBILLING", ORDERS, None, key=OTHER_KEY), "no valid token: InvalidSignatureError: Signature verification failed"),
        (token("cBILLING", "https://elsewhere/", None), "no valid token: InvalidAudienceError: Audience doesn't match"),
        (token("cBILLING", ORDERS, None, iss="https://evil.example.com/"), "no valid token: InvalidIssuerError: Invalid issuer"),
        (token("cBILLING", ORDERS, None, kid="unknown"), "no valid token"),
        (token("cOTHER", ORDERS, None), "token names another client"),
    ],
    ids=["signature", "audience", "issuer", "unknown key", "another client"],
)
def test_a_token_that_does_not_verify_is_a_difference_not_a_crash(forged, detail):
    endpoint = TokenEndpoint(AS_CONFIGURED, forge={("cLEDGER", ORDERS, None): forged})
    observation = request(endpoint.client(), "cLEDGER", "sLEDGER", ORDERS, None)
    assert observation.allowed and not observation.verified
    assert detail in observation.detail
    rows = rows_of(CONFIG, OUTPUTS, endpoint.client())
    (wrong,) = mismatches(rows)
    assert (wrong.expectation.application, wrong.expectation.requested_organization) == ("ledger", None)


def test_every_request_of_the_matrix_matches_a_tenant_that_does_what_the_config_says():
    endpoint = TokenEndpoint(AS_CONFIGURED)
    rows = rows_of(CONFIG, OUTPUTS, endpoint.client())
    # 2 applications x 1 API x (no organization + 2 organizations)
    assert len(rows) == 6 and len(endpoint.requests) == 6
    assert mismatches(rows) == []


def test_a_tenant_that_grants_more_than_the_config_is_reported():
    too_much = {**AS_CONFIGURED, ("cBILLING", ORDERS, "org_globex00000001"): "org_globex00000001"}
    rows = rows_of(CONFIG, OUTPUTS, TokenEndpoint(too_much).client())
    (wrong,) = mismatches(rows)
    assert wrong.expectation.requested_organization == "globex"
    assert not wrong.expectation.allowed and wrong.observation.allowed


def test_an_organization_without_a_known_id_is_not_requested():
    outputs = StackOutputs(OUTPUTS.client_ids, OUTPUTS.client_secrets, {"acme": "org_acme000000001"})
    endpoint = TokenEndpoint(AS_CONFIGURED)
    rows = rows_of(CONFIG, outputs, endpoint.client())
    unchecked = [r for r in rows if r.observation is None]
    assert {r.expectation.requested_organization for r in unchecked} == {"globex"}
    assert all(r.matches for r in unchecked)
    assert len(endpoint.requests) == 4


def test_outputs_are_read_by_the_contracts_keys():
    outputs = StackOutputs.from_json({
        contract.OUTPUT_APPLICATIONS: {"billing-sync": {"client_id": "cBILLING", "grant_ids": {}}},
        contract.OUTPUT_CLIENT_SECRETS: {"billing-sync": "sBILLING"},
        contract.OUTPUT_ORGANIZATION_IDS: {"acme": "org_acme000000001"},
        contract.OUTPUT_ENVIRONMENT: "test",
    })
    assert outputs == StackOutputs({"billing-sync": "cBILLING"}, {"billing-sync": "sBILLING"},
                                   {"acme": "org_acme000000001"})


def rendered(rows: list[CheckRow]) -> str:
    console = Console(record=True, width=200)
    console.print(render_matrix(rows, CONFIG, OUTPUTS, title="Access check: stack test"))
    return console.export_text()


def test_the_matrix_names_outcomes_by_organization_and_says_what_was_expected():
    too_much = {**AS_CONFIGURED, ("cBILLING", ORDERS, "org_globex00000001"): "org_globex00000001"}
    text = rendered(rows_of(CONFIG, OUTPUTS, TokenEndpoint(too_much).client()))
    billing = next(line for line in text.splitlines() if "billing-sync" in line)
    assert "token:acme" in billing
    assert "token:globex (expected refused)" in billing
    ledger = next(line for line in text.splitlines() if "ledger" in line)
    assert ledger.split("│")[3].strip() == "token" and "refused" in ledger


def test_no_secret_reaches_the_matrix():
    text = rendered(rows_of(CONFIG, OUTPUTS, TokenEndpoint(AS_CONFIGURED).client()))
    assert "sBILLING" not in text and "sLEDGER" not in text
