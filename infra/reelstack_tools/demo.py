"""`reelstack demo`: the platform's main job on the local cloud, told step by step.

It starts a local cloud, makes a short test video with ffmpeg, uploads it in 1 MiB chunks (staged,
merged by the merge function) and in 8 MiB chunks (S3 multipart, merged by S3), interrupts a third
upload half-way and resumes it. Each original runs the ingest workflow (probe, plan, transcode to HLS,
moderate, publish); a clip showing a person is held for review and approved by a reviewer; a cut file
fails with its reason. ffprobe plays a published master playlist; viewers like and watch it, and the
author is notified. It ends with a summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from reelstack_tools.localcloud.client import CloudHandle
    from reelstack_tools.uploader.client import UploadResult

HELP = "run the platform's main job on the local cloud and show the result"
MiB = 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template", default="template.yaml", help="the SAM template to run (default: %(default)s)"
    )
    parser.add_argument("--seconds", type=int, default=12, help="length of the generated test video")
    parser.add_argument("--parallel", type=int, default=4, help="parallel chunk uploads")


@dataclass(frozen=True)
class DemoUpload:
    label: str
    result: UploadResult
    expected_status: str = "PUBLISHED"


def make_test_video(path: Path, seconds: int) -> Path:
    """A 720p clip with motion and a tone, at a bitrate that makes a file of several MiB."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
         "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


