"""The access check: real client-credentials token requests compared with what the stack config implies.

For every application x API x organization of a stack (and "no organization"), it asks the tenant's
token endpoint for a token, verifies an issued token's signature, issuer and audience against the
tenant's JWKS, and compares allowed/refused and the ``org_id`` claim with :func:`expected_access`. It
runs against the local emulator after ``pulumi up`` and equally against a real tenant after a deploy.

Applications authenticate as they do in production: with their client secret (from the stack outputs,
kept in memory), or for ``private_key_jwt`` with a client assertion signed by a private key the operator
names (a file or an environment variable; read into memory, never stored, never printed). Every request
is an issued token that counts against the tenant's quotas: the check plans its requests first and
refuses to start above a token budget, never takes the last tokens of an enforced quota
(``quota_reserve``), treats a quota 429 as "not checked" rather than a difference, and reports the quota
consumption it caused from Auth0's quota headers.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rich.table import Table

from .. import contract
from ..contract import MAX_ASSERTION_LIFETIME
from ..model.access import Expectation, expected_access, outcome
from ..model.config import ApplicationConfig, StackConfig
from ..model.keys import key_id
from .output import CommandError, Exit
from .pulumi_cli import pulumi_read

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Lifetime of the assertions the check signs (Auth0 accepts at most 5 minutes).
ASSERTION_LIFETIME = 60
assert ASSERTION_LIFETIME <= MAX_ASSERTION_LIFETIME
QUOTA_HEADERS = {"application": "auth0-client-quota-limit", "organization": "auth0-organization-quota-limit"}


class AccessCheckError(ValueError):
    """The check cannot run as asked (a private key that does not fit, a budget too small); nothing was requested."""


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
    """None when the check was not made; ``skipped`` says why."""
    skipped: Optional[str] = None

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


# --- How an application authenticates ------------------------------------------------------------------------

@dataclass(frozen=True)
class SecretCredentials:
    client_id: str
    client_secret: str = field(repr=False)

    def form(self, issuer: str) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}


@dataclass(frozen=True)
class KeyCredentials:
    """A private key of a private_key_jwt application, matched to one of its public keys."""

    client_id: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    algorithm: str
    key_id: str
    key_name: str

    def form(self, issuer: str) -> dict[str, str]:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": issuer, "iat": now,
                  "exp": now + ASSERTION_LIFETIME, "jti": str(uuid.uuid4())}
        assertion = jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers={"kid": self.key_id})
        return {"client_id": self.client_id, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}


Credentials = Union[SecretCredentials, KeyCredentials]


def parse_private_key_options(values: Iterable[str]) -> dict[str, str]:
    """``APP=PATH`` or ``APP=env:VARIABLE`` -> {application: source}."""
    sources: dict[str, str] = {}
    for value in values:
        for entry in value.split():
            name, sep, source = entry.partition("=")
            if not sep or not name or not source:
                raise AccessCheckError(f"--private-key {entry!r}: expected APPLICATION=PATH or APPLICATION=env:VARIABLE")
            sources[name] = source
    return sources


def load_private_key(application: str, source: str) -> rsa.RSAPrivateKey:
    """Read a PEM private key from a file or an environment variable; the text never leaves this function."""
    if source.startswith("env:"):
        variable = source[len("env:") :]
        text = os.environ.get(variable)
        if not text:
            raise AccessCheckError(f"private key of {application!r}: environment variable {variable} is not set")
        where = f"environment variable {variable}"
    else:
        path = Path(source).expanduser()
        try:
            text = path.read_text()
        except OSError as error:
            raise AccessCheckError(f"private key of {application!r}: cannot read {path}: {error.strerror}") from None
        where = str(path)
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except TypeError:
        raise AccessCheckError(f"private key of {application!r} ({where}) is encrypted; give an unencrypted key "
                               "(e.g. from the secret store, through an environment variable)") from None
    except ValueError:
        raise AccessCheckError(f"private key of {application!r} ({where}) is not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AccessCheckError(f"private key of {application!r} ({where}) is not an RSA key")
    return key


def credentials_for(
    config: StackConfig, outputs: StackOutputs, private_keys: Mapping[str, rsa.RSAPrivateKey]
) -> tuple[dict[str, Credentials], dict[str, str]]:
    """Each application's credentials, and why an application cannot be checked (no key, no secret)."""
    credentials: dict[str, Credentials] = {}
    missing: dict[str, str] = {}
    for app in config.applications:
        client_id = outputs.client_ids.get(app.name)
        if client_id is None:
            missing[app.name] = "not deployed (no client id in the stack outputs)"
        elif app.uses_secret:
            if app.name in private_keys:
                raise AccessCheckError(f"application {app.name!r} authenticates with a client secret, not a key")
            if app.name in outputs.client_secrets:
                credentials[app.name] = SecretCredentials(client_id, outputs.client_secrets[app.name])
            else:
                missing[app.name] = "no client secret in the stack outputs"
        elif app.name in private_keys:
            credentials[app.name] = _key_credentials(app, client_id, private_keys[app.name])
        else:
            missing[app.name] = f"private_key_jwt: no private key given (--private-key {app.name}=PATH or =env:VARIABLE)"
    return credentials, missing


