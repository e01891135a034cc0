"""Making and uploading a video's HEVC twins from a planned heat job: shared by the ffmpeg Lambda
(Encode, `HevcTranscoder`: libx265) and the GPU container (`infra/containers/gpu-transcoder/run_job.py`,
NVENC), so both download the same source, check and measure the same way (`FfmpegTranscoder`) and
upload the same objects under the same keys.

A `HeatJob` is what the Plan stage decided: the twins' plan (`heat.heat_plan`, with the chosen backend
and its reason) and the source, either the original or the top H.264 rendition (its media playlist and
the file(s) it reads, relative to it). The GPU path gets it as JSON in the media bucket
(`heat_job_key`: `work/{video_id}/heat-{codec}.json`, expired by the work/ lifecycle rule).

`encode_twins` downloads the source, runs the transcoder, uploads media files then media playlists
(each tagged `visibility=public` by its own PUT; the transcoder's twins-only master is never uploaded)
and returns the workflow's `outputs`: one variant per twin, its peak raised to the measured peak and
its average measured (what UpdateMaster merges into the master playlist).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reelstack.adapters.media.transcoder import FfmpegTranscoder, TranscodeOutput
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media import heat
from reelstack.domain.media.backends import Backend
from reelstack.domain.media.hls import MeasuredBandwidth
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import heat_job_key as heat_job_key  # re-exported
from reelstack.errors import InvalidRequest
from reelstack.services.media.transcode import PUBLIC_TAGS, upload_batches, upload_in_parallel


@dataclass(frozen=True)
class HeatSource:
    """What the twins are made from: `key` (the original, or the top rendition's media playlist) and,
    for a playlist, the resources it reads (relative URIs under its folder)."""

    key: str
    resources: tuple[str, ...] = ()
    size_bytes: int = 0

    @property
    def is_playlist(self) -> bool:
        return self.key.endswith(".m3u8")


@dataclass(frozen=True)
class HeatJob:
    video_id: str
    codec: str
    plan: Plan  # the twins (`heat.heat_plan`), with the chosen backend and its reason
    source: HeatSource

    def to_dict(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "codec": self.codec,
            "plan": self.plan.to_dict(),
            "source": {
                "key": self.source.key,
                "resources": list(self.source.resources),
                "size_bytes": self.source.size_bytes,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeatJob:
        """The job back from JSON; malformed input is `invalid_heat_job`."""
        try:
            source = data["source"]
            job = cls(
                video_id=str(data["video_id"]),
                codec=heat.check_codec(str(data["codec"])),
                plan=Plan.from_dict(dict(data["plan"])),
                source=HeatSource(
                    str(source["key"]), tuple(str(r) for r in source["resources"]), int(source["size_bytes"])
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRequest(f"the heat job is malformed: {exc}", code="invalid_heat_job") from None
        if job.plan.video_id != job.video_id:
            raise InvalidRequest(
                f"the heat plan is for {job.plan.video_id}, not {job.video_id}", code="invalid_heat_job"
            )
        return job


def download_source(storage: MediaStorage, source: HeatSource, scratch: str) -> str:
    """The source under `scratch`: the original as one file, or the playlist beside what it reads."""
    if not source.is_playlist:
        path = os.path.join(scratch, "original")
        storage.download_to(source.key, path)
        return path
    prefix = source.key.rsplit("/", 1)[0]
    folder = os.path.join(scratch, "source", os.path.basename(prefix))
    os.makedirs(folder)
    playlist = os.path.join(folder, os.path.basename(source.key))
    storage.download_to(source.key, playlist)
    for uri in source.resources:  # only what the playlist reads: never a file an earlier encode left
        path = os.path.join(folder, *uri.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        storage.download_to(f"{prefix}/{uri}", path)
    return playlist


def encode_twins(
    storage: MediaStorage,
    transcoder: FfmpegTranscoder,
    job: HeatJob,
    backend: Backend,
    scratch_root: str = "/tmp",
    upload_parallelism: int = 8,
) -> dict[str, Any]:
    """Make the job's twins on `backend` (this process: the Lambda or the GPU container), upload them
    tagged public, and return the workflow's `outputs`."""
    twins = job.plan
    os.makedirs(scratch_root, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="heat-", dir=scratch_root)
    try:
        source = download_source(storage, job.source, scratch)
        out_dir = os.path.join(scratch, "out")
        os.makedirs(out_dir)
        made = transcoder.run(twins, source, out_dir)
        for batch in upload_batches(_without_master(made)):
            prefixed = [replace(f, key=f"{twins.output_prefix}{f.key}") for f in batch]
            upload_in_parallel(storage, prefixed, upload_parallelism, PUBLIC_TAGS)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = {result.name: result for result in made.renditions}
    variants = []
    for rendition in twins.renditions:
        result = results[rendition.name]
        variant = heat.variant_of(rendition, MeasuredBandwidth(result.peak_bitrate, result.bitrate))
        variants.append({"name": rendition.name, "bitrate": result.bitrate, **variant.to_dict()})
    return {
        "codec": job.codec,
        "backend": backend.value,
        "source_key": job.source.key,
        "output_prefix": twins.output_prefix,
        "variants": variants,
        "encode_seconds": made.encode_seconds,
    }


def _without_master(made: TranscodeOutput) -> TranscodeOutput:
    """The transcoder's own (twins-only) master is not served: UpdateMaster writes the merged one."""
    return replace(made, files=tuple(f for f in made.files if f.key != made.master_key), master_key="")
