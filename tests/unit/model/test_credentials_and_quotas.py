"""private_key_jwt applications and token quotas: every rule, table-driven, with the exact message."""

from __future__ import annotations

import copy
import datetime as dt
from functools import lru_cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from auth0_m2m import StackConfigError, validate
from auth0_m2m.model.config import AuthenticationMethod
from auth0_m2m.model.key_files import revision_reader, working_tree_reader
from auth0_m2m.model.keys import inspect_public_key

SOURCE = "stacks/Pulumi.dev.yaml"
APP_AT = f"{SOURCE}: application 'partner'"


@lru_cache(maxsize=None)
def rsa_key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def certificate_pem(key: rsa.RSAPrivateKey, not_after: dt.datetime) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)).not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def stack(**app_fields) -> dict:
    app = {
        "name": "partner",
        "authentication_method": "private_key_jwt",
        "public_keys": [{"name": "2026-11", "pem": public_pem(rsa_key("a"))}],
        "grants": [{"api": "orders"}],
    }
    app.update(app_fields)
    return {
        "environment": "dev",
        "organizations": {"acme": {"manage": True}, "globex": {"id": "org_globex001"}},
        "apis": {"orders": {"identifier": "https://orders.example.com/"}},
        "applications": [app],
    }


def messages(raw: dict, **kwargs) -> list[str]:
    with pytest.raises(StackConfigError) as error:
        validate(raw, SOURCE, **kwargs)
    return [problem.format(SOURCE) for problem in error.value.problems]


def test_a_private_key_jwt_application_with_one_key_is_valid():
    app = validate(stack(), SOURCE).applications[0]
    assert app.authentication_method is AuthenticationMethod.PRIVATE_KEY_JWT and not app.uses_secret
    key = app.public_keys[0]
    assert key.public_pem == public_pem(rsa_key("a"))
    assert key.key_id == inspect_public_key(key.public_pem).key_id and len(key.key_id) == 43


def test_keys_are_sorted_by_name_so_their_order_never_shows_as_a_change():
    keys = [{"name": "b", "pem": public_pem(rsa_key("b"))}, {"name": "a", "pem": public_pem(rsa_key("a"))}]
    assert [k.name for k in validate(stack(public_keys=keys), SOURCE).applications[0].public_keys] == ["a", "b"]


PEM_AT = f"{APP_AT}, field 'public_keys'"

