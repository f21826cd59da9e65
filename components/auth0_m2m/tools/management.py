"""The one reader of the tenant: a read-mostly Auth0 Management API client for the project's tools.

Pulumi's provider does the writes; the tools (``import``, repair, ``recover``, ``up --fast``) only read
(the one exception: ``rotate-secret``'s call of Auth0's rotate-secret, which Pulumi cannot express):
every page of every collection they list (checkpoint paging, which Auth0 offers for each of them), and
lookups by each object's stable identity (client name, client + audience, organization + grant,
organization name, API identifier) through :class:`TenantIndex`, which reads each collection once.

Rate limits are honoured instead of retried blindly: a 429 waits until ``X-RateLimit-Reset`` (bounded), and a
response announcing no remaining requests makes the next one wait for the reset. Failures become
:class:`ManagementError` with a one-line message that names the request and, for a missing scope, the scope.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Optional
from urllib.parse import quote

import httpx

MAX_RATE_LIMIT_WAIT = 30.0
MAX_RETRIES = 8
PAGE_SIZE = 100  # Auth0's largest page (per_page and take)

#: Client fields the tools never need: listing clients must not pull every secret into memory.
SECRET_CLIENT_FIELDS = "client_secret,signing_keys,encryption_key"


class ManagementError(RuntimeError):
    """A Management API request that failed; ``str()`` is one line a person can act on."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.code = code


class CredentialRejected(ManagementError):
    """The token endpoint refused the Management API credential."""


class MissingScope(ManagementError):
    """The credential's token lacks a scope the request needs (403 insufficient_scope)."""


def _error_text(response: httpx.Response) -> tuple[str, Optional[str]]:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase, None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error_description") or body.get("error") or ""
        return str(message), body.get("errorCode") or body.get("error")
    return str(body)[:200], None


