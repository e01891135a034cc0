"""The hot list, rebuilt every 10 minutes (EventBridge schedule -> `HotListFunction`).

Scores come from the play path's decaying counters in Redis (the last hour, older buckets weighing
less) plus the durable daily stats (plays of today and yesterday in DynamoDB, weighing
`durable_weight` each), so a Redis restart does not empty it. While fewer than `size` videos were
played lately, the newest publications fill it (score 0), so a new platform's feed is never empty.
Each entry carries what a feed item needs (title, author, tags, media keys, length, likes), so the
feed can serve it with search down.

The list is written to Redis under a new version and the pointer moved (readers see one list or the
other), and to the media bucket as `feed/hot/latest.json`, which the feed reads when Redis has none
(after a restart). The popular first page (the list in diversity order) is pre-computed with it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reelstack.domain.distribution.feed import Candidate, rerank
from reelstack.domain.videos import PUBLISHED_BUCKETS, Video, VideoStatus
from reelstack.errors import ReelstackError
from reelstack.observability import logger

ARCHIVE_KEY = "feed/hot/latest.json"


class Counters(Protocol):
    def hot(self, n: int, region: str | None = None) -> list[tuple[str, float]]: ...
    def hot_regions(self) -> list[str]: ...


class Videos(Protocol):
    def get_videos(self, video_ids: Iterable[str]) -> dict[str, Video]: ...
    def newest_published(self, bucket: str, limit: int) -> list[Video]: ...


class Durable(Protocol):
    def daily_plays(self, video_id: str, days: int) -> list[int]: ...


class Likes(Protocol):
    def count(self, video_id: str) -> int: ...


class HotStore(Protocol):
    def publish_hot(
        self, version: int, lists: Mapping[str, Sequence[Mapping[str, Any]]], pages: Mapping[str, Any]
    ) -> None: ...


class Archive(Protocol):
    def put_bytes(
        self, key: str, body: bytes, content_type: str, cache_control: str | None = None
    ) -> None: ...


@dataclass(frozen=True)
class HotListReport:
    version: int
    videos: int
    from_counters: int
    filled_with_new: int


def entry_of(video: Video, score: float, plays: int, likes: int) -> dict[str, Any]:
    playback = video.playback
    duration = playback.duration_s if playback else (video.media or {}).get("duration_s")
    return {
        "video_id": video.video_id,
        "title": video.title,
        "author": video.owner,
        "tags": list(video.tags),
        "poster_key": playback.poster_key if playback else None,
        "playback_key": playback.master_key if playback else None,
        "duration_s": float(duration) if duration is not None else None,
        "like_count": likes,
        "published_at": video.published_at,
        "plays": plays,
        "score": round(score, 6),
    }


def newest_published(videos: Videos, wanted: int, exclude: Iterable[str] = ()) -> list[Video]:
    """The `wanted` newest publications over every published-index partition (16 queries), newest first,
    none of `exclude`."""
    skip = set(exclude)
    newest: list[Video] = []
    for n in range(PUBLISHED_BUCKETS):
        newest += videos.newest_published(f"published#{n:02d}", wanted)
    fresh = [v for v in newest if v.video_id not in skip and v.status == VideoStatus.PUBLISHED]
    fresh.sort(key=lambda v: (str(v.published_at or ""), v.video_id), reverse=True)
    return fresh[:wanted]


class HotListBuilder:
    def __init__(
        self,
        *,
        counters: Counters,
        videos: Videos,
        durable: Durable,
        likes: Likes,
        store: HotStore,
        archive: Archive,
        size: int = 200,
        durable_weight: float = 0.05,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counters = counters
        self.videos = videos
        self.durable = durable
        self.likes = likes
        self.store = store
        self.archive = archive
        self.size = size
        self.durable_weight = durable_weight
        self.clock = clock

    def run(self) -> HotListReport:
        hot: list[tuple[str, float]] = []
        try:
            hot = self.counters.hot(self.size)
        except ReelstackError as error:
            logger.warning("hot list: counters unavailable, durable stats only", extra={"error": str(error)})
        counter = dict(hot)
        found = {
            video_id: video
            for video_id, video in self.videos.get_videos(counter).items()
            if video.status == VideoStatus.PUBLISHED
        }
        from_counters = len(found)
        if len(found) < self.size:
            for video in newest_published(self.videos, self.size - len(found), exclude=found):
                found[video.video_id] = video
                counter.setdefault(video.video_id, 0.0)
        entries = []
        for video_id, video in found.items():
            plays = self._durable(video_id)
            score = counter.get(video_id, 0.0) + self.durable_weight * plays
            entries.append(entry_of(video, score, plays, self._likes(video_id)))
        entries.sort(key=lambda e: (-e["score"], str(e["published_at"] or ""), e["video_id"]))
        entries = entries[: self.size]
        version = int(self.clock())
        lists: dict[str, list[dict[str, Any]]] = {"all": entries}
        lists.update(self._regional(found, {e["video_id"]: e for e in entries}))
        pages = {scope: self._page(items) for scope, items in lists.items()}
        self.store.publish_hot(version, lists, pages)
        body = json.dumps({"version": version, "lists": lists, "pages": pages}).encode()
        self.archive.put_bytes(ARCHIVE_KEY, body, "application/json", cache_control="no-store")
        report = HotListReport(version, len(entries), from_counters, len(entries) - from_counters)
        logger.info("hot list published", extra=report.__dict__)
        return report

    def _regional(
        self, found: Mapping[str, Video], entries: Mapping[str, dict[str, Any]]
    ) -> dict[str, list[dict[str, Any]]]:
        """Per region with plays in the window: its viewers' top videos (scored by their own plays)."""
        lists: dict[str, list[dict[str, Any]]] = {}
        try:
            regions = self.counters.hot_regions()
        except ReelstackError as error:
            logger.warning("hot list: regions unavailable", extra={"error": str(error)})
            return lists
        for region in regions:
            try:
                ranked = self.counters.hot(self.size, region)
            except ReelstackError:
                continue
            missing = [video for video, _ in ranked if video not in found]
            videos = dict(found) | {
                v.video_id: v
                for v in self.videos.get_videos(missing).values()
                if v.status == VideoStatus.PUBLISHED
            }
            regional = []
            for video_id, score in ranked:
                video = videos.get(video_id)
                if video is None:
                    continue
                base = entries.get(video_id) or entry_of(video, 0.0, 0, self._likes(video_id))
                regional.append({**base, "score": round(score, 6)})
            if regional:
                lists[f"region:{region}"] = regional
        return lists

    def _durable(self, video_id: str) -> int:
        try:
            return sum(self.durable.daily_plays(video_id, 2))
        except ReelstackError as error:
            logger.warning(
                "hot list: daily stats unavailable", extra={"video_id": video_id, "error": str(error)}
            )
            return 0

    def _likes(self, video_id: str) -> int:
        try:
            return self.likes.count(video_id)
        except ReelstackError:
            return 0

    @staticmethod
    def _page(entries: Sequence[Mapping[str, Any]]) -> list[str]:
        """The popular first page's order: the list under the feed's diversity rules."""
        candidates = [
            Candidate(
                str(e["video_id"]),
                str(e["author"]),
                "hot",
                "popular now",
                tuple(e["tags"]),
                float(e["score"]),
            )
            for e in entries
        ]
        return [c.video_id for c in rerank(candidates, 50)]
