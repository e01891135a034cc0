"""Likes through the API under 32 concurrent clients, against redis-benchmark running the same Lua script.

    .venv/bin/python benchmarks/likes.py [--seconds 10] [--clients 32] [--plays 1000]

Starts its own local cloud (rate limits raised so the per-user token bucket runs its Lua call on every
like and play but never refuses) and publishes a few short clips through the real ingest workflow.

1. API: `--clients` threads, each its own user with its own token and ONE keep-alive HTTP connection
   (an app's), alternate `POST`/`DELETE /videos/{id}/like` on the published videos (clients spread over
   them) for a warm-up, then `--seconds` measured. Throughput counts the requests answered inside the
   window; latency is each request's, client-side, for those started inside it. The benchmark process's
   own CPU over the window is printed, so the client's share of the two cores is visible, beside the CPU
   each part of the cloud used (API workers, likes workers, the cloud process, redis-server). After the
   load the likes queue is drained: the changes queued, over the time from the load's start to the
   drain, give the durable path's throughput.
2. Baseline, the physical limit of this machine for this work: `redis-benchmark -c <clients>` on the
   SAME redis-server the cloud runs, EVALSHA of the like toggle's own script (imported from the
   adapter), its five keys of one video loaded as the API loads them, a random user per request (`-r`),
   one run liking and one unliking (equal sizes, combined). Ratios: API req/s / redis req/s (<= 1,
   higher is better) and API latency / redis latency (>= 1, lower is better).
3. Durable lag: once the likes queue is drained, fresh users like (one each, spaced out); a poller
   BatchGets their items from the likes table every 25 ms. Lag = first poll that sees `liked` minus the
   moment the API's 200 arrived (resolution: the poll period plus one BatchGetItem). When the sample rate
   exceeds the durable path's throughput the lag is mostly queue backlog, and a note says so.
4. DynamoDB writes per 1,000 plays: distinct viewers send counted plays (`watched_ms` above any
   threshold) over several videos; the benchmark waits until the daily stats sum to the plays counted
   and the plays queue is empty. Writes are counted on the DynamoDB endpoint itself: moto's request
   recorder is on only for this phase, and every PutItem / UpdateItem / DeleteItem / BatchWriteItem /
   TransactWriteItems request (with the tables it touched) is counted; the ledger items (`applied#...`,
   one per aggregated write) are printed beside it as a cross-check. Baseline: one write per play.

Fairness: both sides of the ratio run on the same two cores, and nothing else of the benchmark runs
beside the baseline (the likes queue is drained first). The machine may be shared with other work:
the CPU line of the API phase shows how much of the two cores the cloud actually got. The API side does what the API does per like -- verify the
token, rate limit, read the video, run the script, queue the change -- while the likes worker drains the
queue on the same cores: that is the system's cost of a like, not an artefact.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from likes_baseline import BenchRun, combined, prepare, redis_benchmark_version  # benchmarks/ is on sys.path
from likes_baseline import run as redis_run
from likes_cpu import describe, snapshot, used
from likes_http import KeepAlive, mint_tokens, start_upload, wait_published

from reelstack_tools.localcloud.client import CloudHandle, running_local_cloud

ROOT = Path(__file__).resolve().parent.parent
RATE_LIMITS = "like=100000/s:burst=100000;play=100000/s:burst=100000"
POLL_SECONDS = 0.025  # the durable-lag poller: one BatchGetItem per 100 pending likes, then this pause
WRITE_OPS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def template_declares(parameter: str, template: Path = ROOT / "template.yaml") -> bool:
    """Whether the template's top-level `Parameters:` section declares `parameter`."""
    section = re.search(r"^Parameters:\n(.*?)(?=^\S)", template.read_text(), re.S | re.M)
    return bool(section and re.search(rf"^  {re.escape(parameter)}:", section.group(1), re.M))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


# -- publishing -------------------------------------------------------------------------------------------


def publish(cloud: CloudHandle, count: int, tmp: Path) -> list[str]:
    from reelstack_tools.demo_media import three_scene_clip

    data = three_scene_clip(tmp / "clip.mp4", scene_seconds=0.5).read_bytes()
    owner = KeepAlive(cloud.api_url, mint_tokens(cloud.state_dir, ["bench-author"])[0])
    videos = [start_upload(owner, data, f"likes-bench-{n}") for n in range(count)]
    wait_published(owner, videos)
    owner.close()
    return videos


# -- 1. the like API under load -----------------------------------------------------------------------


@dataclass
class Load:
    seconds: float
    answered: int = 0
    sent: int = 0  # every like/unlike answered 200 (warm-up and tail included): changes queued
    began: float = 0.0  # perf_counter when the clients were started
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0
    cloud_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per part of the cloud

    @property
    def rps(self) -> float:
        return self.answered / self.seconds


