"""The web app in a real browser (Debian's Chromium through playwright-core), against the session's
local cloud: sign-in, an upload followed to PUBLISHED, the feed playing, a like that survives a reload,
and an upload resumed after a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.workflow import MiB, upload_bytes, wait_for_status

pytestmark = pytest.mark.e2e

SEGMENT_S = 2.0  # the rendition ladder's segment length (RenditionSpec `segment=2`)


def test_a_user_signs_in_through_the_local_issuer_and_the_api_takes_the_apps_token(scenario: Any) -> None:
    # GIVEN the app at the API's URL and nobody signed in
    # WHEN a reviewer signs in with the app's button and the issuer's form (code flow with PKCE)
    result = scenario("sign-in", user="web-rita", reviewer=True)
    # THEN the sign-in view was shown first, and the view asked for is shown after it
    assert result["signInShown"]
    assert result["url"].endswith("#/upload") and result["heading"] == "Upload a video"
    # AND the token the app holds is an ID token of the local issuer for her, in the reviewer group,
    # which the API accepts
    assert (result["claims"]["cognito:username"], result["claims"]["token_use"]) == ("web-rita", "id")
    assert result["claims"]["cognito:groups"] == ["reviewer"]
    assert result["apiStatus"] == 200
    # AND reviewers get the review queue in the navigation
    assert "Review" in result["nav"]
    assert result["problems"] == []


def test_an_upload_in_the_browser_is_followed_to_published(
    scenario: Any, local_cloud: Any, clip_8s: Path, screenshots: Path | None
) -> None:
    # GIVEN a generated 8 s clip
    # WHEN a creator uploads it in the upload view with a title and tags, in 1 MiB chunks
    shot = str(screenshots / "web-upload.png") if screenshots else None
    result = scenario("upload", user="web-carla", file=str(clip_8s), title="Browser clip", tags="cats, e2e",
                      chunkSize=MiB, screenshot=shot)  # fmt: skip
    # THEN the progress bar went up to 100 % over every chunk
    chunks = -(-clip_8s.stat().st_size // MiB)
    assert result["parts"] == f"{chunks}/{chunks}"
    assert result["progress"] and max(result["progress"]) == 100
    assert result["progress"] == sorted(result["progress"])
    # AND the view followed the video to PUBLISHED, with every stage of the pipeline succeeded
    assert result["status"] == "PUBLISHED", result
    assert [stage for stage, _ in result["stages"]] == [
        "Admit",
        "Probe",
        "Plan",
        "Transcode",
        "Moderate",
        "Publish",
    ]
    assert {outcome for _, outcome in result["stages"]} == {"succeeded"}
    # AND the API agrees, and S3 holds the file byte for byte
    video = (
        Api(local_cloud.api_url, local_cloud.token("web-carla"))
        .call("GET", f"/videos/{result['videoId']}")
        .body
    )
    assert (video["status"], video["title"], video["tags"]) == ("PUBLISHED", "Browser clip", ["cats", "e2e"])
    original = local_cloud.client("s3").get_object(
        Bucket=local_cloud.name("MediaBucket"), Key=f"originals/{result['videoId']}"
    )
    assert original["Body"].read() == clip_8s.read_bytes()
    assert result["problems"] == []


@pytest.fixture(scope="module")
def published_pair(local_cloud: Any, clip_8s: Path) -> list[str]:
    """Two published 8 s videos of another creator (uploaded through the API), for a viewer's feed."""
    creator = Api(local_cloud.api_url, local_cloud.token("web-paula"))
    data = clip_8s.read_bytes()
    ids = [
        upload_bytes(creator, data, title=f"Feed clip {n}", chunk_size=8 * MiB, tags=["web"]) for n in (1, 2)
    ]
    for video_id in ids:
        assert wait_for_status(creator, video_id)["status"] == "PUBLISHED"
    return ids


