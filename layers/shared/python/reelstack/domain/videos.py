"""Videos: lifecycle statuses and who may see a video."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reelstack.domain.identity import Principal


class VideoStatus(StrEnum):
    UPLOADING = "UPLOADING"
    PROCESSING = "PROCESSING"
    IN_REVIEW = "IN_REVIEW"
    PUBLISHED = "PUBLISHED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"
    ARCHIVED = "ARCHIVED"
    RESTORING = "RESTORING"


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
    extra: dict[str, Any] = field(default_factory=dict)

    def readable_by(self, principal: Principal) -> bool:
        """Before it is published only its owner can read a video."""
        return self.status == VideoStatus.PUBLISHED or principal.user_id == self.owner

    def to_public_dict(self) -> dict[str, Any]:
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
        return body | self.extra


def original_key(video_id: str) -> str:
    return f"originals/{video_id}"


def video_id_from_original_key(key: str) -> str | None:
    """`originals/{video_id}` -> video_id; anything else -> None."""
    prefix, _, rest = key.partition("/")
    if prefix != "originals" or not rest or "/" in rest:
        return None
    return rest
