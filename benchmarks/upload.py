"""Upload throughput through the API's presigned chunks against one plain put_object to the same S3.

    .venv/bin/python benchmarks/upload.py [--size-mib 256] [--runs 3]

Starts its own local cloud. For 8 MiB chunks x 4 parallel (S3 merges the parts server-side at
`complete`) and for 1 MiB chunks x 4 parallel (the merge function coalesces them), it prints two
throughput ratios against a single `put_object` of the same file: the chunk transfer (open, presign,
PUTs) and the whole upload until it is COMPLETED (merge included). The issue's targets judge the 8 MiB
transfer (>= 0.8) and the 1 MiB upload merge included (>= 0.5). It also prints the upload client's
peak RSS against its bound (64 MiB + chunk_size x parallel).

Fairness: both sides are timed best-of-N, with the stored objects deleted between runs (moto keeps
objects in memory, and a fuller moto is a slower one). The client is timed by its own clock, from
`POST /uploads` to the end (interpreter start-up excluded, as the baseline excludes creating its boto3
client); the process wall time is printed beside it. Peak RSS is the client process's own VmHWM
(`ru_maxrss` of a child is polluted by the parent's high-water mark across fork+exec on Linux).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from reelstack_tools.localcloud.client import CloudHandle, running_local_cloud

MiB = 1024 * 1024
TARGETS = {8: 0.8, 1: 0.5}


@dataclass(frozen=True)
class ClientRun:
    transfer_seconds: float  # open + presign + chunk PUTs, by the client's own clock
    upload_seconds: float  # the same plus `complete` and the wait for COMPLETED (the merge)
    wall_seconds: float  # the whole process, interpreter start-up included
    peak_rss: int
    video_id: str


def make_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for _ in range(size // MiB):
            out.write(os.urandom(MiB))


def put_object_seconds(cloud: CloudHandle, path: Path) -> float:
    s3 = cloud.client("s3")
    bucket = cloud.name("MediaBucket")
    started = time.perf_counter()
    with path.open("rb") as body:
        s3.put_object(Bucket=bucket, Key="benchmarks/plain-put", Body=body)
    elapsed = time.perf_counter() - started
    s3.delete_object(Bucket=bucket, Key="benchmarks/plain-put")
    return elapsed


class PeakRss:
    """Samples /proc/<pid>/status VmHWM (monotonic) until the process exits; keeps the last value read."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                text = status.read_text()
            except (FileNotFoundError, ProcessLookupError):
                return
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            if "State:\tZ" in text:
                return
            time.sleep(0.005)

    def result(self) -> int:
        self._thread.join(timeout=5)
        return self.peak_kib * 1024


def wait_completed(cloud: CloudHandle, upload_id: str, token: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{cloud.api_url}/uploads/{upload_id}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request) as response:
            if json.load(response)["status"] == "COMPLETED":
                return
        time.sleep(0.02)
    raise SystemExit(f"upload {upload_id} did not complete in {timeout}s")


def client_run(cloud: CloudHandle, path: Path, chunk_mib: int, parallel: int, state_dir: Path) -> ClientRun:
    """`reelstack upload` as its own process, as an app developer would run it."""
    token = cloud.token("bench")
    command = [
        sys.executable, "-m", "reelstack_tools.cli", "upload", str(path), "--api", cloud.api_url, "--token", token,
        "--chunk-size", f"{chunk_mib}MiB", "--parallel", str(parallel), "--no-sha256", "--quiet", "--json",
    ]  # fmt: skip
    env = dict(os.environ, REELSTACK_STATE_DIR=str(state_dir))
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    rss = PeakRss(process.pid)
    output, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"upload failed ({process.returncode}): {output}")
    result = json.loads(output.strip().splitlines()[-1])
    exited = time.perf_counter()
    wait_completed(cloud, result["upload_id"], token)
    merge_wait = time.perf_counter() - exited
    return ClientRun(
        transfer_seconds=float(result["seconds"]) - float(result["complete_seconds"]),
        upload_seconds=float(result["seconds"]) + merge_wait,
        wall_seconds=time.perf_counter() - started,
        peak_rss=rss.result(),
        video_id=result["video_id"],
    )


def forget(cloud: CloudHandle, video_id: str) -> None:
    cloud.client("s3").delete_object(Bucket=cloud.name("MediaBucket"), Key=f"originals/{video_id}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="best of N, for the baseline and each case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_local_cloud(state_dir=Path(tmp) / "cloud") as cloud:
        path = Path(tmp) / "bench.mp4"
        make_file(path, args.size_mib * MiB)
        put_object_seconds(cloud, path)  # warm the S3 path once
        baseline = min(put_object_seconds(cloud, path) for _ in range(args.runs))
        base_mibps = args.size_mib / baseline
        print(
            f"baseline: one put_object of {args.size_mib} MiB, best of {args.runs}: {baseline:.2f} s ({base_mibps:.0f} MiB/s)"
        )
        failed = False
        for chunk_mib, target in TARGETS.items():
            runs = []
            for _ in range(args.runs):
                run = client_run(cloud, path, chunk_mib, args.parallel, Path(tmp) / "client")
                forget(cloud, run.video_id)
                runs.append(run)
            best = min(runs, key=lambda r: r.upload_seconds)
            best_transfer = min(r.transfer_seconds for r in runs)
            peak = max(r.peak_rss for r in runs)
            transfer_ratio = baseline / best_transfer
            ratio = baseline / best.upload_seconds
            bound = 64 * MiB + chunk_mib * MiB * args.parallel
            merge = "S3 merges at complete" if chunk_mib >= 5 else "merge function"
            print(
                f"{chunk_mib} MiB chunks x {args.parallel}: chunk transfer {best_transfer:.2f} s, ratio "
                f"{transfer_ratio:.2f}; until COMPLETED ({merge} included) {best.upload_seconds:.2f} s, ratio "
                f"{ratio:.2f} (process wall {best.wall_seconds:.2f} s); client peak RSS {peak / MiB:.1f} MiB "
                f"(bound {bound / MiB:.0f} MiB)"
            )
            # The targets: the 8 MiB upload through presigned chunks, the 1 MiB one merge included.
            judged = transfer_ratio if chunk_mib >= 5 else ratio
            print(
                f"  -> judged ratio {judged:.2f} against target >= {target}: {'met' if judged >= target else 'NOT met'}"
            )
            failed |= judged < target or peak > bound
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
