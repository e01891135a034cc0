"""Notifications: likes, comments, replies and follows (EventBridge events) become aggregated
notifications; users list theirs.

Events (their details are validated here; a malformed one raises `invalid_notice`):
  VideoLiked     (reelstack.likes)   {video_id, author, liker, liker_name, liked_at}
  CommentPosted  (reelstack.social)  {video_id, video_author, comment_id, commenter, commenter_name,
                                      posted_at, reply_to?, parent_author?}
  UserFollowed   (reelstack.social)  {follower, follower_name, followed, followed_at}
A visible comment tells the video's author; a reply also tells the parent comment's author (once, when
both are the same person: as the reply).
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelstack.clock import parse_iso
from reelstack.domain.engagement.notifications import Notice, like_notice, notifies
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.errors import InvalidRequest
from reelstack.observability import logger

VIDEO_LIKED = "VideoLiked"
COMMENT_POSTED = "CommentPosted"
USER_FOLLOWED = "UserFollowed"
MAX_PAGE = 100


class _Detail(BaseModel):
    model_config = ConfigDict(extra="ignore")


class VideoLikedDetail(_Detail):
    """Put by the likes worker once a like is durable."""

    video_id: str = Field(min_length=1)
    author: str = Field(min_length=1)
    liker: str = Field(min_length=1)
    liker_name: str = ""
    liked_at: str = Field(min_length=1)


class CommentPostedDetail(_Detail):
    """Put when a comment becomes visible (passed the text moderation, or approved by a reviewer)."""

    video_id: str = Field(min_length=1)
    video_author: str = Field(min_length=1)
    comment_id: str = Field(min_length=1)
    commenter: str = Field(min_length=1)
    commenter_name: str = ""
    posted_at: str = Field(min_length=1)
    reply_to: str | None = None
    parent_author: str | None = None


class UserFollowedDetail(_Detail):
    """Put by the API when a follow is new."""

    follower: str = Field(min_length=1)
    follower_name: str = ""
    followed: str = Field(min_length=1)
    followed_at: str = Field(min_length=1)


class Store(Protocol):
    def add(self, notice: Notice) -> None: ...
    def newest(self, recipient: str, limit: int, cursor: str | None) -> tuple[list[Any], str | None]: ...


def notices_of(detail_type: str, detail: Any) -> list[Notice]:
    """The notices one event makes (before dropping the ones that tell people about themselves)."""
    try:
        if detail_type == VIDEO_LIKED:
            liked = VideoLikedDetail.model_validate(detail)
            at = parse_iso(liked.liked_at)
            return [like_notice(liked.video_id, liked.author, liked.liker, liked.liker_name, at)]
        if detail_type == USER_FOLLOWED:
            followed = UserFollowedDetail.model_validate(detail)
            at = parse_iso(followed.followed_at)
            return [Notice("follow", followed.followed, followed.follower, followed.follower_name, at)]
        if detail_type == COMMENT_POSTED:
            posted = CommentPostedDetail.model_validate(detail)
            at = parse_iso(posted.posted_at)
            who = (posted.commenter, posted.commenter_name)
            notices = []
            if posted.reply_to and posted.parent_author:
                notices.append(
                    Notice("reply", posted.parent_author, *who, at, posted.video_id, posted.reply_to)
                )
            if posted.video_author != posted.parent_author:
                notices.append(
                    Notice("comment", posted.video_author, *who, at, posted.video_id, posted.video_id)
                )
            return notices
    except (ValidationError, ValueError) as exc:
        raise InvalidRequest(f"not a {detail_type} detail: {exc}", code="invalid_notice") from None
    raise InvalidRequest(f"no notifications for {detail_type!r} events", code="invalid_notice")


class NotificationService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def on_event(self, detail_type: str, detail: Any) -> int:
        """Fold one event into its recipients' notifications; how many were told (0: nobody to tell)."""
        told = 0
        for notice in notices_of(detail_type, detail):
            if not notifies(notice):
                logger.info("own action: no notification", extra={"kind": notice.kind})
                continue
            self.store.add(notice)
            told += 1
        return told

    def newest(self, principal: Principal, limit_text: str | None, cursor: str | None) -> dict[str, Any]:
        limit = parse_limit(limit_text, default=20, maximum=MAX_PAGE)
        items, next_cursor = self.store.newest(principal.user_id, limit, cursor)
        return {"items": [item.to_dict() for item in items], "cursor": next_cursor}
