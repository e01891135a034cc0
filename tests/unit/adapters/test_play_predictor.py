"""The play predictor adapter: trains per horizon, predicts plays (never negative), calibrates its
median to the expected plays, and its artifact round-trips; bad inputs and artifacts from another
version are refused."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pytest

from reelstack.adapters.storage.play_predictor import PlayPredictor, TrainingOptions, train
from reelstack.domain.storage.play_history import FEATURE_NAMES

OPTIONS = TrainingOptions(max_iter=30, min_samples_leaf=5)


def _rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features whose last-7-days column drives the next week's plays (x 1, and x 3 for 30 days)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 6, size=(n, len(FEATURE_NAMES)))
    week = np.expm1(x[:, FEATURE_NAMES.index("log_plays_last_7")])
    return x, week


@pytest.fixture(scope="module")
def predictor() -> PlayPredictor:
    x, week = _rows(2000, seed=1)
    return train(x, {7: week, 30: 3 * week}, OPTIONS)


def test_a_trained_predictor_learns_each_horizon(predictor: PlayPredictor) -> None:
    """GIVEN a predictor trained on plays driven by one feature WHEN it predicts unseen rows
    THEN the 30-day prediction is ~3x the 7-day one, both close to the truth on log scale."""
    x, week = _rows(500, seed=2)

    seven, thirty = predictor.predict(x, 7), predictor.predict(x, 30)

    assert predictor.horizons == (7, 30)
    assert np.median(np.abs(np.log1p(seven) - np.log1p(week))) < 0.2
    assert np.median(np.log1p(thirty) - np.log1p(seven)) == pytest.approx(np.log(3), abs=0.2)
    assert np.all(seven >= 0)


def test_the_artifact_round_trips_to_identical_predictions(predictor: PlayPredictor, tmp_path: Path) -> None:
    """GIVEN a trained predictor WHEN saved and loaded THEN the loaded one predicts the same values."""
    x, _ = _rows(200, seed=3)

    loaded = PlayPredictor.load(predictor.save(tmp_path / "model.joblib"))

    for horizon in (7, 30):
        assert np.array_equal(loaded.predict_log(x, horizon), predictor.predict_log(x, horizon))
        assert np.array_equal(loaded.expected(x, horizon), predictor.expected(x, horizon))


def _skewed(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Plays = a feature's level times lognormal luck (sigma 1.2): the mean is 2x the median."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 6, size=(n, len(FEATURE_NAMES)))
    level = np.expm1(x[:, FEATURE_NAMES.index("log_plays_last_7")]) + 1
    return x, level * np.exp(rng.normal(0, 1.2, n))


def test_expected_plays_are_the_calibrated_mean_where_the_median_falls_short() -> None:
    """GIVEN plays with lognormal luck around a level one feature sets (mean = e^(1.2^2/2) ~ 2.05 x median)
    WHEN a predictor trained on them predicts unseen rows
    THEN the median prediction's total falls ~half short of the actual total; the expected one's is
    within 15 %, and it is never below the median."""
    x, plays = _skewed(6000, seed=4)
    model = train(x, {7: plays}, OPTIONS)
    test_x, test_plays = _skewed(3000, seed=5)

    median, expected = model.predict(test_x, 7), model.expected(test_x, 7)

    assert median.sum() / test_plays.sum() < 0.65
    assert expected.sum() / test_plays.sum() == pytest.approx(1.0, abs=0.15)
    assert np.all(expected >= median - 1e-9)


def test_an_artifact_from_another_scikit_learn_is_refused(predictor: PlayPredictor, tmp_path: Path) -> None:
    """GIVEN an artifact that says another scikit-learn wrote it WHEN loaded THEN it is refused."""
    path = predictor.save(tmp_path / "model.joblib")
    payload = joblib.load(path)
    payload["sklearn"] = "0.0.1"
    joblib.dump(payload, path)

    with pytest.raises(ValueError, match="retrain"):
        PlayPredictor.load(path)


def test_bad_shapes_and_unknown_horizons_are_refused(predictor: PlayPredictor) -> None:
    """GIVEN the predictor WHEN asked with the wrong feature count or an untrained horizon
    THEN each is refused; an empty batch answers an empty prediction."""
    with pytest.raises(ValueError):
        predictor.predict(np.zeros((2, 3)), 7)
    with pytest.raises(KeyError):
        predictor.predict(np.zeros((2, len(FEATURE_NAMES))), 14)
    with pytest.raises(ValueError):
        train(np.zeros((3, len(FEATURE_NAMES))), {14: np.zeros(3)})
    assert predictor.predict(np.zeros((0, len(FEATURE_NAMES))), 7).shape == (0,)
