"""Pulumi resource names, derived from stable keys only.

Names never depend on list positions: reordering applications, grants or organizations in a stack file
must leave every URN as it is. A name that changes makes Pulumi replace the resource (a new client id
and secret, grants revoked and re-created), so a change to any function here needs aliases for the old
names (see ``LEGACY_SCHEMES``).
"""

from __future__ import annotations

# Schemes that produced names before the current one; each entry maps a current name to the old one
# and becomes a `pulumi.Alias`. Empty: the current scheme is the first.
LEGACY_SCHEMES: tuple = ()


def client(application: str) -> str:
    return application


def credentials(application: str) -> str:
    return f"{application}/credentials"


def grant(application: str, audience: str) -> str:
    return f"{application}/{audience}"


def organization_grant(application: str, audience: str, organization: str) -> str:
    return f"{application}/{audience}/{organization}"


def organization(name: str) -> str:
    return f"org/{name}"


def api(key: str) -> str:
    return f"api/{key}"


def api_scopes(key: str) -> str:
    return f"api/{key}/scopes"


def aliases(current: str) -> list:
    """Aliases from every legacy scheme to ``current``, so that renames never replace resources."""
    import pulumi

    return [pulumi.Alias(name=scheme(current)) for scheme in LEGACY_SCHEMES if scheme(current) != current]
