"""Author notifications: `VideoLiked` events become aggregated notifications; authors list theirs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelstack.adapters.engagement.notification_store import NotificationStore
from reelstack.domain.engagement.notifications import LikeNotice, notifies
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.errors import InvalidRequest
from reelstack.observability import logger

VIDEO_LIKED = "VideoLiked"
MAX_PAGE = 100


class VideoLikedDetail(BaseModel):
    """The detail of a `VideoLiked` event (put by the likes worker once a like is durable)."""

    model_config = ConfigDict(extra="ignore")

    video_id: str = Field(min_length=1)
    author: str = Field(min_length=1)
    liker: str = Field(min_length=1)
    liker_name: str = ""
    liked_at: str = Field(min_length=1)


class NotificationService:
    def __init__(self, store: NotificationStore) -> None:
        self.store = store

    def on_video_liked(self, detail: Any) -> bool:
        """Fold one durable like into its author's notification; False when it notifies nobody."""
        from reelstack.clock import parse_iso

        try:
            liked = VideoLikedDetail.model_validate(detail)
            notice = LikeNotice(
                video_id=liked.video_id,
                author=liked.author,
                liker=liked.liker,
                liker_name=liked.liker_name or liked.liker,
                liked_at=parse_iso(liked.liked_at),
            )
        except (ValidationError, ValueError) as exc:
            raise InvalidRequest(f"not a VideoLiked detail: {exc}", code="invalid_like_notice") from None
        if not notifies(notice):
            logger.info("own like: no notification", extra={"video_id": notice.video_id})
            return False
        self.store.add_like(notice)
        return True

    def newest(self, principal: Principal, limit_text: str | None, cursor: str | None) -> dict[str, Any]:
        limit = parse_limit(limit_text, default=20, maximum=MAX_PAGE)
        items, next_cursor = self.store.newest(principal.user_id, limit, cursor)
        return {"items": [item.to_dict() for item in items], "cursor": next_cursor}
