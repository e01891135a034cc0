"""S3 notifications -> workflow documents, and Step Functions errors -> recorded failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelstack.domain.media.failures import failure_from_error
from reelstack.domain.videos import video_id_from_original_key
from reelstack.errors import InvalidRequest
from reelstack.services.media.ingest import documents_from_s3_notification

EVENTS = Path(__file__).resolve().parents[3] / "events" / "ingest_trigger"


def s3_body(case: str) -> dict[str, object]:
    event = json.loads((EVENTS / f"{case}.json").read_text())
    return json.loads(event["Records"][0]["body"])


def test_an_original_becomes_one_document_named_after_its_video() -> None:
    # GIVEN the S3 notification of a merged original (URL-encoded key, as S3 sends it)
    # WHEN it is read
    documents = documents_from_s3_notification(s3_body("original_created"))
    # THEN one document names the video, bucket, decoded key and size
    assert [(d.video_id, d.key, d.size) for d in documents] == [
        ("4f1c2a9e8b7d4c3fa1e2d3c4b5a69788", "originals/4f1c2a9e8b7d4c3fa1e2d3c4b5a69788", 7340032)
    ]


def test_the_s3_test_event_and_other_prefixes_start_nothing() -> None:
    assert documents_from_s3_notification(s3_body("s3_test_event")) == []
    body = s3_body("original_created")
    body["Records"][0]["s3"]["object"]["key"] = "staging%2Fu1%2F00001"  # type: ignore[index]
    assert documents_from_s3_notification(body) == []


def test_a_body_that_is_not_a_notification_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        documents_from_s3_notification({"hello": "world"})


def test_only_direct_children_of_originals_are_videos() -> None:
    assert video_id_from_original_key("originals/abc") == "abc"
    assert video_id_from_original_key("originals/abc/x") is None
    assert video_id_from_original_key("renditions/abc") is None


def test_lambda_errors_become_failures_with_the_domain_code() -> None:
    # GIVEN the cause Step Functions records when a stage raised a domain error
    cause = json.dumps({"errorType": "NotFound", "errorMessage": "[original_missing] the original is gone"})
    # WHEN it is turned into a failure
    failure = failure_from_error("Admit", "NotFound", cause)
    # THEN the stage, the domain code and the message are kept
    assert failure.to_dict() == {
        "stage": "Admit",
        "code": "original_missing",
        "message": "the original is gone",
    }


def test_engine_errors_get_readable_codes() -> None:
    assert failure_from_error("Admit", "States.Timeout", "").code == "timeout"
    assert failure_from_error("Admit", "Lambda.TooManyRequestsException", "").code == "throttled"


def test_internals_never_reach_the_owner() -> None:
    # GIVEN causes that quote an SDK, a host and port, and a Python exception
    causes = {
        "ClientError": json.dumps(
            {
                "errorType": "ClientError",
                "errorMessage": "An error occurred (AccessDenied) when calling the GetObject operation",
            }
        ),
        "ConnectionError": json.dumps(
            {"errorType": "ConnectionError", "errorMessage": "Error 111 connecting to 127.0.0.1:6379."}
        ),
        "KeyError": "'renditions'",
        "DependencyFailed": json.dumps(
            {
                "errorType": "DependencyFailed",
                "errorMessage": "[dependency_failed] S3 said SlowDown at 10.0.0.7",
            }
        ),
    }
    for error, cause in causes.items():
        # WHEN each becomes the failure recorded on the video
        failure = failure_from_error("Transcode", error, cause)
        # THEN the owner reads a stable code and a plain sentence, none of the cause's text
        assert failure.code in {"internal_error", "dependency_failed"}, failure
        assert failure.message.startswith("the Transcode stage "), failure
        for leaked in (
            "AccessDenied",
            "GetObject",
            "127.0.0.1",
            "6379",
            "renditions",
            "SlowDown",
            "10.0.0.7",
        ):
            assert leaked not in failure.message, (error, failure.message)
