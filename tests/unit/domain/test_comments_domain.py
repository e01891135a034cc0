"""Comments as data: the request's text rules, one level of replies, who may delete, who may see."""

from __future__ import annotations

import pytest

from reelstack.domain.engagement.comments import (
    MAX_COMMENT_CHARS,
    Comment,
    CommentStatus,
    check_delete,
    check_reply,
    parse_comment,
)
from reelstack.errors import Forbidden, InvalidRequest


def comment(cid: str = "c1", author: str = "ann", status: CommentStatus = CommentStatus.VISIBLE,
            reply_to: str | None = None, video: str = "v1") -> Comment:  # fmt: skip
    return Comment(cid, video, author, "hi", "2026-12-05T00:00:00Z", status, reply_to)


def test_a_comment_keeps_its_text_as_given_newlines_included() -> None:
    # GIVEN text with markup and two lines WHEN parsed THEN it is stored as given (clients escape it)
    parsed = parse_comment({"text": "  <b>nice</b>\nsecond line  ", "reply_to": "c-1"})
    assert (parsed.text, parsed.reply_to) == ("<b>nice</b>\nsecond line", "c-1")


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"text": ""},
        {"text": "   "},
        {"text": "x" * (MAX_COMMENT_CHARS + 1)},
        {"text": "bidi \u202e override"},
        {"text": "nul \x00"},
        {"text": 5},
        {"text": "ok", "reply_to": "../etc"},
        {"text": "ok", "extra": 1},
    ],
)
def test_bad_comment_bodies_are_refused_with_a_code(body: object) -> None:
    with pytest.raises(InvalidRequest):
        parse_comment(body)


def test_replies_are_one_level_deep_and_stay_on_their_video() -> None:
    check_reply(comment(), "v1")  # a top-level comment of the video: fine
    for parent, video in ((None, "v1"), (comment(video="v2"), "v1"), (comment(reply_to="c0"), "v1"),
                          (comment(status=CommentStatus.REMOVED), "v1")):  # fmt: skip
        with pytest.raises(InvalidRequest):
            check_reply(parent, video)


def test_only_the_comments_author_or_the_videos_author_may_delete() -> None:
    check_delete(comment(author="ann"), "ann", "bob")
    check_delete(comment(author="ann"), "bob", "bob")
    with pytest.raises(Forbidden):
        check_delete(comment(author="ann"), "eve", "bob")


def test_a_held_comment_is_seen_by_its_author_only_and_a_removed_one_by_nobody() -> None:
    held = comment(status=CommentStatus.HELD)
    assert held.visible_to("ann") and not held.visible_to("bob") and not held.visible_to(None)
    assert not comment(status=CommentStatus.REMOVED).visible_to("ann")
    assert comment().visible_to(None)
