"""Play histories, pure: features at a prediction day, the persistence and decay baselines, and the
metrics (MAE on log plays, Spearman with tied ranks), each against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reelstack.domain.storage.play_history import (
    FEATURE_NAMES,
    PlayHistory,
    average_ranks,
    baseline_predictions,
    exponential_decay,
    extract_features,
    future_plays,
    mae_log,
    persistence_last_day,
    persistence_last_week,
    spearman,
)

# Upload day 0, peak 30 on day 2, then decay; 84 plays in 9 days.
HISTORY = PlayHistory(daily_plays=(0, 10, 30, 20, 10, 5, 5, 3, 1), likes=14, completion_rate=0.5)


def _feature(row: np.ndarray, name: str) -> float:
    return float(row[FEATURE_NAMES.index(name)])


def test_features_of_a_history_read_its_windows_peak_trend_and_engagement() -> None:
    """GIVEN a 9-day history WHEN its features are extracted at its last day
    THEN windows, total, peak, trend and likes per play are the hand-computed values."""
    row = HISTORY.features()

    assert row.shape == (len(FEATURE_NAMES),)
    assert _feature(row, "age_days") == 8
    assert _feature(row, "log_plays_last_1") == pytest.approx(math.log1p(1))
    assert _feature(row, "log_plays_last_3") == pytest.approx(math.log1p(5 + 3 + 1))
    assert _feature(row, "log_plays_last_7") == pytest.approx(math.log1p(74))
    assert _feature(row, "log_plays_last_14") == pytest.approx(math.log1p(84))
    assert _feature(row, "log_plays_total") == pytest.approx(math.log1p(84))
    assert _feature(row, "log_peak_daily") == pytest.approx(math.log1p(30))
    assert _feature(row, "days_since_peak") == 6
    # last 3 days' mean 3 against the 4 days before: (74 - 9) / 4 = 16.25
    assert _feature(row, "trend_7") == pytest.approx(math.log(4) - math.log(17.25))
    assert _feature(row, "likes_per_play") == pytest.approx(14 / 84)
    assert _feature(row, "completion_rate") == 0.5


def test_a_two_day_old_video_has_no_trend_and_a_video_not_yet_uploaded_has_age_minus_one() -> None:
    """GIVEN a catalog with a video uploaded on day 1 and one uploaded on day 5
    WHEN features are extracted at day 2 THEN the first is 1 day old, flat, its peak today;
    the second is marked with age -1."""
    plays = np.array([[0, 4, 8, 0, 0, 0], [0, 0, 0, 0, 0, 7]])
    rows = extract_features(plays, np.array([1, 5]), 2, np.zeros(2), np.zeros(2))

    assert _feature(rows[0], "age_days") == 1
    assert _feature(rows[0], "trend_7") == 0.0
    assert _feature(rows[0], "days_since_peak") == 0
    assert _feature(rows[1], "age_days") == -1
    assert _feature(rows[1], "log_plays_total") == 0.0


def test_features_outside_the_recorded_days_are_refused() -> None:
    """GIVEN 3 recorded days WHEN features are asked for day 3 THEN it is refused."""
    with pytest.raises(ValueError, match="outside"):
        extract_features(np.ones((1, 3)), np.zeros(1, int), 3, np.zeros(1), np.zeros(1))


def test_a_history_rejects_negative_counts_and_rates_out_of_range() -> None:
    """GIVEN invalid histories WHEN built THEN each is refused."""
    for bad in ((), (-1,)):
        with pytest.raises(ValueError):
            PlayHistory(daily_plays=bad)
    with pytest.raises(ValueError):
        PlayHistory(daily_plays=(1,), completion_rate=1.5)


def test_future_plays_sum_the_horizon_after_the_day_and_need_it_recorded() -> None:
    """GIVEN a row of daily plays WHEN the next 3 days after day 1 are summed
    THEN days 2..4 are counted, and a horizon past the last day is refused."""
    plays = np.array([[1, 2, 3, 4, 5, 6]])

    assert future_plays(plays, 1, 3).tolist() == [3 + 4 + 5]
    with pytest.raises(ValueError):
        future_plays(plays, 3, 3)


def test_persistence_carries_the_last_day_or_the_last_weeks_mean() -> None:
    """GIVEN the 9-day history and a 2-day-old video WHEN the persistence baselines predict
    THEN the last day's plays or the daily mean of the days seen (at most 7) repeat over the horizon."""
    row, upload, day = HISTORY.as_matrix()

    assert persistence_last_day(row, day, 7).tolist() == [7.0]
    assert persistence_last_day(row, day, 30).tolist() == [30.0]
    assert persistence_last_week(row, upload, day, 7).tolist() == pytest.approx([74.0])
    assert persistence_last_week(row, upload, day, 30).tolist() == pytest.approx([74 / 7 * 30])
    young = np.array([[4, 8]])
    assert persistence_last_week(young, np.array([0]), 1, 7).tolist() == pytest.approx([6 * 7])


