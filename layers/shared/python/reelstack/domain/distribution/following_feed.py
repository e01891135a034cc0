"""The following feed as data (pure): merging the followed creators' newest videos and paging them.

Fan-out on READ. A page is built from the viewer's followings (up to `FANOUT_CAP`, most recently
followed first): each creator's newest published videos (`PER_CREATOR`), merged newest publication
first, kept to `FEED_SIZE` entries, cached per viewer for a minute (Redis) and paged from the cache.

Why read and not write fan-out: writing each new video into every follower's inbox costs one write per
follower per upload -- a creator with 5 million followers makes one upload 5 million writes (minutes of
a hot partition-spread job, ~$6 of DynamoDB writes), most for followers who never open the tab -- while
reading costs one small Query per followed creator, bounded by the cap, only when someone looks, and
amortised by the per-viewer cache. The choice flips for a viewer who follows thousands of small
creators and opens the tab constantly (reads grow with followings); the usual answer is the hybrid:
push into inboxes for ordinary creators, pull the few celebrities at read time. At our scale reading
is cheaper and simpler, and an unfollow or a deleted video needs no inbox clean-up.

Cursor: the last entry's (published_at, video_id), so a rebuilt cache between two pages neither
repeats nor skips entries that were there before.
"""

from __future__ import annotations

import base64
import heapq
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reelstack.errors import InvalidRequest

FANOUT_CAP = 2000  # followings read per build
PER_CREATOR = 10  # newest videos read per followed creator
FEED_SIZE = 300  # entries kept per viewer


@dataclass(frozen=True, order=True)
class FeedEntry:
    published_at: str
    video_id: str
    author_id: str = ""


def merge_newest(per_creator: Iterable[Sequence[FeedEntry]], size: int = FEED_SIZE) -> list[FeedEntry]:
    """Every creator's entries, newest publication first (ties by id), at most `size`."""
    entries = {entry.video_id: entry for entries in per_creator for entry in entries}
    return heapq.nlargest(size, entries.values(), key=lambda entry: (entry.published_at, entry.video_id))


def after(entries: Sequence[FeedEntry], cursor: tuple[str, str] | None) -> list[FeedEntry]:
    """The entries that come after the cursor's position (all of them without one)."""
    if cursor is None:
        return list(entries)
    return [entry for entry in entries if (entry.published_at, entry.video_id) < cursor]


def encode_position(entry: FeedEntry) -> str:
    raw = json.dumps([entry.published_at, entry.video_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_position(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        value = None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise InvalidRequest("the cursor is not one this API gave out", code="invalid_cursor")
    return value[0], value[1]
