"""private_key_jwt at the token endpoint: client assertions verified as Auth0 documents it.

A client with RSA public keys registered as credentials and attached through
``client_authentication_methods.private_key_jwt`` authenticates with a JWT it signs with the private key:
header ``alg`` = the credential's algorithm, ``iss`` = ``sub`` = the client id, ``aud`` = the tenant URL
with its trailing slash, a lifetime of at most 5 minutes, a ``jti`` usable once. Everything else is refused
with 401 ``invalid_client``.
"""

from __future__ import annotations

import time
import uuid
from functools import lru_cache

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth0_emulator import process

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@lru_cache(maxsize=None)
def private_key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def assertion(client_id: str, key: rsa.RSAPrivateKey, audience: str, *, alg: str = "RS256", kid: str | None = None,
              lifetime: int = 60, **claims) -> str:
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime,
            "jti": str(uuid.uuid4())}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    headers = {"kid": kid} if kid else None
    return jwt.encode(body, key, algorithm=alg, headers=headers)


class KeyClient:
    """A client with private_key_jwt credentials, a grant on an API, and token requests signed with keys."""

    def __init__(self, tenant, keys: dict[str, tuple[rsa.RSAPrivateKey, str]], **client_fields):
        self.tenant = tenant
        self.api = tenant.api(scopes=["read:a"])
        self.client = tenant.client(**client_fields)
        self.client_id = self.client["client_id"]
        self.credentials = {}
        for name, (key, alg) in keys.items():
            self.credentials[name] = self.register(name, key, alg)
        self.attach(*self.credentials)
        tenant.grant(self.client, self.api, ["read:a"])
        self.audience = f"https://{tenant.running.connection['domain']}/"

    def register(self, name: str, key: rsa.RSAPrivateKey, alg: str = "RS256", **extra) -> dict:
        body = {"name": name, "credential_type": "public_key", "pem": public_pem(key), "alg": alg, **extra}
        return self.tenant.ok(self.tenant.http.post(f"/api/v2/clients/{self.client_id}/credentials", json=body), 201)

    def attach(self, *names: str) -> None:
        refs = [{"id": self.credentials[n]["id"]} for n in names]
        body = {"client_authentication_methods": {"private_key_jwt": {"credentials": refs}}, "token_endpoint_auth_method": None}
        self.tenant.ok(self.tenant.http.patch(f"/api/v2/clients/{self.client_id}", json=body), 200)

    def token(self, signed: str, **extra):
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": signed, "audience": self.api["identifier"], **extra}
        return self.tenant.anon.post("/oauth/token", data=form)

    def sign(self, key: rsa.RSAPrivateKey, **kwargs) -> str:
        return assertion(self.client_id, key, kwargs.pop("audience", self.audience), **kwargs)


def refused(response, description_part: str | None = None, status: int = 401, error: str = "invalid_client") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"} and body["error"] == error, body
    if description_part:
        assert description_part in body["error_description"], body


@pytest.fixture
def key_client(tenant):
    return KeyClient(tenant, {"current": (private_key("a"), "RS256")})


def test_a_valid_assertion_gets_a_token_for_the_client(tenant, key_client):
    response = key_client.token(key_client.sign(private_key("a")))
    assert response.status_code == 200, response.text
    claims = tenant.verify(response.json()["access_token"], key_client.api["identifier"])
    assert claims["sub"] == f"{key_client.client_id}@clients" and claims["azp"] == key_client.client_id


def test_client_id_parameter_and_kid_header_are_optional_and_must_match(key_client):
    kid = key_client.credentials["current"]["kid"]
    ok = key_client.token(key_client.sign(private_key("a"), kid=kid), client_id=key_client.client_id)
    assert ok.status_code == 200, ok.text
    refused(key_client.token(key_client.sign(private_key("a")), client_id="X" * 32), "client_id")
    refused(key_client.token(key_client.sign(private_key("a"), kid="not-a-credential")), "kid")