def _key_credentials(app: ApplicationConfig, client_id: str, private_key: rsa.RSAPrivateKey) -> KeyCredentials:
    kid = key_id(private_key.public_key())
    match = next((key for key in app.public_keys if key.key_id == kid), None)
    if match is None:
        names = ", ".join(key.name for key in app.public_keys)
        raise AccessCheckError(
            f"the private key given for {app.name!r} belongs to none of its public keys ({names}); kid {kid}"
        )
    return KeyCredentials(client_id, private_key, match.algorithm.value, kid, match.name)


# --- Quotas -----------------------------------------------------------------------------------------------

@dataclass
class QuotaBucket:
    limit: int
    remaining: int
    resets_in: int


@dataclass
class QuotaUsage:
    """What the check used of one application's or organization's quota, from Auth0's quota headers."""

    kind: str
    name: str
    requested: int = 0
    buckets: dict[str, QuotaBucket] = field(default_factory=dict)
    exhausted: bool = False


def parse_quota_header(value: str) -> dict[str, QuotaBucket]:
    """``b=per_hour;q=10;r=7;t=3540,b=per_day;q=50;r=47;t=43200`` -> buckets by name."""
    buckets = {}
    for part in value.split(","):
        fields = dict(item.strip().split("=", 1) for item in part.split(";") if "=" in item)
        try:
            buckets[fields["b"]] = QuotaBucket(int(fields["q"]), int(fields["r"]), int(fields["t"]))
        except (KeyError, ValueError):
            continue
    return buckets


class QuotaGuard:
    """Keeps the check off the last ``reserve`` tokens of any quota bucket it has seen, and counts its use."""

    def __init__(self, reserve: int):
        self.reserve = reserve
        self.usage: dict[tuple[str, str], QuotaUsage] = {}
        self._lock = threading.Lock()

    def blocked(self, subjects: list[tuple[str, str]]) -> Optional[str]:
        with self._lock:
            for subject in subjects:
                usage = self.usage.get(subject)
                if usage is None:
                    continue
                if usage.exhausted:
                    return f"{subject[0]} {subject[1]}: quota used up"
                low = [name for name, b in usage.buckets.items() if b.remaining <= self.reserve]
                if low:
                    return f"{subject[0]} {subject[1]}: {low[0]} quota down to its reserve ({self.reserve})"
        return None

    def record(self, subjects: list[tuple[str, str]], response: httpx.Response) -> None:
        with self._lock:
            for kind, name in subjects:
                usage = self.usage.get((kind, name))
                header = response.headers.get(QUOTA_HEADERS[kind])
                if header:
                    usage = usage or self.usage.setdefault((kind, name), QuotaUsage(kind, name))
                    usage.buckets = parse_quota_header(header)
                if usage is not None and response.status_code == 200:
                    usage.requested += 1
            if response.status_code == 429:
                for subject in subjects:
                    self.usage.setdefault(subject, QuotaUsage(*subject)).exhausted = True


# --- Token requests ---------------------------------------------------------------------------------------

