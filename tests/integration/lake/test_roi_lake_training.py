"""`reelstack roi train --lake`: the play predictor trained on the platform's own daily stats.

A small synthetic catalog is turned into the interaction log it implies (one play event per play,
watched as far as the video's completion rate, the likes of each day), the profile job (the real
job file, on the shared local Spark) keeps its daily stats, those land in the local cloud's lake
bucket where the job writes them in AWS, and the trainer reads them back: the same plays, upload
days, likes and completion as the catalog, the same features, and an artifact the tiering loads."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelstack.adapters.engagement.lake_files import parquet_bytes
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.storage.play_model_store import PlayModelStore
from reelstack.domain.engagement.interactions import Interaction, VideoFacts
from reelstack_tools.roi_catalog import Catalog, CatalogParams, generate_catalog
from reelstack_tools.roi_command import _last_day, train_from_lake
from reelstack_tools.roi_eval import features_at
from reelstack_tools.roi_lake import DAILY_STATS_PREFIX, read_lake_trace
from tests.conftest import ROOT
from tests.support.modules import load_module

pytestmark = pytest.mark.integration

JOB = load_module("profile_job", ROOT / "jobs" / "profile_job" / "job.py")
START = date(2026, 9, 1)
DAYS = 45
# Its own prefix in the shared lake bucket: other tests' nightly runs write daily stats there too.
PREFIX = f"tests/roi-lake/{uuid.uuid4().hex[:8]}/{DAILY_STATS_PREFIX}"
PARAMS = CatalogParams(videos=80, days=DAYS, seed=11, peak_scale=4.0, peak_cap=30.0)


def _moment(day: int, hour: int) -> datetime:
    return datetime.combine(START + timedelta(days=day), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=hour
    )


def catalog_events(catalog: Catalog) -> list[Interaction]:
    """The log the catalog implies: its plays (watched to its completion rate) and its daily likes."""
    events: list[Interaction] = []
    for video in range(catalog.videos):
        duration_ms = int(catalog.duration_s[video] * 1000)
        facts = VideoFacts(
            "author", ("tag",), duration_ms, _moment(int(catalog.upload_day[video]), 0), "h264"
        )
        watched = round(float(catalog.completion_rate[video]) * duration_ms)
        likes_before = 0
        for day in range(catalog.days):
            for n in range(int(catalog.daily_plays[video, day])):
                events.append(
                    Interaction(
                        f"play:v{video}:{day}:{n}",
                        "play",
                        f"u{n % 40}",
                        _moment(day, 1 + n % 20),
                        video_id=f"v{video}",
                        watched_ms=watched,
                        video=facts,
                    )
                )
            likes = int(catalog.likes_until(day, np.array([video]))[0])
            for n in range(likes - likes_before):
                events.append(
                    Interaction(
                        f"like:v{video}:{day}:{n}",
                        "like",
                        f"u{n % 40}",
                        _moment(day, 22),
                        video_id=f"v{video}",
                        video=facts,
                    )
                )
            likes_before = likes
    # and a video published a month before the log begins: its history is not in the lake
    old = VideoFacts("author", ("tag",), 10_000, _moment(-30, 0), "h264")
    events.append(
        Interaction("play:old:0", "play", "u1", _moment(3, 5), video_id="old", watched_ms=9_000, video=old)
    )
    return events


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return generate_catalog(PARAMS)


@pytest.fixture(scope="module")
def lake_bucket(spark: Any, local_cloud: Any, cloud_s3: Any, catalog: Catalog, tmp_path_factory: Any) -> str:
    """The catalog's log through the profile job's daily stats, in the local cloud's lake bucket."""
    folder = tmp_path_factory.mktemp("roi-lake")
    by_day: dict[str, list[Interaction]] = {}
    for event in catalog_events(catalog):
        by_day.setdefault(event.day, []).append(event)
    for day, batch in by_day.items():
        (folder / "log" / f"dt={day}").mkdir(parents=True)
        (folder / "log" / f"dt={day}" / "batch.parquet").write_bytes(parquet_bytes(batch))
    as_of = (START + timedelta(days=DAYS - 1)).isoformat()
    stats = folder / "daily"
    JOB.run(
        spark,
        JOB.parse_args(
            [
                "--events",
                str(folder / "log"),
                "--out",
                str(folder / "run"),
                "--as-of",
                as_of,
                "--days",
                str(DAYS),
                "--daily-stats",
                str(stats),
            ]
        ),
    )
    bucket = str(local_cloud.name("LakeBucket"))
    for path in sorted(stats.rglob("*.parquet")):
        cloud_s3.upload_file(str(path), bucket, PREFIX + path.relative_to(stats).as_posix())
    return bucket


