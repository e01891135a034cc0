"""Likes: the change message the likes queue carries, the state it converges to, and the API's answer.

A `LikeChange` is one user's intent ("video V: liked" or "not liked") stamped with a `version`. The
version is a hybrid logical clock in microseconds issued by Redis (`max(last + 1, redis TIME)` per
video, in the like script), or by the API's own clock when Redis is down. Versions of one
(video, user) grow with the user's actions, so whoever applies changes keeps, per (video, user), the
newest version it has seen and ignores anything older: messages may arrive twice and in any order
and still leave the state of the newest action.

Pure: no SDK, no clock (callers pass `at` and `version`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reelstack.errors import DependencyFailed, InvalidRequest

MESSAGE_KIND = "like_change"
MAX_ID_LENGTH = 128
INVALID_MESSAGE = "invalid_like_message"


class CacheUnavailable(DependencyFailed):
    """The like cache (Redis) cannot be reached: the service answers from DynamoDB instead."""

    code = "cache_unavailable"


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message, code=INVALID_MESSAGE)


def _identifier(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise _bad(f"`{name}` must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    if any(ch in value for ch in "{}") or not value.isprintable():
        raise _bad(f"`{name}` holds characters ids never hold")
    return value


@dataclass(frozen=True)
class LikeChange:
    """One like or unlike, as queued for the durable write."""

    video_id: str
    user_id: str
    liked: bool
    version: int  # per-video hybrid logical clock, microseconds; newer actions have larger versions
    at: str  # ISO-8601 UTC time of the action

    def __post_init__(self) -> None:
        _identifier({"video_id": self.video_id}, "video_id")
        _identifier({"user_id": self.user_id}, "user_id")
        if not isinstance(self.liked, bool):
            raise _bad("`liked` must be a boolean")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version <= 0:
            raise _bad("`version` must be a positive integer")
        if not isinstance(self.at, str) or not self.at:
            raise _bad("`at` must be an ISO-8601 time")
        try:
            datetime.fromisoformat(self.at.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(f"`at` is not an ISO-8601 time: {self.at!r}") from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": MESSAGE_KIND,
            "video_id": self.video_id,
            "user_id": self.user_id,
            "liked": self.liked,
            "version": self.version,
            "at": self.at,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> LikeChange:
        """A change from a queued message body (already parsed); `invalid_like_message` when malformed."""
        if not isinstance(data, Mapping):
            raise _bad("a like message is a JSON object")
        if data.get("kind", MESSAGE_KIND) != MESSAGE_KIND:
            raise _bad(f"not a like message: kind {data.get('kind')!r}")
        version = data.get("version")
        if isinstance(version, str) and version.isdigit():
            version = int(version)
        return cls(
            video_id=_identifier(data, "video_id"),
            user_id=_identifier(data, "user_id"),
            liked=data.get("liked"),  # type: ignore[arg-type]  # validated in __post_init__
            version=version,  # type: ignore[arg-type]
            at=data.get("at"),  # type: ignore[arg-type]
        )

    @classmethod
    def from_json(cls, body: str | bytes) -> LikeChange:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad("a like message is JSON") from exc
        return cls.from_dict(data)


@dataclass(frozen=True)
class LikeState:
    """What DynamoDB holds for one video: who likes it, the counter, and the newest version applied."""

    video_id: str
    users: frozenset[str]
    count: int
    version: int = 0  # the largest version of any like item or tombstone of the video (0: none)


@dataclass(frozen=True)
class Toggled:
    """The like cache's answer to one like / unlike."""

    liked: bool
    count: int
    changed: bool  # membership changed (a new like or a real unlike)
    version: int  # the version to stamp the change message with


@dataclass(frozen=True)
class LikeAnswer:
    """The answer to like / unlike: `degraded` when it came from DynamoDB because Redis was down."""

    video_id: str
    liked: bool
    like_count: int
    degraded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"video_id": self.video_id, "liked": self.liked, "like_count": self.like_count}


def counter_shard(user_id: str, shards: int) -> int:
    """The counter shard a user's likes of a video move: stable across processes (CRC-32, not `hash`).

    One user always lands on the same shard, so each shard counts the likes of its users and never
    goes negative, and summing the shards gives the count."""
    if shards < 1:
        raise ValueError("a counter has at least one shard")
    return zlib.crc32(user_id.encode()) % shards


def next_version(last: int, now_us: int) -> int:
    """The hybrid logical clock step: later than both the last version and the wall clock's now."""
    return max(last + 1, now_us)


def expected_count(count: int, currently_liked: bool, liked: bool) -> int:
    """The count once a change lands: +1 for a new like, -1 for a real unlike, unchanged otherwise."""
    if liked and not currently_liked:
        return count + 1
    if not liked and currently_liked:
        return max(count - 1, 0)
    return count


def replay(changes: Iterable[LikeChange]) -> dict[tuple[str, str], tuple[bool, int]]:
    """The converged state of a set of changes, in any order: per (video, user), the newest version wins.

    The reference model the stores are tested against (and what they must agree with)."""
    state: dict[tuple[str, str], tuple[bool, int]] = {}
    for change in changes:
        key = (change.video_id, change.user_id)
        current = state.get(key)
        if current is None or change.version > current[1]:
            state[key] = (change.liked, change.version)
    return state
