"""Identifier and secret formats as Auth0 issues them (OBSERVED in the recordings)."""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits
_SECRET = _ALNUM + "-_"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def client_id() -> str:
    return _random(_ALNUM, 32)


def client_secret() -> str:
    return _random(_SECRET, 64)


def organization_id() -> str:
    return "org_" + _random(_ALNUM, 16)


def client_grant_id() -> str:
    return "cgr_" + _random(_ALNUM, 16)


def resource_server_id() -> str:
    return secrets.token_hex(12)


def credential_id() -> str:
    return "cred_" + _random(_ALNUM, 22)


def key_id() -> str:
    return _random(_ALNUM, 22)
