"""Management API behaviour: bad input, authentication, status codes and shapes that
the provider relies on (beyond what the replay suite covers)."""

from __future__ import annotations

import time

import jwt
import pytest


def error(response, status: int, message: str | None = None, code: str | None = "__any__") -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status
    assert body["error"]
    if message is not None:
        assert body["message"] == message, body
    if code != "__any__":
        assert body.get("errorCode") == code, body
    return body


# ----------------------------------------------------------------------------------
# Authentication and scopes


def test_missing_bearer_token_is_401(tenant):
    body = error(tenant.anon.get("/api/v2/clients"), 401, "Missing authentication")
    assert body["error"] == "Unauthorized"


def test_malformed_bearer_token_is_401(tenant):
    error(tenant.anon.get("/api/v2/clients", headers={"Authorization": "Bearer not-a-jwt"}), 401, "Invalid token.")
    error(tenant.anon.get("/api/v2/clients", headers={"Authorization": "Basic abc"}), 401)


def test_token_signed_by_someone_else_is_401(tenant, emulator):
    from cryptography.hazmat.primitives.asymmetric import rsa

    real = jwt.decode(emulator.management_token(), options={"verify_signature": False})
    forged = jwt.encode(
        real, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(emulator.management_token())["kid"]},
    )
    response = tenant.anon.get("/api/v2/clients", headers={"Authorization": f"Bearer {forged}"})
    error(response, 401, "Invalid signature received for JSON Web Token validation.")


def test_token_for_another_audience_is_401(tenant):
    api = tenant.api(scopes=["read:clients"])
    client = tenant.client()
    tenant.grant(client, api, ["read:clients"])
    token = tenant.token(client, api["identifier"]).json()["access_token"]
    error(tenant.anon.get("/api/v2/clients", headers={"Authorization": f"Bearer {token}"}), 401, "Invalid token.")


def test_client_without_management_grant_cannot_get_a_management_token(tenant, emulator):
    client = tenant.client()
    assert tenant.token(client, emulator.connection["audience"]).status_code == 403


# ----------------------------------------------------------------------------------
# Bodies


def test_malformed_json_is_400(tenant):
    response = tenant.http.post(
        "/api/v2/clients", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    error(response, 400, "Invalid request payload JSON format")


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/v2/clients", {"name": "x", "colour": "blue"}),
        ("/api/v2/resource-servers", {"identifier": "https://x.example.com/", "colour": "blue"}),
        ("/api/v2/organizations", {"name": "x", "colour": "blue"}),
        ("/api/v2/client-grants", {"client_id": "x", "audience": "y", "colour": "blue"}),
    ],
)
def test_unknown_field_is_400_invalid_body(tenant, path, body):
    error(
        tenant.http.post(path, json=body),
        400,
        "Payload validation error: 'Additional properties not allowed: colour'.",
        "invalid_body",
    )


def test_unknown_field_in_patch_and_immutable_fields(tenant):
    api = tenant.api()
    client = tenant.client()
    grant = tenant.grant(client, api, [])
    error(
        tenant.http.patch(f"/api/v2/client-grants/{grant['id']}", json={"audience": "https://other/"}),
        400,
        "Payload validation error: 'Additional properties not allowed: audience'.",
        "invalid_body",
    )
    error(
        tenant.http.patch(f"/api/v2/resource-servers/{api['id']}", json={"identifier": "https://other/"}),
        400,
        "Payload validation error: 'Additional properties not allowed: identifier'.",
    )


def test_nested_unknown_field_names_the_property(tenant):
    response = tenant.http.post(
        "/api/v2/clients",
        json={"name": "x", "default_organization": {"organization_id": "org_x", "flows": ["client_credentials"], "disable": True}},
    )
    body = error(response, 400, code="invalid_body")
    assert body["message"].startswith("Payload validation error: 'Additional properties not allowed: disable' on property default_organization")


