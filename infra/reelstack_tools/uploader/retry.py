"""Which failures to retry, and how long to wait. Pure: no sockets, no sleeping."""

from __future__ import annotations

import enum
import http.client
import random
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class Verdict(enum.Enum):
    OK = "ok"
    RETRY = "retry"  # transient: back off and send again
    REFRESH = "refresh"  # the presigned URL is expired or rejected: ask the API for a fresh one
    DIGEST = "digest"  # S3 says the bytes do not match the declared checksum
    FATAL = "fatal"  # retrying cannot help


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    code: str
    message: str


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with exponential backoff and "equal jitter".

    Before retry ``n`` (1-based) the wait is uniform in ``[e/2, e]`` with ``e = min(max_delay, base * 2**(n-1))``:
    it always grows on average, never hits zero, and spreads workers that failed together.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_refreshes: int = 3

    def delay(self, retry_number: int, rng: random.Random | None = None) -> float:
        if retry_number < 1:
            raise ValueError("retry numbers start at 1")
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)

    def schedule(self, rng: random.Random | None = None) -> list[float]:
        """Every wait a part could see: one before each retry (``max_attempts - 1`` of them)."""
        return [self.delay(n, rng) for n in range(1, self.max_attempts)]


RETRYABLE_STATUSES = frozenset({408, 429})
RETRYABLE_S3_CODES = frozenset({"RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable"})
DIGEST_S3_CODES = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})

_XML_CODE = re.compile(rb"<Code>\s*([^<]*?)\s*</Code>")
_XML_MESSAGE = re.compile(rb"<Message>\s*([^<]*?)\s*</Message>")


def parse_s3_error(body: bytes) -> tuple[str, str]:
    """``(Code, Message)`` from an S3 XML error body; empty strings when absent."""
    code = _XML_CODE.search(body)
    message = _XML_MESSAGE.search(body)
    return (
        code.group(1).decode("utf-8", "replace") if code else "",
        message.group(1).decode("utf-8", "replace") if message else "",
    )


def classify_status(status: int, body: bytes = b"") -> Outcome:
    """What to do with an HTTP answer to a chunk PUT."""
    if 200 <= status < 300:
        return Outcome(Verdict.OK, "ok", "")
    code, message = parse_s3_error(body)
    code = code or f"http_{status}"
    message = message or (body[:200].decode("utf-8", "replace").strip() or f"HTTP {status}")
    if status == 403:
        return Outcome(Verdict.REFRESH, code, message)
    if code in DIGEST_S3_CODES:
        return Outcome(Verdict.DIGEST, code, message)
    if status >= 500 or status in RETRYABLE_STATUSES or code in RETRYABLE_S3_CODES:
        return Outcome(Verdict.RETRY, code, message)
    return Outcome(Verdict.FATAL, code, message)


def classify_exception(exc: BaseException) -> Outcome:
    """What to do when a PUT raised before an HTTP answer arrived."""
    name = type(exc).__name__
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Outcome(Verdict.FATAL, "tls_verification_failed", str(exc))
    if isinstance(exc, TimeoutError):
        return Outcome(Verdict.RETRY, "timeout", str(exc) or "timed out")
    if isinstance(exc, ConnectionError | http.client.HTTPException | OSError):
        return Outcome(Verdict.RETRY, "connection_error", f"{name}: {exc}".rstrip(": "))
    return Outcome(Verdict.FATAL, "client_error", f"{name}: {exc}")


def parse_retry_after(value: str | None, *, cap: float = 60.0) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), capped; ``None`` if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, min(cap, seconds))
