"""The M2MApplication component: one Auth0 machine-to-machine application and everything deciding its reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

import pulumi
import pulumi_auth0 as auth0

from ..contract import M2M_APPLICATION_TYPE, SUBJECT_TYPE, RecordedApplication
from ..model.config import ApplicationConfig, TokenQuotaConfig
from ..model.validation import validate_application
from . import claims, naming
from .provider import links_per_organization, require_link_capacity, resource_options


def _described(description: str, **kwargs):
    """A dataclass field whose description the component package's schema shows (see package_schema)."""
    return field(metadata={"description": description}, **kwargs)


@dataclass(frozen=True)
class M2MApplicationArgs:
    """What one M2MApplication needs: its configuration, and how the names it uses resolve."""

    application: ApplicationConfig = _described(
        "The application, its grants and its default organization (the same model a stack file uses)."
    )
    audiences: Mapping[str, str] = _described(
        "API key -> API identifier (audience), for every API the grants name (the keys grants use in `api`)."
    )
    organization_ids: Mapping[str, pulumi.Input[str]] = _described(
        "Organization name -> Auth0 organization id (org_...), for every organization the application names.",
        default_factory=dict,
    )
    api_dependencies: Mapping[str, Sequence[pulumi.Resource]] = _described(
        "API key -> resources a grant must wait for (a managed API and its scopes).", default_factory=dict
    )
    production: bool = _described(
        "Apply production rules: allow_any_organization needs a justification.", default=False
    )
    source: Optional[str] = _described(
        "How error messages name where the configuration came from (defaults to the component's name).",
        default=None,
    )
    name_scope: Optional[str] = _described(
        "Prefix of every resource name of the application (`<scope>:<name>`), for a program that holds applications"
        " of the same name for different estates. Unset: the names every existing stack has. Part of each URN:"
        " choose it when the application is first deployed, never change it (that would replace the client).",
        default=None,
    )


