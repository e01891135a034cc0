"""An SQS event source's batch handling against stand-ins for the queue and the Lambda runtime (no sockets)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from reelstack_tools.localcloud.pool import CloudStopping, InvokeResult
from reelstack_tools.localcloud.sqs_poller import SqsMapping, SqsPoller
from tests.unit.localcloud.stub_runtime import StubRuntime

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:work"


class FakeSqs:
    def __init__(self, failed_deletes: int = 0) -> None:
        self.deleted: list[str] = []
        self._failed_deletes = failed_deletes

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        failed = Entries[: self._failed_deletes]
        self.deleted += [entry["ReceiptHandle"] for entry in Entries[self._failed_deletes :]]
        return {
            "Successful": [{"Id": entry["Id"]} for entry in Entries[self._failed_deletes :]],
            "Failed": [
                {"Id": entry["Id"], "SenderFault": True, "Code": "ReceiptHandleIsInvalid", "Message": "stale"}
                for entry in failed
            ],
        }


class FakeClients:
    endpoint = "http://127.0.0.1:4566"

    def __init__(self, sqs: FakeSqs) -> None:
        self.sqs = sqs

    def get(self, service: str) -> Any:
        assert service == "sqs"
        return self.sqs


def messages(count: int) -> list[dict[str, Any]]:
    return [{"MessageId": f"m{n}", "ReceiptHandle": f"rh{n}", "Body": "x"} for n in range(count)]


def poller(runtime: StubRuntime, sqs: FakeSqs) -> SqsPoller:
    return SqsPoller(SqsMapping("Worker", QUEUE_ARN), runtime, FakeClients(sqs))  # type: ignore[arg-type]


def test_a_batch_left_by_a_stopping_cloud_stays_on_the_queue_quietly() -> None:
    # GIVEN a batch received just as the cloud stops WHEN it is processed
    sqs = FakeSqs()
    poller(StubRuntime(CloudStopping("stopping")), sqs)._process(messages(2))
    # THEN nothing is deleted (the messages come back after their visibility timeout)
    assert sqs.deleted == []


def test_a_failure_of_the_local_service_is_not_mistaken_for_a_shutdown() -> None:
    # GIVEN a runtime that fails with some other RuntimeError (a bug, not a shutdown)
    sqs = FakeSqs()
    # WHEN a batch is processed THEN the error reaches the poll loop, which logs it, and nothing is deleted
    with pytest.raises(RuntimeError, match="bug"):
        poller(StubRuntime(RuntimeError("bug")), sqs)._process(messages(2))
    assert sqs.deleted == []


def test_messages_that_could_not_be_deleted_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a successful batch of three, one of which SQS refuses to delete
    sqs = FakeSqs(failed_deletes=1)
    # WHEN it is processed
    with caplog.at_level(logging.WARNING):
        poller(StubRuntime(InvokeResult(b"null", "r")), sqs)._process(messages(3))
    # THEN the others are deleted and the refusal is logged, not dropped
    assert sqs.deleted == ["rh1", "rh2"]
    assert "could not delete a processed message from work (ReceiptHandleIsInvalid: stale)" in caplog.text
