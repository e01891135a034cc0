"""Retry classification and the backoff schedule."""

from __future__ import annotations

import http.client
import random
import ssl

import pytest

from reelstack_tools.uploader.retry import (
    RetryPolicy,
    Verdict,
    classify_exception,
    classify_status,
    parse_retry_after,
    parse_s3_error,
)

EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)
BAD_SIGNATURE = b"<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated...</Message></Error>"
BAD_DIGEST = b"<Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match</Message></Error>"
SLOW = (
    b"<Error><Code>RequestTimeout</Code><Message>Your socket connection was not read from</Message></Error>"
)


def test_the_schedule_grows_exponentially_with_jitter_and_stays_bounded() -> None:
    # GIVEN the default policy (6 attempts, 0.5 s base, 20 s cap)
    policy = RetryPolicy()
    rng = random.Random(42)
    # WHEN many schedules are drawn
    schedules = [policy.schedule(rng) for _ in range(200)]
    # THEN each has one wait per retry, each wait lies in [ceiling/2, ceiling], ceiling = min(cap, base*2^(n-1))
    for schedule in schedules:
        assert len(schedule) == policy.max_attempts - 1
        for n, wait in enumerate(schedule, start=1):
            ceiling = min(policy.max_delay, policy.base_delay * 2 ** (n - 1))
            assert ceiling / 2 <= wait <= ceiling
    # AND the jitter really spreads the waits
    assert len({round(s[0], 6) for s in schedules}) > 100


def test_the_cap_bounds_late_retries() -> None:
    # GIVEN a policy with a 3 s cap WHEN the 10th retry waits THEN it waits at most 3 s and at least 1.5 s
    policy = RetryPolicy(max_attempts=12, base_delay=1.0, max_delay=3.0)
    assert all(1.5 <= policy.delay(10, random.Random(n)) <= 3.0 for n in range(50))


def test_retry_numbers_start_at_one() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().delay(0)


@pytest.mark.parametrize(
    ("status", "body", "verdict", "code"),
    [
        (200, b"", Verdict.OK, "ok"),
        (204, b"", Verdict.OK, "ok"),
        (403, EXPIRED, Verdict.REFRESH, "AccessDenied"),
        (403, BAD_SIGNATURE, Verdict.REFRESH, "SignatureDoesNotMatch"),
        (400, BAD_DIGEST, Verdict.DIGEST, "BadDigest"),
        (400, SLOW, Verdict.RETRY, "RequestTimeout"),
        (408, b"", Verdict.RETRY, "http_408"),
        (429, b"", Verdict.RETRY, "http_429"),
        (500, b"<Error><Code>InternalError</Code></Error>", Verdict.RETRY, "InternalError"),
        (503, b"<Error><Code>SlowDown</Code></Error>", Verdict.RETRY, "SlowDown"),
        (502, b"bad gateway", Verdict.RETRY, "http_502"),
        (
            400,
            b"<Error><Code>InvalidArgument</Code><Message>Part number</Message></Error>",
            Verdict.FATAL,
            "InvalidArgument",
        ),
        (404, b"<Error><Code>NoSuchUpload</Code></Error>", Verdict.FATAL, "NoSuchUpload"),
        (413, b"", Verdict.FATAL, "http_413"),
    ],
)
def test_put_answers_are_classified(status: int, body: bytes, verdict: Verdict, code: str) -> None:
    # GIVEN an answer to a chunk PUT WHEN classified THEN the verdict and the code are as expected
    outcome = classify_status(status, body)
    assert (outcome.verdict, outcome.code) == (verdict, code)


def test_an_expired_url_carries_s3s_message() -> None:
    # GIVEN S3's expiry answer WHEN classified THEN its message is kept for the user
    assert classify_status(403, EXPIRED).message == "Request has expired"
    assert parse_s3_error(b"not xml") == ("", "")


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (ConnectionResetError(104, "Connection reset by peer"), Verdict.RETRY),
        (ConnectionRefusedError(111, "Connection refused"), Verdict.RETRY),
        (BrokenPipeError(32, "Broken pipe"), Verdict.RETRY),
        (TimeoutError("timed out"), Verdict.RETRY),
        (http.client.RemoteDisconnected("Remote end closed connection"), Verdict.RETRY),
        (http.client.IncompleteRead(b"", 10), Verdict.RETRY),
        (ssl.SSLCertVerificationError("certificate verify failed"), Verdict.FATAL),
        (ValueError("bug"), Verdict.FATAL),
    ],
)
def test_transport_errors_are_classified(exc: BaseException, verdict: Verdict) -> None:
    # GIVEN an exception raised while sending a chunk WHEN classified THEN resets/timeouts retry, the rest do not
    assert classify_exception(exc).verdict is verdict


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("9999", 60.0), ("soon", None)],
)
def test_retry_after_is_read_and_capped(value: str | None, expected: float | None) -> None:
    # GIVEN a Retry-After header WHEN parsed THEN seconds, bounded to [0, 60], or None
    assert parse_retry_after(value) == expected


def test_retry_after_accepts_an_http_date_in_the_past_as_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
