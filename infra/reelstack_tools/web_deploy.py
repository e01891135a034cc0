"""`reelstack web deploy`'s calls to AWS, through injected clients (boto3's, or moto's in tests): the stack's
outputs, the build's files and config.json into the media bucket under web/ (the plan of `web_release`),
the files of earlier builds marked retired then deleted, and the CloudFront invalidation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reelstack_tools.web_release import (
    CONFIG,
    INVALIDATED_PATHS,
    RETIRED_TAG,
    WEB_PREFIX,
    WebObject,
    parse_retired,
    retired_tag_value,
    retirement,
    stale_keys,
    upload_plan,
)


def build_files(dist: Path) -> list[str]:
    """Every file of the build in `dist`, relative and `/`-separated."""
    return sorted(path.relative_to(dist).as_posix() for path in dist.rglob("*") if path.is_file())


@dataclass(frozen=True)
class Released:
    uploaded: int  # objects written, config.json included
    bytes: int
    marked: list[str]  # files of earlier builds marked retired now
    deleted: list[str]  # files of earlier builds deleted now
    invalidation_id: str


class WebDeployer:
    """Releases a build to `bucket` (under web/) behind the distribution `distribution_id`."""

    def __init__(
        self,
        s3: Any,
        cloudfront: Any,
        bucket: str,
        distribution_id: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.s3 = s3
        self.cloudfront = cloudfront
        self.bucket = bucket
        self.distribution_id = distribution_id
        self.now = now

    def release(self, dist: Path, config: Mapping[str, Any], keep: timedelta) -> Released:
        """Upload the build in `dist` with `config` as its config.json, invalidate the page (the edge then
        asks for the new one), and retire what earlier builds left."""
        plan = upload_plan(build_files(dist))
        written = 0
        for item in plan:
            body = (
                json.dumps(config, indent=2).encode()
                if item.name == CONFIG
                else (dist / item.name).read_bytes()
            )
            self._put(item, body)
            written += len(body)
        invalidation = self.invalidate(INVALIDATED_PATHS)
        stale = stale_keys(self._keys(), plan)
        decided = retirement({key: self._retired_at(key) for key in stale}, self.now(), keep)
        for key in decided.mark:
            self._mark_retired(key)
        self._delete(decided.delete)
        return Released(len(plan), written, decided.mark, decided.delete, invalidation)

    def invalidate(self, paths: tuple[str, ...]) -> str:
        """An invalidation of `paths` on the distribution: its id."""
        answer = self.cloudfront.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": list(paths)},
                "CallerReference": f"reelstack-web-{self.now().strftime('%Y%m%dT%H%M%S.%fZ')}",
            },
        )
        return str(answer["Invalidation"]["Id"])

    def wait(self, invalidation_id: str, poll_s: int = 10, attempts: int = 60) -> None:
        """Until CloudFront reports the invalidation complete (minutes, at most ~10 with the defaults)."""
        self.cloudfront.get_waiter("invalidation_completed").wait(
            DistributionId=self.distribution_id,
            Id=invalidation_id,
            WaiterConfig={"Delay": poll_s, "MaxAttempts": attempts},
        )

    def _put(self, item: WebObject, body: bytes) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=item.key,
            Body=body,
            ContentType=item.content_type,
            CacheControl=item.cache_control,
        )

    def _keys(self) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=WEB_PREFIX):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def _retired_at(self, key: str) -> datetime | None:
        tags = self.s3.get_object_tagging(Bucket=self.bucket, Key=key)["TagSet"]
        return parse_retired(next((tag["Value"] for tag in tags if tag["Key"] == RETIRED_TAG), None))

    def _mark_retired(self, key: str) -> None:
        self.s3.put_object_tagging(
            Bucket=self.bucket,
            Key=key,
            Tagging={"TagSet": [{"Key": RETIRED_TAG, "Value": retired_tag_value(self.now())}]},
        )

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys a call
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            answer = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                failed = ", ".join(f"{error['Key']} ({error['Code']})" for error in answer["Errors"])
                raise RuntimeError(f"could not delete {failed}")