def test_the_lake_trace_holds_the_catalogs_plays_likes_and_completion(
    catalog: Catalog, lake_bucket: str, cloud_s3: Any
) -> None:
    # GIVEN the catalog's log kept as daily stats WHEN the trainer reads the lake
    trace = read_lake_trace(cloud_s3, lake_bucket, PREFIX)
    # THEN it spans the log's dates: from the first date with a play or like
    likes = np.stack([catalog.likes_until(day) for day in range(DAYS)], axis=1)
    active = (catalog.daily_plays > 0) | (np.diff(likes, axis=1, prepend=0) > 0)
    offset = int(np.flatnonzero(active.any(axis=0))[0])
    assert trace.first_day == START + timedelta(days=offset)
    # AND it holds every video played or liked and uploaded since then, with its whole history
    seen = active.any(axis=1)
    kept = [v for v in range(catalog.videos) if seen[v] and catalog.upload_day[v] >= offset]
    assert trace.video_ids == tuple(sorted(f"v{v}" for v in kept))
    order = [int(name[1:]) for name in trace.video_ids]
    assert np.array_equal(trace.daily_plays, catalog.daily_plays[order, offset:])
    assert np.array_equal(trace.upload_day, catalog.upload_day[order] - offset)
    for day in (0, 10, trace.days - 1):
        assert np.array_equal(trace.likes_until(day), likes[order, day + offset])
    assert np.allclose(trace.completion_rate, catalog.completion_rate[order], atol=1e-3)
    # AND a video published before the log began is left out, not counted as a newcomer
    older = sum(1 for v in range(catalog.videos) if seen[v] and catalog.upload_day[v] < offset)
    assert trace.left_out == older + 1 and "old" not in trace.video_ids
    # AND the features the model sees are the catalog's
    rows = np.arange(trace.videos)
    assert np.allclose(
        features_at(trace, trace.days - 1, rows),
        features_at(catalog, DAYS - 1, np.array(order)),
        atol=2e-3,
    )


def test_roi_train_lake_uploads_an_artifact_the_tiering_loads(
    catalog: Catalog, lake_bucket: str, local_cloud: Any, cloud_s3: Any, tmp_path: Path
) -> None:
    # GIVEN the lake's daily stats WHEN roi train --lake trains and publishes to the media bucket
    media = str(local_cloud.name("MediaBucket"))
    done = train_from_lake(
        lake_bucket=lake_bucket, bucket=media, prefix=PREFIX, s3=cloud_s3, max_train_rows=5_000
    )
    # THEN the artifact is named after the dates it learned from, and the tiering's store loads it
    assert done.artifact.key == f"models/play-predictor/lake-{done.first_day}-to-{done.last_day}.joblib"
    trace = read_lake_trace(cloud_s3, lake_bucket, PREFIX)
    order = [int(name[1:]) for name in trace.video_ids]
    assert (done.videos, done.plays) == (len(order), int(catalog.daily_plays[order].sum()))
    loaded = PlayModelStore(MediaStorage(media, s3=cloud_s3)).load(done.artifact.key, str(tmp_path))
    predicted = loaded.predict(features_at(trace, trace.days - 1, np.arange(trace.videos)), 7)
    assert predicted.shape == (trace.videos,) and np.isfinite(predicted).all() and (predicted >= 0).all()


def test_a_lake_without_enough_daily_stats_is_refused_with_what_it_needs(
    local_cloud: Any, cloud_s3: Any, tmp_path: Path
) -> None:
    # GIVEN a bucket with no daily stats WHEN roi train --lake runs THEN it says the nightly run writes them
    with pytest.raises(LookupError, match="no daily stats"):
        train_from_lake(
            lake_bucket=str(local_cloud.name("MediaBucket")), bucket=None, output=tmp_path / "m", s3=cloud_s3
        )
    # AND too few days for the 30-day horizon are refused with the number needed
    with pytest.raises(ValueError, match="at least 38"):
        _last_day(None, 20)
