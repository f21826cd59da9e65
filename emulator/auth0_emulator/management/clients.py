"""``/api/v2/clients``: applications, their secrets and their credentials.

Bodies accept every top-level field of Auth0's client schema (the provider's
``expandClient`` sends many of them), reject anything else with
``Additional properties not allowed``, and validate the values Auth0 validates
(name pattern, description length, enums, ``default_organization``'s shape,
metadata limits).  Deeply nested configuration blocks (addons, mobile, logout
settings, ...) are type-checked as objects and stored as given.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.responses import Response

from auth0_emulator import ids, store
from auth0_emulator.errors import ApiError, client_not_found
from auth0_emulator.management.common import (
    FIELDS_PROPERTIES,
    PAGE_PROPERTIES,
    PAGE_TYPES,
    TOKEN_QUOTA,
    Call,
    json_response,
    management_route,
    no_content,
    paginate,
    parse_query,
    select_fields,
)
from auth0_emulator.tenant import default_client_doc
from auth0_emulator.validation import validate_body

APP_TYPES = [
    "native", "spa", "regular_web", "non_interactive", "resource_server", "express_configuration",
    "rms", "box", "cloudbees", "concur", "dropbox", "mscrm", "echosign", "egnyte", "newrelic",
    "office365", "salesforce", "sentry", "sharepoint", "slack", "springcm", "zendesk", "zoom",
    "sso_integration", "oag",
]

GRANT_TYPES = [
    "authorization_code", "implicit", "refresh_token", "client_credentials", "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "urn:openid:params:grant-type:ciba",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
]

_STRINGS = {"type": "array", "items": {"type": "string"}}
_OBJECT = {"type": "object"}
_NULLABLE_OBJECT = {"type": ["object", "null"]}

CREDENTIAL_INPUT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string", "maxLength": 128},
        "credential_type": {"type": "string", "enum": ["public_key", "cert_subject_dn", "x509_cert"]},
        "pem": {"type": "string", "maxLength": 4096},
        "subject_dn": {"type": "string", "minLength": 1, "maxLength": 256},
        "alg": {"type": "string", "enum": ["RS256", "RS384", "PS256"]},
        "parse_expiry_from_cert": {"type": "boolean"},
        "expires_at": {"type": "string"},
    },
    "additionalProperties": False,
}

# Auth0 attaches at most two credentials to a client for private_key_jwt (the dashboard's "max number of
# credentials (2)"; the provider's MaxItems), so that a key can be rotated without a gap.
MAX_PRIVATE_KEY_JWT_CREDENTIALS = 2

AUTH_METHODS = {
    "type": ["object", "null"],
    "properties": {
        name: {
            "type": "object",
            "properties": {
                "credentials": {
                    "type": "array",
                    "items": CREDENTIAL_INPUT,
                    **({"maxItems": MAX_PRIVATE_KEY_JWT_CREDENTIALS} if name == "private_key_jwt" else {}),
                }
            },
            "required": ["credentials"],
            "additionalProperties": False,
        }
        for name in ("private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth")
    },
    "additionalProperties": False,
    "description": "Defines client authentication methods.",
}

CLIENT_PROPERTIES: dict[str, Any] = {
    "name": {
        "type": "string",
        "minLength": 1,
        "pattern": "^[^<>]+$",
        "description": "Name of this client (min length: 1 character, does not allow `<` or `>`).",
    },
    "description": {
        "type": "string",
        "maxLength": 140,
        "description": "Free text description of this client (max length: 140 characters).",
    },
    "logo_uri": {"type": "string"},
    "callbacks": _STRINGS,
    "allowed_origins": _STRINGS,
    "web_origins": _STRINGS,
    "client_aliases": _STRINGS,
    "allowed_clients": _STRINGS,
    "allowed_logout_urls": _STRINGS,
    "grant_types": {
        "type": "array",
        "items": {"type": "string", "enum": GRANT_TYPES},
        "description": "List of grant types supported for this application.",
    },
    "token_endpoint_auth_method": {
        "type": ["string", "null"],
        "enum": ["none", "client_secret_post", "client_secret_basic", None],
        "description": "Defines the requested authentication method for the token endpoint.",
    },
    "app_type": {"type": "string", "enum": APP_TYPES, "description": "The type of application this client represents"},
    "is_first_party": {"type": "boolean"},
    "oidc_conformant": {"type": "boolean"},
    "is_token_endpoint_ip_header_trusted": {"type": "boolean"},
    "jwt_configuration": {
        "type": "object",
        "properties": {
            "lifetime_in_seconds": {"type": "integer", "minimum": 0},
            "secret_encoded": {"type": "boolean"},
            "scopes": {"type": "object"},
            "alg": {"type": "string", "enum": ["HS256", "RS256", "PS256"]},
        },
        "additionalProperties": False,
        "description": "Configuration related to JWTs for the client.",
    },
    "encryption_key": _NULLABLE_OBJECT,
    "sso": {"type": "boolean"},
    "sso_disabled": {"type": "boolean"},
    "cross_origin_authentication": {"type": "boolean"},
    "cross_origin_loc": {"type": "string"},
    "custom_login_page_on": {"type": "boolean"},
    "custom_login_page": {"type": "string"},
    "custom_login_page_preview": {"type": "string"},
    "form_template": {"type": "string"},
    "addons": _OBJECT,
    "client_metadata": {
        "type": "object",
        "maxProperties": 10,
        "additionalProperties": {"type": ["string", "null"], "maxLength": 255},
        "description": "Metadata associated with the client, in the form of an object with string values (max 255 chars). Maximum of 10 metadata properties allowed.",
    },
    "mobile": _OBJECT,
    "initiate_login_uri": {"type": "string"},
    "native_social_login": _OBJECT,
    "refresh_token": {
        "type": ["object", "null"],
        "properties": {
            "rotation_type": {"type": "string", "enum": ["rotating", "non-rotating"]},
            "expiration_type": {"type": "string", "enum": ["expiring", "non-expiring"]},
            "leeway": {"type": "integer", "minimum": 0},
            "token_lifetime": {"type": "integer", "minimum": 1},
            "infinite_token_lifetime": {"type": "boolean"},
            "idle_token_lifetime": {"type": "integer", "minimum": 1},
            "infinite_idle_token_lifetime": {"type": "boolean"},
            "policies": {"type": "array"},
        },
        "additionalProperties": False,
        "description": "Refresh token configuration",
    },
    "default_organization": {
        "type": ["object", "null"],
        "properties": {
            "organization_id": {"type": "string", "description": "The default Organization ID to be used"},
            "flows": {
                "type": "array",
                "items": {"type": "string", "enum": ["client_credentials"]},
                "description": "The default Organization usage",
            },
        },
        "required": ["organization_id", "flows"],
        "additionalProperties": False,
        "description": "Defines the default Organization ID and flows",
    },
    "organization_usage": {
        "type": ["string", "null"],
        "enum": ["deny", "allow", "require", None],
        "description": "Defines how to proceed during an authentication transaction with regards an organization. Can be 'deny' (default), 'allow' or 'require'.",
    },
    "organization_require_behavior": {
        "type": ["string", "null"],
        "enum": ["no_prompt", "pre_login_prompt", "post_login_prompt", None],
        "description": "Defines how to proceed during an authentication transaction when `client.organization_usage: 'require'`.",
    },
    "organization_discovery_methods": {
        "type": "array",
        "items": {"type": "string", "enum": ["email", "organization_name"]},
        "description": "Methods for discovering organizations during the pre_login_prompt.",
    },
    "client_authentication_methods": AUTH_METHODS,
    "require_pushed_authorization_requests": {"type": "boolean"},
    "require_proof_of_possession": {"type": "boolean"},
    "oidc_backchannel_logout": _OBJECT,
    "oidc_logout": _OBJECT,
    "signed_request_object": _OBJECT,
    "compliance_level": {
        "type": ["string", "null"],
        "enum": ["none", "fapi1_adv_pkj_par", "fapi1_adv_mtls_par", "fapi2_sp_pkj_mtls", "fapi2_sp_mtls_mtls", None],
    },
    "token_exchange": _OBJECT,
    "par_request_expiry": {"type": ["integer", "null"], "minimum": 5, "maximum": 600},
    "token_quota": TOKEN_QUOTA,
    "session_transfer": _NULLABLE_OBJECT,
    "resource_server_identifier": {"type": "string"},
    "skip_non_verifiable_callback_uri_confirmation_prompt": {"type": ["boolean", "null"]},
    "express_configuration": _NULLABLE_OBJECT,
    "async_approval_notification_channels": _STRINGS,
}

CREATE_SCHEMA = {
    "type": "object",
    "properties": CLIENT_PROPERTIES,
    "required": ["name"],
    "additionalProperties": False,
}

def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The same property, also accepting null (a PATCH with null removes the field)."""
    out = dict(schema)
    kinds = out.get("type", [])
    kinds = list(kinds) if isinstance(kinds, list) else [kinds]
    if "null" not in kinds:
        out["type"] = kinds + ["null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = list(out["enum"]) + [None]
    return out


# Every optional field may be cleared with null on PATCH (the provider sends a separate
# PATCH with nulls for fields removed from the configuration); the name may not.
UPDATE_SCHEMA = {
    "type": "object",
    "properties": {
        **{k: (v if k == "name" else _nullable(v)) for k, v in CLIENT_PROPERTIES.items()},
        "client_secret": {
            "type": "string",
            "minLength": 1,
            "description": "The secret used to sign tokens for the client",
        },
    },
    "additionalProperties": False,
}

# Objects a PATCH merges into (Auth0 keeps unspecified sub-fields); all others are replaced.
MERGED_OBJECTS = ("jwt_configuration", "refresh_token", "client_metadata")

THIRD_PARTY_ORGS = (
    "Organizations are only available to first party clients on user-based flows. "
    "Properties organization_usage and organization_require_behavior must be unset for third party clients."
)


# Documented rule (go-auth0's Client.OrganizationDiscoveryMethods); Auth0's wording is UNKNOWN.
DISCOVERY_NEEDS_PROMPT = (
    "organization_discovery_methods can only be set when organization_require_behavior is pre_login_prompt."
)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------
# Rendering

def render(
    call: Call,
    doc: dict[str, Any],
    secret: str,
    *,
    with_keys: bool = True,
    created: bool = False,
    new_credentials: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The client as the API returns it: secret after client_id, signing keys after jwt_configuration.

    A client that authenticates with credentials (``client_authentication_methods``) shows no secret
    (OBSERVED in the private key JWT recordings; Auth0's docs: "The client_secret parameter will be hidden
    once the Private Key JWT configuration is complete") except in the answer to its creation (OBSERVED in
    go-auth0's recordings); it shows again once the methods are removed. Credentials are shown by reference
    (``{"id": ...}``), except those the request itself created inline (``new_credentials``), shown whole.
    """
    out: dict[str, Any] = {}
    hide_secret = bool(doc.get("client_authentication_methods")) and not created
    for key, value in doc.items():
        out[key] = copy.deepcopy(value)
        if key == "client_authentication_methods" and new_credentials:
            for settings in out[key].values():
                settings["credentials"] = [new_credentials.get(ref["id"], ref) for ref in settings["credentials"]]
        if key == "client_id" and with_keys and not hide_secret:
            out["client_secret"] = secret
        if key == "jwt_configuration" and with_keys:
            # Every client's signing_keys are the tenant's application signing certificate.
            out["signing_keys"] = [{"cert": call.tenant.keyring.current.cert_pem}]
    return out


def may_see_keys(call: Call) -> bool:
    return call.has_scope("read:client_keys")


# ---------------------------------------------------------------------------------
# Credentials (client_authentication_methods)

def _jwk_thumbprint(public_key: Any) -> str:
    """RFC 7638 JWK thumbprint: what Auth0 answers as a credential's ``kid``."""
    if isinstance(public_key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
        members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
        members = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    else:
        raise ValueError("unsupported key type")
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# Auth0 enforces RSA keys of 2048 to 4096 bits for private key JWT (docs: "Generate RSA key pair").
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 4096


def new_credential(spec: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A credential to store (as the API shows it) and its PEM (kept apart: Auth0 never returns it)."""
    ctype = spec.get("credential_type")
    if ctype is None:
        raise ApiError(400, "Payload validation error: 'Missing required property: credential_type'.", "invalid_body")
    now = _now()
    cred: dict[str, Any] = {"id": ids.credential_id()}
    if "name" in spec:
        cred["name"] = spec["name"]
    pem = spec.get("pem")
    if ctype in ("public_key", "x509_cert"):
        if not pem:
            raise ApiError(400, "Payload validation error: 'Missing required property: pem'.", "invalid_body")
        try:
            if "CERTIFICATE" in pem:
                certificate = x509.load_pem_x509_certificate(pem.encode())
                public_key = certificate.public_key()
                if spec.get("parse_expiry_from_cert"):
                    cred["expires_at"] = (
                        certificate.not_valid_after_utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
                    )
                thumb = base64.urlsafe_b64encode(
                    hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
                ).rstrip(b"=").decode()
            else:
                public_key = serialization.load_pem_public_key(pem.encode())
                thumb = None
            kid = _jwk_thumbprint(public_key)
        except (ValueError, TypeError):
            raise ApiError(400, "Invalid PEM: the credential's key could not be parsed.", "invalid_body") from None
        if ctype == "public_key":
            _check_signing_key(public_key)
        cred["kid"] = kid
        if ctype == "x509_cert" and thumb:
            cred["thumbprint_sha256"] = thumb
    elif ctype == "cert_subject_dn":
        if "subject_dn" not in spec:
            raise ApiError(400, "Payload validation error: 'Missing required property: subject_dn'.", "invalid_body")
        cred["subject_dn"] = spec["subject_dn"]
    cred["credential_type"] = ctype
    if ctype == "public_key":
        cred["alg"] = spec.get("alg", "RS256")
    cred["created_at"] = now
    cred["updated_at"] = now
    if "expires_at" in spec:
        cred["expires_at"] = _timestamp(
            spec["expires_at"], "expires_at", "The ISO 8601 formatted date representing the expiration of the credential."
        )
    return cred, pem


def _check_signing_key(public_key: Any) -> None:
    """RS256, RS384 and PS256 all need an RSA key; Auth0 accepts 2048 to 4096 bits."""
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ApiError(400, "Invalid PEM: private_key_jwt credentials must be RSA keys.", "invalid_body")
    if not MIN_RSA_BITS <= public_key.key_size <= MAX_RSA_BITS:
        raise ApiError(
            400,
            f"Invalid PEM: the RSA key has {public_key.key_size} bits; between {MIN_RSA_BITS} and {MAX_RSA_BITS} "
            "are accepted.",
            "invalid_body",
        )


def _by_key_id(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Auth0 lists a client's credentials in key-id order (OBSERVED in 3 of 3 recorded lists, UNKNOWN rule)."""
    return sorted(credentials, key=lambda cred: cred.get("kid") or "")


def _apply_auth_methods(
    conn: Any, client_id: str, methods: dict[str, Any] | None, created: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """Create inline credentials (collected in ``created``) and check ``{"id": ...}`` references.

    The client keeps references only: ``{"private_key_jwt": {"credentials": [{"id": ...}]}}``, in the order
    given, as the recordings show.
    """
    if methods is None:
        return None
    existing = {c["id"] for c in store.list_credentials(conn, client_id)}
    result: dict[str, Any] = {}
    for method, settings in methods.items():
        refs = []
        for spec in settings.get("credentials", []):
            if "id" in spec and len(spec) == 1:
                if spec["id"] not in existing:
                    raise ApiError(404, f"Credential {spec['id']} not found.", "inexistent_credential")
                refs.append({"id": spec["id"]})
            else:
                cred, pem = new_credential(spec)
                store.insert_credential(conn, client_id, cred, pem)
                existing.add(cred["id"])
                created[cred["id"]] = cred
                refs.append({"id": cred["id"]})
        result[method] = {"credentials": refs}
    return result


# ---------------------------------------------------------------------------------
# Handlers

async def create_client(call: Call) -> Response:
    body = validate_body(await call.body(), CREATE_SCHEMA)
    client_id = ids.client_id()
    secret = ids.client_secret()
    doc: dict[str, Any] = {"name": body["name"]}
    if "description" in body:
        doc["description"] = body["description"]
    doc.update(default_client_doc(client_id))
    for key, value in body.items():
        if key in ("name", "description", "client_authentication_methods") or value is None:
            continue
        if key == "jwt_configuration":
            doc[key] = {"secret_encoded": False, **value}
        elif key == "refresh_token":
            doc[key] = {**doc[key], **value}
        elif key == "client_metadata":
            doc[key] = {k: v for k, v in value.items() if v is not None}
        else:
            doc[key] = value
    _check_rules(doc)
    created: dict[str, dict[str, Any]] = {}
    with call.store.tx() as conn:
        store.insert_client(conn, doc, secret)
        methods = _apply_auth_methods(conn, client_id, body.get("client_authentication_methods"), created)
        if methods is not None:
            doc["client_authentication_methods"] = methods
            store.update_client(conn, doc, secret)
    return json_response(render(call, doc, secret, created=True, new_credentials=created), 201)


def _check_rules(doc: dict[str, Any]) -> None:
    if doc.get("is_first_party") is False and (
        doc.get("organization_usage") is not None or doc.get("organization_require_behavior") is not None
    ):
        raise ApiError(403, THIRD_PARTY_ORGS, "operation_not_supported")
    if "organization_discovery_methods" in doc and doc.get("organization_require_behavior") != "pre_login_prompt":
        raise ApiError(400, DISCOVERY_NEEDS_PROMPT, "invalid_body")


LIST_QUERY = {
    **PAGE_PROPERTIES,
    **FIELDS_PROPERTIES,
    "is_global": {"type": "boolean", "description": "Optional filter on the global client parameter."},
    "is_first_party": {"type": "boolean", "description": "Optional filter on whether or not a client is a first-party client."},
    "app_type": {"type": "string", "description": "Optional filter by a comma-separated list of application types."},
    "q": {"type": "string", "description": "Advanced Query in Lucene syntax."},
}
LIST_TYPES = {**PAGE_TYPES, "include_fields": "boolean", "is_global": "boolean", "is_first_party": "boolean"}


async def list_clients(call: Call) -> Response:
    query = parse_query(call, LIST_QUERY, LIST_TYPES)
    with call.store.read() as conn:
        clients = store.list_clients(conn)
        if "q" in query:
            allowed = _clients_matching_q(conn, query["q"])
            clients = [c for c in clients if c[0]["client_id"] in allowed]
    if query.get("is_global") is True:
        clients = []
    if "is_first_party" in query:
        clients = [c for c in clients if c[0].get("is_first_party", True) is query["is_first_party"]]
    if "app_type" in query:
        wanted = {t.strip() for t in query["app_type"].split(",")}
        clients = [c for c in clients if c[0].get("app_type") in wanted]
    keys = may_see_keys(call)
    rendered = [
        select_fields(render(call, doc, secret, with_keys=keys), query.get("fields"), query.get("include_fields"))
        for doc, secret in clients
    ]
    return json_response(paginate(rendered, query, "clients"))


def _clients_matching_q(conn: Any, q: str) -> set[str]:
    """The two Lucene queries Auth0 supports on clients (M2M access for organizations)."""
    q = q.strip()
    grants = store.list_grants(conn)
    if q.startswith("client_grant.organization_id:"):
        org_id = q.split(":", 1)[1].strip().strip('"')
        linked = {g["id"] for g in store.grants_of_org(conn, org_id)}
        return {g["client_id"] for g in grants if g["id"] in linked and g.get("client_id")}
    if q == "client_grant.allow_any_organization:true":
        return {g["client_id"] for g in grants if g.get("allow_any_organization") is True and g.get("client_id")}
    raise ApiError(
        400,
        "Query validation error: 'Invalid query. Only client_grant.organization_id:{id} and "
        "client_grant.allow_any_organization:true are supported' on property q.",
        "invalid_query_string",
    )


GET_QUERY = FIELDS_PROPERTIES
GET_TYPES = {"include_fields": "boolean"}


async def get_client(call: Call) -> Response:
    query = parse_query(call, GET_QUERY, GET_TYPES)
    with call.store.read() as conn:
        found = store.get_client(conn, call.param("id"))
    if found is None:
        raise client_not_found()
    doc, secret = found
    out = render(call, doc, secret, with_keys=may_see_keys(call))
    selected = select_fields(out, query.get("fields"), query.get("include_fields"))
    if "signing_keys" in out and query.get("include_fields") is not False:
        # OBSERVED: a field selection still answers the client's signing keys.
        selected["signing_keys"] = out["signing_keys"]
    return json_response(selected)


async def update_client(call: Call) -> Response:
    body = validate_body(await call.body(), UPDATE_SCHEMA)
    client_id = call.param("id")
    # Auth0: "The client_secret and signing_key attributes can only be updated with the update:client_keys scope."
    if "client_secret" in body and not call.has_scope("update:client_keys"):
        raise ApiError(403, "Insufficient scope, expected any of: update:client_keys", "insufficient_scope")
    created: dict[str, dict[str, Any]] = {}
    with call.store.tx() as conn:
        found = store.get_client(conn, client_id)
        if found is None:
            raise client_not_found()
        doc, secret = found
        for key, value in body.items():
            if key == "client_secret":
                secret = value
            elif key == "client_authentication_methods":
                methods = _apply_auth_methods(conn, client_id, value, created)
                if methods is None:
                    doc.pop(key, None)
                else:
                    doc[key] = methods
            elif value is None:
                doc.pop(key, None)
            elif key in MERGED_OBJECTS and isinstance(doc.get(key), dict):
                merged = {**doc[key], **value}
                doc[key] = {k: v for k, v in merged.items() if v is not None}
                if key == "client_metadata" and len(doc[key]) > 10:
                    raise ApiError(
                        400,
                        f"Payload validation error: 'Too many properties defined ({len(doc[key])}), maximum 10' "
                        "on property client_metadata.",
                        "invalid_body",
                    )
            else:
                doc[key] = value
        _check_rules(doc)
        store.update_client(conn, doc, secret)
    return json_response(render(call, doc, secret, new_credentials=created))


async def delete_client(call: Call) -> Response:
    # Idempotent, like Auth0: deleting a client that is already gone answers 204 too
    # (OBSERVED in go-auth0 v1.38.0's recording TestClient_Delete: DELETE, GET 404, DELETE 204).
    with call.store.tx() as conn:
        store.delete_client(conn, call.param("id"))
    return no_content()


async def rotate_secret(call: Call) -> Response:
    with call.store.tx() as conn:
        found = store.get_client(conn, call.param("id"))
        if found is None:
            raise client_not_found()
        doc, _old = found
        secret = ids.client_secret()
        store.update_client(conn, doc, secret)
    return json_response(render(call, doc, secret))


CREDENTIALS_QUERY = {**PAGE_PROPERTIES}


async def list_credentials(call: Call) -> Response:
    # The provider asks with include_totals/per_page but reads a plain array back.
    parse_query(call, CREDENTIALS_QUERY, PAGE_TYPES)
    with call.store.read() as conn:
        if store.get_client(conn, call.param("id")) is None:
            raise client_not_found()
        creds = store.list_credentials(conn, call.param("id"))
    return json_response(_by_key_id(creds))


async def create_credential(call: Call) -> Response:
    body = validate_body(await call.body(), {**CREDENTIAL_INPUT, "required": ["credential_type"]})
    if "id" in body:
        raise ApiError(400, "Payload validation error: 'Additional properties not allowed: id'.", "invalid_body")
    with call.store.tx() as conn:
        if store.get_client(conn, call.param("id")) is None:
            raise client_not_found()
        cred, pem = new_credential(body)
        store.insert_credential(conn, call.param("id"), cred, pem)
    return json_response(cred, 201)


# Only the expiry of a credential can change (Auth0's PatchClientCredentialRequestContent:
# additionalProperties false, minProperties 1, expires_at date-time or null).
UPDATE_CREDENTIAL_SCHEMA = {
    "type": "object",
    "properties": {
        "expires_at": {
            "type": ["string", "null"],
            "description": "The ISO 8601 formatted date representing the expiration of the credential.",
        }
    },
    "additionalProperties": False,
    "minProperties": 1,
}


def _timestamp(value: str, prop: str, description: str) -> str:
    """An ISO 8601 date-time as Auth0 answers it: UTC with milliseconds (2050-05-13T09:33:13.000Z)."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value.upper():
        raise ApiError(
            400,
            f"Payload validation error: 'Object didn't pass validation for format date-time: {value}' "
            f"on property {prop} ({description}).",
            "invalid_body",
        )
    return parsed.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _find_credential(conn: Any, client_id: str, cred_id: str) -> dict[str, Any] | None:
    return next((c for c in store.list_credentials(conn, client_id) if c["id"] == cred_id), None)


async def update_credential(call: Call) -> Response:
    body = validate_body(await call.body(), UPDATE_CREDENTIAL_SCHEMA)
    with call.store.tx() as conn:
        if store.get_client(conn, call.param("id")) is None:
            raise client_not_found()
        cred = _find_credential(conn, call.param("id"), call.param("credential_id"))
        if cred is None:
            raise ApiError(404, "The credential does not exist.", "inexistent_credential")
        expires_at = body["expires_at"]
        if expires_at is None:
            cred.pop("expires_at", None)
        else:
            cred["expires_at"] = _timestamp(
                expires_at, "expires_at", UPDATE_CREDENTIAL_SCHEMA["properties"]["expires_at"]["description"]
            )
        cred["updated_at"] = _now()
        store.update_credential(conn, call.param("id"), cred)
    return json_response(cred)


async def get_credential(call: Call) -> Response:
    with call.store.read() as conn:
        if store.get_client(conn, call.param("id")) is None:
            raise client_not_found()
        for cred in store.list_credentials(conn, call.param("id")):
            if cred["id"] == call.param("credential_id"):
                return json_response(cred)
    raise ApiError(404, "The credential does not exist.", "inexistent_credential")


async def delete_credential(call: Call) -> Response:
    with call.store.tx() as conn:
        found = store.get_client(conn, call.param("id"))
        if found is None:
            raise client_not_found()
        cred_id = call.param("credential_id")
        doc, secret = found
        methods = doc.get("client_authentication_methods") or {}
        for settings in methods.values():
            if any(c.get("id") == cred_id for c in settings.get("credentials", [])):
                raise ApiError(
                    400,
                    "The credential is in use by the client's authentication methods; detach it first.",
                    "credential_in_use",
                )
        # A credential that is already gone answers 204, like Auth0 (OBSERVED in go-auth0 v1.38.0's
        # recording TestClient_DeleteCredential: DELETE 204, then DELETE again 204).
        store.delete_credential(conn, call.param("id"), cred_id)
    return no_content()


ROUTES = [
    management_route("GET", "/clients", ("read:clients", "read:client_keys"), list_clients),
    management_route("POST", "/clients", ("create:clients",), create_client),
    management_route("GET", "/clients/{id}", ("read:clients", "read:client_keys"), get_client),
    management_route("PATCH", "/clients/{id}", ("update:clients", "update:client_keys"), update_client),
    management_route("DELETE", "/clients/{id}", ("delete:clients",), delete_client),
    management_route("POST", "/clients/{id}/rotate-secret", ("update:client_keys",), rotate_secret),
    management_route("GET", "/clients/{id}/credentials", ("read:client_credentials", "read:client_keys"), list_credentials),
    management_route("POST", "/clients/{id}/credentials", ("create:client_credentials",), create_credential),
    management_route(
        "GET", "/clients/{id}/credentials/{credential_id}", ("read:client_credentials", "read:client_keys"), get_credential
    ),
    management_route(
        "PATCH", "/clients/{id}/credentials/{credential_id}", ("update:client_credentials",), update_credential
    ),
    management_route(
        "DELETE", "/clients/{id}/credentials/{credential_id}", ("delete:client_credentials",), delete_credential
    ),
]
