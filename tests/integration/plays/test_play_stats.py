"""Plays against the local cloud: the threshold and the once-per-window gate, unique viewers, the hot
list, decaying interests (real redis-server); daily stats in DynamoDB with one write per video per
day per batch, and a redelivered batch counted once; the token bucket (real redis-server).

The videos are records in template.yaml's videos table, counted plays go to its plays queue (whose
worker aggregates them into the daily stats table), and the daily stats are its PlayDailyStatsTable,
all on the local cloud. Time comes from injected clocks, far from now and different per run, so the
time-bucketed hot list and the windows of this module share nothing with other tests.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from pynamodb.connection import Connection

from reelstack.adapters.engagement.play_daily_stats import DailyStats, DayStats
from reelstack.adapters.engagement.play_stats import PlayStats
from reelstack.adapters.engagement.rate_limiter import RateLimiter
from reelstack.adapters.queue_sender import QueueSender
from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.plays import PlayEvent, aggregate, play_message
from reelstack.domain.engagement.rate_limits import TokenBucket, TooManyRequests
from reelstack.domain.identity import Principal
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import DependencyFailed, NotFound
from reelstack.services.engagement.plays import PlayAggregator, PlayService
from tests.support.cloud_stores import repositories
from tests.support.lossy_proxy import lossy_proxy
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

HALF_LIFE_S = 3600.0


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Videos:
    """Video records in the local cloud's videos table (written with the product's model of it), looked
    up through the product's repository, as the play route does."""

    def __init__(self, local_cloud: Any) -> None:
        self.repos = repositories(local_cloud)
        self.owner = f"plays-owner-{uuid.uuid4().hex[:8]}"

    def add(
        self, duration_s: float, tags: tuple[str, ...] = (), status: VideoStatus = VideoStatus.PUBLISHED
    ) -> str:
        video_id = uuid.uuid4().hex
        now = iso(utc_now())
        self.repos.tables.videos(
            video_id=video_id,
            owner=self.owner,
            status=status.value,
            title="t",
            tags=list(tags),
            created_at=now,
            updated_at=now,
            media={"duration_s": duration_s},
        ).save()
        return video_id

    def get_video(self, video_id: str) -> Video | None:
        return self.repos.get_video(video_id)


def plays_queue(local_cloud: Any) -> QueueSender:
    """The plays queue of the local cloud, as the API sends to it (its worker fills the daily stats)."""
    return QueueSender(local_cloud.queue_url("PlaysQueue"), client=local_cloud.client("sqs"))


def aggregated(daily: DailyStats, video_id: str, expected: DayStats) -> bool:
    """Whether the plays queue's worker has written `expected` as the video's total (waited for)."""
    return bool(wait_for(lambda: daily.total(video_id) == expected, timeout=60))


@pytest.fixture
def clock() -> Clock:
    # A random minute of 2031-2040 (no other test's hot buckets or windows are there) before 21:00, so
    # the hours a test advances stay on one day (a start near midnight made "today" change mid-test).
    day = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(days=random.randrange(3650))
    start = day + timedelta(minutes=random.randrange(21 * 60))
    return Clock(start.replace(second=0, microsecond=0))


@pytest.fixture
def stats(local_cloud: Any, clock: Clock) -> PlayStats:
    return PlayStats(
        local_cloud.redis_url,
        clock=clock,
        interest_half_life_s=HALF_LIFE_S,
        hot_bucket_s=600,
        hot_buckets=6,
        hot_half_life_s=1800,
    )


@pytest.fixture(scope="module")
def daily_table(local_cloud: Any, cloud_sdk_environment: Any) -> str:
    """template.yaml's daily stats table (PlayDailyStatsTable), PynamoDB pointed at the local cloud."""
    return str(local_cloud.name("PlayDailyStatsTable"))


@pytest.fixture
def videos(local_cloud: Any, cloud_sdk_environment: Any) -> Videos:
    return Videos(local_cloud)


