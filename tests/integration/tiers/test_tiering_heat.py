"""The nightly tiering starts the high-heat workflow on the local cloud: a published video played enough
that the ROI decides REENCODE gets one heat execution (named for video, codec and night), and its master
playlist gains the HEVC twins; running again starts no other; a dry run starts none."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pynamodb.connection import Connection

from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.media.workflow import StepFunctionsWorkflow
from reelstack.adapters.repositories import Repositories
from reelstack.domain.engagement.plays import DailyDelta
from reelstack.domain.storage.storage_costs import Codec
from reelstack.domain.videos import published_bucket
from reelstack.services.media.heat_start import HeatStarter
from reelstack.services.storage.tiering import TieringOutcome, TieringService
from reelstack_tools.demo_media import three_scene_clip
from tests.support.cloud_stores import media_storage, repositories
from tests.support.http import Api
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration

PLAYS_TODAY = 200_000  # a rising video: egress saved by HEVC twins beats their compute many times over


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read()).decode()


def _heat_executions(local_cloud: Any, video_id: str) -> list[dict[str, Any]]:
    sfn = local_cloud.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=local_cloud.arn("HeatStateMachine"))
    return [e for page in pages for e in page["executions"] if e["name"].startswith(f"{video_id}-")]


def _wait_for_execution(local_cloud: Any, arn: str, timeout: float = 300) -> dict[str, Any]:
    sfn, deadline = local_cloud.client("stepfunctions"), time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the heat execution did not finish"
        time.sleep(0.5)
    return dict(described)


@pytest.fixture(scope="module")
def rising(
    alice: Api, tmp_path_factory: pytest.TempPathFactory, local_cloud: Any, cloud_sdk_environment: Any
) -> dict[str, Any]:
    """A published 6 s 720p clip with audio (ladder 720p + 480p), played PLAYS_TODAY times today."""
    clip = three_scene_clip(tmp_path_factory.mktemp("tiering-heat") / "clip.mp4", size="1280x720")
    video_id = upload_bytes(alice, clip.read_bytes(), title="rising fast")
    video = wait_for_status(alice, video_id, timeout=240)
    assert video["status"] == "PUBLISHED", video
    daily = DailyStats(
        local_cloud.name("PlayDailyStatsTable"),
        local_cloud.region,
        connection=Connection(region=local_cloud.region),
    )
    today = datetime.now(UTC).date().isoformat()
    seeded = daily.add([DailyDelta(video_id, today, PLAYS_TODAY, PLAYS_TODAY * 6000, (f"seed-{video_id}",))])
    assert seeded.applied, seeded.errors
    return video


@pytest.fixture(scope="module")
def tiering(local_cloud: Any, cloud_sdk_environment: Any) -> tuple[TieringService, Repositories, HeatStarter]:
    """A TieringService with the page function's heat starter (`HeatStarter` on `StepFunctionsWorkflow`),
    on the local cloud's clients (this one video only: a real run over its partition would tier the
    session's other videos too; the deployed page function is exercised by the dry run)."""
    repos = repositories(local_cloud)
    starter = HeatStarter(
        StepFunctionsWorkflow(local_cloud.arn("HeatStateMachine"), sfn=local_cloud.client("stepfunctions"))
    )
    service = TieringService(
        media_storage(local_cloud),
        repos,
        DailyStats(local_cloud.name("PlayDailyStatsTable"), local_cloud.region),
        start_reencode=starter,
    )
    return service, repos, starter


@pytest.fixture(scope="module")
def dry_row(rising: dict[str, Any], local_cloud: Any) -> dict[str, Any]:
    """A dry run of the deployed TieringPageFunction over the video's partition: its report row."""
    run_id, bucket, video_id = (
        f"heat-dry-{uuid.uuid4().hex[:8]}",
        published_bucket(rising["video_id"]),
        rising["video_id"],
    )
    s3, media = local_cloud.client("s3"), local_cloud.name("MediaBucket")
    event: dict[str, Any] = {"run_id": run_id, "bucket": bucket, "dry_run": True}
    rows: list[dict[str, Any]] = []
    while True:
        answer = local_cloud.invoke(local_cloud.name("TieringPageFunction"), event)
        assert answer.function_error is None, answer.payload
        key = f"reports/tiering/{run_id}/{bucket.replace('#', '-')}/{event.get('page', 0):06d}.json"
        rows += json.loads(s3.get_object(Bucket=media, Key=key)["Body"].read())["videos"]
        if answer.payload["cursor"] is None:
            break
        event = {**event, "cursor": answer.payload["cursor"], "page": answer.payload["page"]}
    (row,) = [r for r in rows if r["video_id"] == video_id]
    return row


