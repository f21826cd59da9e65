"""The tenant reader: every page, rate limits honoured, failures as one line naming the request."""

from __future__ import annotations

import time

import httpx
import pytest

from auth0_m2m.tools.management import CredentialRejected, ManagementClient, ManagementError, MissingScope


def reader(handler, sleeps=None) -> ManagementClient:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer"})
        return handler(request)

    return ManagementClient("tenant.example.com", "cid", "secret", transport=httpx.MockTransport(route),
                            sleep=(sleeps.append if sleeps is not None else lambda _: None))


def test_checkpoint_paging_follows_next_until_the_last_page():
    pages = {None: (["a", "b"], "n1"), "n1": (["c"], "n2"), "n2": (["d"], None)}

    def handler(request):
        items, following = pages[request.url.params.get("from")]
        assert request.url.params["take"] == "100"
        body = {"clients": [{"client_id": i} for i in items]}
        if following:
            body["next"] = following
        return httpx.Response(200, json=body)

    assert [c["client_id"] for c in reader(handler).clients()] == ["a", "b", "c", "d"]


def test_grant_organizations_are_read_beyond_the_first_page():
    orgs = [{"id": f"org_{i}", "name": f"o{i}"} for i in range(130)]

    def handler(request):
        start = int(request.url.params.get("from") or 0)
        take = int(request.url.params["take"])
        body = {"organizations": orgs[start:start + take]}
        if start + take < len(orgs):
            body["next"] = str(start + take)
        return httpx.Response(200, json=body)

    client = reader(handler)
    assert len(client.grant_organizations("cgr_1")) == 130
    assert client.calls["GET /client-grants/{id}/organizations"] == 2


def test_a_429_waits_until_the_reset_then_retries():
    answers = [httpx.Response(429, headers={"x-ratelimit-reset": str(int(time.time()) + 3)}, json={}),
               httpx.Response(200, json={"client_grants": []})]
    sleeps: list[float] = []
    client = reader(lambda request: answers.pop(0), sleeps)
    assert client.client_grants() == []
    assert len(sleeps) == 1 and 1.0 < sleeps[0] <= 3.5


def test_no_remaining_budget_makes_the_next_request_wait_for_the_reset():
    reset = str(int(time.time()) + 2)
    sleeps: list[float] = []
    client = reader(lambda request: httpx.Response(
        200, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}, json={"id": "org_1", "name": "a"}
    ), sleeps)
    client.organization("org_1")
    assert sleeps == []
    client.organization("org_1")
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 2


def test_a_missing_scope_is_one_line_naming_the_request_and_the_scope():
    client = reader(lambda request: httpx.Response(403, json={
        "statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: read:client_grants",
        "errorCode": "insufficient_scope"}))
    with pytest.raises(MissingScope) as error:
        client.client_grants()
    assert str(error.value) == (
        "the tenant refused GET /api/v2/client-grants: Insufficient scope, expected any of: read:client_grants "
        "(the Management API credential lacks this scope)"
    )


def test_a_refused_credential_is_one_line():
    def route(request):
        return httpx.Response(401, json={"error": "access_denied", "error_description": "Unauthorized"})

    client = ManagementClient("tenant.example.com", "cid", "wrong", transport=httpx.MockTransport(route))
    with pytest.raises(CredentialRejected, match=r"^the tenant refused the Management API credential \(client id cid\): "
                                                  r"access_denied: Unauthorized$"):
        client.clients()


def test_404_is_none_and_other_failures_name_the_status():
    answers = {"/api/v2/organizations/org_x": httpx.Response(404, json={"message": "No organization found"}),
               "/api/v2/organizations/org_y": httpx.Response(400, json={"message": "bad"})}
    client = reader(lambda request: answers[request.url.path])
    assert client.organization("org_x") is None
    with pytest.raises(ManagementError, match="GET /api/v2/organizations/org_y failed with 400: bad"):
        client.organization("org_y")
