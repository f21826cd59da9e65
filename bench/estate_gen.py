"""Synthetic estates for benchmarks: N applications x 3 APIs x K organization authorizations per grant.

Authorizations are spread round-robin over enough organizations that none has more than
``links_per_organization`` of them (default 90, under Auth0's cap of 100), so every generated estate passes
validation. The OpenTofu comparison uses 45: the upstream provider reads an organization's links from the
first page (50) only.
"""

from __future__ import annotations

import math

APIS = ("orders", "billing", "reporting")


def estate(
    applications: int,
    authorizations: int = 10,
    managed: bool = True,
    environment: str = "bench",
    links_per_organization: int = 90,
) -> dict:
    links = applications * len(APIS) * authorizations
    organization_count = max(authorizations, math.ceil(links / links_per_organization))
    organizations = [f"org-{i:05d}" for i in range(organization_count)]
    cursor = 0
    apps = []
    for n in range(applications):
        grants = []
        for api in APIS:
            orgs = [organizations[(cursor + k) % organization_count] for k in range(authorizations)]
            cursor += authorizations
            grants.append({"api": api, "scopes": [f"read:{api}"], "organization_usage": "allow", "organizations": orgs})
        apps.append({"name": f"app-{n:05d}", "grants": grants})
    return {
        "environment": environment,
        "organizations": {
            name: ({"manage": True} if managed else {"id": f"org_{i:016d}"}) for i, name in enumerate(organizations)
        },
        "apis": {
            api: {"identifier": f"https://{api}.bench.example.com/", "manage": managed, "scopes": {f"read:{api}": "read"}}
            for api in APIS
        },
        "applications": apps,
    }


def stack_file(
    applications: int,
    authorizations: int = 10,
    managed: bool = True,
    environment: str = "bench",
    links_per_organization: int = 90,
) -> str:
    """The estate as a Pulumi stack file body (YAML)."""
    import yaml

    generated = estate(applications, authorizations, managed, environment, links_per_organization)
    config = {f"auth0-m2m:{key}": value for key, value in generated.items()}
    return yaml.safe_dump({"config": config}, sort_keys=False)
