"""Fixtures for the emulator's own tests: a real emulator subprocess on a free port,
in a temporary data directory, spoken to over HTTPS with httpx and the CA from
``connection.json``."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from auth0_emulator import process


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[process.RunningEmulator]:
    running = process.start(tmp_path_factory.mktemp("tenant"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def fresh_emulator(tmp_path: Path) -> Iterator[process.RunningEmulator]:
    """An emulator of its own, for tests that restart it or change its flags."""
    running = process.start(tmp_path / "tenant")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def _calm_controls(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts and ends with no faults and no rate limit on the shared emulator."""
    if "emulator" not in request.fixturenames:
        yield
        return
    running: process.RunningEmulator = request.getfixturevalue("emulator")
    calm = {"fault_429": 0, "fault_5xx": 0, "latency_ms": 0, "rate_limit_burst": None, "rate_limit_rate": None}
    with running.client() as http:
        http.put("/__emulator/faults", json=calm).raise_for_status()
    yield
    with running.client() as http:
        http.put("/__emulator/faults", json=calm).raise_for_status()


_counter = itertools.count()


def unique(prefix: str) -> str:
    """A name unique within the test session (organization-name safe)."""
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


class Tenant:
    """Setup helpers over the Management API, plus token requests."""

    def __init__(self, running: process.RunningEmulator) -> None:
        self.running = running
        self.http = running.management_client()
        self.anon = running.client()

    def close(self) -> None:
        self.http.close()
        self.anon.close()

    # Management API -------------------------------------------------------------
    def ok(self, response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return response.json()

    def api(self, scopes: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        body = {"identifier": f"https://{unique('api')}.example.com/", "name": unique("API")}
        if scopes is not None:
            body["scopes"] = [{"value": s, "description": s} for s in scopes]
        body.update(fields)
        return self.ok(self.http.post("/api/v2/resource-servers", json=body), 201)

    def client(self, **fields: Any) -> dict[str, Any]:
        body = {"name": unique("client"), "app_type": "non_interactive", "grant_types": ["client_credentials"]}
        body.update(fields)
        return self.ok(self.http.post("/api/v2/clients", json=body), 201)

    def grant(self, client: dict[str, Any], api: dict[str, Any], scope: list[str], **fields: Any) -> dict[str, Any]:
        body = {"client_id": client["client_id"], "audience": api["identifier"], "scope": scope}
        body.update(fields)
        return self.ok(self.http.post("/api/v2/client-grants", json=body), 201)

    def org(self, **fields: Any) -> dict[str, Any]:
        body = {"name": unique("org"), "display_name": "Org"}
        body.update(fields)
        return self.ok(self.http.post("/api/v2/organizations", json=body), 201)

    def link(self, org: dict[str, Any], grant: dict[str, Any]) -> dict[str, Any]:
        return self.ok(
            self.http.post(f"/api/v2/organizations/{org['id']}/client-grants", json={"grant_id": grant["id"]}), 201
        )

    # Tokens ----------------------------------------------------------------------
    def token(
        self,
        client: dict[str, Any],
        audience: str | None,
        *,
        organization: str | None = None,
        scope: str | None = None,
        secret: str | None = None,
        style: str = "form",
    ) -> httpx.Response:
        params: dict[str, Any] = {"grant_type": "client_credentials"}
        if audience is not None:
            params["audience"] = audience
        if organization is not None:
            params["organization"] = organization
        if scope is not None:
            params["scope"] = scope
        client_secret = client["client_secret"] if secret is None else secret
        if style == "basic":
            return self.anon.post("/oauth/token", data=params, auth=(client["client_id"], client_secret))
        params.update({"client_id": client["client_id"], "client_secret": client_secret})
        if style == "json":
            return self.anon.post("/oauth/token", json=params)
        return self.anon.post("/oauth/token", data=params)

    def jwks(self) -> jwt.PyJWKSet:
        return jwt.PyJWKSet.from_dict(self.anon.get("/.well-known/jwks.json").json())

    def verify(self, token: str, audience: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        key = next(k for k in self.jwks().keys if k.key_id == header["kid"])
        return jwt.decode(
            token, key.key, algorithms=["RS256"], audience=audience, issuer=f"https://{self.running.connection['domain']}/"
        )


@pytest.fixture
def tenant(emulator: process.RunningEmulator) -> Iterator[Tenant]:
    helper = Tenant(emulator)
    try:
        yield helper
    finally:
        helper.close()



@pytest.fixture
def unique_name():
    return unique
