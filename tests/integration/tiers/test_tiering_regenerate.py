"""Regeneration against the local cloud: a silent video's 720p is reclaimed; when plays come back past
the break-even, the nightly run (restoring the archived original first, if it was archived) starts the
heat workflow with `codec: h264`, which makes 720p again from the original, lists it in the master
playlist again and takes it off the record's reclaimed list (before: reclaimed rungs were never made
again)."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pynamodb.connection import Connection

from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.media.workflow import StepFunctionsWorkflow
from reelstack.clock import utc_now
from reelstack.domain.engagement.plays import DailyDelta
from reelstack.services.media.heat_start import HeatStarter
from reelstack.services.storage.tiering import TieringService
from tests.support.cloud_stores import media_storage, repositories
from tests.support.http import Api
from tests.support.waiting import wait_for
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration

SILENT_FOR = timedelta(days=60)
PLAYS_BACK = 40  # plays on each of the last two days: well past the break-even (a few plays)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read()).decode()


def _variant_uris(master: str) -> list[str]:
    return [line for line in master.splitlines() if line and not line.startswith("#")]


def test_a_reclaimed_rendition_is_made_again_when_plays_come_back(
    alice: Api, tmp_path: Path, local_cloud: Any, cloud_sdk_environment: Any
) -> None:
    from reelstack_tools.demo import make_test_video

    clip = make_test_video(tmp_path / "clip.mp4", 6)
    video_id = upload_bytes(alice, Path(clip).read_bytes(), title="comes back")
    published = wait_for_status(alice, video_id, timeout=180)
    assert published["status"] == "PUBLISHED", published
    repos, storage = repositories(local_cloud), media_storage(local_cloud)
    sfn = local_cloud.client("stepfunctions")
    later = utc_now() + SILENT_FOR
    starter = HeatStarter(
        StepFunctionsWorkflow(local_cloud.arn("HeatStateMachine"), sfn=sfn), clock=lambda: later
    )
    daily = DailyStats(
        local_cloud.name("PlayDailyStatsTable"),
        local_cloud.region,
        connection=Connection(region=local_cloud.region),
    )
    tiering = TieringService(storage, repos, daily, start_reencode=starter, clock=lambda: later)
    # GIVEN a silent video whose 720p the nightly run reclaimed (480p kept as the instant fallback)
    assert tiering.run(repos.get_video(video_id)).dropped_objects > 0
    record = repos.get_video(video_id)
    assert record is not None and record.playback is not None
    assert [r["name"] for r in record.playback.reclaimed] == ["720p"]
    assert _variant_uris(_get(published["playback_url"])) == ["480p/playlist.m3u8"]
    # WHEN plays come back (the last two days)
    today = datetime.now(UTC).date()
    for day in (today - timedelta(days=1), today):
        added = daily.add(
            [
                DailyDelta(
                    video_id, day.isoformat(), PLAYS_BACK, PLAYS_BACK * 6000, (f"back-{video_id}-{day}",)
                )
            ]
        )
        assert added.applied, added.errors
    # AND the nightly runs go on (the first may only restore the original, if the ROI had archived it)
    outcomes = []
    for _ in range(2):
        outcome = tiering.run(repos.get_video(video_id))
        outcomes.append(
            outcome.regeneration or {"reencode": outcome.reencode, "decisions": outcome.decisions}
        )
        if outcome.regeneration and outcome.regeneration.get("execution"):
            break
    started = outcomes[-1]
    # THEN regeneration is decided past the break-even (a high-heat re-encode the ROI may want too waits
    # for the ladder) and the heat workflow runs with codec h264
    assert started is not None and started.get("action") == "regenerate", outcomes
    assert started["numbers"]["plays_on_missing"] >= started["numbers"]["break_even_plays"]
    machine = local_cloud.arn("HeatStateMachine")
    execution = f"{machine.replace(':stateMachine:', ':execution:')}:{started['execution']}"

    def ended() -> str | None:
        status = str(sfn.describe_execution(executionArn=execution)["status"])
        return None if status == "RUNNING" else status

    assert wait_for(ended, timeout=240, interval=2) == "SUCCEEDED", sfn.describe_execution(
        executionArn=execution
    )
    # AND 720p is back: in the master served through the CDN, playable, and no longer reclaimed
    master = _get(published["playback_url"])
    assert sorted(_variant_uris(master)) == ["480p/playlist.m3u8", "720p/playlist.m3u8"], master
    playlist_url = published["playback_url"].rsplit("/", 1)[0] + "/720p/playlist.m3u8"
    assert "#EXTINF" in _get(playlist_url)
    regenerated = repos.get_video(video_id)
    assert regenerated is not None and regenerated.playback is not None
    assert regenerated.playback.reclaimed == ()
    entry = next(r for r in regenerated.playback.renditions if r["name"] == "720p")
    assert entry["codec"] == "h264"
    # AND the next night has nothing left to regenerate
    assert tiering.run(regenerated).regeneration is None
