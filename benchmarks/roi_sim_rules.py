"""The ROI engine's nightly decisions and the rule-based tiers, vectorised over videos for roi_sim.

`reelstack.domain.storage.roi.decide_video` decides one video at a time (~1 ms): too slow for 100,000 videos
x 180 nights. This module applies the *same* rules to arrays of videos at once, with unit prices
taken from `Prices` and the domain's cost functions (never copied), and `domain_facts` builds the
`VideoFacts` of any row so the tests (tests/unit/tools/test_roi_sim.py) and the simulator's own
cross-check compare these decisions with `decide_video` / `rule_based_class`.

Layout: each video has `SLOTS` object slots: 0 the original, 1..4 the H.264 ladder (`RUNGS` order,
1080p first), 5..8 the efficient-codec twins of the same rungs. Arrays are (rows, SLOTS); a slot is
used when `present` is true. Storage classes are integers in `CLASSES` order (warmest first, the
same order as `StorageClass.coldness`).

Scope: the Lambda or GPU encode backends (cost linear in the duration; MediaConvert's 10-second
minimum is not), `keep_lowest_rendition` on and renditions kept instant (the `RoiPolicy` defaults),
no per-rendition play shares (`VideoFacts.rendition_share` empty: equal shares, as the tiering
Lambda has). `check_policy` refuses anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelstack.domain.media.backends import Backend
from reelstack.domain.storage.pricing import GB, KB, Prices, StorageClass
from reelstack.domain.storage.roi import ObjectKind, RoiPolicy, RuleBasedTiers, StoredObject, VideoFacts
from reelstack.domain.storage.storage_costs import Codec, retrieval_cost, transcode_cost
from reelstack_tools.roi_catalog import RUNGS

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

CLASSES: tuple[StorageClass, ...] = tuple(StorageClass)
STANDARD = CLASSES.index(StorageClass.STANDARD)
N_RUNGS = len(RUNGS)
SLOTS = 1 + 2 * N_RUNGS
ORIGINAL = 0
AVC = slice(1, 1 + N_RUNGS)
EFFICIENT = slice(1 + N_RUNGS, 1 + 2 * N_RUNGS)
SLOT_HEIGHT = np.asarray([0, *RUNGS, *RUNGS], dtype=np.int64)
RENDITION_OBJECTS = 2  # a rendition is its media playlist + one byte-range media file (ffmpeg_ladder)


def check_policy(policy: RoiPolicy) -> None:
    """Refuse the policies the vectorised rules do not cover (see the module docstring)."""
    for backend in (policy.reencode_backend, policy.regenerate_backend):
        if backend is Backend.MEDIACONVERT:
            raise ValueError("the vectorised rules need a Lambda or GPU backend (cost linear in duration)")
    if not policy.keep_lowest_rendition or policy.renditions_may_wait_for_restore:
        raise ValueError("the vectorised rules need keep_lowest_rendition and instant renditions")


def rendition_objects(duration_s: Floats) -> Ints:
    """S3 objects of one HLS rendition: the playlist and its single byte-range media file, whatever
    the duration (init and segments are ranges of that file)."""
    return np.full(np.shape(duration_s), RENDITION_OBJECTS, dtype=np.int64)


@dataclass(frozen=True)
class UnitPrices:
    """Per-class unit prices (arrays in `CLASSES` order) and per-height encode costs, from `Prices`."""

    prices: Prices
    policy: RoiPolicy
    rate: Floats  # $ per GB-month
    min_days: Floats
    put: Floats  # $ per PUT/COPY request into the class
    transition_request: Floats  # $ per lifecycle transition request into the class
    read_gb: Floats  # $ per GB read (instant) or restored at policy.restore_tier (archive)
    read_request: Floats  # $ per GET (instant) or restore request (archive)
    archive: Bools
    infrequent: Bools
    encode_per_s: dict[Codec, Floats]  # $ per media second, per slot height (0 for the original)
    encode_fixed: dict[Codec, float]  # per invocation / job

    @classmethod
    def build(cls, prices: Prices, policy: RoiPolicy) -> UnitPrices:
        check_policy(policy)
        tier = policy.restore_tier
        read_gb = [retrieval_cost(GB, c, prices, requests=0, tier=tier) for c in CLASSES]
        read_request = [retrieval_cost(0, c, prices, requests=1000, tier=tier) / 1000 for c in CLASSES]
        per_s: dict[Codec, Floats] = {}
        fixed: dict[Codec, float] = {}
        for codec, backend in ((Codec.AVC, policy.regenerate_backend), (Codec.HEVC, policy.reencode_backend)):
            if codec is Codec.HEVC:
                codec = policy.efficient_codec
            base = {h: transcode_cost(backend, 0.0, [h], codec, prices, policy.speeds) for h in RUNGS}
            slope = {
                h: (transcode_cost(backend, 60.0, [h], codec, prices, policy.speeds) - base[h]) / 60
                for h in RUNGS
            }
            per_s[codec] = np.asarray([slope.get(int(h), 0.0) for h in SLOT_HEIGHT])
            fixed[codec] = base[RUNGS[0]]
        return cls(
            prices=prices,
            policy=policy,
            rate=np.asarray([prices.storage_gb_month(c) for c in CLASSES]),
            min_days=np.asarray([prices.min_days(c) for c in CLASSES]),
            put=np.asarray([prices.put_per_1000(c) / 1000 for c in CLASSES]),
            transition_request=np.asarray([prices.transition_per_1000(c) / 1000 for c in CLASSES]),
            read_gb=np.asarray(read_gb),
            read_request=np.asarray(read_request),
            archive=np.asarray([not c.instant for c in CLASSES]),
            infrequent=np.asarray(
                [c in (StorageClass.STANDARD_IA, StorageClass.GLACIER_IR) for c in CLASSES]
            ),
            encode_per_s=per_s,
            encode_fixed=fixed,
        )

    # --- the cost model, vectorised (storage_costs' functions over arrays) ---------------------

    def billable(self, size: Floats, objects: Floats, klass: Ints) -> Floats:
        """`billable_gb_month`: $ per month for each object in its class."""
        p = self.prices
        per_object = size / objects
        rate = self.rate[klass]
        infrequent = objects * np.maximum(per_object, p.infrequent_min_billable_kb * KB) / GB * rate
        archive = objects * (
            (per_object + p.archive_overhead_archive_kb * KB) / GB * rate
            + p.archive_overhead_standard_kb * KB / GB * p.s3_standard_gb_month
        )
        plain = size / GB * rate
        return np.where(self.infrequent[klass], infrequent, np.where(self.archive[klass], archive, plain))

    def storage(self, size: Floats, objects: Floats, klass: Ints, days: float) -> Floats:
        """`storage_cost`: keeping `days` days, billed for at least the class's minimum."""
        billed = np.maximum(days, self.min_days[klass])
        return self.billable(size, objects, klass) * billed / self.prices.days_per_month

    def early_deletion(self, size: Floats, objects: Floats, klass: Ints, days_in: Floats) -> Floats:
        """`early_deletion_fee`: the rest of the class's minimum when leaving after `days_in` days."""
        remaining = np.maximum(0.0, self.min_days[klass] - days_in)
        return self.billable(size, objects, klass) * remaining / self.prices.days_per_month

    def retrieval(self, size: Floats, klass: Ints, requests: Floats, restored_days: float = 0.0) -> Floats:
        """`retrieval_cost` at the policy's restore tier (archive restores keep a temporary copy)."""
        temporary = np.where(
            self.archive[klass],
            self.prices.s3_standard_gb_month * restored_days / self.prices.days_per_month,
            0,
        )
        return size / GB * (self.read_gb[klass] + temporary) + requests * self.read_request[klass]

    def transition(
        self, size: Floats, objects: Floats, source: Ints, days_in: Floats, target: Ints
    ) -> Floats:
        """`transition_cost(...).total`: lifecycle into a colder class, a copy (and a read) warmer."""
        early = self.early_deletion(size, objects, source, days_in)
        colder = objects * self.transition_request[target]
        warmer = objects * self.put[target] + self.retrieval(size, source, objects)
        return np.where(source == target, 0.0, early + np.where(target > source, colder, warmer))

    def encode(self, codec: Codec, duration_s: Floats, heights_mask: Bools) -> Floats:
        """`transcode_cost` of one job encoding every slot in `heights_mask` (rows x SLOTS)."""
        per_s = (heights_mask * self.encode_per_s[codec][None, :]).sum(axis=1)
        return np.where(heights_mask.any(axis=1), duration_s * per_s + self.encode_fixed[codec], 0.0)


