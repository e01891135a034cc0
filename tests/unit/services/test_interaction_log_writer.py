"""The interaction log's writer and forward (services.engagement.interaction_log, plays' forward): which messages
land in which day's file, which go to the DLQ, which come back, and that plays are forwarded before
anything is counted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from reelstack.domain.engagement.interactions import Interaction, VideoFacts
from reelstack.domain.engagement.plays import PlayEvent, play_message
from reelstack.errors import DependencyFailed
from reelstack.services.engagement.interaction_log import InteractionLogWriter, lake_key
from reelstack.services.engagement.plays import PlayAggregator

FACTS = VideoFacts("ann", ("cats",), 10_000, None, "h264")


class Facts:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def facts(self, video_ids: Iterable[str]) -> dict[str, VideoFacts]:
        if self.fail:
            raise DependencyFailed("videos table down")
        return {video_id: FACTS for video_id in video_ids if video_id != "gone"}


class Lake:
    def __init__(self, failing_days: Sequence[str] = ()) -> None:
        self.files: dict[str, list[Interaction]] = {}
        self.failing_days = failing_days

    def put(self, key: str, events: Sequence[Interaction]) -> None:
        if any(f"dt={day}/" in key for day in self.failing_days):
            raise DependencyFailed("S3 down")
        self.files[key] = list(events)


class Dead:
    def __init__(self, fail: bool = False) -> None:
        self.letters: list[tuple[str, str]] = []
        self.fail = fail

    def send(self, body: str, reason: str) -> None:
        if self.fail:
            raise DependencyFailed("DLQ down")
        self.letters.append((body, reason))


def play(event_id: str, day: int, video: str = "v1") -> dict[str, Any]:
    when = datetime(2026, 12, day, 12, tzinfo=UTC)
    event = Interaction(event_id, "play", "u1", when, video_id=video, watched_ms=5_000)
    return {"messageId": f"m-{event_id}", "body": json.dumps(event.to_message())}


def test_a_batch_becomes_one_file_per_day_with_the_videos_facts() -> None:
    # GIVEN plays of two days, one of a video deleted since
    lake = Lake()
    records = [play("a", 1), play("b", 2), play("c", 2, video="gone")]
    # WHEN written
    failed = InteractionLogWriter(Facts(), lake, Dead()).handle_batch(records)
    # THEN nothing comes back, each day has one file named by its events, facts where the video exists
    assert failed == []
    day1 = lake.files[
        lake_key(
            "2026-12-01", [Interaction("a", "play", "u1", datetime.now(UTC), video_id="v", watched_ms=1)]
        )
    ]
    assert [event.event_id for event in day1] == ["a"] and day1[0].watched_fraction == 0.5
    day2 = next(events for key, events in lake.files.items() if "dt=2026-12-02/" in key)
    assert [(e.event_id, e.video) for e in day2] == [("b", FACTS), ("c", None)]
    # AND the same batch again names the same files (a redelivery overwrites, never adds)
    again = Lake()
    InteractionLogWriter(Facts(), again, Dead()).handle_batch(records)
    assert set(again.files) == set(lake.files)


def test_malformed_events_go_to_the_dlq_once_and_the_rest_is_written() -> None:
    dead, lake = Dead(), Lake()
    records = [
        {"messageId": "bad-json", "body": "{"},
        {"messageId": "bad-kind", "body": json.dumps({"kind": "x"})},
        play("a", 1),
    ]
    assert InteractionLogWriter(Facts(), lake, dead).handle_batch(records) == []
    assert [body for body, _ in dead.letters] == ["{", json.dumps({"kind": "x"})]
    assert all(reason for _, reason in dead.letters) and len(lake.files) == 1
    # AND when the DLQ cannot take them, they come back instead of being lost
    assert InteractionLogWriter(Facts(), Lake(), Dead(fail=True)).handle_batch(records) == [
        "bad-json",
        "bad-kind",
    ]


def test_failures_send_back_only_what_was_not_written() -> None:
    records = [play("a", 1), play("b", 2)]
    # a day whose file fails comes back alone
    assert InteractionLogWriter(Facts(), Lake(failing_days=["2026-12-02"]), Dead()).handle_batch(records) == [
        "m-b"
    ]
    # no video facts: the whole batch comes back, nothing written
    lake = Lake()
    assert InteractionLogWriter(Facts(fail=True), lake, Dead()).handle_batch(records) == ["m-a", "m-b"]
    assert lake.files == {}


class Stats:
    def __init__(self) -> None:
        self.calls = 0

    def add(self, deltas: Any) -> Any:
        from reelstack.adapters.engagement.play_daily_stats import AddResult

        self.calls += 1
        return AddResult(applied=list(deltas))


class Forward:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.events: list[Interaction] = []

    def forward(self, events: Sequence[Interaction]) -> None:
        if self.fail:
            raise DependencyFailed("log queue down")
        self.events += events


def test_plays_are_forwarded_before_they_are_counted() -> None:
    event = PlayEvent("v1", "u1", "s-1", 4000, datetime(2026, 12, 1, tzinfo=UTC))
    records = [{"messageId": "m1", "body": json.dumps(play_message(event))}]
    # GIVEN a log that takes them THEN the play is forwarded, with its deterministic id, and counted
    stats, log = Stats(), Forward(fail=False)
    assert PlayAggregator(stats, log=log).handle_batch(records) == []
    assert [(e.kind, e.watched_ms) for e in log.events] == [("play", 4000)] and stats.calls == 1
    # GIVEN a log that refuses THEN the batch comes back before anything is counted
    stats = Stats()
    assert PlayAggregator(stats, log=Forward(fail=True)).handle_batch(records) == ["m1"]
    assert stats.calls == 0
