"""Running the emulator: TLS, the listening socket, ``connection.json``, signals.

``connection.json`` is written atomically (temp file + rename) only once uvicorn
has started serving on the socket, and removed again on shutdown, so a script that
waits for the file never reads a stale port.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from pathlib import Path
from typing import Any

import uvicorn

from auth0_emulator import certs, keys, private, store, tenant as tenant_mod
from auth0_emulator.app import create_app
from auth0_emulator.controls import Controls, Settings

CONNECTION_FILE = "connection.json"
HOST = "127.0.0.1"

log = logging.getLogger("auth0_emulator")


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def bind(port: int) -> socket.socket:
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections (it checks the
    # protocol number); without it, a response's header and body writes wait on Nagle.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((HOST, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def build_tenant(data_dir: Path, domain: str, settings: Settings | None = None) -> tenant_mod.Tenant:
    data_store = store.Store(data_dir)
    tenant_mod.bootstrap(data_store, domain)
    with data_store.read() as conn:
        keyring = keys.KeyRing(store.signing_keys(conn))
    return tenant_mod.Tenant(
        store=data_store, domain=domain, keyring=keyring, controls=Controls(settings or Settings())
    )


async def _announce(server: uvicorn.Server, path: Path, data: dict[str, Any]) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.02)
    write_json_atomic(path, data)
    log.info("auth0-emulator ready at https://%s/ (%s)", data["domain"], path)


def serve(
    port: int,
    data_dir: Path,
    *,
    settings: Settings | None = None,
    log_level: str = "warning",
    access_log: bool = False,
) -> None:
    data_dir = data_dir.resolve()
    private.private_umask()
    private.private_directory(data_dir)
    connection_path = data_dir / CONNECTION_FILE
    connection_path.unlink(missing_ok=True)

    tls = certs.ensure_tls(data_dir)
    sock = bind(port)
    actual_port = sock.getsockname()[1]
    domain = f"localhost:{actual_port}"
    tenant = build_tenant(data_dir, domain, settings)
    client_id, client_secret = tenant.management_client()
    connection = {
        "domain": domain,
        "ca_cert": str(tls.ca_cert),
        "client_id": client_id,
        "client_secret": client_secret,
        "audience": tenant.management_audience,
    }

    config = uvicorn.Config(
        create_app(tenant),
        ssl_certfile=str(tls.server_cert),
        ssl_keyfile=str(tls.server_key),
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        announcer = asyncio.create_task(_announce(server, connection_path, connection))
        try:
            await server.serve(sockets=[sock])
        finally:
            announcer.cancel()

    def stop(signum: int, frame: object) -> None:
        # uvicorn handles SIGTERM/SIGINT while serving (graceful shutdown) and re-raises the
        # signal to the previous handler afterwards; by then this is a no-op and the process
        # exits 0 after cleaning up.  Before uvicorn has taken over, it stops the start-up.
        if not server.should_exit:
            raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)

    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.WARNING), format="%(message)s")
    try:
        asyncio.run(main())
    finally:
        connection_path.unlink(missing_ok=True)
        tenant.store.close()
        sock.close()
