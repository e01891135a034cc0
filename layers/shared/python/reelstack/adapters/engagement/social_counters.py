"""Sharded counters of users and videos in one DynamoDB table: followers, following, comments, shares.

Table `social-counters`: pk `subject` ("user#<id>" or "video#<id>"), sk `counter` ("<name>#<shard>"),
`count`. A counter moves only inside the transaction that changes what it counts (a follow edge, a
comment's visibility, a share), so it always equals the number of those things. An actor always moves
the shard `crc32(actor) % N` (`domain.engagement.likes.counter_shard`): with N = 10 a creator gaining
followers (or a video gaining comments) sustains ~5,000 counted changes a second, and reading every
counter of a subject stays one Query of a few tiny items.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from reelstack.adapters.tables import bound_model
from reelstack.domain.engagement.likes import counter_shard
from reelstack.errors import DependencyFailed

DEFAULT_SHARDS = 10


class SocialCounterRecord(Model):
    class Meta:
        table_name = "unbound-social-counters"

    subject = UnicodeAttribute(hash_key=True)
    counter = UnicodeAttribute(range_key=True)
    shard_count = NumberAttribute(default=0, attr_name="count")  # `Model.count` is PynamoDB's own


def user_subject(user_id: str) -> str:
    return f"user#{user_id}"


def video_subject(video_id: str) -> str:
    return f"video#{video_id}"


class SocialCounters:
    def __init__(self, table: str, region: str, shards: int = DEFAULT_SHARDS) -> None:
        if shards < 1:
            raise ValueError("social counters need at least one shard")
        self.model: Any = bound_model(SocialCounterRecord, table, region)
        self.shards = shards

    def move(self, transaction: TransactWrite, subject: str, name: str, actor: str, delta: int) -> None:
        """Add `delta` to `name` of `subject` in `transaction` (the actor's shard)."""
        shard = counter_shard(actor, self.shards)
        transaction.update(
            self.model(subject=subject, counter=f"{name}#{shard}"),
            actions=[self.model.shard_count.add(delta)],
        )

    def of_user(self, user_id: str) -> dict[str, int]:
        return self.counts(user_subject(user_id))

    def of_video(self, video_id: str) -> dict[str, int]:
        return self.counts(video_subject(video_id))

    def counts(self, subject: str) -> dict[str, int]:
        """Every counter of a subject, summed over its shards (absent counters are absent, read 0)."""
        totals: dict[str, int] = {}
        try:
            for item in self.model.query(subject, consistent_read=True):
                name = str(item.counter).rsplit("#", 1)[0]
                totals[name] = totals.get(name, 0) + int(item.shard_count or 0)
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading counters failed: {exc.msg}") from exc
        return totals
