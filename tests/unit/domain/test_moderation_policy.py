"""The moderation policy: its compact form, the verdict at the threshold boundaries, and which frame
times are sampled (bounded, scene aware, covering start/middle/end, never too close)."""

from __future__ import annotations

import itertools
import random

import pytest

from reelstack.domain.media.moderation import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MIN_GAP_S,
    DEFAULT_POLICY,
    DEFAULT_POLICY_TEXT,
    EXPLICIT_LABELS,
    LABELS,
    SOFT_LABELS,
    FrameScores,
    ModerationPolicy,
    candidate_stills,
    format_moderation_policy,
    parse_moderation_policy,
    pick_stills,
    sample_times,
    verdict,
)
from reelstack.errors import InvalidRequest


def refusal(text: str) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse_moderation_policy(text)
    assert caught.value.code == "invalid_moderation_policy"
    return caught.value


# --- the compact form ---------------------------------------------------------------------------------


def test_the_empty_text_is_the_default_policy() -> None:
    # GIVEN no policy text (an unset setting)
    # WHEN parsed
    policy = parse_moderation_policy("")
    # THEN explicit labels reject at 0.6 and go to review from 0.35, softer labels go to review at 0.6
    assert policy == DEFAULT_POLICY == parse_moderation_policy(DEFAULT_POLICY_TEXT)
    assert dict(policy.reject) == dict.fromkeys(EXPLICIT_LABELS, 0.6)
    assert dict(policy.review) == dict.fromkeys(EXPLICIT_LABELS, 0.35) | dict.fromkeys(SOFT_LABELS, 0.6)
    assert (policy.max_frames, policy.min_gap_s) == (DEFAULT_MAX_FRAMES, DEFAULT_MIN_GAP_S)


def test_a_full_policy_is_read_with_blanks_lower_case_and_several_rules_per_kind() -> None:
    # GIVEN a policy written by hand, over several lines' worth of clauses
    text = (
        " reject = female_breast_exposed , ANUS_EXPOSED @ 0.7 ; "
        "review=FEMALE_BREAST_EXPOSED,ANUS_EXPOSED@0.4;review=BELLY_EXPOSED@0.9;frames=8;gap=1.5;"
    )
    # WHEN parsed
    policy = parse_moderation_policy(text)
    # THEN each rule gives its labels its threshold, and frames and gap are read
    assert dict(policy.reject) == {"ANUS_EXPOSED": 0.7, "FEMALE_BREAST_EXPOSED": 0.7}
    assert dict(policy.review) == {"ANUS_EXPOSED": 0.4, "BELLY_EXPOSED": 0.9, "FEMALE_BREAST_EXPOSED": 0.4}
    assert (policy.max_frames, policy.min_gap_s) == (8, 1.5)


def test_a_kind_left_out_keeps_its_default_and_none_empties_one() -> None:
    # GIVEN a policy that names only review (a test policy sending faces to review)
    policy = parse_moderation_policy("review=FACE_FEMALE@0.5")
    # THEN review is replaced whole and reject keeps its default
    assert dict(policy.review) == {"FACE_FEMALE": 0.5}
    assert policy.reject == DEFAULT_POLICY.reject
    # AND `none` empties a kind (a review-only policy)
    review_only = parse_moderation_policy("reject=none;review=ANUS_EXPOSED@0.3")
    assert dict(review_only.reject) == {}
    assert dict(review_only.review) == {"ANUS_EXPOSED": 0.3}


