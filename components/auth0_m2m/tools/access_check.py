"""The access check: real client-credentials token requests compared with what the stack config implies.

For every application x API x organization of a stack (and "no organization"), it asks the tenant's
token endpoint for a token, verifies an issued token's signature, issuer and audience against the
tenant's JWKS, and compares allowed/refused and the ``org_id`` claim with :func:`expected_access`. It
runs against the local emulator after ``pulumi up`` and equally against a real tenant after a deploy.
Client secrets come from the stack outputs and stay in memory; nothing here prints them.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

import httpx
import jwt
from rich.table import Table

from .. import contract
from ..model.access import Expectation, expected_access, outcome
from ..model.config import StackConfig
from .output import CommandError, Exit
from .pulumi_cli import pulumi_read


@dataclass(frozen=True)
class Observation:
    allowed: bool
    org_id: Optional[str]
    detail: str
    verified: bool = True
    """False when the tenant issued something that is not a valid token for the request (signature, issuer,
    audience, subject): a difference whatever the expectation, never a crash of the check."""


@dataclass(frozen=True)
class CheckRow:
    expectation: Expectation
    expected_org_id: Optional[str]
    observation: Optional[Observation]
    """None when the check could not be made (e.g. the organization's id is unknown)."""

    @property
    def matches(self) -> bool:
        if self.observation is None:
            return True
        if not self.observation.verified:
            return False
        return (
            self.observation.allowed == self.expectation.allowed
            and self.observation.org_id == (self.expected_org_id if self.expectation.allowed else None)
        )


@dataclass(frozen=True)
class StackOutputs:
    client_ids: Mapping[str, str]
    client_secrets: Mapping[str, str]
    organization_ids: Mapping[str, str]

    @classmethod
    def from_json(cls, outputs: Any) -> "StackOutputs":
        """The outputs the access check needs, from `pulumi stack output --json --show-secrets`."""
        try:
            applications = outputs.get(contract.OUTPUT_APPLICATIONS, {})
            return cls(
                client_ids={name: app["client_id"] for name, app in applications.items()},
                client_secrets=dict(outputs.get(contract.OUTPUT_CLIENT_SECRETS, {})),
                organization_ids=dict(outputs.get(contract.OUTPUT_ORGANIZATION_IDS, {})),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise CommandError("the stack outputs are not those of an auth0-m2m stack (expected `applications` with "
                               "a client_id each, `client_secrets`, `organization_ids`): was `pulumi up` run?",
                               Exit.USAGE, kind="usage") from None

    @classmethod
    def from_pulumi(cls, stack: str, cwd: Optional[str] = None) -> "StackOutputs":
        """Read the stack's outputs with the Pulumi CLI (secrets revealed into memory only)."""
        return cls.from_json(json.loads(pulumi_read(stack, "stack", "output", "--json", "--show-secrets", cwd=cwd)))


class TokenClient:
    """Client-credentials requests against one tenant, with signature verification of issued tokens."""

    def __init__(
        self, domain: str, verify: Any = True, timeout: float = 30.0, transport: Optional[httpx.BaseTransport] = None
    ):
        self.domain = domain
        self.issuer = f"https://{domain}/"
        self._http = httpx.Client(base_url=f"https://{domain}", verify=verify, timeout=timeout, transport=transport)
        self._keys: Optional[jwt.PyJWKSet] = None

    def close(self) -> None:
        self._http.close()

    def request(self, client_id: str, client_secret: str, audience: str, organization: Optional[str]) -> Observation:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret, "audience": audience}
        if organization is not None:
            form["organization"] = organization
        response = self._http.post("/oauth/token", data=form)
        if response.status_code != 200:
            body = _json_or_text(response)
            detail = body.get("error_description") or body.get("error") if isinstance(body, dict) else body
            return Observation(False, None, f"{response.status_code} {str(detail)[:200]}")
        try:
            claims = self.verify(response.json()["access_token"], audience)
        except (ValueError, KeyError, TypeError, jwt.PyJWTError) as error:
            return Observation(True, None, f"200 but no valid token: {type(error).__name__}: {str(error)[:200]}",
                               verified=False)
        if claims.get("sub") != f"{client_id}@clients" or claims.get("azp") != client_id:
            return Observation(True, claims.get("org_id"), "token names another client", verified=False)
        return Observation(True, claims.get("org_id"), "200 token verified")

    def verify(self, token: str, audience: str) -> dict:
        header = jwt.get_unverified_header(token)
        key = self._signing_key(header.get("kid"))
        return jwt.decode(token, key=key, algorithms=["RS256"], audience=audience, issuer=self.issuer)

    def _signing_key(self, kid: Optional[str]):
        if self._keys is None or kid not in {k.key_id for k in self._keys.keys}:
            response = self._http.get("/.well-known/jwks.json")
            response.raise_for_status()
            self._keys = jwt.PyJWKSet.from_dict(response.json())
        return self._keys[kid].key if kid else self._keys.keys[0].key


def run_check(config: StackConfig, outputs: StackOutputs, tokens: TokenClient, workers: int = 4) -> list[CheckRow]:
    """Request every token the stack's access matrix names and compare each answer with the expectation."""
    expectations = list(expected_access(config))

    undeployed = sorted({app.name for app in config.applications} - set(outputs.client_ids))
    if undeployed:
        raise CommandError(f"applications in the stack file but not in the stack's outputs: {', '.join(undeployed)}; "
                           "run `pulumi up` first", Exit.FINDINGS, kind="findings")

    def check(expectation: Expectation) -> CheckRow:
        org = expectation.requested_organization
        expected_org = expectation.decision.organization
        expected_org_id = outputs.organization_ids.get(expected_org) if expected_org else None
        if org is not None and org not in outputs.organization_ids:
            return CheckRow(expectation, expected_org_id, None)
        if expectation.application not in outputs.client_ids or expectation.application not in outputs.client_secrets:
            return CheckRow(expectation, expected_org_id, None)  # not deployed (yet): nothing to ask with
        observation = tokens.request(
            outputs.client_ids[expectation.application],
            outputs.client_secrets.get(expectation.application, ""),
            expectation.audience,
            outputs.organization_ids[org] if org is not None else None,
        )
        return CheckRow(expectation, expected_org_id, observation)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(check, expectations))


