"""NudeNet (an ONNX detector the `nudenet` wheel carries, run by onnxruntime on the CPU) over image files.

The model loads once per process, on first use, and is shared by every detector object (a warm Lambda
reuses it). Scores are per image: the highest score of each label NudeNet detected. NudeNet reports no
detection scoring under 0.25, so a threshold below that acts as 0.25.
Failures are `DependencyFailed`: `detector_unavailable` (the package or its model cannot load) and
`detector_failed` (an image could not be scored).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from reelstack.errors import DependencyFailed

PACKAGE = "nudenet"

_lock = threading.Lock()
_model: Any = None


def _load() -> Any:
    """The process's one `nudenet.NudeDetector`, built on first call."""
    global _model
    with _lock:
        if _model is None:
            try:
                from nudenet import NudeDetector
            except ImportError as exc:
                raise DependencyFailed(
                    f"{PACKAGE} is not installed: {exc}", code="detector_unavailable"
                ) from exc
            try:
                _model = NudeDetector()
            except Exception as exc:  # onnxruntime refuses the model (IR version, missing file, ...)
                raise DependencyFailed(
                    f"the {PACKAGE} model does not load: {exc}", code="detector_unavailable"
                ) from exc
        return _model


def max_scores(detections: Sequence[dict[str, Any]]) -> dict[str, float]:
    """NudeNet's detections (`{"class", "score", "box"}`) -> {label: highest score}."""
    scores: dict[str, float] = {}
    for detection in detections:
        label, score = str(detection["class"]), float(detection["score"])
        scores[label] = max(score, scores.get(label, 0.0))
    return dict(sorted(scores.items()))


class NudeNetDetector:
    """Label scores for JPEG/PNG files; the model is loaded lazily and cached per process."""

    @property
    def model(self) -> str:
        """`nudenet <version>`: recorded with every verdict."""
        try:
            return f"{PACKAGE} {metadata.version(PACKAGE)}"
        except metadata.PackageNotFoundError:
            return f"{PACKAGE} (not installed)"

    def warm_up(self) -> None:
        """Load the model now (e.g. at cold start) rather than on the first frame."""
        _load()

    def scores(self, paths: Sequence[str]) -> list[dict[str, float]]:
        """One {label: max score} per path, in order; labels not detected are absent."""
        model = _load()
        results = []
        for path in paths:
            if not os.path.isfile(path):
                raise DependencyFailed(f"no image at {path}", code="detector_failed")
            try:
                detections = model.detect(path)
            except Exception as exc:  # OpenCV cannot read the image, onnxruntime fails to run, ...
                raise DependencyFailed(f"{PACKAGE} failed on {path}: {exc}", code="detector_failed") from exc
            results.append(max_scores(detections))
        return results