@pytest.mark.parametrize(
    "policy",
    [
        DEFAULT_POLICY,
        ModerationPolicy(
            reject={}, review={"FACE_MALE": 0.25, "FEET_EXPOSED": 0.999}, max_frames=1, min_gap_s=0.04
        ),
        ModerationPolicy(reject={"ANUS_EXPOSED": 1}, review={}, max_frames=60, min_gap_s=12.5),
    ],
)
def test_the_formatted_form_reads_back_to_the_same_policy(policy: ModerationPolicy) -> None:
    assert parse_moderation_policy(format_moderation_policy(policy)) == policy


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("reject=FACE_FEMAL@0.5", "unknown label 'FACE_FEMAL'"),
        ("reject=ANUS_EXPOSED", "must be LABEL,LABEL@score or none"),
        ("reject=ANUS_EXPOSED@high", "is not a number"),
        ("reject=ANUS_EXPOSED@0", "must be in (0, 1]"),
        ("reject=ANUS_EXPOSED@1.01", "must be in (0, 1]"),
        ("reject=ANUS_EXPOSED@nan", "must be in (0, 1]"),
        ("reject=ANUS_EXPOSED,,FACE_MALE@0.5", "empty label"),
        ("reject=ANUS_EXPOSED,ANUS_EXPOSED@0.5", "names a label twice"),
        ("review=ANUS_EXPOSED@0.3;review=ANUS_EXPOSED@0.4", "names ANUS_EXPOSED twice"),
        ("review=none;review=ANUS_EXPOSED@0.4", "cannot be mixed"),
        ("review=ANUS_EXPOSED@0.4;review=none", "cannot be mixed"),
        ("reject=none;review=none", "flags nothing"),
        ("reject=ANUS_EXPOSED@0.5;review=ANUS_EXPOSED@0.6", "above its reject threshold"),
        ("frames=0", "frames must be 1..60"),
        ("frames=61", "frames must be 1..60"),
        ("frames=ten", "not a whole number"),
        ("frames=4;frames=5", "given twice"),
        ("gap=0", "gap must be"),
        ("gap=soon", "not a number"),
        ("treshold=0.5", "unknown key 'treshold'"),
        ("ANUS_EXPOSED@0.5", "must be key=value"),
    ],
)
def test_malformed_policies_are_refused_with_a_code_and_a_reason(text: str, fragment: str) -> None:
    # GIVEN a policy text with one mistake  WHEN parsed  THEN invalid_moderation_policy says which
    assert fragment in refusal(text).message


def test_a_policy_built_in_code_is_checked_like_a_parsed_one() -> None:
    with pytest.raises(InvalidRequest) as caught:
        ModerationPolicy(review={"NOT_A_LABEL": 0.5})
    assert caught.value.code == "invalid_moderation_policy"
    with pytest.raises(InvalidRequest):
        ModerationPolicy(max_frames=True)  # a bool is not a frame count


# --- the verdict --------------------------------------------------------------------------------------

POLICY = parse_moderation_policy(
    "reject=FEMALE_BREAST_EXPOSED@0.6;review=FEMALE_BREAST_EXPOSED@0.35;review=BELLY_EXPOSED@0.8"
)


def frame(index: int, **scores: float) -> FrameScores:
    return FrameScores(index=index, time_s=index * 1.5, scores=scores)


@pytest.mark.parametrize(
    ("score", "decision"),
    [
        (0.0, "approve"),
        (0.3499, "approve"),
        (0.35, "review"),
        (0.5999, "review"),
        (0.6, "reject"),
        (1.0, "reject"),
    ],
)
def test_thresholds_are_inclusive_and_reject_wins_over_review(score: float, decision: str) -> None:
    # GIVEN one frame scoring FEMALE_BREAST_EXPOSED at `score` among clean frames
    frames = [frame(0), frame(1, FEMALE_BREAST_EXPOSED=score), frame(2, FACE_FEMALE=0.9)]
    # WHEN judged
    result = verdict(frames, POLICY)
    # THEN a score equal to a threshold crosses it
    assert result.decision == decision
    assert [f.index for f in result.flagged] == ([] if decision == "approve" else [1])


def test_labels_outside_the_policy_never_flag() -> None:
    # GIVEN a frame with a high score for a label no rule names
    result = verdict([frame(0, FACE_FEMALE=0.99, FEET_EXPOSED=0.95)], POLICY)
    # THEN the video is approved, and the scores are still reported
    assert result.decision == "approve"
    assert result.flagged == ()
    assert dict(result.max_scores) == {"FACE_FEMALE": 0.99, "FEET_EXPOSED": 0.95}
    assert "no label reached" in result.reasons[0]


