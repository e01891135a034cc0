"""Submitting the GPU transcoder's AWS Batch job idempotently, against moto's Batch (in process, no
containers run): a SubmitJob whose answer was lost after Batch created the job must not start a second
GPU job when it is tried again."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.media.batch_jobs import BatchJobs
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import gpu_job_request
from reelstack.errors import DependencyFailed
from tests.support.moto_batch import lose_submit_answers, moto_batch

SAMPLE = Path(__file__).resolve().parents[3] / "events" / "transcode_submit" / "gpu.json"


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, str]]:
    """moto's Batch with a job queue and a container job definition: (client, queue ARN, definition ARN)."""
    with moto_batch(monkeypatch) as moto:
        yield moto.client, moto.queue, moto.definition


def _request(queue: str, definition: str, token: str = "token-1") -> dict[str, Any]:
    plan = Plan.from_dict(_plan_dict())
    return gpu_job_request(plan, "originals/vid1", token, job_queue=queue, job_definition=definition)


def _plan_dict() -> dict[str, Any]:
    """The plan of the GPU sample event (`events/transcode_submit/gpu.json`)."""
    return dict(json.loads(SAMPLE.read_text())["document"]["plan"])


def _jobs(client: Any, queue: str) -> list[dict[str, Any]]:
    statuses = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
    return [
        job
        for status in statuses
        for job in client.list_jobs(jobQueue=queue, jobStatus=status)["jobSummaryList"]
    ]


def test_a_submission_whose_answer_was_lost_is_not_submitted_twice(batch: tuple[Any, str, str]) -> None:
    client, queue, definition = batch
    # GIVEN Batch creates the job but its answer to SubmitJob is lost (a read timeout)
    lost = lose_submit_answers(client, 1)
    jobs = BatchJobs(client)

    # WHEN the submission is made (an error there makes the Task try again), and made again
    first: str | None = None
    with contextlib.suppress(DependencyFailed):
        first = jobs.submit(_request(queue, definition))
    again = jobs.submit(_request(queue, definition))

    # THEN Batch holds one job, the one created first, and the retry answers it
    assert [job["jobId"] for job in _jobs(client, queue)] == lost
    assert again == lost[0]
    # AND the first call already answered it (its lost answer was recovered within the call)
    assert first == lost[0]


def test_another_waiting_task_gets_a_job_of_its_own(batch: tuple[Any, str, str]) -> None:
    client, queue, definition = batch
    # GIVEN a job submitted for one waiting Task (its task token)
    jobs = BatchJobs(client)
    first = jobs.submit(_request(queue, definition, "token-1"))
    # WHEN a later attempt of the Task (a new token: the job of the first can no longer resume it) submits
    second = jobs.submit(_request(queue, definition, "token-2"))
    # THEN it is a second job
    assert first != second and len(_jobs(client, queue)) == 2