@pytest.mark.parametrize(
    "default_organization,missing",
    [({"flows": ["client_credentials"]}, "organization_id"), ({"organization_id": "org_x"}, "flows")],
)
def test_default_organization_needs_both_keys(tenant, default_organization, missing):
    client = tenant.client()
    response = tenant.http.patch(f"/api/v2/clients/{client['client_id']}", json={"default_organization": default_organization})
    body = error(response, 400, code="invalid_body")
    assert f"Missing required property: {missing}" in body["message"]


def test_default_organization_flows_enum(tenant):
    response = tenant.http.post(
        "/api/v2/clients",
        json={"name": "x", "default_organization": {"organization_id": "org_x", "flows": ["authorization_code"]}},
    )
    assert "No enum match for: authorization_code" in error(response, 400, code="invalid_body")["message"]


@pytest.mark.parametrize("name", ["Upper", "with space", "-leading", "a" * 51, "", "dots.no"])
def test_invalid_organization_names(tenant, name):
    response = tenant.http.post("/api/v2/organizations", json={"name": name})
    body = error(response, 400, code="invalid_body")
    assert "on property name" in body["message"]


def test_valid_organization_names(tenant, unique_name):
    for name in ("0digits-first", "under_score", "a"):
        suffix = unique_name("n")
        tenant.org(name=(name + "-" + suffix)[:50])


@pytest.mark.parametrize("name", ["<script>", "a>b", ""])
def test_invalid_client_names(tenant, name):
    error(tenant.http.post("/api/v2/clients", json={"name": name}), 400, code="invalid_body")


def test_client_name_is_required(tenant):
    error(
        tenant.http.post("/api/v2/clients", json={"app_type": "non_interactive"}),
        400,
        "Payload validation error: 'Missing required property: name'.",
        "invalid_body",
    )


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"app_type": "desktop"}, "No enum match for: desktop"),
        ({"grant_types": ["magic"]}, "No enum match for: magic"),
        ({"token_endpoint_auth_method": "private"}, "No enum match for: private"),
        ({"description": "d" * 141}, "String is too long (141 chars), maximum 140"),
        ({"client_metadata": {str(i): "v" for i in range(11)}}, "Too many properties defined (11), maximum 10"),
        ({"is_first_party": "yes"}, "Expected type boolean but found type string"),
    ],
)
def test_client_value_validation(tenant, body, fragment):
    response = tenant.http.post("/api/v2/clients", json={"name": "x", **body})
    assert fragment in error(response, 400, code="invalid_body")["message"]


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"scopes": [{"value": "s" * 281}]}, "String is too long (281 chars), maximum 280"),
        ({"scopes": [{"value": ""}]}, "String is too short (0 chars), minimum 1"),
        ({"scopes": [{"description": "no value"}]}, "Missing required property: value"),
        ({"token_lifetime": 2592001}, "Value 2592001 is greater than maximum 2592000"),
        ({"signing_alg": "none"}, "No enum match for: none"),
        ({"signing_secret": "short"}, "String is too short (5 chars), minimum 16"),
        ({"token_dialect": "jwt"}, "No enum match for: jwt"),
        ({"name": "a<b"}, "String does not match pattern"),
    ],
)
def test_resource_server_value_validation(tenant, unique_name, body, fragment):
    response = tenant.http.post("/api/v2/resource-servers", json={"identifier": f"https://{unique_name('v')}/", **body})
    assert fragment in error(response, 400, code="invalid_body")["message"]


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"scope": ["s" * 281]}, "String is too long (281 chars), maximum 280"),
        ({"scope": [""]}, "String is too short (0 chars), minimum 1"),
        ({"organization_usage": "required"}, "No enum match for: required"),
        ({"subject_type": "robot"}, "No enum match for: robot"),
        ({"allow_any_organization": "true"}, "Expected type boolean but found type string"),
    ],
)
def test_client_grant_value_validation(tenant, body, fragment):
    api = tenant.api()
    client = tenant.client()
    response = tenant.http.post(
        "/api/v2/client-grants", json={"client_id": client["client_id"], "audience": api["identifier"], **body}
    )
    assert fragment in error(response, 400, code="invalid_body")["message"]