class ManagementClient:
    """Authenticated GETs against ``https://{domain}/api/v2`` with the client-credentials grant."""

    def __init__(
        self,
        domain: str,
        client_id: str,
        client_secret: str,
        verify: Any = True,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: Optional[httpx.BaseTransport] = None,
    ):
        self.domain = domain
        self.client_id = client_id
        self._credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": f"https://{domain}/api/v2/",
        }
        self._http = httpx.Client(base_url=f"https://{domain}", verify=verify, timeout=timeout, transport=transport)
        self._token: Optional[str] = None
        self._sleep = sleep
        self._not_before = 0.0
        #: Requests made, by "METHOD /path-template": what benchmarks and summaries report.
        self.calls: Counter[str] = Counter()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ManagementClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- generic reads -------------------------------------------------------------------------------------
    def get(self, path: str, *, route: Optional[str] = None, **params: Any) -> Any:
        """GET /api/v2{path}; None on 404; ManagementError on any other failure."""
        response = self._request("GET", f"/api/v2{path}", route or path, params=_query(params))
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise self._failure("GET", path, response)
        return response.json()

    def checkpoint(self, path: str, collection: str, *, route: Optional[str] = None, **params: Any) -> Iterator[dict]:
        """Every item of a collection with checkpoint paging (``from`` / ``take``, follow ``next``)."""
        cursor: Optional[str] = None
        while True:
            page_params = {**params, "take": PAGE_SIZE, **({"from": cursor} if cursor else {})}
            body = self.get(path, route=route, **page_params)
            if body is None:
                return
            items = body.get(collection, []) if isinstance(body, dict) else body
            yield from items
            cursor = body.get("next") if isinstance(body, dict) else None
            if not cursor or not items:
                return

    # --- the collections the tools read --------------------------------------------------------------------
    def clients(self) -> list[dict]:
        """Every client of the tenant, without secrets."""
        return list(self.checkpoint("/clients", "clients", fields=SECRET_CLIENT_FIELDS, include_fields="false"))

    def client_grants(self, **filters: str) -> list[dict]:
        """Every client grant (optionally filtered by ``client_id``, ``audience``, ...)."""
        return list(self.checkpoint("/client-grants", "client_grants", **filters))

    def grant_organizations(self, grant_id: str) -> list[dict]:
        """Every organization a client grant is authorized for."""
        return list(
            self.checkpoint(
                f"/client-grants/{quote(grant_id, safe='')}/organizations",
                "organizations",
                route="/client-grants/{id}/organizations",
            )
        )

    def organization(self, organization_id: str) -> Optional[dict]:
        return self.get(f"/organizations/{quote(organization_id, safe='')}", route="/organizations/{id}")

    def organization_named(self, name: str) -> Optional[dict]:
        return self.get(f"/organizations/name/{quote(name, safe='')}", route="/organizations/name/{name}")

    def resource_server(self, identifier: str) -> Optional[dict]:
        """An API by its identifier (Auth0 accepts the URL-encoded identifier in place of the id)."""
        return self.get(f"/resource-servers/{quote(identifier, safe='')}", route="/resource-servers/{id}")

    def credentials(self, client_id: str) -> list[dict]:
        """A client's registered credentials (private_key_jwt public keys): id, name, kid, alg, expires_at; Auth0
        never returns the PEM."""
        body = self.get(f"/clients/{quote(client_id, safe='')}/credentials", route="/clients/{id}/credentials")
        return list(body or [])

    def rotate_secret(self, client_id: str) -> None:
        """Auth0's rotate-secret: the client gets a new secret and the old one stops working.

        The answer (which carries the new secret) is dropped here: the secret reaches Pulumi's state by a
        refresh, encrypted, and is never held, printed or stored by the project.
        """
        path = f"/clients/{quote(client_id, safe='')}/rotate-secret"
        response = self._request("POST", f"/api/v2{path}", "/clients/{id}/rotate-secret")
        if response.status_code >= 400:
            raise self._failure("POST", path, response)

    def client_secret(self, client_id: str) -> Optional[str]:
        """The client's current secret (needs read:client_keys), to compare, never to show."""
        client = self.get(f"/clients/{quote(client_id, safe='')}", route="/clients/{id}", fields="client_secret",
                          include_fields="true")
        return (client or {}).get("client_secret")

    # --- transport -----------------------------------------------------------------------------------------
    def _request(self, method: str, url: str, route: str, **kwargs: Any) -> httpx.Response:
        response: Optional[httpx.Response] = None
        for attempt in range(MAX_RETRIES):
            self._wait_for_budget()
            self.calls[f"{method} {route}"] += 1
            try:
                response = self._http.request(
                    method, url, headers={"Authorization": f"Bearer {self._access_token()}"}, **kwargs
                )
            except httpx.TransportError as error:
                if attempt >= 2:
                    raise ManagementError(f"cannot reach https://{self.domain}: {error}") from None
                self._sleep(0.5 * 2**attempt)
                continue
            self._note_budget(response)
            if response.status_code == 429:
                self._sleep(self._reset_wait(response, attempt))
                continue
            if response.status_code in (500, 502, 503, 504) and attempt < 3:
                self._sleep(0.5 * 2**attempt)
                continue
            return response
        assert response is not None
        return response

    def _reset_wait(self, response: httpx.Response, attempt: int) -> float:
        reset = response.headers.get("x-ratelimit-reset")
        try:
            wait = float(reset) - time.time() if reset else 2.0**attempt
        except ValueError:
            wait = 2.0**attempt
        return min(max(wait, 0.2), MAX_RATE_LIMIT_WAIT)

    def _note_budget(self, response: httpx.Response) -> None:
        """A response that says no request is left until the reset makes the next request wait for it."""
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and reset is not None:
            try:
                if int(float(remaining)) <= 0:
                    self._not_before = min(float(reset), time.time() + MAX_RATE_LIMIT_WAIT)
            except ValueError:
                pass

    def _wait_for_budget(self) -> None:
        wait = self._not_before - time.time()
        if wait > 0:
            self._sleep(wait)

    def _failure(self, method: str, path: str, response: httpx.Response) -> ManagementError:
        message, code = _error_text(response)
        where = f"{method} /api/v2{path.split('?')[0]}"
        if response.status_code == 403 and (code == "insufficient_scope" or "scope" in message.lower()):
            return MissingScope(
                f"the tenant refused {where}: {message} (the Management API credential lacks this scope)",
                response.status_code,
                code,
            )
        if response.status_code == 401:
            return CredentialRejected(f"the tenant refused the Management API token for {where}: {message}", 401, code)
        return ManagementError(f"{where} failed with {response.status_code}: {message}", response.status_code, code)

    def _access_token(self) -> str:
        if self._token is None:
            self.calls["POST /oauth/token"] += 1
            try:
                response = self._http.post("/oauth/token", data=self._credentials)
            except httpx.TransportError as error:
                raise ManagementError(f"cannot reach https://{self.domain}: {error}") from None
            if response.status_code >= 400:
                message, code = _error_text(response)
                raise CredentialRejected(
                    f"the tenant refused the Management API credential (client id {self.client_id}): "
                    f"{code or response.status_code}: {message}",
                    response.status_code,
                    code,
                )
            self._token = response.json()["access_token"]
        return self._token


