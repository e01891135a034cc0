"""Hindsight for the sweep: an oracle's bound, and a replay's perfect foresight in place of the predictor.

`oracle_coverage`: the most of all-HEVC's bandwidth saving any re-encode choice can keep at a compute
cap, knowing every video's future plays.

It bounds the compute and bandwidth targets from above: where the oracle cannot keep 90 % at 0.70,
no policy can. The oracle re-encodes the videos with the most egress saved per dollar of HEVC
encoding, one bar for every upload cohort (so videos uploaded before the accounting window are
re-encoded by the same rule, at no cost inside the window, as a steady state would have it), until
the H.264 ladder of the window's uploads plus their re-encodes reach `cap` of all-HEVC's compute.
Like a nightly decision it cannot serve a twin on the upload day (`nightly=True`: those plays stay
H.264); with `nightly=False` it encodes at upload, as all-HEVC does. Storage, requests and
regenerations are left out: what is bounded is the egress saved against the encode compute.

`Foresight`: answers the replay's nightly question (plays in the next 7 and 30 days) with the
catalog's actual plays, the best any 30-day predictor could answer (`roi_sim.py --sweep --foresight`):
what the ROI engine keeps then is its own bound, apart from prediction.
"""

from __future__ import annotations

import numpy as np
from roi_sim_rules import AVC, EFFICIENT, SLOTS, UnitPrices

from reelstack.domain.storage.pricing import GB, Prices
from reelstack.domain.storage.roi import RoiPolicy
from reelstack.domain.storage.storage_costs import Codec
from reelstack_tools.roi_catalog import Catalog


class Foresight:
    """The actual plays of each video's next days, in place of the predictor's expected plays."""

    def __init__(self, catalog: Catalog) -> None:
        self.daily_plays = catalog.daily_plays

    def plays(self, day: int, rows: np.ndarray, horizon: int) -> np.ndarray:
        """Plays of `rows` in days `day`+1..`day`+`horizon`; past the trace's end, the recorded days
        scaled up to the horizon (none recorded: 0)."""
        end = min(self.daily_plays.shape[1], day + horizon + 1)
        seen = end - day - 1
        if seen <= 0:
            return np.zeros(rows.size)
        got = self.daily_plays[rows, day + 1 : end].sum(axis=1, dtype=np.float64)
        return got * (horizon / seen)


def oracle_coverage(
    catalog: Catalog,
    start: int,
    cap: float = 0.70,
    *,
    nightly: bool = True,
    prices: Prices | None = None,
    policy: RoiPolicy | None = None,
) -> float:
    """The oracle's bandwidth saving over all-HEVC's, in days `start`.. of `catalog`, at compute `cap`."""
    prices, policy = prices or Prices(), policy or RoiPolicy()
    units = UnitPrices.build(prices, policy)
    n = catalog.videos
    avc = catalog.rendition_bytes.astype(np.float64)
    duration = catalog.duration_s.astype(np.float64)
    ladder_mask = np.zeros((n, SLOTS), dtype=bool)
    ladder_mask[:, AVC] = avc > 0
    twin_mask = np.zeros((n, SLOTS), dtype=bool)
    twin_mask[:, EFFICIENT] = avc > 0
    ladder = units.encode(Codec.AVC, duration, ladder_mask)
    twins = units.encode(policy.efficient_codec, duration, twin_mask)
    rungs = np.maximum((avc > 0).sum(axis=1), 1)
    saved_per_play = (
        avc.sum(axis=1)
        / rungs
        * policy.capable_share
        * policy.watched_fraction
        * (1 - policy.efficient_size_ratio)
        / GB
        * prices.egress_gb
    )
    plays = catalog.daily_plays.astype(np.float64)
    upload = catalog.upload_day
    first_day = plays[np.arange(n), upload]
    in_window = upload >= start
    lifetime = plays.sum(axis=1) - (first_day if nightly else 0.0)
    window = plays[:, start:].sum(axis=1) - (np.where(in_window, first_day, 0.0) if nightly else 0.0)
    everything = (plays[:, start:].sum(axis=1) * saved_per_play).sum()
    order = np.argsort(-(lifetime * saved_per_play / twins))
    base, full = ladder[in_window].sum(), (ladder + twins)[in_window].sum()
    compute = (base + np.cumsum(np.where(in_window, twins, 0.0)[order])) / full
    kept = np.cumsum((window * saved_per_play)[order])
    affordable = int(np.searchsorted(compute, cap, side="right"))
    return float(kept[affordable - 1] / everything) if affordable else 0.0
