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
from pathlib import Path
from typing import Any

from reelstack_tools.uploader.progress import ProgressListener

HELP = "run the platform's main job on the local cloud and show the result"
MiB = 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template", default="template.yaml", help="the SAM template to run (default: %(default)s)"
    )
    parser.add_argument("--seconds", type=int, default=12, help="length of the generated test video")
    parser.add_argument("--parallel", type=int, default=4, help="parallel chunk uploads")


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


class _StopHalfway(ProgressListener):
    """Sets the cancel event once enough chunks are in: the demo's 'dropped connection'."""

    def __init__(self, cancel: threading.Event, after_parts: int) -> None:
        self.cancel = cancel
        self.after_parts = after_parts
        self.done = 0
        self.lock = threading.Lock()

    def part_done(self, part_number: int, nbytes: int) -> None:
        with self.lock:
            self.done += 1
            if self.done >= self.after_parts:
                self.cancel.set()


def _wait_for_execution(cloud: Any, video_id: str, timeout: float = 60) -> dict[str, Any] | None:
    sfn = cloud.client("stepfunctions")
    arn = cloud.arn("IngestStateMachine")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for execution in sfn.list_executions(stateMachineArn=arn)["executions"]:
            if execution["name"] == video_id and execution["status"] != "RUNNING":
                return dict(execution)
        time.sleep(0.3)
    return None


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from reelstack_tools.executions import execution_timeline
    from reelstack_tools.localcloud.client import running_local_cloud
    from reelstack_tools.uploader.client import upload_file
    from reelstack_tools.uploader.errors import UploadInterrupted
    from reelstack_tools.uploader.progress import RichProgress

    console = Console()
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
        size = video.stat().st_size
        console.print(f"\nffmpeg made a {args.seconds} s 720p test video: {size / MiB:.1f} MiB\n")
        token = cloud.token("demo-user")
        common = {
            "api_url": cloud.api_url,
            "token": token,
            "parallel": args.parallel,
            "resume_dir": Path(tmp) / "resume",
        }
        results: list[tuple[str, Any]] = []

        console.rule("1. upload in 1 MiB chunks (staged objects, coalesced by the merge function)")
        with RichProgress("1 MiB chunks") as bar:
            results.append(
                (
                    "1 MiB chunks",
                    upload_file(
                        video,
                        title="Staged upload",
                        tags=["demo", "staged"],
                        chunk_size=MiB,
                        progress=bar,
                        **common,
                    ),
                )
            )

        console.rule("2. upload in 8 MiB chunks (S3 multipart parts, merged by S3)")
        with RichProgress("8 MiB chunks") as bar:
            results.append(
                (
                    "8 MiB chunks",
                    upload_file(
                        video,
                        title="Multipart upload",
                        tags=["demo", "multipart"],
                        chunk_size=8 * MiB,
                        progress=bar,
                        **common,
                    ),
                )
            )

        console.rule("3. an upload interrupted half-way, then resumed")
        cancel = threading.Event()
        total_chunks = -(-size // MiB)
        stopper = _StopHalfway(cancel, after_parts=total_chunks // 2)
        try:
            upload_file(
                video,
                title="Resumed upload",
                tags=["demo", "resumed"],
                chunk_size=MiB,
                progress=stopper,
                cancel=cancel,
                **common,
            )
            console.print("[yellow]the upload finished before it could be interrupted")
        except UploadInterrupted as stopped:
            console.print(
                f"  interrupted after {stopped.parts_done} of {stopped.parts_total} chunks "
                f"(upload {stopped.upload_id})"
            )
        with RichProgress("resuming") as bar:
            resumed = upload_file(
                video,
                title="Resumed upload",
                tags=["demo", "resumed"],
                chunk_size=MiB,
                progress=bar,
                **common,
            )
        console.print(
            f"  resumed: {resumed.resumed_parts} chunks were already on the server, "
            f"{resumed.parts_sent} sent now"
        )
        results.append(("interrupted + resumed", resumed))

        console.rule("4. each original starts one ingest execution (named after the video)")
        sfn = cloud.client("stepfunctions")
        table = Table(title="reelstack demo: summary")
        for column in ("upload", "video id", "chunks", "resumed", "video status", "execution", "states"):
            table.add_column(column)
        all_good = True
        for label, result in results:
            execution = _wait_for_execution(cloud, result.video_id)
            request = urllib.request.Request(
                f"{cloud.api_url}/videos/{result.video_id}", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request) as response:
                record = json.load(response)
            steps = execution_timeline(sfn, execution["executionArn"]) if execution else []
            timeline = " -> ".join(f"{s.name} ({s.outcome}, {(s.seconds or 0) * 1000:.0f} ms)" for s in steps)
            console.print(
                f"  {label}: video {result.video_id} is [bold]{record['status']}[/]; execution "
                f"{execution['status'] if execution else 'not started'}: {timeline}"
            )
            all_good &= bool(execution and execution["status"] == "SUCCEEDED")
            table.add_row(
                label,
                result.video_id[:12],
                f"{result.chunk_count} x {result.chunk_size // MiB} MiB",
                str(result.resumed_parts),
                record["status"],
                execution["status"] if execution else "-",
                " -> ".join(s.name for s in steps),
            )
        console.print()
        console.print(table)
        console.print(
            "Three uploads of the same video reached S3 as one merged original each, through presigned "
            "chunk URLs that S3 checked chunk by chunk (SHA-256). Each original started exactly one ingest "
            "workflow execution, which admitted the video for processing (status PROCESSING). The "
            "interrupted upload resumed by asking the server which chunks S3 already held."
        )
        return 0 if all_good else 1
