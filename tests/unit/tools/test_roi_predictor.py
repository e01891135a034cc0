"""The issue's accuracy test: the trained play predictor beats persistence (and exponential decay) on a
held-out slice of a synthetic trace, for next-7 and next-30-day plays; and `reelstack roi eval`."""

from __future__ import annotations

import numpy as np
import pytest

from reelstack_tools.cli import main
from reelstack_tools.roi_catalog import CatalogParams, generate_catalog
from reelstack_tools.roi_eval import (
    HOLDOUT_SHARE,
    MODEL_NAME,
    Score,
    default_train_until,
    evaluate,
    split_videos,
    train_on_trace,
)


@pytest.fixture(scope="module")
def held_out_scores() -> list[Score]:
    catalog = generate_catalog(CatalogParams(videos=3000, days=90, seed=11))
    train_until = default_train_until(catalog.days)
    training, held_out = split_videos(catalog, HOLDOUT_SHARE, seed=11)
    predictor = train_on_trace(catalog, train_until, training, seed=11)
    return evaluate(catalog, predictor, held_out, train_until)


@pytest.mark.parametrize("horizon", [7, 30])
def test_the_model_beats_every_baseline_on_held_out_videos_and_days(
    held_out_scores: list[Score], horizon: int
) -> None:
    """GIVEN a model trained on 80 % of 3,000 videos, days up to 50 of 90
    WHEN it and the baselines predict the other videos' plays after day 50
    THEN its MAE on log plays is below persistence's (both kinds) and exponential decay's."""
    scores = {s.predictor: s for s in held_out_scores if s.horizon == horizon}
    model = scores.pop(MODEL_NAME)

    assert set(scores) == {"persistence (last day)", "persistence (last 7 days)", "exponential decay"}
    for name, baseline in scores.items():
        assert model.mae_log < baseline.mae_log, name
        assert baseline.rows == model.rows > 1000


def test_the_models_ranking_agrees_with_the_actual_plays(held_out_scores: list[Score]) -> None:
    """GIVEN the held-out scores WHEN the model's Spearman correlations are read
    THEN they rank the videos well (rho > 0.6) at both horizons."""
    model = [s for s in held_out_scores if s.predictor == MODEL_NAME]

    assert len(model) == 2
    assert all(np.isfinite(s.spearman) and s.spearman > 0.6 for s in model)


def test_roi_eval_prints_one_table_of_every_predictor(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a tiny catalog WHEN `reelstack roi eval` runs THEN it prints a row per predictor with
    MAE and Spearman columns for both horizons, and exits 0."""
    code = main(["roi", "eval", "--videos", "300", "--days", "80", "--seed", "3", "--max-train-rows", "5000"])
    out = capsys.readouterr().out

    assert code == 0
    assert "MAE log 7d" in out and "Spearman 30d" in out
    for name in ("persistence (last day)", "persistence (last 7 days)", "exponential decay", MODEL_NAME):
        assert sum(line.startswith(name) for line in out.splitlines()) == 1, name


def test_roi_eval_refuses_a_training_cut_that_leaves_nothing_to_score(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GIVEN 80 days WHEN --train-until 70 leaves no 30-day horizon after it THEN exit 2 with the range."""
    code = main(["roi", "eval", "--videos", "50", "--days", "80", "--train-until", "70"])

    assert code == 2
    assert "--train-until must be in [37, 49]" in capsys.readouterr().err
