"""Building the search indexer and the count refresher from their settings (cached per process)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from reelstack.adapters.distribution.dirty_counts import DirtyCounts
from reelstack.adapters.distribution.search_admin import SearchAdmin
from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.adapters.distribution.search_writer import BulkOutcome, write_bulk
from reelstack.adapters.engagement.like_store import LikeStore
from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.repositories import Repositories
from reelstack.domain.distribution.search_documents import IndexOp
from reelstack.services.distribution.search_indexing import (
    BulkResult,
    CountRefresher,
    DurableCounts,
    SearchIndexer,
)
from reelstack.services.distribution.search_reindex import Reindexer
from reelstack.settings import SearchIndexerSettings, search_indexer_settings


def build_indexer(settings: SearchIndexerSettings, search: SearchClient | None = None) -> SearchIndexer:
    """The indexer over the settings' tables and engine (`search` injected by tests and tools)."""
    client = search or SearchClient(settings)

    def write(ops: Sequence[IndexOp]) -> BulkOutcome:
        return write_bulk(client.client, ops)

    likes = LikeStore(settings.likes_table, settings.like_counters_table, settings.aws_region)
    return SearchIndexer(
        Repositories.from_settings(settings),
        DurableCounts(likes, DailyStats.from_settings(settings)),
        write,
    )


@cache
def search_indexer() -> SearchIndexer:
    return build_indexer(search_indexer_settings())


@cache
def count_refresher() -> CountRefresher:
    settings = search_indexer_settings()
    dirty = DirtyCounts(
        settings.redis_url, cluster=settings.redis_cluster, timeout=settings.dirty_counts_timeout_seconds
    )
    return CountRefresher(
        search_indexer(),
        dirty,
        page_size=settings.count_refresh_page_size,
        max_pages=settings.count_refresh_max_pages,
    )


def build_reindexer(
    settings: SearchIndexerSettings, page_size: int = 200, say: Callable[[str], None] = lambda _: None
) -> Reindexer:
    """`reelstack search reindex`: the settings name the tables and the engine (local cloud or AWS)."""
    search = SearchClient(settings)

    def write_to(index: str, ops: Sequence[IndexOp]) -> BulkResult:
        return write_bulk(search.client, ops, index=index)

    return Reindexer(
        SearchAdmin(search.client),
        Repositories.from_settings(settings),
        build_indexer(settings, search),
        write_to,
        page_size=page_size,
        replicas=settings.search_replicas,
        say=say,
    )
