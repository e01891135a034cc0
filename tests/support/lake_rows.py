"""The interaction log's rows of one user, read from the local cloud's lake bucket."""

from __future__ import annotations

from typing import Any

from reelstack.adapters.engagement.lake_files import read_rows

PREFIX = "lake/interactions/v1/"


def lake_rows(local_cloud: Any, user: str) -> list[dict[str, Any]]:
    s3, bucket = local_cloud.client("s3"), local_cloud.name("LakeBucket")
    rows: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
        for item in page.get("Contents", []):
            data = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            rows += [row for row in read_rows(data) if row["user_id"] == user]
    return rows
