"""A rendition `Plan` as one MediaConvert CreateJob request (the MediaConvert backend's "how").

The request (botocore's `mediaconvert` service model is the authority for its shapes and enums):
- One input, rotated upright by MediaConvert (`Rotate: AUTO`; the plan's sizes are display sizes),
  with an audio selector only when the plan has audio. Timecodes start at zero, as accelerated
  transcoding requires (`AccelerationSettings: PREFERRED` falls back when a job is not eligible).
- A CMAF output group writing HLS only. Its destination is `<output prefix>master`, and MediaConvert
  names the HLS multivariant playlist `<destination base>.m3u8`, so it lands at `plan.master_playlist`.
  Segments are one GOP each: `SegmentLength` is whole seconds only, so it is floor(segment_seconds)
  with `GOP_MULTIPLE`, which rounds each segment up to the next GOP boundary (GOP = segment_seconds).
  `SegmentControl: SINGLE_FILE`: like the ffmpeg backends, each output is one file internally
  segmented by `SegmentLength`/`FragmentLength` and addressed by `#EXT-X-BYTERANGE` from its media
  playlist (two S3 objects per rendition instead of one per segment: S3 bills per object). The
  file is named by MediaConvert (destination base + name modifier + its CMAF extension, beside
  `master_<name>.m3u8`), not `<name>/media-<hash>.mp4` as the ffmpeg backends name it: nothing
  downstream reads it but through its playlist. The audio output is one such file too.
  These names come from the job and MediaConvert writes the objects itself, so they cannot be made
  content-addressed as the ffmpeg transcoder's are (renamed after their SHA-256 before upload). The
  destination is per video and constant (`renditions/<video id>/master`, `destination_for`), so a
  second job for the same video writes the same keys with different bytes: a CDN could then pair a
  cached media file with the new playlist's byte ranges. Today nothing re-runs MediaConvert on a
  published video (re-encodes of published videos, the HEVC twins, run on ffmpeg), and MediaConvert
  sets no Cache-Control, so the CDN's default TTL (a day) applies to its playlists and media alike;
  a future re-run on published video would need a per-job destination (e.g. a job-unique folder).
- One video-only output per rendition (H.264 QVBR: peak = `max_bitrate_kbps`, HRD buffer =
  `buffer_kbps`; closed GOPs of `segment_seconds`, no scene-change I-frames and `MinIInterval` 0 so
  keyframes align across renditions; exact size, square pixels, the plan's frame rate and level),
  and one audio-only AAC output the video outputs reference as their audio group.
- A FRAME_CAPTURE file group: the poster and the sprite's stills (JPEGs; MediaConvert does not tile).
  A capture is taken of the first frame and then one every den/num seconds, named
  `<destination base><name modifier>.NNNNNNN.jpg`; the poster at `time_s` is therefore the second
  capture at 1/time_s captures per second (`poster_capture_key`).

QVBR quality levels follow AWS's Video on Demand solution: 9 at 2160p, 8 at 720p..1080p, 7 below.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from reelstack.domain.media.renditions import AudioPlan, Plan, PosterPlan, Rendition, SpritePlan
from reelstack.errors import InvalidRequest

AUDIO_SELECTOR = "Audio Selector 1"
AUDIO_GROUP = "audio"
HLS_EXTENSION = ".m3u8"
STILLS_FOLDER = "stills/"
STILLS_BASE = "frame"  # stills/frame-poster.0000001.jpg, stills/frame-sprite.0000000.jpg
POSTER_MODIFIER = "-poster"
SPRITE_MODIFIER = "-sprite"
JPEG_QUALITY = 85
MIN_SIDE = 32  # MediaConvert's smallest output width and height
STATUS_UPDATE_INTERVAL = "SECONDS_60"
VIDEO_ID_METADATA_KEY = "video_id"
MAX_USER_METADATA = 10  # key-value pairs a job may carry (also the EventBridge filter's source)
MAX_CLIENT_REQUEST_TOKEN = 64

# MediaConvert's H264CodecLevel enum covers levels 1 to 5.2; level 1b has no value.
H264_LEVELS = {
    "1.0": "LEVEL_1",
    "1.1": "LEVEL_1_1",
    "1.2": "LEVEL_1_2",
    "1.3": "LEVEL_1_3",
    "2.0": "LEVEL_2",
    "2.1": "LEVEL_2_1",
    "2.2": "LEVEL_2_2",
    "3.0": "LEVEL_3",
    "3.1": "LEVEL_3_1",
    "3.2": "LEVEL_3_2",
    "4.0": "LEVEL_4",
    "4.1": "LEVEL_4_1",
    "4.2": "LEVEL_4_2",
    "5.0": "LEVEL_5",
    "5.1": "LEVEL_5_1",
    "5.2": "LEVEL_5_2",
}
H264_PROFILES = {"baseline": "BASELINE", "main": "MAIN", "high": "HIGH"}
AAC_CODING_MODES = {1: "CODING_MODE_1_0", 2: "CODING_MODE_2_0", 6: "CODING_MODE_5_1"}


def _unsupported(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="mediaconvert_unsupported")


def qvbr_quality_level(rendition: Rendition) -> int:
    """AWS's recommended QVBR level for the rendition's short side (9 for 4K, 8 for HD, 7 below)."""
    short = min(rendition.width, rendition.height)
    return 9 if short >= 2160 else 8 if short >= 720 else 7


def _fraction(text: str) -> Fraction:
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise InvalidRequest(f"frame rate {text!r} is not a fraction", code="invalid_plan") from None
    if rate <= 0:
        raise InvalidRequest(f"frame rate {text!r} is not positive", code="invalid_plan")
    return rate


def _per_second(interval_s: float) -> Fraction:
    """Captures per second for one capture every `interval_s` (to the millisecond)."""
    return 1 / Fraction(round(interval_s * 1000), 1000)


def h264_settings(rendition: Rendition, segment_seconds: float) -> dict[str, Any]:
    level = H264_LEVELS.get(rendition.level)
    profile = H264_PROFILES.get(rendition.profile)
    if level is None or profile is None:
        raise _unsupported(
            f"MediaConvert cannot encode H.264 {rendition.profile} level {rendition.level} "
            f"({rendition.name}: {rendition.width}x{rendition.height} at {rendition.frame_rate} fps)"
        )
    rate = _fraction(rendition.frame_rate_fraction)
    return {
        "RateControlMode": "QVBR",
        "QvbrSettings": {"QvbrQualityLevel": qvbr_quality_level(rendition)},
        "MaxBitrate": rendition.max_bitrate_kbps * 1000,
        "HrdBufferSize": rendition.buffer_kbps * 1000,
        "CodecProfile": profile,
        "CodecLevel": level,
        "GopSize": float(segment_seconds),
        "GopSizeUnits": "SECONDS",
        "GopClosedCadence": 1,  # every GOP closed: each segment decodes on its own
        "MinIInterval": 0,  # never move a cadence keyframe
        "SceneChangeDetect": "DISABLED",  # no extra keyframes: aligned across renditions
        "FramerateControl": "SPECIFIED",
        "FramerateNumerator": rate.numerator,
        "FramerateDenominator": rate.denominator,
        "FramerateConversionAlgorithm": "DUPLICATE_DROP",
        "ParControl": "SPECIFIED",
        "ParNumerator": 1,
        "ParDenominator": 1,
        "InterlaceMode": "PROGRESSIVE",
        "QualityTuningLevel": "SINGLE_PASS_HQ",
        "EntropyEncoding": "CABAC",
    }


def _check_size(name: str, width: int, height: int) -> None:
    if min(width, height) < MIN_SIDE:
        raise _unsupported(
            f"MediaConvert cannot make a {width}x{height} {name} (at least {MIN_SIDE} px a side)"
        )


def video_output(rendition: Rendition, segment_seconds: float, with_audio: bool) -> dict[str, Any]:
    _check_size(rendition.name, rendition.width, rendition.height)
    cmfc: dict[str, Any] = {"AudioRenditionSets": AUDIO_GROUP} if with_audio else {}
    return {
        "NameModifier": f"_{rendition.name}",
        "ContainerSettings": {"Container": "CMFC", "CmfcSettings": cmfc},
        "VideoDescription": {
            "Width": rendition.width,
            "Height": rendition.height,
            "ScalingBehavior": "STRETCH_TO_OUTPUT",  # the plan's size keeps the aspect (to even pixels)
            "AfdSignaling": "NONE",
            "TimecodeInsertion": "DISABLED",
            "CodecSettings": {"Codec": "H_264", "H264Settings": h264_settings(rendition, segment_seconds)},
        },
    }


def audio_output(audio: AudioPlan) -> dict[str, Any]:
    mode = AAC_CODING_MODES.get(audio.channels)
    if audio.codec != "aac" or mode is None:
        raise _unsupported(
            f"MediaConvert audio plan {audio.codec} x{audio.channels} channels is not supported"
        )
    return {
        "NameModifier": f"_{audio.name}",
        "ContainerSettings": {
            "Container": "CMFC",
            "CmfcSettings": {
                "AudioGroupId": AUDIO_GROUP,
                "AudioTrackType": "ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT",
            },
        },
        "AudioDescriptions": [
            {
                "AudioSourceName": AUDIO_SELECTOR,
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {
                        "CodecProfile": "LC",
                        "CodingMode": mode,
                        "RateControlMode": "CBR",
                        "Bitrate": audio.bitrate_kbps * 1000,
                        "SampleRate": audio.sample_rate_hz,
                        "Specification": "MPEG4",
                    },
                },
            }
        ],
    }


def master_destination(plan: Plan, destination_uri: str) -> str:
    """The CMAF group's destination: MediaConvert appends `.m3u8` to it for the master playlist."""
    if not plan.master_playlist.endswith(HLS_EXTENSION) or "/" in plan.master_playlist:
        raise _unsupported(f"the master playlist {plan.master_playlist!r} must be a .m3u8 name")
    return destination_uri + plan.master_playlist.removesuffix(HLS_EXTENSION)


