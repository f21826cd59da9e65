"""Stronger M2M credentials with the real Pulumi CLI and the project's provider build against the emulator:
a private_key_jwt application deployed and checked with its private key, a key rotation during which a
workload asking for a token every half second is never refused, import and scoped delete of key credentials,
token quotas enforced then lifted, the access check's budget and quota report, and secret rotation.

The tests run in order against one tenant and one stack.
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import httpx
import pytest

from tests.type_tokens import CLIENT, CREDENTIALS

from .harness import PulumiProject, application
from .keys import KeyPair, token_form

pytestmark = pytest.mark.integration

APP = "partner-gateway"
ORDERS = "https://orders.api.example.com/"
BILLING = "https://billing.api.example.com/"
KEYS = {"2026-11": KeyPair(), "2027-05": KeyPair()}


@pytest.fixture(scope="module")
def emulator(module_emulator):
    return module_emulator


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator):
    project = PulumiProject(tmp_path_factory.mktemp("project"), emulator)
    for name, key in KEYS.items():
        key.write_public(project.root, f"keys/{APP}-{name}.pub.pem")
    return project


def tenant_changes(steps: list[dict]) -> set[tuple[str, str]]:
    """(operation, resource name) of the steps that change the tenant: the components' own "update" (their recorded
    intent, e.g. the keys) makes no Auth0 call."""
    return {
        (s["op"], s["urn"].split("::")[-1]) for s in steps
        if s["op"] != "same" and not s["urn"].split("::")[2].endswith("auth0-m2m:index:M2MApplication")
    }


def key_entry(name: str) -> dict:
    return {"name": name, "pem_file": f"keys/{APP}-{name}.pub.pem"}


def set_keys(project: PulumiProject, *names: str) -> None:
    project.edit_config(lambda estate: application(estate, APP).__setitem__("public_keys", [key_entry(n) for n in names]))


def client_of(project: PulumiProject) -> str:
    return project.outputs()["applications"][APP]["client_id"]


def attached(emulator, client_id: str) -> list[str]:
    client = emulator.management("GET", f"/clients/{client_id}").json()
    refs = ((client.get("client_authentication_methods") or {}).get("private_key_jwt") or {}).get("credentials", [])
    return [ref["id"] for ref in refs]


def registered(emulator, client_id: str) -> dict[str, str]:
    """Credential id -> name of every credential the client has."""
    return {c["id"]: c["name"] for c in emulator.management("GET", f"/clients/{client_id}/credentials").json()}


def test_a_private_key_jwt_application_is_deployed_without_a_secret(project, emulator):
    def add(estate):
        estate["applications"].append({
            "name": APP,
            "description": "Partner integration that signs its token requests",
            "authentication_method": "private_key_jwt",
            "public_keys": [key_entry("2026-11")],
            "grants": [{"api": "orders", "scopes": ["read:orders"]}],
        })

    project.edit_config(add)
    project.up()
    outputs = project.outputs(show_secrets=True)
    assert outputs["applications"][APP]["authentication_method"] == "private_key_jwt"
    assert APP not in outputs["client_secrets"], "a private_key_jwt application has no secret to export"
    assert set(outputs["client_secrets"]) == {"billing-sync", "report-exporter", "ledger-reconciler", "support-console",
                                               "umbrella-partner-gateway"}
    client_id = outputs["applications"][APP]["client_id"]
    assert list(registered(emulator, client_id).values()) == ["2026-11"]
    assert len(attached(emulator, client_id)) == 1

    domain = emulator.connection["domain"]
    signed = emulator.http.post("/oauth/token", data=token_form(KEYS["2026-11"], client_id, domain, ORDERS))
    assert signed.status_code == 200, signed.text
    other = emulator.http.post("/oauth/token", data=token_form(KEYS["2027-05"], client_id, domain, ORDERS))
    assert other.status_code == 401, "a key that is not registered must not work"
    project.preview("--expect-no-changes")
    # Auth0 gives every new client a secret; once the keys are attached it is hidden and unusable, and it never
    # reaches Pulumi's state.
    import sqlite3

    with sqlite3.connect(emulator.data_dir / "tenant.sqlite3") as db:
        (tenant_secret,) = db.execute("SELECT client_secret FROM clients WHERE client_id = ?", (client_id,)).fetchone()
    state = "".join(p.read_text(errors="replace") for p in project.state_dir.rglob("*") if p.is_file())
    assert tenant_secret not in state
    assert emulator.token(client_id, tenant_secret, ORDERS).status_code == 401


def test_access_check_signs_with_the_private_key_from_a_file_or_a_variable(project, emulator, tmp_path):
    key_file = KEYS["2026-11"].write_private(tmp_path / "partner.pem")
    by_file = project.access_check("--private-key", f"{APP}={key_file}")
    assert "All " in by_file.stdout and "match the stack config" in by_file.stdout
    assert f"{APP} " in by_file.stdout and "not checked" not in by_file.stdout
    by_variable = project.access_check(env={"AUTH0_M2M_PRIVATE_KEYS": f"{APP}=env:PARTNER_KEY",
                                            "PARTNER_KEY": KEYS["2026-11"].private_pem})
    assert "match the stack config" in by_variable.stdout
    # The private key is never printed.
    assert "PRIVATE KEY" not in by_file.stdout + by_file.stderr + by_variable.stdout + by_variable.stderr


def test_access_check_without_the_private_key_checks_the_others_and_says_so(project):
    result = project.access_check()
    assert f"{APP}: private_key_jwt: no private key given" in " ".join(result.stdout.split())
    assert "match the stack config" in result.stdout


def test_access_check_refuses_a_key_of_another_application_or_an_unregistered_key(project, tmp_path):
    stranger = KeyPair().write_private(tmp_path / "stranger.pem")
    result = project.access_check("--private-key", f"{APP}={stranger}", check=False)
    assert result.returncode != 0 and "belongs to none of its public keys (2026-11)" in result.stderr


def test_access_check_refuses_to_start_above_its_token_budget(project, emulator):
    emulator.reset_requests()
    result = project.access_check("--token-budget", "10", check=False)
    assert result.returncode != 0
    assert "over the budget of 10 (--token-budget)" in " ".join(result.stderr.split())
    assert emulator.requests()["by_route"].get("POST /oauth/token", 0) == 0, "no token may be requested"
    narrowed = project.access_check("--token-budget", "10", "--application", "ledger-reconciler", "--api", "billing")
    assert "match the stack config" in narrowed.stdout


class Workload:
    """Starts a token request every ``interval`` seconds, whatever the answers take, with whichever key it
    currently holds; records (start time, status, body) of each."""

    def __init__(self, emulator, client_id: str, key: KeyPair, interval: float = 0.5):
        self.emulator, self.client_id, self.key, self.interval = emulator, client_id, key, interval
        self.results: list[tuple[float, Optional[int], str]] = []
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=8)
        self._http = emulator.running.client()
        self._thread = threading.Thread(target=self._schedule, daemon=True)
        self._pending = []

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=30)
        for future in self._pending:
            future.result(timeout=60)
        self._pool.shutdown()
        self._http.close()
        self.results.sort()

    def _schedule(self):
        next_start = time.monotonic()
        while not self._stop.is_set():
            self._pending.append(self._pool.submit(self._request, time.time(), self.key))
            next_start += self.interval
            self._stop.wait(max(0.0, next_start - time.monotonic()))

    def _request(self, started: float, key: KeyPair):
        form = token_form(key, self.client_id, self.emulator.connection["domain"], ORDERS)
        try:
            response = self._http.post("/oauth/token", data=form)
            self.results.append((started, response.status_code, response.text[:200]))
        except httpx.HTTPError as error:
            self.results.append((started, None, repr(error)))


def test_rotating_the_key_never_refuses_the_workload(project, emulator):
    """The documented procedure: add the new key and deploy, switch the workload, remove the old key and deploy."""
    client_id = client_of(project)
    old_credential = attached(emulator, client_id)[0]
    workload = Workload(emulator, client_id, KEYS["2026-11"])
    workload.start()
    try:
        time.sleep(2)
        # 1. Add the new key beside the old one: an in-place update, never a replacement.
        set_keys(project, "2026-11", "2027-05")
        steps = project.preview_steps()
        changes = tenant_changes(steps)
        assert changes == {("update", f"{APP}/credentials")}, changes
        project.up()
        both = attached(emulator, client_id)
        assert len(both) == 2 and old_credential in both
        # 2. Switch the workload to the new key.
        time.sleep(2)
        workload.key = KEYS["2027-05"]
        time.sleep(2)
        # 3. Remove the old key.
        set_keys(project, "2027-05")
        project.up()
        time.sleep(2)
    finally:
        workload.stop()

    refused = [r for r in workload.results if r[1] != 200]
    assert not refused, f"the workload was refused during the rotation: {refused[:5]}"
    span = workload.results[-1][0] - workload.results[0][0]
    assert len(workload.results) >= span, f"{len(workload.results)} requests in {span:.1f} s: fewer than one per second"
    gaps = [b[0] - a[0] for a, b in zip(workload.results, workload.results[1:])]
    assert max(gaps) <= 1.0, f"longest gap between two token requests: {max(gaps):.2f} s"

    final = attached(emulator, client_id)
    assert len(final) == 1 and old_credential not in final
    assert registered(emulator, client_id) == {final[0]: "2027-05"}, "the old credential must be deleted"
    old = emulator.http.post("/oauth/token", data=token_form(KEYS["2026-11"], client_id, emulator.connection["domain"], ORDERS))
    assert old.status_code == 401
    project.preview("--refresh", "--expect-no-changes")


def test_changing_a_keys_expiry_keeps_its_credential(project, emulator):
    client_id = client_of(project)
    before = attached(emulator, client_id)
    project.edit_config(lambda estate: application(estate, APP)["public_keys"][0].__setitem__("expires_at", "2099-01-31T00:00:00Z"))
    project.up()
    assert attached(emulator, client_id) == before
    credential = emulator.management("GET", f"/clients/{client_id}/credentials/{before[0]}").json()
    assert credential["expires_at"] == "2099-01-31T00:00:00.000Z"
    project.preview("--refresh", "--expect-no-changes")


def test_switching_an_application_between_a_secret_and_keys_updates_it_in_place(project, emulator):
    outputs = project.outputs(show_secrets=True)
    ledger = outputs["applications"]["ledger-reconciler"]["client_id"]
    secret = outputs["client_secrets"]["ledger-reconciler"]
    key = KeyPair()
    key.write_public(project.root, "keys/ledger.pub.pem")
    domain = emulator.connection["domain"]

    def to_keys(estate):
        application(estate, "ledger-reconciler").update(
            authentication_method="private_key_jwt", public_keys=[{"name": "first", "pem_file": "keys/ledger.pub.pem"}])

    project.edit_config(to_keys)
    changes = tenant_changes(project.preview_steps())
    assert changes == {("update", "ledger-reconciler/credentials")}, changes
    project.up()
    after = project.outputs(show_secrets=True)
    assert after["applications"]["ledger-reconciler"]["client_id"] == ledger
    assert "ledger-reconciler" not in after["client_secrets"]
    assert emulator.token(ledger, secret, BILLING).status_code == 401
    assert emulator.http.post("/oauth/token", data=token_form(key, ledger, domain, BILLING)).status_code == 200

    def to_secret(estate):
        app = application(estate, "ledger-reconciler")
        app.pop("public_keys")
        app["authentication_method"] = "client_secret_post"

    project.edit_config(to_secret)
    project.up()
    back = project.outputs(show_secrets=True)["client_secrets"]["ledger-reconciler"]
    assert emulator.token(ledger, back, BILLING).status_code == 200
    assert emulator.http.post("/oauth/token", data=token_form(key, ledger, domain, BILLING)).status_code == 401
    assert registered(emulator, ledger) == {}, "the key's credential is deleted"
    project.preview("--refresh", "--expect-no-changes")


def test_importing_the_credentials_adopts_the_keys_without_registering_them_again(project, emulator, tmp_path):
    """With the official provider an import of private_key_jwt credentials forces a replacement (it cannot
    compare PEMs); the project's build adopts each key by its key id: right after the import nothing differs,
    not even when Auth0 attaches the keys in another order than the stack file lists them."""
    set_keys(project, "2026-11", "2027-05")
    project.up()
    client_id = client_of(project)
    before = registered(emulator, client_id)
    reversed_refs = [{"id": i} for i in reversed(attached(emulator, client_id))]
    emulator.management("PATCH", f"/clients/{client_id}", json={
        "client_authentication_methods": {"private_key_jwt": {"credentials": reversed_refs}}}).raise_for_status()
    urn = _urn(project, CREDENTIALS, f"{APP}/credentials")
    project.run("state", "delete", "--yes", urn)
    spec = tmp_path / "import.json"
    spec.write_text(json.dumps({
        "nameTable": {"client": _urn(project, CLIENT, APP)},
        "resources": [{"type": CREDENTIALS, "name": f"{APP}/credentials", "id": client_id, "parent": "client"}],
    }))
    project.run("import", "--yes", "--protect=false", "--generate-code=false", "--file", str(spec))
    assert tenant_changes(project.preview_steps()) == set()
    emulator.reset_requests()
    project.up()
    writes = {route: n for route, n in emulator.requests()["by_route"].items()
              if not route.startswith("GET ") and route != "POST /oauth/token"}
    assert writes == {}, f"the up after the import wrote to the tenant: {writes}"
    assert registered(emulator, client_id) == before, "the keys keep their credentials"
    assert attached(emulator, client_id) == [ref["id"] for ref in reversed_refs]

    # The adopted resource rotates like any other: the key removed is detached and deleted, the other stays.
    set_keys(project, "2027-05")
    project.up()
    assert [registered(emulator, client_id)[i] for i in attached(emulator, client_id)] == ["2027-05"]
    assert list(registered(emulator, client_id).values()) == ["2027-05"]
    project.preview("--refresh", "--expect-no-changes")


def test_destroying_the_credentials_leaves_credentials_it_does_not_track(project, emulator):
    """The scoped delete: credentials registered and attached by someone else stay registered and attached."""
    client_id = client_of(project)
    mine = attached(emulator, client_id)
    body = {"name": "registered-elsewhere", "credential_type": "public_key", "pem": KeyPair().public_pem}
    outside = emulator.management("POST", f"/clients/{client_id}/credentials", json=body).json()["id"]
    refs = [{"id": i} for i in [*mine, outside]]
    emulator.management("PATCH", f"/clients/{client_id}", json={
        "client_authentication_methods": {"private_key_jwt": {"credentials": refs}}}).raise_for_status()

    project.run("destroy", "--yes", "--skip-preview", "--target", _urn(project, CREDENTIALS, f"{APP}/credentials"))
    assert attached(emulator, client_id) == [outside]
    assert registered(emulator, client_id) == {outside: "registered-elsewhere"}

    # Declared again, the resource owns the client's key set: its key is registered and attached alone.
    project.up()
    assert [registered(emulator, client_id)[i] for i in attached(emulator, client_id)] == ["2027-05"]
    emulator.management("DELETE", f"/clients/{client_id}/credentials/{outside}").raise_for_status()
    project.preview("--refresh", "--expect-no-changes")


def _urn(project: PulumiProject, type_: str, name: str) -> str:
    resources = json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
    return next(r["urn"] for r in resources if r["type"] == type_ and r["urn"].endswith(f"::{name}"))


# --- Token quotas ------------------------------------------------------------------------------------------

LEDGER = "ledger-reconciler"
REPORTING = "https://reporting.api.example.com/"


def test_quotas_are_enforced_then_lifted(project, emulator):
    def add_quotas(estate):
        application(estate, LEDGER)["token_quota"] = {"per_hour": 3}
        estate["organizations"]["globex"]["token_quota"] = {"per_hour": 2, "per_day": 20}

    project.edit_config(add_quotas)
    steps = project.preview_steps()
    changes = tenant_changes(steps)
    assert changes == {("update", LEDGER), ("update", "org/globex")}, changes
    project.up()
    outputs = project.outputs(show_secrets=True)
    ledger = outputs["applications"][LEDGER]["client_id"]
    secret = outputs["client_secrets"][LEDGER]
    answers = [emulator.token(ledger, secret, BILLING) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json() == {"error": "too_many_requests", "error_description": "Client quota exceeded"}
    assert answers[2].headers["auth0-client-quota-limit"].startswith("b=per_hour;q=3;r=0;")

    exporter = outputs["applications"]["report-exporter"]["client_id"]
    exporter_secret = outputs["client_secrets"]["report-exporter"]
    globex = outputs["organization_ids"]["globex"]
    by_org = [emulator.token(exporter, exporter_secret, REPORTING, globex) for _ in range(3)]
    assert [a.status_code for a in by_org] == [200, 200, 429]
    assert by_org[2].json()["error_description"] == "Organization quota exceeded"

    # The access check reads the quota headers: it reports what it used and does not count a 429 as a difference.
    report = project.access_check("--application", LEDGER, "--application", "report-exporter")
    flat = " ".join(report.stdout.split())
    assert "application ledger-reconciler" in flat and "organization globex" in flat and "(used up: 429)" in flat
    assert "match the stack config" in flat

    def remove_quotas(estate):
        application(estate, LEDGER).pop("token_quota")
        estate["organizations"]["globex"].pop("token_quota")

    project.edit_config(remove_quotas)
    project.up()
    assert "token_quota" not in emulator.management("GET", f"/clients/{ledger}").json()
    assert "token_quota" not in emulator.management("GET", f"/organizations/{globex}").json()
    assert emulator.token(ledger, secret, BILLING).status_code == 200
    assert emulator.token(exporter, exporter_secret, REPORTING, globex).status_code == 200
    project.preview("--refresh", "--expect-no-changes")


def test_the_access_check_leaves_a_quota_reserve(project, emulator):
    project.edit_config(lambda estate: application(estate, "support-console").__setitem__("token_quota", {"per_hour": 4}))
    project.up()
    result = project.access_check("--application", "support-console", "--quota-reserve", "2")
    flat = " ".join(re.sub(r"[│┃]", " ", result.stdout).split())
    # 4 per hour, 2 kept back: the check uses 2 tokens and skips the rest.
    assert "application support-console 2 per_hour 2/4" in flat, flat
    assert "quota down to its reserve (2)" in flat
    project.edit_config(lambda estate: application(estate, "support-console").pop("token_quota"))
    project.up()


# --- Secret rotation ---------------------------------------------------------------------------------------

def test_rotate_secret_stores_the_new_secret_only_as_a_pulumi_secret(project, emulator):
    before = project.outputs(show_secrets=True)
    client_id = before["applications"][LEDGER]["client_id"]
    old = before["client_secrets"][LEDGER]
    assert emulator.token(client_id, old, BILLING).status_code == 200

    result = project.tool("rotate-secret", LEDGER, "--stack", project.stack, "--yes")
    assert "stored as a Pulumi secret" in result.stdout
    new = project.outputs(show_secrets=True)["client_secrets"][LEDGER]
    assert new != old
    assert emulator.token(client_id, old, BILLING).status_code == 401
    assert emulator.token(client_id, new, BILLING).status_code == 200
    assert project.outputs()["client_secrets"] == "[secret]"
    places = {str(p): p.read_text(errors="replace") for p in project.state_dir.rglob("*") if p.is_file()}
    places["stack file"] = project.stack_file.read_text()
    places["logs"] = "\n".join(project.log)
    for where, text in places.items():
        assert new not in text, f"the new secret appears in plain text in {where}"
    project.preview("--expect-no-changes")


def test_rotate_secret_refuses_key_applications_and_asks_before_rotating(project):
    keyed = project.tool("rotate-secret", APP, "--stack", project.stack, "--yes", check=False)
    assert keyed.returncode != 0 and "rotate its key instead" in keyed.stderr
    unconfirmed = project.tool("rotate-secret", LEDGER, "--stack", project.stack, check=False)
    assert unconfirmed.returncode != 0 and "pass --yes to confirm" in unconfirmed.stderr
