"""Building the feed and the hot-list run from their settings (cached per process by the callers)."""

from __future__ import annotations

import time
from typing import Any

from reelstack.adapters.distribution.feed_store import FeedStore
from reelstack.adapters.distribution.interest_cache import InterestCache
from reelstack.adapters.distribution.interest_table import InterestTable
from reelstack.adapters.distribution.ranker_client import RankerClient
from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.adapters.engagement.like_store import LikeStore
from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.engagement.play_stats import PlayStats
from reelstack.adapters.engagement.realtime_lag import RealtimeLag
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.media_urls import MediaUrls
from reelstack.adapters.repositories import Repositories
from reelstack.domain.distribution.degradation import Hysteresis
from reelstack.domain.distribution.profile_runs import InterestProfile, Neighbours
from reelstack.errors import DependencyFailed, ReelstackError
from reelstack.services.distribution.feed import FeedService, FeedTuning
from reelstack.services.distribution.feed_health import FeedHealth, HealthRules
from reelstack.services.distribution.hot_list import ARCHIVE_KEY, HotListBuilder, entry_of, newest_published
from reelstack.settings import ApiSettings, HotListSettings
from reelstack.social_wiring import follow_store


class LongTermInterests:
    """The nightly profiles: the Redis version the pointer names; DynamoDB only when Redis cannot answer
    (a key missing under a loaded version means there is none: a run loads both stores whole). The
    pointer is read at most every `pointer_ttl_s` per process."""

    def __init__(self, cache: InterestCache, table: InterestTable | None, pointer_ttl_s: float = 5.0) -> None:
        self.cache = cache
        self.table = table
        self.pointer_ttl_s = pointer_ttl_s
        self._pointer: tuple[float, int | None] | None = None
        self._redis_ok = True

    def version(self) -> int | None:
        now = time.monotonic()
        if self._pointer is not None and now - self._pointer[0] < self.pointer_ttl_s:
            return self._pointer[1]
        try:
            version, self._redis_ok = self.cache.current(), True
        except ReelstackError:
            self._redis_ok = False
            serving = self.table.serving() if self.table is not None else None
            version = serving.version if serving is not None else None
        self._pointer = (now, version)
        return version

    def _read(self, from_cache: Any, from_table: Any) -> Any:
        version = self.version()
        if version is None:
            return None
        if self._redis_ok:
            try:
                return from_cache(version)
            except ReelstackError:
                self._redis_ok = False
        return from_table(version) if self.table is not None else None

    def profile(self, user_id: str) -> InterestProfile | None:
        table = self.table
        return self._read(
            lambda v: self.cache.profile(v, user_id), lambda v: table.profile(v, user_id) if table else None
        )

    def neighbours(self, video_id: str) -> Neighbours | None:
        table = self.table
        return self._read(
            lambda v: self.cache.neighbours(v, video_id),
            lambda v: table.neighbours(v, video_id) if table else None,
        )


