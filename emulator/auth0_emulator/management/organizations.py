"""``/api/v2/organizations``: organizations, lookup by name, and their client-grant
associations (M2M access for organizations).

Organization names are unique (a UNIQUE column); an organization holds at most
100 client grants (a trigger), and a grant is linked at most once (the primary
key).  Members and connections are not emulated: the read endpoints the
provider's organization data source calls answer empty collections.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.responses import Response

from auth0_emulator import ids, store
from auth0_emulator.errors import ApiError, grant_not_found, organization_not_found
from auth0_emulator.management.common import (
    PAGE_PROPERTIES,
    PAGE_TYPES,
    TOKEN_QUOTA,
    Call,
    json_response,
    management_route,
    no_content,
    paginate,
    parse_query,
)
from auth0_emulator.validation import validate_body

NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 50,
    "pattern": "^[a-z0-9][a-z0-9_-]*$",
    "description": "The name of this organization.",
}
COLOR = {"type": "string", "pattern": "^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$"}
ORG_PROPERTIES: dict[str, Any] = {
    "name": NAME,
    "display_name": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "description": "Friendly name of this organization.",
    },
    "branding": {
        "type": ["object", "null"],
        "properties": {
            "logo_url": {"type": "string", "description": "URL of logo to display on login page."},
            "colors": {
                "type": "object",
                "properties": {"primary": COLOR, "page_background": COLOR},
                "required": ["primary", "page_background"],
                "additionalProperties": False,
                "description": "Color scheme used to customize the login pages.",
            },
        },
        "additionalProperties": False,
        "description": "Theme defines how to style the login pages.",
    },
    "metadata": {
        "type": ["object", "null"],
        "maxProperties": 25,
        "additionalProperties": {"type": ["string", "null"], "maxLength": 255},
        "description": "Metadata associated with the organization, in the form of an object with string values (max 255 chars). Maximum of 25 metadata properties allowed.",
    },
    "token_quota": TOKEN_QUOTA,
    "third_party_client_access": {"type": "string"},
    "is_app_entitlement_active": {"type": "boolean"},
}
CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        **ORG_PROPERTIES,
        "enabled_connections": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "properties": {
                    "connection_id": {"type": "string"},
                    "assign_membership_on_login": {"type": "boolean"},
                    "show_as_button": {"type": "boolean"},
                    "is_signup_enabled": {"type": "boolean"},
                },
                "required": ["connection_id"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}
UPDATE_SCHEMA = {"type": "object", "properties": ORG_PROPERTIES, "additionalProperties": False}

FIELD_ORDER = ("id", "name", "display_name", "branding", "metadata", "token_quota")


def render(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: doc[k] for k in FIELD_ORDER if k in doc}
    out.update({k: v for k, v in doc.items() if k not in out})
    return out


def _name_conflict() -> ApiError:
    return ApiError(409, "An organization with this name already exists.", "organization_conflict")


def _apply(doc: dict[str, Any], body: dict[str, Any]) -> None:
    for key, value in body.items():
        if key == "metadata" and value is not None:
            value = {k: v for k, v in value.items() if v is not None}
            if not value:
                value = None  # OBSERVED: an emptied metadata object disappears from the org
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value


async def create_org(call: Call) -> Response:
    body = validate_body(await call.body(), CREATE_SCHEMA)
    if body.get("enabled_connections"):
        # Connections are not emulated, so no connection id can exist here.
        missing = body["enabled_connections"][0]["connection_id"]
        raise ApiError(404, f"No connection found by that id: {missing}", "inexistent_connection")
    body.pop("enabled_connections", None)
    doc: dict[str, Any] = {"id": ids.organization_id()}
    _apply(doc, body)
    try:
        with call.store.tx() as conn:
            store.insert_org(conn, doc)
    except sqlite3.IntegrityError:
        raise _name_conflict() from None
    return json_response(render(doc), 201)


LIST_QUERY = {
    **PAGE_PROPERTIES,
    "page": {**PAGE_PROPERTIES["page"], "maximum": 1000},
    "sort": {
        "type": "string",
        "pattern": "^((name)|(display_name)|(created_at)):(1|-1)$",
        "description": "Field to sort by. Use field:order where order is 1 for ascending and -1 for descending. Defaults to created_at:1.",
    },
}


async def list_orgs(call: Call) -> Response:
    query = parse_query(call, LIST_QUERY, PAGE_TYPES)
    with call.store.read() as conn:
        orgs = store.list_orgs(conn)
    sort = query.get("sort")
    if sort:
        field, _, order = sort.partition(":")
        if field != "created_at":
            orgs.sort(key=lambda o: o.get(field) or "")
        if order == "-1":
            orgs.reverse()
    return json_response(paginate([render(o) for o in orgs], query, "organizations", totals_first=False))


def _org(conn: Any, org_id: str) -> dict[str, Any]:
    doc = store.get_org(conn, org_id)
    if doc is None:
        raise organization_not_found()
    return doc


async def get_org(call: Call) -> Response:
    with call.store.read() as conn:
        doc = _org(conn, call.param("id"))
    return json_response(render(doc))


async def get_org_by_name(call: Call) -> Response:
    with call.store.read() as conn:
        doc = store.get_org_by_name(conn, call.param("name"))
    if doc is None:
        raise organization_not_found()
    return json_response(render(doc))


async def update_org(call: Call) -> Response:
    body = validate_body(await call.body(), UPDATE_SCHEMA)
    try:
        with call.store.tx() as conn:
            doc = _org(conn, call.param("id"))
            _apply(doc, body)
            store.update_org(conn, doc)
    except sqlite3.IntegrityError:
        raise _name_conflict() from None
    return json_response(render(doc))


async def delete_org(call: Call) -> Response:
    with call.store.tx() as conn:
        if not store.delete_org(conn, call.param("id")):
            raise organization_not_found()
    return no_content()


# Organization <-> client grant links -----------------------------------------------

LINK_SCHEMA = {
    "type": "object",
    "properties": {"grant_id": {"type": "string", "description": "A Client Grant ID to add to the organization."}},
    "required": ["grant_id"],
    "additionalProperties": False,
}


def _link_response(grant: dict[str, Any]) -> dict[str, Any]:
    # OBSERVED: the association answers the grant id as ``grant_id`` and no subject_type.
    out: dict[str, Any] = {"grant_id": grant["id"], "client_id": grant.get("client_id"), "audience": grant["audience"]}
    if "scope" in grant:
        out["scope"] = grant["scope"]
    for key in ("organization_usage", "allow_any_organization"):
        if key in grant:
            out[key] = grant[key]
    return out


def _linked_grant(grant: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": grant["id"], "client_id": grant.get("client_id"), "audience": grant["audience"]}
    for key in ("scope", "organization_usage", "allow_any_organization", "subject_type"):
        if key in grant:
            out[key] = grant[key]
    return out


async def link_grant(call: Call) -> Response:
    body = validate_body(await call.body(), LINK_SCHEMA)
    with call.store.tx() as conn:
        _org(conn, call.param("id"))
        grant = store.get_grant(conn, body["grant_id"])
        if grant is None:
            raise grant_not_found()
        try:
            store.insert_link(conn, call.param("id"), grant["id"])
        except sqlite3.IntegrityError as err:
            if "organization_client_grant_quota" in str(err):
                raise ApiError(
                    409,
                    f"Quota exceeded; cannot add more than {store.ORG_CLIENT_GRANT_LIMIT} client grants "
                    "to a single organization",
                    "quota_exceeded",
                ) from None
            raise ApiError(409, "The client grant has already been added to this organization.", "conflict") from None
    return json_response(_link_response(grant), 201)


LINKS_QUERY = {
    **PAGE_PROPERTIES,
    "audience": {"type": "string", "maxLength": 600, "description": "Optional filter on audience of the client grant."},
    "client_id": {"type": "string", "description": "Optional filter on client_id of the client grant."},
    "grant_ids": {
        "type": "array",
        "maxItems": 10,
        "items": {"type": "string"},
        "description": "Optional filter on the ID of the client grant. Must be URL encoded and may be specified multiple times (max 10).",
    },
}


async def list_linked_grants(call: Call) -> Response:
    query = parse_query(call, LINKS_QUERY, PAGE_TYPES, repeatable=("grant_ids",))
    with call.store.read() as conn:
        _org(conn, call.param("id"))
        grants = store.grants_of_org(conn, call.param("id"))
    if "audience" in query:
        grants = [g for g in grants if g["audience"] == query["audience"]]
    if "client_id" in query:
        grants = [g for g in grants if g.get("client_id") == query["client_id"]]
    if "grant_ids" in query:
        wanted = set(query["grant_ids"])
        grants = [g for g in grants if g["id"] in wanted]
    items = [_linked_grant(g) for g in grants]
    return json_response(paginate(items, query, "client_grants", totals_first=False))


async def unlink_grant(call: Call) -> Response:
    with call.store.tx() as conn:
        _org(conn, call.param("id"))
        store.delete_link(conn, call.param("id"), call.param("grant_id"))
    return no_content()


# Members and connections are out of scope: empty, but shaped as Auth0 answers. ------

EMPTY_QUERY = {
    **PAGE_PROPERTIES,
    "fields": {"type": "string"},
    "include_fields": {"type": "boolean"},
    "is_enabled": {"type": "boolean"},
}


def _empty_collection(key: str):
    async def handler(call: Call) -> Response:
        query = parse_query(call, EMPTY_QUERY, {**PAGE_TYPES, "include_fields": "boolean", "is_enabled": "boolean"})
        with call.store.read() as conn:
            _org(conn, call.param("id"))
        return json_response(paginate([], query, key, totals_first=False))

    return handler


ROUTES = [
    management_route("GET", "/organizations", ("read:organizations",), list_orgs),
    management_route("POST", "/organizations", ("create:organizations",), create_org),
    management_route("GET", "/organizations/name/{name}", ("read:organizations",), get_org_by_name),
    management_route("GET", "/organizations/{id}", ("read:organizations",), get_org),
    management_route("PATCH", "/organizations/{id}", ("update:organizations",), update_org),
    management_route("DELETE", "/organizations/{id}", ("delete:organizations",), delete_org),
    management_route(
        "GET", "/organizations/{id}/client-grants", ("read:organization_client_grants",), list_linked_grants
    ),
    management_route(
        "POST", "/organizations/{id}/client-grants", ("create:organization_client_grants",), link_grant
    ),
    management_route(
        "DELETE",
        "/organizations/{id}/client-grants/{grant_id}",
        ("delete:organization_client_grants",),
        unlink_grant,
    ),
    management_route(
        "GET", "/organizations/{id}/members", ("read:organization_members",), _empty_collection("members")
    ),
    management_route(
        "GET",
        "/organizations/{id}/enabled_connections",
        ("read:organization_connections",),
        _empty_collection("enabled_connections"),
    ),
    management_route(
        "GET",
        "/organizations/{id}/connections",
        ("read:organization_connections",),
        _empty_collection("connections"),
    ),
]
