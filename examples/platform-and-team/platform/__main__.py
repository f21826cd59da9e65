"""The platform stack: the customer organizations and the APIs of the tenant, which team stacks build on.

An `Estate` without applications, read from this project's own stack file (namespace `auth0-platform:`) and
validated whole before anything is registered. Team stacks read its outputs through a `pulumi.StackReference`:
`organization_ids` (name -> id) and `apis` (key -> identifier).
"""

import pulumi

from auth0_m2m import Estate, export_estate, load_program_config

config = load_program_config(namespace="auth0-platform", config_dir=".")
estate = Estate(config.environment, config)
export_estate(estate, config)
pulumi.export("apis", {key: api.identifier for key, api in sorted(config.apis.items())})
