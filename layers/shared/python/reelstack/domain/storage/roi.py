"""Nightly ROI decisions per video: storage class of each object, high-heat re-encode, reclamation.

Each decision says what to do, why (one sentence) and the numbers it compared (dollars over its
horizon). Inputs are small dataclasses so the tiering Lambda and the simulator share them.

Two horizons: a re-encode pays back over `horizon_days` (30, what the predictions cover); storage
classes and drops are weighed over `storage_horizon_days` (90), since an object seldom moves back
and one-off fees (transition requests per object, minimum durations) are spread over its stay.
Predicted plays should be expected values (`PlayPredictor.expected`), not medians: costs add up.

How the money is counted (see `storage_costs` for the prices' arithmetic):
- Plays over a horizon come from the 7- and 30-day predictions (`plays_over`). A play reads
  `watched_fraction` of the rendition it is served; renditions split plays by `rendition_share`
  (equal shares when absent), and a rendition with an efficient-codec twin hands `capable_share`
  of its plays to the twin. `origin_fetch_share` of played bytes reach S3 (1.0: no CDN cache).
- Storage class (a): every allowed class is priced as transition (request fees, early deletion of
  the current class, retrieval when copying out of a cold class) + storage over the horizon, billed
  for at least the target's minimum duration (moving in is a commitment: a class we would leave
  before its minimum must pay even so) + reads (retrieval fees; restores for archive classes).
  Staying is priced at the horizon only (the rest of a running minimum is owed either way). The
  cheapest wins; ties keep the current class, so a second night with the same inputs keeps.
- Archive classes (Glacier Flexible, Deep Archive) hold originals (plays never read them: an
  original may wait for a restore once the video is `original_archive_after_days` old or cold, and
  no re-encode needs it tonight) and, only when `renditions_may_wait_for_restore`, renditions.
- Re-encode (b): egress saved by the efficient renditions against compute + their storage + PUTs +
  reading the original.
- Reclamation (c): an H.264 rendition of a silent video is dropped when its storage over the horizon
  exceeds the early-deletion fee plus the expected cost of regenerating it (P(>= 1 play) x
  (re-encode + reading the original + latency penalty)). An efficient twin, silent or not, is dropped
  when its storage exceeds the egress it is expected to save (players fall back to H.264). The
  original is never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from reelstack.domain.media.backends import Backend
from reelstack.domain.storage.pricing import GB, KB, Prices, RetrievalTier, StorageClass
from reelstack.domain.storage.storage_costs import (
    Codec,
    EncodeSpeeds,
    billable_gb_month,
    early_deletion_fee,
    retrieval_cost,
    storage_cost,
    transcode_cost,
    transition_cost,
)


class ObjectKind(StrEnum):
    ORIGINAL = "original"
    RENDITION = "rendition"  # the H.264 ladder
    EFFICIENT_RENDITION = "efficient_rendition"  # HEVC / AV1 added by a high-heat re-encode


class Action(StrEnum):
    KEEP = "keep"
    MOVE = "move"
    REENCODE = "reencode"
    DROP = "drop"


@dataclass(frozen=True)
class StoredObject:
    key: str
    kind: ObjectKind
    size_bytes: int
    storage_class: StorageClass
    class_since_days: float  # days since it entered its current class
    rendition: str = ""  # ladder name, e.g. "720p"; an efficient twin carries its AVC rendition's name
    height: int = 0
    codec: Codec = Codec.AVC
    objects: int = 1  # S3 objects it is made of (an HLS rendition: playlist + media file, or segments)


@dataclass(frozen=True)
class VideoFacts:
    video_id: str
    age_days: float
    duration_s: float
    objects: tuple[StoredObject, ...]
    predicted_plays_7d: float
    predicted_plays_30d: float
    recent_daily_plays: tuple[float, ...] = ()  # oldest first; the last is yesterday
    last_played_days_ago: float | None = None  # None: never played
    rendition_share: Mapping[str, float] = field(default_factory=dict)  # share of plays per rendition


@dataclass(frozen=True)
class RoiPolicy:
    """Knobs of the decisions, with documented defaults."""

    horizon_days: float = 30.0  # a re-encode's payback window: what the 7/30-day predictions cover
    storage_horizon_days: float = 90.0  # class moves and drops: an object rarely moves back, so its
    # one-off fees (per-object transition requests, minimum durations) are spread over 90 days
    watched_fraction: float = 0.7  # share of a rendition one play fetches (HLS fetches what is watched)
    origin_fetch_share: float = 1.0  # share of played bytes read from S3 (1 - CDN hit ratio)
    renditions_may_wait_for_restore: bool = False  # renditions may go to Glacier Flexible / Deep Archive
    archive_below_plays_30d: float = 1.0  # a video predicted fewer plays than this in 30 d is cold
    original_archive_after_days: float = 7.0  # plays never read the original: past its first week
    # (most videos peak within 5 days; re-encodes are decided then) it may wait for a restore even
    # while the video is played (a later re-encode reads the top H.264 rendition or restores it)
    restore_tier: RetrievalTier = RetrievalTier.BULK
    restore_keep_days: float = 7.0  # a restored copy serves plays this long (one restore per window)
    min_saving_usd: float = 0.0  # a move must save more than this (hysteresis)
    # high-heat re-encode
    efficient_codec: Codec = Codec.HEVC
    efficient_size_ratio: float = 0.6  # HEVC ~40% smaller than H.264 at equal quality
    capable_share: float = 0.6  # share of plays on players that decode the efficient codec
    reencode_backend: Backend = Backend.LAMBDA
    reencode_min_height: int = 0  # re-encode ladder renditions at least this tall
    reencode_margin: float = 0.0  # re-encode when the saving beats (1 + margin) x the cost. 0: the
    # break-even of the price table, where a run starts; the nightly tiering then sets it from the
    # re-encode budget's spend (`reencode_pacing`, kept by `services.storage.reencode_ledger`)
    # reclamation
    silent_after_days: float = 30.0  # no play for this long: a candidate for reclamation
    regenerate_backend: Backend = Backend.LAMBDA
    latency_penalty_usd: float = 0.001  # what a slow first play (on-demand regeneration) is worth
    keep_lowest_rendition: bool = True  # keep the lowest H.264 rendition as an instant fallback
    speeds: EncodeSpeeds = field(default_factory=EncodeSpeeds)


@dataclass(frozen=True)
class ClassDecision:
    key: str
    action: Action  # KEEP or MOVE
    current: StorageClass
    target: StorageClass
    reason: str
    numbers: Mapping[str, float]


@dataclass(frozen=True)
class ReencodeDecision:
    video_id: str
    action: Action  # REENCODE or KEEP
    codec: Codec
    reason: str
    numbers: Mapping[str, float]
    planned: tuple[StoredObject, ...] = ()  # renditions to add (sizes estimated, keys provisional)


@dataclass(frozen=True)
class ReclaimDecision:
    key: str
    action: Action  # DROP or KEEP
    reason: str
    numbers: Mapping[str, float]


@dataclass(frozen=True)
class VideoDecisions:
    video_id: str
    storage: tuple[ClassDecision, ...]
    reencode: ReencodeDecision
    reclaim: tuple[ReclaimDecision, ...]


def plays_over(facts: VideoFacts, days: float) -> float:
    """Predicted plays in the next `days`: linear within the 7 d and 30 d predictions, flat beyond."""
    p7, p30 = facts.predicted_plays_7d, max(facts.predicted_plays_30d, facts.predicted_plays_7d)
    if days <= 7:
        return p7 * days / 7
    if days <= 30:
        return p7 + (p30 - p7) * (days - 7) / 23
    return p30 * days / 30


def play_share(facts: VideoFacts, obj: StoredObject, policy: RoiPolicy) -> float:
    """Share of the video's plays served by `obj` (0 for the original)."""
    if obj.kind is ObjectKind.ORIGINAL:
        return 0.0
    base = _base_share(facts, obj)
    twins = {o.rendition for o in facts.objects if o.kind is ObjectKind.EFFICIENT_RENDITION}
    if obj.kind is ObjectKind.EFFICIENT_RENDITION:
        return base * policy.capable_share
    return base * (1 - policy.capable_share) if obj.rendition in twins else base


