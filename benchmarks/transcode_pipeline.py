"""Parts (b) and (c) of `benchmarks/transcode.py`: the whole workflow's overhead, and moderation's speed.

(b) From `complete` to PUBLISHED for a 15 s 1080p clip on the local cloud (S3 event -> SQS -> trigger
    -> Step Functions -> Admit, Probe, Plan, Transcode, Moderate, Publish Lambdas, their S3 transfers
    and records) against the raw ffmpeg ladder for the same clip (the Transcode stage's own encode,
    `FfmpegTranscoder.run`, poster and sprite included, no cloud). One warm-up video first: deployed
    Lambdas stay warm between videos, and cold starts are a separate matter. Best of N each.
(c) Moderation: milliseconds per frame of the detector (NudeNet), and per video: on the pipeline's
    path (candidate stills kept by the transcode's decode, picked and scored) and on the fallback path
    for MediaConvert/GPU outputs (a scene pass and stills from the original, then scoring).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelstack.adapters.media.keyframes import KeyframeSampler
from reelstack.adapters.media.nudity_detector import NudeNetDetector
from reelstack.adapters.media.probe import probe_file
from reelstack.adapters.media.transcoder import FfmpegTranscoder
from reelstack.domain.media.backends import LambdaBudget
from reelstack.domain.media.moderation import DEFAULT_POLICY, pick_stills
from reelstack.domain.media.rendition_spec import RenditionSpec
from reelstack.domain.media.renditions import plan_renditions

OVERHEAD_TARGET = 1.25  # complete -> PUBLISHED at most 1.25 x the raw ladder
MiB = 1024 * 1024


@dataclass(frozen=True)
class PipelineRun:
    seconds: float  # complete -> PUBLISHED
    stages: dict[str, float]  # the video's timeline: seconds per stage


def raw_ladder_seconds(source: Path, work: Path, runs: int) -> float:
    """Best of `runs`: the Transcode stage's encode alone (one decode, ladder, poster, sprite)."""
    plan = plan_renditions("bench", probe_file(str(source)), RenditionSpec(), LambdaBudget())
    best = float("inf")
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(dir=work))
        started = time.perf_counter()
        FfmpegTranscoder().run(plan, str(source), str(out))
        best = min(best, time.perf_counter() - started)
        shutil.rmtree(out, ignore_errors=True)
    return best


def _video(api_url: str, token: str, video_id: str) -> dict:
    request = urllib.request.Request(
        f"{api_url}/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as response:
        return dict(json.load(response))


def _stage_seconds(video: dict) -> dict[str, float]:
    from reelstack.clock import parse_iso

    return {
        run["stage"]: (parse_iso(run["ended_at"]) - parse_iso(run["started_at"])).total_seconds()
        for run in video.get("timeline", [])
    }


def published_queue(cloud: Any) -> str:
    """An SQS queue subscribed to VideoPublished: the benchmark waits on it (long polls) instead of
    polling the API, whose requests would take CPU from the very stages being measured."""
    sqs, events = cloud.client("sqs"), cloud.client("events")
    url = str(sqs.create_queue(QueueName="bench-video-published")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["reelstack.videos"], "detail-type": ["VideoPublished"]}
    events.put_rule(Name="bench-video-published", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="bench-video-published", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def publish_once(cloud: Any, queue_url: str, source: Path, token: str, resume_dir: Path) -> PipelineRun:
    """Upload the clip (8 MiB parts), then time from the `complete` call to its VideoPublished event."""
    from reelstack_tools.uploader.client import upload_file

    sqs = cloud.client("sqs")
    result = upload_file(
        source, api_url=cloud.api_url, token=token, title="bench", tags=["bench"], chunk_size=8 * MiB,
        parallel=4, resume_dir=resume_dir,
    )  # fmt: skip
    completed_at = time.monotonic() - result.complete_seconds
    deadline = completed_at + 600
    while time.monotonic() < deadline:
        received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=20, MaxNumberOfMessages=1)
        for message in received.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if json.loads(message["Body"])["detail"]["video_id"] == result.video_id:
                seconds = time.monotonic() - completed_at
                time.sleep(0.5)  # Publish appends its own run to the timeline as it returns
                video = _video(cloud.api_url, token, result.video_id)
                return PipelineRun(seconds, _stage_seconds(video))
        video = _video(cloud.api_url, token, result.video_id)
        if video["status"] in ("FAILED", "REJECTED", "IN_REVIEW"):
            raise RuntimeError(f"the benchmark video ended {video['status']}: {video.get('failure')}")
    raise RuntimeError("the benchmark video was not published in time")


def part_b(args: argparse.Namespace, work: Path, source: Path) -> bool:
    from reelstack_tools.localcloud.testing import running_local_cloud

    raw = raw_ladder_seconds(source, work, args.runs)
    runs: list[PipelineRun] = []
    with running_local_cloud("template.yaml", work / "cloud") as cloud:
        token, queue_url = cloud.token("bench"), published_queue(cloud)
        publish_once(cloud, queue_url, source, token, work / "resume")  # warm-up: each stage's Lambda started
        for _ in range(args.runs):
            runs.append(publish_once(cloud, queue_url, source, token, work / "resume"))
    best = min(runs, key=lambda run: run.seconds)
    ratio = best.seconds / raw
    print(
        f"(b) pipeline overhead: {args.seconds:g} s 1080p30 clip, best of {args.runs} (after one warm-up video)"
    )
    print(f"  raw ffmpeg ladder (transcoder alone):      {raw:.2f} s")
    print(f"  complete -> PUBLISHED on the local cloud:  {best.seconds:.2f} s")
    print("  stages: " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in best.stages.items()))
    outside = best.seconds - sum(best.stages.values())
    print(f"  between stages (S3 event, queue, trigger, Step Functions transitions): {outside:.2f} s")
    verdict = "met" if ratio <= OVERHEAD_TARGET else "NOT met"
    print(f"  -> ratio pipeline / raw ladder {ratio:.3f} against target <= {OVERHEAD_TARGET}: {verdict}")
    return ratio <= OVERHEAD_TARGET


