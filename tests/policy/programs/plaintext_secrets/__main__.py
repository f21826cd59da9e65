"""Auth0 credentials from stack config, read in plain text or as secrets (config `readAsSecret`).

* an explicit auth0 provider whose client secret comes from the config key `tenantClientSecret`;
* client credentials whose client_secret comes from `exporterClientSecret`. The Python SDK marks this
  input secret whatever it is given, so only the stack config shows that the value is stored in plain
  text in the stack file.

Violates no-plaintext-client-secret when the keys are set without --secret (and, for the provider, when
the program reads them with `get` instead of `get_secret`); complies with `--secret` keys and
`readAsSecret: true`.
"""

import pulumi
import pulumi_auth0 as auth0

config = pulumi.Config()
read = config.get_secret if config.get_bool("readAsSecret") else config.get

tenant = auth0.Provider(
    "tenant",
    domain=config.require("tenantDomain"),
    client_id=config.require("tenantClientId"),
    client_secret=read("tenantClientSecret"),
)
client = auth0.Client(
    "exporter",
    name="exporter",
    app_type="non_interactive",
    grant_types=["client_credentials"],
    opts=pulumi.ResourceOptions(provider=tenant),
)
auth0.ClientCredentials(
    "exporter/credentials",
    client_id=client.client_id,
    authentication_method="client_secret_post",
    client_secret=read("exporterClientSecret"),
    opts=pulumi.ResourceOptions(provider=tenant),
)
pulumi.export("client_id", client.client_id)
