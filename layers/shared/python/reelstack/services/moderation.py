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
from typing import Any, Protocol

from reelstack.adapters.storage import MediaStorage
from reelstack.domain.moderation import FrameScores, ModerationPolicy, verdict
from reelstack.errors import DependencyFailed, InvalidRequest
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
            self._download(source_key, source)
            stills = self.sampler.keyframes(
                source, os.path.join(scratch, "frames"), self.policy.max_frames, self.policy.min_gap_s
            )
            started = time.perf_counter()
            scores = self.detector.scores([path for _, path in stills])
            ms_per_frame = (time.perf_counter() - started) * 1000 / max(1, len(stills))
            frames = [
                FrameScores(index, time_s, frame_scores)
                for index, ((time_s, _), frame_scores) in enumerate(zip(stills, scores, strict=True))
            ]
            result = verdict(frames, self.policy)
            flagged = []
            for flag in result.flagged:
                key = frame_key(video_id, flag.index)
                self._put_jpeg(key, stills[flag.index][1])
                flagged.append(
                    {
                        "index": flag.index,
                        "time_s": flag.time_s,
                        "label": flag.label,
                        "score": round(flag.score, 4),
                        "level": flag.level,
                        "key": key,
                    }
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
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
            "moderated",
            extra={"video_id": video_id, "decision": result.decision, "frames": len(frames)},
        )
        return outcome

    def _download(self, key: str, path: str) -> None:
        """The object, streamed to a local file (memory stays at one chunk)."""
        with open(path, "wb") as file:
            for chunk in self.storage.read_chunks(key):
                file.write(chunk)

    def _put_jpeg(self, key: str, path: str) -> None:
        # MediaStorage has no upload of a local file yet: its client, with the SDK's errors made coded.
        with open(path, "rb") as file:
            body = file.read()
        try:
            self.storage.s3.put_object(Bucket=self.storage.bucket, Key=key, Body=body, ContentType=JPEG)
        except Exception as exc:  # botocore's ClientError / BotoCoreError: adapters own those types
            raise DependencyFailed(
                f"S3 put_object of {key} failed: {exc}", code="storage_put_failed"
            ) from exc
