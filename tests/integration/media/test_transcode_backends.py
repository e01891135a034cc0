"""The MediaConvert and GPU backends end to end around their jobs: S3 and DynamoDB in moto (in-process),
MediaConvert, AWS Batch and Step Functions answered by botocore's Stubber (moto runs neither MediaConvert
nor Batch), real ffmpeg for the sprite. The submit side files the token; MediaConvert's completion event
finishes poster and sprite and resumes the execution; a redelivered event is ignored.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from reelstack.adapters.batch_jobs import BatchJobs
from reelstack.adapters.mediaconvert import MediaConvertJobs
from reelstack.adapters.sprite_tiles import SpriteTiler
from reelstack.adapters.storage import MediaStorage
from reelstack.adapters.waiting_tasks import WaitingTasks
from reelstack.adapters.workflow import TaskCallbacks
from reelstack.domain.hls import sprite_index
from reelstack.domain.mediaconvert_events import waiting_ref
from reelstack.domain.mediaconvert_job import poster_capture_key, sprite_capture_keys
from reelstack.domain.renditions import Plan
from reelstack.domain.transcode_jobs import client_request_token, resumed_ref
from reelstack.errors import DependencyFailed, InvalidRequest
from reelstack.services.mediaconvert_completion import MediaConvertCompletion
from reelstack.services.transcode_backends import BackendConfig, TranscodeBackends, parse_submit_request

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[3] / "events"
BUCKET = "reelstack-media-dev-1"
TABLE = "waiting-tasks"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/reelstack-dev-MediaConvertRole"
QUEUE = "arn:aws:batch:us-east-1:123456789012:job-queue/gpu"
DEFINITION = "arn:aws:batch:us-east-1:123456789012:job-definition/gpu-transcoder:1"
JOB_ID = "1741944381203-v7k2qz"


def sample(path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / path).read_text())
    return event


@dataclass
class Cloud:
    s3: Any
    storage: MediaStorage
    waiting: WaitingTasks
    mediaconvert: Any
    batch: Any
    sfn: Any
    tmp: Path

    def backends(self, config: BackendConfig) -> TranscodeBackends:
        return TranscodeBackends(
            self.storage,
            self.waiting,
            MediaConvertJobs(self.mediaconvert),
            BatchJobs(self.batch),
            config,
            scratch_root=str(self.tmp),
        )

    def completion(self) -> MediaConvertCompletion:
        return MediaConvertCompletion(
            self.storage, self.waiting, TaskCallbacks(self.sfn), SpriteTiler(), scratch_root=str(self.tmp)
        )


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cloud]:
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("ref", "kind", "created_at")
            ],
            KeySchema=[{"AttributeName": "ref", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "kind-created-index",
                    "KeySchema": [
                        {"AttributeName": "kind", "KeyType": "HASH"},
                        {"AttributeName": "created_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        yield Cloud(
            s3=s3,
            storage=MediaStorage(BUCKET, s3=s3),
            waiting=WaitingTasks(TABLE, REGION),
            mediaconvert=boto3.client("mediaconvert", region_name=REGION),
            batch=boto3.client("batch", region_name=REGION),
            sfn=boto3.client("stepfunctions", region_name=REGION),
            tmp=tmp_path,
        )


def submit_mediaconvert(cloud: Cloud) -> tuple[Plan, str]:
    """The submit function's work for the MediaConvert sample: CreateJob (stubbed), the token filed."""
    request = parse_submit_request(sample("transcode_submit/mediaconvert.json"))
    with Stubber(cloud.mediaconvert) as stub:
        stub.add_response(
            "create_job",
            {"Job": {"Id": JOB_ID, "Role": ROLE, "Settings": {}}},
            {
                "Role": ROLE,
                "Settings": ANY,
                "UserMetadata": {"application": "reelstack", "stage": "dev", "video_id": "vid1"},
                "StatusUpdateInterval": ANY,
                "AccelerationSettings": ANY,
                "ClientRequestToken": client_request_token(request.task_token),
            },
        )
        answer = cloud.backends(BackendConfig(mediaconvert_role_arn=ROLE, stage="dev")).submit(
            request.backend, request.document, request.task_token
        )
        stub.assert_no_pending_responses()
    assert answer == {"video_id": "vid1", "backend": "mediaconvert", "job_id": JOB_ID}
    return Plan.from_dict(request.document.plan or {}), request.task_token


