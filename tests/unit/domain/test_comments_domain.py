"""Comments as data: the request's text rules, one level of replies, who may delete, who may see."""

from __future__ import annotations

import pytest

from reelstack.domain.engagement.comments import (
    MAX_COMMENT_CHARS,
    Comment,
    CommentStatus,
    check_delete,
    check_reply,
    new_comment_id,
    parse_comment,
    thread_of,
    top_key,
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
                          (comment(status=CommentStatus.HELD), "v1")):  # fmt: skip
        with pytest.raises(InvalidRequest):
            check_reply(parent, video)


def test_only_the_comments_author_or_the_videos_author_may_delete() -> None:
    check_delete(comment(author="ann"), "ann", "bob")
    check_delete(comment(author="ann"), "bob", "bob")
    with pytest.raises(Forbidden):
        check_delete(comment(author="ann"), "eve", "bob")


def test_a_held_or_pending_comment_is_seen_by_its_author_only() -> None:
    for status in (CommentStatus.HELD, CommentStatus.PENDING):
        waiting = comment(status=status)
        assert waiting.visible_to("ann") and not waiting.visible_to("bob") and not waiting.visible_to(None)
    assert comment().visible_to(None)


def test_ids_sort_by_time_and_top_keys_by_replies_then_time() -> None:
    # GIVEN ids made a millisecond apart THEN the later sorts after, whatever the random part
    assert new_comment_id(1_700_000_000_001) > new_comment_id(1_700_000_000_000)
    assert len({new_comment_id(5) for _ in range(100)}) == 100
    # AND more replies rank first (descending), ties by the newer comment
    assert top_key(10, "a") > top_key(9, "z") and top_key(3, "b") > top_key(3, "a")
    assert thread_of("v1", None) == "v1#root" and thread_of("v1", "c1") == "v1#c1"
