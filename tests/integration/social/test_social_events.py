"""Follows, comments and shares past the API: into the interaction log's lake as rows of their kinds,
and through the comments queue exactly once (a redelivered message changes nothing; a malformed one
reaches the DLQ and nothing else)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.lake_rows import lake_rows
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
NewUser = Callable[..., tuple[Api, str]]


def visible_count(api: Api, video: str) -> int:
    return int(api.call("GET", f"/videos/{video}").body["comment_count"])


def test_a_follow_a_comment_and_a_share_reach_the_lake_once_each(
    local_cloud: Any, new_user: NewUser, publish: Callable[..., str]
) -> None:
    # GIVEN ann's video WHEN bob follows ann, comments on the video (twice the same share) and shares it
    _, ann_id = new_user("ann")
    bob, bob_id = new_user("bob")
    video = publish(ann_id, tags=["lake", "social"])
    assert bob.call("POST", f"/users/{ann_id}/follow").status == 200
    assert bob.call("POST", f"/videos/{video}/comments", {"text": "nice"}).status == 201
    for _ in range(2):
        assert bob.call("POST", f"/videos/{video}/share", {"channel": "sms"}).status == 201

    # THEN the lake holds one row of each kind for bob, with the facts of what it was about
    def logged() -> list[dict[str, Any]]:
        found = lake_rows(local_cloud, bob_id)
        return found if {row["kind"] for row in found} >= {"follow", "comment", "share"} else []

    rows = wait_for(logged, timeout=120)
    by_kind = {row["kind"]: row for row in rows}
    # (the log is at least once, its readers de-duplicate on event_id: one id per event)
    assert sorted({(row["kind"], row["event_id"]) for row in rows}) == sorted(
        (kind, by_kind[kind]["event_id"]) for kind in ("comment", "follow", "share")
    )
    assert by_kind["follow"]["author_id"] == ann_id and by_kind["follow"]["video_id"] is None
    for kind in ("comment", "share"):
        assert by_kind[kind]["video_id"] == video and by_kind[kind]["author_id"] == ann_id
        assert sorted(by_kind[kind]["tags"]) == ["lake", "social"]


def test_a_redelivered_comment_message_changes_nothing_and_a_malformed_one_reaches_the_dlq(
    local_cloud: Any, new_user: NewUser, publish: Callable[..., str]
) -> None:
    # GIVEN a visible comment (counted once)
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    video = publish(ann_id)
    posted = bob.call("POST", f"/videos/{video}/comments", {"text": "first"}).body
    assert wait_for(lambda: visible_count(ann, video) == 1, timeout=60)
    sqs = local_cloud.client("sqs")
    queue, dlq = local_cloud.queue_url("CommentsQueue"), local_cloud.queue_url("CommentsDLQ")
    # WHEN its message is delivered three more times, and a malformed message arrives
    message = json.dumps({"video_id": video, "comment_id": posted["comment_id"]})
    for _ in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=message)
    sqs.send_message(QueueUrl=queue, MessageBody='{"video_id": "' + video + '"}')

    # THEN the malformed one ends in the DLQ after its retries
    def dead_lettered() -> list[str]:
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [m["Body"] for m in got if "comment_id" not in m["Body"]]

    assert wait_for(dead_lettered, timeout=120)
    # AND the comment is still counted once, listed once
    assert visible_count(ann, video) == 1
    listed = [c["comment_id"] for c in ann.call("GET", f"/videos/{video}/comments").body["items"]]
    assert listed == [posted["comment_id"]]
