"""The MediaConvert adapter against a real botocore client (request validated by the service model,
responses served by botocore's Stubber: no MediaConvert runs locally) and its error translation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reelstack.adapters.media.mediaconvert import MediaConvertJobs
from reelstack.domain.media.media import MediaInfo
from reelstack.domain.media.mediaconvert_job import create_job_request, destination_for
from reelstack.domain.media.renditions import LambdaBudget, RenditionSpec, plan_renditions
from reelstack.errors import DependencyFailed, InvalidRequest

SOURCE = MediaInfo(
    20.0, 1920, 1080, 0, 1920, 1080, "16:9", 30.0, False, "h264", "aac", True, 30_000_000, None, "mp4"
)


@pytest.fixture
def stubbed() -> Iterator[tuple[MediaConvertJobs, Stubber]]:
    mediaconvert = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("mediaconvert", endpoint_url="https://mediaconvert.us-east-1.amazonaws.com")
    with Stubber(mediaconvert) as stubber:
        yield MediaConvertJobs(mediaconvert), stubber


def job_request() -> dict[str, Any]:
    plan = plan_renditions("vid1", SOURCE, RenditionSpec(), LambdaBudget())
    return create_job_request(
        plan,
        source_uri="s3://media/originals/vid1",
        destination_uri=destination_for("media", plan),
        role_arn="arn:aws:iam::111122223333:role/mc",
        queue_arn=None,
        user_metadata={"application": "reelstack"},
    )


def test_submit_sends_the_request_and_returns_the_job_id(stubbed: tuple[MediaConvertJobs, Stubber]) -> None:
    # GIVEN MediaConvert accepting exactly our request
    jobs, stubber = stubbed
    request = job_request()
    stubber.add_response(
        "create_job",
        {"Job": {"Id": "1741944381203-v7k2qz", "Role": request["Role"], "Settings": {}}},
        request,
    )
    # WHEN the job is submitted THEN the job id comes back
    assert jobs.submit(request) == "1741944381203-v7k2qz"
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("aws_code", "status", "raised", "code"),
    [
        ("BadRequestException", 400, InvalidRequest, "mediaconvert_rejected_job"),
        ("TooManyRequestsException", 429, DependencyFailed, "mediaconvert_throttled"),
        ("ForbiddenException", 403, DependencyFailed, "mediaconvert_forbidden"),
        ("InternalServerErrorException", 500, DependencyFailed, "mediaconvert_unavailable"),
    ],
)
def test_service_errors_become_coded_domain_errors(
    stubbed: tuple[MediaConvertJobs, Stubber], aws_code: str, status: int, raised: type[Exception], code: str
) -> None:
    # GIVEN MediaConvert answering CreateJob with an error
    jobs, stubber = stubbed
    stubber.add_client_error(
        "create_job", service_error_code=aws_code, service_message="nope", http_status_code=status
    )
    # WHEN a job is submitted THEN the matching domain error is raised, with its code and the message
    with pytest.raises(raised) as caught:
        jobs.submit(job_request())
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert "nope" in caught.value.message  # type: ignore[attr-defined]


def test_a_request_the_model_refuses_is_invalid_before_anything_is_sent(
    stubbed: tuple[MediaConvertJobs, Stubber],
) -> None:
    # GIVEN a request without its role (and a response MediaConvert would give, were it sent)
    jobs, stubber = stubbed
    stubber.add_response("create_job", {"Job": {"Id": "never", "Role": "r", "Settings": {}}})
    request = job_request()
    del request["Role"]
    # WHEN submitted THEN botocore's validation refusal becomes mediaconvert_rejected_job
    with pytest.raises(InvalidRequest) as caught:
        jobs.submit(request)
    assert caught.value.code == "mediaconvert_rejected_job"
    assert "Role" in caught.value.message
    # AND nothing was sent: the response is still waiting
    with pytest.raises(AssertionError):
        stubber.assert_no_pending_responses()
