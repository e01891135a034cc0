"""The ROI simulator over a sweep of catalogs (`roi_sim.py --sweep`): one row per catalog, the worst case.

The sweep: `SWEEP_SEEDS` (5 seeds) x `SHAPES` (3 popularity tails), each `SWEEP_VIDEOS` videos over
`SWEEP_DAYS` days, the predictor trained on days <= `SWEEP_TRAIN_UNTIL`. The seeds are disjoint from
the default catalog's and from `TUNING_SEEDS` (where the pacing's gain was chosen); nothing in
`RoiPolicy` or `ReencodePacing` was set by looking at them.
Shapes change only the Pareto exponent of the peaks (`CatalogParams.pareto_alpha`, 1.15 by default):
- **steeper**: alpha 0.95: plays fall off more steeply with popularity rank (a Zipf slope of
  1 / 0.95) and peaks are larger, so more videos pass the re-encode break-even;
- **flatter**: alpha 1.4: a flatter rank curve of smaller peaks, more of the bandwidth on videos
  below the break-even.
The ROI engine is paced (`domain.storage.reencode_pacing`): re-encodes spend a budget of the HEVC
compute of every upload, derived from the compute cap (0.70) and the price table's encode speeds, and
the nightly bar (`RoiPolicy.reencode_margin`) follows the spend. **ROI break-even** replays the same
decisions with the fixed break-even of the price table (margin 0, the engine before pacing) in the
same replay. The **oracle** column is `roi_oracle.oracle_coverage`: the largest share of all-HEVC's
bandwidth saving any nightly re-encode choice keeps at compute 0.70, knowing every future play (an
upper bound: below 0.90 there, no policy meets both targets on that catalog). `--foresight` replays
the sweep with the actual plays of each video's next 7 and 30 days in place of the predictor
(`roi_oracle.Foresight`): what the engine keeps when prediction is perfect over its horizon.

Each catalog replays the four target policies and the extra baselines:
- **rules+HEVC**: the rule-based tiers, every video re-encoded to HEVC at upload;
- **rules+heat N**: the rule-based tiers, a video re-encoded once it passes N plays in a day (no
  prediction), for each N in `HEAT_GRID`. N is then chosen *in hindsight on the sweep itself*
  (`best_heat`: the lowest mean total relative to all-Standard over every catalog), an oracle tuning
  that is generous to the baseline; the rows show that N.

The worst case of each target ratio is the largest (targets bounded above) or the smallest (the
bandwidth share, bounded below) over the catalogs (`worst_case`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from roi_oracle import Foresight, oracle_coverage
from roi_sim import BREAK_EVEN, HEAT, POLICIES, RULES_HEVC, TARGETS, Ledger, prepare, ratios, replay

from reelstack.domain.storage.roi import RoiPolicy
from reelstack_tools.roi_catalog import CatalogParams, generate_catalog

SWEEP_SEEDS: tuple[int, ...] = (101, 202, 303, 404, 505)
TUNING_SEEDS: tuple[int, ...] = (11,)  # where `ReencodePacing.gain` was chosen: never the sweep's
SHAPES: dict[str, float] = {"default": 1.15, "steeper": 0.95, "flatter": 1.4}  # Pareto alpha
SWEEP_VIDEOS = 25_000
SWEEP_DAYS = 180
SWEEP_TRAIN_UNTIL = 59
HEAT_GRID: tuple[int, ...] = (10, 25, 50, 100, 200)


@dataclass(frozen=True)
class Row:
    """One catalog's outcome: its target ratios and every policy's ledger."""

    shape: str
    seed: int
    ratios: Mapping[str, float]
    ledgers: Mapping[str, Ledger]
    seconds: float
    oracle: float = float("nan")  # `oracle_coverage` at compute 0.70


def sweep_params(
    seeds: Sequence[int] = SWEEP_SEEDS, videos: int = SWEEP_VIDEOS, days: int = SWEEP_DAYS
) -> list[tuple[str, CatalogParams]]:
    """(shape, params) of every catalog of the sweep, shape-major."""
    base = CatalogParams(videos=videos, days=days)
    return [
        (shape, replace(base, seed=seed, pareto_alpha=alpha))
        for shape, alpha in SHAPES.items()
        for seed in seeds
    ]


def worst_case(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per target ratio, its worst value over `rows`: max where bounded above, min where below."""
    if not rows:
        raise ValueError("no rows to take the worst case of")
    out = {}
    for key, target in TARGETS.items():
        values = [row[key] for row in rows]
        out[key] = min(values) if target.kind == "min" else max(values)
    return out


def relative_total(ledgers: Mapping[str, Ledger], name: str) -> float:
    """A policy's total over all-Standard's total (one catalog's scale removed)."""
    return ledgers[name].total / ledgers[POLICIES[0]].total


def best_heat(rows: Sequence[Row], grid: Sequence[int]) -> int:
    """The heat rule's N with the lowest mean total relative to all-Standard over `rows` (hindsight)."""
    if not grid:
        raise ValueError("an empty grid of heat thresholds")
    return min(grid, key=lambda n: (sum(relative_total(r.ledgers, f"{HEAT} {n}") for r in rows), n))


