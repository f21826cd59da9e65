"""A peer's test suite as the emulator's oracle: go-auth0's live Management API tests, run against the
emulator as if it were a real tenant.

go-auth0 (the SDK inside the auth0 provider) tests clients and their credentials, client grants,
organizations and their client grants, and resource servers against a real Auth0 tenant when
``AUTH0_HTTP_RECORDINGS`` is off, with ``AUTH0_DOMAIN``, ``AUTH0_CLIENT_ID`` and ``AUTH0_CLIENT_SECRET``.
Here those point at an emulator of this module's own, with the management client from its
``connection.json``, and its CA in ``SSL_CERT_FILE``. Each go test runs in a process of its own (a panic or
a timeout in one cannot hide the others) and is one pytest test. Before each, the tenant is emptied back to
its initial state; after a passing one, nothing may be left over (the go tests delete what they create).

The tables below cover every test function of the four files; ``test_tables_cover_the_four_files`` keeps
them exact. What is excluded, and why: ``EXCLUDED`` (whole tests) and ``Case.skip`` (subtests, passed
as ``-test.skip``). The test binary is built once per machine (``tests/emulator/go_auth0.py``).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from auth0_emulator import process

from . import go_auth0

FILES = ("client_grant_test.go", "organization_test.go", "client_test.go", "resource_server_test.go")

# One go test process: -test.timeout panics with every goroutine's stack; the outer timeout is a backstop.
GO_TEST_TIMEOUT = "120s"
PROCESS_TIMEOUT = 180

CONNECTIONS = "organization connections (and the connections they enable): connections are not emulated"
INVITATIONS = "organization invitations (need connections and users): not emulated"
MEMBERS = "organization members and their roles (users, roles): not emulated"
DISCOVERY_DOMAINS = "organization discovery domains: not emulated"
EXPRESS = "express configuration (Okta OIN `express_configuration` clients, their system grants and API): not emulated"
TLS_AUTH = "TLS client authentication (mTLS, `cert_subject_dn` / `x509_cert` credentials): not emulated"


@dataclass(frozen=True)
class Case:
    name: str
    # (subtest name as Go reports it, reason): skipped with -test.skip
    skip: tuple[tuple[str, str], ...] = field(default=())

    def args(self) -> list[str]:
        args = ["-test.run", f"^{self.name}$", "-test.v", "-test.count=1", f"-test.timeout={GO_TEST_TIMEOUT}"]
        if self.skip:
            names = "|".join(re.escape(name) for name, _ in self.skip)
            args += ["-test.skip", f"^{self.name}$/^({names})$"]
        return args


IN_SCOPE: list[Case] = [
    # client_grant_test.go
    Case("TestClientGrantManager_Create"),
    Case("TestClientGrantManager_Read"),
    Case("TestClientGrantManager_Update"),
    Case("TestClientGrantManager_Delete"),
    Case("TestClientGrantManager_List"),
    Case("TestClientGrantManager_Organizations"),
    Case("TestClientGrant_IsSystem"),
    # organization_test.go
    Case("TestOrganizationManager_Read"),
    Case("TestOrganizationManager_ReadByName"),
    Case("TestOrganizationManager_Update"),
    Case("TestOrganizationManager_Delete"),
    Case("TestOrganizationManager_List"),
    Case("TestOrganizationManager_ListCheckpointPagination"),
    Case("TestOrganizationManager_ClientGrants"),
    Case("TestOrganizationManager_ClientGrantsWithOrg"),
    # client_test.go
    Case("TestClient_Create"),
    Case("TestClient_CreateWithClientRefreshToken"),
    Case("TestClient_CreateWithTokenExchange"),
    Case("TestClient_SessionTransfer"),
    Case("TestClient_CreateWithDefaultOrg"),
    Case("TestClientSignedRequestObject"),
    Case(
        "TestClientAuthenticationMethods",
        skip=(("GetTLSClientAuth", TLS_AUTH), ("GetSelfSignedTLSClientAuth", TLS_AUTH)),
    ),
    Case("TestClient_Read"),
    Case("TestClient_Update"),
    Case("TestClient_Delete"),
    Case("TestClient_List"),
    Case("TestClient_RotateSecret"),
    Case("TestClient_CreateWithClientAddons"),
    Case("TestClient_SAML2ClientAddonMappings"),  # JSON (un)marshalling only, no requests
    Case("TestClient_CreateWithOIDCLogout"),
    Case("TestJWTConfiguration"),  # JSON (un)marshalling only, no requests
    Case("TestClient_CreateCredential"),
    Case("TestClient_ListCredentials"),
    Case("TestClient_GetCredentials"),
    Case("TestClient_UpdateCredential"),
    Case("TestClient_DeleteCredential"),
    Case(
        "TestClient_CreateAllCredential",
        skip=(
            ("Should_create_TLSClientAuth_Credential", TLS_AUTH),
            ("Should_create_SelfSignedTLSClientAuth_Credential", TLS_AUTH),
        ),
    ),
    # A client field (organization_discovery_methods), not the discovery-domain endpoints.
    Case("TestClient_OrganizationDiscoveryMethods"),
    # resource_server_test.go
    Case("TestResourceServer_Create"),
    Case("TestResourceServer_Read"),
    Case("TestResourceServer_Update"),
    Case("TestResourceServer_TokenDialect"),
    Case("TestResourceServer_Delete"),
    Case("TestResourceServer_List"),
]

EXCLUDED: dict[str, str] = {
    # client_grant_test.go
    "TestClientGrant_ExpressConfiguration": EXPRESS,
    # organization_test.go
    "TestOrganizationManager_Create": "creates the organization with two enabled connections: " + CONNECTIONS,
    "TestOrganizationManager_AddConnection": CONNECTIONS,
    "TestOrganizationManager_Connection": CONNECTIONS,
    "TestOrganizationManager_DBConnection": CONNECTIONS,
    "TestOrganizationManager_UpdateConnection": CONNECTIONS,
    "TestOrganizationManager_UpdateDBConnection": CONNECTIONS,
    "TestOrganizationManager_DeleteConnection": CONNECTIONS,
    "TestOrganizationManager_Connections": CONNECTIONS,
    "TestOrganizationManager_CreateInvitation": INVITATIONS,
    "TestOrganizationManager_Invitation": INVITATIONS,
    "TestOrganizationManager_DeleteInvitation": INVITATIONS,
    "TestOrganizationManager_Invitations": INVITATIONS,
    "TestOrganizationManager_AddMembers": MEMBERS,
    "TestOrganizationManager_DeleteMembers": MEMBERS,
    "TestOrganizationManager_Members": MEMBERS,
    "TestOrganizationManager_MembersCheckpointPagination": MEMBERS,
    "TestOrganizationManager_MemberRoles": MEMBERS,
    "TestOrganizationManager_DiscoveryDomains": DISCOVERY_DOMAINS,
    "TestOrganizationManager_CreateDiscoveryDomain": DISCOVERY_DOMAINS,
    "TestOrganizationManager_DiscoveryDomain": DISCOVERY_DOMAINS,
    "TestOrganizationManager_UpdateDiscoveryDomain": DISCOVERY_DOMAINS,
    "TestOrganizationManager_UpdateDiscoveryDomain_NilDomain": DISCOVERY_DOMAINS,
    "TestOrganizationManager_DeleteDiscoveryDomain": DISCOVERY_DOMAINS,
    "TestOrganizationManager_DiscoveryDomainsCheckpointPagination": DISCOVERY_DOMAINS,
    # client_test.go
    "TestClient_CreateLinkedToResourceServer": (
        "clients linked to a resource server (`app_type: resource_server`, the API's `client_id`): not emulated"
    ),
    "TestClientManager_ReadEnabledConnections": "a client's enabled connections: connections are not emulated",
    "TestClient_CIMDFields": "CIMD clients (POST /clients/cimd/register, client ID metadata documents): not emulated",
    "TestClient_ExpressConfiguration": EXPRESS + "; also needs user attribute profiles",
    "TestClient_MyOrganizationConfiguration": (
        "my-organization settings (`my_organization_configuration`, user attribute and connection profiles): "
        "not emulated"
    ),
    # resource_server_test.go
    "TestResourceServer_ExpressConfiguration": EXPRESS,
}


# ---------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def suite() -> go_auth0.SuiteBinary:
    try:
        return go_auth0.build()
    except go_auth0.BuildError as err:
        pytest.fail(str(err), pytrace=False)


@dataclass
class SuiteTenant:
    running: process.RunningEmulator
    baseline: dict[str, set[str]]


def _inventory(running: process.RunningEmulator) -> dict[str, set[str]]:
    with running.client() as http:
        state = http.get("/__emulator/state").raise_for_status().json()
    return {
        "clients": {c["client_id"] for c in state["clients"]},
        "client_grants": {g["id"] for g in state["client_grants"]},
        "organizations": {o["id"] for o in state["organizations"]},
        "resource_servers": {r["id"] for r in state["resource_servers"]},
    }


@pytest.fixture(scope="module")
def suite_tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteTenant]:
    """An emulator of the suite's own: the go tests use fixed identifiers (https://api.example.com/)."""
    running = process.start(tmp_path_factory.mktemp("go-auth0-tenant"))
    try:
        yield SuiteTenant(running, _inventory(running))
    finally:
        running.stop()


