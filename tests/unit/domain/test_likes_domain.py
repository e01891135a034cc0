"""The like change message, its validation, the counter shard, the version clock and the reference replay."""

from __future__ import annotations

import json
import random

import pytest

from reelstack.domain.engagement.likes import (
    INVALID_MESSAGE,
    LikeAnswer,
    LikeChange,
    counter_shard,
    expected_count,
    next_version,
    replay,
)
from reelstack.errors import InvalidRequest

AT = "2026-01-02T03:04:05.678Z"


def change(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "like_change",
        "video_id": "v1",
        "user_id": "alice",
        "liked": True,
        "version": 1_700_000_000_000_001,
        "at": AT,
    }
    return body | overrides


def test_a_change_round_trips_through_json() -> None:
    original = LikeChange("v1", "alice", True, 42, AT)
    assert LikeChange.from_json(original.to_json()) == original
    assert LikeChange.from_dict(json.loads(original.to_json())) == original
    assert original.to_dict()["kind"] == "like_change"


def test_a_version_sent_as_digits_is_accepted() -> None:
    assert LikeChange.from_dict(change(version="17")).version == 17


@pytest.mark.parametrize(
    "body",
    [
        change(video_id=""),
        change(video_id=None),
        change(user_id=7),
        change(user_id="x" * 129),
        change(video_id="a{b}"),
        change(liked="yes"),
        change(liked=1),
        change(version=0),
        change(version=-3),
        change(version=True),
        change(version=1.5),
        change(version="abc"),
        change(at=""),
        change(at="yesterday"),
        change(kind="play"),
        {k: v for k, v in change().items() if k != "version"},
    ],
)
def test_bad_messages_are_refused_with_a_code(body: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest) as error:
        LikeChange.from_dict(body)
    assert error.value.code == INVALID_MESSAGE


@pytest.mark.parametrize("raw", ["not json", b"\xff\xfe", "[1, 2]", '"text"', "null"])
def test_bodies_that_are_not_objects_are_refused(raw: str | bytes) -> None:
    with pytest.raises(InvalidRequest) as error:
        LikeChange.from_json(raw)
    assert error.value.code == INVALID_MESSAGE


def test_constructing_a_bad_change_directly_is_refused_too() -> None:
    with pytest.raises(InvalidRequest):
        LikeChange("v1", "alice", True, 0, AT)


def test_a_user_always_lands_on_the_same_shard_within_range() -> None:
    shards = {counter_shard(f"user-{i}", 10) for i in range(1000)}
    assert shards == set(range(10))  # spread over every shard
    assert counter_shard("alice", 10) == counter_shard("alice", 10) == 5  # stable (CRC-32), not hash()
    assert counter_shard("alice", 1) == 0
    with pytest.raises(ValueError):
        counter_shard("alice", 0)


def test_versions_grow_past_both_the_last_version_and_the_clock() -> None:
    assert next_version(10, 5) == 11
    assert next_version(10, 50) == 50
    assert next_version(0, 0) == 1


@pytest.mark.parametrize(
    ("count", "currently", "liked", "expected"),
    [(5, False, True, 6), (5, True, True, 5), (5, True, False, 4), (5, False, False, 5), (0, True, False, 0)],
)
def test_expected_count(count: int, currently: bool, liked: bool, expected: int) -> None:
    assert expected_count(count, currently, liked) == expected


def test_replay_keeps_the_newest_action_whatever_the_order() -> None:
    changes = [
        LikeChange("v1", "alice", True, 1, AT),
        LikeChange("v1", "alice", False, 2, AT),
        LikeChange("v1", "alice", True, 3, AT),
        LikeChange("v1", "bob", True, 4, AT),
        LikeChange("v1", "bob", False, 5, AT),
    ]
    rng = random.Random(4)
    for _ in range(20):
        shuffled = changes + rng.sample(changes, 3)  # with duplicates
        rng.shuffle(shuffled)
        assert replay(shuffled) == {("v1", "alice"): (True, 3), ("v1", "bob"): (False, 5)}


def test_the_answer_body_hides_the_degraded_flag() -> None:
    answer = LikeAnswer("v1", True, 7, degraded=True)
    assert answer.to_dict() == {"video_id": "v1", "liked": True, "like_count": 7}
