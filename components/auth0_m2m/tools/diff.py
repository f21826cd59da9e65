"""The access diff: what a pull request changes in who may get which token, riskiest first.

Two views of the same change between a base and a head revision of a stack file:
- configuration changes per grant, ordered by risk: new any-organization access, new grants, loosened
  usage, default organization changes, organizations added, a client secret issued, keys added, scopes
  added, token quotas raised or removed; then key changes, tightenings and removals;
- the token-level delta from :func:`expected_access`: every (application, API, organization) that gains
  or loses the ability to get a token, and tokens whose organization claim changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from ..model.access import expected_access, outcome
from ..model.config import ApplicationConfig, GrantConfig, OrganizationUsage, StackConfig, TokenQuotaConfig
from ..model.errors import StackConfigError
from ..model.key_files import KeyFileReader
from ..model.loading import read_stack_bytes
from .markdown import code, fenced, text
from .report import describe_authentication, describe_key, describe_quota

# Which usage changes open access up. deny->require opens organization tokens; require->allow lets
# tokens without an organization claim through, which APIs may read as "every organization".
_LOOSENING = {
    (OrganizationUsage.DENY, OrganizationUsage.ALLOW),
    (OrganizationUsage.DENY, OrganizationUsage.REQUIRE),
    (OrganizationUsage.REQUIRE, OrganizationUsage.ALLOW),
}

# Risk ranks: higher is reviewed first.
ANY_ORGANIZATION_GRANTED = 100
GRANT_ADDED = 90
USAGE_LOOSENED = 80
DEFAULT_ORGANIZATION_CHANGED = 70
ORGANIZATIONS_ADDED = 60
SECRET_ISSUED = 56
KEY_ADDED = 55
SCOPES_ADDED = 50
APPLICATION_ADDED = 45
QUOTA_LOOSENED = 40
KEY_CHANGED = 35
USAGE_TIGHTENED = 30
SECRET_RETIRED = 28
QUOTA_TIGHTENED = 27
ORGANIZATIONS_REMOVED = 25
SCOPES_REMOVED = 20
KEY_REMOVED = 22
ANY_ORGANIZATION_REVOKED = 15
GRANT_REMOVED = 10
APPLICATION_REMOVED = 5


# Ranks whose changes loosen access or limits although they sort below APPLICATION_ADDED.
_LOOSENING_RANKS = {QUOTA_LOOSENED}
# Ranks that neither loosen nor tighten (shown as "changes").
_NEUTRAL_RANKS = {KEY_CHANGED}


@dataclass(frozen=True, order=True)
class Change:
    risk: int
    application: str
    api: str
    summary: str

    @property
    def loosens(self) -> bool:
        return self.risk >= APPLICATION_ADDED or self.risk in _LOOSENING_RANKS

    @property
    def neutral(self) -> bool:
        return self.risk in _NEUTRAL_RANKS


@dataclass(frozen=True)
class TokenDelta:
    application: str
    api: str
    organization: Optional[str]
    before: str
    after: str


def config_changes(base: Optional[StackConfig], head: StackConfig) -> list[Change]:
    base_apps = {app.name: app for app in base.applications} if base else {}
    head_apps = {app.name: app for app in head.applications}
    changes: list[Change] = []
    for name in sorted(set(base_apps) | set(head_apps)):
        old, new = base_apps.get(name), head_apps.get(name)
        if old is None:
            changes.append(Change(APPLICATION_ADDED, name, "-", f"new application ({describe_authentication(new)})"))
        if new is None:
            changes.append(Change(APPLICATION_REMOVED, name, "-", "application removed (client deleted)"))
        changes.extend(_application_changes(name, old, new))
        if old is not None and new is not None:
            changes.extend(_credential_changes(name, old, new))
            changes.extend(_quota_changes(name, "application", old.token_quota, new.token_quota))
    base_orgs = base.organizations if base else {}
    for org in sorted(set(base_orgs) | set(head.organizations)):
        before = base_orgs[org].token_quota if org in base_orgs else None
        after = head.organizations[org].token_quota if org in head.organizations else None
        changes.extend(_quota_changes("-", f"organization {org}", before, after))
    return sorted(changes, key=lambda c: (-c.risk, c.application, c.api))


def _credential_changes(name: str, old: ApplicationConfig, new: ApplicationConfig) -> Iterator[Change]:
    """How the application authenticates: a secret issued or retired, keys added, removed or changed."""
    if old.uses_secret != new.uses_secret:
        if new.uses_secret:
            yield Change(SECRET_ISSUED, name, "-", f"authentication {old.authentication_method.value} -> "
                         f"{new.authentication_method.value}: a client secret is issued and exported")
        else:
            yield Change(SECRET_RETIRED, name, "-", f"authentication {old.authentication_method.value} -> "
                         f"{new.authentication_method.value}: the client secret stops working")
    old_keys = {key.name: key for key in old.public_keys}
    new_keys = {key.name: key for key in new.public_keys}
    for key_name in sorted(set(old_keys) | set(new_keys)):
        before, after = old_keys.get(key_name), new_keys.get(key_name)
        if before is None:
            yield Change(KEY_ADDED, name, "-", f"public key added: {describe_key(after)}")
        elif after is None:
            yield Change(KEY_REMOVED, name, "-", f"public key removed: {describe_key(before)}")
        elif describe_key(before) != describe_key(after):
            yield Change(KEY_CHANGED, name, "-", f"public key changed: {describe_key(before)} -> {describe_key(after)}")


def _quota_changes(
    application: str, subject: str, before: Optional[TokenQuotaConfig], after: Optional[TokenQuotaConfig]
) -> Iterator[Change]:
    """Token quotas: removed or raised loosens a limit; added or lowered tightens it."""
    if before == after:
        return
    where = "token quota" if subject == "application" else f"{subject}: token quota"
    if after is None:
        yield Change(QUOTA_LOOSENED, application, "-", f"{where} removed (was {describe_quota(before)})")
        return
    if before is None:
        yield Change(QUOTA_TIGHTENED, application, "-", f"{where} added: {describe_quota(after)}")
        return
    looser = any(_limit(after, field) > _limit(before, field) for field in ("per_hour", "per_day")) or (
        before.enforce and not after.enforce
    )
    yield Change(QUOTA_LOOSENED if looser else QUOTA_TIGHTENED, application, "-",
                 f"{where} {'raised' if looser else 'lowered'}: {describe_quota(before)} -> {describe_quota(after)}")


def _limit(quota: TokenQuotaConfig, field: str) -> float:
    value = getattr(quota, field)
    return float("inf") if value is None else value


def _application_changes(name: str, old: Optional[ApplicationConfig], new: Optional[ApplicationConfig]) -> Iterator[Change]:
    old_grants = {g.api: g for g in old.grants} if old else {}
    new_grants = {g.api: g for g in new.grants} if new else {}
    old_default = old.default_organization if old else None
    new_default = new.default_organization if new else None
    if old and new and old_default != new_default:
        yield Change(DEFAULT_ORGANIZATION_CHANGED, name, "-", f"default organization {old_default or 'none'} -> {new_default or 'none'}")
    for api in sorted(set(old_grants) | set(new_grants)):
        before, after = old_grants.get(api), new_grants.get(api)
        if before is None:
            yield Change(GRANT_ADDED, name, api, f"new grant: {_describe(after)}")
            if after.allow_any_organization:
                yield Change(ANY_ORGANIZATION_GRANTED, name, api, f"any organization allowed{_why(after)}")
            continue
        if after is None:
            yield Change(GRANT_REMOVED, name, api, f"grant removed (was {_describe(before)})")
            continue
        yield from _grant_changes(name, api, before, after)


def _grant_changes(name: str, api: str, before: GrantConfig, after: GrantConfig) -> Iterator[Change]:
    if after.allow_any_organization and not before.allow_any_organization:
        yield Change(ANY_ORGANIZATION_GRANTED, name, api, f"any organization allowed{_why(after)}")
    if before.allow_any_organization and not after.allow_any_organization:
        yield Change(ANY_ORGANIZATION_REVOKED, name, api, "any-organization access revoked")
    if before.organization_usage != after.organization_usage:
        pair = (before.organization_usage, after.organization_usage)
        risk = USAGE_LOOSENED if pair in _LOOSENING else USAGE_TIGHTENED
        word = "loosened" if risk == USAGE_LOOSENED else "tightened"
        yield Change(risk, name, api, f"organization usage {word}: {pair[0].value} -> {pair[1].value}")
    added = sorted(set(after.organizations) - set(before.organizations))
    removed = sorted(set(before.organizations) - set(after.organizations))
    if added:
        yield Change(ORGANIZATIONS_ADDED, name, api, f"organizations authorized: {', '.join(added)}")
    if removed:
        yield Change(ORGANIZATIONS_REMOVED, name, api, f"organizations revoked: {', '.join(removed)}")
    scopes_added = sorted(set(after.scopes) - set(before.scopes))
    scopes_removed = sorted(set(before.scopes) - set(after.scopes))
    if scopes_added:
        yield Change(SCOPES_ADDED, name, api, f"scopes added: {', '.join(scopes_added)}")
    if scopes_removed:
        yield Change(SCOPES_REMOVED, name, api, f"scopes removed: {', '.join(scopes_removed)}")


def _describe(grant: GrantConfig) -> str:
    orgs = ", ".join(grant.organizations) or "none"
    return f"usage {grant.organization_usage.value}, organizations {orgs}, scopes {', '.join(grant.scopes) or 'none'}"


def _why(grant: GrantConfig) -> str:
    return f" (justification: {grant.justification})" if grant.justification else " (no justification)"


def token_delta(base: Optional[StackConfig], head: StackConfig) -> list[TokenDelta]:
    """(application, API, organization) whose token outcome differs between base and head."""

    def outcomes(config: Optional[StackConfig]) -> dict:
        if config is None:
            return {}
        return {
            (e.application, e.api, e.requested_organization): outcome(e.allowed, e.decision.organization)
            for e in expected_access(config)
        }

    before, after = outcomes(base), outcomes(head)
    deltas = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1], k[2] or "")):
        old, new = before.get(key, "refused"), after.get(key, "refused")
        if old != new:
            deltas.append(TokenDelta(key[0], key[1], key[2], old, new))
    return deltas


def render_markdown(stack: str, base: Optional[StackConfig], head: StackConfig, note: str = "") -> str:
    """The diff of one stack as Markdown; values from the stack files are inline code or escaped text."""
    changes = config_changes(base, head)
    deltas = token_delta(base, head)
    lines = [f"### M2M access diff: stack {code(stack)}", ""]
    if note:
        lines += [note, ""]
    if not changes and not deltas:
        return "\n".join(lines + ["No change to M2M access.", ""])
    gained = [d for d in deltas if d.before == "refused"]
    lost = [d for d in deltas if d.after == "refused"]
    lines.append(
        f"{sum(c.loosens for c in changes)} loosening and "
        f"{sum(not c.loosens and not c.neutral for c in changes)} tightening changes; "
        f"{len(gained)} token requests become possible, {len(lost)} stop working, "
        f"{len(deltas) - len(gained) - len(lost)} change organization."
    )
    lines += ["", "| risk | application | API | change |", "|---|---|---|---|"]
    for change in changes:
        marker = "⚠️ loosens" if change.loosens else "changes" if change.neutral else "tightens"
        api = "-" if change.api == "-" else code(change.api)
        application = "-" if change.application == "-" else code(change.application)
        lines.append(f"| {marker} | {application} | {api} | {text(change.summary)} |")
    if deltas:
        lines += ["", "<details><summary>Token requests that change</summary>", "",
                  "| application | API | organization | before | after |", "|---|---|---|---|---|"]
        for d in deltas:
            organization = code(d.organization) if d.organization else "(none)"
            lines.append(f"| {code(d.application)} | {code(d.api)} | {organization} | {code(d.before)} | {code(d.after)} |")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class StackDiff:
    """The diff of one stack file between two revisions."""

    stack: str
    file: str
    status: str
    """"changed", "unchanged", "added", "removed" or "invalid" (the head does not validate)."""
    base: Optional[StackConfig]
    head: Optional[StackConfig]
    error: Optional[StackConfigError] = None
    base_error: Optional[StackConfigError] = None

    @property
    def invalid(self) -> bool:
        return self.error is not None

    def markdown(self) -> str:
        title = f"### M2M access diff: stack {code(self.stack)}"
        if self.status == "removed":
            return (f"{title}\n\nStack file removed: every application of the stack would be destroyed by "
                    "`pulumi destroy`; `pulumi up` no longer runs for it.\n")
        if self.error is not None:
            return f"{title}\n\nThe stack file does not validate; nothing can be deployed from it:\n\n{fenced(str(self.error))}\n"
        note = ""
        if self.base_error is not None:
            note = ("_The base revision's stack file does not validate; it is compared as if it granted nothing._")
        assert self.head is not None
        return render_markdown(self.stack, self.base, self.head, note)

    def as_dict(self) -> dict:
        from .output import problem_errors

        changes = config_changes(self.base, self.head) if self.head is not None else []
        deltas = token_delta(self.base, self.head) if self.head is not None else []
        return {
            "stack": self.stack,
            "file": self.file,
            "status": self.status,
            "base_valid": self.base_error is None,
            "changes": [
                {"risk": c.risk, "loosens": c.loosens, "application": c.application,
                 "api": None if c.api == "-" else c.api, "summary": c.summary}
                for c in changes
            ],
            "token_changes": [
                {"application": d.application, "api": d.api, "organization": d.organization, "before": d.before,
                 "after": d.after}
                for d in deltas
            ],
            "errors": problem_errors(self.error) if self.error is not None else [],
        }


def stack_diff(stack: str, path: str, base_data: Optional[bytes], head_data: Optional[bytes],
               project: Optional[str] = None, base_keys: Optional[KeyFileReader] = None,
               head_keys: Optional[KeyFileReader] = None) -> StackDiff:
    """The diff of one stack from its file's bytes at base and head (None: no file there); ``base_keys`` and
    ``head_keys`` read the public keys a stack names by ``pem_file``, at the same revisions.

    An invalid head makes the diff fail (the pull request's check); an invalid base is compared as if it
    granted nothing.
    """
    if head_data is None:
        return StackDiff(stack, path, "removed", None, None)
    try:
        head = read_stack_bytes(head_data, path, project).validate(key_files=head_keys)
    except StackConfigError as error:
        return StackDiff(stack, path, "invalid", None, None, error=error)
    base, base_error = None, None
    if base_data is not None:
        try:
            base = read_stack_bytes(base_data, path, project).validate(key_files=base_keys)
        except StackConfigError as error:
            base_error = error
    if base_data is None:
        status = "added"
    else:
        status = "changed" if config_changes(base, head) or token_delta(base, head) else "unchanged"
    return StackDiff(stack, path, status, base, head, base_error=base_error)
