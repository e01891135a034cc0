"""The declared rendition spec ("what"), and its compact settings form.

    1080,720,480;codec=h264;segment=2;fps=60;poster=on;sprite=10x10;sprite_interval=2;
    sprite_width=160;audio=128;backend=auto

The ladder comes first (or as `ladder=`); every other key is optional and may appear once. An empty
string is the default spec. Errors are `InvalidRequest` with code `invalid_rendition_spec`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from reelstack.domain.media.backends import BACKEND_CHOICES
from reelstack.errors import InvalidRequest

SUPPORTED_CODECS = ("h264",)
_ON = dict.fromkeys(("on", "true", "yes", "1"), True) | dict.fromkeys(("off", "false", "no", "0"), False)


def _invalid(message: str, **details: Any) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_rendition_spec", **details)


@dataclass(frozen=True)
class SpriteSpec:
    """A thumbnail sprite: one sheet of at most columns x rows tiles.

    A thumb every `interval_s`, stretched to whole seconds for long videos so the sheet stays bounded.
    """

    interval_s: float = 2.0
    columns: int = 10
    rows: int = 10
    thumb_width: int = 160

    def __post_init__(self) -> None:
        if not (0.1 <= self.interval_s <= 60 and 1 <= self.columns <= 50 and 1 <= self.rows <= 50):
            raise _invalid("sprite interval must be 0.1..60 s and its grid 1..50 x 1..50 tiles")
        if not 16 <= self.thumb_width <= 640:
            raise _invalid("sprite thumb width must be 16..640 px")


@dataclass(frozen=True)
class RenditionSpec:
    """What renditions the platform produces; `plan_renditions` decides how, per source."""

    ladder: tuple[int, ...] = (1080, 720, 480)  # short-side heights, highest first
    codec: str = "h264"
    segment_seconds: float = 2.0  # HLS segment = GOP, keyframes aligned across renditions
    max_frame_rate: float = 60.0
    poster: bool = True
    sprite: SpriteSpec | None = field(default_factory=SpriteSpec)
    audio_bitrate_kbps: int = 128
    backend: str = "auto"  # "auto" | "lambda" | "mediaconvert" | "gpu"

    def __post_init__(self) -> None:
        if not self.ladder or any(isinstance(r, bool) or not 64 <= r <= 4320 for r in self.ladder):
            raise _invalid("the ladder needs at least one height in 64..4320", key="ladder")
        object.__setattr__(self, "ladder", tuple(sorted(set(self.ladder), reverse=True)))
        if self.codec not in SUPPORTED_CODECS:
            raise _invalid(f"codec {self.codec!r} is not supported (supported: h264)", key="codec")
        if not (math.isfinite(self.segment_seconds) and 1 <= self.segment_seconds <= 10):
            raise _invalid("segment length must be 1..10 s", key="segment")
        if not (math.isfinite(self.max_frame_rate) and 1 <= self.max_frame_rate <= 120):
            raise _invalid("the frame rate cap must be 1..120 fps", key="fps")
        if not 32 <= self.audio_bitrate_kbps <= 320:
            raise _invalid("audio bitrate must be 32..320 kbps", key="audio")
        if self.backend not in BACKEND_CHOICES:
            raise _invalid(f"backend must be one of {', '.join(BACKEND_CHOICES)}", key="backend")


def _number(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise _invalid(f"{key}={value!r} is not a number", key=key) from None
    if not math.isfinite(number):
        raise _invalid(f"{key}={value!r} is not a number", key=key)
    return number


def _whole(key: str, value: str) -> int:
    if not value.strip().isdigit():
        raise _invalid(f"{key}={value!r} is not a whole number", key=key)
    return int(value)


def _ladder(value: str) -> tuple[int, ...]:
    rungs = [rung.strip().removesuffix("p") for rung in value.split(",")]
    if not all(rung.isdigit() for rung in rungs):
        raise _invalid(f"ladder {value!r} must be heights like 1080,720,480", key="ladder")
    return tuple(int(rung) for rung in rungs)


def _sprite(value: str, sprite: SpriteSpec | None) -> SpriteSpec | None:
    lowered = value.lower()
    if lowered in _ON:
        return (sprite or SpriteSpec()) if _ON[lowered] else None
    columns, sep, rows = lowered.partition("x")
    if not sep:
        raise _invalid(f"sprite={value!r} must be on, off or a grid like 10x10", key="sprite")
    return replace(sprite or SpriteSpec(), columns=_whole("sprite", columns), rows=_whole("sprite", rows))


def parse_rendition_spec(text: str) -> RenditionSpec:
    """Read the compact settings form (see the module docstring); raise `invalid_rendition_spec`."""
    values: dict[str, str] = {}
    for index, item in enumerate(part.strip() for part in text.split(";")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep and index == 0:
            key, value = "ladder", item
        elif not sep:
            raise _invalid(f"{item!r} must be key=value", key=item)
        key, value = key.strip().lower(), value.strip()
        if key in values:
            raise _invalid(f"{key!r} is given twice", key=key)
        values[key] = value

    spec = RenditionSpec()
    sprite = spec.sprite
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "ladder":
            changes["ladder"] = _ladder(value)
        elif key == "codec":
            changes["codec"] = value.lower()
        elif key == "segment":
            changes["segment_seconds"] = _number(key, value)
        elif key == "fps":
            changes["max_frame_rate"] = _number(key, value)
        elif key == "poster":
            if value.lower() not in _ON:
                raise _invalid(f"poster={value!r} must be on or off", key=key)
            changes["poster"] = _ON[value.lower()]
        elif key == "audio":
            changes["audio_bitrate_kbps"] = _whole(key, value)
        elif key == "backend":
            changes["backend"] = value.lower()
        elif key not in ("sprite", "sprite_interval", "sprite_width"):
            raise _invalid(f"unknown key {key!r}", key=key)
    if "sprite" in values:
        sprite = _sprite(values["sprite"], sprite)
    if sprite is None and ({"sprite_interval", "sprite_width"} & values.keys()):
        raise _invalid("sprite_interval or sprite_width is given but the sprite is off", key="sprite")
    if sprite is not None and "sprite_interval" in values:
        sprite = replace(sprite, interval_s=_number("sprite_interval", values["sprite_interval"]))
    if sprite is not None and "sprite_width" in values:
        sprite = replace(sprite, thumb_width=_whole("sprite_width", values["sprite_width"]))
    return replace(spec, sprite=sprite, **changes)
