"""The Moderate stage: sample frames of an original, score them with an image model, apply the policy.

Frames that crossed a threshold are kept for the human reviewer at `moderation/{video_id}/frame_NNN.jpg`;
everything else (the downloaded original, the stills) lives in a scratch directory removed on every exit.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any, Protocol

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.moderation import FrameScores, ModerationPolicy, pick_stills, verdict
from reelstack.errors import InvalidRequest
from reelstack.observability import logger

JPEG = "image/jpeg"
_VIDEO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class FrameSampler(Protocol):
    def keyframes(
        self, path: str, out_dir: str, max_frames: int, min_gap_s: float
    ) -> list[tuple[float, str]]: ...


class ImageScorer(Protocol):
    @property
    def model(self) -> str: ...

    def scores(self, paths: list[str]) -> list[dict[str, float]]: ...


def frame_key(video_id: str, index: int) -> str:
    """Where a flagged frame is kept for the reviewer."""
    return f"moderation/{video_id}/frame_{index:03d}.jpg"


class ModerationStage:
    def __init__(
        self,
        storage: MediaStorage,
        sampler: FrameSampler,
        detector: ImageScorer,
        policy: ModerationPolicy,
        scratch_root: str | None = None,
    ) -> None:
        self.storage = storage
        self.sampler = sampler
        self.detector = detector
        self.policy = policy
        self.scratch_root = scratch_root  # None: the system's temporary directory (/tmp in Lambda)

    def moderate(self, video_id: str, source_key: str) -> dict[str, Any]:
        """The verdict on one video as a JSON-able dict:
        {decision, reasons, flagged: [{index, time_s, label, score, level, key}], frames_scored,
        max_scores, model, ms_per_frame}."""
        if not _VIDEO_ID.match(video_id):
            raise InvalidRequest(f"video id {video_id!r} is not a plain identifier", code="invalid_video_id")
        scratch = tempfile.mkdtemp(prefix="moderate-", dir=self.scratch_root)
        try:
            source = os.path.join(scratch, "source")
            self.storage.download_to(source_key, source)
            stills = self.sampler.keyframes(
                source, os.path.join(scratch, "frames"), self.policy.max_frames, self.policy.min_gap_s
            )
            return self._judge(
                video_id, stills, keep=lambda index, path: self._put_jpeg(frame_key(video_id, index), path)
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def moderate_stills(self, video_id: str, duration_s: float, prefix: str) -> dict[str, Any]:
        """The verdict from candidate stills the transcode's decode left under `prefix` (named by their
        time in ms): up to `max_frames` are picked and scored; flagged ones are copied for the reviewer.
        Nothing is decoded, and nothing is deleted (a lifecycle rule expires the candidates), so a
        retried Moderate judges the same frames."""
        if not _VIDEO_ID.match(video_id):
            raise InvalidRequest(f"video id {video_id!r} is not a plain identifier", code="invalid_video_id")
        candidates = sorted(
            (int(obj.key.rsplit("/", 1)[1].split(".")[0]) / 1000, obj.key)
            for obj in self.storage.list_objects(prefix)
            if obj.key.endswith(".jpg")
        )
        if not candidates:
            raise InvalidRequest(f"no candidate stills under {prefix}", code="no_candidate_stills")
        chosen = [candidates[i] for i in pick_stills(duration_s, [t for t, _ in candidates], self.policy)]
        scratch = tempfile.mkdtemp(prefix="moderate-", dir=self.scratch_root)
        try:
            stills = []
            for index, (time_s, key) in enumerate(chosen):
                path = os.path.join(scratch, f"{index:03d}.jpg")
                self.storage.download_to(key, path)
                stills.append((time_s, path))
            return self._judge(
                video_id, stills, keep=lambda index, _: self._keep(chosen[index][1], video_id, index)
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _keep(self, candidate_key: str, video_id: str, index: int) -> str:
        key = frame_key(video_id, index)
        self.storage.copy(candidate_key, key)
        return key

    def _judge(
        self, video_id: str, stills: list[tuple[float, str]], keep: Callable[[int, str], str]
    ) -> dict[str, Any]:
        """Score the stills, apply the policy; `keep(index, path)` stores a flagged still, giving its key."""
        started = time.perf_counter()
        scores = self.detector.scores([path for _, path in stills])
        ms_per_frame = (time.perf_counter() - started) * 1000 / max(1, len(stills))
        frames = [
            FrameScores(index, time_s, frame_scores)
            for index, ((time_s, _), frame_scores) in enumerate(zip(stills, scores, strict=True))
        ]
        result = verdict(frames, self.policy)
        flagged = [
            {
                "index": flag.index,
                "time_s": flag.time_s,
                "label": flag.label,
                "score": round(flag.score, 4),
                "level": flag.level,
                "key": keep(flag.index, stills[flag.index][1]),
            }
            for flag in result.flagged
        ]
        outcome = {
            "decision": result.decision,
            "reasons": list(result.reasons),
            "flagged": flagged,
            "frames_scored": len(frames),
            "max_scores": {label: round(score, 4) for label, score in result.max_scores.items()},
            "model": self.detector.model,
            "ms_per_frame": round(ms_per_frame, 1),
        }
        logger.info(
            "moderated", extra={"video_id": video_id, "decision": result.decision, "frames": len(frames)}
        )
        return outcome

    def _put_jpeg(self, key: str, path: str) -> str:
        self.storage.upload_file(key, path, JPEG)
        return key
