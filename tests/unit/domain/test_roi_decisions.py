"""ROI decisions at their boundaries: retrieval fees, minimum durations, tiny objects, break-even plays,
what reclamation must keep, idempotence, and the rule-based baseline.

Expected numbers are worked out by hand from the default prices (GB = 2**30 bytes, a month = 30 days).
Policies set `watched_fraction=1.0` so a play reads a whole rendition.
"""

from __future__ import annotations

import math

import pytest

from reelstack.domain.media.backends import Backend
from reelstack.domain.storage.pricing import Prices, StorageClass
from reelstack.domain.storage.roi import (
    Action,
    ObjectKind,
    RoiPolicy,
    StoredObject,
    Tier,
    VideoFacts,
    apply_decisions,
    decide_reclamation,
    decide_reencode,
    decide_storage_class,
    decide_video,
    rule_based_class,
    top_decile_threshold,
)
from reelstack.domain.storage.storage_costs import Codec

GB = 2**30
MiB = 2**20
KB = 1024
P = Prices()
# One 30-day horizon for every decision keeps the hand-worked numbers short; the default 90-day
# storage horizon has its own tests.
POLICY = RoiPolicy(watched_fraction=1.0, horizon_days=30.0, storage_horizon_days=30.0)


def rendition(
    name: str, height: int, size: int, cls: StorageClass = StorageClass.STANDARD, since: float = 60
):
    return StoredObject(f"v/{name}", ObjectKind.RENDITION, size, cls, since, rendition=name, height=height)


def original(size: int = GB, cls: StorageClass = StorageClass.STANDARD, since: float = 60) -> StoredObject:
    return StoredObject("v/original", ObjectKind.ORIGINAL, size, cls, since)


def video(*objects: StoredObject, plays_30d: float = 0.0, last_played: float | None = 1, age: float = 120):
    return VideoFacts(
        video_id="v",
        age_days=age,
        duration_s=60,
        objects=objects,
        predicted_plays_7d=plays_30d * 7 / 30,
        predicted_plays_30d=plays_30d,
        last_played_days_ago=last_played,
    )


# --- (a) storage class -------------------------------------------------------------------------


def test_ia_pays_for_one_play_a_month_and_its_retrieval_fee_loses_at_two() -> None:
    # GIVEN a 100 MiB rendition (the only one) in Standard, past any minimum
    obj = rendition("720p", 720, 100 * MiB)
    gb = 100 / 1024
    # WHEN it is predicted 1 play in 30 days
    one = decide_storage_class(video(obj, plays_30d=1), obj, P, POLICY)
    # THEN IA wins: 0.0125/GB + $0.01/1000 transition + one read at $0.01/GB + one GET
    #      beats 0.023/GB + one Standard GET
    ia = gb * 0.0125 + 0.01 / 1000 + gb * 0.01 + 0.001 / 1000
    standard = gb * 0.023 + 0.0004 / 1000
    assert (one.action, one.target) == (Action.MOVE, StorageClass.STANDARD_IA)
    assert one.numbers["cost_STANDARD_IA"] == pytest.approx(ia)
    assert one.numbers["cost_STANDARD"] == pytest.approx(standard)
    assert one.reason.startswith("move STANDARD -> STANDARD_IA")
    # WHEN it is predicted 2 plays: the second read's fee tips it back
    two = decide_storage_class(video(obj, plays_30d=2), obj, P, POLICY)
    assert (two.action, two.target) == (Action.KEEP, StorageClass.STANDARD)
    assert two.numbers["cost_STANDARD_IA"] == pytest.approx(
        gb * 0.0125 + 0.01 / 1000 + 2 * (gb * 0.01 + 0.001 / 1000)
    )
    assert two.reason.startswith("keep STANDARD: cheapest")


