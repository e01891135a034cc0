"""Conditional tier changes on the video record, and the lease a request holds while it moves objects.

Every write goes through `domain.storage.tier_transitions` (an event the table does not allow from the
current tier is a bug) and is conditional on the storage version the caller read: of two requests
that read the same version, one writes and the other gets None and must not move anything.
`hold` takes the lease (a tier change with `hold=True` takes it in the same write), `release` gives it
back without changing the tier (after a failed step: the next request resumes at once), `move` with
`hold=False` ends the work and frees it. A request that dies holding the lease leaves it to run out
(`lease_seconds`, longer than any request that moves objects may run).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from reelstack.clock import iso
from reelstack.domain.storage.storage_tiers import StorageState, Tier
from reelstack.domain.storage.tier_transitions import TierEvent, lease_held, next_tier


class StorageRecords(Protocol):
    def transition_storage(
        self, video_id: str, expected_version: int, state: StorageState, now: str, **fields: Any
    ) -> bool: ...


class TierClaims:
    def __init__(self, records: StorageRecords, lease_seconds: float = 120.0) -> None:
        self.records = records
        self.lease_seconds = lease_seconds

    def _write(
        self, video_id: str, current: StorageState, new: StorageState, now: datetime, fields: dict[str, Any]
    ) -> StorageState | None:
        new = replace(new, version=current.version + 1)
        return (
            new
            if self.records.transition_storage(video_id, current.version, new, iso(now), **fields)
            else None
        )

    def move(
        self,
        video_id: str,
        current: StorageState,
        event: TierEvent,
        now: datetime,
        *,
        hold: bool,
        target: Tier | None = None,
        fields: dict[str, Any] | None = None,
        **changes: Any,
    ) -> StorageState | None:
        """Change the tier by `event` (holding the lease when `hold`); None when another request
        holds the lease or wrote first. `changes` are StorageState fields, `fields` other record fields."""
        tier = next_tier(current.tier, event, target)
        if hold and lease_held(current, now):
            return None
        lease = iso(now + timedelta(seconds=self.lease_seconds)) if hold else None
        since = current.since if tier is current.tier and current.since else iso(now)
        new = replace(current, tier=tier, since=since, lease_until=lease, **changes)
        return self._write(video_id, current, new, now, fields or {})

    def hold(self, video_id: str, current: StorageState, now: datetime) -> StorageState | None:
        """Take the lease, tier unchanged; None when someone else holds it or wrote first."""
        if lease_held(current, now):
            return None
        lease = iso(now + timedelta(seconds=self.lease_seconds))
        return self._write(video_id, current, replace(current, lease_until=lease), now, {})

    def release(self, video_id: str, held: StorageState, now: datetime) -> StorageState | None:
        """Give the lease back, tier unchanged (the work is not done: the next request resumes it)."""
        return self._write(video_id, held, replace(held, lease_until=None), now, {})


def run_held(
    claims: TierClaims,
    video_id: str,
    held: StorageState,
    clock: Callable[[], datetime],
    work: Callable[[], None],
) -> None:
    """Run `work` under a held lease; if it fails, release the lease (best effort) and raise."""
    try:
        work()
    except BaseException:
        with contextlib.suppress(Exception):  # the lease runs out anyway; the original error matters
            claims.release(video_id, held, clock())
        raise