def _empty(tenant: SuiteTenant) -> None:
    """Back to the initial tenant: whatever an earlier (failed) test left is deleted."""
    left = _inventory(tenant.running)
    with tenant.running.management_client() as http:
        for client_id in left["clients"] - tenant.baseline["clients"]:
            http.delete(f"/api/v2/clients/{client_id}").raise_for_status()
        for rs_id in left["resource_servers"] - tenant.baseline["resource_servers"]:
            http.delete(f"/api/v2/resource-servers/{rs_id}").raise_for_status()
        for org_id in left["organizations"]:
            http.delete(f"/api/v2/organizations/{org_id}").raise_for_status()
        for grant_id in _inventory(tenant.running)["client_grants"] - tenant.baseline["client_grants"]:
            http.delete(f"/api/v2/client-grants/{grant_id}").raise_for_status()


def _environment(running: process.RunningEmulator) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AUTH0_DEBUG", None)  # go-auth0 would dump every request, secrets included
    env.update(
        AUTH0_DOMAIN=running.connection["domain"],
        AUTH0_CLIENT_ID=running.connection["client_id"],
        AUTH0_CLIENT_SECRET=running.connection["client_secret"],
        AUTH0_HTTP_RECORDINGS="off",
        SSL_CERT_FILE=running.ca_cert,
    )
    return env


