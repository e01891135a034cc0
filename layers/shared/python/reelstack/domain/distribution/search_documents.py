"""A video record as its `videos` search document, the external version it is written under, and
whether it belongs in the index at all. Pure: no SDK, no I/O.

Only PUBLISHED videos are in the index; any other status (rejected, failed, deleted, still processing)
means its document must go (`plan_video`).

**Versions.** Documents are written with `version_type=external`, so the engine keeps the highest
version it was given and refuses (409) anything older or equal. Every writer (the indexer, the count
refresher, a reindex) builds the *whole* document from the record (the truth) and the durable counts
it reads, and writes it under

    version = max(record.updated_at, started_at)      (both as epoch microseconds)

where `started_at` is the writer's clock taken *before* it read the counts and the record. Why it is
correct: if writer A's version is higher than writer B's, either A started after B's record was
written (A read the record later, so it saw that write or a newer one), or A's record itself is newer.
Either way the document left in the index holds the newest record any writer saw. A redelivered or
reordered event re-reads the record, so it never writes an older state with a higher version. A partial
`_update` of the counts cannot carry an external version (it would bump the internal one and let an
older full write win): counts are therefore refreshed by re-indexing the whole document under the
same rule. The counts of the winning document can trail by the likes counted between two writers'
starts; the count refresher keeps a video dirty when its write lost (409), so the next refresh, which
starts later than every write so far, lands the current counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from reelstack.domain.storage.storage_tiers import tier_of
from reelstack.domain.videos import Video, VideoStatus

HEAT_GRAVITY = 1.5  # how fast heat decays with age (the Hacker News ranking's exponent)
HEAT_LIKE_WEIGHT = 5.0  # a like says more than a play


class IndexAction(StrEnum):
    INDEX = "index"
    DELETE = "delete"


@dataclass(frozen=True)
class Counts:
    """A video's durable counts: likes (counter shards) and counted plays (daily stats)."""

    likes: int = 0
    plays: int = 0


@dataclass(frozen=True)
class IndexOp:
    """One bulk operation: index `document` (or delete) under `version` for `video_id`."""

    video_id: str
    action: IndexAction
    version: int
    document: dict[str, Any] | None = None


def epoch_micros(text: str) -> int:
    """An ISO-8601 timestamp (`...Z` or with an offset; naive = UTC) as epoch microseconds."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def document_version(updated_at: str, started_at_us: int) -> int:
    """The external version of a write: max(the record's updated_at, the writer's start), microseconds."""
    try:
        updated = epoch_micros(updated_at)
    except ValueError:
        updated = 0
    return max(updated, started_at_us, 1)


def heat(counts: Counts, published_at: str | None, now_us: int) -> float:
    """A trending score: (plays + 5 x likes) / (age in hours + 2) ^ 1.5 -- fresh engagement ranks
    high and fades in days. Never negative."""
    engagement = max(0, counts.plays) + HEAT_LIKE_WEIGHT * max(0, counts.likes)
    try:
        age_hours = max(0.0, (now_us - epoch_micros(published_at or "")) / 3.6e9)
    except ValueError:
        age_hours = 0.0
    return round(engagement / math.pow(age_hours + 2.0, HEAT_GRAVITY), 3)


def _meta(video: Video, key: str) -> str | None:
    """Optional facts a record may carry (region, language) in its extra fields or its probed media."""
    for source in (video.extra, video.media or {}):
        value = source.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def search_document(video: Video, counts: Counts, now_us: int) -> dict[str, Any]:
    """The `videos` document of a published video (the fields of `VIDEOS_MAPPINGS`, nothing else)."""
    playback = video.playback
    document: dict[str, Any] = {
        "video_id": video.video_id,
        "author": video.owner,
        "title": video.title,
        "tags": list(video.tags),
        "duration_s": playback.duration_s if playback else float((video.media or {}).get("duration_s") or 0),
        "published_at": video.published_at or video.updated_at,
        "updated_at": video.updated_at,
        "like_count": max(0, counts.likes),
        "play_count": max(0, counts.plays),
        "heat": heat(counts, video.published_at, now_us),
        "storage_tier": tier_of(video.storage).value,
        "poster_key": playback.poster_key if playback else None,
        "playback_key": playback.master_key if playback else None,
    }
    for key in ("region", "language"):
        value = _meta(video, key)
        if value is not None:
            document[key] = value
    return document


def plan_video(video: Video | None, video_id: str, counts: Counts, started_at_us: int) -> IndexOp:
    """What the index must hold for one video: its document when PUBLISHED, nothing otherwise
    (a missing record -- deleted -- is removed too, under the writer's start as its version)."""
    if video is None:
        return IndexOp(video_id, IndexAction.DELETE, max(started_at_us, 1))
    version = document_version(video.updated_at, started_at_us)
    if video.status != VideoStatus.PUBLISHED or video.playback is None:
        return IndexOp(video_id, IndexAction.DELETE, version)
    return IndexOp(video_id, IndexAction.INDEX, version, search_document(video, counts, started_at_us))
