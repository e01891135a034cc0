"""Likes through the API of the local cloud: answered at once from Redis, durable in DynamoDB once the
likes queue is drained, announced to the author as a notification, listed under `GET /me/likes`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.waiting import wait_for
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def video_id(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PUBLISHED video of alice's (a short synthetic clip through the whole ingest workflow)."""
    from reelstack_tools.demo_media import three_scene_clip

    clip = three_scene_clip(tmp_path_factory.mktemp("likes") / "scenes.mp4", scene_seconds=1.0)
    video = upload_bytes(alice, Path(clip).read_bytes(), title="likes")
    published = wait_for_status(alice, video, timeout=180)
    assert published.get("status") == "PUBLISHED", published
    return video


def _durable(api: Api, video_id: str, count: int, liked_by_me: bool) -> dict[str, Any] | None:
    """`GET /videos/{id}` once DynamoDB (what it reads) holds `count` likes and the caller's like."""
    body = api.call("GET", f"/videos/{video_id}").body
    return body if body.get("like_count") == count and body.get("liked_by_me") is liked_by_me else None


def test_like_and_unlike_are_idempotent_per_user_and_counted(alice: Api, bob: Api, video_id: str) -> None:
    # WHEN bob likes alice's video twice
    first = bob.call("POST", f"/videos/{video_id}/like")
    again = bob.call("POST", f"/videos/{video_id}/like")
    # THEN both answers say liked, counted once, straight from the cache (no degraded flag)
    assert (first.status, first.body) == (200, {"video_id": video_id, "liked": True, "like_count": 1})
    assert (again.status, again.body) == (200, {"video_id": video_id, "liked": True, "like_count": 1})
    assert "X-Reelstack-Degraded" not in first.headers
    # AND once the queue is drained DynamoDB holds it: the video reads one like, bob's (queue -> worker
    # -> table across processes: up to 60 s on a loaded machine, here and below)
    assert wait_for(lambda: _durable(bob, video_id, 1, True), timeout=60)
    assert wait_for(lambda: _durable(alice, video_id, 1, False), timeout=60)

    # WHEN alice likes her own video, and bob unlikes twice
    own = alice.call("POST", f"/videos/{video_id}/like")
    gone = bob.call("DELETE", f"/videos/{video_id}/like")
    gone_again = bob.call("DELETE", f"/videos/{video_id}/like")
    # THEN the counts follow each distinct change only
    assert own.body == {"video_id": video_id, "liked": True, "like_count": 2}
    assert gone.body == {"video_id": video_id, "liked": False, "like_count": 1}
    assert gone_again.body == {"video_id": video_id, "liked": False, "like_count": 1}
    assert wait_for(lambda: _durable(bob, video_id, 1, False), timeout=60)
    assert wait_for(lambda: _durable(alice, video_id, 1, True), timeout=60)


def test_liking_a_missing_video_is_a_404_with_a_code(bob: Api) -> None:
    missing = uuid.uuid4().hex
    for method in ("POST", "DELETE"):
        reply = bob.call(method, f"/videos/{missing}/like")
        assert (reply.status, reply.body["code"]) == (404, "video_not_found"), method


def test_a_like_by_someone_else_notifies_the_author_and_her_own_does_not(
    alice: Api, bob: Api, video_id: str
) -> None:
    # GIVEN bob's like (and alice's own) of alice's video, made durable by the worker
    assert bob.call("POST", f"/videos/{video_id}/like").status == 200
    assert alice.call("POST", f"/videos/{video_id}/like").status == 200

    # THEN alice's notifications say bob liked it, and count nobody else (not herself)
    def notified() -> list[dict[str, Any]] | None:
        items = alice.call("GET", "/notifications").body["items"]
        mine = [item for item in items if item["video_id"] == video_id]
        return mine or None

    items = wait_for(notified, timeout=60)
    assert items, "no notification reached alice"
    assert [item["actors"] for item in items] == [1]
    assert items[0]["text"] == "bob liked your video"
    # AND bob, who owns nothing here, has no notification of it
    assert not [
        item for item in bob.call("GET", "/notifications").body["items"] if item["video_id"] == video_id
    ]


def test_my_likes_lists_the_liked_video_newest_first(alice: Api, bob: Api, video_id: str) -> None:
    # GIVEN bob likes the video (it reaches DynamoDB)
    assert bob.call("POST", f"/videos/{video_id}/like").status == 200

    # WHEN bob lists his likes THEN the video is there with when he liked it
    def listed() -> list[dict[str, Any]] | None:
        items = bob.call("GET", "/me/likes?limit=10").body["items"]
        return [item for item in items if item["video_id"] == video_id] or None

    found = wait_for(listed, timeout=60)
    assert found is not None and len(found) == 1 and found[0]["liked_at"]
    # AND after he unlikes it, it leaves his list; a bad limit is a 400 with a code
    assert bob.call("DELETE", f"/videos/{video_id}/like").status == 200
    assert wait_for(lambda: not listed(), timeout=60)
    assert bob.call("GET", "/me/likes?limit=0").body["code"] == "invalid_limit"