def test_client_grant_for_missing_client_or_api_is_404(tenant):
    api = tenant.api()
    client = tenant.client()
    error(tenant.http.post("/api/v2/client-grants", json={"client_id": "C" * 32, "audience": api["identifier"]}), 404)
    error(tenant.http.post("/api/v2/client-grants", json={"client_id": client["client_id"], "audience": "https://nope/"}), 404)


def test_form_encoded_bodies_are_accepted(tenant, unique_name):
    name = unique_name("form")
    response = tenant.http.post("/api/v2/organizations", data={"name": name, "display_name": "Form"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name


# ----------------------------------------------------------------------------------
# Status codes, conflicts, omitted fields


def test_duplicate_grant_is_409_and_other_subject_type_is_allowed(tenant):
    api = tenant.api()
    client = tenant.client()
    tenant.grant(client, api, [])
    response = tenant.http.post(
        "/api/v2/client-grants", json={"client_id": client["client_id"], "audience": api["identifier"], "scope": []}
    )
    error(response, 409, f"A client grant already exists between {client['client_id']} and {api['identifier']}")
    tenant.grant(client, api, [], subject_type="user")


def test_duplicate_link_is_409(tenant):
    api, client = tenant.api(), tenant.client()
    grant, org = tenant.grant(client, api, [], organization_usage="allow"), tenant.org()
    tenant.link(org, grant)
    response = tenant.http.post(f"/api/v2/organizations/{org['id']}/client-grants", json={"grant_id": grant["id"]})
    error(response, 409, "The client grant has already been added to this organization.")


def test_link_to_missing_grant_or_org_is_404(tenant):
    org = tenant.org()
    error(
        tenant.http.post(f"/api/v2/organizations/{org['id']}/client-grants", json={"grant_id": "cgr_missing0000000"}),
        404,
        "The grant does not exist.",
    )
    api, client = tenant.api(), tenant.client()
    grant = tenant.grant(client, api, [])
    body = error(
        tenant.http.post("/api/v2/organizations/org_missing0000000/client-grants", json={"grant_id": grant["id"]}),
        404,
        "No organization found by that id or name",
    )
    assert "errorCode" not in body


def test_org_name_conflict_is_409(tenant):
    org = tenant.org()
    error(tenant.http.post("/api/v2/organizations", json={"name": org["name"]}), 409,
          "An organization with this name already exists.", "organization_conflict")


def test_org_by_name_and_rename(tenant, unique_name):
    org = tenant.org()
    assert tenant.http.get(f"/api/v2/organizations/name/{org['name']}").json()["id"] == org["id"]
    new_name = unique_name("renamed")
    patched = tenant.ok(tenant.http.patch(f"/api/v2/organizations/{org['id']}", json={"name": new_name}), 200)
    assert patched["name"] == new_name
    error(tenant.http.get(f"/api/v2/organizations/name/{org['name']}"), 404)
    # The old name is free again.
    tenant.org(name=org["name"])


def test_org_delete_twice_is_404_and_removes_links(tenant):
    api, client = tenant.api(), tenant.client()
    grant, org = tenant.grant(client, api, []), tenant.org()
    tenant.link(org, grant)
    assert tenant.http.delete(f"/api/v2/organizations/{org['id']}").status_code == 204
    error(tenant.http.delete(f"/api/v2/organizations/{org['id']}"), 404, "No organization found by that id or name")
    assert tenant.http.get(f"/api/v2/client-grants/{grant['id']}/organizations").json() == []


def test_grant_delete_is_idempotent_and_removes_its_links(tenant):
    api, client = tenant.api(), tenant.client()
    grant, org = tenant.grant(client, api, []), tenant.org()
    tenant.link(org, grant)
    assert tenant.http.delete(f"/api/v2/client-grants/{grant['id']}").status_code == 204
    assert tenant.http.delete(f"/api/v2/client-grants/{grant['id']}").status_code == 204
    error(tenant.http.get(f"/api/v2/client-grants/{grant['id']}"), 404, "The grant does not exist.", "inexistent_client_grant")
    listed = tenant.http.get(f"/api/v2/organizations/{org['id']}/client-grants?include_totals=true").json()
    assert listed == {"client_grants": [], "start": 0, "limit": 50, "total": 0}


def test_client_delete_is_idempotent_and_removes_its_grants(tenant):
    api, client = tenant.api(), tenant.client()
    grant = tenant.grant(client, api, [])
    url = f"/api/v2/clients/{client['client_id']}"
    assert tenant.http.delete(url).status_code == 204
    error(tenant.http.get(url), 404, "The client does not exist", "inexistent_client")
    assert tenant.http.delete(url).status_code == 204
    error(tenant.http.get(f"/api/v2/client-grants/{grant['id']}"), 404, "The grant does not exist.")


def test_resource_server_delete_is_idempotent(tenant):
    api = tenant.api()
    for ref in (api["id"], api["identifier"].replace("/", "%2F")):
        url = f"/api/v2/resource-servers/{ref}"
        assert tenant.http.delete(url).status_code == 204
        error(tenant.http.get(url), 404, "The resource server does not exist", "inexistent_resource_server")


def test_grant_fields_are_omitted_until_set_and_removed_by_null(tenant):
    api, client = tenant.api(), tenant.client()
    grant = tenant.grant(client, api, ["a"])
    assert set(grant) == {"id", "client_id", "audience", "scope", "subject_type"}
    assert grant["subject_type"] == "client"
    url = f"/api/v2/client-grants/{grant['id']}"
    patched = tenant.ok(tenant.http.patch(url, json={"organization_usage": "require", "allow_any_organization": True}), 200)
    assert patched["organization_usage"] == "require" and patched["allow_any_organization"] is True
    cleared = tenant.ok(tenant.http.patch(url, json={"organization_usage": None, "allow_any_organization": None}), 200)
    assert "organization_usage" not in cleared and "allow_any_organization" not in cleared


def test_allow_all_scopes_is_refused_on_the_management_api(tenant, emulator):
    client = tenant.client()
    body = {"client_id": client["client_id"], "audience": emulator.connection["audience"], "scope": [], "allow_all_scopes": False}
    error(tenant.http.post("/api/v2/client-grants", json=body), 400,
          "`allow_all_scopes` cannot be provided when `audience` is a system API")


def test_grant_list_filters_and_pagination(tenant):
    api = tenant.api()
    clients = [tenant.client() for _ in range(3)]
    for client in clients:
        tenant.grant(client, api, [], organization_usage="allow", allow_any_organization=client is clients[0])
    base = f"/api/v2/client-grants?audience={api['identifier']}"
    assert len(tenant.http.get(base).json()) == 3
    page = tenant.http.get(base + "&include_totals=true&per_page=2&page=1").json()
    assert (page["total"], page["start"], page["limit"], len(page["client_grants"])) == (3, 2, 2, 1)
    assert list(page) == ["total", "start", "limit", "client_grants"]
    first = tenant.http.get(base + "&take=2").json()
    assert len(first["client_grants"]) == 2 and "next" in first
    rest = tenant.http.get(base + f"&take=2&from={first['next']}").json()
    assert len(rest["client_grants"]) == 1 and "next" not in rest
    only = tenant.http.get(base + f"&client_id={clients[1]['client_id']}").json()
    assert [g["client_id"] for g in only] == [clients[1]["client_id"]]
    any_org = tenant.http.get(base + "&allow_any_organization=true").json()
    assert [g["client_id"] for g in any_org] == [clients[0]["client_id"]]
    error(tenant.http.get(base + "&per_page=101"), 400, code="invalid_query_string")
    error(tenant.http.get(base + "&colour=blue"), 400, code="invalid_query_string")


def test_org_client_grants_list_filters(tenant):
    org = tenant.org()
    api1, api2 = tenant.api(), tenant.api()
    client = tenant.client()
    g1 = tenant.grant(client, api1, [])
    g2 = tenant.grant(client, api2, [])
    tenant.link(org, g1)
    tenant.link(org, g2)
    url = f"/api/v2/organizations/{org['id']}/client-grants"
    assert [g["id"] for g in tenant.http.get(url).json()] == [g1["id"], g2["id"]]
    assert [g["id"] for g in tenant.http.get(url, params={"audience": api2["identifier"]}).json()] == [g2["id"]]
    assert [g["id"] for g in tenant.http.get(url, params={"grant_ids": [g1["id"]]}).json()] == [g1["id"]]
    orgs = tenant.http.get(f"/api/v2/client-grants/{g1['id']}/organizations?include_totals=true").json()
    assert orgs["total"] == 1 and orgs["organizations"][0]["id"] == org["id"]


def test_resource_server_by_id_and_by_encoded_identifier(tenant):
    api = tenant.api(scopes=["a"])
    encoded = api["identifier"].replace("/", "%2F")
    by_identifier = tenant.http.get(f"/api/v2/resource-servers/{encoded}")
    assert by_identifier.status_code == 200 and by_identifier.json()["id"] == api["id"]
    patched = tenant.http.patch(f"/api/v2/resource-servers/{encoded}", json={"scopes": [{"value": "b", "description": "B"}]})
    assert patched.json()["scopes"] == [{"value": "b", "description": "B"}]
    assert tenant.http.get(f"/api/v2/resource-servers/{api['id']}").json()["scopes"] == [{"value": "b", "description": "B"}]
    error(tenant.http.get("/api/v2/resource-servers/https:%2F%2Fnope"), 404, "The resource server does not exist",
          "inexistent_resource_server")


def test_resource_server_list_fields(tenant):
    api = tenant.api(scopes=["a"])
    query = {"identifiers": api["identifier"], "fields": "id,identifier", "include_fields": "true", "include_totals": "true"}
    listed = tenant.ok(tenant.http.get("/api/v2/resource-servers", params=query), 200)
    # The shape of go-auth0 v1.38.0's recording TestResourceServer_List.
    assert listed == {"total": 1, "start": 0, "limit": 50,
                      "resource_servers": [{"id": api["id"], "identifier": api["identifier"]}]}
    without = tenant.ok(tenant.http.get("/api/v2/resource-servers", params={**query, "include_fields": "false"}), 200)
    assert "scopes" in without["resource_servers"][0] and "id" not in without["resource_servers"][0]


def test_duplicate_resource_server_identifier_is_409(tenant):
    api = tenant.api()
    error(tenant.http.post("/api/v2/resource-servers", json={"identifier": api["identifier"]}), 409,
          "A resource server with the same identifier already exists.")


def test_management_api_is_a_system_resource_server(tenant, emulator):
    encoded = emulator.connection["audience"].replace("/", "%2F")
    system = tenant.ok(tenant.http.get(f"/api/v2/resource-servers/{encoded}"), 200)
    assert system["is_system"] is True and system["name"] == "Auth0 Management API"
    assert any(s["value"] == "create:organization_client_grants" for s in system["scopes"])
    error(tenant.http.patch(f"/api/v2/resource-servers/{system['id']}", json={"name": "x"}), 400,
          "System resource servers cannot be patched")
    error(tenant.http.delete(f"/api/v2/resource-servers/{system['id']}"), 400, "System resource servers cannot be deleted")


def test_client_fields_include_fields_and_secrets(tenant):
    client = tenant.client(description="d")
    url = f"/api/v2/clients/{client['client_id']}"
    # OBSERVED (private key JWT recordings): a field selection still carries the signing keys.
    selected = tenant.http.get(url + "?fields=client_id&include_fields=true").json()
    assert set(selected) == {"client_id", "signing_keys"} and selected["client_id"] == client["client_id"]
    without = tenant.http.get(url + "?fields=client_secret,signing_keys&include_fields=false").json()
    assert "client_secret" not in without and without["name"] == client["name"]
    full = tenant.http.get(url).json()
    assert full["client_secret"] == client["client_secret"]
    assert full["signing_keys"][0]["cert"].startswith("-----BEGIN CERTIFICATE-----")


def test_client_defaults_and_token_endpoint_auth_method_omitted(tenant):
    client = tenant.ok(tenant.http.post("/api/v2/clients", json={"name": "defaults"}), 201)
    assert client["grant_types"] == ["authorization_code", "implicit", "refresh_token", "client_credentials"]
    assert client["jwt_configuration"] == {"secret_encoded": False, "lifetime_in_seconds": 36000}
    assert client["is_first_party"] is True
    for absent in ("token_endpoint_auth_method", "default_organization", "organization_usage", "app_type"):
        assert absent not in client


def test_rotate_secret_and_set_secret(tenant):
    api, client = tenant.api(), tenant.client()
    tenant.grant(client, api, [])
    rotated = tenant.ok(tenant.http.post(f"/api/v2/clients/{client['client_id']}/rotate-secret"), 200)
    assert rotated["client_secret"] != client["client_secret"]
    assert tenant.token(client, api["identifier"]).status_code == 401
    assert tenant.token(client, api["identifier"], secret=rotated["client_secret"]).status_code == 200
    chosen = "c" * 48
    tenant.ok(tenant.http.patch(f"/api/v2/clients/{client['client_id']}", json={"client_secret": chosen}), 200)
    assert tenant.token(client, api["identifier"], secret=chosen).status_code == 200


def test_default_organization_patch_and_null(tenant):
    org = tenant.org()
    client = tenant.client(default_organization={"organization_id": org["id"], "flows": ["client_credentials"]})
    assert client["default_organization"] == {"organization_id": org["id"], "flows": ["client_credentials"]}
    cleared = tenant.ok(tenant.http.patch(f"/api/v2/clients/{client['client_id']}", json={"default_organization": None}), 200)
    assert "default_organization" not in cleared


def test_organization_discovery_methods(tenant):
    """The sequence of go-auth0 v1.38.0's recording TestClient_OrganizationDiscoveryMethods."""
    client = tenant.client(organization_usage="require", organization_require_behavior="pre_login_prompt",
                           organization_discovery_methods=["email"])
    url = f"/api/v2/clients/{client['client_id']}"
    assert client["organization_discovery_methods"] == ["email"]
    patched = tenant.ok(tenant.http.patch(url, json={"organization_usage": "allow"}), 200)
    assert patched["organization_discovery_methods"] == ["email"]
    cleared = tenant.ok(tenant.http.patch(url, json={"organization_require_behavior": "post_login_prompt",
                                                     "organization_discovery_methods": None}), 200)
    assert "organization_discovery_methods" not in cleared
    assert cleared["organization_require_behavior"] == "post_login_prompt"
    error(tenant.http.patch(url, json={"organization_discovery_methods": ["email"]}), 400, code="invalid_body")
    error(tenant.http.patch(url, json={"organization_discovery_methods": ["phone"]}), 400, code="invalid_body")


def test_third_party_client_cannot_have_organization_usage(tenant):
    response = tenant.http.post("/api/v2/clients", json={"name": "tp", "is_first_party": False, "organization_usage": "allow"})
    error(response, 403)


def test_client_credentials_list_and_private_key_jwt(tenant):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    body = {"name": "pkjwt", "client_authentication_methods": {"private_key_jwt": {"credentials": [
        {"name": "key", "credential_type": "public_key", "pem": pem}]}}}
    client = tenant.ok(tenant.http.post("/api/v2/clients", json=body), 201)
    # The answer to the creation shows the new credential whole, and the secret (go-auth0's recordings) ...
    cred = client["client_authentication_methods"]["private_key_jwt"]["credentials"][0]
    assert set(cred) == {"id", "name", "kid", "credential_type", "alg", "created_at", "updated_at"}
    assert "client_secret" in client
    # ... later reads refer to it by id and hide the secret (the private key JWT recordings).
    read = tenant.http.get(f"/api/v2/clients/{client['client_id']}").json()
    assert read["client_authentication_methods"] == {"private_key_jwt": {"credentials": [{"id": cred["id"]}]}}
    assert "client_secret" not in read
    listed = tenant.http.get(f"/api/v2/clients/{client['client_id']}/credentials?include_totals=true&per_page=50").json()
    assert listed == [cred]
    assert tenant.http.get(f"/api/v2/clients/{tenant.client()['client_id']}/credentials").json() == []


def _public_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def test_credential_expiry_can_be_changed_and_removed(tenant):
    client = tenant.client()
    url = f"/api/v2/clients/{client['client_id']}/credentials"
    cred = tenant.ok(tenant.http.post(url, json={"name": "k", "credential_type": "public_key", "pem": _public_key_pem()}), 201)
    patched = tenant.ok(tenant.http.patch(f"{url}/{cred['id']}", json={"expires_at": "2050-05-13T11:33:13+02:00"}), 200)
    # Auth0 answers the expiry in UTC with milliseconds (recording TestAccClientAuthenticationMethodsPrivateKeyJWT).
    assert patched["expires_at"] == "2050-05-13T09:33:13.000Z"
    assert {k: v for k, v in patched.items() if k not in ("expires_at", "updated_at")} == {
        k: v for k, v in cred.items() if k != "updated_at"}
    assert tenant.http.get(f"{url}/{cred['id']}").json()["expires_at"] == "2050-05-13T09:33:13.000Z"
    cleared = tenant.ok(tenant.http.patch(f"{url}/{cred['id']}", json={"expires_at": None}), 200)
    assert "expires_at" not in cleared


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({}, "Too few properties defined (0), minimum 1"),
        ({"name": "x"}, "Additional properties not allowed: name"),
        ({"expires_at": "tomorrow"}, "Object didn't pass validation for format date-time: tomorrow"),
        ({"expires_at": "2050-05-13T09:33:13"}, "format date-time"),
    ],
)
def test_credential_patch_accepts_only_an_expiry(tenant, body, fragment):
    client = tenant.client()
    url = f"/api/v2/clients/{client['client_id']}/credentials"
    cred = tenant.ok(tenant.http.post(url, json={"credential_type": "public_key", "pem": _public_key_pem()}), 201)
    assert fragment in error(tenant.http.patch(f"{url}/{cred['id']}", json=body), 400, code="invalid_body")["message"]


