"""Training DeepFM (and the logistic-regression baseline) with JAX: the same function as
`ranker_model.logits`, differentiated; minibatch Adam (written out: a dozen lines need no optimizer
library) with L2 on the embeddings; seeded, so a run is repeatable.

Input: the encoded examples (`ranker_features.encode`) and their labels; output: the parameters as
numpy arrays, which `ranker_model.save` writes and the inference code serves.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import ranker_features


@dataclass(frozen=True)
class TrainSettings:
    kind: str = "deepfm"  # or "lr"
    embedding_dim: int = 8
    hidden: tuple[int, ...] = (64, 32)
    epochs: int = 4
    batch_size: int = 512
    learning_rate: float = 0.005
    l2: float = 1e-6
    seed: int = 7


def initial_params(settings: TrainSettings, rng: np.random.Generator) -> dict[str, np.ndarray]:
    features, dim = ranker_features.FEATURES, settings.embedding_dim
    params: dict[str, np.ndarray] = {
        "bias": np.zeros(1, dtype=np.float32),
        "w": np.zeros(features, dtype=np.float32),
    }
    if settings.kind == "lr":
        return params
    params["embedding"] = (rng.standard_normal((features, dim)) * 0.01).astype(np.float32)
    width = len(ranker_features.FIELDS) * dim
    for layer, size in enumerate((*settings.hidden, 1)):
        params[f"dense{layer}_w"] = (rng.standard_normal((width, size)) * np.sqrt(2.0 / width)).astype(
            np.float32
        )
        params[f"dense{layer}_b"] = np.zeros(size, dtype=np.float32)
        width = size
    return params


def _jax_logits(params: dict[str, Any], indices: Any, mask: Any, kind: str) -> Any:
    import jax.numpy as jnp

    def pooled(table: Any) -> Any:
        gathered = table[indices] * mask[..., None]
        return gathered.sum(axis=2) / jnp.maximum(mask.sum(axis=2), 1.0)[..., None]

    out = params["bias"][0] + pooled(params["w"][:, None])[..., 0].sum(axis=1)
    if kind == "lr":
        return out
    embedded = pooled(params["embedding"])
    summed = embedded.sum(axis=1)
    fm = 0.5 * (summed**2 - (embedded**2).sum(axis=1)).sum(axis=1)
    hidden = embedded.reshape(embedded.shape[0], -1)
    layers = sum(1 for name in params if name.endswith("_w") and name.startswith("dense"))
    for layer in range(layers):
        hidden = hidden @ params[f"dense{layer}_w"] + params[f"dense{layer}_b"]
        if layer < layers - 1:
            hidden = jnp.maximum(hidden, 0.0)
    return out + fm + hidden[:, 0]


def jax_logits(
    params: dict[str, np.ndarray], indices: np.ndarray, mask: np.ndarray, kind: str = "deepfm"
) -> np.ndarray:
    """The training-side forward on numpy inputs (for the equality test with the serving side)."""
    import jax.numpy as jnp

    jax_params = {name: jnp.asarray(value) for name, value in params.items()}
    return np.asarray(_jax_logits(jax_params, jnp.asarray(indices), jnp.asarray(mask), kind))


def train(
    indices: np.ndarray, mask: np.ndarray, labels: np.ndarray, settings: TrainSettings
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """-> (parameters, a report: settings, examples, seconds, final loss)."""
    import jax
    import jax.numpy as jnp

    started = time.monotonic()
    rng = np.random.default_rng(settings.seed)
    params = {name: jnp.asarray(value) for name, value in initial_params(settings, rng).items()}

    def loss(current: dict[str, Any], batch_indices: Any, batch_mask: Any, batch_labels: Any) -> Any:
        scores = _jax_logits(current, batch_indices, batch_mask, settings.kind)
        bce = jnp.mean(jnp.logaddexp(0.0, scores) - batch_labels * scores)
        penalty = sum(jnp.sum(value**2) for name, value in current.items() if name in ("embedding", "w"))
        return bce + settings.l2 * penalty

    @jax.jit
    def step(
        state: tuple[Any, Any, Any, Any], batch: tuple[Any, Any, Any]
    ) -> tuple[tuple[Any, Any, Any, Any], Any]:
        current, first, second, count = state
        value, grads = jax.value_and_grad(loss)(current, *batch)
        count = count + 1
        first = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, first, grads)
        second = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, second, grads)
        correction = jnp.sqrt(1 - 0.999**count) / (1 - 0.9**count)
        current = jax.tree_util.tree_map(
            lambda p, m, v: p - settings.learning_rate * correction * m / (jnp.sqrt(v) + 1e-8),
            current,
            first,
            second,
        )
        return (current, first, second, count), value

    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = (params, zeros, jax.tree_util.tree_map(jnp.zeros_like, params), jnp.asarray(0.0))
    count = len(labels)
    size = settings.batch_size
    losses: list[float] = []
    for _ in range(settings.epochs):
        order = rng.permutation(count)
        usable = count - count % size if count >= size else count
        for start in range(0, usable, size):
            chosen = order[start : start + size]
            batch = (
                jnp.asarray(indices[chosen]),
                jnp.asarray(mask[chosen]),
                jnp.asarray(labels[chosen], dtype=jnp.float32),
            )
            state, value = step(state, batch)
            losses.append(float(value))
    trained = {name: np.asarray(value) for name, value in state[0].items()}
    report = {
        "settings": asdict(settings),
        "examples": int(count),
        "seconds": round(time.monotonic() - started, 2),
        "final_loss": round(float(np.mean(losses[-20:])) if losses else float("nan"), 5),
    }
    return trained, report
