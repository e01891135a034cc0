"""AI moderation below the workflow, on videos ffmpeg makes at test time: scene-aware keyframes, NudeNet
on the CPU, the policy's verdict (the demo's declared policy), and the Moderate stage against the local
cloud's media bucket. Needs ffmpeg/ffprobe on PATH and the `nudenet` package.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from reelstack.adapters.media.keyframes import KeyframeSampler
from reelstack.adapters.media.nudity_detector import NudeNetDetector
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.media import UnplayableMedia
from reelstack.domain.media.moderation import (
    DEFAULT_POLICY,
    EXPLICIT_LABELS,
    FrameScores,
    parse_moderation_policy,
    verdict,
)
from reelstack.errors import DependencyFailed
from reelstack.services.media.moderation import ModerationStage
from reelstack_tools.demo_media import (
    PHOTO,
    PHOTO_LABEL,
    SCENES,
    faces_held_policy,
    photo_clip,
    scene_ranges,
    scene_reference,
    three_scene_clip,
)

pytestmark = pytest.mark.integration

SIZE = (960, 540)  # larger than the 640 px still limit, so scaling shows
DEMO_POLICY = parse_moderation_policy(faces_held_policy())  # as the demo and the local cloud run it


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.fail("ffmpeg and ffprobe must be on PATH")
    d = tmp_path_factory.mktemp("moderation-media")
    photo, shown = photo_clip(d / "photo.mp4")
    return {
        "dir": d,
        "scenes": three_scene_clip(d / "scenes.mp4", size=f"{SIZE[0]}x{SIZE[1]}"),
        "references": {
            s: scene_reference(s, d / f"ref_{i}.png", f"{SIZE[0]}x{SIZE[1]}") for i, s in enumerate(SCENES)
        },
        "photo": photo,
        "photo_shown": shown,
    }


@pytest.fixture(scope="module")
def sampler() -> KeyframeSampler:
    return KeyframeSampler()


@pytest.fixture(scope="module")
def detector() -> NudeNetDetector:
    detector = NudeNetDetector()
    detector.warm_up()
    return detector


def thumbnail(path: str | Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, f"{path} is not a readable image"
    return cv2.resize(image, (32, 18), interpolation=cv2.INTER_AREA).astype(np.float32)


def nearest_scene(still: str, references: dict[str, Path]) -> str:
    pixels = thumbnail(still)
    return min(references, key=lambda scene: float(np.abs(pixels - thumbnail(references[scene])).mean()))


def score_stills(detector: NudeNetDetector, stills: list[tuple[float, str]]) -> list[FrameScores]:
    scores = detector.scores([path for _, path in stills])
    return [FrameScores(i, t, s) for i, ((t, _), s) in enumerate(zip(stills, scores, strict=True))]


# --- keyframes ----------------------------------------------------------------------------------------


def test_scene_cuts_are_found_at_the_joins(media: dict[str, Any], sampler: KeyframeSampler) -> None:
    # GIVEN testsrc | red | SMPTE bars, 2 s each
    # WHEN its scene cuts are looked for (at 5 fps, 160 px wide)
    cuts = sampler.scene_changes(str(media["scenes"]))
    # THEN the two joins are found, within one analysis frame
    joins = [end for _, end in list(scene_ranges().values())[:-1]]
    assert len(cuts) == len(joins)
    assert all(abs(cut - join) <= 1 / 5 + 1e-6 for cut, join in zip(cuts, joins, strict=True))


def test_keyframes_hit_every_scene_scaled_to_640(
    media: dict[str, Any], sampler: KeyframeSampler, tmp_path: Path
) -> None:
    # GIVEN the three-scene clip at 960x540
    # WHEN keyframes are taken with a budget of 6
    stills = sampler.keyframes(str(media["scenes"]), str(tmp_path / "stills"), max_frames=6)
    # THEN there are at most 6, JPEGs whose long side is 640
    assert 3 <= len(stills) <= 6
    for _, path in stills:
        image = cv2.imread(path)
        assert image is not None and max(image.shape[:2]) == 640
    # AND each still looks like the scene its time falls in, and every scene is seen
    ranges = scene_ranges()
    seen = set()
    for time_s, path in stills:
        scene = nearest_scene(path, media["references"])
        start, end = ranges[scene]
        assert start <= time_s < end, f"the still at {time_s} s looks like {scene} ({start}-{end} s)"
        seen.add(scene)
    assert seen == set(SCENES)


def test_a_file_that_is_not_video_is_refused_with_a_code(sampler: KeyframeSampler, tmp_path: Path) -> None:
    # GIVEN a text file named like a video
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video\n" * 50)
    # WHEN keyframes are asked for  THEN keyframes_unreadable
    with pytest.raises(UnplayableMedia) as caught:
        sampler.keyframes(str(fake), str(tmp_path / "stills"), max_frames=4)
    assert caught.value.code == "keyframes_unreadable"


def test_a_missing_ffmpeg_is_a_dependency_failure(media: dict[str, Any], tmp_path: Path) -> None:
    sampler = KeyframeSampler(ffmpeg=str(tmp_path / "no-ffmpeg"))
    with pytest.raises(DependencyFailed) as caught:
        sampler.scene_changes(str(media["scenes"]))
    assert caught.value.code == "ffmpeg_unavailable"


# --- the detector and the verdict ---------------------------------------------------------------------


def test_test_patterns_are_approved_under_the_default_policy(
    media: dict[str, Any], sampler: KeyframeSampler, detector: NudeNetDetector, tmp_path: Path
) -> None:
    # GIVEN keyframes of testsrc, a flat red frame and SMPTE bars
    stills = sampler.keyframes(str(media["scenes"]), str(tmp_path / "stills"), max_frames=12)
    # WHEN NudeNet scores them and the default policy judges
    frames = score_stills(detector, stills)
    result = verdict(frames, DEFAULT_POLICY)
    # THEN nothing explicit is seen and the video is approved
    assert result.decision == "approve", result.reasons
    assert not set(result.max_scores) & set(EXPLICIT_LABELS)


def test_the_photo_is_seen_as_a_person_but_not_as_explicit(detector: NudeNetDetector) -> None:
    # GIVEN the public-domain portrait the photo clip shows
    # WHEN NudeNet scores it
    [scores] = detector.scores([str(PHOTO)])
    print(f"\nNudeNet on {PHOTO.name}: {scores}")
    # THEN it finds the face label the tests rely on, and no explicit label
    assert scores.get(PHOTO_LABEL, 0.0) >= 0.5
    assert not set(scores) & set(EXPLICIT_LABELS)


def test_the_photo_clip_goes_to_review_under_the_demo_s_policy(
    media: dict[str, Any], sampler: KeyframeSampler, detector: NudeNetDetector, tmp_path: Path
) -> None:
    start, end = media["photo_shown"]
    # GIVEN the photo clip (a public-domain portrait between test patterns) and the policy the demo and
    # the local cloud declare: the default, and faces held for review at a fixed 0.5
    policy = DEMO_POLICY
    assert policy.review[PHOTO_LABEL] == 0.5
    # WHEN the clip's keyframes are scored and judged
    stills = sampler.keyframes(str(media["photo"]), str(tmp_path / "stills"), policy.max_frames)
    started = time.perf_counter()
    frames = score_stills(detector, stills)
    ms_per_frame = (time.perf_counter() - started) * 1000 / len(frames)
    print(f"\nNudeNet: {ms_per_frame:.1f} ms per frame over {len(frames)} stills on this CPU")
    result = verdict(frames, policy)
    # THEN it goes to review, flagged exactly on the stills taken while the photo shows
    assert result.decision == "review", result.reasons
    shown = {f.index for f in frames if start + 0.05 < f.time_s < end - 0.05}
    pattern = {f.index for f in frames if f.time_s < start or f.time_s >= end}
    flagged = {f.index for f in result.flagged}
    assert shown and flagged >= shown
    assert not flagged & pattern
    assert all(f.label == PHOTO_LABEL and f.level == "review" for f in result.flagged)
    assert result.reasons[0].startswith(f"{PHOTO_LABEL} scored")
    # AND the default policy, which does not review faces, approves the same frames
    assert verdict(frames, DEFAULT_POLICY).decision == "approve"


def test_unreadable_images_are_detector_failures(detector: NudeNetDetector, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    for path in (str(broken), str(tmp_path / "missing.jpg")):
        with pytest.raises(DependencyFailed) as caught:
            detector.scores([path])
        assert caught.value.code == "detector_failed"


# --- the Moderate stage over S3 -----------------------------------------------------------------------


@pytest.fixture
def s3_bucket(local_cloud: Any) -> tuple[Any, str]:
    """The local cloud's media bucket (template.yaml's MediaBucket) and an S3 client for it."""
    return local_cloud.client("s3"), str(local_cloud.name("MediaBucket"))


@pytest.fixture
def video_id() -> str:
    """A video id of the test's own: the media bucket is shared by the test session."""
    return f"moderation-{uuid.uuid4().hex[:12]}"


