"""Shares: a link per (user, video, channel) that opens a published video without signing in.

`POST /videos/{id}/share {channel}` -> `{url, token, channel, share_count}` (a new share counts once;
the same share again gives the same link). `GET /s/{token}` (public) -> the video's public view while
it is published; a token for a video that is not (any more), or one we never gave out, is the same 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from reelstack.adapters.engagement.share_store import ShareLink
from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.rate_limits import SHARE_ROUTE, Limiter
from reelstack.domain.engagement.shares import SHARES, is_share_token, new_share_token, parse_share, share_url
from reelstack.domain.identity import Principal
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import NotFound, ReelstackError
from reelstack.observability import logger

VIDEO_SHARED = "VideoShared"


class Store(Protocol):
    def share(self, video_id: str, sharer: str, channel: str, token: str, at: str) -> ShareLink: ...
    def resolve(self, token: str) -> ShareLink | None: ...


class Counters(Protocol):
    def of_video(self, video_id: str) -> dict[str, int]: ...


class Publisher(Protocol):
    def publish(
        self, detail_type: str, detail: dict[str, Any], resources: list[str] | None = None
    ) -> None: ...


class ShareService:
    def __init__(
        self,
        store: Store,
        counters: Counters,
        videos: Callable[[str], Video | None],
        public_view: Callable[[Video], dict[str, Any]],
        base_url: Callable[[], str],
        events: Publisher,
        *,
        limiter: Limiter | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.counters = counters
        self.videos = videos
        self.public_view = public_view
        self.base_url = base_url
        self.events = events
        self.limiter = limiter
        self.clock = clock

    def _published(self, video_id: str) -> Video:
        video = self.videos(video_id)
        if video is None or video.status != VideoStatus.PUBLISHED:
            raise NotFound(f"no published video {video_id}", code="video_not_found")
        return video

    def share(self, principal: Principal, video_id: str, body: Any) -> dict[str, Any]:
        if self.limiter is not None:
            self.limiter.enforce(principal.user_id, SHARE_ROUTE)
        channel = parse_share(body)
        self._published(video_id)
        link = self.store.share(video_id, principal.user_id, channel, new_share_token(), iso(self.clock()))
        if link.new:
            self._announce(link)
        count = self.counters.of_video(video_id).get(SHARES, 0)
        return {
            "video_id": video_id,
            "channel": link.channel,
            "token": link.token,
            "url": share_url(self.base_url(), link.token),
            "share_count": count,
        }

    def _announce(self, link: ShareLink) -> None:
        """`VideoShared` for the interaction log (best effort: the share stands)."""
        detail = {
            "video_id": link.video_id,
            "sharer": link.sharer,
            "channel": link.channel,
            "shared_at": link.created_at,
            "interaction": {
                "event_id": f"share:{link.video_id}:{link.sharer}:{link.channel}",
                "kind": "share",
                "user_id": link.sharer,
                "video_id": link.video_id,
                "occurred_at": link.created_at,
            },
        }
        try:
            self.events.publish(VIDEO_SHARED, detail, resources=[])
        except ReelstackError as error:
            logger.error("VideoShared not published", extra={"video_id": link.video_id, "error": str(error)})

    def open(self, token: str) -> dict[str, Any]:
        """What a share link shows, to anyone: the published video's public view."""
        link = self.store.resolve(token) if is_share_token(token) else None
        video = self.videos(link.video_id) if link is not None else None
        if link is None or video is None or video.status != VideoStatus.PUBLISHED:
            raise NotFound("this link opens nothing (any more)", code="share_not_found")
        return {**self.public_view(video), "shared_via": link.channel}
