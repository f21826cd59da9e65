"""Synthetic estates for benchmarks: N applications x 3 APIs x K organization authorizations per grant.

Authorizations are spread round-robin over enough organizations that none exceeds Auth0's cap of 100
grants per organization, so every generated estate passes validation.
"""

from __future__ import annotations

import math

APIS = ("orders", "billing", "reporting")


def estate(applications: int, authorizations: int = 10, managed: bool = True, environment: str = "bench") -> dict:
    links = applications * len(APIS) * authorizations
    organization_count = max(authorizations, math.ceil(links / 90))  # stay well under the cap of 100
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


def stack_file(applications: int, authorizations: int = 10, managed: bool = True, environment: str = "bench") -> str:
    """The estate as a Pulumi stack file body (YAML)."""
    import yaml

    config = {f"auth0-m2m:{key}": value for key, value in estate(applications, authorizations, managed, environment).items()}
    return yaml.safe_dump({"config": config}, sort_keys=False)
