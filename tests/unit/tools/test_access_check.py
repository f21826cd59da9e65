"""The access check's planning, credentials and quota accounting, against a fake token endpoint."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from auth0_m2m import validate
from auth0_m2m.tools.access_check import (
    AccessCheckError,
    KeyCredentials,
    SecretCredentials,
    StackOutputs,
    TokenClient,
    credentials_for,
    load_private_key,
    parse_private_key_options,
    parse_quota_header,
    plan,
    run_check,
)

from ..model.test_credentials_and_quotas import public_pem, rsa_key

SOURCE = "stacks/Pulumi.dev.yaml"
RAW = {
    "environment": "dev",
    "organizations": {"acme": {"id": "org_acme0001"}},
    "apis": {"orders": {"identifier": "https://orders.example.com/"}},
    "applications": [
        {"name": "secretive", "grants": [{"api": "orders", "organization_usage": "allow", "organizations": ["acme"]}]},
        {"name": "keyed", "authentication_method": "private_key_jwt",
         "public_keys": [{"name": "k1", "pem": public_pem(rsa_key("a")), "algorithm": "PS256"}],
         "grants": [{"api": "orders"}]},
    ],
}
OUTPUTS = StackOutputs(
    client_ids={"secretive": "S" * 32, "keyed": "K" * 32},
    client_secrets={"secretive": "s3cret-value-never-printed"},
    organization_ids={"acme": "org_acme0001"},
)


@pytest.fixture
def config():
    return validate(RAW, SOURCE)


def test_private_key_options_accept_files_and_variables_and_refuse_the_rest():
    assert parse_private_key_options(["a=keys/a.pem", "b=env:B_KEY c=/abs/c.pem"]) == {
        "a": "keys/a.pem", "b": "env:B_KEY", "c": "/abs/c.pem"}
    with pytest.raises(AccessCheckError, match="expected APPLICATION=PATH or APPLICATION=env:VARIABLE"):
        parse_private_key_options(["just-a-path.pem"])


def test_private_keys_load_from_a_file_or_a_variable_and_must_be_unencrypted_rsa(tmp_path, monkeypatch):
    pem = rsa_key("a").private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
    (tmp_path / "k.pem").write_text(pem)
    assert load_private_key("keyed", str(tmp_path / "k.pem")).key_size == 2048
    monkeypatch.setenv("KEYED_KEY", pem)
    assert load_private_key("keyed", "env:KEYED_KEY").key_size == 2048
    with pytest.raises(AccessCheckError, match="environment variable NOPE is not set"):
        load_private_key("keyed", "env:NOPE")
    encrypted = rsa_key("a").private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(b"pw")).decode()
    (tmp_path / "e.pem").write_text(encrypted)
    with pytest.raises(AccessCheckError, match="is encrypted"):
        load_private_key("keyed", str(tmp_path / "e.pem"))


def test_credentials_match_the_key_to_a_public_key_and_its_algorithm(config):
    creds, missing = credentials_for(config, OUTPUTS, {"keyed": rsa_key("a")})
    assert isinstance(creds["secretive"], SecretCredentials)
    key = creds["keyed"]
    assert isinstance(key, KeyCredentials) and (key.algorithm, key.key_name) == ("PS256", "k1")
    assert missing == {}
    assert "s3cret" not in repr(creds["secretive"]) and "PRIVATE" not in repr(key)
    with pytest.raises(AccessCheckError, match="belongs to none of its public keys \\(k1\\)"):
        credentials_for(config, OUTPUTS, {"keyed": rsa_key("b")})
    with pytest.raises(AccessCheckError, match="authenticates with a client secret, not a key"):
        credentials_for(config, OUTPUTS, {"secretive": rsa_key("a")})
    _, missing = credentials_for(config, OUTPUTS, {})
    assert missing == {"keyed": "private_key_jwt: no private key given (--private-key keyed=PATH or =env:VARIABLE)"}


def test_the_assertion_is_what_auth0_verifies(config):
    creds, _ = credentials_for(config, OUTPUTS, {"keyed": rsa_key("a")})
    form = creds["keyed"].form("https://tenant.example.com/")
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    header = jwt.get_unverified_header(form["client_assertion"])
    claims = jwt.decode(form["client_assertion"], rsa_key("a").public_key(), algorithms=["PS256"],
                        audience="https://tenant.example.com/")
    assert header["kid"] == config.applications[1].public_keys[0].key_id
    assert claims["iss"] == claims["sub"] == "K" * 32
    assert claims["exp"] - claims["iat"] <= 300 and claims["jti"]


def test_quota_header_parses_every_bucket():
    buckets = parse_quota_header("b=per_hour;q=10;r=7;t=3540,b=per_day;q=50;r=47;t=43200")
    assert {n: (b.limit, b.remaining, b.resets_in) for n, b in buckets.items()} == {
        "per_hour": (10, 7, 3540), "per_day": (50, 47, 43200)}


class FakeTenant:
    """A token endpoint with a client quota, issuing unsigned-checkable tokens."""

    def __init__(self, per_hour: int):
        self.per_hour, self.used, self.requests = per_hour, 0, 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/jwks.json":
            return httpx.Response(200, json={"keys": []})
        self.requests += 1
        header = {"Auth0-Client-Quota-Limit": f"b=per_hour;q={self.per_hour};r={max(self.per_hour - self.used - 1, 0)};t=600"}
        if self.used >= self.per_hour:
            return httpx.Response(429, json={"error": "too_many_requests", "error_description": "Client quota exceeded"},
                                  headers=header)
        self.used += 1
        return httpx.Response(403, json={"error": "access_denied", "error_description": "refused for the test"},
                              headers=header)


def client_for(fake: FakeTenant) -> TokenClient:
    tokens = TokenClient("tenant.example.com")
    tokens._http = httpx.Client(base_url="https://tenant.example.com", transport=httpx.MockTransport(fake.handler))
    return tokens


def test_the_budget_is_checked_before_any_request(config):
    fake = FakeTenant(per_hour=100)
    creds, missing = credentials_for(config, OUTPUTS, {"keyed": rsa_key("a")})
    expectations = plan(config)
    assert len(expectations) == 4  # 2 applications x 1 API x (no organization, acme)
    with pytest.raises(AccessCheckError, match="needs 4 token requests, over the budget of 3"):
        run_check(config, OUTPUTS, client_for(fake), creds, expectations, missing, budget=3)
    assert fake.requests == 0


def test_the_check_keeps_a_quota_reserve_and_reports_its_use(config):
    fake = FakeTenant(per_hour=2)
    creds, missing = credentials_for(config, OUTPUTS, {})
    report = run_check(config, OUTPUTS, client_for(fake), creds, plan(config, ["secretive"]), missing, quota_reserve=1)
    # secretive: 2 requests planned; the first leaves 1 of 2, which is the reserve: the second is skipped.
    assert fake.requests == 1 and report.requested == 1
    assert [r.skipped for r in report.rows] == [None, "skipped: application secretive: per_hour quota down to its reserve (1)"]
    usage = report.quota[0]
    assert (usage.kind, usage.name, usage.requested) == ("application", "secretive", 0)  # a refused token is not used


def test_a_quota_429_is_not_a_difference(config):
    fake = FakeTenant(per_hour=0)
    creds, missing = credentials_for(config, OUTPUTS, {})
    report = run_check(config, OUTPUTS, client_for(fake), creds, plan(config, ["secretive"]), missing, quota_reserve=0)
    assert fake.requests == 1, "after a quota 429 the application's other requests are not made"
    assert all(r.matches for r in report.rows)
    assert report.rows[0].skipped == "not checked: 429 Client quota exceeded"
    assert report.quota[0].exhausted
