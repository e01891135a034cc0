"""The upload client against the local cloud: both chunk paths, cancel + resume, Ctrl-C, and its memory bound.

Needs the session fixture ``local_cloud`` (``.api_url``, ``.token(user, roles=())``) from tests/conftest.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from reelstack_tools.uploader import UploadInterrupted, upload_file
from reelstack_tools.uploader.api import ApiClient
from reelstack_tools.uploader.progress import CancelAfterParts
from reelstack_tools.uploader.resume import ResumeKey, ResumeStore
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
REPO = Path(__file__).resolve().parents[3]


def write_video(path: Path, size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        left = size
        while left:
            block = rng.randbytes(min(left, 4 * MiB))
            handle.write(block)
            digest.update(block)
            left -= len(block)
    return digest.digest()


@pytest.fixture()
def alice_token(local_cloud: Any) -> str:
    return str(local_cloud.token("alice"))


@pytest.fixture()
def api(local_cloud: Any, alice_token: str) -> ApiClient:
    return ApiClient(local_cloud.api_url, alice_token)


def test_one_mib_chunks_are_staged_and_completed(
    tmp_path: Path, local_cloud: Any, alice_token: str, api: ApiClient
) -> None:
    # GIVEN a 3.5 MiB video and 1 MiB chunks (staged; the whole-file SHA-256 is declared by default)
    video = tmp_path / "staged.mp4"
    digest = write_video(video, int(3.5 * MiB), seed=11)
    # WHEN it is uploaded with 4 chunks in flight
    result = upload_file(
        video,
        api_url=local_cloud.api_url,
        token=alice_token,
        title="Staged clip",
        tags=["cats", "demo"],
        chunk_size="1MiB",
        parallel=4,
        resume_dir=tmp_path / "records",
    )
    # THEN every chunk went up once, complete was accepted (202), and the declared digest is the file's
    assert (result.mode, result.chunk_count, result.parts_sent, result.resumed_parts) == ("staged", 4, 4, 0)
    assert result.bytes == result.bytes_sent == int(3.5 * MiB)
    assert result.sha256 == digest.hex()
    assert result.upload_status in ("MERGING", "COMPLETED")
    # AND the merge completes the upload, the video carries the title and tags, and no resume record is left
    assert wait_for(lambda: api.get_upload(result.upload_id).status == "COMPLETED", timeout=90)
    video_record = api.get_video(result.video_id)
    assert (video_record.title, video_record.tags) == ("Staged clip", ("cats", "demo"))
    assert result.video_url.endswith(f"/videos/{result.video_id}")
    assert not list((tmp_path / "records").glob("*.json"))


def test_eight_mib_chunks_are_multipart_parts_merged_by_s3(
    tmp_path: Path, local_cloud: Any, alice_token: str, api: ApiClient
) -> None:
    # GIVEN a 17 MiB (+ a few bytes) video and 8 MiB chunks
    video = tmp_path / "multipart.mp4"
    write_video(video, 17 * MiB + 123, seed=12)
    # WHEN uploaded
    result = upload_file(
        video,
        api_url=local_cloud.api_url,
        token=alice_token,
        title="Multipart clip",
        tags=["demo"],
        chunk_size=8 * MiB,
        parallel=4,
        resume_dir=tmp_path / "records",
    )
    # THEN it went as 3 multipart parts, no whole-file digest (S3 checks each part), merged by S3 at once
    assert (result.mode, result.chunk_count, result.parts_sent) == ("multipart", 3, 3)
    assert result.sha256 is None
    assert result.upload_status == "COMPLETED"
    state = api.get_upload(result.upload_id)
    assert (state.status, state.missing_parts) == ("COMPLETED", ())
    assert api.get_video(result.video_id).title == "Multipart clip"


def test_an_interrupted_upload_resumes_with_only_the_missing_chunks(
    tmp_path: Path, local_cloud: Any, alice_token: str, api: ApiClient
) -> None:
    # GIVEN a 10 MiB video in 1 MiB chunks, cancelled from another thread after 3 chunks are in
    video = tmp_path / "resume.mp4"
    write_video(video, 10 * MiB + 7, seed=13)
    records = tmp_path / "records"
    cancel = threading.Event()
    common: dict[str, Any] = {
        "api_url": local_cloud.api_url,
        "token": alice_token,
        "title": "Resumed",
        "tags": ["resume"],
        "chunk_size": MiB,
        "parallel": 2,
        "resume_dir": records,
    }
    with pytest.raises(UploadInterrupted) as interrupted:
        upload_file(video, progress=CancelAfterParts(3, cancel), cancel=cancel, **common)
    upload_id = interrupted.value.upload_id
    assert upload_id is not None
    # WHEN the server is asked what it holds
    state = api.get_upload(upload_id)
    # THEN the upload is still open with some chunks in and the rest missing, and the resume record is kept
    assert state.status == "OPEN"
    assert len(state.received_parts) >= 3 and state.missing_parts
    assert interrupted.value.parts_done == len(state.received_parts)
    assert ResumeStore(records).load(ResumeKey.for_file(video, MiB)) is not None
    # WHEN the same upload is run again
    result = upload_file(video, **common)
    # THEN it continues the same upload, sending only what was missing, and completes
    missing_bytes = sum(min(MiB, 10 * MiB + 7 - (p - 1) * MiB) for p in state.missing_parts)
    assert result.upload_id == upload_id
    assert result.resumed_parts == len(state.received_parts)
    assert result.parts_sent == len(state.missing_parts) == result.chunk_count - result.resumed_parts
    assert result.bytes_sent == missing_bytes
    assert result.upload_status in ("MERGING", "COMPLETED")
    assert ResumeStore(records).load(ResumeKey.for_file(video, MiB)) is None


def test_a_record_of_an_aborted_upload_starts_a_new_one(
    tmp_path: Path, local_cloud: Any, alice_token: str, api: ApiClient
) -> None:
    # GIVEN an interrupted upload that was then aborted on the server
    video = tmp_path / "aborted.mp4"
    write_video(video, 6 * MiB, seed=14)
    cancel = threading.Event()
    common: dict[str, Any] = {
        "api_url": local_cloud.api_url,
        "token": alice_token,
        "title": "Again",
        "chunk_size": MiB,
        "parallel": 1,
        "resume_dir": tmp_path / "records",
    }
    with pytest.raises(UploadInterrupted) as interrupted:
        upload_file(video, progress=CancelAfterParts(1, cancel), cancel=cancel, **common)
    assert interrupted.value.upload_id is not None
    api.abort(interrupted.value.upload_id)
    # WHEN the same upload is run again
    result = upload_file(video, **common)
    # THEN the stale record is dropped and a fresh upload sends every chunk
    assert result.upload_id != interrupted.value.upload_id
    assert (result.resumed_parts, result.parts_sent) == (0, 6)


def cli_env(local_cloud: Any, token: str, state_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO / "infra"), str(REPO / "layers" / "shared" / "python"), env.get("PYTHONPATH", "")]
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in paths if p),
        REELSTACK_API=local_cloud.api_url,
        REELSTACK_TOKEN=token,
        REELSTACK_STATE_DIR=str(state_dir),
    )
    return env


MEASURE_CHILD = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def test_the_cli_peak_memory_stays_under_64_mib_plus_its_chunk_buffers(
    tmp_path: Path, local_cloud: Any, alice_token: str
) -> None:
    # GIVEN a 64 MiB video, 8 MiB chunks, 4 in flight: the bound is 64 MiB + 8 MiB x 4
    video = tmp_path / "big.mp4"
    write_video(video, 64 * MiB, seed=15)
    chunk, parallel = 8 * MiB, 4
    # WHEN `reelstack upload` runs in a child process (its own child, so RUSAGE_CHILDREN sees only it)
    command = [sys.executable, "-m", "reelstack_tools.cli", "upload", str(video), "--title", "Big"]
    command += ["--chunk-size", "8MiB", "--parallel", str(parallel)]
    run = subprocess.run(
        [sys.executable, "-c", MEASURE_CHILD, *command],
        env=cli_env(local_cloud, alice_token, tmp_path / "state"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    # THEN it succeeds, and its peak RSS (KiB on Linux) stays under the bound
    assert run.returncode == 0, run.stderr
    assert "see it: GET " in run.stdout
    peak = int(run.stderr.strip().splitlines()[-1]) * 1024
    assert peak < 64 * MiB + chunk * parallel, f"peak RSS {peak / MiB:.1f} MiB"


def test_the_cli_json_summary(tmp_path: Path, local_cloud: Any, alice_token: str) -> None:
    # GIVEN a small video WHEN uploaded with --json
    video = tmp_path / "small.mp4"
    write_video(video, 2 * MiB + 1, seed=16)
    command = [sys.executable, "-m", "reelstack_tools.cli", "upload", str(video), "--tags", "a,b"]
    command += ["--chunk-size", "1MiB", "--json"]
    run = subprocess.run(
        command,
        env=cli_env(local_cloud, alice_token, tmp_path / "state"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN stdout is one JSON summary with the documented keys
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    for key in ("upload_id", "video_id", "status", "bytes", "seconds", "resumed_parts"):
        assert key in summary
    assert (summary["bytes"], summary["resumed_parts"], summary["mode"]) == (2 * MiB + 1, 0, "staged")


def test_ctrl_c_keeps_the_upload_and_the_same_command_resumes_it(
    tmp_path: Path, local_cloud: Any, alice_token: str, api: ApiClient
) -> None:
    # GIVEN a 128 MiB video in 256 KiB chunks, one in flight (slow enough to interrupt)
    video = tmp_path / "long.mp4"
    write_video(video, 128 * MiB, seed=17)
    env = cli_env(local_cloud, alice_token, tmp_path / "state")
    command = [sys.executable, "-m", "reelstack_tools.cli", "upload", str(video), "--title", "Long"]
    command += ["--chunk-size", "256KiB", "--parallel", "1", "--json"]
    records = tmp_path / "state" / "uploads"
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # WHEN Ctrl-C arrives once some chunks are on the server
        def some_chunks_in() -> bool:
            found = list(records.glob("*.json"))
            if not found:
                return False
            upload_id = json.loads(found[0].read_text())["upload_id"]
            return bool(api.get_upload(upload_id).received_parts)

        assert wait_for(some_chunks_in, timeout=120, interval=0.05)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    # THEN it exits 130, keeps its resume record, and says how to resume
    assert child.returncode == 130, err
    assert "To resume, run the same command" in err and "reelstack upload" in err
    assert list(records.glob("*.json"))
    # WHEN the same command runs again
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    # THEN it resumes (some chunks were already there) and completes
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["resumed_parts"] > 0
    assert "resuming:" in again.stderr
