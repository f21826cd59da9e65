"""Key pairs and client assertions for integration tests of private_key_jwt applications."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class KeyPair:
    """An RSA key pair; the public half is written where a stack file's pem_file points."""

    def __init__(self, bits: int = 2048):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=bits)

    @property
    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def write_public(self, root: Path, relative: str) -> str:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.public_pem)
        return relative

    def write_private(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.private_pem)
        path.chmod(0o600)
        return path

    def assertion(self, client_id: str, domain: str, alg: str = "RS256") -> str:
        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": f"https://{domain}/", "iat": now, "exp": now + 60,
                  "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self.private, algorithm=alg)


def token_form(key: KeyPair, client_id: str, domain: str, audience: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": key.assertion(client_id, domain),
        "audience": audience,
    }
