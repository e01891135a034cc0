"""AI moderation rules: the policy (per-label thresholds), its compact settings form, which frames to
look at, and the verdict over the scores an image model gave those frames.

The compact form (settings, template parameters):

    reject=FEMALE_GENITALIA_EXPOSED,MALE_GENITALIA_EXPOSED,FEMALE_BREAST_EXPOSED,ANUS_EXPOSED,
    BUTTOCKS_EXPOSED@0.6;review=<the same labels>@0.35;review=FEMALE_GENITALIA_COVERED,
    ANUS_COVERED@0.6;frames=12;gap=0.5

    policy := clause (";" clause)*            blanks around tokens are ignored
    clause := "reject=" rule | "review=" rule | "frames=" 1..60 | "gap=" seconds (0.04..60)
    rule   := LABEL ("," LABEL)* "@" score    score in (0, 1]; a kind may have several rules
            | "none"                          the kind flags nothing

A kind (reject, review) that the text names is replaced whole; one it leaves out keeps its default,
and so do `frames` and `gap`: the empty string is the default policy. A label is one of `LABELS`.
Errors are `InvalidRequest` with code `invalid_moderation_policy`.

Decisions: a frame scoring at or above a label's reject threshold rejects the video; otherwise one at
or above a review threshold sends it to a human reviewer; otherwise it is approved. Nothing scored
(no frame) is never an approval: it goes to review.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from reelstack.errors import InvalidRequest

Decision = Literal["approve", "review", "reject"]
Level = Literal["reject", "review"]

# The detector's vocabulary (NudeNet's 18 classes): a policy may only name these.
LABELS: tuple[str, ...] = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
EXPLICIT_LABELS: tuple[str, ...] = (
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "BUTTOCKS_EXPOSED",
)
SOFT_LABELS: tuple[str, ...] = ("FEMALE_GENITALIA_COVERED", "ANUS_COVERED")
DEFAULT_REJECT_THRESHOLD = 0.6
DEFAULT_REVIEW_THRESHOLD = 0.35
DEFAULT_SOFT_REVIEW_THRESHOLD = 0.6
DEFAULT_MAX_FRAMES = 12
MAX_FRAMES_LIMIT = 60
DEFAULT_MIN_GAP_S = 0.5
MIN_GAP_RANGE_S = (0.04, 60.0)
# A sample right after a scene cut waits this long (at most half the scene) for the picture to settle.
SCENE_SETTLE_S = 0.2
# The last sample stays this far (at most 5 % of the video) before the end, where a frame still exists.
END_MARGIN_S = 0.5

_KINDS: tuple[Level, ...] = ("reject", "review")


def _invalid(message: str, **details: Any) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_moderation_policy", **details)


def _frozen(thresholds: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(sorted(thresholds.items())))


def _default_reject() -> Mapping[str, float]:
    return _frozen(dict.fromkeys(EXPLICIT_LABELS, DEFAULT_REJECT_THRESHOLD))


def _default_review() -> Mapping[str, float]:
    soft = dict.fromkeys(SOFT_LABELS, DEFAULT_SOFT_REVIEW_THRESHOLD)
    return _frozen(dict.fromkeys(EXPLICIT_LABELS, DEFAULT_REVIEW_THRESHOLD) | soft)


@dataclass(frozen=True)
class ModerationPolicy:
    """Per-label thresholds (label -> minimum score) for rejecting and for review, and frame sampling."""

    reject: Mapping[str, float] = field(default_factory=_default_reject)
    review: Mapping[str, float] = field(default_factory=_default_review)
    max_frames: int = DEFAULT_MAX_FRAMES
    min_gap_s: float = DEFAULT_MIN_GAP_S

    def __post_init__(self) -> None:
        for kind in _KINDS:
            thresholds = getattr(self, kind)
            for label, score in thresholds.items():
                if label not in LABELS:
                    raise _invalid(f"unknown label {label!r} (labels: {', '.join(LABELS)})", label=label)
                if isinstance(score, bool) or not (isinstance(score, int | float) and 0 < score <= 1):
                    raise _invalid(
                        f"{kind} threshold of {label} must be in (0, 1], not {score!r}", label=label
                    )
            object.__setattr__(self, kind, _frozen({k: float(v) for k, v in thresholds.items()}))
        for label, score in self.review.items():
            if label in self.reject and score > self.reject[label]:
                raise _invalid(
                    f"review threshold of {label} ({score:g}) is above its reject threshold "
                    f"({self.reject[label]:g}): the review band would be empty",
                    label=label,
                )
        if not self.reject and not self.review:
            raise _invalid("the policy flags nothing: give at least one reject or review rule")
        if isinstance(self.max_frames, bool) or not 1 <= self.max_frames <= MAX_FRAMES_LIMIT:
            raise _invalid(f"frames must be 1..{MAX_FRAMES_LIMIT}, not {self.max_frames!r}")
        low, high = MIN_GAP_RANGE_S
        if not (math.isfinite(self.min_gap_s) and low <= self.min_gap_s <= high):
            raise _invalid(f"gap must be {low:g}..{high:g} s, not {self.min_gap_s!r}")


DEFAULT_POLICY = ModerationPolicy()


# -- the compact form ----------------------------------------------------------------------------------
def _score(text: str) -> float:
    try:
        score = float(text)
    except ValueError:
        raise _invalid(f"threshold {text!r} is not a number") from None
    if not (math.isfinite(score) and 0 < score <= 1):
        raise _invalid(f"threshold {text!r} must be in (0, 1]")
    return score


def _rule(kind: str, text: str) -> dict[str, float]:
    if text.lower() == "none":
        return {}
    labels_text, sep, score_text = text.rpartition("@")
    if not sep:
        raise _invalid(f"{kind}={text!r} must be LABEL,LABEL@score or none", key=kind)
    labels = [label.strip().upper() for label in labels_text.split(",")]
    if not all(labels):
        raise _invalid(f"{kind}={text!r} has an empty label", key=kind)
    if len(set(labels)) != len(labels):
        raise _invalid(f"{kind}={text!r} names a label twice", key=kind)
    score = _score(score_text.strip())
    return dict.fromkeys(labels, score)


def parse_moderation_policy(text: str) -> ModerationPolicy:
    """Read the compact settings form (see the module docstring); raise `invalid_moderation_policy`."""
    rules: dict[str, dict[str, float]] = {}
    emptied: set[str] = set()
    scalars: dict[str, str] = {}
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep:
            raise _invalid(f"{item!r} must be key=value", key=item)
        if key in _KINDS:
            rule = _rule(key, value)
            if key in emptied or (not rule and key in rules):
                raise _invalid(f"{key}=none cannot be mixed with other {key} rules", key=key)
            if not rule:
                emptied.add(key)
            thresholds = rules.setdefault(key, {})
            twice = thresholds.keys() & rule.keys()
            if twice:
                raise _invalid(f"{key} names {', '.join(sorted(twice))} twice", key=key)
            thresholds.update(rule)
        elif key in ("frames", "gap"):
            if key in scalars:
                raise _invalid(f"{key!r} is given twice", key=key)
            scalars[key] = value
        else:
            raise _invalid(f"unknown key {key!r} (keys: reject, review, frames, gap)", key=key)

    changes: dict[str, Any] = {kind: thresholds for kind, thresholds in rules.items()}
    if "frames" in scalars:
        if not scalars["frames"].isdigit():
            raise _invalid(f"frames={scalars['frames']!r} is not a whole number", key="frames")
        changes["max_frames"] = int(scalars["frames"])
    if "gap" in scalars:
        try:
            changes["min_gap_s"] = float(scalars["gap"])
        except ValueError:
            raise _invalid(f"gap={scalars['gap']!r} is not a number", key="gap") from None
    return replace(DEFAULT_POLICY, **changes)


def _rules_text(kind: str, thresholds: Mapping[str, float]) -> list[str]:
    if not thresholds:
        return [f"{kind}=none"]
    by_score: dict[float, list[str]] = {}
    for label, score in thresholds.items():
        by_score.setdefault(score, []).append(label)
    return [f"{kind}={','.join(labels)}@{score:g}" for score, labels in sorted(by_score.items())]


def format_moderation_policy(policy: ModerationPolicy) -> str:
    """The compact form of a policy; `parse_moderation_policy` reads it back to an equal policy."""
    parts = [*_rules_text("reject", policy.reject), *_rules_text("review", policy.review)]
    parts += [f"frames={policy.max_frames}", f"gap={policy.min_gap_s:g}"]
    return ";".join(parts)


DEFAULT_POLICY_TEXT = format_moderation_policy(DEFAULT_POLICY)


# -- which frames to look at ---------------------------------------------------------------------------
def _far_enough(time_s: float, chosen: Iterable[float], min_gap_s: float) -> bool:
    # A hair of tolerance so that a midpoint exactly min_gap_s away is not lost to float rounding.
    return all(abs(time_s - other) >= min_gap_s - 1e-9 for other in chosen)


def _scene_candidates(duration_s: float, cuts: Sequence[float]) -> list[float]:
    inside = sorted({cut for cut in cuts if math.isfinite(cut) and 0 < cut < duration_s})
    bounds = [*inside, duration_s]
    return [cut + min(SCENE_SETTLE_S, (bounds[i + 1] - cut) / 2) for i, cut in enumerate(inside)]


def sample_times(
    duration_s: float,
    scene_change_times: Sequence[float],
    max_frames: int,
    min_gap_s: float = DEFAULT_MIN_GAP_S,
) -> list[float]:
    """At most `max_frames` times (seconds, ascending, ms precision) to look at, no two closer than
    `min_gap_s`: the middle, start and end first (as far as the gap allows), then a settled moment of
    each scene (the farthest from what is already chosen first), then the middle of the widest gap
    left, until the budget or the gap runs out.
    """
    if isinstance(max_frames, bool) or max_frames < 1:
        raise _invalid(f"max_frames must be at least 1, not {max_frames!r}")
    if not (math.isfinite(min_gap_s) and min_gap_s > 0):
        raise _invalid(f"min_gap_s must be positive, not {min_gap_s!r}")
    if not (math.isfinite(duration_s) and duration_s > 0):
        return [0.0]
    end = duration_s - min(END_MARGIN_S, duration_s * 0.05)
    chosen: list[float] = []
    for anchor in (duration_s / 2, 0.0, end):
        if len(chosen) < max_frames and _far_enough(anchor, chosen, min_gap_s):
            chosen.append(anchor)

    candidates = _scene_candidates(duration_s, scene_change_times)
    while len(chosen) < max_frames and candidates:
        best = max(candidates, key=lambda t: (min(abs(t - c) for c in chosen), -t))
        candidates.remove(best)
        if _far_enough(best, chosen, min_gap_s):
            chosen.append(best)

    chosen.sort()
    while len(chosen) < max_frames and len(chosen) > 1:
        widest = max(range(len(chosen) - 1), key=lambda i: (chosen[i + 1] - chosen[i], -i))
        middle = (chosen[widest] + chosen[widest + 1]) / 2
        if not _far_enough(middle, chosen[widest : widest + 2], min_gap_s):
            break
        chosen.insert(widest + 1, middle)
    return [round(t, 3) for t in chosen]


# -- the verdict ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FrameScores:
    """What the model saw in one sampled frame: the highest score of each label it detected."""

    index: int
    time_s: float
    scores: Mapping[str, float]


@dataclass(frozen=True)
class Flag:
    """A frame that crossed a threshold: its most severe label (reject before review, then score)."""

    index: int
    time_s: float
    label: str
    score: float
    level: Level
    threshold: float


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reasons: tuple[str, ...]
    flagged: tuple[Flag, ...]
    max_scores: Mapping[str, float]


def _frame_flags(frame: FrameScores, policy: ModerationPolicy) -> list[Flag]:
    flags = []
    for label, score in frame.scores.items():
        for level in _KINDS:
            threshold = getattr(policy, level).get(label)
            if threshold is not None and score >= threshold:
                flags.append(Flag(frame.index, frame.time_s, label, score, level, threshold))
                break  # a reject-level label is not also counted for review
    return flags


def _severity(flag: Flag) -> tuple[int, float, str]:
    return (0 if flag.level == "reject" else 1, -flag.score, flag.label)


def _reason(level: Level, flags: list[Flag], frames: int) -> str:
    top = min(flags, key=_severity)
    first = min(flags, key=lambda f: f.time_s)
    return (
        f"{top.label} scored {top.score:.2f} (>= {level} threshold {top.threshold:g}) "
        f"in {len({f.index for f in flags})} of {frames} frames, first at {first.time_s:.2f} s"
    )


def verdict(frames: Sequence[FrameScores], policy: ModerationPolicy) -> Verdict:
    """Reject if any frame crosses a reject threshold, else review if any crosses a review threshold."""
    max_scores: dict[str, float] = {}
    for frame in frames:
        for label, score in frame.scores.items():
            max_scores[label] = max(score, max_scores.get(label, 0.0))
    max_view = _frozen(max_scores)
    if not frames:
        return Verdict("review", ("no frame could be scored: a person must look",), (), max_view)

    all_flags = [flag for frame in frames for flag in _frame_flags(frame, policy)]
    by_label: dict[tuple[Level, str], list[Flag]] = {}
    for flag in all_flags:
        by_label.setdefault((flag.level, flag.label), []).append(flag)
    groups = sorted(by_label.values(), key=lambda group: _severity(min(group, key=_severity)))
    reasons = tuple(_reason(group[0].level, group, len(frames)) for group in groups)

    worst_per_frame: dict[int, Flag] = {}
    for flag in all_flags:
        current = worst_per_frame.get(flag.index)
        if current is None or _severity(flag) < _severity(current):
            worst_per_frame[flag.index] = flag
    flagged = tuple(sorted(worst_per_frame.values(), key=lambda f: f.index))

    levels = {flag.level for flag in all_flags}
    decision: Decision = "reject" if "reject" in levels else "review" if levels else "approve"
    if decision == "approve":
        reasons = (f"no label reached a review or reject threshold in {len(frames)} frames",)
    return Verdict(decision, reasons, flagged, max_view)


@dataclass(frozen=True)
class CandidateStills:
    """Frames the transcode's single decode sets aside for moderation (so Moderate decodes nothing).

    One frame every `every_s`, and the first frame of each scene at least `scene_gap_s` after the
    last one kept: about `duration / every_s + duration / scene_gap_s` frames, bounded by the policy
    (at most ~5 x max_frames per video). Moderate then picks up to `max_frames` of them.
    """

    every_s: float
    scene_gap_s: float
    long_side: int = 640  # the detector works on 320-640 px
    scene_threshold: float = 0.3  # ffmpeg's scene score (0..1) that counts as a cut


def candidate_stills(duration_s: float, policy: ModerationPolicy) -> CandidateStills:
    frames = policy.max_frames
    return CandidateStills(
        every_s=round(max(policy.min_gap_s, duration_s / frames), 3),
        # A cut right after a regular pick still counts (one 5 fps frame later); long videos space them.
        scene_gap_s=round(max(0.15, duration_s / (4 * frames)), 3),
    )


def pick_stills(duration_s: float, candidate_times: list[float], policy: ModerationPolicy) -> list[int]:
    """Indexes (into `candidate_times`, sorted) of the stills to score: `sample_times` over the
    candidates (scene cuts preferred, the whole video covered), each mapped to its nearest candidate."""
    if not candidate_times:
        return []
    wanted = sample_times(duration_s, candidate_times, policy.max_frames, policy.min_gap_s)
    nearest = {
        min(range(len(candidate_times)), key=lambda i: abs(candidate_times[i] - time_s)) for time_s in wanted
    }
    return sorted(nearest)[: policy.max_frames]
