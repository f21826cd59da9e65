"""The contract other parts rely on: names and shapes that must not drift.

The policy pack (``policy/``), the operator tools, the workflows and other teams' programs depend on
these values without importing the code that produces them. Changing one is a breaking change: the
policy pack keeps its own copies (it guards programs that do not use this library), and
``tests/unit/test_contract.py`` checks that they agree.

Nothing here imports Pulumi: the model, the resources and the tools all read it.
"""

from __future__ import annotations

from typing import Optional, TypedDict

# --- Stack files -------------------------------------------------------------------------------------------
#: Pulumi config namespace of the estate keys: ``auth0-m2m:applications``, ``auth0-m2m:apis``, ...
NAMESPACE = "auth0-m2m"
#: Where stack files live, relative to ``Pulumi.yaml`` (its ``stackConfigDir``).
STACK_CONFIG_DIR = "stacks"


def stack_file_name(stack: str, config_dir: str = STACK_CONFIG_DIR) -> str:
    """How a stack's file is named, relative to the project: ``stacks/Pulumi.<stack>.yaml``."""
    return f"{config_dir.rstrip('/')}/Pulumi.{stack}.yaml" if config_dir.strip("./") else f"Pulumi.{stack}.yaml"


#: The auth0 provider's config namespace (``auth0:domain``, ``auth0:clientSecret``).
PROVIDER_NAMESPACE = "auth0"
#: The stack config key that makes a stack production (read by the library, the policy pack, the workflows).
PRODUCTION_KEY = f"{NAMESPACE}:production"
#: A config namespace this close (edits) to the project's or the provider's is a typo, not another package.
NAMESPACE_NEAR_MISS_EDITS = 2
#: Config key names (after the namespace, at any depth) that hold credentials: they must be Pulumi secrets.
SECRET_KEY_PATTERN = (
    r"(?i)(secret|passw(or)?d|passphrase|api_?token|access_?token|refresh_?token|auth_?token|private_?key|"
    r"client_?assertion|credentials?$)"
)


#: Plain-text values that are no credential whatever the key's name (`readAsSecret: true` is a switch).
NOT_CREDENTIALS = ("", "true", "false")


def config_boolean(text: "str | None") -> "bool | None":
    """A boolean stack config value as the Pulumi engine hands it to programs and policy packs.

    The engine passes every top-level config value as text: the YAML booleans true/True/TRUE become "true"
    (and `pulumi config set KEY true` writes the string "true", which reads the same). Only "true" and
    "false" are booleans; anything else (yes, on, 1, True written as a string) raises ValueError. None: unset.
    """
    if text is None:
        return None
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"{text[:40]!r} is not a boolean (true or false)")


# --- Auth0 limits the rules and the policy pack both enforce -----------------------------------------------
#: Shortest justification accepted for any-organization access (characters, after stripping whitespace).
MIN_JUSTIFICATION_LENGTH = 10
#: Longest justification (characters).
MAX_JUSTIFICATION_LENGTH = 500
#: Auth0 refuses the 101st client grant linked to one organization (409 "Quota exceeded").
MAX_GRANTS_PER_ORGANIZATION = 100
#: Public keys (private_key_jwt credentials) attached to one application at once: two, for rotation.
MAX_PUBLIC_KEYS = 2
#: RSA key sizes Auth0 accepts for private_key_jwt credentials, in bits.
MIN_RSA_KEY_BITS = 2048
MAX_RSA_KEY_BITS = 4096
#: Token quotas (per_hour, per_day) are integers from 1 to this.
MAX_TOKEN_QUOTA = 2147483647
#: Auth0 accepts client assertions with a lifetime of at most this many seconds.
MAX_ASSERTION_LIFETIME = 300

