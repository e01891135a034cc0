"""Event sources from the template: SQS mappings, S3 notifications, schedules, EventBridge rules."""

from __future__ import annotations

import json
import time
import urllib.error
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _drained(cloud: Any, queue: str) -> bool:
    """No message of the queue waiting and none being handled (received, not yet deleted)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    url = cloud.queue_url(queue)
    attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(attributes[name] == "0" for name in names)


def test_partial_batch_failures_leave_only_the_poison_message_which_reaches_the_dlq(
    fixture_cloud: Any, wait_for: Any, table_items: Any
) -> None:
    # GIVEN three good messages and a poison one on WorkQueue (maxReceiveCount 2, visibility capped at 2 s)
    sqs = fixture_cloud.client("sqs")
    run = uuid.uuid4().hex[:8]
    good = [f"ok-{run}-{index}" for index in range(3)]
    for body in [good[0], f"poison-{run}", *good[1:]]:
        sqs.send_message(QueueUrl=fixture_cloud.queue_url("WorkQueue"), MessageBody=body)
    # THEN the good ones are processed without waiting for the poison one
    assert wait_for(lambda: len(table_items(f"batch#ok-{run}")) == 3, timeout=60)

    # AND after its retries the poison message lands, unchanged, in the dead-letter queue
    def in_dlq() -> list[str]:
        got = sqs.receive_message(
            QueueUrl=fixture_cloud.queue_url("WorkDeadLetterQueue"), MaxNumberOfMessages=10
        )
        return [message["Body"] for message in got.get("Messages", []) if message["Body"] == f"poison-{run}"]

    # (two receives, each after the 2 s visibility timeout, then the redrive: up to 60 s on a loaded machine)
    assert wait_for(in_dlq, timeout=60, interval=0.5) == [f"poison-{run}"]
    assert all(item["receives"]["S"] == "1" for item in table_items(f"batch#ok-{run}").values())


def test_a_batch_interrupted_by_a_killed_worker_is_retried(
    fixture_cloud: Any, wait_for: Any, table_items: Any
) -> None:
    # GIVEN a slow message on PatientQueue
    fixture_cloud.client("sqs").send_message(
        QueueUrl=fixture_cloud.queue_url("PatientQueue"), MessageBody="sleep:1.5"
    )
    # WHEN the worker processing it is killed mid-batch (its cold start given up to 60 s)
    assert wait_for(
        lambda: fixture_cloud.worker_pids(busy_only=True).get("PatientFunction"), timeout=60, interval=0.05
    )
    assert fixture_cloud.kill_worker("PatientFunction") is not None
    # THEN the message comes back after its visibility timeout and is processed on the second receive
    item = wait_for(lambda: table_items("batch#sleep:1.5").get("batch#sleep:1.5"), timeout=60)
    assert item is not None
    assert item["receives"]["S"] == "2"


def test_an_object_under_the_filtered_prefix_reaches_the_function_through_the_queue(
    fixture_cloud: Any, wait_for: Any, table_items: Any
) -> None:
    # GIVEN the bucket's notification (ObjectCreated, prefix originals/) to UploadsQueue -> UploadsFunction
    s3 = fixture_cloud.client("s3")
    bucket = fixture_cloud.name("MediaBucket")
    name = f"clip {uuid.uuid4().hex[:6]}.mp4"
    s3.put_object(Bucket=bucket, Key=f"elsewhere/{name}", Body=b"x")
    s3.put_object(Bucket=bucket, Key=f"originals/{name}", Body=b"x")
    # THEN the function sees the originals/ key (URL-decoded by the handler)
    assert wait_for(lambda: f"upload#originals/{name}" in table_items("upload#"), timeout=60)
    # AND, once the queue has nothing waiting or in flight, not the other one
    assert wait_for(lambda: _drained(fixture_cloud, "UploadsQueue"), timeout=60), "UploadsQueue did not drain"
    assert f"upload#elsewhere/{name}" not in table_items("upload#")


def test_a_schedule_fired_now_invokes_its_function_with_the_declared_input(fixture_cloud: Any) -> None:
    # GIVEN TickFunction's cron schedule with Input '{"tick": "daily"}' WHEN fired now, waiting
    results = fixture_cloud.fire_schedule("TickFunctionDaily")
    # THEN the function ran with that input
    assert [(result["status"], result["payload"]) for result in results] == [
        ("ok", {"received": {"tick": "daily"}})
    ]


def test_a_schedule_without_input_sends_the_scheduled_event(fixture_cloud: Any) -> None:
    (result,) = fixture_cloud.fire_schedule("fixture-hourly")
    event = result["payload"]["received"]
    assert (event["detail-type"], event["source"], event["detail"]) == (
        "Scheduled Event",
        "aws.scheduler",
        {},
    )
    assert event["resources"][0].endswith("schedule/default/fixture-hourly")
    with pytest.raises(urllib.error.HTTPError) as missing:
        fixture_cloud.fire_schedule("no-such-schedule")
    assert missing.value.code == 404


def test_put_events_reach_the_function_of_a_matching_rule(
    fixture_cloud: Any, wait_for: Any, table_items: Any
) -> None:
    # GIVEN PatternFunction's EventBridgeRule (source fixture.videos, detail-type VideoPublished)
    events = fixture_cloud.client("events")
    # WHEN an event of another source and then a matching one are put (in that order: had the other
    # matched, its invocation would have been queued first)
    answer = events.put_events(
        Entries=[
            {
                "Source": "fixture.other",
                "DetailType": "VideoPublished",
                "Detail": json.dumps({"video": "v2"}),
            },
            {
                "Source": "fixture.videos",
                "DetailType": "VideoPublished",
                "Detail": json.dumps({"video": "v1"}),
            },
        ]
    )
    other, matching = (entry["EventId"] for entry in answer["Entries"])
    # THEN only the matching event is delivered, as EventBridge's event
    item = wait_for(lambda: table_items("event#").get(f"event#{matching}"), timeout=60)
    assert item is not None
    assert json.loads(item["event"]["S"])["detail"] == {"video": "v1"}
    # AND, once PatternFunction has no invocation running (and a moment more), the other one never came
    idle = wait_for(lambda: not fixture_cloud.worker_pids(busy_only=True).get("PatternFunction"), timeout=60)
    assert idle, "PatternFunction stayed busy"
    time.sleep(0.5)
    assert f"event#{other}" not in table_items("event#")
