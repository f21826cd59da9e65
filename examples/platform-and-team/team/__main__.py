"""A team's stack: its machine client, authorized for organizations that the platform stack owns.

The organization ids come from the platform stack's outputs through a `pulumi.StackReference`
(`M2MApplicationArgs.organization_ids` takes `pulumi.Input`s). The audience is a plain string, known when the
program runs, because it names resources: the identifier of the platform's API.
"""

import pulumi

from auth0_m2m import ApplicationConfig, M2MApplication, M2MApplicationArgs

ORDERS = "https://orders.api.example.com/"

config = pulumi.Config()
platform = pulumi.StackReference(config.require("platformStack"))
platform_organizations = platform.require_output("organization_ids")


def organization_id(name: str) -> pulumi.Output[str]:
    def pick(ids: dict) -> str:
        if name not in ids:
            raise ValueError(f"the platform stack has no organization {name!r} (it has {sorted(ids)})")
        return ids[name]

    return platform_organizations.apply(pick)


application = ApplicationConfig.model_validate(
    {
        "name": "billing-sync",
        "description": "Syncs orders into invoices, per customer organization",
        "metadata": {"owner": "team-billing"},
        "default_organization": "acme",
        "grants": [
            {
                "api": "orders",
                "scopes": ["read:orders"],
                "organization_usage": "require",
                "organizations": ["acme", "globex"],
            }
        ],
    }
)
billing_sync = M2MApplication(
    "billing-sync",
    M2MApplicationArgs(
        application=application,
        audiences={"orders": ORDERS},
        organization_ids={name: organization_id(name) for name in ("acme", "globex")},
    ),
)

pulumi.export("client_id", billing_sync.client_id)
pulumi.export("client_secret", billing_sync.client_secret)  # a Pulumi secret