def plays_over(p7: Floats, p30: Floats, days: float) -> Floats:
    """`roi.plays_over`: linear within the 7- and 30-day predictions, flat beyond."""
    p30 = np.maximum(p30, p7)
    if days <= 7:
        return p7 * days / 7
    if days <= 30:
        return p7 + (p30 - p7) * (days - 7) / 23
    return p30 * days / 30


def shares(present: Bools, capable_share: float) -> Floats:
    """`roi.play_share` of every slot: equal per rendition name, the twin taking `capable_share`."""
    avc, eff = present[:, AVC], present[:, EFFICIENT]
    names = avc | eff
    count = names.sum(axis=1, keepdims=True)
    base = np.where(count > 0, 1.0 / np.maximum(count, 1), 0.0)
    out = np.zeros(present.shape)
    out[:, AVC] = np.where(avc, base * np.where(eff, 1 - capable_share, 1.0), 0.0)
    out[:, EFFICIENT] = np.where(eff, base * capable_share, 0.0)
    return out


@dataclass
class Facts:
    """What the night's decisions see for `rows` videos (arrays, the vectorised `VideoFacts`)."""

    size: Floats  # (rows, SLOTS) bytes
    objects: Floats  # (rows, SLOTS) S3 objects per slot
    present: Bools  # (rows, SLOTS)
    klass: Ints  # (rows, SLOTS) index into CLASSES
    days_in: Floats  # (rows, SLOTS) days since the object entered its class
    duration_s: Floats
    age_days: Floats
    p7: Floats
    p30: Floats
    last_played_ago: Floats  # nan: never played


