"""Regenerating renditions the ROI reclaimed, once the video is played again past the break-even (pure).

Reclamation (`roi.decide_reclamation`) drops the higher H.264 rungs of a silent video and keeps the
lowest as the instant fallback; the dropped rungs are listed on the video's playback record
(`Playback.reclaimed`). When plays come back, viewers get the fallback's picture until the rungs are
made again. Making them costs the encode (`transcode_cost` on the regeneration backend, from the
original) plus, when the original sits in an archive class, its restore; leaving them missing costs
each play that would have chosen a missing rung a worse picture, valued at `degraded_play_usd`.

Break-even: regenerate when the plays predicted over `horizon_days` that would use a missing rung,
times `degraded_play_usd`, reach the cost (`break_even_plays` = cost / (value x share)). One stray
play of a long-silent video does not pay (its prediction stays near zero); a video coming back
does. The value of a play at full picture is a product choice, not a bill: 0.0002 USD (a fifth of
the `latency_penalty_usd` the ROI puts on a slow first play) makes a 30 s 1080p/720p regeneration on
the ffmpeg Lambda pay after roughly 10 predicted plays (see the tests for figures).

The share of plays a missing rung would take is the ladder's even split (`roi.play_share` without
measured shares): `missing / (kept + missing)` H.264 rungs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reelstack.domain.storage.pricing import Prices, StorageClass
from reelstack.domain.storage.roi import RoiPolicy, VideoFacts, plays_over
from reelstack.domain.storage.storage_costs import Codec, retrieval_cost, transcode_cost


class RegenerationAction(StrEnum):
    KEEP_MISSING = "keep_missing"  # not worth it (yet)
    RESTORE_ORIGINAL = "restore_original"  # worth it; the original must be restored first
    REGENERATE = "regenerate"  # worth it, and the original can be read now


@dataclass(frozen=True)
class RegenerationPolicy:
    degraded_play_usd: float = (
        0.0002  # what one play at the fallback's picture instead of a missing rung costs
    )
    horizon_days: float = 30.0  # the plays a regeneration is paid back by (the ROI's re-encode horizon)


@dataclass(frozen=True)
class MissingRung:
    name: str
    height: int  # the short side, as the ladder names rungs

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MissingRung:
        return cls(str(raw["name"]), int(raw.get("height") or 0))


@dataclass(frozen=True)
class OriginalState:
    size_bytes: int
    storage_class: StorageClass
    readable: bool  # in an instant class, or a restored copy


@dataclass(frozen=True)
class RegenerationDecision:
    action: RegenerationAction
    renditions: tuple[str, ...]
    reason: str
    numbers: dict[str, float] = field(default_factory=dict)


def decide_regeneration(
    facts: VideoFacts,
    missing: Sequence[MissingRung],
    kept_rungs: int,
    original: OriginalState | None,
    prices: Prices,
    roi: RoiPolicy,
    policy: RegenerationPolicy | None = None,
) -> RegenerationDecision:
    """Whether to make the reclaimed rungs again now (or restore the original first)."""
    policy = policy or RegenerationPolicy()
    names = tuple(rung.name for rung in missing)
    if not missing:
        return RegenerationDecision(RegenerationAction.KEEP_MISSING, (), "nothing reclaimed")
    if original is None:
        return RegenerationDecision(
            RegenerationAction.KEEP_MISSING, names, "keep missing: no original to regenerate from"
        )
    encode = transcode_cost(
        roi.regenerate_backend,
        facts.duration_s,
        [rung.height for rung in missing],
        Codec.AVC,
        prices,
        roi.speeds,
    )
    restore = (
        0.0
        if original.readable
        else retrieval_cost(
            original.size_bytes, original.storage_class, prices, tier=roi.restore_tier, restored_days=1.0
        )
    )
    cost = encode + restore
    share = len(missing) / max(1, kept_rungs + len(missing))
    plays = plays_over(facts, policy.horizon_days) * share
    value = plays * policy.degraded_play_usd
    break_even = cost / (policy.degraded_play_usd * share) if share else float("inf")
    numbers = {
        "encode": encode,
        "restore": restore,
        "plays_on_missing": plays,
        "value": value,
        "break_even_plays": break_even,
    }
    if value < cost:
        reason = (
            f"keep missing: {plays:.1f} predicted plays on them in {policy.horizon_days:g} d x "
            f"${policy.degraded_play_usd:g} = ${value:.6f} < regeneration ${cost:.6f} "
            f"(break-even {break_even:.1f} plays)"
        )
        return RegenerationDecision(RegenerationAction.KEEP_MISSING, names, reason, numbers)
    reason = (
        f"regenerate: {plays:.1f} predicted plays on them in {policy.horizon_days:g} d x "
        f"${policy.degraded_play_usd:g} = ${value:.6f} >= regeneration ${cost:.6f} (break-even {break_even:.1f} plays)"
    )
    if not original.readable:
        return RegenerationDecision(
            RegenerationAction.RESTORE_ORIGINAL, names, reason + "; restoring the original first", numbers
        )
    return RegenerationDecision(RegenerationAction.REGENERATE, names, reason, numbers)
