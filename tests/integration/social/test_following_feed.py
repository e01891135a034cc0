"""GET /feed/following: the newest published videos of the people you follow, paged without repeats,
changed at once by a follow or an unfollow."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from reelstack.domain.videos import VideoStatus
from tests.support.http import Api

pytestmark = pytest.mark.integration


def pages(api: Api, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        reply = api.call("GET", f"/feed/following?limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert reply.status == 200, reply.body
        seen += [item["video_id"] for item in reply.body["items"]]
        cursor = reply.body["cursor"]
        if not cursor:
            return seen


def test_the_following_feed_is_the_followed_creators_newest_videos(
    new_user: Callable[..., tuple[Api, str]], publish: Callable[..., str]
) -> None:
    # GIVEN two followed creators with 4 published videos each (and a held one), and an unfollowed one
    viewer, _ = new_user("viewer")
    creators = [new_user("maker") for _ in range(3)]
    made: dict[str, list[str]] = {}
    for _, creator_id in creators:
        made[creator_id] = []
        for n in range(4):
            made[creator_id].append(publish(creator_id, title=f"clip {n}"))
            time.sleep(0.01)  # distinct publication times
        publish(creator_id, title="held", status=VideoStatus.IN_REVIEW)
    for _, creator_id in creators[:2]:
        assert viewer.call("POST", f"/users/{creator_id}/follow").status == 200
    # WHEN the viewer pages through the tab 3 at a time
    seen = pages(viewer, 3)
    # THEN it holds exactly the followed creators' published videos, newest first, once each
    followed = made[creators[0][1]] + made[creators[1][1]]
    assert sorted(seen) == sorted(followed) and len(seen) == len(set(seen))
    assert seen[:2] == [made[creators[1][1]][-1], made[creators[1][1]][-2]]
    # WHEN the viewer unfollows one and follows the third THEN the next read shows the change at once
    viewer.call("DELETE", f"/users/{creators[0][1]}/follow")
    viewer.call("POST", f"/users/{creators[2][1]}/follow")
    assert sorted(pages(viewer, 50)) == sorted(made[creators[1][1]] + made[creators[2][1]])


def test_a_bad_cursor_is_refused(new_user: Callable[..., tuple[Api, str]]) -> None:
    viewer, _ = new_user("viewer")
    reply = viewer.call("GET", "/feed/following?cursor=bm90LWEtY3Vyc29y")
    assert (reply.status, reply.body["code"]) == (400, "invalid_cursor")
