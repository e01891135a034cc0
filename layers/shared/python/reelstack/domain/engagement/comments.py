"""Comments as data (pure): what a comment request may say, one level of replies, who may delete one,
who may see one, and how comments are keyed and ordered.

- Text: the shared text rules (`domain.text.clean_text`: NFC, no control or invisible formatting
  characters, newlines allowed), 1 to `MAX_COMMENT_CHARS` characters, stored as given (never rendered
  as HTML by us: clients escape it).
- Replies: `reply_to` names a top-level comment of the same video; a reply to a reply is refused, so a
  thread is one level deep.
- Deleting: the comment's author, or the author of the video it is on.
- Visibility: a new comment is `PENDING` until the text moderation step has read it, and a flagged one
  `HELD` until a reviewer approves it: both are seen only by their author. Deleted or rejected comments
  are gone.
- Ids are time-ordered (milliseconds, then 40 random bits, in hex): newest sorts last.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reelstack.domain.request_input import text_body_cap
from reelstack.domain.text import clean_text
from reelstack.errors import Forbidden, InvalidRequest

MAX_COMMENT_CHARS = 500
COMMENTS = "comments"  # the video's counter of visible comments
_ID_CHARS = 64
# The longest comment body: the text at its longest, every character an escaped surrogate pair, and an id.
COMMENT_BODY_CAP = text_body_cap(MAX_COMMENT_CHARS + _ID_CHARS)
_ID = re.compile(rf"^[A-Za-z0-9_-]{{1,{_ID_CHARS}}}$")


class CommentStatus(StrEnum):
    PENDING = "pending"  # not yet read by the text moderation: its author sees it
    VISIBLE = "visible"
    HELD = "held"  # flagged by the text moderation: its author sees it, nobody else until approved


@dataclass(frozen=True)
class CommentRequest:
    text: str
    reply_to: str | None = None


def parse_comment(body: Any) -> CommentRequest:
    """`{text, reply_to?}` -> CommentRequest; anything else: 400 `invalid_comment` / `invalid_field`."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the body must be a JSON object {text, reply_to?}", code="invalid_comment")
    unknown = set(body) - {"text", "reply_to"}
    if unknown:
        raise InvalidRequest(f"unknown fields: {', '.join(sorted(unknown))}", code="invalid_comment")
    text = clean_text(body.get("text"), field="text", max_length=MAX_COMMENT_CHARS, multiline=True)
    reply_to = body.get("reply_to")
    if reply_to is not None and (not isinstance(reply_to, str) or not _ID.match(reply_to)):
        raise InvalidRequest("reply_to must be a comment id", code="invalid_comment")
    return CommentRequest(text, reply_to)


@dataclass(frozen=True)
class Comment:
    comment_id: str
    video_id: str
    author_id: str
    text: str
    created_at: str
    status: CommentStatus = CommentStatus.VISIBLE
    reply_to: str | None = None
    author_name: str = ""
    reply_count: int = 0
    flags: str = ""  # why the text moderation held it

    def visible_to(self, viewer: str | None) -> bool:
        return self.status is CommentStatus.VISIBLE or viewer == self.author_id

    def to_dict(self) -> dict[str, Any]:
        """The API's view of a comment (text as given: clients escape it)."""
        answer: dict[str, Any] = {
            "comment_id": self.comment_id,
            "video_id": self.video_id,
            "author_id": self.author_id,
            "author_name": self.author_name or self.author_id,
            "text": self.text,
            "created_at": self.created_at,
            "status": self.status.value,
            "reply_to": self.reply_to,
        }
        if self.reply_to is None:
            answer["reply_count"] = self.reply_count
        return answer


def is_comment_id(text: str) -> bool:
    """The shape of an id we give out (anything else is not looked up: an empty or overlong sort key
    is refused by DynamoDB itself)."""
    return bool(_ID.match(text))


def new_comment_id(now_ms: int) -> str:
    return f"{now_ms:011x}{secrets.token_hex(5)}"


def thread_of(video_id: str, parent: str | None) -> str:
    """The thread a comment is listed in: the video's top level, or its parent's replies."""
    return f"{video_id}#{parent or 'root'}"


def top_key(reply_count: int, comment_id: str) -> str:
    """The "top" order: most replies first, then newest (sorted descending)."""
    return f"{min(reply_count, 10**10 - 1):010d}#{comment_id}"


def check_reply(parent: Comment | None, video_id: str) -> None:
    """A reply's parent must be a visible top-level comment of the same video."""
    if parent is None or parent.video_id != video_id or parent.status is not CommentStatus.VISIBLE:
        raise InvalidRequest("reply_to is not a comment of this video", code="invalid_reply")
    if parent.reply_to is not None:
        raise InvalidRequest(
            "replies are one level deep: reply to the top-level comment", code="invalid_reply"
        )


def check_delete(comment: Comment, caller: str, video_author: str) -> None:
    """The comment's author or the video's author may delete it; anyone else: 403."""
    if caller not in (comment.author_id, video_author):
        raise Forbidden("only the comment's author or the video's author may delete it", code="not_allowed")