def cmaf_group(plan: Plan, destination_uri: str) -> dict[str, Any]:
    segment = max(1, math.floor(plan.segment_seconds))
    outputs = [video_output(r, plan.segment_seconds, plan.audio is not None) for r in plan.renditions]
    if plan.audio is not None:
        outputs.append(audio_output(plan.audio))
    return {
        "Name": "HLS",
        "OutputGroupSettings": {
            "Type": "CMAF_GROUP_SETTINGS",
            "CmafGroupSettings": {
                "Destination": master_destination(plan, destination_uri),
                "SegmentLength": segment,
                "SegmentLengthControl": "GOP_MULTIPLE",
                "FragmentLength": segment,
                "SegmentControl": "SINGLE_FILE",
                "ManifestDurationFormat": "FLOATING_POINT",
                "TargetDurationCompatibilityMode": "SPEC_COMPLIANT",
                "StreamInfResolution": "INCLUDE",
                "CodecSpecification": "RFC_6381",
                "ClientCache": "ENABLED",
                "WriteHlsManifest": "ENABLED",
                "WriteDashManifest": "DISABLED",
            },
        },
        "Outputs": outputs,
    }


def capture_size(width: int, height: int) -> tuple[int, int]:
    """A still's size: the planned one, scaled up (aspect kept, even) to MediaConvert's 32 px minimum."""
    short = min(width, height)
    if short >= MIN_SIDE:
        return width, height
    scale = MIN_SIDE / short

    def grown(side: int) -> int:
        return max(MIN_SIDE, 2 * math.ceil(side * scale / 2))

    return grown(width), grown(height)


