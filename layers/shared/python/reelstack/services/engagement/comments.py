"""Comments: posted through the API, read by the text moderation step, shown, held, reviewed, deleted.

The path of a comment:
  POST  -> stored PENDING (its author sees it at once) and queued for the text moderation step
  step  -> clean: VISIBLE and counted, `CommentPosted` (the video's author, the parent's author on a
           reply, and the interaction log); flagged: HELD in the reviewers' queue, still seen only by
           its author
  review-> approve: VISIBLE as above; reject: deleted
  DELETE-> by the comment's author or the video's author: gone from every list and count (a top-level
           comment takes its replies with it)
Every step is conditional on the status it read, so retries and redeliveries change nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.comments import (
    Comment,
    CommentStatus,
    check_delete,
    check_reply,
    is_comment_id,
    new_comment_id,
    parse_comment,
)
from reelstack.domain.engagement.rate_limits import COMMENT_ROUTE, Limiter
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import Conflict, DependencyFailed, Forbidden, InvalidRequest, NotFound, ReelstackError
from reelstack.observability import logger

MAX_PAGE = 100
COMMENT_POSTED = "CommentPosted"
ORDERS = ("newest", "top")
_REMOVE_ATTEMPTS = 5


class Store(Protocol):
    def add(self, comment: Comment) -> bool: ...
    def get(self, video_id: str, comment_id: str) -> Comment | None: ...
    def publish(self, comment: Comment) -> bool: ...
    def hold(self, comment: Comment, flags: str, at: str) -> bool: ...
    def remove(self, comment: Comment) -> bool: ...
    def replies(self, comment: Comment) -> list[Comment]: ...
    def thread(
        self, video_id: str, parent: str | None, viewer: str, *, top: bool, limit: int, cursor: str | None
    ) -> tuple[list[Comment], str | None]: ...
    def held_queue(self, limit: int, cursor: str | None) -> tuple[list[Comment], str | None]: ...


class Sender(Protocol):
    def send(self, message: dict[str, Any]) -> str: ...


class Publisher(Protocol):
    def publish(
        self, detail_type: str, detail: dict[str, Any], resources: list[str] | None = None
    ) -> None: ...


class TextModerator(Protocol):
    def flags(self, text: str) -> Sequence[str]:
        """Why the text should wait for a reviewer ([] when it need not)."""
        ...


VideoLookup = Callable[[str], Video | None]


def _published(videos: VideoLookup, video_id: str) -> Video:
    video = videos(video_id)
    if video is None or video.status != VideoStatus.PUBLISHED:
        raise NotFound(f"no published video {video_id}", code="video_not_found")
    return video


class CommentService:
    """The API's side: post, list, delete."""

    def __init__(
        self,
        store: Store,
        queue: Sender,
        videos: VideoLookup,
        *,
        limiter: Limiter | None = None,
        names: Callable[[Principal], str] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.names = names  # the commenter's display name (their username without it)
        self.store = store
        self.queue = queue
        self.videos = videos
        self.limiter = limiter
        self.clock = clock

    def post(self, principal: Principal, video_id: str, body: Any) -> dict[str, Any]:
        if self.limiter is not None:
            self.limiter.enforce(principal.user_id, COMMENT_ROUTE)
        request = parse_comment(body)
        _published(self.videos, video_id)
        if request.reply_to is not None:
            check_reply(self._seen_by(principal, video_id, request.reply_to, missing_ok=True), video_id)
        now = self.clock()
        comment = Comment(
            comment_id=new_comment_id(int(now.timestamp() * 1000)),
            video_id=video_id,
            author_id=principal.user_id,
            text=request.text,
            created_at=iso(now),
            status=CommentStatus.PENDING,
            reply_to=request.reply_to,
            author_name=self.names(principal) if self.names is not None else principal.username,
        )
        if not self.store.add(comment):
            raise Conflict("that comment id is taken: post again", code="comment_conflict")
        try:
            self.queue.send({"video_id": video_id, "comment_id": comment.comment_id})
        except Exception:
            # Unqueued, it would stay pending for ever: take it back, and the caller posts again.
            self.store.remove(comment)
            raise
        return comment.to_dict()

    def _seen_by(
        self, principal: Principal | None, video_id: str, comment_id: str, *, missing_ok: bool = False
    ) -> Comment | None:
        comment = self.store.get(video_id, comment_id) if is_comment_id(comment_id) else None
        viewer = principal.user_id if principal is not None else None
        if comment is None or not comment.visible_to(viewer):
            if missing_ok:
                return None
            raise NotFound(f"no comment {comment_id} on video {video_id}", code="comment_not_found")
        return comment

    def list(
        self,
        principal: Principal,
        video_id: str,
        *,
        order: str | None,
        reply_to: str | None,
        limit_text: str | None,
        cursor: str | None,
    ) -> dict[str, Any]:
        """`{items, cursor}`: top-level comments newest (or `order=top`: most replied) first, or with
        `reply_to` a comment's replies oldest first; the caller's own pending and held ones included."""
        order = order or "newest"
        reply_to = reply_to or None  # `?reply_to=` (empty): the top level, as when absent
        if order not in ORDERS:
            raise InvalidRequest(f"order must be one of {', '.join(ORDERS)}", code="invalid_order")
        limit = parse_limit(limit_text, default=20, maximum=MAX_PAGE)
        _published(self.videos, video_id)
        if reply_to is not None:
            self._seen_by(principal, video_id, reply_to)
        comments, next_cursor = self.store.thread(
            video_id,
            reply_to,
            principal.user_id,
            top=order == "top" and reply_to is None,
            limit=limit,
            cursor=cursor,
        )
        return {"items": [comment.to_dict() for comment in comments], "cursor": next_cursor}

    def delete(self, principal: Principal, video_id: str, comment_id: str) -> dict[str, Any]:
        """By the comment's author or the video's author (403 for anyone else); replies go with a
        top-level comment. Deleting what is already gone is a 404."""
        comment = self._seen_by(principal, video_id, comment_id)
        assert comment is not None
        video = self.videos(video_id)
        check_delete(comment, principal.user_id, video.owner if video is not None else "")
        if comment.reply_to is None:
            for reply in self.store.replies(comment):
                remove_fresh(self.store, reply)
        if not remove_fresh(self.store, comment):
            raise NotFound(f"no comment {comment_id} on video {video_id}", code="comment_not_found")
        return {"video_id": video_id, "comment_id": comment_id, "deleted": True}


def remove_fresh(store: Store, comment: Comment) -> bool:
    """Delete a comment whatever status it moved to meanwhile; False when it was gone already."""
    current: Comment | None = comment
    for _ in range(_REMOVE_ATTEMPTS):
        if current is None:
            return False
        if store.remove(current):
            return True
        current = store.get(comment.video_id, comment.comment_id)
    raise DependencyFailed(f"deleting comment {comment.comment_id} kept racing")


class CommentAnnouncer:
    """`CommentPosted` (source `reelstack.social`) for a comment that became visible."""

    def __init__(self, store: Store, events: Publisher, videos: VideoLookup) -> None:
        self.store = store
        self.events = events
        self.videos = videos

    def announce(self, comment: Comment) -> bool:
        video = self.videos(comment.video_id)
        if video is None:
            logger.warning("commented video is gone: no CommentPosted", extra={"video_id": comment.video_id})
            return False
        parent = self.store.get(comment.video_id, comment.reply_to) if comment.reply_to else None
        detail = {
            "video_id": comment.video_id,
            "video_author": video.owner,
            "comment_id": comment.comment_id,
            "commenter": comment.author_id,
            "commenter_name": comment.author_name,
            "posted_at": comment.created_at,
            "reply_to": comment.reply_to,
            "parent_author": parent.author_id if parent is not None else None,
            # What the interaction log takes as it is (its rule's InputPath is $.detail.interaction).
            "interaction": {
                "event_id": f"comment:{comment.video_id}:{comment.comment_id}",
                "kind": "comment",
                "user_id": comment.author_id,
                "video_id": comment.video_id,
                "occurred_at": comment.created_at,
            },
        }
        self.events.publish(COMMENT_POSTED, detail, resources=[])
        return True


def _message(body: Any) -> tuple[str, str]:
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            body = None
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and body[k] for k in ("video_id", "comment_id")
    ):
        raise InvalidRequest("a comment message is {video_id, comment_id}", code="invalid_comment_message")
    return body["video_id"], body["comment_id"]