CASES = [
    (
        "private_key_jwt without keys",
        dict(public_keys=[]),
        f"{PEM_AT}: authentication_method private_key_jwt needs one or two public_keys (the keys the application "
        "signs its client assertions with)",
    ),
    (
        "keys on a secret-based application",
        dict(authentication_method="client_secret_post"),
        f"{PEM_AT}: public_keys are only used with authentication_method private_key_jwt; this application "
        "authenticates with client_secret_post (a client secret)",
    ),
    (
        "three keys",
        dict(public_keys=[{"name": n, "pem": public_pem(rsa_key(n))} for n in "abc"]),
        f"{PEM_AT}: at most 2 entries are allowed (Auth0's limit), found 3",
    ),
    (
        "two keys with one name",
        dict(public_keys=[{"name": "k", "pem": public_pem(rsa_key("a"))}, {"name": "k", "pem": public_pem(rsa_key("b"))}]),
        f"{PEM_AT}: 2 public keys are named 'k'; key names must be unique in an application",
    ),
    (
        "one key twice",
        dict(public_keys=[{"name": "a", "pem": public_pem(rsa_key("a"))}, {"name": "b", "pem": public_pem(rsa_key("a"))}]),
        f"{PEM_AT}: public key 'b' is the same key (kid {inspect_public_key(public_pem(rsa_key('a'))).key_id}) as public "
        "key 'a' of this application; every key needs its own key pair (openssl genrsa -out key.pem 2048)",
    ),
    (
        "neither pem nor pem_file",
        dict(public_keys=[{"name": "k"}]),
        f"{PEM_AT}: public key 'k': set exactly one of pem (the PEM text) and pem_file (a path relative to the "
        "repository root)",
    ),
    (
        "a private key",
        dict(public_keys=[{"name": "k", "pem": rsa_key("a").private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()}]),
        f"{PEM_AT}: public key 'k' (pem): this is a private key: a stack file holds only the public key (openssl rsa "
        "-in key.pem -pubout); keep the private key with the workload and out of the repository",
    ),
    (
        "not PEM",
        dict(public_keys=[{"name": "k", "pem": "ssh-rsa AAAAB3Nza..."}]),
        f"{PEM_AT}: public key 'k' (pem): not a PEM document: expected '-----BEGIN PUBLIC KEY-----' or "
        "'-----BEGIN CERTIFICATE-----'",
    ),
    (
        "a 1024-bit key",
        dict(public_keys=[{"name": "k", "pem": public_pem(rsa_key("small", 1024))}]),
        f"{PEM_AT}: public key 'k' (pem): the RSA key has 1024 bits; Auth0 accepts 2048 to 4096 bits",
    ),
    (
        "an EC key",
        dict(public_keys=[{"name": "k", "pem": public_pem(ec.generate_private_key(ec.SECP256R1()))}]),
        f"{PEM_AT}: public key 'k' (pem): the key is an EC key; Auth0's private_key_jwt algorithms (RS256, RS384, "
        "PS256) need an RSA key",
    ),
    (
        "an unsupported algorithm",
        dict(public_keys=[{"name": "k", "pem": public_pem(rsa_key("a")), "algorithm": "ES256"}]),
        f"{APP_AT}, field 'public_keys.algorithm': public key 'k': 'ES256' is not one of 'RS256', 'RS384' or 'PS256'",
    ),
    (
        "an expiry in the past",
        dict(public_keys=[{"name": "k", "pem": public_pem(rsa_key("a")), "expires_at": "2020-01-01T00:00:00Z"}]),
        f"{APP_AT}, field 'public_keys.expires_at': public key 'k': expires_at 2020-01-01T00:00:00+00:00 is in the past: Auth0 "
        "refuses assertions signed with an expired key; remove the key or give it a later expiry",
    ),
    (
        "a key name that is not a slug",
        dict(public_keys=[{"name": "my key", "pem": public_pem(rsa_key("a"))}]),
        f"{APP_AT}, field 'public_keys.name': public key #1: 'my key' is not a key name: 1-64 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit",
    ),
    (
        "a damaged PEM (cryptography's own text is not shown)",
        dict(public_keys=[{"name": "k", "pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}]),
        f"{PEM_AT}: public key 'k' (pem): the PEM could not be read as a public key or certificate (damaged, cut off "
        "or not a key: export it again with openssl rsa -in key.pem -pubout)",
    ),
    (
        "an expired certificate",
        dict(public_keys=[{"name": "k", "pem": certificate_pem(rsa_key("a"), dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))}]),
        f"{PEM_AT}: public key 'k': the certificate expired at 2025-01-01T00:00:00+00:00: Auth0 refuses assertions "
        "signed with an expired key; issue a new certificate",
    ),
    (
        "an expiry that is not a date",
        dict(public_keys=[{"name": "k", "pem": public_pem(rsa_key("a")), "expires_at": "next year"}]),
        f"{APP_AT}, field 'public_keys.expires_at': public key 'k': 'next year' is not a date and time: write ISO "
        '8601 in quotes, e.g. "2027-11-30T00:00:00Z" (UTC when no offset is given)',
    ),
    (
        "the second key's field names the second key",
        dict(public_keys=[{"name": "old", "pem": public_pem(rsa_key("a"))},
                          {"name": "new", "pem": public_pem(rsa_key("b")), "algorithm": "HS256"}]),
        f"{APP_AT}, field 'public_keys.algorithm': public key 'new': 'HS256' is not one of 'RS256', 'RS384' or 'PS256'",
    ),
    (
        "a private key where a string belongs is never echoed",
        dict(public_keys=[{"name": "k", "pem": [rsa_key("a").private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()]}]),
        f"{APP_AT}, field 'public_keys.pem': public key 'k': a private key (not shown: a stack file holds only public "
        "keys; keep it with the workload) is a list, not a string",
    ),
    (
        "an application quota without limits",
        dict(token_quota={"enforce": True}),
        f"{APP_AT}, field 'token_quota': a token quota needs per_hour, per_day or both",
    ),
    (
        "an hourly quota above the daily one",
        dict(token_quota={"per_hour": 500, "per_day": 100}),
        f"{APP_AT}, field 'token_quota': per_hour 500 exceeds per_day 100, so the hourly quota could never be used "
        "up; lower per_hour or raise per_day",
    ),
    (
        "a quota above Auth0's maximum",
        dict(token_quota={"per_day": 2147483648}),
        f"{APP_AT}, field 'token_quota.per_day': 2147483648 is above the maximum 2147483647",
    ),
    (
        "a quota of zero",
        dict(token_quota={"per_hour": 0}),
        f"{APP_AT}, field 'token_quota.per_hour': 0 is below the minimum 1",
    ),
]


@pytest.mark.parametrize("fields, expected", [(f, e) for _, f, e in CASES], ids=[name for name, _, _ in CASES])
def test_rule_reports_the_application_and_field(fields, expected):
    assert messages(stack(**fields)) == [expected]


def test_a_key_shared_by_two_applications_is_refused():
    raw = stack()
    raw["applications"].append({**copy.deepcopy(raw["applications"][0]), "name": "other"})
    kid = inspect_public_key(public_pem(rsa_key("a"))).key_id
    assert messages(raw) == [
        f"{SOURCE}: application 'other', field 'public_keys': public key '2026-11' is the same key (kid {kid}) as "
        "public key '2026-11' of application 'partner'; every key needs its own key pair (openssl genrsa -out key.pem 2048)"
    ]


def test_organization_quota_only_on_managed_organizations():
    raw = stack()
    raw["organizations"]["globex"]["token_quota"] = {"per_hour": 10}
    assert messages(raw) == [
        f"{SOURCE}: organization 'globex', field 'token_quota': token_quota only applies to organizations this stack "
        "manages (manage: true); set the quota where the organization is managed"
    ]
    raw["organizations"]["acme"]["token_quota"] = {"per_hour": 10, "per_day": 100, "enforce": False}
    del raw["organizations"]["globex"]["token_quota"]
    quota = validate(raw, SOURCE).organizations["acme"].token_quota
    assert (quota.per_hour, quota.per_day, quota.enforce) == (10, 100, False)


def test_expiry_dates_are_utc_and_a_certificate_carries_its_own():
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)
    cert = certificate_pem(rsa_key("a"), future)
    keys = [{"name": "cert", "pem": cert}, {"name": "dated", "pem": public_pem(rsa_key("b")), "expires_at": "2099-01-02"}]
    parsed = {k.name: k for k in validate(stack(public_keys=keys), SOURCE).applications[0].public_keys}
    assert parsed["cert"].is_certificate and parsed["cert"].expires_at is None
    assert parsed["cert"].effective_expiry.replace(microsecond=0) == future.replace(microsecond=0)
    assert parsed["dated"].expires_at == dt.datetime(2099, 1, 2, tzinfo=dt.timezone.utc)


def test_pem_file_is_read_relative_to_the_repository_root(tmp_path):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "partner.pub.pem").write_text(public_pem(rsa_key("a")))
    raw = stack(public_keys=[{"name": "k", "pem_file": "keys/partner.pub.pem"}])
    key = validate(raw, SOURCE, key_files=working_tree_reader(tmp_path)).applications[0].public_keys[0]
    assert key.pem_file == "keys/partner.pub.pem" and key.public_pem == public_pem(rsa_key("a"))

    missing = stack(public_keys=[{"name": "k", "pem_file": "keys/absent.pem"}])
    assert messages(missing, key_files=working_tree_reader(tmp_path)) == [
        f"{PEM_AT}: public key 'k': pem_file 'keys/absent.pem' does not exist (looked in {tmp_path})"
    ]
    outside = stack(public_keys=[{"name": "k", "pem_file": "../secrets/key.pem"}])
    assert messages(outside, key_files=working_tree_reader(tmp_path)) == [
        f"{PEM_AT}: public key 'k': pem_file '../secrets/key.pem' must be a path relative to the repository root, "
        "without '..' (e.g. keys/app.pub.pem)"
    ]
    both = stack(public_keys=[{"name": "k", "pem": public_pem(rsa_key("a")), "pem_file": "keys/partner.pub.pem"}])
    assert "set exactly one of pem" in messages(both, key_files=working_tree_reader(tmp_path))[0]


