"""Human review on the local cloud: a held video waits IN_REVIEW until a reviewer decides; only
reviewers see the queue and decide; the decision resumes the workflow (publish or reject).

The session's cloud runs the demo's moderation policy, which holds any face for review; the clip shows
NASA's public-domain portrait of an astronaut between test patterns.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest

from reelstack_tools.demo_media import photo_clip
from tests.support.http import Api
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path, _ = photo_clip(tmp_path_factory.mktemp("review") / "portrait.mp4")
    return path.read_bytes()


@pytest.fixture(scope="module")
def reviewer(local_cloud: Any) -> Api:
    return Api(local_cloud.api_url, local_cloud.token("rita", roles=["reviewer"]))


@pytest.fixture(scope="module")
def held(alice: Api, reviewer: Api, clip: bytes) -> dict[str, dict[str, Any]]:
    """Uploads of the clip, each held for review: alice's to approve and to reject, and one of the
    reviewer's own."""
    ids = {name: upload_bytes(alice, clip, title=f"portrait {name}") for name in ("approve", "reject")}
    ids["own"] = upload_bytes(reviewer, clip, title="portrait of my own")
    owners = {"approve": alice, "reject": alice, "own": reviewer}
    statuses = ("IN_REVIEW", "PUBLISHED", "REJECTED", "FAILED")
    return {name: wait_for_status(owners[name], video_id, statuses) for name, video_id in ids.items()}


def _queue(api: Api) -> dict[str, Any]:
    reply = api.call("GET", "/moderation/queue?limit=50")
    assert reply.status == 200, reply.body
    return reply.body


def _cdn_url(local_cloud: Any, media_bucket: str, video_id: str) -> str:
    """Where the master playlist would be served from (the local CloudFront stand-in)."""
    return f"{local_cloud.aws_endpoint}/_cdn/{media_bucket}/renditions/{video_id}/master.m3u8"


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_flagged_video_waits_in_review_with_its_reasons(
    held: dict[str, dict[str, Any]], local_cloud: Any, media_bucket: str
) -> None:
    # GIVEN a clip in which the model finds a face WHEN the workflow moderates it
    for video in held.values():
        # THEN it is IN_REVIEW (not published), with the model's verdict and why
        assert video["status"] == "IN_REVIEW", video
        assert video["moderation"]["decision"] == "review"
        assert any("FACE_FEMALE" in reason for reason in video["moderation"]["reasons"])
        assert "playback_url" not in video
        # AND its renditions exist but the CDN does not serve them: nothing plays before a decision
        assert _http_status(_cdn_url(local_cloud, media_bucket, video["video_id"])) == 403


def test_only_reviewers_see_the_queue(alice: Api, reviewer: Api, held: dict[str, dict[str, Any]]) -> None:
    # GIVEN held videos WHEN a non-reviewer asks for the queue THEN 403 with a code
    refused = alice.call("GET", "/moderation/queue")
    assert (refused.status, refused.body["code"]) == (403, "reviewer_only")
    # WHEN a reviewer asks THEN both videos are listed with links to the frames that held them
    items = {item["video_id"]: item for item in _queue(reviewer)["items"]}
    for video in held.values():
        item = items[video["video_id"]]
        assert item["title"] == video["title"] and item["reasons"]
        assert item["flagged_frames"], item
        frame = item["flagged_frames"][0]
        assert frame["label"] == "FACE_FEMALE" and frame["score"] >= 0.5
        with urllib.request.urlopen(frame["url"], timeout=60) as response:
            assert response.read(3) == b"\xff\xd8\xff"  # a JPEG


def test_the_held_video_plays_through_a_signed_link_for_its_owner_and_reviewers(
    alice: Api, reviewer: Api, held: dict[str, dict[str, Any]], local_cloud: Any, media_bucket: str
) -> None:
    video = held["approve"]
    prefix = f"renditions/{video['video_id']}/"
    # GIVEN a held video, which the public CDN path refuses WHEN a reviewer reads the queue
    (item,) = [i for i in _queue(reviewer)["items"] if i["video_id"] == video["video_id"]]
    # THEN its item links to the whole video on the private distribution's path, signed for an hour
    preview = item["preview"]
    assert f"/_cdn-signed/{media_bucket}/{prefix}master.m3u8?" in preview["url"]
    assert set(preview["cookies"]) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    with urllib.request.urlopen(preview["url"], timeout=60) as response:
        master = response.read().decode()
    assert master.startswith("#EXTM3U")
    # AND the same query signs the playlists the master names (a player appends it to each request)
    variant = next(line for line in master.splitlines() if line and not line.startswith("#"))
    variant_url = f"{preview['url'].split('?', 1)[0].rsplit('/', 1)[0]}/{variant}"
    with urllib.request.urlopen(f"{variant_url}?{preview['query']}", timeout=60) as response:
        assert response.read(7) == b"#EXTM3U"
    # AND without it, or with another video's path, the private path refuses as CloudFront does
    assert _http_status(variant_url) == 403
    other = preview["url"].replace(video["video_id"], held["reject"]["video_id"])
    assert _http_status(other) == 403
    # AND its owner sees a link too; someone else does not even see the video
    owner_view = alice.call("GET", f"/videos/{video['video_id']}").body
    assert f"{prefix}master.m3u8" in owner_view["preview"]["url"]
    assert reviewer.call("GET", f"/videos/{video['video_id']}").status == 404
    # AND the public CDN path still refuses it
    assert _http_status(_cdn_url(local_cloud, media_bucket, video["video_id"])) == 403