class CommentModeration:
    """The comments queue's consumer: the text moderation step, one message at a time."""

    def __init__(
        self,
        store: Store,
        moderator: TextModerator,
        announcer: CommentAnnouncer,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.moderator = moderator
        self.announcer = announcer
        self.clock = clock

    def handle(self, body: Any, redelivered: bool = False) -> str:
        """What became of the comment: visible, held, gone, or done (read before: a redelivery)."""
        video_id, comment_id = _message(body)
        comment = self.store.get(video_id, comment_id)
        if comment is None:
            return "gone"
        if comment.status is not CommentStatus.PENDING:
            # A redelivery after the step moved it: the announcement may be what failed, so say it again
            # (the notifications and the log are idempotent).
            if redelivered and comment.status is CommentStatus.VISIBLE:
                self.announcer.announce(comment)
            return "done"
        flags = list(self.moderator.flags(comment.text))
        if flags:
            self.store.hold(comment, ",".join(flags), iso(self.clock()))
            logger.info("comment held for review", extra={"video_id": video_id, "flags": flags})
            return "held"
        if self.store.publish(comment):
            self.announcer.announce(comment)
            return "visible"
        return "gone"


class CommentReview:
    """The reviewers' side: the queue of held comments, approve or reject."""

    def __init__(self, store: Store, announcer: CommentAnnouncer, reviewer_group: str) -> None:
        self.store = store
        self.announcer = announcer
        self.reviewer_group = reviewer_group

    def _require_reviewer(self, principal: Principal) -> None:
        if not principal.has_role(self.reviewer_group):
            raise Forbidden("only reviewers may see or decide held comments", code="not_a_reviewer")

    def queue(self, principal: Principal, limit_text: str | None, cursor: str | None) -> dict[str, Any]:
        self._require_reviewer(principal)
        limit = parse_limit(limit_text, default=20, maximum=MAX_PAGE)
        comments, next_cursor = self.store.held_queue(limit, cursor)
        items = [
            {**comment.to_dict(), "flags": comment.flags.split(",") if comment.flags else []}
            for comment in comments
        ]
        return {"items": items, "cursor": next_cursor}

    def decide(self, principal: Principal, video_id: str, comment_id: str, body: Any) -> dict[str, Any]:
        self._require_reviewer(principal)
        decision = body.get("decision") if isinstance(body, dict) else None
        if decision not in ("approve", "reject") or set(body) - {"decision"}:
            raise InvalidRequest("the body must be {decision: approve | reject}", code="invalid_decision")
        comment = self.store.get(video_id, comment_id) if is_comment_id(comment_id) else None
        if comment is None or comment.status is not CommentStatus.HELD:
            raise NotFound(f"no held comment {comment_id} on video {video_id}", code="comment_not_found")
        if decision == "approve":
            if not self.store.publish(comment):
                raise Conflict("the comment changed meanwhile: reload the queue", code="comment_changed")
            try:
                self.announcer.announce(comment)
            except ReelstackError as error:  # approved all the same: it shows, unannounced
                logger.error(
                    "CommentPosted not published", extra={"comment_id": comment_id, "error": str(error)}
                )
            status = CommentStatus.VISIBLE.value
        else:
            if not self.store.remove(comment):
                raise Conflict("the comment changed meanwhile: reload the queue", code="comment_changed")
            status = "rejected"
        return {"video_id": video_id, "comment_id": comment_id, "status": status}
