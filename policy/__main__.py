"""The auth0-m2m CrossGuard policy pack: mandatory guardrails for Auth0 M2M access in production stacks.

Run it with a preview or an update: `pulumi preview --policy-pack policy [--policy-pack-config FILE]`.
The policies are in auth0_m2m_policy/policies.py; policy/README.md describes them and their config.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from auth0_m2m_policy import hooks, policies

# Before the pack starts serving: keeps the stack config, secure keys and secretness markers visible.
hooks.install()

PolicyPack(
    name="auth0-m2m",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies.ALL,
    description="Auth0 machine-to-machine access: justified any-organization access, consistent organization "
    "authorizations, protected production clients and grants, no plain-text credentials.",
)