def test_each_flagged_frame_names_its_most_severe_label_and_reasons_come_worst_first() -> None:
    # GIVEN frames crossing review (belly), review (breast) and reject (breast) thresholds
    frames = [
        frame(0, BELLY_EXPOSED=0.85),
        frame(1, BELLY_EXPOSED=0.9, FEMALE_BREAST_EXPOSED=0.4),
        frame(2, FEMALE_BREAST_EXPOSED=0.7, BELLY_EXPOSED=0.95),
        frame(3, FEMALE_BREAST_EXPOSED=0.65),
    ]
    # WHEN judged
    result = verdict(frames, POLICY)
    # THEN the video is rejected; a frame's reject-level label beats a higher review-level score
    assert result.decision == "reject"
    by_frame = {f.index: (f.label, f.level, f.score) for f in result.flagged}
    assert by_frame == {
        0: ("BELLY_EXPOSED", "review", 0.85),
        1: ("BELLY_EXPOSED", "review", 0.9),
        2: ("FEMALE_BREAST_EXPOSED", "reject", 0.7),
        3: ("FEMALE_BREAST_EXPOSED", "reject", 0.65),
    }
    # AND one reason per (level, label), the reject one first with its count, top score and first time
    assert len(result.reasons) == 3
    assert result.reasons[0] == (
        "FEMALE_BREAST_EXPOSED scored 0.70 (>= reject threshold 0.6) in 2 of 4 frames, first at 3.00 s"
    )
    assert result.reasons[1].startswith("BELLY_EXPOSED scored 0.95 (>= review threshold 0.8) in 3 of 4")
    assert result.reasons[2].startswith("FEMALE_BREAST_EXPOSED scored 0.40 (>= review threshold 0.35) in 1")
    assert result.max_scores["BELLY_EXPOSED"] == 0.95


def test_no_frame_at_all_is_never_an_approval() -> None:
    result = verdict([], DEFAULT_POLICY)
    assert result.decision == "review"
    assert "no frame" in result.reasons[0]


# --- sample times -------------------------------------------------------------------------------------


def assert_well_formed(times: list[float], duration: float, max_frames: int, gap: float) -> None:
    assert 1 <= len(times) <= max_frames
    assert times == sorted(times)
    assert all(0 <= t < duration for t in times)
    assert all(b - a >= gap - 0.002 for a, b in itertools.pairwise(times))  # ms rounding


def test_a_plain_clip_is_covered_at_start_middle_and_end_then_evenly() -> None:
    # GIVEN a 10 s clip without scene cuts and a budget of 5 frames
    times = sample_times(10.0, [], 5, min_gap_s=0.5)
    # THEN the start, the middle and just before the end are sampled, and the widest gaps are halved
    assert times == [0.0, 2.5, 5.0, 7.25, 9.5]


def test_each_scene_gets_a_settled_sample_before_the_gaps_are_filled() -> None:
    # GIVEN a 6 s clip cut at 2 s and 4 s, and a budget of 5 frames
    times = sample_times(6.0, [4.0, 2.0], 5, min_gap_s=0.5)
    # THEN each cut is sampled 0.2 s after it (the picture settled) on top of start/middle/end
    assert times == [0.0, 2.2, 3.0, 4.2, 5.7]


def test_a_tight_budget_prefers_the_scenes_farthest_from_what_is_sampled() -> None:
    # GIVEN a 60 s clip with cuts bunched at 1-3 s and one at 40 s, room for one scene sample
    times = sample_times(60.0, [1.0, 2.0, 3.0, 40.0], 4, min_gap_s=0.5)
    # THEN the lone cut at 40 s is chosen over the bunch near the start
    assert times == [0.0, 30.0, 40.2, 59.5]