def test_a_video_played_often_stays_in_standard_because_of_retrieval_fees() -> None:
    obj = rendition("720p", 720, 100 * MiB)
    decision = decide_storage_class(video(obj, plays_30d=1000), obj, P, POLICY)
    assert decision.target is StorageClass.STANDARD
    # 1,000 full reads at $0.01/GB dwarf the $0.0105/GB-month storage saving
    assert decision.numbers["cost_STANDARD_IA"] > 1000 * 100 / 1024 * 0.01


def test_leaving_ia_for_glacier_ir_waits_until_ias_30_days_are_served() -> None:
    gb = 100 / 1024
    # GIVEN an unplayed 100 MiB rendition in IA since 29 days
    day29 = rendition("720p", 720, 100 * MiB, StorageClass.STANDARD_IA, since=29)
    decision = decide_storage_class(video(day29), day29, P, POLICY)
    # THEN moving costs GIR's 90-day commitment + $0.02/1000 + one day of IA: more than staying a month
    stay = gb * 0.0125
    move = gb * 0.004 * 3 + 0.02 / 1000 + gb * 0.0125 / 30
    assert decision.numbers["cost_STANDARD_IA"] == pytest.approx(stay)
    assert decision.numbers["cost_GLACIER_IR"] == pytest.approx(move)
    assert move > stay and decision.action is Action.KEEP
    assert "1 d left of STANDARD_IA's minimum" in decision.reason
    # WHEN it has been there 30 days, the early-deletion fee is gone and the move pays
    day30 = rendition("720p", 720, 100 * MiB, StorageClass.STANDARD_IA, since=30)
    decision = decide_storage_class(video(day30), day30, P, POLICY)
    assert (decision.action, decision.target) == (Action.MOVE, StorageClass.GLACIER_IR)
    assert decision.numbers["cost_GLACIER_IR"] == pytest.approx(gb * 0.004 * 3 + 0.02 / 1000)


def test_a_tiny_object_stays_in_standard_and_the_reason_says_why() -> None:
    # GIVEN an unplayed 100 KB object: IA would bill 128 KB plus a $0.00001 transition
    obj = rendition("144p", 144, 100 * KB)
    decision = decide_storage_class(video(obj), obj, P, POLICY)
    standard = 100 * KB / GB * 0.023
    ia = 128 * KB / GB * 0.0125 + 0.01 / 1000
    assert decision.numbers["cost_STANDARD"] == pytest.approx(standard)
    assert decision.numbers["cost_STANDARD_IA"] == pytest.approx(ia)
    assert decision.target is StorageClass.STANDARD
    assert "tiny: 100 KB per object is billed as 128 KB" in decision.reason


def test_the_original_of_a_cold_video_goes_to_deep_archive_despite_its_180_days() -> None:
    # GIVEN a 1 GiB original of a video predicted no plays
    obj = original()
    decision = decide_storage_class(video(obj, last_played=200, age=400), obj, P, POLICY)
    # THEN Deep Archive, billed 180 days (6 months) with its 40 KB overhead, beats a month of Standard
    deep = 6 * (0.00099 * (GB + 32 * KB) / GB + 0.023 * 8 * KB / GB) + 0.05 / 1000
    assert decision.numbers["cost_DEEP_ARCHIVE"] == pytest.approx(deep)
    assert decision.numbers["cost_STANDARD"] == pytest.approx(0.023)
    assert (decision.action, decision.target) == (Action.MOVE, StorageClass.DEEP_ARCHIVE)


