"""The ffmpeg transcoder: one run of `ffmpeg_ladder.ladder_command` into a local folder, then checks.

`FfmpegTranscoder.run(plan, source, out_dir)` writes under `out_dir` exactly the keys the plan puts
under its output prefix: `{rendition}/playlist.m3u8` and `{rendition}/media-<hash>.mp4` (one fMP4
file holding the init section and every segment, which the playlist addresses by byte range), then
`master.m3u8`, `poster.jpg`, `sprite.jpg`, `sprite.vtt`. It answers with every file (key, local path,
content type; each file once, however many segments it holds) and, per rendition, what was really
made: the size and codec read back from the media file by ffprobe, and the bitrate measured from
each segment's bytes (its byte range's length, or its file's size for a whole-file segment) over its
playlist duration.

Content-addressed media files: ffmpeg writes `{rendition}/media.mp4`; once its byte ranges are
checked, every file a rendition's playlist reads is renamed after the SHA-256 of its bytes (hashed
as a stream, `ffmpeg_ladder.content_addressed_name`: `media-<first 16 hex digits>.mp4`) and the
playlist is rewritten to name it (`hls.rename_resources`). Every backend that collects through this
class gets it: the ffmpeg Lambda's ladder, the HEVC twins (`encoders.HevcTranscoder`) and the
GPU container (`encoders.NvencTranscoder`, `encoders.NvencHevcTranscoder`). A re-encode that is
not byte-identical thus lands under a new key, and a CDN that cached the old media file as immutable
can never serve it against the new playlist's byte ranges (see `ffmpeg_ladder`).

Failures are `TranscodeFailed` (code `transcode_failed`, the message ffmpeg's last meaningful error
line; a run past the time limit is `transcode_timeout`); a source that decodes to no frames says so.
On any failure the outputs written so far are removed: nothing partial is ever reported as made.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from typing import Any

from reelstack.domain.media import ffmpeg_ladder
from reelstack.domain.media.hls import (
    MeasuredBandwidth,
    MediaPlaylist,
    Segment,
    master_playlist,
    parse_media_playlist,
    rename_resources,
    sprite_index,
)
from reelstack.domain.media.moderation import CandidateStills, ModerationPolicy, candidate_stills
from reelstack.domain.media.renditions import Plan, Rendition
from reelstack.errors import DependencyFailed, ReelstackError

DEFAULT_TIMEOUT_S = 780.0  # a 15-minute Lambda keeps two minutes for the download and the uploads
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
}
_LOG_CONTEXT = re.compile(r"^\[[^\]]* @ 0x[0-9a-fA-F]+\] ")  # "[h264 @ 0x55d2...] "
# ffmpeg's closing lines that say only that something before them failed.
_GENERIC_LINES = ("Conversion failed!", "Error marking filters as finished", "Exiting normally")
_NOTHING_DECODED = ("Cannot determine format of input stream", "Output file is empty, nothing was encoded")


class TranscodeFailed(ReelstackError):
    """ffmpeg could not make the plan's outputs from this source."""

    code = "transcode_failed"


def content_type(key: str) -> str:
    """The Content-Type a key is served with (a rendition's media file is a fragmented MP4)."""
    return CONTENT_TYPES.get(os.path.splitext(key)[1].lower(), "application/octet-stream")


@dataclass(frozen=True)
class OutputFile:
    key: str  # relative to the plan's output prefix
    path: str  # local file
    content_type: str


@dataclass(frozen=True)
class RenditionResult:
    """One rendition as made (read back from the files, not copied from the plan)."""

    name: str
    width: int
    height: int
    bitrate: int  # bits/s: segment bytes x 8 / playlist duration (video, audio and container)
    peak_bitrate: int  # bits/s: the highest full-length segment's
    codec: str  # "h264"
    codecs: str  # the master playlist's CODECS
    playlist: str  # key of the media playlist

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TranscodeOutput:
    files: tuple[OutputFile, ...]  # every file made; the master playlist is last
    renditions: tuple[RenditionResult, ...]  # highest first, as planned
    master_key: str
    poster_key: str | None
    sprite_key: str | None
    sprite_index_key: str | None
    duration_s: float  # of the top rendition, from its playlist
    encode_seconds: float  # ffmpeg's wall time
    stills: tuple[tuple[float, str], ...] = ()  # (time s, local path): candidate frames for moderation


