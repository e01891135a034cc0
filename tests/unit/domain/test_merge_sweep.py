"""What the merge sweeper does with an upload stuck in MERGING, decided from its times and its chunks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reelstack.domain.media.merge_sweep import (
    MERGING_SHARDS,
    MergeSweepPolicy,
    SweepAction,
    all_merging_shards,
    chunks_gone,
    due_for_sweep,
    merging_shard,
)

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
POLICY = MergeSweepPolicy(
    unstarted_after=timedelta(minutes=2), stuck_after=timedelta(hours=1), give_up_after=timedelta(hours=6)
)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def test_an_upload_whose_merge_was_never_handed_over_is_retried_after_the_grace() -> None:
    # GIVEN MERGING with no hand-over (the invoke failed) WHEN swept THEN wait 2 min, retry after
    assert due_for_sweep(NOW, ago(seconds=30), None, POLICY).action is SweepAction.WAIT
    assert due_for_sweep(NOW, ago(minutes=3), None, POLICY).action is SweepAction.RETRY


def test_a_merge_handed_over_recently_is_left_alone_however_old_the_upload() -> None:
    # GIVEN a merge handed over 10 minutes ago WHEN swept, even 7 hours after complete
    # THEN it waits: the merge may be running, and failing under it could strand a landed original
    assert due_for_sweep(NOW, ago(minutes=20), ago(minutes=10), POLICY).action is SweepAction.WAIT
    assert due_for_sweep(NOW, ago(hours=7), ago(minutes=10), POLICY).action is SweepAction.WAIT


def test_a_lost_merge_is_retried_then_given_up() -> None:
    # GIVEN a hand-over older than stuck_after WHEN swept THEN retried; past give_up_after THEN failed
    assert due_for_sweep(NOW, ago(hours=2), ago(hours=1, minutes=1), POLICY).action is SweepAction.RETRY
    decision = due_for_sweep(NOW, ago(hours=6), ago(hours=2), POLICY)
    assert (decision.action, decision.code) == (SweepAction.FAIL, "merge_timed_out")


def test_a_retry_needs_the_chunks_or_the_merged_original() -> None:
    # GIVEN what S3 still holds WHEN checked THEN every chunk or the landed original lets the retry go on
    assert chunks_gone(missing=0, wrong_size=0, landed=False) is None
    assert chunks_gone(missing=4, wrong_size=0, landed=True) is None
    gone = chunks_gone(missing=3, wrong_size=1, landed=False)
    assert gone is not None and (gone.action, gone.code) == (SweepAction.FAIL, "chunks_missing")


def test_the_index_query_bound_is_the_shortest_threshold() -> None:
    # GIVEN the policy WHEN the sweeper bounds its index query THEN by the shortest threshold
    assert POLICY.listing_cutoff == timedelta(minutes=2)


def test_every_upload_lands_in_one_of_the_listed_shards() -> None:
    # GIVEN many upload ids WHEN sharded THEN each is in a listed shard and all shards are used
    shards = {merging_shard(f"upload-{n}") for n in range(500)}
    assert shards == set(all_merging_shards()) and len(shards) == MERGING_SHARDS
    assert merging_shard("same") == merging_shard("same")