def put_stills(cloud: Cloud, plan: Plan) -> None:
    """What MediaConvert's frame capture group writes: the poster's still and the sprite's stills."""
    still = cloud.tmp / "still.jpg"
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
        cloud.s3.upload_file(str(still), BUCKET, key, ExtraArgs={"ContentType": "image/jpeg"})


def completion_event(status: str = "COMPLETE") -> dict[str, Any]:
    event = sample(f"mediaconvert_events/{'complete' if status == 'COMPLETE' else status.lower()}.json")
    event = copy.deepcopy(event)
    event["detail"]["jobId"] = JOB_ID
    return event


def captured_success(cloud: Cloud, token: str) -> Stubber:
    stub = Stubber(cloud.sfn)
    stub.add_response("send_task_success", {}, {"taskToken": token, "output": ANY})
    return stub


def test_a_completed_job_gets_its_poster_and_sprite_and_resumes_the_execution(cloud: Cloud) -> None:
    # GIVEN a submitted MediaConvert job whose stills are in the bucket
    plan, token = submit_mediaconvert(cloud)
    task = cloud.waiting.get(waiting_ref(JOB_ID))
    assert task is not None and task.task_token == token and task.kind == "mediaconvert"
    put_stills(cloud, plan)
    sent: dict[str, Any] = {}
    cloud.sfn.meta.events.register(
        "provide-client-params.sfn.SendTaskSuccess", lambda params, **_: sent.update(params)
    )
    # WHEN its COMPLETE event arrives
    with captured_success(cloud, token) as stub:
        answer = cloud.completion().resume(completion_event())
        stub.assert_no_pending_responses()
    # THEN the execution resumes with the outputs Publish reads
    assert answer["result"] == "succeeded" and answer["video_id"] == "vid1"
    outputs = json.loads(sent["output"])
    assert outputs["master_key"] == "renditions/vid1/master.m3u8"
    assert [r["playlist_key"] for r in outputs["renditions"]] == [
        "renditions/vid1/master_1080p.m3u8",
        "renditions/vid1/master_720p.m3u8",
        "renditions/vid1/master_480p.m3u8",
    ]
    # AND the poster, the tiled sprite and its index are where the outputs say
    poster = cloud.s3.head_object(Bucket=BUCKET, Key=outputs["poster_key"])
    assert poster["ContentType"] == "image/jpeg"
    sprite_path = cloud.tmp / "sprite.jpg"
    cloud.s3.download_file(BUCKET, outputs["sprite_key"], str(sprite_path))
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
    index = cloud.s3.get_object(Bucket=BUCKET, Key=outputs["sprite_index_key"])
    assert index["ContentType"] == "text/vtt"
    assert index["Body"].read().decode() == sprite_index(plan.sprite, plan.source.duration_s)
    # AND the token is no longer filed, the job is remembered as resumed
    assert cloud.waiting.get(waiting_ref(JOB_ID)) is None
    assert cloud.waiting.get(resumed_ref(JOB_ID)) is not None


def test_a_redelivered_event_is_ignored(cloud: Cloud) -> None:
    # GIVEN a job already resumed
    plan, token = submit_mediaconvert(cloud)
    put_stills(cloud, plan)
    with captured_success(cloud, token):
        cloud.completion().resume(completion_event())
    # WHEN its event arrives again THEN nothing is sent (no stub is left to answer) and it is ignored
    with Stubber(cloud.sfn) as stub:
        answer = cloud.completion().resume(completion_event())
        stub.assert_no_pending_responses()
    assert answer["result"] == "ignored"


def test_an_event_before_the_token_is_filed_is_retried(cloud: Cloud) -> None:
    # GIVEN no waiting task for a job (the submit function has not stored it yet)
    # WHEN its event arrives THEN DependencyFailed: Lambda retries the asynchronous invocation
    with pytest.raises(DependencyFailed) as raised:
        cloud.completion().resume(completion_event("ERROR"))
    assert raised.value.code == "waiting_task_not_found"


