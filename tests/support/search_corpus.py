"""A planted `videos` corpus for the search tests: documents of the index mapping's shape, written with
opensearch-py straight into a fresh `videos` index (the indexer is not needed), then refreshed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch

from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.domain.distribution.search_indices import VIDEOS_ALIAS, index_specs

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
PAGED_WORD = "kayak"  # every paging document's title has it, and nothing else's does
PAGED_COUNT = 23


def video(
    video_id: str,
    title: str,
    *,
    author: str = "someone",
    tags: tuple[str, ...] = (),
    age_days: float = 1.0,
    likes: int = 0,
    plays: int = 0,
) -> dict[str, Any]:
    published = (NOW - timedelta(days=age_days)).isoformat()
    return {
        "video_id": video_id,
        "author": author,
        "title": title,
        "tags": list(tags),
        "region": "eu",
        "language": "en",
        "duration_s": 12.5,
        "published_at": published,
        "updated_at": published,
        "like_count": likes,
        "play_count": plays,
        "heat": 0.5,
        "storage_tier": "hot",
        "poster_key": f"renditions/{video_id}/poster.jpg",
        "playback_key": f"renditions/{video_id}/master.m3u8",
    }


# q="surfing": the exact title first, then the tag-only match, then the title matches (the fresh,
# much-played one above the old, barely played one with the same title).
EXACT = video("v-exact", "Surfing", author="ana", tags=("ocean",), age_days=20, likes=3, plays=40)
TAG_ONLY = video(
    "v-tag", "Morning at the beach", author="ben", tags=("surfing", "beach"), age_days=3, likes=10, plays=100
)
FRESH_PARTIAL = video(
    "v-fresh", "Surfing lessons for beginners", author="cleo", age_days=1, likes=50, plays=900
)
OLD_PARTIAL = video("v-old", "Surfing lessons for beginners", author="dan", age_days=400, likes=1, plays=3)
SAME_AUTHOR = video("v-ana2", "Surfing at dawn", author="ana", tags=("surfing", "ocean"), age_days=5)
UNRELATED = video("v-pasta", "Cooking pasta at home", author="eve", tags=("food",), age_days=2, likes=90)
SPECIAL = video("v-special", 'C++ "tips" [part 1] & AND/OR: café', author="fay", tags=("code",))


def paged_videos() -> list[dict[str, Any]]:
    """PAGED_COUNT kayak videos, several of them identical but for their id (ties on every score)."""
    docs = []
    for n in range(PAGED_COUNT):
        same = n % 4 == 0  # these share title, age and counts: only the video_id orders them
        docs.append(
            video(
                f"v-kayak-{n:02d}",
                "Kayak trip" if same else f"Kayak trip day {n}",
                author=f"paddler{n % 3}",
                tags=("kayak",) if n % 2 else ("river",),
                age_days=7 if same else n,
                likes=5 if same else n * 3,
                plays=50 if same else n * 20,
            )
        )
    return docs


CORPUS = [EXACT, TAG_ONLY, FRESH_PARTIAL, OLD_PARTIAL, SAME_AUTHOR, UNRELATED, SPECIAL, *paged_videos()]


def plant(node_url: str, documents: list[dict[str, Any]] = CORPUS) -> None:
    """A fresh `videos` index (the mapping of `domain.distribution.search_indices`) holding exactly `documents`."""
    raw = OpenSearch(hosts=[node_url], timeout=30)
    try:
        spec = next(spec for spec in index_specs() if spec.alias == VIDEOS_ALIAS)
        # Every version behind the alias (a reindex test may have moved it to videos-v2).
        raw.indices.delete(index=f"{VIDEOS_ALIAS}-v*", ignore_unavailable=True)
        client = SearchClient(client=raw)
        client.ensure_indices((spec,))
        for document in documents:
            raw.index(index=VIDEOS_ALIAS, id=document["video_id"], body=document)
        raw.indices.refresh(index=VIDEOS_ALIAS)
    finally:
        raw.close()
