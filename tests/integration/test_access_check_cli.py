"""`auth0-m2m access-check` against the local tenant: its --json result, and failures of the network or of
TLS as one line saying what to check (exit 3), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from auth0_m2m.tools.schemas import envelope_model

from .harness import REPO

pytestmark = pytest.mark.integration

AUTH0_M2M = str(REPO / ".venv" / "bin" / "auth0-m2m")

STACK = """config:
  auth0-m2m:environment: dev
  auth0-m2m:organizations:
    acme:
      id: {org_id}
  auth0-m2m:apis:
    orders:
      identifier: {audience}
  auth0-m2m:applications:
    - name: sync
      grants:
        - api: orders
          organization_usage: allow
          organizations: [acme]
"""


@pytest.fixture(scope="module")
def tenant_project(module_emulator, tmp_path_factory):
    """A stack file and its outputs for objects made directly in the tenant (no Pulumi needed)."""
    emulator = module_emulator
    audience = "https://orders.access-check.example.com/"
    ok = lambda response: response.raise_for_status().json()  # noqa: E731
    ok(emulator.management("POST", "/resource-servers", json={"identifier": audience, "name": "orders-cli"}))
    client = ok(emulator.management("POST", "/clients", json={"name": "sync-cli", "app_type": "non_interactive",
                                                               "grant_types": ["client_credentials"]}))
    grant = ok(emulator.management("POST", "/client-grants", json={
        "client_id": client["client_id"], "audience": audience, "scope": [], "organization_usage": "allow"}))
    org = ok(emulator.management("POST", "/organizations", json={"name": "acme-cli", "display_name": "Acme"}))
    ok(emulator.management("POST", f"/organizations/{org['id']}/client-grants", json={"grant_id": grant["id"]}))
    root = tmp_path_factory.mktemp("access-check")
    (root / "stacks").mkdir()
    (root / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text())
    (root / "stacks" / "Pulumi.dev.yaml").write_text(STACK.format(org_id=org["id"], audience=audience))
    outputs = root / "outputs.json"
    outputs.write_text(json.dumps({"applications": {"sync": {"client_id": client["client_id"]}},
                                   "client_secrets": {"sync": client["client_secret"]},
                                   "organization_ids": {"acme": org["id"]}}))
    return root, outputs


def check(root: Path, outputs: Path, domain: str, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([AUTH0_M2M, "access-check", "--project-dir", str(root), "--stack", "dev",
                           "--outputs", str(outputs), "--domain", domain, *extra],
                          capture_output=True, text=True, env=env or dict(os.environ), timeout=120, cwd="/")


def test_json_result(tenant_project, module_emulator):
    root, outputs = tenant_project
    result = check(root, outputs, module_emulator.connection["domain"], "--ca-cert", module_emulator.ca_cert, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    envelope_model("access-check").model_validate(document)
    assert document["result"]["checked"] == 2 and document["result"]["mismatches"] == 0
    assert {(r["organization"], r["expected"], r["observed"]) for r in document["result"]["rows"]} == {
        (None, "token", "token"), ("acme", "token:acme", "token:acme")}


def test_an_untrusted_certificate_says_what_to_check(tenant_project, module_emulator):
    root, outputs = tenant_project
    env = {k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"}
    result = check(root, outputs, module_emulator.connection["domain"], env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "TLS: the tenant's certificate is not trusted" in result.stderr
    assert "scripts/local-tenant env" in result.stderr and "Traceback" not in result.stderr
    machine = check(root, outputs, module_emulator.connection["domain"], "--json", env=env)
    assert json.loads(machine.stdout)["errors"][0]["kind"] == "external"


def test_an_unreachable_tenant_says_what_to_check(tenant_project, module_emulator):
    root, outputs = tenant_project
    result = check(root, outputs, "127.0.0.1:9", "--ca-cert", module_emulator.ca_cert)
    assert result.returncode == 3
    assert "cannot connect to the tenant (POST https://127.0.0.1:9/oauth/token)" in result.stderr
    assert "Traceback" not in result.stderr
