"""Manual archive and play-time restore of a published video (its URLs never change).

`archive`: the owner moves the video cold -- every rendition folder under `renditions/{id}/` and the
original copied onto themselves in Glacier Flexible Retrieval -- and the record says
`storage.tier = cold`. With `keep_low_rendition` (the default), the lowest H.264 rendition goes to
Glacier Instant Retrieval instead and the master playlist is rewritten to list it alone (the full
master is kept beside it, `master.full.m3u8`), so the video still plays, at low quality. Poster and
sprite stay where they are (feeds show them); without a kept rendition the master goes cold too.
`playback`: what a player asks before it plays. Hot or warm: 200 with the playback URL. Cold: the
renditions' restore is requested (the original stays cold: playing does not need it) and the answer
is 202 `{status: "RESTORING", retry_after}`, or 200 `{status: "READY", quality: "low", retry_after}`
when a low rendition was kept. Each later ask checks S3; once every rendition object can be read,
they are copied back to Standard, the full master is put back and the video is hot again (200).

The copies run from the API function, in parallel; a video is a dozen objects (each rendition is a
playlist and one media file; older segmented renditions a few hundred at most), well inside API
Gateway's 29 s.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol, TypeVar

from reelstack.adapters.storage import RestoreState
from reelstack.adapters.transcoder import content_type
from reelstack.clock import iso, utc_now
from reelstack.domain.heat import master_without
from reelstack.domain.identity import Principal
from reelstack.domain.storage_tiers import (
    COLD_STORAGE_CLASS,
    LOW_RENDITION_CLASS,
    PLAYABLE,
    StorageState,
    Tier,
    retry_after_seconds,
    tier_of,
)
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import Conflict, Forbidden, NotFound
from reelstack.services.transcode import PlaylistStore, put_public_playlist

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


class Storage(PlaylistStore, Protocol):
    def list_objects(self, prefix: str) -> Sequence[ObjectInfoLike]: ...
    def set_storage_class(self, key: str, storage_class: str) -> None: ...
    def restore_state(self, key: str) -> RestoreState: ...
    def request_restore(self, key: str, days: int, tier: str) -> None: ...
    def read(self, key: str) -> bytes: ...
    def head(self, key: str) -> object | None: ...
    def delete(self, key: str) -> None: ...


FULL_MASTER = "master.full.m3u8"  # beside the master while a low rendition stands in for the ladder


def renditions_prefix(video_id: str) -> str:
    return f"renditions/{video_id}/"


def rendition_folder(video_id: str, key: str) -> str | None:
    """`renditions/{id}/720p/seg_1.m4s` -> `720p`; None for the files beside the folders."""
    rest = key[len(renditions_prefix(video_id)) :]
    return rest.split("/", 1)[0] if "/" in rest else None


def lowest_h264(video: Video) -> dict[str, Any] | None:
    """The playback record's smallest H.264 rendition (what a kept low rendition is)."""
    ladder = [r for r in (video.playback.renditions if video.playback else ()) if r.get("codec") == "h264"]
    return min(ladder, key=lambda r: int(r.get("height") or 0), default=None)


class ArchiveService:
    def __init__(
        self,
        videos: Videos,
        storage: Storage,
        public_url: Callable[[str], str],
        *,
        restore_tier: str = "Expedited",
        restore_days: int = 7,
        keep_low_rendition: bool = True,
        parallelism: int = 16,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        retry_after_seconds(restore_tier)  # refuses an unknown tier at cold start
        self.videos = videos
        self.storage = storage
        self.public_url = public_url
        self.restore_tier = restore_tier
        self.restore_days = restore_days
        self.keep_low_rendition = keep_low_rendition
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
            assert video.playback is not None
            low = lowest_h264(video) if self.keep_low_rendition else None
            low_name = str(low["name"]) if low else None
            if low is not None:
                self._stand_in(video, low)
            moves: list[tuple[str, str]] = []
            for obj in self.storage.list_objects(renditions_prefix(video_id)):
                folder = rendition_folder(video_id, obj.key)
                if folder is not None:
                    moves.append((obj.key, LOW_RENDITION_CLASS if folder == low_name else COLD_STORAGE_CLASS))
                elif obj.key == video.playback.master_key and low is None:
                    moves.append((obj.key, COLD_STORAGE_CLASS))  # nothing to play: no master either
            if video.original_key:
                moves.append((video.original_key, COLD_STORAGE_CLASS))
            self._each(moves, lambda move: self.storage.set_storage_class(*move))
            state = StorageState(
                Tier.COLD, iso(self.clock()), "archived by its owner", low_rendition=low_name
            )
            self._set_state(video_id, state)
        return {"video_id": video_id, "storage_tier": Tier.COLD.value}

    def _stand_in(self, video: Video, low: dict[str, Any]) -> None:
        """Keep the full master beside it (once: a retried archive must not overwrite it with the
        stand-in), then make the master list the low rendition alone."""
        assert video.playback is not None
        master_key = video.playback.master_key
        full_key = posixpath.join(posixpath.dirname(master_key), FULL_MASTER)
        if self.storage.head(full_key) is None:
            body = self.storage.read(master_key)
            self.storage.put_bytes(full_key, body, content_type(full_key))
        else:
            body = self.storage.read(full_key)
        full = body.decode("utf-8")
        low_uri = posixpath.relpath(str(low["playlist_key"]), posixpath.dirname(master_key))
        others = {line.strip() for line in full.splitlines() if line.strip() and not line.startswith("#")}
        put_public_playlist(self.storage, master_key, master_without(full, others - {low_uri}))

    def _put_back_full_master(self, video: Video) -> None:
        assert video.playback is not None
        master_key = video.playback.master_key
        full_key = posixpath.join(posixpath.dirname(master_key), FULL_MASTER)
        if self.storage.head(full_key) is not None:
            put_public_playlist(self.storage, master_key, self.storage.read(full_key).decode("utf-8"))
            self.storage.delete(full_key)

    # -- a player's ask --------------------------------------------------------------------------------
    def playback(self, principal: Principal, video_id: str) -> tuple[int, dict[str, Any]]:
        """(200, `{status: READY, playback_url}`), (202, `{status: RESTORING, retry_after}`), or while a
        kept low rendition plays (200, `{status: READY, playback_url, quality: low, rendition,
        retry_after}`)."""
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
            self._put_back_full_master(video)
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
        low = video.storage.low_rendition if video.storage else None
        if requested_at is None:
            requested_at = iso(now)
            state = StorageState(Tier.RESTORING, iso(now), "a player asked", requested_at, low_rendition=low)
            self._set_state(video_id, state)
        waited = (now - datetime.fromisoformat(requested_at.replace("Z", "+00:00"))).total_seconds()
        retry_after = retry_after_seconds(self.restore_tier, waited)
        if low is not None:
            return 200, {**ready, "quality": "low", "rendition": low, "retry_after": retry_after}
        return 202, {"video_id": video_id, "status": "RESTORING", "retry_after": retry_after}
