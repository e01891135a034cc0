"""Manual archive and play-time restore through the API of the local cloud (Glacier in moto, whose
restores take a few seconds here): the URLs never change, a cold video answers 202 RESTORING and
plays again once restored."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api, request
from tests.support.waiting import wait_for
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def video_id(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PUBLISHED video of alice's."""
    from reelstack_tools.demo_media import three_scene_clip

    clip = Path(three_scene_clip(tmp_path_factory.mktemp("archive") / "scenes.mp4", scene_seconds=1.0))
    video = upload_bytes(alice, clip.read_bytes(), title="archive me")
    assert wait_for_status(alice, video, timeout=180).get("status") == "PUBLISHED"
    return video


def _classes(local_cloud: Any, prefix: str) -> set[str]:
    s3 = local_cloud.client("s3")
    listed = s3.list_objects_v2(Bucket=local_cloud.name("MediaBucket"), Prefix=prefix)
    return {str(item.get("StorageClass", "STANDARD")) for item in listed.get("Contents", [])}


def _cdn_status(url: str) -> int:
    return request("GET", url).status


def test_only_the_owner_archives_and_only_published_videos(bob: Api, video_id: str) -> None:
    # WHEN bob (not the owner) archives alice's video THEN 403; a missing video is a 404
    refused = bob.call("POST", f"/videos/{video_id}/archive")
    assert (refused.status, refused.body["code"]) == (403, "not_owner")
    missing = bob.call("POST", "/videos/0123456789abcdef0123456789abcdef/archive")
    assert (missing.status, missing.body["code"]) == (404, "video_not_found")


def test_an_archived_video_restores_when_played_and_keeps_its_urls(
    local_cloud: Any, alice: Api, bob: Api, video_id: str
) -> None:
    # GIVEN a published, playable video and its playback URL
    ready = bob.call("GET", f"/videos/{video_id}/playback")
    assert (ready.status, ready.body["status"]) == (200, "READY")
    url = ready.body["playback_url"]
    assert _cdn_status(url) == 200

    # WHEN alice archives it (twice: idempotent)
    first = alice.call("POST", f"/videos/{video_id}/archive")
    again = alice.call("POST", f"/videos/{video_id}/archive")
    # THEN its renditions and original are in Glacier, the CDN cannot serve it, the record says cold
    assert first.status == again.status == 200 and first.body == {
        "video_id": video_id,
        "storage_tier": "cold",
    }
    assert _classes(local_cloud, f"renditions/{video_id}/") == {"GLACIER"}
    assert _classes(local_cloud, f"originals/{video_id}") == {"GLACIER"}
    assert _cdn_status(url) == 403
    record = bob.call("GET", f"/videos/{video_id}").body
    assert record["storage_tier"] == "cold" and record["playback_url"] == url

    # WHEN a player asks to play it THEN 202 RESTORING with a Retry-After, and the restore has begun
    restoring = bob.call("GET", f"/videos/{video_id}/playback")
    assert (restoring.status, restoring.body["status"]) == (202, "RESTORING")
    assert int(restoring.headers["Retry-After"]) == restoring.body["retry_after"] >= 1
    assert bob.call("GET", f"/videos/{video_id}").body["storage_tier"] == "restoring"

    # THEN, asking again, it plays once S3 has restored it: same URL, back in Standard, the CDN serves it
    def played() -> Any:
        reply = bob.call("GET", f"/videos/{video_id}/playback")
        return reply if reply.status == 200 else None

    done = wait_for(played, timeout=60, interval=1.0)
    assert done and done.body == {"video_id": video_id, "status": "READY", "playback_url": url}
    assert _classes(local_cloud, f"renditions/{video_id}/") == {"STANDARD"}
    assert _classes(local_cloud, f"originals/{video_id}") == {"GLACIER"}  # playing does not need it
    assert _cdn_status(url) == 200
    with urllib.request.urlopen(url) as response:
        assert response.read().startswith(b"#EXTM3U")
    assert bob.call("GET", f"/videos/{video_id}").body["storage_tier"] == "hot"
