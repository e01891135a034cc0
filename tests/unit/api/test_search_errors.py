"""How search failures are answered: an unavailable engine is 503 `search_unavailable` with the
Retry-After its settings give; the engine refusing our own request is not an outage."""

from __future__ import annotations

from opensearchpy.exceptions import ConnectionError, ConnectionTimeout, RequestError, TransportError

from reelstack.adapters.distribution.search_client import SearchUnavailable, is_our_bug
from reelstack.errors import DependencyFailed
from reelstack.http_errors import error_answer


def test_search_unavailable_answers_503_with_its_own_retry_after() -> None:
    """GIVEN the engine unavailable, with a 7 s pause from settings WHEN answered
    THEN 503 search_unavailable, Retry-After 7, a plain message."""
    answer = error_answer(SearchUnavailable("searching videos: refused 127.0.0.1:9200", retry_after_s=7))

    assert (answer.status, answer.body["code"], answer.headers) == (
        503,
        "search_unavailable",
        {"Retry-After": "7"},
    )
    assert "127.0.0.1" not in answer.body["message"]


def test_other_dependencies_keep_the_default_retry_after() -> None:
    assert error_answer(DependencyFailed("s3 down")).headers == {"Retry-After": "5"}
    assert error_answer(SearchUnavailable("x", retry_after_s=0.2)).headers == {"Retry-After": "1"}


def test_only_the_engine_refusing_the_request_itself_is_our_bug() -> None:
    """GIVEN engine errors WHEN classified THEN a 400/404 is a bug of the request; connection
    failures, timeouts, 429 and 5xx are the engine being unavailable."""
    assert is_our_bug(RequestError(400, "parsing_exception", {}))
    assert is_our_bug(TransportError(404, "index_not_found_exception", {}))
    for error in (
        ConnectionError("N/A", "refused", None),
        ConnectionTimeout("TIMEOUT", "timed out", None),
        TransportError(429, "too_many_requests", {}),
        TransportError(503, "unavailable", {}),
    ):
        assert not is_our_bug(error)