def part_c(args: argparse.Namespace, work: Path, source: Path) -> bool:
    """Detector ms per frame; per video on the pipeline's path (stills the transcode's decode kept,
    picked and scored) and on the fallback path (MediaConvert/GPU outputs: sample the original)."""
    sampler, detector = KeyframeSampler(), NudeNetDetector()
    loaded = time.perf_counter()
    detector.warm_up()
    load_ms = (time.perf_counter() - loaded) * 1000
    plan = plan_renditions("bench", probe_file(str(source)), RenditionSpec(), LambdaBudget())
    out = Path(tempfile.mkdtemp(dir=work))
    candidates = FfmpegTranscoder(moderation=DEFAULT_POLICY).run(plan, str(source), str(out)).stills
    per_frame = from_stills = from_original = float("inf")
    scored = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        chosen = [
            candidates[i]
            for i in pick_stills(plan.source.duration_s, [t for t, _ in candidates], DEFAULT_POLICY)
        ]
        scoring = time.perf_counter()
        detector.scores([path for _, path in chosen])
        ended = time.perf_counter()
        scored = len(chosen)
        per_frame = min(per_frame, (ended - scoring) / max(1, scored))
        from_stills = min(from_stills, ended - started)
        frames_dir = Path(tempfile.mkdtemp(dir=work))
        started = time.perf_counter()
        stills = sampler.keyframes(
            str(source), str(frames_dir), DEFAULT_POLICY.max_frames, DEFAULT_POLICY.min_gap_s
        )
        detector.scores([path for _, path in stills])
        from_original = min(from_original, time.perf_counter() - started)
        shutil.rmtree(frames_dir, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    print(
        f"(c) moderation of the {args.seconds:g} s 1080p clip (NudeNet, default policy), best of {args.runs}"
    )
    print(f"  model load (once per Lambda container): {load_ms:.0f} ms")
    print(f"  NudeNet: {per_frame * 1000:.1f} ms per frame")
    print(
        f"  per video, pipeline path ({len(candidates)} candidate stills from the transcode's decode, "
        f"{scored} scored): {from_stills * 1000:.0f} ms"
    )
    print(
        f"  per video, fallback path (scene pass + stills from the original): {from_original * 1000:.0f} ms"
    )
    print(f"  -> the pipeline path takes {from_stills / from_original:.3f} of the fallback's time")
    return True
