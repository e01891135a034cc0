"""The MediaConvert and GPU backends end to end around their jobs, on the local cloud: the media bucket and
the waiting-tasks table of template.yaml, and real Step Functions executions that wait on their task token
(a `.waitForTaskToken` Task, as the ingest workflow's TranscodeWithMediaConvert waits) and that the
completion resumes or fails. Only MediaConvert and AWS Batch, which do not run locally, are answered by
botocore's Stubber; real ffmpeg tiles the sprite. The submit side files the token; MediaConvert's
completion event finishes poster and sprite and resumes the execution; a redelivered event is ignored.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from reelstack.adapters.media.batch_jobs import BatchJobs
from reelstack.adapters.media.mediaconvert import MediaConvertJobs
from reelstack.adapters.media.sprite_tiles import SpriteTiler
from reelstack.adapters.media.waiting_tasks import WaitingTasks
from reelstack.adapters.media.workflow import TaskCallbacks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.hls import sprite_index
from reelstack.domain.media.mediaconvert_events import waiting_ref
from reelstack.domain.media.mediaconvert_job import poster_capture_key, sprite_capture_keys
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import attempt_job_name, client_request_token, resumed_ref
from reelstack.errors import DependencyFailed, InvalidRequest
from reelstack.services.media.mediaconvert_completion import MediaConvertCompletion
from reelstack.services.media.transcode_backends import (
    BackendConfig,
    SubmitRequest,
    TranscodeBackends,
    parse_submit_request,
)
from tests.support.cloud_stores import media_storage
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[3] / "events"
SAMPLE_VIDEO_ID = "vid1"
SAMPLE_BUCKET = "reelstack-media-dev-1"
ROLE = "arn:aws:iam::123456789012:role/reelstack-dev-MediaConvertRole"
QUEUE = "arn:aws:batch:us-east-1:123456789012:job-queue/gpu"
DEFINITION = "arn:aws:batch:us-east-1:123456789012:job-definition/gpu-transcoder:1"


@dataclass
class Cloud:
    """The local cloud's parts these tests use, and the state machine whose executions wait on a token."""

    s3: Any
    sqs: Any
    sfn: Any
    storage: MediaStorage
    waiting: WaitingTasks
    mediaconvert: Any  # Stubber-answered: MediaConvert does not run locally
    batch: Any  # Stubber-answered: AWS Batch does not run locally
    waiting_machine: str
    token_queue: str
    tokens: dict[str, str] = field(default_factory=dict)  # execution name -> its task token

    def backends(self, config: BackendConfig, tmp: Path) -> TranscodeBackends:
        return TranscodeBackends(
            self.storage,
            self.waiting,
            MediaConvertJobs(self.mediaconvert),
            BatchJobs(self.batch),
            config,
            scratch_root=str(tmp),
        )

    def completion(self, tmp: Path) -> MediaConvertCompletion:
        return MediaConvertCompletion(
            self.storage, self.waiting, TaskCallbacks(self.sfn), SpriteTiler(), scratch_root=str(tmp)
        )

    def waiting_execution(self, name: str, timeout_s: int = 3600) -> tuple[str, str]:
        """An execution waiting on its task token, as TranscodeWithMediaConvert waits: (its ARN, the token)."""
        started = self.sfn.start_execution(
            stateMachineArn=self.waiting_machine,
            name=name,
            input=json.dumps({"name": name, "timeout_s": timeout_s}),
        )
        token = wait_for(lambda: self._token_for(name), timeout=60)
        assert token, f"{name} never handed out its task token"
        return str(started["executionArn"]), token

    def _token_for(self, name: str) -> str | None:
        """The token the named execution handed out, once its message is in (others' are kept too)."""
        messages = self.sqs.receive_message(QueueUrl=self.token_queue, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        for message in messages:
            body = json.loads(message["Body"])
            self.tokens[body["name"]] = body["task_token"]
            self.sqs.delete_message(QueueUrl=self.token_queue, ReceiptHandle=message["ReceiptHandle"])
        return self.tokens.get(name)

    def ended(self, execution_arn: str) -> dict[str, Any]:
        """The execution once it is no longer RUNNING (generous deadline: a loaded machine is slow)."""
        described = wait_for(
            lambda: (
                (d := self.sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d
            ),
            timeout=60,
        )
        assert described, f"{execution_arn} is still running"
        return dict(described)

    def failure(self, execution_arn: str) -> dict[str, Any]:
        """The error and cause a FAILED execution ended with, from its history."""
        events = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        (failed,) = [e["executionFailedEventDetails"] for e in events if "executionFailedEventDetails" in e]
        return dict(failed)


@pytest.fixture(scope="module")
def cloud(local_cloud: Any, cloud_sdk_environment: Any) -> Iterator[Cloud]:
    sqs, sfn = local_cloud.client("sqs"), local_cloud.client("stepfunctions")
    suffix = uuid.uuid4().hex[:8]
    token_queue = sqs.create_queue(QueueName=f"test-transcode-tokens-{suffix}")["QueueUrl"]
    # What the ingest workflow's TranscodeWithMediaConvert Task does with its token (hand it to someone
    # and wait), with SQS standing in for the submit function's invocation, so the test holds the token.
    definition = {
        "StartAt": "Transcode",
        "States": {
            "Transcode": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": token_queue,
                    "MessageBody": {"name.$": "$.name", "task_token.$": "$$.Task.Token"},
                },
                "TimeoutSecondsPath": "$.timeout_s",
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name=f"test-transcode-waits-{suffix}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/test-transcode-waits",
    )["stateMachineArn"]
    yield Cloud(
        s3=local_cloud.client("s3"),
        sqs=sqs,
        sfn=sfn,
        storage=media_storage(local_cloud),
        waiting=WaitingTasks(local_cloud.name("WaitingTasksTable"), local_cloud.region),
        mediaconvert=local_cloud.client("mediaconvert"),
        batch=local_cloud.client("batch"),
        waiting_machine=machine,
        token_queue=token_queue,
    )
    sfn.delete_state_machine(stateMachineArn=machine)
    sqs.delete_queue(QueueUrl=token_queue)


@dataclass(frozen=True)
class Job:
    """One test's video and MediaConvert job (the bucket and table are shared by the session)."""

    video_id: str
    job_id: str


@pytest.fixture
def job() -> Job:
    return Job(f"mc-{uuid.uuid4().hex[:12]}", f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:6]}")


def sample(path: str, cloud: Cloud, video_id: str) -> dict[str, Any]:
    """A sample event, for `video_id` and the local cloud's media bucket."""
    text = (EVENTS / path).read_text().replace(SAMPLE_BUCKET, cloud.storage.bucket)
    event: dict[str, Any] = json.loads(re.sub(rf"\b{SAMPLE_VIDEO_ID}\b", video_id, text))
    return event


def submit_mediaconvert(cloud: Cloud, job: Job, tmp: Path, timeout_s: int = 3600) -> tuple[Plan, str, str]:
    """An execution waiting on its token, and the submit function's work for the MediaConvert sample
    with that token: CreateJob (stubbed), the token filed. -> (plan, execution ARN, token)"""
    execution, token = cloud.waiting_execution(job.video_id, timeout_s)
    event = sample("transcode_submit/mediaconvert.json", cloud, job.video_id) | {"task_token": token}
    request = parse_submit_request(event)
    with Stubber(cloud.mediaconvert) as stub:
        stub.add_response(
            "create_job",
            {"Job": {"Id": job.job_id, "Role": ROLE, "Settings": {}}},
            {
                "Role": ROLE,
                "Settings": ANY,
                "UserMetadata": {"application": "reelstack", "stage": "dev", "video_id": job.video_id},
                "StatusUpdateInterval": ANY,
                "AccelerationSettings": ANY,
                "ClientRequestToken": client_request_token(token),
            },
        )
        answer = cloud.backends(BackendConfig(mediaconvert_role_arn=ROLE, stage="dev"), tmp).submit(
            request.backend, request.document, request.task_token
        )
        stub.assert_no_pending_responses()
    assert answer == {"video_id": job.video_id, "backend": "mediaconvert", "job_id": job.job_id}
    return Plan.from_dict(request.document.plan or {}), execution, token


def put_stills(cloud: Cloud, plan: Plan, tmp: Path) -> None:
    """What MediaConvert's frame capture group writes: the poster's still and the sprite's stills."""
    still = tmp / "still.jpg"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x90",
            "-frames:v",
            "1",
            str(still),
        ],
        check=True,
        timeout=60,
    )
    for key in [poster_capture_key(plan), *sprite_capture_keys(plan)]:
        assert key is not None
        cloud.s3.upload_file(str(still), cloud.storage.bucket, key, ExtraArgs={"ContentType": "image/jpeg"})