def test_renditions_never_go_to_an_archive_class_unless_the_policy_allows_a_restore_delay() -> None:
    # GIVEN an unplayed 100 MiB rendition in Standard of a cold video
    obj = rendition("720p", 720, 100 * MiB)
    instant_only = decide_storage_class(video(obj, last_played=200, age=400), obj, P, POLICY)
    assert "cost_GLACIER" not in instant_only.numbers and "cost_DEEP_ARCHIVE" not in instant_only.numbers
    assert "archive classes not allowed" in instant_only.reason
    assert instant_only.target is StorageClass.GLACIER_IR
    # WHEN the policy lets renditions wait for a restore, 180 days of Deep Archive beat 90 of Glacier IR
    patient = RoiPolicy(
        watched_fraction=1.0,
        horizon_days=30.0,
        storage_horizon_days=30.0,
        renditions_may_wait_for_restore=True,
    )
    decision = decide_storage_class(video(obj, last_played=200, age=400), obj, P, patient)
    deep = 6 * (0.00099 * (100 * MiB + 32 * KB) / GB + 0.023 * 8 * KB / GB) + 0.05 / 1000
    assert decision.numbers["cost_DEEP_ARCHIVE"] == pytest.approx(deep)
    assert decision.target is StorageClass.DEEP_ARCHIVE


def test_an_original_in_deep_archive_for_100_days_stays_put_rather_than_pay_80_days_early() -> None:
    # GIVEN the original sits in Deep Archive since 100 days and the video revives
    obj = original(cls=StorageClass.DEEP_ARCHIVE, since=100)
    decision = decide_storage_class(video(obj, plays_30d=500), obj, P, POLICY)
    deep_month = 0.00099 * (GB + 32 * KB) / GB + 0.023 * 8 * KB / GB
    # THEN copying it to Standard costs a bulk restore, a PUT and 80 days of Deep Archive on top
    to_standard = 0.023 + 0.005 / 1000 + (0.0025 + 0.025 / 1000) + deep_month * 80 / 30
    assert decision.numbers["cost_STANDARD"] == pytest.approx(to_standard)
    assert decision.numbers["cost_DEEP_ARCHIVE"] == pytest.approx(deep_month)
    assert decision.action is Action.KEEP
    assert "80 d left of DEEP_ARCHIVE's minimum" in decision.reason


def test_an_original_a_reencode_will_read_pays_that_read_in_every_class() -> None:
    # GIVEN a 1 GiB original of a hot video whose re-encode is planned tonight
    obj = original()
    facts = video(obj, rendition("720p", 720, 60 * MiB), plays_30d=50_000)
    decision = decide_storage_class(facts, obj, P, POLICY, original_needed_soon=True)
    # THEN Glacier IR costs its 90 days, the transition and one $0.03/GB read: more than Standard
    assert decision.numbers["cost_GLACIER_IR"] == pytest.approx(0.012 + 0.02 / 1000 + 0.03 + 0.01 / 1000)
    assert decision.numbers["cost_STANDARD"] == pytest.approx(0.023 + 0.0004 / 1000)
    assert decision.target is not StorageClass.GLACIER_IR
    assert "cost_DEEP_ARCHIVE" not in decision.numbers


def test_the_90_day_storage_horizon_spreads_a_renditions_per_segment_transition_fees() -> None:
    # GIVEN an unplayed 8 MiB rendition made of 15 objects (playlist, init, 13 segments) in Standard
    obj = StoredObject(
        "v/720p", ObjectKind.RENDITION, 8 * MiB, StorageClass.STANDARD, 60, "720p", 720, objects=15
    )
    facts = video(obj)
    gb = 8 / 1024
    # WHEN weighed over 30 days THEN 15 transition requests ($0.00015) outweigh a month of IA's saving
    month = decide_storage_class(facts, obj, P, POLICY)
    assert month.numbers["cost_STANDARD_IA"] == pytest.approx(gb * 0.0125 + 15 * 0.01 / 1000)
    assert month.target is StorageClass.STANDARD
    # WHEN weighed over the default 90 days THEN three months of saving pay them (Glacier IR's too)
    default = RoiPolicy(watched_fraction=1.0)
    assert default.storage_horizon_days == 90
    quarter = decide_storage_class(facts, obj, P, default)
    assert quarter.numbers["cost_STANDARD_IA"] == pytest.approx(3 * gb * 0.0125 + 15 * 0.01 / 1000)
    assert quarter.numbers["cost_STANDARD"] == pytest.approx(3 * gb * 0.023)
    assert quarter.numbers["cost_GLACIER_IR"] == pytest.approx(3 * gb * 0.004 + 15 * 0.02 / 1000)
    assert quarter.numbers["cost_STANDARD_IA"] < quarter.numbers["cost_STANDARD"]
    assert (quarter.action, quarter.target) == (Action.MOVE, StorageClass.GLACIER_IR)
    assert "over 90 d" in quarter.reason


