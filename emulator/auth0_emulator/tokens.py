"""Client-credentials token decisions, from the stored tenant state.

This is the emulator's own implementation of Auth0's rules for machine-to-machine
access with organizations (facts file, section 1.3).  It deliberately shares no
code with the project's library: the access check compares the two.

Order of checks (pre-checks A-F, then the organization table rows 1-11):

A  client authentication: a secret (HTTP Basic or the body)       -> 401 access_denied
   or a signed client assertion (private_key_jwt, assertions.py)  -> 401 invalid_client
B  the client's grant_types lacks client_credentials              -> 403 unauthorized_client
C  no audience (the emulated tenant has no default audience)      -> 403 access_denied
D  unknown audience                                               -> 403 access_denied
E  no client grant (subject_type client) and the API requires one -> 403 access_denied
   (the API's client policy deny_all refuses every client flow)
F  requested scopes not all in the grant                          -> 403 access_denied
then the organization rules, using the grant's organization_usage (unset = deny). A request that passes
them all still has to be admitted by the token quotas of the client and the organization (quotas.py,
429 too_many_requests), and its assertion's jti is used up; both happen in :func:`admit`.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from auth0_emulator import assertions, quotas, store
from auth0_emulator.errors import OAuthError
from auth0_emulator.keys import KeyRing

CLIENT_CREDENTIALS = "client_credentials"


@dataclass
class TokenRequest:
    grant_type: str | None
    client_id: str | None
    client_secret: str | None
    audience: str | None
    scope: str | None
    organization: str | None
    client_assertion: str | None = None
    client_assertion_type: str | None = None


@dataclass
class Decision:
    client_id: str
    audience: str
    scopes: list[str]
    org_id: str | None
    api: dict[str, Any]
    client: dict[str, Any]
    assertion: assertions.VerifiedAssertion | None = None


def _denied(description: str) -> OAuthError:
    return OAuthError(403, "access_denied", description)


def _unauthorized() -> OAuthError:
    # OBSERVED on real tenants for a bad client_id or secret.
    return OAuthError(401, "access_denied", "Unauthorized")


def decide(conn: Any, req: TokenRequest, issuer: str, now: int | None = None) -> Decision:
    """Apply the rules to one request; raise OAuthError for a refusal. ``issuer``: the tenant's URL."""
    if req.grant_type != CLIENT_CREDENTIALS:
        if not req.grant_type:
            raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {req.grant_type}")

    # A. Client authentication.
    now = int(time.time()) if now is None else now
    verified = None
    if req.client_assertion is not None or req.client_assertion_type is not None:
        client, verified = _assertion_client(conn, req, issuer, now)
        req.client_id = client["client_id"]
    else:
        client = _secret_client(conn, req)

    # B. The client must be allowed the grant type.
    if CLIENT_CREDENTIALS not in client.get("grant_types", []):
        raise OAuthError(403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.")

    # C, D. Audience.
    if not req.audience:
        raise _denied("No audience parameter was provided, and no default audience has been configured")
    api = store.get_resource_server_by_identifier(conn, req.audience)
    if api is None:
        raise _denied(f"Service not found: {req.audience}")

    # E. A client grant for this client and API (subject_type client).
    not_authorized = (
        f'Client "{req.client_id}" is not authorized to access resource server "{req.audience}". '
        'You need to create a "client-grant" associated to this API.'
    )
    policy = api.get("subject_type_authorization", {}).get("client", {}).get("policy", "require_client_grant")
    if policy == "deny_all":
        raise _denied(not_authorized)
    grant = store.find_grant(conn, req.client_id, req.audience, "client")
    if grant is None:
        raise _denied(not_authorized)

    # F. Scopes: a subset of the grant's (all of the API's with allow_all_scopes).
    if grant.get("allow_all_scopes") is True:
        granted = [s["value"] for s in api.get("scopes", [])]
    else:
        granted = list(grant.get("scope", []))
    if req.scope is not None and req.scope.strip():
        requested = req.scope.split()
        missing = [s for s in dict.fromkeys(requested) if s not in granted]
        if missing:
            raise _denied(f"Client has not been granted scopes: {' '.join(missing)}")
        wanted = set(requested)
        scopes = [s for s in granted if s in wanted]
    else:
        scopes = granted

    org_id = _organization(conn, req, client, grant)
    return Decision(
        client_id=req.client_id, audience=req.audience, scopes=scopes, org_id=org_id, api=api, client=client,
        assertion=verified,
    )


def _secret_client(conn: Any, req: TokenRequest) -> dict[str, Any]:
    if not req.client_id:
        raise _unauthorized()
    found = store.get_client(conn, req.client_id)
    if found is None or req.client_secret is None:
        raise _unauthorized()
    client, secret = found
    if client.get("token_endpoint_auth_method") == "none":
        # A public client has no secret to authenticate with.
        raise _unauthorized()
    if client.get("client_authentication_methods"):
        # A client configured for credentials (private_key_jwt) no longer authenticates with its secret.
        raise _unauthorized()
    if not hmac.compare_digest(secret.encode(), req.client_secret.encode()):
        raise _unauthorized()
    return client


def _assertion_client(
    conn: Any, req: TokenRequest, issuer: str, now: int
) -> tuple[dict[str, Any], assertions.VerifiedAssertion]:
    """private_key_jwt: the client named by a verified assertion (RFC 7523, Auth0's rules in assertions.py)."""
    if req.client_secret is not None:
        # RFC 6749 2.3: one authentication method per request.
        raise OAuthError(400, "invalid_request", "Use either client_secret or client_assertion to authenticate, not both.")
    if req.client_assertion_type != assertions.ASSERTION_TYPE:
        raise OAuthError(400, "invalid_request", f"client_assertion_type must be {assertions.ASSERTION_TYPE}")
    if not req.client_assertion:
        raise OAuthError(400, "invalid_request", "Missing required parameter: client_assertion")
    claimed = assertions.claimed_client(req.client_assertion)
    if req.client_id and req.client_id != claimed:
        raise assertions.refused("The client_id parameter does not match the client assertion's 'sub' claim.")
    found = store.get_client(conn, claimed)
    if found is None:
        raise assertions.refused(f'Client "{claimed}" does not exist.')
    client = found[0]
    # The tenant's URL with its trailing slash (Auth0's docs); the token endpoint's URL is accepted as well,
    # as RFC 7523 allows and Auth0's support article on private key JWT uses it.
    audiences = (issuer, f"{issuer}oauth/token")
    return client, assertions.verify(conn, client, req.client_assertion, audiences, now)


def admit(conn: Any, decision: Decision, now: int | None = None) -> dict[str, str]:
    """The writes an issued token needs, in one transaction: the assertion's jti is used up (a replay is
    refused), and the token counts against the quotas (an exhausted, enforced quota refuses it).

    Returns the quota headers of the response.
    """
    now = int(time.time()) if now is None else now
    if decision.assertion is not None:
        verified = decision.assertion
        if not store.use_assertion(conn, verified.client_id, verified.jti, verified.expires_at, now):
            raise assertions.refused("The client assertion has already been used ('jti' must be unique).")
    return quotas.admit(conn, decision.client, decision.org_id, now)


def needs_admission(conn: Any, decision: Decision, now: int | None = None) -> bool:
    """Whether issuing the token writes anything (an assertion to use up, a quota to count); most requests
    do not, and stay read-only."""
    now = int(time.time()) if now is None else now
    return decision.assertion is not None or bool(quotas.applicable(conn, decision.client, decision.org_id, now))


def _organization(conn: Any, req: TokenRequest, client: dict[str, Any], grant: dict[str, Any]) -> str | None:
    """The organization rules (rows 1-11); returns the org id to put in the token, if any."""
    usage = grant.get("organization_usage") or "deny"
    requested = req.organization if req.organization else None

    if usage == "deny":
        if requested is None:
            return None  # row 1: no org claims; a default organization is ignored
        raise _denied(  # row 2
            f'Client "{req.client_id}" is not allowed to use an organization with resource server '
            f'"{req.audience}": the client grant\'s organization_usage is "deny".'
        )

    if requested is not None:  # rows 4-7, and 11 (an explicit organization wins over the default)
        org = store.get_org(conn, requested)
        if org is None:
            if not requested.startswith("org_") and store.get_org_by_name(conn, requested) is not None:
                # Organization names are accepted only with the tenant flag, which is off here.
                raise OAuthError(400, "invalid_request", "parameter organization must be an organization id")
            raise OAuthError(400, "invalid_request", f'Organization "{requested}" does not exist.')
        _check_association(conn, req, client, grant, org["id"])
        return org["id"]

    if usage == "allow":
        return None  # row 3: no org claims; the default organization only applies to "require"

    # usage == "require" and no organization in the request: rows 8-10.
    default = client.get("default_organization") or {}
    if default.get("organization_id") and CLIENT_CREDENTIALS in default.get("flows", []):
        org = store.get_org(conn, default["organization_id"])
        if org is None:
            raise _denied(
                f'The default organization "{default["organization_id"]}" of client "{req.client_id}" '
                "does not exist."
            )
        _check_association(conn, req, client, grant, org["id"])  # rows 8, 9
        return org["id"]
    raise _denied(  # row 10
        f'Client "{req.client_id}" must use an organization to access resource server "{req.audience}" '
        '(the client grant\'s organization_usage is "require") and has no default organization.'
    )


def _check_association(
    conn: Any, req: TokenRequest, client: dict[str, Any], grant: dict[str, Any], org_id: str
) -> None:
    # Third-party clients cannot use allow_any_organization: only explicit associations count.
    any_org = grant.get("allow_any_organization") is True and client.get("is_first_party", True) is not False
    if any_org or store.link_exists(conn, org_id, grant["id"]):
        return  # rows 5, 6, 8
    raise _denied(  # rows 7, 9
        f'Client "{req.client_id}" is not authorized to access resource server "{req.audience}" '
        f'on behalf of organization "{org_id}": the client grant is not associated with the organization.'
    )


def issue(keyring: KeyRing, issuer: str, decision: Decision) -> dict[str, Any]:
    """Sign the access token and build the token response."""
    api = decision.api
    now = int(time.time())
    lifetime = int(api.get("token_lifetime", 86400))
    dialect = api.get("token_dialect", "access_token")
    rfc9068 = dialect.startswith("rfc9068_profile")
    claims: dict[str, Any] = {"iss": issuer, "sub": f"{decision.client_id}@clients", "aud": decision.audience}
    claims["iat"] = now
    claims["exp"] = now + lifetime
    if rfc9068:
        claims["jti"] = secrets.token_hex(16)
        claims["client_id"] = decision.client_id
    if decision.org_id is not None:
        claims["org_id"] = decision.org_id
    if decision.scopes:
        claims["scope"] = " ".join(decision.scopes)
    if not rfc9068:
        claims["gty"] = "client-credentials"
        claims["azp"] = decision.client_id
    if dialect.endswith("_authz"):
        claims["permissions"] = list(decision.scopes)

    alg = api.get("signing_alg", "RS256")
    typ = "at+jwt" if rfc9068 else "JWT"
    if alg == "HS256":
        key = api.get("signing_secret") or api.get("_hs_secret")
        token = jwt.encode(claims, key, algorithm="HS256", headers={"typ": typ})
    else:
        token = keyring.sign(claims, alg=alg, typ=typ)
    body: dict[str, Any] = {"access_token": token}
    if decision.scopes:
        body["scope"] = " ".join(decision.scopes)
    body["expires_in"] = lifetime
    body["token_type"] = "Bearer"
    return body
