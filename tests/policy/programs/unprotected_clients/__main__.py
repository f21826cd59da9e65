"""A client and its grant without the `protect` option.

Fine outside production; in a production stack (stack name prod/production, or the policy pack config
`production: true`) it violates protect-production-clients-and-grants. With the stack config
`protect: true` the program protects both and complies everywhere.
"""

import pulumi
import pulumi_auth0 as auth0

protect = pulumi.Config().get_bool("protect") or False
options = pulumi.ResourceOptions(protect=protect)

orders = auth0.ResourceServer("orders-api", identifier="https://orders.policy-test.example.com/", name="Orders")
client = auth0.Client(
    "exporter", name="exporter", app_type="non_interactive", grant_types=["client_credentials"], opts=options
)
auth0.ClientGrant(
    "exporter/orders",
    client_id=client.client_id,
    audience=orders.identifier,
    scopes=[],
    organization_usage="deny",
    opts=options,
)
pulumi.export("client_id", client.client_id)
