"""The Authentication API endpoints: ``POST /oauth/token`` (client credentials),
``/.well-known/jwks.json`` and ``/.well-known/openid-configuration``."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth0_emulator import jsonbody, tokens
from auth0_emulator.errors import JSON_MEDIA_TYPE, OAuthError
from auth0_emulator.tenant import Tenant

TOKEN_ROUTE = "/oauth/token"


async def _params(request: Request) -> dict[str, Any]:
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            parsed = jsonbody.parse(raw or b"{}")
        except jsonbody.InvalidJson:
            raise OAuthError(400, "invalid_request", "Invalid JSON body") from None
        if not isinstance(parsed, dict):
            raise OAuthError(400, "invalid_request", "Invalid JSON body")
        return parsed
    # application/x-www-form-urlencoded is the canonical encoding (RFC 6749).
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "access_denied", "Unauthorized") from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "access_denied", "Unauthorized")
    # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding (Go's oauth2 does it).
    return unquote_plus(user), unquote_plus(password)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


async def token(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    tenant.counters.count("POST", TOKEN_ROUTE)
    try:
        params = await _params(request)
        basic = _basic(request)
        client_id, client_secret = _str(params.get("client_id")), _str(params.get("client_secret"))
        if basic is not None:
            if client_id is not None and client_id != basic[0]:
                raise OAuthError(401, "access_denied", "Unauthorized")
            client_id, client_secret = basic
        req = tokens.TokenRequest(
            grant_type=_str(params.get("grant_type")),
            client_id=client_id,
            client_secret=client_secret,
            audience=_str(params.get("audience")),
            scope=_str(params.get("scope")),
            organization=_str(params.get("organization")),
            client_assertion=_str(params.get("client_assertion")),
            client_assertion_type=_str(params.get("client_assertion_type")),
        )
        now = int(time.time())
        with tenant.store.read() as conn:
            decision = tokens.decide(conn, req, tenant.issuer, now)
            writes = tokens.needs_admission(conn, decision, now)
        quota_headers: dict[str, str] = {}
        if writes:
            # Used-up assertions and quota counts are persisted: they hold across restarts.
            with tenant.store.tx() as conn:
                quota_headers = tokens.admit(conn, decision, now)
        body = tokens.issue(tenant.keyring, tenant.issuer, decision)
        response: Response = JSONResponse(
            body,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache", **quota_headers},
            media_type=JSON_MEDIA_TYPE,
        )
    except OAuthError as err:
        response = err.response()
    tenant.counters.status(response.status_code)
    return response


async def jwks(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return JSONResponse(tenant.keyring.jwks())


async def openid_configuration(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    base = tenant.issuer
    return JSONResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}authorize",
            "token_endpoint": f"{base}oauth/token",
            "device_authorization_endpoint": f"{base}oauth/device/code",
            "userinfo_endpoint": f"{base}userinfo",
            "mfa_challenge_endpoint": f"{base}mfa/challenge",
            "jwks_uri": f"{base}.well-known/jwks.json",
            "registration_endpoint": f"{base}oidc/register",
            "revocation_endpoint": f"{base}oauth/revoke",
            "scopes_supported": [
                "openid", "profile", "offline_access", "name", "given_name", "family_name", "nickname",
                "email", "email_verified", "picture", "created_at", "identities", "phone", "address",
            ],
            "response_types_supported": [
                "code", "token", "id_token", "code token", "code id_token", "token id_token",
                "code token id_token",
            ],
            "code_challenge_methods_supported": ["S256", "plain"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "claims_supported": [
                "aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name", "given_name",
                "iat", "identities", "iss", "name", "nickname", "phone_number", "picture", "sub",
            ],
            "request_uri_parameter_supported": False,
            "request_parameter_supported": False,
            "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "PS256"],
            "end_session_endpoint": f"{base}oidc/logout",
        }
    )
