"""A restart with the same data directory keeps every object, secret and signing key."""

from __future__ import annotations

import json
import subprocess
import sys

import jwt

from auth0_emulator import process


def _setup(running: process.RunningEmulator) -> dict:
    with running.management_client() as http:
        api = http.post("/api/v2/resource-servers", json={"identifier": "https://persist.example.com/", "scopes": [{"value": "read:p"}]}).json()
        client = http.post("/api/v2/clients", json={"name": "persist", "grant_types": ["client_credentials"]}).json()
        grant = http.post("/api/v2/client-grants", json={"client_id": client["client_id"], "audience": api["identifier"], "scope": ["read:p"], "organization_usage": "allow"}).json()
        org = http.post("/api/v2/organizations", json={"name": "persist-org", "metadata": {"k": "v"}}).json()
        assert http.post(f"/api/v2/organizations/{org['id']}/client-grants", json={"grant_id": grant["id"]}).status_code == 201
    with running.client() as http:
        token = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"], "audience": api["identifier"], "organization": org["id"]}).json()["access_token"]
    return {"api": api, "client": client, "grant": grant, "org": org, "token": token}


def _verify(running: process.RunningEmulator, token: str, audience: str) -> dict:
    with running.client() as http:
        jwks = jwt.PyJWKSet.from_dict(http.get("/.well-known/jwks.json").json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience)


def test_restart_keeps_objects_secrets_and_signing_key(tmp_path):
    data_dir = tmp_path / "tenant"
    first = process.start(data_dir)
    try:
        made = _setup(first)
        connection = first.connection
        management_token = first.management_token()
        state_before = first.client().get("/__emulator/state").json()
        ca_before = (data_dir / "ca.pem").read_bytes()
    finally:
        assert first.stop() == 0  # SIGTERM stops it cleanly
    assert not (data_dir / "connection.json").exists()

    port = int(connection["domain"].split(":")[1])
    second = process.start(data_dir, port=port)
    try:
        assert second.connection == connection  # same management client, secret, CA path
        assert (data_dir / "ca.pem").read_bytes() == ca_before
        assert second.client().get("/__emulator/state").json() == state_before
        # A token issued before the restart verifies after it, and still works as a management token.
        assert _verify(second, made["token"], made["api"]["identifier"])["org_id"] == made["org"]["id"]
        with second.client(headers={"Authorization": f"Bearer {management_token}"}) as http:
            got = http.get(f"/api/v2/clients/{made['client']['client_id']}").json()
        assert got["client_secret"] == made["client"]["client_secret"]
        with second.client() as http:
            response = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": made["client"]["client_id"], "client_secret": made["client"]["client_secret"], "audience": made["api"]["identifier"], "organization": made["org"]["id"]})
        assert response.status_code == 200, response.text
    finally:
        second.stop()


def test_restart_on_another_port_moves_the_management_api(tmp_path):
    data_dir = tmp_path / "tenant"
    first = process.start(data_dir)
    client_id = first.connection["client_id"]
    first.stop()
    second = process.start(data_dir)  # port 0: most likely another port
    try:
        assert second.connection["client_id"] == client_id
        assert second.connection["audience"] == f"https://{second.connection['domain']}/api/v2/"
        with second.management_client() as http:
            assert http.get("/api/v2/clients").status_code == 200
    finally:
        second.stop()


def test_state_command_prints_the_tenant_without_secrets(tmp_path):
    data_dir = tmp_path / "tenant"
    running = process.start(data_dir)
    try:
        made = _setup(running)
    finally:
        running.stop()
    result = subprocess.run(
        [sys.executable, "-m", "auth0_emulator", "state", "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=True,
    )
    dump = json.loads(result.stdout)
    assert made["client"]["client_secret"] not in result.stdout
    assert "PRIVATE KEY" not in result.stdout
    assert {c["client_id"] for c in dump["clients"]} >= {made["client"]["client_id"]}
    assert [o["id"] for o in dump["organizations"]] == [made["org"]["id"]]
    assert dump["organization_client_grants"] == [{"organization_id": made["org"]["id"], "grant_id": made["grant"]["id"]}]
    assert any(rs["is_system"] for rs in dump["resource_servers"])
    assert all("client_secret" not in c for c in dump["clients"])


def test_state_command_without_a_tenant_fails(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "auth0_emulator", "state", "--data-dir", str(tmp_path / "none")],
        capture_output=True, text=True,
    )
    assert result.returncode == 1 and "no tenant" in result.stderr


def test_connection_json_and_tls(fresh_emulator):
    connection = fresh_emulator.connection
    assert set(connection) == {"domain", "ca_cert", "client_id", "client_secret", "audience"}
    assert connection["domain"].startswith("localhost:")
    assert connection["ca_cert"].startswith("/")
    assert connection["audience"] == f"https://{connection['domain']}/api/v2/"
    import ssl
    import socket

    port = int(connection["domain"].split(":")[1])
    context = ssl.create_default_context(cafile=connection["ca_cert"])
    for host in ("localhost", "127.0.0.1"):
        with socket.create_connection(("127.0.0.1", port)) as sock, context.wrap_socket(sock, server_hostname=host) as tls:
            assert tls.version() is not None
