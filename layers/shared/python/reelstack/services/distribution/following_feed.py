"""`GET /feed/following`: the newest published videos of the people the viewer follows (fan-out on
read, `domain.distribution.following_feed` says why), a page at a time from the per-viewer cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from reelstack.domain.distribution.following_feed import (
    FANOUT_CAP,
    FEED_SIZE,
    PER_CREATOR,
    FeedEntry,
    after,
    decode_position,
    encode_position,
    merge_newest,
)
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.domain.videos import Video, VideoStatus

MAX_PAGE = 50
_WORKERS = 8


class Followings(Protocol):
    def following_ids(self, user_id: str, cap: int) -> list[str]: ...


class Cache(Protocol):
    def get(self, viewer: str) -> list[FeedEntry] | None: ...
    def put(self, viewer: str, entries: list[FeedEntry]) -> None: ...
    def drop(self, viewer: str) -> None: ...


class FollowingFeed:
    def __init__(
        self,
        follows: Followings,
        newest_of: Callable[[str, int], list[Video]],
        videos: Callable[[Iterable[str]], dict[str, Video]],
        view: Callable[[Video], dict[str, Any]],
        cache: Cache | None = None,
    ) -> None:
        self.follows = follows
        self.newest_of = newest_of
        self.videos = videos
        self.view = view
        self.cache = cache

    def entries(self, viewer: str) -> list[FeedEntry]:
        cached = self.cache.get(viewer) if self.cache is not None else None
        if cached is not None:
            return cached
        creators = self.follows.following_ids(viewer, FANOUT_CAP)
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            newest = list(pool.map(lambda creator: self.newest_of(creator, PER_CREATOR), creators))
        entries = merge_newest(
            (
                [FeedEntry(v.published_at or v.created_at, v.video_id, v.owner) for v in videos]
                for videos in newest
            ),
            FEED_SIZE,
        )
        if self.cache is not None:
            self.cache.put(viewer, entries)
        return entries

    def forget(self, viewer: str) -> None:
        """The viewer's followings changed: the next page is rebuilt."""
        if self.cache is not None:
            self.cache.drop(viewer)

    def page(self, principal: Principal, limit_text: str | None, cursor: str | None) -> dict[str, Any]:
        """`{items, cursor}`: newest publication first; items are public video views."""
        limit = parse_limit(limit_text, default=10, maximum=MAX_PAGE)
        rest = after(self.entries(principal.user_id), decode_position(cursor))
        chosen = rest[:limit]
        found = self.videos(entry.video_id for entry in chosen)
        items = [
            self.view(found[entry.video_id])
            for entry in chosen
            if entry.video_id in found and found[entry.video_id].status == VideoStatus.PUBLISHED
        ]
        next_cursor = encode_position(chosen[-1]) if len(rest) > limit else None
        return {"items": items, "cursor": next_cursor}
