"""The ffmpeg command lines that carry out a `Plan` on the ffmpeg Lambda (argv only: nothing runs here).

`ladder_command` is one run that decodes the source once. The frames are converted to the plan's
constant frame rate once (`fps`), then a `split` feeds every rendition (scaled to exactly its size,
square pixels, 4:2:0), the poster and the thumbnail sprite:

    [0:v:0]fps=R,split=5[r0][r1][r2][poster][sprite]
    [r0]scale=1920:1080,setsar=1,format=yuv420p[v0]          (one chain per rendition)
    [poster]trim=start=T,trim=end_frame=1,scale=W:H,setsar=1[p]   (the first frame at or after T)
    [sprite]fps=1/I,trim=end_frame=N,scale=w:h,setsar=1,tile=CxR[s]

Poster and sprite ride along in the same run. Measured on two cores (Debian ffmpeg 5.1, 1080p30
clips, 3 renditions, veryfast): from the same decode they add no wall time beyond run-to-run noise
(5 s clip: 3.77 s with them, 3.95 s without; 15 s: 11.10 s / 11.78 s), while a second run decodes
the source again (0.36 s wall, 0.52 CPU-s for the 5 s clip: ~9 % of the ladder). Each image branch
ends its input after the frames it needs (`trim=end_frame`): ffmpeg 5.1 keeps filtering frames into
a branch whose output has finished, and a poster branch scaling every later frame cost ~10 %.

Keyframes align across renditions because every encoder sees the same frames (the shared `fps`) and
is forced to a closed-GOP IDR at the same frame numbers (`-g`, `-force_key_frames` every
`keyframe_interval_frames`, no scene-cut keyframes). The HLS muxer cuts a segment at the first
keyframe at or after each multiple of `-hls_time`; it is given the GOP's exact length (floored to the
microsecond), so every segment is one GOP even when the GOP is a little shorter than
`segment_seconds` (25 fps and 2.5 s segments give 62-frame GOPs of 2.48 s).

Each rendition is two files (two S3 objects, whatever its length): one fragmented MP4 (CMAF)
holding the init section and every segment, and `{name}/playlist.m3u8`, which addresses them by byte
range (`-hls_flags single_file`, RFC 8216 version 4 and up). ffmpeg writes the media file as
`{name}/media.mp4`; the transcoder then renames it after its content (`content_addressed_name`:
`media-<first 16 hex digits of its SHA-256>.mp4`) and rewrites the playlist's URIs to match
(`hls.rename_resources`) before anything is uploaded:

    #EXT-X-MAP:URI="media-3f9c0a1be2d47781.mp4",BYTERANGE="1353@0"
    #EXTINF:2.000000,
    #EXT-X-BYTERANGE:197306@1353
    media-3f9c0a1be2d47781.mp4

A re-encode is not byte-identical (x264's and x265's rate control vary run to run), and a playlist's
byte ranges fit only the file written with it. Media files are cached as immutable for a year and
playlists for 5 minutes, and a rendition can be written again after players have fetched it (a
second high-heat run, HEVC twins re-made after tiering reclaimed them): under one fixed name a CDN
could pair a cached old media file with a new playlist's offsets. Named after its bytes, a new file
gets a new key, the old key keeps the old bytes for playlists still cached, and a key never names
two contents. The superseded file stays under the rendition's prefix while playlists cached or loaded
before the re-encode may still read it: a rewrite schedules the video's reclaim, and an hour later
(twelve times the playlists' max-age) a sweep deletes the media files no current playlist names
(`domain.media.superseded`, `services.media.media_reclaim`); the whole prefix still goes with tiering's
reclamation or a rejection.

S3 bills per object (PUTs at upload, GETs at play, lifecycle transitions, the 128 KB minimum of
Standard-IA and Glacier IR), so one file per rendition instead of one per 2 s segment makes those
fees per rendition rather than per segment; a player fetches the same bytes with Range GETs. URIs are
relative to the playlist. In single-file mode ffmpeg takes `-hls_segment_filename` literally (no
`%d` expansion, so a `%` in the path is not escaped) and does not create folders: `output_dirs`
lists the folders the runner creates first. Source metadata (a phone's location, its chapters) is
not copied to the outputs.

`single_rendition_command` encodes one rendition per run with the same settings: the benchmark's
baseline (three independent runs), and a fallback for one rendition.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
from fractions import Fraction

from reelstack.domain.media.moderation import CandidateStills
from reelstack.domain.media.renditions import AudioPlan, Plan, PosterPlan, Rendition, SpritePlan

DEFAULT_PRESET = "veryfast"
MEDIA_FILE = "media.mp4"  # what ffmpeg writes: a rendition's init section and segments (byte ranges)
CONTENT_HASH_DIGITS = 16  # hex digits of the SHA-256 in a content-addressed name (64 bits)
PLAYLIST = "playlist.m3u8"
POSTER_QUALITY = 3  # mjpeg qscale: 2 (best) .. 31
SPRITE_QUALITY = 5
STILLS_QUALITY = 3
STILLS_DIR = "stills"
STILL_PATTERN = "still_%08d.jpg"  # numbered by presentation timestamp, in 1/STILLS_RATE units
STILLS_RATE = 5  # candidate stills are looked for among 5 frames a second (cuts found within 0.2 s)


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CONTENT_SUFFIX = re.compile(rf"-[0-9a-f]{{{CONTENT_HASH_DIGITS}}}$")


def content_addressed_name(uri: str, sha256_hex: str) -> str:
    """The name a file is uploaded under, from the SHA-256 (hex) of its bytes: `media.mp4` ->
    `media-<first 16 hex digits>.mp4`, in the same folder. A name that already ends with a content
    hash loses it first, so renaming a file again by its unchanged content keeps its name."""
    if not _SHA256_HEX.fullmatch(sha256_hex):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256_hex!r}")
    folder, name = posixpath.split(uri)
    stem, extension = posixpath.splitext(name)
    stem = _CONTENT_SUFFIX.sub("", stem)
    return posixpath.join(folder, f"{stem}-{sha256_hex[:CONTENT_HASH_DIGITS]}{extension}")


def gop_seconds(rendition: Rendition) -> Fraction:
    """The exact length of one GOP (= one segment): keyframe interval / frame rate."""
    return rendition.keyframe_interval_frames / Fraction(rendition.frame_rate_fraction)


def hls_time(rendition: Rendition) -> str:
    """`-hls_time`: the GOP length floored to the microsecond (ffmpeg's resolution for durations).

    Never above the true GOP length, so the muxer cuts at every keyframe, and never more than 1 us
    below it, so it cannot drift across a GOP in any video shorter than a million segments.
    """
    micros = math.floor(gop_seconds(rendition) * 1_000_000)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def seconds_text(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def output_dirs(plan: Plan, stills: CandidateStills | None = None) -> list[str]:
    """The folders (relative to the output directory) that must exist before ffmpeg runs."""
    return [rendition.name for rendition in plan.renditions] + ([STILLS_DIR] if stills else [])


def _stills_chain(stills: CandidateStills) -> str:
    """Frames for moderation: the first, one every `every_s`, and scene cuts `scene_gap_s` apart."""
    box = stills.long_side
    keep = (
        f"isnan(prev_selected_t)+gte(t-prev_selected_t\\,{seconds_text(stills.every_s)})"
        f"+gt(scene\\,{stills.scene_threshold:g})*gte(t-prev_selected_t\\,{seconds_text(stills.scene_gap_s)})"
    )
    return (
        f"fps={STILLS_RATE},scale={box}:{box}:force_original_aspect_ratio=decrease,setsar=1,select='{keep}'"
    )


def still_time(filename: str) -> float:
    """The time (s) of a still written by the ladder: its number is its timestamp in 1/STILLS_RATE s."""
    return int(os.path.splitext(filename)[0].rsplit("_", 1)[1]) / STILLS_RATE


def input_head(ffmpeg: str, source: str, threads: int | None) -> list[str]:
    decoder_threads = [] if threads is None else ["-threads", str(threads)]
    return [ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y",
            *decoder_threads, "-i", source]  # fmt: skip


def video_chain(rendition: Rendition) -> str:
    return f"scale={rendition.width}:{rendition.height},setsar=1,format=yuv420p"


def _poster_chain(poster: PosterPlan) -> str:
    start = seconds_text(poster.time_s)
    return f"trim=start={start},trim=end_frame=1,scale={poster.width}:{poster.height},setsar=1"


def _sprite_chain(sprite: SpritePlan) -> str:
    every = Fraction(1) / Fraction(str(sprite.interval_s))
    return (
        f"fps={_fraction_text(every)},trim=end_frame={sprite.count},"
        f"scale={sprite.thumb_width}:{sprite.thumb_height},setsar=1,tile={sprite.columns}x{sprite.rows}"
    )


def _encoder_options(rendition: Rendition, preset: str, threads: int | None) -> list[str]:
    gop = str(rendition.keyframe_interval_frames)
    encoder_threads = [] if threads is None else ["-threads", str(threads)]
    return [
        "-c:v", "libx264", "-preset", preset, *encoder_threads,
        "-profile:v", rendition.profile, "-level:v", rendition.level,
        "-b:v", f"{rendition.video_bitrate_kbps}k",
        "-maxrate", f"{rendition.max_bitrate_kbps}k",
        "-bufsize", f"{rendition.buffer_kbps}k",
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-flags", "+cgop",
        "-force_key_frames", f"expr:eq(mod(n,{gop}),0)",
        "-pix_fmt", "yuv420p",
    ]  # fmt: skip


def audio_options(audio: AudioPlan | None) -> list[str]:
    if audio is None:
        return ["-an"]
    return ["-map", "0:a:0", "-c:a", audio.codec, "-b:a", f"{audio.bitrate_kbps}k",
            "-ac", str(audio.channels), "-ar", str(audio.sample_rate_hz)]  # fmt: skip


def hls_output(rendition: Rendition, out_dir: str, muxer_options: tuple[str, ...] = ()) -> list[str]:
    """One rendition's HLS fMP4 output, a single media file addressed by byte ranges (shared by the CPU
    and NVENC ladders and the HEVC twins: same files, same muxing)."""
    folder = os.path.join(out_dir, rendition.name)
    return [
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-f", "hls", "-hls_time", hls_time(rendition), "-hls_playlist_type", "vod",
        "-hls_segment_type", "fmp4", "-hls_flags", "single_file+independent_segments", *muxer_options,
        "-hls_segment_filename", os.path.join(folder, MEDIA_FILE),  # literal in single-file mode
        os.path.join(folder, PLAYLIST),
    ]  # fmt: skip


def _rendition_output(
    label: str, rendition: Rendition, audio: AudioPlan | None, out_dir: str, preset: str, threads: int | None
) -> list[str]:
    return [
        "-map",
        f"[{label}]",
        *_encoder_options(rendition, preset, threads),
        *audio_options(audio),
        *hls_output(rendition, out_dir),
    ]


def image_output(label: str, quality: int, path: str) -> list[str]:
    return ["-map", f"[{label}]", "-frames:v", "1", "-update", "1", "-q:v", str(quality),
            "-map_metadata", "-1", path]  # fmt: skip


def ladder_command(
    plan: Plan,
    source: str,
    out_dir: str,
    *,
    ffmpeg: str = "ffmpeg",
    preset: str = DEFAULT_PRESET,
    threads: int | None = None,
    images: bool = True,
    stills: CandidateStills | None = None,
) -> list[str]:
    """One ffmpeg run: one decode, every rendition, (when `images` and planned) poster and sprite, and
    (when `stills` is given) the candidate frames for moderation under `stills/`."""
    poster = plan.poster if images else None
    sprite = plan.sprite if images else None
    branches = [f"r{index}" for index in range(len(plan.renditions))]
    chains = [f"[r{index}]{video_chain(r)}[v{index}]" for index, r in enumerate(plan.renditions)]
    outputs: list[str] = []
    for index, rendition in enumerate(plan.renditions):
        outputs += _rendition_output(f"v{index}", rendition, plan.audio, out_dir, preset, threads)
    if poster is not None:
        branches.append("poster")
        chains.append(f"[poster]{_poster_chain(poster)}[p]")
        outputs += image_output("p", POSTER_QUALITY, os.path.join(out_dir, poster.key))
    if sprite is not None:
        branches.append("sprite")
        chains.append(f"[sprite]{_sprite_chain(sprite)}[s]")
        outputs += image_output("s", SPRITE_QUALITY, os.path.join(out_dir, sprite.key))
    if stills is not None:
        branches.append("stills")
        chains.append(f"[stills]{_stills_chain(stills)}[st]")
        outputs += ["-map", "[st]", "-fps_mode", "passthrough", "-frame_pts", "1", "-q:v", str(STILLS_QUALITY),
                    "-map_metadata", "-1", os.path.join(out_dir, STILLS_DIR, STILL_PATTERN)]  # fmt: skip
    rate = plan.renditions[0].frame_rate_fraction
    split = f"[0:v:0]fps={rate},split={len(branches)}" + "".join(f"[{b}]" for b in branches)
    graph = ";".join([split, *chains])
    return [*input_head(ffmpeg, source, threads), "-filter_complex", graph, *outputs]


def single_rendition_command(
    plan: Plan,
    rendition: Rendition,
    source: str,
    out_dir: str,
    *,
    ffmpeg: str = "ffmpeg",
    preset: str = DEFAULT_PRESET,
    threads: int | None = None,
) -> list[str]:
    """One rendition (with the plan's audio) per run, encoded exactly as `ladder_command` encodes it."""
    graph = f"[0:v:0]fps={rendition.frame_rate_fraction},{video_chain(rendition)}[v]"
    output = _rendition_output("v", rendition, plan.audio, out_dir, preset, threads)
    return [*input_head(ffmpeg, source, threads), "-filter_complex", graph, *output]
