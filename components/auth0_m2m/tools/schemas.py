"""The shapes of ``auth0-m2m ... --json``: one envelope, one result model per command.

These models are the documentation machines read (``auth0-m2m schema COMMAND`` prints the JSON Schema) and
what the tests hold every ``--json`` output to (``extra="forbid"``: a key cannot appear or vanish unnoticed).
Keys are stable within a schema version (``auth0-m2m/<command>/v1``); a breaking change bumps it.
"""

from __future__ import annotations

from typing import Generic, Literal, Optional, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Error(_Shape):
    """One error: a problem in a stack file (with where it is), or a failure of the command."""

    kind: Literal["config", "unreadable", "usage", "external", "internal", "findings", "interrupted"] = Field(
        description="config: the configuration is refused (exit 1); unreadable: the file cannot be read as a stack "
        "file (exit 2); usage: bad arguments (exit 2); findings: a finding that is not a config problem (exit 1); "
        "external: the tenant, pulumi or git failed (exit 3); internal: a bug (exit 4); interrupted (exit 130)."
    )
    file: Optional[str] = Field(description="The stack file, relative to the project (null: not about a file).")
    line: Optional[int] = Field(description="1-based line in the file, when known.")
    key: Optional[str] = Field(description="The config key, for problems outside the estate (e.g. auth0:clientSecret).")
    application: Optional[str]
    api: Optional[str] = Field(description="The API's key in the stack file.")
    audience: Optional[str]
    organization: Optional[str]
    field: Optional[str] = Field(description="The field (dotted path below the application, API or organization).")
    message: str = Field(description="What is wrong and how to fix it (values quoted, at most 100 characters).")
    text: str = Field(description="The whole line as the command prints it without --json.")


R = TypeVar("R")


class Envelope(_Shape, Generic[R]):
    """What every command prints with --json: exactly one JSON document on stdout."""

    schema_: str = Field(alias="schema", description="auth0-m2m/<command>/v<version>")
    version: str = Field(description="Version of auth0-m2m.")
    command: str
    ok: bool = Field(description="exit_code == 0")
    exit_code: int = Field(description="The process's exit status (see the README, 'Exit codes').")
    result: Optional[R] = Field(description="The command's result (null when it failed before having one).")
    errors: list[Error]


# --- validate --------------------------------------------------------------------------------------------------
class ValidatedFile(_Shape):
    file: str
    stack: Optional[str] = Field(description="Stack name from the file name Pulumi.<stack>.yaml.")
    valid: bool
    production: Optional[bool] = Field(description="The validated production flag (null when invalid).")
    applications: Optional[int]
    grants: Optional[int]
    errors: list[Error]


class ValidateResult(_Shape):
    files: list[ValidatedFile]


# --- report ----------------------------------------------------------------------------------------------------
class ReportRow(_Shape):
    application: str
    api: str
    audience: str
    organization_usage: Literal["deny", "allow", "require"]
    dashboard_usage: Literal["None", "Optional", "Required"]
    allow_any_organization: bool
    justification: Optional[str]
    organizations: list[str]
    default_organization: Optional[str] = Field(description="Set only where Auth0 applies it (require grants).")
    scopes: list[str]


class TokenQuota(_Shape):
    per_hour: Optional[int]
    per_day: Optional[int]
    enforce: bool


class ReportPublicKey(_Shape):
    name: str
    algorithm: Literal["RS256", "RS384", "PS256"]
    key_id: str = Field(description="Auth0's kid for the key (RFC 7638 thumbprint).")
    expires_at: Optional[str] = Field(description="expires_at, else a certificate's expiry (ISO 8601); null: none.")


class ReportApplication(_Shape):
    application: str
    authentication_method: Literal["client_secret_post", "client_secret_basic", "private_key_jwt"]
    public_keys: list[ReportPublicKey]
    token_quota: Optional[TokenQuota]


class ReportResult(_Shape):
    stack: str
    file: str
    environment: str
    production: bool
    rows: list[ReportRow]
    applications: list[ReportApplication] = Field(description="How each application authenticates; its token quota.")
    organization_quotas: dict[str, TokenQuota] = Field(description="Token quota per organization that has one.")


# --- diff ------------------------------------------------------------------------------------------------------
class DiffChange(_Shape):
    risk: int = Field(description="Higher is riskier; listed riskiest first.")
    loosens: bool
    application: str
    api: Optional[str]
    summary: str


class TokenChange(_Shape):
    application: str
    api: str
    organization: Optional[str] = Field(description="The organization requested (null: none).")
    before: str = Field(description="token, token:<organization> or refused")
    after: str


class StackDiffEntry(_Shape):
    stack: str
    file: str
    status: Literal["changed", "unchanged", "added", "removed", "invalid"]
    base_valid: bool = Field(description="False when the base revision's file does not validate (compared as empty).")
    changes: list[DiffChange]
    token_changes: list[TokenChange]
    errors: list[Error]


class DiffResult(_Shape):
    base: str = Field(description="The base commit.")
    head: Optional[str] = Field(description="The head commit (null: the working tree).")
    stacks: list[StackDiffEntry]


