"""The policy pack through the real Pulumi CLI: `pulumi preview --policy-pack policy` against the emulator.

A compliant stack (this project's prod stack) passes; each small program under programs/ declares raw
pulumi_auth0 resources that violate one policy, and the preview fails with that policy's name and
message (read from the engine's event log). The Python policy pack runs as a plugin through the Python
language host (its RunPlugin), like in production.
"""

from __future__ import annotations

import pytest

from tests.integration.harness import Emulator

from .harness import PROGRAMS, REPO, Program

pytestmark = pytest.mark.integration

ANY_ORG = "any-organization-requires-justification"
DENY = "no-organizations-on-deny-grant"
DEFAULT_ORG = "default-organization-authorized"
PROTECT = "protect-production-clients-and-grants"
SECRETS = "no-plaintext-client-secret"
ORDERS = "https://orders.policy-test.example.com/"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("tenant"))
    yield emulator
    emulator.stop()


def program(tmp_path, emulator, name: str, stack: str = "test", **kwargs) -> Program:
    return Program(tmp_path / name / stack, emulator, PROGRAMS / name, stack, **kwargs)


def assert_passes(run):
    assert run.returncode == 0, run.describe()
    assert [v for v in run.violations if v.level == "mandatory"] == [], run.describe()
    assert "auth0-m2m@v0.1.0" in run.stdout, run.describe()  # the pack did run


def assert_fails_with(run, policy: str, *messages: str, count: int = 1):
    assert run.returncode != 0, run.describe()
    found = run.of(policy)
    assert len(found) == count, (found, run.describe())
    assert all(v.level == "mandatory" for v in found)
    for message in messages:
        assert any(message in v.message for v in found), (message, found)
    assert policy in run.stdout, run.describe()
    return found


def test_this_projects_prod_stack_complies(tmp_path, emulator):
    prod = Program(tmp_path / "prod", emulator, REPO, "prod")
    run = prod.preview()
    assert_passes(run)
    # Every relation was resolved (no "skipped ..." note) and nothing went wrong inside the pack.
    assert "auth0-m2m policy pack:" not in run.output, run.describe()


def test_any_organization_without_justification(tmp_path, emulator):
    stack = program(tmp_path, emulator, "any_organization_unjustified")
    run = stack.preview()
    (violation,) = assert_fails_with(
        run, ANY_ORG,
        f"client grant 'support-tool/orders' (audience {ORDERS}) allows any organization without a recorded "
        "justification",
    )
    assert violation.urn.endswith("auth0:index/clientGrant:ClientGrant::support-tool/orders")
    assert run.violations == [violation]

    justified = stack.preview(policy_config={ANY_ORG: {"justifications": {
        "support-tool/orders": "Support engineers act for any customer during incidents"}}})
    assert_passes(justified)


def test_organization_authorized_on_a_deny_grant(tmp_path, emulator):
    run = program(tmp_path, emulator, "organization_on_deny_grant").preview()
    (violation,) = assert_fails_with(
        run, DENY,
        "organization authorization 'reconciler/ledger/acme' authorizes organization 'acme' on client grant "
        "'reconciler/ledger', whose organization_usage is deny",
    )
    assert violation.urn.endswith("::reconciler/ledger/acme")
    assert [v.policy for v in run.violations] == [DENY]


def test_default_organization_not_authorized(tmp_path, emulator):
    run = program(tmp_path, emulator, "default_organization_not_authorized").preview()
    (violation,) = assert_fails_with(
        run, DEFAULT_ORG,
        f"client 'billing-sync' has default organization 'acme', but its client grant 'billing-sync/orders' "
        f"(audience {ORDERS}, organization_usage require) is not authorized for it",
    )
    assert violation.urn.endswith("::billing-sync/orders")
    assert [v.policy for v in run.violations] == [DEFAULT_ORG]


def test_unprotected_clients_and_grants_in_production(tmp_path, emulator):
    prod = program(tmp_path, emulator, "unprotected_clients", stack="prod")
    run = prod.preview()
    found = assert_fails_with(
        run, PROTECT,
        "production client 'exporter' is not protected from deletion (stack name 'prod' is one of "
        "['prod', 'production'])",
        "production client grant 'exporter/orders' is not protected from deletion",
        count=2,
    )
    assert {v.urn.rsplit("::", 1)[1] for v in found} == {"exporter", "exporter/orders"}

    prod.set_config("protect", "true")
    assert_passes(prod.preview())

    staging = program(tmp_path, emulator, "unprotected_clients", stack="staging")
    assert_passes(staging.preview())
    declared = staging.preview(policy_config={PROTECT: {"production": True}})
    assert_fails_with(declared, PROTECT, "(policy config production: true)", count=2)


def test_plaintext_credentials(tmp_path, emulator):
    stack = program(tmp_path, emulator, "plaintext_secrets")
    connection = emulator.connection
    stack.set_config("tenantDomain", connection["domain"])
    stack.set_config("tenantClientId", connection["client_id"])
    stack.set_config("tenantClientSecret", connection["client_secret"])
    stack.set_config("exporterClientSecret", "exporter-secret-0123456789")
    run = stack.preview()
    assert_fails_with(
        run, SECRETS,
        "auth0 provider 'tenant' has its clientSecret in plain text",
        "stack config key policy-plaintext-secrets:tenantClientSecret holds a credential in plain text",
        "stack config key policy-plaintext-secrets:exporterClientSecret holds a credential in plain text",
        "client credentials 'exporter/credentials' take client_secret from the plain-text stack config key "
        "policy-plaintext-secrets:exporterClientSecret",
        count=4,
    )

    # Read as secrets, but still stored in plain text in the stack file: the config check catches it.
    stack.set_config("readAsSecret", "true")
    run = stack.preview()
    messages = [v.message for v in assert_fails_with(run, SECRETS, count=3)]
    assert not any("has its clientSecret in plain text" in m for m in messages), messages

    stack.set_config("tenantClientSecret", connection["client_secret"], secret=True)
    stack.set_config("exporterClientSecret", "exporter-secret-0123456789", secret=True)
    assert_passes(stack.preview())


def test_plaintext_default_provider_secret(tmp_path, emulator):
    stack = program(tmp_path, emulator, "organization_on_deny_grant", secret_credentials=False)
    run = stack.preview()
    (violation,) = assert_fails_with(run, SECRETS, "has its clientSecret in plain text")
    assert "auth0 provider 'default" in violation.message
    assert "pulumi config set --secret auth0:clientSecret" in violation.message
