"""Plays through the API of the local cloud: the threshold and the viewer's hourly window decide what
counts (answered at once from Redis), counted plays are aggregated into DynamoDB by the plays queue's
worker and read back as `play_count`; bad beacons and poison messages lose nothing already counted."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api, Reply
from tests.support.waiting import wait_for
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def video_id(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PUBLISHED 3 s video of alice's (a play counts at min(3 s, half of 3 s) = 1.5 s), tagged."""
    from reelstack_tools.demo_media import three_scene_clip

    clip = Path(three_scene_clip(tmp_path_factory.mktemp("plays") / "scenes.mp4", scene_seconds=1.0))
    video = upload_bytes(alice, clip.read_bytes(), title="plays", tags=["skate", "ocean"])
    assert wait_for_status(alice, video, timeout=180).get("status") == "PUBLISHED"
    return video


def _play(api: Api, video_id: str, watched_ms: Any, session: str = "s-1") -> Reply:
    return api.call("POST", f"/videos/{video_id}/plays", {"session_id": session, "watched_ms": watched_ms})


def _play_count_is(api: Api, video_id: str, expected: int) -> bool:
    return bool(api.call("GET", f"/videos/{video_id}").body.get("play_count") == expected)


def _settled_play_count(local_cloud: Any, api: Api, video_id: str) -> int:
    """The play count once the plays queue is empty (earlier tests' plays aggregated)."""
    sqs, queue = local_cloud.client("sqs"), local_cloud.queue_url("PlaysQueue")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def drained() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
        return all(int(attributes[name]) == 0 for name in names)

    assert wait_for(drained, timeout=60), "the plays queue did not drain"
    return int(api.call("GET", f"/videos/{video_id}").body["play_count"])


def _stats_items(local_cloud: Any, video_id: str) -> list[dict[str, Any]]:
    """The video's items in the daily stats table (day items and ledger), for a failure's message."""
    table = local_cloud.name("PlayDailyStatsTable")
    query = {"KeyConditionExpression": "video_id = :v", "ExpressionAttributeValues": {":v": {"S": video_id}}}
    return list(local_cloud.client("dynamodb").query(TableName=table, **query)["Items"])


def _viewer(local_cloud: Any, name: str | None = None) -> Api:
    return Api(local_cloud.api_url, local_cloud.token(name or f"viewer-{uuid.uuid4().hex[:8]}"))


def test_a_play_counts_past_the_threshold_once_per_viewer_per_hour(
    local_cloud: Any, alice: Api, video_id: str
) -> None:
    # GIVEN two viewers of a 3 s video, and its count before them
    carol, dave = _viewer(local_cloud), _viewer(local_cloud)
    before = _settled_play_count(local_cloud, alice, video_id)

    # WHEN carol watches 1.4 s, then 1.5 s, then 2.9 s again; dave 3 s
    short = _play(carol, video_id, 1400)
    counted = _play(carol, video_id, 1500)
    again = _play(carol, video_id, 2900, session="s-2")
    other = _play(dave, video_id, 3000)

    # THEN each answer is 202 and says what happened: below the threshold, counted, duplicate, counted
    assert [r.status for r in (short, counted, again, other)] == [202] * 4
    assert short.body == {"video_id": video_id, "counted": False, "reason": "below_threshold"}
    assert counted.body == {"video_id": video_id, "counted": True, "reason": "counted"}
    assert again.body == {"video_id": video_id, "counted": False, "reason": "duplicate"}
    assert other.body["counted"] is True
    # AND the plays worker aggregates exactly the two counted plays into the daily stats
    assert wait_for(lambda: _play_count_is(alice, video_id, before + 2), timeout=40), _stats_items(
        local_cloud, video_id
    )


def test_counted_plays_feed_unique_viewers_and_the_viewers_interests(local_cloud: Any, video_id: str) -> None:
    from reelstack.adapters.engagement.play_stats import PlayStats
    from reelstack_tools.tokens import user_sub

    # GIVEN the Redis side of plays (what feeds read)
    stats = PlayStats(local_cloud.redis_url)
    viewers_before = stats.unique_viewers(video_id)
    erin_name = f"erin-{uuid.uuid4().hex[:6]}"
    erin = _viewer(local_cloud, erin_name)

    # WHEN erin's play of the tagged video counts
    assert _play(erin, video_id, 2000).body["counted"] is True

    # THEN she is one more unique viewer, the video is on the hot list, and its tags are her interests
    assert stats.unique_viewers(video_id) == viewers_before + 1
    assert video_id in dict(stats.hot(1000))
    assert {tag for tag, _ in stats.interests(user_sub(erin_name), 10)} == {"skate", "ocean"}


def test_bad_beacons_are_refused_with_a_code(local_cloud: Any, video_id: str) -> None:
    viewer = _viewer(local_cloud)
    # GIVEN beacons a player should never send, and a video that does not exist
    bodies: list[Any] = [
        {"session_id": "s", "watched_ms": -1},
        {"session_id": "s", "watched_ms": "lots"},
        {"watched_ms": 2000},
        {"session_id": "has spaces", "watched_ms": 2000},
        ["not", "an", "object"],
    ]
    # WHEN each is sent THEN 400 invalid_play
    for body in bodies:
        reply = viewer.call("POST", f"/videos/{video_id}/plays", body)
        assert (reply.status, reply.body["code"]) == (400, "invalid_play"), body
    not_json = viewer.call(
        "POST", f"/videos/{video_id}/plays", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert (not_json.status, not_json.body["code"]) == (400, "invalid_json")
    missing = _play(viewer, uuid.uuid4().hex, 5000)
    assert (missing.status, missing.body["code"]) == (404, "video_not_found")


def test_a_poison_play_message_goes_to_the_dlq_and_does_not_hold_up_good_plays(
    local_cloud: Any, alice: Api, video_id: str
) -> None:
    sqs = local_cloud.client("sqs")
    queue, dlq = local_cloud.queue_url("PlaysQueue"), local_cloud.queue_url("PlaysDLQ")
    before = _settled_play_count(local_cloud, alice, video_id)
    # GIVEN a poison message on the plays queue (not JSON), then a good play
    poison = sqs.send_message(QueueUrl=queue, MessageBody="not json")["MessageId"]
    assert _play(_viewer(local_cloud), video_id, 2500).body["counted"] is True

    # THEN the good play is counted without waiting for the poison to exhaust its receives
    assert wait_for(lambda: _play_count_is(alice, video_id, before + 1), timeout=40)

    # AND the poison ends in PlaysDLQ, with nothing else
    def in_dlq() -> list[str]:
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in got.get("Messages", []):
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
        return [message["MessageId"] for message in got.get("Messages", [])]

    assert wait_for(in_dlq, timeout=60) == [poison]
    assert _play_count_is(alice, video_id, before + 1)


def test_a_user_beyond_the_play_bucket_gets_429_with_retry_after(local_cloud: Any, video_id: str) -> None:
    # GIVEN one user (the play bucket: 30/s, burst 60)
    viewer = _viewer(local_cloud)

    # WHEN they send 160 beacons from 8 threads at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda n: _play(viewer, video_id, 100, f"s-{n}"), range(160)))

    # THEN some are refused with 429 rate_limited and a Retry-After (whole seconds, at least 1)
    refused = [reply for reply in replies if reply.status == 429]
    assert refused, [reply.status for reply in replies]
    assert {reply.body["code"] for reply in refused} == {"rate_limited"}
    assert all(int(reply.headers["Retry-After"]) >= 1 for reply in refused)
    # AND the rest were answered (below the threshold: nothing counted)
    assert {reply.status for reply in replies} == {202, 429}
