"""Avatars as data (pure): what an avatar upload may be, where its files live, and what makes a
received image acceptable.

The path of an avatar: `POST /me/avatar {content_type, size}` -> a presigned PUT of exactly that
many bytes of that type to `avatar-uploads/<user>/<avatar id>` (S3 refuses any other length or
type); the upload's S3 event -> the avatar function reads the image's real format and size with
ffprobe (the declared type is not trusted), and writes a 256 x 256 JPEG (centre-cropped) to
`avatars/<user>/<avatar id>.jpg`, served by the CDN; the profile points at it. A newer upload wins
over an older one still being processed. What the function refuses is recorded on the profile with
its reason, and the upload is deleted either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelstack.errors import InvalidRequest

MAX_AVATAR_BYTES = 5 * 1024 * 1024
MAX_SOURCE_SIDE = 4096  # pixels: bigger images are refused before decoding (decompression bombs)
AVATAR_SIDE = 256
AVATAR_TYPES = {"image/jpeg": "mjpeg", "image/png": "png", "image/webp": "webp"}  # type -> codec
UPLOAD_PREFIX = "avatar-uploads/"
AVATAR_PREFIX = "avatars/"
_UPLOAD_KEY = re.compile(r"^avatar-uploads/(?P<user>[A-Za-z0-9._:@-]{1,200})/(?P<avatar>[0-9a-f]{32})$")


@dataclass(frozen=True)
class AvatarRequest:
    content_type: str
    size: int


@dataclass(frozen=True)
class ImageFacts:
    """What ffprobe says about a received file."""

    codec: str | None
    width: int
    height: int
    frames: int  # > 1 for an animation


def parse_avatar_request(body: Any) -> AvatarRequest:
    """`{content_type, size}` -> AvatarRequest; otherwise 400 `invalid_avatar`."""
    if not isinstance(body, Mapping) or set(body) != {"content_type", "size"}:
        raise InvalidRequest("the body must be {content_type, size}", code="invalid_avatar")
    content_type, size = body["content_type"], body["size"]
    if not isinstance(content_type, str) or content_type not in AVATAR_TYPES:  # ({} is not hashable)
        raise InvalidRequest(f"content_type must be one of {', '.join(AVATAR_TYPES)}", code="invalid_avatar")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_AVATAR_BYTES:
        raise InvalidRequest(f"size must be 1 to {MAX_AVATAR_BYTES} bytes", code="invalid_avatar")
    return AvatarRequest(content_type, size)


def upload_key(user_id: str, avatar_id: str) -> str:
    return f"{UPLOAD_PREFIX}{user_id}/{avatar_id}"


def avatar_key(user_id: str, avatar_id: str) -> str:
    return f"{AVATAR_PREFIX}{user_id}/{avatar_id}.jpg"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(user, avatar id) of an upload key; None for any other key."""
    match = _UPLOAD_KEY.match(key)
    return (match["user"], match["avatar"]) if match else None


def refusal(size: int, facts: ImageFacts | None) -> str | None:
    """Why a received file cannot be an avatar (None: it can)."""
    if size > MAX_AVATAR_BYTES:
        return "too_large"
    if facts is None or facts.codec not in AVATAR_TYPES.values():
        return "not_an_image"
    if facts.frames > 1:
        return "animated"
    if not (0 < facts.width <= MAX_SOURCE_SIDE and 0 < facts.height <= MAX_SOURCE_SIDE):
        return "bad_dimensions"
    return None
