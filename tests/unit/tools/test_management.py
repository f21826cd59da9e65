"""The Management API reader (auth0_m2m.tools.management) against answers shaped like Auth0's.

Bodies follow the shapes in ../shared/auth0-recordings (go-auth0 TestClientGrantManager_List,
TestOrganizationManager_ClientGrants, terraform-provider-auth0 TestAccOrganizationClientGrant): paged lists with
``include_totals`` as ``{"total", "start", "limit", "<collection>": [...]}``, 404 bodies without ``errorCode`` for
organizations, grants that carry their ``subject_type``.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest

from auth0_m2m.tools import management
from auth0_m2m.tools.management import ManagementClient

DOMAIN = "tenant.example.auth0.com"


class Tenant:
    """An httpx transport playing the tenant: a token endpoint and a table of GET answers."""

    def __init__(self, answers: dict | None = None):
        self.answers = answers or {}
        self.requests: list[httpx.Request] = []
        self.tokens_issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/token":
            self.tokens_issued += 1
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["client_credentials"]
            assert form["audience"] == [f"https://{DOMAIN}/api/v2/"]
            return httpx.Response(200, json={"access_token": f"mgmt-{self.tokens_issued}", "token_type": "Bearer",
                                             "expires_in": 86400})
        assert request.headers["authorization"].startswith("Bearer mgmt-")
        # Keyed by the path as sent (percent-encoded), so quoting mistakes show.
        answer = self.answers.get(request.url.raw_path.decode().split("?")[0])
        if callable(answer):
            return answer(request)
        if answer is None:
            return httpx.Response(404, json={"statusCode": 404, "error": "Not Found",
                                             "message": "No organization found by that id or name"})
        return httpx.Response(200, json=answer)

    def client(self) -> ManagementClient:
        return ManagementClient(DOMAIN, "mgmt-client", "mgmt-secret", transport=httpx.MockTransport(self))


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def clients_page(request: httpx.Request) -> httpx.Response:
    """250 clients in pages of at most 100, every tenth named 'billing-sync'."""
    page, per_page = int(request.url.params["page"]), int(request.url.params["per_page"])
    everyone = [{"client_id": f"c{n:031d}", "name": "billing-sync" if n % 10 == 0 else f"app-{n}"} for n in range(250)]
    return httpx.Response(200, json={"total": 250, "start": page * per_page, "limit": per_page,
                                     "clients": everyone[page * per_page:(page + 1) * per_page]})


def test_one_management_token_serves_every_call():
    tenant = Tenant({"/api/v2/organizations/name/acme": {"id": "org_acme000000001", "name": "acme"}})
    client = tenant.client()
    assert client.organization_id("acme") == "org_acme000000001"
    assert client.organization_id("acme") == "org_acme000000001"
    assert tenant.tokens_issued == 1
    assert all(r.headers.get("authorization") == "Bearer mgmt-1" for r in tenant.requests[1:])


def test_missing_objects_are_none_and_other_errors_raise():
    def failing(request):
        return httpx.Response(500, json={"statusCode": 500, "error": "Internal Server Error", "message": "boom"})

    tenant = Tenant({"/api/v2/resource-servers/https%3A%2F%2Fbroken%2F": failing})
    client = tenant.client()
    assert client.organization_id("nobody") is None
    assert client.resource_server_id("https://missing.example.com/") is None
    with pytest.raises(httpx.HTTPStatusError):
        client.resource_server_id("https://broken/")


def test_identifiers_and_names_are_quoted_into_the_path():
    tenant = Tenant({"/api/v2/resource-servers/https%3A%2F%2Forders.example.com%2F": {"id": "6894ae0acd67e3bcfe2a6f33",
                                                                                     "identifier": "https://orders.example.com/"}})
    assert tenant.client().resource_server_id("https://orders.example.com/") == "6894ae0acd67e3bcfe2a6f33"
    assert tenant.requests[-1].url.raw_path == b"/api/v2/resource-servers/https%3A%2F%2Forders.example.com%2F"


def test_every_page_is_read_and_names_match_exactly():
    tenant = Tenant({"/api/v2/clients": clients_page})
    found = tenant.client().client_ids_named("billing-sync")
    assert found == [f"c{n:031d}" for n in range(0, 250, 10)]
    pages = [params(r) for r in tenant.requests if r.url.path == "/api/v2/clients"]
    assert [p["page"] for p in pages] == ["0", "1", "2"]
    assert {p["per_page"] for p in pages} == {"100"} and {p["include_totals"] for p in pages} == {"true"}
    assert {p["fields"] for p in pages} == {"client_id,name"}


def test_a_grant_is_found_by_client_and_audience_and_only_a_client_grant_counts():
    def grants(request):
        assert params(request)["client_id"] == "qRCn6tUH3W1FJ8zPCLtBdPGSqP1NQ9hi"
        assert params(request)["audience"] == "https://api.example.com/"
        return httpx.Response(200, json={"total": 2, "start": 0, "limit": 50, "client_grants": [
            # A user-flow grant for the same client and audience (as in the recorded list): not ours.
            {"id": "cgr_u03NqDMrHK3MOGB5", "client_id": "qRCn6tUH3W1FJ8zPCLtBdPGSqP1NQ9hi",
             "audience": "https://api.example.com/", "scope": ["create:resource"], "subject_type": "user"},
            {"id": "cgr_T6Rmz31CTGVHlCmh", "client_id": "qRCn6tUH3W1FJ8zPCLtBdPGSqP1NQ9hi",
             "audience": "https://api.example.com/", "scope": [], "subject_type": "client",
             "organization_usage": "require", "allow_any_organization": False},
        ]})

    client = Tenant({"/api/v2/client-grants": grants}).client()
    assert client.grant_id("qRCn6tUH3W1FJ8zPCLtBdPGSqP1NQ9hi", "https://api.example.com/") == "cgr_T6Rmz31CTGVHlCmh"


def test_a_grant_without_subject_type_is_a_client_grant_and_none_found_is_none():
    answers = iter([
        {"total": 1, "start": 0, "limit": 50, "client_grants": [{"id": "cgr_old", "client_id": "c", "audience": "a"}]},
        {"total": 0, "start": 0, "limit": 50, "client_grants": []},
    ])
    client = Tenant({"/api/v2/client-grants": lambda request: httpx.Response(200, json=next(answers))}).client()
    assert client.grant_id("c", "a") == "cgr_old"
    assert client.grant_id("c", "a") is None


def test_an_organization_link_is_looked_up_by_grant_id_not_from_the_first_page():
    def links(request):
        asked = params(request)["grant_ids"]
        linked = [{"id": asked, "client_id": "c", "audience": "a", "scope": [], "organization_usage": "allow",
                   "allow_any_organization": False}] if asked == "cgr_linked" else []
        return httpx.Response(200, json={"total": len(linked), "start": 0, "limit": 50, "client_grants": linked})

    tenant = Tenant({"/api/v2/organizations/org_kRblHAs7YQpHZNTA/client-grants": links})
    client = tenant.client()
    assert client.organization_has_grant("org_kRblHAs7YQpHZNTA", "cgr_linked") is True
    assert client.organization_has_grant("org_kRblHAs7YQpHZNTA", "cgr_other") is False
    assert client.organization_has_grant("org_gone", "cgr_linked") is False


def rate_limited(reset_in: float, then: dict, times: int = 1):
    state = {"left": times}

    def answer(request):
        if state["left"] > 0:
            state["left"] -= 1
            return httpx.Response(429, headers={"x-ratelimit-limit": "50", "x-ratelimit-remaining": "0",
                                                "x-ratelimit-reset": str(int(now[0] + reset_in))},
                                  json={"statusCode": 429, "error": "Too Many Requests",
                                        "message": "Global limit has been reached", "errorCode": "too_many_requests"})
        return httpx.Response(200, json=then)

    return answer


now = [1_800_000_000.0]


@pytest.fixture
def clock(monkeypatch):
    """Time stands still except when the client sleeps; every sleep is recorded."""
    slept: list[float] = []
    monkeypatch.setattr(management.time, "time", lambda: now[0])

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(management.time, "sleep", sleep)
    return slept


def test_a_429_waits_until_the_rate_limit_resets_then_retries(clock):
    tenant = Tenant({"/api/v2/organizations/name/acme": rate_limited(7, {"id": "org_acme000000001"})})
    assert tenant.client().organization_id("acme") == "org_acme000000001"
    assert clock == [7.0]


def test_the_wait_is_bounded_and_the_client_gives_up_after_eight_answers(clock):
    tenant = Tenant({"/api/v2/organizations/name/acme": rate_limited(3600, {"id": "x"}, times=100)})
    with pytest.raises(httpx.HTTPStatusError) as error:
        tenant.client().organization_id("acme")
    assert error.value.response.status_code == 429
    assert clock == [management.MAX_RATE_LIMIT_WAIT] * 8


def test_a_failed_management_token_request_raises():
    def refuse(request):
        return httpx.Response(401, json={"error": "access_denied", "error_description": "Unauthorized"})

    client = ManagementClient(DOMAIN, "wrong", "wrong", transport=httpx.MockTransport(refuse))
    with pytest.raises(httpx.HTTPStatusError):
        client.organization_id("acme")


def test_the_secret_goes_only_into_the_token_request():
    tenant = Tenant({"/api/v2/organizations/name/acme": {"id": "org_acme000000001"}})
    tenant.client().organization_id("acme")
    token_request, lookup = tenant.requests
    assert b"client_secret=mgmt-secret" in token_request.content
    assert "mgmt-secret" not in json.dumps({k: v for k, v in lookup.headers.items()}) + str(lookup.url)