# --- (a) storage class -------------------------------------------------------------------------


def decide_storage_class(
    facts: VideoFacts,
    obj: StoredObject,
    prices: Prices,
    policy: RoiPolicy,
    *,
    original_needed_soon: bool = False,
) -> ClassDecision:
    """The cheapest allowed class for `obj` over the storage horizon, with the costs compared."""
    horizon = policy.storage_horizon_days
    allowed = _allowed(facts, obj, policy, original_needed_soon)
    costs = {c: _class_cost(facts, obj, c, prices, policy) for c in allowed}
    if original_needed_soon and obj.kind is ObjectKind.ORIGINAL:  # the re-encode reads it once
        costs = {c: v + _one_read(obj, c, prices, policy) for c, v in costs.items()}
    current = obj.storage_class
    stay = costs[current]
    best = min(costs, key=lambda c: (costs[c], c.coldness))
    notes = _class_notes(obj, prices, policy, costs)
    if obj.kind is ObjectKind.ORIGINAL and _young(facts, policy):
        notes += (
            f"; young original: stays for the video's first {policy.original_archive_after_days:g} d, "
            "while re-encodes are decided"
        )
    numbers = {f"cost_{c.value}": v for c, v in costs.items()}
    numbers["plays_horizon"] = plays_over(facts, horizon)
    numbers["share"] = play_share(facts, obj, policy)
    if best is not current and stay - costs[best] > policy.min_saving_usd:
        move = transition_cost(
            obj.size_bytes,
            current,
            obj.class_since_days,
            best,
            prices,
            objects=obj.objects,
            restore_tier=policy.restore_tier,
        )
        numbers["transition"] = move.total
        numbers["early_deletion"] = move.early_deletion
        reason = (
            f"move {current} -> {best}: ${costs[best]:.6f} vs ${stay:.6f} staying over {horizon:g} d "
            f"(incl. transition ${move.total:.6f}, of which early deletion ${move.early_deletion:.6f}){notes}"
        )
        return ClassDecision(obj.key, Action.MOVE, current, best, reason, numbers)
    runner_up = min((c for c in costs if c is not current), key=lambda c: costs[c], default=None)
    versus = f" vs {runner_up} ${costs[runner_up]:.6f}" if runner_up is not None else ""
    reason = f"keep {current}: cheapest over {horizon:g} d (${stay:.6f}{versus}){notes}"
    return ClassDecision(obj.key, Action.KEEP, current, current, reason, numbers)


