"""Token quotas for client credentials (Auth0's fine-grained M2M token quotas), persisted per window.

A client's ``token_quota.client_credentials`` always applies to its token requests; an organization's
applies when the token carries that organization (named in the request or the client's default). Each
quota has ``per_hour`` and/or ``per_day`` buckets that reset at the UTC hour and the UTC day; ``enforce``
(default true) refuses a request once a bucket is used up with 429 ``too_many_requests``, without it the
request passes and only counts. Responses carry ``Auth0-Client-Quota-Limit`` and
``Auth0-Organization-Quota-Limit`` (``b=per_hour;q=10;r=7;t=3540,b=per_day;q=50;r=47;t=43200``: bucket,
quota, remaining, seconds to reset); a quota 429 also carries ``X-RateLimit-Limit``,
``X-RateLimit-Remaining: 0``, ``X-RateLimit-Reset`` and ``Retry-After`` (facts file, part F.4 and 2.5).

UNKNOWN, chosen here (emulator/README.md): only issued tokens count (refused requests, quota 429s included,
do not); the client quota is checked before the organization's; the organization's 429 text; ``r`` never
goes below 0 for a quota that is not enforced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auth0_emulator import store
from auth0_emulator.errors import OAuthError

# Bucket name -> window length in seconds. Epoch windows of these lengths start at the UTC hour and day.
WINDOWS = (("per_hour", 3600), ("per_day", 86400))
HEADERS = {"client": "Auth0-Client-Quota-Limit", "organization": "Auth0-Organization-Quota-Limit"}
EXCEEDED = {"client": "Client quota exceeded", "organization": "Organization quota exceeded"}


@dataclass
class Bucket:
    kind: str
    subject_id: str
    name: str
    limit: int
    enforce: bool
    window_start: int
    reset_at: int
    used: int

    def header_part(self, now: int) -> str:
        return f"b={self.name};q={self.limit};r={max(self.limit - self.used, 0)};t={self.reset_at - now}"


def _buckets(conn: Any, kind: str, subject_id: str, token_quota: Any, now: int) -> list[Bucket]:
    settings = (token_quota or {}).get("client_credentials") if isinstance(token_quota, dict) else None
    if not isinstance(settings, dict):
        return []
    enforce = settings.get("enforce", True) is not False
    found = []
    for name, length in WINDOWS:
        limit = settings.get(name)
        if not isinstance(limit, int) or isinstance(limit, bool):
            continue
        start = now - now % length
        used = store.quota_used(conn, kind, subject_id, name, start)
        found.append(Bucket(kind, subject_id, name, limit, enforce, start, start + length, used))
    return found


def applicable(conn: Any, client: dict[str, Any], org_id: str | None, now: int) -> list[Bucket]:
    """The quota buckets a token for ``client`` (carrying ``org_id``) counts against, client's first."""
    buckets = _buckets(conn, "client", client["client_id"], client.get("token_quota"), now)
    if org_id is not None:
        org = store.get_org(conn, org_id)
        if org is not None:
            buckets += _buckets(conn, "organization", org_id, org.get("token_quota"), now)
    return buckets


def headers(buckets: list[Bucket], now: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind, header in HEADERS.items():
        parts = [b.header_part(now) for b in buckets if b.kind == kind]
        if parts:
            out[header] = ",".join(parts)
    return out


def admit(conn: Any, client: dict[str, Any], org_id: str | None, now: int) -> dict[str, str]:
    """Count one issued token (in a write transaction); refuse it when an enforced bucket is used up.

    Returns the quota headers for the response.
    """
    buckets = applicable(conn, client, org_id, now)
    for bucket in buckets:
        if bucket.enforce and bucket.used >= bucket.limit:
            raise exceeded(bucket, buckets, now)
    for bucket in buckets:
        bucket.used += 1
        store.set_quota_used(conn, bucket.kind, bucket.subject_id, bucket.name, bucket.window_start, bucket.used)
    return headers(buckets, now)


def exceeded(bucket: Bucket, buckets: list[Bucket], now: int) -> OAuthError:
    retry_after = max(bucket.reset_at - now, 1)
    return OAuthError(
        429,
        "too_many_requests",
        EXCEEDED[bucket.kind],
        headers={
            **headers(buckets, now),
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(bucket.reset_at),
            "Retry-After": str(retry_after),
        },
    )
