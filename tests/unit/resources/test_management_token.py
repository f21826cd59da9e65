"""Whose Management API token the checks read, and how its scopes are read."""

from __future__ import annotations

import base64
import json

import pytest

from auth0_m2m.resources.management_token import ManagementCredentials, ManagementTokenError, granted_scopes


def jwt_with(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def test_stack_config_comes_before_the_environment_as_for_the_provider():
    credentials = ManagementCredentials.of_provider(
        {"domain": "tenant.eu.auth0.com", "clientId": "from-config", "clientSecret": "s"},
        {"AUTH0_DOMAIN": "other", "AUTH0_CLIENT_ID": "from-env", "AUTH0_CLIENT_SECRET": "e"},
    )
    assert (credentials.domain, credentials.client_id, credentials.client_secret) == ("tenant.eu.auth0.com", "from-config", "s")


def test_the_environment_alone_is_enough_and_a_scheme_is_dropped():
    credentials = ManagementCredentials.of_provider(
        {}, {"AUTH0_DOMAIN": "https://tenant.eu.auth0.com/", "AUTH0_CLIENT_ID": "id", "AUTH0_CLIENT_SECRET": "s"})
    assert credentials.domain == "tenant.eu.auth0.com" and credentials.who == "'id' (auth0:clientId)"


@pytest.mark.parametrize("config", [{}, {"domain": "t"}, {"domain": "t", "clientId": "id"}, {"clientId": "id", "clientSecret": "s"}])
def test_nothing_to_check_without_a_domain_and_a_credential(config):
    assert ManagementCredentials.of_provider(config, {}) is None


def test_an_api_token_is_read_without_a_request():
    token = jwt_with({"scope": "read:clients create:clients"})
    credentials = ManagementCredentials.of_provider({"domain": "t", "apiToken": token}, {})
    assert granted_scopes(credentials) == {"read:clients", "create:clients"}
    assert credentials.who == "of auth0:apiToken"


def test_a_token_that_is_not_a_jwt_is_an_error_not_a_traceback():
    with pytest.raises(ManagementTokenError, match="not a JWT"):
        granted_scopes(ManagementCredentials(domain="t", api_token="opaque"))


def test_an_unreachable_tenant_is_named():
    with pytest.raises(ManagementTokenError, match=r"could not reach https://localhost:1/oauth/token"):
        granted_scopes(ManagementCredentials(domain="localhost:1", client_id="id", client_secret="s"))
