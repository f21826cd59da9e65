"""Client authentication with a signed JWT assertion (``private_key_jwt``, RFC 7523), as Auth0 verifies it.

Documented by Auth0 ("Authenticate with Private Key JWT"): header ``alg`` must be the algorithm of the
credential (RS256, RS384 or PS256) and ``kid`` (optional) names it; ``iss`` and ``sub`` are the client id;
``aud`` is the tenant's URL with its trailing slash; ``exp`` is required, ``iat`` and ``nbf`` optional with
10 seconds of clock skew allowed; the lifetime is at most 5 minutes; ``jti`` is required and the assertion is
single-use; ``iss``, ``sub`` and ``jti`` have at most 64 characters, ``alg`` 16. A credential past its
``expires_at`` is no longer valid. A failed client authentication is ``invalid_client`` (Auth0's support
article on the ``feccft`` log "Failed client authentication").

UNKNOWN, chosen here (listed in emulator/README.md): the status (401) and the wording of each
``error_description``; the only text Auth0 publishes is the lifetime one, used verbatim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from auth0_emulator import store
from auth0_emulator.errors import OAuthError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS256", "RS384", "PS256")
MAX_LIFETIME = 300
CLOCK_SKEW = 10
MAX_CLAIM_LENGTH = {"iss": 64, "sub": 64, "jti": 64}
MAX_ALG_LENGTH = 16


def refused(description: str) -> OAuthError:
    return OAuthError(401, "invalid_client", description)


@dataclass(frozen=True)
class VerifiedAssertion:
    client_id: str
    jti: str
    expires_at: int
    credential_id: str


def claimed_client(assertion: str) -> str:
    """The client an assertion claims to come from (``sub``), before anything is verified."""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise refused("The client assertion is not a valid JWT.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise refused("The client assertion is not a valid JWT.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise refused("The client assertion has no 'sub' claim.")
    return sub


def verify(conn: Any, client: dict[str, Any], assertion: str, audiences: tuple[str, ...], now: int) -> VerifiedAssertion:
    """Check ``assertion`` against the client's private_key_jwt credentials; raise ``invalid_client``."""
    client_id = client["client_id"]
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(assertion, options={"verify_signature": False})

    alg = header.get("alg")
    if not isinstance(alg, str) or len(alg) > MAX_ALG_LENGTH or alg not in ALGORITHMS:
        raise refused(f"The client assertion's 'alg' must be one of {', '.join(ALGORITHMS)}.")
    for claim, limit in MAX_CLAIM_LENGTH.items():
        value = claims.get(claim)
        if not isinstance(value, str) or not value:
            raise refused(f"The client assertion has no '{claim}' claim.")
        if len(value) > limit:
            raise refused(f"The client assertion's '{claim}' claim is longer than {limit} characters.")
    if claims["iss"] != client_id or claims["sub"] != client_id:
        raise refused("The client assertion's 'iss' and 'sub' claims must be the client id.")

    credentials = _credentials(conn, client)
    if not credentials:
        raise refused(f'Client "{client_id}" has no credentials for private_key_jwt authentication.')
    kid = header.get("kid")
    if kid is not None:
        credentials = [c for c in credentials if c["doc"].get("kid") == kid]
        if not credentials:
            raise refused(f'The client assertion\'s "kid" {kid!r} is not a credential of the client.')
    matching = [c for c in credentials if c["doc"].get("alg", "RS256") == alg]
    if not matching:
        raise refused(f"The client assertion is signed with {alg}, which is not the algorithm of the client's credential.")
    live = [c for c in matching if not _expired(c["doc"], now)]
    if not live:
        raise refused("The client's credential has expired.")
    verified = next((c for c in live if _signature_ok(assertion, c["pem"], alg)), None)
    if verified is None:
        raise refused("The client assertion's signature does not match a credential of the client.")

    aud = claims.get("aud")
    given = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(isinstance(a, str) and a in audiences for a in given):
        raise refused(f"The client assertion's 'aud' claim must be {audiences[0]!r}.")
    exp = claims.get("exp")
    if not _number(exp):
        raise refused("The client assertion has no 'exp' claim.")
    if exp <= now:
        raise refused("The client assertion has expired.")
    iat = claims.get("iat")
    if iat is not None:
        if not _number(iat):
            raise refused("The client assertion's 'iat' claim must be a number.")
        if iat > now + CLOCK_SKEW:
            raise refused("The client assertion's 'iat' claim is in the future.")
    nbf = claims.get("nbf")
    if nbf is not None:
        if not _number(nbf):
            raise refused("The client assertion's 'nbf' claim must be a number.")
        if nbf > now + CLOCK_SKEW:
            raise refused("The client assertion is not valid yet ('nbf').")
    start = iat if iat is not None else now
    if exp - start > MAX_LIFETIME:
        # The one text Auth0 publishes (support article on invalid_client with private key JWT).
        raise refused(f"'exp' claim must specify a time that is no more than 5 minutes after 'iat': {int(exp)}")
    return VerifiedAssertion(client_id, claims["jti"], int(exp), verified["id"])


def _credentials(conn: Any, client: dict[str, Any]) -> list[dict[str, Any]]:
    """The client's attached private_key_jwt credentials, each with its stored document and PEM."""
    refs = ((client.get("client_authentication_methods") or {}).get("private_key_jwt") or {}).get("credentials") or []
    attached = [ref.get("id") for ref in refs]
    docs = {c["id"]: c for c in store.list_credentials(conn, client["client_id"])}
    pems = store.credential_keys(conn, client["client_id"])
    return [{"id": i, "doc": docs[i], "pem": pems[i]} for i in attached if i in docs and i in pems]


def _expired(doc: dict[str, Any], now: int) -> bool:
    expires_at = doc.get("expires_at")
    if not expires_at:
        return False
    moment = dt.datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    return moment.timestamp() <= now


def _signature_ok(assertion: str, pem: str, alg: str) -> bool:
    try:
        if "CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        else:
            key = serialization.load_pem_public_key(pem.encode())
        jwt.decode(assertion, key, algorithms=[alg], options={"verify_exp": False, "verify_aud": False,
                                                                "verify_iat": False, "verify_nbf": False})
        return True
    except (jwt.PyJWTError, ValueError, TypeError):
        return False


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
