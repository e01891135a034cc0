"""The ranker's SageMaker inference handler: one request scores a batch of candidates for one viewer.

Request (application/json):
    {"user": {"region", "device", "activity", "tags": [..]},      # the viewer's long-term profile
     "context": {"hour": 0-23, "device"},
     "candidates": [{"video_id", "author_id", "tags", "duration_ms", "codec_tier", "age_days", "plays"}, ...]}
Answer: {"scores": [p, ...] (probability of a play watched past half or a like, candidates' order),
         "model_version": "..."}

Imports only numpy, the standard library and its sibling modules: it runs in SageMaker's
scikit-learn container and in the local cloud's runtime, with the same artifact (model.npz, meta.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ranker_features
import ranker_model

MAX_CANDIDATES = 1000


def model_fn(model_dir: str) -> dict[str, Any]:
    params, meta = ranker_model.load(Path(model_dir))
    return {"params": params, "meta": meta}


def input_fn(body: bytes | str, content_type: str) -> dict[str, Any]:
    if content_type.split(";")[0].strip() != "application/json":
        raise ValueError(f"unsupported content type {content_type!r}: send application/json")
    request = json.loads(body)
    if not isinstance(request, dict) or not isinstance(request.get("candidates"), list):
        raise ValueError("the request is {user, context, candidates: [...]}")
    if len(request["candidates"]) > MAX_CANDIDATES:
        raise ValueError(f"at most {MAX_CANDIDATES} candidates per request")
    return request


def predict_fn(request: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    user, context = request.get("user") or {}, request.get("context") or {}
    rows = [ranker_features.values_of(user, context, candidate) for candidate in request["candidates"]]
    if not rows:
        return {"scores": [], "model_version": model["meta"].get("version")}
    indices, mask = ranker_features.encode(rows)
    kind = model["meta"].get("kind", "deepfm")
    scores = ranker_model.sigmoid(ranker_model.logits(model["params"], indices, mask, kind))
    return {
        "scores": [round(float(score), 6) for score in scores],
        "model_version": model["meta"].get("version"),
    }


def output_fn(prediction: dict[str, Any], accept: str) -> str:
    return json.dumps(prediction)
