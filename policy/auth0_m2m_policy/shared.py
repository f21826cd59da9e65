"""The policy pack's copies of the auth0-m2m library's contract (``auth0_m2m.contract``).

The pack guards any Pulumi program, with or without the library, so it does not import it; these values
must equal the library's, which ``tests/unit/test_contract.py`` checks.
"""

# Type token of the library's M2MApplication component.
M2M_APPLICATION = "auth0-m2m:index:M2MApplication"
# Config namespace of the library's stack keys (``auth0-m2m:production``).
NAMESPACE = "auth0-m2m"
# The stack config key that makes a stack production.
PRODUCTION_KEY = f"{NAMESPACE}:production"
# Config key names (after the namespace, at any depth) that hold credentials.
SECRET_KEY_PATTERN = (
    r"(?i)(secret|passw(or)?d|passphrase|api_?token|access_?token|refresh_?token|auth_?token|private_?key|"
    r"client_?assertion|credentials?$)"
)
# Shortest justification for any-organization access (characters, whitespace stripped).
MIN_JUSTIFICATION = 10
# The keys of the inputs an M2MApplication records, and of each of its recorded grants.
RECORDED_APPLICATION_KEYS = ("application", "production", "default_organization", "grants")
RECORDED_GRANT_KEYS = (
    "audience", "organization_usage", "allow_any_organization", "organizations", "justification", "api", "scopes"
)
# Resource types the pack reads.
CLIENT = "auth0:index/client:Client"
GRANT = "auth0:index/clientGrant:ClientGrant"
ORGANIZATION_GRANT = "auth0:index/organizationClientGrant:OrganizationClientGrant"
ORGANIZATION = "auth0:index/organization:Organization"
CREDENTIALS = "auth0:index/clientCredentials:ClientCredentials"
# Resource types a production stack must protect from deletion (organization links and credentials stay
# revocable).
PROTECTED = (CLIENT, GRANT)
# Plain-text values that are no credential whatever the key's name (`readAsSecret: true` is a switch).
NOT_CREDENTIALS = ("", "true", "false")


def config_boolean(text: "str | None") -> "bool | None":
    """A boolean stack config value as the engine hands it over (text): only "true" and "false" are booleans
    (a YAML true and the string "true" arrive alike); anything else raises ValueError; None: unset.
    The library reads ``auth0-m2m:production`` with the same rule (``auth0_m2m.contract.config_boolean``)."""
    if text is None:
        return None
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"{text[:40]!r} is not a boolean (true or false)")