def test_the_stage_keeps_flagged_frames_for_the_reviewer_and_cleans_up(
    media: dict[str, Any],
    sampler: KeyframeSampler,
    detector: NudeNetDetector,
    s3_bucket: tuple[Any, str],
    video_id: str,
    tmp_path: Path,
) -> None:
    s3, bucket = s3_bucket
    # GIVEN the photo clip stored as an original, and the demo's policy (faces held for review at 0.5)
    s3.upload_file(str(media["photo"]), bucket, f"originals/{video_id}")
    policy = DEMO_POLICY
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    stage = ModerationStage(MediaStorage(bucket, s3), sampler, detector, policy, scratch_root=str(scratch))
    # WHEN the stage moderates it
    outcome = stage.moderate(video_id, f"originals/{video_id}")
    # THEN the verdict is review, JSON-able, with the model named and the frame cost measured
    assert json.loads(json.dumps(outcome)) == outcome
    assert outcome["decision"] == "review"
    assert outcome["model"].startswith("nudenet ")
    assert 1 <= outcome["frames_scored"] <= policy.max_frames
    assert outcome["ms_per_frame"] > 0
    assert outcome["max_scores"][PHOTO_LABEL] >= policy.review[PHOTO_LABEL]
    print(f"\nModerate stage: {outcome['frames_scored']} frames, {outcome['ms_per_frame']} ms per frame")
    # AND every flagged frame is in the bucket as a JPEG at moderation/{video}/frame_NNN.jpg
    assert outcome["flagged"]
    stored = {
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"moderation/{video_id}/")["Contents"]
    }
    assert stored == {f["key"] for f in outcome["flagged"]}
    for flag in outcome["flagged"]:
        assert flag["key"] == f"moderation/{video_id}/frame_{flag['index']:03d}.jpg"
        obj = s3.get_object(Bucket=bucket, Key=flag["key"])
        assert obj["ContentType"] == "image/jpeg"
        assert obj["Body"].read()[:2] == b"\xff\xd8"
    # AND its scratch directory is gone
    assert list(scratch.iterdir()) == []


def test_the_stage_cleans_up_when_the_original_is_not_a_video(
    sampler: KeyframeSampler,
    detector: NudeNetDetector,
    s3_bucket: tuple[Any, str],
    video_id: str,
    tmp_path: Path,
) -> None:
    s3, bucket = s3_bucket
    # GIVEN an original that is text
    s3.put_object(Bucket=bucket, Key=f"originals/{video_id}", Body=b"hello " * 100)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    stage = ModerationStage(
        MediaStorage(bucket, s3), sampler, detector, DEFAULT_POLICY, scratch_root=str(scratch)
    )
    # WHEN moderated  THEN a coded refusal, nothing kept for review, and no scratch left behind
    with pytest.raises(UnplayableMedia) as caught:
        stage.moderate(video_id, f"originals/{video_id}")
    assert caught.value.code == "keyframes_unreadable"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=f"moderation/{video_id}/")
    assert list(scratch.iterdir()) == []
