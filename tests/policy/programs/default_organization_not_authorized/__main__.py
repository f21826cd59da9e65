"""A client whose default organization is not authorized on a grant that requires an organization.

Token requests that name no organization use the default organization, which this grant does not allow:
they would be refused. Violates default-organization-authorized.
"""

import pulumi
import pulumi_auth0 as auth0

orders = auth0.ResourceServer("orders-api", identifier="https://orders.policy-test.example.com/", name="Orders")
acme = auth0.Organization("acme", name="acme", display_name="Acme")
globex = auth0.Organization("globex", name="globex", display_name="Globex")
client = auth0.Client(
    "billing-sync",
    name="billing-sync",
    app_type="non_interactive",
    grant_types=["client_credentials"],
    default_organization=auth0.ClientDefaultOrganizationArgs(organization_id=acme.id, flows=["client_credentials"]),
)
grant = auth0.ClientGrant(
    "billing-sync/orders",
    client_id=client.client_id,
    audience=orders.identifier,
    scopes=[],
    organization_usage="require",
)
# Authorized for globex only: acme, the default organization, is missing.
auth0.OrganizationClientGrant("billing-sync/orders/globex", organization_id=globex.id, grant_id=grant.id)
pulumi.export("client_id", client.client_id)
