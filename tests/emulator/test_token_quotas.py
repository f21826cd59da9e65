"""Token quotas (``token_quota.client_credentials``) on clients and organizations, enforced at the token
endpoint with Auth0's 429 and quota headers, counted per UTC hour and day, persisted."""

from __future__ import annotations

import re
import time

import pytest

from auth0_emulator import process


def quota(per_hour=None, per_day=None, enforce=None):
    settings = {k: v for k, v in {"per_hour": per_hour, "per_day": per_day, "enforce": enforce}.items() if v is not None}
    return {"client_credentials": settings}


def parse(header: str) -> dict[str, dict[str, int]]:
    """``b=per_hour;q=10;r=7;t=3540,b=per_day;...`` -> {"per_hour": {"q": 10, "r": 7, "t": 3540}, ...}"""
    buckets = {}
    for part in header.split(","):
        fields = dict(item.split("=", 1) for item in part.split(";"))
        name = fields.pop("b")
        buckets[name] = {k: int(v) for k, v in fields.items()}
    return buckets


def assert_quota_429(response, description: str) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {"error": "too_many_requests", "error_description": description}
    assert response.headers["x-ratelimit-remaining"] == "0"
    reset = int(response.headers["x-ratelimit-reset"])
    # A per_hour bucket resets within the hour, a per_day one within the day.
    assert time.time() < reset <= time.time() + 86400
    assert 1 <= int(response.headers["retry-after"]) <= 86400


def test_client_quota_per_hour_is_enforced_with_auth0s_429_and_headers(tenant):
    api = tenant.api()
    client = tenant.client(token_quota=quota(per_hour=3, per_day=100))
    tenant.grant(client, api, [])
    remaining = []
    for _ in range(3):
        response = tenant.token(client, api["identifier"])
        assert response.status_code == 200, response.text
        buckets = parse(response.headers["auth0-client-quota-limit"])
        assert buckets["per_hour"]["q"] == 3 and buckets["per_day"]["q"] == 100
        assert 0 < buckets["per_hour"]["t"] <= 3600 and 0 < buckets["per_day"]["t"] <= 86400
        remaining.append((buckets["per_hour"]["r"], buckets["per_day"]["r"]))
    assert remaining == [(2, 99), (1, 98), (0, 97)]
    refused = tenant.token(client, api["identifier"])
    assert_quota_429(refused, "Client quota exceeded")
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert parse(refused.headers["auth0-client-quota-limit"])["per_day"]["r"] == 97, "a refused request is not counted"


def test_a_quota_that_is_not_enforced_only_counts(tenant):
    api = tenant.api()
    client = tenant.client(token_quota=quota(per_hour=1, enforce=False))
    tenant.grant(client, api, [])
    for _ in range(3):
        response = tenant.token(client, api["identifier"])
        assert response.status_code == 200
    assert parse(response.headers["auth0-client-quota-limit"])["per_hour"]["r"] == 0


def test_no_quota_no_headers(tenant):
    api = tenant.api()
    client = tenant.client()
    tenant.grant(client, api, [])
    response = tenant.token(client, api["identifier"])
    assert response.status_code == 200
    assert "auth0-client-quota-limit" not in response.headers
    assert "auth0-organization-quota-limit" not in response.headers


def test_organization_quota_counts_tokens_for_that_organization_also_by_default(tenant):
    api = tenant.api()
    org = tenant.org(token_quota=quota(per_day=2))
    client = tenant.client(default_organization={"organization_id": org["id"], "flows": ["client_credentials"]})
    grant = tenant.grant(client, api, [], organization_usage="require")
    tenant.link(org, grant)
    first = tenant.token(client, api["identifier"], organization=org["id"])
    day = parse(first.headers["auth0-organization-quota-limit"])["per_day"]
    assert (day["q"], day["r"]) == (2, 1)
    second = tenant.token(client, api["identifier"])  # the default organization
    assert second.status_code == 200 and parse(second.headers["auth0-organization-quota-limit"])["per_day"]["r"] == 0
    assert_quota_429(tenant.token(client, api["identifier"], organization=org["id"]), "Organization quota exceeded")


def test_organization_quota_is_shared_by_clients_and_does_not_apply_without_organization(tenant):
    api = tenant.api()
    org = tenant.org(token_quota=quota(per_hour=1))
    one, two = tenant.client(), tenant.client()
    for client in (one, two):
        tenant.link(org, tenant.grant(client, api, [], organization_usage="allow"))
    assert tenant.token(one, api["identifier"], organization=org["id"]).status_code == 200
    assert_quota_429(tenant.token(two, api["identifier"], organization=org["id"]), "Organization quota exceeded")
    without = tenant.token(two, api["identifier"])
    assert without.status_code == 200 and "auth0-organization-quota-limit" not in without.headers


def test_client_quota_is_checked_before_the_organizations(tenant):
    api = tenant.api()
    org = tenant.org(token_quota=quota(per_hour=1))
    client = tenant.client(token_quota=quota(per_hour=1))
    tenant.link(org, tenant.grant(client, api, [], organization_usage="allow"))
    assert tenant.token(client, api["identifier"], organization=org["id"]).status_code == 200
    assert_quota_429(tenant.token(client, api["identifier"], organization=org["id"]), "Client quota exceeded")


def test_removing_the_quota_lifts_it(tenant):
    api = tenant.api()
    client = tenant.client(token_quota=quota(per_hour=1))
    tenant.grant(client, api, [])
    assert tenant.token(client, api["identifier"]).status_code == 200
    assert tenant.token(client, api["identifier"]).status_code == 429
    tenant.ok(tenant.http.patch(f"/api/v2/clients/{client['client_id']}", json={"token_quota": None}), 200)
    assert tenant.token(client, api["identifier"]).status_code == 200


@pytest.mark.parametrize("bad", [
    {"client_credentials": {"per_hour": 0}},
    {"client_credentials": {"per_day": 2147483648}},
    {"client_credentials": {"per_hour": 1, "burst": 2}},
    {"other": {}},
])
def test_quota_values_are_validated_like_auth0(tenant, bad):
    response = tenant.http.post("/api/v2/clients", json={"name": "q", "token_quota": bad})
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "invalid_body"


def test_quota_usage_survives_a_restart(fresh_emulator):
    from .conftest import Tenant

    tenant = Tenant(fresh_emulator)
    api = tenant.api()
    client = tenant.client(token_quota=quota(per_hour=1))
    tenant.grant(client, api, [])
    assert tenant.token(client, api["identifier"]).status_code == 200
    tenant.close()
    fresh_emulator.stop()
    restarted = process.start(fresh_emulator.data_dir)
    try:
        tenant = Tenant(restarted)
        assert tenant.token(client, api["identifier"]).status_code == 429
        state = restarted.client().get("/__emulator/state").json()
        assert any(u["subject_id"] == client["client_id"] and u["used"] == 1 for u in state["token_quota_usage"])
        tenant.close()
    finally:
        restarted.stop()


def test_the_header_format_is_auth0s(tenant):
    api = tenant.api()
    client = tenant.client(token_quota=quota(per_hour=10, per_day=50))
    tenant.grant(client, api, [])
    header = tenant.token(client, api["identifier"]).headers["auth0-client-quota-limit"]
    assert re.fullmatch(r"b=per_hour;q=10;r=9;t=\d+,b=per_day;q=50;r=49;t=\d+", header), header
