"""Video records that announce settled tier changes as `VideoTierChanged` (source reelstack.videos).

A storage write that leaves no lease (`lease_until` unset: a move finished, or a lease released) puts
`VideoTierChanged {video_id, tier}` on the bus for the search indexer (the document's `storage_tier`).
Writes that take a lease (work starting) announce nothing: the tier they show is transient. The
announce is best effort: the record is the truth and the next re-index (a count refresh, a reindex)
carries the tier anyway; a failed PutEvents is logged, never fails the tier change.
"""

from __future__ import annotations

from typing import Any

from reelstack.adapters.events import EventPublisher
from reelstack.adapters.repositories import Repositories
from reelstack.domain.storage.storage_tiers import StorageState
from reelstack.observability import logger
from reelstack.settings import TableSettings

VIDEO_TIER_CHANGED = "VideoTierChanged"


class TierAnnouncingRepositories(Repositories):
    events: EventPublisher

    @classmethod
    def announcing(cls, settings: TableSettings, events: EventPublisher) -> TierAnnouncingRepositories:
        repos = cls(Repositories.from_settings(settings).tables)
        repos.events = events
        return repos

    def transition_storage(
        self, video_id: str, expected_version: int, state: StorageState, now: str, **fields: Any
    ) -> bool:
        written = super().transition_storage(video_id, expected_version, state, now, **fields)
        if written and state.lease_until is None:
            try:
                self.events.publish(VIDEO_TIER_CHANGED, {"video_id": video_id, "tier": state.tier.value})
            except Exception as exc:
                logger.warning("VideoTierChanged not sent", extra={"video_id": video_id, "error": str(exc)})
        return written
