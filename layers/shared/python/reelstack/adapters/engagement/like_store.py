"""The truth about likes, in DynamoDB: one item per (video, user) and a sharded counter per video.

Tables
  likes          pk `video_id`, sk `user_id`: `liked`, `version`, `liked_at` (only while liked),
                 `expires_at_epoch` (only on tombstones). GSI `user-liked-index` (`user_id`,
                 `liked_at`), keys only: a user's likes newest first. Tombstones carry no `liked_at`,
                 so the index is sparse and lists live likes only.
  like-counters  pk `video_id`, sk `shard` (0..N-1): `count`. The count is the sum of the shards.

Exactly once, in any order. `apply(change)` moves an item to the change's state only if the item's
`version` is older, and in the SAME TransactWrite moves the counter shard by +-1:

  like    Update item SET liked=true, version=v, liked_at   IF not exists OR (liked=false AND version<v)
          + counter shard ADD 1
  unlike  Update item SET liked=false, version=v (tombstone) IF liked=true AND version<v
          + counter shard ADD -1

The counter moves iff the item flips, so `count` always equals the number of liked items. When the
flip's condition fails the item is either already in the change's state (a duplicate, or an older
action of the same state: then only `version` is raised, no counter move) or holds a newer version
(a stale message: ignored). An unlike that arrives before its like leaves a tombstone at the unlike's
version, so the late like (older version) is ignored: the newest action always wins, whatever the
delivery order or the number of deliveries. A write conflict between the three steps re-runs them.
Tombstones expire (TTL) after longer than SQS keeps a message (14 days), so no queued change can
outlive the tombstone that outranks it.

Shards. One DynamoDB item takes at most ~1,000 WCU/s and a transactional write costs 2 WCU per item,
so a single counter item caps a video at ~500 durable likes/s. A user always moves the shard
`crc32(user) % N` (never negative, any shard sum is exact); with N = 10 (setting
`like_counter_shards`) one video sustains ~5,000 likes/s -- above the hottest video the like API's
throttling admits -- while reading a count stays one Query of N tiny items (1 RCU). The shards share
the partition key, so reads need no scatter-gather; the table has no LSI, so DynamoDB's split for heat
can spread a hot video's shards (and its like items, keyed by user) over partitions. Raising N later
is safe (new users land on new shards; sums stay exact); lowering it is not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from reelstack.adapters.cursors import decode_cursor, encode_cursor
from reelstack.adapters.tables import bound_model, transaction_connection
from reelstack.domain.engagement.likes import LikeChange, LikeState, counter_shard
from reelstack.errors import DependencyFailed
from reelstack.settings import LikeSettings

DEFAULT_SHARDS = 10
TOMBSTONE_TTL = timedelta(days=15)  # > SQS's longest retention (14 days)
_ATTEMPTS = 8


class UserLikedIndex(GlobalSecondaryIndex["LikeRecord"]):
    class Meta:
        index_name = "user-liked-index"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)
    liked_at = UnicodeAttribute(range_key=True)


class LikeRecord(Model):
    class Meta:
        table_name = "unbound-likes"

    video_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    liked = BooleanAttribute(default=False)
    version = NumberAttribute(default=0)
    liked_at = UnicodeAttribute(null=True)
    expires_at_epoch = TTLAttribute(null=True)
    by_user = UserLikedIndex()


class LikeCounterRecord(Model):
    class Meta:
        table_name = "unbound-like-counters"

    video_id = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)
    # `count` in DynamoDB; `shard_count` here, as `Model.count` is PynamoDB's own method.
    shard_count = NumberAttribute(default=0, attr_name="count")


@dataclass(frozen=True)
class LikedVideo:
    video_id: str
    liked_at: str


@dataclass(frozen=True)
class LikedVideoPage:
    likes: list[LikedVideo]
    cursor: str | None  # opaque; pass back for the next page


class _Retry(Exception):
    """A transaction lost a race (TransactionConflict / throttling): run the steps again."""


def _reasons(exc: TransactWriteError) -> set[str]:
    return {reason.code for reason in exc.cancellation_reasons or () if reason is not None}


def _tombstone_expiry(at: str) -> datetime:
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        when = datetime.fromtimestamp(time.time()).astimezone()
    return when + TOMBSTONE_TTL


class LikeStore:
    """Likes and counters in DynamoDB (endpoint and credentials from the SDK's own configuration)."""

    def __init__(
        self, likes_table: str, counters_table: str, region: str, shards: int = DEFAULT_SHARDS
    ) -> None:
        if shards < 1:
            raise ValueError("like_counter_shards must be at least 1")
        self.likes: Any = bound_model(LikeRecord, likes_table, region)
        self.counters: Any = bound_model(LikeCounterRecord, counters_table, region)
        self.region = region
        self.shards = shards

    @classmethod
    def from_settings(cls, settings: LikeSettings) -> LikeStore:
        return cls(
            settings.likes_table,
            settings.like_counters_table,
            settings.aws_region,
            settings.like_counter_shards,
        )

    # -- writes --------------------------------------------------------------------------------------
    def apply(self, change: LikeChange) -> bool:
        """Make one change durable. True when it moved the state (and the counter); False when the
        store already holds it or something newer (a redelivery, a stale or reordered message)."""
        for attempt in range(_ATTEMPTS):
            try:
                if self._flip(change):
                    return True
                if self._touch(change):
                    return False
                current = self._item(change.video_id, change.user_id)
                if current is not None and int(current.version) >= change.version:
                    return False
            except _Retry:
                pass
            time.sleep(min(0.01 * 2**attempt, 0.5))  # the item changed under us: look again
        raise DependencyFailed(f"applying a like change kept conflicting: {change.video_id}/{change.user_id}")

    def _flip(self, change: LikeChange) -> bool:
        """The item flips to the change's state and the counter moves, in one transaction; False when
        the item is not in the opposite state at an older version."""
        likes, counters = self.likes, self.counters
        v = change.version
        if change.liked:
            actions = [
                likes.liked.set(True),
                likes.version.set(v),
                likes.liked_at.set(change.at),
                likes.expires_at_epoch.remove(),
            ]
            condition = likes.video_id.does_not_exist() | ((likes.liked == False) & (likes.version < v))  # noqa: E712
        else:
            actions = [
                likes.liked.set(False),
                likes.version.set(v),
                likes.liked_at.remove(),
                likes.expires_at_epoch.set(_tombstone_expiry(change.at)),
            ]
            condition = (likes.liked == True) & (likes.version < v)  # noqa: E712
        shard = counter_shard(change.user_id, self.shards)
        try:
            with TransactWrite(connection=transaction_connection(self.region)) as transaction:
                transaction.update(
                    likes(video_id=change.video_id, user_id=change.user_id),
                    actions=actions,
                    condition=condition,
                )
                transaction.update(
                    counters(video_id=change.video_id, shard=shard),
                    actions=[counters.shard_count.add(1 if change.liked else -1)],
                )
        except TransactWriteError as exc:
            reasons = _reasons(exc)
            if "ConditionalCheckFailed" in reasons and not reasons - {"ConditionalCheckFailed", "None"}:
                return False
            if reasons & {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}:
                raise _Retry from exc
            raise DependencyFailed(f"writing a like failed: {exc.msg}") from exc
        return True

    def _touch(self, change: LikeChange) -> bool:
        """The item is already in the change's state at an older version (or, for an unlike, absent):
        record the newer version, counter untouched. False when that is not so."""
        likes = self.likes
        v = change.version
        if change.liked:
            actions = [likes.version.set(v)]
            condition = (likes.liked == True) & (likes.version < v)  # noqa: E712
        else:
            actions = [
                likes.liked.set(False),
                likes.version.set(v),
                likes.expires_at_epoch.set(_tombstone_expiry(change.at)),
            ]
            condition = likes.video_id.does_not_exist() | ((likes.liked == False) & (likes.version < v))  # noqa: E712
        try:
            likes(video_id=change.video_id, user_id=change.user_id).update(
                actions=actions, condition=condition
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            if exc.cause_response_code in {"ThrottlingException", "ProvisionedThroughputExceededException"}:
                raise _Retry from exc
            raise DependencyFailed(f"writing a like failed: {exc.msg}") from exc
        return True

    # -- reads ---------------------------------------------------------------------------------------
    def _item(self, video_id: str, user_id: str) -> Any:
        try:
            return self.likes.get(video_id, user_id, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading a like failed: {exc.msg}") from exc

    def liked(self, video_id: str, user_id: str) -> bool:
        item = self._item(video_id, user_id)
        return bool(item is not None and item.liked)

    def holds(self, change: LikeChange) -> bool:
        """The store's item for the change's (video, user) is in exactly this change's state and version."""
        item = self._item(change.video_id, change.user_id)
        return bool(
            item is not None and bool(item.liked) == change.liked and int(item.version or 0) == change.version
        )

    def count(self, video_id: str) -> int:
        """The like count: the sum of the video's counter shards."""
        try:
            return sum(int(s.shard_count or 0) for s in self.counters.query(video_id, consistent_read=True))
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading a like count failed: {exc.msg}") from exc

    def state(self, video_id: str) -> LikeState:
        """Everything the cache needs to rebuild a video: who likes it, the count, the newest version."""
        users: set[str] = set()
        newest = 0
        try:
            for item in self.likes.query(video_id, consistent_read=True):
                newest = max(newest, int(item.version or 0))
                if item.liked:
                    users.add(item.user_id)
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading likes failed: {exc.msg}") from exc
        return LikeState(video_id, frozenset(users), self.count(video_id), newest)

    def likes_of(self, user_id: str, limit: int, cursor: str | None) -> LikedVideoPage:
        """A user's liked videos, newest like first, a page at a time (the sparse user-liked index)."""
        try:
            result = self.likes.by_user.query(
                user_id, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor)
            )
            likes = [LikedVideo(item.video_id, str(item.liked_at)) for item in result]
            return LikedVideoPage(likes, encode_cursor(result.last_evaluated_key))
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing likes failed: {exc.msg}") from exc