def test_a_young_original_stays_in_standard_then_goes_to_deep_archive_while_the_video_plays_on() -> None:
    # GIVEN the 1 GiB original of a 5-day-old video predicted 50 plays a month (not cold)
    default = RoiPolicy(watched_fraction=1.0)
    young = original(since=5)
    decision = decide_storage_class(video(young, plays_30d=50, age=5), young, P, default)
    # THEN it stays: a re-encode may read it soon, and Glacier IR would hold it 90 days
    assert (decision.action, decision.target) == (Action.KEEP, StorageClass.STANDARD)
    assert list(decision.numbers).count("cost_STANDARD") == 1 and "cost_GLACIER_IR" not in decision.numbers
    assert "young original: stays for the video's first 7 d" in decision.reason
    # WHEN the video is 7 days old, still played THEN plays never read the original: Deep Archive
    settled = original(since=7)
    decision = decide_storage_class(video(settled, plays_30d=50, age=7), settled, P, default)
    assert (decision.action, decision.target) == (Action.MOVE, StorageClass.DEEP_ARCHIVE)


# --- (b) high-heat re-encode -------------------------------------------------------------------


def reencode_case(plays_30d: float) -> VideoFacts:
    return video(original(200 * MiB), rendition("720p", 720, 60 * MiB), plays_30d=plays_30d)


def test_a_reencode_flips_at_the_break_even_predicted_plays() -> None:
    # GIVEN a 60 s video with one 60 MiB 720p rendition, HEVC 40% smaller, 60% capable players,
    #       MediaConvert (HEVC HD, Professional tier: $0.048 per minute)
    policy = RoiPolicy(
        watched_fraction=1.0,
        horizon_days=30.0,
        storage_horizon_days=30.0,
        reencode_backend=Backend.MEDIACONVERT,
    )
    saving_per_play = 60 * 0.6 * 0.4 / 1024 * 0.085  # capable plays x 40% of 60 MiB, in GB, x egress
    cost = 0.048 + 36 / 1024 * 0.023 + 0.005 / 1000 + 0.0004 / 1000  # encode + 36 MiB for 30 d + PUT + GET
    break_even = cost / saving_per_play  # ~40.8 plays
    assert 40 < break_even < 41
    # WHEN 40 plays are predicted: keep
    below = decide_reencode(reencode_case(40), P, policy)
    assert below.action is Action.KEEP
    assert below.numbers["cost"] == pytest.approx(cost)
    assert below.numbers["saving"] == pytest.approx(40 * saving_per_play)
    assert below.numbers["break_even_plays"] == pytest.approx(break_even)
    assert below.reason.startswith("keep: 40 plays")
    # WHEN 41: re-encode, planning a 36 MiB HEVC twin of the 720p rendition
    above = decide_reencode(reencode_case(41), P, policy)
    assert above.action is Action.REENCODE
    assert above.reason.startswith("re-encode to hevc")
    [twin] = above.planned
    assert (twin.kind, twin.codec, twin.rendition, twin.size_bytes) == (
        ObjectKind.EFFICIENT_RENDITION,
        Codec.HEVC,
        "720p",
        36 * MiB,
    )