def test_only_reviewers_decide_and_bad_decisions_are_refused(
    alice: Api, reviewer: Api, held: dict[str, dict[str, Any]]
) -> None:
    video_id = held["approve"]["video_id"]
    # GIVEN a held video WHEN its owner tries to approve it THEN 403
    assert alice.call("POST", f"/moderation/{video_id}/decision", {"decision": "approve"}).status == 403
    # WHEN a reviewer sends a decision that is not one THEN 400 with a code, and the video still waits
    for body in ({"decision": "maybe"}, {}, {"decision": "approve", "extra": 1}, [1]):
        reply = reviewer.call("POST", f"/moderation/{video_id}/decision", body)
        assert (reply.status, reply.body["code"]) in ((400, "invalid_decision"), (400, "invalid_body")), body
    assert alice.call("GET", f"/videos/{video_id}").body["status"] == "IN_REVIEW"
    # AND a decision on a video that is not waiting is 404
    unknown = reviewer.call("POST", "/moderation/nosuchvideo/decision", {"decision": "approve"})
    assert (unknown.status, unknown.body["code"]) == (404, "not_in_review")


def test_reviewers_do_not_decide_on_their_own_videos(reviewer: Api, held: dict[str, dict[str, Any]]) -> None:
    # GIVEN a reviewer's own held video WHEN they try to approve it THEN 403 own_video
    reply = reviewer.call("POST", f"/moderation/{held['own']['video_id']}/decision", {"decision": "approve"})
    assert (reply.status, reply.body["code"]) == (403, "own_video")


def test_an_approved_video_is_published(alice: Api, reviewer: Api, held: dict[str, dict[str, Any]]) -> None:
    video_id = held["approve"]["video_id"]
    # GIVEN a held video WHEN a reviewer approves it
    reply = reviewer.call(
        "POST", f"/moderation/{video_id}/decision", {"decision": "approve", "reason": "a portrait"}
    )
    assert reply.status == 200, reply.body
    # THEN the workflow resumes and publishes it, recording who decided and why
    video = wait_for_status(alice, video_id)
    assert video["status"] == "PUBLISHED", video
    review = video["moderation"]["review"]
    assert (video["moderation"]["decision"], review["decision"], review["reason"]) == (
        "approve",
        "approve",
        "a portrait",
    )
    assert "reviewer" not in review  # who reviewed stays internal
    assert _http_status(video["playback_url"]) == 200
    # AND others see the published video, but not its moderation, timeline or review notes
    public = reviewer.call("GET", f"/videos/{video_id}").body
    assert public["status"] == "PUBLISHED" and public["playback_url"] == video["playback_url"]
    assert not {"moderation", "timeline", "failure"} & set(public)
    # AND it has left the queue; deciding again is 404
    assert video_id not in {item["video_id"] for item in _queue(reviewer)["items"]}
    again = reviewer.call("POST", f"/moderation/{video_id}/decision", {"decision": "reject"})
    assert (again.status, again.body["code"]) == (404, "not_in_review")


def test_a_rejected_video_is_removed_from_playback(
    alice: Api, reviewer: Api, held: dict[str, dict[str, Any]], cloud_s3: Any, media_bucket: str
) -> None:
    video_id = held["reject"]["video_id"]
    # GIVEN a held video WHEN a reviewer rejects it
    reply = reviewer.call(
        "POST", f"/moderation/{video_id}/decision", {"decision": "reject", "reason": "not ok"}
    )
    assert reply.status == 200, reply.body
    # THEN it is REJECTED, its renditions are gone, its original is kept (an appeal can re-run it)
    video = wait_for_status(alice, video_id)
    assert (video["status"], video["moderation"]["decision"]) == ("REJECTED", "reject")
    listed = cloud_s3.list_objects_v2(Bucket=media_bucket, Prefix=f"renditions/{video_id}/")
    assert listed.get("KeyCount", 0) == 0
    assert cloud_s3.head_object(Bucket=media_bucket, Key=f"originals/{video_id}")["ContentLength"] > 0
    # AND nobody but its owner can read it
    assert reviewer.call("GET", f"/videos/{video_id}").status == 404
