"""``/api/v2/client-grants``: which client may get tokens for which API, with which
scopes, and how it may use organizations (``organization_usage``,
``allow_any_organization``).

One grant per (client, audience, subject_type) is a UNIQUE index; a duplicate is 409.
Fields the caller never set (``organization_usage``, ``allow_any_organization``,
``allow_all_scopes``, ...) are left out of responses, as Auth0 does; ``subject_type``
is always present and defaults to ``client``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.responses import Response

from auth0_emulator import ids, store
from auth0_emulator.errors import ApiError, grant_not_found
from auth0_emulator.management.common import (
    PAGE_PROPERTIES,
    PAGE_TYPES,
    Call,
    json_response,
    management_route,
    no_content,
    paginate,
    parse_query,
)
from auth0_emulator.management.organizations import render as render_org
from auth0_emulator.validation import validate_body

SCOPE = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 280},
    "description": "Scopes allowed for this client grant.",
}
ORG_USAGE = {
    "type": ["string", "null"],
    "enum": ["deny", "allow", "require", None],
    "description": "Defines whether organizations can be used with client credentials exchanges for this grant.",
}
ALLOW_ANY_ORG = {
    "type": ["boolean", "null"],
    "description": "If enabled, any organization can be used with this grant. If disabled (default), the grant must be explicitly assigned to the desired organizations.",
}
DETAILS_TYPES = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Types of authorization_details allowed for this client grant.",
}
ALLOW_ALL_SCOPES = {
    "type": ["boolean", "null"],
    "description": "If enabled, all scopes configured on the resource server are allowed for this grant.",
}

CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "client_id": {"type": "string", "description": "ID of the client."},
        "audience": {
            "type": "string",
            "minLength": 1,
            "maxLength": 600,
            "description": "The audience (API identifier) of this client grant",
        },
        "scope": SCOPE,
        "organization_usage": ORG_USAGE,
        "allow_any_organization": ALLOW_ANY_ORG,
        "subject_type": {
            "type": "string",
            "enum": ["client", "user"],
            "description": "The type of application access the client grant allows.",
        },
        "authorization_details_types": DETAILS_TYPES,
        "allow_all_scopes": ALLOW_ALL_SCOPES,
        "default_for": {
            "type": "string",
            "enum": ["third_party_clients"],
            "description": "Applies this client grant as the default for all clients in the specified group.",
        },
    },
    "required": ["audience"],
    "additionalProperties": False,
}

UPDATE_SCHEMA = {
    "type": "object",
    "properties": {
        "scope": SCOPE,
        "organization_usage": ORG_USAGE,
        "allow_any_organization": ALLOW_ANY_ORG,
        "authorization_details_types": DETAILS_TYPES,
        "allow_all_scopes": ALLOW_ALL_SCOPES,
    },
    "additionalProperties": False,
}

# The order Auth0 answers with.
FIELD_ORDER = (
    "id", "client_id", "default_for", "audience", "scope", "organization_usage", "allow_any_organization",
    "is_system", "subject_type", "authorization_details_types", "allow_all_scopes",
)


def render(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: doc[k] for k in FIELD_ORDER if k in doc}
    out.update({k: v for k, v in doc.items() if k not in out})
    return out


def _all_scopes_conflict() -> ApiError:
    return ApiError(400, "`scope` cannot be provided when `allow_all_scopes` is true", "invalid_body")


async def create_grant(call: Call) -> Response:
    body = validate_body(await call.body(), CREATE_SCHEMA)
    client_id = body.get("client_id")
    default_for = body.get("default_for")
    if client_id is None and default_for is None:
        raise ApiError(400, "Payload validation error: 'Missing required property: client_id'.", "invalid_body")
    if client_id is not None and default_for is not None:
        raise ApiError(400, "`client_id` and `default_for` cannot be provided together", "invalid_body")
    audience = body["audience"]
    subject_type = body.get("subject_type", "client")
    if body.get("allow_all_scopes") is True and body.get("scope"):
        raise _all_scopes_conflict()
    with call.store.tx() as conn:
        api = store.get_resource_server_by_identifier(conn, audience)
        if api is None:
            raise ApiError(404, "Resource server not found", "inexistent_resource_server")
        if api["_is_system"] and "allow_all_scopes" in body:
            # OBSERVED (pulumi-auth0 issue 1069): any allow_all_scopes, even false, is refused here.
            raise ApiError(400, "`allow_all_scopes` cannot be provided when `audience` is a system API", "invalid_body")
        if client_id is not None:
            found = store.get_client(conn, client_id)
            if found is None:
                raise ApiError(404, "Client not found", "inexistent_client")
            if found[0].get("is_first_party") is False and body.get("allow_any_organization") is True:
                raise ApiError(
                    400,
                    "allow_any_organization cannot be enabled for third-party clients; "
                    "associate the grant with each organization instead.",
                    "invalid_body",
                )
        doc: dict[str, Any] = {"id": ids.client_grant_id()}
        if client_id is not None:
            doc["client_id"] = client_id
        else:
            doc["default_for"] = default_for
        doc["audience"] = audience
        if "scope" in body or body.get("allow_all_scopes") is not True:
            doc["scope"] = list(body.get("scope", []))
        for key in ("organization_usage", "allow_any_organization"):
            if body.get(key) is not None:
                doc[key] = body[key]
        doc["subject_type"] = subject_type
        for key in ("authorization_details_types", "allow_all_scopes"):
            if body.get(key) is not None:
                doc[key] = body[key]
        try:
            store.insert_grant(conn, doc)
        except sqlite3.IntegrityError:
            holder = client_id if client_id is not None else default_for
            raise ApiError(
                409, f"A client grant already exists between {holder} and {audience}", "conflict"
            ) from None
    return json_response(render(doc), 201)


LIST_QUERY = {
    **PAGE_PROPERTIES,
    "audience": {"type": "string", "description": "Optional filter on audience."},
    "client_id": {"type": "string", "description": "Optional filter on client_id."},
    "allow_any_organization": {
        "type": "boolean",
        "enum": [True],
        "description": "Optional filter on allow_any_organization.",
    },
    "subject_type": {
        "type": "string",
        "enum": ["client", "user"],
        "description": "The type of application access the client grant allows.",
    },
    "default_for": {"type": "string", "enum": ["third_party_clients"]},
}


async def list_grants(call: Call) -> Response:
    query = parse_query(call, LIST_QUERY, {**PAGE_TYPES, "allow_any_organization": "boolean"})
    with call.store.read() as conn:
        grants = store.list_grants(conn)
    for key in ("audience", "client_id", "default_for"):
        if key in query:
            grants = [g for g in grants if g.get(key) == query[key]]
    if "subject_type" in query:
        grants = [g for g in grants if g.get("subject_type", "client") == query["subject_type"]]
    if query.get("allow_any_organization") is True:
        grants = [g for g in grants if g.get("allow_any_organization") is True]
    return json_response(paginate([render(g) for g in grants], query, "client_grants"))


async def get_grant(call: Call) -> Response:
    with call.store.read() as conn:
        doc = store.get_grant(conn, call.param("id"))
    if doc is None:
        raise grant_not_found()
    return json_response(render(doc))


async def update_grant(call: Call) -> Response:
    body = validate_body(await call.body(), UPDATE_SCHEMA)
    with call.store.tx() as conn:
        doc = store.get_grant(conn, call.param("id"))
        if doc is None:
            raise ApiError(404, "The client grant does not exist.", "inexistent_client_grant")
        if doc.get("is_system"):
            raise ApiError(400, "System client grants cannot be modified", "operation_not_supported")
        api = store.get_resource_server_by_identifier(conn, doc["audience"])
        if api is not None and api["_is_system"] and "allow_all_scopes" in body:
            raise ApiError(400, "`allow_all_scopes` cannot be provided when `audience` is a system API", "invalid_body")
        if body.get("allow_any_organization") is True and doc.get("client_id"):
            found = store.get_client(conn, doc["client_id"])
            if found is not None and found[0].get("is_first_party") is False:
                raise ApiError(
                    400,
                    "allow_any_organization cannot be enabled for third-party clients; "
                    "associate the grant with each organization instead.",
                    "invalid_body",
                )
        for key, value in body.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        if doc.get("allow_all_scopes") is True:
            if body.get("scope"):
                raise _all_scopes_conflict()
            # OBSERVED: with allow_all_scopes the grant has no scope list of its own.
            doc.pop("scope", None)
        store.update_grant(conn, doc)
    return json_response(render(doc))


async def delete_grant(call: Call) -> Response:
    with call.store.tx() as conn:
        doc = store.get_grant(conn, call.param("id"))
        if doc is not None and doc.get("is_system"):
            raise ApiError(400, "System client grants cannot be deleted", "operation_not_supported")
        # OBSERVED: deleting a grant that does not exist (any more) is 204 as well.
        store.delete_grant(conn, call.param("id"))
    return no_content()


ORGS_QUERY = {**PAGE_PROPERTIES}


async def grant_organizations(call: Call) -> Response:
    query = parse_query(call, ORGS_QUERY, PAGE_TYPES)
    with call.store.read() as conn:
        if store.get_grant(conn, call.param("id")) is None:
            raise grant_not_found()
        orgs = store.orgs_of_grant(conn, call.param("id"))
    return json_response(paginate([render_org(o) for o in orgs], query, "organizations", totals_first=False))


ROUTES = [
    management_route("GET", "/client-grants", ("read:client_grants",), list_grants),
    management_route("POST", "/client-grants", ("create:client_grants",), create_grant),
    management_route("GET", "/client-grants/{id}", ("read:client_grants",), get_grant),
    management_route("PATCH", "/client-grants/{id}", ("update:client_grants",), update_grant),
    management_route("DELETE", "/client-grants/{id}", ("delete:client_grants",), delete_grant),
    management_route(
        "GET", "/client-grants/{id}/organizations", ("read:organization_client_grants",), grant_organizations
    ),
]
