"""Public keys of private_key_jwt applications: what Auth0 accepts, and how it names a key.

Auth0 registers a public key (PEM ``PUBLIC KEY``/``RSA PUBLIC KEY``, or an X.509 certificate) as a client
credential for RS256, RS384 or PS256 assertions, enforces RSA keys of 2048 to 4096 bits, and names it by
its ``kid``: the RFC 7638 thumbprint of the key (checked against every recorded credential). The functions
here answer the same questions before anything is sent, so that a bad key fails validation, not a deploy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..contract import MAX_RSA_KEY_BITS, MIN_RSA_KEY_BITS

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes


@dataclass(frozen=True)
class PublicKeyInfo:
    key_id: str
    """Auth0's ``kid`` for the key: the RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    bits: int
    certificate_expiry: Optional[dt.datetime]
    """``notAfter`` of an X.509 certificate (None for a bare public key)."""


def inspect_public_key(pem: str) -> PublicKeyInfo:
    """The key in ``pem``, checked as Auth0 checks it; ``ValueError`` says what is wrong and what to do."""
    text = pem.strip()
    if "PRIVATE KEY" in text:
        raise ValueError(
            "this is a private key: a stack file holds only the public key (openssl rsa -in key.pem -pubout); "
            "keep the private key with the workload and out of the repository"
        )
    if not text.startswith("-----BEGIN "):
        raise ValueError("not a PEM document: expected '-----BEGIN PUBLIC KEY-----' or '-----BEGIN CERTIFICATE-----'")
    # Imported here: only stacks with private_key_jwt applications need it, and every module a program imports
    # stays in the heap that each of the garbage collector's full passes walks.
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    expiry = None
    key: PublicKeyTypes
    try:
        if "-----BEGIN CERTIFICATE-----" in text:
            certificate = x509.load_pem_x509_certificate(text.encode())
            key = certificate.public_key()
            expiry = certificate.not_valid_after_utc
        else:
            key = serialization.load_pem_public_key(text.encode())
    except (ValueError, TypeError):
        # cryptography's own text (ASN.1 tags, OpenSSL reasons) would not help a reader of a stack file.
        raise ValueError(
            "the PEM could not be read as a public key or certificate (damaged, cut off or not a key: export it "
            "again with openssl rsa -in key.pem -pubout)"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        kind = {ec.EllipticCurvePublicKey: "an EC key", dsa.DSAPublicKey: "a DSA key"}
        found = next((name for cls, name in kind.items() if isinstance(key, cls)), "not an RSA key")
        raise ValueError(
            f"the key is {found}; Auth0's private_key_jwt algorithms (RS256, RS384, PS256) need an RSA key"
        )
    if not MIN_RSA_KEY_BITS <= key.key_size <= MAX_RSA_KEY_BITS:
        raise ValueError(
            f"the RSA key has {key.key_size} bits; Auth0 accepts {MIN_RSA_KEY_BITS} to {MAX_RSA_KEY_BITS} bits"
        )
    return PublicKeyInfo(key_id=key_id(key), bits=key.key_size, certificate_expiry=expiry)


def key_id(key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint of an RSA public key: the ``kid`` Auth0 answers for its credential."""
    numbers = key.public_numbers()

    def b64(number: int) -> str:
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    members = json.dumps({"e": b64(numbers.e), "kty": "RSA", "n": b64(numbers.n)}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
