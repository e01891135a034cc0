"""The plays worker SIGKILLed in the middle of a batch on the local cloud: part of the batch is in
DynamoDB, none of it was deleted from PlaysQueue, and SQS hands the messages out again (after the test
cloud's 2 s visibility timeout) mixed with newer plays of the same videos. Every play must count once.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reelstack.adapters.engagement.play_daily_stats import DailyStats, DayStats
from reelstack.domain.engagement.plays import PlayEvent, play_message
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

VIDEOS = 60
ATTEMPTS = 4  # a kill that lands before the first commit or after the last proves nothing: try again


def _send(sqs: Any, queue_url: str, plays: list[PlayEvent]) -> None:
    for start in range(0, len(plays), 10):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(play_message(play))}
            for n, play in enumerate(plays[start : start + 10])
        ]
        assert not sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")


def _in_queue(sqs: Any, queue_url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def _counted(daily: DailyStats, videos: list[str]) -> list[int]:
    return [daily.total(video).plays for video in videos]


def test_a_worker_killed_mid_batch_counts_every_play_once_after_a_regrouped_redelivery(
    local_cloud: Any, cloud_sdk_environment: Any
) -> None:
    function = local_cloud.name("PlaysFunction")
    sqs, queue_url = local_cloud.client("sqs"), local_cloud.queue_url("PlaysQueue")
    daily = DailyStats(local_cloud.name("PlayDailyStatsTable"), local_cloud.region)
    at = datetime(2041, 1, 1, 12, tzinfo=UTC) + timedelta(minutes=uuid.uuid4().int % 100_000)
    try:
        for _ in range(ATTEMPTS):
            # GIVEN one play of each of 60 videos queued at once (a batch of many (video, day) writes)
            videos = sorted(uuid.uuid4().hex for _ in range(VIDEOS))
            local_cloud.pause_sources(function)
            _send(sqs, queue_url, [PlayEvent(video, "first", "s", 3000, at) for video in videos])
            # WHEN the worker is SIGKILLed once the batch's first write is in, and its messages wait
            local_cloud.resume_sources(function)
            first_three = videos[:3]
            assert wait_for(lambda: any(_counted(daily, first_three)), timeout=60, interval=0.02)  # noqa: B023
            killed = local_cloud.kill_worker(function)
            local_cloud.pause_sources(function)
            partly = sum(1 for plays in _counted(daily, videos) if plays)
            if killed is not None and 0 < partly < VIDEOS:
                break
            local_cloud.resume_sources(function)
            assert wait_for(lambda: _in_queue(sqs, queue_url) == 0, timeout=120)
        else:
            pytest.fail(f"no kill landed inside a batch in {ATTEMPTS} attempts")

        # AND a second play of every video is queued before the messages come back, so the redelivered
        # ones are handed out again in other batches, mixed with the new ones
        _send(sqs, queue_url, [PlayEvent(video, "second", "s", 5000, at) for video in videos])
        local_cloud.resume_sources(function)

        # THEN once the queue is drained every video counts exactly its two plays
        assert wait_for(lambda: _in_queue(sqs, queue_url) == 0, timeout=120)
        totals = {video: daily.total(video) for video in videos}
        wrong = {video: total for video, total in totals.items() if total != DayStats("total", 2, 8000)}
        assert not wrong, (
            f"{len(wrong)} of {VIDEOS} videos miscounted ({partly} were written before the kill)"
        )
    finally:
        local_cloud.resume_sources(function)
