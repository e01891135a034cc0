"""Rate limits, pure: the settings grammar, the bucket's arithmetic and the refusal it raises."""

from __future__ import annotations

import pytest

from reelstack.domain.engagement.rate_limits import (
    TokenBucket,
    TooManyRequests,
    parse_rate_limits,
    refusal,
    take,
)


def test_the_settings_string_gives_one_bucket_per_route() -> None:
    limits = parse_rate_limits("like=10/s:burst=20; play=30/s:burst=60;follow=120/m;upload=2/h:burst=5")
    assert limits == {
        "like": TokenBucket(10.0, 20),
        "play": TokenBucket(30.0, 60),
        "follow": TokenBucket(2.0, 2),  # no burst: one second's worth
        "upload": TokenBucket(2 / 3600, 5),
    }
    assert limits["upload"].refill_s() == pytest.approx(9000)
    assert parse_rate_limits("") == {}
    assert parse_rate_limits("x=1/h") == {"x": TokenBucket(1 / 3600, 1)}


@pytest.mark.parametrize(
    "text", ["like", "like=10", "like=10/d", "like=ten/s", "like=10/s:burst=x", "like=0/s", "a=1/s;a=2/s"]
)
def test_a_malformed_setting_fails_loudly(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate_limits(text)


def test_a_bucket_allows_its_burst_then_refuses_with_the_time_to_the_next_token() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=20)
    tokens = 20.0
    for _ in range(20):
        decision, tokens = take(bucket, tokens, elapsed_s=0)
        assert decision.allowed
    decision, tokens = take(bucket, tokens, elapsed_s=0)
    assert not decision.allowed and decision.retry_after_s == pytest.approx(0.1)
    # 50 ms later half a token is back: still refused, 50 ms to go
    decision, tokens = take(bucket, tokens, elapsed_s=0.05)
    assert not decision.allowed and decision.retry_after_s == pytest.approx(0.05)
    decision, tokens = take(bucket, tokens, elapsed_s=0.05)
    assert decision.allowed
    # a long pause refills to the burst, no further
    decision, tokens = take(bucket, tokens, elapsed_s=3600)
    assert decision.remaining == pytest.approx(19)


def test_the_refusal_is_a_coded_error_with_a_retry_after() -> None:
    bucket = TokenBucket(rate_per_s=0.5, burst=1)
    decision, _ = take(bucket, 0.2, elapsed_s=0)
    error = refusal("like", decision)
    assert isinstance(error, TooManyRequests)
    assert error.code == "rate_limited"
    assert error.retry_after_s == pytest.approx(1.6)
    assert error.retry_after_header == "2"
    assert error.to_dict()["retry_after_s"] == pytest.approx(1.6)


def test_a_refusal_is_a_429_with_a_whole_second_retry_after() -> None:
    # GIVEN a refusal 0.2 s before the next token WHEN mapped to HTTP THEN 429 and Retry-After: 1
    from reelstack.errors import TooManyRequests
    from reelstack.http_errors import headers_for, status_for

    refused = TooManyRequests("slow down", retry_after_s=0.2)
    assert (status_for(refused), headers_for(refused)) == (429, {"Retry-After": "1"})
