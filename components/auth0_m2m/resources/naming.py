"""Pulumi resource names, derived from stable keys only.

Names never depend on list positions: reordering applications, grants or organizations in a stack file
must leave every URN as it is. A name that changes makes Pulumi replace the resource (a new client id
and secret, grants revoked and re-created), so a change to any function here needs aliases for the old
names (see ``LEGACY_SCHEMES``).

**Name scopes.** A URN holds the types of a resource's ancestors but not their names, so two estates in one
program would give their applications the same URNs. An estate (or an application used alone) may therefore
carry a *name scope*, which prefixes every name it makes: ``team-b:billing-sync``, ``team-b:org/acme``. Without a
scope the names are those every existing stack has. Keys never contain ``:``, so an unscoped name never equals a
scoped one and two scopes never share a name. Scoped names are never aliased to unscoped ones: an alias does
not know which estate owned the old name, so it could hand one estate's live client to another.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    import pulumi

#: Separates a name scope from the name it scopes. Application, organization and API keys never contain it.
SCOPE_SEPARATOR = ":"
#: A name scope: like an application key (it becomes part of every resource name).
SCOPE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

# Schemes that produced names before the current one; each entry maps a current (unscoped) name to the old one
# and becomes a `pulumi.Alias`. Empty: the current scheme is the first. Never applied to scoped names.
LEGACY_SCHEMES: tuple[Callable[[str], str], ...] = ()


def check_scope(scope: Optional[str]) -> Optional[str]:
    """``scope`` if it can prefix resource names (None for no scope, also from ""); ValueError otherwise."""
    if not scope:
        return None
    if not SCOPE_PATTERN.match(scope):
        raise ValueError(
            f"name_scope {scope!r} is not a valid name scope: 1-64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return scope


def scoped(name: str, scope: Optional[str] = None) -> str:
    return f"{scope}{SCOPE_SEPARATOR}{name}" if scope else name


def application(name: str, scope: Optional[str] = None) -> str:
    """The M2MApplication component."""
    return scoped(name, scope)


def client(application: str, scope: Optional[str] = None) -> str:
    return scoped(application, scope)


def credentials(application: str, scope: Optional[str] = None) -> str:
    return f"{client(application, scope)}/credentials"


def grant(application: str, audience: str, scope: Optional[str] = None) -> str:
    return f"{client(application, scope)}/{audience}"


def organization_grant(application: str, audience: str, organization: str, scope: Optional[str] = None) -> str:
    return f"{client(application, scope)}/{audience}/{organization}"


def organization(name: str, scope: Optional[str] = None) -> str:
    return scoped(f"org/{name}", scope)


def api(key: str, scope: Optional[str] = None) -> str:
    return scoped(f"api/{key}", scope)


def api_scopes(key: str, scope: Optional[str] = None) -> str:
    return f"{api(key, scope)}/scopes"


def aliases(current: str, scope: Optional[str] = None) -> "Optional[list[pulumi.Input[str | pulumi.Alias]]]":
    """Aliases from every legacy scheme to ``current``, so that renames never replace resources (unscoped only);
    None when there are none."""
    if scope or not LEGACY_SCHEMES:
        return None
    import pulumi

    return [pulumi.Alias(name=scheme(current)) for scheme in LEGACY_SCHEMES if scheme(current) != current]
