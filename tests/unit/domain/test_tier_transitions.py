"""The storage tiers' transition table, leases, and what an archive still has to move (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack.domain.storage.storage_tiers import StorageState, Tier
from reelstack.domain.storage.tier_transitions import (
    InvalidTierTransition,
    Listed,
    TierEvent,
    allowed,
    archive_moves,
    lease_held,
    next_tier,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PREFIX = "renditions/v1/"
MASTER = "renditions/v1/master.m3u8"


def test_an_archive_passes_through_archiving_and_a_restore_through_restoring() -> None:
    # GIVEN a hot video WHEN archived, finished, played, restored THEN hot -> archiving -> cold -> restoring -> hot
    tier = next_tier(Tier.HOT, TierEvent.ARCHIVE)
    assert tier is Tier.ARCHIVING
    assert (tier := next_tier(tier, TierEvent.ARCHIVED)) is Tier.COLD
    assert (tier := next_tier(tier, TierEvent.PLAY)) is Tier.RESTORING
    assert next_tier(tier, TierEvent.RESTORED) is Tier.HOT


@pytest.mark.parametrize(
    ("current", "event"),
    [
        (Tier.HOT, TierEvent.ARCHIVED),  # nothing was being archived
        (Tier.COLD, TierEvent.RESTORED),  # no restore was requested
        (Tier.ARCHIVING, TierEvent.PLAY),  # a player finishes the archive first
        (Tier.ARCHIVING, TierEvent.NIGHTLY),  # the nightly run leaves a moving video alone
        (Tier.RESTORING, TierEvent.NIGHTLY),
        (Tier.COLD, TierEvent.ARCHIVE),  # already archived: nothing to do
    ],
)
def test_moves_the_table_does_not_have_are_refused(current: Tier, event: TierEvent) -> None:
    # WHEN a move outside the table is asked for THEN it is refused
    assert not allowed(current, event)
    with pytest.raises(InvalidTierTransition):
        next_tier(current, event)


def test_a_half_done_archive_is_resumed_and_a_restoring_video_may_be_archived_again() -> None:
    # THEN archiving -> archiving (resume) and restoring -> archiving are in the table
    assert next_tier(Tier.ARCHIVING, TierEvent.ARCHIVE) is Tier.ARCHIVING
    assert next_tier(Tier.RESTORING, TierEvent.ARCHIVE) is Tier.ARCHIVING


def test_the_nightly_run_names_its_target_among_those_allowed() -> None:
    assert next_tier(Tier.HOT, TierEvent.NIGHTLY, Tier.WARM) is Tier.WARM
    with pytest.raises(InvalidTierTransition):
        next_tier(Tier.HOT, TierEvent.NIGHTLY)  # several targets: which one?
    with pytest.raises(InvalidTierTransition):
        next_tier(Tier.HOT, TierEvent.NIGHTLY, Tier.RESTORING)


def test_a_lease_is_held_until_it_runs_out() -> None:
    # GIVEN states with a lease running out in a minute, one that ran out, and none
    held = StorageState(Tier.ARCHIVING, "", lease_until=(NOW + timedelta(minutes=1)).isoformat())
    stale = StorageState(Tier.ARCHIVING, "", lease_until=(NOW - timedelta(seconds=1)).isoformat())
    # THEN only the first is held
    assert lease_held(held, NOW)
    assert not lease_held(stale, NOW)
    assert not lease_held(StorageState(Tier.ARCHIVING, ""), NOW)


def test_an_archive_skips_objects_already_in_their_target_class_or_a_colder_one() -> None:
    # GIVEN a video half archived: the original still in Glacier from an earlier archive, one 720p
    # object already moved, one in Deep Archive, 480p partly in Glacier IR
    objects = [
        Listed("originals/v1", "GLACIER"),
        Listed(MASTER, "STANDARD"),
        Listed("renditions/v1/poster.jpg", "STANDARD"),
        Listed("renditions/v1/720p/playlist.m3u8", "GLACIER"),
        Listed("renditions/v1/720p/media-0123.mp4", "STANDARD_IA"),
        Listed("renditions/v1/1080p/media-4567.mp4", "DEEP_ARCHIVE"),
        Listed("renditions/v1/480p/playlist.m3u8", "GLACIER_IR"),
        Listed("renditions/v1/480p/media-89ab.mp4", "STANDARD"),
    ]
    # WHEN the moves left are planned, keeping 480p
    moves = archive_moves(objects, PREFIX, MASTER, "originals/v1", "480p")
    # THEN only the objects warmer than their target move; master and poster stay
    assert moves == [
        ("renditions/v1/720p/media-0123.mp4", "GLACIER"),
        ("renditions/v1/480p/media-89ab.mp4", "GLACIER_IR"),
    ]
    # AND without a kept rendition the master goes cold too, and 480p to Glacier
    whole = archive_moves(objects, PREFIX, MASTER, "originals/v1", None)
    assert (MASTER, "GLACIER") in whole
    assert ("renditions/v1/480p/playlist.m3u8", "GLACIER") in whole


def test_a_finished_archive_has_nothing_left_to_move() -> None:
    objects = [
        Listed("originals/v1", "GLACIER"),
        Listed(MASTER, "STANDARD"),
        Listed("renditions/v1/720p/playlist.m3u8", "GLACIER"),
        Listed("renditions/v1/480p/playlist.m3u8", "GLACIER_IR"),
    ]
    assert archive_moves(objects, PREFIX, MASTER, "originals/v1", "480p") == []