def _allowed(
    facts: VideoFacts, obj: StoredObject, policy: RoiPolicy, original_needed_soon: bool
) -> list[StorageClass]:
    if obj.kind is ObjectKind.ORIGINAL and _young(facts, policy):
        return [obj.storage_class]  # re-encodes are decided now: no class it would be stuck in
    allowed = [c for c in StorageClass if c.instant]
    if _may_archive(facts, obj, policy, original_needed_soon):
        allowed += [StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE]
    if obj.storage_class not in allowed:
        allowed.append(obj.storage_class)  # staying is always an option
    return allowed


def _cold(facts: VideoFacts, policy: RoiPolicy) -> bool:
    return facts.predicted_plays_30d < policy.archive_below_plays_30d


def _young(facts: VideoFacts, policy: RoiPolicy) -> bool:
    """An original in its first `original_archive_after_days` of a video that is not cold: it stays
    where it is (Standard), since a move to Glacier IR would keep it from Deep Archive for 90 days."""
    return facts.age_days < policy.original_archive_after_days and not _cold(facts, policy)


def _may_archive(facts: VideoFacts, obj: StoredObject, policy: RoiPolicy, original_needed_soon: bool) -> bool:
    if obj.kind is ObjectKind.ORIGINAL:
        return not _young(facts, policy) and not original_needed_soon
    return _cold(facts, policy) and policy.renditions_may_wait_for_restore


def _class_cost(
    facts: VideoFacts, obj: StoredObject, target: StorageClass, prices: Prices, policy: RoiPolicy
) -> float:
    horizon = policy.storage_horizon_days
    if target is obj.storage_class:
        keep = (
            billable_gb_month(obj.size_bytes, target, prices, obj.objects) * horizon / prices.days_per_month
        )
    else:
        keep = storage_cost(obj.size_bytes, target, horizon, prices, obj.objects)
        keep += transition_cost(
            obj.size_bytes,
            obj.storage_class,
            obj.class_since_days,
            target,
            prices,
            objects=obj.objects,
            restore_tier=policy.restore_tier,
        ).total
    return keep + _read_cost(facts, obj, target, prices, policy)