# --- access-check ----------------------------------------------------------------------------------------------
class AccessCheckRow(_Shape):
    application: str
    api: str
    audience: str
    organization: Optional[str] = Field(description="The organization requested (null: none).")
    expected: str = Field(description="token, token:<organization> or refused")
    observed: Optional[str] = Field(description="What the tenant did (null: not checked).")
    matches: bool
    checked: bool
    detail: str


class QuotaBucket(_Shape):
    limit: int
    remaining: int
    resets_in: int = Field(description="Seconds until the bucket resets.")


class QuotaUsage(_Shape):
    kind: Literal["application", "organization"]
    name: str
    tokens: int = Field(description="Tokens issued to the check that count against this quota.")
    exhausted: bool = Field(description="Auth0 answered 429 (quota used up); the remaining requests were not made.")
    buckets: dict[str, QuotaBucket] = Field(description="per_hour / per_day, from Auth0's quota headers.")


class AccessCheckResult(_Shape):
    stack: str
    domain: str
    checked: int
    mismatches: int
    rows: list[AccessCheckRow]
    requested: int = Field(description="Token requests made (each is an issued token or a refusal).")
    token_budget: int = Field(description="The most requests the check was allowed (--token-budget).")
    quota: list[QuotaUsage] = Field(description="Token quotas the check saw and what it used of them.")


# --- stacks ----------------------------------------------------------------------------------------------------
class StackEntry(_Shape):
    stack: str
    suffix: str = Field(description="The stack name in upper case with other characters as _, for secret names.")
    file: str
    exists: bool = Field(description="Whether the file exists (false: removed by the change).")
    production: bool
    why: str = Field(description="Why the stack is or is not production.")


class StacksResult(_Shape):
    reason: str = Field(description="Why these stacks are selected.")
    stacks: list[StackEntry]


# --- scopes ----------------------------------------------------------------------------------------------------
class ScopeNeed(_Shape):
    scope: str = Field(description="A Management API scope, e.g. create:clients.")
    why: str = Field(description="What the command does with it.")


class CommandScopes(_Shape):
    command: str = Field(description="preview, preview --refresh, refresh, up, destroy, recover, import, "
                         "import --state-only, up --fast, access-check, report or diff.")
    scopes: list[ScopeNeed] = Field(description="Every scope the command needs for this stack (empty: none).")


class ScopesCheck(_Shape):
    command: str
    client: Optional[str] = Field(description="The client checked (null: the command needs no scope, no token "
                                  "was requested).")
    missing: list[str] = Field(description="Scopes the command needs and the client lacks (the check fails).")
    extra: list[str] = Field(description="Scopes the client holds that the command does not need.")


class ScopesResult(_Shape):
    stack: str
    commands: list[CommandScopes]
    check: Optional[ScopesCheck] = Field(description="With --check COMMAND: the client's scopes compared.")


# --- import (and import --state-only) ---------------------------------------------------------------------------
class ImportedApplication(_Shape):
    application: str = Field(description="Its key in the stack file.")
    auth0_name: str
    client_id: str
    pinned: bool = Field(description="Its client_id is pinned: another application has the same Auth0 name.")
    grants: int
    authorizations: int = Field(description="Organization authorizations of its grants.")
    unsupported: list[str] = Field(description="Settings the stack file cannot express (with --include-unsupported).")
    adjustments: list[str] = Field(description="What the next up changes or leaves alone because of them.")


class SkippedApplication(_Shape):
    auth0_name: str
    client_id: str
    reasons: list[str]


class AdoptedObject(_Shape):
    type: str = Field(description="Pulumi type token, e.g. auth0:index/clientGrant:ClientGrant.")
    name: str = Field(description="Pulumi resource name.")
    id: Optional[str] = Field(description="The import id (null: declared but not in the tenant).")


class PlannedChange(_Shape):
    op: str = Field(description="What the next pulumi up does: create, update, delete, replace, ...")
    type: str
    name: str
    properties: list[str]


class ImportResult(_Shape):
    stack: str
    file: str
    mode: Literal["import", "state-only"]
    dry_run: bool
    written: bool = Field(description="The stack file (import) or the state (state-only) was changed.")
    imported: list[ImportedApplication] = Field(description="import: the applications added.")
    already_in_stack: int = Field(description="import: M2M applications the stack already manages.")
    skipped: list[SkippedApplication]
    organizations_added: list[str]
    apis_added: list[str]
    pinned: dict[str, str] = Field(description="Applications of the stack that now pin their client id.")
    objects: list[AdoptedObject] = Field(description="What was (or, with --dry-run, would be) imported into the state.")
    missing: list[AdoptedObject] = Field(description="state-only: declared resources the tenant does not have.")
    orphans: list[str] = Field(description="state-only: tenant objects that look like the stack's but are not in it.")
    dropped_pending_operations: int
    next_up_changes: list[PlannedChange]
    diff: Optional[str] = Field(description="import --dry-run: the unified diff of the stack file.")
    management_api_reads: int


RESULTS: dict[str, type[BaseModel]] = {
    "validate": ValidateResult,
    "report": ReportResult,
    "diff": DiffResult,
    "access-check": AccessCheckResult,
    "stacks": StacksResult,
    "scopes": ScopesResult,


    "import": ImportResult,
}


def envelope_model(command: str) -> type[BaseModel]:
    return Envelope[RESULTS[command]]  # type: ignore[valid-type]