class TokenClient:
    """Client-credentials requests against one tenant, with signature verification of issued tokens."""

    def __init__(
        self, domain: str, verify: Any = True, timeout: float = 30.0, transport: Optional[httpx.BaseTransport] = None
    ):
        self.domain = domain
        self.issuer = f"https://{domain}/"
        self._http = httpx.Client(base_url=f"https://{domain}", verify=verify, timeout=timeout, transport=transport)
        self._keys: Optional[jwt.PyJWKSet] = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def post(self, credentials: Credentials, audience: str, organization: Optional[str]) -> httpx.Response:
        form = {"grant_type": "client_credentials", "audience": audience, **credentials.form(self.issuer)}
        if organization is not None:
            form["organization"] = organization
        return self._http.post("/oauth/token", data=form)

    def observe(self, credentials: Credentials, response: httpx.Response, audience: str) -> Observation:
        if response.status_code != 200:
            body = _json_or_text(response)
            detail = body.get("error_description") or body.get("error")
            return Observation(False, None, f"{response.status_code} {str(detail)[:200]}")
        client_id = credentials.client_id
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
        with self._lock:
            if self._keys is None or kid not in {k.key_id for k in self._keys.keys}:
                response = self._http.get("/.well-known/jwks.json")
                response.raise_for_status()
                self._keys = jwt.PyJWKSet.from_dict(response.json())
            return self._keys[kid].key if kid else self._keys.keys[0].key


@dataclass
class CheckReport:
    rows: list[CheckRow]
    quota: list[QuotaUsage]
    requested: int


def plan(config: StackConfig, applications: Iterable[str] = (), apis: Iterable[str] = ()) -> list[Expectation]:
    """The token requests a check makes (every application x API x organization, or the chosen ones)."""
    wanted_apps, wanted_apis = set(applications), set(apis)
    unknown = sorted(wanted_apps - {a.name for a in config.applications}) + sorted(wanted_apis - set(config.apis))
    if unknown:
        raise AccessCheckError(f"unknown application or API: {', '.join(unknown)}")
    return [
        e for e in expected_access(config)
        if (not wanted_apps or e.application in wanted_apps) and (not wanted_apis or e.api in wanted_apis)
    ]


def planned_requests(expectations: Iterable[Expectation], credentials: Mapping[str, Credentials], outputs: StackOutputs) -> int:
    """How many token requests a check of ``expectations`` makes at most (applications it can authenticate,
    organizations whose id it knows)."""
    return sum(
        1 for e in expectations
        if e.application in credentials
        and (e.requested_organization is None or e.requested_organization in outputs.organization_ids)
    )


