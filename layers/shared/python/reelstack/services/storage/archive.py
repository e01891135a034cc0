"""Manual archive and play-time restore of a published video (its URLs never change), as tier states.

The record's tier moves only along `domain.storage.tier_transitions`, by conditional writes (`TierClaims`);
a request that moves objects holds the record's lease, so two requests never move one video at once
(a second archive meanwhile is refused, 409 `tier_change_in_progress`; a player is told to ask again).

`archive` (the owner): hot, warm or restoring -> `archiving` -> `cold`. Every object in a rendition
folder and the original go to Glacier Flexible Retrieval; with `keep_low_rendition` (the default) the
lowest H.264 rendition goes to Glacier Instant Retrieval instead (kept only when its objects can be
read at once) and the master playlist is rewritten to list it alone (the full master is kept beside
it, `master.full.m3u8`), so the video still plays, at low quality. Poster and sprite stay where they
are (feeds show them); without a kept rendition the master goes cold too. Each step is idempotent and
objects already in their target class or a colder one are skipped (an original restored-from or left
in Glacier is not copied again), so an archive that failed or died half-way -- the record stays
`archiving` -- is finished by the next archive or play.

`playback` (a player): a hot or warm video whose objects can all be read at once and whose master is
the full one answers 200 with the playback URL. Otherwise (cold, restoring, or a record that says hot
over media that is partly cold) the video goes `restoring`: the restore of each rendition object S3
must restore is requested (the original stays cold: playing does not need it) and the answer is 202
`{status: "RESTORING", retry_after}`, or 200 `{status: "READY", quality: "low", retry_after}` when a
low rendition was kept. Each later ask checks S3; once every rendition object can be read, they are
copied back to Standard, the full master is put back and the video is `hot` again (200). A play of a
video left `archiving` finishes the archive first.

The copies run from the API function, in parallel; a video is a dozen objects (each rendition is a
playlist and one media file; older segmented renditions a few hundred at most), well inside API
Gateway's 29 s. A hot video's ask costs one LIST of its rendition folder.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol, TypeVar

from reelstack.adapters.media.transcoder import content_type
from reelstack.adapters.media_bucket import RestoreState
from reelstack.clock import iso, utc_now
from reelstack.domain.identity import Principal
from reelstack.domain.media.heat import master_without
from reelstack.domain.storage.storage_tiers import PLAYABLE, StorageState, Tier, retry_after_seconds, state_of
from reelstack.domain.storage.tier_transitions import (
    Listed,
    TierEvent,
    all_instant,
    archive_moves,
    lease_held,
    lease_left_s,
)
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import Conflict, Forbidden, NotFound
from reelstack.services.media.transcode import PlaylistStore, put_public_playlist
from reelstack.services.storage.tier_claims import StorageRecords, TierClaims, run_held

T = TypeVar("T")
R = TypeVar("R")

OWNER_ARCHIVE = "archived by its owner"
FULL_MASTER = "master.full.m3u8"  # beside the master while a low rendition stands in for the ladder


class Videos(StorageRecords, Protocol):
    def get_video(self, video_id: str) -> Video | None: ...


class ObjectInfoLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def storage_class(self) -> str: ...


class Storage(PlaylistStore, Protocol):
    def list_objects(self, prefix: str) -> Sequence[ObjectInfoLike]: ...
    def set_storage_class(self, key: str, storage_class: str) -> None: ...
    def restore_state(self, key: str) -> RestoreState: ...
    def request_restore(self, key: str, days: int, tier: str) -> None: ...
    def read(self, key: str) -> bytes: ...
    def head(self, key: str) -> object | None: ...
    def delete(self, key: str) -> None: ...


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


def in_progress(video_id: str) -> Conflict:
    return Conflict(
        f"video {video_id} is being moved between storage tiers by another request; try again shortly",
        code="tier_change_in_progress",
    )


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
        lease_seconds: float = 60.0,  # twice the API function's 29 s: a killed request's lease runs out soon
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
        self.claims = TierClaims(videos, lease_seconds)
        self.clock = clock

    def _published(self, principal: Principal | None, video_id: str) -> Video:
        video = self.videos.get_video(video_id)
        if video is None or (principal is not None and not video.readable_by(principal)):
            raise NotFound(f"no video {video_id}", code="video_not_found")
        if video.status != VideoStatus.PUBLISHED or video.playback is None:
            raise Conflict(f"video {video_id} is {video.status.value}, not published", code="not_published")
        return video

    def _each(self, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(self.parallelism, len(items)))) as pool:
            return list(pool.map(work, items))

    def _listed(self, video: Video, with_original: bool = True) -> list[Listed]:
        """The video's rendition folder (and its original) with each object's class, from S3."""
        prefixes = [renditions_prefix(video.video_id)]
        if with_original and video.original_key:
            prefixes.append(video.original_key)
        return [
            Listed(obj.key, obj.storage_class)
            for prefix in prefixes
            for obj in self.storage.list_objects(prefix)
            if prefix.endswith("/") or obj.key == prefix
        ]

    # -- the owner's archive ---------------------------------------------------------------------------
    def archive(self, principal: Principal, video_id: str) -> dict[str, Any]:
        """Move the video cold (idempotent, resumes a half-done archive): `{video_id, storage_tier}`;
        owner only (403 `not_owner`); 409 `tier_change_in_progress` while another request moves it."""
        video = self._published(principal, video_id)
        if principal.user_id != video.owner:
            raise Forbidden("only the video's owner may archive it", code="not_owner")
        self._archive(video)
        return {"video_id": video_id, "storage_tier": Tier.COLD.value}

    def _archive(self, video: Video) -> None:
        now = self.clock()
        state = state_of(video.storage)
        if state.tier is Tier.COLD:
            return
        if lease_held(state, now):
            raise in_progress(video.video_id)
        low = state.low_rendition if state.tier is Tier.ARCHIVING else self._low_to_keep(video)
        held = self.claims.move(
            video.video_id,
            state,
            TierEvent.ARCHIVE,
            now,
            hold=True,
            reason=OWNER_ARCHIVE,
            low_rendition=low,
            restore_requested_at=None,
        )
        if held is None:
            if state_of(self._published(None, video.video_id).storage).tier is Tier.COLD:
                return  # another request archived it meanwhile
            raise in_progress(video.video_id)
        run_held(self.claims, video.video_id, held, self.clock, lambda: self._archive_steps(video, held))
        if self.claims.move(video.video_id, held, TierEvent.ARCHIVED, self.clock(), hold=False) is None:
            raise in_progress(video.video_id)  # the lease ran out and another request took over

    def _low_to_keep(self, video: Video) -> str | None:
        """The rendition to keep playing: the lowest H.264 one, if every object of it can be read now."""
        low = lowest_h264(video) if self.keep_low_rendition else None
        if low is None:
            return None
        name = str(low["name"])
        objects = [
            obj
            for obj in self._listed(video, with_original=False)
            if rendition_folder(video.video_id, obj.key) == name
        ]
        return name if objects and all_instant(objects) else None

    def _archive_steps(self, video: Video, held: StorageState) -> None:
        """Stand-in master first (when a rendition is kept), then every object still to move."""
        assert video.playback is not None
        low = next(
            (
                r
                for r in video.playback.renditions
                if r.get("name") == held.low_rendition and held.low_rendition
            ),
            None,
        )
        if low is not None:
            self._stand_in(video, low)
        moves = archive_moves(
            self._listed(video),
            renditions_prefix(video.video_id),
            video.playback.master_key,
            video.original_key,
            held.low_rendition if low is not None else None,
        )
        self._each(moves, lambda move: self.storage.set_storage_class(*move))

    def _stand_in(self, video: Video, low: dict[str, Any]) -> None:
        """Keep the full master beside it (once: a resumed archive must not overwrite it with the
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
        now = self.clock()
        state = state_of(video.storage)
        if state.tier is Tier.ARCHIVING:
            if lease_held(state, now):
                return self._waiting(video, state, now)
            try:
                self._archive(video)  # finish the half-done archive, then restore like any cold video
            except Conflict:
                return self._waiting(video, state_of(self._published(None, video_id).storage), now)
            video = self._published(None, video_id)
            now, state = self.clock(), state_of(video.storage)
        listed = self._listed(video, with_original=False)
        if state.tier in PLAYABLE and self._whole(listed):
            return 200, self._ready(video)
        if lease_held(state, now):
            return self._waiting(video, state, now)
        if state.tier is not Tier.RESTORING:
            reason = (
                "a player asked" if state.tier is Tier.COLD else "a player found media in an archive class"
            )
            moved = self.claims.move(
                video_id, state, TierEvent.PLAY, now, hold=False, reason=reason, restore_requested_at=iso(now)
            )
            if moved is None:
                return self._waiting(video, state_of(self._published(None, video_id).storage), now)
            state = moved
        keys = [obj.key for obj in listed]
        states = self._each(keys, self.storage.restore_state)
        if all(restore.readable for restore in states):
            return self._finish_restore(video, state, keys, states, now)
        waiting = [
            key
            for key, restore in zip(keys, states, strict=True)
            if not restore.readable and not restore.requested
        ]
        self._each(
            waiting, lambda key: self.storage.request_restore(key, self.restore_days, self.restore_tier)
        )
        return self._waiting(video, state, now)

    @staticmethod
    def _whole(listed: Sequence[Listed]) -> bool:
        """Every rendition object readable at once and the full master in place (none kept beside it)."""
        return all_instant(listed) and not any(obj.key.endswith(f"/{FULL_MASTER}") for obj in listed)

    def _finish_restore(
        self,
        video: Video,
        state: StorageState,
        keys: Sequence[str],
        states: Sequence[RestoreState],
        now: datetime,
    ) -> tuple[int, dict[str, Any]]:
        """Everything can be read: copy it back to Standard (a restored Glacier object is a temporary
        copy), put the full master back, and the video is hot."""
        held = self.claims.hold(video.video_id, state, now)
        if held is None:
            return self._waiting(video, state_of(self._published(None, video.video_id).storage), now)
        archived = [
            key for key, restore in zip(keys, states, strict=True) if restore.storage_class != "STANDARD"
        ]

        def copy_back() -> None:
            self._each(archived, lambda key: self.storage.set_storage_class(key, "STANDARD"))
            self._put_back_full_master(video)

        run_held(self.claims, video.video_id, held, self.clock, copy_back)
        done = self.claims.move(
            video.video_id,
            held,
            TierEvent.RESTORED,
            self.clock(),
            hold=False,
            reason="restored to play",
            restore_requested_at=None,
            low_rendition=None,
        )
        if done is None:
            return self._waiting(video, state_of(self._published(None, video.video_id).storage), now)
        return 200, self._ready(video)

    def _ready(self, video: Video) -> dict[str, Any]:
        assert video.playback is not None
        return {
            "video_id": video.video_id,
            "status": "READY",
            "playback_url": self.public_url(video.playback.master_key),
        }

    def _waiting(self, video: Video, state: StorageState, now: datetime) -> tuple[int, dict[str, Any]]:
        """Not in full yet: when to ask again, and the kept low rendition when there is one."""
        if state.restore_requested_at is not None:
            requested = datetime.fromisoformat(state.restore_requested_at.replace("Z", "+00:00"))
            retry_after = retry_after_seconds(self.restore_tier, (now - requested).total_seconds())
        else:  # another request is moving it: ask again soon
            retry_after = max(1, min(10, math.ceil(lease_left_s(state, now))))
        if state.low_rendition is not None and state.tier is not Tier.HOT:
            return 200, {
                **self._ready(video),
                "quality": "low",
                "rendition": state.low_rendition,
                "retry_after": retry_after,
            }
        return 202, {"video_id": video.video_id, "status": "RESTORING", "retry_after": retry_after}
