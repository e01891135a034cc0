"""`reelstack demo`: the platform's main job on the local cloud, told step by step.

It starts a local cloud, makes a short test video with ffmpeg, uploads it in 1 MiB chunks (staged,
merged by the merge function) and in 8 MiB chunks (S3 multipart, merged by S3), interrupts a third
upload half-way and resumes it, then shows each video with its ingest execution.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import time
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

    def finished_execution(self, video_id: str, timeout: float = 60) -> dict[str, Any] | None:
        sfn = self.cloud.client("stepfunctions")
        arn = self.cloud.arn("IngestStateMachine")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for execution in sfn.list_executions(stateMachineArn=arn)["executions"]:
                if execution["name"] == video_id and execution["status"] != "RUNNING":
                    return dict(execution)
            time.sleep(0.3)
        return None

    def video_record(self, video_id: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.cloud.api_url}/videos/{video_id}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request) as response:
            return dict(json.load(response))

    def report(self, uploads: list[DemoUpload]) -> bool:
        """Each video with its execution's per-state timeline, then a summary table."""
        from rich.table import Table

        from reelstack_tools.executions import execution_timeline

        sfn = self.cloud.client("stepfunctions")
        table = Table(title="reelstack demo: summary")
        for column in ("upload", "video id", "chunks", "resumed", "video status", "execution", "states"):
            table.add_column(column)
        all_succeeded = True
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
            all_succeeded &= status == "SUCCEEDED"
            table.add_row(
                upload.label,
                result.video_id[:12],
                f"{result.chunk_count} x {result.chunk_size / MiB:g} MiB",
                str(result.resumed_parts),
                record["status"],
                status,
                " -> ".join(s.name for s in steps),
            )
        self.console.print()
        self.console.print(table)
        return all_succeeded


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from reelstack_tools.localcloud.client import running_local_cloud

    console = Console(width=None if Console().is_terminal else 120)
    console.rule("[bold]reelstack demo")
    console.print("Starting the local cloud: the same template.yaml and handlers that `sam deploy` ships ...")
    with (
        tempfile.TemporaryDirectory(prefix="reelstack-demo-") as tmp,
        running_local_cloud(args.template, Path(tmp) / "cloud") as cloud,
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
        console.rule("4. each original starts one ingest execution (named after the video)")
        all_succeeded = demo.report(uploads)
        console.print(
            "Three uploads of the same video reached S3 as one merged original each, through presigned "
            "chunk URLs that S3 checked chunk by chunk (SHA-256). Each original started exactly one ingest "
            "workflow execution, which admitted the video for processing (status PROCESSING). The "
            "interrupted upload resumed by asking the server which chunks S3 already held."
        )
        return 0 if all_succeeded else 1
