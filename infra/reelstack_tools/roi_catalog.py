"""A seeded synthetic catalog: N videos over D days with power-law popularity and life phases.

What `reelstack roi eval` trains and scores the play predictor on, and what benchmarks/roi_sim.py
replays through the storage and encoding policies. Everything is drawn from one
`numpy.random.default_rng(seed)`: the same `CatalogParams` give the same catalog, bit for bit.

The model, per video (every parameter is a `CatalogParams` field):
- **Upload day**: uniform over the period `[0, days)`; a video has 0 plays before it.
- **Peak height** (expected plays on its best day): Pareto, `peak_scale * U ** (-1 / pareto_alpha)`,
  capped at `peak_cap`. alpha 1.15 gives a heavy tail: the top 1 % of videos take ~40-50 % of plays.
- **Quality** `q ~ N(0, 1)`, hidden: longer-lived and more engaging videos.
- **Climb**: `1 + Poisson(climb_days_mean)` days rising as `((age + 1) / (climb + 1)) ** 2`.
- **Peak**: `1 + randint(0, plateau_days_max + 1)` days at the peak height.
- **Silence**: exponential decay, half-life lognormal: median `half_life_median_days`, log-sd
  `half_life_sigma`, of which a share `half_life_quality_weight` comes from the quality; clipped to
  `[0.5, 90]` days. Plus a slow tail, `tail_fraction` of the peak with half-life
  `tail_half_life_days` (old hits keep a trickle, small videos go silent).
- **Revival**: with probability `revive_probability`, a second wave starting at an age uniform in
  `[revive_min_age, revive_max_age]`, height `peak * lognormal(log(revive_height_median), 1)`,
  its own 1-2 day climb and the video's half-life.
- **Day-to-day noise**: the expected rate times a weekly factor (`weekend_boost` on days 5 and 6 of
  each week) times Gamma(`noise_shape`) noise of mean 1, then Poisson counts (overdispersed).
- **Engagement** `e = 0.5 z_pop + 0.6 q + 0.6 noise` (`z_pop`: the peak's normal score):
  like rate `0.04 exp(0.5 e)` clipped to `[0.001, 0.3]` likes per play; completion rate
  `sigmoid(-0.2 + 0.8 e)`. Likes so far = like rate x plays so far, rounded.
- **Sizes**: duration lognormal (median `duration_median_s`, log-sd 0.6, clipped to [3, 180] s);
  source 1080p / 720p / 480p with probabilities `source_height_shares`; the original at
  10 / 6 / 3 Mbps x lognormal(0, 0.3); H.264 renditions at the ladder's bitrates
  (`reelstack.domain.media.bitrates.BITRATE_TABLE_KBPS`, + 128 kbps AAC) for every rung up to the source.

Memory: the (N, D) matrices are float32/int32 (100,000 x 180 = 72 MB each, a few alive at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from reelstack.domain.media.bitrates import BITRATE_TABLE_KBPS

RUNGS: tuple[int, ...] = tuple(sorted(BITRATE_TABLE_KBPS, reverse=True))  # (1080, 720, 480, 360)
AUDIO_KBPS = 128
SOURCE_HEIGHTS: tuple[int, ...] = (1080, 720, 480)
SOURCE_MBPS: tuple[float, ...] = (10.0, 6.0, 3.0)
_ROW_BLOCK = 20_000  # rows generated at a time: bounds the float temporaries to ~15 MB each


@dataclass(frozen=True)
class CatalogParams:
    """Every knob of the generator (see the module docstring for what each one shapes)."""

    videos: int = 100_000
    days: int = 180
    seed: int = 20240501
    peak_scale: float = 8.0
    pareto_alpha: float = 1.15
    peak_cap: float = 2_000_000.0
    climb_days_mean: float = 1.5
    plateau_days_max: int = 2
    half_life_median_days: float = 3.0
    half_life_sigma: float = 0.9
    half_life_quality_weight: float = 0.7
    tail_fraction: float = 0.004
    tail_half_life_days: float = 45.0
    revive_probability: float = 0.08
    revive_min_age: int = 14
    revive_max_age: int = 150
    revive_height_median: float = 0.3
    weekend_boost: float = 1.15
    noise_shape: float = 4.0
    duration_median_s: float = 25.0
    source_height_shares: tuple[float, ...] = field(default=(0.75, 0.2, 0.05))

    def __post_init__(self) -> None:
        if self.videos < 1 or self.days < 2:
            raise ValueError("a catalog has at least 1 video and 2 days")
        if self.pareto_alpha <= 0 or self.peak_scale <= 0 or self.noise_shape <= 0:
            raise ValueError("pareto_alpha, peak_scale and noise_shape must be positive")
        if not 0.0 <= self.revive_probability <= 1.0 or self.revive_min_age > self.revive_max_age:
            raise ValueError("revive_probability in [0, 1], revive_min_age <= revive_max_age")
        if (
            len(self.source_height_shares) != len(SOURCE_HEIGHTS)
            or abs(sum(self.source_height_shares) - 1) > 1e-9
        ):
            raise ValueError(f"source_height_shares: {len(SOURCE_HEIGHTS)} shares summing to 1")


@dataclass(frozen=True)
class Catalog:
    """The generated catalog: per-video arrays of length N, and the (N, D) daily plays."""

    params: CatalogParams
    upload_day: npt.NDArray[np.int32]
    daily_plays: npt.NDArray[np.int32]  # (N, D): plays of each video on each calendar day
    like_rate: npt.NDArray[np.float32]
    completion_rate: npt.NDArray[np.float32]
    duration_s: npt.NDArray[np.float32]
    source_height: npt.NDArray[np.int32]
    original_bytes: npt.NDArray[np.int64]
    rendition_bytes: npt.NDArray[np.int64]  # (N, len(RUNGS)), 0 for a rung above the source
    peak_daily: npt.NDArray[np.float32]  # ground truth, for diagnostics and tests
    climb_days: npt.NDArray[np.int32]
    plateau_days: npt.NDArray[np.int32]
    half_life_days: npt.NDArray[np.float32]
    revive_age: npt.NDArray[np.int32]  # -1: never revives

    @property
    def videos(self) -> int:
        return int(self.upload_day.size)

    @property
    def days(self) -> int:
        return int(self.daily_plays.shape[1])

    def likes_until(self, day: int, videos: npt.NDArray[np.intp] | None = None) -> npt.NDArray[np.int64]:
        """Likes each video (of `videos`, default all) has at the end of `day`."""
        rows = np.s_[:] if videos is None else videos
        plays = self.daily_plays[rows, : day + 1].sum(axis=1, dtype=np.int64)
        return np.rint(plays * self.like_rate[rows].astype(np.float64)).astype(np.int64)


def _curve(
    age: npt.NDArray[np.float32],
    climb: npt.NDArray[np.float32],
    plateau: npt.NDArray[np.float32],
    half_life: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """Share of the peak on each day: 0 before 0, climb, plateau, exponential decay (rows x days)."""
    rising = np.square((age + 1) / (climb + 1), dtype=np.float32)
    decay = np.exp2(-np.maximum(age - climb - plateau, 0) / half_life, dtype=np.float32)
    shape = np.where(age < climb, rising, decay)
    return np.where(age < 0, np.float32(0), shape).astype(np.float32)


def generate_catalog(params: CatalogParams | None = None) -> Catalog:
    """Draw the catalog that `params` (defaults: 100,000 videos x 180 days) and its seed describe."""
    p = params or CatalogParams()
    rng = np.random.default_rng(p.seed)
    n, d = p.videos, p.days
    upload = rng.integers(0, d, size=n).astype(np.int32)
    peak = np.minimum(p.peak_scale * rng.uniform(0, 1, n) ** (-1 / p.pareto_alpha), p.peak_cap)
    quality = rng.standard_normal(n)
    climb = (1 + rng.poisson(p.climb_days_mean, n)).astype(np.int32)
    plateau = rng.integers(0, p.plateau_days_max + 1, n).astype(np.int32)
    spread = p.half_life_quality_weight * quality + np.sqrt(
        1 - p.half_life_quality_weight**2
    ) * rng.standard_normal(n)
    half_life = np.clip(p.half_life_median_days * np.exp(p.half_life_sigma * spread), 0.5, 90.0)
    revives = rng.uniform(0, 1, n) < p.revive_probability
    revive_age = np.where(revives, rng.integers(p.revive_min_age, p.revive_max_age + 1, n), -1).astype(
        np.int32
    )
    revive_height = p.revive_height_median * np.exp(rng.standard_normal(n))
    revive_climb = rng.integers(1, 3, n)

    order = np.argsort(np.argsort(peak, kind="stable"), kind="stable")
    z_pop = _normal_scores(order, n)
    engagement = 0.5 * z_pop + 0.6 * quality + 0.6 * rng.standard_normal(n)
    like_rate = np.clip(0.04 * np.exp(0.5 * engagement), 0.001, 0.3).astype(np.float32)
    completion = (1 / (1 + np.exp(-(-0.2 + 0.8 * engagement)))).astype(np.float32)

    weekly = np.where(np.arange(d) % 7 >= 5, p.weekend_boost, 1.0).astype(np.float32)
    plays = np.empty((n, d), dtype=np.int32)
    day_index = np.arange(d, dtype=np.float32)[None, :]
    for lo in range(0, n, _ROW_BLOCK):
        hi = min(n, lo + _ROW_BLOCK)
        age = day_index - upload[lo:hi, None].astype(np.float32)
        col = np.s_[lo:hi, None]
        hl = half_life[col].astype(np.float32)
        shape = _curve(age, climb[col].astype(np.float32), plateau[col].astype(np.float32), hl)
        tail = np.where(age < 0, 0, p.tail_fraction * np.exp2(-np.maximum(age, 0) / p.tail_half_life_days))
        shape += tail.astype(np.float32)
        wave_age = age - np.where(revives[col], revive_age[col], 10 * d).astype(np.float32)
        wave = _curve(wave_age, revive_climb[col].astype(np.float32), np.zeros_like(hl), hl)
        shape += wave * revive_height[col].astype(np.float32)
        rate = shape * (peak[col].astype(np.float32) * weekly[None, :])
        rate *= rng.gamma(p.noise_shape, 1 / p.noise_shape, size=rate.shape).astype(np.float32)
        plays[lo:hi] = rng.poisson(rate).astype(np.int32)

    duration = np.clip(p.duration_median_s * np.exp(0.6 * rng.standard_normal(n)), 3.0, 180.0)
    source_kind = rng.choice(len(SOURCE_HEIGHTS), size=n, p=list(p.source_height_shares))
    source_height = np.asarray(SOURCE_HEIGHTS, dtype=np.int32)[source_kind]
    source_mbps = np.asarray(SOURCE_MBPS)[source_kind] * np.exp(0.3 * rng.standard_normal(n))
    original_bytes = (source_mbps * 1e6 / 8 * duration).astype(np.int64)
    rung_kbps = np.asarray([BITRATE_TABLE_KBPS[r] + AUDIO_KBPS for r in RUNGS], dtype=np.float64)
    present = np.asarray(RUNGS)[None, :] <= source_height[:, None]
    rendition_bytes = np.where(present, rung_kbps[None, :] * 1000 / 8 * duration[:, None], 0).astype(np.int64)

    return Catalog(
        params=p,
        upload_day=upload,
        daily_plays=plays,
        like_rate=like_rate,
        completion_rate=completion,
        duration_s=duration.astype(np.float32),
        source_height=source_height,
        original_bytes=original_bytes,
        rendition_bytes=rendition_bytes,
        peak_daily=peak.astype(np.float32),
        climb_days=climb,
        plateau_days=plateau,
        half_life_days=half_life.astype(np.float32),
        revive_age=revive_age,
    )


def _normal_scores(ranks: npt.NDArray[np.intp], n: int) -> npt.NDArray[np.float64]:
    """Rank 0..n-1 -> an approximate normal score of (rank + 0.5) / n (mean 0, sd ~1)."""
    u = (ranks + 0.5) / n
    # A logit scaled to unit variance stands in for the probit: close enough to order engagement.
    return np.log(u / (1 - u)) * (np.sqrt(3) / np.pi)
