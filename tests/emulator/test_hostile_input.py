"""Hostile request bodies get Auth0's 400 (never a 500), and the tenant's data directory is private."""

from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth0_emulator import jsonbody, process

JSON = {"Content-Type": "application/json"}
PAYLOAD_ERROR = {"statusCode": 400, "error": "Bad Request", "message": "Invalid request payload JSON format"}


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


MALFORMED = {
    "truncated": b'{"name": ',
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "NaN": b'{"name": "x", "jwt_configuration": {"lifetime_in_seconds": NaN}}',
    "Infinity": b'{"name": "x", "jwt_configuration": {"lifetime_in_seconds": Infinity}}',
    "number out of range": b'{"name": "x", "jwt_configuration": {"lifetime_in_seconds": 1e999}}',
    "5000-digit integer": b'{"name": "x", "jwt_configuration": {"lifetime_in_seconds": ' + b"9" * 5000 + b"}}",
    "unterminated string": b'{"name": "x',
    "trailing garbage": b'{"name": "x"} }',
    **{f"array nested {d}": nested(d, "array") for d in (101, 1_000, 100_000)},
    **{f"object nested {d}": nested(d, "object") for d in (101, 1_000, 100_000)},
    "deep inside a valid field": b'{"name": "x", "client_metadata": ' + nested(5_000, "object") + b"}",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("method, path", [("POST", "/api/v2/clients"), ("PATCH", "/api/v2/clients/{id}"),
                                          ("POST", "/api/v2/organizations"), ("POST", "/api/v2/client-grants")])
def test_malformed_json_of_any_depth_is_auth0s_400(tenant, method, path, body):
    if "{id}" in path:
        path = path.format(id=tenant.client()["client_id"])
    response = tenant.http.request(method, path, content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json() == PAYLOAD_ERROR


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_token_requests_are_400_invalid_request(tenant, body):
    response = tenant.anon.post("/oauth/token", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_request", "error_description": "Invalid JSON body"}


def test_nesting_up_to_the_limit_is_parsed_and_validated(tenant):
    """Within the depth limit a body is parsed, and refused by the payload validation like Auth0's."""
    body = b'{"name": "x", "client_metadata": ' + nested(jsonbody.MAX_DEPTH - 1, "object") + b"}"
    response = tenant.http.post("/api/v2/clients", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "invalid_body"


def test_the_admin_api_refuses_deep_json_with_400(emulator):
    with emulator.client() as http:
        response = http.put("/__emulator/faults", content=nested(100_000, "array"), headers=JSON)
    assert response.status_code == 400


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300), st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30).map(lambda value: json.dumps(value).encode())))
def test_no_body_makes_a_500(tenant, body):
    for method, path in (("POST", "/api/v2/clients"), ("POST", "/api/v2/resource-servers"), ("POST", "/oauth/token")):
        client = tenant.anon if path == "/oauth/token" else tenant.http
        response = client.request(method, path, content=body, headers=JSON)
        assert response.status_code < 500, (path, body, response.text)


@pytest.mark.parametrize("depth, deep", [(jsonbody.MAX_DEPTH, False), (jsonbody.MAX_DEPTH + 1, True)])
def test_the_depth_check_counts_brackets_outside_strings(depth, deep):
    assert jsonbody.too_deep(nested(depth, "array")) is deep
    assert jsonbody.too_deep(b'["' + b"[" * 10_000 + b'"]') is False


# ----------------------------------------------------------------------------------
# The data directory


def modes(directory) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in [directory, *directory.iterdir()]}


def test_the_data_directory_and_every_file_in_it_are_the_owners_only(tmp_path):
    data = tmp_path / "tenant"
    running = process.start(data)
    try:
        with running.client() as http:  # something written after start-up: the database's journal
            http.get("/__emulator/state").raise_for_status()
        found = modes(data)
    finally:
        running.stop()
    assert found.pop("tenant") == 0o700
    # The management client's secret, the CA's and the server's private keys, every client secret, the log.
    assert {"connection.json", "ca-key.pem", "server-key.pem", "tenant.sqlite3", "tenant.sqlite3-wal",
            "emulator.log"} <= set(found), found
    assert {name: mode for name, mode in found.items() if mode != 0o600} == {}


def test_an_existing_data_directory_is_made_private_on_start(tmp_path):
    data = tmp_path / "tenant"
    running = process.start(data)
    running.stop()
    os.chmod(data, 0o755)
    for path in data.iterdir():
        os.chmod(path, 0o644)
    running = process.start(data)
    try:
        found = modes(data)
    finally:
        running.stop()
    assert found.pop("tenant") == 0o700
    assert {name: mode for name, mode in found.items() if mode != 0o600} == {}
