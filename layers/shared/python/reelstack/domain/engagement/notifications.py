"""Notifications, aggregated: "alice and 12 others liked your video", "bob started following you".

Actions of one kind on one subject within one window (an hour by default) become ONE notification for
their recipient, keyed by (recipient, kind, subject, window):

  kind     recipient              subject            text
  like     the video's author     the video          "... liked your video"
  comment  the video's author     the video          "... commented on your video"
  reply    the parent's author    the parent comment "... replied to your comment"
  follow   the followed user      (none)             "... started following you"

Each action adds its actor to the notification's set of actors, so an action delivered twice counts
once, and the text names the most recent actors. Acting on your own video or comment notifies nobody.
An undo (unlike, unfollow, a deleted comment) does not withdraw a notification: it was true when sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from reelstack.errors import InvalidRequest

DEFAULT_WINDOW_S = 3600
SHOWN_NAMES = 2  # names shown before "and N others"
KINDS = ("like", "comment", "reply", "follow")
_VERBS = {
    "like": "liked your video",
    "comment": "commented on your video",
    "reply": "replied to your comment",
    "follow": "started following you",
}


@dataclass(frozen=True)
class Notice:
    """One action someone should hear about (what the notifications consumer receives)."""

    kind: str
    recipient: str  # the user told
    actor: str  # user id
    actor_name: str
    at: datetime
    video_id: str = ""  # the video it is about ("" for a follow)
    subject: str = ""  # what it aggregates on: the video, the parent comment, "" for a follow

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidRequest(f"a notice's kind is one of {', '.join(KINDS)}", code="invalid_notice")
        if not (self.recipient and self.actor):
            raise InvalidRequest("a notice needs a recipient and an actor", code="invalid_notice")
        if self.kind != "follow" and not (self.video_id and self.subject):
            raise InvalidRequest(f"a {self.kind} notice needs its video", code="invalid_notice")


def like_notice(video_id: str, author: str, liker: str, liker_name: str, liked_at: datetime) -> Notice:
    return Notice("like", author, liker, liker_name, liked_at, video_id=video_id, subject=video_id)


def notifies(notice: Notice) -> bool:
    """Acting on your own video, comment or profile is not news to you."""
    return notice.actor != notice.recipient


def window_of(moment: datetime, window_s: int = DEFAULT_WINDOW_S) -> int:
    """The aggregation window a moment falls in (whole windows since the epoch)."""
    return math.floor(moment.timestamp() / window_s)


def notification_key(notice: Notice, window_s: int = DEFAULT_WINDOW_S) -> str:
    """One notification per kind, subject and window, for its recipient ("like#<video>#<window>")."""
    return f"{notice.kind}#{notice.subject}#{window_of(notice.at, window_s)}"


def notice_text(kind: str, recent_names: list[str], total: int) -> str:
    """`recent_names` newest first (distinct), `total` distinct actors in the window."""
    names = recent_names[:SHOWN_NAMES] or ["someone"]
    others = max(0, total - len(names))
    if others == 0:
        shown = " and ".join(names)
    else:
        shown = f"{', '.join(names)} and {others} other{'s' if others != 1 else ''}"
    return f"{shown} {_VERBS.get(kind, 'did something')}"
