"""The likes queue's consumer: a like that moved the truth becomes `VideoLiked` with the video's owner as
author; unlikes, duplicates and stale changes announce nothing, and a redelivery after a failed publish
announces it again."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.domain.engagement.likes import LikeChange
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import DependencyFailed
from reelstack.services.engagement.likes import VIDEO_LIKED, LikeConsumer, LikeWorker

AT = "2026-11-22T12:00:00Z"


class FakeStore:
    """Applies a change when its version is newer than the (video, user)'s, as the real store does."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[bool, int]] = {}

    def apply(self, change: LikeChange) -> bool:
        key = (change.video_id, change.user_id)
        liked, version = self.items.get(key, (False, 0))
        if change.version <= version:
            return False
        self.items[key] = (change.liked, change.version)
        return liked != change.liked

    def holds(self, change: LikeChange) -> bool:
        return self.items.get((change.video_id, change.user_id)) == (change.liked, change.version)


class FakeBus:
    def __init__(self, failures: int = 0) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.failures = failures

    def publish(self, detail_type: str, detail: dict[str, Any], resources: list[str] | None = None) -> None:
        if self.failures:
            self.failures -= 1
            raise DependencyFailed("PutEvents failed")
        self.events.append((detail_type, detail))


def video(video_id: str, owner: str = "alice") -> Video:
    return Video(video_id, owner, VideoStatus.PUBLISHED, "t", (), AT, AT)


def consumer(bus: FakeBus, store: FakeStore | None = None) -> LikeConsumer:
    store = store or FakeStore()
    videos = {"v1": video("v1")}
    return LikeConsumer(LikeWorker(store), store, bus, videos.get)


def message(liked: bool, version: int, user: str = "bob", video_id: str = "v1") -> dict[str, Any]:
    return {**LikeChange(video_id, user, liked, version, AT).to_dict(), "liker_name": f"{user}-name"}


def test_a_new_like_is_announced_once_with_the_owner_as_author() -> None:
    bus = FakeBus()
    likes = consumer(bus)

    assert likes.consume(message(True, 1)).applied
    assert not likes.consume(message(True, 1), redelivered=False).applied  # a duplicate

    assert bus.events == [
        (
            VIDEO_LIKED,
            {"video_id": "v1", "author": "alice", "liker": "bob", "liker_name": "bob-name", "liked_at": AT},
        )
    ]


def test_unlikes_and_stale_likes_announce_nothing() -> None:
    bus = FakeBus()
    likes = consumer(bus)

    likes.consume(message(False, 5))  # an unlike that arrived before its like
    likes.consume(message(True, 3))  # the older like: ignored
    likes.consume(message(True, 3), redelivered=True)

    assert bus.events == []


def test_a_failed_publish_is_retried_by_the_redelivery() -> None:
    bus = FakeBus(failures=1)
    likes = consumer(bus)

    with pytest.raises(DependencyFailed):
        likes.consume(message(True, 1))
    handled = likes.consume(message(True, 1), redelivered=True)

    assert handled.applied is False
    assert [detail["liker"] for _, detail in bus.events] == ["bob"]


def test_a_like_of_a_deleted_video_is_durable_but_announces_nothing() -> None:
    bus = FakeBus()
    likes = consumer(bus)

    assert likes.consume(message(True, 1, video_id="gone")).applied
    assert bus.events == []
