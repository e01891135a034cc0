"""The rate limiter's per-instance fallback buckets: the same arithmetic as Redis's, bounded memory."""

from __future__ import annotations

import pytest

from reelstack.domain.engagement.local_buckets import LocalBuckets
from reelstack.domain.engagement.rate_limits import TokenBucket

BUCKET = TokenBucket(rate_per_s=2, burst=3)


def test_a_bucket_allows_its_burst_then_refuses_until_it_refills() -> None:
    # GIVEN empty fallback buckets WHEN a user takes 4 tokens at once
    buckets = LocalBuckets()
    decisions = [buckets.take("u", "like", BUCKET, 100.0) for _ in range(4)]
    # THEN the burst passes, the 4th is refused with the time until a token is back
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after_s == pytest.approx(0.5)
    # AND half a second later one token is back, and only one
    assert buckets.take("u", "like", BUCKET, 100.5).allowed
    assert not buckets.take("u", "like", BUCKET, 100.5).allowed
    # AND each (user, route) has a bucket of its own
    assert buckets.take("u", "play", BUCKET, 100.5).allowed
    assert buckets.take("v", "like", BUCKET, 100.5).allowed


def test_memory_is_bounded_the_least_recently_used_bucket_is_forgotten() -> None:
    # GIVEN room for two buckets, both drained
    buckets = LocalBuckets(capacity=2)
    for user in ("a", "b"):
        for _ in range(3):
            buckets.take(user, "like", BUCKET, 0.0)
    assert not buckets.take("a", "like", BUCKET, 0.0).allowed  # "a" is now the most recently used
    # WHEN a third user arrives
    buckets.take("c", "like", BUCKET, 0.0)
    # THEN only two buckets are kept: "b" (least recently used) was forgotten and starts full again
    assert len(buckets) == 2
    assert buckets.take("b", "like", BUCKET, 0.0).remaining == pytest.approx(2.0)
    assert len(buckets) == 2
    with pytest.raises(ValueError):
        LocalBuckets(capacity=0)