@pytest.fixture
def daily(local_cloud: Any, daily_table: str) -> DailyStats:
    # Its own connection: `_writes` instruments it, and the process's shared one serves other tests.
    return DailyStats(daily_table, local_cloud.region, connection=Connection(region=local_cloud.region))


def _writes(daily: DailyStats) -> dict[str, int]:
    """Count DynamoDB write calls on the adapter's own botocore client (instrumentation, no mock)."""
    calls = {"TransactWriteItems": 0, "UpdateItem": 0, "PutItem": 0, "BatchWriteItem": 0}

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    for operation in calls:
        daily.connection.client.meta.events.register(f"before-call.dynamodb.{operation}", count)
    return calls


# -- Redis: threshold, window, unique viewers, hot list, interests -------------------------------------


def test_a_play_counts_past_the_threshold_once_per_viewer_per_window(
    stats: PlayStats, clock: Clock, videos: Videos, local_cloud: Any, daily: DailyStats
) -> None:
    service = PlayService(videos, stats, plays_queue(local_cloud), clock=clock)
    alice = Principal("alice-" + uuid.uuid4().hex, "alice")
    video = videos.add(duration_s=60)

    def play(watched_ms: int) -> str:
        answer = service.record(alice, video, {"session_id": "s1", "watched_ms": watched_ms})
        assert answer["video_id"] == video
        return str(answer["reason"])

    # GIVEN a 60 s video WHEN alice watches 2.999 s THEN it does not count; 3 s does
    assert play(2999) == "below_threshold"
    assert play(3000) == "counted"
    # WHEN she plays it again within the hour THEN it is a duplicate, however long she watches
    clock.advance(minutes=59, seconds=59)
    assert play(60_000) == "duplicate"
    # WHEN the hour since her counted play is over THEN it counts again
    clock.advance(seconds=1)
    assert play(3000) == "counted"
    assert stats.plays_today(video) == 2 and stats.unique_viewers(video) == 1
    # AND the two counted plays (3 s each) went through the plays queue into the daily stats
    assert aggregated(daily, video, DayStats("total", 2, 6000)), daily.total(video)
    # a 4 s clip counts at half its length
    short = videos.add(duration_s=4)
    assert service.record(alice, short, {"session_id": "s1", "watched_ms": 2000})["counted"] is True


def test_unknown_or_unpublished_videos_are_not_found(
    stats: PlayStats, clock: Clock, videos: Videos, local_cloud: Any
) -> None:
    service = PlayService(videos, stats, plays_queue(local_cloud), clock=clock)
    held = videos.add(duration_s=10, status=VideoStatus.IN_REVIEW)
    for video_id in (held, "missing"):
        with pytest.raises(NotFound) as caught:
            service.record(Principal("bob", "bob"), video_id, {"session_id": "s", "watched_ms": 9000})
        assert caught.value.code == "video_not_found"


def test_a_play_that_cannot_be_queued_reopens_the_window(
    stats: PlayStats, clock: Clock, videos: Videos, local_cloud: Any, daily: DailyStats
) -> None:
    video, viewer = videos.add(duration_s=30), Principal(uuid.uuid4().hex, "carol")
    # GIVEN a queue SQS does not have (the send fails as an unreachable queue's would)
    missing = QueueSender(f"{local_cloud.queue_url('PlaysQueue')}-missing", client=local_cloud.client("sqs"))
    # WHEN a play counts but cannot be queued THEN 503-coded play_not_queued
    with pytest.raises(DependencyFailed) as caught:
        PlayService(videos, stats, missing, clock=clock).record(
            viewer, video, {"session_id": "s", "watched_ms": 5000}
        )
    assert caught.value.code == "play_not_queued"
    # AND the viewer's window is open again: the retried beacon, to the real plays queue, counts
    service = PlayService(videos, stats, plays_queue(local_cloud), clock=clock)
    assert service.record(viewer, video, {"session_id": "s", "watched_ms": 5000})["counted"] is True
    # AND exactly that one play reaches the daily stats
    assert aggregated(daily, video, DayStats("total", 1, 5000)), daily.total(video)