# --- The auth0 provider plugin -----------------------------------------------------------------------------
#: The plugin version every auth0 resource and function of the library asks the engine for: the project's build
#: of pulumi-auth0 3.41.0 (``AUTH0_M2M_PROVIDER_VERSION`` in scripts/toolchain.lock, kept equal by a test). No
#: official release has this version, so an official plugin is never picked for the library's resources; a
#: machine without the build fails when the provider is loaded, before the first change.
PROVIDER_VERSION = "3.41.1-auth0m2m.1"
#: A function only the project's build has (``getM2mBuild``: its version and fixes; no tenant request). The
#: library invokes it before registering anything; another plugin answers "unrecognized data function".
PROVIDER_BUILD_FUNCTION = "auth0:index/getM2mBuild:getM2mBuild"
#: The fix the library relies on: an organization's link is read by grant id, not from its first page.
PROVIDER_LINK_READ_FIX = "organization-client-grant-read-by-grant-id"
#: Links per organization a plugin without that fix can read (the first page of the organization's links).
UPSTREAM_LINKS_READ_PER_ORGANIZATION = 50

# --- Pulumi type tokens ------------------------------------------------------------------------------------
#: The components' package: type tokens are ``auth0-m2m:index:<Component>``.
PACKAGE = "auth0-m2m"
M2M_APPLICATION_TYPE = f"{PACKAGE}:index:M2MApplication"
ESTATE_TYPE = f"{PACKAGE}:index:Estate"

CLIENT_TYPE = "auth0:index/client:Client"
CLIENT_CREDENTIALS_TYPE = "auth0:index/clientCredentials:ClientCredentials"
CLIENT_GRANT_TYPE = "auth0:index/clientGrant:ClientGrant"
ORGANIZATION_CLIENT_GRANT_TYPE = "auth0:index/organizationClientGrant:OrganizationClientGrant"
ORGANIZATION_TYPE = "auth0:index/organization:Organization"
RESOURCE_SERVER_TYPE = "auth0:index/resourceServer:ResourceServer"
RESOURCE_SERVER_SCOPES_TYPE = "auth0:index/resourceServerScopes:ResourceServerScopes"

#: Resource types that production stacks protect from deletion (organization links and credentials are not:
#: revoking access must stay a one-line change).
PROTECTED_TYPES = frozenset({CLIENT_TYPE, CLIENT_GRANT_TYPE})

#: Grants of the client-credentials flow always have this subject type.
SUBJECT_TYPE = "client"


# --- The inputs an M2MApplication component records (read by the policy pack) ------------------------------
class RecordedGrant(TypedDict):
    """One grant as the component records it, sorted by audience."""

    audience: str
    organization_usage: str
    allow_any_organization: bool
    organizations: list[str]
    justification: Optional[str]
    api: str
    """The API's key in the configuration (how the grant names it)."""
    scopes: list[str]
    """Sorted."""


class RecordedPublicKey(TypedDict):
    """A public key of a private_key_jwt application (public: no secret)."""

    name: str
    algorithm: str
    pem: str


class _RecordedApplicationBase(TypedDict):
    application: str
    production: bool
    default_organization: Optional[str]
    grants: list[RecordedGrant]


class RecordedApplication(_RecordedApplicationBase, total=False):
    """The inputs of an ``auth0-m2m:index:M2MApplication`` resource: the keys of the base always, the others only
    when the application has them (so that applications deployed before they existed record what they did)."""

    #: Only for private_key_jwt applications (secret-based ones record no method).
    authentication_method: str
    public_keys: list[RecordedPublicKey]
    #: ``{per_hour?, per_day?, enforce}``, only when the application has a quota.
    token_quota: dict


# --- Outputs of the components (recorded in the state, and the component package's outputs) -----------------
#: The client id: an ``M2MApplication`` records it as its output in the state (the access check reads it there).
COMPONENT_CLIENT_ID = "client_id"
#: How the application authenticates: client_secret_post, client_secret_basic or private_key_jwt.
COMPONENT_AUTHENTICATION_METHOD = "authentication_method"
#: The client secret (always a Pulumi secret; none for private_key_jwt applications); the state keeps it on the
#: application's ClientCredentials child.
COMPONENT_CLIENT_SECRET = "client_secret"
#: Audience -> client grant id.
COMPONENT_GRANT_IDS = "grant_ids"
#: Audience -> organization names the grant is explicitly authorized for.
COMPONENT_AUTHORIZED_ORGANIZATIONS = "authorized_organizations"


class RecordedEstate(TypedDict):
    """The inputs of an ``auth0-m2m:index:Estate`` resource; with its applications' recorded inputs they let the
    access check and the report work from a stack's state alone (a program in another language has no stack keys)."""

    environment: str
    production: bool
    protected: bool
    apis: dict[str, str]
    """API key -> identifier (audience), for every API of the estate."""


