"""Reclamation against the local cloud: a silent video's higher renditions leave its master playlist and
playback record, then S3; the lowest rendition stays and still plays through the CDN; a second night
drops nothing."""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.clock import utc_now
from reelstack.services.storage.tiering import TieringService
from tests.support.cloud_stores import media_storage, repositories
from tests.support.http import Api
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration

SILENT_FOR = timedelta(days=60)  # the tiering's clock runs this far ahead: no play since upload


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read()).decode()


def _variant_uris(master: str) -> list[str]:
    return [line for line in master.splitlines() if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def silent(
    alice: Api, tmp_path_factory: pytest.TempPathFactory, local_cloud: Any, cloud_sdk_environment: Any
) -> dict[str, Any]:
    """A published 6 s 720p video (ladder 720p, 480p), then a tiering run 60 days later, and a second."""
    from reelstack_tools.demo import make_test_video

    clip = make_test_video(tmp_path_factory.mktemp("reclaim") / "clip.mp4", 6)
    video_id = upload_bytes(alice, Path(clip).read_bytes(), title="nobody watches")
    published = wait_for_status(alice, video_id, timeout=180)
    assert published["status"] == "PUBLISHED", published
    storage = media_storage(local_cloud)
    repos = repositories(local_cloud)
    plays = DailyStats(local_cloud.name("PlayDailyStatsTable"), local_cloud.region)
    later = utc_now() + SILENT_FOR
    tiering = TieringService(storage, repos, plays, clock=lambda: later)
    master_before = _get(published["playback_url"])
    first = tiering.run(repos.get_video(video_id))
    after_first = repos.get_video(video_id)
    master_after = _get(published["playback_url"])
    second = tiering.run(after_first)
    return {
        "video_id": video_id,
        "storage": storage,
        "local_cloud": local_cloud,
        "published": published,
        "master_before": master_before,
        "master_after": master_after,
        "first": first,
        "second": second,
        "record": repos.get_video(video_id),
        "api": alice.call("GET", f"/videos/{video_id}").body,
    }


def test_the_higher_renditions_leave_the_master_the_record_and_s3(silent: dict[str, Any]) -> None:
    # GIVEN a video with a 720p and a 480p rendition, never played, 60 days on
    assert _variant_uris(silent["master_before"]) == ["720p/playlist.m3u8", "480p/playlist.m3u8"]
    # WHEN the tiering runs
    first = silent["first"]
    drops = [d for d in first.decisions if d["action"] == "drop"]
    # THEN it drops 720p (saying why) and keeps 480p, the instant fallback
    assert [d["key"].rstrip("/").rsplit("/", 1)[-1] for d in drops] == ["720p"], first.decisions
    assert drops[0]["reason"].startswith("drop: keeping costs")
    assert first.dropped_objects > 0
    # AND the master served through the CDN lists only 480p
    assert _variant_uris(silent["master_after"]) == ["480p/playlist.m3u8"]
    # AND neither the record nor the API offers 720p any more
    assert [r["name"] for r in silent["record"].playback.renditions] == ["480p"]
    assert [r["name"] for r in silent["api"]["renditions"]] == ["480p"]
    # AND its objects are gone from S3, the 480p ones are still there
    video_id, storage = silent["video_id"], silent["storage"]
    assert storage.list_objects(f"renditions/{video_id}/720p/") == []
    assert storage.list_objects(f"renditions/{video_id}/480p/")


def test_the_kept_rendition_still_plays_from_the_rewritten_master(silent: dict[str, Any]) -> None:
    # GIVEN the rewritten master WHEN its remaining variant is fetched through the CDN like a player does
    master_url = silent["published"]["playback_url"]
    variant_url = master_url.rsplit("/", 1)[0] + "/480p/playlist.m3u8"
    media = _get(variant_url)
    # THEN it is a finished media playlist (the master kept its public tag: the CDN served it)
    assert media.startswith("#EXTM3U") and "#EXT-X-ENDLIST" in media
    tags = (
        silent["local_cloud"]
        .client("s3")
        .get_object_tagging(Bucket=silent["storage"].bucket, Key=silent["record"].playback.master_key)[
            "TagSet"
        ]
    )
    assert {"Key": "visibility", "Value": "public"} in tags


def test_a_second_night_drops_nothing_and_leaves_the_master_alone(silent: dict[str, Any]) -> None:
    second = silent["second"]
    assert second.dropped_objects == 0
    assert not [d for d in second.decisions if d["action"] == "drop"]
    assert _variant_uris(_get(silent["published"]["playback_url"])) == ["480p/playlist.m3u8"]