def test_a_counted_play_whose_answer_was_lost_is_counted_once(local_cloud: Any, clock: Clock) -> None:
    # GIVEN play stats reaching Redis through a proxy that can lose an answer (the client retries a
    # command after a dropped connection, with the same arguments)
    redis_url = urlparse(local_cloud.redis_url)
    with lossy_proxy(str(redis_url.hostname), int(redis_url.port or 6379)) as proxy:
        stats = PlayStats(f"redis://127.0.0.1:{proxy.port}/0", clock=clock)
        video = uuid.uuid4().hex
        assert stats.record(PlayEvent(uuid.uuid4().hex, "warm-up", "s", 5000, clock()))  # script loaded
        # WHEN the gate script counts a play and its answer is lost on the way back
        proxy.lose_next_reply_to(b"EVALSHA")
        counted = stats.record(PlayEvent(video, "viewer-1", "s", 5000, clock()))
        # THEN the client's retry learns the play counted (it is queued), and it was counted once
        assert proxy.lost == 1
        assert counted is True
        assert stats.plays_today(video) == 1
        assert stats.unique_viewers(video) == 1
        # AND the viewer's next beacon within the window is still a duplicate
        assert stats.record(PlayEvent(video, "viewer-1", "s2", 5000, clock())) is False
        assert stats.plays_today(video) == 1


def test_unique_viewers_come_from_the_hyperloglog(stats: PlayStats, clock: Clock) -> None:
    video = uuid.uuid4().hex
    viewers = [f"viewer-{i}" for i in range(2000)]
    for _round in range(2):  # each viewer twice, an hour apart: 4000 plays, 2000 viewers
        for viewer in viewers:
            assert stats.record(PlayEvent(video, viewer, "s", 5000, clock()))
        clock.advance(hours=1)
    assert stats.unique_viewers(video) == pytest.approx(2000, rel=0.03)
    assert stats.unique_viewers(uuid.uuid4().hex) == 0


def test_the_hot_list_ranks_recent_plays_and_forgets_old_ones(stats: PlayStats, clock: Clock) -> None:
    names = {name: f"{name}-{uuid.uuid4().hex[:8]}" for name in ("a", "b", "c", "d", "e")}

    def plays(name: str, count: int, at: datetime) -> None:
        for i in range(count):
            assert stats.record(PlayEvent(names[name], f"u{i}", "s", 5000, at))

    now = clock()
    plays("e", 100, now - timedelta(minutes=70))  # 7 buckets ago: out of the list
    plays("d", 8, now - timedelta(minutes=30))  # 3 buckets (30 min) ago: weighs 0.5 -> 4
    plays("a", 5, now)
    plays("b", 3, now)
    plays("c", 1, now)
    ranked = stats.hot(10)
    mine = [(video.split("-")[0], score) for video, score in ranked if video in names.values()]
    assert mine == [("a", 5.0), ("d", pytest.approx(4.0)), ("b", 3.0), ("c", 1.0)]
    assert len(stats.hot(2)) == 2 and stats.hot(0) == []


def test_interest_tags_decay_with_the_half_life(stats: PlayStats, clock: Clock) -> None:
    user = "viewer-" + uuid.uuid4().hex
    stats.record(PlayEvent(uuid.uuid4().hex, user, "s", 5000, clock()), tags=["cats", "dogs"])
    clock.advance(seconds=HALF_LIFE_S)
    stats.record(PlayEvent(uuid.uuid4().hex, user, "s", 5000, clock()), tags=["dogs", "dogs"])
    # dogs: 1 decayed to 0.5, plus 1 (a repeated tag counts once); cats: 0.5
    assert stats.interests(user, 5) == [("dogs", pytest.approx(1.5)), ("cats", pytest.approx(0.5))]
    clock.advance(seconds=2 * HALF_LIFE_S)
    assert stats.interests(user, 1) == [("dogs", pytest.approx(0.375))]
    assert stats.interests("nobody-" + uuid.uuid4().hex, 5) == []


