"""The synthetic ROI catalog: seeded, shaped as documented, power-law popular, with climb, peak,
silence and revival phases, and sizes that follow the rendition ladder."""

from __future__ import annotations

import numpy as np
import pytest

from reelstack.domain.media.bitrates import BITRATE_TABLE_KBPS
from reelstack_tools.roi_catalog import AUDIO_KBPS, RUNGS, Catalog, CatalogParams, generate_catalog

PARAMS = CatalogParams(videos=4000, days=120, seed=7)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return generate_catalog(PARAMS)


def test_the_same_seed_gives_the_same_catalog_and_another_seed_another(catalog: Catalog) -> None:
    """GIVEN the catalog's parameters WHEN generated again, and with another seed
    THEN the same seed reproduces every array and another seed changes the plays."""
    again = generate_catalog(PARAMS)
    other = generate_catalog(CatalogParams(videos=4000, days=120, seed=8))

    assert np.array_equal(again.daily_plays, catalog.daily_plays)
    assert np.array_equal(again.upload_day, catalog.upload_day)
    assert np.array_equal(again.rendition_bytes, catalog.rendition_bytes)
    assert np.array_equal(again.like_rate, catalog.like_rate)
    assert not np.array_equal(other.daily_plays, catalog.daily_plays)


def test_arrays_have_the_documented_shapes_and_compact_types(catalog: Catalog) -> None:
    """GIVEN the catalog WHEN its arrays are read THEN plays are (N, D) int32, per-video arrays N long."""
    assert catalog.daily_plays.shape == (4000, 120)
    assert catalog.daily_plays.dtype == np.int32
    assert catalog.rendition_bytes.shape == (4000, len(RUNGS))
    for per_video in (catalog.upload_day, catalog.like_rate, catalog.completion_rate, catalog.original_bytes):
        assert per_video.shape == (4000,)
    assert (catalog.videos, catalog.days) == (4000, 120)


def test_uploads_spread_over_the_period_and_nothing_plays_before_its_upload(catalog: Catalog) -> None:
    """GIVEN the catalog WHEN uploads and plays are compared THEN every upload day is in the period,
    each third of it gets uploads, and no video has a play before its upload day."""
    before_upload = np.arange(catalog.days)[None, :] < catalog.upload_day[:, None]

    assert catalog.upload_day.min() >= 0 and catalog.upload_day.max() < catalog.days
    assert np.all(np.bincount(catalog.upload_day * 3 // catalog.days, minlength=3) > 1000)
    assert catalog.daily_plays[before_upload].sum() == 0
    assert catalog.daily_plays.min() >= 0


def test_popularity_is_heavy_tailed(catalog: Catalog) -> None:
    """GIVEN the catalog WHEN total plays per video are sorted THEN the top 1 % of videos take more
    than a quarter of all plays and the top 10 % more than half, while the median video is small."""
    totals = np.sort(catalog.daily_plays.sum(axis=1, dtype=np.int64))[::-1]
    share = totals.cumsum() / totals.sum()

    assert share[len(totals) // 100 - 1] > 0.25
    assert share[len(totals) // 10 - 1] > 0.5
    assert np.median(totals) < totals.mean() / 3


def test_a_video_climbs_peaks_then_goes_silent(catalog: Catalog) -> None:
    """GIVEN popular videos that never revive, uploaded early, with a climb of 2+ days
    WHEN their plays are aligned on upload THEN the upload day is below the peak, and 40 days on
    they play under 5 % of their best day."""
    chosen = np.flatnonzero(
        (catalog.peak_daily > 200)
        & (catalog.revive_age < 0)
        & (catalog.upload_day < catalog.days - 60)
        & (catalog.climb_days >= 2)
        & (catalog.half_life_days < 5)
    )
    assert chosen.size >= 10
    rows = catalog.daily_plays[chosen]
    upload = catalog.upload_day[chosen]
    first = rows[np.arange(chosen.size), upload]
    best = rows.max(axis=1)
    late = rows[np.arange(chosen.size), upload + 40]

    assert np.median(first / best) < 0.5
    assert np.mean(late < 0.05 * best) > 0.9


def test_some_videos_revive_with_a_second_wave(catalog: Catalog) -> None:
    """GIVEN videos with a revival inside the period WHEN the days after the revival start are
    compared with the days before THEN together they play more after than before."""
    revive_day = catalog.upload_day + catalog.revive_age
    chosen = np.flatnonzero((catalog.revive_age > 0) & (revive_day + 3 < catalog.days))
    assert chosen.size > 50
    before = sum(catalog.daily_plays[v, revive_day[v] - 4 : revive_day[v]].sum() for v in chosen)
    after = sum(catalog.daily_plays[v, revive_day[v] + 1 : revive_day[v] + 5].sum() for v in chosen)

    assert after > 1.5 * before


def test_engagement_rises_with_popularity(catalog: Catalog) -> None:
    """GIVEN the catalog WHEN like and completion rates of the top and bottom tenth by peak are
    compared THEN the popular videos are liked and completed more, within valid ranges."""
    order = np.argsort(catalog.peak_daily)
    bottom, top = order[:400], order[-400:]

    assert catalog.like_rate[top].mean() > catalog.like_rate[bottom].mean()
    assert catalog.completion_rate[top].mean() > catalog.completion_rate[bottom].mean()
    assert catalog.like_rate.min() > 0 and catalog.like_rate.max() <= 0.3
    assert catalog.completion_rate.min() > 0 and catalog.completion_rate.max() < 1
    assert np.all(catalog.likes_until(catalog.days - 1) <= catalog.daily_plays.sum(axis=1))


def test_sizes_follow_the_ladder_up_to_the_source_height(catalog: Catalog) -> None:
    """GIVEN the catalog WHEN rendition sizes are read THEN each rung present weighs its bitrate
    (+ audio) times the duration, and rungs above the source height are absent."""
    video = int(np.flatnonzero(catalog.source_height == 720)[0])
    duration = float(catalog.duration_s[video])
    expected = [
        0 if rung > 720 else (BITRATE_TABLE_KBPS[rung] + AUDIO_KBPS) * 1000 / 8 * duration for rung in RUNGS
    ]

    assert catalog.rendition_bytes[video].tolist() == pytest.approx(expected, rel=1e-3, abs=1)
    assert np.all(catalog.original_bytes > 0)
    assert set(np.unique(catalog.source_height).tolist()) <= {1080, 720, 480}


def test_invalid_parameters_are_refused() -> None:
    """GIVEN impossible parameters WHEN a catalog is described THEN each is refused."""
    for bad in (
        {"videos": 0},
        {"pareto_alpha": 0.0},
        {"revive_probability": 2.0},
        {"source_height_shares": (1.0,)},
    ):
        with pytest.raises(ValueError):
            CatalogParams(**bad)