def drive_likes(cloud: CloudHandle, videos: list[str], clients: int, warmup: float, seconds: float) -> Load:
    tokens = mint_tokens(cloud.state_dir, [f"bench-liker-{n}" for n in range(clients)])
    load = Load(seconds)
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    window: dict[str, float] = {}

    def client(n: int) -> None:
        api = KeepAlive(cloud.api_url, tokens[n])
        path = f"/videos/{videos[n % len(videos)]}/like"
        liked = False
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors: Counter[str] = Counter()
        answered = sent = 0
        ready.wait()
        start, end = window["start"], window["end"]
        while (began := time.perf_counter()) < end:
            try:
                status, body = api.call("DELETE" if liked else "POST", path)
            except OSError as error:
                status, body = -1, None
                errors[type(error).__name__] += 1
                api.close()
            done = time.perf_counter()
            liked = bool(body.get("liked")) if status == 200 and isinstance(body, dict) else not liked
            if began >= start:
                latencies.append((done - began) * 1000)
                statuses[status] += 1
            sent += int(status == 200)
            if start <= done <= end and status == 200:
                answered += 1
        api.close()
        with lock:
            load.latencies_ms += latencies
            load.statuses.update(statuses)
            load.errors.update(errors)
            load.answered += answered
            load.sent += sent

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    load.began = time.perf_counter()
    window["start"] = load.began + warmup
    window["end"] = window["start"] + seconds
    ready.wait()
    time.sleep(max(0.0, window["start"] - time.perf_counter()))
    cpu, parts = time.process_time(), snapshot(cloud)
    time.sleep(max(0.0, window["end"] - time.perf_counter()))
    load.cpu_seconds = time.process_time() - cpu
    load.cloud_cpu = used(parts, snapshot(cloud))
    for thread in threads:
        thread.join()
    return load