# -- DynamoDB: one write per video per day per batch, exactly once across redelivery --------------------


def _records(plays: list[PlayEvent]) -> list[dict[str, Any]]:
    return [{"messageId": str(uuid.uuid4()), "body": json.dumps(play_message(p))} for p in plays]


def test_a_batch_is_one_write_per_video_per_day_and_a_redelivery_counts_nothing(
    daily: DailyStats, clock: Clock
) -> None:
    v1, v2, v3 = (uuid.uuid4().hex for _ in range(3))
    today, tomorrow = clock(), clock() + timedelta(days=1)
    plays = [PlayEvent(v1, f"u{i}", "s", 4000, today) for i in range(20)]
    plays += [PlayEvent(v2, f"u{i}", "s", 10_000, today) for i in range(7)]
    plays += [PlayEvent(v1, f"u{i}", "s", 5000, tomorrow) for i in range(3)]
    plays += [PlayEvent(v3, "u0", "s", 3000, today)]
    records = _records(plays)
    random.shuffle(records)
    writes = _writes(daily)
    aggregator = PlayAggregator(daily)

    # WHEN 31 plays of 3 videos over 2 days arrive in one batch THEN 4 writes, nothing failed
    assert aggregator.handle_batch(records) == []
    assert writes == {"TransactWriteItems": 4, "UpdateItem": 0, "PutItem": 0, "BatchWriteItem": 0}
    day1, day2 = today.strftime("%Y-%m-%d"), tomorrow.strftime("%Y-%m-%d")
    assert daily.series(v1, 3, until=tomorrow.date())[1:] == [
        DayStats(day1, 20, 80_000),
        DayStats(day2, 3, 15_000),
    ]
    assert daily.total(v2) == DayStats("total", 7, 70_000)

    # WHEN the same batch is delivered again (a worker died before deleting it) THEN nothing moves
    assert aggregator.handle_batch(list(reversed(records))) == []
    assert daily.total(v1) == DayStats("total", 23, 95_000)
    assert daily.total(v2) == DayStats("total", 7, 70_000)
    assert daily.total(v3) == DayStats("total", 1, 3000)

    # WHEN only the messages of one delta come back (a redelivered partial failure) THEN nothing moves
    v2_records = [r for r in records if json.loads(r["body"])["video_id"] == v2]
    assert aggregator.handle_batch(v2_records) == []
    assert daily.total(v2) == DayStats("total", 7, 70_000)

    # WHEN new plays of v2 arrive THEN they count
    assert aggregator.handle_batch(_records([PlayEvent(v2, "new", "s", 3000, today)])) == []
    assert daily.total(v2) == DayStats("total", 8, 73_000)


def test_series_fills_the_days_without_plays(daily: DailyStats, clock: Clock) -> None:
    video = uuid.uuid4().hex
    assert PlayAggregator(daily).handle_batch(_records([PlayEvent(video, "u", "s", 3000, clock())])) == []
    series = daily.series(video, 3, until=(clock() + timedelta(days=1)).date())
    assert [(s.plays, s.watched_ms) for s in series] == [(0, 0), (1, 3000), (0, 0)]
    assert [s.day for s in series][1] == clock().strftime("%Y-%m-%d")
    assert daily.total(uuid.uuid4().hex) == DayStats("total", 0, 0)


