"""Training and scoring the play predictor on a synthetic catalog (`reelstack roi eval`, roi_sim).

`reelstack roi eval` generates a seeded catalog (`roi_catalog`), trains the model on the first part
of the trace (training videos, prediction days whose horizon ends by `--train-until`), and scores every predictor
on the held-out slice: the other videos (`HOLDOUT_SHARE`), at prediction days after `--train-until`.
Prediction days are taken every `DAY_STEP` days; a video counts from its upload day on.
Training rows are subsampled to `--max-train-rows` (seeded) to keep training to seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from reelstack.domain.storage.play_history import (
    HORIZONS,
    baseline_predictions,
    extract_features,
    future_plays,
    scores,
)

if TYPE_CHECKING:
    from reelstack.adapters.storage.play_predictor import PlayPredictor, TrainingOptions

HOLDOUT_SHARE = 0.2
DAY_STEP = 3
MIN_TRAIN_DAY = 7
MAX_TRAIN_ROWS = 300_000
MODEL_NAME = "gradient boosting"


def default_train_until(days: int) -> int:
    """2/3 of the trace, or earlier so that the longest horizon is scored on at least 4 days."""
    return min(days * 2 // 3, days - max(HORIZONS) - 1 - 3 * DAY_STEP)


def train_until_bounds(days: int) -> tuple[int, int]:
    """The lowest and highest usable last training day: both horizons get training and scored days."""
    return MIN_TRAIN_DAY + max(HORIZONS), days - max(HORIZONS) - 1


class PlayTrace(Protocol):
    """What training and scoring read: the synthetic `Catalog`, or the lake's `roi_lake.LakeTrace`."""

    @property
    def videos(self) -> int: ...

    @property
    def days(self) -> int: ...

    @property
    def upload_day(self) -> npt.NDArray[np.int32]: ...

    @property
    def daily_plays(self) -> npt.NDArray[np.int32]: ...

    @property
    def completion_rate(self) -> npt.NDArray[np.float32]: ...

    def likes_until(self, day: int, videos: npt.NDArray[np.intp] | None = None) -> npt.NDArray[np.int64]: ...


@dataclass(frozen=True)
class Score:
    """One predictor's scores for one horizon on the held-out slice."""

    predictor: str
    horizon: int
    mae_log: float
    spearman: float
    rows: int


def features_at(catalog: PlayTrace, day: int, videos: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """Feature rows of `videos` at the end of `day` (`play_history.FEATURE_NAMES` order)."""
    plays = catalog.daily_plays[videos]
    likes = catalog.likes_until(day, videos).astype(np.float64)
    return extract_features(plays, catalog.upload_day[videos], day, likes, catalog.completion_rate[videos])


def _uploaded(catalog: PlayTrace, day: int, videos: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    return videos[catalog.upload_day[videos] <= day]


def split_videos(
    catalog: PlayTrace, holdout_share: float, seed: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(training videos, held-out videos), a seeded random split."""
    held = np.random.default_rng(seed).uniform(0, 1, catalog.videos) < holdout_share
    return np.flatnonzero(~held), np.flatnonzero(held)


def training_rows(
    catalog: PlayTrace, videos: npt.NDArray[np.intp], days: Iterable[int], horizon: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(features, actual plays in the horizon) for every uploaded video of `videos` at each day."""
    xs, ys = [], []
    for day in days:
        rows = _uploaded(catalog, day, videos)
        if rows.size:
            xs.append(features_at(catalog, day, rows))
            ys.append(future_plays(catalog.daily_plays[rows], day, horizon))
    if not xs:
        raise ValueError("no training rows: no video uploaded on the training days")
    return np.concatenate(xs), np.concatenate(ys)


def train_on_trace(
    catalog: PlayTrace,
    train_until: int,
    videos: npt.NDArray[np.intp] | None = None,
    *,
    max_rows: int = MAX_TRAIN_ROWS,
    day_step: int = DAY_STEP,
    seed: int = 0,
    options: TrainingOptions | None = None,
) -> PlayPredictor:
    """Train on `videos` (all by default) using only days up to `train_until` (targets included)."""
    from reelstack.adapters.storage.play_predictor import PlayPredictor as Predictor
    from reelstack.adapters.storage.play_predictor import fit_calibration, fit_model

    chosen = videos if videos is not None else np.arange(catalog.videos)
    rng = np.random.default_rng(seed)
    models, calibration = {}, {}
    for horizon in HORIZONS:
        days = range(MIN_TRAIN_DAY, train_until - horizon + 1, day_step)
        x, y = training_rows(catalog, chosen, days, horizon)
        if len(y) > max_rows:
            keep = rng.choice(len(y), size=max_rows, replace=False)
            x, y = x[keep], y[keep]
        models[horizon] = fit_model(x, y, options)
        calibration[horizon] = fit_calibration(models[horizon], x, y)
    return Predictor(models, calibration=calibration)


def evaluate(
    catalog: PlayTrace,
    predictor: PlayPredictor,
    videos: npt.NDArray[np.intp],
    first_day: int,
    day_step: int = DAY_STEP,
) -> list[Score]:
    """Scores of the baselines and the model on `videos` at days from `first_day` (every `day_step`)."""
    results: list[Score] = []
    for horizon in HORIZONS:
        predicted: dict[str, list[npt.NDArray[np.float64]]] = {}
        actual = []
        for day in range(first_day, catalog.days - horizon, day_step):
            rows = _uploaded(catalog, day, videos)
            plays = catalog.daily_plays[rows]
            for name, values in baseline_predictions(plays, catalog.upload_day[rows], day, horizon).items():
                predicted.setdefault(name, []).append(values)
            predicted.setdefault(MODEL_NAME, []).append(
                predictor.predict(features_at(catalog, day, rows), horizon)
            )
            actual.append(future_plays(plays, day, horizon))
        if not actual:
            raise ValueError(f"no held-out days from day {first_day} for a {horizon}-day horizon")
        truth = np.concatenate(actual)
        for name, parts in predicted.items():
            mae, rho = scores(np.concatenate(parts), truth)
            results.append(Score(name, horizon, mae, rho, truth.size))
    return results


def render(results: list[Score]) -> str:
    """The eval table: one row per predictor, MAE on log plays and Spearman per horizon."""
    horizons = sorted({r.horizon for r in results})
    names = list(dict.fromkeys(r.predictor for r in results))
    by_key = {(r.predictor, r.horizon): r for r in results}
    header = f"{'predictor':<28}" + "".join(f"{f'MAE log {h}d':>12}{f'Spearman {h}d':>14}" for h in horizons)
    lines = [header, "-" * len(header)]
    for name in names:
        cells = "".join(
            f"{by_key[name, h].mae_log:>12.3f}{by_key[name, h].spearman:>14.3f}" for h in horizons
        )
        lines.append(f"{name:<28}{cells}")
    return "\n".join(lines)