def test_a_reencode_margin_moves_the_break_even_by_its_share() -> None:
    # GIVEN the break-even case above (~40.8 plays) and a margin of 0.25: the saving must beat 1.25 x cost
    base = dict(
        watched_fraction=1.0,
        horizon_days=30.0,
        storage_horizon_days=30.0,
        reencode_backend=Backend.MEDIACONVERT,
    )
    policy = RoiPolicy(**base, reencode_margin=0.25)  # type: ignore[arg-type]
    cost = decide_reencode(reencode_case(41), P, RoiPolicy(**base)).numbers["cost"]  # type: ignore[arg-type]
    # WHEN 50 plays are predicted (above the break-even, below 1.25 x it, ~51.0) THEN keep, saying why
    below = decide_reencode(reencode_case(50), P, policy)
    assert below.action is Action.KEEP
    assert below.numbers["required"] == pytest.approx(1.25 * cost)
    assert "x 1.25 margin" in below.reason
    # WHEN 52 plays THEN re-encode
    assert decide_reencode(reencode_case(52), P, policy).action is Action.REENCODE


def test_the_default_reencode_horizon_is_the_30_days_the_predictions_cover() -> None:
    # GIVEN the default policy WHEN a video predicted 300 plays in 30 days is weighed THEN over 30 days
    decision = decide_reencode(reencode_case(300), P, RoiPolicy(watched_fraction=1.0))
    assert decision.numbers["plays_horizon"] == pytest.approx(300)
    assert "over 30 d" in decision.reason


def test_a_video_that_already_has_the_efficient_codec_is_not_reencoded_again() -> None:
    twin = StoredObject(
        "v/720p.hevc",
        ObjectKind.EFFICIENT_RENDITION,
        36 * MiB,
        StorageClass.STANDARD,
        0,
        "720p",
        720,
        Codec.HEVC,
    )
    facts = video(original(200 * MiB), rendition("720p", 720, 60 * MiB), twin, plays_30d=10_000)
    decision = decide_reencode(facts, P, POLICY)
    assert decision.action is Action.KEEP and "already has 1 hevc" in decision.reason


# --- (c) reclamation ---------------------------------------------------------------------------


def silent_ladder(original_class: StorageClass = StorageClass.STANDARD, plays_30d: float = 0.0) -> VideoFacts:
    return video(
        original(cls=original_class, since=200),
        rendition("1080p", 1080, 100 * MiB),
        rendition("720p", 720, 50 * MiB),
        rendition("480p", 480, 20 * MiB),
        plays_30d=plays_30d,
        last_played=60,
        age=200,
    )


def test_reclamation_drops_silent_renditions_but_keeps_the_original_and_the_low_fallback() -> None:
    decisions = {d.key: d for d in decide_reclamation(silent_ladder(), P, POLICY)}
    assert decisions["v/original"].action is Action.KEEP
    assert "regeneration needs the original" in decisions["v/original"].reason
    assert decisions["v/480p"].action is Action.KEEP and "lowest" in decisions["v/480p"].reason
    assert decisions["v/1080p"].action is Action.DROP
    assert decisions["v/1080p"].numbers["storage_horizon"] == pytest.approx(100 / 1024 * 0.023)
    assert decisions["v/720p"].action is Action.DROP
    assert decisions["v/720p"].reason.startswith("drop: keeping costs")


def test_reclamation_never_drops_the_last_instant_rendition_while_the_original_is_archived() -> None:
    # GIVEN the original in Deep Archive and a policy that keeps no low rendition
    policy = RoiPolicy(
        watched_fraction=1.0, horizon_days=30.0, storage_horizon_days=30.0, keep_lowest_rendition=False
    )
    decisions = {d.key: d for d in decide_reclamation(silent_ladder(StorageClass.DEEP_ARCHIVE), P, policy)}
    # THEN the lowest instant rendition stays, saying why; the others go
    assert decisions["v/480p"].action is Action.KEEP
    assert "last instantly playable rendition" in decisions["v/480p"].reason
    assert [decisions[k].action for k in ("v/original", "v/1080p", "v/720p")] == [
        Action.KEEP,
        Action.DROP,
        Action.DROP,
    ]
    # AND with the original in Standard nothing needs protecting
    decisions = {d.key: d for d in decide_reclamation(silent_ladder(), P, policy)}
    assert decisions["v/480p"].action is Action.DROP


