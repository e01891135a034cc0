"""Token buckets kept in this process: the rate limiter's fallback while Redis cannot be reached.

One bucket per (user, route), the same rates and bursts as the Redis buckets, refilled with the same
arithmetic (`rate_limits.take`). Memory is bounded: at most `capacity` buckets, the least recently
used one forgotten first (a forgotten bucket starts full again, as an expired Redis bucket does).
The buckets are per instance: with N API instances a user may get up to N times the rate while
Redis is down -- still a cap, where failing open had none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from reelstack.domain.engagement.rate_limits import Decision, TokenBucket, take

DEFAULT_CAPACITY = 10_000


class LocalBuckets:
    """`take(user, route, bucket, now_s, cost)` -> Decision, thread-safe, LRU-bounded."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("local buckets need a capacity of at least 1")
        self.capacity = capacity
        self._levels: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()  # tokens, at_s
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._levels)

    def take(
        self, user_id: str, route: str, bucket: TokenBucket, now_s: float, cost: float = 1.0
    ) -> Decision:
        key = (user_id, route)
        with self._lock:
            tokens, at_s = self._levels.pop(key, (float(bucket.burst), now_s))
            decision, left = take(bucket, tokens, now_s - at_s, cost)
            self._levels[key] = (left, max(now_s, at_s))
            while len(self._levels) > self.capacity:
                self._levels.popitem(last=False)
        return decision
