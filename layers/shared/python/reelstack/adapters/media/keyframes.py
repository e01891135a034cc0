"""Frames to moderate, taken from a local video with ffmpeg: scene cuts, then JPEG stills at chosen times.

Scene cuts come from one cheap decode pass: the picture is thinned to `analysis_fps` frames a second and
shrunk to `analysis_width` pixels before ffmpeg's scene score (`select='gt(scene,T)'`) compares frames,
and `metadata=print` writes each cut's time to stdout. The times to look at are the domain's
(`sample_times`); each still is one ffmpeg run that seeks the input (`-ss` before `-i`: jump to the key
frame before, then decode to the exact time) and scales the long side down to `max_long_side`.

Failures are coded: `UnplayableMedia` (`keyframes_unreadable`) when ffmpeg or ffprobe cannot read the
file, `DependencyFailed` (`keyframes_timeout`, `ffmpeg_unavailable`) when the tools time out or are missing.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path

from reelstack.domain.media.media import UnplayableMedia
from reelstack.domain.media.moderation import DEFAULT_MIN_GAP_S, sample_times
from reelstack.errors import DependencyFailed

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
SCENE_THRESHOLD = 0.3
ANALYSIS_FPS = 5.0
ANALYSIS_WIDTH = 160
MAX_LONG_SIDE = 640
JPEG_QUALITY = 3  # ffmpeg's mjpeg -q:v scale, 2 (best) .. 31
ANALYSIS_TIMEOUT_S = 120.0
FRAME_TIMEOUT_S = 30.0
# A still asked for past the last decodable frame comes back empty; it is asked again this much earlier.
END_RETRY_BACKOFF_S = 0.5

_PTS_TIME = re.compile(r"\bpts_time:(-?[0-9.]+(?:e-?[0-9]+)?)")

Keyframe = tuple[float, str]  # (time in seconds, path of the JPEG)


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no diagnostics"


class KeyframeSampler:
    """Scene-aware stills from a local video. Binary names, thresholds and time bounds are settable."""

    def __init__(
        self,
        ffmpeg: str = FFMPEG,
        ffprobe: str = FFPROBE,
        scene_threshold: float = SCENE_THRESHOLD,
        analysis_fps: float = ANALYSIS_FPS,
        analysis_width: int = ANALYSIS_WIDTH,
        max_long_side: int = MAX_LONG_SIDE,
        analysis_timeout_s: float = ANALYSIS_TIMEOUT_S,
        frame_timeout_s: float = FRAME_TIMEOUT_S,
    ) -> None:
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
        self.scene_threshold = scene_threshold
        self.analysis_fps = analysis_fps
        self.analysis_width = analysis_width
        self.max_long_side = max_long_side
        self.analysis_timeout_s = analysis_timeout_s
        self.frame_timeout_s = frame_timeout_s

    def _run(self, command: list[str], timeout_s: float, what: str) -> subprocess.CompletedProcess[bytes]:
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DependencyFailed(
                f"{what} took longer than {timeout_s:g} s", code="keyframes_timeout"
            ) from exc
        except OSError as exc:
            raise DependencyFailed(f"cannot run {command[0]}: {exc}", code="ffmpeg_unavailable") from exc
        if result.returncode != 0:
            raise UnplayableMedia(f"{what} failed: {_last_line(result.stderr)}", code="keyframes_unreadable")
        return result

    def duration(self, path: str) -> float:
        """The video's duration in seconds (container first, then the first video stream); 0 if unknown."""
        command = [
            self.ffprobe, "-v", "error", "-select_streams", "v:0",
            "-show_entries", "format=duration:stream=duration", "-of", "json", path,
        ]  # fmt: skip
        data = json.loads(self._run(command, self.frame_timeout_s, "ffprobe").stdout or b"{}")
        if not data.get("streams"):
            raise UnplayableMedia("the file has no video stream", code="keyframes_unreadable")
        for value in (data.get("format", {}).get("duration"), data["streams"][0].get("duration")):
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                continue
            if math.isfinite(seconds) and seconds > 0:
                return seconds
        return 0.0

    def scene_changes(self, path: str) -> list[float]:
        """Times (s, ascending) where the picture changes scene, at 1/analysis_fps resolution."""
        graph = (
            f"fps={self.analysis_fps:g},scale={self.analysis_width}:-2,"
            f"select='gt(scene,{self.scene_threshold:g})',metadata=print:file=-"
        )
        command = [
            self.ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error",
            "-i", path, "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", graph, "-f", "null", "-",
        ]  # fmt: skip
        stdout = self._run(command, self.analysis_timeout_s, "scene detection").stdout.decode(
            errors="replace"
        )
        return sorted({round(float(match), 3) for match in _PTS_TIME.findall(stdout)})

    def _still(self, path: str, time_s: float, target: Path) -> bool:
        side = self.max_long_side
        scale = f"scale='min({side},iw)':'min({side},ih)':force_original_aspect_ratio=decrease"
        command = [
            self.ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y",
            "-ss", f"{time_s:.3f}", "-i", path, "-map", "0:v:0", "-frames:v", "1",
            "-vf", scale, "-q:v", str(JPEG_QUALITY), str(target),
        ]  # fmt: skip
        self._run(command, self.frame_timeout_s, f"the still at {time_s:.3f} s")
        return target.is_file() and target.stat().st_size > 0

    def extract(self, path: str, times: list[float], out_dir: str) -> list[Keyframe]:
        """One JPEG per time (`frame_000.jpg`, ... in `out_dir`, created if missing); a time past the last
        frame is retried a bit earlier once, then left out. At least one still must come out."""
        os.makedirs(out_dir, exist_ok=True)
        frames: list[Keyframe] = []
        for time_s in times:
            target = Path(out_dir) / f"frame_{len(frames):03d}.jpg"
            attempts = [time_s, max(0.0, time_s - END_RETRY_BACKOFF_S)] if time_s > 0 else [time_s]
            for attempt in attempts:
                if any(abs(attempt - taken) < 1e-3 for taken, _ in frames):
                    break  # the earlier time is already a still
                if self._still(path, attempt, target):
                    frames.append((round(attempt, 3), str(target)))
                    break
        if not frames:
            raise UnplayableMedia("no frame could be extracted from the video", code="keyframes_unreadable")
        return frames

    def keyframes(
        self, path: str, out_dir: str, max_frames: int, min_gap_s: float = DEFAULT_MIN_GAP_S
    ) -> list[Keyframe]:
        """Scene cuts -> the domain's sample times -> JPEG stills in `out_dir` (created if missing)."""
        times = sample_times(self.duration(path), self.scene_changes(path), max_frames, min_gap_s)
        return self.extract(path, times, out_dir)
