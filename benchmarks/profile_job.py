"""The nightly profile job on 1,000,000 synthetic events, in local mode, and its cost in AWS on paper.

    .venv/bin/python benchmarks/profile_job.py [--users 10000] [--videos 5000] [--days 30] [--seed 13]

The log is `rank_synthetic`'s (planted tastes, Zipf exposure; ~1M events with the defaults) written
as the lake's Parquet files. The job runs as the local cloud runs it: `python jobs/profile_job/job.py`
with pyspark in local mode on this machine's two cores (driver 2 GB), over the whole window. Printed:
events per second, and the peak resident memory of the job's process tree (Python and the JVM),
sampled every 0.2 s.

Baseline: one plain-Python pass over the same files (pyarrow) computing only the users' decayed tag
weights, the cheapest part of the job. The ratio job / baseline (events per second) says what the
whole job (interests, co-watch pairs, video features, the ranker's examples) costs against that one
loop; the job's point is that it scales out, which the loop cannot.

Cost on paper: EMR Serverless (ARM64, as the template's application) at its us-east-1 list prices
(aws.amazon.com/emr/pricing, as read 2026-12: $0.042094 per vCPU-hour and $0.004628 per GB-hour on
Graviton), for 1 billion events a day, assuming each vCPU there processes what one core does here
(the job's work splits by user and video pair; shuffles are larger at scale, so read it as a floor)
and 4 GB per vCPU (the template's 4 cores / 14 GB executors, plus overhead).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "infra", ROOT / "layers" / "shared" / "python"):
    sys.path.insert(0, str(path))

from reelstack_tools.rank_eval import write_lake  # noqa: E402
from reelstack_tools.rank_synthetic import SyntheticLog, generate  # noqa: E402

VCPU_HOUR = 0.042094
GB_HOUR = 0.004628
GB_PER_VCPU = 4.0
EVENTS_PER_DAY = 1_000_000_000
CORES = 2


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children[int(fields[1])].append(int(entry.name))
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
        pending.extend(children.get(current, []))
    return total


def run_job(lake: Path, out: Path, as_of: str, days: int) -> tuple[float, int]:
    environment = {
        **os.environ,
        "PYSPARK_SUBMIT_ARGS": f"--master local[{CORES}] --driver-memory 2g --conf spark.sql.shuffle.partitions=8 "
        "--conf spark.ui.enabled=false pyspark-shell",
        "PYSPARK_PYTHON": sys.executable,
    }
    command = [
        sys.executable,
        str(ROOT / "jobs" / "profile_job" / "job.py"),
        "--events",
        str(lake),
        "--out",
        str(out),
    ]
    command += ["--as-of", as_of, "--days", str(days)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"the job failed ({process.returncode})")
    sys.stdout.write(f"  job: {output.decode().strip()}\n")
    return time.perf_counter() - started, peak


def python_tag_weights(lake: Path, as_of: str, half_life_days: float = 7.0) -> tuple[float, int]:
    import pyarrow.parquet as pq

    started = time.perf_counter()
    end = (datetime.fromisoformat(as_of).replace(tzinfo=UTC) + timedelta(days=1)).timestamp()
    seen: set[str] = set()
    weights: dict[tuple[str, str], float] = defaultdict(float)
    base = {"play": None, "like": 1.0, "unlike": -1.0, "comment": 0.5}
    count = 0
    for path in sorted(lake.rglob("*.parquet")):
        columns = pq.read_table(
            path, columns=["event_id", "kind", "user_id", "occurred_at", "watched_fraction", "tags"]
        ).to_pydict()
        for event_id, kind, user, at, fraction, tags in zip(*columns.values(), strict=True):
            count += 1
            if event_id in seen or kind not in base:
                continue
            seen.add(event_id)
            weight = (0.5 if fraction is None else fraction) if kind == "play" else base[kind]
            decayed = weight * 0.5 ** ((end - at.timestamp()) / 86400 / half_life_days)
            for tag in tags or ():
                weights[(user, tag)] += decayed
    return time.perf_counter() - started, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--videos", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    spec = SyntheticLog(users=args.users, videos=args.videos, days=args.days, shows_per_day=6, seed=args.seed)
    with tempfile.TemporaryDirectory() as folder:
        lake, out = Path(folder) / "lake", Path(folder) / "out"
        started = time.perf_counter()
        events = write_lake(lake, generate(spec), batch=100_000)
        size = sum(path.stat().st_size for path in lake.rglob("*.parquet"))
        sys.stdout.write(
            f"synthetic log: {events:,} events ({args.users:,} viewers, {args.videos:,} videos, {args.days} days), "
            f"{size / 1e6:.1f} MB of Parquet, written in {time.perf_counter() - started:.1f} s\n"
        )
        as_of = spec.day(args.days - 1)
        seconds, peak = run_job(lake, out, as_of, args.days)
        baseline_seconds, _ = python_tag_weights(lake, as_of)
    rate, baseline_rate = events / seconds, events / baseline_seconds
    sys.stdout.write(
        f"profile job (Spark local[{CORES}]): {seconds:.1f} s, {rate:,.0f} events/s, peak RSS {peak / 2**30:.2f} GiB\n"
        f"baseline (one Python pass, tag weights only): {baseline_seconds:.1f} s, {baseline_rate:,.0f} events/s\n"
        f"ratio job / baseline (events/s): {rate / baseline_rate:.2f}\n"
    )
    per_vcpu = rate / CORES
    vcpu_hours = EVENTS_PER_DAY / per_vcpu / 3600
    gb_hours = vcpu_hours * GB_PER_VCPU
    cost = vcpu_hours * VCPU_HOUR + gb_hours * GB_HOUR
    workers = math.ceil(vcpu_hours / 4 / 1.0)  # 4-vCPU executors for an hour-long run
    sys.stdout.write(
        f"AWS on paper, 1 billion events a day: {per_vcpu:,.0f} events/s per vCPU -> {vcpu_hours:,.0f} vCPU-hours "
        f"and {gb_hours:,.0f} GB-hours a night (~{workers} four-vCPU executors for one hour) = "
        f"${cost:,.2f} a night, ${cost * 30:,.0f} a month (EMR Serverless ARM64, us-east-1 list prices)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
