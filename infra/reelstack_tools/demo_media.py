"""Videos for the demo and the moderation tests, made by ffmpeg at run time.

- `three_scene_clip`: testsrc, a flat red frame, then SMPTE bars (`SCENE_SECONDS` each): no person.
- `photo_clip`: test patterns around a real photo of a person (`PHOTO`, NASA's portrait of astronaut
  Eileen Collins, public domain, as bundled with scikit-image; see assets/NOTICE.md).
  The photo has no explicit content: NudeNet finds a face (FACE_FEMALE), which the default policy
  ignores and a test policy can send to review.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

PHOTO = Path(__file__).resolve().parent / "assets" / "astronaut.jpg"
PHOTO_LABEL = "FACE_FEMALE"
SCENES = ("testsrc", "color=c=red", "smptebars")
SCENE_SECONDS = 2.0
RATE = 25
_FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"]
_ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", str(RATE)]
_AUDIO = ["-c:a", "aac", "-b:a", "64k", "-shortest"]


def _run(args: list[str]) -> None:
    result = subprocess.run([*_FFMPEG, *args], capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({result.returncode}): {result.stderr.strip()}")


def _pattern(source: str, size: str, seconds: float) -> list[str]:
    options = f"size={size}:rate={RATE}:duration={seconds:g}"
    return ["-f", "lavfi", "-i", f"{source}:{options}" if "=" in source else f"{source}={options}"]


def _tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds:g}"]


def scene_ranges(scene_seconds: float = SCENE_SECONDS) -> dict[str, tuple[float, float]]:
    """Each scene of `three_scene_clip` -> (start, end) in seconds."""
    return {scene: (i * scene_seconds, (i + 1) * scene_seconds) for i, scene in enumerate(SCENES)}


def scene_reference(scene: str, target: Path, size: str = "320x240") -> Path:
    """One still (PNG) of a scene's source, to compare extracted frames with."""
    _run([*_pattern(scene, size, 1), "-frames:v", "1", str(target)])
    return target


def three_scene_clip(target: Path, size: str = "320x240", scene_seconds: float = SCENE_SECONDS) -> Path:
    """testsrc | red | SMPTE bars, `scene_seconds` each, H.264 + AAC in MP4."""
    inputs = [arg for scene in SCENES for arg in _pattern(scene, size, scene_seconds)]
    total = scene_seconds * len(SCENES)
    graph = "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]"
    _run([*inputs, *_tone(total), "-filter_complex", graph, "-map", "[v]", "-map", "3:a", *_ENCODE, *_AUDIO, str(target)])  # fmt: skip
    return target


def photo_clip(
    target: Path,
    photo: Path = PHOTO,
    size: tuple[int, int] = (640, 360),
    pattern_seconds: float = 2.0,
    photo_seconds: float = 3.0,
) -> tuple[Path, tuple[float, float]]:
    """testsrc | the photo (letterboxed) | SMPTE bars; returns the clip and when the photo shows (s)."""
    width, height = size
    geometry = f"{width}x{height}"
    fit = (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={RATE},format=yuv420p"
    )
    graph = f"[1:v]{fit}[photo];[0:v][photo][2:v]concat=n=3:v=1:a=0[v]"
    total = 2 * pattern_seconds + photo_seconds
    _run([
        *_pattern("testsrc", geometry, pattern_seconds),
        "-loop", "1", "-framerate", str(RATE), "-t", f"{photo_seconds:g}", "-i", str(photo),
        *_pattern("smptebars", geometry, pattern_seconds),
        *_tone(total),
        "-filter_complex", graph, "-map", "[v]", "-map", "3:a", *_ENCODE, *_AUDIO, str(target),
    ])  # fmt: skip
    return target, (pattern_seconds, pattern_seconds + photo_seconds)


def faces_held_policy() -> str:
    """The demo's moderation policy: the default, and any face also held for a human (a platform that
    reviews every video showing a person, e.g. one for children). The default policy ignores faces."""
    from dataclasses import replace

    from reelstack.domain.media.moderation import DEFAULT_POLICY, format_moderation_policy

    faces = {"FACE_FEMALE": 0.5, "FACE_MALE": 0.5}
    return format_moderation_policy(replace(DEFAULT_POLICY, review={**DEFAULT_POLICY.review, **faces}))