def _capture_output(
    modifier: str, width: int, height: int, per_second: Fraction, count: int
) -> dict[str, Any]:
    width, height = capture_size(width, height)
    return {
        "NameModifier": modifier,
        "Extension": "jpg",
        "ContainerSettings": {"Container": "RAW"},
        "VideoDescription": {
            "Width": width,
            "Height": height,
            "ScalingBehavior": "STRETCH_TO_OUTPUT",
            "CodecSettings": {
                "Codec": "FRAME_CAPTURE",
                "FrameCaptureSettings": {
                    "FramerateNumerator": per_second.numerator,
                    "FramerateDenominator": per_second.denominator,
                    "MaxCaptures": count,
                    "Quality": JPEG_QUALITY,
                },
            },
        },
    }


def _poster_output(poster: PosterPlan) -> dict[str, Any]:
    if poster.time_s <= 0:
        return _capture_output(POSTER_MODIFIER, poster.width, poster.height, Fraction(1), 1)
    return _capture_output(POSTER_MODIFIER, poster.width, poster.height, _per_second(poster.time_s), 2)


def _sprite_output(sprite: SpritePlan) -> dict[str, Any]:
    return _capture_output(
        SPRITE_MODIFIER, sprite.thumb_width, sprite.thumb_height, _per_second(sprite.interval_s), sprite.count
    )