@dataclass
class Decisions:
    drop: Bools  # (rows, SLOTS) reclaimed
    reencode: Bools  # (rows,)
    planned: Bools  # (rows, SLOTS) efficient slots the re-encode adds
    target: Ints  # (rows, SLOTS) class after the night, for every slot present after it
    after: Bools  # (rows, SLOTS) present after the night


def decide(facts: Facts, units: UnitPrices) -> Decisions:
    """`decide_video` for every row: reclaim, then re-encode, then the class of every object left."""
    drop = decide_reclamation(facts, units)
    kept = facts.present & ~drop
    reencode, planned = decide_reencode(facts, kept, units)
    after = kept | planned
    size = facts.size.copy()
    size[:, EFFICIENT] = np.where(
        planned[:, EFFICIENT], np.round(size[:, AVC] * units.policy.efficient_size_ratio), size[:, EFFICIENT]
    )
    klass = np.where(planned, STANDARD, facts.klass)
    days_in = np.where(planned, 0.0, facts.days_in)
    target = decide_storage_class(facts, size, after, klass, days_in, reencode, units)
    return Decisions(drop, reencode, planned, target, after)


def decide_reclamation(facts: Facts, units: UnitPrices) -> Bools:
    """`decide_reclamation`: drop renditions of silent videos costing more to keep than to regenerate."""
    policy, prices = units.policy, units.prices
    horizon = policy.storage_horizon_days
    last = facts.last_played_ago
    silent = (np.isnan(last) | (last >= policy.silent_after_days)) & (
        facts.age_days >= policy.silent_after_days
    )
    avc = facts.present[:, AVC]
    lowest = N_RUNGS - 1 - np.argmax(avc[:, ::-1], axis=1)  # RUNGS are tallest first
    protected = np.zeros(facts.present.shape, dtype=bool)
    rows = np.flatnonzero(avc.any(axis=1))
    protected[rows, 1 + lowest[rows]] = True
    gated = np.broadcast_to(silent[:, None], facts.present.shape).copy()
    gated[:, EFFICIENT] = True  # a twin is weighed silent or not
    candidate = facts.present & ~protected & gated
    candidate[:, ORIGINAL] = False
    keep = units.billable(facts.size, facts.objects, facts.klass) * horizon / prices.days_per_month
    early = units.early_deletion(facts.size, facts.objects, facts.klass, facts.days_in)
    plays = plays_over(facts.p7, facts.p30, horizon)[:, None] * shares(facts.present, policy.capable_share)
    p_play = 1 - np.exp(-plays)
    source = units.retrieval(
        facts.size[:, ORIGINAL], facts.klass[:, ORIGINAL], facts.objects[:, ORIGINAL], restored_days=1.0
    )
    regen = facts.duration_s[:, None] * units.encode_per_s[Codec.AVC][None, :] + units.encode_fixed[Codec.AVC]
    regenerate = regen + source[:, None] + policy.latency_penalty_usd
    expected = p_play * regenerate
    saved = facts.size * (1 / policy.efficient_size_ratio - 1) * policy.watched_fraction
    lost = plays * saved / GB * prices.egress_gb
    expected[:, EFFICIENT] = lost[:, EFFICIENT]
    return candidate & (early + expected < keep)