def test_cuts_outside_the_clip_or_duplicated_are_ignored() -> None:
    assert sample_times(6.0, [-1.0, 0.0, 2.0, 2.0, 6.0, 9.0, float("nan")], 4) == sample_times(6.0, [2.0], 4)


def test_degenerate_durations_and_budgets() -> None:
    # GIVEN an unknown duration THEN the first frame only
    assert sample_times(0.0, [], 12) == [0.0]
    assert sample_times(float("nan"), [], 12) == [0.0]
    # GIVEN one frame of budget THEN the middle
    assert sample_times(10.0, [3.0], 1) == [5.0]
    # GIVEN a clip shorter than the gap THEN the middle only
    assert sample_times(0.3, [0.1], 12, min_gap_s=0.5) == [0.15]
    # GIVEN no budget or no gap THEN refused
    with pytest.raises(InvalidRequest):
        sample_times(10.0, [], 0)
    with pytest.raises(InvalidRequest):
        sample_times(10.0, [], 4, min_gap_s=0)


def test_random_inputs_keep_every_property() -> None:
    rng = random.Random(7)
    for _ in range(500):
        # GIVEN a random duration, random cuts (some outside the clip), a random budget and gap
        duration = rng.choice([rng.uniform(0.05, 3), rng.uniform(3, 600)])
        cuts = [rng.uniform(-1, duration + 1) for _ in range(rng.randrange(0, 40))]
        max_frames = rng.randrange(1, 40)
        gap = rng.choice([0.04, 0.25, 0.5, 2.0])
        # WHEN sampled
        times = sample_times(duration, cuts, max_frames, min_gap_s=gap)
        # THEN bounded, ordered, inside the clip and never closer than the gap
        assert_well_formed(times, duration, max_frames, gap)
        # AND with room for three, start, middle and end are there whenever the gap allows them
        if max_frames >= 3 and duration * 0.45 >= gap:  # end - middle >= 0.45 x duration
            end = duration - min(0.5, duration * 0.05)
            assert {0.0, round(duration / 2, 3), round(end, 3)} <= set(times)
        # AND the budget is used up unless the gap forbids one more sample
        if len(times) < max_frames:
            widest = max([b - a for a, b in itertools.pairwise(times)], default=0.0)
            assert widest < 2 * gap + 0.002


def test_every_label_in_a_policy_comes_from_the_detector_vocabulary() -> None:
    assert set(DEFAULT_POLICY.reject) | set(DEFAULT_POLICY.review) <= set(LABELS)
    assert len(set(LABELS)) == 18


def test_candidate_stills_are_bounded_by_the_policy_for_any_length() -> None:
    # GIVEN the default policy (12 frames, 0.5 s apart) and videos from 2 s to 10 min
    for duration in (2.0, 15.0, 60.0, 600.0):
        stills = candidate_stills(duration, DEFAULT_POLICY)
        # THEN at most ~5 x 12 candidates (or one per 5 fps frame in a short clip): one per `every_s`,
        # scene cuts at most one per `scene_gap_s`
        bound = duration / stills.every_s + duration / stills.scene_gap_s + 1
        assert bound <= max(5 * DEFAULT_POLICY.max_frames + 1, duration / 0.15 + 1), duration
        assert stills.every_s >= DEFAULT_POLICY.min_gap_s and stills.scene_gap_s >= 0.15


def test_stills_are_picked_among_the_candidates_covering_the_video() -> None:
    # GIVEN 30 candidates over a 15 s video (one every 0.5 s)
    candidates = [i * 0.5 for i in range(30)]
    picked = pick_stills(15.0, candidates, DEFAULT_POLICY)
    # THEN at most max_frames distinct candidates, sorted, from the start to the end of the video
    assert 1 < len(picked) <= DEFAULT_POLICY.max_frames
    assert picked == sorted(set(picked))
    assert candidates[picked[0]] <= 1.0 and candidates[picked[-1]] >= 13.5
    # AND no candidates means nothing to pick
    assert pick_stills(15.0, [], DEFAULT_POLICY) == []
