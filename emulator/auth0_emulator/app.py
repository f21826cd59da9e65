"""The ASGI application: Authentication API, Management API v2 and admin routes."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from auth0_emulator import admin, oauth
from auth0_emulator.management import client_grants, clients, organizations, resource_servers
from auth0_emulator.management.common import API_PREFIX, unknown_route
from auth0_emulator.tenant import Tenant

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(tenant: Tenant) -> Starlette:
    routes = [
        Route(oauth.TOKEN_ROUTE, oauth.token, methods=["POST"]),
        Route("/.well-known/jwks.json", oauth.jwks, methods=["GET"]),
        Route("/.well-known/openid-configuration", oauth.openid_configuration, methods=["GET"]),
        *clients.ROUTES,
        *client_grants.ROUTES,
        *organizations.ROUTES,
        *resource_servers.ROUTES,
        # Anything else under /api/v2 (or a method a route does not have): Auth0's JSON 404.
        Route(API_PREFIX + "/{rest:path}", unknown_route, methods=ALL_METHODS),
        *admin.ROUTES,
    ]
    app = Starlette(routes=routes)
    app.state.tenant = tenant
    return app