def test_pem_file_at_a_git_revision(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "k.pem").write_text(public_pem(rsa_key("a")))
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "key")
    (tmp_path / "keys" / "k.pem").write_text(public_pem(rsa_key("b")))  # changed in the working tree
    raw = stack(public_keys=[{"name": "k", "pem_file": "keys/k.pem"}])
    at_head = validate(raw, SOURCE, key_files=revision_reader("HEAD", cwd=tmp_path)).applications[0].public_keys[0]
    assert at_head.public_pem == public_pem(rsa_key("a"))
    assert messages(raw, key_files=revision_reader("HEAD~0:nope", cwd=tmp_path))[0].endswith(
        "pem_file 'keys/k.pem' does not exist at revision HEAD~0:nope"
    )


def test_an_unquoted_expiry_is_reported_once_with_the_fix():
    """Pulumi reads `expires_at: 2030-01-01` as a timestamp and hands the program Go's text for it: one message
    that says to quote it, not a second one about the text it became."""
    from auth0_m2m.model.loading import read_stack_bytes

    pem = "\n".join("            " + line for line in public_pem(rsa_key("a")).splitlines())
    text = f"""config:
  auth0-m2m:environment: dev
  auth0-m2m:apis:
    orders: {{identifier: https://orders.example.com/}}
  auth0-m2m:applications:
    - name: partner
      authentication_method: private_key_jwt
      public_keys:
        - name: k
          expires_at: 2030-01-01
          pem: |
{pem}
      grants: [{{api: orders}}]
"""
    with pytest.raises(StackConfigError) as error:
        read_stack_bytes(text.encode(), SOURCE, "auth0-m2m").validate()
    assert [problem.format(SOURCE) for problem in error.value.problems] == [
        f"{SOURCE}:10: application 'partner', field 'public_keys.expires_at': public key 'k': '2030-01-01' is read by "
        "Pulumi as the "
        "timestamp '2030-01-01 00:00:00 +0000 UTC', which is not ISO 8601; quote it: expires_at: \"2030-01-01\""
    ]
