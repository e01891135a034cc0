"""The interaction log's event, schema v1: one counted play, like, unlike, follow, comment or share.

Producers queue an `Interaction` as JSON (`to_message`): the play aggregator and the like worker
directly; new follows, visible comments and new shares through their events (`UserFollowed`,
`CommentPosted`, `VideoShared`), whose `detail.interaction` an EventBridge rule puts on the queue. The log writer parses each message (`interaction_from_message`:
a malformed one goes to the log's DLQ, never into the lake), adds the video's facts to video events
(`with_video`), and appends a batch as Parquet files under
`lake/interactions/v1/dt=YYYY-MM-DD/` (Hive-style date partitions; the columns are `LAKE_COLUMNS`,
the date is the path's). The nightly profile job and the ranker's training read those files.

Event ids are deterministic: the same play or like queued twice has the same id, and every reader
de-duplicates on `event_id` (the log is at least once). A new column or meaning is a new
`SCHEMA_VERSION` and a new `v<N>` prefix; readers take the versions they know.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from reelstack.errors import InvalidRequest

SCHEMA_VERSION = 1
LAKE_PREFIX = f"lake/interactions/v{SCHEMA_VERSION}/"
KINDS = ("play", "like", "unlike", "follow", "comment", "share")
VIDEO_KINDS = frozenset({"play", "like", "unlike", "comment", "share"})
DEVICES = ("ios", "android", "web", "other")
MAX_TAGS = 50
MAX_WATCHED_MS = 24 * 3600 * 1000

# (column, type) in file order. Types: string, int32, int64, float64, timestamp (ms, UTC), list<string>.
LAKE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("schema_version", "int32"),
    ("event_id", "string"),
    ("kind", "string"),
    ("user_id", "string"),  # who acted
    ("video_id", "string"),  # null for a follow
    ("author_id", "string"),  # the video's owner; for a follow, the followed user
    ("occurred_at", "timestamp"),
    ("watched_ms", "int64"),  # plays only
    ("duration_ms", "int64"),  # the video's length when known
    ("watched_fraction", "float64"),  # min(1, watched_ms / duration_ms); plays of a known length only
    ("tags", "list<string>"),  # the video's tags when the event was logged
    ("region", "string"),  # ISO 3166 alpha-2 of the viewer, when the edge said
    ("device", "string"),  # one of DEVICES, when the app said
    ("published_at", "timestamp"),  # the video's
    ("codec_tier", "string"),  # the best codec the video is served in: "h264", "hevc", "av1"
)

_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,200}$")
_EVENT_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,512}$")
_REGION = re.compile(r"^[A-Z]{2}$")


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_interaction")


@dataclass(frozen=True)
class VideoFacts:
    """What the log records about the video an event is about (looked up by the log writer)."""

    author_id: str
    tags: tuple[str, ...] = ()
    duration_ms: int | None = None
    published_at: datetime | None = None
    codec_tier: str | None = None


@dataclass(frozen=True)
class Interaction:
    event_id: str
    kind: str
    user_id: str
    occurred_at: datetime
    video_id: str | None = None
    target_user_id: str | None = None  # a follow's followed user
    watched_ms: int | None = None
    region: str | None = None
    device: str | None = None
    video: VideoFacts | None = None
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise _invalid(
                f"unknown schema_version {self.schema_version!r} (this log writes {SCHEMA_VERSION})"
            )
        if self.kind not in KINDS:
            raise _invalid(f"kind must be one of {', '.join(KINDS)}")
        if not isinstance(self.event_id, str) or not _EVENT_ID.match(self.event_id):
            raise _invalid("event_id must be 1-512 letters, digits or . _ : @ -")
        if not isinstance(self.user_id, str) or not _ID.match(self.user_id):
            raise _invalid("user_id must be 1-200 letters, digits or . _ : @ -")
        if not isinstance(self.occurred_at, datetime) or self.occurred_at.tzinfo is None:
            raise _invalid("occurred_at must be a time with a zone")
        if self.kind in VIDEO_KINDS:
            if not isinstance(self.video_id, str) or not _ID.match(self.video_id):
                raise _invalid(f"a {self.kind} needs a video_id")
        elif not isinstance(self.target_user_id, str) or not _ID.match(self.target_user_id):
            raise _invalid("a follow needs a target_user_id")
        if self.kind == "play":
            watched = self.watched_ms
            if (
                isinstance(watched, bool)
                or not isinstance(watched, int)
                or not 0 <= watched <= MAX_WATCHED_MS
            ):
                raise _invalid(f"a play needs watched_ms between 0 and {MAX_WATCHED_MS}")
        elif self.watched_ms is not None:
            raise _invalid("only a play has watched_ms")
        if self.region is not None and (not isinstance(self.region, str) or not _REGION.match(self.region)):
            raise _invalid("region must be two capital letters (ISO 3166 alpha-2)")
        if self.device is not None and self.device not in DEVICES:
            raise _invalid(f"device must be one of {', '.join(DEVICES)}")

    @property
    def day(self) -> str:
        """The UTC date partition "YYYY-MM-DD" the event is logged under."""
        return self.occurred_at.astimezone(UTC).strftime("%Y-%m-%d")

    @property
    def watched_fraction(self) -> float | None:
        duration = self.video.duration_ms if self.video is not None else None
        if self.watched_ms is None or not duration or duration <= 0:
            return None
        return min(1.0, self.watched_ms / duration)

    def with_video(self, facts: VideoFacts | None) -> Interaction:
        return replace(self, video=facts)

    def to_message(self) -> dict[str, Any]:
        """The queued form (JSON-safe). Video facts travel only when the producer already has them."""
        message: dict[str, Any] = {
            "schema_version": self.schema_version,
            "event_id": self.event_id,
            "kind": self.kind,
            "user_id": self.user_id,
            "occurred_at": _iso(self.occurred_at),
        }
        optional = {
            "video_id": self.video_id,
            "target_user_id": self.target_user_id,
            "watched_ms": self.watched_ms,
            "region": self.region,
            "device": self.device,
        }
        message.update({key: value for key, value in optional.items() if value is not None})
        return message

    def to_row(self) -> dict[str, Any]:
        """The lake row: `LAKE_COLUMNS` by name (timestamps as aware datetimes)."""
        facts = self.video
        return {
            "schema_version": self.schema_version,
            "event_id": self.event_id,
            "kind": self.kind,
            "user_id": self.user_id,
            "video_id": self.video_id,
            "author_id": self.target_user_id
            if self.kind == "follow"
            else (facts.author_id if facts else None),
            "occurred_at": self.occurred_at.astimezone(UTC),
            "watched_ms": self.watched_ms,
            "duration_ms": facts.duration_ms if facts else None,
            "watched_fraction": self.watched_fraction,
            "tags": list(facts.tags) if facts else [],
            "region": self.region,
            "device": self.device,
            "published_at": facts.published_at.astimezone(UTC) if facts and facts.published_at else None,
            "codec_tier": facts.codec_tier if facts else None,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _time(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"{name} must be an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise _invalid(f"{name} needs a time zone")
    return moment


def interaction_from_message(message: Any) -> Interaction:
    """The inverse of `to_message`; anything malformed raises `invalid_interaction`."""
    if not isinstance(message, Mapping):
        raise _invalid("an interaction is a JSON object")
    unknown = set(message) - {
        "schema_version",
        "event_id",
        "kind",
        "user_id",
        "occurred_at",
        "video_id",
        "target_user_id",
        "watched_ms",
        "region",
        "device",
    }
    if unknown:
        raise _invalid(f"unknown fields: {', '.join(sorted(unknown))}")
    if "occurred_at" not in message:
        raise _invalid("an interaction needs occurred_at")
    watched = message.get("watched_ms")
    if isinstance(watched, float) and math.isfinite(watched) and watched.is_integer():
        watched = int(watched)
    return Interaction(
        event_id=message.get("event_id"),  # type: ignore[arg-type]  # validated in __post_init__
        kind=message.get("kind"),  # type: ignore[arg-type]
        user_id=message.get("user_id"),  # type: ignore[arg-type]
        occurred_at=_time(message["occurred_at"], "occurred_at"),
        video_id=message.get("video_id"),
        target_user_id=message.get("target_user_id"),
        watched_ms=watched,
        region=message.get("region"),
        device=message.get("device"),
        schema_version=message.get("schema_version", SCHEMA_VERSION),
    )


def facts_of(
    owner: str,
    tags: Sequence[str],
    duration_s: float | None,
    published_at: str | None,
    codecs: Sequence[str | None],
) -> VideoFacts:
    """A video record's facts as the log keeps them (times parsed, the duration in ms)."""
    published = None
    if published_at:
        try:
            published = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
        except ValueError:
            published = None
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    duration_ms = int(float(duration_s) * 1000) if duration_s else None
    return VideoFacts(owner, tuple(tags)[:MAX_TAGS], duration_ms, published, codec_tier(codecs))


def play_event_id(viewer: str, video_id: str, session_id: str, at: datetime) -> str:
    """One counted play: the viewer, the video, the app's session and the millisecond it was counted."""
    return f"play:{viewer}:{video_id}:{session_id}:{int(at.timestamp() * 1000)}"


def like_event_id(user_id: str, video_id: str, liked: bool, version: int) -> str:
    """One like or unlike: the per-video version the like path gave it orders and identifies it."""
    return f"{'like' if liked else 'unlike'}:{video_id}:{user_id}:{version}"


def codec_tier(codecs: Sequence[str | None]) -> str | None:
    """The most efficient codec among a video's renditions ("av1" > "hevc" > "h264")."""
    names = {str(codec or "").lower() for codec in codecs}
    for tier, aliases in (("av1", {"av1", "libsvtav1", "libaom-av1"}), ("hevc", {"hevc", "h265", "libx265"})):
        if names & aliases:
            return tier
    return "h264" if names - {""} else None
