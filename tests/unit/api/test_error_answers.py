"""What the API answers for an error (http_errors.error_answer): our code and a plain message; an
SDK's message, a host and port or an AWS error code stay in the log."""

from __future__ import annotations

import pytest

from reelstack.errors import DependencyFailed, InvalidRequest, NotFound, TooManyRequests
from reelstack.http_errors import UNAVAILABLE_MESSAGE, error_answer

INTERNALS = [
    DependencyFailed(
        "recording a play failed: Error 111 connecting to 127.0.0.1:6379. Connection refused.",
        code="plays_unavailable",
    ),
    DependencyFailed(
        'S3 create_multipart_upload failed: Could not connect to the endpoint URL: "http://127.0.0.1:9/"'
    ),
    DependencyFailed("S3 put_object failed: SlowDown", bucket="media-bucket-123", key="originals/v1"),
    DependencyFailed("reading upload failed: Failed to get item: ProvisionedThroughputExceededException"),
]


@pytest.mark.parametrize("error", INTERNALS, ids=lambda e: e.code)
def test_a_dependency_failure_answers_our_code_and_a_plain_message(error: DependencyFailed) -> None:
    # GIVEN a failure whose message and details name hosts, ports, SDK messages and AWS codes
    # WHEN answered THEN 503 with the code, a plain message and the request id, nothing of the inside
    answer = error_answer(error, request_id="req-1")
    assert answer.status == 503 and answer.server_side
    assert answer.body == {"code": error.code, "message": UNAVAILABLE_MESSAGE, "request_id": "req-1"}


def test_a_caller_error_keeps_its_message_and_details() -> None:
    # GIVEN our own 4xx errors WHEN answered THEN their code, message and details (written for callers)
    refused = InvalidRequest("at most 20 tags", code="too_many_tags", field="tags", max_tags=20)
    answer = error_answer(refused, request_id="req-2")
    assert (answer.status, answer.server_side) == (400, False)
    assert answer.body == {
        "code": "too_many_tags",
        "message": "at most 20 tags",
        "field": "tags",
        "max_tags": 20,
    }
    assert error_answer(NotFound("no such upload", code="upload_not_found")).status == 404
    limited = error_answer(TooManyRequests("slow down", retry_after_s=0.2))
    assert (limited.status, limited.headers) == (429, {"Retry-After": "1"})