def test_credential_patch_and_delete_of_missing_credentials(tenant):
    client = tenant.client()
    url = f"/api/v2/clients/{client['client_id']}/credentials/cred_0000000000000000000000"
    error(tenant.http.patch(url, json={"expires_at": None}), 404, "The credential does not exist.", "inexistent_credential")
    # Deleting a credential that is already gone is 204, like Auth0 (recording TestClient_DeleteCredential).
    assert tenant.http.delete(url).status_code == 204
    error(tenant.http.delete("/api/v2/clients/nope/credentials/cred_0000000000000000000000"), 404,
          "The client does not exist", "inexistent_client")


def test_unknown_routes_and_methods_are_json_404(tenant):
    error(tenant.http.get("/api/v2/connections"), 404, "Not Found")
    error(tenant.http.put("/api/v2/clients/abc", json={}), 404)


def test_org_members_and_connections_are_empty(tenant):
    org = tenant.org()
    members = tenant.http.get(f"/api/v2/organizations/{org['id']}/members?fields=user_id&include_fields=true&include_totals=true&per_page=50&take=100")
    assert members.json() == {"members": []}
    connections = tenant.http.get(f"/api/v2/organizations/{org['id']}/connections?include_totals=true&is_enabled=true&page=1&per_page=50")
    assert connections.json() == {"connections": [], "start": 50, "limit": 50, "total": 0}