@pytest.mark.parametrize("alg", ["RS384", "PS256"])
def test_each_supported_algorithm_verifies_with_its_own_credential(tenant, alg):
    client = KeyClient(tenant, {"key": (private_key(alg), alg)})
    assert client.token(client.sign(private_key(alg), alg=alg)).status_code == 200
    # Signed with a different algorithm than the credential's: refused.
    refused(client.token(client.sign(private_key(alg), alg="RS256")), "algorithm")


def test_wrong_key_is_refused(key_client):
    refused(key_client.token(key_client.sign(private_key("intruder"))), "signature")


def test_unknown_client_is_refused(key_client):
    signed = assertion("U" * 32, private_key("a"), key_client.audience)
    refused(key_client.token(signed), "does not exist")


def test_iss_and_sub_must_be_the_client_id(key_client):
    refused(key_client.token(key_client.sign(private_key("a"), iss="someone-else")), "'iss' and 'sub'")


@pytest.mark.parametrize("audience", [
    "https://localhost/",                           # another host
    "https://{domain}",                             # no trailing slash
    "https://{domain}/api/v2/",                     # the Management API, not the tenant
])
def test_wrong_audience_is_refused(key_client, audience):
    audience = audience.format(domain=key_client.tenant.running.connection["domain"])
    refused(key_client.token(key_client.sign(private_key("a"), audience=audience)), "'aud'")


def test_the_token_endpoint_url_is_also_accepted_as_audience(key_client):
    response = key_client.token(key_client.sign(private_key("a"), audience=f"{key_client.audience}oauth/token"))
    assert response.status_code == 200, response.text


def test_expired_assertion_is_refused(key_client):
    now = int(time.time())
    refused(key_client.token(key_client.sign(private_key("a"), iat=now - 120, exp=now - 60)), "expired")


def test_lifetime_over_five_minutes_is_refused_with_auth0s_text(key_client):
    response = key_client.token(key_client.sign(private_key("a"), lifetime=301))
    refused(response, "'exp' claim must specify a time that is no more than 5 minutes after 'iat'")
    assert key_client.token(key_client.sign(private_key("a"), lifetime=300)).status_code == 200


def test_iat_and_nbf_in_the_future_beyond_ten_seconds_of_skew_are_refused(key_client):
    now = int(time.time())
    assert key_client.token(key_client.sign(private_key("a"), iat=now + 5, exp=now + 60)).status_code == 200
    refused(key_client.token(key_client.sign(private_key("a"), iat=now + 30, exp=now + 60)), "'iat'")
    refused(key_client.token(key_client.sign(private_key("a"), nbf=now + 30)), "'nbf'")


def test_missing_jti_or_exp_is_refused(key_client):
    refused(key_client.token(key_client.sign(private_key("a"), jti=None)), "'jti'")
    refused(key_client.token(key_client.sign(private_key("a"), exp=None)), "'exp'")
    refused(key_client.token(key_client.sign(private_key("a"), jti="j" * 65)), "64 characters")


def test_a_replayed_jti_is_refused(key_client):
    signed = key_client.sign(private_key("a"))
    assert key_client.token(signed).status_code == 200
    refused(key_client.token(signed), "already been used")
    # The same jti in a newly signed assertion is a replay too.
    jti = jwt.decode(signed, options={"verify_signature": False})["jti"]
    refused(key_client.token(key_client.sign(private_key("a"), jti=jti)), "already been used")


def test_a_refused_assertion_does_not_use_up_its_jti(key_client):
    signed = key_client.sign(private_key("a"))
    refused(key_client.token(signed, scope="write:nothing"), status=403, error="access_denied")
    assert key_client.token(signed).status_code == 200


def test_both_credentials_work_during_a_rotation_and_a_detached_one_stops(tenant, key_client):
    key_client.credentials["next"] = key_client.register("next", private_key("b"))
    key_client.attach("current", "next")
    assert key_client.token(key_client.sign(private_key("a"))).status_code == 200
    assert key_client.token(key_client.sign(private_key("b"))).status_code == 200
    key_client.attach("next")
    refused(key_client.token(key_client.sign(private_key("a"))), "signature")
    assert key_client.token(key_client.sign(private_key("b"))).status_code == 200