class M2MApplication(pulumi.ComponentResource):
    """An Auth0 `non_interactive` client with the client-credentials grant, its credentials (a secret, or the
    public keys of private_key_jwt), one client grant per API and the organizations each grant is authorized for.

    Children: the ``auth0.Client`` (parent: this component); its ``auth0.ClientCredentials`` and one
    ``auth0.ClientGrant`` per API (parent: the client); one ``auth0.OrganizationClientGrant`` per authorized
    organization (parent: its grant). Names come from the application name, the audience and the
    organization name, so reordering configuration changes nothing; ``args.name_scope`` prefixes them all.
    Before registering anything it checks the configuration (the one validation gate) and that no other
    component of the program makes the same resources or an Auth0 client of the same name.
    """

    # Attribute types for type checkers only: the Python SDK reads a resource class's annotations again on every
    # registration (building a class and resolving every hint, for output types a component does not have), which
    # cost the evaluation of 1,000 applications more than all of this module's own code.
    if TYPE_CHECKING:
        client: auth0.Client
        credentials: auth0.ClientCredentials
        client_id: pulumi.Output[str]
        client_grants: dict[str, auth0.ClientGrant]
        """Audience -> the application's client grant for it."""
        authorized_organizations: dict[str, list[str]]

    TYPE = M2M_APPLICATION_TYPE

    def __init__(self, name: str, args: M2MApplicationArgs, opts: Optional[pulumi.ResourceOptions] = None):
        app = args.application
        if name != app.name:
            raise ValueError(f"M2MApplication resource name {name!r} must equal the application name {app.name!r}")
        # The one gate, in the scope this component can see: a stack's application passes trivially (the
        # Estate checked the whole stack), another team's program gets the stack file's errors.
        validate_application(
            app,
            audiences=args.audiences,
            organizations=args.organization_ids,
            production=args.production,
            source=args.source or f"M2MApplication {app.name!r}",
        )
        scope = naming.check_scope(args.name_scope)
        _claim(self, app, scope, opts)
        # Before anything is registered: the plugin serving this application must read every link it will create.
        require_link_capacity(
            opts,
            links_per_organization([grant.organizations for grant in app.grants]),
            args.source or f"M2MApplication {app.name!r}",
        )
        super().__init__(self.TYPE, naming.application(app.name, scope), _component_props(args), opts)

        self.client = auth0.Client(
            naming.client(app.name, scope),
            name=app.auth0_name,
            app_type="non_interactive",
            grant_types=["client_credentials"],
            is_first_party=True,
            description=app.description,
            client_metadata=dict(app.metadata),
            default_organization=_default_organization(app, args.organization_ids),
            # Always passed (None when unset): removing a quota from the stack file clears it in Auth0.
            token_quota=token_quota_args(
                app.token_quota, auth0.ClientTokenQuotaArgs, auth0.ClientTokenQuotaClientCredentialsArgs
            ),
            opts=resource_options(parent=self, aliases=naming.aliases(naming.client(app.name), scope)),
        )
        self.credentials = auth0.ClientCredentials(
            naming.credentials(app.name, scope),
            client_id=self.client.client_id,
            authentication_method=app.authentication_method.value,
            private_key_jwt=_private_key_jwt(app),
            opts=resource_options(parent=self.client, aliases=naming.aliases(naming.credentials(app.name), scope)),
        )

        self.client_grants = {}
        self.authorized_organizations = {}
        for grant in app.grants:
            audience = args.audiences[grant.api]
            grant_name = naming.grant(app.name, audience, scope)
            client_grant = auth0.ClientGrant(
                grant_name,
                client_id=self.client.client_id,
                audience=audience,
                scopes=list(grant.scopes),
                organization_usage=grant.organization_usage.value,
                allow_any_organization=grant.allow_any_organization,
                # Always explicit (client-credentials grants are "client" grants): the API's default never
                # shows up as a diff.
                subject_type=SUBJECT_TYPE,
                opts=resource_options(
                    parent=self.client,
                    depends_on=list(args.api_dependencies.get(grant.api, ())),
                    aliases=naming.aliases(grant_name, scope),
                ),
            )
            for organization in grant.organizations:
                link_name = naming.organization_grant(app.name, audience, organization, scope)
                auth0.OrganizationClientGrant(
                    link_name,
                    organization_id=args.organization_ids[organization],
                    grant_id=client_grant.id,
                    opts=resource_options(parent=client_grant, aliases=naming.aliases(link_name, scope)),
                )
            self.client_grants[audience] = client_grant
            self.authorized_organizations[audience] = list(grant.organizations)

        self.client_id = self.client.client_id
        self._uses_secret = app.uses_secret
        # Only the identity is recorded on the component: the secret stays with its credentials resource
        # (not duplicated into the component's state), grant ids with their grants. Each recorded output, like
        # each Output object made, costs the Python SDK tasks: client_secret and grant_ids are made on first use.
        self.register_outputs({"client_id": self.client_id})

    @cached_property
    def client_secret(self) -> Optional[pulumi.Output[str]]:
        """The client secret, always a Pulumi secret; None for a private_key_jwt application (it has no secret to
        use)."""
        return pulumi.Output.secret(self.credentials.client_secret) if self._uses_secret else None

    @cached_property
    def grant_ids(self) -> pulumi.Output[dict[str, str]]:
        """Audience -> client grant id."""
        ids: dict[str, pulumi.Input[str]] = {audience: grant.id for audience, grant in self.client_grants.items()}
        return pulumi.Output.from_input(ids)  # type: ignore[arg-type]  # (from_input resolves nested inputs)