def test_a_rendition_is_dropped_only_while_its_expected_regeneration_costs_less_than_keeping_it() -> None:
    # GIVEN 3 renditions sharing plays equally; regenerating 1080p on MediaConvert costs $0.015 for 60 s,
    #       one GET of the original and the $0.001 latency penalty
    policy = RoiPolicy(
        watched_fraction=1.0, storage_horizon_days=30.0, regenerate_backend=Backend.MEDIACONVERT
    )
    keep = 100 / 1024 * 0.023
    regenerate = 0.015 + 0.0004 / 1000 + 0.001
    # drop while P(>= 1 play of 1080p) = 1 - exp(-plays/3) < keep / regenerate, i.e. plays < ~0.454
    threshold = -3 * math.log(1 - keep / regenerate)
    assert 0.45 < threshold < 0.46
    low = {d.key: d for d in decide_reclamation(silent_ladder(plays_30d=0.44), P, policy)}["v/1080p"]
    high = {d.key: d for d in decide_reclamation(silent_ladder(plays_30d=0.47), P, policy)}["v/1080p"]
    assert low.action is Action.DROP and high.action is Action.KEEP
    assert low.numbers["regeneration"] == pytest.approx(regenerate)
    assert low.numbers["p_play"] == pytest.approx(1 - math.exp(-0.44 / 3))


def test_reclamation_leaves_a_video_that_is_not_silent_alone() -> None:
    facts = video(
        original(), rendition("1080p", 1080, 100 * MiB), rendition("480p", 480, 20 * MiB), last_played=3
    )
    decisions = decide_reclamation(facts, P, POLICY)
    assert all(d.action is Action.KEEP for d in decisions)
    assert "not silent (played 3 d ago" in decisions[1].reason


def test_an_efficient_twin_of_a_played_video_goes_once_it_saves_less_egress_than_it_costs_to_keep() -> None:
    # GIVEN a video played yesterday (not silent) with a 100 MiB 1080p rendition and its 60 MiB HEVC twin
    twin = StoredObject(
        "v/1080p.hevc",
        ObjectKind.EFFICIENT_RENDITION,
        60 * MiB,
        StorageClass.STANDARD,
        60,
        "1080p",
        1080,
        Codec.HEVC,
    )
    policy = RoiPolicy(watched_fraction=1.0)  # 90-day storage horizon: predicted 30-day plays x 3

    def decide(plays_30d: float) -> dict[str, object]:
        facts = video(
            original(), rendition("1080p", 1080, 100 * MiB), twin, plays_30d=plays_30d, last_played=1
        )
        return {d.key: d for d in decide_reclamation(facts, P, policy)}

    keep = 3 * 60 / 1024 * 0.023  # the twin's 90 days in Standard
    # WHEN 0.5 plays a month are predicted: 1.5 plays x 60% capable x 40 MiB saved each, at $0.085/GB
    low = decide(0.5)
    assert low["v/1080p.hevc"].action is Action.DROP
    assert low["v/1080p.hevc"].numbers["expected"] == pytest.approx(0.9 * 40 / 1024 * 0.085)
    assert low["v/1080p.hevc"].numbers["storage_horizon"] == pytest.approx(keep)
    # AND the H.264 rendition stays (the instant fallback)
    assert low["v/1080p"].action is Action.KEEP
    # WHEN 1 play a month is predicted THEN the saving ($0.0060) beats keeping it ($0.0040)
    assert decide(1.0)["v/1080p.hevc"].action is Action.KEEP


def test_a_rendition_still_under_its_minimum_is_kept_until_dropping_it_pays() -> None:
    # GIVEN the 1080p rendition entered Glacier IR 10 days ago: dropping it owes 80 more days
    facts = video(
        original(since=200),
        rendition("1080p", 1080, 100 * MiB, StorageClass.GLACIER_IR, since=10),
        rendition("480p", 480, 20 * MiB),
        last_played=60,
        age=200,
    )
    decision = {d.key: d for d in decide_reclamation(facts, P, POLICY)}["v/1080p"]
    assert decision.numbers["early_deletion"] == pytest.approx(100 / 1024 * 0.004 * 80 / 30)
    assert decision.numbers["storage_horizon"] == pytest.approx(100 / 1024 * 0.004)
    assert decision.action is Action.KEEP