@pytest.fixture(scope="module")
def runs(dry_row: dict[str, Any], rising: dict[str, Any], tiering: Any, local_cloud: Any) -> dict[str, Any]:
    """Run, run again at once (a retried page), wait for the heat execution, run a third time."""
    service, repos, _ = tiering
    video_id = rising["video_id"]
    first: TieringOutcome = service.run(repos.get_video(video_id))
    second: TieringOutcome = service.run(repos.get_video(video_id))
    started = _heat_executions(local_cloud, video_id)
    executions = [_wait_for_execution(local_cloud, e["executionArn"]) for e in started]
    third: TieringOutcome = service.run(repos.get_video(video_id))
    return {
        "first": first,
        "second": second,
        "executions": executions,
        "third": third,
        "master": _get(rising["playback_url"]),
        "after": _heat_executions(local_cloud, video_id),
    }


def test_a_dry_run_decides_reencode_and_starts_nothing(
    dry_row: dict[str, Any], rising: dict[str, Any], local_cloud: Any
) -> None:
    # GIVEN a published video played 200 000 times today
    # WHEN the deployed tiering page function dry-runs its partition
    # THEN the report row says REENCODE (with the ROI's reason), and no heat execution was started
    assert dry_row["reencode"] is True, dry_row["decisions"]
    (decision,) = [d for d in dry_row["decisions"] if d["key"] == "reencode"]
    assert decision["action"] == "reencode" and decision["reason"].startswith("re-encode to hevc")
    assert dry_row["reencode_execution"] == "" and dry_row["reencode_started"] is None
    assert _heat_executions(local_cloud, rising["video_id"]) == []


def test_a_run_starts_one_heat_execution_and_says_so(runs: dict[str, Any], rising: dict[str, Any]) -> None:
    # GIVEN the same video WHEN the tiering runs (not dry)
    first: TieringOutcome = runs["first"]
    night = datetime.now(UTC).strftime("%Y%m%d")
    # THEN it started the heat execution {video_id}-hevc-{night}, and its report row says so
    assert first.reencode and first.reencode_started is True
    assert first.reencode_execution == f"{rising['video_id']}-hevc-{night}"
    row = first.to_dict()
    assert row["reencode_execution"] == first.reencode_execution and row["reencode_started"] is True
    # AND that execution ran the heat workflow with {video_id, codec} to success
    (execution,) = runs["executions"]
    assert execution["name"] == first.reencode_execution
    assert json.loads(execution["input"]) == {"video_id": rising["video_id"], "codec": "hevc"}
    assert execution["status"] == "SUCCEEDED", execution


def test_the_master_playlist_gains_the_hevc_renditions(runs: dict[str, Any]) -> None:
    # GIVEN the heat execution the tiering started, finished
    # WHEN the master playlist is read through the CDN
    lines = runs["master"].splitlines()
    variants = {lines[i + 1]: line for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF")}
    # THEN it lists the HEVC twins with their hvc1 CODECS, next to the H.264 variants
    assert {"720p/playlist.m3u8", "480p/playlist.m3u8"} <= set(variants)
    for uri in ("720p-hevc/playlist.m3u8", "480p-hevc/playlist.m3u8"):
        assert 'CODECS="hvc1.' in variants[uri], variants


def test_running_again_starts_no_other_execution(
    runs: dict[str, Any], tiering: Any, rising: dict[str, Any]
) -> None:
    # GIVEN the run above WHEN the tiering ran again at once (the execution still running),
    # and once more after it finished
    second: TieringOutcome = runs["second"]
    third: TieringOutcome = runs["third"]
    # THEN the second named the same execution (or decided KEEP) and the third kept the HEVC twins
    assert second.reencode_execution in ("", runs["first"].reencode_execution)
    assert not third.reencode and third.reencode_started is None
    (decision,) = [d for d in third.decisions if d["key"] == "reencode"]
    assert decision["action"] == "keep" and "already has 2 hevc" in decision["reason"], decision
    # AND the heat state machine holds one execution for the video, still
    assert [e["name"] for e in runs["after"]] == [runs["first"].reencode_execution]
    # AND asked to start it again tonight, the starter answers "already exists", not an error
    _, _, starter = tiering
    again = starter(rising["video_id"], Codec.HEVC)
    assert again.started is False and again.execution_name == runs["first"].reencode_execution
