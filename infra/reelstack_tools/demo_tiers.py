"""The demo's storage tiers: a dry run of the nightly tiering, then an owner's archive and a play-time restore.

The dry run is the real `TieringStateMachine` (what EventBridge starts at 03:00 UTC) with
`{"dry_run": true}`: it decides for every published video and writes its report, moving nothing.
The archive goes through the API: the lowest rendition keeps playing from Glacier Instant Retrieval
while the rest is restored from Glacier (a few seconds in the local cloud, minutes to hours in AWS).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from reelstack_tools.localcloud.client import CloudHandle

Call = Callable[..., Any]  # Demo.call: (method, path, body=None, token=None) -> JSON answer
REPORTS = "reports/tiering"


def _finished(cloud: CloudHandle, execution_arn: str, timeout: float) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return dict(described)


def _rows(cloud: CloudHandle, run_id: str) -> list[dict[str, Any]]:
    """Every video row of the run's page reports."""
    s3, bucket = cloud.client("s3"), cloud.name("MediaBucket")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{REPORTS}/{run_id}/")
    rows: list[dict[str, Any]] = []
    for page in pages:
        for item in page.get("Contents", []):
            if not item["Key"].endswith("summary.json"):
                body = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
                rows += body["videos"]
    return rows


def _label(key: str) -> str:
    """`originals/<id>` -> original; `renditions/<id>/720p/` -> 720p; a planned twin -> 720p.hevc."""
    if key.startswith("originals/"):
        return "original"
    if not key.startswith("renditions/"):
        return key
    return key.split("/", 2)[-1].replace("/.", ".").rstrip("/")


def tiering_dry_run(console: Console, cloud: CloudHandle, video_id: str) -> bool:
    """Run the nightly tiering as a dry run; print its summary and one video's decisions."""
    run_id = f"demo-dry-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    execution = cloud.client("stepfunctions").start_execution(
        stateMachineArn=cloud.arn("TieringStateMachine"), name=run_id, input=json.dumps({"dry_run": True})
    )["executionArn"]
    status = _finished(cloud, execution, timeout=180)
    if status["status"] != "SUCCEEDED":
        console.print(f"  [red]the tiering run ended {status['status']}")
        return False
    s3, bucket = cloud.client("s3"), cloud.name("MediaBucket")
    report = f"{REPORTS}/{run_id}/summary.json"
    summary = json.loads(s3.get_object(Bucket=bucket, Key=report)["Body"].read())
    console.print(
        f"  TieringStateMachine dry run {run_id}: {summary['videos']} published videos over {summary['pages']} "
        f"pages (16 partitions) in {time.monotonic() - started:.1f} s; would move {summary['moved_objects']}, "
        f"drop {summary['dropped_objects']}, re-encode {summary['reencodes']}; report s3://{bucket}/{report}"
    )
    row = next((r for r in _rows(cloud, run_id) if r["video_id"] == video_id), None)
    if row is None:
        console.print(f"  [red]video {video_id} is not in the report")
        return False
    predicted = row.get("predicted_plays", {})
    console.print(
        f"  video {video_id[:12]} ({row.get('forecast')} forecast: {predicted.get('7d', 0):.1f} plays in 7 d, "
        f"{predicted.get('30d', 0):.1f} in 30 d), tier {row['tier']}:"
    )
    for decision in row["decisions"]:
        console.print(
            f"    {_label(str(decision['key'])):>10}  {decision['action']:<8} {decision['reason'][:150]}"
        )
    return summary["moved_objects"] == 0 and summary["dropped_objects"] == 0


def archive_and_restore(console: Console, call: Call, video_id: str, owner_token: str) -> bool:
    """The owner archives; a player plays the kept low rendition while the rest restores, then all."""
    archived = call("POST", f"/videos/{video_id}/archive", token=owner_token)
    console.print(f"  the owner archives video {video_id[:12]}: {archived}")
    low = call("GET", f"/videos/{video_id}/playback")
    console.print(
        f"  a player asks to play it: {low.get('status')} at quality {low.get('quality')} "
        f"({low.get('rendition')} kept in Glacier IR) while Glacier restores the rest; ask again in "
        f"{low.get('retry_after')} s"
    )
    deadline = time.monotonic() + 60
    full = low
    while "quality" in full and time.monotonic() < deadline:
        time.sleep(1.0)
        full = call("GET", f"/videos/{video_id}/playback")
    tier = call("GET", f"/videos/{video_id}").get("storage_tier")
    console.print(
        f"  restored: {full.get('status')} in full quality from the same URL {full.get('playback_url')}; "
        f"storage_tier {tier}"
    )
    return low.get("quality") == "low" and "quality" not in full and tier == "hot"