def _read_cost(
    facts: VideoFacts, obj: StoredObject, target: StorageClass, prices: Prices, policy: RoiPolicy
) -> float:
    horizon = policy.storage_horizon_days
    reads = plays_over(facts, horizon) * play_share(facts, obj, policy) * policy.origin_fetch_share
    if reads <= 0:
        return 0.0
    if target.instant:
        fetched = reads * policy.watched_fraction
        return retrieval_cost(obj.size_bytes * fetched, target, prices, requests=obj.objects * fetched)
    restores = min(reads, max(1.0, horizon / policy.restore_keep_days))
    one = retrieval_cost(
        obj.size_bytes,
        target,
        prices,
        requests=obj.objects,
        tier=policy.restore_tier,
        restored_days=policy.restore_keep_days,
    )
    return restores * one


def _one_read(obj: StoredObject, target: StorageClass, prices: Prices, policy: RoiPolicy) -> float:
    return retrieval_cost(
        obj.size_bytes, target, prices, requests=obj.objects, tier=policy.restore_tier, restored_days=1.0
    )


def _class_notes(
    obj: StoredObject, prices: Prices, policy: RoiPolicy, costs: Mapping[StorageClass, float]
) -> str:
    notes = []
    per_object = obj.size_bytes / obj.objects
    if per_object < prices.infrequent_min_billable_kb * KB:
        notes.append(
            f"tiny: {per_object / KB:.0f} KB per object is billed as {prices.infrequent_min_billable_kb:g} KB "
            "in Standard-IA / Glacier IR and pays a per-request transition fee"
        )
    remaining = prices.min_days(obj.storage_class) - obj.class_since_days
    if remaining > 0:
        notes.append(f"{remaining:g} d left of {obj.storage_class}'s minimum")
    if StorageClass.GLACIER not in costs and len(costs) > 1:
        if obj.kind is not ObjectKind.ORIGINAL and not policy.renditions_may_wait_for_restore:
            notes.append("archive classes not allowed: renditions must play instantly")
        else:
            notes.append("archive classes not allowed: the video is not cold or its original is needed soon")
    return "; " + "; ".join(notes) if notes else ""


# --- (b) high-heat re-encode -------------------------------------------------------------------


