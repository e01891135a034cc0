"""Play histories: the features a play predictor reads, the baselines it must beat, and the metrics.

A catalog's plays are a matrix `daily_plays[video, day]` (calendar days, 0 before a video's upload).
A prediction is made *at the end of* day `day`: it may read columns `0..day` and predicts the plays
of the next `horizon` days (columns `day+1..day+horizon`). One video's history (`PlayHistory`) is the
same thing as a one-row matrix whose upload day is 0.

Features (`FEATURE_NAMES`, one row per video, counts as log1p): age in days; plays on the last 1, 3,
7 and 14 days and in total; the highest daily count so far and days since it; the 7-day trend (log
of the last 3 days' mean over the 4 days before); likes per play; completion rate. A video not yet
uploaded at `day` has age -1 and is not meant to be predicted (callers filter on `age >= 0`).

Baselines:
- persistence (last day): the last day's plays go on every day of the horizon;
- persistence (last 7 days): the last 7 days' daily mean goes on (fewer days for a younger video);
- exponential decay: a least-squares line through log1p(daily plays) of the last `DECAY_FIT_DAYS`
  days (only days since upload), its slope capped at 0 (a rising video is held flat), extrapolated
  from the fitted last day and summed over the horizon.

Metrics: mean absolute error of log1p plays, and Spearman's rank correlation (average ranks for
ties; NaN when either side is constant).

Pure numpy: no I/O, no SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

FEATURE_NAMES: tuple[str, ...] = (
    "age_days",
    "log_plays_last_1",
    "log_plays_last_3",
    "log_plays_last_7",
    "log_plays_last_14",
    "log_plays_total",
    "log_peak_daily",
    "days_since_peak",
    "trend_7",
    "likes_per_play",
    "completion_rate",
)
HORIZONS: tuple[int, ...] = (7, 30)
DECAY_FIT_DAYS = 7
_WINDOWS = (1, 3, 7, 14)


@dataclass(frozen=True)
class PlayHistory:
    """One video's history: plays on each day since upload (upload day first), likes, completion."""

    daily_plays: tuple[int, ...]
    likes: int = 0
    completion_rate: float = 0.0

    def __post_init__(self) -> None:
        if not self.daily_plays:
            raise ValueError("a play history has at least its upload day")
        if min(self.daily_plays) < 0 or self.likes < 0 or not 0.0 <= self.completion_rate <= 1.0:
            raise ValueError("plays and likes are counts, completion a rate in [0, 1]")

    @property
    def age_days(self) -> int:
        """Days since upload at the last recorded day (0 on the upload day)."""
        return len(self.daily_plays) - 1

    def as_matrix(self) -> tuple[FloatArray, npt.NDArray[np.int64], int]:
        """(daily_plays row, upload day, prediction day) in the catalog form."""
        row = np.asarray(self.daily_plays, dtype=np.float64)[None, :]
        return row, np.zeros(1, dtype=np.int64), self.age_days

    def features(self) -> FloatArray:
        """Its feature vector (`FEATURE_NAMES` order)."""
        row, upload, day = self.as_matrix()
        return extract_features(
            row, upload, day, np.array([self.likes], float), np.array([self.completion_rate])
        )[0]


def _window_sums(daily_plays: npt.NDArray[np.generic], day: int) -> dict[int, FloatArray]:
    """Plays in the last w days ending at `day` (inclusive), for each window w."""
    sums = {}
    for window in _WINDOWS:
        start = max(0, day - window + 1)
        sums[window] = daily_plays[:, start : day + 1].sum(axis=1, dtype=np.float64)
    return sums


def extract_features(
    daily_plays: npt.NDArray[np.generic],
    upload_day: npt.NDArray[np.integer],
    day: int,
    likes: npt.NDArray[np.floating],
    completion_rate: npt.NDArray[np.floating],
) -> FloatArray:
    """Feature matrix (n_videos, len(FEATURE_NAMES)) at the end of `day`.

    `daily_plays` is (n_videos, n_days), calendar-indexed; `likes` are likes so far at `day`.
    """
    if not 0 <= day < daily_plays.shape[1]:
        raise ValueError(f"day {day} outside the {daily_plays.shape[1]} recorded days")
    seen = daily_plays[:, : day + 1]
    age = day - np.asarray(upload_day, dtype=np.float64)
    age = np.where(age < 0, -1.0, age)
    sums = _window_sums(daily_plays, day)
    total = seen.sum(axis=1, dtype=np.float64)
    peak = seen.max(axis=1).astype(np.float64)
    last_peak_day = day - np.argmax(seen[:, ::-1], axis=1)  # the latest day reaching the peak
    since_peak = np.where(total > 0, day - last_peak_day, np.maximum(age, 0))
    recent_mean = sums[3] / np.clip(np.minimum(age + 1, 3), 1, None)
    before = np.clip(np.minimum(age + 1, 7) - 3, 0, None)
    before_mean = np.where(before > 0, (sums[7] - sums[3]) / np.maximum(before, 1), recent_mean)
    trend = np.log1p(recent_mean) - np.log1p(before_mean)
    likes_per_play = np.asarray(likes, dtype=np.float64) / np.maximum(total, 1.0)
    columns = [
        age,
        *(np.log1p(sums[w]) for w in _WINDOWS),
        np.log1p(total),
        np.log1p(peak),
        since_peak.astype(np.float64),
        trend,
        likes_per_play,
        np.asarray(completion_rate, dtype=np.float64),
    ]
    return np.stack(columns, axis=1)


