"""Archive and restore as a state machine, on the local cloud (Glacier in moto restores in seconds).

Round after round (archive -> play -> restored) the video comes back in full from the same URL; a
move that fails half-way leaves the record `archiving` and the next archive or play finishes it; a
second request while one is moving the video moves nothing; a play of a video whose record says hot
while some of its media is cold restores what is missing."""

from __future__ import annotations

import threading
import urllib.request
from typing import Any

import pytest

from reelstack.errors import Conflict, DependencyFailed
from tests.support.cloud_stores import media_storage, repositories
from tests.support.http import Api
from tests.support.waiting import wait_for
from tests.support.workflow import published_720p_video

pytestmark = pytest.mark.integration


def _published(alice: Api, tmp_path_factory: pytest.TempPathFactory, title: str) -> str:
    return published_720p_video(alice, tmp_path_factory.mktemp("archive-states"), title)


@pytest.fixture(scope="module")
def video_id(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _published(alice, tmp_path_factory, "archive me again and again")


def _read(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return bytes(response.read()).decode()


def _variants(master: str) -> list[str]:
    return [line for line in master.splitlines() if line and not line.startswith("#")]


def _classes(local_cloud: Any, prefix: str) -> dict[str, str]:
    s3 = local_cloud.client("s3")
    listed = s3.list_objects_v2(Bucket=local_cloud.name("MediaBucket"), Prefix=prefix)
    return {str(o["Key"]): str(o.get("StorageClass", "STANDARD")) for o in listed.get("Contents", [])}


def _assert_full_quality(local_cloud: Any, video_id: str, master: str, full_master: str) -> None:
    """The full master (every rendition listed) and every rendition object in Standard."""
    assert master == full_master
    assert _variants(master) == ["720p/playlist.m3u8", "480p/playlist.m3u8"]
    classes = _classes(local_cloud, f"renditions/{video_id}/")
    assert set(classes.values()) == {"STANDARD"}, classes
    assert not any(key.endswith("master.full.m3u8") for key in classes)


class _Service:
    """The archive service in this process over the local cloud's table and bucket."""

    def __init__(self, local_cloud: Any, storage: Any = None, **options: Any) -> None:
        from reelstack.domain.identity import Principal
        from reelstack.services.storage.archive import ArchiveService

        self.repos = repositories(local_cloud)
        self.storage = storage or media_storage(local_cloud)
        self.service = ArchiveService(self.repos, self.storage, lambda key: f"cdn:{key}", **options)
        self.principal = Principal

    def owner(self, video_id: str) -> Any:
        video = self.repos.get_video(video_id)
        assert video is not None
        return self.principal(user_id=video.owner, username="alice")

    def tier(self, video_id: str) -> str:
        video = self.repos.get_video(video_id)
        assert video is not None and video.storage is not None
        return video.storage.tier.value

    def play_until_full(self, video_id: str) -> dict[str, Any]:
        owner = self.owner(video_id)

        def full() -> Any:
            status, body = self.service.playback(owner, video_id)
            return body if status == 200 and "quality" not in body else None

        done = wait_for(full, timeout=90, interval=1.0)
        assert done, "the video never played in full"
        return dict(done)


class _FailingAfter:
    """The media bucket, except that storage-class copies fail after `copies` of them succeeded."""

    def __init__(self, storage: Any, copies: int) -> None:
        self._storage = storage
        self._left = copies
        self.copied: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def set_storage_class(self, key: str, storage_class: str) -> None:
        if self._left <= 0:
            raise DependencyFailed(f"injected: S3 copy_object of {key} failed")
        self._left -= 1
        self._storage.set_storage_class(key, storage_class)
        self.copied.append((key, storage_class))


class _Gated:
    """The media bucket, except that the first storage-class copy waits until `gate` is set."""

    def __init__(self, storage: Any, gate: threading.Event, timeout: float = 60) -> None:
        self._storage = storage
        self._gate = gate
        self._timeout = timeout
        self.entered = threading.Event()
        self.copied: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def set_storage_class(self, key: str, storage_class: str) -> None:
        self.entered.set()
        assert self._gate.wait(self._timeout), "the gate was never opened"
        self._storage.set_storage_class(key, storage_class)
        self.copied.append(key)


def test_archive_play_archive_play_comes_back_in_full_each_round_from_the_same_url(
    local_cloud: Any, alice: Api, bob: Api, video_id: str
) -> None:
    # GIVEN a published video, its playback URL and its full master playlist
    ready = bob.call("GET", f"/videos/{video_id}/playback")
    assert (ready.status, ready.body["status"]) == (200, "READY")
    url = ready.body["playback_url"]
    full_master = _read(url)
    for round_number in (1, 2):
        # WHEN alice archives it
        archived = alice.call("POST", f"/videos/{video_id}/archive")
        # THEN it is cold: 720p in Glacier, 480p in Glacier IR (listed alone by the master)
        assert (archived.status, archived.body) == (200, {"video_id": video_id, "storage_tier": "cold"}), (
            round_number,
            archived.body,
        )
        assert set(_classes(local_cloud, f"renditions/{video_id}/720p/").values()) == {"GLACIER"}
        assert set(_classes(local_cloud, f"renditions/{video_id}/480p/").values()) == {"GLACIER_IR"}
        assert set(_classes(local_cloud, f"originals/{video_id}").values()) == {"GLACIER"}
        assert _variants(_read(url)) == ["480p/playlist.m3u8"]
        assert bob.call("GET", f"/videos/{video_id}").body["storage_tier"] == "cold"

        # WHEN bob plays it THEN low quality while restoring, then in full from the same URL
        low = bob.call("GET", f"/videos/{video_id}/playback")
        assert (low.status, low.body.get("quality"), low.body["playback_url"]) == (200, "low", url)
        assert bob.call("GET", f"/videos/{video_id}").body["storage_tier"] == "restoring"

        def in_full() -> Any:
            reply = bob.call("GET", f"/videos/{video_id}/playback")
            return reply if reply.status == 200 and "quality" not in reply.body else None

        done = wait_for(in_full, timeout=90, interval=1.0)
        assert done and done.body == {"video_id": video_id, "status": "READY", "playback_url": url}
        # THEN full quality at the end of the round, the record hot
        _assert_full_quality(local_cloud, video_id, _read(url), full_master)
        assert bob.call("GET", f"/videos/{video_id}").body["storage_tier"] == "hot"


def test_a_half_done_archive_is_finished_by_the_next_archive_or_play(
    local_cloud: Any, cloud_sdk_environment: Any, video_id: str
) -> None:
    plain = _Service(local_cloud)
    owner = plain.owner(video_id)
    master_key = plain.repos.get_video(video_id).playback.master_key  # type: ignore[union-attr]
    full_master = plain.storage.read(master_key).decode()

    # GIVEN an archive whose storage fails after two copies
    failing = _FailingAfter(plain.storage, copies=2)
    broken = _Service(local_cloud, storage=failing)
    # WHEN the owner archives THEN the request fails, two objects moved, the record says archiving
    with pytest.raises(DependencyFailed):
        broken.service.archive(owner, video_id)
    assert len(failing.copied) == 2
    assert plain.tier(video_id) == "archiving"
    # WHEN the owner asks again (storage working) THEN the archive is finished: cold, every class right
    assert plain.service.archive(owner, video_id) == {"video_id": video_id, "storage_tier": "cold"}
    assert plain.tier(video_id) == "cold"
    assert set(_classes(local_cloud, f"renditions/{video_id}/720p/").values()) == {"GLACIER"}
    assert set(_classes(local_cloud, f"renditions/{video_id}/480p/").values()) == {"GLACIER_IR"}
    assert set(_classes(local_cloud, f"originals/{video_id}").values()) == {"GLACIER"}
    # AND a play restores it in full
    plain.play_until_full(video_id)
    _assert_full_quality(local_cloud, video_id, plain.storage.read(master_key).decode(), full_master)

    # GIVEN another archive that fails after one copy
    with pytest.raises(DependencyFailed):
        _Service(local_cloud, storage=_FailingAfter(plain.storage, copies=1)).service.archive(owner, video_id)
    assert plain.tier(video_id) == "archiving"
    # WHEN a player asks THEN the archive is finished and the restore starts (low quality meanwhile)
    status, body = plain.service.playback(owner, video_id)
    assert (status, body["status"], body.get("quality")) == (200, "READY", "low")
    assert plain.tier(video_id) == "restoring"
    # AND asking again, it plays in full
    plain.play_until_full(video_id)
    _assert_full_quality(local_cloud, video_id, plain.storage.read(master_key).decode(), full_master)
    assert plain.tier(video_id) == "hot"


def test_a_second_request_while_one_moves_the_video_moves_nothing(
    local_cloud: Any, cloud_sdk_environment: Any, video_id: str
) -> None:
    plain = _Service(local_cloud)
    owner = plain.owner(video_id)
    # GIVEN an archive in progress, held inside its first storage-class copy
    gate = threading.Event()
    first = _Gated(plain.storage, gate)
    errors: list[BaseException] = []

    def archive_first() -> None:
        try:
            _Service(local_cloud, storage=first).service.archive(owner, video_id)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=archive_first)
    thread.start()
    try:
        assert first.entered.wait(60)
        # WHEN a second archive and a play arrive meanwhile
        second = _Gated(plain.storage, threading.Event(), timeout=5)
        with pytest.raises(Conflict) as refused:
            _Service(local_cloud, storage=second).service.archive(owner, video_id)
        status, body = _Service(local_cloud, storage=second).service.playback(owner, video_id)
        # THEN the archive is refused (409 tier_change_in_progress), the play waits, neither moved anything
        assert refused.value.code == "tier_change_in_progress"
        assert status in (200, 202) and body.get("retry_after", 0) >= 1 and body.get("quality") != "full"
        assert second.copied == [] and not second.entered.is_set()
    finally:
        gate.set()
        thread.join(90)
    # AND the first archive finishes alone
    assert errors == [] and plain.tier(video_id) == "cold"
    plain.play_until_full(video_id)


def test_a_play_of_a_partly_cold_video_restores_what_is_missing(
    local_cloud: Any, cloud_sdk_environment: Any, video_id: str
) -> None:
    from reelstack.clock import iso, utc_now
    from reelstack.domain.storage.storage_tiers import StorageState, Tier
    from reelstack.domain.videos import VideoStatus

    plain = _Service(local_cloud)
    owner = plain.owner(video_id)
    master_key = plain.repos.get_video(video_id).playback.master_key  # type: ignore[union-attr]
    full_master = plain.storage.read(master_key).decode()
    # GIVEN an archived video whose record says hot (what a half-done move used to leave behind)
    plain.service.archive(owner, video_id)
    hot = StorageState(Tier.HOT, iso(utc_now()), "out of step with its objects")
    assert plain.repos.update_video(video_id, [VideoStatus.PUBLISHED], iso(utc_now()), storage=hot.to_dict())
    # WHEN a player asks THEN it is not READY in full: the cold part is being restored
    status, body = plain.service.playback(owner, video_id)
    assert body.get("quality") == "low" or status == 202, body
    assert plain.tier(video_id) == "restoring"
    # AND asking again it plays in full
    plain.play_until_full(video_id)
    _assert_full_quality(local_cloud, video_id, plain.storage.read(master_key).decode(), full_master)


def test_the_nightly_tiering_leaves_a_video_alone_while_it_is_archiving(
    local_cloud: Any, cloud_sdk_environment: Any, video_id: str
) -> None:
    from reelstack.adapters.engagement.play_daily_stats import DailyStats
    from reelstack.services.storage.tiering import TieringService

    plain = _Service(local_cloud)
    owner = plain.owner(video_id)
    # GIVEN an archive that failed after one copy: the record says archiving
    with pytest.raises(DependencyFailed):
        _Service(local_cloud, storage=_FailingAfter(plain.storage, copies=1)).service.archive(owner, video_id)
    assert plain.tier(video_id) == "archiving"
    before = _classes(local_cloud, f"renditions/{video_id}/")
    # WHEN the nightly tiering runs over it
    plays = DailyStats(local_cloud.name("PlayDailyStatsTable"), local_cloud.region)
    outcome = TieringService(plain.storage, plain.repos, plays).run(plain.repos.get_video(video_id))  # type: ignore[arg-type]
    # THEN it is skipped: nothing moved, the record still archiving
    assert (outcome.skipped, outcome.moved_objects, outcome.dropped_objects) == ("archiving", 0, 0)
    assert _classes(local_cloud, f"renditions/{video_id}/") == before
    assert plain.tier(video_id) == "archiving"
    # AND a play finishes the archive and brings the video back in full
    plain.play_until_full(video_id)
    assert plain.tier(video_id) == "hot"


def test_an_archive_that_died_holding_the_lease_is_resumed_once_the_lease_runs_out(
    local_cloud: Any, cloud_sdk_environment: Any, video_id: str
) -> None:
    from datetime import timedelta

    from reelstack.clock import utc_now
    from reelstack.domain.storage.storage_tiers import state_of
    from reelstack.domain.storage.tier_transitions import TierEvent
    from reelstack.services.storage.tier_claims import TierClaims

    plain = _Service(local_cloud)
    owner = plain.owner(video_id)
    # GIVEN an archive that took the record (archiving, lease held) and died before moving anything
    video = plain.repos.get_video(video_id)
    assert video is not None
    claims = TierClaims(plain.repos, lease_seconds=60)
    held = claims.move(
        video_id, state_of(video.storage), TierEvent.ARCHIVE, utc_now(), hold=True, low_rendition="480p"
    )
    assert held is not None and plain.tier(video_id) == "archiving"
    # WHEN the owner archives again while the lease runs THEN 409, nothing moved
    with pytest.raises(Conflict):
        plain.service.archive(owner, video_id)
    assert set(_classes(local_cloud, f"renditions/{video_id}/").values()) == {"STANDARD"}
    # WHEN the owner archives once the lease has run out THEN the archive is finished
    later = _Service(local_cloud, clock=lambda: utc_now() + timedelta(seconds=61))
    assert later.service.archive(owner, video_id) == {"video_id": video_id, "storage_tier": "cold"}
    assert set(_classes(local_cloud, f"renditions/{video_id}/720p/").values()) == {"GLACIER"}
    assert set(_classes(local_cloud, f"renditions/{video_id}/480p/").values()) == {"GLACIER_IR"}
    # AND a play brings it back in full
    plain.play_until_full(video_id)
