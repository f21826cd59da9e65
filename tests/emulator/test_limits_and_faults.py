"""The 100-grants-per-organization cap, Auth0-like rate limiting, and fault injection."""

from __future__ import annotations

import math
import time

import pytest

from auth0_emulator import process

GLOBAL_LIMIT = {
    "statusCode": 429,
    "error": "Too Many Requests",
    "message": "Global limit has been reached",
    "errorCode": "too_many_requests",
}


def test_an_organization_holds_at_most_100_client_grants(tenant):
    org, api = tenant.org(), tenant.api()
    grants = [tenant.grant(tenant.client(), api, []) for _ in range(101)]
    for grant in grants[:100]:
        tenant.link(org, grant)
    response = tenant.http.post(f"/api/v2/organizations/{org['id']}/client-grants", json={"grant_id": grants[100]["id"]})
    assert response.status_code == 409
    assert response.json()["message"] == "Quota exceeded; cannot add more than 100 client grants to a single organization"
    # Unlinking one frees a place.
    assert tenant.http.delete(f"/api/v2/organizations/{org['id']}/client-grants/{grants[0]['id']}").status_code == 204
    tenant.link(org, grants[100])
    # The provider reads only the first page of 50; the rest is on the next pages.
    page = tenant.http.get(f"/api/v2/organizations/{org['id']}/client-grants?include_totals=true&per_page=50&page=1").json()
    assert page["total"] == 100 and len(page["client_grants"]) == 50


def test_rate_limit_headers_are_on_every_management_response(tenant):
    response = tenant.http.get("/api/v2/clients?per_page=1")
    for header in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert header in response.headers
    error = tenant.http.get("/api/v2/clients/nope")
    assert error.status_code == 404 and "x-ratelimit-reset" in error.headers


def test_token_bucket_429_with_a_correct_future_reset(emulator, tenant):
    with emulator.client() as admin:
        settings = admin.put("/__emulator/faults", json={"rate_limit_burst": 3, "rate_limit_rate": 1}).json()
    assert settings["rate_limit_burst"] == 3
    statuses, last = [], None
    for _ in range(4):
        last = tenant.http.get("/api/v2/organizations?per_page=1")
        statuses.append(last.status_code)
    assert statuses == [200, 200, 200, 429]
    assert last.json() == GLOBAL_LIMIT
    assert last.headers["x-ratelimit-limit"] == "3"
    assert last.headers["x-ratelimit-remaining"] == "0"
    reset = int(last.headers["x-ratelimit-reset"])
    now = time.time()
    assert now < reset <= math.ceil(now) + 2
    # Retrying as the provider does (sleep until reset) succeeds: never 429 forever.
    time.sleep(max(0.0, reset - time.time()) + 0.05)
    assert tenant.http.get("/api/v2/organizations?per_page=1").status_code == 200


def test_rate_limit_does_not_apply_to_the_token_endpoint(emulator, tenant):
    api, client = tenant.api(), tenant.client()
    tenant.grant(client, api, [])
    with emulator.client() as admin:
        admin.put("/__emulator/faults", json={"rate_limit_burst": 1, "rate_limit_rate": 0.1})
    for _ in range(5):
        assert tenant.token(client, api["identifier"]).status_code == 200


def test_injected_5xx_changes_nothing(emulator, tenant, unique_name):
    name = unique_name("faulted")
    with emulator.client() as admin:
        admin.post("/__emulator/requests/reset")
        admin.put("/__emulator/faults", json={"fault_5xx": 1.0})
    response = tenant.http.post("/api/v2/organizations", json={"name": name})
    assert response.status_code == 503
    body = response.json()
    assert body["statusCode"] == 503 and body["error"] == "Service Unavailable" and body["message"]
    with emulator.client() as admin:
        admin.put("/__emulator/faults", json={"fault_5xx": 0})
        counters = admin.get("/__emulator/requests").json()
    assert counters["faults"] == 1
    assert tenant.http.get(f"/api/v2/organizations/name/{name}").status_code == 404


