"""The encoding numbers of one rendition: output frame rate, bitrates, H.264 level and codec tags.

Bitrates (H.264, kbps, 16:9 frames, <= 30 fps): 1080p 5000, 720p 2800, 480p 1400, 360p 800.
- Anchored on Apple's HLS Authoring Specification ladder (1080p 6000, 720p 3000, 540p 2000,
  432p 1100 kbps; 480p interpolates to ~1450), trimmed ~10-15 % at the top because short videos
  are watched on phones; 360p sits at YouTube's recommended 1 Mbps upload rate rather than Apple's
  cellular 365 kbps floor.
- Above 30 fps x1.5: YouTube's recommended upload bitrates use that factor (1080p 8 -> 12 Mbps,
  720p 5 -> 7.5 Mbps, 360p 1 -> 1.5 Mbps).
- Peak (maxrate) 1.5x and VBV buffer 2x the target: within Apple's "peak <= 200 % of average".
- Other frame sizes are priced by pixel count, not by short side alone: a size is mapped to the
  16:9 frame of equal area and the table is interpolated log-log between anchors (extrapolated
  with the nearest segment's slope). A portrait 1080x1920 costs what 1920x1080 costs; a square
  1080x1080 (56 % of the pixels) costs less.

H.264 levels come from ITU-T H.264 Table A-1 (High profile: MaxBR and MaxCPB x1.25); the lowest
level whose frame size, macroblock rate, bitrate and buffer limits all hold is chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from reelstack.errors import InvalidRequest

BITRATE_TABLE_KBPS: dict[int, int] = {360: 800, 480: 1400, 720: 2800, 1080: 5000}
HIGH_FRAME_RATE_ABOVE = 30.0
HIGH_FRAME_RATE_FACTOR = 1.5
MAX_BITRATE_FACTOR = 1.5
BUFFER_FACTOR = 2.0
MIN_VIDEO_BITRATE_KBPS = 100
AAC_LC_CODEC_TAG = "mp4a.40.2"
HIGH_PROFILE_IDC = 100  # avc1.64....
HIGH_PROFILE_RATE_FACTOR = 1.25  # cpbBrVclFactor 1250 / 1000 for High profile

# Rates a probed average snaps to (exactly, or within SNAP_TOLERANCE for variable-rate phone video).
_COMMON_RATES = tuple(
    rate
    for base in (24, 25, 30, 48, 50, 60, 90, 100, 120)
    for rate in (Fraction(base), Fraction(base * 1000, 1001))
)
SNAP_TOLERANCE = 0.02
DEFAULT_FRAME_RATE = Fraction(30)  # when the probe could not read one


def exact_frame_rate(fps: float) -> Fraction:
    """A probed rate (rounded, e.g. 59.94) as the exact rate it stands for (60000/1001).

    Integer and NTSC (N*1000/1001) rates are recognised to 0.01 fps; otherwise the nearest common
    rate within 2 % (a variable-rate phone clip averaging 29.83 fps becomes 29.97); otherwise the rate
    to a thousandth. An unknown rate (0, as the probe reports it) is taken as 30 fps.
    """
    if not math.isfinite(fps) or fps < 0:
        raise InvalidRequest(f"frame rate {fps!r} is not usable", code="invalid_source")
    if fps == 0:
        return DEFAULT_FRAME_RATE
    whole = round(fps)
    if whole and abs(fps - whole) <= 0.01:
        return Fraction(whole)
    ntsc = round(fps * 1.001)
    if ntsc and abs(fps - ntsc / 1.001) <= 0.01:
        return Fraction(ntsc * 1000, 1001)
    nearest = min(_COMMON_RATES, key=lambda rate: abs(float(rate) - fps))
    if abs(float(nearest) - fps) <= SNAP_TOLERANCE * fps:
        return nearest
    return Fraction(round(fps * 1000), 1000)


def capped_frame_rate(source: Fraction, cap: Fraction) -> Fraction:
    """The source rate, or above the cap the source divided by the smallest whole number that fits.

    Dividing keeps frames evenly dropped: 120 -> 60, 119.88 -> 59.94, 100 -> 50, 144 -> 48.
    """
    if source <= cap:
        return source
    return source / math.ceil(source / cap)


def frame_rate_text(rate: Fraction) -> str:
    """`60000/1001`, `30/1`: the form ffmpeg (`-r`) and MediaConvert (numerator/denominator) take."""
    return f"{rate.numerator}/{rate.denominator}"


def _table_rate(short_side: float) -> float:
    """The ladder table at a 16:9 short side, interpolated (and extrapolated) log-log."""
    segments = list(pairwise(sorted(BITRATE_TABLE_KBPS.items())))
    (low, low_rate), (high, high_rate) = next((s for s in segments if short_side <= s[1][0]), segments[-1])
    slope = math.log(high_rate / low_rate) / math.log(high / low)
    return low_rate * (short_side / low) ** slope


def video_bitrate_kbps(width: int, height: int, frame_rate: Fraction) -> int:
    """Target (average) video bitrate for a frame size and rate, to 10 kbps."""
    equivalent_short_side = math.sqrt(width * height * 9 / 16)
    rate = _table_rate(equivalent_short_side)
    if frame_rate > HIGH_FRAME_RATE_ABOVE:
        rate *= HIGH_FRAME_RATE_FACTOR
    return max(MIN_VIDEO_BITRATE_KBPS, round(rate / 10) * 10)


def max_bitrate_kbps(video_kbps: int) -> int:
    return round(video_kbps * MAX_BITRATE_FACTOR)


def buffer_kbps(video_kbps: int) -> int:
    return round(video_kbps * BUFFER_FACTOR)


@dataclass(frozen=True)
class H264Level:
    """One row of ITU-T H.264 Table A-1 (rates for Baseline/Main; High allows 1.25x bitrate and CPB)."""

    idc: int  # level_idc: 31 for level 3.1
    max_macroblocks_per_s: int
    max_frame_macroblocks: int
    max_bitrate_kbps: int
    max_cpb_kbits: int

    @property
    def name(self) -> str:
        return f"{self.idc // 10}.{self.idc % 10}"


H264_LEVELS: tuple[H264Level, ...] = tuple(
    H264Level(*row)
    for row in (
        (10, 1485, 99, 64, 175),
        (11, 3000, 396, 192, 500),
        (12, 6000, 396, 384, 1000),
        (13, 11880, 396, 768, 2000),
        (20, 11880, 396, 2000, 2000),
        (21, 19800, 792, 4000, 4000),
        (22, 20250, 1620, 4000, 4000),
        (30, 40500, 1620, 10000, 10000),
        (31, 108000, 3600, 14000, 14000),
        (32, 216000, 5120, 20000, 20000),
        (40, 245760, 8192, 20000, 25000),
        (41, 245760, 8192, 50000, 62500),
        (42, 522240, 8704, 50000, 62500),
        (50, 589824, 22080, 135000, 135000),
        (51, 983040, 36864, 240000, 240000),
        (52, 2073600, 36864, 240000, 240000),
        (60, 4177920, 139264, 240000, 240000),
        (61, 8355840, 139264, 480000, 480000),
        (62, 16711680, 139264, 800000, 800000),
    )
)


def h264_level(width: int, height: int, frame_rate: Fraction, peak_kbps: int, buffer: int) -> H264Level:
    """The lowest High-profile level that holds this frame size, frame rate, peak bitrate and buffer."""
    mbs_wide, mbs_high = math.ceil(width / 16), math.ceil(height / 16)
    frame_mbs = mbs_wide * mbs_high
    for level in H264_LEVELS:
        side_limit = math.isqrt(8 * level.max_frame_macroblocks)  # A.3.1: each side <= sqrt(8 * MaxFS)
        if (
            frame_mbs <= level.max_frame_macroblocks
            and max(mbs_wide, mbs_high) <= side_limit
            and frame_mbs * frame_rate <= level.max_macroblocks_per_s
            and peak_kbps <= level.max_bitrate_kbps * HIGH_PROFILE_RATE_FACTOR
            and buffer <= level.max_cpb_kbits * HIGH_PROFILE_RATE_FACTOR
        ):
            return level
    raise InvalidRequest(
        f"{width}x{height} at {float(frame_rate):.3f} fps exceeds every H.264 level", code="invalid_source"
    )


def avc_codec_tag(level: H264Level) -> str:
    """RFC 6381 `avc1.PPCCLL` for High profile (no constraint flags): level 4.0 -> `avc1.640028`."""
    return f"avc1.{HIGH_PROFILE_IDC:02x}00{level.idc:02x}"
