"""The ranker on a seeded synthetic log with planted tastes, through the real pipeline (lake files ->
the profile job on Spark -> examples with held-out days): DeepFM beats most popular on AUC by a clear
margin (the planted signal, taste match, is invisible to popularity) and is no worse than logistic
regression on the same features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelstack_tools import rank_eval
from reelstack_tools.rank_synthetic import SyntheticLog, generate

pytestmark = pytest.mark.integration


def test_deepfm_learns_the_planted_tastes_that_popularity_cannot_see(spark: Any, tmp_path: Path) -> None:
    # GIVEN 11 days of a seeded log: 9 to train on, 2 held out
    spec = SyntheticLog(users=500, videos=300, days=11, seed=5)
    split, counts = rank_eval.offline_split(generate(spec), 9, spec.day(8), spec.day(10), spark, tmp_path)
    assert counts["examples"] == len(split.train) + len(split.test) and split.test
    features, _, training, _ = rank_eval.ranker_modules()
    indices, mask = features.encode([features.example_values(row) for row in split.train])
    labels = np.asarray([row["label"] for row in split.train], dtype=np.float32)
    # WHEN DeepFM and logistic regression train on the same features
    results = {}
    for kind in ("deepfm", "lr"):
        params, _ = training.train(indices, mask, labels, training.TrainSettings(kind=kind, seed=5))
        results[kind] = rank_eval.evaluate(kind, rank_eval.model_scorer(params, kind), split, recall_users=20)
    popular = rank_eval.evaluate(
        "popular", lambda rows: np.asarray([row["video_plays"] for row in rows], dtype=float), split, 20
    )
    # THEN on the held-out days DeepFM is clearly better than popularity, and not worse than LR
    assert results["deepfm"].auc is not None and popular.auc is not None and results["lr"].auc is not None
    assert results["deepfm"].auc >= popular.auc + 0.05, (results, popular)
    assert results["deepfm"].auc >= results["lr"].auc - 0.005, results
