"""Rebuilding the `videos` index behind its alias while searches go on (`reelstack search reindex`).

1. Create the next version (`videos-v{N+1}`, N the highest that exists) with the current mappings and
   no alias: searches keep reading the old index.
2. Fill it from the published videos (the published-index, 16 partitions, a page at a time), each
   page through `SearchIndexer.plan` (records and counts read as the indexer reads them) and one
   `_bulk` request into the new index; then refresh it.
3. Swap the alias in ONE `_aliases` request (remove old, add new): a search sees the old index or the
   full new one, never none and never an empty one.
4. Catch up: while the new index was filled, the live indexer wrote to the old one. Every published
   video is synced once more through the alias (now the new index), and every id the new index holds
   that is not published any more (rejected or deleted meanwhile) is synced too (the indexer removes
   it). External versions keep the newest write of the live indexer and of this pass alike.
5. Delete the old index (after the swap, so no search ever hits a missing index).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from reelstack.domain.distribution.search_documents import IndexOp
from reelstack.domain.distribution.search_indices import VIDEOS_ALIAS, IndexSpec, index_specs
from reelstack.domain.videos import PUBLISHED_BUCKETS, Video
from reelstack.services.distribution.search_indexing import BulkResult, SearchIndexer


class Admin(Protocol):
    def aliased(self, alias: str) -> list[str]: ...
    def versions(self, alias: str) -> dict[int, str]: ...
    def create_unaliased(self, spec: IndexSpec) -> None: ...
    def finish_filling(self, index: str) -> None: ...
    def swap(self, alias: str, old: list[str], new: str) -> None: ...
    def delete(self, index: str) -> None: ...
    def ids(self, index: str) -> Iterator[str]: ...


class PublishedPages(Protocol):
    def published_page(self, bucket: str, limit: int, cursor: str | None) -> PageOf: ...


class PageOf(Protocol):
    @property
    def videos(self) -> list[Video]: ...
    @property
    def cursor(self) -> str | None: ...


@dataclass(frozen=True)
class ReindexReport:
    old: list[str]
    new: str
    filled: int
    caught_up: int
    removed: int


class Reindexer:
    def __init__(
        self,
        admin: Admin,
        published: PublishedPages,
        indexer: SearchIndexer,
        write_to: Callable[[str, Sequence[IndexOp]], BulkResult],
        page_size: int = 200,
        replicas: int = 0,
        say: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.admin = admin
        self.published = published
        self.indexer = indexer
        self.write_to = write_to
        self.page_size = page_size
        self.replicas = replicas
        self.say = say

    def next_spec(self) -> IndexSpec:
        spec = next(s for s in index_specs(self.replicas) if s.alias == VIDEOS_ALIAS)
        highest = max(self.admin.versions(VIDEOS_ALIAS), default=0)
        return replace(spec, version=max(highest, spec.version - 1) + 1)

    def published_ids(self) -> Iterator[list[str]]:
        """The published video ids, a page at a time, over every partition of the published-index."""
        for n in range(PUBLISHED_BUCKETS):
            cursor: str | None = None
            while True:
                page = self.published.published_page(f"published#{n:02d}", self.page_size, cursor)
                if page.videos:
                    yield [video.video_id for video in page.videos]
                cursor = page.cursor
                if not cursor:
                    break

    def _write(self, index: str, ids: list[str]) -> int:
        result = self.write_to(index, self.indexer.plan(ids))
        if result.failed:
            raise RuntimeError(f"writing {len(result.failed)} videos to {index} failed: {result.failed}")
        return len(ids)

    def run(self) -> ReindexReport:
        old = self.admin.aliased(VIDEOS_ALIAS)
        spec = self.next_spec()
        self.say(f"creating {spec.index} (the alias {VIDEOS_ALIAS} points at {', '.join(old) or 'nothing'})")
        self.admin.create_unaliased(spec)
        filled = sum(self._write(spec.index, ids) for ids in self.published_ids())
        self.admin.finish_filling(spec.index)
        self.say(f"filled {spec.index} with {filled} videos; swapping {VIDEOS_ALIAS}")
        self.admin.swap(VIDEOS_ALIAS, old, spec.index)
        published: set[str] = set()
        caught_up = 0
        for ids in self.published_ids():
            published.update(ids)
            caught_up += self._write(VIDEOS_ALIAS, ids)
        gone = [video_id for video_id in self.admin.ids(spec.index) if video_id not in published]
        for start in range(0, len(gone), self.page_size):
            self._write(VIDEOS_ALIAS, gone[start : start + self.page_size])
        for index in old:
            if index != spec.index:
                self.admin.delete(index)
        self.say(f"{VIDEOS_ALIAS} -> {spec.index}; caught up {caught_up}, removed {len(gone)}")
        return ReindexReport(old, spec.index, filled, caught_up, len(gone))
