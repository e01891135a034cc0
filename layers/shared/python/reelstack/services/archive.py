"""Manual archive and play-time restore of a published video (its URLs never change).

`archive`: the owner moves the video cold -- every object under `renditions/{id}/` and the original
copied onto itself in Glacier Flexible Retrieval -- and the record says `storage.tier = cold`.
`playback`: what a player asks before it plays. Hot or warm: 200 with the playback URL. Cold: the
renditions' restore is requested (the original stays cold: playing does not need it) and the answer
is 202 `{status: "RESTORING", retry_after}`. Restoring: each ask checks S3; once every rendition
object can be read, they are copied back to Standard and the video is hot again (200).

The copies run from the API function, in parallel; a video is a few hundred objects at most (2 s
segments of a 10 min video in 3 renditions), well inside API Gateway's 29 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol, TypeVar

from reelstack.adapters.storage import RestoreState
from reelstack.clock import iso, utc_now
from reelstack.domain.identity import Principal
from reelstack.domain.storage_tiers import (
    COLD_STORAGE_CLASS,
    PLAYABLE,
    StorageState,
    Tier,
    retry_after_seconds,
    tier_of,
)
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import Conflict, Forbidden, NotFound

T = TypeVar("T")
R = TypeVar("R")


class Videos(Protocol):
    def get_video(self, video_id: str) -> Video | None: ...
    def update_video(
        self, video_id: str, allowed: Sequence[VideoStatus], now: str, **fields: Any
    ) -> bool: ...


class ObjectInfoLike(Protocol):
    @property
    def key(self) -> str: ...


class Storage(Protocol):
    def list_objects(self, prefix: str) -> Sequence[ObjectInfoLike]: ...
    def set_storage_class(self, key: str, storage_class: str) -> None: ...
    def restore_state(self, key: str) -> RestoreState: ...
    def request_restore(self, key: str, days: int, tier: str) -> None: ...


def renditions_prefix(video_id: str) -> str:
    return f"renditions/{video_id}/"


class ArchiveService:
    def __init__(
        self,
        videos: Videos,
        storage: Storage,
        public_url: Callable[[str], str],
        *,
        restore_tier: str = "Expedited",
        restore_days: int = 7,
        parallelism: int = 16,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        retry_after_seconds(restore_tier)  # refuses an unknown tier at cold start
        self.videos = videos
        self.storage = storage
        self.public_url = public_url
        self.restore_tier = restore_tier
        self.restore_days = restore_days
        self.parallelism = parallelism
        self.clock = clock

    def _published(self, principal: Principal, video_id: str) -> Video:
        video = self.videos.get_video(video_id)
        if video is None or not video.readable_by(principal):
            raise NotFound(f"no video {video_id}", code="video_not_found")
        if video.status != VideoStatus.PUBLISHED or video.playback is None:
            raise Conflict(f"video {video_id} is {video.status.value}, not published", code="not_published")
        return video

    def _each(self, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
        with ThreadPoolExecutor(max_workers=max(1, min(self.parallelism, len(items)))) as pool:
            return list(pool.map(work, items))

    def _set_state(self, video_id: str, state: StorageState) -> None:
        self.videos.update_video(video_id, [VideoStatus.PUBLISHED], state.since, storage=state.to_dict())

    # -- the owner's archive ---------------------------------------------------------------------------
    def archive(self, principal: Principal, video_id: str) -> dict[str, Any]:
        """Move the video cold (idempotent): `{video_id, storage_tier}`; owner only (403 `not_owner`)."""
        video = self._published(principal, video_id)
        if principal.user_id != video.owner:
            raise Forbidden("only the video's owner may archive it", code="not_owner")
        if tier_of(video.storage) != Tier.COLD:
            keys = [obj.key for obj in self.storage.list_objects(renditions_prefix(video_id))]
            keys += [video.original_key] if video.original_key else []
            self._each(keys, lambda key: self.storage.set_storage_class(key, COLD_STORAGE_CLASS))
            self._set_state(video_id, StorageState(Tier.COLD, iso(self.clock()), "archived by its owner"))
        return {"video_id": video_id, "storage_tier": Tier.COLD.value}

    # -- a player's ask --------------------------------------------------------------------------------
    def playback(self, principal: Principal, video_id: str) -> tuple[int, dict[str, Any]]:
        """(200, `{status: READY, playback_url}`) or (202, `{status: RESTORING, retry_after}`)."""
        video = self._published(principal, video_id)
        assert video.playback is not None
        ready = {
            "video_id": video_id,
            "status": "READY",
            "playback_url": self.public_url(video.playback.master_key),
        }
        tier = tier_of(video.storage)
        if tier in PLAYABLE:
            return 200, ready
        now = self.clock()
        keys = [obj.key for obj in self.storage.list_objects(renditions_prefix(video_id))]
        states = self._each(keys, self.storage.restore_state)
        if all(state.readable for state in states):
            archived = [
                key for key, state in zip(keys, states, strict=True) if state.storage_class != "STANDARD"
            ]
            self._each(archived, lambda key: self.storage.set_storage_class(key, "STANDARD"))
            self._set_state(video_id, StorageState(Tier.HOT, iso(now), "restored to play"))
            return 200, ready
        waiting = [
            key for key, state in zip(keys, states, strict=True) if not state.readable and not state.requested
        ]
        self._each(
            waiting, lambda key: self.storage.request_restore(key, self.restore_days, self.restore_tier)
        )
        requested_at = (
            video.storage.restore_requested_at if video.storage and tier == Tier.RESTORING else None
        )
        if requested_at is None:
            requested_at = iso(now)
            self._set_state(video_id, StorageState(Tier.RESTORING, iso(now), "a player asked", requested_at))
        waited = (now - datetime.fromisoformat(requested_at.replace("Z", "+00:00"))).total_seconds()
        retry_after = retry_after_seconds(self.restore_tier, waited)
        return 202, {"video_id": video_id, "status": "RESTORING", "retry_after": retry_after}