# ---------------------------------------------------------------------------------------------------------
# The suite


@pytest.mark.parametrize("case", IN_SCOPE, ids=lambda case: case.name)
def test_go_auth0(case: Case, suite: go_auth0.SuiteBinary, suite_tenant: SuiteTenant, tmp_path: Path) -> None:
    _empty(suite_tenant)
    # The go tests load ./.env and ../.env: run them where there is none.
    workdir = tmp_path / "run"
    workdir.mkdir()
    try:
        result = subprocess.run(
            [str(suite.path), *case.args()], cwd=workdir, env=_environment(suite_tenant.running),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=PROCESS_TIMEOUT,
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"{case.name} did not finish in {PROCESS_TIMEOUT}s:\n{(err.stdout or '')[-6000:]}", pytrace=False)
    output = result.stdout
    # Exit status 0 also when the pattern matched nothing ("no tests to run"): the test must have passed.
    if result.returncode != 0 or f"--- PASS: {case.name} (" not in output:
        pytest.fail(f"go-auth0 {case.name} (exit {result.returncode}):\n{output[-6000:]}", pytrace=False)
    for subtest, _reason in case.skip:
        assert f"{case.name}/{subtest}" not in output, f"{subtest} was meant to be skipped"
    left = {
        kind: ids - suite_tenant.baseline.get(kind, set())
        for kind, ids in _inventory(suite_tenant.running).items()
    }
    assert not any(left.values()), f"{case.name} passed, but its cleanup left objects behind: {left}"


def test_tables_cover_the_four_files(suite: go_auth0.SuiteBinary) -> None:
    """Every test function of the four files is either run or excluded with a reason, once."""
    defined = [name for file in FILES for name in go_auth0.tests_in(suite.source, file)]
    run = [case.name for case in IN_SCOPE]
    assert len(defined) == len(set(defined)) == 75
    assert sorted(run + list(EXCLUDED)) == sorted(defined)
    assert len(run) == 44
    subtests = {name for file in FILES for name in go_auth0.subtests_in(suite.source, file)}
    for case in IN_SCOPE:
        for subtest, reason in case.skip:
            assert subtest in subtests and reason, (case.name, subtest)
