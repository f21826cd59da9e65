"""What every Management API route shares: the request pipeline (count, faults and
rate limit, bearer token and scope, handler, error rendering), body parsing,
pagination and field selection."""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth0_emulator import jsonbody
from auth0_emulator.controls import Refused
from auth0_emulator.errors import JSON_MEDIA_TYPE, ApiError
from auth0_emulator.tenant import Tenant
from auth0_emulator.validation import coerce_query, validate_query

API_PREFIX = "/api/v2"

log = logging.getLogger("auth0_emulator.requests")

Handler = Callable[["Call"], Awaitable[Response]]


class Call:
    """One Management API request as a handler sees it."""

    def __init__(self, request: Request, tenant: Tenant, claims: dict[str, Any]) -> None:
        self.request = request
        self.tenant = tenant
        self.claims = claims
        self.scopes = frozenset(str(claims.get("scope", "")).split())

    @property
    def store(self):
        return self.tenant.store

    def param(self, name: str) -> str:
        return self.request.path_params[name]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def query_items(self) -> list[tuple[str, str]]:
        return parse_qsl(self.request.url.query, keep_blank_values=True)

    async def body(self) -> Any:
        return await read_body(self.request)


# ---------------------------------------------------------------------------------
# Responses

def json_response(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=JSON_MEDIA_TYPE)


def no_content() -> Response:
    return Response(status_code=204)


# ---------------------------------------------------------------------------------
# Bodies: JSON or form-encoded, like Auth0 (Hapi) accepts.

async def read_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if ctype not in ("application/json", "") and not ctype.endswith("+json"):
        raise ApiError(415, "Unsupported Media Type")
    try:
        # 3600.0 is stored and answered as 3600: Go clients cannot read a float into an int.
        return jsonbody.parse(raw, parse_float=_number)
    except jsonbody.InvalidJson:
        # Hapi's own message for unparsable JSON; no errorCode. Also for any depth, huge or non-finite numbers.
        raise ApiError(400, "Invalid request payload JSON format") from None


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


# ---------------------------------------------------------------------------------
# Authentication: the bearer token must be one of this tenant's Management API tokens.

def authorize(request: Request, tenant: Tenant, scopes: tuple[str, ...]) -> dict[str, Any]:
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "Missing authentication")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "Bad HTTP authentication header format")
    try:
        claims = tenant.keyring.verify(token, audience=tenant.management_audience, issuer=tenant.issuer)
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "Expired token received for JSON Web Token validation.") from None
    except jwt.InvalidSignatureError:
        raise ApiError(401, "Invalid signature received for JSON Web Token validation.") from None
    except jwt.PyJWTError:
        raise ApiError(401, "Invalid token.") from None
    granted = set(str(claims.get("scope", "")).split())
    if scopes and not granted.intersection(scopes):
        raise ApiError(
            403, f"Insufficient scope, expected any of: {','.join(scopes)}", "insufficient_scope"
        )
    return claims


#: Every Management API route's scopes, "any of" (``("GET", "/api/v2/clients/{id}") -> ("read:clients", ...)``),
#: as Auth0's API reference lists them; keyed like the request counters. Field-level rules (a client's secret
#: is shown only with read:client_keys and changed only with update:client_keys) live in the handlers.
ROUTE_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {}


def management_route(
    method: str, template: str, scopes: tuple[str, ...], handler: Handler, *, path: str | None = None
) -> Route:
    """A Starlette route running the Management API pipeline around ``handler``.

    ``template`` is the public route template used by the request counters;
    ``path`` the Starlette path when it differs (e.g. ``{id:path}``).
    """
    counter_key = API_PREFIX + template
    ROUTE_SCOPES[(method, counter_key)] = scopes

    async def endpoint(request: Request) -> Response:
        tenant: Tenant = request.app.state.tenant
        tenant.counters.count(method, counter_key)
        headers: dict[str, str] = {}
        try:
            # Faults and the rate limit come first: a refused request changes nothing.
            try:
                headers = await tenant.controls.before()
            except Refused as refused:
                tenant.counters.refused(refused.reason)
                raise
            claims = authorize(request, tenant, scopes)
            response = await handler(Call(request, tenant, claims))
        except ApiError as err:
            response = err.response()
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        tenant.counters.status(response.status_code)
        if log.isEnabledFor(logging.DEBUG):
            # --log-level debug: what the client sent and what it got (bodies carry secrets).
            body = (await request.body()).decode("utf-8", "replace")
            log.debug("%s %s %s -> %s %s", method, request.url.path, body, response.status_code,
                      bytes(response.body).decode("utf-8", "replace")[:2000] if hasattr(response, "body") else "")
        return response

    return Route(API_PREFIX + (path or template), endpoint, methods=[method])