def _last_meaningful_line(stderr: str, paths: tuple[str, ...]) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(_GENERIC_LINES)]
    line = (meaningful or lines or ["ffmpeg failed without a message"])[-1]
    line = _LOG_CONTEXT.sub("", line)
    for path in paths:  # temporary folders mean nothing to the reader
        line = line.replace(path, os.path.basename(path.rstrip("/")) or path)
    return line


def _segment_bytes(folder: str, segment: Segment) -> int:
    """A segment's bytes: its byte range's length, or its whole file's size."""
    if segment.byte_range is not None:
        return segment.byte_range.length
    return os.path.getsize(os.path.join(folder, segment.uri))


def _measure(folder: str, playlist: MediaPlaylist) -> MeasuredBandwidth:
    sizes = [_segment_bytes(folder, segment) for segment in playlist.segments]
    average = sum(sizes) * 8 / playlist.duration_s if playlist.duration_s > 0 else 0.0
    full = list(zip(sizes, playlist.segments, strict=True))
    full = full[:-1] if len(full) > 1 else full  # a short last segment is mostly one IDR frame
    peak = max((size * 8 / segment.duration_s for size, segment in full if segment.duration_s > 0), default=0)
    return MeasuredBandwidth(peak=round(peak), average=round(average))


class FfmpegTranscoder:
    """Runs the plan's ladder with local ffmpeg and ffprobe binaries."""

    def __init__(
        self,
        ffmpeg: str = "ffmpeg",
        preset: str = ffmpeg_ladder.DEFAULT_PRESET,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        threads: int | None = None,
        ffprobe: str = "ffprobe",
        moderation: ModerationPolicy | None = None,
    ) -> None:
        self.ffmpeg = ffmpeg
        self.preset = preset
        self.timeout_s = timeout_s
        self.threads = threads
        self.ffprobe = ffprobe
        self.moderation = moderation  # set: the same decode also keeps candidate stills for Moderate

    def stills(self, plan: Plan) -> CandidateStills | None:
        if self.moderation is None:
            return None
        return candidate_stills(plan.source.duration_s, self.moderation)

    def command(self, plan: Plan, source_path: str, out_dir: str) -> list[str]:
        return ffmpeg_ladder.ladder_command(
            plan,
            source_path,
            out_dir,
            ffmpeg=self.ffmpeg,
            preset=self.preset,
            threads=self.threads,
            stills=self.stills(plan),
        )

    def machine_failure(self, stderr: str) -> ReelstackError | None:
        """The error when a failed run's stderr shows this machine, not the source, is at fault; a
        subclass for other hardware knows its own signs (`encoders.NvencTranscoder`)."""
        return None

    def run(self, plan: Plan, source_path: str, out_dir: str) -> TranscodeOutput:
        """Make every output of `plan` under `out_dir`; raise `TranscodeFailed` with nothing left behind."""
        written = [*_planned_outputs(plan), ffmpeg_ladder.STILLS_DIR]
        try:
            for folder in ffmpeg_ladder.output_dirs(plan, self.stills(plan)):
                os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
            seconds = self._encode(plan, source_path, out_dir)
            return self._collect(plan, out_dir, seconds)
        except BaseException:
            _remove(out_dir, written)
            raise

    def _encode(self, plan: Plan, source_path: str, out_dir: str) -> float:
        command = self.command(plan, source_path, out_dir)
        started = time.perf_counter()
        try:
            result = subprocess.run(command, capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise TranscodeFailed(
                f"ffmpeg took longer than {self.timeout_s:g} s", code="transcode_timeout"
            ) from exc
        except OSError as exc:
            raise DependencyFailed(f"cannot run {self.ffmpeg}: {exc}", code="transcoder_unavailable") from exc
        seconds = time.perf_counter() - started
        stderr = result.stderr.decode(errors="replace")
        line = _last_meaningful_line(stderr, (out_dir, source_path))
        unusable = self.machine_failure(stderr) if result.returncode != 0 else None
        if unusable is not None:
            raise unusable
        if result.returncode != 0 and any(hint in stderr for hint in _NOTHING_DECODED):
            raise TranscodeFailed(
                f"the source decoded to no video frames: {line}", exit_code=result.returncode
            )
        if result.returncode != 0:
            raise TranscodeFailed(line, exit_code=result.returncode)
        return seconds

    def _collect(self, plan: Plan, out_dir: str, seconds: float) -> TranscodeOutput:
        files: list[OutputFile] = []
        results: list[RenditionResult] = []
        measured: dict[str, MeasuredBandwidth] = {}
        durations: list[float] = []
        for rendition in plan.renditions:
            playlist, rendition_files = self._rendition_files(rendition, out_dir)
            measured[rendition.name] = _measure(os.path.join(out_dir, rendition.name), playlist)
            init = os.path.join(out_dir, rendition.name, playlist.init_uri or "")
            results.append(self._result(rendition, init, measured[rendition.name]))
            files += rendition_files
            durations.append(playlist.duration_s)
        duration = durations[0]
        poster_key = sprite_key = sprite_index_key = None
        if plan.poster is not None:
            poster_key = plan.poster.key
            files.append(_existing(out_dir, poster_key))
        if plan.sprite is not None:
            sprite_key, sprite_index_key = plan.sprite.key, plan.sprite.index_key
            files.append(_existing(out_dir, sprite_key))
            files.append(_write(out_dir, sprite_index_key, sprite_index(plan.sprite, duration)))
        files.append(_write(out_dir, plan.master_playlist, master_playlist(plan, measured)))
        return TranscodeOutput(
            files=tuple(files),
            renditions=tuple(results),
            master_key=plan.master_playlist,
            poster_key=poster_key,
            sprite_key=sprite_key,
            sprite_index_key=sprite_index_key,
            duration_s=duration,
            encode_seconds=round(seconds, 3),
            stills=_stills(out_dir),
        )

    def _rendition_files(self, rendition: Rendition, out_dir: str) -> tuple[MediaPlaylist, list[OutputFile]]:
        playlist_file = _existing(out_dir, rendition.playlist)
        with open(playlist_file.path, encoding="utf-8", newline="") as file:
            text = file.read()
        playlist = parse_media_playlist(text)
        if not playlist.segments:
            raise TranscodeFailed(f"the source decoded to no video frames ({rendition.name} has no segments)")
        if playlist.init_uri is None or not playlist.ended:
            raise TranscodeFailed(f"the {rendition.name} playlist is unfinished or names no init segment")
        media = [_existing(out_dir, f"{rendition.name}/{uri}") for uri in playlist.resources]
        _check_ranges(rendition.name, playlist, dict(zip(playlist.resources, media, strict=True)))
        playlist = _content_addressed(os.path.join(out_dir, rendition.name), playlist_file.path, text)
        media = [_existing(out_dir, f"{rendition.name}/{uri}") for uri in playlist.resources]
        return playlist, [*media, playlist_file]

    def _result(self, rendition: Rendition, init: str, measured: MeasuredBandwidth) -> RenditionResult:
        """The rendition as made: size and codec from the file holding its init section (ffprobe reads
        the whole single-file rendition), bitrates from its segments."""
        stream = self._video_stream(init)
        width, height, codec = int(stream["width"]), int(stream["height"]), str(stream["codec_name"])
        if (width, height, codec) != (rendition.width, rendition.height, rendition.codec):
            raise TranscodeFailed(
                f"{rendition.name} came out {codec} {width}x{height}, "
                f"not {rendition.codec} {rendition.width}x{rendition.height}"
            )
        return RenditionResult(
            name=rendition.name,
            width=width,
            height=height,
            bitrate=measured.average,
            peak_bitrate=measured.peak,
            codec=codec,
            codecs=rendition.codecs,
            playlist=rendition.playlist,
        )

    def _video_stream(self, path: str) -> dict[str, Any]:
        command = [self.ffprobe, "-v", "error", "-select_streams", "v:0",
                   "-show_entries", "stream=codec_name,width,height", "-of", "json", path]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DependencyFailed(
                f"cannot run {self.ffprobe}: {exc}", code="transcoder_unavailable"
            ) from exc
        streams = json.loads(result.stdout or b"{}").get("streams") if result.returncode == 0 else None
        if not streams:
            detail = _last_meaningful_line(result.stderr.decode(errors="replace"), (path,))
            raise TranscodeFailed(f"{os.path.basename(path)} holds no video stream: {detail}")
        return dict(streams[0])


def _check_ranges(name: str, playlist: MediaPlaylist, files: dict[str, OutputFile]) -> None:
    """Every byte range lies inside its file (a truncated media file is not reported as made)."""
    ranged = [(playlist.init_uri or "", playlist.init_range)] + [
        (segment.uri, segment.byte_range) for segment in playlist.segments
    ]
    for uri, byte_range in ranged:
        if byte_range is not None and byte_range.end > os.path.getsize(files[uri].path):
            raise TranscodeFailed(
                f"the {name} playlist names bytes {byte_range.http_range} past the end of {uri}"
            )


def sha256_hex(path: str) -> str:
    """The SHA-256 of a file's bytes (read in chunks, never whole into memory), lowercase hex."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _content_addressed(folder: str, playlist_path: str, text: str) -> MediaPlaylist:
    """Rename every file the playlist at `playlist_path` reads (relative to `folder`) after its content,
    rewrite the playlist to name them, and answer the rewritten playlist."""
    playlist = parse_media_playlist(text)
    renames = {
        uri: ffmpeg_ladder.content_addressed_name(uri, sha256_hex(os.path.join(folder, uri)))
        for uri in playlist.resources
    }
    for old, new in renames.items():
        if new != old:
            os.replace(os.path.join(folder, old), os.path.join(folder, new))
    rewritten = rename_resources(text, renames)
    with open(playlist_path, "w", encoding="utf-8", newline="") as file:
        file.write(rewritten)
    return parse_media_playlist(rewritten)


def _existing(out_dir: str, key: str) -> OutputFile:
    path = os.path.join(out_dir, key)
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        raise TranscodeFailed(f"ffmpeg did not produce {key}")
    return OutputFile(key, path, content_type(key))


def _write(out_dir: str, key: str, text: str) -> OutputFile:
    path = os.path.join(out_dir, key)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return OutputFile(key, path, content_type(key))


def _stills(out_dir: str) -> tuple[tuple[float, str], ...]:
    folder = os.path.join(out_dir, ffmpeg_ladder.STILLS_DIR)
    if not os.path.isdir(folder):
        return ()
    names = sorted(name for name in os.listdir(folder) if name.endswith(".jpg"))
    return tuple((ffmpeg_ladder.still_time(name), os.path.join(folder, name)) for name in names)


def _planned_outputs(plan: Plan) -> list[str]:
    """Everything `run` may write, relative to the output directory (folders and files)."""
    keys = [*ffmpeg_ladder.output_dirs(plan), plan.master_playlist]
    if plan.poster is not None:
        keys.append(plan.poster.key)
    if plan.sprite is not None:
        keys += [plan.sprite.key, plan.sprite.index_key]
    return keys


def _remove(out_dir: str, keys: list[str]) -> None:
    for key in keys:
        path = os.path.join(out_dir, key)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.remove(path)
