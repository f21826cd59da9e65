"""The tenant: its domain, its built-in objects, and the context routes work with.

Every Auth0 tenant has the *Auth0 Management API* as a system resource server
(identifier ``https://{domain}/api/v2/``).  Management API tokens are ordinary
client-credentials tokens for that audience, whose scopes come from the client's
grant on it.  The emulator also creates one management client (like a tenant's
"API Explorer Application") with a grant carrying every Management API scope;
``connection.json`` hands out its credentials.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from auth0_emulator import ids, keys, store
from auth0_emulator.controls import Controls
from auth0_emulator.counters import Counters

MANAGEMENT_API_NAME = "Auth0 Management API"
MANAGEMENT_CLIENT_NAME = "Auth0 Emulator Management Client"

# The Management API's scopes (a tenant's system API lists them all).
MANAGEMENT_SCOPES = """
read:client_grants create:client_grants delete:client_grants update:client_grants
read:users update:users delete:users create:users read:users_app_metadata update:users_app_metadata
delete:users_app_metadata create:users_app_metadata read:user_custom_blocks create:user_custom_blocks
delete:user_custom_blocks create:user_tickets
read:clients update:clients delete:clients create:clients
read:client_keys update:client_keys delete:client_keys create:client_keys
read:client_credentials update:client_credentials delete:client_credentials create:client_credentials
read:connections update:connections delete:connections create:connections
read:resource_servers update:resource_servers delete:resource_servers create:resource_servers
read:device_credentials update:device_credentials delete:device_credentials create:device_credentials
read:rules update:rules delete:rules create:rules read:rules_configs update:rules_configs delete:rules_configs
read:hooks update:hooks delete:hooks create:hooks
read:actions update:actions delete:actions create:actions
read:email_provider update:email_provider delete:email_provider create:email_provider
blacklist:tokens read:stats read:insights read:tenant_settings update:tenant_settings
read:logs read:logs_users read:shields create:shields update:shields delete:shields
read:anomaly_blocks delete:anomaly_blocks update:triggers read:triggers read:grants delete:grants
read:guardian_factors update:guardian_factors read:guardian_enrollments delete:guardian_enrollments
create:guardian_enrollment_tickets read:user_idp_tokens create:passwords_checking_job
delete:passwords_checking_job read:custom_domains delete:custom_domains create:custom_domains
update:custom_domains read:email_templates create:email_templates update:email_templates
read:mfa_policies update:mfa_policies read:roles create:roles delete:roles update:roles
read:prompts update:prompts read:branding update:branding delete:branding
read:log_streams create:log_streams delete:log_streams update:log_streams
create:signing_keys read:signing_keys update:signing_keys read:limits update:limits
create:role_members read:role_members delete:role_members read:entitlements
read:attack_protection update:attack_protection read:organizations_summary
create:authentication_methods read:authentication_methods update:authentication_methods
delete:authentication_methods
read:organizations update:organizations create:organizations delete:organizations
create:organization_members read:organization_members delete:organization_members
create:organization_connections read:organization_connections update:organization_connections
delete:organization_connections create:organization_member_roles read:organization_member_roles
delete:organization_member_roles create:organization_invitations read:organization_invitations
delete:organization_invitations
create:organization_client_grants read:organization_client_grants delete:organization_client_grants
read:scim_config create:scim_config update:scim_config delete:scim_config
create:scim_token read:scim_token delete:scim_token
delete:phone_providers create:phone_providers read:phone_providers update:phone_providers
delete:phone_templates create:phone_templates read:phone_templates update:phone_templates
create:encryption_keys read:encryption_keys update:encryption_keys delete:encryption_keys
read:sessions delete:sessions read:refresh_tokens delete:refresh_tokens
create:self_service_profiles read:self_service_profiles update:self_service_profiles
delete:self_service_profiles create:sso_access_tickets delete:sso_access_tickets
read:forms update:forms delete:forms create:forms read:flows update:flows delete:flows create:flows
read:flows_vault read:flows_vault_connections update:flows_vault_connections
delete:flows_vault_connections create:flows_vault_connections read:flows_executions
delete:flows_executions read:connections_options update:connections_options
read:self_service_profile_custom_texts update:self_service_profile_custom_texts
read:security_metrics read:connections_keys update:connections_keys create:connections_keys
""".split()


def management_audience(domain: str) -> str:
    return f"https://{domain}/api/v2/"


def issuer(domain: str) -> str:
    return f"https://{domain}/"


# Client fields Auth0 fills in on creation (OBSERVED in every recorded POST /clients).
def default_client_doc(client_id: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "is_first_party": True,
        "is_token_endpoint_ip_header_trusted": False,
        "oidc_conformant": False,
        "jwt_configuration": {"secret_encoded": False, "lifetime_in_seconds": 36000},
        "sso_disabled": False,
        "cross_origin_authentication": False,
        "grant_types": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
        "custom_login_page_on": True,
        "refresh_token": {
            "rotation_type": "non-rotating",
            "expiration_type": "non-expiring",
            "leeway": 0,
            "token_lifetime": 2592000,
            "infinite_token_lifetime": True,
            "infinite_idle_token_lifetime": True,
            "idle_token_lifetime": 1296000,
        },
    }


def management_api_doc(rs_id: str, domain: str) -> dict[str, Any]:
    return {
        "id": rs_id,
        "name": MANAGEMENT_API_NAME,
        "identifier": management_audience(domain),
        "allow_offline_access": False,
        "skip_consent_for_verifiable_first_party_clients": False,
        "subject_type_authorization": {
            "client": {"policy": "require_client_grant"},
            "user": {"policy": "allow_all"},
        },
        "token_lifetime": 86400,
        "token_lifetime_for_web": 7200,
        "signing_alg": "RS256",
        "scopes": [{"value": s, "description": s.replace(":", " ").replace("_", " ")} for s in MANAGEMENT_SCOPES],
        "is_system": True,
    }


@dataclass
class Tenant:
    """What every request handler needs."""

    store: store.Store
    domain: str
    keyring: keys.KeyRing
    counters: Counters = field(default_factory=Counters)
    controls: Controls = field(default_factory=Controls)

    @property
    def issuer(self) -> str:
        return issuer(self.domain)

    @property
    def management_audience(self) -> str:
        return management_audience(self.domain)

    def management_client(self) -> tuple[str, str]:
        with self.store.read() as conn:
            client_id = store.get_meta(conn, "management_client_id")
            assert client_id is not None
            found = store.get_client(conn, client_id)
            assert found is not None
            return client_id, found[1]


def bootstrap(data_store: store.Store, domain: str) -> None:
    """Create the tenant's built-in objects once; follow a changed domain (port) on restart."""
    audience = management_audience(domain)
    with data_store.tx() as conn:
        keys.ensure_signing_key(conn, domain)
        system = conn.execute("SELECT id, identifier FROM resource_servers WHERE is_system = 1").fetchone()
        if system is None:
            store.insert_resource_server(conn, management_api_doc(ids.resource_server_id(), domain), is_system=True)
        elif system["identifier"] != audience:
            # The port changed: the Management API's identifier (and grants on it) follow.
            old_audience = system["identifier"]
            doc = management_api_doc(system["id"], domain)
            store.update_resource_server(conn, doc, None)
            for grant in store.list_grants(conn):
                if grant["audience"] == old_audience:
                    grant["audience"] = audience
                    store.update_grant(conn, grant)
        else:
            # Keep the scope list current with this emulator version.
            store.update_resource_server(conn, management_api_doc(system["id"], domain), None)
        store.set_meta(conn, "domain", domain)

        client_id = store.get_meta(conn, "management_client_id")
        if client_id is None or store.get_client(conn, client_id) is None:
            client_id = ids.client_id()
            doc = default_client_doc(client_id)
            doc = {
                "name": MANAGEMENT_CLIENT_NAME,
                **doc,
                "app_type": "non_interactive",
                "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "client_secret_post",
            }
            store.insert_client(conn, doc, ids.client_secret())
            store.set_meta(conn, "management_client_id", client_id)
        grant = store.find_grant(conn, client_id, audience, "client")
        if grant is None:
            store.insert_grant(
                conn,
                {
                    "id": ids.client_grant_id(),
                    "client_id": client_id,
                    "audience": audience,
                    "scope": list(MANAGEMENT_SCOPES),
                    "subject_type": "client",
                },
            )
        elif set(grant.get("scope", [])) != set(MANAGEMENT_SCOPES):
            updated = copy.deepcopy(grant)
            updated["scope"] = list(MANAGEMENT_SCOPES)
            store.update_grant(conn, updated)
