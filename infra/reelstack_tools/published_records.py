"""A video record as Publish writes it (status, publication partition, playback keys), for the tools
that seed a catalog without media: the demo's feed step, the feed benchmark, the tests' catalogs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reelstack.domain.videos import VideoStatus, published_bucket


def published_record(
    tables: Any,
    video_id: str,
    *,
    owner: str,
    title: str,
    tags: Sequence[str],
    published_at: str,
    duration_s: float = 8.0,
    status: VideoStatus = VideoStatus.PUBLISHED,
    **fields: Any,
) -> Any:
    """The unsaved `VideoRecord` (`tables`: the bound PynamoDB tables, `Repositories.tables`)."""
    return tables.videos(
        video_id=video_id,
        owner=owner,
        status=status.value,
        title=title,
        tags=list(tags),
        created_at=published_at,
        updated_at=published_at,
        published_at=published_at,
        published_bucket=published_bucket(video_id),
        playback={
            "master_key": f"renditions/{video_id}/master.m3u8",
            "poster_key": f"renditions/{video_id}/poster.jpg",
            "duration_s": duration_s,
            "renditions": [],
        },
        **fields,
    )