def decide_reencode(facts: VideoFacts, prices: Prices, policy: RoiPolicy) -> ReencodeDecision:
    """Add efficient-codec renditions when the egress they save beats compute + storage + reads."""
    codec = policy.efficient_codec
    have = [o for o in facts.objects if o.kind is ObjectKind.EFFICIENT_RENDITION and o.codec is codec]
    if have:
        return ReencodeDecision(
            facts.video_id, Action.KEEP, codec, f"keep: already has {len(have)} {codec} rendition(s)", {}
        )
    ladder = [
        o for o in facts.objects if o.kind is ObjectKind.RENDITION and o.height >= policy.reencode_min_height
    ]
    if not ladder:
        return ReencodeDecision(
            facts.video_id, Action.KEEP, codec, "keep: no H.264 rendition to re-encode", {}
        )
    horizon = policy.horizon_days
    plays = plays_over(facts, horizon)
    ratio = policy.efficient_size_ratio
    saved_bytes_per_play = sum(
        _base_share(facts, o) * policy.capable_share * policy.watched_fraction * o.size_bytes * (1 - ratio)
        for o in ladder
    )
    saving_per_play = saved_bytes_per_play / GB * prices.egress_gb
    saving = plays * saving_per_play
    compute = transcode_cost(
        policy.reencode_backend, facts.duration_s, [o.height for o in ladder], codec, prices, policy.speeds
    )
    extra_storage = sum(
        storage_cost(o.size_bytes * ratio, StorageClass.STANDARD, horizon, prices, o.objects) for o in ladder
    )
    puts = sum(o.objects for o in ladder) / 1000 * prices.standard_put_per_1000
    source = _source_read_cost(facts, prices, policy)
    cost = compute + extra_storage + puts + source
    break_even = cost / saving_per_play if saving_per_play > 0 else math.inf
    numbers = {
        "plays_horizon": plays,
        "saving": saving,
        "compute": compute,
        "extra_storage": extra_storage,
        "requests": puts,
        "source_read": source,
        "cost": cost,
        "break_even_plays": break_even,
    }
    required = cost * (1 + policy.reencode_margin)
    numbers["required"] = required
    if saving > required:
        planned = tuple(
            StoredObject(
                key=f"{o.key}.{codec.value}",
                kind=ObjectKind.EFFICIENT_RENDITION,
                size_bytes=round(o.size_bytes * ratio),
                storage_class=StorageClass.STANDARD,
                class_since_days=0.0,
                rendition=o.rendition,
                height=o.height,
                codec=codec,
                objects=o.objects,
            )
            for o in ladder
        )
        reason = (
            f"re-encode to {codec}: {plays:.0f} plays over {horizon:g} d save ${saving:.4f} egress > "
            f"${cost:.4f} cost ({policy.reencode_backend} ${compute:.4f} + storage ${extra_storage:.4f}); "
            f"break-even {break_even:.0f} plays"
        )
        return ReencodeDecision(facts.video_id, Action.REENCODE, codec, reason, numbers, planned)
    margin = f" x {1 + policy.reencode_margin:g} margin" if policy.reencode_margin else ""
    reason = (
        f"keep: {plays:.0f} plays over {horizon:g} d save ${saving:.4f} egress <= ${cost:.4f} cost{margin}; "
        f"break-even {break_even:.0f} plays"
    )
    return ReencodeDecision(facts.video_id, Action.KEEP, codec, reason, numbers)


def _base_share(facts: VideoFacts, obj: StoredObject) -> float:
    """The share of plays for `obj`'s rendition name, before the efficient twin takes its part."""
    if facts.rendition_share:
        return facts.rendition_share.get(obj.rendition, 0.0)
    names = {o.rendition for o in facts.objects if o.kind is not ObjectKind.ORIGINAL}
    return 1 / len(names) if names else 0.0


def _source(facts: VideoFacts) -> StoredObject | None:
    """What a re-encode reads: the original, else the tallest H.264 rendition."""
    for obj in facts.objects:
        if obj.kind is ObjectKind.ORIGINAL:
            return obj
    ladder = [o for o in facts.objects if o.kind is ObjectKind.RENDITION]
    return max(ladder, key=lambda o: o.height, default=None)


def _source_read_cost(facts: VideoFacts, prices: Prices, policy: RoiPolicy) -> float:
    source = _source(facts)
    if source is None:
        return 0.0
    return retrieval_cost(
        source.size_bytes,
        source.storage_class,
        prices,
        requests=source.objects,
        tier=policy.restore_tier,
        restored_days=1.0,
    )


# --- (c) reclamation ---------------------------------------------------------------------------


def decide_reclamation(facts: VideoFacts, prices: Prices, policy: RoiPolicy) -> tuple[ReclaimDecision, ...]:
    """Per object: drop renditions of a silent video that cost more to keep than to regenerate."""
    silent = facts.last_played_days_ago is None or facts.last_played_days_ago >= policy.silent_after_days
    silent = silent and facts.age_days >= policy.silent_after_days
    original = next((o for o in facts.objects if o.kind is ObjectKind.ORIGINAL), None)
    ladder = sorted((o for o in facts.objects if o.kind is ObjectKind.RENDITION), key=lambda o: o.height)
    protected = _protected(original, ladder, policy)
    decisions: dict[str, ReclaimDecision] = {}
    for obj in facts.objects:
        if obj.kind is ObjectKind.ORIGINAL:
            decisions[obj.key] = ReclaimDecision(
                obj.key, Action.KEEP, "keep: regeneration needs the original", {}
            )
        elif obj.key in protected:
            decisions[obj.key] = ReclaimDecision(obj.key, Action.KEEP, protected[obj.key], {})
        elif not silent and obj.kind is not ObjectKind.EFFICIENT_RENDITION:
            played = (
                "never played"
                if facts.last_played_days_ago is None
                else f"played {facts.last_played_days_ago:g} d ago"
            )
            reason = f"keep: not silent ({played}, age {facts.age_days:g} d; silence = {policy.silent_after_days:g} d)"
            decisions[obj.key] = ReclaimDecision(obj.key, Action.KEEP, reason, {})
        else:
            decisions[obj.key] = _weigh_drop(facts, obj, original, prices, policy)
    _keep_one_instant(facts, original, ladder, decisions)
    return tuple(decisions[o.key] for o in facts.objects)