def test_injected_429_has_a_future_reset_and_changes_nothing(emulator, tenant, unique_name):
    name = unique_name("faulted")
    with emulator.client() as admin:
        admin.put("/__emulator/faults", json={"fault_429": 1.0})
    response = tenant.http.post("/api/v2/organizations", json={"name": name})
    assert response.status_code == 429 and response.json() == GLOBAL_LIMIT
    assert int(response.headers["x-ratelimit-reset"]) > time.time()
    with emulator.client() as admin:
        admin.put("/__emulator/faults", json={"fault_429": 0})
    assert tenant.http.get(f"/api/v2/organizations/name/{name}").status_code == 404


def test_fault_ratio_is_roughly_respected(emulator, tenant):
    with emulator.client() as admin:
        admin.put("/__emulator/faults", json={"fault_5xx": 0.5, "seed": 7})
    statuses = [tenant.http.get("/api/v2/organizations?per_page=1").status_code for _ in range(200)]
    assert 60 < statuses.count(503) < 140
    assert set(statuses) == {200, 503}


def test_latency_is_added(emulator, tenant):
    with emulator.client() as admin:
        admin.put("/__emulator/faults", json={"latency_ms": 200})
    started = time.monotonic()
    tenant.http.get("/api/v2/organizations?per_page=1")
    assert time.monotonic() - started >= 0.2


def test_faults_endpoint_validates(emulator):
    with emulator.client() as admin:
        assert admin.put("/__emulator/faults", json={"fault_5xx": 2}).status_code == 400
        assert admin.put("/__emulator/faults", json={"nonsense": 1}).status_code == 400
        assert admin.get("/__emulator/faults").json()["fault_5xx"] == 0


def test_flags_at_startup(tmp_path):
    args = ["--fault-5xx", "1", "--rate-limit-burst", "5", "--rate-limit-rate", "2", "--latency-ms", "1"]
    running = process.start(tmp_path / "t", args=args)
    try:
        with running.client() as admin:
            settings = admin.get("/__emulator/faults").json()
        assert settings["fault_5xx"] == 1 and settings["rate_limit_burst"] == 5 and settings["rate_limit_rate"] == 2
        # The token endpoint is not faulted, the Management API is.
        with running.management_client() as http:
            assert http.get("/api/v2/clients").status_code == 503
    finally:
        running.stop()


@pytest.mark.parametrize("bad", [["--fault-429", "1.5"], ["--port", "x"]])
def test_bad_flags_are_refused(tmp_path, bad):
    import subprocess
    import sys

    args = [sys.executable, "-m", "auth0_emulator", "serve", "--port", "0", "--data-dir", str(tmp_path)] + bad
    assert subprocess.run(args, capture_output=True, timeout=30).returncode == 2


def test_token_bucket_reset_is_when_a_token_is_back():
    from auth0_emulator.controls import TokenBucket

    now = [1000.25]
    bucket = TokenBucket(burst=2, rate=0.5, clock=lambda: now[0])
    assert bucket.take()[0] and bucket.take()[0]
    allowed, headers = bucket.take()
    assert not allowed
    assert headers["x-ratelimit-remaining"] == "0"
    reset = int(headers["x-ratelimit-reset"])
    assert reset == 1003  # one token needs 2 s at 0.5/s: 1002.25, rounded up
    now[0] = reset
    assert bucket.take()[0]  # at the announced reset a request goes through


def test_port_in_use_is_a_clean_error(fresh_emulator):
    import subprocess
    import sys

    port = fresh_emulator.connection["domain"].split(":")[1]
    result = subprocess.run(
        [sys.executable, "-m", "auth0_emulator", "serve", "--port", port, "--data-dir", str(fresh_emulator.data_dir / "other")],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 1 and "cannot serve" in result.stderr
