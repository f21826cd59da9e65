"""`auth0-m2m import` of private_key_jwt applications and token quotas, against a tenant seeded through the
Management API (never through Pulumi), with a read-only credential.

Auth0 never returns a registered public key, so the import is given the team's public keys (`--public-keys DIR`)
and matches them to the credentials by key id: a key file in the repository is written as `pem_file`, one outside
it inline. An application whose keys are not all given is skipped and says which. Right after the import the
preview shows no change, `up` writes nothing, and the access check signs with the private key.
"""

from __future__ import annotations

import pytest
import yaml

from auth0_m2m import load_stack_file

from .harness import IMPORT_READ_SCOPES, Emulator, PulumiProject, create_management_client
from .keys import KeyPair

pytestmark = pytest.mark.integration

STACK = "adopt"
ORDERS = "https://orders.example.com/"
KEYS = {"current": KeyPair(), "next": KeyPair(), "elsewhere": KeyPair()}


@pytest.fixture(scope="module")
def emulator(module_emulator) -> Emulator:
    return module_emulator


def ok(emulator: Emulator, method: str, path: str, **body) -> dict:
    response = emulator.management(method, path, json=body)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else {}


def key_client(emulator: Emulator, name: str, keys: list[tuple[str, KeyPair, dict]], **client) -> str:
    """A private_key_jwt client as Auth0's docs make one: register each public key, then attach them (here in the
    reverse of their names' order, as another tool may have)."""
    created = ok(emulator, "POST", "/clients", name=name, app_type="non_interactive",
                 grant_types=["client_credentials"], **client)
    ids = [ok(emulator, "POST", f"/clients/{created['client_id']}/credentials", name=key_name,
              credential_type="public_key", pem=pair.public_pem, **fields)["id"]
           for key_name, pair, fields in keys]
    ok(emulator, "PATCH", f"/clients/{created['client_id']}", token_endpoint_auth_method=None,
       client_authentication_methods={"private_key_jwt": {"credentials": [{"id": i} for i in reversed(ids)]}})
    return created["client_id"]


@pytest.fixture(scope="module")
def seeded(emulator) -> dict[str, str]:
    ok(emulator, "POST", "/resource-servers", identifier=ORDERS, name="Orders",
       scopes=[{"value": "read:orders", "description": "Read orders"}])
    acme = ok(emulator, "POST", "/organizations", name="acme", display_name="Acme")["id"]
    quota = {"client_credentials": {"per_hour": 50, "per_day": 500, "enforce": True}}
    partner = key_client(emulator, "Partner Gateway", [
        ("2026-11", KEYS["current"], {}),
        ("2027-05", KEYS["next"], {"alg": "PS256", "expires_at": "2099-01-31T00:00:00.000Z"}),
    ], token_quota=quota)
    grant = ok(emulator, "POST", "/client-grants", client_id=partner, audience=ORDERS, scope=["read:orders"],
               organization_usage="allow")
    ok(emulator, "POST", f"/organizations/{acme}/client-grants", grant_id=grant["id"])
    elsewhere = key_client(emulator, "Signed Elsewhere", [("2025-01", KEYS["elsewhere"], {})])
    ok(emulator, "POST", "/client-grants", client_id=elsewhere, audience=ORDERS, scope=["read:orders"])
    worker = ok(emulator, "POST", "/clients", name="Quota Worker", app_type="non_interactive",
                grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_post",
                token_quota={"client_credentials": {"per_day": 1000, "enforce": False}})["client_id"]
    ok(emulator, "POST", "/client-grants", client_id=worker, audience=ORDERS, scope=["read:orders"])
    return {"partner": partner, "elsewhere": elsewhere, "worker": worker}


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator, seeded) -> PulumiProject:
    project = PulumiProject(tmp_path_factory.mktemp("adopt-keys"), emulator, stack=STACK)
    project.reader = create_management_client(emulator, "Import Reader", IMPORT_READ_SCOPES)
    project.use_credential(*project.reader)
    return project


SELECT = ("--select", "Partner *", "--select", "Signed *", "--select", "Quota *")


