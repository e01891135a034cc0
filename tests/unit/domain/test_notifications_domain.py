"""Aggregated like notifications: one per video and window, never for your own like, readable text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack.domain.engagement.notifications import (
    LikeNotice,
    like_text,
    notification_key,
    notifies,
    window_of,
)
from reelstack.errors import InvalidRequest

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def notice(liker: str = "alice", author: str = "bob", at: datetime = NOON) -> LikeNotice:
    return LikeNotice(video_id="v1", author=author, liker=liker, liker_name=liker, liked_at=at)


def test_liking_your_own_video_notifies_nobody() -> None:
    # GIVEN bob likes bob's video, and alice likes it WHEN asked THEN only alice's like notifies
    assert not notifies(notice(liker="bob"))
    assert notifies(notice(liker="alice"))


def test_likes_in_one_window_share_one_notification() -> None:
    # GIVEN likes at 12:00, 12:59:59 and 13:00 with hour windows
    first, same, next_hour = (notice(at=NOON + timedelta(seconds=s)) for s in (0, 3599, 3600))
    # THEN the first two aggregate, the third opens a new notification
    assert notification_key(first) == notification_key(same) != notification_key(next_hour)
    assert window_of(next_hour.liked_at) == window_of(NOON) + 1


@pytest.mark.parametrize(
    ("names", "total", "text"),
    [
        (["alice"], 1, "alice liked your video"),
        (["carol", "alice"], 2, "carol and alice liked your video"),
        (["dave", "carol"], 3, "dave, carol and 1 other liked your video"),
        (["erin", "dave"], 14, "erin, dave and 12 others liked your video"),
    ],
)
def test_the_text_names_the_latest_likers_and_counts_the_rest(
    names: list[str], total: int, text: str
) -> None:
    assert like_text(names, total) == text


def test_a_notice_without_its_parties_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        notice(liker="")
    assert refused.value.code == "invalid_like_notice"
