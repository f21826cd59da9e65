"""The scopes a Management API client holds, read from a token the tenant issues it (standard library only).

The provider's credentials come from the stack config (``auth0:domain``, ``auth0:clientId``,
``auth0:clientSecret`` or ``auth0:apiToken``, ``auth0:audience``) or, as the provider reads them, from
``AUTH0_DOMAIN``, ``AUTH0_CLIENT_ID``, ``AUTH0_CLIENT_SECRET``, ``AUTH0_API_TOKEN``, ``AUTH0_AUDIENCE``. The token's
``scope`` is what Auth0 enforces on every Management API route, so comparing it with what a command needs tells,
before the first change, which scope is missing. TLS trusts what the provider trusts: ``SSL_CERT_FILE`` if set.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Mapping, Optional

TIMEOUT_SECONDS = 30


class ManagementTokenError(Exception):
    """No token could be obtained (wrong credentials, unreachable tenant, untrusted certificate)."""


@dataclass(frozen=True)
class ManagementCredentials:
    domain: str
    client_id: Optional[str] = None
    client_secret: Optional[str] = None
    api_token: Optional[str] = None
    audience: Optional[str] = None

    @classmethod
    def of_provider(cls, config: Mapping[str, str], environ: Mapping[str, str]) -> Optional["ManagementCredentials"]:
        """The provider's credentials (``config``: the ``auth0:`` keys without prefix); None without a domain or
        any credential (an explicit provider, or nothing configured: there is nothing to check)."""

        def value(key: str, variable: str) -> Optional[str]:
            return config.get(key) or environ.get(variable) or None

        domain = value("domain", "AUTH0_DOMAIN")
        credentials = cls(
            domain=(domain or "").removeprefix("https://").rstrip("/"),
            client_id=value("clientId", "AUTH0_CLIENT_ID"),
            client_secret=value("clientSecret", "AUTH0_CLIENT_SECRET"),
            api_token=value("apiToken", "AUTH0_API_TOKEN"),
            audience=value("audience", "AUTH0_AUDIENCE"),
        )
        if not domain or not (credentials.api_token or (credentials.client_id and credentials.client_secret)):
            return None
        return credentials

    @property
    def who(self) -> str:
        """How messages name the client (never the secret)."""
        return f"{self.client_id!r} (auth0:clientId)" if self.client_id else "of auth0:apiToken"


def granted_scopes(credentials: ManagementCredentials) -> frozenset[str]:
    """The scopes of a Management API token for ``credentials`` (one token request unless an API token is set)."""
    if credentials.api_token:
        return _scope_claim(credentials.api_token)
    audience = credentials.audience or f"https://{credentials.domain}/api/v2/"
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "audience": audience,
        }
    ).encode()
    url = f"https://{credentials.domain}/oauth/token"
    request = urllib.request.Request(url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()) as answer:
            body = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        detail = _error_detail(error)
        raise ManagementTokenError(
            f"the tenant refused a Management API token for the client {credentials.who} ({url}, audience "
            f"{audience}): {error.code} {detail}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        hint = (
            " (the tenant's certificate is not trusted: for the local tenant set SSL_CERT_FILE to its CA, for a "
            "real tenant unset SSL_CERT_FILE)"
            if isinstance(reason, ssl.SSLError)
            else ""
        )
        raise ManagementTokenError(f"could not reach {url}: {reason}{hint}") from None
    if "scope" in body:
        return frozenset(str(body["scope"]).split())
    return _scope_claim(str(body.get("access_token", "")))


def _scope_claim(token: str) -> frozenset[str]:
    """The ``scope`` claim of a JWT, read without verifying it (it is only compared, never trusted for access)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise ManagementTokenError("the Management API token is not a JWT; its scopes cannot be read") from None
    return frozenset(str(claims.get("scope", "")).split())


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read())
    except ValueError:
        return error.reason or ""
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("message") or body.get("error") or body)
    return str(body)
