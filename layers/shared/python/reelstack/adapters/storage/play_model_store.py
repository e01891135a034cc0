"""The play predictor's artifact in the media bucket, under `models/play-predictor/<name>.joblib`.

`reelstack roi train` uploads one (`upload`); the nightly tiering downloads the one PLAY_MODEL_KEY
names to its scratch directory once per cold start and loads it (`load`). Only that prefix is
accepted: it is the one the tiering function may read. A missing, unreadable or incompatible
artifact raises `PlayModelUnavailable`, which says which key and why (no silent fallback to the
decay baseline: a configured model that does not load is a deployment error).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.errors import ReelstackError

if TYPE_CHECKING:  # numpy and scikit-learn are in the tiering image only, not in the shared layer
    from reelstack.adapters.storage.play_predictor import PlayPredictor

MODEL_PREFIX = "models/play-predictor/"
MODEL_SUFFIX = ".joblib"
CONTENT_TYPE = "application/octet-stream"


class PlayModelUnavailable(RuntimeError):
    """The configured play model could not be read or loaded."""


def model_key(name: str) -> str:
    """`models/play-predictor/<name>.joblib` for a bare artifact name."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"a model name is one path segment, not {name!r}")
    return f"{MODEL_PREFIX}{name.removesuffix(MODEL_SUFFIX)}{MODEL_SUFFIX}"


def check_key(key: str) -> str:
    """The key itself if it is an artifact key under `MODEL_PREFIX`; else ValueError."""
    name = key[len(MODEL_PREFIX) :]
    if not key.startswith(MODEL_PREFIX) or not name.endswith(MODEL_SUFFIX) or "/" in name:
        raise ValueError(f"a play model key is {MODEL_PREFIX}<name>{MODEL_SUFFIX}, not {key!r}")
    return key


class PlayModelStore:
    """Play predictor artifacts in one bucket (through `MediaStorage`, the S3 adapter)."""

    def __init__(self, storage: MediaStorage) -> None:
        self.storage = storage

    def upload(self, path: Path, key: str) -> None:
        """Put the artifact file at `path` under `key` (a `models/play-predictor/` key)."""
        self.storage.upload_file(check_key(key), str(path), CONTENT_TYPE)

    def load(self, key: str, scratch_dir: str = "/tmp") -> PlayPredictor:
        """Download `key` into `scratch_dir` and load it; `PlayModelUnavailable` when it cannot be."""
        where = f"s3://{self.storage.bucket}/{key}"
        try:
            check_key(key)
        except ValueError as exc:
            raise PlayModelUnavailable(f"PLAY_MODEL_KEY {key!r}: {exc}") from exc
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        path = Path(scratch_dir) / f"play-model-{digest}{MODEL_SUFFIX}"
        try:
            self.storage.download_to(key, str(path))
        except ReelstackError as exc:
            raise PlayModelUnavailable(f"the play model {where} could not be read: {exc}") from exc
        try:
            from reelstack.adapters.storage.play_predictor import PlayPredictor

            return PlayPredictor.load(path)
        except Exception as exc:  # joblib/pickle errors, a version mismatch, missing scikit-learn
            raise PlayModelUnavailable(
                f"the play model {where} could not be loaded: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