def mismatches(rows: Iterable[CheckRow]) -> list[CheckRow]:
    return [row for row in rows if not row.matches]


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def render_matrix(rows: list[CheckRow], config: StackConfig, outputs: StackOutputs, title: str) -> Table:
    """Application x API rows, one column per organization (and none); each cell is what the tenant did.

    "token" = issued without organization, "token:acme" = issued with org_id of acme, "refused";
    a cell that differs from the stack config is red and says what was expected.
    """
    names_by_id = {org_id: name for name, org_id in outputs.organization_ids.items()}
    organizations = [None, *sorted(config.organizations)]
    table = Table(title=title)
    table.add_column("application")
    table.add_column("API")
    for org in organizations:
        table.add_column(org or "(no org)")
    cells = {(r.expectation.application, r.expectation.api, r.expectation.requested_organization): r for r in rows}
    for app in config.applications:
        for api in sorted(config.apis):
            rendered = []
            for org in organizations:
                row = cells[(app.name, api, org)]
                if row.observation is None:
                    rendered.append("[dim]n/a[/]")
                    continue
                observed = outcome(row.observation.allowed, names_by_id.get(row.observation.org_id, row.observation.org_id))
                if not row.observation.verified:
                    observed = f"{observed}, unverified"
                if row.matches:
                    rendered.append(observed if row.observation.allowed else f"[dim]{observed}[/]")
                else:
                    expected = outcome(row.expectation.allowed, row.expectation.decision.organization)
                    rendered.append(f"[bold red]{observed} (expected {expected})[/]")
            table.add_row(app.name, api, *rendered)
    return table


def rows_json(rows: list[CheckRow], outputs: StackOutputs) -> list[dict]:
    """The check's rows for machines (``access-check --json``; schema ``AccessCheckRow``)."""
    names_by_id = {org_id: name for name, org_id in outputs.organization_ids.items()}
    result = []
    for row in rows:
        expectation, observation = row.expectation, row.observation
        observed = None
        if observation is not None:
            observed = outcome(observation.allowed, names_by_id.get(observation.org_id, observation.org_id))
        result.append({
            "application": expectation.application,
            "api": expectation.api,
            "audience": expectation.audience,
            "organization": expectation.requested_organization,
            "expected": outcome(expectation.allowed, expectation.decision.organization),
            "observed": observed,
            "matches": row.matches,
            "checked": observation is not None,
            "detail": observation.detail if observation is not None else "organization id unknown: not checked",
        })
    return result
