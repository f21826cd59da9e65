"""``auth0-emulator``: run the emulator, or print a tenant's state without it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from auth0_emulator.controls import Settings, validate_settings


def _ratio(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auth0-emulator", description="A local Auth0 tenant emulator (Management API v2 + client credentials)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve HTTPS on 127.0.0.1:PORT with the tenant in DIR")
    serve.add_argument("--port", type=int, required=True, help="port to listen on (0 picks a free one)")
    serve.add_argument("--data-dir", type=Path, required=True, help="tenant directory (SQLite, CA, connection.json)")
    serve.add_argument("--rate-limit-burst", type=int, default=None, help="token bucket size (Management API)")
    serve.add_argument("--rate-limit-rate", type=float, default=None, help="token refill rate per second")
    serve.add_argument("--fault-429", type=_ratio, default=0.0, help="ratio of Management API requests answered 429")
    serve.add_argument("--fault-5xx", type=_ratio, default=0.0, help="ratio of Management API requests answered 503")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="added latency per Management API request")
    serve.add_argument("--fault-seed", type=int, default=None, help="seed for fault injection (reproducible runs)")
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--access-log", action="store_true", help="log every request")

    state = sub.add_parser("state", help="print the tenant (without secrets) from DIR's SQLite")
    state.add_argument("--data-dir", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from auth0_emulator.server import serve

        settings = {
            "fault_429": args.fault_429,
            "fault_5xx": args.fault_5xx,
            "latency_ms": args.latency_ms,
            "rate_limit_burst": args.rate_limit_burst,
            "rate_limit_rate": args.rate_limit_rate,
            "seed": args.fault_seed,
        }
        try:
            validate_settings(settings)
        except ValueError as err:
            print(f"auth0-emulator: {err}", file=sys.stderr)
            return 2
        try:
            serve(args.port, args.data_dir, settings=Settings(**settings), log_level=args.log_level, access_log=args.access_log)
        except OSError as err:
            print(f"auth0-emulator: cannot serve on 127.0.0.1:{args.port}: {err.strerror or err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "state":
        from auth0_emulator import store

        try:
            data_store = store.Store(args.data_dir, read_only=True)
        except FileNotFoundError:
            print(f"auth0-emulator: no tenant in {args.data_dir}", file=sys.stderr)
            return 1
        with data_store.read() as conn:
            print(json.dumps(store.dump(conn), indent=2))
        return 0
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
