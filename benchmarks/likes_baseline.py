"""The likes benchmark's baseline: `redis-benchmark` running the like toggle's own Lua script.

The script is the adapter's `_TOGGLE` source (imported, not copied), loaded with SCRIPT LOAD and run
by EVALSHA with the adapter's five keys of one video (`likes:{V}:users|count|seq|versions|loaded`,
the video's likes loaded into the cache by the adapter's own `load`, so the TTL branch runs as in
the API) and its two arguments, the user id drawn at random per request (`-r`, `__rand_int__`).
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass

import redis

from reelstack.adapters.engagement.like_cache import _TOGGLE, LikeCache, keys
from reelstack.domain.engagement.likes import LikeState


@dataclass(frozen=True)
class BenchRun:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float


def redis_benchmark_binary() -> str:
    found = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"
    return found


def redis_benchmark_version() -> str:
    return subprocess.run(
        [redis_benchmark_binary(), "--version"], capture_output=True, text=True
    ).stdout.strip()


def prepare(redis_url: str, video_id: str) -> tuple[str, list[str]]:
    """Load the video's (empty) likes the way the API does on a miss; (script sha, the script's keys)."""
    LikeCache(redis_url).load(LikeState(video_id, frozenset(), 0, 0))
    sha = str(redis.Redis.from_url(redis_url).script_load(_TOGGLE))
    k = keys(video_id)
    return sha, [k["users"], k["count"], k["seq"], k["versions"], k["loaded"]]


def run(
    redis_url: str, sha: str, script_keys: list[str], want: int, clients: int, requests: int, users: int
) -> BenchRun:
    """`redis-benchmark -c clients -n requests -r users --csv EVALSHA sha 5 KEYS... user-<rand> want`."""
    url = urllib.parse.urlsplit(redis_url)
    command = [
        redis_benchmark_binary(), "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379),
        "-c", str(clients), "-n", str(requests), "-r", str(users), "--csv",
        "EVALSHA", sha, str(len(script_keys)), *script_keys, "user-__rand_int__", str(want),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    header = [cell.strip('"') for cell in lines[0].split(",")]
    row = [cell.strip('"') for cell in lines[-1].rsplit(",", len(header) - 1)]
    values = dict(zip(header, row, strict=True))
    return BenchRun(
        requests, float(values["rps"]), float(values["p50_latency_ms"]), float(values["p99_latency_ms"])
    )


def combined(runs: list[BenchRun]) -> BenchRun:
    """Like and unlike runs of equal size as one: requests over the summed time; latency percentiles
    as the mean of the runs' (the runs' distributions are close; redis-benchmark keeps no samples)."""
    total = sum(r.requests for r in runs)
    seconds = sum(r.requests / r.rps for r in runs)
    return BenchRun(
        total,
        total / seconds,
        sum(r.p50_ms for r in runs) / len(runs),
        sum(r.p99_ms for r in runs) / len(runs),
    )