def test_the_feed_plays_preloads_the_next_video_and_keeps_a_like_across_a_reload(
    scenario: Any, published_pair: list[str], screenshots: Path | None
) -> None:
    # GIVEN published videos, and a viewer who opens one of them in the feed
    shots = (
        {
            "screenshot": str(screenshots / "web-feed.png"),
            "desktopScreenshot": str(screenshots / "web-feed-desktop.png"),
        }
        if screenshots
        else {}
    )
    result = scenario("feed", user="web-viewer", videoId=published_pair[0], **shots)
    # THEN it plays muted (autoplay) at once: its clock advances about a second per second
    watch = result["watch"]
    assert (watch["first"]["paused"], watch["first"]["muted"]) == (False, True)
    assert 0.6 <= watch["second"]["currentTime"] - watch["first"]["currentTime"] <= 1.6, watch
    assert watch["first"]["height"] in (480, 720) and watch["first"]["rendition"] in ("480p", "720p")
    # AND nothing moved when the video loaded: the 9:16 frame had its size before the first frame, and
    # Chromium scored no layout shift; on a desktop the frame is the window's height, the actions beside it
    layout = result["layout"]
    assert layout["frameBefore"] == layout["frameAfter"] and layout["layoutShift"] == 0, layout
    assert layout["frameBefore"]["width"] == pytest.approx(390, abs=1)
    desktop = layout["desktopFrame"]
    assert desktop["height"] == pytest.approx(800, abs=1) and desktop["width"] == pytest.approx(
        800 * 9 / 16, abs=1
    )
    rail = layout["desktopRail"]
    assert desktop["x"] <= rail["x"] and rail["x"] + rail["width"] <= desktop["x"] + desktop["width"]
    # AND the next video of the feed is pre-loaded to about half its length, no more, and not playing
    nxt = result["next"]
    assert nxt is not None, "the feed had no video after the one opened"
    (start, end), *_ = nxt["ranges"]
    assert start == pytest.approx(0, abs=0.1) and nxt["paused"] and nxt["currentTime"] == 0
    assert nxt["target"] - SEGMENT_S <= end <= nxt["target"] + SEGMENT_S + 0.1, nxt
    # AND the arrow key moves to it, and it plays
    moved = result["moved"]
    assert moved["first"]["videoId"] == nxt["videoId"] and moved["url"].endswith(f"#/watch/{nxt['videoId']}")
    assert moved["second"]["currentTime"] - moved["first"]["currentTime"] >= 0.6
    # WHEN the viewer likes the first video THEN the count moves by one at once
    like = result["like"]
    assert like["pressed"] == "true"
    # AND after a reload the durable count and the viewer's like are shown
    assert (like["afterReload"], like["pressedAfterReload"]) == (like["before"] + 1, "true"), like
    assert result["problems"] == []


def test_an_upload_interrupted_by_a_reload_resumes_with_the_missing_chunks_only(
    scenario: Any, local_cloud: Any, clip_8s: Path
) -> None:
    # GIVEN an upload in 256 KiB chunks whose connection drops after 4 chunks (the rest are held), and
    # a reload of the page mid-way
    storage = local_cloud.aws_endpoint
    result = scenario("resume", user="web-rene", file=str(clip_8s), title="Resumed in the browser",
                      chunkSize=256 * 1024, allow=4, storageOrigin=storage)  # fmt: skip
    (pending,) = result["pending"]
    chunks = pending["chunk_count"]
    assert chunks == -(-clip_8s.stat().st_size // (256 * 1024))
    assert sorted(result["storedBeforeReload"]) == [1, 2, 3, 4] and result["heldBeforeReload"] >= 1
    # THEN after the reload the page lists the interrupted upload
    assert len(result["listed"]) == 1 and "Resumed in the browser" in result["listed"][0]
    # WHEN the same file is picked again THEN only the chunks the API lacked are sent, each once
    assert sorted(result["resumedParts"]) == list(range(5, chunks + 1))
    assert result["leftInStorage"] == []
    # AND the video is published from a byte-identical original
    api = Api(local_cloud.api_url, local_cloud.token("web-rene"))
    assert wait_for_status(api, pending["video_id"])["status"] == "PUBLISHED"
    original = local_cloud.client("s3").get_object(
        Bucket=local_cloud.name("MediaBucket"), Key=f"originals/{pending['video_id']}"
    )
    assert original["Body"].read() == clip_8s.read_bytes()
    assert result["problems"] == []
