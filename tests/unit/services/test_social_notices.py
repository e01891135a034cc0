"""Which notifications an event makes: a like tells the video's author, a comment the video's author,
a reply the parent's author (once when that is the same person), a follow the followed; nobody is told
about their own action; a malformed event is refused."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.domain.engagement.notifications import Notice
from reelstack.errors import InvalidRequest
from reelstack.services.engagement.notifications import NotificationService, notices_of

AT = "2026-12-05T12:00:00.000Z"


class Recorded:
    def __init__(self) -> None:
        self.added: list[Notice] = []

    def add(self, notice: Notice) -> None:
        self.added.append(notice)

    def newest(self, recipient: str, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
        return [], None


def comment(**changes: Any) -> dict[str, Any]:
    detail = {
        "video_id": "v1",
        "video_author": "ann",
        "comment_id": "c2",
        "commenter": "bob",
        "posted_at": AT,
    }
    return detail | changes


def test_a_reply_tells_the_parents_author_and_the_videos_author() -> None:
    told = notices_of("CommentPosted", comment(reply_to="c1", parent_author="carol"))
    assert [(n.kind, n.recipient, n.subject) for n in told] == [
        ("reply", "carol", "c1"),
        ("comment", "ann", "v1"),
    ]
    # WHEN the parent is the video author's own comment THEN she is told once, as a reply
    told = notices_of("CommentPosted", comment(reply_to="c1", parent_author="ann"))
    assert [(n.kind, n.recipient) for n in told] == [("reply", "ann")]


def test_nobody_is_told_about_their_own_action() -> None:
    store = Recorded()
    service = NotificationService(store)
    assert service.on_event("CommentPosted", comment(commenter="ann")) == 0
    assert service.on_event("UserFollowed", {"follower": "bob", "followed": "ann", "followed_at": AT}) == 1
    assert (
        service.on_event("VideoLiked", {"video_id": "v", "author": "ann", "liker": "ann", "liked_at": AT})
        == 0
    )
    assert [(n.kind, n.recipient, n.actor) for n in store.added] == [("follow", "ann", "bob")]


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("CommentPosted", comment(posted_at="yesterday")),
        ("CommentPosted", {"video_id": "v1"}),
        ("UserFollowed", {"follower": "", "followed": "ann", "followed_at": AT}),
        ("VideoShared", {"video_id": "v1"}),
        ("VideoLiked", None),
    ],
)
def test_malformed_or_unknown_events_are_refused(kind: str, detail: Any) -> None:
    with pytest.raises(InvalidRequest) as refused:
        notices_of(kind, detail)
    assert refused.value.code == "invalid_notice"
