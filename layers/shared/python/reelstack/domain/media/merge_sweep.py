"""Uploads stuck in MERGING: which partition of the merging-index lists them, and what a sweep does.

`complete` moves an upload to MERGING, then hands it to the merge function (an asynchronous invoke).
If that invoke fails, or every attempt of the merge is lost, nothing else moves the upload on: the
scheduled sweeper finds it (the sparse merging-index, never a table scan) and either hands it to the
merge function again (the merge is idempotent) or fails it, so the client gets a final answer.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# The merging-index's partitions: a `complete` burst spreads over them, and a sweep is one query each.
MERGING_SHARDS = 8


def merging_shard(upload_id: str) -> str:
    """The merging-index partition an upload in MERGING is listed in (stable: crc32 of its id)."""
    return f"merging#{zlib.crc32(upload_id.encode()) % MERGING_SHARDS}"


def all_merging_shards() -> list[str]:
    return [f"merging#{shard}" for shard in range(MERGING_SHARDS)]


class SweepAction(StrEnum):
    WAIT = "wait"  # the merge may still be running (or was just handed over): leave it
    RETRY = "retry"  # hand the upload to the merge function again
    FAIL = "fail"  # record the upload and its video as failed


@dataclass(frozen=True)
class MergeSweepPolicy:
    """When a MERGING upload counts as stuck (`reelstack.settings.MergeSweeperSettings`)."""

    unstarted_after: timedelta  # never handed to the merge function (its invoke failed) for this long
    stuck_after: timedelta  # handed over this long ago and still MERGING: that merge is lost
    give_up_after: timedelta  # MERGING this long since `complete`: failed whatever the chunks

    @property
    def listing_cutoff(self) -> timedelta:
        """Only uploads MERGING at least this long can need anything: the index query's bound."""
        return min(self.unstarted_after, self.stuck_after, self.give_up_after)


@dataclass(frozen=True)
class SweepDecision:
    action: SweepAction
    code: str = ""  # why, for a FAIL: the upload's and video's failure code
    reason: str = ""


def due_for_sweep(
    now: datetime, merge_started_at: datetime, merge_invoked_at: datetime | None, policy: MergeSweepPolicy
) -> SweepDecision:
    """What time alone says about a MERGING upload (its chunks are checked only for a RETRY).

    A merge handed over less than `stuck_after` ago may still be running: it is never retried nor
    failed under it (its original could land after the upload was failed).
    """
    if merge_invoked_at is not None and now - merge_invoked_at < policy.stuck_after:
        return SweepDecision(SweepAction.WAIT, reason="a merge is under way")
    if now - merge_started_at >= policy.give_up_after:
        return SweepDecision(
            SweepAction.FAIL,
            "merge_timed_out",
            f"the upload was still merging {policy.give_up_after} after it was completed",
        )
    if merge_invoked_at is None and now - merge_started_at < policy.unstarted_after:
        return SweepDecision(SweepAction.WAIT, reason="complete may still be handing it over")
    if merge_invoked_at is None:
        return SweepDecision(SweepAction.RETRY, reason="the merge function was never handed the upload")
    return SweepDecision(SweepAction.RETRY, reason="the merge it was handed to is lost")


def chunks_gone(missing: int, wrong_size: int, landed: bool) -> SweepDecision | None:
    """A RETRY needs the chunks (or the merged original): a FAIL when they are gone, None when they are there."""
    if landed or (missing == 0 and wrong_size == 0):
        return None
    return SweepDecision(
        SweepAction.FAIL,
        "chunks_missing",
        f"the upload's chunks are gone ({missing} missing, {wrong_size} of the wrong size); upload again",
    )
