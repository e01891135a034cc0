"""End to end: a real video made by ffmpeg, uploaded by the `reelstack upload` CLI, into the workflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def real_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=4",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:v", "libx264", "-b:v", "4M",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def cli_upload(local_cloud: Any, video: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    env = dict(os.environ, REELSTACK_STATE_DIR=str(tmp_path))
    command = [sys.executable, "-m", "reelstack_tools.cli", "upload", str(video), "--api", local_cloud.api_url,
               "--token", local_cloud.token("carol"), "--json", "--quiet", *extra]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def finished_status(sfn: Any, execution_arn: str, timeout: float = 240) -> str:
    """The execution's final status, waiting while S3 -> SQS -> trigger starts it and it runs."""
    deadline = time.monotonic() + timeout
    status = "NOT_STARTED"
    while time.monotonic() < deadline:
        try:
            status = sfn.describe_execution(executionArn=execution_arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            status = "NOT_STARTED"
        if status not in ("NOT_STARTED", "RUNNING"):
            break
        time.sleep(0.2)
    return str(status)


def served_bitrate(playlist_url: str, tmp_path: Path) -> float:
    """Bits per second of the rendition as served: its media file's bytes (fetched through the CDN) over
    the duration ffprobe reads from those bytes."""
    with urllib.request.urlopen(playlist_url, timeout=30) as response:
        playlist = response.read().decode()
    (media,) = {
        line.split('URI="', 1)[1].split('"', 1)[0] for line in playlist.splitlines() if 'URI="' in line
    }
    path = tmp_path / "served.mp4"
    with urllib.request.urlopen(playlist_url.rsplit("/", 1)[0] + f"/{media}", timeout=30) as response:
        path.write_bytes(response.read())
    duration = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    return path.stat().st_size * 8 / float(duration)


@pytest.mark.parametrize("chunk_size", ["1MiB", "5MiB"])
def test_a_real_video_uploaded_by_the_cli_is_published_by_its_workflow(
    local_cloud: Any, real_video: Path, tmp_path: Path, chunk_size: str
) -> None:
    # GIVEN a real H.264/AAC video made by ffmpeg
    # WHEN the CLI uploads it with titles and tags
    result = cli_upload(local_cloud, real_video, tmp_path, "--title", "Real clip", "--tags", "e2e,ffmpeg",
                        "--chunk-size", chunk_size, "--parallel", "3")  # fmt: skip
    # THEN the ingest execution named after the video runs to the end: the video is published
    sfn = local_cloud.client("stepfunctions")
    arn = f"{local_cloud.arn('IngestStateMachine').replace(':stateMachine:', ':execution:')}:{result['video_id']}"
    assert finished_status(sfn, arn) == "SUCCEEDED"
    # AND the merged original in S3 is byte-identical to the file
    s3 = local_cloud.client("s3")
    stored = s3.get_object(Bucket=local_cloud.name("MediaBucket"), Key=f"originals/{result['video_id']}")
    assert stored["Body"].read() == real_video.read_bytes()
    video = (
        Api(local_cloud.api_url, local_cloud.token("carol")).call("GET", f"/videos/{result['video_id']}").body
    )
    assert (video["status"], video["title"], video["tags"]) == ("PUBLISHED", "Real clip", ["e2e", "ffmpeg"])
    assert video["size"] == real_video.stat().st_size
    assert [run["stage"] for run in video["timeline"]] == [
        "Admit", "Probe", "Plan", "Transcode", "Moderate", "Publish",
    ]  # fmt: skip
    assert all(run["outcome"] == "succeeded" for run in video["timeline"])
    # AND a player gets the 360p rendition (never upscaled) with its audio from the playback URL
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "json", video["playback_url"]],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    streams = json.loads(probed)["streams"]
    assert {(s["codec_name"], s.get("width"), s.get("height")) for s in streams} == {
        ("h264", 640, 360), ("aac", None, None),
    }  # fmt: skip
    (rendition,) = video["renditions"]
    assert {key: value for key, value in rendition.items() if key != "bitrate"} == {
        "name": "360p", "width": 640, "height": 360, "codec": "h264", "codecs": "avc1.64001e,mp4a.40.2",
    }  # fmt: skip
    # AND its reported bitrate is what the served media file measures: its bytes over ffprobe's duration
    # (the init section, a few hundred bytes, is all that separates the two)
    measured = served_bitrate(video["playback_url"].rsplit("/", 1)[0] + "/360p/playlist.m3u8", tmp_path)
    assert rendition["bitrate"] == pytest.approx(measured, rel=0.05), (rendition["bitrate"], measured)
    with urllib.request.urlopen(video["poster_url"], timeout=10) as poster:
        assert poster.read(3) == b"\xff\xd8\xff"
