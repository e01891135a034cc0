"""Like events on the bus become author notifications, listed by `GET /notifications` (local cloud)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def put_like(local_cloud: Any, video_id: str, author: str, liker: str, at: datetime) -> None:
    detail = {
        "video_id": video_id,
        "author": author,
        "liker": liker,
        "liker_name": liker,
        "liked_at": at.isoformat(),
    }
    entry = {"Source": "reelstack.likes", "DetailType": "VideoLiked", "Detail": json.dumps(detail)}
    assert local_cloud.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_likes_reach_the_author_aggregated_and_self_likes_do_not(local_cloud: Any) -> None:
    # GIVEN an author (ids are the token's `sub`) and a video of theirs
    author = Api(local_cloud.api_url, local_cloud.token("nora"))
    author_id = _sub(local_cloud, "nora")
    video_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    # WHEN two people like it (pia's like delivered twice) and the author likes it too
    for offset, liker in ((0, "omar"), (1, "pia"), (1, "pia"), (2, author_id)):
        put_like(local_cloud, video_id, author_id, liker, now + timedelta(seconds=offset))

    # THEN the author has one notification naming both, once each (newest first, in arrival order:
    # the events reach the notifications function concurrently)
    def listed() -> list[dict[str, Any]] | None:
        items = author.call("GET", "/notifications").body["items"]
        mine = [item for item in items if item["video_id"] == video_id]
        return mine if mine and mine[0]["actors"] == 2 else None

    items = wait_for(listed, timeout=60)  # bus -> function -> table, across processes
    assert items and len(items) == 1
    assert items[0]["text"] in ("pia and omar liked your video", "omar and pia liked your video")
    # AND nobody else sees it; a bad limit is a 400 with a code
    assert not Api(local_cloud.api_url, local_cloud.token("omar")).call("GET", "/notifications").body["items"]
    assert author.call("GET", "/notifications?limit=0").body["code"] == "invalid_limit"


def _sub(local_cloud: Any, user: str) -> str:
    """The `sub` claim of a user's token (the id videos and likes are recorded under)."""
    import jwt

    return str(jwt.decode(local_cloud.token(user), options={"verify_signature": False})["sub"])