@pytest.mark.parametrize(
    ("status", "error"), [("ERROR", "MediaConvertJobFailed"), ("CANCELED", "MediaConvertJobCanceled")]
)
def test_a_failed_or_canceled_job_fails_the_task(cloud: Cloud, status: str, error: str) -> None:
    # GIVEN a submitted job
    _, token = submit_mediaconvert(cloud)
    # WHEN it ends in ERROR or CANCELED THEN the task fails with MediaConvert's error, coded
    with Stubber(cloud.sfn) as stub:
        stub.add_response("send_task_failure", {}, {"taskToken": token, "error": error, "cause": ANY})
        answer = cloud.completion().resume(completion_event(status))
        stub.assert_no_pending_responses()
    assert answer["result"] == "failed"
    assert cloud.waiting.get(waiting_ref(JOB_ID)) is None


def test_missing_stills_fail_the_task_with_a_code(cloud: Cloud) -> None:
    # GIVEN a job that completed without writing its stills
    _, token = submit_mediaconvert(cloud)
    sent: dict[str, Any] = {}
    cloud.sfn.meta.events.register(
        "provide-client-params.sfn.SendTaskFailure", lambda params, **_: sent.update(params)
    )
    # WHEN its COMPLETE event arrives THEN the task fails, saying what is missing
    with Stubber(cloud.sfn) as stub:
        stub.add_response("send_task_failure", {}, {"taskToken": token, "error": "NotFound", "cause": ANY})
        assert cloud.completion().resume(completion_event())["result"] == "failed"
    assert sent["cause"].startswith("[mediaconvert_output_missing] ")


def test_an_execution_that_stopped_waiting_is_logged_and_forgotten(cloud: Cloud) -> None:
    # GIVEN a job whose execution timed out meanwhile
    submit_mediaconvert(cloud)
    # WHEN its CANCELED event arrives and Step Functions no longer knows the token THEN it is forgotten
    with Stubber(cloud.sfn) as stub:
        stub.add_client_error("send_task_failure", "TaskTimedOut", "timed out")
        assert cloud.completion().resume(completion_event("CANCELED"))["result"] == "no_longer_waiting"
    assert cloud.waiting.get(waiting_ref(JOB_ID)) is None


def test_a_gpu_job_gets_its_plan_and_the_token(cloud: Cloud) -> None:
    # GIVEN the GPU sample and a deployment with the GPU backend
    request = parse_submit_request(sample("transcode_submit/gpu.json"))
    config = BackendConfig(gpu_job_queue=QUEUE, gpu_job_definition=DEFINITION)
    # WHEN it is submitted (Batch stubbed)
    with Stubber(cloud.batch) as stub:
        stub.add_response(
            "submit_job",
            {
                "jobArn": "arn:aws:batch:us-east-1:123456789012:job/j-1",
                "jobName": "transcode-vid1",
                "jobId": "j-1",
            },
            {
                "jobName": "transcode-vid1",
                "jobQueue": QUEUE,
                "jobDefinition": DEFINITION,
                "containerOverrides": {
                    "environment": [
                        {"name": "VIDEO_ID", "value": "vid1"},
                        {"name": "PLAN_KEY", "value": "work/vid1/plan.json"},
                        {"name": "SOURCE_KEY", "value": "originals/vid1"},
                        {"name": "TASK_TOKEN", "value": request.task_token},
                    ]
                },
            },
        )
        answer = cloud.backends(config).submit(request.backend, request.document, request.task_token)
        stub.assert_no_pending_responses()
    # THEN the job started, and the plan it reads is in the bucket as JSON
    assert answer == {"video_id": "vid1", "backend": "gpu", "job_id": "j-1"}
    stored = cloud.s3.get_object(Bucket=BUCKET, Key="work/vid1/plan.json")
    assert stored["ContentType"] == "application/json"
    assert Plan.from_dict(json.loads(stored["Body"].read())) == Plan.from_dict(request.document.plan or {})


def test_a_batch_refusal_is_not_retried(cloud: Cloud) -> None:
    # GIVEN a job queue Batch does not know WHEN a GPU job is submitted THEN `batch_rejected_job`
    request = parse_submit_request(sample("transcode_submit/gpu.json"))
    config = BackendConfig(gpu_job_queue=QUEUE, gpu_job_definition=DEFINITION)
    with Stubber(cloud.batch) as stub:
        stub.add_client_error("submit_job", "ClientException", "JobQueue gpu not found", 400)
        with pytest.raises(InvalidRequest) as raised:
            cloud.backends(config).submit(request.backend, request.document, request.task_token)
    assert raised.value.code == "batch_rejected_job"