# --- the whole night -------------------------------------------------------------------------


CATALOG = [
    silent_ladder(),  # reclamation
    silent_ladder(StorageClass.DEEP_ARCHIVE),
    video(
        original(), rendition("1080p", 1080, 100 * MiB), rendition("720p", 720, 60 * MiB), plays_30d=50_000
    ),  # hot
    video(original(), rendition("720p", 720, 100 * MiB, StorageClass.STANDARD_IA, since=30), last_played=20),
    video(original(), rendition("720p", 720, 100 * MiB), plays_30d=1, last_played=2),
    video(original(), rendition("144p", 144, 100 * KB), last_played=2),
]


@pytest.mark.parametrize(
    "facts", CATALOG, ids=["silent", "silent-archived", "hot", "ia-30d", "one-play", "tiny"]
)
def test_a_second_night_with_the_same_inputs_keeps_everything_the_first_night_did(facts: VideoFacts) -> None:
    # GIVEN the first night's decisions, carried out
    first = decide_video(facts, P, POLICY)
    assert first.reencode.reason and all(d.reason for d in (*first.storage, *first.reclaim))
    # WHEN the second night sees the result with the same predictions
    second = decide_video(apply_decisions(facts, first), P, POLICY)
    # THEN every decision is "keep", each with its reason
    assert all(d.action is Action.KEEP for d in (*second.storage, *second.reclaim, second.reencode))
    assert all(d.reason.startswith("keep") for d in (*second.storage, *second.reclaim, second.reencode))


def test_the_first_night_does_something_in_the_catalog_so_idempotence_is_not_vacuous() -> None:
    actions = [decide_video(facts, P, POLICY) for facts in CATALOG]
    assert any(d.reencode.action is Action.REENCODE for d in actions)
    assert any(s.action is Action.MOVE for d in actions for s in d.storage)
    assert any(r.action is Action.DROP for d in actions for r in d.reclaim)


# --- the rule-based baseline -------------------------------------------------------------------


def rules_video(daily: tuple[float, ...], last_played: float | None, age: float = 400) -> VideoFacts:
    return VideoFacts("v", age, 60, (), 0, 0, recent_daily_plays=daily, last_played_days_ago=last_played)


def test_the_rule_based_tiers_follow_the_issue() -> None:
    quiet = top_decile_threshold([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert quiet == 10  # one video in ten is the top 10%
    assert rule_based_class(rules_video((1001,), 0), 1e9).tier is Tier.HOT
    assert rule_based_class(rules_video((1000,), 0), 1e9).tier is Tier.WARM  # 1,000 is not > 1,000
    top = rule_based_class(rules_video((2, 2, 2, 1, 1, 1, 1), 0), quiet)
    assert (top.tier, top.storage_class) == (Tier.HOT, StorageClass.STANDARD) and "top 10%" in top.reason
    warm = rule_based_class(rules_video((0,), 30), quiet)
    assert (warm.tier, warm.storage_class) == (Tier.WARM, StorageClass.STANDARD_IA)
    assert rule_based_class(rules_video((0,), 31), quiet).storage_class is StorageClass.GLACIER_IR
    assert rule_based_class(rules_video((0,), 90), quiet).tier is Tier.COOL
    cold = rule_based_class(rules_video((0,), 91), quiet)
    assert (cold.tier, cold.storage_class) == (Tier.COLD, StorageClass.GLACIER) and cold.reason.startswith(
        "cold"
    )
    # a video never played counts its age as inactivity
    assert rule_based_class(rules_video((), None, age=100), quiet).tier is Tier.COLD
