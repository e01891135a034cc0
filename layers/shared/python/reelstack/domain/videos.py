"""Videos: lifecycle statuses and who may see a video."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reelstack.domain.identity import Principal
from reelstack.domain.storage.storage_tiers import StorageState, tier_of


class VideoStatus(StrEnum):
    UPLOADING = "UPLOADING"
    PROCESSING = "PROCESSING"
    IN_REVIEW = "IN_REVIEW"
    PUBLISHED = "PUBLISHED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


TERMINAL_STATUSES = frozenset({VideoStatus.PUBLISHED, VideoStatus.REJECTED, VideoStatus.FAILED})


@dataclass(frozen=True)
class Failure:
    """Why a video failed: the stage that failed, a stable code, and a human-readable message."""

    stage: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class StageRun:
    """One run of one workflow stage, as the video's timeline shows it (a retried stage runs again)."""

    stage: str
    started_at: str
    ended_at: str
    outcome: str  # "succeeded" | "failed"
    code: str | None = None  # the failure's code

    def to_dict(self) -> dict[str, Any]:
        body = {"stage": self.stage, "started_at": self.started_at, "ended_at": self.ended_at}
        return body | {"outcome": self.outcome} | ({"code": self.code} if self.code else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageRun:
        return cls(
            stage=str(data["stage"]),
            started_at=str(data.get("started_at", "")),
            ended_at=str(data.get("ended_at", "")),
            outcome=str(data.get("outcome", "")),
            code=str(data["code"]) if data.get("code") else None,
        )


@dataclass(frozen=True)
class Playback:
    """What a published video offers players: the master playlist, poster and renditions."""

    master_key: str
    poster_key: str | None
    sprite_key: str | None
    sprite_index_key: str | None
    duration_s: float
    renditions: tuple[dict[str, Any], ...]  # [{name, height, width, bitrate, codec, codecs, playlist_key}]
    # H.264 rungs the ROI reclaimed ({name, width, height}), until a regeneration makes them again.
    reclaimed: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        body = {
            "master_key": self.master_key,
            "poster_key": self.poster_key,
            "sprite_key": self.sprite_key,
            "sprite_index_key": self.sprite_index_key,
            "duration_s": self.duration_s,
            "renditions": [dict(r) for r in self.renditions],
        }
        if self.reclaimed:
            body["reclaimed"] = [dict(r) for r in self.reclaimed]
        return body

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Playback:
        return cls(
            master_key=str(data["master_key"]),
            poster_key=data.get("poster_key"),
            sprite_key=data.get("sprite_key"),
            sprite_index_key=data.get("sprite_index_key"),
            duration_s=float(data.get("duration_s") or 0.0),
            renditions=tuple(dict(r) for r in data.get("renditions") or ()),
            reclaimed=tuple(dict(r) for r in data.get("reclaimed") or ()),
        )


@dataclass(frozen=True)
class Video:
    video_id: str
    owner: str
    status: VideoStatus
    title: str
    tags: tuple[str, ...]
    created_at: str
    updated_at: str
    upload_id: str | None = None
    original_key: str | None = None
    size: int | None = None
    execution_arn: str | None = None
    failure: Failure | None = None
    media: dict[str, Any] | None = None  # the probed facts (`MediaInfo.to_dict()`)
    playback: Playback | None = None
    moderation: dict[str, Any] | None = None  # the verdict, and the reviewer's decision when held
    timeline: tuple[StageRun, ...] = ()
    published_at: str | None = None
    storage: StorageState | None = None  # None: never moved (hot)
    extra: dict[str, Any] = field(default_factory=dict)

    def readable_by(self, principal: Principal) -> bool:
        """Before it is published only its owner can read a video."""
        return self.status == VideoStatus.PUBLISHED or principal.user_id == self.owner

    def to_public_dict(self, media_url: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The API's view; `media_url` turns a media key into the URL players fetch (the CDN's)."""
        body: dict[str, Any] = {
            "video_id": self.video_id,
            "owner": self.owner,
            "status": self.status.value,
            "title": self.title,
            "tags": list(self.tags),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "size": self.size,
        }
        if self.failure is not None:
            body["failure"] = self.failure.to_dict()
        if self.media:
            body["duration_s"] = self.media.get("duration_s")
            body["width"] = self.media.get("display_width")
            body["height"] = self.media.get("display_height")
        if self.playback is not None:
            url = media_url or (lambda key: key)
            body["duration_s"] = self.playback.duration_s
            body["playback_url"] = url(self.playback.master_key)
            body["poster_url"] = url(self.playback.poster_key) if self.playback.poster_key else None
            body["sprite_url"] = url(self.playback.sprite_key) if self.playback.sprite_key else None
            body["renditions"] = [
                {key: r.get(key) for key in ("name", "height", "width", "bitrate", "codec", "codecs")}
                for r in self.playback.renditions
            ]
            body["published_at"] = self.published_at
            body["storage_tier"] = tier_of(self.storage).value
        if self.moderation:
            body["moderation"] = public_moderation(self.moderation)
        body["timeline"] = [run.to_dict() for run in self.timeline]
        return body | self.extra


def public_moderation(moderation: dict[str, Any]) -> dict[str, Any]:
    """The verdict as the API shows it: decision, reasons, who decided; no frame keys."""
    return {str(key): moderation[key] for key in ("decision", "reasons", "review") if key in moderation}


PUBLISHED_BUCKETS = 16


def published_bucket(video_id: str) -> str:
    """The published-index partition a video is listed in: 16 of them, by crc32 of its id, so one
    nightly pass over millions of published videos is 16 paginated queries that can run side by side
    (one partition key per status would be one hot partition)."""
    return f"published#{zlib.crc32(video_id.encode()) % PUBLISHED_BUCKETS:02d}"


def original_key(video_id: str) -> str:
    return f"originals/{video_id}"


def video_id_from_original_key(key: str) -> str | None:
    """`originals/{video_id}` -> video_id; anything else -> None."""
    prefix, _, rest = key.partition("/")
    if prefix != "originals" or not rest or "/" in rest:
        return None
    return rest
