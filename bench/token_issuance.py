"""Benchmark: client-credentials token issuance by the local Auth0 tenant emulator.

Starts an emulator in a temporary directory, creates a client, an API and a grant
through the Management API, then sends ``requests`` token requests from
``concurrency`` threads (each with its own keep-alive HTTPS connection) and reports
throughput and latency percentiles.  Every response must be a 200 with a token.

    python bench/token_issuance.py [--requests N] [--concurrency C] [--json]

A bench runner can import it and call ``run(requests, concurrency) -> dict``.
This is a measurement, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "emulator") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO / "emulator"))

from auth0_emulator import process  # noqa: E402


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def _setup(emulator: process.RunningEmulator) -> dict[str, str]:
    with emulator.management_client() as http:
        api = http.post(
            "/api/v2/resource-servers",
            json={"identifier": "https://bench.example.com/", "name": "Bench", "scopes": [{"value": "read:bench"}]},
        )
        api.raise_for_status()
        client = http.post(
            "/api/v2/clients",
            json={"name": "bench", "app_type": "non_interactive", "grant_types": ["client_credentials"]},
        )
        client.raise_for_status()
        grant = http.post(
            "/api/v2/client-grants",
            json={"client_id": client.json()["client_id"], "audience": "https://bench.example.com/", "scope": ["read:bench"]},
        )
        grant.raise_for_status()
    return {
        "grant_type": "client_credentials",
        "client_id": client.json()["client_id"],
        "client_secret": client.json()["client_secret"],
        "audience": "https://bench.example.com/",
    }


def run(requests: int = 2000, concurrency: int = 8) -> dict[str, Any]:
    """Run the benchmark; return requests/s and latency percentiles (milliseconds)."""
    if requests < 1 or concurrency < 1:
        raise ValueError("requests and concurrency must be positive")
    with tempfile.TemporaryDirectory(prefix="auth0-bench-") as tmp, process.start(Path(tmp) / "tenant") as emulator:
        form = _setup(emulator)
        local = threading.local()
        clients = []
        lock = threading.Lock()

        def http():
            if not hasattr(local, "client"):
                local.client = emulator.client()
                with lock:
                    clients.append(local.client)
            return local.client

        def one(_: int) -> float:
            client = http()
            started = time.perf_counter()
            response = client.post("/oauth/token", data=form)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or "access_token" not in response.json():
                raise RuntimeError(f"token request failed: {response.status_code} {response.text[:200]}")
            return elapsed

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            # Warm up: open every worker's connection (TLS handshake) outside the measurement.
            list(pool.map(one, range(concurrency)))
            started = time.perf_counter()
            latencies = sorted(pool.map(one, range(requests)))
            wall = time.perf_counter() - started
        for client in clients:
            client.close()
    return {
        "benchmark": "token_issuance",
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(wall, 3),
        "requests_per_second": round(requests / wall, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.requests, args.concurrency)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"token issuance: {result['requests']} requests, concurrency {result['concurrency']}: "
            f"{result['requests_per_second']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
            f"(mean {result['mean_ms']} ms, max {result['max_ms']} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
