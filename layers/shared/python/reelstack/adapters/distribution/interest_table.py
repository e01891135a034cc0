"""The nightly profiles in DynamoDB: the durable copy behind the Redis versions.

One table (pk `entity`, sk `version`, a number):

    ("user#<user_id>", <version>)   an InterestProfile (attribute `body`, JSON)
    ("video#<video_id>", <version>) a video's Neighbours
    ("pointer", 0)                  the serving version (attribute `serving`) and its profile count

Each run writes its own version's items (BatchWriteItem, with a TTL a few days ahead so superseded
versions go by themselves), and `switch` moves the pointer with one conditional write that never
moves it backwards. A reader reads the pointer, then the item of that version: it sees one night
whole, as with Redis.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import client as aws_client
from reelstack.adapters.aws import error_code
from reelstack.domain.distribution.profile_runs import (
    InterestProfile,
    Neighbours,
    neighbours_from_row,
    profile_from_row,
)
from reelstack.errors import DependencyFailed

POINTER_ENTITY = "pointer"
BATCH = 25  # BatchWriteItem's limit
MAX_ROUNDS = 8  # unprocessed items retried with backoff, then the part fails (and is retried by its Map)


@dataclass(frozen=True)
class Serving:
    version: int
    profiles: int


def _unavailable(what: str, error: Exception) -> DependencyFailed:
    return DependencyFailed(f"interest table: {what}: {error}", code="interest_table_unavailable")


class InterestTable:
    def __init__(self, table: str, *, ttl_s: int = 4 * 86400, client: Any = None) -> None:
        self.table = table
        self.ttl_s = ttl_s
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def _write(self, items: Iterable[dict[str, Any]]) -> int:
        written = 0
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append({"PutRequest": {"Item": item}})
            if len(batch) == BATCH:
                self._flush(batch)
                written += len(batch)
                batch = []
        if batch:
            self._flush(batch)
            written += len(batch)
        return written

    def _flush(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table: requests}
        for attempt in range(MAX_ROUNDS):
            try:
                answer = self.client.batch_write_item(RequestItems=pending)
            except (ClientError, BotoCoreError) as error:
                raise _unavailable("batch write", error) from error
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(min(2.0, 0.05 * 2**attempt))
        raise DependencyFailed(
            "interest table: writes still unprocessed after retries", code="interest_table_busy"
        )

    def _item(self, entity: str, version: int, body: dict[str, Any], expires: int) -> dict[str, Any]:
        return {
            "entity": {"S": entity},
            "version": {"N": str(version)},
            "body": {"S": json.dumps(body, separators=(",", ":"))},
            "expires_at": {"N": str(expires)},
        }

    def put_profiles(self, version: int, profiles: Iterable[InterestProfile]) -> int:
        expires = int(time.time()) + self.ttl_s
        return self._write(
            self._item(f"user#{item.user_id}", version, item.to_dict(), expires) for item in profiles
        )

    def put_neighbours(self, version: int, lists: Iterable[Neighbours]) -> int:
        expires = int(time.time()) + self.ttl_s
        return self._write(
            self._item(f"video#{item.video_id}", version, item.to_dict(), expires) for item in lists
        )

    def switch(self, version: int, profiles: int) -> bool:
        """Move the pointer to `version` unless it already serves a newer one (-> False)."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "entity": {"S": POINTER_ENTITY},
                    "version": {"N": "0"},
                    "serving": {"N": str(version)},
                    "profiles": {"N": str(profiles)},
                },
                ConditionExpression="attribute_not_exists(serving) OR serving <= :v",
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise _unavailable("switch", error) from error
        except BotoCoreError as error:
            raise _unavailable("switch", error) from error
        return True

    def serving(self) -> Serving | None:
        try:
            answer = self.client.get_item(
                TableName=self.table,
                Key={"entity": {"S": POINTER_ENTITY}, "version": {"N": "0"}},
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise _unavailable("read the pointer", error) from error
        item = answer.get("Item")
        if not item:
            return None
        return Serving(int(item["serving"]["N"]), int(item.get("profiles", {}).get("N", "0")))

    def serving_profiles(self) -> int | None:
        """How many profiles the serving version has (None: no version serves yet)."""
        serving = self.serving()
        return None if serving is None else serving.profiles

    def _body(self, entity: str, version: int) -> dict[str, Any] | None:
        try:
            answer = self.client.get_item(
                TableName=self.table, Key={"entity": {"S": entity}, "version": {"N": str(version)}}
            )
        except (ClientError, BotoCoreError) as error:
            raise _unavailable("read", error) from error
        item = answer.get("Item")
        return None if not item else dict(json.loads(item["body"]["S"]))

    def profile(self, version: int, user_id: str) -> InterestProfile | None:
        body = self._body(f"user#{user_id}", version)
        return None if body is None else profile_from_row(body)

    def neighbours(self, version: int, video_id: str) -> Neighbours | None:
        body = self._body(f"video#{video_id}", version)
        return None if body is None else neighbours_from_row(body)
