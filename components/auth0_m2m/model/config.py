"""The stack configuration model: one pydantic model per concept.

A stack file (``stacks/Pulumi.<stack>.yaml``) describes an *estate*: the organizations and APIs that
applications refer to by name, and the machine-to-machine applications with one grant per API. This
module only parses and normalizes single objects (field formats, Auth0's own limits). The rules that
relate several objects live in :mod:`auth0_m2m.model.rules`, one function per rule, so that each has a
precise message and a table-driven test.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Any, Optional

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..contract import MAX_JUSTIFICATION_LENGTH, MAX_PUBLIC_KEYS, MAX_TOKEN_QUOTA, MIN_JUSTIFICATION_LENGTH
from .errors import quote
from .key_files import KeyFileReader, working_tree_reader
from .keys import PublicKeyInfo, inspect_public_key

#: Validation-context key of the function that reads ``pem_file`` paths (see :mod:`auth0_m2m.model.key_files`).
KEY_FILE_READER = "read_key_file"

# Auth0 organization names: 1-50 chars of lowercase letters, digits, "_" and "-" (may start with a digit).
ORGANIZATION_NAME_PATTERN = r"^[a-z0-9_-]{1,50}$"
# Organization ids as Auth0 issues them: "org_" followed by alphanumerics.
ORGANIZATION_ID_PATTERN = r"^org_[A-Za-z0-9]{1,46}$"
# Application keys name Pulumi resources and appear in URNs, so they are kept to a slug.
APPLICATION_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
# API keys are the short names grants use to refer to an API in the stack file.
API_KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
# Scope values: 1-280 characters without whitespace (tokens carry them space-separated).
SCOPE_PATTERN = r"^[^\s]{1,280}$"
# Auth0 rejects "<" and ">" in client and resource-server names.
DISPLAY_NAME_PATTERN = r"^[^<>]{1,200}$"
# Public key names become Auth0 credential names (at most 128 characters); kept to a readable slug.
KEY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Client ids as Auth0 issues them (32 letters and digits; custom ids are letters, digits, '-' and '_').
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"

_SCOPE_RE = re.compile(SCOPE_PATTERN)

# What each pattern means, for error messages that a person can act on.
PATTERN_HELP = {
    ORGANIZATION_NAME_PATTERN: "an Auth0 organization name: 1-50 lowercase letters, digits, '_' or '-'",
    ORGANIZATION_ID_PATTERN: "an Auth0 organization id: 'org_' followed by letters and digits",
    # Application names and API keys share this pattern.
    APPLICATION_NAME_PATTERN: "a key: 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or "
    "digit",
    DISPLAY_NAME_PATTERN: "a display name: 1-200 characters without '<' or '>'",
    SCOPE_PATTERN: "a scope value: 1-280 characters without whitespace",
    KEY_NAME_PATTERN: "a key name: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    CLIENT_ID_PATTERN: "an Auth0 client id: letters, digits, '-' or '_'",
    r"^[^\s]{1,600}$": "an API identifier: 1-600 characters without whitespace",
    r"^[a-z0-9-]{1,32}$": "an environment name: 1-32 lowercase letters, digits or '-'",
}


class OrganizationUsage(str, Enum):
    """How a client grant may be used with organizations (Auth0 dashboard: None / Optional / Required)."""

    DENY = "deny"
    ALLOW = "allow"
    REQUIRE = "require"


class AuthenticationMethod(str, Enum):
    """How the application authenticates at the token endpoint: its client secret, or a JWT it signs."""

    CLIENT_SECRET_POST = "client_secret_post"
    CLIENT_SECRET_BASIC = "client_secret_basic"
    PRIVATE_KEY_JWT = "private_key_jwt"

    @property
    def uses_secret(self) -> bool:
        return self is not AuthenticationMethod.PRIVATE_KEY_JWT


class KeyAlgorithm(str, Enum):
    """The algorithms Auth0 accepts for private_key_jwt client assertions (all RSA)."""

    RS256 = "RS256"
    RS384 = "RS384"
    PS256 = "PS256"


class _Model(BaseModel):
    # Unknown keys are typos until proven otherwise: reject them instead of silently ignoring them.
    # Booleans are StrictBool: only true and false. Pulumi reads stack files as YAML 1.2, where yes, on and 1
    # are not booleans, so accepting them (as pydantic would) would read the file differently from Pulumi.
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class TokenQuotaConfig(_Model):
    """A cap on client-credentials tokens per UTC hour and/or day (Auth0's fine-grained M2M token quotas)."""

    per_hour: Optional[Annotated[int, Field(ge=1, le=MAX_TOKEN_QUOTA, strict=True)]] = Field(
        default=None,
        description=f"Tokens per UTC hour (1-{MAX_TOKEN_QUOTA}).",
    )
    per_day: Optional[Annotated[int, Field(ge=1, le=MAX_TOKEN_QUOTA, strict=True)]] = Field(
        default=None,
        description=f"Tokens per UTC day (1-{MAX_TOKEN_QUOTA}).",
    )
    enforce: StrictBool = Field(
        default=True,
        description="Refuse tokens beyond the quota (HTTP 429). false: Auth0 only counts and logs them.",
    )

    @model_validator(mode="after")
    def _limits_make_sense(self) -> "TokenQuotaConfig":
        if self.per_hour is None and self.per_day is None:
            raise ValueError("a token quota needs per_hour, per_day or both")
        if self.per_hour is not None and self.per_day is not None and self.per_hour > self.per_day:
            raise ValueError(
                f"per_hour {self.per_hour} exceeds per_day {self.per_day}, so the hourly quota could never be used "
                "up; lower per_hour or raise per_day"
            )
        return self


class PublicKeyConfig(_Model):
    """A public key the application signs client assertions with (an Auth0 private_key_jwt credential)."""

    name: Annotated[str, StringConstraints(pattern=KEY_NAME_PATTERN)] = Field(
        description="Name of the key (its Auth0 credential name), unique within the application, e.g. '2026-11'. "
        "Renaming registers the key again under the new name.",
    )
    pem: Optional[Annotated[str, StringConstraints(min_length=1, max_length=4096)]] = Field(
        default=None,
        description="The public key (PEM 'PUBLIC KEY' or 'RSA PUBLIC KEY') or an X.509 certificate, inline. "
        "Not with pem_file.",
    )
    pem_file: Optional[Annotated[str, StringConstraints(min_length=1, max_length=1024)]] = Field(
        default=None,
        description="Path of the PEM file relative to the repository root (e.g. keys/billing-sync-2026-11.pub.pem). "
        "Not with pem.",
    )
    algorithm: KeyAlgorithm = Field(
        default=KeyAlgorithm.RS256,
        description="Algorithm the application signs its assertions with: RS256, RS384 or PS256.",
    )
    expires_at: Optional[dt.datetime] = Field(
        default=None,
        description="When Auth0 stops accepting the key (ISO 8601, UTC when no offset is given). A certificate's "
        "own expiry applies when this is not set.",
    )

    _info: Optional[PublicKeyInfo] = PrivateAttr(default=None)
    _public_pem: Optional[str] = PrivateAttr(default=None)

    @field_validator("expires_at", mode="before")
    @classmethod
    def _date_is_midnight_utc(cls, value: Any) -> Any:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
        return value

    @field_validator("expires_at", mode="after")
    @classmethod
    def _expiry_in_the_future(cls, value: Optional[dt.datetime]) -> Optional[dt.datetime]:
        if value is None:
            return None
        value = (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
        if value <= dt.datetime.now(dt.timezone.utc):
            raise ValueError(
                f"expires_at {value.isoformat()} is in the past: Auth0 refuses assertions signed with an expired "
                "key; remove the key or give it a later expiry"
            )
        return value.replace(microsecond=0)

    @model_validator(mode="after")
    def _read_and_check_the_key(self, info: ValidationInfo) -> "PublicKeyConfig":
        if (self.pem is None) == (self.pem_file is None):
            raise ValueError(
                f"public key {self.name!r}: set exactly one of pem (the PEM text) and pem_file (a path relative to "
                "the repository root)"
            )
        text = self.pem
        if self.pem_file is not None:
            reader: KeyFileReader = (info.context or {}).get(KEY_FILE_READER) or working_tree_reader()
            try:
                text = reader(self.pem_file)
            except ValueError as error:
                raise ValueError(f"public key {self.name!r}: {error}") from None
        assert text is not None  # exactly one of pem and pem_file is set (checked above)
        try:
            self._info = inspect_public_key(text)
        except ValueError as error:
            source = f"pem_file {self.pem_file!r}" if self.pem_file else "pem"
            raise ValueError(f"public key {self.name!r} ({source}): {error}") from None
        expiry = self._info.certificate_expiry
        if self.expires_at is None and expiry is not None and expiry <= dt.datetime.now(dt.timezone.utc):
            raise ValueError(
                f"public key {self.name!r}: the certificate expired at {expiry.isoformat()}: Auth0 refuses assertions "
                "signed with an expired key; issue a new certificate"
            )
        self._public_pem = text.strip() + "\n"
        return self

    @property
    def public_pem(self) -> str:
        """The PEM text (read from pem_file when given there)."""
        assert self._public_pem is not None
        return self._public_pem

    @property
    def key_id(self) -> str:
        """Auth0's ``kid`` for this key (RFC 7638 thumbprint)."""
        assert self._info is not None
        return self._info.key_id

    @property
    def is_certificate(self) -> bool:
        assert self._info is not None
        return self._info.certificate_expiry is not None

    @property
    def effective_expiry(self) -> Optional[dt.datetime]:
        """When Auth0 stops accepting the key: expires_at, else a certificate's notAfter, else never."""
        assert self._info is not None
        return self.expires_at or self._info.certificate_expiry


class OrganizationConfig(_Model):
    """An Auth0 organization that grants are authorized for. Its key in ``organizations`` is its Auth0 name."""

    id: Optional[Annotated[str, StringConstraints(pattern=ORGANIZATION_ID_PATTERN)]] = Field(
        default=None,
        description="The organization's Auth0 id (org_...). When set, no lookup is made. Not allowed with manage: true.",
    )
    manage: StrictBool = Field(
        default=False,
        description="Create and own the organization in this stack. Otherwise it must already exist in the tenant "
        "and is referenced by id, or looked up by name once per run.",
    )
    display_name: Optional[Annotated[str, StringConstraints(min_length=1, max_length=255)]] = Field(
        default=None,
        description="Display name of a managed organization (defaults to its name).",
    )
    token_quota: Optional[TokenQuotaConfig] = Field(
        default=None,
        description="Cap on client-credentials tokens issued for this organization, all applications together; "
        "only for a managed organization. Removing it clears the quota in Auth0.",
    )


class ApiConfig(_Model):
    """An API (Auth0 resource server) that applications receive grants for."""

    identifier: Annotated[str, StringConstraints(pattern=r"^[^\s]{1,600}$")] = Field(
        description="The API identifier: the `audience` of token requests. Immutable in Auth0.",
    )
    manage: StrictBool = Field(
        default=False,
        description="Create and own the API (resource server and its scopes) in this stack.",
    )
    name: Optional[Annotated[str, StringConstraints(pattern=DISPLAY_NAME_PATTERN)]] = Field(
        default=None,
        description="Display name of a managed API (defaults to the key).",
    )
    scopes: dict[str, Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=dict,
        description="The API's scopes, value -> description. For a managed API these are created; for any API, "
        "when present, grants may only use these scopes.",
    )
    token_lifetime: Annotated[int, Field(ge=1, le=2592000)] = Field(
        default=86400,
        description="Lifetime in seconds of access tokens for a managed API (Auth0's default is 86400).",
    )

    @field_validator("scopes")
    @classmethod
    def _scope_values_are_valid(cls, scopes: dict[str, str]) -> dict[str, str]:
        for value in scopes:
            if not _SCOPE_RE.match(value):
                raise ValueError(f"scope {quote(value)} is not a valid scope value (1-280 characters, no whitespace)")
        return dict(sorted(scopes.items()))


class GrantConfig(_Model):
    """Access of one application to one API: a client grant, and the organizations it is authorized for."""

    api: Annotated[str, StringConstraints(pattern=API_KEY_PATTERN)] = Field(
        description="Key of the API in the stack's `apis` section.",
    )
    scopes: tuple[str, ...] = Field(
        default=(),
        description="Scopes granted. Sorted and de-duplicated before they are sent, so order never shows as a diff.",
    )
    organization_usage: OrganizationUsage = Field(
        default=OrganizationUsage.DENY,
        description="deny (None): tokens must not name an organization; allow (Optional): with or without; "
        "require (Required): tokens always carry an organization (the default organization when none is named).",
    )
    allow_any_organization: StrictBool = Field(
        default=False,
        description="Let the grant be used with any organization of the tenant, without explicit authorization. "
        "Auth0 reserves this for trusted first-party applications.",
    )
    organizations: tuple[Annotated[str, StringConstraints(pattern=ORGANIZATION_NAME_PATTERN)], ...] = Field(
        default=(),
        description="Organizations (keys of `organizations`) the grant is explicitly authorized for.",
    )
    justification: Optional[Annotated[str, StringConstraints(strip_whitespace=True, min_length=MIN_JUSTIFICATION_LENGTH, max_length=MAX_JUSTIFICATION_LENGTH)]] = (
        Field(
            default=None,
            description="Why allow_any_organization is needed. Required for it in a production stack; recorded in "
            "the stack outputs and the access report.",
        )
    )

    @field_validator("scopes", mode="before")
    @classmethod
    def _normalize_scopes(cls, scopes: object) -> object:
        if isinstance(scopes, (list, tuple)):
            for value in scopes:
                if not isinstance(value, str) or not _SCOPE_RE.match(value):
                    raise ValueError(f"scope {quote(value)} is not a valid scope value (1-280 characters, no whitespace)")
            return tuple(sorted(set(scopes)))
        return scopes

    @field_validator("organizations", mode="after")
    @classmethod
    def _normalize_organizations(cls, organizations: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(organizations)))


class ApplicationConfig(_Model):
    """A machine-to-machine application: a `non_interactive` client with the client-credentials grant."""

    name: Annotated[str, StringConstraints(pattern=APPLICATION_NAME_PATTERN)] = Field(
        description="Stable key of the application: names its Pulumi resources, and is its Auth0 name unless "
        "display_name is set. Renaming it replaces the application.",
    )
    display_name: Optional[Annotated[str, StringConstraints(pattern=DISPLAY_NAME_PATTERN)]] = Field(
        default=None,
        description="Name shown in the Auth0 dashboard (defaults to name); can change without replacement.",
    )
    description: Annotated[str, StringConstraints(max_length=140)] = Field(
        default="Managed by Pulumi (auth0-m2m)",
        description="Auth0 application description (at most 140 characters).",
    )
    metadata: dict[
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,255}$")],
        Annotated[str, StringConstraints(max_length=255)],
    ] = Field(
        default_factory=dict,
        max_length=10,
        description="Auth0 client_metadata: at most 10 keys, string values of at most 255 characters.",
    )
    authentication_method: AuthenticationMethod = Field(
        default=AuthenticationMethod.CLIENT_SECRET_POST,
        description="How the application authenticates at the token endpoint: client_secret_post or "
        "client_secret_basic (a client secret), or private_key_jwt (a JWT signed with the key of one of "
        "public_keys; no secret is created or exported).",
    )
    public_keys: tuple[PublicKeyConfig, ...] = Field(
        default=(),
        max_length=MAX_PUBLIC_KEYS,
        description=f"For private_key_jwt: one or two (at most {MAX_PUBLIC_KEYS}, for rotation) public keys the "
        "application signs with. Sorted by name before they are sent.",
    )
    token_quota: Optional[TokenQuotaConfig] = Field(
        default=None,
        description="Cap on client-credentials tokens this application gets. Removing it clears the quota in Auth0.",
    )
    default_organization: Optional[Annotated[str, StringConstraints(pattern=ORGANIZATION_NAME_PATTERN)]] = Field(
        default=None,
        description="Organization used for token requests that name none, for APIs whose grant requires one.",
    )
    client_id: Optional[Annotated[str, StringConstraints(pattern=CLIENT_ID_PATTERN)]] = Field(
        default=None,
        description="The Auth0 client id of an adopted application whose Auth0 name is not unique in the tenant "
        "(written by `auth0-m2m import`): how import, repair and recover find its client instead of by name. "
        "Not sent to Auth0.",
    )
    grants: tuple[GrantConfig, ...] = Field(
        default=(),
        description="One entry per API the application may get tokens for.",
    )

    @field_validator("public_keys", mode="after")
    @classmethod
    def _sorted_keys(cls, keys: tuple[PublicKeyConfig, ...]) -> tuple[PublicKeyConfig, ...]:
        # Reordering keys in the stack file must not show up as a change.
        return tuple(sorted(keys, key=lambda key: key.name))

    @property
    def auth0_name(self) -> str:
        return self.display_name or self.name

    @property
    def uses_secret(self) -> bool:
        """Whether the application authenticates with a client secret (and so has one to export)."""
        return self.authentication_method.uses_secret


class StackConfig(_Model):
    """Everything one stack file declares: the estate of one environment."""

    environment: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,32}$")] = Field(
        description="Environment name (local, dev, staging, prod); names the Estate component and shows in reports.",
    )
    production: StrictBool = Field(
        default=False,
        description="A production stack: any-organization access needs a justification, and clients and grants "
        "are protected from deletion.",
    )
    protect: Optional[StrictBool] = Field(
        default=None,
        description="Protect clients and grants from deletion (defaults to the value of production).",
    )
    organizations: dict[Annotated[str, StringConstraints(pattern=ORGANIZATION_NAME_PATTERN)], OrganizationConfig] = (
        Field(default_factory=dict, description="Organizations by Auth0 name.")
    )
    apis: dict[Annotated[str, StringConstraints(pattern=API_KEY_PATTERN)], ApiConfig] = Field(
        default_factory=dict, description="APIs by key."
    )
    applications: tuple[ApplicationConfig, ...] = Field(
        default=(), description="The machine-to-machine applications."
    )

    @property
    def protected(self) -> bool:
        return self.production if self.protect is None else self.protect

    def application(self, name: str) -> ApplicationConfig:
        return next(app for app in self.applications if app.name == name)
