"""The Estate component: a whole validated stack configuration, deployed.

It owns the organizations and APIs the stack manages, resolves the ones it only references (by id, or
by name with one lookup per organization per run), and creates one M2MApplication per application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import pulumi
import pulumi_auth0 as auth0

from ..contract import (
    ESTATE_RECORDED_ORGANIZATION_IDS,
    ESTATE_TYPE,
    M2M_APPLICATION_TYPE,
    ORGANIZATION_TYPE,
    RESOURCE_SERVER_SCOPES_TYPE,
    RESOURCE_SERVER_TYPE,
    RecordedEstate,
)
from ..model.config import StackConfig
from ..model.validation import validate
from . import claims, naming
from .application import M2MApplication, M2MApplicationArgs, token_quota_args
from .protection import protect_clients_and_grants
from .provider import invoke_output_options, links_per_organization, require_link_capacity, resource_options


class Estate(pulumi.ComponentResource):
    """Every organization, API and M2M application one stack declares.

    A program may hold several estates: each needs its own component name and, when their application,
    organization or API keys overlap, its own ``name_scope`` (which prefixes every resource name it makes). A
    collision with another component of the program is one error before anything of this estate is registered.
    """

    TYPE = ESTATE_TYPE

    if TYPE_CHECKING:  # for type checkers only, as on M2MApplication (the SDK reads annotations per registration)
        organization_ids: dict[str, pulumi.Input[str]]
        applications: dict[str, M2MApplication]

    def __init__(
        self,
        name: str,
        config: StackConfig,
        opts: Optional[pulumi.ResourceOptions] = None,
        source: Optional[str] = None,
        name_scope: Optional[str] = None,
    ):
        """``config``: from a stack file (:func:`auth0_m2m.load_program_config`) or built in code; either way it
        passes the one validation gate here, before anything is registered.

        ``name_scope``: prefix of every resource name of the estate (``<scope>:<name>``), for a program with more
        than one estate. None (the default) keeps the names every existing stack has. It is part of every URN:
        choose it when the estate is first deployed, never change it (that would replace every client)."""
        config = validate(config, source or f"Estate {name!r}")
        self.name_scope = naming.check_scope(name_scope)
        self._claim(name, config, opts)
        # Before anything is registered: the plugin serving this estate must read every link it will create.
        require_link_capacity(
            opts,
            links_per_organization([grant.organizations for app in config.applications for grant in app.grants]),
            source or f"Estate {name!r}",
            record=False,
        )
        if config.protected:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(transforms=[protect_clients_and_grants])
            )
        recorded: RecordedEstate = {
            "environment": config.environment,
            "production": config.production,
            "protected": config.protected,
            "apis": {key: api.identifier for key, api in sorted(config.apis.items())},
        }
        super().__init__(self.TYPE, name, recorded, opts)
        used_organizations = {
            org for app in config.applications for grant in app.grants for org in grant.organizations
        } | {app.default_organization for app in config.applications if app.default_organization}
        self.organization_ids = {
            org_name: self._organization_id(org_name, config)
            for org_name in sorted(config.organizations)
            if config.organizations[org_name].manage or org_name in used_organizations
        }
        audiences, api_dependencies = self._apis(config)

        self.applications = {}
        for app in config.applications:
            self.applications[app.name] = M2MApplication(
                app.name,
                M2MApplicationArgs(
                    application=app,
                    audiences=audiences,
                    organization_ids=self.organization_ids,
                    api_dependencies=api_dependencies,
                    production=config.production,
                    source=source,
                    name_scope=self.name_scope,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                ESTATE_RECORDED_ORGANIZATION_IDS: self.organization_ids,
                "client_ids": {name: app.client_id for name, app in self.applications.items()},
            }
        )

    def _claim(self, name: str, config: StackConfig, opts: Optional[pulumi.ResourceOptions]) -> None:
        """What this estate is about to make, unless another component of the program makes it already.

        Every descendant of an application is named after the application, so claiming the applications
        covers their clients, grants and authorizations."""
        scope = self.name_scope
        parent = opts.parent if opts else None
        provider = claims.provider_of(opts)
        estate = f"Estate {name!r}" + (f" (name scope {scope!r})" if scope else "")
        holder = self
        wanted = [claims.resource_name(parent, ESTATE_TYPE, name, holder, estate)]
        for org_name, org in sorted(config.organizations.items()):
            if org.manage:
                wanted.append(claims.resource_name(
                    parent, f"{ESTATE_TYPE}${ORGANIZATION_TYPE}", naming.organization(org_name, scope), holder,
                    f"organization {org_name!r} of {estate}",
                ))
                wanted.append(claims.tenant_object(
                    provider, "Auth0 organization name", org_name, holder, f"organization {org_name!r} of {estate}"
                ))
        for key, api in sorted(config.apis.items()):
            if api.manage:
                by = f"API {key!r} of {estate}"
                wanted.append(claims.resource_name(
                    parent, f"{ESTATE_TYPE}${RESOURCE_SERVER_TYPE}", naming.api(key, scope), holder, by
                ))
                wanted.append(claims.resource_name(
                    parent, f"{ESTATE_TYPE}${RESOURCE_SERVER_TYPE}${RESOURCE_SERVER_SCOPES_TYPE}",
                    naming.api_scopes(key, scope), holder, by,
                ))
                wanted.append(claims.tenant_object(provider, "Auth0 API identifier", api.identifier, holder, by))
        for app in config.applications:
            app_name = naming.application(app.name, scope)
            # Reserved for the application this estate creates, which takes the reservation over.
            app_holder = claims.application_reservation(self, app_name)
            by = f"application {app.name!r} of {estate}"
            wanted.append(claims.resource_name(
                parent, f"{ESTATE_TYPE}${M2M_APPLICATION_TYPE}", app_name, holder, by
            ))
            wanted.append(claims.tenant_object(provider, *claims.client_identity(app), app_holder, by))
        claims.claim(
            estate,
            wanted,
            fix=f"Give each estate of one program its own component name and name_scope, e.g. "
            f"Estate({name!r}, config, name_scope={name!r}); and clients in one tenant their own names (display_name).",
        )

    def _organization_id(self, org_name: str, config: StackConfig) -> pulumi.Input[str]:
        org = config.organizations[org_name]
        if org.manage:
            return auth0.Organization(
                naming.organization(org_name, self.name_scope),
                name=org_name,
                display_name=org.display_name or org_name,
                # Always passed (None when unset): removing a quota from the stack file clears it in Auth0.
                token_quota=token_quota_args(
                    org.token_quota, auth0.OrganizationTokenQuotaArgs, auth0.OrganizationTokenQuotaClientCredentialsArgs
                ),
                opts=resource_options(parent=self),
            ).id
        if org.id is not None:
            return org.id
        # One lookup per organization per run: the id is shared by every grant that names it.
        return auth0.get_organization_output(name=org_name, opts=invoke_output_options(parent=self)).id

    def _apis(self, config: StackConfig) -> tuple[dict[str, str], dict[str, list[pulumi.Resource]]]:
        audiences: dict[str, str] = {}
        dependencies: dict[str, list[pulumi.Resource]] = {}
        for key, api in sorted(config.apis.items()):
            audiences[key] = api.identifier
            if not api.manage:
                continue
            server = auth0.ResourceServer(
                naming.api(key, self.name_scope),
                identifier=api.identifier,
                name=api.name or key,
                signing_alg="RS256",
                token_lifetime=api.token_lifetime,
                allow_offline_access=False,
                skip_consent_for_verifiable_first_party_clients=True,
                opts=resource_options(parent=self),
            )
            dependencies[key] = [server]
            if api.scopes:
                dependencies[key].append(
                    auth0.ResourceServerScopes(
                        naming.api_scopes(key, self.name_scope),
                        resource_server_identifier=server.identifier,
                        scopes=[
                            auth0.ResourceServerScopesScopeArgs(name=value, description=description)
                            for value, description in api.scopes.items()
                        ],
                        opts=resource_options(parent=server),
                    )
                )
        return audiences, dependencies


