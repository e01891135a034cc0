"""Where the cores went during a benchmark window: CPU seconds per part of the local cloud.

Parts: each Lambda function's worker processes (from the control API), `redis-server`, the local cloud
process itself (API Gateway, moto, SQS pollers, all in one interpreter) and anything else under it
(e.g. ffmpeg). Read from /proc (utime + stime of live processes): a worker that exits inside the
window takes its share with it, so the figures are lower bounds.
"""

from __future__ import annotations

import os
from pathlib import Path

from reelstack_tools.localcloud.client import CloudHandle, descendants

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15 of stat)


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def snapshot(cloud: CloudHandle) -> dict[int, tuple[str, float]]:
    """pid -> (part, CPU seconds so far) for the cloud process and everything under it."""
    if cloud.process is None:
        return {}
    root = cloud.process.pid
    part_of = {pid: name for name, pids in cloud.worker_pids().items() for pid in pids}
    found = {root: ("local cloud process", _cpu_seconds(root))}
    for pid in descendants(root):
        part = part_of.get(pid) or ("redis-server" if _comm(pid).startswith("redis-server") else "other")
        found[pid] = (part, _cpu_seconds(pid))
    return found


def used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per part between two snapshots (processes born inside the window count whole)."""
    parts: dict[str, float] = {}
    for pid, (part, seconds) in after.items():
        start = before.get(pid, (part, 0.0))[1]
        parts[part] = parts.get(part, 0.0) + max(0.0, seconds - start)
    return dict(sorted(parts.items(), key=lambda item: -item[1]))


def describe(parts: dict[str, float], seconds: float, limit: int = 5) -> str:
    """'ApiFunction 0.9 cores, LikesFunction 0.6 cores, ...' (the top `limit` parts)."""
    shown = [f"{name} {cpu / seconds:.2f}" for name, cpu in list(parts.items())[:limit] if cpu > 0]
    return ", ".join(shown) + " cores"
