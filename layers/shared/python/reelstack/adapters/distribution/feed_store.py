"""The feed's state in Redis: what each viewer was served and marked not interested, cached first
pages, and the hot list's versions.

Keys (U = viewer; per-viewer keys share the hash tag `{U}`, so a viewer's transaction is one slot):

    feed:{U}:served        sorted set video -> ms it was served; the `served_keep` newest, expiring
                           `served_ttl_s` after the last page: the next page and the next visit skip them
    feed:{U}:nope          set of videos marked not interested (never shown again)
    feed:{U}:nope_tags     hash tag -> how often a not-interested video carried it (a down-weight)
    feed:{U}:nope_authors  hash author -> how often (a down-weight)
    feed:{U}:page1         the viewer's pre-computed first page (JSON), with what it was built from
    hot:current            the serving hot-list version (a number), moved by `publish_hot` only
    hot:v<N>:<scope>       a hot list as JSON (`scope`: "all" or "region:<R>"), expiring after a day
    hot:v<N>:page:<scope>  the popular first page of that scope (JSON: video ids in diversity order)

A hot list is written whole under a new version and then the pointer moves, so readers see one
list or the other. Every read here is best effort for the feed: errors become `DependencyFailed`
and the feed service decides what to serve without it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.errors import DependencyFailed

HOT_POINTER = "hot:current"


def _viewer(user_id: str, what: str) -> str:
    return f"feed:{{{user_id}}}:{what}"


def hot_key(version: int, scope: str) -> str:
    return f"hot:v{version}:{scope}"


def hot_page_key(version: int, scope: str) -> str:
    return f"hot:v{version}:page:{scope}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class FeedStore:
    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        cluster: bool = False,
        timeout_s: float = 0.3,
        served_keep: int = 2000,
        served_ttl_s: int = 7 * 86400,
        nope_ttl_s: int = 180 * 86400,
        hot_ttl_s: int = 86400,
    ) -> None:
        if client is None and not url:
            raise ValueError("the feed store needs a Redis client or URL")
        self._url = url
        self._client = client
        self._cluster = cluster
        self._timeout_s = timeout_s
        self.served_keep = served_keep
        self.served_ttl_s = served_ttl_s
        self.nope_ttl_s = nope_ttl_s
        self.hot_ttl_s = hot_ttl_s

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(str(self._url), self._timeout_s, cluster=self._cluster)
        return self._client

    def _call(self, what: str, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except REDIS_ERRORS as exc:
            raise DependencyFailed(f"{what} failed: {exc}", code="feed_cache_unavailable") from exc

    # -- per viewer -------------------------------------------------------------------------------------

    def served(self, user_id: str) -> set[str]:
        key = _viewer(user_id, "served")
        return {_text(v) for v in self._call("reading served videos", lambda: self.client.zrange(key, 0, -1))}

    def mark_served(self, user_id: str, video_ids: Sequence[str], now_ms: int) -> None:
        if not video_ids:
            return
        key = _viewer(user_id, "served")

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.zadd(key, {video: now_ms for video in video_ids})
            pipe.zremrangebyrank(key, 0, -(self.served_keep + 1))
            pipe.expire(key, self.served_ttl_s)
            pipe.execute()

        self._call("marking served videos", write)

    def not_interested(self, user_id: str) -> tuple[set[str], dict[str, float], dict[str, float]]:
        """(videos, tag -> count, author -> count) the viewer marked not interested."""

        def read() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            pipe.smembers(_viewer(user_id, "nope"))
            pipe.hgetall(_viewer(user_id, "nope_tags"))
            pipe.hgetall(_viewer(user_id, "nope_authors"))
            return list(pipe.execute())

        videos, tags, authors = self._call("reading not-interested marks", read)
        return (
            {_text(v) for v in videos},
            {_text(k): float(v) for k, v in tags.items()},
            {_text(k): float(v) for k, v in authors.items()},
        )

    def mark_not_interested(self, user_id: str, video_id: str, author_id: str, tags: Iterable[str]) -> bool:
        """Record the mark; False when the video was already marked (its tags and author count once)."""
        keys = {name: _viewer(user_id, name) for name in ("nope", "nope_tags", "nope_authors", "page1")}

        def write() -> bool:
            added = int(self.client.sadd(keys["nope"], video_id))
            pipe = self.client.pipeline(transaction=True)
            if added:
                for tag in dict.fromkeys(tags):
                    pipe.hincrbyfloat(keys["nope_tags"], tag, 1.0)
                pipe.hincrbyfloat(keys["nope_authors"], author_id, 1.0)
            for name in ("nope", "nope_tags", "nope_authors"):
                pipe.expire(keys[name], self.nope_ttl_s)
            pipe.delete(keys["page1"])  # the cached first page may hold it
            pipe.execute()
            return bool(added)

        return bool(self._call("marking a video not interested", write))

    def first_page(self, user_id: str) -> dict[str, Any] | None:
        raw = self._call("reading a cached first page", lambda: self.client.get(_viewer(user_id, "page1")))
        return _json(raw)

    def put_first_page(self, user_id: str, page: Mapping[str, Any], ttl_s: int) -> None:
        body = json.dumps(page, separators=(",", ":"))
        self._call("caching a first page", lambda: self.client.set(_viewer(user_id, "page1"), body, ex=ttl_s))

    # -- load -------------------------------------------------------------------------------------------

    def hit(self, now_s: float) -> None:
        """Count one feed request in the fleet-wide counter of its second."""
        key = f"feed:load:{int(now_s)}"

        def write() -> None:
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, 10)
            pipe.execute()

        self._call("counting a feed request", write)

    def load(self, now_s: float | None = None) -> float:
        """Feed requests per second across the fleet: the busier of the last full second and this one."""
        second = int(time.time() if now_s is None else now_s)

        def read() -> list[Any]:
            return [self.client.get(f"feed:load:{second - 1}"), self.client.get(f"feed:load:{second}")]

        return float(
            max(int(_text(v)) if v is not None else 0 for v in self._call("reading the feed load", read))
        )

    # -- the hot list -----------------------------------------------------------------------------------

    def publish_hot(
        self, version: int, lists: Mapping[str, Sequence[Mapping[str, Any]]], pages: Mapping[str, Any]
    ) -> None:
        """Write every scope's list and popular page under `version`, then move the pointer."""

        def write() -> None:
            for scope, items in lists.items():
                self.client.set(hot_key(version, scope), json.dumps(list(items)), ex=self.hot_ttl_s)
            for scope, page in pages.items():
                self.client.set(hot_page_key(version, scope), json.dumps(page), ex=self.hot_ttl_s)
            self.client.set(HOT_POINTER, str(version))

        self._call("publishing the hot list", write)

    def hot_version(self) -> int | None:
        raw = self._call("reading the hot-list pointer", lambda: self.client.get(HOT_POINTER))
        return int(_text(raw)) if raw is not None else None

    def hot_list(self, scope: str, version: int | None = None) -> list[dict[str, Any]] | None:
        current = version if version is not None else self.hot_version()
        if current is None:
            return None
        found = _json(self._call("reading the hot list", lambda: self.client.get(hot_key(current, scope))))
        return found if isinstance(found, list) else None

    def hot_page(self, scope: str, version: int | None = None) -> list[str] | None:
        """The popular page of `scope` the hot-list run pre-computed: video ids in diversity order."""
        current = version if version is not None else self.hot_version()
        if current is None:
            return None
        raw = self._call("reading a popular page", lambda: self.client.get(hot_page_key(current, scope)))
        found = _json(raw)
        return [str(video) for video in found] if isinstance(found, list) else None


def _json(raw: Any) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(_text(raw))
    except ValueError:
        return None
