"""Rate limiting and fault injection for the Management API.

Rate limiting follows Auth0's model: a global token bucket (burst + sustained rate),
``x-ratelimit-limit`` / ``-remaining`` / ``-reset`` on every Management API
response, and a 429 with ``Global limit has been reached`` when the bucket is
empty.  ``x-ratelimit-reset`` is the epoch second by which a token is available
again.  That matters: the provider retries 429 without limit, sleeping
``reset - now``, so the reset must be correct and in the future.

Faults are applied before the request is authenticated or touches any state, so
a faulted write changes nothing.  All settings can be changed at runtime through
``PUT /__emulator/faults``.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from auth0_emulator.errors import ApiError

# Headers a response carries when no rate limit is configured.
UNLIMITED = 1000


@dataclass
class Settings:
    fault_429: float = 0.0
    fault_5xx: float = 0.0
    latency_ms: float = 0.0
    rate_limit_burst: int | None = None
    rate_limit_rate: float | None = None
    seed: int | None = None


class TokenBucket:
    def __init__(self, burst: int, rate: float, clock=time.time) -> None:
        self.burst = burst
        self.rate = rate
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def _refill(self, now: float) -> None:
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self) -> tuple[bool, dict[str, str]]:
        now = self.clock()
        self._refill(now)
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        if self.tokens >= 1.0:
            reset = math.ceil(now)
        else:
            # When the next whole token will be in the bucket; ceil keeps it at or after that.
            reset = math.ceil(now + (1.0 - self.tokens) / self.rate)
            if reset <= now:
                reset = math.floor(now) + 1
        headers = {
            "x-ratelimit-limit": str(self.burst),
            "x-ratelimit-remaining": str(max(0, math.floor(self.tokens))),
            "x-ratelimit-reset": str(reset),
        }
        return allowed, headers


class Refused(ApiError):
    """A request refused by the controls; ``reason`` is rate_limit, fault_429 or fault_5xx."""

    def __init__(self, reason: str, status: int, message: str, error_code: str, headers: dict[str, str]):
        super().__init__(status, message, error_code, headers=headers)
        self.reason = reason


def rate_limited(headers: dict[str, str], reason: str = "rate_limit") -> Refused:
    return Refused(reason, 429, "Global limit has been reached", "too_many_requests", headers)


def service_unavailable(headers: dict[str, str]) -> Refused:
    return Refused(
        "fault_5xx",
        503,
        "The service is temporarily unavailable. Please try again later.",
        "service_unavailable",
        headers,
    )


def validate_settings(update: dict[str, Any]) -> dict[str, Any]:
    allowed = set(Settings.__dataclass_fields__)
    unknown = sorted(set(update) - allowed)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
    for name in ("fault_429", "fault_5xx"):
        if name in update:
            value = update[name]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
    if "latency_ms" in update:
        value = update["latency_ms"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ValueError("latency_ms must be a non-negative number")
    burst, rate = update.get("rate_limit_burst"), update.get("rate_limit_rate")
    if burst is not None and (not isinstance(burst, int) or isinstance(burst, bool) or burst < 1):
        raise ValueError("rate_limit_burst must be a positive integer or null")
    if rate is not None and (not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate <= 0):
        raise ValueError("rate_limit_rate must be a positive number or null")
    if "seed" in update and update["seed"] is not None and not isinstance(update["seed"], int):
        raise ValueError("seed must be an integer or null")
    return update


class Controls:
    def __init__(self, settings: Settings | None = None) -> None:
        self._lock = threading.Lock()
        self.settings = Settings()
        self.bucket: TokenBucket | None = None
        self.random = random.Random()
        self.update(asdict(settings or Settings()))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self.settings)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        validate_settings(changes)
        with self._lock:
            merged = {**asdict(self.settings), **changes}
            self.settings = Settings(**merged)
            if "seed" in changes:
                self.random = random.Random(self.settings.seed)
            burst, rate = self.settings.rate_limit_burst, self.settings.rate_limit_rate
            if burst is None and rate is None:
                self.bucket = None
            elif "rate_limit_burst" in changes or "rate_limit_rate" in changes or self.bucket is None:
                # One of the two alone: the other defaults to Auth0's non-production global limit.
                self.bucket = TokenBucket(burst or 10, rate or 2.0)
        return self.snapshot()

    async def before(self) -> dict[str, str]:
        """Apply latency, the rate limit and faults; return rate-limit headers.

        Raises ApiError (429 or 503) when the request must be refused.
        """
        settings = self.settings
        if settings.latency_ms > 0:
            await asyncio.sleep(settings.latency_ms / 1000.0)
        with self._lock:
            if self.bucket is not None:
                allowed, headers = self.bucket.take()
                if not allowed:
                    raise rate_limited(headers)
            else:
                headers = {
                    "x-ratelimit-limit": str(UNLIMITED),
                    "x-ratelimit-remaining": str(UNLIMITED - 1),
                    "x-ratelimit-reset": str(math.ceil(time.time())),
                }
            roll_429 = self.random.random()
            roll_5xx = self.random.random()
        if settings.fault_429 > 0 and roll_429 < settings.fault_429:
            # An injected 429 still tells the client when to come back: the next second.
            faulted = dict(headers)
            faulted["x-ratelimit-remaining"] = "0"
            faulted["x-ratelimit-reset"] = str(math.floor(time.time()) + 1)
            raise rate_limited(faulted, "fault_429")
        if settings.fault_5xx > 0 and roll_5xx < settings.fault_5xx:
            raise service_unavailable(headers)
        return headers
