"""Who can get which token: the one function the report, the PR diff and the access check share.

For every application x API x organization (or none) of a stack, :func:`expected_access` says whether
Auth0 must issue a client-credentials token and which organization its ``org_id`` claim names. It follows
Auth0's documented decision for M2M access with organizations (grant usage deny / allow / require,
allow_any_organization, explicit authorizations, the default organization). The local tenant emulator
decides the same question with its own, independent code; the access check compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from .config import GrantConfig, OrganizationUsage, StackConfig


@dataclass(frozen=True)
class Decision:
    allowed: bool
    organization: Optional[str]
    """The organization whose id the token's ``org_id`` claim carries (None: no organization claim)."""
    reason: str


def outcome(allowed: bool, organization: Optional[str]) -> str:
    """A token request's outcome in one word, as reports and checks print it: token, token:<org>, refused."""
    if not allowed:
        return "refused"
    return f"token:{organization}" if organization else "token"


@dataclass(frozen=True)
class Expectation:
    application: str
    api: str
    audience: str
    requested_organization: Optional[str]
    decision: Decision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def accepts_organizations(grant: GrantConfig) -> bool:
    """Whether Auth0 lets a token request for this grant carry an organization at all (usage allow/require)."""
    return grant.organization_usage is not OrganizationUsage.DENY


def default_organization_applies(grant: GrantConfig) -> bool:
    """Whether Auth0 falls back to the client's default organization for a request that names none.

    Only ``require`` grants do: an ``allow`` grant issues a token without organization instead, and a
    ``deny`` grant never carries one.
    """
    return grant.organization_usage is OrganizationUsage.REQUIRE


def decide(grant: Optional[GrantConfig], requested: Optional[str], default_organization: Optional[str]) -> Decision:
    """Auth0's answer to a client-credentials request for one API, naming ``requested`` (or no organization)."""
    if grant is None:
        return Decision(False, None, "no client grant for this API")
    if not accepts_organizations(grant):
        if requested is None:
            return Decision(True, None, "usage deny: token without organization")
        return Decision(False, None, "usage deny: requests must not name an organization")
    if requested is None:
        if not default_organization_applies(grant):
            return Decision(True, None, "usage allow: token without organization")
        if default_organization is None:
            return Decision(False, None, "usage require: no organization named and no default organization")
        return _with_organization(grant, default_organization, "default organization")
    return _with_organization(grant, requested, "requested organization")


def _with_organization(grant: GrantConfig, organization: str, how: str) -> Decision:
    if grant.allow_any_organization:
        return Decision(True, organization, f"{how}, any organization allowed")
    if organization in grant.organizations:
        return Decision(True, organization, f"{how} is authorized")
    return Decision(False, None, f"{how} {organization!r} is not authorized for this grant")


def expected_access(config: StackConfig) -> Iterator[Expectation]:
    """Every (application, API, organization or none) of the stack with Auth0's expected answer."""
    organizations: list[Optional[str]] = [None, *sorted(config.organizations)]
    for app in config.applications:
        grants = {grant.api: grant for grant in app.grants}
        for api_key, api in sorted(config.apis.items()):
            for requested in organizations:
                yield Expectation(
                    application=app.name,
                    api=api_key,
                    audience=api.identifier,
                    requested_organization=requested,
                    decision=decide(grants.get(api_key), requested, app.default_organization),
                )

