"""A small, read-mostly Auth0 Management API client for the project's tools (recovery, checks).

Pulumi's provider does the writes; the tools only need to find objects (by name, by client and audience,
by organization and grant), and to rotate a client secret (the one write, which Pulumi cannot express). Rate limits are honoured: a 429 waits until ``X-RateLimit-Reset`` (bounded),
unlike a blind retry loop.
"""

from __future__ import annotations

import time
from typing import Any, Iterator, Optional
from urllib.parse import quote

import httpx

MAX_RATE_LIMIT_WAIT = 30.0


class ManagementClient:
    def __init__(self, domain: str, client_id: str, client_secret: str, verify: Any = True, timeout: float = 30.0):
        self.domain = domain
        self._credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": f"https://{domain}/api/v2/",
        }
        self._http = httpx.Client(base_url=f"https://{domain}", verify=verify, timeout=timeout)
        self._token: Optional[str] = None

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, **params: Any) -> Any:
        """GET /api/v2{path}; None on 404."""
        response = self._request("GET", f"/api/v2{path}", params=params)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def paged(self, path: str, collection: str, **params: Any) -> Iterator[dict]:
        """Every item of an offset-paginated collection."""
        page = 0
        while True:
            body = self.get(path, page=page, per_page=100, include_totals="true", **params) or {}
            items = body.get(collection, [])
            yield from items
            if len(items) < 100 or (page + 1) * 100 >= body.get("total", 0):
                return
            page += 1

    def client_ids_named(self, name: str) -> list[str]:
        return [c["client_id"] for c in self.paged("/clients", "clients", fields="client_id,name", include_fields="true") if c.get("name") == name]

    def grant_id(self, client_id: str, audience: str) -> Optional[str]:
        grants = self.get("/client-grants", client_id=client_id, audience=audience, include_totals="true") or {}
        matches = [g["id"] for g in grants.get("client_grants", []) if g.get("subject_type", "client") == "client"]
        return matches[0] if matches else None

    def organization_has_grant(self, organization_id: str, grant_id: str) -> bool:
        body = self.get(f"/organizations/{quote(organization_id, safe='')}/client-grants", grant_ids=grant_id, include_totals="true")
        return bool(body) and any(g.get("id") == grant_id for g in body.get("client_grants", []))

    def organization_id(self, name: str) -> Optional[str]:
        org = self.get(f"/organizations/name/{quote(name, safe='')}")
        return org["id"] if org else None

    def resource_server_id(self, identifier: str) -> Optional[str]:
        server = self.get(f"/resource-servers/{quote(identifier, safe='')}")
        return server["id"] if server else None

    def rotate_secret(self, client_id: str) -> None:
        """Auth0's rotate-secret: the client gets a new secret and the old one stops working.

        The answer (which carries the new secret) is dropped here: the secret reaches Pulumi's state by a
        refresh, encrypted, and is never held, printed or stored by the project.
        """
        response = self._request("POST", f"/api/v2/clients/{quote(client_id, safe='')}/rotate-secret")
        response.raise_for_status()

    def client_secret(self, client_id: str) -> Optional[str]:
        """The client's current secret (needs read:client_keys), to compare, never to show."""
        client = self.get(f"/clients/{quote(client_id, safe='')}", fields="client_secret", include_fields="true")
        return (client or {}).get("client_secret")

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(8):
            response = self._http.request(method, url, headers={"Authorization": f"Bearer {self._access_token()}"}, **kwargs)
            if response.status_code != 429:
                return response
            reset = response.headers.get("x-ratelimit-reset")
            wait = float(reset) - time.time() if reset else 2.0 ** attempt
            time.sleep(min(max(wait, 0.5), MAX_RATE_LIMIT_WAIT))
        return response

    def _access_token(self) -> str:
        if self._token is None:
            response = self._http.post("/oauth/token", data=self._credentials)
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token
