"""Pacing of high-heat re-encodes: a compute budget that sets the night's re-encode bar.

The break-even alone (re-encode when the egress saved beats the cost) re-encodes a fixed number of
plays' worth of videos: where the popularity tail is steep most videos pass it and compute runs to
~0.78 of encoding every upload in both codecs; where it is flat few do and the bandwidth saving
stays ~0.82 of that. The product's goal is the other way round: *at most* `compute_cap` of
all-HEVC's compute (the H.264 ladder of every upload + HEVC twins of every upload) for as much of
its bandwidth saving as that buys. So re-encodes spend a budget, greedily by saving per dollar:

- **Budget**: over the last `window_days`, the efficient-codec encode of every video uploaded in
  those days, times `budget_share`. The share is derived, not fitted: the ladder costs
  `ladder_to_efficient` of the twins (the price table's encode speeds: libx264 at 2x realtime,
  libx265 at 0.4x, so 0.2), hence re-encodes may spend `cap - (1 - cap) x 0.2` of the twins'
  compute (0.64 at a cap of 0.70), less `headroom` (0.05) for regenerations and the pacing's lag.
- **Bar**: a video is re-encoded when its predicted saving beats (1 + margin) x its cost
  (`RoiPolicy.reencode_margin`). Each night the margin follows the spend: `next_margin` scales the
  bar (1 + margin) by (spent / budget) ** `gain`, at most `max_step` either way per night, within
  [`min_bar`, `max_bar`]. A bar below 1 re-encodes below the break-even: where the tail is flat
  the budget buys bandwidth the break-even leaves on the table, at a small net cost.

Nothing here was set on a sweep catalog. The window holds two weekly full passes. The gain is an
integral controller's on a two-week sum: about 2 / window, so a night's correction is spread over the
nights that will see it; on tuning seed 11 (`benchmarks/roi_sweep.py`, disjoint from the sweep) a
gain of 0.5 swung the bar between 0.6 and 1.8 on the flatter tail, 0.15 held it in 0.9-1.5 for the
same bandwidth (5th-95th percentiles over the accounting window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ReencodePacing:
    """The budget's knobs (see the module docstring for how each default is derived)."""

    compute_cap: float = 0.70  # H.264 ladder + re-encodes, as a share of all-HEVC's compute
    ladder_to_efficient: float = 0.2  # the H.264 ladder's cost over its HEVC twins' (encode speeds)
    headroom: float = 0.05  # of the twins' compute, kept for regenerations and the pacing's lag
    window_days: int = 14
    gain: float = 0.15
    max_step: float = 1.5  # the bar moves by at most this factor a night
    min_bar: float = 0.25  # never spend more than 4x the egress a re-encode is predicted to save
    max_bar: float = 16.0

    def __post_init__(self) -> None:
        if not 0 < self.compute_cap <= 1 or self.ladder_to_efficient < 0 or self.headroom < 0:
            raise ValueError("compute_cap in (0, 1], ladder_to_efficient and headroom >= 0")
        if self.window_days < 1 or self.gain <= 0 or self.max_step <= 1:
            raise ValueError("window_days >= 1, gain > 0 and max_step > 1")
        if not 0 < self.min_bar <= 1 <= self.max_bar:
            raise ValueError("min_bar in (0, 1] and max_bar >= 1")

    @property
    def budget_share(self) -> float:
        """Re-encode compute allowed per dollar of encoding every upload's twins."""
        cap = self.compute_cap
        return max(0.0, cap - (1 - cap) * self.ladder_to_efficient - self.headroom)


def budget(pacing: ReencodePacing, twins_of_uploads_usd: float) -> float:
    """The window's re-encode budget: `budget_share` of the twins of the window's uploads."""
    return pacing.budget_share * max(0.0, twins_of_uploads_usd)


def next_margin(margin: float, spent_usd: float, budget_usd: float, pacing: ReencodePacing) -> float:
    """The next night's `reencode_margin` from the window's spend against its budget.

    Over budget the bar rises, under it falls; no uploads in the window (no budget) keeps it."""
    if budget_usd <= 0:
        return margin
    bar = max(1 + margin, pacing.min_bar)
    ratio = max(spent_usd, 0.0) / budget_usd
    step = math.exp(pacing.gain * math.log(ratio)) if ratio > 0 else 0.0
    step = min(max(step, 1 / pacing.max_step), pacing.max_step)
    return min(max(bar * step, pacing.min_bar), pacing.max_bar) - 1
