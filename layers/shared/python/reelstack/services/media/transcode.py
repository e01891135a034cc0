"""The Transcode stage on the ffmpeg Lambda: original -> scratch -> ffmpeg ladder -> the plan's keys in S3.

One invocation works in its own scratch folder under `scratch_root` (Lambda's /tmp), removed at the
end whatever happens. The original is streamed to disk, the transcoder makes every output, and the
outputs are uploaded under `plan.output_prefix` in an order that never exposes a playlist naming a
missing file: media files (one per rendition: init section and segments, addressed by byte ranges)
and images first (in parallel), then the media playlists, the master playlist last. Running the stage
again for the same plan overwrites the same keys.

Cache-Control: playlists and the sprite index may be rewritten by a later run, so caches keep them
5 minutes; media files and images are immutable under their keys. A re-encode is not byte-identical
(x264's rate control varies run to run) and a playlist's byte ranges fit only the media file written
with it, so each media file's key names its content: the transcoder renames it `media-<first 16 hex
digits of its SHA-256>.mp4` and rewrites the playlist to match before anything is uploaded. A
rendition written again (a re-run, HEVC twins re-made) uploads its media file under a new key: a
cached old file is never paired with the new playlist, and a playlist cached before the re-run
still finds the old bytes under the old key. (Poster and sprite keep fixed names: they are read
whole, so a cached old image is only stale, never broken.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, Protocol

from reelstack.adapters.media.transcoder import OutputFile, TranscodeOutput, content_type
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.backends import Backend
from reelstack.domain.media.renditions import Plan
from reelstack.errors import InvalidRequest
from reelstack.observability import logger

PUBLIC_TAGS = {"visibility": "public"}  # the CDN serves only objects tagged so

PLAYLIST_CACHE_CONTROL = "public, max-age=300"
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
_REWRITABLE = (".m3u8", ".vtt")


class Transcoder(Protocol):
    def run(self, plan: Plan, source_path: str, out_dir: str) -> TranscodeOutput: ...


class PlaylistStore(Protocol):
    def put_bytes(
        self, key: str, body: bytes, content_type: str, cache_control: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> None: ...  # fmt: skip


def cache_control(key: str) -> str:
    return PLAYLIST_CACHE_CONTROL if key.endswith(_REWRITABLE) else MEDIA_CACHE_CONTROL


def upload_in_parallel(
    storage: MediaStorage, files: Sequence[OutputFile], parallelism: int, tags: dict[str, str] | None = None
) -> None:
    """Upload one batch in parallel (each object tagged by its own PUT when `tags` are given, so an
    overwritten object is never seen untagged); the first failure cancels what has not started and
    is raised."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(files))))
    try:
        futures = [
            pool.submit(
                storage.upload_file, file.key, file.path, file.content_type, cache_control(file.key), tags
            )
            for file in files
        ]
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for future in futures:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            raise error


def put_public_playlist(storage: PlaylistStore, key: str, text: str) -> None:
    """A (master) playlist rewritten in one PUT that also tags it public, with the playlist cache policy."""
    storage.put_bytes(key, text.encode("utf-8"), content_type(key), cache_control(key), PUBLIC_TAGS)


def upload_batches(made: TranscodeOutput) -> list[list[OutputFile]]:
    """The files in upload order: media, then media playlists, then the master playlist alone."""
    master = [f for f in made.files if f.key == made.master_key]
    playlists = [f for f in made.files if f.key.endswith(".m3u8") and f.key != made.master_key]
    media = [f for f in made.files if not f.key.endswith(".m3u8")]
    return [batch for batch in (media, playlists, master) if batch]


def stills_prefix(video_id: str) -> str:
    """Where the transcode leaves candidate frames for Moderate: private, and expired by a lifecycle rule
    (never deleted by Moderate, so a retried Moderate sees the same candidates)."""
    return f"candidates/{video_id}/"


def _full(plan: Plan, key: str | None) -> str | None:
    return None if key is None else f"{plan.output_prefix}{key}"


def stage_output(plan: Plan, made: TranscodeOutput, backend: Backend = Backend.LAMBDA) -> dict[str, Any]:
    """The workflow's `outputs` (what Moderate and Publish read): bucket keys and measured renditions,
    the same from every backend that runs `FfmpegTranscoder` (the ffmpeg Lambda, the GPU container)."""
    renditions = []
    for rendition in made.renditions:
        fields = rendition.to_dict()
        fields["playlist_key"] = _full(plan, fields.pop("playlist"))
        renditions.append(fields)
    return {
        "backend": backend.value,
        "master_key": _full(plan, made.master_key),
        "poster_key": _full(plan, made.poster_key),
        "sprite_key": _full(plan, made.sprite_key),
        "sprite_index_key": _full(plan, made.sprite_index_key),
        "renditions": renditions,
        "duration_s": made.duration_s,
        "encode_seconds": made.encode_seconds,
        "files": len(made.files),
        **({"stills_prefix": stills_prefix(plan.video_id)} if made.stills else {}),
    }


class TranscodeStage:
    def __init__(
        self,
        storage: MediaStorage,
        transcoder: Transcoder,
        scratch_root: str = "/tmp",
        upload_parallelism: int = 8,
    ) -> None:
        self.storage = storage
        self.transcoder = transcoder
        self.scratch_root = scratch_root
        self.upload_parallelism = max(1, upload_parallelism)

    def transcode(self, video_id: str, original_key: str, plan: Plan) -> dict[str, Any]:
        """Make and upload every output of `plan` for the original at `original_key`."""
        if plan.video_id != video_id:
            raise InvalidRequest(f"the plan is for {plan.video_id}, not {video_id}", code="invalid_plan")
        os.makedirs(self.scratch_root, exist_ok=True)
        scratch = tempfile.mkdtemp(prefix="transcode-", dir=self.scratch_root)
        try:
            source = os.path.join(scratch, "original")
            out_dir = os.path.join(scratch, "out")
            os.makedirs(out_dir)
            self.storage.download_to(original_key, source)
            made = self.transcoder.run(plan, source, out_dir)
            self._upload_stills(video_id, made)
            for batch in upload_batches(made):
                self._upload(plan, batch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        logger.info(
            "transcoded",
            extra={
                "video_id": video_id,
                "renditions": [r.name for r in made.renditions],
                "files": len(made.files),
                "encode_seconds": made.encode_seconds,
            },
        )
        return stage_output(plan, made)

    def _upload_stills(self, video_id: str, made: TranscodeOutput) -> None:
        """Candidate frames for Moderate: private, under candidates/, named by their time in ms."""
        files = [
            OutputFile(f"{stills_prefix(video_id)}{round(time_s * 1000):08d}.jpg", path, "image/jpeg")
            for time_s, path in made.stills
        ]
        if files:
            self._upload_keys(files)

    def _upload(self, plan: Plan, files: Sequence[OutputFile]) -> None:
        self._upload_keys(
            [OutputFile(f"{plan.output_prefix}{file.key}", file.path, file.content_type) for file in files]
        )

    def _upload_keys(self, files: Sequence[OutputFile]) -> None:
        upload_in_parallel(self.storage, files, self.upload_parallelism)
