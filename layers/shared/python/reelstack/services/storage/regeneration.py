"""Regenerating reclaimed renditions (`domain.storage.regeneration`), decided in the nightly tiering
run: a video played again past the break-even gets its reclaimed H.264 rungs made again through the
heat workflow (`codec: h264`, from the original); an archived original is restored first (Bulk, for
`restore_keep_days`), and the run of a later night, finding it readable, starts the regeneration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from reelstack.domain.storage.pricing import Prices, StorageClass
from reelstack.domain.storage.regeneration import (
    MissingRung,
    OriginalState,
    RegenerationAction,
    RegenerationPolicy,
    decide_regeneration,
)
from reelstack.domain.storage.roi import ObjectKind, RoiPolicy, VideoFacts
from reelstack.domain.storage.storage_costs import Codec
from reelstack.domain.videos import Video
from reelstack.observability import logger


class Restorable(Protocol):
    def restore_state(self, key: str) -> Any: ...
    def request_restore(self, key: str, days: int, tier: str) -> None: ...


class Regenerator:
    def __init__(
        self,
        storage: Restorable,
        prices: Prices,
        roi: RoiPolicy,
        start: Callable[[str, Codec], Any] | None,
        policy: RegenerationPolicy | None = None,
    ) -> None:
        self.storage = storage
        self.prices = prices
        self.roi = roi
        self.start = start
        self.policy = policy or RegenerationPolicy()

    def consider(self, video: Video, facts: VideoFacts, dry_run: bool = False) -> dict[str, Any] | None:
        """The regeneration decision for a video with reclaimed rungs (None: nothing reclaimed), acted on."""
        if video.playback is None or not video.playback.reclaimed:
            return None
        original = self._original(facts)
        kept = sum(1 for r in video.playback.renditions if r.get("codec", "h264") == "h264")
        missing = [MissingRung.from_dict(r) for r in video.playback.reclaimed]
        decision = decide_regeneration(facts, missing, kept, original, self.prices, self.roi, self.policy)
        report: dict[str, Any] = {
            "action": decision.action.value,
            "renditions": list(decision.renditions),
            "reason": decision.reason,
            "numbers": decision.numbers,
        }
        if dry_run:
            return report
        key = next(o.key for o in facts.objects if o.kind is ObjectKind.ORIGINAL) if original else ""
        if decision.action is RegenerationAction.RESTORE_ORIGINAL:
            self.storage.request_restore(
                key, max(1, round(self.roi.restore_keep_days)), self.roi.restore_tier.value.capitalize()
            )
            report["restore_requested"] = key
        elif decision.action is RegenerationAction.REGENERATE and self.start is not None:
            started = self.start(video.video_id, Codec.AVC)
            report |= {"execution": started.execution_name, "started": started.started}
        logger.info("regeneration", extra={"video_id": video.video_id, **report})
        return report

    def _original(self, facts: VideoFacts) -> OriginalState | None:
        stored = next((o for o in facts.objects if o.kind is ObjectKind.ORIGINAL), None)
        if stored is None:
            return None
        readable = stored.storage_class.instant or bool(self.storage.restore_state(stored.key).restored)
        return OriginalState(stored.size_bytes, StorageClass(stored.storage_class), readable)
