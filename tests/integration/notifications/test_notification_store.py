"""Aggregated like notifications in the local cloud's DynamoDB: one per video and window, idempotent
per liker, newest first per author, paged with a cursor."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reelstack.adapters.engagement.notification_store import NotificationStore
from reelstack.domain.engagement.notifications import Notice, like_notice
from reelstack.errors import InvalidRequest

pytestmark = pytest.mark.integration
NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(local_cloud: Any, cloud_sdk_environment: Any) -> NotificationStore:
    """A notifications table made for this module (the template gains it with the likes wiring)."""
    name = f"notifications-{uuid.uuid4().hex[:8]}"
    local_cloud.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": key, "AttributeType": "S"} for key in ("recipient", "ref", "latest_at")
        ],
        KeySchema=[
            {"AttributeName": "recipient", "KeyType": "HASH"},
            {"AttributeName": "ref", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "recipient-latest-index",
                "KeySchema": [
                    {"AttributeName": "recipient", "KeyType": "HASH"},
                    {"AttributeName": "latest_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return NotificationStore(name, "us-east-1", window_s=3600)


def like(video: str, liker: str, at: datetime, author: str = "bob") -> Notice:
    return like_notice(video_id=video, author=author, liker=liker, liker_name=liker, liked_at=at)


def test_likes_in_a_window_become_one_notification_counted_once_per_liker(store: NotificationStore) -> None:
    # GIVEN 14 people like bob's video within the hour, alice's like delivered three times
    likers = [f"user{i:02d}" for i in range(12)] + ["erin", "alice"]
    for minute, liker in enumerate(likers):
        store.add(like("v1", liker, NOON + timedelta(minutes=minute)))
    store.add(like("v1", "alice", NOON + timedelta(minutes=13)))
    store.add(like("v1", "alice", NOON + timedelta(minutes=13)))
    # WHEN bob lists his notifications
    items, _ = store.newest("bob", 10, None)
    # THEN one notification says who and how many, counting alice once
    (only,) = [n for n in items if n.video_id == "v1"]
    assert only.actors == 14
    assert only.text == "alice, erin and 12 others liked your video"
    # AND the stored names hold one entry per liker (redeliveries add none: the item cannot outgrow)
    stored = store.model.get("bob", only_ref(store, "v1"))
    assert len(stored.recent_names or []) == 14


def only_ref(store: NotificationStore, video: str) -> str:
    from reelstack.domain.engagement.notifications import notification_key

    return notification_key(like(video, "x", NOON), store.window_s)


def test_a_new_window_or_another_video_is_another_notification_newest_first(store: NotificationStore) -> None:
    # GIVEN carol's video liked now and an hour later, and another video liked in between
    store.add(like("v2", "dave", NOON, author="carol"))
    store.add(like("v3", "dave", NOON + timedelta(minutes=30), author="carol"))
    store.add(like("v2", "erin", NOON + timedelta(hours=1), author="carol"))
    # WHEN carol pages through hers one at a time
    seen, cursor = [], None
    while True:
        items, cursor = store.newest("carol", 1, cursor)
        seen += items
        if not cursor:
            break
    # THEN three notifications, newest activity first
    assert [(n.video_id, n.text) for n in seen] == [
        ("v2", "erin liked your video"),
        ("v3", "dave liked your video"),
        ("v2", "dave liked your video"),
    ]


def test_a_bad_cursor_is_refused(store: NotificationStore) -> None:
    with pytest.raises(InvalidRequest) as refused:
        store.newest("bob", 10, "not-a-cursor")
    assert refused.value.code == "invalid_cursor"
