"""Regenerating reclaimed renditions: the break-even between what the missing rungs cost the plays
that would use them and what making them again costs (the encode, and the original's restore)."""

from __future__ import annotations

from reelstack.domain.storage.pricing import Prices, StorageClass
from reelstack.domain.storage.regeneration import (
    MissingRung,
    OriginalState,
    RegenerationAction,
    decide_regeneration,
)
from reelstack.domain.storage.roi import RoiPolicy, VideoFacts

MISSING = [MissingRung("1080p", 1080), MissingRung("720p", 720)]
ORIGINAL = OriginalState(80_000_000, StorageClass.STANDARD, readable=True)


def _facts(plays_7d: float, plays_30d: float) -> VideoFacts:
    return VideoFacts("v", 200.0, 30.0, (), plays_7d, plays_30d)


def test_a_stray_play_does_not_pay_a_regeneration_but_a_comeback_does() -> None:
    # GIVEN a 30 s video whose 1080p and 720p were reclaimed (480p and 360p kept)
    roi = RoiPolicy()
    # WHEN one play is predicted in a month THEN the rungs stay missing, with the break-even said
    stray = decide_regeneration(_facts(0.2, 1.0), MISSING, 2, ORIGINAL, Prices(), roi)
    assert stray.action is RegenerationAction.KEEP_MISSING
    assert "break-even" in stray.reason
    break_even = stray.numbers["break_even_plays"]
    assert 1 < break_even < 100
    # WHEN plays past the break-even are predicted THEN they are made again
    comeback = decide_regeneration(_facts(break_even, 2 * break_even), MISSING, 2, ORIGINAL, Prices(), roi)
    assert comeback.action is RegenerationAction.REGENERATE
    assert comeback.renditions == ("1080p", "720p")


def test_an_archived_original_is_restored_first_and_costs_its_restore() -> None:
    # GIVEN a comeback, and the original in Glacier Flexible Retrieval
    archived = OriginalState(80_000_000, StorageClass.GLACIER, readable=False)
    decision = decide_regeneration(_facts(100, 300), MISSING, 2, archived, Prices(), RoiPolicy())
    # THEN the original is restored before anything is encoded, and the restore is in the cost
    assert decision.action is RegenerationAction.RESTORE_ORIGINAL
    assert decision.numbers["restore"] > 0


def test_without_an_original_nothing_can_be_regenerated() -> None:
    decision = decide_regeneration(_facts(100, 300), MISSING, 2, None, Prices(), RoiPolicy())
    assert decision.action is RegenerationAction.KEEP_MISSING and "no original" in decision.reason