def test_poison_messages_and_failed_writes_are_reported_for_redelivery(
    daily: DailyStats, local_cloud: Any, clock: Clock
) -> None:
    video = uuid.uuid4().hex
    good = _records([PlayEvent(video, "u", "s", 3000, clock())])
    poison = [
        {"messageId": "not-json", "body": "{"},
        {"messageId": "not-a-play", "body": json.dumps({"kind": "like"})},
    ]
    assert PlayAggregator(daily).handle_batch(good + poison) == ["not-json", "not-a-play"]
    assert daily.total(video).plays == 1
    # GIVEN a store whose table is gone WHEN a batch arrives THEN every message is to be redelivered
    missing = DailyStats("no-such-table-" + uuid.uuid4().hex[:6], local_cloud.region)
    fresh = _records([PlayEvent(video, "u2", "s", 3000, clock())])
    assert PlayAggregator(missing).handle_batch(fresh) == [fresh[0]["messageId"]]


# -- rate limits -------------------------------------------------------------------------------------------


def test_the_token_bucket_allows_the_burst_then_refuses_with_a_retry_after(
    local_cloud: Any, clock: Clock
) -> None:
    limiter = RateLimiter({"like": TokenBucket(rate_per_s=2, burst=5)}, local_cloud.redis_url, clock=clock)
    user = uuid.uuid4().hex
    assert [limiter.check(user, "like").allowed for _ in range(5)] == [True] * 5
    refused = limiter.check(user, "like")
    assert not refused.allowed and refused.retry_after_s == pytest.approx(0.5)
    with pytest.raises(TooManyRequests) as caught:
        limiter.enforce(user, "like")
    assert caught.value.code == "rate_limited" and caught.value.retry_after_header == "1"
    assert limiter.check("someone-else-" + user, "like").allowed  # per user
    clock.advance(seconds=0.25)
    assert limiter.check(user, "like").retry_after_s == pytest.approx(0.25)
    clock.advance(seconds=0.25)
    assert limiter.check(user, "like").allowed
    assert limiter.check(user, "unlimited-route").allowed


def test_the_token_bucket_on_redis_time(local_cloud: Any) -> None:
    # GIVEN a bucket of 3 that gets a token back every 10 s, on Redis's clock (no injected clock)
    limiter = RateLimiter({"play": TokenBucket(rate_per_s=0.1, burst=3)}, local_cloud.redis_url)
    user = uuid.uuid4().hex
    # WHEN it is asked four times in a row (however long a loaded machine takes, well under 10 s)
    started = time.monotonic()
    decisions = [limiter.check(user, "play") for _ in range(4)]
    elapsed = time.monotonic() - started
    # THEN the burst passes, and the fourth is told to wait the 10 s less what has refilled meanwhile
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 10 - elapsed - 0.05 <= decisions[-1].retry_after_s <= 10.0, (decisions[-1], elapsed)


def test_the_play_route_is_rate_limited(
    local_cloud: Any, stats: PlayStats, clock: Clock, videos: Videos
) -> None:
    limiter = RateLimiter({"play": TokenBucket(rate_per_s=1, burst=2)}, local_cloud.redis_url, clock=clock)
    service = PlayService(videos, stats, plays_queue(local_cloud), limiter=limiter, clock=clock)
    video, user = videos.add(duration_s=20), Principal(uuid.uuid4().hex, "dan")
    for _ in range(2):
        service.record(user, video, {"session_id": "s", "watched_ms": 100})
    with pytest.raises(TooManyRequests):
        service.record(user, video, {"session_id": "s", "watched_ms": 100})


def test_the_ledger_recognises_an_applied_delta(daily: DailyStats, clock: Clock) -> None:
    video = uuid.uuid4().hex
    delta = aggregate([("m1", PlayEvent(video, "u", "s", 3000, clock()))])
    first, again = daily.add(delta), daily.add(delta)
    assert (len(first.applied), len(again.applied) + len(again.duplicates)) == (1, 1)
    assert daily.total(video) == DayStats("total", 1, 3000)


