"""Reading videos: owners see theirs at every stage; everyone sees published ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from reelstack.adapters.engagement.play_daily_stats import DayStats
from reelstack.adapters.media_signer import MediaSigner, held_preview
from reelstack.adapters.media_urls import MediaUrls
from reelstack.adapters.repositories import Repositories
from reelstack.domain.engagement.comments import COMMENTS
from reelstack.domain.engagement.shares import SHARES
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import InvalidRequest, NotFound

MAX_PAGE = 100
OWNER_ONLY = ("moderation", "timeline", "failure", "upload_id", "execution_arn")


class LikeReader(Protocol):
    """The durable likes (the likes store): a count and one user's like, each one cheap read."""

    def count(self, video_id: str) -> int: ...
    def liked(self, video_id: str, user_id: str) -> bool: ...


class PlayTotals(Protocol):
    """The durable daily play stats: a video's plays over every day (one Query)."""

    def total(self, video_id: str) -> DayStats: ...


class SocialCounts(Protocol):
    """The social counters (`SocialCounters`): every counter of a subject in one Query."""

    def of_video(self, video_id: str) -> dict[str, int]: ...


class VideoService:
    def __init__(
        self,
        repos: Repositories,
        urls: MediaUrls,
        likes: LikeReader | None = None,
        plays: PlayTotals | None = None,
        social: Callable[[], SocialCounts] | None = None,
        previews: MediaSigner | None = None,
    ) -> None:
        self.repos = repos
        self.urls = urls
        self.likes = likes
        self.plays = plays
        self.social = social
        self.previews = previews

    def public(self, video: Video) -> dict[str, Any]:
        """What anyone may see of a video (a share link's view, the following feed's items)."""
        body = video.to_public_dict(self.urls.public)
        for private in OWNER_ONLY:
            body.pop(private, None)
        return body

    def _view(self, principal: Principal, video: Video) -> dict[str, Any]:
        body = video.to_public_dict(self.urls.public)
        if principal.user_id == video.owner:
            body["upload_id"] = video.upload_id
            body["execution_arn"] = video.execution_arn
            if video.status == VideoStatus.IN_REVIEW and self.previews is not None:
                # Held: its renditions are not public; the owner may watch them through a signed link.
                body["preview"] = held_preview(self.previews, video.video_id)
            if "review" in body.get("moderation", {}):
                body["moderation"]["review"].pop("reviewer", None)  # who reviewed stays internal
        else:
            # The workings (verdict, reviewer's notes, timeline, failures) are the owner's to see.
            for private in OWNER_ONLY:
                body.pop(private, None)
        return body

    def get(self, principal: Principal, video_id: str) -> dict[str, Any]:
        video = self.repos.get_video(video_id)
        if video is None or not video.readable_by(principal):
            # Unpublished videos of others answer like missing ones: their existence is not disclosed.
            raise NotFound(f"no video {video_id}", code="video_not_found")
        body = self._view(principal, video)
        if self.likes is not None:
            # From DynamoDB (a Query of the counter shards and a GetItem): may trail a like still queued.
            body["like_count"] = self.likes.count(video_id)
            body["liked_by_me"] = self.likes.liked(video_id, principal.user_id)
        if self.plays is not None:
            # Counted plays once aggregated (the plays queue's batches): trails the beacons by seconds.
            body["play_count"] = self.plays.total(video_id).plays
        if self.social is not None:
            # Visible comments and distinct shares, moved in the transactions that make them.
            counts = self.social().of_video(video_id)
            body["comment_count"] = counts.get(COMMENTS, 0)
            body["share_count"] = counts.get(SHARES, 0)
        return body

    def list_by_author(
        self, principal: Principal, author: str | None, limit_text: str | None, cursor: str | None
    ) -> dict[str, Any]:
        """`?author=me` (or the caller's own id): the caller's videos at every stage, newest first."""
        if author not in ("me", principal.user_id):
            raise InvalidRequest("only author=me is supported", code="invalid_author")
        limit = parse_limit(limit_text, default=20, maximum=MAX_PAGE)
        page = self.repos.videos_of(principal.user_id, limit, cursor)
        return {"items": [self._view(principal, video) for video in page.videos], "cursor": page.cursor}