def decide_reencode(facts: Facts, kept: Bools, units: UnitPrices) -> tuple[Bools, Bools]:
    """`decide_reencode`: (re-encode?, the efficient slots it adds) per row."""
    policy, prices = units.policy, units.prices
    horizon = policy.horizon_days
    ratio = policy.efficient_size_ratio
    ladder = kept.copy()
    ladder[:, ORIGINAL] = False
    ladder[:, EFFICIENT] = False
    ladder &= SLOT_HEIGHT[None, :] >= policy.reencode_min_height
    names = kept[:, AVC] | kept[:, EFFICIENT]
    count = names.sum(axis=1)
    base = np.where(count > 0, 1.0 / np.maximum(count, 1), 0.0)
    saved_bytes = (
        (ladder * facts.size).sum(axis=1)
        * base
        * policy.capable_share
        * policy.watched_fraction
        * (1 - ratio)
    )
    saving = plays_over(facts.p7, facts.p30, horizon) * (saved_bytes / GB * prices.egress_gb)
    compute = units.encode(policy.efficient_codec, facts.duration_s, ladder)
    std = np.full(facts.size.shape, STANDARD)
    extra = (ladder * units.storage(facts.size * ratio, facts.objects, std, horizon)).sum(axis=1)
    puts = (ladder * facts.objects).sum(axis=1) * units.put[STANDARD]
    source = units.retrieval(
        facts.size[:, ORIGINAL], facts.klass[:, ORIGINAL], facts.objects[:, ORIGINAL], restored_days=1.0
    )
    has = kept[:, EFFICIENT].any(axis=1)
    required = (compute + extra + puts + source) * (1 + policy.reencode_margin)
    reencode = ~has & ladder.any(axis=1) & (saving > required)
    planned = np.zeros(kept.shape, dtype=bool)
    planned[:, EFFICIENT] = ladder[:, AVC] & reencode[:, None]
    return reencode, planned


def decide_storage_class(
    facts: Facts,
    size: Floats,
    present: Bools,
    klass: Ints,
    days_in: Floats,
    needed: Bools,
    units: UnitPrices,
) -> Ints:
    """`decide_storage_class` for every present slot: the cheapest allowed class over the horizon."""
    policy, prices = units.policy, units.prices
    horizon = policy.storage_horizon_days
    plays = plays_over(facts.p7, facts.p30, horizon)[:, None] * shares(present, policy.capable_share)
    reads = plays * policy.origin_fetch_share
    cold = facts.p30 < policy.archive_below_plays_30d
    young = (facts.age_days < policy.original_archive_after_days) & ~cold  # `roi._young`
    may_archive = np.zeros(size.shape, dtype=bool)
    may_archive[:, ORIGINAL] = ~young & ~needed
    pinned = np.zeros(size.shape, dtype=bool)
    pinned[:, ORIGINAL] = young  # a young original keeps its class
    objects = facts.objects
    costs = np.empty((len(CLASSES), *size.shape))
    for c in range(len(CLASSES)):
        target = np.full(size.shape, c)
        stay = units.billable(size, objects, klass) * horizon / prices.days_per_month
        move = units.storage(size, objects, target, horizon) + units.transition(
            size, objects, klass, days_in, target
        )
        cost = np.where(klass == c, stay, move)
        fetched = reads * policy.watched_fraction
        if units.archive[c]:
            restores = np.minimum(reads, max(1.0, horizon / policy.restore_keep_days))
            read = restores * units.retrieval(size, target, objects, restored_days=policy.restore_keep_days)
        else:
            read = units.retrieval(size * fetched, target, objects * fetched)
        cost += np.where(reads > 0, read, 0.0)
        one_read = units.retrieval(
            size[:, ORIGINAL], target[:, ORIGINAL], objects[:, ORIGINAL], restored_days=1.0
        )
        cost[:, ORIGINAL] += np.where(needed, one_read, 0.0)
        allowed = (klass == c) | ((~units.archive[c] | may_archive) & ~pinned)
        costs[c] = np.where(allowed, cost, np.inf)
    best = np.argmin(costs, axis=0)  # the first minimum: ties go to the warmer class, as in the domain
    stay_cost = np.take_along_axis(costs, klass[None], axis=0)[0]
    best_cost = np.take_along_axis(costs, best[None], axis=0)[0]
    move = (best != klass) & (stay_cost - best_cost > policy.min_saving_usd) & present
    return np.where(move, best, klass)


