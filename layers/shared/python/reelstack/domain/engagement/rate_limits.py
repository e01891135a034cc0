"""Rate limits: token-bucket parameters per route, read from one settings string, and the refusal.

Grammar (`RATE_LIMITS` setting): `route=<rate>/<unit>[:burst=<n>]` joined by `;`, unit one of
`s`, `m`, `h`; e.g. `like=10/s:burst=20;play=30/s:burst=60`. Without `burst` the bucket holds one
second's worth of tokens (at least 1). A bucket of `burst` tokens refills at `rate_per_s`; a request
takes one token, and when none is left the caller learns how long until one is back (`retry_after_s`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Protocol

from reelstack.errors import TooManyRequests

LIKE_ROUTE = "like"
PLAY_ROUTE = "play"
# The API's own buckets, taken once the caller is authenticated (functions/api/app.py `endpoint`).
READ_ROUTE = "read"  # the GET routes but playback
PLAYBACK_ROUTE = "playback"  # may start a Glacier restore
UPLOAD_ROUTE = "upload"  # POST /uploads
PRESIGN_ROUTE = "presign"  # POST /uploads/{id}/parts
COMPLETE_ROUTE = "complete"
ARCHIVE_ROUTE = "archive"
FOLLOW_ROUTE = "follow"  # POST and DELETE /users/{id}/follow
COMMENT_ROUTE = "comment"  # POST /videos/{id}/comments
SHARE_ROUTE = "share"  # POST /videos/{id}/share

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_RULE = re.compile(
    r"^(?P<route>[a-z][a-z0-9_-]*)=(?P<rate>\d+(?:\.\d+)?)/(?P<unit>[smh])(?::burst=(?P<burst>\d+))?$"
)


@dataclass(frozen=True)
class TokenBucket:
    rate_per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError(f"a token bucket needs a positive rate and burst >= 1, not {self}")

    def refill_s(self) -> float:
        """Seconds to fill an empty bucket: how long an idle bucket must be kept at most."""
        return self.burst / self.rate_per_s


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: float  # 0.0 when allowed
    remaining: float  # tokens left after this request


def parse_rate_limits(text: str) -> dict[str, TokenBucket]:
    """`like=10/s:burst=20;play=30/s:burst=60` -> {"like": TokenBucket(10, 20), ...}; "" -> {}."""
    buckets: dict[str, TokenBucket] = {}
    for raw in text.split(";"):
        rule = raw.strip().replace(" ", "")
        if not rule:
            continue
        match = _RULE.match(rule)
        if match is None:
            raise ValueError(f"rate limit {raw.strip()!r} is not 'route=<n>/<s|m|h>[:burst=<n>]'")
        route = match["route"]
        if route in buckets:
            raise ValueError(f"rate limit for {route!r} is given twice")
        rate = float(match["rate"]) / _UNITS[match["unit"]]
        burst = int(match["burst"]) if match["burst"] else max(1, math.ceil(rate))
        buckets[route] = TokenBucket(rate_per_s=rate, burst=burst)
    return buckets


def take(bucket: TokenBucket, tokens: float, elapsed_s: float, cost: float = 1.0) -> tuple[Decision, float]:
    """The bucket's arithmetic (the Redis script does the same): refill for `elapsed_s`, then try to
    take `cost`. Returns the decision and the tokens left to store."""
    level = min(float(bucket.burst), tokens + max(elapsed_s, 0.0) * bucket.rate_per_s)
    if level >= cost:
        return Decision(True, 0.0, level - cost), level - cost
    return Decision(False, (cost - level) / bucket.rate_per_s, level), level


def refusal(route: str, decision: Decision) -> TooManyRequests:
    details: dict[str, Any] = {"retry_after_s": round(decision.retry_after_s, 3), "route": route}
    return TooManyRequests(f"too many {route} requests; retry in {decision.retry_after_s:.2f} s", **details)


class Limiter(Protocol):
    """What a use case needs of a rate limiter: take a token or raise `TooManyRequests`."""

    def enforce(self, user_id: str, route: str, cost: float = 1.0) -> Decision: ...
