"""Author notifications, aggregated: "alice and 12 others liked your video".

Likes of one video within one window (an hour by default) become ONE notification for its author,
keyed by (author, video, window). Each like adds its liker to the notification's set of likers, so a
like delivered twice counts once, and the text names the most recent likers. Liking your own video
notifies nobody. An unlike does not withdraw a notification (as users expect: it was true when sent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from reelstack.errors import InvalidRequest

DEFAULT_WINDOW_S = 3600
SHOWN_NAMES = 2  # names shown before "and N others"


@dataclass(frozen=True)
class LikeNotice:
    """What the notifications consumer receives for a durable like."""

    video_id: str
    author: str  # the video's owner: the recipient
    liker: str  # user id
    liker_name: str
    liked_at: datetime

    def __post_init__(self) -> None:
        if not (self.video_id and self.author and self.liker):
            raise InvalidRequest("a like notice needs video_id, author and liker", code="invalid_like_notice")


def notifies(notice: LikeNotice) -> bool:
    """Liking your own video is not news to you."""
    return notice.liker != notice.author


def window_of(moment: datetime, window_s: int = DEFAULT_WINDOW_S) -> int:
    """The aggregation window a moment falls in (whole windows since the epoch)."""
    return math.floor(moment.timestamp() / window_s)


def notification_key(notice: LikeNotice, window_s: int = DEFAULT_WINDOW_S) -> str:
    """One notification per video and window, for its author."""
    return f"like#{notice.video_id}#{window_of(notice.liked_at, window_s)}"


def like_text(recent_names: list[str], total: int) -> str:
    """`recent_names` newest first (distinct), `total` distinct likers in the window."""
    names = recent_names[:SHOWN_NAMES] or ["someone"]
    others = max(0, total - len(names))
    if others == 0:
        shown = " and ".join(names)
    else:
        shown = f"{', '.join(names)} and {others} other{'s' if others != 1 else ''}"
    return f"{shown} liked your video"
