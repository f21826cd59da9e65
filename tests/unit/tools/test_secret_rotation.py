"""rotate-secret's failure messages: what was done, what is left, never the secret (the happy path runs the real CLI in
tests/integration/test_credentials_and_quotas.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from auth0_m2m.tools import secret_rotation
from auth0_m2m.tools.management import MissingScope
from auth0_m2m.tools.secret_rotation import SecretRotationError, rotate_secret

STACK_FILE = """config:
  auth0-m2m:environment: dev
  auth0-m2m:apis:
    orders: {identifier: https://orders.example.com/}
  auth0-m2m:applications:
    - name: ledger
      grants: [{api: orders}]
"""
URN = "urn:pulumi:dev::auth0-m2m::auth0-m2m:index:Estate$auth0:index/clientCredentials:ClientCredentials::ledger/credentials"


class Tenant:
    rotated: list[str] = []

    def __init__(self, *args, **kwargs):
        pass

    def rotate_secret(self, client_id: str) -> None:
        Tenant.rotated.append(client_id)

    def client_secret(self, client_id: str):
        raise MissingScope(f"the tenant refused GET /api/v2/clients/{client_id}: Insufficient scope, expected any of: "
                           "read:client_keys (the Management API credential lacks this scope)", 403)

    def close(self) -> None:
        pass


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: auth0-m2m\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(STACK_FILE)

    def pulumi_read(stack, *args, cwd=None):
        if args[:2] == ("stack", "export"):
            return json.dumps({"deployment": {"resources": [
                {"urn": URN, "type": "auth0:index/clientCredentials:ClientCredentials"}]}})
        if "client_secrets" in args:
            return json.dumps({"ledger": "s3cr3t-new"})
        return json.dumps({"ledger": {"client_id": "cli_ledger"}})

    monkeypatch.setattr(secret_rotation, "pulumi_read", pulumi_read)
    monkeypatch.setattr(secret_rotation, "ManagementClient", Tenant)
    monkeypatch.setattr(secret_rotation.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, "", ""))
    monkeypatch.setenv("AUTH0_M2M_REPOSITORY_ROOT", str(tmp_path))
    return tmp_path


def test_a_secret_that_cannot_be_compared_says_it_was_rotated_and_stored(project):
    with pytest.raises(SecretRotationError) as error:
        rotate_secret("dev", "ledger", project, tenant_config=lambda key: "x", say=lambda _: None)
    message = str(error.value)
    assert Tenant.rotated == ["cli_ledger"]
    assert message.startswith("the secret was rotated and stored in the stack, but it could not be compared")
    assert "Insufficient scope" in message and "read:client_keys" in message
    assert "s3cr3t-new" not in message
    assert not error.value.usage


def test_an_unknown_application_is_a_usage_error_and_nothing_is_rotated(project):
    Tenant.rotated = []
    with pytest.raises(SecretRotationError) as error:
        rotate_secret("dev", "nope", project, tenant_config=lambda key: "x", say=lambda _: None)
    assert str(error.value) == "stack 'dev' has no application 'nope'" and error.value.usage
    assert Tenant.rotated == []
