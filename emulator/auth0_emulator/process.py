"""Start and stop an emulator subprocess (used by the replay suite, the benchmark and
tests).  It runs ``python -m auth0_emulator serve`` and waits for
``connection.json``, which the server writes only once it accepts connections."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from auth0_emulator import private


@dataclass
class RunningEmulator:
    process: subprocess.Popen[bytes]
    data_dir: Path
    connection: dict[str, Any]
    log_path: Path
    _token: str | None = field(default=None, repr=False)
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"https://{self.connection['domain']}"

    @property
    def ca_cert(self) -> str:
        return self.connection["ca_cert"]

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=self.ca_cert)
        return self._ssl

    def client(self, **kwargs: Any) -> httpx.Client:
        # TCP_NODELAY: without it every keep-alive request waits out a 40 ms delayed ACK.
        transport = httpx.HTTPTransport(
            verify=self.ssl_context(), socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        return httpx.Client(base_url=self.base_url, transport=transport, timeout=30, **kwargs)

    def management_token(self, refresh: bool = False) -> str:
        if self._token is None or refresh:
            with self.client() as http:
                response = http.post(
                    "/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.connection["client_id"],
                        "client_secret": self.connection["client_secret"],
                        "audience": self.connection["audience"],
                    },
                )
                response.raise_for_status()
                self._token = response.json()["access_token"]
        return self._token

    def management_client(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {self.management_token()}"})

    def stop(self, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    data_dir: Path, *, port: int = 0, args: list[str] | None = None, timeout: float = 30
) -> RunningEmulator:
    data_dir = private.private_directory(Path(data_dir).resolve())
    connection_path = data_dir / "connection.json"
    connection_path.unlink(missing_ok=True)
    log_path = data_dir / "emulator.log"
    log = private.open_private(log_path)
    command = [sys.executable, "-m", "auth0_emulator", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        command + list(args or []), stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"auth0-emulator exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        if connection_path.exists():
            connection = json.loads(connection_path.read_text())
            return RunningEmulator(process=process, data_dir=data_dir, connection=connection, log_path=log_path)
        time.sleep(0.05)
    process.kill()
    raise TimeoutError(f"auth0-emulator did not start within {timeout}s: {log_path.read_text()[-2000:]}")
