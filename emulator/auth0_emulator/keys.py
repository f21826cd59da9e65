"""The tenant's token signing keys: JWKS publication, signing and verification.

One RSA key pair is created with the tenant and kept in SQLite, so tokens issued
before a restart still verify after it.  Signing and verification use PyJWT.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from auth0_emulator import certs, ids, store


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    private_key: RSAPrivateKey
    public_key: RSAPublicKey
    cert_pem: str
    cert_der: bytes

    def jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        # Same members, same order as an Auth0 tenant's JWKS.
        return {
            "kty": "RSA",
            "use": "sig",
            "n": jwk["n"],
            "e": jwk["e"],
            "kid": self.kid,
            "x5t": _b64url(hashlib.sha1(self.cert_der).digest()),
            "x5c": [base64.b64encode(self.cert_der).decode()],
            "alg": "RS256",
        }


class KeyRing:
    """All signing keys of the tenant; the newest one signs."""

    def __init__(self, rows: list[Any]) -> None:
        self.keys: list[SigningKey] = []
        for row in rows:
            private = serialization.load_pem_private_key(row["private_pem"].encode(), password=None)
            assert isinstance(private, RSAPrivateKey)
            cert = x509.load_pem_x509_certificate(row["cert_pem"].encode())
            self.keys.append(
                SigningKey(
                    kid=row["kid"],
                    private_key=private,
                    public_key=private.public_key(),
                    cert_pem=row["cert_pem"],
                    cert_der=cert.public_bytes(serialization.Encoding.DER),
                )
            )
        if not self.keys:
            raise RuntimeError("the tenant has no signing key")
        self.by_kid = {k.kid: k for k in self.keys}

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.keys]}

    def sign(self, claims: dict[str, Any], *, alg: str = "RS256", typ: str = "JWT") -> str:
        key = self.current
        return jwt.encode(claims, key.private_key, algorithm=alg, headers={"typ": typ, "kid": key.kid})

    def verify(self, token: str, *, audience: str, issuer: str) -> dict[str, Any]:
        """Verify an RS256 token of this tenant; raises jwt exceptions on failure."""
        header = jwt.get_unverified_header(token)
        key = self.by_kid.get(header.get("kid", ""))
        if key is None:
            raise jwt.InvalidSignatureError("unknown kid")
        return jwt.decode(
            token,
            key.public_key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )


def ensure_signing_key(conn: Any, tenant_domain: str) -> None:
    if store.signing_keys(conn):
        return
    private_pem, cert_pem = certs.new_signing_key(tenant_domain)
    store.insert_signing_key(
        conn, ids.key_id(), private_pem, cert_pem, dt.datetime.now(dt.timezone.utc).isoformat()
    )
