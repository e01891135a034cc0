"""A published catalog for the feed tests: video records written into the local cloud's videos table
(as Publish writes them) and indexed by the product's own search indexer into the cloud's node."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso
from reelstack.search_wiring import build_indexer
from reelstack.settings import SearchIndexerSettings
from reelstack_tools.published_records import published_record
from tests.support.search_records import indexer_settings

TAGS = ("cats", "cars", "food", "music", "travel")


@dataclass(frozen=True)
class Catalog:
    video_ids: tuple[str, ...]
    author_of: dict[str, str]
    tags_of: dict[str, tuple[str, ...]]


def seed_catalog(
    local_cloud: Any, prefix: str, videos: int, authors: int, owner: str | None = None
) -> Catalog:
    """`videos` published videos of `authors` authors (`<prefix>-author<k>`, or all `owner`'s), one main
    tag each in turn, published over the last hours (newest last), indexed."""
    settings: SearchIndexerSettings = indexer_settings(local_cloud, str(local_cloud.search_url))
    repos = Repositories.from_settings(settings)
    now = datetime.now(UTC)
    ids, author_of, tags_of = [], {}, {}
    for n in range(videos):
        video_id = f"{prefix}-v{n:03d}"
        author = owner or f"{prefix}-author{n % authors}"
        tags = (TAGS[n % len(TAGS)], f"{prefix}-t{n % 7}")
        published = iso(now - timedelta(hours=videos - n))
        published_record(
            repos.tables,
            video_id,
            owner=author,
            title=f"{tags[0]} video {n}",
            tags=tags,
            published_at=published,
        ).save()
        ids.append(video_id)
        author_of[video_id] = author
        tags_of[video_id] = tags
    result = build_indexer(settings).sync(ids)
    assert not result.failed, result.failed
    return Catalog(tuple(ids), author_of, tags_of)
