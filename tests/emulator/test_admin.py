"""The /__emulator introspection endpoints."""

from __future__ import annotations


def test_request_counters_by_route_template(emulator, tenant):
    api, client = tenant.api(), tenant.client()
    with emulator.client() as admin:
        admin.post("/__emulator/requests/reset")
        tenant.http.get(f"/api/v2/clients/{client['client_id']}")
        tenant.http.get(f"/api/v2/clients/{client['client_id']}")
        tenant.http.patch(f"/api/v2/clients/{client['client_id']}", json={"description": "x"})
        tenant.http.get(f"/api/v2/resource-servers/{api['identifier'].replace('/', '%2F')}")
        tenant.token(client, api["identifier"])
        admin.get("/__emulator/state")
        counters = admin.get("/__emulator/requests").json()
    assert counters["total"] == 5 and counters["writes"] == 2
    assert counters["by_route"] == {
        "GET /api/v2/clients/{id}": 2,
        "PATCH /api/v2/clients/{id}": 1,
        "GET /api/v2/resource-servers/{id}": 1,
        "POST /oauth/token": 1,
    }
    assert counters["by_status"] == {"200": 4, "403": 1}
    with emulator.client() as admin:
        assert admin.post("/__emulator/requests/reset").json()["total"] == 0


def test_state_dump_has_everything_but_secrets(emulator, tenant):
    api, client = tenant.api(signing_alg="HS256", signing_secret="x" * 20), tenant.client()
    grant, org = tenant.grant(client, api, [], organization_usage="allow"), tenant.org()
    tenant.link(org, grant)
    with emulator.client() as admin:
        response = admin.get("/__emulator/state")
    state = response.json()
    assert set(state) == {
        "tenant", "clients", "client_grants", "organizations", "organization_client_grants", "resource_servers",
        "token_quota_usage",
    }
    assert client["client_secret"] not in response.text and "x" * 20 not in response.text
    assert any(c["client_id"] == client["client_id"] for c in state["clients"])
    assert any(g["id"] == grant["id"] for g in state["client_grants"])
    assert {"organization_id": org["id"], "grant_id": grant["id"]} in state["organization_client_grants"]
    assert state["tenant"]["management_client_id"] == emulator.connection["client_id"]
