"""DeepFM's forward pass in numpy (serving) and its parameters on disk.

logit = bias + first-order + FM second-order + deep, over one embedding per feature shared by the FM
and the deep part: each field's embedding is the mean of its values' embeddings (multi-valued fields
pooled); FM = 1/2 * sum_k((sum_f e_f)^2 - sum_f e_f^2); deep = an MLP (ReLU) on the concatenated
field embeddings. `kind` "lr" keeps only bias + first-order terms: logistic regression on the same
hashed features (the baseline the issue asks for). Training (ranker_training, JAX) computes the same
function; a test keeps the two equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "model.npz"
META = "meta.json"


def field_embeddings(table: np.ndarray, indices: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[N, F, M] indices -> [N, F, D] mean embeddings of each field's values."""
    gathered = table[indices] * mask[..., None]
    return gathered.sum(axis=2) / np.maximum(mask.sum(axis=2), 1.0)[..., None]


def logits(
    params: dict[str, np.ndarray], indices: np.ndarray, mask: np.ndarray, kind: str = "deepfm"
) -> np.ndarray:
    first = field_embeddings(params["w"][:, None], indices, mask)[..., 0].sum(axis=1)
    out = params["bias"][0] + first
    if kind == "lr":
        return out
    embedded = field_embeddings(params["embedding"], indices, mask)
    summed = embedded.sum(axis=1)
    fm = 0.5 * (summed**2 - (embedded**2).sum(axis=1)).sum(axis=1)
    hidden = embedded.reshape(embedded.shape[0], -1)
    layer = 0
    while f"dense{layer}_w" in params:
        hidden = hidden @ params[f"dense{layer}_w"] + params[f"dense{layer}_b"]
        if f"dense{layer + 1}_w" in params:
            hidden = np.maximum(hidden, 0.0)
        layer += 1
    return out + fm + hidden[:, 0]


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -40, 40)))


def save(folder: Path, params: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        folder / WEIGHTS, **{name: np.asarray(value, dtype=np.float32) for name, value in params.items()}
    )
    (folder / META).write_text(json.dumps(meta, indent=2, sort_keys=True))


def load(folder: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    with np.load(folder / WEIGHTS) as stored:
        params = {name: stored[name] for name in stored.files}
    return params, json.loads((folder / META).read_text())