def run_sweep(
    seeds: Sequence[int] = SWEEP_SEEDS,
    videos: int = SWEEP_VIDEOS,
    days: int = SWEEP_DAYS,
    train_until: int = SWEEP_TRAIN_UNTIL,
    grid: Sequence[int] = HEAT_GRID,
    progress: bool = True,
    foresight: bool = False,
) -> list[Row]:
    """Replay every catalog of the sweep; `foresight`: the actual future plays in place of the
    predictor (`roi_oracle.Foresight`: nothing is trained)."""
    rows = []
    for shape, params in sweep_params(seeds, videos, days):
        start = time.perf_counter()
        if foresight:
            catalog = generate_catalog(params)
            predictor: object = Foresight(catalog)
        else:
            catalog, predictor = prepare(params, train_until)
        result = replay(
            catalog,
            predictor,
            train_until,
            heat_plays=tuple(grid),
            baselines=True,
            variants={BREAK_EVEN: RoiPolicy()},
        )
        oracle = oracle_coverage(catalog, train_until + 1, TARGETS["compute"].bound)
        elapsed = time.perf_counter() - start
        row = Row(shape, params.seed, ratios(result.ledgers), result.ledgers, elapsed, oracle)
        rows.append(row)
        if progress:
            print(f"  {shape} seed {params.seed}: {row.seconds:.0f} s", flush=True)
    return rows


def render_sweep(rows: Sequence[Row], grid: Sequence[int]) -> str:
    """One row per catalog (target ratios, then ROI's total against each baseline), the worst case,
    and the heat rule's grid (mean relative totals)."""
    n = best_heat(rows, grid)
    heat = f"{HEAT} {n}"
    head = (
        f"{'catalog':<18}{'total':>7}{'storage':>9}{'compute':>9}{'bandw.':>8}"
        f"{'ROI/+HEVC':>11}{'ROI/heat':>10}{'e+c ROI/heat':>14}{'heat bandw.':>13}{'heat comp.':>12}"
        f"{'b-e comp.':>11}{'b-e bandw.':>12}{'b-e total':>11}{'oracle':>8}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        led = row.ledgers
        roi, heat_led = led["ROI"], led[heat]
        std, hevc = led[POLICIES[0]], led[POLICIES[3]]
        r = row.ratios
        be = ratios(led, BREAK_EVEN)
        lines.append(
            f"{row.shape + ' ' + str(row.seed):<18}{r['total']:>7.3f}{r['storage']:>9.3f}{r['compute']:>9.3f}"
            f"{r['bandwidth']:>8.3f}{roi.total / led[RULES_HEVC].total:>11.3f}{roi.total / heat_led.total:>10.3f}"
            f"{(roi.egress + roi.compute) / (heat_led.egress + heat_led.compute):>14.3f}"
            f"{(std.egress - heat_led.egress) / (std.egress - hevc.egress):>13.3f}"
            f"{heat_led.compute / hevc.compute:>12.3f}"
            f"{be['compute']:>11.3f}{be['bandwidth']:>12.3f}{led[BREAK_EVEN].total / roi.total:>11.3f}"
            f"{row.oracle:>8.3f}"
        )
    worst = worst_case([row.ratios for row in rows])
    cells = "".join(
        f"{worst[k]:>{w}.3f}"
        for k, w in zip(("total", "storage", "compute", "bandwidth"), (7, 9, 9, 8), strict=True)
    )
    lines.append("-" * len(head))
    lines.append(f"{'worst case':<18}{cells}")
    for shape in SHAPES:
        mine = [row for row in rows if row.shape == shape]
        if not mine:
            continue
        per = worst_case([row.ratios for row in mine])
        oracle = min(row.oracle for row in mine)
        lines.append(
            f"{'  ' + shape:<18}"
            + "".join(
                f"{per[k]:>{w}.3f}"
                for k, w in zip(("total", "storage", "compute", "bandwidth"), (7, 9, 9, 8), strict=True)
            )
            + f"   oracle's worst {oracle:.3f}"
        )
    for key, target in TARGETS.items():
        met = target.met(worst[key])
        lines.append(
            f"  {target.label:<38}{worst[key]:>7.3f}  target {target.goal:<8} {'met' if met else 'NOT MET'}"
        )
    lines.append("")
    lines.append(
        f"heat rule, mean total / all-Standard over the sweep (N chosen in hindsight: {n}; ROI "
        f"{_mean(rows, 'ROI'):.4f}, rules+HEVC {_mean(rows, RULES_HEVC):.4f}, rule-based {_mean(rows, 'rule-based'):.4f}):"
    )
    lines.append("  " + ", ".join(f"N={g}: {_mean(rows, f'{HEAT} {g}'):.4f}" for g in grid))
    return "\n".join(lines)


def _mean(rows: Sequence[Row], name: str) -> float:
    return sum(relative_total(r.ledgers, name) for r in rows) / len(rows)


def main(foresight: bool = False) -> int:
    start = time.perf_counter()
    deciding = (
        f"the actual plays of the next 7 and 30 days from day {SWEEP_TRAIN_UNTIL + 1} (foresight, no predictor)"
        if foresight
        else f"predictor trained on days <= {SWEEP_TRAIN_UNTIL}"
    )
    print(
        f"ROI sweep: {len(SHAPES)} shapes x {len(SWEEP_SEEDS)} seeds, {SWEEP_VIDEOS:,} videos x {SWEEP_DAYS} days each, "
        f"{deciding}",
        flush=True,
    )
    rows = run_sweep(foresight=foresight)
    print(render_sweep(rows, HEAT_GRID))
    print(f"\nran in {time.perf_counter() - start:.0f} s")
    return 0
