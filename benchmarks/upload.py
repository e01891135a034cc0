"""Upload throughput through the API's presigned chunks against one plain put_object to the same S3.

    .venv/bin/python benchmarks/upload.py [--size-mib 256]

Starts its own local cloud. Prints, for 8 MiB x 4 parallel (S3 merges server-side) and for 1 MiB x 4
parallel (merge function included), the throughput ratio against a single `put_object` of the same
file, and the upload client's peak RSS against its bound (64 MiB + chunk_size x parallel).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reelstack_tools.localcloud.client import CloudHandle, running_local_cloud

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with path.open("wb") as out:
        for i in range(size // MiB):
            out.write(block[i % 251 :] + block[: i % 251])  # distinct blocks without paying urandom per MiB


def put_object_seconds(cloud: CloudHandle, path: Path) -> float:
    s3 = cloud.client("s3")
    bucket = cloud.name("MediaBucket")
    started = time.perf_counter()
    with path.open("rb") as body:
        s3.put_object(Bucket=bucket, Key="benchmarks/plain-put", Body=body)
    elapsed = time.perf_counter() - started
    s3.delete_object(Bucket=bucket, Key="benchmarks/plain-put")
    return elapsed


def client_run(
    cloud: CloudHandle, path: Path, chunk_mib: int, parallel: int, state_dir: Path
) -> tuple[float, int, dict[str, object]]:
    """Run `reelstack upload` as its own process; wall time to COMPLETED (merge included) and peak RSS."""
    env = dict(os.environ, REELSTACK_STATE_DIR=str(state_dir), REELSTACK_API=cloud.api_url)
    command = [
        sys.executable,
        "-m",
        "reelstack_tools.cli",
        "upload",
        str(path),
        "--title",
        "bench",
        "--chunk-size",
        f"{chunk_mib}MiB",
        "--parallel",
        str(parallel),
        "--no-sha256",
        "--quiet",
        "--json",
        "--token",
        cloud.token("bench"),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"upload failed ({status}): {output}")
    result = json.loads(output.strip().splitlines()[-1])
    wait_completed(cloud, result["upload_id"])
    return time.perf_counter() - started, usage.ru_maxrss * 1024, result


def wait_completed(cloud: CloudHandle, upload_id: str, timeout: float = 600) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    token = cloud.token("bench")
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{cloud.api_url}/uploads/{upload_id}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request) as response:
            if json.load(response)["status"] == "COMPLETED":
                return
        time.sleep(0.05)
    raise SystemExit(f"upload {upload_id} did not complete in {timeout}s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    size = args.size_mib * MiB
    with tempfile.TemporaryDirectory() as tmp, running_local_cloud(state_dir=Path(tmp) / "cloud") as cloud:
        path = Path(tmp) / "bench.bin"
        make_file(path, size)
        put_object_seconds(cloud, path)  # warm the S3 path once
        baseline = min(put_object_seconds(cloud, path) for _ in range(2))
        base_mibps = args.size_mib / baseline
        print(f"baseline: one put_object of {args.size_mib} MiB: {baseline:.2f} s ({base_mibps:.0f} MiB/s)")
        targets = {8: 0.8, 1: 0.5}
        failed = False
        for chunk_mib, target in targets.items():
            seconds, rss, _ = client_run(cloud, path, chunk_mib, args.parallel, Path(tmp) / "client")
            mibps = args.size_mib / seconds
            ratio = mibps / base_mibps
            bound = 64 * MiB + chunk_mib * MiB * args.parallel
            merge = "S3 server-side merge" if chunk_mib >= 5 else "merge function included"
            print(
                f"{chunk_mib} MiB chunks x {args.parallel} ({merge}): {seconds:.2f} s ({mibps:.0f} MiB/s); "
                f"ratio vs put_object = {ratio:.2f} (target >= {target}); "
                f"client peak RSS {rss / MiB:.1f} MiB (bound {bound / MiB:.0f} MiB)"
            )
            failed |= ratio < target or rss > bound
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