def test_expired_management_token_is_401(tenant, emulator):
    """Sign an expired token with the tenant's own key (read from its SQLite file)."""
    import sqlite3

    db = sqlite3.connect(emulator.data_dir / "tenant.sqlite3")
    kid, private_pem = db.execute("SELECT kid, private_pem FROM signing_keys ORDER BY rowid DESC LIMIT 1").fetchone()
    db.close()
    claims = jwt.decode(emulator.management_token(), options={"verify_signature": False})
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    expired = jwt.encode(claims, private_pem, algorithm="RS256", headers={"kid": kid})
    response = tenant.anon.get("/api/v2/clients", headers={"Authorization": f"Bearer {expired}"})
    error(response, 401, "Expired token received for JSON Web Token validation.")


# ----------------------------------------------------------------------------------
# Scopes on every route, as Auth0's API reference lists them


def scoped_token(tenant, emulator, scopes: list[str]) -> dict[str, str]:
    client = tenant.client()
    tenant.ok(tenant.http.post("/api/v2/client-grants", json={
        "client_id": client["client_id"], "audience": emulator.connection["audience"], "scope": scopes}), 201)
    return {"Authorization": f"Bearer {tenant.token(client, emulator.connection['audience']).json()['access_token']}"}


def test_every_management_route_refuses_a_token_without_its_scopes(tenant, emulator):
    import auth0_emulator.app  # noqa: F401 - builds the routes, which fill the table
    from auth0_emulator.management.common import ROUTE_SCOPES

    unrelated = scoped_token(tenant, emulator, ["read:users"])
    assert len(ROUTE_SCOPES) >= 30
    for (method, template), scopes in sorted(ROUTE_SCOPES.items()):
        assert scopes, f"{method} {template} checks no scope"
        path = template.replace("{id}", "x").replace("{grant_id}", "y").replace("{credential_id}", "z").replace(
            "{name}", "n")
        response = tenant.anon.request(method, path, headers=unrelated, json={} if method in ("POST", "PATCH") else None)
        body = error(response, 403, f"Insufficient scope, expected any of: {','.join(scopes)}", "insufficient_scope")
        assert body["error"] == "Forbidden", (method, template)


def test_a_client_secret_is_read_and_changed_only_with_the_client_keys_scopes(tenant, emulator):
    client = tenant.client()
    readers = scoped_token(tenant, emulator, ["read:clients", "update:clients"])
    shown = tenant.ok(tenant.anon.get(f"/api/v2/clients/{client['client_id']}", headers=readers), 200)
    assert "client_secret" not in shown
    error(tenant.anon.patch(f"/api/v2/clients/{client['client_id']}", headers=readers, json={"client_secret": "x" * 48}),
          403, "Insufficient scope, expected any of: update:client_keys", "insufficient_scope")
    tenant.ok(tenant.anon.patch(f"/api/v2/clients/{client['client_id']}", headers=readers, json={"description": "ok"}), 200)
    keys = scoped_token(tenant, emulator, ["read:client_keys", "update:client_keys"])
    assert tenant.ok(tenant.anon.get(f"/api/v2/clients/{client['client_id']}", headers=keys), 200)["client_secret"]
    tenant.ok(tenant.anon.patch(f"/api/v2/clients/{client['client_id']}", headers=keys, json={"client_secret": "x" * 48}), 200)
