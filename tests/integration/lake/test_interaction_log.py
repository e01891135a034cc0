"""The interaction log on the local cloud: counted plays, likes and unlikes made through the API end up
as rows of Parquet files in the media lake, with the video's facts; a malformed event goes to the
log's DLQ with its reason and never into the lake."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from reelstack_tools.tokens import user_sub
from tests.support.http import Api
from tests.support.lake_rows import PREFIX, lake_rows
from tests.support.waiting import wait_for
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def video_id(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PUBLISHED 3 s video of alice's, tagged."""
    from reelstack_tools.demo_media import three_scene_clip

    clip = Path(three_scene_clip(tmp_path_factory.mktemp("log") / "scenes.mp4", scene_seconds=1.0))
    video = upload_bytes(alice, clip.read_bytes(), title="logged", tags=["lake", "parquet"])
    assert wait_for_status(alice, video, timeout=180).get("status") == "PUBLISHED"
    return video


def test_plays_likes_and_unlikes_reach_the_lake_with_the_videos_facts(
    local_cloud: Any, video_id: str
) -> None:
    # GIVEN a viewer WHEN they watch the video past the threshold, like it, then unlike it
    name = f"logger-{uuid.uuid4().hex[:8]}"
    api, viewer = Api(local_cloud.api_url, local_cloud.token(name)), user_sub(name)
    assert (
        api.call("POST", f"/videos/{video_id}/plays", {"session_id": "s-1", "watched_ms": 3000}).status == 202
    )
    assert api.call("POST", f"/videos/{video_id}/like").status in (200, 201)
    assert api.call("DELETE", f"/videos/{video_id}/like").status in (200, 204)

    # THEN the lake holds one row per event, de-duplicated by id
    def logged() -> list[dict[str, Any]]:
        found = lake_rows(local_cloud, viewer)
        return found if {row["kind"] for row in found} >= {"play", "like", "unlike"} else []

    rows = wait_for(logged, timeout=90) or lake_rows(local_cloud, viewer)
    assert len({row["event_id"] for row in rows}) == 3, rows
    by_kind = {row["kind"]: row for row in rows}
    assert set(by_kind) == {"play", "like", "unlike"}
    play = by_kind["play"]
    # AND the play carries what was watched of how long, and the video's facts
    assert play["video_id"] == video_id and play["watched_ms"] == 3000 and play["schema_version"] == 1
    assert play["author_id"] == user_sub("alice") and sorted(play["tags"]) == ["lake", "parquet"]
    assert play["duration_ms"] and play["watched_fraction"] == pytest.approx(
        min(1.0, 3000 / play["duration_ms"])
    )
    assert play["published_at"] is not None and play["codec_tier"] == "h264"
    # AND each file sits in its day's partition
    s3, bucket = local_cloud.client("s3"), local_cloud.name("LakeBucket")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX)["Contents"]]
    assert all(key.startswith(f"{PREFIX}dt=") and key.endswith(".parquet") for key in keys)


def test_a_malformed_event_goes_to_the_dlq_with_its_reason_not_to_the_lake(local_cloud: Any) -> None:
    sqs = local_cloud.client("sqs")
    user = f"poison-{uuid.uuid4().hex[:8]}"
    # GIVEN an event of an unknown kind put on the log's queue
    body = json.dumps(
        {"event_id": f"x:{user}", "kind": "teleport", "user_id": user, "occurred_at": "2026-12-01T00:00:00Z"}
    )
    sqs.send_message(QueueUrl=local_cloud.queue_url("InteractionLogQueue"), MessageBody=body)
    # WHEN the writer takes it THEN it lands in the DLQ, its reason beside it
    dlq = local_cloud.queue_url("InteractionLogDLQ")

    def dead() -> dict[str, Any] | None:
        answer = sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=1
        )
        for message in answer.get("Messages", []):
            if message["Body"] == body:
                return dict(message)
        return None

    message = wait_for(dead, timeout=60)
    assert "kind must be one of" in message["MessageAttributes"]["reason"]["StringValue"]
    # AND nothing of that user is in the lake
    assert lake_rows(local_cloud, user) == []
