"""A raw client grant that lets a client use any organization, with no justification recorded anywhere.

Violates any-organization-requires-justification, unless the policy pack config records one for the
grant's resource name ("support-tool/orders").
"""

import pulumi
import pulumi_auth0 as auth0

orders = auth0.ResourceServer("orders-api", identifier="https://orders.policy-test.example.com/", name="Orders")
client = auth0.Client(
    "support-tool", name="support-tool", app_type="non_interactive", grant_types=["client_credentials"]
)
auth0.ClientGrant(
    "support-tool/orders",
    client_id=client.client_id,
    audience=orders.identifier,
    scopes=[],
    organization_usage="allow",
    allow_any_organization=True,
)
pulumi.export("client_id", client.client_id)
