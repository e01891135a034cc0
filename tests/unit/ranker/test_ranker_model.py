"""The ranker's pieces that need no Spark and no cloud: the serving forward equals the training one,
the inference handler keeps the candidates' order, and the metrics on hand-computed cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reelstack_tools.rank_eval import auc, gauc, mean_ndcg, ndcg_at, ranker_modules, recall_at

features, model, training, inference = ranker_modules()


def _rows(count: int, rng: np.random.Generator) -> list[dict[str, list[str]]]:
    return [
        features.values_of(
            {
                "region": "DE",
                "device": "ios",
                "activity": int(rng.integers(0, 500)),
                "tags": [f"t{rng.integers(0, 9)}", "cats"],
            },
            {"hour": int(rng.integers(0, 24)), "device": "web"},
            {
                "video_id": f"v{index}",
                "author_id": f"a{index % 7}",
                "tags": ["cats"] if index % 2 else [],
                "duration_ms": 12_000,
                "plays": index,
            },
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("kind", ["deepfm", "lr"])
def test_numpy_serving_and_jax_training_compute_the_same_scores(kind: str) -> None:
    # GIVEN random (not trained) weights, so every term counts
    rng = np.random.default_rng(1)
    params = training.initial_params(training.TrainSettings(kind=kind), rng)
    params = {
        name: (value + rng.normal(0, 0.1, value.shape)).astype(np.float32) for name, value in params.items()
    }
    indices, mask = features.encode(_rows(64, rng))
    # WHEN both forwards score the same examples THEN they agree
    np.testing.assert_allclose(
        model.logits(params, indices, mask, kind), training.jax_logits(params, indices, mask, kind), atol=1e-5
    )


def test_a_missing_value_has_its_own_slot_and_multi_values_are_masked() -> None:
    indices, mask = features.encode([features.values_of({}, {}, {"video_id": "v1", "tags": ["a", "b"]})])
    tags = features.NAMES.index("video_tags")
    assert mask[0, tags].tolist()[:3] == [1.0, 1.0, 0.0]
    region = features.NAMES.index("user_region")
    assert indices[0, region, 0] == features.missing_slot(region) and mask[0, region].sum() == 1.0


def test_the_inference_handler_scores_200_candidates_in_their_order(tmp_path: Path) -> None:
    # GIVEN a briefly trained artifact
    rng = np.random.default_rng(2)
    rows = _rows(400, rng)
    indices, mask = features.encode(rows)
    labels = np.asarray([1.0 if "cats" in row["video_tags"] else 0.0 for row in rows], dtype=np.float32)
    params, _ = training.train(indices, mask, labels, training.TrainSettings(epochs=3, batch_size=64))
    model.save(tmp_path, params, {"kind": "deepfm", "version": "t1"})
    # WHEN one viewer's 200 candidates go through model_fn / input_fn / predict_fn / output_fn
    candidates = [
        {"video_id": f"v{i}", "tags": ["cats"] if i % 2 else ["dogs"], "duration_ms": 12_000}
        for i in range(200)
    ]
    body = json.dumps(
        {
            "user": {"region": "DE", "tags": ["cats"]},
            "context": {"hour": 20, "device": "web"},
            "candidates": candidates,
        }
    )
    loaded = inference.model_fn(str(tmp_path))
    answer = json.loads(
        inference.output_fn(
            inference.predict_fn(inference.input_fn(body, "application/json"), loaded), "application/json"
        )
    )
    # THEN one score per candidate, in order, and the planted signal shows
    scores = answer["scores"]
    assert len(scores) == 200 and answer["model_version"] == "t1"
    assert np.mean(scores[1::2]) > np.mean(scores[0::2])
    with pytest.raises(ValueError):
        inference.input_fn(body, "text/csv")


def test_auc_and_gauc_on_hand_computed_cases() -> None:
    # pairs (pos, neg): (0.9>0.1), (0.9>0.5), (0.5=0.5 tie: half), (0.5>0.1) -> 3.5 / 4
    assert auc([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1]) == pytest.approx(0.875)
    assert auc([1, 1], [0.2, 0.3]) is None
    # GAUC skips the user with one label; weights the others by their impressions
    users = ["a", "a", "b", "b", "b", "c"]
    labels = [1, 0, 1, 0, 0, 1]
    scores = [0.9, 0.1, 0.1, 0.9, 0.5, 0.3]
    assert gauc(users, labels, scores) == pytest.approx((1.0 * 2 + 0.0 * 3) / 5)


def test_ndcg_and_recall_on_hand_computed_cases() -> None:
    # the one positive ranked second: 1 / log2(3)
    assert ndcg_at([0, 1, 0], [0.9, 0.5, 0.1]) == pytest.approx(1 / np.log2(3))
    assert ndcg_at([0, 0], [0.1, 0.2]) is None
    assert mean_ndcg(["a", "a", "b"], [1, 0, 1], [0.9, 0.1, 0.4]) == pytest.approx(1.0)
    assert recall_at(["v1", "v2", "v3"], {"v2", "v9"}, k=2) == 0.5


def test_follows_author_is_known_from_the_viewers_followings_or_the_training_row() -> None:
    # GIVEN a viewer who follows a1 WHEN candidates by a1 and a2 are described THEN "1" and "0"
    follower = {"follows": ["a1", "a9"]}
    assert features.values_of(follower, {}, {"author_id": "a1"})["follows_author"] == ["1"]
    assert features.values_of(follower, {}, {"author_id": "a2"})["follows_author"] == ["0"]
    # AND unknown followings leave the field missing (its own slot), as an old training row does
    assert features.values_of({}, {}, {"author_id": "a1"})["follows_author"] == []
    assert features.example_values({"author_id": "a1", "follows_author": True})["follows_author"] == ["1"]
    assert features.example_values({"author_id": "a1"})["follows_author"] == []