def test_a_viewers_seen_set_keeps_the_newest_counted_plays(local_cloud: Any, clock: Clock) -> None:
    """GIVEN play stats that keep 2 seen videos per viewer
    WHEN the viewer's plays of three videos are counted, a minute apart, and another viewer plays one
    THEN the viewer's seen set holds the two newest, newest first, and not the other viewer's."""
    stats = PlayStats(local_cloud.redis_url, clock=clock, seen_keep=2)
    viewer, videos = f"seer-{uuid.uuid4().hex[:8]}", [uuid.uuid4().hex for _ in range(3)]
    for minute, video in enumerate(videos):
        assert stats.record(PlayEvent(video, viewer, "s", 5000, clock() + timedelta(minutes=minute)))
    assert stats.record(PlayEvent(uuid.uuid4().hex, f"{viewer}-other", "s", 5000, clock()))

    assert stats.seen(viewer) == [videos[2], videos[1]]
    assert stats.seen(viewer, 1) == [videos[2]]
    assert stats.seen(f"{viewer}-nobody") == []


# -- exactly once across a crash: SQS regroups the messages of a partly applied batch -------------------


class WorkerDies(BaseException):
    """A worker killed mid-batch (not an Exception: nothing in the aggregator may catch it)."""


class DiesAfterFirstDelta:
    """The daily stats of a worker that is killed once the first delta of its batch is committed."""

    def __init__(self, daily: DailyStats) -> None:
        self.daily = daily

    def add(self, deltas: Any) -> Any:
        self.daily.add(list(deltas)[:1])
        raise WorkerDies


def test_a_crashed_batch_redelivered_in_other_batches_counts_each_play_once(
    daily: DailyStats, clock: Clock
) -> None:
    # GIVEN a batch of 3 plays of v1 and 2 of v2 whose worker dies once v1's delta is committed
    v1, v2 = sorted(uuid.uuid4().hex for _ in range(2))
    first = _records([PlayEvent(v1, f"u{i}", "s", 4000, clock()) for i in range(3)])
    first += _records([PlayEvent(v2, f"u{i}", "s", 6000, clock()) for i in range(2)])
    with pytest.raises(WorkerDies):
        PlayAggregator(DiesAfterFirstDelta(daily)).handle_batch(first)
    assert daily.total(v1) == DayStats("total", 3, 12_000) and daily.total(v2) == DayStats("total", 0, 0)

    # WHEN SQS hands the 5 messages out again regrouped with new plays: one of v1 and one of v2 in one
    # batch with a new play of v1, the other three with a new play of v2
    new_v1, new_v2 = _records(
        [PlayEvent(v1, "n", "s", 1000, clock()), PlayEvent(v2, "n", "s", 2000, clock())]
    )
    aggregator = PlayAggregator(daily)
    assert aggregator.handle_batch([first[0], first[3], new_v1]) == []
    assert aggregator.handle_batch([first[1], first[2], first[4], new_v2]) == []

    # THEN every play counts exactly once: 3 + 1 of v1, 2 + 1 of v2
    assert daily.total(v1) == DayStats("total", 4, 13_000)
    assert daily.total(v2) == DayStats("total", 3, 14_000)

    # AND a message delivered yet again, alone or with others, changes nothing
    assert aggregator.handle_batch([first[2]]) == []
    assert aggregator.handle_batch([*reversed(first), new_v1]) == []
    assert (daily.total(v1).plays, daily.total(v2).plays) == (4, 3)


def test_a_delta_of_more_messages_than_a_transaction_holds_counts_each_once(
    daily: DailyStats, clock: Clock
) -> None:
    # GIVEN 150 plays of one video on one day (more markers than one 100-item transaction takes)
    video = uuid.uuid4().hex
    records = _records([PlayEvent(video, f"u{i}", "s", 3000, clock()) for i in range(150)])

    # WHEN they arrive as one batch, and then again in batches of 70 (a redelivery, regrouped)
    aggregator = PlayAggregator(daily)
    assert aggregator.handle_batch(records) == []
    for start in range(0, 150, 70):
        assert aggregator.handle_batch(records[start : start + 70]) == []

    # THEN each counts once
    assert daily.total(video) == DayStats("total", 150, 450_000)
