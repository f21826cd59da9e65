"""A team's own Pulumi program: its API, a customer organization, and the machine client that calls the API.

`M2MApplication` is used alone, without a stack-file estate: the application is described with the same model
a stack file uses and passes the same validation gate, before anything is registered. Organization ids are
`pulumi.Input`s (here the id of an organization this program creates); audiences are plain strings, because
they name resources.
"""

import pulumi
import pulumi_auth0 as auth0

from auth0_m2m import ApplicationConfig, M2MApplication, M2MApplicationArgs

INVOICES = "https://invoices.example.com/"

api = auth0.ResourceServer(
    "invoices-api",
    identifier=INVOICES,
    name="Invoices",
    signing_alg="RS256",
    token_lifetime=3600,
    skip_consent_for_verifiable_first_party_clients=True,
)
scopes = auth0.ResourceServerScopes(
    "invoices-api-scopes",
    resource_server_identifier=api.identifier,
    scopes=[
        auth0.ResourceServerScopesScopeArgs(name="read:invoices", description="Read invoices"),
        auth0.ResourceServerScopesScopeArgs(name="write:invoices", description="Create invoices"),
    ],
)
acme = auth0.Organization("acme", name="acme", display_name="Acme Corp")

exporter = M2MApplication(
    "invoice-exporter",
    M2MApplicationArgs(
        application=ApplicationConfig.model_validate(
            {
                "name": "invoice-exporter",
                "description": "Exports Acme's invoices every night",
                "metadata": {"owner": "team-invoices"},
                "default_organization": "acme",
                "grants": [
                    {
                        "api": "invoices",
                        "scopes": ["read:invoices"],
                        "organization_usage": "require",
                        "organizations": ["acme"],
                    }
                ],
            }
        ),
        audiences={"invoices": INVOICES},
        organization_ids={"acme": acme.id},
        # The grant waits for the API and its scopes: Auth0 refuses a grant for an audience it does not know.
        api_dependencies={"invoices": [api, scopes]},
    ),
)

pulumi.export("organization_id", acme.id)
pulumi.export("client_id", exporter.client_id)
pulumi.export("client_secret", exporter.client_secret)  # a Pulumi secret
pulumi.export("grant_ids", exporter.grant_ids)
