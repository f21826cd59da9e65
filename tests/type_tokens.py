"""Pulumi type tokens the tests look for, written out literally.

Deliberately not imported from ``auth0_m2m.contract``: a token that changed there by mistake would change every
URN of every deployed stack, and these copies make the tests fail when it does (``tests/unit/test_contract.py``
compares the two).
"""

CLIENT = "auth0:index/client:Client"
CREDENTIALS = "auth0:index/clientCredentials:ClientCredentials"
GRANT = "auth0:index/clientGrant:ClientGrant"
LINK = "auth0:index/organizationClientGrant:OrganizationClientGrant"
ORG = "auth0:index/organization:Organization"
API = "auth0:index/resourceServer:ResourceServer"
SCOPES = "auth0:index/resourceServerScopes:ResourceServerScopes"
PROVIDER = "pulumi:providers:auth0"
GET_ORGANIZATION = "auth0:index/getOrganization:getOrganization"
APP_TYPE = "auth0-m2m:index:M2MApplication"
ESTATE_TYPE = "auth0-m2m:index:Estate"