def future_plays(daily_plays: npt.NDArray[np.generic], day: int, horizon: int) -> FloatArray:
    """Actual plays in days `day+1..day+horizon` (the target); the horizon must be recorded."""
    if day + horizon >= daily_plays.shape[1] or day < 0:
        raise ValueError(f"day {day} + {horizon} is past the {daily_plays.shape[1]} recorded days")
    return daily_plays[:, day + 1 : day + horizon + 1].sum(axis=1, dtype=np.float64)


def persistence_last_day(daily_plays: npt.NDArray[np.generic], day: int, horizon: int) -> FloatArray:
    """Baseline: the last day's plays, every day of the horizon."""
    return daily_plays[:, day].astype(np.float64) * horizon


def persistence_last_week(
    daily_plays: npt.NDArray[np.generic], upload_day: npt.NDArray[np.integer], day: int, horizon: int
) -> FloatArray:
    """Baseline: the daily mean of the last 7 days (of the days since upload), every day."""
    days = np.clip(day - np.asarray(upload_day) + 1, 1, 7)
    return _window_sums(daily_plays, day)[7] / days * horizon


def exponential_decay(
    daily_plays: npt.NDArray[np.generic],
    upload_day: npt.NDArray[np.integer],
    day: int,
    horizon: int,
    fit_days: int = DECAY_FIT_DAYS,
) -> FloatArray:
    """Baseline: fit log1p(plays) = a + b*t on the recent days (b <= 0), extrapolate, sum the horizon.

    A video with a single recorded day keeps that day's plays (slope 0).
    """
    start = max(0, day - fit_days + 1)
    window = np.log1p(daily_plays[:, start : day + 1].astype(np.float64))
    t = np.arange(start - day, 1, dtype=np.float64)[None, :]  # 0 is `day`
    valid = (np.arange(start, day + 1)[None, :] >= np.asarray(upload_day)[:, None]).astype(np.float64)
    n = np.maximum(valid.sum(axis=1), 1.0)
    t_mean = (valid * t).sum(axis=1) / n
    y_mean = (valid * window).sum(axis=1) / n
    dt = (t - t_mean[:, None]) * valid
    var = (dt * dt).sum(axis=1)
    cov = (dt * (window - y_mean[:, None])).sum(axis=1)
    slope = np.where(var > 0, cov / np.where(var > 0, var, 1.0), 0.0)
    slope = np.minimum(slope, 0.0)
    level = y_mean - slope * t_mean  # fitted log1p plays at t = 0
    steps = np.arange(1, horizon + 1, dtype=np.float64)[None, :]
    predicted = np.expm1(level[:, None] + slope[:, None] * steps)
    return np.clip(predicted, 0.0, None).sum(axis=1)


def mae_log(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Mean absolute error of log1p(plays): 0.69 means off by a factor of 2 on average."""
    p, a = np.asarray(predicted, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    if p.shape != a.shape or p.size == 0:
        raise ValueError("predicted and actual need the same, non-empty shape")
    return float(np.mean(np.abs(np.log1p(np.clip(p, 0, None)) - np.log1p(np.clip(a, 0, None)))))


def average_ranks(values: npt.ArrayLike) -> FloatArray:
    """Ranks 1..n, tied values sharing the mean of the ranks they span ([5, 1, 5] -> [2.5, 1, 2.5])."""
    v = np.asarray(values, dtype=np.float64).ravel()
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    starts = np.flatnonzero(np.r_[True, sorted_v[1:] != sorted_v[:-1]])
    ends = np.r_[starts[1:], v.size]  # exclusive
    group_rank = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(v.size, dtype=np.float64)
    ranks[order] = np.repeat(group_rank, ends - starts)
    return ranks


def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Spearman's rho: Pearson correlation of average ranks; NaN if either side is constant."""
    rx, ry = average_ranks(x), average_ranks(y)
    if rx.shape != ry.shape or rx.size < 2:
        raise ValueError("spearman needs two samples of the same size, at least 2")
    dx, dy = rx - rx.mean(), ry - ry.mean()
    denominator = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    return float((dx * dy).sum() / denominator) if denominator > 0 else float("nan")


def baseline_predictions(
    daily_plays: npt.NDArray[np.generic], upload_day: npt.NDArray[np.integer], day: int, horizon: int
) -> dict[str, FloatArray]:
    """Every baseline's prediction at `day` for `horizon`, by name (the names `roi eval` prints)."""
    return {
        "persistence (last day)": persistence_last_day(daily_plays, day, horizon),
        "persistence (last 7 days)": persistence_last_week(daily_plays, upload_day, day, horizon),
        "exponential decay": exponential_decay(daily_plays, upload_day, day, horizon),
    }


def scores(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> tuple[float, float]:
    """(MAE on log1p plays, Spearman) of one predictor."""
    return mae_log(predicted, actual), spearman(predicted, actual)
