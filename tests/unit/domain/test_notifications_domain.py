"""Aggregated notifications: one per kind, subject and window, never for your own action, readable text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack.domain.engagement.notifications import (
    Notice,
    like_notice,
    notice_text,
    notification_key,
    notifies,
    window_of,
)
from reelstack.errors import InvalidRequest

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def notice(liker: str = "alice", author: str = "bob", at: datetime = NOON) -> Notice:
    return like_notice(video_id="v1", author=author, liker=liker, liker_name=liker, liked_at=at)


def test_liking_your_own_video_notifies_nobody() -> None:
    # GIVEN bob likes bob's video, and alice likes it WHEN asked THEN only alice's like notifies
    assert not notifies(notice(liker="bob"))
    assert notifies(notice(liker="alice"))


def test_likes_in_one_window_share_one_notification() -> None:
    # GIVEN likes at 12:00, 12:59:59 and 13:00 with hour windows
    first, same, next_hour = (notice(at=NOON + timedelta(seconds=s)) for s in (0, 3599, 3600))
    # THEN the first two aggregate, the third opens a new notification
    assert notification_key(first) == notification_key(same) != notification_key(next_hour)
    assert window_of(next_hour.at) == window_of(NOON) + 1


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
    assert notice_text("like", names, total) == text


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("comment", "carol and alice commented on your video"),
        ("reply", "carol and alice replied to your comment"),
        ("follow", "carol and alice started following you"),
    ],
)
def test_each_kind_says_what_happened(kind: str, text: str) -> None:
    assert notice_text(kind, ["carol", "alice"], 2) == text


def test_kinds_and_subjects_aggregate_apart() -> None:
    # GIVEN a comment and a like on the same video, a reply, and two follows, all in one window
    comment = Notice("comment", "bob", "alice", "alice", NOON, video_id="v1", subject="v1")
    reply = Notice("reply", "bob", "alice", "alice", NOON, video_id="v1", subject="c1")
    follows = [Notice("follow", "bob", who, who, NOON) for who in ("alice", "carol")]
    # THEN the like, the comment and the reply are three notifications, the two follows one
    keys = {notification_key(n) for n in (notice(), comment, reply)}
    assert len(keys) == 3
    assert notification_key(follows[0]) == notification_key(follows[1])


def test_a_notice_without_its_parties_is_refused() -> None:
    for broken in (
        lambda: notice(liker=""),
        lambda: Notice("comment", "bob", "alice", "alice", NOON),  # no video
        lambda: Notice("poke", "bob", "alice", "alice", NOON),
    ):
        with pytest.raises(InvalidRequest) as refused:
            broken()
        assert refused.value.code == "invalid_notice"
