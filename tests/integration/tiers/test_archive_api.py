"""Manual archive and play-time restore on the local cloud (Glacier in moto, whose restores take a few
seconds here): the URLs never change; through the API (the default policy) the archived video keeps
its lowest rendition playing from Glacier IR while the rest restores; without a kept rendition
(in-process, the same service) a cold video answers 202 RESTORING; both play in full once restored."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from tests.support.cloud_stores import media_storage, repositories
from tests.support.http import Api, request
from tests.support.waiting import wait_for
from tests.support.workflow import published_720p_video

pytestmark = pytest.mark.integration


def _published(alice: Api, tmp_path_factory: pytest.TempPathFactory, title: str) -> str:
    return published_720p_video(alice, tmp_path_factory.mktemp("archive"), title)


@pytest.fixture(scope="module")
def video_id(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _published(alice, tmp_path_factory, "archive me")


def _classes(local_cloud: Any, prefix: str) -> set[str]:
    s3 = local_cloud.client("s3")
    listed = s3.list_objects_v2(Bucket=local_cloud.name("MediaBucket"), Prefix=prefix)
    return {str(item.get("StorageClass", "STANDARD")) for item in listed.get("Contents", [])}


def _cdn_status(url: str) -> int:
    return request("GET", url).status


def _read(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return bytes(response.read()).decode()


def _variants(master: str) -> list[str]:
    return [line for line in master.splitlines() if line and not line.startswith("#")]


def test_only_the_owner_archives_and_only_published_videos(bob: Api, video_id: str) -> None:
    # WHEN bob (not the owner) archives alice's video THEN 403; a missing video is a 404
    refused = bob.call("POST", f"/videos/{video_id}/archive")
    assert (refused.status, refused.body["code"]) == (403, "not_owner")
    missing = bob.call("POST", "/videos/0123456789abcdef0123456789abcdef/archive")
    assert (missing.status, missing.body["code"]) == (404, "video_not_found")


def test_an_archived_video_plays_low_while_restoring_then_in_full_and_keeps_its_urls(
    local_cloud: Any, alice: Api, bob: Api, video_id: str
) -> None:
    # GIVEN a published, playable video, its playback URL and master playlist
    ready = bob.call("GET", f"/videos/{video_id}/playback")
    assert (ready.status, ready.body["status"]) == (200, "READY")
    url = ready.body["playback_url"]
    full_master = _read(url)
    assert _variants(full_master) == ["720p/playlist.m3u8", "480p/playlist.m3u8"]
    folder = url.rsplit("/", 1)[0]

    # WHEN alice archives it (twice: idempotent)
    first = alice.call("POST", f"/videos/{video_id}/archive")
    again = alice.call("POST", f"/videos/{video_id}/archive")
    # THEN 720p and the original are in Glacier, 480p in Glacier IR, the record says cold
    assert first.status == again.status == 200 and first.body == {
        "video_id": video_id,
        "storage_tier": "cold",
    }
    assert _classes(local_cloud, f"renditions/{video_id}/720p/") == {"GLACIER"}
    assert _classes(local_cloud, f"renditions/{video_id}/480p/") == {"GLACIER_IR"}
    assert _classes(local_cloud, f"originals/{video_id}") == {"GLACIER"}
    record = bob.call("GET", f"/videos/{video_id}").body
    assert record["storage_tier"] == "cold" and record["playback_url"] == url
    # AND the same master URL now lists 480p alone, which plays; 720p cannot be read
    assert _variants(_read(url)) == ["480p/playlist.m3u8"]
    assert _cdn_status(f"{folder}/480p/playlist.m3u8") == 200
    assert _cdn_status(f"{folder}/720p/playlist.m3u8") == 403

    # WHEN a player asks to play it THEN 200 at low quality, with when to ask again; the restore began
    low = bob.call("GET", f"/videos/{video_id}/playback")
    assert (low.status, low.body["status"], low.body["quality"], low.body["rendition"]) == (
        200,
        "READY",
        "low",
        "480p",
    )
    assert low.body["playback_url"] == url
    assert int(low.headers["Retry-After"]) == low.body["retry_after"] >= 1
    assert bob.call("GET", f"/videos/{video_id}").body["storage_tier"] == "restoring"

    # THEN, asking again, the full ladder plays once S3 has restored it: same URL, full master, Standard
    def in_full() -> Any:
        reply = bob.call("GET", f"/videos/{video_id}/playback")
        return reply if "quality" not in reply.body else None

    done = wait_for(in_full, timeout=120, interval=1.0)  # S3's restore, polled through the API
    assert done and done.body == {"video_id": video_id, "status": "READY", "playback_url": url}
    assert "Retry-After" not in done.headers
    assert _read(url) == full_master
    assert _classes(local_cloud, f"renditions/{video_id}/") == {"STANDARD"}
    assert _classes(local_cloud, f"originals/{video_id}") == {"GLACIER"}  # playing does not need it
    assert _cdn_status(f"{folder}/720p/playlist.m3u8") == 200
    assert _cdn_status(f"{folder}/master.full.m3u8") in (403, 404)  # the kept copy is gone
    assert bob.call("GET", f"/videos/{video_id}").body["storage_tier"] == "hot"


def test_without_a_kept_rendition_a_cold_video_answers_202_until_restored(
    local_cloud: Any, cloud_sdk_environment: Any, alice: Api, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from reelstack.domain.identity import Principal
    from reelstack.services.storage.archive import ArchiveService

    # GIVEN a published video and the archive service with no kept rendition (in-process, real S3/DynamoDB)
    video_id = _published(alice, tmp_path_factory, "archive me whole")
    repos = repositories(local_cloud)
    storage = media_storage(local_cloud)
    service = ArchiveService(repos, storage, lambda key: f"cdn:{key}", keep_low_rendition=False)
    owner = Principal(user_id=repos.get_video(video_id).owner, username="alice")  # type: ignore[union-attr]
    # WHEN the owner archives it THEN every rendition and the master are in Glacier (poster stays)
    service.archive(owner, video_id)
    record = repos.get_video(video_id)
    assert record is not None and record.playback is not None
    assert _classes(local_cloud, f"renditions/{video_id}/720p/") == {"GLACIER"}
    assert _classes(local_cloud, f"renditions/{video_id}/480p/") == {"GLACIER"}
    assert storage.restore_state(record.playback.master_key).storage_class == "GLACIER"
    # WHEN a player asks THEN 202 RESTORING; asking again, 200 READY once restored, master included
    status, body = service.playback(owner, video_id)
    assert (status, body["status"]) == (202, "RESTORING") and body["retry_after"] >= 1
    done = wait_for(lambda: (reply := service.playback(owner, video_id))[0] == 200 and reply, timeout=120)
    assert done and done[1] == {
        "video_id": video_id,
        "status": "READY",
        "playback_url": f"cdn:{record.playback.master_key}",
    }
    assert _classes(local_cloud, f"renditions/{video_id}/") == {"STANDARD"}
    assert storage.read(record.playback.master_key).startswith(b"#EXTM3U")
