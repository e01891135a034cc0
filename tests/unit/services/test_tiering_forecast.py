"""The tiering's play forecast: a video's daily stats, likes and duration make its `PlayHistory`
(completion = watched / (plays x duration), clipped to [0, 1]); the decay baseline stays the default;
a trained predictor forecasts exactly what `PlayPredictor.predict` says of the history's features."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.storage.play_model_store import MODEL_PREFIX, PlayModelStore, check_key, model_key
from reelstack.adapters.storage.play_predictor import PlayPredictor, TrainingOptions, train
from reelstack.domain.storage.play_history import FEATURE_NAMES, PlayHistory, exponential_decay
from reelstack.services.storage.tiering import (
    ModelForecast,
    completion_rate,
    decay_forecast,
    forecast_name,
    play_history,
)

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Day:
    plays: int
    watched_ms: int


SERIES = [Day(0, 0), Day(40, 240_000), Day(20, 100_000), Day(10, 50_000)]  # 70 plays, 390 s watched


@pytest.fixture(scope="module")
def predictor() -> PlayPredictor:
    """A small predictor: next-week plays follow the last 7 days' plays, and likes per play lift them."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 6, size=(1500, len(FEATURE_NAMES)))
    x[:, FEATURE_NAMES.index("likes_per_play")] = rng.uniform(0, 1, 1500)
    week = np.expm1(x[:, FEATURE_NAMES.index("log_plays_last_7")]) * (
        1 + x[:, FEATURE_NAMES.index("likes_per_play")]
    )
    return train(x, {7: week, 30: 3 * week}, TrainingOptions(max_iter=30, min_samples_leaf=5))


def test_completion_is_watched_time_over_plays_times_duration() -> None:
    # GIVEN 70 plays that watched 390 s of a 10 s video WHEN the completion rate is computed
    # THEN it is 390 / (70 x 10)
    assert completion_rate(SERIES, 10.0) == pytest.approx(390 / 700)


def test_completion_is_clipped_to_one_and_zero_without_plays_or_duration() -> None:
    # GIVEN more watch time than plays x duration (replays, a duration rounded down) THEN 1
    assert completion_rate(SERIES, 1.0) == 1.0
    # GIVEN no plays, or no known duration THEN 0 (not a division by zero)
    assert completion_rate([Day(0, 0), Day(0, 0)], 10.0) == 0.0
    assert completion_rate(SERIES, 0.0) == 0.0


def test_the_history_holds_the_daily_plays_the_likes_and_the_completion() -> None:
    # GIVEN a series, 9 likes and a 10 s video WHEN the forecast's input is built
    history = play_history(SERIES, 9, 10.0)
    # THEN it is the PlayHistory of those plays, likes and completion rate
    assert (history.daily_plays, history.likes) == ((0, 40, 20, 10), 9)
    assert history.completion_rate == pytest.approx(390 / 700)
    # AND an empty series (no day read) is a single day of no plays
    assert play_history([], 0, 10.0) == PlayHistory((0,), 0, 0.0)


def test_the_decay_baseline_reads_the_daily_plays() -> None:
    # GIVEN a history WHEN the default forecast predicts THEN it is exponential decay on its plays
    history = play_history(SERIES, 9, 10.0)
    row, upload, day = history.as_matrix()
    expected = (exponential_decay(row, upload, day, 7)[0], exponential_decay(row, upload, day, 30)[0])
    assert decay_forecast(history) == pytest.approx(expected)
    assert forecast_name(decay_forecast) == "decay"


def test_the_model_forecast_is_the_predictors_output_on_the_histories_features(
    predictor: PlayPredictor,
) -> None:
    # GIVEN a trained predictor and a video's history (its likes among the features)
    history = play_history(SERIES, 30, 10.0)
    features = PlayHistory((0, 40, 20, 10), likes=30, completion_rate=390 / 700).features()
    # WHEN the model forecast predicts
    seven, thirty = ModelForecast(predictor, name="model k")(history)
    # THEN it is exactly PlayPredictor.predict on PlayHistory(...).features(), per horizon
    assert seven == float(predictor.expected(features[None, :], 7)[0])
    assert thirty == float(predictor.expected(features[None, :], 30)[0])
    # AND the likes matter to it, and it is not the decay baseline
    assert ModelForecast(predictor)(play_history(SERIES, 0, 10.0)) != (seven, thirty)
    assert (seven, thirty) != pytest.approx(decay_forecast(history))
    assert forecast_name(ModelForecast(predictor, name="model k")) == "model k"


def test_model_keys_live_under_the_play_predictor_prefix() -> None:
    # GIVEN artifact names and keys WHEN checked THEN only models/play-predictor/<name>.joblib passes
    from reelstack_tools.roi_command import MODEL_PREFIX as CLI_PREFIX
    from reelstack_tools.roi_command import default_key

    assert CLI_PREFIX == MODEL_PREFIX
    assert model_key("nightly") == "models/play-predictor/nightly.joblib" == check_key(model_key("nightly"))
    assert check_key(default_key(3000, 60, 7)) == "models/play-predictor/synthetic-3000x60-seed7.joblib"
    for bad in ("renditions/x.joblib", "models/play-predictor/a/b.joblib", "models/play-predictor/x.pkl"):
        with pytest.raises(ValueError):
            check_key(bad)


def test_a_key_outside_the_prefix_is_refused_before_any_read(tmp_path: Path) -> None:
    # GIVEN a key the tiering may not read WHEN loaded THEN a clear error names it (no S3 call is made)
    from reelstack.adapters.storage.play_model_store import PlayModelUnavailable

    with pytest.raises(PlayModelUnavailable, match="PLAY_MODEL_KEY 'originals/v'"):
        PlayModelStore(MediaStorage("media", s3=object())).load("originals/v", str(tmp_path))


def test_roi_train_writes_a_loadable_artifact(tmp_path: Path) -> None:
    # GIVEN a small synthetic catalog WHEN `reelstack roi train --output` runs
    from reelstack_tools.cli import main

    path = tmp_path / "model.joblib"
    assert (
        main(["roi", "train", "--videos", "600", "--days", "60", "--seed", "3", "--output", str(path)]) == 0
    )
    # THEN the artifact loads and predicts both horizons
    loaded = PlayPredictor.load(path)
    assert loaded.horizons == (7, 30)
    features = PlayHistory((5, 50, 30, 20)).features()[None, :]
    assert loaded.predict(features, 30)[0] >= 0
    # AND with nowhere to write, or a key outside the prefix, it refuses (usage error)
    assert main(["roi", "train", "--videos", "600", "--days", "60"]) == 2
    assert main(["roi", "train", "--days", "60", "--bucket", "b", "--key", "renditions/m.joblib"]) == 2


def test_the_shared_layer_imports_no_numpy_for_the_tiering() -> None:
    # GIVEN the zip functions' shared layer has no numpy WHEN wiring and the tiering service are imported
    # THEN numpy is not (it is imported when a forecast runs, in the tiering image)
    code = "import sys, reelstack.wiring, reelstack.services.storage.tiering; print('numpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "layers" / "shared" / "python",
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
