"""A probed original as far as rendition planning looks at it, and the ladder planned for it.

Shared by the unit tests of the plan, the ffmpeg and NVENC commands, the HLS playlists and the heat
workflow (`MediaInfo` has these fields and more).
"""

from __future__ import annotations

from dataclasses import dataclass

from reelstack.domain.media.renditions import LambdaBudget, Plan, RenditionSpec, plan_renditions


@dataclass(frozen=True)
class Source:
    display_width: int = 1920
    display_height: int = 1080
    frame_rate: float = 30.0
    has_audio: bool = True
    duration_s: float = 15.0
    size_bytes: int = 20_000_000


def ladder_plan(
    spec: RenditionSpec | None = None, budget: LambdaBudget | None = None, **source: object
) -> Plan:
    """The plan of video `vid1` for a `Source(**source)` (the default spec and Lambda budget)."""
    return plan_renditions(
        "vid1",
        Source(**source),  # type: ignore[arg-type]
        spec or RenditionSpec(),
        budget or LambdaBudget(),
    )
