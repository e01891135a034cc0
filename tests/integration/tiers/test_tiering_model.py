"""The nightly tiering forecasts plays with the trained predictor when PLAY_MODEL_KEY names its artifact,
on the local cloud: `reelstack roi train` uploads the artifact to the media bucket, the tiering page is
built as wiring builds it (the artifact downloaded and loaded once), and its decisions' `plays_horizon`
are the predictor's own output for the video's history (daily plays, likes, completion), not the
decay baseline's. A key that does not load fails the build, loudly."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pynamodb.connection import Connection

from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.storage.play_model_store import PlayModelUnavailable
from reelstack.adapters.storage.play_predictor import PlayPredictor
from reelstack.domain.engagement.plays import DailyDelta
from reelstack.domain.storage.play_history import PlayHistory
from reelstack.domain.storage.roi import RoiPolicy, VideoFacts, plays_over
from reelstack.domain.videos import Video
from reelstack.services.storage.tiering import TieringOutcome
from reelstack.services.storage.tiering_run import TieringRun
from reelstack.settings import TieringPageSettings
from reelstack.wiring import build_tiering_page_run
from reelstack_tools.cli import main
from tests.support.cloud_stores import repositories
from tests.support.http import Api
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration

MODEL_KEY = "models/play-predictor/test-3000x60.joblib"
DAILY_PLAYS = (0, 900, 1400, 1100, 700, 500, 380, 260, 200, 150)  # 9 days ago .. today
COMPLETION = 0.55  # watched ms = plays x 55 % of the video's duration
LIKE_SHARDS = {0: 25, 3: 17}  # the durable count is their sum


@pytest.fixture(scope="module")
def model(
    local_cloud: Any, cloud_sdk_environment: Any, tmp_path_factory: pytest.TempPathFactory
) -> PlayPredictor:
    """`reelstack roi train` on a small synthetic catalog (3,000 videos x 60 days), uploaded to the
    media bucket at MODEL_KEY; the predictor read back from there, for the expected numbers."""
    bucket = local_cloud.name("MediaBucket")
    argv = ["roi", "train", "--videos", "3000", "--days", "60", "--seed", "17"]
    assert main([*argv, "--bucket", bucket, "--key", MODEL_KEY]) == 0
    path = tmp_path_factory.mktemp("play-model") / "model.joblib"
    local_cloud.client("s3").download_file(bucket, MODEL_KEY, str(path))
    return PlayPredictor.load(path)


@pytest.fixture(scope="module")
def played(
    alice: Api, local_cloud: Any, cloud_sdk_environment: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Video, PlayHistory]:
    """A PUBLISHED 6 s video of alice's, seen as published 9 days ago, with DAILY_PLAYS in its daily
    stats (~COMPLETION of it watched) and 42 durable likes in its counter shards; and its history as
    the seeded numbers make it (completion = watched ms / (plays x duration ms))."""
    from reelstack_tools.demo import make_test_video

    clip = make_test_video(tmp_path_factory.mktemp("tiering-model") / "clip.mp4", 6)
    video_id = upload_bytes(alice, Path(clip).read_bytes(), title="forecast me")
    assert wait_for_status(alice, video_id, timeout=180).get("status") == "PUBLISHED"
    record = repositories(local_cloud).get_video(video_id)
    assert record is not None and record.playback is not None
    duration_ms = record.playback.duration_s * 1000
    today = datetime.now(UTC).date()
    daily = DailyStats(
        local_cloud.name("PlayDailyStatsTable"),
        local_cloud.region,
        connection=Connection(region=local_cloud.region),
    )
    watched = [round(plays * duration_ms * COMPLETION) for plays in DAILY_PLAYS]
    deltas = [
        DailyDelta(
            video_id,
            (today - timedelta(days=len(DAILY_PLAYS) - 1 - index)).isoformat(),
            plays,
            watched[index],
            (f"seed-{video_id}-{index}",),
        )
        for index, plays in enumerate(DAILY_PLAYS)
        if plays
    ]
    seeded = daily.add(deltas)
    assert len(seeded.applied) == len(deltas), seeded.errors
    dynamodb = local_cloud.client("dynamodb")
    for shard, count in LIKE_SHARDS.items():
        dynamodb.put_item(
            TableName=local_cloud.name("LikeCountersTable"),
            Item={"video_id": {"S": video_id}, "shard": {"N": str(shard)}, "count": {"N": str(count)}},
        )
    published = datetime.now(UTC) - timedelta(days=len(DAILY_PLAYS) - 1, hours=1)
    completion = sum(watched) / (sum(DAILY_PLAYS) * duration_ms)
    history = PlayHistory(DAILY_PLAYS, likes=sum(LIKE_SHARDS.values()), completion_rate=completion)
    return replace(record, published_at=published.isoformat().replace("+00:00", "Z")), history


def _page_run(
    local_cloud: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_key: str
) -> TieringRun:
    """The page function's tiering as `wiring.tiering_run` builds it, from the template's variables (the
    heat starter left out: these runs are dry)."""
    variables = {
        "MEDIA_BUCKET": local_cloud.name("MediaBucket"),
        "UPLOADS_TABLE": local_cloud.name("UploadsTable"),
        "VIDEOS_TABLE": local_cloud.name("VideosTable"),
        "PLAY_DAILY_STATS_TABLE": local_cloud.name("PlayDailyStatsTable"),
        "LIKES_TABLE": local_cloud.name("LikesTable"),
        "LIKE_COUNTERS_TABLE": local_cloud.name("LikeCountersTable"),
        "HEAT_STATE_MACHINE_ARN": local_cloud.arn("HeatStateMachine"),
        "PRICES": "",
        "PLAY_MODEL_KEY": model_key,
        "SCRATCH_DIR": str(tmp_path),
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return build_tiering_page_run(TieringPageSettings(), None)  # type: ignore[call-arg]


def _plays_horizons(outcome: TieringOutcome) -> set[float]:
    return {
        d["numbers"]["plays_horizon"] for d in outcome.decisions if "plays_horizon" in d.get("numbers", {})
    }


def _from_forecast(horizons: set[float], seven: float, thirty: float) -> bool:
    """Every plays_horizon is what the ROI makes of this 7 / 30-day forecast: the re-encode's 30-day or
    the storage's 90-day plays."""
    facts, policy = VideoFacts("v", 0.0, 0.0, (), seven, thirty), RoiPolicy()
    made = [plays_over(facts, policy.horizon_days), plays_over(facts, policy.storage_horizon_days)]
    return all(any(h == pytest.approx(m, rel=1e-9) for m in made) for h in horizons)