class Demo:
    """One demo run against one local cloud."""

    def __init__(
        self, console: Console, cloud: CloudHandle, video: Path, parallel: int, resume_dir: Path
    ) -> None:
        self.console = console
        self.cloud = cloud
        self.video = video
        self.token = cloud.token("demo-user")
        self.common: dict[str, Any] = {
            "api_url": cloud.api_url,
            "token": self.token,
            "parallel": parallel,
            "resume_dir": resume_dir,
        }

    def upload(self, tag: str, title: str, chunk_size: int, **extra: Any) -> UploadResult:
        """Upload the demo video tagged `tag`, with a progress bar unless a listener is given."""
        from reelstack_tools.uploader.client import upload_file
        from reelstack_tools.uploader.progress import RichProgress

        tags = ["demo", tag]
        if "progress" in extra:
            return upload_file(
                self.video, title=title, tags=tags, chunk_size=chunk_size, **extra, **self.common
            )
        with RichProgress(tag) as bar:
            return upload_file(
                self.video, title=title, tags=tags, chunk_size=chunk_size, progress=bar, **self.common
            )

    def interrupted_then_resumed(self) -> UploadResult:
        from reelstack_tools.uploader.errors import UploadInterrupted
        from reelstack_tools.uploader.progress import CancelAfterParts

        cancel = threading.Event()
        half = -(-self.video.stat().st_size // MiB) // 2
        try:
            self.upload(
                "resumed", "Resumed upload", MiB, progress=CancelAfterParts(half, cancel), cancel=cancel
            )
            self.console.print("[yellow]the upload finished before it could be interrupted")
        except UploadInterrupted as stopped:
            self.console.print(
                f"  interrupted after {stopped.parts_done} of {stopped.parts_total} chunks (upload {stopped.upload_id})"
            )
        resumed = self.upload("resumed", "Resumed upload", MiB)
        self.console.print(
            f"  resumed: {resumed.resumed_parts} chunks were already on the server, {resumed.parts_sent} sent now"
        )
        return resumed

    def finished_execution(self, video_id: str, timeout: float = 180) -> dict[str, Any] | None:
        sfn = self.cloud.client("stepfunctions")
        arn = self.cloud.arn("IngestStateMachine")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for execution in sfn.list_executions(stateMachineArn=arn)["executions"]:
                if execution["name"] == video_id and execution["status"] != "RUNNING":
                    return dict(execution)
            time.sleep(0.3)
        return None

    def video_record(self, video_id: str, token: str | None = None) -> dict[str, Any]:
        return dict(self.call("GET", f"/videos/{video_id}", token=token))

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.cloud.api_url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return {"http_status": error.code, **json.load(error)}

    def wait_for_status(
        self, video_id: str, statuses: tuple[str, ...], timeout: float = 180, token: str | None = None
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            record = self.video_record(video_id, token)
            if record["status"] in statuses or time.monotonic() > deadline:
                return record
            time.sleep(0.3)

    def review_and_approve(self, video: Path) -> UploadResult:
        """A clip showing a person: held for review, listed to a reviewer, approved, then published."""
        result = self.upload_file(video, "review", "A portrait (held for review)")
        held = self.wait_for_status(result.video_id, ("IN_REVIEW", "PUBLISHED", "FAILED", "REJECTED"))
        self.console.print(
            f"  video {result.video_id} is [bold]{held['status']}[/]: {'; '.join(held['moderation']['reasons'])}"
        )
        refused = self.call("GET", "/moderation/queue")
        self.console.print(
            f"  the uploader asks for the review queue: {refused['http_status']} {refused['code']}"
        )
        reviewer = self.cloud.token("rita", roles=["reviewer"])
        # The workflow files the review request through a queue: the video is IN_REVIEW a moment
        # before the request is in the reviewers' queue, so a reviewer sees it when it arrives.
        deadline = time.monotonic() + 60
        while True:
            queue = self.call("GET", "/moderation/queue", token=reviewer)
            listed = [item for item in queue.get("items", []) if item["video_id"] == result.video_id]
            if listed or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        for item in listed:
            frames = ", ".join(
                f"{f['label']} {f['score']:.2f} at {f['time_s']:.1f} s" for f in item["flagged_frames"]
            )
            self.console.print(
                f"  reviewer rita sees {item['video_id']} waiting since {item['waiting_since']}: {frames}"
            )
        decision = {"decision": "approve", "reason": "a portrait, nothing to hide"}
        answer = self.call("POST", f"/moderation/{result.video_id}/decision", decision, token=reviewer)
        self.console.print(f"  rita approves: {answer}")
        published = self.wait_for_status(result.video_id, ("PUBLISHED", "FAILED", "REJECTED"))
        self.console.print(f"  video {result.video_id} is [bold]{published['status']}[/]")
        return result

    def another_creators_take(self, creator: str, title: str, tag: str) -> str:
        """`creator` uploads the demo video under her own title; answers its id once PUBLISHED."""
        from reelstack_tools.uploader.client import upload_file

        token = self.cloud.token(creator)
        mine = {**self.common, "token": token}
        result = upload_file(self.video, title=title, tags=["demo", tag], chunk_size=8 * MiB, **mine)
        self.wait_for_status(result.video_id, ("PUBLISHED", "FAILED", "REJECTED"), token=token)
        return result.video_id

    def upload_file(self, video: Path, tag: str, title: str) -> UploadResult:
        from reelstack_tools.uploader.client import upload_file

        return upload_file(video, title=title, tags=["demo", tag], chunk_size=8 * MiB, **self.common)

    def play(self, video_id: str) -> bool:
        """ffprobe opens the master playlist a player would: every rendition, from the playback URL."""
        record = self.video_record(video_id)
        url = record.get("playback_url")
        if not url:
            self.console.print(f"  video {video_id} has no playback URL ({record['status']})")
            return False
        probed = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "json", url],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if probed.returncode != 0:
            self.console.print(f"  [red]ffprobe could not play {url}: {probed.stderr.strip()}")
            return False
        streams = json.loads(probed.stdout)["streams"]
        videos = sorted({(s["width"], s["height"]) for s in streams if s.get("width")}, reverse=True)
        audio = sorted({s["codec_name"] for s in streams if not s.get("width")})
        self.console.print(f"  playback_url {url}")
        self.console.print(
            "  ffprobe plays it: "
            + ", ".join(f"{w}x{h} h264" for w, h in videos)
            + (f" + {', '.join(audio)} audio" if audio else "")
        )
        for rendition in record["renditions"]:
            self.console.print(
                f"    {rendition['name']:>6}  {rendition['width']}x{rendition['height']}  "
                f"{rendition['bitrate'] / 1000:,.0f} kbps  CODECS={rendition['codecs']}"
            )
        return True

    def report(self, uploads: list[DemoUpload]) -> bool:
        """Each video with its execution's per-state timeline, then a summary table."""
        from rich.markup import escape
        from rich.table import Table

        from reelstack.adapters.workflow_executions import execution_timeline

        sfn = self.cloud.client("stepfunctions")
        table = Table(title="reelstack demo: summary")
        for column in ("upload", "video id", "chunks", "video status", "execution", "states"):
            table.add_column(column)
        as_expected = True
        for upload in uploads:
            result = upload.result
            execution = self.finished_execution(result.video_id)
            record = self.video_record(result.video_id)
            steps = execution_timeline(sfn, execution["executionArn"]) if execution else []
            status = execution["status"] if execution else "not started"
            timeline = " -> ".join(f"{s.name} ({s.outcome}, {(s.seconds or 0) * 1000:.0f} ms)" for s in steps)
            self.console.print(
                f"  {upload.label}: video {result.video_id} is [bold]{record['status']}[/]; execution {status}: {timeline}"
            )
            if record.get("failure"):
                failure = record["failure"]
                self.console.print(
                    f"    failed at {failure['stage']}: "
                    + escape(f"[{failure['code']}] {failure['message']}")
                )
            as_expected &= record["status"] == upload.expected_status
            table.add_row(
                upload.label,
                result.video_id[:12],
                f"{result.chunk_count} x {result.chunk_size / MiB:g} MiB",
                record["status"],
                status,
                " -> ".join(s.name for s in steps if not s.name.endswith("Failed")),
            )
        self.console.print()
        self.console.print(table)
        return as_expected


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from reelstack_tools.demo_feed import feed_step
    from reelstack_tools.demo_interactions import likes_and_plays
    from reelstack_tools.demo_media import faces_held_policy, photo_clip
    from reelstack_tools.demo_search import search_step
    from reelstack_tools.demo_social import social_step
    from reelstack_tools.demo_tiers import archive_and_restore, tiering_dry_run
    from reelstack_tools.localcloud.client import running_local_cloud

    console = Console(width=None if Console().is_terminal else 120)
    console.rule("[bold]reelstack demo")
    console.print("Starting the local cloud: the same template.yaml and handlers that `sam deploy` ships ...")
    with (
        tempfile.TemporaryDirectory(prefix="reelstack-demo-") as tmp,
        running_local_cloud(
            args.template,
            Path(tmp) / "cloud",
            extra_args=["--parameter", f"ModerationPolicy={faces_held_policy()}"],
        ) as cloud,
    ):
        console.print(f"  up in {cloud.startup_seconds:.1f} s")
        console.print(f"  HTTP API      {cloud.api_url}")
        console.print(f"  AWS endpoint  {cloud.aws_endpoint}  (S3, SQS, DynamoDB, Step Functions, Lambda)")
        console.print(f"  Redis         {cloud.redis_url}")
        video = make_test_video(Path(tmp) / "demo.mp4", args.seconds)
        console.print(
            f"\nffmpeg made a {args.seconds} s 720p test video: {video.stat().st_size / MiB:.1f} MiB\n"
        )
        demo = Demo(console, cloud, video, args.parallel, Path(tmp) / "resume")
        uploads: list[DemoUpload] = []
        console.rule("1. upload in 1 MiB chunks (staged objects, coalesced by the merge function)")
        uploads.append(DemoUpload("1 MiB chunks", demo.upload("staged", "Staged upload", MiB)))
        console.rule("2. upload in 8 MiB chunks (S3 multipart parts, merged by S3)")
        uploads.append(DemoUpload("8 MiB chunks", demo.upload("multipart", "Multipart upload", 8 * MiB)))
        console.rule("3. an upload interrupted half-way, then resumed")
        uploads.append(DemoUpload("interrupted + resumed", demo.interrupted_then_resumed()))
        console.rule("4. a clip showing a person: held for review, approved by a reviewer")
        console.print(
            "  (the demo's moderation policy also holds faces for a human; the clip shows NASA's public-domain "
            "portrait of astronaut Eileen Collins)"
        )
        portrait, _ = photo_clip(Path(tmp) / "portrait.mp4")
        uploads.append(DemoUpload("held, then approved", demo.review_and_approve(portrait)))
        console.rule("5. a file cut short in transit: refused with its reason")
        broken = Path(tmp) / "cut.mp4"
        broken.write_bytes(video.read_bytes()[: video.stat().st_size * 6 // 10])
        uploads.append(DemoUpload("cut file", demo.upload_file(broken, "broken", "A cut file"), "FAILED"))
        console.rule("6. every execution, per state (what `reelstack executions` shows)")
        as_expected = demo.report(uploads)
        console.rule("7. play a published video")
        played = demo.play(uploads[0].result.video_id)
        console.rule("8. likes and plays: instant answers from Redis, exact counts in DynamoDB")
        interactions = likes_and_plays(console, cloud, demo.call, uploads[0].result.video_id, demo.token)
        console.rule("9. storage tiers: the nightly tiering (a dry run), an archive, a play-time restore")
        tiers = tiering_dry_run(console, cloud, uploads[0].result.video_id)
        tiers &= archive_and_restore(console, demo.call, uploads[1].result.video_id, demo.token)
        console.rule("10. search: a word of a title, a tag, a title as it is typed, similar videos")
        found = search_step(
            console,
            demo.call,
            published=[u.result.video_id for u in uploads if u.expected_status == "PUBLISHED"],
            unsearchable={u.result.video_id for u in uploads if u.expected_status != "PUBLISHED"},
            second_take=lambda: demo.another_creators_take("maya", "Staged upload, second take", "staged"),
        )
        console.rule(
            "11. the home feed: a new viewer, the same viewer after three likes, search down and back"
        )
        fed = feed_step(console, cloud, demo.call)
        console.rule("12. follows, comments and shares: a held comment approved, a reply, the following tab")
        social = social_step(
            console,
            cloud,
            demo.call,
            demo.token,
            [u.result.video_id for u in uploads if u.expected_status == "PUBLISHED"],
        )
        console.print(
            "\nThree uploads of the same video reached S3 through presigned chunk URLs checked chunk by chunk "
            "(SHA-256), one resumed after an interruption. Each original ran one ingest execution: probe, "
            "plan, one-decode transcode to an HLS fMP4 ladder, NudeNet moderation, publish (VideoPublished "
            "on EventBridge). The portrait waited for a reviewer; the cut file failed at Probe with its code. "
            "Likes and plays answered from Redis and became exact counts in DynamoDB through their queues. "
            "The nightly tiering said what it would do with each video and why; an archived video kept "
            "playing at low quality while Glacier restored it. Every published video reached the OpenSearch "
            "node through the indexer and was found by a word, a tag and as a title was typed; the failed "
            "one never was. The home feed gave a new viewer popular and new videos, leaned to #cats after "
            "three likes, served the cached hot list while search was down and became personal again. A viewer "
            "followed the creator, a comment the text moderation held was approved by a reviewer, the "
            "creator's reply reached the viewer, and a share link opened the video without signing in."
        )
        steps = {
            "uploads and executions": as_expected,
            "playback": played,
            "likes and plays": interactions,
            "storage tiers": tiers,
            "search": found,
            "home feed": fed,
            "follows, comments and shares": social,
        }
        failed = [name for name, ok in steps.items() if not ok]
        if failed:
            console.print(f"\n[bold red]Not as expected:[/] {', '.join(failed)}")
        return 1 if failed else 0
