"""The videos' facts the interaction log records (author, tags, length, publication, codec tier),
read from the videos table for a whole batch at once."""

from __future__ import annotations

from collections.abc import Iterable

from reelstack.adapters.repositories import Repositories
from reelstack.domain.engagement.interactions import VideoFacts, facts_of


class StoredVideoFacts:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories

    def facts(self, video_ids: Iterable[str]) -> dict[str, VideoFacts]:
        """Facts of the videos that exist (a deleted one is simply absent)."""
        found = self.repositories.get_videos(video_ids)
        return {
            video_id: facts_of(
                video.owner,
                video.tags,
                video.playback.duration_s if video.playback else (video.media or {}).get("duration_s"),
                video.published_at,
                [
                    rendition.get("codec")
                    for rendition in (video.playback.renditions if video.playback else ())
                ],
            )
            for video_id, video in found.items()
        }
