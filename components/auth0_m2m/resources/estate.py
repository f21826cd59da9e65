"""The Estate component: a whole validated stack configuration, deployed.

It owns the organizations and APIs the stack manages, resolves the ones it only references (by id, or
by name with one lookup per organization per run), and creates one M2MApplication per application.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_auth0 as auth0

from ..contract import ESTATE_RECORDED_ORGANIZATION_IDS, ESTATE_TYPE, RecordedEstate
from ..model.config import StackConfig, TokenQuotaConfig
from ..model.validation import validate
from . import naming
from .application import M2MApplication, M2MApplicationArgs
from .protection import protect_clients_and_grants
from .provider import invoke_output_options, links_per_organization, require_link_capacity, resource_options


class Estate(pulumi.ComponentResource):
    """Every organization, API and M2M application one stack declares."""

    TYPE = ESTATE_TYPE

    organization_ids: dict[str, pulumi.Input[str]]
    applications: dict[str, M2MApplication]

    def __init__(
        self,
        name: str,
        config: StackConfig,
        opts: Optional[pulumi.ResourceOptions] = None,
        source: Optional[str] = None,
    ):
        """``config``: from a stack file (:func:`auth0_m2m.load_program_config`) or built in code; either way it
        passes the one validation gate here, before anything is registered."""
        config = validate(config, source or f"Estate {name!r}")
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
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                ESTATE_RECORDED_ORGANIZATION_IDS: self.organization_ids,
                "client_ids": {name: app.client_id for name, app in self.applications.items()},
            }
        )

    def _organization_id(self, org_name: str, config: StackConfig) -> pulumi.Input[str]:
        org = config.organizations[org_name]
        if org.manage:
            return auth0.Organization(
                naming.organization(org_name),
                name=org_name,
                display_name=org.display_name or org_name,
                # Always passed (None when unset): removing a quota from the stack file clears it in Auth0.
                token_quota=_organization_token_quota(org.token_quota),
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
                naming.api(key),
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
                        naming.api_scopes(key),
                        resource_server_identifier=server.identifier,
                        scopes=[
                            auth0.ResourceServerScopesScopeArgs(name=value, description=description)
                            for value, description in api.scopes.items()
                        ],
                        opts=resource_options(parent=server),
                    )
                )
        return audiences, dependencies


def _organization_token_quota(quota: Optional[TokenQuotaConfig]) -> Optional[auth0.OrganizationTokenQuotaArgs]:
    if quota is None:
        return None
    return auth0.OrganizationTokenQuotaArgs(
        client_credentials=auth0.OrganizationTokenQuotaClientCredentialsArgs(
            enforce=quota.enforce, per_hour=quota.per_hour, per_day=quota.per_day
        )
    )