def _query(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


def _client_subject(grant: dict) -> bool:
    """Client-credentials grants have subject type "client" (Auth0 omits it on older grants)."""
    return grant.get("subject_type", "client") == "client"


def is_m2m_client(client: dict) -> bool:
    """A machine-to-machine application: a ``non_interactive`` client allowed the client-credentials grant."""
    return client.get("app_type") == "non_interactive" and "client_credentials" in (client.get("grant_types") or [])


@dataclass
class TenantIndex:
    """Objects found by their stable identity, each collection read once (lazily) through one client.

    ``import``, repair, ``recover`` and ``up --fast`` all find objects through this index, so that they
    agree on what "the same object" is: a client by its Auth0 name (or by client id when the stack pins
    one), a grant by client + audience (subject type client), an authorization by organization + grant, an
    organization by name, an API by identifier.
    """

    tenant: ManagementClient

    def __post_init__(self) -> None:
        self._clients: Optional[dict[str, dict]] = None
        self._grants: Optional[dict[str, list[dict]]] = None
        self._grant_orgs: dict[str, list[dict]] = {}
        self._orgs_by_name: dict[str, Optional[dict]] = {}
        self._orgs_by_id: dict[str, Optional[dict]] = {}
        self._servers: dict[str, Optional[dict]] = {}
        self._credentials: dict[str, list[dict]] = {}

    @property
    def clients(self) -> dict[str, dict]:
        """client id -> client (every client of the tenant, secrets excluded)."""
        if self._clients is None:
            self._clients = {c["client_id"]: c for c in self.tenant.clients()}
        return self._clients

    def all_grants_of(self, client_id: str) -> list[dict]:
        """Every grant of a client, other subject types included, in the tenant's order."""
        if self._grants is None:
            self._grants = {}
            for grant in self.tenant.client_grants():
                if grant.get("client_id"):
                    self._grants.setdefault(grant["client_id"], []).append(grant)
        return self._grants.get(client_id, [])

    def clients_named(self, name: str) -> list[dict]:
        return sorted((c for c in self.clients.values() if c.get("name") == name), key=lambda c: c["client_id"])

    def client(self, client_id: str) -> Optional[dict]:
        return self.clients.get(client_id)

    def grant(self, client_id: str, audience: str) -> Optional[dict]:
        """The client-credentials grant of a client for an audience (one per pair in Auth0)."""
        for grant in self.all_grants_of(client_id):
            if grant["audience"] == audience and _client_subject(grant):
                return grant
        return None

    def grant_organizations(self, grant_id: str) -> list[dict]:
        if grant_id not in self._grant_orgs:
            self._grant_orgs[grant_id] = self.tenant.grant_organizations(grant_id)
            for org in self._grant_orgs[grant_id]:
                self._orgs_by_id.setdefault(org["id"], org)
                self._orgs_by_name.setdefault(org["name"], org)
        return self._grant_orgs[grant_id]

    def is_linked(self, organization_id: str, grant_id: str) -> bool:
        return any(org["id"] == organization_id for org in self.grant_organizations(grant_id))

    def organization_named(self, name: str) -> Optional[dict]:
        if name not in self._orgs_by_name:
            org = self.tenant.organization_named(name)
            self._orgs_by_name[name] = org
            if org:
                self._orgs_by_id.setdefault(org["id"], org)
        return self._orgs_by_name[name]

    def organization(self, organization_id: str) -> Optional[dict]:
        if organization_id not in self._orgs_by_id:
            org = self.tenant.organization(organization_id)
            self._orgs_by_id[organization_id] = org
            if org:
                self._orgs_by_name.setdefault(org["name"], org)
        return self._orgs_by_id[organization_id]

    def resource_server(self, identifier: str) -> Optional[dict]:
        if identifier not in self._servers:
            self._servers[identifier] = self.tenant.resource_server(identifier)
        return self._servers[identifier]

    def credentials(self, client_id: str) -> list[dict]:
        """A client's registered credentials (read once; only private_key_jwt clients are asked)."""
        if client_id not in self._credentials:
            self._credentials[client_id] = self.tenant.credentials(client_id)
        return self._credentials[client_id]

    def m2m_clients(self, exclude: Iterable[str] = ()) -> list[dict]:
        """Every M2M application of the tenant, except the given client ids, by client id."""
        skip = set(exclude)
        return sorted(
            (c for c in self.clients.values() if is_m2m_client(c) and c["client_id"] not in skip),
            key=lambda c: c["client_id"],
        )
