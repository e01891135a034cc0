"""Plays, pure: the body's validation, when a play counts, its queued form, interest decay and the
daily aggregation of a batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack.domain.engagement.plays import (
    PlayEvent,
    PlayPolicy,
    aggregate,
    bump,
    counts,
    decay_factor,
    decayed,
    parse_play,
    play_from_message,
    play_message,
    threshold_ms,
    top_interests,
)
from reelstack.errors import InvalidRequest

AT = datetime(2025, 3, 1, 23, 59, 30, tzinfo=UTC)


def _play(watched_ms: int, video: str = "v1", viewer: str = "alice", at: datetime = AT) -> PlayEvent:
    return PlayEvent(video, viewer, "s-1", watched_ms, at)


def test_a_valid_body_becomes_a_play_event() -> None:
    event = parse_play("v1", "alice", {"session_id": "abc-1", "watched_ms": 4500}, AT)
    assert event == PlayEvent("v1", "alice", "abc-1", 4500, AT)
    assert event.day == "2025-03-01"


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "watched",
        {"watched_ms": 10},
        {"session_id": "", "watched_ms": 10},
        {"session_id": "has space", "watched_ms": 10},
        {"session_id": "x" * 129, "watched_ms": 10},
        {"session_id": "s"},
        {"session_id": "s", "watched_ms": "10"},
        {"session_id": "s", "watched_ms": True},
        {"session_id": "s", "watched_ms": -1},
        {"session_id": "s", "watched_ms": float("nan")},
        {"session_id": "s", "watched_ms": 10**12},
    ],
)
def test_a_bad_body_is_refused_with_invalid_play(body: object) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_play("v1", "alice", body, AT)
    assert caught.value.code == "invalid_play"


@pytest.mark.parametrize(
    ("duration_ms", "expected"),
    [(60_000, 3000), (6000, 3000), (4000, 2000), (1001, 501), (None, 3000), (0, 3000)],
)
def test_the_threshold_is_three_seconds_or_half_the_video_whichever_comes_first(
    duration_ms: int | None, expected: int
) -> None:
    assert threshold_ms(duration_ms, PlayPolicy()) == expected


def test_a_play_counts_at_the_threshold_and_not_a_millisecond_before() -> None:
    policy = PlayPolicy()
    assert counts(_play(3000), 60_000, policy)
    assert not counts(_play(2999), 60_000, policy)
    assert counts(_play(2000), 4000, policy)  # a 4 s clip: half of it is enough
    assert not counts(_play(1999), 4000, policy)


def test_the_policy_comes_from_settings_and_is_checked() -> None:
    assert threshold_ms(60_000, PlayPolicy(min_watched_ms=10_000, min_fraction=0.1)) == 6000
    with pytest.raises(ValueError):
        PlayPolicy(min_fraction=1.5)


def test_the_queued_message_round_trips_and_a_malformed_one_is_poison() -> None:
    event = _play(4000)
    assert play_from_message(play_message(event)) == event
    for bad in (
        {"kind": "like"},
        {**play_message(event), "at": "yesterday"},
        {**play_message(event), "watched_ms": -5},
    ):
        with pytest.raises(InvalidRequest):
            play_from_message(bad)


def test_interest_decays_by_half_each_half_life() -> None:
    assert decay_factor(0, 3600) == 1.0
    assert decay_factor(-10, 3600) == 1.0
    assert decay_factor(3600, 3600) == pytest.approx(0.5)
    assert decayed(8.0, 0, 3 * 3600, 3600) == pytest.approx(1.0)
    # bumping decays what was there, then adds the weight
    assert bump(4.0, 0, 3600, 1.0, 3600) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        decay_factor(1, 0)


def test_top_interests_rank_by_the_decayed_score() -> None:
    stored = {"cats": (10.0, 0.0), "dogs": (3.0, 7200.0), "cars": (2.0, 7200.0)}
    # at t=7200 with a 1 h half-life cats is worth 2.5: dogs lead, cats second
    assert [tag for tag, _ in top_interests(stored, 7200.0, 3600, 2)] == ["dogs", "cats"]
    assert top_interests(stored, 7200.0, 3600, 0) == []


def test_a_batch_folds_into_one_delta_per_video_and_day() -> None:
    next_day = AT + timedelta(minutes=1)  # 2025-03-02, UTC
    plays = [
        ("m1", _play(4000, "v1")),
        ("m2", _play(5000, "v1", viewer="bob")),
        ("m3", _play(3000, "v2")),
        ("m4", _play(6000, "v1", at=next_day)),
        ("m2", _play(5000, "v1", viewer="bob")),  # the same message twice in one batch
    ]
    deltas = {(d.video_id, d.day): d for d in aggregate(plays)}
    assert set(deltas) == {("v1", "2025-03-01"), ("v2", "2025-03-01"), ("v1", "2025-03-02")}
    first = deltas["v1", "2025-03-01"]
    assert (first.plays, first.watched_ms, first.sources) == (2, 9000, ("m1", "m2"))
    assert deltas["v1", "2025-03-02"].sources == ("m4",)
    assert aggregate([]) == []


def test_a_delta_splits_into_parts_and_drops_messages_applied_before() -> None:
    # GIVEN a delta of five plays of one video on one day
    at = datetime(2030, 5, 1, 12, tzinfo=UTC)
    (delta,) = aggregate([(f"m{i}", PlayEvent("v", f"u{i}", "s", 1000 * (i + 1), at)) for i in range(5)])

    # WHEN it is split in parts of two THEN the parts hold every message once, their sums add up
    parts = delta.split(2)
    assert [part.sources for part in parts] == [("m0", "m1"), ("m2", "m3"), ("m4",)]
    assert [(part.plays, part.watched_ms) for part in parts] == [(2, 3000), (2, 7000), (1, 5000)]

    # WHEN the messages applied before are dropped THEN only the others remain, and nothing when all were
    rest = delta.without(["m1", "m3", "elsewhere"])
    assert rest is not None and (rest.sources, rest.plays, rest.watched_ms) == (("m0", "m2", "m4"), 3, 9000)
    assert delta.without(delta.sources) is None