# --- the rule-based baseline -------------------------------------------------------------------


def top_decile(plays_last_7d: Floats) -> float:
    """`roi.top_decile_threshold` over an array."""
    if plays_last_7d.size == 0:
        return float("inf")
    ordered = np.sort(plays_last_7d)
    return float(ordered[-max(1, int(np.ceil(plays_last_7d.size / 10)))])


def rule_based_classes(
    yesterday: Floats,
    last_7d: Floats,
    last_played_ago: Floats,
    age: Floats,
    threshold: float,
    rules: RuleBasedTiers,
) -> Ints:
    """`rule_based_class` for every row: one class index per video."""
    played = ~np.isnan(last_played_ago)
    idle = np.where(played, last_played_ago, age)
    hot = (yesterday > rules.hot_daily_plays) | ((last_7d > 0) & (last_7d >= threshold))
    warm = played & (idle <= rules.warm_within_days)
    cold = idle > rules.cold_after_days
    index = CLASSES.index
    return np.select(
        [hot, warm, cold],
        [index(rules.hot_class), index(rules.warm_class), index(rules.cold_class)],
        default=index(rules.cool_class),
    ).astype(np.int64)


def heat_reencode(plays_today: Floats | Ints, has_twin: Bools, threshold: float) -> Bools:
    """The heat rule (a baseline without prediction): re-encode a video once it has passed
    `threshold` plays in one day, unless it already has its efficient twins."""
    return (plays_today >= threshold) & ~has_twin


# --- the bridge to the domain's objects (tests and the simulator's cross-check) --------------------


def domain_facts(facts: Facts, row: int, recent_daily_plays: tuple[float, ...] = ()) -> VideoFacts:
    """Row `row` of `facts` as the `VideoFacts` the tiering Lambda would build."""
    objects = []
    for slot in np.flatnonzero(facts.present[row]):
        height = int(SLOT_HEIGHT[slot])
        if slot == ORIGINAL:
            kind, name, codec = ObjectKind.ORIGINAL, "", Codec.AVC
        elif slot < EFFICIENT.start:
            kind, name, codec = ObjectKind.RENDITION, f"{height}p", Codec.AVC
        else:
            kind, name, codec = ObjectKind.EFFICIENT_RENDITION, f"{height}p", Codec.HEVC
        objects.append(
            StoredObject(
                key=f"s{slot}",
                kind=kind,
                size_bytes=int(facts.size[row, slot]),
                storage_class=CLASSES[int(facts.klass[row, slot])],
                class_since_days=float(facts.days_in[row, slot]),
                rendition=name,
                height=height,
                codec=codec,
                objects=int(facts.objects[row, slot]),
            )
        )
    last = float(facts.last_played_ago[row])
    return VideoFacts(
        video_id=f"v{row}",
        age_days=float(facts.age_days[row]),
        duration_s=float(facts.duration_s[row]),
        objects=tuple(objects),
        predicted_plays_7d=float(facts.p7[row]),
        predicted_plays_30d=float(facts.p30[row]),
        recent_daily_plays=recent_daily_plays,
        last_played_days_ago=None if np.isnan(last) else last,
    )


def agrees_with_domain(
    facts: Facts, decisions: Decisions, row: int, prices: Prices, policy: RoiPolicy
) -> bool:
    """Whether `decide_video` on row `row` drops, re-encodes and moves exactly as `decisions` says."""
    from reelstack.domain.storage.roi import Action, decide_video

    real = decide_video(domain_facts(facts, row), prices, policy)
    dropped = {d.key for d in real.reclaim if d.action is Action.DROP}
    mine = {f"s{slot}" for slot in np.flatnonzero(decisions.drop[row])}
    if dropped != mine or (real.reencode.action is Action.REENCODE) != bool(decisions.reencode[row]):
        return False
    for choice in real.storage:
        slot = int(choice.key[1:].split(".")[0]) + (N_RUNGS if "." in choice.key else 0)
        if CLASSES.index(choice.target) != int(decisions.target[row, slot]) or not decisions.after[row, slot]:
            return False
    return len(real.storage) == int(decisions.after[row].sum())