def completion_event(cloud: Cloud, job: Job, status: str = "COMPLETE") -> dict[str, Any]:
    """MediaConvert's state change event for the job (the sample, for this job and video)."""
    name = "complete" if status == "COMPLETE" else status.lower()
    event = copy.deepcopy(sample(f"mediaconvert_events/{name}.json", cloud, job.video_id))
    event["detail"]["jobId"] = job.job_id
    event["detail"]["userMetadata"]["video_id"] = job.video_id
    return event


def test_a_completed_job_gets_its_poster_and_sprite_and_resumes_the_execution(
    cloud: Cloud, job: Job, tmp_path: Path
) -> None:
    # GIVEN an execution waiting on a submitted MediaConvert job whose stills are in the bucket
    plan, execution, token = submit_mediaconvert(cloud, job, tmp_path)
    task = cloud.waiting.get(waiting_ref(job.job_id))
    assert task is not None and task.task_token == token and task.kind == "mediaconvert"
    put_stills(cloud, plan, tmp_path)
    # WHEN its COMPLETE event arrives
    answer = cloud.completion(tmp_path).resume(completion_event(cloud, job))
    # THEN the execution resumes and succeeds with the outputs Publish reads
    assert answer["result"] == "succeeded" and answer["video_id"] == job.video_id
    ended = cloud.ended(execution)
    assert ended["status"] == "SUCCEEDED", ended
    outputs = json.loads(ended["output"])
    prefix = f"renditions/{job.video_id}/"
    assert outputs["master_key"] == f"{prefix}master.m3u8"
    assert [r["playlist_key"] for r in outputs["renditions"]] == [
        f"{prefix}master_1080p.m3u8",
        f"{prefix}master_720p.m3u8",
        f"{prefix}master_480p.m3u8",
    ]
    # AND the poster, the tiled sprite and its index are where the outputs say
    bucket = cloud.storage.bucket
    poster = cloud.s3.head_object(Bucket=bucket, Key=outputs["poster_key"])
    assert poster["ContentType"] == "image/jpeg"
    sprite_path = tmp_path / "sprite.jpg"
    cloud.s3.download_file(bucket, outputs["sprite_key"], str(sprite_path))
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "json", str(sprite_path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    size = json.loads(probe.stdout)["streams"][0]
    assert plan.sprite is not None
    assert (size["width"], size["height"]) == (
        plan.sprite.columns * plan.sprite.thumb_width,
        plan.sprite.rows * plan.sprite.thumb_height,
    )
    index = cloud.s3.get_object(Bucket=bucket, Key=outputs["sprite_index_key"])
    assert index["ContentType"] == "text/vtt"
    assert index["Body"].read().decode() == sprite_index(plan.sprite, plan.source.duration_s)
    # AND the token is no longer filed, the job is remembered as resumed
    assert cloud.waiting.get(waiting_ref(job.job_id)) is None
    assert cloud.waiting.get(resumed_ref(job.job_id)) is not None


def test_a_redelivered_event_is_ignored(cloud: Cloud, job: Job, tmp_path: Path) -> None:
    # GIVEN a job already resumed: its execution succeeded
    plan, execution, _ = submit_mediaconvert(cloud, job, tmp_path)
    put_stills(cloud, plan, tmp_path)
    assert cloud.completion(tmp_path).resume(completion_event(cloud, job))["result"] == "succeeded"
    first = cloud.ended(execution)
    assert first["status"] == "SUCCEEDED", first
    # WHEN its event arrives again
    answer = cloud.completion(tmp_path).resume(completion_event(cloud, job))
    # THEN it is ignored: nothing is sent (a token sent to the ended execution would have come back as
    # "no_longer_waiting"), and the execution's end is unchanged
    assert answer["result"] == "ignored"
    again = cloud.sfn.describe_execution(executionArn=execution)
    assert (again["status"], again["output"]) == ("SUCCEEDED", first["output"])


def test_an_event_before_the_token_is_filed_is_retried(cloud: Cloud, job: Job, tmp_path: Path) -> None:
    # GIVEN no waiting task for a job (the submit function has not stored it yet)
    # WHEN its event arrives THEN DependencyFailed: Lambda retries the asynchronous invocation
    with pytest.raises(DependencyFailed) as raised:
        cloud.completion(tmp_path).resume(completion_event(cloud, job, "ERROR"))
    assert raised.value.code == "waiting_task_not_found"


@pytest.mark.parametrize(
    ("status", "error"), [("ERROR", "MediaConvertJobFailed"), ("CANCELED", "MediaConvertJobCanceled")]
)
def test_a_failed_or_canceled_job_fails_the_task(
    cloud: Cloud, job: Job, tmp_path: Path, status: str, error: str
) -> None:
    # GIVEN an execution waiting on a submitted job
    _, execution, _ = submit_mediaconvert(cloud, job, tmp_path)
    # WHEN the job ends in ERROR or CANCELED
    answer = cloud.completion(tmp_path).resume(completion_event(cloud, job, status))
    # THEN the task fails with MediaConvert's error, and the execution with it
    assert answer["result"] == "failed"
    ended = cloud.ended(execution)
    assert ended["status"] == "FAILED", ended
    assert cloud.failure(execution)["error"] == error
    assert cloud.waiting.get(waiting_ref(job.job_id)) is None


def test_missing_stills_fail_the_task_with_a_code(cloud: Cloud, job: Job, tmp_path: Path) -> None:
    # GIVEN an execution waiting on a job that completed without writing its stills
    _, execution, _ = submit_mediaconvert(cloud, job, tmp_path)
    # WHEN its COMPLETE event arrives
    assert cloud.completion(tmp_path).resume(completion_event(cloud, job))["result"] == "failed"
    # THEN the execution fails with the error's class, and the cause says what is missing
    assert cloud.ended(execution)["status"] == "FAILED"
    failure = cloud.failure(execution)
    assert failure["error"] == "NotFound"
    assert failure["cause"].startswith("[mediaconvert_output_missing] "), failure


def test_an_execution_that_stopped_waiting_is_logged_and_forgotten(
    cloud: Cloud, job: Job, tmp_path: Path
) -> None:
    # GIVEN a job whose execution timed out meanwhile (its Task waits 1 s here), the job's stills written
    plan, execution, _ = submit_mediaconvert(cloud, job, tmp_path, timeout_s=1)
    ended = cloud.ended(execution)
    assert ended["status"] == "FAILED" and cloud.failure(execution)["error"] == "States.Timeout", ended
    put_stills(cloud, plan, tmp_path)
    # WHEN the job's COMPLETE event arrives late and Step Functions no longer knows the token
    answer = cloud.completion(tmp_path).resume(completion_event(cloud, job))
    # THEN it is logged as such and forgotten
    assert answer["result"] == "no_longer_waiting"
    assert cloud.waiting.get(waiting_ref(job.job_id)) is None
    assert cloud.waiting.get(resumed_ref(job.job_id)) is not None


@pytest.mark.parametrize("status", ["ERROR", "CANCELED"])
def test_a_late_failure_is_no_longer_waiting_either(
    cloud: Cloud, job: Job, tmp_path: Path, status: str
) -> None:
    # GIVEN a job whose execution timed out meanwhile (its Task waits 1 s here)
    _, execution, _ = submit_mediaconvert(cloud, job, tmp_path, timeout_s=1)
    assert cloud.ended(execution)["status"] == "FAILED"
    # WHEN the job's ERROR or CANCELED event arrives late (Step Functions answers TaskTimedOut, as in AWS)
    answer = cloud.completion(tmp_path).resume(completion_event(cloud, job, status))
    # THEN it is logged as such and forgotten, and the execution keeps the timeout it ended with
    assert answer["result"] == "no_longer_waiting"
    assert cloud.failure(execution)["error"] == "States.Timeout"
    assert cloud.waiting.get(waiting_ref(job.job_id)) is None


def gpu_request(cloud: Cloud, video_id: str) -> SubmitRequest:
    return parse_submit_request(sample("transcode_submit/gpu.json", cloud, video_id))


def test_a_gpu_job_gets_its_plan_and_the_token(cloud: Cloud, job: Job, tmp_path: Path) -> None:
    # GIVEN the GPU sample and a deployment with the GPU backend
    request = gpu_request(cloud, job.video_id)
    config = BackendConfig(gpu_job_queue=QUEUE, gpu_job_definition=DEFINITION)
    # WHEN it is submitted (Batch stubbed): no job of its name yet, so SubmitJob
    name = attempt_job_name(job.video_id, request.task_token)
    with Stubber(cloud.batch) as stub:
        stub.add_response(
            "list_jobs",
            {"jobSummaryList": []},
            {"jobQueue": QUEUE, "filters": [{"name": "JOB_NAME", "values": [name]}]},
        )
        stub.add_response(
            "submit_job",
            {"jobArn": "arn:aws:batch:us-east-1:123456789012:job/j-1", "jobName": name, "jobId": "j-1"},
            {
                "jobName": name,
                "jobQueue": QUEUE,
                "jobDefinition": DEFINITION,
                "containerOverrides": {
                    "environment": [
                        {"name": "VIDEO_ID", "value": job.video_id},
                        {"name": "PLAN_KEY", "value": f"work/{job.video_id}/plan.json"},
                        {"name": "SOURCE_KEY", "value": f"originals/{job.video_id}"},
                        {"name": "TASK_TOKEN", "value": request.task_token},
                    ]
                },
            },
        )
        answer = cloud.backends(config, tmp_path).submit(
            request.backend, request.document, request.task_token
        )
        stub.assert_no_pending_responses()
    # THEN the job started, and the plan it reads is in the bucket as JSON
    assert answer == {"video_id": job.video_id, "backend": "gpu", "job_id": "j-1"}
    stored = cloud.s3.get_object(Bucket=cloud.storage.bucket, Key=f"work/{job.video_id}/plan.json")
    assert stored["ContentType"] == "application/json"
    assert Plan.from_dict(json.loads(stored["Body"].read())) == Plan.from_dict(request.document.plan or {})


def test_a_batch_refusal_is_not_retried(cloud: Cloud, job: Job, tmp_path: Path) -> None:
    # GIVEN a job queue Batch does not know WHEN a GPU job is submitted THEN `batch_rejected_job`
    request = gpu_request(cloud, job.video_id)
    config = BackendConfig(gpu_job_queue=QUEUE, gpu_job_definition=DEFINITION)
    with Stubber(cloud.batch) as stub:
        stub.add_response("list_jobs", {"jobSummaryList": []})
        stub.add_client_error("submit_job", "ClientException", "JobQueue gpu not found", 400)
        with pytest.raises(InvalidRequest) as raised:
            cloud.backends(config, tmp_path).submit(request.backend, request.document, request.task_token)
    assert raised.value.code == "batch_rejected_job"
