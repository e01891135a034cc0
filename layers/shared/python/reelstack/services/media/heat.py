"""The high-heat workflow's stages: Plan, Encode (HEVC twins of the H.264 ladder), UpdateMaster,
RecordFailure.

Plan (`prepare`) rebuilds the video's ladder plan from its probed media and the deployed rendition spec (the
plan is deterministic; the published renditions' sizes are checked against it, so a spec changed
since ingest is `ladder_changed`, never a twin that does not match its segments), picks the
renditions to twin (`heat.select_renditions`), locates the source and chooses where the twins are
made (`heat_backend.choose_heat_backend`): the ffmpeg Lambda while they fit its budget, else the GPU
container (NVENC on AWS Batch) when this deployment has it, else the Lambda anyway. For the GPU the job
(twins and source) is written to `work/{id}/heat-{codec}.json` for the container. Encode on the Lambda
prepares again (the video may have changed) and runs one libx265 decode-and-split into every twin;
the container runs `heat.nvenc_hevc_command`; both through `heat_encode.encode_twins` (same download,
checks, measured bitrates, uploads and `outputs`).

Source: the original (`originals/{id}`) when S3 can read it now (any class but Glacier Flexible or
Deep Archive, or a restored copy): it is the best picture we have, and a re-encode of an encode
compounds the H.264 rendition's artefacts. When the original sits in an archive class, the top
H.264 rendition is the source instead (it is at least as large as every twin; a restore would
keep the workflow waiting for hours); if that too is archived the stage fails `source_archived`.
Its media playlist and the file(s) it names (one content-addressed `media-<hash>.mp4` addressed by
byte ranges, or an older rendition's init and segment files) are downloaded side by side, and ffmpeg
reads the playlist, byte ranges included; a media file an earlier encode left under the same prefix
is not downloaded (Plan lists what the playlist reads; `heat_encode.download_source` fetches only that).

Uploads: the twins' media files first, then their media playlists, all tagged
`visibility=public` by the PUT itself (the CDN serves only public objects). UpdateMaster then merges
the variants into the master playlist and writes it last (tagged by the same PUT, so the served
master is never untagged), and only then records the twins on the video's playback record. A
video that is not PUBLISHED, or is not hot/warm, is refused (`not_published`, `video_archived`).
Running the workflow again rewrites the twins' playlists (and the master) and leaves one variant per
twin; their media files land under new names (`media-<hash>.mp4`, named after their bytes by the
transcoder), so a player or CDN still holding the old playlist keeps reading the old file. UpdateMaster
schedules the video's reclaim (`services.media.media_reclaim`): an hour later the hourly sweep deletes
the media files no current playlist names.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reelstack.adapters.media.encoders import HevcTranscoder as HevcTranscoder  # re-exported for wiring
from reelstack.adapters.media.transcoder import FfmpegTranscoder
from reelstack.adapters.media_bucket import MediaStorage, ObjectInfo
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, utc_now
from reelstack.domain.media import ffmpeg_ladder, heat
from reelstack.domain.media.backends import Backend, LambdaBudget
from reelstack.domain.media.failures import failure_from_error
from reelstack.domain.media.heat_backend import choose_heat_backend
from reelstack.domain.media.hls import parse_media_playlist
from reelstack.domain.media.media import MediaInfo, steady_frame_rate
from reelstack.domain.media.rendition_spec import RenditionSpec
from reelstack.domain.media.renditions import Plan, plan_renditions
from reelstack.domain.media.transcode_jobs import batch_job_name
from reelstack.domain.media.workflow import StageError
from reelstack.domain.storage.storage_tiers import PLAYABLE, tier_of
from reelstack.domain.videos import Playback, StageRun, Video, VideoStatus
from reelstack.errors import Conflict, InvalidRequest, NotFound, ReelstackError
from reelstack.observability import logger
from reelstack.services.media.heat_encode import HeatJob, HeatSource, encode_twins, heat_job_key
from reelstack.services.media.media_reclaim import MediaReclaimer
from reelstack.services.media.transcode import put_public_playlist

ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})


class HeatStages:
    def __init__(
        self,
        storage: MediaStorage,
        repos: Repositories,
        transcoder: FfmpegTranscoder,
        rendition_spec: RenditionSpec,
        scratch_root: str = "/tmp",
        upload_parallelism: int = 8,
        gpu_available: bool = False,
        regenerator: FfmpegTranscoder | None = None,
        reclaimer: MediaReclaimer | None = None,
    ) -> None:
        self.regenerator = regenerator or FfmpegTranscoder()  # the H.264 ladder, for regenerations
        self.storage = storage
        self.reclaimer = reclaimer or MediaReclaimer(storage)
        self.repos = repos
        self.transcoder = transcoder
        self.rendition_spec = rendition_spec
        self.scratch_root = scratch_root
        self.upload_parallelism = max(1, upload_parallelism)
        self.gpu_available = gpu_available  # GpuTranscoderImageUri is set: the NVENC container exists

    # -- Plan -----------------------------------------------------------------------------------------
    def prepare(self, document: heat.HeatDocument) -> HeatJob:
        """Check the video, pick the renditions to twin, locate the source, choose the backend."""
        codec = heat.check_codec(document.codec)
        video = self._published(document.video_id)
        playback = _playback(video)
        plan = self._ladder(video)
        if codec == heat.H264:
            return self._regeneration(video, playback, plan, document.renditions)
        published = {r["name"]: r for r in playback.renditions if r.get("codec") == heat.H264}
        chosen = heat.select_renditions(plan, published, document.renditions, document.min_height)
        for rendition in chosen:
            entry = published[rendition.name]
            if (int(entry["width"]), int(entry["height"])) != (rendition.width, rendition.height):
                raise Conflict(
                    f"{rendition.name} was published {entry['width']}x{entry['height']}, the ladder now plans "
                    f"{rendition.width}x{rendition.height}",
                    code="ladder_changed",
                )
        twins = heat.heat_plan(plan, chosen)
        top = next(r.name for r in plan.renditions if r.name in published)
        source = self._locate_source(video, plan, top)
        choice = choose_heat_backend(
            twins.renditions,
            source_pixels=plan.source.width * plan.source.height,
            source_frame_rate=plan.source.frame_rate,
            duration_s=plan.source.duration_s,
            source_bytes=source.size_bytes,
            audio_kbps=plan.audio.bitrate_kbps if plan.audio else 0,
            gpu_available=self.gpu_available,
        )
        twins = replace(
            twins,
            backend=choice.backend,
            backend_reason=choice.reason,
            estimated_encode_s=choice.estimated_encode_s,
            estimated_storage_mb=choice.estimated_storage_mb,
        )
        return HeatJob(video.video_id, codec, twins, source)

    def _regeneration(self, video: Video, playback: Playback, plan: Plan, names: list[str] | None) -> HeatJob:
        """The reclaimed rungs, made again on the Lambda from the original as ingest planned them; the
        original must be readable (the tiering restores it first: `original_archived` otherwise)."""
        chosen = heat.select_reclaimed(plan, (str(r["name"]) for r in playback.reclaimed), names)
        original = video.original_key or f"originals/{video.video_id}"
        if not _readable(self.storage, original):
            raise Conflict("the original must be restored before a regeneration", code="original_archived")
        regenerated = replace(
            heat.regeneration_plan(plan, chosen),
            backend=Backend.LAMBDA,
            backend_reason="a regeneration runs on the ffmpeg Lambda (the GPU container makes HEVC twins only)",
        )
        return HeatJob(
            video.video_id, heat.H264, regenerated, HeatSource(original, (), plan.source.size_bytes)
        )

    def plan(self, document: heat.HeatDocument) -> heat.HeatDocument:
        """The document gains `plan`: the backend (`lambda` | `gpu`) and why; for the GPU, the job's JSON
        is written first (`heat_job_key`) and `plan` names it, the source and the Batch jobs' name prefix
        (EncodeWithGpu's submission adds its task token's digest: `transcode_jobs.heat_gpu_job_request`)."""
        job = self.prepare(document)
        summary: dict[str, Any] = {
            "backend": job.plan.backend.value,
            "reason": job.plan.backend_reason,
            "estimated_encode_s": job.plan.estimated_encode_s,
            "estimated_storage_mb": job.plan.estimated_storage_mb,
            "renditions": [r.name for r in job.plan.renditions],
            "source_key": job.source.key,
        }
        if job.plan.backend is Backend.GPU:
            key = heat_job_key(job.video_id, job.codec)
            self._put_json(key, job.to_dict())
            summary |= {"job_key": key, "job_name": batch_job_name(job.video_id, f"heat-{job.codec}")}
        logger.info("heat planned", extra={"video_id": job.video_id, **summary})
        return document.model_copy(update={"plan": summary})

    # -- Encode (the ffmpeg Lambda) -------------------------------------------------------------------
    def encode(self, document: heat.HeatDocument) -> heat.HeatDocument:
        """Make and upload the twins here; the document gains `outputs` (variants, source, timings)."""
        job = self.prepare(document)  # checked again: the video may have changed since Plan
        outputs = encode_twins(
            self.storage,
            self.regenerator if job.codec == heat.H264 else self.transcoder,
            job,
            Backend.LAMBDA,
            scratch_root=self.scratch_root,
            upload_parallelism=self.upload_parallelism,
        )
        logger.info(
            "re-encoded",
            extra={
                "video_id": job.video_id,
                "codec": job.codec,
                "renditions": [r.name for r in job.plan.renditions],
                "source": job.source.key,
                "encode_seconds": outputs["encode_seconds"],
            },
        )
        return document.model_copy(update={"outputs": outputs})

    def _put_json(self, key: str, data: dict[str, Any]) -> None:
        os.makedirs(self.scratch_root, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="heat-job-", dir=self.scratch_root) as scratch:
            path = os.path.join(scratch, "job.json")
            with open(path, "w", encoding="utf-8") as file:
                json.dump(data, file, sort_keys=True)
            self.storage.upload_file(key, path, "application/json")

    def _published(self, video_id: str) -> Video:
        video = self.repos.get_video(video_id)
        if video is None:
            raise NotFound(f"no video {video_id}", code="video_not_found")
        if video.status != VideoStatus.PUBLISHED:
            raise Conflict(f"the video is {video.status.value}, not PUBLISHED", code="not_published")
        if tier_of(video.storage) not in PLAYABLE:
            raise Conflict(
                f"the video is {tier_of(video.storage).value}: restore it first", code="video_archived"
            )
        return video

    def _ladder(self, video: Video) -> Plan:
        """The ladder ingest planned for this video (the same pure function on the same facts)."""
        if not video.media:
            raise InvalidRequest("the video has no probed media facts", code="invalid_video")
        info = MediaInfo(**video.media)
        steady = replace(info, frame_rate=steady_frame_rate(info))
        return plan_renditions(video.video_id, steady, self.rendition_spec, LambdaBudget())

    def _locate_source(self, video: Video, plan: Plan, top: str) -> HeatSource:
        """The original if readable now, else the top H.264 rendition (its playlist and what it reads)."""
        original = video.original_key or f"originals/{video.video_id}"
        if _readable(self.storage, original):
            return HeatSource(original, (), plan.source.size_bytes)
        prefix = f"{plan.output_prefix}{top}/"
        objects = {o.key: o for o in self.storage.list_objects(prefix)}
        archived = Conflict(
            f"neither the original nor {top} can be read without a restore", code="source_archived"
        )
        playlist_key = f"{prefix}{ffmpeg_ladder.PLAYLIST}"
        if not _stored_readable(objects, playlist_key):
            raise archived
        uris = parse_media_playlist(self.storage.read(playlist_key).decode("utf-8")).resources
        escaping = [uri for uri in uris if _escapes(uri)]
        if escaping:
            raise InvalidRequest(
                f"the {top} playlist names {escaping[0]!r} outside its folder", code="invalid_playlist"
            )
        if not all(_stored_readable(objects, f"{prefix}{uri}") for uri in uris):
            raise archived
        size = sum(objects[f"{prefix}{uri}"].size for uri in set(uris)) + objects[playlist_key].size
        return HeatSource(playlist_key, tuple(dict.fromkeys(uris)), size)

    # -- UpdateMaster ---------------------------------------------------------------------------------
    def update_master(self, document: heat.HeatDocument) -> dict[str, Any]:
        """Merge the twins into the master playlist (written last), then list them on the video."""
        outputs = document.outputs
        if not outputs or not outputs.get("variants"):
            raise InvalidRequest(
                "the heat document has no encoded variants", code="invalid_workflow_document"
            )
        video = self._published(document.video_id)
        playback = _playback(video)
        variants = [heat.Variant.from_dict(v) for v in outputs["variants"]]
        existing = self.storage.read(playback.master_key).decode("utf-8")
        put_public_playlist(self.storage, playback.master_key, heat.merge_master(existing, variants))
        prefix = str(outputs.get("output_prefix") or f"renditions/{video.video_id}/")
        codec = str(outputs.get("codec") or heat.HEVC)
        added = [
            heat.twin_playback_entry(variant, str(raw["name"]), prefix, int(raw.get("bitrate") or 0), codec)
            for variant, raw in zip(variants, outputs["variants"], strict=True)
        ]
        renditions = heat.merge_renditions(playback.renditions, added)
        made = {entry["name"] for entry in added}
        reclaimed = tuple(r for r in playback.reclaimed if r.get("name") not in made)
        recorded = self.repos.update_video(
            video.video_id,
            [VideoStatus.PUBLISHED],
            iso(utc_now()),
            playback=replace(playback, renditions=renditions, reclaimed=reclaimed).to_dict(),
        )
        if not recorded:
            raise Conflict("the video left PUBLISHED while its master was updated", code="not_published")
        self._schedule_reclaim(prefix)
        return {
            "video_id": video.video_id,
            "codec": outputs.get("codec", heat.HEVC),
            "master_key": playback.master_key,
            "renditions": [entry["name"] for entry in added],
            "source_key": outputs.get("source_key"),
        }

    def _schedule_reclaim(self, prefix: str) -> None:
        """A twin written again (a second heat run) left its superseded media file: reclaim it once no
        cached playlist can name it (`services.media.media_reclaim`). Best effort: if this fails, the file
        stays until its prefix goes, as before."""
        try:
            self.reclaimer.schedule(prefix)
        except ReelstackError as error:
            logger.warning(
                "superseded media reclaim not scheduled", extra={"prefix": prefix, "error": str(error)}
            )

    # -- RecordFailure --------------------------------------------------------------------------------
    def record_failure(self, document: heat.HeatDocument, stage: str, error: StageError) -> dict[str, Any]:
        """A Catch ended here: the failure goes on the video's timeline; the video itself stays as it was
        (its H.264 ladder and master playlist are untouched until UpdateMaster succeeds)."""
        failure = failure_from_error(stage, error.error, error.cause)
        now = iso(utc_now())
        try:
            self.repos.append_stage_run(
                document.video_id, StageRun(f"Heat{stage}", now, now, "failed", failure.code)
            )
        except ReelstackError:
            logger.exception("could not record the heat failure", extra={"video_id": document.video_id})
        logger.warning(
            "high-heat re-encode failed",
            extra={
                "video_id": document.video_id,
                "failure": failure.to_dict(),
                "error": error.error,
                "cause": error.cause,
            },
        )
        return {"video_id": document.video_id, "codec": document.codec, "failure": failure.to_dict()}


def _playback(video: Video) -> Playback:
    if video.playback is None:
        raise Conflict("the video has no playback record", code="not_published")
    return video.playback


def _stored_readable(objects: Mapping[str, ObjectInfo], key: str) -> bool:
    """Listed, and in a class S3 reads without a restore."""
    found = objects.get(key)
    return found is not None and found.storage_class not in ARCHIVE_CLASSES


def _escapes(uri: str) -> bool:
    """A URI that is not a plain relative path under its playlist's folder (absolute, `..`, a scheme)."""
    parts = uri.split("/")
    return not uri or ":" in uri or uri.startswith("/") or any(p in ("", ".", "..") for p in parts)


def _readable(storage: MediaStorage, key: str) -> bool:
    """The object exists and can be read now (not archived, or restored)."""
    try:
        state = storage.restore_state(key)
    except NotFound:
        return False
    return state.storage_class not in ARCHIVE_CLASSES or state.restored
