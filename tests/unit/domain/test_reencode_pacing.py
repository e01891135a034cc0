"""The re-encode budget: its share derived from the compute cap and the encode speeds, and the
nightly margin that follows the spend."""

from __future__ import annotations

import pytest

from reelstack.domain.media.backends import Backend
from reelstack.domain.storage.pricing import Prices
from reelstack.domain.storage.reencode_pacing import ReencodePacing, budget, next_margin
from reelstack.domain.storage.storage_costs import Codec, transcode_cost

LADDER = [1080, 720, 480, 360]


def test_the_ladder_to_twins_ratio_is_the_price_tables_encode_cost_ratio() -> None:
    # GIVEN the default prices and encode speeds, a 25 s video's full ladder on the ffmpeg Lambda
    prices = Prices()
    h264 = transcode_cost(Backend.LAMBDA, 600.0, LADDER, Codec.AVC, prices)
    hevc = transcode_cost(Backend.LAMBDA, 600.0, LADDER, Codec.HEVC, prices)
    # THEN the pacing's default ratio is what the price table says (fixed costs aside)
    assert ReencodePacing().ladder_to_efficient == pytest.approx(h264 / hevc, rel=0.01)


def test_the_budget_share_keeps_ladder_plus_reencodes_under_the_cap_with_headroom() -> None:
    # GIVEN a cap of 0.70 of all-HEVC's compute, the ladder at 0.2 of the twins, 0.05 headroom
    pacing = ReencodePacing()
    # THEN re-encodes may spend 0.70 - 0.30 x 0.2 - 0.05 = 0.59 of the twins of every upload
    assert pacing.budget_share == pytest.approx(0.59)
    # AND with a share s of the twins spent, ladder + re-encodes stay under the cap
    twins, ladder = 100.0, 20.0
    assert (ladder + budget(pacing, twins)) / (ladder + twins) < pacing.compute_cap
    assert budget(pacing, -5.0) == 0.0


def test_over_budget_the_bar_rises_under_budget_it_falls_by_the_ratio_to_the_gain() -> None:
    pacing = ReencodePacing(gain=0.5)
    # WHEN the window spent 1.21 x its budget THEN the bar (1 + margin) rises by 1.21 ** 0.5 = 1.1
    assert 1 + next_margin(0.0, 121.0, 100.0, pacing) == pytest.approx(1.1)
    # WHEN it spent 0.81 x THEN it falls by 0.9 (here below the break-even: 1.0 -> 0.9)
    assert 1 + next_margin(0.0, 81.0, 100.0, pacing) == pytest.approx(0.9)
    # AND the default gain moves it less: 1.21 ** 0.15
    assert 1 + next_margin(0.0, 121.0, 100.0, ReencodePacing()) == pytest.approx(1.21**0.15)
    # WHEN it spent exactly its budget THEN the margin stays
    assert next_margin(0.4, 100.0, 100.0, pacing) == pytest.approx(0.4)


def test_a_night_moves_the_bar_at_most_max_step_and_never_outside_its_bounds() -> None:
    pacing = ReencodePacing()
    # WHEN nothing was spent THEN the bar falls by max_step, not to zero
    assert 1 + next_margin(0.0, 0.0, 100.0, pacing) == pytest.approx(1 / 1.5)
    # WHEN 100x the budget was spent THEN it rises by max_step only
    assert 1 + next_margin(0.0, 10_000.0, 100.0, pacing) == pytest.approx(1.5)
    # AND the bounds hold
    assert 1 + next_margin(pacing.min_bar - 1, 0.0, 100.0, pacing) == pytest.approx(pacing.min_bar)
    assert 1 + next_margin(pacing.max_bar - 1, 1e9, 100.0, pacing) == pytest.approx(pacing.max_bar)


def test_without_uploads_in_the_window_the_margin_is_kept() -> None:
    # GIVEN no uploads in the window (no budget) THEN whatever was spent, the margin stays
    assert next_margin(0.3, 50.0, 0.0, ReencodePacing()) == 0.3


@pytest.mark.parametrize(
    "changes",
    [{"compute_cap": 0.0}, {"window_days": 0}, {"gain": 0.0}, {"max_step": 1.0}, {"min_bar": 1.5}],
)
def test_a_pacing_that_cannot_work_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ReencodePacing(**changes)  # type: ignore[arg-type]
