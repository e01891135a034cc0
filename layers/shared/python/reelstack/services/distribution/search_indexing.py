"""Keeping the `videos` search index in step with the video records.

`SearchIndexer.sync(video_ids)` is the one write path: it takes its start time, reads each video's
durable counts, then the records (one batch get: the record is the truth, an event only names the
video), plans one operation per video (`domain.distribution.search_documents.plan_video`: index a published one,
delete any other) and writes them in ONE `_bulk` request under external versions. Why that order and
that version make redelivered, reordered and concurrent writes converge on the newest record: see
`reelstack.domain.distribution.search_documents`.

`CountRefresher.refresh()` is the scheduled side for counts: likes and plays mark their video dirty
(`adapters.distribution.dirty_counts`) after a durable write, and a refresh re-indexes the oldest dirty videos, a
bulk request per page, instead of one request per like. A mark is cleared only once its video's
document is written; a video whose write lost to a newer version (409) stays dirty, so the next
refresh, which starts after every write so far, lands its current counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from reelstack.domain.distribution.search_documents import Counts, IndexOp, plan_video
from reelstack.domain.videos import Video
from reelstack.observability import logger


class BulkResult(Protocol):
    @property
    def written(self) -> list[str]: ...
    @property
    def stale(self) -> list[str]: ...
    @property
    def failed(self) -> dict[str, str]: ...


class VideoRecords(Protocol):
    def get_videos(self, video_ids: Iterable[str]) -> Mapping[str, Video]: ...


class CountSource(Protocol):
    def counts(self, video_id: str) -> Counts: ...


class BulkWriter(Protocol):
    def __call__(self, ops: Sequence[IndexOp]) -> BulkResult: ...


class DirtyMarks(Protocol):
    def mark(self, video_ids: Iterable[str], now_s: float) -> None: ...
    def oldest(self, limit: int) -> list[tuple[str, float]]: ...
    def clear(self, marks: Sequence[tuple[str, float]]) -> int: ...


def micros_now() -> int:
    return time.time_ns() // 1000


class LikeCount(Protocol):
    def count(self, video_id: str) -> int: ...


class PlayTotal(Protocol):
    @property
    def plays(self) -> int: ...


class PlayTotals(Protocol):
    def total(self, video_id: str) -> PlayTotal: ...


class DurableCounts:
    """Counts the way `GET /videos/{id}` reads them: the like counter shards and the daily play stats."""

    def __init__(self, likes: LikeCount, plays: PlayTotals) -> None:
        self.likes = likes
        self.plays = plays

    def counts(self, video_id: str) -> Counts:
        return Counts(likes=self.likes.count(video_id), plays=self.plays.total(video_id).plays)


class SearchIndexer:
    def __init__(
        self,
        records: VideoRecords,
        counts: CountSource,
        write: BulkWriter,
        clock_us: Callable[[], int] = micros_now,
        parallelism: int = 8,
    ) -> None:
        self.records = records
        self.counts = counts
        self.write = write
        self.clock_us = clock_us
        self.parallelism = parallelism

    def plan(self, video_ids: Iterable[str]) -> list[IndexOp]:
        """The operations that bring these videos' documents up to date (counts read before records)."""
        ids = list(dict.fromkeys(video_ids))
        started = self.clock_us()
        counts = self._counts(ids)
        videos = self.records.get_videos(ids)
        return [plan_video(videos.get(vid), vid, counts[vid], started) for vid in ids]

    def _counts(self, ids: list[str]) -> dict[str, Counts]:
        """Two small queries per video, side by side, all of them before the records are read: each of
        `parallelism` threads reads a share of the videos in turn (one task per thread, not per video:
        a task per video cost more than the queries of an in-memory source, benchmarks/search.py)."""
        workers = max(1, min(self.parallelism, len(ids)))
        shares = [ids[n::workers] for n in range(workers)]

        def read(share: list[str]) -> list[Counts]:
            return [self.counts.counts(video_id) for video_id in share]

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return {
                video_id: found
                for share, values in zip(shares, pool.map(read, shares), strict=True)
                for video_id, found in zip(share, values, strict=True)
            }

    def sync(self, video_ids: Iterable[str]) -> BulkResult:
        """Index or remove each video in one bulk request. Raises (DependencyFailed, SearchUnavailable)
        when the records, the counts or the engine cannot be reached: the caller retries the batch."""
        ops = self.plan(video_ids)
        result = self.write(ops)
        if result.failed:
            logger.warning("search writes failed", extra={"failed": result.failed})
        logger.info(
            "search documents synced",
            extra={
                "indexed": sum(1 for op in ops if op.action.value == "index"),
                "deleted": sum(1 for op in ops if op.action.value == "delete"),
                "stale": len(result.stale),
                "failed": len(result.failed),
            },
        )
        return result


@dataclass(frozen=True)
class RefreshReport:
    refreshed: int
    kept_dirty: int
    pages: int


class CountRefresher:
    """The scheduled count refresh: the oldest dirty videos, `page_size` per bulk, `max_pages` a run."""

    def __init__(
        self, indexer: SearchIndexer, dirty: DirtyMarks, page_size: int = 200, max_pages: int = 20
    ) -> None:
        self.indexer = indexer
        self.dirty = dirty
        self.page_size = page_size
        self.max_pages = max_pages

    def refresh(self) -> RefreshReport:
        refreshed = kept = pages = 0
        while pages < self.max_pages:
            marks = self.dirty.oldest(self.page_size)
            if not marks:
                break
            pages += 1
            result = self.indexer.sync(video_id for video_id, _ in marks)
            done = set(result.written)
            self.dirty.clear([mark for mark in marks if mark[0] in done])
            refreshed += len(done)
            kept += len(marks) - len(done)
            if len(done) < len(marks):
                break  # the rest waits for the next run (a newer writer or a failing engine)
        return RefreshReport(refreshed, kept, pages)


def mark_dirty(dirty: DirtyMarks | None, video_ids: Iterable[str]) -> None:
    """Best effort: a failed mark costs only freshness of the counts (logged), never the write itself."""
    ids = sorted(set(video_ids))
    if dirty is None or not ids:
        return
    try:
        dirty.mark(ids, time.time())
    except Exception as exc:
        logger.warning("counts not marked for the search refresh", extra={"videos": ids, "error": str(exc)})
