"""An organization authorized on a grant whose organization_usage is deny.

The authorization is declared beside the grant (not as its child), so during a preview, when the grant's
id is not known yet, the policy must find the grant through the dependency of grant_id on it.
Violates no-organizations-on-deny-grant.
"""

import pulumi
import pulumi_auth0 as auth0

ledger = auth0.ResourceServer("ledger-api", identifier="https://ledger.policy-test.example.com/", name="Ledger")
acme = auth0.Organization("acme", name="acme", display_name="Acme")
client = auth0.Client(
    "reconciler", name="reconciler", app_type="non_interactive", grant_types=["client_credentials"]
)
grant = auth0.ClientGrant(
    "reconciler/ledger",
    client_id=client.client_id,
    audience=ledger.identifier,
    scopes=[],
    organization_usage="deny",
)
auth0.OrganizationClientGrant("reconciler/ledger/acme", organization_id=acme.id, grant_id=grant.id)
pulumi.export("grant_id", grant.id)
