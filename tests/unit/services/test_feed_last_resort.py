"""The feed's last resort: with search down and no hot list yet (a new platform before the first hot-list
run), a page comes from the newest publications in the videos table, never empty while a published
video exists. The stores here are in-memory stand-ins of the Redis and OpenSearch adapters."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from reelstack.domain.distribution.feed import FeedMode
from reelstack.domain.identity import Principal
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import DependencyFailed
from reelstack.feed_wiring import NewestPublications
from reelstack.services.distribution.feed import FeedContext, FeedService, FeedTuning
from reelstack.services.distribution.feed_health import FeedHealth

NOW_S = 1_800_000_000.0
VIEWER = Principal(user_id="viewer", username="vera")


class SearchDown:
    def search(self, body: dict[str, Any]) -> list[Any]:
        raise DependencyFailed("search node unreachable")


class NoInterests:
    """No interests yet; `played`: the videos the viewer played (the seen set of the play path)."""

    def __init__(self, played: Sequence[str] = ()) -> None:
        self.played = list(played)

    def interests(self, user_id: str, n: int) -> list[tuple[str, float]]:
        return []

    def seen(self, user_id: str, n: int = 500) -> list[str]:
        return list(self.played)

    def version(self) -> int | None:
        return None

    def profile(self, user_id: str) -> None:
        return None

    def neighbours(self, video_id: str) -> None:
        return None


class EmptyRedis:
    """No hot list has been built yet; the served set is kept."""

    def __init__(self) -> None:
        self.served_ids: set[str] = set()

    def hit(self, now_s: float) -> None: ...
    def served(self, user_id: str) -> set[str]:
        return set(self.served_ids)

    def mark_served(self, user_id: str, video_ids: Sequence[str], now_ms: int) -> None:
        self.served_ids |= set(video_ids)

    def not_interested(self, user_id: str) -> tuple[set[str], dict[str, float], dict[str, float]]:
        return set(), {}, {}

    def hot_list(self, scope: str, version: int | None = None) -> None:
        return None

    def hot_page(self, scope: str, version: int | None = None) -> None:
        return None

    def first_page(self, user_id: str) -> None:
        return None

    def put_first_page(self, user_id: str, page: Mapping[str, Any], ttl_s: int) -> None: ...
    def mark_not_interested(self, user_id: str, video_id: str, author_id: str, tags: Sequence[str]) -> bool:
        return True


class Urls:
    def public(self, key: str) -> str:
        return f"https://cdn.example/{key}"


def entry(n: int) -> dict[str, Any]:
    return {
        "video_id": f"v{n}",
        "title": f"clip {n}",
        "author": f"creator{n % 3}",
        "tags": [f"t{n % 4}"],
        "playback_key": f"renditions/v{n}/master.m3u8",
        "published_at": "2027-01-15T08:00:00+00:00",
    }


def feed_service(newest: Any, played: Sequence[str] = ()) -> tuple[FeedService, EmptyRedis]:
    redis = EmptyRedis()
    service = FeedService(
        search=SearchDown(),
        short_term=NoInterests(played),
        long_term=NoInterests(),
        store=redis,
        urls=Urls(),
        health=FeedHealth(search_gap=lambda: 100.0, realtime_lag=lambda: 0.0, load=lambda: 0.0),
        tuning=FeedTuning(exposure_share=0.0),
        rng=random.Random(1),
        clock=lambda: NOW_S,
        newest=newest,
    )
    return service, redis


def test_search_down_and_no_hot_list_still_serve_the_newest_publications() -> None:
    # GIVEN search down, no hot list built yet, and 6 published videos of 3 creators in the videos table
    published = [entry(n) for n in range(6)]
    service, _ = feed_service(lambda wanted: published[:wanted])
    # WHEN a new viewer opens the feed
    page = service.page(VIEWER, "6", None, FeedContext())
    # THEN the page is the popular mode's, made of the newest publications, each playable
    assert page.mode is FeedMode.POPULAR
    assert sorted(item.video_id for item in page.items) == [f"v{n}" for n in range(6)]
    assert all(item.reason == "new" and item.playback_url for item in page.items)


def test_the_next_page_prefers_publications_not_served_yet_then_repeats() -> None:
    # GIVEN 4 publications, 2 of them already served to the viewer
    service, redis = feed_service(lambda wanted: [entry(n) for n in range(4)][:wanted])
    redis.served_ids = {"v0", "v1"}
    # WHEN the viewer asks for 4 THEN the 2 not served come first, the served ones after (not an empty page)
    page = service.page(VIEWER, "4", None, FeedContext())
    ids = [item.video_id for item in page.items]
    assert sorted(ids[:2]) == ["v2", "v3"] and sorted(ids[2:]) == ["v0", "v1"]


def test_videos_served_but_never_played_come_back_before_the_played_ones() -> None:
    # GIVEN 4 publications all served to the viewer (a page they reloaded away), 2 of them played
    service, redis = feed_service(lambda wanted: [entry(n) for n in range(4)][:wanted], played=["v0", "v1"])
    redis.served_ids = {"v0", "v1", "v2", "v3"}
    # WHEN the viewer asks for 4 THEN the 2 never played come first, then the played ones
    ids = [item.video_id for item in service.page(VIEWER, "4", None, FeedContext()).items]
    assert sorted(ids[:2]) == ["v2", "v3"] and sorted(ids[2:]) == ["v0", "v1"]


def test_without_the_last_resort_the_same_page_was_empty() -> None:
    # GIVEN the same platform, the feed built without its last resort (as before it existed)
    service, _ = feed_service(None)
    # WHEN a viewer opens the feed THEN nothing could be served: the gap the last resort closes
    assert service.page(VIEWER, "6", None, FeedContext()).items == ()


def test_a_failing_videos_table_leaves_the_page_as_it_was() -> None:
    # GIVEN the last resort failing too WHEN a viewer opens the feed THEN an empty page, not an error
    def failing(wanted: int) -> list[dict[str, Any]]:
        raise DependencyFailed("dynamodb throttled")

    service, _ = feed_service(failing)
    assert service.page(VIEWER, "6", None, FeedContext()).items == ()


class CountingPartitions:
    """The videos table's published-index: one published video per partition, each query counted."""

    def __init__(self) -> None:
        self.queries = 0

    def newest_published(self, bucket: str, limit: int) -> list[Video]:
        self.queries += 1
        at = f"2027-01-15T08:{int(bucket[-2:]):02d}:00+00:00"
        return [Video(f"v-{bucket[-2:]}", "creator", VideoStatus.PUBLISHED, "t", (), at, at, published_at=at)]


def test_the_newest_publications_are_read_once_per_ttl_for_every_viewer() -> None:
    # GIVEN the feed's last resort over a published-index of 16 partitions
    table = CountingPartitions()
    newest = NewestPublications(table, ttl_s=60.0)  # type: ignore[arg-type]
    # WHEN pages ask for 20, then 10, within the time it is kept
    first, second = newest(20), newest(10)
    # THEN the table was queried once (16 partitions), newest first, and the second answer is its head
    assert table.queries == 16
    assert [e["video_id"] for e in first][:2] == ["v-15", "v-14"] and len(first) == 16
    assert second == first[:10]
    # AND asking for more than was read reads again
    newest(40)
    assert table.queries == 32
