"""Tiling separate thumbnails into one sprite image with ffmpeg (MediaConvert captures stills, not sprites).

The stills are numbered files (`still.0000000.jpg`, ...), in order; each is scaled to the sprite's
thumbnail size (MediaConvert captures at least 32 px a side) and placed left to right, top to bottom,
as the sprite's WebVTT index (`reelstack.domain.media.hls.sprite_index`) expects. A last row with fewer
thumbnails than columns is padded with black.
"""

from __future__ import annotations

import os
import subprocess

from reelstack.adapters.media.transcoder import TranscodeFailed
from reelstack.domain.media.renditions import SpritePlan
from reelstack.errors import DependencyFailed

STILL_PATTERN = "still.%07d.jpg"
SPRITE_QUALITY = 5  # ffmpeg's -q:v for JPEG (2 best .. 31 worst), as the ffmpeg Lambda's sprite


def still_name(index: int) -> str:
    return STILL_PATTERN % index


def tile_command(sprite: SpritePlan, stills_dir: str, out_path: str, ffmpeg: str = "ffmpeg") -> list[str]:
    chain = f"scale={sprite.thumb_width}:{sprite.thumb_height},setsar=1,tile={sprite.columns}x{sprite.rows}"
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-framerate",
        "1",
        "-start_number",
        "0",
        "-i",
        os.path.join(stills_dir, STILL_PATTERN),
        "-frames:v",
        "1",
        "-vf",
        chain,
        "-q:v",
        str(SPRITE_QUALITY),
        "-update",
        "1",
        out_path,
    ]


class SpriteTiler:
    def __init__(self, ffmpeg: str = "ffmpeg", timeout_s: float = 60.0) -> None:
        self.ffmpeg = ffmpeg
        self.timeout_s = timeout_s

    def tile(self, sprite: SpritePlan, stills_dir: str, out_path: str) -> None:
        """Write `out_path` from `sprite.count` stills in `stills_dir` named by `still_name`."""
        command = tile_command(sprite, stills_dir, out_path, self.ffmpeg)
        try:
            result = subprocess.run(command, capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise TranscodeFailed(
                f"tiling the sprite took longer than {self.timeout_s:g} s", code="transcode_timeout"
            ) from exc
        except OSError as exc:
            raise DependencyFailed(f"cannot run {self.ffmpeg}: {exc}", code="transcoder_unavailable") from exc
        if result.returncode != 0 or not os.path.isfile(out_path):
            lines = result.stderr.decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else f"exit status {result.returncode}"
            raise TranscodeFailed(f"tiling the sprite failed: {reason.replace(stills_dir, 'stills')}")
