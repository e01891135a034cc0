"""Reading and resizing avatar images with ffprobe and ffmpeg (the media functions' own tools)."""

from __future__ import annotations

import subprocess

import ffmpeg

from reelstack.domain.engagement.avatars import AVATAR_SIDE, ImageFacts
from reelstack.errors import InvalidRequest

_TIMEOUT_S = 30


class AvatarImages:
    def __init__(self, ffmpeg_cmd: str = "ffmpeg", ffprobe_cmd: str = "ffprobe") -> None:
        self.ffmpeg = ffmpeg_cmd
        self.ffprobe = ffprobe_cmd

    def facts(self, path: str) -> ImageFacts | None:
        """The first video stream's codec and size and the frame count; None when ffprobe reads no
        image at all."""
        try:
            data = ffmpeg.probe(path, cmd=self.ffprobe, v="error", count_frames=None)
        except ffmpeg.Error:
            return None
        streams = [s for s in data.get("streams", []) if s.get("codec_type") == "video"]
        if not streams:
            return None
        stream = streams[0]
        frames = stream.get("nb_read_frames") or stream.get("nb_frames") or "1"
        return ImageFacts(
            codec=stream.get("codec_name"),
            width=int(stream.get("width") or 0),
            height=int(stream.get("height") or 0),
            frames=int(frames) if str(frames).isdigit() else 1,
        )

    def square_jpeg(self, source: str, target: str) -> None:
        """`AVATAR_SIDE` x `AVATAR_SIDE`, scaled to cover and centre-cropped, as a baseline JPEG."""
        side = AVATAR_SIDE
        command = [
            self.ffmpeg, "-v", "error", "-y", "-i", source, "-frames:v", "1",
            "-vf", f"scale={side}:{side}:force_original_aspect_ratio=increase,crop={side}:{side},format=yuvj420p",
            "-q:v", "3", target,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, timeout=_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise InvalidRequest(
                f"the image could not be resized: {done.stderr.decode(errors='replace')[-200:]}",
                code="not_an_image",
            )
