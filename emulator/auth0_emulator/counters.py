"""Request counters for drift tests and benchmarks (``GET /__emulator/requests``).

Counts Management API and token-endpoint requests by method and route template
(``GET /api/v2/clients/{id}``), including requests that were answered with an
injected fault or a rate-limit 429: they are what the client sent.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.total = 0
            self.writes = 0
            self.by_route: Counter[str] = Counter()
            self.by_status: Counter[str] = Counter()
            self.faults = 0
            self.rate_limited = 0

    def count(self, method: str, template: str) -> None:
        with self._lock:
            self.total += 1
            if method in WRITE_METHODS:
                self.writes += 1
            self.by_route[f"{method} {template}"] += 1

    def status(self, status: int) -> None:
        with self._lock:
            self.by_status[str(status)] += 1

    def refused(self, reason: str) -> None:
        """A request refused before reaching its handler: an injected fault or the rate limit."""
        with self._lock:
            if reason == "rate_limit":
                self.rate_limited += 1
            else:
                self.faults += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "writes": self.writes,
                "by_route": dict(sorted(self.by_route.items())),
                "by_status": dict(sorted(self.by_status.items())),
                "faults": self.faults,
                "rate_limited": self.rate_limited,
            }