def test_import_adopts_key_applications_with_the_public_keys_given_and_their_quotas(project, emulator, seeded,
                                                                                     tmp_path_factory):
    # One key in the repository (written as pem_file), one outside it (written inline); a private key in the
    # directory is left alone and said so.
    KEYS["current"].write_public(project.root, "keys/partner-current.pub.pem")
    KEYS["current"].write_private(project.root / "keys" / "partner-current.pem")
    outside = tmp_path_factory.mktemp("team-keys")
    KEYS["next"].write_public(outside, "partner-next.pem")

    emulator.reset_requests()
    result = project.cli("import", *SELECT, "--public-keys", "keys", "--public-keys", str(outside))
    assert emulator.management_writes() == 0, emulator.requests()["by_route"]
    assert "partner-current.pem: a private key, not used" in result.stderr
    assert KEYS["current"].private_pem.splitlines()[1] not in result.stdout + result.stderr + project.stack_file.read_text()

    # Skipped, with the credential whose key was not given.
    assert f"'Signed Elsewhere' (client {seeded['elsewhere']})" in result.stdout
    assert "Auth0 never returns a registered public key" in result.stdout and "'2025-01'" in result.stdout

    document = yaml.safe_load(project.stack_file.read_text())["config"]
    entries = {app["name"]: app for app in document["auth0-m2m:applications"]}
    assert set(entries) == {"partner-gateway", "quota-worker"}
    partner = entries["partner-gateway"]
    assert partner["authentication_method"] == "private_key_jwt"
    assert partner["public_keys"] == [
        {"name": "2026-11", "pem_file": "keys/partner-current.pub.pem"},
        {"name": "2027-05", "pem": KEYS["next"].public_pem, "algorithm": "PS256", "expires_at": "2099-01-31T00:00:00Z"},
    ]
    assert partner["token_quota"] == {"per_hour": 50, "per_day": 500}
    assert entries["quota-worker"]["token_quota"] == {"per_day": 1000, "enforce": False}
    config = load_stack_file(project.stack_file)
    assert config.application("partner-gateway").grants[0].organizations == ("acme",)


def test_after_the_import_nothing_differs_and_up_writes_nothing(project, emulator, seeded):
    project.preview("--expect-no-changes")
    # `up` checks that its client could deploy the stack (every scope of `up`) before it registers anything: the
    # read-only importer cannot run it; the zero writes are counted by the tenant.
    project.use_credential(emulator.connection["client_id"], emulator.connection["client_secret"])
    emulator.reset_requests()
    project.up("--expect-no-changes")
    assert emulator.management_writes() == 0, emulator.requests()["by_route"]
    project.use_credential(*project.reader)
    attached = emulator.management("GET", f"/clients/{seeded['partner']}").json()["client_authentication_methods"]
    assert len(attached["private_key_jwt"]["credentials"]) == 2
    assert "client_secrets" not in project.outputs(show_secrets=True) or "partner-gateway" not in (
        project.outputs(show_secrets=True).get("client_secrets") or {})


def test_the_access_check_signs_for_the_imported_application(project, tmp_path):
    key = KEYS["current"].write_private(tmp_path / "partner.pem")
    result = project.access_check("--private-key", f"partner-gateway={key}")
    assert "match the stack config" in result.stdout, result.stdout


def test_a_second_import_changes_nothing(project, emulator):
    before = project.stack_file.read_bytes()
    emulator.reset_requests()
    result = project.cli("import", *SELECT, "--public-keys", "keys")
    assert "nothing to import" in result.stdout
    assert project.stack_file.read_bytes() == before
    assert emulator.management_writes() == 0


def test_the_imported_keys_rotate_like_any_others(project, emulator, seeded):
    """Removing the inline key detaches and deletes its credential; the other key is attached throughout."""
    project.use_credential(emulator.connection["client_id"], emulator.connection["client_secret"])  # may write now
    def keep_current(estate):
        app = next(a for a in estate["applications"] if a["name"] == "partner-gateway")
        app["public_keys"] = [k for k in app["public_keys"] if k["name"] == "2026-11"]

    project.edit_config(keep_current)
    project.up()
    credentials = emulator.management("GET", f"/clients/{seeded['partner']}/credentials").json()
    assert [c["name"] for c in credentials] == ["2026-11"]
    project.preview("--refresh", "--expect-no-changes")


def test_a_lost_state_with_key_credentials_is_rebuilt_with_no_change(project, emulator):
    """`import --state-only` adopts the credentials by key id too (the state it rebuilds has no PEM)."""
    project.run("stack", "rm", "--yes", "--force", "--preserve-config")
    project.run("stack", "init")
    emulator.reset_requests()
    project.cli("import", "--state-only")
    assert emulator.management_writes() == 0
    project.preview("--expect-no-changes")
    project.up("--expect-no-changes")
    assert emulator.management_writes() == 0, emulator.requests()["by_route"]