def _protected(
    original: StoredObject | None, ladder: Sequence[StoredObject], policy: RoiPolicy
) -> dict[str, str]:
    if original is None:
        return {o.key: "keep: no original, a dropped rendition could not be regenerated" for o in ladder}
    if policy.keep_lowest_rendition and ladder:
        return {ladder[0].key: "keep: policy keeps the lowest H.264 rendition as the instant fallback"}
    return {}


def _weigh_drop(
    facts: VideoFacts, obj: StoredObject, original: StoredObject | None, prices: Prices, policy: RoiPolicy
) -> ReclaimDecision:
    horizon = policy.storage_horizon_days
    keep = (
        billable_gb_month(obj.size_bytes, obj.storage_class, prices, obj.objects)
        * horizon
        / prices.days_per_month
    )
    early = early_deletion_fee(obj.size_bytes, obj.storage_class, obj.class_since_days, prices, obj.objects)
    plays = plays_over(facts, horizon) * play_share(facts, obj, policy)
    p_play = 1 - math.exp(-plays)
    if obj.kind is ObjectKind.EFFICIENT_RENDITION:
        # players fall back to H.264: what is lost is the egress the smaller file saves
        saved_per_play = obj.size_bytes * (1 / policy.efficient_size_ratio - 1) * policy.watched_fraction
        regenerate = 0.0
        expected = plays * saved_per_play / GB * prices.egress_gb
        what = "expected egress saving lost"
    else:
        regenerate = transcode_cost(
            policy.regenerate_backend, facts.duration_s, [obj.height], obj.codec, prices, policy.speeds
        )
        if original is not None:
            regenerate += retrieval_cost(
                original.size_bytes,
                original.storage_class,
                prices,
                requests=original.objects,
                tier=policy.restore_tier,
                restored_days=1.0,
            )
        regenerate += policy.latency_penalty_usd
        expected = p_play * regenerate
        what = "expected regeneration"
    numbers = {
        "storage_horizon": keep,
        "early_deletion": early,
        "p_play": p_play,
        "regeneration": regenerate,
        "expected": expected,
    }
    if early + expected < keep:
        reason = (
            f"drop: keeping costs ${keep:.6f} over {horizon:g} d > early deletion ${early:.6f} + "
            f"{what} ${expected:.6f} (P(play) {p_play:.3f})"
        )
        return ReclaimDecision(obj.key, Action.DROP, reason, numbers)
    reason = (
        f"keep: ${keep:.6f} over {horizon:g} d <= early deletion ${early:.6f} + {what} ${expected:.6f} "
        f"(P(play) {p_play:.3f})"
    )
    return ReclaimDecision(obj.key, Action.KEEP, reason, numbers)


def _keep_one_instant(
    facts: VideoFacts,
    original: StoredObject | None,
    ladder: Sequence[StoredObject],
    decisions: dict[str, ReclaimDecision],
) -> None:
    """Never drop the last instantly playable rendition while the original needs a restore."""
    if original is None or original.storage_class.instant:
        return
    instant = [o for o in ladder if o.storage_class.instant]
    if not instant or any(decisions[o.key].action is Action.KEEP for o in instant):
        return
    kept = instant[0]
    reason = f"keep: last instantly playable rendition while the original is in {original.storage_class}"
    decisions[kept.key] = ReclaimDecision(kept.key, Action.KEEP, reason, decisions[kept.key].numbers)


# --- the night's decisions ---------------------------------------------------------------------


