"""Where a published video's media lives, and what a player is told when it is cold.

A video's tier says how its renditions are stored (its status stays PUBLISHED, its URLs never change):

    hot        S3 Standard: plays at once
    warm       Standard-IA or Glacier Instant Retrieval: plays at once (retrieval billed per GB)
    archiving  the owner's archive is moving the objects cold (a failed or interrupted archive stays
               here until the next archive or play finishes it)
    cold       Glacier Flexible Retrieval: must be restored before it plays
    restoring  a restore was requested; plays once S3 has restored every object and they are back
               in Standard

Which tier may follow which, and on what, is `domain.storage.tier_transitions`; each change is a conditional
write on the video record (`version`), and a request that moves objects holds a lease
(`lease_until`) so that no other request moves them meanwhile.

Asking to play a cold video starts its restore and answers 202 `{status: "RESTORING", retry_after}`
-- or, when the archive kept its lowest rendition instant (`low_rendition`), 200 with that rendition
alone in the master playlist (`quality: "low"`) while the rest is restored. Each later ask checks,
and once everything is restored the objects are copied back to Standard (a restored Glacier object
is only a temporary copy), the full master is back and the video is hot again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Tier(StrEnum):
    HOT = "hot"
    WARM = "warm"
    ARCHIVING = "archiving"
    COLD = "cold"
    RESTORING = "restoring"


PLAYABLE = frozenset({Tier.HOT, Tier.WARM})
COLD_STORAGE_CLASS = "GLACIER"  # Glacier Flexible Retrieval
LOW_RENDITION_CLASS = "GLACIER_IR"  # the rendition an archive keeps playable: instant, $0.004/GB-month
STORAGE_CLASS_OF = {Tier.HOT: "STANDARD", Tier.COLD: COLD_STORAGE_CLASS}

# How long S3 takes to restore from Glacier Flexible Retrieval, per retrieval tier (AWS documents
# 1-5 minutes expedited, 3-5 hours standard, 5-12 hours bulk): the Retry-After a player is given.
RESTORE_SECONDS = {"Expedited": 300, "Standard": 5 * 3600, "Bulk": 12 * 3600}


@dataclass(frozen=True)
class StorageState:
    """A video's tier, since when, and why (an owner's archive, or the nightly ROI decision).

    `version` counts the record's tier writes (0: never written); every write is conditional on the
    version read, so two requests cannot both move the video. `lease_until` is set while a request
    moves its objects (None: nobody does): a request that dies mid-move leaves it to run out."""

    tier: Tier
    since: str
    reason: str = ""
    restore_requested_at: str | None = None
    low_rendition: str | None = None  # kept instant by the archive: what plays while the rest restores
    version: int = 0  # stored beside the map (a condition needs a top-level attribute)
    lease_until: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"tier": self.tier.value, "since": self.since, "reason": self.reason}
        if self.restore_requested_at is not None:
            body["restore_requested_at"] = self.restore_requested_at
        if self.low_rendition is not None:
            body["low_rendition"] = self.low_rendition
        if self.lease_until is not None:
            body["lease_until"] = self.lease_until
        return body

    @classmethod
    def from_dict(cls, raw: dict[str, Any], version: int = 0) -> StorageState:
        return cls(
            tier=Tier(str(raw["tier"])),
            since=str(raw.get("since") or ""),
            reason=str(raw.get("reason") or ""),
            restore_requested_at=raw.get("restore_requested_at"),
            low_rendition=raw.get("low_rendition"),
            version=version,
            lease_until=raw.get("lease_until"),
        )


def tier_of(state: StorageState | None) -> Tier:
    """A video that was never moved is hot."""
    return Tier.HOT if state is None else state.tier


def state_of(state: StorageState | None) -> StorageState:
    """The video's storage state; a video that was never moved is hot at version 0."""
    return StorageState(Tier.HOT, "") if state is None else state


def retry_after_seconds(restore_tier: str, requested_s_ago: float = 0.0) -> int:
    """When to ask again: the restore tier's typical duration minus the time already waited (>= 1 s)."""
    if restore_tier not in RESTORE_SECONDS:
        raise ValueError(f"unknown restore tier {restore_tier!r}; one of {sorted(RESTORE_SECONDS)}")
    return max(1, int(RESTORE_SECONDS[restore_tier] - max(requested_s_ago, 0.0)))
