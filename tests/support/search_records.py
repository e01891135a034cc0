"""Video records written straight into the local cloud's videos table, and the search indexer and
reindexer built in-process over that table and a given search node (the product's own adapters)."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, new_id, utc_now
from reelstack.domain.videos import VideoStatus
from reelstack.settings import SearchIndexerSettings
from reelstack_tools.published_records import published_record


def indexer_settings(local_cloud: Any, search_url: str) -> SearchIndexerSettings:
    """The indexer's settings over the cloud's tables and the node at `search_url`."""
    return SearchIndexerSettings(
        search_endpoint=search_url,
        reelstack_local=True,
        search_timeout_seconds=30,
        uploads_table=local_cloud.name("UploadsTable"),
        videos_table=local_cloud.name("VideosTable"),
        likes_table=local_cloud.name("LikesTable"),
        like_counters_table=local_cloud.name("LikeCountersTable"),
        play_daily_stats_table=local_cloud.name("PlayDailyStatsTable"),
        aws_region=local_cloud.region,
    )


def put_published(
    repos: Repositories,
    title: str,
    owner: str = "indexer-test",
    status: VideoStatus = VideoStatus.PUBLISHED,
    **fields: Any,
) -> str:
    """A PUBLISHED record with its playback (as Publish writes it), or the same in another `status`
    (a held or still processing video); its video id."""
    video_id = new_id()
    now = iso(utc_now())
    published_record(
        repos.tables, video_id, owner=owner, title=title, tags=["search", "indexer"], published_at=now,
        duration_s=3.0, status=status, **fields,
    ).save()  # fmt: skip
    return video_id


def set_title(repos: Repositories, video_id: str, title: str) -> None:
    assert repos.update_video(video_id, [VideoStatus.PUBLISHED], iso(utc_now()), title=title)


def reject(repos: Repositories, video_id: str) -> None:
    assert repos.transition_video(video_id, [VideoStatus.PUBLISHED], VideoStatus.REJECTED, iso(utc_now()))


def document(client: OpenSearch, video_id: str, index: str = "videos") -> dict[str, Any] | None:
    """The stored document with its version (`_version`), or None."""
    try:
        answer = client.get(index=index, id=video_id)
    except NotFoundError:
        return None
    return {**answer["_source"], "_version": answer["_version"]}
