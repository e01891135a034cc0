"""The creator's and the reviewer's views in a real browser: a video held for review is listed in its
creator's videos with its stages, and a reviewer approves it from the queue, looking at its flagged
frames; the workflow then publishes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.waiting import wait_for
from tests.support.workflow import MiB, upload_bytes, wait_for_status

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def held_video(local_cloud: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A portrait clip uploaded by `web-hana`, held for review (the session's policy holds faces)."""
    from reelstack_tools.demo_media import photo_clip

    clip, _ = photo_clip(tmp_path_factory.mktemp("web-review") / "portrait.mp4")
    creator = Api(local_cloud.api_url, local_cloud.token("web-hana"))
    video_id = upload_bytes(creator, clip.read_bytes(), title="Portrait for review", chunk_size=8 * MiB)
    assert (
        wait_for_status(creator, video_id, ("IN_REVIEW", "PUBLISHED", "REJECTED", "FAILED"))["status"]
        == "IN_REVIEW"
    )
    return video_id


def test_the_creator_sees_her_held_video_with_its_stages(
    scenario: Any, held_video: str, screenshots: Path | None
) -> None:
    # GIVEN a creator whose video waits for a reviewer
    # WHEN she opens her videos and then that video
    shot = str(screenshots / "web-creator.png") if screenshots else None
    result = scenario("creator", user="web-hana", videoId=held_video, screenshot=shot)
    # THEN it is listed first (newest) with its status, and its detail shows the stages it went through
    assert result["rows"][0] == held_video
    assert result["listed"][:2] == ["Portrait for review", "IN_REVIEW"]
    assert result["url"].endswith(f"#/videos/{held_video}") and result["status"] == "IN_REVIEW"
    assert result["stages"] == [
        [stage, "succeeded"] for stage in ("Admit", "Probe", "Plan", "Transcode", "Moderate")
    ]
    assert not result["archive"]  # only a published video can be archived
    assert result["problems"] == []


def test_a_reviewer_approves_a_held_video_from_the_queue_and_it_is_published(
    scenario: Any, local_cloud: Any, held_video: str, screenshots: Path | None
) -> None:
    # GIVEN a video held because a face was seen in it
    # WHEN a reviewer opens the queue and approves it
    shot = str(screenshots / "web-review.png") if screenshots else None
    result = scenario("review", user="web-reviewer", videoId=held_video, screenshot=shot)
    # THEN the queue showed why (the model's reason) and the flagged frames, each image loaded
    assert any("FACE" in reason for reason in result["reasons"]), result["reasons"]
    assert result["frames"] and all(
        frame["width"] > 0 and "FACE" in frame["alt"] for frame in result["frames"]
    )
    assert result["note"].startswith("Approved")
    # AND the held workflow resumes and publishes the video
    creator = Api(local_cloud.api_url, local_cloud.token("web-hana"))
    video = wait_for_status(creator, held_video)
    assert video["status"] == "PUBLISHED"
    assert video["moderation"]["review"]["decision"] == "approve"
    assert result["problems"] == []


def test_an_operator_sees_the_videos_execution_with_its_states_and_the_feeds_health(
    scenario: Any, local_cloud: Any, held_video: str, screenshots: Path | None
) -> None:
    # GIVEN the held video's execution, finished once a reviewer decided
    operator = Api(local_cloud.api_url, local_cloud.token("web-olga", roles=("operator",)))

    def finished() -> dict[str, Any] | None:
        reply = operator.call("GET", f"/ops/executions?video={held_video}")
        assert reply.status == 200, reply.body
        (execution,) = reply.body["items"]
        return execution if execution["status"] != "RUNNING" else None

    execution = wait_for(finished, timeout=240)
    assert execution, "the held video's execution did not finish"
    # WHEN an operator opens the operator page
    shot = str(screenshots / "web-operator.png") if screenshots else None
    result = scenario("operator", user="web-olga", videoId=held_video, screenshot=shot)
    # THEN the page lists the execution with its status and every state Step Functions recorded, in order,
    # each with a bar on the execution's time scale
    assert result["listed"] == 1 and result["status"] == execution["status"]
    assert result["states"] == [[state["name"], state["outcome"]] for state in execution["states"]]
    assert result["bars"] == len(execution["states"])
    assert "Moderate" in [name for name, _ in result["states"]]
    assert result["stillOpen"]  # the list the operator opened stays open across the page's refresh
    # AND the feed's switches are shown, all four, and the mode line says which mode the feed is in
    assert sorted(level for level, _ in result["switches"]) == sorted(
        ["realtime_stale", "search_unhealthy", "overload", "ranker_down"]
    )
    assert result["mode"].startswith("Feed mode:")
    assert "Operations" in result["navigation"]
    assert result["problems"] == []
