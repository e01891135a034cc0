"""Price sensitivity of the ROI simulator (`roi_sim.py --prices`): each price -20 % and +20 %.

The price table (`domain.storage.pricing.Prices`) was written from memory for 2024-12-01. For each
dollar price in it, this moves that one price by -20 % and +20 % (every other price at its default),
replays one catalog (`PRICE_VIDEOS` videos x `PRICE_DAYS` days, the default seed; catalog and
predictor made once) and prints how the ROI engine's decisions (re-encodes, renditions reclaimed,
regenerations, the class mix of bytes at rest) and the four target ratios move against the default
prices. Both the policy's decisions and the bills of every policy see the moved price, as they would
if AWS changed it.

A price the replay never reads is listed without a replay (`reads_price`): the MediaConvert and
GPU rows (the re-encode and regeneration backends are the Lambda), the Expedited / Standard restore
tiers (restores are Bulk), and a price of 0 (20 % of nothing). Durations, sizes and `days_per_month`
are terms, not prices, and stay put. Prices are ranked by the largest move of any target ratio.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
from roi_sim import TARGETS, Ledger, prepare, ratios, replay
from roi_sim_rules import UnitPrices

from reelstack.domain.storage.pricing import Prices
from reelstack.domain.storage.roi import RoiPolicy
from reelstack_tools.roi_catalog import CatalogParams

PRICE_VIDEOS = 4_000
PRICE_DAYS = 180
PRICE_TRAIN_UNTIL = 59
STEP = 0.2
SHORT = ("Std", "IA", "IR", "Flex", "Deep")  # CLASSES, warmest first
TERMS = ("days_per_month", "_min_days", "_kb", "min_billed_s")  # not prices: left as they are


@dataclass(frozen=True)
class Outcome:
    """One replay's target ratios and the ROI engine's decisions."""

    ratios: Mapping[str, float]
    reencodes: int
    drops: int
    regenerations: int
    class_mix: tuple[float, ...]

    @classmethod
    def of(cls, ledgers: Mapping[str, Ledger]) -> Outcome:
        roi = ledgers["ROI"]
        return cls(
            dict(ratios(dict(ledgers))),
            roi.reencodes,
            roi.drops,
            roi.regenerations,
            tuple(float(x) for x in roi.class_mix),
        )


def dollar_prices(prices: Prices) -> list[str]:
    """The fields of `prices` that are dollar prices (not durations, sizes or the month's length)."""
    return [f.name for f in fields(prices) if not any(f.name == t or f.name.endswith(t) for t in TERMS)]


def _fingerprint(prices: Prices, policy: RoiPolicy) -> list[np.ndarray]:
    units = UnitPrices.build(prices, policy)
    arrays = [
        units.rate,
        units.min_days,
        units.put,
        units.transition_request,
        units.read_gb,
        units.read_request,
    ]
    arrays += [units.encode_per_s[c] for c in sorted(units.encode_per_s)]
    scalars = [units.encode_fixed[c] for c in sorted(units.encode_fixed)]
    scalars += [prices.egress_gb, prices.s3_standard_gb_month]  # egress; the archive classes' 8 KB
    return [*arrays, np.asarray(scalars)]


def reads_price(name: str, prices: Prices, policy: RoiPolicy) -> bool:
    """Whether moving price `name` changes any unit price the replay uses."""
    moved = replace(prices, **{name: getattr(prices, name) * (1 + STEP)})
    base, other = _fingerprint(prices, policy), _fingerprint(moved, policy)
    return any(not np.array_equal(a, b) for a, b in zip(base, other, strict=True))


def largest_move(base: Outcome, moved: Sequence[Outcome]) -> float:
    """The largest absolute change of any target ratio over `moved` against `base`."""
    return max(abs(m.ratios[k] - base.ratios[k]) for m in moved for k in TARGETS)


def main() -> int:
    start = time.perf_counter()
    params = CatalogParams(videos=PRICE_VIDEOS, days=PRICE_DAYS)
    catalog, predictor = prepare(params, PRICE_TRAIN_UNTIL)
    prices, policy = Prices(), RoiPolicy()
    base = Outcome.of(replay(catalog, predictor, PRICE_TRAIN_UNTIL, prices, policy).ledgers)
    print(
        f"ROI price sensitivity: {params.videos:,} videos x {params.days} days (seed {params.seed}), predictor "
        f"trained on days <= {PRICE_TRAIN_UNTIL}; each price -{STEP:.0%} / +{STEP:.0%}, the rest at default"
    )
    print(_describe("default prices", base))
    unused, moves = [], []
    for name in dollar_prices(prices):
        if not reads_price(name, prices, policy):
            unused.append(name)
            continue
        outcomes = []
        for sign in (-1, 1):
            moved = replace(prices, **{name: getattr(prices, name) * (1 + sign * STEP)})
            outcomes.append(Outcome.of(replay(catalog, predictor, PRICE_TRAIN_UNTIL, moved, policy).ledgers))
        moves.append((name, outcomes))
        print(f"  {name}: done ({time.perf_counter() - start:.0f} s)", flush=True)
    moves.sort(key=lambda m: -largest_move(base, m[1]))
    print()
    print(_table(base, moves))
    print(f"\nnot read by this replay (unchanged by construction): {', '.join(unused)}")
    print(f"\nran in {time.perf_counter() - start:.0f} s")
    return 0


def _describe(label: str, o: Outcome) -> str:
    r = o.ratios
    mix = " ".join(f"{c} {s:.0%}" for c, s in zip(SHORT, o.class_mix, strict=True))
    return (
        f"{label}: total {r['total']:.3f}, storage {r['storage']:.3f}, compute {r['compute']:.3f}, "
        f"bandwidth {r['bandwidth']:.3f}; {o.reencodes:,} re-encodes, {o.drops:,} reclaimed, "
        f"{o.regenerations:,} regenerations; at rest: {mix}"
    )


def _table(base: Outcome, moves: Sequence[tuple[str, Sequence[Outcome]]]) -> str:
    head = (
        f"{'price':<38}{'move':>5}{'total':>8}{'storage':>9}{'compute':>9}{'bandw.':>8}"
        f"{'re-enc.':>9}{'reclaim':>9}{'regen':>7}{'Std/IA/IR/Fl/DA share of GB-days':>36}"
    )
    lines = [head, "-" * len(head)]
    for name, outcomes in moves:
        for sign, o in zip(("-20%", "+20%"), outcomes, strict=True):
            r = o.ratios
            d = {k: r[k] - base.ratios[k] for k in TARGETS}
            mix = "/".join(f"{s * 100:.0f}" for s in o.class_mix)
            lines.append(
                f"{name:<38}{sign:>5}{d['total']:>+8.3f}{d['storage']:>+9.3f}{d['compute']:>+9.3f}"
                f"{d['bandwidth']:>+8.3f}{_pct(o.reencodes, base.reencodes):>9}{_pct(o.drops, base.drops):>9}"
                f"{_pct(o.regenerations, base.regenerations):>7}{mix:>36}"
            )
    lines.append("(ratio columns: change against the default prices; counts: change in %)")
    return "\n".join(lines)


def _pct(value: int, base: int) -> str:
    return f"{(value - base) / base:+.0%}" if base else f"{value:+d}"
