"""The ranker's features, shared by training and serving: every field hashed into its own slice of
one feature space (the hashing trick: no vocabulary to ship, an unseen value still has a slot).

An example is one viewer, one context and one candidate video. Fields (14; two are multi-valued):
user_region, user_device, user_activity (log2 bucket), user_tags (the profile's top tags, up to 8),
video_id, author_id, video_tags (up to 8), duration (bucket), codec_tier, video_age (log2 bucket of
days), video_plays (log2 bucket), hour, device, follows_author (the viewer follows the video's author:
"1" or "0"; serving sends the viewer's followings as `user.follows`). No user_id: a viewer is described by their interests,
which carry over to new viewers and to the next night's profile; an id would only memorise.

`encode` returns, per example, (FIELDS x MAX_VALUES) indices into the feature space and a mask of the
values present; a field with no value gets its field's own "missing" slot. crc32 is stable across
processes and machines (Python's hash() is salted per process).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MAX_VALUES = 8
# (name, buckets, multi-valued)
FIELDS: tuple[tuple[str, int, bool], ...] = (
    ("user_region", 64, False),
    ("user_device", 8, False),
    ("user_activity", 16, False),
    ("user_tags", 4096, True),
    ("video_id", 65536, False),
    ("author_id", 16384, False),
    ("video_tags", 4096, True),
    ("duration", 16, False),
    ("codec_tier", 8, False),
    ("video_age", 16, False),
    ("video_plays", 32, False),
    ("hour", 24, False),
    ("device", 8, False),
    ("follows_author", 4, False),
)
OFFSETS = tuple(int(value) for value in np.cumsum([0] + [buckets for _, buckets, _ in FIELDS])[:-1])
FEATURES = sum(buckets for _, buckets, _ in FIELDS)
NAMES = tuple(name for name, _, _ in FIELDS)


def log2_bucket(value: Any, buckets: int) -> str:
    if value is None:
        return ""
    number = float(value)
    if not math.isfinite(number) or number < 0:
        return ""
    return str(min(buckets - 2, int(math.log2(1.0 + number))))


def duration_bucket(duration_ms: Any) -> str:
    """Seconds in steps a short-video app cares about: <=5, <=10, <=15, <=30, <=60, <=180, longer."""
    if duration_ms is None:
        return ""
    seconds = float(duration_ms) / 1000
    for index, bound in enumerate((5, 10, 15, 30, 60, 180)):
        if seconds <= bound:
            return str(index)
    return "6"


def values_of(
    user: Mapping[str, Any], context: Mapping[str, Any], video: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The raw values of each field for one (viewer, context, candidate)."""

    def one(value: Any) -> list[str]:
        return [] if value in (None, "") else [str(value)]

    return {
        "user_region": one(user.get("region")),
        "user_device": one(user.get("device")),
        "user_activity": one(log2_bucket(user.get("activity"), 16)),
        "user_tags": [str(tag) for tag in (user.get("tags") or [])][:MAX_VALUES],
        "video_id": one(video.get("video_id")),
        "author_id": one(video.get("author_id")),
        "video_tags": [str(tag) for tag in (video.get("tags") or [])][:MAX_VALUES],
        "duration": one(duration_bucket(video.get("duration_ms"))),
        "codec_tier": one(video.get("codec_tier")),
        "video_age": one(log2_bucket(video.get("age_days"), 16)),
        "video_plays": one(log2_bucket(video.get("plays"), 32)),
        "hour": one(context.get("hour")),
        "device": one(context.get("device")),
        "follows_author": one(_follows(user, video)),
    }


def _follows(user: Mapping[str, Any], video: Mapping[str, Any]) -> str:
    """ "1" when the viewer follows the candidate's author, "0" when not, "" when unknown."""
    known = user.get("follows")
    if known is None:
        return ""
    if isinstance(known, bool):  # a training row says it directly
        return "1" if known else "0"
    return "1" if video.get("author_id") in set(known) else "0"


def slot(field: int, value: str) -> int:
    name, buckets, _ = FIELDS[field]
    return OFFSETS[field] + zlib.crc32(f"{name}={value}".encode()) % buckets


def missing_slot(field: int) -> int:
    return slot(field, "\x00missing")


def encode(rows: Sequence[dict[str, list[str]]]) -> tuple[np.ndarray, np.ndarray]:
    """-> (indices int32 [N, FIELDS, MAX_VALUES], mask float32 [N, FIELDS, MAX_VALUES])."""
    count = len(rows)
    indices = np.zeros((count, len(FIELDS), MAX_VALUES), dtype=np.int32)
    mask = np.zeros((count, len(FIELDS), MAX_VALUES), dtype=np.float32)
    for row_index, row in enumerate(rows):
        for field, name in enumerate(NAMES):
            values = row.get(name) or []
            if not values:
                indices[row_index, field, 0] = missing_slot(field)
                mask[row_index, field, 0] = 1.0
                continue
            for position, value in enumerate(values[:MAX_VALUES]):
                indices[row_index, field, position] = slot(field, value)
                mask[row_index, field, position] = 1.0
    return indices, mask


def example_values(row: Mapping[str, Any]) -> dict[str, list[str]]:
    """The values of one row of the profile job's `examples` table."""
    user = {
        "region": row.get("user_region"),
        "device": row.get("user_device"),
        "activity": row.get("user_activity"),
        "tags": row.get("user_tags") or [],
        "follows": row.get("follows_author"),
    }
    video = {
        "video_id": row.get("video_id"),
        "author_id": row.get("author_id"),
        "tags": row.get("video_tags") or [],
        "duration_ms": row.get("duration_ms"),
        "codec_tier": row.get("codec_tier"),
        "age_days": row.get("video_age_days"),
        "plays": row.get("video_plays"),
    }
    return values_of(user, {"hour": row.get("hour"), "device": row.get("device")}, video)