def test_exponential_decay_extrapolates_the_fitted_halving_of_the_last_seven_days() -> None:
    """GIVEN plays whose log1p halves exactly each day (2**k - 1), with an older day outside the fit
    WHEN the decay baseline predicts 7 days THEN it continues 3 -> 1 -> 0: 1 play in all."""
    plays = np.array([[1023, 255, 127, 63, 31, 15, 7, 3]], dtype=float)

    assert exponential_decay(plays, np.array([0]), 7, 7).tolist() == pytest.approx([1.0])


def test_exponential_decay_holds_a_rising_or_flat_video_at_its_fitted_level() -> None:
    """GIVEN a rising video (log1p = 1, 2, 3, 4 x ln 2) and a flat one WHEN the decay baseline predicts
    THEN the rise is capped at slope 0 (the mean level 2**2.5 - 1 per day) and the flat one continues."""
    rising = exponential_decay(np.array([[1, 3, 7, 15]]), np.array([0]), 3, 7)
    flat = exponential_decay(np.array([[0, 0, 9, 9, 9]]), np.array([2]), 4, 30)
    single_day = exponential_decay(np.array([[0, 5]]), np.array([1]), 1, 7)

    assert rising.tolist() == pytest.approx([(2**2.5 - 1) * 7])
    assert flat.tolist() == pytest.approx([9 * 30])
    assert single_day.tolist() == pytest.approx([35.0])


def test_baseline_predictions_name_every_baseline() -> None:
    """GIVEN the history WHEN all baselines predict THEN persistence (two kinds) and decay answer."""
    row, upload, day = HISTORY.as_matrix()

    names = set(baseline_predictions(row, upload, day, 7))

    assert names == {"persistence (last day)", "persistence (last 7 days)", "exponential decay"}


def test_mae_log_compares_log1p_plays() -> None:
    """GIVEN predictions off by e - 1 plays on one of three videos WHEN scored THEN MAE is 1/3."""
    assert mae_log([0, math.e - 1, 3], [0, 0, 3]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        mae_log([1, 2], [1])


def test_average_ranks_share_the_mean_rank_between_ties() -> None:
    """GIVEN values with ties WHEN ranked THEN tied values get the mean of the ranks they span."""
    assert average_ranks([5, 1, 5]).tolist() == [2.5, 1.0, 2.5]
    assert average_ranks([3, 3, 3, 0]).tolist() == [3.0, 3.0, 3.0, 1.0]


def test_spearman_with_ties_is_the_correlation_of_average_ranks() -> None:
    """GIVEN x with a tie and y WHEN Spearman is computed THEN it is 4.5 / sqrt(4.5 x 5) = sqrt(0.9);
    a perfectly reversed order gives -1; a constant side gives NaN."""
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(math.sqrt(0.9))
    assert spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
