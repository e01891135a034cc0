"""The nightly tiering state machine on the local cloud: scheduled every night, and a dry run pages
through every published-index partition, writes its page reports and summary, and moves nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _classes(local_cloud: Any) -> dict[str, str]:
    s3, bucket = local_cloud.client("s3"), local_cloud.name("MediaBucket")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="renditions/")
    return {
        item["Key"]: item.get("StorageClass", "STANDARD")
        for page in pages
        for item in page.get("Contents", [])
    }


def test_the_tiering_runs_every_night(local_cloud: Any) -> None:
    # GIVEN the cloud's schedules WHEN listed THEN the tiering state machine is started at 03:00 UTC
    schedules = local_cloud.control("GET", "schedules")["schedules"]
    (nightly,) = [s for s in schedules if s["targets"] == [local_cloud.arn("TieringStateMachine")]]
    assert nightly["expression"] == "cron(0 3 * * ? *)" and nightly["enabled"]


def test_a_dry_run_over_every_partition_reports_and_moves_nothing(local_cloud: Any) -> None:
    # GIVEN the media as it is (the session's published videos, if any)
    sfn, s3 = local_cloud.client("stepfunctions"), local_cloud.client("s3")
    before = _classes(local_cloud)
    run_id = f"dry-{uuid.uuid4().hex[:8]}"

    # WHEN a dry run executes
    execution = sfn.start_execution(
        stateMachineArn=local_cloud.arn("TieringStateMachine"),
        name=run_id,
        input=json.dumps({"dry_run": True}),
    )["executionArn"]
    deadline = time.monotonic() + 180
    while (status := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the tiering run did not finish"
        time.sleep(0.5)

    # THEN it succeeded with a summary of all 16 partitions (one page at least each), and nothing moved
    assert status["status"] == "SUCCEEDED", status
    report = json.loads(status["output"])["summary"]["report"]
    summary = json.loads(
        s3.get_object(Bucket=local_cloud.name("MediaBucket"), Key=report["report"])["Body"].read()
    )
    assert summary["run_id"] == run_id and summary["dry_run"] is True
    assert summary["pages"] >= 16 and summary["moved_objects"] == 0
    assert _classes(local_cloud) == before
