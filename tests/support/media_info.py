"""Probed-source facts for planning tests, built the way the probe reports them (display size turned)."""

from __future__ import annotations

from reelstack.domain.media.media import MediaInfo


def media(
    width: int,
    height: int,
    fps: float,
    *,
    audio: bool = True,
    rotation: int = 0,
    duration_s: float = 30.0,
) -> MediaInfo:
    """An H.264 MP4 source of `width` x `height` coded pixels, turned by `rotation` for display."""
    quarter_turn = rotation in (90, 270)
    display_width, display_height = (height, width) if quarter_turn else (width, height)
    return MediaInfo(
        duration_s=duration_s,
        width=width,
        height=height,
        rotation=rotation,
        display_width=display_width,
        display_height=display_height,
        display_aspect=f"{display_width}:{display_height}",
        frame_rate=fps,
        variable_frame_rate=False,
        video_codec="h264",
        audio_codec="aac" if audio else None,
        has_audio=audio,
        size_bytes=40_000_000,
        bitrate=None,
        container="mov,mp4,m4a,3gp,3g2,mj2",
    )