#: Output the Estate records in the state: organization name -> id (every organization used or managed).
ESTATE_RECORDED_ORGANIZATION_IDS = "organization_ids"


# --- Stack outputs of the project's program (read by the access check and by operators) --------------------
OUTPUT_ENVIRONMENT = "environment"
#: Per application: ``client_id``, ``authentication_method``, ``grant_ids`` (audience -> id),
#: ``authorized_organizations`` (audience -> organization names), ``default_organization``.
OUTPUT_APPLICATIONS = "applications"
#: Application name -> client secret, for applications that authenticate with a secret; always a Pulumi secret.
OUTPUT_CLIENT_SECRETS = "client_secrets"
#: Organization name -> id, for every organization an application refers to (and every managed one).
OUTPUT_ORGANIZATION_IDS = "organization_ids"
#: ``<application>/<audience>`` -> justification, for every any-organization grant.
OUTPUT_ANY_ORGANIZATION_JUSTIFICATIONS = "any_organization_justifications"

# --- Adoption (auth0-m2m import, repair, up --fast) --------------------------------------------------------
#: Environment variable naming an adoption plan (JSON) for the program: when set, the program imports the
#: listed existing tenant objects instead of creating them (see ``auth0_m2m.resources.adoption``).
ADOPTION_PLAN_ENV = "AUTH0_M2M_ADOPTION_PLAN"
#: Environment variable that makes the project's auth0 plugin refuse every create, update and delete
#: (scripts/toolchain/auth0-provider/provider/readonly.go): adopting updates run with it, so they can only read.
READ_ONLY_ENV = "AUTH0_M2M_READ_ONLY"


class AdoptionPlan(TypedDict):
    """What the tools hand the program for one adopting ``pulumi up``; resources are keyed ``<type>::<name>``."""

    imports: dict[str, str]
    """Resources to import, with the tenant object's import id."""
    strict: list[str]
    """Imports that must match what the program declares exactly: a difference would be an update after the
    import, which the read-only plugin refuses. The other imports keep the tenant's values for now
    (``ignore_changes``), for the next ``up`` to change."""
    known: list[str]
    """Resources already in the stack's state: registered as usual."""
    excluded: list[str]
    """Declared resources that do not exist in the tenant: left out of this update (``--exclude``)."""


#: Parent chain of each resource type the program registers (outermost first), from the Estate down: how
#: a resource's URN is built. ``tests/unit/resources`` checks it against what the components register.
PARENT_TYPES: dict[str, tuple[str, ...]] = {
    M2M_APPLICATION_TYPE: (ESTATE_TYPE,),
    CLIENT_TYPE: (ESTATE_TYPE, M2M_APPLICATION_TYPE),
    CLIENT_CREDENTIALS_TYPE: (ESTATE_TYPE, M2M_APPLICATION_TYPE, CLIENT_TYPE),
    CLIENT_GRANT_TYPE: (ESTATE_TYPE, M2M_APPLICATION_TYPE, CLIENT_TYPE),
    ORGANIZATION_CLIENT_GRANT_TYPE: (ESTATE_TYPE, M2M_APPLICATION_TYPE, CLIENT_TYPE, CLIENT_GRANT_TYPE),
    ORGANIZATION_TYPE: (ESTATE_TYPE,),
    RESOURCE_SERVER_TYPE: (ESTATE_TYPE,),
    RESOURCE_SERVER_SCOPES_TYPE: (ESTATE_TYPE, RESOURCE_SERVER_TYPE),
}


def resource_urn(stack: str, project: str, type_: str, name: str) -> str:
    """The URN the program gives a resource of the estate (``PARENT_TYPES`` shows where it sits)."""
    qualified = "$".join((*PARENT_TYPES.get(type_, ()), type_))
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"

# Set by `auth0-m2m` to the command (e.g. `rotate-secret`) whose Management API scopes it checked before it ran
# Pulumi for it: the program then does not check the scopes of `up` (a refresh that runs the program is no `up`).
SCOPES_CHECKED_VARIABLE = "AUTH0_M2M_SCOPES_CHECKED"
