"""POST /oauth/token with client_credentials: every row of the decision table
(facts file 1.3: pre-checks A-F, organization rows 1-11), the error bodies, and
the tokens themselves."""

from __future__ import annotations

import pytest


def assert_error(response, status: int, error: str, description: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error
    if description is not None:
        assert body["error_description"] == description


@pytest.fixture
def setup(tenant):
    """A client, an API with two scopes, and a grant whose fields each test chooses."""

    def make(usage=None, any_org=None, *, default_org=None, scope=("read:a", "write:a"), **client_fields):
        api = tenant.api(scopes=["read:a", "write:a"])
        if default_org is not None:
            client_fields["default_organization"] = {"organization_id": default_org["id"], "flows": ["client_credentials"]}
        client = tenant.client(**client_fields)
        extra = {}
        if usage is not None:
            extra["organization_usage"] = usage
        if any_org is not None:
            extra["allow_any_organization"] = any_org
        grant = tenant.grant(client, api, list(scope), **extra)
        return client, api, grant

    return make


# ----------------------------------------------------------------------------------
# Pre-checks A-F


def test_a_wrong_secret_is_401_access_denied(tenant, setup):
    client, api, _ = setup()
    assert_error(tenant.token(client, api["identifier"], secret="wrong"), 401, "access_denied", "Unauthorized")


def test_a_unknown_client_and_missing_client_id_are_401(tenant, setup):
    client, api, _ = setup()
    unknown = dict(client, client_id="X" * 32)
    assert_error(tenant.token(unknown, api["identifier"]), 401, "access_denied", "Unauthorized")
    response = tenant.anon.post("/oauth/token", data={"grant_type": "client_credentials", "audience": api["identifier"]})
    assert_error(response, 401, "access_denied", "Unauthorized")


def test_a_wrong_secret_over_basic_auth_is_401(tenant, setup):
    client, api, _ = setup()
    assert_error(tenant.token(client, api["identifier"], secret="nope", style="basic"), 401, "access_denied")


def test_b_client_without_client_credentials_grant_type_is_403_unauthorized_client(tenant, setup):
    client, api, _ = setup(grant_types=["authorization_code"])
    assert_error(
        tenant.token(client, api["identifier"]),
        403,
        "unauthorized_client",
        "Grant type 'client_credentials' not allowed for the client.",
    )


def test_c_no_audience_is_403(tenant, setup):
    client, _, _ = setup()
    assert_error(
        tenant.token(client, None),
        403,
        "access_denied",
        "No audience parameter was provided, and no default audience has been configured",
    )


def test_d_unknown_audience_is_403_service_not_found(tenant, setup):
    client, _, _ = setup()
    assert_error(
        tenant.token(client, "https://nowhere.example.com/"),
        403,
        "access_denied",
        "Service not found: https://nowhere.example.com/",
    )


def test_e_no_client_grant_is_403(tenant):
    api = tenant.api(scopes=["read:a"])
    client = tenant.client()
    assert_error(
        tenant.token(client, api["identifier"]),
        403,
        "access_denied",
        f'Client "{client["client_id"]}" is not authorized to access resource server "{api["identifier"]}". '
        'You need to create a "client-grant" associated to this API.',
    )


def test_e_user_grant_does_not_authorize_client_credentials(tenant):
    api = tenant.api(scopes=["read:a"])
    client = tenant.client()
    tenant.grant(client, api, ["read:a"], subject_type="user")
    assert_error(tenant.token(client, api["identifier"]), 403, "access_denied")


def test_e_api_with_client_policy_deny_all_refuses_even_with_a_grant(tenant, setup):
    client, api, _ = setup()
    patched = tenant.http.patch(
        f"/api/v2/resource-servers/{api['id']}",
        json={"subject_type_authorization": {"client": {"policy": "deny_all"}}},
    )
    assert patched.status_code == 200, patched.text
    assert_error(tenant.token(client, api["identifier"]), 403, "access_denied")


def test_f_scope_outside_grant_is_403(tenant, setup):
    client, api, _ = setup(scope=("read:a",))
    assert_error(
        tenant.token(client, api["identifier"], scope="read:a write:a delete:a"),
        403,
        "access_denied",
        "Client has not been granted scopes: write:a delete:a",
    )


def test_f_scope_subset_narrows_the_token(tenant, setup):
    client, api, _ = setup()
    response = tenant.token(client, api["identifier"], scope="write:a")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "write:a"
    assert tenant.verify(response.json()["access_token"], api["identifier"])["scope"] == "write:a"


def test_allow_all_scopes_grants_every_scope_of_the_api(tenant):
    api = tenant.api(scopes=["read:a", "write:a"])
    client = tenant.client()
    body = {"client_id": client["client_id"], "audience": api["identifier"], "allow_all_scopes": True}
    grant = tenant.ok(tenant.http.post("/api/v2/client-grants", json=body), 201)
    assert "scope" not in grant
    assert tenant.token(client, api["identifier"]).json()["scope"] == "read:a write:a"


# ----------------------------------------------------------------------------------
# Organization rows 1-11


def test_row1_deny_without_org_gives_token_without_org_claims_and_ignores_default_org(tenant, setup):
    org = tenant.org()
    client, api, grant = setup(default_org=org)  # organization_usage unset = deny
    assert "organization_usage" not in grant
    response = tenant.token(client, api["identifier"])
    assert response.status_code == 200, response.text
    assert "org_id" not in tenant.verify(response.json()["access_token"], api["identifier"])


def test_row1_explicit_deny_behaves_like_unset(tenant, setup):
    client, api, _ = setup("deny")
    claims = tenant.verify(tenant.token(client, api["identifier"]).json()["access_token"], api["identifier"])
    assert "org_id" not in claims


def test_row2_deny_with_org_is_refused(tenant, setup):
    org = tenant.org()
    client, api, grant = setup()
    tenant.link(org, grant)  # even an association does not help a "deny" grant
    assert_error(tenant.token(client, api["identifier"], organization=org["id"]), 403, "access_denied")


def test_row3_allow_without_org_gives_no_org_claims_even_with_default_org(tenant, setup):
    org = tenant.org()
    client, api, grant = setup("allow", default_org=org)
    tenant.link(org, grant)
    response = tenant.token(client, api["identifier"])
    assert response.status_code == 200, response.text
    assert "org_id" not in tenant.verify(response.json()["access_token"], api["identifier"])


@pytest.mark.parametrize("usage", ["allow", "require"])
def test_row4_unknown_org_is_refused(tenant, setup, usage):
    client, api, _ = setup(usage, True)
    assert_error(tenant.token(client, api["identifier"], organization="org_doesnotexist0000"), 400, "invalid_request")


def test_row4_org_name_is_not_accepted_without_the_tenant_flag(tenant, setup):
    org = tenant.org()
    client, api, _ = setup("allow", True)
    assert_error(
        tenant.token(client, api["identifier"], organization=org["name"]),
        400,
        "invalid_request",
        "parameter organization must be an organization id",
    )


@pytest.mark.parametrize("usage", ["allow", "require"])
def test_row5_allow_any_organization_accepts_any_existing_org(tenant, setup, usage):
    org = tenant.org()
    client, api, _ = setup(usage, True)
    response = tenant.token(client, api["identifier"], organization=org["id"])
    assert response.status_code == 200, response.text
    claims = tenant.verify(response.json()["access_token"], api["identifier"])
    assert claims["org_id"] == org["id"]
    assert "org_name" not in claims


@pytest.mark.parametrize("usage", ["allow", "require"])
def test_row6_associated_org_is_accepted(tenant, setup, usage):
    org = tenant.org()
    client, api, grant = setup(usage, False)
    tenant.link(org, grant)
    response = tenant.token(client, api["identifier"], organization=org["id"])
    assert response.status_code == 200, response.text
    assert tenant.verify(response.json()["access_token"], api["identifier"])["org_id"] == org["id"]


@pytest.mark.parametrize("usage", ["allow", "require"])
def test_row7_unassociated_org_is_refused(tenant, setup, usage):
    org, other = tenant.org(), tenant.org()
    client, api, grant = setup(usage)  # allow_any_organization unset = false
    tenant.link(other, grant)
    assert_error(tenant.token(client, api["identifier"], organization=org["id"]), 403, "access_denied")


def test_row8_require_without_org_uses_the_associated_default_org(tenant, setup):
    org = tenant.org()
    client, api, grant = setup("require", default_org=org)
    tenant.link(org, grant)
    response = tenant.token(client, api["identifier"])
    assert response.status_code == 200, response.text
    assert tenant.verify(response.json()["access_token"], api["identifier"])["org_id"] == org["id"]


def test_row8_require_default_org_with_allow_any_organization(tenant, setup):
    org = tenant.org()
    client, api, _ = setup("require", True, default_org=org)
    response = tenant.token(client, api["identifier"])
    assert tenant.verify(response.json()["access_token"], api["identifier"])["org_id"] == org["id"]


def test_row9_require_default_org_not_associated_is_refused(tenant, setup):
    org = tenant.org()
    client, api, _ = setup("require", False, default_org=org)
    assert_error(tenant.token(client, api["identifier"]), 403, "access_denied")


def test_row10_require_without_org_and_without_default_is_refused(tenant, setup):
    client, api, _ = setup("require", True)
    assert_error(tenant.token(client, api["identifier"]), 403, "access_denied")


@pytest.mark.parametrize("usage", ["allow", "require"])
def test_row11_explicit_org_wins_over_default_org(tenant, setup, usage):
    default, explicit = tenant.org(), tenant.org()
    client, api, grant = setup(usage, default_org=default)
    tenant.link(default, grant)
    tenant.link(explicit, grant)
    response = tenant.token(client, api["identifier"], organization=explicit["id"])
    assert tenant.verify(response.json()["access_token"], api["identifier"])["org_id"] == explicit["id"]


def test_row11_explicit_org_is_checked_even_when_default_would_pass(tenant, setup):
    default, explicit = tenant.org(), tenant.org()
    client, api, grant = setup("require", default_org=default)
    tenant.link(default, grant)
    assert_error(tenant.token(client, api["identifier"], organization=explicit["id"]), 403, "access_denied")


def test_unlinking_blocks_new_tokens_but_issued_ones_stay_valid(tenant, setup):
    org = tenant.org()
    client, api, grant = setup("allow")
    tenant.link(org, grant)
    issued = tenant.token(client, api["identifier"], organization=org["id"]).json()["access_token"]
    response = tenant.http.delete(f"/api/v2/organizations/{org['id']}/client-grants/{grant['id']}")
    assert response.status_code == 204
    assert_error(tenant.token(client, api["identifier"], organization=org["id"]), 403, "access_denied")
    assert tenant.verify(issued, api["identifier"])["org_id"] == org["id"]


def test_third_party_client_only_uses_explicit_associations(tenant):
    api = tenant.api(scopes=["read:a"])
    client = tenant.client(is_first_party=False)
    body = {"client_id": client["client_id"], "audience": api["identifier"], "scope": ["read:a"],
            "organization_usage": "allow", "allow_any_organization": True}
    refused = tenant.http.post("/api/v2/client-grants", json=body)
    assert refused.status_code == 400, refused.text
    grant = tenant.grant(client, api, ["read:a"], organization_usage="allow")
    org, other = tenant.org(), tenant.org()
    tenant.link(org, grant)
    assert tenant.token(client, api["identifier"], organization=org["id"]).status_code == 200
    assert_error(tenant.token(client, api["identifier"], organization=other["id"]), 403, "access_denied")


def test_deleted_default_org_is_refused(tenant, setup):
    org = tenant.org()
    client, api, _ = setup("require", True, default_org=org)
    assert tenant.http.delete(f"/api/v2/organizations/{org['id']}").status_code == 204
    assert_error(tenant.token(client, api["identifier"]), 403, "access_denied")


# ----------------------------------------------------------------------------------
# Request encodings and the token itself


@pytest.mark.parametrize("style", ["form", "json", "basic"])
def test_all_client_authentication_styles_work(tenant, setup, style):
    client, api, _ = setup()
    response = tenant.token(client, api["identifier"], style=style)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["access_token", "scope", "expires_in", "token_type"]
    assert body["token_type"] == "Bearer"
    assert response.headers["cache-control"] == "no-store"


def test_token_claims_are_auth0s(tenant, setup, emulator):
    client, api, _ = setup()
    response = tenant.token(client, api["identifier"])
    body = response.json()
    claims = tenant.verify(body["access_token"], api["identifier"])
    assert claims["iss"] == f"https://{emulator.connection['domain']}/"
    assert claims["sub"] == f"{client['client_id']}@clients"
    assert claims["aud"] == api["identifier"]
    assert claims["azp"] == client["client_id"]
    assert claims["gty"] == "client-credentials"
    assert claims["scope"] == "read:a write:a"
    assert claims["exp"] - claims["iat"] == 86400 == body["expires_in"]


def test_token_header_has_the_kid_of_the_jwks(tenant, setup):
    import jwt

    client, api, _ = setup()
    header = jwt.get_unverified_header(tenant.token(client, api["identifier"]).json()["access_token"])
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    assert header["kid"] in {k.key_id for k in tenant.jwks().keys}


def test_token_lifetime_follows_the_api(tenant):
    api = tenant.api(scopes=["read:a"], token_lifetime=3600)
    client = tenant.client()
    tenant.grant(client, api, ["read:a"])
    body = tenant.token(client, api["identifier"]).json()
    claims = tenant.verify(body["access_token"], api["identifier"])
    assert claims["exp"] - claims["iat"] == 3600 == body["expires_in"]


def test_grant_without_scopes_gives_a_token_without_scope(tenant):
    api = tenant.api()
    client = tenant.client()
    tenant.grant(client, api, [])
    body = tenant.token(client, api["identifier"]).json()
    assert "scope" not in body
    assert "scope" not in tenant.verify(body["access_token"], api["identifier"])


def test_rfc9068_dialect(tenant):
    import jwt

    api = tenant.api(scopes=["read:a"], token_dialect="rfc9068_profile_authz", enforce_policies=True)
    client = tenant.client()
    tenant.grant(client, api, ["read:a"])
    token = tenant.token(client, api["identifier"]).json()["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    claims = tenant.verify(token, api["identifier"])
    assert claims["client_id"] == client["client_id"] and "jti" in claims
    assert "gty" not in claims and "azp" not in claims
    assert claims["permissions"] == ["read:a"]


def test_hs256_api_signs_with_its_signing_secret(tenant):
    import jwt

    secret = "s" * 32
    api = tenant.api(scopes=["read:a"], signing_alg="HS256", signing_secret=secret)
    client = tenant.client()
    tenant.grant(client, api, ["read:a"])
    token = tenant.token(client, api["identifier"]).json()["access_token"]
    assert jwt.decode(token, secret, algorithms=["HS256"], audience=api["identifier"])["sub"].endswith("@clients")


def test_openid_configuration_points_at_the_jwks(tenant, emulator):
    config = tenant.anon.get("/.well-known/openid-configuration").json()
    assert config["issuer"] == f"https://{emulator.connection['domain']}/"
    assert config["jwks_uri"] == f"https://{emulator.connection['domain']}/.well-known/jwks.json"
    assert config["token_endpoint"].endswith("/oauth/token")


def test_unsupported_grant_type(tenant, setup):
    client, api, _ = setup()
    response = tenant.anon.post(
        "/oauth/token",
        data={"grant_type": "password", "client_id": client["client_id"], "client_secret": client["client_secret"]},
    )
    assert_error(response, 400, "unsupported_grant_type")


def test_management_token_scopes_come_from_the_grant_on_the_management_api(tenant, emulator):
    """A client granted only read:clients on the Management API can read but not create."""
    client = tenant.client()
    tenant.ok(
        tenant.http.post(
            "/api/v2/client-grants",
            json={"client_id": client["client_id"], "audience": emulator.connection["audience"], "scope": ["read:clients"]},
        ),
        201,
    )
    body = tenant.token(client, emulator.connection["audience"]).json()
    assert body["scope"] == "read:clients"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert tenant.anon.get(f"/api/v2/clients/{client['client_id']}", headers=headers).status_code == 200
    denied = tenant.anon.post("/api/v2/clients", json={"name": "x"}, headers=headers)
    assert denied.status_code == 403
    assert denied.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: create:clients",
        "errorCode": "insufficient_scope",
    }