def test_an_expired_credential_is_refused(tenant):
    client = KeyClient(tenant, {})
    client.credentials["old"] = client.register("old", private_key("a"), expires_at="2020-01-01T00:00:00.000Z")
    client.attach("old")
    refused(client.token(client.sign(private_key("a"))), "expired")


def test_the_secret_no_longer_works_once_private_key_jwt_is_set(tenant, key_client):
    found = tenant.http.get(f"/api/v2/clients/{key_client.client_id}").json()
    assert "client_secret" not in found
    response = tenant.anon.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": key_client.client_id,
        "client_secret": key_client.client["client_secret"], "audience": key_client.api["identifier"]})
    refused(response, "Unauthorized", error="access_denied")


def test_assertion_with_a_secret_or_a_wrong_type_is_a_bad_request(key_client):
    signed = key_client.sign(private_key("a"))
    refused(key_client.token(signed, client_secret="x"), "not both", status=400, error="invalid_request")
    refused(key_client.token(signed, client_assertion_type="urn:other"), "client_assertion_type", status=400,
            error="invalid_request")
    refused(key_client.token("not-a-jwt"), "not a valid JWT")


def test_a_client_without_credentials_cannot_use_assertions(tenant):
    api = tenant.api()
    client = tenant.client()
    tenant.grant(client, api, [])
    signed = assertion(client["client_id"], private_key("a"), f"https://{tenant.running.connection['domain']}/")
    response = tenant.anon.post("/oauth/token", data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                                                      "client_assertion": signed, "audience": api["identifier"]})
    refused(response, "no credentials")


def test_credentials_need_rsa_keys_of_2048_to_4096_bits_and_at_most_two_are_attached(tenant, key_client):
    small = {"name": "small", "credential_type": "public_key", "pem": public_pem(private_key("small", 1024))}
    response = tenant.http.post(f"/api/v2/clients/{key_client.client_id}/credentials", json=small)
    assert response.status_code == 400 and "1024 bits" in response.json()["message"]
    for name in ("b", "c"):
        key_client.credentials[name] = key_client.register(name, private_key(name))
    refs = [{"id": c["id"]} for c in key_client.credentials.values()]
    response = tenant.http.patch(f"/api/v2/clients/{key_client.client_id}",
                                 json={"client_authentication_methods": {"private_key_jwt": {"credentials": refs}}})
    assert response.status_code == 400 and "maximum 2" in response.json()["message"], response.text


def test_credential_expiry_can_be_changed(tenant, key_client):
    cred = key_client.credentials["current"]
    url = f"/api/v2/clients/{key_client.client_id}/credentials/{cred['id']}"
    changed = tenant.ok(tenant.http.patch(url, json={"expires_at": "2096-05-13T09:33:13Z"}), 200)
    assert changed["expires_at"] == "2096-05-13T09:33:13.000Z" and changed["kid"] == cred["kid"]
    assert tenant.http.patch(url, json={"name": "renamed"}).status_code == 400


def test_used_jtis_survive_a_restart(fresh_emulator, tmp_path):
    from .conftest import Tenant

    tenant = Tenant(fresh_emulator)
    client = KeyClient(tenant, {"k": (private_key("a"), "RS256")})
    signed = client.sign(private_key("a"))
    assert client.token(signed).status_code == 200
    jti = jwt.decode(signed, options={"verify_signature": False})["jti"]
    tenant.close()
    fresh_emulator.stop()
    restarted = process.start(fresh_emulator.data_dir)
    try:
        tenant = Tenant(restarted)
        client.tenant = tenant
        # The port (so the tenant URL) may differ after a restart: sign for the new one, same jti.
        client.audience = f"https://{restarted.connection['domain']}/"
        refused(client.token(client.sign(private_key("a"), jti=jti)), "already been used")
        assert client.token(client.sign(private_key("a"))).status_code == 200
        tenant.close()
    finally:
        restarted.stop()
