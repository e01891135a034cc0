"""The submit side of the MediaConvert and GPU backends, without I/O: the requests it parses (the ingest
transcode Tasks' and the heat workflow's EncodeWithGpu), the jobs it builds from the sample events
(events/transcode_submit/), the waiting task it files, and its refusals (which happen before anything is
written or submitted: the clients are never built here)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from reelstack.adapters.media.batch_jobs import BatchJobs
from reelstack.adapters.media.mediaconvert import MediaConvertJobs
from reelstack.adapters.media.waiting_tasks import WaitingTasks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.heat import HeatDocument
from reelstack.domain.media.mediaconvert_events import parse_job_state_change
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import attempt_job_name, client_request_token
from reelstack.errors import InvalidRequest
from reelstack.services.media.transcode_backends import (
    BackendConfig,
    BackendUnavailable,
    HeatSubmitRequest,
    TranscodeBackends,
    document_plan,
    mediaconvert_waiting_task,
    parse_submit_request,
)

EVENTS = Path(__file__).resolve().parents[3] / "events"
ROLE = "arn:aws:iam::111122223333:role/reelstack-dev-MediaConvertRole"
FULL = BackendConfig(
    mediaconvert_role_arn=ROLE,
    gpu_job_queue="arn:aws:batch:us-east-1:111122223333:job-queue/gpu",
    gpu_job_definition="arn:aws:batch:us-east-1:111122223333:job-definition/gpu:1",
    stage="dev",
)


def sample(backend: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "transcode_submit" / f"{backend}.json").read_text())
    return event


def backends(config: BackendConfig = FULL) -> TranscodeBackends:
    """Real adapters; their clients are built only on first use, which these tests never reach."""
    return TranscodeBackends(
        MediaStorage("reelstack-media-dev-1"),
        WaitingTasks("waiting-tasks", "us-east-1"),
        MediaConvertJobs(),
        BatchJobs(),
        config,
    )


def valid(operation: str, service: str, request: dict[str, Any]) -> None:
    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("backend", ["mediaconvert", "gpu"])
def test_the_sample_events_parse(backend: str) -> None:
    # GIVEN a sample event of the transcode Tasks WHEN parsed THEN backend, document and token are read
    request = parse_submit_request(sample(backend))

    assert request.backend == backend
    assert request.document.video_id == "vid1" and request.task_token.startswith("AQCE")
    assert document_plan(request.document).backend.value == backend


@pytest.mark.parametrize("missing", ["backend", "document", "task_token"])
def test_a_request_without_a_part_is_refused_with_a_code(missing: str) -> None:
    # GIVEN a request lacking one part WHEN parsed THEN `invalid_submit_request` names it
    event = sample("gpu")
    del event[missing]

    with pytest.raises(InvalidRequest) as raised:
        parse_submit_request(event)
    assert raised.value.code == "invalid_submit_request" and missing in raised.value.message


def test_the_mediaconvert_job_is_tagged_idempotent_and_valid() -> None:
    # GIVEN the MediaConvert sample and a deployment with the Default queue
    request = parse_submit_request(sample("mediaconvert"))
    plan = document_plan(request.document)
    # WHEN the CreateJob request is built
    job = backends().mediaconvert_request(request.document, plan, request.task_token)
    # THEN it reads the original, writes under the plan's prefix, assumes the role, is idempotent per token
    valid("CreateJob", "mediaconvert", job)
    assert job["Settings"]["Inputs"][0]["FileInput"] == "s3://reelstack-media-dev-1/originals/vid1"
    assert job["Role"] == ROLE and "Queue" not in job
    assert job["ClientRequestToken"] == client_request_token(request.task_token)
    # AND it carries what the EventBridge rule filters on
    assert job["UserMetadata"] == {"application": "reelstack", "stage": "dev", "video_id": "vid1"}


def test_a_configured_queue_is_used() -> None:
    # GIVEN a deployment naming a MediaConvert queue WHEN a job is built THEN it goes to that queue
    queue = "arn:aws:mediaconvert:us-east-1:111122223333:queues/reelstack"
    request = parse_submit_request(sample("mediaconvert"))
    config = BackendConfig(mediaconvert_role_arn=ROLE, mediaconvert_queue_arn=queue)

    job = backends(config).mediaconvert_request(
        request.document, document_plan(request.document), request.task_token
    )
    assert job["Queue"] == queue


def test_the_token_is_filed_where_the_completion_event_looks_for_it() -> None:
    # GIVEN the sample plan and the job id of the sample COMPLETE event
    completion = json.loads((EVENTS / "mediaconvert_events" / "complete.json").read_text())
    change = parse_job_state_change(completion)
    plan = document_plan(parse_submit_request(sample("mediaconvert")).document)
    now = datetime(2025, 3, 14, 9, 26, 21, tzinfo=UTC)
    # WHEN the waiting task is made
    task = mediaconvert_waiting_task(change.job_id, plan, "reelstack-media-dev-1", "token-1", now)
    # THEN it is under the event's ref, of kind mediaconvert, with the plan finishing needs
    assert task.ref == change.ref and task.kind == "mediaconvert"
    assert (task.video_id, task.task_token, task.created_at) == (
        "vid1",
        "token-1",
        "2025-03-14T09:26:21.000Z",
    )
    assert Plan.from_dict(task.details["plan"]) == plan
    assert task.details["job_id"] == change.job_id and task.details["bucket"] == "reelstack-media-dev-1"


def test_gpu_without_a_job_queue_is_refused_before_anything_is_written() -> None:
    # GIVEN a deployment without the GPU backend (GpuTranscoderImageUri empty)
    request = parse_submit_request(sample("gpu"))
    service = backends(BackendConfig(mediaconvert_role_arn=ROLE))
    # WHEN a GPU plan is submitted THEN it is refused with `backend_unavailable` (the Task's Catch records it)
    with pytest.raises(BackendUnavailable) as raised:
        service.submit(request.backend, request.document, request.task_token)
    assert raised.value.code == "backend_unavailable"
    assert str(raised.value).startswith("[backend_unavailable] ")
    # AND no client was ever built: nothing was written or submitted
    assert service.storage._s3 is None and service.batch._batch is None


def test_mediaconvert_without_a_role_is_refused() -> None:
    # GIVEN a deployment without a MediaConvert role WHEN a MediaConvert plan is submitted THEN refused
    request = parse_submit_request(sample("mediaconvert"))

    with pytest.raises(BackendUnavailable):
        backends(BackendConfig()).submit(request.backend, request.document, request.task_token)


def test_an_unknown_backend_is_refused() -> None:
    # GIVEN a request for a backend nobody knows WHEN submitted THEN `unknown_backend`
    request = parse_submit_request(sample("gpu") | {"backend": "quantum"})

    with pytest.raises(InvalidRequest) as raised:
        backends().submit(request.backend, request.document, request.task_token)
    assert raised.value.code == "unknown_backend"


def test_a_plan_for_another_video_is_refused() -> None:
    # GIVEN a document whose plan names another video WHEN submitted THEN `invalid_plan`
    event = copy.deepcopy(sample("gpu"))
    event["document"]["plan"]["video_id"] = "vid2"
    request = parse_submit_request(event)

    with pytest.raises(InvalidRequest) as raised:
        backends().submit(request.backend, request.document, request.task_token)
    assert raised.value.code == "invalid_plan"


def test_the_sample_heat_request_parses() -> None:
    # GIVEN EncodeWithGpu's sample request WHEN parsed THEN it is a heat request with the planned document
    request = parse_submit_request(sample("heat"))
    assert isinstance(request, HeatSubmitRequest)
    assert request.document == HeatDocument.model_validate(sample("heat")["document"])
    assert request.document.plan and request.document.plan["backend"] == "gpu"
    assert request.task_token.startswith("AQCE")


def test_the_heat_gpu_job_is_valid_and_named_per_waiting_task() -> None:
    # GIVEN EncodeWithGpu's sample request and a deployment with the GPU backend
    request = parse_submit_request(sample("heat"))
    assert isinstance(request, HeatSubmitRequest) and request.document.plan
    # WHEN its Batch job is built
    job = backends().heat_gpu_request(request.document, request.task_token)
    # THEN botocore's SubmitJob model accepts it, on the deployment's queue and job definition
    valid("SubmitJob", "batch", job)
    assert (job["jobQueue"], job["jobDefinition"]) == (FULL.gpu_job_queue, FULL.gpu_job_definition)
    # AND it is named after the video, the codec and the waiting Task (a retry finds it by that name)
    assert job["jobName"] == attempt_job_name("vid1", request.task_token, "heat-hevc")
    assert job["jobName"].startswith(f"{request.document.plan['job_name']}-")
    # AND the container is told it is a heat job: the video, the job Plan wrote, the source, the token
    environment = {item["name"]: item["value"] for item in job["containerOverrides"]["environment"]}
    assert environment == {
        "JOB_KIND": "heat",
        "VIDEO_ID": "vid1",
        "PLAN_KEY": "work/vid1/heat-hevc.json",
        "SOURCE_KEY": "originals/vid1",
        "TASK_TOKEN": request.task_token,
    }


def test_a_heat_request_for_another_backend_is_refused() -> None:
    # GIVEN a heat request naming MediaConvert (it makes no twins) WHEN parsed THEN `invalid_submit_request`
    with pytest.raises(InvalidRequest) as raised:
        parse_submit_request(sample("heat") | {"backend": "mediaconvert"})
    assert raised.value.code == "invalid_submit_request" and "backend" in raised.value.message


def test_a_heat_job_without_the_gpu_backend_is_refused_before_anything_is_submitted() -> None:
    # GIVEN a deployment without the GPU backend (GpuTranscoderImageUri empty)
    service = backends(BackendConfig(mediaconvert_role_arn=ROLE))
    request = parse_submit_request(sample("heat"))
    # WHEN the heat job is submitted THEN `backend_unavailable`, and no Batch client was ever built
    with pytest.raises(BackendUnavailable):
        service.submit_request(request)
    assert service.batch._batch is None


@pytest.mark.parametrize(
    "plan",
    [
        {"backend": "lambda"},
        {"job_key": "work/vid2/heat-hevc.json"},
        {"source_key": ""},
    ],
    ids=["planned-for-the-lambda", "another-videos-job", "no-source"],
)
def test_a_heat_plan_the_gpu_cannot_run_is_refused(plan: dict[str, Any]) -> None:
    # GIVEN a heat document whose plan does not send it to the GPU, names another job, or has no source
    event = sample("heat")
    event["document"]["plan"] |= plan
    request = parse_submit_request(event)
    service = backends()
    # WHEN it is submitted THEN `invalid_plan`, and nothing reached Batch
    with pytest.raises(InvalidRequest) as raised:
        service.submit_request(request)
    assert raised.value.code == "invalid_plan"
    assert service.batch._batch is None
