"""Step Functions tasks waiting for the outside world (a reviewer, a MediaConvert job), by reference.

A waiting task is stored under `ref` ("review#<video id>", "mediaconvert#<job id>") with its task
token, so whoever completes the work can resume the execution. A GSI on (kind, created_at) lists the
ones of a kind oldest first: the moderation queue. Items expire with the Step Functions heartbeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from reelstack.adapters.cursors import decode_cursor, encode_cursor
from reelstack.adapters.tables import bound_model
from reelstack.errors import DependencyFailed


class KindCreatedIndex(GlobalSecondaryIndex["WaitingTaskRecord"]):
    class Meta:
        index_name = "kind-created-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class WaitingTaskRecord(Model):
    class Meta:
        table_name = "unbound-waiting-tasks"

    ref = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    video_id = UnicodeAttribute()
    task_token = UnicodeAttribute()
    created_at = UnicodeAttribute()
    details = JSONAttribute(null=True)
    expires_at_epoch = TTLAttribute(null=True)
    by_kind = KindCreatedIndex()


@dataclass(frozen=True)
class WaitingTask:
    ref: str
    kind: str  # "review" | "mediaconvert" | "gpu"
    video_id: str
    task_token: str
    created_at: str
    details: dict[str, Any]


@dataclass(frozen=True)
class WaitingTaskPage:
    tasks: list[WaitingTask]
    cursor: str | None


def review_ref(video_id: str) -> str:
    return f"review#{video_id}"


def _task(record: WaitingTaskRecord) -> WaitingTask:
    return WaitingTask(
        ref=record.ref,
        kind=record.kind,
        video_id=record.video_id,
        task_token=record.task_token,
        created_at=record.created_at,
        details=dict(record.details or {}),
    )


class WaitingTasks:
    def __init__(self, table_name: str, region: str) -> None:
        self.model: type[WaitingTaskRecord] = bound_model(WaitingTaskRecord, table_name, region)

    def put(self, task: WaitingTask, expires_at: datetime) -> None:
        """Store (or, on a redelivered message, overwrite with the same content) a waiting task."""
        try:
            self.model(
                ref=task.ref,
                kind=task.kind,
                video_id=task.video_id,
                task_token=task.task_token,
                created_at=task.created_at,
                details=task.details,
                expires_at_epoch=expires_at,
            ).save()
        except PynamoDBException as exc:
            raise DependencyFailed(f"storing a waiting task failed: {exc.msg}") from exc

    def get(self, ref: str) -> WaitingTask | None:
        try:
            return _task(self.model.get(ref, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading a waiting task failed: {exc.msg}") from exc

    def remove(self, task: WaitingTask) -> bool:
        """Delete the task if it still holds the same token; False when another caller took it first."""
        model = self.model
        try:
            model(ref=task.ref).delete(condition=model.task_token == task.task_token)
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise DependencyFailed(f"removing a waiting task failed: {exc.msg}") from exc
        return True

    def of_kind(self, kind: str, limit: int, cursor: str | None) -> WaitingTaskPage:
        """Tasks of one kind, oldest first (a queue), a page at a time."""
        try:
            result = self.model.by_kind.query(kind, limit=limit, last_evaluated_key=decode_cursor(cursor))
            tasks = [_task(record) for record in result]
            return WaitingTaskPage(tasks, encode_cursor(result.last_evaluated_key))
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing waiting tasks failed: {exc.msg}") from exc
