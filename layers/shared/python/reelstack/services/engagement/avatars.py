"""Avatars: the API hands out a presigned upload; the avatar function checks and resizes what arrives
(`domain.engagement.avatars` has the path and the rules)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from reelstack.adapters.media_bucket import ObjectInfo, PresignedPut
from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.avatars import (
    MAX_AVATAR_BYTES,
    ImageFacts,
    avatar_key,
    parse_avatar_request,
    parse_upload_key,
    refusal,
    upload_key,
)
from reelstack.domain.engagement.profiles import Profile
from reelstack.domain.identity import Principal
from reelstack.domain.s3_events import created_objects
from reelstack.errors import InvalidRequest, NotFound
from reelstack.observability import logger

AVATAR_CACHE_CONTROL = "public, max-age=31536000, immutable"  # a new avatar is a new key


class Storage(Protocol):
    def presign_put(
        self, key: str, size: int, checksum: str | None, expires_in: int, content_type: str = ...
    ) -> PresignedPut: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def download_to(self, key: str, path: str) -> int: ...
    def upload_file(
        self, key: str, path: str, content_type: str, cache_control: str | None = None, tags: Any = None
    ) -> None: ...
    def delete(self, key: str) -> None: ...


class Profiles(Protocol):
    def get(self, user_id: str) -> Profile | None: ...
    def start_avatar(self, user_id: str, avatar_id: str, at: str) -> Profile | None: ...
    def finish_avatar(self, user_id: str, avatar_id: str, key: str, at: str) -> Profile | None: ...
    def refuse_avatar(self, user_id: str, avatar_id: str, reason: str, at: str) -> Profile | None: ...


class Images(Protocol):
    def facts(self, path: str) -> ImageFacts | None: ...
    def square_jpeg(self, source: str, target: str) -> None: ...


class AvatarUploads:
    """`POST /me/avatar {content_type, size}` -> `{avatar_id, upload: {url, method, headers}, expires_in}`."""

    def __init__(
        self, profiles: Profiles, storage: Storage, expires_in: int, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.profiles = profiles
        self.storage = storage
        self.expires_in = expires_in
        self.clock = clock

    def request(self, principal: Principal, body: Any) -> dict[str, Any]:
        wanted = parse_avatar_request(body)
        avatar_id = uuid.uuid4().hex
        if self.profiles.start_avatar(principal.user_id, avatar_id, iso(self.clock())) is None:
            raise NotFound("your profile is not recorded yet: try again", code="user_not_found")
        key = upload_key(principal.user_id, avatar_id)
        signed = self.storage.presign_put(
            key, wanted.size, None, self.expires_in, content_type=wanted.content_type
        )
        return {
            "avatar_id": avatar_id,
            "upload": {"url": signed.url, "method": "PUT", "headers": signed.headers},
            "expires_in": self.expires_in,
        }


def uploaded_keys(body: Any) -> list[str]:
    """The object keys an S3 event notification announces as created (`s3:TestEvent`: none)."""
    return [created.key for created in created_objects(body)]


class AvatarStage:
    """An uploaded avatar: checked (its real format, size, frames, dimensions), resized, switched to.
    Idempotent: a second event for the same upload finds it gone and does nothing."""

    def __init__(
        self,
        storage: Storage,
        images: Images,
        profiles: Profiles,
        scratch_root: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.storage = storage
        self.images = images
        self.profiles = profiles
        self.scratch_root = scratch_root
        self.clock = clock

    def handle(self, key: str) -> str:
        """What became of the upload: ready, refused:<reason>, superseded, gone or ignored."""
        parsed = parse_upload_key(key)
        if parsed is None:
            logger.info("not an avatar upload", extra={"key": key})
            return "ignored"
        user_id, avatar_id = parsed
        head = self.storage.head(key)
        if head is None:
            return "gone"
        with tempfile.TemporaryDirectory(dir=self.scratch_root) as scratch:
            source, target = str(Path(scratch) / "source"), str(Path(scratch) / "avatar.jpg")
            facts = None
            if head.size <= MAX_AVATAR_BYTES:  # a bigger file is refused unread
                self.storage.download_to(key, source)
                facts = self.images.facts(source)
            reason = refusal(head.size, facts)
            if reason is None:
                try:
                    self.images.square_jpeg(source, target)
                except InvalidRequest:
                    reason = "not_an_image"
            outcome = (
                self._refuse(user_id, avatar_id, reason)
                if reason
                else self._switch(user_id, avatar_id, target)
            )
        self.storage.delete(key)
        return outcome

    def _refuse(self, user_id: str, avatar_id: str, reason: str) -> str:
        self.profiles.refuse_avatar(user_id, avatar_id, reason, iso(self.clock()))
        logger.info("avatar refused", extra={"user_id": user_id, "reason": reason})
        return f"refused:{reason}"

    def _switch(self, user_id: str, avatar_id: str, resized: str) -> str:
        key = avatar_key(user_id, avatar_id)
        before = self.profiles.get(user_id)
        self.storage.upload_file(
            key, resized, "image/jpeg", cache_control=AVATAR_CACHE_CONTROL, tags={"visibility": "public"}
        )
        if self.profiles.finish_avatar(user_id, avatar_id, key, iso(self.clock())) is None:
            self.storage.delete(key)  # a newer upload is the one that counts
            return "superseded"
        if before is not None and before.avatar_key and before.avatar_key != key:
            self.storage.delete(before.avatar_key)
        return "ready"
