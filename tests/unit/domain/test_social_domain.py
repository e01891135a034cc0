"""Profiles, follows, shares and the following feed as data: the text rules of a profile, no
self-follow, share channels and tokens, and the merge and cursor of the following feed."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.domain.distribution.following_feed import (
    FeedEntry,
    after,
    decode_position,
    encode_position,
    merge_newest,
)
from reelstack.domain.engagement.follows import check_follow
from reelstack.domain.engagement.profiles import ProfilePatch, default_display_name, parse_profile_patch
from reelstack.domain.engagement.shares import (
    CHANNELS,
    is_share_token,
    new_share_token,
    parse_share,
    share_url,
)
from reelstack.errors import InvalidRequest


def test_a_profile_patch_keeps_what_was_given_cleaned() -> None:
    # GIVEN a name with edge spaces and a combining accent THEN stored stripped and composed (NFC)
    assert parse_profile_patch({"display_name": "  Jose\u0301 Lee "}) == ProfilePatch(
        display_name="Jos\u00e9 Lee"
    )
    assert parse_profile_patch({"bio": ""}) == ProfilePatch(bio="")
    assert parse_profile_patch({"bio": "a\nb"}).changes() == {"bio": "a\nb"}
    assert default_display_name("  ") == "user" and len(default_display_name("x" * 80)) == 50


@pytest.mark.parametrize(
    "body",
    [{}, [], {"display_name": None}, {"display_name": "a\nb"}, {"bio": "1\n2\n3\n4\n5"}, {"name": "x"}],
)
def test_bad_profile_patches_are_refused(body: Any) -> None:
    with pytest.raises(InvalidRequest):
        parse_profile_patch(body)


def test_nobody_follows_themselves() -> None:
    check_follow("ann", "bob")
    with pytest.raises(InvalidRequest) as refused:
        check_follow("ann", "ann")
    assert refused.value.code == "cannot_follow_self"


def test_share_requests_name_a_known_channel_and_tokens_are_long_and_random() -> None:
    assert parse_share({"channel": "whatsapp"}) == "whatsapp" and "copy_link" in CHANNELS
    for body in ({}, {"channel": "fax"}, {"channel": "x", "more": 1}, "x"):
        with pytest.raises(InvalidRequest):
            parse_share(body)
    tokens = {new_share_token() for _ in range(1000)}
    assert len(tokens) == 1000 and all(is_share_token(token) for token in tokens)
    assert not is_share_token("short") and not is_share_token("A" * 21 + "/")
    assert share_url("https://api.example/prod/", "tok") == "https://api.example/prod/s/tok"


def entry(at: str, video: str) -> FeedEntry:
    return FeedEntry(at, video, "author")


def test_the_following_feed_merges_newest_first_without_duplicates_and_pages_by_position() -> None:
    # GIVEN two creators' newest videos (one video listed twice)
    ann = [entry("2026-12-05T10:00:00.000Z", "a2"), entry("2026-12-05T08:00:00.000Z", "a1")]
    bob = [entry("2026-12-05T09:00:00.000Z", "b1"), entry("2026-12-05T10:00:00.000Z", "a2")]
    merged = merge_newest([ann, bob], size=10)
    # THEN newest publication first, once each, cut to size
    assert [e.video_id for e in merged] == ["a2", "b1", "a1"]
    assert [e.video_id for e in merge_newest([ann, bob], size=2)] == ["a2", "b1"]
    # AND a cursor at b1 continues after it even when a newer video arrived meanwhile
    cursor = decode_position(encode_position(merged[1]))
    newer = merge_newest([[entry("2026-12-05T11:00:00.000Z", "c1"), *ann], bob])
    assert [e.video_id for e in after(newer, cursor)] == ["a1"]


@pytest.mark.parametrize("cursor", ["bm90LWpzb24", "WzEsMl0", "!!!"])
def test_a_following_feed_cursor_we_did_not_give_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        decode_position(cursor)
    assert refused.value.code == "invalid_cursor"
