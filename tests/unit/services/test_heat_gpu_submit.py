"""The high-heat workflow's GPU path starts at most one AWS Batch job per waiting Task: EncodeWithGpu
(statemachines/heat.asl.json) run as Step Functions runs it (`tests.support.asl_task`: a new token per
attempt, its Retry followed), against moto's Batch in process, through the transcode submit function's
handler. SubmitJob has no client token, so an answer lost after Batch created the job must not become a
second GPU job when the submission is tried again; and the job must be the heat job the container reads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.media.batch_jobs import BatchJobs
from reelstack.adapters.media.mediaconvert import MediaConvertJobs
from reelstack.adapters.media.waiting_tasks import WaitingTasks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.transcode_jobs import attempt_job_name, heat_job_key
from reelstack.services.media.transcode_backends import (
    BackendConfig,
    TranscodeBackends,
)
from tests.support.asl_task import TaskRun, load_state, run_task
from tests.support.modules import load_module
from tests.support.moto_batch import REGION, MotoBatch, moto_batch

ROOT = Path(__file__).resolve().parents[3]
ASL = ROOT / "statemachines" / "heat.asl.json"
SUBMIT_APP = ROOT / "functions" / "transcode_submit" / "app.py"
RUN_JOB = ROOT / "infra" / "containers" / "gpu-transcoder" / "run_job.py"
SAMPLE = ROOT / "events" / "transcode_submit" / "heat.json"
SUBMIT_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:TranscodeSubmitFunction:live"

# The handler runs with Powertools' metrics and publishes none here.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

Handler = Callable[[dict[str, Any], Any], Any]


def planned_document() -> dict[str, Any]:
    """The heat workflow's document as Plan leaves it when it chose the GPU (EncodeWithGpu's sample)."""
    document: dict[str, Any] = json.loads(SAMPLE.read_text())["document"]
    return document


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoBatch]:
    with moto_batch(monkeypatch) as moto:
        yield moto


@pytest.fixture
def submit_function(batch: MotoBatch, monkeypatch: pytest.MonkeyPatch) -> Handler:
    """TranscodeSubmitFunction's handler, its service wired to moto's Batch and the deployment's GPU queue
    and job definition (the other clients are built only on first use, which never comes here)."""
    module = load_module("transcode_submit_app_heat", SUBMIT_APP)
    service = TranscodeBackends(
        MediaStorage("reelstack-media-dev-1"),
        WaitingTasks("waiting-tasks", REGION),
        MediaConvertJobs(),
        BatchJobs(batch.client, sleep=lambda _: None),
        BackendConfig(gpu_job_queue=batch.queue, gpu_job_definition=batch.definition),
    )
    monkeypatch.setattr(module, "transcode_backends", lambda: service)
    handler: Handler = module.handler
    return handler


def encode_with_gpu(batch: MotoBatch, submit_function: Handler, document: dict[str, Any]) -> TaskRun:
    """EncodeWithGpu run on the document. Substituted: the submit function, and the GPU job queue and job
    definition, which a definition submitting to Batch itself (as EncodeWithGpu once did) would name."""
    substitutions = {
        "TranscodeSubmitFunctionArn": SUBMIT_FUNCTION,
        "GpuJobQueueArn": batch.queue,
        "GpuJobDefinitionArn": batch.definition,
    }
    state = load_state(ASL, "EncodeWithGpu", substitutions)
    return run_task(
        state, document, clients={"batch": batch.client}, functions={SUBMIT_FUNCTION: submit_function}
    )


def environment(job: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in job["container"]["environment"]}


@pytest.mark.parametrize("lost_as", ["server", "timeout"])
def test_a_heat_gpu_submission_whose_answer_was_lost_starts_one_batch_job(
    batch: MotoBatch, submit_function: Handler, lost_as: str
) -> None:
    """GIVEN a heat document Plan sent to the GPU, and AWS Batch that creates the job of the first
    SubmitJob but whose answer is lost (a 5xx, or a read timeout, after the job was created)
    WHEN the heat workflow's EncodeWithGpu Task runs, tried again as its Retry says
    THEN Batch holds exactly one job for the video, the one created first, and the Task waits on the
    token that job reports to (a second job would encode the twins twice on a GPU)."""
    lost = batch.lose_submit_answers(1, lost_as)
    document = planned_document()

    run = encode_with_gpu(batch, submit_function, document)

    jobs = [job for job in batch.jobs() if environment(job).get("VIDEO_ID") == document["video_id"]]
    started = [(job["jobName"], environment(job)["TASK_TOKEN"]) for job in jobs]
    assert len(jobs) == 1, f"{len(jobs)} GPU jobs for the video (name, token): {started}"
    assert jobs[0]["jobId"] == lost[0]
    assert run.outcome == "waiting", run
    assert environment(jobs[0])["TASK_TOKEN"] == run.token


def test_the_heat_job_is_what_the_container_reads(batch: MotoBatch, submit_function: Handler) -> None:
    """GIVEN a heat document Plan sent to the GPU
    WHEN EncodeWithGpu runs
    THEN one Batch job of the GPU transcoder is submitted, named after the video, the codec and the
    waiting Task, and the container reads its environment as a heat job: the video, the heat job Plan
    wrote, the source and the token of the Task that waits."""
    document = planned_document()

    run = encode_with_gpu(batch, submit_function, document)

    assert run.outcome == "waiting" and len(run.attempts) == 1, run
    (job,) = batch.jobs()
    assert job["jobName"] == attempt_job_name("vid1", run.token, "heat-hevc")
    assert job["jobName"].startswith(document["plan"]["job_name"] + "-")
    assert job["jobDefinition"] == batch.definition
    env = load_module("gpu_run_job_heat_submit", RUN_JOB).JobEnv.from_environ(
        environment(job) | {"MEDIA_BUCKET": "media"}
    )
    assert (env.kind, env.video_id, env.plan_key, env.source_key, env.task_token) == (
        "heat",
        "vid1",
        heat_job_key("vid1", "hevc"),
        "originals/vid1",
        run.token,
    )