def frame_capture_group(plan: Plan, destination_uri: str) -> dict[str, Any] | None:
    outputs = []
    if plan.poster is not None:
        outputs.append(_poster_output(plan.poster))
    if plan.sprite is not None:
        outputs.append(_sprite_output(plan.sprite))
    if not outputs:
        return None
    return {
        "Name": "Stills",
        "OutputGroupSettings": {
            "Type": "FILE_GROUP_SETTINGS",
            "FileGroupSettings": {"Destination": f"{destination_uri}{STILLS_FOLDER}{STILLS_BASE}"},
        },
        "Outputs": outputs,
    }


def _still_key(plan: Plan, modifier: str, index: int) -> str:
    return f"{plan.output_prefix}{STILLS_FOLDER}{STILLS_BASE}{modifier}.{index:07d}.jpg"


def poster_capture_key(plan: Plan) -> str | None:
    """Where MediaConvert writes the poster still (to be copied to `poster.key` when the job completes)."""
    if plan.poster is None:
        return None
    return _still_key(plan, POSTER_MODIFIER, 1 if plan.poster.time_s > 0 else 0)


def sprite_capture_keys(plan: Plan) -> list[str]:
    """The sprite's stills in order (to be tiled into `sprite.key` when the job completes)."""
    if plan.sprite is None:
        return []
    return [_still_key(plan, SPRITE_MODIFIER, index) for index in range(plan.sprite.count)]


def destination_for(bucket: str, plan: Plan) -> str:
    """`s3://bucket/renditions/{video_id}/`: where the plan's outputs go."""
    return f"s3://{bucket}/{plan.output_prefix}"


def _check_arguments(
    plan: Plan, source_uri: str, destination_uri: str, user_metadata: dict[str, str], token: str | None
) -> None:
    if not source_uri.startswith("s3://"):
        raise InvalidRequest(
            f"the source {source_uri!r} must be an s3:// URI", code="invalid_mediaconvert_job"
        )
    if not (destination_uri.startswith("s3://") and destination_uri.endswith(plan.output_prefix)):
        raise InvalidRequest(
            f"the destination {destination_uri!r} must be the s3:// URI of {plan.output_prefix!r}",
            code="invalid_mediaconvert_job",
        )
    if len(user_metadata) + 1 > MAX_USER_METADATA or VIDEO_ID_METADATA_KEY in user_metadata:
        raise InvalidRequest(
            f"at most {MAX_USER_METADATA - 1} user metadata entries, without {VIDEO_ID_METADATA_KEY!r}",
            code="invalid_mediaconvert_job",
        )
    if token is not None and not (0 < len(token) <= MAX_CLIENT_REQUEST_TOKEN and token.isascii()):
        raise InvalidRequest(
            f"a client request token is 1..{MAX_CLIENT_REQUEST_TOKEN} ASCII characters",
            code="invalid_mediaconvert_job",
        )


def create_job_request(
    plan: Plan,
    *,
    source_uri: str,
    destination_uri: str,
    role_arn: str,
    queue_arn: str | None,
    user_metadata: dict[str, str],
    client_request_token: str | None = None,
) -> dict[str, Any]:
    """The whole CreateJob request (keyword arguments of boto3's `create_job`) for this plan.

    `destination_uri` is `destination_for(bucket, plan)`; `user_metadata` (the EventBridge rule filters
    on it) gets `video_id` added. A `client_request_token` makes a retried submission within a minute
    return the first job instead of starting a second one.
    """
    _check_arguments(plan, source_uri, destination_uri, user_metadata, client_request_token)
    job_input: dict[str, Any] = {
        "FileInput": source_uri,
        "TimecodeSource": "ZEROBASED",
        "VideoSelector": {"Rotate": "AUTO"},
    }
    if plan.audio is not None:
        job_input["AudioSelectors"] = {AUDIO_SELECTOR: {"DefaultSelection": "DEFAULT"}}
    groups = [cmaf_group(plan, destination_uri)]
    stills = frame_capture_group(plan, destination_uri)
    if stills is not None:
        groups.append(stills)
    request: dict[str, Any] = {
        "Role": role_arn,
        "Settings": {
            "TimecodeConfig": {"Source": "ZEROBASED"},
            "Inputs": [job_input],
            "OutputGroups": groups,
        },
        "UserMetadata": {**user_metadata, VIDEO_ID_METADATA_KEY: plan.video_id},
        "StatusUpdateInterval": STATUS_UPDATE_INTERVAL,
        "AccelerationSettings": {"Mode": "PREFERRED"},
    }
    if queue_arn is not None:
        request["Queue"] = queue_arn
    if client_request_token is not None:
        request["ClientRequestToken"] = client_request_token
    return request