def queue_depth(cloud: CloudHandle, logical_id: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.queue_url(logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def wait_drained(cloud: CloudHandle, logical_id: str, timeout: float = 300) -> float:
    """Seconds until the queue holds no message, visible or in flight."""
    started = time.perf_counter()
    while queue_depth(cloud, logical_id):
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"{logical_id} not drained within {timeout} s")
        time.sleep(0.1)
    return time.perf_counter() - started


# -- 3. durable lag -----------------------------------------------------------------------------------


def durable_lag(cloud: CloudHandle, videos: list[str], samples: int, per_second: float) -> list[float]:
    """Lags (ms) from the API's 200 to the first poll that finds the like item `liked` in DynamoDB."""
    from reelstack_tools.tokens import user_sub

    dynamodb = cloud.client("dynamodb")
    table = cloud.name("LikesTable")
    users = [f"bench-lag-{n}-{uuid.uuid4().hex[:8]}" for n in range(samples)]
    tokens = mint_tokens(cloud.state_dir, users)
    answered: dict[tuple[str, str], float] = {}
    lags: dict[tuple[str, str], float] = {}
    sending = threading.Event()
    sending.set()
    lock = threading.Lock()

    def poll() -> None:
        while sending.is_set() or len(lags) < len(answered):
            with lock:
                pending = [key for key in answered if key not in lags]
            for offset in range(0, len(pending), 100):
                chunk = pending[offset : offset + 100]
                reply = dynamodb.batch_get_item(
                    RequestItems={
                        table: {
                            "Keys": [{"video_id": {"S": v}, "user_id": {"S": u}} for v, u in chunk],
                            "ProjectionExpression": "video_id, user_id, liked",
                            "ConsistentRead": True,
                        }
                    }
                )
                seen = time.perf_counter()
                for item in reply["Responses"].get(table, []):
                    if item.get("liked", {}).get("BOOL"):
                        key = (item["video_id"]["S"], item["user_id"]["S"])
                        with lock:
                            lags.setdefault(key, (seen - answered[key]) * 1000)
            time.sleep(POLL_SECONDS)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    api = KeepAlive(cloud.api_url, None)
    spacing = 1 / per_second
    began = time.perf_counter()
    for n, (user, token) in enumerate(zip(users, tokens, strict=True)):
        time.sleep(max(0.0, began + n * spacing - time.perf_counter()))
        video = videos[n % len(videos)]
        api.headers["Authorization"] = f"Bearer {token}"
        status, body = api.call("POST", f"/videos/{video}/like")
        if status != 200:
            raise SystemExit(f"like for the lag sample answered {status}: {body}")
        with lock:
            answered[(video, user_sub(user))] = time.perf_counter()
    api.close()
    sending.clear()
    poller.join(timeout=120)
    if len(lags) < len(answered):
        raise SystemExit(f"only {len(lags)} of {len(answered)} likes reached DynamoDB within 120 s")
    return list(lags.values())


# -- 4. DynamoDB writes per 1,000 plays -------------------------------------------------------------------


def recorder(cloud: CloudHandle, action: str) -> bytes:
    method = "GET" if action == "download-recording" else "POST"
    request = urllib.request.Request(
        f"{cloud.aws_endpoint}/moto-api/recorder/{action}",
        method=method,
        data=None if method == "GET" else b"",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return bytes(response.read())


def recorded_writes(recording: bytes) -> tuple[Counter[str], Counter[str]]:
    """DynamoDB write requests in a moto recording: (per operation, per table touched)."""
    operations: Counter[str] = Counter()
    tables: Counter[str] = Counter()
    for line in recording.splitlines():
        entry = json.loads(line)
        headers = {name.lower(): value for name, value in entry["headers"].items()}
        service, _, operation = headers.get("x-amz-target", "").partition(".")
        if not service.startswith("DynamoDB") or operation not in WRITE_OPS:
            continue
        operations[operation] += 1
        raw = entry.get("body") or ""
        body = json.loads(base64.b64decode(raw) if entry.get("body_encoded") else raw or "{}")
        touched = set(re.findall(r'"TableName":\s*"([^"]+)"', json.dumps(body)))
        touched |= set((body.get("RequestItems") or {}).keys())
        for name in touched:
            tables[name] += 1
    return operations, tables


def day_totals(cloud: CloudHandle, table: str, videos: list[str]) -> tuple[int, int]:
    """(plays summed over the day items, ledger items) of the videos."""
    dynamodb = cloud.client("dynamodb")
    plays = ledger = 0
    for video in videos:
        pages = dynamodb.get_paginator("query").paginate(
            TableName=table,
            KeyConditionExpression="video_id = :v",
            ExpressionAttributeValues={":v": {"S": video}},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page["Items"]:
                if item["day"]["S"].startswith("applied#"):
                    ledger += 1
                else:
                    plays += int(item.get("plays", {}).get("N", "0"))
    return plays, ledger


def send_plays(
    cloud: CloudHandle, videos: list[str], plays: int, threads: int = 8
) -> tuple[int, Counter[str]]:
    """Distinct (viewer, video) pairs, each one counted play: (plays counted, statuses and reasons)."""
    viewers = -(-plays // len(videos))
    pairs = [(viewer, videos[k]) for viewer in range(viewers) for k in range(len(videos))][:plays]
    run = uuid.uuid4().hex[:6]
    tokens = mint_tokens(cloud.state_dir, [f"bench-viewer-{viewer}-{run}" for viewer in range(viewers)])
    outcome: Counter[str] = Counter()
    counted = 0
    lock = threading.Lock()

    def sender(part: list[tuple[int, str]]) -> None:
        nonlocal counted
        api = KeepAlive(cloud.api_url, None)
        for viewer, video in part:
            api.headers["Authorization"] = f"Bearer {tokens[viewer]}"
            status, body = api.call(
                "POST",
                f"/videos/{video}/plays",
                {"session_id": f"s-{viewer}-{video[:8]}", "watched_ms": 5000},
            )
            reason = body.get("reason") if isinstance(body, dict) else None
            with lock:
                outcome[f"{status} {reason or body.get('code') if isinstance(body, dict) else body}"] += 1
                counted += int(status == 202 and isinstance(body, dict) and bool(body.get("counted")))
        api.close()

    workers = [threading.Thread(target=sender, args=(pairs[n::threads],)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counted, outcome


def plays_writes(cloud: CloudHandle, videos: list[str], plays: int) -> None:
    if "PlaysFunction" not in cloud.resources or "PlayDailyStatsTable" not in cloud.resources:
        print("plays: skipped (the template has no PlaysFunction / PlayDailyStatsTable yet)")
        return
    table = cloud.name("PlayDailyStatsTable")
    before, ledger_before = day_totals(cloud, table, videos)
    recorder(cloud, "reset-recording")
    recorder(cloud, "start-recording")
    started = time.perf_counter()
    try:
        counted, outcome = send_plays(cloud, videos, plays)
        sent = time.perf_counter() - started
        deadline = time.monotonic() + 120
        while True:
            total, ledger = day_totals(cloud, table, videos)
            if total - before >= counted and not queue_depth(cloud, "PlaysQueue"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"daily stats hold {total - before} of {counted} counted plays after 120 s")
            time.sleep(0.2)
        durable = time.perf_counter() - started
    finally:
        recorder(cloud, "stop-recording")
    operations, tables = recorded_writes(recorder(cloud, "download-recording"))
    stats_writes = tables.get(table, 0)
    all_writes = sum(operations.values())
    print(
        f"plays: {plays} sent in {sent:.1f} s ({plays / sent:.0f}/s), {counted} counted, in the daily stats "
        f"after {durable:.1f} s; answers {dict(outcome)}"
    )
    if counted == 0:
        print("plays: nothing counted, no write ratio")
        return
    per_1000 = 1000 * stats_writes / counted
    print(
        f"DynamoDB writes per 1,000 plays: {per_1000:.1f} to {table.split('-')[-1] or table} "
        f"({stats_writes} requests for {counted} plays; ledger items {ledger - ledger_before}), "
        f"{1000 * all_writes / counted:.1f} to all tables {dict(operations)}; ratio against one write per "
        f"play {per_1000 / 1000:.4f}"
    )
    others = {name: count for name, count in tables.items() if name != table}
    if others:
        print(f"  other tables written meanwhile: {others}")


# -- main ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window of the like load")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--videos", type=int, default=4, help="published videos the clients spread over")
    parser.add_argument("--redis-requests", type=int, default=100_000, help="per redis-benchmark run")
    parser.add_argument("--lag-samples", type=int, default=200)
    parser.add_argument("--lag-rate", type=float, default=20.0, help="lag sample likes per second")
    parser.add_argument("--plays", type=int, default=1000)
    args = parser.parse_args()

    extra: list[str] = []
    if template_declares("RateLimits"):
        extra = ["--parameter", f"RateLimits={RATE_LIMITS}"]
    else:
        print("note: template.yaml declares no RateLimits parameter yet; running without rate limiting")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        env = dict(os.environ, MOTO_RECORDER_FILEPATH=str(tmp / "moto_recording"))
        with running_local_cloud(
            ROOT / "template.yaml", tmp / "cloud", extra_args=extra, env=env, timeout=120
        ) as cloud:
            print(f"local cloud up in {cloud.startup_seconds:.1f} s; {redis_benchmark_version()}")
            started = time.perf_counter()
            videos = publish(cloud, args.videos, tmp)
            print(
                f"published {len(videos)} clips through the ingest workflow in {time.perf_counter() - started:.1f} s"
            )

            load = drive_likes(cloud, videos, args.clients, args.warmup, args.seconds)
            p50, p99 = percentile(load.latencies_ms, 0.50), percentile(load.latencies_ms, 0.99)
            print(
                f"API: {args.clients} clients x {args.seconds:.0f} s over {len(videos)} videos: {load.answered} likes/unlikes "
                f"answered 200, {load.rps:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                f"(mean {statistics.fmean(load.latencies_ms):.1f} ms); statuses {dict(load.statuses)}"
                + (f", client errors {dict(load.errors)}" if load.errors else "")
            )
            print(
                f"  CPU over the window: benchmark client {load.cpu_seconds / args.seconds:.2f} cores; "
                f"cloud {describe(load.cloud_cpu, args.seconds)}"
            )
            drained = wait_drained(cloud, "LikesQueue")
            durable_rps = load.sent / (time.perf_counter() - load.began)
            print(
                f"likes queue drained {drained:.1f} s after the load ended: {load.sent} changes durable "
                f"{durable_rps:.1f}/s from the start of the load (the likes worker's throughput)"
            )

            sha, script_keys = prepare(cloud.redis_url, uuid.uuid4().hex)
            runs = [
                redis_run(cloud.redis_url, sha, script_keys, want, args.clients, args.redis_requests, 100_000)
                for want in (1, 0)
            ]
            base: BenchRun = combined(runs)
            print(
                f"baseline: redis-benchmark -c {args.clients} EVALSHA toggle (like run {runs[0].rps:.0f} req/s, "
                f"unlike run {runs[1].rps:.0f} req/s): {base.rps:.0f} req/s, p50 {base.p50_ms:.3f} ms, "
                f"p99 {base.p99_ms:.3f} ms"
            )
            print(
                f"ratio: throughput API/redis {load.rps / base.rps:.4f} (1/{base.rps / load.rps:.0f}); "
                f"latency API/redis p50 {p50 / base.p50_ms:.0f}x, p99 {p99 / base.p99_ms:.0f}x"
            )

            lags = durable_lag(cloud, videos, args.lag_samples, args.lag_rate)
            print(
                f"durable lag ({len(lags)} fresh likes at {args.lag_rate:.0f}/s, API 200 -> item in LikesTable): "
                f"p50 {percentile(lags, 0.50):.0f} ms, p99 {percentile(lags, 0.99):.0f} ms, max {max(lags):.0f} ms"
            )
            if args.lag_rate > durable_rps:
                print(
                    f"  note: {args.lag_rate:.0f} likes/s is above the durable path's {durable_rps:.1f}/s, so this "
                    "lag includes a growing queue backlog"
                )
            wait_drained(cloud, "LikesQueue")

            plays_writes(cloud, videos, args.plays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