async def unknown_route(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    tenant.counters.count(request.method, API_PREFIX + "/{unknown}")
    tenant.counters.status(404)
    return ApiError(404, "Not Found").response()


# ---------------------------------------------------------------------------------
# Query strings, pagination, fields

PAGE_TYPES = {"page": "integer", "per_page": "integer", "include_totals": "boolean", "take": "integer"}

PAGE_PROPERTIES: dict[str, Any] = {
    "page": {"type": "integer", "minimum": 0, "description": "Page index of the results to return. First page is 0."},
    "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Number of results per page. Defaults to 50.",
    },
    "include_totals": {
        "type": "boolean",
        "description": "Return results inside an object that contains the total result count (true) or as a direct array of results (false, default).",
    },
    "from": {"type": "string", "description": "Optional Id from which to start selection."},
    "take": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "Number of results per page. Defaults to 50.",
    },
}


def parse_query(
    call: Call, properties: dict[str, Any], types: dict[str, str], *, repeatable: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Validate the query string against ``properties`` (unknown parameters are an error)."""
    raw: dict[str, Any] = {}
    for key, value in call.query_items():
        if key in repeatable:
            raw.setdefault(key, []).append(value)
        elif key.endswith("[]") and key[:-2] in repeatable:
            raw.setdefault(key[:-2], []).append(value)
        else:
            raw[key] = value
    scalars = {k: v for k, v in raw.items() if not isinstance(v, list)}
    coerced = coerce_query(scalars, types)
    coerced.update({k: v for k, v in raw.items() if isinstance(v, list)})
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    return validate_query(coerced, schema)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        if kind == "o" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, "Query validation error: 'Invalid from parameter' on property from.", "invalid_query_string")


def paginate(items: list[Any], query: dict[str, Any], key: str, *, totals_first: bool = True) -> Any:
    """Offset (page/per_page/include_totals) or checkpoint (from/take) pagination."""
    if "from" in query or "take" in query:
        start = _offset(query["from"]) if query.get("from") else 0
        take = query.get("take", 50)
        chunk = items[start : start + take]
        body: dict[str, Any] = {key: chunk}
        if start + take < len(items):
            body["next"] = _cursor(start + take)
        return body
    page = query.get("page", 0)
    per_page = query.get("per_page", 50)
    start = page * per_page
    chunk = items[start : start + per_page]
    if not query.get("include_totals"):
        return chunk
    if totals_first:
        return {"total": len(items), "start": start, "limit": per_page, key: chunk}
    return {key: chunk, "start": start, "limit": per_page, "total": len(items)}


def select_fields(doc: dict[str, Any], fields: str | None, include: bool | None) -> dict[str, Any]:
    if not fields:
        return doc
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    if include is False:
        return {k: v for k, v in doc.items() if k not in wanted}
    return {k: v for k, v in doc.items() if k in wanted}


# token_quota of clients and organizations (Auth0's fine-grained M2M token quotas).
TOKEN_QUOTA: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "client_credentials": {
            "type": "object",
            "properties": {
                "enforce": {"type": "boolean"},
                "per_day": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                "per_hour": {"type": "integer", "minimum": 1, "maximum": 2147483647},
            },
            "additionalProperties": False,
        }
    },
    "required": ["client_credentials"],
    "additionalProperties": False,
}


FIELDS_PROPERTIES: dict[str, Any] = {
    "fields": {
        "type": "string",
        "description": "Comma-separated list of fields to include or exclude (based on value provided for include_fields) in the result. Leave empty to retrieve all fields.",
    },
    "include_fields": {
        "type": "boolean",
        "description": "Whether specified fields are to be included (true) or excluded (false).",
    },
}