class ArchivedHotList:
    """The feed store, with the hot list's S3 copy behind it (read when Redis has no version)."""

    def __init__(self, store: FeedStore, storage: MediaStorage, ttl_s: float = 60.0) -> None:
        self.store = store
        self.storage = storage
        self.ttl_s = ttl_s
        self._copy: tuple[float, dict[str, Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def _archived(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._copy is None or now - self._copy[0] > self.ttl_s:
            import json

            try:
                self._copy = (now, json.loads(self.storage.read(ARCHIVE_KEY)))
            except (ReelstackError, ValueError):
                self._copy = (now, {})
        return self._copy[1]

    def hot_page(self, scope: str, version: int | None = None) -> Any:
        try:
            found = self.store.hot_page(scope, version)
        except DependencyFailed:
            found = None
        return found if found is not None else (self._archived().get("pages") or {}).get(scope)

    def hot_list(self, scope: str, version: int | None = None) -> list[dict[str, Any]] | None:
        try:
            found = self.store.hot_list(scope, version)
        except DependencyFailed:
            found = None
        if found is not None:
            return found
        lists = self._archived().get("lists") or {}
        archived = lists.get(scope)
        return archived if isinstance(archived, list) else None


class NewestPublications:
    """The feed's last resort: the newest publications from the videos table, as hot-list entries.

    One read is 16 published-index queries, the same for every viewer: the answer is kept `ttl_s` per
    process (a video published meanwhile waits that long on this path), so pages that all fall short
    (a new platform before its first hot-list run) do not read the table each."""

    def __init__(self, repos: Repositories, ttl_s: float = 10.0) -> None:
        self.repos = repos
        self.ttl_s = ttl_s
        self._kept: tuple[float, int, list[dict[str, Any]]] | None = None  # (when, wanted, entries)

    def __call__(self, wanted: int) -> list[dict[str, Any]]:
        now = time.monotonic()
        kept = self._kept
        if kept is not None and now - kept[0] <= self.ttl_s and kept[1] >= wanted:
            return kept[2][:wanted]
        entries = [entry_of(video, 0.0, 0, 0) for video in newest_published(self.repos, wanted)]
        self._kept = (now, wanted, entries)
        return entries


def _search_gap(search: SearchClient) -> Any:
    def measure() -> float | None:
        return max(0.0, 100.0 - search.health().active_shards_percent)

    return measure


def build_feed(settings: ApiSettings, search: SearchClient, urls: MediaUrls) -> FeedService:
    store = FeedStore(settings.redis_url, cluster=settings.redis_cluster)
    lag = RealtimeLag(settings.redis_url, cluster=settings.redis_cluster)
    hold = settings.feed_degradation_hold_seconds
    rules = HealthRules(
        search=Hysteresis(100.0 - settings.feed_search_min_active_shards_percent, 0.0, hold),
        realtime=Hysteresis(settings.feed_realtime_lag_seconds, settings.feed_realtime_lag_seconds / 2, hold),
        overload=Hysteresis(
            settings.feed_overload_requests_per_second,
            settings.feed_overload_requests_per_second * 0.75,
            hold,
        ),
        ranker=Hysteresis(1.0, 0.0, hold),
        probe_s=settings.feed_health_probe_seconds,
    )
    health = FeedHealth(
        search_gap=_search_gap(search),
        realtime_lag=lambda: lag.lag_s(int(time.time() * 1000)),
        load=store.load,
        rules=rules,
    )
    table = InterestTable(settings.interests_table) if settings.interests_table else None
    ranker = (
        RankerClient(settings.ranker_endpoint_name, timeout_s=settings.feed_ranker_timeout_seconds)
        if settings.ranker_endpoint_name
        else None
    )
    return FeedService(
        search=search,
        short_term=PlayStats.from_settings(settings),
        long_term=LongTermInterests(InterestCache(settings.redis_url, cluster=settings.redis_cluster), table),
        store=ArchivedHotList(store, MediaStorage(settings.media_bucket)),
        urls=urls,
        health=health,
        ranker=ranker,
        tuning=FeedTuning(exposure_share=settings.feed_exposure_share),
        recent_likes=_recent_likes(LikeStore.from_settings(settings)),
        followings=_followings(settings),
        ranker_versions=_ranker_versions(settings),
        newest=NewestPublications(Repositories.from_settings(settings)),
    )


def _ranker_versions(settings: ApiSettings) -> Any:
    """A client per ranker version (a SageMaker endpoint name) a rollout names, made on first use."""
    clients: dict[str, RankerClient] = {}

    def ranker(endpoint: str) -> RankerClient:
        if endpoint not in clients:
            clients[endpoint] = RankerClient(endpoint, timeout_s=settings.feed_ranker_timeout_seconds)
        return clients[endpoint]

    return ranker


FOLLOWINGS_RANKED = 500  # the viewer's most recent followings the ranker's follows_author sees


def _followings(settings: ApiSettings) -> Any:
    store = follow_store(settings)
    return lambda viewer: store.following_ids(viewer, FOLLOWINGS_RANKED)


def _recent_likes(store: LikeStore) -> Any:
    def recent(user_id: str, n: int) -> list[str]:
        return [like.video_id for like in store.likes_of(user_id, n, None).likes]

    return recent


def build_hot_list(settings: HotListSettings) -> HotListBuilder:
    likes = LikeStore.from_settings(settings)
    return HotListBuilder(
        counters=PlayStats.from_settings(settings),
        videos=Repositories.from_settings(settings),
        durable=DailyStats.from_settings(settings),
        likes=likes,
        store=FeedStore(settings.redis_url, cluster=settings.redis_cluster),
        archive=MediaStorage(settings.media_bucket),
        size=settings.hot_list_size,
    )