def run_check(
    config: StackConfig,
    outputs: StackOutputs,
    tokens: TokenClient,
    credentials: Optional[Mapping[str, Credentials]] = None,
    expectations: Optional[list[Expectation]] = None,
    not_checkable: Optional[Mapping[str, str]] = None,
    budget: Optional[int] = None,
    quota_reserve: int = 1,
    workers: int = 4,
) -> CheckReport:
    """Request every planned token and compare each answer with the expectation.

    Raises :class:`AccessCheckError` before any request when the plan needs more than ``budget`` tokens.
    Each application's requests run in order (applications in parallel), so that its quota headers are
    read before its next request.
    """
    expectations = plan(config) if expectations is None else expectations
    if credentials is None:
        credentials, found_missing = credentials_for(config, outputs, {})
        not_checkable = {**found_missing, **(not_checkable or {})}
    not_checkable = not_checkable or {}
    undeployed = sorted({app.name for app in config.applications} - set(outputs.client_ids))
    if undeployed:
        raise CommandError(f"applications in the stack file but not in the stack's outputs: {', '.join(undeployed)}; "
                           "run `pulumi up` first", Exit.FINDINGS, kind="findings")
    needed = planned_requests(expectations, credentials, outputs)
    if budget is not None and needed > budget:
        raise AccessCheckError(
            f"the check needs {needed} token requests, over the budget of {budget} (--token-budget): each is "
            "an issued token that counts against the tenant's quotas; check fewer applications or APIs "
            "(--application, --api) or raise the budget"
        )
    guard = QuotaGuard(quota_reserve)
    made: list[int] = []

    def check(expectation: Expectation) -> CheckRow:
        org = expectation.requested_organization
        expected_org = expectation.decision.organization
        expected_org_id = outputs.organization_ids.get(expected_org) if expected_org else None
        if expectation.application in not_checkable:
            return CheckRow(expectation, expected_org_id, None, not_checkable[expectation.application])
        if org is not None and org not in outputs.organization_ids:
            return CheckRow(expectation, expected_org_id, None, "organization id unknown")
        subjects = [("application", expectation.application)]
        if expected_org:
            subjects.append(("organization", expected_org))
        blocked = guard.blocked(subjects)
        if blocked:
            return CheckRow(expectation, expected_org_id, None, f"skipped: {blocked}")
        creds = credentials[expectation.application]
        response = tokens.post(creds, expectation.audience, outputs.organization_ids[org] if org is not None else None)
        made.append(1)
        guard.record(subjects, response)
        body = _json_or_text(response)
        if response.status_code == 429 and body.get("error") == "too_many_requests":
            return CheckRow(expectation, expected_org_id, None, f"not checked: 429 {body.get('error_description')}")
        return CheckRow(expectation, expected_org_id, tokens.observe(creds, response, expectation.audience))

    def check_application(items: list[Expectation]) -> list[CheckRow]:
        return [check(e) for e in items]

    by_application: dict[str, list[Expectation]] = {}
    for expectation in expectations:
        by_application.setdefault(expectation.application, []).append(expectation)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = [row for group in pool.map(check_application, by_application.values()) for row in group]
    order = {id(e): i for i, e in enumerate(expectations)}
    rows.sort(key=lambda r: order[id(r.expectation)])
    quota = sorted(guard.usage.values(), key=lambda u: (u.kind, u.name))
    return CheckReport(rows, quota, len(made))


def mismatches(rows: Iterable[CheckRow]) -> list[CheckRow]:
    return [row for row in rows if not row.matches]


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
            "detail": observation.detail if observation is not None else f"not checked: {row.skipped or 'unknown'}",
        })
    return result


def quota_json(report: CheckReport) -> list[dict]:
    """The quota the check used (``access-check --json``; schema ``QuotaUsage``)."""
    return [
        {"kind": usage.kind, "name": usage.name, "tokens": usage.requested, "exhausted": usage.exhausted,
         "buckets": {name: {"limit": b.limit, "remaining": b.remaining, "resets_in": b.resets_in}
                     for name, b in usage.buckets.items()}}
        for usage in report.quota
    ]


def _json_or_text(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"error": None, "error_description": response.text}


def render_matrix(rows: list[CheckRow], config: StackConfig, outputs: StackOutputs, title: str) -> Table:
    """Application x API rows, one column per organization (and none); each cell is what the tenant did.

    "token" = issued without organization, "token:acme" = issued with org_id of acme, "refused";
    a cell that differs from the stack config is red and says what was expected; "n/a" (dim): not requested.
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
            if (app.name, api, None) not in cells:
                continue
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


def render_quota(report: CheckReport) -> Optional[Table]:
    """The quota the check used: per application and organization with a quota, from Auth0's headers."""
    if not report.quota:
        return None
    table = Table(title="Token quotas: what this check used")
    for column in ("quota of", "tokens issued to the check", "left now", "resets in"):
        table.add_column(column)
    for usage in report.quota:
        left = ", ".join(f"{name} {b.remaining}/{b.limit}" for name, b in usage.buckets.items()) or "-"
        resets = ", ".join(f"{name} {b.resets_in // 60} min" for name, b in usage.buckets.items()) or "-"
        if usage.exhausted:
            left += " (used up: 429)"
        table.add_row(f"{usage.kind} {usage.name}", str(usage.requested), left, resets)
    return table


def skipped_summary(rows: Iterable[CheckRow]) -> dict[str, int]:
    """Why requests were not made, with counts."""
    reasons: dict[str, int] = {}
    for row in rows:
        if row.observation is None and row.skipped and row.skipped != "organization id unknown":
            key = f"{row.expectation.application}: {row.skipped}"
            reasons[key] = reasons.get(key, 0) + 1
    return reasons
