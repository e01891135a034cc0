"""Probing an original with ffprobe (through ffmpeg-python) and a cheap ffmpeg decode check.

Refusals are `UnplayableMedia` errors with a code: `empty_file`, `not_media`, `truncated_media`,
`corrupt_media`, then the domain's `no_video_stream`, `too_short`, `too_long`, `resolution_too_large`.

Truncation is decided from the file's structure when it is an MP4/MOV (ISO base media): ffprobe alone
cannot tell, because a cut "faststart" file (index first) probes fine, and a cut file whose index was at
the end fails with "moov atom not found" exactly as a text file named `.mp4` does. A walk over the
top-level boxes (a few 16-byte reads) settles it: a box running past the end of the file, or no `moov`,
is a truncated upload; a file that does not start like ISO base media is not media at all.
The decode check (demux every packet, decode key frames) then catches what the walk cannot see:
truncated or corrupt packets in other containers and broken key frames.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from dataclasses import dataclass
from typing import Any

import ffmpeg

from reelstack.domain.media.media import (
    MediaInfo,
    ProbePolicy,
    UnplayableMedia,
    media_info_from_ffprobe,
    validate,
    video_stream,
)
from reelstack.errors import DependencyFailed

FFPROBE = "ffprobe"
FFMPEG = "ffmpeg"
DECODE_TIMEOUT_SECONDS = 120.0

# Top-level box types an ISO base media / QuickTime file may start with.
_ISOBMFF_FIRST_BOXES = {b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}
# Top-level box types judged by the walk; anything else (e.g. junk appended to a file) ends the walk.
_TOP_LEVEL_BOXES = _ISOBMFF_FIRST_BOXES | {
    b"moof",
    b"mfra",
    b"sidx",
    b"ssix",
    b"emsg",
    b"prft",
    b"meta",
    b"pdin",
}
_MAX_BOXES = 100_000
_NOT_MEDIA_HINTS = ("Invalid data found when processing input", "moov atom not found")
# Demuxers that meet the end of the file early log these at error level yet exit 0 (mov, matroska).
_TRUNCATION_HINTS = ("partial file", "File ended prematurely")
_LOG_CONTEXT = re.compile(r"^\[[^\]]* @ 0x[0-9a-fA-F]+\] ")  # "[mov,mp4,... @ 0x55d2...] "


@dataclass(frozen=True)
class BoxScan:
    """What the top-level boxes of a file say about it."""

    isobmff: bool  # starts like an MP4/MOV
    truncated: bool  # a box runs past the end of the file
    has_moov: bool  # the index is there


def scan_boxes(path: str) -> BoxScan:
    """Walk the top-level ISO-BMFF boxes by their headers only (one seek and 16-byte read per box)."""
    size = os.path.getsize(path)
    offset, has_moov = 0, False
    with open(path, "rb") as file:
        for count in range(_MAX_BOXES):
            file.seek(offset)
            header = file.read(16)
            if len(header) < 8:
                break  # end of file (or a few trailing bytes, which players ignore)
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if count == 0 and box_type not in _ISOBMFF_FIRST_BOXES:
                return BoxScan(isobmff=False, truncated=False, has_moov=False)
            if box_size == 1:  # 64-bit size follows the type
                if len(header) < 16:
                    return BoxScan(isobmff=True, truncated=True, has_moov=has_moov)
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:  # runs to the end of the file
                box_size = size - offset
            if box_size < 8 or box_type not in _TOP_LEVEL_BOXES:
                break  # unreadable from here on: leave the verdict to ffprobe and the decoder
            has_moov = has_moov or box_type == b"moov"
            if offset + box_size > size:
                return BoxScan(isobmff=True, truncated=True, has_moov=has_moov)
            offset += box_size
    return BoxScan(isobmff=True, truncated=False, has_moov=has_moov)


def _text(stderr: Any) -> str:
    return stderr.decode(errors="replace") if isinstance(stderr, bytes) else str(stderr or "")


def _last_line(text: str, path: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else "no diagnostics"
    return _LOG_CONTEXT.sub("", line.removeprefix(f"{path}: "))


def _truncated(detail: str) -> UnplayableMedia:
    return UnplayableMedia(f"the file is truncated: {detail}", code="truncated_media")


class MediaProber:
    """ffprobe + decode check on a local file. Binary names and the decode time bound are settable."""

    def __init__(
        self,
        ffprobe: str = FFPROBE,
        ffmpeg_binary: str = FFMPEG,
        decode_timeout_s: float = DECODE_TIMEOUT_SECONDS,
        full_decode: bool = False,
    ) -> None:
        self.ffprobe = ffprobe
        self.ffmpeg = ffmpeg_binary
        self.decode_timeout_s = decode_timeout_s
        self.full_decode = full_decode  # decode every frame, not only key frames (slower, stricter)

    def probe(self, path: str, policy: ProbePolicy | None = None) -> MediaInfo:
        """Probe, then (when a policy is given) validate, then decode-check; refuse with a code."""
        size = os.path.getsize(path)
        if size == 0:
            raise UnplayableMedia("the file is empty", code="empty_file")
        boxes = scan_boxes(path)
        data = self._ffprobe(path, boxes)
        if boxes.isobmff and boxes.truncated:
            raise _truncated("a top-level box runs past the end of the file")
        info = media_info_from_ffprobe(data, size)
        if policy is not None:
            validate(info, policy)
        stream = video_stream(data)
        self._decode_check(path, int(stream.get("index", 0)) if stream is not None else 0)
        return info

    def _ffprobe(self, path: str, boxes: BoxScan) -> dict[str, Any]:
        try:
            data = ffmpeg.probe(path, cmd=self.ffprobe, v="error")
        except ffmpeg.Error as exc:
            stderr = _text(exc.stderr)
            message = _last_line(stderr, path)
            if boxes.isobmff and boxes.truncated:
                raise _truncated("a top-level box runs past the end of the file") from exc
            if boxes.isobmff and not boxes.has_moov:
                raise _truncated("the MP4 index (moov) is missing") from exc
            if any(hint in stderr for hint in _NOT_MEDIA_HINTS):
                raise UnplayableMedia(f"not a media file: {message}", code="not_media") from exc
            raise UnplayableMedia(message, code="corrupt_media") from exc
        except OSError as exc:
            raise DependencyFailed(f"cannot run {self.ffprobe}: {exc}", code="probe_unavailable") from exc
        return dict(data)

    def _decode_check(self, path: str, stream_index: int) -> None:
        """Demux every packet of the video stream and decode its key frames (all frames if full_decode).

        `-xerror` turns corrupt packets and decode errors into a non-zero exit; a demuxer meeting the end
        of the file early ("partial file", "File ended prematurely") exits 0, so it is caught from the log.
        Other error-level log lines (e.g. H.264 reference warnings in clips cut at a non-key frame) are
        tolerated: they do not stop playback.
        """
        skip = [] if self.full_decode else ["-skip_frame", "nokey"]
        command = [
            self.ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-xerror", *skip,
            "-i", path, "-map", f"0:{stream_index}", "-f", "null", "-",
        ]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, timeout=self.decode_timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DependencyFailed(
                f"the decode check took longer than {self.decode_timeout_s:g} s", code="probe_timeout"
            ) from exc
        except OSError as exc:
            raise DependencyFailed(f"cannot run {self.ffmpeg}: {exc}", code="probe_unavailable") from exc
        stderr = _text(result.stderr)
        if any(hint in stderr for hint in _TRUNCATION_HINTS):
            raise _truncated(_last_line(stderr, path))
        if result.returncode != 0:
            raise UnplayableMedia(
                f"the video does not decode: {_last_line(stderr, path)}", code="corrupt_media"
            )


def probe_file(path: str, policy: ProbePolicy | None = None, prober: MediaProber | None = None) -> MediaInfo:
    """Probe a local file with the default binaries (`ffprobe`, `ffmpeg` on PATH)."""
    return (prober or MediaProber()).probe(path, policy)