def decide_video(
    facts: VideoFacts, prices: Prices | None = None, policy: RoiPolicy | None = None
) -> VideoDecisions:
    """Reclaim first, then re-encode, then the class of every object left (planned ones included)."""
    prices = prices or Prices()
    policy = policy or RoiPolicy()
    reclaim = decide_reclamation(facts, prices, policy)
    dropped = {d.key for d in reclaim if d.action is Action.DROP}
    kept = replace(facts, objects=tuple(o for o in facts.objects if o.key not in dropped))
    reencode = decide_reencode(kept, prices, policy)
    after = replace(kept, objects=kept.objects + reencode.planned)
    needed = reencode.action is Action.REENCODE
    storage = tuple(
        decide_storage_class(after, obj, prices, policy, original_needed_soon=needed) for obj in after.objects
    )
    return VideoDecisions(facts.video_id, storage, reencode, reclaim)


def apply_decisions(facts: VideoFacts, decisions: VideoDecisions) -> VideoFacts:
    """The facts as they will be once the decisions are carried out (what the next night sees)."""
    dropped = {d.key for d in decisions.reclaim if d.action is Action.DROP}
    targets = {d.key: d.target for d in decisions.storage if d.action is Action.MOVE}
    objects = []
    for obj in (*facts.objects, *decisions.reencode.planned):
        if obj.key in dropped:
            continue
        if obj.key in targets:
            obj = replace(obj, storage_class=targets[obj.key], class_since_days=0.0)
        objects.append(obj)
    return replace(facts, objects=tuple(objects))


# --- the rule-based baseline -------------------------------------------------------------------


class Tier(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COOL = "cool"  # played 30-90 days ago: between the warm and cold
    COLD = "cold"


@dataclass(frozen=True)
class RuleBasedTiers:
    """The issue's baseline: hot > 1,000 daily plays or top 10% of the last 7 days; warm: played within
    30 days; cold: inactive > 3 months; moved nightly, blind to minimum durations and fees."""

    hot_daily_plays: float = 1000.0
    warm_within_days: float = 30.0
    cold_after_days: float = 90.0
    hot_class: StorageClass = StorageClass.STANDARD
    warm_class: StorageClass = StorageClass.STANDARD_IA
    cool_class: StorageClass = StorageClass.GLACIER_IR
    cold_class: StorageClass = StorageClass.GLACIER


@dataclass(frozen=True)
class RuleBasedClass:
    tier: Tier
    storage_class: StorageClass
    reason: str


def top_decile_threshold(plays_last_7d: Sequence[float]) -> float:
    """Last-7-day plays of the catalog's top 10% (its ceil(n / 10) busiest videos): at or above is hot."""
    if not plays_last_7d:
        return math.inf
    ordered = sorted(plays_last_7d)
    return ordered[-max(1, math.ceil(len(ordered) / 10))]


def rule_based_class(
    facts: VideoFacts, top_decile_plays_7d: float, rules: RuleBasedTiers | None = None
) -> RuleBasedClass:
    """The baseline's tier and class for every object of the video (one class per video)."""
    rules = rules or RuleBasedTiers()
    yesterday = facts.recent_daily_plays[-1] if facts.recent_daily_plays else 0.0
    last_7d = sum(facts.recent_daily_plays[-7:])
    idle = facts.last_played_days_ago if facts.last_played_days_ago is not None else facts.age_days
    if yesterday > rules.hot_daily_plays:
        return RuleBasedClass(
            Tier.HOT, rules.hot_class, f"hot: {yesterday:g} plays yesterday > {rules.hot_daily_plays:g}"
        )
    if last_7d > 0 and last_7d >= top_decile_plays_7d:
        reason = f"hot: {last_7d:g} plays in 7 d is in the top 10% (>= {top_decile_plays_7d:g})"
        return RuleBasedClass(Tier.HOT, rules.hot_class, reason)
    if facts.last_played_days_ago is not None and idle <= rules.warm_within_days:
        return RuleBasedClass(Tier.WARM, rules.warm_class, f"warm: played {idle:g} d ago")
    if idle > rules.cold_after_days:
        return RuleBasedClass(
            Tier.COLD, rules.cold_class, f"cold: inactive {idle:g} d > {rules.cold_after_days:g}"
        )
    return RuleBasedClass(Tier.COOL, rules.cool_class, f"cool: inactive {idle:g} d")