def test_the_tiering_forecasts_with_the_trained_model_when_configured(
    model: PlayPredictor,
    played: tuple[Video, PlayHistory],
    local_cloud: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the artifact `roi train` uploaded, and a published video with 10 days of plays and 42 likes
    video, history = played
    features = history.features()[None, :]
    expected = (float(model.expected(features, 7)[0]), float(model.expected(features, 30)[0]))

    # WHEN the page's tiering is built with PLAY_MODEL_KEY set, as wiring builds it, and dry-runs the video
    with_model = _page_run(local_cloud, tmp_path, monkeypatch, MODEL_KEY).tiering.run(video, dry_run=True)
    # AND the same with PLAY_MODEL_KEY empty (the decay baseline)
    with_decay = _page_run(local_cloud, tmp_path, monkeypatch, "").tiering.run(video, dry_run=True)

    # THEN the model predicted the video's plays: the predictor's own output for its history
    assert with_model.forecast == f"model {MODEL_KEY}" and with_decay.forecast == "decay"
    assert (with_model.predicted_plays["7d"], with_model.predicted_plays["30d"]) == expected
    # AND the decisions' plays_horizon numbers come from it
    horizons = _plays_horizons(with_model)
    assert horizons and _from_forecast(horizons, *expected), with_model.decisions
    # AND they differ from the decay baseline's
    decay = with_decay.predicted_plays
    assert _from_forecast(_plays_horizons(with_decay), decay["7d"], decay["30d"])
    assert decay["30d"] != pytest.approx(expected[1], rel=0.01)
    assert not horizons & _plays_horizons(with_decay)
    # AND nothing ran: both were dry runs
    assert with_model.moved_objects == with_model.dropped_objects == 0


def test_a_model_key_that_does_not_load_fails_the_cold_start(
    model: PlayPredictor, local_cloud: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN PLAY_MODEL_KEY naming an artifact that is not in the bucket
    missing = "models/play-predictor/never-trained.joblib"
    # WHEN the page's tiering is built THEN it fails, naming the key (no silent decay fallback)
    with pytest.raises(PlayModelUnavailable, match=re.escape(missing)):
        _page_run(local_cloud, tmp_path, monkeypatch, missing)
    # GIVEN an object there that is no artifact WHEN built THEN it fails too, saying it could not load
    local_cloud.client("s3").put_object(
        Bucket=local_cloud.name("MediaBucket"),
        Key="models/play-predictor/garbage.joblib",
        Body=b"not a model",
    )
    with pytest.raises(PlayModelUnavailable, match="could not be loaded"):
        _page_run(local_cloud, tmp_path, monkeypatch, "models/play-predictor/garbage.joblib")