def _claim(
    component: M2MApplication, app: ApplicationConfig, scope: Optional[str], opts: Optional[pulumi.ResourceOptions]
) -> None:
    """Its resource name and its Auth0 client name, unless another component of the program holds them (an estate
    creating this application has reserved its client name for it)."""
    parent = opts.parent if opts else None
    name = naming.application(app.name, scope)
    by = f"application {app.name!r}" + (f" (name scope {scope!r})" if scope else "")
    claims.claim(
        f"M2MApplication {name!r}",
        [
            claims.resource_name(parent, M2M_APPLICATION_TYPE, name, component, by),
            claims.tenant_object(
                claims.provider_of(opts), *claims.client_identity(app), component, by,
                reservation=claims.application_reservation(parent, name),
            ),
        ],
        fix="Give applications of different estates their own name_scope (M2MApplicationArgs.name_scope), and "
        "clients in one tenant their own names (display_name).",
    )


def _default_organization(
    app: ApplicationConfig, organization_ids: Mapping[str, pulumi.Input[str]]
) -> auth0.ClientDefaultOrganizationArgs:
    """Always explicit: without a default organization the provider is told to clear it (`disable`).

    Leaving the block out would keep whatever the tenant has (the provider treats it as computed), so
    removing a default organization from the stack file would silently leave it in force.
    """
    if app.default_organization is None:
        return auth0.ClientDefaultOrganizationArgs(disable=True)
    return auth0.ClientDefaultOrganizationArgs(
        organization_id=organization_ids[app.default_organization], flows=["client_credentials"]
    )


def token_quota_args(quota: Optional[TokenQuotaConfig], args: type, client_credentials: type) -> Optional[Any]:
    """The provider's token quota input for a client or an organization (``args`` and ``client_credentials``: its
    two argument classes); None when unset, which clears a quota removed from the stack file."""
    if quota is None:
        return None
    return args(client_credentials=client_credentials(enforce=quota.enforce, per_hour=quota.per_hour, per_day=quota.per_day))


def _private_key_jwt(app: ApplicationConfig) -> Optional[auth0.ClientCredentialsPrivateKeyJwtArgs]:
    """The application's public keys as private_key_jwt credentials, in name order.

    With the project's provider build a change here updates the credentials in place: new keys are
    registered and attached before dropped ones are detached and deleted (README, "Rotating a key").
    """
    if app.uses_secret:
        return None
    return auth0.ClientCredentialsPrivateKeyJwtArgs(
        credentials=[
            auth0.ClientCredentialsPrivateKeyJwtCredentialArgs(
                name=key.name,
                credential_type="public_key",
                pem=key.public_pem,
                algorithm=key.algorithm.value,
                # As the provider reads it back (milliseconds, Z), so that it never shows as a diff.
                expires_at=key.expires_at.strftime("%Y-%m-%dT%H:%M:%S.000Z") if key.expires_at else None,
                # A certificate's own expiry applies unless expires_at is given.
                parse_expiry_from_cert=key.is_certificate and key.expires_at is None,
            )
            for key in app.public_keys
        ]
    )


def _component_props(args: M2MApplicationArgs) -> RecordedApplication:
    """Inputs recorded on the component, so that reviews and policies see the intent behind the children.

    Their shape is part of the contract (:class:`auth0_m2m.contract.RecordedApplication`): the policy pack reads it.
    """
    app = args.application
    recorded: RecordedApplication = {
        "application": app.name,
        "production": args.production,
        "default_organization": app.default_organization,
        "grants": [
            {
                "audience": args.audiences[grant.api],
                "organization_usage": grant.organization_usage.value,
                "allow_any_organization": grant.allow_any_organization,
                "organizations": list(grant.organizations),
                "justification": grant.justification,
                "api": grant.api,
                "scopes": list(grant.scopes),
            }
            # Sorted: reordering the stack file must not change the component's inputs.
            for grant in sorted(app.grants, key=lambda g: args.audiences[g.api])
        ],
    }
    # Recorded only when set, so that applications deployed before these existed record what they did.
    if not app.uses_secret:
        recorded["authentication_method"] = app.authentication_method.value
    if app.public_keys:
        recorded["public_keys"] = [
            {"name": key.name, "algorithm": key.algorithm.value, "pem": key.public_pem} for key in app.public_keys
        ]
    if app.token_quota:
        recorded["token_quota"] = app.token_quota.model_dump(exclude_none=True)
    return recorded
